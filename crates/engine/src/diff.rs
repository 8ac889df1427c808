//! Comparing two committed runs table by table: what an analyst needs
//! after editing an insight — which tables changed, how many rows, and the
//! largest numeric differences, matched on each table's key.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use datafusion::sql::sqlparser::ast::Ident;
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
    /// The columns whose values differ on matched keys.
    pub columns: Vec<ColumnDiff>,
}

/// One column's differences on the rows both runs have.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDiff {
    pub name: String,
    /// Rows whose values differ: beyond the tolerance for numbers, at all
    /// for anything else (a null on one side only always differs).
    pub rows: u64,
    /// For numbers: the largest |a - b| and |a - b| / max(|a|, |b|) over
    /// the rows both runs have (differing or not).
    pub largest_absolute: Option<f64>,
    pub largest_relative: Option<f64>,
}

impl TableDiff {
    pub fn changed(&self) -> bool {
        self.a != self.b || self.only_in_a > 0 || self.only_in_b > 0 || self.columns.iter().any(|c| c.rows > 0)
    }
}

/// Compares every insight of two runs (each an output location and its
/// manifest). Numbers are equal when |a - b| <= `tolerance` x max(|a|, |b|):
/// a relative tolerance, so that the last bits of a ratio do not count as
/// a change while a real one does.
pub async fn diff_runs(
    catalog: &Catalog,
    ctx: &SessionContext,
    (a_location, a): (&Location, &Manifest),
    (b_location, b): (&Location, &Manifest),
    tolerance: f64,
) -> Result<Vec<TableDiff>, EngineError> {
    let mut names: Vec<&str> = a.written().chain(b.written()).map(|i| i.name.as_str()).collect();
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
            columns: Vec::new(),
        };
        let key = catalog.get(name).map(|m| m.header.key.clone()).unwrap_or_default();
        if let (Some(ra), Some(rb), false) = (ra, rb, key.is_empty()) {
            let tables = Tables { name, a: (a_location, ra), b: (b_location, rb) };
            compare_tables(ctx, &tables, &key, tolerance, &mut diff).await?;
        }
        diffs.push(diff);
    }
    Ok(diffs)
}

/// One insight's table in each run.
struct Tables<'a> {
    name: &'a str,
    a: (&'a Location, &'a InsightRecord),
    b: (&'a Location, &'a InsightRecord),
}

async fn compare_tables(
    ctx: &SessionContext,
    tables: &Tables<'_>,
    key: &[String],
    tolerance: f64,
    diff: &mut TableDiff,
) -> Result<(), EngineError> {
    let (ta, tb) = (format!("a_{}", tables.name), format!("b_{}", tables.name));
    for (table, (location, record)) in [(&ta, tables.a), (&tb, tables.b)] {
        ctx.register_parquet(table, &format!("{}/", location.url_of(&record.path)), ParquetReadOptions::default())
            .await?;
    }
    let schema_a = ctx.table(&ta).await?.schema().as_arrow().clone();
    let schema_b = ctx.table(&tb).await?.schema().as_arrow().clone();
    // (column, numeric) for the non-key columns both runs have.
    let columns: Vec<(String, bool)> = schema_a
        .fields()
        .iter()
        .filter(|f| !key.contains(f.name()))
        .filter_map(|f| {
            let other = schema_b.field_with_name(f.name()).ok()?;
            Some((f.name().clone(), f.data_type().is_numeric() && other.data_type().is_numeric()))
        })
        .collect();
    // Parenthesised: `x is not distinct from y and …` would parse as
    // `x is not distinct from (y and …)` for a key of several columns.
    let join = key
        .iter()
        .map(|k| format!("(a.{0} is not distinct from b.{0})", Ident::with_quote('"', k)))
        .collect::<Vec<_>>()
        .join(" and ");
    let count = |condition: String| format!("cast(sum(case when {condition} then 1 else 0 end) as bigint)");
    let both = "a.in_run__ and b.in_run__";
    let mut measures = vec![count("b.in_run__ is null".into()), count("a.in_run__ is null".into())];
    for (column, numeric) in &columns {
        let quoted = Ident::with_quote('"', column);
        let (x, y) = (format!("a.{quoted}"), format!("b.{quoted}"));
        if *numeric {
            let (x, y) = (format!("cast({x} as double)"), format!("cast({y} as double)"));
            let gap = format!("abs({x} - {y})");
            let scale = format!("greatest(abs({x}), abs({y}))");
            measures
                .push(count(format!("{both} and (({x} is null) <> ({y} is null) or {gap} > {tolerance:e} * {scale})")));
            measures.push(format!("max(case when {both} then {gap} end)"));
            measures.push(format!("max(case when {both} and {scale} > 0 then {gap} / {scale} end)"));
        } else {
            measures.push(count(format!("{both} and {x} is distinct from {y}")));
        }
    }
    let side = |table: &str| format!("(select *, true as in_run__ from {table})");
    let sql =
        format!("select {} from {} as a full outer join {} as b on {join}", measures.join(", "), side(&ta), side(&tb));
    let batches = ctx.sql(&sql).await?.collect().await?;
    let batch = batches.iter().find(|b| b.num_rows() > 0).ok_or_else(|| EngineError::Invalid {
        path: tables.a.1.path.clone().into(),
        message: "the comparison query returned no row".into(),
    })?;
    let value = |index: usize| -> Result<Option<f64>, EngineError> {
        let column = cast(batch.column(index), &DataType::Float64).map_err(datafusion::error::DataFusionError::from)?;
        let column = column.as_primitive::<Float64Type>();
        Ok((!column.is_null(0)).then(|| column.value(0)))
    };
    diff.only_in_a = value(0)?.unwrap_or(0.0) as u64;
    diff.only_in_b = value(1)?.unwrap_or(0.0) as u64;
    let mut index = 2;
    for (column, numeric) in columns {
        let rows = value(index)?.unwrap_or(0.0) as u64;
        let (largest_absolute, largest_relative) =
            if numeric { (value(index + 1)?, value(index + 2)?) } else { (None, None) };
        index += if numeric { 3 } else { 1 };
        diff.columns.push(ColumnDiff { name: column, rows, largest_absolute, largest_relative });
    }
    Ok(())
}
