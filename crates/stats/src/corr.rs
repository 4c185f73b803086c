//! CORRELATIONS (Pearson) and NONPAR CORR (Spearman's rho): a matrix of coefficients with
//! two-tailed significance and N, with pairwise (SPSS's default) or listwise exclusion.
//!
//! Pearson's r is computed in two passes (means, then centred cross-products, compensated).
//! Spearman's rho is Pearson's r of the ranks, ties given their average rank, ranked over the
//! cases each pair uses. The significance of both, as SPSS, is that of t = r √((n−2)/(1−r²))
//! with n − 2 degrees of freedom, computed as the incomplete beta I_{1−r²}((n−2)/2, 1/2).

use serde::{Deserialize, Serialize};

use crate::data::{Column, DataError, Dataset};
use crate::dist;
use crate::table::{Cell, Table};
use crate::univar::{self, BLOCK, MissTest, Neumaier};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CorrMethod {
    #[default]
    Pearson,
    Spearman,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CorrOptions {
    pub method: CorrMethod,
    /// Use only cases valid on every variable (SPSS /MISSING=LISTWISE); by default each pair
    /// uses the cases valid on both (PAIRWISE).
    pub listwise: bool,
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CorrCell {
    /// The coefficient; `None` when a variable is constant over the cases (or there are fewer
    /// than two).
    pub r: Option<f64>,
    /// Two-tailed significance; `None` on the diagonal and where n ≤ 2.
    pub p: Option<f64>,
    pub n: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrResult {
    pub method: CorrMethod,
    pub variables: Vec<String>,
    pub labels: Vec<Option<String>>,
    /// `matrix[i][j]` for variables i and j (symmetric).
    pub matrix: Vec<Vec<CorrCell>>,
    pub listwise: bool,
    /// With listwise exclusion, the number of cases used.
    pub n_listwise: Option<f64>,
}

/// Pearson's r of paired values (both slices of the same length).
pub(crate) fn pearson_r(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mean = |v: &[f64]| {
        let mut s = Neumaier::default();
        for c in v.chunks(BLOCK) {
            s.add(c.iter().sum());
        }
        s.value() / n as f64
    };
    let (mx, my) = (mean(x), mean(y));
    let (mut sxx, mut syy, mut sxy) = (
        Neumaier::default(),
        Neumaier::default(),
        Neumaier::default(),
    );
    for (cx, cy) in x.chunks(BLOCK).zip(y.chunks(BLOCK)) {
        let (mut a, mut b, mut c) = (0.0, 0.0, 0.0);
        for (&xi, &yi) in cx.iter().zip(cy) {
            let (dx, dy) = (xi - mx, yi - my);
            a += dx * dx;
            b += dy * dy;
            c += dx * dy;
        }
        sxx.add(a);
        syy.add(b);
        sxy.add(c);
    }
    let (sxx, syy, sxy) = (sxx.value(), syy.value(), sxy.value());
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// Two-tailed p of a correlation coefficient from n cases (t with n − 2 df).
pub fn corr_p(r: f64, n: f64) -> Option<f64> {
    let df = n - 2.0;
    if df <= 0.0 || r.is_nan() {
        return None;
    }
    let a = r.abs();
    if a >= 1.0 {
        return Some(0.0);
    }
    let one_minus_r2 = (1.0 - a) * (1.0 + a);
    Some(dist::beta_i(df / 2.0, 0.5, one_minus_r2).clamp(0.0, 1.0))
}

/// The correlation matrix of numeric `vars`.
pub fn correlations(
    ds: &Dataset,
    vars: &[&str],
    opts: &CorrOptions,
) -> Result<CorrResult, DataError> {
    ds.check()?;
    let mut cols: Vec<&[f64]> = Vec::new();
    let mut miss: Vec<MissTest> = Vec::new();
    let mut names = Vec::new();
    let mut labels = Vec::new();
    for v in vars {
        let i = ds.index(v)?;
        let var = &ds.variables[i];
        match &ds.columns[i] {
            Column::Num(xs) => cols.push(xs),
            Column::Str(_) => return Err(DataError::NotNumeric(var.name.clone())),
        }
        miss.push(MissTest::for_var(var, opts.include_user_missing));
        names.push(var.name.clone());
        labels.push(var.label.clone());
    }
    let n = ds.cases();
    let k = cols.len();
    let valid: Vec<Vec<bool>> = (0..k)
        .map(|i| cols[i].iter().map(|&x| miss[i].is_valid(x)).collect())
        .collect();
    let listwise: Option<Vec<bool>> = opts
        .listwise
        .then(|| (0..n).map(|r| valid.iter().all(|v| v[r])).collect());
    let use_case = |i: usize, j: usize, r: usize| match &listwise {
        Some(l) => l[r],
        None => valid[i][r] && valid[j][r],
    };
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|i| (i..k).map(move |j| (i, j))).collect();
    let cells = univar::par_map(pairs.len(), n * pairs.len(), |p| {
        let (i, j) = pairs[p];
        let rows: Vec<usize> = (0..n).filter(|&r| use_case(i, j, r)).collect();
        let mut x: Vec<f64> = rows.iter().map(|&r| cols[i][r]).collect();
        let mut y: Vec<f64> = rows.iter().map(|&r| cols[j][r]).collect();
        if opts.method == CorrMethod::Spearman {
            x = univar::average_ranks(&x);
            y = univar::average_ranks(&y);
        }
        let m = rows.len() as f64;
        if i == j {
            let r = pearson_r(&x, &x).map(|_| 1.0);
            return CorrCell { r, p: None, n: m };
        }
        let r = pearson_r(&x, &y);
        CorrCell {
            r,
            p: r.and_then(|r| corr_p(r, m)),
            n: m,
        }
    });
    let mut matrix = vec![
        vec![
            CorrCell {
                r: None,
                p: None,
                n: 0.0
            };
            k
        ];
        k
    ];
    for (&(i, j), c) in pairs.iter().zip(cells) {
        matrix[i][j] = c;
        matrix[j][i] = c;
    }
    Ok(CorrResult {
        method: opts.method,
        variables: names,
        labels,
        matrix,
        listwise: opts.listwise,
        n_listwise: listwise.map(|l| l.iter().filter(|b| **b).count() as f64),
    })
}

impl CorrResult {
    /// SPSS's "Correlations" matrix: per variable a row of coefficients, of significances and
    /// (pairwise) of N; with listwise exclusion N is a footnote.
    pub fn to_tables(&self) -> Vec<Table> {
        let titles: Vec<String> = self
            .variables
            .iter()
            .zip(&self.labels)
            .map(|(n, l)| univar::var_title(n, l))
            .collect();
        let mut t = Table {
            title: match self.method {
                CorrMethod::Pearson => "Correlations".into(),
                CorrMethod::Spearman => "Correlations (Spearman's rho)".into(),
            },
            columns: ["", ""]
                .iter()
                .map(|s| s.to_string())
                .chain(titles.iter().cloned())
                .collect(),
            ..Table::default()
        };
        let coef = match self.method {
            CorrMethod::Pearson => "Pearson Correlation",
            CorrMethod::Spearman => "Correlation Coefficient",
        };
        for (i, title) in titles.iter().enumerate() {
            let row = &self.matrix[i];
            t.rows.push(
                [Cell::text(title.clone()), Cell::text(coef)]
                    .into_iter()
                    .chain(
                        row.iter()
                            .map(|c| Cell::Num(Some(c.r.unwrap_or(f64::NAN)), 3)),
                    )
                    .collect(),
            );
            t.rows.push(
                [Cell::Empty, Cell::text("Sig. (2-tailed)")]
                    .into_iter()
                    .chain(row.iter().enumerate().map(|(j, c)| {
                        if i == j {
                            Cell::Empty
                        } else {
                            Cell::Num(Some(c.p.unwrap_or(f64::NAN)), 3)
                        }
                    }))
                    .collect(),
            );
            if !self.listwise {
                t.rows.push(
                    [Cell::Empty, Cell::text("N")]
                        .into_iter()
                        .chain(row.iter().map(|c| Cell::Count(c.n)))
                        .collect(),
                );
            }
        }
        if let Some(n) = self.n_listwise {
            t.notes.push(format!("Listwise N = {n}"));
        }
        vec![t]
    }
}
