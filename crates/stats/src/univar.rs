//! Building blocks shared by FREQUENCIES, DESCRIPTIVES, MEANS, CORRELATIONS and RELIABILITY:
//! compensated sums, a compiled user-missing test, moments with SPSS's formulas, tallies of a
//! column's distinct values, percentiles and a small parallel map over variables.
//!
//! Accuracy: sums are accumulated in blocks of [`BLOCK`] plain additions whose totals are added
//! with Neumaier's compensated summation, so rounding does not grow with the number of cases.
//! Central moments of a column are summed in one pass about a shift close to the mean (the
//! mean of a sample of the column) and corrected exactly to the mean; when the mean turns out
//! far from the shift, a second pass about the mean is taken. From a table of (value, count)
//! the moments are taken in two passes (mean, then deviations).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::data::{MissingSpec, Value, Variable};

/// Plain additions per block before a compensated addition.
pub(crate) const BLOCK: usize = 256;

/// Neumaier's compensated sum.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Neumaier {
    sum: f64,
    c: f64,
}

impl Neumaier {
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.c += (self.sum - t) + x;
        } else {
            self.c += (x - t) + self.sum;
        }
        self.sum = t;
    }

    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.sum + self.c
    }
}

/// Whether a numeric value is missing (system-missing, or user-missing unless included),
/// compiled from a [`MissingSpec`] into comparisons that need no branching on the spec.
#[derive(Debug, Clone)]
pub(crate) struct MissTest {
    discrete: [f64; 3],
    lo: f64,
    hi: f64,
    /// Discrete values beyond the three SPSS allows (kept so a data set built in code is
    /// honoured exactly as [`MissingSpec::is_missing_num`] does).
    more: Vec<f64>,
}

impl MissTest {
    pub(crate) fn new(spec: &MissingSpec, include_user_missing: bool) -> Self {
        let mut t = MissTest {
            discrete: [f64::NAN; 3],
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            more: Vec::new(),
        };
        if include_user_missing {
            return t;
        }
        match spec {
            MissingSpec::None => {}
            MissingSpec::Values(vs) => {
                let nums: Vec<f64> = vs
                    .iter()
                    .filter_map(|v| match v {
                        Value::Num(x) => Some(*x),
                        Value::Str(_) => None,
                    })
                    .collect();
                for (i, x) in nums.into_iter().enumerate() {
                    match t.discrete.get_mut(i) {
                        Some(slot) => *slot = x,
                        None => t.more.push(x),
                    }
                }
            }
            MissingSpec::Range { lo, hi } => {
                t.lo = *lo;
                t.hi = *hi;
            }
            MissingSpec::RangeAndValue { lo, hi, value } => {
                t.lo = *lo;
                t.hi = *hi;
                t.discrete[0] = *value;
            }
        }
        t
    }

    /// Removes the user-missing values from an ascending tally (found by binary search: they
    /// are at most three values and a range) and returns them, ascending.
    pub(crate) fn split_sorted(&self, tally: &mut Vec<(f64, f64)>) -> Vec<(f64, f64)> {
        let find =
            |t: &[(f64, f64)], x: f64| t.binary_search_by(|e| e.0.total_cmp(&(x + 0.0))).ok();
        let mut idx: Vec<usize> = self
            .discrete
            .iter()
            .chain(&self.more)
            .filter_map(|&x| find(tally, x))
            .collect();
        if self.lo <= self.hi {
            let a = tally.partition_point(|e| e.0 < self.lo);
            let b = tally.partition_point(|e| e.0 <= self.hi);
            idx.extend(a..b);
        }
        if idx.is_empty() {
            return Vec::new();
        }
        idx.sort_unstable();
        idx.dedup();
        let missing: Vec<(f64, f64)> = idx.iter().map(|&i| tally[i]).collect();
        if let (Some(&first), Some(&last)) = (idx.first(), idx.last())
            && last - first + 1 == idx.len()
        {
            tally.drain(first..=last);
        } else {
            let mut k = 0;
            let mut i = 0;
            tally.retain(|_| {
                let drop = idx.get(k) == Some(&i);
                k += drop as usize;
                i += 1;
                !drop
            });
        }
        missing
    }

    /// For a variable, honouring `include_user_missing`.
    pub(crate) fn for_var(v: &Variable, include_user_missing: bool) -> Self {
        Self::new(&v.missing, include_user_missing)
    }

    /// [`Self::is_valid`] when there are no discrete values beyond three: no branches.
    #[inline(always)]
    pub(crate) fn fast_valid(&self, x: f64) -> bool {
        !((x.is_nan())
            | (x == self.discrete[0])
            | (x == self.discrete[1])
            | (x == self.discrete[2])
            | ((x >= self.lo) & (x <= self.hi)))
    }

    #[inline(always)]
    pub(crate) fn is_missing(&self, x: f64) -> bool {
        x.is_nan()
            || x == self.discrete[0]
            || x == self.discrete[1]
            || x == self.discrete[2]
            || (x >= self.lo && x <= self.hi)
            || (!self.more.is_empty() && self.more.contains(&x))
    }

    #[inline(always)]
    pub(crate) fn is_valid(&self, x: f64) -> bool {
        !self.is_missing(x)
    }
}

/// Count, sum, extremes and central moments of a set of values.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Moments {
    pub n: f64,
    pub sum: f64,
    pub mean: f64,
    /// Σ(x - mean)^k for k = 2, 3, 4.
    pub m2: f64,
    pub m3: f64,
    pub m4: f64,
    pub min: f64,
    pub max: f64,
}

/// Statistics SPSS derives from moments; `None` where SPSS shows a system-missing value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SpssStats {
    pub mean: Option<f64>,
    pub se_mean: Option<f64>,
    pub std_dev: Option<f64>,
    pub variance: Option<f64>,
    pub skewness: Option<f64>,
    pub se_skewness: Option<f64>,
    pub kurtosis: Option<f64>,
    pub se_kurtosis: Option<f64>,
    pub range: Option<f64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub sum: Option<f64>,
}

/// SPSS's standard error of skewness for `w` cases.
pub(crate) fn se_skewness(w: f64) -> Option<f64> {
    (w > 2.0).then(|| (6.0 * w * (w - 1.0) / ((w - 2.0) * (w + 1.0) * (w + 3.0))).sqrt())
}

/// SPSS's standard error of kurtosis for `w` cases.
pub(crate) fn se_kurtosis(w: f64) -> Option<f64> {
    let ses = se_skewness(w)?;
    (w > 3.0).then(|| (4.0 * (w * w - 1.0) * ses * ses / ((w - 3.0) * (w + 5.0))).sqrt())
}

impl Moments {
    /// Moments from sums about a shift: `s` = [Σd, Σd², Σd³, Σd⁴] for d = x − `mean0` over the
    /// values; the result holds the moments about the mean (mean0 + Σd/n), by the binomial
    /// expansion.
    pub(crate) fn finish(n: f64, sum: f64, mean0: f64, s: [f64; 4], min: f64, max: f64) -> Moments {
        let [s1, s2, s3, s4] = s;
        let delta = if n > 0.0 { s1 / n } else { 0.0 };
        let m2 = (s2 - s1 * delta).max(0.0);
        let m3 = s3 - 3.0 * delta * s2 + 3.0 * delta * delta * s1 - n * delta.powi(3);
        let m4 = s4 - 4.0 * delta * s3 + 6.0 * delta * delta * s2 - 4.0 * delta.powi(3) * s1
            + n * delta.powi(4);
        Moments {
            n,
            sum,
            mean: mean0 + delta,
            m2,
            m3,
            m4: m4.max(0.0),
            min,
            max,
        }
    }

    /// Moments of the valid values of a column, and (when `want_bits`) which cases are valid
    /// as bits (bit i of word i/64).
    pub(crate) fn of_column(xs: &[f64], miss: &MissTest, want_bits: bool) -> (Moments, Vec<u64>) {
        if miss.more.is_empty() {
            column_pass(xs, |_, x| miss.fast_valid(x), want_bits)
        } else {
            column_pass(xs, |_, x| miss.is_valid(x), want_bits)
        }
    }

    /// Moments of the values of a column whose bit is set in `bits`.
    pub(crate) fn of_masked(xs: &[f64], bits: &[u64]) -> Moments {
        column_pass(xs, |i, _| (bits[i / 64] >> (i % 64)) & 1 == 1, false).0
    }

    /// Moments of a set of values given as (value, count), in any order.
    pub(crate) fn of_counts(tally: &[(f64, f64)]) -> Moments {
        let mut n = 0.0;
        let mut sum = Neumaier::default();
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for block in tally.chunks(BLOCK) {
            let mut s = 0.0;
            for &(v, c) in block {
                n += c;
                s += v * c;
                min = if v < min { v } else { min };
                max = if v > max { v } else { max };
            }
            sum.add(s);
        }
        let sum = sum.value();
        if n == 0.0 {
            return Moments {
                n,
                sum,
                min: f64::NAN,
                max: f64::NAN,
                mean: f64::NAN,
                ..Moments::default()
            };
        }
        let mean0 = sum / n;
        let mut acc = [Neumaier::default(); 4];
        for block in tally.chunks(BLOCK) {
            let mut p = [0.0f64; 4];
            for &(v, c) in block {
                let d = v - mean0;
                let cd = c * d;
                let cd2 = cd * d;
                p[0] += cd;
                p[1] += cd2;
                p[2] += cd2 * d;
                p[3] += cd2 * d * d;
            }
            for (a, v) in acc.iter_mut().zip(p) {
                a.add(v);
            }
        }
        Moments::finish(n, sum, mean0, acc.map(|a| a.value()), min, max)
    }

    pub(crate) fn variance(&self) -> Option<f64> {
        (self.n > 1.0).then(|| self.m2 / (self.n - 1.0))
    }

    /// The statistics as SPSS computes them from these moments.
    pub(crate) fn spss(&self) -> SpssStats {
        let w = self.n;
        if w <= 0.0 {
            return SpssStats::default();
        }
        let variance = self.variance();
        let sd = variance.map(f64::sqrt);
        let skewness = match sd {
            Some(s) if w > 2.0 && s > 0.0 => {
                Some(w * self.m3 / ((w - 1.0) * (w - 2.0) * s * s * s))
            }
            _ => None,
        };
        let kurtosis = match variance {
            Some(v) if w > 3.0 && v > 0.0 => Some(
                (w * (w + 1.0) * self.m4 - 3.0 * self.m2 * self.m2 * (w - 1.0))
                    / ((w - 1.0) * (w - 2.0) * (w - 3.0) * v * v),
            ),
            _ => None,
        };
        SpssStats {
            mean: Some(self.mean),
            se_mean: sd.map(|s| s / w.sqrt()),
            std_dev: sd,
            variance,
            skewness,
            se_skewness: se_skewness(w),
            kurtosis,
            se_kurtosis: se_kurtosis(w),
            range: Some(self.max - self.min),
            minimum: Some(self.min),
            maximum: Some(self.max),
            sum: Some(self.sum),
        }
    }
}

const LANES: usize = 4;

/// Per-lane running sums of one column pass.
struct Lanes {
    cnt: [u64; LANES],
    /// Plain sums of the current block: (x − k)^1..4 and x, by lane.
    p: [[f64; LANES]; 5],
    acc: [[Neumaier; LANES]; 5],
    mn: [f64; LANES],
    mx: [f64; LANES],
}

impl Lanes {
    #[inline(always)]
    fn step(&mut self, l: usize, v: bool, x: f64, k: f64) {
        self.cnt[l] += v as u64;
        let xv = if v { x } else { 0.0 };
        let d = if v { x - k } else { 0.0 };
        let d2 = d * d;
        self.p[0][l] += d;
        self.p[1][l] += d2;
        self.p[2][l] += d2 * d;
        self.p[3][l] += d2 * d2;
        self.p[4][l] += xv;
        self.mn[l] = if v && x < self.mn[l] { x } else { self.mn[l] };
        self.mx[l] = if v && x > self.mx[l] { x } else { self.mx[l] };
    }

    fn flush(&mut self) {
        for (acc, p) in self.acc.iter_mut().zip(self.p.iter_mut()) {
            for (a, v) in acc.iter_mut().zip(p.iter_mut()) {
                a.add(*v);
                *v = 0.0;
            }
        }
    }
}

/// What one pass over a column gathers.
struct Sums {
    n: u64,
    /// Σ(x − k)^1..4.
    s: [f64; 4],
    sum: f64,
    min: f64,
    max: f64,
    bits: Vec<u64>,
}

/// Σ (x − k)^p for p = 1..4 and Σx over the valid values, with count, extremes and
/// (optionally) the validity bits: one pass, four lanes, blocks of plain sums added with
/// compensation.
fn shifted_sums(xs: &[f64], valid: impl Fn(usize, f64) -> bool, k: f64, want_bits: bool) -> Sums {
    let mut st = Lanes {
        cnt: [0; LANES],
        p: [[0.0; LANES]; 5],
        acc: [[Neumaier::default(); LANES]; 5],
        mn: [f64::INFINITY; LANES],
        mx: [f64::NEG_INFINITY; LANES],
    };
    let mut bits = if want_bits {
        Vec::with_capacity(xs.len().div_ceil(64))
    } else {
        Vec::new()
    };
    for (w, word) in xs.chunks(64).enumerate() {
        let base = w * 64;
        let mut wb = 0u64;
        let quads = word.chunks_exact(LANES);
        let off = word.len() - quads.remainder().len();
        let rest = quads.remainder();
        for (q, quad) in quads.enumerate() {
            for (l, &x) in quad.iter().enumerate() {
                let j = q * LANES + l;
                let v = valid(base + j, x);
                wb |= (v as u64) << j;
                st.step(l, v, x, k);
            }
        }
        for (l, &x) in rest.iter().enumerate() {
            let v = valid(base + off + l, x);
            wb |= (v as u64) << (off + l);
            st.step(l, v, x, k);
        }
        if want_bits {
            bits.push(wb);
        }
        if (w + 1) % (BLOCK / 64) == 0 {
            st.flush();
        }
    }
    st.flush();
    let fold = |e: usize| {
        let mut t = Neumaier::default();
        for a in &st.acc[e] {
            t.add(a.value());
        }
        t.value()
    };
    Sums {
        n: st.cnt.iter().sum(),
        s: [fold(0), fold(1), fold(2), fold(3)],
        sum: fold(4),
        min: st.mn.iter().copied().fold(f64::INFINITY, f64::min),
        max: st.mx.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        bits,
    }
}

/// Moments of a column in one pass, about a shift taken from a sample of the column (its
/// values at evenly spaced cases); when the mean turns out further than a standard deviation
/// from the shift, a second pass about the mean keeps the precision.
fn column_pass(
    xs: &[f64],
    valid: impl Fn(usize, f64) -> bool + Copy,
    want_bits: bool,
) -> (Moments, Vec<u64>) {
    let stride = (xs.len() / 1024).max(1);
    let mut sample = Neumaier::default();
    let mut m = 0usize;
    for i in (0..xs.len()).step_by(stride) {
        if valid(i, xs[i]) {
            sample.add(xs[i]);
            m += 1;
        }
    }
    let k = if m > 0 {
        sample.value() / m as f64
    } else {
        0.0
    };
    let r = shifted_sums(xs, valid, k, want_bits);
    if r.n == 0 {
        return (Moments::of_counts(&[]), r.bits);
    }
    let nf = r.n as f64;
    let mut mo = Moments::finish(nf, r.sum, k, r.s, r.min, r.max);
    let delta = r.s[0] / nf;
    // (Also when the moments are NaN, e.g. with infinite values.)
    if !(nf * delta * delta).le(&mo.m2) {
        let k2 = mo.mean;
        let r2 = shifted_sums(xs, valid, k2, false);
        mo = Moments::finish(nf, r.sum, k2, r2.s, r.min, r.max);
    }
    (mo, r.bits)
}

/// How percentiles are interpolated between order statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum PercentileMethod {
    /// SPSS's FREQUENCIES definition (HAVERAGE): position (W + 1)p, clamped to the first and
    /// last value. PSPP uses it when run with `--algorithm=compatible`.
    #[default]
    HAverage,
    /// PSPP's default ("enhanced") definition: position 1 + (W - 1)p, as numpy's default and
    /// Excel's PERCENTILE.INC.
    Linear,
}

/// The `p` (0..=1) percentile of the values of an ascending tally (value, count).
#[cfg(test)]
pub(crate) fn percentile(
    sorted: &[(f64, f64)],
    w: f64,
    p: f64,
    method: PercentileMethod,
) -> Option<f64> {
    percentiles(sorted, w, &[p], method)[0]
}

/// The `ps` (each 0..=1) percentiles of the values of an ascending tally (value, count), in
/// one sweep over it.
pub(crate) fn percentiles(
    sorted: &[(f64, f64)],
    w: f64,
    ps: &[f64],
    method: PercentileMethod,
) -> Vec<Option<f64>> {
    if sorted.is_empty() || w <= 0.0 {
        return vec![None; ps.len()];
    }
    let first = sorted[0].0;
    let last = sorted[sorted.len() - 1].0;
    // 0-based positions among the order statistics, visited in increasing order.
    let pos: Vec<f64> = ps
        .iter()
        .map(|&p| match method {
            PercentileMethod::HAverage => (w + 1.0) * p - 1.0,
            PercentileMethod::Linear => (w - 1.0) * p,
        })
        .collect();
    let mut order: Vec<usize> = (0..ps.len()).collect();
    order.sort_by(|&a, &b| pos[a].total_cmp(&pos[b]));
    let mut out = vec![None; ps.len()];
    let mut i = 0;
    let mut cum_before = 0.0; // cases before sorted[i]
    for &q in &order {
        let tp = pos[q];
        out[q] = Some(if tp.is_nan() {
            f64::NAN
        } else if tp <= 0.0 {
            first
        } else if tp >= w - 1.0 {
            last
        } else {
            let k = tp.floor();
            let frac = tp - k;
            // Advance to the value holding order statistic k.
            while i < sorted.len() && cum_before + sorted[i].1 <= k {
                cum_before += sorted[i].1;
                i += 1;
            }
            // k < w − 1 so order statistic k exists: i is in range.
            let (v, c) = sorted[i.min(sorted.len() - 1)];
            let cum = cum_before + c;
            if k + 1.0 < cum || frac == 0.0 {
                v
            } else {
                let next = sorted.get(i + 1).map_or(v, |t| t.0);
                v + (next - v) * frac
            }
        });
    }
    out
}

/// A fast hasher for f64 bit patterns and short strings (FxHash's multiply-rotate).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in chunks.by_ref() {
            self.write_u64(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(SEED);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Mix the high bits down: keys that differ only in high bits (f64 exponents) must not
        // collide in the low bits hashbrown uses for buckets.
        let x = self.0;
        (x ^ (x >> 32)).wrapping_mul(SEED) ^ (x >> 29)
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// The key under which a numeric value is tallied: -0 and 0 are one value.
#[inline(always)]
fn key_of(x: f64) -> u64 {
    (x + 0.0).to_bits()
}

/// An ordering-preserving transformation of f64 bits to u64 (for radix sorting).
#[inline(always)]
fn ordered(bits: u64) -> u64 {
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[inline(always)]
fn unordered(k: u64) -> u64 {
    if k >> 63 == 1 { k & !(1 << 63) } else { !k }
}

/// LSD radix sort of unsigned keys below 2^`bits`: digits of at most 14 bits (two passes for
/// keys of up to 28 bits), every digit's histogram counted in one read, and passes where every
/// key has the same digit skipped.
fn radix_sort<T>(keys: &mut Vec<T>, bits: u32)
where
    T: Copy + Default + Ord + Into<u64>,
{
    let n = keys.len();
    if n < 512 || bits == 0 {
        keys.sort_unstable();
        return;
    }
    let passes = bits.div_ceil(14);
    let digit = bits.div_ceil(passes);
    let radix = 1usize << digit;
    let mask = (radix - 1) as u64;
    let mut hist = vec![0usize; passes as usize * radix];
    for &k in keys.iter() {
        let k = k.into();
        for p in 0..passes as usize {
            hist[p * radix + ((k >> (p as u32 * digit)) & mask) as usize] += 1;
        }
    }
    let mut buf = vec![T::default(); n];
    for p in 0..passes as usize {
        let counts = &mut hist[p * radix..(p + 1) * radix];
        if counts.contains(&n) {
            continue;
        }
        let mut pos = 0;
        for c in counts.iter_mut() {
            let t = *c;
            *c = pos;
            pos += t;
        }
        let shift = p as u32 * digit;
        for &k in keys.iter() {
            let d = ((k.into() >> shift) & mask) as usize;
            buf[counts[d]] = k;
            counts[d] += 1;
        }
        std::mem::swap(keys, &mut buf);
    }
}

/// Run-length encodes sorted keys into (value, count).
fn runs<T: Copy + PartialEq>(keys: &[T], value: impl Fn(T) -> f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let k = keys[i];
        let mut j = i + 1;
        while j < keys.len() && keys[j] == k {
            j += 1;
        }
        out.push((value(k), (j - i) as f64));
        i = j;
    }
    out
}

/// Rounds to the nearest integer (ties to even) for |y| < 2^51, with plain arithmetic (no
/// libm call on baseline x86-64, so loops using it vectorize).
#[inline(always)]
fn rint(y: f64) -> f64 {
    const M: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    (y + M) - M
}

/// (value, count) of the non-zero counts of a dense array.
fn dense_runs<C: Copy + Default + PartialEq>(
    counts: &[C],
    as_f64: impl Fn(C) -> f64,
    value: impl Fn(u64) -> f64,
) -> Vec<(f64, f64)> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != C::default())
        .map(|(k, &c)| (value(k as u64), as_f64(c)))
        .collect()
}

/// The distinct non-NaN values of a column with their counts, ascending, and the number of
/// NaNs (system-missing). Values with few decimals (codes, counts, amounts) become integers
/// scaled by a power of ten: counted in an array when their span is small, else radix-sorted
/// as 32-bit (or 64-bit) keys; other columns go through a hash map when they have few distinct
/// values, else a radix sort of their bit patterns.
pub(crate) fn tally_numeric(xs: &[f64]) -> (Vec<(f64, f64)>, f64) {
    if let Some(t) = tally_small_integers(xs) {
        return t;
    }
    let n = xs.len();
    // Pass 1 (four lanes): system-missing count, extremes, whether all values are integers.
    let mut nan = [0usize; LANES];
    let mut mn = [f64::INFINITY; LANES];
    let mut mx = [f64::NEG_INFINITY; LANES];
    let mut integral = [true; LANES];
    let quads = xs.chunks_exact(LANES);
    let rest = quads.remainder();
    let mut visit = |l: usize, x: f64| {
        let is_nan = x.is_nan();
        nan[l] += is_nan as usize;
        mn[l] = if !is_nan && x < mn[l] { x } else { mn[l] };
        mx[l] = if !is_nan && x > mx[l] { x } else { mx[l] };
        integral[l] &= is_nan | (rint(x) == x);
    };
    for q in quads {
        for (l, &x) in q.iter().enumerate() {
            visit(l, x);
        }
    }
    for (l, &x) in rest.iter().enumerate() {
        visit(l, x);
    }
    let nan_n: usize = nan.iter().sum();
    let nan = nan_n as f64;
    let min = mn.iter().copied().fold(f64::INFINITY, f64::min);
    let max = mx.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if nan_n == n {
        return (Vec::new(), nan);
    }
    if min.is_finite() && max.is_finite() {
        let first = if integral.iter().all(|&b| b) { 0 } else { 1 };
        for d in first..=4 {
            let s = 10f64.powi(d);
            const LIM: f64 = (1u64 << 50) as f64;
            if (min * s).abs() >= LIM || (max * s).abs() >= LIM {
                break;
            }
            // Values read from text with d decimals are exactly rint(x·10^d) / 10^d.
            let exact = |x: f64| d == 0 || rint(x * s) / s == x;
            if !xs
                .iter()
                .filter(|x| !x.is_nan())
                .take(64)
                .all(|&x| exact(x))
            {
                continue;
            }
            let lo = rint(min * s) as i64;
            let span = (rint(max * s) as i64 - lo) as u64 + 1;
            let key = |x: f64| (rint(x * s) as i64 - lo) as u64;
            let value = |k: u64| (lo + k as i64) as f64 / s;
            if span <= (n as u64).max(1 << 16) {
                let mut counts = vec![0u64; span as usize];
                let ok = xs.iter().all(|&x| {
                    if x.is_nan() {
                        return true;
                    }
                    counts[key(x) as usize] += 1;
                    exact(x)
                });
                if ok {
                    return (dense_runs(&counts, |c| c as f64, value), nan);
                }
                continue;
            }
            if few_distinct(xs) {
                return (hash_tally(xs), nan);
            }
            let bits = 64 - (span - 1).leading_zeros();
            let mut ok = true;
            let out = if bits <= 32 {
                let mut keys: Vec<u32> = Vec::with_capacity(n - nan_n);
                for &x in xs.iter().filter(|x| !x.is_nan()) {
                    ok &= exact(x);
                    keys.push(key(x) as u32);
                }
                ok.then(|| {
                    radix_sort(&mut keys, bits);
                    runs(&keys, |k| value(k as u64))
                })
            } else {
                let mut keys: Vec<u64> = Vec::with_capacity(n - nan_n);
                for &x in xs.iter().filter(|x| !x.is_nan()) {
                    ok &= exact(x);
                    keys.push(key(x));
                }
                ok.then(|| {
                    radix_sort(&mut keys, bits);
                    runs(&keys, value)
                })
            };
            if let Some(out) = out {
                return (out, nan);
            }
        }
    }
    if few_distinct(xs) {
        return (hash_tally(xs), nan);
    }
    let mut keys: Vec<u64> = xs
        .iter()
        .filter(|x| !x.is_nan())
        .map(|&x| ordered(key_of(x)))
        .collect();
    radix_sort(&mut keys, 64);
    (runs(&keys, |k| f64::from_bits(unordered(k))), nan)
}

/// One pass for the commonest column: integer codes and counts in -1..1023 (and
/// system-missing). `None` as soon as a value does not fit.
fn tally_small_integers(xs: &[f64]) -> Option<(Vec<(f64, f64)>, f64)> {
    const SPAN: usize = 1025;
    let mut counts = vec![0u64; SPAN];
    let mut nan = 0u64;
    for &x in xs {
        if x == rint(x) && (-1.0..1023.0).contains(&x) {
            counts[(x as i64 + 1) as usize] += 1;
        } else if x.is_nan() {
            nan += 1;
        } else {
            return None;
        }
    }
    let out = dense_runs(&counts, |c| c as f64, |k| k as f64 - 1.0);
    // -0.0 counts as 0 (its index is that of 0), as everywhere else.
    Some((out, nan as f64))
}

/// Whether a sample of the first values suggests few distinct values (a hash map pays).
fn few_distinct(xs: &[f64]) -> bool {
    let mut seen: FxMap<u64, ()> = FxMap::default();
    let mut m = 0;
    for &x in xs.iter().filter(|x| !x.is_nan()).take(4096) {
        seen.insert(key_of(x), ());
        m += 1;
    }
    seen.len() * 8 <= m.max(64)
}

fn hash_tally(xs: &[f64]) -> Vec<(f64, f64)> {
    let mut map: FxMap<u64, u64> = FxMap::default();
    for &x in xs {
        if !x.is_nan() {
            *map.entry(key_of(x)).or_insert(0) += 1;
        }
    }
    let mut out: Vec<(f64, f64)> = map
        .into_iter()
        .map(|(k, c)| (f64::from_bits(k), c as f64))
        .collect();
    out.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    out
}

/// SPSS compares strings without trailing blanks.
#[inline]
pub(crate) fn str_key(s: &str) -> &str {
    s.trim_end_matches(' ')
}

/// Distinct strings (trailing blanks ignored) with their counts, ascending by bytes.
pub(crate) fn tally_strings(xs: &[String]) -> Vec<(String, f64)> {
    let mut map: FxMap<&str, u64> = FxMap::default();
    for s in xs {
        *map.entry(str_key(s)).or_insert(0) += 1;
    }
    let mut out: Vec<(String, f64)> = map
        .into_iter()
        .map(|(k, c)| (k.to_string(), c as f64))
        .collect();
    out.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out
}

/// Average ranks (1-based, ties averaged) of `xs`.
pub(crate) fn average_ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_unstable_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i + 1;
        while j < idx.len() && xs[idx[j]] == xs[idx[i]] {
            j += 1;
        }
        // Positions i..j (0-based) share rank mean of (i+1..=j).
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &idx[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Maps `f` over `0..n` on up to `available_parallelism` threads when `work` (cases × jobs) is
/// large enough to pay for them; results in order.
pub(crate) fn par_map<T: Send>(n: usize, work: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
        .min(n);
    if threads <= 1 || work < 200_000 {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, T)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        out.push((i, f(i)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut all: Vec<(usize, T)> = parts.iter_mut().flat_map(std::mem::take).collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

/// The label SPSS shows for a variable: its label, else its name.
pub(crate) fn var_title(name: &str, label: &Option<String>) -> String {
    label.clone().unwrap_or_else(|| name.to_string())
}

/// A value as SPSS shows it in a table: numbers with the variable's decimals, strings as they
/// are.
pub(crate) fn show_value(v: &Value, decimals: u8) -> String {
    match v {
        Value::Num(x) if x.is_nan() => ".".into(),
        Value::Num(x) => format!("{:.*}", decimals as usize, x),
        Value::Str(s) => s.clone(),
    }
}

/// Value labels of a variable prepared for many look-ups.
pub(crate) struct Labels<'a> {
    num: Vec<(f64, &'a str)>,
    text: Vec<(&'a str, &'a str)>,
}

impl<'a> Labels<'a> {
    pub(crate) fn new(v: &'a Variable) -> Self {
        Self::from_pairs(&v.value_labels)
    }

    pub(crate) fn from_pairs(pairs: &'a [(Value, String)]) -> Self {
        let mut num: Vec<(f64, &str)> = Vec::new();
        let mut text: Vec<(&str, &str)> = Vec::new();
        for (val, l) in pairs {
            match val {
                Value::Num(x) => num.push((*x + 0.0, l.as_str())),
                Value::Str(s) => text.push((str_key(s), l.as_str())),
            }
        }
        num.sort_by(|a, b| a.0.total_cmp(&b.0));
        text.sort();
        Labels { num, text }
    }

    pub(crate) fn num(&self, x: f64) -> Option<&'a str> {
        let x = x + 0.0;
        self.num
            .binary_search_by(|p| p.0.total_cmp(&x))
            .ok()
            .map(|i| self.num[i].1)
    }

    pub(crate) fn text(&self, s: &str) -> Option<&'a str> {
        let s = str_key(s);
        self.text
            .binary_search_by(|p| p.0.cmp(s))
            .ok()
            .map(|i| self.text[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tally by sorting, as reference.
    fn naive(xs: &[f64]) -> (Vec<(f64, f64)>, f64) {
        let mut v: Vec<f64> = xs
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .map(|x| x + 0.0)
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        let mut out: Vec<(f64, f64)> = Vec::new();
        for x in v {
            match out.last_mut() {
                Some((y, c)) if *y == x => *c += 1.0,
                _ => out.push((x, 1.0)),
            }
        }
        (out, xs.iter().filter(|x| x.is_nan()).count() as f64)
    }

    #[test]
    fn tallies_agree_across_paths() {
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let n = 50_000;
        let mut columns: Vec<(&str, Vec<f64>)> = vec![
            (
                "small integers",
                (0..n).map(|_| (next() % 7) as f64).collect(),
            ),
            (
                "integers, dense span",
                (0..n).map(|_| (next() % 40_000) as f64 - 20.0).collect(),
            ),
            (
                "integers, wide span",
                (0..n).map(|_| (next() % 4_000_000_000) as f64).collect(),
            ),
            (
                "huge integers",
                (0..n)
                    .map(|_| (next() % (1 << 40)) as f64 * 1024.0)
                    .collect(),
            ),
            (
                "two decimals",
                (0..n)
                    .map(|_| ((next() % 100_000_000) as f64) / 100.0 - 1000.0)
                    .collect(),
            ),
            (
                "one decimal, dense",
                (0..n).map(|_| ((next() % 500) as f64) / 10.0).collect(),
            ),
            (
                "few non-integers",
                (0..n)
                    .map(|_| [0.1, 1.0 / 3.0, 2.5e-7, -7.25][(next() % 4) as usize])
                    .collect(),
            ),
            (
                "arbitrary",
                (0..n)
                    .map(|_| f64::from_bits(next() >> 2) * 1e-300)
                    .collect(),
            ),
            (
                "computed",
                (0..n)
                    .map(|i| ((i * 7919) % 100_003) as f64 * 0.37 - 5000.0)
                    .collect(),
            ),
        ];
        for (_, col) in columns.iter_mut() {
            col[3] = f64::NAN;
            col[4] = -0.0;
            col[5] = 0.0;
            col[6] = f64::NAN;
        }
        columns.push((
            "with infinity",
            vec![1.5, f64::INFINITY, f64::NEG_INFINITY, 1.5, f64::NAN],
        ));
        columns.push(("all missing", vec![f64::NAN; 10]));
        columns.push(("empty", vec![]));
        for (name, col) in &columns {
            let got = tally_numeric(col);
            let want = naive(col);
            assert_eq!(got.1, want.1, "{name}: system-missing");
            assert_eq!(got.0.len(), want.0.len(), "{name}: distinct values");
            for (g, w) in got.0.iter().zip(&want.0) {
                assert_eq!(g.0.to_bits(), w.0.to_bits(), "{name}: value");
                assert_eq!(g.1, w.1, "{name}: count of {}", g.0);
            }
        }
    }

    #[test]
    fn user_missing_split_matches_filter() {
        let tally: Vec<(f64, f64)> = (-5..30).map(|i| (i as f64 * 0.5, (i + 6) as f64)).collect();
        let specs = [
            MissingSpec::None,
            MissingSpec::Values(vec![Value::Num(3.0), Value::Num(-2.5), Value::Num(99.0)]),
            MissingSpec::Values((0..6).map(|i| Value::Num(i as f64)).collect()),
            MissingSpec::Range { lo: 2.0, hi: 4.0 },
            MissingSpec::Range {
                lo: f64::NEG_INFINITY,
                hi: -1.0,
            },
            MissingSpec::RangeAndValue {
                lo: 10.0,
                hi: 11.0,
                value: 0.0,
            },
            MissingSpec::RangeAndValue {
                lo: 100.0,
                hi: 200.0,
                value: -0.0,
            },
        ];
        for spec in &specs {
            let m = MissTest::new(spec, false);
            let mut valid = tally.clone();
            let missing = m.split_sorted(&mut valid);
            let want_missing: Vec<_> = tally
                .iter()
                .copied()
                .filter(|t| spec.is_missing_num(t.0))
                .collect();
            let want_valid: Vec<_> = tally
                .iter()
                .copied()
                .filter(|t| !spec.is_missing_num(t.0))
                .collect();
            assert_eq!(missing, want_missing, "{spec:?}");
            assert_eq!(valid, want_valid, "{spec:?}");
            assert!(
                tally
                    .iter()
                    .all(|t| m.is_missing(t.0) == spec.is_missing_num(t.0))
            );
        }
    }

    #[test]
    fn radix_sort_sorts() {
        let mut state = 99u64;
        let mut keys: Vec<u64> = (0..10_000)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                state >> 7
            })
            .collect();
        let mut want = keys.clone();
        want.sort_unstable();
        radix_sort(&mut keys, 57);
        assert_eq!(keys, want);
    }

    #[test]
    fn percentiles_in_one_sweep_match_one_by_one() {
        let t = [(1.0, 3.0), (2.0, 1.0), (5.0, 4.0), (7.5, 1.0), (9.0, 2.0)];
        let w = 11.0;
        let ps = [0.99, 0.0, 0.5, 0.05, 0.25, 0.75, 1.0, 0.3333];
        for m in [PercentileMethod::HAverage, PercentileMethod::Linear] {
            let all = percentiles(&t, w, &ps, m);
            // Reference: interpolate in the expanded sorted list.
            let xs: Vec<f64> = t
                .iter()
                .flat_map(|&(v, c)| std::iter::repeat_n(v, c as usize))
                .collect();
            for (p, got) in ps.iter().zip(&all) {
                let tp = match m {
                    PercentileMethod::HAverage => (w + 1.0) * p - 1.0,
                    PercentileMethod::Linear => (w - 1.0) * p,
                };
                let want = if tp <= 0.0 {
                    xs[0]
                } else if tp >= w - 1.0 {
                    xs[xs.len() - 1]
                } else {
                    let k = tp.floor() as usize;
                    xs[k] + (xs[k + 1] - xs[k]) * (tp - tp.floor())
                };
                assert!(
                    (got.unwrap() - want).abs() < 1e-12,
                    "{m:?} {p}: {got:?} vs {want}"
                );
            }
        }
    }

    #[test]
    fn haverage_and_linear() {
        let t = [(1.0, 1.0), (2.0, 2.0), (3.0, 1.0), (4.0, 3.0)];
        let w = 7.0;
        let h = |p| percentile(&t, w, p, PercentileMethod::HAverage).unwrap();
        let l = |p| percentile(&t, w, p, PercentileMethod::Linear).unwrap();
        assert_eq!(h(0.05), 1.0);
        assert!((l(0.05) - 1.3).abs() < 1e-12);
        assert!((l(0.10) - 1.6).abs() < 1e-12);
        assert_eq!(h(0.5), 3.0);
        assert_eq!(h(0.99), 4.0);
    }
}
