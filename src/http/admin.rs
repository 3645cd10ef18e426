//! `/v1/admin/...`: changing the directory by hand, with an API key (`Authorization: Bearer`).
//! Handlers only translate: the key is checked here, everything else is `editing::service`.

use actix_web::http::header;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problem::responses::{
    BadMeeting, BadParams, Conflict, NoIfMatch, NoKey, NoSuchMeeting, Stale, WrongKey,
};
use super::problem::{ApiError, InvalidParam};
use super::{cache, AppState};
use crate::domain::{ApiKey, AuditEntry, Meeting, Report, ReportStatus, Role};
use crate::editing::service::{BulkSummary, EditError, Editable, Editing};
use crate::editing::{keys, Fields};
use crate::store::AuditFilter;

/// Longest JSON body of a change.
const MAX_CHANGE_BYTES: usize = 64 * 1024;
/// Longest sheet uploaded at once.
const MAX_SHEET_BYTES: usize = 8 * 1024 * 1024;

impl From<EditError> for ApiError {
    fn from(e: EditError) -> ApiError {
        match e {
            EditError::NotFound(what) => ApiError::NotFound(what),
            EditError::Forbidden(what) => ApiError::Forbidden(what),
            EditError::Conflict(what) => ApiError::Conflict(what),
            EditError::Stale { current } => ApiError::PreconditionFailed(match current {
                Some(etag) => format!(
                    "If-Match is not the meeting's current ETag ({etag}): read it again and redo the change"
                ),
                None => "the meeting no longer exists".into(),
            }),
            EditError::Invalid(errors) => ApiError::Unprocessable(
                errors
                    .into_iter()
                    .map(|(field, reason)| InvalidParam::new(field, reason))
                    .collect(),
            ),
            EditError::Store(e) => e.into(),
        }
    }
}

/// The live key the request carries: 401 without one, or with one that is unknown or revoked.
pub(super) async fn authenticate(req: &HttpRequest, state: &AppState) -> Result<ApiKey, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`".into()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <key>`".into()))?;
    let refused = || ApiError::Unauthorized("this API key is not valid (mistyped, or revoked)".into());
    let (id, secret) = keys::split(token).ok_or_else(refused)?;
    let (key, hash) = state.directory.key(id).await?.ok_or_else(refused)?;
    if !keys::verify(secret, &hash) || key.revoked_at.is_some() {
        return Err(refused());
    }
    Ok(key)
}

fn editing(state: &AppState) -> Editing<'_> {
    Editing {
        directory: &state.directory,
        gazetteer: &state.geo.gazetteer,
        now: jiff::Timestamp::now(),
    }
}

/// The `If-Match` of a change: 428 without it.
fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("W/").to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::PreconditionRequired(
                "send the ETag the meeting was read with in If-Match, so a change made meanwhile is not overwritten".into(),
            )
        })
}

/// Reads a body of at most `max` bytes within the request's deadline.
pub(super) async fn read_body(
    mut body: web::Payload,
    max: usize,
    deadline: std::time::Duration,
) -> Result<web::BytesMut, ApiError> {
    let read = async {
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ApiError::param("body", format!("could not be read: {e}")))?;
            if bytes.len() + chunk.len() > max {
                return Err(ApiError::TooLarge(format!(
                    "the body is over the limit of {max} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(deadline, read).await.map_err(|_| {
        ApiError::RequestTimeout(format!(
            "the body was not received within {} ms of the request's headers",
            deadline.as_millis()
        ))
    })?
}

/// A meeting's fields, and why it changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingChange {
    /// The meeting in the editing vocabulary (the CSV template's columns): `name`, `group`,
    /// `fellowship`, `day`, `start`, `end`, `types` (a list), `notes`, `venue`, `address`,
    /// `town`, `postcode`, `latitude`, `longitude`, `directions`, `online_link`, `dial_in`,
    /// `online_notes`, `who_can_attend`, and `id` (the record's own id). A patch gives only the
    /// fields it changes; null clears one.
    #[schema(value_type = Object)]
    pub fields: Fields,
    /// Why, for the audit trail.
    #[serde(default)]
    pub note: Option<String>,
}

async fn change_body(body: web::Payload, state: &AppState) -> Result<MeetingChange, ApiError> {
    let bytes = read_body(body, MAX_CHANGE_BYTES, state.body_timeout).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::param("body", format!("is not a meeting change: {e}")))
}

/// Why, alone (for a withdrawal or dropping corrections).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    #[serde(default)]
    pub note: Option<String>,
}

async fn note_body(body: web::Payload, state: &AppState) -> Result<Option<String>, ApiError> {
    let bytes = read_body(body, MAX_CHANGE_BYTES, state.body_timeout).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let note: Note =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::param("body", format!("is not a note: {e}")))?;
    Ok(note.note)
}

fn editable(status: actix_web::http::StatusCode, e: Editable) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, e.etag.clone()))
        .insert_header(cache::control(cache::NEVER))
        .json(e)
}

/// The key the request carries.
#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    pub key: ApiKey,
}

/// Who this key is: its id, name, role and sources (never its secret).
#[utoipa::path(tag = "editing", security(("api_key" = [])), responses((status = 200, body = WhoAmI), NoKey))]
#[get("/v1/admin/whoami")]
pub async fn whoami(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(WhoAmI { key }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this source's meetings.
    pub source: Option<String>,
    /// Text in the id, name, town or postcode.
    pub q: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct EditableList {
    pub meetings: Vec<Meeting>,
}

/// The meetings this key may edit.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(ListQuery),
    responses((status = 200, body = EditableList), BadParams, NoKey, WrongKey))]
#[get("/v1/admin/meetings")]
pub async fn list_meetings(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let query: ListQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::param("query", e.to_string()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::param("limit", "must be 1 to 500"));
    }
    let meetings = editing(&state)
        .list(
            &key,
            query.source.as_deref(),
            query.q.as_deref().unwrap_or(""),
            limit,
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(EditableList { meetings }))
}

/// One meeting as an editor reads it, with its `ETag` for `If-Match`.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = String, Path, description = "Meeting id")),
    responses((status = 200, body = Editable, headers(("ETag" = String))), NoKey, WrongKey, NoSuchMeeting))]
#[get("/v1/admin/meetings/{id}")]
pub async fn read_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let e = editing(&state).read(&key, &id).await?;
    Ok(editable(actix_web::http::StatusCode::OK, e))
}

/// Adds a meeting to a source maintained by hand.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("source" = String, Path, description = "Local source id")),
    request_body = MeetingChange,
    responses((status = 201, body = Editable, headers(("ETag" = String), ("Location" = String))),
        BadParams, NoKey, WrongKey, NoSuchMeeting, Conflict, BadMeeting))]
#[post("/v1/admin/sources/{source}/meetings")]
pub async fn create_meeting(
    req: HttpRequest,
    source: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let change = change_body(body, &state).await?;
    let e = editing(&state)
        .create(&key, &source, change.fields, change.note)
        .await?;
    let location = format!("/v1/admin/meetings/{}", e.meeting.id);
    let mut response = editable(actix_web::http::StatusCode::CREATED, e);
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Replaces a meeting of a local source with the fields given (`If-Match` required).
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "The ETag the meeting was read with")),
    request_body = MeetingChange,
    responses((status = 200, body = Editable, headers(("ETag" = String))),
        BadParams, NoKey, WrongKey, NoSuchMeeting, Conflict, Stale, BadMeeting, NoIfMatch))]
#[put("/v1/admin/meetings/{id}")]
pub async fn replace_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    change(req, id.into_inner(), state, body, false).await
}

/// Changes some fields of a meeting (`If-Match` required): a local meeting is changed, an
/// imported one corrected (the correction survives re-imports; `corrections.feed_changed` says
/// when the feed has since changed a corrected field).
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "The ETag the meeting was read with")),
    request_body = MeetingChange,
    responses((status = 200, body = Editable, headers(("ETag" = String))),
        BadParams, NoKey, WrongKey, NoSuchMeeting, Stale, BadMeeting, NoIfMatch))]
#[patch("/v1/admin/meetings/{id}")]
pub async fn patch_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    change(req, id.into_inner(), state, body, true).await
}

async fn change(
    req: HttpRequest,
    id: String,
    state: web::Data<AppState>,
    body: web::Payload,
    patch: bool,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let change = change_body(body, &state).await?;
    // The key and the meeting first: a request without If-Match for a meeting that does not
    // exist, or that the key may not touch, says so rather than asking for If-Match.
    editing(&state).read(&key, &id).await?;
    let etag = if_match(&req)?;
    let e = editing(&state)
        .change(&key, &id, &etag, change.fields, patch, change.note)
        .await?;
    Ok(editable(actix_web::http::StatusCode::OK, e))
}

/// Withdraws a meeting of a local source (`If-Match` required). The body may carry a `note`.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "The ETag the meeting was read with")),
    responses((status = 204, description = "Withdrawn"), BadParams, NoKey, WrongKey, NoSuchMeeting, Conflict, Stale, NoIfMatch))]
#[delete("/v1/admin/meetings/{id}")]
pub async fn withdraw_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let note = note_body(body, &state).await?;
    editing(&state).read(&key, &id).await?;
    let etag = if_match(&req)?;
    editing(&state).withdraw(&key, &id, &etag, note).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Drops the corrections over an imported meeting (`If-Match` required): the feed's values are
/// served again.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = String, Path, description = "Meeting id"),
        ("If-Match" = String, Header, description = "The ETag the meeting was read with")),
    responses((status = 200, body = Editable), BadParams, NoKey, WrongKey, NoSuchMeeting, Stale, NoIfMatch))]
#[delete("/v1/admin/meetings/{id}/corrections")]
pub async fn drop_corrections(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let note = note_body(body, &state).await?;
    editing(&state).read(&key, &id).await?;
    let etag = if_match(&req)?;
    let e = editing(&state).drop_corrections(&key, &id, &etag, note).await?;
    Ok(editable(actix_web::http::StatusCode::OK, e))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// Only say what the sheet would change (the default); `false` applies it.
    pub dry_run: Option<bool>,
    /// Apply even if the sheet drops more than half of the source's meetings.
    pub force: Option<bool>,
    /// Why, for the audit trail.
    pub note: Option<String>,
}

/// Uploads the whole list of a local source as a sheet in the CSV template
/// (`importers/templates/meetings-template.csv`): first a dry run saying what it would add,
/// change and withdraw, then with `dry_run=false` the change, in one transaction. A sheet with a
/// bad row, or one that drops more than half of the meetings (without `force=true`), is not
/// applied.
#[utoipa::path(tag = "editing", security(("api_key" = [])),
    params(("source" = String, Path, description = "Local source id"), BulkQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = BulkSummary), BadParams, NoKey, WrongKey, NoSuchMeeting, Conflict, BadMeeting))]
#[post("/v1/admin/sources/{source}/upload")]
pub async fn upload_sheet(
    req: HttpRequest,
    source: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let query: BulkQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::param("query", e.to_string()))?;
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("text/csv")
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the sheet as CSV with Content-Type: text/csv, not `{media}`"
        )));
    }
    let sheet = read_body(body, MAX_SHEET_BYTES, state.body_timeout).await?;
    let summary = editing(&state)
        .bulk(
            &key,
            &source,
            &sheet,
            !query.dry_run.unwrap_or(true),
            query.force.unwrap_or(false),
            query.note,
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(summary))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub meeting: Option<String>,
    pub source: Option<String>,
    /// Changes made with this key id.
    pub key: Option<String>,
    /// Rows older than this id (the `next` of the previous page).
    pub before: Option<i64>,
    /// 1-500, default 100.
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    pub audit: Vec<AuditEntry>,
    /// `before` for the next page; null on the last.
    pub next: Option<i64>,
}

async fn audit_rows(state: &AppState, filter: AuditFilter) -> Result<AuditList, ApiError> {
    let limit = filter.limit;
    let rows = state.directory.audit(&filter).await?;
    let next = (rows.len() == limit).then(|| rows.last().map(|a| a.id)).flatten();
    Ok(AuditList { audit: rows, next })
}

fn audit_filter(query: &str) -> Result<AuditFilter, ApiError> {
    let q: AuditQuery =
        serde_urlencoded::from_str(query).map_err(|e| ApiError::param("query", e.to_string()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::param("limit", "must be 1 to 500"));
    }
    Ok(AuditFilter {
        meeting_id: q.meeting,
        source_id: q.source,
        key_id: q.key,
        before: q.before,
        limit,
    })
}

/// The audit trail, newest first: who changed what, when and why. An editor sees the changes
/// to its own sources (give `source`); an admin all.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(AuditQuery),
    responses((status = 200, body = AuditList), BadParams, NoKey, WrongKey))]
#[get("/v1/admin/audit")]
pub async fn audit_trail(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let filter = audit_filter(req.query_string())?;
    if key.role != Role::Admin {
        match &filter.source_id {
            Some(source) if key.may_write(source) => {}
            Some(source) => {
                return Err(ApiError::Forbidden(format!(
                    "key `{}` may not read the changes of `{source}`",
                    key.id
                )))
            }
            None => {
                return Err(ApiError::Forbidden(
                    "an editor's key reads the changes of one of its sources: give `source`".into(),
                ))
            }
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(audit_rows(&state, filter).await?))
}

/// Every change made to one meeting by hand, newest first (for editors of its source).
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = String, Path, description = "Meeting id"), AuditQuery),
    responses((status = 200, body = AuditList), BadParams, NoKey, WrongKey, NoSuchMeeting))]
#[get("/v1/meetings/{id}/history")]
pub async fn meeting_history(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let mut filter = audit_filter(req.query_string())?;
    // A withdrawn meeting's history is still there: the source comes from its audit rows.
    let source = match state.directory.stored_meeting(&id).await? {
        Some(m) => m.source.id,
        None => state
            .directory
            .audit(&AuditFilter {
                meeting_id: Some(id.to_string()),
                limit: 1,
                ..AuditFilter::default()
            })
            .await?
            .pop()
            .and_then(|a| a.source_id)
            .ok_or_else(|| ApiError::NotFound(format!("no meeting has id `{id}`")))?,
    };
    if !key.may_write(&source) {
        return Err(ApiError::Forbidden(format!(
            "key `{}` may not read the history of `{source}`",
            key.id
        )));
    }
    filter.meeting_id = Some(id.into_inner());
    filter.source_id = None;
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(audit_rows(&state, filter).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `open` (the default), `resolved`, `dismissed` or `all`.
    pub status: Option<String>,
    pub meeting: Option<String>,
    /// 1-500, default 100.
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<Report>,
}

/// Reports on the meetings this key may edit, newest first.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(ReportQuery),
    responses((status = 200, body = ReportList), BadParams, NoKey))]
#[get("/v1/admin/reports")]
pub async fn list_reports(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let q: ReportQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::param("query", e.to_string()))?;
    let mut errors = Vec::new();
    let status = match q.status.as_deref().unwrap_or("open") {
        "all" => None,
        s => match ReportStatus::parse(s) {
            Some(s) => Some(s),
            None => {
                errors.push(InvalidParam::new(
                    "status",
                    "must be open, resolved, dismissed or all",
                ));
                None
            }
        },
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        errors.push(InvalidParam::new("limit", "must be 1 to 500"));
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidParams(errors));
    }
    let reports = editing(&state).reports(&key, status, q.meeting, limit).await?;
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(ReportList { reports }))
}

/// How an editor closes a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportClosing {
    /// `resolved` (acted on) or `dismissed` (nothing wrong).
    pub status: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Resolves or dismisses an open report. The meeting stops saying it was reported once no
/// report on it is open.
#[utoipa::path(tag = "editing", security(("api_key" = [])), params(("id" = i64, Path, description = "Report id")),
    request_body = ReportClosing,
    responses((status = 200, body = Report), BadParams, NoKey, WrongKey, NoSuchMeeting, Conflict))]
#[patch("/v1/admin/reports/{id}")]
pub async fn close_report(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let key = authenticate(&req, &state).await?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("no report has id `{id}`")))?;
    let bytes = read_body(body, MAX_CHANGE_BYTES, state.body_timeout).await?;
    let closing: ReportClosing = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::param("body", format!("is not a report closing: {e}")))?;
    let status = match ReportStatus::parse(&closing.status) {
        Some(s @ (ReportStatus::Resolved | ReportStatus::Dismissed)) => s,
        _ => return Err(ApiError::param("status", "must be resolved or dismissed")),
    };
    let report = editing(&state)
        .close_report(&key, id, status, closing.note)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(report))
}
