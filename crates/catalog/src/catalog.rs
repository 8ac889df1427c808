//! Loading the `sql/` directory and ordering it by dependency.
//!
//! Layout: `sql/curated/transactions.sql` cleans raw lines at ingest,
//! `sql/staging/*.sql` are views shared by the insights (written once, never
//! copied), and every other `*.sql` file under `sql/` is an insight whose
//! result is stored as a table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::CatalogError;
use crate::header::{Header, Materialized, parse_header};
use crate::params::{ParamOverride, ParamSpec, ParamType, Params};
use crate::sql::{SqlProblem, analyse};

/// What a SQL file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Cleans raw lines into the curated `transactions` table at ingest.
    Curation,
    /// A view every insight may read (`sales` and friends).
    Staging,
    /// A result table written as Parquet.
    Insight,
}

/// One SQL file of the catalog.
#[derive(Debug, Clone)]
pub struct Model {
    pub kind: ModelKind,
    pub path: PathBuf,
    pub header: Header,
    pub params: Vec<ParamSpec>,
    /// The whole file text, header included, exactly as executed.
    pub sql: String,
    /// sha256 of the query and its parameter declarations, hex (see `results_checksum`).
    pub checksum: String,
    /// The tables and views this query reads.
    pub dependencies: BTreeSet<String>,
}

/// sha256 of what decides an insight's results: the query and its parameter
/// declarations. Description, key and chart are presentation, so editing them
/// needs no version bump.
fn results_checksum(header: &crate::Header, text: &str) -> String {
    let (_, query) = crate::header::split_header(text);
    let mut hasher = Sha256::new();
    for (name, param) in &header.params {
        hasher.update(format!("-- param {name}: {} = {:?}\n", param.ty, param.default));
    }
    hasher.update(query.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Model {
    pub fn name(&self) -> &str {
        &self.header.name
    }

    pub fn version(&self) -> u32 {
        self.header.version
    }

    /// One line of the description, for listings.
    pub fn summary(&self) -> String {
        self.header.description.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn load(path: &Path, kind: ModelKind) -> Result<Self, CatalogError> {
        let sql =
            std::fs::read_to_string(path).map_err(|source| CatalogError::Io { path: path.to_path_buf(), source })?;
        let header_error = |message: String| CatalogError::Header { path: path.to_path_buf(), message };
        let header = parse_header(&sql).map_err(header_error)?;
        if kind != ModelKind::Staging && header.materialized != Materialized::View {
            return Err(header_error(
                "`materialized` is for staging files (sql/staging/); an insight is always a table".into(),
            ));
        }
        let params = header
            .params
            .iter()
            .map(|(name, declared)| {
                let ty = ParamType::parse(&declared.ty).ok_or_else(|| {
                    header_error(format!(
                        "parameter `{name}` has unknown type `{}` (use int, float, text, date or bool)",
                        declared.ty
                    ))
                })?;
                let default = ty
                    .from_yaml(&declared.default)
                    .map_err(|e| header_error(format!("parameter `{name}` has a bad default: {e}")))?;
                Ok(ParamSpec { name: name.clone(), ty, default, description: declared.description.clone() })
            })
            .collect::<Result<Vec<_>, CatalogError>>()?;
        let facts = analyse(&sql).map_err(|problem| match problem {
            SqlProblem::Syntax(message) => CatalogError::Syntax { path: path.to_path_buf(), message },
            SqlProblem::NotReadOnly(message) => CatalogError::NotReadOnly { path: path.to_path_buf(), message },
        })?;
        if let Some(name) = facts.placeholders.iter().find(|name| !header.params.contains_key(*name)) {
            return Err(CatalogError::UndeclaredParam {
                path: path.to_path_buf(),
                name: name.clone(),
                declared: join_or_none(header.params.keys()),
            });
        }
        let checksum = results_checksum(&header, &sql);
        Ok(Self { kind, path: path.to_path_buf(), header, params, sql, checksum, dependencies: facts.tables })
    }
}

/// The loaded, checked and ordered catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub dir: PathBuf,
    /// The ingest cleaning query, when `curated/transactions.sql` exists.
    pub curation: Option<Model>,
    /// Staging views and insights, each after everything it reads.
    pub models: Vec<Model>,
}

impl Catalog {
    /// Loads every SQL file under `dir`. `sources` are the tables the engine
    /// provides (e.g. `transactions`); anything else a query reads must be
    /// another file of the catalog.
    pub fn load(dir: &Path, sources: &[&str]) -> Result<Self, CatalogError> {
        let mut files = Vec::new();
        collect_sql_files(dir, &mut files)?;
        files.sort();
        let mut curation = None;
        let mut models: Vec<Model> = Vec::new();
        for path in files {
            let relative = path.strip_prefix(dir).unwrap_or(&path);
            let kind = match relative.components().next().and_then(|c| c.as_os_str().to_str()) {
                Some("curated") => ModelKind::Curation,
                Some("staging") => ModelKind::Staging,
                _ => ModelKind::Insight,
            };
            let model = Model::load(&path, kind)?;
            if kind == ModelKind::Curation {
                curation = Some(model);
                continue;
            }
            if let Some(other) = models.iter().find(|m| m.name() == model.name()) {
                return Err(CatalogError::DuplicateName {
                    name: model.name().to_string(),
                    first: other.path.clone(),
                    second: model.path.clone(),
                });
            }
            if sources.contains(&model.name()) {
                return Err(CatalogError::Header {
                    path: model.path.clone(),
                    message: format!("the name `{}` is reserved for a source table", model.name()),
                });
            }
            models.push(model);
        }
        let models = order_by_dependency(models, sources)?;
        Ok(Self { dir: dir.to_path_buf(), curation, models })
    }

    pub fn insights(&self) -> impl Iterator<Item = &Model> {
        self.models.iter().filter(|m| m.kind == ModelKind::Insight)
    }

    pub fn staging(&self) -> impl Iterator<Item = &Model> {
        self.models.iter().filter(|m| m.kind == ModelKind::Staging)
    }

    pub fn get(&self, name: &str) -> Result<&Model, CatalogError> {
        self.models.iter().find(|m| m.name() == name).ok_or_else(|| CatalogError::UnknownInsight {
            name: name.to_string(),
            known: join_or_none(self.insights().map(Model::name)),
        })
    }

    /// The staging models `selected` read, directly or through other staging
    /// models, in dependency order: a run materializes only these.
    pub fn staging_for(&self, selected: &[&Model]) -> Vec<&Model> {
        let mut wanted: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&str> = selected.iter().flat_map(|m| m.dependencies.iter().map(String::as_str)).collect();
        while let Some(name) = stack.pop() {
            if let Some(model) = self.staging().find(|m| m.name() == name)
                && wanted.insert(model.name())
            {
                stack.extend(model.dependencies.iter().map(String::as_str));
            }
        }
        self.staging().filter(|m| wanted.contains(m.name())).collect()
    }

    /// The insights to run for `only` (all when empty) plus every insight
    /// they read, in dependency order.
    pub fn select(&self, only: &[String]) -> Result<Vec<&Model>, CatalogError> {
        if only.is_empty() {
            return Ok(self.insights().collect());
        }
        let mut wanted = BTreeSet::new();
        let mut stack: Vec<&str> = Vec::new();
        for name in only {
            stack.push(self.get(name)?.name());
        }
        while let Some(name) = stack.pop() {
            if wanted.insert(name.to_string()) {
                let model = self.get(name)?;
                stack.extend(
                    model
                        .dependencies
                        .iter()
                        .filter(|d| self.models.iter().any(|m| m.name() == d.as_str()))
                        .map(String::as_str),
                );
            }
        }
        Ok(self.insights().filter(|m| wanted.contains(m.name())).collect())
    }

    /// Resolves every insight's parameters: header default, then `config`
    /// (`insight -> name -> value`), then `overrides` (flags), later winning.
    /// Unknown names and wrong types are errors.
    pub fn resolve_params(
        &self,
        config: &BTreeMap<String, BTreeMap<String, serde_yaml::Value>>,
        overrides: &[ParamOverride],
    ) -> Result<BTreeMap<String, Params>, CatalogError> {
        for (insight, values) in config {
            let model = self.get(insight).map_err(|_| {
                CatalogError::Param(format!(
                    "config `params.{insight}`: no insight of that name (known: {})",
                    join_or_none(self.models.iter().map(Model::name))
                ))
            })?;
            for name in values.keys() {
                if !model.params.iter().any(|p| &p.name == name) {
                    return Err(unknown_param(&format!("{insight}.{name}"), model.params.iter()));
                }
            }
        }
        let all_params = || self.models.iter().flat_map(|m| m.params.iter());
        for o in overrides {
            let known = match &o.insight {
                Some(insight) => self.get(insight)?.params.iter().any(|p| p.name == o.name),
                None => all_params().any(|p| p.name == o.name),
            };
            if !known {
                return Err(unknown_param(&o.key(), all_params()));
            }
        }
        let mut resolved = BTreeMap::new();
        for model in &self.models {
            let mut params = Params::new();
            for spec in &model.params {
                let mut value = spec.default.clone();
                if let Some(v) = config.get(model.name()).and_then(|c| c.get(&spec.name)) {
                    value = spec.ty.from_yaml(v).map_err(|e| {
                        CatalogError::Param(format!("config `params.{}.{}`: {e}", model.name(), spec.name))
                    })?;
                }
                for o in overrides
                    .iter()
                    .filter(|o| o.name == spec.name && o.insight.as_deref().is_none_or(|i| i == model.name()))
                {
                    value = spec
                        .ty
                        .parse_value(&o.value)
                        .map_err(|e| CatalogError::Param(format!("--param {}: {e}", o.key())))?;
                }
                params.insert(spec.name.clone(), value);
            }
            resolved.insert(model.name().to_string(), params);
        }
        self.check_shared_params(&resolved)?;
        Ok(resolved)
    }

    /// A parameter an insight shares by name with a model it reads means the
    /// same thing in both (basket_rules' `min_orders` is the threshold of
    /// the product_affinity pairs it reads), so the two values must agree.
    fn check_shared_params(&self, resolved: &BTreeMap<String, Params>) -> Result<(), CatalogError> {
        for model in &self.models {
            for upstream in model.dependencies.iter().filter_map(|name| self.get(name).ok()) {
                let (mine, theirs) = (&resolved[model.name()], &resolved[upstream.name()]);
                for (name, value) in mine {
                    if let Some(other) = theirs.get(name).filter(|other| *other != value) {
                        return Err(CatalogError::Param(format!(
                            "{}.{name} is {value} but {}.{name} is {other}: {} reads {}, and a parameter of the \
                             same name must have the same value in both (set it for all with --param {name}=VALUE)",
                            model.name(),
                            upstream.name(),
                            model.name(),
                            upstream.name()
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn unknown_param<'a>(key: &str, known: impl Iterator<Item = &'a ParamSpec>) -> CatalogError {
    let names: BTreeSet<String> = known.map(|p| format!("{} ({})", p.name, p.ty.name())).collect();
    CatalogError::Param(format!("unknown parameter `{key}` (known: {})", join_or_none(names.iter())))
}

fn join_or_none<T: AsRef<str>>(items: impl Iterator<Item = T>) -> String {
    let joined = items.map(|i| i.as_ref().to_string()).collect::<Vec<_>>().join(", ");
    if joined.is_empty() { "none".into() } else { joined }
}

fn collect_sql_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), CatalogError> {
    let io = |source| CatalogError::Io { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect_sql_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}

/// Orders models so each comes after what it reads (alphabetical among
/// equals, so the order is stable). Unknown tables and cycles are errors.
fn order_by_dependency(models: Vec<Model>, sources: &[&str]) -> Result<Vec<Model>, CatalogError> {
    let names: BTreeSet<&str> = models.iter().map(Model::name).collect();
    for model in &models {
        if let Some(table) =
            model.dependencies.iter().find(|t| !names.contains(t.as_str()) && !sources.contains(&t.as_str()))
        {
            let known = sources.iter().copied().chain(names.iter().copied());
            return Err(CatalogError::UnknownTable {
                path: model.path.clone(),
                table: table.clone(),
                known: join_or_none(known),
            });
        }
    }
    let mut remaining: BTreeMap<String, Model> = models.into_iter().map(|m| (m.name().to_string(), m)).collect();
    let mut ordered = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining
            .values()
            .find(|m| m.dependencies.iter().all(|d| !remaining.contains_key(d)))
            .map(|m| m.name().to_string());
        match ready {
            Some(name) => ordered.push(remaining.remove(&name).expect("present")),
            None => return Err(CatalogError::Cycle(describe_cycle(&remaining))),
        }
    }
    Ok(ordered)
}

/// Follows dependencies among the unresolved models until one repeats.
fn describe_cycle(remaining: &BTreeMap<String, Model>) -> String {
    let mut path: Vec<&Model> = vec![remaining.values().next().expect("non-empty")];
    loop {
        let current = path.last().expect("non-empty");
        let next = current
            .dependencies
            .iter()
            .find_map(|d| remaining.get(d))
            .expect("an unresolved model reads another unresolved model");
        if let Some(start) = path.iter().position(|m| m.name() == next.name()) {
            let cycle = &path[start..];
            return cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(|m| format!("{} ({})", m.name(), m.path.display()))
                .collect::<Vec<_>>()
                .join(" reads ");
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, name: &str, body: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!("-- name: {name}\n-- version: 1\n-- description: test\n-- params:\n--   limit: {{type: int, default: 3, description: n}}\n{body}\n"),
        )
        .unwrap();
    }

    #[test]
    fn orders_by_dependency_and_selects_closure() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "staging/sales.sql", "sales", "select * from transactions");
        write(dir.path(), "a.sql", "a_top", "select * from b_base where x < $limit");
        write(dir.path(), "b.sql", "b_base", "select * from sales");
        write(dir.path(), "c.sql", "c_other", "select * from sales");
        let catalog = Catalog::load(dir.path(), &["transactions"]).unwrap();
        let order: Vec<_> = catalog.models.iter().map(Model::name).collect();
        assert_eq!(order, ["sales", "b_base", "a_top", "c_other"]);
        let selected: Vec<_> = catalog.select(&["a_top".into()]).unwrap().iter().map(|m| m.name()).collect();
        assert_eq!(selected, ["b_base", "a_top"]);
    }

    #[test]
    fn a_run_needs_only_the_staging_its_insights_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "staging/lines.sql", "lines", "select * from transactions");
        write(dir.path(), "staging/sales.sql", "sales", "select * from lines");
        write(dir.path(), "staging/orders.sql", "orders", "select * from sales");
        write(dir.path(), "staging/unused.sql", "unused", "select * from transactions");
        write(dir.path(), "by_line.sql", "by_line", "select * from sales");
        write(dir.path(), "by_order.sql", "by_order", "select * from orders join lines using (x)");
        let catalog = Catalog::load(dir.path(), &["transactions"]).unwrap();
        let staging_for = |only: &str| -> Vec<&str> {
            let selected = catalog.select(&[only.into()]).unwrap();
            catalog.staging_for(&selected).iter().map(|m| m.name()).collect()
        };
        assert_eq!(staging_for("by_line"), ["lines", "sales"]);
        assert_eq!(staging_for("by_order"), ["lines", "sales", "orders"]);
    }

    #[test]
    fn the_checksum_follows_the_query_and_parameters_not_the_presentation() {
        let checksum = |text: &str| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("a.sql"), text).unwrap();
            Catalog::load(dir.path(), &["sales"]).unwrap().get("a").unwrap().checksum.clone()
        };
        let base = "-- name: a\n-- version: 1\n-- description: one\n-- params:\n--   n: {type: int, default: 3, description: n}\nselect * from sales limit $n\n";
        let original = checksum(base);
        let presentation = base
            .replace("description: one", "description: another")
            .replace("-- params:", "-- chart: {kind: bar, x: a, y: b}\n-- key: [a]\n-- params:");
        assert_eq!(checksum(&presentation), original);
        assert_ne!(checksum(&base.replace("limit $n", "limit $n + 1")), original);
        assert_ne!(checksum(&base.replace("default: 3", "default: 4")), original);
    }

    #[test]
    fn only_staging_files_may_be_materialized() {
        let dir = tempfile::tempdir().unwrap();
        let header =
            "-- name: NAME\n-- version: 1\n-- description: d\n-- materialized: table\nselect * from transactions\n";
        std::fs::create_dir_all(dir.path().join("staging")).unwrap();
        std::fs::write(dir.path().join("staging/sales.sql"), header.replace("NAME", "sales")).unwrap();
        let catalog = Catalog::load(dir.path(), &["transactions"]).unwrap();
        assert_eq!(catalog.get("sales").unwrap().header.materialized, Materialized::Table);
        std::fs::write(dir.path().join("top.sql"), header.replace("NAME", "top")).unwrap();
        let err = Catalog::load(dir.path(), &["transactions"]).unwrap_err().to_string();
        assert!(err.contains("top.sql") && err.contains("`materialized` is for staging files"), "{err}");
        std::fs::remove_file(dir.path().join("top.sql")).unwrap();
        std::fs::write(dir.path().join("staging/sales.sql"), header.replace("NAME", "sales").replace("table", "cache"))
            .unwrap();
        let err = Catalog::load(dir.path(), &["transactions"]).unwrap_err().to_string();
        assert!(err.contains("unknown variant `cache`") && err.contains("view") && err.contains("table"), "{err}");
    }

    #[test]
    fn reports_cycles_unknown_tables_and_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.sql", "a", "select * from b");
        write(dir.path(), "b.sql", "b", "select * from a");
        let err = Catalog::load(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("cycle") && err.contains("a.sql") && err.contains("b.sql"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.sql", "a", "select * from nowhere");
        let err = Catalog::load(dir.path(), &["transactions"]).unwrap_err().to_string();
        assert!(err.contains("a.sql") && err.contains("`nowhere`"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.sql", "same", "select 1");
        write(dir.path(), "b.sql", "same", "select 2");
        let err = Catalog::load(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("a.sql") && err.contains("b.sql"), "{err}");
    }

    #[test]
    fn resolves_params_with_precedence_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.sql", "a", "select $limit");
        write(dir.path(), "b.sql", "b", "select $limit");
        let catalog = Catalog::load(dir.path(), &[]).unwrap();
        let mut config = BTreeMap::new();
        config.insert("a".to_string(), BTreeMap::from([("limit".to_string(), serde_yaml::Value::from(7))]));
        let overrides = [ParamOverride::parse("b.limit=9").unwrap()];
        let params = catalog.resolve_params(&config, &overrides).unwrap();
        assert_eq!(params["a"]["limit"].to_string(), "7");
        assert_eq!(params["b"]["limit"].to_string(), "9");
        let err = catalog.resolve_params(&BTreeMap::new(), &[ParamOverride::parse("limt=1").unwrap()]).unwrap_err();
        assert!(err.to_string().contains("unknown parameter `limt`"), "{err}");
        let err = catalog.resolve_params(&BTreeMap::new(), &[ParamOverride::parse("limit=x").unwrap()]).unwrap_err();
        assert!(err.to_string().contains("expected an integer"), "{err}");
    }

    #[test]
    fn a_parameter_shared_along_a_dependency_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.sql", "a", "select $limit");
        write(dir.path(), "b.sql", "b", "select $limit from a");
        let catalog = Catalog::load(dir.path(), &[]).unwrap();
        let params = catalog.resolve_params(&BTreeMap::new(), &[ParamOverride::parse("limit=9").unwrap()]).unwrap();
        assert_eq!(params["b"]["limit"].to_string(), "9");
        let err = catalog.resolve_params(&BTreeMap::new(), &[ParamOverride::parse("b.limit=9").unwrap()]).unwrap_err();
        assert!(err.to_string().contains("b.limit is 9 but a.limit is 3: b reads a"), "{err}");
    }
}
