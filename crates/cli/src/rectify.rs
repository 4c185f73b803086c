//! `shanghui rectify ...`: rectification notices from the command line (issue in bulk, list,
//! figures, export), with the same rules as the web.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use shanghui_core::rectify::status_label;
use shanghui_core::{Lang, Scope, value};
use shanghui_files::Table;
use shanghui_store::rectify::{self, Filter, Issue};
use shanghui_store::{Db, StoreError, campaigns, orgs};

use crate::org::actor;

#[derive(Subcommand)]
pub enum RectifyAction {
    /// Issue notices to every unit under the node with findings (of --rule, if given) not yet
    /// in a notice: one notice per unit.
    Issue {
        #[arg(long)]
        campaign: i64,
        /// Default: the campaign's federation.
        #[arg(long)]
        node: Option<i64>,
        #[arg(long)]
        rule: Option<String>,
        /// The measures required.
        #[arg(long)]
        measures: String,
        #[arg(long)]
        deadline: String,
        /// Include findings not confirmed yet (they are confirmed by the notice).
        #[arg(long)]
        include_open: bool,
    },
    /// List notices (tab-separated), most urgent first.
    List {
        #[arg(long)]
        campaign: Option<i64>,
        #[arg(long)]
        node: Option<i64>,
        /// Only notices not closed.
        #[arg(long)]
        open: bool,
        /// Only open notices past their deadline.
        #[arg(long)]
        overdue: bool,
    },
    /// Closure rate, on-time closure, days to close, overdue: for the node and its children.
    Status {
        #[arg(long)]
        campaign: Option<i64>,
        #[arg(long)]
        node: Option<i64>,
    },
    /// The figures (by unit below, by rule, by category) and every notice as a workbook.
    Export {
        #[arg(long)]
        campaign: Option<i64>,
        #[arg(long)]
        node: Option<i64>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// The node asked for, else the campaign's federation, else the registry's first root.
async fn node_of(
    db: &Db,
    campaign: Option<i64>,
    node: Option<i64>,
) -> Result<shanghui_core::Organization> {
    let all = Scope::all();
    let id = match (node, campaign) {
        (Some(n), _) => n,
        (None, Some(c)) => campaigns::get(db, &all, c).await?.organization_id,
        (None, None) => orgs::tops(db, &all)
            .await?
            .first()
            .map(|o| o.id)
            .ok_or(StoreError::NotFound)?,
    };
    Ok(orgs::require(db, &all, id).await?)
}

pub async fn run(db: &Db, action: RectifyAction, lang: Lang) -> Result<ExitCode> {
    let all = Scope::all();
    match action {
        RectifyAction::Issue {
            campaign,
            node,
            rule,
            measures,
            deadline,
            include_open,
        } => {
            let deadline = value::parse_date(&deadline).ok_or_else(|| {
                crate::said(lang, "problem.bad_date_param", &[("value", &deadline)])
            })?;
            let node = node_of(db, Some(campaign), node).await?;
            let started = std::time::Instant::now();
            let what = Issue {
                measures,
                deadline,
                include_open,
            };
            match rectify::issue_bulk(db, &all, campaign, &node, rule.as_deref(), &what, &actor())
                .await
            {
                Ok(n) => println!(
                    "{}",
                    lang.tf(
                        "cli.notices_issued",
                        &[
                            ("n", &n.to_string()),
                            (
                                "seconds",
                                &format!("{:.1}", started.elapsed().as_secs_f64())
                            ),
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
        RectifyAction::List {
            campaign,
            node,
            open,
            overdue,
        } => {
            let node = node_of(db, campaign, node).await?;
            let scope = Scope::subtree(node.path.clone());
            let today = value::china_date(chrono::Utc::now());
            let f = Filter {
                campaign_id: campaign,
                open,
                overdue,
                limit: i64::MAX,
                ..Default::default()
            };
            for n in rectify::list(db, &scope, &f).await? {
                crate::outln!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    n.notice_id,
                    n.org_name,
                    n.year,
                    n.deadline,
                    status_label(n.status(), n.overdue(today), lang),
                    n.open_items
                );
            }
        }
        RectifyAction::Status { campaign, node } => {
            for t in tables(db, campaign, node, lang).await?.into_iter().take(1) {
                crate::outln!("{}", t.header.join("\t"));
                for r in t.rows {
                    crate::outln!("{}", r.join("\t"));
                }
            }
        }
        RectifyAction::Export {
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

/// The figures as tables (the node and its children, by rule, by category, then every notice):
/// the web's export builds the same, from the same function.
async fn tables(
    db: &Db,
    campaign: Option<i64>,
    node: Option<i64>,
    lang: Lang,
) -> Result<Vec<Table>> {
    let node = node_of(db, campaign, node).await?;
    Ok(shanghui_web::rectify_tables(db, &Scope::all(), &node, campaign, lang).await?)
}
