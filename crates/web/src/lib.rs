//! shanghui's web interface: server-rendered pages that work without JavaScript.
#![forbid(unsafe_code)]

pub mod auth;
mod cache;
mod csrf;
mod error;
mod lang;
mod pages;
mod stats_terms;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue};
use axum::routing::{get, post};
use shanghui_core::division::DivisionIndex;
use shanghui_store::Db;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;
pub use pages::analysis::review_tables;
pub use pages::indicators::warm_up;
pub use pages::rectify_stats::rectify_tables;

/// Largest upload accepted (an import workbook).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// All divisions in memory: checking a code or naming a division costs a lookup.
    pub divisions: Arc<DivisionIndex>,
    /// Mark the session cookie `Secure` (set when the site is served over HTTPS).
    pub secure_cookies: bool,
    pub limiter: Arc<auth::RateLimiter>,
    /// Reporting rates computed for a campaign's current generation.
    pub rates: Arc<cache::RatesCache>,
    /// Rectification figures computed for a campaign's current generation and day.
    pub rectify: Arc<pages::rectify_stats::FiguresCache>,
    /// Campaigns' statistics data sets, kept for their current generation.
    pub stats: Arc<pages::stats::StatsCache>,
    /// Years of coverage indicators, kept while the registry and their campaigns are unchanged.
    pub indicators: Arc<pages::indicators::IndicatorCache>,
    /// Data-analysis reports being made or made, with their files, kept in memory for a while.
    pub writeup: Arc<pages::writeup::WriteupJobs>,
    /// False while the server reads what its busiest pages keep ([`warm_up`]): `/readyz` says so,
    /// for a load balancer to wait for it.
    pub ready: Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    pub async fn new(db: Db) -> Result<Self, shanghui_store::StoreError> {
        let divisions = Arc::new(shanghui_store::divisions::load_index(&db).await?);
        Ok(AppState {
            db,
            divisions,
            secure_cookies: false,
            limiter: Arc::default(),
            rates: Arc::default(),
            rectify: Arc::default(),
            stats: Arc::default(),
            indicators: Arc::default(),
            writeup: Arc::default(),
            ready: Arc::new(std::sync::atomic::AtomicBool::new(true)),
        })
    }
}

/// Every route the application serves, as (method, path pattern). The access-matrix test holds a
/// rule for each, so a new route without a rule fails it.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/static/app.css"),
    ("GET", "/lang/{tag}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/logout-all"),
    ("GET", "/orgs"),
    ("GET", "/orgs/{id}"),
    ("GET", "/orgs/{id}/edit"),
    ("POST", "/orgs/{id}/edit"),
    ("GET", "/orgs/{id}/new"),
    ("POST", "/orgs/{id}/new"),
    ("POST", "/orgs/{id}/move"),
    ("POST", "/orgs/{id}/dissolve"),
    ("GET", "/orgs/{id}/export.xlsx"),
    ("GET", "/orgs/{id}/export.csv"),
    ("GET", "/search"),
    ("GET", "/import"),
    ("POST", "/import"),
    ("GET", "/template.xlsx"),
    ("GET", "/users"),
    ("GET", "/users/new"),
    ("POST", "/users/new"),
    ("GET", "/users/{id}"),
    ("POST", "/users/{id}"),
    ("POST", "/users/{id}/password"),
    ("GET", "/audit"),
    ("GET", "/audit.csv"),
    ("GET", "/static/report.js"),
    ("GET", "/campaigns"),
    ("POST", "/campaigns"),
    ("GET", "/campaigns/{id}"),
    ("POST", "/campaigns/{id}/status"),
    ("POST", "/campaigns/{id}/deadline"),
    ("POST", "/campaigns/{id}/expected"),
    ("GET", "/campaigns/{id}/missing.csv"),
    ("GET", "/campaigns/{id}/missing.xlsx"),
    ("GET", "/campaigns/{id}/reports/{org}"),
    ("POST", "/campaigns/{id}/reports/{org}"),
    ("POST", "/campaigns/{id}/reports/{org}/return"),
    ("GET", "/campaigns/{id}/import"),
    ("POST", "/campaigns/{id}/import"),
    ("GET", "/campaigns/{id}/reports.xlsx"),
    ("GET", "/campaigns/{id}/reports.csv"),
    ("GET", "/templates"),
    ("POST", "/templates"),
    ("GET", "/templates/{id}"),
    ("GET", "/templates/{id}/template.xlsx"),
    ("GET", "/templates/{id}/edit"),
    ("POST", "/templates/{id}/edit"),
    ("GET", "/reviews"),
    ("GET", "/campaigns/{id}/reports/{org}/review"),
    ("POST", "/campaigns/{id}/reports/{org}/review/decide"),
    ("POST", "/campaigns/{id}/reports/{org}/review/add"),
    ("POST", "/campaigns/{id}/reports/{org}/review/comment"),
    ("POST", "/campaigns/{id}/reports/{org}/review/conclude"),
    ("POST", "/campaigns/{id}/reports/{org}/review/run"),
    ("GET", "/campaigns/{id}/review"),
    ("POST", "/campaigns/{id}/review/run"),
    ("POST", "/campaigns/{id}/review/assign"),
    ("GET", "/campaigns/{id}/review.xlsx"),
    ("GET", "/campaigns/{id}/stats"),
    ("GET", "/campaigns/{id}/stats.xlsx"),
    ("GET", "/campaigns/{id}/stats.sav"),
    ("GET", "/indicators"),
    ("GET", "/indicators.xlsx"),
    ("GET", "/rules"),
    ("GET", "/rules.xlsx"),
    ("GET", "/rules/edit"),
    ("POST", "/rules/edit"),
    ("POST", "/rules/retire"),
    ("POST", "/rules/import"),
    ("POST", "/rules/conclusions"),
    ("GET", "/indicators/defs"),
    ("GET", "/indicators/defs.xlsx"),
    ("GET", "/indicators/defs/edit"),
    ("POST", "/indicators/defs/edit"),
    ("POST", "/indicators/defs/retire"),
    ("POST", "/indicators/defs/import"),
    ("POST", "/indicators/targets"),
    ("GET", "/campaigns/{id}/reports/{org}/notices"),
    ("POST", "/campaigns/{id}/reports/{org}/notices"),
    ("GET", "/campaigns/{id}/notices"),
    ("POST", "/campaigns/{id}/notices"),
    ("GET", "/campaigns/{id}/rectify"),
    ("GET", "/campaigns/{id}/rectify.xlsx"),
    ("GET", "/notices"),
    ("GET", "/notices.xlsx"),
    ("GET", "/notices/{id}"),
    ("POST", "/notices/{id}/respond"),
    ("POST", "/notices/{id}/submit"),
    ("POST", "/notices/{id}/verify"),
    ("POST", "/notices/{id}/extend"),
    ("GET", "/notices/{id}/evidence/{file}"),
    ("GET", "/writeup"),
    ("POST", "/writeup"),
    ("GET", "/writeup/jobs/{job}"),
    ("GET", "/writeup/jobs/{job}/file/{ext}"),
    ("GET", "/writeup/jobs/{job}/view"),
    ("GET", "/static/writeup.css"),
    ("GET", "/writeup/templates"),
    ("GET", "/writeup/templates/edit"),
    ("POST", "/writeup/templates/edit"),
    ("POST", "/writeup/templates/reset"),
];

/// The whole application as a router, for `serve` and for tests.
pub fn app(state: AppState) -> Router {
    let security_headers = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ];
    let mut router = Router::new()
        .route("/", get(pages::review::home))
        .route("/healthz", get(pages::health))
        .route("/readyz", get(pages::ready))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/lang/{tag}", get(lang::switch))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/logout-all", post(auth::logout_all))
        .route("/users", get(pages::users::list))
        .route(
            "/users/new",
            get(pages::users::new_page).post(pages::users::new_save),
        )
        .route(
            "/users/{id}",
            get(pages::users::edit_page).post(pages::users::edit_save),
        )
        .route("/users/{id}/password", post(pages::users::password_save))
        .route("/audit", get(pages::audit::page))
        .route("/audit.csv", get(pages::audit::export))
        .route("/orgs", get(pages::tree::home))
        .route("/orgs/{id}", get(pages::tree::unit))
        .route(
            "/orgs/{id}/edit",
            get(pages::form::edit_page).post(pages::form::edit_save),
        )
        .route(
            "/orgs/{id}/new",
            get(pages::form::new_page).post(pages::form::new_save),
        )
        .route("/orgs/{id}/move", post(pages::form::move_save))
        .route("/orgs/{id}/dissolve", post(pages::form::dissolve_save))
        .route("/orgs/{id}/export.xlsx", get(pages::transfer::export_xlsx))
        .route("/orgs/{id}/export.csv", get(pages::transfer::export_csv))
        .route("/search", get(pages::search::search))
        .route(
            "/import",
            get(pages::transfer::import_page).post(pages::transfer::import_upload),
        )
        .route("/template.xlsx", get(pages::transfer::template))
        .route("/static/report.js", get(pages::report_script))
        .route(
            "/campaigns",
            get(pages::campaigns::list).post(pages::campaigns::open),
        )
        .route("/campaigns/{id}", get(pages::dashboard::page))
        .route("/campaigns/{id}/status", post(pages::campaigns::set_status))
        .route(
            "/campaigns/{id}/deadline",
            post(pages::campaigns::set_deadline),
        )
        .route(
            "/campaigns/{id}/expected",
            post(pages::campaigns::set_expected),
        )
        .route(
            "/campaigns/{id}/missing.csv",
            get(pages::dashboard::missing_csv),
        )
        .route(
            "/campaigns/{id}/missing.xlsx",
            get(pages::dashboard::missing_xlsx),
        )
        .route(
            "/campaigns/{id}/reports/{org}",
            get(pages::reports::page).post(pages::reports::save),
        )
        .route(
            "/campaigns/{id}/reports/{org}/return",
            post(pages::reports::return_report),
        )
        .route(
            "/campaigns/{id}/import",
            get(pages::report_import::import_page).post(pages::report_import::upload),
        )
        .route(
            "/campaigns/{id}/reports.xlsx",
            get(pages::report_import::workbook),
        )
        .route(
            "/campaigns/{id}/reports.csv",
            get(pages::report_import::csv),
        )
        .route(
            "/templates",
            get(pages::templates::list).post(pages::templates::upload),
        )
        .route("/templates/{id}", get(pages::templates::view))
        .route(
            "/templates/{id}/template.xlsx",
            get(pages::templates::download_xlsx),
        )
        .route(
            "/templates/{id}/edit",
            get(pages::template_edit::edit_page).post(pages::template_edit::edit_save),
        )
        .route("/reviews", get(pages::review::reviews))
        .route(
            "/campaigns/{id}/reports/{org}/review",
            get(pages::review::page),
        )
        .route(
            "/campaigns/{id}/reports/{org}/review/decide",
            post(pages::review::decide),
        )
        .route(
            "/campaigns/{id}/reports/{org}/review/add",
            post(pages::review::add),
        )
        .route(
            "/campaigns/{id}/reports/{org}/review/comment",
            post(pages::review::comment),
        )
        .route(
            "/campaigns/{id}/reports/{org}/review/conclude",
            post(pages::review::conclude),
        )
        .route(
            "/campaigns/{id}/reports/{org}/review/run",
            post(pages::review::run),
        )
        .route("/campaigns/{id}/review", get(pages::analysis::page))
        .route("/campaigns/{id}/review/run", post(pages::analysis::run))
        .route(
            "/campaigns/{id}/review/assign",
            post(pages::analysis::assign),
        )
        .route("/campaigns/{id}/review.xlsx", get(pages::analysis::export))
        .route("/campaigns/{id}/stats", get(pages::stats::page))
        .route("/campaigns/{id}/stats.xlsx", get(pages::stats::export))
        .route("/campaigns/{id}/stats.sav", get(pages::stats::export_sav))
        .route("/indicators", get(pages::indicators::page))
        .route("/indicators.xlsx", get(pages::indicators::export))
        .route("/rules", get(pages::rules::list))
        .route("/rules.xlsx", get(pages::rules::download_xlsx))
        .route(
            "/rules/edit",
            get(pages::rules::edit).post(pages::rules::save),
        )
        .route("/rules/retire", post(pages::rules::retire))
        .route("/rules/import", post(pages::rules::upload))
        .route("/rules/conclusions", post(pages::rules::conclusions))
        .route("/indicators/defs", get(pages::indicator_defs::list))
        .route(
            "/indicators/defs.xlsx",
            get(pages::indicator_defs::download_xlsx),
        )
        .route(
            "/indicators/defs/edit",
            get(pages::indicator_defs::edit).post(pages::indicator_defs::save),
        )
        .route(
            "/indicators/defs/retire",
            post(pages::indicator_defs::retire),
        )
        .route(
            "/indicators/defs/import",
            post(pages::indicator_defs::upload),
        )
        .route(
            "/indicators/targets",
            post(pages::indicator_defs::set_target),
        )
        .route(
            "/campaigns/{id}/reports/{org}/notices",
            get(pages::rectify::issue_form).post(pages::rectify::issue),
        )
        .route(
            "/campaigns/{id}/notices",
            get(pages::rectify::bulk_form).post(pages::rectify::bulk_issue),
        )
        .route("/campaigns/{id}/rectify", get(pages::rectify_stats::page))
        .route(
            "/campaigns/{id}/rectify.xlsx",
            get(pages::rectify_stats::export),
        )
        .route("/notices", get(pages::rectify::list))
        .route("/notices.xlsx", get(pages::rectify::export))
        .route("/notices/{id}", get(pages::rectify::page))
        .route("/notices/{id}/respond", post(pages::rectify::respond))
        .route("/notices/{id}/submit", post(pages::rectify::submit))
        .route("/notices/{id}/verify", post(pages::rectify::verify))
        .route("/notices/{id}/extend", post(pages::rectify::extend))
        .route(
            "/notices/{id}/evidence/{file}",
            get(pages::rectify::evidence),
        )
        .route(
            "/writeup",
            get(pages::writeup::page).post(pages::writeup::start),
        )
        .route("/writeup/jobs/{job}", get(pages::writeup::job_page))
        .route("/writeup/jobs/{job}/file/{ext}", get(pages::writeup::file))
        .route("/writeup/jobs/{job}/view", get(pages::writeup::view))
        .route("/static/writeup.css", get(pages::writeup::stylesheet))
        .route("/writeup/templates", get(pages::writeup::templates))
        .route(
            "/writeup/templates/edit",
            get(pages::writeup::template_edit).post(pages::writeup::template_save),
        )
        .route(
            "/writeup/templates/reset",
            post(pages::writeup::template_reset),
        )
        .fallback(pages::not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn(error::render))
        .layer(axum::middleware::from_fn(csrf::guard))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(MAX_UPLOAD_BYTES + 64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http());
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// Serves until Ctrl-C or SIGTERM. `on_ready` receives the bound address (useful with port 0).
pub async fn serve(
    state: AppState,
    bind: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    on_ready(listener.local_addr()?);
    // The peer address is recorded in the audit log and limits sign-in attempts.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
