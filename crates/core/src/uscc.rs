//! 统一社会信用代码 (unified social credit code), GB 32100-2015.
//!
//! A malformed code is an error; a code whose check character does not match is only a warning,
//! because some codes issued early (Fujian, 2015) fail the check and are nevertheless legal.

use std::fmt;

/// The 31 characters a code may use, in the order that gives each its value 0..=30.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights 3^(i-1) mod 31 for positions 1..=17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A well-formed code (18 characters of the alphabet). The check character may still be wrong:
/// see [`UsccCheck`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Uscc(String);

impl Uscc {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Position 1: the registering department (5 = civil affairs).
    pub fn department(&self) -> char {
        self.0.as_bytes()[0] as char
    }
    /// Positions 3-8: division code of the registering authority when the code was issued.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
    /// The check character that positions 1-17 call for.
    pub fn expected_check(&self) -> char {
        expected_check(&self.0.as_bytes()[..17])
    }
    pub fn check_ok(&self) -> bool {
        self.expected_check() == self.0.as_bytes()[17] as char
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What checking a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsccCheck {
    Ok(Uscc),
    /// Well formed, but the check character is not the one positions 1-17 call for.
    BadCheckDigit {
        code: Uscc,
        expected: char,
    },
    /// Not a code at all.
    Malformed(UsccError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("length {0}, expected 18")]
    Length(usize),
    #[error("character {ch:?} at position {pos} is not allowed")]
    Character { pos: usize, ch: char },
}

fn value_of(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

fn expected_check(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| value_of(b).unwrap_or(0) * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    ALPHABET[check as usize] as char
}

/// Checks a code as typed: surrounding spaces are dropped and lower case is read as upper case,
/// because that is how codes arrive from spreadsheets.
pub fn check(input: &str) -> UsccCheck {
    let code: String = input.trim().to_ascii_uppercase();
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return UsccCheck::Malformed(UsccError::Length(chars.len()));
    }
    for (i, &ch) in chars.iter().enumerate() {
        if !ch.is_ascii() || value_of(ch as u8).is_none() {
            return UsccCheck::Malformed(UsccError::Character { pos: i + 1, ch });
        }
    }
    let uscc = Uscc(code);
    let expected = uscc.expected_check();
    if uscc.check_ok() {
        UsccCheck::Ok(uscc)
    } else {
        UsccCheck::BadCheckDigit {
            code: uscc,
            expected,
        }
    }
}

/// Builds a valid code from 17 leading characters; used by the synthetic-data generator and tests.
pub fn with_check(first17: &str) -> Option<Uscc> {
    let b = first17.as_bytes();
    if b.len() != 17 || b.iter().any(|&c| value_of(c).is_none()) {
        return None;
    }
    let mut s = first17.to_string();
    s.push(expected_check(b));
    Some(Uscc(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standards_vectors() {
        // STANDARDS.md §3 worked example.
        assert!(matches!(check("91350100M000100Y43"), UsccCheck::Ok(_)));
        assert!(matches!(
            check("91350100M000100Y4Z"),
            UsccCheck::Malformed(UsccError::Character { pos: 18, ch: 'Z' })
        ));
        // A legal early Fujian code that fails the check: a warning, not an error.
        match check("91350100M0001TGQXM") {
            UsccCheck::BadCheckDigit { code, .. } => {
                assert_eq!(code.as_str(), "91350100M0001TGQXM")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            with_check("91350100M000100Y4").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn wrong_check_character_is_a_warning() {
        match check("91350100M000100Y44") {
            UsccCheck::BadCheckDigit { expected, .. } => assert_eq!(expected, '3'),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed() {
        assert_eq!(check(""), UsccCheck::Malformed(UsccError::Length(0)));
        assert_eq!(check("9135010"), UsccCheck::Malformed(UsccError::Length(7)));
        assert!(matches!(
            check("91350100I000100Y43"),
            UsccCheck::Malformed(UsccError::Character { pos: 9, ch: 'I' })
        ));
        assert!(matches!(
            check("91350100M00010０Y43"),
            UsccCheck::Malformed(_)
        ));
    }

    #[test]
    fn lower_case_and_spaces_are_accepted() {
        assert!(matches!(check(" 91350100m000100y43 "), UsccCheck::Ok(_)));
    }

    proptest::proptest! {
        #[test]
        fn generated_codes_pass(s in "[0-9A-HJ-NP-RTUW-Y]{17}") {
            let code = with_check(&s).unwrap();
            proptest::prop_assert!(matches!(check(code.as_str()), UsccCheck::Ok(_)));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = check(&s);
        }
    }
}
