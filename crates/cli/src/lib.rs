//! The `shanghui` command. Each subcommand parses its arguments, calls the libraries and prints;
//! the web and the command line share every rule.
#![forbid(unsafe_code)]

/// `println!` for listings: when the reader goes away (`shanghui org list | head`), stop quietly
/// instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}
pub(crate) use outln;

mod campaign;
mod check;
mod indicator;
mod org;
mod rectify;
mod review;
mod stats;
mod template;
mod user;
mod writeup;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Parser, Subcommand};
use shanghui_core::account::Role;
use shanghui_core::{Lang, Scope};
use shanghui_store::{Actor, Db, divisions, orgs, registry};
use shanghui_synth::Scale;

#[derive(Parser)]
#[command(
    name = "shanghui",
    version,
    about = "商会通：工商联组织建设工作平台 / platform for federations of industry and commerce"
)]
pub struct Cli {
    /// Database: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "SHANGHUI_DATABASE_URL",
        default_value = "sqlite://shanghui.db"
    )]
    database: String,
    /// Language of messages: zh-CN or en.
    #[arg(long, global = true, env = "SHANGHUI_LANG", default_value = "zh-CN")]
    lang: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or upgrade the database and load the administrative divisions.
    Init,
    /// Run the web server.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Mark the session cookie Secure: set this when users reach the site over HTTPS.
        #[arg(long, env = "SHANGHUI_SECURE_COOKIES")]
        secure_cookies: bool,
    },
    /// Create a demo database with a realistic province (if empty) and serve it.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
    },
    /// Check codes: one line per code (code, tab, ok|warning|error, tab, reason); exit 1 on any error.
    Check {
        #[command(subcommand)]
        what: check::What,
    },
    /// The organisation registry.
    Org {
        #[command(subcommand)]
        action: org::Action,
    },
    /// Accounts.
    User {
        #[command(subcommand)]
        action: user::Action,
    },
    /// Copy a SQLite database while it is in use (for PostgreSQL use pg_dump; see docs/OPERATIONS.md).
    Backup { file: std::path::PathBuf },
    /// Replace the SQLite database with a backup (stop the server first).
    Restore { file: std::path::PathBuf },
    /// Annual-report templates as XLSForm-style workbooks (no database needed).
    Template {
        #[command(subcommand)]
        action: template::Action,
    },
    /// Annual-report campaigns (年报工作): open, close, list, reporting rates.
    Campaign {
        #[command(subcommand)]
        action: campaign::CampaignAction,
    },
    /// Annual reports: import from Excel or CSV, export pre-filled, show one.
    Report {
        #[command(subcommand)]
        action: campaign::ReportAction,
    },
    /// Review rules (逐项审查规则): check, list, import and export as workbooks.
    Rule {
        #[command(subcommand)]
        action: review::RuleAction,
    },
    /// Review of a campaign: run the rules, the analysis, export.
    Review {
        #[command(subcommand)]
        action: review::ReviewAction,
    },
    /// Rectification notices (整改): issue in bulk, list, figures, export.
    Rectify {
        #[command(subcommand)]
        action: rectify::RectifyAction,
    },
    /// Coverage indicators (覆盖率): list, compute for a node and its children, who misses, and
    /// the definitions and targets as a workbook (export, import).
    Indicator {
        #[command(subcommand)]
        action: indicator::IndicatorAction,
    },
    /// Statistics as SPSS computes them, on a data file (csv, xlsx, xls, ods, sav) or a
    /// campaign's reports: FREQUENCIES, DESCRIPTIVES, CROSSTABS, CORRELATIONS, RELIABILITY,
    /// T-TEST, ONEWAY, MEANS.
    Stats(Box<stats::StatsArgs>),
    /// Generate synthetic, realistic registry data on the real division tree, and --years of
    /// annual reports (with faults planted at known rates).
    Gen {
        #[arg(long, default_value = "province")]
        scale: Scale,
        #[arg(long, default_value_t = 20231)]
        seed: u64,
        /// Years of annual reports, ending last year (0: registry only).
        #[arg(long, default_value_t = 0)]
        years: u32,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into());
    // Structured logs for log collectors: SHANGHUI_LOG_FORMAT=json.
    if std::env::var("SHANGHUI_LOG_FORMAT").is_ok_and(|f| f == "json") {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let lang = Lang::from_tag(&cli.lang).unwrap_or_default();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli, lang)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, lang: Lang) -> Result<ExitCode> {
    match cli.command {
        Command::Check { what } => return Ok(check::run(what, lang)),
        Command::Template { action } => return template::run(action, lang),
        Command::Init => {
            let db = open(&cli.database, lang).await?;
            init(&db, lang).await?;
            db.close().await;
        }
        Command::Serve {
            bind,
            secure_cookies,
        } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            serve(db, bind, secure_cookies).await?;
        }
        Command::User { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = user::run(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Backup { file } => {
            let db = open(&cli.database, lang).await?;
            shanghui_store::backup::backup(&db, &file).await?;
            db.close().await;
            eprintln!("backup written to {}", file.display());
        }
        Command::Restore { file } => {
            shanghui_store::backup::restore(&cli.database, &file).await?;
            eprintln!("{} restored from {}", cli.database, file.display());
        }
        Command::Demo { bind } => {
            // The demo keeps to its own file unless told otherwise, so it never fills a real
            // database with synthetic units.
            let url = if std::env::var("SHANGHUI_DATABASE_URL").is_err()
                && cli.database == "sqlite://shanghui.db"
            {
                "sqlite://shanghui-demo.db".to_string()
            } else {
                cli.database.clone()
            };
            let db = open(&url, lang).await?;
            init(&db, lang).await?;
            if orgs::count(&db, &Scope::all()).await? == 0 {
                generate(&db, Scale::Province, 20231, DEMO_YEARS, lang).await?;
            }
            demo_accounts(&db, lang).await?;
            println!("demo database: {url}");
            serve(db, bind, false).await?;
        }
        Command::Org { action } => {
            let db = open(&cli.database, lang).await?;
            let code = org::run(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Gen { scale, seed, years } => {
            let db = open(&cli.database, lang).await?;
            init(&db, lang).await?;
            generate(&db, scale, seed, years, lang).await?;
            db.close().await;
        }
        Command::Campaign { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = campaign::campaign(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Rule { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = review::rule(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Stats(args) => {
            // A file needs no database; a campaign does.
            let code = if args_need_db(&args) {
                let db = open(&cli.database, lang).await?;
                db.migrate().await?;
                let code = stats::run(Some(&db), *args, lang).await?;
                db.close().await;
                code
            } else {
                stats::run(None, *args, lang).await?
            };
            return Ok(code);
        }
        Command::Rectify { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = rectify::run(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Indicator { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = indicator::run(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Review { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = review::review(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
        Command::Report { action } => {
            let db = open(&cli.database, lang).await?;
            db.migrate().await?;
            let code = campaign::report(&db, action, lang).await?;
            db.close().await;
            return Ok(code);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn args_need_db(a: &stats::StatsArgs) -> bool {
    a.needs_db()
}

/// An error in the user's language.
pub(crate) fn said(lang: Lang, key: &str, params: &[(&str, &str)]) -> anyhow::Error {
    anyhow::anyhow!(lang.tf(key, params))
}

async fn open(url: &str, lang: Lang) -> Result<Db> {
    Db::connect(url)
        .await
        .map_err(|e| anyhow::Error::new(e).context(lang.tf("cli.cannot_open_db", &[("url", url)])))
}

async fn init(db: &Db, lang: Lang) -> Result<()> {
    db.migrate()
        .await
        .map_err(|e| anyhow::Error::new(e).context(lang.t("cli.migration_failed")))?;
    let rows = shanghui_core::division::shipped();
    let added = divisions::load(db, &rows).await?;
    let total = divisions::count(db).await?;
    eprintln!("divisions: {total} ({added} new)");
    shanghui_store::templates::ensure_sample(db, &Actor::system("shanghui init")).await?;
    // The coverage change logs are pruned by the server as it goes; here for a database used
    // from the command line only.
    shanghui_store::indicators::prune_old_changes(db).await?;
    // The first administrator, so the web can be used at all; its password is shown once.
    if shanghui_store::accounts::count(db).await? == 0 {
        let password = user::generate_password();
        user::add(
            db,
            "admin",
            Role::SysAdmin,
            None,
            "系统管理员",
            password.clone(),
        )
        .await?;
        println!("first administrator: admin\tpassword: {password}");
    }
    Ok(())
}

/// Years of annual reports in the demo database.
const DEMO_YEARS: u32 = 3;

/// The password of every demo account (demo data only).
const DEMO_PASSWORD: &str = "Demo2026shanghui";

/// One account per role on the demo province, printed for whoever runs the demo.
async fn demo_accounts(db: &Db, lang: Lang) -> Result<()> {
    let all = Scope::all();
    let province = orgs::list(
        db,
        &all,
        &orgs::Filter {
            kind: Some(shanghui_core::OrgKind::Federation),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .find(|o| o.record.level == Some(shanghui_core::FederationLevel::Provincial));
    let Some(province) = province else {
        return Ok(());
    };
    let province_scope = Scope::subtree(province.path.clone());
    // The demo chamber is one that has not yet submitted this year's open campaign, so that
    // whoever signs in as its secretary can fill a report; any chamber otherwise.
    let mut chamber = None;
    let open_campaign = shanghui_store::campaigns::list(db, &province_scope)
        .await?
        .into_iter()
        .find(|c| c.status == shanghui_core::report::CampaignStatus::Open);
    if let Some(c) = &open_campaign {
        let missing =
            shanghui_store::campaigns::missing(db, &province_scope, c, &province, 1).await?;
        if let Some(m) = missing.first() {
            chamber = Some(orgs::require(db, &province_scope, m.id).await?);
        }
    }
    if chamber.is_none() {
        chamber = orgs::list(
            db,
            &province_scope,
            &orgs::Filter {
                kind: Some(shanghui_core::OrgKind::Chamber),
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?
        .into_iter()
        .next();
    }
    let mut accounts = vec![
        ("demo_admin", Role::SysAdmin, None, "演示系统管理员"),
        (
            "demo_fed_admin",
            Role::FedAdmin,
            Some(province.id),
            "演示工商联管理员",
        ),
        (
            "demo_staff",
            Role::FedStaff,
            Some(province.id),
            "演示工作人员",
        ),
        ("demo_leader", Role::Leader, Some(province.id), "演示领导"),
        (
            "demo_reviewer",
            Role::Reviewer,
            Some(province.id),
            "演示审查机构",
        ),
        (
            "demo_evaluator",
            Role::Evaluator,
            Some(province.id),
            "演示评估人员",
        ),
    ];
    if let Some(c) = &chamber {
        accounts.push((
            "demo_chamber",
            Role::ChamberSecretary,
            Some(c.id),
            "演示商会秘书",
        ));
    }
    println!("demo accounts (password {DEMO_PASSWORD}):");
    for (name, role, org, display) in accounts {
        if shanghui_store::accounts::by_username(db, name)
            .await?
            .is_none()
        {
            user::add(db, name, role, org, display, DEMO_PASSWORD.to_string()).await?;
        }
        println!("  {name}\t{}", role.label(lang));
    }
    // The third-party reviewer's queue: the province's first reports with problems this year.
    if let (Some(c), Some(reviewer)) = (
        open_campaign,
        shanghui_store::accounts::by_username(db, "demo_reviewer").await?,
    ) {
        let units = shanghui_store::analysis::units(db, &province_scope, &c, &province, 20).await?;
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let actor = Actor::system("shanghui demo");
        shanghui_store::review::assign(db, &province_scope, c.id, &ids, Some(reviewer.id), &actor)
            .await?;
    }
    Ok(())
}

async fn serve(db: Db, bind: SocketAddr, secure_cookies: bool) -> Result<()> {
    let mut state = shanghui_web::AppState::new(db).await?;
    state.secure_cookies = secure_cookies;
    // Not ready (`/readyz`) until the warm-up has read the national data.
    state
        .ready
        .store(false, std::sync::atomic::Ordering::Release);
    tokio::spawn(shanghui_web::warm_up(state.clone()));
    shanghui_web::serve(state, bind, |addr| {
        println!("shanghui is serving at http://{addr}/");
    })
    .await?;
    Ok(())
}

async fn generate(db: &Db, scale: Scale, seed: u64, years: u32, lang: Lang) -> Result<()> {
    let started = Instant::now();
    let index = shanghui_core::division::DivisionIndex::shipped();
    let today = shanghui_core::value::china_date(chrono::Utc::now());
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("generating {scale} data"));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let generated = shanghui_synth::generate(&index, scale, seed, today);
    if orgs::count(db, &Scope::all()).await? > 0 {
        return Err(said(lang, "cli.gen_not_empty", &[]));
    }
    let rows: Vec<(Option<usize>, shanghui_core::OrgDraft)> = generated
        .iter()
        .map(|g| (g.parent, g.draft.clone()))
        .collect();
    spinner.set_message(format!("inserting {} organisations", rows.len()));
    let ids = registry::bulk_insert(db, &rows, &Actor::system("shanghui gen")).await?;
    let chambers = rows
        .iter()
        .filter(|(_, d)| d.kind == shanghui_core::OrgKind::Chamber)
        .count();
    spinner.finish_and_clear();
    println!(
        "generated {} organisations ({} chambers) at {scale} scale in {:.1} s",
        rows.len(),
        chambers,
        started.elapsed().as_secs_f64()
    );
    if years > 0 {
        generate_reports(db, &generated, &ids, seed, years, today, lang).await?;
    }
    Ok(())
}

/// Years of annual reports for the generated registry, ending last year: one campaign a year
/// opened by the national federation (key 0), expecting every chamber the generator says was
/// due, filled with the generated answers at their submission dates. Campaigns of earlier
/// years are closed; last year's stays open for late reports.
async fn generate_reports(
    db: &Db,
    generated: &[shanghui_synth::SynthOrg],
    ids: &[i64],
    seed: u64,
    years: u32,
    today: chrono::NaiveDate,
    lang: Lang,
) -> Result<()> {
    use chrono::Datelike;
    use shanghui_store::campaigns::{self, NewCampaign};
    use shanghui_store::reports::{self, ImportRow, UnitRef};
    let started = Instant::now();
    let actor = Actor::system("shanghui gen");
    let template_id = shanghui_store::templates::ensure_sample(db, &actor).await?;
    let template = shanghui_store::templates::get(db, template_id).await?;
    let last = today.year() - 1;
    let first = last - years as i32 + 1;
    let mut total = 0usize;
    for year in first..=last {
        let spinner = indicatif::ProgressBar::new_spinner();
        spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        spinner.set_message(format!("reports of {year}"));
        let due = shanghui_synth::reports(generated, &template, year..=year, seed, today);
        let units: Vec<i64> = due.iter().map(|r| ids[r.key]).collect();
        let (opens_on, deadline) = campaigns::usual_dates(year);
        let new = NewCampaign {
            organization_id: ids[0],
            year,
            template_id,
            opens_on,
            deadline,
        };
        let opened = campaigns::open_with_units(db, &Scope::all(), &new, &units, &actor).await?;
        let rows: Vec<ImportRow> = due
            .into_iter()
            .filter_map(|r| {
                r.submitted_on.map(|on| ImportRow {
                    unit: UnitRef {
                        id: Some(ids[r.key]),
                        ..Default::default()
                    },
                    answers: r.answers,
                    submitted_on: Some(on),
                })
            })
            .collect();
        total += rows.len();
        reports::import_generated(db, opened.campaign.id, &rows, &actor).await?;
        spinner.set_message(format!("review of {year}"));
        shanghui_store::review::run(db, &Scope::all(), opened.campaign.id, None, &actor).await?;
        if year < last {
            campaigns::close(db, &Scope::all(), opened.campaign.id, &actor).await?;
        }
        spinner.finish_and_clear();
    }
    println!(
        "{}",
        lang.tf(
            "cli.gen_reports",
            &[
                ("years", &years.to_string()),
                ("reports", &total.to_string()),
                (
                    "seconds",
                    &format!("{:.1}", started.elapsed().as_secs_f64())
                ),
            ]
        )
    );
    Ok(())
}
