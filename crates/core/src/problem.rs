//! A problem found while reading input: which field, how serious, and the message to show.

use crate::field::Field;
use crate::i18n::{Lang, Msg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Severity {
    /// Stops the save. An authorised user can accept a warning by giving a reason; see
    /// [`crate::org::OrgDraft`] for the one warning the registry has (a failed USCC check).
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub field: Option<Field>,
    pub severity: Severity,
    pub msg: Msg,
}

impl Problem {
    pub fn error(field: Field, msg: Msg) -> Self {
        Problem {
            field: Some(field),
            severity: Severity::Error,
            msg,
        }
    }
    pub fn warning(field: Field, msg: Msg) -> Self {
        Problem {
            field: Some(field),
            severity: Severity::Warning,
            msg,
        }
    }
    pub fn general(msg: Msg) -> Self {
        Problem {
            field: None,
            severity: Severity::Error,
            msg,
        }
    }
    pub fn render(&self, lang: Lang) -> String {
        self.msg.render(lang)
    }
}
