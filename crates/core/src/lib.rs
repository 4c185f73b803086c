//! The shanghui domain, pure: no database, no files, no network.
//!
//! Everything that crosses a boundary (a form, a spreadsheet row, a command-line argument) is parsed
//! here into a domain type, so the layers above can trust what they hold.
#![forbid(unsafe_code)]

pub mod account;
pub mod division;
pub mod field;
pub mod i18n;
pub mod indicator;
pub mod org;
pub mod problem;
pub mod rectify;
pub mod report;
pub mod review;
pub mod rules;
pub mod template;
pub mod tree;
pub mod uscc;
pub mod value;

pub use division::{Division, DivisionCode, DivisionIndex, DivisionLevel};
pub use field::Field;
pub use i18n::{Lang, Msg};
pub use org::{
    ChamberCategory, FederationLevel, OrgDraft, OrgInput, OrgKind, OrgStatus, Organization,
    PartyOrgForm,
};
pub use problem::{Problem, Severity};
pub use tree::{OrgPath, Scope};
pub use uscc::{Uscc, UsccCheck};
