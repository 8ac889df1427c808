//! `generate`: synthetic shop data of any size.

use std::path::Path;

use anyhow::{Result, bail};
use insights_datagen::{Format, GenerateOptions};
use insights_ingest::thousands;

pub fn generate(lines: u64, output: &Path, seed: u64, format: Option<Format>) -> Result<()> {
    let name = output.display().to_string();
    let Some(format) = format.or_else(|| Format::from_file_name(&name)) else {
        bail!("{name}: name the file .parquet, .csv or .csv.gz, or pass --format");
    };
    let options = GenerateOptions { lines, seed, format, ..Default::default() };
    let started = std::time::Instant::now();
    let summary = insights_datagen::generate(output, &options)?;
    outln!(
        "{name}: {} lines in {} invoices ({} cancellation lines, {} without a customer), {} products, {} customers, {:.1} s",
        thousands(summary.lines),
        thousands(summary.invoices),
        thousands(summary.cancellation_lines),
        thousands(summary.lines_without_customer),
        thousands(summary.products as u64),
        thousands(summary.customers as u64),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
