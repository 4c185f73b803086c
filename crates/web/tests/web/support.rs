//! Shared pieces of the web tests: a real server on its own database, an HTTP client that keeps
//! cookies and shows redirects, accounts and signed-in clients, HTML helpers and seed data.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use chrono::NaiveDate;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode, redirect};
use scraper::{ElementRef, Html, Selector};
use shanghui_core::account::Role;
use shanghui_core::division::DivisionIndex;
use shanghui_core::org::{OrgDraft, OrgInput, parse_org};
use shanghui_core::{Field, Scope, uscc};
use shanghui_store::accounts::{self, Profile, User};
use shanghui_store::testing::{self, TestDb};
use shanghui_store::{Actor, Backend, Db, orgs, registry};

/// The password of every account the tests make.
pub const PASSWORD: &str = "Shanghui2025-test";

/// The system administrator every server starts with, and how the audit log names them.
pub const ADMIN: &str = "admin";
pub const ADMIN_NAME: &str = "系统管理员";
pub const ADMIN_ACTOR: &str = "系统管理员 (admin)";

/// The hash of [`PASSWORD`], made once per process: argon2 is slow in debug builds, and every
/// account shares it.
pub fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| accounts::hash_password(PASSWORD))
        .clone()
}

/// Makes an account directly in the store, with [`PASSWORD`].
pub async fn add_user(
    db: &Db,
    username: &str,
    display_name: &str,
    role: Role,
    unit: Option<i64>,
) -> User {
    let profile = Profile {
        display_name: display_name.to_string(),
        role,
        organization_id: unit,
    };
    accounts::create(
        db,
        &Scope::all(),
        Role::SysAdmin,
        username,
        &profile,
        password_hash(),
        &Actor::system("test"),
    )
    .await
    .unwrap_or_else(|e| panic!("account {username}: {e:?}"))
}

pub async fn user(db: &Db, username: &str) -> User {
    accounts::by_username(db, username)
        .await
        .expect("read account")
        .unwrap_or_else(|| panic!("no account {username}"))
}

/// A running server on a fresh database, with the system administrator [`ADMIN`]. The server task
/// ends when the test's runtime does, or earlier when this is dropped.
pub struct Server {
    pub base: String,
    pub db: Db,
    pub backend: Backend,
    /// The database's URL (for tools that open it themselves).
    pub db_url: String,
    pub admin_id: i64,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    // Last, so that the database goes after the server. `None` for a second server on the
    // database of another.
    _test_db: Option<TestDb>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts `shanghui_web::serve` on a free port of 127.0.0.1, on `db`.
async fn spawn_server(db: &Db) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
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
    (format!("http://{addr}"), task)
}

impl Server {
    pub async fn start(t: TestDb) -> Server {
        let db = t.db.clone();
        let admin = add_user(&db, ADMIN, ADMIN_NAME, Role::SysAdmin, None).await;
        let (base, task) = spawn_server(&db).await;
        Server {
            base,
            backend: db.backend(),
            db_url: t.url.clone(),
            admin_id: admin.id,
            db,
            task,
            _test_db: Some(t),
        }
    }

    /// A second server on the same database, as behind a load balancer. The database stays
    /// with `self`.
    pub async fn another(&self) -> Server {
        let (base, task) = spawn_server(&self.db).await;
        Server {
            base,
            backend: self.backend,
            db_url: self.db_url.clone(),
            admin_id: self.admin_id,
            db: self.db.clone(),
            task,
            _test_db: None,
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

    /// Runs a statement on the server's database directly (time passing, for one). Only on the
    /// server that owns the database.
    pub async fn exec(&self, sql: &str) {
        self._test_db
            .as_ref()
            .expect("the server that owns the database")
            .exec(sql)
            .await;
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
/// Not signed in: see [`signed_in`].
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

/// Like [`client`], from another loopback address (the sign-in rate limit counts per address).
pub fn client_from(ip: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .local_address(ip.parse::<IpAddr>().expect("an address"))
        .build()
        .expect("client")
}

/// A client that keeps no cookies: the test sends them itself.
pub fn bare_client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs in through the form: GET /login (which sets the CSRF cookie and gives the hidden
/// token), then POST /login. Gives both pages; the caller checks the outcome.
pub async fn login(c: &Client, s: &Server, username: &str, password: &str) -> (Page, Page) {
    let form = get(c, &s.url("/login")).await;
    assert_eq!(form.status, StatusCode::OK, "{}: GET /login", s.name());
    let token = form.attr("form.login input[name=_csrf]", "value");
    let done = post_form(
        c,
        &s.url("/login"),
        &pairs(&[
            ("_csrf", &token),
            ("username", username),
            ("password", password),
        ]),
    )
    .await;
    (form, done)
}

/// A client signed in as `username` (with [`PASSWORD`]).
pub async fn signed_in(s: &Server, username: &str) -> Client {
    let c = client();
    sign_in(&c, s, username).await;
    c
}

/// Signs `c` in as `username` and gives the session token.
pub async fn sign_in(c: &Client, s: &Server, username: &str) -> String {
    let (_, done) = login(c, s, username, PASSWORD).await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "{}: sign-in of {username}: {}",
        s.name(),
        done.body
    );
    assert_eq!(done.location(), "/", "{}: after sign-in", s.name());
    sid_of(&done).unwrap_or_else(|| panic!("{}: no session cookie for {username}", s.name()))
}

/// A client signed in as the system administrator.
pub async fn admin(s: &Server) -> Client {
    signed_in(s, ADMIN).await
}

/// The session token a response sets, if any (an empty value, as at sign-out, counts as none).
pub fn sid_of(p: &Page) -> Option<String> {
    let c = set_cookie(&p.headers, "sid")?;
    let v = c
        .trim_start_matches("sid=")
        .split(';')
        .next()
        .unwrap_or("")
        .to_string();
    (!v.is_empty()).then_some(v)
}

/// The CSRF token of a client (the hidden field of the sign-in form, same as its cookie).
pub async fn csrf_token(c: &Client, s: &Server) -> String {
    get(c, &s.url("/login"))
        .await
        .attr("form.login input[name=_csrf]", "value")
}

/// GET with the cookies given by hand.
pub async fn get_with_cookie(url: &str, cookie: &str) -> Page {
    Page::from(
        bare_client()
            .get(url)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}")),
    )
    .await
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

    /// What a browser would submit for the form matched by `css`: inputs with their values
    /// (boxes only when ticked) and each select's selected option (or its first).
    pub fn form(&self, css: &str) -> Vec<(String, String)> {
        let form = self
            .doc
            .select(&sel(css))
            .next()
            .unwrap_or_else(|| panic!("no form {css:?}:\n{}", self.body));
        let mut out = Vec::new();
        for el in form.select(&sel("input[name], select[name], textarea[name]")) {
            let name = el.value().attr("name").unwrap().to_string();
            // An unticked box is not sent.
            let tickable = matches!(el.value().attr("type"), Some("checkbox" | "radio"));
            if tickable && el.value().attr("checked").is_none() {
                continue;
            }
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

/// A check of a bug found and fixed (described in a "Regression guard" comment where it is called). It
/// notes the failure instead of stopping the test, so that the checks after it still run; the
/// test ends with [`assert_no_bugs`], which fails with every note.
pub fn bug_check(found: &mut Vec<String>, fixed: bool, what: String) {
    if !fixed {
        found.push(what);
    }
}

pub fn assert_no_bugs(found: &[String]) {
    assert!(
        found.is_empty(),
        "{} regression(s):\n{}",
        found.len(),
        found.join("\n")
    );
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
#[derive(Clone, Copy, Debug)]
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

/// [`seed`], a chamber in Xiamen, and one account of each role: the federation's at 福州市工商联,
/// the chamber secretary at 鼓楼区餐饮商会; plus a staff account inside (at 鼓楼区工商联) and one
/// outside (at 厦门市工商联) for the user pages.
pub struct World {
    pub t: Tree,
    /// 厦门市餐饮商会, below 厦门市工商联.
    pub xm_chamber: i64,
    pub fed_admin: User,
    pub fed_staff: User,
    pub leader: User,
    pub secretary: User,
    pub reviewer: User,
    pub evaluator: User,
    /// fed_staff at 鼓楼区工商联 (inside 福州).
    pub inside: User,
    /// fed_staff at 厦门市工商联 (outside 福州).
    pub outside: User,
}

pub async fn seed_world(db: &Db) -> World {
    let t = seed(db).await;
    let d = DivisionIndex::shipped();
    let xm = draft(
        &d,
        &[
            (Field::Kind, "商会"),
            (Field::Name, "厦门市餐饮商会"),
            (Field::Category, "行业"),
            (Field::DivisionCode, "350203"),
        ],
    );
    let xm_chamber = registry::create(
        db,
        &Scope::all(),
        Some(t.xiamen),
        &xm,
        &Actor::system("seed"),
    )
    .await
    .expect("seed")
    .id;
    World {
        fed_admin: add_user(db, "fz_admin", "福州管理员", Role::FedAdmin, Some(t.fuzhou)).await,
        fed_staff: add_user(
            db,
            "fz_staff",
            "福州工作人员",
            Role::FedStaff,
            Some(t.fuzhou),
        )
        .await,
        leader: add_user(db, "fz_leader", "福州领导", Role::Leader, Some(t.fuzhou)).await,
        secretary: add_user(
            db,
            "gl_secretary",
            "张三",
            Role::ChamberSecretary,
            Some(t.chamber),
        )
        .await,
        reviewer: add_user(
            db,
            "fz_reviewer",
            "审查机构",
            Role::Reviewer,
            Some(t.fuzhou),
        )
        .await,
        evaluator: add_user(
            db,
            "fz_evaluator",
            "评估人员",
            Role::Evaluator,
            Some(t.fuzhou),
        )
        .await,
        inside: add_user(
            db,
            "gl_staff",
            "鼓楼工作人员",
            Role::FedStaff,
            Some(t.gulou),
        )
        .await,
        outside: add_user(
            db,
            "xm_staff",
            "厦门工作人员",
            Role::FedStaff,
            Some(t.xiamen),
        )
        .await,
        t,
        xm_chamber,
    }
}

/// The audit log's entries with `action` (all when `None`), newest first, read from the store.
pub async fn audit_log(db: &Db, action: Option<&str>) -> Vec<shanghui_store::audit::Entry> {
    shanghui_store::audit::search(
        db,
        &Scope::all(),
        &shanghui_store::audit::Filter {
            action: action.map(str::to_string),
            limit: 100_000,
            ..Default::default()
        },
    )
    .await
    .expect("audit search")
}

/// The year the seeded campaigns are for.
pub const REPORT_YEAR: i32 = 2024;

/// Opens a campaign of `org` for `year` with the sample template, open now and due far ahead
/// (so that whatever is submitted during a test is on time). Gives its id.
pub async fn open_campaign(db: &Db, org: i64, year: i32) -> i64 {
    let a = Actor::system("seed");
    let template = shanghui_store::templates::ensure_sample(db, &a)
        .await
        .expect("sample template");
    let new = shanghui_store::campaigns::NewCampaign {
        organization_id: org,
        year,
        template_id: template,
        opens_on: day(year + 1, 3, 1),
        deadline: day(2099, 12, 31),
    };
    shanghui_store::campaigns::open(db, &Scope::all(), &new, &a)
        .await
        .unwrap_or_else(|e| panic!("campaign of {org}: {e:?}"))
        .campaign
        .id
}

/// The campaigns of the report pages' tests and of the access matrix.
#[derive(Clone, Copy, Debug)]
pub struct Campaigns {
    /// The sample template's version.
    pub template: i64,
    /// 福州市工商联's campaign for [`REPORT_YEAR`]: expects 鼓楼区餐饮商会.
    pub fuzhou: i64,
    /// 厦门市工商联's campaign for [`REPORT_YEAR`]: expects 厦门市餐饮商会.
    pub xiamen: i64,
}

pub async fn seed_campaigns(db: &Db, w: &World) -> Campaigns {
    let fuzhou = open_campaign(db, w.t.fuzhou, REPORT_YEAR).await;
    let xiamen = open_campaign(db, w.t.xiamen, REPORT_YEAR).await;
    let template = shanghui_store::templates::ensure_sample(db, &Actor::system("seed"))
        .await
        .expect("sample template");
    Campaigns {
        template,
        fuzhou,
        xiamen,
    }
}

/// Submits a unit's report in the store (as staff entering a paper report): a complete report
/// of the sample template with `changes`. The rules run on submission.
pub async fn submit_in_store(db: &Db, campaign: i64, org: i64, changes: &[(&str, &str)]) {
    let mut raw: BTreeMap<String, String> = crate::reports::complete(50)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in changes {
        raw.insert(k.to_string(), v.to_string());
    }
    let (answers, problems) = shanghui_core::template::sample().read(&raw);
    assert!(problems.is_empty(), "{problems:?}");
    let (r, _) = shanghui_store::reports::get(db, &Scope::all(), campaign, org)
        .await
        .expect("report");
    shanghui_store::reports::save(
        db,
        &Scope::all(),
        campaign,
        org,
        &answers,
        r.version,
        shanghui_core::report::Action::Submit,
        &Actor::system("test"),
    )
    .await
    .expect("submit");
}

/// The rectification notices of the access matrix: one on 鼓楼区餐饮商会's report of the year
/// before [`REPORT_YEAR`] (福州's campaign), one on 厦门市餐饮商会's (厦门's), each about the
/// missing general assembly (one item, answered with a PDF, not handed in).
#[derive(Clone, Copy, Debug)]
pub struct Notices {
    /// The campaigns of the year before, inside and outside.
    pub campaign: [i64; 2],
    pub notice: [i64; 2],
    /// The evidence file of each notice.
    pub file: [i64; 2],
}

/// A small PDF as evidence.
pub fn pdf_bytes() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec()
}

pub async fn seed_notices(db: &Db, w: &World) -> Notices {
    use shanghui_store::rectify::{self, Issue};
    let all = Scope::all();
    let a = Actor::system("seed");
    let mut campaign = [0; 2];
    let mut notice = [0; 2];
    let mut file = [0; 2];
    for (k, (fed, org)) in [(w.t.fuzhou, w.t.chamber), (w.t.xiamen, w.xm_chamber)]
        .into_iter()
        .enumerate()
    {
        let c = open_campaign(db, fed, REPORT_YEAR - 1).await;
        submit_in_store(db, c, org, &[("general_assembly", "0")]).await;
        let findings: Vec<i64> = shanghui_store::review::report_review(db, &all, c, org, false)
            .await
            .expect("review")
            .findings
            .iter()
            .filter(|f| f.rule_code.as_deref() == Some("general_assembly"))
            .map(|f| f.id)
            .collect();
        assert!(!findings.is_empty(), "a finding to rectify");
        let what = Issue {
            measures: "召开会员大会".into(),
            deadline: today() + chrono::Duration::days(30),
            include_open: true,
        };
        let id = rectify::issue(db, &all, c, org, &findings, &what, &a)
            .await
            .expect("notice");
        rectify::respond(
            db,
            &all,
            id,
            0,
            "已于年底召开会员大会",
            &[("会议纪要.pdf".to_string(), pdf_bytes())],
            &a,
        )
        .await
        .expect("answer");
        let v = rectify::get(db, &all, id).await.expect("notice");
        campaign[k] = c;
        notice[k] = id;
        file[k] = v.items[0].attachments[0].id;
    }
    Notices {
        campaign,
        notice,
        file,
    }
}
