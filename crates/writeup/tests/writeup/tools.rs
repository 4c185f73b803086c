//! External programs the tests read the outputs with.

use std::path::Path;
use std::process::Command;

/// Whether `program` runs here. Under CI=true a missing program fails the test (CI installs
/// them); elsewhere the test says it is skipped and passes.
pub fn available(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{program} is required under CI=true (see .ci/run)");
        }
        eprintln!("SKIPPED: {program} is not installed");
    }
    found
}

/// The text of a PDF file, by `pdftotext -layout` (poppler-utils).
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("pdftotext prints UTF-8")
}
