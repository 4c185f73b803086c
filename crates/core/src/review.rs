//! Item-by-item review (逐项审查) of annual reports: findings and their states, the problems a
//! reviewer can record by hand (the triggers of STANDARDS.md §4), and the conclusion the system
//! suggests from the findings (合格 / 基本合格 / 不合格), by a mapping staff can edit.

use std::collections::BTreeMap;

use crate::i18n::{Lang, Msg};
use crate::org::coded_enum;
use crate::rules::Severity;
use crate::value;

coded_enum!(
    /// The conclusion of a report's review (年检结论).
    Conclusion, "conclusion" {
    Qualified => "qualified",
    BasicallyQualified => "basically_qualified",
    Unqualified => "unqualified",
});

coded_enum!(
    /// Where a finding stands: found (open), confirmed by a reviewer, or dismissed with a reason.
    FindingStatus, "finding_status" {
    Open => "open",
    Confirmed => "confirmed",
    Dismissed => "dismissed",
});

impl Conclusion {
    /// How bad, for taking the worst: 合格 < 基本合格 < 不合格.
    fn weight(self) -> u8 {
        match self {
            Conclusion::Qualified => 0,
            Conclusion::BasicallyQualified => 1,
            Conclusion::Unqualified => 2,
        }
    }

    pub fn worst(self, other: Conclusion) -> Conclusion {
        if other.weight() > self.weight() {
            other
        } else {
            self
        }
    }
}

/// A problem a reviewer records by hand, from the lists in STANDARDS.md §4 (Beijing's triggers
/// for 基本合格 and 不合格), with the conclusion it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub code: &'static str,
    pub leads_to: Conclusion,
}

pub const TRIGGERS: &[Trigger] = &[
    Trigger {
        code: "meetings_not_held",
        leads_to: Conclusion::BasicallyQualified,
    },
    Trigger {
        code: "reelection_overdue",
        leads_to: Conclusion::BasicallyQualified,
    },
    Trigger {
        code: "finance_irregular",
        leads_to: Conclusion::BasicallyQualified,
    },
    Trigger {
        code: "improper_awards",
        leads_to: Conclusion::BasicallyQualified,
    },
    Trigger {
        code: "criticised_last_year",
        leads_to: Conclusion::BasicallyQualified,
    },
    Trigger {
        code: "other",
        leads_to: Conclusion::BasicallyQualified,
    },
    Trigger {
        code: "lending_certificates",
        leads_to: Conclusion::Unqualified,
    },
    Trigger {
        code: "beyond_purpose",
        leads_to: Conclusion::Unqualified,
    },
    Trigger {
        code: "refused_inspection",
        leads_to: Conclusion::Unqualified,
    },
    Trigger {
        code: "unregistered_changes",
        leads_to: Conclusion::Unqualified,
    },
    Trigger {
        code: "profit_making",
        leads_to: Conclusion::Unqualified,
    },
];

impl Trigger {
    pub fn find(code: &str) -> Option<Trigger> {
        TRIGGERS.iter().copied().find(|t| t.code == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(&format!("trigger.{}", self.code))
    }
}

/// Which conclusion a finding leads to: by its rule's code when the mapping names it, else by
/// its severity. Findings added by hand lead to their trigger's conclusion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConclusionMap {
    pub error: Conclusion,
    pub finding: Conclusion,
    pub warning: Conclusion,
    /// Rule code → conclusion, overriding the severity.
    #[serde(default)]
    pub rules: BTreeMap<String, Conclusion>,
}

impl Default for ConclusionMap {
    /// STANDARDS.md §4: meetings not held, re-elections overdue and irregular finances (the
    /// sample's findings) lead to 基本合格; broken data (errors) too, until corrected; warnings
    /// only ask the reviewer to look.
    fn default() -> Self {
        ConclusionMap {
            error: Conclusion::BasicallyQualified,
            finding: Conclusion::BasicallyQualified,
            warning: Conclusion::Qualified,
            rules: BTreeMap::new(),
        }
    }
}

impl ConclusionMap {
    fn by_severity(&self, s: Severity) -> Conclusion {
        match s {
            Severity::Error => self.error,
            Severity::Finding => self.finding,
            Severity::Warning => self.warning,
        }
    }

    /// The conclusion one finding leads to.
    pub fn leads_to(&self, f: &FindingFacts<'_>) -> Conclusion {
        if let Some(t) = f.trigger.and_then(Trigger::find) {
            return t.leads_to;
        }
        if let Some(c) = f.rule.and_then(|r| self.rules.get(r)) {
            return *c;
        }
        self.by_severity(f.severity)
    }

    /// The suggested conclusion: the worst any finding not dismissed leads to; 合格 without any.
    pub fn suggest<'a>(&self, findings: impl IntoIterator<Item = FindingFacts<'a>>) -> Conclusion {
        findings
            .into_iter()
            .filter(|f| f.status != FindingStatus::Dismissed)
            .map(|f| self.leads_to(&f))
            .fold(Conclusion::Qualified, Conclusion::worst)
    }
}

/// What the suggestion needs to know of a finding.
#[derive(Debug, Clone, Copy)]
pub struct FindingFacts<'a> {
    pub rule: Option<&'a str>,
    pub trigger: Option<&'a str>,
    pub severity: Severity,
    pub status: FindingStatus,
}

/// A reviewer's text (a dismissal reason, a comment, a finding described by hand): trimmed, not
/// empty, at most 2,000 characters.
pub fn note(input: &str) -> Result<String, Msg> {
    let s = value::trim(input);
    if s.is_empty() {
        Err(Msg::new("review.note_required"))
    } else if s.chars().count() > 2000 {
        Err(Msg::new("review.note_too_long"))
    } else {
        Ok(s.to_string())
    }
}

/// What may happen to a finding: confirming or dismissing an open one, and changing one's mind
/// (a confirmed finding dismissed, a dismissed one confirmed). A dismissal needs a reason.
pub fn next_finding_status(
    current: FindingStatus,
    to: FindingStatus,
    reason: Option<&str>,
) -> Result<(FindingStatus, Option<String>), Msg> {
    match to {
        FindingStatus::Open => Err(Msg::new("review.cannot_reopen")),
        FindingStatus::Dismissed => Ok((to, Some(note(reason.unwrap_or(""))?))),
        FindingStatus::Confirmed if current == FindingStatus::Confirmed => {
            Err(Msg::new("review.already_confirmed"))
        }
        FindingStatus::Confirmed => Ok((to, reason.and_then(|r| note(r).ok()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f<'a>(
        rule: Option<&'a str>,
        trigger: Option<&'a str>,
        severity: Severity,
        status: FindingStatus,
    ) -> FindingFacts<'a> {
        FindingFacts {
            rule,
            trigger,
            severity,
            status,
        }
    }

    #[test]
    fn suggestion_takes_the_worst_finding_not_dismissed() {
        use Conclusion::*;
        use FindingStatus::*;
        let m = ConclusionMap::default();
        assert_eq!(m.suggest([]), Qualified);
        assert_eq!(
            m.suggest([f(Some("staff"), None, Severity::Warning, Open)]),
            Qualified
        );
        assert_eq!(
            m.suggest([
                f(Some("staff"), None, Severity::Warning, Open),
                f(Some("general_assembly"), None, Severity::Finding, Confirmed),
            ]),
            BasicallyQualified
        );
        // Dismissed findings do not count.
        assert_eq!(
            m.suggest([f(
                Some("general_assembly"),
                None,
                Severity::Finding,
                Dismissed
            )]),
            Qualified
        );
        // A trigger recorded by hand.
        assert_eq!(
            m.suggest([
                f(None, Some("profit_making"), Severity::Finding, Confirmed),
                f(Some("general_assembly"), None, Severity::Finding, Open),
            ]),
            Unqualified
        );
        // The mapping is editable: a rule can be made to lead to 不合格.
        let mut strict = ConclusionMap::default();
        strict
            .rules
            .insert("reelection_overdue".into(), Unqualified);
        assert_eq!(
            strict.suggest([f(Some("reelection_overdue"), None, Severity::Finding, Open)]),
            Unqualified
        );
        let json = serde_json::to_string(&strict).unwrap();
        assert_eq!(
            serde_json::from_str::<ConclusionMap>(&json).unwrap(),
            strict
        );
    }

    #[test]
    fn finding_states() {
        use FindingStatus::*;
        assert!(next_finding_status(Open, Dismissed, None).is_err());
        assert!(next_finding_status(Open, Dismissed, Some("  ")).is_err());
        assert_eq!(
            next_finding_status(Open, Dismissed, Some(" 已核实，数据无误 ")).unwrap(),
            (Dismissed, Some("已核实，数据无误".to_string()))
        );
        assert_eq!(
            next_finding_status(Open, Confirmed, None).unwrap(),
            (Confirmed, None)
        );
        assert!(next_finding_status(Confirmed, Confirmed, None).is_err());
        assert!(next_finding_status(Dismissed, Open, None).is_err());
        assert_eq!(
            next_finding_status(Dismissed, Confirmed, None).unwrap().0,
            Confirmed
        );
    }

    #[test]
    fn every_trigger_has_labels() {
        for t in TRIGGERS {
            for l in Lang::ALL {
                assert_ne!(t.label(l), format!("trigger.{}", t.code), "{}", t.code);
            }
        }
    }
}
