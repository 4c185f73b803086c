//! Rules back to the rows of a sheet, for exports that staff edit and bring back.

use super::{RULE_COLUMNS, Rule};

/// Each rule's cells in [`RULE_COLUMNS`] order, such that [`read_rules`](super::read_rules)
/// reads them back to the same rules: severity and missing-value strategy by their codes (the
/// strategy always written out, so that a reader sees it), the items a rule concerns separated
/// by `", "` (an empty cell for none). Cells are as the rule holds them; a rule read by
/// `read_rules` is already trimmed and has an English name (the Chinese one if none was given),
/// so rules read from a sheet come back the same.
pub fn rule_rows(rules: &[Rule]) -> Vec<Vec<String>> {
    rules
        .iter()
        .map(|r| RULE_COLUMNS.iter().map(|c| cell(r, c)).collect())
        .collect()
}

fn cell(r: &Rule, column: &str) -> String {
    match column {
        "code" => r.code.clone(),
        "name::zh" => r.name_zh.clone(),
        "name::en" => r.name_en.clone(),
        "group" => r.group.clone(),
        "severity" => r.severity.code().to_string(),
        "missing" => r.missing.code().to_string(),
        "expr" => r.expr.clone(),
        "items" => r.items.join(", "),
        "instruction::zh" => r.instruction_zh.clone(),
        "instruction::en" => r.instruction_en.clone(),
        // A column added to RULE_COLUMNS without a cell here fails the round-trip test.
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{MissingStrategy, Severity, csv_rows, read_rules, sample_rules};
    use crate::template::SheetRow;

    fn sheet(rows: &[Vec<String>]) -> Vec<SheetRow> {
        rows.iter()
            .enumerate()
            .map(|(i, cells)| SheetRow {
                row: i + 2,
                cells: RULE_COLUMNS
                    .iter()
                    .map(|c| c.to_string())
                    .zip(cells.iter().cloned())
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn sample_rules_round_trip() {
        let rules = sample_rules();
        let rows = rule_rows(&rules);
        assert_eq!(rows.len(), rules.len());
        assert!(rows.iter().all(|r| r.len() == RULE_COLUMNS.len()));
        assert_eq!(read_rules(&sheet(&rows)).unwrap(), rules);
    }

    #[test]
    fn every_field_survives() {
        let rule = Rule {
            code: "a_1".into(),
            name_zh: "甲".into(),
            name_en: "甲".into(),
            expr: "members_total >= 0, \"x\"".into(),
            severity: Severity::Finding,
            missing: MissingStrategy::SkipIfAllMissing,
            instruction_zh: "第一行\n第二行".into(),
            instruction_en: "line, \"quoted\"".into(),
            group: "members".into(),
            items: vec!["members_total".into(), "members_unit".into()],
        };
        let rules = vec![
            rule.clone(),
            Rule {
                code: "b".into(),
                items: Vec::new(),
                missing: MissingStrategy::NeverSkip,
                severity: Severity::Warning,
                ..rule
            },
        ];
        let rows = rule_rows(&rules);
        assert_eq!(
            rows[0][RULE_COLUMNS.iter().position(|c| *c == "items").unwrap()],
            "members_total, members_unit"
        );
        assert_eq!(
            rows[1][RULE_COLUMNS.iter().position(|c| *c == "items").unwrap()],
            ""
        );
        assert_eq!(read_rules(&sheet(&rows)).unwrap(), rules);

        // Through CSV text too (the shipped sample's format).
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut text = RULE_COLUMNS.join(",");
        for r in &rows {
            text.push('\n');
            text.push_str(&r.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        }
        assert_eq!(read_rules(&csv_rows(&text)).unwrap(), rules);
    }
}
