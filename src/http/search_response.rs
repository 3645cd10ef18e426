//! What every search endpoint does after parsing: pick the page, and answer with caching headers.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use super::cache;
use super::cursor::Cursor;
use super::params::SearchRequest;
use super::problem::ApiError;
use crate::hash::fnv1a;
use crate::search::Snapshot;
use crate::travel;

/// Where the requested page starts, refusing a cursor from an older snapshot.
pub fn page_offset(request: &SearchRequest, snapshot: &Snapshot) -> Result<usize, ApiError> {
    match request.cursor {
        Some(c) if c.snapshot != snapshot.version() => Err(ApiError::StaleCursor),
        Some(c) => Ok(c.offset),
        None => Ok(0),
    }
}

/// The `next` cursor, when there are more results.
pub fn next_cursor(
    request: &SearchRequest,
    snapshot: &Snapshot,
    offset: usize,
    more: bool,
    anchor: Option<jiff::Timestamp>,
) -> Option<String> {
    more.then(|| {
        Cursor {
            snapshot: snapshot.version(),
            offset: offset.saturating_add(request.limit),
            fingerprint: request.fingerprint,
            anchor,
        }
        .encode()
    })
}

/// A JSON response whose content depends only on the snapshot, the request and `variant` (anything
/// else it was computed from, such as the current time), with an `ETag` tied to all three; a
/// matching `If-None-Match` gets 304.
pub fn cached_json(
    req: &HttpRequest,
    snapshot: &Snapshot,
    variant: &str,
    body: impl FnOnce() -> String,
) -> HttpResponse {
    cached(req, snapshot, variant, "application/json", body)
}

/// [`cached_json`] for any content type. Responses vary by `Accept`, which can choose the format.
pub fn cached(
    req: &HttpRequest,
    snapshot: &Snapshot,
    variant: &str,
    content_type: &str,
    body: impl FnOnce() -> String,
) -> HttpResponse {
    let uri = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    let etag = format!(
        "\"{:x}-{:x}\"",
        snapshot.version(),
        fnv1a(uri) ^ fnv1a(variant).rotate_left(1) ^ fnv1a(content_type).rotate_left(2)
    );
    let (mut response, fresh) = conditional(req, &etag);
    response
        .insert_header(cache::control(cache::FOLLOWS_DATA))
        .insert_header((header::VARY, "Accept"));
    if fresh {
        response.finish()
    } else {
        response.content_type(content_type.to_string()).body(body())
    }
}

/// A `304 Not Modified` when `If-None-Match` names `etag` (weak comparison, as RFC 9110 has it
/// for GET), else a `200`; either carrying the `ETag`. Says which, so the caller adds the body
/// only to a 200.
pub fn conditional(req: &HttpRequest, etag: &str) -> (HttpResponseBuilder, bool) {
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == etag)
        });
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header((header::ETAG, etag.to_string()));
    (response, fresh)
}

pub use crate::domain::round_km;

/// The directions link to a meeting at `position` (see [`crate::search::Snapshot::position`]),
/// as JSON: from the search's point and by its travel mode when it had them; null for a meeting
/// without a position.
pub fn directions_json(request: Option<&SearchRequest>, position: Option<(f64, f64)>) -> String {
    directions_url(request, position).map_or_else(|| "null".into(), |url| format!("\"{url}\""))
}

/// The directions link to a meeting at `position` (see [`directions_json`]).
pub fn directions_url(request: Option<&SearchRequest>, position: Option<(f64, f64)>) -> Option<String> {
    let point = position?;
    let from = request.and_then(|r| r.query.near).map(|n| (n.lat, n.lon));
    let mode = request.and_then(|r| r.travel).map(|t| t.mode);
    Some(travel::directions_url(point, from, mode))
}

/// The meeting with this id (or merged into one), or a 404 naming it.
pub fn meeting_index(snapshot: &Snapshot, id: &str) -> Result<u32, ApiError> {
    snapshot
        .find(id)
        .ok_or_else(|| ApiError::NotFound(format!("no meeting has id `{id}`")))
}
