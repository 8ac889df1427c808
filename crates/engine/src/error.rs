use std::path::PathBuf;

/// Why a run stopped. The previous committed run is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Catalog(#[from] insights_catalog::CatalogError),
    #[error(transparent)]
    Ingest(#[from] insights_ingest::IngestError),
    #[error("{what} `{name}` ({path}) failed")]
    Insight {
        /// `insight` or `staging model`.
        what: &'static str,
        name: String,
        path: PathBuf,
        #[source]
        source: datafusion::error::DataFusionError,
    },
    #[error("cannot start the Ballista session")]
    Session(#[source] datafusion::error::DataFusionError),
    #[error(transparent)]
    Query(#[from] datafusion::error::DataFusionError),
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Cluster(String),
    #[error(transparent)]
    Storage(#[from] insights_storage::StorageError),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}
