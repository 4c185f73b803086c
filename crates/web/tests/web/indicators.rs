//! The coverage dashboard end to end, on every backend: a hand-built county with known answers
//! (a street chamber, a dissolved one, a chamber without a party organisation, one that moved
//! away after the year), the cards with a target, the drill-down from the city to the county,
//! who misses (linking to the units), and the export that recounts the rate.

use calamine::{Data, Reader};
use chrono::NaiveDate;
use reqwest::StatusCode;
use shanghui_core::indicator::{Direction, Target};
use shanghui_core::{DivisionIndex, DivisionLevel, Field, Scope};
use shanghui_store::{Actor, indicators, registry};

use crate::support::*;

pub(crate) async fn chamber(s: &Server, parent: i64, fields: &[(Field, &str)]) -> i64 {
    let d = DivisionIndex::shipped();
    let mut all = vec![(Field::Kind, "商会"), (Field::FoundedOn, "2010-01-01")];
    all.extend_from_slice(fields);
    let dr = draft(&d, &all);
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

/// A street chamber on 鼓东街道 (350102001) with a party organisation.
pub(crate) async fn street_chamber(s: &Server, parent: i64) -> i64 {
    chamber(
        s,
        parent,
        &[
            (Field::Name, "鼓东街道商会"),
            (Field::Category, "街道"),
            (Field::DivisionCode, "350102001"),
            (Field::PartyOrg, "是"),
            (Field::PartyOrgForm, "党支部"),
        ],
    )
    .await
}

/// 鼓楼区电子商会: an industry chamber without a party organisation.
pub(crate) async fn chamber_without_party(s: &Server, parent: i64) -> i64 {
    chamber(
        s,
        parent,
        &[
            (Field::Name, "鼓楼区电子商会"),
            (Field::Category, "行业"),
            (Field::DivisionCode, "350102"),
            (Field::PartyOrg, "否"),
            (Field::PartyOrgReason, "党员人数不足"),
        ],
    )
    .await
}

/// An industry chamber of 鼓楼区 with a party organisation.
pub(crate) async fn chamber_with_party(s: &Server, parent: i64, name: &str) -> i64 {
    chamber(
        s,
        parent,
        &[
            (Field::Name, name),
            (Field::Category, "行业"),
            (Field::DivisionCode, "350102"),
            (Field::PartyOrg, "是"),
            (Field::PartyOrgForm, "党支部"),
        ],
    )
    .await
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_with_known_answers_drill_down_and_recount() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        let a = Actor::system("test");
        let all = Scope::all();
        // 鼓楼区 (350102, ten streets): 鼓楼区餐饮商会 (seeded, party organisation unknown), a
        // street chamber with one, an industry chamber without, a street chamber dissolved
        // during the year, and one that moved to 福州 after the year.
        let street = street_chamber(&s, t.gulou).await;
        let without = chamber_without_party(&s, t.gulou).await;
        let gone = chamber(
            &s,
            t.gulou,
            &[
                (Field::Name, "鼓西街道商会"),
                (Field::Category, "街道"),
                (Field::DivisionCode, "350102002"),
                (Field::PartyOrg, "是"),
                (Field::PartyOrgForm, "党支部"),
            ],
        )
        .await;
        registry::dissolve(&s.db, &all, gone, day(2024, 6, 1), &a)
            .await
            .unwrap();
        let moved = chamber_with_party(&s, t.gulou, "鼓楼区茶业商会").await;
        registry::move_to(&s.db, &all, moved, t.fuzhou, day(2025, 3, 1), &a)
            .await
            .unwrap();
        let c = seed_campaigns(&s.db, &w).await;
        indicators::set_target(
            &s.db,
            &Target {
                indicator: "party_org_rate".into(),
                year: REPORT_YEAR,
                level: None,
                value: 90.0,
                direction: Direction::AtLeast,
            },
            &a,
        )
        .await
        .unwrap();

        let staff = signed_in(&s, "fz_staff").await;
        let home = get(&staff, &s.url("/")).await;
        let url = s.url(&home.attr("#nav-indicators", "href"));
        let p = get(&staff, &url).await;
        assert_eq!(p.status, StatusCode::OK, "{n}: {}", p.body);
        assert_eq!(p.text("#node-name"), "福州市工商联", "{n}");
        assert_eq!(
            p.attr("#f-year option[selected]", "value"),
            REPORT_YEAR.to_string()
        );
        // 福州: the chambers of 鼓楼区 at the end of 2024 (the moved one still there), none
        // directly below the city: 2 of 4 with a party organisation.
        assert_eq!(p.text("#card-party_org_rate .value"), "50.0%", "{n}");
        assert_eq!(p.text("#card-party_org_rate .counts"), "2 / 4", "{n}");
        assert!(
            p.text("#card-party_org_rate .target").contains("90.0%"),
            "{n}: the target"
        );
        assert!(p.has("#card-party_org_rate .target.missed"), "{n}");
        assert!(p.has("#indicator-trend polyline"), "{n}: the trend");

        // Drill down to 鼓楼区 from the children.
        let link = p
            .texts("#by-child a")
            .iter()
            .position(|x| x == "鼓楼区工商联")
            .expect("鼓楼区 among the children");
        let doc = scraper::Html::parse_document(&p.body);
        let href = doc
            .select(&sel("#by-child a"))
            .nth(link)
            .unwrap()
            .value()
            .attr("href")
            .unwrap()
            .to_string();
        let rows = p.rows("#by-child");
        assert_eq!(rows[link][2..], ["2", "4", "50.0%"], "{n}");
        let g = get(&staff, &s.url(&href)).await;
        assert_eq!(g.text("#node-name"), "鼓楼区工商联", "{n}");
        // Who misses: 鼓楼区餐饮商会 (unknown) and 鼓楼区电子商会 (no), each linking to its page.
        let missing = g.rows("#missing");
        let names: Vec<&str> = missing.iter().map(|r| r[1].as_str()).collect();
        assert_eq!(names.len(), 2, "{n}: {names:?}");
        assert!(
            names.contains(&"鼓楼区餐饮商会") && names.contains(&"鼓楼区电子商会"),
            "{n}"
        );
        assert!(
            g.body.contains(&format!("href=\"/orgs/{without}\"")),
            "{n}: the unit's page"
        );

        // Township coverage: one street of 鼓楼区's ten has a (live) street chamber.
        let streets = DivisionIndex::shipped()
            .iter()
            .filter(|d| {
                d.level == DivisionLevel::Township
                    && d.code.as_str().starts_with("350102")
                    && !d.statistical_only
                    && !d.placeholder
            })
            .count();
        let tc_url = s.url(&format!(
            "/indicators?node={}&year={REPORT_YEAR}&code=township_chamber_coverage",
            t.gulou
        ));
        let tc = get(&staff, &tc_url).await;
        assert_eq!(
            tc.text("#card-township_chamber_coverage .counts"),
            format!("1 / {streets}"),
            "{n}"
        );
        assert_eq!(tc.rows("#missing").len(), streets - 1, "{n}");
        assert!(
            !tc.rows("#missing").iter().any(|r| r[0] == "350102001"),
            "{n}: the covered street is not missing"
        );
        let _ = street;

        // A growth indicator: a value against last year, no list of who misses.
        let gr = get(
            &staff,
            &s.url(&format!(
                "/indicators?node={}&year={REPORT_YEAR}&code=chamber_growth",
                t.gulou
            )),
        )
        .await;
        assert_eq!(gr.status, StatusCode::OK, "{n}");
        assert_eq!(
            gr.text("#missing-note"),
            "增长率指标没有未达到名单。",
            "{n}"
        );
        // An unknown indicator or year is not found.
        let bad = get(&staff, &s.url("/indicators?code=no_such_indicator")).await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND, "{n}");
        let bad = get(&staff, &s.url("/indicators?year=abc")).await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND, "{n}");

        // The export recounts: denominator − missing = numerator.
        let x = staff
            .get(s.url(&g.attr("#export-link", "href")))
            .send()
            .await
            .unwrap();
        assert_eq!(x.status(), StatusCode::OK, "{n}");
        let bytes = x.bytes().await.unwrap().to_vec();
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let figures: Vec<Vec<Data>> = wb
            .worksheet_range("指标值")
            .unwrap()
            .rows()
            .map(|r| r.to_vec())
            .collect();
        let node_row = &figures[1];
        assert_eq!(node_row[1], Data::String("鼓楼区工商联".into()), "{n}");
        let num: f64 = node_row[3].to_string().parse().unwrap();
        let den: f64 = node_row[4].to_string().parse().unwrap();
        let missing_rows = wb.worksheet_range("未达到名单").unwrap().rows().count() - 1;
        assert_eq!(den - missing_rows as f64, num, "{n}: recount");
        assert_eq!(
            (num, den),
            (2.0, 4.0),
            "{n}: the moved chamber counts where it was at the end of the year"
        );

        // A registry change is counted at once: the kept registry reads the changed unit from
        // the change log, the kept years are patched and the kept counts moved, at every level.
        let flowers = chamber_with_party(&s, t.gulou, "鼓楼区花卉商会").await;
        let g = get(&staff, &s.url(&href)).await;
        assert_eq!(g.text("#card-party_org_rate .counts"), "3 / 5", "{n}");
        let f = get(&staff, &url).await;
        assert_eq!(
            f.text("#card-party_org_rate .counts"),
            "3 / 5",
            "{n}: the city"
        );
        // A street chamber in a second street: covered at once, and no longer missing.
        let second = DivisionIndex::shipped()
            .iter()
            .find(|d| {
                d.level == DivisionLevel::Township
                    && d.code.as_str().starts_with("350102")
                    && d.code.as_str() != "350102001"
                    && !d.statistical_only
                    && !d.placeholder
            })
            .map(|d| d.code.as_str().to_string())
            .unwrap();
        chamber(
            &s,
            t.gulou,
            &[
                (Field::Name, "鼓楼区第二街道商会"),
                (Field::Category, "街道"),
                (Field::DivisionCode, &second),
            ],
        )
        .await;
        let tc = get(&staff, &tc_url).await;
        assert_eq!(
            tc.text("#card-township_chamber_coverage .counts"),
            format!("2 / {streets}"),
            "{n}"
        );
        assert!(
            !tc.rows("#missing").iter().any(|r| r[0] == second),
            "{n}: the second street is covered"
        );
        // Dissolved within the year: counted out again, in the county and the city.
        registry::dissolve(&s.db, &all, flowers, day(REPORT_YEAR, 6, 1), &a)
            .await
            .unwrap();
        let g = get(&staff, &s.url(&href)).await;
        assert_eq!(g.text("#card-party_org_rate .counts"), "2 / 5", "{n}");
        let f = get(&staff, &url).await;
        assert_eq!(
            f.text("#card-party_org_rate .counts"),
            "2 / 5",
            "{n}: the city"
        );

        // A report submitted is counted at once too (the kept reports patched from the log).
        let rr_url = s.url(&format!(
            "/indicators?node={}&year={REPORT_YEAR}&code=reporting_rate",
            t.fuzhou
        ));
        let counts = |p: &Page| -> (u32, u32) {
            let text = p.text("#card-reporting_rate .counts");
            let (a, b) = text.split_once(" / ").expect("a / b");
            (a.parse().unwrap(), b.parse().unwrap())
        };
        let (done, expected) = counts(&get(&staff, &rr_url).await);
        submit_in_store(&s.db, c.fuzhou, without, &[]).await;
        assert_eq!(
            counts(&get(&staff, &rr_url).await),
            (done + 1, expected),
            "{n}: the submission counted"
        );

        // Scope: 鼓楼区's staff cannot ask for 福州; a chamber's secretary has no dashboard.
        let gl = signed_in(&s, "gl_staff").await;
        let p = get(&gl, &s.url(&format!("/indicators?node={}", t.fuzhou))).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{n}");
        let p = get(&gl, &s.url("/indicators")).await;
        assert_eq!(p.text("#node-name"), "鼓楼区工商联", "{n}");
    }
}

/// The dashboard's memory over a registry change: six kept years, two of them asked for after the
/// change (the other four brought forward with them), then all six: each equals the year read
/// again from the database, whichever way it was brought forward.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_years_all_brought_forward_after_a_change() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let (t, a, all) = (w.t, Actor::system("test"), Scope::all());
        let with = chamber_with_party(&s, t.gulou, "鼓楼区园艺商会").await;
        let state = shanghui_web::AppState::new(s.db.clone()).await.unwrap();
        let cache = state.indicators.clone();
        let items = Some(Vec::new());
        cache.years(&state, 2019..=2024, &items).await.unwrap();

        // Dissolved in 2021: gone from 2021 on, still there in 2019 and 2020.
        registry::dissolve(&s.db, &all, with, day(2021, 3, 1), &a)
            .await
            .unwrap();
        // Asking for two years brings the other four kept ones forward too.
        cache.years(&state, 2023..=2024, &items).await.unwrap();
        let now = indicators::generation(&s.db).await.unwrap();
        let kept = cache.years(&state, 2019..=2024, &items).await.unwrap();
        for y in 2019..=2024 {
            let d = &kept[&y];
            assert_eq!(d.generation(), now, "{n} {y}: brought forward");
            let again = indicators::load_year(&s.db, y, Some(&[])).await.unwrap();
            let ids = |d: &indicators::YearData| d.units.iter().map(|u| u.id).collect::<Vec<_>>();
            assert_eq!(ids(d), ids(&again), "{n} {y}");
            assert_eq!(ids(d).contains(&with), y < 2021, "{n} {y}");
        }
    }
}
