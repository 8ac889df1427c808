//! The tests' cluster: the shared local-cluster launcher with the built
//! binary, the test S3 server's credentials and a short executor timeout.

use std::path::{Path, PathBuf};

use insights_local_cluster::{ClusterSpec, LocalCluster};

use super::s3::{ACCESS_KEY, SECRET_KEY};

/// What the tests start: `executors` executors in `dir` (which holds the
/// insights.yaml they all read), each with its own work dir.
pub fn spec(dir: &Path, executors: usize) -> ClusterSpec {
    let mut spec = ClusterSpec::new(env!("CARGO_BIN_EXE_insights"), dir, executors);
    // A lost executor is noticed within seconds, so executor-loss tests stay short.
    spec.executor_timeout = Some(8);
    spec.env =
        vec![("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()), ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into())];
    spec
}

/// A scheduler and `executors` executors; with `share_work_dir` the
/// executors share one work dir, as on one machine.
pub fn start(dir: &Path, executors: usize, share_work_dir: bool) -> LocalCluster {
    let mut spec = spec(dir, executors);
    spec.shared_work_dir = share_work_dir.then(|| dir.join("executors"));
    launch(&spec)
}

pub fn launch(spec: &ClusterSpec) -> LocalCluster {
    LocalCluster::start(spec).unwrap_or_else(|e| panic!("the test cluster did not start: {e}"))
}

/// `insights certs` for a scheduler and two executors, in `dir/name`.
pub fn make_certs(dir: &Path, name: &str) -> PathBuf {
    let certs = dir.join(name);
    let out = certs.display().to_string();
    super::insights(dir, &["certs", "--out", &out, "--hosts", "scheduler,executor-1,executor-2"]).ok();
    certs
}
