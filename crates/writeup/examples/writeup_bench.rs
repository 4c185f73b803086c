//! Times the data-analysis report (issue 9's figures) on a generated national database: reading
//! the years' universes (what the server keeps between requests), gathering the figures,
//! composing the document, and rendering each format; for the national root and for a province.
//!
//! `cargo run --release -p shanghui-writeup --example writeup_bench -- sqlite://bench-out/pages.db 2025 350000 [OUT_DIR]`

use std::time::Instant;

use shanghui_core::{Lang, Scope};
use shanghui_store::{Db, orgs, writeup_templates};
use shanghui_writeup::facts::{self, Years};
use shanghui_writeup::narrative::Narrative;
use shanghui_writeup::{Format, compose};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: writeup_bench DATABASE_URL YEAR PROVINCE_DIVISION_CODE [OUT_DIR]";
    let url = args.next().ok_or(usage)?;
    let year: i32 = args.next().ok_or(usage)?.parse()?;
    let province = args.next().ok_or(usage)?;
    let out = args.next();
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let all = Scope::all();
    let t = Instant::now();
    let years = Years::load(&db, year).await?;
    println!(
        "years {year}, {} and {} read: {:.0} ms (kept by the server between requests)",
        year - 1,
        year - 2,
        ms(t)
    );
    let root = orgs::tops(&db, &all)
        .await?
        .into_iter()
        .next()
        .ok_or("no root")?;
    let prov = orgs::federation_of_division(&db, &all, &province)
        .await?
        .ok_or("no such province")?;
    let lang = Lang::ZhCn;
    let custom = writeup_templates::current(&db, lang).await?;
    let narrative = Narrative::new(lang, &custom).map_err(|p| p.to_string())?;
    for round in 1..=2 {
        for node in [&prov, &root] {
            let t = Instant::now();
            let f = facts::gather(&db, &all, node, year, &years, lang).await?;
            let gather = ms(t);
            let t = Instant::now();
            let doc = compose::compose(&f, &narrative, lang).map_err(|p| p.to_string())?;
            let composed = ms(t);
            let mut line = format!(
                "round {round} {} ({} chambers): gather {gather:.0} ms, compose {composed:.0} ms",
                node.record.name, f.overview.chambers
            );
            // The three formats side by side, as the command line renders them (in round 1 Typst
            // has not laid this document out before).
            let t = Instant::now();
            for r in shanghui_writeup::render_all(&doc, &Format::ALL) {
                r?;
            }
            let side = ms(t) + gather + composed;
            // Then each format alone (the PDF now a repeat: Typst keeps what it laid out).
            let start =
                Instant::now() - std::time::Duration::from_secs_f64((gather + composed) / 1e3);
            for fmt in Format::ALL {
                let t = Instant::now();
                let bytes = shanghui_writeup::render(&doc, fmt)?;
                line.push_str(&format!(
                    ", {} {:.0} ms ({} KB)",
                    fmt.extension(),
                    ms(t),
                    bytes.len() / 1024
                ));
                if let Some(dir) = &out {
                    let name = shanghui_writeup::file_name(&node.record.name, year, lang, fmt);
                    std::fs::write(std::path::Path::new(dir).join(name), &bytes)?;
                }
            }
            line.push_str(&format!(
                "; one after another {:.0} ms; as `shanghui report build` does it (the formats side by side) {side:.0} ms",
                ms(start)
            ));
            println!("{line}");
        }
    }
    Ok(())
}
