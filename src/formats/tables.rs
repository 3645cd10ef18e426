//! CSV and GeoJSON (RFC 7946) writers over typed rows: meetings and sessions of a search, and the
//! coverage answers.
//!
//! Each row is what the JSON answer holds for it (its `Serialize` form), so a CSV or GeoJSON
//! answer cannot disagree with the JSON one. GeoJSON wraps each row as a feature's `properties`
//! (geometry `[lon, lat]`, or null without coordinates); CSV has one row per item with a fixed
//! set of columns named by the JSON fields (`location.lat` for nested ones; lists joined with `;`;
//! text that a spreadsheet would run as a formula is prefixed with `'`).

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{json, Map, Value};

/// A row that is also a map feature.
pub trait Feature: Serialize {
    /// The feature's `id`.
    fn feature_id(&self) -> Option<&str>;
    /// Where it is, `(lat, lon)`.
    fn point(&self) -> Option<(f64, f64)>;
}

impl<T: Feature> Feature for &T {
    fn feature_id(&self) -> Option<&str> {
        (*self).feature_id()
    }

    fn point(&self) -> Option<(f64, f64)> {
        (*self).point()
    }
}

/// Travel, location, online and source columns, as both CSVs have them.
const TRAVEL: &[&str] = &[
    "travel.mode",
    "travel.minutes",
    "travel.distance_km",
    "travel.method",
    "directions_url",
];
const LOCATION: &[&str] = &[
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
];
const SOURCE: &[&str] = &[
    "source.id",
    "source.name",
    "source.attribution",
    "source.record_id",
];

fn columns(parts: &[&[&'static str]]) -> Vec<&'static str> {
    parts.concat()
}

/// Columns of the meeting CSV, as JSON paths.
pub static MEETING_COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    columns(&[
        &["id", "name", "fellowship", "group_name", "distance_km"],
        TRAVEL,
        &[
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
        ],
        LOCATION,
        &["notes", "status"],
        SOURCE,
        &["first_seen_at", "updated_at", "last_seen_at"],
    ])
});

/// Columns of the occurrence CSV, as JSON paths.
pub static OCCURRENCE_COLUMNS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    columns(&[
        &[
            "meeting_id",
            "name",
            "fellowship",
            "start",
            "end",
            "in_progress",
            "distance_km",
        ],
        TRAVEL,
        &["access", "attendance", "types"],
        LOCATION,
        SOURCE,
        &["last_seen_at"],
    ])
});

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

/// A row as its JSON value.
pub fn value(row: &impl Serialize) -> Value {
    serde_json::to_value(row).expect("answers serialise")
}

/// `rows` as CSV with a header row of `columns` (JSON paths into each row).
pub fn csv<T: Serialize>(rows: impl IntoIterator<Item = T>, columns: &[&str]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(columns).expect("writing to memory");
    for row in rows {
        let item = value(&row);
        writer
            .write_record(columns.iter().map(|c| cell(lookup(&item, c))))
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8 text")
}

/// `rows` as a GeoJSON FeatureCollection, each the `properties` of a feature at its point;
/// `foreign` members (a page's `next`, `resolved`, ...) are kept beside `features`.
pub fn geojson<T: Feature>(rows: impl IntoIterator<Item = T>, foreign: Map<String, Value>) -> String {
    let features: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let geometry = match row.point() {
                Some((lat, lon)) => json!({"type": "Point", "coordinates": [lon, lat]}),
                None => Value::Null,
            };
            json!({"type": "Feature", "id": row.feature_id(), "geometry": geometry, "properties": value(&row)})
        })
        .collect();
    let mut out = Map::new();
    out.insert("type".into(), json!("FeatureCollection"));
    out.insert("features".into(), Value::Array(features));
    out.extend(foreign);
    Value::Object(out).to_string()
}
