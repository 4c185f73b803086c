//! 读取 70,000 行年报表格的耗时。How long reading a layout (a) workbook of 70,000 chambers takes:
//! the import budget is 10 s with the database, of which reading must take well under 6 s.
//!
//! `cargo run --release -p shanghui-files --example report_read_bench [units [dir]]`: with a
//! directory, the workbooks (and one of five units a sheet) are also saved there to look at.

use std::collections::BTreeMap;
use std::time::Instant;

use shanghui_core::Lang;
use shanghui_core::template::sample;
use shanghui_files::{
    ReportUnit, read_reports, write_reports_csv, write_reports_rows_xlsx, write_reports_sheets_xlsx,
};

fn main() {
    let units: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(70_000);
    let t = sample();
    let filled = |k: i64| -> BTreeMap<String, String> {
        [
            ("uscc", format!("9135{k:010}MA0X")),
            (
                "category",
                ["行业", "异地", "乡镇", "市场"][(k % 4) as usize].into(),
            ),
            ("registered", "是".into()),
            ("members_total", (100 + k % 50).to_string()),
            ("members_unit", (80 + k % 50).to_string()),
            ("members_individual", "20".into()),
            ("council_size", "30".into()),
            ("staff_fulltime", (k % 5).to_string()),
            ("party_org", if k % 3 == 0 { "否" } else { "是" }.into()),
            (
                "party_org_form",
                if k % 3 == 0 { "未建立" } else { "党支部" }.into(),
            ),
            ("party_org_reason", "党员人数不足".into()),
            ("party_instructor", "是".into()),
            ("party_members", (k % 7).to_string()),
            ("party_in_charter", "是".into()),
            ("political_study", "4".into()),
            ("general_assembly", "1".into()),
            ("council_meetings", "2".into()),
            ("last_reelection", format!("20{:02}-05-03", 15 + k % 10)),
            ("finance_rules", "是".into()),
            ("audited", "否".into()),
            ("income_total", format!("{}.{}", 10 + k % 90, k % 10)),
            ("expense_total", "10.1".into()),
            ("dues_income", "8".into()),
            ("service_events", "6".into()),
            ("charity_amount", "0".into()),
            (
                "prior_inspection",
                if k % 10 == 0 {
                    "基本合格"
                } else {
                    "合格"
                }
                .into(),
            ),
            ("rectification_report", "已整改".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };
    let list: Vec<ReportUnit> = (1..=units)
        .map(|k| {
            let (answers, problems) = t.read(&filled(k));
            assert!(problems.is_empty(), "{problems:?}");
            ReportUnit {
                id: k,
                name: format!("福州市第{k}商会"),
                uscc: Some(format!("9135{k:010}MA0X")),
                answers,
            }
        })
        .collect();
    let columns = 3 + t.items.len() - 1;

    let started = Instant::now();
    let xlsx = write_reports_rows_xlsx(&t, 2024, &list, Lang::ZhCn).unwrap();
    let wrote = started.elapsed();
    let started = Instant::now();
    let rows = read_reports(&xlsx, "年报.xlsx", &t).unwrap_or_else(|p| panic!("{:?}", &p[..3]));
    let read = started.elapsed();
    assert_eq!(rows.len(), list.len());
    println!(
        "xlsx: {units} units x {columns} columns, {:.1} MB: written in {:.2} s, read in {:.2} s",
        xlsx.len() as f64 / 1e6,
        wrote.as_secs_f64(),
        read.as_secs_f64()
    );

    let csv = write_reports_csv(&t, &list, Lang::ZhCn);
    let started = Instant::now();
    let rows = read_reports(&csv, "年报.csv", &t).unwrap_or_else(|p| panic!("{:?}", &p[..3]));
    assert_eq!(rows.len(), list.len());
    println!(
        "csv:  {:.1} MB read in {:.2} s",
        csv.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    if let Some(dir) = std::env::args().nth(2) {
        let dir = std::path::Path::new(&dir);
        let sheets =
            write_reports_sheets_xlsx(&t, 2024, &list[..5.min(list.len())], Lang::ZhCn).unwrap();
        for (name, bytes) in [
            ("reports-rows.xlsx", &xlsx),
            ("reports.csv", &csv),
            ("reports-sheets.xlsx", &sheets),
        ] {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}
