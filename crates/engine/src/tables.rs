//! What every query of a run stands on: the tables the engine provides
//! (`transactions`, `category_rules`), planning a catalog file with its
//! parameters, and the table files results are written to.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use insights_catalog::{Model, ModelKind, Params};
use insights_ingest::{MONTH_COLUMN, TRANSACTIONS_DIR};
use insights_storage::Location;
use serde::Deserialize;

use crate::EngineError;
use crate::params::param_values;

/// Tables the engine provides to the catalog; every other table a query
/// reads is a file of the catalog.
pub const SOURCE_TABLES: [&str; 2] = ["transactions", "category_rules"];

/// Wraps a query's error with the catalog file it came from.
pub(crate) fn model_error(model: &Model) -> impl Fn(DataFusionError) -> EngineError + '_ {
    move |source| EngineError::Insight {
        what: if model.kind == ModelKind::Staging { "staging model" } else { "insight" },
        name: model.name().to_string(),
        path: model.path.clone(),
        source,
    }
}

/// Plans one catalog query with its parameters bound as values.
pub(crate) async fn plan(ctx: &SessionContext, model: &Model, params: &Params) -> Result<DataFrame, EngineError> {
    ctx.sql(&model.sql).await.and_then(|df| df.with_param_values(param_values(params))).map_err(model_error(model))
}

/// Registers `transactions` (the run's curated layer, partitioned by
/// `year_month`) and `category_rules` (the YAML rules, stored with the run
/// so executors read them like any table).
pub(crate) async fn register_sources(
    ctx: &SessionContext,
    run: &Location,
    rules_yaml: &Path,
) -> Result<(), EngineError> {
    run.write("seeds/category_rules.parquet", category_rules_parquet(rules_yaml)?).await?;
    register_source_tables(ctx, run).await
}

/// Registers the run's sources, once written, in a session: the run's own,
/// its in-memory staging session, or a query over a committed run.
pub(crate) async fn register_source_tables(ctx: &SessionContext, run: &Location) -> Result<(), EngineError> {
    let options = ParquetReadOptions::default().table_partition_cols(vec![(MONTH_COLUMN.to_string(), DataType::Utf8)]);
    ctx.register_parquet("transactions", &run.url_of(&format!("curated/{TRANSACTIONS_DIR}/")), options).await?;
    ctx.register_parquet("category_rules", &run.url_of("seeds/category_rules.parquet"), ParquetReadOptions::default())
        .await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRule {
    category: String,
    keywords: Vec<String>,
}

/// Flattens the rules to `(priority, category, keyword)` rows, as Parquet.
fn category_rules_parquet(yaml: &Path) -> Result<Vec<u8>, EngineError> {
    let text =
        std::fs::read_to_string(yaml).map_err(|source| EngineError::Read { path: yaml.to_path_buf(), source })?;
    let rules: Vec<CategoryRule> = serde_yaml::from_str(&text).map_err(|e| EngineError::Invalid {
        path: yaml.to_path_buf(),
        message: format!("expected a list of {{category, keywords}}: {e}"),
    })?;
    let mut priority = Vec::new();
    let mut category = Vec::new();
    let mut keyword = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        for word in &rule.keywords {
            priority.push(index as i64 + 1);
            category.push(rule.category.clone());
            keyword.push(word.to_uppercase());
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("priority", DataType::Int64, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("keyword", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(priority)),
            Arc::new(StringArray::from(category)),
            Arc::new(StringArray::from(keyword)),
        ],
    )
    .map_err(DataFusionError::from)?;
    parquet_bytes(schema, &[batch])
}

/// An empty result writes no file; give it one, so the table (and its
/// schema) can be read like any other.
pub(crate) async fn ensure_table_file(table: &Location, schema: SchemaRef) -> Result<(), EngineError> {
    if !table.list().await?.iter().any(|name| name.ends_with(".parquet")) {
        table.write("empty.parquet", parquet_bytes(schema, &[])?).await?;
    }
    Ok(())
}

fn parquet_bytes(schema: SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, EngineError> {
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, None).map_err(DataFusionError::from)?;
    for batch in batches {
        writer.write(batch).map_err(DataFusionError::from)?;
    }
    writer.close().map_err(DataFusionError::from)?;
    Ok(bytes)
}
