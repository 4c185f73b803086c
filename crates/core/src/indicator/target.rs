//! Targets (目标): what an indicator should reach in a year, for nodes of a level or any node.

use super::coded;
use crate::i18n::Lang;
use crate::org::FederationLevel;
use crate::value;

coded!(
    /// Which side of the target is good.
    Direction, "indicator.direction", default AtLeast {
    /// The value should be at least the target (coverage ≥ 80%).
    AtLeast => "at_least",
    /// The value should be at most the target.
    AtMost => "at_most",
});

/// A target for an indicator in a year: township chamber coverage ≥ 80 in 2025 for county
/// federations.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// The indicator's code.
    pub indicator: String,
    pub year: i32,
    /// For nodes of that level; `None`: any node.
    #[serde(default)]
    pub level: Option<FederationLevel>,
    /// In the indicator's unit (80 for 80%).
    pub value: f64,
    #[serde(default)]
    pub direction: Direction,
}

impl Target {
    /// Whether `value` meets the target.
    pub fn met(&self, value: f64) -> bool {
        match self.direction {
            Direction::AtLeast => value >= self.value,
            Direction::AtMost => value <= self.value,
        }
    }
}

/// The target of indicator `code` in `year` for a node of `level`: one for that level wins over
/// one for any node.
pub fn target_for<'t>(
    targets: &'t [Target],
    code: &str,
    year: i32,
    level: Option<FederationLevel>,
) -> Option<&'t Target> {
    let of = |l: Option<FederationLevel>| {
        targets
            .iter()
            .find(|t| t.indicator == code && t.year == year && t.level == l)
    };
    level.and_then(|l| of(Some(l))).or_else(|| of(None))
}

/// How far `value` is from meeting the target, in the indicator's unit: 0 when met (the value
/// still to gain for an at-least target, to lose for an at-most one).
pub fn gap(value: f64, target: &Target) -> f64 {
    let g = match target.direction {
        Direction::AtLeast => target.value - value,
        Direction::AtMost => value - target.value,
    };
    g.max(0.0)
}

/// The level of a target as sheets write it: a federation level's code or label, empty for any.
pub(super) fn parse_target_level(input: &str) -> Result<Option<FederationLevel>, ()> {
    let s = value::trim(input);
    if s.is_empty()
        || Lang::ALL
            .iter()
            .any(|l| l.t("indicator.target.any_level") == s)
    {
        return Ok(None);
    }
    FederationLevel::parse(s).map(Some).ok_or(())
}
