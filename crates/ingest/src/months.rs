//! Splitting lines by the month of their timestamp into one Parquet file per
//! month (`year_month=YYYY-MM/FILE`): the curated layer is stored that way,
//! and the staging file is too, so that de-duplication works one month at a
//! time (exact duplicates share their timestamp, hence their month).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike};
use datafusion::arrow::array::{AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::take_record_batch;
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;

use crate::IngestError;

/// Position of the `invoice_ts` column (µs, no zone) in the batches written.
const INVOICE_TS: usize = 4;

/// Writes each batch's rows to the file of their month, opening files as
/// months appear.
pub(crate) struct MonthWriter {
    dir: PathBuf,
    file_name: &'static str,
    properties: WriterProperties,
    /// Per month: its file and the writer of that file.
    writers: BTreeMap<String, (PathBuf, ArrowWriter<File>)>,
    /// Months whose file is finished, by `finish_open_months`.
    finished: BTreeMap<String, PathBuf>,
}

impl MonthWriter {
    pub fn new(dir: PathBuf, file_name: &'static str, properties: WriterProperties) -> Self {
        Self { dir, file_name, properties, writers: BTreeMap::new(), finished: BTreeMap::new() }
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), IngestError> {
        let timestamps = batch.column(INVOICE_TS).as_primitive::<TimestampMicrosecondType>();
        let mut rows_by_month: BTreeMap<Option<(i32, u32)>, Vec<u32>> = BTreeMap::new();
        for row in 0..batch.num_rows() {
            let month = DateTime::from_timestamp_micros(timestamps.value(row)).map(|ts| (ts.year(), ts.month()));
            rows_by_month.entry(month).or_default().push(row as u32);
        }
        let whole_batch = rows_by_month.len() == 1;
        for (month, rows) in rows_by_month {
            let month = match month {
                Some((year, month)) => format!("{year:04}-{month:02}"),
                None => "unknown".into(),
            };
            let part = if whole_batch { batch.clone() } else { take_record_batch(batch, &UInt32Array::from(rows))? };
            if let Some(path) = self.finished.get(&month) {
                return Err(IngestError::Config(format!(
                    "lines of {month} arrived after {} was finished",
                    path.display()
                )));
            }
            if !self.writers.contains_key(&month) {
                let dir = self.dir.join(format!("year_month={month}"));
                create_dir(&dir)?;
                let path = dir.join(self.file_name);
                let file = File::create(&path).map_err(|source| IngestError::Write { path: path.clone(), source })?;
                let writer = ArrowWriter::try_new(file, batch.schema(), Some(self.properties.clone()))?;
                self.writers.insert(month.clone(), (path, writer));
            }
            self.writers.get_mut(&month).expect("inserted").1.write(&part)?;
        }
        Ok(())
    }

    /// Finishes the files open now, freeing their buffered row groups, when
    /// the caller knows their months are complete (curation delivers one
    /// month at a time). Lines of those months are then an error.
    pub fn finish_open_months(&mut self) -> Result<(), IngestError> {
        for (month, (path, writer)) in std::mem::take(&mut self.writers) {
            writer.close()?;
            self.finished.insert(month, path);
        }
        Ok(())
    }

    /// Finishes every file; returns them in month order.
    pub fn close(mut self) -> Result<Vec<PathBuf>, IngestError> {
        create_dir(&self.dir)?;
        self.finish_open_months()?;
        Ok(self.finished.into_values().collect())
    }
}

pub(crate) fn create_dir(path: &Path) -> Result<(), IngestError> {
    std::fs::create_dir_all(path).map_err(|source| IngestError::Write { path: path.to_path_buf(), source })
}
