//! The rectification pages end to end, on every backend: a notice issued from confirmed findings
//! on the review page, the chamber's answers with evidence (multipart), a returned item and a
//! second round, closure (已销号) with the history of both rounds; an overdue notice flagged and
//! counted, an extension; the evidence limits through the server; who may see and do what; the
//! figures page against the store and its workbook against the command line's tables; bulk
//! notices from the problem analysis; the carry-over onto next year's report.

use std::collections::BTreeMap;

use reqwest::multipart::{Form, Part};
use reqwest::{Client, StatusCode};
use shanghui_core::review::{Conclusion, FindingStatus};
use shanghui_core::{Lang, Scope};
use shanghui_store::rectify::{self, Filter};
use shanghui_store::{Actor, review};

use crate::support::*;

fn notice_url(s: &Server, id: i64) -> String {
    s.url(&format!("/notices/{id}"))
}

fn review_url(s: &Server, campaign: i64, org: i64) -> String {
    s.url(&format!("/campaigns/{campaign}/reports/{org}/review"))
}

/// The notice id of a redirect to `/notices/{id}?...`.
fn notice_of(p: &Page) -> i64 {
    let loc = p.location();
    loc.trim_start_matches("/notices/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("not a notice: {loc}"))
}

/// Answers item `n` (from 1) of the notice page `page` as its form does: the text and the files,
/// multipart, with the version and token the form carries.
async fn answer(
    c: &Client,
    s: &Server,
    page: &Page,
    n: usize,
    text: &str,
    files: Vec<(&str, Vec<u8>)>,
) -> Page {
    let css = format!("#respond-{n}");
    let action = page.attr(&css, "action");
    assert_eq!(page.attr(&css, "enctype"), "multipart/form-data");
    let mut form = Form::new();
    for (k, v) in page.form(&css) {
        match k.as_str() {
            "file" => {}
            "response" => form = form.text(k, text.to_string()),
            _ => form = form.text(k, v),
        }
    }
    if files.is_empty() {
        // A browser sends the empty file input as a part without a name or bytes.
        form = form.part("file", Part::bytes(Vec::new()).file_name(""));
    }
    for (name, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    }
    Page::from(c.post(s.url(&action)).multipart(form).send().await.unwrap()).await
}

/// Posts the form `css` of `page` with `changes`.
async fn post(c: &Client, s: &Server, page: &Page, css: &str, changes: &[(&str, &str)]) -> Page {
    let action = page.attr(css, "action");
    post_form(c, &s.url(&action), &with(&page.form(css), changes)).await
}

/// A report without a general assembly nor a council meeting submitted for the chamber in
/// `campaign` (it has other findings too); gives the ids of those two findings.
async fn two_findings(s: &Server, campaign: i64, org: i64) -> Vec<i64> {
    submit_in_store(
        &s.db,
        campaign,
        org,
        &[("general_assembly", "0"), ("council_meetings", "0")],
    )
    .await;
    let findings = review::report_review(&s.db, &Scope::all(), campaign, org, false)
        .await
        .unwrap()
        .findings;
    ["general_assembly", "council_meeting_held"]
        .iter()
        .map(|code| {
            findings
                .iter()
                .find(|f| f.rule_code.as_deref() == Some(code))
                .unwrap_or_else(|| panic!("{}: no finding {code}", s.name()))
                .id
        })
        .collect()
}

// -------------------------------------------------------------------------------------------------
// The loop: issue, answer with evidence, return one item, answer again, close.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_loop_through_the_pages() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        let fids = two_findings(&s, c.fuzhou, w.t.chamber).await;
        let staff = signed_in(&s, "fz_staff").await;
        let sec = signed_in(&s, "gl_secretary").await;

        // The review page offers the findings; only confirmed ones are ticked, open ones need
        // "include open findings".
        let rv = review_url(&s, c.fuzhou, w.t.chamber);
        let p = get(&staff, &rv).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(p.text("#no-notices"), "尚未就本年报下发整改通知。", "{n}");
        for id in &fids {
            assert!(p.has(&format!("#pick-{id} input[type=checkbox]")), "{n}");
            assert!(
                !p.has(&format!("#pick-{id} input[checked]")),
                "{n}: open, not ticked"
            );
        }
        // Ticking an open finding without the option is refused, with the form kept.
        let issue_form = with(
            &p.form("#issue-form"),
            &[
                ("measures", "召开会员大会和理事会"),
                ("finding", &fids[0].to_string()),
            ],
        );
        let r = post_form(
            &staff,
            &s.url(&p.attr("#issue-form", "action")),
            &issue_form,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        assert!(
            r.text("#issue-errors").contains("尚待处理"),
            "{n}: {}",
            r.text("#issue-errors")
        );
        assert_eq!(r.text("#f-measures"), "召开会员大会和理事会", "{n}: kept");
        assert!(r.has(&format!("#pick-{} input[checked]", fids[0])), "{n}");

        // Staff confirm both findings on the review page, then issue from it.
        for id in &fids {
            let p = get(&staff, &rv).await;
            let r = post(&staff, &s, &p, &format!("#confirm-{id}"), &[]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        }
        let p = get(&staff, &rv).await;
        for id in &fids {
            assert!(
                p.has(&format!("#pick-{id} input[checked]")),
                "{n}: confirmed, ticked"
            );
        }
        let deadline = p.attr("#f-deadline", "value");
        assert_eq!(
            deadline,
            (today() + chrono::Duration::days(30)).to_string(),
            "{n}: 30 days by default"
        );
        // No measures: refused, nothing issued.
        let r = post(&staff, &s, &p, "#issue-form", &[("measures", " ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#issue-errors"), "请填写整改要求", "{n}");
        let r = post(
            &staff,
            &s,
            &p,
            "#issue-form",
            &[("measures", "召开会员大会和理事会，补充会议纪要")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let nid = notice_of(&r);
        let p = get(&staff, &rv).await;
        assert_eq!(
            p.attr("#report-notices a", "href"),
            format!("/notices/{nid}"),
            "{n}"
        );
        for id in &fids {
            assert!(!p.has(&format!("#pick-{id}")), "{n}: in a notice now");
        }

        // The chamber sees it on its home page.
        let home = get(&sec, &s.url("/")).await;
        let rows = home.rows("#open-notices");
        assert_eq!(rows.len(), 1, "{n}: {}", home.body);
        assert_eq!(rows[0][0], format!("#{nid}"), "{n}");
        assert_eq!(rows[0][2], deadline, "{n}");
        assert_eq!(rows[0][3], "待整改", "{n}");
        assert_eq!(rows[0][4], "2", "{n}: two open items");
        assert_eq!(
            home.attr("#open-notices a", "href"),
            format!("/notices/{nid}"),
            "{n}"
        );

        // The notice: the unit, the measures, the deadline, the items with the values read.
        let url = notice_url(&s, nid);
        let p = get(&sec, &url).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(p.text("#notice-status"), "待整改", "{n}");
        assert!(!p.has("#overdue-flag"), "{n}");
        let d = p.details();
        assert_eq!(d["整改单位"], "鼓楼区餐饮商会", "{n}");
        assert_eq!(d["整改要求"], "召开会员大会和理事会，补充会议纪要", "{n}");
        assert_eq!(d["整改期限"], deadline, "{n}");
        assert_eq!(d["轮次"], "1", "{n}");
        assert_eq!(p.texts("section.notice-item").len(), 2, "{n}");
        assert!(
            p.texts("#item-1 ul.values li")
                .iter()
                .chain(p.texts("#item-2 ul.values li").iter())
                .any(|v| v == "年度召开会员（代表）大会次数：0"),
            "{n}: the value the rule read"
        );
        assert!(p.text("#limits").contains("10 MB"), "{n}");
        assert!(!p.has("#accept-1"), "{n}: the chamber does not verify");

        // Handing in before every item is answered is refused.
        let r = post(&sec, &s, &p, "#submit-form", &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.text("#submit-errors"),
            "请先对每一项待整改事项填写整改措施",
            "{n}"
        );

        // Item 1 with a PDF, then item 2 with another.
        let r = answer(
            &sec,
            &s,
            &p,
            1,
            "2024年12月召开会员大会",
            vec![("会员大会纪要.pdf", pdf_bytes())],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            r.location(),
            format!("/notices/{nid}?done=responded&item=1#item-1"),
            "{n}"
        );
        let p = get(&sec, &s.url(&r.location())).await;
        assert_eq!(p.text("[role=status]"), "已保存第 1 项的整改措施", "{n}");
        assert_eq!(p.text("#answered"), "待整改事项已填写 1 / 2 项", "{n}");
        assert_eq!(
            p.text("#f-response-1"),
            "2024年12月召开会员大会",
            "{n}: kept to edit"
        );
        let r = answer(
            &sec,
            &s,
            &p,
            2,
            "2024年12月召开理事会",
            vec![("理事会纪要.pdf", pdf_bytes())],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &url).await;
        let r = post(&sec, &s, &p, "#submit-form", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &url).await;
        assert_eq!(p.text("#notice-status"), "待核验", "{n}");
        assert!(!p.has("#respond-1"), "{n}: nothing to answer now");
        assert_eq!(
            p.texts("#item-1 ul.files a"),
            vec!["会员大会纪要.pdf"],
            "{n}"
        );

        // The chamber cannot verify (403), even with the form's fields.
        let staff_page = get(&staff, &url).await;
        let token = csrf_token(&sec, &s).await;
        let accept1 = with(&staff_page.form("#accept-1"), &[("_csrf", &token)]);
        let r = post_form(&sec, &s.url(&format!("/notices/{nid}/verify")), &accept1).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");

        // The reviewer accepts item 1; returning item 2 needs a reason.
        let r = post(&staff, &s, &staff_page, "#accept-1", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &s.url(&r.location())).await;
        assert_eq!(p.text("[role=status]"), "第 1 项已销号", "{n}");
        let r = post(&staff, &s, &p, "#return-2", &[("reason", "  ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#err-verify-2"), "退回须填写理由", "{n}");
        assert_eq!(r.text("#item-2 .item-status"), "已反馈", "{n}: unchanged");
        let r = post(
            &staff,
            &s,
            &p,
            "#return-2",
            &[("reason", "请附理事会签到表")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &url).await;
        assert_eq!(p.text("#notice-status"), "待整改", "{n}");
        assert_eq!(p.details()["轮次"], "2", "{n}");
        assert_eq!(p.text("#item-1 .item-status"), "已销号", "{n}");
        assert_eq!(p.text("#item-2 .item-status"), "已退回", "{n}");
        assert_eq!(
            p.text("#item-2 p.verdict"),
            "退回理由： 请附理事会签到表",
            "{n}"
        );
        assert!(!p.has("#respond-1"), "{n}: accepted stays accepted");

        // A stale form (read before someone else acted) is refused as a conflict, text kept.
        let stale = p.form("#respond-2");
        let mut mp = Form::new();
        for (k, v) in stale {
            if k == "version" {
                mp = mp.text(k, "0");
            } else if k == "response" {
                mp = mp.text(k, "过时的表单");
            } else if k != "file" {
                mp = mp.text(k, v);
            }
        }
        let r = Page::from(
            sec.post(s.url(&format!("/notices/{nid}/respond")))
                .multipart(mp)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}");
        assert!(r.text("#refusal").contains("已被他人更新"), "{n}");
        assert_eq!(r.text("#f-response-2"), "过时的表单", "{n}: kept");

        // The second round: item 2 again, with the sign-in sheet.
        let r = answer(
            &sec,
            &s,
            &p,
            2,
            "已补充理事会签到表",
            vec![("签到表.pdf", pdf_bytes())],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &url).await;
        let r = post(&sec, &s, &p, "#submit-form", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &url).await;
        assert!(!p.has("#accept-1"), "{n}: item 1 is done");
        let r = post(&staff, &s, &p, "#accept-2", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert!(r.location().contains("done=closed"), "{n}");
        let p = get(&staff, &s.url(&r.location())).await;
        assert_eq!(p.text("#notice-status"), "已销号", "{n}");
        assert_eq!(
            p.text("[role=status]"),
            "全部事项已销号，整改通知已销号",
            "{n}"
        );
        assert!(
            p.details()["销号日期"].starts_with(&today().to_string()),
            "{n}"
        );
        assert!(
            !p.has("#extend-form"),
            "{n}: a closed notice is not extended"
        );
        assert_eq!(
            p.texts("#item-2 ul.files a"),
            vec!["理事会纪要.pdf", "签到表.pdf"],
            "{n}: both rounds' evidence"
        );

        // The history, round by round.
        let actions = |round: i32| -> Vec<String> {
            p.doc
                .select(&sel(&format!("#round-{round} tr[data-action]")))
                .map(|r| r.value().attr("data-action").unwrap().to_string())
                .collect()
        };
        assert_eq!(
            actions(1),
            vec!["issue", "respond", "respond", "submit", "accept", "return"],
            "{n}"
        );
        assert_eq!(actions(2), vec!["respond", "submit", "accept"], "{n}");
        assert_eq!(p.text("#round-2 h3"), "第 2 轮", "{n}");
        let returned: Vec<Vec<String>> = p
            .rows("#round-1 table")
            .into_iter()
            .filter(|r| r[2] == "退回")
            .collect();
        assert_eq!(returned[0][3], "第 2 项", "{n}");
        assert_eq!(returned[0][4], "请附理事会签到表", "{n}");

        // The store agrees.
        let v = rectify::get(&s.db, &Scope::all(), nid).await.unwrap();
        assert_eq!(
            v.notice.status(),
            shanghui_core::rectify::NoticeStatus::Closed,
            "{n}"
        );
        assert_eq!(v.notice.round, 2, "{n}");

        // Evidence: an attachment with the Chinese name, never sniffed, the stored type.
        let href = p.attr("#item-1 ul.files a", "href");
        let resp = sec.get(s.url(&href)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let h = resp.headers().clone();
        assert_eq!(h["content-type"], "application/pdf", "{n}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{n}");
        let cd = h["content-disposition"].to_str().unwrap().to_string();
        assert!(cd.starts_with("attachment;"), "{n}: {cd}");
        assert!(
            cd.contains(
                "filename*=UTF-8''%E4%BC%9A%E5%91%98%E5%A4%A7%E4%BC%9A%E7%BA%AA%E8%A6%81.pdf"
            ),
            "{n}: {cd}"
        );
        assert!(cd.contains("filename=\"evidence.pdf\""), "{n}: {cd}");
        assert_eq!(resp.bytes().await.unwrap().to_vec(), pdf_bytes(), "{n}");

        // Closed: no longer on the chamber's home page; every step is in the audit log.
        let home = get(&sec, &s.url("/")).await;
        assert!(!home.has("#open-notices"), "{n}");
        for action in [
            "rectify.issue",
            "rectify.respond",
            "rectify.submit",
            "rectify.accept",
            "rectify.return",
        ] {
            assert!(
                !audit_log(&s.db, Some(action)).await.is_empty(),
                "{n}: {action}"
            );
        }

        // In English.
        get(&sec, &s.url("/lang/en")).await;
        let en = get(&sec, &url).await;
        assert_eq!(en.text("#notice-status"), "Closed", "{n}");
        assert_eq!(en.text("#round-2 h3"), "Round 2", "{n}");
    }
}

// -------------------------------------------------------------------------------------------------
// Overdue, extension, the list, the figures and their workbook, bulk notices.

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

async fn add_chamber(s: &Server, parent: i64, name: &str, division: &str) -> i64 {
    let d = shanghui_core::DivisionIndex::shipped();
    let dr = draft(
        &d,
        &[
            (shanghui_core::Field::Kind, "商会"),
            (shanghui_core::Field::Name, name),
            (shanghui_core::Field::Category, "行业"),
            (shanghui_core::Field::DivisionCode, division),
        ],
    );
    shanghui_store::registry::create(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_overdue_extension_and_the_figures() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        // Fujian's campaign: the 鼓楼 chamber and one more there, one in 厦门 (which never fails).
        let gl2 = add_chamber(&s, t.gulou, "鼓楼区茶业商会", "350102").await;
        let c = open_campaign(&s.db, t.fujian, REPORT_YEAR).await;
        submit_in_store(&s.db, c, t.chamber, &[("general_assembly", "0")]).await;
        submit_in_store(
            &s.db,
            c,
            gl2,
            &[("general_assembly", "0"), ("council_meetings", "0")],
        )
        .await;
        submit_in_store(&s.db, c, w.xm_chamber, &[]).await;
        let staff = admin(&s).await;

        // Bulk, from the problem analysis: the rule's link, then the form.
        let a = get(&staff, &s.url(&format!("/campaigns/{c}/review"))).await;
        assert_eq!(a.status, StatusCode::OK, "{n}");
        let link = a
            .doc
            .select(&sel(
                "#by-rule tr[data-code='general_assembly'] a.bulk-rule",
            ))
            .next()
            .expect("a bulk link on the rule's row")
            .value()
            .attr("href")
            .unwrap()
            .to_string();
        assert_eq!(
            link,
            format!(
                "/campaigns/{c}/notices?node={}&rule=general_assembly",
                t.fujian
            ),
            "{n}"
        );
        assert!(a.has("#bulk-link"), "{n}: and for every rule");
        let b = get(&staff, &s.url(&link)).await;
        assert_eq!(b.status, StatusCode::OK, "{n}");
        assert_eq!(
            b.attr("#f-rule option[selected]", "value"),
            "general_assembly"
        );
        // Without measures: refused, the rest kept.
        let r = post(&staff, &s, &b, "#bulk-form", &[("include_open", "1")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#bulk-errors"), "请填写整改要求", "{n}");
        assert_eq!(
            r.attr("#f-rule option[selected]", "value"),
            "general_assembly"
        );
        let r = post(
            &staff,
            &s,
            &b,
            "#bulk-form",
            &[("include_open", "1"), ("measures", "按章程召开会员大会")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let l = get(&staff, &s.url(&r.location())).await;
        assert_eq!(l.text("[role=status]"), "已下发整改通知 2 份", "{n}");
        assert_eq!(l.rows("#notices").len(), 2, "{n}");
        // Again: nothing left to issue for that rule.
        let r = post(
            &staff,
            &s,
            &b,
            "#bulk-form",
            &[("include_open", "1"), ("measures", "按章程召开会员大会")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.text("#bulk-errors").starts_with("没有可以整改的问题"),
            "{n}"
        );

        let open = rectify::list(
            &s.db,
            &Scope::all(),
            &Filter {
                open: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let of = |org: i64| {
            open.iter()
                .find(|x| x.organization_id == org)
                .unwrap()
                .notice_id
        };
        let (n1, n2) = (of(t.chamber), of(gl2));

        // Time passes: one notice is past its deadline.
        let past = today() - chrono::Duration::days(10);
        s.exec(&format!(
            "update notice set deadline = '{past}' where notice_id = {n2}"
        ))
        .await;
        let l = get(&staff, &s.url("/notices?status=overdue")).await;
        let rows = l.rows("#notices");
        assert_eq!(rows.len(), 1, "{n}");
        assert_eq!(rows[0][0], format!("#{n2}"), "{n}");
        assert!(rows[0][4].contains("已逾期 10天"), "{n}: {:?}", rows[0]);
        assert!(l.has(&format!("tr.overdue[data-id='{n2}']")), "{n}");
        // The open list: the overdue one first.
        let l = get(&staff, &s.url(&format!("/notices?campaign={c}"))).await;
        let ids: Vec<String> = l.rows("#notices").iter().map(|r| r[0].clone()).collect();
        assert_eq!(ids, vec![format!("#{n2}"), format!("#{n1}")], "{n}");
        let p = get(&staff, &notice_url(&s, n2)).await;
        assert_eq!(p.text("#overdue-flag"), "已逾期", "{n}");
        assert_eq!(
            p.text("#fact-deadline strong.overdue"),
            "已逾期 10 天",
            "{n}"
        );

        // The figures: the page, the store and the workbook agree.
        let fp = get(&staff, &s.url(&format!("/campaigns/{c}/rectify"))).await;
        assert_eq!(fp.status, StatusCode::OK, "{n}: {}", fp.body);
        let fj = s.org(t.fujian).await;
        let st = rectify::stats(&s.db, &Scope::all(), &fj, Some(c))
            .await
            .unwrap();
        assert_eq!((st.stats.issued, st.stats.overdue), (2, 1), "{n}");
        assert_eq!(fp.text("#card-issued .value"), "2", "{n}");
        assert_eq!(fp.text("#card-closed .value"), "0", "{n}");
        assert_eq!(fp.text("#card-closure-rate .value"), "0.0%", "{n}");
        assert_eq!(fp.text("#card-average-days .value"), "—", "{n}");
        assert_eq!(fp.text("#card-overdue .value"), "1", "{n}");
        let children = fp.rows("#by-child");
        assert_eq!(children.len(), st.children.len(), "{n}");
        for (row, ch) in children.iter().zip(&st.children) {
            assert_eq!(row[0], ch.name, "{n}");
            assert_eq!(row[2], ch.stats.issued.to_string(), "{n}");
            assert_eq!(row[7], ch.stats.overdue.to_string(), "{n}");
        }
        // Only children with notices are listed: 福州 (厦门's chamber never failed).
        assert_eq!(children.len(), 1, "{n}: {children:?}");
        assert_eq!(
            children[0][2..],
            ["2", "0", "0.0%", "0.0%", "—", "1"],
            "{n}"
        );
        assert_eq!(
            fp.texts("#closure-chart g.bar").len(),
            children.len(),
            "{n}"
        );
        let rules = fp.rows("#by-rule");
        assert_eq!(rules[0][0], "general_assembly", "{n}");
        assert_eq!(rules[0][2], "2", "{n}");
        assert_eq!(
            fp.rows("#overdue")
                .iter()
                .map(|r| r[0].clone())
                .collect::<Vec<_>>(),
            vec![format!("#{n2}")],
            "{n}"
        );
        // Drill down: 福州 → 鼓楼区.
        let fz = get(
            &staff,
            &s.url(&fp.attr("#by-child tbody tr:first-child a", "href")),
        )
        .await;
        assert_eq!(fz.text("#node-name"), "福州市工商联", "{n}");
        assert_eq!(fz.rows("#by-child")[0][0], "鼓楼区工商联", "{n}");
        // The workbook: the command line's tables, sheet by sheet, cell by cell.
        let resp = staff
            .get(s.url(&fp.attr("#export-link", "href")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let sheets = xlsx_sheets(&resp.bytes().await.unwrap());
        let cli = shanghui_web::rectify_tables(&s.db, &Scope::all(), &fj, Some(c), Lang::ZhCn)
            .await
            .unwrap();
        assert_eq!(sheets.len(), cli.len(), "{n}: {:?}", sheets.keys());
        for table in &cli {
            let mut want = vec![table.header.clone()];
            want.extend(table.rows.iter().cloned());
            assert_eq!(sheets[&table.sheet], want, "{n}: sheet {}", table.sheet);
        }
        let units = &sheets["按单位"];
        assert_eq!(units[1][0], "福建省工商联", "{n}");
        assert_eq!(units[1][1..], ["2", "0", "0.0%", "0.0%", "—", "1"], "{n}");
        assert_eq!(sheets["整改通知"].len(), 3, "{n}: two notices");

        // Extension: a later date and a reason, both required.
        let p = get(&staff, &notice_url(&s, n2)).await;
        let r = post(
            &staff,
            &s,
            &p,
            "#extend-form",
            &[("deadline", &past.to_string()), ("reason", "汛期")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#extend-errors"), "新的期限须晚于原期限", "{n}");
        let yesterday = (today() - chrono::Duration::days(1)).to_string();
        let r = post(
            &staff,
            &s,
            &p,
            "#extend-form",
            &[("deadline", &yesterday), ("reason", "汛期")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.text("#extend-errors"),
            "整改期限须晚于今天",
            "{n}: still overdue"
        );
        let later = (today() + chrono::Duration::days(20)).to_string();
        let r = post(
            &staff,
            &s,
            &p,
            "#extend-form",
            &[("deadline", &later), ("reason", " ")],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#extend-errors"), "请填写延期理由", "{n}");
        assert_eq!(r.attr("#f-extend-deadline", "value"), later, "{n}: kept");
        let r = post(
            &staff,
            &s,
            &p,
            "#extend-form",
            &[("deadline", &later), ("reason", "汛期顺延")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&staff, &notice_url(&s, n2)).await;
        assert!(!p.has("#overdue-flag"), "{n}");
        assert!(p.text("#fact-deadline").starts_with(&later), "{n}");
        let first = today() + chrono::Duration::days(30);
        assert!(
            p.text("#fact-deadline")
                .contains(&format!("原期限：{first}")),
            "{n}: {}",
            p.text("#fact-deadline")
        );
        let ext: Vec<Vec<String>> = p
            .rows("#round-1 table")
            .into_iter()
            .filter(|r| r[2] == "延长期限")
            .collect();
        assert_eq!(ext[0][4], "汛期顺延", "{n}");
        // The figures follow at once (the cache is keyed by the campaign's generation).
        let fp = get(&staff, &s.url(&format!("/campaigns/{c}/rectify"))).await;
        assert_eq!(fp.text("#card-overdue .value"), "0", "{n}");
        assert!(!fp.has("#overdue"), "{n}");

        // The list's workbook.
        let resp = staff
            .get(s.url("/notices.xlsx?status=all"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let cd = resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cd.starts_with("attachment;"), "{n}");
        let sheets = xlsx_sheets(&resp.bytes().await.unwrap());
        assert_eq!(sheets["整改通知"].len(), 3, "{n}");
    }
}

// -------------------------------------------------------------------------------------------------
// Evidence limits through the server, and who may see and do what.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_limits_and_scope() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let ns = seed_notices(&s.db, &w).await;
        let nid = ns.notice[0];
        let url = notice_url(&s, nid);
        let sec = signed_in(&s, "gl_secretary").await;
        let p = get(&sec, &url).await;
        assert!(p.has("#respond-1"), "{n}: {}", p.body);
        let before = rectify::get(&s.db, &Scope::all(), nid).await.unwrap();
        let stored = |v: &rectify::NoticeView| -> Vec<String> {
            v.items
                .iter()
                .flat_map(|i| i.attachments.iter().map(|a| a.file_name.clone()))
                .collect()
        };

        // Too large: refused by name, the text kept, nothing kept.
        let big = [b"%PDF-1.7\n".as_slice(), &vec![b'0'; 11 * 1024 * 1024]].concat();
        let r = answer(&sec, &s, &p, 1, "已召开会员大会", vec![("大文件.pdf", big)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let err = r.field_error("response-1");
        assert!(err.contains("文件“大文件.pdf”超过 10 MB"), "{n}: {err}");
        assert!(err.contains("请修改后重新选择文件上传"), "{n}: {err}");
        assert_eq!(r.text("#f-response-1"), "已召开会员大会", "{n}: kept");

        // An executable renamed .pdf, and a Word file named .png: both refused at once.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
        let docx = b"PK\x03\x04\x14\x00\x06\x00".to_vec();
        let r = answer(
            &sec,
            &s,
            &p,
            1,
            "已召开会员大会",
            vec![("会议纪要.pdf", exe), ("照片.png", docx)],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let errs = r.texts("#respond-1 p.field-error");
        assert!(
            errs[0].starts_with("文件“会议纪要.pdf”的类型不允许"),
            "{n}: {errs:?}"
        );
        assert!(
            errs[1].starts_with("文件“照片.png”的类型不允许"),
            "{n}: {errs:?}"
        );
        // An empty text with a good file: the text is required.
        let r = answer(&sec, &s, &p, 1, "  ", vec![("a.pdf", pdf_bytes())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.field_error("response-1")
                .starts_with("请填写已采取的整改措施"),
            "{n}"
        );
        // A name that is only a path: refused.
        let r = answer(&sec, &s, &p, 1, "已召开", vec![("../..", pdf_bytes())]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.field_error("response-1").starts_with("文件名“../..”无效"),
            "{n}: {}",
            r.field_error("response-1")
        );
        let after = rectify::get(&s.db, &Scope::all(), nid).await.unwrap();
        assert_eq!(stored(&after), stored(&before), "{n}: nothing kept");
        assert_eq!(after.notice.version, before.notice.version, "{n}");

        // Path tricks in a name: kept under its last component, and said so.
        let r = answer(
            &sec,
            &s,
            &p,
            1,
            "已召开会员大会",
            vec![
                ("../../etc/passwd.pdf", pdf_bytes()),
                (
                    "C:\\Users\\张三\\会议照片.png",
                    b"\x89PNG\r\n\x1a\n....".to_vec(),
                ),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &s.url(&r.location())).await;
        assert_eq!(
            p.text("[role=status]"),
            "已保存第 1 项的整改措施；文件名含有路径或特殊字符，已只保留文件名：passwd.pdf、会议照片.png",
            "{n}"
        );
        let files = p.texts("#item-1 ul.files a");
        assert_eq!(
            files,
            vec!["会议纪要.pdf", "passwd.pdf", "会议照片.png"],
            "{n}"
        );
        let png = p
            .doc
            .select(&sel("#item-1 ul.files a"))
            .nth(2)
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_string();
        let resp = sec.get(s.url(&png)).send().await.unwrap();
        assert_eq!(resp.headers()["content-type"], "image/png", "{n}");
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;"),
            "{n}: never inline"
        );

        // Outside the chamber's scope: 404 for the notice and for its evidence.
        let evidence = format!("/notices/{nid}/evidence/{}", ns.file[0]);
        let outside = signed_in(&s, "xm_staff").await;
        for path in [format!("/notices/{nid}"), evidence.clone()] {
            let r = get(&outside, &s.url(&path)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}: {path}");
        }
        // And its own notice's file under this notice's address: 404 too.
        let mixed = format!("/notices/{}/evidence/{}", ns.notice[1], ns.file[0]);
        let admin = admin(&s).await;
        assert_eq!(
            get(&admin, &s.url(&mixed)).await.status,
            StatusCode::NOT_FOUND,
            "{n}"
        );
        let r = get(&outside, &s.url(&format!("/notices/{}", ns.notice[1]))).await;
        assert_eq!(r.status, StatusCode::OK, "{n}: its own");
        // The chamber sees its own evidence; the outside list does not show the inside notice.
        assert_eq!(
            get(&sec, &s.url(&evidence)).await.status,
            StatusCode::OK,
            "{n}"
        );
        let l = get(&outside, &s.url("/notices?status=all")).await;
        assert_eq!(
            l.rows("#notices")
                .iter()
                .map(|r| r[0].clone())
                .collect::<Vec<_>>(),
            vec![format!("#{}", ns.notice[1])],
            "{n}"
        );

        // A chamber secretary cannot verify or extend (403); a leader reads but cannot answer.
        let p = get(&sec, &url).await;
        let version = p.attr("#submit-form input[name=version]", "value");
        for (path, form) in [
            (
                "verify",
                pairs(&[("item", "0"), ("action", "accept"), ("version", &version)]),
            ),
            (
                "extend",
                pairs(&[
                    ("deadline", "2099-01-01"),
                    ("reason", "x"),
                    ("version", &version),
                ]),
            ),
        ] {
            let token = csrf_token(&sec, &s).await;
            let r = post_form(
                &sec,
                &s.url(&format!("/notices/{nid}/{path}")),
                &with(&form, &[("_csrf", &token)]),
            )
            .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}: {path}");
        }
        let leader = signed_in(&s, "fz_leader").await;
        let lp = get(&leader, &url).await;
        assert_eq!(lp.status, StatusCode::OK, "{n}");
        assert!(!lp.has("#respond-1") && !lp.has("#extend-form"), "{n}");
        let token = csrf_token(&leader, &s).await;
        let r = post_form(
            &leader,
            &s.url(&format!("/notices/{nid}/submit")),
            &pairs(&[("_csrf", &token), ("version", &version)]),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");
        // A third-party reviewer: only the notices of the reports assigned to it.
        let rev = signed_in(&s, "fz_reviewer").await;
        assert_eq!(get(&rev, &url).await.status, StatusCode::FORBIDDEN, "{n}");
        review::assign(
            &s.db,
            &Scope::all(),
            ns.campaign[0],
            &[w.t.chamber],
            Some(w.reviewer.id),
            &Actor::system("test"),
        )
        .await
        .unwrap();
        let rp = get(&rev, &url).await;
        assert_eq!(rp.status, StatusCode::OK, "{n}");
        assert!(rp.has("#extend-form"), "{n}: it verifies and extends");
        assert_eq!(
            get(&rev, &s.url(&evidence)).await.status,
            StatusCode::OK,
            "{n}"
        );
        assert_eq!(
            get(&rev, &notice_url(&s, ns.notice[1])).await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
    }
}

// -------------------------------------------------------------------------------------------------
// The carry-over onto next year's report.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carry_over_onto_next_years_report() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        // Last year: concluded 基本合格, with a notice still open.
        let ns = seed_notices(&s.db, &w).await;
        review::conclude(
            &s.db,
            &Scope::all(),
            ns.campaign[0],
            w.t.chamber,
            Conclusion::BasicallyQualified,
            None,
            &Actor::system("test"),
        )
        .await
        .unwrap();
        let sec = signed_in(&s, "gl_secretary").await;
        let p = get(
            &sec,
            &s.url(&format!("/campaigns/{}/reports/{}", c.fuzhou, w.t.chamber)),
        )
        .await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(
            p.text("#carry-note"),
            format!(
                "{} 年度审查结论为基本合格：本年度年报须填写整改情况报告。",
                REPORT_YEAR - 1
            ),
            "{n}"
        );
        assert_eq!(
            p.attr("#carry-notices a", "href"),
            format!("/notices/{}", ns.notice[0]),
            "{n}"
        );
        assert_eq!(
            p.texts("#carry-notices ul.carry-items li"),
            vec!["召开会员（代表）大会（年度召开会员（代表）大会次数）"],
            "{n}: the open item, by rule and item"
        );
        // Without the conclusion, the open notice alone carries over.
        let xm = signed_in(&s, "xm_staff").await;
        let p = get(
            &xm,
            &s.url(&format!("/campaigns/{}/reports/{}", c.xiamen, w.xm_chamber)),
        )
        .await;
        assert_eq!(
            p.text("#carry-note"),
            "仍有未销号的整改通知：本年度年报须填写整改情况报告。",
            "{n}"
        );
        // Last year's report itself carries nothing over (nothing before it).
        let p = get(
            &sec,
            &s.url(&format!(
                "/campaigns/{}/reports/{}",
                ns.campaign[0], w.t.chamber
            )),
        )
        .await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert!(!p.has("#carry-over"), "{n}");
        // Issuing confirmed the findings.
        let f = review::report_review(&s.db, &Scope::all(), ns.campaign[0], w.t.chamber, false)
            .await
            .unwrap()
            .findings;
        let ga = f
            .iter()
            .find(|f| f.rule_code.as_deref() == Some("general_assembly"))
            .unwrap();
        assert_eq!(ga.status, FindingStatus::Confirmed, "{n}");
        // Once the notice is closed, only the conclusion carries over.
        let (all, a) = (Scope::all(), Actor::system("test"));
        let v = rectify::get(&s.db, &all, ns.notice[0]).await.unwrap();
        for k in 1..v.items.len() {
            rectify::respond(&s.db, &all, ns.notice[0], k, "已整改", &[], &a)
                .await
                .unwrap();
        }
        rectify::submit_response(&s.db, &all, ns.notice[0], &a)
            .await
            .unwrap();
        for k in 0..v.items.len() {
            rectify::verify(&s.db, &all, ns.notice[0], k, true, None, &a)
                .await
                .unwrap();
        }
        let p = get(
            &sec,
            &s.url(&format!("/campaigns/{}/reports/{}", c.fuzhou, w.t.chamber)),
        )
        .await;
        assert!(p.text("#carry-note").contains("基本合格"), "{n}");
        assert!(!p.has("#carry-notices"), "{n}");
    }
}
