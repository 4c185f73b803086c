//! CSRF protection: a double-submit token (a random cookie that every form repeats in a hidden
//! field) plus an Origin check on every unsafe request. A cross-site page can neither read the
//! cookie nor make the browser send a matching Origin.

use axum::extract::Request;
use axum::http::header::{HOST, ORIGIN, REFERER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::lang::{cookie, from_headers};

pub const COOKIE: &str = "csrf";
pub const FIELD: &str = "_csrf";

/// The token of this browser, made on first sight.
#[derive(Clone, Debug)]
pub struct Token(pub String);

fn new_token() -> String {
    let mut b = [0u8; 24];
    getrandom::fill(&mut b).expect("the operating system gives random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(ORIGIN)
        .or_else(|| headers.get(REFERER))
        .and_then(|v| v.to_str().ok());
    match source {
        Some(s) => {
            let rest = s.split_once("://").map(|(_, r)| r).unwrap_or("");
            let authority = rest.split('/').next().unwrap_or("");
            authority == host
        }
        // Browsers send Origin with every cross-site POST; a request with neither header is not
        // a browser's form post from another site.
        None => true,
    }
}

/// Middleware: sets the token cookie when missing and refuses unsafe requests from elsewhere.
pub async fn guard(mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), COOKIE)
        .filter(|t| t.len() == 48)
        .map(str::to_string);
    let token = existing.clone().unwrap_or_else(new_token);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !same_origin(req.headers()) {
        return refuse(req.headers());
    }
    req.extensions_mut().insert(Token(token.clone()));
    let mut resp = next.run(req).await;
    if existing.is_none() {
        let c = format!("{COOKIE}={token}; Path=/; SameSite=Strict; HttpOnly");
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

/// Checks the token a form sent against the cookie's.
pub fn verify(token: &Token, sent: Option<&str>) -> bool {
    sent.is_some_and(|s| constant_time_eq(s.as_bytes(), token.0.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn refuse(headers: &HeaderMap) -> Response {
    let lang = from_headers(headers);
    (
        StatusCode::FORBIDDEN,
        crate::error::message_page(lang, "error.forbidden_title", "error.csrf"),
    )
        .into_response()
}
