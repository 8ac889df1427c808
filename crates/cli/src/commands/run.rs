//! `run`, `submit` and `ingest`: raw exports in, curated data and committed
//! results out.

use anyhow::{Context, Result, bail};
use insights_engine::{InsightRecord, InsightStatus, RunReport};
use insights_ingest::{IngestSummary, thousands};

use super::display_location;
use crate::cli::{IngestArgs, RunArgs};
use crate::settings::Settings;

pub async fn submit(settings: &Settings, args: RunArgs) -> Result<()> {
    if !settings.has_scheduler(&args) {
        bail!("submit needs --scheduler df://HOST:PORT (or INSIGHTS_SCHEDULER); `insights run` runs without a cluster");
    }
    run(settings, args).await
}

pub async fn run(settings: &Settings, args: RunArgs) -> Result<()> {
    let catalog = settings.catalog()?;
    if let Some(problem) = catalog.verify_lock()?.into_iter().find(|p| p.blocks_run()) {
        bail!("{problem}");
    }
    catalog.select(&args.only)?;
    let options = settings.run_options(&args, &catalog)?;
    let output = options.output.clone();
    match &options.engine.scheduler {
        Some(url) => eprintln!("running on the cluster at {url} ({})", options.input),
        None => eprintln!("running on Ballista standalone ({})", options.input),
    }
    let manifest = insights_engine::run(&catalog, &options, &Progress)
        .await
        .with_context(|| format!("run failed; the last committed results in {output} are unchanged"))?;
    outln!();
    outln!("{:<24} {:>8} {:>10} {:>9}", "insight", "version", "rows", "seconds");
    for record in manifest.written() {
        outln!(
            "{:<24} {:>8} {:>10} {:>9.2}",
            record.name,
            format!("v{}", record.version),
            thousands(record.rows),
            record.seconds
        );
    }
    for record in manifest.skipped() {
        let reason = record.reason.as_deref().unwrap_or_default();
        outln!("{:<24} {:>8}    skipped: {reason}", record.name, format!("v{}", record.version));
    }
    outln!();
    outln!("run {} committed", manifest.run_id);
    outln!("results:  {}", display_location(&output, &format!("runs/{}/tables", manifest.run_id)));
    outln!("manifest: {}", display_location(&output, insights_engine::MANIFEST_FILE));
    if settings.writes_report(&args) {
        let location = settings.location(&output)?;
        let summary = insights_report::render_report(&catalog, &location, settings.storage())
            .await
            .context("the run is committed, but its report failed (`insights report` retries)")?;
        outln!("report:   {}", display_location(&output, &format!("{}/index.html", insights_report::REPORT_DIR)));
        log::debug!("report written to {}", summary.index);
    }
    Ok(())
}

pub async fn ingest(settings: &Settings, args: IngestArgs) -> Result<()> {
    let catalog = settings.catalog()?;
    let curation = catalog.curation.as_ref().context("the catalog has no curated/transactions.sql")?;
    let options = settings.ingest_options(&args.input_args)?;
    let output_text = settings.output(&args.output);
    let output = settings.location(&output_text)?;
    let scratch = tempfile::Builder::new().prefix("insights-ingest-").tempdir()?;
    let files =
        insights_ingest::open_inputs(&args.input, options.format, settings.storage(), &scratch.path().join("input"))
            .await?;
    let summary = insights_engine::write_curated(&files, &output, &options, &curation.sql, scratch.path())
        .await
        .map_err(|e| {
            match e {
                // Reading failed: say that nothing reached the output.
                insights_engine::EngineError::Ingest(_) => anyhow::Error::new(e).context(format!(
                    "ingest of {} failed; nothing was written to {}",
                    args.input,
                    output.url_of("curated")
                )),
                other => other.into(),
            }
        })?;
    print_ingest(&summary);
    outln!("curated layer: {}", display_location(&output_text, "curated"));
    Ok(())
}

/// The accounting line, per file when there are several; a text file's
/// line names the encoding it was read in.
fn print_ingest(summary: &IngestSummary) {
    let encoding = |file: &insights_ingest::FileSummary| file.encoding.as_ref().map(|e| format!(" ({e})"));
    if !summary.absent_columns.is_empty() {
        outln!("columns the input does not have: {}", summary.absent_columns.join(", "));
    }
    if let [file] = summary.files.as_slice() {
        outln!("ingest: {}{}", summary.accounting_line(), encoding(file).unwrap_or_default());
        return;
    }
    for file in &summary.files {
        outln!(
            "  {}: {} raw = {} kept + {} duplicates + {} quarantined{}",
            file.file,
            thousands(file.raw_lines),
            thousands(file.kept),
            thousands(file.duplicates),
            thousands(file.quarantined),
            encoding(file).unwrap_or_default()
        );
    }
    outln!("ingest: {}", summary.accounting_line());
}

/// Prints each step as it finishes (stderr, so stdout stays for results).
struct Progress;

impl RunReport for Progress {
    fn ingested(&self, summary: &IngestSummary) {
        print_ingest(summary);
    }

    fn insight_done(&self, record: &InsightRecord) {
        match record.status {
            InsightStatus::Skipped => eprintln!(
                "  skip {} v{}: {}",
                record.name,
                record.version,
                record.reason.as_deref().unwrap_or_default()
            ),
            InsightStatus::Written => eprintln!(
                "  done {} v{}: {} rows in {:.2} s",
                record.name,
                record.version,
                thousands(record.rows),
                record.seconds
            ),
        }
    }
}
