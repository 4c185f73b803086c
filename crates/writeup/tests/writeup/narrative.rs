//! The narrative written from the fixed sample figures, compared with the reviewed text in
//! `snapshots/` (run with UPDATE_SNAPSHOTS=1 to write them again, then read the diff), and the
//! template checks staff's edits go through.

use std::collections::BTreeMap;
use std::path::PathBuf;

use shanghui_core::Lang;
use shanghui_writeup::compose::compose;
use shanghui_writeup::facts::sample;
use shanghui_writeup::narrative::{self, Narrative};
use shanghui_writeup::{Block, Document};

/// Every paragraph and bullet of the document, one a line, with headings marked.
fn text_of(doc: &Document) -> String {
    let mut out = format!("# {}\n", doc.title);
    for b in &doc.blocks {
        match b {
            Block::Heading { level, text } => {
                out.push_str(&format!("\n{} {text}\n", "#".repeat(*level as usize + 1)))
            }
            Block::Paragraph(p) => out.push_str(&format!("{p}\n")),
            Block::Bullets(items) => {
                for i in items {
                    out.push_str(&format!("- {i}\n"));
                }
            }
            Block::Table(t) => {
                out.push_str(&format!("[table: {} · {} rows]\n", t.caption, t.rows.len()))
            }
            Block::Figure(f) => out.push_str(&format!("[figure: {}]\n", f.caption)),
        }
    }
    out
}

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/writeup/snapshots")
        .join(name);
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_SNAPSHOTS=1", path.display()));
    assert_eq!(
        actual,
        expected,
        "narrative differs from {}",
        path.display()
    );
}

#[test]
fn the_chinese_narrative_of_the_sample_is_as_reviewed() {
    let f = sample(Lang::ZhCn);
    let n = Narrative::new(Lang::ZhCn, &BTreeMap::new()).unwrap();
    let doc = compose(&f, &n, Lang::ZhCn).unwrap();
    let text = text_of(&doc);
    // The issue's own example sentence, from the figures.
    assert!(
        text.contains("本年度应报商会 54 家，实报 52 家，报送率 96.3%，较上年提高 2.1 个百分点"),
        "{text}"
    );
    snapshot("sample.zh-CN.txt", &text);
}

#[test]
fn the_english_narrative_of_the_sample_is_as_reviewed() {
    let f = sample(Lang::En);
    let n = Narrative::new(Lang::En, &BTreeMap::new()).unwrap();
    let doc = compose(&f, &n, Lang::En).unwrap();
    let text = text_of(&doc);
    assert!(
        text.contains("a reporting rate of 96.3%, up 2.1 percentage points"),
        "{text}"
    );
    snapshot("sample.en.txt", &text);
}

#[test]
fn the_numbers_come_from_the_figures_not_the_text() {
    let mut f = sample(Lang::ZhCn);
    f.overview.submitted = 40;
    f.overview.reporting_rate = Some(40.0 / 54.0);
    f.overview.reporting_rate_change = Some((40.0 / 54.0 - 0.942) * 100.0);
    let n = Narrative::new(Lang::ZhCn, &BTreeMap::new()).unwrap();
    let p = n.paragraphs("reporting", &f).unwrap().join("");
    assert!(
        p.contains("实报 40 家，报送率 74.1%，较上年下降 20.1 个百分点"),
        "{p}"
    );
}

#[test]
fn a_staff_template_replaces_the_default() {
    let f = sample(Lang::ZhCn);
    let custom = BTreeMap::from([(
        "overview".to_string(),
        "自定义：{{ node.name }}共有商会 {{ overview.chambers }} 家。".to_string(),
    )]);
    let n = Narrative::new(Lang::ZhCn, &custom).unwrap();
    assert_eq!(
        n.paragraphs("overview", &f).unwrap(),
        vec!["自定义：鼓楼区工商联共有商会 56 家。".to_string()]
    );
}

#[test]
fn broken_templates_are_refused_with_their_line() {
    let f = sample(Lang::ZhCn);
    let e = narrative::check(Lang::ZhCn, "overview", "第一行\n{% if %}", &f).unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    // A misspelt variable is an error, not an empty string in a leader's report.
    let e = narrative::check(Lang::ZhCn, "overview", "{{ overview.chamberz }}", &f).unwrap_err();
    assert!(e.detail.contains("undefined"), "{e}");
    // A template that never ends is stopped.
    let e = narrative::check(
        Lang::ZhCn,
        "overview",
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        &f,
    )
    .unwrap_err();
    assert!(e.detail.to_lowercase().contains("fuel"), "{e}");
    assert!(narrative::check(Lang::ZhCn, "nonesuch", "x", &f).is_err());
    for name in narrative::NAMES {
        for lang in [Lang::ZhCn, Lang::En] {
            let source = narrative::default_source(lang, name).unwrap();
            narrative::check(lang, name, source, &sample(lang))
                .unwrap_or_else(|e| panic!("default {name} ({lang:?}): {e}"));
        }
    }
}
