//! 列名与标签：年报工作簿里每个表头、每个标签代表什么。
//! What each header and label of a report workbook stands for, in either language, as codes or as
//! labels, the way people retype them (full-width letters, spaces, a `*` for required, a colon).

use std::collections::HashMap;

use shanghui_core::template::Template;
use shanghui_core::{Lang, value};

use crate::read::unneutralize;

/// What a column of layout (a), or a label of layout (b)'s top rows, stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Col {
    Id,
    Name,
    Uscc,
    /// 报送日期: optional, for reports handed in on paper before the import.
    SubmittedOn,
    /// 年度: written on layout (b) sheets; not read, the campaign decides the year.
    Year,
    /// 序号: row numbers people add to hand-made sheets; not data.
    Number,
    /// A template item, by its index in `Template::items`.
    Item(usize),
}

/// The columns that name a unit, in the order they are written: the code and the catalogue key
/// of the label.
pub(super) const UNIT_COLUMNS: [(Col, &str, &str); 3] = [
    (Col::Id, "id", "files.rpt.col.id"),
    (Col::Name, "name", "files.rpt.col.name"),
    (Col::Uscc, "uscc", "files.rpt.col.uscc"),
];

/// Columns that are not items, with their codes and label keys.
const OTHER_COLUMNS: [(Col, &str, &str); 3] = [
    (
        Col::SubmittedOn,
        "submitted_on",
        "files.rpt.col.submitted_on",
    ),
    (Col::Year, "year", "files.rpt.col.year"),
    // Not `no`: an answer "No" must not look like a header.
    (Col::Number, "seq", "files.rpt.col.no"),
];

/// Other spellings of the same columns seen in hand-made files.
const SYNONYMS: &[(Col, &str)] = &[
    (Col::Id, "编号"),
    (Col::Id, "单位id"),
    (Col::Name, "名称"),
    (Col::Name, "商会名称"),
    (Col::Name, "单位全称"),
    (Col::Uscc, "信用代码"),
    (Col::Uscc, "社会信用代码"),
    (Col::SubmittedOn, "填报日期"),
    (Col::SubmittedOn, "报送时间"),
    (Col::Number, "序"),
];

/// The columns of the item table on a layout (b) sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum TableCol {
    Number,
    Label,
    Code,
    Answer,
    Note,
}

/// The table's columns in the order they are written, with the catalogue keys of their headers.
pub(super) const TABLE_COLUMNS: [(TableCol, &str); 5] = [
    (TableCol::Number, "files.rpt.col.no"),
    (TableCol::Label, "files.rpt.col.item"),
    (TableCol::Code, "files.rpt.col.code"),
    (TableCol::Answer, "files.rpt.col.answer"),
    (TableCol::Note, "files.rpt.col.note"),
];

/// A header as compared: formula guard taken off, full-width folded to half width, spaces and
/// line breaks dropped (people wrap long headers with Alt+Enter), a `*` marking a required item
/// and a trailing colon dropped, lower case. A trailing full stop is kept: `No.` is a header,
/// `No` an answer.
pub(super) fn key(text: &str) -> String {
    let folded = value::normalize(unneutralize(text));
    let mut k: String = folded
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    while k.ends_with(['*', ':']) {
        k.pop();
    }
    match k.strip_prefix('*') {
        Some(rest) => rest.to_string(),
        None => k,
    }
}

/// The template's items and the fixed columns by every spelling of their headers.
pub(super) struct Vocabulary<'t> {
    pub t: &'t Template,
    headers: HashMap<String, Col>,
    table: HashMap<String, TableCol>,
    /// Unit columns that are also items (the sample template asks for the credit code as its item
    /// `uscc`): one cell answers both.
    aliases: Vec<(Col, usize)>,
    codes: HashMap<&'t str, usize>,
}

impl<'t> Vocabulary<'t> {
    pub fn new(t: &'t Template) -> Self {
        let mut fixed: Vec<(String, Col)> = Vec::new();
        for (col, code, label) in UNIT_COLUMNS.iter().chain(&OTHER_COLUMNS) {
            fixed.push((key(code), *col));
            for lang in Lang::ALL {
                fixed.push((key(lang.t(label)), *col));
            }
        }
        fixed.extend(SYNONYMS.iter().map(|(col, s)| (key(s), *col)));
        // 年度 and 序号 carry no data: an item spelled the same wins over them.
        let (fixed, minor): (Vec<_>, Vec<_>) = fixed
            .into_iter()
            .partition(|(_, c)| !matches!(c, Col::Year | Col::Number));

        let mut aliases = Vec::new();
        for col in [Col::Id, Col::Name, Col::Uscc, Col::SubmittedOn] {
            let named = |s: &str| fixed.iter().any(|(k, c)| *c == col && *k == key(s));
            if let Some(i) = t
                .items
                .iter()
                .position(|it| named(&it.code) || named(&it.label_zh) || named(&it.label_en))
            {
                aliases.push((col, i));
            }
        }

        let mut headers: HashMap<String, Col> = HashMap::new();
        for (k, col) in fixed {
            headers.entry(k).or_insert(col);
        }
        // Codes before labels, so that a label never hides another item's code.
        for (i, item) in t.items.iter().enumerate() {
            let col = aliases
                .iter()
                .find(|(_, a)| *a == i)
                .map_or(Col::Item(i), |(c, _)| *c);
            headers.entry(key(&item.code)).or_insert(col);
        }
        for (i, item) in t.items.iter().enumerate() {
            let col = aliases
                .iter()
                .find(|(_, a)| *a == i)
                .map_or(Col::Item(i), |(c, _)| *c);
            headers.entry(key(&item.label_zh)).or_insert(col);
            headers.entry(key(&item.label_en)).or_insert(col);
        }

        for (k, col) in minor {
            headers.entry(k).or_insert(col);
        }

        let mut table = HashMap::new();
        for (col, label) in TABLE_COLUMNS {
            for lang in Lang::ALL {
                table.entry(key(lang.t(label))).or_insert(col);
            }
        }
        Vocabulary {
            t,
            headers,
            table,
            aliases,
            codes: t
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| (it.code.as_str(), i))
                .collect(),
        }
    }

    /// What a column header (or a label on a layout (b) sheet) stands for. A bracketed note at the
    /// end (`会员总数（人）`) is tried without, when the whole does not match.
    pub fn col(&self, header: &str) -> Option<Col> {
        let k = key(header);
        if k.is_empty() {
            return None;
        }
        if let Some(c) = self.headers.get(&k) {
            return Some(*c);
        }
        let open = k.strip_suffix(')')?.rfind('(')?;
        self.headers.get(&k[..open]).copied()
    }

    /// The item a header, a code or a label names; a unit column counts when an item answers it.
    pub fn item(&self, text: &str) -> Option<usize> {
        match self.col(text)? {
            Col::Item(i) => Some(i),
            other => self.alias(other),
        }
    }

    pub fn table_col(&self, header: &str) -> Option<TableCol> {
        self.table.get(&key(header)).copied()
    }

    /// The item that a unit column also answers.
    pub fn alias(&self, col: Col) -> Option<usize> {
        self.aliases
            .iter()
            .find(|(c, _)| *c == col)
            .map(|(_, i)| *i)
    }

    /// The unit column that also answers an item.
    pub fn aliased(&self, item: usize) -> Option<Col> {
        self.aliases
            .iter()
            .find(|(_, i)| *i == item)
            .map(|(c, _)| *c)
    }

    pub fn index(&self, code: &str) -> Option<usize> {
        self.codes.get(code).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shanghui_core::template::sample;

    #[test]
    fn headers_as_people_type_them() {
        let t = sample();
        let v = Vocabulary::new(&t);
        let members = t.items.iter().position(|i| i.code == "members_total");
        let unit = t.items.iter().position(|i| i.code == "members_unit");
        assert_eq!(v.col("会员总数"), members.map(Col::Item));
        assert_eq!(v.col(" 会员总数 * "), members.map(Col::Item));
        assert_eq!(v.col("会员\n总数"), members.map(Col::Item));
        assert_eq!(v.col("ｍｅｍｂｅｒｓ＿ｔｏｔａｌ"), members.map(Col::Item));
        assert_eq!(v.col("Total Members"), members.map(Col::Item));
        assert_eq!(v.col("会员总数（人）"), members.map(Col::Item));
        assert_eq!(v.col("单位(企业)会员数"), unit.map(Col::Item));
        assert_eq!(v.col("单位编号："), Some(Col::Id));
        assert_eq!(v.col("Unit ID"), Some(Col::Id));
        assert_eq!(v.col("备注"), None);
        assert_eq!(v.col(""), None);
        // The sample's item `uscc` is answered by the unit's credit-code column.
        let uscc = t.items.iter().position(|i| i.code == "uscc");
        assert_eq!(v.col("uscc"), Some(Col::Uscc));
        assert_eq!(v.alias(Col::Uscc), uscc);
        assert_eq!(v.item("统一社会信用代码"), uscc);
        assert_eq!(v.table_col("填报内容"), Some(TableCol::Answer));
        assert_eq!(v.table_col("Code"), Some(TableCol::Code));
    }
}
