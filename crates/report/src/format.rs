//! How numbers read in the report: £ with thousands separators for money,
//! percentages for shares and rates, plain counts for counts.

pub use insights_ingest::thousands;

use crate::data::Value;

/// What a column measures, guessed from its name (the contract's naming).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    Money,
    Percent,
    Count,
    Number,
    Text,
}

impl Unit {
    pub fn of(column: &str) -> Unit {
        let c = column.to_ascii_lowercase();
        let ends = |suffixes: &[&str]| suffixes.iter().any(|s| c.ends_with(s));
        if ends(&["_share", "_rate", "_pct"]) || c == "support" || c == "p_alive" || c.starts_with("confidence") {
            Unit::Percent
        } else if ends(&["rank", "_id", "_code", "year_month", "weekday", "hour", "_score", "_cell", "months_since"])
            || c == "product_a"
            || c == "product_b"
        {
            Unit::Text
        } else if c.contains("revenue")
            || c.contains("monetary")
            || c.contains("value")
            || c.contains("sales")
            || c == "aov"
            || c.ends_with("_aov")
            || c == "clv"
        {
            Unit::Money
        } else {
            Unit::Number
        }
    }

    /// Formats a cell for tables and findings.
    pub fn format(self, value: &Value) -> String {
        match (self, value) {
            (_, Value::Null) => "–".into(),
            (_, Value::Text(text)) => text.clone(),
            (Unit::Money, v) => money(v.as_f64().unwrap_or_default()),
            (Unit::Percent, v) => percent(v.as_f64().unwrap_or_default()),
            (Unit::Text, Value::Int(i)) => i.to_string(),
            (_, Value::Int(i)) => thousands(*i),
            (_, Value::Float(f)) => number(*f),
        }
    }

    /// A short form for chart axes and labels: `£1.2M`, `45 %`, `12k`.
    pub fn short(self, value: f64) -> String {
        match self {
            Unit::Money => format!("£{}", compact(value)),
            Unit::Percent => percent(value),
            _ => compact(value),
        }
    }
}

/// `1234.5` → `£1,234.50`.
pub fn money(value: f64) -> String {
    let pence = (value.abs() * 100.0).round() as i64;
    let sign = if value < 0.0 && pence > 0 { "-" } else { "" };
    format!("{sign}£{}.{:02}", thousands(pence / 100), pence % 100)
}

/// `0.0982` → `9.8 %`.
pub fn percent(value: f64) -> String {
    let pct = value * 100.0;
    if pct.abs() >= 10.0 || pct == 0.0 { format!("{pct:.1} %") } else { format!("{pct:.2} %") }
}

/// A float with two decimals and thousands separators.
pub fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return thousands(value as i64);
    }
    let hundredths = (value.abs() * 100.0).round() as i64;
    let sign = if value < 0.0 && hundredths > 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", thousands(hundredths / 100), hundredths % 100)
}

/// `1_234_567` → `1.2M`, `45_300` → `45k`, `950` → `950`.
pub fn compact(value: f64) -> String {
    let abs = value.abs();
    let (scaled, suffix) = match abs {
        a if a >= 1e9 => (value / 1e9, "bn"),
        a if a >= 1e6 => (value / 1e6, "M"),
        a if a >= 1e4 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    if suffix.is_empty() {
        if abs >= 100.0 || value.fract() == 0.0 { thousands(value.round() as i64) } else { format!("{value:.2}") }
    } else if scaled.abs() >= 100.0 {
        format!("{scaled:.0}{suffix}")
    } else {
        format!("{scaled:.1}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(thousands(9_747_748), "9,747,748");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(money(1234.5), "£1,234.50");
        assert_eq!(money(-0.004), "£0.00");
        assert_eq!(percent(0.0982), "9.82 %");
        assert_eq!(percent(0.25), "25.0 %");
        assert_eq!(compact(1_234_567.0), "1.2M");
        assert_eq!(compact(45_300.0), "45.3k");
        assert_eq!(compact(950.0), "950");
        assert_eq!(Unit::of("revenue_share"), Unit::Percent);
        assert_eq!(Unit::of("revenue_rank"), Unit::Text);
        assert_eq!(Unit::of("avg_monetary"), Unit::Money);
        assert_eq!(Unit::of("median_order_value"), Unit::Money);
        assert_eq!(Unit::of("lift"), Unit::Number);
        assert_eq!(Unit::of("customers"), Unit::Number);
    }
}
