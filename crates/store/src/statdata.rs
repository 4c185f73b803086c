//! A campaign's submitted reports as a statistics data set (`shanghui_stats::Dataset`), the way
//! staff would set it up in SPSS: one case per report; registry fields first (unit ID, name,
//! category, province, city, county, the review's conclusion), then every item of the template
//! with its label, value labels (choices, 是/否) and measurement level. Used by the statistics
//! pages, `shanghui stats`, and the .sav export.

use std::collections::HashMap;

use shanghui_core::report::Answers;
use shanghui_core::review::Conclusion;
use shanghui_core::template::{ItemType, Template, Value as Answer};
use shanghui_core::{
    ChamberCategory, DivisionCode, DivisionIndex, DivisionLevel, FederationLevel, Lang,
    Organization, Scope,
};
use shanghui_stats::{Column, Dataset, Measure, Value, Variable};

use crate::campaigns::Campaign;
use crate::{Db, Result, StoreError, divisions, templates, with_db};

/// Which reports of the campaign: the filters of the statistics page.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only under this node (the scope's root otherwise).
    pub node: Option<Organization>,
    pub category: Option<ChamberCategory>,
    pub conclusion: Option<Conclusion>,
    /// Only chambers whose nearest federation is of this level (县级商会: county).
    pub level: Option<FederationLevel>,
    /// Only units whose division lies within this one (a province, city or county).
    pub region: Option<DivisionCode>,
}

fn coded(name: &str, label: String, labels: Vec<(f64, String)>) -> Variable {
    let mut v = Variable::numeric(name);
    v.label = Some(label);
    v.measure = Measure::Nominal;
    v.decimals = 0;
    v.value_labels = labels
        .into_iter()
        .map(|(x, l)| (Value::Num(x), l))
        .collect();
    v
}

fn text(name: &str, label: String, width: usize) -> Variable {
    let mut v = Variable::string(name, width);
    v.label = Some(label);
    v
}

/// The data set of the campaign's submitted reports in `scope` (narrowed by `sel`).
pub async fn campaign_dataset(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    sel: &Selection,
    lang: Lang,
) -> Result<Dataset> {
    load(db, scope, c, lang).await?.select(scope, sel)
}

/// Every submitted report of a campaign read (in a scope) as a data set once, with what each
/// case needs for selecting it (its path and registry facts): the statistics page keeps one of
/// these per campaign generation and cuts each request's cases out of it in memory.
#[derive(Debug, Clone)]
pub struct CampaignData {
    pub campaign_id: i64,
    /// The campaign's generation when read (see `Campaign::generation`).
    pub generation: i64,
    pub lang: Lang,
    /// The scope it was read in: [`CampaignData::select`] never goes outside it.
    pub scope: Scope,
    pub data: Dataset,
    cases: Vec<CaseFacts>,
}

/// What the filters look at, per case.
#[derive(Debug, Clone)]
struct CaseFacts {
    path: String,
    category: Option<ChamberCategory>,
    conclusion: Option<Conclusion>,
    level: Option<FederationLevel>,
    division: Option<DivisionCode>,
}

impl CampaignData {
    /// Cases in the data.
    pub fn cases(&self) -> usize {
        self.cases.len()
    }

    /// The cases of `scope` (within the one read) that `sel` asks for, as a data set. A node
    /// outside the scope is not found.
    pub fn select(&self, scope: &Scope, sel: &Selection) -> Result<Dataset> {
        self.select_vars(scope, sel, &[])
    }

    /// As [`CampaignData::select`], with only the variables named (all when none is; a name
    /// that is not a variable is left for the procedure to report).
    pub fn select_vars(&self, scope: &Scope, sel: &Selection, vars: &[&str]) -> Result<Dataset> {
        let node_path = match &sel.node {
            Some(n) if scope.contains(&n.path) && self.scope.contains(&n.path) => {
                Some(n.path.as_str())
            }
            Some(_) => return Err(StoreError::NotFound),
            None => None,
        };
        let (lo, hi) = scope.range();
        let keep: Vec<usize> = self
            .cases
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.path.as_str() >= lo.as_str()
                    && f.path.as_str() < hi.as_str()
                    && node_path.is_none_or(|p| f.path.starts_with(p))
                    && (sel.category.is_none() || f.category == sel.category)
                    && (sel.conclusion.is_none() || f.conclusion == sel.conclusion)
                    && (sel.level.is_none() || f.level == sel.level)
                    && sel
                        .region
                        .as_ref()
                        .is_none_or(|r| f.division.as_ref().is_some_and(|d| d.within(r)))
            })
            .map(|(i, _)| i)
            .collect();
        let cols: Vec<usize> = if vars.is_empty() {
            (0..self.data.variables.len()).collect()
        } else {
            vars.iter()
                .filter_map(|v| self.data.index(v).ok())
                .collect()
        };
        Ok(subset(&self.data, &keep, &cols))
    }
}

/// The rows `keep` of the columns `cols` of `ds`, in order.
fn subset(ds: &Dataset, keep: &[usize], cols: &[usize]) -> Dataset {
    let all_rows = keep.len() == ds.cases();
    Dataset {
        variables: cols.iter().map(|&i| ds.variables[i].clone()).collect(),
        columns: cols
            .iter()
            .map(|&i| &ds.columns[i])
            .map(|c| match c {
                _ if all_rows => c.clone(),
                Column::Num(xs) => Column::Num(keep.iter().map(|&i| xs[i]).collect()),
                Column::Str(ss) => Column::Str(keep.iter().map(|&i| ss[i].clone()).collect()),
            })
            .collect(),
    }
}

/// A submitted report with what the first variables say of its unit.
struct Case {
    id: i64,
    name: String,
    answers: Answers,
    facts: CaseFacts,
}

/// Reads the campaign's submitted reports in `scope` as a [`CampaignData`]: one query for the
/// reports with their units and conclusions, one for the federations' levels.
pub async fn load(db: &Db, scope: &Scope, c: &Campaign, lang: Lang) -> Result<CampaignData> {
    let index = divisions::load_index(db).await?;
    load_with(db, scope, c, lang, &index).await
}

/// As [`load`], with the divisions already in memory (the server keeps them).
pub async fn load_with(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    lang: Lang,
    index: &DivisionIndex,
) -> Result<CampaignData> {
    let t = templates::get(db, c.template_id).await?;
    let (lo, hi) = scope.range();
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let sql = "select o.organization_id, o.name, r.path, o.category, o.division_code, v.conclusion, r.answers \
               from report r join organization o on o.organization_id = r.organization_id \
               left join review v on v.report_id = r.report_id \
               where r.campaign_id = $1 and r.status = 'submitted' and r.path >= $2 and r.path < $3 \
               order by r.path";
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let levels = federation_levels(db).await?;
    let mut cases = Vec::with_capacity(rows.len());
    for (id, name, path, category, division, conclusion, answers) in rows {
        let answers = match answers.as_deref() {
            None => Answers::new(),
            Some(j) => shanghui_core::report::from_json(&t, j)
                .map_err(|e| StoreError::Corrupt(format!("report answers: {e}")))?,
        };
        let level = nearest_level(&path, id, &levels);
        cases.push(Case {
            id,
            name,
            answers,
            facts: CaseFacts {
                path,
                category: category.as_deref().and_then(ChamberCategory::from_code),
                conclusion: conclusion.as_deref().and_then(Conclusion::from_code),
                level,
                division: division
                    .as_deref()
                    .and_then(|d| DivisionCode::parse(d).ok()),
            },
        });
    }
    let data = build(&t, &cases, index, lang);
    Ok(CampaignData {
        campaign_id: c.id,
        generation: c.generation,
        lang,
        scope: scope.clone(),
        data,
        cases: cases.into_iter().map(|c| c.facts).collect(),
    })
}

/// Every federation's level, by ID (a few thousand rows).
async fn federation_levels(db: &Db) -> Result<HashMap<i64, FederationLevel>> {
    let rows: Vec<(i64, Option<String>)> = with_db!(db, p => sqlx::query_as(
        "select organization_id, level from organization where kind = 'federation'")
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, l)| Some((id, FederationLevel::from_code(l.as_deref()?)?)))
        .collect())
}

/// The level of the nearest federation above the unit (a branch between them is passed over).
fn nearest_level(
    path: &str,
    id: i64,
    levels: &HashMap<i64, FederationLevel>,
) -> Option<FederationLevel> {
    let p = shanghui_core::OrgPath::parse(path).ok()?;
    p.ids()
        .into_iter()
        .rev()
        .filter(|&a| a != id)
        .find_map(|a| levels.get(&a).copied())
}

/// The data set of the cases: registry fields first, then every item of the template.
fn build(t: &Template, cases: &[Case], index: &DivisionIndex, lang: Lang) -> Dataset {
    let mut ds = Dataset::default();
    let cat_labels = ChamberCategory::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| ((i + 1) as f64, c.label(lang).to_string()))
        .collect();
    let level_labels = FederationLevel::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| ((i + 1) as f64, c.label(lang).to_string()))
        .collect();
    let conc_labels = Conclusion::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| ((i + 1) as f64, c.label(lang).to_string()))
        .collect();
    let mut id = Variable::numeric("org_id");
    id.label = Some(lang.t("common.id").to_string());
    id.measure = Measure::Nominal;
    id.decimals = 0;
    ds.push(id, Column::Num(cases.iter().map(|c| c.id as f64).collect()));
    ds.push(
        text("org_name", lang.t("field.name").to_string(), 120),
        Column::Str(cases.iter().map(|c| c.name.clone()).collect()),
    );
    let position = |i: Option<usize>| i.map(|i| (i + 1) as f64).unwrap_or(f64::NAN);
    ds.push(
        coded(
            "org_category",
            lang.t("field.category").to_string(),
            cat_labels,
        ),
        Column::Num(
            cases
                .iter()
                .map(|c| {
                    position(
                        c.facts
                            .category
                            .and_then(|k| ChamberCategory::ALL.iter().position(|x| *x == k)),
                    )
                })
                .collect(),
        ),
    );
    ds.push(
        coded("org_level", lang.t("stats.level").to_string(), level_labels),
        Column::Num(
            cases
                .iter()
                .map(|c| {
                    position(
                        c.facts
                            .level
                            .and_then(|k| FederationLevel::ALL.iter().position(|x| *x == k)),
                    )
                })
                .collect(),
        ),
    );
    // Province, city, county of the unit's division, by name: the regions staff compare. Units
    // share divisions, so each division's chain is looked up once.
    let mut chains: HashMap<&str, [String; 3]> = HashMap::new();
    let regions: Vec<[String; 3]> = cases
        .iter()
        .map(|c| match &c.facts.division {
            None => Default::default(),
            Some(code) => chains
                .entry(code.as_str())
                .or_insert_with(|| {
                    let chain = index.chain(code);
                    let name = |level| {
                        chain
                            .iter()
                            .find(|d| d.level == level)
                            .map(|d| d.name.clone())
                            .unwrap_or_default()
                    };
                    [
                        name(DivisionLevel::Province),
                        name(DivisionLevel::City),
                        name(DivisionLevel::County),
                    ]
                })
                .clone(),
        })
        .collect();
    for (k, (name, key)) in [
        ("province", "stats.province"),
        ("city", "stats.city"),
        ("county", "stats.county"),
    ]
    .into_iter()
    .enumerate()
    {
        ds.push(
            text(name, lang.t(key).to_string(), 60),
            Column::Str(regions.iter().map(|r| r[k].clone()).collect()),
        );
    }
    ds.push(
        coded(
            "conclusion",
            lang.t("review.col_conclusion").to_string(),
            conc_labels,
        ),
        Column::Num(
            cases
                .iter()
                .map(|c| {
                    position(
                        c.facts
                            .conclusion
                            .and_then(|k| Conclusion::ALL.iter().position(|x| *x == k)),
                    )
                })
                .collect(),
        ),
    );
    // Each case's answers are walked once and dealt out by item (rather than looked up item by
    // item in every case's map).
    let position: HashMap<&str, usize> = t
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.code.as_str(), i))
        .collect();
    let mut by_item: Vec<Vec<Option<&Answer>>> = vec![vec![None; cases.len()]; t.items.len()];
    for (k, case) in cases.iter().enumerate() {
        for (code, answer) in &case.answers {
            if let Some(&i) = position.get(code.as_str()) {
                by_item[i][k] = Some(answer);
            }
        }
    }
    for (item, answers) in t.items.iter().zip(&by_item) {
        let (var, col) = item_column(t, item, answers, lang);
        ds.push(var, col);
    }
    ds
}

/// One template item as a variable: numbers as scale, yes/no as 1/0 with 是/否, a choice as its
/// position in the list with the labels, text and dates as strings; a multiple choice as the
/// codes joined (text).
fn item_column(
    t: &Template,
    item: &shanghui_core::template::Item,
    rows: &[Option<&Answer>],
    lang: Lang,
) -> (Variable, Column) {
    let label = item.label(lang).to_string();
    fn get<'a>(u: &Option<&'a Answer>) -> Option<&'a Answer> {
        *u
    }
    match &item.ty {
        ItemType::Integer | ItemType::Decimal => {
            let mut v = Variable::numeric(&item.code);
            v.label = Some(label);
            v.decimals = if matches!(item.ty, ItemType::Integer) {
                0
            } else {
                2
            };
            let col = rows
                .iter()
                .map(|u| match get(u) {
                    Some(&Answer::Integer(i)) => i as f64,
                    Some(&Answer::Decimal(d)) => d,
                    _ => f64::NAN,
                })
                .collect();
            (v, Column::Num(col))
        }
        ItemType::YesNo => {
            let v = coded(
                &item.code,
                label,
                vec![
                    (1.0, lang.t("yes").to_string()),
                    (0.0, lang.t("no").to_string()),
                ],
            );
            let col = rows
                .iter()
                .map(|u| match get(u) {
                    Some(&Answer::YesNo(b)) => b as u8 as f64,
                    _ => f64::NAN,
                })
                .collect();
            (v, Column::Num(col))
        }
        ItemType::Choice(list) => {
            let choices: Vec<_> = t.choices.iter().filter(|c| &c.list == list).collect();
            let labels = choices
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let l = match lang {
                        Lang::ZhCn => c.label_zh.clone(),
                        Lang::En => c.label_en.clone(),
                    };
                    ((i + 1) as f64, l)
                })
                .collect();
            let mut v = coded(&item.code, label, labels);
            if list == "inspection" {
                v.measure = Measure::Ordinal;
            }
            let col = rows
                .iter()
                .map(|u| match get(u) {
                    Some(Answer::Choice(code)) => choices
                        .iter()
                        .position(|c| &c.code == code)
                        .map(|i| (i + 1) as f64)
                        .unwrap_or(f64::NAN),
                    _ => f64::NAN,
                })
                .collect();
            (v, Column::Num(col))
        }
        ItemType::Text | ItemType::Date | ItemType::MultiChoice(_) => {
            let width = if matches!(item.ty, ItemType::Date) {
                10
            } else {
                255
            };
            let col = rows
                .iter()
                .map(|u| get(u).map(shanghui_core::report::raw).unwrap_or_default())
                .collect();
            (text(&item.code, label, width), Column::Str(col))
        }
    }
}
