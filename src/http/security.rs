//! Headers every response carries, and those every HTML page carries, set in one place so a new
//! page cannot forget them.
//!
//! Every response: `X-Content-Type-Options: nosniff` (a browser must not read a CSV or JSON
//! answer as a script or a page). Every HTML page (the hand-out, the coverage report, the API
//! docs; the finder's `/embed` has its own): `Referrer-Policy: no-referrer` (a page's address can
//! hold someone's postcode), and no framing by other sites (`frame-ancestors 'none'` in its CSP
//! and `X-Frame-Options: DENY` for older browsers), so a page cannot be overlaid to trick a click.
//! `/embed` is made to be framed: its CSP names who may frame it (see `cors`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

/// The pages made to be framed by other sites.
const FRAMED: &[&str] = &["/embed"];

/// Adds the headers above to what the handlers answered, keeping any a handler set itself.
pub async fn page_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let framed = FRAMED.contains(&req.path());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if !html {
        return Ok(response);
    }
    if !headers.contains_key(header::REFERRER_POLICY) {
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    if !framed {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        let policy = match headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
        {
            Some(policy) if policy.contains("frame-ancestors") => None,
            Some(policy) => Some(format!("{policy}; frame-ancestors 'none'")),
            None => Some("frame-ancestors 'none'".to_string()),
        };
        if let Some(policy) = policy.and_then(|p| HeaderValue::from_str(&p).ok()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    Ok(response)
}
