//! One function per subcommand: resolve settings, call the libraries, print.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use insights_catalog::{Catalog, ParamOverride};
use insights_engine::{
    EngineOptions, ExecutorOptions, InsightRecord, RunOptions, RunReport, SOURCE_TABLES, SchedulerOptions,
    serve_executor, serve_scheduler,
};
use insights_ingest::{IngestOptions, IngestSummary, thousands};
use insights_storage::Location;

use crate::cli::{Cli, Command, ExecutorArgs, IngestArgs, InputArgs, RunArgs};
use crate::config::Config;
use crate::output::{self, ResultFormat};

/// The bundled sample the first run uses, relative to the repository.
const SAMPLE_INPUT: &str = "data/online_retail_sample.csv.gz";
/// Where this binary's sources (and their `sql/` and `data/`) were.
const BUILT_FROM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

pub async fn dispatch(cli: Cli) -> Result<()> {
    crate::logging::init(cli.global.verbose);
    let config = Config::load(cli.global.config.as_deref())?;
    let sql_dir = cli.global.sql.clone().or_else(|| config.catalog.clone());
    match cli.command {
        Command::Run(args) => run(args, &config, sql_dir).await,
        Command::Ingest(args) => ingest(args, &config, sql_dir).await,
        Command::List => list(sql_dir),
        Command::Show { name } => show(sql_dir, &name, &config).await,
        Command::Diff { run_a, run_b, output, tolerance } => {
            diff(sql_dir, &config, (&run_a, &run_b), output, tolerance).await
        }
        Command::Runs { output, keep } => runs(&config, output, keep).await,
        Command::Query { statement, output, format } => query(sql_dir, &config, &statement, output, format).await,
        Command::Shell { output, format } => shell(sql_dir, &config, output, format).await,
        Command::Report { output } => report(sql_dir, &config, output).await,
        Command::Generate { lines, output, seed, format } => generate(lines, &output, seed, format.as_deref()),
        Command::Check => check(sql_dir, &config).await,
        Command::Lock => {
            let catalog = load_catalog(sql_dir)?;
            catalog.write_lock()?;
            outln!(
                "locked {} files in {}",
                catalog.lock_entries().len(),
                catalog.dir.join(insights_catalog::LOCK_FILE).display()
            );
            Ok(())
        }
        Command::New { name, from } => new_insight(sql_dir, &name, from.as_deref()),
        Command::Submit(args) => {
            if args.scheduler.is_none() && config.cluster.scheduler.is_none() {
                bail!(
                    "submit needs --scheduler df://HOST:PORT (or INSIGHTS_SCHEDULER); `insights run` runs without a cluster"
                );
            }
            run(args, &config, sql_dir).await
        }
        Command::Scheduler(args) => {
            let external_host = args.external_host.unwrap_or_else(|| args.bind.clone());
            let port = args.port.or(config.cluster.scheduler_port).unwrap_or(50050);
            eprintln!("scheduler listening on {}:{port} (df://{external_host}:{port})", args.bind);
            let options = SchedulerOptions {
                bind_host: args.bind,
                port,
                external_host,
                executor_timeout_seconds: args.executor_timeout,
                storage: config.storage.clone(),
            };
            Ok(serve_scheduler(options).await?)
        }
        Command::Executor(args) => executor(args, &config).await,
    }
}

/// `./sql` (or the configured directory), else the catalog of the checkout
/// this binary was built from.
fn catalog_dir(configured: Option<PathBuf>) -> PathBuf {
    configured
        .or_else(|| Some(PathBuf::from("sql")).filter(|p| p.is_dir()))
        .unwrap_or_else(|| Path::new(BUILT_FROM).join("sql"))
}

fn load_catalog(dir: Option<PathBuf>) -> Result<Catalog> {
    let dir = catalog_dir(dir);
    if !dir.is_dir() {
        bail!("SQL catalog directory {} not found (set --sql DIR)", dir.display());
    }
    Catalog::load(&dir, &SOURCE_TABLES).context("the SQL catalog is invalid")
}

fn ingest_options(args: &InputArgs, config: &Config) -> Result<IngestOptions> {
    let file = &config.ingest;
    let format = args.format.as_ref().or(file.format.as_ref());
    let encoding = args.encoding.as_ref().or(file.encoding.as_ref());
    let delimiter = match file.delimiter {
        Some(c) if c.is_ascii() => Some(c as u8),
        Some(c) => bail!("config `ingest.delimiter`: `{c}` is not a single-byte character"),
        None => None,
    };
    Ok(IngestOptions {
        format: format.map(|f| f.parse()).transpose().map_err(anyhow::Error::msg)?,
        encoding: encoding.map(|e| e.parse()).transpose().map_err(anyhow::Error::msg)?.unwrap_or_default(),
        sheet: args.sheet.clone().or_else(|| file.sheet.clone()),
        delimiter,
        columns: file.columns.clone(),
        day_first: args.day_first || file.day_first,
        timestamp_formats: file.timestamp_formats.clone(),
        progress: true,
        memory_limit: file
            .memory_limit
            .as_deref()
            .map(parse_size)
            .transpose()
            .context("config `ingest.memory_limit`")?,
    })
}

async fn ingest(args: IngestArgs, config: &Config, sql_dir: Option<PathBuf>) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    let curation = catalog.curation.as_ref().context("the catalog has no curated/transactions.sql")?;
    let options = ingest_options(&args.input_args, config)?;
    let output = Location::parse(&args.output, &config.storage)?;
    let scratch = tempfile::Builder::new().prefix("insights-ingest-").tempdir()?;
    let files =
        insights_ingest::open_inputs(&args.input, options.format, &config.storage, &scratch.path().join("input"))
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
    outln!("curated layer: {}", display_location(&args.output, "curated"));
    Ok(())
}

/// `out` + `curated` -> `out/curated`, as the user wrote the location.
fn display_location(base: &str, relative: &str) -> String {
    format!("{}/{relative}", base.trim_end_matches('/'))
}

fn print_ingest(summary: &IngestSummary) {
    if summary.files.len() > 1 {
        for file in &summary.files {
            outln!(
                "  {}: {} raw = {} kept + {} duplicates + {} quarantined",
                file.file,
                thousands(file.raw_lines),
                thousands(file.kept),
                thousands(file.duplicates),
                thousands(file.quarantined)
            );
        }
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
        eprintln!(
            "  done {} v{}: {} rows in {:.2} s",
            record.name,
            record.version,
            thousands(record.rows),
            record.seconds
        );
    }
}

async fn run(args: RunArgs, config: &Config, sql_dir: Option<PathBuf>) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    if let Some(problem) = catalog.verify_lock()?.into_iter().find(|p| p.blocks_run()) {
        bail!("{problem}");
    }
    let overrides = args.params.iter().map(|p| ParamOverride::parse(p)).collect::<Result<Vec<_>, _>>()?;
    let params = catalog.resolve_params(&config.params, &overrides)?;
    catalog.select(&args.only)?;
    let input = match args.input.or_else(|| config.input.clone()) {
        Some(input) => input,
        None if Path::new(SAMPLE_INPUT).exists() => SAMPLE_INPUT.to_string(),
        None => Path::new(BUILT_FROM).join(SAMPLE_INPUT).display().to_string(),
    };
    let output = config.output_or(args.output);
    let category_rules = config.category_rules.clone().unwrap_or_else(|| catalog.dir.join("category_rules.yaml"));
    let memory_limit = args.memory_limit.clone().or_else(|| config.cluster.memory_limit.clone());
    let mut engine = EngineOptions {
        scheduler: args.scheduler.clone().or_else(|| config.cluster.scheduler.clone()),
        memory_limit: memory_limit.as_deref().map(parse_size).transpose().context("memory limit")?,
        ..EngineOptions::default()
    };
    if let Some(n) = args.parallelism.or(config.cluster.parallelism) {
        engine.parallelism = n.max(1);
    }
    let options = RunOptions {
        input: input.clone(),
        output: output.clone(),
        only: args.only,
        params,
        ingest: ingest_options(&args.input_args, config)?,
        engine,
        storage: config.storage.clone(),
        category_rules,
        csv_copies: args.csv || config.csv.unwrap_or(false),
    };
    match &options.engine.scheduler {
        Some(url) => eprintln!("running on the cluster at {url} ({input})"),
        None => eprintln!("running on Ballista standalone ({input})"),
    }
    let manifest = insights_engine::run(&catalog, &options, &Progress)
        .await
        .with_context(|| format!("run failed; the last committed results in {output} are unchanged"))?;
    outln!();
    outln!("{:<24} {:>8} {:>10} {:>9}", "insight", "version", "rows", "seconds");
    for record in &manifest.insights {
        outln!(
            "{:<24} {:>8} {:>10} {:>9.2}",
            record.name,
            format!("v{}", record.version),
            thousands(record.rows),
            record.seconds
        );
    }
    outln!();
    outln!("run {} committed", manifest.run_id);
    outln!("results:  {}", display_location(&output, &format!("runs/{}/tables", manifest.run_id)));
    outln!("manifest: {}", display_location(&output, insights_engine::MANIFEST_FILE));
    if !args.no_report && config.report.unwrap_or(true) {
        let location = Location::parse(&output, &config.storage)?;
        let summary = insights_report::render_report(&catalog, &location, &config.storage)
            .await
            .context("the run is committed, but its report failed (`insights report` retries)")?;
        outln!("report:   {}", display_location(&output, &format!("{}/index.html", insights_report::REPORT_DIR)));
        log::debug!("report written to {}", summary.index);
    }
    Ok(())
}

fn generate(lines: u64, output: &Path, seed: u64, format: Option<&str>) -> Result<()> {
    let name = output.display().to_string();
    let format = match format {
        Some("csv") => insights_datagen::Format::Csv,
        Some(_) => insights_datagen::Format::Parquet,
        None if name.ends_with(".csv") || name.ends_with(".csv.gz") => insights_datagen::Format::Csv,
        None if name.ends_with(".parquet") => insights_datagen::Format::Parquet,
        None => bail!("{name}: name the file .parquet, .csv or .csv.gz, or pass --format"),
    };
    let options = insights_datagen::GenerateOptions { lines, seed, format, ..Default::default() };
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

async fn report(sql_dir: Option<PathBuf>, config: &Config, output: Option<String>) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    let output = config.output_or(output);
    let location = Location::parse(&output, &config.storage)?;
    let summary = insights_report::render_report(&catalog, &location, &config.storage)
        .await
        .with_context(|| format!("cannot write the report of the latest run in {output}"))?;
    outln!("{} sections, {} charts", summary.sections, summary.charts);
    outln!("report: {}", summary.index);
    Ok(())
}

async fn executor(args: ExecutorArgs, config: &Config) -> Result<()> {
    let file = &config.cluster.executor;
    let scheduler = args.scheduler.or_else(|| file.scheduler.clone()).unwrap_or_else(|| "127.0.0.1:50050".into());
    let (host, port) = scheduler
        .trim_start_matches("df://")
        .rsplit_once(':')
        .with_context(|| format!("scheduler `{scheduler}`: expected HOST:PORT"))?;
    let scheduler_port = port.parse().with_context(|| format!("scheduler `{scheduler}`: bad port"))?;
    let memory_limit =
        args.memory_limit.or_else(|| file.memory_limit.clone()).as_deref().map(parse_size).transpose()?;
    let concurrent_tasks = args
        .concurrent_tasks
        .or(file.concurrent_tasks)
        .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(2));
    let flight_port = args.port.or(file.port).unwrap_or(50051);
    eprintln!(
        "executor on {}:{flight_port} with {concurrent_tasks} task slots, registering with {host}:{port}",
        args.bind
    );
    let options = ExecutorOptions {
        bind_host: args.bind.clone(),
        external_host: args.external_host.or(Some(args.bind)),
        port: flight_port,
        grpc_port: args.grpc_port.or(file.grpc_port).unwrap_or(50052),
        scheduler_host: host.to_string(),
        scheduler_port,
        concurrent_tasks,
        work_dir: args.work_dir.or_else(|| file.work_dir.clone()),
        memory_limit,
        storage: config.storage.clone(),
    };
    Ok(serve_executor(options).await?)
}

/// `4GiB`, `512MiB`, `1.5G`, `1000000` (bytes).
fn parse_size(text: &str) -> Result<u64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.trim().parse().with_context(|| format!("`{text}` is not a size like 4GiB or 512MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => bail!("`{text}`: unknown unit `{other}` (use KiB, MiB, GiB or TiB)"),
    };
    Ok((number * factor as f64) as u64)
}

async fn query(
    sql_dir: Option<PathBuf>,
    config: &Config,
    sql: &str,
    output: Option<String>,
    format: ResultFormat,
) -> Result<()> {
    let ctx = latest_run_session(sql_dir, config, output).await?;
    let batches = ctx.sql_with_options(sql, output::read_only()).await?.collect().await?;
    output::print_batches(&batches, format)
}

async fn shell(sql_dir: Option<PathBuf>, config: &Config, output: Option<String>, format: ResultFormat) -> Result<()> {
    if format == ResultFormat::Parquet {
        bail!(
            "the shell prints text: use --format table, csv or json (`insights query --format parquet` writes Parquet)"
        );
    }
    let ctx = latest_run_session(sql_dir, config, output).await?;
    crate::shell::run_shell(&ctx, format).await
}

/// A query session over the latest committed run in the output location.
async fn latest_run_session(
    sql_dir: Option<PathBuf>,
    config: &Config,
    output: Option<String>,
) -> Result<datafusion::prelude::SessionContext> {
    let catalog = load_catalog(sql_dir)?;
    let output = config.output_or(output);
    let location = Location::parse(&output, &config.storage)?;
    let manifest = insights_engine::Manifest::read(&location)
        .await
        .with_context(|| format!("cannot read the latest committed run in {output} (`insights run` makes one)"))?;
    Ok(insights_engine::query_session(&catalog, &location, &manifest, &config.storage).await?)
}

/// A run named on the command line: `latest`, a run id under `output`, or
/// another output location.
async fn find_run(
    output: &Location,
    run: &str,
    storage: &insights_storage::StorageOptions,
) -> Result<(Location, insights_engine::Manifest)> {
    if run == "latest" {
        let manifest = insights_engine::Manifest::read(output).await.context("cannot read the latest committed run")?;
        return Ok((output.clone(), manifest));
    }
    if run.contains('/') || Path::new(run).is_dir() {
        let location = Location::parse(run, storage)?;
        let manifest = insights_engine::Manifest::read(&location)
            .await
            .with_context(|| format!("`{run}` has no committed run"))?;
        return Ok((location, manifest));
    }
    let manifest = insights_engine::Manifest::read_run(output, run)
        .await
        .with_context(|| format!("no run `{run}` in {}", output.url))?;
    Ok((output.clone(), manifest))
}

async fn runs(config: &Config, output: Option<String>, keep: Option<u64>) -> Result<()> {
    let output_text = config.output_or(output);
    let output = Location::parse(&output_text, &config.storage)?;
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
                manifest.insights.len().to_string(),
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

async fn diff(
    sql_dir: Option<PathBuf>,
    config: &Config,
    (run_a, run_b): (&str, &str),
    output: Option<String>,
    tolerance: f64,
) -> Result<()> {
    if !(tolerance >= 0.0 && tolerance.is_finite()) {
        bail!("--tolerance {tolerance}: expected a number of 0 or more");
    }
    let catalog = load_catalog(sql_dir)?;
    let output = config.output_or(output);
    let output = Location::parse(&output, &config.storage)?;
    let (a_location, a) = find_run(&output, run_a, &config.storage).await?;
    let (b_location, b) = find_run(&output, run_b, &config.storage).await?;
    let ctx = insights_engine::query_session(&catalog, &a_location, &a, &config.storage).await?;
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

/// `aov 25 rows (largest 1.2e-3, relative 4.0e-6)`: sizes in a form that
/// shows how small they are.
fn describe_column_diff(column: &insights_engine::ColumnDiff) -> String {
    let mut text = format!("{} {} rows", column.name, thousands(column.rows));
    if let (Some(absolute), Some(relative)) = (column.largest_absolute, column.largest_relative) {
        text.push_str(&format!(" (largest {absolute:.1e}, relative {relative:.1e})"));
    }
    text
}

async fn show(sql_dir: Option<PathBuf>, name: &str, config: &Config) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    let model = catalog.get(name)?;
    let params = catalog.resolve_params(&config.params, &[])?;
    outln!("{}", model.sql.trim_end());
    outln!();
    let planned = insights_engine::plan_catalog(&catalog, &params).await;
    let entry = planned.iter().find(|p| p.model.name() == name).expect("every model is planned");
    match &entry.plan {
        Ok(plan) => outln!("-- plan\n{}", plan.display_indent()),
        Err(message) => bail!("{message}"),
    }
    Ok(())
}

async fn check(sql_dir: Option<PathBuf>, config: &Config) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    let params = catalog.resolve_params(&config.params, &[])?;
    let mut problems: Vec<String> = Vec::new();
    for planned in insights_engine::plan_catalog(&catalog, &params).await {
        match &planned.plan {
            Ok(_) => outln!("ok     {} v{}", planned.model.name(), planned.model.version()),
            Err(message) => {
                outln!("error  {} v{}", planned.model.name(), planned.model.version());
                problems.push(message.clone());
            }
        }
    }
    problems.extend(catalog.verify_lock()?.iter().map(ToString::to_string));
    if problems.is_empty() {
        outln!("catalog ok: {} files planned, {} in step", catalog.models.len(), insights_catalog::LOCK_FILE);
        return Ok(());
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    bail!("{} problem(s) in the catalog", problems.len())
}

const STARTER_QUERY: &str = "\
with monthly as (
    select
        year_month,
        sum(revenue) as revenue,
        count(distinct invoice_no) as orders
    from sales
    group by year_month
),

final as (
    select * from monthly
)

select * from final
";

fn new_insight(sql_dir: Option<PathBuf>, name: &str, from: Option<&str>) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!("`{name}` is not a valid insight name: use lower-case letters, digits and `_`, starting with a letter");
    }
    if let Ok(existing) = catalog.get(name) {
        bail!("`{name}` already exists: {}", existing.path.display());
    }
    let path = catalog.dir.join(format!("{name}.sql"));
    if path.exists() {
        bail!("{} already exists", path.display());
    }
    let text = match from {
        Some(template) => {
            let source = catalog.get(template)?;
            let mut lines = Vec::new();
            for line in source.sql.lines() {
                lines.push(match line.trim_start() {
                    l if l.starts_with("-- name:") => format!("-- name: {name}"),
                    l if l.starts_with("-- version:") => "-- version: 1".to_string(),
                    _ => line.to_string(),
                });
            }
            lines.join("\n") + "\n"
        }
        None => format!(
            "-- name: {name}\n-- version: 1\n-- description: >\n--   TODO: the business question this answers, in a sentence or two.\n-- key: [year_month]\n\n{STARTER_QUERY}"
        ),
    };
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    outln!("created {}", path.display());
    outln!("next: edit it, `insights check`, then `insights run --only {name}`");
    Ok(())
}

fn list(sql_dir: Option<PathBuf>) -> Result<()> {
    let catalog = load_catalog(sql_dir)?;
    outln!("catalog: {}", catalog.dir.display());
    for model in catalog.insights() {
        outln!();
        outln!("{} v{}  ({})", model.name(), model.version(), model.path.display());
        outln!("  {}", model.summary());
        for param in &model.params {
            outln!("  param {}: {} = {}  -- {}", param.name, param.ty.name(), param.default, param.description);
        }
        let reads: Vec<&str> = model.dependencies.iter().map(String::as_str).collect();
        outln!("  reads: {}", reads.join(", "));
    }
    let staging: Vec<String> = catalog.staging().map(|m| format!("{} v{}", m.name(), m.version())).collect();
    outln!();
    outln!("staging models: {}", staging.join(", "));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("4GiB").unwrap(), 4 << 30);
        assert_eq!(parse_size("512 MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("4 parsecs").is_err());
    }
}
