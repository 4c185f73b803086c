//! A campaign's submitted reports as a statistics data set (`shanghui_stats::Dataset`), the way
//! staff would set it up in SPSS: one case per report; registry fields first (unit ID, name,
//! category, province, city, county, the review's conclusion), then every item of the template
//! with its label, value labels (choices, 是/否) and measurement level. Used by the statistics
//! pages, `shanghui stats`, and the .sav export.

use std::collections::HashMap;

use shanghui_core::review::Conclusion;
use shanghui_core::template::{ItemType, Template, Value as Answer};
use shanghui_core::{ChamberCategory, Lang, Organization, Scope};
use shanghui_stats::{Column, Dataset, Measure, Value, Variable};

use crate::campaigns::Campaign;
use crate::{Db, Result, StoreError, divisions, reports, with_db};

/// Which reports of the campaign.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only under this node (the scope's root otherwise).
    pub node: Option<Organization>,
    pub category: Option<ChamberCategory>,
    pub conclusion: Option<Conclusion>,
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
    let narrowed = match &sel.node {
        Some(n) if scope.contains(&n.path) => Scope::subtree(n.path.clone()),
        Some(_) => return Err(StoreError::NotFound),
        None => scope.clone(),
    };
    let (t, units) = reports::answers_of_campaign(db, &narrowed, c.id).await?;
    let ids: Vec<i64> = units
        .iter()
        .filter(|u| u.status == Some(shanghui_core::report::ReportStatus::Submitted))
        .map(|u| u.id)
        .collect();
    let facts = unit_facts(db, c.id, &ids).await?;
    let index = divisions::load_index(db).await?;
    let mut rows = Vec::new();
    for u in units
        .into_iter()
        .filter(|u| u.status == Some(shanghui_core::report::ReportStatus::Submitted))
    {
        let Some(f) = facts.get(&u.id) else { continue };
        if sel.category.is_some() && f.category != sel.category {
            continue;
        }
        if sel.conclusion.is_some() && f.conclusion != sel.conclusion {
            continue;
        }
        rows.push((u, f));
    }
    let mut ds = Dataset::default();
    let cat_labels = ChamberCategory::ALL
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
    ds.push(
        id,
        Column::Num(rows.iter().map(|(u, _)| u.id as f64).collect()),
    );
    ds.push(
        text("org_name", lang.t("field.name").to_string(), 120),
        Column::Str(rows.iter().map(|(u, _)| u.name.clone()).collect()),
    );
    ds.push(
        coded(
            "org_category",
            lang.t("field.category").to_string(),
            cat_labels,
        ),
        Column::Num(
            rows.iter()
                .map(|(_, f)| {
                    f.category
                        .and_then(|c| ChamberCategory::ALL.iter().position(|x| *x == c))
                        .map(|i| (i + 1) as f64)
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
    );
    // Province, city, county of the unit's division, by name: the regions staff compare.
    use shanghui_core::DivisionLevel;
    for (level, name, key) in [
        (DivisionLevel::Province, "province", "stats.province"),
        (DivisionLevel::City, "city", "stats.city"),
        (DivisionLevel::County, "county", "stats.county"),
    ] {
        let names: Vec<String> = rows
            .iter()
            .map(|(_, f)| {
                f.division
                    .as_deref()
                    .and_then(|d| shanghui_core::DivisionCode::parse(d).ok())
                    .map(|code| {
                        index
                            .chain(&code)
                            .into_iter()
                            .find(|d| d.level == level)
                            .map(|d| d.name.clone())
                            .unwrap_or_default()
                    })
                    .unwrap_or_default()
            })
            .collect();
        ds.push(text(name, lang.t(key).to_string(), 60), Column::Str(names));
    }
    ds.push(
        coded(
            "conclusion",
            lang.t("review.col_conclusion").to_string(),
            conc_labels,
        ),
        Column::Num(
            rows.iter()
                .map(|(_, f)| {
                    f.conclusion
                        .and_then(|c| Conclusion::ALL.iter().position(|x| *x == c))
                        .map(|i| (i + 1) as f64)
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        ),
    );
    for item in &t.items {
        let (var, col) = item_column(&t, item, &rows, lang);
        ds.push(var, col);
    }
    Ok(ds)
}

/// One template item as a variable: numbers as scale, yes/no as 1/0 with 是/否, a choice as its
/// position in the list with the labels, text and dates as strings; a multiple choice as the
/// codes joined (text).
fn item_column(
    t: &Template,
    item: &shanghui_core::template::Item,
    rows: &[(reports::CampaignUnit, &Facts)],
    lang: Lang,
) -> (Variable, Column) {
    let label = item.label(lang).to_string();
    let get = |u: &reports::CampaignUnit| u.answers.get(&item.code).cloned();
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
                .map(|(u, _)| match get(u) {
                    Some(Answer::Integer(i)) => i as f64,
                    Some(Answer::Decimal(d)) => d,
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
                .map(|(u, _)| match get(u) {
                    Some(Answer::YesNo(b)) => b as u8 as f64,
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
                .map(|(u, _)| match get(u) {
                    Some(Answer::Choice(code)) => choices
                        .iter()
                        .position(|c| c.code == code)
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
                .map(|(u, _)| {
                    get(u)
                        .map(|a| shanghui_core::report::raw(&a))
                        .unwrap_or_default()
                })
                .collect();
            (text(&item.code, label, width), Column::Str(col))
        }
    }
}

/// What the registry and the review say of a unit, for the first variables.
struct Facts {
    category: Option<ChamberCategory>,
    division: Option<String>,
    conclusion: Option<Conclusion>,
}

async fn unit_facts(db: &Db, campaign_id: i64, ids: &[i64]) -> Result<HashMap<i64, Facts>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        type Row = (i64, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = with_db!(db, p => {
            let mut q = sqlx::QueryBuilder::new(
                "select o.organization_id, o.category, o.division_code, v.conclusion from organization o \
                 left join report r on r.organization_id = o.organization_id and r.campaign_id = ");
            q.push_bind(campaign_id).push(
                " left join review v on v.report_id = r.report_id where o.organization_id in (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(p).await
        })?;
        for (id, category, division, conclusion) in rows {
            out.insert(
                id,
                Facts {
                    category: category.as_deref().and_then(ChamberCategory::from_code),
                    division,
                    conclusion: conclusion.as_deref().and_then(Conclusion::from_code),
                },
            );
        }
    }
    Ok(out)
}
