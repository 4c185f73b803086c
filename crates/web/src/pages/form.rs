//! Create, edit, move and dissolve: POST, check, 303 with a flash, or the form again with every
//! problem next to its field.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::field::Field;
use shanghui_core::org::{
    ChamberCategory, FederationLevel, OrgInput, OrgKind, OrgStatus, Organization, PartyOrgForm,
    parse_org,
};
use shanghui_core::problem::Severity;
use shanghui_core::{Lang, Msg, Problem, value};
use shanghui_store::{StoreError, orgs, registry};

use super::tree::unit_page;
use super::{OrgId, Posted, Viewer};
use crate::auth::Me;
use crate::csrf::{self, Token};
use crate::lang::ReaderLang;
use crate::{AppError, AppState};
use shanghui_core::account::Permission;

pub struct FieldView {
    pub code: &'static str,
    pub label: &'static str,
    pub value: String,
    /// "text", "date" or "count": how the input is typed.
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub required: bool,
    pub help: String,
    pub errors: Vec<String>,
    pub warning: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "form.html")]
pub struct FormPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    crumbs: Vec<(i64, String)>,
    title: String,
    action: String,
    cancel: String,
    csrf: String,
    version: i64,
    fields: Vec<FieldView>,
    general: Vec<String>,
    error_count: usize,
    error_summary: String,
}

/// Fields a form edits: all but the ID and the parent, which have their own actions.
fn editable() -> impl Iterator<Item = Field> {
    Field::ALL.iter().copied().filter(|f| {
        !matches!(
            f,
            Field::Id | Field::Parent | Field::Status | Field::DissolvedOn
        )
    })
}

fn options(f: Field, lang: Lang) -> Vec<(String, String)> {
    fn of<T: Copy>(
        all: &[T],
        code: impl Fn(T) -> &'static str,
        label: impl Fn(T) -> &'static str,
    ) -> Vec<(String, String)> {
        all.iter()
            .map(|&v| (code(v).to_string(), label(v).to_string()))
            .collect()
    }
    match f {
        Field::Kind => of(OrgKind::ALL, OrgKind::code, |v| v.label(lang)),
        Field::Level => of(FederationLevel::ALL, FederationLevel::code, |v| {
            v.label(lang)
        }),
        Field::Category => of(ChamberCategory::ALL, ChamberCategory::code, |v| {
            v.label(lang)
        }),
        Field::PartyOrgForm => of(PartyOrgForm::ALL, PartyOrgForm::code, |v| v.label(lang)),
        Field::Status => of(OrgStatus::ALL, OrgStatus::code, |v| v.label(lang)),
        Field::Registered | Field::PartyOrg => {
            vec![
                ("yes".into(), lang.t("yes").into()),
                ("no".into(), lang.t("no").into()),
            ]
        }
        _ => Vec::new(),
    }
}

/// The value a select holds: the code of whatever the input says, in any spelling.
fn option_value(f: Field, v: &str) -> String {
    let code = match f {
        Field::Kind => OrgKind::parse(v).map(OrgKind::code),
        Field::Level => FederationLevel::parse(v).map(FederationLevel::code),
        Field::Category => ChamberCategory::parse_lenient(v).map(ChamberCategory::code),
        Field::PartyOrgForm => PartyOrgForm::parse(v).map(PartyOrgForm::code),
        Field::Status => OrgStatus::parse(v).map(OrgStatus::code),
        Field::Registered | Field::PartyOrg => {
            value::parse_bool(v).map(|b| if b { "yes" } else { "no" })
        }
        _ => None,
    };
    code.map(str::to_string).unwrap_or_else(|| v.to_string())
}

fn field_views(input: &OrgInput, problems: &[Problem], lang: Lang) -> Vec<FieldView> {
    editable()
        .map(|f| {
            let raw = input.get(&f).cloned().unwrap_or_default();
            let opts = options(f, lang);
            let mine: Vec<&Problem> = problems.iter().filter(|p| p.field == Some(f)).collect();
            FieldView {
                code: f.code(),
                label: f.label(lang),
                value: if opts.is_empty() {
                    raw
                } else {
                    option_value(f, &raw)
                },
                kind: match f {
                    Field::FoundedOn | Field::LastReelection | Field::DissolvedOn => "date",
                    Field::MembersUnit
                    | Field::MembersIndividual
                    | Field::MembersTotal
                    | Field::CouncilSize
                    | Field::StandingCouncilSize => "count",
                    _ => "text",
                },
                options: opts,
                required: matches!(f, Field::Kind | Field::Name | Field::DivisionCode),
                help: match f {
                    Field::Uscc => lang.t("form.uscc_help").to_string(),
                    Field::DivisionCode => lang.t("form.division_help").to_string(),
                    Field::MembersTotal => lang.t("form.members_total_help").to_string(),
                    _ => String::new(),
                },
                warning: mine.iter().any(|p| p.severity == Severity::Warning),
                errors: mine.iter().map(|p| p.render(lang)).collect(),
            }
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    viewer: &Viewer,
    lang: Lang,
    crumbs: Vec<(i64, String)>,
    title: String,
    action: String,
    cancel: String,
    csrf: &Token,
    version: i64,
    input: &OrgInput,
    problems: &[Problem],
) -> FormPage {
    let general: Vec<String> = problems
        .iter()
        .filter(|p| p.field.is_none())
        .map(|p| p.render(lang))
        .collect();
    let error_count = problems.iter().filter(|p| p.field.is_some()).count();
    FormPage {
        me: Some(viewer.me(lang, csrf)),
        lang,
        flash: None,
        crumbs,
        title,
        action,
        cancel,
        csrf: csrf.0.clone(),
        version,
        fields: field_views(input, problems, lang),
        general,
        error_count,
        error_summary: lang.tf("form.has_errors", &[("count", &error_count.to_string())]),
    }
}

/// A posted form: the CSRF token, the version the editor started from, and the fields.
struct FormFields {
    token: Option<String>,
    version: i64,
    input: OrgInput,
}

fn read_posted(pairs: Vec<(String, String)>) -> FormFields {
    let mut p = FormFields {
        token: None,
        version: 0,
        input: OrgInput::new(),
    };
    for (k, v) in pairs {
        match k.as_str() {
            csrf::FIELD => p.token = Some(v),
            "version" => p.version = v.trim().parse().unwrap_or(0),
            code => {
                if let Some(f) = Field::from_code(code) {
                    p.input.insert(f, v);
                }
            }
        }
    }
    p
}

/// Problems the store found, placed on their fields (a parent problem has no field of the form).
fn store_problems(e: StoreError) -> Result<Vec<Problem>, AppError> {
    match e {
        StoreError::Rejected(ps) => Ok(ps
            .into_iter()
            .map(|mut p| {
                if p.field == Some(Field::Parent) {
                    p.field = None;
                }
                p
            })
            .collect()),
        StoreError::Conflict => Ok(vec![Problem::general(Msg::new("problem.version_conflict"))]),
        other => Err(other.into()),
    }
}

/// Which form: editing a unit, or adding one below a parent.
enum Purpose<'a> {
    Edit(&'a Organization),
    New(&'a Organization),
}

/// The form page for `purpose`, filled with `input` and showing `problems`.
#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    csrf: &Token,
    purpose: Purpose<'_>,
    version: i64,
    input: &OrgInput,
    problems: &[Problem],
) -> Result<FormPage, AppError> {
    let (org, title, action) = match purpose {
        Purpose::Edit(o) => (
            o,
            lang.tf("form.edit_title", &[("name", &o.record.name)]),
            format!("/orgs/{}/edit", o.id),
        ),
        Purpose::New(p) => (
            p,
            lang.tf("form.new_title", &[("parent", &p.record.name)]),
            format!("/orgs/{}/new", p.id),
        ),
    };
    let mut crumbs = orgs::ancestors(&state.db, &viewer.scope, org).await?;
    crumbs.push((org.id, org.record.name.clone()));
    Ok(form_page(
        viewer,
        lang,
        crumbs,
        title,
        action,
        format!("/orgs/{}", org.id),
        csrf,
        version,
        input,
        problems,
    ))
}

/// A form post: allowed for the role, carrying this browser's CSRF token.
fn accept(viewer: &Viewer, csrf: &Token, posted: &FormFields) -> Result<(), AppError> {
    viewer.require(Permission::EditRegistry)?;
    if csrf::verify(csrf, posted.token.as_deref()) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(id): OrgId,
) -> Result<FormPage, AppError> {
    viewer.require(Permission::EditRegistry)?;
    let org = orgs::require(&state.db, &viewer.scope, id).await?;
    let input = org.record.to_input(lang);
    render(
        &state,
        &viewer,
        lang,
        &csrf,
        Purpose::Edit(&org),
        org.version,
        &input,
        &[],
    )
    .await
}

pub async fn edit_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(id): OrgId,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = read_posted(pairs);
    accept(&viewer, &csrf, &posted)?;
    let org = orgs::require(&state.db, &viewer.scope, id).await?;
    let mut input = posted.input.clone();
    // Status changes go through the dissolve action; the form keeps what is stored.
    let stored = org.record.to_input(Lang::ZhCn);
    for f in [Field::Status, Field::DissolvedOn] {
        match stored.get(&f) {
            Some(v) => input.insert(f, v.clone()),
            None => input.remove(&f),
        };
    }
    let problems = match parse_org(&input, &state.divisions, super::today()) {
        Ok(draft) => match registry::update(
            &state.db,
            &viewer.scope,
            id,
            posted.version,
            &draft,
            &viewer.actor,
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to(&format!("/orgs/{id}?done=saved")).into_response()),
            Err(e) => store_problems(e)?,
        },
        Err(ps) => ps,
    };
    let conflict = problems
        .iter()
        .any(|p| p.msg.key == "problem.version_conflict");
    // After a conflict the form carries the new version, so saving again overwrites knowingly.
    let version = if conflict {
        org.version
    } else {
        posted.version
    };
    let page = render(
        &state,
        &viewer,
        lang,
        &csrf,
        Purpose::Edit(&org),
        version,
        &posted.input,
        &problems,
    )
    .await?;
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, page).into_response())
}

pub async fn new_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(parent): OrgId,
) -> Result<FormPage, AppError> {
    viewer.require(Permission::EditRegistry)?;
    let p = orgs::require(&state.db, &viewer.scope, parent).await?;
    // A new unit is most often a chamber in the parent's own division.
    let mut input = OrgInput::new();
    input.insert(Field::Kind, OrgKind::Chamber.code().into());
    if let Some(d) = &p.record.division_code {
        input.insert(Field::DivisionCode, d.to_string());
    }
    render(
        &state,
        &viewer,
        lang,
        &csrf,
        Purpose::New(&p),
        0,
        &input,
        &[],
    )
    .await
}

pub async fn new_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(parent): OrgId,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let posted = read_posted(pairs);
    accept(&viewer, &csrf, &posted)?;
    let p = orgs::require(&state.db, &viewer.scope, parent).await?;
    let problems = match parse_org(&posted.input, &state.divisions, super::today()) {
        Ok(draft) => match registry::create(
            &state.db,
            &viewer.scope,
            Some(parent),
            &draft,
            &viewer.actor,
        )
        .await
        {
            Ok(org) => {
                return Ok(Redirect::to(&format!("/orgs/{}?done=created", org.id)).into_response());
            }
            Err(e) => store_problems(e)?,
        },
        Err(ps) => ps,
    };
    let page = render(
        &state,
        &viewer,
        lang,
        &csrf,
        Purpose::New(&p),
        0,
        &posted.input,
        &problems,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(serde::Deserialize)]
pub struct ActionForm {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    parent: Option<String>,
    on: Option<String>,
}

/// The date of a move or dissolution: readable and not in the future.
fn action_date(raw: Option<&str>) -> Result<chrono::NaiveDate, Problem> {
    let raw = raw.unwrap_or("");
    match value::parse_date(raw) {
        Some(d) if d <= super::today() => Ok(d),
        Some(d) => Err(Problem::general(
            Msg::new("problem.future_date").with("value", d),
        )),
        None => Err(Problem::general(
            Msg::new("problem.bad_date_param").with("value", raw),
        )),
    }
}

async fn action_outcome(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    lang: Lang,
    csrf: &Token,
    result: Result<&'static str, Vec<Problem>>,
) -> Result<Response, AppError> {
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/orgs/{id}?done={done}")).into_response()),
        Err(problems) => {
            let errors = problems.iter().map(|p| p.render(lang)).collect();
            let page = unit_page(state, viewer, id, lang, csrf, None, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn move_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(id): OrgId,
    Posted(form): Posted<ActionForm>,
) -> Result<Response, AppError> {
    viewer.require(Permission::EditRegistry)?;
    if !csrf::verify(&csrf, form.token.as_deref()) {
        return Err(AppError::Csrf);
    }
    let raw_parent = form
        .parent
        .as_deref()
        .unwrap_or("")
        .trim()
        .trim_start_matches('#');
    let result = match (
        value::parse_int(raw_parent),
        action_date(form.on.as_deref()),
    ) {
        (None, _) => Err(vec![Problem::general(
            Msg::new("problem.id_unknown").with("value", raw_parent),
        )]),
        (_, Err(p)) => Err(vec![p]),
        (Some(parent), Ok(on)) => {
            match registry::move_to(&state.db, &viewer.scope, id, parent, on, &viewer.actor).await {
                Ok(_) => Ok("moved"),
                Err(StoreError::NotFound) => {
                    // The unit itself exists (the page re-renders it); the target does not, for this reader.
                    orgs::require(&state.db, &viewer.scope, id).await?;
                    Err(vec![Problem::general(
                        Msg::new("problem.not_found").with("id", parent),
                    )])
                }
                Err(e) => Err(store_problems(e)?),
            }
        }
    };
    action_outcome(&state, &viewer, id, lang, &csrf, result).await
}

pub async fn dissolve_save(
    State(state): State<AppState>,
    viewer: Viewer,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    OrgId(id): OrgId,
    Posted(form): Posted<ActionForm>,
) -> Result<Response, AppError> {
    viewer.require(Permission::EditRegistry)?;
    if !csrf::verify(&csrf, form.token.as_deref()) {
        return Err(AppError::Csrf);
    }
    let result = match action_date(form.on.as_deref()) {
        Err(p) => Err(vec![p]),
        Ok(on) => match registry::dissolve(&state.db, &viewer.scope, id, on, &viewer.actor).await {
            Ok(_) => Ok("dissolved"),
            Err(e) => Err(store_problems(e)?),
        },
    };
    action_outcome(&state, &viewer, id, lang, &csrf, result).await
}
