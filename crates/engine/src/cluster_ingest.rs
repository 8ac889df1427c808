//! Ingest on the cluster, for Parquet exports on object storage: the
//! executors read the raw files, type them, run the curation SQL and write
//! the curated layer and the quarantine themselves, so the client never
//! pulls the raw data through itself. (Text and Excel exports are parsed by
//! the client's streaming readers, see `insights_ingest`.)
//!
//! The typing follows the same rules as the client's readers, expressed in
//! SQL over the file's own column types; a file whose types cannot be read
//! this way (e.g. timestamps stored as text) makes the caller fall back to
//! the client.

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use datafusion::sql::sqlparser::ast::Ident;
use insights_ingest::{FileSummary, IngestOptions, IngestSummary, QUARANTINE_DIR, SUMMARY_FILE, TRANSACTIONS_DIR};
use insights_storage::Location;

use crate::EngineError;

/// SQL typing one canonical column from the file's type; `None` when the
/// type cannot be typed in SQL with the client's rules.
fn typed(canonical: &str, column: &str, data_type: &DataType) -> Option<String> {
    let c = Ident::with_quote('"', column);
    let text = matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let integer = data_type.is_integer();
    let float = data_type.is_floating();
    let decimal = matches!(data_type, DataType::Decimal128(..) | DataType::Decimal256(..));
    Some(match canonical {
        "quantity" if integer => format!("cast({c} as bigint)"),
        "quantity" if float => format!("case when {c} = trunc({c}) then cast({c} as bigint) end"),
        "quantity" if text => format!("try_cast(trim({c}) as bigint)"),
        "invoice_ts" if matches!(data_type, DataType::Timestamp(..) | DataType::Date32 | DataType::Date64) => {
            format!("arrow_cast({c}, 'Timestamp(µs)')")
        }
        "unit_price" if integer || float || decimal => format!("cast({c} as decimal(18, 4))"),
        "unit_price" if text => format!("try_cast(trim({c}) as decimal(18, 4))"),
        "quantity" | "invoice_ts" | "unit_price" => return None,
        _ => format!("cast({c} as varchar)"),
    })
}

/// Ingests `files` (Parquet objects) on the cluster into `run/curated`.
/// Returns `None` when a file's column types need the client's readers.
pub(crate) async fn ingest_on_cluster(
    ctx: &SessionContext,
    files: &[String],
    run: &Location,
    options: &IngestOptions,
    curation_sql: &str,
) -> Result<Option<IngestSummary>, EngineError> {
    let mut typed_selects = Vec::new();
    for (index, url) in files.iter().enumerate() {
        let table = format!("raw_file_{index}");
        ctx.register_parquet(&table, url, ParquetReadOptions::default()).await?;
        let schema = ctx.table(&table).await?.schema().as_arrow().clone();
        let header: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let map = insights_ingest::map_columns(std::path::Path::new(url), &header, options)?;
        // The executors read the eight columns as they are; a line total,
        // absent columns or order-level fields need the client's readers.
        let (Some(positions), true) = (
            map.positions.iter().copied().collect::<Option<Vec<usize>>>(),
            map.line_total.is_none() && map.fill_down.is_empty() && map.cancelled.is_none(),
        ) else {
            log::info!("{url}: the column mapping needs the client's readers");
            return Ok(None);
        };
        let mut columns = Vec::new();
        for (canonical, &position) in insights_ingest::CANONICAL_COLUMNS.iter().zip(&positions) {
            let field = schema.field(position);
            let Some(expression) = typed(canonical, field.name(), field.data_type()) else {
                log::info!("{url}: column `{}` is {}; reading it on the client", field.name(), field.data_type());
                return Ok(None);
            };
            columns.push(format!("{expression} as {canonical}"));
        }
        let raw_text: Vec<String> =
            positions.iter().map(|p| format!("cast({} as varchar)", Ident::with_quote('"', &header[*p]))).collect();
        typed_selects.push(format!(
            "select {}, {index} as source_file, concat_ws(',', {}) as raw_record from {table}",
            columns.join(", "),
            raw_text.join(", ")
        ));
    }
    let typed_lines = typed_selects.join(" union all ");
    ctx.register_table("typed_lines", ctx.sql(&typed_lines).await?.into_view())?;
    let problem = "case \
        when invoice_no is null or trim(invoice_no) = '' then 'invoice_no is empty' \
        when stock_code is null or trim(stock_code) = '' then 'stock_code is empty' \
        when quantity is null then 'quantity is not an integer' \
        when invoice_ts is null then 'invoice_ts is not a date and time' \
        when unit_price is null then 'unit_price is not a number' end";
    ctx.register_table(
        "checked_lines",
        ctx.sql(&format!("select *, {problem} as reason from typed_lines")).await?.into_view(),
    )?;
    let raw_columns =
        "invoice_no, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country, source_file";
    ctx.register_table(
        "raw_lines",
        ctx.sql(&format!("select {raw_columns} from checked_lines where reason is null")).await?.into_view(),
    )?;

    // The curated lines with their first source, kept once for two uses.
    let scratch = run.join(".ingest");
    ctx.sql(curation_sql).await?.write_parquet(scratch.url.as_str(), DataFrameWriteOptions::new(), None).await?;
    ctx.register_parquet("curated_with_source", scratch.url.as_str(), ParquetReadOptions::default()).await?;
    let curated = run.join(&format!("curated/{TRANSACTIONS_DIR}"));
    ctx.sql(
        "select invoice_no, stock_code, description, quantity, invoice_ts, unit_price, customer_id, country, \
         to_char(invoice_ts, '%Y-%m') as year_month from curated_with_source",
    )
    .await?
    .write_parquet(
        curated.url.as_str(),
        DataFrameWriteOptions::new().with_partition_by(vec![insights_ingest::MONTH_COLUMN.into()]),
        None,
    )
    .await?;
    let sources: Vec<String> = files.iter().map(|f| f.replace('\'', "''")).collect();
    let source_name =
        sources.iter().enumerate().map(|(i, name)| format!("when {i} then '{name}'")).collect::<Vec<_>>().join(" ");
    let quarantine = run.join(&format!("curated/{QUARANTINE_DIR}"));
    let quarantined_lines = ctx.sql(&format!(
        "select case source_file {source_name} end as source_file, cast(null as bigint) as line, reason, raw_record, \
         cast(invoice_no as varchar) as invoice_no, cast(stock_code as varchar) as stock_code, description, \
         cast(quantity as varchar) as quantity, cast(invoice_ts as varchar) as invoice_ts, \
         cast(unit_price as varchar) as unit_price, customer_id, country \
         from checked_lines where reason is not null"
    ))
    .await?;
    let quarantine_schema = std::sync::Arc::new(quarantined_lines.schema().as_arrow().clone());
    quarantined_lines.write_parquet(quarantine.url.as_str(), DataFrameWriteOptions::new(), None).await?;
    crate::tables::ensure_table_file(&quarantine, quarantine_schema).await?;

    let counts = |sql: String| async move {
        let batches = ctx.sql(&sql).await?.collect().await?;
        let mut out = vec![(0u64, 0u64); files.len()];
        for batch in &batches {
            let source = batch.column(0).as_primitive::<Int64Type>();
            let count = batch.column(1).as_primitive::<Int64Type>();
            for row in 0..batch.num_rows() {
                out[source.value(row) as usize].0 = count.value(row) as u64;
            }
        }
        Ok::<_, EngineError>(out)
    };
    let raw =
        counts("select cast(source_file as bigint), count(*) from checked_lines group by source_file".into()).await?;
    let quarantined = counts(
        "select cast(source_file as bigint), count(*) from checked_lines where reason is not null group by source_file"
            .into(),
    )
    .await?;
    let kept =
        counts("select cast(source_file as bigint), count(*) from curated_with_source group by source_file".into())
            .await?;
    scratch.delete_all().await?;

    let summaries = files
        .iter()
        .enumerate()
        .map(|(i, name)| FileSummary {
            file: name.clone(),
            // Only Parquet is ingested on the cluster.
            encoding: None,
            raw_lines: raw[i].0,
            kept: kept[i].0,
            duplicates: raw[i].0 - quarantined[i].0 - kept[i].0,
            quarantined: quarantined[i].0,
        })
        .collect();
    let summary = IngestSummary::from_files(summaries);
    let json = serde_json::to_vec_pretty(&summary).expect("summary serialises");
    run.write(&format!("curated/{SUMMARY_FILE}"), json).await?;
    Ok(Some(summary))
}
