//! The horizontal bar chart of a node's children (reporting rate, share with problems, closure
//! rate), or of a statistic by category (frequencies, means), drawn on the server as SVG by
//! `templates/bar_chart.html`; and the 100% stacked bars of a crosstabulation
//! (`templates/stacked_chart.html`).

use shanghui_core::report::percent;

/// Width of the bars at 100%, of the labels to their left, and the height of a row (SVG units;
/// the template draws the axis at `LABEL_WIDTH` and the 100% line at `LABEL_WIDTH + BAR_AREA`).
const BAR_AREA: f64 = 380.0;
const LABEL_WIDTH: f64 = 190.0;
const ROW_HEIGHT: f64 = 24.0;

pub struct Bar {
    pub y: String,
    pub text_y: String,
    pub label: String,
    pub full_name: String,
    pub width: String,
    pub value_x: String,
    pub value: String,
}

pub struct Chart {
    /// The element id, for tests and styles.
    pub id: String,
    /// Caption and accessible name.
    pub title: String,
    pub height: String,
    pub bars: Vec<Bar>,
}

/// A label that fits beside the bars; the full name is in the bar's tooltip.
fn short(name: &str) -> String {
    if name.chars().count() > 12 {
        let mut s: String = name.chars().take(11).collect();
        s.push('…');
        s
    } else {
        name.to_string()
    }
}

/// One bar per (name, share) — a share of `None` (nothing to divide by) draws no bar and shows —.
pub fn bars<'a>(
    id: &'static str,
    title: String,
    items: impl IntoIterator<Item = (&'a str, Option<f64>)>,
) -> Chart {
    let bars: Vec<Bar> = items
        .into_iter()
        .enumerate()
        .map(|(i, (name, share))| {
            let y = 8.0 + i as f64 * ROW_HEIGHT;
            let width = (share.unwrap_or(0.0) * BAR_AREA).max(0.0);
            Bar {
                y: format!("{y:.0}"),
                text_y: format!("{:.0}", y + 13.0),
                label: short(name),
                full_name: name.to_string(),
                width: format!("{width:.1}"),
                value_x: format!("{:.1}", LABEL_WIDTH + width + 6.0),
                value: percent(share),
            }
        })
        .collect();
    Chart {
        id: id.to_string(),
        title,
        height: format!("{:.0}", 16.0 + bars.len() as f64 * ROW_HEIGHT),
        bars,
    }
}

/// One bar per (name, value, value as shown), scaled so the largest value fills the width:
/// counts, percentages of a frequency table, means by group. Negative values draw no bar.
pub fn value_bars<'a>(
    id: String,
    title: String,
    items: impl IntoIterator<Item = (&'a str, f64, String)>,
) -> Chart {
    let items: Vec<(&str, f64, String)> = items.into_iter().collect();
    let max = items
        .iter()
        .map(|(_, v, _)| *v)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let mut chart = bars(
        "",
        title,
        items
            .iter()
            .map(|(n, v, _)| (*n, (max > 0.0 && v.is_finite()).then(|| (v / max).max(0.0)))),
    );
    chart.id = id;
    for (bar, (_, _, shown)) in chart.bars.iter_mut().zip(&items) {
        bar.value = shown.clone();
    }
    chart
}

/// Colours the stacked bars cycle through (`seg-0` … in app.css).
const SEGMENT_COLOURS: usize = 8;

pub struct Segment {
    pub x: String,
    pub width: String,
    /// `seg-N`: the column category's colour.
    pub class: String,
    /// Tooltip: the category and its share.
    pub title: String,
}

pub struct StackRow {
    pub y: String,
    pub text_y: String,
    pub label: String,
    pub full_name: String,
    pub segments: Vec<Segment>,
}

/// One 100% bar per row category, split by the column categories' shares of the row.
pub struct Stacked {
    pub id: String,
    pub title: String,
    pub height: String,
    pub rows: Vec<StackRow>,
    /// (class, label) of each column category.
    pub legend: Vec<(String, String)>,
}

/// `rows`: (row category, the row's percentages by column category); `columns`: the column
/// categories' labels.
pub fn stacked(
    id: String,
    title: String,
    columns: &[String],
    rows: impl IntoIterator<Item = (String, Vec<f64>)>,
) -> Stacked {
    let class = |j: usize| format!("seg-{}", j % SEGMENT_COLOURS);
    let rows: Vec<StackRow> = rows
        .into_iter()
        .enumerate()
        .map(|(i, (name, pcts))| {
            let y = 8.0 + i as f64 * ROW_HEIGHT;
            let mut x = LABEL_WIDTH;
            let segments = pcts
                .iter()
                .enumerate()
                .map(|(j, p)| {
                    let p = if p.is_finite() { p.max(0.0) } else { 0.0 };
                    let width = p / 100.0 * BAR_AREA;
                    let s = Segment {
                        x: format!("{x:.1}"),
                        width: format!("{width:.1}"),
                        class: class(j),
                        title: format!(
                            "{name} · {}：{}",
                            columns.get(j).map(String::as_str).unwrap_or(""),
                            percent(Some(p / 100.0))
                        ),
                    };
                    x += width;
                    s
                })
                .collect();
            StackRow {
                y: format!("{y:.0}"),
                text_y: format!("{:.0}", y + 13.0),
                label: short(&name),
                full_name: name,
                segments,
            }
        })
        .collect();
    Stacked {
        id,
        title,
        height: format!("{:.0}", 16.0 + rows.len() as f64 * ROW_HEIGHT),
        rows,
        legend: columns
            .iter()
            .enumerate()
            .map(|(j, c)| (class(j), c.clone()))
            .collect(),
    }
}

/// One point of a line chart.
pub struct Point {
    pub x: String,
    pub y: String,
    pub label: String,
    pub value: String,
}

/// A line over the years (the trend of an indicator): points scaled between 0 and the largest
/// value (or 100 for percentages), a year without a value leaves a gap.
pub struct Line {
    pub id: String,
    pub title: String,
    /// `x,y x,y …` runs of consecutive points with values.
    pub runs: Vec<String>,
    pub points: Vec<Point>,
    /// The top of the scale, as shown.
    pub top: String,
}

/// Width and height of the plot area of a line chart, and its left margin (SVG units).
const LINE_WIDTH: f64 = 520.0;
const LINE_HEIGHT: f64 = 160.0;
const LINE_LEFT: f64 = 60.0;

pub fn line(id: String, title: String, values: &[(String, Option<f64>)], unit: &str) -> Line {
    let max = values
        .iter()
        .filter_map(|(_, v)| *v)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let top = if unit == "%" && max <= 100.0 {
        100.0
    } else {
        max.max(1.0)
    };
    let n = values.len().max(2) as f64 - 1.0;
    let mut runs = Vec::new();
    let mut run = String::new();
    let mut points = Vec::new();
    for (i, (label, v)) in values.iter().enumerate() {
        let x = LINE_LEFT + LINE_WIDTH * i as f64 / n;
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                let y = 10.0 + LINE_HEIGHT * (1.0 - (v.max(0.0) / top).min(1.0));
                if !run.is_empty() {
                    run.push(' ');
                }
                run.push_str(&format!("{x:.1},{y:.1}"));
                points.push(Point {
                    x: format!("{x:.1}"),
                    y: format!("{y:.1}"),
                    label: label.clone(),
                    value: format!("{v:.1}{unit}"),
                });
            }
            None => {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
                points.push(Point {
                    x: format!("{x:.1}"),
                    y: format!("{:.1}", 10.0 + LINE_HEIGHT),
                    label: label.clone(),
                    value: "—".to_string(),
                });
            }
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    Line {
        id,
        title,
        runs,
        points,
        top: format!("{top:.0}{unit}"),
    }
}
