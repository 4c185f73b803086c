//! The data-analysis report (数据分析报告). `document` is the format-free report; `charts` draws
//! its figures as SVG; `html`, `docx` and `pdf` render it. The narrative comes from templates
//! (`narrative`) filled with the figures the store gathers, so nothing in the prose is fixed.

pub mod charts;
pub mod document;
pub mod error;
pub mod docx;
pub mod fonts;
pub mod html;
pub mod pdf;
pub mod png;

pub use document::{Align, Block, DocLang, Document, Figure, Table};
pub use error::WriteupError;
