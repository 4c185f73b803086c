//! RELIABILITY (model ALPHA): Cronbach's alpha over the cases valid on every item, and the
//! item-total statistics (scale mean and variance if the item is deleted, corrected item-total
//! correlation, alpha if the item is deleted), from the items' covariance matrix:
//!
//! alpha = k/(k−1) · (1 − Σ var_i / var_scale), with var_scale = Σ_ij cov_ij.

use serde::{Deserialize, Serialize};

use crate::data::{Column, DataError, Dataset};
use crate::table::{Cell, Table};
use crate::univar::{self, BLOCK, MissTest, Neumaier};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RelOptions {
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemStats {
    pub variable: String,
    pub label: Option<String>,
    pub mean: f64,
    pub std_dev: Option<f64>,
    pub scale_mean_if_deleted: f64,
    pub scale_variance_if_deleted: Option<f64>,
    pub corrected_item_total_correlation: Option<f64>,
    /// `None` with two items (one item left has no alpha).
    pub alpha_if_deleted: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelResult {
    /// Cases valid on every item, and the others.
    pub n_valid: f64,
    pub n_excluded: f64,
    pub total: f64,
    pub n_items: usize,
    /// `None` with fewer than two items or cases, or a constant scale.
    pub alpha: Option<f64>,
    pub scale_mean: f64,
    pub scale_variance: Option<f64>,
    pub items: Vec<ItemStats>,
}

fn alpha_of(k: f64, sum_var: f64, scale_var: f64) -> Option<f64> {
    // At most 1 (the covariance matrix is positive semi-definite); the bound is kept exactly.
    (k > 1.0 && scale_var > 0.0).then(|| (k / (k - 1.0) * (1.0 - sum_var / scale_var)).min(1.0))
}

/// Cronbach's alpha of numeric `items`, listwise over them.
pub fn reliability(
    ds: &Dataset,
    items: &[&str],
    opts: &RelOptions,
) -> Result<RelResult, DataError> {
    ds.check()?;
    let mut cols: Vec<&[f64]> = Vec::new();
    let mut miss = Vec::new();
    let mut vars = Vec::new();
    for it in items {
        let i = ds.index(it)?;
        let var = &ds.variables[i];
        match &ds.columns[i] {
            Column::Num(xs) => cols.push(xs),
            Column::Str(_) => return Err(DataError::NotNumeric(var.name.clone())),
        }
        miss.push(MissTest::for_var(var, opts.include_user_missing));
        vars.push(var);
    }
    let n = ds.cases();
    let k = cols.len();
    let rows: Vec<usize> = (0..n)
        .filter(|&r| cols.iter().zip(&miss).all(|(c, m)| m.is_valid(c[r])))
        .collect();
    let w = rows.len() as f64;
    // Means (compensated), then the covariance matrix about them.
    let means: Vec<f64> = cols
        .iter()
        .map(|c| {
            let mut s = Neumaier::default();
            for chunk in rows.chunks(BLOCK) {
                s.add(chunk.iter().map(|&r| c[r]).sum());
            }
            s.value() / w
        })
        .collect();
    let mut cov = vec![vec![0.0; k]; k];
    if w > 1.0 {
        let mut acc = vec![Neumaier::default(); k * k];
        let mut d = vec![0.0; k];
        for chunk in rows.chunks(BLOCK) {
            let mut block = vec![0.0; k * k];
            for &r in chunk {
                for i in 0..k {
                    d[i] = cols[i][r] - means[i];
                }
                for i in 0..k {
                    for j in i..k {
                        block[i * k + j] += d[i] * d[j];
                    }
                }
            }
            for (a, b) in acc.iter_mut().zip(&block) {
                a.add(*b);
            }
        }
        for i in 0..k {
            for j in i..k {
                let c = acc[i * k + j].value() / (w - 1.0);
                cov[i][j] = c;
                cov[j][i] = c;
            }
        }
    }
    let kf = k as f64;
    let trace: f64 = (0..k).map(|i| cov[i][i]).sum();
    let total_var: f64 = cov.iter().flatten().sum();
    let scale_mean: f64 = means.iter().sum();
    let enough = w > 1.0;
    // Sums over the covariance submatrix without item i are taken directly (not as the total
    // minus the item's row) so that they keep their precision when items cancel; a variance
    // within rounding of zero (relative to the entries summed) counts as zero.
    let abs_total: f64 = cov.iter().flatten().map(|c| c.abs()).sum();
    let items_out = (0..k)
        .map(|i| {
            let mut var_rest = 0.0;
            let mut abs_rest = 0.0;
            let mut cov_item_rest = 0.0;
            for (l, row) in cov.iter().enumerate() {
                if l == i {
                    continue;
                }
                cov_item_rest += row[i];
                for (m, c) in row.iter().enumerate() {
                    if m != i {
                        var_rest += c;
                        abs_rest += c.abs();
                    }
                }
            }
            let var_rest = if var_rest <= 1e-12 * abs_rest {
                0.0
            } else {
                var_rest
            };
            let r = (enough && cov[i][i] > 0.0 && var_rest > 0.0)
                .then(|| (cov_item_rest / (cov[i][i] * var_rest).sqrt()).clamp(-1.0, 1.0));
            ItemStats {
                variable: vars[i].name.clone(),
                label: vars[i].label.clone(),
                mean: means[i],
                std_dev: enough.then(|| cov[i][i].sqrt()),
                scale_mean_if_deleted: scale_mean - means[i],
                scale_variance_if_deleted: (enough && k > 1).then_some(var_rest),
                corrected_item_total_correlation: if k > 1 { r } else { None },
                alpha_if_deleted: if enough && k > 2 {
                    alpha_of(kf - 1.0, trace - cov[i][i], var_rest)
                } else {
                    None
                },
            }
        })
        .collect();
    let total_var = if total_var <= 1e-12 * abs_total {
        0.0
    } else {
        total_var
    };
    Ok(RelResult {
        n_valid: w,
        n_excluded: n as f64 - w,
        total: n as f64,
        n_items: k,
        alpha: if enough {
            alpha_of(kf, trace, total_var)
        } else {
            None
        },
        scale_mean,
        scale_variance: enough.then_some(total_var),
        items: items_out,
    })
}

impl RelResult {
    /// SPSS's "Case Processing Summary", "Reliability Statistics", "Item Statistics" and
    /// "Item-Total Statistics" tables.
    pub fn to_tables(&self) -> Vec<Table> {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let pct = |x: f64| {
            Cell::Num(
                Some(if self.total > 0.0 {
                    x / self.total * 100.0
                } else {
                    f64::NAN
                }),
                1,
            )
        };
        let summary = Table {
            title: "Case Processing Summary".into(),
            columns: cols(&["", "", "N", "%"]),
            rows: vec![
                vec![
                    Cell::text("Cases"),
                    Cell::text("Valid"),
                    Cell::Count(self.n_valid),
                    pct(self.n_valid),
                ],
                vec![
                    Cell::Empty,
                    Cell::text("Excluded"),
                    Cell::Count(self.n_excluded),
                    pct(self.n_excluded),
                ],
                vec![
                    Cell::Empty,
                    Cell::text("Total"),
                    Cell::Count(self.total),
                    pct(self.total),
                ],
            ],
            notes: vec!["Listwise deletion based on all variables in the procedure.".into()],
        };
        let num = |x: Option<f64>, d: u8| Cell::Num(Some(x.unwrap_or(f64::NAN)), d);
        let stats = Table {
            title: "Reliability Statistics".into(),
            columns: cols(&["Cronbach's Alpha", "N of Items"]),
            rows: vec![vec![num(self.alpha, 3), Cell::Count(self.n_items as f64)]],
            notes: Vec::new(),
        };
        let title = |it: &ItemStats| Cell::text(univar::var_title(&it.variable, &it.label));
        let item_stats = Table {
            title: "Item Statistics".into(),
            columns: cols(&["", "Mean", "Std. Deviation", "N"]),
            rows: self
                .items
                .iter()
                .map(|it| {
                    vec![
                        title(it),
                        num(Some(it.mean), 4),
                        num(it.std_dev, 5),
                        Cell::Count(self.n_valid),
                    ]
                })
                .collect(),
            notes: Vec::new(),
        };
        let item_total = Table {
            title: "Item-Total Statistics".into(),
            columns: cols(&[
                "",
                "Scale Mean if Item Deleted",
                "Scale Variance if Item Deleted",
                "Corrected Item-Total Correlation",
                "Cronbach's Alpha if Item Deleted",
            ]),
            rows: self
                .items
                .iter()
                .map(|it| {
                    vec![
                        title(it),
                        num(Some(it.scale_mean_if_deleted), 2),
                        num(it.scale_variance_if_deleted, 3),
                        num(it.corrected_item_total_correlation, 3),
                        num(it.alpha_if_deleted, 3),
                    ]
                })
                .collect(),
            notes: Vec::new(),
        };
        vec![summary, stats, item_stats, item_total]
    }
}
