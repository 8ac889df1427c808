//! The command line: one binary, one subcommand per job.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::ResultFormat;

/// Customer purchase behaviour analytics for online shops.
///
/// Raw transaction exports (CSV, gzip CSV, Excel, Parquet) go in; versioned
/// Parquet tables of business insights come out, computed by SQL files
/// under `sql/` on Apache DataFusion and Ballista.
///
/// Start with `insights run`: it ingests the bundled sample under `data/`
/// and writes every insight to `./output`.
#[derive(Debug, Parser)]
#[command(name = "insights", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Config file (YAML). Default: ./insights.yaml when it exists.
    #[arg(long, global = true, env = "INSIGHTS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the SQL catalog. Default: ./sql, else the catalog this
    /// binary was built with.
    #[arg(long, global = true, env = "INSIGHTS_SQL", value_name = "DIR")]
    pub sql: Option<PathBuf>,
    /// Log more (repeat for more detail); logs go to stderr.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest the input, then run the insight catalog and commit the results.
    ///
    /// Results go to OUTPUT/runs/RUN_ID/tables/NAME/vVERSION/ as Parquet;
    /// OUTPUT/manifest.json, written last, names the latest committed run.
    Run(RunArgs),
    /// Read raw exports into the curated layer (transactions + quarantine).
    ///
    /// Writes OUTPUT/curated/transactions/year_month=YYYY-MM/*.parquet,
    /// OUTPUT/curated/quarantine/ (lines that could not be read, with the
    /// reason and their file and line) and OUTPUT/curated/ingest_summary.json.
    Ingest(IngestArgs),
    /// List the insights of the catalog with version, parameters and what
    /// they read.
    List,
    /// Run one SQL statement over the latest committed run and print it.
    ///
    /// `transactions`, the staging models (`sales`, …) and every result
    /// table of OUTPUT/manifest.json are registered by name.
    Query {
        /// A read-only SQL statement.
        #[arg(value_name = "SQL")]
        statement: String,
        #[command(flatten)]
        output: OutputArgs,
        /// How to print the result.
        #[arg(long, value_enum, default_value_t = ResultFormat::Table)]
        format: ResultFormat,
    },
    /// An interactive SQL prompt over the latest committed run.
    ///
    /// Registers the same tables as `query`. On a terminal: history
    /// (~/.insights_history), multi-line statements ending with `;`, tab
    /// completion of table and column names, `\d` to list tables, `\d NAME`
    /// to describe one, `\q` to quit. With piped input, runs every statement.
    Shell {
        #[command(flatten)]
        output: OutputArgs,
        /// How to print results (table, csv or json).
        #[arg(long, value_enum, default_value_t = ResultFormat::Table)]
        format: ResultFormat,
    },
    /// Write the report of the latest committed run: OUTPUT/report/index.html
    /// (charts, findings, top rows; one self-contained file), report.md and
    /// charts/NAME.svg|png. `insights run` does this at its end.
    Report {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Write deterministic synthetic shop data (UCI columns) for benchmarks.
    ///
    /// Skewed product popularity, repeat customers, guests, cancellations,
    /// a November peak, dozens of countries, service codes. The same seed
    /// and size give the same file; lines stream, so any size fits in memory.
    Generate {
        /// How many lines (e.g. 1000000, or 10M, 50M).
        #[arg(long, value_name = "N", value_parser = insights_datagen::parse_line_count)]
        lines: u64,
        /// File to write: .parquet, .csv or .csv.gz.
        #[arg(long, short, value_name = "PATH")]
        output: PathBuf,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output format (default: from the file name).
        #[arg(long, value_enum)]
        format: Option<insights_datagen::Format>,
    },
    /// Compare two runs table by table: rows, keys, largest differences.
    ///
    /// RUN is a run id under OUTPUT/runs/, `latest`, or another output
    /// directory (its latest run).
    Diff {
        #[arg(value_name = "RUN_A")]
        run_a: String,
        #[arg(value_name = "RUN_B")]
        run_b: String,
        #[command(flatten)]
        output: OutputArgs,
        /// Numbers are the same when |a - b| <= TOLERANCE x max(|a|, |b|);
        /// 0 compares exactly.
        #[arg(long, default_value_t = 1e-9, value_name = "TOLERANCE")]
        tolerance: f64,
    },
    /// List the runs kept under OUTPUT/runs/ (the latest, committed and
    /// unfinished ones); `--keep N` removes the older ones.
    Runs {
        #[command(flatten)]
        output: OutputArgs,
        /// Keep the newest N committed runs (always the latest one) and
        /// remove the others, and unfinished runs older than 24 hours.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        keep: Option<u64>,
    },
    /// Print an insight's SQL and the plan DataFusion makes of it.
    Show {
        /// Insight or staging model name.
        name: String,
    },
    /// Check the catalog without data: headers, parameters, dependencies,
    /// every query planned against the curated schema, and catalog.lock.
    Check,
    /// Record every SQL file's version and checksum in sql/catalog.lock.
    Lock,
    /// Create sql/NAME.sql: a metadata header and a starter query.
    New {
        /// The new insight's name (lower case, digits, `_`).
        name: String,
        /// Start from a copy of this insight instead of the starter query.
        #[arg(long, value_name = "INSIGHT")]
        from: Option<String>,
    },
    /// Run the catalog on a cluster: `run` with `--scheduler` required.
    ///
    /// The scheduler and its executors must reach the input and output
    /// locations themselves (S3, or a shared file system).
    Submit(RunArgs),
    /// Start a Ballista scheduler, the coordinator of a cluster.
    Scheduler(SchedulerArgs),
    /// Make a cluster CA and a certificate per host for mutual TLS.
    ///
    /// Writes DIR/ca.crt and ca.key, DIR/HOST.crt and HOST.key for each
    /// host (valid for the host name, `insights-cluster`, which every
    /// process checks, localhost and 127.0.0.1) and
    /// DIR/client.crt and client.key for `submit`; keys readable by their
    /// owner only. Keep ca.key off the cluster.
    Certs {
        /// Directory to write; one that holds files already is refused
        /// without --force.
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// Host names of the cluster's processes, comma separated.
        #[arg(long, value_name = "HOST,...", value_delimiter = ',', required = true)]
        hosts: Vec<String>,
        /// Replace the certificates in DIR.
        #[arg(long)]
        force: bool,
    },
    /// Start a Ballista executor that runs tasks for a scheduler.
    Executor(ExecutorArgs),
}

#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub bind: String,
    /// Port to listen on, 0 for any free one (default: config
    /// `cluster.scheduler_port`, else 50050). The port is printed at start.
    #[arg(long)]
    pub port: Option<u16>,
    /// Host name executors and clients use to reach this scheduler
    /// (default: the bind address).
    #[arg(long, value_name = "HOST")]
    pub external_host: Option<String>,
    /// Seconds without a heartbeat before an executor counts as lost: its
    /// tasks run again elsewhere and it is told to stop.
    #[arg(long, value_name = "SECONDS", default_value_t = insights_engine::DEFAULT_EXECUTOR_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(5..))]
    pub executor_timeout: u64,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Listen on a non-loopback address without TLS (anyone who reaches
    /// the port can run any plan).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler to register with (default: config
    /// `cluster.executor.scheduler`, else 127.0.0.1:50050).
    #[arg(long, value_name = "HOST:PORT")]
    pub scheduler: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", value_name = "HOST")]
    pub bind: String,
    /// Port serving shuffle data (Arrow Flight) to other executors
    /// (default: config `cluster.executor.port`, else 50051).
    #[arg(long)]
    pub port: Option<u16>,
    /// Port of the executor's gRPC service (default: config
    /// `cluster.executor.grpc_port`, else 50052).
    #[arg(long)]
    pub grpc_port: Option<u16>,
    /// Host name others use to reach this executor (default: the bind address).
    #[arg(long, value_name = "HOST")]
    pub external_host: Option<String>,
    /// Tasks run at once (default: number of cores).
    #[arg(long, value_name = "N")]
    pub concurrent_tasks: Option<usize>,
    /// Directory for shuffle files (default: a new temporary directory).
    /// Executors on one machine may share one: each then reads the others'
    /// shuffle files from disk instead of over the network.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<String>,
    /// Memory for query execution before spilling to disk, e.g. 4GiB.
    #[arg(long, value_name = "SIZE")]
    pub memory_limit: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Listen on a non-loopback address without TLS (anyone who reaches
    /// the port can read shuffle data and results).
    #[arg(long)]
    pub insecure: bool,
}

/// Waiting for a scheduler that is not up yet.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectArgs {
    /// Seconds to wait for an unreachable scheduler (default: 60).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: Option<u64>,
}

/// Mutual TLS between the processes of a cluster: all three files, or
/// config `cluster.tls: {ca, cert, key}` (`insights certs` makes them).
#[derive(Debug, Args, Clone, Default)]
pub struct TlsArgs {
    /// The cluster CA's certificate (PEM): peers must present one it signed.
    #[arg(long, env = "INSIGHTS_TLS_CA", value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// This process's certificate (PEM).
    #[arg(long, env = "INSIGHTS_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// This process's private key (PEM).
    #[arg(long, env = "INSIGHTS_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
}

/// How to read the input files.
#[derive(Debug, Args, Clone, Default)]
pub struct InputArgs {
    /// Input format, instead of guessing from the file extension.
    #[arg(long, env = "INSIGHTS_FORMAT", value_enum)]
    pub format: Option<insights_ingest::Format>,
    /// The kind of export, which names its columns (default: config
    /// `ingest.preset`, else uci).
    #[arg(long, env = "INSIGHTS_PRESET", value_enum)]
    pub preset: Option<insights_ingest::Preset>,
    /// Text encoding of CSV input (default: config `ingest.encoding`, else
    /// auto).
    #[arg(long, env = "INSIGHTS_ENCODING", value_enum)]
    pub encoding: Option<insights_ingest::Encoding>,
    /// Read only this Excel sheet (default: every sheet).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Dates like 1/2/2011 are 1 February (default: US month-first order).
    #[arg(long)]
    pub day_first: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// File, directory, glob or s3://bucket/prefix of raw exports.
    /// Default: config `input`, else the bundled sample.
    #[arg(long, short, env = "INSIGHTS_INPUT", value_name = "INPUT")]
    pub input: Option<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Run only these insights (and what they read).
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub only: Vec<String>,
    /// Set a parameter: NAME=VALUE for every insight declaring NAME, or
    /// INSIGHT.NAME=VALUE for one.
    #[arg(long = "param", short = 'p', value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Task slots of the in-process executor (default: number of cores).
    #[arg(long, env = "INSIGHTS_PARALLELISM", value_name = "N")]
    pub parallelism: Option<usize>,
    /// Memory for query execution in-process, e.g. 4GiB; beyond it sorts,
    /// aggregations and joins spill to disk (default: unbounded).
    #[arg(long, env = "INSIGHTS_MEMORY_LIMIT", value_name = "SIZE")]
    pub memory_limit: Option<String>,
    /// Run on the cluster behind this scheduler instead of in-process.
    #[arg(long, env = "INSIGHTS_SCHEDULER", value_name = "df://HOST:PORT")]
    pub scheduler: Option<String>,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Skip the HTML report at the end (config `report: false`).
    #[arg(long)]
    pub no_report: bool,
    /// Also write every result table as CSV to OUTPUT/runs/RUN_ID/csv/
    /// (config `csv: true`); Parquet is always written.
    #[arg(long)]
    pub csv: bool,
    #[command(flatten)]
    pub input_args: InputArgs,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// File, directory, glob or s3://bucket/prefix of raw exports.
    pub input: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub input_args: InputArgs,
}

/// Where results are: every command that reads or writes a run takes it.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Output directory or s3://bucket/prefix (default: config `output`,
    /// else ./output).
    #[arg(long, short, env = "INSIGHTS_OUTPUT", value_name = "DIR")]
    pub output: Option<String>,
}
