//! The annual report in a real browser (headless Chromium through chromedriver): a chamber
//! secretary signs in, opens the report from the home page, fills it with one item left empty,
//! submits, sees the message next to that field with everything else kept, fills it, submits and
//! sees 已报送. On the way, the page's script shows a conditional detail field only while its
//! condition holds. SQLite only.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser_available, fill, start_driver, text, wait_heading};
use crate::reports::complete;
use crate::support::{PASSWORD, Server, seed_campaigns, seed_world};

/// Sets an item of the report form the way a person would: types in text fields, clicks a
/// radio, picks an option.
async fn answer(b: &Client, code: &str, value: &str) {
    let radio = format!("input[type=radio][name='i.{code}'][value='{value}']");
    if let Ok(r) = b.find(Locator::Css(&radio)).await {
        r.click().await.unwrap();
        return;
    }
    let field = b
        .find(Locator::Css(&format!("#f-{code}")))
        .await
        .unwrap_or_else(|e| panic!("no field {code}: {e}"));
    match field.tag_name().await.unwrap().as_str() {
        "select" => field.select_by_value(value).await.unwrap(),
        _ if field.attr("type").await.unwrap().as_deref() == Some("date") => {
            // A date input takes the digits in the browser's own order; set it as a script
            // would, then tell the page it changed.
            b.execute(
                "const e = arguments[0]; e.value = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![serde_json::to_value(&field).unwrap(), value.into()],
            )
            .await
            .unwrap();
        }
        _ => fill(b, &format!("#f-{code}"), value).await,
    }
}

async fn displayed(b: &Client, css: &str) -> bool {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .is_displayed()
        .await
        .unwrap()
}

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Waits until `css` is on the page (the click's navigation has finished).
async fn wait_for(b: &Client, css: &str) -> fantoccini::elements::Element {
    b.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| {
            panic!("no {css}: {e}");
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_fill_and_submit_a_report() {
    if !browser_available() {
        return;
    }
    let s = Server::start(shanghui_store::testing::sqlite().await).await;
    let w = seed_world(&s.db).await;
    let c = seed_campaigns(&s.db, &w).await;
    let (driver, b) = start_driver().await;
    let result = async {
        // Sign in as the chamber's secretary, in Chinese.
        b.goto(&s.url("/login")).await.unwrap();
        wait_for(&b, "#username").await;
        fill(&b, "#username", &w.secretary.username).await;
        fill(&b, "#password", PASSWORD).await;
        click(&b, "#save").await;
        wait_for(&b, "#me").await;
        b.goto(&s.url("/lang/zh-CN")).await.unwrap();
        wait_for(&b, "#my-reports").await;

        // The home page offers the report to fill.
        assert_eq!(text(&b, "#my-reports h2").await, "本商会年报");
        click(&b, "#my-reports a.button").await;
        wait_heading(&b, "鼓楼区餐饮商会 2024 年度年报").await;
        assert_eq!(
            b.current_url().await.unwrap().path(),
            format!("/campaigns/{}/reports/{}", c.fuzhou, w.t.chamber)
        );
        assert_eq!(text(&b, "#report-status").await, "未填报");

        // The conditional reason shows only while 是否建立党组织 = 否 (the page's script).
        assert!(!displayed(&b, "#item-party_org_reason").await);
        answer(&b, "party_org", "否").await;
        assert!(displayed(&b, "#item-party_org_reason").await);
        answer(&b, "party_org", "是").await;
        assert!(!displayed(&b, "#item-party_org_reason").await);

        // Everything but one required item.
        for (code, value) in complete(120) {
            if code != "general_assembly" {
                answer(&b, code, &value).await;
            }
        }
        click(&b, "#submit").await;
        let err = wait_for(&b, "#err-general_assembly").await;
        assert_eq!(err.text().await.unwrap(), "必填项不能为空");
        assert_eq!(
            text(&b, "#error-summary").await,
            "有 1 处需要修改，请查看标红的字段"
        );
        assert_eq!(text(&b, "#report-status").await, "未填报", "nothing saved");
        let kept = b
            .find(Locator::Css("#f-members_total"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some("120"), "what was typed is kept");
        let class = b
            .find(Locator::Css("#item-general_assembly"))
            .await
            .unwrap()
            .attr("class")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(class.contains("has-error"), "{class}");

        // Filled in: submitted.
        answer(&b, "general_assembly", "1").await;
        click(&b, "#submit").await;
        let flash = wait_for(&b, "p.flash").await;
        assert_eq!(flash.text().await.unwrap(), "已报送");
        assert_eq!(text(&b, "#report-status").await, "已报送");
        assert_eq!(text(&b, "#row-members_total td.value").await, "120");
        assert_eq!(text(&b, "#row-general_assembly td.value").await, "1");
        assert!(
            b.find(Locator::Css("#report-form")).await.is_err(),
            "the form is gone once submitted"
        );
    }
    .await;
    let _ = b.close().await;
    drop(driver);
    result
}
