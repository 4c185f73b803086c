//! Campaigns and annual reports on every backend: the snapshot, the workflow, version
//! conflicts, all-or-nothing import, idempotent re-import, rates, and moves.

use shanghui_core::report::{Action, Answers, ReportStatus};
use shanghui_core::template::{Value, sample};
use shanghui_core::{Lang, Scope};
use shanghui_store::campaigns::{self, NewCampaign};
use shanghui_store::reports::{self, ImportRow, UnitRef};
use shanghui_store::{Actor, StoreError, orgs, registry, templates, testing};

use super::{chamber, day, owned, tree};

/// A complete, valid set of answers (the sample template).
pub(crate) fn answers(members: i64) -> Answers {
    let raw = [
        (
            "uscc",
            shanghui_core::uscc::with_check("51350102MJ0000001")
                .unwrap()
                .as_str()
                .to_string(),
        ),
        ("category", "行业".into()),
        ("registered", "是".into()),
        ("members_total", members.to_string()),
        ("members_unit", (members - 10).to_string()),
        ("members_individual", "10".into()),
        ("council_size", "15".into()),
        ("staff_fulltime", "2".into()),
        ("party_org", "是".into()),
        ("party_org_form", "党支部".into()),
        ("party_members", "5".into()),
        ("party_in_charter", "是".into()),
        ("political_study", "4".into()),
        ("general_assembly", "1".into()),
        ("council_meetings", "2".into()),
        ("last_reelection", "2022-06-01".into()),
        ("finance_rules", "是".into()),
        ("audited", "是".into()),
        ("income_total", "50.5".into()),
        ("expense_total", "40".into()),
        ("dues_income", "20".into()),
        ("service_events", "6".into()),
        ("charity_amount", "3".into()),
        ("prior_inspection", "合格".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (a, problems) = sample().read(&raw);
    assert!(problems.is_empty(), "{problems:?}");
    a
}

/// Chambers named `{prefix}0`, `{prefix}1`, … under the given parents (with their divisions).
pub(crate) async fn chambers(
    db: &shanghui_store::Db,
    d: &shanghui_core::DivisionIndex,
    prefix: &str,
    at: &[(i64, &str)],
) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, (parent, div)) in at.iter().enumerate() {
        let c = shanghui_core::org::parse_org(
            &owned(chamber(&format!("{prefix}{i}"), div)),
            d,
            day(2025, 6, 1),
        )
        .unwrap();
        let a = Actor::system("test");
        ids.push(
            registry::create(db, &Scope::all(), Some(*parent), &c, &a)
                .await
                .unwrap()
                .id,
        );
    }
    ids
}

#[tokio::test]
async fn campaign_and_report_workflow_on_every_backend() {
    let d = shanghui_core::DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let a = Actor::system("test");
        let all = Scope::all();
        let tr = tree(db, &d).await;
        let ids = chambers(
            db,
            &d,
            "测试商会",
            &[
                (tr.gulou, "350102"),
                (tr.gulou, "350102"),
                (tr.fuzhou, "350100"),
                (tr.xiamen, "350200"),
            ],
        )
        .await;
        let tid = templates::ensure_sample(db, &a).await.unwrap();
        assert_eq!(templates::ensure_sample(db, &a).await.unwrap(), tid);
        // A template whose item rule does not type-check is refused, naming the item.
        let mut broken = sample();
        broken.version = 2;
        let ga = broken
            .items
            .iter_mut()
            .find(|i| i.code == "general_assembly")
            .unwrap();
        ga.rule = "general_asembly >= 1".into();
        match templates::save(db, &broken, &a).await {
            Err(StoreError::Rejected(ps)) => {
                let text = ps[0].render(Lang::ZhCn);
                assert!(
                    text.contains("general_assembly") && text.contains("general_asembly"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(templates::get(db, tid).await.unwrap(), sample());

        // Fujian opens 2025: its four chambers are expected.
        // Filling happens today in this test: a deadline far ahead keeps it on time.
        let (opens, deadline) = (day(2026, 3, 1), day(2099, 12, 31));
        let new = NewCampaign {
            organization_id: tr.fujian,
            year: 2025,
            template_id: tid,
            opens_on: opens,
            deadline,
        };
        let opened = campaigns::open(db, &all, &new, &a).await.unwrap();
        assert_eq!((opened.expected, opened.skipped), (4, 0));
        let cid = opened.campaign.id;
        // Same federation, same year: refused. The national federation's 2025 campaign skips
        // the chambers Fujian already expects.
        assert!(matches!(
            campaigns::open(db, &all, &new, &a).await,
            Err(StoreError::Rejected(_))
        ));
        let national = campaigns::open(
            db,
            &all,
            &NewCampaign {
                organization_id: tr.national,
                ..new.clone()
            },
            &a,
        )
        .await
        .unwrap();
        assert_eq!((national.expected, national.skipped), (0, 4));

        // A Fuzhou user sees Fujian's campaign (it reports to it) but cannot manage it.
        let fz = orgs::require(db, &all, tr.fuzhou).await.unwrap();
        let fz_scope = Scope::subtree(fz.path.clone());
        assert_eq!(campaigns::get(db, &fz_scope, cid).await.unwrap().id, cid);
        assert!(matches!(
            campaigns::close(db, &fz_scope, cid, &a).await,
            Err(StoreError::NotFound)
        ));
        // …nor read Xiamen's report.
        assert!(matches!(
            reports::get(db, &fz_scope, cid, ids[3]).await,
            Err(StoreError::NotFound)
        ));

        // Draft, submit with an item missing (refused by item), submit, return, resubmit.
        let (r, _) = reports::get(db, &fz_scope, cid, ids[0]).await.unwrap();
        assert_eq!((r.status, r.version), (None, 0));
        let mut partial = answers(120);
        partial.remove("general_assembly");
        let r = reports::save(db, &fz_scope, cid, ids[0], &partial, 0, Action::Save, &a)
            .await
            .unwrap();
        assert_eq!((r.status, r.version), (Some(ReportStatus::Draft), 1));
        match reports::save(db, &fz_scope, cid, ids[0], &partial, 1, Action::Submit, &a).await {
            Err(StoreError::Items(items)) => {
                assert_eq!(items.len(), 1);
                assert_eq!(items[0].0, "general_assembly");
            }
            other => panic!("{other:?}"),
        }
        // A second editor still holding version 0 is refused, not silently applied.
        assert!(matches!(
            reports::save(
                db,
                &fz_scope,
                cid,
                ids[0],
                &answers(99),
                0,
                Action::Save,
                &a
            )
            .await,
            Err(StoreError::Conflict)
        ));
        let r = reports::save(
            db,
            &fz_scope,
            cid,
            ids[0],
            &answers(120),
            1,
            Action::Submit,
            &a,
        )
        .await
        .unwrap();
        assert_eq!(r.status, Some(ReportStatus::Submitted));
        assert!(r.first_submitted_on.is_some());
        // Locked after submission.
        assert!(matches!(
            reports::save(
                db,
                &fz_scope,
                cid,
                ids[0],
                &answers(121),
                r.version,
                Action::Save,
                &a
            )
            .await,
            Err(StoreError::Rejected(_))
        ));
        // Returning needs a reason.
        assert!(matches!(
            reports::return_report(db, &all, cid, ids[0], "  ", r.version, &a).await,
            Err(StoreError::Rejected(_))
        ));
        let r =
            reports::return_report(db, &all, cid, ids[0], "会员数与上年差异过大", r.version, &a)
                .await
                .unwrap();
        assert_eq!(r.status, Some(ReportStatus::Returned));
        assert_eq!(r.returned_reason.as_deref(), Some("会员数与上年差异过大"));
        let r = reports::save(
            db,
            &fz_scope,
            cid,
            ids[0],
            &answers(125),
            r.version,
            Action::Submit,
            &a,
        )
        .await
        .unwrap();
        assert_eq!(r.status, Some(ReportStatus::Submitted));
        assert_eq!(r.answers["members_total"], Value::Integer(125));

        // The history names every change with old and new values.
        let h = reports::history(db, &all, cid, ids[0]).await.unwrap();
        let actions: Vec<&str> = h.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "report.save",
                "report.submit",
                "report.return",
                "report.submit"
            ]
        );
        let last = &h[3].changes;
        assert!(last.iter().any(|c| c.item == "members_total"
            && c.old.as_deref() == Some("120")
            && c.new.as_deref() == Some("125")));
        assert_eq!(h[2].reason.as_deref(), Some("会员数与上年差异过大"));

        // Every write that can move the rates marks the campaign as changed.
        let generation = |c: &campaigns::Campaign| c.generation;
        let before = generation(&campaigns::get(db, &all, cid).await.unwrap());
        assert!(
            before >= 4,
            "save, refused submit, submit, return, resubmit: {before}"
        );
        // Rates: Fujian 1 of 4; by child Fuzhou 1 of 3, Xiamen 0 of 1.
        let fj = orgs::require(db, &all, tr.fujian).await.unwrap();
        let c = campaigns::get(db, &all, cid).await.unwrap();
        let nr = campaigns::rates(db, &all, &c, &fj).await.unwrap();
        assert_eq!(
            (nr.rates.expected, nr.rates.submitted, nr.rates.on_time),
            (4, 1, 1)
        );
        let by: Vec<(i64, i64, i64)> = nr
            .children
            .iter()
            .map(|c| (c.id, c.rates.expected, c.rates.submitted))
            .collect();
        assert_eq!(by, vec![(tr.fuzhou, 3, 1), (tr.xiamen, 1, 0)]);
        let missing = campaigns::missing(db, &all, &c, &fj, 100).await.unwrap();
        assert_eq!(nr.rates.missing(), 3);
        assert_eq!(
            campaigns::totals(db, &all, &c, &fj).await.unwrap(),
            nr.rates
        );
        assert_eq!(
            missing.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![ids[1], ids[2], ids[3]]
        );

        // Import: one bad row refuses the whole file, with every problem listed.
        let rows = vec![
            ImportRow {
                unit: UnitRef {
                    id: Some(ids[1]),
                    ..Default::default()
                },
                answers: answers(50),
                submitted_on: Some(day(2026, 5, 20)),
            },
            ImportRow {
                unit: UnitRef {
                    name: Some("测试商会2".into()),
                    ..Default::default()
                },
                answers: answers(60),
                submitted_on: Some(day(2026, 6, 20)),
            },
            ImportRow {
                unit: UnitRef {
                    name: Some("不存在的商会".into()),
                    ..Default::default()
                },
                answers: answers(60),
                submitted_on: None,
            },
            ImportRow {
                unit: UnitRef {
                    id: Some(ids[1]),
                    ..Default::default()
                },
                answers: answers(50),
                submitted_on: None,
            },
        ];
        match reports::import(db, &all, cid, &rows, &a).await {
            Err(StoreError::RejectedRows(p)) => {
                let idx: Vec<usize> = p.iter().map(|(i, _)| *i).collect();
                assert_eq!(idx, vec![2, 3], "{p:?}");
                assert!(p[0].1.render(Lang::ZhCn).contains("不存在的商会"));
            }
            other => panic!("{other:?}"),
        }
        let nr = campaigns::rates(db, &all, &c, &fj).await.unwrap();
        assert_eq!(nr.rates.submitted, 1, "nothing written");
        assert_eq!(
            generation(&campaigns::get(db, &all, cid).await.unwrap()),
            before,
            "a refused import changes nothing"
        );
        let good = &rows[..2];
        let s = reports::import(db, &all, cid, good, &a).await.unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (2, 0, 0));
        let s = reports::import(db, &all, cid, good, &a).await.unwrap();
        assert_eq!((s.created, s.updated, s.unchanged), (0, 0, 2), "idempotent");
        let nr = campaigns::rates(db, &all, &c, &fj).await.unwrap();
        assert_eq!((nr.rates.submitted, nr.rates.on_time), (3, 3));
        // With the usual deadline of 31 May, only the 20 May paper report was on time.
        let c = campaigns::set_deadline(db, &all, cid, day(2026, 5, 31), &a)
            .await
            .unwrap();
        let nr = campaigns::rates(db, &all, &c, &fj).await.unwrap();
        assert_eq!((nr.rates.submitted, nr.rates.on_time), (3, 1));
        let h = reports::history(db, &all, cid, ids[1]).await.unwrap();
        assert_eq!(h.len(), 1, "the second import wrote nothing");

        // Last year's answers appear for next year.
        let (o26, d26) = campaigns::usual_dates(2026);
        let c26 = campaigns::open(
            db,
            &all,
            &NewCampaign {
                organization_id: tr.fujian,
                year: 2026,
                template_id: tid,
                opens_on: o26,
                deadline: d26,
            },
            &a,
        )
        .await
        .unwrap();
        assert_eq!(c26.expected, 4);
        let prev = reports::previous_answers(db, &all, ids[0], 2026)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(prev["members_total"], Value::Integer(125));
        assert!(
            reports::previous_answers(db, &all, ids[3], 2026)
                .await
                .unwrap()
                .is_none()
        );

        // Taking a unit off the list is audited and changes the rates.
        campaigns::set_expected(db, &all, cid, ids[3], false, &a)
            .await
            .unwrap();
        let nr = campaigns::rates(db, &all, &c, &fj).await.unwrap();
        assert_eq!(nr.rates.expected, 3);

        // A move carries the open campaign's reports to the new place.
        let gl = orgs::require(db, &all, tr.gulou).await.unwrap();
        assert_eq!(
            campaigns::rates(db, &all, &c, &gl)
                .await
                .unwrap()
                .rates
                .expected,
            2
        );
        registry::move_to(db, &all, ids[1], tr.fuzhou, day(2026, 1, 1), &a)
            .await
            .unwrap();
        assert_eq!(
            campaigns::rates(db, &all, &c, &gl)
                .await
                .unwrap()
                .rates
                .expected,
            1
        );
        let nr = campaigns::rates(db, &all, &c, &fz).await.unwrap();
        let by: Vec<(i64, i64)> = nr
            .children
            .iter()
            .map(|c| (c.id, c.rates.expected))
            .collect();
        assert_eq!(by, vec![(tr.gulou, 1), (ids[2], 1), (ids[1], 1)], "{by:?}");

        // Closing stops online filling.
        campaigns::close(db, &all, cid, &a).await.unwrap();
        let (r, _) = reports::get(db, &all, cid, ids[3]).await.unwrap();
        assert!(matches!(
            reports::save(
                db,
                &all,
                cid,
                ids[3],
                &answers(10),
                r.version,
                Action::Save,
                &a
            )
            .await,
            Err(StoreError::Rejected(_))
        ));
    }
}
