//! Reading a system file: the dictionary first, record by record, each checked against the bytes
//! that remain before anything is taken from it; then the cases.

use std::collections::{HashMap, HashSet};

use encoding_rs::{BIG5, EUC_KR, Encoding, GB18030, GBK, SHIFT_JIS, UTF_8, WINDOWS_1252};
use shanghui_core::Msg;
use shanghui_stats::{Column, Dataset, Measure, MissingSpec, Value, Variable};

use super::{HIGHEST, LOWEST_BITS, SYSMIS, octs};
use crate::MAX_DATA_ROWS;
#[cfg(doc)]
use crate::MAX_FILE_BYTES;
use crate::guard::{self, MAX_GRID_CELLS};
use crate::located::Located;

/// Reads an SPSS system file (.sav): what [`write_sav`](super::write_sav) writes and what SPSS
/// and PSPP write, bytecode-compressed or not, little- or big-endian, in UTF-8 or a code page
/// (GBK files from Chinese SPSS included; a file that names no encoding is read as UTF-8 when it
/// is valid UTF-8, else as GB18030).
///
/// The data set keeps the file's variables in order, with their long names, labels, value
/// labels, user-missing values, measurement levels and decimals (from the print format). Strings
/// lose the trailing spaces SPSS pads them with; the system-missing value becomes `NaN`, and so
/// does any number that is not finite; `LOWEST` and `HIGHEST` in a missing-value range become
/// infinities.
///
/// Problems come back located: `File "x.sav", record at byte 1234: …`, or the case and its byte
/// offset in the data. The file is refused whole when it is not a system file, is cut short or
/// damaged, uses a format this reader does not know (ZLIB compression, EBCDIC, non-IEEE numbers),
/// or is beyond the crate's limits ([`MAX_FILE_BYTES`], [`MAX_DATA_ROWS`] cases, 10 million
/// cells, a million value labels). Unknown extension records are passed over, as SPSS does.
pub fn read_sav(bytes: &[u8], file_name: &str) -> Result<Dataset, Vec<Located>> {
    guard::check_size(bytes).map_err(|l| vec![l])?;
    let mut reader = Reader {
        file: file_name,
        src: Src {
            b: bytes,
            pos: 0,
            big: false,
        },
        problems: Vec::new(),
        enc: Enc::Guess,
    };
    let header = reader.header().map_err(|l| vec![l])?;
    let dict = reader.dictionary().map_err(|l| vec![l])?;
    let vars = reader.assemble(&dict);
    if !reader.problems.is_empty() {
        return Err(reader.problems);
    }
    let columns = reader.data(&header, &dict, &vars).map_err(|l| vec![l])?;
    let mut ds = Dataset::default();
    for (v, c) in vars.into_iter().zip(columns) {
        ds.push(v.var, c);
    }
    Ok(ds)
}

/// The bytes of the file and where the reading is.
struct Src<'a> {
    b: &'a [u8],
    pos: usize,
    big: bool,
}

impl<'a> Src<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn i32(&mut self) -> Option<i32> {
        let a: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(if self.big {
            i32::from_be_bytes(a)
        } else {
            i32::from_le_bytes(a)
        })
    }

    fn f64(&mut self) -> Option<f64> {
        let a: [u8; 8] = self.take(8)?.try_into().ok()?;
        Some(to_f64(a, self.big))
    }

    fn remaining(&self) -> usize {
        self.b.len().saturating_sub(self.pos)
    }
}

fn to_f64(a: [u8; 8], big: bool) -> f64 {
    if big {
        f64::from_be_bytes(a)
    } else {
        f64::from_le_bytes(a)
    }
}

struct Header {
    compressed: bool,
    /// `None` when the file does not say (-1).
    cases: Option<usize>,
    bias: f64,
}

/// A variable record (type 2), as read.
struct RawVar<'a> {
    offset: usize,
    /// 0 for numeric, else the string width of this segment (1 to 255).
    width: usize,
    name: &'a [u8],
    label: Option<&'a [u8]>,
    n_missing: i32,
    missing: &'a [u8],
    print: i32,
    /// Its first 8-byte unit in a case, from 0.
    oct: usize,
}

/// Records 3 and 4: labels and the variables (by 1-based unit index) they apply to.
struct LabelSet<'a> {
    offset: usize,
    labels: Vec<([u8; 8], &'a [u8])>,
    indexes: Vec<i32>,
}

/// An extension record (type 7).
#[derive(Clone, Copy)]
struct Ext<'a> {
    offset: usize,
    size: usize,
    data: &'a [u8],
}

#[derive(Default)]
struct Dict<'a> {
    vars: Vec<RawVar<'a>>,
    /// 8-byte units per case, continuation records included.
    octs: usize,
    labels: Vec<LabelSet<'a>>,
    integer_info: Option<Ext<'a>>,
    float_info: Option<Ext<'a>>,
    display: Option<Ext<'a>>,
    long_names: Option<Ext<'a>>,
    very_long: Option<Ext<'a>>,
    encoding: Option<Ext<'a>>,
    long_labels: Vec<Ext<'a>>,
    long_missing: Vec<Ext<'a>>,
}

/// A variable of the data set: its segments (indexes into `Dict::vars`; more than one for a very
/// long string) and what is known of it so far.
struct Var {
    segments: Vec<usize>,
    /// Its short name, from the variable record.
    short: String,
    /// 0 for numeric.
    width: usize,
    var: Variable,
    /// The values it has labels for.
    labelled: HashSet<LabelKey>,
}

/// How strings in the file are encoded.
#[derive(Clone, Copy)]
enum Enc {
    Known(&'static Encoding),
    /// No encoding named: UTF-8 when valid, else GB18030 (which reads GBK).
    Guess,
}

impl Enc {
    fn decode(self, b: &[u8]) -> String {
        match self {
            Enc::Known(e) if e == UTF_8 => String::from_utf8_lossy(b).into_owned(),
            Enc::Known(e) => e.decode_without_bom_handling(b).0.into_owned(),
            Enc::Guess => match std::str::from_utf8(b) {
                Ok(s) => s.to_string(),
                Err(_) => GB18030.decode_without_bom_handling(b).0.into_owned(),
            },
        }
    }
}

/// An encoding by the name the character encoding record gives.
fn named_encoding(name: &[u8]) -> Option<&'static Encoding> {
    let name = String::from_utf8_lossy(name);
    let name = name.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    match name.to_ascii_lowercase().as_str() {
        "cp936" | "windows-936" | "ms936" | "936" => Some(GBK),
        "cp54936" | "windows-54936" => Some(GB18030),
        "utf8" | "cp65001" | "windows-65001" => Some(UTF_8),
        "cp950" | "windows-950" => Some(BIG5),
        "cp932" | "windows-932" => Some(SHIFT_JIS),
        "cp949" | "windows-949" => Some(EUC_KR),
        n => Encoding::for_label(n.as_bytes()),
    }
}

/// An encoding by the Windows code page the machine integer info record gives.
fn code_page(code: i32) -> Option<&'static Encoding> {
    match code {
        65001 => Some(UTF_8),
        936 | 20936 => Some(GBK),
        54936 => Some(GB18030),
        950 => Some(BIG5),
        932 => Some(SHIFT_JIS),
        949 => Some(EUC_KR),
        28591 | 1252 => Some(WINDOWS_1252),
        874 | 1250..=1258 => Encoding::for_label(format!("windows-{code}").as_bytes()),
        28592..=28605 => Encoding::for_label(format!("iso-8859-{}", code - 28590).as_bytes()),
        _ => None,
    }
}

/// Bytes of a string field without the spaces (and NULs) that pad it.
fn trim_pad(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != 0)
        .map_or(0, |p| p + 1);
    &b[..end]
}

struct Reader<'a> {
    file: &'a str,
    src: Src<'a>,
    /// Problems with the dictionary that do not stop it from being read further (at most
    /// [`MAX_PROBLEMS`]).
    problems: Vec<Located>,
    /// How its strings are encoded, once the dictionary is read.
    enc: Enc,
}

/// A problem in a record, by the record's byte offset.
fn at(file: &str, offset: usize, problem: Msg) -> Located {
    Located::file(
        Msg::new("files.sav.at")
            .with("file", file)
            .with("offset", offset)
            .with_msg("problem", problem),
    )
}

/// Problems with a dictionary listed at most: a damaged file can hold millions.
const MAX_PROBLEMS: usize = 100;
/// Value labels a file may give in all: a few bytes of records can apply a long list of labels
/// to many variables.
const MAX_VALUE_LABELS: usize = 1_000_000;

impl<'a> Reader<'a> {
    /// Notes a problem that does not stop the dictionary from being read further.
    fn problem(&mut self, l: Located) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(l);
        }
    }

    fn at(&self, offset: usize, problem: Msg) -> Located {
        at(self.file, offset, problem)
    }

    fn truncated(&self, offset: usize) -> Located {
        self.at(offset, Msg::new("files.sav.truncated"))
    }

    fn whole(&self, key: &'static str) -> Located {
        Located::file(Msg::new(key).with("file", self.file))
    }

    fn header(&mut self) -> Result<Header, Located> {
        let b = self.src.b;
        match b.get(..4) {
            Some(b"$FL2") => {}
            Some(b"$FL3") => return Err(self.whole("files.sav.zlib")),
            Some([0x5b, 0xc6, 0xd3, 0xf2]) => return Err(self.whole("files.sav.ebcdic")),
            _ => return Err(self.whole("files.sav.not_sav")),
        }
        if b.len() < 176 {
            return Err(self.truncated(0));
        }
        let layout = |big: bool| {
            let a: [u8; 4] = [b[64], b[65], b[66], b[67]];
            if big {
                i32::from_be_bytes(a)
            } else {
                i32::from_le_bytes(a)
            }
        };
        self.src.big = match (layout(false), layout(true)) {
            (2 | 3, _) => false,
            (_, 2 | 3) => true,
            (code, _) => {
                return Err(self.at(0, Msg::new("files.sav.byte_order").with("code", code)));
            }
        };
        self.src.pos = 72;
        let compression = self.src.i32().ok_or_else(|| self.truncated(0))?;
        let _weight = self.src.i32();
        let cases = self.src.i32().ok_or_else(|| self.truncated(0))?;
        let bias = self.src.f64().ok_or_else(|| self.truncated(0))?;
        let compressed = match compression {
            0 => false,
            1 => true,
            code => {
                return Err(self.at(0, Msg::new("files.sav.compression").with("code", code)));
            }
        };
        self.src.pos = 176;
        Ok(Header {
            compressed,
            cases: usize::try_from(cases).ok(),
            bias: if bias.is_finite() { bias } else { 100.0 },
        })
    }

    /// Every record up to and including the dictionary termination record.
    fn dictionary(&mut self) -> Result<Dict<'a>, Located> {
        let mut dict = Dict::default();
        // Continuation records still owed to the last long string.
        let mut owed = 0usize;
        loop {
            let offset = self.src.pos;
            let Some(rec_type) = self.src.i32() else {
                return Err(self.at(offset, Msg::new("files.sav.no_end")));
            };
            if rec_type != 2 && owed > 0 {
                let last = dict.vars.last().map(|v| v.offset).unwrap_or(offset);
                return Err(self.at(
                    last,
                    Msg::new("files.sav.missing_continuation").with("count", owed),
                ));
            }
            match rec_type {
                2 => {
                    let continuation = self.variable(offset, &mut dict)?;
                    match (continuation, owed) {
                        (true, 0) => {
                            return Err(self.at(offset, Msg::new("files.sav.stray_continuation")));
                        }
                        (true, _) => owed -= 1,
                        (false, 0) => {
                            owed = dict.vars.last().map_or(0, |v| octs(v.width) - 1);
                        }
                        (false, _) => {
                            let last = dict.vars.len().saturating_sub(2);
                            return Err(self.at(
                                dict.vars[last].offset,
                                Msg::new("files.sav.missing_continuation").with("count", owed),
                            ));
                        }
                    }
                    dict.octs += 1;
                }
                3 => {
                    let set = self.value_labels(offset)?;
                    dict.labels.push(set);
                }
                4 => return Err(self.at(offset, Msg::new("files.sav.vars_without_labels"))),
                6 => {
                    let n = self.count(offset)?;
                    if n > self.src.remaining() / 80 {
                        return Err(self.truncated(offset));
                    }
                    self.src.take(n * 80);
                }
                7 => self.extension(offset, &mut dict)?,
                999 => {
                    self.src.i32().ok_or_else(|| self.truncated(offset))?;
                    return Ok(dict);
                }
                t => {
                    return Err(self.at(offset, Msg::new("files.sav.record_type").with("type", t)));
                }
            }
        }
    }

    /// A count that must not be negative.
    fn count(&mut self, offset: usize) -> Result<usize, Located> {
        let n = self.src.i32().ok_or_else(|| self.truncated(offset))?;
        usize::try_from(n).map_err(|_| {
            self.at(
                offset,
                Msg::new("files.sav.negative_count").with("count", n),
            )
        })
    }

    /// Reads a variable record; returns whether it continues a long string.
    fn variable(&mut self, offset: usize, dict: &mut Dict<'a>) -> Result<bool, Located> {
        let t = |r: &Self| r.truncated(offset);
        let width = self.src.i32().ok_or_else(|| t(self))?;
        let has_label = self.src.i32().ok_or_else(|| t(self))?;
        let n_missing = self.src.i32().ok_or_else(|| t(self))?;
        let print = self.src.i32().ok_or_else(|| t(self))?;
        let _write = self.src.i32().ok_or_else(|| t(self))?;
        let name = self.src.take(8).ok_or_else(|| t(self))?;
        let label = match has_label {
            0 => None,
            1 => {
                let len = self.count(offset)?;
                let padded = len.div_ceil(4) * 4;
                let b = self.src.take(padded).ok_or_else(|| t(self))?;
                Some(&b[..len])
            }
            v => {
                return Err(self.at(offset, Msg::new("files.sav.label_flag").with("value", v)));
            }
        };
        let width = match width {
            -1 => None,
            0..=255 => Some(width as usize),
            w => return Err(self.at(offset, Msg::new("files.sav.var_width").with("width", w))),
        };
        let valid_missing = matches!(
            (width, n_missing),
            (_, 0) | (Some(0), -3 | -2) | (Some(_), 1..=3)
        );
        if !valid_missing {
            return Err(self.at(
                offset,
                Msg::new("files.sav.missing_count").with("count", n_missing),
            ));
        }
        let missing = self
            .src
            .take(8 * n_missing.unsigned_abs() as usize)
            .ok_or_else(|| t(self))?;
        let Some(width) = width else {
            return Ok(true);
        };
        dict.vars.push(RawVar {
            offset,
            width,
            name,
            label,
            n_missing,
            missing,
            print,
            oct: dict.octs,
        });
        Ok(false)
    }

    fn value_labels(&mut self, offset: usize) -> Result<LabelSet<'a>, Located> {
        let n = self.count(offset)?;
        // Each label takes at least 16 bytes.
        if n > self.src.remaining() / 16 {
            return Err(self.truncated(offset));
        }
        let mut labels = Vec::new();
        for _ in 0..n {
            let value: [u8; 8] = self
                .src
                .take(8)
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| self.truncated(offset))?;
            let len = *self
                .src
                .take(1)
                .and_then(|b| b.first())
                .ok_or_else(|| self.truncated(offset))? as usize;
            let padded = (len + 1).next_multiple_of(8) - 1;
            let b = self
                .src
                .take(padded)
                .ok_or_else(|| self.truncated(offset))?;
            labels.push((value, &b[..len]));
        }
        let vars_offset = self.src.pos;
        match self.src.i32() {
            Some(4) => {}
            Some(_) => {
                return Err(self.at(vars_offset, Msg::new("files.sav.labels_without_vars")));
            }
            None => return Err(self.truncated(vars_offset)),
        }
        let n = self.count(vars_offset)?;
        if n > self.src.remaining() / 4 {
            return Err(self.truncated(vars_offset));
        }
        let mut indexes = Vec::with_capacity(n);
        for _ in 0..n {
            indexes.push(self.src.i32().ok_or_else(|| self.truncated(vars_offset))?);
        }
        Ok(LabelSet {
            offset,
            labels,
            indexes,
        })
    }

    fn extension(&mut self, offset: usize, dict: &mut Dict<'a>) -> Result<(), Located> {
        let t = |r: &Self| r.truncated(offset);
        let subtype = self.src.i32().ok_or_else(|| t(self))?;
        let size = self.src.i32().ok_or_else(|| t(self))?;
        let count = self.src.i32().ok_or_else(|| t(self))?;
        let len = usize::try_from(size)
            .ok()
            .zip(usize::try_from(count).ok())
            .and_then(|(s, c)| s.checked_mul(c))
            .ok_or_else(|| {
                self.at(
                    offset,
                    Msg::new("files.sav.ext_size")
                        .with("subtype", subtype)
                        .with("size", size)
                        .with("count", count),
                )
            })?;
        let data = self.src.take(len).ok_or_else(|| t(self))?;
        let ext = Ext {
            offset,
            size: size as usize,
            data,
        };
        match subtype {
            3 => dict.integer_info = Some(ext),
            4 => dict.float_info = Some(ext),
            11 => dict.display = Some(ext),
            13 => dict.long_names = Some(ext),
            14 => dict.very_long = Some(ext),
            20 => dict.encoding = Some(ext),
            21 => dict.long_labels.push(ext),
            22 => dict.long_missing.push(ext),
            _ => {}
        }
        Ok(())
    }

    /// The numbers of an extension record of 4-byte integers.
    fn ints(&self, ext: &Ext<'_>) -> Vec<i32> {
        if ext.size != 4 {
            return Vec::new();
        }
        ext.data
            .chunks_exact(4)
            .map(|c| {
                let a = [c[0], c[1], c[2], c[3]];
                if self.src.big {
                    i32::from_be_bytes(a)
                } else {
                    i32::from_le_bytes(a)
                }
            })
            .collect()
    }

    fn encoding(&mut self, dict: &Dict<'_>) -> Enc {
        if let Some(e) = dict.encoding.and_then(|e| named_encoding(e.data)) {
            return Enc::Known(e);
        }
        let code = dict
            .integer_info
            .map(|e| self.ints(&e))
            .and_then(|v| v.get(7).copied());
        match code {
            Some(1) => {
                let offset = dict.integer_info.map_or(0, |e| e.offset);
                self.problem(self.at(offset, Msg::new("files.sav.ebcdic_data")));
                Enc::Guess
            }
            Some(c) => code_page(c).map_or(Enc::Guess, Enc::Known),
            None => Enc::Guess,
        }
    }

    /// Puts the dictionary together: very long strings from their segments, long names,
    /// labels, missing values, measurement levels, formats.
    fn assemble(&mut self, dict: &Dict<'a>) -> Vec<Var> {
        if let Some(info) = dict.integer_info {
            let ints = self.ints(&info);
            if let Some(&rep) = ints.get(4)
                && rep != 1
            {
                self.problem(self.at(
                    info.offset,
                    Msg::new("files.sav.float_format").with("code", rep),
                ));
            }
        }
        let enc = self.encoding(dict);
        self.enc = enc;
        let short: Vec<String> = dict
            .vars
            .iter()
            .map(|v| enc.decode(trim_pad(v.name)))
            .collect();
        // Short names, regardless of case, to their variable records (the first of equal ones).
        let mut short_index: HashMap<String, usize> = HashMap::new();
        for (i, s) in short.iter().enumerate() {
            short_index.entry(s.to_lowercase()).or_insert(i);
        }
        let by_short = |name: &str| short_index.get(&name.to_lowercase()).copied();

        // Very long strings: the named variable and the segments after it are one variable.
        let mut width_of: HashMap<usize, usize> = HashMap::new();
        if let Some(ext) = dict.very_long {
            for piece in ext.data.split(|&c| c == b'\t') {
                let piece = trim_pad(piece);
                let piece = &piece[piece.iter().take_while(|&&c| c == 0).count()..];
                if piece.is_empty() {
                    continue;
                }
                let Some(eq) = piece.iter().position(|&c| c == b'=') else {
                    self.problem(self.at(ext.offset, Msg::new("files.sav.vls_malformed")));
                    break;
                };
                let name = enc.decode(&piece[..eq]);
                let width = std::str::from_utf8(&piece[eq + 1..])
                    .ok()
                    .and_then(|s| s.trim_matches(|c: char| c == '\0' || c == ' ').parse().ok());
                let (Some(i), Some(width)) = (by_short(&name), width) else {
                    self.problem(self.at(
                        ext.offset,
                        Msg::new("files.sav.vls_unknown").with("variable", name),
                    ));
                    continue;
                };
                let n = usize::div_ceil(width, 252);
                let ok = width <= super::MAX_STRING_WIDTH
                    && dict.vars.get(i..i + n).is_some_and(|segs| {
                        segs.iter().enumerate().all(|(k, s)| {
                            if k + 1 < n {
                                s.width == 255
                            } else {
                                s.width > 0
                            }
                        })
                    });
                if !ok {
                    self.problem(
                        self.at(
                            ext.offset,
                            Msg::new("files.sav.vls_segments")
                                .with("variable", name)
                                .with("width", width),
                        ),
                    );
                    continue;
                }
                width_of.insert(i, width);
            }
        }
        let mut vars: Vec<Var> = Vec::new();
        let mut i = 0;
        while i < dict.vars.len() {
            let raw = &dict.vars[i];
            let (segments, width) = match width_of.get(&i) {
                Some(&w) => ((i..i + w.div_ceil(252)).collect::<Vec<_>>(), w),
                None => (vec![i], raw.width),
            };
            i += segments.len();
            let mut var = if width == 0 {
                Variable::numeric(&short[segments[0]])
            } else {
                Variable::string(&short[segments[0]], width)
            };
            var.label = raw.label.map(|l| enc.decode(trim_pad(l)));
            var.label = var.label.filter(|l| !l.is_empty());
            var.decimals = if width == 0 {
                (raw.print & 0xff).min(16) as u8
            } else {
                0
            };
            vars.push(Var {
                short: short[segments[0]].clone(),
                segments,
                width,
                var,
                labelled: HashSet::new(),
            });
        }

        // Long names.
        let var_of_raw: HashMap<usize, usize> = vars
            .iter()
            .enumerate()
            .map(|(k, v)| (v.segments[0], k))
            .collect();
        if let Some(ext) = dict.long_names {
            for piece in ext.data.split(|&c| c == b'\t') {
                let Some(eq) = piece.iter().position(|&c| c == b'=') else {
                    continue;
                };
                let key = enc.decode(trim_pad(&piece[..eq]));
                let long = enc.decode(trim_pad(&piece[eq + 1..]));
                if long.is_empty() {
                    continue;
                }
                if let Some(&k) = by_short(&key).and_then(|raw| var_of_raw.get(&raw)) {
                    vars[k].var.name = long;
                }
            }
        }
        unique_names(&mut vars);

        let (sysmis, lowest, highest) = self.specials(dict);
        // Missing values from the variable records.
        for v in &mut vars {
            let raw = &dict.vars[v.segments[0]];
            let values: Vec<[u8; 8]> = raw
                .missing
                .chunks_exact(8)
                .map(|c| c.try_into().unwrap_or([0; 8]))
                .collect();
            let num = |b: [u8; 8]| to_f64(b, self.src.big);
            v.var.missing = if v.width == 0 {
                let lo = |x: f64| if x <= lowest { f64::NEG_INFINITY } else { x };
                let hi = |x: f64| if x >= highest { f64::INFINITY } else { x };
                match (raw.n_missing, values.as_slice()) {
                    (-2, [a, b]) => MissingSpec::Range {
                        lo: lo(num(*a)),
                        hi: hi(num(*b)),
                    },
                    (-3, [a, b, c]) => MissingSpec::RangeAndValue {
                        lo: lo(num(*a)),
                        hi: hi(num(*b)),
                        value: num(*c),
                    },
                    (_, []) => MissingSpec::None,
                    (_, xs) => MissingSpec::Values(
                        xs.iter()
                            .map(|&x| num(x))
                            .filter(|x| !x.is_nan() && *x != sysmis)
                            .map(Value::Num)
                            .collect(),
                    ),
                }
            } else if values.is_empty() {
                MissingSpec::None
            } else {
                let keep = v.width.min(8);
                MissingSpec::Values(
                    values
                        .iter()
                        .map(|b| Value::Str(enc.decode(trim_pad(&b[..keep]))))
                        .collect(),
                )
            };
        }
        let names = Names::new(&vars);
        self.long_missing(dict, enc, &mut vars, &names);

        // Value labels of numeric and short string variables.
        let start_of: HashMap<usize, usize> = vars
            .iter()
            .enumerate()
            .map(|(k, v)| (dict.vars[v.segments[0]].oct, k))
            .collect();
        let mut total = 0usize;
        for set in &dict.labels {
            let mut targets = Vec::new();
            let mut seen = HashSet::new();
            for &index in &set.indexes {
                let target = usize::try_from(index)
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|oct| start_of.get(&oct).copied());
                let Some(k) = target else {
                    self.problem(
                        self.at(
                            set.offset,
                            Msg::new("files.sav.label_index")
                                .with("index", index)
                                .with("count", dict.octs),
                        ),
                    );
                    continue;
                };
                if seen.insert(k) {
                    targets.push(k);
                }
            }
            let kinds: Vec<usize> = targets.iter().map(|&k| vars[k].width).collect();
            if kinds.contains(&0) && kinds.iter().any(|&w| w > 0) {
                self.problem(self.at(set.offset, Msg::new("files.sav.label_types")));
                continue;
            }
            if kinds.iter().any(|&w| w > 8) {
                self.problem(self.at(set.offset, Msg::new("files.sav.label_long_string")));
                continue;
            }
            let labels: Vec<(&[u8; 8], String)> = set
                .labels
                .iter()
                .map(|(value, label)| (value, enc.decode(trim_pad(label))))
                .collect();
            for k in targets {
                let v = &mut vars[k];
                for (value, label) in &labels {
                    let value = if v.width == 0 {
                        let x = to_f64(**value, self.src.big);
                        if x.is_nan() || x == sysmis {
                            continue;
                        }
                        Value::Num(x)
                    } else {
                        Value::Str(enc.decode(trim_pad(&value[..v.width.min(8)])))
                    };
                    v.add_label(value, label.clone(), &mut total);
                }
            }
            if total > MAX_VALUE_LABELS {
                self.problem(self.at(
                    set.offset,
                    Msg::new("files.sav.too_many_labels").with("max", MAX_VALUE_LABELS),
                ));
                return vars;
            }
        }
        self.long_labels(dict, enc, &mut vars, &names, &mut total);
        self.display(dict, &mut vars);
        vars
    }

    /// SYSMIS, and the bounds at or beyond which a range end means LOWEST or HIGHEST. The
    /// floating-point info record may say otherwise, but only an extreme value is taken from it:
    /// a writer that put 0 there would otherwise turn every 0 into a missing value.
    fn specials(&self, dict: &Dict<'_>) -> (f64, f64, f64) {
        let extreme = |x: f64| x.is_finite() && x.abs() > 1e300;
        let lowest = f64::from_bits(LOWEST_BITS);
        let mut specials = (SYSMIS, lowest, HIGHEST);
        if let Some(ext) = dict
            .float_info
            .filter(|e| e.size == 8 && e.data.len() == 24)
        {
            let x = |k: usize| {
                let a: [u8; 8] = ext.data[k * 8..k * 8 + 8].try_into().unwrap_or([0; 8]);
                to_f64(a, self.src.big)
            };
            let (s, h, l) = (x(0), x(1), x(2));
            if extreme(s) {
                specials.0 = s;
            }
            if extreme(h) && h > 0.0 {
                specials.2 = specials.2.min(h);
            }
            if extreme(l) && l < 0.0 {
                specials.1 = specials.1.max(l);
            }
        }
        specials
    }

    /// Record 7.22: missing values of strings wider than 8 bytes.
    fn long_missing(&mut self, dict: &Dict<'_>, enc: Enc, vars: &mut [Var], names: &Names) {
        for ext in &dict.long_missing {
            let mut s = Src {
                b: ext.data,
                pos: 0,
                big: self.src.big,
            };
            while s.remaining() > 0 {
                let parsed = (|| {
                    let len = usize::try_from(s.i32()?).ok()?;
                    let name = enc.decode(s.take(len)?);
                    let n = *s.take(1)?.first()?;
                    if !(1..=3).contains(&n) {
                        return None;
                    }
                    let mut values = Vec::new();
                    for _ in 0..n {
                        let len = usize::try_from(s.i32()?).ok()?;
                        values.push(Value::Str(enc.decode(trim_pad(s.take(len)?))));
                    }
                    Some((name, values))
                })();
                let Some((name, values)) = parsed else {
                    self.problem(self.at(
                        ext.offset,
                        Msg::new("files.sav.ext_malformed").with("subtype", 22),
                    ));
                    break;
                };
                if let Some(v) = names
                    .get(&name)
                    .map(|k| &mut vars[k])
                    .filter(|v| v.width > 0)
                {
                    v.var.missing = MissingSpec::Values(values);
                }
            }
        }
    }

    /// Record 7.21: value labels of strings wider than 8 bytes.
    fn long_labels(
        &mut self,
        dict: &Dict<'_>,
        enc: Enc,
        vars: &mut [Var],
        names: &Names,
        total: &mut usize,
    ) {
        for ext in &dict.long_labels {
            let mut s = Src {
                b: ext.data,
                pos: 0,
                big: self.src.big,
            };
            while s.remaining() > 0 {
                let parsed = (|| {
                    let len = usize::try_from(s.i32()?).ok()?;
                    let name = enc.decode(s.take(len)?);
                    let _width = s.i32()?;
                    let n = usize::try_from(s.i32()?).ok()?;
                    // Each label takes at least 8 bytes.
                    if n > s.remaining() / 8 {
                        return None;
                    }
                    let mut labels = Vec::new();
                    for _ in 0..n {
                        let len = usize::try_from(s.i32()?).ok()?;
                        let value = s.take(len)?;
                        let len = usize::try_from(s.i32()?).ok()?;
                        let label = s.take(len)?;
                        labels.push((value, label));
                    }
                    Some((name, labels))
                })();
                let Some((name, labels)) = parsed else {
                    self.problem(self.at(
                        ext.offset,
                        Msg::new("files.sav.ext_malformed").with("subtype", 21),
                    ));
                    break;
                };
                if let Some(v) = names
                    .get(&name)
                    .map(|k| &mut vars[k])
                    .filter(|v| v.width > 0)
                {
                    for (value, label) in labels {
                        let value = &value[..value.len().min(v.width)];
                        v.add_label(
                            Value::Str(enc.decode(trim_pad(value))),
                            enc.decode(trim_pad(label)),
                            total,
                        );
                    }
                }
                if *total > MAX_VALUE_LABELS {
                    self.problem(self.at(
                        ext.offset,
                        Msg::new("files.sav.too_many_labels").with("max", MAX_VALUE_LABELS),
                    ));
                    return;
                }
            }
        }
    }

    /// Record 7.11: measurement levels, one entry (of 3 integers, or 2) per segment or per
    /// variable. A record that fits neither is passed over.
    fn display(&self, dict: &Dict<'_>, vars: &mut [Var]) {
        let Some(ext) = dict.display else { return };
        let ints = self.ints(&ext);
        let segments = dict.vars.len();
        let n = ints.len();
        let (stride, per_segment) = if n == 3 * segments {
            (3, true)
        } else if n == 2 * segments {
            (2, true)
        } else if n == 3 * vars.len() {
            (3, false)
        } else if n == 2 * vars.len() {
            (2, false)
        } else {
            return;
        };
        for (k, v) in vars.iter_mut().enumerate() {
            let entry = if per_segment { v.segments[0] } else { k };
            let measure = match ints.get(entry * stride) {
                Some(1) => Measure::Nominal,
                Some(2) => Measure::Ordinal,
                Some(3) => Measure::Scale,
                _ => continue,
            };
            v.var.measure = if v.width > 0 && measure == Measure::Scale {
                Measure::Nominal
            } else {
                measure
            };
        }
    }

    /// The cases.
    fn data(
        &mut self,
        header: &Header,
        dict: &Dict<'_>,
        vars: &[Var],
    ) -> Result<Vec<Column>, Located> {
        let enc = self.enc;
        let (sysmis, _, _) = self.specials(dict);
        let big = self.src.big;
        let mut columns: Vec<Column> = vars
            .iter()
            .map(|v| {
                if v.width == 0 {
                    Column::Num(Vec::new())
                } else {
                    Column::Str(Vec::new())
                }
            })
            .collect();
        if dict.octs == 0 {
            return Ok(columns);
        }
        let too_many_rows =
            || Located::file(Msg::new("files.too_many_rows").with("max", MAX_DATA_ROWS));
        let too_many_cells =
            |cells: usize| Located::file(Msg::new("files.too_many_cells").with("cells", cells));
        if let Some(n) = header.cases {
            if n > MAX_DATA_ROWS {
                return Err(too_many_rows());
            }
            let cells = n.saturating_mul(vars.len());
            if cells as u64 > MAX_GRID_CELLS {
                return Err(too_many_cells(cells));
            }
        }
        // Which units hold text.
        let mut is_text = vec![false; dict.octs];
        for raw in &dict.vars {
            if raw.width > 0 {
                for t in is_text.iter_mut().skip(raw.oct).take(octs(raw.width)) {
                    *t = true;
                }
            }
        }
        // For each variable, the units and how many bytes of each segment count.
        let plans: Vec<Vec<(usize, usize)>> = vars
            .iter()
            .map(|v| {
                let n = v.segments.len();
                v.segments
                    .iter()
                    .enumerate()
                    .map(|(k, &s)| {
                        let raw = &dict.vars[s];
                        let used = if n > 1 && k + 1 < n { 255 } else { raw.width };
                        (raw.oct, used)
                    })
                    .collect()
            })
            .collect();

        let mut units = if header.compressed {
            Units::Compressed(Bytecode {
                b: self.src.b,
                pos: self.src.pos,
                codes: [0; 8],
                next: 8,
                bias: header.bias,
                ended: false,
            })
        } else {
            Units::Plain {
                b: self.src.b,
                pos: self.src.pos,
            }
        };
        let mut case = vec![Unit::Spaces; dict.octs];
        let mut text = Vec::new();
        let mut n = 0usize;
        loop {
            if header.cases.is_some_and(|e| n >= e) {
                break;
            }
            let case_start = units.pos();
            let mut ended = false;
            for (k, slot) in case.iter_mut().enumerate() {
                match units.next(is_text[k]) {
                    Ok(Some(u)) => *slot = u,
                    Ok(None) if k == 0 && units.clean_end() => {
                        ended = true;
                        break;
                    }
                    _ => {
                        return Err(self.at_case(
                            case_start,
                            n + 1,
                            Msg::new("files.sav.truncated_case"),
                        ));
                    }
                }
            }
            if ended {
                break;
            }
            n += 1;
            if n > MAX_DATA_ROWS {
                return Err(too_many_rows());
            }
            if n.saturating_mul(vars.len()) as u64 > MAX_GRID_CELLS {
                return Err(too_many_cells(n.saturating_mul(vars.len())));
            }
            for ((col, plan), v) in columns.iter_mut().zip(&plans).zip(vars.iter()) {
                match col {
                    Column::Num(xs) => {
                        let x = match case[plan[0].0] {
                            Unit::Raw(b) => to_f64(b, big),
                            Unit::Num(x) => x,
                            Unit::Sysmis | Unit::Spaces | Unit::Zeros => f64::NAN,
                        };
                        xs.push(if x == sysmis || x == SYSMIS || !x.is_finite() {
                            f64::NAN
                        } else {
                            x
                        });
                    }
                    Column::Str(ss) => {
                        text.clear();
                        for &(oct, used) in plan {
                            let start = text.len();
                            for u in &case[oct..oct + octs(used)] {
                                match u {
                                    Unit::Raw(b) => text.extend_from_slice(b),
                                    Unit::Zeros => text.extend_from_slice(&[0; 8]),
                                    _ => text.extend_from_slice(&[b' '; 8]),
                                }
                            }
                            text.truncate(start + used);
                        }
                        text.truncate(v.width);
                        let t = trim_pad(&text);
                        ss.push(if t.is_empty() {
                            String::new()
                        } else {
                            enc.decode(t)
                        });
                    }
                }
            }
        }
        if let Some(expected) = header.cases
            && n < expected
        {
            return Err(self.at_case(
                units.pos(),
                n + 1,
                Msg::new("files.sav.fewer_cases")
                    .with("expected", expected)
                    .with("found", n),
            ));
        }
        Ok(columns)
    }

    fn at_case(&self, offset: usize, case: usize, problem: Msg) -> Located {
        Located::file(
            Msg::new("files.sav.at_case")
                .with("file", self.file)
                .with("case", case)
                .with("offset", offset)
                .with_msg("problem", problem),
        )
    }
}

/// Variables by name regardless of case, for the records that name them (7.21, 7.22): long
/// names first, then short names.
struct Names(HashMap<String, usize>);

impl Names {
    fn new(vars: &[Var]) -> Self {
        let mut map = HashMap::new();
        for (k, v) in vars.iter().enumerate() {
            map.entry(v.var.name.to_lowercase()).or_insert(k);
        }
        for (k, v) in vars.iter().enumerate() {
            map.entry(v.short.to_lowercase()).or_insert(k);
        }
        Names(map)
    }

    fn get(&self, name: &str) -> Option<usize> {
        self.0.get(&name.to_lowercase()).copied()
    }
}

/// A labelled value, to tell a value labelled twice.
#[derive(PartialEq, Eq, Hash)]
enum LabelKey {
    Num(u64),
    Str(String),
}

impl Var {
    /// Adds a value label, counting it in `total`; a value labelled twice keeps its first label.
    fn add_label(&mut self, value: Value, label: String, total: &mut usize) {
        let key = match &value {
            // 0 and -0 are the same value.
            Value::Num(x) if *x == 0.0 => LabelKey::Num(0),
            Value::Num(x) => LabelKey::Num(x.to_bits()),
            Value::Str(s) => LabelKey::Str(s.clone()),
        };
        if self.labelled.insert(key) {
            self.var.value_labels.push((value, label));
            *total += 1;
        }
    }
}

/// Names unique regardless of case, as procedures look them up: a repeated name gets `_2`…
fn unique_names(vars: &mut [Var]) {
    let mut taken = HashSet::new();
    // The next suffix to try for each name, so that a file of many equal names costs no more
    // than one of different names.
    let mut next: HashMap<String, usize> = HashMap::new();
    for (i, v) in vars.iter_mut().enumerate() {
        if v.var.name.is_empty() {
            v.var.name = format!("VAR{:05}", i + 1);
        }
        let base = v.var.name.clone();
        let k = next.entry(base.to_lowercase()).or_insert(2);
        while !taken.insert(v.var.name.to_lowercase()) {
            v.var.name = format!("{base}_{k}");
            *k += 1;
        }
    }
}

/// An 8-byte unit of a case.
#[derive(Clone, Copy)]
enum Unit {
    Raw([u8; 8]),
    Num(f64),
    Sysmis,
    Spaces,
    Zeros,
}

enum Units<'a> {
    Plain { b: &'a [u8], pos: usize },
    Compressed(Bytecode<'a>),
}

impl Units<'_> {
    fn pos(&self) -> usize {
        match self {
            Units::Plain { pos, .. } => *pos,
            Units::Compressed(c) => c.pos,
        }
    }

    /// The next unit; `None` at the end of the data (or of the file).
    fn next(&mut self, text: bool) -> Result<Option<Unit>, ()> {
        match self {
            Units::Plain { b, pos } => {
                let Some(s) = b.get(*pos..*pos + 8) else {
                    return Ok(None);
                };
                *pos += 8;
                Ok(Some(Unit::Raw(s.try_into().map_err(|_| ())?)))
            }
            Units::Compressed(c) => c.next(text),
        }
    }

    /// Whether the data ended where a case may end: no stray bytes of a half case.
    fn clean_end(&self) -> bool {
        match self {
            Units::Plain { b, pos } => *pos >= b.len(),
            Units::Compressed(_) => true,
        }
    }
}

/// Bytecode-compressed data: blocks of 8 command bytes, each followed by the 8-byte values its
/// `253`s stand for.
struct Bytecode<'a> {
    b: &'a [u8],
    pos: usize,
    codes: [u8; 8],
    /// The next command byte to use; 8 when a new block must be read.
    next: usize,
    bias: f64,
    ended: bool,
}

impl Bytecode<'_> {
    fn next(&mut self, text: bool) -> Result<Option<Unit>, ()> {
        loop {
            if self.ended {
                return Ok(None);
            }
            if self.next == 8 {
                // A partial block at the very end is padding.
                let Some(block) = self.b.get(self.pos..self.pos + 8) else {
                    self.ended = true;
                    return Ok(None);
                };
                self.codes.copy_from_slice(block);
                self.pos += 8;
                self.next = 0;
            }
            let code = self.codes[self.next];
            self.next += 1;
            let unit = match code {
                0 => continue,
                252 => {
                    self.ended = true;
                    return Ok(None);
                }
                253 => {
                    let v = self.b.get(self.pos..self.pos + 8).ok_or(())?;
                    self.pos += 8;
                    Unit::Raw(v.try_into().map_err(|_| ())?)
                }
                254 => Unit::Spaces,
                255 => Unit::Sysmis,
                // A small whole number; in a text field only the code for 0 makes sense (NULs).
                c if text => {
                    if f64::from(c) == self.bias {
                        Unit::Zeros
                    } else {
                        Unit::Spaces
                    }
                }
                c => Unit::Num(f64::from(c) - self.bias),
            };
            return Ok(Some(unit));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(named_encoding(b"UTF-8"), Some(UTF_8));
        assert_eq!(named_encoding(b"CP936"), Some(GBK));
        assert_eq!(named_encoding(b"GBK"), Some(GBK));
        assert_eq!(named_encoding(b"windows-1252"), Some(WINDOWS_1252));
        assert_eq!(named_encoding(b"nonsense"), None);
        assert_eq!(code_page(936), Some(GBK));
        assert_eq!(code_page(1251).map(|e| e.name()), Some("windows-1251"));
        assert_eq!(code_page(2), None);
        let (gbk, _, _) = GBK.encode("年收入");
        assert_eq!(Enc::Guess.decode(&gbk), "年收入");
        assert_eq!(Enc::Guess.decode("年收入".as_bytes()), "年收入");
    }

    #[test]
    fn padding_is_trimmed() {
        assert_eq!(trim_pad(b"ab   \0\0\0"), b"ab");
        assert_eq!(trim_pad(b"        "), b"");
        assert_eq!(trim_pad(b" a"), b" a");
    }
}
