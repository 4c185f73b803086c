//! Spreadsheets in and out for the registry (组织体系): Excel workbooks (xlsx, xlsm, xlsb, xls,
//! ods) and CSV files (UTF-8 with or without BOM, GBK/GB18030) are read into raw
//! [`OrgInput`](shanghui_core::OrgInput) rows; registry rows are written as xlsx or CSV, and a
//! template workbook with instructions and drop-down lists is offered for filling in. Annual-report
//! templates travel as XLSForm-style workbooks (sheets `survey`, `choices`, `settings`): see
//! [`write_template_xlsx`] and [`read_template_workbook`].
//!
//! Reading never checks the values themselves: that is [`shanghui_core::org::parse_org`]'s job.
//! What is refused here is what stops a file from being read at all (the format, the size, the
//! header row, an error value in a cell), all problems at once, each pinned to its sheet, row and
//! column as Excel shows them.
//!
//! Uploaded files are hostile until proven otherwise: sizes are checked before any parser sees
//! the bytes, zip containers are inspected for bombs, the cell ranges of xls and ods files are
//! measured before calamine allocates for them, and no input makes this crate panic.
#![forbid(unsafe_code)]
// A refused file is the rare path and happens once per upload: boxing `Located` would only add
// noise to every guard.
#![allow(clippy::result_large_err)]

mod cfb;
mod csv_in;
mod dataset;
mod grid;
mod guard;
mod indicators;
mod located;
mod read;
mod report;
mod rules;
mod sav;
mod stats_tables;
mod template;
mod write;

pub use dataset::{DatasetLimits, read_csv_dataset, read_csv_dataset_large, read_dataset};
pub use guard::MAX_SHEETS;
pub use indicators::{
    INDICATORS_SHEET, TARGETS_SHEET, read_indicators_workbook, read_indicators_workbook_for,
    write_indicators_xlsx,
};
pub use located::{Located, column_letter};
pub use read::{RegistryRow, read_registry};
pub use report::{
    MAX_LISTED_PROBLEMS, ReportRow, ReportUnit, read_reports, write_reports_csv,
    write_reports_rows_xlsx, write_reports_sheets_xlsx,
};
pub use rules::{read_rules_workbook, write_rules_xlsx};
pub use sav::{
    MAX_NAME_BYTES, MAX_STRING_MISSING_BYTES, MAX_STRING_WIDTH, MAX_VALUE_LABEL_BYTES,
    MAX_VARIABLE_LABEL_BYTES, SavError, SavOptions, is_valid_name, read_sav, spss_names, write_sav,
    write_sav_with, write_sps,
};
pub use shanghui_core::Severity;
pub use stats_tables::write_stats_xlsx;
pub use template::{read_template_workbook, write_template_xlsx};
pub use write::{
    Table, neutralize, registry_template_xlsx, write_registry_csv, write_registry_xlsx,
    write_table_csv, write_table_xlsx, write_tables_xlsx,
};

/// The largest file accepted, before anything else is looked at.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The most a zip-based workbook (xlsx, ods) may unpack to, all its parts together.
pub const MAX_UNPACKED_BYTES: u64 = 200 * 1024 * 1024;
/// A part of a zip-based workbook that unpacks to more than [`ZIP_BOMB_MIN_BYTES`] with a higher
/// compression ratio than this is taken for a zip bomb. Real sheets compress 10 to 30 times.
pub const MAX_COMPRESSION_RATIO: u64 = 200;
/// See [`MAX_COMPRESSION_RATIO`].
pub const ZIP_BOMB_MIN_BYTES: u64 = 10 * 1024 * 1024;
/// The most data rows (below the header) a file may hold, all sheets together.
pub const MAX_DATA_ROWS: usize = 200_000;
/// The most columns a sheet may use.
pub const MAX_COLUMNS: usize = 200;
/// The header row is looked for among this many first non-empty rows of a sheet.
pub const HEADER_SCAN_ROWS: usize = 20;

/// What can go wrong while writing a workbook. Reading reports [`Located`] problems instead.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("cannot write the workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}
