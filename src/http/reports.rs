//! "Report a problem" with a meeting: public, no account, no personal data asked for. The JSON
//! endpoint and a plain HTML form (works without JavaScript) record the same report.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::admin::read_body;
use super::problem::responses::{BadParams, NoSuchMeeting, ReportedTooOften};
use super::problem::ApiError;
use super::{cache, AppState};
use crate::domain::{ReportReason, ReportStatus};
use crate::editing::service::Editing;
use crate::formats::html::escape;

/// How long a window of the rate limit lasts; its key, and every count, go with it.
const WINDOW: Duration = Duration::from_secs(3600);
const MAX_REPORT_BYTES: usize = 16 * 1024;

/// Reports per client per window. Clients are told apart by a keyed hash of their address (the
/// key random, made anew with every window and never stored), held only in memory for the
/// window: enough to stop one client flooding the queue, useless for finding out who reported.
pub struct ReportLimiter {
    per_window: u32,
    state: Mutex<Window>,
}

struct Window {
    started: Instant,
    key: [u8; 32],
    counts: HashMap<[u8; 16], u32>,
}

impl ReportLimiter {
    pub fn new(per_window: u32) -> ReportLimiter {
        ReportLimiter {
            per_window,
            state: Mutex::new(Window {
                started: Instant::now(),
                key: rand::random(),
                counts: HashMap::new(),
            }),
        }
    }

    /// Counts one report from `client`: `Err` with the seconds to wait when it is over the limit.
    pub fn admit(&self, client: Option<IpAddr>) -> Result<(), u32> {
        let mut window = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if window.started.elapsed() >= WINDOW {
            *window = Window {
                started: Instant::now(),
                key: rand::random(),
                counts: HashMap::new(),
            };
        }
        let mut hasher = Sha256::new();
        hasher.update(window.key);
        hasher.update(format!("{client:?}").as_bytes());
        let tag: [u8; 16] = hasher.finalize()[..16].try_into().expect("16 bytes");
        let count = window.counts.entry(tag).or_default();
        if *count >= self.per_window {
            let left = WINDOW.saturating_sub(window.started.elapsed()).as_secs().max(1);
            return Err(left as u32);
        }
        *count += 1;
        Ok(())
    }
}

/// A problem someone found with a meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// `no_meeting` (nobody there at the listed time), `moved`, `wrong_time`, `closed` or `other`.
    pub reason: String,
    /// What was wrong, optionally. E-mail addresses and phone numbers are removed unless
    /// `contact_ok` is true.
    #[serde(default)]
    pub text: Option<String>,
    /// The reporter agrees to be contacted at what `text` gives.
    #[serde(default)]
    pub contact_ok: bool,
}

/// A report as its reporter sees it once made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportReceipt {
    pub id: i64,
    pub meeting_id: String,
    pub reason: ReportReason,
    pub status: ReportStatus,
}

fn reason_of(text: &str) -> Result<ReportReason, ApiError> {
    ReportReason::parse(text).ok_or_else(|| {
        let all: Vec<&str> = ReportReason::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::param("reason", format!("must be one of {}", all.join(", ")))
    })
}

async fn record(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    reason: ReportReason,
    text: Option<&str>,
    contact_ok: bool,
) -> Result<crate::domain::Report, ApiError> {
    if state.directory.snapshot().find(id).is_none() && state.directory.stored_meeting(id).await?.is_none() {
        return Err(ApiError::NotFound(format!("no meeting has id `{id}`")));
    }
    state
        .report_limiter
        .admit(req.peer_addr().map(|a| a.ip()))
        .map_err(|retry_after_secs| ApiError::RateLimited {
            detail:
                "this client has sent the most reports allowed for now; thank you, they are being looked at"
                    .into(),
            retry_after_secs,
        })?;
    let editing = Editing {
        directory: &state.directory,
        gazetteer: &state.geo.gazetteer,
        now: jiff::Timestamp::now(),
    };
    Ok(editing.report(id, reason, text, contact_ok).await?)
}

/// Reports a problem with a meeting (no account needed). The meeting then says it was reported
/// (`reported`) until an editor resolves or dismisses the report.
#[utoipa::path(tag = "meetings", params(("id" = String, Path, description = "Meeting id")),
    request_body = NewReport,
    responses((status = 201, body = ReportReceipt), BadParams, NoSuchMeeting, ReportedTooOften))]
#[post("/v1/meetings/{id}/reports")]
pub async fn report_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let bytes = read_body(body, MAX_REPORT_BYTES, state.body_timeout).await?;
    let new: NewReport = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::param("body", format!("is not a report: {e}")))?;
    let reason = reason_of(&new.reason)?;
    let report = record(&req, &state, &id, reason, new.text.as_deref(), new.contact_ok).await?;
    Ok(HttpResponse::Created()
        .insert_header(cache::control(cache::NEVER))
        .json(ReportReceipt {
            id: report.id,
            meeting_id: report.meeting_id,
            reason: report.reason,
            status: report.status,
        }))
}

/// The page's frame: the same plain, readable page everywhere, no script.
fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 1.05rem/1.5 system-ui, sans-serif; max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; }}
fieldset {{ border: 1px solid #767676; margin: 1rem 0; padding: .5rem 1rem; }}
label {{ display: block; margin: .35rem 0; }}
textarea {{ width: 100%; min-height: 6rem; font: inherit; }}
button {{ font: inherit; padding: .5rem 1.2rem; background: #0b5394; color: #fff; border: 0; border-radius: 4px; }}
.error {{ color: #a00000; font-weight: bold; }}
.hint {{ color: #4a4a4a; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>"#
    )
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(cache::control(cache::NEVER))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ))
        .body(body)
}

fn form(id: &str, name: &str, error: Option<&str>) -> String {
    let reasons: String = ReportReason::ALL
        .iter()
        .map(|r| {
            format!(
                r#"<label><input type="radio" name="reason" value="{v}" required> {label}</label>"#,
                v = r.as_str(),
                label = escape(&capitalised(r.label())),
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let error = error
        .map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e)))
        .unwrap_or_default();
    page(
        "Report a problem with this meeting",
        &format!(
            r#"<h1>Report a problem with this meeting</h1>
<p><strong>{name}</strong></p>
<p class="hint">Tell us what is wrong and the people who keep this list will check. We do not ask who you are.</p>
{error}
<form method="post" action="/meetings/{id_attr}/report">
<fieldset>
<legend>What is wrong?</legend>
{reasons}
</fieldset>
<label for="text">Anything else we should know (optional)</label>
<textarea id="text" name="text" maxlength="1000"></textarea>
<p class="hint">E-mail addresses and phone numbers are removed unless you tick the box below.</p>
<label><input type="checkbox" name="contact_ok" value="true"> You may contact me at the details I wrote above</label>
<p><button type="submit">Send report</button></p>
</form>"#,
            name = escape(name),
            id_attr = escape(&urlencode(id)),
        ),
    )
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn meeting_name(state: &AppState, id: &str) -> Option<String> {
    let snapshot = state.directory.snapshot();
    snapshot.find(id).map(|i| snapshot.meeting(i).name.clone())
}

/// The report form for one meeting: a plain HTML page that works without JavaScript.
#[utoipa::path(tag = "meetings", params(("id" = String, Path, description = "Meeting id")),
    responses((status = 200, content_type = "text/html", body = String, description = "The form"),
        (status = 404, content_type = "text/html", body = String, description = "No such meeting")))]
#[get("/meetings/{id}/report")]
pub async fn report_form(id: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    form_page(&state, &id)
}

fn form_page(state: &AppState, id: &str) -> HttpResponse {
    match meeting_name(state, id) {
        Some(name) => html(actix_web::http::StatusCode::OK, form(id, &name, None)),
        None => html(
            actix_web::http::StatusCode::NOT_FOUND,
            page("No such meeting", "<h1>No such meeting</h1><p>This meeting is not in the directory (it may have been withdrawn).</p>"),
        ),
    }
}

/// The form as a browser sends it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportForm {
    pub reason: Option<String>,
    pub text: Option<String>,
    pub contact_ok: Option<String>,
}

/// Sends the report form: a thank-you page, or the form again saying what to fix.
#[utoipa::path(tag = "meetings", params(("id" = String, Path, description = "Meeting id")),
    request_body(content = ReportForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, content_type = "text/html", body = String, description = "Thank you"),
        (status = 400, content_type = "text/html", body = String, description = "The form again, saying what to fix"),
        (status = 404, content_type = "text/html", body = String, description = "No such meeting"),
        (status = 429, content_type = "text/html", body = String, description = "Too many reports from this client")))]
#[post("/meetings/{id}/report")]
pub async fn report_form_sent(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(name) = meeting_name(&state, &id) else {
        return Ok(form_page(&state, &id));
    };
    let bytes = read_body(body, MAX_REPORT_BYTES, state.body_timeout).await?;
    let sent: ReportForm = serde_urlencoded::from_bytes(&bytes).unwrap_or(ReportForm {
        reason: None,
        text: None,
        contact_ok: None,
    });
    let Some(reason) = sent.reason.as_deref().and_then(ReportReason::parse) else {
        return Ok(html(
            actix_web::http::StatusCode::BAD_REQUEST,
            form(&id, &name, Some("Please choose what is wrong.")),
        ));
    };
    let contact_ok = sent.contact_ok.as_deref() == Some("true");
    match record(&req, &state, &id, reason, sent.text.as_deref(), contact_ok).await {
        Ok(_) => Ok(html(
            actix_web::http::StatusCode::OK,
            page(
                "Thank you",
                &format!(
                    "<h1>Thank you</h1><p>Your report on <strong>{}</strong> has been sent. The meeting's listing now says it may be wrong until someone checks.</p>",
                    escape(&name)
                ),
            ),
        )),
        Err(ApiError::RateLimited { .. }) => Ok(html(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            page("Too many reports", "<h1>Too many reports</h1><p>You have sent the most reports allowed for now. Thank you: they are being looked at.</p>"),
        )),
        Err(e) => Err(e),
    }
}
