//! A unit's annual report in a campaign: read it by sections beside last year's answers, fill it
//! (save a draft, submit), return it with a reason, and its history. The form is checked by
//! `Template::read`, the same reader as the batch import; the store checks the version, so two
//! people editing at once cannot silently overwrite each other.

use std::collections::BTreeMap;

use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::Permission;
use shanghui_core::report::{self, Action, Answers, CampaignStatus, ReportStatus};
use shanghui_core::template::{Item, ItemType, Template, Value, parse_value};
use shanghui_core::{Lang, Msg, value};
use shanghui_store::reports::{self, HistoryEntry, Report};
use shanghui_store::{StoreError, campaigns};

use super::campaigns::{Ids, check, title};
use super::{Posted, Viewer, local_time};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// The prefix of an item's field in the form: item codes are free snake_case and could be
/// `version` or `action`.
const ITEM_FIELD: &str = "i.";

pub struct OptionView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A condition as the page's script reads it, and as the reader is told.
pub struct CondView {
    pub item: String,
    pub value: String,
    pub negated: bool,
    pub note: String,
}

pub struct ItemView {
    pub code: String,
    pub number: String,
    pub label: String,
    /// integer, decimal, text, yes_no, choice, multi or date: which input.
    pub kind: &'static str,
    pub required: bool,
    pub hint: String,
    /// The text in the input: what the user typed, or the stored answer.
    pub value: String,
    /// The stored answer as people read it.
    pub shown: String,
    /// Last year's answer as people read it, or empty.
    pub previous: String,
    pub options: Vec<OptionView>,
    pub condition: Option<CondView>,
    /// The item's condition does not hold: the field is hidden (the script shows it again when
    /// it comes to hold) and its answer would be dropped.
    pub hidden: bool,
    pub errors: Vec<String>,
}

pub struct SectionView {
    pub label: String,
    pub items: Vec<ItemView>,
}

pub struct HistoryView {
    pub when: String,
    pub who: String,
    pub action: String,
    pub lines: Vec<String>,
}

pub struct ConflictView {
    pub message: String,
    /// (item, their answer, yours).
    pub diffs: Vec<(String, String, String)>,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "report.html")]
pub struct ReportPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    pub heading: String,
    pub status: String,
    pub status_code: &'static str,
    pub facts: Vec<(String, String)>,
    pub returned_reason: Option<String>,
    pub template_title: String,
    pub sections: Vec<SectionView>,
    pub has_previous: bool,
    pub can_fill: bool,
    pub version: i64,
    pub can_return: bool,
    pub return_reason: String,
    pub return_errors: Vec<String>,
    pub general: Vec<String>,
    pub error_count: usize,
    pub error_summary: String,
    pub conflict: Option<ConflictView>,
    pub history: Vec<HistoryView>,
    /// What carries over from earlier years' review and rectification.
    pub carry: Option<super::rectify::CarryView>,
}

/// What a post brought back to the page: the texts as typed and what is wrong with them.
#[derive(Default)]
struct Outcome {
    raw: Option<BTreeMap<String, String>>,
    /// The version the writer started from: a form shown again keeps it, so that a save after
    /// fixing a value still meets someone else's save in between. `None` after a conflict (and
    /// on a fresh page): the version just read, so saving again overwrites knowingly.
    version: Option<i64>,
    errors: BTreeMap<String, Vec<String>>,
    general: Vec<String>,
    conflict: bool,
    return_reason: String,
    return_errors: Vec<String>,
}

fn kind(ty: &ItemType) -> &'static str {
    match ty {
        ItemType::Integer => "integer",
        ItemType::Decimal => "decimal",
        ItemType::Text => "text",
        ItemType::YesNo => "yes_no",
        ItemType::Choice(_) => "choice",
        ItemType::MultiChoice(_) => "multi",
        ItemType::Date => "date",
    }
}

/// A value as people read it.
fn shown(item: &Item, v: &Value, t: &Template, lang: Lang) -> String {
    report::display(item, v, &t.choices, lang)
}

/// Canonical text (as history keeps it) as people read it.
fn shown_text(t: &Template, code: &str, text: Option<&str>, lang: Lang) -> String {
    let Some(text) = text else {
        return "—".to_string();
    };
    match t.item(code) {
        Some(item) => match parse_value(item, text, &t.choices) {
            Ok(Some(v)) => shown(item, &v, t, lang),
            _ => text.to_string(),
        },
        None => text.to_string(),
    }
}

fn label(t: &Template, code: &str, lang: Lang) -> String {
    t.item(code)
        .map(|i| i.label(lang).to_string())
        .unwrap_or_else(|| code.to_string())
}

fn options(t: &Template, item: &Item, raw: &str, lang: Lang) -> Vec<OptionView> {
    let list = match &item.ty {
        ItemType::Choice(l) | ItemType::MultiChoice(l) => l,
        ItemType::YesNo => {
            let b = value::parse_bool(raw);
            return [(true, "是", "yes"), (false, "否", "no")]
                .into_iter()
                .map(|(v, text, key)| OptionView {
                    value: text.to_string(),
                    label: lang.t(key).to_string(),
                    selected: b == Some(v),
                })
                .collect();
        }
        _ => return Vec::new(),
    };
    // What the text names, in any spelling the reader accepts.
    let picked: Vec<String> = match parse_value(item, raw, &t.choices) {
        Ok(Some(Value::Choice(c))) => vec![c],
        Ok(Some(Value::Choices(cs))) => cs,
        _ => Vec::new(),
    };
    t.choices
        .iter()
        .filter(|c| &c.list == list)
        .map(|c| OptionView {
            value: c.code.clone(),
            label: match lang {
                Lang::ZhCn => c.label_zh.clone(),
                Lang::En => c.label_en.clone(),
            },
            selected: picked.contains(&c.code),
        })
        .collect()
}

fn condition(t: &Template, item: &Item, lang: Lang) -> Option<CondView> {
    let c = item.relevant.as_ref()?;
    let of = t.item(&c.item)?;
    let key = if c.negated {
        "report.condition_is_not"
    } else {
        "report.condition_is"
    };
    Some(CondView {
        item: c.item.clone(),
        value: report::raw(&c.value),
        negated: c.negated,
        note: lang.tf(
            key,
            &[
                ("item", of.label(lang)),
                ("value", &shown(of, &c.value, t, lang)),
            ],
        ),
    })
}

/// The template's sections in order of first use, each with its items.
fn sections(
    t: &Template,
    stored: &Answers,
    raw: &BTreeMap<String, String>,
    previous: Option<&Answers>,
    errors: &BTreeMap<String, Vec<String>>,
    lang: Lang,
) -> Vec<SectionView> {
    // Which items apply is judged on the answers as they stand in the form.
    let (values, _) = t.read(raw);
    let mut out: Vec<(String, SectionView)> = Vec::new();
    for item in &t.items {
        let section_label = t
            .choices
            .iter()
            .find(|c| c.list == "section" && c.code == item.section)
            .map(|c| match lang {
                Lang::ZhCn => c.label_zh.clone(),
                Lang::En => c.label_en.clone(),
            })
            .unwrap_or_else(|| item.section.clone());
        let text = raw.get(&item.code).cloned().unwrap_or_default();
        let view = ItemView {
            code: item.code.clone(),
            number: item.counted.map(|n| n.to_string()).unwrap_or_default(),
            label: item.label(lang).to_string(),
            kind: kind(&item.ty),
            required: item.required,
            hint: match lang {
                Lang::ZhCn => item.hint_zh.clone(),
                Lang::En => item.hint_en.clone(),
            },
            options: options(t, item, &text, lang),
            value: text,
            shown: stored
                .get(&item.code)
                .map(|v| shown(item, v, t, lang))
                .unwrap_or_default(),
            previous: previous
                .and_then(|p| p.get(&item.code))
                .map(|v| shown(item, v, t, lang))
                .unwrap_or_default(),
            condition: condition(t, item, lang),
            hidden: !t.applies(item, &values),
            errors: errors.get(&item.code).cloned().unwrap_or_default(),
        };
        match out.iter_mut().find(|(code, _)| *code == item.section) {
            Some((_, s)) => s.items.push(view),
            None => out.push((
                item.section.clone(),
                SectionView {
                    label: section_label,
                    items: vec![view],
                },
            )),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

fn history_view(e: &HistoryEntry, t: &Template, lang: Lang) -> HistoryView {
    let key = format!("report.action.{}", e.action);
    let action = match lang.t(&key) {
        "?" => e.action.clone(),
        s => s.to_string(),
    };
    let mut lines: Vec<String> = e
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}：{} → {}",
                label(t, &c.item, lang),
                shown_text(t, &c.item, c.old.as_deref(), lang),
                shown_text(t, &c.item, c.new.as_deref(), lang)
            )
        })
        .collect();
    if let Some(r) = &e.reason {
        lines.push(lang.tf("report.reason_line", &[("reason", r)]));
    }
    HistoryView {
        when: local_time(e.at),
        who: e.actor.clone(),
        action,
        lines,
    }
}

fn status_code(s: Option<ReportStatus>) -> &'static str {
    s.map(ReportStatus::code).unwrap_or("not_started")
}

fn facts(r: &Report, lang: Lang) -> Vec<(String, String)> {
    let mut f = vec![(
        lang.t("campaign.deadline").to_string(),
        r.deadline.to_string(),
    )];
    if let Some(d) = r.first_submitted_on {
        let on_time = if r.on_time() == Some(true) {
            "report.on_time"
        } else {
            "report.late"
        };
        f.push((
            lang.t("report.first_submitted_on").to_string(),
            format!("{d}（{}）", lang.t(on_time)),
        ));
    }
    if let (Some(at), Some(by)) = (r.submitted_at, &r.submitted_by) {
        f.push((
            lang.t("report.submitted_at").to_string(),
            format!("{} · {by}", local_time(at)),
        ));
    }
    if let (Some(at), Some(by)) = (r.updated_at, &r.updated_by) {
        f.push((
            lang.t("report.updated_at").to_string(),
            format!("{} · {by}", local_time(at)),
        ));
    }
    f.push((lang.t("org.version").to_string(), r.version.to_string()));
    if !r.expected {
        f.push((
            lang.t("report.not_expected").to_string(),
            lang.t("report.not_expected_note").to_string(),
        ));
    }
    f
}

/// The differences between what someone else saved and what the reader sent.
fn conflict(t: &Template, r: &Report, raw: &BTreeMap<String, String>, lang: Lang) -> ConflictView {
    let (mine, _) = t.read(raw);
    let diffs = report::changes(t, &r.answers, &mine)
        .into_iter()
        .map(|c| {
            let yours = raw
                .get(&c.item)
                .filter(|s| !s.trim().is_empty())
                .cloned()
                .map(|s| shown_text(t, &c.item, Some(&s), lang))
                .unwrap_or_else(|| "—".into());
            (
                label(t, &c.item, lang),
                shown_text(t, &c.item, c.old.as_deref(), lang),
                yours,
            )
        })
        .collect();
    let when = r.updated_at.map(local_time).unwrap_or_default();
    ConflictView {
        message: lang.tf(
            "report.conflict",
            &[
                ("who", r.updated_by.as_deref().unwrap_or("—")),
                ("when", &when),
                ("version", &r.version.to_string()),
            ],
        ),
        diffs,
    }
}

/// The report page, from the store or with what a post brought back.
async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    ids: &Ids,
    out: Outcome,
) -> Result<ReportPage, AppError> {
    let (r, t) = reports::get(&state.db, &viewer.scope, ids.id, ids.org).await?;
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let previous = reports::previous_answers(&state.db, &viewer.scope, ids.org, r.year).await?;
    let history = reports::history(&state.db, &viewer.scope, ids.id, ids.org).await?;
    let stored_raw = report::raw_answers(&r.answers);
    let conflict = out
        .conflict
        .then(|| conflict(&t, &r, out.raw.as_ref().unwrap_or(&stored_raw), lang));
    let raw = out.raw.unwrap_or(stored_raw);
    let open = r.campaign_status == CampaignStatus::Open;
    let submitted = r.status == Some(ReportStatus::Submitted);
    let error_count = out.errors.values().map(Vec::len).sum::<usize>();
    let carry =
        super::rectify::carry_view(state, r.organization_id, r.year, c.template_id, lang).await?;
    Ok(ReportPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        campaign_id: r.campaign_id,
        campaign_title: title(&c, lang),
        org_id: r.organization_id,
        org_name: r.org_name.clone(),
        year: r.year,
        heading: lang.tf(
            "report.title",
            &[("name", &r.org_name), ("year", &r.year.to_string())],
        ),
        status: match r.status {
            Some(s) => s.label(lang).to_string(),
            None => lang.t("report_status.not_started").to_string(),
        },
        status_code: status_code(r.status),
        facts: facts(&r, lang),
        returned_reason: r
            .returned_reason
            .clone()
            .filter(|_| r.status == Some(ReportStatus::Returned)),
        template_title: match lang {
            Lang::ZhCn => t.title_zh.clone(),
            Lang::En => t.title_en.clone(),
        },
        sections: sections(&t, &r.answers, &raw, previous.as_ref(), &out.errors, lang),
        has_previous: previous.is_some(),
        can_fill: viewer.can(Permission::FillReports) && open && !submitted,
        version: out.version.unwrap_or(r.version),
        can_return: viewer.can(Permission::ManageCampaigns) && open && submitted,
        return_reason: out.return_reason,
        return_errors: out.return_errors,
        general: out.general,
        error_count,
        error_summary: lang.tf("form.has_errors", &[("count", &error_count.to_string())]),
        conflict,
        history: history
            .iter()
            .rev()
            .map(|e| history_view(e, &t, lang))
            .collect(),
        carry,
    })
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /campaigns/{id}/reports/{org}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<Done>,
) -> Result<ReportPage, AppError> {
    viewer.require(Permission::ViewReports)?;
    let mut page = render(&state, &viewer, lang, &csrf, &ids, Outcome::default()).await?;
    let key = match q.done.as_deref() {
        Some("saved") => Some("report.flash_saved"),
        Some("submitted") => Some("report.flash_submitted"),
        Some("returned") => Some("report.flash_returned"),
        _ => None,
    };
    page.flash = key.map(|k| lang.t(k).to_string());
    Ok(page)
}

/// A posted report form: the token, the version the writer read, save or submit, the texts.
struct FormPost {
    token: Option<String>,
    version: Option<i64>,
    submit: bool,
    raw: BTreeMap<String, String>,
}

fn read_post(pairs: Vec<(String, String)>) -> FormPost {
    let mut p = FormPost {
        token: None,
        version: None,
        submit: false,
        raw: BTreeMap::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            csrf::FIELD => p.token = Some(v),
            "version" => p.version = v.trim().parse().ok(),
            "action" => p.submit = v == "submit",
            _ => {
                if let Some(code) = k.strip_prefix(ITEM_FIELD) {
                    // Ticked boxes of a multiple choice come one field each.
                    p.raw
                        .entry(code.to_string())
                        .and_modify(|s| {
                            if !v.is_empty() {
                                s.push(',');
                                s.push_str(&v);
                            }
                        })
                        .or_insert(v);
                }
            }
        }
    }
    p
}

fn by_item(problems: Vec<(String, Msg)>, lang: Lang) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (code, msg) in problems {
        m.entry(code).or_default().push(msg.render(lang));
    }
    m
}

/// `POST /campaigns/{id}/reports/{org}`: saves a draft (`action=save`) or submits
/// (`action=submit`). Unreadable values come back next to their fields, as typed; on submit so
/// do required items left empty. Nothing is written then.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    viewer.require(Permission::FillReports)?;
    let post = read_post(pairs);
    check(&csrf, post.token.as_deref())?;
    let (r, t) = reports::get(&state.db, &viewer.scope, ids.id, ids.org).await?;
    // Every form carries the version it was read at; a post without one is not the form's.
    let version = post.version.ok_or(AppError::BadRequest)?;
    let action = if post.submit {
        Action::Submit
    } else {
        Action::Save
    };
    let editable =
        r.campaign_status == CampaignStatus::Open && r.status != Some(ReportStatus::Submitted);
    let (answers, problems) = t.read(&post.raw);
    // A draft may leave required items empty; nothing may be unreadable.
    let problems: Vec<(String, Msg)> = problems
        .into_iter()
        .filter(|(_, m)| post.submit || m.key != "problem.required")
        .collect();
    let mut out = Outcome {
        raw: Some(post.raw.clone()),
        version: Some(version),
        ..Outcome::default()
    };
    // A locked or closed report: the store says why, whatever the values.
    if editable && !problems.is_empty() {
        out.errors = by_item(problems, lang);
        let page = render(&state, &viewer, lang, &csrf, &ids, out).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let status = match reports::save(
        &state.db,
        &viewer.scope,
        ids.id,
        ids.org,
        &answers,
        version,
        action,
        &viewer.actor,
    )
    .await
    {
        Ok(_) => {
            let done = if post.submit { "submitted" } else { "saved" };
            return Ok(Redirect::to(&format!(
                "/campaigns/{}/reports/{}?done={done}",
                ids.id, ids.org
            ))
            .into_response());
        }
        Err(StoreError::Conflict) => {
            out.conflict = true;
            out.version = None;
            StatusCode::CONFLICT
        }
        Err(StoreError::Items(items)) => {
            out.errors = by_item(items, lang);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(StoreError::Rejected(ps)) => {
            out.general = ps.iter().map(|p| p.render(lang)).collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e.into()),
    };
    let page = render(&state, &viewer, lang, &csrf, &ids, out).await?;
    Ok((status, page).into_response())
}

#[derive(serde::Deserialize)]
pub struct ReturnFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    version: Option<String>,
    reason: Option<String>,
}

/// `POST /campaigns/{id}/reports/{org}/return`: sends a submitted report back with a reason.
pub async fn return_report(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<ReturnFields>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    check(&csrf, f.token.as_deref())?;
    reports::get(&state.db, &viewer.scope, ids.id, ids.org).await?;
    let version: i64 = f
        .version
        .as_deref()
        .and_then(|v| v.trim().parse().ok())
        .ok_or(AppError::BadRequest)?;
    let reason = f.reason.unwrap_or_default();
    let mut out = Outcome {
        return_reason: reason.clone(),
        version: Some(version),
        ..Outcome::default()
    };
    let status = match reports::return_report(
        &state.db,
        &viewer.scope,
        ids.id,
        ids.org,
        &reason,
        version,
        &viewer.actor,
    )
    .await
    {
        Ok(_) => {
            return Ok(Redirect::to(&format!(
                "/campaigns/{}/reports/{}?done=returned",
                ids.id, ids.org
            ))
            .into_response());
        }
        Err(StoreError::Rejected(ps)) => {
            out.return_errors = ps.iter().map(|p| p.render(lang)).collect();
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(StoreError::Conflict) => {
            out.general = vec![lang.t("report.conflict_return").to_string()];
            out.version = None;
            StatusCode::CONFLICT
        }
        Err(e) => return Err(e.into()),
    };
    let page = render(&state, &viewer, lang, &csrf, &ids, out).await?;
    Ok((status, page).into_response())
}

/// One line of a unit's reports (its page and the chamber's home page).
pub struct UnitReport {
    pub href: String,
    pub year: i32,
    pub campaign_org: String,
    pub deadline: String,
    pub status: String,
    pub status_code: &'static str,
    /// Open for filling by this reader.
    pub fillable: bool,
    pub expected: bool,
}

/// The reports of a unit, newest year first (empty for a reader without the reports).
pub async fn of_unit(
    state: &AppState,
    viewer: &Viewer,
    org_id: i64,
    lang: Lang,
) -> Result<Vec<UnitReport>, AppError> {
    if !viewer.can(Permission::ViewReports) {
        return Ok(Vec::new());
    }
    Ok(reports::for_unit(&state.db, &viewer.scope, org_id)
        .await?
        .into_iter()
        .map(|s| UnitReport {
            href: format!("/campaigns/{}/reports/{org_id}", s.campaign_id),
            year: s.year,
            campaign_org: s.campaign_org,
            deadline: s.deadline.to_string(),
            status: match s.status {
                Some(st) => st.label(lang).to_string(),
                None => lang.t("report_status.not_started").to_string(),
            },
            status_code: status_code(s.status),
            fillable: viewer.can(Permission::FillReports)
                && s.campaign_status == CampaignStatus::Open
                && s.status != Some(ReportStatus::Submitted),
            expected: s.expected,
        })
        .collect())
}
