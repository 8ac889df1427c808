//! Cleaning up after runs that end without a commit.

use std::path::PathBuf;
use std::time::Instant;

/// What a run removes however it ends: its scratch and shuffle
/// directories, and until it commits, its local run directory. A run
/// stopped half-way (Ctrl-C drops its future) leaves none of them behind; on
/// object storage, an interrupted run's objects stay (deleting needs the
/// runtime that is going away), but no manifest refers to them.
pub struct Unfinished {
    pub scratch: Vec<PathBuf>,
    pub local_run: Option<PathBuf>,
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let mut leftovers = UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for dir in self.scratch.iter().chain(&self.local_run) {
            let _ = std::fs::remove_dir_all(dir);
            leftovers.push(dir.clone());
        }
    }
}

/// Directories of runs that ended without a commit, and scratch space. The
/// in-process executor's tasks may still write into them after the run
/// gave up, until the runtime stops.
static UNFINISHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes, once more, what runs that ended in this process left: call it
/// after the Tokio runtime stopped. The in-process executor runs its tasks
/// on a runtime of its own (threads named `task_runner`) that stops only
/// when the executor is dropped with ours; a task still in the middle of a
/// write would create its shuffle directory again, so this waits (up to
/// 10 s) for those threads to end first.
pub fn remove_unfinished_runs() {
    let leftovers = std::mem::take(&mut *UNFINISHED.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    if leftovers.is_empty() {
        return;
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while executor_task_threads_running() && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for dir in leftovers {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Whether a thread of Ballista's task runtime (`DedicatedExecutor` named
/// `task_runner`) is alive in this process; false where `/proc` is not.
fn executor_task_threads_running() -> bool {
    let Ok(threads) = std::fs::read_dir("/proc/self/task") else { return false };
    threads.filter_map(Result::ok).any(|thread| {
        std::fs::read_to_string(thread.path().join("comm")).is_ok_and(|name| name.trim_end() == "task_runner")
    })
}
