//! Which input columns each insight needs, found from its SQL through the
//! staging views: an insight whose results are about products (or
//! countries, or descriptions) cannot run on an export without them, and is
//! skipped with its reason instead of writing a table of nulls.
//!
//! An insight needs the `transactions` columns its key columns are computed
//! from, and those it joins on. Filters are left out: every sale is filtered
//! on its product code (`is_product`), which is true for an export without
//! product codes, so a filter does not make an insight about products.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::prelude::SessionContext;
use insights_catalog::{Catalog, Model, ModelKind, Params};

use crate::EngineError;
use crate::check::register_empty_sources;
use crate::params::param_values;

type Sources = BTreeSet<String>;

/// For each model of `models` (dependencies first) that is an insight, the
/// `transactions` columns it needs.
async fn needed_columns(
    catalog: &Catalog,
    models: &[&Model],
    params: &BTreeMap<String, Params>,
) -> Result<BTreeMap<String, Sources>, EngineError> {
    let ctx = SessionContext::new();
    crate::functions::register_in(&ctx).map_err(EngineError::Session)?;
    register_empty_sources(&ctx).map_err(EngineError::Session)?;
    let no_params = Params::new();
    let mut needs = BTreeMap::new();
    for model in catalog.staging_for(models).into_iter().chain(models.iter().copied()) {
        let values = param_values(params.get(model.name()).unwrap_or(&no_params));
        let df = ctx
            .sql(&model.sql)
            .await
            .and_then(|df| df.with_param_values(values))
            .map_err(crate::tables::model_error(model))?;
        if model.kind == ModelKind::Insight {
            needs.insert(model.name().to_string(), key_sources(model, df.logical_plan()));
        }
        if ctx.table_exist(model.name()).map_err(EngineError::Session)? {
            continue;
        }
        ctx.register_table(model.name(), df.into_view()).map_err(EngineError::Session)?;
    }
    Ok(needs)
}

/// The sources of the model's key columns (all its columns without a key)
/// and of every join condition in its plan.
fn key_sources(model: &Model, plan: &LogicalPlan) -> Sources {
    let mut joined_on = Sources::new();
    let columns = column_sources(plan, &mut joined_on);
    let fields = plan.schema().fields();
    let is_key = |name: &str| model.header.key.is_empty() || model.header.key.iter().any(|key| key == name);
    let mut needed = joined_on;
    for (field, sources) in fields.iter().zip(columns) {
        if is_key(field.name()) {
            needed.extend(sources);
        }
    }
    needed
}

/// For each output column of `plan`, the `transactions` columns it is
/// computed from; the sources of join conditions go to `joined_on`.
fn column_sources(plan: &LogicalPlan, joined_on: &mut Sources) -> Vec<Sources> {
    let width = plan.schema().fields().len();
    if let LogicalPlan::TableScan(scan) = plan {
        let table: Vec<Sources> = if scan.table_name.table() == "transactions" {
            scan.source.schema().fields().iter().map(|f| Sources::from([f.name().clone()])).collect()
        } else {
            match scan.source.get_logical_plan() {
                // A view: what its own plan computes each column from.
                Some(view) => column_sources(&view, joined_on),
                None => vec![Sources::new(); scan.source.schema().fields().len()],
            }
        };
        return match &scan.projection {
            Some(indices) => indices.iter().map(|&i| table[i].clone()).collect(),
            None => table,
        };
    }
    let inputs: Vec<&LogicalPlan> = plan.inputs();
    let input_sources: Vec<Vec<Sources>> = inputs.iter().map(|input| column_sources(input, joined_on)).collect();
    let of_expr = |expr: &Expr| -> Sources {
        let mut sources = Sources::new();
        for column in expr.column_refs() {
            for (input, columns) in inputs.iter().zip(&input_sources) {
                if let Some(index) = input.schema().maybe_index_of_column(column) {
                    sources.extend(columns[index].iter().cloned());
                }
            }
        }
        sources
    };
    let everything = || {
        let all: Sources = input_sources.iter().flatten().flatten().cloned().collect();
        vec![all; width]
    };
    let result: Vec<Sources> = match plan {
        LogicalPlan::Projection(projection) => projection.expr.iter().map(of_expr).collect(),
        LogicalPlan::Aggregate(aggregate) => {
            aggregate.group_expr.iter().chain(&aggregate.aggr_expr).map(of_expr).collect()
        }
        LogicalPlan::Window(window) => {
            input_sources[0].iter().cloned().chain(window.window_expr.iter().map(of_expr)).collect()
        }
        LogicalPlan::Join(join) => {
            for (left, right) in &join.on {
                joined_on.extend(of_expr(left));
                joined_on.extend(of_expr(right));
            }
            if let Some(filter) = &join.filter {
                joined_on.extend(of_expr(filter));
            }
            let (left, right) = (&input_sources[0], &input_sources[1]);
            if width == left.len() + right.len() {
                left.iter().chain(right).cloned().collect()
            } else if width <= left.len() {
                left[..width].to_vec()
            } else {
                // A mark join: the left side and a flag.
                left.iter().cloned().chain(std::iter::repeat_with(Sources::new)).take(width).collect()
            }
        }
        LogicalPlan::Union(_) => (0..width)
            .map(|i| input_sources.iter().filter_map(|columns| columns.get(i)).flatten().cloned().collect())
            .collect(),
        // Filters, sorts, limits, aliases: the input's columns as they are.
        _ if input_sources.len() == 1 && input_sources[0].len() == width => input_sources[0].clone(),
        _ => everything(),
    };
    if result.len() == width { result } else { everything() }
}

/// The `transactions` columns no input had that are null without it, as
/// the ingest reported them.
pub(crate) fn null_columns(summary: &insights_ingest::IngestSummary) -> BTreeSet<String> {
    summary.absent_columns.iter().filter(|c| insights_ingest::NULL_WHEN_ABSENT.contains(&c.as_str())).cloned().collect()
}

/// The insights of `models` to skip, each with its reason: those that need
/// a column of `null_columns`, and those that read a skipped insight.
pub(crate) async fn insights_to_skip(
    catalog: &Catalog,
    models: &[&Model],
    params: &BTreeMap<String, Params>,
    null_columns: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, EngineError> {
    let mut skipped = BTreeMap::new();
    if null_columns.is_empty() {
        return Ok(skipped);
    }
    let needs = needed_columns(catalog, models, params).await?;
    for model in models {
        let missing: Vec<&str> = needs
            .get(model.name())
            .into_iter()
            .flatten()
            .filter(|c| null_columns.contains(*c))
            .map(String::as_str)
            .collect();
        let skipped_reads: Vec<&str> =
            model.dependencies.iter().filter(|d| skipped.contains_key(*d)).map(String::as_str).collect();
        let reason = if !missing.is_empty() {
            format!("needs {}, which the input does not have", join_columns(&missing))
        } else if !skipped_reads.is_empty() {
            format!("reads {}, which was skipped", skipped_reads.join(", "))
        } else {
            continue;
        };
        skipped.insert(model.name().to_string(), reason);
    }
    Ok(skipped)
}

/// `stock_code`, `stock_code and country`, `a, b and c`.
fn join_columns(columns: &[&str]) -> String {
    match columns {
        [] => String::new(),
        [one] => format!("`{one}`"),
        [rest @ .., last] => {
            format!("{} and `{last}`", rest.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::SOURCE_TABLES;

    /// Needs of each insight of a catalog of `(name, key, query)` over a
    /// staging view `lines` of `transactions`.
    async fn needs_of(insights: &[(&str, &str, &str)]) -> BTreeMap<String, Sources> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("staging")).unwrap();
        let lines = "-- name: lines\n-- version: 1\n-- description: test\n\n\
                     select *, quantity * unit_price as revenue from transactions\n";
        std::fs::write(dir.path().join("staging/lines.sql"), lines).unwrap();
        for (name, key, sql) in insights {
            let text = format!("-- name: {name}\n-- version: 1\n-- description: test\n-- key: [{key}]\n\n{sql}\n");
            std::fs::write(dir.path().join(format!("{name}.sql")), text).unwrap();
        }
        let catalog = Catalog::load(dir.path(), &SOURCE_TABLES).unwrap();
        let selected = catalog.select(&[]).unwrap();
        needed_columns(&catalog, &selected, &BTreeMap::new()).await.unwrap()
    }

    #[tokio::test]
    async fn an_insight_needs_what_its_key_comes_from_and_what_it_joins_on() {
        let needs = needs_of(&[
            ("by_country", "country", "select country, sum(revenue) as revenue from lines group by country"),
            (
                "by_customer",
                "customer_id",
                "select customer_id, max(country) as country, sum(revenue) as revenue from lines \
                 where stock_code is not null group by customer_id",
            ),
            (
                "named",
                "customer_id",
                "select a.customer_id from lines as a join lines as b on a.description = b.description",
            ),
            ("ranked", "rank", "select row_number() over (order by country) as rank from by_country"),
        ])
        .await;
        let set = |columns: &[&str]| columns.iter().map(|c| c.to_string()).collect::<Sources>();
        assert_eq!(needs["by_country"], set(&["country"]));
        assert_eq!(needs["by_customer"], set(&["customer_id"]), "attributes and filters are not needs");
        assert_eq!(needs["named"], set(&["customer_id", "description"]));
        assert_eq!(needs["ranked"], set(&["country"]), "through the insight it reads");
    }
}
