//! Registry import: every row checked against the domain rules, the stored registry and the rest
//! of the file; all problems reported at once; nothing written unless every row is good.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use shanghui_core::division::DivisionIndex;
use shanghui_core::field::Field;
use shanghui_core::i18n::{Lang, Msg};
use shanghui_core::org::{OrgDraft, OrgInput, OrgKind, Organization, check_placement, parse_org};
use shanghui_core::{Problem, Scope, uscc, value};
use sqlx::QueryBuilder;

use crate::registry::{self, ApplySummary, Op, ParentRef};
use crate::{Actor, Db, StoreError, with_db};

/// What placement rules need to know of a parent: kind, level and division.
type Placing = (
    OrgKind,
    Option<shanghui_core::FederationLevel>,
    Option<shanghui_core::DivisionCode>,
);

fn placing(d: &OrgDraft) -> Placing {
    (d.kind, d.level, d.division_code.clone())
}

/// One row of a file, with the label that names its place (e.g. `单位 第 5 行`), used in messages
/// that point from one row to another.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub place: String,
    pub input: OrgInput,
}

#[derive(Debug, Clone)]
pub struct RowProblem {
    pub index: usize,
    pub problem: Problem,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} problems", .0.len())]
    Rejected(Vec<RowProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The few columns of every record in scope that checking a file needs.
#[derive(sqlx::FromRow, Clone)]
struct Key {
    organization_id: i64,
    parent_id: Option<i64>,
    name: String,
    uscc: Option<String>,
}

/// Reads, checks and (if all is well) applies a file's rows. `columns` are the fields the file
/// has: for a row that updates a record (it has an ID), fields the file lacks keep their stored
/// values, while an empty cell in a present column clears the value.
pub async fn import(
    db: &Db,
    scope: &Scope,
    divisions: &DivisionIndex,
    rows: &[ImportRow],
    columns: &BTreeSet<Field>,
    today: NaiveDate,
    actor: &Actor,
) -> Result<ApplySummary, ImportError> {
    let started = std::time::Instant::now();
    let mut problems: Vec<RowProblem> = Vec::new();
    let mut push = |index: usize, problem: Problem| problems.push(RowProblem { index, problem });

    // The registry as far as the file can touch it.
    let (lo, hi) = scope.range();
    let keys: Vec<Key> = with_db!(db, p => sqlx::query_as(
        "select organization_id, parent_id, name, uscc from organization where path >= $1 and path < $2")
        .bind(&lo).bind(&hi).fetch_all(p).await)
    .map_err(StoreError::from)?;
    let by_id: HashMap<i64, &Key> = keys.iter().map(|k| (k.organization_id, k)).collect();
    let mut by_name: HashMap<&str, Vec<i64>> = HashMap::new();
    for k in &keys {
        by_name
            .entry(k.name.as_str())
            .or_default()
            .push(k.organization_id);
    }
    let sibling_of: HashMap<(Option<i64>, &str), i64> = keys
        .iter()
        .map(|k| ((k.parent_id, k.name.as_str()), k.organization_id))
        .collect();

    // Target records of rows that carry an ID.
    let mut targets: Vec<Option<i64>> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let raw = r
            .input
            .get(&Field::Id)
            .map(|s| value::normalize(s))
            .filter(|s| !s.is_empty());
        let t = match raw {
            None => None,
            Some(raw) => match value::parse_int(raw.trim_start_matches('#')) {
                Some(id) if by_id.contains_key(&id) => Some(id),
                Some(id) => {
                    push(
                        i,
                        Problem::error(Field::Id, Msg::new("problem.not_found").with("id", id)),
                    );
                    None
                }
                None => {
                    push(
                        i,
                        Problem::error(
                            Field::Id,
                            Msg::new("problem.id_unknown").with("value", raw),
                        ),
                    );
                    None
                }
            },
        };
        targets.push(t);
    }
    let wanted: Vec<i64> = targets.iter().flatten().copied().collect();
    let current: HashMap<i64, Organization> = fetch_many(db, scope, &wanted)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();

    // Parse every row (merging with the stored record for updates).
    let mut drafts: Vec<Option<OrgDraft>> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let input = match targets[i].and_then(|id| current.get(&id)) {
            Some(org) => {
                let mut merged = org.record.to_input(Lang::ZhCn);
                for f in columns {
                    match r.input.get(f) {
                        Some(v) => merged.insert(*f, v.clone()),
                        None => merged.remove(f),
                    };
                }
                merged
            }
            None => r.input.clone(),
        };
        match parse_org(&input, divisions, today) {
            Ok(d) => drafts.push(Some(d)),
            Err(ps) => {
                for p in ps {
                    push(i, p);
                }
                drafts.push(None);
            }
        }
    }

    // Names of new rows, for parents created by the same file.
    let mut file_names: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, d) in drafts.iter().enumerate() {
        if let (Some(d), None) = (d, targets[i]) {
            file_names.entry(d.name.clone()).or_default().push(i);
        }
    }

    // Resolve parents.
    let by_uscc: HashMap<&str, i64> = keys
        .iter()
        .filter_map(|k| k.uscc.as_deref().map(|u| (u, k.organization_id)))
        .collect();
    let parent_lookup = Parents {
        by_id: &by_id,
        by_name: &by_name,
        by_uscc: &by_uscc,
        file_names: &file_names,
    };
    let mut parents: Vec<Option<ParentRef>> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let raw = r
            .input
            .get(&Field::Parent)
            .map(|s| value::normalize(s))
            .filter(|s| !s.is_empty());
        let given = raw.is_some();
        let resolved = match raw {
            None => None,
            Some(raw) => match resolve_parent(&raw, &parent_lookup) {
                Ok(p) => Some(p),
                Err(msg) => {
                    push(i, Problem::error(Field::Parent, msg));
                    None
                }
            },
        };
        let p = match (resolved, targets[i]) {
            (Some(p), _) => Some(p),
            // An update without a parent column keeps its parent.
            (None, Some(id)) => Some(
                by_id[&id]
                    .parent_id
                    .map_or(ParentRef::None, ParentRef::Existing),
            ),
            (None, None) => {
                let national = drafts[i].as_ref().is_some_and(|d| {
                    d.kind == OrgKind::Federation
                        && d.level
                            .is_some_and(|l| l == shanghui_core::FederationLevel::National)
                });
                if national && scope.root().is_none() {
                    Some(ParentRef::None)
                } else {
                    // A parent that was given but not found is reported already.
                    if !given {
                        push(
                            i,
                            Problem::error(Field::Parent, Msg::new("problem.parent_required")),
                        );
                    }
                    None
                }
            }
        };
        parents.push(p);
    }

    // Placement and duplicates.
    let parent_info = |p: ParentRef,
                       cur: &HashMap<i64, Organization>,
                       extra: &HashMap<i64, Placing>|
     -> Option<Placing> {
        match p {
            ParentRef::None => None,
            ParentRef::Existing(id) => cur
                .get(&id)
                .map(|o| placing(&o.record))
                .or_else(|| extra.get(&id).cloned()),
            ParentRef::Batch(j) => drafts[j].as_ref().map(placing),
        }
    };
    let parent_ids: Vec<i64> = parents
        .iter()
        .filter_map(|p| match p {
            Some(ParentRef::Existing(id)) if !current.contains_key(id) => Some(*id),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let parent_records: HashMap<i64, Placing> = fetch_many(db, scope, &parent_ids)
        .await?
        .into_iter()
        .map(|o| (o.id, placing(&o.record)))
        .collect();

    let mut seen_uscc: HashMap<String, usize> = HashMap::new();
    let mut seen_name: HashMap<(ParentRef, String), usize> = HashMap::new();
    let file_usccs: Vec<String> = drafts
        .iter()
        .flatten()
        .filter_map(|d| d.uscc.as_ref().map(|u| u.to_string()))
        .collect();
    let stored_usccs = usccs_in_use(db, &file_usccs).await?;
    for i in 0..rows.len() {
        let (Some(d), Some(p)) = (&drafts[i], parents[i]) else {
            continue;
        };
        if batch_cycle(i, &parents) {
            push(
                i,
                Problem::error(Field::Parent, Msg::new("problem.move_into_own_subtree")),
            );
            continue;
        }
        let info = parent_info(p, &current, &parent_records);
        if p != ParentRef::None && info.is_none() {
            continue; // the parent row itself has problems, reported there
        }
        if let Err(m) = check_placement(
            d.kind,
            d.level,
            d.division_code.as_ref(),
            info.as_ref().map(|(k, l, c)| (*k, *l, c.as_ref())),
        ) {
            push(i, Problem::error(Field::Parent, m));
        }
        if let Some(u) = &d.uscc {
            if let Some(&first) = seen_uscc.get(u.as_str()) {
                push(
                    i,
                    Problem::error(
                        Field::Uscc,
                        Msg::new("problem.duplicate_in_file").with("place", &rows[first].place),
                    ),
                );
            } else {
                seen_uscc.insert(u.to_string(), i);
            }
            if let Some((id, name)) = stored_usccs.get(u.as_str())
                && Some(*id) != targets[i]
            {
                push(
                    i,
                    Problem::error(
                        Field::Uscc,
                        Msg::new("problem.duplicate_uscc")
                            .with("value", u)
                            .with("name", name)
                            .with("id", id),
                    ),
                );
            }
        }
        let key = (p, d.name.clone());
        if let Some(&first) = seen_name.get(&key) {
            push(
                i,
                Problem::error(
                    Field::Name,
                    Msg::new("problem.duplicate_in_file").with("place", &rows[first].place),
                ),
            );
        } else {
            seen_name.insert(key, i);
        }
        if let ParentRef::Existing(pid) = p
            && let Some(&other) = sibling_of.get(&(Some(pid), d.name.as_str()))
            && Some(other) != targets[i]
        {
            push(
                i,
                Problem::error(
                    Field::Name,
                    Msg::new("problem.duplicate_name")
                        .with("name", &d.name)
                        .with("id", other),
                ),
            );
        }
    }

    tracing::info!(
        rows = rows.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import checked"
    );
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.index);
        return Err(ImportError::Rejected(problems));
    }

    let ops: Vec<Op> = (0..rows.len())
        .map(|i| {
            let draft = drafts[i].clone().expect("rows without problems parsed");
            let parent = parents[i].expect("rows without problems have a parent");
            match targets[i] {
                None => Op::Create { parent, draft },
                Some(id) => {
                    let stored_parent = by_id[&id]
                        .parent_id
                        .map_or(ParentRef::None, ParentRef::Existing);
                    Op::Update {
                        id,
                        draft,
                        new_parent: (parent != stored_parent).then_some(parent),
                    }
                }
            }
        })
        .collect();
    let summary = match registry::apply(db, scope, &ops, actor).await {
        Ok(s) => s,
        Err(StoreError::RejectedRow { index, problems }) => {
            return Err(ImportError::Rejected(
                problems
                    .into_iter()
                    .map(|problem| RowProblem { index, problem })
                    .collect(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(
        rows = rows.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import written"
    );
    Ok(summary)
}

/// A parent as written in a cell: `#123` or `名称 #123` (an ID, as exports write it), a credit
/// code, or a name that must be unique among the records in scope and the file's new rows.
/// Where a parent is looked up: the records in scope, and the new rows of the file.
struct Parents<'a> {
    by_id: &'a HashMap<i64, &'a Key>,
    by_name: &'a HashMap<&'a str, Vec<i64>>,
    by_uscc: &'a HashMap<&'a str, i64>,
    file_names: &'a HashMap<String, Vec<usize>>,
}

/// A parent as written in a cell: `#123` or `名称 #123` (an ID, as exports write it), a credit
/// code, or a name that must be unique among the records in scope and the file's new rows. All
/// from memory: a file of thousands of rows asks the database nothing here.
fn resolve_parent(raw: &str, p: &Parents<'_>) -> Result<ParentRef, Msg> {
    let unknown = || Msg::new("problem.parent_unknown").with("value", raw);
    if let Some((_, id)) = raw.rsplit_once('#')
        && let Some(id) = value::parse_int(id)
    {
        return if p.by_id.contains_key(&id) {
            Ok(ParentRef::Existing(id))
        } else {
            Err(unknown())
        };
    }
    if let uscc::UsccCheck::Ok(code) | uscc::UsccCheck::BadCheckDigit { code, .. } =
        uscc::check(raw)
        && let Some(id) = p.by_uscc.get(code.as_str())
    {
        return Ok(ParentRef::Existing(*id));
    }
    let stored = p.by_name.get(raw).map_or(0, |v| v.len());
    let new = p.file_names.get(raw).map_or(0, |v| v.len());
    match (stored, new) {
        (1, 0) => Ok(ParentRef::Existing(p.by_name[raw][0])),
        (0, 1) => Ok(ParentRef::Batch(p.file_names[raw][0])),
        (0, 0) => Err(unknown()),
        _ => Err(Msg::new("problem.parent_ambiguous").with("value", raw)),
    }
}

async fn fetch_many(db: &Db, scope: &Scope, ids: &[i64]) -> Result<Vec<Organization>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    let (lo, hi) = scope.range();
    for chunk in ids.chunks(500) {
        let rows: Vec<crate::orgs::OrgRow> = with_db!(db, p => {
            let mut qb = QueryBuilder::new(format!("select {} from organization where path >= ", crate::orgs::COLUMNS));
            qb.push_bind(&lo).push(" and path < ").push_bind(&hi).push(" and organization_id in (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        out.extend(crate::orgs::convert(rows)?);
    }
    Ok(out)
}

/// Which of these credit codes are already used anywhere in the registry, and by whom.
async fn usccs_in_use(
    db: &Db,
    codes: &[String],
) -> Result<HashMap<String, (i64, String)>, StoreError> {
    let mut out = HashMap::new();
    for chunk in codes.chunks(500) {
        let rows: Vec<(String, i64, String)> = with_db!(db, p => {
            let mut qb = QueryBuilder::new("select uscc, organization_id, name from organization where uscc in (");
            let mut sep = qb.separated(", ");
            for c in chunk {
                sep.push_bind(c.as_str());
            }
            qb.push(")");
            qb.build_query_as().fetch_all(p).await
        })?;
        out.extend(rows.into_iter().map(|(u, id, n)| (u, (id, n))));
    }
    Ok(out)
}

/// Whether following new-row parents from row `i` comes back to it.
fn batch_cycle(i: usize, parents: &[Option<ParentRef>]) -> bool {
    let mut cur = i;
    for _ in 0..parents.len() {
        match parents[cur] {
            Some(ParentRef::Batch(j)) if j == i => return true,
            Some(ParentRef::Batch(j)) => cur = j,
            _ => return false,
        }
    }
    false
}
