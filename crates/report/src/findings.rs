//! The numbers a reader wants first: the headline KPIs and two or three
//! sentences per insight, computed from the result tables.

use std::collections::BTreeMap;

use insights_engine::Manifest;

use crate::data::{Table, Value};
use crate::format::{Unit, money, number, percent, thousands};

/// One headline number.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Kpi {
    pub label: String,
    pub value: String,
    pub note: String,
}

/// Headline KPIs from whichever tables the run has.
pub fn kpis(tables: &BTreeMap<String, Table>, manifest: &Manifest) -> Vec<Kpi> {
    let kpi = |label: &str, value: String, note: String| Kpi { label: label.into(), value, note };
    let mut out = Vec::new();
    if let Some(monthly) = tables.get("monthly_sales") {
        let revenue = monthly.sum("revenue");
        let orders = monthly.sum("orders");
        let months: Vec<String> = monthly.column("year_month").iter().map(Value::text).collect();
        out.push(kpi("Revenue", money(revenue), "sales, excluding returns".into()));
        out.push(kpi("Orders", thousands(orders as i64), "distinct invoices".into()));
        if orders > 0.0 {
            out.push(kpi("Average order value", money(revenue / orders), "revenue / orders".into()));
        }
        if let (Some(first), Some(last)) = (months.iter().min(), months.iter().max()) {
            out.push(kpi("Period", format!("{first} – {last}"), format!("{} months", months.len())));
        }
    }
    if let Some(rfm) = tables.get("customer_rfm") {
        out.push(kpi("Customers", thousands(rfm.rows.len() as i64), "with a customer id".into()));
    }
    if let Some(returns) = tables.get("returns_analysis") {
        let gross = returns.sum("gross_sales");
        if gross > 0.0 {
            let cancelled = returns.sum("cancelled_value");
            out.push(kpi("Return rate", percent(cancelled / gross), format!("{} cancelled", money(cancelled))));
        }
    }
    let ingest = &manifest.ingest;
    out.push(kpi(
        "Data quality",
        format!("{} kept", thousands(ingest.kept as i64)),
        format!(
            "of {} lines; {} duplicates, {} quarantined",
            thousands(ingest.raw_lines as i64),
            thousands(ingest.duplicates as i64),
            thousands(ingest.quarantined as i64)
        ),
    ));
    out
}

/// Sentences about one table; built-in insights get specific ones, any other
/// table a generic summary of its chart column.
pub fn findings(table: &Table, tables: &BTreeMap<String, Table>, chart_y: Option<&str>) -> Vec<String> {
    if table.rows.is_empty() {
        return vec!["The table is empty for this run.".into()];
    }
    let specific = match table.name.as_str() {
        "top_products" => top_products(table),
        "product_monthly_trend" => product_monthly_trend(table, tables),
        "shopping_hours" => shopping_hours(table),
        "monthly_sales" => monthly_sales(table),
        "customer_rfm" => customer_rfm(table),
        "top_customers" => top_customers(table),
        "segment_summary" => segment_summary(table),
        "order_value" => order_value(table),
        "category_performance" => category_performance(table),
        "country_sales" => country_sales(table),
        "cohort_retention" => cohort_retention(table),
        "returns_analysis" => returns_analysis(table),
        "product_affinity" => product_affinity(table, tables),
        "customer_lifetime_value" => customer_lifetime_value(table),
        "clv_model" => clv_model(table),
        "clv_backtest" => clv_backtest(table),
        "basket_rules" => basket_rules(table, tables),
        "product_recommendations" => product_recommendations(table, tables),
        _ => None,
    };
    specific.unwrap_or_else(|| generic(table, chart_y))
}

fn text(table: &Table, row: usize, column: &str) -> String {
    table.get(row, column).text()
}

fn num(table: &Table, row: usize, column: &str) -> f64 {
    table.get(row, column).as_f64().unwrap_or_default()
}

/// The description of a stock code from top_products, when it is there.
fn describe(tables: &BTreeMap<String, Table>, code: &str) -> String {
    tables
        .get("top_products")
        .and_then(|t| (0..t.rows.len()).find(|&r| text(t, r, "stock_code") == code).map(|r| text(t, r, "description")))
        .filter(|d| !d.is_empty())
        .map_or_else(|| code.to_string(), |d| format!("{d} ({code})"))
}

fn row_where(table: &Table, column: &str, value: f64) -> Option<usize> {
    (0..table.rows.len()).find(|&r| table.get(r, column).as_f64() == Some(value))
}

fn top_products(t: &Table) -> Option<Vec<String>> {
    let first = row_where(t, "revenue_rank", 1.0)?;
    let by_units = row_where(t, "units_rank", 1.0)?;
    let top10: f64 =
        (0..t.rows.len()).filter(|&r| num(t, r, "revenue_rank") <= 10.0).map(|r| num(t, r, "revenue_share")).sum();
    let half = (0..t.rows.len())
        .filter(|&r| num(t, r, "cumulative_revenue_share") >= 0.5)
        .map(|r| num(t, r, "revenue_rank"))
        .fold(f64::MAX, f64::min);
    Some(vec![
        format!(
            "The top 10 products make {} of revenue; {} products sold in all.",
            percent(top10),
            thousands(t.rows.len() as i64)
        ),
        format!(
            "Best seller by revenue: {} ({}); by units: {} ({} units).",
            text(t, first, "description"),
            money(num(t, first, "revenue")),
            text(t, by_units, "description"),
            thousands(num(t, by_units, "units") as i64)
        ),
        format!("Half of all revenue comes from the top {} products.", thousands(half as i64)),
    ])
}

fn product_monthly_trend(t: &Table, tables: &BTreeMap<String, Table>) -> Option<Vec<String>> {
    let mut products: Vec<String> = t.column("stock_code").iter().map(Value::text).collect();
    products.sort();
    products.dedup();
    let jump = t.argmax("revenue_change_pct")?;
    let best = t.argmax("revenue")?;
    Some(vec![
        format!("Monthly trend of the top {} products.", products.len()),
        format!(
            "Strongest month of any of them: {} in {} with {}.",
            describe(tables, &text(t, best, "stock_code")),
            text(t, best, "year_month"),
            money(num(t, best, "revenue"))
        ),
        format!(
            "Largest month-on-month rise: {} in {} ({}).",
            describe(tables, &text(t, jump, "stock_code")),
            text(t, jump, "year_month"),
            percent(num(t, jump, "revenue_change_pct"))
        ),
    ])
}

fn shopping_hours(t: &Table) -> Option<Vec<String>> {
    let busiest = t.argmax("revenue")?;
    let mut by_day: BTreeMap<(i64, String), f64> = BTreeMap::new();
    let mut by_hour: BTreeMap<i64, f64> = BTreeMap::new();
    for r in 0..t.rows.len() {
        *by_day.entry((num(t, r, "weekday") as i64, text(t, r, "weekday_name"))).or_default() +=
            num(t, r, "revenue_share");
        *by_hour.entry(num(t, r, "hour") as i64).or_default() += num(t, r, "revenue_share");
    }
    let (day, day_share) = by_day.iter().max_by(|a, b| a.1.total_cmp(b.1))?;
    let (hour, hour_share) = by_hour.iter().max_by(|a, b| a.1.total_cmp(b.1))?;
    let (first, last) = (by_hour.keys().min()?, by_hour.keys().max()?);
    Some(vec![
        format!(
            "Busiest hour: {} {:02}:00 ({} of revenue).",
            text(t, busiest, "weekday_name"),
            num(t, busiest, "hour") as i64,
            percent(num(t, busiest, "revenue_share"))
        ),
        format!(
            "Busiest day: {} ({}); busiest hour of the day: {hour:02}:00 ({}).",
            day.1,
            percent(*day_share),
            percent(*hour_share)
        ),
        format!("Orders come in between {first:02}:00 and {last:02}:59; days without sales are missing from the grid."),
    ])
}

fn monthly_sales(t: &Table) -> Option<Vec<String>> {
    let best = t.argmax("revenue")?;
    let new_total = t.sum("new_customers");
    let returning_total = t.sum("returning_customers");
    let customer_months = new_total + returning_total;
    Some(vec![
        format!(
            "Best month: {} with {} ({:.2}× the monthly mean).",
            text(t, best, "year_month"),
            money(num(t, best, "revenue")),
            num(t, best, "seasonal_index")
        ),
        format!(
            "{} customers bought for the first time; {} of active customer-months were returning customers.",
            thousands(new_total as i64),
            percent(if customer_months > 0.0 { returning_total / customer_months } else { 0.0 })
        ),
    ])
}

fn customer_rfm(t: &Table) -> Option<Vec<String>> {
    let n = t.rows.len() as f64;
    let once = (0..t.rows.len()).filter(|&r| num(t, r, "frequency") <= 1.0).count() as f64;
    let mut recency: Vec<f64> = t.numbers("recency_days").into_iter().flatten().collect();
    recency.sort_by(f64::total_cmp);
    let median = recency.get(recency.len() / 2).copied().unwrap_or_default();
    Some(vec![
        format!("{} customers scored on recency, frequency and monetary value.", thousands(n as i64)),
        format!(
            "{} of them ordered only once; the median customer last bought {} days before the end of the data.",
            percent(once / n),
            median as i64
        ),
    ])
}

fn top_customers(t: &Table) -> Option<Vec<String>> {
    let first = row_where(t, "rank", 1.0)?;
    let top10: f64 = (0..t.rows.len()).filter(|&r| num(t, r, "rank") <= 10.0).map(|r| num(t, r, "revenue_share")).sum();
    Some(vec![
        format!(
            "The top 10 customers make {} of customer revenue; these {} make {}.",
            percent(top10),
            t.rows.len(),
            percent(t.sum("revenue_share"))
        ),
        format!(
            "Number one: customer {} ({}), {} over {} orders, segment {}.",
            text(t, first, "customer_id"),
            text(t, first, "country"),
            money(num(t, first, "monetary")),
            thousands(num(t, first, "frequency") as i64),
            text(t, first, "segment")
        ),
    ])
}

fn segment_summary(t: &Table) -> Option<Vec<String>> {
    let largest = t.argmax("customers")?;
    let richest = t.argmax("revenue")?;
    Some(vec![
        format!(
            "Largest segment: {} ({} customers, {}).",
            text(t, largest, "segment"),
            thousands(num(t, largest, "customers") as i64),
            percent(num(t, largest, "customer_share"))
        ),
        format!(
            "{} bring the most revenue: {} of it from {} of customers.",
            text(t, richest, "segment"),
            percent(num(t, richest, "revenue_share")),
            percent(num(t, richest, "customer_share"))
        ),
    ])
}

fn order_value(t: &Table) -> Option<Vec<String>> {
    let orders = t.sum("orders");
    let highest = t.argmax("aov")?;
    let above = (0..t.rows.len()).filter(|&r| num(t, r, "aov") > num(t, r, "median_order_value")).count();
    Some(vec![
        format!(
            "Average order value over the period: {} across {} orders.",
            money(t.sum("revenue") / orders.max(1.0)),
            thousands(orders as i64)
        ),
        format!("Highest monthly average: {} in {}.", money(num(t, highest, "aov")), text(t, highest, "year_month")),
        format!(
            "The mean is above the median in {above} of {} months: a few large orders pull the average up.",
            t.rows.len()
        ),
    ])
}

fn category_performance(t: &Table) -> Option<Vec<String>> {
    let first = row_where(t, "revenue_rank", 1.0)?;
    let other = (0..t.rows.len()).find(|&r| text(t, r, "category") == "Other");
    let mut out = vec![format!(
        "Top category: {} with {} of revenue ({} products).",
        text(t, first, "category"),
        percent(num(t, first, "revenue_share")),
        thousands(num(t, first, "products") as i64)
    )];
    if let Some(other) = other {
        out.push(format!(
            "{} of revenue matches no category keyword (`Other`).",
            percent(num(t, other, "revenue_share"))
        ));
    }
    Some(out)
}

fn country_sales(t: &Table) -> Option<Vec<String>> {
    let first = row_where(t, "revenue_rank", 1.0)?;
    let second = row_where(t, "revenue_rank", 2.0);
    let mut out = vec![format!(
        "{} makes {} of revenue; {} countries in all.",
        text(t, first, "country"),
        percent(num(t, first, "revenue_share")),
        t.rows.len()
    )];
    if let Some(second) = second {
        out.push(format!(
            "Next: {} with {} ({} customers, average order {}).",
            text(t, second, "country"),
            money(num(t, second, "revenue")),
            thousands(num(t, second, "customers") as i64),
            money(num(t, second, "aov"))
        ));
    }
    Some(out)
}

fn cohort_retention(t: &Table) -> Option<Vec<String>> {
    let mean_at = |month: f64| {
        let values: Vec<f64> = (0..t.rows.len())
            .filter(|&r| num(t, r, "months_since") == month)
            .map(|r| num(t, r, "retention_rate"))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let cohorts = (0..t.rows.len()).filter(|&r| num(t, r, "months_since") == 0.0).count();
    let mut out = vec![format!("{cohorts} monthly cohorts of first-time customers.")];
    if let (Some(one), Some(three)) = (mean_at(1.0), mean_at(3.0)) {
        out.push(format!(
            "On average {} of a cohort buys again the next month and {} three months later.",
            percent(one),
            percent(three)
        ));
    }
    let best = (0..t.rows.len())
        .filter(|&r| num(t, r, "months_since") == 1.0)
        .max_by(|&a, &b| num(t, a, "retention_rate").total_cmp(&num(t, b, "retention_rate")));
    if let Some(best) = best {
        out.push(format!(
            "Best month-1 retention: the {} cohort ({}).",
            text(t, best, "cohort_month"),
            percent(num(t, best, "retention_rate"))
        ));
    }
    Some(out)
}

fn returns_analysis(t: &Table) -> Option<Vec<String>> {
    let worst = t.argmax("return_rate")?;
    let gross = t.sum("gross_sales");
    Some(vec![
        format!(
            "Cancellations worth {} ({} lines): {} of gross sales.",
            money(t.sum("cancelled_value")),
            thousands(t.sum("cancelled_lines") as i64),
            percent(if gross > 0.0 { t.sum("cancelled_value") / gross } else { 0.0 })
        ),
        format!("Worst month: {} ({}).", text(t, worst, "year_month"), percent(num(t, worst, "return_rate"))),
    ])
}

fn product_affinity(t: &Table, tables: &BTreeMap<String, Table>) -> Option<Vec<String>> {
    let lift = t.argmax("lift")?;
    let often = t.argmax("pair_orders")?;
    Some(vec![
        format!("{} product pairs are bought together often enough to list.", thousands(t.rows.len() as i64)),
        format!(
            "Strongest pair: {} with {} (lift {}, {} of orders with the first also have the second).",
            describe(tables, &text(t, lift, "product_a")),
            describe(tables, &text(t, lift, "product_b")),
            number(num(t, lift, "lift")),
            percent(num(t, lift, "confidence_a_to_b"))
        ),
        format!(
            "Most frequent pair: {} with {} ({} orders).",
            describe(tables, &text(t, often, "product_a")),
            describe(tables, &text(t, often, "product_b")),
            thousands(num(t, often, "pair_orders") as i64)
        ),
    ])
}

fn customer_lifetime_value(t: &Table) -> Option<Vec<String>> {
    let mut clv: Vec<f64> = t.numbers("clv").into_iter().flatten().collect();
    let total: f64 = clv.iter().sum();
    if clv.is_empty() || total <= 0.0 {
        return None;
    }
    clv.sort_by(|a, b| b.total_cmp(a));
    let top_tenth = clv.len().div_ceil(10);
    let top_share = clv[..top_tenth].iter().sum::<f64>() / total;
    // Top-quintile spend: the customers whose monetary_value is among the
    // highest fifth.
    let mut spend: Vec<f64> = t.numbers("monetary_value").into_iter().flatten().collect();
    spend.sort_by(|a, b| b.total_cmp(a));
    let threshold = spend.get(spend.len().div_ceil(5).saturating_sub(1)).copied().unwrap_or(f64::INFINITY);
    let at_risk: Vec<usize> = (0..t.rows.len())
        .filter(|&r| num(t, r, "monetary_value") >= threshold && num(t, r, "monetary_value") > 0.0)
        .filter(|&r| t.get(r, "p_alive").as_f64().is_some_and(|p| p < 0.5))
        .collect();
    let at_risk_value: f64 = at_risk.iter().filter_map(|&r| t.get(r, "clv").as_f64()).sum();
    let mean_alive = t.numbers("p_alive").into_iter().flatten().sum::<f64>() / t.rows.len() as f64;
    Some(vec![
        format!(
            "Expected value of all {} customers over the coming months: {}; the 10 % of customers with the highest CLV hold {} of it.",
            thousands(t.rows.len() as i64),
            money(total),
            percent(top_share)
        ),
        format!(
            "{} customers with top-quintile spend per purchase have p_alive < 0.5: {} of expected value at risk.",
            thousands(at_risk.len() as i64),
            money(at_risk_value)
        ),
        format!("On average a customer is still active with probability {}.", percent(mean_alive)),
    ])
}

fn clv_model(t: &Table) -> Option<Vec<String>> {
    let mut out = vec![format!(
        "BG/NBD fitted on {} customers, Gamma-Gamma on the {} with repeat purchases.",
        thousands(num(t, 0, "customers") as i64),
        thousands(num(t, 0, "repeat_customers") as i64)
    )];
    let (a, b) = (t.get(0, "a").as_f64(), t.get(0, "b").as_f64());
    if let (Some(a), Some(b)) = (a, b)
        && a > 0.0
    {
        out.push(format!(
            "A customer stops after a purchase with probability {} on average (a / (a + b)).",
            percent(a / (a + b))
        ));
    }
    if let Value::Text(note) = t.get(0, "note") {
        out.push(format!("Note: {note}."));
    }
    Some(out)
}

fn clv_backtest(t: &Table) -> Option<Vec<String>> {
    let customers = t.sum("customers");
    if customers <= 0.0 {
        return None;
    }
    let total = |column: &str| (0..t.rows.len()).map(|r| num(t, r, column) * num(t, r, "customers")).sum::<f64>();
    let (actual, predicted) = (total("actual_purchases"), total("predicted_purchases"));
    Some(vec![format!(
        "Fitted without the holdout days, the model predicted {} purchase days for {} customers; they made {} ({} off).",
        thousands(predicted.round() as i64),
        thousands(customers as i64),
        thousands(actual.round() as i64),
        percent(if actual > 0.0 { (predicted - actual).abs() / actual } else { 0.0 })
    )])
}

/// A rule's antecedent as the report reads it (`A + B`), each product
/// described.
fn describe_all(tables: &BTreeMap<String, Table>, codes: &str) -> String {
    codes.split(" + ").map(|code| describe(tables, code)).collect::<Vec<_>>().join(" and ")
}

fn basket_rules(t: &Table, tables: &BTreeMap<String, Table>) -> Option<Vec<String>> {
    let strongest = t.argmax("lift")?;
    let surest = t.argmax("confidence")?;
    let two_product = (0..t.rows.len()).filter(|&r| text(t, r, "antecedent").contains(" + ")).count();
    let rule = |row: usize| {
        format!(
            "customers whose order holds {} also take {} in {} of those orders (lift {})",
            describe_all(tables, &text(t, row, "antecedent")),
            describe(tables, &text(t, row, "consequent")),
            percent(num(t, row, "confidence")),
            number(num(t, row, "lift"))
        )
    };
    let mut out = vec![
        format!(
            "{} rules, {} of them from two products to a third.",
            thousands(t.rows.len() as i64),
            thousands(two_product as i64)
        ),
        format!("Strongest: {}.", rule(strongest)),
    ];
    if surest != strongest {
        out.push(format!("Surest: {}.", rule(surest)));
    }
    Some(out)
}

fn product_recommendations(t: &Table, tables: &BTreeMap<String, Table>) -> Option<Vec<String>> {
    let customers: std::collections::BTreeSet<String> = (0..t.rows.len()).map(|r| text(t, r, "customer_id")).collect();
    let (code, offered) = crate::derived::offers_per_product(t).into_iter().next()?;
    Some(vec![
        format!(
            "{} offers to {} customers, from what each has bought and the basket rules.",
            thousands(t.rows.len() as i64),
            thousands(customers.len() as i64)
        ),
        format!("Offered most often: {} (to {} customers).", describe(tables, &code), thousands(offered as i64)),
    ])
}

fn generic(t: &Table, chart_y: Option<&str>) -> Vec<String> {
    let mut out = vec![format!("{} rows, {} columns.", thousands(t.rows.len() as i64), t.columns.len())];
    if let Some(y) = chart_y
        && let Some(best) = t.argmax(y)
    {
        let label = t.columns.iter().find(|c| *c != y).map(|c| text(t, best, c)).unwrap_or_default();
        out.push(format!("Highest {}: {} ({}).", y.replace('_', " "), label, Unit::of(y).format(t.get(best, y))));
    }
    out
}
