//! Charts a section draws beyond its table's own chart, where the question
//! a reader asks is about groups of rows: the customer lifetime value table
//! has one row per customer, but a reader wants the expected value per RFM
//! segment and how many customers are likely still active; the
//! recommendations have one row per customer and offer, but a merchandiser
//! wants the products offered most.

use std::collections::BTreeMap;

use crate::ReportError;
use crate::chart::{self, Chart, Plot};
use crate::data::{Table, Value};
use crate::format::Unit;

/// The extra charts of `table` (none for most tables).
pub fn charts(table: &Table) -> Result<Vec<Chart>, ReportError> {
    match table.name.as_str() {
        "customer_lifetime_value" => customer_lifetime_value(table),
        "product_recommendations" => product_recommendations(table),
        _ => Ok(vec![]),
    }
}

fn customer_lifetime_value(table: &Table) -> Result<Vec<Chart>, ReportError> {
    let (Some(segment), Some(clv), Some(p_alive)) =
        (table.index("segment"), table.index("clv"), table.index("p_alive"))
    else {
        return Ok(vec![]);
    };
    let mut by_segment: BTreeMap<String, f64> = BTreeMap::new();
    let mut alive = [0.0; 10];
    for row in &table.rows {
        let name = match &row[segment] {
            Value::Null => "No segment".to_string(),
            other => other.text(),
        };
        *by_segment.entry(name).or_default() += row[clv].as_f64().unwrap_or_default();
        if let Some(p) = row[p_alive].as_f64() {
            alive[((p * 10.0).floor() as usize).min(9)] += 1.0;
        }
    }
    let mut segments: Vec<(String, f64)> = by_segment.into_iter().collect();
    segments.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let value = Plot::Bars { bars: segments, unit: Unit::Money, axis: "expected value (clv)".into() };
    // Most likely active first, so the top bar is the healthy share.
    let bands: Vec<(String, f64)> =
        (0..10).rev().map(|i| (format!("{} – {} %", i * 10, (i + 1) * 10), alive[i])).collect();
    let active = Plot::Bars { bars: bands, unit: Unit::Count, axis: "customers".into() };
    Ok(vec![
        chart::render(
            &format!("{}_by_segment", table.name),
            "Expected value over the next months by RFM segment",
            &value,
        )?,
        chart::render(&format!("{}_p_alive", table.name), "Customers by probability of still being active", &active)?,
    ])
}

/// How many customers each product is offered to, most first (ties by
/// code).
pub fn offers_per_product(table: &Table) -> Vec<(String, f64)> {
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    for row in 0..table.rows.len() {
        *counts.entry(table.get(row, "stock_code").text()).or_default() += 1.0;
    }
    let mut products: Vec<(String, f64)> = counts.into_iter().collect();
    products.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    products
}

fn product_recommendations(table: &Table) -> Result<Vec<Chart>, ReportError> {
    if table.index("stock_code").is_none() {
        return Ok(vec![]);
    }
    let bars: Vec<(String, f64)> = offers_per_product(table).into_iter().take(15).collect();
    let plot = Plot::Bars { bars, unit: Unit::Count, axis: "customers offered".into() };
    Ok(vec![chart::render(&format!("{}_by_product", table.name), "Products offered most often", &plot)?])
}
