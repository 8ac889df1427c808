//! A run's curated layer: the raw exports read into Parquet, by the
//! client's streaming readers or, for Parquet exports on object storage
//! under a cluster, by the executors.

use std::path::Path;

use insights_ingest::{IngestOptions, IngestSummary};
use insights_storage::Location;

use crate::run::RunOptions;
use crate::{Engine, EngineError};

/// What the ingest step of a run produced.
pub struct Ingested {
    pub summary: IngestSummary,
    /// The input files, as the user would name them.
    pub input_files: Vec<String>,
    /// `client` or `cluster`: who read the input.
    pub on: &'static str,
}

/// Reads the run's input into `RUN/curated`: on the cluster (`engine`, when
/// it has started) when it can, else with the client's readers (remote
/// inputs copied into `scratch` first).
pub async fn ingest_input(
    engine: Option<&Engine>,
    options: &RunOptions,
    run_location: &Location,
    curation_sql: &str,
    scratch: &Path,
) -> Result<Ingested, EngineError> {
    if let Some((summary, input_files)) =
        ingest_on_cluster_when_possible(engine, options, run_location, curation_sql).await?
    {
        return Ok(Ingested { summary, input_files, on: "cluster" });
    }
    let input = scratch.join("input");
    let files = insights_ingest::open_inputs(&options.input, options.ingest.format, &options.storage, &input).await?;
    let summary = write_curated(&files, run_location, &options.ingest, curation_sql, scratch).await?;
    let _ = std::fs::remove_dir_all(&input);
    Ok(Ingested { summary, input_files: files.into_iter().map(|f| f.name).collect(), on: "client" })
}

/// In cluster mode (`engine` is the cluster's session), Parquet exports on
/// object storage are ingested by the executors (see `cluster_ingest`);
/// `None` means the client reads them.
async fn ingest_on_cluster_when_possible(
    engine: Option<&Engine>,
    options: &RunOptions,
    run_location: &Location,
    curation_sql: &str,
) -> Result<Option<(IngestSummary, Vec<String>)>, EngineError> {
    let Some(engine) = engine.filter(|_| insights_storage::is_remote(&options.input)) else { return Ok(None) };
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
) -> Result<IngestSummary, EngineError> {
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
