//! What can go wrong while rendering a report, in the reader's language.

use shanghui_core::i18n::{Lang, Msg};

#[derive(Debug, thiserror::Error)]
pub enum WriteupError {
    /// No font with Chinese glyphs: PDF and chart pictures would show empty boxes, so they are
    /// refused rather than produced.
    #[error("no CJK font")]
    NoCjkFont,
    #[error("pdf: {0}")]
    Pdf(String),
    #[error("docx: {0}")]
    Docx(String),
    #[error("chart {caption}: {reason}")]
    Chart { caption: String, reason: String },
}

impl WriteupError {
    pub fn msg(&self) -> Msg {
        match self {
            WriteupError::NoCjkFont => Msg::new("writeup.err.no-cjk-font"),
            WriteupError::Pdf(reason) => Msg::new("writeup.err.pdf").with("reason", reason),
            WriteupError::Docx(reason) => Msg::new("writeup.err.docx").with("reason", reason),
            WriteupError::Chart { caption, reason } => Msg::new("writeup.err.chart")
                .with("caption", caption)
                .with("reason", reason),
        }
    }
    pub fn render(&self, lang: Lang) -> String {
        self.msg().render(lang)
    }
}
