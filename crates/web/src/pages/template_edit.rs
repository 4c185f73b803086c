//! Authoring a template in the web: "new version from this one". Staff edit the items in a table
//! and save it as the next version. The table is turned into the workbook's three sheets and
//! built by `shanghui_core::template::build`, so an edited template passes exactly the checks of
//! an uploaded one; each problem is shown next to its row.

use std::collections::BTreeMap;

use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::Permission;
use shanghui_core::template::{
    self, CHOICES_COLUMNS, ItemType, SEVERITIES, SURVEY_COLUMNS, SheetRow, Template,
};
use shanghui_core::{Lang, Msg};
use shanghui_store::{StoreError, templates};

use super::campaigns::{Ids, check};
use super::templates::{condition_text, type_label};
use super::{Posted, Viewer};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Columns the table lets staff change; the others (`counted`, `dimension`) ride along hidden.
const HIDDEN_COLUMNS: &[&str] = &["counted", "dimension"];

/// One row of the table: the item's cells by survey column.
pub struct EditRow {
    pub n: usize,
    /// Added in this form: its code and type may be chosen.
    pub new: bool,
    pub remove: bool,
    pub cells: BTreeMap<String, String>,
    pub errors: Vec<String>,
}

impl EditRow {
    pub fn get(&self, column: &str) -> &str {
        self.cells.get(column).map(String::as_str).unwrap_or("")
    }
    fn blank(&self) -> bool {
        self.get("name").trim().is_empty() && self.get("label::zh").trim().is_empty()
    }
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "template_edit.html")]
pub struct EditPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    base_id: i64,
    heading: String,
    title_zh: String,
    title_en: String,
    rows: Vec<EditRow>,
    hidden_columns: &'static [&'static str],
    /// (value, label) of the type select of new rows.
    types: Vec<(String, String)>,
    /// (code, label) of the sections; empty when the template has none (free text then).
    sections: Vec<(String, String)>,
    severities: Vec<(String, String)>,
    general: Vec<String>,
    error_count: usize,
    error_summary: String,
}

/// The cells of an item as the survey sheet holds them.
fn item_cells(item: &template::Item) -> BTreeMap<String, String> {
    let num = |n: Option<f64>| {
        n.map(shanghui_core::report::decimal_text)
            .unwrap_or_default()
    };
    let ty = match &item.ty {
        ItemType::Integer => "integer".to_string(),
        ItemType::Decimal => "decimal".into(),
        ItemType::Text => "text".into(),
        ItemType::YesNo => "yes_no".into(),
        ItemType::Date => "date".into(),
        ItemType::Choice(l) => format!("select_one {l}"),
        ItemType::MultiChoice(l) => format!("select_multiple {l}"),
    };
    [
        ("type", ty),
        ("name", item.code.clone()),
        ("label::zh", item.label_zh.clone()),
        ("label::en", item.label_en.clone()),
        (
            "required",
            if item.required { "yes" } else { "" }.to_string(),
        ),
        ("min", num(item.min)),
        ("max", num(item.max)),
        ("relevant", condition_text(item)),
        ("section", item.section.clone()),
        (
            "counted",
            item.counted.map(|n| n.to_string()).unwrap_or_default(),
        ),
        ("dimension", item.dimension.clone().unwrap_or_default()),
        ("hint::zh", item.hint_zh.clone()),
        ("hint::en", item.hint_en.clone()),
        ("rule", item.rule.clone()),
        ("severity", item.severity.clone().unwrap_or_default()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn blank_row(n: usize) -> EditRow {
    EditRow {
        n,
        new: true,
        remove: false,
        cells: BTreeMap::new(),
        errors: Vec::new(),
    }
}

fn options(t: &Template, lang: Lang) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = ["integer", "decimal", "text", "yes_no", "date"]
        .iter()
        .map(|k| {
            let ty = match *k {
                "integer" => ItemType::Integer,
                "decimal" => ItemType::Decimal,
                "text" => ItemType::Text,
                "yes_no" => ItemType::YesNo,
                _ => ItemType::Date,
            };
            (k.to_string(), type_label(&ty, lang))
        })
        .collect();
    let mut lists: Vec<&str> = t
        .choices
        .iter()
        .map(|c| c.list.as_str())
        .filter(|l| *l != "section")
        .collect();
    lists.dedup();
    for l in lists {
        v.push((
            format!("select_one {l}"),
            type_label(&ItemType::Choice(l.into()), lang),
        ));
        v.push((
            format!("select_multiple {l}"),
            type_label(&ItemType::MultiChoice(l.into()), lang),
        ));
    }
    v
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    base_id: i64,
    base: &Template,
    titles: (String, String),
    rows: Vec<EditRow>,
    general: Vec<String>,
) -> Result<EditPage, AppError> {
    let next = templates::next_version(&state.db, &base.form_id).await?;
    let error_count = rows.iter().map(|r| r.errors.len()).sum::<usize>() + general.len();
    Ok(EditPage {
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        base_id,
        heading: lang.tf(
            "template.edit_title",
            &[
                ("form", &base.form_id),
                ("next", &next.to_string()),
                ("base", &base.version.to_string()),
            ],
        ),
        title_zh: titles.0,
        title_en: titles.1,
        rows,
        hidden_columns: HIDDEN_COLUMNS,
        types: options(base, lang),
        sections: base
            .choices
            .iter()
            .filter(|c| c.list == "section")
            .map(|c| {
                (
                    c.code.clone(),
                    match lang {
                        Lang::ZhCn => c.label_zh.clone(),
                        Lang::En => c.label_en.clone(),
                    },
                )
            })
            .collect(),
        severities: SEVERITIES
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    lang.t(&format!("template.severity.{s}")).to_string(),
                )
            })
            .collect(),
        general,
        error_count,
        error_summary: lang.tf("form.has_errors", &[("count", &error_count.to_string())]),
        lang,
        flash: None,
    })
}

/// `GET /templates/{id}/edit`: the version's items in an editable table, plus a blank row.
pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
) -> Result<EditPage, AppError> {
    viewer.require(Permission::ManageTemplates)?;
    let base = templates::get(&state.db, ids.id).await?;
    let mut rows: Vec<EditRow> = base
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| EditRow {
            n: i + 1,
            new: false,
            remove: false,
            cells: item_cells(item),
            errors: Vec::new(),
        })
        .collect();
    rows.push(blank_row(rows.len() + 1));
    let titles = (base.title_zh.clone(), base.title_en.clone());
    page(
        &state,
        &viewer,
        lang,
        &csrf,
        ids.id,
        &base,
        titles,
        rows,
        Vec::new(),
    )
    .await
}

/// The posted table: titles, rows by number, and what was asked (save, or one more row).
struct Table {
    token: Option<String>,
    add_row: bool,
    title_zh: String,
    title_en: String,
    rows: Vec<EditRow>,
}

fn read_table(pairs: Vec<(String, String)>) -> Table {
    let mut t = Table {
        token: None,
        add_row: false,
        title_zh: String::new(),
        title_en: String::new(),
        rows: Vec::new(),
    };
    let mut rows: BTreeMap<usize, EditRow> = BTreeMap::new();
    for (k, v) in pairs {
        match k.as_str() {
            csrf::FIELD => t.token = Some(v),
            "action" => t.add_row = v == "add",
            "title::zh" => t.title_zh = v,
            "title::en" => t.title_en = v,
            _ => {
                // r3.label::zh
                let Some((n, column)) = k
                    .strip_prefix('r')
                    .and_then(|rest| rest.split_once('.'))
                    .and_then(|(n, c)| n.parse::<usize>().ok().map(|n| (n, c)))
                else {
                    continue;
                };
                if n == 0 || n > 2_000 {
                    continue;
                }
                let row = rows.entry(n).or_insert_with(|| EditRow {
                    new: false,
                    ..blank_row(n)
                });
                match column {
                    "new" => row.new = true,
                    "remove" => row.remove = true,
                    c if SURVEY_COLUMNS.contains(&c) => {
                        row.cells.insert(c.to_string(), v);
                    }
                    _ => {}
                }
            }
        }
    }
    t.rows = rows.into_values().collect();
    t
}

/// The template's settings and choices as sheet rows, with the version to save as.
fn sheets(base: &Template, version: u32, titles: (&str, &str)) -> (Vec<SheetRow>, Vec<SheetRow>) {
    let kv = |i: usize, k: &str, v: &str| SheetRow {
        row: i + 2,
        cells: [("key", k), ("value", v)]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    };
    let settings = vec![
        kv(0, "form_id", &base.form_id),
        kv(1, "version", &version.to_string()),
        kv(2, "title::zh", titles.0),
        kv(3, "title::en", titles.1),
    ];
    let choices = base
        .choices
        .iter()
        .enumerate()
        .map(|(i, c)| SheetRow {
            row: i + 2,
            cells: CHOICES_COLUMNS
                .iter()
                .zip([&c.list, &c.code, &c.label_zh, &c.label_en])
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        })
        .collect();
    (settings, choices)
}

/// `POST /templates/{id}/edit`: saves the table as the next version of the template, or shows it
/// again with each problem next to its row (`action=add` only adds a blank row).
pub async fn edit_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageTemplates)?;
    let mut table = read_table(pairs);
    check(&csrf, table.token.as_deref())?;
    let base = templates::get(&state.db, ids.id).await?;
    let titles = (table.title_zh.clone(), table.title_en.clone());
    if table.add_row {
        let n = table.rows.last().map(|r| r.n).unwrap_or(0) + 1;
        table.rows.push(blank_row(n));
        let p = page(
            &state,
            &viewer,
            lang,
            &csrf,
            ids.id,
            &base,
            titles,
            table.rows,
            Vec::new(),
        )
        .await?;
        return Ok(p.into_response());
    }
    // The rows that make the new version: not removed, and not a blank row left unused.
    let survey: Vec<SheetRow> = table
        .rows
        .iter()
        .filter(|r| !r.remove && !r.blank())
        .map(|r| SheetRow {
            row: r.n,
            cells: r.cells.clone(),
        })
        .collect();
    let next = templates::next_version(&state.db, &base.form_id).await?;
    let (settings, choices) = sheets(&base, next, (&table.title_zh, &table.title_en));
    let mut general = Vec::new();
    match template::build(&settings, &survey, &choices) {
        Ok(t) => match templates::save(&state.db, &t, &viewer.actor).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/templates/{id}?done=created")).into_response());
            }
            Err(StoreError::Rejected(ps)) => general = ps.iter().map(|p| p.render(lang)).collect(),
            Err(e) => return Err(e.into()),
        },
        Err(problems) => {
            for p in problems {
                let on_row = (p.sheet == "survey")
                    .then_some(p.row)
                    .flatten()
                    .and_then(|n| table.rows.iter_mut().find(|r| r.n == n));
                match on_row {
                    Some(row) => {
                        let column = p.column.clone().unwrap_or_default();
                        row.errors.push(lang.tf(
                            "template.row_problem",
                            &[
                                ("column", &column_label(&column, lang)),
                                ("message", &p.msg.render(lang)),
                            ],
                        ));
                    }
                    None if p.sheet == "settings" => general.push(
                        Msg::new("template.title_problem")
                            .with("column", p.column.clone().unwrap_or_default())
                            .with_msg("message", p.msg.clone())
                            .render(lang),
                    ),
                    None => general.push(p.render(lang)),
                }
            }
        }
    }
    let p = page(
        &state, &viewer, lang, &csrf, ids.id, &base, titles, table.rows, general,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
}

/// The heading of a column of the table, for the messages beside a row.
fn column_label(column: &str, lang: Lang) -> String {
    let key = format!("template.col.{}", column.replace("::", "_"));
    match lang.t(&key) {
        "?" => column.to_string(),
        s => s.to_string(),
    }
}
