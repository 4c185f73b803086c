//! The data-analysis report (数据分析报告). `facts` gathers the figures for a node and year from
//! the store; `narrative` writes the prose from templates staff can edit; `compose` lays both
//! out as one format-free `document` with `charts`; `html`, `docx` and `pdf` render it.

pub mod charts;
pub mod compose;
pub mod document;
pub mod docx;
pub mod error;
pub mod facts;
pub mod fonts;
pub mod html;
pub mod narrative;
pub mod pdf;
pub mod png;

pub use document::{Align, Block, DocLang, Document, Figure, Table};
pub use error::WriteupError;

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Format {
    Html,
    Docx,
    Pdf,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Docx, Format::Pdf, Format::Html];

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "html" | "htm" => Some(Format::Html),
            "docx" | "word" => Some(Format::Docx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
        }
    }
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
        }
    }
}

/// `doc` in `format`.
pub fn render(doc: &Document, format: Format) -> Result<Vec<u8>, WriteupError> {
    match format {
        Format::Html => Ok(html::render(doc).into_bytes()),
        Format::Docx => docx::render(doc),
        Format::Pdf => pdf::render(doc),
    }
}

/// `doc` in each of `formats`, side by side on threads of their own (Word's charts and Typst's
/// layout each take a core), in the order asked.
pub fn render_all(doc: &Document, formats: &[Format]) -> Vec<Result<Vec<u8>, WriteupError>> {
    std::thread::scope(|s| {
        let running: Vec<_> = formats
            .iter()
            .map(|f| s.spawn(move || render(doc, *f)))
            .collect();
        running
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(WriteupError::Pdf("rendering panicked".into())))
            })
            .collect()
    })
}

/// A file name for the report of `node` in `year`: the node's name kept (Chinese included),
/// characters file systems refuse replaced.
pub fn file_name(node: &str, year: i32, lang: shanghui_core::Lang, format: Format) -> String {
    let clean: String = node
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let what = lang.t("writeup.file_name");
    format!("{clean}-{year}-{what}.{}", format.extension())
}
