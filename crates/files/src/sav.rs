//! SPSS system files (.sav) in and out, and the SPSS syntax (.sps) that goes with them.
//!
//! [`write_sav`] writes what SPSS itself writes by default: a bytecode-compressed system file
//! with the dictionary in full (long variable names, very long strings, variable and value labels,
//! user-missing values, print formats, measurement levels) and a character encoding record that
//! says UTF-8, so Chinese labels survive in every SPSS since version 16 and in PSPP.
//! [`read_sav`] reads those files and the ones SPSS and PSPP write (bytecode-compressed or not,
//! either byte order) with every structural problem located by its byte offset; no count read
//! from the file is trusted before it is checked against the bytes that remain.
//! [`write_sps`] writes the syntax that re-applies the dictionary after `GET FILE`, for the staff
//! who keep their work in syntax files.
//!
//! The layout follows the description of the format in the PSPP developers' guide (appendix
//! "System File Format"), and the tests check every part of it against PSPP 1.6.2.

mod names;
mod read;
mod sps;
mod write;

use shanghui_core::Msg;

pub use names::{MAX_NAME_BYTES, is_valid_name, spss_names};
pub use read::read_sav;
pub use sps::write_sps;
pub use write::{SavOptions, write_sav, write_sav_with};

/// SPSS's widest string variable, in bytes.
pub const MAX_STRING_WIDTH: usize = 32767;
/// Variable labels are cut to this many bytes (at a character boundary) when written.
pub const MAX_VARIABLE_LABEL_BYTES: usize = 255;
/// Value labels are cut to this many bytes (at a character boundary) when written: what SPSS
/// documents as its limit.
pub const MAX_VALUE_LABEL_BYTES: usize = 120;
/// A string variable's user-missing values may hold at most this many bytes (SPSS's rule).
pub const MAX_STRING_MISSING_BYTES: usize = 8;

/// The system-missing value as stored in a file: the most negative double.
const SYSMIS: f64 = -f64::MAX;
/// `HIGHEST` in a missing-value range.
const HIGHEST: f64 = f64::MAX;
/// `LOWEST` in a missing-value range, as SPSS before version 21 and PSPP write it (later SPSS
/// versions write [`SYSMIS`], which means the same in a range).
const LOWEST_BITS: u64 = 0xffef_ffff_ffff_fffe;

/// Why a data set cannot be written as a system file. Everything else about a data set (names
/// that are not valid SPSS names, strings longer than their declared width, labels longer than
/// SPSS allows) is fixed on the way out: see [`write_sav`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavError {
    /// Variables and columns differ in number, or columns in length.
    #[error(
        "the data set's columns are not all of the same length, or a variable lacks its column"
    )]
    Shape,
    /// A numeric variable with a column of text, or the other way round.
    #[error("variable {variable}: its column is not of its type")]
    ColumnType { variable: String },
    /// A value label or missing value of the wrong type (text for a numeric variable).
    #[error("variable {variable}: a value label or missing value is not of the variable's type")]
    ValueType { variable: String },
    /// More than three discrete missing values, a range on a string variable, a range whose
    /// ends are reversed or not numbers.
    #[error("variable {variable}: SPSS cannot represent these missing values")]
    Missing { variable: String },
    /// A string missing value longer than [`MAX_STRING_MISSING_BYTES`].
    #[error("variable {variable}: the missing value \"{value}\" is longer than 8 bytes")]
    StringMissingTooLong { variable: String, value: String },
    /// More cases or variables than a system file can count.
    #[error("too many cases or variables for a system file")]
    TooLarge,
}

impl SavError {
    /// The error in the catalogue's words, for showing to a user.
    pub fn msg(&self) -> Msg {
        match self {
            SavError::Shape => Msg::new("files.sav.write.shape"),
            SavError::ColumnType { variable } => {
                Msg::new("files.sav.write.column_type").with("variable", variable)
            }
            SavError::ValueType { variable } => {
                Msg::new("files.sav.write.value_type").with("variable", variable)
            }
            SavError::Missing { variable } => {
                Msg::new("files.sav.write.missing").with("variable", variable)
            }
            SavError::StringMissingTooLong { variable, value } => {
                Msg::new("files.sav.write.string_missing")
                    .with("variable", variable)
                    .with("value", value)
                    .with("max", MAX_STRING_MISSING_BYTES)
            }
            SavError::TooLarge => Msg::new("files.sav.write.too_large"),
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// How a string of `width` bytes is stored: as one segment, or (a very long string, wider than
/// 255 bytes) as several, each but the last 255 bytes wide. Returns the segments' widths.
fn segment_widths(width: usize) -> Vec<usize> {
    if width <= 255 {
        return vec![width.max(1)];
    }
    let n = width.div_ceil(252);
    let mut v = vec![255; n - 1];
    v.push(width - (n - 1) * 252);
    v
}

/// The 8-byte units a segment of this width takes in a case (a numeric variable: width 0).
fn octs(width: usize) -> usize {
    width.div_ceil(8).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        assert_eq!(segment_widths(0), vec![1]);
        assert_eq!(segment_widths(8), vec![8]);
        assert_eq!(segment_widths(255), vec![255]);
        assert_eq!(segment_widths(256), vec![255, 4]);
        assert_eq!(segment_widths(300), vec![255, 48]);
        assert_eq!(segment_widths(20_000).len(), 80);
        assert_eq!(segment_widths(20_000)[79], 92);
        assert_eq!(octs(0), 1);
        assert_eq!(octs(9), 2);
        assert_eq!(octs(255), 32);
    }

    #[test]
    fn cuts_at_characters() {
        assert_eq!(cut("年收入", 7), "年收");
        assert_eq!(cut("年收入", 9), "年收入");
        assert_eq!(cut("abc", 0), "");
    }
}
