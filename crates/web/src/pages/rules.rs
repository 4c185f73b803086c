//! Review rules (审查规则) of a template form: the current rules with their versions, a rule
//! edited or created in a form (parsed and type-checked against the form's newest template before
//! the store saves it: an error is shown with its character position and a caret under the
//! expression, and nothing is saved), retiring a rule, the rule set as a workbook (download, and
//! upload: every problem with its place, nothing saved while there is one), and the conclusion
//! mapping (which conclusion each severity, or a rule, leads to).
//!
//! Reading: reviewers, rule authors and federation staff (`Viewer::reads_rules`). Changing:
//! `Permission::ManageRules`. Rules are shared by every federation, like templates.

use std::collections::{BTreeMap, HashSet};

use askama_web::WebTemplate;
use axum::extract::{Extension, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::Permission;
use shanghui_core::review::{Conclusion, ConclusionMap};
use shanghui_core::rules::{self, MissingStrategy, RULE_COLUMNS, Rule, Severity};
use shanghui_core::template::{SheetRow, Template};
use shanghui_core::{Lang, Msg};
use shanghui_files::Located;
use shanghui_store::rulesets::{self, Saved, StoredRule};
use shanghui_store::{StoreError, review, templates};

use super::campaigns::check;
use super::templates::ProblemRow;
use super::upload::{XLSX, check_token, download, read_upload};
use super::{Posted, Viewer, local_time};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState, MAX_UPLOAD_BYTES};

fn require_read(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.reads_rules() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The template forms (newest version of each) as (form id, label), and the form shown: the
/// one asked for (404 if there is none such), else the form of the newest template.
async fn forms(
    state: &AppState,
    asked: Option<&str>,
    lang: Lang,
) -> Result<(Vec<(String, String)>, Option<String>), AppError> {
    let infos = templates::list(&state.db).await?;
    let mut seen = HashSet::new();
    let list: Vec<(String, String)> = infos
        .iter()
        .filter(|t| seen.insert(t.form_id.clone()))
        .map(|t| {
            let title = match lang {
                Lang::ZhCn => &t.title_zh,
                Lang::En => &t.title_en,
            };
            (
                t.form_id.clone(),
                lang.tf(
                    "rules_page.form_label",
                    &[("title", title), ("form", &t.form_id)],
                ),
            )
        })
        .collect();
    let chosen = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(f) if list.iter().any(|(id, _)| id == f) => Some(f.to_string()),
        Some(_) => return Err(AppError::NotFound),
        None => match templates::latest(&state.db).await? {
            Some(id) => infos.iter().find(|t| t.id == id).map(|t| t.form_id.clone()),
            None => None,
        },
    };
    Ok((list, chosen))
}

fn title_of(t: &Template, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => t.title_zh.clone(),
        Lang::En => t.title_en.clone(),
    }
}

fn text<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::En if !en.trim().is_empty() => en,
        _ => zh,
    }
}

pub struct VersionRow {
    pub version: i64,
    pub when: String,
    pub name: String,
    pub severity: String,
    pub expr: String,
    pub retired: bool,
}

fn version_row(s: &StoredRule, lang: Lang) -> VersionRow {
    VersionRow {
        version: s.version,
        when: format!("{} · {}", local_time(s.created_at), s.created_by),
        name: s.rule.name(lang).to_string(),
        severity: s.rule.severity.label(lang).to_string(),
        expr: s.rule.expr.clone(),
        retired: s.retired,
    }
}

pub struct RuleRow {
    pub code: String,
    pub name: String,
    pub severity: String,
    pub severity_code: &'static str,
    pub missing: String,
    pub group: String,
    pub expr: String,
    pub items: String,
    pub instruction: String,
    pub version: i64,
    pub versions: Vec<VersionRow>,
    /// The conclusion the mapping gives it: its override's code, or "" (by its severity).
    pub mapped: String,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "rules.html")]
pub struct RulesPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub forms: Vec<(String, String)>,
    pub form_id: String,
    pub template_title: String,
    pub template_version: u32,
    pub rules: Vec<RuleRow>,
    pub can_manage: bool,
    pub outcome: String,
    pub problems: Vec<ProblemRow>,
    /// (severity code, label, the conclusion code it leads to).
    pub by_severity: Vec<(&'static str, String, &'static str)>,
    /// (code, label) of the conclusions.
    pub conclusions: Vec<(&'static str, String)>,
    /// Some rule of the form has a conclusion of its own.
    pub any_override: bool,
}

impl RulesPage {
    /// The label of a conclusion code (for the read-only mapping).
    pub fn conclusion_label(&self, code: &str) -> String {
        self.conclusions
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    asked: Option<&str>,
) -> Result<RulesPage, AppError> {
    let (forms, chosen) = forms(state, asked, lang).await?;
    let mut page = RulesPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        forms,
        form_id: String::new(),
        template_title: String::new(),
        template_version: 0,
        rules: Vec::new(),
        can_manage: viewer.can(Permission::ManageRules),
        outcome: String::new(),
        problems: Vec::new(),
        by_severity: Vec::new(),
        conclusions: Conclusion::ALL
            .iter()
            .map(|c| (c.code(), c.label(lang).to_string()))
            .collect(),
        any_override: false,
    };
    let map = review::conclusion_map(&state.db).await?;
    page.by_severity = Severity::ALL
        .iter()
        .map(|s| {
            let c = match s {
                Severity::Error => map.error,
                Severity::Finding => map.finding,
                Severity::Warning => map.warning,
            };
            (s.code(), s.label(lang).to_string(), c.code())
        })
        .collect();
    let Some(form) = chosen else {
        return Ok(page);
    };
    let (_, t) = rulesets::form_template(&state.db, &form).await?;
    // Every rule's history in one read, not one query a rule.
    let mut history: std::collections::HashMap<String, Vec<rulesets::StoredRule>> =
        std::collections::HashMap::new();
    for v in rulesets::all_versions(&state.db, &form).await? {
        history.entry(v.rule.code.clone()).or_default().push(v);
    }
    for s in rulesets::current(&state.db, &form).await? {
        let versions = history.remove(&s.rule.code).unwrap_or_default();
        let r = &s.rule;
        page.rules.push(RuleRow {
            code: r.code.clone(),
            name: r.name(lang).to_string(),
            severity: r.severity.label(lang).to_string(),
            severity_code: r.severity.code(),
            // The usual strategy goes without saying.
            missing: if r.missing == MissingStrategy::default() {
                String::new()
            } else {
                r.missing.label(lang).to_string()
            },
            group: r.group.clone(),
            expr: r.expr.clone(),
            items: r.items.join(", "),
            instruction: text(lang, &r.instruction_zh, &r.instruction_en).to_string(),
            version: s.version,
            versions: versions
                .iter()
                .rev()
                .map(|v| version_row(v, lang))
                .collect(),
            mapped: map
                .rules
                .get(&r.code)
                .map(|c| c.code().to_string())
                .unwrap_or_default(),
        });
    }
    page.any_override = page.rules.iter().any(|r| !r.mapped.is_empty());
    page.template_title = title_of(&t, lang);
    page.template_version = t.version;
    page.form_id = form;
    Ok(page)
}

#[derive(serde::Deserialize)]
pub struct Params {
    form: Option<String>,
    code: Option<String>,
    done: Option<String>,
    version: Option<String>,
    new: Option<String>,
    changed: Option<String>,
    same: Option<String>,
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
        "saved" => lang.tf(
            "rules_page.flash_saved",
            &[("code", code), ("version", &n(&q.version))],
        ),
        "unchanged" => lang.tf("review.rule_unchanged", &[("code", code)]),
        "retired" => lang.tf("rules_page.flash_retired", &[("code", code)]),
        "imported" => lang.tf(
            "cli.rules_saved",
            &[
                ("new", &n(&q.new)),
                ("changed", &n(&q.changed)),
                ("same", &n(&q.same)),
            ],
        ),
        "map" => lang.t("rules_page.flash_map").to_string(),
        _ => return None,
    })
}

/// `GET /rules?form=FORM_ID`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<Params>,
) -> Result<RulesPage, AppError> {
    require_read(&viewer)?;
    let mut page = list_page(&state, &viewer, lang, &csrf, q.form.as_deref()).await?;
    page.flash = flash(&q, lang);
    Ok(page)
}

fn rules_href(form: &str) -> String {
    let enc: String = form
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/rules?form={enc}")
}

/// The form's template, or 404 for a form without one.
async fn template_of(state: &AppState, form: Option<&str>) -> Result<(String, Template), AppError> {
    let form = form
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(AppError::BadRequest)?;
    let (_, t) = rulesets::form_template(&state.db, form).await?;
    Ok((form.to_string(), t))
}

/// `GET /rules.xlsx?form=FORM_ID`: the current rules as a workbook to edit in Excel (and to
/// upload again).
pub async fn download_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    require_read(&viewer)?;
    let (_, chosen) = forms(&state, q.form.as_deref(), lang).await?;
    let (form, t) = template_of(&state, chosen.as_deref()).await?;
    let set: Vec<Rule> = rulesets::current(&state.db, &form)
        .await?
        .into_iter()
        .map(|s| s.rule)
        .collect();
    let bytes =
        tokio::task::spawn_blocking(move || shanghui_files::write_rules_xlsx(&set, &t, lang))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("{form}-rules.xlsx");
    Ok(download(XLSX, &name, &name, bytes))
}

/// `POST /rules/import`: a workbook of rules for the form. Every rule is checked first; any
/// problem is listed with its place (sheet, row, column, character) and nothing is saved.
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
    let asked = up
        .fields
        .iter()
        .find(|(k, _)| k == "form")
        .map(|(_, v)| v.clone());
    let (_, chosen) = forms(&state, asked.as_deref(), lang).await?;
    let page = list_page(&state, &viewer, lang, &csrf, chosen.as_deref()).await?;
    let refuse = |mut page: RulesPage, located: Vec<Located>, status: StatusCode| {
        page.outcome = lang.tf(
            "rules_page.upload_failed",
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
    let (form, t) = template_of(&state, chosen.as_deref()).await?;
    let t2 = t.clone();
    let read = tokio::task::spawn_blocking(move || {
        shanghui_files::read_rules_workbook(&bytes, &name, &t2)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let set = match read {
        Ok(set) => set,
        Err(located) => return refuse(page, located, StatusCode::UNPROCESSABLE_ENTITY),
    };
    match rulesets::save_all(&state.db, &form, &set, &t, &viewer.actor).await {
        Ok((new, changed, same)) => Ok(Redirect::to(&format!(
            "{}&done=imported&new={new}&changed={changed}&same={same}",
            rules_href(&form)
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
    form: Option<String>,
    code: Option<String>,
}

/// `POST /rules/retire`: takes a rule out of the current set (its versions stay, and findings
/// keep naming the version that produced them).
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
    let (form, _) = template_of(&state, f.form.as_deref()).await?;
    rulesets::retire(&state.db, &form, code, &viewer.actor).await?;
    Ok(Redirect::to(&format!("{}&done=retired&code={code}", rules_href(&form))).into_response())
}

/// `POST /rules/conclusions`: the conclusion each severity leads to (`error`, `finding`,
/// `warning`) and per-rule overrides (`r.CODE`, empty: by severity) for the form's current rules;
/// overrides of other forms' rules are kept.
pub async fn conclusions(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    check(&csrf, get(csrf::FIELD))?;
    let pick = |k: &str| {
        get(k)
            .and_then(Conclusion::from_code)
            .ok_or(AppError::BadRequest)
    };
    let (error, finding, warning) = (pick("error")?, pick("finding")?, pick("warning")?);
    let (form, _) = template_of(&state, get("form")).await?;
    let old = review::conclusion_map(&state.db).await?;
    let mut overrides = old.rules.clone();
    for s in rulesets::current(&state.db, &form).await? {
        let code = s.rule.code;
        match get(&format!("r.{code}")).and_then(Conclusion::from_code) {
            Some(c) => overrides.insert(code, c),
            None => overrides.remove(&code),
        };
    }
    let map = ConclusionMap {
        error,
        finding,
        warning,
        rules: overrides,
    };
    if map != old {
        review::set_conclusion_map(&state.db, &map, &viewer.actor).await?;
    }
    Ok(Redirect::to(&format!("{}&done=map#conclusion-map", rules_href(&form))).into_response())
}

// -------------------------------------------------------------------------------------------------
// Editing one rule.

/// Where an expression's error is: the line of the expression cut at the character, and the
/// spacing that puts a caret under it (wide characters take an ideographic space).
pub struct Caret {
    pub before: String,
    pub at: String,
    pub after: String,
    pub pad: String,
}

fn wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

pub(crate) fn caret(expr: &str, position: usize) -> Caret {
    let chars: Vec<char> = expr.chars().collect();
    let i = position.saturating_sub(1).min(chars.len());
    // Only the line the character is on.
    let start = chars[..i]
        .iter()
        .rposition(|&c| c == '\n')
        .map_or(0, |p| p + 1);
    let end = chars[i..]
        .iter()
        .position(|&c| c == '\n' || c == '\r')
        .map_or(chars.len(), |p| i + p);
    let at = if i < end {
        chars[i].to_string()
    } else {
        String::new()
    };
    Caret {
        before: chars[start..i].iter().collect(),
        after: chars[(i + 1).min(end).max(i)..end].iter().collect(),
        pad: chars[start..i]
            .iter()
            .map(|&c| match c {
                '\t' => '\t',
                c if wide(c) => '\u{3000}',
                _ => ' ',
            })
            .collect(),
        at,
    }
}

/// A field of the rule form: its column (as the workbook names it), its label and input.
pub struct FieldView {
    pub column: &'static str,
    /// The element id's suffix: the column with `::` as `_`.
    pub id: String,
    pub label: String,
    pub help: String,
    /// input, textarea, code (a monospace textarea), severity or missing.
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub errors: Vec<String>,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "rule_edit.html")]
pub struct RuleEditPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub heading: String,
    pub form_id: String,
    pub template_title: String,
    pub new: bool,
    pub fields: Vec<FieldView>,
    pub caret: Option<Caret>,
    pub severities: Vec<(&'static str, String)>,
    pub strategies: Vec<(&'static str, String)>,
    pub general: Vec<String>,
    pub error_count: usize,
    pub error_summary: String,
    pub versions: Vec<VersionRow>,
    pub retired: bool,
    /// The rule language in brief, as the workbook's instructions give it: (topic, syntax,
    /// meaning), then the missing-value strategies and the severities: (name, meaning).
    pub language: Vec<(String, String, String)>,
    pub strategy_help: Vec<(String, String)>,
    pub severity_help: Vec<(String, String)>,
}

/// "code（label）", or "code (label)" in English.
fn paren(lang: Lang, code: &str, label: &str) -> String {
    match lang {
        Lang::ZhCn => format!("{code}（{label}）"),
        Lang::En => format!("{code} ({label})"),
    }
}

/// The topics of the rule language's reference (`rules.xlsx.topic.*`, `.syntax.*`, `.lang.*`).
const LANGUAGE_TOPICS: &[&str] = &[
    "values",
    "names",
    "choices",
    "implication",
    "logic",
    "comparison",
    "arithmetic",
    "fn_numbers",
    "fn_dates",
    "fn_prev",
    "fn_present",
    "fn_multi",
    "fn_if",
    "fn_text",
];

fn column_kind(column: &str) -> &'static str {
    match column {
        "expr" => "code",
        "severity" => "severity",
        "missing" => "missing",
        "instruction::zh" | "instruction::en" => "textarea",
        _ => "input",
    }
}

fn cells_of(r: &Rule) -> BTreeMap<String, String> {
    RULE_COLUMNS
        .iter()
        .zip(rules::rule_rows(std::slice::from_ref(r)).remove(0))
        .map(|(c, v)| (c.to_string(), v))
        .collect()
}

struct EditState {
    form: String,
    new: bool,
    cells: BTreeMap<String, String>,
    errors: BTreeMap<String, Vec<String>>,
    caret: Option<Caret>,
    general: Vec<String>,
}

async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    t: &Template,
    e: EditState,
) -> Result<RuleEditPage, AppError> {
    let code = e.cells.get("code").cloned().unwrap_or_default();
    let versions = if e.new || code.is_empty() {
        Vec::new()
    } else {
        rulesets::history(&state.db, &e.form, &code).await?
    };
    let fields = RULE_COLUMNS
        .iter()
        .map(|&column| {
            let id = column.replace("::", "_");
            FieldView {
                column,
                label: lang.t(&format!("rules_page.col.{id}")).to_string(),
                help: lang.t(&format!("rules.xlsx.note.{id}")).to_string(),
                kind: column_kind(column),
                required: matches!(column, "code" | "name::zh" | "severity" | "expr"),
                value: e.cells.get(column).cloned().unwrap_or_default(),
                errors: e.errors.get(column).cloned().unwrap_or_default(),
                id,
            }
        })
        .collect::<Vec<_>>();
    let error_count = fields.iter().map(|f| f.errors.len()).sum::<usize>() + e.general.len();
    Ok(RuleEditPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        heading: if e.new {
            lang.t("rules_page.new_title").to_string()
        } else {
            lang.tf("rules_page.edit_title", &[("code", &code)])
        },
        template_title: lang.tf(
            "rules_page.checked_against",
            &[
                ("title", &title_of(t, lang)),
                ("version", &t.version.to_string()),
            ],
        ),
        form_id: e.form,
        new: e.new,
        fields,
        caret: e.caret,
        severities: Severity::ALL
            .iter()
            .map(|s| (s.code(), s.label(lang).to_string()))
            .collect(),
        strategies: MissingStrategy::ALL
            .iter()
            .map(|s| (s.code(), s.label(lang).to_string()))
            .collect(),
        general: e.general,
        error_count,
        error_summary: lang.tf("form.has_errors", &[("count", &error_count.to_string())]),
        retired: versions.last().is_some_and(|v| v.retired),
        language: LANGUAGE_TOPICS
            .iter()
            .map(|k| {
                (
                    lang.t(&format!("rules.xlsx.topic.{k}")).to_string(),
                    lang.t(&format!("rules.xlsx.syntax.{k}")).to_string(),
                    lang.t(&format!("rules.xlsx.lang.{k}")).to_string(),
                )
            })
            .collect(),
        strategy_help: MissingStrategy::ALL
            .iter()
            .map(|m| {
                (
                    paren(lang, m.code(), m.label(lang)),
                    lang.t(&format!("rules.xlsx.missing.{}", m.code()))
                        .to_string(),
                )
            })
            .collect(),
        severity_help: Severity::ALL
            .iter()
            .map(|v| {
                (
                    paren(lang, v.code(), v.label(lang)),
                    lang.t(&format!("rules.xlsx.severity.{}", v.code()))
                        .to_string(),
                )
            })
            .collect(),
        versions: versions
            .iter()
            .rev()
            .map(|v| version_row(v, lang))
            .collect(),
    })
}

/// `GET /rules/edit?form=FORM_ID&code=CODE`: a rule in a form (its latest version, even retired:
/// saving it brings it back); without `code`, a new rule.
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<Params>,
) -> Result<RuleEditPage, AppError> {
    viewer.require(Permission::ManageRules)?;
    let (_, chosen) = forms(&state, q.form.as_deref(), lang).await?;
    let (form, t) = template_of(&state, chosen.as_deref()).await?;
    let code = q.code.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let (new, cells) = match code {
        Some(code) => {
            let versions = rulesets::history(&state.db, &form, code).await?;
            let last = versions.last().ok_or(AppError::NotFound)?;
            (false, cells_of(&last.rule))
        }
        None => (
            true,
            BTreeMap::from([("severity".to_string(), "finding".to_string())]),
        ),
    };
    let e = EditState {
        form,
        new,
        cells,
        errors: BTreeMap::new(),
        caret: None,
        general: Vec::new(),
    };
    edit_page(&state, &viewer, lang, &csrf, &t, e).await
}

/// `POST /rules/edit`: saves the rule as a new version (or a new rule), after reading it as the
/// workbook's rows are read and compiling it against the form's newest template. Every problem
/// is shown next to its field, the expression's with its position; nothing is saved then.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageRules)?;
    let mut token = None;
    let mut form = None;
    let mut new = false;
    let mut cells: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        match k.as_str() {
            csrf::FIELD => token = Some(v),
            "form" => form = Some(v),
            "new" => new = v == "1",
            c if RULE_COLUMNS.contains(&c) => {
                cells.insert(c.to_string(), v);
            }
            _ => {}
        }
    }
    check(&csrf, token.as_deref())?;
    let (form, t) = template_of(&state, form.as_deref()).await?;
    let mut e = EditState {
        form,
        new,
        cells: cells.clone(),
        errors: BTreeMap::new(),
        caret: None,
        general: Vec::new(),
    };
    let push = |e: &mut EditState, column: &str, m: String| {
        e.errors.entry(column.to_string()).or_default().push(m);
    };
    let row = SheetRow { row: 2, cells };
    let rule = match rules::read_rules(std::slice::from_ref(&row)) {
        Ok(mut rs) if !rs.is_empty() => Some(rs.remove(0)),
        Ok(_) => {
            for c in ["code", "name::zh", "expr"] {
                push(&mut e, c, Msg::new("problem.required").render(lang));
            }
            None
        }
        Err(problems) => {
            for p in problems {
                let column = p.column.clone().unwrap_or_else(|| "code".into());
                push(&mut e, &column, p.msg.render(lang));
            }
            None
        }
    };
    if let Some(rule) = rule {
        if e.new
            && !rulesets::history(&state.db, &e.form, &rule.code)
                .await?
                .is_empty()
        {
            push(
                &mut e,
                "code",
                lang.tf("rules_page.code_taken", &[("code", &rule.code)]),
            );
        } else {
            match rules::compile(&rule, &t) {
                Err(err) => {
                    if err.field == "expr"
                        && let Some(p) = err.position
                    {
                        e.caret = Some(caret(&rule.expr, p));
                    }
                    push(&mut e, err.field, err.render(lang));
                }
                Ok(_) => match rulesets::save(&state.db, &e.form, &rule, &t, &viewer.actor).await {
                    Ok(saved) => {
                        let href = rules_href(&e.form);
                        let code = &rule.code;
                        return Ok(match saved {
                            Saved::New(id) | Saved::Changed(id) => {
                                let v = rulesets::get(&state.db, id).await?.version;
                                Redirect::to(&format!(
                                    "{href}&done=saved&code={code}&version={v}#rule-{code}"
                                ))
                            }
                            Saved::Unchanged(_) => Redirect::to(&format!(
                                "{href}&done=unchanged&code={code}#rule-{code}"
                            )),
                        }
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
    let page = edit_page(&state, &viewer, lang, &csrf, &t, e).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
