//! Reading values the way people type them and spreadsheets hold them: full-width digits,
//! thousands separators, numbers stored as text, 是/否/有/无/√/×, dates in several spellings and as
//! Excel serial numbers. Each function returns `None` when it cannot read the text; the caller
//! names the place and the value in the error.

use chrono::NaiveDate;

/// Trims ASCII and full-width spaces, no-break spaces and byte-order marks, leaving the text
/// itself alone: names and reasons keep their full-width punctuation.
pub fn trim(input: &str) -> &str {
    input.trim_matches(|c: char| {
        c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{feff}'
    })
}

/// Trims ASCII and full-width spaces and no-break spaces; folds full-width ASCII (digits,
/// letters, punctuation) to half width.
pub fn normalize(input: &str) -> String {
    input
        .trim_matches(|c: char| {
            c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}' || c == '\u{feff}'
        })
        .chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Yes/no in the spellings seen in real workbooks.
pub fn parse_bool(input: &str) -> Option<bool> {
    let s = normalize(input).to_lowercase();
    match s.as_str() {
        "是" | "有" | "y" | "yes" | "true" | "1" | "√" | "✓" | "✔" | "对" | "已建立" | "已登记" => {
            Some(true)
        }
        "否" | "无" | "没有" | "n" | "no" | "false" | "0" | "×" | "✗" | "✘" | "x" | "错"
        | "未建立" | "未登记" => Some(false),
        _ => None,
    }
}

/// An integer, possibly negative, possibly written as `1,234`, `１２３４` or `12.0` (how Excel hands
/// over whole numbers).
pub fn parse_int(input: &str) -> Option<i64> {
    let s: String = normalize(input)
        .chars()
        .filter(|&c| c != ',' && c != '，' && c != ' ')
        .collect();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let f: f64 = s.parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// A decimal number with the same tolerance as [`parse_int`].
pub fn parse_decimal(input: &str) -> Option<f64> {
    let s: String = normalize(input)
        .chars()
        .filter(|&c| c != ',' && c != '，' && c != ' ')
        .collect();
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// The civil date in China (UTC+8, no daylight saving) at an instant: what "today" means to
/// the people who use shanghui, whatever the server's time zone.
pub fn china_date(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(8)).date_naive()
}

/// Excel's day zero is 1899-12-30 (its 1900 leap-year bug makes 1900-03-01 serial 61).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.floor() as u64))
}

/// A date as `2024-05-31`, `2024/5/31`, `2024.5.31`, `2024年5月31日`, `20240531`, or an Excel
/// serial number (`45443`). A date that does not exist (`2023-02-30`) is `None`.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = normalize(input);
    if s.is_empty() {
        return None;
    }
    // Excel serials: a plain number between 1 and 2958465, possibly with a time fraction.
    if let Ok(f) = s.parse::<f64>()
        && (s.len() != 8 || s.contains('.'))
    {
        return from_excel_serial(f);
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::from_ymd_opt(
            s[..4].parse().ok()?,
            s[4..6].parse().ok()?,
            s[6..].parse().ok()?,
        );
    }
    // Drop a time part (`2024-05-31 00:00:00`) that spreadsheets add.
    let date_part = s.split([' ', 'T']).next().unwrap_or(&s);
    let parts: Vec<&str> = date_part
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || parts[0].len() != 4 {
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    let m: u32 = parts[1].parse().ok()?;
    let d: u32 = parts[2].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn booleans() {
        for yes in ["是", " 是 ", "有", "Y", "yes", "√", "1", "ｙ"] {
            assert_eq!(parse_bool(yes), Some(true), "{yes}");
        }
        for no in ["否", "无", "N", "no", "×", "0"] {
            assert_eq!(parse_bool(no), Some(false), "{no}");
        }
        assert_eq!(parse_bool("也许"), None);
        assert_eq!(parse_bool(""), None);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_int("1,234"), Some(1234));
        assert_eq!(parse_int("１２３"), Some(123));
        assert_eq!(parse_int("12.0"), Some(12));
        assert_eq!(parse_int(" 7 "), Some(7));
        assert_eq!(parse_int("-3"), Some(-3));
        assert_eq!(parse_int("12.5"), None);
        assert_eq!(parse_int("十二"), None);
        assert_eq!(parse_int(""), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2024-05-31"), d(2024, 5, 31));
        assert_eq!(parse_date("2024/5/31"), d(2024, 5, 31));
        assert_eq!(parse_date("2024.5.31"), d(2024, 5, 31));
        assert_eq!(parse_date("2024年5月31日"), d(2024, 5, 31));
        assert_eq!(parse_date("20240531"), d(2024, 5, 31));
        assert_eq!(parse_date("45443"), d(2024, 5, 31));
        assert_eq!(parse_date("2024-05-31 00:00:00"), d(2024, 5, 31));
        assert_eq!(parse_date("２０２４－０５－３１"), d(2024, 5, 31));
        assert_eq!(parse_date("2023-02-30"), None);
        assert_eq!(parse_date("31/05/2024"), None);
        assert_eq!(parse_date("明年"), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panic(s in "\\PC{0,40}") {
            let _ = (parse_bool(&s), parse_int(&s), parse_decimal(&s), parse_date(&s));
        }
    }
}
