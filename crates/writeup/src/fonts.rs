//! The fonts the PDF and the chart pictures are drawn with: files with Chinese glyphs (Noto Sans
//! CJK / Source Han Sans preferred), found once per process.
//!
//! Where: the folder `SHANGHUI_FONT_DIR` names, if set (and only there, so a deployment can pin
//! its fonts); otherwise `/usr/share/fonts`, `/usr/local/share/fonts` and `~/.local/share/fonts`,
//! searched recursively for `.ttf`, `.otf`, `.ttc` and `.otc` files.
//!
//! How, quickly: a system may hold hundreds of font files and a CJK font weighs 20 MB, so files
//! are ranked by name first (Noto Sans CJK, Source Han Sans, then Noto Serif CJK, then other
//! files large enough to hold Chinese) and only the best-ranked group is read and checked for
//! the glyph 中. Only the regular and bold weights are kept unless nothing else exists: each
//! extra weight costs ~20 MB of memory for the process's lifetime.
//!
//! Users: `pdf` builds Typst's font book from [`cjk`]; `png` loads the same bytes into a
//! usvg/fontdb database (the `Arc` shares them, nothing is copied). Both ask for [`family`].

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use typst::text::FontInfo;

use crate::WriteupError;

/// The family asked for when no font was found (the error path); also the one charts name.
pub const DEFAULT_FAMILY: &str = "Noto Sans CJK SC";

/// The environment variable naming the only folder searched for fonts.
pub const FONT_DIR_ENV: &str = "SHANGHUI_FONT_DIR";

/// The character a font must have to count as Chinese: among the most frequent hanzi, and in
/// every CJK font (simplified, traditional, Japanese, Korean).
const PROBE: char = '中';

/// Files under this size are not read unless their name says Noto/Source Han CJK: a font with
/// usable Chinese coverage (thousands of hanzi) is several MB, and reading every small Latin
/// font on the system would make the search slow.
const MIN_CJK_BYTES: u64 = 1 << 20;

/// How deep the search goes below each folder: guards against symbolic-link loops.
const MAX_DEPTH: usize = 8;

/// One font file, read into memory. A `.ttc`/`.otc` collection holds several faces (Noto Sans
/// CJK's: JP, KR, SC, TC, HK and their monospaced variants); load all of its faces.
#[derive(Debug, Clone)]
pub struct FontFile {
    pub path: PathBuf,
    /// The whole file. Cheap to clone and shareable with fontdb as
    /// `Arc<dyn AsRef<[u8]> + Send + Sync>`.
    pub data: Arc<Vec<u8>>,
    /// The family to ask for to get Chinese text from this file, simplified Chinese preferred
    /// (e.g. "Noto Sans CJK SC"), or for a Latin fallback file its family (e.g. "DejaVu Sans").
    pub family: String,
    /// Whether the file has Chinese glyphs; false for the Latin fallback.
    pub cjk: bool,
}

/// The fonts for Chinese text, found on first use and kept for the process: the CJK files first
/// (all of one family, regular and bold), then possibly a Latin fallback (DejaVu Sans or
/// Liberation Sans) for symbols the CJK font lacks.
///
/// A failure is not cached: installing fonts-noto-cjk and retrying works without a restart.
pub fn cjk() -> Result<&'static [FontFile], WriteupError> {
    static FOUND: OnceLock<Vec<FontFile>> = OnceLock::new();
    // Concurrent first calls would each read ~40 MB; the lock makes the later ones wait for the
    // first one's result instead.
    static SCANNING: Mutex<()> = Mutex::new(());
    if let Some(files) = FOUND.get() {
        return Ok(files);
    }
    let _guard = SCANNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(files) = FOUND.get() {
        return Ok(files);
    }
    let files = scan(&font_dirs())?;
    Ok(FOUND.get_or_init(|| files))
}

/// The font family to set for Chinese text (PDF body, chart text), e.g. "Noto Sans CJK SC":
/// the family of [`cjk`]'s first file, or [`DEFAULT_FAMILY`] when no CJK font is installed (the
/// renderers then fail with [`WriteupError::NoCjkFont`] anyway).
pub fn family() -> &'static str {
    match cjk() {
        Ok(files) => files.first().map_or(DEFAULT_FAMILY, |f| f.family.as_str()),
        Err(_) => DEFAULT_FAMILY,
    }
}

/// The folders searched: `SHANGHUI_FONT_DIR` alone when set, else the usual Linux font folders.
pub fn font_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(FONT_DIR_ENV).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        dirs.push(Path::new(&home).join(".local/share/fonts"));
    }
    dirs
}

/// The CJK font files under `dirs` (searched recursively), as [`cjk`] describes; no caching, so
/// tests can call it on folders of their own. Missing folders count as empty.
pub fn scan(dirs: &[PathBuf]) -> Result<Vec<FontFile>, WriteupError> {
    let mut found = Vec::new();
    for dir in dirs {
        walk(dir, 0, &mut found);
    }
    // The same file reached twice (a folder linked into another) is read once.
    found.sort_by(|a, b| a.path.cmp(&b.path));
    let mut seen_files = std::collections::HashSet::new();
    found.retain(|s| {
        seen_files.insert(fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone()))
    });
    let mut files = best_cjk_group(&found).ok_or(WriteupError::NoCjkFont)?;
    files.extend(latin_fallback(&found));
    Ok(files)
}

/// A font file seen on disk, before it is read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    path: PathBuf,
    len: u64,
}

/// Collects the font files under `dir` into `out`. Unreadable folders are skipped: a font
/// folder the server cannot read is no reason to fail when another one has the fonts.
fn walk(dir: &Path, depth: usize, out: &mut Vec<Seen>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // `fs::metadata` follows symbolic links, which font folders often use.
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, depth + 1, out);
        } else if meta.is_file() && is_font_file(&path) {
            out.push(Seen {
                path,
                len: meta.len(),
            });
        }
    }
}

fn is_font_file(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["ttf", "otf", "ttc", "otc"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

/// The file name without extension, lowercased, letters and digits only: "NotoSansCJK-Bold.ttc"
/// → "notosanscjkbold", so names match whatever separators the packager used.
fn name_key(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How promising a file looks from its name and size, best first; `None` for files not worth
/// reading. Ranks: 0 Noto Sans CJK / Source Han Sans (sans-serif reads best on screen and in
/// tables), 1 Noto Serif CJK / Source Han Serif, 2 other large files whose name suggests
/// Chinese, 3 any other large file (for `SHANGHUI_FONT_DIR` folders with unusual names). Extra
/// weights (light, medium, black…) rank after their group's regular and bold.
fn rank(seen: &Seen) -> Option<u8> {
    const SANS: [&str; 3] = ["notosanscjk", "sourcehansans", "notosanssc"];
    const SERIF: [&str; 3] = ["notoserifcjk", "sourcehanserif", "notoserifsc"];
    const HINTS: [&str; 18] = [
        "cjk",
        "han",
        "wqy",
        "wenquanyi",
        "fallback",
        "ukai",
        "uming",
        "simsun",
        "simhei",
        "msyh",
        "yahei",
        "pingfang",
        "hei",
        "song",
        "kai",
        "arphic",
        "sarasa",
        "lxgw",
    ];
    let key = name_key(&seen.path);
    let has = |words: &[&str]| words.iter().any(|w| key.contains(w));
    let group = if has(&SANS) {
        0
    } else if has(&SERIF) {
        1
    } else if seen.len < MIN_CJK_BYTES {
        return None;
    } else if has(&HINTS) {
        2
    } else {
        3
    };
    Some(group * 2 + u8::from(is_extra_weight(&key)))
}

/// Whether the name is a weight other than regular and bold: the report uses only those two.
fn is_extra_weight(key: &str) -> bool {
    const EXTRA: [&str; 10] = [
        "thin",
        "light",
        "medium",
        "semibold",
        "demibold",
        "demi",
        "extrabold",
        "ultrabold",
        "black",
        "heavy",
    ];
    EXTRA.iter().any(|w| key.contains(w))
}

/// The CJK files of the best-ranked group that has any: the group's files are read and
/// checked; those of the first verified file's family are kept (its regular and bold).
fn best_cjk_group(found: &[Seen]) -> Option<Vec<FontFile>> {
    let mut ranked: Vec<(u8, &Seen)> = found
        .iter()
        .filter_map(|s| rank(s).map(|r| (r, s)))
        .collect();
    ranked.sort();
    let mut start = 0;
    while start < ranked.len() {
        let group = ranked[start].0;
        let end = start + ranked[start..].partition_point(|(r, _)| *r == group);
        let verified: Vec<FontFile> = ranked[start..end]
            .iter()
            .filter_map(|(_, s)| read_cjk(&s.path))
            .collect();
        if let Some(first) = verified.first() {
            let family = first.family.clone();
            return Some(
                verified
                    .into_iter()
                    .filter(|f| f.family == family)
                    .collect(),
            );
        }
        start = end;
    }
    None
}

/// The file at `path` if one of its faces has Chinese glyphs, with the family to ask for.
fn read_cjk(path: &Path) -> Option<FontFile> {
    let data = fs::read(path).ok()?;
    let family = chinese_family(&data)?;
    Some(FontFile {
        path: path.to_owned(),
        data: Arc::new(data),
        family,
        cjk: true,
    })
}

/// The family of the font's first face that covers [`PROBE`], or better, of the first such
/// face for simplified Chinese (Noto's collections list JP and KR before SC). Faces are parsed
/// one at a time, so a collection is read only up to the SC face.
fn chinese_family(data: &[u8]) -> Option<String> {
    let mut first = None;
    for info in FontInfo::iter(data) {
        if !info.coverage.contains(u32::from(PROBE)) {
            continue;
        }
        if is_simplified(&info.family) {
            return Some(info.family);
        }
        first.get_or_insert(info.family);
    }
    first
}

/// Whether a family name marks simplified Chinese: "Noto Sans CJK SC", "Source Han Sans CN",
/// "Sarasa Gothic SC".
fn is_simplified(family: &str) -> bool {
    family
        .split([' ', '-', '_'])
        .any(|w| matches!(w, "SC" | "CN" | "GB" | "Hans"))
}

/// A Latin font of regular and bold weight, if one of the usual ones is installed: it covers
/// symbols the CJK font lacks. Cheap (two files of ~0.7 MB), so taken when present.
fn latin_fallback(found: &[Seen]) -> Vec<FontFile> {
    const SETS: [[&str; 2]; 3] = [
        ["dejavusans", "dejavusansbold"],
        ["liberationsansregular", "liberationsansbold"],
        ["notosansregular", "notosansbold"],
    ];
    for set in SETS {
        let files: Vec<FontFile> = set
            .iter()
            .filter_map(|key| found.iter().find(|s| name_key(&s.path) == *key))
            .filter_map(|s| read_latin(&s.path))
            .collect();
        if !files.is_empty() {
            return files;
        }
    }
    Vec::new()
}

/// The file at `path` if it parses as a font, for the Latin fallback.
fn read_latin(path: &Path) -> Option<FontFile> {
    let data = fs::read(path).ok()?;
    let family = FontInfo::new(&data, 0)?.family;
    Some(FontFile {
        path: path.to_owned(),
        data: Arc::new(data),
        family,
        cjk: false,
    })
}
