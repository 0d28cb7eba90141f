//! Readers straight into the ingestion layer ([`crate::engine::EventTable`]): no event object
//! and no `String` per row in between.
//!
//! * [`arrow`] (feature `arrow`) — Arrow [`RecordBatch`](arrow_array::RecordBatch)es and
//!   Parquet files: user ids as strings, dictionaries or integers, times in any Arrow unit and
//!   zone, with an account of every row that could not be used.
//!
//! The CSV reader is [`crate::csv`] (feature `csv`).
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{RecordBatch, StringArray, Date32Array};
//! use userops::io::arrow::{read_batches, ArrowSpec};
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("user", Arc::new(StringArray::from(vec!["ana", "bo"])) as _),
//!     ("day", Arc::new(Date32Array::from(vec![20_089, 20_090])) as _),
//! ])?;
//! let (table, report) = read_batches([batch], &ArrowSpec::new("user", "day"))?;
//! assert_eq!((table.len(), report.accepted, report.rejected), (2, 2, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod arrow;
