//! Test support: run the built binary in a temp dir and read Parquet back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};

/// The repository root (for `sql/` and `data/`).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `../shared` beside the checkout; a missing one is a failure, not a skip.
pub fn shared() -> PathBuf {
    let shared = repo().join("../shared");
    assert!(
        shared.join("datasets/online_retail.csv.gz").exists(),
        "../shared/datasets/online_retail.csv.gz is missing: the golden tests need ../shared beside the checkout ({})",
        shared.display()
    );
    shared.canonicalize().unwrap()
}

pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn success(&self) -> bool {
        self.output.status.success()
    }

    /// Asserts success and returns stdout.
    pub fn ok(&self) -> String {
        assert!(self.success(), "command failed\nstdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self.stdout()
    }

    /// Asserts failure and returns stderr.
    pub fn err(&self) -> String {
        assert!(!self.success(), "command succeeded unexpectedly\nstdout:\n{}", self.stdout());
        assert!(!self.stderr().contains("panicked"), "panic:\n{}", self.stderr());
        self.stderr()
    }
}

/// Runs `insights ARGS` in `dir`.
pub fn insights(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_insights"))
        .args(args)
        .current_dir(dir)
        .env_remove("INSIGHTS_CONFIG")
        .env_remove("INSIGHTS_SQL")
        .output()
        .expect("the binary runs");
    Run { output }
}

/// Reads every Parquet file under `path` with DataFusion.
pub async fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    read_sql(path, "select * from t").await
}

/// Runs `sql` over the Parquet data at `path`, registered as `t`.
pub async fn read_sql(path: &Path, sql: &str) -> Vec<RecordBatch> {
    let ctx = SessionContext::new();
    let mut location = path.display().to_string();
    if path.is_dir() {
        location.push('/');
    }
    ctx.register_parquet("t", &location, ParquetReadOptions::default()).await.unwrap();
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

/// One column of a result as comparable values: numbers as f64, the rest
/// as text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Number(f64),
    Text(String),
}

pub fn cells(batches: &[RecordBatch], column: &str) -> Vec<Cell> {
    let mut out = Vec::new();
    for batch in batches {
        let array = batch.column_by_name(column).unwrap_or_else(|| panic!("no column `{column}`"));
        let numeric = array.data_type().is_numeric();
        let converted = cast(array, if numeric { &DataType::Float64 } else { &DataType::Utf8 }).unwrap();
        for row in 0..converted.len() {
            out.push(if converted.is_null(row) {
                Cell::Null
            } else if numeric {
                let value = converted.as_primitive::<Float64Type>().value(row);
                if value.is_nan() { Cell::Null } else { Cell::Number(value) }
            } else {
                Cell::Text(converted.as_string::<i32>().value(row).to_string())
            });
        }
    }
    out
}

pub fn column_names(batches: &[RecordBatch]) -> Vec<String> {
    batches.first().map(|b| b.schema().fields().iter().map(|f| f.name().clone()).collect()).unwrap_or_default()
}

pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// Relative 1e-6 (absolute near zero).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-3)
}
