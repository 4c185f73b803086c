//! 年报工作簿：工作人员从 Excel 批量导入各商会的年报（issue 4，第 4 部分）。
//! Annual-report workbooks: federation staff batch-import chambers' annual reports from Excel.
//!
//! Two layouts, both written pre-filled from the registry and both read back:
//!
//! - (a) 每行一个单位 — one row per chamber, one column per item: a header row of labels, a row
//!   of item codes below it, and optionally a row of section headings above it (merged across
//!   each section's columns). Suits thousands of chambers at once; also written as CSV.
//! - (b) 每个单位一个工作表 — one sheet per chamber in the form's own shape: the unit as label–value
//!   pairs on top, then 序号 | 项目 | 代码 | 填报内容 | 填写说明 grouped under section headings.
//!   Suits a few chambers whose staff fill the form as it looks on paper.
//!
//! The reader finds the layout of each sheet by itself and sends every value through
//! [`Template::read`](shanghui_core::template::Template::read), so a report imported from a
//! workbook is checked exactly as one typed into the web form. It is all or nothing: one problem
//! anywhere and no row is returned, with every problem pinned to its sheet, row and column.

mod columns;
mod read;
mod write;

pub use read::{MAX_LISTED_PROBLEMS, ReportRow, read_reports};
pub use write::{
    ReportUnit, write_reports_csv, write_reports_rows_xlsx, write_reports_sheets_xlsx,
};

#[cfg(test)]
mod tests {
    use shanghui_core::Lang;

    /// Every `files.rpt.` key the module uses is in both catalogues.
    #[test]
    fn catalogue_keys_exist() {
        let sources = [
            include_str!("report/columns.rs"),
            include_str!("report/read.rs"),
            include_str!("report/write.rs"),
        ];
        let mut used = Vec::new();
        for src in sources {
            for (i, _) in src.match_indices("\"files.rpt.") {
                let rest = &src[i + 1..];
                let end = rest.find('"').unwrap_or(rest.len());
                used.push(&rest[..end]);
            }
        }
        assert!(used.len() > 40, "{used:?}");
        for lang in Lang::ALL {
            let keys = shanghui_core::i18n::keys(lang);
            for k in &used {
                assert!(keys.contains(k), "{k} missing in {lang:?}");
            }
        }
    }
}
