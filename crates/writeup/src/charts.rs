//! The report's charts as standalone SVG documents: horizontal bars (optionally with a target
//! line), 100% stacked bars, lines over the years and a donut.
//!
//! Every chart is one self-contained SVG: `xmlns`, a size in px with the same `viewBox`, a white
//! background, the font family on the root and sizes in px, the caption as `<title>`. No CSS
//! classes, no external references, no script — the same text is inlined in HTML, rasterised by
//! resvg for Word and embedded by Typst in the PDF, and only plain presentation attributes read
//! the same in all three. The caption is not drawn: every renderer prints it under the figure
//! with its number (图 2 …).
//!
//! Colours follow the web's charts: muted ink and grid greys, one blue for single-series charts
//! and the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies) for
//! categories. Lines also differ by dash pattern so series do not rely on colour alone.

use std::fmt::Write as _;

use crate::document::Figure;

/// The font families of every chart, CJK first: resvg and Typst pick the first one installed.
pub const FONT_FAMILY: &str =
    "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, sans-serif";

/// The single colour of plain bars and of a line chart's only series.
pub const BAR_COLOUR: &str = "#3b6ea8";

/// Category colours in order (Okabe–Ito, blue first as in the web's charts); more than eight
/// categories cycle through them again.
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#8c96a0",
];

/// Text, axis and gridline colours (the web's `--ink`, `--muted`, `--line`).
const INK: &str = "#1f2933";
const MUTED: &str = "#6b7785";
const GRID: &str = "#d9dee4";
const AXIS: &str = "#9aa5b1";

/// Every chart has the web charts' width; heights follow the content.
const WIDTH: f64 = 640.0;
/// Label and value text size; small text inside segments and above points.
const FONT: f64 = 12.0;
const SMALL: f64 = 11.0;

/// Where the left-hand labels end and the bars start, in the bar charts.
const LABEL_RIGHT: f64 = 174.0;
const BAR_X: f64 = 180.0;
/// A bar chart's row pitch and bar thickness.
const ROW: f64 = 26.0;
const BAR_H: f64 = 18.0;

/// Segments narrower than this share of their row carry no percentage (it would not fit).
const MIN_LABELLED: f64 = 0.08;

/// How values read in labels and on axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A share between 0 and 1, shown as a percentage with one decimal: 0.963 → `96.3%`. Bars
    /// scale to 100%.
    Share,
    /// A count, shown as a plain integer (no thousands separators): `1234`.
    Count,
    /// Any other quantity, shown with one decimal: `3.5`.
    Number,
}

impl Unit {
    /// A value as shown; `—` for none (nothing to divide by, no report that year) or a value
    /// that is not a number.
    pub fn format(self, value: Option<f64>) -> String {
        match value.filter(|v| v.is_finite()) {
            None => "—".to_string(),
            Some(v) => match self {
                Unit::Share => share(v),
                Unit::Count => fixed(v, 0),
                Unit::Number => fixed(v, 1),
            },
        }
    }
}

/// A share as people write it, one decimal everywhere: 0.963 → `96.3%`; `—` if not a number.
pub fn share(x: f64) -> String {
    if x.is_finite() {
        format!("{}%", fixed(x * 100.0, 1))
    } else {
        "—".to_string()
    }
}

/// `v` with `decimals` decimals, never `-0.0`: a value that rounds to zero reads as zero.
/// (The report's tables and narrative format their numbers with this too.)
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// A count or a total: an integer when it is one, else one decimal.
fn amount(v: f64) -> String {
    if v.fract() == 0.0 {
        fixed(v, 0)
    } else {
        fixed(v, 1)
    }
}

/// A count as counted, for tables and prose: whole numbers without decimals, sums of report
/// items with two.
pub(crate) fn counted(v: f64) -> String {
    if v.fract() == 0.0 {
        fixed(v, 0)
    } else {
        fixed(v, 2)
    }
}

/// A coordinate for an attribute: two decimals at most, trailing zeros dropped, so the files
/// stay small and tests can compare numbers exactly enough.
fn n(v: f64) -> String {
    let s = fixed(v, 2);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Text for XML and HTML content and attribute values (the HTML rendering uses it too).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Roughly how wide `s` is at `size` px: CJK and other wide characters take a full em, Latin
/// about 0.6 em. Only used to shorten labels and lay legends out, so erring wide is fine.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii() => 0.6,
            '…' | '—' | '·' => 1.0,
            c if (c as u32) < 0x1100 => 0.7,
            _ => 1.0,
        })
        .sum::<f64>()
        * size
}

/// `s` shortened with … to fit `max` px at `size` px; `None` if it already fits.
fn shorten(s: &str, max: f64, size: f64) -> Option<String> {
    if text_width(s, size) <= max {
        return None;
    }
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if text_width(&out, size) + size > max {
            out.pop();
            break;
        }
    }
    out.push('…');
    Some(out)
}

/// The text colour (ink or white) that reads best on `fill`, by WCAG contrast.
fn text_on(fill: &str) -> &'static str {
    let lum = luminance(fill);
    let with_white = 1.05 / (lum + 0.05);
    let with_ink = (lum + 0.05) / (luminance(INK) + 0.05);
    if with_white >= with_ink {
        "#ffffff"
    } else {
        INK
    }
}

/// WCAG relative luminance of a `#rrggbb` colour.
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64;
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// The colour of category `i` (cycling after eight).
fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// A finite, non-negative value or zero: counts and shares cannot be drawn below zero.
fn drawable(v: f64) -> f64 {
    if v.is_finite() { v.max(0.0) } else { 0.0 }
}

/// How a text lines up on its x.
#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// One text element's look.
#[derive(Clone, Copy)]
struct Style {
    size: f64,
    anchor: Anchor,
    fill: &'static str,
    bold: bool,
}

impl Style {
    const fn new(size: f64, anchor: Anchor, fill: &'static str) -> Style {
        Style {
            size,
            anchor,
            fill,
            bold: false,
        }
    }
}

/// An SVG document being written: elements are appended in painting order.
struct Svg {
    body: String,
}

impl Svg {
    fn new() -> Svg {
        Svg {
            body: String::new(),
        }
    }

    /// Text at (x, baseline y), escaped.
    fn text(&mut self, x: f64, y: f64, style: Style, s: &str) {
        let anchor = match style.anchor {
            Anchor::Start => "",
            Anchor::Middle => r#" text-anchor="middle""#,
            Anchor::End => r#" text-anchor="end""#,
        };
        let weight = if style.bold {
            r#" font-weight="bold""#
        } else {
            ""
        };
        let _ = write!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" fill="{}"{anchor}{weight}>{}</text>"#,
            n(x),
            n(y),
            n(style.size),
            style.fill,
            esc(s)
        );
    }

    /// A label that is shortened to `max` px when too long; the full text becomes its tooltip.
    fn label(&mut self, x: f64, y: f64, style: Style, s: &str, max: f64) {
        match shorten(s, max, style.size) {
            None => self.text(x, y, style, s),
            Some(short) => {
                let _ = write!(self.body, "<g><title>{}</title>", esc(s));
                self.text(x, y, style, &short);
                self.body.push_str("</g>");
            }
        }
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        let _ = write!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}"/>"#,
            n(x),
            n(y),
            n(w),
            n(h)
        );
    }

    /// A line; `dash` is a `stroke-dasharray` or empty for a solid line.
    fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, dash: &str) {
        let dash = if dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{dash}""#)
        };
        let _ = write!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{stroke}" stroke-width="1"{dash}/>"#,
            n(x1),
            n(y1),
            n(x2),
            n(y2)
        );
    }

    /// The finished document: root with size, fonts and accessible name, background, `<title>`.
    fn finish(self, caption: &str, height: f64) -> Figure {
        let height = height.ceil();
        let caption_attr = esc(caption);
        let svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" font-size="{font}" role="img" aria-label="{caption_attr}"><title>{caption_attr}</title><rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>{body}</svg>"##,
            w = n(WIDTH),
            h = n(height),
            font = n(FONT),
            body = self.body,
        );
        Figure {
            caption: caption.to_string(),
            svg,
            width: WIDTH,
            height,
        }
    }
}

/// Horizontal bars, one per `(label, value)` in the given order: the label on the left
/// (shortened with … when long, the full text as tooltip), the value as shown at the bar's end,
/// `—` and no bar for `None`. `Unit::Share` values are shares in 0..1 and scale to 100%; other
/// units scale to the largest value. Negative values draw no bar but show their value.
pub fn bars(caption: &str, items: &[(String, Option<f64>)], unit: Unit) -> Figure {
    bars_with_target(caption, items, unit, None)
}

/// `bars` with an optional target drawn as a dashed vertical line: `target` is the value (in the
/// items' unit) and the label written above the line, e.g. `(0.9, "目标")` → “目标 90.0%”. The
/// label is the caller's so the chart stays language-neutral.
pub fn bars_with_target(
    caption: &str,
    items: &[(String, Option<f64>)],
    unit: Unit,
    target: Option<(f64, &str)>,
) -> Figure {
    let target = target.filter(|(v, _)| v.is_finite());
    let area = WIDTH - BAR_X - 70.0; // room for the value label after a full bar
    let scale = bar_scale(items, unit, target.map(|(v, _)| v));
    // A target's label sits above the first row.
    let top = if target.is_some() { 26.0 } else { 8.0 };
    let bottom = top + items.len() as f64 * ROW;
    let mut svg = Svg::new();

    if unit == Unit::Share {
        // The 100% line, as on the web: how far each bar is from full.
        svg.line((BAR_X + area, top - 4.0), (BAR_X + area, bottom), GRID, "");
    }
    svg.line((BAR_X, top - 4.0), (BAR_X, bottom), AXIS, "");
    for (i, (label, value)) in items.iter().enumerate() {
        let y = top + i as f64 * ROW;
        let baseline = y + BAR_H / 2.0 + FONT * 0.35;
        let width = match (value.filter(|v| v.is_finite()), scale) {
            (Some(v), Some(scale)) => (v.max(0.0) / scale).min(1.0) * area,
            _ => 0.0,
        };
        let text = Style::new(FONT, Anchor::End, INK);
        svg.label(LABEL_RIGHT, baseline, text, label, LABEL_RIGHT - 8.0);
        if width > 0.0 {
            svg.rect(BAR_X, y, width, BAR_H, BAR_COLOUR);
        }
        let shown = Style::new(FONT, Anchor::Start, INK);
        svg.text(BAR_X + width + 6.0, baseline, shown, &unit.format(*value));
    }
    if let (Some((value, label)), Some(scale)) = (target, scale) {
        let x = BAR_X + (value.max(0.0) / scale).min(1.0) * area;
        svg.line((x, top - 6.0), (x, bottom + 2.0), INK, "4 3");
        let text = format!("{label} {}", unit.format(Some(value)));
        let text = text.trim();
        // Centred over the line unless that would run off the right edge.
        let anchor = if x + text_width(text, SMALL) / 2.0 > WIDTH - 4.0 {
            Anchor::End
        } else {
            Anchor::Middle
        };
        svg.text(x, top - 10.0, Style::new(SMALL, anchor, INK), text);
    }
    svg.finish(caption, bottom + 8.0)
}

/// The value a full-width bar stands for: 100% for shares (or the largest share if above 1),
/// else the largest value or target; `None` when nothing is above zero.
fn bar_scale(items: &[(String, Option<f64>)], unit: Unit, target: Option<f64>) -> Option<f64> {
    let max = items
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(target)
        .map(drawable)
        .fold(0.0_f64, f64::max);
    match unit {
        Unit::Share => Some(max.max(1.0)),
        Unit::Count | Unit::Number => (max > 0.0).then_some(max),
    }
}

/// Lays a legend out from the top left, wrapping at the chart's width: each entry is a swatch
/// drawn by `swatch(svg, x, y_middle, index)` followed by its name. Returns the height used.
fn draw_legend(
    svg: &mut Svg,
    top: f64,
    names: &[String],
    swatch: impl Fn(&mut Svg, f64, f64, usize),
) -> f64 {
    const SWATCH: f64 = 22.0; // the swatch and the gap after it
    const LINE: f64 = 20.0;
    let (left, right) = (10.0, WIDTH - 10.0);
    let (mut x, mut y) = (left, top);
    for (i, name) in names.iter().enumerate() {
        let max = right - left - SWATCH;
        let shown = shorten(name, max, FONT).unwrap_or_else(|| name.clone());
        let width = SWATCH + text_width(&shown, FONT);
        if x > left && x + width > right {
            x = left;
            y += LINE;
        }
        swatch(svg, x, y + LINE / 2.0, i);
        let text = Style::new(FONT, Anchor::Start, INK);
        svg.label(x + SWATCH, y + LINE / 2.0 + FONT * 0.35, text, name, max);
        x += width + 16.0;
    }
    if names.is_empty() {
        0.0
    } else {
        y + LINE - top
    }
}

/// 100% stacked horizontal bars: one bar per `(row label, counts by category)`, each count drawn
/// as its share of the row's total, categories named by `legend` in the same order (shown at the
/// top, colours from [`PALETTE`]). Segments of at least 8% carry their percentage. Negative or
/// non-numeric counts count as zero; a row whose total is zero draws no bar, only `—`.
pub fn stacked(caption: &str, legend: &[String], rows: &[(String, Vec<f64>)]) -> Figure {
    let area = WIDTH - BAR_X - 20.0;
    let mut svg = Svg::new();
    let legend_h = draw_legend(&mut svg, 6.0, legend, |svg, x, y, i| {
        svg.rect(x, y - 6.0, 12.0, 12.0, colour(i));
    });
    let top = 6.0 + legend_h + 8.0;
    let bottom = top + rows.len() as f64 * ROW;
    svg.line((BAR_X, top - 4.0), (BAR_X, bottom), AXIS, "");
    for (i, (label, counts)) in rows.iter().enumerate() {
        let y = top + i as f64 * ROW;
        let baseline = y + BAR_H / 2.0 + FONT * 0.35;
        let text = Style::new(FONT, Anchor::End, INK);
        svg.label(LABEL_RIGHT, baseline, text, label, LABEL_RIGHT - 8.0);
        let total: f64 = counts.iter().copied().map(drawable).sum();
        if total <= 0.0 {
            svg.text(
                BAR_X + 6.0,
                baseline,
                Style::new(FONT, Anchor::Start, MUTED),
                "—",
            );
            continue;
        }
        svg.body.push_str("<g>");
        let mut x = BAR_X;
        for (j, count) in counts.iter().copied().map(drawable).enumerate() {
            if count <= 0.0 {
                continue;
            }
            let part = count / total;
            let width = part * area;
            let name = legend.get(j).map(String::as_str).unwrap_or("");
            segment(&mut svg, (x, y, width), colour(j), part, label, name, count);
            x += width;
        }
        svg.body.push_str("</g>");
    }
    svg.finish(caption, bottom + 8.0)
}

/// One segment of a stacked bar: the rectangle with its tooltip (row · category: count, share)
/// and, when wide enough, the percentage inside in the colour that reads best on it.
fn segment(
    svg: &mut Svg,
    (x, y, width): (f64, f64, f64),
    fill: &'static str,
    part: f64,
    row: &str,
    category: &str,
    count: f64,
) {
    let _ = write!(
        svg.body,
        "<g><title>{} · {}: {} ({})</title>",
        esc(row),
        esc(category),
        amount(count),
        share(part)
    );
    svg.rect(x, y, width, BAR_H, fill);
    if part >= MIN_LABELLED {
        let style = Style::new(SMALL, Anchor::Middle, text_on(fill));
        svg.text(
            x + width / 2.0,
            y + BAR_H / 2.0 + SMALL * 0.35,
            style,
            &share(part),
        );
    }
    svg.body.push_str("</g>");
}

/// Dash patterns of a line chart's series, in order: colour is not the only difference.
const DASHES: [&str; 4] = ["", "6 3", "2 3", "8 3 2 3"];

/// Lines over the years: `x` are the labels along the bottom (years), `series` are
/// `(name, one value per x)`; a `None` (or missing) value leaves a gap in the line. Points carry
/// their value as shown in `unit`. The y axis starts at 0 and rises in 4 or 5 round steps with
/// gridlines and labels; negative values are drawn at 0 (their label still shows them). A legend
/// names the series when there is more than one.
pub fn line(
    caption: &str,
    x: &[String],
    series: &[(String, Vec<Option<f64>>)],
    unit: Unit,
) -> Figure {
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = WIDTH - 24.0;
    const PLOT_H: f64 = 200.0;
    let mut svg = Svg::new();
    let legend_h = if series.len() > 1 {
        let names: Vec<String> = series.iter().map(|(name, _)| name.clone()).collect();
        draw_legend(&mut svg, 6.0, &names, |svg, x, y, i| {
            svg.line(
                (x, y),
                (x + 16.0, y),
                series_colour(i),
                DASHES[i % DASHES.len()],
            );
        }) + 4.0
    } else {
        0.0
    };
    // Room above the plot for the highest point's value label.
    let top = 6.0 + legend_h + 18.0;
    let bottom = top + PLOT_H;
    let max = series
        .iter()
        .flat_map(|(_, values)| values.iter().flatten().copied())
        .map(drawable)
        .fold(0.0_f64, f64::max);
    let (step, steps) = y_steps(max, unit);
    let y_of = |v: f64| bottom - (drawable(v) / (step * steps as f64)).min(1.0) * PLOT_H;

    for k in 0..=steps {
        let v = step * k as f64;
        let y = y_of(v);
        let stroke = if k == 0 { AXIS } else { GRID };
        svg.line((LEFT, y), (RIGHT, y), stroke, "");
        let style = Style::new(SMALL, Anchor::End, MUTED);
        svg.text(LEFT - 6.0, y + SMALL * 0.35, style, &unit.format(Some(v)));
    }
    let xs = x_positions(x.len(), LEFT + 20.0, RIGHT - 20.0);
    let slot = if x.len() > 1 {
        xs[1] - xs[0]
    } else {
        RIGHT - LEFT
    };
    for (label, &px) in x.iter().zip(&xs) {
        let style = Style::new(FONT, Anchor::Middle, INK);
        svg.label(px, bottom + 18.0, style, label, slot - 4.0);
    }
    // (x, y, value) of each series' points, `None` where there is no value.
    let points: Vec<Vec<Option<(f64, f64, f64)>>> = series
        .iter()
        .map(|(_, values)| {
            xs.iter()
                .enumerate()
                .map(|(k, &px)| {
                    let v = values.get(k).copied().flatten().filter(|v| v.is_finite());
                    v.map(|v| (px, y_of(v), v))
                })
                .collect()
        })
        .collect();
    let all = points.iter().flatten().flatten().map(|&(x, y, _)| (x, y));
    let mut labels = Labels::new(all, bottom);
    for (i, ((name, _), points)) in series.iter().zip(&points).enumerate() {
        series_marks(&mut svg, i, name, points, unit, &mut labels);
    }
    svg.finish(caption, bottom + 30.0)
}

/// Evenly spaced x positions between `left` and `right`; a single point sits in the middle.
fn x_positions(count: usize, left: f64, right: f64) -> Vec<f64> {
    match count {
        0 => Vec::new(),
        1 => vec![(left + right) / 2.0],
        _ => (0..count)
            .map(|k| left + (right - left) * k as f64 / (count - 1) as f64)
            .collect(),
    }
}

/// The y axis' step and number of steps (4 or 5) from 0 to at least `max`: the smallest round
/// step (1, 2, 2.5 or 5 times a power of ten) that covers `max` in at most five steps; counts
/// step by whole numbers. Nothing above zero gives the scale of 1 (100% for shares).
fn y_steps(max: f64, unit: Unit) -> (f64, usize) {
    let max = if max > 0.0 { max } else { 1.0 };
    for exp in -6..=15 {
        for m in [1.0, 2.0, 2.5, 5.0] {
            let step = m * 10f64.powi(exp);
            if unit == Unit::Count && step.fract() != 0.0 {
                continue;
            }
            // A hair of tolerance so 0.3 / 0.1 = 3.0000000000000004 counts as three steps.
            let steps = (max / step - 1e-9).ceil().max(1.0) as usize;
            if steps <= 5 {
                return (step, steps.max(4));
            }
        }
    }
    (max / 4.0, 4)
}

/// Where a line chart's value labels may go: every point and every label already placed takes
/// its box, so series whose points are close do not print over each other's values and marks.
struct Labels {
    /// Boxes taken: left, top, right, bottom.
    taken: Vec<[f64; 4]>,
    /// The plot's baseline: labels stay above it, clear of the years.
    bottom: f64,
}

impl Labels {
    /// Starts with the markers of all the points (x, y) of all series.
    fn new(points: impl Iterator<Item = (f64, f64)>, bottom: f64) -> Labels {
        Labels {
            taken: points
                .map(|(x, y)| [x - 4.0, y - 4.0, x + 4.0, y + 4.0])
                .collect(),
            bottom,
        }
    }

    /// The baseline for the value label of the point at (x, y): above the point, or below it
    /// when only that space is free; above when neither is.
    fn place(&mut self, x: f64, y: f64, width: f64) -> f64 {
        let area = |baseline: f64| {
            [
                x - width / 2.0 - 1.0,
                baseline - SMALL,
                x + width / 2.0 + 1.0,
                baseline + 2.0,
            ]
        };
        let free = |b: [f64; 4]| {
            self.taken
                .iter()
                .all(|t| b[2] <= t[0] || t[2] <= b[0] || b[3] <= t[1] || t[3] <= b[1])
        };
        let above = y - 8.0;
        let below = y + 6.0 + SMALL;
        let baseline = if !free(area(above)) && below < self.bottom - 2.0 && free(area(below)) {
            below
        } else {
            above
        };
        self.taken.push(area(baseline));
        baseline
    }
}

/// A line's colour: the plain bars' blue for the first (often only) series, then the palette.
fn series_colour(i: usize) -> &'static str {
    if i == 0 { BAR_COLOUR } else { colour(i) }
}

/// One series of a line chart: the runs of consecutive values as polylines (gaps where values
/// are missing), then each point with its tooltip and value label.
fn series_marks(
    svg: &mut Svg,
    index: usize,
    name: &str,
    points: &[Option<(f64, f64, f64)>],
    unit: Unit,
    labels: &mut Labels,
) {
    let stroke = series_colour(index);
    let dash = match DASHES[index % DASHES.len()] {
        "" => String::new(),
        d => format!(r#" stroke-dasharray="{d}""#),
    };
    for run in points.split(Option::is_none).filter(|r| r.len() > 1) {
        let coords: Vec<String> = run
            .iter()
            .flatten()
            .map(|(x, y, _)| format!("{},{}", n(*x), n(*y)))
            .collect();
        let _ = write!(
            svg.body,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="2"{dash}/>"#,
            coords.join(" ")
        );
    }
    for &(x, y, v) in points.iter().flatten() {
        let _ = write!(
            svg.body,
            r##"<g><title>{}: {}</title><circle cx="{}" cy="{}" r="3.5" fill="{stroke}" stroke="#ffffff" stroke-width="1"/>"##,
            esc(name),
            unit.format(Some(v)),
            n(x),
            n(y)
        );
        let shown = unit.format(Some(v));
        let baseline = labels.place(x, y, text_width(&shown, SMALL));
        svg.text(x, baseline, Style::new(SMALL, Anchor::Middle, INK), &shown);
        svg.body.push_str("</g>");
    }
}

/// Outer and inner radius of the donut, and its centre's x.
const DONUT_R: f64 = 100.0;
const DONUT_INNER: f64 = 58.0;
const DONUT_CX: f64 = 140.0;

/// A donut of `(name, count)` parts: arcs clockwise from 12 o'clock in the given order (colours
/// from [`PALETTE`]), the percentage on arcs of at least 8%, the total in the centre and a legend
/// on the right with each part's count and share. Negative or non-numeric counts count as zero;
/// a zero total draws an empty grey ring.
pub fn donut(caption: &str, parts: &[(String, f64)]) -> Figure {
    const PAD: f64 = 16.0;
    const LEGEND_ROW: f64 = 22.0;
    let values: Vec<f64> = parts.iter().map(|(_, v)| drawable(*v)).collect();
    let total: f64 = values.iter().sum();
    let height = (2.0 * DONUT_R).max(parts.len() as f64 * LEGEND_ROW) + 2.0 * PAD;
    let cy = height / 2.0;
    let mut svg = Svg::new();

    if total <= 0.0 {
        svg.body.push_str(&ring_path(DONUT_CX, cy, GRID));
    }
    let mut start = 0.0;
    for (i, ((name, _), &v)) in parts.iter().zip(&values).enumerate() {
        if v <= 0.0 || total <= 0.0 {
            continue;
        }
        let part = v / total;
        let end = start + part;
        let _ = write!(
            svg.body,
            "<g><title>{}: {} ({})</title>",
            esc(name),
            amount(v),
            share(part)
        );
        if part >= 1.0 - 1e-9 {
            svg.body.push_str(&ring_path(DONUT_CX, cy, colour(i)));
        } else {
            svg.body
                .push_str(&arc_path(DONUT_CX, cy, start, end, colour(i)));
        }
        if part >= MIN_LABELLED {
            let (x, y) = polar(
                DONUT_CX,
                cy,
                (DONUT_R + DONUT_INNER) / 2.0,
                (start + end) / 2.0,
            );
            let style = Style::new(SMALL, Anchor::Middle, text_on(colour(i)));
            svg.text(x, y + SMALL * 0.35, style, &share(part));
        }
        svg.body.push_str("</g>");
        start = end;
    }
    let centre = Style {
        bold: true,
        ..Style::new(20.0, Anchor::Middle, INK)
    };
    svg.text(DONUT_CX, cy + 7.0, centre, &amount(total));

    let top = cy - parts.len() as f64 * LEGEND_ROW / 2.0;
    for (i, ((name, _), &v)) in parts.iter().zip(&values).enumerate() {
        let y = top + i as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
        donut_legend_row(&mut svg, y, i, name, v, total);
    }
    svg.finish(caption, height)
}

/// One line of the donut's legend: swatch, name (shortened), count and share in two
/// right-aligned columns so the numbers line up.
fn donut_legend_row(svg: &mut Svg, y: f64, i: usize, name: &str, value: f64, total: f64) {
    const X: f64 = 290.0;
    const COUNT_RIGHT: f64 = 560.0;
    const SHARE_RIGHT: f64 = WIDTH - 16.0;
    let baseline = y + FONT * 0.35;
    svg.rect(X, y - 6.0, 12.0, 12.0, colour(i));
    let style = Style::new(FONT, Anchor::Start, INK);
    svg.label(
        X + 20.0,
        baseline,
        style,
        name,
        COUNT_RIGHT - X - 20.0 - 60.0,
    );
    let right = Style::new(FONT, Anchor::End, INK);
    svg.text(COUNT_RIGHT, baseline, right, &amount(value));
    let part = (total > 0.0).then(|| value / total);
    svg.text(SHARE_RIGHT, baseline, right, &Unit::Share.format(part));
}

/// The point at `radius` from the centre, `turn` of a full turn clockwise from 12 o'clock.
fn polar(cx: f64, cy: f64, radius: f64, turn: f64) -> (f64, f64) {
    let angle = turn * std::f64::consts::TAU;
    (cx + radius * angle.sin(), cy - radius * angle.cos())
}

/// A slice of the donut from `start` to `end` (fractions of a turn): the outer arc clockwise,
/// then the inner arc back. Arcs of more than half a turn set the large-arc flag.
fn arc_path(cx: f64, cy: f64, start: f64, end: f64, fill: &str) -> String {
    let large = u8::from(end - start > 0.5);
    let (ox0, oy0) = polar(cx, cy, DONUT_R, start);
    let (ox1, oy1) = polar(cx, cy, DONUT_R, end);
    let (ix1, iy1) = polar(cx, cy, DONUT_INNER, end);
    let (ix0, iy0) = polar(cx, cy, DONUT_INNER, start);
    format!(
        r##"<path d="M{} {} A{r} {r} 0 {large} 1 {} {} L{} {} A{ri} {ri} 0 {large} 0 {} {} Z" fill="{fill}" stroke="#ffffff" stroke-width="1"/>"##,
        n(ox0),
        n(oy0),
        n(ox1),
        n(oy1),
        n(ix1),
        n(iy1),
        n(ix0),
        n(iy0),
        r = n(DONUT_R),
        ri = n(DONUT_INNER),
    )
}

/// The whole ring (one part is everything): an arc cannot start and end at the same point, so
/// each circle is two half-turn arcs, and the even-odd rule leaves the hole empty.
fn ring_path(cx: f64, cy: f64, fill: &str) -> String {
    let circle = |r: f64| {
        format!(
            "M{x} {top} A{r} {r} 0 1 1 {x} {bottom} A{r} {r} 0 1 1 {x} {top} Z",
            x = n(cx),
            top = n(cy - r),
            bottom = n(cy + r),
            r = n(r),
        )
    };
    format!(
        r#"<path d="{} {}" fill="{fill}" fill-rule="evenodd"/>"#,
        circle(DONUT_R),
        circle(DONUT_INNER)
    )
}
