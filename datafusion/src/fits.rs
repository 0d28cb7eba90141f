//! BTYD fits in SQL, over per-customer rows (such as `btyd_summary`'s), each by maximum
//! likelihood exactly as the core fits it (default [`FitOptions`], no penalizer):
//!
//! * `bgnbd_fit(frequency, recency, t [, n])` — BG/NBD ([`BgNbdParams`]): `r`, `alpha`, `a`, `b`;
//! * `pareto_nbd_fit(frequency, recency, t [, n])` — Pareto/NBD ([`ParetoNbdParams`]): `r`,
//!   `alpha`, `s`, `beta`;
//! * `gamma_gamma_fit(frequency, monetary_value [, n])` — Gamma-Gamma ([`GammaGammaParams`]) on
//!   the repeat buyers (`frequency > 0`): `p`, `q`, `gamma`.
//!
//! Each returns one struct: the parameters, `log_likelihood`, `customers` (those the fit used)
//! and `converged`. `n`, when given, is how many customers a row stands for, so that a query
//! can first reduce the customers to their unique rows
//! (`SELECT frequency, recency, t, count(*) AS n ... GROUP BY frequency, recency, t`).
//! Recency and `T` are in whatever unit the rows are (the fitted `alpha`, `beta` are in it).

use userops::ltv::{
    BgNbdParams, Customer, FitOptions, FitReport, GammaGammaParams, ParetoNbdParams, TimeUnit,
};

use crate::unique_rows::CustomerFit;

/// `bgnbd_fit(frequency, recency, t [, n])`.
#[derive(Debug)]
pub(crate) struct BgNbdFit;

impl CustomerFit for BgNbdFit {
    const NAME: &'static str = "bgnbd_fit";
    const USAGE: &'static str = "bgnbd_fit(frequency, recency, t [, n])";
    const COLUMNS: &'static [&'static str] = &["frequency", "recency", "t"];
    type Params = BgNbdParams;

    fn customer(frequency: u32, v: &[f64]) -> Customer {
        transaction_customer(frequency, v)
    }

    fn fit(customers: &[Customer]) -> userops::Result<FitReport<BgNbdParams>> {
        // The unit only labels the parameters (and weighs a penalizer, which is 0 here).
        BgNbdParams::fit(customers, TimeUnit::Week, &FitOptions::new())
    }
}

/// `pareto_nbd_fit(frequency, recency, t [, n])`.
#[derive(Debug)]
pub(crate) struct ParetoNbdFit;

impl CustomerFit for ParetoNbdFit {
    const NAME: &'static str = "pareto_nbd_fit";
    const USAGE: &'static str = "pareto_nbd_fit(frequency, recency, t [, n])";
    const COLUMNS: &'static [&'static str] = &["frequency", "recency", "t"];
    type Params = ParetoNbdParams;

    fn customer(frequency: u32, v: &[f64]) -> Customer {
        transaction_customer(frequency, v)
    }

    fn fit(customers: &[Customer]) -> userops::Result<FitReport<ParetoNbdParams>> {
        ParetoNbdParams::fit(customers, TimeUnit::Week, &FitOptions::new())
    }
}

/// `gamma_gamma_fit(frequency, monetary_value [, n])`.
#[derive(Debug)]
pub(crate) struct GammaGammaFit;

impl CustomerFit for GammaGammaFit {
    const NAME: &'static str = "gamma_gamma_fit";
    const USAGE: &'static str = "gamma_gamma_fit(frequency, monetary_value [, n])";
    const COLUMNS: &'static [&'static str] = &["frequency", "monetary_value"];
    type Params = GammaGammaParams;

    fn customer(frequency: u32, v: &[f64]) -> Customer {
        // Recency and T play no part in the spend model.
        Customer {
            frequency,
            recency: 0.0,
            age: 0.0,
            monetary: v[0],
        }
    }

    fn fit(customers: &[Customer]) -> userops::Result<FitReport<GammaGammaParams>> {
        GammaGammaParams::fit(customers, &FitOptions::new())
    }
}

/// The purchase-count models' row: frequency, recency, T.
fn transaction_customer(frequency: u32, v: &[f64]) -> Customer {
    Customer {
        frequency,
        recency: v[0],
        age: v[1],
        monetary: 0.0,
    }
}
