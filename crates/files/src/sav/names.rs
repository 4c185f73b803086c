//! Variable names as SPSS wants them: at most 64 bytes, a letter first, then letters, digits and
//! `_ . $ # @`, not ending in a full stop, not a reserved word, unique regardless of case. Each
//! variable also gets a short name of at most 8 bytes for the variable record, as SPSS gives it.

use std::collections::{HashMap, HashSet};

use shanghui_core::value::normalize;

use super::cut;

/// The longest variable name SPSS accepts, in bytes.
pub const MAX_NAME_BYTES: usize = 64;
const MAX_SHORT_NAME_BYTES: usize = 8;

const RESERVED: [&str; 13] = [
    "ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH",
];

fn is_reserved(s: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

fn is_first(c: char) -> bool {
    c.is_alphabetic()
}

fn is_rest(c: char) -> bool {
    c.is_alphabetic() || c.is_ascii_digit() || matches!(c, '_' | '.' | '$' | '#' | '@')
}

/// Whether SPSS accepts `s` as a variable name.
pub fn is_valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if is_first(c))
        && chars.all(is_rest)
        && s.len() <= MAX_NAME_BYTES
        && !s.ends_with('.')
        && !is_reserved(s)
}

/// Case-insensitive key, as SPSS compares names.
fn key(s: &str) -> String {
    s.to_lowercase()
}

/// A valid name made of `raw`: full-width forms become ASCII, runs of anything else than
/// letters and digits become one `_`, a name starting with a digit gets a `V` in front. Empty
/// when `raw` has no letter or digit.
fn sanitize(raw: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in normalize(raw).chars() {
        let keep = c.is_alphabetic() || c.is_ascii_digit() || (!out.is_empty() && c == '@');
        if !keep {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push('_');
        }
        gap = false;
        if out.is_empty() && c.is_ascii_digit() {
            out.push('V');
        }
        out.push(c);
    }
    let mut out = cut(&out, MAX_NAME_BYTES)
        .trim_end_matches(['_', '.'])
        .to_string();
    if is_reserved(&out) {
        out.push('_');
    }
    out
}

/// `base` with `suffix`, cut so that the whole fits in `max` bytes.
fn with_suffix(base: &str, suffix: &str, max: usize) -> String {
    let mut s = cut(base, max.saturating_sub(suffix.len())).to_string();
    s.push_str(suffix);
    s
}

/// Valid, unique SPSS names for variables named `names`, in order. A name that is valid and not
/// taken by an earlier one is kept as it is; others are made valid (`会员总数（人）` becomes
/// `会员总数_人`, `2024年` becomes `V2024年`, an empty name `VAR00003` after its position) and
/// made unique with `_2`, `_3`…
pub fn spss_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = HashSet::new();
    // The next suffix to try for each base name: many equal names cost no more than different
    // ones.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, raw) in names.into_iter().enumerate() {
        let mut base = if is_valid_name(raw) {
            raw.to_string()
        } else {
            sanitize(raw)
        };
        if base.is_empty() {
            base = format!("VAR{:05}", i + 1);
        }
        let mut name = base.clone();
        let n = next.entry(key(&base)).or_insert(2);
        while !taken.insert(key(&name)) {
            name = with_suffix(&base, &format!("_{n}"), MAX_NAME_BYTES);
            *n += 1;
        }
        out.push(name);
    }
    out
}

/// `A`, `B`, … `Z`, `AA`, `AB`…: PSPP's suffixes for short names.
fn letters(mut n: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Short names (at most 8 bytes, unique regardless of case) as SPSS and PSPP make them: the
/// long name in capitals, cut at 8 bytes; on a clash, and for the extra segments of a very long
/// string, cut shorter and followed by `_A`, `_B`…
#[derive(Default)]
pub(super) struct ShortNames {
    taken: HashSet<String>,
    /// The next suffix to try for each base.
    next: HashMap<String, usize>,
}

impl ShortNames {
    fn base(long: &str) -> String {
        cut(&long.to_ascii_uppercase(), MAX_SHORT_NAME_BYTES)
            .trim_end_matches('.')
            .to_string()
    }

    /// The short name of a variable (its first segment).
    pub fn first(&mut self, long: &str) -> String {
        let base = Self::base(long);
        if !base.is_empty() && self.taken.insert(key(&base)) {
            return base;
        }
        self.suffixed(&base)
    }

    /// The short name of a later segment of a very long string.
    pub fn segment(&mut self, long: &str) -> String {
        self.suffixed(&Self::base(long))
    }

    fn suffixed(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "V" } else { base };
        let i = self.next.entry(key(base)).or_insert(0);
        loop {
            let name = with_suffix(base, &format!("_{}", letters(*i)), MAX_SHORT_NAME_BYTES);
            *i += 1;
            if self.taken.insert(key(&name)) {
                return name;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for ok in ["members_total", "收入", "q1.a", "x$", "会员总数_人", "A@b#"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "1x",
            "_x",
            "a b",
            "x.",
            "TO",
            "with",
            "会员（人）",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn names_made_valid_and_unique() {
        let names = spss_names([
            "会员总数（人）",
            "2024年",
            "",
            "a b",
            "A_B",
            "by",
            "ｑ１",
            "x",
            "X",
            "  ",
            "$%",
        ]);
        assert_eq!(
            names,
            vec![
                "会员总数_人",
                "V2024年",
                "VAR00003",
                "a_b",
                "A_B_2",
                "by_",
                "q1",
                "x",
                "X_2",
                "VAR00010",
                "VAR00011"
            ]
        );
        for n in &names {
            assert!(is_valid_name(n), "{n}");
        }
        let long = spss_names(["长".repeat(40).as_str(), "长".repeat(30).as_str()]);
        assert_eq!(long[0].len(), 63);
        assert_eq!(long[1], format!("{}_2", "长".repeat(20)));
        let clash = spss_names(["长".repeat(22).as_str(), "长".repeat(21).as_str()]);
        assert!(
            clash[1].ends_with("_2") && clash[1].len() <= 64,
            "{clash:?}"
        );
    }

    #[test]
    fn short_names() {
        let mut s = ShortNames::default();
        assert_eq!(s.first("id"), "ID");
        assert_eq!(s.first("收入"), "收入");
        assert_eq!(s.first("会员单位数"), "会员");
        assert_eq!(s.first("会员个人数"), "会员_A");
        assert_eq!(s.first("longtext"), "LONGTEXT");
        assert_eq!(s.segment("longtext"), "LONGTE_A");
        assert_eq!(s.first("abcdefg.x"), "ABCDEFG");
        // Many equal names: each costs one try.
        let mut many = ShortNames::default();
        let names: HashSet<String> = (0..20_000).map(|_| many.first("same")).collect();
        assert_eq!(names.len(), 20_000);
        assert!(names.iter().all(|n| n.len() <= 8), "{names:?}");
        let long = spss_names(std::iter::repeat_n("x", 20_000));
        assert_eq!(long[19_999], "x_20000");
        assert_eq!(letters(25), "Z");
        assert_eq!(letters(26), "AA");
        assert_eq!(letters(27), "AB");
    }
}
