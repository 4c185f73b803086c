//! The message catalogue. Every user-visible string lives in `i18n/zh-CN.txt` and `i18n/en.txt`
//! (one `key = text` a line; `{name}` marks a parameter). zh-CN is the default language.
//!
//! The catalogue is compiled in, so a running server never lacks a message; a test checks that both
//! files have the same keys and the same parameters.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

/// One catalogue file per part of the product, so each part's strings sit together.
const ZH: &[&str] = &[
    include_str!("../i18n/zh-CN.txt"),
    include_str!("../i18n/zh-CN.files.txt"),
    include_str!("../i18n/zh-CN.web.txt"),
    include_str!("../i18n/zh-CN.reports.txt"),
    include_str!("../i18n/zh-CN.reports-files.txt"),
    include_str!("../i18n/zh-CN.reports-web.txt"),
    include_str!("../i18n/zh-CN.rules.txt"),
    include_str!("../i18n/zh-CN.review.txt"),
    include_str!("../i18n/zh-CN.review-web.txt"),
    include_str!("../i18n/zh-CN.rectify.txt"),
    include_str!("../i18n/zh-CN.rectify-web.txt"),
    include_str!("../i18n/zh-CN.indicator.txt"),
    include_str!("../i18n/zh-CN.indicator-cli.txt"),
    include_str!("../i18n/zh-CN.stats-web.txt"),
    include_str!("../i18n/zh-CN.indicator-dash.txt"),
    include_str!("../i18n/zh-CN.indicator-web.txt"),
    include_str!("../i18n/zh-CN.writeup.txt"),
    include_str!("../i18n/zh-CN.writeup-web.txt"),
];
const EN: &[&str] = &[
    include_str!("../i18n/en.txt"),
    include_str!("../i18n/en.files.txt"),
    include_str!("../i18n/en.web.txt"),
    include_str!("../i18n/en.reports.txt"),
    include_str!("../i18n/en.reports-files.txt"),
    include_str!("../i18n/en.reports-web.txt"),
    include_str!("../i18n/en.rules.txt"),
    include_str!("../i18n/en.review.txt"),
    include_str!("../i18n/en.review-web.txt"),
    include_str!("../i18n/en.rectify.txt"),
    include_str!("../i18n/en.rectify-web.txt"),
    include_str!("../i18n/en.indicator.txt"),
    include_str!("../i18n/en.indicator-cli.txt"),
    include_str!("../i18n/en.stats-web.txt"),
    include_str!("../i18n/en.indicator-dash.txt"),
    include_str!("../i18n/en.indicator-web.txt"),
    include_str!("../i18n/en.writeup.txt"),
    include_str!("../i18n/en.writeup-web.txt"),
];

static CATALOGUES: LazyLock<[HashMap<&'static str, &'static str>; 2]> =
    LazyLock::new(|| [parse_catalogue(ZH), parse_catalogue(EN)]);

fn parse_catalogue(texts: &[&'static str]) -> HashMap<&'static str, &'static str> {
    texts
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v))
        .collect()
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    /// The tag used in URLs, cookies and `Accept-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Lang> {
        let t = tag.trim().to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if t.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The text for `key`. An unknown key is returned as itself so a gap shows on screen rather
    /// than as an empty string; the catalogue test keeps gaps out of releases.
    pub fn t(self, key: &str) -> &'static str {
        let cat = &CATALOGUES[self as usize];
        match cat.get(key) {
            Some(v) => v,
            None => CATALOGUES[0].get(key).copied().unwrap_or("?"),
        }
    }

    /// The text for `key` with `{name}` parameters filled in.
    pub fn tf(self, key: &str, params: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in params {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }
}

/// A message not yet put into words: a catalogue key with its parameters, so the same problem can
/// be shown in the language of whoever reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Msg {
    pub key: &'static str,
    pub params: Vec<(&'static str, Param)>,
}

/// A parameter is either literal text (a value the user typed) or another catalogue key (a word
/// that itself needs translating, such as "a date").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Param {
    Text(String),
    Key(&'static str),
    /// A whole message inside another, e.g. an item's problem inside "row 5: …".
    Msg(Box<Msg>),
    /// Text that staff wrote in both languages (a rule's name): (Chinese, English).
    Both(String, String),
}

impl Msg {
    pub fn new(key: &'static str) -> Self {
        Msg {
            key,
            params: Vec::new(),
        }
    }
    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.params.push((name, Param::Text(value.to_string())));
        self
    }
    pub fn with_key(mut self, name: &'static str, key: &'static str) -> Self {
        self.params.push((name, Param::Key(key)));
        self
    }
    /// Text given in both languages, shown in the reader's.
    pub fn with_both(mut self, name: &'static str, zh: &str, en: &str) -> Self {
        self.params
            .push((name, Param::Both(zh.to_string(), en.to_string())));
        self
    }
    pub fn with_msg(mut self, name: &'static str, msg: Msg) -> Self {
        self.params.push((name, Param::Msg(Box::new(msg))));
        self
    }
    pub fn render(&self, lang: Lang) -> String {
        let rendered: Vec<(&str, std::borrow::Cow<'_, str>)> = self
            .params
            .iter()
            .map(|(k, v)| match v {
                Param::Text(t) => (*k, std::borrow::Cow::Borrowed(t.as_str())),
                Param::Key(key) => (*k, std::borrow::Cow::Borrowed(lang.t(key))),
                Param::Msg(m) => (*k, std::borrow::Cow::Owned(m.render(lang))),
                Param::Both(zh, en) => (
                    *k,
                    std::borrow::Cow::Borrowed(match lang {
                        Lang::ZhCn => zh.as_str(),
                        Lang::En => en.as_str(),
                    }),
                ),
            })
            .collect();
        let p: Vec<(&str, &str)> = rendered.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        lang.tf(self.key, &p)
    }
}

/// All keys of a catalogue, for the completeness test and for tools.
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<_> = CATALOGUES[lang as usize].keys().copied().collect();
    k.sort_unstable();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn catalogues_are_complete_and_agree() {
        let zh = keys(Lang::ZhCn);
        let en = keys(Lang::En);
        assert!(zh.len() > 50, "catalogue too small: {}", zh.len());
        let missing_en: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let missing_zh: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(missing_en.is_empty(), "keys missing in en: {missing_en:?}");
        assert!(
            missing_zh.is_empty(),
            "keys missing in zh-CN: {missing_zh:?}"
        );
        for k in zh {
            assert_eq!(
                params(Lang::ZhCn.t(k)),
                params(Lang::En.t(k)),
                "parameters differ for {k}"
            );
        }
    }

    #[test]
    fn no_duplicate_keys() {
        for texts in [ZH, EN] {
            let mut seen = std::collections::HashSet::new();
            for l in texts
                .iter()
                .flat_map(|t| t.lines())
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            {
                let (k, _) = l
                    .split_once(" = ")
                    .unwrap_or_else(|| panic!("bad catalogue line: {l}"));
                assert!(seen.insert(k.trim()), "duplicate key {k}");
            }
        }
    }

    #[test]
    fn fills_parameters() {
        let m = Msg::new("problem.required");
        assert!(!m.render(Lang::ZhCn).contains('{'));
        assert_eq!(Lang::from_tag("zh-CN,zh;q=0.9"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_tag("en-US"), Some(Lang::En));
    }
}
