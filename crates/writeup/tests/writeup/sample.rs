//! A small report as the renderers receive it: every kind of block, Chinese and Latin text,
//! characters that need escaping in XML, HTML and Typst markup, and a table long enough to run
//! over a page.

use shanghui_writeup::{Align, Block, DocLang, Document, Figure, Table};

/// A standalone SVG bar chart with Chinese labels, drawn by hand so the renderers' tests do not
/// depend on `charts`.
pub fn svg() -> Figure {
    let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120" viewBox="0 0 400 120" font-family="Noto Sans CJK SC, sans-serif" font-size="13"><rect width="400" height="120" fill="#fff"/><text x="10" y="30">鼓楼区</text><rect x="80" y="18" width="250" height="16" fill="#3b6ea8"/><text x="336" y="30">96.3%</text><text x="10" y="70">台江区</text><rect x="80" y="58" width="180" height="16" fill="#3b6ea8"/><text x="266" y="70">72.0%</text></svg>"##;
    Figure {
        caption: "各区报送率".into(),
        svg: svg.into(),
        width: 400.0,
        height: 120.0,
    }
}

pub fn document(rows: usize) -> Document {
    let table = Table {
        caption: "各单位年报情况".into(),
        header: vec!["单位".into(), "类别".into(), "应报".into(), "报送率".into()],
        align: vec![Align::Left, Align::Left, Align::Right, Align::Right],
        rows: (0..rows)
            .map(|i| {
                vec![
                    format!("福州市第{i}商会 <A&B> #\"$*_"),
                    "乡镇商会".into(),
                    format!("{}", 10 + i),
                    "96.3%".into(),
                ]
            })
            .collect(),
        note: "χ² = 12.40，p = 0.002：差异显著。".into(),
    };
    Document {
        lang: DocLang::Zh,
        title: "鼓楼区 2025 年度商会年报数据分析报告".into(),
        subtitle: vec!["福州市鼓楼区工商联".into(), "2026 年 3 月 1 日".into()],
        blocks: vec![
            Block::Heading {
                level: 1,
                text: "总体情况".into(),
            },
            Block::Paragraph(
                "本年度应报商会 54 家，实报 52 家，报送率 96.3%，较上年提高 2.1 个百分点。\
                 Special: <tag> & \"quotes\" #hash $dollar *star* _under_ [bracket] @at \\back"
                    .into(),
            ),
            Block::Heading {
                level: 2,
                text: "报送情况".into(),
            },
            Block::Figure(svg()),
            Block::Table(table),
            Block::Heading {
                level: 1,
                text: "工作建议".into(),
            },
            Block::Bullets(vec![
                "督促未报送的 2 家商会尽快报送。".into(),
                "对党组织覆盖率低于目标的县（区）开展专项指导。".into(),
            ]),
        ],
    }
}
