//! `shanghui campaign ...` and `shanghui report ...`: a year's reporting from the command line,
//! with the same rules as the web (the store enforces them).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use shanghui_core::report::{self, percent};
use shanghui_core::{Lang, Scope, value};
use shanghui_files::{Located, ReportUnit};
use shanghui_store::campaigns::{self, NewCampaign};
use shanghui_store::reports::{self, ImportRow, UnitRef};
use shanghui_store::{Db, StoreError, orgs, templates};

use crate::org::actor;

#[derive(Subcommand)]
pub enum CampaignAction {
    /// Open a year's campaign for a federation's subtree (every active chamber is expected).
    Open {
        /// The federation's ID.
        #[arg(long)]
        org: i64,
        #[arg(long)]
        year: i32,
        /// Template version ID (default: the newest saved).
        #[arg(long)]
        template: Option<i64>,
        /// Default: 1 March of the next year.
        #[arg(long)]
        opens: Option<String>,
        /// Default: 31 May of the next year.
        #[arg(long)]
        deadline: Option<String>,
    },
    /// Close a campaign: reports can no longer be filled online.
    Close { id: i64 },
    /// List campaigns, tab-separated.
    List,
    /// Reporting and on-time rates of a node (default: the opening federation) and its children.
    Status {
        id: i64,
        #[arg(long)]
        node: Option<i64>,
        /// Also list the units that have not submitted.
        #[arg(long)]
        missing: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Layout {
    /// One row per chamber, one column per item.
    Rows,
    /// One sheet per chamber in the form's own shape.
    Sheets,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    All,
    Submitted,
    Missing,
}

#[derive(Subcommand)]
pub enum ReportAction {
    /// Import a workbook or CSV of reports into a campaign (all or nothing; every problem listed).
    Import {
        #[arg(long)]
        campaign: i64,
        file: PathBuf,
    },
    /// Export a campaign's reports, pre-filled, as xlsx (rows or sheets layout) or csv.
    Export {
        #[arg(long)]
        campaign: i64,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "rows")]
        layout: Layout,
        /// Only this node's subtree.
        #[arg(long)]
        node: Option<i64>,
        /// Which units: all expected, those that have submitted, or those that have not.
        #[arg(long, value_enum, default_value = "all")]
        only: Only,
    },
    /// Show a unit's report: every item with its value and last year's.
    Show {
        #[arg(long)]
        campaign: i64,
        org: i64,
    },
    /// Write the data-analysis report (数据分析报告) of a node and year as Word, PDF and HTML.
    Build {
        /// The unit: its ID, or the division code of a federation (default: the national root).
        #[arg(long)]
        node: Option<String>,
        #[arg(long)]
        year: i32,
        /// Comma-separated: docx, pdf, html.
        #[arg(long, default_value = "docx,pdf,html")]
        format: String,
        /// The folder to write into (default: the current one).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn date_arg(
    raw: Option<&str>,
    default: chrono::NaiveDate,
    lang: Lang,
) -> Result<chrono::NaiveDate> {
    match raw {
        None => Ok(default),
        Some(r) => value::parse_date(r)
            .ok_or_else(|| crate::said(lang, "problem.bad_date_param", &[("value", r)])),
    }
}

/// Prints the store's refusals in the user's language; exit status 1.
fn refused(e: StoreError, lang: Lang) -> Result<ExitCode> {
    match e {
        StoreError::Rejected(ps) => {
            for p in ps {
                eprintln!("{}", p.render(lang));
            }
            Ok(ExitCode::from(1))
        }
        StoreError::NotFound => Err(crate::said(lang, "error.not_found", &[])),
        other => Err(other.into()),
    }
}

pub async fn campaign(db: &Db, action: CampaignAction, lang: Lang) -> Result<ExitCode> {
    let all = Scope::all();
    match action {
        CampaignAction::Open {
            org,
            year,
            template,
            opens,
            deadline,
        } => {
            let template_id = match template {
                Some(t) => t,
                None => match templates::latest(db).await? {
                    Some(t) => t,
                    None => templates::ensure_sample(db, &actor()).await?,
                },
            };
            let (o, d) = campaigns::usual_dates(year);
            let new = NewCampaign {
                organization_id: org,
                year,
                template_id,
                opens_on: date_arg(opens.as_deref(), o, lang)?,
                deadline: date_arg(deadline.as_deref(), d, lang)?,
            };
            match campaigns::open(db, &all, &new, &actor()).await {
                Ok(opened) => crate::outln!(
                    "{}",
                    lang.tf(
                        "cli.campaign_opened",
                        &[
                            ("id", &opened.campaign.id.to_string()),
                            ("year", &year.to_string()),
                            ("expected", &opened.expected.to_string()),
                            ("skipped", &opened.skipped.to_string()),
                        ]
                    )
                ),
                Err(e) => return refused(e, lang),
            }
        }
        CampaignAction::Close { id } => {
            if let Err(e) = campaigns::close(db, &all, id, &actor()).await {
                return refused(e, lang);
            }
        }
        CampaignAction::List => {
            for c in campaigns::list(db, &all).await? {
                crate::outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    c.id,
                    c.year,
                    c.org_name,
                    c.template_id,
                    c.opens_on,
                    c.deadline,
                    c.status.label(lang)
                );
            }
        }
        CampaignAction::Status { id, node, missing } => {
            let c = campaigns::get(db, &all, id).await?;
            let node = orgs::require(db, &all, node.unwrap_or(c.organization_id)).await?;
            let r = campaigns::rates(db, &all, &c, &node).await?;
            crate::outln!("{}", lang.t("cli.rates_header"));
            let line = |name: &str, r: &report::Rates| {
                crate::outln!(
                    "{name}\t{}\t{}\t{}\t{}\t{}",
                    r.expected,
                    r.submitted,
                    percent(r.reporting_rate()),
                    r.on_time,
                    percent(r.on_time_rate())
                )
            };
            line(&node.record.name, &r.rates);
            for ch in &r.children {
                line(&format!("  {}", ch.name), &ch.rates);
            }
            if missing {
                let units = campaigns::missing(db, &all, &c, &node, i64::MAX).await?;
                let total = r.rates.missing();
                crate::outln!(
                    "{}",
                    lang.tf("cli.missing_header", &[("n", &total.to_string())])
                );
                for u in units {
                    crate::outln!(
                        "{}\t{}\t{}\t{}",
                        u.id,
                        u.name,
                        u.parent_name.unwrap_or_default(),
                        u.status
                            .map(|s| s.label(lang))
                            .unwrap_or_else(|| lang.t("report_status.not_started"))
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn report(db: &Db, action: ReportAction, lang: Lang) -> Result<ExitCode> {
    let all = Scope::all();
    match action {
        ReportAction::Import { campaign, file } => import(db, campaign, &file, lang).await,
        ReportAction::Build {
            node,
            year,
            format,
            out,
        } => crate::writeup::build(db, node.as_deref(), year, &format, out, lang).await,
        ReportAction::Export {
            campaign,
            out,
            layout,
            node,
            only,
        } => {
            let scope = match node {
                Some(id) => Scope::subtree(orgs::require(db, &all, id).await?.path),
                None => all.clone(),
            };
            let c = campaigns::get(db, &all, campaign).await?;
            if out.extension().and_then(|e| e.to_str()) == Some("sav") {
                return export_sav(db, &c, node, &out, lang).await;
            }
            let (t, units) = reports::answers_of_campaign(db, &scope, campaign).await?;
            let units: Vec<ReportUnit> = units
                .into_iter()
                .filter(|u| u.expected)
                .filter(|u| {
                    let submitted = u.status == Some(report::ReportStatus::Submitted);
                    match only {
                        Only::All => true,
                        Only::Submitted => submitted,
                        Only::Missing => !submitted,
                    }
                })
                .map(|u| ReportUnit {
                    id: u.id,
                    name: u.name,
                    uscc: u.uscc,
                    answers: u.answers,
                })
                .collect();
            let bytes = match (out.extension().and_then(|e| e.to_str()), layout) {
                (Some("csv"), _) => shanghui_files::write_reports_csv(&t, &units, lang),
                (Some("xlsx"), Layout::Rows) => {
                    shanghui_files::write_reports_rows_xlsx(&t, c.year, &units, lang)?
                }
                (Some("xlsx"), Layout::Sheets) if units.len() >= shanghui_files::MAX_SHEETS => {
                    return Err(crate::said(
                        lang,
                        "cli.sheets_too_many",
                        &[
                            ("n", &units.len().to_string()),
                            ("max", &(shanghui_files::MAX_SHEETS - 1).to_string()),
                        ],
                    ));
                }
                (Some("xlsx"), Layout::Sheets) => {
                    shanghui_files::write_reports_sheets_xlsx(&t, c.year, &units, lang)?
                }
                _ => return Err(crate::said(lang, "cli.out_ext", &[])),
            };
            std::fs::write(&out, bytes).map_err(|e| {
                anyhow::Error::new(e)
                    .context(lang.tf("cli.cannot_write", &[("file", &out.display().to_string())]))
            })?;
            eprintln!("{} -> {}", units.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        ReportAction::Show { campaign, org } => {
            let (r, t) = match reports::get(db, &all, campaign, org).await {
                Ok(x) => x,
                Err(e) => return refused(e, lang),
            };
            let prev = reports::previous_answers(db, &all, org, r.year)
                .await?
                .unwrap_or_default();
            crate::outln!(
                "{} {} {}",
                r.org_name,
                r.year,
                r.status
                    .map(|s| s.label(lang))
                    .unwrap_or_else(|| lang.t("report_status.not_started"))
            );
            for item in &t.items {
                let show = |a: &report::Answers| {
                    a.get(&item.code)
                        .map(|v| report::display(item, v, &t.choices, lang))
                        .unwrap_or_default()
                };
                crate::outln!(
                    "{}\t{}\t{}\t{}",
                    item.code,
                    item.label(lang),
                    show(&r.answers),
                    show(&prev)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The campaign's submitted reports as an SPSS data file (labels, value labels, measurement
/// levels) and, beside it, the .sps syntax that re-applies the dictionary.
async fn export_sav(
    db: &Db,
    c: &campaigns::Campaign,
    node: Option<i64>,
    out: &Path,
    lang: Lang,
) -> Result<ExitCode> {
    let all = Scope::all();
    let sel = shanghui_store::statdata::Selection {
        node: match node {
            Some(id) => Some(orgs::require(db, &all, id).await?),
            None => None,
        },
        ..Default::default()
    };
    let ds = shanghui_store::statdata::campaign_dataset(db, &all, c, &sel, lang).await?;
    let bytes =
        shanghui_files::write_sav(&ds).map_err(|e| anyhow::anyhow!("{}", e.msg().render(lang)))?;
    std::fs::write(out, bytes).map_err(|e| {
        anyhow::Error::new(e)
            .context(lang.tf("cli.cannot_write", &[("file", &out.display().to_string())]))
    })?;
    let sps = out.with_extension("sps");
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    std::fs::write(&sps, shanghui_files::write_sps(&ds, &name))?;
    eprintln!("{} -> {} + {}", ds.cases(), out.display(), sps.display());
    Ok(ExitCode::SUCCESS)
}

/// Reads the file, matches its rows to the campaign's units and imports all of them, or prints
/// every problem (with its sheet and row) and imports nothing.
async fn import(db: &Db, campaign: i64, file: &Path, lang: Lang) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let c = campaigns::get(db, &Scope::all(), campaign).await?;
    let t = templates::get(db, c.template_id).await?;
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::Error::new(e)
            .context(lang.tf("cli.cannot_read", &[("file", &file.display().to_string())]))
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let rows = match shanghui_files::read_reports(&bytes, &name, &t) {
        Ok(rows) => rows,
        Err(problems) => return print_problems(&problems, lang),
    };
    let import_rows: Vec<ImportRow> = rows
        .iter()
        .map(|r| ImportRow {
            unit: UnitRef {
                id: r.id,
                uscc: r.uscc.clone(),
                name: r.name.clone(),
            },
            answers: r.answers.clone(),
            submitted_on: r.submitted_on,
        })
        .collect();
    match reports::import(db, &Scope::all(), campaign, &import_rows, &actor()).await {
        Ok(s) => {
            crate::outln!(
                "{}",
                lang.tf(
                    "cli.reports_imported",
                    &[
                        ("created", &s.created.to_string()),
                        ("updated", &s.updated.to_string()),
                        ("unchanged", &s.unchanged.to_string()),
                        (
                            "seconds",
                            &format!("{:.1}", started.elapsed().as_secs_f64())
                        ),
                    ]
                )
            );
            // Imported reports are submitted: review them as an online submission would be.
            if s.created + s.updated > 0 {
                let r = shanghui_store::review::run(db, &Scope::all(), campaign, None, &actor())
                    .await?;
                println!(
                    "{}",
                    lang.tf(
                        "cli.review_after_import",
                        &[
                            ("reports", &r.reports.to_string()),
                            ("added", &r.added.to_string()),
                            ("seconds", &format!("{:.1}", r.total_seconds)),
                        ]
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::RejectedRows(problems)) => {
            let located: Vec<Located> = problems
                .into_iter()
                .map(|(i, msg)| Located::in_sheet(&rows[i].sheet, msg).row(rows[i].row))
                .collect();
            print_problems(&located, lang)
        }
        Err(e) => refused(e, lang),
    }
}

fn print_problems(problems: &[Located], lang: Lang) -> Result<ExitCode> {
    eprintln!(
        "{}",
        lang.tf(
            "cli.nothing_imported",
            &[("n", &problems.len().to_string())]
        )
    );
    for p in problems {
        eprintln!("{}", p.render(lang));
    }
    Ok(ExitCode::from(1))
}
