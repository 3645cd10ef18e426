//! Other representations of a search: GeoJSON (RFC 7946) and CSV, chosen by `format=` or `Accept`
//! ([`negotiate`], which other endpoints with other representations use too).
//!
//! Both are made from the JSON page itself, so they cannot disagree with it: GeoJSON wraps each
//! result as a feature's `properties` (geometry `[lon, lat]`, or null without coordinates), and
//! CSV has one row per result with a fixed set of columns named by the JSON fields (`location.lat`
//! for nested ones; lists joined with `;`; text that a spreadsheet would run as a formula is
//! prefixed with `'`).

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;

use super::problem::ApiError;

/// A representation of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    GeoJson,
    Csv,
    Ics,
    /// A page for people (the coverage report).
    Html,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Ics => "ics",
            Format::Html => "html",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::GeoJson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Ics => crate::formats::ical::CONTENT_TYPE,
            Format::Html => "text/html; charset=utf-8",
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Ics => "text/calendar",
            Format::Html => "text/html",
            other => other.content_type(),
        }
    }
}

/// `format`, for endpoints with other representations.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json` (default), `geojson` or `csv` (and `ics` on `/v1/meetings`); overrides `Accept`
    /// (`application/json`, `application/geo+json`, `text/csv`, `text/calendar`). Anything else is
    /// a 406.
    #[param(example = "csv")]
    pub format: Option<String>,
}

/// Picks the representation from `format`, else from `Accept` (the first acceptable media range
/// in order of preference); 406 when neither names one the endpoint has.
pub fn negotiate(req: &HttpRequest, format: Option<&str>, offered: &[Format]) -> Result<Format, ApiError> {
    let names = || offered.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
    if let Some(text) = format {
        let wanted = text.trim().to_ascii_lowercase();
        return offered
            .iter()
            .copied()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| {
                ApiError::NotAcceptable(format!(
                    "format `{text}` is not available here; available: {}",
                    names()
                ))
            });
    }
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(Format::Json);
    };
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse().ok()))
                .next()
                .unwrap_or(1.0f32);
            (q > 0.0 && !media.is_empty()).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in &ranges {
        if media == "*/*" || media == "application/*" || media == "application/problem+json" {
            return Ok(Format::Json);
        }
        if let Some(f) = offered.iter().copied().find(|f| f.media_type() == media) {
            return Ok(f);
        }
        if media == "text/*" {
            if let Some(f) = offered
                .iter()
                .copied()
                .find(|f| f.media_type().starts_with("text/"))
            {
                return Ok(f);
            }
        }
    }
    Err(ApiError::NotAcceptable(format!(
        "none of the media types in Accept (`{accept}`) is available here; available formats: {}",
        names()
    )))
}

/// Columns of the meeting CSV, as JSON paths.
pub const MEETING_COLUMNS: &[&str] = &[
    "id",
    "name",
    "fellowship",
    "group_name",
    "distance_km",
    "travel.mode",
    "travel.minutes",
    "travel.distance_km",
    "travel.method",
    "directions_url",
    "schedule.day",
    "schedule.start_time",
    "schedule.end_time",
    "schedule.duration_minutes",
    "schedule.timezone",
    "schedule.weeks_of_month",
    "access",
    "attendance",
    "types",
    "source_types",
    "location.venue",
    "location.address_lines",
    "location.town",
    "location.postcode",
    "location.country",
    "location.lat",
    "location.lon",
    "location.approximate",
    "location.notes",
    "online.url",
    "online.phone",
    "online.notes",
    "notes",
    "status",
    "source.id",
    "source.name",
    "source.attribution",
    "source.record_id",
    "first_seen_at",
    "updated_at",
    "last_seen_at",
];

/// Columns of the occurrence CSV, as JSON paths.
pub const OCCURRENCE_COLUMNS: &[&str] = &[
    "meeting_id",
    "name",
    "fellowship",
    "start",
    "end",
    "in_progress",
    "distance_km",
    "travel.mode",
    "travel.minutes",
    "travel.distance_km",
    "travel.method",
    "directions_url",
    "access",
    "attendance",
    "types",
    "location.venue",
    "location.address_lines",
    "location.town",
    "location.postcode",
    "location.country",
    "location.lat",
    "location.lon",
    "location.approximate",
    "location.notes",
    "online.url",
    "online.phone",
    "online.notes",
    "source.id",
    "source.name",
    "source.attribution",
    "source.record_id",
    "last_seen_at",
];

fn lookup<'a>(item: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(item, |v, key| v.get(key).unwrap_or(&Value::Null))
}

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading
/// `'`, as OWASP advises for CSV from untrusted sources: feed text must not become a formula on a
/// keyworker's computer. Numbers are written as numbers.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => defuse(s),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// The results of a JSON page (`key`: `meetings` or `occurrences`) as CSV with a header row.
pub fn csv(page_json: &str, key: &str, columns: &[&str]) -> String {
    let page: Value = serde_json::from_str(page_json).expect("the JSON page parses");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).expect("writing to memory");
    for item in page[key].as_array().into_iter().flatten() {
        writer
            .write_record(columns.iter().map(|c| cell(lookup(item, c))))
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}

/// The results of a JSON page as a GeoJSON FeatureCollection; the page's other members (`next`,
/// `resolved`, `travel_notice`) are kept as foreign members.
pub fn geojson(page_json: &str, key: &str) -> String {
    let mut page: Value = serde_json::from_str(page_json).expect("the JSON page parses");
    let items = page
        .as_object_mut()
        .and_then(|o| o.remove(key))
        .unwrap_or(Value::Array(Vec::new()));
    let features: Vec<Value> = items
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            let id = item.get("id").or_else(|| item.get("meeting_id")).cloned();
            let location = &item["location"];
            let geometry = match (location["lon"].as_f64(), location["lat"].as_f64()) {
                (Some(lon), Some(lat)) => json!({"type": "Point", "coordinates": [lon, lat]}),
                _ => Value::Null,
            };
            json!({"type": "Feature", "id": id, "geometry": geometry, "properties": item})
        })
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("type".into(), json!("FeatureCollection"));
    out.insert("features".into(), Value::Array(features));
    if let Value::Object(rest) = page {
        out.extend(rest);
    }
    Value::Object(out).to_string()
}

/// Renders a JSON page in the chosen format (not `Ics` or `Html`, which are made otherwise).
pub fn render(format: Format, page_json: String, key: &str, columns: &[&str]) -> String {
    match format {
        Format::GeoJson => geojson(&page_json, key),
        Format::Csv => csv(&page_json, key, columns),
        Format::Json | Format::Ics | Format::Html => page_json,
    }
}

/// `Link: <...>; rel="next"` for the next page, so CSV (which has no `next` field) can be paged.
pub fn add_next_link(req: &HttpRequest, next: Option<&str>, response: &mut actix_web::HttpResponse) {
    let Some(next) = next else { return };
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".into(), next.into()));
    let Ok(query) = serde_urlencoded::to_string(&pairs) else {
        return;
    };
    let link = format!("<{}?{query}>; rel=\"next\"", req.path());
    if let Ok(value) = header::HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
    }
}
