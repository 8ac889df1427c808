//! `insights ingest` as a user drives it, on good and bad input.

use std::path::Path;

use crate::util::{insights, read_parquet, read_sql, row_count, shared};

const HEADER: &str = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country";

fn ingest(dir: &Path, input: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["ingest", input, "--output", "out"];
    args.extend_from_slice(extra);
    insights(dir, &args)
}

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("out/curated/ingest_summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn quarantine(dir: &Path) -> Vec<(i64, String)> {
    let batches = read_sql(&dir.join("out/curated/quarantine"), "select line, reason from t order by line").await;
    let lines = crate::util::cells(&batches, "line");
    let reasons = crate::util::cells(&batches, "reason");
    lines
        .into_iter()
        .zip(reasons)
        .map(|(line, reason)| match (line, reason) {
            (crate::util::Cell::Number(line), crate::util::Cell::Text(reason)) => (line as i64, reason),
            other => panic!("unexpected quarantine row {other:?}"),
        })
        .collect()
}

async fn transactions(dir: &Path) -> usize {
    row_count(&read_parquet(&dir.join("out/curated/transactions")).await)
}

#[test]
fn missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = ingest(dir.path(), "nope.csv", &[]).err();
    assert!(err.contains("input not found: nope.csv"), "{err}");
    assert!(!dir.path().join("out/curated").exists());
}

#[test]
fn unreadable_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locked.csv");
    std::fs::write(&path, format!("{HEADER}\n536365,85123A,X,6,12/1/2010 8:26,2.55,17850,United Kingdom\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not stop us, a symlink loop does.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("locked.csv", &path).unwrap();
    }
    let err = ingest(dir.path(), "locked.csv", &[]).err();
    assert!(err.contains("cannot read locked.csv"), "{err}");
    assert!(!dir.path().join("out/curated").exists());
}

#[test]
fn empty_and_header_only_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    let err = ingest(dir.path(), "empty.csv", &[]).err();
    assert!(err.contains("empty.csv: the file is empty"), "{err}");
    std::fs::write(dir.path().join("header.csv"), format!("{HEADER}\n")).unwrap();
    let err = ingest(dir.path(), "header.csv", &[]).err();
    assert!(err.contains("header.csv: the file has a header but no data lines"), "{err}");
}

#[test]
fn a_missing_column_is_named_with_what_was_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cols.csv"),
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID,Country\n536365,85123A,X,6,12/1/2010 8:26,17850,UK\n",
    )
    .unwrap();
    let err = ingest(dir.path(), "cols.csv", &[]).err();
    assert!(err.contains("required column `unit_price` or `line_total` not found"), "{err}");
    assert!(err.contains("InvoiceNo, StockCode, Description, Quantity, InvoiceDate, CustomerID, Country"), "{err}");
}

#[tokio::test]
async fn bad_lines_are_quarantined_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = Vec::new();
    text.extend_from_slice(format!("{HEADER}\n").as_bytes());
    let good = "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n";
    text.extend_from_slice(good.as_bytes()); // line 2
    text.extend_from_slice(b"536366,22633,HAND WARMER,six,12/1/2010 8:28,1.85,17850,United Kingdom\n"); // 3
    text.extend_from_slice(b"536367,84879,BIRD ORNAMENT,32,13/45/2010 8:34,1.69,13047,United Kingdom\n"); // 4
    text.extend_from_slice(b"536368,22960,JAM MAKING SET,6,12/1/2010 8:34,\"1,5\",13047,United Kingdom\n"); // 5
    text.extend_from_slice(b"536369,21756,BATH BUILDING BLOCK,3,12/1/2010 8:35,5.95,13047,United Kingdom,extra\n"); // 6
    text.extend_from_slice(b"536370,22728,ALARM CLOCK,24\n"); // 7
    text.extend_from_slice(b"536371,22727,\"ALARM CLOCK\nBAKELIKE RED\",24,12/1/2010 8:45,3.75,12583,France\n"); // 8-9
    text.extend_from_slice(b"536372,22726,BAD \xff BYTE,12,12/1/2010 8:45,3.75,12583,France\n"); // 10
    text.extend_from_slice(b",22725,NO INVOICE,12,12/1/2010 8:45,3.75,12583,France\n"); // 11
    text.extend_from_slice(good.as_bytes()); // 12: exact duplicate of line 2
    std::fs::write(dir.path().join("bad.csv"), &text).unwrap();
    let stdout = ingest(dir.path(), "bad.csv", &["--encoding", "utf-8"]).ok();
    assert!(stdout.contains("10 raw = 2 kept + 1 duplicates + 7 quarantined"), "{stdout}");
    let rows = quarantine(dir.path()).await;
    let lines: Vec<i64> = rows.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 10, 11], "{rows:?}");
    let reason = |line: i64| rows.iter().find(|r| r.0 == line).unwrap().1.clone();
    assert!(reason(3).contains("quantity `six` is not an integer"));
    assert!(reason(4).contains("invoice_ts `13/45/2010 8:34` is not a date"));
    assert!(reason(5).contains("unit_price `1,5` is not a number"));
    assert!(reason(6).contains("expected 8 fields as in the header, found 9"));
    assert!(reason(7).contains("found 4"));
    assert!(reason(10).contains("byte 0xFF in field 3 (column `description`) is not valid UTF-8"), "{}", reason(10));
    assert!(reason(11).contains("invoice_no is empty"));
    let kept = read_sql(
        &dir.path().join("out/curated/transactions"),
        "select description, customer_id from t order by invoice_no",
    )
    .await;
    let descriptions = crate::util::cells(&kept, "description");
    assert_eq!(descriptions[1], crate::util::Cell::Text("ALARM CLOCK\nBAKELIKE RED".into()));
    assert_eq!(crate::util::cells(&kept, "customer_id")[0], crate::util::Cell::Text("17850".into()));
    let summary = summary(dir.path());
    assert_eq!(summary["files"][0]["quarantined"], 7);
    assert_eq!(summary["duplicates"], 1);
}

/// The whole file decides its encoding, not its start: a Windows-1252
/// export whose first non-ASCII byte comes after the first megabyte is read
/// without flags, every line the same way, nothing quarantined.
#[tokio::test]
async fn a_late_windows_1252_byte_makes_the_whole_file_windows_1252() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}\n").into_bytes();
    let mut lines = 0;
    while text.len() < (1 << 20) + 1000 {
        lines += 1;
        text.extend_from_slice(
            format!("5{lines:06},85123A,HEART,1,12/1/2010 8:26,2.55,17850,United Kingdom\n").as_bytes(),
        );
    }
    text.extend_from_slice(b"999999,85123A,CAF\xc9 \xa3,1,12/1/2010 8:26,2.55,17850,United Kingdom\n");
    std::fs::write(dir.path().join("late.csv"), &text).unwrap();
    let stdout = ingest(dir.path(), "late.csv", &[]).ok();
    let total = insights_ingest::thousands(lines + 1);
    assert!(
        stdout.contains(&format!("{total} raw = {total} kept + 0 duplicates + 0 quarantined (Windows-1252)")),
        "{stdout}"
    );
    assert_eq!(summary(dir.path())["files"][0]["encoding"], "Windows-1252");
    let late =
        read_sql(&dir.path().join("out/curated/transactions"), "select description from t where invoice_no = '999999'")
            .await;
    assert_eq!(crate::util::cells(&late, "description"), [crate::util::Cell::Text("CAFÉ £".into())]);
}

#[tokio::test]
async fn windows_1252_and_cr_line_endings_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\
536365,85123A,\xa3 5 GIFT VOUCHER,6,12/1/10 8:26,2.55,17850,United Kingdom\r\
536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,,United Kingdom\r";
    std::fs::write(dir.path().join("win.csv"), text).unwrap();
    let stdout = ingest(dir.path(), "win.csv", &[]).ok();
    assert!(stdout.contains("2 raw = 2 kept + 0 duplicates + 0 quarantined"), "{stdout}");
    let kept = read_sql(
        &dir.path().join("out/curated/transactions"),
        "select description, customer_id, cast(invoice_ts as varchar) as ts from t order by invoice_no",
    )
    .await;
    assert_eq!(crate::util::cells(&kept, "description")[0], crate::util::Cell::Text("£ 5 GIFT VOUCHER".into()));
    assert_eq!(crate::util::cells(&kept, "customer_id")[1], crate::util::Cell::Null);
    assert_eq!(crate::util::cells(&kept, "ts")[0], crate::util::Cell::Text("2010-12-01T08:26:00".into()));
}

/// A UTF-8 file with one bad byte deep in it stays UTF-8 and quarantines
/// that line, saying why; every other line is read as UTF-8.
#[tokio::test]
async fn a_stray_byte_in_utf8_text_quarantines_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r";
    let line = |n: u32, description: &[u8]| {
        let mut bytes = format!("{},85123A,", 536365 + n).into_bytes();
        bytes.extend(description);
        bytes.extend(format!(",6,12/1/10 8:26,2.55,{},United Kingdom\r", 17850 + n % 1000).as_bytes());
        bytes
    };
    let mut utf8 = header.as_bytes().to_vec();
    for n in 0..20_000 {
        utf8.extend(line(n, "CAFÉ AU LAIT MUG £".as_bytes()));
    }
    utf8.extend(line(20_000, b"BROKEN \xff MUG"));
    std::fs::write(dir.path().join("utf8.csv"), &utf8).unwrap();
    let stdout = ingest(dir.path(), "utf8.csv", &[]).ok();
    assert!(stdout.contains("20,001 raw = 20,000 kept + 0 duplicates + 1 quarantined (UTF-8)"), "{stdout}");
    let reasons = read_sql(&dir.path().join("out/curated/quarantine"), "select reason, line from t").await;
    let reason = format!("{:?}", crate::util::cells(&reasons, "reason"));
    assert!(reason.contains("byte 0xFF in field 3 (column `description`) is not valid UTF-8"), "{reason}");
    assert!(reason.contains("pass --encoding windows-1252"), "{reason}");
    let kept = read_sql(&dir.path().join("out/curated/transactions"), "select distinct description from t").await;
    assert_eq!(crate::util::cells(&kept, "description"), [crate::util::Cell::Text("CAFÉ AU LAIT MUG £".into())]);
}

#[test]
fn corrupt_excel_and_parquet_files_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["broken.xlsx", "broken.parquet"] {
        std::fs::write(dir.path().join(name), b"PK\x03\x04 this is not really a workbook or a parquet file").unwrap();
        let err = ingest(dir.path(), name, &[]).err();
        assert!(err.contains(name) && err.contains("not a readable"), "{err}");
        assert!(!dir.path().join("out/curated").exists(), "nothing may be written");
    }
}

#[tokio::test]
async fn excel_workbooks_are_read_sheet_by_sheet() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("m/d/yyyy h:mm");
    for (sheet, invoice) in [("Year 2010", 536365.0), ("Year 2011", 539993.0)] {
        let worksheet = workbook.add_worksheet().set_name(sheet).unwrap();
        for (col, name) in
            ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
                .iter()
                .enumerate()
        {
            worksheet.write_string(0, col as u16, *name).unwrap();
        }
        worksheet.write_number(1, 0, invoice).unwrap();
        worksheet.write_string(1, 1, "85123A").unwrap();
        worksheet.write_string(1, 2, "WHITE HANGING HEART").unwrap();
        worksheet.write_number(1, 3, 6.0).unwrap();
        let ts = ExcelDateTime::parse_from_str("2010-12-01 08:26:00").unwrap();
        worksheet.write_datetime_with_format(1, 4, &ts, &date_format).unwrap();
        worksheet.write_number(1, 5, 2.55).unwrap();
        worksheet.write_number(1, 6, 17850.0).unwrap();
        worksheet.write_string(1, 7, "United Kingdom").unwrap();
    }
    workbook.save(dir.path().join("export.xlsx")).unwrap();
    let stdout = ingest(dir.path(), "export.xlsx", &[]).ok();
    assert!(stdout.contains("2 raw = 2 kept + 0 duplicates + 0 quarantined"), "{stdout}");
    assert!(stdout.contains("[Year 2010]") && stdout.contains("[Year 2011]"), "{stdout}");
    let kept = read_sql(&dir.path().join("out/curated/transactions"), "select invoice_no, customer_id, cast(unit_price as double) as price, cast(invoice_ts as varchar) as ts from t order by invoice_no").await;
    assert_eq!(crate::util::cells(&kept, "invoice_no")[0], crate::util::Cell::Text("536365".into()));
    assert_eq!(crate::util::cells(&kept, "customer_id")[0], crate::util::Cell::Text("17850".into()));
    assert_eq!(crate::util::cells(&kept, "price")[0], crate::util::Cell::Number(2.55));
    assert_eq!(crate::util::cells(&kept, "ts")[0], crate::util::Cell::Text("2010-12-01T08:26:00".into()));
    let stdout = ingest(dir.path(), "export.xlsx", &["--sheet", "Year 2011"]).ok();
    assert!(stdout.contains("1 raw = 1 kept"), "{stdout}");
    let err = ingest(dir.path(), "export.xlsx", &["--sheet", "Nope"]).err();
    assert!(err.contains("sheet `Nope` not found (sheets: Year 2010, Year 2011)"), "{err}");
}

#[tokio::test]
async fn rerunning_replaces_the_curated_layer_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("two_months.csv"),
        format!("{HEADER}\n1,A,X,1,12/1/2010 8:26,1.0,1,UK\n2,A,X,1,1/5/2011 8:26,1.0,1,UK\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("one_month.csv"), format!("{HEADER}\n3,A,X,1,2/1/2011 8:26,1.0,1,UK\n")).unwrap();
    ingest(dir.path(), "two_months.csv", &[]).ok();
    assert_eq!(transactions(dir.path()).await, 2);
    ingest(dir.path(), "one_month.csv", &[]).ok();
    assert_eq!(transactions(dir.path()).await, 1);
    let months: Vec<_> = std::fs::read_dir(dir.path().join("out/curated/transactions"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(months, ["year_month=2011-02"]);
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["curated"]);
}

#[tokio::test]
async fn csv_and_parquet_copies_give_identical_curated_tables() {
    let shared = shared();
    let dir = tempfile::tempdir().unwrap();
    let csv = shared.join("datasets/online_retail.csv.gz");
    let parquet = shared.join("datasets/online_retail.parquet");
    let from_csv = insights(dir.path(), &["ingest", csv.to_str().unwrap(), "--output", "csv"]).ok();
    let from_parquet = insights(dir.path(), &["ingest", parquet.to_str().unwrap(), "--output", "parquet"]).ok();
    for stdout in [&from_csv, &from_parquet] {
        assert!(stdout.contains("541,909 raw = 536,641 kept + 5,268 duplicates + 0 quarantined"), "{stdout}");
    }
    let facts = "select count(*) as lines, count(distinct customer_id) as customers, count(distinct country) as countries, \
                 sum(case when customer_id is null then 1 else 0 end) as no_customer from t";
    let csv_dir = dir.path().join("csv/curated/transactions");
    let parquet_dir = dir.path().join("parquet/curated/transactions");
    let csv_facts = read_sql(&csv_dir, facts).await;
    for (column, expected) in [("lines", 536_641.0), ("customers", 4_372.0), ("countries", 38.0)] {
        assert_eq!(crate::util::cells(&csv_facts, column), [crate::util::Cell::Number(expected)], "{column}");
    }
    // 135,080 raw lines have no customer (empty becomes null); 43 of them
    // are exact duplicates, so 135,037 such lines are kept.
    assert_eq!(crate::util::cells(&csv_facts, "no_customer"), [crate::util::Cell::Number(135_037.0)]);
    let ctx = datafusion::prelude::SessionContext::new();
    for (name, path) in [("a", &csv_dir), ("b", &parquet_dir)] {
        ctx.register_parquet(name, &format!("{}/", path.display()), Default::default()).await.unwrap();
    }
    let differences = ctx
        .sql("select count(*) as n from ((select * from a except all select * from b) union all (select * from b except all select * from a))")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(crate::util::cells(&differences, "n"), [crate::util::Cell::Number(0.0)]);
}

#[tokio::test]
async fn other_header_styles_and_day_first_dates_come_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("insights.yaml"),
        "ingest:\n  day_first: true\n  delimiter: ';'\n  columns:\n    invoice_no: Order\n    stock_code: SKU\n    description: Item\n    quantity: Qty\n    invoice_ts: Placed\n    unit_price: Each\n    customer_id: Buyer\n    country: Ship To\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("shop.csv"),
        "Order;SKU;Item;Qty;Placed;Each;Buyer;Ship To\nA1;X1;MUG;2;1/2/2011 09:30;3.5;C7;France\n",
    )
    .unwrap();
    let stdout = ingest(dir.path(), "shop.csv", &[]).ok();
    assert!(stdout.contains("1 raw = 1 kept"), "{stdout}");
    let kept = read_sql(
        &dir.path().join("out/curated/transactions"),
        "select cast(invoice_ts as varchar) as ts, country from t",
    )
    .await;
    assert_eq!(crate::util::cells(&kept, "ts"), [crate::util::Cell::Text("2011-02-01T09:30:00".into())]);
    assert_eq!(crate::util::cells(&kept, "country"), [crate::util::Cell::Text("France".into())]);

    // Extra timestamp formats come from the config too.
    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  timestamp_formats: ['%Y.%m.%d %Hh%M']\n").unwrap();
    std::fs::write(dir.path().join("dots.csv"), format!("{HEADER}\nA1,X1,MUG,2,2011.02.01 09h30,3.5,C7,France\n"))
        .unwrap();
    let stdout = ingest(dir.path(), "dots.csv", &[]).ok();
    assert!(stdout.contains("1 raw = 1 kept"), "{stdout}");

    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  day_frist: true\n").unwrap();
    let err = ingest(dir.path(), "shop.csv", &[]).err();
    assert!(err.contains("insights.yaml") && err.contains("day_frist"), "{err}");
}

#[tokio::test]
async fn deduplication_spills_to_disk_under_a_small_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  memory_limit: 8MiB\n").unwrap();
    let sample = crate::util::repo().join("data/online_retail_sample.csv.gz");
    let stdout = ingest(dir.path(), sample.to_str().unwrap(), &[]).ok();
    assert!(stdout.contains("50,720 raw = 50,234 kept + 486 duplicates + 0 quarantined"), "{stdout}");
    assert_eq!(transactions(dir.path()).await, 50_234);
    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  memory_limit: 64KiB\n").unwrap();
    let err = ingest(dir.path(), sample.to_str().unwrap(), &[]).err();
    assert!(err.contains("Resources exhausted"), "{err}");
}

/// The UCI columns as a Parquet export types them, every one nullable.
fn uci_parquet_schema() -> std::sync::Arc<datafusion::arrow::datatypes::Schema> {
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    std::sync::Arc::new(Schema::new(vec![
        Field::new("InvoiceNo", DataType::Utf8, true),
        Field::new("StockCode", DataType::Utf8, true),
        Field::new("Description", DataType::Utf8, true),
        Field::new("Quantity", DataType::Int64, true),
        Field::new("InvoiceDate", DataType::Timestamp(TimeUnit::Microsecond, None), true),
        Field::new("UnitPrice", DataType::Float64, true),
        Field::new("CustomerID", DataType::Float64, true),
        Field::new("Country", DataType::Utf8, true),
    ]))
}

fn write_parquet(path: &Path, batch: &datafusion::arrow::array::RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = datafusion::parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

#[tokio::test]
async fn typed_parquet_lines_are_checked_and_quarantined_with_their_values() {
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let schema = uci_parquet_schema();
    // 2010-12-01 08:26:00 as microseconds since the epoch.
    let ts = 1_291_191_960_000_000i64;
    let batch = datafusion::arrow::array::RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec![Some("536365"), Some("536366"), Some("536367")])),
            Arc::new(StringArray::from(vec![Some("85123A"), Some(" "), Some("71053")])),
            Arc::new(StringArray::from(vec![Some("WHITE HANGING HEART"), None, Some("LANTERN")])),
            Arc::new(Int64Array::from(vec![Some(6), Some(2), None])),
            Arc::new(TimestampMicrosecondArray::from(vec![Some(ts), Some(ts), Some(ts)])),
            Arc::new(Float64Array::from(vec![Some(2.55), Some(1.85), Some(3.39)])),
            Arc::new(Float64Array::from(vec![Some(17850.0), None, Some(17850.0)])),
            Arc::new(StringArray::from(vec![Some("United Kingdom"); 3])),
        ],
    )
    .unwrap();
    write_parquet(&dir.path().join("shop.parquet"), &batch);

    let stdout = ingest(dir.path(), "shop.parquet", &[]).ok();
    assert!(stdout.contains("3 raw = 1 kept + 0 duplicates + 2 quarantined"), "{stdout}");
    assert_eq!(
        quarantine(dir.path()).await,
        [(2, "stock_code is empty".to_string()), (3, "quantity `` is not an integer".to_string())]
    );
    let kept = read_sql(
        &dir.path().join("out/curated/transactions"),
        "select cast(unit_price as varchar) as price, cast(invoice_ts as varchar) as ts, customer_id from t",
    )
    .await;
    assert_eq!(crate::util::cells(&kept, "price"), [crate::util::Cell::Text("2.5500".into())]);
    assert_eq!(crate::util::cells(&kept, "ts"), [crate::util::Cell::Text("2010-12-01T08:26:00".into())]);
    assert_eq!(crate::util::cells(&kept, "customer_id"), [crate::util::Cell::Text("17850".into())]);
    let raw =
        read_sql(&dir.path().join("out/curated/quarantine"), "select quantity, unit_price from t order by line").await;
    assert_eq!(
        crate::util::cells(&raw, "quantity"),
        [crate::util::Cell::Text("2".into()), crate::util::Cell::Text(String::new())]
    );
    assert_eq!(
        crate::util::cells(&raw, "unit_price"),
        [crate::util::Cell::Text("1.85".into()), crate::util::Cell::Text("3.39".into())]
    );
}

#[tokio::test]
async fn a_large_parquet_file_read_by_several_threads_keeps_every_line_number_and_count() {
    use datafusion::arrow::array::{Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};
    use std::sync::Arc;

    // Large enough to be split into one row range per core; the bad lines
    // sit in the first and in the last range, the duplicates across them.
    const ROWS: usize = 150_000;
    let dir = tempfile::tempdir().unwrap();
    let schema = uci_parquet_schema();
    let ts = 1_291_191_960_000_000i64; // 2010-12-01 08:26:00
    let day = 86_400_000_000i64;
    // Line n (1-based) is row n - 1; line 2 is repeated as the last line.
    let invoice = |row: usize| if row == ROWS - 1 { "536001".to_string() } else { format!("{}", 536_000 + row) };
    let stock = |row: usize| if row == 9 { " ".to_string() } else { "85123A".to_string() };
    let quantity = |row: usize| if row == 139_999 { None } else { Some(6) };
    let when = |row: usize| ts + (if row == ROWS - 1 { 1 } else { row as i64 % 300 }) * day;
    let batch = datafusion::arrow::array::RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from((0..ROWS).map(invoice).collect::<Vec<_>>())),
            Arc::new(StringArray::from((0..ROWS).map(stock).collect::<Vec<_>>())),
            Arc::new(StringArray::from(vec![Some("WHITE HANGING HEART"); ROWS])),
            Arc::new(Int64Array::from((0..ROWS).map(quantity).collect::<Vec<_>>())),
            Arc::new(TimestampMicrosecondArray::from((0..ROWS).map(when).collect::<Vec<_>>())),
            Arc::new(Float64Array::from(vec![2.55; ROWS])),
            Arc::new(Float64Array::from(vec![17850.0; ROWS])),
            Arc::new(StringArray::from(vec![Some("United Kingdom"); ROWS])),
        ],
    )
    .unwrap();
    write_parquet(&dir.path().join("big.parquet"), &batch);

    let stdout = ingest(dir.path(), "big.parquet", &[]).ok();
    assert!(stdout.contains("150,000 raw = 149,997 kept + 1 duplicates + 2 quarantined"), "{stdout}");
    assert_eq!(
        quarantine(dir.path()).await,
        [(10, "stock_code is empty".to_string()), (140_000, "quantity `` is not an integer".to_string())]
    );
    assert_eq!(transactions(dir.path()).await, 149_997);
}

#[test]
fn order_level_settings_on_a_parquet_input_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("insights.yaml"), "ingest:\n  fill_down: [Country]\n").unwrap();
    let parquet = shared().join("datasets/online_retail.parquet");
    let err = ingest(dir.path(), parquet.to_str().unwrap(), &[]).err();
    assert!(err.contains("online_retail.parquet") && err.contains("only CSV and Excel inputs have"), "{err}");
    assert!(!dir.path().join("out/curated").exists(), "nothing may be written");
}
