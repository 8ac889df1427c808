//! `manifest.json`: the record of the latest committed run. It is written
//! last, atomically, so readers always see a complete run.

use std::collections::BTreeMap;
use std::path::Path;

use insights_ingest::IngestSummary;
use insights_storage::Location;
use serde::{Deserialize, Serialize};

use crate::EngineError;

pub const MANIFEST_FILE: &str = "manifest.json";

/// Whether a run wrote an insight's table.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InsightStatus {
    #[default]
    Written,
    /// The input lacks a column the insight needs (see `reason`).
    Skipped,
}

/// One insight's result in a run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InsightRecord {
    pub name: String,
    pub version: u32,
    #[serde(default)]
    pub status: InsightStatus,
    /// Why the insight was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Checksum of the query (and parameter declarations) that produced the table.
    pub sha256: String,
    /// Directory of the Parquet table, relative to the output directory
    /// (empty when skipped).
    pub path: String,
    pub rows: u64,
    pub seconds: f64,
    /// The CSV copy, relative to the output directory, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<String>,
}

/// A committed run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    /// `standalone` or the scheduler URL.
    pub engine: String,
    pub input_files: Vec<String>,
    /// The curated layer of this run, relative to the output directory.
    pub curated: String,
    /// Who read the raw input: `client` (streaming readers in this
    /// process) or `cluster` (the executors, for Parquet on object storage).
    #[serde(default)]
    pub ingested_on: String,
    pub ingest: IngestSummary,
    /// Wall time of reading the input into the curated layer.
    #[serde(default)]
    pub ingest_seconds: f64,
    pub parameters: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    pub insights: Vec<InsightRecord>,
}

impl Manifest {
    /// Reads `DIR/manifest.json`.
    pub fn load(output: &Path) -> Result<Self, EngineError> {
        let path = output.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| EngineError::Read { path: path.clone(), source })?;
        serde_json::from_str(&text).map_err(|e| EngineError::Invalid { path, message: e.to_string() })
    }

    /// Reads `manifest.json` from an output location (local or S3).
    pub async fn read(output: &Location) -> Result<Self, EngineError> {
        let bytes = output.read(MANIFEST_FILE).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| EngineError::Invalid { path: output.url_of(MANIFEST_FILE).into(), message: e.to_string() })
    }

    /// Reads the manifest a run kept of itself (`runs/RUN_ID/manifest.json`).
    pub async fn read_run(output: &Location, run_id: &str) -> Result<Self, EngineError> {
        Self::read(&output.join(&format!("runs/{run_id}"))).await
    }

    /// Writes `manifest.json` in one put: object stores replace an object
    /// atomically, and the local store writes a temporary file and renames.
    pub(crate) async fn commit(&self, output: &Location) -> Result<(), EngineError> {
        let json = serde_json::to_vec_pretty(self).expect("manifest serialises");
        Ok(output.write(MANIFEST_FILE, json).await?)
    }

    /// The insight's record, if the run wrote its table.
    pub fn insight(&self, name: &str) -> Option<&InsightRecord> {
        self.written().find(|i| i.name == name)
    }

    /// The insights whose tables the run wrote.
    pub fn written(&self) -> impl Iterator<Item = &InsightRecord> {
        self.insights.iter().filter(|i| i.status == InsightStatus::Written)
    }

    /// The insights the run skipped, with their reasons.
    pub fn skipped(&self) -> impl Iterator<Item = &InsightRecord> {
        self.insights.iter().filter(|i| i.status == InsightStatus::Skipped)
    }
}
