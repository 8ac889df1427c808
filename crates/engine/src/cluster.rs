//! The cluster processes: a Ballista scheduler and executors, each resolving
//! object stores (local disk, S3) from its own settings. Heartbeats and
//! expiry are tuned so a lost executor is noticed in seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::error::BallistaError;
use ballista_core::extension::SessionConfigExt;
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::protobuf::scheduler_grpc_server::SchedulerGrpcServer;
use ballista_core::utils::{GrpcServerConfig, create_grpc_server};
use ballista_core::{ConfigProducer, RuntimeProducer};
use ballista_executor::ArrowFlightServerProvider;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_executor::flight_service::BallistaFlightService;
use ballista_executor::shutdown::Shutdown;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use datafusion::prelude::SessionConfig;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use insights_storage::StorageOptions;

use crate::EngineError;
use crate::memory_staging::{LogicalCodec, PhysicalCodec};
use crate::registry::{runtime, session_state};
use crate::tls::ClusterTls;

/// How often executors report (and the scheduler looks for silent ones).
const HEARTBEAT_SECONDS: u64 = 2;

/// Seconds without a heartbeat before an executor counts as lost: long
/// enough that a heavily loaded machine's late heartbeat does not cost a
/// working executor (Ballista's own default is 180 s).
pub const DEFAULT_EXECUTOR_TIMEOUT_SECONDS: u64 = 60;

/// Settings of `insights scheduler`.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    pub bind_host: String,
    pub port: u16,
    /// The host name executors and clients use to reach this scheduler.
    pub external_host: String,
    /// Seconds without a heartbeat before the scheduler gives up on an
    /// executor and reschedules its tasks.
    pub executor_timeout_seconds: u64,
    pub storage: StorageOptions,
    /// Mutual TLS on every connection; `None`: plain text.
    pub tls: Option<ClusterTls>,
}

/// Settings of `insights executor`.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub bind_host: String,
    /// The host name the scheduler and other executors use for this one.
    pub external_host: Option<String>,
    pub port: u16,
    pub grpc_port: u16,
    pub scheduler_host: String,
    pub scheduler_port: u16,
    pub concurrent_tasks: usize,
    /// Shuffle files; a fresh temporary directory when not set.
    pub work_dir: Option<String>,
    /// Bytes of memory for query execution before spilling to disk, shared
    /// out among the task slots; 0: unbounded; `None`: Ballista's default,
    /// most of the host's (or container's) memory.
    pub memory_limit: Option<u64>,
    pub storage: StorageOptions,
    /// Mutual TLS on every connection; `None`: plain text.
    pub tls: Option<ClusterTls>,
    /// How long to wait for an unreachable scheduler at start.
    pub connect_timeout: Duration,
}

fn ballista_error(e: impl std::fmt::Display) -> EngineError {
    EngineError::Cluster(e.to_string())
}

/// A scheduler listening on its port, not serving yet: binding first
/// gives the port the system chose for port 0, and a clear error when the
/// port is taken, before anything else starts.
pub struct BoundScheduler {
    listener: tokio::net::TcpListener,
    config: SchedulerConfig,
    tls: Option<ClusterTls>,
}

impl BoundScheduler {
    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.config.bind_port
    }

    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until the process is stopped.
    pub async fn serve(self) -> Result<(), EngineError> {
        let config = Arc::new(self.config);
        config.validate().map_err(ballista_error)?;
        let cluster = BallistaCluster::new_from_config(&config).await.map_err(ballista_error)?;
        let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config.clone())
            .await
            .map_err(ballista_error)?;
        let Some(tls) = self.tls else {
            return start_grpc_service_with_listener(self.listener, scheduler).await.map_err(ballista_error);
        };
        // Ballista's own server speaks plain text only; under TLS the
        // scheduler's gRPC service is served by tonic with the cluster's
        // certificates (its REST API and Flight proxy are left out).
        let service = SchedulerGrpcServer::new(scheduler)
            .max_decoding_message_size(config.grpc_server_max_decoding_message_size as usize)
            .max_encoding_message_size(config.grpc_server_max_encoding_message_size as usize);
        tonic::transport::Server::builder()
            .tls_config(tls.server_config())
            .map_err(ballista_error)?
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(self.listener))
            .await
            .map_err(ballista_error)
    }
}

/// Binds a scheduler's port (0: any free one).
pub async fn bind_scheduler(options: SchedulerOptions) -> Result<BoundScheduler, EngineError> {
    let address = format!("{}:{}", options.bind_host, options.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| ballista_error(format!("cannot listen on {address}: {e}")))?;
    let port = listener.local_addr().map_err(ballista_error)?.port();
    let storage = options.storage.clone();
    let mut config = SchedulerConfig {
        bind_host: options.bind_host.clone(),
        bind_port: port,
        external_host: options.external_host.clone(),
        executor_timeout_seconds: options.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: HEARTBEAT_SECONDS,
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        ..SchedulerConfig::default()
    }
    .with_override_config_producer(Arc::new(SessionConfig::new_with_ballista))
    .with_override_session_builder(Arc::new(move |config: SessionConfig| session_state(config, &storage, None)));
    if let Some(tls) = &options.tls {
        // Executors poll for tasks instead: with push scheduling the
        // scheduler calls each executor's gRPC service, which Ballista
        // serves in plain text only.
        config.scheduling_policy = TaskSchedulingPolicy::PullStaged;
        config.override_create_grpc_client_endpoint = Some(tls.endpoint_override());
    }
    Ok(BoundScheduler { listener, config, tls: options.tls })
}

/// Every function a query may name. Ballista's default executor registry
/// leaves out DataFusion's nested (array) functions, so a stage that uses
/// `array_sort` or `array_slice` could not be decoded by the executor; and
/// the engine's own functions (the lifetime-value models) are added here.
fn function_registry() -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    let scalar = datafusion::functions_nested::all_default_nested_functions()
        .into_iter()
        .chain(crate::functions::scalar_functions());
    for function in scalar {
        registry.scalar_functions.insert(function.name().to_string(), function);
    }
    for function in crate::functions::aggregate_functions() {
        registry.aggregate_functions.insert(function.name().to_string(), function);
    }
    registry
}

/// Runs an executor until the process is stopped: waits for its scheduler
/// first (up to `connect_timeout`), then registers.
pub async fn serve_executor(options: ExecutorOptions) -> Result<(), EngineError> {
    let scheduler = format!("{}:{}", options.scheduler_host, options.scheduler_port);
    crate::connect::wait_for_scheduler(&scheduler, options.tls.as_ref(), options.connect_timeout).await?;
    let storage = options.storage.clone();
    let runtime_producer: RuntimeProducer = Arc::new(move |_config: &SessionConfig| runtime(&storage));
    let tls_override = options.tls.as_ref().map(ClusterTls::endpoint_override);
    let session_override = tls_override.clone();
    // Shuffle fetches from other executors go through the session's settings.
    let config_producer: ConfigProducer = Arc::new(move || match &session_override {
        Some(endpoint) => SessionConfig::new_with_ballista()
            .with_ballista_use_tls(true)
            .with_ballista_override_create_grpc_client_endpoint(endpoint.clone()),
        None => SessionConfig::new_with_ballista(),
    });
    let mut config = ExecutorProcessConfig {
        bind_host: options.bind_host,
        external_host: options.external_host,
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        vcores: options.concurrent_tasks.max(1),
        work_dir: options.work_dir,
        executor_heartbeat_interval_seconds: HEARTBEAT_SECONDS,
        memory_pool_size: options.memory_limit,
        override_function_registry: Some(Arc::new(function_registry())),
        override_runtime_producer: Some(runtime_producer),
        override_config_producer: Some(config_producer),
        override_logical_codec: Some(Arc::new(LogicalCodec::default())),
        override_physical_codec: Some(Arc::new(PhysicalCodec::default())),
        task_scheduling_policy: match options.tls {
            Some(_) => TaskSchedulingPolicy::PullStaged,
            None => TaskSchedulingPolicy::PushStaged,
        },
        override_create_grpc_client_endpoint: tls_override,
        ..ExecutorProcessConfig::default()
    };
    if let Some(tls) = options.tls {
        let sizes = (config.grpc_max_decoding_message_size as usize, config.grpc_max_encoding_message_size as usize);
        config.override_arrow_flight_service = Some(tls_flight_server(tls, sizes));
    }
    start_executor_process(Arc::new(config)).await.map_err(ballista_error)
}

/// The executor's Arrow Flight service (shuffle data for other executors,
/// results for clients) with the cluster's certificates.
fn tls_flight_server(tls: ClusterTls, (max_decoding, max_encoding): (usize, usize)) -> Arc<ArrowFlightServerProvider> {
    Arc::new(move |work_dir: String, address: SocketAddr, mut shutdown: Shutdown, grpc: GrpcServerConfig| {
        let tls = tls.clone();
        tokio::spawn(async move {
            let flight = FlightServiceServer::new(BallistaFlightService::new(work_dir))
                .max_decoding_message_size(max_decoding)
                .max_encoding_message_size(max_encoding);
            create_grpc_server(&grpc)
                .tls_config(tls.server_config())
                .map_err(BallistaError::TonicError)?
                .add_service(flight)
                .serve_with_shutdown(address, shutdown.recv())
                .await
                .map_err(BallistaError::TonicError)
        })
    })
}
