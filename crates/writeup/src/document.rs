//! The report as one format-free document: headings, paragraphs, bullet lists, tables and
//! figures in reading order. The HTML, DOCX and PDF renderings are three views of this value,
//! so the same numbers reach every format.

use serde::Serialize;

/// The language the document is written in: it picks the caption words (表/Table, 图/Figure),
/// the table of contents' title and the fonts' language tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DocLang {
    Zh,
    En,
}

impl DocLang {
    pub fn table_word(self) -> &'static str {
        match self {
            DocLang::Zh => "表",
            DocLang::En => "Table",
        }
    }
    pub fn figure_word(self) -> &'static str {
        match self {
            DocLang::Zh => "图",
            DocLang::En => "Figure",
        }
    }
    pub fn contents_word(self) -> &'static str {
        match self {
            DocLang::Zh => "目录",
            DocLang::En => "Contents",
        }
    }
    /// BCP 47 tag for the document's metadata.
    pub fn tag(self) -> &'static str {
        match self {
            DocLang::Zh => "zh-CN",
            DocLang::En => "en",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub lang: DocLang,
    /// The title page's title, e.g. “鼓楼区 2025 年度商会年报数据分析报告”.
    pub title: String,
    /// Lines under the title: the scope, the year, who produced it and when.
    pub subtitle: Vec<String>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Serialize)]
pub enum Block {
    /// A numbered section heading: level 1 (一、), 2 or 3. Listed in the table of contents.
    Heading {
        level: u8,
        text: String,
    },
    /// A paragraph of plain text (no markup: renderers escape it).
    Paragraph(String),
    /// A bulleted list, e.g. the recommendations.
    Bullets(Vec<String>),
    Table(Table),
    Figure(Figure),
}

/// How a column's cells line up: text to the left, numbers to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Align {
    Left,
    Right,
}

/// A table with a caption (renderers number it: 表 3 …) and a header row repeated on every page.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    /// One entry per column: the header's length.
    pub align: Vec<Align>,
    /// Every row has the header's length; cells are text as shown (numbers already formatted).
    pub rows: Vec<Vec<String>>,
    /// A note under the table, e.g. the test's statistic and what it means; empty for none.
    pub note: String,
}

/// A chart as a standalone SVG document (its fonts named by family, sized in px) with a caption
/// (renderers number it: 图 2 …).
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub caption: String,
    pub svg: String,
    pub width: f64,
    pub height: f64,
}

impl Document {
    /// The headings in order, for tables of contents and tests.
    pub fn headings(&self) -> impl Iterator<Item = (u8, &str)> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Heading { level, text } => Some((*level, text.as_str())),
            _ => None,
        })
    }
}
