//! LTV / CAC and customer lifetime value.
//!
//! * [`economics`] — unit economics: ARPU, ARPPU, churn, simple and discounted LTV, CAC per
//!   acquisition channel, LTV/CAC, payback period.
//! * [`cohort`] — the per-user acquisition ledger (a mergeable fold) and realized cohort LTV
//!   by periods since acquisition, per cohort and per channel.

pub mod cohort;
pub mod economics;
