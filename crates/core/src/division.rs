//! 行政区划代码 (administrative division codes, GB/T 2260 and the statistical codes).
//!
//! Codes are kept in their canonical form: 6 digits for province, city and county
//! (`350000`, `350100`, `350102`) and 9 digits for a township or street (`350102001`). Input in the
//! short forms of the source data (`35`, `3501`) and the 12-digit statistical form is accepted.

use std::fmt;

#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct DivisionCode(String);

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum DivisionLevel {
    Province = 1,
    City = 2,
    County = 3,
    Township = 4,
}

impl DivisionLevel {
    pub fn from_i64(n: i64) -> Option<Self> {
        Some(match n {
            1 => Self::Province,
            2 => Self::City,
            3 => Self::County,
            4 => Self::Township,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    #[error("a division code has only digits")]
    NotDigits,
    #[error("a division code has 2, 4, 6, 9 or 12 digits, not {0}")]
    Length(usize),
}

impl DivisionCode {
    pub fn parse(input: &str) -> Result<Self, DivisionCodeError> {
        let s = input.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) || s.is_empty() {
            return Err(DivisionCodeError::NotDigits);
        }
        let canonical = match s.len() {
            2 => format!("{s}0000"),
            4 => format!("{s}00"),
            6 | 9 => s.to_string(),
            12 => {
                let (nine, rest) = s.split_at(9);
                if rest != "000" {
                    return Err(DivisionCodeError::Length(12));
                }
                if nine.ends_with("000") {
                    nine[..6].to_string()
                } else {
                    nine.to_string()
                }
            }
            n => return Err(DivisionCodeError::Length(n)),
        };
        Ok(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level the digits say. A 6-digit code ending in `0000` is a province, in `00` a city.
    pub fn level(&self) -> DivisionLevel {
        let s = &self.0;
        if s.len() == 9 {
            DivisionLevel::Township
        } else if s.ends_with("0000") {
            DivisionLevel::Province
        } else if s.ends_with("00") {
            DivisionLevel::City
        } else {
            DivisionLevel::County
        }
    }

    /// The code of the enclosing division, if any.
    pub fn parent(&self) -> Option<DivisionCode> {
        let s = &self.0;
        match self.level() {
            DivisionLevel::Province => None,
            DivisionLevel::City => Some(Self(format!("{}0000", &s[..2]))),
            DivisionLevel::County => Some(Self(format!("{}00", &s[..4]))),
            DivisionLevel::Township => Some(Self(s[..6].to_string())),
        }
    }

    /// The province part, two digits.
    pub fn province_prefix(&self) -> &str {
        &self.0[..2]
    }

    /// Whether `self` lies inside `other` (or is it).
    pub fn within(&self, other: &DivisionCode) -> bool {
        let prefix = match other.level() {
            DivisionLevel::Province => &other.0[..2],
            DivisionLevel::City => &other.0[..4],
            DivisionLevel::County => &other.0[..6],
            DivisionLevel::Township => &other.0[..],
        };
        self.0.starts_with(prefix)
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row of the division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: DivisionCode,
    pub name: String,
    pub level: DivisionLevel,
    pub parent: Option<DivisionCode>,
    /// Statistical-only units (development zones, new areas, farms and the like) that are not
    /// administrative divisions; coverage denominators leave them out unless asked to count them.
    pub statistical_only: bool,
    /// Placeholder rows of the source such as 市辖区 or 省直辖县级行政区划.
    pub placeholder: bool,
    /// A city with no county level (东莞, 中山, 儋州): its townships sit directly below it. The
    /// source lists such a city a second time as a county with the same code; that row is folded
    /// into this flag.
    pub no_county_level: bool,
}

/// Whether a division is statistical-only, by the numbering rules of the statistical codes:
/// county-level codes whose 5th digit is 7 (开发区 etc.) and township-level codes 400-599
/// (类似乡级单位).
pub fn is_statistical_only(code: &DivisionCode) -> bool {
    let s = code.as_str();
    match code.level() {
        DivisionLevel::County => s.as_bytes()[4] == b'7',
        DivisionLevel::Township => s[6..9].parse::<u32>().is_ok_and(|n| n >= 400),
        _ => false,
    }
}

/// Kind of township-level unit from digits 7-9: 001-099 street, 100-199 town, 200-399 township.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TownshipKind {
    Street,
    Town,
    Township,
    Other,
}

pub fn township_kind(code: &DivisionCode) -> Option<TownshipKind> {
    if code.level() != DivisionLevel::Township {
        return None;
    }
    let n: u32 = code.as_str()[6..9].parse().ok()?;
    Some(match n {
        1..=99 => TownshipKind::Street,
        100..=199 => TownshipKind::Town,
        200..=399 => TownshipKind::Township,
        _ => TownshipKind::Other,
    })
}

/// All divisions in memory, by code: about 45,000 rows, a few megabytes. Loaded once by a server
/// or an import so that checking a code costs a hash lookup, not a query.
#[derive(Debug, Clone, Default)]
pub struct DivisionIndex {
    by_code: std::collections::HashMap<DivisionCode, Division>,
}

impl DivisionIndex {
    pub fn new(rows: Vec<Division>) -> Self {
        DivisionIndex {
            by_code: rows.into_iter().map(|d| (d.code.clone(), d)).collect(),
        }
    }
    /// The index of the shipped 2023 data.
    pub fn shipped() -> Self {
        Self::new(shipped())
    }
    pub fn get(&self, code: &DivisionCode) -> Option<&Division> {
        self.by_code.get(code)
    }
    pub fn len(&self) -> usize {
        self.by_code.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Division> {
        self.by_code.values()
    }
    /// The names from the province down, e.g. `福建省 / 福州市 / 鼓楼区`; placeholders such as
    /// 市辖区 are left out.
    pub fn full_name(&self, code: &DivisionCode) -> String {
        self.chain(code)
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// The division and its ancestors from the province down, placeholders left out.
    pub fn chain(&self, code: &DivisionCode) -> Vec<&Division> {
        let mut out = Vec::new();
        let mut cur = self.get(code);
        while let Some(d) = cur {
            if !d.placeholder {
                out.push(d);
            }
            cur = d.parent.as_ref().and_then(|p| self.get(p));
        }
        out.reverse();
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {reason}")]
pub struct DivisionDataError {
    pub file: &'static str,
    pub line: usize,
    pub reason: String,
}

/// Parses the four CSV files of the shipped division data (columns as in their header rows; names
/// quoted). Pure text in, rows out, so the store decides how to load them.
pub fn parse_division_csvs(
    provinces: &str,
    cities: &str,
    areas: &str,
    streets: &str,
) -> Result<Vec<Division>, DivisionDataError> {
    let mut out = Vec::with_capacity(45_000);
    for (file, text) in [
        ("provinces.csv", provinces),
        ("cities.csv", cities),
        ("areas.csv", areas),
        ("streets.csv", streets),
    ] {
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let err = |reason: String| DivisionDataError {
                file,
                line: i + 1,
                reason,
            };
            let mut cols = line.splitn(3, ',');
            let code = cols.next().unwrap_or_default();
            let name = cols
                .next()
                .unwrap_or_default()
                .trim_matches('"')
                .to_string();
            let code = DivisionCode::parse(code).map_err(|e| err(e.to_string()))?;
            if name.is_empty() {
                return Err(err("empty name".into()));
            }
            let level = code.level();
            if file == "areas.csv" && level == DivisionLevel::City {
                if let Some(city) = out.iter_mut().find(|d: &&mut Division| d.code == code) {
                    city.no_county_level = true;
                    continue;
                }
                return Err(err(format!("county row {code} repeats no city")));
            }
            let placeholder = matches!(
                name.as_str(),
                "市辖区" | "县" | "省直辖县级行政区划" | "自治区直辖县级行政区划"
            );
            out.push(Division {
                statistical_only: is_statistical_only(&code),
                parent: code.parent(),
                placeholder,
                no_county_level: false,
                level,
                name,
                code,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(DivisionCode::parse("35").unwrap().as_str(), "350000");
        assert_eq!(DivisionCode::parse("3501").unwrap().as_str(), "350100");
        assert_eq!(DivisionCode::parse(" 350102 ").unwrap().as_str(), "350102");
        assert_eq!(
            DivisionCode::parse("350102001000").unwrap().as_str(),
            "350102001"
        );
        assert_eq!(
            DivisionCode::parse("350102000000").unwrap().as_str(),
            "350102"
        );
        assert!(DivisionCode::parse("35010").is_err());
        assert!(DivisionCode::parse("35a102").is_err());
        assert!(DivisionCode::parse("").is_err());
    }

    #[test]
    fn levels_and_parents() {
        let t = DivisionCode::parse("350102001").unwrap();
        assert_eq!(t.level(), DivisionLevel::Township);
        let c = t.parent().unwrap();
        assert_eq!(c.as_str(), "350102");
        assert_eq!(c.parent().unwrap().as_str(), "350100");
        assert_eq!(c.parent().unwrap().parent().unwrap().as_str(), "350000");
        assert!(t.within(&DivisionCode::parse("35").unwrap()));
        assert!(!t.within(&DivisionCode::parse("36").unwrap()));
    }

    #[test]
    fn statistical_only() {
        assert!(is_statistical_only(&DivisionCode::parse("130171").unwrap()));
        assert!(!is_statistical_only(
            &DivisionCode::parse("130181").unwrap()
        ));
        assert!(is_statistical_only(
            &DivisionCode::parse("110115400").unwrap()
        ));
        assert!(!is_statistical_only(
            &DivisionCode::parse("110101001").unwrap()
        ));
        assert_eq!(
            township_kind(&DivisionCode::parse("110101001").unwrap()),
            Some(TownshipKind::Street)
        );
        assert_eq!(
            township_kind(&DivisionCode::parse("110101101").unwrap()),
            Some(TownshipKind::Town)
        );
    }

    #[test]
    fn parses_csv() {
        let d = parse_division_csvs(
            "code,name\n35,\"福建省\"\n",
            "code,name,provinceCode\n3501,\"福州市\",35\n",
            "code,name,cityCode,provinceCode\n350102,\"鼓楼区\",3501,35\n350171,\"开发区\",3501,35\n",
            "code,name,areaCode,provinceCode,cityCode\n350102001,\"鼓东街道\",350102,35,3501\n",
        )
        .unwrap();
        assert_eq!(d.len(), 5);
        assert!(d[3].statistical_only);
        assert_eq!(d[4].parent.as_ref().unwrap().as_str(), "350102");
    }
}

/// The 2023 statistical division codes shipped with shanghui (see `data/divisions/SOURCE.md`).
pub fn shipped() -> Vec<Division> {
    parse_division_csvs(
        include_str!("../data/divisions/provinces.csv"),
        include_str!("../data/divisions/cities.csv"),
        include_str!("../data/divisions/areas.csv"),
        include_str!("../data/divisions/streets.csv"),
    )
    .expect("the shipped division data parses")
}

#[cfg(test)]
mod shipped_tests {
    use super::*;

    #[test]
    fn shipped_data_is_complete() {
        let all = shipped();
        let count = |l: DivisionLevel| all.iter().filter(|d| d.level == l).count();
        assert_eq!(count(DivisionLevel::Province), 31);
        assert_eq!(count(DivisionLevel::City), 342);
        // 2,978 county rows less the three that repeat a city without counties.
        assert_eq!(count(DivisionLevel::County), 2975);
        assert_eq!(all.iter().filter(|d| d.no_county_level).count(), 3);
        assert_eq!(count(DivisionLevel::Township), 41352);
        let stat = all
            .iter()
            .filter(|d| d.level == DivisionLevel::County && d.statistical_only)
            .count();
        assert!(
            (100..=150).contains(&stat),
            "{stat} statistical-only county rows"
        );
        let index = DivisionIndex::new(all);
        // Every parent exists.
        for d in index.iter() {
            if let Some(p) = &d.parent {
                assert!(index.get(p).is_some(), "{} has no parent {}", d.code, p);
            }
        }
        let gl = DivisionCode::parse("350102").unwrap();
        assert_eq!(index.full_name(&gl), "福建省 / 福州市 / 鼓楼区");
    }
}
