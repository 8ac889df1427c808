use std::path::PathBuf;

/// Why an ingest stopped. Lines that cannot be read are not errors: they are
/// quarantined. These are problems with whole files or the destination.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("input not found: {0}")]
    InputNotFound(String),
    #[error("no input files match `{0}`")]
    NoInputs(String),
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: the file has a header but no data lines")]
    HeaderOnly { path: PathBuf },
    #[error("{path}: required column `{column}` not found (accepted names: {accepted}); the header has: {found}")]
    MissingColumn { path: PathBuf, column: String, accepted: String, found: String },
    #[error("{path}: `ingest.{setting}` names the column `{name}`, which the header does not have; it has: {found}")]
    MappedColumnNotFound { path: PathBuf, setting: String, name: String, found: String },
    #[error("{path}: unknown format; use --format csv|excel|parquet (extension not recognised)")]
    UnknownFormat { path: PathBuf },
    #[error("{path}: not a readable {format} file: {message}")]
    Corrupt { path: PathBuf, format: &'static str, message: String },
    #[error("{path}: sheet `{sheet}` not found (sheets: {sheets})")]
    UnknownSheet { path: PathBuf, sheet: String, sheets: String },
    #[error("{0}")]
    Remote(String),
    #[error("invalid ingest configuration: {0}")]
    Config(String),
    #[error("ingest query failed")]
    Engine(#[from] datafusion::error::DataFusionError),
    #[error("writing Parquet failed")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
    #[error("building Arrow data failed")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}
