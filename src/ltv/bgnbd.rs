//! BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

use serde::{Deserialize, Serialize};
use statrs::function::beta::{checked_beta_reg, checked_ln_beta};
use statrs::function::gamma::{digamma, ln_gamma};

use super::model::{
    Customer, FitOptions, FitReport, ModelParams, Rows, TimeUnit, TransactionModel,
    WARM_START_ABOVE, Warm, check_all, check_horizon, check_positive, expectation, finite,
    fit_model, probability, subsample, sum_rows, sum_rows_vec,
};
use super::special::{hyp2f1, ln_poch, log_add_exp, trigamma_diff};
use crate::{Error, Result};

/// BG/NBD parameters: purchase rates `λ ~ Gamma(r, α)`, dropout after each repeat purchase
/// with probability `p ~ Beta(a, b)`, in a time [`unit`](BgNbdParams::unit): `α` is a time
/// (rates are per unit), and customer rows and horizons given to the model are in that unit.
/// [`BgNbdParams::in_unit`] converts the model exactly.
///
/// ```
/// use userops::ltv::{BgNbdParams, Customer, TimeUnit, TransactionModel};
/// // Fader, Hardie & Lee (2005) on CDNOW: the customer with x = 2, t_x = 30.43, T = 38.86
/// // is expected to make 1.226 purchases in the next 39 weeks.
/// let m = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week)?;
/// let e = m.expected_purchases(&Customer::new(2, 30.43, 38.86)?, 39.0)?;
/// assert!((e - 1.226).abs() < 0.001);
/// // The same model in days: the same customer and horizon, measured in days.
/// let d = m.in_unit(TimeUnit::Day);
/// let e_days = d.expected_purchases(&Customer::new(2, 30.43 * 7.0, 38.86 * 7.0)?, 273.0)?;
/// assert!((e_days - e).abs() < 1e-9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Scale (rate) of the purchase-rate gamma: a time, in `unit`.
    pub alpha: f64,
    /// First shape of the dropout beta.
    pub a: f64,
    /// Second shape of the dropout beta.
    pub b: f64,
    /// The time unit of `alpha`, of the customer rows and of the horizons.
    pub unit: TimeUnit,
}

/// MBG/NBD parameters: as BG/NBD, but a customer may also drop out right at the first purchase.
///
/// ```
/// use userops::ltv::{MbgNbdParams, Customer, TimeUnit, TransactionModel};
/// let m = MbgNbdParams::new(0.525, 6.183, 0.891, 1.614, TimeUnit::Week)?;
/// // Unlike BG/NBD, a customer without repeat purchases is not surely alive.
/// assert!(m.p_alive(&Customer::new(0, 0.0, 1.0)?)? < 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MbgNbdParams {
    /// Shape of the purchase-rate gamma.
    pub r: f64,
    /// Scale (rate) of the purchase-rate gamma: a time, in `unit`.
    pub alpha: f64,
    /// First shape of the dropout beta.
    pub a: f64,
    /// Second shape of the dropout beta.
    pub b: f64,
    /// The time unit of `alpha`, of the customer rows and of the horizons.
    pub unit: TimeUnit,
}

macro_rules! four_params {
    ($t:ident, $model:literal) => {
        impl $t {
            /// Checked parameters `(r, alpha, a, b)` in time unit `unit` (`alpha` is a time).
            ///
            /// # Errors
            /// [`crate::Error::InvalidParameter`] unless all are finite and `> 0`.
            ///
            /// ```
            /// use userops::ltv::TimeUnit;
            #[doc = concat!("assert!(userops::ltv::", stringify!($t), "::new(0.24, 4.4, 0.79, 2.4, TimeUnit::Week).is_ok());")]
            #[doc = concat!("assert!(userops::ltv::", stringify!($t), "::new(0.24, -4.4, 0.79, 2.4, TimeUnit::Week).is_err());")]
            /// ```
            pub fn new(r: f64, alpha: f64, a: f64, b: f64, unit: TimeUnit) -> Result<Self> {
                Self::from_values(&[r, alpha, a, b], unit)
            }

            /// The same model in time unit `unit`: `α` is a time, so it scales by the ratio of
            /// the units (`α` in weeks = `α` in days / 7); `r`, `a`, `b` have no unit. Every
            /// prediction for a customer and horizon measured in `unit` is then the prediction
            /// of this model for the same customer and horizon measured in its own unit.
            ///
            /// ```
            /// use userops::ltv::TimeUnit;
            #[doc = concat!("let w = userops::ltv::", stringify!($t), "::new(0.24, 4.9, 0.79, 2.4, TimeUnit::Week)?;")]
            /// let d = w.in_unit(TimeUnit::Day);
            /// assert_eq!((d.alpha, d.unit), (4.9 * 7.0, TimeUnit::Day));
            /// assert_eq!(d.in_unit(TimeUnit::Week), w);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            #[must_use]
            pub fn in_unit(&self, unit: TimeUnit) -> Self {
                $t { alpha: self.unit.convert(self.alpha, unit), unit, ..self.clone() }
            }

            /// Fits the model by maximum likelihood (on unique `(x, t_x, T)` rows with
            /// weights) to customers whose recency and `T` are measured in `unit`; the fitted
            /// model carries that unit.
            ///
            /// The fit does not depend on the unit (the model fitted in days, converted to weeks
            /// with [`Self::in_unit`], is the model fitted in weeks), except with an L2
            /// penalizer, which weighs `α` in the unit it is given in.
            ///
            /// # Errors
            /// An invalid customer row (named), no customers, or a likelihood that is not
            /// finite at the optimum. Non-convergence is reported in the report, not as `Err`.
            ///
            /// ```
            /// use userops::ltv::{Customer, FitOptions, TimeUnit};
            /// let data: Vec<Customer> = (0..200)
            ///     .map(|i| Customer::new(i % 4, if i % 4 == 0 { 0.0 } else { (i % 30) as f64 }, 30.0))
            ///     .collect::<Result<_, _>>()?;
            #[doc = concat!("let fit = userops::ltv::", stringify!($t), "::fit(&data, TimeUnit::Day, &FitOptions::new())?;")]
            /// assert!(fit.log_likelihood < 0.0);
            /// assert_eq!(fit.params.unit, TimeUnit::Day);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn fit(
                customers: &[Customer],
                unit: TimeUnit,
                options: &FitOptions,
            ) -> Result<FitReport<Self>> {
                check_all(customers)?;
                // Large data: start from the estimates on an evenly spaced subsample.
                let warm = if customers.len() > WARM_START_ABOVE {
                    Warm::from(Self::fit(&subsample(customers), unit, options))
                } else {
                    None
                };
                let rows = Rows::from_customers(customers);
                let max_t = rows.t.iter().fold(0.0_f64, |m, v| m.max(*v)).max(1e-9);
                let ll = |p: &[f64]| -> f64 { Self::rows_ll(p, &rows) };
                let grad = |p: &[f64]| -> (f64, Vec<f64>) { Self::rows_ll_grad(p, &rows) };
                let hess = |p: &[f64]| Self::rows_ll_grad_hess(p, &rows);
                let scales = [1.0, max_t / 10.0, 1.0, 1.0];
                fit_model::<Self>(
                    &ll,
                    Some(&grad),
                    Some(&hess),
                    rows.total,
                    &scales,
                    warm,
                    *options,
                    unit,
                )
            }
        }

        impl ModelParams for $t {
            const MODEL: &'static str = $model;
            const NAMES: &'static [&'static str] = &["r", "alpha", "a", "b"];
            fn values(&self) -> Vec<f64> {
                vec![self.r, self.alpha, self.a, self.b]
            }
            fn from_values(v: &[f64], unit: TimeUnit) -> Result<Self> {
                check_positive(Self::NAMES, v)?;
                Ok($t { r: v[0], alpha: v[1], a: v[2], b: v[3], unit })
            }
            fn time_unit(&self) -> Option<TimeUnit> {
                Some(self.unit)
            }
        }
    };
}

four_params!(BgNbdParams, "bgnbd");
four_params!(MbgNbdParams, "mbgnbd");

/// `1 - (1-z)^(a-1) 2F1(c1, a-1; c; z)` divided by `(a - 1)`, with the removable singularity
/// at `a = 1` handled by averaging `a = 1 ± 1e-7`.
fn bracket_over(a: f64, c1: impl Fn(f64) -> f64, c: impl Fn(f64) -> f64, z: f64) -> f64 {
    let eval = |a: f64| -> f64 {
        let h = hyp2f1(c1(a), a - 1.0, c(a), z);
        let pre = ((a - 1.0) * (-z).ln_1p()).exp();
        (1.0 - pre * h) / (a - 1.0)
    };
    if (a - 1.0).abs() < 1e-7 {
        0.5 * (eval(1.0 + 1e-7) + eval(1.0 - 1e-7))
    } else {
        eval(a)
    }
}

/// Log-likelihood and gradient of BG/NBD (`modified = false`) or MBG/NBD (`true`) over rows.
fn bg_ll_grad(p: &[f64], rows: &Rows, modified: bool) -> (f64, Vec<f64>) {
    let (value, grad, _) = bg_pass::<false>(p, rows, modified);
    (value, grad)
}

#[cfg(test)]
/// Hessian of the log-likelihood of BG/NBD or MBG/NBD over rows (natural parameters, in the
/// order r, alpha, a, b), in one pass that also gives the value and the gradient.
fn bg_hessian(p: &[f64], rows: &Rows, modified: bool) -> Vec<Vec<f64>> {
    bg_pass::<true>(p, rows, modified).2
}

/// One pass over the rows: value, gradient and (with `HESS`) the Hessian.
///
/// Per row the likelihood is `g(x) + ln(e^A3 + e^A4)` (plus `r ln α`), with
/// `A3 = -(r+x) ln(α+T)` and `A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)` (MBG/NBD: `b+x`;
/// BG/NBD without repeat purchases: no `A4`). With `w4 = e^A4 / (e^A3 + e^A4)`, `w3 = 1 - w4`,
/// the second derivatives of the log-sum-exp are `w3 ∇²A3 + w4 ∇²A4 + w3 w4 (∇A3 - ∇A4)(∇A3 - ∇A4)ᵀ`.
fn bg_pass<const HESS: bool>(
    p: &[f64],
    rows: &Rows,
    modified: bool,
) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
    let shift = if modified { 1.0 } else { 0.0 };
    // Per distinct x: value g, d = ln a - ln(b+x-1+shift), the digammas and (for the Hessian)
    // the trigamma differences.
    struct PerX {
        g: f64,
        d: f64,
        dr: f64,
        da: f64,
        db: f64,
        inv_bx: f64,
        hrr: f64,
        hab: f64,
        hbb: f64,
    }
    let per_x: Vec<PerX> = rows
        .xs
        .iter()
        .map(|&x| {
            let bx = b + x - 1.0 + shift;
            let has_odds = modified || x > 0.0;
            let (hrr, hab, hbb) = if HESS {
                // ψ₁(r+x) - ψ₁(r); ψ₁(a+b) - ψ₁(a+b+x'); ψ₁(b+x') - ψ₁(b) + ψ₁(a+b) - ψ₁(a+b+x').
                let hab = -trigamma_diff(a + b, x + shift);
                (trigamma_diff(r, x), hab, trigamma_diff(b, x + shift) + hab)
            } else {
                (0.0, 0.0, 0.0)
            };
            PerX {
                // lnΓ(r+x) - lnΓ(r) + lnΓ(b+x') - lnΓ(b) - lnΓ(a+b+x') + lnΓ(a+b), x' = x + shift.
                g: ln_poch(r, x) + ln_poch(b, x + shift) - ln_poch(a + b, x + shift),
                d: if has_odds {
                    a.ln() - bx.ln()
                } else {
                    f64::NEG_INFINITY
                },
                dr: digamma(r + x),
                da: -digamma(a + b + x + shift),
                db: digamma(b + x + shift) - digamma(a + b + x + shift),
                inv_bx: if has_odds { 1.0 / bx } else { 0.0 },
                hrr,
                hab,
                hbb,
            }
        })
        .collect();
    let lt: Vec<(f64, f64)> = rows
        .ts
        .iter()
        .map(|t| ((alpha + t).ln(), 1.0 / (alpha + t)))
        .collect();
    let ltx: Vec<(f64, f64)> = rows
        .txs
        .iter()
        .map(|t| ((alpha + t).ln(), 1.0 / (alpha + t)))
        .collect();
    let inv_a = 1.0 / a;
    let acc = sum_rows_vec(rows.len(), if HESS { 15 } else { 5 }, |i, acc| {
        let x = rows.x[i];
        let w = rows.w[i];
        let px = &per_x[rows.xi[i] as usize];
        let (l3, i3) = lt[rows.ti[i] as usize];
        let (l4, i4) = ltx[rows.txi[i] as usize];
        let a3 = -(r + x) * l3;
        let (ll, w4) = if px.d.is_finite() {
            let a4 = px.d - (r + x) * l4;
            // ln(e^a3 + e^a4) and the share of e^a4, with one exp.
            let e = (-(a3 - a4).abs()).exp();
            let m = a3.max(a4) + e.ln_1p();
            (m, if a4 >= a3 { 1.0 } else { e } / (1.0 + e))
        } else {
            (a3, 0.0)
        };
        let w3 = 1.0 - w4;
        acc[0] += w * (px.g + ll);
        acc[1] += w * (px.dr - w3 * l3 - w4 * l4);
        acc[2] += w * (-(r + x) * (w3 * i3 + w4 * i4));
        acc[3] += w * (px.da + w4 / a);
        acc[4] += w * (px.db - w4 * px.inv_bx);
        if HESS {
            // ∇A3 - ∇A4 = (l4 - l3, -(r+x)(i3 - i4), -1/a, 1/(b+x-1)); zero weight without A4.
            let c = w * w3 * w4;
            let (d0, d1, d2, d3) = (l4 - l3, -(r + x) * (i3 - i4), -inv_a, px.inv_bx);
            acc[5] += w * px.hrr + c * d0 * d0;
            acc[6] += -w * (w3 * i3 + w4 * i4) + c * d0 * d1;
            acc[7] += c * d0 * d2;
            acc[8] += c * d0 * d3;
            acc[9] += w * (r + x) * (w3 * i3 * i3 + w4 * i4 * i4) + c * d1 * d1;
            acc[10] += c * d1 * d2;
            acc[11] += c * d1 * d3;
            acc[12] += w * (px.hab - w4 * inv_a * inv_a) + c * d2 * d2;
            acc[13] += w * px.hab + c * d2 * d3;
            acc[14] += w * (px.hbb + w4 * px.inv_bx * px.inv_bx) + c * d3 * d3;
        }
    });
    let n = rows.total;
    let value = acc[0] + n * r * alpha.ln();
    let grad = vec![
        acc[1] + n * (-digamma(r) + alpha.ln()),
        acc[2] + n * r / alpha,
        acc[3] + n * digamma(a + b),
        acc[4] + n * (digamma(a + b) - digamma(b)),
    ];
    let hess = if HESS {
        // The n r ln α term: ∂²/∂r∂α = n/α, ∂²/∂α² = -n r/α².
        let upper = [
            [acc[5], acc[6] + n / alpha, acc[7], acc[8]],
            [0.0, acc[9] - n * r / (alpha * alpha), acc[10], acc[11]],
            [0.0, 0.0, acc[12], acc[13]],
            [0.0, 0.0, 0.0, acc[14]],
        ];
        (0..4)
            .map(|i| {
                (0..4)
                    .map(|j| if i <= j { upper[i][j] } else { upper[j][i] })
                    .collect()
            })
            .collect()
    } else {
        Vec::new()
    };
    (value, grad, hess)
}

impl BgNbdParams {
    fn rows_ll_grad(p: &[f64], rows: &Rows) -> (f64, Vec<f64>) {
        bg_ll_grad(p, rows, false)
    }

    fn rows_ll_grad_hess(p: &[f64], rows: &Rows) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        bg_pass::<true>(p, rows, false)
    }

    fn rows_ll(p: &[f64], rows: &Rows) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let base0 = r * alpha.ln();
        // Per distinct frequency: ln (r)_x + ln (b)_x - ln (a+b)_x, ln a - ln(b+x-1).
        let per_x: Vec<(f64, f64)> = rows
            .xs
            .iter()
            .map(|&x| {
                let g = ln_poch(r, x) + ln_poch(b, x) - ln_poch(a + b, x);
                let d = if x > 0.0 {
                    a.ln() - (b + x - 1.0).ln()
                } else {
                    f64::NEG_INFINITY
                };
                (g, d)
            })
            .collect();
        let ln_t: Vec<f64> = rows.ts.iter().map(|t| (alpha + t).ln()).collect();
        let ln_tx: Vec<f64> = rows.txs.iter().map(|t| (alpha + t).ln()).collect();
        let sum = sum_rows(rows.len(), |i| {
            let x = rows.x[i];
            let (g, d) = per_x[rows.xi[i] as usize];
            let a3 = -(r + x) * ln_t[rows.ti[i] as usize];
            let ll = if x > 0.0 {
                log_add_exp(a3, d - (r + x) * ln_tx[rows.txi[i] as usize])
            } else {
                a3
            };
            rows.w[i] * (g + ll)
        });
        sum + rows.total * base0
    }

    fn one(&self, c: &Customer) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(c.frequency);
        let base = ln_poch(r, x) + r * alpha.ln() + ln_poch(b, x) - ln_poch(a + b, x);
        let a3 = -(r + x) * (alpha + c.age).ln();
        if x > 0.0 {
            base + log_add_exp(
                a3,
                a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + c.recency).ln(),
            )
        } else {
            base + a3
        }
    }

    /// `ln` of the odds term `a/(b+x-1) ((α+T)/(α+t_x))^(r+x)` (−inf when x = 0).
    fn log_odds(&self, c: &Customer) -> f64 {
        let x = f64::from(c.frequency);
        if c.frequency == 0 {
            return f64::NEG_INFINITY;
        }
        self.a.ln() - (self.b + x - 1.0).ln()
            + (self.r + x) * ((c.age - c.recency) / (self.alpha + c.recency)).ln_1p()
    }
}

impl TransactionModel for BgNbdParams {
    fn model_name(&self) -> &'static str {
        "bgnbd"
    }

    fn unit(&self) -> TimeUnit {
        self.unit
    }

    fn log_likelihood(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        finite("log_likelihood", self.one(c))
    }

    fn p_alive(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        finite("p_alive", alive_from_log_odds(self.log_odds(c)))
    }

    fn p_alive_all(&self, customers: &[Customer]) -> Result<Vec<f64>> {
        p_alive_batch(customers, (self.r, self.alpha, self.a, self.b), 0.0)
    }

    fn expected_purchases(&self, c: &Customer, t: f64) -> Result<f64> {
        c.check("")?;
        check_horizon(t)?;
        let p_alive = alive_from_log_odds(self.log_odds(c));
        expectation(
            "expected_purchases",
            p_alive * self.expected_purchases_if_alive(c.frequency, c.age, t)?,
        )
    }

    fn expected_purchases_if_alive(&self, frequency: u32, age: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        check_horizon(age)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(frequency);
        let z = t / (alpha + age + t);
        // (a+b+x-1)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)], Euler-transformed:
        // (1-z)^(r+x) 2F1(...) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z).
        let br = bracket_over(a, |a| a + b - 1.0 - r, |a| a + b + x - 1.0, z);
        let bound = (r + x) * t / (alpha + age);
        bounded_expectation(self, "expected_purchases", (a + b + x - 1.0) * br, bound)
    }

    fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let z = t / (alpha + t);
        let br = bracket_over(a, |a| a + b - 1.0 - r, |a| a + b - 1.0, z);
        bounded_expectation(
            self,
            "expected_purchases",
            (a + b - 1.0) * br,
            r * t / alpha,
        )
    }

    fn purchases_pmf(&self, n: u32, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(n);
        let lb = ln_beta(a, b);
        let nb = nbd_log_pmf(r, alpha, x, t);
        let first = (ln_beta(a, b + x) - lb + nb).exp();
        let second = if n > 0 {
            (ln_beta(a + 1.0, b + x - 1.0) - lb).exp() * nbd_tail(r, alpha, x, t)
        } else {
            0.0
        };
        probability("purchases_pmf", first + second)
    }
}

impl MbgNbdParams {
    fn rows_ll_grad(p: &[f64], rows: &Rows) -> (f64, Vec<f64>) {
        bg_ll_grad(p, rows, true)
    }

    fn rows_ll_grad_hess(p: &[f64], rows: &Rows) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        bg_pass::<true>(p, rows, true)
    }

    fn rows_ll(p: &[f64], rows: &Rows) -> f64 {
        let (r, alpha, a, b) = (p[0], p[1], p[2], p[3]);
        let base0 = r * alpha.ln();
        let per_x: Vec<(f64, f64)> = rows
            .xs
            .iter()
            .map(|&x| {
                let g = ln_poch(r, x) + ln_poch(b, x + 1.0) - ln_poch(a + b, x + 1.0);
                (g, a.ln() - (b + x).ln())
            })
            .collect();
        let ln_t: Vec<f64> = rows.ts.iter().map(|t| (alpha + t).ln()).collect();
        let ln_tx: Vec<f64> = rows.txs.iter().map(|t| (alpha + t).ln()).collect();
        let sum = sum_rows(rows.len(), |i| {
            let x = rows.x[i];
            let (g, d) = per_x[rows.xi[i] as usize];
            let a3 = -(r + x) * ln_t[rows.ti[i] as usize];
            let a4 = d - (r + x) * ln_tx[rows.txi[i] as usize];
            rows.w[i] * (g + log_add_exp(a3, a4))
        });
        sum + rows.total * base0
    }

    fn one(&self, c: &Customer) -> f64 {
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(c.frequency);
        let base = ln_poch(r, x) + r * alpha.ln() + ln_poch(b, x + 1.0) - ln_poch(a + b, x + 1.0);
        let a3 = -(r + x) * (alpha + c.age).ln();
        base + log_add_exp(
            a3,
            a.ln() - (b + x).ln() - (r + x) * (alpha + c.recency).ln(),
        )
    }

    fn log_odds(&self, c: &Customer) -> f64 {
        let x = f64::from(c.frequency);
        self.a.ln() - (self.b + x).ln()
            + (self.r + x) * ((c.age - c.recency) / (self.alpha + c.recency)).ln_1p()
    }
}

impl TransactionModel for MbgNbdParams {
    fn model_name(&self) -> &'static str {
        "mbgnbd"
    }

    fn unit(&self) -> TimeUnit {
        self.unit
    }

    fn log_likelihood(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        finite("log_likelihood", self.one(c))
    }

    fn p_alive(&self, c: &Customer) -> Result<f64> {
        c.check("")?;
        finite("p_alive", alive_from_log_odds(self.log_odds(c)))
    }

    fn p_alive_all(&self, customers: &[Customer]) -> Result<Vec<f64>> {
        p_alive_batch(customers, (self.r, self.alpha, self.a, self.b), 1.0)
    }

    fn expected_purchases(&self, c: &Customer, t: f64) -> Result<f64> {
        c.check("")?;
        check_horizon(t)?;
        let p_alive = alive_from_log_odds(self.log_odds(c));
        expectation(
            "expected_purchases",
            p_alive * self.expected_purchases_if_alive(c.frequency, c.age, t)?,
        )
    }

    fn expected_purchases_if_alive(&self, frequency: u32, age: f64, t: f64) -> Result<f64> {
        check_horizon(t)?;
        check_horizon(age)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(frequency);
        let z = t / (alpha + age + t);
        // (a+b+x)/(a-1) [1 - (1-z)^(r+x) 2F1(r+x, b+x+1; a+b+x; z)]
        //   = (a+b+x)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-r, a-1; a+b+x; z)]
        let br = bracket_over(a, |a| a + b - r, |a| a + b + x, z);
        let bound = (r + x) * t / (alpha + age);
        bounded_expectation(self, "expected_purchases", (a + b + x) * br, bound)
    }

    fn expected_purchases_new(&self, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let z = t / (alpha + t);
        // b/(a-1) [1 - (1-z)^r 2F1(r, b+1; a+b; z)] = b/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-r, a-1; a+b; z)]
        let br = bracket_over(a, |a| a + b - r, |a| a + b, z);
        bounded_expectation(self, "expected_purchases", b * br, r * t / alpha)
    }

    fn purchases_pmf(&self, n: u32, t: f64) -> Result<f64> {
        check_horizon(t)?;
        let (r, alpha, a, b) = (self.r, self.alpha, self.a, self.b);
        let x = f64::from(n);
        let lb = ln_beta(a, b);
        let first = (ln_beta(a, b + x + 1.0) - lb + nbd_log_pmf(r, alpha, x, t)).exp();
        let tail = if n == 0 {
            1.0
        } else {
            nbd_tail(r, alpha, x, t)
        };
        let second = (ln_beta(a + 1.0, b + x) - lb).exp() * tail;
        probability("purchases_pmf", first + second)
    }
}

/// P(alive) of BG/NBD (`shift = 0`) or MBG/NBD (`shift = 1`) for every customer, with
/// `ln a - ln(b + x - 1 + shift)` computed once per frequency below 4096. Each value is what
/// `p_alive` gives (the same formula, `1 / (1 + odds)`).
fn p_alive_batch(
    customers: &[Customer],
    (r, alpha, a, b): (f64, f64, f64, f64),
    shift: f64,
) -> Result<Vec<f64>> {
    const CACHED: usize = 4096;
    let ln_a = a.ln();
    let head = |x: f64| -> f64 {
        if x == 0.0 && shift == 0.0 {
            f64::NEG_INFINITY
        } else {
            ln_a - (b + x - 1.0 + shift).ln()
        }
    };
    let mut per_x: Vec<f64> = Vec::new();
    customers
        .iter()
        .map(|c| {
            if !c.is_valid() {
                c.check("")?;
            }
            let f = c.frequency as usize;
            let h = if f < CACHED {
                if per_x.len() <= f {
                    let from = per_x.len();
                    per_x.extend((from..=f).map(|k| head(k as f64)));
                }
                per_x[f]
            } else {
                head(f64::from(c.frequency))
            };
            let lo = if h == f64::NEG_INFINITY {
                h
            } else {
                let x = f64::from(c.frequency);
                h + (r + x) * ((c.age - c.recency) / (alpha + c.recency)).ln_1p()
            };
            finite("p_alive", alive_from_log_odds(lo))
        })
        .collect()
}

/// `1 / (1 + e^lo)`: P(alive) from the log of the odds of having dropped out. Exact at both
/// ends: `lo = -inf` gives 1, a large `lo` gives `e^-lo` to full relative precision (and 0 once
/// `e^lo` overflows, where the true value is below the smallest double anyway).
fn alive_from_log_odds(lo: f64) -> f64 {
    1.0 / (1.0 + lo.exp())
}

/// An expected number of purchases must lie in `[0, bound]`, where `bound` is the same
/// expectation without dropout (a customer who never dies buys at most that much on average).
/// For extreme parameters (r and alpha near 10^6 with a, b near 0, found by the `btyd` fuzz
/// target) the hypergeometric series loses its precision and the raw value falls outside: that is
/// a clear [`Error::Numerical`] naming the parameters, never a wrong number.
fn bounded_expectation(
    params: &impl std::fmt::Debug,
    field: &'static str,
    value: f64,
    bound: f64,
) -> Result<f64> {
    let value = expectation(field, value)?;
    let slack = 1e-9 * bound.abs().max(1.0);
    if value >= -slack && value <= bound + slack {
        Ok(value.clamp(0.0, bound.max(0.0)))
    } else {
        Err(Error::Numerical(format!(
            "{field} = {value} lies outside [0, {bound}] for {params:?}: the hypergeometric series lost its precision at these parameters"
        )))
    }
}

fn ln_beta(a: f64, b: f64) -> f64 {
    checked_ln_beta(a, b).unwrap_or(f64::NAN)
}

/// `ln P(N(t) = x)` for the NBD: `Γ(r+x)/(Γ(r) x!) (α/(α+t))^r (t/(α+t))^x`.
pub(crate) fn nbd_log_pmf(r: f64, alpha: f64, x: f64, t: f64) -> f64 {
    if t == 0.0 {
        return if x == 0.0 { 0.0 } else { f64::NEG_INFINITY };
    }
    ln_poch(r, x) - ln_gamma(x + 1.0) + r * (alpha / (alpha + t)).ln() + x * (t / (alpha + t)).ln()
}

/// `P(N(t) >= x)` for the NBD, `x >= 1`: the regularized incomplete beta `I_{t/(α+t)}(x, r)`.
pub(crate) fn nbd_tail(r: f64, alpha: f64, x: f64, t: f64) -> f64 {
    if t == 0.0 {
        return 0.0;
    }
    checked_beta_reg(x, r, t / (alpha + t)).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let customers: Vec<Customer> = (0..50)
            .map(|i| {
                Customer::new(
                    i % 5,
                    if i % 5 == 0 {
                        0.0
                    } else {
                        f64::from(i % 20) * 0.9
                    },
                    20.0 + f64::from(i % 3),
                )
                .unwrap()
            })
            .collect();
        let rows = Rows::from_customers(&customers);
        let p = [0.3, 4.0, 0.8, 2.4];
        for modified in [false, true] {
            let ll = |q: &[f64]| {
                if modified {
                    MbgNbdParams::rows_ll(q, &rows)
                } else {
                    BgNbdParams::rows_ll(q, &rows)
                }
            };
            let (v, g) = bg_ll_grad(&p, &rows, modified);
            assert!((v - ll(&p)).abs() < 1e-9 * v.abs());
            for k in 0..4 {
                let h = 1e-6 * p[k];
                let mut a = p;
                a[k] += h;
                let mut b = p;
                b[k] -= h;
                let fd = (ll(&a) - ll(&b)) / (2.0 * h);
                assert!(
                    (fd - g[k]).abs() < 1e-5 * fd.abs().max(1.0),
                    "modified={modified} k={k}: {fd} vs {}",
                    g[k]
                );
            }
        }
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    /// The batch P(alive) gives each customer's `p_alive` (checked against Fader, Hardie & Lee's
    /// CDNOW figures in the integration tests), including frequencies past the per-frequency
    /// cache, customers without repeat purchases and purchases right at T; a bad row is the same
    /// error.
    #[test]
    fn p_alive_all_matches_p_alive() {
        let customers: Vec<Customer> = (0..3000_u32)
            .map(|i| {
                let x = match i % 4 {
                    0 => 0,
                    1 => 4095 + i % 3,
                    _ => i % 50,
                };
                let t = 1.0 + f64::from(i % 97);
                let tx = if x == 0 {
                    0.0
                } else {
                    t * f64::from(i % 5) / 4.0
                };
                Customer::new(x, tx, t).unwrap()
            })
            .collect();
        let bg = BgNbdParams::new(0.2426, 4.4137, 0.7930, 2.4262, TimeUnit::Week).unwrap();
        let mbg = MbgNbdParams::new(0.525, 6.183, 0.891, 1.614, TimeUnit::Week).unwrap();
        let models: [&dyn TransactionModel; 2] = [&bg, &mbg];
        for m in models {
            let all = m.p_alive_all(&customers).unwrap();
            for (c, p) in customers.iter().zip(&all) {
                let one = m.p_alive(c).unwrap();
                assert!(
                    (p - one).abs() <= 1e-14 * one.max(1e-300),
                    "{c:?}: {p} vs {one}"
                );
            }
            let mut bad = customers.clone();
            bad[7].recency = bad[7].age + 1.0;
            assert_eq!(
                m.p_alive_all(&bad).unwrap_err().to_string(),
                m.p_alive(&bad[7]).unwrap_err().to_string()
            );
        }
    }
}

#[cfg(test)]
mod hessian_tests {
    use super::super::model::fit_checks;
    use super::*;
    use crate::sample::Rng;

    /// BG/NBD customers simulated in whole weeks (few unique rows, so the test is quick).
    fn simulated(n: usize) -> Vec<Customer> {
        let mut rng = Rng::new(5);
        (0..n)
            .map(|_| {
                let lambda = rng.gamma(0.5, 1.0 / 3.0);
                let g1 = rng.gamma(0.9, 1.0);
                let p = g1 / (g1 + rng.gamma(3.0, 1.0));
                let t_end = (10 + rng.below(43)) as f64;
                let (mut t, mut x, mut tx) = (0.0, 0, 0.0);
                loop {
                    t += -(1.0 - rng.uniform()).ln() / lambda;
                    if t.ceil() > t_end {
                        break;
                    }
                    x += 1;
                    tx = t.ceil();
                    if rng.uniform() < p {
                        break;
                    }
                }
                Customer::new(x, tx, t_end).unwrap()
            })
            .collect()
    }

    /// Above 200,000 customers the fit starts from a subsample, refines by Newton's method and
    /// takes the exact Hessian; the plain path (BFGS from the default start, Hessian by central
    /// differences of the gradient) must find the same optimum and the same standard errors,
    /// for BG/NBD and MBG/NBD, with and without the L2 penalizer.
    #[test]
    fn warm_newton_fit_matches_the_plain_fit() {
        let customers = simulated(WARM_START_ABOVE + 10_000);
        let rows = Rows::from_customers(&customers);
        for penalizer in [0.0, 0.001] {
            let options = FitOptions::new().penalizer(penalizer).unwrap();
            let bg = BgNbdParams::fit(&customers, TimeUnit::Week, &options).unwrap();
            compare(&bg, &rows, options, false);
            let mbg = MbgNbdParams::fit(&customers, TimeUnit::Week, &options).unwrap();
            compare(&mbg, &rows, options, true);
        }
    }

    /// Checks `fast`, the public fit, against the plain path on the same rows.
    fn compare<P: ModelParams>(
        fast: &FitReport<P>,
        rows: &Rows,
        options: FitOptions,
        modified: bool,
    ) {
        let ll = |p: &[f64]| {
            if modified {
                MbgNbdParams::rows_ll(p, rows)
            } else {
                BgNbdParams::rows_ll(p, rows)
            }
        };
        let grad = |p: &[f64]| bg_ll_grad(p, rows, modified);
        let max_t = rows.t.iter().fold(0.0_f64, |m, v| m.max(*v));
        let scales = [1.0, max_t / 10.0, 1.0, 1.0];
        let plain: FitReport<P> = fit_model(
            &ll,
            Some(&grad),
            None,
            rows.total,
            &scales,
            None,
            options,
            TimeUnit::Week,
        )
        .unwrap();
        let what = format!("modified={modified} {options:?}");
        fit_checks::assert_same_optimum(fast, &plain, &what);
        // The objective the fit minimizes, -ll/n + penalizer Σ p², agrees (with a penalty the
        // log-likelihood alone is not stationary at the optimum and moves with it).
        let objective = |f: &FitReport<P>| {
            -f.log_likelihood / rows.total
                + options.penalizer * f.params.values().iter().map(|v| v * v).sum::<f64>()
        };
        assert!(
            (objective(fast) - objective(&plain)).abs() < 1e-12,
            "{what}: {} vs {} ({} vs {})",
            objective(fast),
            objective(&plain),
            fast.log_likelihood,
            plain.log_likelihood
        );
        // At the same point the exact Hessian gives the covariance of central differences of
        // the gradient (both without the penalty's constant second derivative).
        let p = plain.params.values();
        let g = |q: &[f64]| bg_ll_grad(q, rows, modified).1;
        fit_checks::assert_covariance_matches(bg_hessian(&p, rows, modified), &g, &p, &what);
    }

    /// Customers with heavy and light buyers, purchases right at T, and no repeat purchases.
    fn rows() -> Rows {
        let mut customers = Vec::new();
        for i in 0..300_u32 {
            let t = 5.0 + f64::from(i % 37) * 1.3;
            let x = match i % 7 {
                0 => 0,
                1 => 180 + i % 11,
                k => k * 3,
            };
            let tx = match (x, i % 3) {
                (0, _) => 0.0,
                (_, 0) => t,
                (_, k) => t * f64::from(k) / 3.5,
            };
            customers.push(Customer::new(x, tx, t).unwrap());
        }
        Rows::from_customers(&customers)
    }

    /// The analytic Hessian against central differences of the analytic gradient (itself
    /// checked against differences of the likelihood) and, independently, against second
    /// differences of the log-likelihood, at ordinary and extreme parameters.
    #[test]
    fn hessian_matches_finite_differences() {
        let rows = rows();
        let sets = [
            [0.24, 4.4, 0.79, 2.4],
            [0.67, 0.59, 0.98, 6.5],
            // Extremes: tiny r and a, huge b; huge r and alpha; a near 1; tiny alpha.
            [1e-3, 2.0, 1e-3, 1e4],
            [5e3, 8e3, 3.0, 0.05],
            [2.0, 1e-4, 1.0 + 1e-9, 1.0],
        ];
        for modified in [false, true] {
            let ll = |q: &[f64]| {
                if modified {
                    MbgNbdParams::rows_ll(q, &rows)
                } else {
                    BgNbdParams::rows_ll(q, &rows)
                }
            };
            for p in &sets {
                let h = bg_hessian(p, &rows, modified);
                let (v, g) = bg_ll_grad(p, &rows, modified);
                let (v2, g2, _) = bg_pass::<true>(p, &rows, modified);
                assert_eq!((v, &g), (v2, &g2));
                for j in 0..4 {
                    let step = 1e-5 * p[j];
                    let mut up = *p;
                    up[j] += step;
                    let mut dn = *p;
                    dn[j] -= step;
                    let gu = bg_ll_grad(&up, &rows, modified).1;
                    let gd = bg_ll_grad(&dn, &rows, modified).1;
                    for i in 0..4 {
                        let fd = (gu[i] - gd[i]) / (2.0 * step);
                        let scale = (h[i][i] * h[j][j]).abs().sqrt().max(fd.abs());
                        assert!(
                            (fd - h[i][j]).abs() < 1e-5 * scale,
                            "modified={modified} p={p:?} ({i},{j}): fd {fd} vs {}",
                            h[i][j]
                        );
                        assert_eq!(h[i][j], h[j][i]);
                    }
                }
            }
            // Second differences of the likelihood itself (no gradient code involved), at an
            // ordinary point: coarser, the truncation error of a second difference is larger.
            let p = [0.67, 0.59, 0.98, 6.5];
            let h = bg_hessian(&p, &rows, modified);
            for i in 0..4 {
                for j in 0..4 {
                    let (si, sj) = (1e-4 * p[i], 1e-4 * p[j]);
                    let at = |di: f64, dj: f64| {
                        let mut q = p;
                        q[i] += di;
                        q[j] += dj;
                        ll(&q)
                    };
                    let fd =
                        (at(si, sj) - at(si, -sj) - at(-si, sj) + at(-si, -sj)) / (4.0 * si * sj);
                    let scale = (h[i][i] * h[j][j]).abs().sqrt();
                    assert!(
                        (fd - h[i][j]).abs() < 1e-4 * scale,
                        "modified={modified} ({i},{j}): fd {fd} vs {}",
                        h[i][j]
                    );
                }
            }
        }
    }
}
