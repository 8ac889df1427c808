//! `insights.yaml`: the settings an analyst keeps with a project. Flags
//! override the file and the file overrides the defaults; `settings.rs`
//! resolves them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

pub const DEFAULT_CONFIG: &str = "insights.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Default input (file, directory or glob).
    pub input: Option<String>,
    /// Default output: a directory or `s3://bucket/prefix`.
    pub output: Option<String>,
    /// SQL catalog directory.
    pub catalog: Option<PathBuf>,
    /// Category rules file (default: CATALOG/category_rules.yaml).
    pub category_rules: Option<PathBuf>,
    #[serde(default)]
    pub ingest: IngestConfig,
    /// S3 endpoint, region and addressing (credentials: `AWS_*` variables).
    #[serde(default)]
    pub storage: insights_storage::StorageOptions,
    /// Where runs execute, and the settings of `insights scheduler` and
    /// `insights executor` processes started with this file.
    #[serde(default)]
    pub cluster: ClusterConfig,
    /// Write the HTML report at the end of `insights run` (default: true).
    pub report: Option<bool>,
    /// Also write CSV copies of the result tables (default: false).
    pub csv: Option<bool>,
    /// Parameter values per insight: `params: {top_customers: {limit: 50}}`.
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, serde_yaml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    pub format: Option<insights_ingest::Format>,
    pub encoding: Option<insights_ingest::Encoding>,
    pub sheet: Option<String>,
    /// Field delimiter: one character, `tab` or `whitespace` (default:
    /// guessed).
    pub delimiter: Option<String>,
    /// The kind of export: uci, shopify or transactions.
    pub preset: Option<insights_ingest::Preset>,
    #[serde(default)]
    pub day_first: bool,
    /// Extra chrono formats for invoice timestamps, tried first.
    #[serde(default)]
    pub timestamp_formats: Vec<String>,
    /// Canonical column (or `line_total`) -> header name in the input.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Order-level columns copied to an order's later lines.
    pub fill_down: Option<Vec<String>>,
    /// Orders whose `column` holds one of `values` are cancellations.
    pub cancelled: Option<insights_ingest::Cancelled>,
    /// Memory for de-duplication before spilling to disk, e.g. `2GiB`.
    pub memory_limit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// `df://HOST:PORT`: run on this cluster instead of in-process.
    pub scheduler: Option<String>,
    /// Task slots of the in-process (standalone) executor.
    pub parallelism: Option<usize>,
    /// Memory for query execution in-process, e.g. `4GiB` (spills beyond).
    pub memory_limit: Option<String>,
    /// Port of `insights scheduler`.
    pub scheduler_port: Option<u16>,
    /// Mutual TLS between the cluster's processes: `{ca, cert, key}` PEM
    /// files of this process (`insights certs` makes them).
    pub tls: Option<insights_engine::TlsFiles>,
    /// Seconds to wait for an unreachable scheduler (default: 60).
    pub connect_timeout: Option<u64>,
    #[serde(default)]
    pub executor: ExecutorConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutorConfig {
    /// `HOST:PORT` of the scheduler to register with.
    pub scheduler: Option<String>,
    pub port: Option<u16>,
    pub grpc_port: Option<u16>,
    pub concurrent_tasks: Option<usize>,
    pub work_dir: Option<String>,
    /// e.g. `4GiB`.
    pub memory_limit: Option<String>,
}

impl Config {
    /// Loads `path`, or `./insights.yaml` when no path is given and it exists.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let path = match path {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_CONFIG).exists() => PathBuf::from(DEFAULT_CONFIG),
            None => return Ok(Self::default()),
        };
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read config file {}", path.display()))?;
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_yaml::from_str(&text).map_err(|e| {
            let message = e.to_string();
            let hint = suggestion(&message).map(|s| format!(" — did you mean `{s}`?")).unwrap_or_default();
            anyhow::anyhow!("{}: {message}{hint}", path.display())
        })
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" the valid key
/// nearest to `x`, when it is near enough to be a typo.
fn suggestion(message: &str) -> Option<String> {
    let unknown = message.split("unknown field `").nth(1)?.split('`').next()?;
    let expected = message.split("expected one of ").nth(1).or_else(|| message.split("expected ").nth(1))?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|key| (strsim::damerau_levenshtein(unknown, key), key))
        .filter(|(distance, key)| *distance <= 2.max(key.len() / 3))
        .min()
        .map(|(_, key)| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        let message =
            "ingest: unknown field `day_frist`, expected one of `format`, `encoding`, `day_first`, `columns` at line 2";
        assert_eq!(suggestion(message).as_deref(), Some("day_first"));
        assert_eq!(suggestion("unknown field `zzzzzzzz`, expected one of `input`, `output`"), None);
    }
}
