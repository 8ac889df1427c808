//! `insights certs`: a cluster CA and a certificate per host, enough for
//! mutual TLS between every process of a cluster without other tools.

use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

use crate::EngineError;
use crate::tls::CLUSTER_NAME;

/// Names every host certificate also carries: the cluster's name, which
/// the processes check (see `tls::CLUSTER_NAME`), and loopback, for other
/// TLS clients on the same machine.
const SHARED_NAMES: [&str; 3] = [CLUSTER_NAME, "localhost", "127.0.0.1"];
/// The certificate of `insights run --scheduler` / `submit`.
pub const CLIENT_NAME: &str = "client";
/// Validity of every certificate.
const VALID_DAYS: i64 = 825;

/// Writes into `dir`: `ca.crt` and `ca.key`; for each host `HOST.crt` and
/// `HOST.key` (names: the host, the cluster's name, `localhost`,
/// `127.0.0.1`); `client.crt`
/// and `client.key`. Keys are written readable by their owner only. A
/// `dir` that holds files already is refused unless `force`. Returns the
/// files written.
pub fn write_cluster_certs(dir: &Path, hosts: &[String], force: bool) -> Result<Vec<PathBuf>, EngineError> {
    let invalid = |message: String| EngineError::Invalid { path: dir.to_path_buf(), message };
    if hosts.is_empty() {
        return Err(invalid("name at least one host (--hosts scheduler,executor-1,…)".into()));
    }
    if let Some(bad) = hosts.iter().find(|h| h.is_empty() || h.as_str() == CLIENT_NAME || h.starts_with("ca")) {
        return Err(invalid(format!("`{bad}` cannot be a host name here (it would clash with a file name)")));
    }
    let occupied = std::fs::read_dir(dir).map(|mut entries| entries.next().is_some()).unwrap_or(false);
    if occupied && !force {
        return Err(invalid("the directory is not empty; pass --force to overwrite its certificates".into()));
    }
    std::fs::create_dir_all(dir).map_err(|source| EngineError::Write { path: dir.to_path_buf(), source })?;
    let certificate_error = |e: rcgen::Error| invalid(format!("cannot make a certificate: {e}"));

    let ca_key = KeyPair::generate().map_err(certificate_error)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name.push(DnType::CommonName, "insights cluster CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut ca_params);
    let ca_cert = ca_params.self_signed(&ca_key).map_err(certificate_error)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let mut written = Vec::new();
    write_file(dir, "ca.crt", &ca_cert.pem(), false, &mut written)?;
    write_file(dir, "ca.key", &ca_key.serialize_pem(), true, &mut written)?;
    let leaves = hosts.iter().map(|h| (h.as_str(), true)).chain([(CLIENT_NAME, false)]);
    for (name, serves) in leaves {
        let names: Vec<String> =
            if serves { std::iter::once(name).chain(SHARED_NAMES).map(str::to_string).collect() } else { Vec::new() };
        let mut params = CertificateParams::new(names).map_err(certificate_error)?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        // Hosts both serve (scheduler, executor Flight) and connect (an
        // executor to the scheduler and its peers); the client only connects.
        params.extended_key_usages = if serves {
            vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth]
        } else {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        };
        set_validity(&mut params);
        let key = KeyPair::generate().map_err(certificate_error)?;
        let cert = params.signed_by(&key, &issuer).map_err(certificate_error)?;
        write_file(dir, &format!("{name}.crt"), &cert.pem(), false, &mut written)?;
        write_file(dir, &format!("{name}.key"), &key.serialize_pem(), true, &mut written)?;
    }
    Ok(written)
}

fn set_validity(params: &mut CertificateParams) {
    let now = rcgen::date_time_ymd(1970, 1, 1) + std::time::Duration::from_secs(unix_seconds());
    params.not_before = now - std::time::Duration::from_secs(3600);
    params.not_after = now + std::time::Duration::from_secs(VALID_DAYS as u64 * 86_400);
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Writes `text` to `dir/name`; a key is created readable by its owner
/// only (never world-readable, not even for a moment).
fn write_file(dir: &Path, name: &str, text: &str, secret: bool, written: &mut Vec<PathBuf>) -> Result<(), EngineError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let error = |source| EngineError::Write { path: path.clone(), source };
    let _ = std::fs::remove_file(&path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if secret { 0o600 } else { 0o644 })
        .open(&path)
        .map_err(error)?;
    file.write_all(text.as_bytes()).map_err(error)?;
    written.push(path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn keys_are_private_and_a_full_directory_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = vec!["scheduler".to_string(), "executor-1".to_string()];
        let written = write_cluster_certs(dir.path(), &hosts, false).unwrap();
        let names: Vec<String> =
            written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            [
                "ca.crt",
                "ca.key",
                "scheduler.crt",
                "scheduler.key",
                "executor-1.crt",
                "executor-1.key",
                "client.crt",
                "client.key"
            ]
        );
        for path in &written {
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            let expected = if path.extension().unwrap() == "key" { 0o600 } else { 0o644 };
            assert_eq!(mode, expected, "{}", path.display());
        }
        let before = std::fs::read_to_string(dir.path().join("ca.key")).unwrap();
        let refused = write_cluster_certs(dir.path(), &hosts, false).unwrap_err().to_string();
        assert!(refused.contains("--force"), "{refused}");
        assert_eq!(std::fs::read_to_string(dir.path().join("ca.key")).unwrap(), before, "nothing was overwritten");
        write_cluster_certs(dir.path(), &hosts, true).unwrap();
        assert_ne!(std::fs::read_to_string(dir.path().join("ca.key")).unwrap(), before);
    }
}
