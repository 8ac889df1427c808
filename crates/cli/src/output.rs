//! What the binary prints: text that ends quietly when the reader goes
//! away (`insights list | head`: Rust ignores SIGPIPE, so `println!` would
//! panic with "failed printing to stdout: Broken pipe"), and the results of
//! the read-only SQL that `query` and `shell` run.

use std::io::{ErrorKind, Write};

use anyhow::{Context, Result};
use clap::ValueEnum;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::context::SQLOptions;

/// Writes to stdout; a closed pipe ends the process with success, as it
/// does for other command-line tools, and any other failure is reported.
pub fn write(args: std::fmt::Arguments) {
    if let Err(error) = std::io::stdout().lock().write_fmt(args) {
        if error.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {error}");
        std::process::exit(2);
    }
}

/// Whether an error (a result written with `?`) is the reader going away.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == ErrorKind::BrokenPipe))
}

/// How `query` and `shell` print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// An aligned text table.
    Table,
    Csv,
    /// JSON lines, one object per row.
    Json,
    /// A Parquet file (to redirect into one).
    Parquet,
}

/// What `query` and `shell` may run: no DDL, no DML, no other statements.
pub fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// Prints query results to stdout in `format`.
pub fn print_batches(batches: &[RecordBatch], format: ResultFormat) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match format {
        ResultFormat::Csv => {
            let mut writer = datafusion::arrow::csv::Writer::new(&mut stdout);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        ResultFormat::Json => {
            let mut writer = datafusion::arrow::json::LineDelimitedWriter::new(&mut stdout);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        ResultFormat::Parquet => {
            let schema = batches.first().map(|b| b.schema()).context("the query returned no batches")?;
            let mut bytes = Vec::new();
            let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, None)?;
            for batch in batches {
                writer.write(batch)?;
            }
            writer.close()?;
            stdout.write_all(&bytes)?;
        }
        ResultFormat::Table => writeln!(stdout, "{}", pretty_format_batches(batches)?)?,
    }
    Ok(())
}
