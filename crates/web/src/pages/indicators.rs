//! The coverage dashboard (覆盖率) of a node and a year: a card per indicator (value, numerator
//! over denominator, target and gap, last year's value), and for the chosen indicator a bar chart
//! over the node's children (each a link one level down), the trend over the years, and the list
//! of who misses (units linking to their page, divisions by name); every list exports to xlsx,
//! with the counts that recount the rate. The figures are `core::indicator`'s over the year's
//! universe from `store::indicators`, kept per year and brought forward from the change logs
//! when the registry, reports or notices change ([`IndicatorCache`]).

use std::collections::HashMap;
use std::sync::Arc;

use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use shanghui_core::indicator::{
    self, Compare, DivisionLists, Fraction, Indicator, Measure, Target,
};
use shanghui_core::{DivisionCode, Lang, Organization};
use shanghui_files::Table;
use shanghui_store::indicators::{self, YearData};
use shanghui_store::orgs;

use super::Viewer;
use super::chart::{self, Chart};
use super::upload::{XLSX, download};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Units or divisions the page lists as missing; the export has them all.
const MISSING_SHOWN: usize = 200;
/// Years the trend looks back over (the year shown included).
const TREND_YEARS: i32 = 5;

mod cache;
pub use cache::IndicatorCache;

// -------------------------------------------------------------------------------------------------
// Figures.

/// One indicator's figure for one node.
#[derive(Debug, Clone)]
pub struct Figure {
    pub fraction: Fraction,
    pub value: Option<f64>,
}

fn figure(ind: &Indicator, f: Fraction) -> Figure {
    Figure {
        fraction: f,
        value: ind.value(f),
    }
}

/// The value as shown: `64.2%`, `-0.3%` (one decimal), `—` without one.
pub fn shown(ind: &Indicator, v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:.1}{}", ind.unit),
        None => "—".to_string(),
    }
}

/// A count as shown (whole numbers without decimals, sums with two).
fn count(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// What a request reads: the indicators and targets, the years, the lists.
struct Loaded {
    inds: Vec<Indicator>,
    targets: Vec<Target>,
    /// The year shown and the years before it the page needs.
    years: HashMap<i32, Arc<YearData>>,
    year: i32,
    lists: Arc<DivisionLists>,
}

async fn load(state: &AppState, year: i32) -> Result<Loaded, AppError> {
    let inds = indicators::all(&state.db).await?;
    let targets = indicators::targets(&state.db).await?;
    let refs: Vec<&Indicator> = inds.iter().collect();
    let items = indicators::summed_items(&refs);
    let years = kept_years(state, (year - TREND_YEARS)..=year, &items).await?;
    Ok(Loaded {
        inds,
        targets,
        years,
        year,
        lists: state.indicators.lists(state),
    })
}

/// `years` from the cache (see [`IndicatorCache::years`]).
async fn kept_years(
    state: &AppState,
    years: std::ops::RangeInclusive<i32>,
    items: &Option<Vec<String>>,
) -> Result<HashMap<i32, Arc<YearData>>, AppError> {
    state.indicators.years(state, years, items).await
}

impl Loaded {
    fn data(&self, year: i32) -> Result<&Arc<YearData>, AppError> {
        self.years
            .get(&year)
            .ok_or_else(|| AppError::Internal(format!("year {year} not read")))
    }

    /// `ind`'s figures for `nodes` in `year` (a federation or branch from the kept counts, any
    /// other node counted; a growth indicator from this year's and last year's counts).
    fn figures(
        &self,
        cache: &IndicatorCache,
        ind: &Indicator,
        year: i32,
        nodes: &[i64],
    ) -> Result<Vec<Figure>, AppError> {
        let data = self.data(year)?;
        let last = self.years.get(&(year - 1)).map(|d| d.as_ref());
        let this = cache.table(ind, data, &self.lists)?;
        let before = match (ind.compare, last) {
            (Compare::Growth, Some(l)) => Some(cache.table(ind, l, &self.lists)?),
            _ => None,
        };
        let kept = |n: i64| -> Option<Fraction> {
            let f = this.tally.get(n)?;
            match ind.compare {
                Compare::Ratio => Some(f),
                Compare::Growth => Some(match &before {
                    Some(b) => indicator::growth_fraction(f, b.tally.get(n)?),
                    None => Fraction::default(),
                }),
            }
        };
        let missing: Vec<i64> = nodes
            .iter()
            .copied()
            .filter(|&n| kept(n).is_none())
            .collect();
        let extra: HashMap<i64, Fraction> = if missing.is_empty() {
            HashMap::new()
        } else {
            let ci = indicators::compiled(ind, data)?;
            let f = indicators::fractions(&ci, data, last, &self.lists, &missing);
            missing.into_iter().zip(f).collect()
        };
        Ok(nodes
            .iter()
            .map(|&n| {
                let f = kept(n)
                    .or_else(|| extra.get(&n).copied())
                    .unwrap_or_default();
                figure(ind, f)
            })
            .collect())
    }
}

// -------------------------------------------------------------------------------------------------
// The page.

#[derive(serde::Deserialize, Default)]
pub struct Params {
    node: Option<String>,
    year: Option<String>,
    code: Option<String>,
}

pub struct Card {
    pub code: String,
    pub href: String,
    pub name: String,
    pub value: String,
    pub counts: String,
    pub target: String,
    /// `met`, `missed` or empty (no target).
    pub target_class: &'static str,
    pub last_year: String,
    pub selected: bool,
}

pub struct ChildRow {
    pub href: String,
    pub name: String,
    pub kind: String,
    pub numerator: String,
    pub denominator: String,
    pub value: String,
}

pub struct MissingRow {
    /// The unit's page, or empty for a division.
    pub href: String,
    pub code: String,
    pub name: String,
    pub place: String,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "indicators.html")]
pub struct IndicatorsPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub node_id: i64,
    pub node_name: String,
    pub crumbs: Vec<(String, String)>,
    pub year: i32,
    pub years: Vec<i32>,
    pub cards: Vec<Card>,
    pub code: String,
    pub name: String,
    pub description: String,
    pub children: Vec<ChildRow>,
    pub chart: Chart,
    pub trend: chart::Line,
    pub missing: Vec<MissingRow>,
    pub missing_note: String,
    pub export_href: String,
    pub can_define: bool,
}

/// The node asked for (in the viewer's scope), else the root of the viewer's scope (the national
/// root for a scope over everything).
async fn node(
    state: &AppState,
    viewer: &Viewer,
    asked: Option<&str>,
) -> Result<Organization, AppError> {
    match super::campaigns::parse_node(asked)? {
        Some(id) => Ok(orgs::require(&state.db, &viewer.scope, id).await?),
        None => match viewer.scope.root() {
            Some(r) => Ok(orgs::require(&state.db, &viewer.scope, r.id()).await?),
            None => orgs::tops(&state.db, &viewer.scope)
                .await?
                .into_iter()
                .next()
                .ok_or(AppError::NotFound),
        },
    }
}

/// The years offered: those with a campaign, else last year.
async fn years(state: &AppState) -> Result<Vec<i32>, AppError> {
    let mut ys: Vec<i32> = shanghui_store::campaigns::list(&state.db, &shanghui_core::Scope::all())
        .await?
        .into_iter()
        .map(|c| c.year)
        .collect();
    ys.sort_unstable();
    ys.dedup();
    if ys.is_empty() {
        ys.push(
            chrono::Utc::now()
                .date_naive()
                .format("%Y")
                .to_string()
                .parse()
                .unwrap_or(2025)
                - 1,
        );
    }
    Ok(ys)
}

fn asked_year(raw: Option<&str>, years: &[i32]) -> Result<i32, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(*years.last().unwrap_or(&2025)),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (1949..=2100).contains(y))
            .ok_or(AppError::NotFound),
    }
}

fn href(node: i64, year: i32, code: &str) -> String {
    format!("/indicators?node={node}&year={year}&code={code}")
}

/// Who misses `ind` below `node`: units (ID, name, division) or divisions (code, full name).
/// Returns how many miss in all and the rows of the first `limit` (naming each costs a lookup
/// and a division chain, which the page spends only on those it shows).
fn missing(
    state: &AppState,
    ind: &Indicator,
    data: &YearData,
    lists: &DivisionLists,
    node: i64,
    limit: usize,
) -> Result<(usize, Vec<MissingRow>), AppError> {
    let ci = indicators::compiled(ind, data)?;
    let u = data.universe(lists);
    let unit = |id: i64| {
        let n = data.names.get(&id);
        MissingRow {
            href: format!("/orgs/{id}"),
            code: id.to_string(),
            name: data.name(id),
            place: n
                .and_then(|n| n.division.as_deref())
                .and_then(|d| DivisionCode::parse(d).ok())
                .map(|d| state.divisions.full_name(&d))
                .unwrap_or_default(),
        }
    };
    Ok(match (&ind.numerator, ind.compare) {
        (_, Compare::Growth) => (0, Vec::new()),
        (Measure::Divisions { .. }, _) => {
            let all = indicator::missing_divisions(&ci, &u, node);
            let rows = all.iter().take(limit).map(|d| MissingRow {
                href: String::new(),
                code: d.as_str().to_string(),
                name: state
                    .divisions
                    .get(d)
                    .map(|x| x.name.clone())
                    .unwrap_or_default(),
                place: state.divisions.full_name(d),
            });
            (all.len(), rows.collect())
        }
        (Measure::Notices { .. }, _) => {
            let orgs_of: HashMap<i64, i64> = data
                .facts
                .notices
                .iter()
                .map(|n| (n.id, n.org_id))
                .collect();
            let all = indicator::missing_notices(&ci, &u, node);
            let rows = all.iter().take(limit).map(|&id| {
                let mut row = unit(orgs_of.get(&id).copied().unwrap_or_default());
                row.href = format!("/notices/{id}");
                row.code = id.to_string();
                row
            });
            (all.len(), rows.collect())
        }
        _ => {
            let all = indicator::missing_units(&ci, &u, node);
            (
                all.len(),
                all.iter().take(limit).map(|&id| unit(id)).collect(),
            )
        }
    })
}

/// What a request asks for, checked: the node (in scope), the year, the indicator.
struct Asked {
    node: Organization,
    ys: Vec<i32>,
    year: i32,
    l: Loaded,
    ind: Indicator,
}

async fn asked(state: &AppState, viewer: &Viewer, q: &Params) -> Result<Asked, AppError> {
    if !viewer.analyses() {
        return Err(AppError::Forbidden);
    }
    let node = node(state, viewer, q.node.as_deref()).await?;
    let ys = years(state).await?;
    let year = asked_year(q.year.as_deref(), &ys)?;
    let l = load(state, year).await?;
    let ind = match q.code.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => l.inds.iter().find(|i| i.code == c),
        None => l.inds.first(),
    }
    .ok_or(AppError::NotFound)?
    .clone();
    Ok(Asked {
        node,
        ys,
        year,
        l,
        ind,
    })
}

/// `GET /indicators?node=…&year=…&code=…`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<Params>,
) -> Result<IndicatorsPage, AppError> {
    let Asked {
        node,
        ys,
        year,
        l,
        ind,
    } = asked(&state, &viewer, &q).await?;
    let level = node.record.level;
    // The cards: every indicator for the node.
    let mut cards = Vec::new();
    for i in &l.inds {
        let now = &l.figures(&state.indicators, i, year, &[node.id])?[0];
        let then = &l.figures(&state.indicators, i, year - 1, &[node.id])?[0];
        let target = indicator::target_for(&l.targets, &i.code, year, level);
        let (target_text, class) = match (target, now.value) {
            (Some(t), Some(v)) => (
                lang.tf(
                    "indicator_page.target",
                    &[
                        ("direction", t.direction.label(lang)),
                        ("target", &shown(i, Some(t.value))),
                        ("gap", &format!("{:.1}", indicator::gap(v, t))),
                    ],
                ),
                if t.met(v) { "met" } else { "missed" },
            ),
            (Some(t), None) => (
                lang.tf(
                    "indicator_page.target_only",
                    &[
                        ("direction", t.direction.label(lang)),
                        ("target", &shown(i, Some(t.value))),
                    ],
                ),
                "",
            ),
            _ => (String::new(), ""),
        };
        cards.push(Card {
            code: i.code.clone(),
            href: href(node.id, year, &i.code),
            name: i.name(lang).to_string(),
            value: shown(i, now.value),
            counts: match i.compare {
                Compare::Ratio => format!(
                    "{} / {}",
                    count(now.fraction.numerator),
                    count(now.fraction.denominator)
                ),
                Compare::Growth => lang.tf(
                    "indicator_page.growth_counts",
                    &[
                        (
                            "now",
                            &count(now.fraction.numerator + now.fraction.denominator),
                        ),
                        ("last", &count(now.fraction.denominator)),
                    ],
                ),
            },
            target: target_text,
            target_class: class,
            last_year: lang.tf(
                "indicator_page.last_year",
                &[
                    ("year", &(year - 1).to_string()),
                    ("value", &shown(i, then.value)),
                ],
            ),
            selected: i.code == ind.code,
        });
    }
    // The chosen indicator over the children.
    let data = l.data(year)?.clone();
    let kids = data.children(node.id);
    let kid_figs = l.figures(&state.indicators, &ind, year, &kids)?;
    let children: Vec<ChildRow> = kids
        .iter()
        .zip(&kid_figs)
        .map(|(id, f)| ChildRow {
            href: href(*id, year, &ind.code),
            name: data.name(*id),
            kind: data
                .names
                .get(id)
                .map(|n| n.kind.label(lang).to_string())
                .unwrap_or_default(),
            numerator: count(f.fraction.numerator),
            denominator: count(f.fraction.denominator),
            value: shown(&ind, f.value),
        })
        .collect();
    let percent = ind.unit == "%" && ind.compare == Compare::Ratio;
    let chart = if percent {
        chart::bars(
            "indicator-chart",
            lang.tf("indicator_page.chart", &[("name", ind.name(lang))]),
            kids.iter().zip(&kid_figs).map(|(id, f)| {
                (
                    data.names.get(id).map(|n| n.name.as_str()).unwrap_or(""),
                    f.value.map(|v| v / 100.0),
                )
            }),
        )
    } else {
        chart::value_bars(
            "indicator-chart".to_string(),
            lang.tf("indicator_page.chart", &[("name", ind.name(lang))]),
            kids.iter().zip(&kid_figs).map(|(id, f)| {
                (
                    data.names.get(id).map(|n| n.name.as_str()).unwrap_or(""),
                    f.value.unwrap_or(f64::NAN),
                    shown(&ind, f.value),
                )
            }),
        )
    };
    // The trend: the node's value over the years with data up to this one.
    let mut points = Vec::new();
    let first = (year - TREND_YEARS + 1).max(*ys.first().unwrap_or(&year));
    for y in first..=year {
        let f = &l.figures(&state.indicators, &ind, y, &[node.id])?[0];
        points.push((y.to_string(), f.value));
    }
    let trend = chart::line(
        "indicator-trend".to_string(),
        lang.tf("indicator_page.trend", &[("name", ind.name(lang))]),
        &points,
        &ind.unit,
    );
    let (missing_count, shown_missing) =
        missing(&state, &ind, &data, &l.lists, node.id, MISSING_SHOWN)?;
    let missing_note = match ind.compare {
        Compare::Growth => lang.t("indicator_page.no_missing_growth").to_string(),
        Compare::Ratio => lang.tf(
            "indicator_page.missing_note",
            &[
                ("count", &missing_count.to_string()),
                ("shown", &shown_missing.len().to_string()),
            ],
        ),
    };
    let crumbs = orgs::ancestors(&state.db, &viewer.scope, &node)
        .await?
        .into_iter()
        .map(|(id, name)| (href(id, year, &ind.code), name))
        .chain([(href(node.id, year, &ind.code), node.record.name.clone())])
        .collect();
    Ok(IndicatorsPage {
        flash: None,
        me: Some(viewer.me(lang, &csrf)),
        node_id: node.id,
        node_name: node.record.name.clone(),
        crumbs,
        year,
        years: ys,
        cards,
        code: ind.code.clone(),
        name: ind.name(lang).to_string(),
        description: ind.description(lang).to_string(),
        children,
        chart,
        trend,
        missing: shown_missing,
        missing_note,
        export_href: format!(
            "/indicators.xlsx?node={}&year={year}&code={}",
            node.id, ind.code
        ),
        can_define: viewer.reads_rules(),
        lang,
    })
}

/// `GET /indicators.xlsx?node=…&year=…&code=…`: the node and its children (numerator,
/// denominator, value) and everyone missing, so the rate can be recounted from the lists.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let Asked {
        node, year, l, ind, ..
    } = asked(&state, &viewer, &q).await?;
    let t = tables(&state, &ind, &l, &node, lang)?;
    let bytes = tokio::task::spawn_blocking(move || shanghui_files::write_tables_xlsx(&t))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = lang.tf(
        "indicator_page.file",
        &[
            ("name", ind.name(lang)),
            ("year", &year.to_string()),
            ("node", &node.record.name),
        ],
    );
    Ok(download(XLSX, &name, "indicator.xlsx", bytes))
}

/// The export's sheets: figures (the node first, then its children) and who misses.
fn tables(
    state: &AppState,
    ind: &Indicator,
    l: &Loaded,
    node: &Organization,
    lang: Lang,
) -> Result<Vec<Table>, AppError> {
    let mut nodes = vec![node.id];
    let data = l.data(l.year)?;
    nodes.extend(data.children(node.id));
    let figs = l.figures(&state.indicators, ind, l.year, &nodes)?;
    let h = |keys: &[&str]| {
        keys.iter()
            .map(|k| lang.t(k).to_string())
            .collect::<Vec<_>>()
    };
    let rows = nodes
        .iter()
        .zip(&figs)
        .map(|(id, f)| {
            vec![
                id.to_string(),
                data.name(*id),
                data.names
                    .get(id)
                    .map(|n| n.kind.label(lang).to_string())
                    .unwrap_or_default(),
                count(f.fraction.numerator),
                count(f.fraction.denominator),
                f.value.map(|v| format!("{v:.4}")).unwrap_or_default(),
            ]
        })
        .collect();
    let (_, missing) = missing(state, ind, data, &l.lists, node.id, usize::MAX)?;
    let miss_rows: Vec<Vec<String>> = missing
        .into_iter()
        .map(|m| vec![m.code, m.name, m.place])
        .collect();
    let f = figs[0].fraction;
    let recount = match ind.compare {
        Compare::Ratio => lang.tf(
            "indicator_page.recount",
            &[
                ("denominator", &count(f.denominator)),
                ("missing", &miss_rows.len().to_string()),
                ("numerator", &count(f.numerator)),
            ],
        ),
        Compare::Growth => lang.t("indicator_page.no_missing_growth").to_string(),
    };
    Ok(vec![
        Table {
            sheet: lang.t("indicator_page.sheet_figures").to_string(),
            header: h(&[
                "common.id",
                "field.name",
                "field.kind",
                "indicator_page.col_numerator",
                "indicator_page.col_denominator",
                "indicator_page.col_value",
            ]),
            rows,
        },
        Table {
            sheet: lang.t("indicator_page.sheet_missing").to_string(),
            header: h(&[
                "indicator_page.col_code",
                "field.name",
                "indicator_page.col_place",
            ]),
            rows: miss_rows,
        },
        Table {
            sheet: lang.t("indicator_page.sheet_notes").to_string(),
            header: h(&["indicator_page.col_note"]),
            rows: vec![
                vec![format!("{}：{}", ind.name(lang), ind.description(lang))],
                vec![recount],
            ],
        },
    ])
}

/// Reads what the busiest pages keep (the latest year's coverage dashboard and the latest
/// campaign's statistics data set) in the background when the server starts, so the first
/// visitors do not wait for it; failures only log (a page reads again on its own). Marks the
/// server ready (`/readyz`) when done.
pub async fn warm_up(state: AppState) {
    let started = std::time::Instant::now();
    let result: Result<(), AppError> = async {
        let ys = years(&state).await?;
        if let Some(&year) = ys.last() {
            let l = load(&state, year).await?;
            // Every indicator's figures for every federation, for the cards and the trend.
            for y in (year - TREND_YEARS + 1)..=year {
                for ind in &l.inds {
                    l.figures(&state.indicators, ind, y, &[])?;
                }
            }
        }
        // The years the earlier years' trends look back over, so that choosing another year
        // finds its years kept too.
        if let Some(&first) = ys.first() {
            load(&state, first).await?;
        }
        let campaigns =
            shanghui_store::campaigns::list(&state.db, &shanghui_core::Scope::all()).await?;
        if let Some(c) = campaigns.iter().max_by_key(|c| (c.year, c.id)) {
            state
                .stats
                .data(&state.db, &state.divisions, c, Lang::ZhCn)
                .await?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => tracing::info!(ms = started.elapsed().as_millis() as u64, "pages warmed up"),
        Err(e) => tracing::warn!(error = %e, "warming up the pages failed"),
    }
    // Ready either way: a page that finds nothing kept reads on its own.
    state
        .ready
        .store(true, std::sync::atomic::Ordering::Release);
}

// -------------------------------------------------------------------------------------------------
// The data-analysis report (pages::writeup) reads the same node, years and kept data as this page,
// so a report made right after looking at the dashboard states the same figures without reading
// the registry again.

/// The node the report pages show: asked for (in the viewer's scope), else the scope's root.
pub(crate) async fn report_node(
    state: &AppState,
    viewer: &Viewer,
    asked: Option<&str>,
) -> Result<Organization, AppError> {
    node(state, viewer, asked).await
}

/// The years the report form offers: the dashboard's.
pub(crate) async fn report_years_offered(state: &AppState) -> Result<Vec<i32>, AppError> {
    years(state).await
}

/// `year`, the year before and the one before that (last year's growth indicators) from the
/// dashboard's cache, as the report's coverage section reads them.
pub(crate) async fn report_years(
    state: &AppState,
    year: i32,
) -> Result<shanghui_writeup::facts::Years, AppError> {
    let inds = indicators::all(&state.db).await?;
    let refs: Vec<&Indicator> = inds.iter().collect();
    let items = indicators::summed_items(&refs);
    let mut kept = kept_years(state, (year - 2)..=year, &items).await?;
    let mut take = |y: i32| {
        kept.remove(&y)
            .ok_or_else(|| AppError::Internal(format!("year {y} not read")))
    };
    let (now, last, before) = (take(year)?, take(year - 1)?, take(year - 2)?);
    Ok(shanghui_writeup::facts::Years {
        now,
        last: Some(last),
        before: Some(before),
        lists: state.indicators.lists(state),
        stats: None,
    })
}
