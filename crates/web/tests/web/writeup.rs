//! The data-analysis report end to end, on every backend: a county with a campaign and reports
//! of known counts; a report started from the campaign page's link runs in the background (its
//! page refreshing itself) and gives a Word file, a PDF and an HTML page that state the same
//! reporting rate as the campaign page and the same indicator values as the dashboard; the job
//! is its owner's only; chambers and nodes outside the scope are refused; the narrative
//! templates are checked before they are saved, used by the next report, and put back.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::{Client, StatusCode};

use crate::indicators::chamber_with_party;
use crate::support::*;

/// How long a report may take (the PDF is laid out by Typst; debug builds are slow).
const REPORT_TIME_LIMIT: Duration = Duration::from_secs(300);

/// The county of the tests: 鼓楼区 with the seeded chamber and two more (all founded before the
/// year, so in the year's registry), all three expected by 福州's campaign; two have submitted,
/// one with a missing general assembly. Gives the campaigns and the two new chambers.
async fn county(s: &Server, w: &World) -> (Campaigns, i64, i64) {
    let tea = chamber_with_party(s, w.t.gulou, "鼓楼区茶业商会").await;
    let flowers = chamber_with_party(s, w.t.gulou, "鼓楼区花卉商会").await;
    let c = seed_campaigns(&s.db, w).await;
    submit_in_store(&s.db, c.fuzhou, w.t.chamber, &[]).await;
    submit_in_store(&s.db, c.fuzhou, tea, &[("general_assembly", "0")]).await;
    (c, tea, flowers)
}

/// Posts the report form of `/writeup?node=…&year=…` with `formats` ticked; gives the job's path.
async fn start(c: &Client, s: &Server, query: &str, formats: &[&str]) -> String {
    let page = get(c, &s.url(&format!("/writeup?{query}"))).await;
    assert_eq!(page.status, StatusCode::OK, "{}: {}", s.name(), page.body);
    let mut form: Vec<(String, String)> = page
        .form("#writeup-form")
        .into_iter()
        .filter(|(k, _)| k != "format")
        .collect();
    form.extend(
        formats
            .iter()
            .map(|f| ("format".to_string(), f.to_string())),
    );
    let p = post_form(c, &s.url("/writeup"), &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}: {}", s.name(), p.body);
    let job = p.location();
    assert!(job.starts_with("/writeup/jobs/"), "{job}");
    job
}

/// Polls the job's page until the job has finished; panics after [`REPORT_TIME_LIMIT`].
async fn finished(c: &Client, s: &Server, job: &str) -> Page {
    let started = Instant::now();
    loop {
        let p = get(c, &s.url(job)).await;
        assert_eq!(p.status, StatusCode::OK, "{}: {}", s.name(), p.body);
        let state = p.attr("#job-stage", "data-state");
        if state == "done" || state == "failed" {
            assert!(
                !p.has("meta[http-equiv=refresh]"),
                "a finished job's page stays still"
            );
            return p;
        }
        // While it runs, the page reloads itself and shows how far it is.
        assert!(p.has("meta[http-equiv=refresh][content='1']"), "{}", p.body);
        assert!(p.has("progress#job-progress"), "{}", p.body);
        assert!(
            started.elapsed() < REPORT_TIME_LIMIT,
            "{}: the report is still {:?} after {REPORT_TIME_LIMIT:?}",
            s.name(),
            p.text("#job-stage")
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// A finished job that must have succeeded.
async fn done(c: &Client, s: &Server, job: &str) -> Page {
    let p = finished(c, s, job).await;
    assert_eq!(
        p.attr("#job-stage", "data-state"),
        "done",
        "{}: the report failed: {}",
        s.name(),
        if p.has("#job-error") {
            p.text("#job-error")
        } else {
            p.body.clone()
        }
    );
    p
}

/// A download: status, headers and bytes.
async fn fetch(c: &Client, url: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let r = c.get(url).send().await.expect("download");
    let status = r.status();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("bytes").to_vec())
}

/// The UTF-8 file name of an RFC 5987 `filename*=UTF-8''…` parameter.
fn filename_star(disposition: &str) -> String {
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .unwrap_or_else(|| panic!("no filename* in {disposition:?}"));
    let mut bytes = Vec::new();
    let mut it = encoded.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex: Vec<u8> = it.by_ref().take(2).collect();
            bytes.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).expect("UTF-8 name")
}

/// The text of `word/document.xml` in a DOCX.
fn document_xml(docx: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a DOCX is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("word/document.xml")
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_report_in_every_format_agrees_with_the_pages() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        let (c, _, _) = county(&s, &w).await;
        // Two of the three expected chambers have submitted.
        let rate = format!("{:.1}%", 2.0 / 3.0 * 100.0);

        let staff = signed_in(&s, "fz_staff").await;
        let home = get(&staff, &s.url("/")).await;
        assert_eq!(home.attr("#nav-writeup", "href"), "/writeup", "{n}");
        // What the campaign page and the coverage dashboard say of the county.
        let campaign = get(
            &staff,
            &s.url(&format!("/campaigns/{}?node={}", c.fuzhou, t.gulou)),
        )
        .await;
        assert_eq!(campaign.text("#card-rate .value"), rate, "{n}");
        let dashboard = get(
            &staff,
            &s.url(&format!("/indicators?node={}&year={REPORT_YEAR}", t.gulou)),
        )
        .await;
        assert_eq!(dashboard.status, StatusCode::OK, "{n}");
        assert_eq!(dashboard.text("#card-reporting_rate .value"), rate, "{n}");
        assert_eq!(
            dashboard.attr("#writeup-link", "href"),
            format!("/writeup?node={}&year={REPORT_YEAR}", t.gulou),
            "{n}"
        );
        let values: Vec<String> = dashboard
            .texts("#cards .card .value")
            .into_iter()
            .filter(|v| v != "—")
            .collect();
        assert!(!values.is_empty(), "{n}: the dashboard's cards");

        // The form, from the campaign page's link: the county and the campaign's year chosen,
        // every format ticked.
        let link = campaign.attr("#writeup-link", "href");
        let form = get(&staff, &s.url(&link)).await;
        assert_eq!(form.status, StatusCode::OK, "{n}: {}", form.body);
        assert_eq!(
            form.attr("#f-node option[selected]", "value"),
            t.gulou.to_string(),
            "{n}"
        );
        assert_eq!(
            form.attr("#f-year option[selected]", "value"),
            REPORT_YEAR.to_string(),
            "{n}"
        );
        for f in ["docx", "pdf", "html"] {
            assert!(
                form.has(&format!("#f-format-{f}[checked]")),
                "{n}: {f} ticked"
            );
        }
        let query = link.trim_start_matches("/writeup?");
        let job = start(&staff, &s, query, &["docx", "pdf", "html"]).await;
        let page = done(&staff, &s, &job).await;
        assert_eq!(page.text("#job-node"), "鼓楼区工商联", "{n}");
        assert_eq!(
            page.text("#job-language"),
            "中文",
            "{n}: the reader's language"
        );

        // Word: a zip whose document names the county and states the rate.
        let (status, headers, docx) = fetch(&staff, &s.url(&page.attr("#file-docx", "href"))).await;
        assert_eq!(status, StatusCode::OK, "{n}");
        assert_eq!(
            headers[CONTENT_TYPE],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "{n}"
        );
        let disposition = headers[CONTENT_DISPOSITION].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment;"), "{n}: {disposition}");
        let name = filename_star(&disposition);
        assert!(
            name.starts_with(&format!("鼓楼区工商联-{REPORT_YEAR}-")) && name.ends_with(".docx"),
            "{n}: {name}"
        );
        let xml = document_xml(&docx);
        assert!(
            xml.contains("鼓楼区工商联"),
            "{n}: the county in the Word file"
        );
        assert!(
            xml.contains(&rate),
            "{n}: the reporting rate {rate} in the Word file"
        );

        // PDF.
        let (status, headers, pdf) = fetch(&staff, &s.url(&page.attr("#file-pdf", "href"))).await;
        assert_eq!(status, StatusCode::OK, "{n}");
        assert_eq!(headers[CONTENT_TYPE], "application/pdf", "{n}");
        assert!(pdf.starts_with(b"%PDF"), "{n}: a PDF");
        assert!(
            filename_star(headers[CONTENT_DISPOSITION].to_str().unwrap()).ends_with(".pdf"),
            "{n}"
        );

        // HTML: the same rate, and every value the dashboard's cards show.
        let (status, headers, html) = fetch(&staff, &s.url(&page.attr("#file-html", "href"))).await;
        assert_eq!(status, StatusCode::OK, "{n}");
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{n}"
        );
        let html = String::from_utf8(html).expect("UTF-8 HTML");
        assert!(html.contains("鼓楼区工商联"), "{n}");
        assert!(html.contains(&rate), "{n}: the reporting rate in the HTML");
        for v in &values {
            assert!(
                html.contains(v.as_str()),
                "{n}: the dashboard's {v} in the report"
            );
        }

        // In the browser: inside the site, styled by its own stylesheet, no inline styles (the
        // site's policy would block them).
        let view = get(&staff, &s.url(&page.attr("#view-link", "href"))).await;
        assert_eq!(view.status, StatusCode::OK, "{n}");
        assert!(view.has("link[href='/static/writeup.css']"), "{n}");
        assert!(view.has("main div.writeup"), "{n}");
        assert!(view.text("main div.writeup").contains(&rate), "{n}");
        assert!(
            !view.has("[style]") && !view.has("style"),
            "{n}: no inline style"
        );
        let css = get(&staff, &s.url("/static/writeup.css")).await;
        assert_eq!(css.status, StatusCode::OK, "{n}");
        assert!(css.header("content-type").starts_with("text/css"), "{n}");
        assert!(css.body.contains(".writeup"), "{n}");

        // The reader's list has it, with its files.
        let list = get(&staff, &s.url("/writeup")).await;
        assert_eq!(list.rows("#jobs").len(), 1, "{n}");
        assert!(list.has(&format!("#jobs a[href='{job}']")), "{n}");
        assert!(list.has(&format!("#jobs a[href='{job}/file/pdf']")), "{n}");

        // Audited.
        let audit = audit_log(&s.db, Some("writeup.build")).await;
        assert_eq!(audit.len(), 1, "{n}");
        assert_eq!(audit[0].actor, "福州工作人员 (fz_staff)", "{n}");

        // Someone else, even of the same federation, is told the job does not exist.
        let other = signed_in(&s, "fz_admin").await;
        for path in [
            job.clone(),
            format!("{job}/view"),
            format!("{job}/file/docx"),
        ] {
            let p = get(&other, &s.url(&path)).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{n}: {path}");
        }
        assert!(!get(&other, &s.url("/writeup")).await.has("#jobs"), "{n}");
        // Junk and unknown jobs and formats are not found either.
        for path in [
            "/writeup/jobs/0000000000000001".to_string(),
            "/writeup/jobs/xyz".to_string(),
            format!("{job}/file/exe"),
        ] {
            let p = get(&staff, &s.url(&path)).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{n}: {path}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_refuses_chambers_outside_nodes_and_empty_choices() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        county(&s, &w).await;
        // A chamber's secretary makes no reports.
        let secretary = signed_in(&s, "gl_secretary").await;
        let p = get(&secretary, &s.url("/writeup")).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{n}");
        assert!(
            !get(&secretary, &s.url("/")).await.has("#nav-writeup"),
            "{n}"
        );

        // 鼓楼区's staff: their county by default; 福州 (above) and 厦门 (aside) are not found.
        let gl = signed_in(&s, "gl_staff").await;
        let p = get(&gl, &s.url("/writeup")).await;
        assert_eq!(p.status, StatusCode::OK, "{n}");
        assert_eq!(
            p.text("#f-node option[selected]"),
            "鼓楼区工商联",
            "{n}: the scope's root"
        );
        assert_eq!(p.text("#no-jobs"), "您近 2 小时内没有生成报告。", "{n}");
        for node in [t.fuzhou, t.xiamen] {
            let p = get(&gl, &s.url(&format!("/writeup?node={node}"))).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{n}: {node}");
        }

        // Posted anyway: the form again, each problem at its field, and no job.
        let token = p.attr("#writeup-form input[name=_csrf]", "value");
        let bad = post_form(
            &gl,
            &s.url("/writeup"),
            &pairs(&[
                ("_csrf", &token),
                ("node", &t.xiamen.to_string()),
                ("year", "1990"),
            ]),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        assert_eq!(
            bad.field_error("node"),
            "找不到该单位，或该单位不在您的管辖范围内。",
            "{n}"
        );
        assert_eq!(bad.field_error("year"), "请选择有数据的年度。", "{n}");
        assert_eq!(
            bad.field_error("formats"),
            "请至少选择一种文件格式。",
            "{n}"
        );
        assert!(
            !bad.has("#f-format-pdf[checked]"),
            "{n}: what was sent stays"
        );
        assert!(
            audit_log(&s.db, Some("writeup.build")).await.is_empty(),
            "{n}"
        );
        // Without the form's token: refused.
        let p = post_form(
            &gl,
            &s.url("/writeup"),
            &pairs(&[("node", &t.gulou.to_string()), ("format", "html")]),
        )
        .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{n}");

        // The county's own staff get the county's report, with the city's campaign in it.
        let job = start(&gl, &s, "", &["html"]).await;
        let page = done(&gl, &s, &job).await;
        let (_, _, html) = fetch(&gl, &s.url(&page.attr("#file-html", "href"))).await;
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.contains(&format!("{:.1}%", 2.0 / 3.0 * 100.0)),
            "{n}: the reporting rate in {html}"
        );

        // In English, the page and its messages are English.
        let en = client();
        sign_in(&en, &s, "gl_staff").await;
        get(&en, &s.url("/lang/en")).await;
        let p = get(&en, &s.url("/writeup")).await;
        assert_eq!(p.text("h1"), "Data-analysis report", "{n}");
        assert_eq!(p.text("#build"), "Make report", "{n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_checked_saved_used_and_reset() {
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let t = w.t;
        county(&s, &w).await;
        let url = s.url("/writeup/templates/edit?lang=zh-CN&name=overview");
        // Staff make reports but do not edit their templates; they see the list.
        let staff = signed_in(&s, "fz_staff").await;
        assert_eq!(get(&staff, &url).await.status, StatusCode::FORBIDDEN, "{n}");
        let list = get(&staff, &s.url("/writeup/templates")).await;
        assert_eq!(list.status, StatusCode::OK, "{n}");
        assert!(!list.has("#tpl-overview a"), "{n}: no edit links");

        let admin = signed_in(&s, "fz_admin").await;
        let list = get(&admin, &s.url("/writeup/templates")).await;
        assert_eq!(list.rows("#templates").len(), 15, "{n}: every template");
        assert!(
            list.text("#tpl-overview .tpl-zh-CN").starts_with("默认"),
            "{n}"
        );
        let edit = get(&admin, &url).await;
        assert_eq!(edit.status, StatusCode::OK, "{n}");
        let default = edit.text("#f-source");
        assert!(default.contains("overview.chambers"), "{n}: {default}");
        assert!(edit.text("#variables").contains("overview"), "{n}");
        let form = edit.form("#template-form");

        // A template that does not parse: refused with its line, nothing saved.
        let broken = "第一段：{{ node.name }}\n{% if %}";
        let p = post_form(
            &admin,
            &s.url("/writeup/templates/edit"),
            &with(&form, &[("source", broken)]),
        )
        .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{n}");
        let err = p.field_error("source");
        assert!(err.contains("第 2 行"), "{n}: {err}");
        assert_eq!(
            p.text("#f-source"),
            broken.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert!(!get(&admin, &url).await.has("#versions"), "{n}: no version");

        // A custom overview: saved, listed as edited, and used by the next report.
        let custom = "自定义：{{ node.name }}共有商会 {{ overview.chambers }} 家。";
        let p = post_form(
            &admin,
            &s.url("/writeup/templates/edit"),
            &with(&form, &[("source", custom)]),
        )
        .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{n}: {}", p.body);
        let list = get(&admin, &s.url(&p.location())).await;
        assert_eq!(
            list.text("p.flash"),
            "已保存中文模板“总体情况”，此后生成的报告使用新模板。",
            "{n}"
        );
        assert!(
            list.text("#tpl-overview .tpl-zh-CN").starts_with("已修改"),
            "{n}"
        );
        assert!(
            list.text("#tpl-overview .tpl-en").starts_with("默认"),
            "{n}: English is another template"
        );
        let query = format!("node={}&year={REPORT_YEAR}", t.gulou);
        let job = start(&admin, &s, &query, &["html"]).await;
        let page = done(&admin, &s, &job).await;
        let (_, _, html) = fetch(&admin, &s.url(&page.attr("#file-html", "href"))).await;
        let html = String::from_utf8(html).unwrap();
        assert!(
            html.contains("自定义：鼓楼区工商联共有商会 3 家。"),
            "{n}: the custom sentence in {html}"
        );

        // Back to the default: the form shows it, the history keeps both versions, and the next
        // report says what the default says.
        let edit = get(&admin, &url).await;
        assert_eq!(edit.text("#state"), "已修改", "{n}");
        let reset = edit.form("#reset-form");
        let p = post_form(&admin, &s.url("/writeup/templates/reset"), &reset).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{n}");
        let edit = get(&admin, &url).await;
        assert_eq!(edit.text("#f-source"), default, "{n}");
        assert_eq!(edit.text("#state"), "默认", "{n}");
        assert_eq!(edit.rows("#versions").len(), 2, "{n}");
        let job = start(&admin, &s, &query, &["html"]).await;
        let page = done(&admin, &s, &job).await;
        let (_, _, html) = fetch(&admin, &s.url(&page.attr("#file-html", "href"))).await;
        let html = String::from_utf8(html).unwrap();
        assert!(!html.contains("自定义"), "{n}");
        assert!(
            html.contains("鼓楼区工商联共有商会 3 家"),
            "{n}: the default"
        );
        let saves = audit_log(&s.db, Some("writeup.template.save")).await;
        assert_eq!(saves.len(), 1, "{n}");
        let resets = audit_log(&s.db, Some("writeup.template.reset")).await;
        assert_eq!(resets.len(), 1, "{n}");
    }
}
