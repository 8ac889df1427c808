//! A real cluster on one machine: `insights scheduler` and `insights
//! executor` as separate processes on loopback, for the tests and the
//! benchmark. Everything it started stops when it is dropped.
//!
//! The scheduler listens on a port the system chooses (`--port 0`) and
//! prints it; executors register their ports before they bind them, so
//! theirs are chosen free first, and an executor that lost its port to
//! another process meanwhile starts again on others.

pub mod ports;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a service may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Starts of one executor before giving up (a port taken meanwhile).
const EXECUTOR_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("the {service} exited ({status}) before it listened; see {}", log.display())]
    Exited { service: String, status: ExitStatus, log: PathBuf },
    #[error("the {service} did not listen within {} s; see {}", START_TIMEOUT.as_secs(), log.display())]
    Timeout { service: String, log: PathBuf },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LaunchError {
    let what = what.into();
    move |source| LaunchError::Io { what, source }
}

/// What to start.
#[derive(Debug, Clone)]
pub struct ClusterSpec {
    /// The `insights` binary.
    pub binary: PathBuf,
    /// Working directory of every process (where an `insights.yaml` is
    /// read from); logs go to `DIR/cluster-logs/`.
    pub dir: PathBuf,
    pub executors: usize,
    pub concurrent_tasks: usize,
    /// One work dir for all executors, as on one machine (each reads the
    /// others' shuffle files from disk); else one each under `dir`, as on
    /// separate machines (they fetch shuffle files over Arrow Flight).
    pub shared_work_dir: Option<PathBuf>,
    /// `--executor-timeout` of the scheduler, in seconds.
    pub executor_timeout: Option<u64>,
    /// `--memory-limit` of each executor.
    pub memory_limit: Option<String>,
    /// Environment variables of every process (S3 credentials).
    pub env: Vec<(String, String)>,
    /// A directory of `insights certs --hosts scheduler,executor-1,…`:
    /// every process then runs with mutual TLS.
    pub tls_dir: Option<PathBuf>,
    /// Arguments before the subcommand of every process (`-vv`).
    pub global_args: Vec<String>,
}

impl ClusterSpec {
    pub fn new(binary: impl Into<PathBuf>, dir: impl Into<PathBuf>, executors: usize) -> Self {
        Self {
            binary: binary.into(),
            dir: dir.into(),
            executors,
            concurrent_tasks: 2,
            shared_work_dir: None,
            executor_timeout: None,
            memory_limit: None,
            env: Vec::new(),
            tls_dir: None,
            global_args: Vec::new(),
        }
    }
}

/// The running processes.
pub struct LocalCluster {
    /// `df://127.0.0.1:PORT` of the scheduler.
    pub url: String,
    scheduler: Child,
    pub executors: Vec<Child>,
    /// The Arrow Flight port of each executor.
    pub flight_ports: Vec<u16>,
    shared_work_dir: Option<PathBuf>,
}

impl LocalCluster {
    pub fn start(spec: &ClusterSpec) -> Result<Self, LaunchError> {
        let logs = spec.dir.join("cluster-logs");
        std::fs::create_dir_all(&logs).map_err(io(format!("cannot create {}", logs.display())))?;
        let log = logs.join("scheduler.log");
        let mut command = spec.command(&log)?;
        command.args(["scheduler", "--bind", "127.0.0.1", "--port", "0"]).args(spec.tls_args("scheduler"));
        if let Some(seconds) = spec.executor_timeout {
            command.args(["--executor-timeout", &seconds.to_string()]);
        }
        let scheduler = command.spawn().map_err(io(format!("cannot start {}", spec.binary.display())))?;
        // Dropped on any error below, which stops what has started.
        let mut cluster = Self {
            url: String::new(),
            scheduler,
            executors: Vec::new(),
            flight_ports: Vec::new(),
            shared_work_dir: spec.shared_work_dir.clone(),
        };
        let port = scheduler_port(&mut cluster.scheduler, &log)?;
        cluster.url = format!("df://127.0.0.1:{port}");
        for index in 0..spec.executors {
            let (executor, flight_port) = spec.start_executor(index, port, &logs)?;
            cluster.executors.push(executor);
            cluster.flight_ports.push(flight_port);
        }
        Ok(cluster)
    }

    /// Process ids of the scheduler and the executors.
    pub fn pids(&self) -> Vec<u32> {
        std::iter::once(&self.scheduler).chain(&self.executors).map(Child::id).collect()
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().chain(std::iter::once(&mut self.scheduler)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.shared_work_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl ClusterSpec {
    /// `insights` in `dir` with the environment, its stderr to `log`.
    fn command(&self, log: &Path) -> Result<Command, LaunchError> {
        let stderr = std::fs::File::create(log).map_err(io(format!("cannot create {}", log.display())))?;
        let mut command = Command::new(&self.binary);
        command.current_dir(&self.dir).envs(self.env.iter().cloned()).stdout(Stdio::null()).stderr(stderr);
        command.args(&self.global_args);
        Ok(command)
    }

    /// The TLS flags of `host`, or none without a TLS directory.
    fn tls_args(&self, host: &str) -> Vec<String> {
        self.tls_dir.as_deref().map(|dir| tls_args(dir, host)).unwrap_or_default()
    }

    /// Executor `index` (its certificate: `executor-{index + 1}`), and its
    /// Flight port.
    fn start_executor(&self, index: usize, scheduler_port: u16, logs: &Path) -> Result<(Child, u16), LaunchError> {
        let service = format!("executor {index}");
        let log = logs.join(format!("executor-{index}.log"));
        let work_dir = self.shared_work_dir.clone().unwrap_or_else(|| self.dir.join(format!("executor-{index}")));
        let mut attempt = 1;
        loop {
            let (flight, grpc) = (ports::free_port(), ports::free_port());
            let mut command = self.command(&log)?;
            command.args(["executor", "--bind", "127.0.0.1", "--scheduler", &format!("127.0.0.1:{scheduler_port}")]);
            command.args(["--port", &flight.to_string(), "--grpc-port", &grpc.to_string()]);
            command.args(["--concurrent-tasks", &self.concurrent_tasks.to_string()]);
            command.arg("--work-dir").arg(&work_dir).args(self.tls_args(&format!("executor-{}", index + 1)));
            if let Some(limit) = &self.memory_limit {
                command.args(["--memory-limit", limit]);
            }
            let mut child = command.spawn().map_err(io(format!("cannot start {}", self.binary.display())))?;
            // An executor opens its data port once it has registered.
            match wait_for_port(flight, &mut child, &service, &log) {
                Ok(()) => return Ok((child, flight)),
                Err(LaunchError::Exited { .. }) if attempt < EXECUTOR_ATTEMPTS => attempt += 1,
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(e);
                }
            }
        }
    }
}

/// `--tls-ca DIR/ca.crt --tls-cert DIR/HOST.crt --tls-key DIR/HOST.key`:
/// the flags of `host` (`client` for `submit`) from a directory of
/// `insights certs`.
pub fn tls_args(dir: &Path, host: &str) -> Vec<String> {
    let file = |name: String| dir.join(name).display().to_string();
    vec![
        "--tls-ca".into(),
        file("ca.crt".into()),
        "--tls-cert".into(),
        file(format!("{host}.crt")),
        "--tls-key".into(),
        file(format!("{host}.key")),
    ]
}

/// The port the scheduler printed ("scheduler listening on HOST:PORT").
fn scheduler_port(scheduler: &mut Child, log: &Path) -> Result<u16, LaunchError> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let port = text
            .lines()
            .find_map(|line| line.strip_prefix("scheduler listening on "))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|address| address.rsplit_once(':'))
            .and_then(|(_, port)| port.parse().ok());
        if let Some(port) = port {
            return Ok(port);
        }
        check_running(scheduler, "scheduler", log, deadline)?;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `port` on loopback accepts connections; fails if `child`
/// exits first or the start timeout passes.
fn wait_for_port(port: u16, child: &mut Child, service: &str, log: &Path) -> Result<(), LaunchError> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        // First: a port answered by another process is not this service's.
        check_running(child, service, log, deadline)?;
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn check_running(child: &mut Child, service: &str, log: &Path, deadline: Instant) -> Result<(), LaunchError> {
    let exited = child.try_wait().map_err(io(format!("cannot watch the {service}")))?;
    if let Some(status) = exited {
        return Err(LaunchError::Exited { service: service.to_string(), status, log: log.to_path_buf() });
    }
    if Instant::now() > deadline {
        return Err(LaunchError::Timeout { service: service.to_string(), log: log.to_path_buf() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_that_exits_before_it_listens_is_named_with_its_log() {
        let mut child = Command::new("true").spawn().unwrap();
        child.wait().unwrap();
        let log = Path::new("/tmp/cluster-logs/executor-0.log");
        let err = wait_for_port(ports::free_port(), &mut child, "executor 0", log).unwrap_err().to_string();
        assert!(err.contains("executor 0 exited") && err.contains("executor-0.log"), "{err}");
    }

    #[test]
    fn the_scheduler_port_is_read_from_what_it_printed() {
        let dir = std::env::temp_dir().join(format!("insights-local-cluster-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("scheduler.log");
        let printed = "echo 'scheduler listening on 127.0.0.1:4321 (df://127.0.0.1:4321)' >&2; sleep 30";
        let stderr = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("sh").args(["-c", printed]).stderr(stderr).spawn().unwrap();
        let port = scheduler_port(&mut child, &log);
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(port.unwrap(), 4321);
    }
}
