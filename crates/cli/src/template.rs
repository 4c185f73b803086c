//! `shanghui template export|check`: annual-report templates as XLSForm-style workbooks, with no
//! database.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use shanghui_core::Lang;
use shanghui_core::template::{Template, sample};

#[derive(Subcommand)]
pub enum Action {
    /// Write the sample annual-report template as an xlsx workbook (sheets survey, choices,
    /// settings; instructions in the language given by --lang).
    Export { file: PathBuf },
    /// Check a template workbook (xlsx, xls, ods): prints `ok` with the item counts, or every
    /// problem with its sheet, row and column on stderr and exits with status 1.
    Check { file: PathBuf },
}

pub fn run(action: Action, lang: Lang) -> Result<ExitCode> {
    match action {
        Action::Export { file } => {
            let bytes = shanghui_files::write_template_xlsx(&sample(), lang)?;
            std::fs::write(&file, bytes).map_err(|e| {
                anyhow::Error::new(e)
                    .context(lang.tf("cli.cannot_write", &[("file", &file.display().to_string())]))
            })?;
            eprintln!(
                "{}",
                lang.tf(
                    "files.tpl.exported",
                    &[("file", &file.display().to_string())]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Action::Check { file } => {
            let bytes = std::fs::read(&file).map_err(|e| {
                anyhow::Error::new(e)
                    .context(lang.tf("cli.cannot_read", &[("file", &file.display().to_string())]))
            })?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            match shanghui_files::read_template_workbook(&bytes, name) {
                Ok(t) => {
                    println!("ok\t{}", summary(&t, lang));
                    Ok(ExitCode::SUCCESS)
                }
                Err(problems) => {
                    eprintln!(
                        "{}",
                        lang.tf(
                            "files.tpl.check_failed",
                            &[("count", &problems.len().to_string())]
                        )
                    );
                    for p in &problems {
                        eprintln!("{}", p.render(lang));
                    }
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}

fn summary(t: &Template, lang: Lang) -> String {
    let lists: BTreeSet<&str> = t.choices.iter().map(|c| c.list.as_str()).collect();
    let title = match lang {
        Lang::ZhCn => &t.title_zh,
        Lang::En => &t.title_en,
    };
    lang.tf(
        "files.tpl.check_ok",
        &[
            ("title", title),
            ("form_id", &t.form_id),
            ("version", &t.version.to_string()),
            ("items", &t.items.len().to_string()),
            (
                "counted",
                &t.items
                    .iter()
                    .filter(|i| i.counted.is_some())
                    .count()
                    .to_string(),
            ),
            ("lists", &lists.len().to_string()),
            ("choices", &t.choices.len().to_string()),
        ],
    )
}
