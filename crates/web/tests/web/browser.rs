//! One run in a real browser (headless Chromium through chromedriver): sign in through the form,
//! drill down the tree by clicking, edit a unit, see the field error, fix it, see the flash, sign
//! out. SQLite only.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

use crate::support::{ADMIN, ADMIN_NAME, PASSWORD, Server, seed};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Kills chromedriver and removes the browser profile however the test ends.
pub(crate) struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group, which holds the browser it started: end
        // them all, then chromedriver itself.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether the browser can run here; under CI it must.
pub(crate) fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{missing:?} missing under CI: the browser test is mandatory there (apt-get install chromium chromium-driver)"
        );
    }
    crate::support::loud(&format!(
        "*** NOTE: {missing:?} not installed: the headless-browser test is NOT run ***"
    ));
    false
}

pub(crate) async fn start_driver() -> (Driver, Client) {
    let port = free_port();
    let profile =
        std::env::temp_dir().join(format!("shanghui-chromium-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&profile).unwrap();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, profile };
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }
    }))
    .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&url)
            .await;
        match attempt {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a browser session: {e}"),
        }
    }
}

/// Waits until the page's heading starts with `name` (the click's navigation has finished).
pub(crate) async fn wait_heading(b: &Client, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let h1 = match b.find(Locator::Css("h1")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if h1.starts_with(name) {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "heading {h1:?}, wanted {name:?}; page:\n{}",
                b.source().await.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click_link(b: &Client, text: &str) {
    b.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText(text))
        .await
        .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
        .click()
        .await
        .unwrap();
}

pub(crate) async fn fill(b: &Client, css: &str, value: &str) {
    let e = b
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    e.clear().await.unwrap();
    if !value.is_empty() {
        e.send_keys(value).await.unwrap();
    }
}

async fn click_save(b: &Client) {
    b.find(Locator::Id("save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub(crate) async fn text(b: &Client, css: &str) -> String {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_drill_down_and_edit() {
    if !browser_available() {
        return;
    }
    let s = Server::start(shanghui_store::testing::sqlite().await).await;
    let t = seed(&s.db).await;
    let (driver, b) = start_driver().await;
    let result = async {
        // Not signed in: the sign-in form, which then comes back to the page asked for.
        b.goto(&s.url("/")).await.unwrap();
        b.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("username"))
            .await
            .expect("the sign-in form");
        let url = b.current_url().await.unwrap();
        assert_eq!(url.path(), "/login");
        assert_eq!(url.query(), Some("next=/"));
        fill(&b, "#username", ADMIN).await;
        fill(&b, "#password", "wrong-password-1").await;
        click_save(&b).await;
        let err = b
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("login-error"))
            .await
            .expect("the sign-in error");
        assert!(!err.text().await.unwrap().is_empty());
        let kept = b
            .find(Locator::Id("username"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(kept.as_deref(), Some(ADMIN), "the user name is kept");
        fill(&b, "#password", PASSWORD).await;
        click_save(&b).await;
        let me = b
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("me"))
            .await
            .expect("signed in");
        assert!(me.text().await.unwrap().starts_with(ADMIN_NAME));
        assert_eq!(b.current_url().await.unwrap().path(), "/");
        // The browser asks for English: switch to Chinese with the link, which comes back here.
        let lang = b
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap();
        if lang.as_deref() != Some("zh-CN") {
            assert_eq!(text(&b, "#lang-switch").await, "中文");
            b.find(Locator::Id("lang-switch"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
        wait_heading(&b, "组织体系").await;
        assert_eq!(b.current_url().await.unwrap().path(), "/");
        // The root's heading links to it; its children table links on down.
        for name in [
            "福建省工商联",
            "福州市工商联",
            "鼓楼区工商联",
            "鼓楼区餐饮商会",
        ] {
            click_link(&b, name).await;
            wait_heading(&b, name).await;
        }
        assert_eq!(
            b.current_url().await.unwrap().path(),
            format!("/orgs/{}", t.chamber)
        );

        b.find(Locator::Id("edit-link"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_heading(&b, "编辑：鼓楼区餐饮商会").await;
        // A bad count: the form comes back with the error next to the field.
        fill(&b, "#f-members_unit", "四十几").await;
        b.find(Locator::Id("save"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let err = b
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("err-members_unit"))
            .await
            .expect("the field error is shown");
        assert_eq!(err.text().await.unwrap(), "无法识别“四十几”，应为非负整数");
        assert_eq!(
            text(&b, "div.errors p").await,
            "有 1 处需要修改，请查看标红的字段"
        );
        let value = b
            .find(Locator::Id("f-members_unit"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(value.as_deref(), Some("四十几"), "what was typed is kept");

        // Fixed: saved, back on the unit page with the flash and the new values.
        fill(&b, "#f-members_unit", "45").await;
        fill(&b, "#f-members_total", "").await;
        fill(&b, "#f-president", "王五").await;
        b.find(Locator::Id("save"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let flash = b
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("p.flash"))
            .await
            .expect("the flash is shown");
        assert_eq!(flash.text().await.unwrap(), "已保存“鼓楼区餐饮商会”");
        let url = b.current_url().await.unwrap();
        assert_eq!(url.path(), format!("/orgs/{}", t.chamber));
        assert_eq!(url.query(), Some("done=saved"));
        let details = text(&b, "dl.fields").await;
        for want in ["单位会员数\n45", "会员总数\n57", "会长\n王五"] {
            assert!(details.contains(want), "{want:?} not in {details:?}");
        }
        let history = text(&b, "table.history tbody tr").await;
        assert!(history.contains("会长：— → 王五"), "{history}");
        assert!(history.contains("(admin)"), "the signed-in user: {history}");

        // Signing out: back to the sign-in form, and the pages are closed again.
        b.find(Locator::Id("logout"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("username"))
            .await
            .expect("the sign-in form after signing out");
        b.goto(&s.url(&format!("/orgs/{}", t.chamber)))
            .await
            .unwrap();
        b.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("username"))
            .await
            .expect("the sign-in form for a unit page");
        assert_eq!(b.current_url().await.unwrap().path(), "/login");
    }
    .await;
    let _ = b.close().await;
    drop(driver);
    result
}
