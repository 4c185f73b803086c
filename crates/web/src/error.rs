//! One error type at the web edge. A handler returns `AppError`; a middleware that knows the
//! reader's language turns it into a page. Internal causes go to the log, never to the reader.

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use shanghui_core::{Lang, Msg};
use shanghui_store::StoreError;

use crate::lang::from_headers;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request")]
    BadRequest,
    #[error("csrf token missing or wrong")]
    Csrf,
    /// Not signed in: go to the sign-in page, then back to this path.
    #[error("not signed in")]
    Unauthenticated(String),
    /// Signed in, but the role does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// Someone else saved the record after the reader opened it.
    #[error("version conflict")]
    Conflict,
    /// A rule refused the change; the messages say why. Handlers with a form catch the store's
    /// refusals and show them next to the fields; this is the page for the others.
    #[error("refused: {0:?}")]
    Refused(Vec<Msg>),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict => AppError::Conflict,
            StoreError::Rejected(ps) => AppError::Refused(ps.into_iter().map(|p| p.msg).collect()),
            StoreError::RejectedRow { index, problems } => AppError::Refused(
                problems
                    .into_iter()
                    .map(|p| row_msg(index, p.msg))
                    .collect(),
            ),
            StoreError::RejectedRows(rows) => {
                AppError::Refused(rows.into_iter().map(|(i, m)| row_msg(i, m)).collect())
            }
            StoreError::Items(items) => AppError::Refused(
                items
                    .into_iter()
                    .map(|(item, m)| {
                        Msg::new("report.item_problem")
                            .with("item", item)
                            .with_msg("message", m)
                    })
                    .collect(),
            ),
            other => AppError::Internal(format!("{other:#}")),
        }
    }
}

/// "Row 3: …" for a refusal of operation `index` (0-based) of a batch.
fn row_msg(index: usize, m: Msg) -> Msg {
    Msg::new("error.row_problem")
        .with("row", index + 1)
        .with_msg("message", m)
}

/// Marks a response whose page the error middleware must render.
#[derive(Clone, Debug)]
struct ErrorPage {
    title: &'static str,
    message: &'static str,
    /// Messages of a refusal, rendered in the reader's language by the middleware.
    details: Vec<Msg>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Unauthenticated(next) = &self {
            let q: String = next
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            return axum::response::Redirect::to(&format!("/login?next={q}")).into_response();
        }
        let mut details = Vec::new();
        let (status, title, message) = match &self {
            AppError::Unauthenticated(_) => unreachable!("answered above"),
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "error.forbidden_title",
                "error.forbidden",
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "error.not_found_title",
                "error.not_found",
            ),
            AppError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "error.forbidden_title",
                "error.bad_request",
            ),
            AppError::Csrf => (StatusCode::FORBIDDEN, "error.forbidden_title", "error.csrf"),
            AppError::Conflict => (
                StatusCode::CONFLICT,
                "error.conflict_title",
                "error.conflict",
            ),
            AppError::Refused(msgs) => {
                details = msgs.clone();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "error.refused_title",
                    "error.refused",
                )
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.internal_title",
                    "error.internal",
                )
            }
        };
        let mut r = status.into_response();
        r.extensions_mut().insert(ErrorPage {
            title,
            message,
            details,
        });
        r
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    lang: Lang,
    title: &'static str,
    message: &'static str,
    details: Vec<String>,
}

pub fn message_page(lang: Lang, title: &'static str, message: &'static str) -> Html<String> {
    message_page_with(lang, title, message, &[])
}

/// The message page with the messages of a refusal below the explanation.
fn message_page_with(
    lang: Lang,
    title: &'static str,
    message: &'static str,
    details: &[Msg],
) -> Html<String> {
    let page = MessagePage {
        lang,
        title,
        message,
        details: details.iter().map(|m| m.render(lang)).collect(),
    };
    Html(
        page.render()
            .unwrap_or_else(|_| lang.t(message).to_string()),
    )
}

/// Middleware: fills error responses with a page in the reader's language.
pub async fn render(req: Request, next: Next) -> Response {
    let lang = from_headers(req.headers());
    let resp = next.run(req).await;
    match resp.extensions().get::<ErrorPage>().cloned() {
        Some(e) => (
            resp.status(),
            message_page_with(lang, e.title, e.message, &e.details),
        )
            .into_response(),
        None => resp,
    }
}
