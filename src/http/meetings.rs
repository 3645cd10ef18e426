//! `/v1/meetings`: search the directory, and fetch one meeting.

use std::fmt::Write;

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::export::{self, FormatParams};
use super::params::{self, FilterParams, SearchParams};
use super::problem::responses::{BadParams, NotAcceptable, NotModified, StaleCursor};
use super::problem::{ApiError, Problem};
use super::search_response::{
    cached, cached_json, directions_json, directions_url, meeting_index, next_cursor, page_offset, round_km,
};
use super::AppState;
use crate::domain::Meeting;
use crate::formats::tables::{self, Feature};
use crate::formats::Format;
use crate::gazetteer::Resolved;
use crate::travel::{page_travel, Travel};

/// A meeting in search results.
#[derive(Serialize, ToSchema)]
pub struct MeetingResult {
    /// Great-circle distance from the search point; null without a point, and for online-only
    /// meetings.
    pub distance_km: Option<f64>,
    /// How long getting there takes by the requested `mode`; null without `mode`, and for
    /// online-only meetings.
    pub travel: Option<Travel>,
    /// OpenStreetMap directions to the meeting (from the search point, by the requested mode,
    /// when given); null for online-only meetings.
    pub directions_url: Option<String>,
    #[serde(flatten)]
    pub meeting: Meeting,
}

impl Feature for MeetingResult {
    fn feature_id(&self) -> Option<&str> {
        Some(&self.meeting.id)
    }

    fn point(&self) -> Option<(f64, f64)> {
        self.meeting.location.as_ref()?.point()
    }
}

/// A meeting with its directions link.
#[derive(Serialize, ToSchema)]
pub struct MeetingDetail {
    /// OpenStreetMap directions to the meeting; null for online-only meetings.
    pub directions_url: Option<String>,
    #[serde(flatten)]
    pub meeting: Meeting,
}

/// One page of meetings.
#[derive(Serialize, ToSchema)]
pub struct MeetingPage {
    pub meetings: Vec<MeetingResult>,
    /// Cursor for the next page; null on the last page.
    pub next: Option<String>,
    /// What `near` matched; null without `near`.
    pub resolved: Option<Resolved>,
    /// Set when routed travel times were wanted but estimates had to be used.
    pub travel_notice: Option<String>,
}

/// Search meetings.
///
/// Weekly meetings matching every filter given, nearest first when a point is given (then by day
/// and time), otherwise by day (Sunday first) and local start time. Also as GeoJSON, CSV or
/// iCalendar (`format`, or `Accept`).
#[utoipa::path(
    tag = "meetings",
    params(FilterParams, SearchParams, FormatParams),
    responses(
        (status = 200, description = "A page of meetings", headers(
            ("Link" = String, description = "`<...>; rel=\"next\"`: the next page, when there is one (how CSV pages)"),
            ("ETag" = String, description = "Changes with the data, the request and the format"),
        ), content(
            (MeetingPage = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
            (String = "text/calendar"),
        )),
        NotModified,
        BadParams,
        NotAcceptable,
        StaleCursor,
    )
)]
#[get("/v1/meetings")]
pub async fn search_meetings(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let mut errors = Vec::new();
    let (search, FormatParams { format }, fingerprint) = params::parse(req.query_string(), &mut errors)?;
    let format = export::negotiate(
        &req,
        format.as_deref(),
        &[Format::Json, Format::GeoJson, Format::Csv, Format::Ics],
    )?;
    let request = search.check(errors, fingerprint, &state.geo).await?;
    let snapshot = state
        .directory
        .catch_up_to(request.cursor.map(|c| c.snapshot), snapshot)
        .await;
    let offset = page_offset(&request, &snapshot)?;
    let (hits, more) = snapshot.search(&request.query, offset.saturating_add(request.limit));
    let next = next_cursor(&request, &snapshot, offset, more, None);
    let page = hits.get(offset..).unwrap_or_default();
    if format == Format::Ics {
        return Ok(super::calendar::respond(&req, &snapshot, "meetings", |links| {
            crate::formats::ical::calendar_with(
                "Meetings (meetingmap)",
                page.iter()
                    .map(|h| snapshot.meeting(h.index))
                    .collect::<Vec<_>>()
                    .iter(),
                links,
            )
        }));
    }
    let stops: Vec<_> = page.iter().map(|h| (h.index, h.distance_km)).collect();
    let travel = page_travel(&state.geo, request.travel, &request.query, &snapshot, &stops).await;
    let variant = if travel.notice.is_some() { "estimated" } else { "" };
    let link_next = next.clone();
    let kept = || {
        page.iter()
            .zip(&travel.times)
            .zip(&travel.keep)
            .filter(|(_, keep)| **keep)
            .map(|((hit, time), _)| (hit, time))
    };
    // CSV and GeoJSON rows are the JSON page's results, typed.
    let rows = || {
        kept().map(|(hit, time)| {
            let meeting = snapshot.meeting(hit.index);
            MeetingResult {
                distance_km: hit.distance_km.map(round_km),
                travel: *time,
                directions_url: directions_url(Some(&request), snapshot.position(hit.index)),
                meeting,
            }
        })
    };
    let mut response = cached(&req, &snapshot, variant, format.content_type(), || match format {
        Format::Csv => tables::csv(rows(), &tables::MEETING_COLUMNS),
        Format::GeoJson => {
            let foreign = serde_json::json!({
                "next": next,
                "resolved": request.resolved,
                "travel_notice": travel.notice,
            });
            let serde_json::Value::Object(foreign) = foreign else {
                unreachable!("an object literal")
            };
            tables::geojson(rows(), foreign)
        }
        _ => {
            let mut body = String::with_capacity(
                128 + page
                    .iter()
                    .map(|h| snapshot.meeting_json(h.index).len() + 256)
                    .sum::<usize>(),
            );
            body.push_str("{\"meetings\":[");
            for (i, (hit, time)) in kept().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                // Meetings were rendered to JSON when the snapshot was built; splice the distance,
                // travel time and directions in.
                match hit.distance_km {
                    Some(d) => {
                        write!(body, "{{\"distance_km\":{:?},", round_km(d)).expect("writing to a String")
                    }
                    None => body.push_str("{\"distance_km\":null,"),
                }
                body.push_str("\"travel\":");
                body.push_str(&serde_json::to_string(time).expect("travel serialises"));
                body.push_str(",\"directions_url\":");
                body.push_str(&directions_json(Some(&request), snapshot.position(hit.index)));
                body.push(',');
                body.push_str(&snapshot.meeting_json(hit.index)[1..]);
            }
            body.push_str("],\"next\":");
            body.push_str(&serde_json::to_string(&next).expect("a string serialises"));
            body.push_str(",\"resolved\":");
            body.push_str(&serde_json::to_string(&request.resolved).expect("a place serialises"));
            body.push_str(",\"travel_notice\":");
            body.push_str(&serde_json::to_string(&travel.notice).expect("a string serialises"));
            body.push('}');
            body
        }
    });
    export::add_next_link(&req, link_next.as_deref(), &mut response);
    Ok(response)
}

/// One meeting by id.
///
/// JSON by default. A browser (an `Accept` that prefers `text/html` to `application/json`) is
/// sent to the meeting's page, `/meetings/{id}`, so a shared API link opens as a page.
#[utoipa::path(
    tag = "meetings",
    params(("id" = String, Path, description = "Meeting id")),
    responses(
        (status = 200, description = "The meeting", body = MeetingDetail),
        (status = 303, description = "To the meeting's page, for a request that prefers HTML", headers(
            ("Location" = String, description = "`/meetings/{id}`"),
        )),
        (status = 404, description = "No meeting with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/meetings/{id}")]
pub async fn get_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if super::pages::prefers_html(&req) {
        // The page answers an unknown id with a page for people too.
        return Ok(HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, super::pages::meeting_path(&id)))
            .insert_header((actix_web::http::header::VARY, "Accept"))
            .finish());
    }
    let snapshot = state.directory.snapshot();
    let index = meeting_index(&snapshot, &id)?;
    Ok(cached_json(&req, &snapshot, "", || {
        let link = directions_json(None, snapshot.position(index));
        format!(
            "{{\"directions_url\":{link},{}",
            &snapshot.meeting_json(index)[1..]
        )
    }))
}
