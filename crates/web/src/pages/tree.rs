//! The tree browser and the unit page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use shanghui_core::Lang;
use shanghui_core::field::Field;
use shanghui_core::org::{OrgKind, Organization};
use shanghui_store::orgs;

use super::{NodeView, OrgId, Viewer, display_value, kind_label, local_time, summary, totals};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};
use shanghui_core::account::Permission;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct Home {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    note: Option<String>,
    tops: Vec<NodeView>,
    /// A chamber secretary's own reports, newest year first, each with a link to fill or read it.
    reports: Vec<super::reports::UnitReport>,
    /// A chamber secretary's open rectification notices, most urgent first.
    notices: Vec<super::rectify::NoticeLine>,
}

pub async fn node_view(
    state: &AppState,
    viewer: &Viewer,
    org: &Organization,
    lang: Lang,
) -> Result<NodeView, AppError> {
    let children = orgs::children(&state.db, &viewer.scope, org).await?;
    let below = orgs::counts_below(&state.db, org).await?;
    Ok(NodeView {
        id: org.id,
        name: org.record.name.clone(),
        kind: kind_label(org, lang),
        totals: totals(below, lang),
        children: children
            .iter()
            .map(|c| summary(&c.org, c.below, lang, &state.divisions))
            .collect(),
    })
}

/// `/` and `/orgs`: the reader's top units with their children.
pub async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<Home, AppError> {
    // Everyone signed in lands here; roles without the registry (reviewers, evaluators) are told
    // where their work will appear instead of being refused.
    let mut tops = Vec::new();
    let note = if viewer.can(Permission::ViewRegistry) {
        for org in orgs::tops(&state.db, &viewer.scope).await? {
            tops.push(node_view(&state, &viewer, &org, lang).await?);
        }
        None
    } else {
        Some(lang.t("home.no_registry").to_string())
    };
    let (reports, notices) = match (viewer.role(), viewer.user.organization_id) {
        (shanghui_core::account::Role::ChamberSecretary, Some(own)) => (
            super::reports::of_unit(&state, &viewer, own, lang).await?,
            super::rectify::open_notices_of(&state, &viewer, own, lang).await?,
        ),
        _ => (Vec::new(), Vec::new()),
    };
    Ok(Home {
        note,
        me: Some(viewer.me(lang, &csrf)),
        lang,
        flash: None,
        tops,
        reports,
        notices,
    })
}

pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub status: String,
    pub dissolved: bool,
    pub fields: Vec<(String, String)>,
    pub updated_at: String,
    pub version: i64,
}

pub struct HistoryLine {
    pub when: String,
    pub who: String,
    pub action: String,
    pub lines: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "unit.html")]
pub struct Unit {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub can_edit: bool,
    pub crumbs: Vec<(i64, String)>,
    pub org: OrgView,
    pub c: NodeView,
    pub links: Vec<String>,
    pub history: Vec<HistoryLine>,
    pub can_have_children: bool,
    pub csrf: String,
    pub today: String,
    pub action_errors: Vec<String>,
    /// The unit's annual reports by year (for readers of the reports).
    pub reports: Vec<super::reports::UnitReport>,
    pub show_reports: bool,
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn flash_for(done: Option<&str>, name: &str, lang: Lang) -> Option<String> {
    let key = match done? {
        "created" => "flash.created",
        "saved" => "flash.saved",
        "moved" => "flash.moved",
        "dissolved" => "flash.dissolved",
        _ => return None,
    };
    Some(lang.tf(key, &[("name", name)]))
}

fn org_view(org: &Organization, state: &AppState, lang: Lang) -> OrgView {
    let input = org.record.to_input(lang);
    let r = &org.record;
    let fields: Vec<(String, String)> = Field::ALL
        .iter()
        .filter(|f| !matches!(f, Field::Id | Field::Parent))
        // Fields that do not apply to this kind of unit, and conditional details left empty
        // (reasons, dissolution date), are not shown.
        .filter(|f| match f {
            Field::Level => r.kind == OrgKind::Federation,
            Field::Category => r.kind == OrgKind::Chamber,
            Field::UsccOverrideReason
            | Field::UnregisteredReason
            | Field::PartyOrgReason
            | Field::DissolvedOn => input.contains_key(f),
            _ => true,
        })
        .map(|f| {
            let v = input.get(f).cloned().unwrap_or_default();
            let v = match (f, org.record.division_code.as_ref()) {
                (Field::DivisionCode, Some(c)) => {
                    format!("{v}（{}）", state.divisions.full_name(c))
                }
                _ => v,
            };
            (f.label(lang).to_string(), v)
        })
        .collect();
    let fields = [(lang.t("common.id").to_string(), org.id.to_string())]
        .into_iter()
        .chain(fields)
        .collect();
    OrgView {
        id: org.id,
        name: org.record.name.clone(),
        kind: kind_label(org, lang),
        status: org.record.status.label(lang).to_string(),
        dissolved: org.record.status == shanghui_core::OrgStatus::Dissolved,
        fields,
        updated_at: local_time(org.updated_at),
        version: org.version,
    }
}

fn history_lines(e: &orgs::Event, lang: Lang) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&e.detail) else {
        return Vec::new();
    };
    if let Some(changes) = v.get("changes").and_then(|c| c.as_array()) {
        return changes
            .iter()
            .filter_map(|c| {
                let field = Field::from_code(c.get("field")?.as_str()?)?;
                let show = |k: &str| {
                    c.get(k)
                        .and_then(|x| x.as_str())
                        .map(|s| display_value(field, s, lang))
                        .unwrap_or_else(|| "—".into())
                };
                Some(format!(
                    "{}：{} → {}",
                    field.label(lang),
                    show("old"),
                    show("new")
                ))
            })
            .collect();
    }
    if let Some(name) = v.get("to_name").and_then(|n| n.as_str()) {
        return vec![lang.tf("history.moved_to", &[("name", name)])];
    }
    if v.get("fields").is_some() {
        return vec![lang.t("history.created_fields").to_string()];
    }
    Vec::new()
}

/// Everything the unit page shows, also used to re-render it with errors from its forms.
pub async fn unit_page(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    lang: Lang,
    csrf: &Token,
    flash: Option<String>,
    action_errors: Vec<String>,
) -> Result<Unit, AppError> {
    let org = orgs::require(&state.db, &viewer.scope, id).await?;
    // Reports are a chamber's: other units have no section.
    let show_reports = viewer.can(Permission::ViewReports) && org.record.kind == OrgKind::Chamber;
    let crumbs = orgs::ancestors(&state.db, &viewer.scope, &org).await?;
    let c = node_view(state, viewer, &org, lang).await?;
    let links = orgs::links(&state.db, &viewer.scope, id)
        .await?
        .into_iter()
        .map(|l| {
            let to = l
                .valid_to
                .map(|d| d.to_string())
                .unwrap_or_else(|| lang.t("org.link_current").to_string());
            let period = lang.tf(
                "org.link_period",
                &[("from", &l.valid_from.to_string()), ("to", &to)],
            );
            format!("{period}：{}", l.parent_name.unwrap_or_else(|| "—".into()))
        })
        .collect();
    let history = orgs::history(&state.db, &viewer.scope, id)
        .await?
        .iter()
        .map(|e| HistoryLine {
            when: local_time(e.created_at),
            who: e.actor.clone(),
            action: lang.t(&format!("history.{}", e.action)).to_string(),
            lines: history_lines(e, lang),
        })
        .collect();
    Ok(Unit {
        lang,
        flash,
        me: Some(viewer.me(lang, csrf)),
        can_edit: viewer.can(Permission::EditRegistry),
        crumbs,
        can_have_children: org.record.kind.can_have_children()
            && viewer.can(Permission::EditRegistry),
        org: org_view(&org, state, lang),
        c,
        links,
        history,
        csrf: csrf.0.clone(),
        today: super::today().to_string(),
        action_errors,
        reports: if show_reports {
            super::reports::of_unit(state, viewer, id, lang).await?
        } else {
            Vec::new()
        },
        show_reports,
    })
}

pub async fn unit(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(id): OrgId,
    Query(done): Query<Done>,
) -> Result<Unit, AppError> {
    viewer.require(Permission::ViewRegistry)?;
    let mut page = unit_page(&state, &viewer, id, lang, &csrf, None, Vec::new()).await?;
    page.flash = flash_for(done.done.as_deref(), &page.org.name, lang);
    Ok(page)
}
