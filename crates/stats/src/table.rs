//! Results as tables, the way SPSS shows them: a title, column headers, rows of cells (text, or
//! numbers with the decimals to show), and footnotes. Renderers (text, csv, html, xlsx) live
//! with whoever prints them; procedures build these from their full-precision results.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    Text(String),
    /// A number and the decimal places to show; `None` shows as empty (e.g. a sig. that does not
    /// apply).
    Num(Option<f64>, u8),
    /// A whole count.
    Count(f64),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Self {
        Cell::Text(s.into())
    }

    /// The cell as shown (numbers rounded to their decimals, as SPSS prints them).
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(Some(x), d) if x.is_finite() => spss_number(*x, *d),
            Cell::Num(Some(x), _) if x.is_nan() => ".".into(),
            Cell::Num(Some(x), _) => format!("{x}"),
            Cell::Count(x) => {
                if x.fract() == 0.0 {
                    format!("{x:.0}")
                } else {
                    format!("{x:.2}")
                }
            }
            Cell::Num(None, _) | Cell::Empty => String::new(),
        }
    }
}

/// A number as SPSS prints it: rounded half away from zero to `d` decimals, without the
/// leading zero of a fraction (`.91`, `-.05`).
pub fn spss_number(x: f64, d: u8) -> String {
    let scale = 10f64.powi(d as i32);
    let r = (x * scale).round() / scale;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{:.*}", d as usize, r);
    if let Some(rest) = s.strip_prefix("0.") {
        format!(".{rest}")
    } else if let Some(rest) = s.strip_prefix("-0.") {
        format!("-.{rest}")
    } else {
        s
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub notes: Vec<String>,
}

impl Table {
    /// Plain text, columns aligned (CJK characters count as two columns wide).
    pub fn to_text(&self) -> String {
        let width = |s: &str| {
            s.chars()
                .map(|c| if (c as u32) > 0x2E80 { 2 } else { 1 })
                .sum::<usize>()
        };
        let cells: Vec<Vec<String>> = std::iter::once(self.columns.clone())
            .chain(
                self.rows
                    .iter()
                    .map(|r| r.iter().map(Cell::shown).collect()),
            )
            .collect();
        let n = cells.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..n)
            .map(|i| {
                cells
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|s| width(s))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = format!("{}\n", self.title);
        for r in &cells {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{s}{}", " ".repeat(widths[i].saturating_sub(width(s)))))
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(note);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_spss_prints_them() {
        assert_eq!(spss_number(6.25, 1), "6.3");
        assert_eq!(spss_number(0.905, 2), ".91");
        assert_eq!(spss_number(-0.05, 2), "-.05");
        assert_eq!(spss_number(-0.001, 2), ".00");
        assert_eq!(spss_number(12.5, 0), "13");
        assert_eq!(spss_number(12.34567, 3), "12.346");
    }
}
