//! Campaigns (年报工作): the list, opening one, and what staff change on one (close or reopen,
//! the deadline, the units expected to report). The dashboard of a campaign is `dashboard.rs`.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::Permission;
use shanghui_core::report::{CampaignStatus, percent};
use shanghui_core::{Lang, Msg, OrgPath, Organization, value};
use shanghui_store::campaigns::{self, Campaign, NewCampaign};
use shanghui_store::{StoreError, orgs, templates};

use super::{Posted, Viewer};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// The ids of a campaign route: `{id}` (the campaign) and, for a report, `{org}` (the unit).
/// Anything that is not a number is a 404 page, like an id that does not exist.
pub struct Ids {
    pub id: i64,
    pub org: i64,
}

impl<S: Send + Sync> FromRequestParts<S> for Ids {
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
        Ok(Ids {
            id: num("id")?,
            org: num("org")?,
        })
    }
}

pub fn campaign_path(c: &Campaign) -> Result<OrgPath, AppError> {
    OrgPath::parse(&c.path).map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether the viewer may change the campaign: its role may, and the federation that opened it
/// is in the viewer's scope (a chamber's federation sees the province's campaign, but only the
/// province manages it).
pub fn manages(viewer: &Viewer, c: &Campaign) -> bool {
    viewer.can(Permission::ManageCampaigns)
        && campaign_path(c).is_ok_and(|p| viewer.scope.contains(&p))
}

/// The node a campaign's figures are shown for when none is asked: the viewer's own unit when it
/// lies in the campaign, else the federation that opened it (a whole-registry viewer, or one
/// above that federation).
pub async fn default_node(
    state: &AppState,
    viewer: &Viewer,
    c: &Campaign,
) -> Result<Organization, AppError> {
    let cpath = campaign_path(c)?;
    let id = match viewer.scope.root() {
        Some(r) if r.is_within(&cpath) => r.id(),
        _ => c.organization_id,
    };
    Ok(orgs::require(&state.db, &viewer.scope, id).await?)
}

/// The node a campaign page is asked about (`?node=ID`): in the viewer's scope and under the
/// campaign's federation, else not found; without one, [`default_node`].
pub async fn asked_node(
    state: &AppState,
    viewer: &Viewer,
    c: &Campaign,
    asked: Option<&str>,
) -> Result<Organization, AppError> {
    node_by_id(state, viewer, c, parse_node(asked)?).await
}

/// The `?node=` parameter: absent or empty is none; anything but a number is not found.
pub fn parse_node(raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => value::parse_int(s).map(Some).ok_or(AppError::NotFound),
    }
}

/// [`asked_node`] for a parameter already read.
pub async fn node_by_id(
    state: &AppState,
    viewer: &Viewer,
    c: &Campaign,
    asked: Option<i64>,
) -> Result<Organization, AppError> {
    let Some(id) = asked else {
        return default_node(state, viewer, c).await;
    };
    let org = orgs::require(&state.db, &viewer.scope, id).await?;
    if !org.path.is_within(&campaign_path(c)?) {
        return Err(AppError::NotFound);
    }
    Ok(org)
}

/// Breadcrumbs from the campaign's federation (or the top of the viewer's scope) down to
/// `node`, each linked by `href(campaign, node)` to the same page of that node.
pub async fn crumbs(
    state: &AppState,
    viewer: &Viewer,
    c: &Campaign,
    node: &Organization,
    href: impl Fn(i64, i64) -> String,
) -> Result<Vec<(String, String)>, AppError> {
    let ids = node.path.ids();
    let from = ids
        .iter()
        .position(|&i| i == c.organization_id)
        .unwrap_or(0);
    let wanted = &ids[from..];
    let mut out: Vec<(String, String)> = orgs::ancestors(&state.db, &viewer.scope, node)
        .await?
        .into_iter()
        .filter(|(id, _)| wanted.contains(id))
        .map(|(id, name)| (href(c.id, id), name))
        .collect();
    out.push((href(c.id, node.id), node.record.name.clone()));
    Ok(out)
}

pub fn status_label(c: &Campaign, lang: Lang) -> String {
    c.status.label(lang).to_string()
}

/// "2024 年度年报工作（福州市工商联）".
pub fn title(c: &Campaign, lang: Lang) -> String {
    lang.tf(
        "campaign.title",
        &[("year", &c.year.to_string()), ("org", &c.org_name)],
    )
}

/// How a template version is named in lists: its title and version.
pub fn template_label(title: &str, version: i64, lang: Lang) -> String {
    lang.tf(
        "template.label",
        &[("title", title), ("version", &version.to_string())],
    )
}

pub struct CampaignRow {
    id: i64,
    year: i32,
    org_name: String,
    template_id: i64,
    template: String,
    opens_on: String,
    deadline: String,
    status: String,
    closed: bool,
    /// Whose figures the row shows (the viewer's part of the campaign).
    node: String,
    submitted: String,
    rate: String,
}

/// The open-a-campaign form, as typed, with the problems by field.
#[derive(Default)]
pub struct OpenForm {
    pub org: String,
    pub year: String,
    pub template: String,
    pub opens_on: String,
    pub deadline: String,
    pub errors: BTreeMap<&'static str, Vec<String>>,
}

impl OpenForm {
    pub fn err(&self, field: &str) -> Vec<String> {
        self.errors.get(field).cloned().unwrap_or_default()
    }
    fn push(&mut self, field: &'static str, m: String) {
        self.errors.entry(field).or_default().push(m);
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns.html")]
pub struct CampaignsPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    rows: Vec<CampaignRow>,
    can_open: bool,
    form: OpenForm,
    /// (value, label) of the template select; "sample" is the shipped sample when none is stored.
    templates: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    form: OpenForm,
    errors: Vec<String>,
) -> Result<CampaignsPage, AppError> {
    let infos = templates::list(&state.db).await?;
    let names: BTreeMap<i64, String> = infos
        .iter()
        .map(|t| {
            let title = match lang {
                Lang::ZhCn => &t.title_zh,
                Lang::En => &t.title_en,
            };
            (t.id, template_label(title, t.version, lang))
        })
        .collect();
    let mut rows = Vec::new();
    for c in campaigns::list(&state.db, &viewer.scope).await? {
        let node = default_node(state, viewer, &c).await?;
        let r = state
            .rates
            .rates(&state.db, &viewer.scope, &c, &node)
            .await?
            .rates;
        rows.push(CampaignRow {
            id: c.id,
            year: c.year,
            template_id: c.template_id,
            template: names
                .get(&c.template_id)
                .cloned()
                .unwrap_or_else(|| c.template_id.to_string()),
            opens_on: c.opens_on.to_string(),
            deadline: c.deadline.to_string(),
            status: status_label(&c, lang),
            closed: c.status == CampaignStatus::Closed,
            node: node.record.name.clone(),
            submitted: format!("{} / {}", r.submitted, r.expected),
            rate: percent(r.reporting_rate()),
            org_name: c.org_name,
        });
    }
    let mut choices: Vec<(String, String)> = infos
        .iter()
        .map(|t| (t.id.to_string(), names[&t.id].clone()))
        .collect();
    if choices.is_empty() {
        choices.push(("sample".into(), lang.t("campaign.sample_template").into()));
    }
    Ok(CampaignsPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        rows,
        can_open: viewer.can(Permission::ManageCampaigns),
        form,
        templates: choices,
        errors,
    })
}

/// The form as first shown: the viewer's own unit, last year, the newest template and the usual
/// calendar.
async fn blank_form(state: &AppState, viewer: &Viewer) -> Result<OpenForm, AppError> {
    let year = campaigns::usual_year(super::today());
    let (opens, deadline) = campaigns::usual_dates(year);
    let template = match templates::latest(&state.db).await? {
        Some(id) => id.to_string(),
        None => "sample".into(),
    };
    Ok(OpenForm {
        org: viewer
            .user
            .organization_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        year: year.to_string(),
        template,
        opens_on: opens.to_string(),
        deadline: deadline.to_string(),
        errors: BTreeMap::new(),
    })
}

/// `GET /campaigns`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<CampaignsPage, AppError> {
    viewer.require(Permission::ViewReports)?;
    let form = blank_form(&state, &viewer).await?;
    list_page(&state, &viewer, lang, &csrf, form, Vec::new()).await
}

#[derive(serde::Deserialize, Default)]
pub struct OpenFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    org: Option<String>,
    year: Option<String>,
    template: Option<String>,
    opens_on: Option<String>,
    deadline: Option<String>,
}

/// "Cannot read …: expected a date".
fn bad_date(raw: &str, lang: Lang) -> String {
    Msg::new("problem.unreadable")
        .with("value", raw)
        .with_key("expected", "expected.date")
        .render(lang)
}

/// `POST /campaigns`: opens a campaign, or the list again with every problem of the form.
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(f): Posted<OpenFields>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    check(&csrf, f.token.as_deref())?;
    let text = |s: &Option<String>| value::trim(s.as_deref().unwrap_or("")).to_string();
    let mut form = OpenForm {
        org: text(&f.org),
        year: text(&f.year),
        template: text(&f.template),
        opens_on: text(&f.opens_on),
        deadline: text(&f.deadline),
        errors: BTreeMap::new(),
    };
    let org = value::parse_int(form.org.trim_start_matches('#'));
    if org.is_none() {
        form.push("org", lang.t("campaign.org_required").to_string());
    }
    let year = value::parse_int(&form.year).and_then(|y| i32::try_from(y).ok());
    if year.is_none() {
        form.push(
            "year",
            Msg::new("campaign.bad_year")
                .with("value", &form.year)
                .render(lang),
        );
    }
    // Dates left empty follow the usual calendar of the year.
    let (usual_open, usual_deadline) = campaigns::usual_dates(year.unwrap_or(2000));
    let (raw_open, raw_deadline) = (form.opens_on.clone(), form.deadline.clone());
    let mut date = |field: &'static str, raw: String, usual| {
        if raw.is_empty() {
            return Some(usual);
        }
        let d = value::parse_date(&raw);
        if d.is_none() {
            form.push(field, bad_date(&raw, lang));
        }
        d
    };
    let opens_on = date("opens_on", raw_open, usual_open);
    let deadline = date("deadline", raw_deadline, usual_deadline);
    let stored = templates::list(&state.db).await?;
    let template = match form.template.as_str() {
        // Nothing stored yet: the shipped sample, as the command line does.
        "sample" if stored.is_empty() => Some(
            templates::ensure_sample(&state.db, &viewer.actor)
                .await
                .map_err(AppError::from)?,
        ),
        raw => value::parse_int(raw).filter(|id| stored.iter().any(|t| t.id == *id)),
    };
    if template.is_none() {
        form.push("template", lang.t("campaign.template_required").to_string());
    }
    if let (Some(org), Some(year), Some(template_id), Some(opens_on), Some(deadline)) =
        (org, year, template, opens_on, deadline)
        && form.errors.is_empty()
    {
        let new = NewCampaign {
            organization_id: org,
            year,
            template_id,
            opens_on,
            deadline,
        };
        match campaigns::open(&state.db, &viewer.scope, &new, &viewer.actor).await {
            Ok(o) => {
                return Ok(Redirect::to(&format!(
                    "/campaigns/{}?done=opened&expected={}&skipped={}",
                    o.campaign.id, o.expected, o.skipped
                ))
                .into_response());
            }
            // The template was checked above: what is missing is the unit.
            Err(StoreError::NotFound) => form.push(
                "org",
                Msg::new("problem.not_found").with("id", org).render(lang),
            ),
            Err(StoreError::Rejected(ps)) => {
                let errors = ps.iter().map(|p| p.render(lang)).collect();
                let page = list_page(&state, &viewer, lang, &csrf, form, errors).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = list_page(&state, &viewer, lang, &csrf, form, Vec::new()).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Refuses a form without this browser's CSRF token.
pub fn check(csrf: &Token, sent: Option<&str>) -> Result<(), AppError> {
    if csrf::verify(csrf, sent) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

#[derive(serde::Deserialize)]
pub struct ActionFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    status: Option<String>,
    deadline: Option<String>,
    unit: Option<String>,
    expected: Option<String>,
    node: Option<String>,
}

/// A campaign the viewer manages (404 otherwise, as the store answers), after the role and the
/// token are checked.
async fn managed(
    state: &AppState,
    viewer: &Viewer,
    csrf: &Token,
    id: i64,
    token: Option<&str>,
) -> Result<Campaign, AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    check(csrf, token)?;
    let c = campaigns::get(&state.db, &viewer.scope, id).await?;
    if !manages(viewer, &c) {
        return Err(AppError::NotFound);
    }
    Ok(c)
}

fn node_of(raw: Option<&str>) -> Option<i64> {
    raw.and_then(|n| value::parse_int(n.trim()))
}

fn back(id: i64, node: Option<i64>, done: &str) -> Response {
    let node = node.map(|n| format!("node={n}&")).unwrap_or_default();
    Redirect::to(&format!("/campaigns/{id}?{node}done={done}")).into_response()
}

/// The dashboard again with a refusal of one of its forms.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    id: i64,
    node: Option<i64>,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    let page = super::dashboard::render(state, viewer, lang, csrf, id, node, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn rejected(e: StoreError, lang: Lang) -> Result<Vec<String>, AppError> {
    match e {
        StoreError::Rejected(ps) => Ok(ps.iter().map(|p| p.render(lang)).collect()),
        other => Err(other.into()),
    }
}

/// `POST /campaigns/{id}/status`: `status=closed` ends online filling, `status=open` reopens it.
pub async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<ActionFields>,
) -> Result<Response, AppError> {
    let c = managed(&state, &viewer, &csrf, ids.id, f.token.as_deref()).await?;
    let status = f
        .status
        .as_deref()
        .and_then(CampaignStatus::from_code)
        .ok_or(AppError::BadRequest)?;
    let done = match status {
        CampaignStatus::Closed => {
            campaigns::close(&state.db, &viewer.scope, c.id, &viewer.actor).await?;
            "closed"
        }
        CampaignStatus::Open => {
            campaigns::reopen(&state.db, &viewer.scope, c.id, &viewer.actor).await?;
            "reopened"
        }
    };
    Ok(back(c.id, node_of(f.node.as_deref()), done))
}

/// `POST /campaigns/{id}/deadline`: moves the deadline (on-time rates follow it).
pub async fn set_deadline(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<ActionFields>,
) -> Result<Response, AppError> {
    let c = managed(&state, &viewer, &csrf, ids.id, f.token.as_deref()).await?;
    let node = node_of(f.node.as_deref());
    let raw = value::trim(f.deadline.as_deref().unwrap_or("")).to_string();
    let Some(deadline) = value::parse_date(&raw) else {
        let m = bad_date(&raw, lang);
        return refused(&state, &viewer, lang, &csrf, c.id, node, vec![m]).await;
    };
    match campaigns::set_deadline(&state.db, &viewer.scope, c.id, deadline, &viewer.actor).await {
        Ok(_) => Ok(back(c.id, node, "deadline")),
        Err(e) => {
            let errors = rejected(e, lang)?;
            refused(&state, &viewer, lang, &csrf, c.id, node, errors).await
        }
    }
}

/// `POST /campaigns/{id}/expected`: puts a chamber on the list of units expected to report
/// (`expected=yes`) or takes it off (`expected=no`).
pub async fn set_expected(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<ActionFields>,
) -> Result<Response, AppError> {
    let c = managed(&state, &viewer, &csrf, ids.id, f.token.as_deref()).await?;
    let node = node_of(f.node.as_deref());
    let raw = value::trim(f.unit.as_deref().unwrap_or("")).to_string();
    let unit = value::parse_int(raw.trim_start_matches('#'));
    let expected = f.expected.as_deref().and_then(value::parse_bool);
    let (Some(unit), Some(expected)) = (unit, expected) else {
        let m = lang.t("campaign.unit_required").to_string();
        return refused(&state, &viewer, lang, &csrf, c.id, node, vec![m]).await;
    };
    match campaigns::set_expected(
        &state.db,
        &viewer.scope,
        c.id,
        unit,
        expected,
        &viewer.actor,
    )
    .await
    {
        Ok(()) => Ok(back(
            c.id,
            node,
            if expected {
                "unit_added"
            } else {
                "unit_removed"
            },
        )),
        // The campaign is the viewer's (checked above): what is missing is the unit.
        Err(StoreError::NotFound) => {
            let m = Msg::new("problem.not_found").with("id", unit).render(lang);
            refused(&state, &viewer, lang, &csrf, c.id, node, vec![m]).await
        }
        Err(e) => {
            let errors = rejected(e, lang)?;
            refused(&state, &viewer, lang, &csrf, c.id, node, errors).await
        }
    }
}

#[derive(serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
    pub expected: Option<String>,
    pub skipped: Option<String>,
    pub node: Option<String>,
}

/// The flash after a change of the campaign page.
pub fn flash(q: &Query<Done>, lang: Lang) -> Option<String> {
    let n = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
            .to_string()
    };
    let key = match q.done.as_deref()? {
        "opened" => {
            return Some(lang.tf(
                "campaign.flash_opened",
                &[("expected", &n(&q.expected)), ("skipped", &n(&q.skipped))],
            ));
        }
        "closed" => "campaign.flash_closed",
        "reopened" => "campaign.flash_reopened",
        "deadline" => "campaign.flash_deadline",
        "unit_added" => "campaign.flash_unit_added",
        "unit_removed" => "campaign.flash_unit_removed",
        _ => return None,
    };
    Some(lang.t(key).to_string())
}
