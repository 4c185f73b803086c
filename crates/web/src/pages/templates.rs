//! Annual-report templates (年报模板): the versions, one version's items, its XLSForm workbook,
//! and a new version uploaded as a workbook. Versions are shared by every federation and never
//! change once saved; editing in the web is `template_edit.rs`.

use askama_web::WebTemplate;
use axum::extract::{Extension, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::Permission;
use shanghui_core::template::{Item, ItemType, Template};
use shanghui_core::{Lang, Msg};
use shanghui_files::Located;
use shanghui_store::{StoreError, templates};

use super::campaigns::Ids;
use super::upload::{XLSX, check_token, download, read_upload};
use super::{Viewer, local_time};
use crate::auth::Me;
use crate::csrf::Token;
use crate::lang::ReaderLang;
use crate::{AppError, AppState, MAX_UPLOAD_BYTES};

pub struct VersionRow {
    id: i64,
    form_id: String,
    version: i64,
    title: String,
    items: usize,
    created: String,
    campaigns: i64,
}

/// A problem of an uploaded file, in the columns of the import pages.
pub struct ProblemRow {
    pub sheet: String,
    pub row: String,
    pub column: String,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl ProblemRow {
    pub fn of(l: &Located, lang: Lang) -> Self {
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
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "templates.html")]
pub struct TemplatesPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    rows: Vec<VersionRow>,
    can_manage: bool,
    outcome: String,
    problems: Vec<ProblemRow>,
}

fn title_of(t: &Template, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => t.title_zh.clone(),
        Lang::En => t.title_en.clone(),
    }
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
) -> Result<TemplatesPage, AppError> {
    let rows = templates::list(&state.db)
        .await?
        .into_iter()
        .map(|t| VersionRow {
            id: t.id,
            form_id: t.form_id,
            version: t.version,
            title: match lang {
                Lang::ZhCn => t.title_zh,
                Lang::En => t.title_en,
            },
            items: t.items,
            created: format!("{} · {}", local_time(t.created_at), t.created_by),
            campaigns: t.campaigns,
        })
        .collect();
    Ok(TemplatesPage {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        rows,
        can_manage: viewer.can(Permission::ManageTemplates),
        outcome: String::new(),
        problems: Vec::new(),
    })
}

/// `GET /templates`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<TemplatesPage, AppError> {
    viewer.require(Permission::ViewReports)?;
    list_page(&state, &viewer, lang, &csrf).await
}

/// `POST /templates`: a workbook as a new version. Every problem is listed with its place and
/// nothing is saved while there is one; a version number already used is refused.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    viewer.require(Permission::ManageTemplates)?;
    let up = read_upload(mp).await?;
    check_token(&csrf, &up)?;
    let page = list_page(&state, &viewer, lang, &csrf).await?;
    let refuse = |mut page: TemplatesPage, located: Vec<Located>, status: StatusCode| {
        page.outcome = lang.tf(
            "template.upload_failed",
            &[("count", &located.len().to_string())],
        );
        page.problems = located.iter().map(|l| ProblemRow::of(l, lang)).collect();
        Ok((status, page).into_response())
    };
    if up.too_large {
        let mb = (MAX_UPLOAD_BYTES / 1024 / 1024).to_string();
        let l = Located::file(Msg::new("import.too_large").with("max", mb));
        return refuse(page, vec![l], StatusCode::PAYLOAD_TOO_LARGE);
    }
    let Some((name, bytes)) = up.file else {
        let l = Located::file(Msg::new("import.no_file"));
        return refuse(page, vec![l], StatusCode::UNPROCESSABLE_ENTITY);
    };
    let read =
        tokio::task::spawn_blocking(move || shanghui_files::read_template_workbook(&bytes, &name))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    let t = match read {
        Ok(t) => t,
        Err(located) => return refuse(page, located, StatusCode::UNPROCESSABLE_ENTITY),
    };
    match templates::save(&state.db, &t, &viewer.actor).await {
        Ok(id) => Ok(Redirect::to(&format!("/templates/{id}?done=created")).into_response()),
        Err(StoreError::Rejected(ps)) => {
            let located = ps.into_iter().map(|p| Located::file(p.msg)).collect();
            refuse(page, located, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => Err(e.into()),
    }
}

/// An item's type as staff read it: the kind in words and, for choices, the list.
pub fn type_label(ty: &ItemType, lang: Lang) -> String {
    match ty {
        ItemType::Integer => lang.t("template.type.integer").to_string(),
        ItemType::Decimal => lang.t("template.type.decimal").to_string(),
        ItemType::Text => lang.t("template.type.text").to_string(),
        ItemType::YesNo => lang.t("template.type.yes_no").to_string(),
        ItemType::Date => lang.t("template.type.date").to_string(),
        ItemType::Choice(l) => lang.tf("template.type.choice", &[("list", l)]),
        ItemType::MultiChoice(l) => lang.tf("template.type.multi", &[("list", l)]),
    }
}

/// `party_org = 否`: a condition as the workbook and the edit form write it.
pub fn condition_text(item: &Item) -> String {
    item.relevant
        .as_ref()
        .map(|c| {
            format!(
                "{} {} {}",
                c.item,
                if c.negated { "!=" } else { "=" },
                shanghui_core::report::raw(&c.value)
            )
        })
        .unwrap_or_default()
}

pub fn section_label(t: &Template, code: &str, lang: Lang) -> String {
    t.choices
        .iter()
        .find(|c| c.list == "section" && c.code == code)
        .map(|c| match lang {
            Lang::ZhCn => c.label_zh.clone(),
            Lang::En => c.label_en.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

pub struct ItemRow {
    number: String,
    code: String,
    label: String,
    ty: String,
    required: bool,
    bounds: String,
    condition: String,
    section: String,
    rule: String,
    severity: String,
    hint: String,
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "template.html")]
pub struct TemplatePage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    id: i64,
    title: String,
    form_id: String,
    version: u32,
    items: Vec<ItemRow>,
    /// (list, code, label).
    choices: Vec<(String, String, String)>,
    can_manage: bool,
}

fn number(n: f64) -> String {
    shanghui_core::report::decimal_text(n)
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /templates/{id}`: a version's items.
pub async fn view(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ids: Ids,
    Query(q): Query<Done>,
) -> Result<TemplatePage, AppError> {
    viewer.require(Permission::ViewReports)?;
    let t = templates::get(&state.db, ids.id).await?;
    let items = t
        .items
        .iter()
        .map(|i| ItemRow {
            number: i.counted.map(|n| n.to_string()).unwrap_or_default(),
            code: i.code.clone(),
            label: i.label(lang).to_string(),
            ty: type_label(&i.ty, lang),
            required: i.required,
            bounds: match (i.min, i.max) {
                (None, None) => String::new(),
                (a, b) => format!(
                    "{} – {}",
                    a.map(number).unwrap_or_default(),
                    b.map(number).unwrap_or_default()
                ),
            },
            condition: condition_text(i),
            section: section_label(&t, &i.section, lang),
            rule: i.rule.clone(),
            severity: i
                .severity
                .as_deref()
                .map(|s| lang.t(&format!("template.severity.{s}")).to_string())
                .unwrap_or_default(),
            hint: match lang {
                Lang::ZhCn => i.hint_zh.clone(),
                Lang::En => i.hint_en.clone(),
            },
        })
        .collect();
    let choices = t
        .choices
        .iter()
        .map(|c| {
            (
                c.list.clone(),
                c.code.clone(),
                match lang {
                    Lang::ZhCn => c.label_zh.clone(),
                    Lang::En => c.label_en.clone(),
                },
            )
        })
        .collect();
    Ok(TemplatePage {
        flash: (q.done.as_deref() == Some("created")).then(|| {
            lang.tf(
                "template.flash_created",
                &[("version", &t.version.to_string())],
            )
        }),
        me: Some(viewer.me(lang, &csrf)),
        lang,
        id: ids.id,
        title: title_of(&t, lang),
        form_id: t.form_id.clone(),
        version: t.version,
        items,
        choices,
        can_manage: viewer.can(Permission::ManageTemplates),
    })
}

/// `GET /templates/{id}/template.xlsx`: the version as an XLSForm workbook to edit in Excel.
pub async fn download_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    ids: Ids,
) -> Result<Response, AppError> {
    viewer.require(Permission::ViewReports)?;
    let t = templates::get(&state.db, ids.id).await?;
    let name = format!("{}-v{}.xlsx", t.form_id, t.version);
    let bytes = tokio::task::spawn_blocking(move || shanghui_files::write_template_xlsx(&t, lang))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(download(XLSX, &name, &name, bytes))
}
