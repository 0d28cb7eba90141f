//! Lifecycle stages in SQL: `lifecycle(user, time, from, to [, period [, churn_after]])`.
//!
//! One row per calendar period from the one containing `from` to the one containing `to`
//! (UTC; `period` is `'month'` by default, or `'week'` (Monday start), `'week:sunday'`,
//! `'day'`): the seven stage counts of [`userops::lifecycle::Stage`] (new, retained,
//! `retained_new`, woken, returned, dormant, churned), the users known and active and the
//! active rate, and the active-user decomposition of [`userops::lifecycle::Decomposition`]
//! (`active = new + old_active_prev·old_retention + new_prev·new_retention +
//! dormant_prev·wake_rate + churned_prev·return_rate`), exactly as
//! [`userops::lifecycle::LifecycleActivity::stages`] computes them. `churn_after` (default 2)
//! is the number of inactive periods after which a user is churned.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Date32Array, Float64Array, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::ScalarValue;
use userops::lifecycle::{LifecycleSummary, StageParams};
use userops::time::{Calendar, Interval, Zone};

use crate::udaf::{EventColumns, LogModel, date32, instant, integer, interval};

/// The stage model behind `lifecycle(...)`.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    interval: Interval,
    params: StageParams,
}

/// The stage counts, then the decomposition's own terms.
const COUNTS: [&str; 9] = [
    "new",
    "retained",
    "retained_new",
    "woken",
    "returned",
    "dormant",
    "churned",
    "known",
    "active",
];

impl LogModel for Lifecycle {
    const NAME: &'static str = "lifecycle";
    const COLUMNS: EventColumns = EventColumns { amount: false };
    const PARAMETERS: (usize, usize) = (2, 4);
    const USAGE: &'static str = "lifecycle(user, time, DATE '2025-01-01', DATE '2025-06-30' \
                                 [, 'month'|'week'|'week:sunday'|'day' [, churn_after]])";
    type Summary = LifecycleSummary<String>;

    fn from_parameters(p: &[ScalarValue]) -> userops::Result<Self> {
        let interval = match p.get(2) {
            None => Interval::Month,
            Some(v) => interval(v, chrono::Weekday::Mon)?,
        };
        let churn_after = match p.get(3) {
            None => StageParams::default().churn_after(),
            Some(v) => {
                let n = integer("churn_after", v)?;
                u32::try_from(n).map_err(|_| {
                    userops::Error::invalid("churn_after", format!("{n} is not a count >= 1"))
                })?
            }
        };
        let model = Lifecycle {
            from: instant("from", &p[0])?,
            to: instant("to", &p[1])?,
            interval,
            params: StageParams::new(churn_after)?,
        };
        // Checked here so that a bad window fails before any row is read.
        model.empty()?;
        Ok(model)
    }

    fn empty(&self) -> userops::Result<Self::Summary> {
        LifecycleSummary::new(Calendar::new(Zone::Utc, self.interval), self.from, self.to)
    }

    fn row_fields() -> Fields {
        let mut fields = vec![
            Field::new("period", DataType::Utf8, false),
            Field::new("period_start", DataType::Date32, false),
        ];
        fields.extend(COUNTS.map(|c| Field::new(c, DataType::UInt64, false)));
        fields.push(Field::new("active_rate", DataType::Float64, false));
        for (count, rate) in [
            ("old_active_prev", "old_retention"),
            ("new_prev", "new_retention"),
            ("dormant_prev", "wake_rate"),
            ("churned_prev", "return_rate"),
        ] {
            fields.push(Field::new(count, DataType::UInt64, false));
            fields.push(Field::new(rate, DataType::Float64, false));
        }
        fields.push(Field::new("dormant_stay", DataType::Float64, false));
        Fields::from(fields)
    }

    fn evaluate(&self, summary: Self::Summary) -> userops::Result<Vec<ArrayRef>> {
        use userops::fold::Summary as _;
        let report = summary.finish()?.stages(&self.params, None);
        let (rows, d) = (&report.rows, &report.decomposition);
        let count = |f: fn(&userops::lifecycle::StageRow) -> u64| -> ArrayRef {
            Arc::new(UInt64Array::from_iter_values(rows.iter().map(f)))
        };
        let prev = |f: fn(&userops::lifecycle::Decomposition) -> u64| -> ArrayRef {
            Arc::new(UInt64Array::from_iter_values(d.iter().map(f)))
        };
        let rate = |f: fn(&userops::lifecycle::Decomposition) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(d.iter().map(f)))
        };
        Ok(vec![
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.period.to_string()),
            )),
            Arc::new(Date32Array::from_iter_values(
                rows.iter().map(|r| date32(r.period.start())),
            )),
            count(|r| r.new),
            count(|r| r.retained),
            count(|r| r.retained_new),
            count(|r| r.woken),
            count(|r| r.returned),
            count(|r| r.dormant),
            count(|r| r.churned),
            count(|r| r.known),
            count(|r| r.active),
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.active_rate),
            )),
            prev(|d| d.old_active_prev),
            rate(|d| d.old_retention),
            prev(|d| d.new_prev),
            rate(|d| d.new_retention),
            prev(|d| d.dormant_prev),
            rate(|d| d.wake_rate),
            prev(|d| d.churned_prev),
            rate(|d| d.return_rate),
            rate(|d| d.dormant_stay),
        ])
    }
}
