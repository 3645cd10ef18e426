//! `/v1/occurrences`: dated sessions, "which meetings can this person get to this week?".

use actix_web::{get, web, HttpRequest, HttpResponse};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::cursor::in_years;
use super::export;
use super::params::{self, FilterParams, SearchParams};
use super::problem::responses::{BadParams, NotAcceptable, NotModified, StaleCursor};
use super::problem::{ApiError, InvalidParam};
use super::search_response::{cached, directions_url, next_cursor, page_offset, round_km};
use super::AppState;
use crate::domain::{rfc3339, Access, Attendance, Location, MeetingType, Online, SourceRef};
use crate::formats::tables::{self, Feature};
use crate::formats::Format;
use crate::gazetteer::Resolved;
use crate::travel::{page_travel, Travel};

const DEFAULT_DAYS: u32 = 7;
const MAX_DAYS: u32 = 31;

/// The time window of an occurrence search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowParams {
    /// Start of the window, RFC 3339 (default: now), in the years 1900 to 2200. Sessions under way
    /// at this instant are included.
    // No `format = DateTime`: an empty value means "now", as it means "not given" for every
    // parameter, and the format would call it invalid.
    #[param(example = "2027-03-22T09:00:00Z")]
    from: Option<String>,
    /// Length of the window in days, 1 to 31 (default 7).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 31)]
    days: Option<String>,
    /// `json` (default), `geojson` or `csv`; overrides `Accept` (`application/json`,
    /// `application/geo+json`, `text/csv`). Anything else is a 406.
    #[param(schema_with = params::occurrence_formats, example = "csv")]
    format: Option<String>,
}

/// One dated session of a meeting.
#[derive(Serialize, ToSchema)]
pub struct OccurrenceView {
    pub meeting_id: String,
    pub name: String,
    #[schema(example = "aa")]
    pub fellowship: String,
    /// Start, RFC 3339 with the meeting's local UTC offset.
    #[schema(example = "2027-03-28T19:30:00+01:00")]
    pub start: String,
    /// End, RFC 3339 with the local UTC offset when it ends.
    pub end: String,
    /// The meeting's IANA time zone, which `start` and `end` are local to.
    #[schema(example = "Europe/London")]
    pub timezone: String,
    /// The session had started, and not ended, at `from`.
    pub in_progress: bool,
    pub distance_km: Option<f64>,
    /// How long getting there takes by the requested `mode`; null without `mode`, and for
    /// online-only meetings.
    pub travel: Option<Travel>,
    /// OpenStreetMap directions to the meeting; null for online-only meetings.
    pub directions_url: Option<String>,
    pub access: Access,
    pub attendance: Attendance,
    #[schema(value_type = Vec<String>)]
    pub types: Vec<MeetingType>,
    pub location: Option<Location>,
    pub online: Option<Online>,
    /// The meeting's own notes, as its source wrote them.
    pub notes: Option<String>,
    pub source: SourceRef,
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: Timestamp,
}

impl Feature for OccurrenceView {
    fn feature_id(&self) -> Option<&str> {
        Some(&self.meeting_id)
    }

    fn point(&self) -> Option<(f64, f64)> {
        self.location.as_ref()?.point()
    }
}

/// One page of occurrences.
#[derive(Serialize, ToSchema)]
pub struct OccurrencePage {
    pub occurrences: Vec<OccurrenceView>,
    /// Cursor for the next page; null on the last page.
    pub next: Option<String>,
    /// What `near` matched; null without `near`.
    pub resolved: Option<Resolved>,
    /// Set when routed travel times were wanted but estimates had to be used.
    pub travel_notice: Option<String>,
}

/// Sessions in a time window.
///
/// Every dated session of the matching meetings that overlaps the window (`from`, `days`), sorted
/// by start (or by distance, then start). Times are computed in each meeting's own time zone,
/// correctly across daylight-saving changes. Temporarily closed meetings have no sessions. Also as
/// GeoJSON or CSV (`format`, or `Accept`).
#[utoipa::path(
    tag = "meetings",
    params(FilterParams, SearchParams, WindowParams),
    responses(
        (status = 200, description = "A page of sessions", headers(
            ("Link" = String, description = "`<...>; rel=\"next\"`: the next page, when there is one (how CSV pages)"),
            ("ETag" = String, description = "Changes with the data, the request and the format"),
        ), content(
            (OccurrencePage = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
        )),
        NotModified,
        BadParams,
        NotAcceptable,
        StaleCursor,
    )
)]
#[get("/v1/occurrences")]
pub async fn search_occurrences(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let mut errors = Vec::new();
    let (search, window, fingerprint) = params::parse::<WindowParams>(req.query_string(), &mut errors)?;
    let format = export::negotiate(
        &req,
        window.format.as_deref(),
        &[Format::Json, Format::GeoJson, Format::Csv],
    )?;
    let from = window
        .from
        .as_deref()
        .and_then(|text| match text.parse::<Timestamp>() {
            Ok(t) if in_years(t) => Some(t),
            Ok(_) => {
                errors.push(InvalidParam::new(
                    "from",
                    "must be between the years 1900 and 2200",
                ));
                None
            }
            Err(_) => {
                errors.push(InvalidParam::new(
                    "from",
                    format!("must be an RFC 3339 instant such as 2027-03-22T09:00:00Z, not `{text}`"),
                ));
                None
            }
        });
    let days = params::whole(&mut errors, "days", window.days.as_deref(), MAX_DAYS).unwrap_or(DEFAULT_DAYS);
    // Sorted by start, as documented, unless `sort=distance`: the fingerprint was taken from the
    // parameters as given, so cursors are unaffected.
    let request = search
        .by_time_unless_asked()
        .check(errors, fingerprint, &state.geo)
        .await?;
    let snapshot = state
        .directory
        .catch_up_to(request.cursor.map(|c| c.snapshot), snapshot)
        .await;
    let offset = page_offset(&request, &snapshot)?;
    // A later page keeps the first page's "now", so the window does not move under the reader.
    // "Now" is taken to the minute, so repeated requests within a minute share an ETag.
    let from = from.or(request.cursor.and_then(|c| c.anchor)).unwrap_or_else(|| {
        let now = Timestamp::now().as_second();
        Timestamp::from_second(now - now.rem_euclid(60)).expect("the current time is a valid timestamp")
    });
    // `from` and a cursor's anchor are both within `cursor::YEARS` and `days` at most MAX_DAYS,
    // so this cannot fail; checked all the same, so that a future change to either range is a
    // 400 rather than a panic that drops the connection.
    let until = from
        .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
        .map_err(|_| ApiError::param("from", "is too late for a window of this many days"))?;
    let (hits, more) =
        snapshot.occurrences(&request.query, from, until, offset.saturating_add(request.limit));
    let next = next_cursor(&request, &snapshot, offset, more, Some(from));
    let hits = hits.get(offset..).unwrap_or_default();
    let stops: Vec<_> = hits.iter().map(|h| (h.index, h.distance_km)).collect();
    let travel = page_travel(&state.geo, request.travel, &request.query, &snapshot, &stops).await;
    // Each kept session with its local start and end and the travel to it. Dating it takes only
    // the meeting's zone and length, which the snapshot keeps beside its entry.
    let sessions: Vec<Session> = hits
        .iter()
        .zip(travel.times)
        .zip(travel.keep)
        .filter(|(_, keep)| *keep)
        .filter_map(|((hit, travel), _)| {
            let (zone, minutes) = snapshot.session_zone(hit.index)?;
            let start = hit.start.to_zoned(zone.tz().clone());
            let end = start
                .checked_add(SignedDuration::from_mins(i64::from(minutes)))
                .ok()?;
            Some(Session {
                index: hit.index,
                start: rfc3339(&start),
                end: rfc3339(&end),
                timezone: zone.name().to_string(),
                in_progress: hit.start < from,
                distance_km: hit.distance_km.map(round_km),
                travel,
                directions_url: directions_url(Some(&request), snapshot.position(hit.index)),
            })
        })
        .collect();
    let variant = format!(
        "{from}{}",
        if travel.notice.is_some() { "-estimated" } else { "" }
    );
    let link_next = next.clone();
    let resolved = request.resolved;
    let notice = travel.notice;
    // CSV and GeoJSON rows are the typed views, from each meeting parsed.
    let views = || -> Vec<OccurrenceView> {
        sessions
            .iter()
            .map(|session| session.view(snapshot.meeting(session.index)))
            .collect()
    };
    let mut response = cached(
        &req,
        &snapshot,
        &variant,
        format.content_type(),
        || match format {
            Format::Csv => tables::csv(views(), &tables::OCCURRENCE_COLUMNS),
            Format::GeoJson => {
                let foreign = serde_json::json!({
                    "next": next,
                    "resolved": resolved,
                    "travel_notice": notice,
                });
                let serde_json::Value::Object(foreign) = foreign else {
                    unreachable!("an object literal")
                };
                tables::geojson(views(), foreign)
            }
            _ => occurrence_page_json(&snapshot, &sessions, &next, &resolved, &notice),
        },
    );
    export::add_next_link(&req, link_next.as_deref(), &mut response);
    Ok(response)
}

/// One dated session of a page, formatted: what [`OccurrenceView`] adds to its meeting.
struct Session {
    index: u32,
    start: String,
    end: String,
    timezone: String,
    in_progress: bool,
    distance_km: Option<f64>,
    travel: Option<Travel>,
    directions_url: Option<String>,
}

impl Session {
    fn view(&self, m: crate::domain::Meeting) -> OccurrenceView {
        OccurrenceView {
            meeting_id: m.id,
            name: m.name,
            fellowship: m.fellowship.id().to_string(),
            start: self.start.clone(),
            end: self.end.clone(),
            timezone: self.timezone.clone(),
            in_progress: self.in_progress,
            distance_km: self.distance_km,
            travel: self.travel,
            directions_url: self.directions_url.clone(),
            access: m.access,
            attendance: m.attendance,
            types: m.types,
            location: m.location,
            online: m.online,
            notes: m.notes,
            source: m.source,
            last_seen_at: m.last_seen_at,
        }
    }
}

/// The fields of a meeting's JSON that an [`OccurrenceView`] repeats, as they are written there.
#[derive(Deserialize)]
struct MeetingFields<'a> {
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(borrow)]
    name: &'a RawValue,
    #[serde(borrow)]
    types: &'a RawValue,
    #[serde(borrow)]
    location: &'a RawValue,
    #[serde(borrow)]
    online: &'a RawValue,
    #[serde(borrow)]
    notes: &'a RawValue,
    #[serde(borrow)]
    source: &'a RawValue,
    #[serde(borrow)]
    last_seen_at: &'a RawValue,
}

/// The JSON [`OccurrencePage`], byte for byte what serialising it gives, with each meeting's
/// fields copied from the JSON the snapshot keeps instead of parsed and written again (a page
/// of 100 sessions parsed its meetings' locations, sources and types, cloned them and wrote
/// them back out).
fn occurrence_page_json(
    snapshot: &crate::search::Snapshot,
    sessions: &[Session],
    next: &Option<String>,
    resolved: &Option<Resolved>,
    notice: &Option<String>,
) -> String {
    let mut body = String::with_capacity(
        64 + sessions
            .iter()
            .map(|s| snapshot.meeting_json(s.index).len() + 400)
            .sum::<usize>(),
    );
    body.push_str("{\"occurrences\":[");
    for (n, session) in sessions.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        let i = session.index;
        let m: MeetingFields =
            serde_json::from_str(snapshot.meeting_json(i)).expect("a meeting's own JSON has its fields");
        let fields: [(&str, &str); 18] = [
            ("meeting_id", m.id.get()),
            ("name", m.name.get()),
            ("fellowship", &to_json(&snapshot.fellowship(i).id())),
            ("start", &to_json(&session.start)),
            ("end", &to_json(&session.end)),
            ("timezone", &to_json(&session.timezone)),
            ("in_progress", if session.in_progress { "true" } else { "false" }),
            ("distance_km", &to_json(&session.distance_km)),
            ("travel", &to_json(&session.travel)),
            ("directions_url", &to_json(&session.directions_url)),
            ("access", &to_json(&snapshot.access(i))),
            ("attendance", &to_json(&snapshot.attendance(i))),
            ("types", m.types.get()),
            ("location", m.location.get()),
            ("online", m.online.get()),
            ("notes", m.notes.get()),
            ("source", m.source.get()),
            ("last_seen_at", m.last_seen_at.get()),
        ];
        for (k, (key, value)) in fields.iter().enumerate() {
            body.push(if k == 0 { '{' } else { ',' });
            body.push('"');
            body.push_str(key);
            body.push_str("\":");
            body.push_str(value);
        }
        body.push('}');
    }
    body.push_str("],\"next\":");
    body.push_str(&to_json(next));
    body.push_str(",\"resolved\":");
    body.push_str(&to_json(resolved));
    body.push_str(",\"travel_notice\":");
    body.push_str(&to_json(notice));
    body.push('}');
    body
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("plain values serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spliced_page_is_what_serialising_the_views_gives() {
        // `occurrence_page_json` copies fields out of each meeting's kept JSON; the page it
        // writes must be byte for byte the serialised `OccurrencePage` of the same sessions
        // (every kind of meeting: online, hybrid, monthly, without notes...).
        let now: Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
        let meetings = crate::demo::generate(300, 5, now);
        let snapshot = crate::search::Snapshot::build(meetings);
        let query = crate::search::Query::default();
        let until = now + SignedDuration::from_hours(24 * 7);
        let (hits, _) = snapshot.occurrences(&query, now, until, 400);
        assert!(hits.len() > 200, "{} sessions", hits.len());
        let sessions: Vec<Session> = hits
            .iter()
            .enumerate()
            .map(|(n, hit)| {
                let (zone, minutes) = snapshot.session_zone(hit.index).unwrap();
                let start = hit.start.to_zoned(zone.tz().clone());
                let end = start
                    .checked_add(SignedDuration::from_mins(i64::from(minutes)))
                    .unwrap();
                Session {
                    index: hit.index,
                    start: rfc3339(&start),
                    end: rfc3339(&end),
                    timezone: zone.name().to_string(),
                    in_progress: n % 3 == 0,
                    distance_km: (n % 2 == 0).then_some(n as f64 / 10.0),
                    travel: None,
                    directions_url: (n % 2 == 0).then(|| format!("https://example.org/d?{n}")),
                }
            })
            .collect();
        let next = Some("cursor \"quoted\"".to_string());
        let notice = Some("estimates".to_string());
        let page = OccurrencePage {
            occurrences: sessions
                .iter()
                .map(|s| s.view(snapshot.meeting(s.index)))
                .collect(),
            next: next.clone(),
            resolved: None,
            travel_notice: notice.clone(),
        };
        let spliced = occurrence_page_json(&snapshot, &sessions, &next, &None, &notice);
        assert_eq!(spliced, serde_json::to_string(&page).unwrap());
    }
}
