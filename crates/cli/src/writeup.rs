//! `shanghui report build`: the data-analysis report of a node and year, written as Word, PDF
//! and HTML files, from the same figures and templates as the web's button.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use shanghui_core::{Lang, Organization, Scope};
use shanghui_store::{Db, orgs, writeup_templates};
use shanghui_writeup::facts::{self, Years};
use shanghui_writeup::narrative::Narrative;
use shanghui_writeup::{Format, compose};

/// `--node`: an organisation's ID, or the division code of a federation (e.g. 350102 for
/// 鼓楼区); the national root when left out.
async fn node_of(db: &Db, raw: Option<&str>, lang: Lang) -> Result<Organization> {
    let all = Scope::all();
    let found = match raw.map(str::trim) {
        None => orgs::tops(db, &all).await?.into_iter().next(),
        Some(r) if r.len() == 6 || r.len() == 12 => {
            match orgs::federation_of_division(db, &all, r).await? {
                Some(o) => Some(o),
                None => match r.parse::<i64>() {
                    Ok(id) => orgs::get(db, &all, id).await?,
                    Err(_) => None,
                },
            }
        }
        Some(r) => match r.parse::<i64>() {
            Ok(id) => orgs::get(db, &all, id).await?,
            Err(_) => None,
        },
    };
    found.ok_or_else(|| crate::said(lang, "writeup.cli.no_node", &[("node", raw.unwrap_or("—"))]))
}

fn formats(raw: &str, lang: Lang) -> Result<Vec<Format>> {
    let mut out = Vec::new();
    for part in raw.split(',').filter(|p| !p.trim().is_empty()) {
        let f = Format::parse(part).ok_or_else(|| {
            crate::said(lang, "writeup.cli.bad_format", &[("format", part.trim())])
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    if out.is_empty() {
        return Err(crate::said(
            lang,
            "writeup.cli.bad_format",
            &[("format", raw)],
        ));
    }
    Ok(out)
}

pub async fn build(
    db: &Db,
    node: Option<&str>,
    year: i32,
    format: &str,
    out: Option<PathBuf>,
    lang: Lang,
) -> Result<ExitCode> {
    let formats = formats(format, lang)?;
    let node = node_of(db, node, lang).await?;
    let dir = out.unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let years = Years::load(db, year).await?;
    let scope = Scope::all();
    let f = facts::gather(db, &scope, &node, year, &years, lang).await?;
    let custom = writeup_templates::current(db, lang).await?;
    let narrative = Narrative::new(lang, &custom).map_err(|p| anyhow::anyhow!("{p}"))?;
    let doc = compose::compose(&f, &narrative, lang).map_err(|p| anyhow::anyhow!("{p}"))?;
    let gathered = started.elapsed();
    eprintln!(
        "{}",
        lang.tf(
            "writeup.cli.gathered",
            &[("ms", &format!("{:.0}", gathered.as_secs_f64() * 1e3))]
        )
    );
    let t = Instant::now();
    let rendered = shanghui_writeup::render_all(&doc, &formats);
    let took = t.elapsed();
    for (fmt, bytes) in formats.iter().zip(rendered) {
        let bytes = bytes.map_err(|e| anyhow::anyhow!(e.render(lang)))?;
        let path = dir.join(shanghui_writeup::file_name(
            &node.record.name,
            year,
            lang,
            *fmt,
        ));
        write(&path, &bytes)?;
        crate::outln!("{}\t{}", path.display(), bytes.len());
    }
    eprintln!(
        "{}",
        lang.tf(
            "writeup.cli.rendered",
            &[("ms", &format!("{:.0}", took.as_secs_f64() * 1e3))]
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes through a temporary file so a reader never sees half a report.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
