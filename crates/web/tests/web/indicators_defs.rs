//! The coverage indicators' definitions and targets (issue 8) end to end, on every backend: an
//! indicator added through the form (a bad condition refused with its position next to its
//! field, nothing saved; fixed, saved, listed and audited; unchanged, nothing saved), a built-in
//! code refused, a target set and shown, the workbook downloaded and uploaded again (nothing
//! changes), changed in it (saved), broken (every problem with its sheet, row and column, nothing
//! saved), and who may read and change them.

use reqwest::{Client, StatusCode};
use shanghui_core::Lang;
use shanghui_core::indicator::{Direction, Indicator, Measure, Target, builtin_indicators};
use shanghui_core::org::FederationLevel;
use shanghui_store::indicators as store;

use crate::support::*;

const LIST: &str = "/indicators/defs";
const EDIT: &str = "/indicators/defs/edit";

async fn upload(c: &Client, s: &Server, name: &str, bytes: Vec<u8>) -> Page {
    let token = csrf_token(c, s).await;
    let form = reqwest::multipart::Form::new().text("_csrf", token).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    Page::from(
        c.post(s.url("/indicators/defs/import"))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn staff_codes(s: &Server) -> Vec<String> {
    store::stored(&s.db)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, i)| i.code)
        .collect()
}

/// Park chambers among chambers: what the form is filled in with.
const PARK: &[(&str, &str)] = &[
    ("code", "park_chamber_share"),
    ("name::zh", "园区商会占比"),
    ("name::en", "Share of park chambers"),
    ("compare", "ratio"),
    ("factor", "100"),
    ("unit", "%"),
    ("numerator.kind", "units"),
    (
        "numerator.filter",
        "org.kind = 商会 and org.category = 园区",
    ),
    ("denominator.kind", "units"),
    ("denominator.filter", "org.kind = 商会"),
    ("description::zh", "园区商会数 ÷ 商会数"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicator_added_through_the_form_with_positions_saved_and_audited() {
    for s in servers().await {
        let n = s.name();
        let _w = seed_world(&s.db).await;
        let admin = signed_in(&s, "fz_admin").await;

        // Every built-in, marked as a sample, with how it is counted.
        let list = get(&admin, &s.url(LIST)).await;
        assert_eq!(list.status, StatusCode::OK, "{n}: {}", list.body);
        let builtins = builtin_indicators();
        assert_eq!(list.rows("#indicators").len(), builtins.len(), "{n}");
        assert_eq!(
            list.texts("#indicators tr.builtin .builtin-tag").len(),
            builtins.len(),
            "{n}"
        );
        assert_eq!(
            list.text("#ind-party_org_rate .builtin-tag"),
            "内置示例",
            "{n}"
        );
        assert!(
            list.text("#ind-township_chamber_coverage .numerator")
                .starts_with("区划数 · 区划层级： 乡级"),
            "{n}: {}",
            list.text("#ind-township_chamber_coverage .numerator")
        );
        assert_eq!(list.text("#ind-party_org_rate .factor"), "100 %", "{n}");
        assert!(
            list.has("#new-indicator") && list.has("#upload-form"),
            "{n}"
        );
        assert!(
            !list.has("#ind-party_org_rate .retire-form"),
            "{n}: built-ins stay"
        );

        // A misspelt field in a condition: the message with its position next to the field, a
        // caret under it, what was entered kept, nothing saved.
        let e = get(&admin, &s.url(EDIT)).await;
        assert_eq!(e.status, StatusCode::OK, "{n}: {}", e.body);
        let form = e.form("#indicator-form");
        assert_eq!(value_in(&form, "numerator.kind"), "units", "{n}");
        let filled = with(&form, PARK);
        let bad = "org.kind = 商会 and org.categry = 园区";
        let r = post_form(
            &admin,
            &s.url(EDIT),
            &with(&filled, &[("numerator.filter", bad)]),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{n}: {}",
            r.body
        );
        let err = r.field_error("numerator_filter");
        assert!(
            err.starts_with("第 19 个字符处：") && err.contains("org.category"),
            "{n}: {err}"
        );
        assert_eq!(r.text("#caret-numerator_filter mark"), "o", "{n}");
        assert_eq!(r.error_ids(), ["err-numerator_filter"], "{n}");
        assert_eq!(
            value_in(&r.form("#indicator-form"), "numerator.filter"),
            bad,
            "{n}"
        );
        // A report item in a condition on units, and an item that cannot be summed: each next
        // to its own field.
        let r = post_form(
            &admin,
            &s.url(EDIT),
            &with(
                &filled,
                &[
                    ("denominator.filter", "members_total > 0"),
                    ("numerator.kind", "item_sum"),
                    ("numerator.item", "members_totl"),
                    ("numerator.filter", ""),
                ],
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.field_error("denominator_filter")
                .contains("org.members_total"),
            "{n}: {}",
            r.field_error("denominator_filter")
        );
        assert!(
            r.field_error("numerator_item").contains("members_total"),
            "{n}: {}",
            r.field_error("numerator_item")
        );
        assert!(staff_codes(&s).await.is_empty(), "{n}: nothing saved");

        // Fixed: saved, listed, audited.
        let r = post_form(&admin, &s.url(EDIT), &filled).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(list.text("p.flash"), "已保存指标 park_chamber_share", "{n}");
        assert_eq!(
            list.text("#ind-park_chamber_share .numerator"),
            "单位数 · 条件： org.kind = 商会 and org.category = 园区",
            "{n}"
        );
        assert!(!list.has("#ind-park_chamber_share .builtin-tag"), "{n}");
        assert_eq!(staff_codes(&s).await, ["park_chamber_share"], "{n}");
        let saved = store::get(&s.db, "park_chamber_share").await.unwrap();
        assert_eq!(
            saved.denominator,
            Some(Measure::Units {
                filter: "org.kind = 商会".into()
            }),
            "{n}"
        );
        let log = audit_log(&s.db, Some("indicator.save")).await;
        assert_eq!(log.len(), 1, "{n}");

        // Saved again as it is: nothing saved, and the flash says so.
        let e = get(&admin, &s.url(&format!("{EDIT}?code=park_chamber_share"))).await;
        assert_eq!(e.attr("#f-code", "readonly"), "", "{n}");
        let r = post_form(&admin, &s.url(EDIT), &e.form("#indicator-form")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            get(&admin, &s.url(&r.location())).await.text("p.flash"),
            "指标 park_chamber_share 没有变化，未保存",
            "{n}"
        );
        assert_eq!(
            audit_log(&s.db, Some("indicator.save")).await.len(),
            1,
            "{n}"
        );
        // A new indicator cannot take an existing code.
        let r = post_form(&admin, &s.url(EDIT), &filled).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert!(
            r.field_error("code").contains("已经存在"),
            "{n}: {}",
            r.field_error("code")
        );

        // A built-in's code is refused with a message; its page offers it as a model.
        let m = get(&admin, &s.url(&format!("{EDIT}?code=party_org_rate"))).await;
        assert_eq!(m.status, StatusCode::OK, "{n}");
        assert!(m.text("#notice").contains("内置指标"), "{n}");
        let r = post_form(&admin, &s.url(EDIT), &m.form("#indicator-form")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            r.field_error("code"),
            "指标代码“party_org_rate”是内置指标的代码，请换一个代码。",
            "{n}"
        );
        assert_eq!(staff_codes(&s).await, ["park_chamber_share"], "{n}");
        let m = get(&admin, &s.url(&format!("{EDIT}?from=party_org_rate"))).await;
        assert_eq!(value_in(&m.form("#indicator-form"), "code"), "", "{n}");

        // Retired: gone from the list, audited.
        let retire = list.form("#ind-park_chamber_share form.retire-form");
        let r = post_form(&admin, &s.url("/indicators/defs/retire"), &retire).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(list.text("p.flash"), "已停用指标 park_chamber_share", "{n}");
        assert!(!list.has("#ind-park_chamber_share"), "{n}");
        assert!(staff_codes(&s).await.is_empty(), "{n}");
        assert_eq!(
            audit_log(&s.db, Some("indicator.retire")).await.len(),
            1,
            "{n}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_and_the_workbook_round_trip() {
    for s in servers().await {
        let n = s.name();
        let _w = seed_world(&s.db).await;
        let admin = signed_in(&s, "fz_admin").await;

        // A target set through the form, shown in the table.
        let list = get(&admin, &s.url(LIST)).await;
        assert!(list.has("#no-targets"), "{n}");
        let tf = with(
            &list.form("#target-form"),
            &[
                ("indicator", "township_chamber_coverage"),
                ("year", "2025"),
                ("level", "county"),
                ("direction", "at_least"),
                ("value", "80"),
            ],
        );
        let r = post_form(&admin, &s.url("/indicators/targets"), &tf).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let list = get(&admin, &s.url(&r.location())).await;
        assert_eq!(
            list.text("p.flash"),
            "已设定指标 township_chamber_coverage 2025 年的目标",
            "{n}"
        );
        assert_eq!(
            list.rows("#targets"),
            [[
                "township_chamber_coverage 乡镇（街道）商会覆盖率",
                "2025",
                "县级",
                "≥",
                "80%"
            ]],
            "{n}"
        );
        // For every level.
        let r = post_form(
            &admin,
            &s.url("/indicators/targets"),
            &with(&tf, &[("level", ""), ("value", "60")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}");
        let list = get(&admin, &s.url(&r.location())).await;
        assert!(
            list.rows("#targets")
                .iter()
                .any(|r| r[2] == "所有层级" && r[4] == "60%"),
            "{n}: {:?}",
            list.rows("#targets")
        );
        assert_eq!(
            audit_log(&s.db, Some("indicator.target")).await.len(),
            2,
            "{n}"
        );
        // A value that is not a number and a year out of range: said by the form, kept, not set.
        let r = post_form(
            &admin,
            &s.url("/indicators/targets"),
            &with(&tf, &[("year", "1999"), ("value", "八十")]),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let errs = r.texts("#target-errors p");
        assert_eq!(errs.len(), 2, "{n}: {errs:?}");
        assert!(
            errs[0].starts_with("年度：") && errs[0].contains("1999"),
            "{n}: {errs:?}"
        );
        assert!(
            errs[1].starts_with("目标值：") && errs[1].contains("八十"),
            "{n}: {errs:?}"
        );
        assert_eq!(value_in(&r.form("#target-form"), "value"), "八十", "{n}");
        assert_eq!(store::targets(&s.db).await.unwrap().len(), 2, "{n}");

        // The workbook reads back to every indicator and target; uploaded again, nothing changes.
        let e = get(&admin, &s.url(EDIT)).await;
        let r = post_form(
            &admin,
            &s.url(EDIT),
            &with(&e.form("#indicator-form"), PARK),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        let resp = admin
            .get(s.url("/indicators/defs.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("spreadsheetml"),
            "{n}"
        );
        let bytes = resp.bytes().await.unwrap().to_vec();
        let (inds, targets) =
            shanghui_files::read_indicators_workbook(&bytes, "i.xlsx").expect("reads");
        let all: Vec<Indicator> = store::all(&s.db)
            .await
            .unwrap()
            .into_iter()
            .map(|i| Indicator {
                builtin: false,
                ..i
            })
            .collect();
        assert_eq!(inds, all, "{n}");
        assert_eq!(targets, store::targets(&s.db).await.unwrap(), "{n}");
        let saves = audit_log(&s.db, Some("indicator.save")).await.len();
        let r = upload(&admin, &s, "指标.xlsx", bytes).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            get(&admin, &s.url(&r.location())).await.text("p.flash"),
            "指标工作簿已保存：0 个指标有变化，设定 0 个目标",
            "{n}"
        );
        assert_eq!(
            audit_log(&s.db, Some("indicator.save")).await.len(),
            saves,
            "{n}"
        );
        assert_eq!(
            audit_log(&s.db, Some("indicator.target")).await.len(),
            2,
            "{n}"
        );

        // Changed in the workbook: a new indicator and a new target, saved.
        let mut changed = all.clone();
        changed.push(Indicator {
            code: "hometown_share".into(),
            name_zh: "异地商会占比".into(),
            name_en: "Share of hometown chambers".into(),
            numerator: Measure::Units {
                filter: "org.kind = 商会 and org.category = 异地".into(),
            },
            ..changed.last().unwrap().clone()
        });
        let mut tgs = store::targets(&s.db).await.unwrap();
        tgs.push(Target {
            indicator: "hometown_share".into(),
            year: 2025,
            level: Some(FederationLevel::City),
            value: 30.0,
            direction: Direction::AtLeast,
        });
        let bytes = shanghui_files::write_indicators_xlsx(&changed, &tgs, Lang::En).unwrap();
        let r = upload(&admin, &s, "indicators.xlsx", bytes).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{n}: {}", r.body);
        assert_eq!(
            get(&admin, &s.url(&r.location())).await.text("p.flash"),
            "指标工作簿已保存：1 个指标有变化，设定 1 个目标",
            "{n}"
        );
        assert_eq!(
            staff_codes(&s).await,
            ["hometown_share", "park_chamber_share"],
            "{n}"
        );
        assert_eq!(store::targets(&s.db).await.unwrap().len(), 3, "{n}");

        // Broken: a misspelt field in a condition, a target of no indicator, a built-in changed.
        // Every problem with its sheet, row and column; nothing saved.
        let mut broken = changed.clone();
        for i in broken.iter_mut() {
            match i.code.as_str() {
                "hometown_share" => {
                    i.numerator = Measure::Units {
                        filter: "org.kid = 商会".into(),
                    };
                    i.name_zh = "改过的名称".into();
                }
                "party_org_rate" => i.factor = 1000.0,
                _ => {}
            }
        }
        let mut bad_targets = tgs.clone();
        bad_targets.push(Target {
            indicator: "township_chamber_coverag".into(),
            year: 2026,
            level: None,
            value: 90.0,
            direction: Direction::AtLeast,
        });
        let bytes =
            shanghui_files::write_indicators_xlsx(&broken, &bad_targets, Lang::ZhCn).unwrap();
        let r = upload(&admin, &s, "指标.xlsx", bytes.clone()).await;
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
        // The hometown indicator is the row after the built-ins and the park share.
        let row = (builtins_len() + 2 + 1).to_string();
        let p = &problems[0];
        assert_eq!(
            (p[0].as_str(), p[1].as_str(), p[2].as_str(), p[3].as_str()),
            ("指标", row.as_str(), "H", "numerator.filter"),
            "{n}: {problems:?}"
        );
        assert_eq!(p[4], "org.kid = 商会", "{n}");
        assert!(p[5].starts_with("第 1 个字符处："), "{n}: {p:?}");
        let t = &problems[1];
        assert_eq!(
            (t[0].as_str(), t[1].as_str(), t[2].as_str()),
            ("目标", "5", "A"),
            "{n}: {problems:?}"
        );
        assert!(t[5].contains("township_chamber_coverage"), "{n}: {t:?}");
        // Read cleanly, the built-in changed is refused too, naming it.
        let broken: Vec<Indicator> = changed
            .iter()
            .map(|i| match i.code.as_str() {
                "party_org_rate" => Indicator {
                    factor: 1000.0,
                    ..i.clone()
                },
                _ => i.clone(),
            })
            .collect();
        let bytes = shanghui_files::write_indicators_xlsx(&broken, &tgs, Lang::ZhCn).unwrap();
        let r = upload(&admin, &s, "指标.xlsx", bytes).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let problems = r.rows("#problems");
        assert_eq!(problems.len(), 1, "{n}: {problems:?}");
        assert_eq!(problems[0][0], "指标", "{n}");
        assert_eq!(problems[0][3], "code", "{n}");
        assert!(
            problems[0][5].contains("party_org_rate 是内置指标"),
            "{n}: {problems:?}"
        );
        let hometown = store::get(&s.db, "hometown_share").await.unwrap();
        assert_eq!(hometown.name_zh, "异地商会占比", "{n}: nothing saved");
        assert_eq!(store::targets(&s.db).await.unwrap().len(), 3, "{n}");

        // No file.
        let r = Page::from(
            admin
                .post(s.url("/indicators/defs/import"))
                .multipart(
                    reqwest::multipart::Form::new().text("_csrf", csrf_token(&admin, &s).await),
                )
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
    }
}

fn builtins_len() -> usize {
    builtin_indicators().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_read_and_only_managers_change() {
    for s in servers().await {
        let n = s.name();
        let _w = seed_world(&s.db).await;
        let admin = signed_in(&s, "fz_admin").await;
        let e = get(&admin, &s.url(EDIT)).await;
        let filled = with(&e.form("#indicator-form"), PARK);
        assert_eq!(
            post_form(&admin, &s.url(EDIT), &filled).await.status,
            StatusCode::SEE_OTHER,
            "{n}"
        );
        let admin_list = get(&admin, &s.url(LIST)).await;
        let retire = admin_list.form("#ind-park_chamber_share form.retire-form");
        let target = with(
            &admin_list.form("#target-form"),
            &[("indicator", "party_org_rate"), ("value", "90")],
        );

        // A leader reads everything, the workbook too, but changes nothing.
        let leader = signed_in(&s, "fz_leader").await;
        let l = get(&leader, &s.url(LIST)).await;
        assert_eq!(l.status, StatusCode::OK, "{n}");
        assert!(l.has("#ind-park_chamber_share"), "{n}");
        assert!(
            !l.has("#new-indicator")
                && !l.has("#target-form")
                && !l.has("#upload-form")
                && !l.has("form.retire-form")
                && !l.has("a.edit-link"),
            "{n}"
        );
        let resp = leader
            .get(s.url("/indicators/defs.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{n}");
        let bytes = resp.bytes().await.unwrap().to_vec();
        assert_eq!(
            get(&leader, &s.url(EDIT)).await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
        for (path, form) in [
            (EDIT, &filled),
            ("/indicators/defs/retire", &retire),
            ("/indicators/targets", &target),
        ] {
            let token = csrf_token(&leader, &s).await;
            let form = with(form, &[("_csrf", token.as_str())]);
            assert_eq!(
                post_form(&leader, &s.url(path), &form).await.status,
                StatusCode::FORBIDDEN,
                "{n}: {path}"
            );
        }
        assert_eq!(
            upload(&leader, &s, "指标.xlsx", bytes).await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );
        assert_eq!(staff_codes(&s).await, ["park_chamber_share"], "{n}");
        assert!(store::targets(&s.db).await.unwrap().is_empty(), "{n}");

        // Staff of another city read the same definitions: they are shared, like rules.
        let outside = signed_in(&s, "xm_staff").await;
        let o = get(&outside, &s.url(LIST)).await;
        assert_eq!(o.status, StatusCode::OK, "{n}");
        assert_eq!(o.rows("#indicators"), l.rows("#indicators"), "{n}");
        // A chamber's secretary does not read them.
        let secretary = signed_in(&s, "gl_secretary").await;
        assert_eq!(
            get(&secretary, &s.url(LIST)).await.status,
            StatusCode::FORBIDDEN,
            "{n}"
        );

        // In English, for an English reader.
        let en = get(&admin, &s.url("/lang/en")).await;
        assert!(en.status.is_success() || en.status.is_redirection(), "{n}");
        let l = get(&admin, &s.url(LIST)).await;
        assert_eq!(
            l.text("#ind-party_org_rate .builtin-tag"),
            "Built-in sample",
            "{n}"
        );
        assert_eq!(l.text("h1"), "Coverage indicators and targets", "{n}");
    }
}
