//! The order in which a run starts its models, so that long chains of
//! insights start first and each model starts as soon as what it reads is
//! there.

use std::collections::{BTreeMap, BTreeSet};

use insights_catalog::{Model, ModelKind};

/// The order in which models start: of those whose dependencies are
/// there, first the ones with the longest chain of models waiting on them,
/// then the deepest in a chain of insights (its chain has started), then
/// catalog order. Sources are there from the start.
pub struct StartOrder<'a> {
    /// Not started yet, best first.
    pub waiting: Vec<&'a Model>,
    unfinished: BTreeSet<&'a str>,
    /// The most insights above each model in a chain of insights it reads.
    depth: BTreeMap<&'a str, usize>,
}

impl<'a> StartOrder<'a> {
    /// `models` lists dependencies first: staging models, then insights.
    pub fn new(models: &[&'a Model]) -> Self {
        let names: BTreeSet<&str> = models.iter().map(|model| model.name()).collect();
        let reads = |model: &Model, other: &str| model.dependencies.contains(other) && names.contains(other);
        // One pass each way settles the depth (insights above) and the
        // height (models below).
        let mut depth: BTreeMap<&str, usize> = BTreeMap::new();
        for model in models {
            let above = models
                .iter()
                .filter(|other| other.kind == ModelKind::Insight && reads(model, other.name()))
                .map(|other| depth[other.name()] + 1);
            depth.insert(model.name(), above.max().unwrap_or(0));
        }
        let mut height: BTreeMap<&str, usize> = BTreeMap::new();
        for model in models.iter().rev() {
            let below = models.iter().filter(|other| reads(other, model.name())).map(|other| height[other.name()] + 1);
            height.insert(model.name(), below.max().unwrap_or(0));
        }
        let mut waiting = models.to_vec();
        // Stable: equal priorities keep the catalog order.
        waiting.sort_by_key(|model| std::cmp::Reverse((height[model.name()], depth[model.name()])));
        Self { waiting, unfinished: names, depth }
    }

    /// Whether `model` reads the table of another selected insight.
    pub fn reads_an_insight(&self, model: &Model) -> bool {
        self.depth.get(model.name()).is_some_and(|&depth| depth > 0)
    }

    /// Takes the best model whose dependencies have finished.
    pub fn next_ready(&mut self) -> Option<&'a Model> {
        let unfinished = &self.unfinished;
        let ready = |model: &Model| !model.dependencies.iter().any(|dep| unfinished.contains(dep.as_str()));
        let position = self.waiting.iter().position(|model| ready(model))?;
        Some(self.waiting.remove(position))
    }

    pub fn finished(&mut self, name: &str) {
        self.unfinished.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use insights_catalog::Catalog;

    use super::*;
    use crate::tables::SOURCE_TABLES;

    /// A catalog of `(name, tables it reads)`, each insight a one-line query.
    fn catalog(insights: &[(&str, &[&str])]) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        for (name, reads) in insights {
            let from = if reads.is_empty() { "transactions".to_string() } else { reads.join(", ") };
            let sql = format!("-- name: {name}\n-- version: 1\n-- description: test\n\nselect 1 as one from {from}\n");
            std::fs::write(dir.path().join(format!("{name}.sql")), sql).unwrap();
        }
        let catalog = Catalog::load(dir.path(), &SOURCE_TABLES).unwrap();
        (dir, catalog)
    }

    #[test]
    fn a_chain_starts_first_and_its_next_link_as_soon_as_it_is_ready() {
        let (_dir, catalog) = catalog(&[
            ("a_leaf", &[]),
            ("b_leaf", &[]),
            ("chain_start", &[]),
            ("chain_middle", &["chain_start"]),
            ("chain_end", &["chain_middle", "a_leaf"]),
        ]);
        let selected = catalog.select(&[]).unwrap();
        let mut order = StartOrder::new(&selected);
        let reads_an_insight = |name: &str| order.reads_an_insight(catalog.get(name).unwrap());
        assert!(!reads_an_insight("chain_start") && !reads_an_insight("a_leaf"));
        assert!(reads_an_insight("chain_middle") && reads_an_insight("chain_end"));
        let mut next = || order.next_ready().map(|model| model.name().to_string());
        assert_eq!(next().as_deref(), Some("chain_start"));
        assert_eq!(next().as_deref(), Some("a_leaf"));
        assert_eq!(next().as_deref(), Some("b_leaf"));
        assert_eq!(next(), None, "the rest wait for chain_start");
        order.finished("chain_start");
        assert_eq!(order.next_ready().map(Model::name), Some("chain_middle"));
        order.finished("chain_middle");
        assert_eq!(order.next_ready().map(Model::name), None, "chain_end also reads a_leaf");
        order.finished("a_leaf");
        assert_eq!(order.next_ready().map(Model::name), Some("chain_end"));
        assert_eq!(order.next_ready().map(Model::name), None);
    }

    #[test]
    fn staging_models_start_as_soon_as_what_they_read_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, name: &str, materialized: &str, from: &str| {
            let sql = format!(
                "-- name: {name}\n-- version: 1\n-- description: test\n{materialized}\nselect 1 as one from {from}\n"
            );
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, sql).unwrap();
        };
        write("staging/lines.sql", "lines", "", "transactions");
        write("staging/sales.sql", "sales", "-- materialized: table", "lines");
        write("staging/orders.sql", "orders", "-- materialized: table", "sales");
        write("staging/cohorts.sql", "cohorts", "", "orders");
        write("by_line.sql", "by_line", "", "sales");
        write("by_cohort.sql", "by_cohort", "", "cohorts");
        write("by_product.sql", "by_product", "", "sales");
        write("after_product.sql", "after_product", "", "by_product");
        let catalog = Catalog::load(dir.path(), &SOURCE_TABLES).unwrap();
        let selected = catalog.select(&[]).unwrap();
        let models: Vec<&Model> = catalog.staging_for(&selected).into_iter().chain(selected).collect();
        let mut order = StartOrder::new(&models);
        let mut next = || order.next_ready().map(|model| model.name().to_string());
        assert_eq!(next().as_deref(), Some("lines"), "a view is there as soon as what it reads is");
        assert_eq!(next(), None, "everything else waits for lines");
        order.finished("lines");
        assert_eq!(order.next_ready().map(Model::name), Some("sales"));
        order.finished("sales");
        let ready: Vec<&str> = std::iter::from_fn(|| order.next_ready().map(Model::name)).collect();
        assert_eq!(ready, ["orders", "by_product", "by_line"], "the longest chains first; cohorts waits for orders");
        assert!(!order.reads_an_insight(catalog.get("by_cohort").unwrap()), "staging is not an insight");
        assert!(order.reads_an_insight(catalog.get("after_product").unwrap()));
        order.finished("orders");
        assert_eq!(order.next_ready().map(Model::name), Some("cohorts"));
    }
}
