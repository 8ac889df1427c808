//! Typed insight parameters: declared in the header, overridden from the
//! config file or `--param`, and bound by the engine as values (never pasted
//! into the SQL text).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::CatalogError;

/// The type of a parameter, as written in a header (`int`, `float`, `text`,
/// `date`, `bool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Int,
    Float,
    Text,
    Date,
    Bool,
}

impl ParamType {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "int" | "integer" => Self::Int,
            "float" | "double" => Self::Float,
            "text" | "string" => Self::Text,
            "date" => Self::Date,
            "bool" | "boolean" => Self::Bool,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "int",
            Self::Float => "float",
            Self::Text => "text",
            Self::Date => "date",
            Self::Bool => "bool",
        }
    }

    /// Parses a value given as text (command line, environment).
    /// `null` gives the typed null.
    pub fn parse_value(self, text: &str) -> Result<ParamValue, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("null") {
            return Ok(ParamValue::null(self));
        }
        let bad = || format!("expected {}, got `{text}`", self.describe());
        Ok(match self {
            Self::Int => ParamValue::Int(Some(text.parse().map_err(|_| bad())?)),
            Self::Float => ParamValue::Float(Some(text.parse().map_err(|_| bad())?)),
            Self::Text => ParamValue::Text(Some(text.to_string())),
            Self::Date => ParamValue::Date(Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?)),
            Self::Bool => ParamValue::Bool(Some(text.parse().map_err(|_| bad())?)),
        })
    }

    /// Converts a YAML value (header default, config file) to this type.
    pub fn from_yaml(self, value: &serde_yaml::Value) -> Result<ParamValue, String> {
        match value {
            serde_yaml::Value::Null => Ok(ParamValue::null(self)),
            serde_yaml::Value::String(text) => self.parse_value(text),
            serde_yaml::Value::Number(n) => self.parse_value(&n.to_string()),
            serde_yaml::Value::Bool(b) => self.parse_value(&b.to_string()),
            other => Err(format!("expected {}, got {other:?}", self.describe())),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Int => "an integer",
            Self::Float => "a number",
            Self::Text => "text",
            Self::Date => "a date as YYYY-MM-DD",
            Self::Bool => "true or false",
        }
    }
}

/// A typed parameter value; `None` is SQL NULL of that type.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Bool(Option<bool>),
}

impl ParamValue {
    pub fn null(ty: ParamType) -> Self {
        match ty {
            ParamType::Int => Self::Int(None),
            ParamType::Float => Self::Float(None),
            ParamType::Text => Self::Text(None),
            ParamType::Date => Self::Date(None),
            ParamType::Bool => Self::Bool(None),
        }
    }

    /// The value as JSON, for the run manifest.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Int(Some(v)) => (*v).into(),
            Self::Float(Some(v)) => (*v).into(),
            Self::Text(Some(v)) => v.clone().into(),
            Self::Date(Some(v)) => v.to_string().into(),
            Self::Bool(Some(v)) => (*v).into(),
            _ => serde_json::Value::Null,
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_json() {
            serde_json::Value::String(s) => f.write_str(&s),
            other => write!(f, "{other}"),
        }
    }
}

/// A declared parameter.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ParamType,
    pub default: ParamValue,
    pub description: String,
}

/// Resolved parameter values of one insight, by name.
pub type Params = BTreeMap<String, ParamValue>;

/// A user's override: `NAME=VALUE` applies to every insight declaring
/// `NAME`; `INSIGHT.NAME=VALUE` to one insight only.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamOverride {
    pub insight: Option<String>,
    pub name: String,
    pub value: String,
}

impl ParamOverride {
    /// Parses `NAME=VALUE` or `INSIGHT.NAME=VALUE`.
    pub fn parse(text: &str) -> Result<Self, CatalogError> {
        let (key, value) = text.split_once('=').ok_or_else(|| {
            CatalogError::Param(format!("--param `{text}`: expected NAME=VALUE or INSIGHT.NAME=VALUE"))
        })?;
        let (insight, name) = match key.trim().split_once('.') {
            Some((insight, name)) => (Some(insight.to_string()), name.to_string()),
            None => (None, key.trim().to_string()),
        };
        Ok(Self { insight, name, value: value.to_string() })
    }

    pub(crate) fn key(&self) -> String {
        match &self.insight {
            Some(insight) => format!("{insight}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_values() {
        assert_eq!(ParamType::Int.parse_value("42"), Ok(ParamValue::Int(Some(42))));
        assert_eq!(ParamType::Int.parse_value("null"), Ok(ParamValue::Int(None)));
        assert!(ParamType::Int.parse_value("4.2").unwrap_err().contains("integer"));
        assert!(ParamType::Date.parse_value("2011-13-01").is_err());
        assert_eq!(ParamType::Date.parse_value("2011-12-10").unwrap().to_string(), "2011-12-10");
    }

    #[test]
    fn parses_overrides() {
        let o = ParamOverride::parse("top_customers.limit=10").unwrap();
        assert_eq!(o.insight.as_deref(), Some("top_customers"));
        assert_eq!(o.name, "limit");
        assert!(ParamOverride::parse("limit").is_err());
    }
}
