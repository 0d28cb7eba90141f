//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie's
//! note "The Gamma-Gamma Model of Monetary Value", 2013).

use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

use super::model::{
    Customer, FitOptions, FitReport, ModelParams, TimeUnit, WARM_START_ABOVE, Warm, check_positive,
    finite, fit_model, subsample, sum_rows, sum_rows_vec,
};
use super::special::trigamma;
use crate::{Error, Result};

/// Gamma-Gamma parameters: a customer's transactions are `Gamma(p, ν)`, and `ν ~ Gamma(q, γ)`
/// across customers.
///
/// ```
/// use userops::ltv::{Customer, GammaGammaParams};
/// let gg = GammaGammaParams::new(6.25, 3.74, 15.44)?;
/// // The population mean spend p γ / (q - 1) = 6.25 * 15.44 / 2.74
/// assert!((gg.mean_spend()? - 35.218).abs() < 1e-3);
/// // A customer's expected spend shrinks their own mean towards it.
/// let c = Customer::new(2, 30.43, 38.86)?.with_monetary(22.35);
/// let e = gg.expected_spend(&c)?;
/// assert!(e > 22.35 && e < 35.22);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    /// Shape of each transaction's gamma.
    pub p: f64,
    /// Shape of the gamma of `ν` across customers.
    pub q: f64,
    /// Rate of the gamma of `ν` across customers (a money amount).
    pub gamma: f64,
}

impl ModelParams for GammaGammaParams {
    const MODEL: &'static str = "gamma-gamma";
    const NAMES: &'static [&'static str] = &["p", "q", "gamma"];
    fn values(&self) -> Vec<f64> {
        vec![self.p, self.q, self.gamma]
    }
    /// Spend has no time unit: `_unit` is ignored.
    fn from_values(v: &[f64], _unit: TimeUnit) -> Result<Self> {
        check_positive(Self::NAMES, v)?;
        Ok(GammaGammaParams {
            p: v[0],
            q: v[1],
            gamma: v[2],
        })
    }
    fn time_unit(&self) -> Option<TimeUnit> {
        None
    }
}

/// Repeat buyers as `(x, monetary)` rows with weights, and the sums the likelihood needs that
/// do not depend on the parameters.
///
/// Below [`SORT_ROWS_BELOW`] customers the rows are the unique `(x, monetary)` pairs (sorted);
/// above, one row per buyer in input order: mean spends are almost all distinct, so sorting
/// them to merge duplicates costs more than the passes it saves.
struct SpendRows {
    x: Vec<f64>,
    m: Vec<f64>,
    /// Weight of each row; empty when every row is one buyer (weight 1).
    w: Vec<f64>,
    /// Distinct frequencies, ascending.
    xs: Vec<f64>,
    /// Total weight of the rows with each distinct frequency.
    xw: Vec<f64>,
    total: f64,
    /// Mean spend of the buyers.
    mean_m: f64,
    /// `Σ w ln m` and `Σ w x ln m`.
    s_ln_m: f64,
    s_x_ln_m: f64,
    /// Customers without repeat purchases, left out.
    skipped: u64,
}

impl SpendRows {
    fn len(&self) -> usize {
        self.x.len()
    }

    fn weight(&self, i: usize) -> f64 {
        self.w.get(i).copied().unwrap_or(1.0)
    }
}

/// Customers below which the spend rows are sorted and merged (see [`SpendRows`]). Above, one
/// row per buyer measured faster even on spends in whole cents (946k buyers: 0.066 s against
/// 0.098 s for sorting and merging), and on continuous spends nothing merges at all.
const SORT_ROWS_BELOW: usize = 200_000;

impl GammaGammaParams {
    /// Checked parameters `(p, q, gamma)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] unless all are finite and `> 0`.
    ///
    /// ```
    /// assert!(userops::ltv::GammaGammaParams::new(6.25, 3.74, 15.44).is_ok());
    /// assert!(userops::ltv::GammaGammaParams::new(6.25, f64::NAN, 15.44).is_err());
    /// ```
    pub fn new(p: f64, q: f64, gamma: f64) -> Result<Self> {
        check_positive(Self::NAMES, &[p, q, gamma])?;
        Ok(GammaGammaParams { p, q, gamma })
    }

    /// Fits the model by maximum likelihood to the repeat buyers among `customers`
    /// (`frequency > 0`; the others carry no spend information and are left out — the report's
    /// `customers` counts the buyers used).
    ///
    /// # Errors
    /// [`Error::Empty`] when no customer has a repeat purchase; [`Error::InvalidInput`] when a
    /// repeat buyer's monetary value is not a finite number `> 0` (the model is for positive
    /// spend); an invalid customer row.
    ///
    /// ```
    /// use userops::ltv::{Customer, FitOptions, GammaGammaParams};
    /// let data: Vec<Customer> = (1..300)
    ///     .map(|i| Ok(Customer::new(1 + i % 5, 1.0, 10.0)?.with_monetary(10.0 + (i % 17) as f64)))
    ///     .collect::<userops::Result<_>>()?;
    /// let fit = GammaGammaParams::fit(&data, &FitOptions::new())?;
    /// assert!(fit.params.p > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fit(customers: &[Customer], options: &FitOptions) -> Result<FitReport<Self>> {
        let rows = spend_rows(customers)?;
        // Large data: start from the estimates on an evenly spaced subsample.
        let warm = if customers.len() > WARM_START_ABOVE {
            Warm::from(Self::fit(&subsample(customers), options))
        } else {
            None
        };
        let mean_m = rows.mean_m;
        let ll = |p: &[f64]| -> f64 { rows_ll(p, &rows) };
        debug_assert!(rows.skipped as usize + rows.total as usize == customers.len());
        let grad = |p: &[f64]| -> (f64, Vec<f64>) { rows_ll_grad(p, &rows) };
        let hess = |p: &[f64]| spend_pass::<true>(p, &rows);
        let scales = [1.0, 1.0, mean_m.max(1e-9)];
        fit_model::<Self>(
            &ll,
            Some(&grad),
            Some(&hess),
            rows.total,
            &scales,
            warm,
            *options,
            // Spend per transaction has no time unit; the parameters ignore it.
            TimeUnit::Day,
        )
    }

    /// Log-likelihood of one repeat buyer's mean spend.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a customer without repeat purchases or with spend `<= 0`.
    ///
    /// ```
    /// let gg = userops::ltv::GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// let c = userops::ltv::Customer::new(2, 30.43, 38.86)?.with_monetary(22.35);
    /// assert!(gg.log_likelihood(&c)? < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_likelihood(&self, c: &Customer) -> Result<f64> {
        check_buyer(c, "")?;
        let x = f64::from(c.frequency);
        finite(
            "log_likelihood",
            one_ll(self.p, self.q, self.gamma, x, c.monetary),
        )
    }

    /// The population's mean spend per transaction, `p γ / (q - 1)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming `q` when `q <= 1` (the mean does not exist).
    ///
    /// ```
    /// assert!(userops::ltv::GammaGammaParams::new(1.0, 0.9, 1.0)?.mean_spend().is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mean_spend(&self) -> Result<f64> {
        if self.q <= 1.0 {
            return Err(Error::invalid(
                "q",
                format!("the mean spend needs q > 1, got {}", self.q),
            ));
        }
        Ok(self.p * self.gamma / (self.q - 1.0))
    }

    /// A customer's expected spend per transaction given `x` repeat purchases with mean
    /// `monetary`: `p (γ + x m̄) / (p x + q - 1)`. For `x = 0` it is the population mean.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `q <= 1`; an invalid row; a non-finite or negative
    /// monetary value for a repeat buyer.
    ///
    /// ```
    /// let gg = userops::ltv::GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// let new = userops::ltv::Customer::new(0, 0.0, 10.0)?;
    /// assert_eq!(gg.expected_spend(&new)?, gg.mean_spend()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_spend(&self, c: &Customer) -> Result<f64> {
        let mean = self.mean_spend()?;
        c.check("")?;
        self.expected_spend_checked(c, mean)
    }

    /// [`GammaGammaParams::expected_spend`] of a row already checked, `mean` the mean spend.
    pub(crate) fn expected_spend_checked(&self, c: &Customer, mean: f64) -> Result<f64> {
        if c.frequency == 0 {
            return Ok(mean);
        }
        if c.monetary < 0.0 {
            return Err(Error::Negative {
                field: "monetary",
                value: c.monetary,
                user: String::new(),
                hint: "; the spend model needs positive spend",
            });
        }
        let x = f64::from(c.frequency);
        finite(
            "expected_spend",
            self.p * (self.gamma + x * c.monetary) / (self.p * x + self.q - 1.0),
        )
    }
}

fn check_buyer(c: &Customer, who: &str) -> Result<()> {
    c.check(who)?;
    if c.frequency == 0 {
        return Err(Error::InvalidInput(format!(
            "{who}: the spend model needs repeat purchases (frequency > 0); this customer has none"
        )));
    }
    if c.monetary.is_nan() || c.monetary <= 0.0 {
        return Err(Error::InvalidInput(format!(
            "{who}: monetary value {} is not > 0: the Gamma-Gamma model is for positive spend",
            c.monetary
        )));
    }
    Ok(())
}

/// A sum of logarithms `Σ ln mᵢ` of positive numbers kept as `ln(Π fᵢ) + (Σ eᵢ) ln 2` with
/// `mᵢ = fᵢ 2^eᵢ`, `fᵢ ∈ [1, 2)`: a multiplication per term instead of a logarithm. The
/// product is renormalized before it can overflow; subnormal numbers take the logarithm.
#[derive(Debug, Clone, Copy)]
struct LnSum {
    product: f64,
    exponent: i64,
    direct: f64,
}

impl Default for LnSum {
    fn default() -> Self {
        LnSum {
            product: 1.0,
            exponent: 0,
            direct: 0.0,
        }
    }
}

impl LnSum {
    const MANTISSA: u64 = (1 << 52) - 1;
    const ONE: u64 = 1023 << 52;

    /// `v = f 2^e` with `f ∈ [1, 2)`, for a positive normal `v`.
    fn split(v: f64) -> (f64, i64) {
        let bits = v.to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
        (f64::from_bits((bits & Self::MANTISSA) | Self::ONE), e)
    }

    fn add(&mut self, m: f64) {
        if !m.is_normal() {
            self.direct += m.ln();
            return;
        }
        let (f, e) = Self::split(m);
        self.product *= f;
        self.exponent += e;
        // At most 2^1000 before the next factor (< 2) is taken in.
        if self.product >= 1e300 {
            let (f, e) = Self::split(self.product);
            self.product = f;
            self.exponent += e;
        }
    }

    fn value(&self) -> f64 {
        self.product.ln() + self.exponent as f64 * std::f64::consts::LN_2 + self.direct
    }
}

fn spend_rows(customers: &[Customer]) -> Result<SpendRows> {
    spend_rows_by(customers, None)
}

/// [`spend_rows`], with the choice between merged and per-buyer rows forced by `merge`.
fn spend_rows_by(customers: &[Customer], merge: Option<bool>) -> Result<SpendRows> {
    let merge = merge.unwrap_or(customers.len() < SORT_ROWS_BELOW);
    let mut rows = SpendRows {
        x: vec![],
        m: vec![],
        w: vec![],
        xs: vec![],
        xw: vec![],
        total: 0.0,
        mean_m: 0.0,
        s_ln_m: 0.0,
        s_x_ln_m: 0.0,
        skipped: 0,
    };
    // Check every row (naming it only when it is bad: formatting costs more than checking).
    let mut keys: Vec<(u32, u64)> = Vec::new();
    // Buyers per frequency below 2^16; larger frequencies listed apart.
    let mut counts: Vec<f64> = Vec::new();
    let mut large: Vec<u32> = Vec::new();
    // Σ ln m of the buyers with each frequency below 2^16.
    let mut ln_m: Vec<LnSum> = Vec::new();
    if !merge {
        rows.x.reserve(customers.len());
        rows.m.reserve(customers.len());
    }
    let mut sum_m = 0.0;
    for (i, c) in customers.iter().enumerate() {
        if c.frequency == 0 {
            if !c.is_valid() {
                c.check(&format!("row {i}"))?;
            }
            rows.skipped += 1;
            continue;
        }
        if !(c.is_valid() && c.monetary > 0.0) {
            check_buyer(c, &format!("row {i}"))?;
        }
        sum_m += c.monetary;
        if merge {
            keys.push((c.frequency, c.monetary.to_bits()));
            continue;
        }
        let x = f64::from(c.frequency);
        rows.x.push(x);
        rows.m.push(c.monetary);
        let f = c.frequency as usize;
        if f >= counts.len() && f < 1 << 16 {
            counts.resize(f + 1, 0.0);
            ln_m.resize(f + 1, LnSum::default());
        }
        match (counts.get_mut(f), ln_m.get_mut(f)) {
            (Some(count), Some(sum)) => {
                *count += 1.0;
                sum.add(c.monetary);
            }
            _ => {
                large.push(c.frequency);
                let lm = c.monetary.ln();
                rows.s_ln_m += lm;
                rows.s_x_ln_m += x * lm;
            }
        }
    }
    for (f, sum) in ln_m.iter().enumerate() {
        let l = sum.value();
        rows.s_ln_m += l;
        rows.s_x_ln_m += f as f64 * l;
    }
    let buyers = rows.skipped as usize;
    let buyers = customers.len() - buyers;
    if buyers == 0 {
        return Err(Error::Empty(
            "no customer with a repeat purchase: the spend model has nothing to fit",
        ));
    }
    rows.total = buyers as f64;
    rows.mean_m = sum_m / rows.total;
    if merge {
        // Sort the (x, monetary) keys and count runs.
        keys.sort_unstable();
        for run in keys.chunk_by(|a, b| a == b) {
            let (x, bits) = run[0];
            let (x, m, w) = (f64::from(x), f64::from_bits(bits), run.len() as f64);
            if rows.xs.last() != Some(&x) {
                rows.xs.push(x);
                rows.xw.push(0.0);
            }
            if let Some(xw) = rows.xw.last_mut() {
                *xw += w;
            }
            rows.x.push(x);
            rows.m.push(m);
            rows.w.push(w);
            let lm = m.ln();
            rows.s_ln_m += w * lm;
            rows.s_x_ln_m += w * x * lm;
        }
    } else {
        for (f, &c) in counts.iter().enumerate() {
            if c > 0.0 {
                rows.xs.push(f as f64);
                rows.xw.push(c);
            }
        }
        large.sort_unstable();
        for run in large.chunk_by(|a, b| a == b) {
            rows.xs.push(f64::from(run[0]));
            rows.xw.push(run.len() as f64);
        }
    }
    Ok(rows)
}

fn one_ll(p: f64, q: f64, g: f64, x: f64, m: f64) -> f64 {
    let px = p * x;
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * g.ln() + (px - 1.0) * m.ln() + px * x.ln()
        - (px + q) * (x * m + g).ln()
}

/// The log-likelihood row by row, straight from the formula (the reference the fast passes
/// are tested against, and the objective of the derivative-free fallback).
fn rows_ll(par: &[f64], rows: &SpendRows) -> f64 {
    let (p, q, g) = (par[0], par[1], par[2]);
    // Per distinct frequency: lnΓ(px+q) - lnΓ(px) + px ln x.
    let per_x: Vec<f64> = rows
        .xs
        .iter()
        .map(|&x| ln_gamma(p * x + q) - ln_gamma(p * x) + p * x * x.ln())
        .collect();
    let base = -ln_gamma(q) + q * g.ln();
    let sum = sum_rows(rows.len(), |i| {
        let (x, px) = (rows.x[i], p * rows.x[i]);
        let k = rows.xs.partition_point(|v| *v < x);
        rows.weight(i)
            * (per_x.get(k).copied().unwrap_or(f64::NAN) + (px - 1.0) * rows.m[i].ln()
                - (px + q) * (x * rows.m[i] + g).ln())
    });
    sum + rows.total * base
}

fn rows_ll_grad(par: &[f64], rows: &SpendRows) -> (f64, Vec<f64>) {
    let (value, grad, _) = spend_pass::<false>(par, rows);
    (value, grad)
}

#[cfg(test)]
fn rows_hessian(par: &[f64], rows: &SpendRows) -> Vec<Vec<f64>> {
    spend_pass::<true>(par, rows).2
}

/// One pass over the rows: log-likelihood, gradient and (with `HESS`) Hessian in `(p, q, γ)`.
///
/// Per buyer the log-likelihood is
/// `lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln γ + (px-1) ln m + px ln x - (px+q) ln u`
/// with `u = x m + γ`. Only `ln u` and `1/u` vary by row: the pass sums
/// `w x ln u`, `w ln u`, `w x/u`, `w/u` (and `w x/u²`, `w/u²`); the terms in `x` alone are
/// summed per distinct frequency with its total weight, those in `m` alone once per fit.
/// Second derivatives: `∂²/∂p² = x² (ψ₁(px+q) - ψ₁(px))`, `∂²/∂p∂q = x ψ₁(px+q)`,
/// `∂²/∂p∂γ = -x/u`, `∂²/∂q² = ψ₁(px+q) - ψ₁(q)`, `∂²/∂q∂γ = 1/γ - 1/u`,
/// `∂²/∂γ² = -q/γ² + (px+q)/u²`.
fn spend_pass<const HESS: bool>(par: &[f64], rows: &SpendRows) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let (p, q, g) = (par[0], par[1], par[2]);
    let n = rows.total;
    let ln_g = g.ln();
    // Terms in x alone, weighted by the rows with each frequency.
    let (mut v, mut gp, mut gq) = (0.0, 0.0, 0.0);
    let (mut hpp, mut hpq, mut hqq) = (0.0, 0.0, 0.0);
    for (&x, &wx) in rows.xs.iter().zip(&rows.xw) {
        let px = p * x;
        let psi_pq = digamma(px + q);
        v += wx * (ln_gamma(px + q) - ln_gamma(px) + px * x.ln());
        gp += wx * x * (psi_pq - digamma(px) + x.ln());
        gq += wx * psi_pq;
        if HESS {
            let t1 = trigamma(px + q);
            hpp += wx * x * x * (t1 - trigamma(px));
            hpq += wx * x * t1;
            hqq += wx * t1;
        }
    }
    let acc = sum_rows_vec(rows.len(), if HESS { 6 } else { 4 }, |i, acc| {
        let (x, w) = (rows.x[i], rows.weight(i));
        let u = x * rows.m[i] + g;
        let lu = u.ln();
        let iu = 1.0 / u;
        let wx = w * x;
        acc[0] += wx * lu;
        acc[1] += w * lu;
        acc[2] += wx * iu;
        acc[3] += w * iu;
        if HESS {
            acc[4] += wx * iu * iu;
            acc[5] += w * iu * iu;
        }
    });
    let value = v + p * rows.s_x_ln_m - rows.s_ln_m - (p * acc[0] + q * acc[1])
        + n * (-ln_gamma(q) + q * ln_g);
    let grad = vec![
        gp + rows.s_x_ln_m - acc[0],
        gq - acc[1] + n * (-digamma(q) + ln_g),
        n * q / g - (p * acc[2] + q * acc[3]),
    ];
    let hess = if HESS {
        let hpg = -acc[2];
        let hqg = n / g - acc[3];
        let hgg = -n * q / (g * g) + p * acc[4] + q * acc[5];
        let hqq = hqq - n * trigamma(q);
        vec![
            vec![hpp, hpq, hpg],
            vec![hpq, hqq, hqg],
            vec![hpg, hqg, hgg],
        ]
    } else {
        Vec::new()
    };
    (value, grad, hess)
}

#[cfg(test)]
mod tests {
    use super::super::model::fit_checks;
    use super::*;

    /// Buyers with one to 400 repeat purchases, repeated spends and a very small one.
    fn buyers() -> Vec<Customer> {
        (1..400_u32)
            .map(|i| {
                let x = match i % 5 {
                    0 => 400,
                    k => k,
                };
                let m = if i == 7 {
                    1e-3
                } else {
                    5.0 + f64::from(i % 13) * 1.7
                };
                Customer::new(x, 1.0, 2.0).unwrap().with_monetary(m)
            })
            .collect()
    }

    /// The exact Hessian against central differences of the gradient and second differences
    /// of the row-by-row likelihood, at ordinary and extreme parameters, on merged and on
    /// per-buyer rows (which must give the same likelihood).
    #[test]
    fn hessian_matches_finite_differences() {
        let customers = buyers();
        let merged = spend_rows_by(&customers, Some(true)).unwrap();
        let single = spend_rows_by(&customers, Some(false)).unwrap();
        assert!(merged.x.len() < single.x.len());
        let sets = [
            [6.0, 3.5, 15.0],
            [0.31, 2.79, 69.7],
            // Extremes: tiny p, huge q and gamma; huge p, tiny q and gamma.
            [1e-3, 5e3, 1e5],
            [2e3, 1e-2, 1e-3],
        ];
        for rows in [&merged, &single] {
            for par in &sets {
                let h = rows_hessian(par, rows);
                let (v, g) = rows_ll_grad(par, rows);
                let plain = rows_ll(par, rows);
                assert!((v - plain).abs() < 1e-10 * plain.abs(), "{v} vs {plain}");
                assert!(
                    (v - rows_ll(par, &merged)).abs() < 1e-10 * v.abs(),
                    "merged and per-buyer rows disagree"
                );
                for j in 0..3 {
                    // Steps of 1e-3 relative: at p x near 1e6 the rounding of the gradient (whose
                    // terms are 1e5 times larger than it) swamps smaller ones; the truncation
                    // error, about 1e-6 relative, stays below the tolerance.
                    let step = 1e-3 * par[j];
                    let mut up = *par;
                    up[j] += step;
                    let mut dn = *par;
                    dn[j] -= step;
                    let gu = rows_ll_grad(&up, rows).1;
                    let gd = rows_ll_grad(&dn, rows).1;
                    for i in 0..3 {
                        let fd = (gu[i] - gd[i]) / (2.0 * step);
                        let scale = (h[i][i] * h[j][j]).abs().sqrt().max(fd.abs());
                        assert!(
                            (fd - h[i][j]).abs() < 1e-5 * scale,
                            "{par:?} ({i},{j}): fd {fd} vs {} (g {g:?})",
                            h[i][j]
                        );
                        assert_eq!(h[i][j], h[j][i]);
                    }
                }
            }
            // ∂²/∂p² = Σ x² (ψ₁(px+q) - ψ₁(px)) at p = 2000, q = 0.01, where the two trigammas
            // agree to 5-8 digits: mpmath (40 digits) gives -9.977065289357964e-7.
            let h = rows_hessian(&sets[3], rows);
            assert!((h[0][0] / -9.977_065_289_357_964e-7 - 1.0).abs() < 1e-8);
            let par = [6.0, 3.5, 15.0];
            let h = rows_hessian(&par, rows);
            for i in 0..3 {
                for j in 0..3 {
                    let (si, sj) = (1e-4 * par[i], 1e-4 * par[j]);
                    let at = |di: f64, dj: f64| {
                        let mut q = par;
                        q[i] += di;
                        q[j] += dj;
                        rows_ll(&q, rows)
                    };
                    let fd =
                        (at(si, sj) - at(si, -sj) - at(-si, sj) + at(-si, -sj)) / (4.0 * si * sj);
                    let scale = (h[i][i] * h[j][j]).abs().sqrt();
                    assert!(
                        (fd - h[i][j]).abs() < 1e-4 * scale,
                        "({i},{j}): fd {fd} vs {}",
                        h[i][j]
                    );
                }
            }
        }
    }

    /// Above 200,000 customers the fit runs on per-buyer rows, starts from a subsample,
    /// refines by Newton's method and takes the exact Hessian; the plain path (merged rows, BFGS
    /// from the default start, Hessian by central differences of the gradient) must find the
    /// same optimum and the same standard errors.
    #[test]
    fn warm_newton_fit_matches_the_plain_fit() {
        let mut rng = crate::sample::Rng::new(9);
        let customers: Vec<Customer> = (0..WARM_START_ABOVE + 10_000)
            .map(|_| {
                let x = 1 + rng.below(6) as u32;
                // Spends of Gamma(p = 4, ν) with ν ~ Gamma(q = 3, γ = 20), in cents.
                let nu = rng.gamma(3.0, 1.0 / 20.0);
                let mean = (0..x).map(|_| rng.gamma(4.0, 1.0 / nu)).sum::<f64>() / f64::from(x);
                Customer::new(x, 1.0, 2.0)
                    .unwrap()
                    .with_monetary((mean * 100.0).round().max(1.0) / 100.0)
            })
            .collect();
        let options = FitOptions::new();
        let fast = GammaGammaParams::fit(&customers, &options).unwrap();
        let rows = spend_rows_by(&customers, Some(true)).unwrap();
        let ll = |p: &[f64]| rows_ll(p, &rows);
        let grad = |p: &[f64]| rows_ll_grad(p, &rows);
        let scales = [1.0, 1.0, rows.mean_m];
        let plain: FitReport<GammaGammaParams> = fit_model(
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
        // Standard errors within 1 % also because p, q, γ are so correlated that the inverse
        // Hessian moves faster than the Hessian.
        fit_checks::assert_same_optimum(&fast, &plain, "gamma-gamma");
        assert!((fast.log_likelihood - plain.log_likelihood).abs() < 1e-6);
        // At the same point the exact Hessian gives the covariance of central differences of
        // the gradient.
        let p = plain.params.values();
        let g = |q: &[f64]| rows_ll_grad(q, &rows).1;
        fit_checks::assert_covariance_matches(
            spend_pass::<true>(&p, &rows).2,
            &g,
            &p,
            "gamma-gamma",
        );
    }

    #[test]
    fn ln_sum_matches_the_sum_of_logarithms() {
        // Against Σ ln m term by term (std's ln): tiny, huge, subnormal and ordinary values,
        // enough of them to renormalize the product many times.
        let mut s = LnSum::default();
        let mut want = 0.0;
        for i in 0..100_000_u32 {
            let m = match i % 5 {
                0 => 1e-300 * f64::from(i + 1),
                1 => 1e300 / f64::from(i + 1),
                2 => 5e-320,
                _ => 1.0 + f64::from(i % 977) * 0.37,
            };
            s.add(m);
            want += m.ln();
        }
        assert!(
            (s.value() - want).abs() < 1e-12 * want.abs(),
            "{} vs {want}",
            s.value()
        );
        assert_eq!(LnSum::default().value(), 0.0);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let customers: Vec<Customer> = (1..60)
            .map(|i| {
                Customer::new(1 + i % 4, 1.0, 2.0)
                    .unwrap()
                    .with_monetary(5.0 + f64::from(i % 13) * 1.7)
            })
            .collect();
        let rows = spend_rows(&customers).unwrap();
        let p = [6.0, 3.5, 15.0];
        let (v, g) = rows_ll_grad(&p, &rows);
        assert!((v - rows_ll(&p, &rows)).abs() < 1e-9 * v.abs());
        for k in 0..3 {
            let h = 1e-6 * p[k];
            let mut a = p;
            a[k] += h;
            let mut b = p;
            b[k] -= h;
            let fd = (rows_ll(&a, &rows) - rows_ll(&b, &rows)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-5 * fd.abs().max(1.0),
                "k={k}: {fd} vs {}",
                g[k]
            );
        }
    }
}
