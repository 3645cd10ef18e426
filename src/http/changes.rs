//! `/v1/changes`: the change feed, RPDE-style, for aggregators that keep a copy in step.
//!
//! A client reads pages in `(modified, id)` order and follows `next` until a page comes back
//! empty; later it polls that last `next` again. Each meeting appears once, at its latest change,
//! so walking the feed while imports run still sees every change exactly once (a meeting changed
//! behind the client's position comes round again, at its new position). Deletions are
//! tombstones without `data`. The log is read from the store, where each write records its
//! changes in its own transaction (see `Store::changes`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::meetings::MeetingDetail;
use super::params;
use super::problem::responses::BadParams;
use super::problem::{ApiError, InvalidParam};
use super::search_response::directions_url;
use super::{cache, AppState};
use crate::domain::{ChangePosition, ChangeState, ChangesFrom, MeetingChange};

/// Items per page unless `limit` says otherwise, and the most a page holds.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 500;

/// The query parameters of `/v1/changes`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// Start with the changes recorded at or after this instant (RFC 3339), instead of from the
    /// first change kept. Ignored when `cursor` is given.
    // Declared as text, not `format: date-time`: an empty value means "not given" here as on
    // every endpoint (HTML forms send empty fields), which OpenAPI cannot state, so the contract
    // must not promise that `since=` is refused (Schemathesis ST201). Anything else that is not
    // an RFC 3339 instant is a 400 naming `since`.
    #[param(value_type = Option<String>, example = "2026-11-01T00:00:00Z")]
    since: Option<String>,
    /// Where to continue: taken from the `next` link of the previous page.
    cursor: Option<String>,
    /// Items per page, 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

/// One meeting's latest change.
#[derive(Serialize, ToSchema)]
pub struct ChangeItem {
    /// `updated` (added, edited or listed again) or `deleted` (a tombstone: gone from the
    /// directory).
    pub state: ChangeState,
    /// What changed: always `meeting`.
    #[schema(example = "meeting")]
    pub kind: &'static str,
    /// The meeting's id.
    pub id: String,
    /// The change number: grows with every write of meetings, in commit order. Items are ordered
    /// by `modified`, then `id`.
    pub modified: i64,
    /// When the change was recorded (RFC 3339, UTC).
    #[schema(value_type = String, format = DateTime)]
    pub changed_at: jiff::Timestamp,
    /// The meeting as `/v1/meetings/{id}` serves it; absent from tombstones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<MeetingDetail>,
}

/// One page of the change feed.
#[derive(Serialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<ChangeItem>,
    /// The URL of the next page, always present: on an empty page it is this page's own, to poll
    /// for later changes.
    pub next: String,
    /// Whose data this is: each item's `data.source.attribution` names its source's terms.
    pub license: &'static str,
}

/// A position in the change log of one database, as an opaque cursor.
fn encode(identity: &str, position: &ChangePosition) -> String {
    URL_SAFE_NO_PAD.encode(format!("c1.{identity}.{}.{}", position.modified, position.id))
}

/// The database identity and position a cursor names, or `None` when it is not one we issued.
fn decode(cursor: &str) -> Option<(String, ChangePosition)> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.splitn(4, '.');
    if parts.next()? != "c1" {
        return None;
    }
    let identity = parts.next()?.to_string();
    let modified = parts.next()?.parse::<i64>().ok()?;
    let id = parts.next()?.to_string();
    Some((identity, ChangePosition { modified, id }))
}

fn item(change: MeetingChange) -> ChangeItem {
    let data = change.meeting.map(|meeting| MeetingDetail {
        directions_url: directions_url(None, meeting.location.as_ref().and_then(|l| l.point())),
        meeting,
    });
    ChangeItem {
        state: change.state,
        kind: "meeting",
        id: change.position.id,
        modified: change.position.modified,
        changed_at: change.changed_at,
        data,
    }
}

/// The change feed.
///
/// Every addition, edit and removal of a meeting, in the order the directory recorded them
/// (`modified`, then `id`), RPDE-style: start without a cursor (or with `since`), follow `next`
/// until a page has no items, and later poll that last `next` again. Each meeting appears once,
/// at its latest change, so paging while imports run still delivers every change exactly once.
/// A feed that shrinks is refused by the importer unless forced, so tombstones mean meetings
/// really gone; an import that only confirms meetings records no change.
#[utoipa::path(
    tag = "meetings",
    params(ChangeParams),
    responses(
        (status = 200, description = "A page of changes", body = ChangeFeed),
        BadParams,
        (status = 410, description = "The cursor belongs to another database: start again without it", body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/changes")]
pub async fn changes(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut errors: Vec<InvalidParam> = Vec::new();
    let query: ChangeParams = params::parse_own(req.query_string(), &mut errors)?;
    let limit = params::whole(&mut errors, "limit", query.limit.as_deref(), MAX_LIMIT as u32)
        .map_or(DEFAULT_LIMIT, |n| n as usize);
    let cursor = match query.cursor.as_deref() {
        Some(text) => match decode(text) {
            Some(found) => Some(found),
            None => {
                errors.push(InvalidParam::new("cursor", "is not a cursor this feed issued"));
                None
            }
        },
        None => None,
    };
    let since = match query.since.as_deref() {
        Some(text) => match text.parse::<jiff::Timestamp>() {
            Ok(t) if super::cursor::in_years(t) => Some(t),
            _ => {
                errors.push(InvalidParam::new(
                    "since",
                    format!("must be an RFC 3339 instant such as 2026-11-01T00:00:00Z, not `{text}`"),
                ));
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(ApiError::InvalidParams(errors));
    }
    let (from, issued_by) = match (cursor, since) {
        (Some((identity, position)), _) => (ChangesFrom::After(position), Some(identity)),
        (None, Some(t)) => (ChangesFrom::Since(t), None),
        (None, None) => (ChangesFrom::Start, None),
    };
    let page = state.directory.changes(&from, limit).await?;
    if issued_by.is_some_and(|identity| identity != page.identity) {
        return Err(ApiError::StaleCursor);
    }
    let next = match page.changes.last() {
        Some(last) => {
            let cursor = encode(&page.identity, &last.position);
            let mut pairs = vec![("cursor", cursor)];
            if query.limit.is_some() {
                pairs.push(("limit", limit.to_string()));
            }
            let query = serde_urlencoded::to_string(&pairs).expect("text pairs encode");
            absolute(&req, &format!("{}?{query}", req.path()))
        }
        // Nothing new: poll this same page again later.
        None => absolute(
            &req,
            req.uri().path_and_query().map_or("/v1/changes", |pq| pq.as_str()),
        ),
    };
    let feed = ChangeFeed {
        items: page.changes.into_iter().map(item).collect(),
        next,
        license: "Each meeting's data.source.attribution states its source's terms.",
    };
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::REVALIDATE))
        .json(feed))
}

/// `path_and_query` on this server, as the client reached it.
fn absolute(req: &HttpRequest, path_and_query: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}{path_and_query}", info.scheme(), info.host())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_we_did_not_issue() {
        let position = ChangePosition {
            modified: 42,
            id: "mg.a.b.c".into(),
        };
        let text = encode("abc123", &position);
        assert_eq!(decode(&text), Some(("abc123".to_string(), position)));
        for bad in ["", "x", "YzEuYQ", &URL_SAFE_NO_PAD.encode("c1.a.notanumber.x")] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
