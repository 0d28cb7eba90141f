//! The label table as an Arrow record batch and a Parquet file (feature `arrow`).

use std::fmt::Display;
use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt8Array, UInt32Array};
use arrow_schema::{DataType, Field, Schema};

use super::table::LabelTable;
use crate::{Error, Result};

impl<U: Display + Clone> LabelTable<U> {
    /// The table as one Arrow record batch with the columns of [`LabelTable::write_csv`]:
    /// `user` and the stages, segments, health, tier and tags as UTF-8, `inactive_periods`
    /// `u32`, `r`, `f`, `m` `u8`, `p_alive` and `clv` `f64`; a missing label is null.
    ///
    /// # Errors
    /// [`Error::Read`] if Arrow refuses the batch (it does not for a table this crate built).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::engine::EventTable;
    /// use userops::event::EventRecord;
    /// use userops::labels::{label_events, LabelOptions};
    /// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    /// let table = EventTable::from_events([EventRecord::<u32>::new(7_u32, t).with_amount(3.0)])?;
    /// let batch = label_events(&table, &LabelOptions::monthly(t, 2))?.to_record_batch()?;
    /// assert_eq!(batch.num_rows(), 1);
    /// assert_eq!(batch.schema().field(1).name(), "stage_2025-02");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let rows: Vec<_> = self.rows().collect();
        let text = |name: String, values: Vec<Option<String>>| {
            (
                Field::new(name, DataType::Utf8, true),
                Arc::new(StringArray::from(values)) as ArrayRef,
            )
        };
        let mut cols: Vec<(Field, ArrayRef)> = Vec::new();
        cols.push((
            Field::new("user", DataType::Utf8, false),
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.user.to_string()),
            )),
        ));
        for (t, p) in self.periods.iter().enumerate() {
            cols.push(text(
                format!("stage_{p}"),
                rows.iter()
                    .map(|r| {
                        r.stages
                            .get(t)
                            .copied()
                            .flatten()
                            .map(|s| s.name().to_string())
                    })
                    .collect(),
            ));
        }
        cols.push((
            Field::new("inactive_periods", DataType::UInt32, false),
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|r| r.inactive_periods),
            )),
        ));
        if self.rfm.is_some() {
            for (k, name) in ["r", "f", "m"].into_iter().enumerate() {
                cols.push((
                    Field::new(name, DataType::UInt8, true),
                    Arc::new(UInt8Array::from(
                        rows.iter()
                            .map(|r| r.rfm.and_then(|s| s.get(k).copied()))
                            .collect::<Vec<_>>(),
                    )),
                ));
            }
            cols.push(text(
                "rfm_segment".into(),
                rows.iter().map(|r| r.rfm_segment.clone()).collect(),
            ));
        }
        if self.health.is_some() {
            cols.push(text(
                "health".into(),
                rows.iter()
                    .map(|r| r.health.map(|h| h.name().to_string()))
                    .collect(),
            ));
        }
        if self.value_tier.is_some() {
            cols.push(text(
                "value_tier".into(),
                rows.iter().map(|r| r.value_tier.clone()).collect(),
            ));
        }
        if self.clv.is_some() {
            for (name, get) in [
                (
                    "p_alive",
                    (|r: &super::UserLabels<U>| r.p_alive) as fn(&_) -> _,
                ),
                ("clv", |r: &super::UserLabels<U>| r.clv),
            ] {
                cols.push((
                    Field::new(name, DataType::Float64, true),
                    Arc::new(Float64Array::from(rows.iter().map(get).collect::<Vec<_>>())),
                ));
            }
        }
        if self.tags.is_some() {
            cols.push(text(
                "tags".into(),
                rows.iter().map(|r| Some(r.tags.join(";"))).collect(),
            ));
        }
        let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = cols.into_iter().unzip();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| Error::Read(format!("cannot build the label batch: {e}")))
    }

    /// Writes the table as a Parquet file (one row group; Snappy compression).
    ///
    /// # Errors
    /// [`Error::Read`] when the batch cannot be built or the writer fails.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use userops::engine::EventTable;
    /// use userops::event::EventRecord;
    /// use userops::labels::{label_events, LabelOptions};
    /// let t = Utc.with_ymd_and_hms(2025, 3, 5, 0, 0, 0).unwrap();
    /// let table = EventTable::from_events([EventRecord::<u32>::new(7_u32, t)])?;
    /// let mut out = Vec::new();
    /// label_events(&table, &LabelOptions::monthly(t, 2))?.write_parquet(&mut out)?;
    /// assert_eq!(&out[..4], b"PAR1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_parquet<W: Write + Send>(&self, out: W) -> Result<()> {
        use parquet::arrow::ArrowWriter;
        use parquet::basic::Compression;
        use parquet::file::properties::WriterProperties;
        let batch = self.to_record_batch()?;
        let fail = |e: parquet::errors::ParquetError| {
            Error::Read(format!("cannot write the label table as Parquet: {e}"))
        };
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build();
        let mut writer = ArrowWriter::try_new(out, batch.schema(), Some(props)).map_err(fail)?;
        writer.write(&batch).map_err(fail)?;
        writer.close().map_err(fail)?;
        Ok(())
    }
}
