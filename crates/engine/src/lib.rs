//! The engine: builds the Ballista session (in-process standalone or a
//! remote scheduler — the only place the two differ), runs the insight
//! catalog in dependency order, writes every result as Parquet and commits
//! the run with a manifest.

mod check;
mod cluster;
mod cluster_ingest;
mod diff;
mod error;
mod functions;
mod manifest;
mod memory_staging;
mod params;
mod query;
mod registry;
mod run;
mod runs;
mod session;
mod staging;
mod tables;

pub use check::{PlannedModel, plan_catalog};
pub use cluster::{
    DEFAULT_EXECUTOR_TIMEOUT_SECONDS, ExecutorOptions, SchedulerOptions, serve_executor, serve_scheduler,
};
pub use diff::{ColumnDiff, TableDiff, diff_runs};
pub use error::EngineError;
pub use manifest::{InsightRecord, MANIFEST_FILE, Manifest};
pub use query::query_session;
pub use run::{RunOptions, RunReport, remove_unfinished_runs, run, write_curated};
pub use runs::{RunEntry, UNFINISHED_GRACE_HOURS, list_runs, prune_runs};
pub use session::{Engine, EngineOptions};
pub use tables::SOURCE_TABLES;
