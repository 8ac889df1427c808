//! `sql/catalog.lock`: the version and checksum of every SQL file, like
//! Flyway's schema history. Editing a file's SQL without bumping its
//! version would silently change what a versioned result means, so it is
//! an error; `insights lock` records the new state.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Catalog, CatalogError, Model};

pub const LOCK_FILE: &str = "catalog.lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockEntry {
    pub version: u32,
    pub sha256: String,
}

/// What is wrong between the files and the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockProblem {
    /// The SQL changed but the version did not: results would be mislabelled.
    ChangedWithoutBump { name: String, path: String, version: u32 },
    /// New file, or new version, not recorded yet.
    NotLocked { name: String, path: String, version: u32 },
    /// Locked, but the file is gone.
    Removed { name: String },
}

impl LockProblem {
    /// Only a changed file with an unchanged version stops a run.
    pub fn blocks_run(&self) -> bool {
        matches!(self, Self::ChangedWithoutBump { .. })
    }
}

impl std::fmt::Display for LockProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ChangedWithoutBump { name, path, version } => write!(
                f,
                "{path}: the SQL of `{name}` changed but its version is still {version}; \
                 set `-- version: {}` in its header (results of v{version} stay as they are), then run `insights lock`",
                version + 1
            ),
            Self::NotLocked { name, path, version } => {
                write!(f, "{path}: `{name}` v{version} is not in {LOCK_FILE}; run `insights lock`")
            }
            Self::Removed { name } => {
                write!(f, "`{name}` is in {LOCK_FILE} but has no SQL file any more; run `insights lock`")
            }
        }
    }
}

fn all_models(catalog: &Catalog) -> impl Iterator<Item = &Model> {
    catalog.curation.iter().chain(catalog.models.iter())
}

impl Catalog {
    /// The lock as it should be for the files as they are.
    pub fn lock_entries(&self) -> BTreeMap<String, LockEntry> {
        all_models(self)
            .map(|m| (m.name().to_string(), LockEntry { version: m.version(), sha256: m.checksum.clone() }))
            .collect()
    }

    /// Reads `DIR/catalog.lock` (empty when there is none).
    pub fn read_lock(&self) -> Result<BTreeMap<String, LockEntry>, CatalogError> {
        let path = self.dir.join(LOCK_FILE);
        if !path.exists() {
            return Ok(BTreeMap::new());
        }
        let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Io { path: path.clone(), source })?;
        serde_yaml::from_str(&text)
            .map_err(|e| CatalogError::Header { path, message: format!("invalid lock file: {e}") })
    }

    /// Compares the files with the lock.
    pub fn verify_lock(&self) -> Result<Vec<LockProblem>, CatalogError> {
        let locked = self.read_lock()?;
        let mut problems = Vec::new();
        for model in all_models(self) {
            let (name, path, version) = (model.name().to_string(), display(&model.path), model.version());
            match locked.get(model.name()) {
                Some(entry) if entry.version == version && entry.sha256 != model.checksum => {
                    problems.push(LockProblem::ChangedWithoutBump { name, path, version })
                }
                Some(entry) if entry.version == version => {}
                _ => problems.push(LockProblem::NotLocked { name, path, version }),
            }
        }
        for name in locked.keys() {
            if !all_models(self).any(|m| m.name() == name) {
                problems.push(LockProblem::Removed { name: name.clone() });
            }
        }
        Ok(problems)
    }

    /// Writes the lock for the files as they are.
    pub fn write_lock(&self) -> Result<(), CatalogError> {
        let path = self.dir.join(LOCK_FILE);
        let body = serde_yaml::to_string(&self.lock_entries()).expect("lock serialises");
        let text = format!("# Versions and sha256 checksums of the SQL files; written by `insights lock`.\n{body}");
        std::fs::write(&path, text).map_err(|source| CatalogError::Io { path, source })
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, version: u32, body: &str) {
        std::fs::write(dir.join("a.sql"), format!("-- name: a\n-- version: {version}\n-- description: d\n{body}\n"))
            .unwrap();
    }

    #[test]
    fn a_change_needs_a_version_bump_and_a_new_lock() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1, "select 1");
        let catalog = Catalog::load(dir.path(), &[]).unwrap();
        assert!(matches!(catalog.verify_lock().unwrap()[..], [LockProblem::NotLocked { .. }]));
        catalog.write_lock().unwrap();
        assert!(catalog.verify_lock().unwrap().is_empty());

        write(dir.path(), 1, "select 2");
        let catalog = Catalog::load(dir.path(), &[]).unwrap();
        let problems = catalog.verify_lock().unwrap();
        assert!(problems[0].blocks_run());
        let message = problems[0].to_string();
        assert!(
            message.contains("a.sql") && message.contains("set `-- version: 2`") && message.contains("insights lock"),
            "{message}"
        );

        write(dir.path(), 2, "select 2");
        let catalog = Catalog::load(dir.path(), &[]).unwrap();
        let problems = catalog.verify_lock().unwrap();
        assert!(matches!(problems[..], [LockProblem::NotLocked { version: 2, .. }]) && !problems[0].blocks_run());
    }
}
