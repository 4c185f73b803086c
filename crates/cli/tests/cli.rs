//! The `shanghui` binary end to end on a temporary SQLite database.

use assert_cmd::Command;

#[path = "cli/indicator.rs"]
mod indicator;
#[path = "cli/writeup.rs"]
mod writeup;

fn shanghui(db: &str) -> Command {
    let mut c = Command::cargo_bin("shanghui").unwrap();
    c.env("SHANGHUI_DATABASE_URL", db)
        .env("SHANGHUI_LANG", "zh-CN");
    c
}

#[test]
fn check_prints_one_line_per_code_and_fails_on_errors() {
    let out = shanghui("sqlite::memory:")
        .args(["check", "uscc", "91350100M000100Y43", "91350100M0001TGQXM"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0][..2], ["91350100M000100Y43", "ok"]);
    assert_eq!(lines[1][..2], ["91350100M0001TGQXM", "warning"]);

    let out = shanghui("sqlite::memory:")
        .args(["check", "uscc", "91350100M000100Y4Z"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stdout).unwrap().contains("\terror\t"));

    let out = shanghui("sqlite::memory:")
        .args(["check", "division", "350102", "999999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("350102\tok\t福建省 / 福州市 / 鼓楼区"),
        "{text}"
    );
    assert!(text.contains("999999\terror\t"), "{text}");
}

#[test]
fn gen_list_export_import_round_trip() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("t.db").display());
    shanghui(&db)
        .args(["gen", "--scale", "county"])
        .assert()
        .success();
    let out = shanghui(&db)
        .args(["org", "list", "--kind", "商会"])
        .output()
        .unwrap();
    let chambers = String::from_utf8(out.stdout).unwrap().lines().count();
    assert!((10..=40).contains(&chambers), "{chambers} chambers");

    // Export, then import the same file: every row is unchanged.
    let csv = dir.join("out.csv");
    shanghui(&db)
        .args(["org", "export", "--out", csv.to_str().unwrap()])
        .assert()
        .success();
    let out = shanghui(&db)
        .args(["org", "import", csv.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("新增 0 个") && text.contains("更新 0 个"),
        "{text}"
    );

    // A bad file: every problem listed with its place, nothing imported.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "名称,单位类型,商会类别,行政区划代码,上级单位,单位会员数\n\
         新商会甲,商会,行业,350322,仙游县工商业联合会,很多\n\
         新商会乙,商会,行业,999999,仙游县工商业联合会,5\n",
    )
    .unwrap();
    let out = shanghui(&db)
        .args(["org", "import", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("很多") && err.contains("999999"), "{err}");
    let out = shanghui(&db)
        .args(["org", "list", "--kind", "商会"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        chambers,
        "nothing imported"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn accounts_backup_and_restore() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_acc_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("t.db").display());
    // init makes the first administrator and shows its password once.
    let out = shanghui(&db).arg("init").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("admin") && text.contains("password"),
        "{text}"
    );
    shanghui(&db)
        .args(["gen", "--scale", "county"])
        .assert()
        .success();

    // A weak password is refused with the policy's words; a good one is accepted.
    let out = shanghui(&db)
        .args([
            "user",
            "add",
            "fz.staff",
            "--role",
            "fed_staff",
            "--org",
            "3",
            "--password-stdin",
        ])
        .write_stdin("short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("至少 10"));
    shanghui(&db)
        .args([
            "user",
            "add",
            "fz.staff",
            "--role",
            "fed_staff",
            "--org",
            "3",
            "--password-stdin",
        ])
        .write_stdin("Putian2026ok")
        .assert()
        .success();
    // A chamber secretariat must belong to a chamber.
    let out = shanghui(&db)
        .args([
            "user",
            "add",
            "wrong.unit",
            "--role",
            "chamber_secretary",
            "--org",
            "3",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let list = String::from_utf8(
        shanghui(&db)
            .args(["user", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        list.contains("fz.staff") && !list.contains("wrong.unit"),
        "{list}"
    );

    // Backup, change, restore: the change is gone and the backup's content is back.
    let backup = dir.join("backup.db");
    shanghui(&db)
        .args(["backup", backup.to_str().unwrap()])
        .assert()
        .success();
    shanghui(&db)
        .args(["org", "dissolve", "10"])
        .assert()
        .success();
    shanghui(&db)
        .args(["restore", backup.to_str().unwrap()])
        .assert()
        .success();
    let shown = String::from_utf8(
        shanghui(&db)
            .args(["org", "show", "10"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(shown.contains("状态\t正常"), "{shown}");
    // A file that is not a database is refused and nothing is replaced.
    let bad = dir.join("bad.db");
    std::fs::write(&bad, "not a database").unwrap();
    assert_eq!(
        shanghui(&db)
            .args(["restore", bad.to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .code(),
        Some(1)
    );
    shanghui(&db).args(["org", "show", "10"]).assert().success();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn template_export_and_check() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_tpl_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // No database is opened: a URL that cannot be opened does no harm.
    let no_db = "sqlite:///nonexistent/dir/never.db";
    let file = dir.join("模板.xlsx");
    shanghui(no_db)
        .args(["template", "export", file.to_str().unwrap(), "--lang", "en"])
        .assert()
        .success();
    let out = shanghui(no_db)
        .args(["template", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("ok\t") && text.contains("28 个题目") && text.contains("24 个统计项"),
        "{text}"
    );

    // A workbook edited by hand with mistakes: every one named with its row and column.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheets: [(&str, &[&[&str]]); 3] = [
        (
            "survey",
            &[
                &["type", "name", "label::zh", "min", "max"],
                &["integer", "members", "会员数", "0", ""],
                &["integr", "staff", "人数", "", ""],
                &["decimal", "income", "收入", "10", "1"],
            ],
        ),
        ("choices", &[&["list_name", "name", "label::zh"]]),
        (
            "settings",
            &[
                &["key", "value"],
                &["form_id", "test"],
                &["version", "1"],
                &["title::zh", "测试模板"],
            ],
        ),
    ];
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, cells) in rows.iter().enumerate() {
            for (c, v) in cells.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    let bad = dir.join("bad.xlsx");
    std::fs::write(&bad, wb.save_to_buffer().unwrap()).unwrap();
    let out = shanghui(no_db)
        .args(["template", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("第 3 行 A 列（type）"), "{err}");
    assert!(err.contains("第 4 行 E 列（max）"), "{err}");
    let out = shanghui(no_db)
        .args(["--lang", "en", "template", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("row 3, column A (type)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn campaigns_and_reports_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_rpt_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("r.db").display());
    let out = shanghui(&db)
        .args(["gen", "--scale", "county", "--years", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();

    // Two campaigns, newest first; the older one closed.
    let list = text(&shanghui(&db).args(["campaign", "list"]).output().unwrap());
    let campaigns: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(campaigns.len(), 2, "{list}");
    assert_eq!(campaigns[1][6], "已结束");
    let last = campaigns[0][0];

    // Status: the root line's expected count equals the sum of its children's.
    let status = text(
        &shanghui(&db)
            .args(["campaign", "status", last, "--missing"])
            .output()
            .unwrap(),
    );
    let lines: Vec<Vec<&str>> = status
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let root_expected: i64 = lines[0][1].parse().unwrap();
    assert!(root_expected > 5, "{status}");
    let submitted: i64 = lines[0][2].parse().unwrap();
    assert!(
        status.contains(&format!("未报送单位 {} 家", root_expected - submitted)),
        "{status}"
    );

    // Export as CSV and import it back: nothing changes the second time.
    let csv = dir.join("reports.csv");
    shanghui(&db)
        .args(["report", "export", "--campaign", last, "--out"])
        .arg(&csv)
        .assert()
        .success();
    let xlsx = dir.join("reports.xlsx");
    shanghui(&db)
        .args([
            "report",
            "export",
            "--campaign",
            last,
            "--layout",
            "sheets",
            "--out",
        ])
        .arg(&xlsx)
        .assert()
        .success();
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);
    // Units that never reported have empty rows, which the import refuses (required items):
    // keep the submitted ones, as a federation would before importing.
    let body = std::fs::read_to_string(&csv).unwrap();
    let kept: Vec<&str> = body
        .lines()
        .enumerate()
        .filter(|(i, l)| *i < 2 || l.split(',').filter(|c| !c.is_empty()).count() > 10)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&csv, kept.join("\n")).unwrap();
    let out = shanghui(&db)
        .args(["report", "import", "--campaign", last])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = text(&out);
    assert!(said.contains("新填报 0 份，更新 0 份"), "{said}");

    // A broken file: every problem listed with its row, nothing imported, exit status 1.
    let codes: Vec<&str> = kept[1].split(',').collect();
    let col = codes
        .iter()
        .position(|c| *c == "members_total")
        .expect("codes row");
    let mut cells: Vec<String> = kept[2].split(',').map(str::to_string).collect();
    cells[col] = "一百二十".into();
    let bad = cells.join(",");
    let mut broken = kept.clone();
    broken[2] = &bad;
    std::fs::write(&csv, broken.join("\n")).unwrap();
    let out = shanghui(&db)
        .args(["report", "import", "--campaign", last])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("未导入任何数据"), "{err}");
    assert!(err.contains("一百二十") && err.contains("第 3 行"), "{err}");

    // Show one unit's report with last year's values beside.
    let first_id = kept[2]
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches('\u{feff}');
    let show = text(
        &shanghui(&db)
            .args(["report", "show", "--campaign", last, first_id])
            .output()
            .unwrap(),
    );
    assert!(show.contains("members_total\t会员总数\t"), "{show}");
    assert!(show.contains("已报送"), "{show}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rules_and_review_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_rev_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("v.db").display());
    let text = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();
    let err = |o: &std::process::Output| String::from_utf8(o.stderr.clone()).unwrap();
    let out = shanghui(&db)
        .args(["gen", "--scale", "county", "--years", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", err(&out));

    // The shipped rules, exported, checked and imported back unchanged.
    let list = text(&shanghui(&db).args(["rule", "list"]).output().unwrap());
    let n = list.lines().count();
    assert!(n >= 40, "{list}");
    let xlsx = dir.join("rules.xlsx");
    shanghui(&db)
        .args(["rule", "export"])
        .arg(&xlsx)
        .assert()
        .success();
    let out = shanghui(&db)
        .args(["rule", "check"])
        .arg(&xlsx)
        .output()
        .unwrap();
    assert_eq!(text(&out).trim(), format!("ok\t{n}"));
    let out = shanghui(&db)
        .args(["rule", "import"])
        .arg(&xlsx)
        .output()
        .unwrap();
    assert!(
        text(&out).contains(&format!("新增 0 条，修改 0 条，未变化 {n} 条")),
        "{}{}",
        text(&out),
        err(&out)
    );

    // A broken rule: its place and the character position, nothing saved.
    let bad = dir.join("bad.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("rules").unwrap();
    for (c, h) in ["code", "name::zh", "severity", "expr"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in [
        "assembly_twice",
        "每年两次大会",
        "finding",
        "general_asembly >= 2",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    wb.save(&bad).unwrap();
    let out = shanghui(&db)
        .args(["rule", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = err(&out);
    assert!(
        e.contains("general_assembly") && e.contains("第 2 行"),
        "{e}"
    );
    let again = text(&shanghui(&db).args(["rule", "list"]).output().unwrap());
    assert_eq!(again.lines().count(), n, "nothing saved");

    // The review: gen ran it; running again finds nothing new; the analysis and its workbook.
    let campaigns = text(&shanghui(&db).args(["campaign", "list"]).output().unwrap());
    let last = campaigns
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let out = shanghui(&db)
        .args(["review", "run", "--campaign", &last])
        .output()
        .unwrap();
    assert!(
        text(&out).contains("新发现 0 个问题"),
        "{}{}",
        text(&out),
        err(&out)
    );
    let status = text(
        &shanghui(&db)
            .args(["review", "status", "--campaign", &last])
            .output()
            .unwrap(),
    );
    assert!(
        status.contains("== 按规则") && status.contains("== 审查结论"),
        "{status}"
    );
    let report = dir.join("review.xlsx");
    shanghui(&db)
        .args(["review", "export", "--campaign", &last, "--out"])
        .arg(&report)
        .assert()
        .success();
    assert!(std::fs::metadata(&report).unwrap().len() > 1000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rectification_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_rect_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("r.db").display());
    let text = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();
    let err = |o: &std::process::Output| String::from_utf8(o.stderr.clone()).unwrap();
    shanghui(&db)
        .args(["gen", "--scale", "province", "--years", "1"])
        .assert()
        .success();
    let campaigns = text(&shanghui(&db).args(["campaign", "list"]).output().unwrap());
    let last = campaigns
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let deadline = (chrono::Utc::now() + chrono::Duration::days(60))
        .format("%Y-%m-%d")
        .to_string();
    // Without --include-open nothing is confirmed yet, so nothing to issue.
    let out = shanghui(&db)
        .args([
            "rectify",
            "issue",
            "--campaign",
            &last,
            "--rule",
            "general_assembly",
        ])
        .args(["--measures", "按章程召开会员大会", "--deadline", &deadline])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(err(&out).contains("没有可以整改的问题"), "{}", err(&out));
    let out = shanghui(&db)
        .args([
            "rectify",
            "issue",
            "--campaign",
            &last,
            "--rule",
            "general_assembly",
            "--include-open",
        ])
        .args(["--measures", "按章程召开会员大会", "--deadline", &deadline])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", err(&out));
    let said = text(&out);
    let n: usize = said
        .split("整改通知 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(n > 10, "{said}");
    // The list has one line per notice; the figures add up.
    let list = text(
        &shanghui(&db)
            .args(["rectify", "list", "--campaign", &last, "--open"])
            .output()
            .unwrap(),
    );
    assert_eq!(list.lines().count(), n, "{list}");
    let status = text(
        &shanghui(&db)
            .args(["rectify", "status", "--campaign", &last])
            .output()
            .unwrap(),
    );
    let root: Vec<&str> = status.lines().nth(1).unwrap().split('\t').collect();
    assert_eq!(root[1], n.to_string(), "{status}");
    let children: usize = status
        .lines()
        .skip(2)
        .map(|l| l.split('\t').nth(1).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(children, n, "{status}");
    let out_file = dir.join("rectify.xlsx");
    shanghui(&db)
        .args(["rectify", "export", "--campaign", &last, "--out"])
        .arg(&out_file)
        .assert()
        .success();
    assert!(std::fs::metadata(&out_file).unwrap().len() > 1000);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn stats_on_a_file_and_on_a_campaign() {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_stats_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = |o: &std::process::Output| String::from_utf8(o.stdout.clone()).unwrap();
    let csv = dir.join("data.csv");
    std::fs::write(
        &csv,
        "x,g,y\n1,1,3\n2,1,4\n3,2,8\n4,2,9\n10,,1\n5,1,2\n6,2,7\n",
    )
    .unwrap();
    // JSON: keys by procedure, full-precision numbers.
    let out = shanghui("sqlite::memory:")
        .arg("stats")
        .arg(&csv)
        .args([
            "--descriptives",
            "x",
            "--crosstabs",
            "g*g",
            "--ttest",
            "x",
            "--groups",
            "g=1,2",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_str(&text(&out)).unwrap();
    let mean = j["descriptives"][0]["variables"][0]["mean"]
        .as_f64()
        .unwrap();
    assert!((mean - 31.0 / 7.0).abs() < 1e-12, "{mean}");
    assert!(j["crosstabs"].is_array() && j["ttest"].is_array(), "{j}");
    // Text and an xlsx workbook.
    let out = shanghui("sqlite::memory:")
        .arg("stats")
        .arg(&csv)
        .args(["--frequencies", "g"])
        .output()
        .unwrap();
    assert!(text(&out).contains("Valid Percent"), "{}", text(&out));
    let xlsx = dir.join("out.xlsx");
    shanghui("sqlite::memory:")
        .arg("stats")
        .arg(&csv)
        .args(["--frequencies", "g", "--format", "xlsx", "--out"])
        .arg(&xlsx)
        .assert()
        .success();
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1000);

    // A campaign's reports: as .sav with its .sps, read back by `stats`, and directly.
    let db = format!("sqlite://{}", dir.join("s.db").display());
    shanghui(&db)
        .args(["gen", "--scale", "county", "--years", "1"])
        .assert()
        .success();
    let sav = dir.join("reports.sav");
    shanghui(&db)
        .args(["report", "export", "--campaign", "1", "--out"])
        .arg(&sav)
        .assert()
        .success();
    let sps = std::fs::read_to_string(dir.join("reports.sps")).unwrap();
    assert!(sps.contains("是否建立党组织"), "{sps}");
    let from_sav = shanghui("sqlite::memory:")
        .arg("stats")
        .arg(&sav)
        .args(["--frequencies", "party_org", "--format", "json"])
        .output()
        .unwrap();
    let direct = shanghui(&db)
        .args([
            "stats",
            "--campaign",
            "1",
            "--frequencies",
            "party_org",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        direct.status.success(),
        "{}",
        String::from_utf8_lossy(&direct.stderr)
    );
    let a: serde_json::Value = serde_json::from_str(&text(&from_sav)).unwrap();
    let b: serde_json::Value = serde_json::from_str(&text(&direct)).unwrap();
    assert_eq!(
        a["frequencies"][0]["n_valid"],
        b["frequencies"][0]["n_valid"]
    );
    assert!(
        a["frequencies"][0]["n_valid"].as_f64().unwrap() > 5.0,
        "{a}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
