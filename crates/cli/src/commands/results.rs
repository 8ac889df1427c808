//! `query`, `shell`, `report`, `runs` and `diff`: committed runs, read back.

use std::path::Path;

use anyhow::{Context, Result, bail};
use insights_engine::Manifest;
use insights_ingest::thousands;
use insights_storage::Location;

use crate::cli::OutputArgs;
use crate::output::{self, ResultFormat};
use crate::settings::Settings;

pub async fn query(settings: &Settings, sql: &str, output: &OutputArgs, format: ResultFormat) -> Result<()> {
    let ctx = latest_run_session(settings, output).await?;
    let batches = ctx.sql_with_options(sql, output::read_only()).await?.collect().await?;
    output::print_batches(&batches, format)
}

pub async fn shell(settings: &Settings, output: &OutputArgs, format: ResultFormat) -> Result<()> {
    if format == ResultFormat::Parquet {
        bail!(
            "the shell prints text: use --format table, csv or json (`insights query --format parquet` writes Parquet)"
        );
    }
    let ctx = latest_run_session(settings, output).await?;
    crate::shell::run_shell(&ctx, format).await
}

/// A query session over the latest committed run in the output location.
async fn latest_run_session(settings: &Settings, output: &OutputArgs) -> Result<datafusion::prelude::SessionContext> {
    let catalog = settings.catalog()?;
    let output = settings.output(output);
    let location = settings.location(&output)?;
    let manifest = Manifest::read(&location)
        .await
        .with_context(|| format!("cannot read the latest committed run in {output} (`insights run` makes one)"))?;
    Ok(insights_engine::query_session(&catalog, &location, &manifest, settings.storage()).await?)
}

pub async fn report(settings: &Settings, output: &OutputArgs) -> Result<()> {
    let catalog = settings.catalog()?;
    let output = settings.output(output);
    let location = settings.location(&output)?;
    let summary = insights_report::render_report(&catalog, &location, settings.storage())
        .await
        .with_context(|| format!("cannot write the report of the latest run in {output}"))?;
    outln!("{} sections, {} charts", summary.sections, summary.charts);
    outln!("report: {}", summary.index);
    Ok(())
}

pub async fn runs(settings: &Settings, output: &OutputArgs, keep: Option<u64>) -> Result<()> {
    let output_text = settings.output(output);
    let output = settings.location(&output_text)?;
    if let Some(keep) = keep {
        let removed = insights_engine::prune_runs(&output, keep as usize, chrono::Utc::now())
            .await
            .with_context(|| format!("cannot prune the runs in {output_text}"))?;
        for run in &removed {
            let what = if run.manifest.is_some() { "committed" } else { "unfinished" };
            outln!("removed {} ({what})", run.run_id);
        }
        outln!("removed {} runs", removed.len());
    }
    let runs =
        insights_engine::list_runs(&output).await.with_context(|| format!("cannot list the runs in {output_text}"))?;
    if runs.is_empty() {
        outln!("no runs in {output_text}");
        return Ok(());
    }
    outln!("{:<27} {:<19} {:<10} {:>8}  input", "run", "started (UTC)", "status", "insights");
    for run in &runs {
        let started = run.started.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        let (status, insights, input) = match &run.manifest {
            Some(manifest) => (
                if run.latest { "latest" } else { "committed" },
                manifest.written().count().to_string(),
                match manifest.input_files.as_slice() {
                    [first, rest @ ..] if !rest.is_empty() => format!("{first} (+{} more)", rest.len()),
                    files => files.join(""),
                },
            ),
            None => ("unfinished", "-".to_string(), String::new()),
        };
        let line = format!("{:<27} {started:<19} {status:<10} {insights:>8}  {input}", run.run_id);
        outln!("{}", line.trim_end());
    }
    Ok(())
}

pub async fn diff(
    settings: &Settings,
    (run_a, run_b): (&str, &str),
    output: &OutputArgs,
    tolerance: f64,
) -> Result<()> {
    if !(tolerance >= 0.0 && tolerance.is_finite()) {
        bail!("--tolerance {tolerance}: expected a number of 0 or more");
    }
    let catalog = settings.catalog()?;
    let output = settings.location(&settings.output(output))?;
    let (a_location, a) = find_run(settings, &output, run_a).await?;
    let (b_location, b) = find_run(settings, &output, run_b).await?;
    let ctx = insights_engine::query_session(&catalog, &a_location, &a, settings.storage()).await?;
    let diffs = insights_engine::diff_runs(&catalog, &ctx, (&a_location, &a), (&b_location, &b), tolerance).await?;
    outln!("A = {}   B = {}   (numbers equal within a relative {tolerance:e})", a.run_id, b.run_id);
    let side = |s: Option<(u32, u64)>| s.map_or("-".to_string(), |(v, r)| format!("v{v} {} rows", thousands(r)));
    for d in &diffs {
        let mark = if d.changed() { "changed" } else { "same   " };
        out!("{mark} {:<24} {} -> {}", d.name, side(d.a), side(d.b));
        if d.only_in_a + d.only_in_b > 0 {
            out!("; keys only in A: {}, only in B: {}", d.only_in_a, d.only_in_b);
        }
        let differing: Vec<String> = d.columns.iter().filter(|c| c.rows > 0).map(describe_column_diff).collect();
        if !differing.is_empty() {
            out!("; differ: {}", differing.join(", "));
        }
        outln!();
    }
    let changed = diffs.iter().filter(|d| d.changed()).count();
    outln!("{changed} of {} tables changed", diffs.len());
    Ok(())
}

/// A run named on the command line: `latest`, a run id under `output`, or
/// another output location.
async fn find_run(settings: &Settings, output: &Location, run: &str) -> Result<(Location, Manifest)> {
    if run == "latest" {
        let manifest = Manifest::read(output).await.context("cannot read the latest committed run")?;
        return Ok((output.clone(), manifest));
    }
    if run.contains('/') || Path::new(run).is_dir() {
        let location = settings.location(run)?;
        let manifest = Manifest::read(&location).await.with_context(|| format!("`{run}` has no committed run"))?;
        return Ok((location, manifest));
    }
    let manifest =
        Manifest::read_run(output, run).await.with_context(|| format!("no run `{run}` in {}", output.url))?;
    Ok((output.clone(), manifest))
}

/// `aov 25 rows (largest 1.2e-3, relative 4.0e-6)`: sizes in a form that
/// shows how small they are.
fn describe_column_diff(column: &insights_engine::ColumnDiff) -> String {
    let mut text = format!("{} {} rows", column.name, thousands(column.rows));
    if let (Some(absolute), Some(relative)) = (column.largest_absolute, column.largest_relative) {
        text.push_str(&format!(" (largest {absolute:.1e}, relative {relative:.1e})"));
    }
    text
}
