//! Shared pieces of the web tests: a real server on its own database, an HTTP client that keeps
//! cookies and shows redirects, HTML helpers and seed data.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::NaiveDate;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};
use scraper::{ElementRef, Html, Selector};
use shanghui_core::division::DivisionIndex;
use shanghui_core::org::{OrgDraft, OrgInput, parse_org};
use shanghui_core::{Field, Scope, uscc};
use shanghui_store::testing::{self, TestDb};
use shanghui_store::{Actor, Backend, Db, orgs, registry};

/// A running server on a fresh database. The server task ends when the test's runtime does, or
/// earlier when this is dropped.
pub struct Server {
    pub base: String,
    pub db: Db,
    pub backend: Backend,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    // Last, so that the database goes after the server.
    _test_db: TestDb,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(t: TestDb) -> Server {
        let db = t.db.clone();
        let state = shanghui_web::AppState::new(db.clone())
            .await
            .expect("app state");
        let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
        let task = tokio::spawn(shanghui_web::serve(
            state,
            "127.0.0.1:0".parse().unwrap(),
            move |addr| {
                let _ = tx.send(addr);
            },
        ));
        let addr = rx.await.expect("the server reports its address");
        Server {
            base: format!("http://{addr}"),
            backend: db.backend(),
            db,
            task,
            _test_db: t,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A label for assertion messages.
    pub fn name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    pub async fn count(&self) -> i64 {
        orgs::count(&self.db, &Scope::all()).await.expect("count")
    }

    pub async fn org(&self, id: i64) -> shanghui_core::Organization {
        orgs::require(&self.db, &Scope::all(), id)
            .await
            .expect("organisation exists")
    }
}

/// One server per available backend (SQLite always, PostgreSQL when configured).
pub async fn servers() -> Vec<Server> {
    let mut v = Vec::new();
    for t in testing::all().await {
        v.push(Server::start(t).await);
    }
    v
}

/// A browser-like client: keeps cookies, does not follow redirects (tests look at the 303s).
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub doc: Html,
}

impl Page {
    pub async fn from(resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("body");
        let doc = Html::parse_document(&body);
        Page {
            status,
            headers,
            body,
            doc,
        }
    }

    pub fn texts(&self, css: &str) -> Vec<String> {
        texts(&self.doc, css)
    }

    /// The text of the only (or first) match; panics when nothing matches.
    pub fn text(&self, css: &str) -> String {
        self.texts(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {css:?} in page:\n{}", self.body))
    }

    pub fn has(&self, css: &str) -> bool {
        self.doc.select(&sel(css)).next().is_some()
    }

    pub fn attr(&self, css: &str, name: &str) -> String {
        let el = self
            .doc
            .select(&sel(css))
            .next()
            .unwrap_or_else(|| panic!("no {css:?} in page:\n{}", self.body));
        el.value()
            .attr(name)
            .unwrap_or_else(|| panic!("{css:?} has no {name}"))
            .to_string()
    }

    pub fn location(&self) -> String {
        self.headers
            .get(LOCATION)
            .unwrap_or_else(|| panic!("no Location header (status {})", self.status))
            .to_str()
            .unwrap()
            .to_string()
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The `<dt>`/`<dd>` pairs of the details list of a unit page.
    pub fn details(&self) -> BTreeMap<String, String> {
        let dts = self.texts("dl.fields dt");
        let dds = self.texts("dl.fields dd");
        assert_eq!(dts.len(), dds.len(), "details list is not in pairs");
        dts.into_iter().zip(dds).collect()
    }

    /// The rows of a table as cell texts.
    pub fn rows(&self, table: &str) -> Vec<Vec<String>> {
        let tr = sel(&format!("{table} tbody tr"));
        let td = sel("td");
        self.doc
            .select(&tr)
            .map(|r| r.select(&td).map(text_of).collect())
            .collect()
    }

    /// What a browser would submit for the form matched by `css`: inputs with their values and
    /// each select's selected option (or its first).
    pub fn form(&self, css: &str) -> Vec<(String, String)> {
        let form = self
            .doc
            .select(&sel(css))
            .next()
            .unwrap_or_else(|| panic!("no form {css:?}:\n{}", self.body));
        let mut out = Vec::new();
        for el in form.select(&sel("input[name], select[name], textarea[name]")) {
            let name = el.value().attr("name").unwrap().to_string();
            let value = match el.value().name() {
                "select" => {
                    let opts: Vec<ElementRef> = el.select(&sel("option")).collect();
                    let chosen = opts
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(opts.first());
                    chosen
                        .and_then(|o| o.value().attr("value"))
                        .unwrap_or("")
                        .to_string()
                }
                "textarea" => text_of(el),
                _ => el.value().attr("value").unwrap_or("").to_string(),
            };
            out.push((name, value));
        }
        out
    }

    /// The error shown next to a form field, with the field's own wrapper checked.
    pub fn field_error(&self, code: &str) -> String {
        let id = format!("#err-{code}");
        assert!(self.has(&id), "no error for {code}:\n{}", self.body);
        // The error sits in the same `.field` block as the input it is about.
        let block = self
            .doc
            .select(&sel("div.field"))
            .find(|d| d.select(&sel(&format!("#f-{code}"))).next().is_some())
            .unwrap_or_else(|| panic!("no field block for {code}"));
        assert!(
            block.value().classes().any(|c| c == "has-error"),
            "the block of {code} is not marked"
        );
        let errs: Vec<String> = block.select(&sel("p.field-error")).map(text_of).collect();
        assert!(
            !errs.is_empty(),
            "the error of {code} is not in its field block"
        );
        assert_eq!(self.text(&id), errs[0]);
        errs.join(" ")
    }

    /// The `id` of every field marked with an error.
    pub fn error_ids(&self) -> Vec<String> {
        self.doc
            .select(&sel("p.field-error"))
            .filter_map(|e| e.value().attr("id").map(str::to_string))
            .collect()
    }
}

pub fn value_in(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// Replaces (or adds) fields of a form.
pub fn with(form: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = form.to_vec();
    for (k, v) in changes {
        match out.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v.to_string(),
            None => out.push((k.to_string(), v.to_string())),
        }
    }
    out
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e:?}"))
}

/// The text of an element, its text nodes separated by a space and runs of white space made one.
pub fn text_of(e: ElementRef) -> String {
    e.text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn texts(doc: &Html, css: &str) -> Vec<String> {
    doc.select(&sel(css)).map(text_of).collect()
}

pub async fn get(c: &Client, url: &str) -> Page {
    Page::from(
        c.get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}")),
    )
    .await
}

pub async fn post_form(c: &Client, url: &str, form: &[(String, String)]) -> Page {
    Page::from(
        c.post(url)
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}")),
    )
    .await
}

/// The value of a cookie the response sets, with its attributes.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// A check with its explanation built at run time.
pub fn check(ok: bool, what: &str) {
    assert!(ok, "{what}");
}

/// Writes to the real stderr, past the test harness's capture, so a note shows in every run.
pub fn loud(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Today as the server sees it (China's time).
pub fn today() -> NaiveDate {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    chrono::Utc::now().with_timezone(&cst).date_naive()
}

pub fn draft(d: &DivisionIndex, p: &[(Field, &str)]) -> OrgDraft {
    let input: OrgInput = p.iter().map(|(f, v)| (*f, v.to_string())).collect();
    parse_org(&input, d, day(2025, 6, 1)).unwrap_or_else(|e| panic!("bad seed {p:?}: {e:?}"))
}

/// The credit code of the seeded chamber.
pub fn chamber_uscc() -> String {
    uscc::with_check("51350102MJ0000001").unwrap().to_string()
}

/// 全国工商联 → 福建省工商联 → 福州市工商联 → 鼓楼区工商联 → 鼓楼区餐饮商会, and 厦门市工商联 under
/// the province.
pub struct Tree {
    pub national: i64,
    pub fujian: i64,
    pub fuzhou: i64,
    pub gulou: i64,
    pub xiamen: i64,
    pub chamber: i64,
}

pub async fn seed(db: &Db) -> Tree {
    let d = DivisionIndex::shipped();
    let all = Scope::all();
    let a = Actor::system("seed");
    use Field::*;
    let mk = |p: Option<i64>, fields: Vec<(Field, String)>| {
        let dr = draft(
            &d,
            &fields
                .iter()
                .map(|(f, v)| (*f, v.as_str()))
                .collect::<Vec<_>>(),
        );
        let (db, all, a) = (db.clone(), all.clone(), a.clone());
        async move {
            registry::create(&db, &all, p, &dr, &a)
                .await
                .expect("seed")
                .id
        }
    };
    let s = |pairs: &[(Field, &str)]| {
        pairs
            .iter()
            .map(|(f, v)| (*f, v.to_string()))
            .collect::<Vec<_>>()
    };
    let national = mk(
        None,
        s(&[(Kind, "工商联"), (Level, "全国"), (Name, "全国工商联")]),
    )
    .await;
    let fujian = mk(
        Some(national),
        s(&[
            (Kind, "工商联"),
            (Level, "省级"),
            (Name, "福建省工商联"),
            (DivisionCode, "350000"),
        ]),
    )
    .await;
    let fuzhou = mk(
        Some(fujian),
        s(&[
            (Kind, "工商联"),
            (Level, "市级"),
            (Name, "福州市工商联"),
            (DivisionCode, "350100"),
        ]),
    )
    .await;
    let gulou = mk(
        Some(fuzhou),
        s(&[
            (Kind, "工商联"),
            (Level, "县级"),
            (Name, "鼓楼区工商联"),
            (DivisionCode, "350102"),
            (FoundedOn, "2001-01-01"),
        ]),
    )
    .await;
    let xiamen = mk(
        Some(fujian),
        s(&[
            (Kind, "工商联"),
            (Level, "市级"),
            (Name, "厦门市工商联"),
            (DivisionCode, "350200"),
        ]),
    )
    .await;
    let code = chamber_uscc();
    let chamber = mk(
        Some(gulou),
        s(&[
            (Kind, "商会"),
            (Name, "鼓楼区餐饮商会"),
            (Category, "行业"),
            (DivisionCode, "350102"),
            (Uscc, &code),
            (FoundedOn, "2010-05-01"),
            (MembersUnit, "40"),
            (MembersIndividual, "12"),
            (Registered, "是"),
            (PartyOrg, "否"),
            (PartyOrgReason, "党员人数不足三人"),
        ]),
    )
    .await;
    Tree {
        national,
        fujian,
        fuzhou,
        gulou,
        xiamen,
        chamber,
    }
}
