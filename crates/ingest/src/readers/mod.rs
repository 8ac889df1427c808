//! One reader per container format. Each turns its file into header names
//! and text fields and hands every data line to the [`Sink`](crate::sink::Sink).

mod csv_text;
mod excel;
mod parquet;

use crate::sink::Sink;
use crate::{Format, IngestError, IngestOptions, InputFile};

/// Reads every input into `sinks`, one sink per thread. Typing each line is
/// most of an ingest's time, so a Parquet file, whose rows can be read from
/// anywhere, is split into one row range per sink and read in parallel;
/// other formats are read in order by the first sink. Every sink sees every
/// source (with no lines where it read none), so a source has the same
/// index in all of them.
pub(crate) fn read_files(files: &[InputFile], options: &IngestOptions, sinks: &mut [Sink]) -> Result<(), IngestError> {
    let parts = sinks.len();
    for file in files {
        match file.format {
            Format::Parquet => std::thread::scope(|scope| {
                let workers: Vec<_> = sinks
                    .iter_mut()
                    .enumerate()
                    .map(|(part, sink)| scope.spawn(move || parquet::read(file, options, sink, (part, parts))))
                    .collect();
                workers.into_iter().try_for_each(|worker| worker.join().expect("a reader thread does not panic"))
            })?,
            Format::Csv => csv_text::read(file, options, &mut sinks[0])?,
            Format::Excel => excel::read(file, options, &mut sinks[0])?,
        }
        let (first, others) = sinks.split_first_mut().expect("at least one sink");
        for sink in others {
            sink.align_sources(first);
        }
    }
    Ok(())
}
