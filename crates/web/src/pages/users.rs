//! Account administration: an administrator creates accounts only inside its own scope and gives
//! only roles it holds; a chamber's account passes to a new secretary by a new name and password,
//! keeping its history.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::Lang;
use shanghui_core::account::{Permission, Role, check_password};
use shanghui_store::StoreError;
use shanghui_store::accounts::{self, Profile, User};

use super::{Posted, Viewer, local_time, value};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};

pub struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    unit: String,
    state: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
pub struct UsersPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    rows: Vec<UserRow>,
}

fn state_label(u: &User, lang: Lang) -> String {
    if u.disabled {
        lang.t("users.disabled").to_string()
    } else if accounts::locked(u, chrono::Utc::now()) {
        lang.t("users.locked").to_string()
    } else {
        lang.t("users.active").to_string()
    }
}

#[derive(serde::Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(done): Query<Done>,
) -> Result<UsersPage, AppError> {
    viewer.require(Permission::ManageUsers)?;
    let rows = accounts::list(&state.db, &viewer.scope)
        .await?
        .into_iter()
        .map(|(u, unit)| UserRow {
            id: u.id,
            state: state_label(&u, lang),
            username: u.username,
            display_name: u.display_name,
            role: u.role.label(lang).to_string(),
            unit: unit.unwrap_or_else(|| lang.t("users.whole_registry").to_string()),
        })
        .collect();
    let flash = done.done.as_deref().map(|d| match d {
        "created" => lang.t("users.created").to_string(),
        _ => lang.t("users.saved").to_string(),
    });
    Ok(UsersPage {
        lang,
        flash,
        me: Some(viewer.me(lang, &csrf)),
        rows,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "user_form.html")]
pub struct UserForm {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    /// `None` for a new account.
    id: Option<i64>,
    username: String,
    display_name: String,
    role: String,
    roles: Vec<(String, String)>,
    organization_id: String,
    disabled: bool,
    errors: Vec<String>,
    created_at: String,
}

fn roles_for(viewer: &Viewer, lang: Lang) -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .filter(|r| viewer.role().can_grant(**r))
        .map(|r| (r.code().to_string(), r.label(lang).to_string()))
        .collect()
}

fn blank_form(viewer: &Viewer, lang: Lang, csrf: &Token) -> UserForm {
    UserForm {
        lang,
        flash: None,
        me: Some(viewer.me(lang, csrf)),
        csrf: csrf.0.clone(),
        id: None,
        username: String::new(),
        display_name: String::new(),
        role: Role::FedStaff.code().into(),
        roles: roles_for(viewer, lang),
        organization_id: viewer
            .user
            .organization_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        disabled: false,
        errors: Vec::new(),
        created_at: String::new(),
    }
}

pub async fn new_page(
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
) -> Result<UserForm, AppError> {
    viewer.require(Permission::ManageUsers)?;
    Ok(blank_form(&viewer, lang, &csrf))
}

#[derive(serde::Deserialize)]
pub struct UserFields {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    username: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    organization_id: Option<String>,
    password: Option<String>,
    disabled: Option<String>,
}

/// A posted account form: allowed for the role, with this browser's CSRF token.
fn accept(viewer: &Viewer, csrf: &Token, f: &UserFields) -> Result<(), AppError> {
    viewer.require(Permission::ManageUsers)?;
    if csrf::verify(csrf, f.token.as_deref()) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

/// An account id from the path; anything but a number is not found.
fn user_id(raw: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

fn profile(f: &UserFields) -> Result<Profile, String> {
    let role = f
        .role
        .as_deref()
        .and_then(Role::from_code)
        .ok_or_else(|| "account.role_required".to_string())?;
    let org = f
        .organization_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let organization_id = match org {
        None => None,
        Some(s) => Some(
            value::parse_int(s.trim_start_matches('#'))
                .ok_or_else(|| "account.unit_required".to_string())?,
        ),
    };
    Ok(Profile {
        display_name: f.display_name.clone().unwrap_or_default(),
        role,
        organization_id,
    })
}

fn store_errors(e: StoreError, lang: Lang) -> Result<Vec<String>, AppError> {
    match e {
        StoreError::Rejected(ps) => Ok(ps.iter().map(|p| p.render(lang)).collect()),
        StoreError::NotFound => Err(AppError::NotFound),
        other => Err(other.into()),
    }
}

pub async fn new_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Posted(f): Posted<UserFields>,
) -> Result<Response, AppError> {
    accept(&viewer, &csrf, &f)?;
    let username = f.username.clone().unwrap_or_default().trim().to_string();
    let password = f.password.clone().unwrap_or_default();
    let mut errors = Vec::new();
    let prof = profile(&f)
        .map_err(|k| errors.push(lang.t(&k).to_string()))
        .ok();
    if let Err(m) = check_password(&password, &username) {
        errors.push(m.render(lang));
    }
    if errors.is_empty()
        && let Some(prof) = &prof
    {
        let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        match accounts::create(
            &state.db,
            &viewer.scope,
            viewer.role(),
            &username,
            prof,
            hash,
            &viewer.actor,
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to("/users?done=created").into_response()),
            Err(e) => errors = store_errors(e, lang)?,
        }
    }
    let mut page = blank_form(&viewer, lang, &csrf);
    page.username = username;
    page.display_name = f.display_name.unwrap_or_default();
    page.role = f.role.unwrap_or_default();
    page.organization_id = f.organization_id.unwrap_or_default();
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn edit_form(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    lang: Lang,
    csrf: &Token,
) -> Result<UserForm, AppError> {
    let u = accounts::get(&state.db, &viewer.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = blank_form(viewer, lang, csrf);
    page.id = Some(u.id);
    page.organization_id = u.organization_id.map(|i| i.to_string()).unwrap_or_default();
    page.role = u.role.code().to_string();
    page.disabled = u.disabled;
    page.created_at = local_time(u.created_at);
    page.display_name = u.display_name;
    page.username = u.username;
    Ok(page)
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Path(id): Path<String>,
) -> Result<UserForm, AppError> {
    viewer.require(Permission::ManageUsers)?;
    let id = user_id(&id)?;
    edit_form(&state, &viewer, id, lang, &csrf).await
}

pub async fn edit_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Path(id): Path<String>,
    Posted(f): Posted<UserFields>,
) -> Result<Response, AppError> {
    accept(&viewer, &csrf, &f)?;
    let id = user_id(&id)?;
    let errors = match profile(&f) {
        Err(k) => vec![lang.t(&k).to_string()],
        Ok(prof) => {
            let disabled = f.disabled.is_some();
            match accounts::update(
                &state.db,
                &viewer.scope,
                viewer.role(),
                id,
                &prof,
                disabled,
                &viewer.actor,
            )
            .await
            {
                Ok(_) => return Ok(Redirect::to("/users?done=saved").into_response()),
                Err(e) => store_errors(e, lang)?,
            }
        }
    };
    let mut page = edit_form(&state, &viewer, id, lang, &csrf).await?;
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A new password set by an administrator: a reset, or a chamber account handed to a new
/// secretary (with the new display name). The account keeps its id and its history.
pub async fn password_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Path(id): Path<String>,
    Posted(f): Posted<UserFields>,
) -> Result<Response, AppError> {
    accept(&viewer, &csrf, &f)?;
    let id = user_id(&id)?;
    let u = accounts::get(&state.db, &viewer.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !viewer.role().can_grant(u.role) {
        return Err(AppError::Forbidden);
    }
    let password = f.password.clone().unwrap_or_default();
    let mut errors = Vec::new();
    if let Err(m) = check_password(&password, &u.username) {
        errors.push(m.render(lang));
    }
    if errors.is_empty() {
        let name = f
            .display_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if let Some(name) = name
            && name != u.display_name
        {
            let prof = Profile {
                display_name: name.to_string(),
                role: u.role,
                organization_id: u.organization_id,
            };
            if let Err(e) = accounts::update(
                &state.db,
                &viewer.scope,
                viewer.role(),
                id,
                &prof,
                u.disabled,
                &viewer.actor,
            )
            .await
            {
                errors = store_errors(e, lang)?;
            }
        }
    }
    if errors.is_empty() {
        let hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        accounts::set_password(&state.db, &u, hash, &viewer.actor).await?;
        return Ok(Redirect::to("/users?done=saved").into_response());
    }
    let mut page = edit_form(&state, &viewer, id, lang, &csrf).await?;
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
