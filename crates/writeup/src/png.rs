//! Charts as PNG pictures, for Word: WPS and older Word do not show SVG, so the DOCX embeds the
//! chart rasterised by resvg. The SVG's text is drawn with the CJK fonts `fonts` found, loaded
//! once per process: scanning every system font instead costs seconds per process and may pick
//! a font without Chinese glyphs.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use crate::fonts;

/// The largest picture drawn, in pixels per side: a malformed width (say 1e9) must fail with a
/// message, not try to allocate gigabytes.
const MAX_SIDE: f32 = 8192.0;

/// `svg` drawn at `scale` device pixels per SVG pixel (2.0 for print-sharp charts in Word), as
/// PNG bytes. The error is a reason for the reader: the SVG does not parse, the size is
/// unusable, or no CJK font is installed.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>, String> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(format!("scale {scale} is not a positive number"));
    }
    let options = usvg::Options {
        fontdb: font_database()?,
        font_family: fonts::family().to_owned(),
        languages: vec!["zh-CN".to_owned(), "en".to_owned()],
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("SVG: {e}"))?;
    let mut pixmap = canvas(tree.size(), scale)?;
    resvg::render(
        &tree,
        Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| format!("PNG: {e}"))
}

/// A blank canvas for a picture of `size` SVG pixels at `scale`, refusing sizes that are empty
/// or absurdly large.
fn canvas(size: usvg::Size, scale: f32) -> Result<Pixmap, String> {
    let (w, h) = (
        (size.width() * scale).ceil(),
        (size.height() * scale).ceil(),
    );
    if !(w >= 1.0 && h >= 1.0 && w <= MAX_SIDE && h <= MAX_SIDE) {
        return Err(format!("picture size {w}×{h} px is out of range"));
    }
    Pixmap::new(w as u32, h as u32).ok_or_else(|| format!("cannot allocate {w}×{h} px"))
}

/// The font database every chart shares: the CJK fonts only, with the generic families
/// (`sans-serif` and the rest, which charts name as a fallback) mapped to the CJK family. Built
/// on first use; a failure (no CJK font) is not cached, so installing a font and retrying works
/// without restarting the server.
fn font_database() -> Result<Arc<fontdb::Database>, String> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    if let Some(db) = DB.get() {
        return Ok(db.clone());
    }
    let files = fonts::cjk().map_err(|e| e.to_string())?;
    let mut db = fontdb::Database::new();
    for file in files {
        // The bytes are shared with the PDF renderer's copy, not duplicated.
        let data: Arc<dyn AsRef<[u8]> + Send + Sync> = file.data.clone();
        db.load_font_source(fontdb::Source::Binary(data));
    }
    let family = fonts::family();
    db.set_sans_serif_family(family);
    db.set_serif_family(family);
    db.set_monospace_family(family);
    db.set_cursive_family(family);
    db.set_fantasy_family(family);
    // Two threads may build it at once; both results are the same, the first one stays.
    Ok(DB.get_or_init(|| Arc::new(db)).clone())
}
