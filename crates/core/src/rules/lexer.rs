//! Splits a rule into tokens. Staff type rules in Chinese input methods, so full-width ASCII
//! (（）＝＞＜，１２３ …) is folded to half width before a character is looked at, `×` and `÷` are
//! operators, and text may be quoted with "…", '…', “…”, ‘…’ or 「…」. Inside quotes the text is
//! kept exactly as typed. A run of non-ASCII letters outside quotes (`合格`, `否`) is a text
//! literal too, so `prior_inspection != 合格` reads as people write it; 且/并且, 或/或者 and 非
//! standing alone are `and`, `or` and `not`.
//!
//! Positions are 1-based character offsets into the rule as typed.

use super::RuleError;
use crate::i18n::Msg;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    /// Quoted text, or a bare run of non-ASCII letters.
    Str(String),
    /// An ASCII identifier, lower-cased.
    Ident(String),
    True,
    False,
    And,
    Or,
    Not,
    Implies,
    Cmp(CmpOp),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    Comma,
    Dot,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based character offset of the token's first character.
    pub pos: usize,
    /// The token as typed, for messages.
    pub text: String,
}

/// The longest rule accepted, in characters: real rules are a line.
pub(super) const MAX_CHARS: usize = 2000;

/// Full-width ASCII to half width, the ideographic space to a space, and the operators people
/// type from Chinese keyboards or symbol pickers to their ASCII spelling.
pub(super) fn fold(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' | '\u{a0}' | '\u{feff}' => ' ',
        '×' | '✕' => '*',
        '÷' => '/',
        '−' | '–' => '-',
        _ => c,
    }
}

fn closing_quote(c: char) -> Option<char> {
    match c {
        '"' => Some('"'),
        '\'' => Some('\''),
        '“' => Some('”'),
        '‘' => Some('’'),
        '「' => Some('」'),
        '『' => Some('』'),
        _ => None,
    }
}

fn err(pos: usize, msg: Msg) -> RuleError {
    RuleError::at(pos, msg)
}

pub(super) fn lex(input: &str) -> Result<Vec<Token>, RuleError> {
    let raw: Vec<char> = input.chars().collect();
    if raw.len() > MAX_CHARS {
        return Err(err(
            MAX_CHARS + 1,
            Msg::new("rules.lex.too_long").with("max", MAX_CHARS),
        ));
    }
    let chars: Vec<char> = raw.iter().copied().map(fold).collect();
    let text = |a: usize, b: usize| raw[a..b].iter().collect::<String>();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let pos = i + 1;
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        // Quotes are looked up on the character as typed and as folded (＂ is ").
        if let Some(close) = closing_quote(raw[i]).or_else(|| closing_quote(c)) {
            let mut j = i + 1;
            while j < chars.len() && raw[j] != close && chars[j] != close {
                j += 1;
            }
            if j >= chars.len() {
                return Err(err(pos, Msg::new("rules.lex.unclosed_string")));
            }
            out.push(Token {
                tok: Tok::Str(text(i + 1, j)),
                pos,
                text: text(i, j + 1),
            });
            i = j + 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
            }
            let digits: String = chars[i..j].iter().collect();
            let mut n: f64 = digits.parse().map_err(|_| {
                err(
                    pos,
                    Msg::new("rules.lex.bad_number").with("value", text(i, j)),
                )
            })?;
            if j < chars.len() && chars[j] == '%' {
                n /= 100.0;
                j += 1;
            }
            out.push(Token {
                tok: Tok::Num(n),
                pos,
                text: text(i, j),
            });
            i = j;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let mut j = i;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let word: String = chars[i..j].iter().collect::<String>().to_ascii_lowercase();
            let tok = match word.as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "true" => Tok::True,
                "false" => Tok::False,
                _ => Tok::Ident(word),
            };
            out.push(Token {
                tok,
                pos,
                text: text(i, j),
            });
            i = j;
            continue;
        }
        if !c.is_ascii() && c.is_alphabetic() {
            let mut j = i;
            while j < chars.len() && !chars[j].is_ascii() && chars[j].is_alphabetic() {
                j += 1;
            }
            let word = text(i, j);
            let tok = match word.as_str() {
                "且" | "并且" => Tok::And,
                "或" | "或者" => Tok::Or,
                "非" => Tok::Not,
                _ => Tok::Str(word.clone()),
            };
            out.push(Token {
                tok,
                pos,
                text: word,
            });
            i = j;
            continue;
        }
        let (tok, len) = match (c, next) {
            ('=', Some('=')) => (Tok::Cmp(CmpOp::Eq), 2),
            ('=', Some('>' | '<')) => {
                return Err(err(
                    pos,
                    Msg::new("rules.lex.ambiguous_op").with("op", text(i, i + 2)),
                ));
            }
            ('=', _) => (Tok::Cmp(CmpOp::Eq), 1),
            ('!', Some('=')) => (Tok::Cmp(CmpOp::Ne), 2),
            ('!', _) => (Tok::Not, 1),
            ('<', Some('=')) => (Tok::Cmp(CmpOp::Le), 2),
            ('<', Some('>')) => (Tok::Cmp(CmpOp::Ne), 2),
            ('<', _) => (Tok::Cmp(CmpOp::Lt), 1),
            ('>', Some('=')) => (Tok::Cmp(CmpOp::Ge), 2),
            ('>', _) => (Tok::Cmp(CmpOp::Gt), 1),
            ('≥', _) => (Tok::Cmp(CmpOp::Ge), 1),
            ('≤', _) => (Tok::Cmp(CmpOp::Le), 1),
            ('≠', _) => (Tok::Cmp(CmpOp::Ne), 1),
            ('-', Some('>')) => (Tok::Implies, 2),
            ('→' | '⇒', _) => (Tok::Implies, 1),
            ('-', _) => (Tok::Minus, 1),
            ('&', Some('&')) => (Tok::And, 2),
            ('|', Some('|')) => (Tok::Or, 2),
            ('+', _) => (Tok::Plus, 1),
            ('*', _) => (Tok::Star, 1),
            ('/', _) => (Tok::Slash, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) | ('、', _) => (Tok::Comma, 1),
            ('.', _) => (Tok::Dot, 1),
            _ => {
                return Err(err(
                    pos,
                    Msg::new("rules.lex.unexpected_char").with("ch", raw[i]),
                ));
            }
        };
        out.push(Token {
            tok,
            pos,
            text: text(start, start + len),
        });
        i += len;
    }
    Ok(out)
}
