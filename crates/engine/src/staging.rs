//! Materialized staging views: a view that many insights read (`sales`,
//! `order_totals`) is computed once per run, stored as Parquet and
//! registered under its name in place of the view.

use std::sync::Arc;
use std::time::Instant;

use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use insights_catalog::{Model, Params};
use insights_storage::Location;

use crate::EngineError;
use crate::run::{ensure_table_file, model_error, plan};
use crate::session::with_target_partitions;

/// Where materialized staging tables live during a run.
pub(crate) const STAGING_DIR: &str = "staging";

/// Writes a staging view's rows once, uncompressed (they are read back
/// within seconds and removed when the insights are done), and registers the
/// stored table under the view's name.
pub(crate) async fn materialize(
    ctx: &SessionContext,
    model: &Model,
    params: &Params,
    run_location: &Location,
) -> Result<(), EngineError> {
    let started = Instant::now();
    let table = run_location.join(&format!("{STAGING_DIR}/{}", model.name()));
    let insight_error = model_error(model);
    let df = plan(ctx, model, params).await?;
    let schema = Arc::new(df.schema().as_arrow().clone());
    let df = if row_local(&df.clone().into_optimized_plan().map_err(&insight_error)?) {
        with_target_partitions(df, 1)
    } else {
        df
    };
    let mut parquet = TableParquetOptions::default();
    parquet.global.compression = Some("uncompressed".into());
    df.write_parquet(table.url.as_str(), DataFrameWriteOptions::new(), Some(parquet)).await.map_err(&insight_error)?;
    ensure_table_file(&table, schema).await?;
    ctx.register_parquet(model.name(), table.url.as_str(), ParquetReadOptions::default())
        .await
        .map_err(&insight_error)?;
    log::info!("materialized {} in {:.2} s", model.name(), started.elapsed().as_secs_f64());
    Ok(())
}

/// Whether every row of the plan comes from one input row (scans, filters
/// and projections only). Such a table is written by one streaming task:
/// in parts, Ballista would write each part to shuffle files only to merge
/// them again for the single Parquet writer (a tenth of `sales` at 10M
/// lines). Anything that aggregates, joins or sorts keeps every core.
fn row_local(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Projection(_) | LogicalPlan::Filter(_) | LogicalPlan::TableScan(_) | LogicalPlan::SubqueryAlias(_)
    ) && plan.inputs().into_iter().all(row_local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_filters_and_projections_of_a_scan_are_row_local() {
        let ctx = SessionContext::new();
        ctx.sql("create table lines (code varchar, quantity bigint) as values ('A', 1)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        ctx.sql("create view line_values as select code, quantity * 2 as doubled from lines").await.unwrap();
        let row_local_sql = |sql: &'static str| {
            let ctx = ctx.clone();
            async move { row_local(&ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap()) }
        };
        assert!(row_local_sql("select * from line_values where doubled > 0 and code <> 'POST'").await);
        assert!(!row_local_sql("select code, sum(doubled) from line_values group by code").await);
        assert!(!row_local_sql("select a.code from lines a join lines b on a.code = b.code").await);
        assert!(!row_local_sql("select * from lines order by quantity").await);
        assert!(!row_local_sql("select distinct code from lines").await);
    }
}
