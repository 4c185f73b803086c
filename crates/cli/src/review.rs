//! `shanghui rule ...` and `shanghui review ...`: review rules and the review of a campaign from
//! the command line, with the same checks as the web (the store enforces them).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use shanghui_core::report::percent;
use shanghui_core::review::Trigger;
use shanghui_core::{Lang, Scope};
use shanghui_files::{Located, Table};
use shanghui_store::{Db, StoreError, analysis, campaigns, orgs, review, rulesets, templates};

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

/// The analysis as tables: by rule (with last year), by unit below, by category, the units with
/// problems, the conclusions.
async fn tables(db: &Db, campaign: i64, node: Option<i64>, lang: Lang) -> Result<Vec<Table>> {
    let all = Scope::all();
    let c = campaigns::get(db, &all, campaign).await?;
    let node = orgs::require(db, &all, node.unwrap_or(c.organization_id)).await?;
    let t = templates::get(db, c.template_id).await?;
    let rules = rulesets::current(db, &t.form_id).await?;
    let submitted = campaigns::rates(db, &all, &c, &node).await?.rates.submitted;
    let h = |keys: &[&str]| {
        keys.iter()
            .map(|k| lang.t(k).to_string())
            .collect::<Vec<_>>()
    };
    let share = |n: i64, of: i64| percent((of > 0).then(|| n as f64 / of as f64));

    let by_rule = analysis::by_rule(db, &all, &c, &node).await?;
    let rule_rows = by_rule
        .iter()
        .map(|r| {
            let name = match (&r.rule_code, &r.trigger) {
                (Some(code), _) => rules
                    .iter()
                    .find(|s| &s.rule.code == code)
                    .map(|s| s.rule.name(lang).to_string())
                    .unwrap_or_else(|| code.clone()),
                (None, Some(tr)) => Trigger::find(tr)
                    .map(|t| t.label(lang).to_string())
                    .unwrap_or_else(|| tr.clone()),
                _ => String::new(),
            };
            vec![
                r.rule_code
                    .clone()
                    .or(r.trigger.clone())
                    .unwrap_or_default(),
                name,
                r.severity.label(lang).to_string(),
                r.reports.to_string(),
                share(r.reports, submitted),
                r.last_year.map(|n| n.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let part_rows = |parts: Vec<analysis::PartCount>, by_category: bool| -> Vec<Vec<String>> {
        parts
            .into_iter()
            .map(|p| {
                let name = if by_category {
                    p.category
                        .map(|c| c.label(lang).to_string())
                        .unwrap_or_else(|| lang.t("review.no_category").to_string())
                } else {
                    p.name.clone()
                };
                vec![
                    name,
                    p.submitted.to_string(),
                    p.with_problems.to_string(),
                    percent(p.share()),
                    p.findings.to_string(),
                ]
            })
            .collect()
    };
    let by_child = part_rows(analysis::by_child(db, &all, &c, &node).await?, false);
    let by_category = part_rows(analysis::by_category(db, &all, &c, &node).await?, true);
    let units = analysis::units(db, &all, &c, &node, i64::MAX)
        .await?
        .into_iter()
        .map(|u| {
            vec![
                u.id.to_string(),
                u.name,
                u.findings.to_string(),
                u.codes,
                u.conclusion
                    .map(|c| c.label(lang).to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    let conclusions = analysis::conclusions(db, &all, &c, &node)
        .await?
        .into_iter()
        .map(|(c, n)| {
            vec![
                c.map(|c| c.label(lang).to_string())
                    .unwrap_or_else(|| lang.t("review.not_concluded").to_string()),
                n.to_string(),
                share(n, submitted),
            ]
        })
        .collect();
    let part_header = h(&[
        "review.col_part",
        "review.col_submitted",
        "review.col_with_problems",
        "review.col_share",
        "review.col_findings",
    ]);
    Ok(vec![
        Table {
            sheet: lang.t("review.sheet_rules").to_string(),
            header: h(&[
                "review.col_code",
                "review.col_rule",
                "review.col_severity",
                "review.col_reports",
                "review.col_share",
                "review.col_last_year",
            ]),
            rows: rule_rows,
        },
        Table {
            sheet: lang.t("review.sheet_children").to_string(),
            header: part_header.clone(),
            rows: by_child,
        },
        Table {
            sheet: lang.t("review.sheet_categories").to_string(),
            header: part_header,
            rows: by_category,
        },
        Table {
            sheet: lang.t("review.sheet_units").to_string(),
            header: h(&[
                "common.id",
                "field.name",
                "review.col_findings",
                "review.col_codes",
                "review.col_conclusion",
            ]),
            rows: units,
        },
        Table {
            sheet: lang.t("review.sheet_conclusions").to_string(),
            header: h(&[
                "review.col_conclusion",
                "review.col_reports",
                "review.col_share",
            ]),
            rows: conclusions,
        },
    ])
}
