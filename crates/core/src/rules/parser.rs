//! Tokens to a syntax tree. Precedence, loosest first:
//!
//! | operators | |
//! |---|---|
//! | `->` (→ ⇒) | implication, right-associative: `a -> b -> c` is `a -> (b -> c)` |
//! | `or` `\|\|` 或 | |
//! | `and` `&&` 且 | |
//! | `not` `!` 非 | prefix |
//! | `= != < <= > >=` (`==` `<>` ≥ ≤ ≠) | one per operand pair: `a < b < c` is refused |
//! | `+ -` | |
//! | `* /` (× ÷) | |
//! | `-` | unary minus |
//!
//! then numbers, text, `true`/`false`, names (`members_total`, `org.category`), calls
//! (`len(x)`) and parentheses.

use super::RuleError;
use super::lexer::{CmpOp, Tok, Token};
use crate::i18n::Msg;

/// Deepest nesting accepted (parentheses, operators, calls): rules people write stay far below
/// it, and it keeps every recursive pass over the tree shallow.
pub(super) const MAX_DEPTH: usize = 48;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Cmp(CmpOp),
    And,
    Or,
    Implies,
}

impl BinOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Cmp(c) => c.symbol(),
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Implies => "->",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Expr {
    pub kind: Kind,
    /// 1-based character offset where the expression starts.
    pub pos: usize,
    depth: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Num(f64),
    Str(String),
    Bool(bool),
    /// `members_total`, `org.category`: the dotted parts, lower-cased.
    Name(Vec<String>),
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin {
        op: BinOp,
        op_pos: usize,
        left: Box<Expr>,
        right: Box<Expr>,
    },
}

impl Expr {
    fn new(kind: Kind, pos: usize) -> Result<Expr, RuleError> {
        let depth = 1 + match &kind {
            Kind::Num(_) | Kind::Str(_) | Kind::Bool(_) | Kind::Name(_) => 0,
            Kind::Call { args, .. } => args.iter().map(|a| a.depth).max().unwrap_or(0),
            Kind::Neg(e) | Kind::Not(e) => e.depth,
            Kind::Bin { left, right, .. } => left.depth.max(right.depth),
        };
        if depth > MAX_DEPTH {
            return Err(RuleError::at(
                pos,
                Msg::new("rules.parse.too_deep").with("max", MAX_DEPTH),
            ));
        }
        Ok(Expr { kind, pos, depth })
    }
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Characters in the rule, for errors at its end.
    len: usize,
    nest: usize,
}

pub(super) fn parse(input: &str) -> Result<Expr, RuleError> {
    let toks = super::lexer::lex(input)?;
    let len = input.chars().count();
    if toks.is_empty() {
        return Err(RuleError::at(1, Msg::new("rules.parse.empty")));
    }
    let mut p = Parser {
        toks,
        i: 0,
        len,
        nest: 0,
    };
    let e = p.implies()?;
    if let Some(t) = p.toks.get(p.i) {
        let msg = if t.tok == Tok::RParen {
            Msg::new("rules.parse.unmatched_paren")
        } else {
            Msg::new("rules.parse.unexpected").with("found", &t.text)
        };
        return Err(RuleError::at(t.pos, msg));
    }
    Ok(e)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.len + 1, |t| t.pos)
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }

    /// Counts one level of recursion; refuses past [`MAX_DEPTH`].
    fn enter(&mut self) -> Result<(), RuleError> {
        self.nest += 1;
        if self.nest > MAX_DEPTH {
            return Err(RuleError::at(
                self.pos(),
                Msg::new("rules.parse.too_deep").with("max", MAX_DEPTH),
            ));
        }
        Ok(())
    }

    fn bin(op: BinOp, op_pos: usize, left: Expr, right: Expr) -> Result<Expr, RuleError> {
        let pos = left.pos;
        Expr::new(
            Kind::Bin {
                op,
                op_pos,
                left: Box::new(left),
                right: Box::new(right),
            },
            pos,
        )
        // Too deep: say so at the operator, not at the start of the rule.
        .map_err(|e| RuleError::at(op_pos, e.msg))
    }

    fn implies(&mut self) -> Result<Expr, RuleError> {
        self.enter()?;
        let left = self.or()?;
        let e = if self.peek() == Some(&Tok::Implies) {
            let op_pos = self.pos();
            self.bump();
            let right = self.implies()?;
            Self::bin(BinOp::Implies, op_pos, left, right)?
        } else {
            left
        };
        self.nest -= 1;
        Ok(e)
    }

    fn or(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            let op_pos = self.pos();
            self.bump();
            let right = self.and()?;
            left = Self::bin(BinOp::Or, op_pos, left, right)?;
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.not()?;
        while self.peek() == Some(&Tok::And) {
            let op_pos = self.pos();
            self.bump();
            let right = self.not()?;
            left = Self::bin(BinOp::And, op_pos, left, right)?;
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, RuleError> {
        if self.peek() == Some(&Tok::Not) {
            let pos = self.pos();
            self.bump();
            self.enter()?;
            let e = self.not()?;
            self.nest -= 1;
            return Expr::new(Kind::Not(Box::new(e)), pos);
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Expr, RuleError> {
        let left = self.sum()?;
        let Some(Tok::Cmp(op)) = self.peek().cloned() else {
            return Ok(left);
        };
        let op_pos = self.pos();
        self.bump();
        let right = self.sum()?;
        if let Some(Tok::Cmp(_)) = self.peek() {
            return Err(RuleError::at(
                self.pos(),
                Msg::new("rules.parse.chained_comparison"),
            ));
        }
        Self::bin(BinOp::Cmp(op), op_pos, left, right)
    }

    fn sum(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.term()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => BinOp::Add,
                Some(Tok::Minus) => BinOp::Sub,
                _ => return Ok(left),
            };
            let op_pos = self.pos();
            self.bump();
            let right = self.term()?;
            left = Self::bin(op, op_pos, left, right)?;
        }
    }

    fn term(&mut self) -> Result<Expr, RuleError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => BinOp::Mul,
                Some(Tok::Slash) => BinOp::Div,
                _ => return Ok(left),
            };
            let op_pos = self.pos();
            self.bump();
            let right = self.unary()?;
            left = Self::bin(op, op_pos, left, right)?;
        }
    }

    fn unary(&mut self) -> Result<Expr, RuleError> {
        match self.peek() {
            Some(Tok::Minus) => {
                let pos = self.pos();
                self.bump();
                self.enter()?;
                let e = self.unary()?;
                self.nest -= 1;
                // A negative literal stays a literal.
                if let Kind::Num(n) = e.kind {
                    return Expr::new(Kind::Num(-n), pos);
                }
                Expr::new(Kind::Neg(Box::new(e)), pos)
            }
            Some(Tok::Plus) => {
                self.bump();
                self.enter()?;
                let e = self.unary();
                self.nest -= 1;
                e
            }
            _ => self.primary(),
        }
    }

    fn expected_operand(&self) -> RuleError {
        let msg = match self.toks.get(self.i) {
            Some(t) => Msg::new("rules.parse.expected_operand").with("found", &t.text),
            None => Msg::new("rules.parse.unexpected_end"),
        };
        RuleError::at(self.pos(), msg)
    }

    fn primary(&mut self) -> Result<Expr, RuleError> {
        let Some(t) = self.toks.get(self.i).cloned() else {
            return Err(self.expected_operand());
        };
        let pos = t.pos;
        match t.tok {
            Tok::Num(n) => {
                self.bump();
                Expr::new(Kind::Num(n), pos)
            }
            Tok::Str(s) => {
                self.bump();
                Expr::new(Kind::Str(s), pos)
            }
            Tok::True | Tok::False => {
                self.bump();
                Expr::new(Kind::Bool(t.tok == Tok::True), pos)
            }
            Tok::LParen => {
                self.bump();
                let e = self.implies()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(RuleError::at(pos, Msg::new("rules.parse.unclosed_paren")));
                }
                self.bump();
                Ok(e)
            }
            Tok::Ident(name) => {
                self.bump();
                if self.peek() == Some(&Tok::LParen) {
                    let open = self.pos();
                    self.bump();
                    let mut args = Vec::new();
                    if self.peek() == Some(&Tok::RParen) {
                        self.bump();
                    } else {
                        loop {
                            args.push(self.implies()?);
                            match self.peek() {
                                Some(Tok::Comma) => {
                                    self.bump();
                                }
                                Some(Tok::RParen) => {
                                    self.bump();
                                    break;
                                }
                                None => {
                                    return Err(RuleError::at(
                                        open,
                                        Msg::new("rules.parse.unclosed_paren"),
                                    ));
                                }
                                Some(_) => {
                                    return Err(RuleError::at(
                                        self.pos(),
                                        Msg::new("rules.parse.expected_comma").with(
                                            "found",
                                            self.toks.get(self.i).map_or("", |t| &t.text),
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    return Expr::new(Kind::Call { name, args }, pos);
                }
                let mut parts = vec![name];
                while self.peek() == Some(&Tok::Dot) {
                    self.bump();
                    match self.peek().cloned() {
                        Some(Tok::Ident(n)) => {
                            self.bump();
                            parts.push(n);
                        }
                        _ => return Err(self.expected_name()),
                    }
                }
                Expr::new(Kind::Name(parts), pos)
            }
            _ => Err(self.expected_operand()),
        }
    }

    fn expected_name(&self) -> RuleError {
        let msg = match self.toks.get(self.i) {
            Some(t) => Msg::new("rules.parse.expected_name").with("found", &t.text),
            None => Msg::new("rules.parse.unexpected_end"),
        };
        RuleError::at(self.pos(), msg)
    }
}
