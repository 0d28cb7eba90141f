//! The per-customer BTYD summary in SQL:
//! `btyd_summary(user, time, amount, calibration_end [, unit [, holdout_end]])`.
//!
//! One row per customer whose first purchase is on or before `calibration_end` (a date, UTC
//! days), ordered by customer, as [`userops::ltv::BtydSummary`] computes it: purchases are
//! counted per distinct day; `frequency` is the repeat purchase days, `recency` the time from
//! the first to the last purchase day, `t` the time from the first purchase day to the
//! calibration end, both in `unit` (`'week'` by default, or `'day'`), and `monetary_value` the
//! mean spend per repeat purchase day (0 without one). With `holdout_end`, the holdout columns
//! count the purchase days after the calibration end up to it (0 without a holdout).
//!
//! Its rows are what `bgnbd_fit`, `pareto_nbd_fit` and `gamma_gamma_fit` take.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::ScalarValue;
use userops::ltv::{BtydSummary, TimeUnit};

use crate::udaf::{EventColumns, LogModel, instant, text};

/// The BTYD summary behind `btyd_summary(...)`.
#[derive(Debug)]
pub(crate) struct Btyd {
    calibration_end: chrono::NaiveDate,
    unit: TimeUnit,
    holdout_end: Option<chrono::NaiveDate>,
}

impl LogModel for Btyd {
    const NAME: &'static str = "btyd_summary";
    const COLUMNS: EventColumns = EventColumns { amount: true };
    const PARAMETERS: (usize, usize) = (1, 3);
    const USAGE: &'static str = "btyd_summary(user, time, amount, DATE '1997-09-30' \
                                 [, 'week'|'day' [, DATE '1998-06-30']])";
    type Summary = BtydSummary<String>;

    fn from_parameters(p: &[ScalarValue]) -> userops::Result<Self> {
        let unit = match p.get(1) {
            None => TimeUnit::Week,
            Some(v) => TimeUnit::parse(&text(v).ok_or_else(|| {
                userops::Error::invalid("unit", format!("{v} is not text ('week' or 'day')"))
            })?)?,
        };
        let model = Btyd {
            calibration_end: instant("calibration_end", &p[0])?.date_naive(),
            unit,
            holdout_end: p
                .get(2)
                .map(|v| instant("holdout_end", v).map(|at| at.date_naive()))
                .transpose()?,
        };
        // Checked here so that a holdout end before the calibration end fails at once.
        model.empty()?;
        Ok(model)
    }

    fn empty(&self) -> userops::Result<Self::Summary> {
        let summary = BtydSummary::new(self.calibration_end, self.unit);
        match self.holdout_end {
            Some(end) => summary.holdout(end),
            None => Ok(summary),
        }
    }

    fn row_fields() -> Fields {
        Fields::from(vec![
            Field::new("user", DataType::Utf8, false),
            Field::new("frequency", DataType::UInt32, false),
            Field::new("recency", DataType::Float64, false),
            Field::new("t", DataType::Float64, false),
            Field::new("monetary_value", DataType::Float64, false),
            Field::new("frequency_holdout", DataType::UInt32, false),
            Field::new("monetary_holdout", DataType::Float64, false),
            Field::new("duration_holdout", DataType::Float64, false),
        ])
    }

    fn evaluate(&self, summary: Self::Summary) -> userops::Result<Vec<ArrayRef>> {
        use userops::fold::Summary as _;
        let report = summary.finish()?;
        let c = &report.customers;
        let float = |f: fn(&userops::ltv::CustomerSummary<String>) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(c.iter().map(f)))
        };
        Ok(vec![
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|c| c.user.as_str()),
            )),
            Arc::new(UInt32Array::from_iter_values(c.iter().map(|c| c.frequency))),
            float(|c| c.recency),
            float(|c| c.age),
            float(|c| c.monetary),
            Arc::new(UInt32Array::from_iter_values(
                c.iter().map(|c| c.frequency_holdout),
            )),
            float(|c| c.monetary_holdout),
            float(|c| c.duration_holdout),
        ])
    }
}
