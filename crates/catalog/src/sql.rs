//! What the catalog reads out of the SQL text itself: that it is one
//! read-only query, which tables it reads and which `$parameters` it uses.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Ident, ObjectName, ObjectNamePart, Query, Statement, Value, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// The facts the catalog needs from one query.
#[derive(Debug, Default)]
pub(crate) struct QueryFacts {
    /// Tables and views read, lower-cased, CTE names excluded.
    pub tables: BTreeSet<String>,
    /// Placeholder names without the `$`.
    pub placeholders: BTreeSet<String>,
}

pub(crate) enum SqlProblem {
    Syntax(String),
    NotReadOnly(String),
}

/// Parses `sql` and checks it is exactly one read-only query.
pub(crate) fn analyse(sql: &str) -> Result<QueryFacts, SqlProblem> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql).map_err(|e| SqlProblem::Syntax(e.to_string()))?;
    let statement = match statements.as_slice() {
        [] => return Err(SqlProblem::NotReadOnly("contains no query".into())),
        [single] => single,
        [_, second, ..] => {
            return Err(SqlProblem::NotReadOnly(format!(
                "contains {} statements (the second starts with `{}`); an insight is exactly one query",
                statements.len(),
                first_words(&second.to_string())
            )));
        }
    };
    if !matches!(statement, Statement::Query(_)) {
        return Err(SqlProblem::NotReadOnly(format!(
            "is not a read-only query: `{}` statements are not allowed, only SELECT/WITH",
            first_words(&statement.to_string())
        )));
    }
    let mut collector = Collector::default();
    let _ = statement.visit(&mut collector);
    let tables = collector.relations.difference(&collector.ctes).cloned().collect();
    Ok(QueryFacts { tables, placeholders: collector.placeholders })
}

fn first_words(statement: &str) -> String {
    statement.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// Unquoted identifiers are case-insensitive (lower-cased), as in DataFusion.
fn normalise(ident: &Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    }
}

fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => normalise(ident),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[derive(Default)]
struct Collector {
    relations: BTreeSet<String>,
    ctes: BTreeSet<String>,
    placeholders: BTreeSet<String>,
}

impl Visitor for Collector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                self.ctes.insert(normalise(&cte.alias.name));
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        self.relations.insert(object_name(relation));
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if let Expr::Value(value) = expr
            && let Value::Placeholder(name) = &value.value
        {
            self.placeholders.insert(name.trim_start_matches(['$', ':', '?']).to_string());
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(sql: &str) -> QueryFacts {
        match analyse(sql) {
            Ok(facts) => facts,
            Err(SqlProblem::Syntax(m) | SqlProblem::NotReadOnly(m)) => panic!("{m}"),
        }
    }

    #[test]
    fn finds_tables_but_not_ctes() {
        let f = facts(
            "with ranked as (select * from Sales join \"Customer_RFM\" using (id)) \
             select * from ranked where n <= $limit and x in (select y from other)",
        );
        assert_eq!(f.tables.into_iter().collect::<Vec<_>>(), ["Customer_RFM", "other", "sales"]);
        assert_eq!(f.placeholders.into_iter().collect::<Vec<_>>(), ["limit"]);
    }

    #[test]
    fn rejects_writes_and_multiple_statements() {
        for sql in [
            "drop table sales",
            "insert into t select 1",
            "copy (select 1) to 'x.csv'",
            "create table t as select 1",
            "select 1; select 2",
            "select 1; drop table sales",
        ] {
            assert!(matches!(analyse(sql), Err(SqlProblem::NotReadOnly(_))), "{sql}");
        }
        assert!(matches!(analyse("selec 1"), Err(SqlProblem::Syntax(_))));
    }
}
