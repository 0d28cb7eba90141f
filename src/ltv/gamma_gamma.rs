//! Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005; Fader & Hardie's
//! note "The Gamma-Gamma Model of Monetary Value", 2013).

use serde::{Deserialize, Serialize};
use statrs::function::gamma::{digamma, ln_gamma};

use super::model::{
    Customer, FitOptions, FitReport, ModelParams, WARM_START_ABOVE, Warm, check_positive, finite,
    fit_model, subsample, sum_rows, sum_rows_vec,
};
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
    fn from_values(v: &[f64]) -> Result<Self> {
        check_positive(Self::NAMES, v)?;
        Ok(GammaGammaParams {
            p: v[0],
            q: v[1],
            gamma: v[2],
        })
    }
}

/// Repeat buyers compressed into unique `(x, monetary)` rows with weights.
struct SpendRows {
    x: Vec<f64>,
    m: Vec<f64>,
    /// `ln m` per row.
    ln_m: Vec<f64>,
    /// Index of each row's frequency in `xs`.
    xi: Vec<u32>,
    /// Distinct frequencies.
    xs: Vec<f64>,
    w: Vec<f64>,
    total: f64,
    /// Customers without repeat purchases, left out.
    skipped: u64,
}

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
        Self::from_values(&[p, q, gamma])
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
        let mean_m = rows.m.iter().zip(&rows.w).map(|(m, w)| m * w).sum::<f64>() / rows.total;
        let ll = |p: &[f64]| -> f64 { rows_ll(p, &rows) };
        debug_assert!(rows.skipped as usize + rows.total as usize == customers.len());
        let grad = |p: &[f64]| -> (f64, Vec<f64>) { rows_ll_grad(p, &rows) };
        let scales = [1.0, 1.0, mean_m.max(1e-9)];
        fit_model::<Self>(&ll, Some(&grad), None, rows.total, &scales, warm, *options)
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
        self.mean_spend()?;
        c.check("")?;
        if c.frequency == 0 {
            return self.mean_spend();
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

fn spend_rows(customers: &[Customer]) -> Result<SpendRows> {
    // Check every row (naming it only when it is bad: formatting costs more than checking),
    // then sort the (x, monetary) keys of the repeat buyers and count runs.
    let mut keys: Vec<(u32, u64)> = Vec::with_capacity(customers.len());
    let mut skipped = 0_u64;
    for (i, c) in customers.iter().enumerate() {
        if c.frequency == 0 {
            if c.check("").is_err() {
                c.check(&format!("row {i}"))?;
            }
            skipped += 1;
            continue;
        }
        if check_buyer(c, "").is_err() {
            check_buyer(c, &format!("row {i}"))?;
        }
        keys.push((c.frequency, c.monetary.to_bits()));
    }
    if keys.is_empty() {
        return Err(Error::Empty(
            "no customer with a repeat purchase: the spend model has nothing to fit",
        ));
    }
    keys.sort_unstable();
    let mut rows = SpendRows {
        x: vec![],
        m: vec![],
        ln_m: vec![],
        xi: vec![],
        xs: vec![],
        w: vec![],
        total: keys.len() as f64,
        skipped,
    };
    for run in keys.chunk_by(|a, b| a == b) {
        let (x, bits) = run[0];
        let (x, m) = (f64::from(x), f64::from_bits(bits));
        if rows.xs.last() != Some(&x) {
            rows.xs.push(x);
        }
        rows.xi.push((rows.xs.len() - 1) as u32);
        rows.x.push(x);
        rows.m.push(m);
        rows.ln_m.push(m.ln());
        rows.w.push(run.len() as f64);
    }
    Ok(rows)
}

fn one_ll(p: f64, q: f64, g: f64, x: f64, m: f64) -> f64 {
    let px = p * x;
    ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q) + q * g.ln() + (px - 1.0) * m.ln() + px * x.ln()
        - (px + q) * (x * m + g).ln()
}

fn rows_ll(par: &[f64], rows: &SpendRows) -> f64 {
    let (p, q, g) = (par[0], par[1], par[2]);
    // Per distinct frequency: lnΓ(px+q) - lnΓ(px) + px ln x.
    let per_x: Vec<f64> = rows
        .xs
        .iter()
        .map(|&x| ln_gamma(p * x + q) - ln_gamma(p * x) + p * x * x.ln())
        .collect();
    let base = -ln_gamma(q) + q * g.ln();
    let sum = sum_rows(rows.x.len(), |i| {
        let (x, px) = (rows.x[i], p * rows.x[i]);
        rows.w[i]
            * (per_x[rows.xi[i] as usize] + (px - 1.0) * rows.ln_m[i]
                - (px + q) * (x * rows.m[i] + g).ln())
    });
    sum + rows.total * base
}

fn rows_ll_grad(par: &[f64], rows: &SpendRows) -> (f64, Vec<f64>) {
    let (p, q, g) = (par[0], par[1], par[2]);
    // Per distinct x: value part, ψ(px+q), ψ(px), ln x.
    let per_x: Vec<(f64, f64, f64, f64)> = rows
        .xs
        .iter()
        .map(|&x| {
            let px = p * x;
            (
                ln_gamma(px + q) - ln_gamma(px) + px * x.ln(),
                digamma(px + q),
                digamma(px),
                x.ln(),
            )
        })
        .collect();
    let ln_g = g.ln();
    let acc = sum_rows_vec(rows.x.len(), 4, |i, acc| {
        let (x, w) = (rows.x[i], rows.w[i]);
        let (v, psi_pq, psi_p, ln_x) = per_x[rows.xi[i] as usize];
        let px = p * x;
        let u = x * rows.m[i] + g;
        let lu = u.ln();
        acc[0] += w * (v + (px - 1.0) * rows.ln_m[i] - (px + q) * lu);
        acc[1] += w * x * (psi_pq - psi_p + rows.ln_m[i] + ln_x - lu);
        acc[2] += w * (psi_pq - lu);
        acc[3] += w * (-(px + q) / u);
    });
    let n = rows.total;
    let value = acc[0] + n * (-ln_gamma(q) + q * ln_g);
    (
        value,
        vec![
            acc[1],
            acc[2] + n * (-digamma(q) + ln_g),
            acc[3] + n * q / g,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
