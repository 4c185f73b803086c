//! Signing in and out, and who is asking. A session is a random token in an HttpOnly cookie;
//! the database keeps only its hash, so several servers share sessions and a copy of the table
//! gives nothing away.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Extension, FromRequestParts, Query, State};
use axum::http::header::{SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use shanghui_core::account::{Permission, Role};
use shanghui_core::{Lang, Scope};
use shanghui_store::accounts::{self, User};
use shanghui_store::{Actor, audit};

use crate::csrf::{self, Token};
use crate::lang::{ReaderLang, cookie};
use crate::pages::Posted;
use crate::{AppError, AppState};

pub const SESSION_COOKIE: &str = "sid";

/// Failed sign-ins one address may make per minute, whatever the accounts. Only failures count:
/// a federation's office signs in many people from one address.
const FAILURES_PER_MINUTE: u32 = 20;

/// Counts failed sign-ins per address over a one-minute window.
#[derive(Default)]
pub struct RateLimiter {
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    fn with<T>(&self, ip: IpAddr, f: impl FnOnce(&mut (Instant, u32)) -> T) -> T {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if seen.len() > 10_000 {
            seen.retain(|_, (t, _)| now.duration_since(*t) < Duration::from_secs(60));
        }
        let e = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(e.0) >= Duration::from_secs(60) {
            *e = (now, 0);
        }
        f(e)
    }
    /// Whether `ip` may try to sign in now.
    pub fn allow(&self, ip: IpAddr) -> bool {
        self.with(ip, |e| e.1 < FAILURES_PER_MINUTE)
    }
    /// Records a failed sign-in from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        self.with(ip, |e| e.1 += 1);
    }
}

/// The signed-in user, their role and scope, and how their changes are recorded.
pub struct Viewer {
    pub user: User,
    pub scope: Scope,
    pub actor: Actor,
}

impl Viewer {
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn can(&self, p: Permission) -> bool {
        self.user.role.can(p)
    }
    /// Refuses with 403 unless the role allows `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
    /// A federation-side reader of the reports (not a chamber, not a third party): problem
    /// analysis and rule sets are theirs to read.
    pub fn staff_reader(&self) -> bool {
        self.can(Permission::ViewReports) && self.role() != Role::ChamberSecretary
    }
    /// May read the review rules (shared by every federation, like templates): reviewers, rule
    /// authors and federation staff.
    pub fn reads_rules(&self) -> bool {
        self.can(Permission::Review) || self.can(Permission::ManageRules) || self.staff_reader()
    }
    /// May read a campaign's problem analysis in scope. A third-party reviewer has no dashboards.
    pub fn analyses(&self) -> bool {
        self.staff_reader() && self.role() != Role::Reviewer
    }
    /// May run the rules over a campaign's reports in scope: staff who manage campaigns or review.
    pub fn runs_review(&self) -> bool {
        self.role() != Role::Reviewer
            && (self.can(Permission::ManageCampaigns) || self.can(Permission::Review))
    }
    /// What the navigation shows.
    pub fn me(&self, lang: Lang, csrf: &Token) -> Me {
        Me {
            csrf: csrf.0.clone(),
            name: self.user.display_name.clone(),
            role: self.user.role.label(lang).to_string(),
            manage_users: self.can(Permission::ManageUsers),
            view_audit: self.can(Permission::ViewAudit),
            transfer: self.can(Permission::TransferRegistry),
            edit: self.can(Permission::EditRegistry),
            reports: self.can(Permission::ViewReports),
            review: self.can(Permission::Review),
            rules: self.reads_rules(),
            analysis: self.analyses(),
            notices: self.can(Permission::ViewReports),
            issue_bulk: self.can(Permission::ManageCampaigns) && self.can(Permission::Review),
        }
    }
}

/// The signed-in user as the page header shows them.
#[derive(Clone, Debug, Default)]
pub struct Me {
    /// The CSRF token, for the sign-out form in the header.
    pub csrf: String,
    pub name: String,
    pub role: String,
    pub manage_users: bool,
    pub view_audit: bool,
    pub transfer: bool,
    pub edit: bool,
    /// Annual reports and campaigns (the 年报 link).
    pub reports: bool,
    /// Reviews reports (the 审查 link: a reviewer's queue, staff's campaigns to review).
    pub review: bool,
    /// Reads the review rules.
    pub rules: bool,
    /// Reads a campaign's problem analysis.
    pub analysis: bool,
    /// Reads rectification notices and their figures (the 整改 link).
    pub notices: bool,
    /// Issues rectification notices in bulk (for a node and a rule).
    pub issue_bulk: bool,
}

pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let next = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(AppError::Unauthenticated(next));
        };
        let Some((user, scope)) = accounts::session_user(&state.db, token).await? else {
            return Err(AppError::Unauthenticated(next));
        };
        let actor = Actor {
            user_id: Some(user.id),
            name: format!("{} ({})", user.display_name, user.username),
            from: client_ip(parts).map(|ip| ip.to_string()),
        };
        Ok(Viewer { user, scope, actor })
    }
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let c = format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    );
    HeaderValue::from_str(&c).expect("cookie text is ASCII")
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    lang: Lang,
    flash: Option<String>,
    me: Option<Me>,
    csrf: String,
    next: String,
    username: String,
    error: String,
}

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only paths on this site: `/orgs/3`, not `//evil.example` or `https://...`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and newlines from a Location, so "/\t/evil.example" would become
        // "//evil.example": refuse control characters as well as "//" and backslashes.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && !n[1..]
                    .trim_start_matches(|c: char| c.is_whitespace())
                    .starts_with('/') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

pub async fn login_page(
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    Query(q): Query<Next>,
) -> LoginPage {
    LoginPage {
        lang,
        flash: None,
        me: None,
        csrf: csrf.0,
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: String::new(),
    }
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(rename = "_csrf")]
    token: Option<String>,
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Extension(csrf): Extension<Token>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Posted(form): Posted<LoginForm>,
) -> Result<Response, AppError> {
    if !csrf::verify(&csrf, form.token.as_deref()) {
        return Err(AppError::Csrf);
    }
    let next = safe_next(form.next.as_deref());
    let username = form.username.trim().to_string();
    let page = |error: &str, status: StatusCode| {
        let p = LoginPage {
            lang,
            flash: None,
            me: None,
            csrf: csrf.0.clone(),
            next: next.clone(),
            username: username.clone(),
            error: lang.t(error).to_string(),
        };
        (status, p).into_response()
    };
    if !state.limiter.allow(addr.ip()) {
        return Ok(page("login.rate_limited", StatusCode::TOO_MANY_REQUESTS));
    }
    let actor = Actor {
        user_id: None,
        name: username.clone(),
        from: Some(addr.ip().to_string()),
    };
    let user = accounts::by_username(&state.db, &username).await?;
    let Some(user) = user else {
        // Hash anyway, so a missing account takes as long to refuse as a wrong password.
        let pw = form.password.clone();
        let _ = tokio::task::spawn_blocking(move || accounts::hash_password(&pw)).await;
        state.limiter.failed(addr.ip());
        audit::record(
            &state.db,
            &actor,
            "login.fail",
            None,
            &serde_json::json!({"username": username, "reason": "unknown"}),
        )
        .await?;
        return Ok(page("login.failed", StatusCode::UNAUTHORIZED));
    };
    let unit = match user.organization_id {
        Some(id) => shanghui_store::orgs::get(&state.db, &Scope::all(), id)
            .await?
            .map(|o| (o.id, o.path.as_str().to_string())),
        None => None,
    };
    let unit_ref = unit.as_ref().map(|(i, p)| (*i, p.as_str()));
    let actor = Actor {
        user_id: Some(user.id),
        name: format!("{} ({})", user.display_name, user.username),
        ..actor
    };
    if accounts::locked(&user, chrono::Utc::now()) {
        state.limiter.failed(addr.ip());
        audit::record(
            &state.db,
            &actor,
            "login.fail",
            unit_ref,
            &serde_json::json!({"username": username, "reason": "locked"}),
        )
        .await?;
        return Ok(page("login.locked", StatusCode::FORBIDDEN));
    }
    let (u, pw) = (user.clone(), form.password.clone());
    let ok = tokio::task::spawn_blocking(move || accounts::verify_password(&u, &pw))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    if !ok || user.disabled {
        state.limiter.failed(addr.ip());
        accounts::login_failed(&state.db, &user).await?;
        let reason = if user.disabled {
            "disabled"
        } else {
            "password"
        };
        audit::record(
            &state.db,
            &actor,
            "login.fail",
            unit_ref,
            &serde_json::json!({"username": username, "reason": reason}),
        )
        .await?;
        return Ok(page("login.failed", StatusCode::UNAUTHORIZED));
    }
    // A new token at every sign-in: a token planted before sign-in is worth nothing after it.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        accounts::end_session(&state.db, old).await?;
    }
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let token = accounts::start_session(&state.db, &user, Some(&addr.ip().to_string()), ua).await?;
    audit::record(
        &state.db,
        &actor,
        "login.ok",
        unit_ref,
        &serde_json::json!({"username": username}),
    )
    .await?;
    let mut resp = Redirect::to(&next).into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        session_cookie(&state, &token, accounts::SESSION_HOURS * 3600),
    );
    Ok(resp)
}

#[derive(serde::Deserialize)]
pub struct TokenOnly {
    #[serde(rename = "_csrf")]
    token: Option<String>,
}

async fn sign_out(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    everywhere: bool,
) -> Result<Response, AppError> {
    if everywhere {
        accounts::end_sessions(&state.db, viewer.user.id).await?;
    } else if let Some(t) = cookie(headers, SESSION_COOKIE) {
        accounts::end_session(&state.db, t).await?;
    }
    let action = if everywhere { "logout.all" } else { "logout" };
    let unit = match viewer.user.organization_id {
        Some(id) => shanghui_store::orgs::get(&state.db, &Scope::all(), id)
            .await?
            .map(|o| (o.id, o.path.as_str().to_string())),
        None => None,
    };
    audit::record(
        &state.db,
        &viewer.actor,
        action,
        unit.as_ref().map(|(i, p)| (*i, p.as_str())),
        &serde_json::json!({"username": viewer.user.username}),
    )
    .await?;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut()
        .append(SET_COOKIE, session_cookie(state, "", 0));
    Ok(resp)
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    headers: HeaderMap,
    Posted(form): Posted<TokenOnly>,
) -> Result<Response, AppError> {
    if !csrf::verify(&csrf, form.token.as_deref()) {
        return Err(AppError::Csrf);
    }
    sign_out(&state, &viewer, &headers, false).await
}

pub async fn logout_all(
    State(state): State<AppState>,
    viewer: Viewer,
    Extension(csrf): Extension<Token>,
    headers: HeaderMap,
    Posted(form): Posted<TokenOnly>,
) -> Result<Response, AppError> {
    if !csrf::verify(&csrf, form.token.as_deref()) {
        return Err(AppError::Csrf);
    }
    sign_out(&state, &viewer, &headers, true).await
}
