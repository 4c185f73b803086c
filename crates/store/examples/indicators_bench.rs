//! Times coverage indicators on a generated national database (issue 8's figures): reading a
//! year's universe from the database (what the server does when it starts, or when a change log
//! cannot patch its kept years), then
//! each built-in indicator for every county-level federation at once, and for the national root
//! and its children (what a dashboard shows).
//!
//! `cargo run --release -p shanghui-store --example indicators_bench -- sqlite://bench-out/national.db 2025`

use std::time::Instant;

use shanghui_core::FederationLevel;
use shanghui_core::indicator::DivisionLists;
use shanghui_store::{Db, divisions, indicators};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: indicators_bench DATABASE_URL YEAR")?;
    let year: i32 = args
        .next()
        .ok_or("usage: indicators_bench DATABASE_URL YEAR")?
        .parse()?;
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let t = Instant::now();
    let lists = DivisionLists::new(&divisions::load_index(&db).await?);
    println!("division lists: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let inds = indicators::all(&db).await?;
    let refs: Vec<_> = inds.iter().collect();
    let items = indicators::summed_items(&refs);
    for round in 1..=3 {
        let t = Instant::now();
        let registry = indicators::load_registry(&db).await?;
        let reg_ms = t.elapsed().as_secs_f64() * 1e3;
        let data = indicators::load_year_with(&db, &registry, year, items.as_deref()).await?;
        let last = indicators::load_year_with(&db, &registry, year - 1, items.as_deref()).await?;
        println!(
            "round {round}: registry {reg_ms:.1} ms; with years {year} and {}: {:.1} ms ({} units, {} reports, {} notices)",
            year - 1,
            t.elapsed().as_secs_f64() * 1e3,
            data.units.len(),
            data.facts.reports.len(),
            data.facts.notices.len()
        );
        let counties: Vec<i64> = data
            .units
            .iter()
            .filter(|u| u.facts.level == Some(FederationLevel::County))
            .map(|u| u.id)
            .collect();
        let root = data
            .units
            .iter()
            .find(|u| u.ancestors.is_empty())
            .map(|u| u.id)
            .ok_or("no root")?;
        let mut nodes = vec![root];
        nodes.extend(data.children(root));
        for ind in &inds {
            let ci = indicators::compiled(ind, &data)?;
            let t = Instant::now();
            let f = indicators::fractions(&ci, &data, Some(&last), &lists, &counties);
            let county_ms = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let r = indicators::fractions(&ci, &data, Some(&last), &lists, &nodes);
            let root_ms = t.elapsed().as_secs_f64() * 1e3;
            println!(
                "  {:<28} {} counties {:>7.1} ms | root + {} children {:>6.1} ms | root {:?}",
                ind.code,
                f.len(),
                county_ms,
                nodes.len() - 1,
                root_ms,
                ind.value(r[0]).map(|v| (v * 10.0).round() / 10.0)
            );
        }
        // What a year costs when it cannot be patched (the change log pruned past it, or more
        // than `MAX_PATCH` units changed): assembled again from its kept facts, and each
        // indicator's counts for every federation and branch (what the dashboard keeps).
        let t = Instant::now();
        let again = indicators::assemble(&registry, data.facts.clone())?;
        let assemble_ms = t.elapsed().as_secs_f64() * 1e3;
        let all_nodes: Vec<i64> = again
            .units
            .iter()
            .filter(|u| u.facts.kind != Some(shanghui_core::OrgKind::Chamber))
            .map(|u| u.id)
            .collect();
        let t = Instant::now();
        for ind in &inds {
            let ci = indicators::compiled(ind, &again)?;
            indicators::fractions(&ci, &again, Some(&last), &lists, &all_nodes);
        }
        println!(
            "  assemble {year}: {assemble_ms:.1} ms; every indicator for all {} federations and branches: {:.1} ms",
            all_nodes.len(),
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}
