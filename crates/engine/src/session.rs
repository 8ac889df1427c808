//! Building the Ballista session: standalone (in-process scheduler and
//! executor) or a remote scheduler. Everything else is the same.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::EngineError;
use crate::cluster::{ExecutorOptions, SchedulerOptions};
use crate::memory_staging::{LogicalCodec, PhysicalCodec};

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
    /// Mutual TLS to a scheduler and its executors.
    pub tls: Option<crate::tls::ClusterTls>,
    /// How long to wait for an unreachable scheduler.
    pub connect_timeout: std::time::Duration,
}

/// What a standalone run holds per curated line at its peak, rounded up:
/// 1.07M lines peak at 0.8 GB of RSS without a memory limit.
const PEAK_BYTES_PER_LINE: u64 = 1024;

impl EngineOptions {
    /// Whether the memory limit leaves a run over `lines` curated lines
    /// twice the room it takes at its peak: then it runs as without a limit
    /// (insights side by side, staging tables kept in memory), with its
    /// queries still confined to the limit, so that a limit set for safety
    /// costs little until the input comes near it.
    pub(crate) fn memory_limit_leaves_room(&self, lines: u64) -> bool {
        self.memory_limit.is_some_and(|limit| lines.saturating_mul(2 * PEAK_BYTES_PER_LINE) <= limit)
    }

    /// Whether a run over `lines` curated lines must save memory: one job at
    /// a time, staging tables as files.
    pub(crate) fn saves_memory(&self, lines: u64) -> bool {
        self.memory_limit.is_some() && !self.memory_limit_leaves_room(lines)
    }

    /// Whether a session for `input_lines` curated lines (`None`: not known
    /// yet) must save memory; under a memory limit it must until the
    /// input's size shows room to spare.
    fn session_saves_memory(&self, input_lines: Option<u64>) -> bool {
        input_lines.map_or(self.memory_limit.is_some(), |lines| self.saves_memory(lines))
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            scheduler: None,
            parallelism: std::thread::available_parallelism().map(usize::from).unwrap_or(2),
            storage: Default::default(),
            memory_limit: None,
            tls: None,
            connect_timeout: crate::connect::DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// Hash partitions of every repartition under a memory limit, so that each
/// task's join and aggregation state is a small share of the data.
const PARTITIONS_UNDER_MEMORY_LIMIT: usize = 16;

/// Curated lines per hash partition once the input's size is known. Under
/// a memory limit 50M lines take all 16 partitions, a 1M-line input only as
/// many as there are cores (16 partitions made a 1M-line run 2.5 s slower
/// for nothing). Without a limit, an input of up to 3M lines runs each
/// insight in one partition (see `PartitionRange`; standalone with staging
/// tables in memory, any input).
const LINES_PER_PARTITION: u64 = 3_000_000;

/// A Ballista session. In standalone mode it owns the in-process scheduler
/// and executor and the executor's work directory, and stops and removes
/// them when dropped, so no shuffle data outlives a run.
pub struct Engine {
    pub ctx: SessionContext,
    /// `standalone` or the scheduler URL, for the manifest.
    pub description: String,
    work_dir: Option<PathBuf>,
    services: Vec<tokio::task::JoinHandle<Result<(), EngineError>>>,
    /// How many hash partitions an input's size may take, unless
    /// `INSIGHTS_ENGINE_SETTINGS` chose the number (`None`: it stays as
    /// chosen).
    partitions_follow_input: Option<PartitionRange>,
    /// One hash partition per core (`EngineOptions::parallelism`).
    partitions_per_core: usize,
}

/// The fewest and most hash partitions, one per `LINES_PER_PARTITION`
/// curated lines in between.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PartitionRange {
    fewest: usize,
    most: usize,
}

impl PartitionRange {
    /// The range for a session that saves memory or not.
    fn for_session(options: &EngineOptions, saves_memory: bool) -> Self {
        if saves_memory {
            // At least one per core, and more for a large input, so that each
            // task's join and aggregation state is a small share of the pool.
            Self { fewest: options.parallelism, most: partitions_under_memory_limit(options) }
        } else {
            // Otherwise several insights run at once (see `run`), which
            // keeps the cores busy; a small input's insights then run in one
            // partition each, with no shuffle between their stages (1.07M
            // lines standalone: the run 2.9-3.0 s -> 2.6-2.8 s, 5-10% less
            // CPU). A standalone run with its staging tables in memory takes
            // one at any size (`Engine::fit_partitions_to`).
            Self { fewest: 1, most: options.parallelism }
        }
    }

    fn partitions_for(self, lines: u64) -> usize {
        let needed = usize::try_from(lines.div_ceil(LINES_PER_PARTITION)).unwrap_or(usize::MAX);
        needed.clamp(self.fewest, self.most)
    }
}

impl Engine {
    /// Once the input's size is known: as many hash partitions as `lines`
    /// need, within the session's `PartitionRange`; one when the run keeps
    /// its staging tables in memory. Those are read in one partition (see
    /// `memory_staging`), so the first stage of an insight over them is one
    /// task either way, and more partitions after it only add a shuffle
    /// (10M lines: the run 16.5 -> 15.9 s, medians of 7, alternating); the
    /// insights that read other insights still get one per core
    /// (`partitions_for_insight_readers`).
    pub fn fit_partitions_to(&self, lines: u64, staging_in_memory: bool) {
        if let Some(range) = self.partitions_follow_input {
            let partitions = if staging_in_memory { 1 } else { range.partitions_for(lines) };
            let state = self.ctx.state_ref();
            state.write().config_mut().options_mut().execution.target_partitions = partitions;
        }
    }

    /// Hash partitions for an insight that reads other insights, when the
    /// input's size gave fewer than one per core: such an insight starts
    /// late, when fewer insights are left to share the cores, and the last
    /// link of the longest chain decides when the run ends (1.07M lines:
    /// product_affinity 1.04 -> 0.78 s, the run 2.39 -> 2.25 s; the small
    /// ones cost no more in two partitions). `None`: the session's count
    /// stands.
    pub fn partitions_for_insight_readers(&self) -> Option<usize> {
        self.partitions_follow_input?;
        let now = self.ctx.state_ref().read().config().options().execution.target_partitions;
        (now < self.partitions_per_core).then_some(self.partitions_per_core)
    }

    /// Starts the session; in standalone mode shuffle files go under
    /// `work_dir`, which is created here and removed on drop. A session
    /// started when the curated `input_lines` are known (standalone starts
    /// after its ingest) and a memory limit leaves them room to spare gets
    /// the settings of a session without a limit, its queries still
    /// confined to the limit: a limit set for safety costs nothing until
    /// the input comes near it.
    pub async fn start(
        options: &EngineOptions,
        work_dir: &Path,
        input_lines: Option<u64>,
    ) -> Result<Self, EngineError> {
        let saves_memory = options.session_saves_memory(input_lines);
        if let Some(limit) = options.memory_limit {
            let how = if saves_memory { "saving memory" } else { "with room to spare" };
            log::info!("queries confined to {limit} bytes of memory, {how}");
        }
        let mut config = SessionConfig::new_with_ballista()
            .with_target_partitions(options.parallelism)
            .with_ballista_standalone_parallelism(options.parallelism)
            .with_information_schema(true)
            .with_ballista_logical_extension_codec(Arc::new(LogicalCodec::default()))
            .with_ballista_physical_extension_codec(Arc::new(PhysicalCodec::default()));
        keep_subset_partitioning(&mut config, options.parallelism);
        if options.scheduler.is_none() {
            // In-process, the static distributed planner: Ballista's adaptive
            // one loops forever once a stage comes back empty (a join with
            // nothing on one side, e.g. `-p trend_top_n=0`), each replan
            // adding a stage that exchanges the same empty input. A cluster
            // keeps the adaptive planner: only it recovers from a lost
            // executor without running a finished write stage twice (the
            // static one left doubled tables in that case).
            config.options_mut().set("ballista.planner.adaptive.enabled", "false").map_err(EngineError::Session)?;
        }
        if saves_memory {
            // Plain strings: with string views, a window function that
            // concatenates its input counts every shared view buffer once
            // per batch, and its sort asks the pool for gigabytes it never
            // uses (seen at 50M lines under a 4 GiB limit).
            config.options_mut().execution.parquet.schema_force_view_types = false;
            // Smaller pieces: a hash join cannot spill, so its build side
            // must fit one task's share of the pool (product_affinity v2's
            // basket self-join at 50M lines needed ~2 GB in 2 partitions).
            // `fit_partitions_to` lowers this for small inputs.
            config = config.with_target_partitions(partitions_under_memory_limit(options));
            // No broadcast joins: Ballista picks one from an estimate before
            // it has measured the build side, and a broadcast build side is
            // built whole in every task. product_affinity v2's basket
            // self-join was estimated at the number of products (16 K rows
            // at 10M lines) but held every basket (7.6 M rows, 450 MB),
            // which exhausted the pool. A partitioned join builds one
            // partition's share in each task.
            config = config.with_ballista_broadcast_join_threshold_bytes(0);
        }
        if options.scheduler.is_none() {
            // The in-process executor's shuffle files never cross a network:
            // compressing them only costs time.
            config.options_mut().set("ballista.shuffle.compression.codec", "none").map_err(EngineError::Session)?;
            // Hash joins: Ballista plans sort-merge joins by default,
            // because a hash join cannot spill, and its static planner
            // (standalone's) follows that. A sort-merge join sorts the
            // larger side too (10M lines: to join 9.5 M sales to 10 products,
            // product_monthly_trend sorted the sales, 4.7 -> 1.0 s;
            // product_affinity 11.6 -> 8.1 s; 50M lines under a 4 GiB
            // limit, where the sorts spilled: product_monthly_trend 30.5 ->
            // 13.2 s, category_performance 57.2 -> 39.8 s).
            config.options_mut().optimizer.prefer_hash_join = true;
            if saves_memory {
                // Partitioned ones only: a join built whole in every task
                // (collect-left) is chosen from an estimate of its build
                // side, which can be far off (see the broadcast threshold
                // above); partitioned, each task builds its share.
                config.options_mut().optimizer.hash_join_single_partition_threshold = 0;
                config.options_mut().optimizer.hash_join_single_partition_threshold_rows = 0;
            } else {
                // Ballista turns string views off: an IPC frame of views
                // carries the whole buffers they point into, which can be
                // too large for Arrow Flight. The in-process executor reads
                // its shuffle files directly, never over Flight, and with
                // views a Parquet string is not copied out of its page (4%
                // of a 1M-line run).
                config.options_mut().execution.parquet.schema_force_view_types = true;
            }
        }
        let mut partitions_follow_input = Some(PartitionRange::for_session(options, saves_memory));
        if let Ok(settings) = std::env::var("INSIGHTS_ENGINE_SETTINGS") {
            for setting in settings.split(',').filter(|s| !s.trim().is_empty()) {
                let (key, value) = setting.split_once('=').ok_or_else(|| {
                    EngineError::Cluster(format!("INSIGHTS_ENGINE_SETTINGS: expected KEY=VALUE, found `{setting}`"))
                })?;
                config.options_mut().set(key.trim(), value.trim()).map_err(EngineError::Session)?;
                if key.trim() == "datafusion.execution.target_partitions" {
                    partitions_follow_input = None;
                }
            }
        }
        if let (Some(tls), Some(_)) = (&options.tls, &options.scheduler) {
            config = config
                .with_ballista_use_tls(true)
                .with_ballista_override_create_grpc_client_endpoint(tls.endpoint_override());
        }
        let state = crate::registry::session_state(config, &options.storage, options.memory_limit)
            .map_err(EngineError::Session)?;
        match &options.scheduler {
            Some(url) => {
                let address = scheduler_address(url)?;
                crate::connect::wait_for_scheduler(&address, options.tls.as_ref(), options.connect_timeout).await?;
                let ctx = SessionContext::remote_with_state(url, state)
                    .await
                    .map_err(|e| EngineError::Cluster(format!("cannot reach the scheduler at {url}: {e}")))?;
                crate::functions::register_in(&ctx).map_err(EngineError::Session)?;
                wait_for_an_executor(&ctx, url).await?;
                Ok(Self {
                    ctx,
                    description: url.clone(),
                    work_dir: None,
                    services: Vec::new(),
                    partitions_follow_input,
                    partitions_per_core: options.parallelism,
                })
            }
            None => {
                // The executor's ports are free when chosen (see `free_port`)
                // but another process can take one before it binds them;
                // then start again on others.
                let mut attempt = 1;
                loop {
                    match start_in_process(options, work_dir).await {
                        Ok(services) => {
                            // Dropped on any error below, which stops the services.
                            let mut engine = Self {
                                ctx: SessionContext::new(),
                                description: "standalone".into(),
                                work_dir: Some(work_dir.to_path_buf()),
                                services: services.handles,
                                partitions_follow_input,
                                partitions_per_core: options.parallelism,
                            };
                            let ctx = SessionContext::remote_with_state(&services.url, state).await.map_err(|e| {
                                EngineError::Cluster(format!("cannot start the in-process scheduler: {e}"))
                            })?;
                            crate::functions::register_in(&ctx).map_err(EngineError::Session)?;
                            engine.ctx = ctx;
                            return Ok(engine);
                        }
                        Err(e) if attempt < 3 => {
                            log::debug!("in-process cluster did not start ({e}); trying other ports");
                            attempt += 1;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
}

/// Hash partitions under a memory limit before the input's size is known.
fn partitions_under_memory_limit(options: &EngineOptions) -> usize {
    options.parallelism.max(PARTITIONS_UNDER_MEMORY_LIMIT)
}

/// RAM-backed storage for shuffle files, where the system has one.
const SHARED_MEMORY: &str = "/dev/shm";
/// Free space `/dev/shm` needs to take a run's shuffle files (a 10M-line
/// run peaks at about 0.5 GB).
const SHARED_MEMORY_MIN_FREE: u64 = 2 << 30;

/// Where a standalone run's executor writes its shuffle files. They are
/// written and read back within seconds, and on disk creating their
/// directories and files cost a tenth of a 1M-line run, so unless the run
/// saves memory (the data may not fit in it) they go to `/dev/shm` when it
/// has room; otherwise to `scratch` on disk.
pub(crate) fn shuffle_dir(options: &EngineOptions, scratch: &Path, saves_memory: bool) -> PathBuf {
    let on_disk = scratch.join("executor");
    if options.scheduler.is_some() || saves_memory {
        return on_disk;
    }
    match rustix::fs::statvfs(SHARED_MEMORY) {
        Ok(stats) if stats.f_bavail.saturating_mul(stats.f_frsize) >= SHARED_MEMORY_MIN_FREE => {
            shared_memory_shuffle_dir(scratch)
        }
        _ => on_disk,
    }
}

/// The shuffle directory in `/dev/shm` of the run with `scratch`, for
/// `shuffle_dir` and to be removed however the run ends.
pub(crate) fn shared_memory_shuffle_dir(scratch: &Path) -> PathBuf {
    let name = scratch.file_name().map_or_else(|| "insights".into(), |n| n.to_string_lossy().into_owned());
    Path::new(SHARED_MEMORY).join(format!("{name}-shuffle"))
}

/// Rows already hash-partitioned by some of the grouping keys, into at
/// least one partition per core, stay where they are: DataFusion shuffles
/// them again below 4 partitions, which moved 18 M pair counts of
/// product_affinity at 10M lines for nothing. `insights query` plans the
/// same way, so that its `EXPLAIN ANALYZE` shows a run's plans.
pub(crate) fn keep_subset_partitioning(config: &mut SessionConfig, parallelism: usize) {
    config.options_mut().optimizer.subset_repartition_threshold = parallelism;
}

/// The query planned into `partitions` hash partitions instead of the
/// session's number.
pub(crate) fn with_target_partitions(
    df: datafusion::dataframe::DataFrame,
    partitions: usize,
) -> datafusion::dataframe::DataFrame {
    let (mut state, plan) = df.into_parts();
    state.config_mut().options_mut().execution.target_partitions = partitions;
    DataFrame::new(state, plan)
}

const LOOPBACK: &str = "127.0.0.1";

/// The in-process scheduler and executor of a standalone session.
struct InProcess {
    url: String,
    handles: Vec<tokio::task::JoinHandle<Result<(), EngineError>>>,
}

/// Standalone is a cluster in this process: a scheduler and one executor on
/// loopback, with Ballista's push scheduling (tasks go to the executor as
/// soon as a stage is ready, instead of waiting for its next poll).
async fn start_in_process(options: &EngineOptions, work_dir: &Path) -> Result<InProcess, EngineError> {
    let scheduler = crate::cluster::bind_scheduler(SchedulerOptions {
        bind_host: LOOPBACK.into(),
        port: 0,
        external_host: LOOPBACK.into(),
        executor_timeout_seconds: crate::cluster::DEFAULT_EXECUTOR_TIMEOUT_SECONDS,
        storage: options.storage.clone(),
        // In one process, on loopback: nothing crosses a network.
        tls: None,
    })
    .await?;
    let port = scheduler.port();
    let mut services = vec![tokio::spawn(scheduler.serve())];
    let url = format!("df://{LOOPBACK}:{port}");
    let stop_all =
        |services: &[tokio::task::JoinHandle<Result<(), EngineError>>]| services.iter().for_each(|s| s.abort());
    if let Err(e) = wait_for_in_process_scheduler(&url, &mut services[0]).await {
        stop_all(&services);
        return Err(e);
    }
    std::fs::create_dir_all(work_dir).map_err(|source| EngineError::Write { path: work_dir.to_path_buf(), source })?;
    let flight_port = free_port()?;
    services.push(tokio::spawn(crate::cluster::serve_executor(ExecutorOptions {
        bind_host: LOOPBACK.into(),
        external_host: Some(LOOPBACK.into()),
        port: flight_port,
        grpc_port: free_port()?,
        scheduler_host: LOOPBACK.into(),
        scheduler_port: port,
        concurrent_tasks: options.parallelism,
        work_dir: Some(work_dir.display().to_string()),
        // Without a limit a run is unbounded, as documented, rather than
        // given Ballista's default: a share of the host's memory per task
        // slot, in which a 50M-line run's sort failed for want of memory.
        memory_limit: Some(options.memory_limit.unwrap_or(0)),
        storage: options.storage.clone(),
        tls: None,
        connect_timeout: crate::connect::DEFAULT_CONNECT_TIMEOUT,
    })));
    // The executor opens its data port only after it registered; a job
    // submitted before that could wait for ever.
    if let Err(e) = wait_for_port(flight_port, &mut services[1], "executor").await {
        stop_all(&services);
        return Err(e);
    }
    Ok(InProcess { url, handles: services })
}

/// A free port on loopback for the in-process executor. Unlike the
/// scheduler, a Ballista executor registers its ports before it binds them,
/// so they are chosen first (Ballista's own standalone executor registers a
/// made-up port instead, which push scheduling cannot use).
fn free_port() -> Result<u16, EngineError> {
    let listener = std::net::TcpListener::bind((LOOPBACK, 0))
        .map_err(|e| EngineError::Cluster(format!("no free port on {LOOPBACK}: {e}")))?;
    Ok(listener.local_addr().map_err(|e| EngineError::Cluster(e.to_string()))?.port())
}

/// Waits until an in-process service accepts connections on `port`.
async fn wait_for_port(
    port: u16,
    service: &mut tokio::task::JoinHandle<Result<(), EngineError>>,
    what: &str,
) -> Result<(), EngineError> {
    for _ in 0..500 {
        if service.is_finished() {
            return match service.await {
                Ok(Err(e)) => Err(e),
                _ => Err(EngineError::Cluster(format!("the in-process {what} stopped"))),
            };
        }
        if tokio::net::TcpStream::connect((LOOPBACK, port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Err(EngineError::Cluster(format!("the in-process {what} did not start within 10 s")))
}

/// Waits until the in-process scheduler answers (or reports why it stopped).
async fn wait_for_in_process_scheduler(
    url: &str,
    service: &mut tokio::task::JoinHandle<Result<(), EngineError>>,
) -> Result<(), EngineError> {
    let endpoint = url.replacen("df://", "http://", 1);
    for _ in 0..500 {
        if service.is_finished() {
            return match service.await {
                Ok(Err(e)) => Err(e),
                _ => Err(EngineError::Cluster("the in-process scheduler stopped".into())),
            };
        }
        if ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient::connect(endpoint.clone())
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Err(EngineError::Cluster("the in-process scheduler did not start within 10 s".into()))
}

/// `HOST:PORT` of a `df://HOST:PORT` URL (port 50050 when left out).
fn scheduler_address(url: &str) -> Result<String, EngineError> {
    let bad = || EngineError::Cluster(format!("scheduler `{url}`: expected df://HOST:PORT"));
    let parsed = url::Url::parse(url).map_err(|_| bad())?;
    let host = parsed.host_str().ok_or_else(bad)?;
    Ok(format!("{host}:{}", parsed.port().unwrap_or(50050)))
}

/// How long a job may wait for an executor before the user hears of it.
const NO_EXECUTOR_WARNING_SECONDS: u64 = 10;

/// Runs a one-row job before the real work. A scheduler without executors
/// queues jobs for ever (an executor may still join, as in Spark), so the
/// user is told every few seconds why nothing happens, instead of after an
/// ingest, or never.
async fn wait_for_an_executor(ctx: &SessionContext, url: &str) -> Result<(), EngineError> {
    let probe = async { ctx.sql("select 1 as probe").await?.collect().await };
    tokio::pin!(probe);
    let started = std::time::Instant::now();
    loop {
        tokio::select! {
            done = &mut probe => {
                done.map_err(|e| EngineError::Cluster(format!("the cluster at {url} cannot run a job: {e}")))?;
                return Ok(());
            }
            _ = tokio::time::sleep(std::time::Duration::from_secs(NO_EXECUTOR_WARNING_SECONDS)) => log::warn!(
                "no executor has run a task for {:.0} s: is an executor (`insights executor --scheduler …`) \
                 running and registered with {url}? Still waiting.",
                started.elapsed().as_secs_f64()
            ),
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        for service in &self.services {
            service.abort();
        }
        if let Some(dir) = &self.work_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(parallelism: usize, memory_limit: Option<u64>, scheduler: Option<&str>) -> PartitionRange {
        let options = EngineOptions {
            parallelism,
            memory_limit,
            scheduler: scheduler.map(String::from),
            ..EngineOptions::default()
        };
        PartitionRange::for_session(&options, options.session_saves_memory(None))
    }

    #[test]
    fn partitions_under_a_memory_limit_grow_with_the_input() {
        let limited = |parallelism, lines| range(parallelism, Some(1 << 30), None).partitions_for(lines);
        assert_eq!(limited(2, 0), 2);
        assert_eq!(limited(2, 1_000_000), 2);
        assert_eq!(limited(2, 10_000_000), 4);
        assert_eq!(limited(2, 48_000_000), 16);
        assert_eq!(limited(2, 500_000_000), 16);
        assert_eq!(limited(8, 1_000_000), 8);
        assert_eq!(limited(32, 500_000_000), 32);
        assert_eq!(range(2, Some(1 << 30), Some("df://cluster:50050")), range(2, Some(1 << 30), None));
    }

    #[test]
    fn a_memory_limit_saves_memory_until_the_input_shows_room_to_spare() {
        let limited = EngineOptions { memory_limit: Some(4 << 30), ..EngineOptions::default() };
        assert!(limited.session_saves_memory(None));
        assert!(!limited.session_saves_memory(Some(1_070_000)));
        assert!(limited.session_saves_memory(Some(50_000_000)));
        assert!(!EngineOptions::default().session_saves_memory(None));
        assert!(!EngineOptions::default().session_saves_memory(Some(50_000_000)));
    }

    #[test]
    fn without_a_memory_limit_small_inputs_run_in_one_partition() {
        let standalone = |parallelism, lines| range(parallelism, None, None).partitions_for(lines);
        assert_eq!(standalone(2, 541_909), 1);
        assert_eq!(standalone(2, 3_000_000), 1);
        assert_eq!(standalone(2, 3_000_001), 2);
        assert_eq!(standalone(2, 500_000_000), 2);
        assert_eq!(standalone(8, 10_000_000), 4);
        assert_eq!(range(2, None, Some("df://cluster:50050")), range(2, None, None));
    }
}
