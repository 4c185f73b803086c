//! The organisation tree as materialised paths: `/1/` is the root, `/1/35/` a child of it, and so
//! on by organisation id. A subtree is then a prefix, which both SQLite and PostgreSQL answer from
//! an ordinary index with a range (`path >= prefix and path < upper_bound`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct OrgPath(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("a path starts and ends with '/' and holds positive ids between: {0:?}")]
    Malformed(String),
}

impl OrgPath {
    /// The path of a root organisation.
    pub fn root(id: i64) -> Self {
        OrgPath(format!("/{id}/"))
    }

    pub fn parse(s: &str) -> Result<Self, PathError> {
        let ok = s.len() >= 3
            && s.starts_with('/')
            && s.ends_with('/')
            && s[1..s.len() - 1].split('/').all(|seg| {
                !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) && !seg.starts_with('0')
            });
        if ok {
            Ok(OrgPath(s.to_string()))
        } else {
            Err(PathError::Malformed(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn child(&self, id: i64) -> Self {
        OrgPath(format!("{}{id}/", self.0))
    }

    /// The ids from the root down to this organisation.
    pub fn ids(&self) -> Vec<i64> {
        self.0
            .split('/')
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect()
    }

    /// The organisation this path ends at.
    pub fn id(&self) -> i64 {
        *self
            .ids()
            .last()
            .expect("a parsed path has at least one id")
    }

    /// Depth below the root (the root is 0).
    pub fn depth(&self) -> usize {
        self.ids().len() - 1
    }

    pub fn parent(&self) -> Option<OrgPath> {
        let trimmed = &self.0[..self.0.len() - 1];
        let cut = trimmed.rfind('/')?;
        (cut > 0).then(|| OrgPath(self.0[..=cut].to_string()))
    }

    /// Whether `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &OrgPath) -> bool {
        self.0.starts_with(&ancestor.0)
    }

    /// The smallest string above every path in this subtree: the trailing `/` (0x2F) replaced by
    /// `0` (0x30). Used as the exclusive upper bound of range queries; the column must compare
    /// bytewise (`collate "C"` on PostgreSQL, the default on SQLite).
    pub fn upper_bound(&self) -> String {
        format!("{}0", &self.0[..self.0.len() - 1])
    }

    /// The new path of `self` when the subtree rooted at `from` moves to `to`.
    pub fn rebase(&self, from: &OrgPath, to: &OrgPath) -> Option<OrgPath> {
        self.0
            .strip_prefix(&from.0)
            .map(|rest| OrgPath(format!("{}{rest}", to.0)))
    }
}

impl fmt::Display for OrgPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user may see: a subtree. Every store read takes one, so access control is a matter of
/// choosing the scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `None` is the whole registry (system administrators, command-line tools run by the
    /// operator).
    root: Option<OrgPath>,
}

impl Scope {
    pub fn all() -> Self {
        Scope { root: None }
    }
    pub fn subtree(root: OrgPath) -> Self {
        Scope { root: Some(root) }
    }
    pub fn root(&self) -> Option<&OrgPath> {
        self.root.as_ref()
    }
    pub fn contains(&self, path: &OrgPath) -> bool {
        self.root.as_ref().is_none_or(|r| path.is_within(r))
    }
    /// The inclusive lower and exclusive upper bound of the paths in scope.
    pub fn range(&self) -> (String, String) {
        match &self.root {
            Some(r) => (r.as_str().to_string(), r.upper_bound()),
            // '0' sorts above every path, which all start with '/'.
            None => ("/".to_string(), "0".to_string()),
        }
    }
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("an organisation cannot move below itself or its own descendants")]
    IntoOwnSubtree,
    #[error("the organisation is already there")]
    AlreadyThere,
}

/// Checks a move of the subtree at `node` below `new_parent` and gives the node's new path.
pub fn plan_move(node: &OrgPath, new_parent: &OrgPath) -> Result<OrgPath, MoveError> {
    if new_parent.is_within(node) {
        return Err(MoveError::IntoOwnSubtree);
    }
    if node.parent().as_ref() == Some(new_parent) {
        return Err(MoveError::AlreadyThere);
    }
    Ok(new_parent.child(node.id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn basics() {
        let p = OrgPath::parse("/1/35/3501/").unwrap();
        assert_eq!(p.ids(), vec![1, 35, 3501]);
        assert_eq!(p.id(), 3501);
        assert_eq!(p.depth(), 2);
        assert_eq!(p.parent().unwrap().as_str(), "/1/35/");
        assert_eq!(OrgPath::root(1).parent(), None);
        assert!(p.is_within(&OrgPath::parse("/1/35/").unwrap()));
        assert!(
            !OrgPath::parse("/1/350/")
                .unwrap()
                .is_within(&OrgPath::parse("/1/35/").unwrap())
        );
        assert!(OrgPath::parse("1/2/").is_err());
        assert!(OrgPath::parse("/1//").is_err());
        assert!(OrgPath::parse("/01/").is_err());
    }

    #[test]
    fn range_excludes_siblings_with_longer_ids() {
        let s = Scope::subtree(OrgPath::parse("/1/5/").unwrap());
        let (lo, hi) = s.range();
        let inside = |p: &str| p >= lo.as_str() && p < hi.as_str();
        assert!(inside("/1/5/"));
        assert!(inside("/1/5/99/7/"));
        assert!(!inside("/1/50/"));
        assert!(!inside("/1/6/"));
        assert!(!inside("/1/"));
    }

    #[test]
    fn refuses_cycles() {
        let a = OrgPath::parse("/1/2/").unwrap();
        let b = OrgPath::parse("/1/2/3/").unwrap();
        assert_eq!(plan_move(&a, &b), Err(MoveError::IntoOwnSubtree));
        assert_eq!(plan_move(&a, &a), Err(MoveError::IntoOwnSubtree));
        assert_eq!(plan_move(&b, &a), Err(MoveError::AlreadyThere));
        assert_eq!(plan_move(&b, &OrgPath::root(1)).unwrap().as_str(), "/1/3/");
    }

    /// A random tree as parent links: node i (1-based) has a parent below i, node 1 is the root.
    fn tree() -> impl Strategy<Value = Vec<usize>> {
        (2usize..40).prop_flat_map(|n| (1..n).map(|i| 0..i).collect::<Vec<_>>())
    }

    fn paths(parents: &BTreeMap<i64, Option<i64>>) -> BTreeMap<i64, OrgPath> {
        fn path_of(id: i64, parents: &BTreeMap<i64, Option<i64>>) -> OrgPath {
            match parents[&id] {
                None => OrgPath::root(id),
                Some(p) => path_of(p, parents).child(id),
            }
        }
        parents
            .keys()
            .map(|&id| (id, path_of(id, parents)))
            .collect()
    }

    proptest! {
        /// Moving a subtree by rebasing paths gives the same paths as recomputing them from the
        /// parent links after the move, and never makes a cycle.
        #[test]
        fn moves_keep_paths_consistent(parent_of in tree(), moves in prop::collection::vec((0usize..40, 0usize..40), 1..10)) {
            let mut parents: BTreeMap<i64, Option<i64>> = BTreeMap::new();
            parents.insert(1, None);
            for (i, p) in parent_of.iter().enumerate() {
                parents.insert(i as i64 + 2, Some(*p as i64 + 1));
            }
            let n = parents.len();
            let mut current = paths(&parents);
            for (a, b) in moves {
                let node = (a % n) as i64 + 1;
                let target = (b % n) as i64 + 1;
                let from = current[&node].clone();
                match plan_move(&from, &current[&target]) {
                    Ok(to) => {
                        prop_assert!(!current[&target].is_within(&from));
                        for p in current.values_mut() {
                            if let Some(new) = p.rebase(&from, &to) { *p = new; }
                        }
                        parents.insert(node, Some(target));
                    }
                    Err(MoveError::IntoOwnSubtree) => prop_assert!(current[&target].is_within(&from)),
                    Err(MoveError::AlreadyThere) => prop_assert_eq!(parents[&node], Some(target)),
                }
                prop_assert_eq!(&current, &paths(&parents));
                for (id, p) in &current {
                    prop_assert_eq!(p.id(), *id);
                    prop_assert_eq!(p.parent().map(|pp| pp.id()), parents[id]);
                }
            }
        }

        #[test]
        fn scope_range_matches_is_within(parent_of in tree(), pick in 0usize..40) {
            let mut parents: BTreeMap<i64, Option<i64>> = BTreeMap::new();
            parents.insert(1, None);
            for (i, p) in parent_of.iter().enumerate() {
                parents.insert(i as i64 + 2, Some(*p as i64 + 1));
            }
            let all = paths(&parents);
            let root = all[&((pick % all.len()) as i64 + 1)].clone();
            let scope = Scope::subtree(root.clone());
            let (lo, hi) = scope.range();
            for p in all.values() {
                let in_range = p.as_str() >= lo.as_str() && p.as_str() < hi.as_str();
                prop_assert_eq!(in_range, p.is_within(&root));
                prop_assert_eq!(scope.contains(p), p.is_within(&root));
            }
        }
    }
}
