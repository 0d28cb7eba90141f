//! The one aggregate-function shape every whole-log model shares.
//!
//! A [`LogModel`] says which event columns it reads, how its literal parameters become a
//! summary, and how a finished summary becomes rows. [`LogAggregate`] turns it into a
//! DataFusion aggregate UDF:
//!
//! * **update** — each input batch goes through the library's Arrow reader
//!   ([`userops::io::arrow::ArrowReader`]) into an event table; a row the reader rejects (null
//!   user, null time, NaN amount...) fails the query with the reader's account, it is never
//!   dropped;
//! * **state** — the summary folded from that table, serialized with serde (postcard) into one
//!   `Binary` value: the partial state shipped between partitions, stages and processes;
//! * **merge** — each serialized part is read back (with the summary's own validation) and
//!   merged, as [`Summary::merge`] merges parts in-process;
//! * **evaluate** — the model's rows, as a `List` of `Struct`s (`unnest` turns it into rows).

use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, RecordBatch, StructArray};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use userops::engine::EventTable;
use userops::fold::{FoldTable, Summary};
use userops::io::arrow::{ArrowReader, ArrowSpec};

/// Which event columns a model reads, in argument order after `user` and `time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventColumns {
    /// An amount column follows `time`.
    pub amount: bool,
}

impl EventColumns {
    /// Number of leading arguments that are event columns.
    pub(crate) fn count(self) -> usize {
        2 + usize::from(self.amount)
    }
}

/// A model computed from a whole event log: a summary folded from the events, merged from
/// parts, finished into rows.
pub(crate) trait LogModel: Debug + Send + Sync + Sized + 'static {
    /// The SQL name.
    const NAME: &'static str;
    /// The event columns it reads.
    const COLUMNS: EventColumns;
    /// The literal parameters after the event columns: how many are required, how many at most.
    const PARAMETERS: (usize, usize);
    /// How the arguments are written, for error messages.
    const USAGE: &'static str;
    /// The mergeable partial state.
    type Summary: Summary + FoldTable<String> + Serialize + DeserializeOwned + Send + Sync + Debug;

    /// The model from its literal parameters (those after the event columns).
    fn from_parameters(parameters: &[ScalarValue]) -> userops::Result<Self>;
    /// An empty summary.
    fn empty(&self) -> userops::Result<Self::Summary>;
    /// The fields of one result row.
    fn row_fields() -> Fields;
    /// The result rows, as the columns of a struct array with [`LogModel::row_fields`].
    fn evaluate(&self, summary: Self::Summary) -> userops::Result<Vec<ArrayRef>>;
}

/// A DataFusion aggregate function computing a [`LogModel`] over every row it sees.
pub(crate) struct LogAggregate<M> {
    signature: Signature,
    model: PhantomData<fn() -> M>,
}

impl<M: LogModel> LogAggregate<M> {
    pub(crate) fn new() -> Self {
        LogAggregate {
            signature: Signature::user_defined(Volatility::Immutable),
            model: PhantomData,
        }
    }
}

impl<M> Debug for LogAggregate<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogAggregate")
            .field("model", &std::any::type_name::<M>())
            .finish()
    }
}

impl<M> PartialEq for LogAggregate<M> {
    fn eq(&self, other: &Self) -> bool {
        self.signature == other.signature
    }
}

impl<M> Eq for LogAggregate<M> {}

impl<M> Hash for LogAggregate<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::any::type_name::<M>().hash(state);
    }
}

/// The result type: a list of rows with `fields`.
pub(crate) fn rows_type(fields: Fields) -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Struct(fields), true)))
}

/// A query error naming the function.
pub(crate) fn error(name: &str, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("{name}: {e}"))
}

/// The literal values of the arguments from `first` on, or an error naming the one that is not
/// a constant.
pub(crate) fn literal_parameters(
    name: &str,
    usage: &str,
    args: &AccumulatorArgs,
    first: usize,
) -> Result<Vec<ScalarValue>> {
    args.exprs
        .iter()
        .enumerate()
        .skip(first)
        .map(|(i, e)| match e.downcast_ref::<Literal>() {
            Some(l) => Ok(l.value().clone()),
            None => Err(error(
                name,
                format!("argument {} ({e}) must be a constant, as in {usage}", i + 1),
            )),
        })
        .collect()
}

impl<M: LogModel> AggregateUDFImpl for LogAggregate<M> {
    fn name(&self) -> &str {
        M::NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let columns = M::COLUMNS.count();
        let (min, max) = M::PARAMETERS;
        let n = arg_types.len();
        if n < columns + min || n > columns + max {
            return Err(DataFusionError::Plan(format!(
                "{} takes {} to {} arguments, {n} given: {}",
                M::NAME,
                columns + min,
                columns + max,
                M::USAGE
            )));
        }
        // The Arrow reader reads every user, time and amount type it knows and names any
        // other; parameters are read from their literal values.
        Ok(arg_types.to_vec())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(rows_type(M::row_fields()))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let parameters = literal_parameters(M::NAME, M::USAGE, &args, M::COLUMNS.count())?;
        let model = M::from_parameters(&parameters).map_err(|e| error(M::NAME, e))?;
        let mut spec = ArrowSpec::new("user", "time");
        if M::COLUMNS.amount {
            spec = spec.amount("amount");
        }
        Ok(Box::new(SummaryAccumulator {
            reader: ArrowReader::new(spec.clone()),
            spec,
            summary: None,
            model,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[summary]", args.name),
            DataType::Binary,
            true,
        ))])
    }
}

/// The accumulator of a [`LogAggregate`]: the rows seen so far, read into an event table, and
/// the summary of the parts merged in.
#[derive(Debug)]
struct SummaryAccumulator<M: LogModel> {
    spec: ArrowSpec,
    reader: ArrowReader,
    summary: Option<M::Summary>,
    model: M,
}

impl<M: LogModel> SummaryAccumulator<M> {
    /// Folds the rows read so far into the summary, which then holds everything seen.
    fn fold(&mut self) -> Result<&mut M::Summary> {
        let reader = std::mem::replace(&mut self.reader, ArrowReader::new(self.spec.clone()));
        let (table, report): (EventTable<String>, _) = reader.finish();
        if report.rejected > 0 {
            return Err(error(
                M::NAME,
                format!(
                    "{} (filter them out or COALESCE them in the query)",
                    report.account()
                ),
            ));
        }
        let summary = match self.summary.take() {
            Some(s) => s,
            None => self.model.empty().map_err(|e| error(M::NAME, e))?,
        };
        let mut part = summary;
        if !table.is_empty() {
            part.observe_table(&table).map_err(|e| error(M::NAME, e))?;
        }
        Ok(self.summary.insert(part))
    }
}

impl<M: LogModel> Accumulator for SummaryAccumulator<M> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let mut fields = vec![
            Field::new("user", values[0].data_type().clone(), true),
            Field::new("time", values[1].data_type().clone(), true),
        ];
        let mut columns = vec![Arc::clone(&values[0]), Arc::clone(&values[1])];
        if M::COLUMNS.amount {
            fields.push(Field::new("amount", values[2].data_type().clone(), true));
            columns.push(Arc::clone(&values[2]));
        }
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        self.reader
            .push_batch(&batch)
            .map_err(|e| error(M::NAME, e))
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let summary = self.fold()?;
        let bytes = postcard::to_allocvec(summary)
            .map_err(|e| error(M::NAME, format!("cannot serialize the partial state: {e}")))?;
        Ok(vec![ScalarValue::Binary(Some(bytes))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let parts = states[0].as_binary_opt::<i32>().ok_or_else(|| {
            error(
                M::NAME,
                format!("partial state is {}, not Binary", states[0].data_type()),
            )
        })?;
        for bytes in parts.iter().flatten() {
            let part: M::Summary = postcard::from_bytes(bytes)
                .map_err(|e| error(M::NAME, format!("cannot read a partial state: {e}")))?;
            match &mut self.summary {
                Some(s) => s.merge(part).map_err(|e| error(M::NAME, e))?,
                None => self.summary = Some(part),
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.fold()?;
        let summary = match self.summary.take() {
            Some(s) => s,
            None => self.model.empty().map_err(|e| error(M::NAME, e))?,
        };
        let columns = self
            .model
            .evaluate(summary)
            .map_err(|e| error(M::NAME, e))?;
        rows_scalar(M::row_fields(), columns)
    }

    fn size(&self) -> usize {
        // The event table's columns (user, time, amount, name indices: 24 bytes a row) and the
        // summary's per-user state (estimated at 48 bytes a user).
        std::mem::size_of_val(self) + self.reader.report().accepted as usize * 24
    }
}

/// One list value holding the rows whose columns are `columns`.
pub(crate) fn rows_scalar(fields: Fields, columns: Vec<ArrayRef>) -> Result<ScalarValue> {
    let rows = columns.first().map_or(0, |c| c.len());
    let item = Arc::new(Field::new("item", DataType::Struct(fields.clone()), true));
    let array = StructArray::try_new(fields, columns, None)?;
    let list = ListArray::try_new(
        item,
        OffsetBuffer::from_lengths([rows]),
        Arc::new(array),
        None,
    )?;
    Ok(ScalarValue::List(Arc::new(list)))
}

/// A constant parameter as text (strings, dates and timestamps as SQL writes them).
pub(crate) fn text(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Some(s.clone()),
        _ => None,
    }
}

/// A constant parameter as an instant: a timestamp (any unit; without a zone it is UTC), a
/// date (its midnight UTC), or text in any format [`userops::time::parse_instant`] reads.
pub(crate) fn instant(
    name: &'static str,
    value: &ScalarValue,
) -> userops::Result<chrono::DateTime<chrono::Utc>> {
    use chrono::DateTime;
    let micros = match value {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1_000_000),
        ScalarValue::TimestampMillisecond(Some(v), _) => v.checked_mul(1_000),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1_000)),
        ScalarValue::Date32(Some(d)) => Some(i64::from(*d) * 86_400_000_000),
        ScalarValue::Date64(Some(ms)) => ms.checked_mul(1_000),
        other => {
            if let Some(t) = text(other) {
                return userops::time::parse_instant(&t, &userops::time::Zone::Utc);
            }
            return Err(userops::Error::invalid(
                name,
                format!("{other:?} is not a date, a timestamp or a date string"),
            ));
        }
    };
    micros
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(|| userops::Error::invalid(name, format!("{value} is outside the calendar")))
}

/// A constant parameter as a whole number.
pub(crate) fn integer(name: &'static str, value: &ScalarValue) -> userops::Result<i64> {
    match value {
        ScalarValue::Int8(Some(v)) => Ok(i64::from(*v)),
        ScalarValue::Int16(Some(v)) => Ok(i64::from(*v)),
        ScalarValue::Int32(Some(v)) => Ok(i64::from(*v)),
        ScalarValue::Int64(Some(v)) => Ok(*v),
        ScalarValue::UInt8(Some(v)) => Ok(i64::from(*v)),
        ScalarValue::UInt16(Some(v)) => Ok(i64::from(*v)),
        ScalarValue::UInt32(Some(v)) => Ok(i64::from(*v)),
        ScalarValue::UInt64(Some(v)) => i64::try_from(*v)
            .map_err(|_| userops::Error::invalid(name, format!("{v} is too large"))),
        other => Err(userops::Error::invalid(
            name,
            format!("{other:?} is not a whole number"),
        )),
    }
}
