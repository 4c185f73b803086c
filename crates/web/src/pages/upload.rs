//! Files in and out for the annual-report pages: attachments with Chinese names, and uploads read
//! from a multipart form within the size limit.

use axum::extract::Multipart;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::csrf;
use crate::{AppError, MAX_UPLOAD_BYTES};

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

/// `attachment` with an ASCII fallback name and the real (Chinese) one per RFC 6266/5987.
pub fn attachment(name: &str, fallback: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A download: the bytes with their type and file name.
pub fn download(content_type: &str, name: &str, fallback: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (CONTENT_DISPOSITION, attachment(name, fallback)),
        ],
        bytes,
    )
        .into_response()
}

/// What a multipart upload form sent.
#[derive(Default)]
pub struct Upload {
    pub token: Option<String>,
    /// The file's name and bytes; `None` when no file was chosen.
    pub file: Option<(String, Vec<u8>)>,
    pub too_large: bool,
    /// The other text fields, as sent.
    pub fields: Vec<(String, String)>,
}

/// Reads a multipart form: the CSRF token, one file named `file` (stopped at the size limit), and
/// any other text fields.
pub async fn read_upload(
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Upload, AppError> {
    let mut mp = mp.map_err(|_| AppError::BadRequest)?;
    let mut up = Upload::default();
    while let Some(mut field) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|_| AppError::BadRequest)? {
                if bytes.len() + chunk.len() > MAX_UPLOAD_BYTES {
                    up.too_large = true;
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            if up.too_large {
                break;
            }
            if !file_name.is_empty() && !bytes.is_empty() {
                up.file = Some((file_name, bytes));
            }
        } else {
            let text = field.text().await.map_err(|_| AppError::BadRequest)?;
            if name == csrf::FIELD {
                up.token = Some(text);
            } else {
                up.fields.push((name, text));
            }
        }
    }
    Ok(up)
}

/// Refuses an upload without this browser's CSRF token.
pub fn check_token(token: &csrf::Token, up: &Upload) -> Result<(), AppError> {
    if csrf::verify(token, up.token.as_deref()) {
        Ok(())
    } else {
        Err(AppError::Csrf)
    }
}
