//! Parquet exports: the mapped columns are read in batches and handed over
//! as text, so one set of rules types every format. Line numbers are
//! 1-based row numbers.

use std::fs::File;
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::columns::map_columns;
use crate::sink::Sink;
use crate::{IngestError, IngestOptions, InputFile};

pub(crate) fn read(file: &InputFile, options: &IngestOptions, sink: &mut Sink) -> Result<(), IngestError> {
    let path = Path::new(&file.name);
    let corrupt = |message: String| IngestError::Corrupt { path: path.to_path_buf(), format: "Parquet", message };
    let handle = File::open(&file.path).map_err(|source| IngestError::Read { path: path.to_path_buf(), source })?;
    if handle.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(IngestError::Empty { path: path.to_path_buf() });
    }
    let builder = ParquetRecordBatchReaderBuilder::try_new(handle).map_err(|e| corrupt(e.to_string()))?;
    let header: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let positions = map_columns(path, &header, &options.columns)?;
    if builder.metadata().file_metadata().num_rows() == 0 {
        return Err(IngestError::HeaderOnly { path: path.to_path_buf() });
    }
    let reader = builder.with_batch_size(8192).build().map_err(|e| corrupt(e.to_string()))?;
    sink.start_source(file.name.clone());
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| corrupt(e.to_string()))?;
        let columns = positions
            .iter()
            .map(|p| {
                cast(batch.column(*p), &DataType::Utf8).map_err(|e| corrupt(format!("column `{}`: {e}", header[*p])))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let columns: Vec<_> = columns.iter().map(|c| c.as_string::<i32>()).collect();
        for index in 0..batch.num_rows() {
            row += 1;
            let fields: Vec<&str> =
                columns.iter().map(|c| if c.is_null(index) { "" } else { c.value(index) }).collect();
            sink.line(row, &fields, &[0, 1, 2, 3, 4, 5, 6, 7], fields.len())?;
        }
    }
    sink.end_source()
}
