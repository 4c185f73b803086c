//! The reader's language: a `lang` cookie set by the switch link, else `Accept-Language`, else
//! zh-CN.

use axum::extract::{FromRequestParts, Path};
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, REFERER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::Lang;

/// Extractor for the reader's language.
pub struct ReaderLang(pub Lang);

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn from_headers(headers: &HeaderMap) -> Lang {
    cookie(headers, "lang")
        .and_then(Lang::from_tag)
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_tag)
        })
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for ReaderLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReaderLang(from_headers(&parts.headers)))
    }
}

/// `GET /lang/en`: remembers the choice and goes back where the reader was (same site only).
pub async fn switch(Path(tag): Path<String>, headers: HeaderMap) -> Response {
    let lang = Lang::from_tag(&tag).unwrap_or_default();
    let back = headers
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_string());
    let mut resp = Redirect::to(&back).into_response();
    let c = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        lang.tag()
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}
