use std::path::PathBuf;

/// Everything that can be wrong with the catalog; each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Header { path: PathBuf, message: String },
    #[error("{path}: SQL does not parse: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    NotReadOnly { path: PathBuf, message: String },
    #[error("{path}: uses the parameter ${name}, which its header does not declare (declared: {declared})")]
    UndeclaredParam { path: PathBuf, name: String, declared: String },
    #[error("{path}: reads the unknown table `{table}` (known: {known})")]
    UnknownTable { path: PathBuf, table: String, known: String },
    #[error("the name `{name}` is used by both {first} and {second}")]
    DuplicateName { name: String, first: PathBuf, second: PathBuf },
    #[error("dependency cycle: {0}")]
    Cycle(String),
    #[error("unknown insight `{name}` (known: {known})")]
    UnknownInsight { name: String, known: String },
    #[error("{0}")]
    Param(String),
}
