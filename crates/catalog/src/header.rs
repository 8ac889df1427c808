//! The metadata header at the top of every SQL file.
//!
//! The header is the leading block of `--` comment lines and is YAML once the
//! comment markers are stripped, so a person reads it as documentation and
//! the catalog parses it strictly (unknown keys are errors):
//!
//! ```sql
//! -- name: top_customers
//! -- version: 1
//! -- description: >
//! --   Who are the best customers by revenue?
//! -- params:
//! --   limit: {type: int, default: 100, description: how many customers}
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

/// The parsed header of one SQL file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Table or view name; also the name of the result table.
    pub name: String,
    /// Bumped whenever the SQL changes meaning; results of different
    /// versions are stored side by side.
    pub version: u32,
    /// The business question the file answers.
    pub description: String,
    /// Typed parameters, bound as values with `$name` in the SQL.
    #[serde(default)]
    pub params: BTreeMap<String, ParamHeader>,
    /// The columns that identify one row (used to compare runs).
    #[serde(default)]
    pub key: Vec<String>,
    /// How the report should draw this table, when the default is not right.
    #[serde(default)]
    pub chart: Option<ChartSpec>,
    /// Staging files only: `table` computes the view once per run and lets
    /// every insight read the stored rows, instead of each recomputing it.
    #[serde(default)]
    pub materialized: Materialized,
}

/// How a staging file is made available to the insights that read it.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Materialized {
    /// A view: inlined into each query that reads it.
    #[default]
    View,
    /// Written once per run beside its results, then read as a table.
    Table,
}

/// One parameter as written in a header.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamHeader {
    #[serde(rename = "type")]
    pub ty: String,
    #[serde(default)]
    pub default: serde_yaml::Value,
    pub description: String,
}

/// How the report draws a table, from a header's `chart:` entry.
///
/// `kind` is one of `bar` (horizontal bars, largest first), `line`,
/// `stacked_bar`, `heatmap`, `map` (a world map by country name) or `none`
/// (no chart, e.g. for a single row of model parameters; `x` may be left
/// out). `y` is
/// one column or a list (one series each); `series` splits a long table into
/// one line per value; `value` is the colour of a heatmap or map (`rows`
/// counts rows); `label` names the bars or heatmap rows instead of `x`/`y`
/// (a list is joined with `label_separator`, default ` + `; a list value
/// reads `A + B`); `line` adds a line on a second axis;
/// `top` keeps the first rows of a bar chart.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    pub kind: String,
    #[serde(default)]
    pub x: String,
    #[serde(default)]
    pub y: Columns,
    #[serde(default)]
    pub series: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub label: Columns,
    #[serde(default)]
    pub label_separator: Option<String>,
    #[serde(default)]
    pub line: Option<String>,
    #[serde(default)]
    pub top: Option<usize>,
    #[serde(default)]
    pub title: Option<String>,
}

/// One column name or a list of them.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(from = "OneOrMany")]
pub struct Columns(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for Columns {
    fn from(value: OneOrMany) -> Self {
        match value {
            OneOrMany::One(one) => Columns(vec![one]),
            OneOrMany::Many(many) => Columns(many),
        }
    }
}

/// Splits a file into its header YAML (comment markers stripped) and the
/// query below it. Lines before the first non-comment line are the header.
pub(crate) fn split_header(text: &str) -> (String, &str) {
    let mut yaml = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("--") else {
            if trimmed.trim().is_empty() {
                offset += line.len();
                continue;
            }
            break;
        };
        offset += line.len();
        let rest = rest.trim_end_matches(['\n', '\r']);
        yaml.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        yaml.push('\n');
    }
    (yaml, &text[offset..])
}

pub(crate) fn parse_header(text: &str) -> Result<Header, String> {
    let (yaml, _) = split_header(text);
    if yaml.trim().is_empty() {
        return Err("no metadata header: the file must start with `-- name: …`, `-- version: …`, `-- description: …` comment lines".into());
    }
    let header: Header = serde_yaml::from_str(&yaml).map_err(|e| format!("invalid metadata header: {e}"))?;
    if !is_identifier(&header.name) {
        return Err(format!(
            "invalid name `{}`: use lower-case letters, digits and `_`, starting with a letter",
            header.name
        ));
    }
    if header.version == 0 {
        return Err("version must be a positive integer".into());
    }
    if header.description.trim().is_empty() {
        return Err("description must say what the file answers".into());
    }
    Ok(header)
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z')) && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_header() {
        let text = "-- name: top\n-- version: 2\n-- description: >\n--   Which?\n-- params:\n--   limit: {type: int, default: 5, description: how many}\n\nselect 1\n-- trailing\n";
        let header = parse_header(text).unwrap();
        assert_eq!(header.name, "top");
        assert_eq!(header.version, 2);
        assert_eq!(header.description.trim(), "Which?");
        assert_eq!(header.params["limit"].ty, "int");
    }

    #[test]
    fn rejects_unknown_keys_and_missing_header() {
        assert!(parse_header("select 1").unwrap_err().contains("no metadata header"));
        let err = parse_header("-- name: a\n-- version: 1\n-- description: x\n-- verison: 2\n").unwrap_err();
        assert!(err.contains("verison"), "{err}");
    }
}
