//! `shanghui indicator`: values for a node and its children as the store counts them, the list
//! of who misses recounting the rate, and the definitions and targets as a workbook (a round
//! trip that changes nothing, a broken workbook refused with its places and nothing saved).

use std::path::{Path, PathBuf};
use std::process::Output;

use shanghui_core::indicator::{self, DivisionLists, Indicator, Measure, Target};
use shanghui_core::{FederationLevel, Lang};
use shanghui_store::{Db, divisions, indicators};

use super::shanghui;

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A fresh folder and the URL of a database in it.
fn fresh(name: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_ind_{name}_{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("i.db").display());
    (dir, db)
}

/// A generated registry with two years of reports; the last year's.
fn generated(db: &str, scale: &str) -> i32 {
    shanghui(db)
        .args(["gen", "--scale", scale, "--years", "2"])
        .assert()
        .success();
    let campaigns = stdout(&shanghui(db).args(["campaign", "list"]).output().unwrap());
    campaigns
        .lines()
        .filter_map(|l| l.split('\t').nth(1)?.parse().ok())
        .max()
        .unwrap_or_else(|| panic!("{campaigns}"))
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn import(db: &str, file: &Path) -> Output {
    shanghui(db)
        .args(["indicator", "import"])
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn compute_prints_the_node_and_its_children_as_the_store_counts() {
    let (dir, db) = fresh("compute");
    let year = generated(&db, "province");

    // Targets: 80 for provincial federations, 90 for any other node.
    let targets = [
        Target {
            indicator: "party_org_rate".into(),
            year,
            level: Some(FederationLevel::Provincial),
            value: 80.0,
            direction: indicator::Direction::AtLeast,
        },
        Target {
            indicator: "party_org_rate".into(),
            year,
            level: None,
            value: 90.0,
            direction: indicator::Direction::AtLeast,
        },
    ];
    let file = dir.join("targets.xlsx");
    std::fs::write(
        &file,
        shanghui_files::write_indicators_xlsx(&[], &targets, Lang::ZhCn).unwrap(),
    )
    .unwrap();
    let out = import(&db, &file);
    assert!(out.status.success(), "{}", stderr(&out));

    // The province: the root's only child.
    let out = shanghui(&db)
        .args(["indicator", "compute", "--year", &year.to_string()])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let root_rows = json["indicators"][0]["rows"].as_array().unwrap();
    assert_eq!(root_rows.len(), 2, "the national root and the province");
    let province = root_rows[1]["id"].as_i64().unwrap();

    let out = shanghui(&db)
        .args(["indicator", "compute", "--year", &year.to_string()])
        .args(["--node", &province.to_string(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let raw = stdout(&out);
    let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(json["node"]["id"], province);

    // The same figures from the store.
    let url = db.clone();
    let expected = block_on(async move {
        let db = Db::connect(&url).await.unwrap();
        let inds = indicators::all(&db).await.unwrap();
        let refs: Vec<&Indicator> = inds.iter().collect();
        let items = indicators::summed_items(&refs);
        let lists = DivisionLists::new(&divisions::load_index(&db).await.unwrap());
        let data = indicators::load_year(&db, year, items.as_deref())
            .await
            .unwrap();
        let last = indicators::load_year(&db, year - 1, items.as_deref())
            .await
            .unwrap();
        let mut nodes = vec![province];
        nodes.extend(data.children(province));
        let names: Vec<String> = nodes.iter().map(|&n| data.name(n)).collect();
        let figures: Vec<(Indicator, Vec<indicator::Fraction>)> = inds
            .iter()
            .map(|ind| {
                let ci = indicators::compiled(ind, &data).unwrap();
                let f = indicators::fractions(&ci, &data, Some(&last), &lists, &nodes);
                (ind.clone(), f)
            })
            .collect();
        db.close().await;
        (nodes, names, figures)
    });
    let (nodes, names, figures) = expected;
    assert!(nodes.len() > 5, "the province has its cities: {nodes:?}");
    let printed = json["indicators"].as_array().unwrap();
    assert_eq!(printed.len(), figures.len());
    for (p, (ind, fractions)) in printed.iter().zip(&figures) {
        assert_eq!(p["code"], ind.code.as_str());
        let rows = p["rows"].as_array().unwrap();
        let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, nodes, "{}", ind.code);
        for (r, f) in rows.iter().zip(fractions) {
            assert_eq!(
                r["numerator"].as_f64(),
                Some(f.numerator),
                "{} {r}",
                ind.code
            );
            assert_eq!(
                r["denominator"].as_f64(),
                Some(f.denominator),
                "{} {r}",
                ind.code
            );
            // serde_json reads floats to within an ulp; the text printed is exact.
            match (r["value"].as_f64(), ind.value(*f)) {
                (Some(a), Some(b)) => {
                    assert!(
                        (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                        "{} {r}",
                        ind.code
                    );
                    assert!(raw.contains(&format!("\"value\": {b}")), "{} {b}", ind.code);
                }
                (a, b) => assert_eq!(a, b, "{} {r}", ind.code),
            }
        }
    }
    // Nothing is counted out of thin air: the chambers of the province are there.
    let party = &printed[0]["rows"];
    assert!(party[0]["denominator"].as_f64().unwrap() > 100.0);
    // The target of the node's level wins; the gap is what is still to gain.
    for (i, r) in party.as_array().unwrap().iter().enumerate() {
        let target = if i == 0 { 80.0 } else { 90.0 };
        assert_eq!(r["target"]["value"].as_f64(), Some(target), "{r}");
        let value = r["value"].as_f64().unwrap();
        let gap = r["gap"].as_f64().unwrap();
        assert!((gap - (target - value).max(0.0)).abs() < 1e-9, "{r}");
        assert!(r["last_value"].as_f64().is_some(), "{r}");
    }

    // As text: the node and every child, the value to one decimal.
    let out = shanghui(&db)
        .args(["indicator", "compute", "--year", &year.to_string()])
        .args(["--node", &province.to_string(), "--code", "party_org_rate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains(&names[0]), "{text}");
    assert!(lines[2].contains("party_org_rate"), "{text}");
    let body: Vec<Vec<&str>> = lines[4..].iter().map(|l| l.split('\t').collect()).collect();
    assert_eq!(body.len(), nodes.len(), "{text}");
    let (party_org_rate, fractions) = &figures[0];
    for ((row, name), f) in body.iter().zip(&names).zip(fractions) {
        assert_eq!(row[1], name, "{text}");
        assert_eq!(row[2], f.numerator.to_string(), "{text}");
        assert_eq!(row[3], f.denominator.to_string(), "{text}");
        let value = party_org_rate.value(*f).unwrap();
        assert_eq!(row[4], format!("{value:.1}%"), "{text}");
    }

    // CSV: one line per node and indicator, after the header.
    let out = shanghui(&db)
        .args(["indicator", "compute", "--year", &year.to_string()])
        .args(["--node", &province.to_string(), "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().count(),
        1 + nodes.len() * figures.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn missing_list_recounts_the_rate() {
    let (dir, db) = fresh("missing");
    let year = generated(&db, "county").to_string();

    let out = shanghui(&db)
        .args(["indicator", "compute", "--year", &year, "--format", "json"])
        .args(["--code", "party_org_rate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let root = &json["indicators"][0]["rows"][0];
    let (num, den) = (
        root["numerator"].as_f64().unwrap(),
        root["denominator"].as_f64().unwrap(),
    );
    assert!(
        den > num,
        "some chambers have no party organisation: {root}"
    );

    // Printed: a summary, a header, one line per chamber without a party organisation.
    let out = shanghui(&db)
        .args([
            "indicator",
            "missing",
            "--code",
            "party_org_rate",
            "--year",
            &year,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let listed = text.lines().count() - 2;
    assert_eq!(listed as f64, den - num, "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.contains(&format!("分子 {num}")) && first.contains(&format!("分母 {den}")),
        "{first}"
    );
    assert!(first.contains("可由名单复算"), "{first}");
    // Each listed unit names its division in full.
    for l in text.lines().skip(2) {
        let cells: Vec<&str> = l.split('\t').collect();
        assert_eq!(cells.len(), 4, "{l}");
        assert!(cells[0].parse::<i64>().is_ok(), "{l}");
        assert!(cells[3].starts_with("福建省 / "), "{l}");
    }

    // Written: the CSV's summary line, header and the same rows.
    let csv = dir.join("missing.csv");
    shanghui(&db)
        .args([
            "indicator",
            "missing",
            "--code",
            "party_org_rate",
            "--year",
            &year,
        ])
        .arg("--out")
        .arg(&csv)
        .assert()
        .success();
    let written = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(written.lines().count() - 2, listed, "{written}");
    let xlsx = dir.join("missing.xlsx");
    shanghui(&db)
        .args([
            "indicator",
            "missing",
            "--code",
            "party_org_rate",
            "--year",
            &year,
        ])
        .arg("--out")
        .arg(&xlsx)
        .assert()
        .success();
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);

    // Divisions: the county's townships without a township or street chamber.
    let county = stdout(
        &shanghui(&db)
            .args(["org", "list", "--kind", "工商联"])
            .output()
            .unwrap(),
    )
    .lines()
    .last()
    .unwrap()
    .split('\t')
    .next()
    .unwrap()
    .to_string();
    let out = shanghui(&db)
        .args([
            "indicator",
            "missing",
            "--code",
            "township_chamber_coverage",
        ])
        .args(["--year", &year, "--node", &county])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines().next().unwrap().contains("可由名单复算"),
        "{text}"
    );
    assert!(text.lines().count() > 2, "{text}");

    // A growth has no list.
    let out = shanghui(&db)
        .args([
            "indicator",
            "missing",
            "--code",
            "chamber_growth",
            "--year",
            &year,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("没有未达标名单"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

/// A staff indicator: registered chambers among chambers.
fn registered_rate() -> Indicator {
    Indicator {
        code: "registered_rate".into(),
        name_zh: "商会登记率".into(),
        name_en: "Registered chambers".into(),
        description_zh: "已登记的商会数 ÷ 商会数".into(),
        description_en: "registered chambers ÷ chambers".into(),
        numerator: Measure::Units {
            filter: "org.kind = 商会 and org.registered = 是".into(),
        },
        denominator: Some(Measure::Units {
            filter: "org.kind = 商会".into(),
        }),
        factor: 100.0,
        unit: "%".into(),
        compare: indicator::Compare::Ratio,
        builtin: false,
    }
}

fn stored(db: &str) -> (Vec<(i64, Indicator)>, Vec<Target>) {
    let url = db.to_string();
    block_on(async move {
        let db = Db::connect(&url).await.unwrap();
        let s = indicators::stored(&db).await.unwrap();
        let t = indicators::targets(&db).await.unwrap();
        db.close().await;
        (s, t)
    })
}

#[test]
fn export_then_import_changes_nothing() {
    let (dir, db) = fresh("roundtrip");
    shanghui(&db)
        .args(["gen", "--scale", "county"])
        .assert()
        .success();

    // A workbook with the built-ins, a staff indicator and two targets.
    let mut inds = indicator::builtin_indicators();
    inds.push(registered_rate());
    let targets = vec![
        Target {
            indicator: "registered_rate".into(),
            year: 2025,
            level: None,
            value: 95.0,
            direction: indicator::Direction::AtLeast,
        },
        Target {
            indicator: "township_chamber_coverage".into(),
            year: 2025,
            level: Some(FederationLevel::County),
            value: 80.0,
            direction: indicator::Direction::AtLeast,
        },
    ];
    let first = dir.join("first.xlsx");
    std::fs::write(
        &first,
        shanghui_files::write_indicators_xlsx(&inds, &targets, Lang::ZhCn).unwrap(),
    )
    .unwrap();
    let out = import(&db, &first);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("指标新增或修改 1 个") && stdout(&out).contains("目标设置 2 个"),
        "{}",
        stdout(&out)
    );
    let list = stdout(&shanghui(&db).args(["indicator", "list"]).output().unwrap());
    assert!(
        list.contains("registered_rate\t商会登记率\t自定义\t"),
        "{list}"
    );
    assert!(
        list.contains("township_chamber_coverage\t2025\t县级\t不低于\t80"),
        "{list}"
    );
    let before = stored(&db);
    assert_eq!(before.0.len(), 1);
    assert_eq!(before.1.len(), 2);

    // Export, import the export: nothing changes.
    let second = dir.join("second.xlsx");
    let out = shanghui(&db)
        .args(["indicator", "export", "--out"])
        .arg(&second)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = import(&db, &second);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("指标新增或修改 0 个，未变化 1 个")
            && said.contains("目标设置 0 个，未变化 2 个")
            && said.contains("内置指标 9 个"),
        "{said}"
    );
    assert_eq!(stored(&db), before);
    let again = stdout(&shanghui(&db).args(["indicator", "list"]).output().unwrap());
    assert_eq!(again, list);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_workbook_is_refused_with_its_places_and_saves_nothing() {
    let (dir, db) = fresh("broken");
    shanghui(&db)
        .args(["gen", "--scale", "county"])
        .assert()
        .success();

    // Row 2 is right, row 3 names a registry field that does not exist; the target is right.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("指标").unwrap();
    let header = [
        "code",
        "name::zh",
        "name::en",
        "numerator.kind",
        "numerator.filter",
        "denominator.kind",
        "denominator.filter",
    ];
    let rows = [
        [
            "registered_rate",
            "商会登记率",
            "Registered chambers",
            "units",
            "org.kind = 商会 and org.registered = 是",
            "units",
            "org.kind = 商会",
        ],
        [
            "bad_rate",
            "错误指标",
            "Broken",
            "units",
            "org.kind = 商会 and org.partyorg = 是",
            "units",
            "org.kind = 商会",
        ],
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("目标").unwrap();
    for (c, h) in ["indicator", "year", "value"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["registered_rate", "2025", "90"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let file = dir.join("broken.xlsx");
    wb.save(&file).unwrap();

    let out = import(&db, &file);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("未导入任何数据"), "{err}");
    assert!(
        err.contains("工作表“指标”第 3 行 E 列（numerator.filter）"),
        "{err}"
    );
    assert!(err.contains("org.partyorg"), "{err}");
    assert_eq!(stored(&db), (Vec::new(), Vec::new()));

    // What only the store's check finds (a report item that does not exist) and an edited
    // built-in are refused too, each named, and nothing is saved.
    let mut bad_item = registered_rate();
    bad_item.code = "members_sum".into();
    bad_item.numerator = Measure::ItemSum {
        item: "no_such_item".into(),
        filter: String::new(),
    };
    bad_item.denominator = Some(Measure::Units {
        filter: "org.kind = 商会".into(),
    });
    let mut edited = indicator::builtin_indicators().remove(0);
    edited.numerator = Measure::Units {
        filter: "org.kind = 商会".into(),
    };
    let file = dir.join("broken2.xlsx");
    std::fs::write(
        &file,
        shanghui_files::write_indicators_xlsx(
            &[registered_rate(), bad_item, edited.clone()],
            &[],
            Lang::ZhCn,
        )
        .unwrap(),
    )
    .unwrap();
    let out = import(&db, &file);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    // Checked against the template while reading: placed at its row and column.
    assert!(
        err.contains(
            "工作表“指标”第 3 行 L 列（numerator.item）“no_such_item”：未知题目 no_such_item"
        ),
        "{err}"
    );
    assert_eq!(stored(&db), (Vec::new(), Vec::new()));
    // A built-in changed in the workbook is refused by name.
    let file = dir.join("broken3.xlsx");
    std::fs::write(
        &file,
        shanghui_files::write_indicators_xlsx(&[registered_rate(), edited], &[], Lang::ZhCn)
            .unwrap(),
    )
    .unwrap();
    let out = import(&db, &file);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("内置指标“party_org_rate”不能修改"), "{err}");
    assert_eq!(stored(&db), (Vec::new(), Vec::new()));
    std::fs::remove_dir_all(&dir).ok();
}
