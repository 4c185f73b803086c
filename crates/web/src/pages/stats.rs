//! The statistics page of a campaign (统计分析): SPSS's procedures on the submitted reports of a
//! node, chosen the way staff choose them in SPSS (a procedure, its variables, rows / columns /
//! layer, a grouping variable) and narrowed by category, level, region and review conclusion;
//! the tables as SPSS shows them (in the reader's language, `stats_terms`), a chart where one
//! helps, and the same tables as a workbook. The numbers are the stats crate's, checked against
//! PSPP; the data set is `store::statdata`'s, kept per campaign generation ([`StatsCache`]) so a
//! national table is computed in memory rather than read from the database each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use shanghui_core::review::Conclusion;
use shanghui_core::{
    ChamberCategory, DivisionCode, FederationLevel, Lang, Msg, OrgKind, Organization, Scope,
};
use shanghui_stats::data::DataError;
use shanghui_stats::table::{Cell, Table};
use shanghui_stats::{
    Dataset, VarKind, corr, crosstabs, desc, freq, means, oneway, reliability, ttest,
};
use shanghui_store::campaigns::{self, Campaign};
use shanghui_store::statdata::{self, CampaignData, Selection};
use shanghui_store::{Db, orgs};

use super::Viewer;
use super::campaigns::{Ids, campaign_path, title};
use super::chart::{self, Chart, Stacked};
use super::upload::{XLSX, download};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

// -------------------------------------------------------------------------------------------------
// The data sets kept between requests.

/// Campaigns whose data sets are kept at most (each national one is some tens of MB).
const MAX_KEPT: usize = 4;

/// (campaign, language) → the campaign's data set at its generation when read.
#[derive(Default)]
pub struct StatsCache {
    entries: Mutex<HashMap<(i64, Lang), Arc<CampaignData>>>,
}

impl StatsCache {
    /// Every submitted report of `c` (in its own subtree) as a data set, read again only when the
    /// campaign's generation has moved. Callers cut their viewer's scope out of it
    /// ([`CampaignData::select`] checks it).
    pub async fn data(
        &self,
        db: &Db,
        divisions: &shanghui_core::DivisionIndex,
        c: &Campaign,
        lang: Lang,
    ) -> Result<Arc<CampaignData>, AppError> {
        let key = (c.id, lang);
        if let Some(d) = self.lock().get(&key)
            && d.generation == c.generation
        {
            return Ok(d.clone());
        }
        let subtree = Scope::subtree(campaign_path(c)?);
        let d = Arc::new(statdata::load_with(db, &subtree, c, lang, divisions).await?);
        let mut entries = self.lock();
        if entries.len() >= MAX_KEPT && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, d.clone());
        Ok(d)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, Lang), Arc<CampaignData>>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

// -------------------------------------------------------------------------------------------------
// What is asked.

/// The procedures offered, by their code in the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proc {
    Frequencies,
    Descriptives,
    Crosstabs,
    Means,
    Correlations,
    TTest,
    Paired,
    Oneway,
    Reliability,
}

impl Proc {
    pub const ALL: &'static [Proc] = &[
        Proc::Frequencies,
        Proc::Descriptives,
        Proc::Crosstabs,
        Proc::Means,
        Proc::Correlations,
        Proc::TTest,
        Proc::Paired,
        Proc::Oneway,
        Proc::Reliability,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Proc::Frequencies => "frequencies",
            Proc::Descriptives => "descriptives",
            Proc::Crosstabs => "crosstabs",
            Proc::Means => "means",
            Proc::Correlations => "correlations",
            Proc::TTest => "ttest",
            Proc::Paired => "paired",
            Proc::Oneway => "oneway",
            Proc::Reliability => "reliability",
        }
    }

    fn from_code(s: &str) -> Option<Proc> {
        Proc::ALL.iter().copied().find(|p| p.code() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(&format!("stats_page.proc.{}", self.code()))
    }
}

/// The query string of the page (and of its workbook): repeated `v` for the variables.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub node: Option<String>,
    pub proc: Option<Proc>,
    pub vars: Vec<String>,
    pub row: String,
    pub col: String,
    pub layer: String,
    pub by: Vec<String>,
    pub g1: String,
    pub g2: String,
    pub testval: String,
    pub spearman: bool,
    pub category: String,
    pub level: String,
    pub region: String,
    pub conclusion: String,
}

impl Ask {
    fn parse(pairs: Vec<(String, String)>) -> Ask {
        let mut a = Ask::default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            match k.as_str() {
                "node" => a.node = Some(v),
                "proc" => a.proc = Proc::from_code(&v),
                "v" if !v.is_empty() && !a.vars.contains(&v) => a.vars.push(v),
                "row" => a.row = v,
                "col" => a.col = v,
                "layer" => a.layer = v,
                "by" if !v.is_empty() && !a.by.contains(&v) => a.by.push(v),
                "g1" => a.g1 = v,
                "g2" => a.g2 = v,
                "testval" => a.testval = v,
                "method" => a.spearman = v == "spearman",
                "category" => a.category = v,
                "level" => a.level = v,
                "region" => a.region = v,
                "conclusion" => a.conclusion = v,
                _ => {}
            }
        }
        a
    }

    /// The query string again, with another node (for the breadcrumbs and the children: the
    /// region, chosen among the node's own divisions, is dropped) or the same one (the workbook:
    /// everything kept).
    fn query_with_node(&self, node: i64, same_node: bool) -> String {
        let mut q: Vec<(String, String)> = vec![("node".into(), node.to_string())];
        if let Some(p) = self.proc {
            q.push(("proc".into(), p.code().into()));
        }
        q.extend(self.vars.iter().map(|v| ("v".to_string(), v.clone())));
        q.extend(self.by.iter().map(|v| ("by".to_string(), v.clone())));
        for (k, v) in [
            ("row", &self.row),
            ("col", &self.col),
            ("layer", &self.layer),
            ("g1", &self.g1),
            ("g2", &self.g2),
            ("testval", &self.testval),
            ("category", &self.category),
            ("level", &self.level),
            ("conclusion", &self.conclusion),
        ] {
            if !v.is_empty() {
                q.push((k.into(), v.clone()));
            }
        }
        if same_node && !self.region.is_empty() {
            q.push(("region".into(), self.region.clone()));
        }
        if self.spearman {
            q.push(("method".into(), "spearman".into()));
        }
        q.iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The filters, checked: an unknown code is a message, not a silent "all".
    fn selection(&self, node: &Organization, lang: Lang) -> Result<Selection, String> {
        let bad = |field: &str, v: &str| {
            lang.tf(
                "stats_page.bad_filter",
                &[("field", lang.t(field)), ("value", v)],
            )
        };
        let category = match self.category.as_str() {
            "" => None,
            c => Some(ChamberCategory::from_code(c).ok_or_else(|| bad("field.category", c))?),
        };
        let level = match self.level.as_str() {
            "" => None,
            l => Some(FederationLevel::from_code(l).ok_or_else(|| bad("stats.level", l))?),
        };
        let conclusion = match self.conclusion.as_str() {
            "" => None,
            c => Some(Conclusion::from_code(c).ok_or_else(|| bad("review.col_conclusion", c))?),
        };
        let region = match self.region.as_str() {
            "" => None,
            r => Some(DivisionCode::parse(r).map_err(|_| bad("stats_page.region", r))?),
        };
        Ok(Selection {
            node: Some(node.clone()),
            category,
            conclusion,
            level,
            region,
        })
    }
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// -------------------------------------------------------------------------------------------------
// Running a procedure.

/// What a procedure gives the page: its tables and the charts that help read them.
#[derive(Default)]
pub struct Outcome {
    pub tables: Vec<Table>,
    pub charts: Vec<Chart>,
    pub stacks: Vec<Stacked>,
}

/// Charts are drawn for at most this many categories (a scale variable's hundreds of distinct
/// values make no useful bar chart).
const MAX_CHART_BARS: usize = 30;
/// Charts drawn for one request at most.
const MAX_CHARTS: usize = 6;

fn names(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn data_error(e: DataError, lang: Lang) -> String {
    match e {
        DataError::UnknownVariable(v) => lang.tf("stats_page.unknown_var", &[("name", &v)]),
        DataError::NotNumeric(v) => lang.tf("stats_page.not_numeric", &[("name", &v)]),
        DataError::Shape => lang.t("error.internal").to_string(),
    }
}

/// The variables the request names (so only their columns are cut out of the data set).
fn wanted(a: &Ask) -> Vec<String> {
    let mut v: Vec<String> = a.vars.clone();
    for x in [&a.row, &a.col, &a.layer].into_iter().chain(a.by.iter()) {
        if !x.is_empty() && !v.contains(x) {
            v.push(x.clone());
        }
    }
    v
}

/// Runs the procedure asked for on `ds`; an incomplete or impossible request is a message in
/// the reader's language.
pub fn run(ds: &Dataset, a: &Ask, lang: Lang) -> Result<Outcome, String> {
    let Some(p) = a.proc else {
        return Ok(Outcome::default());
    };
    let need = |key: &str| lang.t(key).to_string();
    let de = |e| data_error(e, lang);
    let vars = names(&a.vars);
    let mut out = Outcome::default();
    match p {
        Proc::Frequencies => {
            if vars.is_empty() {
                return Err(need("stats_page.need_vars"));
            }
            let r = freq::frequencies(ds, &vars, &freq::FreqOptions::default()).map_err(de)?;
            for f in r.iter().take(MAX_CHARTS) {
                let rows: Vec<_> = f.valid_rows().collect();
                if rows.is_empty() || rows.len() > MAX_CHART_BARS {
                    continue;
                }
                let shown: Vec<(String, f64, String)> = rows
                    .iter()
                    .map(|r| {
                        let name = r
                            .label
                            .map(str::to_string)
                            .unwrap_or_else(|| match &r.value {
                                &shanghui_stats::Value::Num(x) => {
                                    shanghui_stats::table::spss_number(x, f.decimals)
                                }
                                shanghui_stats::Value::Str(s) => s.trim_end().to_string(),
                            });
                        let pct = r.valid_percent.unwrap_or(0.0);
                        (name, pct, format!("{} ({:.1}%)", r.frequency, pct))
                    })
                    .collect();
                out.charts.push(chart::value_bars(
                    format!("chart-freq-{}", out.charts.len() + 1),
                    lang.tf(
                        "stats_page.chart_freq",
                        &[("var", f.label.as_deref().unwrap_or(&f.variable))],
                    ),
                    shown.iter().map(|(n, v, s)| (n.as_str(), *v, s.clone())),
                ));
            }
            out.tables = freq::frequencies_tables(&r);
        }
        Proc::Descriptives => {
            if vars.is_empty() {
                return Err(need("stats_page.need_vars"));
            }
            let r = desc::descriptives(ds, &vars, &desc::DescOptions::default()).map_err(de)?;
            out.tables = r.to_tables();
        }
        Proc::Crosstabs => {
            if a.row.is_empty() || a.col.is_empty() {
                return Err(need("stats_page.need_row_col"));
            }
            let layer = (!a.layer.is_empty()).then_some(a.layer.as_str());
            let r = crosstabs::crosstabs(
                ds,
                &a.row,
                &a.col,
                layer,
                &crosstabs::CrosstabOptions::default(),
            )
            .map_err(de)?;
            for l in r.layers.iter().take(MAX_CHARTS) {
                if l.rows.len() > MAX_CHART_BARS || l.cols.is_empty() {
                    continue;
                }
                let cols: Vec<String> = l.cols.iter().map(|c| c.text.clone()).collect();
                let mut t = lang.tf(
                    "stats_page.chart_crosstab",
                    &[("row", r.row_var.shown()), ("col", r.col_var.shown())],
                );
                if let (Some(v), Some(c)) = (&r.layer_var, &l.layer) {
                    t.push_str(&format!("（{} = {}）", v.shown(), c.text));
                }
                out.stacks.push(chart::stacked(
                    format!("chart-crosstab-{}", out.stacks.len() + 1),
                    t,
                    &cols,
                    l.rows
                        .iter()
                        .zip(&l.row_pct)
                        .map(|(c, pcts)| (c.text.clone(), pcts.clone())),
                ));
            }
            out.tables = r.to_tables();
        }
        Proc::Means => {
            if vars.is_empty() || a.by.is_empty() {
                return Err(need("stats_page.need_vars_by"));
            }
            let r = means::means(ds, &vars, &names(&a.by), &means::MeansOptions::default())
                .map_err(de)?;
            if a.by.len() == 1 {
                for m in r.iter().take(MAX_CHARTS) {
                    let groups: Vec<_> = m.cells.iter().filter(|c| c.group[0].is_some()).collect();
                    if groups.is_empty() || groups.len() > MAX_CHART_BARS {
                        continue;
                    }
                    let shown: Vec<(String, f64, String)> = groups
                        .iter()
                        .map(|c| {
                            let name = c.labels[0].clone().unwrap_or_else(|| match &c.group[0] {
                                Some(shanghui_stats::Value::Num(x)) => {
                                    shanghui_stats::table::spss_number(*x, m.by[0].2)
                                }
                                Some(shanghui_stats::Value::Str(s)) => s.trim_end().to_string(),
                                None => String::new(),
                            });
                            let mean = c.mean.unwrap_or(f64::NAN);
                            let text = c
                                .mean
                                .map(|x| shanghui_stats::table::spss_number(x, m.decimals + 2))
                                .unwrap_or_default();
                            (name, mean, text)
                        })
                        .collect();
                    out.charts.push(chart::value_bars(
                        format!("chart-means-{}", out.charts.len() + 1),
                        lang.tf(
                            "stats_page.chart_means",
                            &[
                                ("var", m.label.as_deref().unwrap_or(&m.dependent)),
                                ("by", m.by[0].1.as_deref().unwrap_or(&m.by[0].0)),
                            ],
                        ),
                        shown.iter().map(|(n, v, s)| (n.as_str(), *v, s.clone())),
                    ));
                }
            }
            out.tables = r.iter().flat_map(|m| m.to_tables()).collect();
        }
        Proc::Correlations => {
            if vars.len() < 2 {
                return Err(need("stats_page.need_two_or_more"));
            }
            let opts = corr::CorrOptions {
                method: if a.spearman {
                    corr::CorrMethod::Spearman
                } else {
                    corr::CorrMethod::Pearson
                },
                listwise: false,
                include_user_missing: false,
            };
            out.tables = corr::correlations(ds, &vars, &opts)
                .map_err(de)?
                .to_tables();
        }
        Proc::TTest => {
            if vars.is_empty() {
                return Err(need("stats_page.need_vars"));
            }
            let opts = ttest::TTestOptions::default();
            out.tables = match a.by.first() {
                Some(g) => {
                    let groups = t_groups(ds, g, a, lang)?;
                    ttest::ttest_independent(ds, &vars, g, &groups, &opts)
                        .map_err(de)?
                        .to_tables()
                }
                None => {
                    let tv: f64 = a
                        .testval
                        .parse()
                        .map_err(|_| need("stats_page.need_groups_or_testval"))?;
                    ttest::ttest_one_sample(ds, &vars, tv, &opts)
                        .map_err(de)?
                        .to_tables()
                }
            };
        }
        Proc::Paired => {
            let [x, y] = vars.as_slice() else {
                return Err(need("stats_page.need_two"));
            };
            out.tables = ttest::ttest_paired(ds, &[(x, y)], &ttest::TTestOptions::default())
                .map_err(de)?
                .to_tables();
        }
        Proc::Oneway => {
            let [factor] = names(&a.by)[..] else {
                return Err(need("stats_page.need_vars_factor"));
            };
            if vars.is_empty() {
                return Err(need("stats_page.need_vars_factor"));
            }
            out.tables = oneway::oneway(ds, &vars, factor, &oneway::OnewayOptions::default())
                .map_err(de)?
                .to_tables();
        }
        Proc::Reliability => {
            if vars.len() < 2 {
                return Err(need("stats_page.need_two_or_more"));
            }
            out.tables = reliability::reliability(ds, &vars, &reliability::RelOptions::default())
                .map_err(de)?
                .to_tables();
        }
    }
    crate::stats_terms::localize(&mut out.tables, lang);
    Ok(out)
}

/// The two groups of an independent-samples t-test: the values `g1` and `g2` of the grouping
/// variable (numbers for a numeric one).
fn t_groups(ds: &Dataset, g: &str, a: &Ask, lang: Lang) -> Result<ttest::Groups, String> {
    let (v, _) = ds.var(g).map_err(|e| data_error(e, lang))?;
    if a.g1.is_empty() || a.g2.is_empty() {
        return Err(lang.t("stats_page.need_groups_or_testval").to_string());
    }
    let value = |s: &str| -> Result<shanghui_stats::Value, String> {
        Ok(match v.kind {
            VarKind::Numeric => shanghui_stats::Value::Num(
                s.parse()
                    .map_err(|_| lang.tf("stats_page.bad_number", &[("value", s)]))?,
            ),
            VarKind::String { .. } => shanghui_stats::Value::Str(s.to_string()),
        })
    };
    Ok(ttest::Groups::Values(value(&a.g1)?, value(&a.g2)?))
}

// -------------------------------------------------------------------------------------------------
// The page.

/// A variable as the form offers it.
pub struct VarChoice {
    pub name: String,
    /// "name — label".
    pub text: String,
    pub numeric: bool,
}

/// A table as the page shows it.
pub struct ShownTable {
    pub title: String,
    pub columns: Vec<String>,
    /// (text, numeric) per cell.
    pub rows: Vec<Vec<(String, bool)>>,
    pub notes: Vec<String>,
}

fn shown(t: &Table) -> ShownTable {
    ShownTable {
        title: t.title.clone(),
        columns: t.columns.clone(),
        rows: t
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| (c.shown(), matches!(c, Cell::Num(..) | Cell::Count(_))))
                    .collect()
            })
            .collect(),
        notes: t.notes.clone(),
    }
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub lang: Lang,
    pub flash: Option<String>,
    pub me: Option<Me>,
    pub id: i64,
    pub title: String,
    pub node_id: i64,
    pub node_name: String,
    pub crumbs: Vec<(String, String)>,
    /// Federations and branches below the node: (href, name).
    pub children: Vec<(String, String)>,
    pub procs: Vec<(&'static str, &'static str)>,
    pub proc: &'static str,
    pub variables: Vec<VarChoice>,
    pub ask: Ask,
    pub categories: Vec<(&'static str, &'static str)>,
    pub levels: Vec<(&'static str, &'static str)>,
    pub conclusions: Vec<(&'static str, &'static str)>,
    /// (code, name) of the divisions one level below the node's.
    pub regions: Vec<(String, String)>,
    /// How many cases (submitted reports) the tables count.
    pub cases_note: String,
    pub error: Option<String>,
    pub tables: Vec<ShownTable>,
    pub charts: Vec<Chart>,
    pub stacks: Vec<Stacked>,
    pub export_href: String,
    /// The selected cases with every variable as an SPSS data file.
    pub sav_href: String,
}

impl StatsPage {
    fn is_var(&self, name: &str) -> bool {
        self.ask.vars.iter().any(|v| v == name)
    }
    fn is_by(&self, name: &str) -> bool {
        self.ask.by.iter().any(|v| v == name)
    }
}

/// The divisions one level below the node's (the provinces under the national federation).
fn regions(state: &AppState, node: &Organization) -> Vec<(String, String)> {
    let parent = node.record.division_code.as_ref();
    let mut out: Vec<(String, String)> = state
        .divisions
        .iter()
        .filter(|d| !d.placeholder && d.parent.as_ref() == parent)
        .filter(|d| parent.is_some() || d.level == shanghui_core::DivisionLevel::Province)
        .map(|d| (d.code.as_str().to_string(), d.name.clone()))
        .collect();
    out.sort();
    out
}

/// The selected cases of the node as a data set with the variables the request names (all of
/// them when it names none), and the number of cases.
async fn selected(
    state: &AppState,
    viewer: &Viewer,
    c: &Campaign,
    node: &Organization,
    a: &Ask,
    lang: Lang,
) -> Result<(Arc<CampaignData>, Result<Dataset, String>), AppError> {
    let data = state
        .stats
        .data(&state.db, &state.divisions, c, lang)
        .await?;
    let sel = match a.selection(node, lang) {
        Ok(s) => s,
        Err(m) => return Ok((data, Err(m))),
    };
    let vars = wanted(a);
    let ds = data.select_vars(&viewer.scope, &sel, &names(&vars))?;
    Ok((data, Ok(ds)))
}

/// `GET /campaigns/{id}/stats?node=…&proc=…&v=…`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<StatsPage, AppError> {
    if !viewer.analyses() {
        return Err(AppError::Forbidden);
    }
    let a = Ask::parse(pairs);
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, a.node.as_deref()).await?;
    let (data, ds) = selected(&state, &viewer, &c, &node, &a, lang).await?;
    let (cases, result) = match ds {
        Ok(ds) => {
            let n = ds.cases();
            let a2 = a.clone();
            let r = tokio::task::spawn_blocking(move || run(&ds, &a2, lang))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            (n, r)
        }
        Err(m) => (0, Err(m)),
    };
    let (outcome, error) = match result {
        Ok(o) => (o, None),
        Err(m) => (Outcome::default(), Some(m)),
    };
    let crumbs = super::campaigns::crumbs(&state, &viewer, &c, &node, |id, n| {
        format!("/campaigns/{id}/stats?{}", a.query_with_node(n, false))
    })
    .await?;
    let children = orgs::children(&state.db, &viewer.scope, &node)
        .await?
        .into_iter()
        .filter(|k| k.org.record.kind != OrgKind::Chamber && k.below.chambers > 0)
        .map(|k| {
            (
                format!(
                    "/campaigns/{}/stats?{}",
                    c.id,
                    a.query_with_node(k.org.id, false)
                ),
                k.org.record.name,
            )
        })
        .collect();
    let variables = data
        .data
        .variables
        .iter()
        .map(|v| VarChoice {
            name: v.name.clone(),
            text: match &v.label {
                Some(l) => format!("{} — {l}", v.name),
                None => v.name.clone(),
            },
            numeric: matches!(v.kind, VarKind::Numeric),
        })
        .collect();
    Ok(StatsPage {
        flash: None,
        me: Some(viewer.me(lang, &csrf)),
        id: c.id,
        title: title(&c, lang),
        node_id: node.id,
        node_name: node.record.name.clone(),
        crumbs,
        children,
        procs: Proc::ALL
            .iter()
            .map(|p| (p.code(), p.label(lang)))
            .collect(),
        proc: a.proc.map(Proc::code).unwrap_or(""),
        variables,
        categories: ChamberCategory::ALL
            .iter()
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        levels: FederationLevel::ALL
            .iter()
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        conclusions: Conclusion::ALL
            .iter()
            .map(|x| (x.code(), x.label(lang)))
            .collect(),
        regions: regions(&state, &node),
        cases_note: lang.tf("stats_page.cases", &[("n", &cases.to_string())]),
        error,
        tables: outcome.tables.iter().map(shown).collect(),
        charts: outcome.charts,
        stacks: outcome.stacks,
        export_href: format!(
            "/campaigns/{}/stats.xlsx?{}",
            c.id,
            a.query_with_node(node.id, true)
        ),
        sav_href: format!(
            "/campaigns/{}/stats.sav?{}",
            c.id,
            a.query_with_node(node.id, true)
        ),
        ask: a,
        lang,
    })
}

/// `GET /campaigns/{id}/stats.xlsx?…`: the tables of the same request as a workbook.
pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if !viewer.analyses() {
        return Err(AppError::Forbidden);
    }
    let a = Ask::parse(pairs);
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, a.node.as_deref()).await?;
    let (_, ds) = selected(&state, &viewer, &c, &node, &a, lang).await?;
    let bad =
        |m: String| AppError::Refused(vec![Msg::new("stats_page.export_failed").with("reason", m)]);
    let ds = ds.map_err(bad)?;
    if a.proc.is_none() {
        return Err(bad(lang.t("stats_page.need_proc").to_string()));
    }
    let sheet = lang.t("stats_page.sheet").to_string();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let out = run(&ds, &a, lang)?;
        shanghui_files::write_stats_xlsx(&out.tables, &sheet).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(bad)?;
    let name = lang.tf(
        "stats_page.file",
        &[("year", &c.year.to_string()), ("node", &node.record.name)],
    );
    Ok(download(XLSX, &name, "statistics.xlsx", bytes))
}

/// `GET /campaigns/{id}/stats.sav?…`: the selected cases (the node, the filters) with every
/// variable as an SPSS system file: variable and value labels in UTF-8, measurement levels.
pub async fn export_sav(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if !viewer.analyses() {
        return Err(AppError::Forbidden);
    }
    let a = Ask::parse(pairs);
    let c = campaigns::get(&state.db, &viewer.scope, ids.id).await?;
    let node = super::campaigns::asked_node(&state, &viewer, &c, a.node.as_deref()).await?;
    let data = state
        .stats
        .data(&state.db, &state.divisions, &c, lang)
        .await?;
    let sel = a.selection(&node, lang).map_err(|m| {
        AppError::Refused(vec![Msg::new("stats_page.export_failed").with("reason", m)])
    })?;
    let ds = data.select(&viewer.scope, &sel)?;
    let bytes = tokio::task::spawn_blocking(move || shanghui_files::write_sav(&ds))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("{e:?}")))?;
    let name = lang.tf(
        "stats_page.sav_file",
        &[("year", &c.year.to_string()), ("node", &node.record.name)],
    );
    Ok(download(
        "application/x-spss-sav",
        &name,
        "statistics.sav",
        bytes,
    ))
}
