//! One run: ingest the input into the run's curated layer, run the selected
//! insights on Ballista in dependency order, write each as Parquet, and
//! commit the run by writing `manifest.json` last.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::UInt64Type;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;
use insights_catalog::{Catalog, Materialized, Model, ModelKind, Params};
use insights_ingest::IngestOptions;
use insights_storage::{Location, StorageOptions};

use crate::manifest::{InsightRecord, Manifest};
use crate::session::with_target_partitions;
use crate::staging::{STAGING_DIR, StagingStore};
use crate::tables::{ensure_table_file, model_error, plan, register_sources};
use crate::{Engine, EngineError, EngineOptions};

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// File, directory, glob or `s3://` URL of raw exports.
    pub input: String,
    /// Local directory or `s3://bucket/prefix` for runs and the manifest.
    pub output: String,
    /// Insights to run (with what they read); empty runs all.
    pub only: Vec<String>,
    /// Resolved parameters per insight (see `Catalog::resolve_params`).
    pub params: BTreeMap<String, Params>,
    pub ingest: IngestOptions,
    pub engine: EngineOptions,
    pub storage: StorageOptions,
    /// YAML file of category rules, in priority order.
    pub category_rules: PathBuf,
    /// Also write each result table as CSV (`runs/RUN_ID/csv/NAME.csv`),
    /// for spreadsheets; Parquet is always written.
    pub csv_copies: bool,
}

/// What `run` reports as it goes, for a progress display.
pub trait RunReport {
    fn ingested(&self, _summary: &insights_ingest::IngestSummary) {}
    fn insight_done(&self, _record: &InsightRecord) {}
}

impl RunReport for () {}

/// Runs the pipeline and commits it; returns the committed manifest.
/// Everything goes to `OUTPUT/runs/RUN_ID/`; `OUTPUT/manifest.json` is
/// written last. On any error the run's directory is removed and the
/// previous manifest stays as it was.
pub async fn run(catalog: &Catalog, options: &RunOptions, report: &dyn RunReport) -> Result<Manifest, EngineError> {
    let started_at = Utc::now();
    let run_id = format!("{}-{:05}", started_at.format("%Y%m%dT%H%M%S%3fZ"), std::process::id() % 100_000);
    let output = Location::parse(&options.output, &options.storage)?;
    let run_location = output.join(&format!("runs/{run_id}"));
    let scratch = std::env::temp_dir().join(format!("insights-{run_id}"));
    let shuffle = crate::session::shuffle_dir(&options.engine, &scratch);
    let mut unfinished =
        Unfinished { scratch: vec![scratch.clone(), shuffle.clone()], local_run: run_location.local_path() };
    let result = run_into(catalog, options, report, &run_location, &scratch, &shuffle).await;
    let RunResult { ingest, ingest_seconds, ingested_on, insights, input_files, engine } = match result {
        Ok(done) => done,
        Err(e) => {
            if let Err(cleanup) = run_location.delete_all().await {
                log::warn!("could not remove the failed run's files: {cleanup}");
            }
            return Err(e);
        }
    };
    let relative = |path: &str| format!("runs/{run_id}/{path}");
    let manifest = Manifest {
        run_id: run_id.clone(),
        started_at: started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        finished_at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        engine,
        input_files,
        curated: relative("curated"),
        ingested_on: ingested_on.to_string(),
        ingest,
        ingest_seconds,
        parameters: options
            .params
            .iter()
            .filter(|(name, params)| !params.is_empty() && insights.iter().any(|i| &i.name == *name))
            .map(|(name, params)| (name.clone(), params.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()))
            .collect(),
        insights: insights
            .into_iter()
            .map(|record| InsightRecord {
                path: relative(&record.path),
                csv: record.csv.as_deref().map(relative),
                ..record
            })
            .collect(),
    };
    // The run keeps its own copy, for `insights diff` against later runs;
    // the top-level manifest, written last, is the commit.
    manifest.commit(&run_location).await?;
    manifest.commit(&output).await?;
    unfinished.local_run = None;
    Ok(manifest)
}

/// What a run removes however it ends: its scratch and shuffle
/// directories, and until it commits, its local run directory. A run
/// stopped half-way (Ctrl-C drops its future) leaves none of them behind; on
/// object storage, an interrupted run's objects stay (deleting needs the
/// runtime that is going away), but no manifest refers to them.
struct Unfinished {
    scratch: Vec<PathBuf>,
    local_run: Option<PathBuf>,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let mut leftovers = UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for dir in self.scratch.iter().chain(&self.local_run) {
            let _ = std::fs::remove_dir_all(dir);
            leftovers.push(dir.clone());
        }
    }
}

/// Directories of runs that ended without a commit, and scratch space. The
/// in-process executor's tasks may still write into them after the run
/// gave up, until the runtime stops.
static UNFINISHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes, once more, what runs that ended in this process left: call it
/// after the Tokio runtime stopped. The in-process executor runs its tasks
/// on a runtime of its own (threads named `task_runner`) that stops only
/// when the executor is dropped with ours; a task still in the middle of a
/// write would create its shuffle directory again, so this waits (up to
/// 10 s) for those threads to end first.
pub fn remove_unfinished_runs() {
    let leftovers = std::mem::take(&mut *UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    if leftovers.is_empty() {
        return;
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while executor_task_threads_running() && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for dir in leftovers {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Whether a thread of Ballista's task runtime (`DedicatedExecutor` named
/// `task_runner`) is alive in this process; false where `/proc` is not.
fn executor_task_threads_running() -> bool {
    let Ok(threads) = std::fs::read_dir("/proc/self/task") else { return false };
    threads.filter_map(Result::ok).any(|thread| {
        std::fs::read_to_string(thread.path().join("comm")).is_ok_and(|name| name.trim_end() == "task_runner")
    })
}

struct RunResult {
    ingest: insights_ingest::IngestSummary,
    ingested_on: &'static str,
    ingest_seconds: f64,
    insights: Vec<InsightRecord>,
    input_files: Vec<String>,
    engine: String,
}

async fn run_into(
    catalog: &Catalog,
    options: &RunOptions,
    report: &dyn RunReport,
    run_location: &Location,
    scratch: &Path,
    shuffle: &Path,
) -> Result<RunResult, EngineError> {
    let selected = catalog.select(&options.only)?;
    let curation = catalog.curation.as_ref().ok_or_else(|| EngineError::Invalid {
        path: catalog.dir.join("curated/transactions.sql"),
        message: "the catalog has no curation query".into(),
    })?;
    let engine_options = EngineOptions { storage: options.storage.clone(), ..options.engine.clone() };
    let engine = Engine::start(&engine_options, shuffle).await?;
    let ingest_started = Instant::now();
    let (summary, input_files, ingested_on) =
        match ingest_on_cluster_when_possible(&engine, options, run_location, &curation.sql).await? {
            Some((summary, files)) => (summary, files, "cluster"),
            None => {
                let input = scratch.join("input");
                let files =
                    insights_ingest::open_inputs(&options.input, options.ingest.format, &options.storage, &input)
                        .await?;
                let summary = write_curated(&files, run_location, &options.ingest, &curation.sql, scratch).await?;
                let _ = std::fs::remove_dir_all(&input);
                (summary, files.into_iter().map(|f| f.name).collect(), "client")
            }
        };
    let ingest_seconds = ingest_started.elapsed().as_secs_f64();
    report.ingested(&summary);

    let ctx = &engine.ctx;
    register_sources(ctx, run_location, &options.category_rules).await?;
    let staging = StagingStore::for_run(&engine_options, summary.kept, run_location).await?;
    engine.fit_partitions_to(summary.kept, staging.in_memory());
    let no_params = Params::new();
    let params_of = |model: &Model| options.params.get(model.name()).unwrap_or(&no_params);
    // Each model starts as soon as what it reads is there: a staging model is
    // registered at once, a staging table and an insight run as jobs. So
    // the long chain (sales, then top_products, then product_affinity) does
    // not wait for order_totals or unrelated insights. Jobs in flight at
    // once hide Ballista's per-job scheduling latency, standalone and on a
    // cluster (2 executors, 1M lines: 3.5-4.0 s -> 2.7-3.0 s; 10M: 41 s ->
    // 32 s). Under a memory limit they go one at a time: concurrent jobs
    // split the pool, and a sort that needs one large allocation then fails
    // (seen at 50M lines).
    let concurrency = match options.engine.memory_limit {
        None => (options.engine.parallelism * 2).max(2),
        Some(_) => 1,
    };
    let reader_partitions = engine.partitions_for_insight_readers();
    let models: Vec<&Model> = catalog.staging_for(&selected).into_iter().chain(selected.iter().copied()).collect();
    let mut order = StartOrder::new(&models);
    let mut in_flight = futures::stream::FuturesUnordered::new();
    let mut records = Vec::new();
    loop {
        while in_flight.len() < concurrency {
            let Some(model) = order.next_ready() else { break };
            if model.kind == ModelKind::Staging && model.header.materialized == Materialized::View {
                staging.register_view(ctx, model, params_of(model)).await?;
                order.finished(model.name());
                continue;
            }
            let partitions = reader_partitions.filter(|_| order.reads_an_insight(model));
            let staging = &staging;
            in_flight.push(async move {
                let record = match model.kind {
                    ModelKind::Staging => {
                        staging.materialize(ctx, model, params_of(model), run_location).await.map(|()| None)
                    }
                    _ => run_insight(ctx, model, params_of(model), partitions, run_location).await.map(Some),
                };
                (model.name(), record)
            });
        }
        let Some((name, record)) = in_flight.next().await else { break };
        order.finished(name);
        if let Some(record) = record? {
            report.insight_done(&record);
            records.push(record);
        }
    }
    debug_assert!(order.waiting.is_empty(), "the catalog is ordered by dependency, so every insight gets ready");
    // Materialized staging tables are a cache of this run, not results.
    run_location.join(STAGING_DIR).delete_all().await?;
    let position = |name: &str| selected.iter().position(|m| m.name() == name);
    records.sort_by_key(|record| position(&record.name));
    if options.csv_copies {
        for record in &mut records {
            let relative = format!("csv/{}.csv", record.name);
            let batches = ctx.table(record.name.as_str()).await?.collect().await?;
            let mut bytes = Vec::new();
            {
                let mut writer = datafusion::arrow::csv::Writer::new(&mut bytes);
                for batch in &batches {
                    writer.write(batch).map_err(DataFusionError::from)?;
                }
            }
            run_location.write(&relative, bytes).await?;
            record.csv = Some(relative);
        }
    }
    Ok(RunResult {
        ingest: summary,
        ingest_seconds,
        ingested_on,
        insights: records,
        input_files,
        engine: engine.description.clone(),
    })
}

/// The order in which models start: of those whose dependencies are
/// there, first the ones with the longest chain of models waiting on them,
/// then the deepest in a chain of insights (its chain has started), then
/// catalog order. Sources are there from the start.
struct StartOrder<'a> {
    /// Not started yet, best first.
    waiting: Vec<&'a Model>,
    unfinished: BTreeSet<&'a str>,
    /// The most insights above each model in a chain of insights it reads.
    depth: BTreeMap<&'a str, usize>,
}

impl<'a> StartOrder<'a> {
    /// `models` lists dependencies first: staging models, then insights.
    fn new(models: &[&'a Model]) -> Self {
        let names: BTreeSet<&str> = models.iter().map(|model| model.name()).collect();
        let reads = |model: &Model, other: &str| model.dependencies.contains(other) && names.contains(other);
        // One pass each way settles the depth (insights above) and the
        // height (models below).
        let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
        for model in models {
            let above = models
                .iter()
                .filter(|other| other.kind == ModelKind::Insight && reads(model, other.name()))
                .map(|other| depth[other.name()] + 1);
            depth.insert(model.name(), above.max().unwrap_or(0));
        }
        let mut height: BTreeMap<&str, usize> = BTreeMap::new();
        for model in models.iter().rev() {
            let below = models.iter().filter(|other| reads(other, model.name())).map(|other| height[other.name()] + 1);
            height.insert(model.name(), below.max().unwrap_or(0));
        }
        let mut waiting = models.to_vec();
        // Stable: equal priorities keep the catalog order.
        waiting.sort_by_key(|model| std::cmp::Reverse((height[model.name()], depth[model.name()])));
        Self { waiting, unfinished: names, depth }
    }

    /// Whether `model` reads the table of another selected insight.
    fn reads_an_insight(&self, model: &Model) -> bool {
        self.depth.get(model.name()).is_some_and(|&depth| depth > 0)
    }

    /// Takes the best model whose dependencies have finished.
    fn next_ready(&mut self) -> Option<&'a Model> {
        let unfinished = &self.unfinished;
        let ready = |model: &Model| !model.dependencies.iter().any(|dep| unfinished.contains(dep.as_str()));
        let position = self.waiting.iter().position(|model| ready(model))?;
        Some(self.waiting.remove(position))
    }

    fn finished(&mut self, name: &str) {
        self.unfinished.remove(name);
    }
}

/// Runs one insight, in `partitions` hash partitions if given: writes its
/// table and registers it for the insights that read it.
async fn run_insight(
    ctx: &SessionContext,
    model: &Model,
    params: &Params,
    partitions: Option<usize>,
    run_location: &Location,
) -> Result<InsightRecord, EngineError> {
    let started = Instant::now();
    let relative = format!("tables/{}/v{}", model.name(), model.version());
    let table = run_location.join(&relative);
    let insight_error = model_error(model);
    let df = plan(ctx, model, params).await?;
    let df = match partitions {
        Some(partitions) => with_target_partitions(df, partitions),
        None => df,
    };
    let schema = Arc::new(df.schema().as_arrow().clone());
    let written =
        df.write_parquet(table.url.as_str(), DataFrameWriteOptions::new(), None).await.map_err(&insight_error)?;
    ensure_table_file(&table, schema).await?;
    ctx.register_parquet(model.name(), table.url.as_str(), ParquetReadOptions::default())
        .await
        .map_err(&insight_error)?;
    log::info!("insight {} written in {:.2} s", model.name(), started.elapsed().as_secs_f64());
    Ok(InsightRecord {
        name: model.name().to_string(),
        version: model.version(),
        sha256: model.checksum.clone(),
        path: relative,
        rows: written_rows(&written),
        seconds: started.elapsed().as_secs_f64(),
        csv: None,
    })
}

/// In cluster mode, Parquet exports on object storage are ingested by the
/// executors (see `cluster_ingest`); `None` means the client reads them.
async fn ingest_on_cluster_when_possible(
    engine: &Engine,
    options: &RunOptions,
    run_location: &Location,
    curation_sql: &str,
) -> Result<Option<(insights_ingest::IngestSummary, Vec<String>)>, EngineError> {
    if options.engine.scheduler.is_none() || !insights_storage::is_remote(&options.input) {
        return Ok(None);
    }
    let remote = insights_ingest::list_remote_inputs(&options.input, options.ingest.format, &options.storage).await?;
    if remote.iter().any(|r| r.format != insights_ingest::Format::Parquet) {
        return Ok(None);
    }
    let urls: Vec<String> = remote.iter().map(|r| r.url()).collect();
    let summary =
        crate::cluster_ingest::ingest_on_cluster(&engine.ctx, &urls, run_location, &options.ingest, curation_sql)
            .await?;
    Ok(summary.map(|summary| (summary, urls)))
}

/// Runs the client's streaming readers over `files` into `OUTPUT/curated`,
/// replacing an earlier layer. On object storage the layer is built in
/// `scratch` and uploaded, the old one removed first (object stores cannot
/// swap a directory). Reading errors come back as `EngineError::Ingest`,
/// storage errors as `EngineError::Storage`.
pub async fn write_curated(
    files: &[insights_ingest::InputFile],
    output: &Location,
    options: &IngestOptions,
    curation_sql: &str,
    scratch: &Path,
) -> Result<insights_ingest::IngestSummary, EngineError> {
    match output.local_path() {
        Some(local) => Ok(insights_ingest::ingest(files, &local.join("curated"), options, curation_sql).await?),
        None => {
            let curated = scratch.join("curated");
            let summary = insights_ingest::ingest(files, &curated, options, curation_sql).await?;
            output.join("curated").delete_all().await?;
            output.upload_dir(&curated, "curated").await?;
            Ok(summary)
        }
    }
}

/// Sums the `count` column that a write returns.
fn written_rows(batches: &[RecordBatch]) -> u64 {
    batches
        .iter()
        .filter_map(|b| b.column_by_name("count"))
        .filter_map(|c| c.as_primitive_opt::<UInt64Type>())
        .flat_map(|c| c.iter().flatten())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::SOURCE_TABLES;

    /// A catalog of `(name, tables it reads)`, each insight a one-line query.
    fn catalog(insights: &[(&str, &[&str])]) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        for (name, reads) in insights {
            let from = if reads.is_empty() { "transactions".to_string() } else { reads.join(", ") };
            let sql = format!("-- name: {name}\n-- version: 1\n-- description: test\n\nselect 1 as one from {from}\n");
            std::fs::write(dir.path().join(format!("{name}.sql")), sql).unwrap();
        }
        let catalog = Catalog::load(dir.path(), &SOURCE_TABLES).unwrap();
        (dir, catalog)
    }

    #[test]
    fn a_chain_starts_first_and_its_next_link_as_soon_as_it_is_ready() {
        let (_dir, catalog) = catalog(&[
            ("a_leaf", &[]),
            ("b_leaf", &[]),
            ("chain_start", &[]),
            ("chain_middle", &["chain_start"]),
            ("chain_end", &["chain_middle", "a_leaf"]),
        ]);
        let selected = catalog.select(&[]).unwrap();
        let mut order = StartOrder::new(&selected);
        let reads_an_insight = |name: &str| order.reads_an_insight(catalog.get(name).unwrap());
        assert!(!reads_an_insight("chain_start") && !reads_an_insight("a_leaf"));
        assert!(reads_an_insight("chain_middle") && reads_an_insight("chain_end"));
        let mut next = || order.next_ready().map(|model| model.name().to_string());
        assert_eq!(next().as_deref(), Some("chain_start"));
        assert_eq!(next().as_deref(), Some("a_leaf"));
        assert_eq!(next().as_deref(), Some("b_leaf"));
        assert_eq!(next(), None, "the rest wait for chain_start");
        order.finished("chain_start");
        assert_eq!(order.next_ready().map(Model::name), Some("chain_middle"));
        order.finished("chain_middle");
        assert_eq!(order.next_ready().map(Model::name), None, "chain_end also reads a_leaf");
        order.finished("a_leaf");
        assert_eq!(order.next_ready().map(Model::name), Some("chain_end"));
        assert_eq!(order.next_ready().map(Model::name), None);
    }

    #[test]
    fn staging_models_start_as_soon_as_what_they_read_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, name: &str, materialized: &str, from: &str| {
            let sql = format!(
                "-- name: {name}\n-- version: 1\n-- description: test\n{materialized}\nselect 1 as one from {from}\n"
            );
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, sql).unwrap();
        };
        write("staging/lines.sql", "lines", "", "transactions");
        write("staging/sales.sql", "sales", "-- materialized: table", "lines");
        write("staging/orders.sql", "orders", "-- materialized: table", "sales");
        write("staging/cohorts.sql", "cohorts", "", "orders");
        write("by_line.sql", "by_line", "", "sales");
        write("by_cohort.sql", "by_cohort", "", "cohorts");
        write("by_product.sql", "by_product", "", "sales");
        write("after_product.sql", "after_product", "", "by_product");
        let catalog = Catalog::load(dir.path(), &SOURCE_TABLES).unwrap();
        let selected = catalog.select(&[]).unwrap();
        let models: Vec<&Model> = catalog.staging_for(&selected).into_iter().chain(selected).collect();
        let mut order = StartOrder::new(&models);
        let mut next = || order.next_ready().map(|model| model.name().to_string());
        assert_eq!(next().as_deref(), Some("lines"), "a view is there as soon as what it reads is");
        assert_eq!(next(), None, "everything else waits for lines");
        order.finished("lines");
        assert_eq!(order.next_ready().map(Model::name), Some("sales"));
        order.finished("sales");
        let ready: Vec<&str> = std::iter::from_fn(|| order.next_ready().map(Model::name)).collect();
        assert_eq!(ready, ["orders", "by_product", "by_line"], "the longest chains first; cohorts waits for orders");
        assert!(!order.reads_an_insight(catalog.get("by_cohort").unwrap()), "staging is not an insight");
        assert!(order.reads_an_insight(catalog.get("after_product").unwrap()));
        order.finished("orders");
        assert_eq!(order.next_ready().map(Model::name), Some("cohorts"));
    }
}
