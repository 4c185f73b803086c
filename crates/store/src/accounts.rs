//! Accounts, passwords and sessions. Sessions live in the database so that several servers behind
//! one PostgreSQL share them.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use shanghui_core::account::{Role, check_username};
use shanghui_core::org::{OrgKind, Organization};
use shanghui_core::tree::OrgPath;
use shanghui_core::{Msg, Problem, Scope};

use crate::{Actor, Db, Result, StoreError, audit, orgs, with_db};

/// Failed sign-ins in a row that lock an account, and for how long.
pub const LOCK_AFTER: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

/// A signed-in session lasts this long (and is renewed on every sign-in).
pub const SESSION_HOURS: i64 = 12;

#[derive(Clone, sqlx::FromRow)]
struct UserRow {
    app_user_id: i64,
    username: String,
    display_name: String,
    password_hash: String,
    role: String,
    organization_id: Option<i64>,
    disabled: bool,
    failed_logins: i64,
    locked_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// An account. The password hash is kept out of `Debug`.
#[derive(Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The scope's top unit; `None` is the whole registry.
    pub organization_id: Option<i64>,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish()
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(User {
            role: Role::from_code(&r.role)
                .ok_or_else(|| StoreError::Corrupt(format!("user {}: role", r.app_user_id)))?,
            id: r.app_user_id,
            username: r.username,
            display_name: r.display_name,
            organization_id: r.organization_id,
            disabled: r.disabled,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            created_at: r.created_at,
            password_hash: r.password_hash,
        })
    }
}

const USER_COLUMNS: &str = "u.app_user_id, u.username, u.display_name, u.password_hash, u.role, u.organization_id, \
    u.disabled, u.failed_logins, u.locked_until, u.created_at";

/// Hashes a password with argon2id and a random salt. CPU-heavy: call it off the async threads.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system gives random bytes");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Checks a password against a user's hash. CPU-heavy: call it off the async threads.
pub fn verify_password(user: &User, password: &str) -> bool {
    PasswordHash::new(&user.password_hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A random token for a session cookie or a generated password.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the operating system gives random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn session_key(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

pub async fn by_username(db: &Db, username: &str) -> Result<Option<User>> {
    let sql = format!("select {USER_COLUMNS} from app_user u where u.username = $1");
    let row: Option<UserRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(username).fetch_optional(p).await)?;
    row.map(User::try_from).transpose()
}

/// A user whose scope lies within `scope` (system administrators only for the whole registry).
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Option<User>> {
    Ok(in_scope(db, scope, Some(id))
        .await?
        .into_iter()
        .next()
        .map(|(u, _)| u))
}

/// The users whose scope lies within `scope`, with the name of their scope's unit.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<(User, Option<String>)>> {
    in_scope(db, scope, None).await
}

/// The users within `scope` (one of them when `id` is given).
async fn in_scope(db: &Db, scope: &Scope, id: Option<i64>) -> Result<Vec<(User, Option<String>)>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "select {USER_COLUMNS}, o.name as unit_name from app_user u left join organization o \
         on o.organization_id = u.organization_id \
         where ((o.path >= $1 and o.path < $2) or (u.organization_id is null and $3)) \
         and ($4 is null or u.app_user_id = $4) order by u.username"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        unit_name: Option<String>,
    }
    let all = scope.root().is_none();
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&lo).bind(&hi).bind(all).bind(id).fetch_all(p).await)?;
    rows.into_iter()
        .map(|r| Ok((User::try_from(r.user)?, r.unit_name)))
        .collect()
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(with_db!(db, p => sqlx::query_scalar("select count(*) from app_user").fetch_one(p).await)?)
}

/// What an account is for: its role, where it works, its display name.
#[derive(Debug, Clone)]
pub struct Profile {
    pub display_name: String,
    pub role: Role,
    pub organization_id: Option<i64>,
}

/// A refusal shown above the account form.
fn refused(msg: Msg) -> StoreError {
    StoreError::rejected(Problem::general(msg))
}

/// Checks that `granter` (whose scope is `scope`) may give `profile`: only roles it holds, only
/// inside its scope, and a unit of the right kind for the role.
async fn check_grant(
    db: &Db,
    scope: &Scope,
    granter: Role,
    profile: &Profile,
) -> Result<Option<Organization>> {
    if !granter.can_grant(profile.role) {
        return Err(refused(Msg::new("account.cannot_grant")));
    }
    if profile.display_name.trim().is_empty() || profile.display_name.chars().count() > 100 {
        return Err(refused(Msg::new("account.display_name_rule")));
    }
    let org = match profile.organization_id {
        None if profile.role == Role::SysAdmin && scope.root().is_none() => return Ok(None),
        None => {
            return Err(refused(Msg::new("account.unit_required")));
        }
        Some(id) => orgs::get(db, scope, id)
            .await?
            .ok_or_else(|| refused(Msg::new("problem.out_of_scope").with("id", id)))?,
    };
    let fits = match profile.role {
        Role::SysAdmin => false,
        Role::ChamberSecretary => org.record.kind == OrgKind::Chamber,
        _ => org.record.kind != OrgKind::Chamber,
    };
    if !fits {
        return Err(refused(Msg::new("account.unit_kind")));
    }
    Ok(Some(org))
}

fn audit_unit(org: &Option<Organization>) -> Option<(i64, String)> {
    org.as_ref().map(|o| (o.id, o.path.as_str().to_string()))
}

/// Creates an account. `password_hash` comes from [`hash_password`].
pub async fn create(
    db: &Db,
    scope: &Scope,
    granter: Role,
    username: &str,
    profile: &Profile,
    password_hash: String,
    actor: &Actor,
) -> Result<User> {
    check_username(username).map_err(refused)?;
    let org = check_grant(db, scope, granter, profile).await?;
    if by_username(db, username).await?.is_some() {
        return Err(refused(
            Msg::new("account.username_taken").with("name", username),
        ));
    }
    let now = Utc::now();
    let sql = "insert into app_user (username, display_name, password_hash, role, organization_id, disabled, \
               failed_logins, created_at, updated_at) values ($1, $2, $3, $4, $5, false, 0, $6, $6)";
    with_db!(db, p => sqlx::query(sql)
        .bind(username).bind(profile.display_name.trim()).bind(&password_hash).bind(profile.role.code())
        .bind(profile.organization_id).bind(now).execute(p).await.map(|_| ()))?;
    let unit = audit_unit(&org);
    let detail = serde_json::json!({"username": username, "display_name": profile.display_name, "role": profile.role.code(), "organization_id": profile.organization_id});
    audit::record(
        db,
        actor,
        "user.create",
        unit.as_ref().map(|(i, p)| (*i, p.as_str())),
        &detail,
    )
    .await?;
    by_username(db, username).await?.ok_or(StoreError::NotFound)
}

/// Changes an account's profile and whether it is disabled. Disabling ends its sessions.
pub async fn update(
    db: &Db,
    scope: &Scope,
    granter: Role,
    id: i64,
    profile: &Profile,
    disabled: bool,
    actor: &Actor,
) -> Result<User> {
    let current = get(db, scope, id).await?.ok_or(StoreError::NotFound)?;
    // An administrator may not change an account with a role it could not give.
    if !granter.can_grant(current.role) {
        return Err(refused(Msg::new("account.cannot_grant")));
    }
    let org = check_grant(db, scope, granter, profile).await?;
    let sql = "update app_user set display_name = $1, role = $2, organization_id = $3, disabled = $4, updated_at = $5 \
               where app_user_id = $6";
    with_db!(db, p => sqlx::query(sql)
        .bind(profile.display_name.trim()).bind(profile.role.code()).bind(profile.organization_id).bind(disabled)
        .bind(Utc::now()).bind(id).execute(p).await.map(|_| ()))?;
    if disabled
        || current.role != profile.role
        || current.organization_id != profile.organization_id
    {
        end_sessions(db, id).await?;
    }
    let detail = serde_json::json!({
        "username": current.username,
        "old": {"display_name": current.display_name, "role": current.role.code(), "organization_id": current.organization_id, "disabled": current.disabled},
        "new": {"display_name": profile.display_name, "role": profile.role.code(), "organization_id": profile.organization_id, "disabled": disabled},
    });
    let unit = audit_unit(&org);
    audit::record(
        db,
        actor,
        "user.update",
        unit.as_ref().map(|(i, p)| (*i, p.as_str())),
        &detail,
    )
    .await?;
    get(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// Sets a new password (a reset by an administrator, or a chamber account handed to a new
/// secretary), unlocks the account and ends its sessions.
pub async fn set_password(
    db: &Db,
    user: &User,
    password_hash: String,
    actor: &Actor,
) -> Result<()> {
    let sql = "update app_user set password_hash = $1, failed_logins = 0, locked_until = null, updated_at = $2 \
               where app_user_id = $3";
    with_db!(db, p => sqlx::query(sql).bind(&password_hash).bind(Utc::now()).bind(user.id).execute(p).await.map(|_| ()))?;
    end_sessions(db, user.id).await?;
    let unit = match user.organization_id {
        Some(id) => orgs::get(db, &Scope::all(), id)
            .await?
            .map(|o| (o.id, o.path.as_str().to_string())),
        None => None,
    };
    audit::record(
        db,
        actor,
        "user.password",
        unit.as_ref().map(|(i, p)| (*i, p.as_str())),
        &serde_json::json!({"username": user.username}),
    )
    .await
}

/// Whether the account is locked now.
pub fn locked(user: &User, now: DateTime<Utc>) -> bool {
    user.locked_until.is_some_and(|t| t > now)
}

/// Counts a failed sign-in; the fifth in a row locks the account for fifteen minutes. The count
/// is kept in SQL, so failures sent in parallel all count.
pub async fn login_failed(db: &Db, user: &User) -> Result<()> {
    let lock_until = Utc::now() + Duration::minutes(LOCK_MINUTES);
    let sql = "update app_user set failed_logins = failed_logins + 1, \
               locked_until = case when failed_logins + 1 >= $1 then $2 else locked_until end \
               where app_user_id = $3";
    with_db!(db, p => sqlx::query(sql).bind(LOCK_AFTER).bind(lock_until).bind(user.id).execute(p).await.map(|_| ()))?;
    // A lock starts a new count, so the next five failures after it lock again.
    let sql =
        "update app_user set failed_logins = 0 where app_user_id = $1 and failed_logins >= $2";
    with_db!(db, p => sqlx::query(sql).bind(user.id).bind(LOCK_AFTER).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Starts a session for a signed-in user and gives the cookie's token.
pub async fn start_session(
    db: &Db,
    user: &User,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<String> {
    let token = random_token(32);
    let now = Utc::now();
    with_db!(db, p => sqlx::query("update app_user set failed_logins = 0, locked_until = null where app_user_id = $1")
        .bind(user.id).execute(p).await.map(|_| ()))?;
    // Sign-ins are rare next to page views: a good moment to drop sessions that have expired.
    with_db!(db, p => sqlx::query("delete from session where expires_at < $1").bind(now).execute(p).await.map(|_| ()))?;
    let sql = "insert into session (session_key, app_user_id, created_at, expires_at, ip, user_agent) values ($1, $2, $3, $4, $5, $6)";
    with_db!(db, p => sqlx::query(sql)
        .bind(session_key(&token)).bind(user.id).bind(now).bind(now + Duration::hours(SESSION_HOURS))
        .bind(ip).bind(user_agent.map(|u| u.chars().take(300).collect::<String>()))
        .execute(p).await.map(|_| ()))?;
    Ok(token)
}

/// The user of a live session (not expired, account not disabled) with the scope they work in,
/// in one query: this runs on every request.
pub async fn session_user(db: &Db, token: &str) -> Result<Option<(User, Scope)>> {
    let sql = format!(
        "select {USER_COLUMNS}, o.path as scope_path from session s join app_user u on u.app_user_id = s.app_user_id \
         left join organization o on o.organization_id = u.organization_id \
         where s.session_key = $1 and s.expires_at > $2 and not u.disabled"
    );
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        scope_path: Option<String>,
    }
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(session_key(token)).bind(Utc::now()).fetch_optional(p).await)?;
    let Some(row) = row else { return Ok(None) };
    let scope = match (&row.user.organization_id, row.scope_path) {
        (None, _) => Scope::all(),
        (Some(_), Some(path)) => {
            Scope::subtree(OrgPath::parse(&path).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        }
        (Some(id), None) => {
            return Err(StoreError::Corrupt(format!(
                "user {} has unit {id}, which is missing",
                row.user.username
            )));
        }
    };
    Ok(Some((User::try_from(row.user)?, scope)))
}

pub async fn end_session(db: &Db, token: &str) -> Result<()> {
    with_db!(db, p => sqlx::query("delete from session where session_key = $1").bind(session_key(token)).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Signs the user out everywhere.
pub async fn end_sessions(db: &Db, user_id: i64) -> Result<()> {
    with_db!(db, p => sqlx::query("delete from session where app_user_id = $1").bind(user_id).execute(p).await.map(|_| ()))?;
    Ok(())
}
