//! Turning the INPUT argument (file, directory or glob) into input files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::IngestError;

/// The container format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Delimited text, plain or gzip-compressed (detected from the content).
    #[serde(alias = "tsv", alias = "txt")]
    #[cfg_attr(feature = "clap", value(alias = "tsv", alias = "txt"))]
    Csv,
    /// Excel workbook (`.xlsx`, `.xlsm`, `.xls`).
    #[serde(alias = "xlsx", alias = "xls")]
    #[cfg_attr(feature = "clap", value(alias = "xlsx", alias = "xls"))]
    Excel,
    /// Apache Parquet, with the UCI columns or mapped ones.
    Parquet,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => Ok(Self::Csv),
            "excel" | "xlsx" | "xls" => Ok(Self::Excel),
            "parquet" => Ok(Self::Parquet),
            other => Err(format!("unknown format `{other}` (use csv, excel or parquet)")),
        }
    }
}

impl Format {
    /// Guesses the format from the file name; `None` when unrecognised.
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let extension = name.rsplit_once('.')?.1;
        extension.parse().ok().or(match extension {
            "xlsm" => Some(Self::Excel),
            _ => None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Excel => "Excel",
            Self::Parquet => "Parquet",
        }
    }
}

/// One file to ingest.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where the bytes are read from (a local copy for remote inputs).
    pub path: PathBuf,
    /// How the file is named to the user: its path or URL.
    pub name: String,
    pub format: Format,
}

/// Expands `input` (a file, a directory read recursively, or a glob) into
/// files in a stable order. In a directory or glob, files with unknown
/// extensions are skipped unless `format` forces one.
pub fn resolve_inputs(input: &str, format: Option<Format>) -> Result<Vec<InputFile>, IngestError> {
    let path = Path::new(input);
    let mut paths = Vec::new();
    let explicit = if input.contains(['*', '?', '[']) {
        let matches = glob::glob(input).map_err(|e| IngestError::Config(format!("bad glob `{input}`: {e}")))?;
        for entry in matches {
            let found = entry.map_err(|e| IngestError::Read { path: e.path().to_path_buf(), source: e.into() })?;
            if found.is_file() {
                paths.push(found);
            }
        }
        false
    } else if path.is_dir() {
        collect_dir(path, &mut paths)?;
        false
    } else if path.symlink_metadata().is_ok() {
        paths.push(path.to_path_buf());
        true
    } else {
        return Err(IngestError::InputNotFound(input.to_string()));
    };
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        match format.or_else(|| Format::from_path(&path)) {
            Some(format) => files.push(InputFile { name: path.display().to_string(), path, format }),
            None if explicit => return Err(IngestError::UnknownFormat { path }),
            None => log::info!("skipping {} (not a recognised input format)", path.display()),
        }
    }
    if files.is_empty() {
        return Err(IngestError::NoInputs(input.to_string()));
    }
    Ok(files)
}

/// One object of a remote input.
#[derive(Debug, Clone)]
pub struct RemoteInput {
    pub location: insights_storage::Location,
    /// The object's path below `location`.
    pub name: String,
    pub format: Format,
}

impl RemoteInput {
    pub fn url(&self) -> String {
        self.location.url_of(&self.name)
    }
}

fn remote_error(e: insights_storage::StorageError) -> IngestError {
    match e {
        insights_storage::StorageError::Object { not_found: true, url, .. } => IngestError::InputNotFound(url),
        other => IngestError::Remote(other.to_string()),
    }
}

/// Lists remote inputs (`s3://bucket/key` for one object, or a prefix for
/// every object below it) without reading them.
pub async fn list_remote_inputs(
    input: &str,
    format: Option<Format>,
    storage: &insights_storage::StorageOptions,
) -> Result<Vec<RemoteInput>, IngestError> {
    use insights_storage::Location;
    let trimmed = input.trim_end_matches('/');
    let as_prefix = Location::parse(trimmed, storage).map_err(remote_error)?;
    let mut objects: Vec<(Location, String)> =
        as_prefix.list().await.map_err(remote_error)?.into_iter().map(|name| (as_prefix.clone(), name)).collect();
    if objects.is_empty() {
        let (parent, name) = trimmed.rsplit_once('/').ok_or_else(|| IngestError::InputNotFound(input.into()))?;
        objects.push((Location::parse(parent, storage).map_err(remote_error)?, name.to_string()));
    }
    let mut inputs = Vec::new();
    for (location, name) in objects {
        match format.or_else(|| Format::from_path(Path::new(&name))) {
            Some(format) => inputs.push(RemoteInput { location, name, format }),
            None => log::info!("skipping {} (not a recognised input format)", location.url_of(&name)),
        }
    }
    if inputs.is_empty() {
        return Err(IngestError::NoInputs(input.to_string()));
    }
    Ok(inputs)
}

/// Copies remote inputs into `scratch`, streaming, and returns them as
/// input files named by their URLs.
pub async fn fetch_remote_inputs(
    input: &str,
    format: Option<Format>,
    storage: &insights_storage::StorageOptions,
    scratch: &Path,
) -> Result<Vec<InputFile>, IngestError> {
    let remote = list_remote_inputs(input, format, storage).await?;
    std::fs::create_dir_all(scratch).map_err(|source| IngestError::Write { path: scratch.to_path_buf(), source })?;
    let mut files = Vec::new();
    for (index, object) in remote.iter().enumerate() {
        let file_name = object.name.rsplit('/').next().unwrap_or(&object.name);
        let path = scratch.join(format!("{index:05}-{file_name}"));
        object.location.download(&object.name, &path).await.map_err(|e| match remote_error(e) {
            IngestError::InputNotFound(_) => IngestError::InputNotFound(input.to_string()),
            other => other,
        })?;
        files.push(InputFile { path, name: object.url(), format: object.format });
    }
    Ok(files)
}

/// The input files of INPUT as the client's readers take them: local
/// paths resolved in place, remote objects copied into `scratch`.
pub async fn open_inputs(
    input: &str,
    format: Option<Format>,
    storage: &insights_storage::StorageOptions,
    scratch: &Path,
) -> Result<Vec<InputFile>, IngestError> {
    if insights_storage::is_remote(input) {
        fetch_remote_inputs(input, format, storage, scratch).await
    } else {
        resolve_inputs(input, format)
    }
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    let read_error = |source| IngestError::Read { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_dir(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_formats() {
        assert_eq!(Format::from_path(Path::new("a/b.csv.gz")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("B.XLSX")), Some(Format::Excel));
        assert_eq!(Format::from_path(Path::new("x.parquet")), Some(Format::Parquet));
        assert_eq!(Format::from_path(Path::new("x.json")), None);
    }
}
