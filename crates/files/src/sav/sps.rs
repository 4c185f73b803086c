//! The SPSS syntax that goes with a system file: `GET FILE`, then the dictionary in commands
//! staff can read, change and run again.

use std::fmt::Write as _;

use shanghui_stats::{Dataset, Measure, MissingSpec, Value};

use super::cut;
use super::write::{Laid, layout, value_labels};

/// Lines are kept short: SPSS before version 16 read at most 80 columns, later versions 256
/// bytes a line. Longer strings are split into pieces joined with `+`.
const STRING_PIECE_BYTES: usize = 96;
const LINE_BYTES: usize = 78;

/// SPSS syntax (UTF-8, with a byte order mark so that SPSS on Windows reads it as Unicode)
/// that opens `sav_file_name` and applies the dictionary of `ds` to it: `VARIABLE LABELS`,
/// `VALUE LABELS`, `MISSING VALUES`, `VARIABLE LEVEL` and `FORMATS`, with the names, widths,
/// formats and cut labels [`write_sav`](super::write_sav) writes. What `write_sav` would refuse
/// (missing values SPSS cannot represent, labels of the wrong type) is left out.
pub fn write_sps(ds: &Dataset, sav_file_name: &str) -> String {
    let laid = layout(ds);
    let mut out = String::from("\u{feff}* Encoding: UTF-8.\n");
    let _ = writeln!(
        out,
        "* {}.\n",
        comment(&format!(
            "shanghui: the dictionary of {sav_file_name}, {} variables, {} cases",
            laid.len(),
            ds.cases()
        ))
    );
    let _ = writeln!(out, "GET FILE={}.", quote(sav_file_name, 0));

    let labelled: Vec<&Laid<'_>> = laid.iter().filter(|l| l.label.is_some()).collect();
    if !labelled.is_empty() {
        out.push_str("\nVARIABLE LABELS\n");
        for (i, l) in labelled.iter().enumerate() {
            let sep = if i == 0 { "  " } else { "  /" };
            let lead = format!("{sep}{} ", l.name);
            let _ = write!(out, "{lead}{}", quote(l.label.unwrap_or(""), lead.len()));
            out.push_str(if i + 1 == labelled.len() { ".\n" } else { "\n" });
        }
    }

    let with_labels: Vec<(&Laid<'_>, Vec<(&Value, &str)>)> = laid
        .iter()
        .filter_map(|l| value_labels(l).ok().map(|v| (l, v)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if !with_labels.is_empty() {
        out.push_str("\nVALUE LABELS\n");
        for (i, (l, labels)) in with_labels.iter().enumerate() {
            let sep = if i == 0 { "  " } else { "  /" };
            let _ = writeln!(out, "{sep}{}", l.name);
            for (k, (value, label)) in labels.iter().enumerate() {
                let value = match value {
                    Value::Num(x) => number(*x),
                    Value::Str(s) => quote(s.trim_end_matches(' '), 4),
                };
                let lead = format!("    {value} ");
                let _ = write!(out, "{lead}{}", quote(label, lead.len()));
                let last = i + 1 == with_labels.len() && k + 1 == labels.len();
                out.push_str(if last { ".\n" } else { "\n" });
            }
        }
    }

    let mut missing = String::new();
    for l in &laid {
        if super::write::missing(l).is_err() {
            continue;
        }
        let spec = match &l.var.missing {
            MissingSpec::None => continue,
            MissingSpec::Values(vs) if vs.is_empty() => continue,
            MissingSpec::Values(vs) => vs
                .iter()
                .map(|v| match v {
                    Value::Num(x) => number(*x),
                    Value::Str(s) => quote(cut(s.trim_end_matches(' '), 8), 0),
                })
                .collect::<Vec<_>>()
                .join(", "),
            MissingSpec::Range { lo, hi } => range(*lo, *hi),
            MissingSpec::RangeAndValue { lo, hi, value } => {
                format!("{}, {}", range(*lo, *hi), number(*value))
            }
        };
        let _ = writeln!(missing, "MISSING VALUES {} ({spec}).", l.name);
    }
    if !missing.is_empty() {
        out.push('\n');
        out.push_str(&missing);
    }

    let levels: Vec<(&str, Vec<&str>)> = [
        (Measure::Nominal, "NOMINAL"),
        (Measure::Ordinal, "ORDINAL"),
        (Measure::Scale, "SCALE"),
    ]
    .into_iter()
    .map(|(m, word)| {
        let names = laid
            .iter()
            .filter(|l| l.measure() == m)
            .map(|l| l.name.as_str())
            .collect();
        (word, names)
    })
    .filter(|(_, names): &(&str, Vec<&str>)| !names.is_empty())
    .collect();
    if !levels.is_empty() {
        out.push_str("\nVARIABLE LEVEL\n");
        for (i, (word, names)) in levels.iter().enumerate() {
            let sep = if i == 0 { "  " } else { "  /" };
            let end = if i + 1 == levels.len() { ".\n" } else { "\n" };
            let _ = write!(out, "{}", wrap(sep, names));
            let _ = write!(out, " ({word}){end}");
        }
    }

    let numeric: Vec<&Laid<'_>> = laid.iter().filter(|l| !l.is_string()).collect();
    if !numeric.is_empty() {
        out.push_str("\nFORMATS\n");
        for (i, l) in numeric.iter().enumerate() {
            let sep = if i == 0 { "  " } else { "  /" };
            let end = if i + 1 == numeric.len() { ".\n" } else { "\n" };
            let _ = write!(out, "{sep}{} ({}){end}", l.name, l.format());
        }
    }
    out
}

/// Names after `lead`, broken into lines of about [`LINE_BYTES`].
fn wrap(lead: &str, names: &[&str]) -> String {
    let mut out = String::from(lead);
    let mut line = lead.len();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            if line + 1 + n.len() > LINE_BYTES {
                out.push_str("\n    ");
                line = 4;
            } else {
                out.push(' ');
                line += 1;
            }
        }
        out.push_str(n);
        line += n.len();
    }
    out
}

/// A number as syntax writes it, in full: `3`, `-1.5`, `1e300`.
fn number(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && !(1e-5..1e15).contains(&a) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn range(lo: f64, hi: f64) -> String {
    let lo = if lo <= -f64::MAX {
        "LO".to_string()
    } else {
        number(lo)
    };
    let hi = if hi >= f64::MAX {
        "HI".to_string()
    } else {
        number(hi)
    };
    format!("{lo} THRU {hi}")
}

/// A quoted string: `'It''s'`; line breaks become spaces; a long string is split into pieces
/// joined with `+` on lines of their own, indented past `indent` bytes.
fn quote(s: &str, indent: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut pieces = Vec::new();
    let mut rest = flat.as_str();
    loop {
        let piece = cut(rest, STRING_PIECE_BYTES);
        // A string of one character wider than the piece cannot happen: pieces are > 4 bytes.
        pieces.push(format!("'{}'", piece.replace('\'', "''")));
        rest = &rest[piece.len()..];
        if rest.is_empty() {
            break;
        }
    }
    pieces.join(&format!(" +\n{}", " ".repeat(indent.min(8))))
}

/// Text for a comment line: no full stop at the end of a line, which would end the comment.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim_end_matches('.')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("It's", 0), "'It''s'");
        assert_eq!(quote("a\nb", 0), "'a b'");
        let long = "长".repeat(50);
        let q = quote(&long, 4);
        assert_eq!(q.lines().count(), 2, "{q}");
        assert!(q.contains("' +\n    '"), "{q}");
        assert_eq!(q.replace("' +\n    '", ""), format!("'{long}'"));
    }

    #[test]
    fn numbers() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-1.5), "-1.5");
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(0.0), "0");
        assert_eq!(range(f64::NEG_INFINITY, -1.0), "LO THRU -1");
        assert_eq!(range(5.0, f64::INFINITY), "5 THRU HI");
    }
}
