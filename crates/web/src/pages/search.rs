//! Search by name or credit code.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use shanghui_core::account::Permission;

use crate::auth::Me;
use crate::csrf::Token;
use shanghui_core::Lang;
use shanghui_store::orgs;

use super::{Viewer, division_name, kind_label};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

const LIMIT: i64 = 200;

pub struct Row {
    id: i64,
    name: String,
    kind: String,
    uscc: String,
    division: String,
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    q: String,
    summary: String,
    rows: Vec<Row>,
}

#[derive(serde::Deserialize)]
pub struct Params {
    q: Option<String>,
}

pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(p): Query<Params>,
) -> Result<SearchPage, AppError> {
    viewer.require(Permission::ViewRegistry)?;
    let q: String = p.q.unwrap_or_default().trim().chars().take(100).collect();
    let found = orgs::search(&state.db, &viewer.scope, &q, LIMIT).await?;
    let summary = if found.is_empty() {
        lang.t("search.none").to_string()
    } else if found.len() as i64 == LIMIT {
        lang.tf("search.limited", &[("count", &LIMIT.to_string())])
    } else {
        lang.tf("search.results", &[("count", &found.len().to_string())])
    };
    let rows = found
        .iter()
        .map(|o| Row {
            id: o.id,
            name: o.record.name.clone(),
            kind: kind_label(o, lang),
            uscc: o
                .record
                .uscc
                .as_ref()
                .map(|u| u.to_string())
                .unwrap_or_default(),
            division: division_name(o, &state.divisions),
            status: o.record.status.label(lang).to_string(),
        })
        .collect();
    Ok(SearchPage {
        me: Some(viewer.me(lang, &csrf)),
        lang,
        flash: None,
        q,
        summary,
        rows,
    })
}
