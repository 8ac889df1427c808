//! `insights generate` as a benchmark user drives it: generated data goes
//! through a whole run and every insight has something to say.

use crate::util::insights;

#[test]
fn generated_data_gives_every_insight_a_non_trivial_table() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = insights(dir.path(), &["generate", "--lines", "150k", "--output", "shop.parquet", "--seed", "3"]).ok();
    assert!(stdout.contains("shop.parquet: 150,000 lines in "), "{stdout}");
    let stdout = insights(dir.path(), &["run", "--input", "shop.parquet", "--output", "out", "--no-report"]).ok();
    assert!(stdout.contains("150,000 raw = "), "{stdout}");
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    assert_eq!(manifest.insights.len(), 18);
    for record in &manifest.insights {
        let least = match record.name.as_str() {
            "monthly_sales" | "order_value" | "returns_analysis" => 13,
            "country_sales" => 20,
            "shopping_hours" => 50,
            "segment_summary" => 8,
            "category_performance" => 5,
            "cohort_retention" => 60,
            "product_affinity" => 10,
            "clv_model" => 1,
            "clv_backtest" => 5,
            _ => 100,
        };
        assert!(record.rows >= least, "{} has {} rows, expected at least {least}", record.name, record.rows);
    }
}

#[test]
fn generate_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let err = insights(dir.path(), &["generate", "--lines", "lots", "--output", "x.parquet"]).err();
    assert!(err.contains("`lots` is not a count like 1000000, 10M or 500k"), "{err}");
    let err = insights(dir.path(), &["generate", "--lines", "10", "--output", "x.txt"]).err();
    assert!(err.contains("x.txt: name the file .parquet, .csv or .csv.gz, or pass --format"), "{err}");
    insights(dir.path(), &["generate", "--lines", "1000", "--output", "x.txt", "--format", "csv"]).ok();
    let first = std::fs::read_to_string(dir.path().join("x.txt")).unwrap();
    assert!(first.starts_with("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"));
}

#[test]
fn the_benchmark_is_not_a_command_of_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let help = insights(dir.path(), &["--help"]).ok();
    assert!(!help.lines().any(|line| line.trim_start().starts_with("bench")), "{help}");
    let err = insights(dir.path(), &["bench"]).err();
    assert!(err.contains("unrecognized subcommand 'bench'"), "{err}");
}
