//! The engine: builds the Ballista session (in-process standalone or a
//! remote scheduler — the only place the two differ), runs the insight
//! catalog in dependency order, writes every result as Parquet and commits
//! the run with a manifest.

mod certs;
mod check;
mod cluster;
mod cluster_ingest;
mod connect;
mod curated;
mod diff;
mod error;
mod functions;
mod lineage;
mod manifest;
mod memory_staging;
mod params;
mod query;
mod registry;
mod run;
mod runs;
mod session;
mod staging;
mod start_order;
mod tables;
mod tls;
mod unfinished;

pub use certs::{CLIENT_NAME, write_cluster_certs};
pub use check::{PlannedModel, plan_catalog};
pub use cluster::{
    BoundScheduler, DEFAULT_EXECUTOR_TIMEOUT_SECONDS, ExecutorOptions, SchedulerOptions, bind_scheduler, serve_executor,
};
pub use connect::DEFAULT_CONNECT_TIMEOUT;
pub use curated::write_curated;
pub use diff::{ColumnDiff, TableDiff, diff_runs};
pub use error::EngineError;
pub use functions::engine_function_names;
pub use manifest::{InsightRecord, InsightStatus, MANIFEST_FILE, Manifest};
pub use query::query_session;
pub use run::{RunOptions, RunReport, run};
pub use runs::{RunEntry, list_runs, prune_runs};
pub use session::{Engine, EngineOptions};
pub use tables::SOURCE_TABLES;
pub use tls::{ClusterTls, TlsFiles};
pub use unfinished::remove_unfinished_runs;
