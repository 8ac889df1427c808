//! The in-process cluster: Ballista's standalone scheduler plus one executor
//! in this process, like `SessionContext::standalone_with_state`, except
//! that the executor's shuffle files go to a work directory we choose and
//! remove (Ballista's own standalone executor leaves them in `$TMPDIR`).

use std::path::Path;
use std::sync::Arc;

use arrow_flight::flight_service_server::FlightServiceServer;
use ballista_core::extension::SessionConfigExt;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::ExecutorRegistration;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::scheduler::{ExecutorOperatingSystemSpecification, ExecutorSpecification};
use ballista_core::utils::{GrpcServerConfig, create_grpc_server};
use ballista_core::{BALLISTA_PROTOCOL_VERSION, ConfigProducer, RuntimeProducer};
use ballista_executor::execution_loop;
use ballista_executor::executor::Executor;
use ballista_executor::flight_service::BallistaFlightService;
use ballista_executor::health::ExecutorHealth;
use ballista_executor::metrics::LoggingMetricsCollector;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use tokio::net::TcpListener;

fn config_error(e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Configuration(e.to_string())
}

/// Starts the scheduler and one executor with `vcores` task slots on
/// loopback; returns the scheduler URL.
pub(crate) async fn start(state: &SessionState, work_dir: &Path, vcores: usize) -> Result<String> {
    let address =
        ballista_scheduler::standalone::new_standalone_scheduler_from_state(state).await.map_err(config_error)?;
    let scheduler_url = format!("http://localhost:{}", address.port());
    let scheduler = loop {
        match SchedulerGrpcClient::connect(scheduler_url.clone()).await {
            Ok(client) => break client,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };

    let config = state.config().clone().upgrade_for_ballista();
    let codec: BallistaCodec =
        BallistaCodec::new(config.ballista_logical_extension_codec(), config.ballista_physical_extension_codec());
    let max_message_size = config.ballista_grpc_client_max_message_size();
    let config_producer: ConfigProducer = Arc::new(move || config.clone());
    let runtime = state.runtime_env().clone();
    let runtime_producer: RuntimeProducer = Arc::new(move |_| Ok(runtime.clone()));

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let registration = ExecutorRegistration {
        id: ballista_core::ids::new_instance_id(),
        host: Some("localhost".to_string()),
        port: u32::from(port),
        grpc_port: 0,
        specification: Some(ExecutorSpecification::default().with_vcores(vcores as u32).into()),
        os_info: Some(ExecutorOperatingSystemSpecification::default().into()),
        ballista_protocol_version: BALLISTA_PROTOCOL_VERSION,
    };
    let work_dir = work_dir.to_str().ok_or_else(|| config_error("work dir is not UTF-8"))?.to_string();
    std::fs::create_dir_all(&work_dir)?;
    let executor = Arc::new(Executor::with_default_execution_engine(
        registration,
        &work_dir,
        runtime_producer,
        config_producer,
        Arc::new(state.into()),
        Arc::new(LoggingMetricsCollector::default()),
        vcores,
    ));
    let flight = FlightServiceServer::new(BallistaFlightService::new(work_dir))
        .max_decoding_message_size(max_message_size)
        .max_encoding_message_size(max_message_size);
    tokio::spawn(
        create_grpc_server(&GrpcServerConfig::default())
            .add_service(flight)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    tokio::spawn(execution_loop::poll_loop(scheduler, executor, codec, None, None, ExecutorHealth::new()));
    Ok(scheduler_url)
}
