//! A campaign's problem analysis (精准查找问题) for one node of the tree: run the review over the
//! campaign, then which rules and items fail most, by child (a link one level down, and a bar
//! chart), by category, the units with problems (each a link to its review), the conclusions, and
//! the assignment of reports to third-party reviewers. The figures are `store::analysis`'s; the
//! workbook export and the command line's `shanghui review export` are built by [`tables`] from
//! the same [`Analysis`], so the three always agree.

use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::{Permission, Role};
use shanghui_core::report::percent;
use shanghui_core::review::{Conclusion, Trigger};
use shanghui_core::template::Template;
use shanghui_core::{Lang, Msg, OrgKind, Organization, Scope, value};
use shanghui_files::Table;
use shanghui_store::analysis::{self, PartCount, RuleCount, UnitProblems};
use shanghui_store::campaigns::{self, Campaign};
use shanghui_store::rulesets::{self, StoredRule};
use shanghui_store::{Db, StoreError, accounts, orgs, reports, review, templates};

use super::campaigns::{Ids, check, title};
use super::review::review_href;
use super::upload::{XLSX, download};
use super::{Posted, Viewer};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Units with problems the page lists; the export has them all.
pub const UNITS_SHOWN: i64 = 200;

/// Everything the analysis of a node shows, read from the store once.
pub struct Analysis {
    pub campaign: Campaign,
    pub node: Organization,
    pub template: Template,
    /// The current rules of the template's form (for the rules' names).
    pub rules: Vec<StoredRule>,
    /// Submitted reports of the units expected below the node.
    pub submitted: i64,
    pub by_rule: Vec<RuleCount>,
    pub by_item: Vec<(String, i64)>,
    pub by_child: Vec<PartCount>,
    pub by_category: Vec<PartCount>,
    pub units: Vec<UnitProblems>,
    pub conclusions: Vec<(Option<Conclusion>, i64)>,
}

impl Analysis {
    /// Reports with at least one problem (every report has one category, so the categories add
    /// up to the node).
    pub fn with_problems(&self) -> i64 {
        self.by_category.iter().map(|p| p.with_problems).sum()
    }
    pub fn findings(&self) -> i64 {
        self.by_category.iter().map(|p| p.findings).sum()
    }
    pub fn share(&self, n: i64) -> String {
        share(n, self.submitted)
    }
    /// The name of a rule (or of a kind of problem recorded by hand) in `lang`.
    pub fn rule_name(&self, r: &RuleCount, lang: Lang) -> String {
        match (&r.rule_code, &r.trigger) {
            (Some(code), _) => self
                .rules
                .iter()
                .find(|s| &s.rule.code == code)
                .map(|s| s.rule.name(lang).to_string())
                .unwrap_or_else(|| code.clone()),
            (None, Some(tr)) => Trigger::find(tr)
                .map(|t| t.label(lang).to_string())
                .unwrap_or_else(|| tr.clone()),
            _ => String::new(),
        }
    }
    pub fn item_label(&self, code: &str, lang: Lang) -> String {
        self.template
            .item(code)
            .map(|i| i.label(lang).to_string())
            .unwrap_or_else(|| code.to_string())
    }
}

fn share(n: i64, of: i64) -> String {
    percent((of > 0).then(|| n as f64 / of as f64))
}

/// "↑3", "↓2", "0" (arrows, not signs: a cell beginning with + or - would be taken for a formula
/// and is quoted in the workbook); empty without last year's figure.
fn change(r: &RuleCount) -> String {
    match r.last_year {
        None => String::new(),
        Some(last) => match r.reports - last {
            0 => "0".to_string(),
            d if d > 0 => format!("↑{d}"),
            d => format!("↓{}", -d),
        },
    }
}

fn category_name(p: &PartCount, lang: Lang) -> String {
    p.category
        .map(|c| c.label(lang).to_string())
        .unwrap_or_else(|| lang.t("review.no_category").to_string())
}

fn conclusion_name(c: Option<Conclusion>, lang: Lang) -> String {
    c.map(|c| c.label(lang).to_string())
        .unwrap_or_else(|| lang.t("review.not_concluded").to_string())
}

/// Reads the analysis of `node` (in `scope`) with at most `units_limit` units with problems.
pub async fn analyse(
    db: &Db,
    scope: &Scope,
    campaign: Campaign,
    node: Organization,
    units_limit: i64,
) -> shanghui_store::Result<Analysis> {
    let c = &campaign;
    let template = templates::get(db, c.template_id).await?;
    let rules = rulesets::current(db, &template.form_id).await?;
    let submitted = campaigns::totals(db, scope, c, &node).await?.submitted;
    Ok(Analysis {
        by_rule: analysis::by_rule(db, scope, c, &node).await?,
        by_item: analysis::by_item(db, scope, c, &node).await?,
        by_child: analysis::by_child(db, scope, c, &node).await?,
        by_category: analysis::by_category(db, scope, c, &node).await?,
        units: analysis::units(db, scope, c, &node, units_limit).await?,
        conclusions: analysis::conclusions(db, scope, c, &node).await?,
        template,
        rules,
        submitted,
        campaign,
        node,
    })
}

/// The analysis as tables, one sheet each: by rule (with last year and the change), by unit
/// below, by category, the units with problems, the conclusions, by item.
pub fn tables(a: &Analysis, lang: Lang) -> Vec<Table> {
    let h = |keys: &[&str]| {
        keys.iter()
            .map(|k| lang.t(k).to_string())
            .collect::<Vec<_>>()
    };
    let rule_rows = a
        .by_rule
        .iter()
        .map(|r| {
            vec![
                r.rule_code
                    .clone()
                    .or(r.trigger.clone())
                    .unwrap_or_default(),
                a.rule_name(r, lang),
                r.severity.label(lang).to_string(),
                r.reports.to_string(),
                a.share(r.reports),
                r.last_year.map(|n| n.to_string()).unwrap_or_default(),
                change(r),
            ]
        })
        .collect();
    let part_rows = |parts: &[PartCount], by_category: bool| -> Vec<Vec<String>> {
        parts
            .iter()
            .map(|p| {
                vec![
                    if by_category {
                        category_name(p, lang)
                    } else {
                        p.name.clone()
                    },
                    p.submitted.to_string(),
                    p.with_problems.to_string(),
                    percent(p.share()),
                    p.findings.to_string(),
                ]
            })
            .collect()
    };
    let units = a
        .units
        .iter()
        .map(|u| {
            vec![
                u.id.to_string(),
                u.name.clone(),
                u.findings.to_string(),
                u.codes.clone(),
                u.conclusion
                    .map(|c| c.label(lang).to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let conclusions = a
        .conclusions
        .iter()
        .map(|(c, n)| vec![conclusion_name(*c, lang), n.to_string(), a.share(*n)])
        .collect();
    let items = a
        .by_item
        .iter()
        .map(|(code, n)| {
            vec![
                code.clone(),
                a.item_label(code, lang),
                n.to_string(),
                a.share(*n),
            ]
        })
        .collect();
    let part_header = h(&[
        "review.col_part",
        "review.col_submitted",
        "review.col_with_problems",
        "review.col_share",
        "review.col_findings",
    ]);
    vec![
        Table {
            sheet: lang.t("review.sheet_rules").to_string(),
            header: h(&[
                "review.col_code",
                "review.col_rule",
                "review.col_severity",
                "review.col_reports",
                "review.col_share",
                "review.col_last_year",
                "review.col_change",
            ]),
            rows: rule_rows,
        },
        Table {
            sheet: lang.t("review.sheet_children").to_string(),
            header: part_header.clone(),
            rows: part_rows(&a.by_child, false),
        },
        Table {
            sheet: lang.t("review.sheet_categories").to_string(),
            header: part_header,
            rows: part_rows(&a.by_category, true),
        },
        Table {
            sheet: lang.t("review.sheet_units").to_string(),
            header: h(&[
                "common.id",
                "field.name",
                "review.col_findings",
                "review.col_codes",
                "review.col_conclusion",
            ]),
            rows: units,
        },
        Table {
            sheet: lang.t("review.sheet_conclusions").to_string(),
            header: h(&[
                "review.col_conclusion",
                "review.col_reports",
                "review.col_share",
            ]),
            rows: conclusions,
        },
        Table {
            sheet: lang.t("review.sheet_items").to_string(),
            header: h(&[
                "review.col_code",
                "review.col_item",
                "review.col_reports",
                "review.col_share",
            ]),
            rows: items,
        },
    ]
}

/// The analysis of a campaign as tables (every unit with problems), for the command line's
/// `shanghui review export` and `status`: the node defaults to the federation that opened the
/// campaign.
pub async fn review_tables(
    db: &Db,
    scope: &Scope,
    campaign: i64,
    node: Option<i64>,
    lang: Lang,
) -> shanghui_store::Result<Vec<Table>> {
    let c = campaigns::get(db, scope, campaign).await?;
    let node = orgs::require(db, scope, node.unwrap_or(c.organization_id)).await?;
    let a = analyse(db, scope, c, node, i64::MAX).await?;
    Ok(tables(&a, lang))
}

// -------------------------------------------------------------------------------------------------
// The page.

pub struct Card {
    pub id: &'static str,
    pub label: String,
    pub value: String,
}

pub struct RuleRow {
    pub code: String,
    pub name: String,
    pub manual: bool,
    pub severity: String,
    pub severity_code: &'static str,
    pub reports: i64,
    pub share: String,
    pub last_year: String,
    pub change: String,
}

pub struct ItemRow {
    pub code: String,
    pub label: String,
    pub reports: i64,
    pub share: String,
}

pub struct PartRow {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub submitted: i64,
    pub with_problems: i64,
    pub share: String,
    pub findings: i64,
}

pub struct UnitRow {
    pub href: String,
    pub id: i64,
    pub name: String,
    pub findings: i64,
    pub codes: String,
    pub conclusion: String,
}

/// One bar of a chart, its geometry worked out here so the template only places it.
/// One part of the conclusions' stacked bar, with its legend.
pub struct Segment {
    pub code: &'static str,
    pub label: String,
    pub count: i64,
    pub share: String,
    pub x: String,
    pub width: String,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "analysis.html")]
pub struct AnalysisPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub csrf: String,
    pub id: i64,
    pub title: String,
    pub node_id: i64,
    pub node_name: String,
    pub crumbs: Vec<(String, String)>,
    pub cards: Vec<Card>,
    pub segments: Vec<Segment>,
    pub rules: Vec<RuleRow>,
    pub items: Vec<ItemRow>,
    pub children: Vec<PartRow>,
    pub chart: super::chart::Chart,
    pub categories: Vec<PartRow>,
    pub units: Vec<UnitRow>,
    pub units_note: String,
    pub last_year: i32,
    pub can_run: bool,
    pub can_assign: bool,
    /// (id, "display name (user name)") of the reviewer accounts in scope.
    pub reviewers: Vec<(String, String)>,
    pub assign_reviewer: String,
    pub assign_which: String,
    pub assign_errors: Vec<String>,
    pub can_rules: bool,
}

/// Width of the conclusions' stacked bar.
const STACK_WIDTH: f64 = 600.0;

/// The conclusions as one stacked bar: 合格, 基本合格, 不合格, then those without one.
fn segments(a: &Analysis, lang: Lang) -> Vec<Segment> {
    let total: i64 = a.conclusions.iter().map(|(_, n)| n).sum();
    let order: Vec<Option<Conclusion>> = Conclusion::ALL
        .iter()
        .copied()
        .map(Some)
        .chain([None])
        .collect();
    let mut x = 0.0;
    order
        .into_iter()
        .map(|c| {
            let count = a
                .conclusions
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let width = if total > 0 {
                count as f64 / total as f64 * STACK_WIDTH
            } else {
                0.0
            };
            let s = Segment {
                code: c.map(|c| c.code()).unwrap_or("none"),
                label: conclusion_name(c, lang),
                count,
                share: share(count, total),
                x: format!("{x:.1}"),
                width: format!("{width:.1}"),
            };
            x += width;
            s
        })
        .collect()
}

fn analysis_href(c: i64, node: i64) -> String {
    format!("/campaigns/{c}/review?node={node}")
}

/// The reviewer accounts an assigner may choose: third-party reviewers in its scope, enabled.
async fn reviewers(state: &AppState, viewer: &Viewer) -> Result<Vec<(i64, String)>, AppError> {
    Ok(accounts::list(&state.db, &viewer.scope)
        .await?
        .into_iter()
        .filter(|(u, _)| u.role == Role::Reviewer && !u.disabled)
        .map(|(u, _)| (u.id, format!("{} ({})", u.display_name, u.username)))
        .collect())
}

#[derive(Default)]
struct Assign {
    reviewer: String,
    which: String,
    errors: Vec<String>,
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    c: Campaign,
    node: Organization,
    assign: Assign,
) -> Result<AnalysisPage, AppError> {
    let crumbs = super::campaigns::crumbs(state, viewer, &c, &node, analysis_href).await?;
    let a = analyse(&state.db, &viewer.scope, c, node, UNITS_SHOWN).await?;
    let c = &a.campaign;
    let with_problems = a.with_problems();
    let cards = vec![
        Card {
            id: "card-submitted",
            label: lang.t("review.col_submitted").to_string(),
            value: a.submitted.to_string(),
        },
        Card {
            id: "card-with-problems",
            label: lang.t("review.col_with_problems").to_string(),
            value: with_problems.to_string(),
        },
        Card {
            id: "card-share",
            label: lang.t("analysis.problem_share").to_string(),
            value: a.share(with_problems),
        },
        Card {
            id: "card-findings",
            label: lang.t("review.col_findings").to_string(),
            value: a.findings().to_string(),
        },
    ];
    let rules = a
        .by_rule
        .iter()
        .map(|r| RuleRow {
            code: r
                .rule_code
                .clone()
                .or(r.trigger.clone())
                .unwrap_or_default(),
            name: a.rule_name(r, lang),
            manual: r.rule_code.is_none(),
            severity: r.severity.label(lang).to_string(),
            severity_code: r.severity.code(),
            reports: r.reports,
            share: a.share(r.reports),
            last_year: r.last_year.map(|n| n.to_string()).unwrap_or_default(),
            change: change(r),
        })
        .collect();
    let items = a
        .by_item
        .iter()
        .map(|(code, n)| ItemRow {
            code: code.clone(),
            label: a.item_label(code, lang),
            reports: *n,
            share: a.share(*n),
        })
        .collect();
    let part = |p: &PartCount, href: String, name: String| PartRow {
        href,
        kind: p
            .kind
            .map(|k| k.label(lang).to_string())
            .unwrap_or_default(),
        name,
        submitted: p.submitted,
        with_problems: p.with_problems,
        share: percent(p.share()),
        findings: p.findings,
    };
    let children = a
        .by_child
        .iter()
        .map(|p| {
            let id = p.id.unwrap_or_default();
            // A chamber has nothing below it: its link is its review.
            let href = if p.kind == Some(OrgKind::Chamber) {
                review_href(c.id, id)
            } else {
                analysis_href(c.id, id)
            };
            part(p, href, p.name.clone())
        })
        .collect();
    let categories = a
        .by_category
        .iter()
        .map(|p| part(p, String::new(), category_name(p, lang)))
        .collect();
    let units: Vec<UnitRow> = a
        .units
        .iter()
        .map(|u| UnitRow {
            href: review_href(c.id, u.id),
            id: u.id,
            name: u.name.clone(),
            findings: u.findings,
            codes: u.codes.clone(),
            conclusion: u
                .conclusion
                .map(|c| c.label(lang).to_string())
                .unwrap_or_default(),
        })
        .collect();
    let units_note = if (units.len() as i64) < with_problems {
        lang.tf(
            "analysis.units_limited",
            &[
                ("total", &with_problems.to_string()),
                ("shown", &units.len().to_string()),
            ],
        )
    } else {
        lang.tf(
            "analysis.units_count",
            &[("total", &units.len().to_string())],
        )
    };
    let can_assign = viewer.can(Permission::ManageCampaigns);
    let reviewers = if can_assign {
        reviewers(state, viewer)
            .await?
            .into_iter()
            .map(|(id, n)| (id.to_string(), n))
            .collect()
    } else {
        Vec::new()
    };
    Ok(AnalysisPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        id: c.id,
        title: title(c, lang),
        node_id: a.node.id,
        node_name: a.node.record.name.clone(),
        crumbs,
        cards,
        segments: segments(&a, lang),
        rules,
        items,
        chart: super::chart::bars(
            "problem-chart",
            lang.t("analysis.chart_title").to_string(),
            a.by_child.iter().map(|p| (p.name.as_str(), p.share())),
        ),
        children,
        categories,
        units,
        units_note,
        last_year: c.year - 1,
        can_run: viewer.runs_review(),
        can_assign,
        reviewers,
        assign_reviewer: assign.reviewer,
        assign_which: if assign.which.is_empty() {
            "all".into()
        } else {
            assign.which
        },
        assign_errors: assign.errors,
        can_rules: viewer.reads_rules(),
    })
}

#[derive(serde::Deserialize)]
pub struct Params {
    node: Option<String>,
    done: Option<String>,
    reports: Option<String>,
    added: Option<String>,
    kept: Option<String>,
    closed: Option<String>,
    changed: Option<String>,
}

fn flash(q: &Params, lang: Lang) -> Option<String> {
    let n = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
            .to_string()
    };
    match q.done.as_deref()? {
        "run" => Some(lang.tf(
            "analysis.flash_run",
            &[
                ("reports", &n(&q.reports)),
                ("added", &n(&q.added)),
                ("kept", &n(&q.kept)),
                ("closed", &n(&q.closed)),
            ],
        )),
        "assigned" => Some(lang.tf("analysis.flash_assigned", &[("count", &n(&q.changed))])),
        "unassigned" => Some(lang.tf("analysis.flash_unassigned", &[("count", &n(&q.changed))])),
        _ => None,
    }
}

/// `GET /campaigns/{id}/review?node=ORG_ID`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<AnalysisPage, AppError> {
    if !viewer.analyses() {
        return Err(AppError::Forbidden);
    }
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, q.node.as_deref()).await?;
    let mut page = render(&state, &viewer, lang, &csrf, c, node, Assign::default()).await?;
    page.flash = flash(&q, lang);
    Ok(page)
}

/// `GET /campaigns/{id}/review.xlsx?node=ORG_ID`: every table of the analysis (all the units with
/// problems), one sheet each.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    if !viewer.analyses() {
        return Err(AppError::Forbidden);
    }
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, q.node.as_deref()).await?;
    let name = lang.tf(
        "analysis.file",
        &[("year", &c.year.to_string()), ("node", &node.record.name)],
    );
    let a = analyse(&state.db, &viewer.scope, c, node, i64::MAX).await?;
    let t = tables(&a, lang);
    let bytes = tokio::task::spawn_blocking(move || shanghui_files::write_tables_xlsx(&t))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        XLSX,
        &format!("{name}.xlsx"),
        "review.xlsx",
        bytes,
    ))
}

#[derive(serde::Deserialize)]
pub struct RunFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    node: Option<String>,
}

/// `POST /campaigns/{id}/review/run`: runs the current rules over every submitted report of the
/// campaign in the viewer's scope (findings still found are kept with their decisions; those no
/// longer found, or found by a newer version of their rule, are closed).
pub async fn run(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<RunFields>,
) -> Result<Response, AppError> {
    if !viewer.runs_review() {
        return Err(AppError::Forbidden);
    }
    check(&csrf, f.token.as_deref())?;
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, f.node.as_deref()).await?;
    let s = review::run(&state.db, &viewer.scope, c.id, None, &viewer.actor).await?;
    Ok(Redirect::to(&format!(
        "{}&done=run&reports={}&added={}&kept={}&closed={}",
        analysis_href(c.id, node.id),
        s.reports,
        s.added,
        s.kept,
        s.closed
    ))
    .into_response())
}

#[derive(serde::Deserialize)]
pub struct AssignFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    node: Option<String>,
    reviewer: Option<String>,
    /// `all` submitted reports under the node, or those with `problems`.
    which: Option<String>,
    /// `assign` or `unassign`.
    action: Option<String>,
}

/// `POST /campaigns/{id}/review/assign`: assigns the submitted reports under the node (all, or
/// those with problems) to a third-party reviewer account of the viewer's scope, or takes the
/// assignment away (`action=unassign`).
pub async fn assign(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Posted(f): Posted<AssignFields>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    check(&csrf, f.token.as_deref())?;
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, f.node.as_deref()).await?;
    let unassign = f.action.as_deref() == Some("unassign");
    let which = match f.which.as_deref() {
        Some("problems") => "problems",
        _ => "all",
    };
    let mut back = Assign {
        reviewer: f.reviewer.clone().unwrap_or_default(),
        which: which.to_string(),
        errors: Vec::new(),
    };
    let reviewer = if unassign {
        None
    } else {
        let chosen = f
            .reviewer
            .as_deref()
            .and_then(|s| value::parse_int(s.trim()));
        let Some(id) = chosen else {
            back.errors = vec![lang.t("analysis.reviewer_required").to_string()];
            let page = render(&state, &viewer, lang, &csrf, c, node, back).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        };
        // Only a third-party reviewer account of the viewer's scope (the store checks the role).
        if !reviewers(&state, &viewer)
            .await?
            .iter()
            .any(|(r, _)| *r == id)
        {
            back.errors = vec![Msg::new("review.not_reviewer").render(lang)];
            let page = render(&state, &viewer, lang, &csrf, c, node, back).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Some(id)
    };
    let units: Vec<i64> = if which == "problems" {
        analysis::units(&state.db, &viewer.scope, &c, &node, i64::MAX)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect()
    } else {
        let below = Scope::subtree(node.path.clone());
        reports::answers_of_campaign(&state.db, &below, c.id)
            .await?
            .1
            .into_iter()
            .filter(|u| u.status == Some(shanghui_core::report::ReportStatus::Submitted))
            .map(|u| u.id)
            .collect()
    };
    match review::assign(
        &state.db,
        &viewer.scope,
        c.id,
        &units,
        reviewer,
        &viewer.actor,
    )
    .await
    {
        Ok(n) => Ok(Redirect::to(&format!(
            "{}&done={}&changed={n}",
            analysis_href(c.id, node.id),
            if unassign { "unassigned" } else { "assigned" }
        ))
        .into_response()),
        Err(StoreError::Rejected(ps)) => {
            back.errors = ps.iter().map(|p| p.render(lang)).collect();
            let page = render(&state, &viewer, lang, &csrf, c, node, back).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
