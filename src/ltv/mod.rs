//! Customer lifetime value: unit economics and the BTYD ("buy 'til you die") models.
//!
//! * [`economics`] — unit economics: ARPU, ARPPU, churn, simple and discounted LTV, CAC per
//!   acquisition channel, LTV/CAC, payback period.
//! * [`cohort`] — the per-user acquisition ledger (a mergeable fold) and realized cohort LTV
//!   by periods since acquisition, per cohort and per channel.
//! * [`BtydSummary`] — transaction log → per-customer frequency, recency, T and mean repeat
//!   spend, with an optional holdout period (a mergeable fold).
//! * Purchase-count models fitted by maximum likelihood, each a [`TransactionModel`]:
//!   [`BgNbdParams`] (BG/NBD, Fader, Hardie & Lee 2005), [`MbgNbdParams`] (MBG/NBD, Batislam
//!   et al. 2007), [`ParetoNbdParams`] (Pareto/NBD, Schmittlein et al. 1987). Predictions:
//!   P(alive), expected purchases in `(T, T+t]`, unconditional `E[X(t)]`, `P(X(t) = n)`.
//! * [`GammaGammaParams`] — spend per transaction; expected spend per customer.
//! * [`clv`] / [`ClvReport`] — value over a horizon with monthly discounting.
//!
//! Fits report parameters, log-likelihood, standard errors from the Hessian and whether the
//! optimizer truly converged ([`FitReport`]); they run on unique `(x, t_x, T)` rows with
//! weights, with per-frequency and per-age terms computed once per distinct value. BG/NBD,
//! MBG/NBD and Gamma-Gamma have exact gradients (BFGS on the log-parameters) and exact
//! Hessians (the standard errors); Pareto/NBD uses Nelder–Mead then Newton steps. Above 200,000
//! customers a fit starts from the estimates on an evenly spaced 50,000-customer subsample
//! (and, with an exact Hessian, refines them by Newton's method). A fit that runs off to a boundary (a parameter
//! going to 0 or infinity) is reported with `converged: false` and a message. Likelihoods are computed in log space; the Pareto/NBD likelihood avoids the
//! difference of two ₂F₁ values that makes other libraries return NaN for heavy buyers whose
//! last purchase is close to `T`.
//!
//! ```
//! use userops::ltv::{BgNbdParams, Customer, FitOptions, TimeUnit, TransactionModel};
//! let customers = vec![
//!     Customer::new(2, 30.43, 38.86)?,
//!     Customer::new(1, 1.71, 38.86)?,
//!     Customer::new(0, 0.0, 38.86)?,
//!     Customer::new(0, 0.0, 38.86)?,
//!     Customer::new(5, 35.0, 38.86)?,
//!     Customer::new(0, 0.0, 30.0)?,
//! ];
//! let fit = BgNbdParams::fit(&customers, TimeUnit::Week, &FitOptions::new())?;
//! let p = fit.params.p_alive(&customers[0])?;
//! assert!((0.0..=1.0).contains(&p));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bgnbd;
mod clv;
pub mod cohort;
pub mod economics;
mod gamma_gamma;
mod keys;
mod model;
mod optim;
mod pareto;
pub mod special;
mod summary;

pub use bgnbd::{BgNbdParams, MbgNbdParams};
pub use clv::{ClvOptions, ClvReport, CustomerValue, MAX_CLV_MONTHS, clv};
pub use gamma_gamma::GammaGammaParams;
pub use model::{Customer, FitOptions, FitReport, ModelParams, TimeUnit, TransactionModel};
pub use pareto::ParetoNbdParams;
pub use summary::{BtydReport, BtydSummary, CustomerSummary};
