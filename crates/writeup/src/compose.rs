//! The report's structure: the [`Facts`] and their narrative laid out as sections with tables
//! and charts, in one [`Document`] that every format renders. Sections whose figures do not
//! exist (no campaign yet, no notices) say so in a sentence instead of showing empty tables;
//! sections for capabilities shanghui does not have yet (evaluation) are left out.

use shanghui_core::Lang;

use crate::charts::{self, Unit};
use crate::document::{Align, Block, DocLang, Document, Table};
use crate::facts::{Facts, UnitRow};
use crate::narrative::{Narrative, TemplateProblem};

/// The document for `f`, its prose from `n`.
pub fn compose(f: &Facts, n: &Narrative, lang: Lang) -> Result<Document, TemplateProblem> {
    let mut d = Doc {
        blocks: Vec::new(),
        lang,
    };
    overview(&mut d, f, n)?;
    reporting(&mut d, f, n)?;
    coverage(&mut d, f, n)?;
    review(&mut d, f, n)?;
    conclusions(&mut d, f, n)?;
    rectification(&mut d, f, n)?;
    trend(&mut d, f, n)?;
    recommendations(&mut d, f, n)?;
    appendix(&mut d, f);
    Ok(Document {
        lang: match lang {
            Lang::ZhCn => DocLang::Zh,
            Lang::En => DocLang::En,
        },
        title: n.title(f)?,
        subtitle: vec![
            lang.tf(
                "writeup.subtitle",
                &[("node", &f.node.name), ("year", &f.year.to_string())],
            ),
            lang.tf("writeup.produced", &[("date", &f.produced_on)]),
        ],
        blocks: d.blocks,
    })
}

/// The blocks so far and the words' language.
struct Doc {
    blocks: Vec<Block>,
    lang: Lang,
}

impl Doc {
    fn t(&self, key: &str) -> String {
        self.lang.t(key).to_string()
    }
    fn heading(&mut self, level: u8, key: &str) {
        let text = self.t(key);
        self.blocks.push(Block::Heading { level, text });
    }
    fn paragraphs(&mut self, ps: Vec<String>) {
        self.blocks.extend(ps.into_iter().map(Block::Paragraph));
    }
    /// A table whose header comes from catalogue keys; the first column is text, the others
    /// numbers unless `text_cols` says otherwise.
    fn table(&mut self, caption: &str, cols: &[&str], text_cols: usize, rows: Vec<Vec<String>>) {
        self.table_note(caption, cols, text_cols, rows, String::new());
    }
    fn table_note(
        &mut self,
        caption: &str,
        cols: &[&str],
        text_cols: usize,
        rows: Vec<Vec<String>>,
        note: String,
    ) {
        self.blocks.push(Block::Table(Table {
            caption: self.t(caption),
            header: cols.iter().map(|k| self.t(k)).collect(),
            align: (0..cols.len())
                .map(|i| {
                    if i < text_cols {
                        Align::Left
                    } else {
                        Align::Right
                    }
                })
                .collect(),
            rows,
            note,
        }));
    }
}

fn pct(x: Option<f64>) -> String {
    x.map(charts::share).unwrap_or_else(|| "—".into())
}

fn fixed(x: Option<f64>, unit: &str) -> String {
    x.map(|x| format!("{}{unit}", charts::fixed(x, 1)))
        .unwrap_or_else(|| "—".into())
}

fn amount(x: f64) -> String {
    charts::counted(x)
}

fn overview(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    d.heading(1, "writeup.h.overview");
    d.paragraphs(n.paragraphs("overview", f)?);
    let cats = &f.overview.chambers_by_category;
    if !cats.is_empty() {
        let parts: Vec<(String, f64)> = cats
            .iter()
            .map(|p| (p.label.clone(), p.count as f64))
            .collect();
        d.blocks.push(Block::Figure(charts::donut(
            &d.t("writeup.cap.categories"),
            &parts,
        )));
        let rows = cats
            .iter()
            .map(|p| vec![p.label.clone(), p.count.to_string(), pct(p.share)])
            .collect();
        d.table(
            "writeup.cap.categories",
            &[
                "writeup.col.category",
                "writeup.col.chambers",
                "writeup.col.share",
            ],
            1,
            rows,
        );
    }
    Ok(())
}

fn reporting(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    d.heading(1, "writeup.h.reporting");
    d.paragraphs(n.paragraphs("reporting", f)?);
    if f.campaign.is_none() || f.children.is_empty() {
        return Ok(());
    }
    let items: Vec<(String, Option<f64>)> = f
        .children
        .iter()
        .map(|c| (c.name.clone(), c.reporting_rate))
        .collect();
    d.blocks.push(Block::Figure(charts::bars(
        &d.t("writeup.cap.reporting_by_child"),
        &items,
        Unit::Share,
    )));
    let rows = f
        .children
        .iter()
        .map(|c| {
            vec![
                c.name.clone(),
                c.expected.to_string(),
                c.submitted.to_string(),
                pct(c.reporting_rate),
                pct(c.on_time_rate),
            ]
        })
        .collect();
    d.table(
        "writeup.cap.reporting_by_child",
        &[
            "writeup.col.unit",
            "writeup.col.expected",
            "writeup.col.submitted",
            "writeup.col.reporting_rate",
            "writeup.col.on_time_rate",
        ],
        1,
        rows,
    );
    Ok(())
}

fn coverage(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    if f.indicators.is_empty() {
        return Ok(());
    }
    d.heading(1, "writeup.h.coverage");
    d.paragraphs(n.paragraphs("indicators", f)?);
    let shares: Vec<(String, Option<f64>)> = f
        .indicators
        .iter()
        .filter(|i| !i.growth && i.unit == "%")
        .map(|i| (i.name.clone(), i.value.map(|v| v / 100.0)))
        .collect();
    if !shares.is_empty() {
        d.blocks.push(Block::Figure(charts::bars(
            &d.t("writeup.cap.indicators"),
            &shares,
            Unit::Share,
        )));
    }
    let rows = f
        .indicators
        .iter()
        .map(|i| {
            let counts = if i.growth {
                String::new()
            } else {
                format!("{} / {}", amount(i.numerator), amount(i.denominator))
            };
            vec![
                i.name.clone(),
                fixed(i.value, &i.unit),
                counts,
                fixed(i.target, &i.unit),
                match i.met {
                    Some(true) => d.t("writeup.met"),
                    Some(false) => d.lang.tf("writeup.gap", &[("gap", &fixed(i.gap, ""))]),
                    None => String::new(),
                },
                fixed(i.last, &i.unit),
            ]
        })
        .collect();
    d.table(
        "writeup.cap.indicators",
        &[
            "writeup.col.indicator",
            "writeup.col.value",
            "writeup.col.counts",
            "writeup.col.target",
            "writeup.col.attainment",
            "writeup.col.last_year",
        ],
        1,
        rows,
    );
    Ok(())
}

fn review(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    let Some(r) = &f.review else {
        return Ok(());
    };
    d.heading(1, "writeup.h.review");
    d.paragraphs(n.paragraphs("review", f)?);
    if !r.rules.is_empty() {
        d.heading(2, "writeup.h.rules");
        let rows = r
            .rules
            .iter()
            .map(|x| {
                vec![
                    x.name.clone(),
                    x.severity.clone(),
                    x.reports.to_string(),
                    pct(x.share),
                    x.last_year
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "—".into()),
                ]
            })
            .collect();
        d.table(
            "writeup.cap.rules",
            &[
                "writeup.col.rule",
                "writeup.col.severity",
                "writeup.col.reports",
                "writeup.col.share_submitted",
                "writeup.col.last_year",
            ],
            2,
            rows,
        );
        let rows = r
            .items
            .iter()
            .map(|x| vec![x.label.clone(), x.reports.to_string(), pct(x.share)])
            .collect();
        d.table(
            "writeup.cap.items",
            &[
                "writeup.col.item",
                "writeup.col.reports",
                "writeup.col.share_submitted",
            ],
            1,
            rows,
        );
    }
    if !r.by_category.is_empty() {
        d.heading(2, "writeup.h.by_category");
        let parts = |ps: &[crate::facts::PartProblems]| -> Vec<Vec<String>> {
            ps.iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.submitted.to_string(),
                        p.with_problems.to_string(),
                        pct(p.share),
                    ]
                })
                .collect()
        };
        let cols = [
            "writeup.col.part",
            "writeup.col.submitted",
            "writeup.col.with_problems",
            "writeup.col.problem_share",
        ];
        d.table("writeup.cap.by_category", &cols, 1, parts(&r.by_category));
        if r.by_child.len() > 1 {
            let items: Vec<(String, Option<f64>)> = r
                .by_child
                .iter()
                .map(|p| (p.name.clone(), p.share))
                .collect();
            d.blocks.push(Block::Figure(charts::bars(
                &d.t("writeup.cap.by_child"),
                &items,
                Unit::Share,
            )));
            d.table("writeup.cap.by_child", &cols, 1, parts(&r.by_child));
        }
    }
    if !r.tests.is_empty() {
        d.heading(2, "writeup.h.significance");
        for t in &r.tests {
            d.paragraphs(n.test(f, t)?);
            let rows: Vec<(String, Vec<f64>)> = t
                .rows
                .iter()
                .cloned()
                .zip(t.counts.iter().cloned())
                .collect();
            d.blocks.push(Block::Figure(charts::stacked(
                &d.lang.tf("writeup.cap.crosstab", &[("by", &t.by)]),
                &t.cols,
                &rows,
            )));
            let mut header = vec![t.by.clone()];
            header.extend(t.cols.iter().cloned());
            header.push(d.t("writeup.col.total"));
            let table_rows = rows
                .iter()
                .map(|(name, counts)| {
                    let mut row = vec![name.clone()];
                    row.extend(counts.iter().map(|c| amount(*c)));
                    row.push(amount(counts.iter().sum()));
                    row
                })
                .collect();
            let note = d.lang.tf(
                "writeup.chi_note",
                &[
                    ("chi2", &format!("{:.2}", t.chi2)),
                    ("df", &format!("{:.0}", t.df)),
                    ("p", &format!("{:.3}", t.p)),
                ],
            );
            let n_cols = header.len();
            d.blocks.push(Block::Table(Table {
                caption: d.lang.tf("writeup.cap.crosstab", &[("by", &t.by)]),
                header,
                align: (0..n_cols)
                    .map(|i| if i == 0 { Align::Left } else { Align::Right })
                    .collect(),
                rows: table_rows,
                note,
            }));
        }
    }
    Ok(())
}

fn conclusions(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    if f.campaign.is_none() {
        return Ok(());
    }
    d.heading(1, "writeup.h.conclusions");
    d.paragraphs(n.paragraphs("conclusions", f)?);
    if f.conclusions.iter().any(|c| c.count > 0) {
        let parts: Vec<(String, f64)> = f
            .conclusions
            .iter()
            .map(|c| (c.label.clone(), c.count as f64))
            .collect();
        d.blocks.push(Block::Figure(charts::donut(
            &d.t("writeup.cap.conclusions"),
            &parts,
        )));
        let rows = f
            .conclusions
            .iter()
            .map(|c| vec![c.label.clone(), c.count.to_string(), pct(c.share)])
            .collect();
        d.table(
            "writeup.cap.conclusions",
            &[
                "writeup.col.conclusion",
                "writeup.col.reports",
                "writeup.col.share",
            ],
            1,
            rows,
        );
    }
    Ok(())
}

fn rectification(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    if f.campaign.is_none() {
        return Ok(());
    }
    d.heading(1, "writeup.h.rectify");
    d.paragraphs(n.paragraphs("rectify", f)?);
    let with_notices: Vec<_> = f.children.iter().filter(|c| c.notices > 0).collect();
    if f.rectify.is_some() && !with_notices.is_empty() {
        let rows = with_notices
            .iter()
            .map(|c| vec![c.name.clone(), c.notices.to_string(), pct(c.closure_rate)])
            .collect();
        d.table(
            "writeup.cap.rectify",
            &[
                "writeup.col.unit",
                "writeup.col.notices",
                "writeup.col.closure_rate",
            ],
            1,
            rows,
        );
    }
    Ok(())
}

fn trend(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    d.heading(1, "writeup.h.trend");
    d.paragraphs(n.paragraphs("trend", f)?);
    if f.trend.len() > 1 {
        let x: Vec<String> = f.trend.iter().map(|p| p.year.to_string()).collect();
        let series = vec![
            (
                d.t("writeup.col.reporting_rate"),
                f.trend.iter().map(|p| p.reporting_rate).collect(),
            ),
            (
                d.t("writeup.col.on_time_rate"),
                f.trend.iter().map(|p| p.on_time_rate).collect(),
            ),
            (
                d.t("writeup.col.problem_share"),
                f.trend.iter().map(|p| p.problem_share).collect(),
            ),
        ];
        d.blocks.push(Block::Figure(charts::line(
            &d.t("writeup.cap.trend"),
            &x,
            &series,
            Unit::Share,
        )));
    }
    let mut rows = vec![
        vec![
            d.t("writeup.col.chambers"),
            f.overview.chambers.to_string(),
            f.overview
                .chambers_last
                .map(|x| x.to_string())
                .unwrap_or_else(|| "—".into()),
        ],
        vec![
            d.t("writeup.col.members"),
            f.overview.members.to_string(),
            f.overview
                .members_last
                .map(|x| x.to_string())
                .unwrap_or_else(|| "—".into()),
        ],
    ];
    if f.campaign.is_some() {
        rows.push(vec![
            d.t("writeup.col.reporting_rate"),
            pct(f.overview.reporting_rate),
            pct(f.overview.reporting_rate_last),
        ]);
        rows.push(vec![
            d.t("writeup.col.on_time_rate"),
            pct(f.overview.on_time_rate),
            pct(f.overview.on_time_rate_last),
        ]);
    }
    if let Some(r) = &f.review {
        rows.push(vec![
            d.t("writeup.col.problem_share"),
            pct(r.share),
            pct(r.share_last),
        ]);
    }
    for i in &f.indicators {
        rows.push(vec![
            i.name.clone(),
            fixed(i.value, &i.unit),
            fixed(i.last, &i.unit),
        ]);
    }
    let this = f.year.to_string();
    let last = f.last_year.to_string();
    d.blocks.push(Block::Table(Table {
        caption: d.t("writeup.cap.yoy"),
        header: vec![
            d.t("writeup.col.figure"),
            d.lang.tf("writeup.col.year", &[("year", &this)]),
            d.lang.tf("writeup.col.year", &[("year", &last)]),
        ],
        align: vec![Align::Left, Align::Right, Align::Right],
        rows,
        note: String::new(),
    }));
    Ok(())
}

fn recommendations(d: &mut Doc, f: &Facts, n: &Narrative) -> Result<(), TemplateProblem> {
    d.heading(1, "writeup.h.recommendations");
    if f.recommendations.is_empty() {
        d.paragraphs(vec![d.t("writeup.no_recommendations")]);
        return Ok(());
    }
    let items = f
        .recommendations
        .iter()
        .map(|r| n.recommendation(f, r))
        .collect::<Result<Vec<_>, _>>()?;
    d.blocks.push(Block::Bullets(items));
    Ok(())
}

fn appendix(d: &mut Doc, f: &Facts) {
    d.heading(1, "writeup.h.appendix");
    if !f.children.is_empty() {
        d.heading(2, "writeup.h.appendix_children");
        let rows = f
            .children
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.expected.to_string(),
                    c.submitted.to_string(),
                    pct(c.reporting_rate),
                    c.with_problems.to_string(),
                    pct(c.problem_share),
                    c.notices.to_string(),
                    pct(c.closure_rate),
                ]
            })
            .collect();
        d.table(
            "writeup.cap.appendix_children",
            &[
                "writeup.col.unit",
                "writeup.col.expected",
                "writeup.col.submitted",
                "writeup.col.reporting_rate",
                "writeup.col.with_problems",
                "writeup.col.problem_share",
                "writeup.col.notices",
                "writeup.col.closure_rate",
            ],
            1,
            rows,
        );
    }
    let lang = d.lang;
    let limited = |shown: usize, total: i64| {
        if (shown as i64) < total {
            lang.tf(
                "writeup.appendix_limited",
                &[("shown", &shown.to_string()), ("total", &total.to_string())],
            )
        } else {
            String::new()
        }
    };
    let a = &f.appendix;
    if !a.problems.is_empty() {
        let note = limited(a.problems.len(), a.problems_total);
        d.heading(2, "writeup.h.appendix_problems");
        let rows = a
            .problems
            .iter()
            .map(|u: &UnitRow| {
                vec![
                    u.name.clone(),
                    u.conclusion.clone(),
                    u.rules.clone(),
                    u.findings.to_string(),
                ]
            })
            .collect();
        d.table_note(
            "writeup.cap.appendix_problems",
            &[
                "writeup.col.unit",
                "writeup.col.conclusion",
                "writeup.col.rules",
                "writeup.col.findings",
            ],
            3,
            rows,
            note,
        );
    }
    if !a.missing.is_empty() {
        let note = limited(a.missing.len(), a.missing_total);
        d.heading(2, "writeup.h.appendix_missing");
        let rows = a
            .missing
            .iter()
            .map(|u| vec![u.name.clone(), u.parent.clone()])
            .collect();
        d.table_note(
            "writeup.cap.appendix_missing",
            &["writeup.col.unit", "writeup.col.parent"],
            2,
            rows,
            note,
        );
    }
}
