//! Load program (not a test): N registry editors, each signed in with their own account, edit
//! their own chamber through the real forms at the same time, several rounds each; then every
//! stored value is read back and compared with what its editor last saved. Prints the figures.
//!
//! `cargo run --release -p shanghui-web --example editors -- URL PASSWORD USER_PREFIX CHAMBER_IDS_FILE [ROUNDS]`
//! (see scripts/bench-accounts, which prepares the accounts and the server).

use std::time::Instant;

use reqwest::{Client, redirect};
use scraper::{Html, Selector};

fn form_fields(html: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(html);
    let mut out = Vec::new();
    let input = Selector::parse("form.org-form input[name]").expect("selector");
    for e in doc.select(&input) {
        let name = e.value().attr("name").unwrap_or_default().to_string();
        out.push((
            name,
            e.value().attr("value").unwrap_or_default().to_string(),
        ));
    }
    let select = Selector::parse("form.org-form select[name]").expect("selector");
    let selected = Selector::parse("option[selected]").expect("selector");
    for e in doc.select(&select) {
        let name = e.value().attr("name").unwrap_or_default().to_string();
        let v = e
            .select(&selected)
            .next()
            .and_then(|o| o.value().attr("value"))
            .unwrap_or_default();
        out.push((name, v.to_string()));
    }
    out
}

fn hidden_csrf(html: &str) -> String {
    let doc = Html::parse_document(html);
    let s = Selector::parse("input[name=_csrf]").expect("selector");
    doc.select(&s)
        .next()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_default()
        .to_string()
}

async fn sign_in(base: &str, user: &str, password: &str) -> Result<Client, String> {
    let c = Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let form = [
        ("_csrf", hidden_csrf(&page)),
        ("username", user.to_string()),
        ("password", password.to_string()),
        ("next", "/".into()),
    ];
    let r = c
        .post(format!("{base}/login"))
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 303 {
        return Err(format!("sign-in of {user}: {}", r.status()));
    }
    Ok(c)
}

/// One editor's session: `rounds` saves of its chamber, each with values that name the editor
/// and the round. Returns (requests, errors, the last values it saved).
async fn editor(
    base: String,
    user: String,
    password: String,
    chamber: i64,
    rounds: usize,
) -> (usize, Vec<String>, (String, String)) {
    let mut errors = Vec::new();
    let mut requests = 0;
    let mut last = (String::new(), String::new());
    let c = match sign_in(&base, &user, &password).await {
        Ok(c) => c,
        Err(e) => return (1, vec![e], last),
    };
    requests += 2;
    for round in 0..rounds {
        let url = format!("{base}/orgs/{chamber}/edit");
        let page = match c.get(&url).send().await {
            Ok(r) if r.status() == 200 => r.text().await.unwrap_or_default(),
            Ok(r) => {
                errors.push(format!("{user} GET edit: {}", r.status()));
                continue;
            }
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        requests += 1;
        let president = format!("{user}-第{round}轮");
        let members = (1000 + round).to_string();
        let mut fields = form_fields(&page);
        for (k, v) in fields.iter_mut() {
            match k.as_str() {
                "president" => *v = president.clone(),
                "members_unit" => *v = members.clone(),
                "members_individual" => *v = "0".into(),
                "members_total" => *v = String::new(),
                _ => {}
            }
        }
        fields.push(("_csrf".into(), hidden_csrf(&page)));
        match c.post(&url).form(&fields).send().await {
            Ok(r) if r.status() == 303 => last = (president, members),
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                let msg: String = body
                    .split("field-error")
                    .nth(1)
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect();
                errors.push(format!("{user} POST edit: {status} {msg}"));
            }
            Err(e) => errors.push(e.to_string()),
        }
        requests += 1;
    }
    (requests, errors, last)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: editors URL PASSWORD USER_PREFIX CHAMBER_IDS_FILE [ROUNDS]");
        std::process::exit(2);
    }
    let (base, password, prefix) = (args[1].clone(), args[2].clone(), args[3].clone());
    let chambers: Vec<i64> = std::fs::read_to_string(&args[4])
        .expect("chamber id file")
        .lines()
        .filter_map(|l| l.split('\t').next()?.trim().parse().ok())
        .collect();
    let rounds: usize = args.get(5).and_then(|r| r.parse().ok()).unwrap_or(5);
    let n = chambers.len();
    let started = Instant::now();
    let tasks: Vec<_> = chambers
        .iter()
        .enumerate()
        .map(|(i, &ch)| {
            tokio::spawn(editor(
                base.clone(),
                format!("{prefix}{i}"),
                password.clone(),
                ch,
                rounds,
            ))
        })
        .collect();
    let mut requests = 0;
    let mut errors = Vec::new();
    let mut expected = Vec::new();
    for (t, &ch) in tasks.into_iter().zip(&chambers) {
        let (r, e, last) = t.await.expect("editor task");
        requests += r;
        errors.extend(e);
        expected.push((ch, last));
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Read every chamber back as an administrator would see it.
    let admin = sign_in(&base, &format!("{prefix}0"), &password)
        .await
        .expect("sign in to verify");
    let mut wrong = Vec::new();
    let dd = Selector::parse("dl.fields dd").expect("selector");
    for (ch, (president, members)) in &expected {
        let html = admin
            .get(format!("{base}/orgs/{ch}"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        let doc = Html::parse_document(&html);
        let values: Vec<String> = doc
            .select(&dd)
            .map(|e| e.text().collect::<String>().trim().to_string())
            .collect();
        if !values.contains(president) || !values.contains(members) {
            wrong.push(format!("chamber {ch}: want {president} / {members}"));
        }
    }
    println!("editors\t{n}");
    println!("rounds each\t{rounds}");
    println!("requests\t{requests}");
    println!("wall time\t{elapsed:.2} s");
    println!("requests per second\t{:.0}", requests as f64 / elapsed);
    println!("errors\t{}", errors.len());
    println!("lost or mixed-up values\t{}", wrong.len());
    for e in errors.iter().take(10) {
        println!("  error: {e}");
    }
    for w in wrong.iter().take(10) {
        println!("  wrong: {w}");
    }
    if !errors.is_empty() || !wrong.is_empty() {
        std::process::exit(1);
    }
}
