//! Rectification on every backend: notices from findings (one and in bulk), responses with
//! evidence, verification over rounds, extensions, overdue notices, carry-over into next year's
//! report, the figures, and evidence kept within the scope.

use shanghui_core::Scope;
use shanghui_core::rectify::NoticeStatus;
use shanghui_core::report::Action;
use shanghui_core::review::{Conclusion, FindingStatus};
use shanghui_core::template::Value;
use shanghui_store::campaigns::{self, NewCampaign};
use shanghui_store::rectify::{self, Filter, Issue};
use shanghui_store::{Actor, StoreError, orgs, reports, review, templates, testing};

use super::reports::{answers, chambers};
use super::{day, tree};

fn pdf() -> (String, Vec<u8>) {
    ("整改报告.pdf".into(), b"%PDF-1.7\n% evidence\n".to_vec())
}

#[tokio::test]
async fn rectification_loop_on_every_backend() {
    let d = shanghui_core::DivisionIndex::shipped();
    for t in testing::all().await {
        let db = &t.db;
        let a = Actor::system("test");
        let all = Scope::all();
        let tr = tree(db, &d).await;
        let ids = chambers(
            db,
            &d,
            "整改商会",
            &[
                (tr.gulou, "350102"),
                (tr.gulou, "350102"),
                (tr.xiamen, "350200"),
            ],
        )
        .await;
        let tid = templates::ensure_sample(db, &a).await.unwrap();
        let c = campaigns::open(
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
        .unwrap()
        .campaign;
        // Each chamber misses its general assembly; the first also its council meeting.
        for (i, id) in ids.iter().enumerate() {
            let mut x = answers(100 + i as i64);
            x.insert("general_assembly".into(), Value::Integer(0));
            if i == 0 {
                x.insert("council_meetings".into(), Value::Integer(0));
            }
            reports::save(db, &all, c.id, *id, &x, 0, Action::Submit, &a)
                .await
                .unwrap();
        }
        let findings = review::report_review(db, &all, c.id, ids[0], false)
            .await
            .unwrap()
            .findings;
        assert_eq!(findings.len(), 2, "{findings:?}");
        let fids: Vec<i64> = findings.iter().map(|f| f.id).collect();
        let deadline =
            shanghui_core::value::china_date(chrono::Utc::now()) + chrono::Duration::days(30);
        let what = |include_open| Issue {
            measures: "召开会员大会和理事会，补充会议纪要".into(),
            deadline,
            include_open,
        };

        // Only confirmed findings, unless told to include open ones (confirming them).
        assert!(matches!(
            rectify::issue(db, &all, c.id, ids[0], &fids, &what(false), &a).await,
            Err(StoreError::Rejected(_))
        ));
        let bad_deadline = Issue {
            deadline: day(2020, 1, 1),
            ..what(true)
        };
        assert!(matches!(
            rectify::issue(db, &all, c.id, ids[0], &fids, &bad_deadline, &a).await,
            Err(StoreError::Rejected(_))
        ));
        let nid = rectify::issue(db, &all, c.id, ids[0], &fids, &what(true), &a)
            .await
            .unwrap();
        let f = review::report_review(db, &all, c.id, ids[0], false)
            .await
            .unwrap()
            .findings;
        assert!(f.iter().all(|f| f.status == FindingStatus::Confirmed));
        // A finding is in one open notice at a time.
        assert!(matches!(
            rectify::issue(db, &all, c.id, ids[0], &fids[..1], &what(true), &a).await,
            Err(StoreError::Rejected(_))
        ));

        // The chamber sees it; responds with evidence; bad files are refused with nothing kept.
        let gl_chamber = Scope::subtree(orgs::require(db, &all, ids[0]).await.unwrap().path);
        let mine = rectify::list(
            db,
            &gl_chamber,
            &Filter {
                open: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].open_items, 2);
        let exe = ("会议纪要.pdf".to_string(), b"MZ\x90\x00\x03".to_vec());
        assert!(matches!(
            rectify::respond(db, &gl_chamber, nid, 0, "已召开", &[exe], &a).await,
            Err(StoreError::Rejected(_))
        ));
        let big = (
            "big.pdf".to_string(),
            [b"%PDF-".as_slice(), &vec![0u8; 11 * 1024 * 1024]].concat(),
        );
        assert!(matches!(
            rectify::respond(db, &gl_chamber, nid, 0, "已召开", &[big], &a).await,
            Err(StoreError::Rejected(_))
        ));
        assert!(matches!(
            rectify::respond(db, &gl_chamber, nid, 0, "  ", &[pdf()], &a).await,
            Err(StoreError::Rejected(_))
        ));
        let tricky = ("../../etc/passwd.pdf".to_string(), pdf().1);
        rectify::respond(
            db,
            &gl_chamber,
            nid,
            0,
            "2026年8月召开会员大会",
            &[pdf(), tricky],
            &a,
        )
        .await
        .unwrap();
        // Not every item answered yet.
        assert!(matches!(
            rectify::submit_response(db, &gl_chamber, nid, &a).await,
            Err(StoreError::Rejected(_))
        ));
        rectify::respond(db, &gl_chamber, nid, 1, "2026年8月召开理事会", &[], &a)
            .await
            .unwrap();
        rectify::submit_response(db, &gl_chamber, nid, &a)
            .await
            .unwrap();
        let v = rectify::get(db, &all, nid).await.unwrap();
        assert_eq!(v.notice.status(), NoticeStatus::Responded);
        let names: Vec<&str> = v.items[0]
            .attachments
            .iter()
            .map(|x| x.file_name.as_str())
            .collect();
        assert_eq!(names, vec!["整改报告.pdf", "passwd.pdf"]);

        // Evidence is served only within the scope.
        let att = v.items[0].attachments[0].id;
        let (info, bytes) = rectify::attachment(db, &gl_chamber, att).await.unwrap();
        assert_eq!(
            (info.content_type.as_str(), bytes),
            ("application/pdf", pdf().1)
        );
        let xm = Scope::subtree(orgs::require(db, &all, tr.xiamen).await.unwrap().path);
        assert!(matches!(
            rectify::attachment(db, &xm, att).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            rectify::get(db, &xm, nid).await,
            Err(StoreError::NotFound)
        ));

        // Verification: a return needs a reason and starts a new round; then closure (销号).
        rectify::verify(db, &all, nid, 0, true, None, &a)
            .await
            .unwrap();
        assert!(matches!(
            rectify::verify(db, &all, nid, 1, false, Some(""), &a).await,
            Err(StoreError::Rejected(_))
        ));
        rectify::verify(db, &all, nid, 1, false, Some("请附理事会会议纪要"), &a)
            .await
            .unwrap();
        let v = rectify::get(db, &all, nid).await.unwrap();
        assert_eq!(
            (v.notice.status(), v.notice.round),
            (NoticeStatus::AwaitingResponse, 2)
        );
        assert_eq!(
            v.items[1].verdict_reason.as_deref(),
            Some("请附理事会会议纪要")
        );
        assert!(
            matches!(
                rectify::respond(db, &gl_chamber, nid, 0, "再次说明", &[], &a).await,
                Err(StoreError::Rejected(_))
            ),
            "accepted stays accepted"
        );
        rectify::respond(db, &gl_chamber, nid, 1, "已补充会议纪要", &[pdf()], &a)
            .await
            .unwrap();
        rectify::submit_response(db, &gl_chamber, nid, &a)
            .await
            .unwrap();
        rectify::verify(db, &all, nid, 1, true, None, &a)
            .await
            .unwrap();
        let v = rectify::get(db, &all, nid).await.unwrap();
        assert_eq!(v.notice.status(), NoticeStatus::Closed);
        assert_eq!(v.notice.days_to_close, Some(0));
        let actions: Vec<&str> = v.events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "issue", "respond", "respond", "submit", "accept", "return", "respond", "submit",
                "accept"
            ]
        );
        assert!(matches!(
            rectify::extend(
                db,
                &all,
                nid,
                deadline + chrono::Duration::days(5),
                "延期",
                &a
            )
            .await,
            Err(StoreError::Rejected(_))
        ));

        // Bulk: every chamber of Fujian that failed the general-assembly rule and has no open
        // notice for it: the other two.
        let fj = orgs::require(db, &all, tr.fujian).await.unwrap();
        let n = rectify::issue_bulk(
            db,
            &all,
            c.id,
            &fj,
            Some("general_assembly"),
            &what(true),
            &a,
        )
        .await
        .unwrap();
        assert_eq!(n, 2);
        assert!(matches!(
            rectify::issue_bulk(
                db,
                &all,
                c.id,
                &fj,
                Some("general_assembly"),
                &what(true),
                &a
            )
            .await,
            Err(StoreError::Rejected(_))
        ));
        let open = rectify::list(
            db,
            &all,
            &Filter {
                open: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(open.len(), 2);
        // Extension needs a later date and a reason.
        let xm_notice = open
            .iter()
            .find(|n| n.organization_id == ids[2])
            .unwrap()
            .notice_id;
        assert!(matches!(
            rectify::extend(db, &all, xm_notice, deadline, "x", &a).await,
            Err(StoreError::Rejected(_))
        ));
        assert!(matches!(
            rectify::extend(
                db,
                &all,
                xm_notice,
                deadline + chrono::Duration::days(10),
                " ",
                &a
            )
            .await,
            Err(StoreError::Rejected(_))
        ));
        rectify::extend(
            db,
            &all,
            xm_notice,
            deadline + chrono::Duration::days(10),
            "汛期顺延",
            &a,
        )
        .await
        .unwrap();

        // Time passes: one notice is now past its deadline (as if issued months ago).
        let other = open
            .iter()
            .find(|n| n.organization_id == ids[1])
            .unwrap()
            .notice_id;
        t.exec(&format!(
            "update notice set deadline = '2026-01-31' where notice_id = {other}"
        ))
        .await;
        let overdue = rectify::list(
            db,
            &all,
            &Filter {
                overdue: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            overdue.iter().map(|n| n.notice_id).collect::<Vec<_>>(),
            vec![other]
        );

        // Figures: 3 issued, 1 closed on time, 1 overdue; by child and by rule.
        let s = rectify::stats(db, &all, &fj, Some(c.id)).await.unwrap();
        assert_eq!(
            (
                s.stats.issued,
                s.stats.closed,
                s.stats.closed_on_time,
                s.stats.overdue
            ),
            (3, 1, 1, 1)
        );
        let by: Vec<(String, i64)> = s
            .children
            .iter()
            .map(|c| (c.name.clone(), c.stats.issued))
            .collect();
        assert_eq!(
            by,
            vec![("福州市工商联".into(), 2), ("厦门市工商联".into(), 1)]
        );
        let by_rule = rectify::stats_by_rule(db, &all, &fj, None).await.unwrap();
        assert_eq!(by_rule[0], ("general_assembly".to_string(), by_rule[0].1));
        assert_eq!(by_rule[0].1.issued, 3);
        let by_cat = rectify::stats_by_category(db, &all, &fj, None)
            .await
            .unwrap();
        assert_eq!(by_cat.iter().map(|p| p.stats.issued).sum::<i64>(), 3);

        // Carry-over: concluded 基本合格 in 2025, the 2026 report needs a rectification report.
        review::conclude(
            db,
            &all,
            c.id,
            ids[0],
            Conclusion::BasicallyQualified,
            None,
            &a,
        )
        .await
        .unwrap();
        let c26 = campaigns::open(
            db,
            &all,
            &NewCampaign {
                organization_id: tr.fujian,
                year: 2026,
                template_id: tid,
                opens_on: day(2026, 3, 1),
                deadline: day(2099, 12, 31),
            },
            &a,
        )
        .await
        .unwrap()
        .campaign;
        match reports::save(
            db,
            &all,
            c26.id,
            ids[0],
            &answers(110),
            0,
            Action::Submit,
            &a,
        )
        .await
        {
            Err(StoreError::Items(items)) => {
                assert_eq!(items[0].0, "prior_inspection", "{items:?}")
            }
            other => panic!("{other:?}"),
        }
        let mut honest = answers(110);
        honest.insert(
            "prior_inspection".into(),
            Value::Choice("basically_qualified".into()),
        );
        match reports::save(db, &all, c26.id, ids[0], &honest, 0, Action::Submit, &a).await {
            Err(StoreError::Items(items)) => {
                assert_eq!(items[0].0, "rectification_report", "{items:?}")
            }
            other => panic!("{other:?}"),
        }
        honest.insert(
            "rectification_report".into(),
            Value::Text("已于2026年8月召开会员大会和理事会，会议纪要已报送。".into()),
        );
        reports::save(db, &all, c26.id, ids[0], &honest, 0, Action::Submit, &a)
            .await
            .unwrap();
        // Open notices carry over too (unit 1 has one, and no conclusion).
        let carry = rectify::carry_over(db, ids[1], 2026)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(carry.open_notices.len(), 1);
        assert!(
            rectify::carry_over(db, ids[2], 2025)
                .await
                .unwrap()
                .is_none()
        );
    }
}
