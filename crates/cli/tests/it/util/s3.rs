//! A real S3 server for tests: SeaweedFS (`weed mini`) on loopback, on free
//! ports, with its own data directory; stopped when dropped, also when the
//! test fails.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use insights_local_cluster::ports::free_port_with_twin;

pub const ACCESS_KEY: &str = "insights-test-key";
pub const SECRET_KEY: &str = "insights-test-secret-0123456789";

/// Why a started server did not become ready.
struct NotReady {
    what: String,
    /// The process ended (rather than hanging): worth another try.
    exited: bool,
    log: String,
}

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

impl S3Server {
    /// Starts the server with `buckets` created; waits until S3 answers.
    /// A server that exits while starting (a port taken meanwhile) is
    /// started again on other ports.
    pub async fn start(buckets: &[&str]) -> Self {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut server = Self::spawn(buckets);
            match server.wait_ready(buckets[0]).await {
                Ok(()) => return server,
                Err(reason) if attempts < 3 && reason.exited => {
                    eprintln!("S3 server exited while starting, trying other ports:\n{}", reason.log)
                }
                Err(reason) => panic!("S3 server did not start: {}\n{}", reason.what, reason.log),
            }
        }
    }

    fn spawn(buckets: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = || free_port_with_twin(10_000);
        let (s3, master, volume, filer, admin, webdav, metrics, iceberg, lance) =
            (port(), port(), port(), port(), port(), port(), port(), port(), port());
        // weed keeps volume files in a directory beside `-dir`, so `-dir` is
        // a subdirectory: everything stays in the one removed with the server.
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let data = data.display().to_string();
        let log = std::fs::File::create(dir.path().join("weed.log")).unwrap();
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
            // Its sockets go to TMPDIR.
            .env("TMPDIR", dir.path())
            .current_dir(dir.path())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("weed starts");
        Self { child, endpoint: format!("http://127.0.0.1:{s3}"), _dir: dir }
    }

    /// Waits until a write to `bucket` succeeds, the server exits, or 90 s
    /// pass.
    async fn wait_ready(&mut self, bucket: &str) -> Result<(), NotReady> {
        let deadline = Instant::now() + Duration::from_secs(90);
        let location = self.location(&format!("s3://{bucket}/.ready"));
        let address = self.endpoint.trim_start_matches("http://").to_string();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.not_ready(&format!("weed exited ({status})"), true));
            }
            // Only a listening server gets a write: the client retries
            // refused connections for minutes.
            if TcpStream::connect(&address).is_ok() && location.write("probe", b"ok".to_vec()).await.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.not_ready("no write accepted within 90 s", false));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// Why the server is not ready, with the end of its log.
    fn not_ready(&self, what: &str, exited: bool) -> NotReady {
        let log = std::fs::read_to_string(self._dir.path().join("weed.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let log = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
        NotReady { what: what.to_string(), exited, log }
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
