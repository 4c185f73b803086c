//! The statistics tables in the reader's language. The stats crate prints SPSS's English terms
//! (its output is compared with PSPP's); Chinese readers get the terms of SPSS's Chinese edition
//! (频率, 有效百分比, 皮尔逊卡方 …). Variable names, labels and values pass through unchanged:
//! only whole terms are translated, and the few composed titles by their pattern.

use shanghui_core::Lang;
use shanghui_stats::table::{Cell, Table};

/// English term → Chinese, as SPSS's Chinese edition words them.
const TERMS: &[(&str, &str)] = &[
    ("ANOVA", "方差分析"),
    ("Adjusted Residual", "调整后残差"),
    ("Approximate Significance", "渐进显著性"),
    ("Asymptotic Significance (2-sided)", "渐进显著性（双侧）"),
    ("Between Groups", "组间"),
    ("Bonferroni", "邦弗伦尼"),
    ("Case Processing Summary", "个案处理摘要"),
    ("Cases", "个案"),
    ("Chi-Square Tests", "卡方检验"),
    ("Contingency Coefficient", "列联系数"),
    ("Continuity Correction", "连续性修正"),
    ("Corrected Item-Total Correlation", "修正后的项与总计相关性"),
    ("Correlation", "相关性"),
    ("Correlation Coefficient", "相关系数"),
    ("Correlations", "相关性"),
    ("Correlations (Spearman's rho)", "相关性（斯皮尔曼 Rho）"),
    ("Count", "计数"),
    ("Cramer's V", "克莱姆 V"),
    ("Cronbach's Alpha", "克隆巴赫 Alpha"),
    (
        "Cronbach's Alpha if Item Deleted",
        "删除项后的克隆巴赫 Alpha",
    ),
    ("Cumulative Percent", "累积百分比"),
    ("Descriptive Statistics", "描述统计"),
    ("Descriptives", "描述"),
    ("Equal variances assumed", "假定等方差"),
    ("Equal variances not assumed", "不假定等方差"),
    ("Exact Sig. (1-sided)", "精确显著性（单侧）"),
    ("Exact Sig. (2-sided)", "精确显著性（双侧）"),
    ("Excluded", "排除"),
    ("Excluded N", "排除个案数"),
    ("Excluded Percent", "排除百分比"),
    ("Expected Count", "期望计数"),
    ("Fisher's Exact Test", "费希尔精确检验"),
    ("Frequency", "频率"),
    ("Group Statistics", "组统计"),
    ("Included N", "包括个案数"),
    ("Included Percent", "包括百分比"),
    ("Independent Samples Test", "独立样本检验"),
    ("Item Statistics", "项统计"),
    ("Item-Total Statistics", "项总计统计"),
    ("Kurtosis", "峰度"),
    ("Kurtosis Std. Error", "峰度标准误差"),
    ("Levene Statistic", "莱文统计"),
    (
        "Levene's Test for Equality of Variances",
        "莱文方差等同性检验",
    ),
    ("Likelihood Ratio", "似然比"),
    ("Linear-by-Linear Association", "线性关联"),
    (
        "Listwise deletion based on all variables in the procedure.",
        "基于过程中所有变量的成列删除。",
    ),
    ("Lower", "下限"),
    ("Lower Bound", "下限"),
    ("Maximum", "最大值"),
    ("Mean", "平均值"),
    ("Mean Difference", "平均值差值"),
    ("Mean Difference (I-J)", "平均值差值 (I-J)"),
    ("Mean Square", "均方"),
    ("Mean Std. Error", "平均值标准误差"),
    ("Median", "中位数"),
    ("Minimum", "最小值"),
    ("Missing", "缺失"),
    ("Missing N", "缺失个案数"),
    ("Missing Percent", "缺失百分比"),
    ("Mode", "众数"),
    ("N of Items", "项数"),
    ("N of Valid Cases", "有效个案数"),
    ("Nominal by Nominal", "名义到名义"),
    ("One-Sample Statistics", "单样本统计"),
    ("One-Sample Test", "单样本检验"),
    ("Paired Differences", "配对差值"),
    ("Paired Samples Correlations", "配对样本相关性"),
    ("Paired Samples Statistics", "配对样本统计"),
    ("Paired Samples Test", "配对样本检验"),
    ("Pearson Chi-Square", "皮尔逊卡方"),
    ("Pearson Correlation", "皮尔逊相关性"),
    ("Percent", "百分比"),
    ("Percentiles", "百分位数"),
    ("Range", "范围"),
    ("Reliability Statistics", "可靠性统计"),
    ("Report", "报告"),
    ("Residual", "残差"),
    ("Scale Mean if Item Deleted", "删除项后的标度平均值"),
    ("Scale Variance if Item Deleted", "删除项后的标度方差"),
    ("Sig.", "显著性"),
    ("Sig. (2-tailed)", "显著性（双尾）"),
    ("Skewness", "偏度"),
    ("Skewness Std. Error", "偏度标准误差"),
    ("Standardized Residual", "标准化残差"),
    ("Statistics", "统计"),
    ("Std. Deviation", "标准偏差"),
    ("Std. Error", "标准误差"),
    ("Std. Error Difference", "标准误差差值"),
    ("Std. Error Mean", "标准误差平均值"),
    ("Std. Error of Kurtosis", "峰度标准误差"),
    ("Std. Error of Mean", "平均值标准误差"),
    ("Std. Error of Skewness", "偏度标准误差"),
    ("Sum", "总和"),
    ("Sum of Squares", "平方和"),
    ("Symmetric Measures", "对称测量"),
    ("System", "系统"),
    ("Test of Homogeneity of Variances", "方差齐性检验"),
    ("Total", "总计"),
    ("Total N", "总计个案数"),
    ("Total Percent", "总计百分比"),
    ("Tukey HSD", "图基 HSD"),
    ("Upper", "上限"),
    ("Upper Bound", "上限"),
    ("Valid", "有效"),
    ("Valid N", "有效个案数"),
    ("Valid N (listwise)", "有效个案数（成列）"),
    ("Valid Percent", "有效百分比"),
    ("Value", "值"),
    ("Value Label", "值标签"),
    ("Variance", "方差"),
    ("Within Groups", "组内"),
    ("df", "自由度"),
    ("df1", "自由度 1"),
    ("df2", "自由度 2"),
];

fn term(s: &str) -> Option<&'static str> {
    TERMS
        .binary_search_by(|(en, _)| en.cmp(&s))
        .ok()
        .map(|i| TERMS[i].1)
}

/// One part of a header or title: a term, or one of the composed phrases.
fn part(s: &str) -> String {
    if let Some(zh) = term(s) {
        return zh.to_string();
    }
    // A layer's suffix, " (g = 1)", stays as it is after the translated title.
    if let Some(open) = s.rfind(" (")
        && s.ends_with(')')
    {
        let (head, tail) = s.split_at(open);
        if let Some(tv) = tail
            .strip_prefix(" (Test Value = ")
            .and_then(|t| t.strip_suffix(')'))
            && head == "One-Sample Test"
        {
            return format!("单样本检验（检验值 = {tv}）");
        }
        if let Some(zh) = term(head) {
            return format!("{zh}{tail}");
        }
        if let Some(v) = head.strip_suffix(" Crosstabulation") {
            return format!("{v} 交叉表{tail}");
        }
        if head == "Multiple Comparisons" {
            return format!("多重比较{tail}");
        }
    }
    if let Some(v) = s.strip_suffix(" Crosstabulation") {
        return format!("{v} 交叉表");
    }
    if let Some(v) = s.strip_prefix("% within ") {
        return format!("占 {v} 的百分比");
    }
    if let Some(n) = s.strip_prefix("Pair ") {
        return format!("配对 {n}");
    }
    if let Some(n) = s.strip_prefix("Listwise N = ") {
        return format!("成列个案数 = {n}");
    }
    if let Some(pct) = s.strip_suffix("% Confidence Interval for Mean") {
        return format!("平均值的 {pct}% 置信区间");
    }
    if let Some(pct) = s.strip_suffix("% Confidence Interval of the Difference") {
        return format!("差值的 {pct}% 置信区间");
    }
    if let Some(pct) = s.strip_suffix("% Confidence Interval") {
        return format!("{pct}% 置信区间");
    }
    if let Some(rest) = s.strip_prefix("Multiple modes exist (")
        && let Some(v) = rest.strip_suffix("). The smallest value is shown.")
    {
        return format!("存在多个众数（{v}），显示了最小值。");
    }
    if s == "b. Computed only for a 2x2 table" {
        return "b. 仅针对 2x2 表进行计算".to_string();
    }
    if let Some(rest) = s.strip_prefix("a. ")
        && let Some((cells, min)) = rest.split_once(" have expected count less than 5. ")
        && let Some(min) = min
            .strip_prefix("The minimum expected count is ")
            .and_then(|m| m.strip_suffix('.'))
    {
        let cells = cells
            .replace(" cells ", " 个单元格 ")
            .replace(" cell ", " 个单元格 ");
        return format!("a. {cells}的期望计数小于 5。最小期望计数为 {min}。");
    }
    s.to_string()
}

/// A header, title or text cell: its `: `-separated parts (nested headers) each translated;
/// a text with nothing to translate (a label, a value) is left exactly as it is.
fn phrase(s: &str) -> String {
    let parts: Vec<&str> = s.split(": ").collect();
    let done: Vec<String> = parts.iter().map(|p| part(p)).collect();
    if parts.iter().zip(&done).all(|(a, b)| a == b) {
        return s.to_string();
    }
    done.join("：")
}

/// The tables with their terms in `lang` (English: unchanged).
pub fn localize(tables: &mut [Table], lang: Lang) {
    if lang == Lang::En {
        return;
    }
    for t in tables {
        t.title = phrase(&t.title);
        for c in &mut t.columns {
            *c = phrase(c);
        }
        for row in &mut t.rows {
            for cell in row {
                if let Cell::Text(s) = cell {
                    *s = phrase(s);
                }
            }
        }
        for n in &mut t.notes {
            *n = phrase(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_sorted_for_the_binary_search() {
        assert!(TERMS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn composed_titles_and_nested_headers() {
        assert_eq!(phrase("Valid Percent"), "有效百分比");
        assert_eq!(
            phrase("a * b Crosstabulation (g = 1)"),
            "a * b 交叉表 (g = 1)"
        );
        assert_eq!(phrase("Chi-Square Tests (g = 2)"), "卡方检验 (g = 2)");
        assert_eq!(
            phrase("Levene's Test for Equality of Variances: Sig."),
            "莱文方差等同性检验：显著性"
        );
        assert_eq!(
            phrase("95% Confidence Interval for Mean: Lower Bound"),
            "平均值的 95% 置信区间：下限"
        );
        assert_eq!(phrase("% within 商会类别"), "占 商会类别 的百分比");
        assert_eq!(
            phrase("One-Sample Test (Test Value = 3)"),
            "单样本检验（检验值 = 3）"
        );
        // Labels and values are not terms: unchanged, even when English.
        assert_eq!(phrase("是否建立党组织"), "是否建立党组织");
        assert_eq!(phrase("Total income"), "Total income");
    }
}
