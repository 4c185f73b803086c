//! The audit log: every change, searchable by unit, user, date and action, and exportable.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use shanghui_core::Lang;
use shanghui_core::account::Permission;
use shanghui_store::audit::{self, Entry, Filter};

use super::{Viewer, local_time, value};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

/// Rows a page shows; the export takes up to 100,000.
const PAGE_ROWS: i64 = 500;
const EXPORT_ROWS: i64 = 100_000;

#[derive(serde::Deserialize, Default)]
pub struct Params {
    unit: Option<String>,
    user: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Params {
    fn filter(&self, limit: i64) -> Filter {
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Filter {
            unit: text(&self.unit).and_then(|u| value::parse_int(u.trim_start_matches('#'))),
            user: text(&self.user),
            action: text(&self.action),
            from: text(&self.from).and_then(|d| value::parse_date(&d)),
            to: text(&self.to).and_then(|d| value::parse_date(&d)),
            limit,
        }
    }
    fn query(&self) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        [
            ("unit", &self.unit),
            ("user", &self.user),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", enc(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
    }
}

pub struct Row {
    when: String,
    who: String,
    ip: String,
    action: String,
    unit: String,
    unit_id: String,
    detail: String,
}

fn action_label(action: &str, lang: Lang) -> String {
    let key = format!("audit.action.{action}");
    let t = lang.t(&key);
    if t == "?" {
        action.to_string()
    } else {
        t.to_string()
    }
}

fn row(e: &Entry, lang: Lang) -> Row {
    Row {
        when: local_time(e.created_at),
        who: e.actor.clone(),
        ip: e.ip.clone().unwrap_or_default(),
        action: action_label(&e.action, lang),
        unit: e.unit_name.clone().unwrap_or_default(),
        unit_id: e.organization_id.map(|i| i.to_string()).unwrap_or_default(),
        detail: e.detail.chars().take(2000).collect(),
    }
}

pub const ACTIONS: &[&str] = &[
    "create",
    "update",
    "move",
    "dissolve",
    "import",
    "generate",
    "user.create",
    "user.update",
    "user.password",
    "login.ok",
    "login.fail",
    "logout",
    "logout.all",
];

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub struct AuditPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    unit: String,
    user: String,
    action: String,
    from: String,
    to: String,
    actions: Vec<(String, String)>,
    rows: Vec<Row>,
    export_query: String,
    limited: bool,
}

pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(p): Query<Params>,
) -> Result<AuditPage, AppError> {
    viewer.require(Permission::ViewAudit)?;
    let entries = audit::search(&state.db, &viewer.scope, &p.filter(PAGE_ROWS)).await?;
    Ok(AuditPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, &csrf)),
        limited: entries.len() as i64 == PAGE_ROWS,
        rows: entries.iter().map(|e| row(e, lang)).collect(),
        export_query: p.query(),
        actions: ACTIONS
            .iter()
            .map(|a| (a.to_string(), action_label(a, lang)))
            .collect(),
        unit: p.unit.unwrap_or_default(),
        user: p.user.unwrap_or_default(),
        action: p.action.unwrap_or_default(),
        from: p.from.unwrap_or_default(),
        to: p.to.unwrap_or_default(),
    })
}

pub async fn export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Query(p): Query<Params>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ViewAudit)?;
    let entries = audit::search(&state.db, &viewer.scope, &p.filter(EXPORT_ROWS)).await?;
    let header = [
        "audit.col_when",
        "audit.col_who",
        "audit.col_ip",
        "audit.col_action",
        "common.id",
        "audit.col_unit",
        "audit.col_detail",
    ]
    .map(|k| lang.t(k).to_string());
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let r = row(e, lang);
            vec![
                r.when,
                r.who,
                r.ip,
                r.action,
                r.unit_id,
                r.unit,
                e.detail.clone(),
            ]
        })
        .collect();
    let bytes = shanghui_files::write_table_csv(&header, &rows);
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
