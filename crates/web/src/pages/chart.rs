//! The horizontal bar chart of a node's children (reporting rate, share with problems, closure
//! rate), drawn on the server as SVG by `templates/bar_chart.html`.

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
    pub id: &'static str,
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
        id,
        title,
        height: format!("{:.0}", 16.0 + bars.len() as f64 * ROW_HEIGHT),
        bars,
    }
}
