//! Batch import of annual reports by federation staff (paper forms, a chamber's spreadsheet):
//! the workbook pre-filled for a node of the tree, in layout (a) one row per chamber, (b) one
//! sheet per chamber, or CSV; and the upload, all or nothing, every problem listed with its
//! sheet and row. The reading and checking is `shanghui_files::read_reports` (the template's own
//! reader); matching rows to units and writing is `shanghui_store::reports::import`.

use askama_web::WebTemplate;
use axum::extract::{Extension, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shanghui_core::account::Permission;
use shanghui_core::{Lang, Msg, Organization, Scope};
use shanghui_files::{Located, ReportRow, ReportUnit};
use shanghui_store::campaigns::{self, Campaign};
use shanghui_store::reports::{self, ImportRow, UnitRef};
use shanghui_store::{StoreError, orgs, templates};

use super::Viewer;
use super::campaigns::{Ids, campaign_path, default_node, title};
use super::templates::ProblemRow;
use super::upload::{CSV, XLSX, check_token, download, read_upload};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState, MAX_UPLOAD_BYTES};

/// Units a one-sheet-per-unit workbook may hold: the reader takes at most 100 sheets, one of
/// them the instructions.
const MAX_UNIT_SHEETS: usize = 99;

#[derive(serde::Deserialize)]
pub struct Params {
    node: Option<String>,
    layout: Option<String>,
}

/// The campaign and the node, for a reader who may import (404 outside the scope, as always).
async fn target(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    node: Option<&str>,
) -> Result<(Campaign, Organization), AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    let c = campaigns::get(&state.db, &viewer.scope, id).await?;
    let node = match node.map(str::trim).filter(|s| !s.is_empty()) {
        None => default_node(state, viewer, &c).await?,
        Some(raw) => {
            let nid: i64 = raw.parse().map_err(|_| AppError::NotFound)?;
            let org = orgs::require(&state.db, &viewer.scope, nid).await?;
            if !org.path.is_within(&campaign_path(&c)?) {
                return Err(AppError::NotFound);
            }
            org
        }
    };
    Ok((c, node))
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "report_import.html")]
pub struct ImportPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    id: i64,
    title: String,
    node_id: i64,
    download_title: String,
    outcome: String,
    ok: bool,
    problems: Vec<ProblemRow>,
}

fn page(
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    c: &Campaign,
    node: &Organization,
) -> ImportPage {
    ImportPage {
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        id: c.id,
        title: title(c, lang),
        node_id: node.id,
        download_title: lang.tf("batch.download_title", &[("node", &node.record.name)]),
        outcome: String::new(),
        ok: false,
        problems: Vec::new(),
        lang,
        flash: None,
    }
}

/// `GET /campaigns/{id}/import?node=ORG_ID`: the downloads and the upload form.
pub async fn import_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<ImportPage, AppError> {
    let (c, node) = target(&state, &viewer, ids.id, q.node.as_deref()).await?;
    Ok(page(&viewer, lang, &csrf, &c, &node))
}

/// The expected units of the node with the answers they have, for a pre-filled file.
async fn units(
    state: &AppState,
    c: &Campaign,
    node: &Organization,
) -> Result<(shanghui_core::template::Template, Vec<ReportUnit>), AppError> {
    // The node is in the reader's scope (checked by `target`): its subtree is the scope here.
    let (t, all) =
        reports::answers_of_campaign(&state.db, &Scope::subtree(node.path.clone()), c.id).await?;
    let units = all
        .into_iter()
        .filter(|u| u.expected)
        .map(|u| ReportUnit {
            id: u.id,
            name: u.name,
            uscc: u.uscc,
            answers: u.answers,
        })
        .collect();
    Ok((t, units))
}

fn file_name(c: &Campaign, node: &Organization, lang: Lang, ext: &str) -> String {
    format!(
        "{}.{ext}",
        lang.tf(
            "batch.file",
            &[("year", &c.year.to_string()), ("node", &node.record.name)],
        )
    )
}

/// `GET /campaigns/{id}/reports.xlsx?node=ORG_ID&layout=rows|sheets`: the pre-filled workbook.
pub async fn workbook(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let (c, node) = target(&state, &viewer, ids.id, q.node.as_deref()).await?;
    let (t, units) = units(&state, &c, &node).await?;
    let sheets = q.layout.as_deref() == Some("sheets");
    if sheets && units.len() > MAX_UNIT_SHEETS {
        return Err(AppError::Refused(vec![
            Msg::new("batch.too_many_sheets")
                .with("count", units.len())
                .with("max", MAX_UNIT_SHEETS),
        ]));
    }
    let year = c.year;
    let bytes = tokio::task::spawn_blocking(move || {
        if sheets {
            shanghui_files::write_reports_sheets_xlsx(&t, year, &units, lang)
        } else {
            shanghui_files::write_reports_rows_xlsx(&t, year, &units, lang)
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(
        XLSX,
        &file_name(&c, &node, lang, "xlsx"),
        "reports.xlsx",
        bytes,
    ))
}

/// `GET /campaigns/{id}/reports.csv?node=ORG_ID`: layout (a) as CSV.
pub async fn csv(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
    Query(q): Query<Params>,
) -> Result<Response, AppError> {
    let (c, node) = target(&state, &viewer, ids.id, q.node.as_deref()).await?;
    let (t, units) = units(&state, &c, &node).await?;
    let bytes = shanghui_files::write_reports_csv(&t, &units, lang);
    Ok(download(
        CSV,
        &file_name(&c, &node, lang, "csv"),
        "reports.csv",
        bytes,
    ))
}

fn import_row(r: &ReportRow) -> ImportRow {
    ImportRow {
        unit: UnitRef {
            id: r.id,
            uscc: r.uscc.clone(),
            name: r.name.clone(),
        },
        answers: r.answers.clone(),
        submitted_on: r.submitted_on,
    }
}

/// `POST /campaigns/{id}/import`: imports a filled file, all or nothing.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageCampaigns)?;
    let up = read_upload(mp).await?;
    check_token(&csrf, &up)?;
    let node = up
        .fields
        .iter()
        .find(|(k, _)| k == "node")
        .map(|(_, v)| v.clone());
    let (c, node) = target(&state, &viewer, ids.id, node.as_deref()).await?;
    let mut p = page(&viewer, lang, &csrf, &c, &node);
    let refuse = |mut p: ImportPage, located: Vec<Located>, status: StatusCode| {
        p.outcome = lang.tf("batch.failed", &[("count", &located.len().to_string())]);
        p.problems = located.iter().map(|l| ProblemRow::of(l, lang)).collect();
        Ok((status, p).into_response())
    };
    if up.too_large {
        let mb = (MAX_UPLOAD_BYTES / 1024 / 1024).to_string();
        let l = Located::file(Msg::new("import.too_large").with("max", mb));
        return refuse(p, vec![l], StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Some((name, bytes)) = up.file else {
        let l = Located::file(Msg::new("import.no_file"));
        return refuse(p, vec![l], StatusCode::UNPROCESSABLE_ENTITY);
    };
    let t = templates::get(&state.db, c.template_id).await?;
    let read = tokio::task::spawn_blocking(move || shanghui_files::read_reports(&bytes, &name, &t))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let rows = match read {
        Ok(rows) => rows,
        Err(located) => return refuse(p, located, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let import: Vec<ImportRow> = rows.iter().map(import_row).collect();
    match reports::import(&state.db, &viewer.scope, c.id, &import, &viewer.actor).await {
        Ok(s) => {
            p.ok = true;
            p.outcome = lang.tf(
                "batch.done",
                &[
                    ("created", &s.created.to_string()),
                    ("updated", &s.updated.to_string()),
                    ("unchanged", &s.unchanged.to_string()),
                ],
            );
            Ok(p.into_response())
        }
        // Each refused row with its place in the file.
        Err(StoreError::RejectedRows(problems)) => {
            let located = problems
                .into_iter()
                .map(|(i, m)| match rows.get(i) {
                    Some(r) => {
                        let l = Located::in_sheet(&r.sheet, m).row(r.row);
                        match r.name.as_deref().or(r.uscc.as_deref()) {
                            Some(v) => l.value(v),
                            None => l,
                        }
                    }
                    None => Located::file(m),
                })
                .collect();
            refuse(p, located, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}
