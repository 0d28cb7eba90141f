//! `rfm_customer(time, amount, as_of)`: one customer's recency, frequency and monetary value,
//! for a query that groups by customer itself (`GROUP BY customer`).
//!
//! The per-customer state is the library's RFM state (the last purchase in milliseconds, the
//! order count, the revenue), kept in three arrays indexed by DataFusion's group index (a
//! grouped accumulator: one update per batch for every group, no object per customer), so the
//! engine's own hash partitioning by customer spreads the work and only one row per customer
//! reaches `rfm_score`. Recency is `(as_of − last purchase)` in days to the millisecond, as
//! [`userops::rfm::RfmSummary`] counts it.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StructArray, UInt64Array,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Field, FieldRef, Fields, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
    UInt64Type,
};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};

use crate::udaf::{error, instant, literal_parameters};

const NAME: &str = "rfm_customer";
const USAGE: &str = "rfm_customer(time, amount, DATE '1998-07-01') ... GROUP BY customer";
const MS_PER_DAY: f64 = 86_400_000.0;

/// The aggregate function `rfm_customer`.
#[derive(Debug)]
pub(crate) struct RfmCustomer {
    signature: Signature,
}

impl RfmCustomer {
    pub(crate) fn new() -> Self {
        RfmCustomer {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl PartialEq for RfmCustomer {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
    }
}

impl Eq for RfmCustomer {}

impl Hash for RfmCustomer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        NAME.hash(state);
    }
}

fn fields() -> Fields {
    Fields::from(vec![
        Field::new("recency_days", DataType::Float64, false),
        Field::new("frequency", DataType::UInt64, false),
        Field::new("monetary", DataType::Float64, false),
    ])
}

/// `as_of` in milliseconds since the epoch, from the third argument.
fn as_of_ms(args: &AccumulatorArgs) -> Result<i64> {
    let p = literal_parameters(NAME, USAGE, args, 2)?;
    let at = instant("as_of", &p[0]).map_err(|e| error(NAME, e))?;
    Ok(at.timestamp_millis())
}

impl AggregateUDFImpl for RfmCustomer {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 3 {
            return Err(DataFusionError::Plan(format!(
                "{NAME} takes 3 arguments, {} given: {USAGE}",
                arg_types.len()
            )));
        }
        Ok(vec![time_type(), DataType::Float64, arg_types[2].clone()])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(OneCustomer {
            groups: Customers::new(as_of_ms(&args)?),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[last_ms]", args.name),
                DataType::Int64,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[orders]", args.name),
                DataType::UInt64,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[monetary]", args.name),
                DataType::Float64,
                true,
            )),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Customers::new(as_of_ms(&args)?)))
    }
}

/// Every group's RFM state, by group index.
#[derive(Debug)]
struct Customers {
    as_of_ms: i64,
    last_ms: Vec<i64>,
    orders: Vec<u64>,
    monetary: Vec<f64>,
}

impl Customers {
    fn new(as_of_ms: i64) -> Self {
        Customers {
            as_of_ms,
            last_ms: Vec::new(),
            orders: Vec::new(),
            monetary: Vec::new(),
        }
    }

    fn resize(&mut self, groups: usize) {
        self.last_ms.resize(groups, i64::MIN);
        self.orders.resize(groups, 0);
        self.monetary.resize(groups, 0.0);
    }

    /// Adds `orders` orders worth `amount`, the last at `last_ms`, to group `g`.
    fn add(&mut self, g: usize, last_ms: i64, orders: u64, amount: f64) -> Result<()> {
        if last_ms > self.as_of_ms {
            return Err(error(
                NAME,
                format!(
                    "a purchase at {} is after as_of ({}); filter with WHERE time <= as_of",
                    chrono::DateTime::from_timestamp_millis(last_ms)
                        .map_or_else(|| last_ms.to_string(), |t| t.to_rfc3339()),
                    chrono::DateTime::from_timestamp_millis(self.as_of_ms)
                        .map_or_else(|| self.as_of_ms.to_string(), |t| t.to_rfc3339()),
                ),
            ));
        }
        let monetary = self.monetary[g] + amount;
        if !monetary.is_finite() {
            return Err(error(
                NAME,
                format!("a customer's revenue leaves the finite numbers ({monetary})"),
            ));
        }
        self.monetary[g] = monetary;
        self.orders[g] = self.orders[g]
            .checked_add(orders)
            .ok_or_else(|| error(NAME, "a customer's order count overflows"))?;
        self.last_ms[g] = self.last_ms[g].max(last_ms);
        Ok(())
    }

    fn rows(&self, last_ms: &[i64], orders: &[u64], monetary: &[f64]) -> Result<ArrayRef> {
        let recency: Float64Array = last_ms
            .iter()
            .map(|&l| self.as_of_ms.saturating_sub(l) as f64 / MS_PER_DAY)
            .collect();
        // A group that saw no row (all filtered out) has no RFM: NULL.
        let valid = NullBuffer::from(orders.iter().map(|&n| n > 0).collect::<Vec<_>>());
        Ok(Arc::new(StructArray::try_new(
            fields(),
            vec![
                Arc::new(recency),
                Arc::new(UInt64Array::from(orders.to_vec())),
                Arc::new(Float64Array::from(monetary.to_vec())),
            ],
            Some(valid),
        )?))
    }
}

/// Times as UTC instants: a timestamp with a zone keeps its instant, one without a zone (and a
/// date) is read as UTC, as the library's Arrow reader reads them by default.
fn time_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// The time column in milliseconds and the amount column of a batch.
fn columns(values: &[ArrayRef]) -> Result<(ArrayRef, ArrayRef)> {
    let time = cast(&values[0], &time_type())?;
    let amount = cast(&values[1], &DataType::Float64)?;
    Ok((time, amount))
}

impl GroupsAccumulator for Customers {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let (time, amount) = columns(values)?;
        let time = time.as_primitive::<TimestampMicrosecondType>();
        let amount = amount.as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                continue;
            }
            if time.is_null(row) {
                return Err(error(
                    NAME,
                    "a row has a NULL time (filter it out in the query)",
                ));
            }
            // A NULL amount is 0, as the library's readers read an empty amount.
            let a = if amount.is_null(row) {
                0.0
            } else {
                amount.value(row)
            };
            if !a.is_finite() {
                return Err(error(NAME, format!("an amount is {a}")));
            }
            self.add(g, time.value(row).div_euclid(1000), 1, a)?;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let last_ms = emit_to.take_needed(&mut self.last_ms);
        let orders = emit_to.take_needed(&mut self.orders);
        let monetary = emit_to.take_needed(&mut self.monetary);
        self.rows(&last_ms, &orders, &monetary)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![
            Arc::new(Int64Array::from(emit_to.take_needed(&mut self.last_ms))),
            Arc::new(UInt64Array::from(emit_to.take_needed(&mut self.orders))),
            Arc::new(Float64Array::from(emit_to.take_needed(&mut self.monetary))),
        ])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.resize(total_num_groups);
        let last_ms = values[0].as_primitive::<Int64Type>();
        let orders = values[1].as_primitive::<UInt64Type>();
        let monetary = values[2].as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if orders.is_valid(row) && orders.value(row) > 0 {
                self.add(
                    g,
                    last_ms.value(row),
                    orders.value(row),
                    monetary.value(row),
                )?;
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row as a group of its own: one order (none when filtered out).
        let n = values[0].len();
        let mut one = Customers::new(self.as_of_ms);
        one.resize(n);
        let rows: Vec<usize> = (0..n).collect();
        one.update_batch(values, &rows, opt_filter, n)?;
        one.state(EmitTo::All)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.last_ms.capacity() * 24
    }
}

/// The same state for one group, when DataFusion asks for a plain accumulator.
#[derive(Debug)]
struct OneCustomer {
    groups: Customers,
}

impl Accumulator for OneCustomer {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let groups = vec![0; values[0].len()];
        self.groups.update_batch(values, &groups, None, 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.groups.resize(1);
        let rows = self.groups.rows(
            &self.groups.last_ms,
            &self.groups.orders,
            &self.groups.monetary,
        )?;
        ScalarValue::try_from_array(&rows, 0)
    }

    fn size(&self) -> usize {
        self.groups.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.groups.resize(1);
        Ok(vec![
            ScalarValue::Int64(Some(self.groups.last_ms[0])),
            ScalarValue::UInt64(Some(self.groups.orders[0])),
            ScalarValue::Float64(Some(self.groups.monetary[0])),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let groups = vec![0; states[0].len()];
        self.groups.merge_batch(states, &groups, 1)
    }
}
