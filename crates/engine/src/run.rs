//! One run: ingest the input into the run's curated layer, run the selected
//! insights on Ballista in dependency order, write each as Parquet, and
//! commit the run by writing `manifest.json` last.

use std::collections::BTreeMap;
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

use crate::curated::{Ingested, ingest_input};
use crate::lineage::{insights_to_skip, null_columns};
use crate::manifest::{InsightRecord, InsightStatus, Manifest};
use crate::session::with_target_partitions;
use crate::staging::{STAGING_DIR, StagingStore};
use crate::start_order::StartOrder;
use crate::tables::{ensure_table_file, model_error, plan, register_sources};
use crate::unfinished::Unfinished;
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
    // The shuffle files go under `scratch`, or to shared memory.
    let shared_memory_shuffle = crate::session::shared_memory_shuffle_dir(&scratch);
    let mut unfinished =
        Unfinished { scratch: vec![scratch.clone(), shared_memory_shuffle], local_run: run_location.local_path() };
    let result = run_into(catalog, options, report, &run_location, &scratch).await;
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
                path: if record.path.is_empty() { String::new() } else { relative(&record.path) },
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
) -> Result<RunResult, EngineError> {
    let selected = catalog.select(&options.only)?;
    let curation = catalog.curation.as_ref().ok_or_else(|| EngineError::Invalid {
        path: catalog.dir.join("curated/transactions.sql"),
        message: "the catalog has no curation query".into(),
    })?;
    let engine_options = EngineOptions { storage: options.storage.clone(), ..options.engine.clone() };
    // A cluster may ingest on its executors, so it is reached first; a
    // standalone session starts after the ingest, when the input's size can
    // choose its settings (`Engine::start`).
    let cluster = match engine_options.scheduler {
        Some(_) => Some(Engine::start(&engine_options, scratch, None).await?),
        None => None,
    };
    let ingest_started = Instant::now();
    let Ingested { summary, input_files, on: ingested_on } =
        ingest_input(cluster.as_ref(), options, run_location, &curation.sql, scratch).await?;
    let ingest_seconds = ingest_started.elapsed().as_secs_f64();
    report.ingested(&summary);
    let engine = match cluster {
        Some(engine) => engine,
        None => {
            let shuffle =
                crate::session::shuffle_dir(&engine_options, scratch, engine_options.saves_memory(summary.kept));
            Engine::start(&engine_options, &shuffle, Some(summary.kept)).await?
        }
    };

    // Insights about columns the input lacks (products, countries) are
    // skipped, with their reasons, instead of writing tables of nulls.
    let all_selected = selected;
    let skipped = insights_to_skip(catalog, &all_selected, &options.params, &null_columns(&summary)).await?;
    let selected: Vec<&Model> = all_selected.iter().copied().filter(|m| !skipped.contains_key(m.name())).collect();
    let mut records: Vec<InsightRecord> = Vec::new();
    for model in &all_selected {
        let Some(reason) = skipped.get(model.name()) else { continue };
        let record = InsightRecord {
            name: model.name().to_string(),
            version: model.version(),
            status: InsightStatus::Skipped,
            reason: Some(reason.clone()),
            sha256: model.checksum.clone(),
            path: String::new(),
            rows: 0,
            seconds: 0.0,
            csv: None,
        };
        report.insight_done(&record);
        records.push(record);
    }

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
    // 32 s). Under a memory limit without room to spare, one per core: the
    // jobs then share the pool, each spilling when its share runs short
    // (50M lines under 4 GiB, every insight but the basket ones: one at a
    // time 264 s, one per core 236 s, peak RSS 1.5 -> 1.7 GB; 10M lines
    // under 1 GiB, every insight, completes at 1.5 GB).
    let concurrency = if engine_options.saves_memory(summary.kept) {
        options.engine.parallelism.max(1)
    } else {
        (options.engine.parallelism * 2).max(2)
    };
    let reader_partitions = engine.partitions_for_insight_readers();
    let models: Vec<&Model> = catalog.staging_for(&selected).into_iter().chain(selected.iter().copied()).collect();
    let mut order = StartOrder::new(&models);
    let mut in_flight = futures::stream::FuturesUnordered::new();
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
    let position = |name: &str| all_selected.iter().position(|m| m.name() == name);
    records.sort_by_key(|record| position(&record.name));
    if options.csv_copies {
        for record in records.iter_mut().filter(|record| record.status == InsightStatus::Written) {
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
        status: InsightStatus::Written,
        reason: None,
        sha256: model.checksum.clone(),
        path: relative,
        rows: written_rows(&written),
        seconds: started.elapsed().as_secs_f64(),
        csv: None,
    })
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
