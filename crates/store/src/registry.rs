//! Changing the registry: create, edit, move, dissolve, bulk insert. Each change runs in one
//! transaction, checks what only the database can see (the parent, duplicates, the version), and
//! writes the history (membership links and events) beside the record.
//!
//! The transactional code is written once in [`backend_ops!`] and compiled for each backend.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use shanghui_core::field::Field;
use shanghui_core::i18n::{Lang, Msg};
use shanghui_core::org::{OrgDraft, OrgKind, OrgStatus, Organization, check_placement};
use shanghui_core::tree::{MoveError, OrgPath, plan_move};
use shanghui_core::{Problem, Scope};

use crate::orgs::{COLUMNS, OrgRow};
use crate::{Actor, Db, Result, StoreError};

/// What an import (or any batch) asks to be done, already checked against the registry.
#[derive(Debug, Clone)]
pub enum Op {
    Create {
        parent: ParentRef,
        draft: OrgDraft,
    },
    Update {
        id: i64,
        draft: OrgDraft,
        new_parent: Option<ParentRef>,
    },
}

/// The parent of a new record: one already stored, or one created earlier in the same batch
/// (by its index among the batch's operations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParentRef {
    None,
    Existing(i64),
    Batch(usize),
}

/// The field-by-field difference between two versions of a record, as display text.
pub fn changes(old: &OrgDraft, new: &OrgDraft) -> Vec<(Field, Option<String>, Option<String>)> {
    let (a, b) = (old.to_input(Lang::ZhCn), new.to_input(Lang::ZhCn));
    Field::ALL
        .iter()
        .filter(|f| a.get(f) != b.get(f))
        .map(|f| (*f, a.get(f).cloned(), b.get(f).cloned()))
        .collect()
}

fn changes_json(changes: &[(Field, Option<String>, Option<String>)]) -> String {
    let list: Vec<_> = changes
        .iter()
        .map(|(f, o, n)| serde_json::json!({"field": f.code(), "old": o, "new": n}))
        .collect();
    serde_json::json!({ "changes": list }).to_string()
}

fn created_json(d: &OrgDraft) -> String {
    let fields: BTreeMap<&str, String> = d
        .to_input(Lang::ZhCn)
        .into_iter()
        .map(|(f, v)| (f.code(), v))
        .collect();
    serde_json::json!({ "fields": fields }).to_string()
}

fn duplicate_uscc(value: &str, id: i64, name: &str) -> Problem {
    Problem::error(
        Field::Uscc,
        Msg::new("problem.duplicate_uscc")
            .with("value", value)
            .with("name", name)
            .with("id", id),
    )
}

fn duplicate_name(id: i64, name: &str) -> Problem {
    Problem::error(
        Field::Name,
        Msg::new("problem.duplicate_name")
            .with("name", name)
            .with("id", id),
    )
}

fn placement(draft: &OrgDraft, parent: Option<&Organization>) -> Result<()> {
    check_placement(
        draft.kind,
        draft.level,
        draft.division_code.as_ref(),
        parent.map(|p| {
            (
                p.record.kind,
                p.record.level,
                p.record.division_code.as_ref(),
            )
        }),
    )
    .map_err(|m| StoreError::rejected(Problem::error(Field::Parent, m)))
}

static TEMP_PATH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A unique placeholder path for the moment between insert and knowing the new id.
fn temp_path() -> String {
    let n = TEMP_PATH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "!{}-{}-{n}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or(0)
    )
}

macro_rules! backend_ops {
    ($module:ident, $DB:ty, $extra:ident) => {
        pub(crate) mod $module {
            use super::*;
            use super::$extra::after_explicit_ids;
            use sqlx::{Pool, QueryBuilder, Transaction};

            type DB = $DB;
            type Tx = Transaction<'static, DB>;
            type Q<'q> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>;

            fn bind_draft<'q>(q: Q<'q>, d: &'q OrgDraft) -> Q<'q> {
                q.bind(d.kind.code())
                    .bind(d.level.map(|l| l.code()))
                    .bind(&d.name)
                    .bind(d.uscc.as_ref().map(|u| u.as_str()))
                    .bind(&d.uscc_override_reason)
                    .bind(d.category.map(|c| c.code()))
                    .bind(d.founded_on)
                    .bind(d.division_code.as_ref().map(|c| c.as_str()))
                    .bind(d.registered)
                    .bind(&d.unregistered_reason)
                    .bind(d.party_org)
                    .bind(d.party_org_form.map(|f| f.code()))
                    .bind(&d.party_org_reason)
                    .bind(d.members_unit)
                    .bind(d.members_individual)
                    .bind(d.members_total)
                    .bind(d.council_size)
                    .bind(d.standing_council_size)
                    .bind(&d.president)
                    .bind(&d.secretary_general)
                    .bind(d.last_reelection)
                    .bind(d.status.code())
                    .bind(d.dissolved_on)
            }

            pub(crate) async fn fetch(tx: &mut Tx, scope: &Scope, id: i64) -> Result<Option<Organization>> {
                let (lo, hi) = scope.range();
                let sql = format!(
                    "select {COLUMNS} from organization where organization_id = $1 and path >= $2 and path < $3"
                );
                let row: Option<OrgRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).bind(&lo).bind(&hi).fetch_optional(&mut **tx).await?;
                row.map(Organization::try_from).transpose()
            }

            async fn require(tx: &mut Tx, scope: &Scope, id: i64) -> Result<Organization> {
                fetch(tx, scope, id).await?.ok_or(StoreError::NotFound)
            }

            /// Problems with the same credit code anywhere, or the same name under the parent.
            pub(crate) async fn duplicates(
                tx: &mut Tx,
                draft: &OrgDraft,
                parent_id: Option<i64>,
                exclude: i64,
            ) -> Result<Vec<Problem>> {
                let mut out = Vec::new();
                if let Some(u) = &draft.uscc {
                    let hit: Option<(i64, String)> = sqlx::query_as(
                        "select organization_id, name from organization where uscc = $1 and organization_id <> $2",
                    )
                    .bind(u.as_str())
                    .bind(exclude)
                    .fetch_optional(&mut **tx)
                    .await?;
                    if let Some((id, name)) = hit {
                        out.push(duplicate_uscc(u.as_str(), id, &name));
                    }
                }
                let hit: Option<(i64, String)> = match parent_id {
                    Some(p) => {
                        sqlx::query_as(
                            "select organization_id, name from organization \
                             where parent_id = $1 and name = $2 and organization_id <> $3",
                        )
                        .bind(p)
                        .bind(&draft.name)
                        .bind(exclude)
                        .fetch_optional(&mut **tx)
                        .await?
                    }
                    None => {
                        sqlx::query_as(
                            "select organization_id, name from organization \
                             where parent_id is null and name = $1 and organization_id <> $2",
                        )
                        .bind(&draft.name)
                        .bind(exclude)
                        .fetch_optional(&mut **tx)
                        .await?
                    }
                };
                if let Some((id, name)) = hit {
                    out.push(duplicate_name(id, &name));
                }
                Ok(out)
            }

            async fn event(
                tx: &mut Tx,
                id: i64,
                action: &str,
                on: Option<NaiveDate>,
                actor: &Actor,
                detail: &str,
            ) -> Result<()> {
                sqlx::query(
                    "insert into organization_event (organization_id, action, effective_on, actor, detail, created_at) \
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(action)
                .bind(on)
                .bind(actor.label())
                .bind(detail)
                .bind(Utc::now())
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn open_link(tx: &mut Tx, id: i64, parent: Option<i64>, from: NaiveDate) -> Result<()> {
                sqlx::query("insert into organization_link (organization_id, parent_id, valid_from) values ($1, $2, $3)")
                    .bind(id)
                    .bind(parent)
                    .bind(from)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            async fn close_link(tx: &mut Tx, id: i64, on: NaiveDate) -> Result<()> {
                sqlx::query("update organization_link set valid_to = $1 where organization_id = $2 and valid_to is null")
                    .bind(on)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Inserts a checked record below `parent` and gives its id and path.
            pub(crate) async fn insert(
                tx: &mut Tx,
                parent: Option<(i64, &OrgPath)>,
                draft: &OrgDraft,
                action: &str,
                actor: &Actor,
            ) -> Result<(i64, OrgPath)> {
                let now = Utc::now();
                let sql = "insert into organization (parent_id, path, kind, level, name, uscc, uscc_override_reason, \
                    category, founded_on, division_code, registered, unregistered_reason, party_org, party_org_form, \
                    party_org_reason, members_unit, members_individual, members_total, council_size, \
                    standing_council_size, president, secretary_general, last_reelection, status, dissolved_on, \
                    version, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                    $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, 1, $26, $26) returning organization_id";
                let q = sqlx::query(sql).bind(parent.map(|p| p.0)).bind(temp_path());
                let row = bind_draft(q, draft).bind(now).fetch_one(&mut **tx).await?;
                let id: i64 = sqlx::Row::try_get(&row, 0)?;
                let path = match parent {
                    Some((_, pp)) => pp.child(id),
                    None => OrgPath::root(id),
                };
                sqlx::query("update organization set path = $1 where organization_id = $2")
                    .bind(path.as_str())
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                // Membership starts at founding where known: a unit entered today may have belonged
                // to its federation for years.
                let from = draft.founded_on.unwrap_or_else(|| now.date_naive());
                open_link(tx, id, parent.map(|p| p.0), from).await?;
                if let Some(d) = draft.dissolved_on {
                    close_link(tx, id, d).await?;
                }
                event(tx, id, action, Some(from), actor, &created_json(draft)).await?;
                Ok((id, path))
            }

            pub(crate) async fn create(
                pool: &Pool<DB>,
                scope: &Scope,
                parent_id: Option<i64>,
                draft: &OrgDraft,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = pool.begin().await?;
                let parent = match parent_id {
                    Some(p) => Some(require(&mut tx, scope, p).await?),
                    // Only the operator (whole-registry scope) may create a root.
                    None if scope.root().is_none() => None,
                    None => return Err(StoreError::rejected(Problem::error(Field::Parent, Msg::new("problem.parent_required")))),
                };
                placement(draft, parent.as_ref())?;
                let dups = duplicates(&mut tx, draft, parent_id, -1).await?;
                if !dups.is_empty() {
                    return Err(StoreError::Rejected(dups));
                }
                let (id, _) = insert(&mut tx, parent.as_ref().map(|p| (p.id, &p.path)), draft, "create", actor).await?;
                let org = require(&mut tx, &Scope::all(), id).await?;
                tx.commit().await?;
                Ok(org)
            }

            async fn active_children(tx: &mut Tx, id: i64) -> Result<i64> {
                Ok(sqlx::query_scalar("select count(*) from organization where parent_id = $1 and status = 'active'")
                    .bind(id)
                    .fetch_one(&mut **tx)
                    .await?)
            }

            /// Writes `draft` over the record if it still has `expected_version`.
            pub(crate) async fn overwrite(
                tx: &mut Tx,
                current: &Organization,
                expected_version: i64,
                draft: &OrgDraft,
                action: &str,
                actor: &Actor,
            ) -> Result<()> {
                let changed = changes(&current.record, draft);
                if changed.is_empty() {
                    return if current.version == expected_version { Ok(()) } else { Err(StoreError::Conflict) };
                }
                match (current.record.status, draft.status) {
                    (OrgStatus::Active, OrgStatus::Dissolved) => {
                        let n = active_children(tx, current.id).await?;
                        if n > 0 {
                            return Err(StoreError::rejected(Problem::error(
                                Field::Status,
                                Msg::new("problem.has_active_children").with("count", n),
                            )));
                        }
                        close_link(tx, current.id, draft.dissolved_on.unwrap_or_else(|| Utc::now().date_naive())).await?;
                    }
                    (OrgStatus::Dissolved, OrgStatus::Active) => {
                        open_link(tx, current.id, current.parent_id, Utc::now().date_naive()).await?;
                    }
                    _ => {}
                }
                let sql = "update organization set kind = $1, level = $2, name = $3, uscc = $4, \
                    uscc_override_reason = $5, category = $6, founded_on = $7, division_code = $8, registered = $9, \
                    unregistered_reason = $10, party_org = $11, party_org_form = $12, party_org_reason = $13, \
                    members_unit = $14, members_individual = $15, members_total = $16, council_size = $17, \
                    standing_council_size = $18, president = $19, secretary_general = $20, last_reelection = $21, \
                    status = $22, dissolved_on = $23, version = version + 1, updated_at = $24 \
                    where organization_id = $25 and version = $26";
                let done = bind_draft(sqlx::query(sql), draft)
                    .bind(Utc::now())
                    .bind(current.id)
                    .bind(expected_version)
                    .execute(&mut **tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
                event(tx, current.id, action, None, actor, &changes_json(&changed)).await
            }

            pub(crate) async fn update(
                pool: &Pool<DB>,
                scope: &Scope,
                id: i64,
                expected_version: i64,
                draft: &OrgDraft,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = pool.begin().await?;
                let current = require(&mut tx, scope, id).await?;
                let parent = match current.parent_id {
                    Some(p) => Some(require(&mut tx, &Scope::all(), p).await?),
                    None => None,
                };
                placement(draft, parent.as_ref())?;
                let dups = duplicates(&mut tx, draft, current.parent_id, id).await?;
                if !dups.is_empty() {
                    return Err(StoreError::Rejected(dups));
                }
                overwrite(&mut tx, &current, expected_version, draft, "update", actor).await?;
                let org = require(&mut tx, &Scope::all(), id).await?;
                tx.commit().await?;
                Ok(org)
            }

            /// Moves the subtree at `node` below `new_parent` (both already checked to be in scope).
            pub(crate) async fn relocate(
                tx: &mut Tx,
                node: &Organization,
                new_parent: &Organization,
                on: NaiveDate,
                actor: &Actor,
            ) -> Result<()> {
                let to = plan_move(&node.path, &new_parent.path).map_err(|e| {
                    StoreError::rejected(Problem::error(
                        Field::Parent,
                        Msg::new(match e {
                            MoveError::IntoOwnSubtree => "problem.move_into_own_subtree",
                            MoveError::AlreadyThere => "problem.move_already_there",
                        }),
                    ))
                })?;
                placement(&node.record, Some(new_parent))?;
                let dups = duplicates(tx, &node.record, Some(new_parent.id), node.id).await?;
                if let Some(p) = dups.into_iter().find(|p| p.field == Some(Field::Name)) {
                    return Err(StoreError::rejected(p));
                }
                let from = &node.path;
                sqlx::query("update organization set path = $1 || substr(path, $2) where path >= $3 and path < $4")
                    .bind(to.as_str())
                    .bind(from.as_str().len() as i32 + 1)
                    .bind(from.as_str())
                    .bind(from.upper_bound())
                    .execute(&mut **tx)
                    .await?;
                sqlx::query(
                    "update organization set parent_id = $1, version = version + 1, updated_at = $2 \
                     where organization_id = $3",
                )
                .bind(new_parent.id)
                .bind(Utc::now())
                .bind(node.id)
                .execute(&mut **tx)
                .await?;
                close_link(tx, node.id, on).await?;
                open_link(tx, node.id, Some(new_parent.id), on).await?;
                let detail = serde_json::json!({
                    "from": node.parent_id, "to": new_parent.id, "to_name": new_parent.record.name,
                })
                .to_string();
                event(tx, node.id, "move", Some(on), actor, &detail).await
            }

            pub(crate) async fn move_to(
                pool: &Pool<DB>,
                scope: &Scope,
                id: i64,
                new_parent: i64,
                on: NaiveDate,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = pool.begin().await?;
                let node = require(&mut tx, scope, id).await?;
                let parent = require(&mut tx, scope, new_parent).await?;
                relocate(&mut tx, &node, &parent, on, actor).await?;
                let org = require(&mut tx, &Scope::all(), id).await?;
                tx.commit().await?;
                Ok(org)
            }

            pub(crate) async fn dissolve(
                pool: &Pool<DB>,
                scope: &Scope,
                id: i64,
                on: NaiveDate,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = pool.begin().await?;
                let node = require(&mut tx, scope, id).await?;
                if let (OrgStatus::Dissolved, Some(d)) = (node.record.status, node.record.dissolved_on) {
                    return Err(StoreError::rejected(Problem::error(
                        Field::Status,
                        Msg::new("problem.already_dissolved").with("date", d),
                    )));
                }
                if let Some(f) = node.record.founded_on
                    && on < f
                {
                    return Err(StoreError::rejected(Problem::error(
                        Field::DissolvedOn,
                        Msg::new("problem.dissolved_before_founding").with("founded", f),
                    )));
                }
                let mut draft = node.record.clone();
                draft.status = OrgStatus::Dissolved;
                draft.dissolved_on = Some(on);
                overwrite(&mut tx, &node, node.version, &draft, "dissolve", actor).await?;
                let org = require(&mut tx, &Scope::all(), id).await?;
                tx.commit().await?;
                Ok(org)
            }

            /// Applies checked operations in one transaction: creates first (parents before the
            /// children that refer to them), then updates and moves.
            pub(crate) async fn apply(pool: &Pool<DB>, scope: &Scope, ops: &[Op], actor: &Actor) -> Result<ApplySummary> {
                let mut tx = pool.begin().await?;
                let mut created: Vec<Option<(i64, OrgPath)>> = vec![None; ops.len()];
                let mut summary = ApplySummary::default();
                for i in creation_order(ops)? {
                    let Op::Create { parent, draft } = &ops[i] else { continue };
                    let parent_at = match parent {
                        ParentRef::None => None,
                        ParentRef::Existing(id) => {
                            let p = require(&mut tx, scope, *id).await?;
                            Some((p.id, p.path))
                        }
                        ParentRef::Batch(j) => created[*j].clone(),
                    };
                    let (id, path) = insert(&mut tx, parent_at.as_ref().map(|(i, p)| (*i, p)), draft, "import", actor).await?;
                    created[i] = Some((id, path));
                    summary.created += 1;
                }
                for op in ops {
                    let Op::Update { id, draft, new_parent } = op else { continue };
                    let current = require(&mut tx, scope, *id).await?;
                    let np = match new_parent {
                        Some(ParentRef::Existing(p)) => Some(*p),
                        Some(ParentRef::Batch(j)) => created[*j].as_ref().map(|(id, _)| *id),
                        _ => None,
                    };
                    if let Some(np) = np {
                        let parent = require(&mut tx, scope, np).await?;
                        relocate(&mut tx, &current, &parent, Utc::now().date_naive(), actor).await?;
                        summary.moved += 1;
                    }
                    let current = require(&mut tx, scope, *id).await?;
                    if !changes(&current.record, draft).is_empty() {
                        overwrite(&mut tx, &current, current.version, draft, "import", actor).await?;
                        summary.updated += 1;
                    } else {
                        summary.unchanged += 1;
                    }
                }
                tx.commit().await?;
                summary.ids = created.into_iter().map(|c| c.map(|(id, _)| id)).collect();
                Ok(summary)
            }

            /// Inserts a generated tree fast: explicit ids, multi-row statements, one
            /// transaction. `parents[i]` is the index of row i's parent within `rows` (earlier
            /// rows only) or `None` for a root.
            pub(crate) async fn bulk_insert(
                pool: &Pool<DB>,
                rows: &[(Option<usize>, OrgDraft)],
                actor: &Actor,
            ) -> Result<Vec<i64>> {
                let mut tx = pool.begin().await?;
                let base: i64 = sqlx::query_scalar("select coalesce(max(organization_id), 0) from organization")
                    .fetch_one(&mut *tx)
                    .await?;
                let ids: Vec<i64> = (0..rows.len() as i64).map(|i| base + 1 + i).collect();
                let mut paths: Vec<OrgPath> = Vec::with_capacity(rows.len());
                for (i, (parent, _)) in rows.iter().enumerate() {
                    let p = match parent {
                        Some(j) if *j < i => paths[*j].child(ids[i]),
                        Some(_) => return Err(StoreError::Corrupt("bulk insert: parent after child".into())),
                        None => OrgPath::root(ids[i]),
                    };
                    paths.push(p);
                }
                let now = Utc::now();
                let today = now.date_naive();
                let indexed: Vec<usize> = (0..rows.len()).collect();
                for chunk in indexed.chunks(1000) {
                    let mut qb: QueryBuilder<DB> = QueryBuilder::new(
                        "insert into organization (organization_id, parent_id, path, kind, level, name, uscc, \
                         uscc_override_reason, category, founded_on, division_code, registered, unregistered_reason, \
                         party_org, party_org_form, party_org_reason, members_unit, members_individual, members_total, \
                         council_size, standing_council_size, president, secretary_general, last_reelection, status, \
                         dissolved_on, version, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, &i| {
                        let (parent, d) = &rows[i];
                        b.push_bind(ids[i])
                            .push_bind(parent.map(|j| ids[j]))
                            .push_bind(paths[i].as_str().to_string())
                            .push_bind(d.kind.code())
                            .push_bind(d.level.map(|l| l.code()))
                            .push_bind(d.name.clone())
                            .push_bind(d.uscc.as_ref().map(|u| u.as_str().to_string()))
                            .push_bind(d.uscc_override_reason.clone())
                            .push_bind(d.category.map(|c| c.code()))
                            .push_bind(d.founded_on)
                            .push_bind(d.division_code.as_ref().map(|c| c.as_str().to_string()))
                            .push_bind(d.registered)
                            .push_bind(d.unregistered_reason.clone())
                            .push_bind(d.party_org)
                            .push_bind(d.party_org_form.map(|f| f.code()))
                            .push_bind(d.party_org_reason.clone())
                            .push_bind(d.members_unit)
                            .push_bind(d.members_individual)
                            .push_bind(d.members_total)
                            .push_bind(d.council_size)
                            .push_bind(d.standing_council_size)
                            .push_bind(d.president.clone())
                            .push_bind(d.secretary_general.clone())
                            .push_bind(d.last_reelection)
                            .push_bind(d.status.code())
                            .push_bind(d.dissolved_on)
                            .push_bind(1i64)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    qb.build().execute(&mut *tx).await?;
                    let mut links: QueryBuilder<DB> =
                        QueryBuilder::new("insert into organization_link (organization_id, parent_id, valid_from, valid_to) ");
                    links.push_values(chunk, |mut b, &i| {
                        let (parent, d) = &rows[i];
                        b.push_bind(ids[i])
                            .push_bind(parent.map(|j| ids[j]))
                            .push_bind(d.founded_on.unwrap_or(today))
                            .push_bind(d.dissolved_on);
                    });
                    links.build().execute(&mut *tx).await?;
                    let mut events: QueryBuilder<DB> = QueryBuilder::new(
                        "insert into organization_event (organization_id, action, effective_on, actor, detail, created_at) ",
                    );
                    events.push_values(chunk, |mut b, &i| {
                        b.push_bind(ids[i])
                            .push_bind("generate")
                            .push_bind(rows[i].1.founded_on)
                            .push_bind(actor.label())
                            .push_bind("{}")
                            .push_bind(now);
                    });
                    events.build().execute(&mut *tx).await?;
                }
                after_explicit_ids(&mut tx).await?;
                tx.commit().await?;
                Ok(ids)
            }
        }
    };
}

backend_ops!(sqlite, sqlx::Sqlite, sqlite_extra);
backend_ops!(postgres, sqlx::Postgres, postgres_extra);

mod sqlite_extra {
    pub(crate) async fn after_explicit_ids(
        _tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    ) -> crate::Result<()> {
        // SQLite's autoincrement follows explicit ids by itself.
        Ok(())
    }
}

mod postgres_extra {
    pub(crate) async fn after_explicit_ids(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    ) -> crate::Result<()> {
        // An identity column does not see explicit ids: move its sequence past them.
        sqlx::query(
            "select setval(pg_get_serial_sequence('organization', 'organization_id'), \
             (select coalesce(max(organization_id), 1) from organization))",
        )
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// What a batch did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ApplySummary {
    pub created: usize,
    pub updated: usize,
    pub moved: usize,
    pub unchanged: usize,
    /// The new id of each create, by operation index.
    pub ids: Vec<Option<i64>>,
}

/// Creates in an order where every parent from the batch comes before its children.
fn creation_order(ops: &[Op]) -> Result<Vec<usize>> {
    let mut order = Vec::with_capacity(ops.len());
    let mut state = vec![0u8; ops.len()]; // 0 new, 1 visiting, 2 done
    fn visit(i: usize, ops: &[Op], state: &mut [u8], order: &mut Vec<usize>) -> Result<()> {
        match state[i] {
            2 => return Ok(()),
            1 => return Err(StoreError::Corrupt("cycle among new parents".into())),
            _ => {}
        }
        state[i] = 1;
        if let Op::Create {
            parent: ParentRef::Batch(j),
            ..
        } = &ops[i]
        {
            visit(*j, ops, state, order)?;
        }
        state[i] = 2;
        order.push(i);
        Ok(())
    }
    for i in 0..ops.len() {
        visit(i, ops, &mut state, &mut order)?;
    }
    Ok(order)
}

pub async fn create(
    db: &Db,
    scope: &Scope,
    parent: Option<i64>,
    draft: &OrgDraft,
    actor: &Actor,
) -> Result<Organization> {
    match db {
        Db::Sqlite(p) => sqlite::create(p, scope, parent, draft, actor).await,
        Db::Postgres(p) => postgres::create(p, scope, parent, draft, actor).await,
    }
}

pub async fn update(
    db: &Db,
    scope: &Scope,
    id: i64,
    expected_version: i64,
    draft: &OrgDraft,
    actor: &Actor,
) -> Result<Organization> {
    match db {
        Db::Sqlite(p) => sqlite::update(p, scope, id, expected_version, draft, actor).await,
        Db::Postgres(p) => postgres::update(p, scope, id, expected_version, draft, actor).await,
    }
}

pub async fn move_to(
    db: &Db,
    scope: &Scope,
    id: i64,
    new_parent: i64,
    on: NaiveDate,
    actor: &Actor,
) -> Result<Organization> {
    match db {
        Db::Sqlite(p) => sqlite::move_to(p, scope, id, new_parent, on, actor).await,
        Db::Postgres(p) => postgres::move_to(p, scope, id, new_parent, on, actor).await,
    }
}

pub async fn dissolve(
    db: &Db,
    scope: &Scope,
    id: i64,
    on: NaiveDate,
    actor: &Actor,
) -> Result<Organization> {
    match db {
        Db::Sqlite(p) => sqlite::dissolve(p, scope, id, on, actor).await,
        Db::Postgres(p) => postgres::dissolve(p, scope, id, on, actor).await,
    }
}

pub async fn apply(db: &Db, scope: &Scope, ops: &[Op], actor: &Actor) -> Result<ApplySummary> {
    match db {
        Db::Sqlite(p) => sqlite::apply(p, scope, ops, actor).await,
        Db::Postgres(p) => postgres::apply(p, scope, ops, actor).await,
    }
}

pub async fn bulk_insert(
    db: &Db,
    rows: &[(Option<usize>, OrgDraft)],
    actor: &Actor,
) -> Result<Vec<i64>> {
    match db {
        Db::Sqlite(p) => sqlite::bulk_insert(p, rows, actor).await,
        Db::Postgres(p) => postgres::bulk_insert(p, rows, actor).await,
    }
}

/// Whether a kind of unit can have children at all (for forms).
pub fn can_have_children(kind: OrgKind) -> bool {
    kind != OrgKind::Chamber
}
