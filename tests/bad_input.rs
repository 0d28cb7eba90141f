//! The bad-input catalogue: a table of bad inputs × entry points with the exact error each
//! must give. Nothing panics; nothing returns NaN where a number is promised.
//!
//! Each module keeps its rows in `tests/bad_input/<module>.rs`.

#[path = "bad_input/foundation.rs"]
mod foundation;
#[path = "bad_input/hostile.rs"]
mod hostile;
#[path = "bad_input/lifecycle.rs"]
mod lifecycle;
#[path = "bad_input/ltv.rs"]
mod ltv;
#[path = "bad_input/ltv_economics.rs"]
mod ltv_economics;
#[path = "bad_input/metric.rs"]
mod metric;
#[path = "bad_input/ops.rs"]
mod ops;
#[path = "bad_input/retention.rs"]
mod retention;
#[path = "bad_input/rfm.rs"]
mod rfm;
