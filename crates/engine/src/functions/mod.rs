//! SQL functions for what SQL cannot say at an acceptable cost: fitting and
//! applying the lifetime-value models (`insights_models`), counting the
//! values and pairs within lists that product_affinity and basket_rules
//! need, and matching baskets with rules for product_recommendations.
//! Every session the engine makes registers them — a run's, `insights
//! query` and `shell`, the scheduler's and every executor's — so a plan
//! that names them can be decoded wherever it runs. Documented for
//! analysts in docs/functions.md.

mod baskets;
mod fits;
mod frequent_values;
mod offers;
mod predictions;
mod values;

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::plan_err;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;

/// `bgnbd_fit`, `gamma_gamma_fit`.
pub(crate) fn aggregate_functions() -> Vec<Arc<AggregateUDF>> {
    vec![Arc::new(AggregateUDF::from(fits::BgNbdFit::new())), Arc::new(AggregateUDF::from(fits::GammaGammaFit::new()))]
}

/// `bgnbd_p_alive`, `bgnbd_expected_purchases`, `gamma_gamma_expected_value`,
/// `frequent_values`, `frequent_pairs`, `basket_offers`.
pub(crate) fn scalar_functions() -> Vec<Arc<ScalarUDF>> {
    let mut functions: Vec<Arc<ScalarUDF>> = predictions::all().into_iter().map(Arc::new).collect();
    functions.push(Arc::new(ScalarUDF::from(frequent_values::FrequentValues::new())));
    functions.push(Arc::new(ScalarUDF::from(baskets::FrequentPairs::new())));
    functions.push(Arc::new(ScalarUDF::from(offers::BasketOffers::new())));
    functions
}

/// Registers every function in `registry`: a session state as
/// `registry::session_state` builds it, or the state of a context made
/// another way (the catalog check's; a Ballista client's, whose state
/// Ballista rebuilds with its own function lists in `upgrade_for_ballista`,
/// dropping ours).
pub(crate) fn register_all(registry: &mut dyn FunctionRegistry) -> Result<()> {
    for function in scalar_functions() {
        registry.register_udf(function)?;
    }
    for function in aggregate_functions() {
        registry.register_udaf(function)?;
    }
    Ok(())
}

/// The names of the engine's own functions, which other SQL engines lack.
pub fn engine_function_names() -> Vec<String> {
    let scalar = scalar_functions().into_iter().map(|f| f.name().to_string());
    scalar.chain(aggregate_functions().into_iter().map(|f| f.name().to_string())).collect()
}

/// The same for a context's state.
pub(crate) fn register_in(ctx: &SessionContext) -> Result<()> {
    register_all(&mut *ctx.state_ref().write())
}

/// Coerces every argument of `function` to Float64, except the ones named
/// in `counts` (Int64); anything that is not a number is a planning error
/// naming the argument.
fn coerce_numbers(function: &str, names: &[&str], counts: &[&str], types: &[DataType]) -> Result<Vec<DataType>> {
    let mut coerced = Vec::with_capacity(types.len());
    for (position, ty) in types.iter().enumerate() {
        let name = names.get(position).copied().unwrap_or("?");
        if !(ty.is_numeric() || ty.is_null()) {
            return plan_err!("{function}: argument {} ({name}) must be a number, found {ty}", position + 1);
        }
        coerced.push(if counts.contains(&name) { DataType::Int64 } else { DataType::Float64 });
    }
    Ok(coerced)
}

/// An execution error that names the function: what the user sees when a
/// value is outside the model's domain.
fn domain_error(function: &str, error: insights_models::ModelError) -> DataFusionError {
    DataFusionError::Execution(format!("{function}: {error}"))
}

/// The first value of `query`'s first column as Arrow displays it (a null
/// as nothing), in a session with the engine's functions: what the list
/// functions' tests compare.
#[cfg(test)]
async fn first_value_displayed(query: &str) -> Result<String> {
    let ctx = SessionContext::new();
    register_in(&ctx)?;
    let batches = ctx.sql(query).await?.collect().await?;
    Ok(datafusion::arrow::util::display::array_value_to_string(batches[0].column(0), 0)?)
}
