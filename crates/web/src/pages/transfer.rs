//! Import and export of the registry as spreadsheets, and the template workbook.

use std::collections::BTreeSet;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Multipart, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use shanghui_core::field::Field;
use shanghui_core::org::OrgInput;
use shanghui_core::{Lang, Msg, Scope};
use shanghui_files::{Located, RegistryRow};
use shanghui_store::import::{ImportError, ImportRow, import};
use shanghui_store::orgs;

use super::{OrgId, Viewer};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState, MAX_UPLOAD_BYTES};
use shanghui_core::account::Permission;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `attachment` with an ASCII fallback name and the real (Chinese) one per RFC 6266/5987.
fn attachment(name: &str, fallback: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// The rows of an export: every record in the subtree, parents first, each naming its parent as
/// `名称 #编号` so the file can be edited and imported back.
async fn export_rows(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    lang: Lang,
) -> Result<(String, Vec<OrgInput>), AppError> {
    let root = orgs::require(&state.db, &viewer.scope, id).await?;
    let list = orgs::list(
        &state.db,
        &Scope::subtree(root.path.clone()),
        &orgs::Filter::default(),
    )
    .await?;
    let rows = shanghui_core::org::export_rows(&list, lang);
    Ok((root.record.name.clone(), rows))
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    OrgId(id): OrgId,
) -> Result<Response, AppError> {
    viewer.require(Permission::ViewRegistry)?;
    let (name, rows) = export_rows(&state, &viewer, id, lang).await?;
    let bytes =
        tokio::task::spawn_blocking(move || shanghui_files::write_registry_xlsx(&rows, lang))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
    let disposition = attachment(&format!("{name}.xlsx"), "registry.xlsx");
    Ok((
        [
            (CONTENT_TYPE, XLSX.to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

pub async fn export_csv(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    OrgId(id): OrgId,
) -> Result<Response, AppError> {
    viewer.require(Permission::ViewRegistry)?;
    let (name, rows) = export_rows(&state, &viewer, id, lang).await?;
    let bytes = shanghui_files::write_registry_csv(&rows, lang);
    let disposition = attachment(&format!("{name}.csv"), "registry.csv");
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

pub async fn template(viewer: Viewer, ReaderLang(lang): ReaderLang) -> Result<Response, AppError> {
    viewer.require(Permission::TransferRegistry)?;
    let bytes = shanghui_files::registry_template_xlsx(lang)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("{}.xlsx", lang.t("nav.template"));
    Ok((
        [
            (CONTENT_TYPE, XLSX.to_string()),
            (CONTENT_DISPOSITION, attachment(&name, "template.xlsx")),
        ],
        bytes,
    )
        .into_response())
}

pub struct ProblemRow {
    sheet: String,
    row: String,
    column: String,
    field: String,
    value: String,
    reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
pub struct ImportPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    outcome: String,
    problems: Vec<ProblemRow>,
}

fn problem_row(l: &Located, lang: Lang) -> ProblemRow {
    ProblemRow {
        sheet: l.sheet.clone(),
        row: l.row.map(|r| r.to_string()).unwrap_or_default(),
        column: l.column.clone().unwrap_or_default(),
        field: l
            .field
            .map(|f| f.label(lang).to_string())
            .or_else(|| l.header.clone())
            .unwrap_or_default(),
        value: l.value.clone().unwrap_or_default(),
        reason: l.msg.render(lang),
    }
}

pub async fn import_page(
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<ImportPage, AppError> {
    viewer.require(Permission::TransferRegistry)?;
    Ok(ImportPage {
        me: Some(viewer.me(lang, &csrf)),
        lang,
        flash: None,
        csrf: csrf.0,
        outcome: String::new(),
        problems: Vec::new(),
    })
}

/// Reads the multipart form: the CSRF token and the file (name and bytes), within the size limit.
async fn read_upload(
    mut mp: Multipart,
) -> Result<(Option<String>, Option<(String, Vec<u8>)>, bool), AppError> {
    let (mut token, mut file, mut too_large) = (None, None, false);
    while let Some(mut field) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        match field.name() {
            Some(csrf::FIELD) => {
                token = Some(field.text().await.map_err(|_| AppError::BadRequest)?)
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|_| AppError::BadRequest)? {
                    if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                        too_large = true;
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if !name.is_empty() && !bytes.is_empty() {
                    file = Some((name, bytes));
                }
            }
            _ => {}
        }
        if too_large {
            break;
        }
    }
    Ok((token, file, too_large))
}

pub async fn import_upload(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    viewer.require(Permission::TransferRegistry)?;
    let (token, file, too_large) = read_upload(mp.map_err(|_| AppError::BadRequest)?).await?;
    if !csrf::verify(&csrf, token.as_deref()) {
        return Err(AppError::Csrf);
    }
    let mut page = ImportPage {
        me: Some(viewer.me(lang, &csrf)),
        lang,
        flash: None,
        csrf: csrf.0.clone(),
        outcome: String::new(),
        problems: Vec::new(),
    };
    let fail = |page: &mut ImportPage, located: Vec<Located>| {
        page.outcome = lang.tf("import.failed", &[("count", &located.len().to_string())]);
        page.problems = located.iter().map(|l| problem_row(l, lang)).collect();
    };
    if too_large {
        let mb = (MAX_UPLOAD_BYTES / 1024 / 1024).to_string();
        fail(
            &mut page,
            vec![Located::file(Msg::new("import.too_large").with("max", mb))],
        );
        return Ok((StatusCode::PAYLOAD_TOO_LARGE, page).into_response());
    }
    let Some((name, bytes)) = file else {
        fail(&mut page, vec![Located::file(Msg::new("import.no_file"))]);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let read = tokio::task::spawn_blocking(move || shanghui_files::read_registry(&bytes, &name))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let rows: Vec<RegistryRow> = match read {
        Ok(rows) => rows,
        Err(located) => {
            fail(&mut page, located);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let columns: BTreeSet<Field> = rows
        .iter()
        .flat_map(|r| r.columns.keys().copied())
        .collect();
    let import_rows: Vec<ImportRow> = rows
        .iter()
        .map(|r| ImportRow {
            place: lang.tf(
                "import.place",
                &[("sheet", &r.sheet), ("row", &r.row.to_string())],
            ),
            input: r.input.clone(),
        })
        .collect();
    match import(
        &state.db,
        &viewer.scope,
        &state.divisions,
        &import_rows,
        &columns,
        super::today(),
        &viewer.actor,
    )
    .await
    {
        Ok(s) => {
            page.outcome = lang.tf(
                "import.done",
                &[
                    ("created", &s.created.to_string()),
                    ("updated", &s.updated.to_string()),
                    ("moved", &s.moved.to_string()),
                    ("unchanged", &s.unchanged.to_string()),
                ],
            );
            Ok(page.into_response())
        }
        Err(ImportError::Rejected(problems)) => {
            let located: Vec<Located> = problems
                .iter()
                .map(|p| Located::from_problem(&rows[p.index], &p.problem))
                .collect();
            fail(&mut page, located);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}
