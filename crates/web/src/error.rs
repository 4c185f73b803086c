//! One error type at the web edge. A handler returns `AppError`; a middleware that knows the
//! reader's language turns it into a page. Internal causes go to the log, never to the reader.

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use shanghui_core::Lang;
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
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            other => AppError::Internal(format!("{other:#}")),
        }
    }
}

/// Marks a response whose page the error middleware must render.
#[derive(Clone, Copy, Debug)]
struct ErrorPage {
    title: &'static str,
    message: &'static str,
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
        r.extensions_mut().insert(ErrorPage { title, message });
        r
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    lang: Lang,
    title: &'static str,
    message: &'static str,
}

pub fn message_page(lang: Lang, title: &'static str, message: &'static str) -> Html<String> {
    let page = MessagePage {
        lang,
        title,
        message,
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
    match resp.extensions().get::<ErrorPage>().copied() {
        Some(e) => (resp.status(), message_page(lang, e.title, e.message)).into_response(),
        None => resp,
    }
}
