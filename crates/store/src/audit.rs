//! The audit log outside the registry's own writes (accounts, sign-ins), and searching it.

use chrono::{DateTime, NaiveDate, Utc};
use shanghui_core::Scope;
use sqlx::QueryBuilder;

use crate::{Actor, Db, Result, with_db};

/// Appends one entry. `unit` is the organisation concerned with its path, when there is one.
pub async fn record(
    db: &Db,
    actor: &Actor,
    action: &str,
    unit: Option<(i64, &str)>,
    detail: &serde_json::Value,
) -> Result<()> {
    let sql = "insert into audit_event (created_at, app_user_id, actor, ip, action, organization_id, path, effective_on, detail) \
               values ($1, $2, $3, $4, $5, $6, $7, null, $8)";
    with_db!(db, p => sqlx::query(sql)
        .bind(Utc::now())
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(&actor.from)
        .bind(action)
        .bind(unit.map(|u| u.0))
        .bind(unit.map(|u| u.1.to_string()))
        .bind(detail.to_string())
        .execute(p)
        .await
        .map(|_| ()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Entry {
    pub audit_event_id: i64,
    pub created_at: DateTime<Utc>,
    pub app_user_id: Option<i64>,
    pub actor: String,
    pub ip: Option<String>,
    pub action: String,
    pub organization_id: Option<i64>,
    pub unit_name: Option<String>,
    pub effective_on: Option<NaiveDate>,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// This unit and everything below it.
    pub unit: Option<i64>,
    /// Part of the actor's name.
    pub user: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDate>,
    /// Inclusive.
    pub to: Option<NaiveDate>,
    pub limit: i64,
}

/// Entries the scope may see, newest first. Entries about no unit (the operator's own actions,
/// sign-ins of system administrators) are for the whole-registry scope only.
pub async fn search(db: &Db, scope: &Scope, f: &Filter) -> Result<Vec<Entry>> {
    let (lo, hi) = scope.range();
    let unit_path: Option<String> = match f.unit {
        Some(id) => crate::orgs::get(db, scope, id)
            .await?
            .map(|o| o.path.as_str().to_string()),
        None => None,
    };
    if f.unit.is_some() && unit_path.is_none() {
        return Ok(Vec::new());
    }
    let rows: Vec<Entry> = with_db!(db, p => {
        let mut qb = QueryBuilder::new(
            "select a.audit_event_id, a.created_at, a.app_user_id, a.actor, a.ip, a.action, a.organization_id, \
             o.name as unit_name, a.effective_on, a.detail from audit_event a \
             left join organization o on o.organization_id = a.organization_id where ",
        );
        if scope.root().is_some() {
            // What happened in the subtree when it happened, and what concerns units now in it.
            qb.push("((a.path >= ").push_bind(lo.clone()).push(" and a.path < ").push_bind(hi.clone());
            qb.push(") or (o.path >= ").push_bind(lo.clone()).push(" and o.path < ").push_bind(hi.clone()).push("))");
        } else {
            qb.push("1 = 1");
        }
        if let Some(up) = &unit_path {
            // Entries about the units now in this subtree, wherever they were when written.
            let upper = format!("{}0", &up[..up.len() - 1]);
            qb.push(" and o.path >= ").push_bind(up.clone()).push(" and o.path < ").push_bind(upper);
        }
        if let Some(u) = &f.user {
            let escaped = u.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            qb.push(" and a.actor like ").push_bind(format!("%{escaped}%")).push(" escape '\\'");
        }
        if let Some(a) = &f.action {
            qb.push(" and a.action = ").push_bind(a.clone());
        }
        if let Some(d) = f.from {
            qb.push(" and a.created_at >= ").push_bind(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::hours(8)));
        }
        if let Some(d) = f.to {
            let end = d.succ_opt().and_then(|n| n.and_hms_opt(0, 0, 0)).map(|t| t.and_utc() - chrono::Duration::hours(8));
            qb.push(" and a.created_at < ").push_bind(end);
        }
        qb.push(" order by a.audit_event_id desc limit ").push_bind(f.limit.clamp(1, 100_000));
        qb.build_query_as().fetch_all(p).await
    })?;
    Ok(rows)
}
