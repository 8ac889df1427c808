//! `insights-bench`: the benchmark of insights, apart from the product
//! binary. It times the release `insights` binary as a user runs it and a
//! same-run DuckDB baseline over the same SQL; see docs/performance.md.

mod baseline;
mod bench;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

/// The benchmark suite of insights (not a test): generated data of each size
/// through `insights run` standalone and/or `insights submit` to a local
/// 2-executor cluster, plus `insights report`, and the same SQL on DuckDB as
/// a same-run baseline; seconds and peak RSS per step go to
/// bench/results/DATE/bench.md and bench.json. Build with --release.
#[derive(Debug, Parser)]
#[command(name = "insights-bench", version)]
pub struct BenchArgs {
    /// Lines per data set, comma separated.
    #[arg(long, value_delimiter = ',', value_parser = insights_datagen::parse_line_count, default_value = "1M,10M,50M")]
    pub sizes: Vec<u64>,
    /// Where the catalog runs, comma separated (cluster-tls: the same
    /// cluster with mutual TLS).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "standalone,cluster")]
    pub modes: Vec<bench::Mode>,
    /// Memory limits of query execution (standalone, each executor, and the
    /// baseline), comma separated; `none` runs without one. Each size runs
    /// under each, so `none,4GiB` shows what a limit costs.
    #[arg(long, value_name = "SIZE", value_delimiter = ',', default_value = "none")]
    pub memory_limit: Vec<bench::MemoryLimit>,
    /// Task slots of the standalone run.
    #[arg(long, default_value_t = 2)]
    pub parallelism: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Runs of each size and mode (and of the baseline); the tables show
    /// the median run by wall time, and the highest peak RSS of all.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// The largest size that runs `--repeat` times; larger ones run once (a
    /// run of minutes varies less than one of seconds).
    #[arg(long, value_name = "LINES", value_parser = insights_datagen::parse_line_count, default_value = "20M")]
    pub repeat_up_to: u64,
    /// Where generated data (kept for the next time), outputs and the local
    /// cluster's logs (`cluster-logs/`) go.
    #[arg(long, value_name = "DIR", default_value_os_t = bench::default_work())]
    pub work: PathBuf,
    /// Where the result tables are written (default: bench/results/ and
    /// today's date).
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// The same-run baseline.
    #[arg(long, value_enum, default_value_t = bench::BaselineChoice::Duckdb)]
    pub baseline: bench::BaselineChoice,
    /// Python with the `duckdb` module (`scripts/setup-bench-tools` installs
    /// it there).
    #[arg(long, value_name = "FILE", default_value_os_t = bench::default_python())]
    pub python: PathBuf,
    /// The `insights` binary to time (default: the one beside this binary,
    /// as `cargo build --release --workspace` leaves it).
    #[arg(long, value_name = "FILE")]
    pub insights: Option<PathBuf>,
    /// Directory of the SQL catalog.
    #[arg(long, value_name = "DIR", default_value = "sql")]
    pub sql: PathBuf,
}

fn main() -> ExitCode {
    let args = BenchArgs::parse();
    let result = insights_catalog::Catalog::load(&args.sql, &insights_engine::SOURCE_TABLES)
        .with_context(|| format!("cannot load the catalog in {}", args.sql.display()))
        .and_then(|catalog| bench::bench(args, &catalog));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::BenchArgs;

    #[test]
    fn sizes_read_like_line_counts_and_repeats_start_at_one() {
        let args = BenchArgs::try_parse_from(["insights-bench", "--sizes", "1M,1.07M,500k"]).unwrap();
        assert_eq!(args.sizes, [1_000_000, 1_070_000, 500_000]);
        assert_eq!(args.memory_limit, [super::bench::MemoryLimit(None)]);
        let args = BenchArgs::try_parse_from(["insights-bench", "--memory-limit", "none,4GiB"]).unwrap();
        assert_eq!(args.memory_limit.iter().map(|limit| limit.to_string()).collect::<Vec<_>>(), ["none", "4GiB"]);
        let err = BenchArgs::try_parse_from(["insights-bench", "--memory-limit", "none,"]).unwrap_err().to_string();
        assert!(err.contains("expected a size such as 4GiB, or none"), "{err}");
        let err = BenchArgs::try_parse_from(["insights-bench", "--repeat", "0"]).unwrap_err().to_string();
        assert!(err.contains("invalid value '0' for '--repeat <REPEAT>'") && err.contains("1.."), "{err}");
    }
}
