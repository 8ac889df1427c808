//! Building the Ballista session: standalone (in-process scheduler and
//! executor) or a remote scheduler. Everything else is the same.

use std::path::{Path, PathBuf};

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::extension::SessionStateExt;
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::EngineError;

/// How to reach the executors.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// `df://host:port` of a running scheduler; `None` runs standalone.
    pub scheduler: Option<String>,
    /// Task slots of the standalone executor and target partitions.
    pub parallelism: usize,
    /// Object-store settings of this process (the client, and in
    /// standalone mode the executor too).
    pub storage: insights_storage::StorageOptions,
    /// Memory for query execution in standalone mode, in bytes; beyond it
    /// operators spill to disk. `None`: unbounded.
    pub memory_limit: Option<u64>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            scheduler: None,
            parallelism: std::thread::available_parallelism().map(usize::from).unwrap_or(2),
            storage: Default::default(),
            memory_limit: None,
        }
    }
}

/// A Ballista session. In standalone mode it owns the executor's work
/// directory and removes it when dropped, so no shuffle data outlives a run.
pub struct Engine {
    pub ctx: SessionContext,
    /// `standalone` or the scheduler URL, for the manifest.
    pub description: String,
    work_dir: Option<PathBuf>,
}

impl Engine {
    /// Starts the session; in standalone mode shuffle files go under
    /// `work_dir`, which is created here and removed on drop.
    pub async fn start(options: &EngineOptions, work_dir: &Path) -> Result<Self, EngineError> {
        let config = SessionConfig::new_with_ballista()
            .with_target_partitions(options.parallelism)
            .with_ballista_standalone_parallelism(options.parallelism)
            .with_information_schema(true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(
                crate::registry::runtime_with_memory_limit(&options.storage, options.memory_limit)
                    .map_err(EngineError::Session)?,
            )
            .with_default_features()
            .build();
        match &options.scheduler {
            Some(url) => {
                probe_scheduler(url).await?;
                let ctx = SessionContext::remote_with_state(url, state)
                    .await
                    .map_err(|e| EngineError::Cluster(format!("cannot reach the scheduler at {url}: {e}")))?;
                Ok(Self { ctx, description: url.clone(), work_dir: None })
            }
            None => {
                let url = crate::standalone::start(&state, work_dir, options.parallelism)
                    .await
                    .map_err(EngineError::Session)?;
                let state = state.upgrade_for_ballista(url).map_err(EngineError::Session)?;
                Ok(Self {
                    ctx: SessionContext::new_with_state(state),
                    description: "standalone".into(),
                    work_dir: Some(work_dir.to_path_buf()),
                })
            }
        }
    }
}

/// Fails fast, before any work, when the scheduler cannot be reached.
async fn probe_scheduler(url: &str) -> Result<(), EngineError> {
    let unreachable = |cause: String| EngineError::Cluster(format!("cannot reach the scheduler at {url}: {cause}"));
    let parsed = url::Url::parse(url).map_err(|_| unreachable("expected df://HOST:PORT".into()))?;
    let host = parsed.host_str().ok_or_else(|| unreachable("expected df://HOST:PORT".into()))?;
    let port = parsed.port().unwrap_or(50050);
    let endpoint = format!("http://{host}:{port}");
    let connect = ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient::connect(endpoint);
    match tokio::time::timeout(std::time::Duration::from_secs(10), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            // The innermost cause says it best ("Connection refused").
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            Err(unreachable(cause.to_string()))
        }
        Err(_) => Err(unreachable("no answer within 10 s".into())),
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(dir) = &self.work_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
