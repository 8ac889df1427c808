//! A real S3 server for tests: SeaweedFS (`weed mini`) on loopback, on free
//! ports, with its own data directory; stopped when dropped, also when the
//! test fails.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "insights-test-key";
pub const SECRET_KEY: &str = "insights-test-secret-0123456789";

pub struct S3Server {
    child: Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

/// `weed` from `INSIGHTS_WEED` or the PATH; scripts/test installs it.
fn weed() -> PathBuf {
    if let Some(path) = std::env::var_os("INSIGHTS_WEED") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join("weed")).find(|p| p.is_file()))
        .expect(
            "the S3 tests need SeaweedFS's `weed`: run them with scripts/test, which installs it, or set INSIGHTS_WEED",
        )
}

/// A port p such that p and p + 10000 (SeaweedFS's gRPC twin) are free.
fn free_port_pair(taken: &mut Vec<u16>) -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        if port > 55_000 || taken.contains(&port) || taken.contains(&(port + 10_000)) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            taken.extend([port, port + 10_000]);
            return port;
        }
    }
}

impl S3Server {
    /// Starts the server with `buckets` created; waits until S3 answers.
    pub async fn start(buckets: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut taken = Vec::new();
        let mut port = || free_port_pair(&mut taken);
        let (s3, master, volume, filer, admin, webdav, metrics, iceberg, lance) =
            (port(), port(), port(), port(), port(), port(), port(), port(), port());
        let data = dir.path().display().to_string();
        let child = Command::new(weed())
            .args([
                "mini".to_string(),
                format!("-dir={data}"),
                "-ip=127.0.0.1".into(),
                "-ip.bind=127.0.0.1".into(),
                format!("-s3.port={s3}"),
                format!("-master.port={master}"),
                format!("-volume.port={volume}"),
                format!("-filer.port={filer}"),
                format!("-admin.port={admin}"),
                format!("-webdav.port={webdav}"),
                format!("-metricsPort={metrics}"),
                format!("-s3.port.iceberg={iceberg}"),
                format!("-s3.port.lance={lance}"),
                format!("-bucket={}", buckets.join(",")),
            ])
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .current_dir(dir.path())
            .stdout(Stdio::from(std::fs::File::create(dir.path().join("weed.log")).unwrap()))
            .stderr(Stdio::null())
            .spawn()
            .expect("weed starts");
        let server = Self { child, endpoint: format!("http://127.0.0.1:{s3}"), _dir: dir };
        server.wait_ready(buckets[0]).await;
        server
    }

    async fn wait_ready(&self, bucket: &str) {
        let deadline = Instant::now() + Duration::from_secs(90);
        let address = self.endpoint.trim_start_matches("http://").to_string();
        while TcpStream::connect(&address).is_err() {
            assert!(Instant::now() < deadline, "S3 server did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let location = self.location(&format!("s3://{bucket}/.ready"));
        loop {
            if location.write("probe", b"ok".to_vec()).await.is_ok() {
                return;
            }
            assert!(Instant::now() < deadline, "S3 server does not accept writes");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    pub fn storage(&self) -> insights_storage::StorageOptions {
        insights_storage::StorageOptions {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            allow_http: true,
            virtual_hosted_style: false,
            credentials: Some(insights_storage::Credentials {
                access_key_id: ACCESS_KEY.into(),
                secret_access_key: SECRET_KEY.into(),
            }),
        }
    }

    /// A location on this server, with the test credentials.
    pub fn location(&self, url: &str) -> insights_storage::Location {
        insights_storage::Location::parse(url, &self.storage()).unwrap()
    }

    /// The config file a user would write for this server.
    pub fn config_yaml(&self) -> String {
        format!("storage:\n  endpoint: {}\n  region: us-east-1\n  allow_http: true\n", self.endpoint)
    }

    /// `insights ARGS` in `dir` with the credentials in the environment,
    /// as a user would run it.
    pub fn insights(&self, dir: &std::path::Path, args: &[&str]) -> super::Run {
        let output = Command::new(env!("CARGO_BIN_EXE_insights"))
            .args(args)
            .current_dir(dir)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT")
            .output()
            .expect("the binary runs");
        super::Run { output }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
