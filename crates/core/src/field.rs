//! The registry's fields: a stable code (used in URLs, forms, workbook header rows and the CLI)
//! and a label in each language.

use crate::i18n::Lang;

macro_rules! fields {
    ($($variant:ident => $code:literal),* $(,)?) => {
        /// A field of an organisation record.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub enum Field { $($variant),* }

        impl Field {
            /// Every field, in the order of forms and workbooks.
            pub const ALL: &'static [Field] = &[$(Field::$variant),*];

            /// The stable ASCII code.
            pub fn code(self) -> &'static str {
                match self { $(Field::$variant => $code),* }
            }
        }
    };
}

fields! {
    Id => "id",
    Parent => "parent",
    Kind => "kind",
    Level => "level",
    Name => "name",
    Uscc => "uscc",
    UsccOverrideReason => "uscc_override_reason",
    Category => "category",
    FoundedOn => "founded_on",
    DivisionCode => "division_code",
    Registered => "registered",
    UnregisteredReason => "unregistered_reason",
    PartyOrg => "party_org",
    PartyOrgForm => "party_org_form",
    PartyOrgReason => "party_org_reason",
    MembersUnit => "members_unit",
    MembersIndividual => "members_individual",
    MembersTotal => "members_total",
    CouncilSize => "council_size",
    StandingCouncilSize => "standing_council_size",
    President => "president",
    SecretaryGeneral => "secretary_general",
    LastReelection => "last_reelection",
    Status => "status",
    DissolvedOn => "dissolved_on",
}

impl Field {
    pub fn from_code(code: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.code() == code)
    }

    /// The catalogue key of the label.
    pub fn label_key(self) -> String {
        format!("field.{}", self.code())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(&self.label_key())
    }

    /// Reads a column header: the Chinese or English label, or the code, ignoring case, spaces,
    /// a trailing `*` (required marker) and bracketed notes such as `成立日期（年-月-日）`.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = crate::value::normalize(header);
        let h = h
            .split(['(', '（'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches('*')
            .trim()
            .to_lowercase();
        if h.is_empty() {
            return None;
        }
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.code() == h || Lang::ALL.iter().any(|&l| f.label(l).to_lowercase() == h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(Field::from_header("名称"), Some(Field::Name));
        assert_eq!(Field::from_header(" 名称* "), Some(Field::Name));
        assert_eq!(
            Field::from_header("成立日期（年-月-日）"),
            Some(Field::FoundedOn)
        );
        assert_eq!(Field::from_header("uscc"), Some(Field::Uscc));
        assert_eq!(Field::from_header("Name"), Some(Field::Name));
        assert_eq!(Field::from_header("备注"), None);
        for f in Field::ALL {
            assert_eq!(Field::from_header(f.label(Lang::ZhCn)), Some(*f), "{f:?}");
            assert_eq!(Field::from_header(f.code()), Some(*f));
        }
    }
}
