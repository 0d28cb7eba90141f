//! Cohort retention in SQL: `retention(user, time, from, to [, kind [, period]])`.
//!
//! The window is the calendar periods (UTC) from the one containing `from` to the one
//! containing `to`; `period` is `'month'` by default, or `'week'` (Sunday start, as PostHog),
//! `'week:monday'`, `'day'`. `kind` is `'recurring'` (default: a user is in the cohort of every
//! period with an event) or `'first-time'` (only in the cohort of their first event ever).
//! Every event both starts and returns. One row per observable cell of the triangle, as
//! [`userops::retention::RetentionSummary`] computes it: the cohort (its period and start
//! date), the period offset `k` (0 is the cohort period itself), the cohort size, the users of
//! the cohort active `k` periods later, and their share of the cohort (NULL for an empty
//! cohort).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Float64Array, StringArray, UInt32Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::ScalarValue;
use userops::retention::{RetentionMode, RetentionParams, RetentionSpec, RetentionSummary};
use userops::time::{Calendar, Interval, Zone};

use crate::udaf::{EventColumns, LogModel, date32, instant, interval, text};

/// The cohort retention model behind `retention(...)`.
#[derive(Debug)]
pub(crate) struct Retention {
    spec: RetentionSpec,
}

impl LogModel for Retention {
    const NAME: &'static str = "retention";
    const COLUMNS: EventColumns = EventColumns { amount: false };
    const PARAMETERS: (usize, usize) = (2, 4);
    const USAGE: &'static str = "retention(user, time, DATE '2025-01-01', DATE '2025-06-30' \
                                 [, 'recurring'|'first-time' [, 'month'|'week'|'week:monday'|'day']])";
    type Summary = RetentionSummary<String>;

    fn from_parameters(p: &[ScalarValue]) -> userops::Result<Self> {
        let (from, to) = (instant("from", &p[0])?, instant("to", &p[1])?);
        let mode = match p.get(2) {
            None => RetentionMode::Recurring,
            Some(v) => RetentionMode::parse(&text(v).ok_or_else(|| {
                userops::Error::invalid(
                    "kind",
                    format!("{v} is not text ('recurring' or 'first-time')"),
                )
            })?)?,
        };
        let interval = match p.get(3) {
            None => Interval::Month,
            Some(v) => interval(v, chrono::Weekday::Sun)?,
        };
        let calendar = Calendar::new(Zone::Utc, interval);
        let periods = calendar.count_periods(from, to)?;
        let spec = RetentionParams::new(calendar, to, periods)
            .mode(mode)
            .check()?;
        Ok(Retention { spec })
    }

    fn empty(&self) -> userops::Result<Self::Summary> {
        Ok(RetentionSummary::new(self.spec.clone()))
    }

    fn row_fields() -> Fields {
        Fields::from(vec![
            Field::new("cohort", DataType::Utf8, false),
            Field::new("cohort_start", DataType::Date32, false),
            Field::new("period_offset", DataType::UInt32, false),
            Field::new("cohort_size", DataType::UInt64, false),
            Field::new("users", DataType::UInt64, false),
            Field::new("rate", DataType::Float64, true),
        ])
    }

    fn evaluate(&self, summary: Self::Summary) -> userops::Result<Vec<ArrayRef>> {
        use userops::fold::Summary as _;
        let report = summary.finish()?;
        // One row per observable cell: cohort i of n has n - i cells.
        let cells: Vec<(&userops::retention::CohortRow, usize)> = report
            .cohorts
            .iter()
            .flat_map(|c| (0..c.counts.len()).map(move |k| (c, k)))
            .collect();
        Ok(vec![
            Arc::new(StringArray::from_iter_values(
                cells.iter().map(|(c, _)| c.period.as_str()),
            )),
            Arc::new(Date32Array::from_iter_values(
                cells.iter().map(|(c, _)| date32(c.start)),
            )),
            Arc::new(UInt32Array::from_iter_values(
                cells
                    .iter()
                    .map(|(_, k)| u32::try_from(*k).unwrap_or(u32::MAX)),
            )),
            Arc::new(UInt64Array::from_iter_values(
                cells.iter().map(|(c, _)| c.size()),
            )),
            Arc::new(UInt64Array::from_iter_values(
                cells
                    .iter()
                    .map(|(c, k)| c.counts.get(*k).copied().unwrap_or(0)),
            )),
            Arc::new(Float64Array::from_iter(
                cells.iter().map(|(c, k)| c.rate(*k)),
            )),
        ])
    }
}
