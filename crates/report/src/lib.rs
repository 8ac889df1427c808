//! The report of a committed run: `report/index.html` (one self-contained
//! page: inline SVG charts, embedded font, no scripts), `report/report.md`
//! and `report/charts/NAME.svg|png`, written next to the run's manifest.
//!
//! Every result table gets a section: its chart (from the SQL header's
//! `chart:` entry, or a default), findings computed from the data and its
//! top rows. Nothing here knows SQL; it reads the tables the run wrote.

mod chart;
mod data;
mod derived;
mod findings;
mod format;
mod png;
mod world;

use std::collections::BTreeMap;

use base64::Engine as _;
use insights_catalog::{Catalog, ChartSpec};
use insights_engine::Manifest;
use insights_storage::{Location, StorageOptions};
use serde::Serialize;

pub use data::{Table, Value};

use crate::chart::default_spec;
use crate::findings::Kpi;
use crate::format::Unit;

/// The directory under the output location that holds the report.
pub const REPORT_DIR: &str = "report";

/// Reading order of the built-in insights; other tables follow by name.
const READING_ORDER: &[&str] = &[
    "monthly_sales",
    "order_value",
    "top_products",
    "product_monthly_trend",
    "category_performance",
    "shopping_hours",
    "country_sales",
    "customer_rfm",
    "segment_summary",
    "top_customers",
    "cohort_retention",
    "returns_analysis",
    "product_affinity",
    "basket_rules",
    "product_recommendations",
    "customer_lifetime_value",
    "clv_backtest",
    "clv_model",
];

/// How many rows each section shows.
const TOP_ROWS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Engine(#[from] insights_engine::EngineError),
    #[error(transparent)]
    Storage(#[from] insights_storage::StorageError),
    #[error("cannot read the result tables")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("cannot read the result tables")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error("chart of `{table}`: {message}")]
    Chart { table: String, message: String },
    #[error("cannot render the report template")]
    Template(#[from] minijinja::Error),
}

/// What was written.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// Location of `index.html` (a path or URL).
    pub index: String,
    pub markdown: String,
    pub sections: usize,
    pub charts: usize,
}

/// Renders the report of the latest committed run in `output`.
pub async fn render_report(
    catalog: &Catalog,
    output: &Location,
    storage: &StorageOptions,
) -> Result<ReportSummary, ReportError> {
    let manifest = Manifest::read(output).await?;
    let ctx = insights_engine::query_session(catalog, output, &manifest, storage).await?;
    let mut tables = BTreeMap::new();
    for record in manifest.written() {
        tables.insert(record.name.clone(), data::load(&ctx, &record.name).await?);
    }
    let mut order: Vec<&str> = READING_ORDER.iter().copied().filter(|name| tables.contains_key(*name)).collect();
    order.extend(tables.keys().map(String::as_str).filter(|name| !READING_ORDER.contains(name)));

    let mut sections = Vec::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for name in order {
        let table = &tables[name];
        let record = manifest.insight(name).expect("tables come from the manifest");
        let model = catalog.get(name).ok();
        let spec = model.and_then(|m| m.header.chart.clone()).or_else(|| default_spec(table));
        let mut charts = draw_charts(table, spec.as_ref())?;
        charts.extend(derived::charts(table)?);
        for chart in &charts {
            files.push((format!("charts/{}.svg", chart.name), chart.svg.clone().into_bytes()));
            files.push((format!("charts/{}.png", chart.name), chart.png.clone()));
        }
        let chart_y = spec.as_ref().and_then(|s| s.y.0.first().cloned());
        sections.push(Section {
            name: name.to_string(),
            title: spec.as_ref().and_then(|s| s.title.clone()).unwrap_or_else(|| name.replace('_', " ")),
            description: model.map(|m| m.summary()).unwrap_or_default(),
            version: record.version,
            rows: format::thousands(record.rows as i64),
            path: record.path.clone(),
            findings: findings::findings(table, &tables, chart_y.as_deref()),
            columns: table.columns.clone(),
            top_rows: top_rows(table, spec.as_ref(), model.map(|m| m.header.key.as_slice()).unwrap_or_default()),
            shown: if table.rows.len() > TOP_ROWS {
                format!("First {TOP_ROWS} of {} rows.", format::thousands(table.rows.len() as i64))
            } else {
                format!("All {} rows.", table.rows.len())
            },
            charts: charts
                .into_iter()
                .map(|c| SectionChart {
                    name: c.name,
                    title: c.title,
                    svg: c.svg,
                    notes: c.notes.iter().map(|n| format!("Not on the map: {n}.")).collect(),
                })
                .collect(),
        });
    }
    let kpis = findings::kpis(&tables, &manifest);
    let chart_count = sections.iter().map(|s| s.charts.len()).sum();
    let html = page_html(&manifest, &kpis, &sections)?;
    let markdown = page_markdown(&manifest, &kpis, &sections);
    files.push(("index.html".into(), html.into_bytes()));
    files.push(("report.md".into(), markdown.clone().into_bytes()));

    let report = output.join(REPORT_DIR);
    report.delete_all().await?;
    for (path, bytes) in files {
        report.write(&path, bytes).await?;
    }
    let index = match report.local_path() {
        Some(path) => path.join("index.html").display().to_string(),
        None => report.url_of("index.html"),
    };
    Ok(ReportSummary { index, markdown, sections: sections.len(), charts: chart_count })
}

/// The charts of one section: the spec's chart, and for a map also bars.
fn draw_charts(table: &Table, spec: Option<&ChartSpec>) -> Result<Vec<chart::Chart>, ReportError> {
    let Some(spec) = spec.filter(|s| s.kind != "none") else { return Ok(vec![]) };
    let title = spec.title.clone().unwrap_or_else(|| table.name.replace('_', " "));
    if spec.kind == "map" {
        let map = chart::render(&table.name, &title, &chart::plan_map(table, spec))?;
        let bars = ChartSpec { kind: "bar".into(), ..spec.clone() };
        let top = spec.top.unwrap_or(10);
        let bar_title = format!("{title}: top {top}");
        let bar = chart::render(&format!("{}_bar", table.name), &bar_title, &chart::plan(table, &bars)?)?;
        return Ok(vec![map, bar]);
    }
    Ok(vec![chart::render(&table.name, &title, &chart::plan(table, spec)?)?])
}

#[derive(Serialize)]
struct Section {
    name: String,
    title: String,
    description: String,
    version: u32,
    rows: String,
    path: String,
    findings: Vec<String>,
    charts: Vec<SectionChart>,
    columns: Vec<String>,
    top_rows: Vec<Vec<Cell>>,
    shown: String,
}

#[derive(Serialize)]
struct SectionChart {
    name: String,
    title: String,
    svg: String,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct Cell {
    text: String,
    num: bool,
}

/// The rows a section shows: by rank when the table has one, by the bar
/// value for bar charts, else by the table's key.
fn top_rows(table: &Table, spec: Option<&ChartSpec>, key: &[String]) -> Vec<Vec<Cell>> {
    let mut table = table.clone();
    let rank = table.columns.iter().find(|c| c.ends_with("rank")).cloned();
    match (rank, spec) {
        (Some(rank), _) => table.sort_by_columns(&[rank]),
        (None, Some(spec)) if spec.kind == "bar" => {
            let order = table.sorted_desc(spec.y.0.first().map(String::as_str).unwrap_or_default());
            table.rows = order.into_iter().map(|i| table.rows[i].clone()).collect();
        }
        _ => table.sort_by_columns(key),
    }
    let units: Vec<Unit> = table.columns.iter().map(|c| Unit::of(c)).collect();
    table
        .rows
        .iter()
        .take(TOP_ROWS)
        .map(|row| {
            row.iter()
                .zip(&units)
                .map(|(value, unit)| Cell {
                    text: unit.format(value),
                    num: value.as_f64().is_some() && *unit != Unit::Text,
                })
                .collect()
        })
        .collect()
}

fn page_html(manifest: &Manifest, kpis: &[Kpi], sections: &[Section]) -> Result<String, ReportError> {
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", include_str!("../templates/report.html"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let html = env.get_template("report.html")?.render(minijinja::context! {
        run_id => manifest.run_id,
        engine => manifest.engine,
        finished_at => manifest.finished_at,
        inputs => manifest.input_files.join(", "),
        kpis => kpis,
        sections => sections,
        skipped => manifest.skipped().collect::<Vec<_>>(),
        font_regular => b64.encode(dejavu::sans::regular()),
        font_bold => b64.encode(dejavu::sans::bold()),
    })?;
    Ok(html)
}

fn page_markdown(manifest: &Manifest, kpis: &[Kpi], sections: &[Section]) -> String {
    let mut md = format!(
        "# Customer purchase behaviour\n\nRun `{}` ({}), finished {}.\n\n",
        manifest.run_id, manifest.engine, manifest.finished_at
    );
    md.push_str("| KPI | value | |\n|---|---:|---|\n");
    for kpi in kpis {
        md.push_str(&format!("| {} | {} | {} |\n", kpi.label, kpi.value, kpi.note));
    }
    for section in sections {
        md.push_str(&format!(
            "\n## {}\n\n`{}` v{} · {} rows\n\n",
            section.title, section.name, section.version, section.rows
        ));
        for finding in &section.findings {
            md.push_str(&format!("- {finding}\n"));
        }
        for chart in &section.charts {
            md.push_str(&format!("\n![{}](charts/{}.png)\n", chart.title, chart.name));
        }
        md.push_str(&format!("\n| {} |\n|{}\n", section.columns.join(" | "), "---|".repeat(section.columns.len())));
        for row in section.top_rows.iter().take(5) {
            let cells: Vec<String> = row.iter().map(|c| c.text.replace('|', "\\|")).collect();
            md.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    let skipped: Vec<_> = manifest.skipped().collect();
    if !skipped.is_empty() {
        md.push_str("\n## Not computed for this input\n\n");
        for insight in skipped {
            let reason = insight.reason.as_deref().unwrap_or_default();
            md.push_str(&format!("- `{}` v{}: {reason}\n", insight.name, insight.version));
        }
    }
    md
}
