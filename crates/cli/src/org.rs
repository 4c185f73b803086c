//! `shanghui org ...`: the registry from the command line, with the same rules as the web.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;
use shanghui_core::field::Field;
use shanghui_core::org::{ChamberCategory, OrgKind};
use shanghui_core::{Lang, Msg, Scope, value};
use shanghui_files::Located;
use shanghui_store::import::{ImportError, ImportRow, import};
use shanghui_store::{Actor, Db, StoreError, divisions, orgs, registry};

#[derive(Subcommand)]
pub enum Action {
    /// Import a registry workbook or CSV (all or nothing; every problem listed).
    Import { file: PathBuf },
    /// Export the registry (or the subtree of --root) to xlsx or csv.
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        root: Option<i64>,
    },
    /// List units (of --root's subtree), tab-separated.
    List {
        #[arg(long)]
        root: Option<i64>,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        category: Option<String>,
        /// List the units that belonged to --root's tree on this date (from the membership history).
        #[arg(long, requires = "root")]
        as_of: Option<String>,
    },
    /// Show one unit with its history.
    Show { id: i64 },
    /// Move a unit (and everything below it) to another parent.
    Move {
        id: i64,
        #[arg(long)]
        to: i64,
        #[arg(long)]
        on: Option<String>,
    },
    /// Dissolve a unit.
    Dissolve {
        id: i64,
        #[arg(long)]
        on: Option<String>,
    },
}

/// The operator at the command line, as the audit log names them.
pub fn actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    Actor::system(&format!("cli:{user}"))
}

fn date(raw: Option<&str>, lang: Lang) -> Result<NaiveDate> {
    match raw {
        None => Ok(shanghui_core::value::china_date(chrono::Utc::now())),
        Some(r) => value::parse_date(r)
            .ok_or_else(|| crate::said(lang, "problem.bad_date_param", &[("value", r)])),
    }
}

/// Prints store refusals in the user's language and turns them into exit status 1.
fn refused(e: StoreError, lang: Lang) -> Result<ExitCode> {
    match e {
        StoreError::Rejected(ps) => {
            for p in ps {
                let field = p
                    .field
                    .map(|f| format!("{}: ", f.label(lang)))
                    .unwrap_or_default();
                eprintln!("{field}{}", p.render(lang));
            }
            Ok(ExitCode::from(1))
        }
        StoreError::NotFound => Err(crate::said(lang, "error.not_found", &[])),
        other => Err(other.into()),
    }
}

pub async fn run(db: &Db, action: Action, lang: Lang) -> Result<ExitCode> {
    let all = Scope::all();
    match action {
        Action::Import { file } => return import_file(db, &file, lang).await,
        Action::Export { out, root } => {
            let scope = match root {
                Some(id) => Scope::subtree(orgs::require(db, &all, id).await?.path),
                None => all.clone(),
            };
            let list = orgs::list(db, &scope, &orgs::Filter::default()).await?;
            let rows = shanghui_core::org::export_rows(&list, lang);
            let bytes = match out.extension().and_then(|e| e.to_str()) {
                Some("csv") => shanghui_files::write_registry_csv(&rows, lang),
                Some("xlsx") => shanghui_files::write_registry_xlsx(&rows, lang)?,
                _ => return Err(crate::said(lang, "cli.out_ext", &[])),
            };
            std::fs::write(&out, bytes).map_err(|e| {
                anyhow::Error::new(e)
                    .context(lang.tf("cli.cannot_write", &[("file", &out.display().to_string())]))
            })?;
            eprintln!("{} rows -> {}", rows.len(), out.display());
        }
        Action::List {
            root,
            kind,
            category,
            as_of,
        } => {
            let scope = match root {
                Some(id) => Scope::subtree(orgs::require(db, &all, id).await?.path),
                None => all.clone(),
            };
            // Lists are often piped into `head`: a closed pipe ends the listing quietly.
            let mut out = std::io::stdout().lock();
            if let (Some(root), Some(raw)) = (root, as_of) {
                let on = date(Some(&raw), lang)?;
                let members = orgs::members_on(db, &all, root, on).await?;
                // Names from one read of the records, not one query per member.
                let names: std::collections::HashMap<i64, String> =
                    orgs::list(db, &all, &orgs::Filter::default())
                        .await?
                        .into_iter()
                        .map(|o| (o.id, o.record.name))
                        .collect();
                for (id, parent) in members {
                    let name = names.get(&id).map(String::as_str).unwrap_or_default();
                    let parent = parent.map(|p| p.to_string()).unwrap_or_default();
                    if writeln!(out, "{id}\t{parent}\t{name}").is_err() {
                        break;
                    }
                }
                return Ok(ExitCode::SUCCESS);
            }
            let filter = orgs::Filter {
                kind: kind
                    .as_deref()
                    .map(|k| {
                        OrgKind::parse(k).ok_or_else(|| {
                            anyhow::anyhow!(
                                Msg::new("problem.unreadable")
                                    .with("value", k)
                                    .with_key("expected", "expected.kind")
                                    .render(lang)
                            )
                        })
                    })
                    .transpose()?,
                category: category
                    .as_deref()
                    .map(|c| {
                        ChamberCategory::parse_lenient(c).ok_or_else(|| {
                            anyhow::anyhow!(
                                Msg::new("problem.unreadable")
                                    .with("value", c)
                                    .with_key("expected", "expected.category")
                                    .render(lang)
                            )
                        })
                    })
                    .transpose()?,
                ..Default::default()
            };
            for o in orgs::list(db, &scope, &filter).await? {
                let r = &o.record;
                let line = writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    o.id,
                    o.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                    r.kind.label(lang),
                    r.name,
                    r.division_code
                        .as_ref()
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    r.status.label(lang)
                );
                if line.is_err() {
                    break;
                }
            }
        }
        Action::Show { id } => {
            let o = orgs::require(db, &all, id).await?;
            println!("{}\t{}", lang.t("common.id"), o.id);
            for (f, v) in o.record.to_input(lang) {
                println!("{}\t{v}", f.label(lang));
            }
            for l in orgs::links(db, &all, id).await? {
                let to = l.valid_to.map(|d| d.to_string()).unwrap_or_default();
                println!(
                    "{}\t{} - {to}\t{}",
                    lang.t("org.links"),
                    l.valid_from,
                    l.parent_name.unwrap_or_default()
                );
            }
            for e in orgs::history(db, &all, id).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    lang.t("org.history"),
                    e.created_at,
                    e.actor,
                    e.action,
                    e.detail
                );
            }
        }
        Action::Move { id, to, on } => {
            match registry::move_to(db, &all, id, to, date(on.as_deref(), lang)?, &actor()).await {
                Ok(o) => println!("{}\t{}", o.id, o.path),
                Err(e) => return refused(e, lang),
            }
        }
        Action::Dissolve { id, on } => {
            match registry::dissolve(db, &all, id, date(on.as_deref(), lang)?, &actor()).await {
                Ok(o) => println!("{}\t{}", o.id, o.record.status.label(lang)),
                Err(e) => return refused(e, lang),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn import_file(db: &Db, file: &PathBuf, lang: Lang) -> Result<ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::Error::new(e)
            .context(lang.tf("cli.cannot_read", &[("file", &file.display().to_string())]))
    })?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let started = std::time::Instant::now();
    let rows = match shanghui_files::read_registry(&bytes, &name) {
        Ok(rows) => rows,
        Err(located) => return Ok(report(&located, lang)),
    };
    let index = divisions::load_index(db).await?;
    let columns: BTreeSet<Field> = rows
        .iter()
        .flat_map(|r| r.columns.keys().copied())
        .collect();
    let import_rows: Vec<ImportRow> = rows
        .iter()
        .map(|r| ImportRow {
            place: lang.tf(
                "import.place",
                &[("sheet", &r.sheet), ("row", &r.row.to_string())],
            ),
            input: r.input.clone(),
        })
        .collect();
    let today = shanghui_core::value::china_date(chrono::Utc::now());
    match import(
        db,
        &Scope::all(),
        &index,
        &import_rows,
        &columns,
        today,
        &actor(),
    )
    .await
    {
        Ok(s) => {
            println!(
                "{}",
                lang.tf(
                    "import.done",
                    &[
                        ("created", &s.created.to_string()),
                        ("updated", &s.updated.to_string()),
                        ("moved", &s.moved.to_string()),
                        ("unchanged", &s.unchanged.to_string()),
                    ],
                )
            );
            eprintln!(
                "{} rows in {:.2} s",
                rows.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Rejected(ps)) => {
            let located: Vec<Located> = ps
                .iter()
                .map(|p| Located::from_problem(&rows[p.index], &p.problem))
                .collect();
            Ok(report(&located, lang))
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

fn report(located: &[Located], lang: Lang) -> ExitCode {
    eprintln!(
        "{}",
        lang.tf("import.failed", &[("count", &located.len().to_string())])
    );
    for l in located {
        eprintln!("{}", l.render(lang));
    }
    ExitCode::from(1)
}
