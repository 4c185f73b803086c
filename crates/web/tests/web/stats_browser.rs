//! The statistics page in a real browser (headless Chromium through chromedriver): federation
//! staff sign in, go from the campaign page to its statistics, ask for a crosstab with only a row
//! (the message, in Chinese, and the form keeps what was chosen), complete it with a column (the
//! chi-square table and the stacked chart, drawn), then ask for the frequencies of two variables
//! chosen in the multi-select by clicking, the second with Ctrl held, as staff do (the tables,
//! the bar charts, and the export link carrying the same request). The page works without
//! JavaScript; this checks what a browser sends from the form and what it draws. SQLite only.

use std::time::Duration;

use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::browser::{browser_available, fill, start_driver, text, wait_heading};
use crate::stats::add_chamber;
use crate::support::{PASSWORD, REPORT_YEAR, Server, seed_campaigns, seed_world, submit_in_store};

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

async fn select(b: &Client, css: &str, value: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{css}: no option {value:?}: {e}"));
}

async fn value(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Clicks the option `value` of the list box `select` with the mouse, holding Ctrl if `ctrl`
/// (which adds it to the choice instead of replacing the choice).
async fn click_option(b: &Client, select: &str, value: &str, ctrl: bool) {
    let css = format!("{select} option[value='{value}']");
    let option = b
        .find(Locator::Css(&css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    // The list box shows a dozen options: bring this one into its view first.
    b.execute(
        "arguments[0].scrollIntoView({block: 'nearest'});",
        vec![serde_json::to_value(&option).unwrap()],
    )
    .await
    .unwrap();
    let ctrl_key = char::from(Key::Control);
    let keys = KeyActions::new("keyboard".into());
    let keys = if ctrl {
        keys.then(KeyAction::Down { value: ctrl_key })
    } else {
        keys.pause(Duration::ZERO)
    };
    let keys = keys
        .pause(Duration::ZERO)
        .pause(Duration::ZERO)
        .pause(Duration::ZERO);
    let keys = if ctrl {
        keys.then(KeyAction::Up { value: ctrl_key })
    } else {
        keys.pause(Duration::ZERO)
    };
    let mouse = MouseActions::new("mouse".into())
        .pause(Duration::ZERO)
        .then(PointerAction::MoveToElement {
            element: option,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .pause(Duration::ZERO);
    b.perform_actions(fantoccini::actions::Actions::from(keys).and(mouse))
        .await
        .unwrap();
    b.release_actions().await.unwrap();
}

/// The values chosen in the list box `css`, in the order the form sends them.
async fn chosen(b: &Client, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for o in b
        .find_all(Locator::Css(&format!("{css} option")))
        .await
        .unwrap()
    {
        if o.prop("selected").await.unwrap().as_deref() == Some("true") {
            out.push(o.attr("value").await.unwrap().unwrap_or_default());
        }
    }
    out
}

/// The captions of the result tables, as shown.
async fn captions(b: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for c in b
        .find_all(Locator::Css("#results table.stat caption"))
        .await
        .unwrap()
    {
        out.push(c.text().await.unwrap());
    }
    out
}

/// The cell of a result table (by its caption) in the row whose first cells include `row` and
/// the column headed `col`, as the browser shows it.
async fn cell(b: &Client, caption: &str, row: &str, col: &str) -> String {
    for t in b
        .find_all(Locator::Css("#results table.stat"))
        .await
        .unwrap()
    {
        let cap = t.find(Locator::Css("caption")).await.unwrap();
        if cap.text().await.unwrap() != caption {
            continue;
        }
        let mut heads = Vec::new();
        for h in t.find_all(Locator::Css("thead th")).await.unwrap() {
            heads.push(h.text().await.unwrap());
        }
        let Some(c) = heads.iter().position(|h| h == col) else {
            panic!("no column {col} in {caption}: {heads:?}");
        };
        for r in t.find_all(Locator::Css("tbody tr")).await.unwrap() {
            let mut cells = Vec::new();
            for d in r.find_all(Locator::Css("td")).await.unwrap() {
                cells.push(d.text().await.unwrap());
            }
            if cells.iter().take(c).any(|x| x == row) {
                return cells[c].clone();
            }
        }
        panic!("no row {row} in {caption}");
    }
    panic!("no table {caption}: {:?}", captions(b).await);
}

/// The segments or bars of an SVG chart: how many, and how many are drawn with a width (both
/// the attribute and the box the browser laid out).
async fn drawn_rects(b: &Client, css: &str) -> (usize, usize) {
    let rects = b.find_all(Locator::Css(css)).await.unwrap();
    let mut wide = 0;
    for r in &rects {
        let width: f64 = r
            .attr("width")
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{css}: a rect without a width"))
            .parse()
            .unwrap();
        let (_, _, w, h) = r.rectangle().await.unwrap();
        if width > 0.0 && w > 0.0 && h > 0.0 {
            wide += 1;
        }
    }
    (rects.len(), wide)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_page_in_chromium() {
    if !browser_available() {
        return;
    }
    let s = Server::start(shanghui_store::testing::sqlite().await).await;
    // As in stats.rs: 鼓楼区 (county) has 鼓楼区餐饮商会 and two more industry chambers; 福州
    // (city) a hometown chamber in 台江区 directly below it, without finance rules.
    let w = seed_world(&s.db).await;
    let t = w.t;
    let gl2 = add_chamber(&s, t.gulou, "鼓楼区茶业商会", "行业", "350102").await;
    let gl3 = add_chamber(&s, t.gulou, "鼓楼区电子商会", "行业", "350102").await;
    let fz1 = add_chamber(&s, t.fuzhou, "福州市温州商会", "异地", "350103").await;
    let c = seed_campaigns(&s.db, &w).await;
    submit_in_store(&s.db, c.fuzhou, t.chamber, &[("general_assembly", "0")]).await;
    submit_in_store(&s.db, c.fuzhou, gl2, &[("general_assembly", "2")]).await;
    submit_in_store(&s.db, c.fuzhou, gl3, &[("general_assembly", "3")]).await;
    submit_in_store(
        &s.db,
        c.fuzhou,
        fz1,
        &[("general_assembly", "0"), ("finance_rules", "否")],
    )
    .await;

    let (driver, b) = start_driver().await;
    let result = async {
        b.goto(&s.url("/login")).await.unwrap();
        wait_for(&b, "#username").await;
        fill(&b, "#username", &w.fed_staff.username).await;
        fill(&b, "#password", PASSWORD).await;
        click(&b, "#save").await;
        wait_for(&b, "#me").await;
        b.goto(&s.url("/lang/zh-CN")).await.unwrap();
        wait_for(&b, "#nav-review").await;

        // From the campaign page to its statistics.
        b.goto(&s.url(&format!("/campaigns/{}", c.fuzhou)))
            .await
            .unwrap();
        wait_heading(&b, &format!("{REPORT_YEAR} 年度年报工作（福州市工商联）")).await;
        click(&b, "#stats-link").await;
        wait_heading(&b, "统计分析：福州市工商联").await;
        assert_eq!(
            b.current_url().await.unwrap().path(),
            format!("/campaigns/{}/stats", c.fuzhou)
        );
        assert_eq!(text(&b, "#node-name").await, "福州市工商联");
        assert!(
            b.find_all(Locator::Css("#results table"))
                .await
                .unwrap()
                .is_empty(),
            "nothing asked yet"
        );

        // A crosstab with a row only: the message in Chinese, no results, the choice kept.
        select(&b, "#f-proc", "crosstabs").await;
        select(&b, "#f-row", "org_category").await;
        click(&b, "#compute").await;
        let err = wait_for(&b, "#stats-error").await;
        assert_eq!(err.text().await.unwrap(), "交叉表需要行变量和列变量。");
        assert!(b.find_all(Locator::Css("#cases")).await.unwrap().is_empty());
        assert!(
            b.find_all(Locator::Css("#export-link"))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(value(&b, "#f-proc").await, "crosstabs");
        assert_eq!(value(&b, "#f-row").await, "org_category");

        // With a column, and every level: 行业 3 with finance rules, 异地 1 without.
        select(&b, "#f-col", "finance_rules").await;
        select(&b, "#f-level", "").await;
        click(&b, "#compute").await;
        wait_text(&b, "#cases", "参与计算的已报送年报：4 份").await;
        assert!(
            b.find_all(Locator::Css("#stats-error"))
                .await
                .unwrap()
                .is_empty()
        );
        let url = b.current_url().await.unwrap();
        let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for want in [
            ("proc", "crosstabs"),
            ("row", "org_category"),
            ("col", "finance_rules"),
        ] {
            assert!(
                query.contains(&(want.0.into(), want.1.into())),
                "{want:?} not sent: {query:?}"
            );
        }
        let caps = captions(&b).await;
        assert!(caps.iter().any(|c| c.ends_with("交叉表")), "{caps:?}");
        assert!(caps.contains(&"卡方检验".to_string()), "{caps:?}");
        assert_eq!(cell(&b, "卡方检验", "皮尔逊卡方", "值").await, "4.000");
        // The stacked chart is drawn: one bar per category, each segment with a width.
        let chart = wait_for(&b, "#chart-crosstab-1").await;
        assert!(chart.is_displayed().await.unwrap());
        let (segs, wide) = drawn_rects(&b, "#chart-crosstab-1 rect.seg").await;
        assert!(segs >= 2, "{segs} segments");
        assert!(wide >= 2, "{wide} of {segs} segments drawn with a width");
        assert_eq!(
            b.find_all(Locator::Css("#chart-crosstab-1 g.stack-row"))
                .await
                .unwrap()
                .len(),
            2,
            "行业 and 异地"
        );

        // Frequencies of two variables, chosen with the mouse (the second with Ctrl), for the
        // county level only: 鼓楼区's three chambers.
        select(&b, "#f-proc", "frequencies").await;
        select(&b, "#f-level", "county").await;
        click_option(&b, "#f-vars", "general_assembly", false).await;
        click_option(&b, "#f-vars", "org_category", true).await;
        let mut vars = chosen(&b, "#f-vars").await;
        vars.sort();
        assert_eq!(vars, vec!["general_assembly", "org_category"]);
        click(&b, "#compute").await;
        wait_text(&b, "#cases", "参与计算的已报送年报：3 份").await;
        let caps = captions(&b).await;
        let title = "年度召开会员（代表）大会次数";
        assert!(caps.contains(&title.to_string()), "{caps:?}");
        assert!(caps.contains(&"商会类别".to_string()), "{caps:?}");
        // 0, 2 and 3 once each (福州市温州商会's 0 is at the city level).
        assert_eq!(cell(&b, title, "0", "频率").await, "1");
        assert_eq!(cell(&b, title, "3", "累积百分比").await, "100.0");
        assert_eq!(cell(&b, "商会类别", "行业", "频率").await, "3");
        // A bar chart for each variable, drawn.
        for id in ["#chart-freq-1", "#chart-freq-2"] {
            assert!(wait_for(&b, id).await.is_displayed().await.unwrap(), "{id}");
        }
        let mut bars = Vec::new();
        for id in ["#chart-freq-1", "#chart-freq-2"] {
            let (n, wide) = drawn_rects(&b, &format!("{id} g.bar rect")).await;
            assert_eq!(n, wide, "{id}: every bar drawn with a width");
            bars.push(n);
        }
        bars.sort();
        assert_eq!(bars, vec![1, 3], "行业 alone; 0, 2 and 3");
        // The form still shows what was asked.
        let mut vars = chosen(&b, "#f-vars").await;
        vars.sort();
        assert_eq!(vars, vec!["general_assembly", "org_category"]);
        assert_eq!(value(&b, "#f-level").await, "county");

        // The export link carries the same request.
        let href = b
            .find(Locator::Css("#export-link"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .expect("an href");
        let prefix = format!("/campaigns/{}/stats.xlsx?", c.fuzhou);
        assert!(href.starts_with(&prefix), "{href}");
        let sent: Vec<(String, String)> = reqwest::Url::parse(&s.url(&href))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        for want in [
            ("node", t.fuzhou.to_string()),
            ("proc", "frequencies".to_string()),
            ("v", "general_assembly".to_string()),
            ("v", "org_category".to_string()),
            ("level", "county".to_string()),
        ] {
            assert!(
                sent.contains(&(want.0.to_string(), want.1.clone())),
                "{want:?} not in {href}"
            );
        }
    }
    .await;
    let _ = b.close().await;
    drop(driver);
    result
}
