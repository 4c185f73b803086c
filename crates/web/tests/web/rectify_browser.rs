//! Rectification in a real browser (headless Chromium through chromedriver): the chamber
//! secretary signs in, finds the notice on its home page, chooses an executable renamed .pdf for
//! an item (the refusal appears next to the item, the text kept), then a real PDF through the
//! file input (the browser's own multipart encoding and file name), and submits the response.
//! SQLite only.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser_available, fill, start_driver, text, wait_heading};
use crate::support::{PASSWORD, Server, pdf_bytes, seed_notices, seed_world};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_answer_a_notice_with_evidence() {
    if !browser_available() {
        return;
    }
    let s = Server::start(shanghui_store::testing::sqlite().await).await;
    let w = seed_world(&s.db).await;
    let ns = seed_notices(&s.db, &w).await;
    let nid = ns.notice[0];
    // The files the secretary chooses.
    let dir = std::env::temp_dir().join(format!("shanghui_evidence_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("整改报告.pdf");
    std::fs::write(&good, pdf_bytes()).unwrap();
    let bad = dir.join("程序.pdf");
    std::fs::write(&bad, b"MZ\x90\x00\x03\x00\x00\x00").unwrap();

    let (driver, b) = start_driver().await;
    let result = async {
        b.goto(&s.url("/login")).await.unwrap();
        wait_for(&b, "#username").await;
        fill(&b, "#username", &w.secretary.username).await;
        fill(&b, "#password", PASSWORD).await;
        click(&b, "#save").await;
        wait_for(&b, "#me").await;
        b.goto(&s.url("/lang/zh-CN")).await.unwrap();
        wait_for(&b, "#open-notices").await;

        // From the home page to the notice.
        click(&b, &format!("#open-notices a[href='/notices/{nid}']")).await;
        wait_heading(&b, &format!("整改通知 #{nid}：鼓楼区餐饮商会")).await;
        assert_eq!(text(&b, "#notice-status").await, "待整改");

        // An executable named .pdf: refused next to the item, the text kept.
        fill(&b, "#f-response-1", "已召开会员大会并形成决议").await;
        b.find(Locator::Css("#f-file-1"))
            .await
            .unwrap()
            .send_keys(&bad.display().to_string())
            .await
            .unwrap();
        click(&b, "#save-1").await;
        let err = wait_for(&b, "#err-response-1").await;
        assert!(
            err.text()
                .await
                .unwrap()
                .starts_with("文件“程序.pdf”的类型不允许"),
            "{}",
            err.text().await.unwrap()
        );
        assert_eq!(
            b.find(Locator::Css("#f-response-1"))
                .await
                .unwrap()
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("已召开会员大会并形成决议")
        );

        // A real PDF: kept under its Chinese name.
        b.find(Locator::Css("#f-file-1"))
            .await
            .unwrap()
            .send_keys(&good.display().to_string())
            .await
            .unwrap();
        click(&b, "#save-1").await;
        wait_text(&b, "p.flash", "已保存第 1 项的整改措施").await;
        let files: Vec<String> = {
            let mut out = Vec::new();
            for e in b
                .find_all(Locator::Css("#item-1 ul.files a"))
                .await
                .unwrap()
            {
                out.push(e.text().await.unwrap());
            }
            out
        };
        assert_eq!(files, vec!["会议纪要.pdf", "整改报告.pdf"]);

        // Handed in: waiting for verification.
        click(&b, "#submit-response").await;
        wait_text(&b, "p.flash", "已提交整改反馈，等待核验").await;
        assert_eq!(text(&b, "#notice-status").await, "待核验");
    }
    .await;
    let _ = b.close().await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&dir);
    result
}
