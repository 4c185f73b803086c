//! Review on every backend: findings on submission, error rules blocking it, runs that keep,
//! add and close findings, rule versions, reviewers' decisions, the suggested conclusion,
//! assignments, the analysis — and on generated data, that review finds exactly the faults the
//! generator planted.

use std::collections::{BTreeSet, HashMap};

use shanghui_core::report::Action;
use shanghui_core::review::{Conclusion, FindingStatus};
use shanghui_core::rules::Severity;
use shanghui_core::template::Value;
use shanghui_core::{Scope, account::Role};
use shanghui_store::campaigns::{self, NewCampaign};
use shanghui_store::reports::{self, ImportRow, UnitRef};
use shanghui_store::{
    Actor, StoreError, accounts, analysis, orgs, registry, review, rulesets, templates, testing,
};

use super::reports::{answers, chambers};
use super::{day, tree};

#[tokio::test]
async fn review_workflow_on_every_backend() {
    let d = shanghui_core::DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let a = Actor::system("test");
        let all = Scope::all();
        let tr = tree(db, &d).await;
        let ids = chambers(
            db,
            &d,
            "审查商会",
            &[
                (tr.gulou, "350102"),
                (tr.gulou, "350102"),
                (tr.xiamen, "350200"),
            ],
        )
        .await;
        let tid = templates::ensure_sample(db, &a).await.unwrap();
        let form = templates::get(db, tid).await.unwrap().form_id;
        assert!(rulesets::current(db, &form).await.unwrap().len() >= 40);
        let opened = campaigns::open(
            db,
            &all,
            &NewCampaign {
                organization_id: tr.fujian,
                year: 2025,
                template_id: tid,
                opens_on: day(2026, 3, 1),
                deadline: day(2099, 12, 31),
            },
            &a,
        )
        .await
        .unwrap();
        let cid = opened.campaign.id;

        // An error-level rule (unit + individual members = total) stops the submission, named
        // at its item.
        let mut broken = answers(120);
        broken.insert("members_unit".into(), Value::Integer(50));
        match reports::save(db, &all, cid, ids[0], &broken, 0, Action::Submit, &a).await {
            Err(StoreError::Items(items)) => {
                assert_eq!(items.len(), 1, "{items:?}");
                assert_eq!(items[0].0, "members_total");
            }
            other => panic!("{other:?}"),
        }
        // A finding-level problem (no general assembly) does not: it becomes a finding.
        let mut no_assembly = answers(120);
        no_assembly.insert("general_assembly".into(), Value::Integer(0));
        reports::save(db, &all, cid, ids[0], &no_assembly, 0, Action::Submit, &a)
            .await
            .unwrap();
        let rv = review::report_review(db, &all, cid, ids[0], false)
            .await
            .unwrap();
        let codes: Vec<&str> = rv
            .findings
            .iter()
            .filter_map(|f| f.rule_code.as_deref())
            .collect();
        assert_eq!(codes, vec!["general_assembly"], "{codes:?}");
        assert_eq!(rv.findings[0].item.as_deref(), Some("general_assembly"));
        assert_eq!(rv.findings[0].severity, Severity::Finding);
        assert_eq!(rv.suggested, Conclusion::BasicallyQualified);

        // Staff import the other two (batch import is not blocked by error rules: it records
        // what the paper says, and review finds the problems).
        let rows = vec![
            ImportRow {
                unit: UnitRef {
                    id: Some(ids[1]),
                    ..Default::default()
                },
                answers: answers(80),
                submitted_on: None,
            },
            ImportRow {
                unit: UnitRef {
                    id: Some(ids[2]),
                    ..Default::default()
                },
                answers: broken.clone(),
                submitted_on: None,
            },
        ];
        reports::import(db, &all, cid, &rows, &a).await.unwrap();
        let s = review::run(db, &all, cid, None, &a).await.unwrap();
        assert_eq!(
            (s.reports, s.added, s.kept, s.closed),
            (3, 1, 1, 0),
            "{s:?}"
        );
        assert!(s.rules >= 40 && s.evaluations == s.reports * s.rules);
        // Running again changes nothing.
        let s = review::run(db, &all, cid, None, &a).await.unwrap();
        assert_eq!((s.added, s.kept, s.closed), (0, 2, 0), "{s:?}");

        // A reviewer dismisses with a reason only, confirms, adds a problem by hand.
        let f = &review::report_review(db, &all, cid, ids[2], false)
            .await
            .unwrap()
            .findings[0];
        assert_eq!(f.rule_code.as_deref(), Some("members_sum"));
        assert!(matches!(
            review::decide(db, &all, f.id, FindingStatus::Dismissed, Some(" "), &a).await,
            Err(StoreError::Rejected(_))
        ));
        let f = review::decide(
            db,
            &all,
            f.id,
            FindingStatus::Dismissed,
            Some("纸质报表核实无误，录入错误"),
            &a,
        )
        .await
        .unwrap();
        assert_eq!(f.status, FindingStatus::Dismissed);
        assert_eq!(
            review::report_review(db, &all, cid, ids[2], false)
                .await
                .unwrap()
                .suggested,
            Conclusion::Qualified
        );
        let g = review::report_review(db, &all, cid, ids[0], false)
            .await
            .unwrap()
            .findings[0]
            .id;
        review::decide(db, &all, g, FindingStatus::Confirmed, None, &a)
            .await
            .unwrap();
        assert!(matches!(
            review::add_finding(db, &all, cid, ids[0], "no_such", None, "x", &a).await,
            Err(StoreError::Rejected(_))
        ));
        review::add_finding(
            db,
            &all,
            cid,
            ids[0],
            "profit_making",
            Some("income_total"),
            "以商会名义开展经营活动",
            &a,
        )
        .await
        .unwrap();
        review::comment(
            db,
            &all,
            cid,
            ids[0],
            Some("income_total"),
            "请补充收入明细",
            &a,
        )
        .await
        .unwrap();
        let rv = review::report_review(db, &all, cid, ids[0], false)
            .await
            .unwrap();
        assert_eq!(rv.suggested, Conclusion::Unqualified);
        assert_eq!(rv.notes.len(), 1);
        // The conclusion is the reviewer's; the suggestion is recorded beside it; audited.
        let rv = review::conclude(
            db,
            &all,
            cid,
            ids[0],
            Conclusion::BasicallyQualified,
            Some("限期整改"),
            &a,
        )
        .await
        .unwrap();
        assert_eq!(rv.conclusion, Some(Conclusion::BasicallyQualified));
        let log = shanghui_store::audit::search(
            db,
            &all,
            &shanghui_store::audit::Filter {
                action: Some("review.conclude".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(log.len(), 1);
        assert!(
            log[0].detail.contains("\"suggested\":\"unqualified\""),
            "{}",
            log[0].detail
        );

        // A new version of a rule: re-running closes the old version's finding and opens one
        // from the new version; the history keeps both.
        let form_t = templates::get(db, tid).await.unwrap();
        let mut rule = rulesets::current(db, &form)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.rule.code == "general_assembly")
            .unwrap()
            .rule;
        rule.name_zh = "每年至少召开一次会员大会（修订）".into();
        assert!(matches!(
            rulesets::save(db, &form, &rule, &form_t, &a).await.unwrap(),
            rulesets::Saved::Changed(_)
        ));
        assert!(matches!(
            rulesets::save(db, &form, &rule, &form_t, &a).await.unwrap(),
            rulesets::Saved::Unchanged(_)
        ));
        let mut bad = rule.clone();
        bad.expr = "general_asembly >= 1".into();
        assert!(matches!(
            rulesets::save(db, &form, &bad, &form_t, &a).await,
            Err(StoreError::Rejected(_))
        ));
        let s = review::run(db, &all, cid, None, &a).await.unwrap();
        assert_eq!((s.added, s.closed), (1, 1), "{s:?}");
        let hist = review::report_review(db, &all, cid, ids[0], true)
            .await
            .unwrap()
            .findings;
        let ga: Vec<(bool, Option<i64>)> = hist
            .iter()
            .filter(|f| f.rule_code.as_deref() == Some("general_assembly"))
            .map(|f| (f.current, f.rule_id))
            .collect();
        assert_eq!(ga.len(), 2);
        assert!(!ga[0].0 && ga[1].0 && ga[0].1 != ga[1].1, "{ga:?}");

        // Assignment to a third-party reviewer account only.
        let fz = orgs::require(db, &all, tr.fuzhou).await.unwrap();
        let account = |name: &'static str, role: Role| {
            let profile = accounts::Profile {
                display_name: name.into(),
                role,
                organization_id: Some(fz.id),
            };
            async move {
                accounts::create(
                    db,
                    &Scope::all(),
                    Role::SysAdmin,
                    name,
                    &profile,
                    accounts::hash_password("Review2026pass"),
                    &Actor::system("test"),
                )
                .await
                .unwrap()
                .id
            }
        };
        let staff = account("rv_staff", Role::FedStaff).await;
        assert!(matches!(
            review::assign(db, &all, cid, &ids, Some(staff), &a).await,
            Err(StoreError::Rejected(_))
        ));
        let firm = account("rv_firm", Role::Reviewer).await;
        assert_eq!(
            review::assign(db, &all, cid, &ids[..2], Some(firm), &a)
                .await
                .unwrap(),
            2
        );
        assert!(review::is_assigned(db, firm, cid, ids[0]).await.unwrap());
        assert!(!review::is_assigned(db, firm, cid, ids[2]).await.unwrap());
        assert_eq!(review::assigned_to(db, firm).await.unwrap().len(), 2);

        // Analysis of the province: which rules fail, where, in which category.
        let fj = orgs::require(db, &all, tr.fujian).await.unwrap();
        let c = campaigns::get(db, &all, cid).await.unwrap();
        let by_rule = analysis::by_rule(db, &all, &c, &fj).await.unwrap();
        let rule_codes: BTreeSet<String> =
            by_rule.iter().filter_map(|r| r.rule_code.clone()).collect();
        assert_eq!(
            rule_codes,
            BTreeSet::from(["general_assembly".to_string()]),
            "{by_rule:?}"
        );
        assert!(
            by_rule
                .iter()
                .any(|r| r.trigger.as_deref() == Some("profit_making"))
        );
        let by_child = analysis::by_child(db, &all, &c, &fj).await.unwrap();
        let parts: Vec<(String, i64, i64)> = by_child
            .iter()
            .map(|p| (p.name.clone(), p.submitted, p.with_problems))
            .collect();
        assert_eq!(
            parts,
            vec![("福州市工商联".into(), 2, 1), ("厦门市工商联".into(), 1, 0)]
        );
        let by_cat = analysis::by_category(db, &all, &c, &fj).await.unwrap();
        assert_eq!(by_cat.len(), 1);
        assert_eq!((by_cat[0].submitted, by_cat[0].with_problems), (3, 1));
        let units = analysis::units(db, &all, &c, &fj, 10).await.unwrap();
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].id, ids[0]);
        assert!(units[0].codes.contains("profit_making"));
        let concl = analysis::conclusions(db, &all, &c, &fj).await.unwrap();
        assert_eq!(
            concl,
            vec![(None, 2), (Some(Conclusion::BasicallyQualified), 1)]
        );
        // The campaign as a statistics data set: one case per submitted report, labelled.
        use shanghui_store::statdata::{Selection, campaign_dataset};
        let ds = campaign_dataset(
            db,
            &all,
            &c,
            &Selection::default(),
            shanghui_core::Lang::ZhCn,
        )
        .await
        .unwrap();
        assert_eq!(ds.cases(), 3);
        let (v, col) = ds.var("general_assembly").unwrap();
        assert_eq!(v.label.as_deref(), Some("年度召开会员（代表）大会次数"));
        assert!(
            matches!(col, shanghui_stats::Column::Num(xs) if xs.iter().filter(|x| **x == 0.0).count() == 1)
        );
        let (v, _) = ds.var("party_org").unwrap();
        assert_eq!(v.value_label(&shanghui_stats::Value::Num(1.0)), Some("是"));
        let (_, prov) = ds.var("province").unwrap();
        assert_eq!(prov, &shanghui_stats::Column::Str(vec!["福建省".into(); 3]));
        let only = Selection {
            conclusion: Some(Conclusion::BasicallyQualified),
            ..Default::default()
        };
        assert_eq!(
            campaign_dataset(db, &all, &c, &only, shanghui_core::Lang::ZhCn)
                .await
                .unwrap()
                .cases(),
            1
        );

        // A Xiamen user sees none of Fuzhou's findings.
        let xm = orgs::require(db, &all, tr.xiamen).await.unwrap();
        let xm_scope = Scope::subtree(xm.path.clone());
        assert!(matches!(
            review::decide(db, &xm_scope, g, FindingStatus::Dismissed, Some("x"), &a).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            analysis::by_rule(db, &xm_scope, &c, &xm)
                .await
                .unwrap()
                .iter()
                .all(|r| r.reports == 0 || r.rule_code.is_none())
        );
    }
}

/// The rule codes that find each planted fault (the party-form fault has two, one per way).
fn rules_for(fault: shanghui_synth::Fault) -> &'static [&'static str] {
    use shanghui_synth::Fault::*;
    match fault {
        MembersSumMismatch => &["members_sum"],
        CouncilAboveMembers => &["council_within_members"],
        DuesAboveIncome => &["dues_within_income"],
        NoGeneralAssembly => &["general_assembly"],
        NoCouncilMeeting => &["council_meeting_held"],
        ReelectionOverdue => &["reelection_overdue"],
        PartyFormInconsistent => &["party_form_when_established", "party_form_when_none"],
        ExpenseOverIncome => &["expense_over_income"],
        MembersDrop => &["members_drop"],
        IncomeSwing => &["income_swing"],
        PartyOrgDropped => &["party_org_dropped"],
        ThinRectification => &["rectification"],
    }
}

#[tokio::test]
async fn review_finds_exactly_the_planted_faults() {
    let t = testing::sqlite().await;
    let db = &t.db;
    let a = Actor::system("test");
    let all = Scope::all();
    let today = day(2026, 11, 26);
    let d = shanghui_core::DivisionIndex::shipped();
    let generated = shanghui_synth::generate(&d, shanghui_synth::Scale::Province, 7, today);
    let rows: Vec<_> = generated
        .iter()
        .map(|g| (g.parent, g.draft.clone()))
        .collect();
    let ids = registry::bulk_insert(db, &rows, &a).await.unwrap();
    let tid = templates::ensure_sample(db, &a).await.unwrap();
    let template = templates::get(db, tid).await.unwrap();
    let mut checked = 0;
    // 2022 is there for the cross-year rules of 2023; its own cross-year faults have no year
    // before them in the database, so it is not checked.
    for year in 2022..=2025 {
        let due = shanghui_synth::reports(&generated, &template, year..=year, 7, today);
        let units: Vec<i64> = due.iter().map(|r| ids[r.key]).collect();
        let (opens_on, deadline) = campaigns::usual_dates(year);
        let c = campaigns::open_with_units(
            db,
            &all,
            &NewCampaign {
                organization_id: ids[0],
                year,
                template_id: tid,
                opens_on,
                deadline,
            },
            &units,
            &a,
        )
        .await
        .unwrap()
        .campaign;
        let planted: HashMap<i64, Vec<shanghui_synth::Fault>> = due
            .iter()
            .filter(|r| r.submitted_on.is_some())
            .map(|r| (ids[r.key], r.faults.clone()))
            .collect();
        let import: Vec<ImportRow> = due
            .into_iter()
            .filter_map(|r| {
                r.submitted_on.map(|on| ImportRow {
                    unit: UnitRef {
                        id: Some(ids[r.key]),
                        ..Default::default()
                    },
                    answers: r.answers,
                    submitted_on: Some(on),
                })
            })
            .collect();
        reports::import_generated(db, c.id, &import, &a)
            .await
            .unwrap();
        review::run(db, &all, c.id, None, &a).await.unwrap();
        let (_, units) = reports::answers_of_campaign(db, &all, c.id).await.unwrap();
        let report_ids: HashMap<i64, i64> = {
            let mut m = HashMap::new();
            for u in &units {
                let (r, _) = reports::get(db, &all, c.id, u.id).await.unwrap();
                m.insert(u.id, r.id);
            }
            m
        };
        for (org, faults) in planted.iter().filter(|_| year > 2022) {
            let found: BTreeSet<String> = review::findings_of(db, report_ids[org], false)
                .await
                .unwrap()
                .into_iter()
                .filter_map(|f| f.rule_code)
                .collect();
            let expected: Vec<&[&str]> = faults.iter().map(|f| rules_for(*f)).collect();
            assert_eq!(
                found.len(),
                expected.len(),
                "{year} unit {org}: found {found:?}, planted {faults:?}"
            );
            for alts in expected {
                assert!(
                    alts.iter().any(|c| found.contains(*c)),
                    "{year} unit {org}: found {found:?}, planted {faults:?}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 5_000, "{checked} reports checked");
}
