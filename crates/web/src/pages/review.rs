//! The review of one report (逐项审查): the report item by item with the findings beside each
//! item, what reviewers do with them (confirm, dismiss with a reason, add one by hand, comment),
//! the conclusion with the system's suggestion, and re-running the rules on the report. Also a
//! reviewer's queue (`/reviews`, a reviewer's home page).
//!
//! Who may: `Permission::Review`. Staff review the reports of their scope (404 outside); a
//! third-party reviewer only the reports assigned to it (403 on any other), wherever they are:
//! the assignment is the grant. The store checks the report is submitted, and audits every change.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::{Permission, Role};
use shanghui_core::report::{self, ReportStatus};
use shanghui_core::review::{Conclusion, FindingFacts, FindingStatus, TRIGGERS, Trigger};
use shanghui_core::template::{Item, Template};
use shanghui_core::{Lang, Scope};
use shanghui_store::review::{self, Finding};
use shanghui_store::rulesets::{self, StoredRule};
use shanghui_store::{StoreError, campaigns, reports};

use super::campaigns::{Ids, check, title};
use super::templates::section_label;
use super::{Posted, Viewer, local_time};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// The scope a viewer reviews a report in. 403 without `Review`; a third-party reviewer gets only
/// the reports assigned to it (403 otherwise) and reads them past its own scope; staff read within
/// theirs (the store answers 404 outside).
pub async fn review_scope(state: &AppState, viewer: &Viewer, ids: &Ids) -> Result<Scope, AppError> {
    viewer.require(Permission::Review)?;
    if viewer.role() == Role::Reviewer {
        if !review::is_assigned(&state.db, viewer.user.id, ids.id, ids.org).await? {
            return Err(AppError::Forbidden);
        }
        return Ok(Scope::all());
    }
    Ok(viewer.scope.clone())
}

pub fn review_href(campaign: i64, org: i64) -> String {
    format!("/campaigns/{campaign}/reports/{org}/review")
}

/// A finding as the page shows it.
pub struct FindingView {
    pub id: i64,
    /// The rule's code, or the trigger's for one recorded by hand.
    pub code: String,
    pub name: String,
    pub manual: bool,
    pub severity: String,
    pub severity_code: &'static str,
    pub status: String,
    pub status_code: &'static str,
    /// (what the rule read, its value).
    pub values: Vec<(String, String)>,
    /// Why the rule could not be evaluated.
    pub error: String,
    pub instruction: String,
    /// The reviewer's text: a dismissal's reason, a confirmation's note, a description.
    pub note: String,
    /// "规则第 2 版" (empty for one added by hand).
    pub version: String,
    pub item_label: String,
    pub created: String,
    /// When it stopped being current (history only).
    pub closed: String,
    pub can_confirm: bool,
    pub can_dismiss: bool,
    /// The reason as typed, when a dismissal was refused.
    pub reason: String,
    pub errors: Vec<String>,
}

pub struct NoteView {
    pub when: String,
    pub who: String,
    pub text: String,
}

pub struct ItemRow {
    pub code: String,
    pub number: String,
    pub label: String,
    pub shown: String,
    pub previous: String,
    pub findings: Vec<FindingView>,
    pub notes: Vec<NoteView>,
}

pub struct SectionView {
    pub label: String,
    pub items: Vec<ItemRow>,
}

/// The recorded conclusion.
pub struct Recorded {
    pub label: String,
    pub code: &'static str,
    pub who: String,
    pub when: String,
    pub comment: String,
}

/// What a refused form brings back: its fields as typed and the problems.
#[derive(Default)]
pub struct FormBack {
    pub fields: BTreeMap<&'static str, String>,
    pub errors: Vec<String>,
}

impl FormBack {
    pub fn get(&self, k: &str) -> &str {
        self.fields.get(k).map(String::as_str).unwrap_or("")
    }
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "review.html")]
pub struct ReviewPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub org_id: i64,
    pub heading: String,
    pub status: String,
    pub status_code: &'static str,
    pub facts: Vec<(String, String)>,
    /// Submitted: the review's forms are offered.
    pub submitted: bool,
    pub can_act: bool,
    /// Staff see the report page and the campaign's analysis; a reviewer its queue.
    pub staff: bool,
    pub sections: Vec<SectionView>,
    pub has_previous: bool,
    /// Findings on no item (or an item the template does not have), and notes on the report.
    pub other: Vec<FindingView>,
    pub report_notes: Vec<NoteView>,
    pub history: Vec<FindingView>,
    pub counts: String,
    pub suggestion: String,
    pub suggested_code: &'static str,
    pub recorded: Option<Recorded>,
    /// (code, label, selected) of the conclusion form.
    pub conclusions: Vec<(&'static str, String, bool)>,
    pub conclude: FormBack,
    /// (code, label) of the kinds of problem recorded by hand, and of the items.
    pub triggers: Vec<(&'static str, String)>,
    pub items: Vec<(String, String)>,
    pub add: FormBack,
    pub comment: FormBack,
    pub general: Vec<String>,
    /// The report's rectification notices and the form that issues one.
    pub issue: super::rectify::IssueBox,
}

/// What a post brought back to the page.
#[derive(Default)]
struct Outcome {
    /// A decision refused: the finding, the reason as typed, the messages.
    decide: Option<(i64, String, Vec<String>)>,
    add: FormBack,
    comment: FormBack,
    conclude: FormBack,
    general: Vec<String>,
}

fn lang_text<'a>(lang: Lang, zh: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En if en.trim().is_empty() => zh,
        Lang::En => en,
    }
}

fn severity_code(f: &Finding) -> &'static str {
    f.severity.code()
}

fn status_code(s: FindingStatus) -> &'static str {
    s.code()
}

/// What a rule read, named for people: an item's label, last year's value of an item, or the
/// name as the rule writes it (`org.category`, `report_year`).
pub(crate) fn value_name(name: &str, t: &Template, lang: Lang) -> String {
    if let Some(item) = t.item(name) {
        return item.label(lang).to_string();
    }
    if let Some(code) = name.strip_prefix("prev(").and_then(|s| s.strip_suffix(')'))
        && let Some(item) = t.item(code)
    {
        return lang.tf("review_page.prev_value", &[("item", item.label(lang))]);
    }
    name.to_string()
}

/// The values the rule read, as stored in the reader's language (findings from before both
/// languages were stored have the Chinese only).
pub(crate) fn detail_values(detail: &serde_json::Value, lang: Lang) -> Vec<(String, String)> {
    let key = match lang {
        Lang::En if detail.get("values_en").is_some() => "values_en",
        _ => "values",
    };
    detail
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((
                        p.first()?.as_str()?.to_string(),
                        p.get(1)?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The name of what found a finding: its rule (the version that found it) in the reader's
/// language, or the kind of problem recorded by hand.
fn finding_name(f: &Finding, rules: &HashMap<i64, StoredRule>, lang: Lang) -> String {
    if let Some(r) = f.rule_id.and_then(|id| rules.get(&id)) {
        return r.rule.name(lang).to_string();
    }
    if let Some(t) = f.trigger.as_deref().and_then(Trigger::find) {
        return t.label(lang).to_string();
    }
    f.rule_code
        .clone()
        .or(f.trigger.clone())
        .unwrap_or_default()
}

fn finding_view(
    f: &Finding,
    rules: &HashMap<i64, StoredRule>,
    t: &Template,
    lang: Lang,
) -> FindingView {
    let rule = f.rule_id.and_then(|id| rules.get(&id));
    let error = match lang {
        Lang::ZhCn => f.detail.get("error_zh"),
        Lang::En => f.detail.get("error_en"),
    }
    .and_then(|v| v.as_str())
    .unwrap_or("")
    .to_string();
    let note_key = match f.status {
        FindingStatus::Dismissed => "review_page.dismissed_because",
        _ if f.rule_id.is_none() => "review_page.described",
        _ => "review_page.note",
    };
    FindingView {
        id: f.id,
        code: f
            .rule_code
            .clone()
            .or(f.trigger.clone())
            .unwrap_or_default(),
        name: finding_name(f, rules, lang),
        manual: f.rule_id.is_none(),
        severity: f.severity.label(lang).to_string(),
        severity_code: severity_code(f),
        status: f.status.label(lang).to_string(),
        status_code: status_code(f.status),
        values: detail_values(&f.detail, lang)
            .into_iter()
            .map(|(n, v)| (value_name(&n, t, lang), v))
            .collect(),
        error,
        instruction: rule
            .map(|r| lang_text(lang, &r.rule.instruction_zh, &r.rule.instruction_en).to_string())
            .unwrap_or_default(),
        note: f
            .note
            .as_deref()
            .map(|n| lang.tf(note_key, &[("text", n)]))
            .unwrap_or_default(),
        version: rule
            .map(|r| {
                lang.tf(
                    "review_page.rule_version",
                    &[("version", &r.version.to_string())],
                )
            })
            .unwrap_or_default(),
        item_label: f
            .item
            .as_deref()
            .map(|i| {
                t.item(i)
                    .map(|x| x.label(lang).to_string())
                    .unwrap_or_else(|| i.to_string())
            })
            .unwrap_or_default(),
        created: format!("{} · {}", local_time(f.created_at), f.created_by),
        closed: match (f.updated_at, &f.updated_by) {
            (Some(at), Some(by)) => format!("{} · {by}", local_time(at)),
            _ => String::new(),
        },
        can_confirm: f.current && f.status != FindingStatus::Confirmed,
        can_dismiss: f.current && f.status != FindingStatus::Dismissed,
        reason: String::new(),
        errors: Vec::new(),
    }
}

fn report_status(s: Option<ReportStatus>, lang: Lang) -> (String, &'static str) {
    match s {
        Some(s) => (s.label(lang).to_string(), s.code()),
        None => (
            lang.t("report_status.not_started").to_string(),
            "not_started",
        ),
    }
}

/// The rule versions that produced these findings.
async fn rule_versions(
    state: &AppState,
    findings: &[Finding],
) -> Result<HashMap<i64, StoredRule>, AppError> {
    let ids: BTreeSet<i64> = findings.iter().filter_map(|f| f.rule_id).collect();
    let mut out = HashMap::new();
    for id in ids {
        out.insert(id, rulesets::get(&state.db, id).await?);
    }
    Ok(out)
}

fn shown(item: &Item, answers: &report::Answers, t: &Template, lang: Lang) -> String {
    answers
        .get(&item.code)
        .map(|v| report::display(item, v, &t.choices, lang))
        .unwrap_or_default()
}

/// The labels of what leads to the suggested conclusion: the findings not dismissed whose
/// mapping gives it.
fn basis(
    current: &[&Finding],
    map: &shanghui_core::review::ConclusionMap,
    suggested: Conclusion,
    rules: &HashMap<i64, StoredRule>,
    lang: Lang,
) -> String {
    if suggested == Conclusion::Qualified {
        return lang.t("review_page.basis_none").to_string();
    }
    let mut names: Vec<String> = Vec::new();
    for f in current {
        let facts = FindingFacts {
            rule: f.rule_code.as_deref(),
            trigger: f.trigger.as_deref(),
            severity: f.severity,
            status: f.status,
        };
        if f.status != FindingStatus::Dismissed && map.leads_to(&facts) == suggested {
            let n = finding_name(f, rules, lang);
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.join(lang.t("list.separator"))
}

/// The review page, from the store or with what a post brought back.
async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    ids: &Ids,
    scope: &Scope,
    out: Outcome,
) -> Result<ReviewPage, AppError> {
    let db = &state.db;
    let (r, t) = reports::get(db, scope, ids.id, ids.org).await?;
    let c = campaigns::get(db, scope, ids.id).await?;
    let previous = reports::previous_answers(db, scope, ids.org, r.year).await?;
    let rv = review::report_review(db, scope, ids.id, ids.org, true).await?;
    let map = review::conclusion_map(db).await?;
    let rules = rule_versions(state, &rv.findings).await?;
    let submitted = r.status == Some(ReportStatus::Submitted);
    let can_act = submitted && viewer.can(Permission::Review);

    let current: Vec<&Finding> = rv.findings.iter().filter(|f| f.current).collect();
    let mut views: Vec<FindingView> = current
        .iter()
        .map(|f| {
            let mut v = finding_view(f, &rules, &t, lang);
            if let Some((id, reason, errors)) = &out.decide
                && *id == f.id
            {
                v.reason = reason.clone();
                v.errors = errors.clone();
            }
            v
        })
        .collect();
    // By item: (item code → findings), in the order found.
    let mut by_item: HashMap<String, Vec<FindingView>> = HashMap::new();
    let mut other = Vec::new();
    for (f, v) in current.iter().zip(views.drain(..)) {
        match f.item.as_deref().filter(|i| t.item(i).is_some()) {
            Some(i) => by_item.entry(i.to_string()).or_default().push(v),
            None => other.push(v),
        }
    }
    let mut notes_by_item: HashMap<String, Vec<NoteView>> = HashMap::new();
    let mut report_notes = Vec::new();
    for n in &rv.notes {
        let v = NoteView {
            when: local_time(n.created_at),
            who: n.created_by.clone(),
            text: n.text.clone(),
        };
        match n.item.as_deref().filter(|i| t.item(i).is_some()) {
            Some(i) => notes_by_item.entry(i.to_string()).or_default().push(v),
            None => report_notes.push(v),
        }
    }
    let mut sections: Vec<(String, SectionView)> = Vec::new();
    for item in &t.items {
        let findings = by_item.remove(&item.code).unwrap_or_default();
        let notes = notes_by_item.remove(&item.code).unwrap_or_default();
        let value = shown(item, &r.answers, &t, lang);
        // An item that does not apply and has nothing to show is left out, as on the report page.
        if !t.applies(item, &r.answers)
            && value.is_empty()
            && findings.is_empty()
            && notes.is_empty()
        {
            continue;
        }
        let row = ItemRow {
            code: item.code.clone(),
            number: item.counted.map(|n| n.to_string()).unwrap_or_default(),
            label: item.label(lang).to_string(),
            shown: value,
            previous: previous
                .as_ref()
                .map(|p| shown(item, p, &t, lang))
                .unwrap_or_default(),
            findings,
            notes,
        };
        match sections.iter_mut().find(|(code, _)| *code == item.section) {
            Some((_, s)) => s.items.push(row),
            None => sections.push((
                item.section.clone(),
                SectionView {
                    label: section_label(&t, &item.section, lang),
                    items: vec![row],
                },
            )),
        }
    }

    let open = current
        .iter()
        .filter(|f| f.status == FindingStatus::Open)
        .count();
    let confirmed = current
        .iter()
        .filter(|f| f.status == FindingStatus::Confirmed)
        .count();
    let dismissed = current.len() - open - confirmed;
    let counts = lang.tf(
        "review_page.counts",
        &[
            ("total", &current.len().to_string()),
            ("open", &open.to_string()),
            ("confirmed", &confirmed.to_string()),
            ("dismissed", &dismissed.to_string()),
        ],
    );
    let suggestion = lang.tf(
        "review_page.suggestion",
        &[
            ("conclusion", rv.suggested.label(lang)),
            ("basis", &basis(&current, &map, rv.suggested, &rules, lang)),
        ],
    );
    let recorded = rv.conclusion.map(|cn| Recorded {
        label: cn.label(lang).to_string(),
        code: cn.code(),
        who: rv.concluded_by.clone().unwrap_or_default(),
        when: rv.concluded_at.map(local_time).unwrap_or_default(),
        comment: rv.comment.clone().unwrap_or_default(),
    });
    // The form offers the suggestion until a conclusion is recorded, then the recorded one; a
    // refused post keeps what was chosen.
    let chosen = match out.conclude.get("conclusion") {
        "" => rv.conclusion.unwrap_or(rv.suggested).code(),
        c => Conclusion::from_code(c).map(|c| c.code()).unwrap_or(""),
    };
    let mut conclude = out.conclude;
    if !conclude.fields.contains_key("comment") {
        conclude
            .fields
            .insert("comment", rv.comment.clone().unwrap_or_default());
    }
    let mut facts = vec![(
        lang.t("review_page.template").to_string(),
        lang_text(lang, &t.title_zh, &t.title_en).to_string(),
    )];
    if let (Some(at), Some(by)) = (r.submitted_at, &r.submitted_by) {
        facts.push((
            lang.t("report.submitted_at").to_string(),
            format!("{} · {by}", local_time(at)),
        ));
    }
    facts.push((
        lang.t("review_page.reviewer").to_string(),
        rv.reviewer_name
            .clone()
            .unwrap_or_else(|| lang.t("review_page.not_assigned").to_string()),
    ));
    let (status, status_code) = report_status(r.status, lang);
    let issue =
        super::rectify::issue_box(state, scope, &c, ids.org, &rv.findings, can_act, lang, None)
            .await?;
    let history = rv
        .findings
        .iter()
        .filter(|f| !f.current)
        .rev()
        .map(|f| finding_view(f, &rules, &t, lang))
        .collect();
    Ok(ReviewPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        campaign_id: c.id,
        campaign_title: title(&c, lang),
        org_id: r.organization_id,
        heading: lang.tf(
            "review_page.title",
            &[("name", &r.org_name), ("year", &r.year.to_string())],
        ),
        status,
        status_code,
        facts,
        submitted,
        can_act,
        staff: viewer.role() != Role::Reviewer,
        sections: sections.into_iter().map(|(_, s)| s).collect(),
        has_previous: previous.is_some(),
        other,
        report_notes,
        history,
        counts,
        suggestion,
        suggested_code: rv.suggested.code(),
        recorded,
        conclusions: Conclusion::ALL
            .iter()
            .map(|c| (c.code(), c.label(lang).to_string(), c.code() == chosen))
            .collect(),
        conclude,
        triggers: TRIGGERS
            .iter()
            .map(|tr| (tr.code, trigger_label(*tr, lang)))
            .collect(),
        items: t
            .items
            .iter()
            .map(|i| {
                let n = i.counted.map(|n| format!("{n} ")).unwrap_or_default();
                (i.code.clone(), format!("{n}{}", i.label(lang)))
            })
            .collect(),
        add: out.add,
        comment: out.comment,
        general: out.general,
        issue,
    })
}

/// A trigger with the conclusion it leads to: "从事营利性经营活动（不合格）".
fn trigger_label(t: Trigger, lang: Lang) -> String {
    lang.tf(
        "review_page.trigger_option",
        &[
            ("label", t.label(lang)),
            ("conclusion", t.leads_to.label(lang)),
        ],
    )
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
    added: Option<String>,
    kept: Option<String>,
    closed: Option<String>,
}

fn flash(q: &Done, lang: Lang) -> Option<String> {
    let n = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
            .to_string()
    };
    let key = match q.done.as_deref()? {
        "confirmed" => "review_page.flash_confirmed",
        "dismissed" => "review_page.flash_dismissed",
        "added" => "review_page.flash_added",
        "commented" => "review_page.flash_commented",
        "concluded" => "review_page.flash_concluded",
        "run" => {
            return Some(lang.tf(
                "review_page.flash_run",
                &[
                    ("added", &n(&q.added)),
                    ("kept", &n(&q.kept)),
                    ("closed", &n(&q.closed)),
                ],
            ));
        }
        _ => return None,
    };
    Some(lang.t(key).to_string())
}

/// `GET /campaigns/{id}/reports/{org}/review`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<Done>,
) -> Result<ReviewPage, AppError> {
    let scope = review_scope(&state, &viewer, &ids).await?;
    let mut page = render(
        &state,
        &viewer,
        lang,
        &csrf,
        &ids,
        &scope,
        Outcome::default(),
    )
    .await?;
    page.flash = flash(&q, lang);
    Ok(page)
}

fn back(ids: &Ids, done: &str, anchor: &str) -> Response {
    Redirect::to(&format!(
        "{}?done={done}{anchor}",
        review_href(ids.id, ids.org)
    ))
    .into_response()
}

/// The page again with what was refused, as 422.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    ids: &Ids,
    scope: &Scope,
    out: Outcome,
) -> Result<Response, AppError> {
    let page = render(state, viewer, lang, csrf, ids, scope, out).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn messages(e: StoreError, lang: Lang) -> Result<Vec<String>, AppError> {
    match e {
        StoreError::Rejected(ps) => Ok(ps.iter().map(|p| p.render(lang)).collect()),
        other => Err(other.into()),
    }
}

/// The checks every post of the page makes: the role (and a reviewer's assignment), the token,
/// the report in scope. Gives the scope and whether the report is submitted.
async fn posted(
    state: &AppState,
    viewer: &Viewer,
    csrf: &Token,
    ids: &Ids,
    token: Option<&str>,
) -> Result<(Scope, bool), AppError> {
    let scope = review_scope(state, viewer, ids).await?;
    check(csrf, token)?;
    let (r, _) = reports::get(&state.db, &scope, ids.id, ids.org).await?;
    Ok((scope, r.status == Some(ReportStatus::Submitted)))
}

fn not_submitted(lang: Lang) -> Vec<String> {
    vec![lang.t("review.not_submitted").to_string()]
}

#[derive(serde::Deserialize)]
pub struct DecideFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    finding: Option<String>,
    action: Option<String>,
    reason: Option<String>,
}

/// `POST /campaigns/{id}/reports/{org}/review/decide`: confirms (`action=confirm`) or dismisses
/// (`action=dismiss`, a reason required) one of the report's current findings.
pub async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<DecideFields>,
) -> Result<Response, AppError> {
    let (scope, submitted) = posted(&state, &viewer, &csrf, &ids, f.token.as_deref()).await?;
    let id: i64 = f
        .finding
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .ok_or(AppError::BadRequest)?;
    let to = match f.action.as_deref() {
        Some("confirm") => FindingStatus::Confirmed,
        Some("dismiss") => FindingStatus::Dismissed,
        _ => return Err(AppError::BadRequest),
    };
    // Only this report's current findings: a finding id of another report is not found here.
    let rv = review::report_review(&state.db, &scope, ids.id, ids.org, false).await?;
    if !rv.findings.iter().any(|x| x.id == id) {
        return Err(AppError::NotFound);
    }
    let reason = f.reason.unwrap_or_default();
    if !submitted {
        let out = Outcome {
            decide: Some((id, reason, not_submitted(lang))),
            ..Outcome::default()
        };
        return refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await;
    }
    let given = (!reason.trim().is_empty()).then_some(reason.as_str());
    match review::decide(&state.db, &scope, id, to, given, &viewer.actor).await {
        Ok(_) => {
            let done = if to == FindingStatus::Confirmed {
                "confirmed"
            } else {
                "dismissed"
            };
            Ok(back(&ids, done, &format!("#finding-{id}")))
        }
        Err(e) => {
            let out = Outcome {
                decide: Some((id, reason, messages(e, lang)?)),
                ..Outcome::default()
            };
            refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct AddFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    trigger: Option<String>,
    item: Option<String>,
    description: Option<String>,
}

fn some_text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `POST /campaigns/{id}/reports/{org}/review/add`: a problem recorded by hand (a kind of
/// problem of STANDARDS.md §4, the item if any, a description).
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<AddFields>,
) -> Result<Response, AppError> {
    let (scope, submitted) = posted(&state, &viewer, &csrf, &ids, f.token.as_deref()).await?;
    let mut back_form = FormBack::default();
    for (k, v) in [
        ("trigger", &f.trigger),
        ("item", &f.item),
        ("description", &f.description),
    ] {
        back_form.fields.insert(k, v.clone().unwrap_or_default());
    }
    let refuse = |mut form: FormBack, errors: Vec<String>| {
        form.errors = errors;
        Outcome {
            add: form,
            ..Outcome::default()
        }
    };
    if !submitted {
        let out = refuse(back_form, not_submitted(lang));
        return refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await;
    }
    let Some(trigger) = some_text(&f.trigger) else {
        let out = refuse(
            back_form,
            vec![lang.t("review_page.trigger_required").to_string()],
        );
        return refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await;
    };
    match review::add_finding(
        &state.db,
        &scope,
        ids.id,
        ids.org,
        trigger,
        some_text(&f.item),
        f.description.as_deref().unwrap_or(""),
        &viewer.actor,
    )
    .await
    {
        Ok(id) => Ok(back(&ids, "added", &format!("#finding-{id}"))),
        Err(e) => {
            let out = refuse(back_form, messages(e, lang)?);
            refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct CommentFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    item: Option<String>,
    text: Option<String>,
}

/// `POST /campaigns/{id}/reports/{org}/review/comment`: a comment on an item or the report.
pub async fn comment(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<CommentFields>,
) -> Result<Response, AppError> {
    let (scope, submitted) = posted(&state, &viewer, &csrf, &ids, f.token.as_deref()).await?;
    let mut form = FormBack::default();
    form.fields
        .insert("item", f.item.clone().unwrap_or_default());
    form.fields
        .insert("text", f.text.clone().unwrap_or_default());
    let result = if submitted {
        review::comment(
            &state.db,
            &scope,
            ids.id,
            ids.org,
            some_text(&f.item),
            f.text.as_deref().unwrap_or(""),
            &viewer.actor,
        )
        .await
    } else {
        Err(StoreError::rejected(shanghui_core::Problem::general(
            shanghui_core::Msg::new("review.not_submitted"),
        )))
    };
    match result {
        Ok(()) => {
            let anchor = some_text(&f.item)
                .map(|i| format!("#row-{i}"))
                .unwrap_or_else(|| "#other-findings".into());
            Ok(back(&ids, "commented", &anchor))
        }
        Err(e) => {
            form.errors = messages(e, lang)?;
            let out = Outcome {
                comment: form,
                ..Outcome::default()
            };
            refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ConcludeFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    conclusion: Option<String>,
    comment: Option<String>,
}

/// `POST /campaigns/{id}/reports/{org}/review/conclude`: records 合格, 基本合格 or 不合格 (the
/// store keeps the suggestion beside it and audits the old and new conclusion).
pub async fn conclude(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<ConcludeFields>,
) -> Result<Response, AppError> {
    let (scope, submitted) = posted(&state, &viewer, &csrf, &ids, f.token.as_deref()).await?;
    let mut form = FormBack::default();
    form.fields
        .insert("conclusion", f.conclusion.clone().unwrap_or_default());
    form.fields
        .insert("comment", f.comment.clone().unwrap_or_default());
    let refuse = |mut form: FormBack, errors: Vec<String>| {
        form.errors = errors;
        Outcome {
            conclude: form,
            ..Outcome::default()
        }
    };
    if !submitted {
        let out = refuse(form, not_submitted(lang));
        return refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await;
    }
    let Some(conclusion) = f.conclusion.as_deref().and_then(Conclusion::from_code) else {
        let out = refuse(
            form,
            vec![lang.t("review_page.conclusion_required").to_string()],
        );
        return refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await;
    };
    match review::conclude(
        &state.db,
        &scope,
        ids.id,
        ids.org,
        conclusion,
        some_text(&f.comment),
        &viewer.actor,
    )
    .await
    {
        Ok(_) => Ok(back(&ids, "concluded", "#conclusion")),
        Err(e) => {
            let out = refuse(form, messages(e, lang)?);
            refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct TokenOnly {
    #[serde(rename = "_csrf")]
    token: Option<String>,
}

/// `POST /campaigns/{id}/reports/{org}/review/run`: runs the current rules on this report again
/// (after a rule changed): findings still found are kept with their decisions.
pub async fn run(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<TokenOnly>,
) -> Result<Response, AppError> {
    let (scope, submitted) = posted(&state, &viewer, &csrf, &ids, f.token.as_deref()).await?;
    if !submitted {
        let out = Outcome {
            general: not_submitted(lang),
            ..Outcome::default()
        };
        return refused(&state, &viewer, lang, &csrf, &ids, &scope, out).await;
    }
    let s = review::run(&state.db, &scope, ids.id, Some(ids.org), &viewer.actor).await?;
    Ok(Redirect::to(&format!(
        "{}?done=run&added={}&kept={}&closed={}",
        review_href(ids.id, ids.org),
        s.added,
        s.kept,
        s.closed
    ))
    .into_response())
}

// -------------------------------------------------------------------------------------------------
// The queue.

pub struct QueueRow {
    pub href: String,
    pub year: i32,
    pub org_name: String,
    pub findings: i64,
    pub conclusion: String,
    pub conclusion_code: &'static str,
}

pub struct CampaignLink {
    pub href: String,
    pub title: String,
    pub status: String,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "reviews.html")]
pub struct ReviewsPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    /// A third-party reviewer: its assigned reports.
    pub reviewer: bool,
    pub rows: Vec<QueueRow>,
    /// Staff: the campaigns of their scope, each with its problem analysis.
    pub campaigns: Vec<CampaignLink>,
    pub can_rules: bool,
}

async fn queue(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
) -> Result<ReviewsPage, AppError> {
    let reviewer = viewer.role() == Role::Reviewer;
    let rows = if reviewer {
        review::assigned_to(&state.db, viewer.user.id)
            .await?
            .into_iter()
            .map(|a| QueueRow {
                href: review_href(a.campaign_id, a.organization_id),
                year: a.year,
                org_name: a.org_name,
                findings: a.findings,
                conclusion: a
                    .conclusion
                    .map(|c| c.label(lang).to_string())
                    .unwrap_or_else(|| lang.t("review.not_concluded").to_string()),
                conclusion_code: a.conclusion.map(|c| c.code()).unwrap_or("none"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let campaigns = if viewer.analyses() {
        campaigns::list(&state.db, &viewer.scope)
            .await?
            .into_iter()
            .map(|c| CampaignLink {
                href: format!("/campaigns/{}/review", c.id),
                title: title(&c, lang),
                status: c.status.label(lang).to_string(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(ReviewsPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        reviewer,
        rows,
        campaigns,
        can_rules: viewer.reads_rules(),
    })
}

/// `GET /reviews`: a reviewer's assigned reports; for staff, the campaigns to review.
pub async fn reviews(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<ReviewsPage, AppError> {
    viewer.require(Permission::Review)?;
    queue(&state, &viewer, lang, &csrf).await
}

/// `GET /`: a reviewer lands on its queue; everyone else on the tree.
pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<Response, AppError> {
    if viewer.role() == Role::Reviewer {
        return Ok(queue(&state, &viewer, lang, &csrf).await?.into_response());
    }
    Ok(
        super::tree::home(State(state), viewer, ReaderLang(lang), Extension(csrf))
            .await?
            .into_response(),
    )
}
