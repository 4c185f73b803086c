//! ONEWAY analysis of variance as SPSS computes it: descriptives by group, Levene's test of
//! homogeneity of variances (absolute deviations from the group means, as PSPP's
//! /STATISTICS=HOMOGENEITY), the ANOVA table, and post hoc multiple comparisons by Tukey's HSD
//! and Bonferroni.
//!
//! Groups are the factor's values among the cases valid for the dependent variable (and the
//! factor); with `Listwise`, among the cases valid on every dependent variable.
//!
//! Post hoc, for groups i and j with MS_within on N-k df: `d = mean_i - mean_j`,
//! `SE = √(MS_within (1/n_i + 1/n_j))`; Tukey (Tukey–Kramer for unequal sizes): significance
//! `P(Q > √2 |d|/SE)` and interval `d ± q(1-α; k, N-k)/√2 · SE` with Q the studentized range
//! ([`crate::ptukey`]); Bonferroni: `min(1, m · P(|T| > |d|/SE))` with m = k(k-1)/2 and
//! interval `d ± t(1 - α/(2m); N-k) · SE`.

use serde::{Deserialize, Serialize};

use crate::crosstabs::{Category, VarInfo, code_column, sorted_order};
use crate::data::{DataError, Dataset};
use crate::dist::t_two_tailed;
use crate::ptukey::{ptukey_sf, qtukey_sf};
use crate::table::{Cell, Table};
use crate::ttest::{
    Levene, MissingMode, Moments, anova_f, fmt_pct, levene, listwise_mask, mean_dec, num_valid,
    numeric, sd_dec, t_upper,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnewayOptions {
    /// Show the Descriptives table.
    pub descriptives: bool,
    /// Levene's test of homogeneity of variances.
    pub homogeneity: bool,
    pub tukey: bool,
    pub bonferroni: bool,
    /// Confidence level of the group means' intervals and the post hoc intervals
    /// (significance level α = 1 - confidence).
    pub confidence: f64,
    pub missing: MissingMode,
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
}

impl Default for OnewayOptions {
    fn default() -> Self {
        OnewayOptions {
            descriptives: true,
            homogeneity: true,
            tukey: true,
            bonferroni: true,
            confidence: 0.95,
            missing: MissingMode::Analysis,
            include_user_missing: false,
        }
    }
}

/// Descriptive statistics of one group (or of all groups together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDesc {
    /// The factor's value; `None` for the total.
    pub group: Option<Category>,
    pub n: f64,
    pub mean: f64,
    pub std_dev: f64,
    pub std_error: f64,
    /// Confidence interval for the mean (t with n-1 df).
    pub ci_lower: f64,
    pub ci_upper: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnovaRow {
    pub sum_of_squares: f64,
    pub df: f64,
    /// Not defined for the total row.
    pub mean_square: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anova {
    pub between: AnovaRow,
    pub within: AnovaRow,
    pub total: AnovaRow,
    pub f: f64,
    pub sig: f64,
}

/// A post hoc comparison of group `i` with group `j` (indices into the groups).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub i: usize,
    pub j: usize,
    /// mean_i - mean_j.
    pub mean_difference: f64,
    pub std_error: f64,
    pub sig: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnewayAnalysis {
    pub var: VarInfo,
    pub groups: Vec<GroupDesc>,
    pub total: GroupDesc,
    pub anova: Anova,
    pub levene: Option<Levene>,
    /// Every ordered pair (i, j), i ≠ j, in SPSS's order.
    pub tukey: Option<Vec<Comparison>>,
    pub bonferroni: Option<Vec<Comparison>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnewayResult {
    pub factor: VarInfo,
    pub analyses: Vec<OnewayAnalysis>,
    pub options: OnewayOptions,
}

/// ONEWAY of each dependent variable by `factor`.
pub fn oneway(
    ds: &Dataset,
    vars: &[&str],
    factor: &str,
    opts: &OnewayOptions,
) -> Result<OnewayResult, DataError> {
    ds.check()?;
    let inc = opts.include_user_missing;
    let (fvar, fcol) = ds.var(factor)?;
    let coded = code_column(fvar, fcol, inc);
    let order = sorted_order(&coded.values);
    // Rank of each provisional code in SPSS's order.
    let mut rank = vec![0usize; order.len()];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    let mask = match opts.missing {
        MissingMode::Listwise => {
            let mut all = vars.to_vec();
            all.push(factor);
            Some(listwise_mask(ds, &all, inc)?)
        }
        MissingMode::Analysis => None,
    };
    let alpha = 1.0 - opts.confidence;
    let mut analyses = Vec::new();
    for name in vars {
        let (var, xs) = numeric(ds, name)?;
        let mut by_group: Vec<Vec<f64>> = vec![Vec::new(); order.len()];
        let mut all = Vec::new();
        for (i, &code) in coded.codes.iter().enumerate() {
            if code != u32::MAX && num_valid(var, xs, i, inc) && mask.as_ref().is_none_or(|m| m[i])
            {
                by_group[rank[code as usize]].push(xs[i]);
                all.push(xs[i]);
            }
        }
        let present: Vec<usize> = (0..order.len())
            .filter(|&g| !by_group[g].is_empty())
            .collect();
        let samples: Vec<&[f64]> = present.iter().map(|&g| by_group[g].as_slice()).collect();
        let moments: Vec<Moments> = samples.iter().map(|s| Moments::of(s)).collect();
        let groups: Vec<GroupDesc> = present
            .iter()
            .zip(&moments)
            .map(|(&g, m)| {
                group_desc(
                    Some(Category::of(fvar, coded.values[order[g]].clone())),
                    m,
                    opts.confidence,
                )
            })
            .collect();
        let mt = Moments::of(&all);
        let total = group_desc(None, &mt, opts.confidence);

        let k = moments.len() as f64;
        let n = mt.n;
        let (ssb, ssw, f, sig) = anova_f(&moments);
        let (dfb, dfw) = (k - 1.0, n - k);
        let anova = Anova {
            between: AnovaRow {
                sum_of_squares: ssb,
                df: dfb,
                mean_square: Some(ssb / dfb),
            },
            within: AnovaRow {
                sum_of_squares: ssw,
                df: dfw,
                mean_square: Some(ssw / dfw),
            },
            total: AnovaRow {
                sum_of_squares: mt.ss,
                df: n - 1.0,
                mean_square: None,
            },
            f,
            sig,
        };
        let levene = if opts.homogeneity {
            levene(&samples, &moments)
        } else {
            None
        };
        let msw = ssw / dfw;
        let pairs: Vec<(usize, usize)> = (0..moments.len())
            .flat_map(|i| {
                (0..moments.len())
                    .filter(move |&j| j != i)
                    .map(move |j| (i, j))
            })
            .collect();
        let diff = |i: usize, j: usize| {
            let d = moments[i].mean - moments[j].mean;
            let se = (msw * (1.0 / moments[i].n + 1.0 / moments[j].n)).sqrt();
            (d, se)
        };
        let posthoc_ok = moments.len() >= 2 && dfw > 0.0;
        let tukey = (opts.tukey && posthoc_ok).then(|| {
            let crit = qtukey_sf(alpha, k, dfw) / std::f64::consts::SQRT_2;
            pairs
                .iter()
                .map(|&(i, j)| {
                    let (d, se) = diff(i, j);
                    let q = std::f64::consts::SQRT_2 * d.abs() / se;
                    Comparison {
                        i,
                        j,
                        mean_difference: d,
                        std_error: se,
                        sig: ptukey_sf(q, k, dfw),
                        ci_lower: d - crit * se,
                        ci_upper: d + crit * se,
                    }
                })
                .collect()
        });
        let bonferroni = (opts.bonferroni && posthoc_ok).then(|| {
            let m = k * (k - 1.0) / 2.0;
            let crit = t_upper(alpha / (2.0 * m), dfw);
            pairs
                .iter()
                .map(|&(i, j)| {
                    let (d, se) = diff(i, j);
                    Comparison {
                        i,
                        j,
                        mean_difference: d,
                        std_error: se,
                        sig: (m * t_two_tailed(d / se, dfw)).min(1.0),
                        ci_lower: d - crit * se,
                        ci_upper: d + crit * se,
                    }
                })
                .collect()
        });
        analyses.push(OnewayAnalysis {
            var: VarInfo::of(var),
            groups,
            total,
            anova,
            levene,
            tukey,
            bonferroni,
        });
    }
    Ok(OnewayResult {
        factor: VarInfo::of(fvar),
        analyses,
        options: opts.clone(),
    })
}

fn group_desc(group: Option<Category>, m: &Moments, confidence: f64) -> GroupDesc {
    let d = m.desc();
    let crit = t_upper(0.5 * (1.0 - confidence), m.n - 1.0);
    GroupDesc {
        group,
        n: m.n,
        mean: d.mean,
        std_dev: d.std_dev,
        std_error: d.se_mean,
        ci_lower: d.mean - crit * d.se_mean,
        ci_upper: d.mean + crit * d.se_mean,
        min: m.min,
        max: m.max,
    }
}

impl OnewayResult {
    /// Descriptives, Test of Homogeneity of Variances, ANOVA and Multiple Comparisons (as
    /// requested in the options).
    pub fn to_tables(&self) -> Vec<Table> {
        let mut out = Vec::new();
        let ci = format!(
            "{}% Confidence Interval for Mean",
            fmt_pct(self.options.confidence)
        );
        if self.options.descriptives {
            let mut rows = Vec::new();
            for a in &self.analyses {
                let v = &a.var;
                for (k, g) in a.groups.iter().chain(std::iter::once(&a.total)).enumerate() {
                    let name = g.group.as_ref().map(|c| c.text.as_str()).unwrap_or("Total");
                    rows.push(vec![
                        Cell::text(if k == 0 { v.shown() } else { "" }),
                        Cell::text(name),
                        Cell::Count(g.n),
                        Cell::Num(Some(g.mean), mean_dec(v)),
                        Cell::Num(Some(g.std_dev), sd_dec(v)),
                        Cell::Num(Some(g.std_error), sd_dec(v)),
                        Cell::Num(Some(g.ci_lower), mean_dec(v)),
                        Cell::Num(Some(g.ci_upper), mean_dec(v)),
                        Cell::Num(Some(g.min), v.decimals),
                        Cell::Num(Some(g.max), v.decimals),
                    ]);
                }
            }
            out.push(Table {
                title: "Descriptives".into(),
                columns: vec![
                    String::new(),
                    self.factor.shown().to_string(),
                    "N".into(),
                    "Mean".into(),
                    "Std. Deviation".into(),
                    "Std. Error".into(),
                    format!("{ci}: Lower Bound"),
                    format!("{ci}: Upper Bound"),
                    "Minimum".into(),
                    "Maximum".into(),
                ],
                rows,
                notes: Vec::new(),
            });
        }
        if self.options.homogeneity {
            out.push(Table {
                title: "Test of Homogeneity of Variances".into(),
                columns: vec![
                    String::new(),
                    "Levene Statistic".into(),
                    "df1".into(),
                    "df2".into(),
                    "Sig.".into(),
                ],
                rows: self
                    .analyses
                    .iter()
                    .map(|a| match &a.levene {
                        Some(l) => vec![
                            Cell::text(a.var.shown()),
                            Cell::Num(Some(l.f), 3),
                            Cell::Num(Some(l.df1), 0),
                            Cell::Num(Some(l.df2), 0),
                            Cell::Num(Some(l.sig), 3),
                        ],
                        None => vec![
                            Cell::text(a.var.shown()),
                            Cell::Empty,
                            Cell::Empty,
                            Cell::Empty,
                            Cell::Empty,
                        ],
                    })
                    .collect(),
                notes: Vec::new(),
            });
        }
        let mut rows = Vec::new();
        for a in &self.analyses {
            let v = &a.var;
            let an = &a.anova;
            for (k, (name, r)) in [
                ("Between Groups", &an.between),
                ("Within Groups", &an.within),
                ("Total", &an.total),
            ]
            .into_iter()
            .enumerate()
            {
                rows.push(vec![
                    Cell::text(if k == 0 { v.shown() } else { "" }),
                    Cell::text(name),
                    Cell::Num(Some(r.sum_of_squares), 3),
                    Cell::Num(Some(r.df), 0),
                    r.mean_square
                        .map(|m| Cell::Num(Some(m), 3))
                        .unwrap_or(Cell::Empty),
                    if k == 0 {
                        Cell::Num(Some(an.f), 3)
                    } else {
                        Cell::Empty
                    },
                    if k == 0 {
                        Cell::Num(Some(an.sig), 3)
                    } else {
                        Cell::Empty
                    },
                ]);
            }
        }
        out.push(Table {
            title: "ANOVA".into(),
            columns: vec![
                String::new(),
                String::new(),
                "Sum of Squares".into(),
                "df".into(),
                "Mean Square".into(),
                "F".into(),
                "Sig.".into(),
            ],
            rows,
            notes: Vec::new(),
        });
        let ci = format!("{}% Confidence Interval", fmt_pct(self.options.confidence));
        for a in &self.analyses {
            if a.tukey.is_none() && a.bonferroni.is_none() {
                continue;
            }
            let v = &a.var;
            let text = |i: usize| {
                a.groups[i]
                    .group
                    .as_ref()
                    .map(|c| c.text.clone())
                    .unwrap_or_default()
            };
            let mut rows = Vec::new();
            for (name, comps) in [("Tukey HSD", &a.tukey), ("Bonferroni", &a.bonferroni)] {
                let Some(comps) = comps else { continue };
                let mut last_i = usize::MAX;
                for (k, c) in comps.iter().enumerate() {
                    rows.push(vec![
                        Cell::text(if k == 0 { name } else { "" }),
                        Cell::text(if c.i != last_i {
                            text(c.i)
                        } else {
                            String::new()
                        }),
                        Cell::text(text(c.j)),
                        Cell::Num(Some(c.mean_difference), mean_dec(v)),
                        Cell::Num(Some(c.std_error), sd_dec(v)),
                        Cell::Num(Some(c.sig), 3),
                        Cell::Num(Some(c.ci_lower), mean_dec(v)),
                        Cell::Num(Some(c.ci_upper), mean_dec(v)),
                    ]);
                    last_i = c.i;
                }
            }
            let f = self.factor.shown();
            out.push(Table {
                title: format!("Multiple Comparisons ({})", v.shown()),
                columns: vec![
                    String::new(),
                    format!("(I) {f}"),
                    format!("(J) {f}"),
                    "Mean Difference (I-J)".into(),
                    "Std. Error".into(),
                    "Sig.".into(),
                    format!("{ci}: Lower Bound"),
                    format!("{ci}: Upper Bound"),
                ],
                rows,
                notes: Vec::new(),
            });
        }
        out
    }
}
