//! The review pages end to end, on every backend: findings appear on submission and error rules
//! block it; confirming, dismissing (a reason required), findings added by hand, comments and the
//! conclusion (audited); a third-party reviewer who sees only what is assigned to it; the rules
//! pages (a bad expression refused with its position, versions, re-running a campaign, the
//! workbook, the conclusion mapping); the problem analysis and its export against the store's
//! figures and the command line's tables.

use std::collections::BTreeMap;

use reqwest::{Client, StatusCode};
use shanghui_core::report::{Action, ReportStatus};
use shanghui_core::review::{Conclusion, FindingStatus};
use shanghui_core::rules::sample_rules;
use shanghui_core::template::sample;
use shanghui_core::{DivisionIndex, Field, Lang, Scope};
use shanghui_store::{Actor, analysis, campaigns, orgs, registry, reports, review, rulesets};

use crate::reports::{complete, filled, report_url};
use crate::support::*;

const FORM: &str = "chamber_annual_report";

fn review_url(s: &Server, campaign: i64, org: i64) -> String {
    s.url(&format!("/campaigns/{campaign}/reports/{org}/review"))
}

fn action_url(s: &Server, campaign: i64, org: i64, action: &str) -> String {
    s.url(&format!(
        "/campaigns/{campaign}/reports/{org}/review/{action}"
    ))
}

/// Submits a unit's report through the form: a complete report with `changes`.
async fn submit_form(
    s: &Server,
    c: &Client,
    campaign: i64,
    org: i64,
    changes: &[(&'static str, &str)],
) -> Page {
    let url = report_url(s, campaign, org);
    let p = get(c, &url).await;
    let mut answers = complete(120);
    for (k, v) in changes {
        answers.retain(|(a, _)| a != k);
        answers.push((k, v.to_string()));
    }
    post_form(c, &url, &filled(&p, &answers, "submit")).await
}

/// Submits a unit's report in the store (as staff entering a paper report).
async fn submit_store(s: &Server, campaign: i64, org: i64, changes: &[(&str, &str)]) {
    let mut raw: BTreeMap<String, String> = complete(50)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in changes {
        raw.insert(k.to_string(), v.to_string());
    }
    let (answers, problems) = sample().read(&raw);
    assert!(problems.is_empty(), "{problems:?}");
    let (r, _) = reports::get(&s.db, &Scope::all(), campaign, org)
        .await
        .expect("report");
    reports::save(
        &s.db,
        &Scope::all(),
        campaign,
        org,
        &answers,
        r.version,
        Action::Submit,
        &Actor::system("test"),
    )
    .await
    .expect("submit");
}

async fn add_chamber(s: &Server, parent: i64, name: &str) -> i64 {
    let d = DivisionIndex::shipped();
    let dr = draft(
        &d,
        &[
            (Field::Kind, "商会"),
            (Field::Name, name),
            (Field::Category, "行业"),
            (Field::DivisionCode, "350102"),
        ],
    );
    registry::create(
        &s.db,
        &Scope::all(),
        Some(parent),
        &dr,
        &Actor::system("seed"),
    )
    .await
    .expect("chamber")
    .id
}

/// The current finding of a rule (or trigger) on a report.
async fn finding(s: &Server, campaign: i64, org: i64, code: &str) -> review::Finding {
    review::report_review(&s.db, &Scope::all(), campaign, org, false)
        .await
        .expect("review")
        .findings
        .into_iter()
        .find(|f| f.rule_code.as_deref() == Some(code) || f.trigger.as_deref() == Some(code))
        .unwrap_or_else(|| panic!("no current finding {code}"))
}

fn sample_rule(code: &str) -> shanghui_core::rules::Rule {
    sample_rules()
        .into_iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no sample rule {code}"))
}

fn sel_finding(item: &str, code: &str) -> String {
    format!("#row-{item} .finding[data-code='{code}']")
}

/// The raw text of an element (white space as it is).
fn raw_text(p: &Page, css: &str) -> String {
    p.doc
        .select(&sel(css))
        .next()
        .unwrap_or_else(|| panic!("no {css:?}:\n{}", p.body))
        .text()
        .collect()
}

// -------------------------------------------------------------------------------------------------
// Findings on submission; error rules block it.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_appear_on_submission_and_errors_block_it() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        let sec = signed_in(&s, "gl_secretary").await;

        // An error-level rule (unit + individual members = total) stops the submission, its
        // instruction next to the item; nothing is submitted.
        let r = submit_form(&s, &sec, c.fuzhou, w.t.chamber, &[("members_unit", "50")]).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        let sum = sample_rule("members_sum");
        assert_eq!(
            r.field_error("members_total"),
            format!("{}：{}", sum.name_zh, sum.instruction_zh),
            "{n}"
        );
        let (st, _) = reports::get(&s.db, &Scope::all(), c.fuzhou, w.t.chamber)
            .await
            .unwrap();
        assert_ne!(st.status, Some(ReportStatus::Submitted), "{n}");

        // No general assembly: a finding, not a refusal.
        let r = submit_form(
            &s,
            &sec,
            c.fuzhou,
            w.t.chamber,
            &[("general_assembly", "0")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);

        // Staff find it at its item on the review page, linked from the report page.
        let staff = signed_in(&s, "fz_staff").await;
        let rp = get(&staff, &report_url(&s, c.fuzhou, w.t.chamber)).await;
        assert_eq!(
            rp.attr("#review-link", "href"),
            format!("/campaigns/{}/reports/{}/review", c.fuzhou, w.t.chamber),
            "{n}"
        );
        let p = get(&staff, &review_url(&s, c.fuzhou, w.t.chamber)).await;
        assert_eq!(p.status, StatusCode::OK, "{n}: {}", p.body);
        assert_eq!(p.text("#report-status"), "已报送", "{n}");
        let ga = sel_finding("general_assembly", "general_assembly");
        let rule = sample_rule("general_assembly");
        assert_eq!(p.text(&format!("{ga} .finding-name")), rule.name_zh, "{n}");
        assert_eq!(p.text(&format!("{ga} .tag.sev")), "问题", "{n}");
        assert_eq!(p.text(&format!("{ga} .tag.st")), "待处理", "{n}");
        assert_eq!(
            p.text(&format!("{ga} .finding-version")),
            "规则第 1 版",
            "{n}"
        );
        assert_eq!(
            p.texts(&format!("{ga} ul.values li")),
            vec!["年度召开会员（代表）大会次数：0"],
            "{n}: the value the rule read"
        );
        assert_eq!(
            p.text(&format!("{ga} .instruction")),
            rule.instruction_zh,
            "{n}"
        );
        assert_eq!(p.text("#row-general_assembly td.value"), "0", "{n}");
        assert_eq!(p.text("#row-members_total td.value"), "120", "{n}");
        assert_eq!(
            p.text("#suggestion"),
            format!("建议：基本合格（依据：{}）", rule.name_zh),
            "{n}"
        );
        assert!(p.has("#conclude-form") && p.has("#run-form"), "{n}");
        // Every current finding is on the page, once.
        let current = review::report_review(&s.db, &Scope::all(), c.fuzhou, w.t.chamber, false)
            .await
            .unwrap()
            .findings;
        assert_eq!(p.texts("div.finding").len(), current.len(), "{n}");

        // In English: the rule's name and the severity in the reader's language.
        get(&staff, &s.url("/lang/en")).await;
        let en = get(&staff, &review_url(&s, c.fuzhou, w.t.chamber)).await;
        assert_eq!(en.text(&format!("{ga} .finding-name")), rule.name_en, "{n}");
        assert_eq!(en.text(&format!("{ga} .tag.sev")), "Finding", "{n}");
        assert_eq!(
            en.text("#suggestion"),
            format!(
                "Suggested: Basically qualified (because of: {})",
                rule.name_en
            ),
            "{n}"
        );

        // Nobody else: the chamber and the leader have no review (403), Xiamen's staff no such
        // report (404).
        for (who, want) in [
            ("gl_secretary", StatusCode::FORBIDDEN),
            ("fz_leader", StatusCode::FORBIDDEN),
            ("xm_staff", StatusCode::NOT_FOUND),
        ] {
            let cl = signed_in(&s, who).await;
            let r = get(&cl, &review_url(&s, c.fuzhou, w.t.chamber)).await;
            assert_eq!(r.status, want, "{n}: {who}");
        }
    }
}

// -------------------------------------------------------------------------------------------------
// Decisions, findings by hand, comments, the conclusion and its audit.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_manual_findings_and_the_audited_conclusion() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        let sec = signed_in(&s, "gl_secretary").await;
        let r = submit_form(
            &s,
            &sec,
            c.fuzhou,
            w.t.chamber,
            &[("general_assembly", "0")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let staff = signed_in(&s, "fz_staff").await;
        let url = review_url(&s, c.fuzhou, w.t.chamber);
        let decide = action_url(&s, c.fuzhou, w.t.chamber, "decide");
        let id = finding(&s, c.fuzhou, w.t.chamber, "general_assembly")
            .await
            .id;
        let ga_name = sample_rule("general_assembly").name_zh;

        // Dismissing needs a reason: the message next to the finding, nothing changed.
        let p = get(&staff, &url).await;
        let dismiss = p.form(&format!("#dismiss-{id}"));
        let r = post_form(&staff, &decide, &with(&dismiss, &[("reason", "  ")])).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        assert_eq!(r.text(&format!("#err-dismiss-{id}")), "请填写说明", "{n}");
        assert_eq!(
            finding(&s, c.fuzhou, w.t.chamber, "general_assembly")
                .await
                .status,
            FindingStatus::Open,
            "{n}"
        );

        // Confirmed.
        let r = post_form(&staff, &decide, &p.form(&format!("#confirm-{id}"))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert!(
            r.location()
                .ends_with(&format!("?done=confirmed#finding-{id}")),
            "{n}: {}",
            r.location()
        );
        let p = get(&staff, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已确认该问题", "{n}");
        let ga = sel_finding("general_assembly", "general_assembly");
        assert_eq!(p.text(&format!("{ga} .tag.st")), "已确认", "{n}");
        assert!(!p.has(&format!("#confirm-{id}")), "{n}");
        assert_eq!(
            finding(&s, c.fuzhou, w.t.chamber, "general_assembly")
                .await
                .status,
            FindingStatus::Confirmed,
            "{n}"
        );
        assert_eq!(
            p.text("#suggestion"),
            format!("建议：基本合格（依据：{ga_name}）"),
            "{n}"
        );
        assert_eq!(
            value_in(&p.form("#conclude-form"), "conclusion"),
            "basically_qualified",
            "{n}: the suggestion is pre-selected"
        );

        // A problem by hand: a description is required (what was chosen is kept).
        let add = action_url(&s, c.fuzhou, w.t.chamber, "add");
        let form = with(
            &p.form("#add-form"),
            &[
                ("trigger", "profit_making"),
                ("item", "income_total"),
                ("description", ""),
            ],
        );
        let r = post_form(&staff, &add, &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#err-description"), "请填写说明", "{n}");
        assert_eq!(
            value_in(&r.form("#add-form"), "trigger"),
            "profit_making",
            "{n}"
        );
        let r = post_form(
            &staff,
            &add,
            &with(&form, &[("description", "以商会名义开展经营活动")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &url).await;
        let pm = sel_finding("income_total", "profit_making");
        assert_eq!(
            p.text(&format!("{pm} .finding-name")),
            "从事营利性经营活动",
            "{n}"
        );
        assert_eq!(p.text(&format!("{pm} .tag.st")), "已确认", "{n}");
        assert_eq!(
            p.text(&format!("{pm} .finding-note")),
            "问题说明：以商会名义开展经营活动",
            "{n}"
        );
        // A 不合格 trigger: the suggestion follows.
        assert_eq!(
            p.text("#suggestion"),
            "建议：不合格（依据：从事营利性经营活动）",
            "{n}"
        );
        assert_eq!(
            value_in(&p.form("#conclude-form"), "conclusion"),
            "unqualified",
            "{n}"
        );

        // Comments: on an item (shown there); an empty one is refused.
        let comment = action_url(&s, c.fuzhou, w.t.chamber, "comment");
        let r = post_form(
            &staff,
            &comment,
            &with(&p.form("#comment-form"), &[("item", "general_assembly")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#err-text"), "请填写说明", "{n}");
        let r = post_form(
            &staff,
            &comment,
            &with(
                &p.form("#comment-form"),
                &[("item", "general_assembly"), ("text", "请补充会议纪要")],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &url).await;
        assert!(
            p.text("#row-general_assembly p.note")
                .ends_with("请补充会议纪要"),
            "{n}"
        );

        // The conclusion is the reviewer's: 基本合格 against the suggested 不合格.
        let conclude = action_url(&s, c.fuzhou, w.t.chamber, "conclude");
        let r = post_form(
            &staff,
            &conclude,
            &with(
                &p.form("#conclude-form"),
                &[
                    ("conclusion", "basically_qualified"),
                    ("comment", "限期整改"),
                ],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已保存审查结论", "{n}");
        let rec = p.text("#recorded");
        assert!(
            rec.starts_with("结论： 基本合格 · 福州工作人员 (fz_staff) · ")
                && rec.ends_with("意见： 限期整改"),
            "{n}: {rec}"
        );
        assert_eq!(
            value_in(&p.form("#conclude-form"), "conclusion"),
            "basically_qualified",
            "{n}: the recorded conclusion is offered again"
        );
        let rv = review::report_review(&s.db, &Scope::all(), c.fuzhou, w.t.chamber, false)
            .await
            .unwrap();
        assert_eq!(rv.conclusion, Some(Conclusion::BasicallyQualified), "{n}");

        // Dismissing the problem by hand brings the suggestion back to 基本合格.
        let pm_id = finding(&s, c.fuzhou, w.t.chamber, "profit_making").await.id;
        let r = post_form(
            &staff,
            &decide,
            &with(
                &p.form(&format!("#dismiss-{pm_id}")),
                &[("reason", "经核实为代收代付款项")],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &url).await;
        assert_eq!(
            p.text(&format!("{pm} .finding-note")),
            "排除理由：经核实为代收代付款项",
            "{n}"
        );
        assert_eq!(
            p.text("#suggestion"),
            format!("建议：基本合格（依据：{ga_name}）"),
            "{n}"
        );

        // Concluded again: both conclusions are in the audit log with the old and new value.
        let r = post_form(
            &staff,
            &conclude,
            &with(&p.form("#conclude-form"), &[("conclusion", "qualified")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let fed_admin = signed_in(&s, "fz_admin").await;
        let a = get(&fed_admin, &s.url("/audit?action=review.conclude")).await;
        let rows = a.rows("#audit");
        assert_eq!(rows.len(), 2, "{n}: {rows:?}");
        assert_eq!(rows[0][3], "审查结论", "{n}");
        assert_eq!(rows[0][1], "福州工作人员 (fz_staff)", "{n}");
        assert_eq!(rows[0][4], "鼓楼区餐饮商会", "{n}");
        for (row, old, new) in [
            (&rows[1], "null", "\"basically_qualified\""),
            (&rows[0], "\"basically_qualified\"", "\"qualified\""),
        ] {
            let d = &row[5];
            assert!(
                d.contains(&format!("\"old\":{old}")) && d.contains(&format!("\"new\":{new}")),
                "{n}: {d}"
            );
        }
        assert!(rows[1][5].contains("\"suggested\":\"unqualified\""), "{n}");
        // Decisions and findings by hand are audited too.
        for action in ["review.finding", "review.finding_add", "review.comment"] {
            assert!(
                !audit_log(&s.db, Some(action)).await.is_empty(),
                "{n}: {action}"
            );
        }
    }
}

// -------------------------------------------------------------------------------------------------
// The third-party reviewer.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_party_reviewer_sees_only_what_is_assigned() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let tea = add_chamber(&s, w.t.gulou, "鼓楼区茶业商会").await;
        let c = seed_campaigns(&s.db, &w).await;
        let sec = signed_in(&s, "gl_secretary").await;
        let r = submit_form(
            &s,
            &sec,
            c.fuzhou,
            w.t.chamber,
            &[("general_assembly", "0")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        submit_store(&s, c.fuzhou, tea, &[]).await;

        // The federation's administrator assigns the chamber's report (the node is the chamber).
        let admin = signed_in(&s, "fz_admin").await;
        let analysis_url = s.url(&format!(
            "/campaigns/{}/review?node={}",
            c.fuzhou, w.t.chamber
        ));
        let a = get(&admin, &analysis_url).await;
        assert_eq!(a.status, StatusCode::OK, "{n}: {}", a.body);
        assert_eq!(
            a.texts("#f-reviewer option")[1..],
            ["审查机构 (fz_reviewer)".to_string()],
            "{n}: only the reviewer accounts of the scope"
        );
        let assign = s.url(&format!("/campaigns/{}/review/assign", c.fuzhou));
        // Only to a reviewer account.
        let form = with(
            &a.form("#assign-form"),
            &[
                ("reviewer", &w.fed_staff.id.to_string()),
                ("action", "assign"),
            ],
        );
        let r = post_form(&admin, &assign, &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.text("#assign-errors"),
            "只能指派给第三方审查机构账号",
            "{n}"
        );
        assert!(
            !review::is_assigned(&s.db, w.fed_staff.id, c.fuzhou, w.t.chamber)
                .await
                .unwrap(),
            "{n}"
        );
        // Nobody chosen.
        let r = post_form(&admin, &assign, &with(&form, &[("reviewer", "")])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#assign-errors"), "请选择审查机构账号", "{n}");
        let r = post_form(
            &admin,
            &assign,
            &with(&form, &[("reviewer", &w.reviewer.id.to_string())]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let a = get(&admin, &s.url(&r.location())).await;
        assert_eq!(a.text("p.flash"), "已指派 1 份年报", "{n}");
        assert!(
            review::is_assigned(&s.db, w.reviewer.id, c.fuzhou, w.t.chamber)
                .await
                .unwrap(),
            "{n}"
        );
        assert!(
            !review::is_assigned(&s.db, w.reviewer.id, c.fuzhou, tea)
                .await
                .unwrap(),
            "{n}"
        );

        // The reviewer: its queue on its home page and under 审查; the assigned report's review.
        let rv = signed_in(&s, "fz_reviewer").await;
        let open = review::report_review(&s.db, &Scope::all(), c.fuzhou, w.t.chamber, false)
            .await
            .unwrap()
            .findings
            .iter()
            .filter(|f| f.status != FindingStatus::Dismissed)
            .count();
        for path in ["/", "/reviews"] {
            let q = get(&rv, &s.url(path)).await;
            assert_eq!(q.status, StatusCode::OK, "{n}: {path}");
            assert_eq!(
                q.rows("#queue"),
                vec![vec![
                    REPORT_YEAR.to_string(),
                    "鼓楼区餐饮商会".into(),
                    open.to_string(),
                    "尚未作出结论".into()
                ]],
                "{n}: {path}"
            );
            assert_eq!(
                q.attr("#queue a", "href"),
                format!("/campaigns/{}/reports/{}/review", c.fuzhou, w.t.chamber),
                "{n}"
            );
            assert!(q.has("#nav-review") && !q.has("#nav-reports"), "{n}");
        }
        let url = review_url(&s, c.fuzhou, w.t.chamber);
        let p = get(&rv, &url).await;
        assert_eq!(p.status, StatusCode::OK, "{n}: {}", p.body);
        assert!(
            p.has(&sel_finding("general_assembly", "general_assembly")),
            "{n}"
        );
        assert_eq!(p.texts("#crumbs a"), vec!["审查"], "{n}: no campaign pages");
        // Nothing else: another report of the same campaign (403 as the issue asks), a report
        // outside, the analysis, the report page, the dashboard.
        for (path, want) in [
            (review_url(&s, c.fuzhou, tea), StatusCode::FORBIDDEN),
            (
                review_url(&s, c.xiamen, w.xm_chamber),
                StatusCode::FORBIDDEN,
            ),
            (
                s.url(&format!("/campaigns/{}/review", c.fuzhou)),
                StatusCode::FORBIDDEN,
            ),
            (
                s.url(&format!("/campaigns/{}/review.xlsx", c.fuzhou)),
                StatusCode::FORBIDDEN,
            ),
            (report_url(&s, c.fuzhou, w.t.chamber), StatusCode::FORBIDDEN),
            (
                s.url(&format!("/campaigns/{}", c.fuzhou)),
                StatusCode::FORBIDDEN,
            ),
            (s.url("/rules"), StatusCode::OK),
        ] {
            assert_eq!(get(&rv, &path).await.status, want, "{n}: {path}");
        }
        // A post on a report not assigned is refused the same way.
        let token = csrf_token(&rv, &s).await;
        let r = post_form(
            &rv,
            &action_url(&s, c.fuzhou, tea, "comment"),
            &pairs(&[("_csrf", &token), ("text", "越权")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");

        // The reviewer works on its report: dismisses with a reason, concludes.
        let id = finding(&s, c.fuzhou, w.t.chamber, "general_assembly")
            .await
            .id;
        let r = post_form(
            &rv,
            &action_url(&s, c.fuzhou, w.t.chamber, "decide"),
            &with(
                &p.form(&format!("#dismiss-{id}")),
                &[("reason", "章程规定两年召开一次")],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&rv, &url).await;
        assert_eq!(
            value_in(&p.form("#conclude-form"), "conclusion"),
            "qualified",
            "{n}"
        );
        let r = post_form(
            &rv,
            &action_url(&s, c.fuzhou, w.t.chamber, "conclude"),
            &p.form("#conclude-form"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let q = get(&rv, &s.url("/reviews")).await;
        assert_eq!(q.rows("#queue")[0][3], "合格", "{n}");
        assert!(
            get(&rv, &url)
                .await
                .text("#recorded")
                .contains("审查机构 (fz_reviewer)"),
            "{n}"
        );

        // The assignment taken away: the reviewer's access goes with it.
        let a = get(&admin, &analysis_url).await;
        let r = post_form(
            &admin,
            &assign,
            &with(&a.form("#assign-form"), &[("action", "unassign")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let a = get(&admin, &s.url(&r.location())).await;
        assert_eq!(a.text("p.flash"), "已取消 1 份年报的指派", "{n}");
        assert_eq!(get(&rv, &url).await.status, StatusCode::FORBIDDEN, "{n}");
        assert!(get(&rv, &s.url("/")).await.has("#queue-empty"), "{n}");
    }
}

// -------------------------------------------------------------------------------------------------
// Rules: a bad expression, a new version, re-running the campaign.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_edited_with_positions_and_rerun_over_the_campaign() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        submit_store(&s, c.fuzhou, w.t.chamber, &[("general_assembly", "0")]).await;
        let admin = signed_in(&s, "fz_admin").await;
        let ga = sample_rule("general_assembly");

        // The rules of the newest template's form, each with its version.
        let list = get(&admin, &s.url("/rules")).await;
        assert_eq!(list.status, StatusCode::OK, "{n}: {}", list.body);
        assert_eq!(value_in(&list.form("#form-choice"), "form"), FORM, "{n}");
        assert_eq!(
            list.rows("#rules").len(),
            sample_rules().len(),
            "{n}: every sample rule"
        );
        let row = &list
            .doc
            .select(&sel("#rule-general_assembly td"))
            .map(text_of)
            .collect::<Vec<_>>();
        assert_eq!(row[0], format!("general_assembly {}", ga.name_zh), "{n}");
        assert_eq!(row[1], "问题", "{n}");
        assert_eq!(row[2], "meetings", "{n}");
        assert_eq!(row[3], "general_assembly >= 1", "{n}");
        assert_eq!(row[4], ga.instruction_zh, "{n}");
        assert_eq!(row[5], "v1", "{n}");

        // A bad expression: the error with its position, a caret under it, the text kept,
        // nothing saved.
        let edit_url = s.url(&format!("/rules/edit?form={FORM}&code=general_assembly"));
        let e = get(&admin, &edit_url).await;
        assert_eq!(e.status, StatusCode::OK, "{n}: {}", e.body);
        let form = e.form("#rule-form");
        assert_eq!(value_in(&form, "expr"), "general_assembly >= 1", "{n}");
        let save = s.url("/rules/edit");
        let bad = "general_assembly >= 1 and council_meetins >= 1";
        let r = post_form(&admin, &save, &with(&form, &[("expr", bad)])).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        assert_eq!(
            r.field_error("expr"),
            "第 27 个字符处：未知题目 council_meetins（是否想写 council_meetings？）",
            "{n}"
        );
        assert_eq!(r.text("#expr-caret mark"), "c", "{n}");
        assert_eq!(
            raw_text(&r, "#expr-caret"),
            format!("{bad}\n{}^", " ".repeat(26)),
            "{n}"
        );
        assert_eq!(value_in(&r.form("#rule-form"), "expr"), bad, "{n}");
        let r = post_form(
            &admin,
            &save,
            &with(&form, &[("expr", "general_asembly > 0")]),
        )
        .await;
        assert_eq!(
            r.field_error("expr"),
            "第 1 个字符处：未知题目 general_asembly（是否想写 general_assembly？）",
            "{n}"
        );
        assert_eq!(
            rulesets::history(&s.db, FORM, "general_assembly")
                .await
                .unwrap()
                .len(),
            1,
            "{n}: nothing saved"
        );

        // Fixed: version 2.
        let r = post_form(
            &admin,
            &save,
            &with(&form, &[("expr", "general_assembly > 0")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(
            list.text("p.flash"),
            "已保存规则 general_assembly（第 2 版）",
            "{n}"
        );
        assert_eq!(list.text("#rule-general_assembly .version"), "v2", "{n}");
        let versions = rulesets::history(&s.db, FORM, "general_assembly")
            .await
            .unwrap();
        assert_eq!(versions.len(), 2, "{n}");
        assert_eq!(versions[1].rule.expr, "general_assembly > 0", "{n}");
        // Saved again unchanged: nothing new.
        let e = get(&admin, &edit_url).await;
        assert_eq!(e.rows("#versions").len(), 2, "{n}: the versions");
        let r = post_form(&admin, &save, &e.form("#rule-form")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            get(&admin, &s.url(&r.location())).await.text("p.flash"),
            "规则 general_assembly 没有变化",
            "{n}"
        );

        // Re-running the campaign: the old version's finding is closed, the new version's opened.
        let staff = signed_in(&s, "fz_staff").await;
        let a = get(&staff, &s.url(&format!("/campaigns/{}/review", c.fuzhou))).await;
        let r = post_form(
            &staff,
            &s.url(&format!("/campaigns/{}/review/run", c.fuzhou)),
            &a.form("#run-form"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let a = get(&staff, &s.url(&r.location())).await;
        let flash = a.text("p.flash");
        assert!(
            flash.starts_with("审查完成：检查 1 份年报，新发现 1 个问题，保留 ")
                && flash.ends_with("个，关闭 1 个"),
            "{n}: {flash}"
        );
        let p = get(&staff, &review_url(&s, c.fuzhou, w.t.chamber)).await;
        let sel_ga = sel_finding("general_assembly", "general_assembly");
        assert_eq!(
            p.text(&format!("{sel_ga} .finding-version")),
            "规则第 2 版",
            "{n}"
        );
        let history = p.rows("#history-table");
        assert_eq!(history.len(), 1, "{n}: {history:?}");
        assert_eq!(
            history[0][..3],
            [
                format!("{} general_assembly", ga.name_zh),
                "规则第 1 版".to_string(),
                "年度召开会员（代表）大会次数".to_string()
            ],
            "{n}"
        );
        assert!(history[0][5].contains("福州工作人员 (fz_staff)"), "{n}");
        // The report's own re-run keeps everything.
        let r = post_form(
            &staff,
            &action_url(&s, c.fuzhou, w.t.chamber, "run"),
            &p.form("#run-form"),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let p = get(&staff, &s.url(&r.location())).await;
        assert!(
            p.text("p.flash").starts_with("已重新审查：新发现 0 个问题"),
            "{n}"
        );

        // A new rule: its code must be new; then it is version 1; retired, it leaves the set.
        let e = get(&admin, &s.url(&format!("/rules/edit?form={FORM}"))).await;
        let fresh = with(
            &e.form("#rule-form"),
            &[
                ("code", "general_assembly"),
                ("name::zh", "专职人员不少于两人"),
                ("severity", "warning"),
                ("expr", "staff_fulltime >= 2"),
                ("instruction::zh", "请核对专职工作人员人数。"),
            ],
        );
        let r = post_form(&admin, &save, &fresh).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.field_error("code"),
            "规则代码 general_assembly 已经存在，请换一个代码，或修改原有规则",
            "{n}"
        );
        let r = post_form(&admin, &save, &with(&fresh, &[("code", "staff_two")])).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(
            list.text("p.flash"),
            "已保存规则 staff_two（第 1 版）",
            "{n}"
        );
        let retire = list.form("#rule-staff_two form.retire-form");
        let r = post_form(&admin, &s.url("/rules/retire"), &retire).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(list.text("p.flash"), "已停用规则 staff_two", "{n}");
        assert!(!list.has("#rule-staff_two"), "{n}");
        assert!(
            !rulesets::current(&s.db, FORM)
                .await
                .unwrap()
                .iter()
                .any(|r| r.rule.code == "staff_two"),
            "{n}"
        );

        // Staff read the rules but do not change them.
        let l = get(&staff, &s.url("/rules")).await;
        assert_eq!(l.status, StatusCode::OK, "{n}");
        assert!(!l.has("#new-rule") && !l.has("form.retire-form"), "{n}");
        assert_eq!(
            post_form(&staff, &save, &fresh).await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
    }
}

async fn upload(c: &Client, s: &Server, url: &str, name: &str, bytes: Vec<u8>) -> Page {
    let token = csrf_token(c, s).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .text("form", FORM)
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    Page::from(c.post(url).multipart(form).send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_workbook_and_the_conclusion_mapping() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        submit_store(&s, c.fuzhou, w.t.chamber, &[("general_assembly", "0")]).await;
        let admin = signed_in(&s, "fz_admin").await;

        // The workbook reads back to the current rules; uploaded again, nothing changes.
        let resp = admin
            .get(s.url(&format!("/rules.xlsx?form={FORM}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        let back = shanghui_files::read_rules_workbook(&bytes, "r.xlsx", &sample()).expect("reads");
        let current: Vec<_> = rulesets::current(&s.db, FORM)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.rule)
            .collect();
        assert_eq!(back, current, "{n}");
        let r = upload(&admin, &s, &s.url("/rules/import"), "rules.xlsx", bytes).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            get(&admin, &s.url(&r.location())).await.text("p.flash"),
            format!(
                "规则已保存：新增 0 条，修改 0 条，未变化 {} 条",
                current.len()
            ),
            "{n}"
        );

        // Two broken rules: both listed with their places, nothing saved.
        let mut broken = current.clone();
        for r in broken.iter_mut() {
            match r.code.as_str() {
                "general_assembly" => r.expr = "general_assembly >=".into(),
                "members_sum" => r.expr = "members_totl = members_unit".into(),
                _ => {}
            }
        }
        let bytes = shanghui_files::write_rules_xlsx(&broken, &sample(), Lang::ZhCn).unwrap();
        let r = upload(&admin, &s, &s.url("/rules/import"), "rules.xlsx", bytes).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        assert!(
            r.text("#outcome").starts_with("未保存：发现 2 个问题"),
            "{n}: {}",
            r.text("#outcome")
        );
        let problems = r.rows("#problems");
        assert_eq!(problems.len(), 2, "{n}: {problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p[0] == "rules" && p.join(" ").contains("members_totl")),
            "{n}: {problems:?}"
        );
        for code in ["general_assembly", "members_sum"] {
            assert_eq!(
                rulesets::history(&s.db, FORM, code).await.unwrap().len(),
                1,
                "{n}: {code}"
            );
        }
        // No file.
        let r = Page::from(
            admin
                .post(s.url("/rules/import"))
                .multipart(
                    reqwest::multipart::Form::new().text("_csrf", csrf_token(&admin, &s).await),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");

        // The conclusion mapping: the general assembly made to lead to 不合格, then back.
        let staff = signed_in(&s, "fz_staff").await;
        let url = review_url(&s, c.fuzhou, w.t.chamber);
        let ga = sample_rule("general_assembly").name_zh;
        assert_eq!(
            get(&staff, &url).await.text("#suggestion"),
            format!("建议：基本合格（依据：{ga}）"),
            "{n}"
        );
        let list = get(&admin, &s.url("/rules")).await;
        let map = list.form("#map-form");
        assert_eq!(value_in(&map, "finding"), "basically_qualified", "{n}");
        assert_eq!(value_in(&map, "warning"), "qualified", "{n}");
        assert_eq!(value_in(&map, "r.general_assembly"), "", "{n}");
        let r = post_form(
            &admin,
            &s.url("/rules/conclusions"),
            &with(&map, &[("r.general_assembly", "unqualified")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(list.text("p.flash"), "已保存结论对应关系", "{n}");
        assert_eq!(
            value_in(&list.form("#map-form"), "r.general_assembly"),
            "unqualified",
            "{n}"
        );
        assert_eq!(
            review::conclusion_map(&s.db)
                .await
                .unwrap()
                .rules
                .get("general_assembly"),
            Some(&Conclusion::Unqualified),
            "{n}"
        );
        assert_eq!(
            get(&staff, &url).await.text("#suggestion"),
            format!("建议：不合格（依据：{ga}）"),
            "{n}"
        );
        // Warnings made to count: every warning now leads to 基本合格 too.
        let r = post_form(
            &admin,
            &s.url("/rules/conclusions"),
            &with(
                &list.form("#map-form"),
                &[
                    ("r.general_assembly", ""),
                    ("warning", "basically_qualified"),
                ],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let m = review::conclusion_map(&s.db).await.unwrap();
        assert!(m.rules.is_empty(), "{n}: {m:?}");
        assert_eq!(m.warning, Conclusion::BasicallyQualified, "{n}");
        assert!(
            get(&staff, &url)
                .await
                .text("#suggestion")
                .starts_with("建议：基本合格（依据："),
            "{n}"
        );
        assert!(
            !audit_log(&s.db, Some("review.conclusion_map"))
                .await
                .is_empty(),
            "{n}"
        );
        // Staff read the mapping but cannot change it.
        let l = get(&staff, &s.url("/rules")).await;
        assert!(!l.has("#map-form") && l.has("#map-severities"), "{n}");
        assert_eq!(
            post_form(&staff, &s.url("/rules/conclusions"), &map)
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
    }
}

// -------------------------------------------------------------------------------------------------
// The problem analysis against the store, and its workbook against the command line's tables.

fn xlsx_sheets(bytes: &[u8]) -> BTreeMap<String, Vec<Vec<String>>> {
    use calamine::Reader as _;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = wb.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_figures_and_export_match_the_store_and_the_cli() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        // 鼓楼区: 3 chambers (+1 that does not submit); 福州: one chamber directly below.
        let gl2 = add_chamber(&s, t.gulou, "鼓楼区茶业商会").await;
        let gl3 = add_chamber(&s, t.gulou, "鼓楼区电子商会").await;
        let gl4 = add_chamber(&s, t.gulou, "鼓楼区服装商会").await;
        let fz1 = add_chamber(&s, t.fuzhou, "福州市温州商会").await;
        // Last year: the chamber held no general assembly either.
        let last = open_campaign(&s.db, t.fuzhou, REPORT_YEAR - 1).await;
        submit_store(&s, last, t.chamber, &[("general_assembly", "0")]).await;
        let c = seed_campaigns(&s.db, &w).await;
        submit_store(&s, c.fuzhou, t.chamber, &[("general_assembly", "0")]).await;
        submit_store(&s, c.fuzhou, gl2, &[]).await;
        submit_store(
            &s,
            c.fuzhou,
            gl3,
            &[("general_assembly", "0"), ("council_meetings", "0")],
        )
        .await;
        submit_store(&s, c.fuzhou, fz1, &[("finance_rules", "否")]).await;
        let _ = gl4;
        let a = Actor::system("test");
        let all = Scope::all();
        review::add_finding(
            &s.db,
            &all,
            c.fuzhou,
            gl2,
            "profit_making",
            None,
            "经营性收入",
            &a,
        )
        .await
        .unwrap();
        review::conclude(
            &s.db,
            &all,
            c.fuzhou,
            t.chamber,
            Conclusion::Qualified,
            None,
            &a,
        )
        .await
        .unwrap();

        let staff = signed_in(&s, "fz_staff").await;
        let dash = get(&staff, &s.url(&format!("/campaigns/{}", c.fuzhou))).await;
        let page_url = s.url(&dash.attr("#analysis-link", "href"));
        let p = get(&staff, &page_url).await;
        assert_eq!(p.status, StatusCode::OK, "{n}: {}", p.body);
        assert_eq!(p.text("#node-name"), "福州市工商联", "{n}");

        // The store's figures for the node.
        let camp = campaigns::get(&s.db, &all, c.fuzhou).await.unwrap();
        let node = orgs::require(&s.db, &all, t.fuzhou).await.unwrap();
        let submitted = campaigns::totals(&s.db, &all, &camp, &node)
            .await
            .unwrap()
            .submitted;
        let by_rule = analysis::by_rule(&s.db, &all, &camp, &node).await.unwrap();
        let by_item = analysis::by_item(&s.db, &all, &camp, &node).await.unwrap();
        let by_child = analysis::by_child(&s.db, &all, &camp, &node).await.unwrap();
        let by_cat = analysis::by_category(&s.db, &all, &camp, &node)
            .await
            .unwrap();
        let units = analysis::units(&s.db, &all, &camp, &node, 200)
            .await
            .unwrap();
        let concl = analysis::conclusions(&s.db, &all, &camp, &node)
            .await
            .unwrap();
        assert_eq!(submitted, 4, "{n}");
        let with_problems: i64 = by_cat.iter().map(|p| p.with_problems).sum();
        let findings: i64 = by_cat.iter().map(|p| p.findings).sum();
        assert_eq!(with_problems as usize, units.len(), "{n}");
        let pct = |a: i64, b: i64| shanghui_core::report::percent(Some(a as f64 / b as f64));

        assert_eq!(
            p.text("#card-submitted .value"),
            submitted.to_string(),
            "{n}"
        );
        assert_eq!(
            p.text("#card-with-problems .value"),
            with_problems.to_string(),
            "{n}"
        );
        assert_eq!(
            p.text("#card-share .value"),
            pct(with_problems, submitted),
            "{n}"
        );
        assert_eq!(p.text("#card-findings .value"), findings.to_string(), "{n}");

        // By rule: code, reports, share, last year, change.
        let rows = p.rows("#by-rule");
        assert_eq!(rows.len(), by_rule.len(), "{n}");
        for (row, r) in rows.iter().zip(&by_rule) {
            let code = r.rule_code.clone().or(r.trigger.clone()).unwrap();
            assert_eq!(row[0], code, "{n}");
            assert_eq!(row[3], r.reports.to_string(), "{n}: {code}");
            assert_eq!(row[4], pct(r.reports, submitted), "{n}: {code}");
            assert_eq!(
                row[5],
                r.last_year.map(|x| x.to_string()).unwrap_or_default(),
                "{n}: {code}"
            );
        }
        let ga = rows.iter().find(|r| r[0] == "general_assembly").unwrap();
        assert_eq!(
            ga[3..],
            ["2".to_string(), "50.0%".into(), "1".into(), "↑1".into()],
            "{n}: 2 of 4 this year, 1 last year"
        );
        assert!(
            rows.iter()
                .any(|r| r[0] == "profit_making" && r[1].starts_with("从事营利性经营活动")),
            "{n}: a kind of problem recorded by hand"
        );
        // By item.
        let items = p.rows("#by-item");
        assert_eq!(
            items
                .iter()
                .map(|r| (r[0].clone(), r[2].clone()))
                .collect::<Vec<_>>(),
            by_item
                .iter()
                .map(|(c, k)| (c.clone(), k.to_string()))
                .collect::<Vec<_>>(),
            "{n}"
        );
        // By child, with the drill-down: 鼓楼区工商联 to its own analysis, the chamber to its review.
        let children = p.rows("#by-child");
        assert_eq!(
            children
                .iter()
                .map(|r| (r[0].clone(), r[2].clone(), r[3].clone(), r[5].clone()))
                .collect::<Vec<_>>(),
            by_child
                .iter()
                .map(|c| (
                    c.name.clone(),
                    c.submitted.to_string(),
                    c.with_problems.to_string(),
                    c.findings.to_string()
                ))
                .collect::<Vec<_>>(),
            "{n}"
        );
        assert_eq!(children[0][0], "鼓楼区工商联", "{n}");
        assert_eq!(children[0][2], "3", "{n}");
        assert!(p.has("#problem-chart g.bar"), "{n}");
        let hrefs: Vec<String> = p
            .doc
            .select(&sel("#by-child a"))
            .map(|a| a.value().attr("href").unwrap().to_string())
            .collect();
        assert!(
            hrefs.contains(&format!("/campaigns/{}/review?node={}", c.fuzhou, t.gulou))
                && hrefs.contains(&format!("/campaigns/{}/reports/{fz1}/review", c.fuzhou)),
            "{n}: {hrefs:?}"
        );
        let gl = get(
            &staff,
            &s.url(&format!("/campaigns/{}/review?node={}", c.fuzhou, t.gulou)),
        )
        .await;
        assert_eq!(gl.text("#node-name"), "鼓楼区工商联", "{n}");
        assert_eq!(gl.text("#card-submitted .value"), "3", "{n}");
        // By category, the units, the conclusions.
        assert_eq!(
            p.rows("#by-category")
                .iter()
                .map(|r| (r[1].clone(), r[2].clone(), r[4].clone()))
                .collect::<Vec<_>>(),
            by_cat
                .iter()
                .map(|c| (
                    c.submitted.to_string(),
                    c.with_problems.to_string(),
                    c.findings.to_string()
                ))
                .collect::<Vec<_>>(),
            "{n}"
        );
        assert_eq!(
            p.rows("#units")
                .iter()
                .map(|r| (r[0].clone(), r[2].clone()))
                .collect::<Vec<_>>(),
            units
                .iter()
                .map(|u| (u.id.to_string(), u.findings.to_string()))
                .collect::<Vec<_>>(),
            "{n}"
        );
        let legend: BTreeMap<String, String> = p
            .doc
            .select(&sel("#conclusion-legend li"))
            .map(|li| {
                (
                    li.value().attr("data-code").unwrap().to_string(),
                    text_of(li.select(&sel(".count")).next().unwrap()),
                )
            })
            .collect();
        for (k, v) in &concl {
            let code = k.map(|c| c.code()).unwrap_or("none");
            assert_eq!(legend[code], v.to_string(), "{n}: {code}");
        }
        assert_eq!(legend["qualified"], "1", "{n}");
        assert_eq!(legend["none"], "3", "{n}");
        // The unit that did not submit is in none of it.
        assert!(!p.body.contains("鼓楼区服装商会"), "{n}");

        // The export: the command line's tables, sheet by sheet, cell by cell.
        let resp = staff
            .get(s.url(&p.attr("#export-link", "href")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "{n}"
        );
        let sheets = xlsx_sheets(&resp.bytes().await.unwrap());
        let cli = shanghui_web::review_tables(&s.db, &all, c.fuzhou, Some(t.fuzhou), Lang::ZhCn)
            .await
            .unwrap();
        assert_eq!(sheets.len(), cli.len(), "{n}: {:?}", sheets.keys());
        for table in &cli {
            let got = &sheets[&table.sheet];
            let mut want = vec![table.header.clone()];
            want.extend(table.rows.iter().cloned());
            assert_eq!(got, &want, "{n}: sheet {}", table.sheet);
        }
        // And the page's numbers are the workbook's.
        let rule_sheet = &sheets["按规则"];
        for (row, x) in rows.iter().zip(&rule_sheet[1..]) {
            assert_eq!(row[0], x[0], "{n}");
            assert_eq!(row[3..7], x[3..7], "{n}: {}", row[0]);
        }
        assert_eq!(sheets["问题单位"].len() - 1, units.len(), "{n}");
    }
}
