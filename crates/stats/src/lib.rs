//! Statistics as SPSS computes them, on any data set: the procedures federation staff run in
//! SPSS today (FREQUENCIES, DESCRIPTIVES, CROSSTABS, CORRELATIONS, RELIABILITY, T-TEST, ONEWAY,
//! MEANS), with SPSS's treatment of system-missing and user-missing values. Pure: the data set
//! comes in, results go out as structs of full-precision numbers (serialisable), and as
//! [`table::Table`]s for rendering. Every number is checked against PSPP 1.6.2 and scipy in the
//! tests.
#![forbid(unsafe_code)]

pub mod data;
pub mod dist;
pub mod table;

// FREQUENCIES, DESCRIPTIVES, MEANS, CORRELATIONS, RELIABILITY and their shared helpers.
pub mod corr;
pub mod desc;
pub mod freq;
pub mod means;
pub mod reliability;
mod univar;

// CROSSTABS, T-TEST, ONEWAY and the studentized range distribution for Tukey's HSD.
pub mod crosstabs;
pub mod oneway;
pub mod ptukey;
pub mod ttest;

pub use data::{Column, Dataset, Measure, MissingSpec, Value, VarKind, Variable};
