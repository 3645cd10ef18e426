//! `/v1/meetings/{id}.ics` and `/v1/meetings.ics`: meetings as iCalendar ([`crate::formats::ical`]).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{get, web, HttpRequest, HttpResponse};

use super::params::{self, FilterParams, NoExtra, SearchParams, MAX_LIMIT};
use super::problem::responses::BadParams;
use super::problem::{ApiError, Problem};
use super::search_response::{cached, meeting_index};
use super::AppState;
use crate::formats::ical::{calendar_with, CalendarLinks, CONTENT_TYPE};
use crate::search::Snapshot;

/// A calendar answer, saved under `file_name` (`Content-Disposition`) by a browser that is
/// handed it, and subscribed to by calendar apps. `body` gets the calendar's links: this server's
/// address and the calendar's own.
pub fn respond(
    req: &HttpRequest,
    snapshot: &Snapshot,
    file_name: &str,
    body: impl FnOnce(CalendarLinks) -> String,
) -> HttpResponse {
    let info = req.connection_info().clone();
    let base = format!("{}://{}", info.scheme(), info.host());
    let source = format!(
        "{base}{}",
        req.uri().path_and_query().map_or("", |pq| pq.as_str())
    );
    let links = CalendarLinks {
        base: Some(&base),
        source: Some(&source),
    };
    // The links name the host the client asked: one answer per host, so caches keep them apart.
    let variant = format!("ics@{base}");
    let mut response = cached(req, snapshot, &variant, CONTENT_TYPE, || body(links));
    // Only characters safe in a quoted file name: the rest of an id becomes `-`.
    let file_name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}.ics\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// One meeting as an iCalendar file.
///
/// One `VEVENT` repeating weekly (or on the given weeks of the month) in the meeting's time zone,
/// with its `VTIMEZONE`. A meeting with no fixed time has no calendar (404).
#[utoipa::path(
    tag = "exports",
    params(("id" = String, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "An iCalendar file (RFC 5545 with RFC 7986's NAME, REFRESH-INTERVAL and SOURCE; each event's URL is the meeting's page, CONFERENCE how to join online)", body = String, content_type = "text/calendar",
            headers(("Content-Disposition" = String, description = "`attachment` with a file name ending in `.ics`"))),
        (status = 404, description = "No meeting with this id, or it has no fixed time", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/meetings/{id}.ics")]
pub async fn meeting_calendar(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let index = meeting_index(&snapshot, &id)?;
    let meeting = snapshot.meeting(index);
    if meeting.schedule.is_none() {
        return Err(ApiError::NotFound(format!(
            "meeting `{id}` has no fixed time, so it has no calendar"
        )));
    }
    Ok(respond(&req, &snapshot, &format!("meeting-{id}"), |links| {
        calendar_with(&meeting.name, [&meeting], links)
    }))
}

/// A search as a calendar to subscribe to.
///
/// The same filters as `/v1/meetings`; up to `limit` meetings (default and maximum 500), in the
/// search's order. Meetings with no fixed time are left out.
#[utoipa::path(
    tag = "exports",
    params(FilterParams, SearchParams),
    responses(
        (status = 200, description = "An iCalendar file (RFC 5545 with RFC 7986's NAME, REFRESH-INTERVAL and SOURCE; each event's URL is the meeting's page, CONFERENCE how to join online)", body = String, content_type = "text/calendar",
            headers(("Content-Disposition" = String, description = "`attachment` with a file name ending in `.ics`"))),
        BadParams,
    )
)]
#[get("/v1/meetings.ics")]
pub async fn search_calendar(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let mut errors = Vec::new();
    let (mut search, NoExtra {}, fingerprint) = params::parse(req.query_string(), &mut errors)?;
    search.default_limit(MAX_LIMIT);
    let request = search.check(errors, fingerprint, &state.geo).await?;
    let snapshot = state
        .directory
        .catch_up_to(request.cursor.map(|c| c.snapshot), snapshot)
        .await;
    let offset = super::search_response::page_offset(&request, &snapshot)?;
    let (hits, _) = snapshot.search(&request.query, offset.saturating_add(request.limit));
    let page = hits.get(offset..).unwrap_or_default();
    Ok(respond(&req, &snapshot, "meetings", |links| {
        calendar_with(
            "Meetings (meetingmap)",
            page.iter()
                .map(|h| snapshot.meeting(h.index))
                .collect::<Vec<_>>()
                .iter(),
            links,
        )
    }))
}
