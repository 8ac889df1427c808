//! The runs kept under `OUTPUT/runs/`: which are committed, which the
//! top-level manifest names, and pruning the old ones. Every run keeps its
//! directory (for `insights diff`), so without pruning they pile up.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use insights_storage::{Location, StorageError};

use crate::{EngineError, MANIFEST_FILE, Manifest};

/// One directory under `OUTPUT/runs/`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    pub run_id: String,
    /// When it started, from its id.
    pub started: Option<DateTime<Utc>>,
    /// Its own manifest, when it committed (a run without one failed, was
    /// interrupted on object storage, or is still running).
    pub manifest: Option<Manifest>,
    /// The run `OUTPUT/manifest.json` names.
    pub latest: bool,
}

/// Uncommitted runs younger than this may still be running in another
/// process; pruning leaves them alone.
pub const UNFINISHED_GRACE_HOURS: i64 = 24;

/// Every run under `output`, oldest first.
pub async fn list_runs(output: &Location) -> Result<Vec<RunEntry>, EngineError> {
    let latest = match Manifest::read(output).await {
        Ok(manifest) => Some(manifest.run_id),
        Err(EngineError::Storage(StorageError::Object { not_found: true, .. })) => None,
        Err(e) => return Err(e),
    };
    let mut ids = BTreeSet::new();
    let mut committed = BTreeSet::new();
    for name in output.join("runs").list().await? {
        if let Some((id, rest)) = name.split_once('/') {
            ids.insert(id.to_string());
            if rest == MANIFEST_FILE {
                committed.insert(id.to_string());
            }
        }
    }
    let mut runs = Vec::new();
    for run_id in ids {
        let manifest =
            if committed.contains(&run_id) { Some(Manifest::read_run(output, &run_id).await?) } else { None };
        runs.push(RunEntry {
            started: started_at(&run_id),
            latest: latest.as_deref() == Some(run_id.as_str()),
            manifest,
            run_id,
        });
    }
    Ok(runs)
}

/// Removes all but the newest `keep` committed runs (never the latest one),
/// and uncommitted runs older than `UNFINISHED_GRACE_HOURS`. Returns the
/// removed runs.
pub async fn prune_runs(output: &Location, keep: usize, now: DateTime<Utc>) -> Result<Vec<RunEntry>, EngineError> {
    let runs = list_runs(output).await?;
    let kept_committed: Vec<String> =
        runs.iter().rev().filter(|run| run.manifest.is_some()).take(keep).map(|run| run.run_id.clone()).collect();
    let stale = |run: &RunEntry| {
        run.started.is_some_and(|started| now - started > chrono::Duration::hours(UNFINISHED_GRACE_HOURS))
    };
    let mut removed = Vec::new();
    for run in runs {
        let remove = match run.manifest {
            Some(_) => !run.latest && !kept_committed.contains(&run.run_id),
            None => stale(&run),
        };
        if remove {
            output.join(&format!("runs/{}", run.run_id)).delete_all().await?;
            removed.push(run);
        }
    }
    Ok(removed)
}

/// A run id starts with its UTC start time, `YYYYMMDDTHHMMSSmmmZ`.
fn started_at(run_id: &str) -> Option<DateTime<Utc>> {
    let stamp = run_id.split('-').next()?;
    NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%3fZ").ok().map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_carry_their_start_time() {
        let started = started_at("20261126T005822008Z-20496").unwrap();
        assert_eq!(started.to_rfc3339(), "2026-11-26T00:58:22.008+00:00");
        assert_eq!(started_at("not-a-run"), None);
    }
}
