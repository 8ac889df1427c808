//! Exports of other shops: presets, optional columns, line totals,
//! order-level fields filled down, and the insights a run skips when the
//! input lacks what they are about.

use std::path::Path;

use insights_engine::Manifest;

use crate::util::{Cell, cells, insights, read_sql};

/// A Shopify orders export, its columns as Shopify documents them (a
/// subset, in its order): an order's first line carries the order's fields,
/// its later lines only the order name and the line item.
const SHOPIFY_ORDERS: &str = "\
Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name,Billing Country,Cancelled at
#1001,alice@example.com,paid,2024-03-01 10:00:05 +0100,fulfilled,EUR,59.00,59.00,2024-03-01 10:00:00 +0100,2,Linen apron,19.50,APR-1,Alice A,FR,
#1001,,,,,,,,,1,Tea towel,20.00,TWL-2,,,
#1002,bob@example.com,paid,2024-03-02 09:15:00 +0100,fulfilled,EUR,22.50,22.50,2024-03-02 09:14:30 +0100,1,Tea towel,20.00,TWL-2,Bob B,DE,
#1002,,,,,,,,,1,Gift wrap,2.50,,,,
#1003,alice@example.com,refunded,2024-03-05 18:00:00 +0100,fulfilled,EUR,39.00,39.00,2024-03-05 17:59:00 +0100,1,Linen apron,19.50,APR-1,Alice A,FR,
#1003,,,,,,,,,1,Tea towel,20.00,TWL-2,,,
#1004,carol@example.com,voided,,,EUR,20.00,20.00,2024-03-06 08:00:00 +0100,1,Tea towel,20.00,TWL-2,Carol C,FR,2024-03-06 09:00:00 +0100
";

/// A purchase log as lifetime-value data sets come: customer, date,
/// quantity and the amount paid, in columns of blanks.
const PURCHASE_LOG: &str = "\
customer   date       quantity  amount
00001      19970101   1         11.77
00002      19970112   1         12.00
00002      19970112   5         77.00
00003      19970102   2         20.76
00003      19970330   2         20.76
00003      19970402   2         19.54
00003      19971115   5         57.45
00004      19970101   0         29.33
00004      19970118   2         29.73
";

fn texts(column: Vec<Cell>) -> Vec<String> {
    column
        .into_iter()
        .map(|cell| match cell {
            Cell::Text(text) => text,
            Cell::Null => "null".into(),
            Cell::Number(n) => n.to_string(),
        })
        .collect()
}

async fn curated(dir: &Path, sql: &str) -> Vec<datafusion::arrow::array::RecordBatch> {
    let run = Manifest::load(&dir.join("out")).unwrap().curated;
    read_sql(&dir.join("out").join(run).join("transactions"), sql).await
}

#[tokio::test]
async fn a_shopify_orders_export_reads_with_its_preset() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders_export.csv"), SHOPIFY_ORDERS).unwrap();
    let stdout = insights(
        dir.path(),
        &[
            "run",
            "-i",
            "orders_export.csv",
            "--preset",
            "shopify",
            "-o",
            "out",
            "--only",
            "monthly_sales",
            "--no-report",
        ],
    )
    .ok();
    assert!(stdout.contains("7 raw = 7 kept + 0 duplicates + 0 quarantined"), "{stdout}");
    let lines = curated(
        dir.path(),
        "select invoice_no, stock_code, customer_id, country, cast(invoice_ts as varchar) as ts from t \
         order by invoice_no, stock_code",
    )
    .await;
    // Later lines get their order's customer, time and country; refunded
    // and voided orders are cancellations; a line item without a SKU is
    // known by its name.
    assert_eq!(texts(cells(&lines, "invoice_no")), ["#1001", "#1001", "#1002", "#1002", "C#1003", "C#1003", "C#1004"]);
    assert_eq!(texts(cells(&lines, "stock_code"))[2], "GIFT WRAP");
    assert_eq!(texts(cells(&lines, "customer_id"))[1], "alice@example.com");
    assert_eq!(texts(cells(&lines, "country"))[1], "FR");
    assert_eq!(texts(cells(&lines, "ts"))[1], "2024-03-01T10:00:00", "the shop's local time, as given");

    let manifest = Manifest::load(&dir.path().join("out")).unwrap();
    let monthly = read_sql(
        &dir.path().join("out").join(&manifest.insight("monthly_sales").unwrap().path),
        "select year_month, cast(revenue as double) as revenue, orders, customers from t",
    )
    .await;
    assert_eq!(texts(cells(&monthly, "year_month")), ["2024-03"]);
    assert_eq!(cells(&monthly, "revenue"), [Cell::Number(59.0 + 22.5)]);
    assert_eq!(cells(&monthly, "orders"), [Cell::Number(2.0)]);
    assert_eq!(cells(&monthly, "customers"), [Cell::Number(2.0)]);
}

#[tokio::test]
async fn a_purchase_log_runs_what_it_can_and_skips_the_rest_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("purchases.txt"), PURCHASE_LOG).unwrap();
    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  preset: transactions\n").unwrap();
    let run = insights(dir.path(), &["run", "-i", "purchases.txt", "-o", "out"]);
    let stdout = run.ok();
    assert!(stdout.contains("9 raw = 8 kept + 0 duplicates + 1 quarantined"), "{stdout}");
    assert!(
        stdout.contains("columns the input does not have: invoice_no, stock_code, description, country"),
        "{stdout}"
    );
    let quarantined = read_sql(
        &dir.path().join("out").join(Manifest::load(&dir.path().join("out")).unwrap().curated).join("quarantine"),
        "select line, reason from t",
    )
    .await;
    assert_eq!(cells(&quarantined, "line"), [Cell::Number(9.0)]);
    assert_eq!(
        texts(cells(&quarantined, "reason")),
        ["line_total `29.33` with quantity 0: no unit price can be derived"]
    );

    let manifest = Manifest::load(&dir.path().join("out")).unwrap();
    let written: Vec<&str> = manifest.written().map(|r| r.name.as_str()).collect();
    for name in ["monthly_sales", "customer_rfm", "cohort_retention", "customer_lifetime_value", "clv_model"] {
        assert!(written.contains(&name), "{name} not in {written:?}");
    }
    let skipped: Vec<(&str, &str)> =
        manifest.skipped().map(|r| (r.name.as_str(), r.reason.as_deref().unwrap_or_default())).collect();
    for (name, column) in [
        ("top_products", "stock_code"),
        ("product_affinity", "stock_code"),
        ("basket_rules", "stock_code"),
        ("product_recommendations", "stock_code"),
        ("country_sales", "country"),
        ("category_performance", "description"),
    ] {
        let reason = skipped.iter().find(|(skipped, _)| *skipped == name).map(|(_, reason)| *reason);
        assert_eq!(reason, Some(format!("needs `{column}`, which the input does not have").as_str()), "{name}");
        assert!(stdout.contains(&format!("skipped: needs `{column}`")), "{stdout}");
    }
    assert_eq!(written.len() + skipped.len(), 18);
    let json = std::fs::read_to_string(dir.path().join("out/manifest.json")).unwrap();
    assert!(json.contains("\"status\": \"skipped\""), "{json}");
    let report = std::fs::read_to_string(dir.path().join("out/report/report.md")).unwrap();
    assert!(report.contains("Not computed for this input") && report.contains("`country_sales`"), "{report}");

    // Without order numbers an order is one customer's purchase at one
    // time: customer 2's two lines of 12 January are one order.
    let monthly = read_sql(
        &dir.path().join("out").join(&manifest.insight("monthly_sales").unwrap().path),
        "select year_month, orders, customers, cast(revenue as double) as revenue from t order by year_month",
    )
    .await;
    assert_eq!(texts(cells(&monthly, "year_month")), ["1997-01", "1997-03", "1997-04", "1997-11"]);
    assert_eq!(cells(&monthly, "orders")[0], Cell::Number(4.0));
    assert_eq!(cells(&monthly, "revenue")[0], Cell::Number(151.26), "11.77 + 12 + 77 + 20.76 + 29.73");
    let rfm = read_sql(
        &dir.path().join("out").join(&manifest.insight("customer_rfm").unwrap().path),
        "select customer_id, frequency from t order by customer_id",
    )
    .await;
    assert_eq!(texts(cells(&rfm, "customer_id")), ["00001", "00002", "00003", "00004"]);
    assert_eq!(cells(&rfm, "frequency")[2], Cell::Number(4.0));
}

#[test]
fn unknown_presets_and_columns_the_header_lacks_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("purchases.txt"), PURCHASE_LOG).unwrap();
    let err = insights(dir.path(), &["ingest", "purchases.txt", "--preset", "woocommerce", "-o", "out"]).err();
    assert!(err.contains("woocommerce") && err.contains("uci, shopify, transactions"), "{err}");

    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  preset: woocommerce\n").unwrap();
    let err = insights(dir.path(), &["ingest", "purchases.txt", "-o", "out"]).err();
    assert!(err.contains("insights.yaml") && err.contains("woocommerce"), "{err}");

    std::fs::write(
        dir.path().join("insights.yaml"),
        "ingest:\n  preset: transactions\n  columns:\n    line_total: Dollars\n",
    )
    .unwrap();
    let err = insights(dir.path(), &["ingest", "purchases.txt", "-o", "out"]).err();
    assert!(
        err.contains("purchases.txt")
            && err.contains("`ingest.columns.line_total` names the column `Dollars`")
            && err.contains("customer, date, quantity, amount"),
        "{err}"
    );
    assert!(!dir.path().join("out/curated").exists(), "nothing written");

    // A log without the transactions preset: the UCI names are not there.
    std::fs::remove_file(dir.path().join("insights.yaml")).unwrap();
    let err = insights(dir.path(), &["ingest", "purchases.txt", "-o", "out"]).err();
    assert!(err.contains("required column `invoice_ts` not found") && err.contains("InvoiceDate"), "{err}");
}
