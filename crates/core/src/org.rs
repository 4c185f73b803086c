//! Registry records (组织体系): federations, their branches, and chambers of commerce.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::division::{DivisionCode, DivisionIndex, DivisionLevel};
use crate::field::Field;
use crate::i18n::{Lang, Msg};
use crate::problem::Problem;
use crate::uscc::{self, Uscc, UsccCheck};
use crate::value;

/// An enumeration stored by a stable code and shown by a catalogue label (`<prefix>.<code>`).
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident, $prefix:literal { $($variant:ident => $code:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            pub fn label(self, lang: Lang) -> &'static str {
                lang.t(&format!(concat!($prefix, ".{}"), self.code()))
            }

            /// Reads the code or the label in any language.
            pub fn parse(input: &str) -> Option<Self> {
                let s = value::normalize(input);
                let lower = s.to_lowercase();
                Self::ALL.iter().copied().find(|v| {
                    v.code() == lower || Lang::ALL.iter().any(|&l| v.label(l).to_lowercase() == lower)
                })
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum!(
    /// What kind of unit.
    OrgKind, "kind" {
    Federation => "federation",
    Branch => "branch",
    Chamber => "chamber",
});

coded_enum!(
    /// 工商联层级: the level of a federation.
    FederationLevel, "level" {
    National => "national",
    Provincial => "provincial",
    City => "city",
    County => "county",
});

coded_enum!(
    /// 商会类别: an exclusive classification of chambers, not a level.
    ChamberCategory, "category" {
    Industry => "industry",
    Hometown => "hometown",
    Township => "township",
    Street => "street",
    Village => "village",
    Market => "market",
    Park => "park",
    Building => "building",
    Other => "other",
});

coded_enum!(
    /// 党组织形式.
    PartyOrgForm, "party_form" {
    Committee => "committee",
    GeneralBranch => "general_branch",
    Branch => "branch",
    JointBranch => "joint_branch",
});

coded_enum!(
    OrgStatus, "status" {
    Active => "active",
    Dissolved => "dissolved",
});

impl ChamberCategory {
    /// Also reads `行业商会` for `行业`: people write the category with the word 商会.
    pub fn parse_lenient(input: &str) -> Option<Self> {
        let s = value::normalize(input);
        Self::parse(&s).or_else(|| s.strip_suffix("商会").and_then(Self::parse))
    }
}

impl OrgKind {
    /// Chambers have no subordinate units in the registry; federations and branches do.
    pub fn can_have_children(self) -> bool {
        self != OrgKind::Chamber
    }
}

impl FederationLevel {
    /// The division level a federation of this level sits at.
    pub fn division_level(self) -> Option<DivisionLevel> {
        match self {
            FederationLevel::National => None,
            FederationLevel::Provincial => Some(DivisionLevel::Province),
            FederationLevel::City => Some(DivisionLevel::City),
            FederationLevel::County => Some(DivisionLevel::County),
        }
    }
}

/// Raw input for one organisation, as typed in a form or read from a spreadsheet row: text by
/// field, nothing checked yet.
pub type OrgInput = BTreeMap<Field, String>;

/// A checked organisation record, ready to be stored. Where it sits in the tree (its parent) is
/// decided by the store, which can see the other records; see [`check_placement`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgDraft {
    pub kind: OrgKind,
    pub level: Option<FederationLevel>,
    pub name: String,
    pub uscc: Option<Uscc>,
    /// Why a code that fails its check character is nevertheless right.
    pub uscc_override_reason: Option<String>,
    pub category: Option<ChamberCategory>,
    pub founded_on: Option<NaiveDate>,
    pub division_code: Option<DivisionCode>,
    pub registered: Option<bool>,
    pub unregistered_reason: Option<String>,
    pub party_org: Option<bool>,
    pub party_org_form: Option<PartyOrgForm>,
    pub party_org_reason: Option<String>,
    pub members_unit: Option<i64>,
    pub members_individual: Option<i64>,
    pub members_total: Option<i64>,
    pub council_size: Option<i64>,
    pub standing_council_size: Option<i64>,
    pub president: Option<String>,
    pub secretary_general: Option<String>,
    pub last_reelection: Option<NaiveDate>,
    pub status: OrgStatus,
    pub dissolved_on: Option<NaiveDate>,
}

/// Longest name or person's name accepted; real ones are far shorter.
const MAX_TEXT: usize = 200;

struct Reader<'a> {
    input: &'a OrgInput,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn text(&self, f: Field) -> Option<String> {
        self.input
            .get(&f)
            .map(|s| value::trim(s).to_string())
            .filter(|s| !s.is_empty())
    }

    fn bounded_text(&mut self, f: Field) -> Option<String> {
        let t = self.text(f)?;
        if t.chars().count() > MAX_TEXT {
            self.problems.push(Problem::error(
                f,
                Msg::new("problem.too_long").with("max", MAX_TEXT),
            ));
            return None;
        }
        Some(t)
    }

    fn parsed<T>(
        &mut self,
        f: Field,
        parse: impl Fn(&str) -> Option<T>,
        expected: &'static str,
    ) -> Option<T> {
        let raw = self.text(f)?;
        let v = parse(&raw);
        if v.is_none() {
            self.problems.push(Problem::error(
                f,
                Msg::new("problem.unreadable")
                    .with("value", &raw)
                    .with_key("expected", expected),
            ));
        }
        v
    }

    fn count(&mut self, f: Field) -> Option<i64> {
        let n = self.parsed(f, value::parse_int, "expected.count")?;
        if n < 0 {
            self.problems.push(Problem::error(
                f,
                Msg::new("problem.negative").with("value", n),
            ));
            return None;
        }
        Some(n)
    }

    fn date(&mut self, f: Field, today: NaiveDate) -> Option<NaiveDate> {
        let d = self.parsed(f, value::parse_date, "expected.date")?;
        if d > today {
            self.problems.push(Problem::error(
                f,
                Msg::new("problem.future_date").with("value", d),
            ));
        }
        Some(d)
    }

    fn require<T>(&mut self, f: Field, v: Option<T>) -> Option<T> {
        if v.is_none() && self.text(f).is_none() {
            self.problems
                .push(Problem::error(f, Msg::new("problem.required")));
        }
        v
    }
}

/// Checks raw input against everything a single record must satisfy: formats, required fields,
/// the division code's existence and level, counts and their sum, dates, conditional reasons.
/// Returns the draft, or every problem found (never just the first).
pub fn parse_org(
    input: &OrgInput,
    divisions: &DivisionIndex,
    today: NaiveDate,
) -> Result<OrgDraft, Vec<Problem>> {
    let mut r = Reader {
        input,
        problems: Vec::new(),
    };
    let kind = r.parsed(Field::Kind, OrgKind::parse, "expected.kind");
    let kind = r.require(Field::Kind, kind);
    let name = r.bounded_text(Field::Name);
    let name = r.require(Field::Name, name);

    let level = r.parsed(Field::Level, FederationLevel::parse, "expected.level");
    let level = if kind == Some(OrgKind::Federation) {
        r.require(Field::Level, level)
    } else {
        level
    };
    let category = r.parsed(
        Field::Category,
        ChamberCategory::parse_lenient,
        "expected.category",
    );
    let category = if kind == Some(OrgKind::Chamber) {
        r.require(Field::Category, category)
    } else {
        category
    };

    let (uscc, uscc_override_reason) = read_uscc(&mut r);
    let division_code = read_division(&mut r, divisions, kind, level);
    let founded_on = r.date(Field::FoundedOn, today);
    let last_reelection = r.date(Field::LastReelection, today);
    if let (Some(f), Some(l)) = (founded_on, last_reelection)
        && l < f
    {
        r.problems.push(Problem::error(
            Field::LastReelection,
            Msg::new("problem.reelection_before_founding").with("founded", f),
        ));
    }

    let registered = r.parsed(Field::Registered, value::parse_bool, "expected.yes_no");
    let unregistered_reason = r.bounded_text(Field::UnregisteredReason);
    if registered == Some(false) && unregistered_reason.is_none() {
        r.problems.push(Problem::error(
            Field::UnregisteredReason,
            Msg::new("problem.unregistered_reason"),
        ));
    }

    let party_org = r.parsed(Field::PartyOrg, value::parse_bool, "expected.yes_no");
    let party_org_form = r.parsed(
        Field::PartyOrgForm,
        PartyOrgForm::parse,
        "expected.party_form",
    );
    let party_org_reason = r.bounded_text(Field::PartyOrgReason);
    match party_org {
        Some(true) if party_org_form.is_none() && r.text(Field::PartyOrgForm).is_none() => {
            r.problems.push(Problem::error(
                Field::PartyOrgForm,
                Msg::new("problem.party_form_required"),
            ))
        }
        Some(false) if party_org_reason.is_none() => r.problems.push(Problem::error(
            Field::PartyOrgReason,
            Msg::new("problem.party_reason_required"),
        )),
        Some(false) if party_org_form.is_some() => r.problems.push(Problem::error(
            Field::PartyOrgForm,
            Msg::new("problem.party_form_without_org"),
        )),
        _ => {}
    }

    let members_unit = r.count(Field::MembersUnit);
    let members_individual = r.count(Field::MembersIndividual);
    let mut members_total = r.count(Field::MembersTotal);
    match (members_unit, members_individual, members_total) {
        (Some(u), Some(i), Some(t)) if u + i != t => r.problems.push(Problem::error(
            Field::MembersTotal,
            Msg::new("problem.members_sum")
                .with("unit", u)
                .with("individual", i)
                .with("total", t),
        )),
        // The total follows from its parts; people often leave it blank.
        (Some(u), Some(i), None) if r.text(Field::MembersTotal).is_none() => {
            members_total = Some(u + i)
        }
        _ => {}
    }
    let council_size = r.count(Field::CouncilSize);
    let standing_council_size = r.count(Field::StandingCouncilSize);
    if let (Some(c), Some(s)) = (council_size, standing_council_size)
        && s > c
    {
        r.problems.push(Problem::error(
            Field::StandingCouncilSize,
            Msg::new("problem.standing_exceeds_council").with("council", c),
        ));
    }
    let president = r.bounded_text(Field::President);
    let secretary_general = r.bounded_text(Field::SecretaryGeneral);

    let status = r
        .parsed(Field::Status, OrgStatus::parse, "expected.status")
        .unwrap_or(OrgStatus::Active);
    let dissolved_on = r.date(Field::DissolvedOn, today);
    if status == OrgStatus::Dissolved
        && dissolved_on.is_none()
        && r.text(Field::DissolvedOn).is_none()
    {
        r.problems.push(Problem::error(
            Field::DissolvedOn,
            Msg::new("problem.dissolved_on_required"),
        ));
    }
    if status == OrgStatus::Active && dissolved_on.is_some() {
        r.problems.push(Problem::error(
            Field::DissolvedOn,
            Msg::new("problem.dissolved_on_but_active"),
        ));
    }

    if !r.problems.is_empty() {
        return Err(r.problems);
    }
    let (Some(kind), Some(name)) = (kind, name) else {
        unreachable!("required fields were checked")
    };
    Ok(OrgDraft {
        kind,
        level: if kind == OrgKind::Federation {
            level
        } else {
            None
        },
        name,
        uscc,
        uscc_override_reason,
        category: if kind == OrgKind::Chamber {
            category
        } else {
            None
        },
        founded_on,
        division_code,
        registered,
        unregistered_reason: if registered == Some(false) {
            unregistered_reason
        } else {
            None
        },
        party_org,
        party_org_form,
        party_org_reason: if party_org == Some(false) {
            party_org_reason
        } else {
            None
        },
        members_unit,
        members_individual,
        members_total,
        council_size,
        standing_council_size,
        president,
        secretary_general,
        last_reelection,
        status,
        dissolved_on,
    })
}

/// A code that fails its check is a warning: accepted only with a reason (kept with the record).
fn read_uscc(r: &mut Reader<'_>) -> (Option<Uscc>, Option<String>) {
    let reason = r.bounded_text(Field::UsccOverrideReason);
    let Some(raw) = r.text(Field::Uscc) else {
        return (None, None);
    };
    // 无 is how a form says "this unit has no code" (not registered).
    if matches!(raw.as_str(), "无" | "-" | "—" | "none") {
        return (None, None);
    }
    match uscc::check(&raw) {
        UsccCheck::Ok(code) => (Some(code), None),
        UsccCheck::BadCheckDigit { code, expected } => {
            if reason.is_none() {
                r.problems.push(Problem::warning(
                    Field::Uscc,
                    Msg::new("problem.uscc_check")
                        .with("value", code.as_str())
                        .with("expected", expected),
                ));
            }
            (Some(code), reason)
        }
        UsccCheck::Malformed(e) => {
            r.problems
                .push(Problem::error(Field::Uscc, uscc_error_msg(&raw, &e)));
            (None, None)
        }
    }
}

/// The catalogue message for a malformed code.
pub fn uscc_error_msg(raw: &str, e: &uscc::UsccError) -> Msg {
    match e {
        uscc::UsccError::Length(n) => Msg::new("problem.uscc_length")
            .with("value", raw)
            .with("len", n),
        uscc::UsccError::Character { pos, ch } => Msg::new("problem.uscc_char")
            .with("value", raw)
            .with("pos", pos)
            .with("ch", ch),
    }
}

fn read_division(
    r: &mut Reader<'_>,
    divisions: &DivisionIndex,
    kind: Option<OrgKind>,
    level: Option<FederationLevel>,
) -> Option<DivisionCode> {
    let national = kind == Some(OrgKind::Federation) && level == Some(FederationLevel::National);
    let Some(raw) = r.text(Field::DivisionCode) else {
        if !national {
            r.problems.push(Problem::error(
                Field::DivisionCode,
                Msg::new("problem.required"),
            ));
        }
        return None;
    };
    let Ok(code) = DivisionCode::parse(&raw) else {
        r.problems.push(Problem::error(
            Field::DivisionCode,
            Msg::new("problem.unreadable")
                .with("value", &raw)
                .with_key("expected", "expected.division"),
        ));
        return None;
    };
    let Some(division) = divisions.get(&code) else {
        r.problems.push(Problem::error(
            Field::DivisionCode,
            Msg::new("problem.division_unknown").with("value", &code),
        ));
        return None;
    };
    if kind == Some(OrgKind::Federation)
        && let Some(want) = level.and_then(FederationLevel::division_level)
        && division.level != want
    {
        r.problems.push(Problem::error(
            Field::DivisionCode,
            Msg::new("problem.division_level")
                .with("value", &code)
                .with("name", &division.name),
        ));
    }
    Some(code)
}

/// What the parent of a new or moved organisation must be. `parent` is `None` for a root.
pub fn check_placement(
    kind: OrgKind,
    level: Option<FederationLevel>,
    division: Option<&DivisionCode>,
    parent: Option<(OrgKind, Option<FederationLevel>, Option<&DivisionCode>)>,
) -> Result<(), Msg> {
    let Some((pkind, plevel, pdivision)) = parent else {
        return if kind == OrgKind::Federation && level == Some(FederationLevel::National) {
            Ok(())
        } else {
            Err(Msg::new("problem.parent_required"))
        };
    };
    if pkind != OrgKind::Federation && !(kind == OrgKind::Chamber && pkind == OrgKind::Branch) {
        return Err(Msg::new("problem.parent_not_federation"));
    }
    if kind == OrgKind::Federation {
        let ok = matches!(
            (plevel, level),
            (
                Some(FederationLevel::National),
                Some(FederationLevel::Provincial)
            ) | (
                Some(FederationLevel::Provincial),
                Some(FederationLevel::City | FederationLevel::County)
            ) | (Some(FederationLevel::City), Some(FederationLevel::County))
        );
        if !ok {
            return Err(Msg::new("problem.parent_level"));
        }
    }
    if let (Some(d), Some(pd)) = (division, pdivision)
        && !d.within(pd)
    {
        return Err(Msg::new("problem.outside_parent_division")
            .with("value", d)
            .with("parent", pd));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::division::parse_division_csvs;

    fn divisions() -> DivisionIndex {
        DivisionIndex::new(
            parse_division_csvs(
                "code,name\n35,\"福建省\"\n",
                "code,name,provinceCode\n3501,\"福州市\",35\n",
                "code,name,cityCode,provinceCode\n350102,\"鼓楼区\",3501,35\n",
                "code,name,areaCode,provinceCode,cityCode\n350102001,\"鼓东街道\",350102,35,3501\n",
            )
            .unwrap(),
        )
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn chamber() -> OrgInput {
        [
            (Field::Kind, "商会"),
            (Field::Name, "福州市鼓楼区餐饮商会"),
            (Field::Category, "行业商会"),
            (Field::DivisionCode, "350102"),
            (Field::Uscc, "51350102MJ0000000X"),
            (Field::MembersUnit, "40"),
            (Field::MembersIndividual, "１２"),
            (Field::Registered, "是"),
            (Field::PartyOrg, "否"),
            (Field::PartyOrgReason, "党员人数不足三人，已派党建指导员"),
            (Field::FoundedOn, "2015年3月1日"),
        ]
        .into_iter()
        .map(|(f, v)| (f, v.to_string()))
        .collect()
    }

    fn fields_of(problems: &[Problem]) -> Vec<Field> {
        problems.iter().filter_map(|p| p.field).collect()
    }

    #[test]
    fn a_good_chamber() {
        let mut input = chamber();
        let code = uscc::with_check("51350102MJ0000000").unwrap();
        input.insert(Field::Uscc, code.to_string());
        let d = parse_org(&input, &divisions(), today()).unwrap();
        assert_eq!(d.kind, OrgKind::Chamber);
        assert_eq!(d.category, Some(ChamberCategory::Industry));
        assert_eq!(d.members_total, Some(52));
        assert_eq!(d.founded_on, NaiveDate::from_ymd_opt(2015, 3, 1));
        assert_eq!(
            d.party_org_reason.as_deref(),
            Some("党员人数不足三人，已派党建指导员")
        );
    }

    #[test]
    fn collects_every_problem() {
        let mut input = chamber();
        input.insert(Field::Name, "  ".into());
        input.insert(Field::DivisionCode, "359999".into());
        input.insert(Field::MembersTotal, "99".into());
        input.insert(Field::MembersUnit, "-1".into());
        input.insert(Field::FoundedOn, "2023-02-30".into());
        input.insert(Field::PartyOrgReason, "".into());
        input.insert(Field::Uscc, "51350102MJ000000".into());
        let problems = parse_org(&input, &divisions(), today()).unwrap_err();
        let fields = fields_of(&problems);
        for f in [
            Field::Name,
            Field::DivisionCode,
            Field::MembersUnit,
            Field::FoundedOn,
            Field::PartyOrgReason,
            Field::Uscc,
        ] {
            assert!(fields.contains(&f), "{f:?} missing from {problems:?}");
        }
    }

    #[test]
    fn members_must_add_up() {
        let mut input = chamber();
        input.insert(
            Field::Uscc,
            uscc::with_check("51350102MJ0000000").unwrap().to_string(),
        );
        input.insert(Field::MembersTotal, "50".into());
        let problems = parse_org(&input, &divisions(), today()).unwrap_err();
        assert_eq!(fields_of(&problems), vec![Field::MembersTotal]);
        let text = problems[0].render(Lang::ZhCn);
        assert!(
            text.contains("40") && text.contains("12") && text.contains("50"),
            "{text}"
        );
    }

    #[test]
    fn failed_check_digit_needs_a_reason() {
        let mut input = chamber();
        input.insert(Field::Uscc, "91350100M0001TGQXM".into());
        let problems = parse_org(&input, &divisions(), today()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, crate::problem::Severity::Warning);
        input.insert(
            Field::UsccOverrideReason,
            "2015年福建早期赋码，经核对营业执照无误".into(),
        );
        let d = parse_org(&input, &divisions(), today()).unwrap();
        assert!(d.uscc_override_reason.is_some());
    }

    #[test]
    fn federation_level_must_match_division() {
        let input: OrgInput = [
            (Field::Kind, "工商联"),
            (Field::Level, "县级"),
            (Field::Name, "福州市工商联"),
            (Field::DivisionCode, "350100"),
        ]
        .into_iter()
        .map(|(f, v)| (f, v.to_string()))
        .collect();
        let problems = parse_org(&input, &divisions(), today()).unwrap_err();
        assert_eq!(fields_of(&problems), vec![Field::DivisionCode]);
    }

    #[test]
    fn placement() {
        let fz = DivisionCode::parse("350100").unwrap();
        let gl = DivisionCode::parse("350102").unwrap();
        let xm = DivisionCode::parse("350200").unwrap();
        let city = Some((OrgKind::Federation, Some(FederationLevel::City), Some(&fz)));
        assert!(check_placement(OrgKind::Chamber, None, Some(&gl), city).is_ok());
        assert!(check_placement(OrgKind::Chamber, None, Some(&xm), city).is_err());
        assert!(
            check_placement(
                OrgKind::Federation,
                Some(FederationLevel::County),
                Some(&gl),
                city
            )
            .is_ok()
        );
        assert!(
            check_placement(
                OrgKind::Federation,
                Some(FederationLevel::Provincial),
                None,
                city
            )
            .is_err()
        );
        let chamber = Some((OrgKind::Chamber, None, Some(&gl)));
        assert!(check_placement(OrgKind::Chamber, None, Some(&gl), chamber).is_err());
        assert!(check_placement(OrgKind::Chamber, None, Some(&gl), None).is_err());
        assert!(
            check_placement(
                OrgKind::Federation,
                Some(FederationLevel::National),
                None,
                None
            )
            .is_ok()
        );
    }

    #[test]
    fn every_enum_label_reads_back() {
        for lang in Lang::ALL {
            for v in ChamberCategory::ALL {
                assert_eq!(ChamberCategory::parse(v.label(lang)), Some(*v));
            }
            for v in OrgKind::ALL {
                assert_eq!(OrgKind::parse(v.label(lang)), Some(*v));
            }
            for v in FederationLevel::ALL {
                assert_eq!(FederationLevel::parse(v.label(lang)), Some(*v));
            }
            for v in PartyOrgForm::ALL {
                assert_eq!(PartyOrgForm::parse(v.label(lang)), Some(*v));
            }
        }
    }
}

/// A stored organisation: the checked record plus where it sits and its bookkeeping.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Organization {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: crate::tree::OrgPath,
    pub record: OrgDraft,
    /// Bumped on every change; an edit carries the version it started from so that two people
    /// editing at once cannot silently overwrite each other.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl OrgDraft {
    /// The record as display text by field, the inverse of [`parse_org`]: what forms are filled
    /// with and what exports write. Enumerations are written as labels in `lang`, dates as
    /// `YYYY-MM-DD`, yes/no as 是/否 (Yes/No).
    pub fn to_input(&self, lang: Lang) -> OrgInput {
        let yes_no = |b: bool| lang.t(if b { "yes" } else { "no" }).to_string();
        let mut m = OrgInput::new();
        let mut put = |f: Field, v: Option<String>| {
            if let Some(v) = v {
                m.insert(f, v);
            }
        };
        put(Field::Kind, Some(self.kind.label(lang).to_string()));
        put(Field::Level, self.level.map(|l| l.label(lang).to_string()));
        put(Field::Name, Some(self.name.clone()));
        put(Field::Uscc, self.uscc.as_ref().map(|u| u.to_string()));
        put(Field::UsccOverrideReason, self.uscc_override_reason.clone());
        put(
            Field::Category,
            self.category.map(|c| c.label(lang).to_string()),
        );
        put(Field::FoundedOn, self.founded_on.map(|d| d.to_string()));
        put(
            Field::DivisionCode,
            self.division_code.as_ref().map(|d| d.to_string()),
        );
        put(Field::Registered, self.registered.map(yes_no));
        put(Field::UnregisteredReason, self.unregistered_reason.clone());
        put(Field::PartyOrg, self.party_org.map(yes_no));
        put(
            Field::PartyOrgForm,
            self.party_org_form.map(|p| p.label(lang).to_string()),
        );
        put(Field::PartyOrgReason, self.party_org_reason.clone());
        put(Field::MembersUnit, self.members_unit.map(|n| n.to_string()));
        put(
            Field::MembersIndividual,
            self.members_individual.map(|n| n.to_string()),
        );
        put(
            Field::MembersTotal,
            self.members_total.map(|n| n.to_string()),
        );
        put(Field::CouncilSize, self.council_size.map(|n| n.to_string()));
        put(
            Field::StandingCouncilSize,
            self.standing_council_size.map(|n| n.to_string()),
        );
        put(Field::President, self.president.clone());
        put(Field::SecretaryGeneral, self.secretary_general.clone());
        put(
            Field::LastReelection,
            self.last_reelection.map(|d| d.to_string()),
        );
        put(Field::Status, Some(self.status.label(lang).to_string()));
        put(Field::DissolvedOn, self.dissolved_on.map(|d| d.to_string()));
        m
    }
}

/// Rows for a registry export: each record as display text with its ID, and its parent written
/// as `名称 #编号` when the parent is among `orgs` (so the file can be edited and imported back; the
/// top of an exported subtree keeps its parent on re-import through an empty cell).
pub fn export_rows(orgs: &[Organization], lang: Lang) -> Vec<OrgInput> {
    let names: std::collections::HashMap<i64, &str> = orgs
        .iter()
        .map(|o| (o.id, o.record.name.as_str()))
        .collect();
    orgs.iter()
        .map(|o| {
            let mut input = o.record.to_input(lang);
            input.insert(Field::Id, o.id.to_string());
            if let Some(p) = o.parent_id
                && let Some(n) = names.get(&p)
            {
                input.insert(Field::Parent, format!("{n} #{p}"));
            }
            input
        })
        .collect()
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use crate::division::parse_division_csvs;

    #[test]
    fn to_input_parses_back_in_both_languages() {
        let divisions = DivisionIndex::new(
            parse_division_csvs(
                "code,name\n35,\"福建省\"\n",
                "code,name,provinceCode\n3501,\"福州市\",35\n",
                "code,name,cityCode,provinceCode\n350102,\"鼓楼区\",3501,35\n",
                "code,name,areaCode,provinceCode,cityCode\n",
            )
            .unwrap(),
        );
        let input: OrgInput = [
            (Field::Kind, "商会"),
            (Field::Name, "鼓楼区异地商会"),
            (Field::Category, "异地"),
            (Field::DivisionCode, "350102"),
            (Field::Registered, "否"),
            (Field::UnregisteredReason, "筹备中"),
            (Field::PartyOrg, "是"),
            (Field::PartyOrgForm, "联合党支部"),
            (Field::MembersUnit, "3"),
            (Field::MembersIndividual, "4"),
            (Field::LastReelection, "2020-01-02"),
        ]
        .into_iter()
        .map(|(f, v)| (f, v.to_string()))
        .collect();
        let today = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let draft = parse_org(&input, &divisions, today).unwrap();
        for lang in Lang::ALL {
            assert_eq!(
                parse_org(&draft.to_input(lang), &divisions, today).unwrap(),
                draft
            );
        }
    }
}
