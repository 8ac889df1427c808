//! Comparing two committed runs table by table: what an analyst needs
//! after editing an insight — which tables changed, how many rows, and the
//! largest numeric differences, matched on each table's key.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use insights_catalog::Catalog;
use insights_storage::Location;

use crate::{EngineError, InsightRecord, Manifest};

/// How one insight differs between run A and run B.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDiff {
    pub name: String,
    /// `(version, rows)` in A and in B; `None` where the run lacks it.
    pub a: Option<(u32, u64)>,
    pub b: Option<(u32, u64)>,
    /// Keys present in only one run (when the table declares a key).
    pub only_in_a: u64,
    pub only_in_b: u64,
    /// Per numeric column: the largest absolute difference on matched keys.
    pub largest: Vec<(String, f64)>,
}

impl TableDiff {
    pub fn changed(&self) -> bool {
        self.a != self.b || self.only_in_a > 0 || self.only_in_b > 0 || self.largest.iter().any(|(_, d)| *d > 0.0)
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Compares every insight of two runs (each an output location and its
/// manifest).
pub async fn diff_runs(
    catalog: &Catalog,
    ctx: &SessionContext,
    (a_location, a): (&Location, &Manifest),
    (b_location, b): (&Location, &Manifest),
) -> Result<Vec<TableDiff>, EngineError> {
    let mut names: Vec<&str> = a.insights.iter().chain(&b.insights).map(|i| i.name.as_str()).collect();
    names.sort();
    names.dedup();
    let mut diffs = Vec::new();
    for name in names {
        let (ra, rb) = (a.insight(name), b.insight(name));
        let mut diff = TableDiff {
            name: name.to_string(),
            a: ra.map(|r| (r.version, r.rows)),
            b: rb.map(|r| (r.version, r.rows)),
            only_in_a: 0,
            only_in_b: 0,
            largest: Vec::new(),
        };
        let key = catalog.get(name).map(|m| m.header.key.clone()).unwrap_or_default();
        if let (Some(ra), Some(rb), false) = (ra, rb, key.is_empty()) {
            compare_tables(ctx, name, (a_location, ra), (b_location, rb), &key, &mut diff).await?;
        }
        diffs.push(diff);
    }
    Ok(diffs)
}

async fn compare_tables(
    ctx: &SessionContext,
    name: &str,
    (a_location, a): (&Location, &InsightRecord),
    (b_location, b): (&Location, &InsightRecord),
    key: &[String],
    diff: &mut TableDiff,
) -> Result<(), EngineError> {
    let (ta, tb) = (format!("a_{name}"), format!("b_{name}"));
    ctx.register_parquet(&ta, &format!("{}/", a_location.url_of(&a.path)), ParquetReadOptions::default()).await?;
    ctx.register_parquet(&tb, &format!("{}/", b_location.url_of(&b.path)), ParquetReadOptions::default()).await?;
    let schema_a = ctx.table(&ta).await?.schema().as_arrow().clone();
    let schema_b = ctx.table(&tb).await?.schema().as_arrow().clone();
    let numeric: Vec<String> = schema_a
        .fields()
        .iter()
        .filter(|f| f.data_type().is_numeric() && !key.contains(f.name()))
        .filter(|f| schema_b.field_with_name(f.name()).is_ok_and(|g| g.data_type().is_numeric()))
        .map(|f| f.name().clone())
        .collect();
    // Parenthesised: `x is not distinct from y and …` would parse as
    // `x is not distinct from (y and …)` for a key of several columns.
    let join =
        key.iter().map(|k| format!("(a.{0} is not distinct from b.{0})", quoted(k))).collect::<Vec<_>>().join(" and ");
    let first_key = quoted(&key[0]);
    let mut measures = vec![
        format!("cast(sum(case when b.{first_key} is null and a.{first_key} is not null then 1 else 0 end) as bigint)"),
        format!("cast(sum(case when a.{first_key} is null and b.{first_key} is not null then 1 else 0 end) as bigint)"),
    ];
    measures
        .extend(numeric.iter().map(|c| format!("max(abs(cast(a.{0} as double) - cast(b.{0} as double)))", quoted(c))));
    let sql = format!("select {} from {ta} as a full outer join {tb} as b on {join}", measures.join(", "));
    let batches = ctx.sql(&sql).await?.collect().await?;
    let batch = batches.first().ok_or_else(|| EngineError::Cluster("diff query returned nothing".into()))?;
    let value = |index: usize| -> Result<Option<f64>, EngineError> {
        let column = cast(batch.column(index), &DataType::Float64).map_err(datafusion::error::DataFusionError::from)?;
        let column = column.as_primitive::<Float64Type>();
        Ok((!column.is_null(0)).then(|| column.value(0)))
    };
    diff.only_in_a = value(0)?.unwrap_or(0.0) as u64;
    diff.only_in_b = value(1)?.unwrap_or(0.0) as u64;
    for (offset, column) in numeric.iter().enumerate() {
        if let Some(largest) = value(2 + offset)? {
            diff.largest.push((column.clone(), largest));
        }
    }
    Ok(())
}
