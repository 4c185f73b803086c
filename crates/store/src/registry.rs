//! Changing the registry: create, edit, move, dissolve, bulk insert. Each change runs in one
//! transaction, checks what only the database can see (the parent, duplicates, the version), and
//! writes the history (membership links and events) beside the record.
//!
//! The transactional code is written once in [`backend_ops!`] and compiled for each backend.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use shanghui_core::field::Field;
use shanghui_core::i18n::{Lang, Msg};
use shanghui_core::org::{OrgDraft, OrgStatus, Organization, check_placement};
use shanghui_core::tree::{MoveError, OrgPath, plan_move};
use shanghui_core::{Problem, Scope};

use crate::orgs::{COLUMNS, Counts, OrgRow};
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

/// A record about to be inserted, with its id and path chosen.
pub(crate) struct NewRow<'a> {
    id: i64,
    parent_id: Option<i64>,
    path: OrgPath,
    draft: &'a OrgDraft,
}

/// Count changes owed to the ancestors of changed units, written once at the end of a
/// transaction: an import of thousands of chambers touches each federation's row once.
#[derive(Default)]
/// Kept in id order: concurrent transactions then lock the same rows in the same order and
/// cannot deadlock on them.
pub(crate) struct Deltas(BTreeMap<i64, Counts>);

impl Deltas {
    /// Owes `delta` to every ancestor of the unit at `path` (not the unit itself).
    fn add(&mut self, path: &OrgPath, delta: Counts) {
        if delta.is_zero() {
            return;
        }
        let ids = path.ids();
        for id in &ids[..ids.len() - 1] {
            let e = self.0.entry(*id).or_default();
            *e = e.plus(delta);
        }
    }
    fn drain(&mut self) -> impl Iterator<Item = (i64, Counts)> + use<> {
        std::mem::take(&mut self.0).into_iter()
    }
}

macro_rules! backend_ops {
    ($module:ident, $DB:ty, $extra:ident) => {
        pub(crate) mod $module {
            use super::*;
            use super::$extra::{begin, reserve_ids};
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
                path: &OrgPath,
                action: &str,
                on: Option<NaiveDate>,
                actor: &Actor,
                detail: &str,
            ) -> Result<()> {
                sqlx::query(
                    "insert into audit_event (created_at, app_user_id, actor, ip, action, organization_id, path, \
                     effective_on, detail) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(Utc::now())
                .bind(actor.user_id)
                .bind(&actor.name)
                .bind(&actor.from)
                .bind(action)
                .bind(id)
                .bind(path.as_str())
                .bind(on)
                .bind(detail)
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

            /// Writes the accumulated count changes, one statement per changed unit.
            async fn flush(tx: &mut Tx, deltas: &mut Deltas) -> Result<()> {
                for (id, d) in deltas.drain() {
                    if d.is_zero() {
                        continue;
                    }
                    sqlx::query(
                        "update organization set below_federations = below_federations + $1, \
                         below_branches = below_branches + $2, below_chambers = below_chambers + $3 \
                         where organization_id = $4",
                    )
                    .bind(d.federations)
                    .bind(d.branches)
                    .bind(d.chambers)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// Writes new records whose ids and paths are already chosen (see `reserve_ids`):
            /// multi-row statements for the records, their first membership period and their
            /// creation event, because per-statement overhead dominates large imports.
            pub(crate) async fn insert_rows(
                tx: &mut Tx,
                deltas: &mut Deltas,
                rows: &[NewRow<'_>],
                action: &str,
                actor: &Actor,
            ) -> Result<()> {
                let now = Utc::now();
                let today = shanghui_core::value::china_date(now);
                // 30 columns: 800 rows stay under SQLite's 32,766 bound parameters.
                for chunk in rows.chunks(800) {
                    let mut qb: QueryBuilder<DB> = QueryBuilder::new(
                        "insert into organization (organization_id, parent_id, path, kind, level, name, uscc, \
                         uscc_override_reason, category, founded_on, division_code, registered, unregistered_reason, \
                         party_org, party_org_form, party_org_reason, members_unit, members_individual, members_total, \
                         council_size, standing_council_size, president, secretary_general, last_reelection, status, \
                         dissolved_on, version, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        let d = r.draft;
                        b.push_bind(r.id)
                            .push_bind(r.parent_id)
                            .push_bind(r.path.as_str().to_string())
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
                    qb.build().execute(&mut **tx).await?;
                    // Membership starts at founding where known: a unit entered today may have
                    // belonged to its federation for years.
                    let mut links: QueryBuilder<DB> =
                        QueryBuilder::new("insert into organization_link (organization_id, parent_id, valid_from, valid_to) ");
                    links.push_values(chunk, |mut b, r| {
                        b.push_bind(r.id)
                            .push_bind(r.parent_id)
                            .push_bind(r.draft.founded_on.unwrap_or(today))
                            .push_bind(r.draft.dissolved_on);
                    });
                    links.build().execute(&mut **tx).await?;
                    let mut events: QueryBuilder<DB> = QueryBuilder::new(
                        "insert into audit_event (created_at, app_user_id, actor, ip, action, organization_id, path, \
                         effective_on, detail) ",
                    );
                    events.push_values(chunk, |mut b, r| {
                        b.push_bind(now)
                            .push_bind(actor.user_id)
                            .push_bind(actor.name.clone())
                            .push_bind(actor.from.clone())
                            .push_bind(action.to_string())
                            .push_bind(r.id)
                            .push_bind(r.path.as_str().to_string())
                            .push_bind(r.draft.founded_on)
                            .push_bind(created_json(r.draft));
                    });
                    events.build().execute(&mut **tx).await?;
                }
                for r in rows {
                    deltas.add(&r.path, Counts::of(r.draft));
                }
                Ok(())
            }

            /// Inserts one checked record below `parent` and gives its id and path.
            pub(crate) async fn insert(
                tx: &mut Tx,
                deltas: &mut Deltas,
                parent: Option<(i64, &OrgPath)>,
                draft: &OrgDraft,
                action: &str,
                actor: &Actor,
            ) -> Result<(i64, OrgPath)> {
                let id = reserve_ids(tx, 1).await?[0];
                let path = match parent {
                    Some((_, pp)) => pp.child(id),
                    None => OrgPath::root(id),
                };
                let row = NewRow { id, parent_id: parent.map(|p| p.0), path: path.clone(), draft };
                insert_rows(tx, deltas, std::slice::from_ref(&row), action, actor).await?;
                Ok((id, path))
            }

            pub(crate) async fn create(
                pool: &Pool<DB>,
                scope: &Scope,
                parent_id: Option<i64>,
                draft: &OrgDraft,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = begin(pool).await?;
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
                let mut deltas = Deltas::default();
                let (id, _) = insert(&mut tx, &mut deltas, parent.as_ref().map(|p| (p.id, &p.path)), draft, "create", actor).await?;
                flush(&mut tx, &mut deltas).await?;
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

            /// An edit of a unit with children (its kind, level or division) must leave every
            /// child placed as the rules require.
            async fn children_still_fit(tx: &mut Tx, id: i64, draft: &OrgDraft) -> Result<()> {
                let sql = format!("select {COLUMNS} from organization where parent_id = $1 and status = 'active'");
                let rows: Vec<OrgRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_all(&mut **tx).await?;
                let mut problems = Vec::new();
                for child in rows.into_iter().map(Organization::try_from) {
                    let child = child?;
                    let c = &child.record;
                    if let Err(m) = check_placement(
                        c.kind,
                        c.level,
                        c.division_code.as_ref(),
                        Some((draft.kind, draft.level, draft.division_code.as_ref())),
                    ) {
                        let msg = if m.key == "problem.outside_parent_division" {
                            Msg::new("problem.child_outside_division")
                                .with("name", &c.name)
                                .with("id", child.id)
                                .with("value", c.division_code.as_ref().map(|d| d.to_string()).unwrap_or_default())
                        } else {
                            Msg::new("problem.child_placement").with("name", &c.name).with("id", child.id).with_key("reason", m.key)
                        };
                        problems.push(Problem::general(msg));
                        if problems.len() >= 20 {
                            break;
                        }
                    }
                }
                if problems.is_empty() { Ok(()) } else { Err(StoreError::Rejected(problems)) }
            }

            /// Writes `draft` over the record if it still has `expected_version`.
            pub(crate) async fn overwrite(
                tx: &mut Tx,
                deltas: &mut Deltas,
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
                        close_link(tx, current.id, draft.dissolved_on.unwrap_or_else(|| shanghui_core::value::china_date(Utc::now()))).await?;
                    }
                    (OrgStatus::Dissolved, OrgStatus::Active) => {
                        open_link(tx, current.id, current.parent_id, shanghui_core::value::china_date(Utc::now())).await?;
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
                deltas.add(&current.path, Counts::of(draft).minus(Counts::of(&current.record)));
                event(tx, current.id, &current.path, action, None, actor, &changes_json(&changed)).await
            }

            pub(crate) async fn update(
                pool: &Pool<DB>,
                scope: &Scope,
                id: i64,
                expected_version: i64,
                draft: &OrgDraft,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = begin(pool).await?;
                let current = require(&mut tx, scope, id).await?;
                let parent = match current.parent_id {
                    Some(p) => Some(require(&mut tx, &Scope::all(), p).await?),
                    None => None,
                };
                placement(draft, parent.as_ref())?;
                children_still_fit(&mut tx, id, draft).await?;
                let dups = duplicates(&mut tx, draft, current.parent_id, id).await?;
                if !dups.is_empty() {
                    return Err(StoreError::Rejected(dups));
                }
                let mut deltas = Deltas::default();
                overwrite(&mut tx, &mut deltas, &current, expected_version, draft, "update", actor).await?;
                flush(&mut tx, &mut deltas).await?;
                let org = require(&mut tx, &Scope::all(), id).await?;
                tx.commit().await?;
                Ok(org)
            }

            /// Moves the subtree at `node` below `new_parent` (both already checked to be in scope).
            pub(crate) async fn relocate(
                tx: &mut Tx,
                deltas: &mut Deltas,
                node: &Organization,
                new_parent: &Organization,
                on: NaiveDate,
                actor: &Actor,
            ) -> Result<()> {
                if node.record.status == OrgStatus::Dissolved {
                    return Err(StoreError::rejected(Problem::error(Field::Parent, Msg::new("problem.move_dissolved"))));
                }
                // A move ends the current membership period, so it cannot be dated before it began.
                let since: Option<NaiveDate> = sqlx::query_scalar(
                    "select max(valid_from) from organization_link where organization_id = $1 and valid_to is null",
                )
                .bind(node.id)
                .fetch_one(&mut **tx)
                .await?;
                if let Some(since) = since
                    && on < since
                {
                    return Err(StoreError::rejected(Problem::error(
                        Field::Parent,
                        Msg::new("problem.move_before_link").with("from", since),
                    )));
                }
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
                // The counts travel with the subtree: off the old ancestors, onto the new ones.
                // Pending changes are written first so the subtree's stored counts are whole.
                flush(tx, deltas).await?;
                let (f, b, c): (i64, i64, i64) = sqlx::query_as(
                    "select below_federations, below_branches, below_chambers from organization where organization_id = $1",
                )
                .bind(node.id)
                .fetch_one(&mut **tx)
                .await?;
                let moving = Counts { federations: f, branches: b, chambers: c }.plus(Counts::of(&node.record));
                deltas.add(from, Counts::default().minus(moving));
                deltas.add(&to, moving);
                sqlx::query("update organization set path = $1 || substr(path, $2) where path >= $3 and path < $4")
                    .bind(to.as_str())
                    .bind(from.as_str().len() as i32 + 1)
                    .bind(from.as_str())
                    .bind(from.upper_bound())
                    .execute(&mut **tx)
                    .await?;
                // Reports of open campaigns follow the move (their rates are by current tree);
                // closed campaigns keep the tree as it was when they closed.
                sqlx::query(
                    "update report set path = $1 || substr(path, $2) where path >= $3 and path < $4 \
                     and campaign_id in (select campaign_id from campaign where status = 'open')",
                )
                .bind(to.as_str())
                .bind(from.as_str().len() as i32 + 1)
                .bind(from.as_str())
                .bind(from.upper_bound())
                .execute(&mut **tx)
                .await?;
                sqlx::query(
                    "update finding set path = $1 || substr(path, $2) where path >= $3 and path < $4 \
                     and campaign_id in (select campaign_id from campaign where status = 'open')",
                )
                .bind(to.as_str())
                .bind(from.as_str().len() as i32 + 1)
                .bind(from.as_str())
                .bind(from.upper_bound())
                .execute(&mut **tx)
                .await?;
                sqlx::query("update campaign set generation = generation + 1 where status = 'open'")
                    .execute(&mut **tx)
                    .await?;
                // A campaign is seen from its opener's place in the tree, wherever it moves.
                sqlx::query("update campaign set path = $1 || substr(path, $2) where path >= $3 and path < $4")
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
                event(tx, node.id, &to, "move", Some(on), actor, &detail).await
            }

            pub(crate) async fn move_to(
                pool: &Pool<DB>,
                scope: &Scope,
                id: i64,
                new_parent: i64,
                on: NaiveDate,
                actor: &Actor,
            ) -> Result<Organization> {
                let mut tx = begin(pool).await?;
                let node = require(&mut tx, scope, id).await?;
                let parent = require(&mut tx, scope, new_parent).await?;
                let mut deltas = Deltas::default();
                relocate(&mut tx, &mut deltas, &node, &parent, on, actor).await?;
                flush(&mut tx, &mut deltas).await?;
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
                let mut tx = begin(pool).await?;
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
                let mut deltas = Deltas::default();
                overwrite(&mut tx, &mut deltas, &node, node.version, &draft, "dissolve", actor).await?;
                flush(&mut tx, &mut deltas).await?;
                let org = require(&mut tx, &Scope::all(), id).await?;
                tx.commit().await?;
                Ok(org)
            }

            /// Applies checked operations in one transaction: creates first (parents before the
            /// children that refer to them), then updates and moves.
            pub(crate) async fn apply(pool: &Pool<DB>, scope: &Scope, ops: &[Op], actor: &Actor) -> Result<ApplySummary> {
                let mut tx = begin(pool).await?;
                let mut deltas = Deltas::default();
                let mut created: Vec<Option<(i64, OrgPath)>> = vec![None; ops.len()];
                // Thousands of new chambers share a few hundred parents: read each once.
                let mut parents: std::collections::HashMap<i64, OrgPath> = std::collections::HashMap::new();
                let mut summary = ApplySummary::default();
                let order = creation_order(ops)?;
                let creates: Vec<usize> = order.into_iter().filter(|&i| matches!(ops[i], Op::Create { .. })).collect();
                let ids = reserve_ids(&mut tx, creates.len()).await?;
                let mut rows: Vec<NewRow<'_>> = Vec::with_capacity(creates.len());
                for (&i, &id) in creates.iter().zip(&ids) {
                    let Op::Create { parent, draft } = &ops[i] else { continue };
                    let parent_at = match parent {
                        ParentRef::None => None,
                        ParentRef::Existing(pid) => match parents.get(pid) {
                            Some(path) => Some((*pid, path.clone())),
                            None => {
                                let p = require(&mut tx, scope, *pid).await?;
                                parents.insert(p.id, p.path.clone());
                                Some((p.id, p.path))
                            }
                        },
                        ParentRef::Batch(j) => created[*j].clone(),
                    };
                    let path = match &parent_at {
                        Some((_, pp)) => pp.child(id),
                        None => OrgPath::root(id),
                    };
                    created[i] = Some((id, path.clone()));
                    rows.push(NewRow { id, parent_id: parent_at.map(|(p, _)| p), path, draft });
                }
                insert_rows(&mut tx, &mut deltas, &rows, "import", actor).await?;
                summary.created = rows.len();
                for (index, op) in ops.iter().enumerate() {
                    let Op::Update { id, draft, new_parent } = op else { continue };
                    let at_row = |e: StoreError| match e {
                        StoreError::Rejected(problems) => StoreError::RejectedRow { index, problems },
                        other => other,
                    };
                    let current = require(&mut tx, scope, *id).await?;
                    let np = match new_parent {
                        Some(ParentRef::Existing(p)) => Some(*p),
                        Some(ParentRef::Batch(j)) => created[*j].as_ref().map(|(id, _)| *id),
                        _ => None,
                    };
                    if let Some(np) = np {
                        let parent = require(&mut tx, scope, np).await?;
                        relocate(&mut tx, &mut deltas, &current, &parent, shanghui_core::value::china_date(Utc::now()), actor)
                            .await
                            .map_err(at_row)?;
                        summary.moved += 1;
                    }
                    let current = require(&mut tx, scope, *id).await?;
                    if !changes(&current.record, draft).is_empty() {
                        children_still_fit(&mut tx, *id, draft).await.map_err(at_row)?;
                        overwrite(&mut tx, &mut deltas, &current, current.version, draft, "import", actor)
                            .await
                            .map_err(at_row)?;
                        summary.updated += 1;
                    } else {
                        summary.unchanged += 1;
                    }
                }
                flush(&mut tx, &mut deltas).await?;
                tx.commit().await?;
                summary.ids = created.into_iter().map(|c| c.map(|(id, _)| id)).collect();
                Ok(summary)
            }

            /// Inserts a generated tree in one transaction. `rows[i].0` is the index of row i's
            /// parent within `rows` (an earlier row) or `None` for a root.
            pub(crate) async fn bulk_insert(
                pool: &Pool<DB>,
                rows: &[(Option<usize>, OrgDraft)],
                actor: &Actor,
            ) -> Result<Vec<i64>> {
                let mut tx = begin(pool).await?;
                let ids = reserve_ids(&mut tx, rows.len()).await?;
                let mut paths: Vec<OrgPath> = Vec::with_capacity(rows.len());
                for (i, (parent, _)) in rows.iter().enumerate() {
                    let p = match parent {
                        Some(j) if *j < i => paths[*j].child(ids[i]),
                        Some(_) => return Err(StoreError::Corrupt("bulk insert: parent after child".into())),
                        None => OrgPath::root(ids[i]),
                    };
                    paths.push(p);
                }
                let new: Vec<NewRow<'_>> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, (parent, draft))| NewRow {
                        id: ids[i],
                        parent_id: parent.map(|j| ids[j]),
                        path: paths[i].clone(),
                        draft,
                    })
                    .collect();
                let mut deltas = Deltas::default();
                insert_rows(&mut tx, &mut deltas, &new, "generate", actor).await?;
                flush(&mut tx, &mut deltas).await?;
                tx.commit().await?;
                Ok(ids)
            }
        }
    };
}

backend_ops!(sqlite, sqlx::Sqlite, sqlite_extra);
backend_ops!(postgres, sqlx::Postgres, postgres_extra);

pub(crate) mod sqlite_extra {
    use sqlx::{Pool, Sqlite, Transaction};

    /// Takes the write lock at once: a deferred transaction that reads first and writes later
    /// fails with "database is locked" under concurrent writers instead of waiting its turn.
    pub(crate) async fn begin(pool: &Pool<Sqlite>) -> crate::Result<Transaction<'static, Sqlite>> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// `n` fresh ids; safe because the transaction holds SQLite's single write lock.
    pub(crate) async fn reserve_ids(
        tx: &mut Transaction<'static, Sqlite>,
        n: usize,
    ) -> crate::Result<Vec<i64>> {
        let base: i64 =
            sqlx::query_scalar("select coalesce(max(organization_id), 0) + 1 from organization")
                .fetch_one(&mut **tx)
                .await?;
        Ok((0..n as i64).map(|i| base + i).collect())
    }
}

pub(crate) mod postgres_extra {
    use sqlx::{Pool, Postgres, Transaction};

    pub(crate) async fn begin(
        pool: &Pool<Postgres>,
    ) -> crate::Result<Transaction<'static, Postgres>> {
        Ok(pool.begin().await?)
    }

    /// `n` ids from the identity sequence, reserved for this transaction.
    pub(crate) async fn reserve_ids(
        tx: &mut Transaction<'static, Postgres>,
        n: usize,
    ) -> crate::Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "select nextval(pg_get_serial_sequence('organization', 'organization_id')) from generate_series(1, $1)",
        )
        .bind(n as i64)
        .fetch_all(&mut **tx)
        .await?)
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
