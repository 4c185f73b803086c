//! The shipped sample rule set (`data/rules/sample.csv`) and the CSV reading it needs: rules
//! contain commas and quotes, so cells may be quoted (RFC 4180: `"a, b"`, `""` for a quote,
//! line breaks inside quotes).

use super::{Rule, read_rules};
use crate::template::SheetRow;

/// Records of CSV text: fields split on commas, quotes honoured, CRLF or LF line ends, a
/// leading byte-order mark dropped. A quote inside an unquoted field is kept as it is.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !quoted => {
                in_quotes = true;
                quoted = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                quoted = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                record.push(std::mem::take(&mut field));
                quoted = false;
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || quoted || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// CSV text as sheet rows: the first record names the columns; rows are numbered as a
/// spreadsheet shows them (the header is row 1); blank records are left out.
pub fn csv_rows(text: &str) -> Vec<SheetRow> {
    let mut records = parse_csv(text).into_iter();
    let header = records.next().unwrap_or_default();
    records
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| SheetRow {
            row: i + 2,
            cells: header
                .iter()
                .zip(r)
                .map(|(h, v)| (h.trim().to_string(), v))
                .collect(),
        })
        .collect()
}

pub(super) const SAMPLE_CSV: &str = include_str!("../../data/rules/sample.csv");

/// The sample rule set for the sample template (`template::sample()`): the constraints of
/// ANNUAL_REPORT_TEMPLATE.md, the cross-year comparisons and the registry's consistency.
pub fn sample_rules() -> Vec<Rule> {
    read_rules(&csv_rows(SAMPLE_CSV)).expect("the shipped sample rules are valid")
}
