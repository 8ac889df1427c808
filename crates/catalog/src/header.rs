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

/// A chart request from a header: kind (`bar`, `line`, …) and the columns.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    pub kind: String,
    pub x: String,
    pub y: String,
    #[serde(default)]
    pub series: Option<String>,
}

/// Splits a file into its header text (comment markers stripped) and returns
/// the header YAML. Lines before the first non-comment line belong to it.
pub(crate) fn header_yaml(text: &str) -> String {
    let mut yaml = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("--") else {
            if trimmed.is_empty() {
                continue;
            }
            break;
        };
        yaml.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        yaml.push('\n');
    }
    yaml
}

pub(crate) fn parse_header(text: &str) -> Result<Header, String> {
    let yaml = header_yaml(text);
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
