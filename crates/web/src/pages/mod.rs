//! Page handlers and the view models their templates read.

pub mod analysis;
pub mod audit;
pub mod campaigns;
pub mod chart;
pub mod dashboard;
pub mod form;
pub mod indicator_defs;
pub mod indicators;
pub mod rectify;
pub mod rectify_stats;
pub mod report_import;
pub mod reports;
pub mod review;
pub mod rules;
pub mod search;
pub mod stats;
pub mod template_edit;
pub mod templates;
pub mod transfer;
pub mod tree;
pub mod upload;
pub mod users;
pub mod writeup;

use axum::extract::FromRequestParts;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use shanghui_core::division::DivisionIndex;
use shanghui_core::field::Field;
use shanghui_core::org::{
    ChamberCategory, FederationLevel, OrgKind, OrgStatus, Organization, PartyOrgForm,
};
use shanghui_core::{Lang, value};
use shanghui_store::orgs::Counts;

use crate::AppError;

pub use crate::auth::Viewer;

/// An organisation id from the path; anything that is not one is a 404 page, like an id that
/// does not exist.
pub struct OrgId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for OrgId {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) = axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        Ok(OrgId(id))
    }
}

/// A form body; one that cannot be read is a 400 page in the reader's language.
pub struct Posted<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S> for Posted<T> {
    type Rejection = AppError;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Form(v) = axum::Form::<T>::from_request(req, state)
            .await
            .map_err(|_| AppError::BadRequest)?;
        Ok(Posted(v))
    }
}

/// `GET /readyz`: 200 once the server has read what its busiest pages keep (the coverage years,
/// the latest campaign's data set), 503 with `Retry-After` while it still reads them after
/// starting; a load balancer sends visitors to it only when ready.
pub async fn ready(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> axum::response::Response {
    if state.ready.load(std::sync::atomic::Ordering::Acquire) {
        (axum::http::StatusCode::OK, "ready").into_response()
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            "warming up",
        )
            .into_response()
    }
}

pub async fn health(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
        }
    }
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/app.css"),
    )
}

/// The annual-report form's small script (conditional fields); the form works without it.
pub async fn report_script() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/report.js"),
    )
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A row of a children table.
pub struct OrgSummary {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub division: String,
    pub federations: i64,
    pub branches: i64,
    pub chambers: i64,
    pub status: String,
    pub dissolved: bool,
}

/// A unit with its children, as the tree pages show it.
pub struct NodeView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub totals: String,
    pub children: Vec<OrgSummary>,
}

pub fn kind_label(o: &Organization, lang: Lang) -> String {
    let r = &o.record;
    match (r.kind, r.level, r.category) {
        (OrgKind::Federation, Some(l), _) => {
            format!("{}{}", l.label(lang), sep(lang, r.kind.label(lang)))
        }
        (OrgKind::Chamber, _, Some(c)) => {
            format!("{}{}", c.label(lang), sep(lang, r.kind.label(lang)))
        }
        _ => r.kind.label(lang).to_string(),
    }
}

fn sep(lang: Lang, s: &str) -> String {
    match lang {
        Lang::ZhCn => s.to_string(),
        Lang::En => format!(" {}", s.to_lowercase()),
    }
}

pub fn division_name(o: &Organization, divisions: &DivisionIndex) -> String {
    o.record
        .division_code
        .as_ref()
        .map(|c| divisions.full_name(c))
        .unwrap_or_default()
}

pub fn summary(
    o: &Organization,
    below: Counts,
    lang: Lang,
    divisions: &DivisionIndex,
) -> OrgSummary {
    OrgSummary {
        id: o.id,
        name: o.record.name.clone(),
        kind: kind_label(o, lang),
        division: division_name(o, divisions),
        federations: below.federations,
        branches: below.branches,
        chambers: below.chambers,
        status: o.record.status.label(lang).to_string(),
        dissolved: o.record.status == OrgStatus::Dissolved,
    }
}

pub fn totals(c: Counts, lang: Lang) -> String {
    lang.tf(
        "tree.totals",
        &[
            ("federations", &c.federations.to_string()),
            ("branches", &c.branches.to_string()),
            ("chambers", &c.chambers.to_string()),
        ],
    )
}

/// A stored display value (as history keeps it, in Chinese) shown in the reader's language.
pub fn display_value(field: Field, v: &str, lang: Lang) -> String {
    let translated = match field {
        Field::Kind => OrgKind::parse(v).map(|x| x.label(lang)),
        Field::Level => FederationLevel::parse(v).map(|x| x.label(lang)),
        Field::Category => ChamberCategory::parse(v).map(|x| x.label(lang)),
        Field::PartyOrgForm => PartyOrgForm::parse(v).map(|x| x.label(lang)),
        Field::Status => OrgStatus::parse(v).map(|x| x.label(lang)),
        Field::Registered | Field::PartyOrg => {
            value::parse_bool(v).map(|b| lang.t(if b { "yes" } else { "no" }))
        }
        _ => None,
    };
    translated
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// Times are stored in UTC and shown in China's time.
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
}

pub fn today() -> chrono::NaiveDate {
    value::china_date(chrono::Utc::now())
}
