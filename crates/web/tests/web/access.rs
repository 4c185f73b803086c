//! The access matrix: `tests/access.tsv` holds, for every route of `shanghui_web::ROUTES`, every
//! role and a target inside or outside the reader's scope, the status the server must answer.
//! A route without rules fails the test, and so does a rule for a route that is gone.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::header::{COOKIE, LOCATION};
use shanghui_store::accounts::{self, User};

use crate::support::*;

const TABLE: &str = include_str!("../access.tsv");

/// Every role of the table; `anonymous` is a reader who is not signed in.
const ROLES: &[&str] = &[
    "anonymous",
    "sys_admin",
    "fed_admin",
    "fed_staff",
    "leader",
    "chamber_secretary",
    "reviewer",
    "evaluator",
];

/// The CSRF token every request of the matrix carries (cookie and form): any 48 characters do.
const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Inside,
    Outside,
}

#[derive(Debug)]
struct Rule {
    line: usize,
    method: String,
    path: String,
    role: String,
    /// Both for `*` (routes without an id).
    places: Vec<Place>,
    status: u16,
}

fn parse_table(text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = l.split_whitespace().collect();
        let [method, path, role, place, status] = cols[..] else {
            bad.push(format!("line {line}: want 5 columns, got {cols:?}"));
            continue;
        };
        let places = match place {
            "inside" => vec![Place::Inside],
            "outside" => vec![Place::Outside],
            "*" if !path.contains("{id}") => vec![Place::Inside, Place::Outside],
            _ => {
                bad.push(format!(
                    "line {line}: place {place:?} (inside, outside, or * for a route without {{id}})"
                ));
                continue;
            }
        };
        if !ROLES.contains(&role) {
            bad.push(format!("line {line}: unknown role {role:?}"));
            continue;
        }
        let Ok(status) = status.parse::<u16>() else {
            bad.push(format!("line {line}: status {status:?}"));
            continue;
        };
        rules.push(Rule {
            line,
            method: method.to_string(),
            path: path.to_string(),
            role: role.to_string(),
            places,
            status,
        });
    }
    assert!(
        bad.is_empty(),
        "access.tsv cannot be read:\n{}",
        bad.join("\n")
    );
    rules
}

/// What is wrong with the table against `shanghui_web::ROUTES`: a route, role and place without a
/// rule, a rule given twice, a rule for a route the application does not have.
fn coverage_problems(rules: &[Rule]) -> Vec<String> {
    let routes: BTreeSet<(&str, &str)> = shanghui_web::ROUTES.iter().copied().collect();
    let mut seen: BTreeMap<(&str, &str, &str, Place), usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for r in rules {
        if !routes.contains(&(r.method.as_str(), r.path.as_str())) {
            problems.push(format!(
                "line {}: {} {} is not in shanghui_web::ROUTES",
                r.line, r.method, r.path
            ));
        }
        for &p in &r.places {
            let key = (r.method.as_str(), r.path.as_str(), r.role.as_str(), p);
            if let Some(first) = seen.insert(key, r.line) {
                problems.push(format!(
                    "line {}: {} {} {} {p:?} already has a rule on line {first}",
                    r.line, r.method, r.path, r.role
                ));
            }
        }
    }
    for &(method, path) in shanghui_web::ROUTES {
        for &role in ROLES {
            for p in [Place::Inside, Place::Outside] {
                if !seen.contains_key(&(method, path, role, p)) {
                    problems.push(format!("no rule for {method} {path} as {role} ({p:?})"));
                }
            }
        }
    }
    problems
}

fn check_coverage(rules: &[Rule]) {
    let problems = coverage_problems(rules);
    assert!(
        problems.is_empty(),
        "access.tsv does not match shanghui_web::ROUTES:\n{}",
        problems.join("\n")
    );
}

#[test]
fn access_table_covers_every_route_and_role() {
    check_coverage(&parse_table(TABLE));
}

#[test]
fn access_table_catches_missing_and_stale_rules() {
    let mut rules = parse_table(TABLE);
    rules.retain(|r| !(r.path == "/audit.csv" && r.role == "leader"));
    let problems = coverage_problems(&rules);
    assert_eq!(
        problems,
        vec![
            "no rule for GET /audit.csv as leader (Inside)",
            "no rule for GET /audit.csv as leader (Outside)"
        ]
    );
    let extra = parse_table(&format!("{TABLE}\nGET\t/gone\tleader\t*\t200\n"));
    let problems = coverage_problems(&extra);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].ends_with("GET /gone is not in shanghui_web::ROUTES"),
        "{problems:?}"
    );
    let twice = parse_table(&format!("{TABLE}\nGET\t/\tleader\t*\t200\n"));
    let problems = coverage_problems(&twice);
    assert!(
        problems.len() == 2 && problems[0].contains("already has a rule"),
        "{problems:?}"
    );
}

/// How a role signs in, and the ids inside and outside its scope.
struct Reader {
    username: Option<String>,
    /// An organisation inside the scope (the 福州 subtree; for the chamber secretary, its own
    /// chamber) and one outside (in Xiamen).
    org: [i64; 2],
    /// An account inside the scope and one outside.
    user: [i64; 2],
    /// A campaign inside the scope (or above it, for the chamber secretary) and one outside.
    campaign: [i64; 2],
    /// The template version (shared: the same inside and outside).
    template: i64,
    /// A rectification notice inside and one outside, and an evidence file of each.
    notice: [i64; 2],
    file: [i64; 2],
}

fn readers(w: &World, s: &Server, c: &Campaigns, n: &Notices) -> BTreeMap<&'static str, Reader> {
    let org = [w.t.chamber, w.xm_chamber];
    let user = [w.inside.id, w.outside.id];
    let campaign = [c.fuzhou, c.xiamen];
    let template = c.template;
    let (notice, file) = (n.notice, n.file);
    let mk = |u: Option<&User>| Reader {
        username: u.map(|u| u.username.clone()),
        org,
        user,
        campaign,
        template,
        notice,
        file,
    };
    BTreeMap::from([
        ("anonymous", mk(None)),
        (
            "sys_admin",
            Reader {
                username: Some(ADMIN.to_string()),
                org,
                user,
                campaign,
                template,
                notice,
                file,
            },
        ),
        ("fed_admin", mk(Some(&w.fed_admin))),
        ("fed_staff", mk(Some(&w.fed_staff))),
        ("leader", mk(Some(&w.leader))),
        (
            "chamber_secretary",
            Reader {
                username: Some(w.secretary.username.clone()),
                org,
                user: [w.secretary.id, s.admin_id],
                campaign,
                template,
                notice,
                file,
            },
        ),
        ("reviewer", mk(Some(&w.reviewer))),
        ("evaluator", mk(Some(&w.evaluator))),
    ])
}

/// The path of a route for a reader and a place.
fn concrete(pattern: &str, reader: &Reader, place: Place) -> String {
    let i = match place {
        Place::Inside => 0,
        Place::Outside => 1,
    };
    let id = if pattern.starts_with("/users/") {
        reader.user[i]
    } else if pattern.starts_with("/notices/") {
        reader.notice[i]
    } else if pattern.starts_with("/campaigns/") {
        reader.campaign[i]
    } else if pattern.starts_with("/templates/") {
        reader.template
    } else {
        reader.org[i]
    };
    pattern
        .replace("{id}", &id.to_string())
        .replace("{org}", &reader.org[i].to_string())
        .replace("{file}", &reader.file[i].to_string())
        .replace("{tag}", "en")
        // No report job is ever made by the matrix: an id of the right shape that is nobody's.
        .replace("{job}", "00000000000000ff")
        .replace("{ext}", "pdf")
}

/// One request of the matrix: the status and the Location.
async fn send(s: &Server, method: &str, path: &str, sid: Option<&str>) -> (u16, String, String) {
    let c = bare_client();
    let cookie = match sid {
        Some(sid) => format!("csrf={TOKEN}; sid={sid}"),
        None => format!("csrf={TOKEN}"),
    };
    let url = s.url(path);
    let rq = match method {
        "GET" => c.get(&url),
        // Upload forms are multipart.
        "POST"
            if path == "/import"
                || path == "/templates"
                || path.ends_with("/import")
                || path.ends_with("/respond") =>
        {
            c.post(&url)
                .multipart(reqwest::multipart::Form::new().text("_csrf", TOKEN))
        }
        "POST" => c.post(&url).form(&[("_csrf", TOKEN)]),
        other => panic!("method {other}"),
    };
    let resp = rq
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.text().await.unwrap_or_default();
    let snippet = texts(
        &scraper::Html::parse_document(&body),
        "h1, p.message, #errors p, div.errors p, main > p.error",
    );
    (status, location, snippet.join(" | "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_matrix() {
    let rules = parse_table(TABLE);
    check_coverage(&rules);
    for s in servers().await {
        let n = s.name();
        let w = seed_world(&s.db).await;
        let campaigns = seed_campaigns(&s.db, &w).await;
        // The third-party reviewer has the inside report, and nothing else.
        shanghui_store::review::assign(
            &s.db,
            &shanghui_core::Scope::all(),
            campaigns.fuzhou,
            &[w.t.chamber],
            Some(w.reviewer.id),
            &shanghui_store::Actor::system("seed"),
        )
        .await
        .expect("assignment");
        // Rectification notices of the year before, inside and outside; the reviewer has the
        // inside report of that year too (so the inside notice).
        let notices = seed_notices(&s.db, &w).await;
        shanghui_store::review::assign(
            &s.db,
            &shanghui_core::Scope::all(),
            notices.campaign[0],
            &[w.t.chamber],
            Some(w.reviewer.id),
            &shanghui_store::Actor::system("seed"),
        )
        .await
        .expect("assignment");
        let readers = readers(&w, &s, &campaigns, &notices);
        // Each role signs in through the form once; a session that a sign-out rule ends is
        // replaced by one made in the store (no password check, no rate limit).
        let mut sids: BTreeMap<&str, String> = BTreeMap::new();
        for (&role, r) in &readers {
            if let Some(u) = &r.username {
                sids.insert(role, sign_in(&client(), &s, u).await);
            }
        }
        let mut mismatches = Vec::new();
        let mut requests = 0;
        for rule in &rules {
            let reader = &readers[rule.role.as_str()];
            // `*` needs one request: inside and outside are the same path.
            let mut paths: Vec<(Place, String)> = rule
                .places
                .iter()
                .map(|&p| (p, concrete(&rule.path, reader, p)))
                .collect();
            paths.dedup_by(|a, b| a.1 == b.1);
            for (place, path) in paths {
                let sid = sids.get(rule.role.as_str()).cloned();
                let (status, location, said) = send(&s, &rule.method, &path, sid.as_deref()).await;
                requests += 1;
                let at = format!(
                    "line {}: {} {path} as {} ({place:?})",
                    rule.line, rule.method, rule.role
                );
                if status != rule.status {
                    mismatches.push(format!(
                        "{at}: want {}, got {status} {location} {said}",
                        rule.status
                    ));
                }
                // A reader who is not signed in is sent to the sign-in page, and back after it.
                if rule.role == "anonymous" && status == 303 && !path.starts_with("/lang/") {
                    let want = format!("/login?next={path}");
                    if location != want {
                        mismatches.push(format!("{at}: Location {location:?}, want {want:?}"));
                    }
                }
                // A sign-out ended the session: the old token is dead; make another.
                if matches!(path.as_str(), "/logout" | "/logout-all")
                    && status == 303
                    && let Some(old) = sid
                {
                    let (after, ..) = send(&s, "GET", "/", Some(&old)).await;
                    if after != 303 {
                        mismatches.push(format!(
                            "{at}: the session still works after signing out ({after})"
                        ));
                    }
                    let u = user(&s.db, reader.username.as_deref().unwrap()).await;
                    let fresh = accounts::start_session(&s.db, &u, Some("127.0.0.1"), None)
                        .await
                        .expect("session");
                    sids.insert(rule.role.as_str(), fresh);
                }
            }
        }
        loud(&format!(
            "access matrix ({n}): {} rules, {requests} requests, {} mismatches",
            rules.len(),
            mismatches.len()
        ));
        assert!(
            mismatches.is_empty(),
            "{n}: {} of the access matrix's answers differ from access.tsv:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}
