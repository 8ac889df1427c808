//! The same-run baseline of `insights-bench`: the catalog's SQL on DuckDB,
//! an embedded single-node SQL engine — the curation query over the same
//! generated input, then every insight. Timing both on the same machine in
//! the same run turns noisy seconds into a ratio that means something
//! ("beat a single-node engine").
//!
//! The work is done by `bench/duckdb_baseline.py` and the engine SQL
//! functions of `bench/engine_functions.py` (embedded in this binary);
//! this module writes its plan: the input, the curation query, and every
//! staging model and insight in dependency order with its parameters bound
//! as literals.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use insights_catalog::{Catalog, Materialized, ModelKind, ParamType};
use insights_engine::Manifest;
use serde::Deserialize;

const SCRIPT: &str = include_str!("../../../bench/duckdb_baseline.py");
/// The engine's SQL functions for DuckDB, which the script imports from
/// beside it.
const ENGINE_FUNCTIONS: &str = include_str!("../../../bench/engine_functions.py");

/// What the script reports.
#[derive(Debug, Deserialize)]
pub struct BaselineResult {
    pub engine: String,
    /// The curation query, from the generated input to a curated layer.
    pub curation_seconds: f64,
    pub curated_lines: u64,
    /// The insights, over that layer.
    pub seconds: f64,
    pub insights: Vec<BaselineInsight>,
}

#[derive(Debug, Deserialize)]
pub struct BaselineInsight {
    pub name: String,
    pub seconds: f64,
    pub rows: u64,
}

/// Checks, before any data is generated, that `python` can import what the
/// baseline needs.
pub fn check_python(python: &Path) -> Result<()> {
    let imports = Command::new(python)
        .args(["-c", "import duckdb, numpy, pyarrow, scipy"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if !imports {
        bail!(
            "the DuckDB baseline needs a Python with the duckdb, numpy, pyarrow and scipy modules, and {} lacks \
             some (run scripts/setup-bench-tools, pass --python FILE, or --baseline none)",
            python.display()
        );
    }
    Ok(())
}

/// A prepared baseline run: the command to time and where it reports.
pub struct Baseline {
    pub command: Command,
    result: PathBuf,
}

/// The engine's own SQL functions that `duckdb_baseline.py` defines for
/// DuckDB too, with NumPy and SciPy (the lifetime-value models, and the
/// counting of product_affinity's partners).
pub const BASELINE_FUNCTIONS: [&str; 6] = [
    "bgnbd_fit",
    "gamma_gamma_fit",
    "bgnbd_p_alive",
    "bgnbd_expected_purchases",
    "gamma_gamma_expected_value",
    "frequent_values",
];

/// The models that call an engine SQL function the baseline has no
/// version of (pair counting, basket offers), and the models that read
/// them: the bench leaves them out of both sides.
pub fn beyond_duckdb(catalog: &Catalog) -> Vec<String> {
    let functions: Vec<String> = insights_engine::engine_function_names()
        .into_iter()
        .filter(|name| !BASELINE_FUNCTIONS.contains(&name.as_str()))
        .map(|name| format!("{name}("))
        .collect();
    let mut left_out: Vec<String> = Vec::new();
    // The catalog lists dependencies first, so one pass settles it.
    for model in &catalog.models {
        let sql = model.sql.to_lowercase();
        let calls = functions.iter().any(|call| sql.contains(call.as_str()));
        if calls || model.dependencies.iter().any(|dependency| left_out.contains(dependency)) {
            left_out.push(model.name().to_string());
        }
    }
    left_out
}

impl Baseline {
    /// Writes the script and its plan into `work` for the run `manifest`
    /// committed in `output` from the generated `input`, with `threads`
    /// threads and an optional memory limit.
    pub fn prepare(
        python: &Path,
        catalog: &Catalog,
        input: &Path,
        (output, manifest): (&Path, &Manifest),
        work: &Path,
        threads: usize,
        memory_limit: Option<&str>,
    ) -> Result<Self> {
        let dir = work.join("duckdb");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tables"))?;
        let left_out = beyond_duckdb(catalog);
        let models: Vec<serde_json::Value> = catalog
            .models
            .iter()
            .filter(|model| model.kind != ModelKind::Curation && !left_out.contains(&model.name().to_string()))
            .map(|model| {
                let values = manifest.parameters.get(model.name());
                let literals: Vec<(String, String)> = model
                    .params
                    .iter()
                    .map(|spec| {
                        let value =
                            values.and_then(|v| v.get(&spec.name)).cloned().unwrap_or_else(|| spec.default.to_json());
                        (spec.name.clone(), sql_literal(spec.ty, &value))
                    })
                    .collect();
                serde_json::json!({
                    "name": model.name(),
                    "kind": if model.kind == ModelKind::Staging { "staging" } else { "insight" },
                    "materialized": model.header.materialized == Materialized::Table,
                    "path": model.path,
                    "sql": bind(&model.sql, &literals),
                })
            })
            .collect();
        let run = output.join(format!("runs/{}", manifest.run_id));
        let result = dir.join("result.json");
        let curation = catalog.curation.as_ref().context("the catalog has no curation query")?;
        let plan = serde_json::json!({
            "input": input,
            "curation": curation.sql,
            "curated": dir.join("curated"),
            "category_rules": run.join("seeds/category_rules.parquet"),
            "threads": threads,
            "memory_limit": memory_limit,
            "scratch": dir.join("spill"),
            "output": dir.join("tables"),
            "result": result,
            "models": models,
        });
        let plan_path = dir.join("plan.json");
        std::fs::write(&plan_path, serde_json::to_string_pretty(&plan)?)?;
        let script = dir.join("duckdb_baseline.py");
        std::fs::write(&script, SCRIPT)?;
        std::fs::write(dir.join("engine_functions.py"), ENGINE_FUNCTIONS)?;
        let mut command = Command::new(python);
        command.arg(script).arg(plan_path);
        Ok(Baseline { command, result })
    }

    /// Reads what the script reported, after it ran.
    pub fn result(&self) -> Result<BaselineResult> {
        let text = std::fs::read_to_string(&self.result)
            .with_context(|| format!("the DuckDB baseline wrote no {}", self.result.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not the baseline's result", self.result.display()))
    }
}

/// A parameter value as a typed SQL literal (`cast(… as …)` reads the same
/// in DuckDB and DataFusion, NULL included).
fn sql_literal(ty: ParamType, value: &serde_json::Value) -> String {
    let sql_type = match ty {
        ParamType::Int => "bigint",
        ParamType::Float => "double",
        ParamType::Text => "varchar",
        ParamType::Date => "date",
        ParamType::Bool => "boolean",
    };
    match value {
        serde_json::Value::Null => format!("cast(null as {sql_type})"),
        serde_json::Value::String(text) => format!("cast('{}' as {sql_type})", text.replace('\'', "''")),
        other => format!("cast({other} as {sql_type})"),
    }
}

/// Replaces each `$name` placeholder of `literals` in `sql` by its literal.
fn bind(sql: &str, literals: &[(String, String)]) -> String {
    let mut bound = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        bound.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        match literals.iter().find(|(name, _)| name == &after[..name_len]) {
            Some((_, literal)) => bound.push_str(literal),
            None => bound.push_str(&rest[at..at + 1 + name_len]),
        }
        rest = &after[name_len..];
    }
    bound.push_str(rest);
    bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_out_what_calls_functions_the_baseline_lacks_and_what_reads_it() {
        let sql = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sql");
        let catalog = Catalog::load(&sql, &insights_engine::SOURCE_TABLES).unwrap();
        let left_out = beyond_duckdb(&catalog);
        assert_eq!(left_out, ["basket_rules", "product_recommendations"]);
        for name in BASELINE_FUNCTIONS {
            assert!(insights_engine::engine_function_names().iter().any(|f| f == name), "{name}");
        }
    }

    #[test]
    fn binds_known_placeholders_as_typed_literals() {
        let literals = vec![
            ("min".to_string(), sql_literal(ParamType::Int, &serde_json::json!(50))),
            ("as_of".to_string(), sql_literal(ParamType::Date, &serde_json::Value::Null)),
            ("label".to_string(), sql_literal(ParamType::Text, &serde_json::json!("it's"))),
        ];
        assert_eq!(
            bind("where n >= $min and d = coalesce($as_of, d) and l = $label and $other", &literals),
            "where n >= cast(50 as bigint) and d = coalesce(cast(null as date), d) \
             and l = cast('it''s' as varchar) and $other"
        );
    }
}
