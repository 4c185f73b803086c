//! The annual-report pages end to end, on every backend: filling, submitting, returning and
//! resubmitting a report; two people editing at once; a campaign's dashboard (rates, drill-down,
//! the missing list, scope and permissions); opening and managing campaigns; templates uploaded
//! and authored in the web; batch import of reports.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use shanghui_core::report::{Action, ReportStatus};
use shanghui_core::template::{Value, sample};
use shanghui_core::{DivisionIndex, Field, Scope};
use shanghui_store::reports;
use shanghui_store::{Actor, registry, templates};

use crate::support::*;

const LOCKED: &str = "年报已报送，已锁定；如需修改，请联系工商联退回";
const REQUIRED: &str = "必填项不能为空";

/// A complete report of the sample template, as a browser sends it (codes for the choices,
/// 是/否 for the radios).
pub fn complete(members: i64) -> Vec<(&'static str, String)> {
    vec![
        ("uscc", "无".to_string()),
        ("category", "industry".into()),
        ("registered", "是".into()),
        ("members_total", members.to_string()),
        ("members_unit", (members - 10).to_string()),
        ("members_individual", "10".into()),
        ("council_size", "15".into()),
        ("staff_fulltime", "2".into()),
        ("party_org", "是".into()),
        ("party_org_form", "branch".into()),
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
        ("prior_inspection", "qualified".into()),
    ]
}

/// The report form of a page with the given answers filled in, and `action` (save or submit).
pub fn filled(page: &Page, answers: &[(&str, String)], action: &str) -> Vec<(String, String)> {
    let form = page.form("#report-form");
    let mut changes: Vec<(String, String)> = answers
        .iter()
        .map(|(k, v)| (format!("i.{k}"), v.clone()))
        .collect();
    changes.push(("action".into(), action.into()));
    let refs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    with(&form, &refs)
}

pub fn report_url(s: &Server, campaign: i64, org: i64) -> String {
    s.url(&format!("/campaigns/{campaign}/reports/{org}"))
}

/// The stored report, read past the web.
async fn stored(s: &Server, campaign: i64, org: i64) -> reports::Report {
    reports::get(&s.db, &Scope::all(), campaign, org)
        .await
        .expect("report")
        .0
}

fn int(r: &reports::Report, code: &str) -> Option<i64> {
    match r.answers.get(code) {
        Some(Value::Integer(i)) => Some(*i),
        _ => None,
    }
}

// -------------------------------------------------------------------------------------------------
// Fill, submit, return, resubmit.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn return_and_resubmit_through_the_server() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        let sec = signed_in(&s, "gl_secretary").await;
        let url = report_url(&s, c.fuzhou, w.t.chamber);

        // The chamber's home page lists its report to fill.
        let home = get(&sec, &s.url("/")).await;
        assert_eq!(
            home.rows("#my-reports table"),
            vec![vec![
                REPORT_YEAR.to_string(),
                "福州市工商联".into(),
                "2099-12-31".into(),
                "未填报".into(),
                "填报".into()
            ]],
            "{n}"
        );
        assert_eq!(
            home.attr("#my-reports a.button", "href"),
            format!("/campaigns/{}/reports/{}", c.fuzhou, w.t.chamber),
            "{n}"
        );

        // Last year's report, submitted: its answers appear beside this year's fields.
        let last_year = open_campaign(&s.db, w.t.fuzhou, REPORT_YEAR - 1).await;
        submit(&s, last_year, w.t.chamber).await;

        // The form: one field per item, conditional details hidden while they do not apply.
        let p = get(&sec, &url).await;
        assert_eq!(p.text("#item-members_total .previous"), "上年：50", "{n}");
        assert_eq!(p.text("#item-category .previous"), "上年：行业", "{n}");
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(p.text("#report-status"), "未填报", "{n}");
        assert_eq!(value_in(&p.form("#report-form"), "version"), "0", "{n}");
        assert!(p.has("#f-members_total"), "{n}");
        assert!(p.has("#item-party_org_reason[hidden]"), "{n}: {}", p.body);
        assert_eq!(
            p.text("#item-party_org_reason .cond-note"),
            "仅当“是否建立党组织”为“否”时填写",
            "{n}"
        );

        // A draft may leave items empty; an unreadable value is refused next to its field, as
        // typed, and nothing is saved.
        let mut part = complete(120);
        part.retain(|(k, _)| *k != "general_assembly");
        let mut bad = part.clone();
        bad.push(("council_meetings", "两次".into()));
        let r = post_form(&sec, &url, &filled(&p, &bad, "save")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.field_error("council_meetings"),
            "无法识别“两次”，应为整数",
            "{n}"
        );
        assert_eq!(r.error_ids(), vec!["err-council_meetings"], "{n}");
        assert_eq!(
            value_in(&r.form("#report-form"), "i.council_meetings"),
            "两次",
            "{n}: what was typed is kept"
        );
        assert_eq!(stored(&s, c.fuzhou, w.t.chamber).await.version, 0, "{n}");

        let r = post_form(&sec, &url, &filled(&p, &part, "save")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            r.location(),
            format!("/campaigns/{}/reports/{}?done=saved", c.fuzhou, w.t.chamber),
            "{n}"
        );
        let p = get(&sec, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已保存草稿", "{n}");
        assert_eq!(p.text("#report-status"), "草稿", "{n}");
        assert_eq!(
            value_in(&p.form("#report-form"), "i.members_total"),
            "120",
            "{n}"
        );

        // Submitting with a required item empty: the item's error, nothing saved.
        let r = post_form(&sec, &url, &filled(&p, &part, "submit")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.field_error("general_assembly"), REQUIRED, "{n}");
        assert_eq!(
            r.text("#error-summary"),
            "有 1 处需要修改，请查看标红的字段",
            "{n}"
        );
        let st = stored(&s, c.fuzhou, w.t.chamber).await;
        assert_eq!(
            (st.status, st.version),
            (Some(ReportStatus::Draft), 1),
            "{n}"
        );

        // A conditional detail that applies is required on submit: 党组织 = 否 needs its reason.
        let mut no_party = complete(120);
        no_party.retain(|(k, _)| *k != "party_org");
        no_party.push(("party_org", "否".into()));
        let r = post_form(&sec, &url, &filled(&p, &no_party, "submit")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.field_error("party_org_reason"), REQUIRED, "{n}");
        assert!(
            !r.has("#item-party_org_reason[hidden]"),
            "{n}: shown now that it applies"
        );

        // Complete: submitted, and the form gives way to the answers.
        let r = post_form(&sec, &url, &filled(&p, &complete(120), "submit")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已报送", "{n}");
        assert_eq!(p.text("#report-status"), "已报送", "{n}");
        assert!(!p.has("#report-form"), "{n}: locked");
        assert!(!p.has("#return-form"), "{n}: the chamber cannot return");
        assert_eq!(p.text("#row-members_total td.value"), "120", "{n}");
        assert_eq!(p.text("#row-category td.value"), "行业", "{n}");
        assert_eq!(p.text("#row-party_org td.value"), "是", "{n}");
        assert!(!p.has("#row-party_org_reason"), "{n}: does not apply");
        assert_eq!(
            p.text("#row-members_total td.previous"),
            "50",
            "{n}: last year"
        );

        // Locked: a save posted anyway is refused with the reason, and nothing changes.
        let before = stored(&s, c.fuzhou, w.t.chamber).await;
        let mut locked = pairs(&[
            ("_csrf", &csrf_token(&sec, &s).await),
            ("version", &before.version.to_string()),
            ("action", "save"),
        ]);
        locked.push(("i.members_total".into(), "999".into()));
        let r = post_form(&sec, &url, &locked).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#refusal"), LOCKED, "{n}");
        assert_eq!(
            int(&stored(&s, c.fuzhou, w.t.chamber).await, "members_total"),
            Some(120),
            "{n}"
        );

        // Staff return it; a reason is required.
        let staff = signed_in(&s, "fz_staff").await;
        let sp = get(&staff, &url).await;
        assert!(sp.has("#return-form"), "{n}");
        let ret = s.url(&format!(
            "/campaigns/{}/reports/{}/return",
            c.fuzhou, w.t.chamber
        ));
        let empty = with(&sp.form("#return-form"), &[("reason", "  ")]);
        let r = post_form(&staff, &ret, &empty).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#err-reason"), "请填写理由", "{n}");
        assert_eq!(
            stored(&s, c.fuzhou, w.t.chamber).await.status,
            Some(ReportStatus::Submitted),
            "{n}"
        );
        let reason = "会员总数与上年差异过大，请核实";
        let r = post_form(
            &staff,
            &ret,
            &with(&sp.form("#return-form"), &[("reason", reason)]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let sp = get(&staff, &s.url(&r.location())).await;
        assert_eq!(sp.text("p.flash"), "已退回该年报", "{n}");
        assert_eq!(sp.text("#report-status"), "已退回", "{n}");

        // The secretary sees why, changes a value and submits again.
        let p = get(&sec, &url).await;
        assert_eq!(p.text("#report-status"), "已退回", "{n}");
        assert_eq!(
            p.text("#returned-reason"),
            format!("年报已被退回，原因： {reason}"),
            "{n}"
        );
        let r = post_form(&sec, &url, &filled(&p, &complete(125), "submit")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&sec, &url).await;
        assert_eq!(p.text("#report-status"), "已报送", "{n}");
        assert!(!p.has("#returned-reason"), "{n}");

        // The history, newest first: who, what, old → new with the items' labels.
        let h = p.rows("#report-history");
        let what: Vec<&str> = h.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(what.len(), 4, "{n}: {h:?}");
        assert_eq!(
            what[0], "报送 会员总数：120 → 125 单位（企业）会员数：110 → 115",
            "{n}"
        );
        assert_eq!(what[1], format!("退回 理由：{reason}"), "{n}");
        assert_eq!(what[2], "报送 年度召开会员（代表）大会次数：— → 1", "{n}");
        assert!(
            what[3].starts_with("保存草稿 统一社会信用代码：— → 无"),
            "{n}: {}",
            what[3]
        );
        assert_eq!(h[0][1], "张三 (gl_secretary)", "{n}");
        assert_eq!(h[1][1], "福州工作人员 (fz_staff)", "{n}");

        // The unit's page lists its reports by year.
        let unit = get(&sec, &s.url(&format!("/orgs/{}", w.t.chamber))).await;
        assert_eq!(
            unit.rows("#unit-reports table"),
            vec![
                vec![
                    REPORT_YEAR.to_string(),
                    "福州市工商联".into(),
                    "2099-12-31".into(),
                    "已报送".into(),
                    "查看".into()
                ],
                vec![
                    (REPORT_YEAR - 1).to_string(),
                    "福州市工商联".into(),
                    "2099-12-31".into(),
                    "已报送".into(),
                    "查看".into()
                ]
            ],
            "{n}"
        );
        // In English.
        get(&sec, &s.url("/lang/en")).await;
        let en = get(&sec, &url).await;
        assert_eq!(en.text("#report-status"), "Submitted", "{n}");
        assert_eq!(en.text("#row-category td.value"), "Industry", "{n}");
    }
}

// -------------------------------------------------------------------------------------------------
// Two people editing at once.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_edits_conflict() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        let url = report_url(&s, c.fuzhou, w.t.chamber);
        let sec = signed_in(&s, "gl_secretary").await;
        let staff = signed_in(&s, "fz_staff").await;
        // Both open the form at version 0.
        let a = get(&sec, &url).await;
        let b = get(&staff, &url).await;
        assert_eq!(value_in(&a.form("#report-form"), "version"), "0", "{n}");
        assert_eq!(value_in(&b.form("#report-form"), "version"), "0", "{n}");

        let r = post_form(&sec, &url, &filled(&a, &complete(120), "save")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        // The second makes a mistake first: the form comes back still at the version it was
        // read at, so fixing the mistake does not slip past the other save.
        let mut typo = complete(200);
        typo.push(("staff_fulltime", "两".into()));
        let r = post_form(&staff, &url, &filled(&b, &typo, "save")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(value_in(&r.form("#report-form"), "version"), "0", "{n}");
        // Fixed: refused with 409, told who saved first and what differs; nothing applied.
        let r = post_form(
            &staff,
            &url,
            &filled(&r, &[("staff_fulltime", "2".into())], "save"),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{n}: {}", r.body);
        let msg = r.text("#conflict p");
        assert!(
            msg.contains("张三 (gl_secretary)") && msg.contains("现为第 1 版"),
            "{n}: {msg}"
        );
        let diffs = r.rows("#conflict table");
        assert!(
            diffs.contains(&vec!["会员总数".into(), "120".into(), "200".into()]),
            "{n}: {diffs:?}"
        );
        assert_eq!(
            int(&stored(&s, c.fuzhou, w.t.chamber).await, "members_total"),
            Some(120),
            "{n}: the second save was not applied"
        );
        // Its entries are kept, with the version just read: saving again overwrites knowingly.
        let again = r.form("#report-form");
        assert_eq!(value_in(&again, "i.members_total"), "200", "{n}");
        assert_eq!(value_in(&again, "version"), "1", "{n}");
        let r = post_form(&staff, &url, &with(&again, &[("action", "save")])).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            int(&stored(&s, c.fuzhou, w.t.chamber).await, "members_total"),
            Some(200),
            "{n}"
        );
    }
}

// -------------------------------------------------------------------------------------------------
// The dashboard.

/// A chamber below `parent`.
async fn chamber(s: &Server, parent: i64, name: &str, division: &str) -> i64 {
    let d = DivisionIndex::shipped();
    let dr = draft(
        &d,
        &[
            (Field::Kind, "商会"),
            (Field::Name, name),
            (Field::Category, "行业"),
            (Field::DivisionCode, division),
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

/// Submits a complete report in the store.
async fn submit(s: &Server, campaign: i64, org: i64) {
    let raw: BTreeMap<String, String> = complete(50)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let (answers, problems) = sample().read(&raw);
    assert!(problems.is_empty(), "{problems:?}");
    let r = stored(s, campaign, org).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_rates_drill_down_and_scope() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        // 鼓楼区: 3 chambers; 福州: one chamber directly below; 厦门: one chamber.
        let gl2 = chamber(&s, t.gulou, "鼓楼区茶业商会", "350102").await;
        let gl3 = chamber(&s, t.gulou, "鼓楼区电子商会", "350102").await;
        let fz1 = chamber(&s, t.fuzhou, "福州市温州商会", "350100").await;
        let cid = open_campaign(&s.db, t.fujian, REPORT_YEAR).await;
        submit(&s, cid, t.chamber).await;
        submit(&s, cid, w.xm_chamber).await;

        let admin = admin(&s).await;
        let list = get(&admin, &s.url("/campaigns")).await;
        assert_eq!(list.status, StatusCode::OK, "{n}");
        let rows = list.rows("#campaigns");
        assert_eq!(rows.len(), 1, "{n}: {rows:?}");
        assert_eq!(
            rows[0],
            vec![
                REPORT_YEAR.to_string(),
                "福建省工商联".into(),
                "商会年度报告（示例模板）（第 1 版）".into(),
                format!("{}-03-01", REPORT_YEAR + 1),
                "2099-12-31".into(),
                "进行中".into(),
                "福建省工商联".into(),
                "2 / 5".into(),
                "40.0%".into()
            ],
            "{n}"
        );

        // The province: its figures, its children, the chart, the missing units.
        let d = get(&admin, &s.url(&format!("/campaigns/{cid}"))).await;
        assert_eq!(d.status, StatusCode::OK, "{n}");
        assert_eq!(
            d.text("h1"),
            "2024 年度年报工作（福建省工商联） 进行中",
            "{n}"
        );
        let cards = |p: &Page| -> Vec<String> { p.texts("#cards .value") };
        assert_eq!(cards(&d), vec!["5", "2", "40.0%", "40.0%", "3"], "{n}");
        assert_eq!(
            d.rows("#by-child"),
            vec![
                vec!["福州市工商联", "工商联", "4", "1", "25.0%", "25.0%", "3"],
                vec!["厦门市工商联", "工商联", "1", "1", "100.0%", "100.0%", "0"],
            ],
            "{n}"
        );
        assert_eq!(d.texts("#rate-chart g.bar").len(), 2, "{n}");
        assert_eq!(
            d.texts("#rate-chart text.value"),
            vec!["25.0%", "100.0%"],
            "{n}"
        );
        assert_eq!(
            d.text("#missing-note"),
            "共 3 个单位未报送。 导出全部未报送单位（Excel） 导出全部未报送单位（CSV）",
            "{n}"
        );
        let missing: Vec<String> = d
            .rows("#missing")
            .into_iter()
            .map(|r| r[1].clone())
            .collect();
        assert_eq!(
            missing,
            vec!["福州市温州商会", "鼓楼区茶业商会", "鼓楼区电子商会"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>(),
            "{n}"
        );
        for unit in [gl2, gl3, fz1] {
            assert!(
                d.has(&format!(
                    "#missing a[href='/campaigns/{cid}/reports/{unit}']"
                )),
                "{n}: each missing unit links to its report"
            );
        }
        assert_eq!(
            d.texts("#crumbs a"),
            vec!["年报工作", "福建省工商联"],
            "{n}"
        );

        // Drill down to 福州 by its link, then 鼓楼区.
        let href = d.attr("#by-child tbody tr:first-child a", "href");
        assert_eq!(href, format!("/campaigns/{cid}?node={}", t.fuzhou), "{n}");
        let fz = get(&admin, &s.url(&href)).await;
        assert_eq!(cards(&fz), vec!["4", "1", "25.0%", "25.0%", "3"], "{n}");
        assert_eq!(
            fz.texts("#crumbs a"),
            vec!["年报工作", "福建省工商联", "福州市工商联"],
            "{n}"
        );
        let kids = fz.rows("#by-child");
        assert_eq!(kids[0][0], "鼓楼区工商联", "{n}: {kids:?}");
        assert_eq!(&kids[0][2..4], &["3".to_string(), "1".into()], "{n}");
        assert_eq!(kids[1][0], "福州市温州商会", "{n}");
        // A chamber's link is its report.
        assert!(
            fz.has(&format!(
                "#by-child a[href='/campaigns/{cid}/reports/{fz1}']"
            )),
            "{n}"
        );
        let gl = get(
            &admin,
            &s.url(&fz.attr("#by-child tbody tr:first-child a", "href")),
        )
        .await;
        assert_eq!(cards(&gl), vec!["3", "1", "33.3%", "33.3%", "2"], "{n}");

        // The export of the missing units: all of them.
        let csv = admin
            .get(s.url(&format!("/campaigns/{cid}/missing.csv?node={}", t.fujian)))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK, "{n}");
        assert!(
            csv.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("missing.csv"),
            "{n}"
        );
        let text = csv.text().await.unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(
            lines[0], "编号,名称,统一社会信用代码,上级单位,年报状态",
            "{n}"
        );
        assert_eq!(lines.len(), 4, "{n}: {lines:?}");
        assert!(
            lines[1].starts_with(&format!("{fz1},福州市温州商会,,福州市工商联,未填报")),
            "{n}: {lines:?}"
        );

        // …and as a workbook with the same rows.
        let xlsx = admin
            .get(s.url(&format!("/campaigns/{cid}/missing.xlsx?node={}", t.fujian)))
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), StatusCode::OK, "{n}");
        let bytes = xlsx.bytes().await.unwrap();
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        use calamine::Reader as _;
        let range = wb.worksheet_range("未报送单位").unwrap();
        let cells: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(cells.len(), lines.len(), "{n}: {cells:?}");
        assert_eq!(
            cells[1][..2],
            [fz1.to_string(), "福州市温州商会".to_string()],
            "{n}"
        );

        // Staff of 福州: their part by default; 厦门 and its report are not found; they do not
        // manage the province's campaign.
        let staff = signed_in(&s, "fz_staff").await;
        let own = get(&staff, &s.url(&format!("/campaigns/{cid}"))).await;
        assert_eq!(own.text("#node-name"), "福州市工商联", "{n}");
        assert_eq!(cards(&own), vec!["4", "1", "25.0%", "25.0%", "3"], "{n}");
        assert!(!own.has("#manage"), "{n}");
        assert_eq!(
            own.texts("#crumbs a"),
            vec!["年报工作", "福州市工商联"],
            "{n}: the breadcrumbs start where the reader's scope does"
        );
        for path in [
            format!("/campaigns/{cid}?node={}", t.xiamen),
            format!("/campaigns/{cid}?node={}", t.fujian),
            format!("/campaigns/{cid}/reports/{}", w.xm_chamber),
            format!("/campaigns/{cid}/missing.csv?node={}", t.xiamen),
            format!("/campaigns/{cid}?node=abc"),
        ] {
            let p = get(&staff, &s.url(&path)).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{n}: {path}");
        }
        let token = csrf_token(&staff, &s).await;
        let close = post_form(
            &staff,
            &s.url(&format!("/campaigns/{cid}/status")),
            &pairs(&[("_csrf", &token), ("status", "closed")]),
        )
        .await;
        assert_eq!(close.status, StatusCode::NOT_FOUND, "{n}");
        // Roles without the reports.
        let reviewer = signed_in(&s, "fz_reviewer").await;
        for path in [
            format!("/campaigns/{cid}"),
            format!("/campaigns/{cid}/reports/{}", t.chamber),
            "/campaigns".to_string(),
        ] {
            let p = get(&reviewer, &s.url(&path)).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{n}: {path}");
        }
        let leader = signed_in(&s, "fz_leader").await;
        let lp = get(
            &leader,
            &s.url(&format!("/campaigns/{cid}/reports/{}", t.chamber)),
        )
        .await;
        assert_eq!(lp.status, StatusCode::OK, "{n}");
        assert!(
            !lp.has("#report-form") && !lp.has("#return-form"),
            "{n}: a leader only reads"
        );

        // Managing the campaign: every form needs the token.
        let token = csrf_token(&admin, &s).await;
        let expected = s.url(&format!("/campaigns/{cid}/expected"));
        let off = |tok: &str| {
            pairs(&[
                ("_csrf", tok),
                ("unit", &fz1.to_string()),
                ("expected", "no"),
                ("node", &t.fujian.to_string()),
            ])
        };
        for bad in ["", "0123456789abcdef0123456789abcdef0123456789abcdef"] {
            let r = post_form(&admin, &expected, &off(bad)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}: token {bad:?}");
            assert_eq!(
                r.text("p.message"),
                "页面已过期或来源不明，请刷新页面后重新提交。",
                "{n}"
            );
        }
        let p = get(&admin, &s.url(&format!("/campaigns/{cid}"))).await;
        assert_eq!(cards(&p)[0], "5", "{n}: nothing changed");
        // Taken off the list with the row's button (which submits the page's take-off form
        // with the unit): no longer counted.
        let button = format!("#missing button[form=take-off][name=unit][value='{fz1}']");
        assert!(p.has(&button), "{n}: {}", p.body);
        let mut take_off = p.form("#take-off");
        take_off.push(("unit".into(), fz1.to_string()));
        let r = post_form(&admin, &expected, &take_off).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&admin, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已将该单位移出应报名单", "{n}");
        assert_eq!(cards(&p), vec!["4", "2", "50.0%", "50.0%", "2"], "{n}");
        // A unit outside the campaign cannot be added; one that does not exist is named.
        for (unit, want) in [
            (
                t.xiamen.to_string(),
                "只能把发起单位下属的商会列入应报名单".to_string(),
            ),
            (
                "999999".to_string(),
                "找不到编号为 999999 的单位".to_string(),
            ),
            ("".to_string(), "请填写商会编号".to_string()),
        ] {
            let r = post_form(
                &admin,
                &expected,
                &pairs(&[("_csrf", &token), ("unit", &unit), ("expected", "yes")]),
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}: {unit}");
            assert_eq!(r.text("main > p.error"), want, "{n}: {unit}");
        }
        let r = post_form(
            &admin,
            &expected,
            &pairs(&[
                ("_csrf", &token),
                ("unit", &fz1.to_string()),
                ("expected", "yes"),
            ]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            cards(&get(&admin, &s.url(&r.location())).await)[0],
            "5",
            "{n}"
        );

        // The deadline moves; a bad date is refused.
        let dl = s.url(&format!("/campaigns/{cid}/deadline"));
        let r = post_form(
            &admin,
            &dl,
            &pairs(&[("_csrf", &token), ("deadline", "明年")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let r = post_form(
            &admin,
            &dl,
            &pairs(&[("_csrf", &token), ("deadline", "2000-01-01")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("main > p.error"), "截止日期不能早于开始日期", "{n}");
        let r = post_form(
            &admin,
            &dl,
            &pairs(&[("_csrf", &token), ("deadline", "2098-05-31")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            get(&admin, &s.url(&r.location())).await.text("#deadline"),
            "2098-05-31",
            "{n}"
        );

        // Closed: the chamber can no longer save, and is told why; reopened, it can.
        let status = s.url(&format!("/campaigns/{cid}/status"));
        let r = post_form(
            &admin,
            &status,
            &pairs(&[("_csrf", &token), ("status", "closed")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let p = get(&admin, &s.url(&r.location())).await;
        assert_eq!(p.text("#campaign-status"), "已结束", "{n}");
        let sec = signed_in(&s, "gl_secretary").await;
        let url = report_url(&s, cid, gl2);
        let sp = get(&sec, &url).await;
        assert_eq!(
            sp.status,
            StatusCode::NOT_FOUND,
            "{n}: another chamber's report"
        );
        let own_url = report_url(&s, cid, t.chamber);
        let sp = get(&sec, &own_url).await;
        assert!(!sp.has("#report-form"), "{n}: closed");
        let r = post_form(
            &sec,
            &own_url,
            &pairs(&[
                ("_csrf", &csrf_token(&sec, &s).await),
                ("version", "1"),
                ("action", "save"),
            ]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.text("#refusal"),
            "本年度年报工作已结束，不能再修改或报送",
            "{n}"
        );
        let r = post_form(
            &admin,
            &status,
            &pairs(&[("_csrf", &token), ("status", "open")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        assert_eq!(
            get(&admin, &s.url(&r.location()))
                .await
                .text("#campaign-status"),
            "进行中",
            "{n}"
        );

        // Opening a campaign through the form: the national federation's of the same year
        // skips the units the province already expects.
        let open = s.url("/campaigns");
        let lp = get(&admin, &open).await;
        let form = lp.form("#open-form");
        assert_eq!(
            value_in(&form, "year"),
            shanghui_store::campaigns::usual_year(today()).to_string(),
            "{n}"
        );
        let r = post_form(
            &admin,
            &open,
            &with(
                &form,
                &[("org", &t.fujian.to_string()), ("year", "二〇二四")],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.field_error("year"), "年度“二〇二四”无效", "{n}");
        let r = post_form(
            &admin,
            &open,
            &with(&form, &[("org", &t.fujian.to_string()), ("year", "2024")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("#errors"), "该单位已发起 2024 年度的年报工作", "{n}");
        let r = post_form(
            &admin,
            &open,
            &with(
                &form,
                &[
                    ("org", &t.national.to_string()),
                    ("year", "2024"),
                    ("opens_on", ""),
                    ("deadline", ""),
                ],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&admin, &s.url(&r.location())).await;
        assert_eq!(
            p.text("p.flash"),
            "已发起年报工作：应报 0 个单位；5 个单位已列入同年度其他年报工作，未重复列入",
            "{n}"
        );
        assert_eq!(p.text("#deadline"), "2025-05-31", "{n}: the usual calendar");
        // A chamber cannot open one.
        let r = post_form(
            &admin,
            &open,
            &with(&form, &[("org", &t.chamber.to_string()), ("year", "2023")]),
        )
        .await;
        assert_eq!(r.text("#errors"), "只有工商联可以发起年报工作", "{n}");
    }
}

// -------------------------------------------------------------------------------------------------
// Templates.

/// A workbook of three sheets written cell by cell, for files the template writer would not make.
fn workbook(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn upload(c: &reqwest::Client, s: &Server, url: &str, name: &str, bytes: Vec<u8>) -> Page {
    let token = csrf_token(c, s).await;
    let form = reqwest::multipart::Form::new().text("_csrf", token).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    Page::from(c.post(url).multipart(form).send().await.unwrap()).await
}

async fn versions(s: &Server) -> Vec<(String, i64)> {
    templates::list(&s.db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.form_id, t.version))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_upload_and_authoring() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let c = seed_campaigns(&s.db, &w).await;
        let admin = admin(&s).await;
        let list = get(&admin, &s.url("/templates")).await;
        assert_eq!(list.rows("#versions").len(), 1, "{n}");
        assert_eq!(
            list.rows("#versions")[0][5],
            "2",
            "{n}: used by the two campaigns"
        );

        // A version's items, and its workbook, which reads back to the same template.
        let v1 = get(&admin, &s.url(&format!("/templates/{}", c.template))).await;
        let items = v1.rows("#items");
        assert_eq!(items.len(), sample().items.len(), "{n}");
        let po = items.iter().find(|r| r[1] == "party_org_reason").unwrap();
        assert_eq!(po[6], "party_org = 是".replace('是', "否"), "{n}: {po:?}");
        let xlsx = admin
            .get(s.url(&format!("/templates/{}/template.xlsx", c.template)))
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), StatusCode::OK, "{n}");
        let bytes = xlsx.bytes().await.unwrap().to_vec();
        let back = shanghui_files::read_template_workbook(&bytes, "t.xlsx").expect("reads back");
        assert_eq!(back, sample(), "{n}");

        // A broken workbook: every problem with its place, nothing saved.
        let broken = workbook(&[
            (
                "survey",
                vec![
                    vec!["type", "name", "label::zh", "relevant"],
                    vec!["integr", "members", "会员数", ""],
                    vec!["integer", "Bad Code", "乙", ""],
                    vec!["text", "reason", "", "nosuch = 1"],
                ],
            ),
            ("choices", vec![vec!["list_name", "name", "label::zh"]]),
            (
                "settings",
                vec![
                    vec!["key", "value"],
                    vec!["form_id", "chamber_annual_report"],
                    vec!["version", "2"],
                    vec!["title::zh", "测试"],
                ],
            ),
        ]);
        let r = upload(&admin, &s, &s.url("/templates"), "broken.xlsx", broken).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        let problems = r.rows("#problems");
        let places: Vec<(String, String, String)> = problems
            .iter()
            .map(|p| (p[0].clone(), p[1].clone(), p[3].clone()))
            .collect();
        for want in [
            ("survey", "2", "type"),
            ("survey", "3", "name"),
            ("survey", "4", "label::zh"),
            ("survey", "4", "relevant"),
        ] {
            assert!(
                places.contains(&(want.0.into(), want.1.into(), want.2.into())),
                "{n}: {want:?} not in {problems:?}"
            );
        }
        assert!(r.text("#outcome").starts_with("上传失败：发现"), "{n}");
        assert_eq!(versions(&s).await.len(), 1, "{n}: nothing saved");

        // A good one: the next version.
        let mut t2 = sample();
        t2.version = 2;
        t2.title_zh = "商会年度报告（第二版）".into();
        let good = shanghui_files::write_template_xlsx(&t2, shanghui_core::Lang::ZhCn).unwrap();
        let r = upload(&admin, &s, &s.url("/templates"), "v2.xlsx", good.clone()).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&admin, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已保存为第 2 版", "{n}");
        assert_eq!(
            p.text("#template-version"),
            "chamber_annual_report v2",
            "{n}"
        );
        // The same version again is refused.
        let r = upload(&admin, &s, &s.url("/templates"), "v2.xlsx", good).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.rows("#problems")[0][5],
            "模板 chamber_annual_report 已有第 2 版；请改用新的版本号",
            "{n}"
        );
        assert_eq!(versions(&s).await.len(), 2, "{n}");
        // Staff of a federation may read templates, not change them.
        let staff = signed_in(&s, "fz_staff").await;
        assert_eq!(
            get(&staff, &s.url("/templates")).await.status,
            StatusCode::OK,
            "{n}"
        );
        let r = upload(&staff, &s, &s.url("/templates"), "v3.xlsx", vec![1, 2, 3]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{n}");

        // Authoring in the web: relabel, remove, add; a broken condition is shown on its row.
        let edit_url = s.url(&format!("/templates/{}/edit", c.template));
        let e = get(&admin, &edit_url).await;
        assert_eq!(
            e.text("h1"),
            "新建版本：chamber_annual_report 第 3 版（基于第 1 版）",
            "{n}"
        );
        let form = e.form("#edit-form");
        let row_of = |code: &str| -> usize {
            let k = form
                .iter()
                .find(|(k, v)| k.ends_with(".name") && v == code)
                .unwrap_or_else(|| panic!("no row {code}"))
                .0
                .clone();
            k.trim_start_matches('r')
                .split('.')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let (mt, ch) = (row_of("members_total"), row_of("charity_amount"));
        let blank = sample().items.len() + 1;
        let f = |k: usize, col: &str| format!("r{k}.{col}");
        let mut edited = with(
            &form,
            &[
                (&f(mt, "label::zh"), "会员总数（个）"),
                (&f(ch, "remove"), "1"),
                (&f(blank, "name"), "volunteers"),
                (&f(blank, "type"), "integer"),
                (&f(blank, "label::zh"), "志愿服务人次"),
                (&f(blank, "section"), "service"),
                (&f(blank, "min"), "0"),
                (&f(blank, "relevant"), "nosuch = 1"),
                ("action", "save"),
            ],
        );
        let r = post_form(&admin, &edit_url, &edited).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        let errs = r.text(&format!("#row-errors-{blank}"));
        assert!(errs.starts_with("显示条件："), "{n}: {errs}");
        assert_eq!(versions(&s).await.len(), 2, "{n}: nothing saved");
        // What was typed is kept.
        let kept = r.form("#edit-form");
        assert_eq!(value_in(&kept, &f(blank, "name")), "volunteers", "{n}");
        assert_eq!(
            value_in(&kept, &f(mt, "label::zh")),
            "会员总数（个）",
            "{n}"
        );
        edited = with(&edited, &[(&f(blank, "relevant"), "")]);
        let r = post_form(&admin, &edit_url, &edited).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let p = get(&admin, &s.url(&r.location())).await;
        assert_eq!(p.text("p.flash"), "已保存为第 3 版", "{n}");
        let id3: i64 = r
            .location()
            .trim_start_matches("/templates/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let t3 = templates::get(&s.db, id3).await.unwrap();
        assert_eq!(t3.version, 3, "{n}");
        assert_eq!(
            t3.item("members_total").unwrap().label_zh,
            "会员总数（个）",
            "{n}"
        );
        assert!(t3.item("charity_amount").is_none(), "{n}");
        let v = t3.item("volunteers").unwrap();
        assert_eq!((v.min, v.section.as_str()), (Some(0.0), "service"), "{n}");
        assert_eq!(t3.items.len(), sample().items.len(), "{n}");
        // Everything not edited rides along: conditions, counted numbers, rules.
        let s3 = t3.item("party_org_reason").unwrap();
        assert_eq!(s3, sample().item("party_org_reason").unwrap(), "{n}");
        assert_eq!(t3.item("dues_income"), sample().item("dues_income"), "{n}");
        // The version one came from is unchanged.
        assert_eq!(
            templates::get(&s.db, c.template).await.unwrap(),
            sample(),
            "{n}"
        );
    }
}

// -------------------------------------------------------------------------------------------------
// Batch import.

/// A small CSV reader (quotes, doubled quotes, CRLF, a BOM).
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (quoted, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn write_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::from('\u{feff}');
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// Fills the unit rows of a downloaded layout-(a) CSV (labels, codes, then one row per unit):
/// `fill` gives each unit row's answers by item code.
fn fill_csv(
    rows: &[Vec<String>],
    fill: impl Fn(usize, &[String]) -> Vec<(&'static str, String)>,
) -> Vec<Vec<String>> {
    let codes = rows[1].clone();
    let mut out = rows.to_vec();
    for (i, row) in out.iter_mut().enumerate().skip(2) {
        for (code, v) in fill(i - 2, row) {
            let c = codes
                .iter()
                .position(|x| x == code)
                .unwrap_or_else(|| panic!("no column {code} in {codes:?}"));
            row[c] = v;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_import_through_the_server() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        let gl2 = chamber(&s, t.gulou, "鼓楼区茶业商会", "350102").await;
        let gl3 = chamber(&s, t.gulou, "鼓楼区电子商会", "350102").await;
        let cid = open_campaign(&s.db, t.fuzhou, REPORT_YEAR).await;
        let staff = signed_in(&s, "fz_staff").await;

        let d = get(&staff, &s.url(&format!("/campaigns/{cid}"))).await;
        let import_url = s.url(&d.attr("#import-link", "href"));
        let page = get(&staff, &import_url).await;
        assert_eq!(page.status, StatusCode::OK, "{n}");
        assert_eq!(
            page.text("#downloads h2"),
            "下载预填文件（福州市工商联）",
            "{n}"
        );

        // The pre-filled CSV: a row per expected unit, in tree order.
        let csv = staff
            .get(s.url(&page.attr("#download-csv", "href")))
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status(), StatusCode::OK, "{n}");
        let rows = read_csv(&csv.text().await.unwrap());
        assert_eq!(rows[1][..3], ["id", "name", "uscc"], "{n}: {:?}", rows[1]);
        let ids: Vec<String> = rows[2..].iter().map(|r| r[0].clone()).collect();
        assert_eq!(
            ids,
            vec![t.chamber.to_string(), gl2.to_string(), gl3.to_string()],
            "{n}"
        );
        // Both workbook layouts download.
        for link in ["#download-rows", "#download-sheets"] {
            let r = staff
                .get(s.url(&page.attr(link, "href")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{n}: {link}");
            assert_eq!(
                r.headers()["content-type"],
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "{n}"
            );
        }

        // A messy file: unreadable values and an empty required item, each with its place;
        // nothing imported.
        let messy = fill_csv(&rows, |i, _| {
            let mut a = complete(40 + i as i64);
            match i {
                0 => a.push(("members_total", "四十".into())),
                1 => a.retain(|(k, _)| *k != "general_assembly"),
                _ => a.push(("last_reelection", "去年".into())),
            }
            a
        });
        let up = |bytes: Vec<u8>, name: &'static str| {
            let (staff, s) = (staff.clone(), &s);
            let url = s.url(&format!("/campaigns/{cid}/import"));
            async move { upload(&staff, s, &url, name, bytes).await }
        };
        let r = up(write_csv(&messy), "年报.csv").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        let problems = r.rows("#problems");
        assert_eq!(problems.len(), 3, "{n}: {problems:?}");
        let rows_named: Vec<&str> = problems.iter().map(|p| p[1].as_str()).collect();
        assert_eq!(rows_named, vec!["3", "4", "5"], "{n}: {problems:?}");
        assert!(problems.iter().any(|p| p[4] == "四十"), "{n}: {problems:?}");
        assert!(
            r.text("#outcome").starts_with("导入失败：发现 3 个问题"),
            "{n}"
        );
        let rates = |s: &Server| {
            let db = s.db.clone();
            async move {
                let c = shanghui_store::campaigns::get(&db, &Scope::all(), cid)
                    .await
                    .unwrap();
                let node = shanghui_store::orgs::require(&db, &Scope::all(), t.fuzhou)
                    .await
                    .unwrap();
                let r = shanghui_store::campaigns::rates(&db, &Scope::all(), &c, &node)
                    .await
                    .unwrap()
                    .rates;
                (r.expected, r.submitted)
            }
        };
        assert_eq!(rates(&s).await, (3, 0), "{n}: nothing imported");

        // Readable values, but units the campaign does not have: the store refuses the rows,
        // shown with their sheet and row.
        let mut strays = fill_csv(&rows, |i, _| complete(40 + i as i64));
        strays[3][0] = String::new();
        strays[3][1] = "不存在的商会".into();
        strays[4][0] = w.xm_chamber.to_string();
        let r = up(write_csv(&strays), "年报.csv").await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        let problems = r.rows("#problems");
        assert_eq!(problems.len(), 2, "{n}: {problems:?}");
        assert_eq!(
            problems[0][0], "年报",
            "{n}: the sheet, as Excel names a CSV file"
        );
        assert_eq!(problems[0][1], "4", "{n}");
        assert!(problems[0][5].contains("不存在的商会"), "{n}: {problems:?}");
        assert_eq!(problems[1][1], "5", "{n}");
        assert_eq!(rates(&s).await, (3, 0), "{n}: nothing imported");

        // The good file: imported; again: unchanged.
        let good = write_csv(&fill_csv(&rows, |i, _| complete(40 + i as i64)));
        let r = up(good.clone(), "年报.csv").await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.body);
        assert_eq!(
            r.text("#outcome"),
            "导入完成：新增 3 份，更新 0 份，未变化 0 份",
            "{n}"
        );
        assert_eq!(rates(&s).await, (3, 3), "{n}");
        let r = up(good, "年报.csv").await;
        assert_eq!(
            r.text("#outcome"),
            "导入完成：新增 0 份，更新 0 份，未变化 3 份",
            "{n}"
        );
        let st = stored(&s, cid, gl2).await;
        assert_eq!(
            (st.status, int(&st, "members_total")),
            (Some(ReportStatus::Submitted), Some(41)),
            "{n}"
        );
        let h = get(&staff, &report_url(&s, cid, gl2))
            .await
            .rows("#report-history");
        assert_eq!(h.len(), 1, "{n}: {h:?}");
        assert!(
            h[0][2].starts_with("批量导入 统一社会信用代码：— → 无"),
            "{n}: {h:?}"
        );

        // The one-sheet-per-unit workbook now carries the answers, and reads back to them.
        let bytes = staff
            .get(s.url(&format!(
                "/campaigns/{cid}/reports.xlsx?layout=sheets&node={}",
                t.gulou
            )))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let back = shanghui_files::read_reports(&bytes, "r.xlsx", &sample()).expect("reads back");
        assert_eq!(back.len(), 3, "{n}");
        assert_eq!(back[1].id, Some(gl2), "{n}");
        assert_eq!(back[1].answers, st.answers, "{n}");
        // A node outside the reader's scope is not found.
        let r = get(
            &staff,
            &s.url(&format!("/campaigns/{cid}/import?node={}", t.xiamen)),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{n}");

        // One sheet per unit holds 99 units: more are refused with a page that says why.
        for i in 0..97 {
            chamber(&s, t.gulou, &format!("鼓楼区第{i}商会"), "350102").await;
        }
        let c23 = open_campaign(&s.db, t.fuzhou, REPORT_YEAR - 1).await;
        let r = get(
            &staff,
            &s.url(&format!("/campaigns/{c23}/reports.xlsx?layout=sheets")),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(r.text("h1"), "无法完成操作", "{n}");
        assert_eq!(
            r.text("#refusal li"),
            "本范围有 100 个应报单位，“每个单位一个工作表”最多 99 个；请选择下级单位，或使用“每行一个单位”的版式。",
            "{n}"
        );
        let rows = staff
            .get(s.url(&format!("/campaigns/{c23}/reports.xlsx?layout=rows")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            rows.status(),
            StatusCode::OK,
            "{n}: one row per unit has no such limit"
        );
    }
}
