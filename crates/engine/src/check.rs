//! Planning the catalog without data: every query is planned against the
//! curated schema (empty tables), so unknown columns and type errors show
//! up in seconds, before a run.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use insights_catalog::{Catalog, Model, Params};

use crate::params::param_values;

/// The outcome of planning one file.
pub struct PlannedModel<'a> {
    pub model: &'a Model,
    pub plan: Result<LogicalPlan, String>,
}

fn empty_table(ctx: &SessionContext, name: &str, schema: SchemaRef) -> datafusion::error::Result<()> {
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    Ok(())
}

/// Registers the source tables (`transactions`, `category_rules`) with
/// their schemas and no rows.
pub(crate) fn register_empty_sources(ctx: &SessionContext) -> datafusion::error::Result<()> {
    let mut transactions: Vec<Field> =
        insights_ingest::transactions_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    transactions.push(Field::new(insights_ingest::MONTH_COLUMN, DataType::Utf8, false));
    let rules = Schema::new(vec![
        Field::new("priority", DataType::Int64, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("keyword", DataType::Utf8, false),
    ]);
    empty_table(ctx, "transactions", Arc::new(Schema::new(transactions)))?;
    empty_table(ctx, "category_rules", Arc::new(rules))
}

/// Plans staging models and insights in dependency order against empty
/// source tables. A failed file is reported and later files that read it
/// fail too.
pub async fn plan_catalog<'a>(catalog: &'a Catalog, params: &BTreeMap<String, Params>) -> Vec<PlannedModel<'a>> {
    let ctx =
        SessionContext::new_with_config(SessionConfig::new().set_bool("datafusion.sql_parser.collect_spans", true));
    crate::functions::register_in(&ctx).expect("registers");
    register_empty_sources(&ctx).expect("registers");
    let no_params = Params::new();
    let mut planned = Vec::new();
    for model in &catalog.models {
        let values = param_values(params.get(model.name()).unwrap_or(&no_params));
        let result = match ctx.sql(&model.sql).await.and_then(|df| df.with_param_values(values)) {
            Ok(df) => {
                let plan = df.logical_plan().clone();
                let registered = match model.kind {
                    insights_catalog::ModelKind::Staging => {
                        ctx.register_table(model.name(), df.into_view()).map(|_| ())
                    }
                    _ => empty_table(&ctx, model.name(), Arc::new(plan.schema().as_arrow().clone())),
                };
                registered.map(|_| plan).map_err(|e| describe(model, &e))
            }
            Err(e) => Err(describe(model, &e)),
        };
        planned.push(PlannedModel { model, plan: result });
    }
    planned
}

/// `path:line:column: message` when DataFusion knows where, else `path: message`.
fn describe(model: &Model, error: &datafusion::error::DataFusionError) -> String {
    let path = model.path.display();
    let message = error.to_string();
    match error.diagnostic().and_then(|d| d.span) {
        Some(span) => format!("{path}:{}:{}: {message}", span.start.line, span.start.column),
        None => format!("{path}: {message}"),
    }
}
