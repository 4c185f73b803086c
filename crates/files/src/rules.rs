//! Review rules (审查规则, issue 5) as workbooks, so that federation staff can write and edit a
//! rule set in Excel and bring it back: a sheet of instructions (the columns and the rule
//! language in brief), the sheet `rules` (one rule a row, columns [`RULE_COLUMNS`]) and the sheet
//! `items` (the template's item codes, for reference). The checks are
//! [`shanghui_core::rules::build_rules`]'s; this module moves the rows in and out of workbooks
//! and pins each problem to its sheet, row, column and, in an expression, character.

use std::collections::{BTreeMap, BTreeSet};

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatAlign, Workbook, Worksheet,
};
use shanghui_core::rules::{self, MissingStrategy, RULE_COLUMNS, Rule, RuleProblem, Severity};
use shanghui_core::template::{ItemType, SheetRow, Template};
use shanghui_core::{Lang, Msg};

use crate::grid::{Cell, Sheet};
use crate::located::{Located, column_letter};
use crate::read::{is_instructions, read_sheets, unneutralize};
use crate::template::table;
use crate::write::{LAST_ROW, cell_text, col, header_format};
use crate::{FilesError, HEADER_SCAN_ROWS};

const RULES: &str = "rules";
const ITEMS: &str = "items";
/// The columns of the `items` sheet.
const ITEM_COLUMNS: &[&str] = &[
    "name",
    "label::zh",
    "label::en",
    "type",
    "section",
    "choices",
];
/// The columns without which no row can be a rule.
const REQUIRED_COLUMNS: &[&str] = &["code", "name::zh", "severity", "expr"];

/// An example cell for each column of [`RULE_COLUMNS`] (a sample rule's).
fn column_example(column: &str) -> &'static str {
    match column {
        "code" => "members_sum",
        "name::zh" => "会员总数等于单位会员与个人会员之和",
        "name::en" => "Total members equal unit plus individual members",
        "group" => "members",
        "severity" => "error",
        "missing" => "skip_if_any_missing",
        "expr" => "members_total = members_unit + members_individual",
        "items" => "rectification_report, prior_inspection",
        "instruction::zh" => "请核对会员总数、单位会员数和个人会员数，使总数等于两者之和。",
        "instruction::en" => {
            "Check the member counts: the total must equal unit plus individual members."
        }
        _ => "",
    }
}

/// The rule language in brief, one topic a row: the topic's catalogue name (`rules.xlsx.topic.`,
/// with its syntax under `rules.xlsx.syntax.` and meaning under `rules.xlsx.lang.`) and an
/// example rule that compiles against the sample template (tested), if the sample has what
/// the topic needs.
const LANGUAGE: &[(&str, Option<&str>)] = &[
    ("values", Some("last_reelection >= date(\"2000-01-01\")")),
    ("names", Some("last_reelection >= org.founded_on")),
    (
        "choices",
        Some("party_org = 是 -> party_org_form != 未建立"),
    ),
    (
        "implication",
        Some("party_org = 否 -> present(party_org_reason)"),
    ),
    (
        "logic",
        Some("members_total > 0 and not (council_size < 3)"),
    ),
    ("comparison", Some("council_size ≤ members_total")),
    (
        "arithmetic",
        Some("（members_unit + members_individual）× 0.5 <= members_total"),
    ),
    (
        "fn_numbers",
        Some("party_org = 否 -> len(party_org_reason) >= 10"),
    ),
    (
        "fn_dates",
        Some("add_years(last_reelection, 5) >= report_end"),
    ),
    (
        "fn_prev",
        Some("members_total >= prev(members_total) * 70%"),
    ),
    (
        "fn_present",
        Some("registered = 否 -> present(registered_reason)"),
    ),
    ("fn_multi", None),
    (
        "fn_if",
        Some("expense_total <= if(income_total > 0, income_total * 1.5, 10)"),
    ),
    ("fn_text", Some("uscc = \"无\" or is_uscc(uscc)")),
];

/// The choices of a choice item as a rule may name them: `code = 中文 / English`, `;`-separated.
fn choices_text(t: &Template, ty: &ItemType) -> String {
    let (ItemType::Choice(list) | ItemType::MultiChoice(list)) = ty else {
        return String::new();
    };
    t.choices
        .iter()
        .filter(|c| &c.list == list)
        .map(|c| {
            if c.label_en.is_empty() || c.label_en == c.label_zh {
                format!("{} = {}", c.code, c.label_zh)
            } else {
                format!("{} = {} / {}", c.code, c.label_zh, c.label_en)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A drop-down list of codes over a column of the `rules` sheet, below the header.
fn pick(
    ws: &mut Worksheet,
    column: &str,
    codes: &[&str],
    title: &str,
    message: &str,
    lang: Lang,
) -> Result<(), FilesError> {
    let Some(c) = RULE_COLUMNS.iter().position(|h| *h == column) else {
        return Ok(());
    };
    let v = DataValidation::new()
        .allow_list_strings(codes)?
        .set_input_title(title)?
        .set_input_message(message)?
        .set_error_title(title)?
        .set_error_message(lang.t("files.template.pick_error"))?
        .set_error_style(DataValidationErrorStyle::Stop);
    ws.add_data_validation(1, col(c), LAST_ROW, col(c), &v)?;
    Ok(())
}

/// A rule set as a workbook: a first sheet of instructions in `lang` (说明/Instructions: the
/// columns, and the rule language in brief with examples: values, names, operators, functions,
/// missing-value strategies, severities), then `rules` (a frozen header row of [`RULE_COLUMNS`],
/// one row per rule as [`rules::rule_rows`] gives it, every cell a text cell guarded against
/// formula injection, drop-down lists of the severity and missing-value codes) and `items` (the
/// template's items with their labels, types, sections and choices, for reference; not read
/// back). [`read_rules_workbook`] reads it back to the same rules.
pub fn write_rules_xlsx(rules: &[Rule], t: &Template, lang: Lang) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    instructions(&mut wb, lang)?;

    let ws = table(&mut wb, RULES, RULE_COLUMNS, &rules::rule_rows(rules), &[])?;
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.code()).collect();
    pick(
        ws,
        "severity",
        &severities,
        lang.t("rules.xlsx.severity_pick_title"),
        lang.t("rules.xlsx.severity_pick_message"),
        lang,
    )?;
    let strategies: Vec<&str> = MissingStrategy::ALL.iter().map(|s| s.code()).collect();
    pick(
        ws,
        "missing",
        &strategies,
        lang.t("rules.xlsx.missing_pick_title"),
        lang.t("rules.xlsx.missing_pick_message"),
        lang,
    )?;

    let items: Vec<Vec<String>> = t
        .items
        .iter()
        .map(|i| {
            ITEM_COLUMNS
                .iter()
                .map(|c| match *c {
                    "name" => i.code.clone(),
                    "label::zh" => i.label_zh.clone(),
                    "label::en" => i.label_en.clone(),
                    "type" => i.ty.xlsform(),
                    "section" => i.section.clone(),
                    "choices" => choices_text(t, &i.ty),
                    _ => String::new(),
                })
                .collect()
        })
        .collect();
    table(&mut wb, ITEMS, ITEM_COLUMNS, &items, &[])?;
    Ok(wb.save_to_buffer()?)
}

fn instructions(wb: &mut Workbook, lang: Lang) -> Result<(), FilesError> {
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("files.sheet.instructions"))?;
    ws.set_active(true);
    let title = Format::new().set_bold().set_font_size(14);
    let section = Format::new().set_bold().set_font_size(12);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let header = header_format();
    ws.set_column_width(0, 22)?;
    ws.set_column_width(1, 40)?;
    ws.set_column_width(2, 70)?;
    ws.set_column_width(3, 50)?;
    ws.write_string_with_format(0, 0, lang.t("rules.xlsx.title"), &title)?;
    let mut r = 2;
    for (i, key) in [
        "rules.xlsx.intro_1",
        "rules.xlsx.intro_2",
        "rules.xlsx.intro_3",
        "rules.xlsx.intro_4",
        "rules.xlsx.intro_5",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(r, 0, format!("{}. {}", i + 1, lang.t(key)))?;
        r += 1;
    }

    // The columns of the rules sheet.
    r += 1;
    for (c, key) in [
        "rules.xlsx.col_column",
        "rules.xlsx.col_note",
        "rules.xlsx.col_example",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, col(c), lang.t(key), &header)?;
    }
    for column in RULE_COLUMNS {
        r += 1;
        let note = format!("rules.xlsx.note.{}", column.replace("::", "_"));
        ws.write_string_with_format(r, 0, *column, &wrap)?;
        ws.write_string_with_format(r, 1, lang.t(&note), &wrap)?;
        ws.write_string_with_format(r, 2, cell_text(column_example(column)), &wrap)?;
    }

    // The rule language.
    r += 2;
    ws.write_string_with_format(r, 0, lang.t("rules.xlsx.language"), &section)?;
    r += 1;
    for (c, key) in [
        "rules.xlsx.col_topic",
        "rules.xlsx.col_syntax",
        "rules.xlsx.col_meaning",
        "rules.xlsx.col_example",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, col(c), lang.t(key), &header)?;
    }
    for (topic, example) in LANGUAGE {
        r += 1;
        let cells = [
            lang.t(&format!("rules.xlsx.topic.{topic}")),
            lang.t(&format!("rules.xlsx.syntax.{topic}")),
            lang.t(&format!("rules.xlsx.lang.{topic}")),
            example.unwrap_or(""),
        ];
        for (c, v) in cells.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            ws.write_string_with_format(r, col(c), cell_text(v), &wrap)?;
        }
    }

    // Missing values and severities, by the codes the drop-down lists offer.
    r += 2;
    ws.write_string_with_format(r, 0, lang.t("rules.xlsx.missing_title"), &section)?;
    r += 1;
    ws.write_string(r, 0, lang.t("rules.xlsx.missing_intro"))?;
    for m in MissingStrategy::ALL {
        r += 1;
        ws.write_string_with_format(r, 0, m.code(), &wrap)?;
        ws.write_string_with_format(r, 1, m.label(lang), &wrap)?;
        let note = format!("rules.xlsx.missing.{}", m.code());
        ws.write_string_with_format(r, 2, lang.t(&note), &wrap)?;
    }
    r += 2;
    ws.write_string_with_format(r, 0, lang.t("rules.xlsx.severity_title"), &section)?;
    for s in Severity::ALL {
        r += 1;
        ws.write_string_with_format(r, 0, s.code(), &wrap)?;
        ws.write_string_with_format(r, 1, s.label(lang), &wrap)?;
        let note = format!("rules.xlsx.severity.{}", s.code());
        ws.write_string_with_format(r, 2, lang.t(&note), &wrap)?;
    }
    Ok(())
}

/// The rules sheet as read: its name, its columns, its rows.
struct Read {
    name: String,
    /// 0-based column of each known header, the first if a header repeats.
    columns: BTreeMap<&'static str, usize>,
    rows: Vec<SheetRow>,
    /// Places (row, 0-based column) already reported, so that the checks do not report them
    /// again.
    reported: BTreeSet<(usize, usize)>,
}

/// A header as [`RULE_COLUMNS`] spells it, in any case.
fn canonical(header: &str) -> Option<&'static str> {
    let h = unneutralize(header).trim();
    RULE_COLUMNS
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(h))
}

fn header_text(cell: &Cell) -> &str {
    match cell {
        Cell::Text(t) | Cell::Error(t) => t,
    }
}

/// The sheet of rules: the one named `rules` (in any case), else the only sheet with data that
/// is neither instructions nor `items`.
fn rules_sheet(sheets: &[Sheet]) -> Result<&Sheet, Located> {
    if let Some(s) = sheets
        .iter()
        .find(|s| s.name.trim().eq_ignore_ascii_case(RULES))
    {
        return Ok(s);
    }
    if sheets.iter().all(|s| s.rows.is_empty()) {
        return Err(Located::file(Msg::new("files.empty_file")));
    }
    let mut data = sheets.iter().filter(|s| {
        !s.rows.is_empty()
            && !is_instructions(&s.name)
            && !s.name.trim().eq_ignore_ascii_case(ITEMS)
    });
    match (data.next(), data.next()) {
        (Some(s), None) => Ok(s),
        _ => Err(Located::in_sheet(
            RULES,
            Msg::new("rules.xlsx.missing_sheet"),
        )),
    }
}

/// Maps the sheet's rows below its header row (the first of the first [`HEADER_SCAN_ROWS`]
/// non-empty rows with two or more rule columns) to [`SheetRow`]s, reporting what stops a cell
/// from being read: an unknown, repeated or missing column, data under no header, an error value.
fn read_sheet(sheet: &Sheet, problems: &mut Vec<Located>) -> Option<Read> {
    let Some(h) = sheet.rows.iter().take(HEADER_SCAN_ROWS).position(|r| {
        r.cells
            .iter()
            .filter(|(_, c)| matches!(c, Cell::Text(t) if canonical(t).is_some()))
            .count()
            >= 2
    }) else {
        problems.push(Located::in_sheet(
            &sheet.name,
            Msg::new("rules.xlsx.no_header")
                .with("rows", HEADER_SCAN_ROWS)
                .with("columns", RULE_COLUMNS.join(", ")),
        ));
        return None;
    };
    let header = &sheet.rows[h];
    let header_row = header.index + 1;
    let mut out = Read {
        name: sheet.name.clone(),
        columns: BTreeMap::new(),
        rows: Vec::new(),
        reported: BTreeSet::new(),
    };
    let mut headers: BTreeMap<usize, &'static str> = BTreeMap::new();
    for (c, cell) in &header.cells {
        let at = |msg: Msg| {
            Located::in_sheet(&sheet.name, msg)
                .row(header_row)
                .column(*c)
                .header(header_text(cell))
        };
        let known = match cell {
            Cell::Error(e) => {
                problems.push(at(Msg::new("files.cell_error")).value(e));
                continue;
            }
            Cell::Text(t) => canonical(t),
        };
        match known {
            None => {
                problems
                    .push(at(Msg::new("rules.xlsx.unknown_column")
                        .with("columns", RULE_COLUMNS.join(", "))))
            }
            Some(name) => match out.columns.get(name) {
                Some(&first) => problems.push(at(
                    Msg::new("files.duplicate_column").with("first", column_letter(first))
                )),
                None => {
                    out.columns.insert(name, *c);
                    headers.insert(*c, name);
                }
            },
        }
    }
    for column in REQUIRED_COLUMNS {
        if !out.columns.contains_key(column) {
            problems.push(
                Located::in_sheet(
                    &sheet.name,
                    Msg::new("files.missing_column").with("column", column),
                )
                .row(header_row)
                .header(column),
            );
        }
    }
    // Columns with data under no header, and the first row where each has some.
    let mut orphans: BTreeMap<usize, usize> = BTreeMap::new();
    let headed: BTreeSet<usize> = header.cells.iter().map(|(c, _)| *c).collect();
    for r in &sheet.rows[h + 1..] {
        let number = r.index + 1;
        let mut cells = BTreeMap::new();
        for (c, cell) in &r.cells {
            match (headers.get(c), cell) {
                (Some(h), Cell::Text(t)) => {
                    cells.insert(h.to_string(), unneutralize(t).to_string());
                }
                (Some(h), Cell::Error(e)) => {
                    out.reported.insert((number, *c));
                    problems.push(
                        Located::in_sheet(&sheet.name, Msg::new("files.cell_error"))
                            .row(number)
                            .column(*c)
                            .header(h)
                            .value(e),
                    );
                }
                // Under a header already reported as unknown or repeated.
                (None, _) if headed.contains(c) => {}
                (None, _) => {
                    orphans.entry(*c).or_insert(number);
                }
            }
        }
        if !cells.is_empty() {
            out.rows.push(SheetRow { row: number, cells });
        }
    }
    for (c, first) in orphans {
        problems.push(
            Located::in_sheet(
                &sheet.name,
                Msg::new("files.orphan_column").with("row", first),
            )
            .row(header_row)
            .column(c),
        );
    }
    Some(out)
}

/// What [`rules::compile`] finds in each row's expression and items, whatever else is wrong
/// with the row: [`rules::build_rules`] stops at the problems of reading, and a rule set is
/// corrected in one go only if every problem is listed at once.
fn compile_problems(rows: &[SheetRow], t: &Template) -> Vec<RuleProblem> {
    rows.iter()
        .filter_map(|r| {
            // Stand-ins for the cells that only reading checks, already reported if wrong.
            let mut cells = r.cells.clone();
            cells.insert("code".into(), "x".into());
            cells.insert("name::zh".into(), "x".into());
            cells.insert("severity".into(), Severity::Error.code().into());
            cells.remove("missing");
            let patched = SheetRow { row: r.row, cells };
            let rule = rules::read_rules(std::slice::from_ref(&patched))
                .ok()?
                .pop()?;
            let e = rules::compile(&rule, t).err()?;
            Some(RuleProblem {
                row: r.row,
                column: Some(e.field.to_string()),
                position: e.position,
                msg: e.msg,
            })
        })
        .collect()
}

/// Pins a problem of the rules to its cell, with the column's header and the cell's content; a
/// problem in an expression says at which character.
fn locate(p: &RuleProblem, sheet: &Read, rows: &BTreeMap<usize, &SheetRow>) -> Located {
    let msg = match p.position {
        Some(pos) => Msg::new("rules.at")
            .with("pos", pos)
            .with_msg("message", p.msg.clone()),
        None => p.msg.clone(),
    };
    let mut l = Located::in_sheet(&sheet.name, msg).row(p.row);
    if let Some(c) = &p.column {
        if let Some(&i) = sheet.columns.get(c.as_str()) {
            l = l.column(i);
        }
        l = l.header(c);
        if let Some(v) = rows
            .get(&p.row)
            .and_then(|r| r.cells.get(c))
            .filter(|v| !v.trim().is_empty())
        {
            l = l.value(v);
        }
    }
    l
}

/// Excel's order of places: the whole file, then by row, then by column.
fn place_order(l: &Located) -> (usize, usize, String) {
    let column = l.column.clone().unwrap_or_default();
    (l.row.unwrap_or(0), column.len(), column)
}

/// Reads a rule set from a workbook (xlsx, xlsm, xlsb, xls, ods) or a CSV file with the same
/// columns, behind the same guards as [`crate::read_registry`]. The rules are in the sheet named
/// `rules` (in any case), or in the only sheet with data besides instructions and `items` (a CSV
/// file's one sheet); the header row is the first of the first [`HEADER_SCAN_ROWS`] non-empty
/// rows naming two or more of [`RULE_COLUMNS`] (in any case); empty rows are skipped and the
/// quote that guards against formulas is taken off. Every rule is checked and type-checked
/// against `t` with [`rules::build_rules`].
///
/// All or nothing: every problem comes back at once, each with the sheet, row, column letter,
/// header and the cell's content, in the order of the sheet: no rules sheet, no header row, an
/// unknown, repeated or missing column, data under no header, an error value in a cell, a code
/// malformed or repeated, a required cell empty, an unknown severity or strategy, and in every
/// expression (with the character where it is) and items cell what the rule language refuses:
/// parse errors, unknown items (with the closest code), type errors. A sheet without rules is
/// refused too.
pub fn read_rules_workbook(
    bytes: &[u8],
    file_name: &str,
    t: &Template,
) -> Result<Vec<Rule>, Vec<Located>> {
    let sheets = read_sheets(bytes, file_name)?;
    let sheet = rules_sheet(&sheets).map_err(|l| vec![l])?;
    if sheet.rows.is_empty() {
        return Err(vec![Located::in_sheet(
            &sheet.name,
            Msg::new("rules.xlsx.no_rules"),
        )]);
    }
    let mut problems = Vec::new();
    let Some(read) = read_sheet(sheet, &mut problems) else {
        return Err(problems);
    };
    let rule_problems = match rules::build_rules(&read.rows, t) {
        Ok(compiled) if problems.is_empty() => {
            if compiled.is_empty() {
                return Err(vec![Located::in_sheet(
                    &read.name,
                    Msg::new("rules.xlsx.no_rules"),
                )]);
            }
            return Ok(compiled.into_iter().map(|c| c.rule).collect());
        }
        Ok(_) => Vec::new(),
        Err(mut ps) => {
            if rules::read_rules(&read.rows).is_err() {
                ps.extend(compile_problems(&read.rows, t));
            }
            ps
        }
    };
    let rows: BTreeMap<usize, &SheetRow> = read.rows.iter().map(|r| (r.row, r)).collect();
    for p in &rule_problems {
        // A missing column is reported once, not in every row.
        if p.column
            .as_deref()
            .is_some_and(|c| RULE_COLUMNS.contains(&c) && !read.columns.contains_key(c))
        {
            continue;
        }
        let already = p
            .column
            .as_deref()
            .and_then(|c| read.columns.get(c))
            .is_some_and(|&c| read.reported.contains(&(p.row, c)));
        if !already {
            problems.push(locate(p, &read, &rows));
        }
    }
    problems.sort_by_key(place_order);
    Err(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shanghui_core::template;

    #[test]
    fn every_note_and_topic_is_in_both_languages() {
        for lang in Lang::ALL {
            let keys = shanghui_core::i18n::keys(lang);
            let mut wanted: Vec<String> = RULE_COLUMNS
                .iter()
                .map(|c| format!("rules.xlsx.note.{}", c.replace("::", "_")))
                .collect();
            for (topic, _) in LANGUAGE {
                for part in ["topic", "syntax", "lang"] {
                    wanted.push(format!("rules.xlsx.{part}.{topic}"));
                }
            }
            wanted.extend(
                MissingStrategy::ALL
                    .iter()
                    .map(|m| format!("rules.xlsx.missing.{}", m.code())),
            );
            wanted.extend(
                Severity::ALL
                    .iter()
                    .map(|s| format!("rules.xlsx.severity.{}", s.code())),
            );
            for key in wanted {
                assert!(keys.contains(&key.as_str()), "{key} ({lang:?})");
            }
            for c in RULE_COLUMNS {
                assert!(!column_example(c).is_empty(), "{c}");
            }
        }
    }

    #[test]
    fn the_examples_are_valid_rules() {
        let t = template::sample();
        let examples = LANGUAGE
            .iter()
            .filter_map(|(_, e)| *e)
            .chain([column_example("expr")]);
        for expr in examples {
            let rule = Rule {
                code: "example".into(),
                name_zh: "示例".into(),
                name_en: "Example".into(),
                expr: expr.into(),
                severity: Severity::Warning,
                missing: MissingStrategy::default(),
                instruction_zh: String::new(),
                instruction_en: String::new(),
                group: String::new(),
                items: Vec::new(),
            };
            if let Err(e) = rules::compile(&rule, &t) {
                panic!("{expr}: {}", e.render(Lang::ZhCn));
            }
        }
        let items = column_example("items");
        let sample = rules::sample_rules();
        assert!(sample.iter().any(|r| r.items.join(", ") == items));
        let first = sample
            .iter()
            .find(|r| r.code == column_example("code"))
            .unwrap();
        assert_eq!(first.expr, column_example("expr"));
        assert_eq!(first.name_zh, column_example("name::zh"));
        assert_eq!(first.name_en, column_example("name::en"));
        assert_eq!(first.instruction_zh, column_example("instruction::zh"));
        assert_eq!(first.instruction_en, column_example("instruction::en"));
    }

    #[test]
    fn choices_as_rules_name_them() {
        let t = template::sample();
        let form = t.item("party_org_form").unwrap();
        let text = choices_text(&t, &form.ty);
        assert!(text.contains("none = 未建立 / None"), "{text}");
        assert_eq!(choices_text(&t, &ItemType::Integer), "");
    }

    #[test]
    fn places_sort_as_excel_shows_them() {
        let at = |row: usize, c: usize| Located::file(Msg::new("x")).row(row).column(c);
        let mut v = [at(3, 26), at(3, 1), at(2, 5), Located::file(Msg::new("y"))];
        v.sort_by_key(place_order);
        let got: Vec<_> = v.iter().map(|l| (l.row, l.column.clone())).collect();
        assert_eq!(
            got,
            [
                (None, None),
                (Some(2), Some("F".into())),
                (Some(3), Some("B".into())),
                (Some(3), Some("AA".into()))
            ]
        );
    }
}
