//! The golden test: the full catalog on the UCI data set, every table
//! compared with `../shared/expected/online_retail/`, made by an
//! independent implementation of the contract.

use crate::util::{insights, shared};

#[tokio::test(flavor = "multi_thread")]
async fn full_catalog_matches_the_expected_tables() {
    let shared = shared();
    let dir = tempfile::tempdir().unwrap();
    let input = shared.join("datasets/online_retail.csv.gz");
    let stdout = insights(dir.path(), &["run", "--input", input.to_str().unwrap(), "--output", "out"]).ok();
    assert!(stdout.contains("541,909 raw = 536,641 kept + 5,268 duplicates + 0 quarantined"), "{stdout}");
    let output =
        insights_storage::Location::parse(dir.path().join("out").to_str().unwrap(), &Default::default()).unwrap();
    crate::util::assert_matches_golden(&output).await;

    // The report of the golden run: every section, KPIs equal to the tables.
    let report = std::fs::read_to_string(dir.path().join("out/report/index.html")).unwrap();
    let manifest = insights_engine::Manifest::load(&dir.path().join("out")).unwrap();
    for record in &manifest.insights {
        assert!(report.contains(&format!("<section class=\"insight\" id=\"{}\">", record.name)), "{}", record.name);
    }
    let monthly = dir.path().join("out").join(&manifest.insight("monthly_sales").unwrap().path);
    let sql = "select sum(cast(revenue as double)) as revenue, sum(orders) as orders from t";
    let totals = crate::util::read_sql(&monthly, sql).await;
    let number = |column: &str| match &crate::util::cells(&totals, column)[0] {
        crate::util::Cell::Number(n) => *n,
        other => panic!("{column}: {other:?}"),
    };
    let (revenue, orders) = (number("revenue"), number("orders"));
    let kpi = |label: &str| {
        let start =
            report.find(&format!("<div class=\"label\">{label}</div>")).unwrap_or_else(|| panic!("KPI {label}"));
        let value = &report[start..];
        let value = &value[value.find("<div class=\"value\">").unwrap() + 19..];
        value[..value.find("</div>").unwrap()].to_string()
    };
    assert_eq!(kpi("Revenue"), format!("£{}", grouped(revenue)));
    assert_eq!(kpi("Orders"), grouped(orders).trim_end_matches(".00"));
    assert_eq!(kpi("Average order value"), format!("£{}", grouped(revenue / orders)));
    assert_eq!(kpi("Customers"), "4,334");
    assert_eq!(kpi("Data quality"), "536,641 kept");
    assert_eq!(kpi("Period"), "2010-12 – 2011-12");

    // The same input again: every table identical, bit for bit.
    let first = manifest.run_id.clone();
    insights(dir.path(), &["run", "--input", input.to_str().unwrap(), "--output", "out", "--no-report"]).ok();
    let diff = insights(dir.path(), &["diff", &first, "latest", "--output", "out", "--tolerance", "0"]).ok();
    assert!(diff.contains(&format!("0 of {} tables changed", manifest.insights.len())), "{diff}");
}

/// `1234567.891` → `1,234,567.89`, as the report writes money.
fn grouped(value: f64) -> String {
    let text = format!("{value:.2}");
    let (whole, fraction) = text.split_once('.').unwrap();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{fraction}")
}
