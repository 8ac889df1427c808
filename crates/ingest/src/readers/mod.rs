//! One reader per container format. Each turns its file into header names
//! and text fields and hands every data line to the [`Sink`](crate::sink::Sink).

mod csv_text;
mod excel;
mod parquet;

use crate::sink::Sink;
use crate::{Format, IngestError, IngestOptions, InputFile};

/// Reads one input file into the sink.
pub(crate) fn read_file(file: &InputFile, options: &IngestOptions, sink: &mut Sink) -> Result<(), IngestError> {
    match file.format {
        Format::Csv => csv_text::read(file, options, sink),
        Format::Excel => excel::read(file, options, sink),
        Format::Parquet => parquet::read(file, options, sink),
    }
}
