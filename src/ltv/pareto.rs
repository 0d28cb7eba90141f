//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987), likelihood as in Fader & Hardie's
//! derivation note (2005), computed without the ₂F₁ difference that loses all precision (or
//! overflows) when `t_x` is close to `T` and the frequency is large.

use serde::{Deserialize, Serialize};
use statrs::function::gamma::ln_gamma;

use super::bgnbd::nbd_log_pmf;
use super::model::{
    Customer, FitOptions, FitReport, ModelParams, Rows, TransactionModel, WARM_START_ABOVE,
    check_all, check_horizon, check_positive, finite, fit_model, subsample, sum_rows,
};
use super::special::log_add_exp;
use crate::Result;

/// Pareto/NBD parameters: purchase rates `λ ~ Gamma(r, α)`, lifetimes exponential with
/// rates `μ ~ Gamma(s, β)`.
///
/// ```
/// use userops::ltv::{ParetoNbdParams, Customer, TransactionModel};
/// let m = ParetoNbdParams::new(0.553, 10.58, 0.606, 11.67)?;
/// // A heavy buyer whose last purchase is at T: finite, and surely alive.
/// let c = Customer::new(300, 38.0, 38.0)?;
/// assert!(m.log_likelihood(&c)?.is_finite());
/// assert!((m.p_alive(&c)? - 1.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Scale (rate) of the purchase-rate gamma.
    pub alpha: f64,
    /// Shape of the dropout-rate gamma.
    pub s: f64,
    /// Scale (rate) of the dropout-rate gamma.
    pub beta: f64,
}

impl ModelParams for ParetoNbdParams {
    const MODEL: &'static str = "pareto-nbd";
    const NAMES: &'static [&'static str] = &["r", "alpha", "s", "beta"];
    fn values(&self) -> Vec<f64> {
        vec![self.r, self.alpha, self.s, self.beta]
    }
    fn from_values(v: &[f64]) -> Result<Self> {
        check_positive(Self::NAMES, v)?;
        Ok(ParetoNbdParams {
            r: v[0],
            alpha: v[1],
            s: v[2],
            beta: v[3],
        })
    }
}

/// `ln ∫_{t_x}^{T} (α+τ)^-(r+x) (β+τ)^-(s+1) dτ` (−inf when `t_x == T`).
///
/// Expanding the second factor around the first (or the first around the second) gives a
/// series in `z = (α-β)/(α+t_x)` (or `w = (β-α)/(β+t_x)`) whose terms each hold the positive
/// difference `1 - ρ^(m+n)`, `ρ = (α+t_x)/(α+T)`, computed with `expm1`: no cancellation
/// between two ₂F₁ values, no overflow (terms are rescaled as they grow).
pub(crate) fn ln_dropout_integral(
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
    x: f64,
    tx: f64,
    t: f64,
) -> f64 {
    if t <= tx {
        return f64::NEG_INFINITY;
    }
    let m = r + s + x;
    let z1 = (alpha - beta) / (alpha + tx);
    let (k, z, base) = if alpha >= beta || z1.abs() <= 0.5 {
        (s + 1.0, z1, alpha + tx)
    } else {
        (r + x, (beta - alpha) / (beta + tx), beta + tx)
    };
    // Terms grow until n ≈ k|z| / (1 - |z|); past a few thousand terms (a slow positive
    // series, or an alternating one that would cancel) integrate numerically instead.
    if z.abs() > 0.95 || k * z.abs() / (1.0 - z.abs()) > 2000.0 {
        // The series would converge slowly (its ratio tends to z): integrate numerically.
        return ln_dropout_quadrature(r + x, alpha, s, beta, tx, t);
    }
    let ln_rho = -((t - tx) / base).ln_1p();
    let rho = ln_rho.exp();
    let one_minus_rho = -ln_rho.exp_m1();
    let mut coef = 1.0_f64; // (k)_n / n! z^n, rescaled
    let mut log_scale = 0.0_f64;
    let mut sum = 0.0_f64;
    // q_n = 1 - ρ^(m+n) by the recurrence q_{n+1} = (1 - ρ) + ρ q_n: a sum of positive terms,
    // so no cancellation however close ρ is to 1.
    let mut q = -(m * ln_rho).exp_m1();
    let mut n = 0.0_f64;
    const RESCALE: f64 = 1e250;
    let mut converged = false;
    for _ in 0..2_000_000 {
        let term = coef * q / (m + n);
        sum += term;
        let ratio = (k + n) / (n + 1.0) * z;
        // Tail bound once terms shrink geometrically.
        if coef == 0.0
            || (ratio.abs() < 1.0
                && term.abs() * ratio.abs() / (1.0 - ratio.abs()) <= 1e-17 * sum.abs())
        {
            converged = true;
            break;
        }
        coef *= ratio;
        q = one_minus_rho + rho * q;
        n += 1.0;
        if coef.abs() > RESCALE {
            coef /= RESCALE;
            sum /= RESCALE;
            log_scale += RESCALE.ln();
        }
    }
    if !converged {
        return f64::NAN;
    }
    if sum.is_nan() || sum <= 0.0 {
        return f64::NAN;
    }
    -m * base.ln() + sum.ln() + log_scale
}

/// `ln ∫_{t_x}^{T} (α+τ)^-(k) (β+τ)^-(s+1) dτ` by composite Gauss–Legendre in
/// `y = ln(β+τ)` (which absorbs the `(β+τ)^-(s+1)` decay), summed in log space.
fn ln_dropout_quadrature(k: f64, alpha: f64, s: f64, beta: f64, tx: f64, t: f64) -> f64 {
    const PANELS: usize = 64;
    let (y0, y1) = ((beta + tx).ln(), (beta + t).ln());
    let (nodes, weights) = gauss_legendre_8();
    let h = (y1 - y0) / PANELS as f64;
    let mut logs = Vec::with_capacity(PANELS * 8);
    for p in 0..PANELS {
        let mid = y0 + (p as f64 + 0.5) * h;
        for (xi, wi) in nodes.iter().zip(weights.iter()) {
            let y = mid + 0.5 * h * xi;
            let tau = (y.exp() - beta).max(0.0);
            logs.push((0.5 * h * wi).ln() - k * (alpha + tau).ln() - s * y);
        }
    }
    let m = logs.iter().fold(f64::NEG_INFINITY, |a, b| a.max(*b));
    if !m.is_finite() {
        return f64::NAN;
    }
    m + logs.iter().map(|l| (l - m).exp()).sum::<f64>().ln()
}

impl ParetoNbdParams {
    /// Checked parameters `(r, alpha, s, beta)`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] unless all are finite and `> 0`.
    ///
    /// ```
    /// assert!(userops::ltv::ParetoNbdParams::new(0.55, 10.6, 0.61, 11.7).is_ok());
    /// assert!(userops::ltv::ParetoNbdParams::new(0.55, 10.6, 0.0, 11.7).is_err());
    /// ```
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<Self> {
        Self::from_values(&[r, alpha, s, beta])
    }

    /// Fits the model by maximum likelihood on unique `(x, t_x, T)` rows with weights.
    ///
    /// # Errors
    /// An invalid customer row (named), no customers, or a likelihood that is not finite at
    /// the optimum. Non-convergence is reported in the report, not as `Err`.
    ///
    /// ```
    /// use userops::ltv::{Customer, FitOptions, ParetoNbdParams};
    /// let data: Vec<Customer> = (0..200)
    ///     .map(|i| Customer::new(i % 4, if i % 4 == 0 { 0.0 } else { (i % 30) as f64 }, 30.0))
    ///     .collect::<Result<_, _>>()?;
    /// let fit = ParetoNbdParams::fit(&data, &FitOptions::new())?;
    /// assert!(fit.log_likelihood < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(customers: &[Customer], options: &FitOptions) -> Result<FitReport<Self>> {
        check_all(customers)?;
        let warm = if customers.len() > WARM_START_ABOVE {
            Self::fit(&subsample(customers), options)
                .ok()
                .filter(|f| f.converged)
                .map(|f| f.params.values())
        } else {
            None
        };
        let rows = Rows::from_customers(customers);
        let max_t = rows.t.iter().fold(0.0_f64, |m, v| m.max(*v)).max(1e-9);
        let ll = |p: &[f64]| -> f64 { Self::rows_ll(p, &rows) };
        let scales = warm
            .clone()
            .unwrap_or_else(|| vec![1.0, max_t / 10.0, 1.0, max_t / 10.0]);
        fit_model::<Self>(&ll, None, rows.total, &scales, warm.is_some(), options)
    }

    fn rows_ll(p: &[f64], rows: &Rows) -> f64 {
        let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3]);
        let base0 = -ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        let per_x: Vec<f64> = rows.xs.iter().map(|&x| ln_gamma(r + x)).collect();
        let ln_s = s.ln();
        let ln_at: Vec<f64> = rows.ts.iter().map(|t| (alpha + t).ln()).collect();
        let ln_bt: Vec<f64> = rows.ts.iter().map(|t| (beta + t).ln()).collect();
        let sum = sum_rows(rows.len(), |i| {
            let x = rows.x[i];
            let (tx, t) = (rows.tx[i], rows.t[i]);
            let ti = rows.ti[i] as usize;
            let alive = -(r + x) * ln_at[ti] - s * ln_bt[ti];
            let dead = ln_s + ln_dropout_integral(r, alpha, s, beta, x, tx, t);
            rows.w[i] * (per_x[rows.xi[i] as usize] + log_add_exp(alive, dead))
        });
        sum + rows.total * base0
    }

    /// `(ln L_alive, ln L_dead)`: the parts of the likelihood (without the common factor)
    /// for "alive at T" and "died between t_x and T".
    fn parts(&self, c: &Customer) -> (f64, f64) {
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let x = f64::from(c.frequency);
        let alive = -(r + x) * (alpha + c.age).ln() - s * (beta + c.age).ln();
        let dead = s.ln() + ln_dropout_integral(r, alpha, s, beta, x, c.recency, c.age);
        (alive, dead)
    }
}

/// `(1 - (1 + u)^-(k)) / k` for `k` near 0 too (limit `ln(1+u)`).
fn power_bracket(k: f64, u: f64) -> f64 {
    let l = u.ln_1p();
    if (k * l).abs() < 1e-10 {
        l
    } else {
        -(-k * l).exp_m1() / k
    }
}

impl TransactionModel for ParetoNbdParams {
    fn model_name(&self) -> &'static str {
        "pareto-nbd"
    }

    fn log_likelihood(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        let x = f64::from(c.frequency);
        let (alive, dead) = self.parts(c);
        let v = ln_gamma(self.r + x) - ln_gamma(self.r)
            + self.r * self.alpha.ln()
            + self.s * self.beta.ln()
            + log_add_exp(alive, dead);
        finite("log_likelihood", v)
    }

    fn p_alive(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        let (alive, dead) = self.parts(c);
        finite("p_alive", (alive - log_add_exp(alive, dead)).exp())
    }

    fn expected_purchases(&self, c: &Customer, t: f64) -> Result<f64> {
        let p = self.p_alive(c)?;
        finite(
            "expected_purchases",
            p * self.expected_purchases_if_alive(c.frequency, c.age, t)?,
        )
    }

    fn expected_purchases_if_alive(&self, frequency: u32, age: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        check_horizon(age)?;
        let x = f64::from(frequency);
        // (r+x)(β+T) / ((α+T)(s-1)) [1 - ((β+T)/(β+T+t))^(s-1)]
        let v = (self.r + x) * (self.beta + age) / (self.alpha + age)
            * power_bracket(self.s - 1.0, t / (self.beta + age));
        finite("expected_purchases", v)
    }

    fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        // rβ/(α(s-1)) [1 - (β/(β+t))^(s-1)]
        let v = self.r * self.beta / self.alpha * power_bracket(self.s - 1.0, t / self.beta);
        finite("expected_purchases", v)
    }

    fn purchases_pmf(&self, n: u32, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let (r, alpha, s, beta) = (self.r, self.alpha, self.s, self.beta);
        let x = f64::from(n);
        // P(X(t)=n) = P(τ > t) NBD(n; t) + ∫_0^t f(τ) NBD(n; τ) dτ, f(τ) = sβ^s/(β+τ)^(s+1):
        // Gauss–Legendre on 64 panels (the integrand is smooth; the substitution
        // τ = t u² takes the τ^n behaviour at 0 in its stride).
        let survive = (-s * (t / beta).ln_1p()).exp();
        let mut integral = 0.0;
        if t > 0.0 {
            const PANELS: usize = 64;
            let (nodes, weights) = gauss_legendre_8();
            for k in 0..PANELS {
                let (lo, hi) = (k as f64 / PANELS as f64, (k + 1) as f64 / PANELS as f64);
                let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
                for (xi, wi) in nodes.iter().zip(weights.iter()) {
                    let u = mid + half * xi;
                    let tau = t * u * u;
                    let jac = 2.0 * t * u;
                    let dens = s * (s * beta.ln() - (s + 1.0) * (beta + tau).ln()).exp();
                    integral += wi * half * jac * dens * nbd_log_pmf(r, alpha, x, tau).exp();
                }
            }
        }
        super::model::probability(
            "purchases_pmf",
            survive * nbd_log_pmf(r, alpha, x, t).exp() + integral,
        )
    }
}

/// 8-point Gauss–Legendre nodes and weights on [-1, 1].
fn gauss_legendre_8() -> ([f64; 8], [f64; 8]) {
    let a = [
        0.183_434_642_495_649_8,
        0.525_532_409_916_329,
        0.796_666_477_413_626_7,
        0.960_289_856_497_536_3,
    ];
    let w = [
        0.362_683_783_378_362,
        0.313_706_645_877_887_3,
        0.222_381_034_453_374_5,
        0.101_228_536_290_376_3,
    ];
    (
        [-a[3], -a[2], -a[1], -a[0], a[0], a[1], a[2], a[3]],
        [w[3], w[2], w[1], w[0], w[0], w[1], w[2], w[3]],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_and_quadrature_agree() {
        for &(r, alpha, s, beta, x, tx, t) in &[
            (0.553, 10.58, 0.606, 11.67, 2.0, 30.43, 38.86),
            (0.553, 10.58, 0.606, 11.67, 0.0, 0.0, 38.86),
            (0.553, 3.0, 0.606, 30.0, 5.0, 10.0, 38.86),
            (0.553, 30.0, 0.606, 3.0, 5.0, 10.0, 38.86),
            (1.5, 8.0, 2.0, 7.0, 40.0, 37.0, 38.86),
        ] {
            let a = ln_dropout_integral(r, alpha, s, beta, x, tx, t);
            let b = ln_dropout_quadrature(r + x, alpha, s, beta, tx, t);
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }
}
