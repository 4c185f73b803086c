//! The review in a real browser (headless Chromium through chromedriver): federation staff sign
//! in, go from the report to its review, try to dismiss a finding without a reason (the message
//! appears next to it), dismiss it with one, add a problem by hand, open the finding history and
//! conclude; then the problem analysis draws its charts. The pages' forms work without
//! JavaScript, so this checks what a browser does with them (and that the security policy lets
//! the pages show). SQLite only.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser_available, fill, start_driver, text, wait_heading};
use crate::support::{PASSWORD, Server, seed_campaigns, seed_world};

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

async fn displayed(b: &Client, css: &str) -> bool {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .is_displayed()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_review_a_report() {
    if !browser_available() {
        return;
    }
    let s = Server::start(shanghui_store::testing::sqlite().await).await;
    let w = seed_world(&s.db).await;
    let c = seed_campaigns(&s.db, &w).await;
    // The chamber reported no general assembly.
    let mut raw: std::collections::BTreeMap<String, String> = crate::reports::complete(60)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    raw.insert("general_assembly".into(), "0".into());
    let (answers, problems) = shanghui_core::template::sample().read(&raw);
    assert!(problems.is_empty(), "{problems:?}");
    shanghui_store::reports::save(
        &s.db,
        &shanghui_core::Scope::all(),
        c.fuzhou,
        w.t.chamber,
        &answers,
        0,
        shanghui_core::report::Action::Submit,
        &shanghui_store::Actor::system("test"),
    )
    .await
    .expect("submit");
    let id = shanghui_store::review::report_review(
        &s.db,
        &shanghui_core::Scope::all(),
        c.fuzhou,
        w.t.chamber,
        false,
    )
    .await
    .unwrap()
    .findings
    .into_iter()
    .find(|f| f.rule_code.as_deref() == Some("general_assembly"))
    .unwrap()
    .id;
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

        // From the report to its review.
        b.goto(&s.url(&format!("/campaigns/{}/reports/{}", c.fuzhou, w.t.chamber)))
            .await
            .unwrap();
        click(&b, "#review-link").await;
        wait_heading(&b, "审查：鼓楼区餐饮商会 2024 年度年报").await;
        let finding = format!("#finding-{id}");
        assert_eq!(
            text(&b, &format!("{finding} .finding-name")).await,
            "召开会员（代表）大会"
        );

        // Dismissed without a reason: the message next to the finding.
        click(&b, &format!("#dismiss-{id} button")).await;
        let err = wait_for(&b, &format!("#err-dismiss-{id}")).await;
        assert_eq!(err.text().await.unwrap(), "请填写说明");
        assert_eq!(text(&b, &format!("{finding} .tag.st")).await, "待处理");
        // With one: dismissed, the page back at the finding.
        fill(
            &b,
            &format!("#dismiss-{id} input[name=reason]"),
            "章程规定两年召开一次",
        )
        .await;
        click(&b, &format!("#dismiss-{id} button")).await;
        wait_text(&b, "p.flash", "已排除该问题").await;
        assert_eq!(
            b.current_url().await.unwrap().fragment(),
            Some(&*format!("finding-{id}"))
        );
        assert_eq!(text(&b, &format!("{finding} .tag.st")).await, "已排除");
        assert_eq!(
            text(&b, "#suggestion").await,
            "建议：合格（依据：没有导致基本合格或不合格的问题）"
        );

        // A problem by hand, chosen from the lists.
        b.find(Locator::Css("#f-trigger"))
            .await
            .unwrap()
            .select_by_value("lending_certificates")
            .await
            .unwrap();
        fill(&b, "#f-description", "将登记证书借给他人使用").await;
        click(&b, "#add").await;
        wait_text(&b, "p.flash", "已添加问题").await;
        assert_eq!(
            text(&b, "#suggestion").await,
            "建议：不合格（依据：出租、出借登记证书或印章）"
        );

        // The history is folded away until opened (nothing closed yet).
        assert!(!displayed(&b, "#finding-history p.empty").await);
        click(&b, "#finding-history summary").await;
        assert!(displayed(&b, "#finding-history p.empty").await);

        // Concluded with the suggestion, as pre-selected.
        click(&b, "#conclude").await;
        wait_for(&b, "#recorded").await;
        assert!(text(&b, "#recorded").await.starts_with("结论：不合格"));

        // The analysis draws its charts.
        b.goto(&s.url(&format!("/campaigns/{}/review", c.fuzhou)))
            .await
            .unwrap();
        wait_heading(&b, "问题分析：福州市工商联").await;
        assert_eq!(text(&b, "#card-submitted .value").await, "1");
        assert!(displayed(&b, "#conclusion-chart").await);
        assert!(displayed(&b, "#problem-chart").await);
    }
    .await;
    let _ = b.close().await;
    drop(driver);
    result
}
