//! Charts with plotters: a table and its header's chart spec become a
//! [`Plot`], drawn once as SVG (for the page and slides) and once as PNG.

use std::sync::Once;

use insights_catalog::ChartSpec;
use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ReportError;
use crate::data::{Table, Value, compare};
use crate::format::Unit;
use crate::world::{self, Place};

/// The page's colours: one blue for single series, a palette for many.
pub const BLUE: RGBColor = RGBColor(37, 99, 235);
const INK: RGBColor = RGBColor(31, 41, 55);
const GRID: RGBColor = RGBColor(229, 231, 235);
const PALETTE: [RGBColor; 10] = [
    RGBColor(37, 99, 235),
    RGBColor(245, 158, 11),
    RGBColor(16, 185, 129),
    RGBColor(239, 68, 68),
    RGBColor(139, 92, 246),
    RGBColor(236, 72, 153),
    RGBColor(20, 184, 166),
    RGBColor(107, 114, 128),
    RGBColor(132, 204, 22),
    RGBColor(14, 116, 144),
];
const FONT: &str = "sans-serif";

/// What to draw, independent of the backend.
#[derive(Debug, Clone)]
pub enum Plot {
    /// Horizontal bars, first entry on top.
    Bars { bars: Vec<(String, f64)>, unit: Unit, axis: String },
    /// Lines over categorical x (e.g. months).
    Lines { x: Vec<String>, series: Vec<(String, Vec<Option<f64>>)>, unit: Unit },
    /// Stacked columns with an optional line on a second axis.
    Stacked { x: Vec<String>, stacks: Vec<(String, Vec<f64>)>, unit: Unit, line: Option<(String, Vec<f64>, Unit)> },
    /// A grid of cells coloured by value; rows top to bottom.
    Heatmap { x: Vec<String>, y: Vec<String>, cells: Vec<Vec<Option<f64>>>, unit: Unit, x_name: String },
    /// A world map coloured by value per country.
    Map { values: Vec<(String, f64)>, unit: Unit },
}

/// A drawn chart.
pub struct Chart {
    /// File stem under `charts/`.
    pub name: String,
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
    /// Values that could not be placed (e.g. countries not on the map).
    pub notes: Vec<String>,
}

/// Registers the bundled DejaVu Sans, so text measures and renders the same
/// everywhere (no system fonts needed, no missing glyphs for £ or accents).
fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the bundled DejaVu Sans font loads"));
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .unwrap_or_else(|_| panic!("the bundled DejaVu Sans Bold font loads"));
    });
}

/// The spec a table gets without a `chart:` header: bars of the first
/// numeric column by the first text column (or a line over `year_month`).
pub fn default_spec(table: &Table) -> Option<ChartSpec> {
    let is_numeric = |i: usize| table.rows.iter().any(|r| r[i].as_f64().is_some());
    let numeric = (0..table.columns.len())
        .find(|&i| is_numeric(i) && !matches!(Unit::of(&table.columns[i]), Unit::Text | Unit::Percent))
        .or_else(|| (0..table.columns.len()).find(|&i| is_numeric(i)))?;
    let label = (0..table.columns.len()).find(|&i| i != numeric && !is_numeric(i)).unwrap_or(0);
    let kind = if table.columns[label] == "year_month" { "line" } else { "bar" };
    Some(ChartSpec {
        kind: kind.into(),
        x: table.columns[label].clone(),
        y: insights_catalog::Columns(vec![table.columns[numeric].clone()]),
        series: None,
        value: None,
        label: Default::default(),
        label_separator: None,
        line: None,
        top: Some(15),
        title: None,
    })
}

/// Turns a table into what its spec asks for; a spec naming a missing
/// column is an error that names it.
pub fn plan(table: &Table, spec: &ChartSpec) -> Result<Plot, ReportError> {
    let need = |column: &str| {
        table.index(column).map(|_| ()).ok_or_else(|| ReportError::Chart {
            table: table.name.clone(),
            message: format!("chart column `{column}` is not in the table (columns: {})", table.columns.join(", ")),
        })
    };
    need(&spec.x)?;
    for column in spec.y.0.iter().chain(&spec.label.0).chain(&spec.series).chain(&spec.line) {
        need(column)?;
    }
    if let Some(value) = spec.value.as_deref().filter(|v| *v != "rows") {
        need(value)?;
    }
    let y = spec.y.0.first().cloned().unwrap_or_default();
    let label_of = |row: usize| -> String {
        if spec.label.0.is_empty() {
            table.get(row, &spec.x).text()
        } else {
            let separator = spec.label_separator.as_deref().unwrap_or(" + ");
            spec.label.0.iter().map(|c| table.get(row, c).text()).collect::<Vec<_>>().join(separator)
        }
    };
    let plot = match spec.kind.as_str() {
        "bar" | "map" => {
            let order = table.sorted_desc(&y);
            let bars = order
                .into_iter()
                .filter_map(|row| table.get(row, &y).as_f64().map(|v| (label_of(row), v)))
                .take(spec.top.unwrap_or(20))
                .collect();
            Plot::Bars { bars, unit: Unit::of(&y), axis: y.clone() }
        }
        "line" | "stacked_bar" => {
            let x = categories(table, &spec.x);
            let position = |row: usize| x.iter().position(|c| *c == table.get(row, &spec.x).text());
            let mut series: Vec<(String, Vec<Option<f64>>)> = Vec::new();
            match &spec.series {
                Some(split) => {
                    let mut names: Vec<String> = categories(table, split);
                    // Series in order of their total, largest first.
                    names.sort_by(|a, b| {
                        let total = |name: &String| -> f64 {
                            (0..table.rows.len())
                                .filter(|&r| table.get(r, split).text() == *name)
                                .filter_map(|r| table.get(r, &y).as_f64())
                                .sum()
                        };
                        total(b).total_cmp(&total(a))
                    });
                    for name in names {
                        let mut values = vec![None; x.len()];
                        for row in (0..table.rows.len()).filter(|&r| table.get(r, split).text() == name) {
                            if let Some(i) = position(row) {
                                values[i] = table.get(row, &y).as_f64();
                            }
                        }
                        series.push((name, values));
                    }
                }
                None => {
                    for column in &spec.y.0 {
                        let mut values = vec![None; x.len()];
                        for row in 0..table.rows.len() {
                            if let Some(i) = position(row) {
                                values[i] = table.get(row, column).as_f64();
                            }
                        }
                        series.push((column.replace('_', " "), values));
                    }
                }
            }
            if spec.kind == "line" {
                Plot::Lines { x, series, unit: Unit::of(&y) }
            } else {
                let stacks = series.into_iter().map(|(n, v)| (n, v.into_iter().map(|v| v.unwrap_or(0.0)).collect()));
                let line = spec.line.as_ref().map(|column| {
                    let mut values = vec![0.0; x.len()];
                    for row in 0..table.rows.len() {
                        if let Some(i) = position(row) {
                            values[i] = table.get(row, column).as_f64().unwrap_or(0.0);
                        }
                    }
                    (column.replace('_', " "), values, Unit::of(column))
                });
                Plot::Stacked { x, stacks: stacks.collect(), unit: Unit::of(&y), line }
            }
        }
        "heatmap" => {
            let x = categories(table, &spec.x);
            let y_values = categories(table, &y);
            let value = spec.value.clone().unwrap_or_else(|| "rows".into());
            let mut cells = vec![vec![None; x.len()]; y_values.len()];
            for row in 0..table.rows.len() {
                let xi = x.iter().position(|c| *c == table.get(row, &spec.x).text());
                let yi = y_values.iter().position(|c| *c == table.get(row, &y).text());
                if let (Some(xi), Some(yi)) = (xi, yi) {
                    let add = if value == "rows" { Some(1.0) } else { table.get(row, &value).as_f64() };
                    if let Some(add) = add {
                        *cells[yi][xi].get_or_insert(0.0) += add;
                    }
                }
            }
            // Row labels: the label column when given (e.g. weekday names).
            let y_labels = y_values
                .iter()
                .map(|v| {
                    (0..table.rows.len())
                        .find(|&r| table.get(r, &y).text() == *v)
                        .filter(|_| !spec.label.0.is_empty())
                        .map(label_of)
                        .unwrap_or_else(|| v.clone())
                })
                .collect();
            let unit = if value == "rows" { Unit::Number } else { Unit::of(&value) };
            Plot::Heatmap { x, y: y_labels, cells, unit, x_name: spec.x.replace('_', " ") }
        }
        other => {
            return Err(ReportError::Chart {
                table: table.name.clone(),
                message: format!("unknown chart kind `{other}` (bar, line, stacked_bar, heatmap, map)"),
            });
        }
    };
    Ok(plot)
}

/// For a map spec: the map itself, from every row.
pub fn plan_map(table: &Table, spec: &ChartSpec) -> Plot {
    let y = spec.y.0.first().cloned().unwrap_or_default();
    let values = (0..table.rows.len())
        .filter_map(|row| table.get(row, &y).as_f64().map(|v| (table.get(row, &spec.x).text(), v)))
        .collect();
    Plot::Map { values, unit: Unit::of(&y) }
}

/// `n` categories on an axis. (plotters' integer ranges include their end,
/// so `0..n` would make n + 1 segments.)
fn segments(n: usize) -> SegmentedCoord<RangedCoordusize> {
    (0..n.max(1) - 1).into_segmented()
}

/// The distinct values of a column in ascending order.
fn categories(table: &Table, column: &str) -> Vec<String> {
    let mut values: Vec<Value> = table.column(column).into_iter().filter(|v| *v != Value::Null).collect();
    values.sort_by(compare);
    values.dedup();
    values.iter().map(Value::text).collect()
}

/// Draws a plot as SVG and PNG.
pub fn render(name: &str, title: &str, plot: &Plot) -> Result<Chart, ReportError> {
    register_fonts();
    let (width, height) = size(plot);
    let mut svg = String::new();
    let notes;
    {
        let area = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        notes = draw(&area, title, plot).map_err(|e| chart_error(name, e))?;
        area.present().map_err(|e| chart_error(name, e))?;
    }
    let mut rgb = vec![255u8; (width * height * 3) as usize];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(&area, title, plot).map_err(|e| chart_error(name, e))?;
        area.present().map_err(|e| chart_error(name, e))?;
    }
    let png = crate::png::encode_rgb(width, height, &rgb);
    Ok(Chart { name: name.to_string(), title: title.to_string(), svg, png, notes })
}

fn chart_error(name: &str, error: impl std::fmt::Display) -> ReportError {
    ReportError::Chart { table: name.to_string(), message: error.to_string() }
}

fn size(plot: &Plot) -> (u32, u32) {
    match plot {
        Plot::Bars { bars, .. } => (900, 90 + 26 * bars.len().max(3) as u32),
        Plot::Heatmap { y, .. } => (900, 110 + 30 * y.len().max(3) as u32),
        Plot::Map { .. } => (900, 470),
        _ => (900, 400),
    }
}

type DrawResult<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str, plot: &Plot) -> DrawResult<Vec<String>, DB> {
    area.fill(&WHITE)?;
    let area = area.titled(title, (FONT, 20).into_font().style(FontStyle::Bold).color(&INK))?;
    let empty = match plot {
        Plot::Bars { bars, .. } => bars.is_empty(),
        Plot::Lines { x, .. } | Plot::Stacked { x, .. } | Plot::Heatmap { x, .. } => x.is_empty(),
        Plot::Map { values, .. } => values.is_empty(),
    };
    if empty {
        let (w, h) = area.dim_in_pixel();
        area.draw_text("no rows", &(FONT, 16).into_font().color(&INK), (w as i32 / 2 - 30, h as i32 / 2))?;
        return Ok(vec![]);
    }
    match plot {
        Plot::Bars { bars, unit, axis } => draw_bars(&area, bars, *unit, axis).map(|_| vec![]),
        Plot::Lines { x, series, unit } => draw_lines(&area, x, series, *unit).map(|_| vec![]),
        Plot::Stacked { x, stacks, unit, line } => draw_stacked(&area, x, stacks, *unit, line.as_ref()).map(|_| vec![]),
        Plot::Heatmap { x, y, cells, unit, x_name } => draw_heatmap(&area, x, y, cells, *unit, x_name).map(|_| vec![]),
        Plot::Map { values, unit } => draw_map(&area, values, *unit),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

fn draw_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bars: &[(String, f64)],
    unit: Unit,
    axis: &str,
) -> DrawResult<(), DB> {
    let n = bars.len();
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let min = bars.iter().map(|b| b.1).fold(0.0, f64::min);
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(40)
        .x_label_area_size(34)
        .y_label_area_size(300)
        .build_cartesian_2d(min..max * 1.15, segments(n))?;
    let label_at = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) if *i < n => shorten(&bars[n - 1 - i].0, 42),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .y_labels(n)
        .y_label_formatter(&label_at)
        .x_labels(6)
        .x_label_formatter(&|v| unit.short(*v))
        .x_desc(axis.replace('_', " "))
        .label_style((FONT, 13).into_font().color(&INK))
        .axis_desc_style((FONT, 13).into_font().color(&INK))
        .draw()?;
    chart.draw_series(bars.iter().enumerate().map(|(rank, (_, value))| {
        let i = n - 1 - rank;
        let mut bar =
            Rectangle::new([(0.0, SegmentValue::Exact(i)), (*value, SegmentValue::Exact(i + 1))], BLUE.filled());
        bar.set_margin(3, 3, 0, 0);
        bar
    }))?;
    chart.draw_series(bars.iter().enumerate().map(|(rank, (_, value))| {
        let i = n - 1 - rank;
        Text::new(
            format!(" {}", unit.short(*value)),
            (*value, SegmentValue::CenterOf(i)),
            (FONT, 12).into_font().color(&INK).pos(Pos::new(HPos::Left, VPos::Center)),
        )
    }))?;
    Ok(())
}

fn value_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (0.0f64, f64::MIN);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    lo..hi * 1.1
}

/// Axes of a chart over categories (months): light horizontal grid,
/// category labels below, values in `unit` on the left.
fn category_mesh<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<SegmentedCoord<RangedCoordusize>, RangedCoordf64>>,
    x: &[String],
    unit: Unit,
) -> DrawResult<(), DB> {
    let label = x_label(x);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_labels(x.len())
        .x_label_formatter(&label)
        .y_labels(6)
        .y_label_formatter(&|v| unit.short(*v))
        .label_style((FONT, 12).into_font().color(&INK))
        .draw()
}

/// x labels: all when few, else every k-th.
fn x_label<'a>(x: &'a [String]) -> impl Fn(&SegmentValue<usize>) -> String + 'a {
    let step = x.len().div_ceil(14).max(1);
    move |v| match v {
        SegmentValue::CenterOf(i) if *i < x.len() && i % step == 0 => x[*i].clone(),
        _ => String::new(),
    }
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &[String],
    series: &[(String, Vec<Option<f64>>)],
    unit: Unit,
) -> DrawResult<(), DB> {
    let range = value_range(series.iter().flat_map(|s| s.1.iter().flatten().copied()));
    let legend_width = if series.len() > 1 { 190 } else { 0 };
    let (plot_area, legend_area) = area.split_horizontally(area.dim_in_pixel().0 - legend_width);
    let mut chart = ChartBuilder::on(&plot_area)
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(70)
        .build_cartesian_2d(segments(x.len()), range)?;
    category_mesh(&mut chart, x, unit)?;
    for (index, (_, values)) in series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        // Gaps (months without a value) break the line.
        let mut segment = Vec::new();
        let mut segments = Vec::new();
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(v) => segment.push((SegmentValue::CenterOf(i), *v)),
                None if !segment.is_empty() => segments.push(std::mem::take(&mut segment)),
                None => {}
            }
        }
        segments.push(segment);
        for points in segments.into_iter().filter(|s| !s.is_empty()) {
            chart.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))?;
            chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
        }
    }
    if series.len() > 1 {
        for (index, (name, _)) in series.iter().enumerate() {
            let y = 20 + 20 * index as i32;
            let color = PALETTE[index % PALETTE.len()];
            legend_area.draw(&Rectangle::new([(4, y - 5), (18, y + 5)], color.filled()))?;
            legend_area.draw_text(&shorten(name, 24), &(FONT, 12).into_font().color(&INK), (24, y - 7))?;
        }
    }
    Ok(())
}

fn draw_stacked<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &[String],
    stacks: &[(String, Vec<f64>)],
    unit: Unit,
    line: Option<&(String, Vec<f64>, Unit)>,
) -> DrawResult<(), DB> {
    let totals: Vec<f64> = (0..x.len()).map(|i| stacks.iter().map(|s| s.1[i]).sum()).collect();
    let range = value_range(totals.iter().copied());
    let mut builder = ChartBuilder::on(area);
    builder.margin(12).margin_top(30).x_label_area_size(34).y_label_area_size(70);
    if line.is_some() {
        builder.right_y_label_area_size(80);
    }
    let line_range = value_range(line.iter().flat_map(|l| l.1.iter().copied()));
    let mut chart =
        builder.build_cartesian_2d(segments(x.len()), range)?.set_secondary_coord(0.0..x.len() as f64, line_range);
    category_mesh(&mut chart, x, unit)?;
    for i in 0..x.len() {
        let mut base = 0.0;
        for (index, (_, values)) in stacks.iter().enumerate() {
            let color = PALETTE[index % PALETTE.len()];
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(i), base), (SegmentValue::Exact(i + 1), base + values[i])],
                color.mix(0.85).filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            chart.draw_series(std::iter::once(bar))?;
            base += values[i];
        }
    }
    let mut legend: Vec<(String, RGBColor)> =
        stacks.iter().enumerate().map(|(i, s)| (s.0.clone(), PALETTE[i % PALETTE.len()])).collect();
    if let Some((name, values, line_unit)) = line {
        chart
            .configure_secondary_axes()
            .y_labels(6)
            .y_label_formatter(&|v| line_unit.short(*v))
            .label_style((FONT, 12).into_font().color(&INK))
            .draw()?;
        // The secondary x is continuous; centre the points on the columns.
        let points: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| (i as f64 + 0.5, *v)).collect();
        chart.draw_secondary_series(LineSeries::new(points.iter().copied(), INK.stroke_width(2)))?;
        chart.draw_secondary_series(points.iter().map(|&p| Circle::new(p, 3, INK.filled())))?;
        legend.push((format!("{name} (right axis)"), INK));
    }
    let mut x = 90;
    for (name, color) in legend {
        area.draw(&Rectangle::new([(x, 8), (x + 14, 20)], color.filled()))?;
        area.draw_text(&name, &(FONT, 12).into_font().color(&INK), (x + 20, 7))?;
        x += 40 + 8 * name.chars().count() as i32;
    }
    Ok(())
}

/// White to deep blue.
fn shade(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * t).round() as u8;
    RGBColor(mix(239.0, 30.0), mix(246.0, 58.0), mix(255.0, 138.0))
}

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &[String],
    y: &[String],
    cells: &[Vec<Option<f64>>],
    unit: Unit,
    x_name: &str,
) -> DrawResult<(), DB> {
    let max = cells.iter().flatten().flatten().copied().fold(f64::MIN_POSITIVE, f64::max);
    let (nx, ny) = (x.len(), y.len());
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(110)
        .build_cartesian_2d(segments(nx), segments(ny))?;
    let y_label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(j) if *j < ny => y[ny - 1 - j].clone(),
        _ => String::new(),
    };
    let x_label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) if *i < nx => x[*i].clone(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(nx)
        .y_labels(ny)
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .x_desc(x_name)
        .label_style((FONT, 12).into_font().color(&INK))
        .axis_desc_style((FONT, 12).into_font().color(&INK))
        .draw()?;
    let cell_width = area.dim_in_pixel().0 as usize / nx.max(1);
    for (row, values) in cells.iter().enumerate() {
        let j = ny - 1 - row;
        for (i, value) in values.iter().enumerate() {
            let Some(value) = value else { continue };
            let t = (value / max).sqrt();
            let mut cell = Rectangle::new(
                [
                    (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                    (SegmentValue::Exact(i + 1), SegmentValue::Exact(j + 1)),
                ],
                shade(t).filled(),
            );
            cell.set_margin(1, 1, 1, 1);
            chart.draw_series(std::iter::once(cell))?;
            if cell_width >= 44 {
                let color = if t > 0.55 { WHITE } else { INK };
                chart.draw_series(std::iter::once(Text::new(
                    unit.short(*value),
                    (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)),
                    (FONT, 10).into_font().color(&color).pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
        }
    }
    Ok(())
}

fn draw_map<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    values: &[(String, f64)],
    unit: Unit,
) -> DrawResult<Vec<String>, DB> {
    let (map_area, legend_area) = area.split_vertically(area.dim_in_pixel().1 - 50);
    let mut chart = ChartBuilder::on(&map_area).margin(6).build_cartesian_2d(-170.0..190.0f64, -57.0..84.0f64)?;
    let positive: Vec<f64> = values.iter().map(|v| v.1).filter(|v| *v > 0.0).collect();
    let (lo, hi) = positive.iter().fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    // Revenue is heavy-tailed (one home market), so colours follow its log.
    let scale = |v: f64| if hi > lo { (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) } else { 1.0 };
    let color_of = |v: f64| if v > 0.0 { shade(0.15 + 0.85 * scale(v)) } else { RGBColor(243, 244, 246) };
    let mut fills = std::collections::HashMap::new();
    let mut dots = Vec::new();
    let mut unplaced = Vec::new();
    for (name, value) in values {
        match world::place(name) {
            Place::Outline(outline) => *fills.entry(outline).or_insert(0.0) += value,
            Place::Dot(lon, lat) => dots.push((lon, lat, *value)),
            Place::Nowhere => unplaced.push(format!(
                "{} ({})",
                if name.is_empty() { "no country" } else { name },
                unit.format(&Value::Float(*value))
            )),
        }
    }
    let land = RGBColor(229, 231, 235);
    for country in world::countries().iter().filter(|c| c.name != "Antarctica") {
        let color = fills.get(&country.name).map_or(land, |v| color_of(*v));
        for ring in &country.rings {
            let points = unwrap_ring(ring);
            chart.draw_series(std::iter::once(Polygon::new(points.clone(), color.filled())))?;
            chart.draw_series(std::iter::once(PathElement::new(points, WHITE.stroke_width(1))))?;
        }
    }
    for (lon, lat, value) in dots {
        chart.draw_series(std::iter::once(Circle::new((lon, lat), 4, color_of(value).filled())))?;
        chart.draw_series(std::iter::once(Circle::new((lon, lat), 4, INK.stroke_width(1))))?;
    }
    // Legend: a gradient from the smallest to the largest value.
    let (w, _) = legend_area.dim_in_pixel();
    let (left, width) = (w as i32 / 2 - 150, 300);
    for step in 0..width {
        let t = step as f64 / width as f64;
        legend_area
            .draw(&Rectangle::new([(left + step, 8), (left + step + 1, 22)], shade(0.15 + 0.85 * t).filled()))?;
    }
    let style = (FONT, 12).into_font().color(&INK);
    if !positive.is_empty() {
        legend_area.draw_text(&unit.short(lo), &style, (left - 70, 9))?;
        legend_area.draw_text(&unit.short(hi), &style, (left + width + 8, 9))?;
    }
    legend_area.draw_text("(log scale; dots mark places too small for the outlines)", &style, (left, 28))?;
    Ok(unplaced)
}

/// Keeps a ring continuous across the antimeridian and inside the map.
fn unwrap_ring(ring: &[f64]) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(ring.len() / 2);
    for pair in ring.chunks(2) {
        let (mut lon, lat) = (pair[0], pair[1]);
        if let Some(&(previous, _)) = points.last() {
            while lon - previous > 180.0 {
                lon -= 360.0;
            }
            while previous - lon > 180.0 {
                lon += 360.0;
            }
        }
        points.push((lon, lat));
    }
    points.into_iter().map(|(lon, lat)| (lon.clamp(-180.0, 190.0), lat)).collect()
}
