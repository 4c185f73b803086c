//! A campaign's rectification figures (整改统计) for one node of the tree: notices issued,
//! closed (销号), the closure and on-time closure rates, the average days to close and the overdue
//! notices; by child (a link one level down, and a bar chart of the closure rate), by rule, by
//! category, and the overdue notices themselves. The figures are `store::rectify`'s; the workbook
//! export and the command line's `shanghui rectify export` are both [`rectify_tables`], so the
//! three always agree.
//!
//! The figures of a node are kept between requests while the campaign's generation (bumped by
//! every notice written and every step of one) and the day (overdue is a matter of the date) stay
//! the same, as the reporting rates are (`cache.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use shanghui_core::account::Permission;
use shanghui_core::rectify::{Stats, status_label};
use shanghui_core::report::percent;
use shanghui_core::review::Trigger;
use shanghui_core::{Lang, OrgKind, Organization, Scope};
use shanghui_files::Table;
use shanghui_store::campaigns::{self, Campaign};
use shanghui_store::rectify::{self, Filter, NodeStats, NoticeRow, PartStats};
use shanghui_store::{Db, rulesets, templates};

use super::campaigns::{Ids, title};
use super::upload::{XLSX, download};
use super::{Viewer, today};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Overdue notices the page lists; the export has every notice.
pub const OVERDUE_SHOWN: i64 = 200;

// -------------------------------------------------------------------------------------------------
// The figures as tables: the workbook of the page and of `shanghui rectify export`.

fn stats_cells(s: &Stats) -> Vec<String> {
    vec![
        s.issued.to_string(),
        s.closed.to_string(),
        percent(s.closure_rate()),
        percent(s.on_time_rate()),
        average_days(s),
        s.overdue.to_string(),
    ]
}

fn average_days(s: &Stats) -> String {
    s.average_days()
        .map(|d| format!("{d:.1}"))
        .unwrap_or_else(|| "—".into())
}

const STATS_COLUMNS: [&str; 6] = [
    "rectify.col_issued",
    "rectify.col_closed",
    "rectify.col_closure_rate",
    "rectify.col_on_time_rate",
    "rectify.col_average_days",
    "rectify.col_overdue",
];

fn stats_header(first: &str, lang: Lang) -> Vec<String> {
    std::iter::once(lang.t(first).to_string())
        .chain(STATS_COLUMNS.iter().map(|k| lang.t(k).to_string()))
        .collect()
}

fn category_name(p: &PartStats, lang: Lang) -> String {
    p.category
        .map(|c| c.label(lang).to_string())
        .unwrap_or_else(|| lang.t("review.no_category").to_string())
}

/// The columns of a list of notices (the notices sheet, the list's export).
pub const NOTICE_COLUMNS: [&str; 8] = [
    "common.id",
    "field.name",
    "rectify.col_year",
    "rectify.col_issued_on",
    "rectify.col_deadline",
    "rectify.col_status",
    "rectify.col_open_items",
    "rectify.col_closed_on",
];

/// A notice as a row of [`NOTICE_COLUMNS`].
pub fn notice_cells(n: &NoticeRow, today: NaiveDate, lang: Lang) -> Vec<String> {
    vec![
        n.notice_id.to_string(),
        n.org_name.clone(),
        n.year.to_string(),
        n.issued_on.to_string(),
        n.deadline.to_string(),
        status_label(n.status(), n.overdue(today), lang),
        n.open_items.to_string(),
        n.closed_on.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// The figures of a node, read from the store once.
pub struct Figures {
    pub stats: NodeStats,
    pub by_rule: Vec<(String, Stats)>,
    pub by_category: Vec<PartStats>,
}

/// Reads the figures of `node` (in `scope`), of one campaign or of all.
pub async fn figures(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    campaign: Option<i64>,
) -> shanghui_store::Result<Figures> {
    // Three independent scans of the subtree's notices: run side by side (each on a connection
    // of its own), the national root's figures take the longest of them, not their sum.
    let (stats, by_rule, by_category) = tokio::try_join!(
        rectify::stats(db, scope, node, campaign),
        rectify::stats_by_rule(db, scope, node, campaign),
        rectify::stats_by_category(db, scope, node, campaign),
    )?;
    Ok(Figures {
        stats,
        by_rule,
        by_category,
    })
}

/// The figures as tables, one sheet each: the node and its children, by rule, by category, then
/// every notice of `notices`.
pub fn figure_tables(
    node: &Organization,
    f: &Figures,
    notices: &[NoticeRow],
    lang: Lang,
) -> Vec<Table> {
    let mut by_child = vec![
        std::iter::once(node.record.name.clone())
            .chain(stats_cells(&f.stats.stats))
            .collect::<Vec<_>>(),
    ];
    by_child.extend(f.stats.children.iter().map(|c| {
        std::iter::once(format!("  {}", c.name))
            .chain(stats_cells(&c.stats))
            .collect()
    }));
    let by_rule = f
        .by_rule
        .iter()
        .map(|(code, s)| {
            std::iter::once(code.clone())
                .chain(stats_cells(s))
                .collect()
        })
        .collect();
    let by_category = f
        .by_category
        .iter()
        .map(|p| {
            std::iter::once(category_name(p, lang))
                .chain(stats_cells(&p.stats))
                .collect()
        })
        .collect();
    let today = today();
    vec![
        Table {
            sheet: lang.t("rectify.sheet_units").to_string(),
            header: stats_header("review.col_part", lang),
            rows: by_child,
        },
        Table {
            sheet: lang.t("rectify.sheet_rules").to_string(),
            header: stats_header("review.col_code", lang),
            rows: by_rule,
        },
        Table {
            sheet: lang.t("rectify.sheet_categories").to_string(),
            header: stats_header("review.col_part", lang),
            rows: by_category,
        },
        Table {
            sheet: lang.t("rectify.sheet_notices").to_string(),
            header: NOTICE_COLUMNS
                .iter()
                .map(|k| lang.t(k).to_string())
                .collect(),
            rows: notices
                .iter()
                .map(|n| notice_cells(n, today, lang))
                .collect(),
        },
    ]
}

/// The rectification figures of `node` as tables (every notice below it), for the page's export
/// and for the command line's `shanghui rectify export` and `status`.
pub async fn rectify_tables(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    campaign: Option<i64>,
    lang: Lang,
) -> shanghui_store::Result<Vec<Table>> {
    let f = figures(db, scope, node, campaign).await?;
    let notices = rectify::list(
        db,
        &Scope::subtree(node.path.clone()),
        &Filter {
            campaign_id: campaign,
            limit: i64::MAX,
            ..Default::default()
        },
    )
    .await?;
    Ok(figure_tables(node, &f, &notices, lang))
}

// -------------------------------------------------------------------------------------------------
// Figures kept between requests.

/// What the page shows of a node: the figures and the first overdue notices.
pub struct PageFigures {
    pub figures: Figures,
    pub overdue: Vec<NoticeRow>,
}

/// Entries kept at most; past that the cache starts again empty.
const MAX_ENTRIES: usize = 4_096;

/// (campaign, node) → (the campaign's generation and the day when computed, the figures).
type Entries = HashMap<(i64, i64), (i64, NaiveDate, Arc<PageFigures>)>;

#[derive(Default)]
pub struct FiguresCache {
    entries: Mutex<Entries>,
}

impl FiguresCache {
    /// The figures of `node` in `c`, from the cache when neither `c` nor the day has changed.
    pub async fn get(
        &self,
        db: &Db,
        scope: &Scope,
        c: &Campaign,
        node: &Organization,
    ) -> shanghui_store::Result<Arc<PageFigures>> {
        // The figures depend on the node only; the scope is checked here on a hit and by the
        // store on a miss.
        if !scope.contains(&node.path) {
            return Err(shanghui_store::StoreError::NotFound);
        }
        let key = (c.id, node.id);
        let day = today();
        if let Some((generation, on, f)) = self.lock().get(&key)
            && *generation == c.generation
            && *on == day
        {
            return Ok(f.clone());
        }
        let below = Scope::subtree(node.path.clone());
        let overdue = Filter {
            campaign_id: Some(c.id),
            overdue: true,
            limit: OVERDUE_SHOWN,
            ..Default::default()
        };
        let (figures, overdue) = tokio::try_join!(
            figures(db, scope, node, Some(c.id)),
            rectify::list(db, &below, &overdue),
        )?;
        let f = Arc::new(PageFigures { figures, overdue });
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (c.generation, day, f.clone()));
        Ok(f)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

// -------------------------------------------------------------------------------------------------
// The page.

pub struct Card {
    pub id: &'static str,
    pub label: String,
    pub value: String,
}

pub struct PartRow {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub issued: i64,
    pub closed: i64,
    pub closure_rate: String,
    pub on_time_rate: String,
    pub average_days: String,
    pub overdue: i64,
}

pub struct RuleRow {
    pub code: String,
    pub name: String,
    pub issued: i64,
    pub closed: i64,
    pub closure_rate: String,
    pub on_time_rate: String,
    pub average_days: String,
    pub overdue: i64,
}

pub struct OverdueRow {
    pub href: String,
    pub id: i64,
    pub org_name: String,
    pub deadline: String,
    pub days_over: i64,
    pub status: String,
    pub open_items: i64,
}

/// One bar of the chart, its geometry worked out here so the template only places it.
#[derive(askama::Template, WebTemplate)]
#[template(path = "rectify.html")]
pub struct FiguresPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub id: i64,
    pub title: String,
    pub node_id: i64,
    pub node_name: String,
    pub crumbs: Vec<(String, String)>,
    pub cards: Vec<Card>,
    pub children: Vec<PartRow>,
    pub chart: super::chart::Chart,
    pub rules: Vec<RuleRow>,
    pub categories: Vec<PartRow>,
    pub overdue: Vec<OverdueRow>,
    pub overdue_note: String,
    /// The list of the node's notices.
    pub notices_href: String,
    pub can_analyse: bool,
}

fn cards(s: &Stats, lang: Lang) -> Vec<Card> {
    let card = |id, key: &str, value: String| Card {
        id,
        label: lang.t(key).to_string(),
        value,
    };
    vec![
        card("card-issued", "rectify.col_issued", s.issued.to_string()),
        card("card-closed", "rectify.col_closed", s.closed.to_string()),
        card(
            "card-closure-rate",
            "rectify.col_closure_rate",
            percent(s.closure_rate()),
        ),
        card(
            "card-on-time-rate",
            "rectify.col_on_time_rate",
            percent(s.on_time_rate()),
        ),
        card(
            "card-average-days",
            "rectify.col_average_days",
            average_days(s),
        ),
        card("card-overdue", "rectify.col_overdue", s.overdue.to_string()),
    ]
}

/// The names of the rules (and kinds of problem recorded by hand) of a campaign's form, by code.
pub async fn rule_names(
    db: &Db,
    template_id: i64,
    lang: Lang,
) -> shanghui_store::Result<HashMap<String, String>> {
    let t = templates::get(db, template_id).await?;
    Ok(rulesets::current(db, &t.form_id)
        .await?
        .into_iter()
        .map(|r| (r.rule.code.clone(), r.rule.name(lang).to_string()))
        .collect())
}

/// The name of a rule code (or a trigger code) for people.
pub fn rule_name(code: &str, names: &HashMap<String, String>, lang: Lang) -> String {
    if let Some(n) = names.get(code) {
        return n.clone();
    }
    Trigger::find(code)
        .map(|t| t.label(lang).to_string())
        .unwrap_or_else(|| code.to_string())
}

pub fn figures_href(c: i64, node: i64) -> String {
    format!("/campaigns/{c}/rectify?node={node}")
}

fn part_row(p: &PartStats, href: String, name: String, lang: Lang) -> PartRow {
    PartRow {
        href,
        name,
        kind: p
            .kind
            .map(|k| k.label(lang).to_string())
            .unwrap_or_default(),
        issued: p.stats.issued,
        closed: p.stats.closed,
        closure_rate: percent(p.stats.closure_rate()),
        on_time_rate: percent(p.stats.on_time_rate()),
        average_days: average_days(&p.stats),
        overdue: p.stats.overdue,
    }
}

pub fn notices_href(campaign: i64, node: i64, status: &str) -> String {
    format!("/notices?campaign={campaign}&node={node}&status={status}")
}

#[derive(serde::Deserialize)]
pub struct Params {
    node: Option<String>,
}

/// `GET /campaigns/{id}/rectify?node=ORG_ID`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<FiguresPage, AppError> {
    viewer.require(Permission::ViewReports)?;
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, q.node.as_deref()).await?;
    let crumbs = super::campaigns::crumbs(&state, &viewer, &c, &node, figures_href).await?;
    let pf = state
        .rectify
        .get(&state.db, &viewer.scope, &c, &node)
        .await?;
    let f = &pf.figures;
    let names = rule_names(&state.db, c.template_id, lang).await?;
    let children = f
        .stats
        .children
        .iter()
        .map(|p| {
            let id = p.id.unwrap_or_default();
            // A chamber has nothing below it: its link is its notices.
            let href = if p.kind == Some(OrgKind::Chamber) {
                notices_href(c.id, id, "all")
            } else {
                figures_href(c.id, id)
            };
            part_row(p, href, p.name.clone(), lang)
        })
        .collect();
    let rules = f
        .by_rule
        .iter()
        .map(|(code, s)| RuleRow {
            code: code.clone(),
            name: rule_name(code, &names, lang),
            issued: s.issued,
            closed: s.closed,
            closure_rate: percent(s.closure_rate()),
            on_time_rate: percent(s.on_time_rate()),
            average_days: average_days(s),
            overdue: s.overdue,
        })
        .collect();
    let categories = f
        .by_category
        .iter()
        .map(|p| part_row(p, String::new(), category_name(p, lang), lang))
        .collect();
    let today = today();
    let overdue: Vec<OverdueRow> = pf
        .overdue
        .iter()
        .map(|n| OverdueRow {
            href: format!("/notices/{}", n.notice_id),
            id: n.notice_id,
            org_name: n.org_name.clone(),
            deadline: n.deadline.to_string(),
            days_over: (today - n.deadline).num_days(),
            status: n.status().label(lang).to_string(),
            open_items: n.open_items,
        })
        .collect();
    let total = f.stats.stats.overdue;
    let overdue_note = if (overdue.len() as i64) < total {
        lang.tf(
            "rectify_page.overdue_limited",
            &[
                ("total", &total.to_string()),
                ("shown", &overdue.len().to_string()),
            ],
        )
    } else {
        lang.tf(
            "rectify_page.overdue_count",
            &[("total", &total.to_string())],
        )
    };
    Ok(FiguresPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, &csrf)),
        id: c.id,
        title: title(&c, lang),
        node_id: node.id,
        node_name: node.record.name.clone(),
        crumbs,
        cards: cards(&f.stats.stats, lang),
        chart: super::chart::bars(
            "closure-chart",
            lang.t("rectify_page.chart_title").to_string(),
            f.stats
                .children
                .iter()
                .map(|p| (p.name.as_str(), p.stats.closure_rate())),
        ),
        children,
        rules,
        categories,
        overdue,
        overdue_note,
        notices_href: notices_href(c.id, node.id, "open"),
        can_analyse: viewer.analyses(),
    })
}

/// `GET /campaigns/{id}/rectify.xlsx?node=ORG_ID`: the figures (by unit below, by rule, by
/// category) and every notice of the node, one sheet each, as `shanghui rectify export` writes
/// them.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ViewReports)?;
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, q.node.as_deref()).await?;
    let name = lang.tf(
        "rectify_page.file",
        &[("year", &c.year.to_string()), ("node", &node.record.name)],
    );
    let t = rectify_tables(&state.db, &viewer.scope, &node, Some(c.id), lang).await?;
    let bytes = tokio::task::spawn_blocking(move || shanghui_files::write_tables_xlsx(&t))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        XLSX,
        &format!("{name}.xlsx"),
        "rectify.xlsx",
        bytes,
    ))
}
