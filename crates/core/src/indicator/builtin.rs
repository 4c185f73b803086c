//! The built-in indicators: sample defaults after the indicators federations report
//! (STANDARDS.md §6), each labelled as a sample in its description.

use super::{Compare, DivisionRows, Indicator, Measure, NoticeState, ReportState, Within};
use crate::division::DivisionLevel;

/// Chambers: the denominator of the party-organisation rate and what chamber growth counts.
const CHAMBERS: &str = "org.kind = 商会";

#[allow(clippy::too_many_arguments)]
fn sample(
    code: &str,
    name_zh: &str,
    name_en: &str,
    description_zh: &str,
    description_en: &str,
    compare: Compare,
    numerator: Measure,
    denominator: Option<Measure>,
) -> Indicator {
    Indicator {
        code: code.into(),
        name_zh: name_zh.into(),
        name_en: name_en.into(),
        description_zh: format!("示例指标：{description_zh}"),
        description_en: format!("Sample indicator: {description_en}"),
        numerator,
        denominator,
        factor: 100.0,
        unit: "%".into(),
        compare,
        builtin: true,
    }
}

fn units(filter: &str) -> Measure {
    Measure::Units {
        filter: filter.into(),
    }
}

fn divisions(
    level: DivisionLevel,
    rows: DivisionRows,
    within: Within,
    having: Option<&str>,
) -> Measure {
    Measure::Divisions {
        level,
        rows,
        within,
        having: having.map(str::to_string),
    }
}

fn reports(state: ReportState) -> Measure {
    Measure::Reports {
        state,
        filter: String::new(),
    }
}

/// The sample indicators, `builtin = true`. Shares of four-good chambers and five-good county
/// federations (STANDARDS.md §6) are left out until evaluations are recorded: nothing yet says
/// which units are at standard.
pub fn builtin_indicators() -> Vec<Indicator> {
    use DivisionLevel::{City, County, Township};
    use DivisionRows::{Official, StatisticalOnly};
    vec![
        sample(
            "party_org_rate",
            "商会党组织建立率",
            "Party organisations in chambers",
            "已建立党组织的商会数 ÷ 商会数（所辖全部商会，截至年末；登记信息未填是否建立的，按未建立计）。",
            "chambers with a party organisation ÷ chambers (all chambers below the unit at year end; \
             a chamber whose record does not say counts as without one).",
            Compare::Ratio,
            units("org.kind = 商会 and org.party_org = 是"),
            Some(units(CHAMBERS)),
        ),
        sample(
            "township_chamber_coverage",
            "乡镇（街道）商会覆盖率",
            "Township and street chamber coverage",
            "有乡镇商会或街道商会的乡镇（街道）数 ÷ 本级区划内的乡镇（街道）数。只计正式区划，不含开发区等统计用区划；商会按其区划代码归属乡镇（街道）。",
            "townships and streets with a township or street chamber ÷ townships and streets within \
             the unit's division. Official divisions only, development zones and other statistical-only \
             units left out; a chamber belongs to the township its division code names.",
            Compare::Ratio,
            divisions(
                Township,
                Official,
                Within::Node,
                Some("org.kind = 商会 and (org.category = 乡镇 or org.category = 街道)"),
            ),
            Some(divisions(Township, Official, Within::Node, None)),
        ),
        sample(
            "park_branch_coverage",
            "园区工商联分会覆盖率",
            "Federation branches in industrial parks",
            "有工商联分会的开发区（园区）数 ÷ 本级区划内的开发区（园区）数。开发区指县级统计用区划（代码第 5 位为 7）。",
            "development zones (industrial parks) with a federation branch ÷ development zones within \
             the unit's division; a development zone is a county-level statistical-only division (5th \
             digit of the code 7).",
            Compare::Ratio,
            divisions(
                County,
                StatisticalOnly,
                Within::Node,
                Some("org.kind = 分会"),
            ),
            Some(divisions(County, StatisticalOnly, Within::Node, None)),
        ),
        sample(
            "reporting_rate",
            "年报报送率",
            "Reporting rate",
            "已报送年报的单位数 ÷ 应报单位数（当年年报工作，含本单位）。",
            "units that submitted their annual report ÷ units expected to report (the year's \
             campaign, the unit itself included).",
            Compare::Ratio,
            reports(ReportState::Submitted),
            Some(reports(ReportState::Expected)),
        ),
        sample(
            "on_time_rate",
            "按时报送率",
            "On-time reporting rate",
            "截止日期前首次报送且现已报送的单位数 ÷ 应报单位数。",
            "units that first submitted by the deadline and are submitted now ÷ units expected to \
             report.",
            Compare::Ratio,
            reports(ReportState::OnTime),
            Some(reports(ReportState::Expected)),
        ),
        sample(
            "closure_rate",
            "整改销号率",
            "Rectification closure rate",
            "已销号（全部整改项通过）的整改通知书数 ÷ 已下发的整改通知书数（当年年报工作）。",
            "rectification notices closed (every item accepted) ÷ notices issued (the year's \
             campaign).",
            Compare::Ratio,
            Measure::Notices {
                state: NoticeState::Closed,
            },
            Some(Measure::Notices {
                state: NoticeState::Issued,
            }),
        ),
        sample(
            "chamber_growth",
            "商会数量增长率",
            "Growth in chambers",
            "（本年末商会数 − 上年末商会数）÷ 上年末商会数。",
            "(chambers at the end of the year − chambers at the end of the year before) ÷ chambers \
             at the end of the year before.",
            Compare::Growth,
            units(CHAMBERS),
            None,
        ),
        sample(
            "member_growth",
            "会员数增长率",
            "Growth in members",
            "（本年年报会员总数合计 − 上年合计）÷ 上年合计；只计已报送的年报。",
            "(total members in this year's submitted reports − last year's) ÷ last year's.",
            Compare::Growth,
            Measure::ItemSum {
                item: "members_total".into(),
                filter: String::new(),
            },
            None,
        ),
        sample(
            "city_coverage",
            "地市覆盖率",
            "Cities covered",
            "本省有所辖单位（任一类）的地市数 ÷ 本省的地市数（正式区划，不含市辖区等占位行）。",
            "cities of the province where at least one unit below the unit sits ÷ cities of the \
             province (official divisions, placeholder rows left out).",
            Compare::Ratio,
            divisions(City, Official, Within::Province, Some("true")),
            Some(divisions(City, Official, Within::Province, None)),
        ),
    ]
}
