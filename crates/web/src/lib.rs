//! shanghui's web interface: server-rendered pages that work without JavaScript.
#![forbid(unsafe_code)]

mod csrf;
mod error;
mod lang;
mod pages;

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

/// Largest upload accepted (an import workbook).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// All divisions in memory: checking a code or naming a division costs a lookup.
    pub divisions: Arc<DivisionIndex>,
}

impl AppState {
    pub async fn new(db: Db) -> Result<Self, shanghui_store::StoreError> {
        let divisions = Arc::new(shanghui_store::divisions::load_index(&db).await?);
        Ok(AppState { db, divisions })
    }
}

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
        .route("/", get(pages::tree::home))
        .route("/healthz", get(pages::health))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/lang/{tag}", get(lang::switch))
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
    axum::serve(listener, app(state))
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
