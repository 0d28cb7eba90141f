//! The aggregate-function shape of a model fitted to per-customer rows (BG/NBD, Pareto/NBD,
//! Gamma-Gamma over `btyd_summary`'s columns).
//!
//! A [`CustomerFit`] names the per-customer columns it reads and fits its model to
//! [`Customer`]s. [`FitAggregate`] turns it into a DataFusion aggregate UDF whose partial state
//! is the **unique rows with their counts**: customers with the same columns are one row, so
//! the state of a million customers is a few thousand rows (frequency × recency × T on a
//! weekly or daily grid), and the fit never needs the events, nor the customers, in one place.
//!
//! * **update** — each row's columns (and its count `n`, 1 without one) are checked as the
//!   core checks a customer ([`Customer::check`]) and counted; a NULL or invalid row fails the
//!   query naming the value;
//! * **state** — the unique rows and counts, sorted, serialized with postcard into one `Binary`;
//! * **merge** — each part is read back, every row checked again, counts added;
//! * **evaluate** — the fit on the customers the counts stand for (in row order, so the result
//!   does not depend on how the input was partitioned), as one struct: the parameters, the
//!   log-likelihood, the customers used and whether the optimizer converged. No row at all
//!   gives NULL, as SQL's own aggregates do.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Float64Type, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use userops::ltv::{Customer, FitReport, ModelParams};

use crate::udaf::error;

/// Customers a fit takes at most (the sum of the counts): the fit holds one 32-byte row per
/// customer, 640 MB at the cap. Above it, fit a sample (`TABLESAMPLE`, or `WHERE` on a hash of
/// the customer id).
pub(crate) const MAX_FIT_CUSTOMERS: u64 = 20_000_000;

/// A model fitted by maximum likelihood to per-customer rows.
pub(crate) trait CustomerFit: Debug + Send + Sync + 'static {
    /// The SQL name.
    const NAME: &'static str;
    /// How the arguments are written, for error messages.
    const USAGE: &'static str;
    /// The per-customer columns, in argument order; the first is the frequency. An optional
    /// count `n` may follow them.
    const COLUMNS: &'static [&'static str];
    /// The fitted parameters.
    type Params: ModelParams;

    /// The customer of one row: `frequency`, then the other columns' values in order.
    fn customer(frequency: u32, values: &[f64]) -> Customer;
    /// The fit.
    fn fit(customers: &[Customer]) -> userops::Result<FitReport<Self::Params>>;
}

/// A DataFusion aggregate function fitting a [`CustomerFit`] to the rows it sees.
pub(crate) struct FitAggregate<F> {
    signature: Signature,
    model: PhantomData<fn() -> F>,
}

impl<F: CustomerFit> FitAggregate<F> {
    pub(crate) fn new() -> Self {
        FitAggregate {
            signature: Signature::user_defined(Volatility::Immutable),
            model: PhantomData,
        }
    }

    /// The result's fields: the parameters, the log-likelihood, the customers, converged.
    fn fields() -> Fields {
        let mut fields: Vec<Field> = <F::Params as ModelParams>::NAMES
            .iter()
            .map(|n| Field::new(*n, DataType::Float64, false))
            .collect();
        fields.push(Field::new("log_likelihood", DataType::Float64, false));
        fields.push(Field::new("customers", DataType::UInt64, false));
        fields.push(Field::new("converged", DataType::Boolean, false));
        Fields::from(fields)
    }
}

impl<F> Debug for FitAggregate<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitAggregate")
            .field("model", &std::any::type_name::<F>())
            .finish()
    }
}

impl<F> PartialEq for FitAggregate<F> {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
    }
}

impl<F> Eq for FitAggregate<F> {}

impl<F> Hash for FitAggregate<F> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::any::type_name::<F>().hash(state);
    }
}

impl<F: CustomerFit> AggregateUDFImpl for FitAggregate<F> {
    fn name(&self) -> &str {
        F::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let columns = F::COLUMNS.len();
        let n = arg_types.len();
        if n != columns && n != columns + 1 {
            return Err(DataFusionError::Plan(format!(
                "{} takes {columns} or {} arguments, {n} given: {}",
                F::NAME,
                columns + 1,
                F::USAGE
            )));
        }
        arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let name = F::COLUMNS.get(i).copied().unwrap_or("n");
                if !(t.is_numeric() || t.is_null()) {
                    return Err(DataFusionError::Plan(format!(
                        "{}: argument {} ({name}) is {t}, not a number: {}",
                        F::NAME,
                        i + 1,
                        F::USAGE
                    )));
                }
                Ok(if i < columns {
                    DataType::Float64
                } else {
                    DataType::Int64
                })
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(Self::fields()))
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(FitAccumulator::<F> {
            rows: HashMap::new(),
            model: PhantomData,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[unique rows]", args.name),
            DataType::Binary,
            true,
        ))])
    }
}

/// A customer's columns as a hash key (bit patterns; `-0.0` is read as `0.0`).
type Key = (u32, u64, u64, u64);

fn key(c: &Customer) -> Key {
    (
        c.frequency,
        (c.recency + 0.0).to_bits(),
        (c.age + 0.0).to_bits(),
        (c.monetary + 0.0).to_bits(),
    )
}

/// The accumulator of a [`FitAggregate`]: the unique customer rows seen, with counts.
#[derive(Debug)]
struct FitAccumulator<F> {
    rows: HashMap<Key, (Customer, u64)>,
    model: PhantomData<fn() -> F>,
}

impl<F: CustomerFit> FitAccumulator<F> {
    /// Counts `n` more customers like `c`.
    fn add(&mut self, c: Customer, n: u64) -> Result<()> {
        if n == 0 {
            return Ok(());
        }
        let slot = self.rows.entry(key(&c)).or_insert((c, 0));
        slot.1 = slot
            .1
            .checked_add(n)
            .ok_or_else(|| error(F::NAME, "a row's count overflows 64 bits"))?;
        Ok(())
    }

    /// The unique rows in key order.
    fn sorted(&self) -> Vec<(Customer, u64)> {
        let mut rows: Vec<(Key, (Customer, u64))> =
            self.rows.iter().map(|(k, v)| (*k, *v)).collect();
        rows.sort_unstable_by_key(|(k, _)| *k);
        rows.into_iter().map(|(_, v)| v).collect()
    }
}

/// A frequency value as a whole number of repeat purchases.
fn frequency(name: &str, value: f64) -> Result<u32> {
    if value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) {
        Ok(value as u32)
    } else {
        Err(error(
            name,
            format!("frequency {value} is not a whole number of repeat purchases >= 0"),
        ))
    }
}

impl<F: CustomerFit> Accumulator for FitAccumulator<F> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let columns = F::COLUMNS.len();
        let floats: Vec<&Float64Array> = values
            .iter()
            .take(columns)
            .map(|a| {
                a.as_primitive_opt::<Float64Type>().ok_or_else(|| {
                    error(
                        F::NAME,
                        format!("a column is {}, not Float64", a.data_type()),
                    )
                })
            })
            .collect::<Result<_>>()?;
        let counts = values
            .get(columns)
            .map(|a| {
                a.as_primitive_opt::<Int64Type>()
                    .ok_or_else(|| error(F::NAME, format!("n is {}, not Int64", a.data_type())))
            })
            .transpose()?;
        let rows = values.first().map_or(0, |a| a.len());
        let mut row = vec![0.0; columns.saturating_sub(1)];
        for i in 0..rows {
            for (j, column) in floats.iter().enumerate() {
                if column.is_null(i) {
                    return Err(error(
                        F::NAME,
                        format!(
                            "{} is NULL in a row (filter it out or COALESCE it in the query)",
                            F::COLUMNS[j]
                        ),
                    ));
                }
            }
            let x = frequency(F::NAME, floats[0].value(i))?;
            for (slot, column) in row.iter_mut().zip(&floats[1..]) {
                *slot = column.value(i);
            }
            let c = F::customer(x, &row);
            c.check("a row").map_err(|e| error(F::NAME, e))?;
            let n = match counts {
                None => 1,
                Some(n) if n.is_null(i) => {
                    return Err(error(
                        F::NAME,
                        "n is NULL in a row: give each row its count",
                    ));
                }
                Some(n) => u64::try_from(n.value(i)).map_err(|_| {
                    error(
                        F::NAME,
                        format!("n is {} in a row, not a count >= 0", n.value(i)),
                    )
                })?,
            };
            self.add(c, n)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let bytes = postcard::to_allocvec(&self.sorted())
            .map_err(|e| error(F::NAME, format!("cannot serialize the partial state: {e}")))?;
        Ok(vec![ScalarValue::Binary(Some(bytes))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let parts = states[0].as_binary_opt::<i32>().ok_or_else(|| {
            error(
                F::NAME,
                format!("partial state is {}, not Binary", states[0].data_type()),
            )
        })?;
        for bytes in parts.iter().flatten() {
            let part: Vec<(Customer, u64)> = postcard::from_bytes(bytes)
                .map_err(|e| error(F::NAME, format!("cannot read a partial state: {e}")))?;
            for (c, n) in part {
                c.check("a partial state's row")
                    .map_err(|e| error(F::NAME, e))?;
                if n == 0 {
                    return Err(error(F::NAME, "a partial state has a row counted 0 times"));
                }
                self.add(c, n)?;
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let fields = FitAggregate::<F>::fields();
        let rows = self.sorted();
        let mut total: u64 = 0;
        for (_, n) in &rows {
            total = total.saturating_add(*n);
        }
        if total == 0 {
            return ScalarValue::try_from(DataType::Struct(fields));
        }
        if total > MAX_FIT_CUSTOMERS {
            return Err(error(
                F::NAME,
                format!(
                    "{total} customers, more than the {MAX_FIT_CUSTOMERS} a fit takes; fit a \
                     sample of the customers"
                ),
            ));
        }
        // The customers the counts stand for, in key order.
        let mut customers = Vec::with_capacity(total as usize);
        for (c, n) in rows {
            customers.extend(std::iter::repeat_n(c, n as usize));
        }
        let report = F::fit(&customers).map_err(|e| error(F::NAME, e))?;
        let mut columns: Vec<ArrayRef> = report
            .params
            .values()
            .into_iter()
            .map(|v| Arc::new(Float64Array::from(vec![v])) as ArrayRef)
            .collect();
        columns.push(Arc::new(Float64Array::from(vec![report.log_likelihood])));
        columns.push(Arc::new(UInt64Array::from(vec![report.customers])));
        columns.push(Arc::new(BooleanArray::from(vec![report.converged])));
        let array = StructArray::try_new(fields, columns, None)?;
        Ok(ScalarValue::Struct(Arc::new(array)))
    }

    fn size(&self) -> usize {
        // A hash-map entry: the key (28 bytes, padded to 32), the customer (32), the count (8).
        std::mem::size_of_val(self) + self.rows.capacity() * 80
    }
}
