//! Test support: run the built binary in a temp dir and read Parquet back.

pub mod cluster;
pub mod s3;

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
        if matches!(array.data_type(), DataType::List(_) | DataType::LargeList(_)) {
            // A list (a rule's antecedent) compares as its text, `[a, b]`.
            for row in 0..array.len() {
                out.push(if array.is_null(row) {
                    Cell::Null
                } else {
                    Cell::Text(datafusion::arrow::util::display::array_value_to_string(array, row).unwrap())
                });
            }
            continue;
        }
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

/// Compares every table of the run committed at `output` (local or S3)
/// with `../shared/expected/online_retail/`, one line per insight.
pub async fn assert_matches_golden(output: &insights_storage::Location) {
    let catalog = insights_catalog::Catalog::load(&repo().join("sql"), &insights_engine::SOURCE_TABLES).unwrap();
    let manifest = insights_engine::Manifest::read(output).await.unwrap();
    let expected_dir = shared().join("expected/online_retail");
    let ctx = SessionContext::new();
    ctx.runtime_env().register_object_store(&output.store_url(), output.store.clone());
    let mut failures = Vec::new();
    let mut compared = 0;
    for model in catalog.insights() {
        let expected_path = expected_dir.join(format!("{}.parquet", model.name()));
        if !expected_path.exists() {
            continue;
        }
        compared += 1;
        let record = manifest.insight(model.name()).unwrap_or_else(|| panic!("{} not in manifest", model.name()));
        let key = &model.header.key;
        assert!(!key.is_empty(), "{} declares no key", model.name());
        let sql = format!("select * from {{}} order by {}", key.join(", "));
        let expected = read_sql(&expected_path, &sql.replace("{}", "t")).await;
        let table = format!("actual_{}", model.name());
        ctx.register_parquet(&table, &format!("{}/", output.url_of(&record.path)), ParquetReadOptions::default())
            .await
            .unwrap();
        let actual = ctx.sql(&sql.replace("{}", &table)).await.unwrap().collect().await.unwrap();
        let tolerance = if MODEL_TABLES.contains(&model.name()) { 1e-3 } else { 1e-6 };
        match compare(&expected, &actual, key, tolerance) {
            Ok(()) => println!("ok    {:<24} {:>6} rows", model.name(), row_count(&actual)),
            Err(problem) => {
                println!("FAIL  {:<24} {problem}", model.name());
                failures.push(format!("{}: {problem}", model.name()));
            }
        }
    }
    assert_eq!(compared, 17, "expected 17 golden tables");
    assert!(failures.is_empty(), "{} tables differ:\n{}", failures.len(), failures.join("\n"));
}

/// Tables of fitted models: two optimisers reach the same maximum to about
/// 1e-4, so the contract compares them at a relative 1e-3.
const MODEL_TABLES: &[&str] = &["customer_lifetime_value", "clv_model", "clv_backtest"];

fn compare(expected: &[RecordBatch], actual: &[RecordBatch], key: &[String], tolerance: f64) -> Result<(), String> {
    let (expected_rows, actual_rows) = (row_count(expected), row_count(actual));
    if expected_rows != actual_rows {
        return Err(format!("{actual_rows} rows, expected {expected_rows}"));
    }
    let expected_columns = column_names(expected);
    let actual_columns = column_names(actual);
    if expected_columns != actual_columns {
        return Err(format!("columns {actual_columns:?}, expected {expected_columns:?}"));
    }
    let keys = |batches| key.iter().map(|k| cells(batches, k)).collect::<Vec<_>>();
    if keys(expected) != keys(actual) {
        return Err("the key sets differ".into());
    }
    let mut problems = Vec::new();
    for column in &expected_columns {
        let (want, got) = (cells(expected, column), cells(actual, column));
        let bad: Vec<usize> = (0..want.len())
            .filter(|&row| match (&want[row], &got[row]) {
                (Cell::Number(a), Cell::Number(b)) => !close_to(*a, *b, tolerance),
                (a, b) => a != b,
            })
            .collect();
        if let Some(&row) = bad.first() {
            let at: Vec<String> = key.iter().map(|k| format!("{:?}", cells(actual, k)[row])).collect();
            problems.push(format!(
                "{column}: {} rows differ, e.g. at {}: {:?} expected {:?}",
                bad.len(),
                at.join("/"),
                got[row],
                want[row]
            ));
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// Relative `tolerance` (absolute near zero).
pub fn close_to(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1e-3)
}
