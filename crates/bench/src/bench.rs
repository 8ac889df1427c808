//! The benchmark suite (never a test). For each size it generates data
//! once, then times the `insights` binary as a user runs it —
//! `run` standalone, or `submit` to a local scheduler with two executors —
//! and `report`, recording wall time, lines per second and peak RSS, and
//! writes a Markdown and a JSON table under `bench/results/DATE/`. The same SQL
//! on DuckDB (`baseline.rs`) is timed in the same run for a ratio.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use insights_catalog::Catalog;
use insights_local_cluster::{ClusterSpec, LocalCluster};

use crate::BenchArgs;
use crate::baseline::{Baseline, BaselineResult, check_python};

/// One measured step.
#[derive(Debug, Serialize)]
struct Step {
    size: u64,
    /// The memory limit it ran under (`none`).
    memory_limit: String,
    mode: String,
    step: String,
    seconds: f64,
    /// For the steps that process the lines (not generate or report).
    lines_per_second: Option<f64>,
    peak_rss_mib: f64,
}

/// Where the catalog runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `insights run`, in-process.
    Standalone,
    /// `insights submit` to a local scheduler with two executors.
    Cluster,
    /// The same cluster with mutual TLS on every connection.
    ClusterTls,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Standalone => "standalone",
            Self::Cluster => "cluster",
            Self::ClusterTls => "cluster-tls",
        }
    }
}

/// A memory limit of a bench run (`none`: without one), as the `insights`
/// binary and DuckDB read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryLimit(pub Option<String>);

impl std::str::FromStr for MemoryLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" => Err("expected a size such as 4GiB, or none".into()),
            "none" => Ok(Self(None)),
            size => Ok(Self(Some(size.to_string()))),
        }
    }
}

impl std::fmt::Display for MemoryLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_deref().unwrap_or("none"))
    }
}

/// What the runs are compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BaselineChoice {
    /// The whole job on DuckDB, an embedded single-node engine (the
    /// catalog's curation query from the same input, then every insight),
    /// with the same threads and memory limit.
    Duckdb,
    /// No baseline.
    None,
}

pub fn bench(args: BenchArgs, catalog: &Catalog) -> Result<()> {
    let binary = insights_binary(&args)?;
    std::fs::create_dir_all(&args.work)?;
    let modes: Vec<&str> = args.modes.iter().map(|mode| mode.name()).collect();
    let with_baseline = args.baseline == BaselineChoice::Duckdb;
    if with_baseline {
        check_python(&args.python)?;
    }
    let mut steps = Vec::new();
    let mut insight_seconds = InsightSeconds::new();
    let mut baseline_engine = None;
    let mut failures = Vec::new();
    // Both sides do the same job: with the DuckDB baseline, the runs leave
    // out the insights it cannot run too.
    let left_out = if with_baseline { crate::baseline::beyond_duckdb(catalog) } else { Vec::new() };
    let only: Vec<String> =
        catalog.insights().map(|m| m.name().to_string()).filter(|name| !left_out.contains(name)).collect();
    let only: &[String] = if left_out.is_empty() { &[] } else { &only };
    let step_log = args.work.join(STEP_LOG);
    // A step that fails stops the bench, but what was measured before it is
    // still written: a late size does not cost the earlier ones.
    let measured = (|| -> Result<()> {
        for &size in &args.sizes {
            let repeats = if size <= args.repeat_up_to { args.repeat } else { 1 };
            let data = args.work.join(format!("shop-{size}-seed{}.parquet", args.seed));
            if !data.exists() {
                eprintln!("generating {size} lines into {}", data.display());
                let (seconds, rss) = measure(
                    Command::new(&binary)
                        .args(["generate", "--lines", &size.to_string(), "--seed", &args.seed.to_string()])
                        .arg("--output")
                        .arg(&data),
                    &[],
                    &step_log,
                )?;
                steps.push(step(size, &MemoryLimit(None), "-", "generate", seconds, rss));
            }
            for limit in &args.memory_limit {
                for (position, &mode) in modes.iter().enumerate() {
                    let output = args.work.join(format!("out-{size}-{mode}"));
                    let mut runs = Vec::new();
                    for repeat in 1..=repeats {
                        eprintln!("{mode}: {size} lines, memory limit {limit} (run {repeat} of {repeats})");
                        runs.push(run_once(&binary, &args, catalog, (mode, limit, only), &data, &output)?);
                    }
                    // The last run's output is the one on disk, for report and baseline.
                    let manifest = runs.last().expect("at least one run").manifest.clone();
                    let peak_rss = runs.iter().map(|r| r.peak_rss).max().unwrap_or(0);
                    let median = median_by(runs, |r| r.seconds);
                    steps.push(step(size, limit, mode, "ingest", median.manifest.ingest_seconds, 0));
                    steps.push(step(size, limit, mode, "insights", median.seconds - median.manifest.ingest_seconds, 0));
                    steps.push(step(size, limit, mode, "run (ingest + insights)", median.seconds, peak_rss));
                    let column = column_name(size, mode, limit);
                    for record in &median.manifest.insights {
                        add_insight_seconds(&mut insight_seconds, &record.name, &column, record.seconds);
                    }
                    let (seconds, rss) = measure(
                        Command::new(&binary).arg("report").arg("--sql").arg(&catalog.dir).arg("--output").arg(&output),
                        &[],
                        &step_log,
                    )?;
                    steps.push(step(size, limit, mode, "report", seconds, rss));
                    if with_baseline && position == 0 {
                        let mut runs = Vec::new();
                        for repeat in 1..=repeats {
                            eprintln!(
                                "baseline: DuckDB on the same input, {size} lines, memory limit {limit} (run {repeat} of {repeats})"
                            );
                            let mut baseline = Baseline::prepare(
                                &args.python,
                                catalog,
                                &data,
                                (&output, &manifest),
                                &args.work,
                                args.parallelism,
                                limit.0.as_deref(),
                            )?;
                            match measure(&mut baseline.command, &[], &step_log) {
                                Ok((seconds, rss)) => runs.push((seconds, rss, baseline.result()?)),
                                // A baseline that cannot finish (DuckDB out of
                                // memory) is a result too: the bench goes on
                                // without its row.
                                Err(error) => match error.downcast::<StepFailed>() {
                                    Ok(failed) => {
                                        let reason = failed.reason();
                                        eprintln!("warning: the baseline failed: {reason}");
                                        failures.push(BaselineFailure {
                                            size,
                                            memory_limit: limit.to_string(),
                                            reason,
                                        });
                                        runs.clear();
                                        break;
                                    }
                                    Err(error) => return Err(error),
                                },
                            }
                        }
                        if !runs.is_empty() {
                            let peak_rss = runs.iter().map(|(_, rss, _)| *rss).max().unwrap_or(0);
                            let (seconds, _, result) = median_by(runs, |(seconds, _, _)| *seconds);
                            record_baseline(
                                &mut steps,
                                &mut insight_seconds,
                                (size, limit),
                                &manifest,
                                seconds,
                                peak_rss,
                                &result,
                            );
                            baseline_engine = Some(result.engine);
                        }
                    }
                    let _ = std::fs::remove_dir_all(&output);
                }
            }
        }
        Ok(())
    })();
    if measured.is_err() && steps.is_empty() {
        return measured;
    }
    let baseline = baseline_engine.as_deref().map(|engine| (engine, &left_out[..]));
    write_results(&args, &steps, &insight_seconds, baseline, &failures)?;
    measured.context("the bench stopped early; the results hold the steps measured before the failure")
}

/// Records a baseline run (the median of its repeats) beside ours, warning
/// where its row counts differ from our run's `manifest`.
fn record_baseline(
    steps: &mut Vec<Step>,
    insight_seconds: &mut InsightSeconds,
    (size, limit): (u64, &MemoryLimit),
    manifest: &insights_engine::Manifest,
    seconds: f64,
    peak_rss: u64,
    result: &BaselineResult,
) {
    if result.curated_lines != manifest.ingest.kept {
        eprintln!(
            "warning: {} curated lines here and {} on {}",
            manifest.ingest.kept, result.curated_lines, result.engine
        );
    }
    steps.push(step(size, limit, BASELINE_MODE, "ingest", result.curation_seconds, 0));
    steps.push(step(size, limit, BASELINE_MODE, "insights", result.seconds, 0));
    steps.push(step(size, limit, BASELINE_MODE, "run (ingest + insights)", seconds, peak_rss));
    let column = column_name(size, BASELINE_MODE, limit);
    for insight in &result.insights {
        let ours = manifest.insights.iter().find(|r| r.name == insight.name);
        if let Some(ours) = ours.filter(|ours| ours.rows != insight.rows) {
            eprintln!(
                "warning: {} has {} rows here and {} on {}",
                insight.name, ours.rows, insight.rows, result.engine
            );
        }
        add_insight_seconds(insight_seconds, &insight.name, &column, insight.seconds);
    }
}

/// A baseline run that did not finish, and why.
#[derive(Debug, Serialize)]
struct BaselineFailure {
    size: u64,
    memory_limit: String,
    reason: String,
}

/// A step whose process failed: its exit status and what it wrote to stderr.
#[derive(Debug)]
struct StepFailed {
    command: String,
    status: std::process::ExitStatus,
    stderr: String,
}

impl StepFailed {
    /// One line for the results: the signal that killed the process, or
    /// its exit code and the last line it wrote.
    fn reason(&self) -> String {
        use std::os::unix::process::ExitStatusExt;
        match self.status.signal() {
            Some(9) => "killed (SIGKILL: the kernel's out-of-memory killer, when the machine ran out of memory)".into(),
            Some(signal) => format!("killed by signal {signal}"),
            None => {
                let last = self.stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("").trim();
                format!("{}: {last}", self.status)
            }
        }
    }
}

impl std::fmt::Display for StepFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed ({}):\n{}", self.command, self.status, self.stderr)
    }
}

impl std::error::Error for StepFailed {}

/// The stderr of the step that runs last, kept in the work directory.
const STEP_LOG: &str = "step.log";

/// The mode column of the baseline's steps.
const BASELINE_MODE: &str = "duckdb";

/// The size with a time target (the UCI data, doubled), and the target.
const TARGET_LINES: u64 = 1_070_000;
const TARGET_SECONDS: f64 = 7.0;

/// The `insights` binary to time: `--insights`, else the one beside this
/// binary.
fn insights_binary(args: &BenchArgs) -> Result<PathBuf> {
    let binary = match &args.insights {
        Some(binary) => binary.clone(),
        None => std::env::current_exe().context("cannot find this binary")?.with_file_name("insights"),
    };
    if !binary.is_file() {
        bail!("{}: no insights binary there; build it with `cargo build --release --workspace`", binary.display());
    }
    Ok(binary)
}

/// One timed `run` (standalone) or `submit` (local cluster) of a data set.
struct Measured {
    seconds: f64,
    peak_rss: u64,
    manifest: insights_engine::Manifest,
}

fn run_once(
    binary: &Path,
    args: &BenchArgs,
    catalog: &Catalog,
    (mode, limit, only): (&str, &MemoryLimit, &[String]),
    data: &Path,
    output: &Path,
) -> Result<Measured> {
    let _ = std::fs::remove_dir_all(output);
    let mut run = Command::new(binary);
    let mut cluster = None;
    match mode {
        "standalone" => {
            run.arg("run").args(["--parallelism", &args.parallelism.to_string()]);
        }
        _ => {
            let tls = (mode == Mode::ClusterTls.name()).then(|| args.work.join("certs"));
            let started = start_cluster(binary, args, limit, tls.as_deref())?;
            run.args(["submit", "--scheduler", &started.url]);
            if let Some(certs) = &tls {
                run.args(insights_local_cluster::tls_args(certs, "client"));
            }
            cluster = Some(started);
        }
    }
    run.arg("--sql").arg(&catalog.dir);
    run.arg("--input").arg(data).arg("--output").arg(output).arg("--no-report");
    if let Some(limit) = &limit.0 {
        run.args(["--memory-limit", limit]);
    }
    if !only.is_empty() {
        run.arg("--only").args(only);
    }
    let pids: Vec<u32> = cluster.as_ref().map(|c| c.pids()).unwrap_or_default();
    let (seconds, peak_rss) = measure(&mut run, &pids, &args.work.join(STEP_LOG))?;
    drop(cluster);
    let manifest = insights_engine::Manifest::load(output)?;
    Ok(Measured { seconds, peak_rss, manifest })
}

/// The middle one by `key` (of an even count, the upper middle).
fn median_by<T>(mut items: Vec<T>, key: impl Fn(&T) -> f64) -> T {
    items.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let middle = items.len() / 2;
    items.swap_remove(middle)
}

/// Seconds per insight, one column per size and mode.
type InsightSeconds = Vec<(String, Vec<(String, f64)>)>;

fn add_insight_seconds(table: &mut InsightSeconds, insight: &str, column: &str, seconds: f64) {
    match table.iter_mut().find(|(name, _)| name == insight) {
        Some((_, values)) => values.push((column.to_string(), seconds)),
        None => table.push((insight.to_string(), vec![(column.to_string(), seconds)])),
    }
}

/// The column of a size, mode and memory limit in the seconds per insight.
fn column_name(size: u64, mode: &str, limit: &MemoryLimit) -> String {
    match &limit.0 {
        None => format!("{} {mode}", short_count(size)),
        Some(limit) => format!("{} {mode} {limit}", short_count(size)),
    }
}

fn step(size: u64, limit: &MemoryLimit, mode: &str, name: &str, seconds: f64, rss_bytes: u64) -> Step {
    Step {
        size,
        memory_limit: limit.to_string(),
        mode: mode.into(),
        step: name.into(),
        seconds,
        lines_per_second: (!matches!(name, "generate" | "report")).then(|| size as f64 / seconds.max(1e-9)),
        peak_rss_mib: rss_bytes as f64 / (1 << 20) as f64,
    }
}

/// Runs a command to completion; returns its wall seconds and the peak RSS
/// of it plus `others` (cluster processes), sampled from /proc every 50 ms.
/// Its stderr goes to `log` (a pipe read only at the end would stop a step
/// that writes more than the pipe holds); a failure shows it.
fn measure(command: &mut Command, others: &[u32], log: &Path) -> Result<(f64, u64)> {
    let stderr = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let started = Instant::now();
    let mut child = command.stdout(Stdio::null()).stderr(stderr).spawn().context("cannot start the step")?;
    let mut peak = 0u64;
    let status = loop {
        let total: u64 = std::iter::once(child.id()).chain(others.iter().copied()).map(peak_rss).sum();
        peak = peak.max(total);
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let stderr = std::fs::read_to_string(log).unwrap_or_default();
        return Err(StepFailed { command: format!("{command:?}"), status, stderr }.into());
    }
    Ok((seconds, peak))
}

/// A process's peak resident set (VmHWM), 0 once it is gone.
fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

/// A scheduler and two single-slot executors on loopback, stopped (and
/// their shuffle files removed) when dropped. The executors share one work
/// dir, as executors on one machine should: each reads the other's shuffle
/// files from disk instead of fetching them over Arrow Flight. Each
/// service logs to `WORK/cluster-logs/`, kept after the run: why an
/// executor went away is read there.
fn start_cluster(binary: &Path, args: &BenchArgs, limit: &MemoryLimit, tls: Option<&Path>) -> Result<LocalCluster> {
    let mut spec = ClusterSpec::new(binary, &args.work, 2);
    spec.concurrent_tasks = 1;
    spec.shared_work_dir = Some(args.work.join("executors"));
    spec.memory_limit = limit.0.clone();
    if let Some(certs) = tls {
        if !certs.join("ca.crt").exists() {
            let made = Command::new(binary)
                .args(["certs", "--force", "--hosts", "scheduler,executor-1,executor-2", "--out"])
                .arg(certs)
                .output()?;
            if !made.status.success() {
                bail!("insights certs failed: {}", String::from_utf8_lossy(&made.stderr));
            }
        }
        spec.tls_dir = Some(certs.to_path_buf());
    }
    Ok(LocalCluster::start(&spec)?)
}

fn short_count(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 100_000 == 0 => format!("{}M", n as f64 / 1e6),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| info.lines().next().and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .map_or_else(String::new, |kib| format!(", {:.0} GiB", kib as f64 / (1 << 20) as f64));
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    format!("{cores} cores ({cpu}){memory}")
}

fn write_results(
    args: &BenchArgs,
    steps: &[Step],
    insights: &InsightSeconds,
    baseline: Option<(&str, &[String])>,
    failures: &[BaselineFailure],
) -> Result<()> {
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let mut md = format!(
        "# Benchmark\n\n{date}; {}; `{profile}` build; seed {}; memory limits: {}.\n\
         Wall seconds of the binary as a user runs it (`run` standalone with {} task slots, or `submit` to a local \
         scheduler + 2 executors × 1 slot){}; peak RSS: the sum of each process's own peak (a cluster's client, \
         scheduler and executors; their peaks need not coincide).\n\n\
         | lines | memory limit | mode | step | seconds | lines/s | peak RSS (MiB) |\n|---:|---|---|---|---:|---:|---:|\n",
        machine(),
        args.seed,
        args.memory_limit.iter().map(MemoryLimit::to_string).collect::<Vec<_>>().join(", "),
        args.parallelism,
        match args.repeat {
            1 => String::new(),
            n if args.sizes.iter().all(|&size| size <= args.repeat_up_to) => {
                format!(", the median of {n} runs (the baseline's too)")
            }
            n => format!(
                ", the median of {n} runs (the baseline's too) up to {} lines, one run above",
                insights_ingest::thousands(args.repeat_up_to)
            ),
        }
    );
    for s in steps {
        let rss = if s.peak_rss_mib > 0.0 { format!("{:.0}", s.peak_rss_mib) } else { "".into() };
        md.push_str(&table_row(&[
            insights_ingest::thousands(s.size),
            s.memory_limit.clone(),
            s.mode.clone(),
            s.step.clone(),
            format!("{:.2}", s.seconds),
            s.lines_per_second.map(|rate| insights_ingest::thousands(rate as u64)).unwrap_or_default(),
            rss,
        ]));
    }
    let runs: Vec<&Step> = steps.iter().filter(|s| s.step.starts_with("run")).collect();
    let unlimited = |run: &Step| {
        runs.iter()
            .find(|r| r.size == run.size && r.mode == run.mode && r.memory_limit == MemoryLimit(None).to_string())
    };
    if !runs.is_empty() {
        md.push_str(&format!(
            "\n| lines | memory limit | mode | run seconds | vs no limit | vs {TARGET_SECONDS} s target ({} lines) | \
             vs the smallest size, per line |\n|---:|---|---|---:|---:|---:|---:|\n",
            insights_ingest::thousands(TARGET_LINES)
        ));
        for run in &runs {
            let base = runs
                .iter()
                .filter(|r| r.mode == run.mode && r.memory_limit == run.memory_limit)
                .min_by_key(|r| r.size)
                .expect("one run");
            let per_line = (run.seconds / run.size as f64) / (base.seconds / base.size as f64);
            md.push_str(&table_row(&[
                insights_ingest::thousands(run.size),
                run.memory_limit.clone(),
                run.mode.clone(),
                format!("{:.2}", run.seconds),
                match unlimited(run) {
                    Some(free) if !std::ptr::eq(*free, *run) => format!("{:.2}", run.seconds / free.seconds.max(1e-9)),
                    _ => String::new(),
                },
                // The target is ours to meet, at its size; the baseline's
                // row shows its scaling.
                if run.mode == BASELINE_MODE || run.size != TARGET_LINES {
                    String::new()
                } else {
                    format!("{:.2}", run.seconds / TARGET_SECONDS)
                },
                format!("{per_line:.2}"),
            ]));
        }
    }
    if let Some((engine, left_out)) = baseline {
        let which = match left_out {
            [] => "every insight of the catalog".to_string(),
            names => format!(
                "every insight of the catalog but {} (they call engine SQL functions the baseline has no version of, \
                 or read what does; the runs above leave them out too, so both sides do the same job)",
                names.join(", ")
            ),
        };
        md.push_str(&format!(
            "\nSame-run baseline: the whole job on {engine} ({} threads, `bench/duckdb_baseline.py`) — the catalog's \
             curation query from the same generated Parquet to a curated layer partitioned by month (its ingest), \
             then {which}, each written to Parquet (materialized staging models as tables in \
             memory). Times below 1 are faster than {engine}:\n\n\
             | lines | memory limit | mode | run s | {engine} run s | run vs {engine} | insights s | {engine} insights s | insights vs {engine} |\n\
             |---:|---|---|---:|---:|---:|---:|---:|---:|\n",
            args.parallelism
        ));
        let seconds = |like: &Step, mode: &str, step: &str| {
            steps
                .iter()
                .find(|s| {
                    s.size == like.size
                        && s.memory_limit == like.memory_limit
                        && s.mode == mode
                        && s.step.starts_with(step)
                })
                .map(|s| s.seconds)
        };
        for baseline in runs.iter().filter(|s| s.mode == BASELINE_MODE) {
            let size = baseline.size;
            let ours = runs
                .iter()
                .filter(|s| s.size == size && s.memory_limit == baseline.memory_limit && s.mode != BASELINE_MODE);
            for ours in ours {
                let (Some(insights), Some(their_insights)) =
                    (seconds(ours, &ours.mode, "insights"), seconds(baseline, BASELINE_MODE, "insights"))
                else {
                    continue;
                };
                md.push_str(&table_row(&[
                    insights_ingest::thousands(size),
                    ours.memory_limit.clone(),
                    ours.mode.clone(),
                    format!("{:.2}", ours.seconds),
                    format!("{:.2}", baseline.seconds),
                    format!("{:.2}", ours.seconds / baseline.seconds.max(1e-9)),
                    format!("{insights:.2}"),
                    format!("{their_insights:.2}"),
                    format!("{:.2}", insights / their_insights.max(1e-9)),
                ]));
            }
        }
    }
    if !failures.is_empty() {
        md.push_str("\nBaseline runs that did not finish (no ratio for their size and limit):\n\n");
        for failure in failures {
            md.push_str(&format!(
                "- {} lines, memory limit {}: {}\n",
                insights_ingest::thousands(failure.size),
                failure.memory_limit,
                failure.reason
            ));
        }
    }
    if let Some((_, first)) = insights.first() {
        md.push_str("\nSeconds per insight (insights run concurrently, so they overlap):\n\n| insight |");
        for (column, _) in first {
            md.push_str(&format!(" {column} |"));
        }
        md.push_str(&format!("\n|---|{}\n", "---:|".repeat(first.len())));
        for (name, values) in insights {
            md.push_str(&format!("| {name} |"));
            for (_, seconds) in values {
                md.push_str(&format!(" {seconds:.2} |"));
            }
            md.push('\n');
        }
    }
    let results = match &args.results {
        Some(results) => results.clone(),
        None => Path::new("bench/results").join(chrono::Utc::now().format("%Y-%m-%d").to_string()),
    };
    std::fs::create_dir_all(&results)?;
    let md_path = results.join("bench.md");
    std::fs::write(&md_path, &md)?;
    let json = serde_json::json!({
        "date": date.to_string(),
        "machine": machine(),
        "profile": profile,
        "steps": steps,
        "baseline_failures": failures,
    });
    std::fs::write(results.join("bench.json"), serde_json::to_string_pretty(&json)? + "\n")?;
    println!("{md}");
    eprintln!("written to {} and bench.json", md_path.display());
    Ok(())
}

/// One Markdown table row.
fn table_row(cells: &[String]) -> String {
    format!("| {} |\n", cells.join(" | "))
}

/// Default work directory: the system temp dir (data is kept between runs).
pub fn default_work() -> PathBuf {
    std::env::temp_dir().join("insights-bench")
}

/// Default Python of the baseline: where `scripts/setup-bench-tools` puts it.
pub fn default_python() -> PathBuf {
    let tools = std::env::var_os("INSIGHTS_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("insights/tools")
    });
    tools.join("bench/bin/python")
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::{StepFailed, measure, median_by};

    #[test]
    fn median_is_the_middle_run_by_seconds() {
        assert_eq!(median_by(vec![9.0, 4.0, 6.0], |s| *s), 6.0);
        assert_eq!(median_by(vec![9.0, 4.0], |s| *s), 9.0);
        assert_eq!(median_by(vec![5.0], |s| *s), 5.0);
    }

    /// The reason a failed step gives, from a shell that fails as asked.
    fn failure_reason(script: &str) -> String {
        let log = std::env::temp_dir().join(format!("insights-bench-step-{}-{}.log", std::process::id(), script.len()));
        let error = measure(Command::new("sh").args(["-c", script]), &[], &log).expect_err("the step fails");
        let _ = std::fs::remove_file(&log);
        error.downcast::<StepFailed>().expect("a failed step").reason()
    }

    #[test]
    fn a_failed_step_names_its_signal_or_its_exit_and_last_words() {
        assert!(failure_reason("kill -9 $$").starts_with("killed (SIGKILL"));
        assert_eq!(failure_reason("kill -15 $$"), "killed by signal 15");
        assert_eq!(
            failure_reason("echo first >&2; echo 'Out of Memory Error' >&2; exit 3"),
            "exit status: 3: Out of Memory Error"
        );
    }
}
