//! The report's renderings, each checked from outside: SVG charts parsed back, HTML parsed, the
//! DOCX opened by LibreOffice (headless) and turned into PDF, PDFs read back with pdftotext.
//! LibreOffice and pdftotext are mandatory under CI=true and skipped, loudly, elsewhere.

#[path = "writeup/sample.rs"]
mod sample;
#[path = "writeup/tools.rs"]
mod tools;

#[path = "writeup/charts.rs"]
mod charts;
#[path = "writeup/docx.rs"]
mod docx;
#[path = "writeup/html.rs"]
mod html;
#[path = "writeup/narrative.rs"]
mod narrative;
#[path = "writeup/pdf.rs"]
mod pdf;
