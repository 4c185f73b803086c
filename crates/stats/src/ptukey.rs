//! The studentized range distribution, for Tukey's HSD: the distribution of `Q = R / S`, where
//! `R` is the range of `k` independent standard normal values and `S² ~ χ²_ν / ν` is an
//! independent variance estimate with `ν` degrees of freedom.
//!
//! Mathematics (written from the definitions, no ported code):
//!
//! * The range of `k` normals, with `z` the largest of them (density `k φ(z) Φ(z)^(k-1)`, the
//!   other `k - 1` below it):
//!   `P(R ≤ w) = k ∫ φ(z) [Φ(z) - Φ(z - w)]^(k-1) dz`, and its upper tail, without forming
//!   `1 - P`: `P(R > w) = k ∫ φ(z) {Φ(z)^(k-1) - [Φ(z) - Φ(z - w)]^(k-1)} dz`, where the brace is
//!   `Φ(z)^(k-1) · (-expm1((k-1) · ln(1 - Φ(z-w)/Φ(z))))`, exact even when it is tiny.
//! * `S = √(χ²_ν/ν)` has density `g(s) = 2 (ν/2)^(ν/2) s^(ν-1) e^(-ν s²/2) / Γ(ν/2)`, and
//!   `P(Q > q) = ∫₀^∞ g(s) P(R > q s) ds` (likewise for `P(Q ≤ q)`).
//!
//! Numerics:
//!
//! * The inner integral (over z) is taken by composite 20-point Gauss–Legendre quadrature (nodes
//!   computed here by Newton's method on the Legendre recurrence) on a fixed grid, and
//!   tabulated once per `k` as piecewise Chebyshev series in w of `ln P(R > w)` and of
//!   `ln P(R ≤ w) - (k-1) ln w` (both analytic on [0, 20]; segments halved until their last
//!   coefficients are below 1e-14 of the function). Beyond w = 20 the k(k-1)/2 pairwise events
//!   `|Z_i - Z_j| > w` are disjoint to a relative e^(-w²/12): `P(R > w) = k(k-1) Q(w/√2)`.
//! * The outer integral (over s) is adaptive Gauss–Legendre: panels are split until the 10- and
//!   20-point rules agree well within 1e-13 of the whole, over the range where `ln g` has not
//!   fallen by e^-36 from its mode (its curvature is at least ν).
//! * `ptukey_sf` integrates the upper tail itself and `ptukey` the lower tail where it is the
//!   smaller one, so tails keep their relative precision (scipy's `sf` is `1 - cdf`, exact to
//!   about 1e-12 absolute only). `qtukey` solves on the log scale of the smaller tail
//!   (Illinois regula falsi).
//!
//! Accuracy: about 1e-14 relative against the exact k = 2 case (`Q = √2 |T_ν|`) and against
//! 20-digit mpmath values; 1e-9 or better against scipy.stats.studentized_range wherever scipy
//! itself is that precise. Cost: a few milliseconds for the first call with a given `k` (the
//! tables), then about 20 µs per probability and 0.2 ms per quantile. The adaptive
//! [`range_cdf`] and [`range_sf`] compute the inner integral directly (slower; used to check
//! the tables).

use std::sync::OnceLock;

use crate::dist::{ln_gamma, normal_cdf, normal_sf};

const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// Relative tolerance the adaptive quadrature aims at.
const REL_TOL: f64 = 1e-13;

/// Gauss–Legendre nodes and weights on [-1, 1] for `n` points.
fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut xs = Vec::with_capacity(n);
    let mut ws = Vec::with_capacity(n);
    for i in 0..n {
        // Starting guess for the i-th root (largest first), then Newton on P_n.
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            // P_n(x) and P_n'(x) by the three-term recurrence.
            let (mut p0, mut p1) = (1.0, x);
            for j in 2..=n {
                let j = j as f64;
                let p2 = ((2.0 * j - 1.0) * x * p1 - (j - 1.0) * p0) / j;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 0 { 1.0 } else { p1 };
            let pn1 = if n == 0 { 0.0 } else { p0 };
            dp = n as f64 * (x * pn - pn1) / (x * x - 1.0);
            let dx = pn / dp;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        xs.push(x);
        ws.push(2.0 / ((1.0 - x * x) * dp * dp));
    }
    (xs, ws)
}

struct Rules {
    lo: (Vec<f64>, Vec<f64>),
    hi: (Vec<f64>, Vec<f64>),
}

fn rules() -> &'static Rules {
    static R: OnceLock<Rules> = OnceLock::new();
    R.get_or_init(|| Rules {
        lo: gauss_legendre(10),
        hi: gauss_legendre(20),
    })
}

fn apply(rule: &(Vec<f64>, Vec<f64>), f: &mut impl FnMut(f64) -> f64, a: f64, b: f64) -> f64 {
    let (c, h) = (0.5 * (a + b), 0.5 * (b - a));
    rule.0
        .iter()
        .zip(&rule.1)
        .map(|(x, w)| w * f(c + h * x))
        .sum::<f64>()
        * h
}

/// ∫_a^b f on `panels` equal panels, each split until its 20-point value is within
/// [`REL_TOL`] of the whole integral. For an analytic integrand the n-point rule's error on a
/// panel falls like ρ^(-2n), so the 20-point error is about the square of the 10-point error
/// relative to the panel's own size: (coarse - fine)² / |panel|.
fn integrate(mut f: impl FnMut(f64) -> f64, a: f64, b: f64, panels: usize) -> f64 {
    let r = rules();
    let width = (b - a) / panels as f64;
    // (a, b, coarse, fine, depth)
    let mut work: Vec<(f64, f64, f64, f64, u32)> = (0..panels)
        .map(|i| {
            let (pa, pb) = (a + width * i as f64, a + width * (i + 1) as f64);
            let pb = if i + 1 == panels { b } else { pb };
            (
                pa,
                pb,
                apply(&r.lo, &mut f, pa, pb),
                apply(&r.hi, &mut f, pa, pb),
                0,
            )
        })
        .collect();
    let mut done = 0.0;
    loop {
        let scale = (done + work.iter().map(|p| p.3).sum::<f64>()).abs();
        let mut next = Vec::new();
        for (pa, pb, lo, hi, depth) in work {
            let diff = (lo - hi).abs();
            let size = lo.abs().max(hi.abs());
            // Estimated error of `hi`, with a safety factor of 100 on the squared law, and the
            // coarse difference itself once it is negligible.
            let err = if size > 0.0 {
                (100.0 * diff * diff / size).min(diff)
            } else {
                0.0
            };
            if err <= REL_TOL * scale || depth >= 40 || scale == 0.0 {
                done += hi;
            } else {
                let m = 0.5 * (pa + pb);
                for (qa, qb) in [(pa, m), (m, pb)] {
                    next.push((
                        qa,
                        qb,
                        apply(&r.lo, &mut f, qa, qb),
                        apply(&r.hi, &mut f, qa, qb),
                        depth + 1,
                    ));
                }
            }
        }
        if next.is_empty() {
            return done;
        }
        work = next;
    }
}

fn phi(z: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * z * z).exp()
}

/// P(Φ between z - w and z) = Φ(z) - Φ(z - w), without cancellation.
fn normal_interval(z: f64, w: f64) -> f64 {
    if w < 1.0 {
        // Integrate the density over the short interval (8 nodes are exact to rounding there).
        static R8: OnceLock<(Vec<f64>, Vec<f64>)> = OnceLock::new();
        let r8 = R8.get_or_init(|| gauss_legendre(8));
        let (c, h) = (z - 0.5 * w, 0.5 * w);
        return h * r8
            .0
            .iter()
            .zip(&r8.1)
            .map(|(x, wt)| wt * phi(c + h * x))
            .sum::<f64>();
    }
    if z - w >= 0.0 {
        normal_sf(z - w) - normal_sf(z)
    } else {
        normal_cdf(z) - normal_cdf(z - w)
    }
}

/// P(R ≤ w) for the range R of `k` independent standard normal values.
pub fn range_cdf(w: f64, k: f64) -> f64 {
    if w.is_nan() {
        return f64::NAN;
    }
    if w <= 0.0 {
        return 0.0;
    }
    if w.is_infinite() {
        return 1.0;
    }
    let m = k - 1.0;
    let f = |z: f64| {
        let d = normal_interval(z, w);
        if d <= 0.0 {
            0.0
        } else {
            k * phi(z) * (m * d.ln()).exp()
        }
    };
    let p = integrate(f, -9.0, 9.0, 6);
    p.clamp(0.0, 1.0)
}

/// P(R > w) for the range R of `k` independent standard normal values.
pub fn range_sf(w: f64, k: f64) -> f64 {
    if w.is_nan() {
        return f64::NAN;
    }
    if w <= 0.0 {
        return 1.0;
    }
    if w.is_infinite() {
        return 0.0;
    }
    let m = k - 1.0;
    let f = |z: f64| {
        let a = normal_cdf(z);
        if a <= 0.0 {
            return 0.0;
        }
        // ln(1 - b/a) with b = Φ(z - w): from b when it is the small part, else from a - b.
        let b = normal_cdf(z - w);
        let l = if b < 0.5 * a {
            (-b / a).ln_1p()
        } else {
            (normal_interval(z, w) / a).ln()
        };
        let bracket = -(m * l).exp_m1();
        k * phi(z) * (m * a.ln()).exp() * bracket
    };
    // The mass sits within the maximum's range (|z| < 9) and, for a wide range, around z = w/2.
    let lo = (-9.0f64).max(0.5 * w - 8.5);
    let hi = 9.0f64.max(0.5 * w + 8.5);
    let panels = ((hi - lo) / 3.0) as usize;
    integrate(f, lo, hi, panels).clamp(0.0, 1.0)
}

/// The range distribution on a fixed grid of z shared by every `w`: φ(z) and Φ(z) at the nodes
/// are computed once, so each `w` costs one normal tail per node. The grid covers the mass of
/// both integrands for `w <= TABLE_W_MAX` (within the range of the maximum of k normals and,
/// for the upper tail of a wide range, around z = w/2).
struct RangeGrid {
    m: f64,
    /// (z, weight · k · φ(z), Φ(z), Φ(z)^m)
    nodes: Vec<(f64, f64, f64, f64)>,
}

/// Beyond this range width `P(R > w) < k² e^-100`: see [`RangeTable::ln_tail`].
const TABLE_W_MAX: f64 = 20.0;

impl RangeGrid {
    fn new(k: f64) -> Self {
        let m = k - 1.0;
        let r = &rules().hi;
        let (lo, hi) = (-8.5, 0.5 * TABLE_W_MAX + 6.5);
        // The maximum of k normals has spread about 1/√(2 ln k), and for a narrow range the
        // lower tail's integrand ~ φ(z)^k has spread 1/√k: keep panels well inside both.
        let width = (2.0 / (k.ln() + 1.0).sqrt()).min(3.0 / k.sqrt()).min(1.5);
        let panels = ((hi - lo) / width).ceil() as usize;
        let h = (hi - lo) / panels as f64;
        let mut nodes = Vec::with_capacity(panels * r.0.len());
        for p in 0..panels {
            let c = lo + h * (p as f64 + 0.5);
            for (x, wt) in r.0.iter().zip(&r.1) {
                let z = c + 0.5 * h * x;
                let a = normal_cdf(z);
                let base = 0.5 * h * wt * k * phi(z);
                if base > 0.0 {
                    nodes.push((z, base, a, (m * a.ln()).exp()));
                }
            }
        }
        // Ascending z (the rule lists each panel's nodes from the right), so scans can stop early.
        nodes.sort_by(|a, b| a.0.total_cmp(&b.0));
        RangeGrid { m, nodes }
    }

    /// P(R > w).
    fn sf(&self, w: f64) -> f64 {
        if w <= 0.0 {
            return 1.0;
        }
        let m = self.m;
        let mut sum = 0.0;
        for &(z, base, a, am) in &self.nodes {
            // Only where the integrand can matter (see `range_sf`).
            if z < 0.5 * w - 7.0 || am == 0.0 {
                continue;
            }
            if z > 9.0f64.max(0.5 * w + 7.0) {
                break;
            }
            let b = normal_cdf(z - w);
            let l = if b < 0.5 * a {
                (-b / a).ln_1p()
            } else {
                (normal_interval(z, w) / a).ln()
            };
            sum += base * am * -(m * l).exp_m1();
        }
        sum.clamp(0.0, 1.0)
    }

    /// P(R ≤ w).
    fn cdf(&self, w: f64) -> f64 {
        if w <= 0.0 {
            return 0.0;
        }
        let m = self.m;
        let mut sum = 0.0;
        for &(z, base, _, _) in &self.nodes {
            if z > 9.0 {
                break;
            }
            let d = normal_interval(z, w);
            if d > 0.0 {
                sum += base * (m * d.ln()).exp();
            }
        }
        sum.clamp(0.0, 1.0)
    }
}

/// Chebyshev coefficients per segment.
const CHEB_N: usize = 16;

#[derive(Clone, Copy, PartialEq)]
enum Tail {
    /// ln P(R > w).
    Upper,
    /// ln P(R ≤ w) - (k-1) ln w: P(R ≤ w) has a zero of order k-1 at w = 0 and is otherwise an
    /// entire function, so this is smooth down to 0.
    Lower,
}

/// One tail of the range distribution for one `k` as piecewise Chebyshev series on
/// [0, TABLE_W_MAX]: both tabulated functions are analytic there (P(R ≤ w) is an entire
/// function of w and P(R > w) > 0), so short segments need few terms. Segments are halved until
/// the last two coefficients are below 1e-14 of the function's size. Built once per `k` (a few
/// milliseconds) and kept, so an outer integral costs no inner quadrature.
struct RangeTable {
    /// (start, end, coefficients)
    segments: Vec<(f64, f64, [f64; CHEB_N])>,
    k: f64,
    tail: Tail,
}

impl RangeTable {
    fn new(k: f64, tail: Tail) -> Self {
        let grid = RangeGrid::new(k);
        let m = k - 1.0;
        let f = |w: f64| match tail {
            Tail::Upper => grid.sf(w).ln(),
            Tail::Lower => grid.cdf(w).ln() - m * w.ln(),
        };
        let mut segments = Vec::new();
        const START: f64 = 4.0;
        let mut todo: Vec<(f64, f64)> = (0..((TABLE_W_MAX / START) as usize))
            .rev()
            .map(|i| (START * i as f64, START * (i + 1) as f64))
            .collect();
        while let Some((a, b)) = todo.pop() {
            let c = chebyshev_fit(&f, a, b);
            let tail_size = c[CHEB_N - 1].abs().max(c[CHEB_N - 2].abs());
            // Relative to the size of the function (rounding in the values is about that).
            if tail_size > 1e-14 * (0.5 * c[0]).abs().max(1.0) && b - a > 1.0 / 64.0 {
                let mid = 0.5 * (a + b);
                todo.push((mid, b));
                todo.push((a, mid));
            } else {
                segments.push((a, b, c));
            }
        }
        RangeTable { segments, k, tail }
    }

    /// ln P(R > w) far out: the events |Z_i - Z_j| > w of the k(k-1)/2 pairs are disjoint up to
    /// a relative e^(-w²/12) < 1e-14, and each has probability 2 Q(w/√2).
    fn ln_tail(&self, w: f64) -> f64 {
        (self.k * (self.k - 1.0)).ln() + normal_sf(w / std::f64::consts::SQRT_2).ln()
    }

    /// ln P(R > w) (upper table) or ln P(R ≤ w) (lower table).
    fn ln_p(&self, w: f64) -> f64 {
        match self.tail {
            Tail::Upper if w <= 0.0 => 0.0,
            Tail::Lower if w <= 0.0 => f64::NEG_INFINITY,
            Tail::Upper if w >= TABLE_W_MAX => self.ln_tail(w),
            Tail::Lower if w >= TABLE_W_MAX => (-self.ln_tail(w).exp()).ln_1p(),
            _ => {
                let i = self
                    .segments
                    .partition_point(|s| s.1 <= w)
                    .min(self.segments.len() - 1);
                let (a, b, c) = &self.segments[i];
                let v = chebyshev_eval(c, *a, *b, w);
                match self.tail {
                    Tail::Upper => v,
                    Tail::Lower => v + (self.k - 1.0) * w.ln(),
                }
            }
        }
    }

    /// The table for `k`, built on first use.
    fn get(k: f64, tail: Tail) -> std::sync::Arc<RangeTable> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex};
        type Cache = Mutex<HashMap<(u64, bool), Arc<RangeTable>>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let key = (k.to_bits(), tail == Tail::Upper);
        if let Some(t) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return t.clone();
        }
        let t = Arc::new(RangeTable::new(k, tail));
        let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
        if c.len() > 256 {
            c.clear();
        }
        c.insert(key, t.clone());
        t
    }
}

/// Chebyshev coefficients of f on [a, b] from its values at the Chebyshev points.
fn chebyshev_fit(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> [f64; CHEB_N] {
    let n = CHEB_N as f64;
    let vals: Vec<f64> = (0..CHEB_N)
        .map(|j| {
            let x = (std::f64::consts::PI * (j as f64 + 0.5) / n).cos();
            f(0.5 * (a + b) + 0.5 * (b - a) * x)
        })
        .collect();
    let mut c = [0.0; CHEB_N];
    for (i, ci) in c.iter_mut().enumerate() {
        let s: f64 = vals
            .iter()
            .enumerate()
            .map(|(j, v)| v * (std::f64::consts::PI * i as f64 * (j as f64 + 0.5) / n).cos())
            .sum();
        *ci = 2.0 * s / n;
    }
    c
}

/// Σ' c_i T_i(t) at t = (2w - a - b)/(b - a), by Clenshaw's recurrence.
fn chebyshev_eval(c: &[f64; CHEB_N], a: f64, b: f64, w: f64) -> f64 {
    let t = (2.0 * w - a - b) / (b - a);
    let (mut b1, mut b2) = (0.0, 0.0);
    for &ci in c.iter().skip(1).rev() {
        let b0 = 2.0 * t * b1 - b2 + ci;
        b2 = b1;
        b1 = b0;
    }
    t * b1 - b2 + 0.5 * c[0]
}

/// ln g(s), the log density of S = √(χ²_ν/ν).
fn ln_chi_density(s: f64, nu: f64) -> f64 {
    if s <= 0.0 {
        return f64::NEG_INFINITY;
    }
    let x = 0.5 * nu;
    if x >= 10.0 {
        // x ln x - ln Γ(x) by Stirling's series (avoids cancelling two large numbers), and the
        // s-dependent part around s = 1 as ν [ln s - (s² - 1)/2] + ln(1/s) ... written so that
        // large ν keeps its precision.
        let x2 = x * x;
        let corr = 1.0 / (12.0 * x) - 1.0 / (360.0 * x * x2) + 1.0 / (1260.0 * x * x2 * x2)
            - 1.0 / (1680.0 * x * x2 * x2 * x2);
        let head =
            std::f64::consts::LN_2 + 0.5 * x.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() - corr;
        let u = s - 1.0;
        // x + (ν - 1) ln s - ν s²/2 = ν [ln(1+u) - u - u²/2] - ln s
        head + nu * ((u.ln_1p() - u) - 0.5 * u * u) - s.ln()
    } else {
        std::f64::consts::LN_2 + x * x.ln() - ln_gamma(x) + (nu - 1.0) * s.ln() - 0.5 * nu * s * s
    }
}

/// Degrees of freedom beyond which `S` is taken as exactly 1.
const DF_INFINITE: f64 = 1e9;

fn outer(q: f64, nu: f64, inner: impl Fn(f64) -> f64, upper: bool) -> f64 {
    let s0 = ((nu - 1.0).max(0.0) / nu).sqrt();
    let spread = 1.0 / nu.sqrt();
    // ln g falls at least as fast as ν (s - s0)²/2 on either side of its mode (its second
    // derivative is -(ν-1)/s² - ν), so beyond 8.5/√ν it has fallen by more than e^-36.
    let b = s0 + 8.5 * spread;
    let a = if upper {
        0.0
    } else {
        (s0 - 8.5 * spread).max(0.0)
    };
    let f = |s: f64| {
        let lg = ln_chi_density(s, nu);
        if lg < -745.0 {
            return 0.0;
        }
        let r = inner(q * s);
        if r == 0.0 { 0.0 } else { lg.exp() * r }
    };
    let panels = (((b - a) / spread / 2.0).ceil() as usize).clamp(4, 16);
    integrate(f, a, b, panels).clamp(0.0, 1.0)
}

fn valid(q: f64, k: f64, nu: f64) -> bool {
    !(q.is_nan() || k.is_nan() || nu.is_nan() || k < 2.0 || nu <= 0.0)
}

/// P(Q ≤ q) for the studentized range of `k` means with `nu` degrees of freedom (`nu` may be
/// infinite).
pub fn ptukey(q: f64, k: f64, nu: f64) -> f64 {
    if !valid(q, k, nu) {
        return f64::NAN;
    }
    if q <= 0.0 {
        return 0.0;
    }
    if q.is_infinite() {
        return 1.0;
    }
    // Where the upper tail is the smaller part, 1 - tail is exact to rounding; otherwise
    // integrate the lower tail itself.
    let sf = ptukey_sf(q, k, nu);
    if sf <= 0.5 {
        return 1.0 - sf;
    }
    let table = RangeTable::get(k, Tail::Lower);
    if nu > DF_INFINITE {
        return table.ln_p(q).exp();
    }
    outer(q, nu, |w| table.ln_p(w).exp(), false)
}

/// P(Q > q), computed directly (relative precision kept far into the tail).
pub fn ptukey_sf(q: f64, k: f64, nu: f64) -> f64 {
    if !valid(q, k, nu) {
        return f64::NAN;
    }
    if q <= 0.0 {
        return 1.0;
    }
    if q.is_infinite() {
        return 0.0;
    }
    let table = RangeTable::get(k, Tail::Upper);
    if nu > DF_INFINITE {
        return table.ln_p(q).exp();
    }
    outer(q, nu, |w| table.ln_p(w).exp(), true)
}

/// The `q` with P(Q ≤ q) = p: the critical value of Tukey's HSD at `p = 1 - α`.
pub fn qtukey(p: f64, k: f64, nu: f64) -> f64 {
    if !valid(0.0, k, nu) || p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    qtukey_upper(1.0 - p, p, k, nu)
}

/// The `q` with P(Q > q) = `alpha` (given directly so small tails lose nothing to `1 - p`).
pub fn qtukey_sf(alpha: f64, k: f64, nu: f64) -> f64 {
    if !valid(0.0, k, nu) || alpha.is_nan() || !(0.0..=1.0).contains(&alpha) {
        return f64::NAN;
    }
    if alpha == 1.0 {
        return 0.0;
    }
    if alpha == 0.0 {
        return f64::INFINITY;
    }
    qtukey_upper(alpha, 1.0 - alpha, k, nu)
}

/// Solves g(q) = 0 on the log scale of whichever tail is the smaller (monotone and nearly
/// linear in q there): bracket, then regula falsi with the Illinois modification.
fn qtukey_upper(alpha: f64, p: f64, k: f64, nu: f64) -> f64 {
    // Decreasing in q, zero at the answer.
    let g = |q: f64| -> f64 {
        if alpha <= 0.5 {
            ptukey_sf(q, k, nu).max(f64::MIN_POSITIVE).ln() - alpha.ln()
        } else {
            p.ln() - ptukey(q, k, nu).max(f64::MIN_POSITIVE).ln()
        }
    };
    let (mut lo, mut hi) = (1.0f64, 4.0f64);
    let mut glo = g(lo);
    while glo < 0.0 {
        hi = lo;
        lo *= 0.5;
        glo = g(lo);
        if lo < 1e-12 {
            return lo;
        }
    }
    let mut ghi = g(hi);
    while ghi > 0.0 {
        lo = hi;
        glo = ghi;
        hi *= 2.0;
        ghi = g(hi);
        if hi > 1e8 {
            return f64::INFINITY;
        }
    }
    let mut side = 0i8;
    for _ in 0..200 {
        let q = (lo * ghi - hi * glo) / (ghi - glo);
        let q = if q.is_finite() && q > lo && q < hi {
            q
        } else {
            0.5 * (lo + hi)
        };
        let gq = g(q);
        if gq == 0.0 {
            return q;
        }
        if gq > 0.0 {
            lo = q;
            glo = gq;
            if side == 1 {
                ghi *= 0.5;
            }
            side = 1;
        } else {
            hi = q;
            ghi = gq;
            if side == -1 {
                glo *= 0.5;
            }
            side = -1;
        }
        if hi - lo <= 4.0 * f64::EPSILON * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legendre_rules_integrate_polynomials() {
        let (x, w) = gauss_legendre(10);
        let s: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(18)).sum();
        assert!((s - 2.0 / 19.0).abs() < 1e-15, "{s}");
        assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-14);
    }

    #[test]
    fn tables_agree_with_adaptive_integration() {
        for k in [2.0, 3.0, 5.0, 10.0, 30.0] {
            let upper = RangeTable::get(k, Tail::Upper);
            let lower = RangeTable::get(k, Tail::Lower);
            for i in 0..55 {
                let w = 0.013 + 0.37 * i as f64;
                let want = range_sf(w, k);
                let got = upper.ln_p(w).exp();
                assert!(
                    (got - want).abs() <= 1e-12 * want,
                    "k={k} w={w}: sf {got:e} vs {want:e}"
                );
                let want = range_cdf(w, k);
                let got = lower.ln_p(w).exp();
                assert!(
                    (got - want).abs() <= 1e-12 * want,
                    "k={k} w={w}: cdf {got:e} vs {want:e}"
                );
            }
        }
    }

    #[test]
    fn range_of_two_normals() {
        // R = |Z1 - Z2| ~ √2 |N(0,1)|: P(R > w) = 2 Q(w/√2).
        for w in [0.1, 1.0, 3.0, 8.0, 15.0] {
            let want = 2.0 * normal_sf(w / std::f64::consts::SQRT_2);
            let got = range_sf(w, 2.0);
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "w={w}: {got:e} vs {want:e}"
            );
            let want_c = 1.0 - want;
            let got_c = range_cdf(w, 2.0);
            assert!(
                (got_c - want_c).abs() <= 1e-12 * want_c.max(1e-300),
                "w={w}"
            );
        }
    }
}
