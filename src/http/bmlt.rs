//! BMLT's semantic interface (`/client_interface/json/` and `/client_interface/jsonp/`), for
//! croutonjs, crumb-widget and other BMLT clients: the request is handed to
//! [`crate::formats::bmlt_server`] as it came, and its answer sent as JSON or JSONP.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::search_response::cached;
use super::AppState;
use crate::domain::Meeting;
use crate::formats::bmlt_server::{self, changes_from_meetings, Answer, Params, Server};

/// The parameters every switcher shares; each switcher's own are described on the operation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only the OpenAPI document reads it: the handler reads the query as BMLT does.
pub struct BmltParams {
    /// `GetSearchResults`, `GetFormats`, `GetServiceBodies`, `GetServerInfo`, `GetFieldKeys`,
    /// `GetFieldValues`, `GetChanges` or `GetCoverageArea`.
    #[param(example = "GetSearchResults")]
    switcher: String,
}

/// JSONP's callback.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub struct CallbackParams {
    /// The function the answer is passed to (letters, digits, `_`, `$` and `.`); default
    /// `callback`.
    #[param(example = "jsonp_1795350757335_94127")]
    callback: Option<String>,
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

fn respond(req: &HttpRequest, state: &AppState, jsonp: bool) -> HttpResponse {
    let snapshot = state.directory.snapshot();
    let params = Params::parse(req.query_string());
    let info = req.connection_info();
    let root = format!("{}://{}", info.scheme(), info.host());
    drop(info);
    let switcher = query_value(req.query_string(), "switcher").unwrap_or_default();
    let callback = query_value(req.query_string(), "callback").unwrap_or_else(|| "callback".into());
    let now = jiff::Timestamp::now();
    let meetings = meetings_for(&snapshot, &switcher, &params);
    let meetings = meetings.as_slice();
    let changes = || changes_from_meetings(meetings);
    let server = Server {
        meetings,
        root_server_uri: &root,
        now,
        changes: &changes,
    };
    let body = match server.answer(&switcher, &params) {
        Answer::Json(value) => value.to_string(),
        Answer::Refused { status, message } => {
            return HttpResponse::build(
                actix_web::http::StatusCode::from_u16(status)
                    .unwrap_or(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY),
            )
            .insert_header(super::cache::control(super::cache::NEVER))
            .content_type("text/plain; charset=utf-8")
            .body(message)
        }
    };
    // Answers that depend on the time of day (the next start, another time zone) change by the
    // minute; the rest only with the data.
    let timed = params_mention(
        req.query_string(),
        &["sort_results_by_next_start", "target_time_zone"],
    );
    let variant = if timed {
        format!("bmlt-{}", now.as_second() / 60)
    } else {
        "bmlt".into()
    };
    if jsonp {
        match bmlt_server::jsonp(&callback, &body) {
            Some(script) => cached(req, &snapshot, &variant, JAVASCRIPT, || script),
            None => HttpResponse::UnprocessableEntity()
                .insert_header(super::cache::control(super::cache::NEVER))
                .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("callback must be a JavaScript name (letters, digits, _, $ and .)"),
        }
    } else {
        cached(req, &snapshot, &variant, "application/json", || body)
    }
}

/// One parameter's first value, decoded as BMLT reads it.
fn query_value(query: &str, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
}

fn params_mention(query: &str, names: &[&str]) -> bool {
    names.iter().any(|n| query.contains(n))
}

/// BMLT semantic interface, JSON.
///
/// Answers as a BMLT root server 4.2.7 does, from every fellowship's meetings (not only NA's),
/// for croutonjs, crumb-widget and other BMLT clients; point them at this server's root (the
/// part before `/client_interface`). Every value is a string. Fellowships are service bodies of
/// type `RS`, each source's meetings of a fellowship an `AS` body under it; their ids, meeting
/// ids (`id_bigint`) and format ids are stable hashes of our ids, the same after every import.
/// Formats are our types, with the NAWS code (`world_id`) where there is one.
///
/// `GetSearchResults` takes `meeting_ids`, `weekdays` (1 = Sunday), `venue_types` (1 in person,
/// 2 virtual, 3 hybrid), `services` with `recursive=1`, `formats` with
/// `formats_comparison_operator=AND|OR` (all lists as `name[]=1&name[]=2` or `name=1,2`,
/// negative values excluding), `SearchString`, `StartsAfterH/M`, `StartsBeforeH/M`,
/// `EndsBeforeH/M`, `MinDurationH/M`, `MaxDurationH/M`, `lat_val`+`long_val` with `geo_width`
/// (miles) or `geo_width_km` (negative -N: about the nearest N), `sort_results_by_distance`,
/// `sort_keys`, `data_field_key`, `page_size`+`page_num`, `get_used_formats`, `lang_enum`
/// (English only), `meeting_key`+`meeting_key_value`, `advanced_published`, and the aggregator's
/// `sort_results_by_next_start`, `next_start_grace_minutes` and `target_time_zone`.
/// `GetFormats` takes `show_all`, `format_ids`, `key_strings`; `GetServiceBodies` `services`,
/// `recursive`, `parents`; `GetFieldValues` `meeting_key`; `GetChanges` `start_date`,
/// `end_date`, `meeting_id`, `service_body_id` (what we know: when each meeting was first
/// listed and last changed by its source). Unknown parameters are ignored and unreadable values
/// left out, as BMLT does; input that matches nothing is `200 []`.
#[utoipa::path(
    tag = "BMLT",
    params(BmltParams),
    responses(
        (status = 200, description = "The switcher's answer: an array (or, with `get_used_formats`, `{meetings, formats}`) of objects whose values are strings", body = serde_json::Value),
        (status = 400, description = "`GetFieldValues` without a known `meeting_key`", body = String, content_type = "text/plain"),
        (status = 422, description = "An unknown switcher", body = String, content_type = "text/plain"),
    )
)]
#[get("/client_interface/json/")]
pub async fn bmlt_json(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(&req, &state, false)
}

/// BMLT semantic interface, JSONP.
///
/// As `/client_interface/json/`, wrapped for a script tag: `/**/callback(...);` as
/// `text/javascript` (croutonjs loads everything this way).
#[utoipa::path(
    tag = "BMLT",
    params(BmltParams, CallbackParams),
    responses(
        (status = 200, description = "The switcher's answer as a script", body = String, content_type = "text/javascript"),
        (status = 400, description = "`GetFieldValues` without a known `meeting_key`", body = String, content_type = "text/plain"),
        (status = 422, description = "An unknown switcher, or a callback that is not a JavaScript name", body = String, content_type = "text/plain"),
    )
)]
#[get("/client_interface/jsonp/")]
pub async fn bmlt_jsonp(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(&req, &state, true)
}

/// BMLT semantic interface, JSON, without the final slash.
///
/// As `/client_interface/json/` (BMLT answers both; some clients leave the slash off).
#[utoipa::path(
    tag = "BMLT",
    params(BmltParams),
    responses(
        (status = 200, description = "As `/client_interface/json/`", body = serde_json::Value),
        (status = 400, description = "`GetFieldValues` without a known `meeting_key`", body = String, content_type = "text/plain"),
        (status = 422, description = "An unknown switcher", body = String, content_type = "text/plain"),
    )
)]
#[get("/client_interface/json")]
pub async fn bmlt_json_bare(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(&req, &state, false)
}

/// BMLT semantic interface, JSONP, without the final slash.
///
/// As `/client_interface/jsonp/`.
#[utoipa::path(
    tag = "BMLT",
    params(BmltParams, CallbackParams),
    responses(
        (status = 200, description = "As `/client_interface/jsonp/`", body = String, content_type = "text/javascript"),
        (status = 400, description = "`GetFieldValues` without a known `meeting_key`", body = String, content_type = "text/plain"),
        (status = 422, description = "An unknown switcher, or a callback that is not a JavaScript name", body = String, content_type = "text/plain"),
    )
)]
#[get("/client_interface/jsonp")]
pub async fn bmlt_jsonp_bare(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    respond(&req, &state, true)
}

/// The meetings a BMLT answer is computed over, parsed from the snapshot's JSON (BMLT's filters
/// and fields are its own): for a search around a point only those within its reach
/// ([`bmlt_server::search_reach`], the same distance the search keeps by), else all. Parsing
/// every meeting took ~0.3-0.4 s per answer at 100,000 meetings; "near me", crouton's usual
/// question, now parses the few hundred it can answer with.
fn meetings_for(snapshot: &crate::search::Snapshot, switcher: &str, params: &Params) -> Vec<Meeting> {
    let reach = (switcher == "GetSearchResults")
        .then(|| bmlt_server::search_reach(params))
        .flatten();
    match reach {
        Some((point, km)) => (0..snapshot.len() as u32)
            .filter(|&i| {
                snapshot
                    .position(i)
                    .is_some_and(|at| bmlt_server::bmlt_distance_km(point, at) <= km)
            })
            .map(|i| snapshot.meeting(i))
            .collect(),
        None => snapshot.meetings().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_around_a_point_answers_the_same_from_the_meetings_within_reach() {
        let now: jiff::Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
        let snapshot = crate::search::Snapshot::build(crate::demo::generate(3000, 3, now));
        let all: Vec<Meeting> = snapshot.meetings().collect();
        let answer = |meetings: &[Meeting], query: &str| {
            let changes = || changes_from_meetings(meetings);
            let server = Server {
                meetings,
                root_server_uri: "http://127.0.0.1",
                now,
                changes: &changes,
            };
            match server.answer("GetSearchResults", &Params::parse(query)) {
                Answer::Json(value) => value.to_string(),
                Answer::Refused { message, .. } => message,
            }
        };
        let mut narrowed = 0;
        for query in [
            "lat_val=51.5&long_val=-0.12&geo_width_km=5",
            "lat_val=51.5&long_val=-0.12&geo_width=3&weekdays[]=2",
            "lat_val=53.48&long_val=-2.24&geo_width=-10",
            "lat_val=53.48&long_val=-2.24&geo_width_km=-25&get_used_formats=1",
            "lat_val=57.1&long_val=-2.1&geo_width_km=0",
            "lat_val=52.2&long_val=0.12&geo_width_km=40&sort_results_by_distance=1&page_size=5&page_num=2",
            "lat_val=51.5&long_val=-0.12",
            "weekdays[]=3&page_size=20",
        ] {
            let within = meetings_for(&snapshot, "GetSearchResults", &Params::parse(query));
            if within.len() < all.len() {
                narrowed += 1;
            }
            let whole = answer(&all, query);
            assert!(
                whole.len() > 2 || query.contains("geo_width_km=0") || !query.contains("geo_width"),
                "{query}: {whole}"
            );
            assert_eq!(answer(&within, query), whole, "{query}");
        }
        assert_eq!(
            narrowed, 6,
            "the searches around a point with a width are narrowed"
        );
    }
}
