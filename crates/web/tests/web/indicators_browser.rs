//! The coverage dashboard in a real browser (headless Chromium through chromedriver): the system
//! administrator (whose scope is the whole tree) signs in, opens the dashboard from the
//! navigation (the national root: its cards, the trend and the bar chart over its children, all
//! drawn), drills down by clicking the children 福建省工商联 → 福州市工商联 → 鼓楼区工商联 (the
//! breadcrumbs growing), switches to township coverage (the list of who misses turns into
//! division codes), switches back and opens a chamber without a party organisation from the list
//! of who misses. The page works without JavaScript; this checks what a browser does with its
//! links and that the security policy lets the charts show. SQLite only.

use std::time::Duration;

use fantoccini::{Client, Locator};
use shanghui_core::{DivisionIndex, DivisionLevel};

use crate::browser::{browser_available, fill, start_driver, text, wait_heading};
use crate::indicators::{chamber_with_party, chamber_without_party, street_chamber};
use crate::support::{ADMIN, PASSWORD, REPORT_YEAR, Server, seed_campaigns, seed_world};

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn wait_for(b: &Client, css: &str) -> fantoccini::elements::Element {
    b.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

/// Waits until `css` shows `want` (the click's navigation has finished).
async fn wait_text(b: &Client, css: &str, want: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let got = match b.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if got == want {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!("{css}: {got:?}, wanted {want:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The texts of every element `css` matches, as shown.
async fn texts(b: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in b.find_all(Locator::Css(css)).await.unwrap() {
        out.push(e.text().await.unwrap());
    }
    out
}

/// Clicks the link inside `css` whose text is `name`.
async fn click_named(b: &Client, css: &str, name: &str) {
    for a in b.find_all(Locator::Css(&format!("{css} a"))).await.unwrap() {
        if a.text().await.unwrap() == name {
            a.click().await.unwrap();
            return;
        }
    }
    panic!(
        "no link {name:?} in {css}: {:?}",
        texts(b, &format!("{css} a")).await
    );
}

/// Checks the chart `css` is shown and every bar or segment matching `shape` inside it has a
/// width (the attribute and the box the browser laid out); gives how many.
async fn drawn(b: &Client, css: &str, shape: &str) -> usize {
    let chart = wait_for(b, css).await;
    assert!(chart.is_displayed().await.unwrap(), "{css} is shown");
    let shapes = b
        .find_all(Locator::Css(&format!("{css} {shape}")))
        .await
        .unwrap();
    for r in &shapes {
        let width: f64 = r
            .attr("width")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{css}: a {shape} without a width"))
            .parse()
            .unwrap();
        let (_, _, w, h) = r.rectangle().await.unwrap();
        assert!(
            width > 0.0 && w > 0.0 && h > 0.0,
            "{css}: {shape} drawn with a width"
        );
    }
    shapes.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_drill_down_in_chromium() {
    if !browser_available() {
        return;
    }
    let s = Server::start(shanghui_store::testing::sqlite().await).await;
    // As in indicators.rs: 鼓楼区 (350102) has 鼓楼区餐饮商会 (without a party organisation), a
    // street chamber with one, an industry chamber without and one with; 厦门市餐饮商会 (its
    // party organisation unknown) is below 厦门. The whole country: 2 of 5 chambers.
    let w = seed_world(&s.db).await;
    let t = w.t;
    street_chamber(&s, t.gulou).await;
    let without = chamber_without_party(&s, t.gulou).await;
    chamber_with_party(&s, t.gulou, "鼓楼区茶业商会").await;
    seed_campaigns(&s.db, &w).await;
    // 鼓楼区's official streets: one (350102001) has a street chamber.
    let streets = DivisionIndex::shipped()
        .iter()
        .filter(|d| {
            d.level == DivisionLevel::Township
                && d.code.as_str().starts_with("350102")
                && !d.statistical_only
                && !d.placeholder
        })
        .count();
    assert!(streets > 1, "鼓楼区 has streets: {streets}");
    let indicators = shanghui_core::indicator::builtin_indicators().len();

    let (driver, b) = start_driver().await;
    let result = async {
        b.goto(&s.url("/login")).await.unwrap();
        wait_for(&b, "#username").await;
        fill(&b, "#username", ADMIN).await;
        fill(&b, "#password", PASSWORD).await;
        click(&b, "#save").await;
        wait_for(&b, "#me").await;
        b.goto(&s.url("/lang/zh-CN")).await.unwrap();
        wait_for(&b, "#nav-indicators").await;

        // From the navigation: the root of the administrator's scope, the national federation.
        click(&b, "#nav-indicators").await;
        wait_text(&b, "#node-name", "全国工商联").await;
        wait_heading(&b, "覆盖率").await;
        assert_eq!(b.current_url().await.unwrap().path(), "/indicators");
        assert_eq!(texts(&b, "#crumbs a").await, vec!["全国工商联"]);
        // A card per indicator, the first chosen.
        assert_eq!(
            b.find_all(Locator::Css("#cards .card"))
                .await
                .unwrap()
                .len(),
            indicators
        );
        assert_eq!(
            b.find(Locator::Css("#cards .card.selected"))
                .await
                .unwrap()
                .attr("id")
                .await
                .unwrap()
                .as_deref(),
            Some("card-party_org_rate")
        );
        assert_eq!(text(&b, "#card-party_org_rate .value").await, "40.0%");
        assert_eq!(text(&b, "#card-party_org_rate .counts").await, "2 / 5");
        assert_eq!(text(&b, "#indicator-name").await, "商会党组织建立率");
        // The trend (one year with a campaign: one point) and the bar chart over the children.
        let trend = wait_for(&b, "#indicator-trend").await;
        assert!(trend.is_displayed().await.unwrap());
        assert_eq!(
            texts(&b, "#indicator-trend g.point text.value").await,
            vec!["40.0%"]
        );
        assert_eq!(
            drawn(&b, "#indicator-chart", "g.bar rect").await,
            1,
            "福建 alone"
        );
        assert_eq!(texts(&b, "#by-child a").await, vec!["福建省工商联"]);

        // Down the children, the breadcrumbs growing.
        let path = [
            ("福建省工商联", vec!["福州市工商联", "厦门市工商联"]),
            ("福州市工商联", vec!["鼓楼区工商联"]),
            ("鼓楼区工商联", vec![]),
        ];
        let mut crumbs = vec!["全国工商联".to_string()];
        for (name, children) in path {
            click_named(&b, "#by-child", name).await;
            wait_text(&b, "#node-name", name).await;
            crumbs.push(name.to_string());
            assert_eq!(texts(&b, "#crumbs a").await, crumbs, "at {name}");
            assert_eq!(texts(&b, "#by-child a").await, children, "below {name}");
            // The chosen indicator goes along.
            assert_eq!(
                text(&b, "#indicator-name").await,
                "商会党组织建立率",
                "at {name}"
            );
        }
        assert_eq!(
            b.current_url().await.unwrap().query(),
            Some(&*format!(
                "node={}&year={REPORT_YEAR}&code=party_org_rate",
                t.gulou
            ))
        );
        // 鼓楼区: 2 of its 4 chambers; who misses, each a link to its unit.
        assert_eq!(text(&b, "#card-party_org_rate .value").await, "50.0%");
        assert_eq!(text(&b, "#card-party_org_rate .counts").await, "2 / 4");
        let mut missing = texts(&b, "#missing a").await;
        missing.sort();
        assert_eq!(missing, vec!["鼓楼区电子商会", "鼓楼区餐饮商会"]);

        // Another card: township coverage, whose missing are divisions (codes, no links).
        click(&b, "#card-township_chamber_coverage").await;
        wait_text(&b, "#indicator-name", "乡镇（街道）商会覆盖率").await;
        assert_eq!(text(&b, "#node-name").await, "鼓楼区工商联");
        assert!(
            b.find(Locator::Css("#card-township_chamber_coverage"))
                .await
                .unwrap()
                .attr("class")
                .await
                .unwrap()
                .is_some_and(|c| c.split(' ').any(|x| x == "selected"))
        );
        assert_eq!(
            text(&b, "#card-township_chamber_coverage .counts").await,
            format!("1 / {streets}")
        );
        let codes = texts(&b, "#missing tbody tr td:first-child").await;
        assert_eq!(codes.len(), streets - 1, "{codes:?}");
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 9 && c.starts_with("350102") && c != "350102001"),
            "{codes:?}"
        );
        assert!(
            texts(&b, "#missing a").await.is_empty(),
            "divisions have no page"
        );
        assert_eq!(
            texts(&b, "#crumbs a").await,
            vec!["全国工商联", "福建省工商联", "福州市工商联", "鼓楼区工商联"]
        );

        // Back to the party organisations, and open a chamber without one.
        click(&b, "#card-party_org_rate").await;
        wait_text(&b, "#indicator-name", "商会党组织建立率").await;
        click_named(&b, "#missing", "鼓楼区电子商会").await;
        wait_heading(&b, "鼓楼区电子商会").await;
        assert_eq!(
            b.current_url().await.unwrap().path(),
            format!("/orgs/{without}")
        );
    }
    .await;
    let _ = b.close().await;
    drop(driver);
    result
}
