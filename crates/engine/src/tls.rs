//! Mutual TLS for every channel of a cluster: client → scheduler, executor
//! → scheduler, executor ↔ executor shuffle fetches and client → executor
//! result fetches. Every process holds the cluster CA, its own certificate
//! and key; a peer whose certificate that CA did not sign is refused.
//!
//! Key files are read here and nowhere else; errors name the file, never
//! what is in it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ballista_core::extension::EndpointOverrideFn;
use serde::Deserialize;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

use crate::EngineError;

/// The name every host certificate of a cluster carries and every client
/// checks, whatever address it connects to: executors are reached at
/// addresses nobody knows in advance (a Kubernetes pod's IP), and the CA,
/// not the name, is what admits a peer.
pub const CLUSTER_NAME: &str = "insights-cluster";

/// The three PEM files of a process (`cluster.tls` in insights.yaml,
/// `--tls-ca / --tls-cert / --tls-key`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The cluster CA's certificate: peers must present a certificate it
    /// signed.
    pub ca: PathBuf,
    /// This process's certificate.
    pub cert: PathBuf,
    /// This process's private key.
    pub key: PathBuf,
}

/// The loaded certificates of one process.
#[derive(Clone)]
pub struct ClusterTls {
    ca: Certificate,
    identity: Identity,
}

impl std::fmt::Debug for ClusterTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClusterTls { .. }")
    }
}

impl ClusterTls {
    pub fn load(files: &TlsFiles) -> Result<Self, EngineError> {
        let ca = read_pem(&files.ca, "CERTIFICATE", "the cluster CA's certificate")?;
        let cert = read_pem(&files.cert, "CERTIFICATE", "a certificate")?;
        let key = read_pem(&files.key, "PRIVATE KEY", "a private key")?;
        Ok(Self { ca: Certificate::from_pem(ca), identity: Identity::from_pem(cert, key) })
    }

    /// For a server: present this process's certificate and require one
    /// the cluster CA signed from every client.
    pub fn server_config(&self) -> ServerTlsConfig {
        ServerTlsConfig::new().identity(self.identity.clone()).client_ca_root(self.ca.clone())
    }

    /// For a client: trust only the cluster CA, expect the cluster's name
    /// and present this process's certificate.
    fn client_config(&self) -> ClientTlsConfig {
        ClientTlsConfig::new().ca_certificate(self.ca.clone()).identity(self.identity.clone()).domain_name(CLUSTER_NAME)
    }

    /// How Ballista's gRPC clients connect under TLS. Ballista builds some
    /// endpoints as `http://` whatever its TLS setting (an executor's to the
    /// scheduler, a client's to the scheduler), and tonic speaks TLS only to
    /// `https://` ones, so those are built again as `https://` with the
    /// same connection settings.
    pub fn endpoint_override(&self) -> EndpointOverrideFn {
        let client = self.client_config();
        Arc::new(move |endpoint: Endpoint| {
            let uri = endpoint.uri().to_string();
            let endpoint = match uri.strip_prefix("http://") {
                Some(rest) => connection_settings(Endpoint::from_shared(format!("https://{rest}"))?),
                None => endpoint,
            };
            Ok(endpoint.tls_config(client.clone())?)
        })
    }
}

/// What Ballista's `create_grpc_client_endpoint` sets, for an endpoint built
/// again.
fn connection_settings(endpoint: Endpoint) -> Endpoint {
    endpoint
        .connect_timeout(Duration::from_secs(20))
        .tcp_nodelay(true)
        .tcp_keepalive(Some(Duration::from_secs(3600)))
        .http2_keep_alive_interval(Duration::from_secs(300))
        .keep_alive_timeout(Duration::from_secs(20))
        .keep_alive_while_idle(true)
}

/// The file's text, when it holds a PEM block of `label` (`CERTIFICATE`,
/// or any `… PRIVATE KEY`).
fn read_pem(path: &Path, label: &str, what: &str) -> Result<String, EngineError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| EngineError::Read { path: path.to_path_buf(), source })?;
    let has_block =
        text.lines().any(|line| line.starts_with("-----BEGIN ") && line.ends_with(&format!("{label}-----")));
    if !has_block {
        return Err(EngineError::Invalid { path: path.to_path_buf(), message: format!("expected {what} in PEM form") });
    }
    Ok(text)
}
