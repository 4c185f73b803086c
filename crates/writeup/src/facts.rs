//! The figures a report states, gathered from the store for one node and year through the same
//! functions the campaign, analysis, statistics, rectification and coverage pages use, so the
//! report and the pages agree. The values are plain data (serialisable) for the narrative
//! templates: counts, shares in 0..1, and names already in the reader's language.

use std::sync::Arc;

use serde::Serialize;
use shanghui_core::indicator::{self, Compare, DivisionLists, Indicator, Target};
use shanghui_core::{ChamberCategory, FederationLevel, Lang, OrgKind, Organization, Scope};
use shanghui_stats::crosstabs::{self, CrosstabOptions};
use shanghui_store::campaigns::{self, Campaign};
use shanghui_store::indicators::{self, YearData};
use shanghui_store::{Db, StoreError, analysis, rectify, rulesets, statdata, templates};

/// At most this many units in each appendix list: a national report would otherwise print
/// 100,000 rows; the full lists are the pages' exports.
pub const APPENDIX_LIMIT: usize = 2_000;
/// Rules and items named in the review section.
pub const TOP: usize = 10;
/// A difference is called significant below this p.
pub const ALPHA: f64 = 0.05;

/// The years' universes a report's coverage section reads (the web passes its kept ones).
#[derive(Clone)]
pub struct Years {
    pub now: Arc<YearData>,
    pub last: Option<Arc<YearData>>,
    /// The year before `last`, for last year's growth indicators.
    pub before: Option<Arc<YearData>>,
    pub lists: Arc<DivisionLists>,
    /// The year's campaign as a statistics data set, when the caller keeps one (the server's
    /// statistics page does): read from the database otherwise.
    pub stats: Option<Arc<statdata::CampaignData>>,
}

impl Years {
    /// Reads `year` and the two before it from the database (the command line; the server passes
    /// the ones its dashboard keeps).
    pub async fn load(db: &Db, year: i32) -> Result<Years> {
        let lists = Arc::new(DivisionLists::new(
            &shanghui_store::divisions::load_index(db).await?,
        ));
        let inds = indicators::all(db).await?;
        let refs: Vec<&Indicator> = inds.iter().collect();
        let items = indicators::summed_items(&refs);
        let registry = indicators::load_registry(db).await?;
        let read = |y: i32| indicators::load_year_with(db, &registry, y, items.as_deref());
        let (now, last, before) = tokio::try_join!(read(year), read(year - 1), read(year - 2))?;
        Ok(Years {
            now: Arc::new(now),
            last: Some(Arc::new(last)),
            before: Some(Arc::new(before)),
            lists,
            stats: None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub lang: &'static str,
    pub node: NodeFacts,
    pub year: i32,
    pub last_year: i32,
    /// The date the report was produced (ISO).
    pub produced_on: String,
    pub campaign: Option<CampaignFacts>,
    pub overview: Overview,
    pub children: Vec<ChildFacts>,
    pub indicators: Vec<IndicatorFacts>,
    pub review: Option<ReviewFacts>,
    pub conclusions: Vec<Part>,
    pub rectify: Option<RectifyFacts>,
    pub recommendations: Vec<Recommendation>,
    /// The years with a campaign among the last [`TREND_YEARS`], oldest first.
    pub trend: Vec<TrendPoint>,
    pub appendix: Appendix,
}

/// Years over which the report compares.
pub const TREND_YEARS: i32 = 5;

#[derive(Debug, Clone, Serialize)]
pub struct TrendPoint {
    pub year: i32,
    pub expected: i64,
    pub reporting_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    /// Submitted reports with problems, of those submitted.
    pub problem_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeFacts {
    pub id: i64,
    pub name: String,
    /// 全国 / 省级 / … in the reader's language; empty for a chamber.
    pub level: String,
    pub is_chamber: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignFacts {
    pub id: i64,
    /// The federation that opened it.
    pub opened_by: String,
    pub deadline: String,
}

/// A count with its share of a whole (0..1; `None` when the whole is 0).
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub label: String,
    pub count: i64,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Overview {
    pub chambers: i64,
    pub chambers_last: Option<i64>,
    pub federations: i64,
    pub branches: i64,
    /// Members of the chambers (registry), and last year's.
    pub members: i64,
    pub members_last: Option<i64>,
    pub chambers_by_category: Vec<Part>,
    pub expected: i64,
    pub submitted: i64,
    pub missing: i64,
    pub on_time: i64,
    pub reporting_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub reporting_rate_last: Option<f64>,
    pub on_time_rate_last: Option<f64>,
    /// Percentage points against last year.
    pub reporting_rate_change: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChildFacts {
    pub id: i64,
    pub name: String,
    pub expected: i64,
    pub submitted: i64,
    pub reporting_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub with_problems: i64,
    pub problem_share: Option<f64>,
    pub notices: i64,
    pub closure_rate: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IndicatorFacts {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub growth: bool,
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
    pub last: Option<f64>,
    /// `value - last`, in the indicator's unit.
    pub change: Option<f64>,
    pub target: Option<f64>,
    /// "at_least" or "at_most".
    pub direction: Option<&'static str>,
    pub met: Option<bool>,
    /// How far from the target (0 when met), in the indicator's unit.
    pub gap: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleFacts {
    pub code: String,
    pub name: String,
    pub reports: i64,
    /// Of the submitted reports.
    pub share: Option<f64>,
    pub last_year: Option<i64>,
    pub severity: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemFacts {
    pub code: String,
    pub label: String,
    pub reports: i64,
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PartProblems {
    pub name: String,
    pub submitted: i64,
    pub with_problems: i64,
    pub share: Option<f64>,
}

/// A Pearson chi-square test of the conclusions against a grouping (category, region), as the
/// statistics page's CROSSTABS computes it on the same cases.
#[derive(Debug, Clone, Serialize)]
pub struct Test {
    /// What the conclusions were crossed with, e.g. 商会类别.
    pub by: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    pub counts: Vec<Vec<f64>>,
    pub chi2: f64,
    pub df: f64,
    pub p: f64,
    /// Share of cells with an expected count below 5 (the test is unreliable above 20%).
    pub sparse: f64,
    pub significant: bool,
    /// The row (group) whose share of reports not fully qualified is highest, and that share.
    pub worst: Option<String>,
    pub worst_share: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewFacts {
    pub submitted: i64,
    pub with_problems: i64,
    pub share: Option<f64>,
    pub share_last: Option<f64>,
    pub findings: i64,
    pub rules: Vec<RuleFacts>,
    pub items: Vec<ItemFacts>,
    pub by_category: Vec<PartProblems>,
    pub by_child: Vec<PartProblems>,
    pub tests: Vec<Test>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RectifyFacts {
    pub issued: i64,
    pub closed: i64,
    pub open: i64,
    pub overdue: i64,
    pub closure_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub average_days: Option<f64>,
}

/// A recommendation's kind and figures; its sentence comes from the template of its kind.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub kind: &'static str,
    pub name: String,
    pub count: i64,
    pub value: Option<f64>,
    pub target: Option<f64>,
    pub unit: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub parent: String,
    pub findings: i64,
    pub rules: String,
    pub conclusion: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Appendix {
    /// Units with problems, most findings first (at most [`APPENDIX_LIMIT`]).
    pub problems: Vec<UnitRow>,
    pub problems_total: i64,
    /// Units expected to report that have not (at most [`APPENDIX_LIMIT`]).
    pub missing: Vec<UnitRow>,
    pub missing_total: i64,
}

type Result<T> = std::result::Result<T, StoreError>;

/// The campaign of `year` that covers `node`: opened by the node or a federation above it.
pub async fn campaign_for(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    year: i32,
) -> Result<Option<Campaign>> {
    Ok(campaigns::list(db, scope)
        .await?
        .into_iter()
        .filter(|c| c.year == year)
        .filter(|c| shanghui_core::OrgPath::parse(&c.path).is_ok_and(|p| node.path.is_within(&p)))
        // The nearest federation's campaign when several cover the node.
        .max_by_key(|c| c.path.len()))
}

/// Gathers everything the report states for `node` in `year`, in `scope` (a node outside it is
/// not found).
pub async fn gather(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    year: i32,
    years: &Years,
    lang: Lang,
) -> Result<Facts> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    let campaign = campaign_for(db, scope, node, year).await?;
    let last_campaign = campaign_for(db, scope, node, year - 1).await?;
    let mut overview = registry_overview(node, years, lang);
    let mut children = Vec::new();
    let mut review = None;
    let mut conclusions = Vec::new();
    let mut rectify_facts = None;
    let mut appendix = Appendix::default();
    if let Some(c) = &campaign {
        let rates = campaigns::rates(db, scope, c, node).await?;
        overview.expected = rates.rates.expected;
        overview.submitted = rates.rates.submitted;
        overview.missing = rates.rates.missing();
        overview.on_time = rates.rates.on_time;
        overview.reporting_rate = rates.rates.reporting_rate();
        overview.on_time_rate = rates.rates.on_time_rate();
        if let Some(lc) = &last_campaign {
            let last = campaigns::totals(db, scope, lc, node).await?;
            overview.reporting_rate_last = last.reporting_rate();
            overview.on_time_rate_last = last.on_time_rate();
        }
        overview.reporting_rate_change = overview
            .reporting_rate
            .zip(overview.reporting_rate_last)
            .map(|(a, b)| (a - b) * 100.0);
        // The analysis page's figures by child: read once, for the review section and the
        // children's table.
        let problem_parts = analysis::by_child(db, scope, c, node).await?;
        let read = Read {
            by_child: &problem_parts,
            stats: years.stats.as_deref(),
        };
        let r = gather_review(db, scope, c, last_campaign.as_ref(), node, read, lang).await?;
        let notices = rectify::stats(db, scope, node, Some(c.id)).await?;
        children = rates
            .children
            .iter()
            .map(|ch| {
                let p = problem_parts.iter().find(|p| p.id == Some(ch.id));
                let n = notices.children.iter().find(|n| n.id == Some(ch.id));
                ChildFacts {
                    id: ch.id,
                    name: ch.name.clone(),
                    expected: ch.rates.expected,
                    submitted: ch.rates.submitted,
                    reporting_rate: ch.rates.reporting_rate(),
                    on_time_rate: ch.rates.on_time_rate(),
                    with_problems: p.map(|p| p.with_problems).unwrap_or(0),
                    problem_share: p.and_then(|p| p.share()),
                    notices: n.map(|n| n.stats.issued).unwrap_or(0),
                    closure_rate: n.and_then(|n| n.stats.closure_rate()),
                }
            })
            .collect();
        conclusions = conclusion_parts(db, scope, c, node, lang).await?;
        let s = notices.stats;
        rectify_facts = (s.issued > 0).then(|| RectifyFacts {
            issued: s.issued,
            closed: s.closed,
            open: s.issued - s.closed,
            overdue: s.overdue,
            closure_rate: s.closure_rate(),
            on_time_rate: s.on_time_rate(),
            average_days: s.average_days(),
        });
        appendix = gather_appendix(db, scope, c, node, lang).await?;
        review = Some(r);
    }
    let indicators = indicator_facts(db, node, year, years, lang).await?;
    let mut facts = Facts {
        lang: lang.tag(),
        node: NodeFacts {
            id: node.id,
            name: node.record.name.clone(),
            level: node
                .record
                .level
                .map(|l| l.label(lang).to_string())
                .unwrap_or_default(),
            is_chamber: node.record.kind == OrgKind::Chamber,
        },
        year,
        last_year: year - 1,
        produced_on: chrono::Local::now().date_naive().to_string(),
        campaign: campaign.as_ref().map(|c| CampaignFacts {
            id: c.id,
            opened_by: c.org_name.clone(),
            deadline: c.deadline.to_string(),
        }),
        overview,
        children,
        indicators,
        review,
        conclusions,
        rectify: rectify_facts,
        recommendations: Vec::new(),
        trend: trend(db, scope, node, year).await?,
        appendix,
    };
    facts.recommendations = recommend(&facts);
    Ok(facts)
}

/// The reporting rate and the share with problems, year by year, for the years with a campaign.
async fn trend(db: &Db, scope: &Scope, node: &Organization, year: i32) -> Result<Vec<TrendPoint>> {
    let mut out = Vec::new();
    for y in (year - TREND_YEARS + 1)..=year {
        let Some(c) = campaign_for(db, scope, node, y).await? else {
            continue;
        };
        let rates = campaigns::totals(db, scope, &c, node).await?;
        let parts = analysis::by_category(db, scope, &c, node).await?;
        let submitted: i64 = parts.iter().map(|p| p.submitted).sum();
        let with_problems: i64 = parts.iter().map(|p| p.with_problems).sum();
        out.push(TrendPoint {
            year: y,
            expected: rates.expected,
            reporting_rate: rates.reporting_rate(),
            on_time_rate: rates.on_time_rate(),
            problem_share: (submitted > 0).then(|| with_problems as f64 / submitted as f64),
        });
    }
    Ok(out)
}

/// Units below the node on 31 December of the year (and of last year), from the coverage
/// universe: the same units the indicators count.
fn registry_overview(node: &Organization, years: &Years, lang: Lang) -> Overview {
    fn under(d: &YearData, node: i64) -> Vec<&shanghui_core::indicator::UnitRow> {
        d.units
            .iter()
            .filter(|u| u.id == node || u.ancestors.contains(&node))
            .collect()
    }
    let now = under(&years.now, node.id);
    let chambers: Vec<_> = now
        .iter()
        .filter(|u| u.facts.kind == Some(OrgKind::Chamber))
        .collect();
    let count_kind = |k: OrgKind| now.iter().filter(|u| u.facts.kind == Some(k)).count() as i64;
    let members = |us: &[&&shanghui_core::indicator::UnitRow]| -> i64 {
        us.iter().filter_map(|u| u.facts.members_total).sum()
    };
    let total = chambers.len() as i64;
    let chambers_by_category = ChamberCategory::ALL
        .iter()
        .map(|cat| {
            let n = chambers
                .iter()
                .filter(|u| u.facts.category == Some(*cat))
                .count() as i64;
            Part {
                label: cat.label(lang).to_string(),
                count: n,
                share: (total > 0).then(|| n as f64 / total as f64),
            }
        })
        .filter(|p| p.count > 0)
        .collect();
    let (chambers_last, members_last) = match &years.last {
        Some(l) => {
            let last = under(l, node.id);
            let lc: Vec<_> = last
                .iter()
                .filter(|u| u.facts.kind == Some(OrgKind::Chamber))
                .collect();
            (Some(lc.len() as i64), Some(members(&lc)))
        }
        None => (None, None),
    };
    Overview {
        chambers: total,
        chambers_last,
        federations: count_kind(OrgKind::Federation),
        branches: count_kind(OrgKind::Branch),
        members: members(&chambers),
        members_last,
        chambers_by_category,
        ..Overview::default()
    }
}

/// Every indicator for the node, this year and last, with its target for the node's level:
/// the dashboard's cards.
async fn indicator_facts(
    db: &Db,
    node: &Organization,
    year: i32,
    years: &Years,
    lang: Lang,
) -> Result<Vec<IndicatorFacts>> {
    let inds = indicators::all(db).await?;
    let targets = indicators::targets(db).await?;
    let mut out = Vec::new();
    for ind in &inds {
        let value_in = |data: &YearData, last: Option<&YearData>| -> Result<_> {
            let ci = indicators::compiled(ind, data)?;
            Ok(indicators::fractions(&ci, data, last, &years.lists, &[node.id])[0])
        };
        let now = value_in(&years.now, years.last.as_deref())?;
        let last = match &years.last {
            Some(l) => ind.value(value_in(l, years.before.as_deref())?),
            None => None,
        };
        out.push(indicator_row(
            ind,
            &targets,
            year,
            node.record.level,
            now,
            last,
            lang,
        ));
    }
    Ok(out)
}

fn indicator_row(
    ind: &Indicator,
    targets: &[Target],
    year: i32,
    level: Option<FederationLevel>,
    now: indicator::Fraction,
    last: Option<f64>,
    lang: Lang,
) -> IndicatorFacts {
    let value = ind.value(now);
    let target = indicator::target_for(targets, &ind.code, year, level);
    IndicatorFacts {
        code: ind.code.clone(),
        name: ind.name(lang).to_string(),
        unit: ind.unit.clone(),
        growth: ind.compare == Compare::Growth,
        value,
        numerator: now.numerator,
        denominator: now.denominator,
        last,
        change: value.zip(last).map(|(a, b)| a - b),
        target: target.map(|t| t.value),
        direction: target.map(|t| match t.direction {
            indicator::Direction::AtLeast => "at_least",
            indicator::Direction::AtMost => "at_most",
        }),
        met: target.zip(value).map(|(t, v)| t.met(v)),
        gap: target.zip(value).map(|(t, v)| indicator::gap(v, t)),
    }
}

/// The review section: how many reports have problems, which rules and items fail most, by
/// category and child, and whether the conclusions differ by category or region.
/// What the review section takes from elsewhere: the figures by child already read, and the
/// campaign's data set when the caller keeps one.
#[derive(Clone, Copy)]
struct Read<'a> {
    by_child: &'a [analysis::PartCount],
    stats: Option<&'a statdata::CampaignData>,
}

async fn gather_review(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    last: Option<&Campaign>,
    node: &Organization,
    read: Read<'_>,
    lang: Lang,
) -> Result<ReviewFacts> {
    let Read { by_child, stats } = read;
    let by_category = analysis::by_category(db, scope, c, node).await?;
    let submitted: i64 = by_category.iter().map(|p| p.submitted).sum();
    let with_problems: i64 = by_category.iter().map(|p| p.with_problems).sum();
    let findings: i64 = by_category.iter().map(|p| p.findings).sum();
    let share_of = |n: i64| (submitted > 0).then(|| n as f64 / submitted as f64);
    let share_last = match last {
        Some(l) => {
            let parts = analysis::by_category(db, scope, l, node).await?;
            let s: i64 = parts.iter().map(|p| p.submitted).sum();
            let w: i64 = parts.iter().map(|p| p.with_problems).sum();
            (s > 0).then(|| w as f64 / s as f64)
        }
        None => None,
    };
    let template = templates::get(db, c.template_id).await?;
    let rules = rulesets::current(db, &template.form_id).await?;
    let rule_name = |code: &str| {
        rules
            .iter()
            .find(|r| r.rule.code == code)
            .map(|r| match lang {
                Lang::ZhCn => r.rule.name_zh.clone(),
                Lang::En => r.rule.name_en.clone(),
            })
            .unwrap_or_else(|| code.to_string())
    };
    let rules_out = analysis::by_rule(db, scope, c, node)
        .await?
        .into_iter()
        .filter_map(|r| {
            let code = r.rule_code.clone().or(r.trigger.clone())?;
            Some(RuleFacts {
                name: if r.rule_code.is_some() {
                    rule_name(&code)
                } else {
                    code.clone()
                },
                code,
                reports: r.reports,
                share: share_of(r.reports),
                last_year: r.last_year,
                severity: r.severity.label(lang).to_string(),
            })
        })
        .take(TOP)
        .collect();
    let items = analysis::by_item(db, scope, c, node)
        .await?
        .into_iter()
        .take(TOP)
        .map(|(code, reports)| ItemFacts {
            label: template
                .item(&code)
                .map(|i| i.label(lang).to_string())
                .unwrap_or_else(|| code.clone()),
            code,
            reports,
            share: share_of(reports),
        })
        .collect();
    let part = |name: String, p: &analysis::PartCount| PartProblems {
        name,
        submitted: p.submitted,
        with_problems: p.with_problems,
        share: p.share(),
    };
    let kept =
        stats.filter(|d| d.campaign_id == c.id && d.generation == c.generation && d.lang == lang);
    let tests = significance(db, c, node, kept, lang).await?;
    Ok(ReviewFacts {
        submitted,
        with_problems,
        share: share_of(with_problems),
        share_last,
        findings,
        rules: rules_out,
        items,
        by_category: by_category
            .iter()
            .map(|p| {
                let name = p
                    .category
                    .map(|k| k.label(lang).to_string())
                    .unwrap_or_else(|| lang.t("writeup.no_category").to_string());
                part(name, p)
            })
            .collect(),
        by_child: by_child.iter().map(|p| part(p.name.clone(), p)).collect(),
        tests,
    })
}

/// Conclusions by category and by the region one level below the node, with Pearson's
/// chi-square, on the statistics page's data set of the same cases.
async fn significance(
    db: &Db,
    c: &Campaign,
    node: &Organization,
    kept: Option<&statdata::CampaignData>,
    lang: Lang,
) -> Result<Vec<Test>> {
    let region = match node.record.level {
        Some(FederationLevel::National) => Some("province"),
        Some(FederationLevel::Provincial) => Some("city"),
        Some(FederationLevel::City) => Some("county"),
        _ => None,
    };
    // Without a kept data set, only the node's reports are read (a province's, not the
    // country's).
    let read;
    let data = match kept {
        Some(d) => d,
        None => {
            read = statdata::load(db, &Scope::subtree(node.path.clone()), c, lang).await?;
            &read
        }
    };
    let sel = statdata::Selection {
        node: Some(node.clone()),
        ..Default::default()
    };
    let mut vars = vec!["org_category", "conclusion"];
    vars.extend(region);
    let ds = data.select_vars(&data.scope, &sel, &vars)?;
    let mut out = Vec::new();
    for by in std::iter::once("org_category").chain(region) {
        let Ok(r) = crosstabs::crosstabs(&ds, by, "conclusion", None, &CrosstabOptions::default())
        else {
            continue;
        };
        let Some(layer) = r.layers.first() else {
            continue;
        };
        let Some(chi) = layer.pearson else { continue };
        let cells = (layer.rows.len() * layer.cols.len()).max(1) as f64;
        let sparse = layer.cells_expected_below_5 as f64 / cells;
        // Not fully qualified: every conclusion column but the first (合格).
        let worst = layer
            .rows
            .iter()
            .zip(&layer.row_pct)
            .map(|(row, pct)| {
                (
                    row.text.clone(),
                    100.0 - pct.first().copied().unwrap_or(0.0),
                )
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        out.push(Test {
            by: r.row_var.shown().to_string(),
            rows: layer.rows.iter().map(|x| x.text.clone()).collect(),
            cols: layer.cols.iter().map(|x| x.text.clone()).collect(),
            counts: layer.counts.clone(),
            chi2: chi.value,
            df: chi.df,
            p: chi.sig,
            sparse,
            significant: chi.sig < ALPHA && sparse <= 0.2,
            worst_share: worst.as_ref().map(|w| w.1 / 100.0),
            worst: worst.map(|w| w.0),
        });
    }
    Ok(out)
}

async fn conclusion_parts(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
    lang: Lang,
) -> Result<Vec<Part>> {
    let rows = analysis::conclusions(db, scope, c, node).await?;
    let total: i64 = rows.iter().map(|r| r.1).sum();
    Ok(rows
        .into_iter()
        .map(|(conc, n)| Part {
            label: conc
                .map(|c| c.label(lang).to_string())
                .unwrap_or_else(|| lang.t("writeup.not_concluded").to_string()),
            count: n,
            share: (total > 0).then(|| n as f64 / total as f64),
        })
        .collect())
}

async fn gather_appendix(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
    lang: Lang,
) -> Result<Appendix> {
    let limit = APPENDIX_LIMIT as i64;
    let problems = analysis::units(db, scope, c, node, limit + 1).await?;
    let missing = campaigns::missing(db, scope, c, node, limit + 1).await?;
    let rates = campaigns::totals(db, scope, c, node).await?;
    let parts = analysis::by_category(db, scope, c, node).await?;
    Ok(Appendix {
        problems_total: parts.iter().map(|p| p.with_problems).sum(),
        problems: problems
            .into_iter()
            .take(APPENDIX_LIMIT)
            .map(|u| UnitRow {
                id: u.id,
                name: u.name,
                parent: String::new(),
                findings: u.findings,
                rules: u.codes,
                conclusion: u
                    .conclusion
                    .map(|c| c.label(lang).to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        missing_total: rates.missing(),
        missing: missing
            .into_iter()
            .take(APPENDIX_LIMIT)
            .map(|m| UnitRow {
                id: m.id,
                name: m.name,
                parent: m.parent_name.unwrap_or_default(),
                ..UnitRow::default()
            })
            .collect(),
    })
}

/// What the findings call for, most pressing first: units that did not report, indicators
/// below target, the rules most failed, the weakest sub-unit, overdue notices, and a category
/// or region that differs significantly.
pub fn recommend(f: &Facts) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let rec = |kind, name: String, count, value, target, unit: String| Recommendation {
        kind,
        name,
        count,
        value,
        target,
        unit,
    };
    if f.overview.missing > 0 {
        out.push(rec(
            "unsubmitted",
            String::new(),
            f.overview.missing,
            f.overview.reporting_rate,
            None,
            String::new(),
        ));
    }
    for i in f.indicators.iter().filter(|i| i.met == Some(false)) {
        out.push(rec(
            "target_missed",
            i.name.clone(),
            0,
            i.value,
            i.target,
            i.unit.clone(),
        ));
    }
    if let Some(r) = &f.review {
        for rule in r.rules.iter().take(3) {
            out.push(rec(
                "top_rule",
                rule.name.clone(),
                rule.reports,
                rule.share,
                None,
                String::new(),
            ));
        }
        for t in r.tests.iter().filter(|t| t.significant) {
            if let Some(w) = &t.worst {
                out.push(rec(
                    "significant",
                    w.clone(),
                    0,
                    t.worst_share,
                    None,
                    t.by.clone(),
                ));
            }
        }
    }
    if let Some(weak) = f.children.iter().filter(|c| c.expected > 0).min_by(|a, b| {
        a.reporting_rate
            .unwrap_or(1.0)
            .total_cmp(&b.reporting_rate.unwrap_or(1.0))
    }) && f.children.len() > 1
        && weak.reporting_rate.is_some_and(|r| r < 1.0)
    {
        out.push(rec(
            "weak_child",
            weak.name.clone(),
            weak.expected - weak.submitted,
            weak.reporting_rate,
            None,
            String::new(),
        ));
    }
    if let Some(r) = &f.rectify
        && r.overdue > 0
    {
        out.push(rec(
            "overdue",
            String::new(),
            r.overdue,
            r.closure_rate,
            None,
            String::new(),
        ));
    }
    out
}

/// A fixed, small report's figures (a county of 54 chambers): what the template editor checks
/// staff's templates against, and what the narrative's snapshot tests render.
pub fn sample(lang: Lang) -> Facts {
    let zh = lang == Lang::ZhCn;
    let t = |zh_text: &str, en_text: &str| if zh { zh_text } else { en_text }.to_string();
    let part = |label: String, count: i64, whole: i64| Part {
        label,
        count,
        share: Some(count as f64 / whole as f64),
    };
    let indicator = |code: &str,
                     name: String,
                     value: f64,
                     num: f64,
                     den: f64,
                     last: f64,
                     target: Option<f64>| {
        IndicatorFacts {
            code: code.into(),
            name,
            unit: "%".into(),
            growth: false,
            value: Some(value),
            numerator: num,
            denominator: den,
            last: Some(last),
            change: Some(value - last),
            target,
            direction: target.map(|_| "at_least"),
            met: target.map(|x| value >= x),
            gap: target.map(|x| (x - value).max(0.0)),
        }
    };
    let mut f = Facts {
        lang: lang.tag(),
        node: NodeFacts {
            id: 1,
            name: t("鼓楼区工商联", "Gulou District Federation"),
            level: t("县级", "County"),
            is_chamber: false,
        },
        year: 2025,
        last_year: 2024,
        produced_on: "2026-03-01".into(),
        campaign: Some(CampaignFacts {
            id: 1,
            opened_by: t("全国工商联", "ACFIC"),
            deadline: "2026-05-31".into(),
        }),
        overview: Overview {
            chambers: 56,
            chambers_last: Some(54),
            federations: 1,
            branches: 2,
            members: 4_210,
            members_last: Some(4_005),
            chambers_by_category: vec![
                part(t("乡镇（街道）商会", "Township chambers"), 20, 56),
                part(t("行业商会", "Trade chambers"), 30, 56),
                part(t("异地商会", "Chambers of non-locals"), 6, 56),
            ],
            expected: 54,
            submitted: 52,
            missing: 2,
            on_time: 49,
            reporting_rate: Some(52.0 / 54.0),
            on_time_rate: Some(49.0 / 54.0),
            reporting_rate_last: Some(0.942),
            on_time_rate_last: Some(0.88),
            reporting_rate_change: Some((52.0 / 54.0 - 0.942) * 100.0),
        },
        children: vec![
            ChildFacts {
                id: 2,
                name: t("鼓东街道", "Gudong Street"),
                expected: 30,
                submitted: 30,
                reporting_rate: Some(1.0),
                on_time_rate: Some(0.9),
                with_problems: 8,
                problem_share: Some(8.0 / 30.0),
                notices: 8,
                closure_rate: Some(0.75),
            },
            ChildFacts {
                id: 3,
                name: t("温泉街道", "Wenquan Street"),
                expected: 24,
                submitted: 22,
                reporting_rate: Some(22.0 / 24.0),
                on_time_rate: Some(19.0 / 24.0),
                with_problems: 9,
                problem_share: Some(9.0 / 22.0),
                notices: 9,
                closure_rate: Some(5.0 / 9.0),
            },
        ],
        indicators: vec![
            indicator(
                "party_org_rate",
                t("党组织建立率", "Party organisation rate"),
                83.9,
                47.0,
                56.0,
                81.5,
                Some(90.0),
            ),
            indicator(
                "reporting_rate",
                t("年报报送率", "Reporting rate"),
                96.3,
                52.0,
                54.0,
                94.2,
                Some(95.0),
            ),
        ],
        review: Some(ReviewFacts {
            submitted: 52,
            with_problems: 17,
            share: Some(17.0 / 52.0),
            share_last: Some(0.38),
            findings: 31,
            rules: vec![RuleFacts {
                code: "members_sum".into(),
                name: t("会员数之和不符", "Members do not add up"),
                reports: 9,
                share: Some(9.0 / 52.0),
                last_year: Some(12),
                severity: t("错误", "Error"),
            }],
            items: vec![ItemFacts {
                code: "members_total".into(),
                label: t("会员总数", "Members in all"),
                reports: 9,
                share: Some(9.0 / 52.0),
            }],
            by_category: vec![PartProblems {
                name: t("行业商会", "Trade chambers"),
                submitted: 28,
                with_problems: 12,
                share: Some(12.0 / 28.0),
            }],
            by_child: Vec::new(),
            tests: vec![Test {
                by: t("商会类别", "chamber category"),
                rows: vec![
                    t("乡镇（街道）商会", "Township chambers"),
                    t("行业商会", "Trade chambers"),
                ],
                cols: vec![t("合格", "Qualified"), t("基本合格", "Basically qualified")],
                counts: vec![vec![18.0, 2.0], vec![16.0, 12.0]],
                chi2: 6.38,
                df: 1.0,
                p: 0.0115,
                sparse: 0.0,
                significant: true,
                worst: Some(t("行业商会", "Trade chambers")),
                worst_share: Some(12.0 / 28.0),
            }],
        }),
        conclusions: vec![
            part(t("合格", "Qualified"), 35, 52),
            part(t("基本合格", "Basically qualified"), 14, 52),
            part(t("不合格", "Not qualified"), 3, 52),
        ],
        rectify: Some(RectifyFacts {
            issued: 17,
            closed: 11,
            open: 6,
            overdue: 2,
            closure_rate: Some(11.0 / 17.0),
            on_time_rate: Some(9.0 / 17.0),
            average_days: Some(23.5),
        }),
        recommendations: Vec::new(),
        trend: vec![
            TrendPoint {
                year: 2024,
                expected: 52,
                reporting_rate: Some(0.942),
                on_time_rate: Some(0.88),
                problem_share: Some(0.38),
            },
            TrendPoint {
                year: 2025,
                expected: 54,
                reporting_rate: Some(52.0 / 54.0),
                on_time_rate: Some(49.0 / 54.0),
                problem_share: Some(17.0 / 52.0),
            },
        ],
        appendix: Appendix {
            problems: vec![UnitRow {
                id: 10,
                name: t("鼓楼区餐饮商会", "Gulou Catering Chamber"),
                parent: String::new(),
                findings: 3,
                rules: "members_sum".into(),
                conclusion: t("基本合格", "Basically qualified"),
            }],
            problems_total: 17,
            missing: vec![UnitRow {
                id: 11,
                name: t("温泉街道商会", "Wenquan Street Chamber"),
                parent: t("温泉街道", "Wenquan Street"),
                ..UnitRow::default()
            }],
            missing_total: 2,
        },
    };
    f.recommendations = recommend(&f);
    f
}

/// [`sample`] as a first year without a campaign: no reports, review, notices or last year.
/// Templates every report uses must render over this too, or a new federation's first report
/// would fail.
pub fn sample_first_year(lang: Lang) -> Facts {
    let mut f = sample(lang);
    f.campaign = None;
    f.overview = Overview {
        chambers: f.overview.chambers,
        federations: f.overview.federations,
        branches: f.overview.branches,
        members: f.overview.members,
        chambers_by_category: f.overview.chambers_by_category.clone(),
        ..Overview::default()
    };
    f.children.clear();
    for i in &mut f.indicators {
        i.last = None;
        i.change = None;
        i.target = None;
        i.direction = None;
        i.met = None;
        i.gap = None;
    }
    f.review = None;
    f.conclusions.clear();
    f.rectify = None;
    f.trend.clear();
    f.appendix = Appendix::default();
    f.recommendations = recommend(&f);
    f
}
