//! Rectification notices (整改通知) in the web: issuing one from a report's review page (or in
//! bulk for a node and a rule, from the problem analysis), the notice page where the chamber
//! answers item by item with evidence and hands in its response and the reviewer accepts (销号) or
//! returns each item and extends the deadline, the history round by round, the evidence files,
//! the list of notices (most urgent first, exported as a workbook), a chamber's open notices on
//! its home page and the carry-over onto next year's report.
//!
//! Who may: reading a notice and its evidence, `ViewReports` within the scope (404 outside; a
//! third-party reviewer only the notices of reports assigned to it, 403 on any other);
//! answering and handing in, `FillReports` (a chamber for itself, staff on its behalf); issuing,
//! verifying and extending, `Review` (a reviewer on its assigned reports); bulk notices,
//! `ManageCampaigns`. Every step goes through `store::rectify`, which checks the state machine
//! and the notice's version; every form carries the version it was read at, so someone acting on
//! a notice that changed meanwhile is told so instead of acting blind.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use askama_web::WebTemplate;
use axum::extract::{Extension, FromRequestParts, Multipart, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use shanghui_core::account::{Permission, Role};
use shanghui_core::rectify::{
    ItemStatus, MAX_EVIDENCE_BYTES, MAX_EVIDENCE_PER_ITEM, NoticeStatus, check_evidence,
};
use shanghui_core::review::FindingStatus;
use shanghui_core::rules::Severity;
use shanghui_core::template::Template;
use shanghui_core::{Lang, Msg, Organization, Scope, value};
use shanghui_store::campaigns::{self, Campaign};
use shanghui_store::rectify::{self, Filter, Issue, NoticeRow, NoticeView};
use shanghui_store::review::{self, Finding};
use shanghui_store::{StoreError, orgs, reports, templates};

use super::campaigns::{Ids, check, title};
use super::rectify_stats::{NOTICE_COLUMNS, figures_href, notice_cells, rule_name, rule_names};
use super::review::{detail_values, review_href, review_scope, value_name};
use super::upload::{XLSX, attachment, download};
use super::{Posted, Viewer, local_time, today};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Notices the list shows; the export has them all.
pub const LIST_SHOWN: i64 = 500;
/// The deadline a new notice's form proposes, in days from today.
pub const DEFAULT_DAYS: i64 = 30;

pub fn notice_href(id: i64) -> String {
    format!("/notices/{id}")
}

/// The ids of a notice route: `{id}` (the notice) and, for an evidence file, `{file}`. Anything
/// that is not a number is a 404 page, like an id that does not exist.
pub struct NoticeIds {
    pub id: i64,
    pub file: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for NoticeIds {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(p) =
            axum::extract::Path::<BTreeMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|_| AppError::NotFound)?;
        let num = |k: &str| -> Result<i64, AppError> {
            match p.get(k) {
                Some(v) => v.parse().map_err(|_| AppError::NotFound),
                None => Ok(0),
            }
        };
        Ok(NoticeIds {
            id: num("id")?,
            file: num("file")?,
        })
    }
}

/// A notice the viewer may read, and the scope it reads it in. A third-party reviewer reads the
/// notices of the reports assigned to it, wherever they are (403 on any other); everyone else
/// needs `ViewReports` and reads within the scope (404 outside).
async fn open_notice(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<(Scope, NoticeView), AppError> {
    if viewer.role() == Role::Reviewer {
        let v = rectify::get(&state.db, &Scope::all(), id).await?;
        let n = &v.notice;
        if !review::is_assigned(&state.db, viewer.user.id, n.campaign_id, n.organization_id).await?
        {
            return Err(AppError::Forbidden);
        }
        return Ok((Scope::all(), v));
    }
    viewer.require(Permission::ViewReports)?;
    let v = rectify::get(&state.db, &viewer.scope, id).await?;
    Ok((viewer.scope.clone(), v))
}

fn item_status_code(s: ItemStatus) -> &'static str {
    s.code()
}

/// "1.2 MB", "35 KB".
fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / 1024.0 / 1024.0)
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

// -------------------------------------------------------------------------------------------------
// Lines of notices (lists, the home page, the review page).

/// A notice as a line of a list.
pub struct NoticeLine {
    pub href: String,
    pub id: i64,
    pub org_name: String,
    pub year: i32,
    pub issued_on: String,
    pub deadline: String,
    pub overdue: bool,
    /// Days past the deadline (overdue notices).
    pub days_over: i64,
    pub status: String,
    pub status_code: &'static str,
    pub open_items: i64,
    pub round: i32,
}

pub fn notice_line(n: &NoticeRow, lang: Lang) -> NoticeLine {
    let today = today();
    NoticeLine {
        href: notice_href(n.notice_id),
        id: n.notice_id,
        org_name: n.org_name.clone(),
        year: n.year,
        issued_on: n.issued_on.to_string(),
        deadline: n.deadline.to_string(),
        overdue: n.overdue(today),
        days_over: (today - n.deadline).num_days().max(0),
        status: n.status().label(lang).to_string(),
        status_code: n.status().code(),
        open_items: n.open_items,
        round: n.round,
    }
}

/// A unit's open notices, most urgent first (the chamber's home page).
pub async fn open_notices_of(
    state: &AppState,
    viewer: &Viewer,
    org_id: i64,
    lang: Lang,
) -> Result<Vec<NoticeLine>, AppError> {
    if !viewer.can(Permission::ViewReports) {
        return Ok(Vec::new());
    }
    Ok(rectify::list(
        &state.db,
        &viewer.scope,
        &Filter {
            organization_id: Some(org_id),
            open: true,
            ..Default::default()
        },
    )
    .await?
    .iter()
    .map(|n| notice_line(n, lang))
    .collect())
}

// -------------------------------------------------------------------------------------------------
// Names of what a notice item is about.

/// Rule names and the template of a campaign, to name findings for people.
struct Naming {
    names: HashMap<String, String>,
    template: Template,
}

impl Naming {
    async fn of(state: &AppState, template_id: i64, lang: Lang) -> Result<Naming, AppError> {
        Ok(Naming {
            names: rule_names(&state.db, template_id, lang).await?,
            template: templates::get(&state.db, template_id).await?,
        })
    }

    fn rule(&self, rule_code: Option<&str>, trigger: Option<&str>, lang: Lang) -> (String, String) {
        let code = rule_code.or(trigger).unwrap_or("").to_string();
        (rule_name(&code, &self.names, lang), code)
    }

    fn item(&self, item: Option<&str>, lang: Lang) -> String {
        item.map(|i| {
            self.template
                .item(i)
                .map(|x| x.label(lang).to_string())
                .unwrap_or_else(|| i.to_string())
        })
        .unwrap_or_default()
    }

    fn values(&self, detail: &serde_json::Value, lang: Lang) -> Vec<(String, String)> {
        detail_values(detail, lang)
            .into_iter()
            .map(|(n, v)| (value_name(&n, &self.template, lang), v))
            .collect()
    }
}

// -------------------------------------------------------------------------------------------------
// Issuing a notice from a report's review.

/// A finding that can go into a notice, as the issue form shows it.
pub struct EligibleView {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub item_label: String,
    pub status: String,
    pub status_code: &'static str,
    /// Not confirmed yet: goes in only with "include open findings" (and is confirmed by it).
    pub open: bool,
    pub checked: bool,
}

/// The notices part of a report's review page (and of the issue page): the report's notices and
/// the form that issues a new one.
pub struct IssueBox {
    pub action: String,
    pub can_issue: bool,
    pub eligible: Vec<EligibleView>,
    pub notices: Vec<NoticeLine>,
    pub measures: String,
    pub deadline: String,
    pub min_deadline: String,
    pub include_open: bool,
    pub errors: Vec<String>,
}

/// What a refused issue form brings back.
#[derive(Default)]
pub struct IssueForm {
    pub findings: BTreeSet<i64>,
    pub measures: String,
    pub deadline: String,
    pub include_open: bool,
    pub errors: Vec<String>,
}

pub fn issue_action(campaign: i64, org: i64) -> String {
    format!("/campaigns/{campaign}/reports/{org}/notices")
}

/// The notices of a report and the findings still open to a notice (current, not dismissed, in
/// no notice yet). `scope` is the scope the review is read in.
#[allow(clippy::too_many_arguments)]
pub async fn issue_box(
    state: &AppState,
    scope: &Scope,
    c: &Campaign,
    org: i64,
    findings: &[Finding],
    can_issue: bool,
    lang: Lang,
    back: Option<IssueForm>,
) -> Result<IssueBox, AppError> {
    let rows = rectify::list(
        &state.db,
        scope,
        &Filter {
            campaign_id: Some(c.id),
            organization_id: Some(org),
            ..Default::default()
        },
    )
    .await?;
    let mut taken = BTreeSet::new();
    for n in &rows {
        for i in rectify::get(&state.db, scope, n.notice_id).await?.items {
            taken.insert(i.finding_id);
        }
    }
    let naming = Naming::of(state, c.template_id, lang).await?;
    let fresh = back.is_none();
    let back = back.unwrap_or_default();
    let eligible = findings
        .iter()
        .filter(|f| f.current && f.status != FindingStatus::Dismissed && !taken.contains(&f.id))
        .map(|f| {
            let (name, code) = naming.rule(f.rule_code.as_deref(), f.trigger.as_deref(), lang);
            let open = f.status == FindingStatus::Open;
            EligibleView {
                id: f.id,
                name,
                code,
                item_label: naming.item(f.item.as_deref(), lang),
                status: f.status.label(lang).to_string(),
                status_code: f.status.code(),
                open,
                // A fresh form ticks the confirmed findings.
                checked: if fresh {
                    !open
                } else {
                    back.findings.contains(&f.id)
                },
            }
        })
        .collect();
    let today = today();
    Ok(IssueBox {
        action: issue_action(c.id, org),
        can_issue,
        eligible,
        notices: rows.iter().map(|n| notice_line(n, lang)).collect(),
        measures: back.measures,
        deadline: if fresh {
            (today + Duration::days(DEFAULT_DAYS)).to_string()
        } else {
            back.deadline
        },
        min_deadline: (today + Duration::days(1)).to_string(),
        include_open: back.include_open,
        errors: back.errors,
    })
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "notice_new.html")]
pub struct IssuePage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub org_id: i64,
    pub heading: String,
    pub staff: bool,
    pub issue: IssueBox,
}

async fn issue_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    ids: &Ids,
    scope: &Scope,
    back: Option<IssueForm>,
) -> Result<IssuePage, AppError> {
    let (r, _) = reports::get(&state.db, scope, ids.id, ids.org).await?;
    let c = campaigns::get(&state.db, scope, ids.id).await?;
    let findings = review::report_review(&state.db, scope, ids.id, ids.org, false)
        .await?
        .findings;
    let issue = issue_box(state, scope, &c, ids.org, &findings, true, lang, back).await?;
    Ok(IssuePage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        campaign_id: c.id,
        campaign_title: title(&c, lang),
        org_id: ids.org,
        heading: lang.tf(
            "notice_page.issue_title",
            &[("name", &r.org_name), ("year", &r.year.to_string())],
        ),
        staff: viewer.role() != Role::Reviewer,
        issue,
    })
}

/// `GET /campaigns/{id}/reports/{org}/notices`: the issue form on a page of its own (the review
/// page carries the same form).
pub async fn issue_form(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
) -> Result<IssuePage, AppError> {
    let scope = review_scope(&state, &viewer, &ids).await?;
    issue_page(&state, &viewer, lang, &csrf, &ids, &scope, None).await
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn ticked(pairs: &[(String, String)], name: &str) -> bool {
    field(pairs, name).is_some_and(|v| !v.is_empty() && v != "0")
}

fn store_messages(e: StoreError, lang: Lang) -> Result<Vec<String>, AppError> {
    match e {
        StoreError::Rejected(ps) => Ok(ps.iter().map(|p| p.render(lang)).collect()),
        other => Err(other.into()),
    }
}

/// `POST /campaigns/{id}/reports/{org}/notices`: issues a notice to the unit about the findings
/// ticked (`finding`, repeated), with the measures required and the deadline; open findings go in
/// only with `include_open` (they are confirmed by the notice).
pub async fn issue(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let scope = review_scope(&state, &viewer, &ids).await?;
    check(&csrf, field(&pairs, csrf::FIELD))?;
    reports::get(&state.db, &scope, ids.id, ids.org).await?;
    let mut form = IssueForm {
        findings: pairs
            .iter()
            .filter(|(k, _)| k == "finding")
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect(),
        measures: field(&pairs, "measures").unwrap_or("").to_string(),
        deadline: field(&pairs, "deadline").unwrap_or("").trim().to_string(),
        include_open: ticked(&pairs, "include_open"),
        errors: Vec::new(),
    };
    let findings = review::report_review(&state.db, &scope, ids.id, ids.org, false)
        .await?
        .findings;
    if form.findings.is_empty() {
        form.errors
            .push(lang.t("notice_page.choose_findings").to_string());
    }
    if !form.include_open {
        let c = campaigns::get(&state.db, &scope, ids.id).await?;
        let naming = Naming::of(&state, c.template_id, lang).await?;
        for f in findings
            .iter()
            .filter(|f| form.findings.contains(&f.id) && f.status == FindingStatus::Open)
        {
            let (name, _) = naming.rule(f.rule_code.as_deref(), f.trigger.as_deref(), lang);
            form.errors.push(lang.tf(
                "notice_page.open_not_included",
                &[("name", &name), ("id", &f.id.to_string())],
            ));
        }
    }
    let deadline = value::parse_date(&form.deadline);
    if deadline.is_none() {
        form.errors
            .push(lang.t("notice_page.deadline_required").to_string());
    }
    if !form.errors.is_empty() {
        return refused_issue(&state, &viewer, lang, &csrf, &ids, &scope, form).await;
    }
    let what = Issue {
        measures: form.measures.clone(),
        deadline: deadline.expect("checked above"),
        include_open: form.include_open,
    };
    let chosen: Vec<i64> = form.findings.iter().copied().collect();
    match rectify::issue(
        &state.db,
        &scope,
        ids.id,
        ids.org,
        &chosen,
        &what,
        &viewer.actor,
    )
    .await
    {
        Ok(id) => Ok(Redirect::to(&format!("{}?done=issued", notice_href(id))).into_response()),
        Err(e) => {
            form.errors = store_messages(e, lang)?;
            refused_issue(&state, &viewer, lang, &csrf, &ids, &scope, form).await
        }
    }
}

async fn refused_issue(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    ids: &Ids,
    scope: &Scope,
    form: IssueForm,
) -> Result<Response, AppError> {
    let page = issue_page(state, viewer, lang, csrf, ids, scope, Some(form)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

// -------------------------------------------------------------------------------------------------
// Bulk notices for a node (and a rule).

#[derive(askama::Template, WebTemplate)]
#[template(path = "notice_bulk.html")]
pub struct BulkPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub id: i64,
    pub title: String,
    pub node_id: i64,
    pub node_name: String,
    /// (code, name, selected) of the campaign's rules; "" is every rule.
    pub rules: Vec<(String, String, bool)>,
    pub all_rules: bool,
    pub measures: String,
    pub deadline: String,
    pub min_deadline: String,
    pub include_open: bool,
    pub errors: Vec<String>,
}

#[derive(serde::Deserialize)]
pub struct BulkParams {
    node: Option<String>,
    rule: Option<String>,
}

/// The campaign and the node of a bulk notice, for a viewer who may issue them.
async fn bulk_target(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    node: Option<&str>,
) -> Result<(Campaign, Organization), AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    viewer.require(Permission::Review)?;
    let c = campaigns::get(&state.db, &viewer.scope, id).await?;
    let node = super::campaigns::asked_node(state, viewer, &c, node).await?;
    Ok((c, node))
}

#[allow(clippy::too_many_arguments)]
async fn bulk_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    c: &Campaign,
    node: &Organization,
    rule: &str,
    measures: String,
    deadline: Option<String>,
    include_open: bool,
    errors: Vec<String>,
) -> Result<BulkPage, AppError> {
    let names = rule_names(&state.db, c.template_id, lang).await?;
    let mut rules: Vec<(String, String, bool)> = names
        .into_iter()
        .map(|(code, name)| {
            let selected = code == rule;
            (code, name, selected)
        })
        .collect();
    rules.sort();
    let today = today();
    Ok(BulkPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        id: c.id,
        title: title(c, lang),
        node_id: node.id,
        node_name: node.record.name.clone(),
        all_rules: !rules.iter().any(|r| r.2),
        rules,
        measures,
        deadline: deadline.unwrap_or_else(|| (today + Duration::days(DEFAULT_DAYS)).to_string()),
        min_deadline: (today + Duration::days(1)).to_string(),
        include_open,
        errors,
    })
}

/// `GET /campaigns/{id}/notices?node=ORG_ID&rule=CODE`: the bulk notice form.
pub async fn bulk_form(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<BulkParams>,
) -> Result<BulkPage, AppError> {
    let (c, node) = bulk_target(&state, &viewer, ids.id, q.node.as_deref()).await?;
    let rule = q.rule.unwrap_or_default();
    bulk_page(
        &state,
        &viewer,
        lang,
        &csrf,
        &c,
        &node,
        rule.trim(),
        String::new(),
        None,
        false,
        Vec::new(),
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct BulkFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    node: Option<String>,
    rule: Option<String>,
    measures: Option<String>,
    deadline: Option<String>,
    include_open: Option<String>,
}

/// `POST /campaigns/{id}/notices`: a notice to every unit under the node with findings (of the
/// rule, if one is chosen) in no notice yet: one notice per unit, one item per finding.
pub async fn bulk_issue(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<BulkFields>,
) -> Result<Response, AppError> {
    let (c, node) = bulk_target(&state, &viewer, ids.id, f.node.as_deref()).await?;
    check(&csrf, f.token.as_deref())?;
    let rule = f.rule.clone().unwrap_or_default().trim().to_string();
    let measures = f.measures.clone().unwrap_or_default();
    let deadline_text = f.deadline.clone().unwrap_or_default().trim().to_string();
    let include_open = f.include_open.as_deref().is_some_and(|v| !v.is_empty());
    let deadline = value::parse_date(&deadline_text);
    let result = match deadline {
        None => Err(vec![lang.t("notice_page.deadline_required").to_string()]),
        Some(deadline) => {
            let what = Issue {
                measures: measures.clone(),
                deadline,
                include_open,
            };
            let rule = (!rule.is_empty()).then_some(rule.as_str());
            match rectify::issue_bulk(
                &state.db,
                &viewer.scope,
                c.id,
                &node,
                rule,
                &what,
                &viewer.actor,
            )
            .await
            {
                Ok(n) => Ok(n),
                Err(e) => Err(store_messages(e, lang)?),
            }
        }
    };
    match result {
        Ok(n) => Ok(Redirect::to(&format!(
            "/notices?campaign={}&node={}&status=open&done=issued&n={n}",
            c.id, node.id
        ))
        .into_response()),
        Err(errors) => {
            let page = bulk_page(
                &state,
                &viewer,
                lang,
                &csrf,
                &c,
                &node,
                &rule,
                measures,
                Some(deadline_text),
                include_open,
                errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

// -------------------------------------------------------------------------------------------------
// The notice page.

pub struct FileView {
    pub href: String,
    pub name: String,
    pub size: String,
    /// "第 1 轮": the round it was handed in with.
    pub round: String,
    pub when: String,
}

pub struct ItemView {
    pub position: usize,
    pub number: usize,
    /// "第 1 项".
    pub heading: String,
    pub name: String,
    pub code: String,
    pub item_label: String,
    pub severity: String,
    pub severity_code: &'static str,
    pub values: Vec<(String, String)>,
    /// The reviewer's note on the finding.
    pub note: String,
    pub status: String,
    pub status_code: &'static str,
    /// Answered in the current round (not handed in yet).
    pub answered: bool,
    pub response: String,
    pub responded: String,
    pub files: Vec<FileView>,
    pub verdict_reason: String,
    /// The chamber may answer it now.
    pub can_respond: bool,
    /// The text in the answer's box: as typed when refused, else the answer of this round.
    pub response_value: String,
    pub respond_errors: Vec<String>,
    /// The reviewer may accept or return it now.
    pub can_verify: bool,
    pub reason_value: String,
    pub verify_errors: Vec<String>,
}

pub struct EventView {
    pub when: String,
    pub who: String,
    pub action: String,
    pub action_code: String,
    pub item: String,
    pub text: String,
}

pub struct RoundView {
    pub round: i32,
    pub label: String,
    pub events: Vec<EventView>,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub id: i64,
    pub version: i64,
    pub heading: String,
    pub status: String,
    pub status_code: &'static str,
    pub overdue: bool,
    pub overdue_text: String,
    pub round: i32,
    /// The unit's page, for readers of the registry.
    pub unit_href: String,
    pub org_name: String,
    pub campaign_href: String,
    pub campaign_title: String,
    pub measures: String,
    pub deadline: String,
    /// The first deadline, when it was extended.
    pub original_deadline: String,
    pub issued: String,
    pub closed: String,
    /// The report's review (for reviewers) or the report (for other readers).
    pub report_href: String,
    pub report_link: String,
    /// The campaign's rectification figures, for federation-side readers.
    pub figures_href: String,
    pub items: Vec<ItemView>,
    pub answered_text: String,
    pub can_respond: bool,
    pub can_verify: bool,
    pub can_extend: bool,
    pub submit_errors: Vec<String>,
    pub extend_deadline: String,
    pub min_extend: String,
    pub extend_reason: String,
    pub extend_errors: Vec<String>,
    pub general: Vec<String>,
    pub rounds: Vec<RoundView>,
    /// What evidence is accepted.
    pub limits: String,
}

/// What a post brought back to the notice page.
#[derive(Default)]
struct Outcome {
    /// A refused answer: (item, the text as typed, the messages).
    respond: Option<(usize, String, Vec<String>)>,
    /// A refused verdict: (item, the reason as typed, the messages).
    verify: Option<(usize, String, Vec<String>)>,
    submit: Vec<String>,
    extend: Option<(String, String, Vec<String>)>,
    general: Vec<String>,
}

fn event_label(action: &str, lang: Lang) -> String {
    let key = format!("notice_page.event_{action}");
    match lang.t(&key) {
        "?" => action.to_string(),
        s => s.to_string(),
    }
}

fn rounds(v: &NoticeView, lang: Lang) -> Vec<RoundView> {
    let mut out: Vec<RoundView> = Vec::new();
    for e in &v.events {
        let ev = EventView {
            when: local_time(e.created_at),
            who: e.created_by.clone(),
            action: event_label(&e.action, lang),
            action_code: e.action.clone(),
            item: e
                .position
                .map(|p| lang.tf("notice_page.item_n", &[("n", &(p + 1).to_string())]))
                .unwrap_or_default(),
            text: e.text.clone().unwrap_or_default(),
        };
        match out.last_mut() {
            Some(r) if r.round == e.round => r.events.push(ev),
            _ => out.push(RoundView {
                round: e.round,
                label: lang.tf("notice_page.round", &[("round", &e.round.to_string())]),
                events: vec![ev],
            }),
        }
    }
    out
}

/// The conflict message: who changed the notice last, and when.
fn conflict_message(v: &NoticeView, lang: Lang) -> String {
    let (who, when) = v
        .events
        .last()
        .map(|e| (e.created_by.clone(), local_time(e.created_at)))
        .unwrap_or_default();
    lang.tf("notice_page.conflict", &[("who", &who), ("when", &when)])
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    scope: &Scope,
    v: NoticeView,
    out: Outcome,
) -> Result<NoticePage, AppError> {
    let n = &v.notice;
    let c = campaigns::get(&state.db, scope, n.campaign_id).await?;
    let naming = Naming::of(state, c.template_id, lang).await?;
    let status = n.status();
    let fills = viewer.can(Permission::FillReports);
    let verifies = viewer.can(Permission::Review);
    let awaiting = status == NoticeStatus::AwaitingResponse;
    let responded = status == NoticeStatus::Responded;
    let items: Vec<ItemView> = v
        .items
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let (name, code) = naming.rule(i.rule_code.as_deref(), i.trigger.as_deref(), lang);
            let severity = Severity::parse(&i.severity);
            let pending = matches!(i.status, ItemStatus::Open | ItemStatus::Returned);
            let (response_value, respond_errors) = match &out.respond {
                Some((p, text, errs)) if *p == k => (text.clone(), errs.clone()),
                _ if i.answered => (i.response.clone().unwrap_or_default(), Vec::new()),
                _ => (String::new(), Vec::new()),
            };
            let (reason_value, verify_errors) = match &out.verify {
                Some((p, text, errs)) if *p == k => (text.clone(), errs.clone()),
                _ => (String::new(), Vec::new()),
            };
            ItemView {
                position: k,
                number: k + 1,
                heading: lang.tf("notice_page.item_heading", &[("n", &(k + 1).to_string())]),
                name,
                code,
                item_label: naming.item(i.item.as_deref(), lang),
                severity: severity
                    .map(|s| s.label(lang).to_string())
                    .unwrap_or_else(|| i.severity.clone()),
                severity_code: severity.map(|s| s.code()).unwrap_or("warning"),
                values: naming.values(&i.finding_detail, lang),
                note: i.finding_note.clone().unwrap_or_default(),
                status: i.status.label(lang).to_string(),
                status_code: item_status_code(i.status),
                answered: i.answered,
                response: i.response.clone().unwrap_or_default(),
                responded: match (&i.responded_by, i.responded_at) {
                    (Some(by), Some(at)) => format!("{by} · {}", local_time(at)),
                    _ => String::new(),
                },
                files: i
                    .attachments
                    .iter()
                    .map(|a| FileView {
                        href: format!("/notices/{}/evidence/{}", n.notice_id, a.id),
                        name: a.file_name.clone(),
                        size: size_text(a.size),
                        round: lang.tf("notice_page.round", &[("round", &a.round.to_string())]),
                        when: local_time(a.created_at),
                    })
                    .collect(),
                verdict_reason: i.verdict_reason.clone().unwrap_or_default(),
                can_respond: fills && awaiting && pending,
                response_value,
                respond_errors,
                can_verify: verifies && responded && i.status == ItemStatus::Responded,
                reason_value,
                verify_errors,
            }
        })
        .collect();
    let pending: Vec<&ItemView> = items
        .iter()
        .filter(|i| matches!(i.status_code, "open" | "returned"))
        .collect();
    let answered = pending.iter().filter(|i| i.answered).count();
    let today = today();
    let (extend_deadline, extend_reason, extend_errors) = out.extend.unwrap_or_else(|| {
        (
            (n.deadline.max(today) + Duration::days(DEFAULT_DAYS)).to_string(),
            String::new(),
            Vec::new(),
        )
    });
    let (report_href, report_link) = if verifies {
        (
            review_href(n.campaign_id, n.organization_id),
            lang.t("notice_page.review_link").to_string(),
        )
    } else {
        (
            format!("/campaigns/{}/reports/{}", n.campaign_id, n.organization_id),
            lang.t("notice_page.report_link").to_string(),
        )
    };
    Ok(NoticePage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        id: n.notice_id,
        version: n.version,
        heading: lang.tf(
            "notice_page.title",
            &[("id", &n.notice_id.to_string()), ("name", &n.org_name)],
        ),
        status: status.label(lang).to_string(),
        status_code: status.code(),
        overdue: v.overdue,
        overdue_text: lang.tf(
            "notice_page.overdue_days",
            &[("days", &(today - n.deadline).num_days().to_string())],
        ),
        round: n.round,
        unit_href: if viewer.can(Permission::ViewRegistry) {
            format!("/orgs/{}", n.organization_id)
        } else {
            String::new()
        },
        org_name: n.org_name.clone(),
        campaign_href: if viewer.can(Permission::ViewReports) {
            format!("/campaigns/{}", n.campaign_id)
        } else {
            String::new()
        },
        campaign_title: title(&c, lang),
        measures: n.measures.clone(),
        deadline: n.deadline.to_string(),
        original_deadline: if n.original_deadline != n.deadline {
            n.original_deadline.to_string()
        } else {
            String::new()
        },
        issued: format!("{} · {}", n.issued_on, n.issued_by),
        closed: match (n.closed_on, n.days_to_close) {
            (Some(on), Some(days)) => lang.tf(
                "notice_page.closed_on",
                &[("date", &on.to_string()), ("days", &days.to_string())],
            ),
            _ => String::new(),
        },
        report_href,
        report_link,
        figures_href: if viewer.analyses() {
            format!("/campaigns/{}/rectify", n.campaign_id)
        } else {
            String::new()
        },
        answered_text: lang.tf(
            "notice_page.answered",
            &[
                ("answered", &answered.to_string()),
                ("total", &pending.len().to_string()),
            ],
        ),
        items,
        can_respond: fills && awaiting,
        can_verify: verifies && responded,
        can_extend: verifies && status != NoticeStatus::Closed,
        submit_errors: out.submit,
        extend_deadline,
        min_extend: (n.deadline.max(today) + Duration::days(1)).to_string(),
        extend_reason,
        extend_errors,
        general: out.general,
        rounds: rounds(&v, lang),
        limits: lang.tf(
            "notice_page.limits",
            &[
                ("mb", &(MAX_EVIDENCE_BYTES / 1024 / 1024).to_string()),
                (
                    "upload_mb",
                    &(crate::MAX_UPLOAD_BYTES / 1024 / 1024).to_string(),
                ),
                ("files", &MAX_EVIDENCE_PER_ITEM.to_string()),
            ],
        ),
    })
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
    item: Option<String>,
    renamed: Option<String>,
}

fn flash(q: &Done, lang: Lang) -> Option<String> {
    let item = q
        .item
        .as_deref()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0)
        .to_string();
    let mut text = match q.done.as_deref()? {
        "issued" => lang.t("notice_page.flash_issued").to_string(),
        "responded" => lang.tf("notice_page.flash_responded", &[("n", &item)]),
        "submitted" => lang.t("notice_page.flash_submitted").to_string(),
        "accepted" => lang.tf("notice_page.flash_accepted", &[("n", &item)]),
        "returned" => lang.tf("notice_page.flash_returned", &[("n", &item)]),
        "closed" => lang.t("notice_page.flash_closed").to_string(),
        "extended" => lang.t("notice_page.flash_extended").to_string(),
        _ => return None,
    };
    if let Some(r) = q.renamed.as_deref().filter(|r| !r.is_empty()) {
        text.push_str(&lang.tf("notice_page.flash_renamed", &[("names", r)]));
    }
    Some(text)
}

/// `GET /notices/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: NoticeIds,
    Query(q): Query<Done>,
) -> Result<NoticePage, AppError> {
    let (scope, v) = open_notice(&state, &viewer, ids.id).await?;
    let mut page = render(&state, &viewer, lang, &csrf, &scope, v, Outcome::default()).await?;
    page.flash = flash(&q, lang);
    Ok(page)
}

/// What showing a notice's page again after a refused form needs (one per request).
struct Shown<'a> {
    state: &'a AppState,
    viewer: &'a Viewer,
    lang: Lang,
    csrf: &'a Token,
    scope: &'a Scope,
    id: i64,
}

impl Shown<'_> {
    /// The page again, with what the form left to show.
    async fn show(&self, status: StatusCode, out: Outcome) -> Result<Response, AppError> {
        let v = rectify::get(&self.state.db, self.scope, self.id).await?;
        let page = render(
            self.state,
            self.viewer,
            self.lang,
            self.csrf,
            self.scope,
            v,
            out,
        )
        .await?;
        Ok((status, page).into_response())
    }

    /// The page again with what was refused (422).
    async fn refused(&self, out: Outcome) -> Result<Response, AppError> {
        self.show(StatusCode::UNPROCESSABLE_ENTITY, out).await
    }

    /// The page again after someone else acted first (409), saying who.
    async fn conflict(&self, v: &NoticeView, mut out: Outcome) -> Result<Response, AppError> {
        out.general = vec![conflict_message(v, self.lang)];
        self.show(StatusCode::CONFLICT, out).await
    }
}

fn back(id: i64, query: &str, anchor: &str) -> Response {
    Redirect::to(&format!("{}?{query}{anchor}", notice_href(id))).into_response()
}

/// A form's version, required: a post without one is not the page's.
fn version_of(raw: Option<&str>) -> Result<i64, AppError> {
    raw.and_then(|v| v.trim().parse().ok())
        .ok_or(AppError::BadRequest)
}

/// What the answer form of an item sent (multipart).
#[derive(Default)]
struct Answer {
    token: Option<String>,
    version: Option<String>,
    item: Option<String>,
    response: String,
    files: Vec<(String, Vec<u8>)>,
    /// Names of the files stopped at the size limit.
    too_large: Vec<String>,
}

/// Reads an answer form: every file is read up to the evidence limit (past it the rest is
/// drained and the file refused by name), the other fields as text.
async fn read_answer(
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Answer, AppError> {
    let mut mp = mp.map_err(|_| AppError::BadRequest)?;
    let mut a = Answer::default();
    while let Some(mut f) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        let name = f.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = f.file_name().unwrap_or("").to_string();
            let mut bytes = Vec::new();
            let mut over = false;
            while let Some(chunk) = f.chunk().await.map_err(|_| AppError::BadRequest)? {
                if over {
                    continue;
                }
                if bytes.len() + chunk.len() > MAX_EVIDENCE_BYTES {
                    over = true;
                    bytes = Vec::new();
                    continue;
                }
                bytes.extend_from_slice(&chunk);
            }
            if over {
                a.too_large.push(file_name);
            } else if !(file_name.is_empty() && bytes.is_empty()) {
                // An empty file input sends a part without a name or bytes: nothing chosen.
                a.files.push((file_name, bytes));
            }
        } else {
            let text = f.text().await.map_err(|_| AppError::BadRequest)?;
            match name.as_str() {
                csrf::FIELD => a.token = Some(text),
                "version" => a.version = Some(text),
                "item" => a.item = Some(text),
                "response" => a.response = text,
                _ => {}
            }
        }
    }
    Ok(a)
}

/// Names of files the name check shortened (a path, odd characters), as kept.
fn renamed(files: &[(String, Vec<u8>)]) -> Vec<String> {
    files
        .iter()
        .filter_map(|(raw, _)| {
            let kept = shanghui_core::rectify::safe_file_name(raw).ok()?;
            (kept != *raw).then_some(kept)
        })
        .collect()
}

fn query_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `POST /notices/{id}/respond` (multipart): the measures taken for one item (`item`, from 0),
/// with evidence files (`file`, repeated). Every file is checked before anything is kept; each
/// refusal is shown next to the item with the text as typed.
pub async fn respond(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: NoticeIds,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    viewer.require(Permission::FillReports)?;
    let (scope, v) = open_notice(&state, &viewer, ids.id).await?;
    let form = Shown {
        state: &state,
        viewer: &viewer,
        lang,
        csrf: &csrf,
        scope: &scope,
        id: ids.id,
    };
    let a = read_answer(mp).await?;
    check(&csrf, a.token.as_deref())?;
    let version = version_of(a.version.as_deref())?;
    let item: usize = a
        .item
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .filter(|i| *i < v.items.len())
        .ok_or(AppError::BadRequest)?;
    let refuse = |errors: Vec<String>| Outcome {
        respond: Some((item, a.response.clone(), errors)),
        ..Outcome::default()
    };
    if version != v.notice.version {
        return form.conflict(&v, refuse(Vec::new())).await;
    }
    // Every problem at once: the text, and each file by name.
    let mut errors = Vec::new();
    if value::trim(&a.response).is_empty() {
        errors.push(Msg::new("rectify.response_required").render(lang));
    }
    for name in &a.too_large {
        let shown = shanghui_core::rectify::safe_file_name(name).unwrap_or_else(|_| name.clone());
        errors.push(
            Msg::new("rectify.file_too_large")
                .with("name", shown)
                .with("max", MAX_EVIDENCE_BYTES / 1024 / 1024)
                .render(lang),
        );
    }
    for (name, bytes) in &a.files {
        if let Err(m) = check_evidence(name, bytes) {
            errors.push(m.render(lang));
        }
    }
    if !errors.is_empty() {
        if !a.files.is_empty() || !a.too_large.is_empty() {
            errors.push(lang.t("notice_page.files_again").to_string());
        }
        return form.refused(refuse(errors)).await;
    }
    let result = rectify::respond(
        &state.db,
        &scope,
        ids.id,
        item,
        &a.response,
        &a.files,
        &viewer.actor,
    )
    .await;
    match result {
        Ok(()) => {
            let renamed = renamed(&a.files);
            let mut q = format!("done=responded&item={}", item + 1);
            if !renamed.is_empty() {
                q.push_str("&renamed=");
                q.push_str(&query_value(&renamed.join(lang.t("list.separator"))));
            }
            Ok(back(ids.id, &q, &format!("#item-{}", item + 1)))
        }
        Err(StoreError::Conflict) => form.conflict(&v, refuse(Vec::new())).await,
        Err(e) => {
            let mut errors = store_messages(e, lang)?;
            if !a.files.is_empty() {
                errors.push(lang.t("notice_page.files_again").to_string());
            }
            form.refused(refuse(errors)).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct VersionOnly {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    version: Option<String>,
}

/// `POST /notices/{id}/submit`: the chamber hands in its response (every open item answered).
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: NoticeIds,
    Posted(f): Posted<VersionOnly>,
) -> Result<Response, AppError> {
    viewer.require(Permission::FillReports)?;
    let (scope, v) = open_notice(&state, &viewer, ids.id).await?;
    let form = Shown {
        state: &state,
        viewer: &viewer,
        lang,
        csrf: &csrf,
        scope: &scope,
        id: ids.id,
    };
    check(&csrf, f.token.as_deref())?;
    let version = version_of(f.version.as_deref())?;
    if version != v.notice.version {
        return form.conflict(&v, Outcome::default()).await;
    }
    match rectify::submit_response(&state.db, &scope, ids.id, &viewer.actor).await {
        Ok(()) => Ok(back(ids.id, "done=submitted", "")),
        Err(StoreError::Conflict) => form.conflict(&v, Outcome::default()).await,
        Err(e) => {
            let out = Outcome {
                submit: store_messages(e, lang)?,
                ..Outcome::default()
            };
            form.refused(out).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct VerifyFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    version: Option<String>,
    item: Option<String>,
    action: Option<String>,
    reason: Option<String>,
}

/// `POST /notices/{id}/verify`: accepts (`action=accept`, 销号) or returns (`action=return`, a
/// reason required) one responded item.
pub async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: NoticeIds,
    Posted(f): Posted<VerifyFields>,
) -> Result<Response, AppError> {
    viewer.require(Permission::Review)?;
    let (scope, v) = open_notice(&state, &viewer, ids.id).await?;
    let form = Shown {
        state: &state,
        viewer: &viewer,
        lang,
        csrf: &csrf,
        scope: &scope,
        id: ids.id,
    };
    check(&csrf, f.token.as_deref())?;
    let version = version_of(f.version.as_deref())?;
    let item: usize = f
        .item
        .as_deref()
        .and_then(|s| s.trim().parse().ok())
        .filter(|i| *i < v.items.len())
        .ok_or(AppError::BadRequest)?;
    let accept = match f.action.as_deref() {
        Some("accept") => true,
        Some("return") => false,
        _ => return Err(AppError::BadRequest),
    };
    let reason = f.reason.clone().unwrap_or_default();
    let refuse = |errors: Vec<String>| Outcome {
        verify: Some((item, reason.clone(), errors)),
        ..Outcome::default()
    };
    if version != v.notice.version {
        return form.conflict(&v, refuse(Vec::new())).await;
    }
    if !accept && value::trim(&reason).is_empty() {
        let out = refuse(vec![lang.t("notice_page.reason_required").to_string()]);
        return form.refused(out).await;
    }
    let given = (!value::trim(&reason).is_empty()).then_some(reason.as_str());
    match rectify::verify(
        &state.db,
        &scope,
        ids.id,
        item,
        accept,
        given,
        &viewer.actor,
    )
    .await
    {
        Ok(()) => {
            let closed = rectify::get(&state.db, &scope, ids.id)
                .await?
                .notice
                .status()
                == NoticeStatus::Closed;
            let done = match (closed, accept) {
                (true, _) => "closed",
                (false, true) => "accepted",
                (false, false) => "returned",
            };
            Ok(back(
                ids.id,
                &format!("done={done}&item={}", item + 1),
                &format!("#item-{}", item + 1),
            ))
        }
        Err(StoreError::Conflict) => form.conflict(&v, refuse(Vec::new())).await,
        Err(e) => {
            let out = refuse(store_messages(e, lang)?);
            form.refused(out).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct ExtendFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    version: Option<String>,
    deadline: Option<String>,
    reason: Option<String>,
}

/// `POST /notices/{id}/extend`: moves the deadline later, with a reason.
pub async fn extend(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: NoticeIds,
    Posted(f): Posted<ExtendFields>,
) -> Result<Response, AppError> {
    viewer.require(Permission::Review)?;
    let (scope, v) = open_notice(&state, &viewer, ids.id).await?;
    let form = Shown {
        state: &state,
        viewer: &viewer,
        lang,
        csrf: &csrf,
        scope: &scope,
        id: ids.id,
    };
    check(&csrf, f.token.as_deref())?;
    let version = version_of(f.version.as_deref())?;
    let deadline_text = f.deadline.clone().unwrap_or_default().trim().to_string();
    let reason = f.reason.clone().unwrap_or_default();
    let refuse = |errors: Vec<String>| Outcome {
        extend: Some((deadline_text.clone(), reason.clone(), errors)),
        ..Outcome::default()
    };
    if version != v.notice.version {
        return form.conflict(&v, refuse(Vec::new())).await;
    }
    let mut errors = Vec::new();
    let deadline = value::parse_date(&deadline_text);
    match deadline {
        None => errors.push(lang.t("notice_page.deadline_required").to_string()),
        // Later than the deadline (the store's rule) but not after today: still overdue.
        Some(d) if d > v.notice.deadline && d <= today() => {
            errors.push(Msg::new("rectify.deadline_future").render(lang))
        }
        Some(_) => {}
    }
    if value::trim(&reason).is_empty() {
        errors.push(lang.t("notice_page.extend_reason_required").to_string());
    }
    let result = match (deadline, errors.is_empty()) {
        (Some(d), true) => {
            rectify::extend(&state.db, &scope, ids.id, d, &reason, &viewer.actor).await
        }
        _ => {
            return form.refused(refuse(errors)).await;
        }
    };
    match result {
        Ok(()) => Ok(back(ids.id, "done=extended", "")),
        Err(StoreError::Conflict) => form.conflict(&v, refuse(Vec::new())).await,
        Err(e) => {
            let out = refuse(store_messages(e, lang)?);
            form.refused(out).await
        }
    }
}

/// An ASCII name for clients that do not read `filename*`: the name's ASCII letters, digits and
/// `.-_`, or `evidence` with the extension.
fn ascii_name(name: &str) -> String {
    let keep = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect()
    };
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) => (keep(s), keep(e)),
        None => (keep(name), String::new()),
    };
    let stem = if stem.is_empty() {
        "evidence".to_string()
    } else {
        stem
    };
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

/// `GET /notices/{id}/evidence/{file}`: an evidence file of the notice, as an attachment (never
/// shown inline), with the type it was stored with.
pub async fn evidence(
    State(state): State<AppState>,
    viewer: Viewer,
    ids: NoticeIds,
) -> Result<Response, AppError> {
    let (scope, v) = open_notice(&state, &viewer, ids.id).await?;
    if !v
        .items
        .iter()
        .any(|i| i.attachments.iter().any(|a| a.id == ids.file))
    {
        return Err(AppError::NotFound);
    }
    let (info, bytes) = rectify::attachment(&state.db, &scope, ids.file).await?;
    Ok((
        [
            (CONTENT_TYPE, info.content_type.clone()),
            (
                CONTENT_DISPOSITION,
                attachment(&info.file_name, &ascii_name(&info.file_name)),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
            (CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// -------------------------------------------------------------------------------------------------
// The list of notices.

#[derive(askama::Template, WebTemplate)]
#[template(path = "notices.html")]
pub struct ListPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    /// (id, title, selected); the first is every campaign.
    pub campaigns: Vec<(String, String, bool)>,
    pub node: String,
    pub node_name: String,
    /// (code, label, selected).
    pub statuses: Vec<(&'static str, String, bool)>,
    pub rows: Vec<NoticeLine>,
    pub note: String,
    pub export_href: String,
    pub figures_href: String,
}

#[derive(serde::Deserialize, Default)]
pub struct ListParams {
    campaign: Option<String>,
    node: Option<String>,
    status: Option<String>,
    done: Option<String>,
    n: Option<String>,
}

const STATUSES: [&str; 4] = ["open", "overdue", "closed", "all"];

/// What the list's parameters ask for: the scope (the node's subtree, in the viewer's), the
/// filter, and the node.
async fn list_target(
    state: &AppState,
    viewer: &Viewer,
    q: &ListParams,
) -> Result<(Scope, Filter, Option<Organization>, &'static str), AppError> {
    viewer.require(Permission::ViewReports)?;
    let campaign = match q
        .campaign
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            let id = value::parse_int(s).ok_or(AppError::NotFound)?;
            Some(campaigns::get(&state.db, &viewer.scope, id).await?.id)
        }
    };
    let node = match q.node.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let id = value::parse_int(s).ok_or(AppError::NotFound)?;
            Some(orgs::require(&state.db, &viewer.scope, id).await?)
        }
    };
    let scope = match &node {
        Some(o) => Scope::subtree(o.path.clone()),
        None => viewer.scope.clone(),
    };
    let status = STATUSES
        .iter()
        .copied()
        .find(|s| Some(*s) == q.status.as_deref())
        .unwrap_or("open");
    let filter = Filter {
        campaign_id: campaign,
        open: status == "open",
        overdue: status == "overdue",
        closed: status == "closed",
        ..Default::default()
    };
    Ok((scope, filter, node, status))
}

fn list_query(f: &Filter, node: Option<&Organization>, status: &str) -> String {
    let mut q = format!("status={status}");
    if let Some(c) = f.campaign_id {
        q.push_str(&format!("&campaign={c}"));
    }
    if let Some(n) = node {
        q.push_str(&format!("&node={}", n.id));
    }
    q
}

/// `GET /notices?campaign=ID&node=ORG_ID&status=open|overdue|closed|all`: notices in the scope,
/// most urgent first (earliest deadline; closed ones last), overdue ones flagged.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<ListParams>,
) -> Result<ListPage, AppError> {
    let (scope, mut filter, node, status) = list_target(&state, &viewer, &q).await?;
    filter.limit = LIST_SHOWN + 1;
    let mut rows = rectify::list(&state.db, &scope, &filter).await?;
    let more = rows.len() as i64 > LIST_SHOWN;
    rows.truncate(LIST_SHOWN as usize);
    let note = if more {
        lang.tf(
            "notices_page.limited",
            &[("shown", &LIST_SHOWN.to_string())],
        )
    } else {
        lang.tf("notices_page.count", &[("total", &rows.len().to_string())])
    };
    let all = campaigns::list(&state.db, &viewer.scope).await?;
    let mut options = vec![(
        String::new(),
        lang.t("notices_page.all_campaigns").to_string(),
        filter.campaign_id.is_none(),
    )];
    options.extend(all.iter().map(|c| {
        (
            c.id.to_string(),
            title(c, lang),
            Some(c.id) == filter.campaign_id,
        )
    }));
    let figures = match (filter.campaign_id, &node) {
        (Some(c), Some(n)) => figures_href(c, n.id),
        (Some(c), None) => format!("/campaigns/{c}/rectify"),
        _ => String::new(),
    };
    let flash = match q.done.as_deref() {
        Some("issued") => Some(
            lang.tf(
                "notices_page.flash_issued",
                &[(
                    "n",
                    &q.n.as_deref()
                        .and_then(|s| s.parse::<u64>().ok())
                        .unwrap_or(0)
                        .to_string(),
                )],
            ),
        ),
        _ => None,
    };
    Ok(ListPage {
        lang,
        flash,
        me: Some(viewer.me(lang, &csrf)),
        campaigns: options,
        node: node.as_ref().map(|n| n.id.to_string()).unwrap_or_default(),
        node_name: node
            .as_ref()
            .map(|n| n.record.name.clone())
            .unwrap_or_default(),
        statuses: STATUSES
            .iter()
            .map(|s| {
                (
                    *s,
                    lang.t(&format!("notices_page.status_{s}")).to_string(),
                    *s == status,
                )
            })
            .collect(),
        rows: rows.iter().map(|n| notice_line(n, lang)).collect(),
        note,
        export_href: format!(
            "/notices.xlsx?{}",
            list_query(&filter, node.as_ref(), status)
        ),
        figures_href: if viewer.role() == Role::ChamberSecretary {
            String::new()
        } else {
            figures
        },
    })
}

/// `GET /notices.xlsx?...`: the list with the same filters, every notice.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Query(q): Query<ListParams>,
) -> Result<Response, AppError> {
    let (scope, mut filter, _, _) = list_target(&state, &viewer, &q).await?;
    filter.limit = i64::MAX;
    let rows = rectify::list(&state.db, &scope, &filter).await?;
    let today = today();
    let header: Vec<String> = NOTICE_COLUMNS
        .iter()
        .map(|k| lang.t(k).to_string())
        .collect();
    let cells: Vec<Vec<String>> = rows.iter().map(|n| notice_cells(n, today, lang)).collect();
    let sheet = lang.t("rectify.sheet_notices").to_string();
    let bytes = tokio::task::spawn_blocking(move || {
        shanghui_files::write_table_xlsx(&sheet, &header, &cells)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        XLSX,
        &format!("{}.xlsx", lang.t("notices_page.file")),
        "notices.xlsx",
        bytes,
    ))
}

// -------------------------------------------------------------------------------------------------
// Carry-over onto next year's report.

pub struct CarryNotice {
    pub href: String,
    pub id: i64,
    pub year: i32,
    pub deadline: String,
    pub overdue: bool,
    pub status: String,
    /// The items not accepted yet: "rule name（item label）".
    pub items: Vec<String>,
}

/// What the report of `year` carries over from earlier years: the conclusion that asks for a
/// rectification report, and the notices still open with their open items.
pub struct CarryView {
    pub note: String,
    pub notices: Vec<CarryNotice>,
}

/// The carry-over of a unit's report of `year` (`None` when nothing carries over). The unit is
/// in the reader's scope (its report was read in it).
pub async fn carry_view(
    state: &AppState,
    org_id: i64,
    year: i32,
    template_id: i64,
    lang: Lang,
) -> Result<Option<CarryView>, AppError> {
    let Some(carry) = rectify::carry_over(&state.db, org_id, year).await? else {
        return Ok(None);
    };
    let naming = Naming::of(state, template_id, lang).await?;
    let today = today();
    let mut notices = Vec::new();
    for n in &carry.open_notices {
        let v = rectify::get(&state.db, &Scope::all(), n.notice_id).await?;
        let items = v
            .items
            .iter()
            .filter(|i| i.status != ItemStatus::Accepted)
            .map(|i| {
                let (name, _) = naming.rule(i.rule_code.as_deref(), i.trigger.as_deref(), lang);
                match naming.item(i.item.as_deref(), lang) {
                    l if l.is_empty() => name,
                    l => format!("{name}（{l}）"),
                }
            })
            .collect();
        notices.push(CarryNotice {
            href: notice_href(n.notice_id),
            id: n.notice_id,
            year: n.year,
            deadline: n.deadline.to_string(),
            overdue: n.overdue(today),
            status: n.status().label(lang).to_string(),
            items,
        });
    }
    let conclusion = carry.conclusion;
    let note = match conclusion {
        Some(c) => lang.tf(
            "notice_page.carry_conclusion",
            &[
                ("year", &(year - 1).to_string()),
                ("conclusion", c.label(lang)),
            ],
        ),
        None => lang.t("notice_page.carry_open").to_string(),
    };
    Ok(Some(CarryView { note, notices }))
}
