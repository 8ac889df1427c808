//! The tests' cluster: the shared local-cluster launcher with the built
//! binary, the test S3 server's credentials and a short executor timeout.

use std::path::Path;

use insights_local_cluster::{ClusterSpec, LocalCluster};

use super::s3::{ACCESS_KEY, SECRET_KEY};

/// A scheduler and `executors` executors in `dir` (which holds the
/// insights.yaml they all read); with `share_work_dir` the executors share
/// one work dir, as on one machine, else each has its own.
pub fn start(dir: &Path, executors: usize, share_work_dir: bool) -> LocalCluster {
    let mut spec = ClusterSpec::new(env!("CARGO_BIN_EXE_insights"), dir, executors);
    // A lost executor is noticed within seconds, so executor-loss tests stay short.
    spec.executor_timeout = Some(8);
    spec.shared_work_dir = share_work_dir.then(|| dir.join("executors"));
    spec.env =
        vec![("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()), ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into())];
    LocalCluster::start(&spec).unwrap_or_else(|e| panic!("the test cluster did not start: {e}"))
}
