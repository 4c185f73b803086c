//! Coverage indicators' definitions and targets (覆盖率指标与目标, issue 8): every indicator in
//! use (the built-ins, labelled as samples, then the staff's) with how it is counted, the targets
//! per indicator, year and level; a staff indicator edited or created in a form (read as the
//! workbook reads a row, then checked against the newest template: each problem is shown next to
//! its field, a condition's with its character position and a caret under it, and nothing is
//! saved), retiring one, setting a target, and the whole set as a workbook (download, and upload:
//! all or nothing, every problem with its place).
//!
//! Reading: the readers of the review rules (`Viewer::reads_rules`). Changing:
//! `Permission::ManageRules`. Definitions and targets are shared by every federation, like rules;
//! every change is audited by the store.

use std::collections::BTreeMap;

use askama_web::WebTemplate;
use axum::extract::{Extension, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use shanghui_core::account::Permission;
use shanghui_core::indicator::{
    self, Compare, Direction, DivisionRows, INDICATOR_COLUMNS, Indicator, IndicatorProblem, LEVELS,
    Measure, MeasureKind, NoticeState, ReportState, TARGET_COLUMNS, Target, Within,
};
use shanghui_core::org::FederationLevel;
use shanghui_core::template::{ItemType, SheetRow, Template};
use shanghui_core::{Lang, Msg};
use shanghui_files::{INDICATORS_SHEET, Located};
use shanghui_store::StoreError;
use shanghui_store::indicators as store;

use super::campaigns::check;
use super::templates::ProblemRow;
use super::upload::{XLSX, check_token, download, read_upload};
use super::{Posted, Viewer, today};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState, MAX_UPLOAD_BYTES};

const LIST: &str = "/indicators/defs";

fn require_read(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.reads_rules() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn is_builtin(code: &str) -> bool {
    indicator::builtin_indicators()
        .iter()
        .any(|b| b.code == code)
}

/// The parts of a measure (after `numerator.` / `denominator.`) its kind uses, as the workbook's
/// columns do.
fn parts_of(kind: MeasureKind) -> &'static [&'static str] {
    match kind {
        MeasureKind::Units => &["filter"],
        MeasureKind::Divisions => &["filter", "level", "rows", "within"],
        MeasureKind::ItemSum => &["item", "filter"],
        MeasureKind::Reports => &["state", "filter"],
        MeasureKind::Notices => &["state"],
    }
}

const PARTS: [&str; 7] = ["kind", "filter", "level", "rows", "within", "item", "state"];
const SIDES: [&str; 2] = ["numerator", "denominator"];
const HEAD: [&str; 8] = [
    "code",
    "name::zh",
    "name::en",
    "compare",
    "factor",
    "unit",
    "description::zh",
    "description::en",
];

/// A number as people write it: `100`, `0.5`.
fn number(x: f64) -> String {
    x.to_string()
}

/// "code（label）", or "code (label)" in English.
fn paren(lang: Lang, code: &str, label: &str) -> String {
    match lang {
        Lang::ZhCn => format!("{code}（{label}）"),
        Lang::En => format!("{code} ({label})"),
    }
}

/// A problem's message, with the character of a condition it is at.
fn problem_text(p: &IndicatorProblem, lang: Lang) -> String {
    match p.position {
        Some(pos) => lang.tf(
            "rules.at",
            &[("pos", &pos.to_string()), ("message", &p.msg.render(lang))],
        ),
        None => p.msg.render(lang),
    }
}

// -------------------------------------------------------------------------------------------------
// The list.

/// What a numerator or denominator counts, in words: its kind and its settings.
pub struct MeasureText {
    pub kind: String,
    /// (label, value).
    pub parts: Vec<(String, String)>,
}

fn describe(m: &Measure, lang: Lang) -> MeasureText {
    let part = |p: &str| lang.t(&format!("indicator_defs.part.{p}")).to_string();
    let condition = |f: &str| {
        if f.trim().is_empty() {
            lang.t("indicator_defs.no_condition").to_string()
        } else {
            f.to_string()
        }
    };
    let parts = match m {
        Measure::Units { filter } => vec![(part("filter"), condition(filter))],
        Measure::Divisions {
            level,
            rows,
            within,
            having,
        } => {
            let mut v = vec![
                (
                    part("level"),
                    indicator::level_label(*level, lang).to_string(),
                ),
                (part("rows"), rows.label(lang).to_string()),
                (part("within"), within.label(lang).to_string()),
            ];
            match having.as_deref().map(str::trim) {
                None => {}
                Some("") | Some("true") => v.push((
                    part("having"),
                    lang.t("indicator_defs.any_unit").to_string(),
                )),
                Some(h) => v.push((part("having"), h.to_string())),
            }
            v
        }
        Measure::ItemSum { item, filter } => vec![
            (part("item"), item.clone()),
            (part("filter"), condition(filter)),
        ],
        Measure::Reports { state, filter } => vec![
            (part("state"), state.label(lang).to_string()),
            (part("filter"), condition(filter)),
        ],
        Measure::Notices { state } => vec![(part("state"), state.label(lang).to_string())],
    };
    MeasureText {
        kind: m.kind().label(lang).to_string(),
        parts,
    }
}

pub struct IndicatorRow {
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub description: String,
    pub compare: String,
    pub numerator: MeasureText,
    pub denominator: Option<MeasureText>,
    pub factor: String,
    pub unit: String,
}

pub struct TargetRow {
    pub indicator: String,
    pub name: String,
    pub year: i32,
    pub level: String,
    pub symbol: &'static str,
    pub direction: String,
    pub value: String,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "indicator_defs.html")]
pub struct DefsPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub can_manage: bool,
    pub indicators: Vec<IndicatorRow>,
    pub targets: Vec<TargetRow>,
    /// The upload's outcome and problems.
    pub outcome: String,
    pub problems: Vec<ProblemRow>,
    /// The target form: (code, label) of the indicators, levels and directions; the values
    /// entered; what is wrong with them.
    pub indicator_choices: Vec<(String, String)>,
    pub level_choices: Vec<(String, String)>,
    pub direction_choices: Vec<(String, String)>,
    pub target_values: BTreeMap<String, String>,
    pub target_errors: Vec<String>,
}

impl DefsPage {
    /// A value of the target form.
    pub fn tv(&self, column: &str) -> &str {
        self.target_values.get(column).map_or("", String::as_str)
    }
}

fn symbol(d: Direction) -> &'static str {
    match d {
        Direction::AtLeast => "≥",
        Direction::AtMost => "≤",
    }
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
) -> Result<DefsPage, AppError> {
    let all = store::all(&state.db).await?;
    let targets = store::targets(&state.db).await?;
    let name_of = |code: &str| {
        all.iter()
            .find(|i| i.code == code)
            .map(|i| i.name(lang).to_string())
            .unwrap_or_default()
    };
    let unit_of = |code: &str| {
        all.iter()
            .find(|i| i.code == code)
            .map(|i| i.unit.clone())
            .unwrap_or_default()
    };
    let targets = targets
        .iter()
        .map(|t| TargetRow {
            indicator: t.indicator.clone(),
            name: name_of(&t.indicator),
            year: t.year,
            level: match t.level {
                Some(l) => l.label(lang).to_string(),
                None => lang.t("indicator_defs.all_levels").to_string(),
            },
            symbol: symbol(t.direction),
            direction: t.direction.label(lang).to_string(),
            value: format!("{}{}", number(t.value), unit_of(&t.indicator)),
        })
        .collect();
    let indicators = all
        .iter()
        .map(|i| IndicatorRow {
            code: i.code.clone(),
            name: i.name(lang).to_string(),
            builtin: i.builtin,
            description: i.description(lang).to_string(),
            compare: i.compare.label(lang).to_string(),
            numerator: describe(&i.numerator, lang),
            denominator: match i.compare {
                Compare::Ratio => i.denominator.as_ref().map(|m| describe(m, lang)),
                Compare::Growth => None,
            },
            factor: number(i.factor),
            unit: i.unit.clone(),
        })
        .collect();
    Ok(DefsPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        can_manage: viewer.can(Permission::ManageRules),
        indicators,
        targets,
        outcome: String::new(),
        problems: Vec::new(),
        indicator_choices: all
            .iter()
            .map(|i| (i.code.clone(), paren(lang, &i.code, i.name(lang))))
            .collect(),
        level_choices: std::iter::once((
            String::new(),
            lang.t("indicator_defs.all_levels").to_string(),
        ))
        .chain(
            FederationLevel::ALL
                .iter()
                .map(|l| (l.code().to_string(), l.label(lang).to_string())),
        )
        .collect(),
        direction_choices: Direction::ALL
            .iter()
            .map(|d| {
                (
                    d.code().to_string(),
                    format!("{} {}", symbol(*d), d.label(lang)),
                )
            })
            .collect(),
        target_values: BTreeMap::from([
            ("year".to_string(), today().year().to_string()),
            (
                "direction".to_string(),
                Direction::AtLeast.code().to_string(),
            ),
        ]),
        target_errors: Vec::new(),
    })
}

#[derive(serde::Deserialize)]
pub struct Params {
    code: Option<String>,
    from: Option<String>,
    done: Option<String>,
    changed: Option<String>,
    targets: Option<String>,
    year: Option<String>,
}

fn flash(q: &Params, lang: Lang) -> Option<String> {
    let n = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
            .to_string()
    };
    let code = q.code.as_deref().unwrap_or("");
    Some(match q.done.as_deref()? {
        "saved" => lang.tf("indicator_defs.flash_saved", &[("code", code)]),
        "unchanged" => lang.tf("indicator_defs.flash_unchanged", &[("code", code)]),
        "retired" => lang.tf("indicator_defs.flash_retired", &[("code", code)]),
        "target" => lang.tf(
            "indicator_defs.flash_target",
            &[("code", code), ("year", &n(&q.year))],
        ),
        "imported" => lang.tf(
            "indicator_defs.flash_imported",
            &[("changed", &n(&q.changed)), ("targets", &n(&q.targets))],
        ),
        _ => return None,
    })
}

/// `GET /indicators/defs`: every indicator and target.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<Params>,
) -> Result<DefsPage, AppError> {
    require_read(&viewer)?;
    let mut page = list_page(&state, &viewer, lang, &csrf).await?;
    page.flash = flash(&q, lang);
    Ok(page)
}

/// `GET /indicators/defs.xlsx`: every indicator (the built-ins too, as examples) and target as
/// a workbook in the reader's language, to edit in Excel and upload again.
pub async fn download_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
) -> Result<Response, AppError> {
    require_read(&viewer)?;
    let all = store::all(&state.db).await?;
    let targets = store::targets(&state.db).await?;
    let bytes = tokio::task::spawn_blocking(move || {
        shanghui_files::write_indicators_xlsx(&all, &targets, lang)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        XLSX,
        lang.t("indicator_defs.file_name"),
        "indicators.xlsx",
        bytes,
    ))
}

/// `POST /indicators/defs/import`: a workbook of indicators and targets. Everything is checked
/// first (the reading, each indicator against the newest template, built-in codes); any problem
/// is listed with its place and nothing is saved. Built-in indicators left as they are in the
/// workbook are passed over; unchanged indicators and targets save nothing.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    let up = read_upload(mp).await?;
    check_token(&csrf, &up)?;
    let page = list_page(&state, &viewer, lang, &csrf).await?;
    let refuse = |mut page: DefsPage, located: Vec<Located>, status: StatusCode| {
        page.outcome = lang.tf(
            "indicator_defs.upload_failed",
            &[("count", &located.len().to_string())],
        );
        page.problems = located.iter().map(|l| ProblemRow::of(l, lang)).collect();
        Ok((status, page).into_response())
    };
    if up.too_large {
        let mb = (MAX_UPLOAD_BYTES / 1024 / 1024).to_string();
        let l = Located::file(Msg::new("import.too_large").with("max", mb));
        return refuse(page, vec![l], StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Some((name, bytes)) = up.file else {
        let l = Located::file(Msg::new("import.no_file"));
        return refuse(page, vec![l], StatusCode::UNPROCESSABLE_ENTITY);
    };
    // Checked against the template here, so report conditions' problems have their row too.
    let t = store::checking_template(&state.db).await?;
    let t2 = t.clone();
    let read = tokio::task::spawn_blocking(move || {
        shanghui_files::read_indicators_workbook_for(&bytes, &name, &t2)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let (inds, targets) = match read {
        Ok(r) => r,
        Err(located) => return refuse(page, located, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let builtins = indicator::builtin_indicators();
    let mut located = Vec::new();
    let mut staff = Vec::new();
    for ind in inds {
        let cells: BTreeMap<&str, String> = INDICATOR_COLUMNS
            .iter()
            .copied()
            .zip(indicator::indicator_rows(std::slice::from_ref(&ind)).remove(0))
            .collect();
        // The workbook's rows are not numbered once read: the problem names the indicator, its
        // column and the cell's content.
        let at = |field: &str, msg: Msg| {
            let mut l = Located::in_sheet(
                INDICATORS_SHEET,
                Msg::new("indicator_defs.of_indicator")
                    .with("code", &ind.code)
                    .with_msg("message", msg),
            )
            .header(field);
            if let Some(v) = cells.get(field).filter(|v| !v.trim().is_empty()) {
                l = l.value(v);
            }
            l
        };
        if let Some(b) = builtins.iter().find(|b| b.code == ind.code) {
            let as_is = Indicator {
                builtin: true,
                ..ind.clone()
            };
            if &as_is != b {
                located.push(at(
                    "code",
                    Msg::new("indicator_defs.builtin_changed").with("code", &ind.code),
                ));
            }
            continue;
        }
        if let Err(problems) = indicator::check(&ind, &t) {
            for p in problems {
                let msg = match p.position {
                    Some(pos) => Msg::new("rules.at")
                        .with("pos", pos)
                        .with_msg("message", p.msg.clone()),
                    None => p.msg.clone(),
                };
                located.push(at(&p.field, msg));
            }
        }
        staff.push(ind);
    }
    if !located.is_empty() {
        return refuse(page, located, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Targets already set as the workbook has them save nothing.
    let existing = store::targets(&state.db).await?;
    let targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| !existing.contains(t))
        .collect();
    match store::import(&state.db, &staff, &targets, &t, &viewer.actor).await {
        Ok((changed, set)) => Ok(Redirect::to(&format!(
            "{LIST}?done=imported&changed={changed}&targets={set}"
        ))
        .into_response()),
        Err(StoreError::Rejected(ps)) => {
            let located = ps.into_iter().map(|p| Located::file(p.msg)).collect();
            refuse(page, located, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct RetireFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    code: Option<String>,
}

/// `POST /indicators/defs/retire`: takes a staff indicator out of use (its versions stay).
pub async fn retire(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    Posted(f): Posted<RetireFields>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    check(&csrf, f.token.as_deref())?;
    let code = f
        .code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(AppError::BadRequest)?;
    if is_builtin(code) {
        return Err(AppError::BadRequest);
    }
    store::retire(&state.db, code, &viewer.actor).await?;
    Ok(Redirect::to(&format!("{LIST}?done=retired&code={code}")).into_response())
}

/// `POST /indicators/targets`: sets the target of an indicator for a year and a level (or every
/// level), replacing the one there was. A problem is shown by the form; nothing is saved then.
pub async fn set_target(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    let mut token = None;
    let mut cells = BTreeMap::new();
    for (k, v) in pairs {
        match k.as_str() {
            csrf::FIELD => token = Some(v),
            c if TARGET_COLUMNS.contains(&c) => {
                cells.insert(c.to_string(), v);
            }
            _ => {}
        }
    }
    check(&csrf, token.as_deref())?;
    let all = store::all(&state.db).await?;
    let codes: Vec<&str> = all.iter().map(|i| i.code.as_str()).collect();
    let row = SheetRow {
        row: 1,
        cells: cells.clone(),
    };
    let label = |field: &str| {
        lang.t(&format!("indicator_defs.target.{field}"))
            .to_string()
    };
    let say = |field: &str, text: String| {
        lang.tf(
            "indicator_defs.target_problem",
            &[("field", &label(field)), ("message", &text)],
        )
    };
    let errors: Vec<String> = match indicator::read_targets(std::slice::from_ref(&row), &codes) {
        Ok(mut ts) if !ts.is_empty() => {
            let t = ts.remove(0);
            match store::set_target(&state.db, &t, &viewer.actor).await {
                Ok(()) => {
                    return Ok(Redirect::to(&format!(
                        "{LIST}?done=target&code={}&year={}#targets",
                        t.indicator, t.year
                    ))
                    .into_response());
                }
                Err(StoreError::Rejected(ps)) => ps.iter().map(|p| p.render(lang)).collect(),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(_) => ["indicator", "year", "value"]
            .iter()
            .map(|f| say(f, Msg::new("problem.required").render(lang)))
            .collect(),
        Err(problems) => problems
            .iter()
            .map(|p| say(&p.field, problem_text(p, lang)))
            .collect(),
    };
    let mut page = list_page(&state, &viewer, lang, &csrf).await?;
    page.target_values = cells;
    page.target_errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

// -------------------------------------------------------------------------------------------------
// Editing one indicator.

// A condition's error is shown with the rules page's caret under the character.
use super::rules::{Caret, caret};

/// A field of the form: its column (as the workbook names it), label, input and problems.
pub struct FieldView {
    pub column: &'static str,
    /// The element id's suffix: the column with `::` and `.` as `_` (`numerator_filter`).
    pub id: String,
    pub label: String,
    pub help: String,
    /// input, textarea, code (a monospace textarea) or select.
    pub kind: &'static str,
    pub required: bool,
    pub readonly: bool,
    pub value: String,
    /// (value, label) of a select.
    pub options: Vec<(String, String)>,
    pub errors: Vec<String>,
    pub caret: Option<Caret>,
}

/// The fields of the indicator, then of its numerator, then of its denominator.
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub help: String,
    pub fields: Vec<FieldView>,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "indicator_edit.html")]
pub struct EditPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub heading: String,
    pub new: bool,
    /// A note above the form (a built-in shown as a model for a new indicator).
    pub notice: String,
    pub checked_against: String,
    pub sections: Vec<Section>,
    pub general: Vec<String>,
    pub error_count: usize,
    pub error_summary: String,
}

fn field_id(column: &str) -> String {
    column.replace("::", "_").replace('.', "_")
}

/// The choices of a select column, with the value entered kept when it is not among them.
fn options(column: &str, t: &Template, lang: Lang) -> Option<Vec<(String, String)>> {
    let part = column.split_once('.').map(|(_, p)| p);
    let none = || (String::new(), lang.t("indicator_defs.none").to_string());
    let coded = |v: Vec<(&'static str, &'static str)>| {
        v.into_iter()
            .map(|(c, l)| (c.to_string(), paren(lang, c, l)))
            .collect::<Vec<_>>()
    };
    Some(match (column, part) {
        ("compare", _) => coded(
            Compare::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang)))
                .collect(),
        ),
        ("numerator.kind", _) => coded(
            MeasureKind::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang)))
                .collect(),
        ),
        (_, Some("kind")) => std::iter::once(none())
            .chain(coded(
                MeasureKind::ALL
                    .iter()
                    .map(|v| (v.code(), v.label(lang)))
                    .collect(),
            ))
            .collect(),
        (_, Some("level")) => std::iter::once(none())
            .chain(coded(
                LEVELS
                    .iter()
                    .map(|&l| (indicator::level_code(l), indicator::level_label(l, lang)))
                    .collect(),
            ))
            .collect(),
        (_, Some("rows")) => coded(
            DivisionRows::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang)))
                .collect(),
        ),
        (_, Some("within")) => coded(
            Within::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang)))
                .collect(),
        ),
        (_, Some("state")) => {
            let reports = MeasureKind::Reports.label(lang);
            let notices = MeasureKind::Notices.label(lang);
            std::iter::once(none())
                .chain(ReportState::ALL.iter().map(|v| {
                    (
                        v.code().to_string(),
                        format!("{reports} · {}", paren(lang, v.code(), v.label(lang))),
                    )
                }))
                .chain(NoticeState::ALL.iter().map(|v| {
                    (
                        v.code().to_string(),
                        format!("{notices} · {}", paren(lang, v.code(), v.label(lang))),
                    )
                }))
                .collect()
        }
        (_, Some("item")) => std::iter::once(none())
            .chain(
                t.items
                    .iter()
                    .filter(|i| matches!(i.ty, ItemType::Integer | ItemType::Decimal))
                    .map(|i| {
                        let label = match lang {
                            Lang::ZhCn => &i.label_zh,
                            Lang::En => &i.label_en,
                        };
                        (i.code.clone(), paren(lang, &i.code, label))
                    }),
            )
            .collect(),
        _ => return None,
    })
}

fn column_kind(column: &str) -> &'static str {
    match column {
        "description::zh" | "description::en" => "textarea",
        c if c.ends_with(".filter") => "code",
        _ => "input",
    }
}

/// The form's state: the cells as entered, the problems by column, the general ones.
struct EditState {
    new: bool,
    notice: String,
    cells: BTreeMap<String, String>,
    errors: BTreeMap<String, Vec<String>>,
    positions: BTreeMap<String, usize>,
    general: Vec<String>,
}

impl EditState {
    fn push(&mut self, column: &str, text: String) {
        self.errors
            .entry(column.to_string())
            .or_default()
            .push(text);
    }

    fn problem(&mut self, p: &IndicatorProblem, lang: Lang) {
        if let Some(pos) = p.position {
            self.positions.entry(p.field.clone()).or_insert(pos);
        }
        // A problem of a column the form has not (none expected) is still shown.
        let column = if INDICATOR_COLUMNS.contains(&p.field.as_str()) {
            p.field.as_str()
        } else {
            "code"
        };
        self.push(column, problem_text(p, lang));
    }
}

fn cells_of(ind: &Indicator) -> BTreeMap<String, String> {
    INDICATOR_COLUMNS
        .iter()
        .zip(indicator::indicator_rows(std::slice::from_ref(ind)).remove(0))
        .map(|(c, v)| (c.to_string(), v))
        .collect()
}

fn edit_page(viewer: &Viewer, lang: Lang, csrf: &Token, t: &Template, e: EditState) -> EditPage {
    let code = e.cells.get("code").cloned().unwrap_or_default();
    let field = |column: &'static str, label: String, help: String| {
        let value = e.cells.get(column).cloned().unwrap_or_default();
        let mut opts = options(column, t, lang);
        if let Some(o) = opts.as_mut()
            && !value.is_empty()
            && !o.iter().any(|(v, _)| *v == value)
        {
            // A value the choices lack (an item of another template) stays as it is.
            o.push((value.clone(), value.clone()));
        }
        FieldView {
            column,
            id: field_id(column),
            label,
            help,
            kind: if opts.is_some() {
                "select"
            } else {
                column_kind(column)
            },
            required: matches!(column, "code" | "name::zh" | "numerator.kind"),
            readonly: column == "code" && !e.new,
            caret: e
                .positions
                .get(column)
                .filter(|_| column.ends_with(".filter"))
                .map(|&p| caret(&value, p)),
            errors: e.errors.get(column).cloned().unwrap_or_default(),
            options: opts.unwrap_or_default(),
            value,
        }
    };
    let mut sections = vec![Section {
        id: "indicator",
        title: String::new(),
        help: String::new(),
        fields: HEAD
            .iter()
            .map(|&c| {
                let id = c.replace("::", "_");
                field(
                    c,
                    lang.t(&format!("indicator_defs.col.{id}")).to_string(),
                    lang.t(&format!("indicator.xlsx.note.{id}")).to_string(),
                )
            })
            .collect(),
    }];
    for side in SIDES {
        sections.push(Section {
            id: side,
            title: lang.t(&format!("indicator.xlsx.side.{side}")).to_string(),
            help: lang.t(&format!("indicator_defs.{side}_help")).to_string(),
            fields: PARTS
                .iter()
                .map(|part| {
                    let column = INDICATOR_COLUMNS
                        .iter()
                        .copied()
                        .find(|c| *c == format!("{side}.{part}"))
                        .expect("every part of a measure is a column");
                    field(
                        column,
                        lang.t(&format!("indicator_defs.part.{part}")).to_string(),
                        lang.t(&format!("indicator.xlsx.note.{part}")).to_string(),
                    )
                })
                .collect(),
        });
    }
    let error_count = e.errors.values().map(Vec::len).sum::<usize>() + e.general.len();
    EditPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        heading: if e.new {
            lang.t("indicator_defs.new_title").to_string()
        } else {
            lang.tf("indicator_defs.edit_title", &[("code", &code)])
        },
        new: e.new,
        notice: e.notice,
        checked_against: lang.tf(
            "indicator_defs.checked_against",
            &[
                (
                    "title",
                    match lang {
                        Lang::ZhCn => &t.title_zh,
                        Lang::En => &t.title_en,
                    },
                ),
                ("version", &t.version.to_string()),
            ],
        ),
        sections,
        general: e.general,
        error_count,
        error_summary: lang.tf("form.has_errors", &[("count", &error_count.to_string())]),
    }
}

/// `GET /indicators/defs/edit?code=CODE`: a staff indicator in a form; without `code`, a new
/// one. A built-in's code (or `from=CODE`) gives a new indicator with that definition as its
/// model: built-ins are samples and cannot be redefined.
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<Params>,
) -> Result<EditPage, AppError> {
    viewer.require(Permission::ManageRules)?;
    let t = store::checking_template(&state.db).await?;
    let pick = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut e = EditState {
        new: true,
        notice: String::new(),
        cells: BTreeMap::from([
            ("compare".to_string(), Compare::Ratio.code().to_string()),
            ("factor".to_string(), "100".to_string()),
            ("unit".to_string(), "%".to_string()),
            ("numerator.kind".to_string(), "units".to_string()),
            ("denominator.kind".to_string(), "units".to_string()),
        ]),
        errors: BTreeMap::new(),
        positions: BTreeMap::new(),
        general: Vec::new(),
    };
    match (pick(&q.code), pick(&q.from)) {
        (Some(code), _) => {
            let ind = store::get(&state.db, &code).await?;
            e.cells = cells_of(&ind);
            if ind.builtin {
                e.notice = lang.tf("indicator_defs.builtin_model", &[("code", &code)]);
            } else {
                e.new = false;
            }
        }
        (None, Some(from)) => {
            let ind = store::get(&state.db, &from).await?;
            e.cells = cells_of(&ind);
            e.cells.insert("code".into(), String::new());
            e.notice = lang.tf("indicator_defs.model_of", &[("code", &from)]);
        }
        (None, None) => {}
    }
    Ok(edit_page(&viewer, lang, &csrf, &t, e))
}

/// The problems the template finds in one measure of a form, checked as the numerator of an
/// otherwise valid growth indicator; named by `side`.
fn side_problems(
    cells: &BTreeMap<String, String>,
    side: &str,
    t: &Template,
) -> Vec<IndicatorProblem> {
    let mut probe: BTreeMap<String, String> = cells
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&format!("{side}."))
                .map(|part| (format!("numerator.{part}"), v.clone()))
        })
        .collect();
    if probe
        .get("numerator.kind")
        .is_none_or(|k| k.trim().is_empty())
    {
        return Vec::new();
    }
    probe.insert("code".into(), "probe".into());
    probe.insert("name::zh".into(), "probe".into());
    probe.insert("compare".into(), Compare::Growth.code().into());
    let row = SheetRow {
        row: 1,
        cells: probe,
    };
    let Ok(mut read) = indicator::read_indicators(std::slice::from_ref(&row)) else {
        return Vec::new();
    };
    let Some(ind) = read.pop() else {
        return Vec::new();
    };
    match indicator::check(&ind, t) {
        Ok(_) => Vec::new(),
        Err(ps) => ps
            .into_iter()
            .filter_map(|p| {
                let part = p.field.strip_prefix("numerator.")?.to_string();
                Some(IndicatorProblem {
                    field: format!("{side}.{part}"),
                    ..p
                })
            })
            .collect(),
    }
}

/// `POST /indicators/defs/edit`: reads the form as the workbook reads a row (a kind's unused
/// settings are dropped, a growth indicator's denominator too), checks it against the newest
/// template and saves it as a new version (or a new indicator). Every problem is shown next to
/// its field, a condition's with its position; nothing is saved then. Unchanged, nothing is saved.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    let mut token = None;
    let mut new = false;
    let mut cells: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        match k.as_str() {
            csrf::FIELD => token = Some(v),
            "new" => new = v == "1",
            c if INDICATOR_COLUMNS.contains(&c) => {
                cells.insert(c.to_string(), v);
            }
            _ => {}
        }
    }
    check(&csrf, token.as_deref())?;
    let t = store::checking_template(&state.db).await?;
    // What the form shows again is what was entered; what is read leaves out the settings the
    // chosen kinds do not use (the selects always send something).
    let mut read = cells.clone();
    let growth =
        Compare::parse(read.get("compare").map_or("", String::as_str)) == Some(Compare::Growth);
    for side in SIDES {
        let kind = MeasureKind::parse(read.get(&format!("{side}.kind")).map_or("", String::as_str));
        for part in PARTS {
            let used = match kind {
                _ if side == "denominator" && growth => false,
                Some(k) => part == "kind" || parts_of(k).contains(&part),
                // An unreadable kind is reported; an empty one drops the rest.
                None => part == "kind",
            };
            if !used {
                read.remove(&format!("{side}.{part}"));
            }
        }
    }
    let mut e = EditState {
        new,
        notice: String::new(),
        cells,
        errors: BTreeMap::new(),
        positions: BTreeMap::new(),
        general: Vec::new(),
    };
    let row = SheetRow {
        row: 1,
        cells: read,
    };
    let ind = match indicator::read_indicators(std::slice::from_ref(&row)) {
        Ok(mut v) if !v.is_empty() => Some(v.remove(0)),
        Ok(_) => {
            for c in ["code", "name::zh", "numerator.kind"] {
                e.push(c, Msg::new("problem.required").render(lang));
            }
            None
        }
        Err(problems) => {
            for p in &problems {
                e.problem(p, lang);
            }
            // What only the template finds (items, conditions on reports) in a measure that
            // read well is said at once too, not after the other problems are mended.
            for side in SIDES {
                if !problems.iter().any(|p| p.field.starts_with(side)) {
                    for p in side_problems(&row.cells, side, &t) {
                        e.problem(&p, lang);
                    }
                }
            }
            None
        }
    };
    if let Some(ind) = ind {
        let stored = store::stored(&state.db).await?;
        if is_builtin(&ind.code) {
            e.push(
                "code",
                Msg::new("indicator.store.builtin_code")
                    .with("code", &ind.code)
                    .render(lang),
            );
        } else if e.new && stored.iter().any(|(_, i)| i.code == ind.code) {
            e.push(
                "code",
                lang.tf("indicator_defs.code_taken", &[("code", &ind.code)]),
            );
        } else {
            match indicator::check(&ind, &t) {
                Err(problems) => {
                    for p in &problems {
                        e.problem(p, lang);
                    }
                }
                Ok(_) => match store::save(&state.db, &ind, &t, &viewer.actor).await {
                    Ok(changed) => {
                        let done = if changed { "saved" } else { "unchanged" };
                        let code = &ind.code;
                        return Ok(Redirect::to(&format!(
                            "{LIST}?done={done}&code={code}#ind-{code}"
                        ))
                        .into_response());
                    }
                    Err(StoreError::Rejected(ps)) => {
                        e.general = ps.iter().map(|p| p.render(lang)).collect();
                    }
                    Err(other) => return Err(other.into()),
                },
            }
        }
    }
    let page = edit_page(&viewer, lang, &csrf, &t, e);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
