//! RFM in SQL: `rfm(user, time, amount, as_of [, binning [, bins]])`.
//!
//! One row per customer: recency in days to `as_of`, frequency (orders), monetary (revenue),
//! the three scores, the three-digit RFM score and the segment of the standard map
//! ([`userops::rfm::SegmentRules::standard`]), exactly as [`userops::rfm`] computes them.
//! Rows come out ordered by user id (so `ntile` ties, split by order, are split by user id and
//! the result does not depend on how the input was partitioned).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, StringArray, UInt8Array, UInt16Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::ScalarValue;
use userops::rfm::{Method, RfmSummary, ScoreParams, SegmentRules};

use crate::udaf::{EventColumns, LogModel, instant, integer, text};

/// The whole-log RFM model behind `rfm(...)`.
#[derive(Debug)]
pub(crate) struct Rfm {
    as_of: chrono::DateTime<chrono::Utc>,
    params: ScoreParams,
}

impl LogModel for Rfm {
    const NAME: &'static str = "rfm";
    const COLUMNS: EventColumns = EventColumns { amount: true };
    const PARAMETERS: (usize, usize) = (1, 3);
    const USAGE: &'static str =
        "rfm(user, time, amount, TIMESTAMP '1998-07-01' [, 'quantile'|'ntile'|'r-rfm' [, 5]])";
    type Summary = RfmSummary<String>;

    fn from_parameters(p: &[ScalarValue]) -> userops::Result<Self> {
        let as_of = instant("as_of", &p[0])?;
        let method = match p.get(1) {
            None => Method::Quantile,
            Some(v) => Method::parse(&text(v).ok_or_else(|| {
                userops::Error::invalid(
                    "binning",
                    format!("{v} is not text ('quantile', 'ntile' or 'r-rfm')"),
                )
            })?)?,
        };
        let bins = match p.get(2) {
            None => 5,
            Some(v) => {
                let b = integer("bins", v)?;
                u8::try_from(b).map_err(|_| {
                    userops::Error::invalid("bins", format!("{b} is not between 2 and 9"))
                })?
            }
        };
        let params = ScoreParams::new(method).bins(bins);
        // Checked here so that a bad `bins` fails before any row is read.
        params.clone().check()?;
        Ok(Rfm { as_of, params })
    }

    fn empty(&self) -> userops::Result<Self::Summary> {
        Ok(RfmSummary::new(self.as_of))
    }

    fn row_fields() -> Fields {
        Fields::from(vec![
            Field::new("user", DataType::Utf8, false),
            Field::new("recency_days", DataType::Float64, false),
            Field::new("frequency", DataType::UInt64, false),
            Field::new("monetary", DataType::Float64, false),
            Field::new("r", DataType::UInt8, false),
            Field::new("f", DataType::UInt8, false),
            Field::new("m", DataType::UInt8, false),
            Field::new("rfm_score", DataType::UInt16, false),
            Field::new("segment", DataType::Utf8, false),
        ])
    }

    fn evaluate(&self, summary: Self::Summary) -> userops::Result<Vec<ArrayRef>> {
        use userops::fold::Summary as _;
        let mut table = summary.finish()?;
        table.customers.sort_by(|a, b| a.user.cmp(&b.user));
        let scores = self.params.clone().check()?.score(&table)?;
        let segments = SegmentRules::standard().segment(&scores)?;
        let c = &scores.customers;
        Ok(vec![
            Arc::new(StringArray::from_iter_values(
                c.iter().map(|c| c.user.as_str()),
            )),
            Arc::new(Float64Array::from_iter_values(
                c.iter().map(|c| c.recency_days),
            )),
            Arc::new(UInt64Array::from_iter_values(c.iter().map(|c| c.frequency))),
            Arc::new(Float64Array::from_iter_values(c.iter().map(|c| c.monetary))),
            Arc::new(UInt8Array::from_iter_values(c.iter().map(|c| c.r))),
            Arc::new(UInt8Array::from_iter_values(c.iter().map(|c| c.f))),
            Arc::new(UInt8Array::from_iter_values(c.iter().map(|c| c.m))),
            Arc::new(UInt16Array::from_iter_values(c.iter().map(|c| c.rfm_score))),
            Arc::new(StringArray::from_iter_values(
                (0..c.len()).map(|i| segments.segment_of(i).unwrap_or(userops::rfm::OTHERS)),
            )),
        ])
    }
}
