//! `shanghui rule ...` and `shanghui review ...`: review rules and the review of a campaign from
//! the command line, with the same checks as the web (the store enforces them).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use shanghui_core::{Lang, Scope};
use shanghui_files::{Located, Table};
use shanghui_store::{Db, StoreError, review, rulesets, templates};

use crate::org::actor;

#[derive(Subcommand)]
pub enum RuleAction {
    /// Check a rule workbook against the template (parse and type errors with their places);
    /// nothing is saved.
    Check {
        file: PathBuf,
        /// Template version ID (default: the newest).
        #[arg(long)]
        template: Option<i64>,
    },
    /// List the current rules of a template form, tab-separated.
    List {
        #[arg(long)]
        template: Option<i64>,
    },
    /// Save the rules of a workbook (all checked first; unchanged rules are kept as they are).
    Import {
        file: PathBuf,
        #[arg(long)]
        template: Option<i64>,
    },
    /// Write the current rules as a workbook to edit in Excel.
    Export {
        file: PathBuf,
        #[arg(long)]
        template: Option<i64>,
    },
}

#[derive(Subcommand)]
pub enum ReviewAction {
    /// Run the current rules over the campaign's submitted reports.
    Run {
        #[arg(long)]
        campaign: i64,
        /// Only this unit's report.
        #[arg(long)]
        org: Option<i64>,
    },
    /// Which rules fail most, by unit below the node, and the conclusions.
    Status {
        #[arg(long)]
        campaign: i64,
        #[arg(long)]
        node: Option<i64>,
    },
    /// Write the analysis and every finding as a workbook.
    Export {
        #[arg(long)]
        campaign: i64,
        #[arg(long)]
        node: Option<i64>,
        #[arg(long)]
        out: PathBuf,
    },
}

async fn template_of(db: &Db, id: Option<i64>) -> Result<(i64, shanghui_core::template::Template)> {
    let id = match id {
        Some(id) => id,
        None => match templates::latest(db).await? {
            Some(id) => id,
            None => templates::ensure_sample(db, &actor()).await?,
        },
    };
    Ok((id, templates::get(db, id).await?))
}

fn print_located(problems: &[Located], lang: Lang) -> ExitCode {
    for p in problems {
        eprintln!("{}", p.render(lang));
    }
    ExitCode::from(1)
}

fn read_file(file: &Path, lang: Lang) -> Result<(Vec<u8>, String)> {
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::Error::new(e)
            .context(lang.tf("cli.cannot_read", &[("file", &file.display().to_string())]))
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    Ok((bytes, name))
}

pub async fn rule(db: &Db, action: RuleAction, lang: Lang) -> Result<ExitCode> {
    match action {
        RuleAction::Check { file, template } => {
            let (_, t) = template_of(db, template).await?;
            let (bytes, name) = read_file(&file, lang)?;
            match shanghui_files::read_rules_workbook(&bytes, &name, &t) {
                Ok(rules) => println!("ok\t{}", rules.len()),
                Err(p) => return Ok(print_located(&p, lang)),
            }
        }
        RuleAction::List { template } => {
            let (_, t) = template_of(db, template).await?;
            for r in rulesets::current(db, &t.form_id).await? {
                crate::outln!(
                    "{}\tv{}\t{}\t{}\t{}",
                    r.rule.code,
                    r.version,
                    r.rule.severity.label(lang),
                    r.rule.name(lang),
                    r.rule.expr
                );
            }
        }
        RuleAction::Import { file, template } => {
            let (_, t) = template_of(db, template).await?;
            let (bytes, name) = read_file(&file, lang)?;
            let set = match shanghui_files::read_rules_workbook(&bytes, &name, &t) {
                Ok(rules) => rules,
                Err(p) => return Ok(print_located(&p, lang)),
            };
            match rulesets::save_all(db, &t.form_id, &set, &t, &actor()).await {
                Ok((new, changed, same)) => println!(
                    "{}",
                    lang.tf(
                        "cli.rules_saved",
                        &[
                            ("new", &new.to_string()),
                            ("changed", &changed.to_string()),
                            ("same", &same.to_string()),
                        ]
                    )
                ),
                Err(StoreError::Rejected(ps)) => {
                    for p in ps {
                        eprintln!("{}", p.render(lang));
                    }
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(e.into()),
            }
        }
        RuleAction::Export { file, template } => {
            let (_, t) = template_of(db, template).await?;
            let set: Vec<_> = rulesets::current(db, &t.form_id)
                .await?
                .into_iter()
                .map(|r| r.rule)
                .collect();
            let bytes = shanghui_files::write_rules_xlsx(&set, &t, lang)?;
            std::fs::write(&file, bytes).map_err(|e| {
                anyhow::Error::new(e)
                    .context(lang.tf("cli.cannot_write", &[("file", &file.display().to_string())]))
            })?;
            eprintln!("{} -> {}", set.len(), file.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn review(db: &Db, action: ReviewAction, lang: Lang) -> Result<ExitCode> {
    let all = Scope::all();
    match action {
        ReviewAction::Run { campaign, org } => {
            let s = review::run(db, &all, campaign, org, &actor()).await?;
            println!(
                "{}",
                lang.tf(
                    "cli.review_run",
                    &[
                        ("reports", &s.reports.to_string()),
                        ("rules", &s.rules.to_string()),
                        ("evaluations", &s.evaluations.to_string()),
                        ("added", &s.added.to_string()),
                        ("kept", &s.kept.to_string()),
                        ("closed", &s.closed.to_string()),
                        ("compute", &format!("{:.2}", s.compute_seconds)),
                        ("total", &format!("{:.2}", s.total_seconds)),
                    ]
                )
            );
            for code in &s.skipped_rules {
                eprintln!("{}", lang.tf("cli.rule_skipped", &[("code", code)]));
            }
        }
        ReviewAction::Status { campaign, node } => {
            for t in tables(db, campaign, node, lang).await? {
                crate::outln!("== {}", t.sheet);
                crate::outln!("{}", t.header.join("\t"));
                for r in t.rows.iter().take(50) {
                    crate::outln!("{}", r.join("\t"));
                }
            }
        }
        ReviewAction::Export {
            campaign,
            node,
            out,
        } => {
            let tables = tables(db, campaign, node, lang).await?;
            let bytes = shanghui_files::write_tables_xlsx(&tables)?;
            std::fs::write(&out, bytes).map_err(|e| {
                anyhow::Error::new(e)
                    .context(lang.tf("cli.cannot_write", &[("file", &out.display().to_string())]))
            })?;
            eprintln!("-> {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The analysis as tables: by rule (with last year and the change), by unit below, by category,
/// the units with problems, the conclusions, by item. Built by the web's problem analysis, so the
/// page, its export and this command give the same numbers.
async fn tables(db: &Db, campaign: i64, node: Option<i64>, lang: Lang) -> Result<Vec<Table>> {
    Ok(shanghui_web::review_tables(db, &Scope::all(), campaign, node, lang).await?)
}
