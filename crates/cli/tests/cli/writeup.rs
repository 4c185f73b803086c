//! `shanghui report build` end to end: a generated registry with three years of reports, reviewed,
//! then the analysis report in all three formats. The figures the HTML states are the ones
//! `shanghui campaign status` and `shanghui indicator compute` print for the same node and year;
//! the PDF (read back by pdftotext) and the Word file (opened by LibreOffice, headless, and turned
//! into PDF) state the same. LibreOffice and pdftotext are mandatory under CI=true.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use super::shanghui;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// Whether `program` runs; under CI=true its absence fails the test.
fn available(program: &str) -> bool {
    let found = Process::new(program).arg("--version").output().is_ok();
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{program} is required under CI=true (see .ci/run)");
        }
        eprintln!("SKIPPED: {program} is not installed");
    }
    found
}

fn pdf_text(pdf: &Path) -> String {
    let out = Process::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pdftotext breaks lines where the page does: compare without them.
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

/// The visible text of the HTML, tags dropped, entities of the escaper undone, spaces removed
/// (as `pdf_text` does).
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect()
}

fn fresh() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("shanghui_cli_writeup_{}", std::process::id()));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("w.db").display());
    (dir, db)
}

/// The one file of `dir` with extension `ext`.
fn file_with(dir: &Path, ext: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{ext} files in {}: {found:?}",
        dir.display()
    );
    found.into_iter().next().unwrap()
}

#[test]
fn the_report_states_the_figures_of_the_pages_in_every_format() {
    let (dir, db) = fresh();
    shanghui(&db)
        .args(["gen", "--scale", "county", "--years", "3"])
        .assert()
        .success();
    let campaigns = stdout(&shanghui(&db).args(["campaign", "list"]).output().unwrap());
    let (campaign, year): (String, i32) = campaigns
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let id = f.next()?.to_string();
            Some((id, f.next()?.parse().ok()?))
        })
        .max_by_key(|(_, y)| *y)
        .unwrap_or_else(|| panic!("{campaigns}"));
    shanghui(&db)
        .args(["review", "run", "--campaign", &campaign])
        .assert()
        .success();

    let out_dir = dir.join("out");
    let built = shanghui(&db)
        .args(["report", "build", "--year", &year.to_string(), "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert_eq!(stdout(&built).lines().count(), 3, "{}", stdout(&built));
    let html = std::fs::read_to_string(file_with(&out_dir, "html")).unwrap();
    let html = html_text(&html);

    // The campaign page's figures for the root: expected, submitted, reporting rate.
    let status = stdout(
        &shanghui(&db)
            .args(["campaign", "status", &campaign])
            .output()
            .unwrap(),
    );
    let root: Vec<&str> = status.lines().nth(1).unwrap().split('\t').collect();
    let sentence = format!(
        "本年度应报商会{}家，实报{}家，报送率{}",
        root[1], root[2], root[3]
    );
    assert!(
        html.contains(&sentence),
        "{sentence} not in the HTML:\n{html}"
    );

    // The dashboard's value of the party-organisation rate for the root, one decimal.
    let computed = stdout(
        &shanghui(&db)
            .args([
                "indicator",
                "compute",
                "--year",
                &year.to_string(),
                "--code",
                "party_org_rate",
                "--format",
                "csv",
            ])
            .output()
            .unwrap(),
    );
    // Columns: code, name, unit ID, unit, level, numerator, denominator, value, …; the root first.
    let root_row: Vec<&str> = computed
        .lines()
        .nth(1)
        .unwrap_or_else(|| panic!("{computed}"))
        .split(',')
        .collect();
    let value: f64 = root_row[7].parse().unwrap();
    let party = format!(
        "{}{value:.1}%（{}/{}）",
        root_row[1], root_row[5], root_row[6]
    );
    assert!(html.contains(&party), "{party} not in the HTML:\n{html}");

    if !available("pdftotext") {
        return;
    }
    let pdf = pdf_text(&file_with(&out_dir, "pdf"));
    assert!(pdf.contains(&sentence), "{sentence} not in the PDF:\n{pdf}");
    for heading in [
        "目录",
        "总体情况",
        "年报报送情况",
        "覆盖率指标",
        "工作建议",
        "附录",
    ] {
        assert!(pdf.contains(heading), "{heading} not in the PDF");
    }

    if !available("soffice") {
        return;
    }
    let docx = file_with(&out_dir, "docx");
    let converted = dir.join("lo");
    let profile = dir.join("lo-profile");
    let lo = Process::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&converted)
        .arg(&docx)
        .output()
        .unwrap();
    assert!(
        lo.status.success(),
        "LibreOffice: {}",
        String::from_utf8_lossy(&lo.stderr)
    );
    let word = pdf_text(&file_with(&converted, "pdf"));
    assert!(
        word.contains(&sentence),
        "{sentence} not in the Word file:\n{word}"
    );
    for heading in ["总体情况", "年报报送情况", "工作建议"] {
        assert!(word.contains(heading), "{heading} not in the Word file");
    }
    std::fs::remove_dir_all(&dir).ok();
}
