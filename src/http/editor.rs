//! `/editor`: the page editors keep the directory with, server-sent and built without any build
//! step (one HTML file, one script, one style sheet, compiled into the binary). It signs in with
//! an API key kept in the tab's sessionStorage only, and does everything through `/v1/admin`.

use actix_web::http::header;
use actix_web::{get, HttpResponse};

use super::cache;

const PAGE: &str = include_str!("editor/editor.html");
const SCRIPT: &str = include_str!("editor/editor.js");
const STYLE: &str = include_str!("editor/editor.css");

/// Only this origin's own script, style and API: the key in sessionStorage cannot be sent
/// anywhere else by injected markup.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    form-action 'self'; base-uri 'none'";

/// The editor page.
#[utoipa::path(tag = "editing", responses((status = 200, content_type = "text/html", body = String)))]
#[get("/editor")]
pub async fn editor_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header(cache::control(cache::REVALIDATE))
        .body(PAGE)
}

/// The editor page's script.
#[utoipa::path(tag = "editing", responses((status = 200, content_type = "text/javascript", body = String)))]
#[get("/editor/editor.js")]
pub async fn editor_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(cache::control(cache::REVALIDATE))
        .body(SCRIPT)
}

/// The editor page's style sheet.
#[utoipa::path(tag = "editing", responses((status = 200, content_type = "text/css", body = String)))]
#[get("/editor/editor.css")]
pub async fn editor_style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(cache::control(cache::REVALIDATE))
        .body(STYLE)
}
