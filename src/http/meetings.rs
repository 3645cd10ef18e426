//! `/v1/meetings`: search the directory, and fetch one meeting.

use std::fmt::Write;

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::params::{self, NoExtra, SearchParams};
use super::problem::{ApiError, Problem};
use super::search_response::{cached_json, next_cursor, page_offset, round_km};
use super::AppState;
use crate::domain::Meeting;

/// A meeting in search results.
#[derive(Serialize, ToSchema)]
pub struct MeetingResult {
    /// Great-circle distance from the search point; null without a point, and for online-only
    /// meetings.
    pub distance_km: Option<f64>,
    #[serde(flatten)]
    pub meeting: Meeting,
}

/// One page of meetings.
#[derive(Serialize, ToSchema)]
pub struct MeetingPage {
    pub meetings: Vec<MeetingResult>,
    /// Cursor for the next page; null on the last page.
    pub next: Option<String>,
}

/// Search meetings.
///
/// Weekly meetings matching every filter given, nearest first when a point is given (then by day
/// and time), otherwise by day (Sunday first) and local start time.
#[utoipa::path(
    tag = "meetings",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of meetings", body = MeetingPage),
        (status = 304, description = "Not modified since the ETag given in If-None-Match"),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Cursor from before the directory changed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/meetings")]
pub async fn search_meetings(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.index.current();
    let mut errors = Vec::new();
    let (search, NoExtra {}, fingerprint) = params::parse(req.query_string(), &mut errors)?;
    let request = match search.validate(&mut errors, fingerprint) {
        Some(request) if errors.is_empty() => request,
        _ => return Err(ApiError::InvalidParams(errors)),
    };
    let offset = page_offset(&request, &snapshot)?;
    let (hits, more) = snapshot.search(&request.query, offset + request.limit);
    let next = next_cursor(&request, &snapshot, offset, more, None);
    Ok(cached_json(&req, &snapshot, "", || {
        let page = hits.get(offset..).unwrap_or_default();
        let mut body = String::with_capacity(
            64 + page
                .iter()
                .map(|h| snapshot.meeting_json(h.index).len() + 32)
                .sum::<usize>(),
        );
        body.push_str("{\"meetings\":[");
        for (i, hit) in page.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            // Meetings were rendered to JSON when the snapshot was built; splice the distance in.
            match hit.distance_km {
                Some(d) => write!(body, "{{\"distance_km\":{:?},", round_km(d)).expect("writing to a String"),
                None => body.push_str("{\"distance_km\":null,"),
            }
            body.push_str(&snapshot.meeting_json(hit.index)[1..]);
        }
        body.push_str("],\"next\":");
        body.push_str(&serde_json::to_string(&next).expect("a string serialises"));
        body.push('}');
        body
    }))
}

/// One meeting by id.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The meeting", body = Meeting),
        (status = 404, description = "No meeting with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/meetings/{id}")]
pub async fn get_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.index.current();
    let index = snapshot
        .find(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no meeting has id `{id}`")))?;
    Ok(cached_json(&req, &snapshot, "", || {
        snapshot.meeting_json(index).to_string()
    }))
}
