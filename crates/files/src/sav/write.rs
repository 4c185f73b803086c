//! Writing a data set as a system file.

use std::collections::HashSet;

use shanghui_stats::{Column, Dataset, Measure, MissingSpec, Value, VarKind, Variable};

use super::names::{ShortNames, spss_names};
use super::{
    HIGHEST, LOWEST_BITS, MAX_STRING_MISSING_BYTES, MAX_STRING_WIDTH, MAX_VALUE_LABEL_BYTES,
    MAX_VARIABLE_LABEL_BYTES, SYSMIS, SavError, cut, octs, segment_widths,
};

/// How to write a system file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavOptions {
    /// Bytecode compression, as SPSS writes by default (`SAVE /COMPRESSED`). Uncompressed
    /// files are larger but can be read by the oldest software.
    pub compressed: bool,
    /// Integers and floating-point numbers in big-endian order, as SPSS on old Unix machines
    /// wrote them. Every reader handles both; little-endian is what SPSS writes today.
    pub big_endian: bool,
}

impl Default for SavOptions {
    fn default() -> Self {
        SavOptions {
            compressed: true,
            big_endian: false,
        }
    }
}

/// Bytecode compression's bias: whole numbers from `1 - BIAS` to `251 - BIAS` take one byte.
const BIAS: f64 = 100.0;
/// The widest numeric print format SPSS allows (`F40.d`).
const MAX_NUMERIC_WIDTH: usize = 40;
const MAX_DECIMALS: usize = 16;

/// A variable as it goes into the file (and into the syntax file): its SPSS name, its width
/// (0 for numeric) widened as its data and labels need, its print format, its label.
pub(super) struct Laid<'a> {
    pub var: &'a Variable,
    pub col: Option<&'a Column>,
    pub name: String,
    /// 0 for a numeric variable; for a string, its width in bytes, at least 1.
    pub width: usize,
    /// For a numeric variable, the width of its `F` format.
    pub print_width: usize,
    pub decimals: usize,
    pub label: Option<&'a str>,
}

impl Laid<'_> {
    pub fn is_string(&self) -> bool {
        matches!(self.var.kind, VarKind::String { .. })
    }

    /// `F8.2`, `A20`: the print format as syntax writes it.
    pub fn format(&self) -> String {
        if self.is_string() {
            format!("A{}", self.width)
        } else {
            format!("F{}.{}", self.print_width, self.decimals)
        }
    }

    /// SPSS allows no scale string variable.
    pub fn measure(&self) -> Measure {
        match (self.var.measure, self.is_string()) {
            (Measure::Scale, true) => Measure::Nominal,
            (m, _) => m,
        }
    }
}

/// The width of an `F` format that shows every value of `xs` with `d` decimals: at least 8, as
/// SPSS's default `F8.2`, at most 40.
fn numeric_width(xs: &[f64], d: usize) -> usize {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for &x in xs {
        if x.is_finite() {
            lo = lo.min(x);
            hi = hi.max(x);
        }
    }
    let digits = |x: f64| -> usize {
        let a = x.abs();
        // One more digit than log10 gives, for values that round up (999.996 with 2 decimals).
        if a < 1.0 {
            1
        } else {
            (a.log10().floor() as usize)
                .saturating_add(2)
                .min(MAX_NUMERIC_WIDTH)
        }
    };
    let frac = if d > 0 { d + 1 } else { 0 };
    let need = (digits(hi).max(digits(lo) + usize::from(lo < 0.0)) + frac).max(8);
    need.clamp(d + 2, MAX_NUMERIC_WIDTH)
}

fn value_len(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.trim_end_matches(' ').len(),
        Value::Num(_) => 0,
    }
}

/// Each variable's name, width, format and label, as both the system file and the syntax file
/// give them.
pub(super) fn layout(ds: &Dataset) -> Vec<Laid<'_>> {
    let names = spss_names(ds.variables.iter().map(|v| v.name.as_str()));
    ds.variables
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (var, name))| {
            let col = ds.columns.get(i);
            let decimals = usize::from(var.decimals).min(MAX_DECIMALS);
            let (width, print_width) = match var.kind {
                VarKind::Numeric => {
                    let xs = match col {
                        Some(Column::Num(xs)) => xs.as_slice(),
                        _ => &[],
                    };
                    (0, numeric_width(xs, decimals))
                }
                VarKind::String { width } => {
                    let data = match col {
                        Some(Column::Str(ss)) => ss.iter().map(|s| s.len()).max().unwrap_or(0),
                        _ => 0,
                    };
                    let labels = var.value_labels.iter().map(|(v, _)| value_len(v)).max();
                    let missing = match &var.missing {
                        MissingSpec::Values(vs) => vs.iter().map(value_len).max(),
                        _ => None,
                    };
                    let w = width
                        .max(data)
                        .max(labels.unwrap_or(0))
                        .max(missing.unwrap_or(0))
                        .clamp(1, MAX_STRING_WIDTH);
                    (w, w)
                }
            };
            let label = var
                .label
                .as_deref()
                .map(|l| cut(l, MAX_VARIABLE_LABEL_BYTES))
                .filter(|l| !l.trim().is_empty());
            Laid {
                var,
                col,
                name,
                width,
                print_width,
                decimals: if width > 0 { 0 } else { decimals },
                label,
            }
        })
        .collect()
}

/// A variable's missing values as the file stores them.
pub(super) enum Missing {
    None,
    /// The count as the variable record gives it (1 to 3, or -2 and -3 with a range first) and
    /// the values.
    Num(i32, Vec<f64>),
    /// Up to three strings of at most 8 bytes.
    Str(Vec<String>),
}

/// Checks a variable's missing values and puts them in the file's terms.
pub(super) fn missing(l: &Laid<'_>) -> Result<Missing, SavError> {
    let variable = || l.name.clone();
    let bad = || SavError::Missing {
        variable: variable(),
    };
    let range_end = |x: f64, low: bool| -> Result<f64, SavError> {
        if x.is_nan() {
            Err(bad())
        } else if low && x <= -f64::MAX {
            Ok(f64::from_bits(LOWEST_BITS))
        } else if !low && x >= f64::MAX {
            Ok(HIGHEST)
        } else if x.is_finite() {
            Ok(x)
        } else {
            Err(bad())
        }
    };
    let discrete = |x: f64| if x.is_finite() { Ok(x) } else { Err(bad()) };
    match (&l.var.missing, l.is_string()) {
        (MissingSpec::None, _) => Ok(Missing::None),
        (MissingSpec::Values(vs), _) if vs.is_empty() => Ok(Missing::None),
        (MissingSpec::Values(vs), _) if vs.len() > 3 => Err(bad()),
        (MissingSpec::Values(vs), false) => {
            let mut out = Vec::new();
            for v in vs {
                match v {
                    Value::Num(x) => out.push(discrete(*x)?),
                    Value::Str(_) => {
                        return Err(SavError::ValueType {
                            variable: variable(),
                        });
                    }
                }
            }
            Ok(Missing::Num(out.len() as i32, out))
        }
        (MissingSpec::Values(vs), true) => {
            let mut out = Vec::new();
            for v in vs {
                match v {
                    Value::Str(s) => {
                        let s = s.trim_end_matches(' ');
                        if s.len() > MAX_STRING_MISSING_BYTES {
                            return Err(SavError::StringMissingTooLong {
                                variable: variable(),
                                value: s.to_string(),
                            });
                        }
                        out.push(s.to_string());
                    }
                    Value::Num(_) => {
                        return Err(SavError::ValueType {
                            variable: variable(),
                        });
                    }
                }
            }
            Ok(Missing::Str(out))
        }
        (MissingSpec::Range { .. } | MissingSpec::RangeAndValue { .. }, true) => Err(bad()),
        (MissingSpec::Range { lo, hi }, false) => {
            if lo > hi {
                return Err(bad());
            }
            Ok(Missing::Num(
                -2,
                vec![range_end(*lo, true)?, range_end(*hi, false)?],
            ))
        }
        (MissingSpec::RangeAndValue { lo, hi, value }, false) => {
            if lo > hi {
                return Err(bad());
            }
            Ok(Missing::Num(
                -3,
                vec![
                    range_end(*lo, true)?,
                    range_end(*hi, false)?,
                    discrete(*value)?,
                ],
            ))
        }
    }
}

/// A variable's value labels, each value once (the first label given wins), labels cut to what
/// SPSS allows.
pub(super) fn value_labels<'a>(l: &'a Laid<'_>) -> Result<Vec<(&'a Value, &'a str)>, SavError> {
    let mut seen_num: HashSet<u64> = HashSet::new();
    let mut seen_str: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for (v, label) in &l.var.value_labels {
        match (v, l.is_string()) {
            (Value::Num(x), false) => {
                // 0 and -0 are one value.
                let bits = if *x == 0.0 { 0 } else { x.to_bits() };
                if x.is_nan() || !seen_num.insert(bits) {
                    continue;
                }
            }
            (Value::Str(s), true) => {
                if !seen_str.insert(s.trim_end_matches(' ')) {
                    continue;
                }
            }
            _ => {
                return Err(SavError::ValueType {
                    variable: l.name.clone(),
                });
            }
        }
        out.push((v, cut(label, MAX_VALUE_LABEL_BYTES)));
    }
    Ok(out)
}

/// Writes `ds` as a bytecode-compressed system file, little-endian, in UTF-8: what SPSS writes
/// by default. See [`write_sav_with`].
pub fn write_sav(ds: &Dataset) -> Result<Vec<u8>, SavError> {
    write_sav_with(ds, SavOptions::default())
}

/// Writes `ds` as a system file.
///
/// Written as SPSS needs it, without failing: names that are not valid SPSS names are made valid
/// and unique ([`spss_names`](super::spss_names)); a string variable narrower than its longest
/// value, value label or missing value is widened (up to 32,767 bytes, longer values are cut);
/// variable labels are cut to 255 bytes and value labels to 120, at a character boundary;
/// infinite numbers are written as system-missing; a value labelled twice keeps its first label;
/// a scale string variable becomes nominal.
///
/// Refused ([`SavError`]): columns of unequal length or of the wrong type, value labels or
/// missing values of the wrong type, more than three discrete missing values, a range on a
/// string variable or a reversed range, a string missing value longer than 8 bytes.
pub fn write_sav_with(ds: &Dataset, options: SavOptions) -> Result<Vec<u8>, SavError> {
    ds.check().map_err(|_| SavError::Shape)?;
    let laid = layout(ds);
    let mut short = ShortNames::default();
    let mut vars = Vec::with_capacity(laid.len());
    for l in &laid {
        let col = l.col.ok_or(SavError::Shape)?;
        if matches!(col, Column::Str(_)) != l.is_string() {
            return Err(SavError::ColumnType {
                variable: l.name.clone(),
            });
        }
        let segments = if l.is_string() {
            segment_widths(l.width)
        } else {
            vec![0]
        };
        let shorts: Vec<String> = segments
            .iter()
            .enumerate()
            .map(|(k, _)| {
                if k == 0 {
                    short.first(&l.name)
                } else {
                    short.segment(&l.name)
                }
            })
            .collect();
        vars.push(Out {
            laid: l,
            col,
            missing: missing(l)?,
            labels: value_labels(l)?,
            segments,
            shorts,
        });
    }
    let total_octs: usize = vars
        .iter()
        .flat_map(|v| v.segments.iter().map(|&w| octs(w)))
        .sum();
    let cases = ds.cases();
    if i32::try_from(total_octs).is_err() || i32::try_from(cases).is_err() {
        return Err(SavError::TooLarge);
    }

    let mut w = Writer {
        buf: Vec::new(),
        big: options.big_endian,
    };
    w.header(total_octs as i32, options.compressed, cases as i32);
    for v in &vars {
        w.variable(v);
    }
    let mut oct = 1;
    for v in &vars {
        if !v.labels.is_empty() && v.laid.width <= 8 {
            w.value_labels(v, oct);
        }
        oct += v.segments.iter().map(|&s| octs(s)).sum::<usize>();
    }
    w.extensions(&vars);
    w.i32(999);
    w.i32(0);
    if options.compressed {
        w.compressed_data(&vars, cases);
    } else {
        w.uncompressed_data(&vars, cases);
    }
    Ok(w.buf)
}

/// A variable ready to write.
struct Out<'a> {
    laid: &'a Laid<'a>,
    col: &'a Column,
    missing: Missing,
    labels: Vec<(&'a Value, &'a str)>,
    /// Widths of its segments (one `0` for a numeric variable).
    segments: Vec<usize>,
    /// Short names, one per segment.
    shorts: Vec<String>,
}

struct Writer {
    buf: Vec<u8>,
    big: bool,
}

/// A print or write format: type, width and decimals in one integer.
fn format_code(kind: u32, width: usize, decimals: usize) -> i32 {
    ((kind << 16) | ((width.min(255) as u32) << 8) | decimals.min(255) as u32) as i32
}

const FMT_A: u32 = 1;
const FMT_F: u32 = 5;

/// `s` in `len` bytes: cut, or padded with `pad`.
fn fixed(s: &[u8], len: usize, pad: u8) -> Vec<u8> {
    let mut v = s[..s.len().min(len)].to_vec();
    v.resize(len, pad);
    v
}

impl Writer {
    fn i32(&mut self, v: i32) {
        let b = if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.buf.extend_from_slice(&b);
    }

    fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&self.f64_bytes(v));
    }

    fn f64_bytes(&self, v: f64) -> [u8; 8] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    fn header(&mut self, case_size: i32, compressed: bool, cases: i32) {
        self.bytes(b"$FL2");
        let product = format!("@(#) SPSS DATA FILE shanghui {}", env!("CARGO_PKG_VERSION"));
        self.bytes(&fixed(product.as_bytes(), 60, b' '));
        self.i32(2);
        self.i32(case_size);
        self.i32(i32::from(compressed));
        self.i32(0);
        self.i32(cases);
        self.f64(BIAS);
        // The time in China, where the files are made and read.
        let now = chrono::Utc::now() + chrono::Duration::hours(8);
        self.bytes(now.format("%d %b %y").to_string().as_bytes());
        self.bytes(now.format("%H:%M:%S").to_string().as_bytes());
        self.bytes(&[b' '; 64]);
        self.bytes(&[0; 3]);
    }

    fn variable(&mut self, v: &Out<'_>) {
        let l = v.laid;
        for (k, (&width, short)) in v.segments.iter().zip(&v.shorts).enumerate() {
            let first = k == 0;
            self.i32(2);
            self.i32(width as i32);
            let label = l.label.filter(|_| first);
            self.i32(i32::from(label.is_some()));
            let n_missing = match (&v.missing, first) {
                (Missing::Num(n, _), true) => *n,
                // A string wider than 8 bytes has its missing values in record 7.22.
                (Missing::Str(vs), true) if l.width <= 8 => vs.len() as i32,
                _ => 0,
            };
            self.i32(n_missing);
            let format = if width == 0 {
                format_code(FMT_F, l.print_width, l.decimals)
            } else {
                format_code(FMT_A, width, 0)
            };
            self.i32(format);
            self.i32(format);
            self.bytes(&fixed(short.as_bytes(), 8, b' '));
            if let Some(label) = label {
                self.i32(label.len() as i32);
                self.bytes(&fixed(
                    label.as_bytes(),
                    label.len().next_multiple_of(4),
                    b' ',
                ));
            }
            if n_missing != 0 {
                match &v.missing {
                    Missing::Num(_, xs) => {
                        for &x in xs {
                            self.f64(x);
                        }
                    }
                    Missing::Str(ss) => {
                        for s in ss {
                            self.bytes(&fixed(s.as_bytes(), 8, b' '));
                        }
                    }
                    Missing::None => {}
                }
            }
            // A record for each further 8 bytes of a string segment.
            for _ in 1..octs(width) {
                self.i32(2);
                self.i32(-1);
                for _ in 0..4 {
                    self.i32(0);
                }
                self.bytes(&[0; 8]);
            }
        }
    }

    /// Records 3 and 4: the labels of a numeric or short string variable.
    fn value_labels(&mut self, v: &Out<'_>, oct: usize) {
        self.i32(3);
        self.i32(v.labels.len() as i32);
        for (value, label) in &v.labels {
            match value {
                Value::Num(x) => self.f64(*x),
                Value::Str(s) => self.bytes(&fixed(s.as_bytes(), 8, b' ')),
            }
            self.bytes(&[label.len() as u8]);
            self.bytes(label.as_bytes());
            let used = 1 + label.len();
            self.bytes(&vec![b' '; used.next_multiple_of(8) - used]);
        }
        self.i32(4);
        self.i32(1);
        self.i32(oct as i32);
    }

    fn extension(&mut self, subtype: i32, size: i32, data: &[u8]) {
        self.i32(7);
        self.i32(subtype);
        self.i32(size);
        self.i32(data.len() as i32 / size);
        self.bytes(data);
    }

    fn ints(&self, xs: &[i32]) -> Vec<u8> {
        xs.iter()
            .flat_map(|&x| {
                if self.big {
                    x.to_be_bytes()
                } else {
                    x.to_le_bytes()
                }
            })
            .collect()
    }

    fn extensions(&mut self, vars: &[Out<'_>]) {
        let version = |s: &str| s.parse::<i32>().unwrap_or(0);
        // 3: machine integer info: version, machine, IEEE 754, compression, byte order, UTF-8.
        let info = self.ints(&[
            version(env!("CARGO_PKG_VERSION_MAJOR")),
            version(env!("CARGO_PKG_VERSION_MINOR")),
            version(env!("CARGO_PKG_VERSION_PATCH")),
            -1,
            1,
            1,
            if self.big { 1 } else { 2 },
            65001,
        ]);
        self.extension(3, 4, &info);
        // 4: machine floating-point info: SYSMIS, HIGHEST, LOWEST.
        let floats: Vec<u8> = [SYSMIS, HIGHEST, f64::from_bits(LOWEST_BITS)]
            .iter()
            .flat_map(|&x| self.f64_bytes(x))
            .collect();
        self.extension(4, 8, &floats);
        // 11: measurement level, display width and alignment, for every segment.
        let mut display = Vec::new();
        for v in vars {
            let l = v.laid;
            let measure = match l.measure() {
                Measure::Nominal => 1,
                Measure::Ordinal => 2,
                Measure::Scale => 3,
            };
            let (width, align) = if l.is_string() {
                (l.width.min(32) as i32, 0)
            } else {
                (8, 1)
            };
            for _ in &v.segments {
                display.extend([measure, width, align]);
            }
        }
        let display = self.ints(&display);
        self.extension(11, 4, &display);
        // 13: long variable names.
        let long: Vec<String> = vars
            .iter()
            .map(|v| format!("{}={}", v.shorts[0], v.laid.name))
            .collect();
        self.extension(13, 1, long.join("\t").as_bytes());
        // 14: very long strings.
        let mut vls = Vec::new();
        for v in vars.iter().filter(|v| v.laid.width > 255) {
            vls.extend(format!("{}={:05}", v.shorts[0], v.laid.width).as_bytes());
            vls.extend([0, b'\t']);
        }
        if !vls.is_empty() {
            self.extension(14, 1, &vls);
        }
        // 20: character encoding.
        self.extension(20, 1, b"UTF-8");
        // 21: value labels of strings wider than 8 bytes.
        let mut long_labels = Vec::new();
        for v in vars
            .iter()
            .filter(|v| v.laid.width > 8 && !v.labels.is_empty())
        {
            let name = v.laid.name.as_bytes();
            long_labels.extend(self.ints(&[name.len() as i32]));
            long_labels.extend(name);
            long_labels.extend(self.ints(&[v.laid.width as i32, v.labels.len() as i32]));
            for (value, label) in &v.labels {
                let s = match value {
                    Value::Str(s) => s.as_bytes(),
                    Value::Num(_) => &[],
                };
                long_labels.extend(self.ints(&[v.laid.width as i32]));
                long_labels.extend(fixed(s, v.laid.width, b' '));
                long_labels.extend(self.ints(&[label.len() as i32]));
                long_labels.extend(label.as_bytes());
            }
        }
        if !long_labels.is_empty() {
            self.extension(21, 1, &long_labels);
        }
        // 22: missing values of strings wider than 8 bytes.
        let mut long_missing = Vec::new();
        for v in vars.iter().filter(|v| v.laid.width > 8) {
            let Missing::Str(values) = &v.missing else {
                continue;
            };
            let name = v.laid.name.as_bytes();
            long_missing.extend(self.ints(&[name.len() as i32]));
            long_missing.extend(name);
            long_missing.push(values.len() as u8);
            for s in values {
                long_missing.extend(self.ints(&[8]));
                long_missing.extend(fixed(s.as_bytes(), 8, b' '));
            }
        }
        if !long_missing.is_empty() {
            self.extension(22, 1, &long_missing);
        }
    }

    /// Calls `f` with every 8-byte unit of case `row`, in order: a number or 8 bytes of text.
    fn units(&self, vars: &[Out<'_>], row: usize, mut f: impl FnMut(Unit)) {
        for v in vars {
            match v.col {
                Column::Num(xs) => f(Unit::Num(xs[row])),
                Column::Str(ss) => {
                    let s = cut(&ss[row], v.laid.width).as_bytes();
                    for (k, &width) in v.segments.iter().enumerate() {
                        // Segments of a very long string hold 255 bytes each.
                        let start = (k * 255).min(s.len());
                        let end = ((k + 1) * 255).min(s.len());
                        let chunk = &s[start..end];
                        for o in 0..octs(width) {
                            let mut unit = [b' '; 8];
                            let from = (o * 8).min(chunk.len());
                            let to = (o * 8 + 8).min(chunk.len());
                            unit[..to - from].copy_from_slice(&chunk[from..to]);
                            f(Unit::Str(unit));
                        }
                    }
                }
            }
        }
    }

    fn uncompressed_data(&mut self, vars: &[Out<'_>], cases: usize) {
        let mut data = Vec::new();
        for row in 0..cases {
            self.units(vars, row, |u| match u {
                Unit::Num(x) => {
                    let x = if x.is_finite() { x } else { SYSMIS };
                    data.extend(if self.big {
                        x.to_be_bytes()
                    } else {
                        x.to_le_bytes()
                    })
                }
                Unit::Str(s) => data.extend(s),
            });
        }
        self.buf.extend(data);
    }

    fn compressed_data(&mut self, vars: &[Out<'_>], cases: usize) {
        let mut block = Block::default();
        let mut data = Vec::new();
        for row in 0..cases {
            self.units(vars, row, |u| match u {
                Unit::Num(x) if !x.is_finite() => block.push(&mut data, 255, None),
                Unit::Num(x) if x == x.trunc() && (1.0 - BIAS..=251.0 - BIAS).contains(&x) => {
                    block.push(&mut data, (x + BIAS) as u8, None)
                }
                Unit::Num(x) => block.push(&mut data, 253, Some(self.f64_bytes(x))),
                Unit::Str(s) if s == [b' '; 8] => block.push(&mut data, 254, None),
                Unit::Str(s) => block.push(&mut data, 253, Some(s)),
            });
        }
        block.push(&mut data, 252, None);
        block.flush(&mut data);
        self.buf.extend(data);
    }
}

enum Unit {
    Num(f64),
    Str([u8; 8]),
}

/// Eight command bytes and the 8-byte values the `253`s among them stand for.
#[derive(Default)]
struct Block {
    codes: [u8; 8],
    n: usize,
    values: Vec<[u8; 8]>,
}

impl Block {
    fn push(&mut self, out: &mut Vec<u8>, code: u8, value: Option<[u8; 8]>) {
        self.codes[self.n] = code;
        self.n += 1;
        if let Some(v) = value {
            self.values.push(v);
        }
        if self.n == 8 {
            self.flush(out);
        }
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        if self.n == 0 {
            return;
        }
        out.extend(self.codes);
        for v in self.values.drain(..) {
            out.extend(v);
        }
        self.codes = [0; 8];
        self.n = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_widths() {
        assert_eq!(numeric_width(&[1.0, 2.0], 2), 8);
        assert_eq!(numeric_width(&[1234567.5], 2), 11);
        assert_eq!(numeric_width(&[-1234567.5], 2), 12);
        assert_eq!(numeric_width(&[f64::NAN, 1e300], 0), 40);
        assert_eq!(numeric_width(&[], 16), 18);
    }

    #[test]
    fn format_codes() {
        assert_eq!(format_code(FMT_F, 8, 2), 0x050802);
        assert_eq!(format_code(FMT_A, 255, 0), 0x01ff00);
    }
}
