//! A problem pinned to a place in a file.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use shanghui_core::{Field, Lang, Msg, Problem, Severity};

/// A problem pinned to a place in a file, shown in the user's language: the sheet, the row and
/// column as Excel shows them (row 5, column C), the header of that column and the value in the
/// cell, where they are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The sheet's name (for a CSV file, the file name without its extension, as Excel names the
    /// sheet when it opens one). Empty for a problem with the whole file.
    pub sheet: String,
    /// 1-based, as Excel shows it.
    pub row: Option<usize>,
    /// The column letter, as Excel shows it: `C`, `AB`.
    pub column: Option<String>,
    /// The column's header as written in the file.
    pub header: Option<String>,
    /// The cell's content.
    pub value: Option<String>,
    pub field: Option<Field>,
    pub severity: Severity,
    pub msg: Msg,
}

/// Values longer than this are cut short when shown.
const SHOWN_VALUE_CHARS: usize = 40;

impl Located {
    /// A problem with the whole file.
    pub fn file(msg: Msg) -> Self {
        Located::in_sheet("", msg)
    }

    /// A problem with a sheet (or, with the builder methods, a place in it).
    pub fn in_sheet(sheet: &str, msg: Msg) -> Self {
        Located {
            sheet: sheet.to_string(),
            row: None,
            column: None,
            header: None,
            value: None,
            field: None,
            severity: Severity::Error,
            msg,
        }
    }

    /// Pins a problem found by [`shanghui_core::org::parse_org`] to its row's cell.
    pub fn from_problem(row: &crate::RegistryRow, problem: &Problem) -> Self {
        let mut l = Located::in_sheet(&row.sheet, problem.msg.clone()).row(row.row);
        l.severity = problem.severity;
        if let Some(f) = problem.field {
            l.field = Some(f);
            l.column = row.columns.get(&f).cloned();
            l.value = row.input.get(&f).cloned();
        }
        l
    }

    /// Sets the 1-based row number.
    pub fn row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }

    /// Sets the column from its 0-based index.
    pub fn column(mut self, index: usize) -> Self {
        self.column = Some(column_letter(index));
        self
    }

    pub fn header(mut self, header: &str) -> Self {
        self.header = Some(header.to_string());
        self
    }

    pub fn value(mut self, value: &str) -> Self {
        self.value = Some(value.to_string());
        self
    }

    pub fn field(mut self, field: Field) -> Self {
        self.field = Some(field);
        self
    }

    /// `工作表“单位”第 5 行 C 列（名称）“xxx”：原因`, leaving out what is not known.
    pub fn render(&self, lang: Lang) -> String {
        let message = self.msg.render(lang);
        if self.sheet.is_empty() && self.row.is_none() && self.column.is_none() {
            return message;
        }
        let mut place = lang.tf("files.at.sheet", &[("sheet", &self.sheet)]);
        if let Some(row) = self.row {
            place = lang.tf(
                "files.at.row",
                &[("place", &place), ("row", &row.to_string())],
            );
        }
        if let Some(column) = &self.column {
            place = lang.tf("files.at.column", &[("place", &place), ("column", column)]);
        }
        let header = self
            .header
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .or_else(|| self.field.map(|f| f.label(lang)));
        if let Some(header) = header {
            place = lang.tf("files.at.header", &[("place", &place), ("header", header)]);
        }
        if let Some(value) = self.value.as_deref().filter(|v| !v.is_empty()) {
            let shown = shorten(value);
            place = lang.tf("files.at.value", &[("place", &place), ("value", &shown)]);
        }
        lang.tf(
            "files.at.message",
            &[("place", &place), ("message", &message)],
        )
    }
}

fn shorten(value: &str) -> String {
    let one_line: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if one_line.chars().count() > SHOWN_VALUE_CHARS {
        let mut s: String = one_line.chars().take(SHOWN_VALUE_CHARS).collect();
        s.push('…');
        s
    } else {
        one_line
    }
}

/// The letters Excel gives the column with this 0-based index: 0 is `A`, 25 `Z`, 26 `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The catalogue key of a field's label, as the `&'static str` a [`Msg`] parameter needs. The
/// keys are built once, one per field.
pub(crate) fn label_key(field: Field) -> &'static str {
    static KEYS: LazyLock<BTreeMap<Field, &'static str>> = LazyLock::new(|| {
        Field::ALL
            .iter()
            .map(|&f| (f, &*Box::leak(f.label_key().into_boxed_str())))
            .collect()
    });
    KEYS.get(&field).copied().unwrap_or("field.name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(2), "C");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16383), "XFD");
    }

    #[test]
    fn renders_the_place() {
        let l = Located::in_sheet("单位", Msg::new("problem.required"))
            .row(5)
            .column(2)
            .header("名称")
            .value("xxx");
        assert_eq!(
            l.render(Lang::ZhCn),
            "工作表“单位”第 5 行 C 列（名称）“xxx”：必填项不能为空"
        );
        assert_eq!(
            l.render(Lang::En),
            "Sheet \"单位\", row 5, column C (名称), value \"xxx\": This field is required"
        );
        let whole = Located::file(Msg::new("files.empty_file"));
        assert_eq!(whole.render(Lang::ZhCn), "文件是空的");
        let field_only = Located::in_sheet("Units", Msg::new("problem.required"))
            .row(3)
            .field(Field::Kind);
        assert_eq!(
            field_only.render(Lang::En),
            "Sheet \"Units\", row 3 (Unit type): This field is required"
        );
        let long = "长".repeat(100);
        let shown = Located::in_sheet("s", Msg::new("problem.required"))
            .value(&long)
            .render(Lang::ZhCn);
        assert!(shown.contains('…') && shown.chars().count() < 80, "{shown}");
    }
}
