//! Type-checks a syntax tree against a template and lowers it to the compiled form: names
//! resolved to slots, choice texts to choice indices, yes/no and date texts to values, constants
//! folded.

use super::eval::{self, Arith, B, C, Cmp, D, N, NO_CHOICE, OrgField, Part, Prepared, S, Span};
use super::lexer::CmpOp;
use super::parser::{BinOp, Expr, Kind};
use super::{Ref, RuleError};
use crate::i18n::{Lang, Msg};
use crate::template::{ItemType, Template};
use crate::value;

/// The registry's enumerations as choice lists, after the template's choices in the global
/// choice index: (list, code, catalogue key of the label).
pub(super) const BUILTIN: &[(&str, &str, &str)] = &[
    ("org.kind", "federation", "kind.federation"),
    ("org.kind", "branch", "kind.branch"),
    ("org.kind", "chamber", "kind.chamber"),
    ("org.level", "national", "level.national"),
    ("org.level", "provincial", "level.provincial"),
    ("org.level", "city", "level.city"),
    ("org.level", "county", "level.county"),
    ("org.category", "industry", "category.industry"),
    ("org.category", "hometown", "category.hometown"),
    ("org.category", "township", "category.township"),
    ("org.category", "street", "category.street"),
    ("org.category", "village", "category.village"),
    ("org.category", "market", "category.market"),
    ("org.category", "park", "category.park"),
    ("org.category", "building", "category.building"),
    ("org.category", "other", "category.other"),
    ("org.party_form", "committee", "party_form.committee"),
    (
        "org.party_form",
        "general_branch",
        "party_form.general_branch",
    ),
    ("org.party_form", "branch", "party_form.branch"),
    ("org.party_form", "joint_branch", "party_form.joint_branch"),
    ("org.party_form", "none", "rules.party_form.none"),
    ("org.status", "active", "status.active"),
    ("org.status", "dissolved", "status.dissolved"),
];

/// Index of a registry enumeration's value among [`BUILTIN`].
pub(super) fn builtin_id(list: &str, code: &str) -> Option<u32> {
    BUILTIN
        .iter()
        .position(|(l, c, _)| *l == list && *c == code)
        .map(|i| i as u32)
}

/// The functions, with the number of arguments they take (min, max).
pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("len", 1, 1),
    ("abs", 1, 1),
    ("min", 1, 16),
    ("max", 1, 16),
    ("round", 1, 2),
    ("years_between", 2, 2),
    ("months_between", 2, 2),
    ("days_between", 2, 2),
    ("year", 1, 1),
    ("month", 1, 1),
    ("day", 1, 1),
    ("date", 1, 1),
    ("add_years", 2, 2),
    ("add_months", 2, 2),
    ("add_days", 2, 2),
    ("prev", 1, 1),
    ("present", 1, 1),
    ("empty", 1, 1),
    ("count", 1, 1),
    ("has", 2, 2),
    ("if", 3, 3),
    ("is_uscc", 1, 1),
    ("uscc_check", 1, 1),
    ("contains", 2, 2),
];

/// One entry of the global choice index.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// The choices a compiled rule knows: the template's, then the registry's enumerations.
#[derive(Debug, Clone, Default)]
pub(super) struct Choices {
    pub entries: Vec<Entry>,
    /// List names, and the global indices of each list's choices in order.
    pub lists: Vec<(String, Vec<u32>)>,
}

impl Choices {
    pub(super) fn of(t: &Template) -> Choices {
        let mut c = Choices::default();
        let add = |c: &mut Choices, list: &str, code: &str, zh: String, en: String| {
            let l = match c.lists.iter().position(|(n, _)| n == list) {
                Some(l) => l,
                None => {
                    c.lists.push((list.to_string(), Vec::new()));
                    c.lists.len() - 1
                }
            };
            c.lists[l].1.push(c.entries.len() as u32);
            c.entries.push(Entry {
                code: code.to_string(),
                zh,
                en,
            });
        };
        for ch in &t.choices {
            add(
                &mut c,
                &ch.list,
                &ch.code,
                ch.label_zh.clone(),
                ch.label_en.clone(),
            );
        }
        for (list, code, key) in BUILTIN {
            add(
                &mut c,
                list,
                code,
                Lang::ZhCn.t(key).to_string(),
                Lang::En.t(key).to_string(),
            );
        }
        // Lists an item names without choices (a template read from storage may have them).
        for item in &t.items {
            if let ItemType::Choice(l) | ItemType::MultiChoice(l) = &item.ty
                && !c.lists.iter().any(|(n, _)| n == l)
            {
                c.lists.push((l.clone(), Vec::new()));
            }
        }
        c
    }

    pub(super) fn list(&self, name: &str) -> usize {
        self.lists
            .iter()
            .position(|(n, _)| n == name)
            .unwrap_or(usize::MAX)
    }

    fn list_name(&self, l: usize) -> &str {
        self.lists.get(l).map_or("?", |(n, _)| n.as_str())
    }

    fn ids(&self, l: usize) -> &[u32] {
        self.lists.get(l).map_or(&[], |(_, v)| v.as_slice())
    }

    /// The choice of list `l` that `text` names by code or label (zh, or en in any case).
    fn resolve(&self, l: usize, text: &str) -> Option<u32> {
        let s = value::normalize(text);
        let ids = self.ids(l);
        let find = |f: &dyn Fn(&Entry) -> bool| {
            ids.iter()
                .copied()
                .find(|&i| self.entries.get(i as usize).is_some_and(f))
        };
        find(&|e| e.code == s)
            .or_else(|| find(&|e| e.zh == s))
            .or_else(|| find(&|e| e.en.eq_ignore_ascii_case(&s)))
            .or_else(|| find(&|e| e.code.eq_ignore_ascii_case(&s)))
    }

    fn labels(&self, l: usize) -> String {
        self.ids(l)
            .iter()
            .filter_map(|&i| self.entries.get(i as usize))
            .map(|e| e.zh.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// For comparing lists `a` and `b`: each choice of `a` as the choice of `b` with the same code
    /// (or, failing that, the same Chinese label). `None` when they share nothing.
    fn mapping(&self, a: usize, b: usize) -> Option<Box<[u32]>> {
        let mut table = vec![NO_CHOICE; self.entries.len()];
        let mut any = false;
        for &i in self.ids(a) {
            let e = &self.entries[i as usize];
            let same = |f: &dyn Fn(&Entry) -> bool| {
                self.ids(b)
                    .iter()
                    .copied()
                    .find(|&j| f(&self.entries[j as usize]))
            };
            if let Some(j) = same(&|o| o.code == e.code).or_else(|| same(&|o| o.zh == e.zh)) {
                table[i as usize] = j;
                any = true;
            }
        }
        any.then(|| table.into_boxed_slice())
    }
}

/// A typed expression while checking.
enum T {
    N(N),
    B(B),
    S(S),
    D(D),
    /// A choice of the list.
    C(C, usize),
    /// A multiple-choice slot of the list.
    M(u32, usize),
    /// Text typed in the rule, not yet given a type: it may name a choice, a yes/no or a date.
    Lit(String),
    /// An ASCII word that names nothing, beside a comparison: a choice code
    /// (`party_org_form = branch`) if the other side is a choice, else the error it carries.
    Bare(String, RuleError),
}

pub(super) struct Checker<'t> {
    t: &'t Template,
    pub choices: Choices,
    /// Inside `prev(…)`.
    in_prev: bool,
    /// Slots whose values the rule reads (for the missing-value strategy).
    pub loads: Vec<u32>,
    /// Everything the rule refers to, in order of first mention.
    pub refs: Vec<Ref>,
}

fn err(pos: usize, msg: Msg) -> RuleError {
    RuleError::at(pos, msg)
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The candidate closest to `name`, if close enough to be a typo.
pub(super) fn closest<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (name.chars().count() / 3).clamp(1, 4);
    candidates
        .into_iter()
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn unknown(key: &'static str, key_suggest: &'static str, name: &str, s: Option<&str>) -> Msg {
    match s {
        Some(s) => Msg::new(key_suggest)
            .with("name", name)
            .with("suggestion", s),
        None => Msg::new(key).with("name", name),
    }
}

fn cmp_of(op: CmpOp) -> Cmp {
    match op {
        CmpOp::Eq => Cmp::Eq,
        CmpOp::Ne => Cmp::Ne,
        CmpOp::Lt => Cmp::Lt,
        CmpOp::Le => Cmp::Le,
        CmpOp::Gt => Cmp::Gt,
        CmpOp::Ge => Cmp::Ge,
    }
}

// Constant folding: a node whose operands are all constants is evaluated now.
fn fold_n(n: N) -> N {
    let all = match &n {
        N::Neg(a) | N::Abs(a) => a.is_const(),
        N::Arith(_, a, b) | N::Div(a, b, _) | N::Round(a, b) => a.is_const() && b.is_const(),
        N::Min(v) | N::Max(v) => v.iter().all(N::is_const),
        N::Len(s) => s.is_const(),
        N::Between(_, a, b) => a.is_const() && b.is_const(),
        N::Part(_, d) => d.is_const(),
        N::If(c, a, b) => {
            if let B::Const(c) = **c {
                return if c { *a.clone() } else { *b.clone() };
            }
            false
        }
        N::Const(_) | N::Slot(_) | N::Year(_) | N::Count(_) => false,
    };
    if all && let Ok(x) = eval::eval_n(&n, &Prepared::empty(), true) {
        return N::Const(x);
    }
    n
}

fn fold_b(b: B) -> B {
    match &b {
        B::Not(a) => {
            if let B::Const(x) = **a {
                return B::Const(!x);
            }
        }
        B::And(a, r) => match **a {
            B::Const(true) => return *r.clone(),
            B::Const(false) => return B::Const(false),
            _ => {}
        },
        B::Or(a, r) => match **a {
            B::Const(false) => return *r.clone(),
            B::Const(true) => return B::Const(true),
            _ => {}
        },
        B::Implies(a, r) => match **a {
            B::Const(true) => return *r.clone(),
            B::Const(false) => return B::Const(true),
            _ => {}
        },
        B::If(c, a, e) => {
            if let B::Const(c) = **c {
                return if c { *a.clone() } else { *e.clone() };
            }
        }
        _ => {}
    }
    let all = match &b {
        B::CmpN(_, a, c) => a.is_const() && c.is_const(),
        B::CmpD(_, a, c) => a.is_const() && c.is_const(),
        B::EqBool(_, a, c) => a.is_const() && c.is_const(),
        B::EqText(_, a, c) | B::Contains(a, c) => a.is_const() && c.is_const(),
        B::EqChoice(_, a, c) => a.is_const() && c.is_const(),
        B::IsUscc(s) | B::UsccCheck(s) => s.is_const(),
        _ => false,
    };
    if all && let Ok(x) = eval::eval_b(&b, &Prepared::empty(), true) {
        return B::Const(x);
    }
    b
}

fn fold_d(d: D) -> D {
    let all = match &d {
        D::AddMonths(a, n, _) | D::AddDays(a, n, _) => a.is_const() && n.is_const(),
        D::If(c, a, b) => {
            if let B::Const(c) = **c {
                return if c { *a.clone() } else { *b.clone() };
            }
            false
        }
        _ => false,
    };
    if all && let Ok(x) = eval::eval_d(&d, &Prepared::empty(), true) {
        return D::Const(x);
    }
    d
}

impl<'t> Checker<'t> {
    pub(super) fn new(t: &'t Template) -> Self {
        Checker {
            t,
            choices: Choices::of(t),
            in_prev: false,
            loads: Vec::new(),
            refs: Vec::new(),
        }
    }

    fn refer(&mut self, r: Ref) {
        if !self.refs.contains(&r) {
            self.refs.push(r);
        }
    }

    fn load(&mut self, slot: u32) {
        if !self.loads.contains(&slot) {
            self.loads.push(slot);
        }
    }

    fn n_items(&self) -> u32 {
        self.t.items.len() as u32
    }

    /// The rule: a condition.
    pub(super) fn rule(&mut self, e: &Expr) -> Result<B, RuleError> {
        match self.expr(e)? {
            T::B(b) => Ok(b),
            other => Err(err(
                e.pos,
                Msg::new("rules.type.not_bool").with_msg("found", self.ty(&other)),
            )),
        }
    }

    fn ty(&self, t: &T) -> Msg {
        match t {
            T::N(_) => Msg::new("rules.ty.number"),
            T::B(_) => Msg::new("rules.ty.bool"),
            T::S(_) | T::Lit(_) | T::Bare(..) => Msg::new("rules.ty.text"),
            T::D(_) => Msg::new("rules.ty.date"),
            T::C(_, l) => Msg::new("rules.ty.choice").with("list", self.choices.list_name(*l)),
            T::M(_, l) => Msg::new("rules.ty.multi").with("list", self.choices.list_name(*l)),
        }
    }

    fn expected(&self, pos: usize, expected: &'static str, found: &T) -> RuleError {
        if let T::Lit(s) = found
            && expected == "rules.ty.number"
            && value::parse_decimal(s).is_some()
        {
            return err(pos, Msg::new("rules.type.quoted_number").with("value", s));
        }
        err(
            pos,
            Msg::new("rules.type.expected")
                .with_key("expected", expected)
                .with_msg("found", self.ty(found)),
        )
    }

    fn num(&mut self, e: &Expr) -> Result<N, RuleError> {
        match self.expr(e)? {
            T::N(n) => Ok(n),
            other => Err(self.expected(e.pos, "rules.ty.number", &other)),
        }
    }

    fn cond(&mut self, e: &Expr) -> Result<B, RuleError> {
        match self.expr(e)? {
            T::B(b) => Ok(b),
            other => Err(self.expected(e.pos, "rules.ty.bool", &other)),
        }
    }

    fn text(&mut self, e: &Expr) -> Result<S, RuleError> {
        match self.expr(e)? {
            T::S(s) => Ok(s),
            T::Lit(s) => Ok(S::Const(s.into())),
            other => Err(self.expected(e.pos, "rules.ty.text", &other)),
        }
    }

    fn date(&mut self, e: &Expr) -> Result<D, RuleError> {
        match self.expr(e)? {
            T::D(d) => Ok(d),
            T::Lit(s) => lit_date(e.pos, &s),
            other => Err(self.expected(e.pos, "rules.ty.date", &other)),
        }
    }

    fn expr(&mut self, e: &Expr) -> Result<T, RuleError> {
        Ok(match &e.kind {
            Kind::Num(x) => T::N(N::Const(*x)),
            Kind::Str(s) => T::Lit(s.clone()),
            Kind::Bool(b) => T::B(B::Const(*b)),
            Kind::Name(parts) => self.name(e.pos, parts)?,
            Kind::Neg(a) => {
                let pos = a.pos;
                match self.expr(a)? {
                    T::N(n) => T::N(fold_n(N::Neg(Box::new(n)))),
                    other => return Err(self.expected(pos, "rules.ty.number", &other)),
                }
            }
            Kind::Not(a) => T::B(fold_b(B::Not(Box::new(self.cond(a)?)))),
            Kind::Bin {
                op,
                op_pos,
                left,
                right,
            } => self.binary(*op, *op_pos, left, right)?,
            Kind::Call { name, args } => self.call(e.pos, name, args)?,
        })
    }

    fn binary(&mut self, op: BinOp, op_pos: usize, l: &Expr, r: &Expr) -> Result<T, RuleError> {
        match op {
            BinOp::And | BinOp::Or | BinOp::Implies => {
                let a = Box::new(self.cond(l)?);
                let b = Box::new(self.cond(r)?);
                Ok(T::B(fold_b(match op {
                    BinOp::And => B::And(a, b),
                    BinOp::Or => B::Or(a, b),
                    _ => B::Implies(a, b),
                })))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let a = self.expr(l)?;
                let b = self.expr(r)?;
                let (a, b) = match (a, b) {
                    (T::N(a), T::N(b)) => (a, b),
                    (T::D(_), _) | (_, T::D(_)) if matches!(op, BinOp::Add | BinOp::Sub) => {
                        return Err(err(op_pos, Msg::new("rules.type.date_arith")));
                    }
                    (T::N(_), b) => return Err(self.operand(op, r.pos, &b)),
                    (a, _) => return Err(self.operand(op, l.pos, &a)),
                };
                let (a, b) = (Box::new(a), Box::new(b));
                let n = match op {
                    BinOp::Add => N::Arith(Arith::Add, a, b),
                    BinOp::Sub => N::Arith(Arith::Sub, a, b),
                    BinOp::Mul => N::Arith(Arith::Mul, a, b),
                    _ => {
                        if let N::Const(d) = *b
                            && d == 0.0
                        {
                            return Err(err(op_pos, Msg::new("rules.type.div_zero")));
                        }
                        N::Div(a, b, op_pos as u32)
                    }
                };
                Ok(T::N(fold_n(n)))
            }
            BinOp::Cmp(c) => {
                let a = self.operand_or_bare(l)?;
                let b = self.operand_or_bare(r)?;
                let (a, b) = match (a, b) {
                    (T::Bare(n, e), T::C(c, list)) => (
                        T::C(C::Const(self.bare_choice(list, &n, e)?), list),
                        T::C(c, list),
                    ),
                    (T::C(c, list), T::Bare(n, e)) => (
                        T::C(c, list),
                        T::C(C::Const(self.bare_choice(list, &n, e)?), list),
                    ),
                    (T::Bare(_, e), _) | (_, T::Bare(_, e)) => return Err(e),
                    pair => pair,
                };
                self.compare(cmp_of(c), c.symbol(), op_pos, a, l.pos, b, r.pos)
                    .map(|b| T::B(fold_b(b)))
            }
        }
    }

    /// A plain word beside a choice: a choice of the list, or (unless it looks like a misspelt
    /// item, `e`) an unknown choice.
    fn bare_choice(&self, list: usize, word: &str, e: RuleError) -> Result<u32, RuleError> {
        if let Some(id) = self.choices.resolve(list, word) {
            return Ok(id);
        }
        if e.msg.key == "rules.type.unknown_item_suggest" {
            return Err(e);
        }
        self.choice(list, e.position.unwrap_or(1), word)
    }

    /// An operand of a comparison: an unknown plain word is kept aside as [`T::Bare`].
    fn operand_or_bare(&mut self, e: &Expr) -> Result<T, RuleError> {
        match (&e.kind, self.expr(e)) {
            (Kind::Name(parts), Err(err)) if parts.len() == 1 && !self.in_prev => {
                Ok(T::Bare(parts[0].clone(), err))
            }
            (_, r) => r,
        }
    }

    fn operand(&self, op: BinOp, pos: usize, found: &T) -> RuleError {
        if let T::Lit(s) = found
            && value::parse_decimal(s).is_some()
        {
            return err(pos, Msg::new("rules.type.quoted_number").with("value", s));
        }
        err(
            pos,
            Msg::new("rules.type.operand")
                .with("op", op.symbol())
                .with_key("expected", "rules.ty.number")
                .with_msg("found", self.ty(found)),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        &self,
        op: Cmp,
        symbol: &str,
        op_pos: usize,
        a: T,
        a_pos: usize,
        b: T,
        b_pos: usize,
    ) -> Result<B, RuleError> {
        let eq_only = matches!(op, Cmp::Eq | Cmp::Ne);
        let ne = op == Cmp::Ne;
        let order_err = |this: &Self, t: &T| {
            err(
                op_pos,
                Msg::new("rules.type.order")
                    .with("op", symbol)
                    .with_msg("found", this.ty(t)),
            )
        };
        Ok(match (a, b) {
            (T::N(a), T::N(b)) => B::CmpN(op, Box::new(a), Box::new(b)),
            (T::D(a), T::D(b)) => B::CmpD(op, Box::new(a), Box::new(b)),
            (T::D(a), T::Lit(s)) => B::CmpD(op, Box::new(a), Box::new(lit_date(b_pos, &s)?)),
            (T::Lit(s), T::D(b)) => B::CmpD(op, Box::new(lit_date(a_pos, &s)?), Box::new(b)),
            (T::D(_), T::N(_)) | (T::N(_), T::D(_)) => {
                return Err(err(op_pos, Msg::new("rules.type.date_number")));
            }
            (T::M(..), _) | (_, T::M(..)) => {
                return Err(err(op_pos, Msg::new("rules.type.multi_compare")));
            }
            (T::N(_), T::Lit(s)) => {
                return Err(err(
                    b_pos,
                    Msg::new("rules.type.quoted_number").with("value", s),
                ));
            }
            (T::Lit(s), T::N(_)) => {
                return Err(err(
                    a_pos,
                    Msg::new("rules.type.quoted_number").with("value", s),
                ));
            }
            (a, _) if !eq_only && !matches!(a, T::N(_) | T::D(_)) => {
                return Err(order_err(self, &a));
            }
            (_, b) if !eq_only && !matches!(b, T::N(_) | T::D(_)) => {
                return Err(order_err(self, &b));
            }
            (T::B(a), T::B(b)) => match (a, b) {
                (x, B::Const(c)) | (B::Const(c), x) => {
                    if c != ne {
                        x
                    } else {
                        fold_b(B::Not(Box::new(x)))
                    }
                }
                (a, b) => B::EqBool(ne, Box::new(a), Box::new(b)),
            },
            (T::B(a), T::Lit(s)) => yes_no(ne, a, b_pos, &s)?,
            (T::Lit(s), T::B(b)) => yes_no(ne, b, a_pos, &s)?,
            (T::S(a), T::S(b)) => B::EqText(ne, Box::new(a), Box::new(b)),
            (T::S(a), T::Lit(s)) => B::EqText(ne, Box::new(a), Box::new(S::Const(s.into()))),
            (T::Lit(s), T::S(b)) => B::EqText(ne, Box::new(S::Const(s.into())), Box::new(b)),
            (T::Lit(a), T::Lit(b)) => B::Const((a == b) != ne),
            (T::C(a, la), T::C(b, lb)) => {
                if la == lb {
                    B::EqChoice(ne, Box::new(a), Box::new(b))
                } else {
                    let Some(table) = self.choices.mapping(la, lb) else {
                        return Err(err(
                            op_pos,
                            Msg::new("rules.type.lists_apart")
                                .with("left", self.choices.list_name(la))
                                .with("right", self.choices.list_name(lb)),
                        ));
                    };
                    B::EqChoice(ne, Box::new(C::Map(Box::new(a), table)), Box::new(b))
                }
            }
            (T::C(a, l), T::Lit(s)) => B::EqChoice(
                ne,
                Box::new(a),
                Box::new(C::Const(self.choice(l, b_pos, &s)?)),
            ),
            (T::Lit(s), T::C(b, l)) => B::EqChoice(
                ne,
                Box::new(C::Const(self.choice(l, a_pos, &s)?)),
                Box::new(b),
            ),
            (a, b) => {
                return Err(err(
                    op_pos,
                    Msg::new("rules.type.compare")
                        .with_msg("left", self.ty(&a))
                        .with_msg("right", self.ty(&b)),
                ));
            }
        })
    }

    fn choice(&self, l: usize, pos: usize, s: &str) -> Result<u32, RuleError> {
        self.choices.resolve(l, s).ok_or_else(|| {
            err(
                pos,
                Msg::new("rules.type.unknown_choice")
                    .with("value", s)
                    .with("list", self.choices.list_name(l))
                    .with("choices", self.choices.labels(l)),
            )
        })
    }

    fn name(&mut self, pos: usize, parts: &[String]) -> Result<T, RuleError> {
        let off = i32::from(self.in_prev);
        match parts {
            [n] if n == "report_year" => {
                self.refer(Ref::Year(off as u8));
                Ok(T::N(N::Year(-off)))
            }
            [n] if n == "report_end" => {
                self.refer(Ref::End(off as u8));
                Ok(T::D(D::End(off as u8)))
            }
            [org, field] if org == "org" => {
                if self.in_prev {
                    return Err(err(pos, Msg::new("rules.type.prev_org")));
                }
                let f = org_field(pos, field)?;
                let slot = 2 * self.n_items() + f as u32;
                self.refer(Ref::Org(f as u8));
                self.load(slot);
                Ok(match f {
                    OrgField::Kind => T::C(C::Slot(slot), self.choices.list("org.kind")),
                    OrgField::Level => T::C(C::Slot(slot), self.choices.list("org.level")),
                    OrgField::Category => T::C(C::Slot(slot), self.choices.list("org.category")),
                    OrgField::PartyOrgForm => {
                        T::C(C::Slot(slot), self.choices.list("org.party_form"))
                    }
                    OrgField::Status => T::C(C::Slot(slot), self.choices.list("org.status")),
                    OrgField::Registered | OrgField::PartyOrg => T::B(B::Slot(slot)),
                    OrgField::MembersTotal
                    | OrgField::MembersUnit
                    | OrgField::MembersIndividual
                    | OrgField::CouncilSize => T::N(N::Slot(slot)),
                    OrgField::FoundedOn | OrgField::LastReelection => T::D(D::Slot(slot)),
                    OrgField::Division | OrgField::Uscc => T::S(S::Slot(slot)),
                })
            }
            [code] => {
                let (slot, ty) = self.item_slot(pos, code)?;
                self.load(slot);
                Ok(match ty {
                    ItemType::Integer | ItemType::Decimal => T::N(N::Slot(slot)),
                    ItemType::Text => T::S(S::Slot(slot)),
                    ItemType::YesNo => T::B(B::Slot(slot)),
                    ItemType::Date => T::D(D::Slot(slot)),
                    ItemType::Choice(l) => T::C(C::Slot(slot), self.choices.list(&l)),
                    ItemType::MultiChoice(l) => T::M(slot, self.choices.list(&l)),
                })
            }
            _ => {
                let name = parts.join(".");
                let s = closest(&name, self.names());
                Err(err(
                    pos,
                    unknown(
                        "rules.type.unknown_item",
                        "rules.type.unknown_item_suggest",
                        &name,
                        s,
                    ),
                ))
            }
        }
    }

    fn names(&self) -> Vec<&'t str> {
        let mut v: Vec<&str> = self.t.items.iter().map(|i| i.code.as_str()).collect();
        v.extend(["report_year", "report_end"]);
        v
    }

    /// The slot of an item (last year's inside `prev`), referring to it.
    fn item_slot(&mut self, pos: usize, code: &str) -> Result<(u32, ItemType), RuleError> {
        let Some(i) = self.t.items.iter().position(|i| i.code == code) else {
            let mut names = self.names();
            names.push("org");
            let s = closest(code, names);
            return Err(err(
                pos,
                unknown(
                    "rules.type.unknown_item",
                    "rules.type.unknown_item_suggest",
                    code,
                    s,
                ),
            ));
        };
        let ty = self.t.items[i].ty.clone();
        if self.in_prev {
            self.refer(Ref::Prev(i as u32));
            Ok((self.n_items() + i as u32, ty))
        } else {
            self.refer(Ref::Item(i as u32));
            Ok((i as u32, ty))
        }
    }

    fn call(&mut self, pos: usize, name: &str, args: &[Expr]) -> Result<T, RuleError> {
        let Some(&(_, lo, hi)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name) else {
            let s = closest(name, FUNCTIONS.iter().map(|(n, _, _)| *n));
            return Err(err(
                pos,
                unknown(
                    "rules.type.unknown_function",
                    "rules.type.unknown_function_suggest",
                    name,
                    s,
                ),
            ));
        };
        if args.len() < lo || args.len() > hi {
            let expected = if lo == hi {
                lo.to_string()
            } else if hi >= 16 {
                format!("{lo}+")
            } else {
                format!("{lo}–{hi}")
            };
            return Err(err(
                pos,
                Msg::new("rules.type.arity")
                    .with("name", name)
                    .with("expected", expected)
                    .with("given", args.len()),
            ));
        }
        let a = |i: usize| &args[i];
        Ok(match name {
            "len" => T::N(fold_n(N::Len(Box::new(self.text(a(0))?)))),
            "abs" => T::N(fold_n(N::Abs(Box::new(self.num(a(0))?)))),
            "min" | "max" => {
                let v = args
                    .iter()
                    .map(|x| self.num(x))
                    .collect::<Result<Vec<_>, _>>()?;
                T::N(fold_n(if name == "min" { N::Min(v) } else { N::Max(v) }))
            }
            "round" => {
                let x = self.num(a(0))?;
                let d = match args.get(1) {
                    Some(d) => self.num(d)?,
                    None => N::Const(0.0),
                };
                T::N(fold_n(N::Round(Box::new(x), Box::new(d))))
            }
            "years_between" | "months_between" | "days_between" => {
                let span = match name {
                    "years_between" => Span::Years,
                    "months_between" => Span::Months,
                    _ => Span::Days,
                };
                let (x, y) = (self.date(a(0))?, self.date(a(1))?);
                T::N(fold_n(N::Between(span, Box::new(x), Box::new(y))))
            }
            "year" | "month" | "day" => {
                let part = match name {
                    "year" => Part::Year,
                    "month" => Part::Month,
                    _ => Part::Day,
                };
                T::N(fold_n(N::Part(part, Box::new(self.date(a(0))?))))
            }
            "date" => match &a(0).kind {
                Kind::Str(s) => T::D(lit_date(a(0).pos, s)?),
                _ => return Err(err(a(0).pos, Msg::new("rules.type.date_literal"))),
            },
            "add_years" | "add_months" | "add_days" => {
                let d = self.date(a(0))?;
                let n = self.num(a(1))?;
                let n = if name == "add_years" {
                    fold_n(N::Arith(Arith::Mul, Box::new(n), Box::new(N::Const(12.0))))
                } else {
                    n
                };
                let (d, n) = (Box::new(d), Box::new(n));
                T::D(fold_d(if name == "add_days" {
                    D::AddDays(d, n, pos as u32)
                } else {
                    D::AddMonths(d, n, pos as u32)
                }))
            }
            "prev" => {
                if self.in_prev {
                    return Err(err(pos, Msg::new("rules.type.nested_prev")));
                }
                self.in_prev = true;
                let r = self.expr(a(0));
                self.in_prev = false;
                r?
            }
            "present" | "empty" => {
                let slot = self.reference(a(0))?;
                T::B(B::Present(name == "empty", slot))
            }
            "count" => {
                let (slot, _) = self.multi(a(0))?;
                T::N(N::Count(slot))
            }
            "has" => {
                let (slot, l) = self.multi(a(0))?;
                let Kind::Str(s) = &a(1).kind else {
                    return Err(err(a(1).pos, Msg::new("rules.type.has_literal")));
                };
                let id = self.choice(l, a(1).pos, s)?;
                let bit = self
                    .choices
                    .ids(l)
                    .iter()
                    .position(|&i| i == id)
                    .unwrap_or(0);
                if bit >= 64 {
                    return Err(err(
                        a(1).pos,
                        Msg::new("rules.type.list_too_long")
                            .with("list", self.choices.list_name(l)),
                    ));
                }
                T::B(B::Has(slot, bit as u8))
            }
            "if" => {
                let c = Box::new(self.cond(a(0))?);
                let x = self.expr(a(1))?;
                let y = self.expr(a(2))?;
                self.branches(c, x, a(1).pos, y, a(2).pos)?
            }
            "is_uscc" => T::B(fold_b(B::IsUscc(Box::new(self.text(a(0))?)))),
            "uscc_check" => T::B(fold_b(B::UsccCheck(Box::new(self.text(a(0))?)))),
            "contains" => {
                let (x, y) = (self.text(a(0))?, self.text(a(1))?);
                T::B(fold_b(B::Contains(Box::new(x), Box::new(y))))
            }
            _ => unreachable!("every function of FUNCTIONS is handled"),
        })
    }

    /// `if(c, x, y)`: both branches of one type; text typed in the rule takes the other's.
    fn branches(&self, c: Box<B>, x: T, xp: usize, y: T, yp: usize) -> Result<T, RuleError> {
        let (x, y) = match (x, y) {
            (T::Lit(a), T::Lit(b)) => (T::S(S::Const(a.into())), T::S(S::Const(b.into()))),
            (T::Lit(s), other) => (self.coerce(s, xp, &other)?, other),
            (other, T::Lit(s)) => {
                let s = self.coerce(s, yp, &other)?;
                (other, s)
            }
            pair => pair,
        };
        Ok(match (x, y) {
            (T::N(a), T::N(b)) => T::N(fold_n(N::If(c, Box::new(a), Box::new(b)))),
            (T::B(a), T::B(b)) => T::B(fold_b(B::If(c, Box::new(a), Box::new(b)))),
            (T::S(a), T::S(b)) => T::S(match *c {
                B::Const(k) => {
                    if k {
                        a
                    } else {
                        b
                    }
                }
                c => S::If(Box::new(c), Box::new(a), Box::new(b)),
            }),
            (T::D(a), T::D(b)) => T::D(fold_d(D::If(c, Box::new(a), Box::new(b)))),
            (T::C(a, la), T::C(b, lb)) if la == lb => T::C(
                match *c {
                    B::Const(k) => {
                        if k {
                            a
                        } else {
                            b
                        }
                    }
                    c => C::If(Box::new(c), Box::new(a), Box::new(b)),
                },
                la,
            ),
            (a, b) => {
                return Err(err(
                    yp,
                    Msg::new("rules.type.if_branches")
                        .with_msg("left", self.ty(&a))
                        .with_msg("right", self.ty(&b)),
                ));
            }
        })
    }

    /// Text typed in the rule as a value of `like`'s type.
    fn coerce(&self, s: String, pos: usize, like: &T) -> Result<T, RuleError> {
        Ok(match like {
            T::S(_) => T::S(S::Const(s.into())),
            T::B(_) => match value::parse_bool(&s) {
                Some(b) => T::B(B::Const(b)),
                None => return Err(err(pos, Msg::new("rules.type.bad_yes_no").with("value", s))),
            },
            T::D(_) => T::D(lit_date(pos, &s)?),
            T::C(_, l) => T::C(C::Const(self.choice(*l, pos, &s)?), *l),
            T::N(_) if value::parse_decimal(&s).is_some() => {
                return Err(err(
                    pos,
                    Msg::new("rules.type.quoted_number").with("value", s),
                ));
            }
            other => {
                return Err(err(
                    pos,
                    Msg::new("rules.type.if_branches")
                        .with_msg("left", Msg::new("rules.ty.text"))
                        .with_msg("right", self.ty(other)),
                ));
            }
        })
    }

    /// The argument of `present`/`empty`: an item, `prev(item)` or `org.field`; referred to but
    /// not counted as read.
    fn reference(&mut self, e: &Expr) -> Result<u32, RuleError> {
        match &e.kind {
            Kind::Name(parts) => match parts.as_slice() {
                [org, _] if org == "org" && self.in_prev => {
                    Err(err(e.pos, Msg::new("rules.type.prev_org")))
                }
                [org, field] if org == "org" => {
                    let f = org_field(e.pos, field)?;
                    self.refer(Ref::Org(f as u8));
                    Ok(2 * self.n_items() + f as u32)
                }
                [code] if code != "report_year" && code != "report_end" => {
                    Ok(self.item_slot(e.pos, code)?.0)
                }
                _ => Err(err(e.pos, Msg::new("rules.type.present_arg"))),
            },
            Kind::Call { name, args } if name == "prev" && args.len() == 1 && !self.in_prev => {
                self.in_prev = true;
                let r = self.reference(&args[0]);
                self.in_prev = false;
                r
            }
            _ => Err(err(e.pos, Msg::new("rules.type.present_arg"))),
        }
    }

    /// A multiple-choice item (or last year's).
    fn multi(&mut self, e: &Expr) -> Result<(u32, usize), RuleError> {
        match self.expr(e)? {
            T::M(slot, l) => {
                if self.choices.ids(l).len() > 64 {
                    return Err(err(
                        e.pos,
                        Msg::new("rules.type.list_too_long")
                            .with("list", self.choices.list_name(l)),
                    ));
                }
                Ok((slot, l))
            }
            other => Err(self.expected(e.pos, "rules.ty.multi_any", &other)),
        }
    }
}

fn yes_no(ne: bool, b: B, pos: usize, s: &str) -> Result<B, RuleError> {
    let Some(want) = value::parse_bool(s) else {
        return Err(err(pos, Msg::new("rules.type.bad_yes_no").with("value", s)));
    };
    Ok(if want != ne {
        b
    } else {
        fold_b(B::Not(Box::new(b)))
    })
}

fn lit_date(pos: usize, s: &str) -> Result<D, RuleError> {
    value::parse_date(s)
        .map(D::Const)
        .ok_or_else(|| err(pos, Msg::new("rules.type.bad_date").with("value", s)))
}

fn org_field(pos: usize, field: &str) -> Result<OrgField, RuleError> {
    OrgField::ALL
        .iter()
        .copied()
        .find(|f| f.name() == field)
        .ok_or_else(|| {
            let s = closest(field, OrgField::ALL.iter().map(|f| f.name()));
            err(
                pos,
                unknown(
                    "rules.type.unknown_org_field",
                    "rules.type.unknown_org_field_suggest",
                    field,
                    s,
                )
                .with("fields", org_fields()),
            )
        })
}

fn org_fields() -> String {
    OrgField::ALL
        .iter()
        .map(|f| format!("org.{}", f.name()))
        .collect::<Vec<_>>()
        .join(", ")
}
