//! The crate's one policy for sums and counts that could overflow: an overflow is an
//! [`Error::Overflow`] naming what overflowed, never an `inf`, a NaN or a wrapped count.
//!
//! * `f64` sums (revenue, moments, test statistics) go through [`finite`] / [`add`]: a sum
//!   that leaves the finite numbers (beyond ±1.8e308) is an error.
//! * Integer counts (orders, customers) go through [`add_count`] (`checked_add`).

use crate::{Error, Result};

/// What to do when a money or value sum overflows.
pub(crate) const SCALE_HINT: &str =
    "the values are too large to add up: rescale them (e.g. cents to millions) and run again";

/// What to do when a count overflows.
pub(crate) const COUNT_HINT: &str = "the counts pass u64::MAX: split the data and report the parts";

/// `x` when it is finite, else [`Error::Overflow`] naming `what`.
pub(crate) fn finite(x: f64, what: impl FnOnce() -> String) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::Overflow {
            what: what(),
            hint: SCALE_HINT,
        })
    }
}

/// `a + b` for finite `a` and `b`, an [`Error::Overflow`] naming `what` when the sum is not
/// finite.
pub(crate) fn add(a: f64, b: f64, what: impl FnOnce() -> String) -> Result<f64> {
    finite(a + b, what)
}

/// `a + b` for counts, an [`Error::Overflow`] naming `what` past `u64::MAX`.
pub(crate) fn add_count(a: u64, b: u64, what: impl FnOnce() -> String) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| Error::Overflow {
        what: what(),
        hint: COUNT_HINT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_an_error_naming_what() {
        let e = add(1e308, 1e308, || "revenue of segment \"Champions\"".into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "overflow: revenue of segment \"Champions\" is too large to represent; the values \
             are too large to add up: rescale them (e.g. cents to millions) and run again"
        );
        assert_eq!(add(1.0, 2.0, String::new).unwrap(), 3.0);
        assert!(add_count(u64::MAX, 1, || "orders".into()).is_err());
        assert_eq!(add_count(u64::MAX - 1, 1, String::new).unwrap(), u64::MAX);
        assert!(finite(f64::NAN, String::new).is_err());
    }
}
