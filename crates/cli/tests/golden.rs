//! The golden test: the full catalog on the UCI data set, every table
//! compared with `../shared/expected/online_retail/`, made by an
//! independent implementation of the contract.

mod util;

use std::collections::BTreeMap;

use insights_catalog::Catalog;
use util::{Cell, cells, close, column_names, insights, read_sql, repo, row_count, shared};

#[tokio::test(flavor = "multi_thread")]
async fn full_catalog_matches_the_expected_tables() {
    let shared = shared();
    let dir = tempfile::tempdir().unwrap();
    let input = shared.join("datasets/online_retail.csv.gz");
    let stdout = insights(dir.path(), &["run", "--input", input.to_str().unwrap(), "--output", "out"]).ok();
    assert!(stdout.contains("541,909 raw = 536,641 kept + 5,268 duplicates + 0 quarantined"), "{stdout}");

    let catalog = Catalog::load(&repo().join("sql"), &insights_engine::SOURCE_TABLES).unwrap();
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    let expected_dir = shared.join("expected/online_retail");
    let mut failures = Vec::new();
    let mut compared = 0;
    for model in catalog.insights() {
        let expected_path = expected_dir.join(format!("{}.parquet", model.name()));
        if !expected_path.exists() {
            continue;
        }
        compared += 1;
        let record = manifest.insight(model.name()).unwrap_or_else(|| panic!("{} not in manifest", model.name()));
        let actual_path = dir.path().join("out").join(&record.path);
        let key = &model.header.key;
        assert!(!key.is_empty(), "{} declares no key", model.name());
        let order = key.join(", ");
        let expected = read_sql(&expected_path, &format!("select * from t order by {order}")).await;
        let actual = read_sql(&actual_path, &format!("select * from t order by {order}")).await;
        match compare(&expected, &actual, key) {
            Ok(()) => println!("ok    {:<24} {:>6} rows", model.name(), row_count(&actual)),
            Err(problem) => {
                println!("FAIL  {:<24} {problem}", model.name());
                failures.push(format!("{}: {problem}", model.name()));
            }
        }
    }
    assert_eq!(compared, 13, "expected 13 golden tables");
    assert!(failures.is_empty(), "{} tables differ:\n{}", failures.len(), failures.join("\n"));
}

fn compare(expected: &[datafusion::arrow::array::RecordBatch], actual: &[datafusion::arrow::array::RecordBatch], key: &[String]) -> Result<(), String> {
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
    let mut problems = BTreeMap::new();
    for column in &expected_columns {
        let (want, got) = (cells(expected, column), cells(actual, column));
        let bad: Vec<usize> = (0..want.len())
            .filter(|&row| match (&want[row], &got[row]) {
                (Cell::Number(a), Cell::Number(b)) => !close(*a, *b),
                (a, b) => a != b,
            })
            .collect();
        if let Some(&row) = bad.first() {
            let at: Vec<String> = key.iter().map(|k| format!("{:?}", cells(actual, k)[row])).collect();
            problems.insert(
                column.clone(),
                format!("{} rows differ, e.g. at {}: {:?} expected {:?}", bad.len(), at.join("/"), got[row], want[row]),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.into_iter().map(|(c, p)| format!("{c}: {p}")).collect::<Vec<_>>().join("; "))
    }
}
