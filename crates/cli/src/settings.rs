//! Every setting a command uses, resolved in one place and in one order: the
//! flag, else its `INSIGHTS_*` environment variable (clap reads both), else
//! `insights.yaml`, else the default. Commands ask this module and never
//! look at the config file themselves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use insights_catalog::{Catalog, ParamOverride, Params};
use insights_engine::{
    ClusterTls, EngineOptions, ExecutorOptions, RunOptions, SOURCE_TABLES, SchedulerOptions, TlsFiles,
};
use insights_ingest::IngestOptions;
use insights_storage::{Location, StorageOptions};

use crate::cli::{ConnectArgs, ExecutorArgs, GlobalArgs, InputArgs, OutputArgs, RunArgs, SchedulerArgs, TlsArgs};
use crate::config::Config;

/// The bundled sample the first run uses, relative to the repository.
const SAMPLE_INPUT: &str = "data/online_retail_sample.csv.gz";
/// Where this binary's sources (and their `sql/` and `data/`) were.
const BUILT_FROM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const DEFAULT_OUTPUT: &str = "output";
const DEFAULT_SCHEDULER_PORT: u16 = 50050;
const DEFAULT_EXECUTOR_FLIGHT_PORT: u16 = 50051;
const DEFAULT_EXECUTOR_GRPC_PORT: u16 = 50052;

pub struct Settings {
    config: Config,
    /// `--sql` / `INSIGHTS_SQL`, else config `catalog`.
    sql_dir: Option<PathBuf>,
}

impl Settings {
    pub fn load(global: &GlobalArgs) -> Result<Self> {
        let config = Config::load(global.config.as_deref())?;
        let sql_dir = global.sql.clone().or_else(|| config.catalog.clone());
        Ok(Self { config, sql_dir })
    }

    pub fn storage(&self) -> &StorageOptions {
        &self.config.storage
    }

    /// `--sql` or config `catalog`, else `./sql`, else the catalog of the
    /// checkout this binary was built from.
    pub fn catalog(&self) -> Result<Catalog> {
        let dir = self
            .sql_dir
            .clone()
            .or_else(|| Some(PathBuf::from("sql")).filter(|p| p.is_dir()))
            .unwrap_or_else(|| Path::new(BUILT_FROM).join("sql"));
        if !dir.is_dir() {
            bail!("SQL catalog directory {} not found (set --sql DIR)", dir.display());
        }
        Catalog::load(&dir, &SOURCE_TABLES).context("the SQL catalog is invalid")
    }

    /// Parameter values per insight of `catalog`: `--param`, else config
    /// `params`, else each parameter's default.
    pub fn params(&self, catalog: &Catalog, flags: &[String]) -> Result<BTreeMap<String, Params>> {
        let overrides = flags.iter().map(|p| ParamOverride::parse(p)).collect::<Result<Vec<_>, _>>()?;
        Ok(catalog.resolve_params(&self.config.params, &overrides)?)
    }

    /// The output location as the user wrote it.
    pub fn output(&self, args: &OutputArgs) -> String {
        args.output.clone().or_else(|| self.config.output.clone()).unwrap_or_else(|| DEFAULT_OUTPUT.to_string())
    }

    pub fn location(&self, text: &str) -> Result<Location> {
        Ok(Location::parse(text, &self.config.storage)?)
    }

    /// `--input`, else config `input`, else the bundled sample.
    fn input(&self, flag: Option<String>) -> String {
        match flag.or_else(|| self.config.input.clone()) {
            Some(input) => input,
            None if Path::new(SAMPLE_INPUT).exists() => SAMPLE_INPUT.to_string(),
            None => Path::new(BUILT_FROM).join(SAMPLE_INPUT).display().to_string(),
        }
    }

    pub fn ingest_options(&self, args: &InputArgs) -> Result<IngestOptions> {
        let file = &self.config.ingest;
        let delimiter = match &file.delimiter {
            Some(text) => Some(text.parse().map_err(|e: String| anyhow::anyhow!("config `ingest.delimiter`: {e}"))?),
            None => None,
        };
        Ok(IngestOptions {
            format: args.format.or(file.format),
            encoding: args.encoding.or(file.encoding).unwrap_or_default(),
            sheet: args.sheet.clone().or_else(|| file.sheet.clone()),
            delimiter,
            preset: args.preset.or(file.preset).unwrap_or_default(),
            columns: file.columns.clone(),
            fill_down: file.fill_down.clone(),
            cancelled: file.cancelled.clone(),
            day_first: args.day_first || file.day_first,
            timestamp_formats: file.timestamp_formats.clone(),
            progress: true,
            memory_limit: file
                .memory_limit
                .as_deref()
                .map(parse_memory_limit)
                .transpose()
                .context("config `ingest.memory_limit`")?,
        })
    }

    /// Everything `run` and `submit` need, for `catalog`.
    pub fn run_options(&self, args: &RunArgs, catalog: &Catalog) -> Result<RunOptions> {
        let cluster = &self.config.cluster;
        let memory_limit = args.memory_limit.as_ref().or(cluster.memory_limit.as_ref());
        let scheduler = args.scheduler.clone().or_else(|| cluster.scheduler.clone());
        let mut engine = EngineOptions {
            tls: match scheduler {
                Some(_) => self.tls(&args.tls)?,
                None => None,
            },
            scheduler,
            memory_limit: memory_limit.map(|m| parse_memory_limit(m)).transpose().context("memory limit")?,
            connect_timeout: self.connect_timeout(&args.connect),
            ..EngineOptions::default()
        };
        if let Some(n) = args.parallelism.or(cluster.parallelism) {
            engine.parallelism = n.max(1);
        }
        Ok(RunOptions {
            input: self.input(args.input.clone()),
            output: self.output(&args.output),
            only: args.only.clone(),
            params: self.params(catalog, &args.params)?,
            ingest: self.ingest_options(&args.input_args)?,
            engine,
            storage: self.config.storage.clone(),
            category_rules: self
                .config
                .category_rules
                .clone()
                .unwrap_or_else(|| catalog.dir.join("category_rules.yaml")),
            csv_copies: args.csv || self.config.csv.unwrap_or(false),
        })
    }

    /// Whether `run` ends with the report: not with `--no-report` or config
    /// `report: false`.
    pub fn writes_report(&self, args: &RunArgs) -> bool {
        !args.no_report && self.config.report.unwrap_or(true)
    }

    pub fn scheduler_options(&self, args: SchedulerArgs) -> Result<SchedulerOptions> {
        let tls = self.tls(&args.tls)?;
        refuse_exposure("the scheduler", &args.bind, tls.is_some(), args.insecure)?;
        Ok(SchedulerOptions {
            port: args.port.or(self.config.cluster.scheduler_port).unwrap_or(DEFAULT_SCHEDULER_PORT),
            external_host: args.external_host.unwrap_or_else(|| args.bind.clone()),
            bind_host: args.bind,
            executor_timeout_seconds: args.executor_timeout,
            storage: self.config.storage.clone(),
            tls,
        })
    }

    /// `--tls-ca / --tls-cert / --tls-key` (all three), else config
    /// `cluster.tls`, else none; loaded and checked.
    fn tls(&self, args: &TlsArgs) -> Result<Option<ClusterTls>> {
        let files = match (&args.tls_ca, &args.tls_cert, &args.tls_key) {
            (Some(ca), Some(cert), Some(key)) => {
                Some(TlsFiles { ca: ca.clone(), cert: cert.clone(), key: key.clone() })
            }
            (None, None, None) => self.config.cluster.tls.clone(),
            _ => bail!("TLS needs all three of --tls-ca, --tls-cert and --tls-key (or INSIGHTS_TLS_CA, _CERT, _KEY)"),
        };
        files.map(|files| ClusterTls::load(&files).context("cannot load the TLS certificates")).transpose()
    }

    fn connect_timeout(&self, args: &ConnectArgs) -> std::time::Duration {
        args.connect_timeout
            .or(self.config.cluster.connect_timeout)
            .map_or(insights_engine::DEFAULT_CONNECT_TIMEOUT, std::time::Duration::from_secs)
    }

    pub fn executor_options(&self, args: ExecutorArgs) -> Result<ExecutorOptions> {
        let file = &self.config.cluster.executor;
        let scheduler = args
            .scheduler
            .or_else(|| file.scheduler.clone())
            .unwrap_or_else(|| format!("127.0.0.1:{DEFAULT_SCHEDULER_PORT}"));
        let (host, port) = scheduler
            .trim_start_matches("df://")
            .rsplit_once(':')
            .with_context(|| format!("scheduler `{scheduler}`: expected HOST:PORT"))?;
        let scheduler_port = port.parse().with_context(|| format!("scheduler `{scheduler}`: bad port"))?;
        let memory_limit =
            args.memory_limit.or_else(|| file.memory_limit.clone()).as_deref().map(parse_memory_limit).transpose()?;
        let tls = self.tls(&args.tls)?;
        refuse_exposure("the executor", &args.bind, tls.is_some(), args.insecure)?;
        Ok(ExecutorOptions {
            connect_timeout: self.connect_timeout(&args.connect),
            tls,
            external_host: args.external_host.or(Some(args.bind.clone())),
            bind_host: args.bind,
            port: args.port.or(file.port).unwrap_or(DEFAULT_EXECUTOR_FLIGHT_PORT),
            grpc_port: args.grpc_port.or(file.grpc_port).unwrap_or(DEFAULT_EXECUTOR_GRPC_PORT),
            scheduler_host: host.to_string(),
            scheduler_port,
            concurrent_tasks: args
                .concurrent_tasks
                .or(file.concurrent_tasks)
                .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(2)),
            work_dir: args.work_dir.or_else(|| file.work_dir.clone()),
            memory_limit,
            storage: self.config.storage.clone(),
        })
    }

    /// Whether a scheduler is set for `submit`, by flag, environment or file.
    pub fn has_scheduler(&self, args: &RunArgs) -> bool {
        args.scheduler.is_some() || self.config.cluster.scheduler.is_some()
    }
}

/// A service that would listen beyond this machine without TLS starts
/// only when asked to with `--insecure`, and then says what that means.
fn refuse_exposure(service: &str, bind: &str, tls: bool, insecure: bool) -> Result<()> {
    let loopback = bind == "localhost" || bind.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback || tls {
        return Ok(());
    }
    if !insecure {
        bail!(
            "{service} would listen on {bind} without TLS, open to anyone who reaches the port: give it \
             --tls-ca/--tls-cert/--tls-key (`insights certs` makes them), bind 127.0.0.1, or pass --insecure"
        );
    }
    eprintln!("warning: {service} listens on {bind} without TLS (--insecure): anyone who reaches the port can use it");
    Ok(())
}

/// A memory limit: a size above zero. No limit is no `--memory-limit` at
/// all; a pool of zero bytes would fail every query on its first batch.
fn parse_memory_limit(text: &str) -> Result<u64> {
    let bytes = parse_size(text)?;
    if bytes == 0 {
        bail!("`{text}` leaves no memory for queries: give a size such as 4GiB, or leave the limit out for none");
    }
    Ok(bytes)
}

/// `4GiB`, `512MiB`, `1.5G`, `1000000` (bytes).
fn parse_size(text: &str) -> Result<u64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.trim().parse().with_context(|| format!("`{text}` is not a size like 4GiB or 512MiB"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => bail!("`{text}`: unknown unit `{other}` (use KiB, MiB, GiB or TiB)"),
    };
    Ok((number * factor as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::{parse_memory_limit, parse_size};

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("4GiB").unwrap(), 4 << 30);
        assert_eq!(parse_size("512 MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("4 parsecs").is_err());
        assert_eq!(parse_memory_limit("1GiB").unwrap(), 1 << 30);
        for nothing in ["0", "0GiB", "-1GiB"] {
            let error = parse_memory_limit(nothing).unwrap_err().to_string();
            assert!(error.contains("leaves no memory for queries"), "{nothing}: {error}");
        }
    }
}
