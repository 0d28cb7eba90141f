//! RFM in SQL.
//!
//! * `rfm(user, time, amount, as_of [, binning [, bins]])` over order rows (R `rfm_table_order`);
//! * `rfm_score(user, recency_days, frequency, monetary [, binning [, bins]])` over customer
//!   rows (R `rfm_table_customer`), e.g. a `GROUP BY` the query computes itself.
//!
//! Both give one row per customer: recency in days, frequency (orders), monetary (revenue), the
//! three scores, the three-digit RFM score and the segment of the standard map
//! ([`userops::rfm::SegmentRules::standard`]; NULL unless `bins` is 5, the scores that map is
//! written for), exactly as [`userops::rfm`] computes them. Rows
//! come out ordered by user id, so `ntile` ties (split by order) are split by user id and the
//! result does not depend on how the input was partitioned.

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, StringArray, UInt8Array, UInt16Array, UInt64Array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use userops::rfm::{CustomerRow, Method, RfmSummary, RfmTable, ScoreParams, SegmentRules};

use crate::udaf::{
    EventColumns, LogModel, error, instant, integer, literal_parameters, rows_scalar, rows_type,
    text,
};

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
        Ok(Rfm {
            as_of: instant("as_of", &p[0])?,
            params: score_params(p.get(1), p.get(2))?,
        })
    }

    fn empty(&self) -> userops::Result<Self::Summary> {
        Ok(RfmSummary::new(self.as_of))
    }

    fn row_fields() -> Fields {
        score_fields()
    }

    fn evaluate(&self, summary: Self::Summary) -> userops::Result<Vec<ArrayRef>> {
        use userops::fold::Summary as _;
        score_rows(&self.params, summary.finish()?)
    }
}

/// The scoring parameters from the optional `binning` and `bins` arguments.
fn score_params(
    binning: Option<&ScalarValue>,
    bins: Option<&ScalarValue>,
) -> userops::Result<ScoreParams> {
    let method = match binning {
        None => Method::Quantile,
        Some(v) => Method::parse(&text(v).ok_or_else(|| {
            userops::Error::invalid(
                "binning",
                format!("{v} is not text ('quantile', 'ntile' or 'r-rfm')"),
            )
        })?)?,
    };
    let bins = match bins {
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
    Ok(params)
}

/// The fields of a scored customer row.
fn score_fields() -> Fields {
    Fields::from(vec![
        Field::new("user", DataType::Utf8, false),
        Field::new("recency_days", DataType::Float64, false),
        Field::new("frequency", DataType::UInt64, false),
        Field::new("monetary", DataType::Float64, false),
        Field::new("r", DataType::UInt8, false),
        Field::new("f", DataType::UInt8, false),
        Field::new("m", DataType::UInt8, false),
        Field::new("rfm_score", DataType::UInt16, false),
        Field::new("segment", DataType::Utf8, true),
    ])
}

/// `table` scored and segmented, ordered by user id, as the columns of [`score_fields`].
fn score_rows(params: &ScoreParams, mut table: RfmTable<String>) -> userops::Result<Vec<ArrayRef>> {
    table.customers.sort_by(|a, b| a.user.cmp(&b.user));
    let scores = params.clone().check()?.score(&table)?;
    // The standard map is written for scores 1 to 5: with other bins there is no segment.
    let segments = if scores.bins() == (5, 5, 5) {
        Some(SegmentRules::standard().segment(&scores)?)
    } else {
        None
    };
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
        Arc::new(StringArray::from_iter((0..c.len()).map(|i| {
            segments
                .as_ref()
                .map(|s| s.segment_of(i).unwrap_or(userops::rfm::OTHERS))
        }))),
    ])
}

const SCORE_USAGE: &str = "rfm_score(user, recency_days, frequency, monetary \
                           [, 'quantile'|'ntile'|'r-rfm' [, 5]])";

/// `rfm_score(user, recency_days, frequency, monetary [, binning [, bins]])`: customer-level rows
/// scored and segmented. Its partial state is the customer rows seen (serialized).
#[derive(Debug)]
pub(crate) struct RfmScore {
    signature: Signature,
}

impl RfmScore {
    pub(crate) fn new() -> Self {
        RfmScore {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl PartialEq for RfmScore {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
    }
}

impl Eq for RfmScore {}

impl Hash for RfmScore {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "rfm_score".hash(state);
    }
}

impl AggregateUDFImpl for RfmScore {
    fn name(&self) -> &str {
        "rfm_score"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(4..=6).contains(&arg_types.len()) {
            return Err(DataFusionError::Plan(format!(
                "rfm_score takes 4 to 6 arguments, {} given: {SCORE_USAGE}",
                arg_types.len()
            )));
        }
        let mut types = vec![
            DataType::Utf8,
            DataType::Float64,
            DataType::Float64,
            DataType::Float64,
        ];
        types.extend_from_slice(&arg_types[4..]);
        Ok(types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(rows_type(score_fields()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let p = literal_parameters("rfm_score", SCORE_USAGE, &args, 4)?;
        let params = score_params(p.first(), p.get(1)).map_err(|e| error("rfm_score", e))?;
        Ok(Box::new(ScoreAccumulator {
            params,
            rows: Vec::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[customers]", args.name),
            DataType::Binary,
            true,
        ))])
    }
}

/// The customer rows seen so far.
#[derive(Debug)]
struct ScoreAccumulator {
    params: ScoreParams,
    rows: Vec<CustomerRow<String>>,
}

impl Accumulator for ScoreAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let users = cast(&values[0], &DataType::Utf8)?;
        let users = users.as_string::<i32>();
        let recency = values[1].as_primitive::<Float64Type>();
        let frequency = values[2].as_primitive::<Float64Type>();
        let monetary = values[3].as_primitive::<Float64Type>();
        for i in 0..users.len() {
            if users.is_null(i) || recency.is_null(i) || frequency.is_null(i) || monetary.is_null(i)
            {
                return Err(error(
                    "rfm_score",
                    format!(
                        "a customer row has a NULL {} (filter it out or COALESCE it in the query)",
                        if users.is_null(i) {
                            "user"
                        } else if recency.is_null(i) {
                            "recency_days"
                        } else if frequency.is_null(i) {
                            "frequency"
                        } else {
                            "monetary"
                        }
                    ),
                ));
            }
            let f = frequency.value(i);
            if !(f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64) {
                return Err(error(
                    "rfm_score",
                    format!(
                        "customer {:?}: frequency {f} is not a count of orders",
                        users.value(i)
                    ),
                ));
            }
            self.rows.push(CustomerRow::new(
                users.value(i),
                recency.value(i),
                f as u64,
                monetary.value(i),
            ));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let bytes = postcard::to_allocvec(&self.rows).map_err(|e| {
            error(
                "rfm_score",
                format!("cannot serialize the partial state: {e}"),
            )
        })?;
        Ok(vec![ScalarValue::Binary(Some(bytes))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let parts = states[0]
            .as_binary_opt::<i32>()
            .ok_or_else(|| error("rfm_score", "partial state is not Binary"))?;
        for bytes in parts.iter().flatten() {
            let rows: Vec<CustomerRow<String>> = postcard::from_bytes(bytes)
                .map_err(|e| error("rfm_score", format!("cannot read a partial state: {e}")))?;
            self.rows.extend(rows);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let table = RfmTable::from_customers(std::mem::take(&mut self.rows))
            .map_err(|e| error("rfm_score", e))?;
        let columns = score_rows(&self.params, table).map_err(|e| error("rfm_score", e))?;
        rows_scalar(score_fields(), columns)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.rows.capacity() * std::mem::size_of::<CustomerRow<String>>()
            + self.rows.iter().map(|r| r.user.capacity()).sum::<usize>()
    }
}
