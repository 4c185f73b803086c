//! A campaign's dashboard for one node of the tree: the node's figures, its children's (each a
//! link one level down), a bar chart of their reporting rates drawn on the server, and the units
//! that have not submitted. A handful of queries whatever the size of the subtree: the rates are
//! one range scan per child on the report table's index, the missing list is limited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use shanghui_core::account::Permission;
use shanghui_core::report::{CampaignStatus, Rates, ReportStatus, percent};
use shanghui_core::{Lang, OrgKind};
use shanghui_store::campaigns::{self, MissingUnit};
use shanghui_store::templates;

use super::Viewer;
use super::campaigns::{Done, Ids, flash, manages, status_label, title};
use super::upload::{CSV, XLSX, download};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Units the page lists of those that have not submitted; the export has them all.
pub const MISSING_SHOWN: i64 = 200;

pub struct Card {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
}

pub struct ChildRow {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub expected: i64,
    pub submitted: i64,
    pub rate: String,
    pub on_time_rate: String,
    pub missing: i64,
}

/// One bar of the chart, its geometry worked out here so the template only places it.
pub struct MissingRow {
    pub id: i64,
    pub name: String,
    pub parent: String,
    pub uscc: String,
    pub status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign.html")]
pub struct Dashboard {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub id: i64,
    pub title: String,
    pub status: String,
    pub closed: bool,
    pub opens_on: String,
    pub deadline: String,
    pub template_id: i64,
    pub template: String,
    pub created_by: String,
    pub node_id: i64,
    pub node_name: String,
    /// (link, name) from the campaign's federation (or the top of the reader's scope) to the node.
    pub crumbs: Vec<(String, String)>,
    pub cards: Vec<Card>,
    pub children: Vec<ChildRow>,
    pub chart: super::chart::Chart,
    pub missing: Vec<MissingRow>,
    pub missing_note: String,
    pub can_manage: bool,
    /// Staff may enter reports from files for the units of their scope.
    pub can_import: bool,
    pub action_errors: Vec<String>,
}

fn cards(r: &Rates) -> Vec<Card> {
    vec![
        Card {
            id: "card-expected",
            label: "campaign.expected",
            value: r.expected.to_string(),
        },
        Card {
            id: "card-submitted",
            label: "campaign.submitted",
            value: r.submitted.to_string(),
        },
        Card {
            id: "card-rate",
            label: "campaign.rate",
            value: percent(r.reporting_rate()),
        },
        Card {
            id: "card-on-time",
            label: "campaign.on_time_rate",
            value: percent(r.on_time_rate()),
        },
        Card {
            id: "card-missing",
            label: "campaign.missing",
            value: r.missing().to_string(),
        },
    ]
}

fn report_status(s: Option<ReportStatus>, lang: Lang) -> String {
    match s {
        Some(s) => s.label(lang).to_string(),
        None => lang.t("report_status.not_started").to_string(),
    }
}

fn missing_row(m: MissingUnit, lang: Lang) -> MissingRow {
    MissingRow {
        id: m.id,
        status: report_status(m.status, lang),
        name: m.name,
        parent: m.parent_name.unwrap_or_default(),
        uscc: m.uscc.unwrap_or_default(),
    }
}

/// Everything the dashboard shows, also used to show it again with the errors of its forms.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    id: i64,
    asked: Option<i64>,
    action_errors: Vec<String>,
) -> Result<Dashboard, AppError> {
    let c = campaigns::get(&state.db, &viewer.scope, id).await?;
    let node = super::campaigns::node_by_id(state, viewer, &c, asked).await?;
    let crumbs = super::campaigns::crumbs(state, viewer, &c, &node, |c, n| {
        format!("/campaigns/{c}?node={n}")
    })
    .await?;
    let rates = state
        .rates
        .rates(&state.db, &viewer.scope, &c, &node)
        .await?;
    let missing = campaigns::missing(&state.db, &viewer.scope, &c, &node, MISSING_SHOWN).await?;
    let total = rates.rates.missing();
    let t = templates::get(&state.db, c.template_id).await?;
    let children = rates
        .children
        .iter()
        .map(|ch| ChildRow {
            // A chamber has nothing below it: its link is its report.
            href: if ch.kind == OrgKind::Chamber {
                format!("/campaigns/{}/reports/{}", c.id, ch.id)
            } else {
                format!("/campaigns/{}?node={}", c.id, ch.id)
            },
            name: ch.name.clone(),
            kind: ch.kind.label(lang).to_string(),
            expected: ch.rates.expected,
            submitted: ch.rates.submitted,
            rate: percent(ch.rates.reporting_rate()),
            on_time_rate: percent(ch.rates.on_time_rate()),
            missing: ch.rates.missing(),
        })
        .collect();
    let shown = missing.len();
    let missing_note = if (shown as i64) < total {
        lang.tf(
            "campaign.missing_limited",
            &[("total", &total.to_string()), ("shown", &shown.to_string())],
        )
    } else {
        lang.tf("campaign.missing_count", &[("total", &total.to_string())])
    };
    Ok(Dashboard {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        id: c.id,
        title: title(&c, lang),
        status: status_label(&c, lang),
        closed: c.status == CampaignStatus::Closed,
        opens_on: c.opens_on.to_string(),
        deadline: c.deadline.to_string(),
        template_id: c.template_id,
        template: super::campaigns::template_label(
            match lang {
                Lang::ZhCn => &t.title_zh,
                Lang::En => &t.title_en,
            },
            t.version as i64,
            lang,
        ),
        created_by: c.created_by.clone(),
        node_id: node.id,
        node_name: node.record.name.clone(),
        crumbs,
        cards: cards(&rates.rates),
        chart: super::chart::bars(
            "rate-chart",
            lang.t("campaign.chart_title").to_string(),
            rates
                .children
                .iter()
                .map(|c| (c.name.as_str(), c.rates.reporting_rate())),
        ),
        children,
        missing: missing.into_iter().map(|m| missing_row(m, lang)).collect(),
        missing_note,
        can_manage: manages(viewer, &c),
        can_import: viewer.can(Permission::ManageCampaigns),
        action_errors,
    })
}

/// `GET /campaigns/{id}?node=ORG_ID`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    q: Query<Done>,
) -> Result<Dashboard, AppError> {
    viewer.require(Permission::ViewReports)?;
    let asked = super::campaigns::parse_node(q.node.as_deref())?;
    let mut page = render(&state, &viewer, lang, &csrf, ids.id, asked, Vec::new()).await?;
    page.flash = flash(&q, lang);
    Ok(page)
}

/// `GET /campaigns/{id}/missing.csv?node=ORG_ID`: every unit of the node that has not
/// submitted, for the telephone round.
pub async fn missing_csv(
    state: State<AppState>,
    viewer: Viewer,
    lang: ReaderLang,
    ids: Ids,
    q: Query<Done>,
) -> Result<Response, AppError> {
    missing_list(state, viewer, lang, ids, q, false).await
}

/// `GET /campaigns/{id}/missing.xlsx?node=ORG_ID`: the same list as a workbook.
pub async fn missing_xlsx(
    state: State<AppState>,
    viewer: Viewer,
    lang: ReaderLang,
    ids: Ids,
    q: Query<Done>,
) -> Result<Response, AppError> {
    missing_list(state, viewer, lang, ids, q, true).await
}

async fn missing_list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    q: Query<Done>,
    xlsx: bool,
) -> Result<Response, AppError> {
    viewer.require(Permission::ViewReports)?;
    let asked = super::campaigns::parse_node(q.node.as_deref())?;
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::node_by_id(&state, &viewer, &c, asked).await?;
    let missing = campaigns::missing(&state.db, &viewer.scope, &c, &node, i64::MAX).await?;
    let header = [
        "common.id",
        "field.name",
        "field.uscc",
        "campaign.col_parent",
        "report.col_status",
    ]
    .map(|k| lang.t(k).to_string());
    let rows: Vec<Vec<String>> = missing
        .into_iter()
        .map(|m| {
            let r = missing_row(m, lang);
            vec![r.id.to_string(), r.name, r.uscc, r.parent, r.status]
        })
        .collect();
    let name = lang.tf(
        "campaign.missing_file",
        &[("year", &c.year.to_string()), ("node", &node.record.name)],
    );
    Ok(if xlsx {
        let bytes =
            shanghui_files::write_table_xlsx(lang.t("campaign.missing_sheet"), &header, &rows)
                .map_err(|e| AppError::Internal(e.to_string()))?;
        download(XLSX, &format!("{name}.xlsx"), "missing.xlsx", bytes)
    } else {
        download(
            CSV,
            &format!("{name}.csv"),
            "missing.csv",
            shanghui_files::write_table_csv(&header, &rows),
        )
    })
}
