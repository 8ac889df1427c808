//! A real cluster for tests: `insights scheduler` and executors as separate
//! processes on free loopback ports; all stopped when dropped.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::ports::free_port;
use super::s3::{ACCESS_KEY, SECRET_KEY};

pub struct Cluster {
    scheduler: Child,
    pub executors: Vec<Child>,
    pub url: String,
}

/// `insights ARGS` as a long-running process in `dir`, with S3 credentials.
pub fn spawn(dir: &Path, args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(args)
        .current_dir(dir)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts")
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "port {port} did not open");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Cluster {
    /// A scheduler and `executors` executors, each with its own work dir
    /// under `dir` (which holds the insights.yaml they all read): they fetch
    /// each other's shuffle files over Arrow Flight, as on separate machines.
    pub fn start(dir: &Path, executors: usize) -> Self {
        Self::start_with(dir, executors, false)
    }

    /// As [`Cluster::start`]; with `share_work_dir`, one work dir for all
    /// executors, as on one machine: each reads the others' shuffle files
    /// from disk.
    pub fn start_with(dir: &Path, executors: usize, share_work_dir: bool) -> Self {
        let port = free_port();
        // A lost executor is noticed within seconds, so executor-loss tests stay short.
        let scheduler = spawn(
            dir,
            &["scheduler".into(), "--port".into(), port.to_string(), "--executor-timeout".into(), "8".into()],
        );
        wait_for_port(port);
        let mut cluster = Self { scheduler, executors: Vec::new(), url: format!("df://127.0.0.1:{port}") };
        for index in 0..executors {
            let (flight, grpc) = (free_port(), free_port());
            let work_dir = dir.join(if share_work_dir { "executors".into() } else { format!("executor-{index}") });
            cluster.executors.push(spawn(
                dir,
                &[
                    "executor".into(),
                    "--scheduler".into(),
                    format!("127.0.0.1:{port}"),
                    "--port".into(),
                    flight.to_string(),
                    "--grpc-port".into(),
                    grpc.to_string(),
                    "--concurrent-tasks".into(),
                    "2".into(),
                    "--work-dir".into(),
                    work_dir.display().to_string(),
                ],
            ));
            wait_for_port(flight);
        }
        cluster
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().chain(std::iter::once(&mut self.scheduler)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
