//! Reaching a scheduler: executors and clients started before their
//! scheduler (`docker compose up`, processes started with `&`) wait for it,
//! saying so, instead of failing at once. A scheduler that answers but
//! refuses the connection (TLS on one side only, a certificate another CA
//! signed) is an error at once: waiting would not change it.

use std::time::{Duration, Instant};

use ballista_core::serde::protobuf::GetJobStatusParams;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use tonic::transport::Endpoint;

use crate::EngineError;
use crate::tls::ClusterTls;

/// How long to wait for a scheduler that is not there yet, by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the wait is reported.
const SAY_EVERY: Duration = Duration::from_secs(5);
/// The longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// Waits until the scheduler at `address` (`HOST:PORT`) answers a request,
/// up to `timeout`.
pub async fn wait_for_scheduler(address: &str, tls: Option<&ClusterTls>, timeout: Duration) -> Result<(), EngineError> {
    let started = Instant::now();
    let mut said = started;
    let mut pause = Duration::from_millis(100);
    loop {
        match ask(address, tls).await {
            Ok(()) => return Ok(()),
            Err(Failure::Refused(cause)) => {
                return Err(EngineError::Cluster(format!(
                    "the scheduler at {address} refused the connection: {cause}"
                )));
            }
            Err(Failure::NotThere(cause)) if started.elapsed() >= timeout => {
                return Err(EngineError::Cluster(format!(
                    "cannot reach the scheduler at {address} within {} s: {cause}",
                    timeout.as_secs()
                )));
            }
            Err(Failure::NotThere(_)) => {
                if said.elapsed() >= SAY_EVERY {
                    log::warn!("waiting for the scheduler at {address} …");
                    said = Instant::now();
                }
                tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
        }
    }
}

enum Failure {
    /// Nothing listens (yet), or no answer: worth waiting for.
    NotThere(String),
    /// Something answered and would not talk to us.
    Refused(String),
}

/// One request the scheduler answers whatever its state: the status of a
/// job that does not exist.
async fn ask(address: &str, tls: Option<&ClusterTls>) -> Result<(), Failure> {
    let mut endpoint = Endpoint::from_shared(format!("http://{address}"))
        .map_err(|e| Failure::Refused(format!("expected HOST:PORT ({e})")))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10));
    if let Some(tls) = tls {
        endpoint = (tls.endpoint_override())(endpoint).map_err(|e| Failure::Refused(innermost(e.as_ref())))?;
    }
    let channel = endpoint.connect().await.map_err(|e| classify(&e))?;
    let request = GetJobStatusParams { job_id: "insights-connection-check".into() };
    match SchedulerGrpcClient::new(channel).get_job_status(request).await {
        Ok(_) => Ok(()),
        // A transport failure comes back as a status with its cause attached.
        Err(status) => match std::error::Error::source(&status) {
            Some(cause) => Err(classify(cause)),
            // An answer from the scheduler itself: it is there.
            None => Ok(()),
        },
    }
}

/// Connection refused, a name not resolving yet, a timeout: not there.
/// Anything else (a TLS alert, a protocol error) is a refusal.
fn classify(error: &(dyn std::error::Error + 'static)) -> Failure {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(io.kind(), ConnectionRefused | TimedOut | NotFound | AddrNotAvailable | HostUnreachable) {
                return Failure::NotThere(io.to_string());
            }
        }
        cause = e.source();
    }
    let text = innermost(error);
    let lower = text.to_lowercase();
    if lower.contains("timed out") || lower.contains("dns error") || lower.contains("failed to lookup") {
        return Failure::NotThere(text);
    }
    Failure::Refused(text)
}

/// The innermost cause says it best ("Connection refused", a TLS alert).
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
