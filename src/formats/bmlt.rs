//! BMLT's semantic interface (`GetSearchResults`, NA's meeting server): every value a string,
//! weekday 1 = Sunday, `venue_type` 1/2/3, formats as per-server key strings resolved through
//! `GetFormats` to NAWS codes, legacy `prompt#@-@#value` prefixes.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::vocabulary::{self, Code};
use super::{FeedError, Parsed};
use crate::domain::{Attendance, Day, Fellowship, MeetingType};
use crate::import::record::{normalise_postcode, parse_duration, parse_time, text, RawMeeting};

/// One `GetFormats` row: what a server's key string means.
#[derive(Debug, Clone)]
struct Format {
    key: String,
    naws: String,
    language_format: bool,
}

/// Formats a freshly installed BMLT server seeds in English (shared id, key string, NAWS code),
/// used when a source does not publish its `GetFormats`.
const SEEDED: &[(&str, &str, &str)] = &[
    ("1", "B", "BEG"),
    ("3", "BT", "BT"),
    ("4", "C", "CLOSED"),
    ("8", "D", "DISC"),
    ("14", "JT", "JFT"),
    ("15", "M", "M"),
    ("17", "O", "OPEN"),
    ("22", "SD", "S-D"),
    ("27", "St", "STEP"),
    ("29", "To", "TOP"),
    ("32", "W", "W"),
    ("33", "WC", "WCHR"),
    ("34", "YP", "Y"),
    ("54", "VM", "VM"),
    ("55", "TC", "TC"),
    ("56", "HY", "HYBR"),
];

/// The formats a server uses, by shared id, from a `GetFormats` response (or the seeded set).
pub struct Formats(HashMap<String, Format>);

impl Formats {
    pub fn seeded() -> Formats {
        Formats(
            SEEDED
                .iter()
                .map(|(id, key, naws)| {
                    (
                        id.to_string(),
                        Format {
                            key: key.to_string(),
                            naws: naws.to_string(),
                            language_format: false,
                        },
                    )
                })
                .collect(),
        )
    }

    pub fn parse(body: &[u8]) -> Result<Formats, FeedError> {
        let rows: Vec<Map<String, Value>> =
            serde_json::from_value(super::read_json(body, "GetFormats JSON")?)
                .map_err(|e| FeedError::Shape(format!("GetFormats: {e}")))?;
        Ok(Formats(
            rows.iter()
                .filter(|r| field(r, "lang").is_none_or(|l| l == "en"))
                .filter_map(|r| {
                    Some((
                        field(r, "id")?,
                        Format {
                            key: field(r, "key_string")?,
                            naws: field(r, "world_id").unwrap_or_default(),
                            language_format: field(r, "format_type_enum").as_deref() == Some("LANG"),
                        },
                    ))
                })
                .collect(),
        ))
    }
}

/// A string field, without BMLT's legacy `prompt#@-@#` prefix; empty is absent.
fn field(record: &Map<String, Value>, key: &str) -> Option<String> {
    let value = match record.get(key)? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let value = value.rsplit("#@-@#").next().unwrap_or_default();
    text(value)
}

pub fn parse(body: &[u8], formats: &Formats, fellowship: Option<Fellowship>) -> Result<Parsed, FeedError> {
    let value = super::read_json(body, "JSON")?;
    let records = match value {
        Value::Array(records) => records,
        // `{}` is how old servers say "nothing"; `get_used_formats` wraps results in an object.
        Value::Object(mut object) => match object.remove("meetings") {
            Some(Value::Array(records)) => records,
            None if object.is_empty() => Vec::new(),
            _ => return Err(FeedError::Shape("expected a GetSearchResults array".into())),
        },
        _ => return Err(FeedError::Shape("expected a GetSearchResults array".into())),
    };
    let by_key: HashMap<&str, &Format> = formats.0.values().map(|f| (f.key.as_str(), f)).collect();
    let mut parsed = Parsed::default();
    for (index, record) in records.into_iter().enumerate() {
        let Value::Object(record) = record else {
            parsed.reject(format!("record {}", index + 1), "is not a JSON object");
            continue;
        };
        let label =
            field(&record, "id_bigint").map_or(format!("record {}", index + 1), |id| format!("id {id}"));
        match read(&record, formats, &by_key, fellowship) {
            Ok(raw) => parsed.accept(label, raw),
            Err(reason) => parsed.reject(label, reason),
        }
    }
    Ok(parsed)
}

fn read(
    record: &Map<String, Value>,
    formats: &Formats,
    by_key: &HashMap<&str, &Format>,
    fellowship: Option<Fellowship>,
) -> Result<RawMeeting, String> {
    let weekday = field(record, "weekday_tinyint").ok_or("no weekday_tinyint")?;
    let day = weekday
        .parse::<u8>()
        .ok()
        .filter(|d| (1..=7).contains(d))
        .and_then(|d| Day::from_index(d - 1))
        .ok_or_else(|| format!("weekday_tinyint `{weekday}` is not 1 to 7"))?;
    let start = field(record, "start_time").ok_or("no start_time")?;
    // BMLT allows 24:00:00 for midnight.
    let start = if start.starts_with("24:") {
        "00:00".to_string()
    } else {
        start
    };
    let mut raw = RawMeeting {
        record_id: field(record, "id_bigint"),
        fellowship,
        name: field(record, "meeting_name"),
        day: Some(day),
        start: Some(parse_time(&start).ok_or_else(|| format!("start_time `{start}` is not a time"))?),
        duration_minutes: field(record, "duration_time").and_then(|d| parse_duration(&d)),
        timezone: field(record, "time_zone"),
        venue: field(record, "location_text"),
        address_lines: field(record, "location_street").into_iter().collect(),
        town: field(record, "location_municipality").or_else(|| field(record, "location_city_subsection")),
        country: field(record, "location_nation"),
        lat: field(record, "latitude").and_then(|v| v.parse().ok()),
        lon: field(record, "longitude").and_then(|v| v.parse().ok()),
        location_notes: field(record, "location_info"),
        notes: field(record, "comments"),
        ..RawMeeting::default()
    };
    raw.postcode = field(record, "location_postal_code_1").and_then(|p| normalise_postcode(&p, None));
    raw.online.url = field(record, "virtual_meeting_link");
    raw.online.phone = field(record, "phone_meeting_number");
    raw.online.notes = field(record, "virtual_meeting_additional_info");
    raw.attendance = match field(record, "venue_type").as_deref() {
        Some("2") => Some(Attendance::Online),
        Some("3") => Some(Attendance::Hybrid),
        Some("1") => Some(Attendance::InPerson),
        _ => None,
    };

    // Prefer shared ids (comparable through GetFormats); fall back to the key strings.
    let ids = field(record, "format_shared_id_list").unwrap_or_default();
    let mut used: Vec<&Format> = ids.split(',').filter_map(|id| formats.0.get(id.trim())).collect();
    if used.is_empty() {
        let keys = field(record, "formats").unwrap_or_default();
        for key in keys.split(',').filter_map(text) {
            match by_key.get(key.as_str()) {
                Some(format) => used.push(format),
                None => raw.unknown_codes.push(key),
            }
        }
    }
    for format in used {
        if format.language_format {
            match MeetingType::language(&format.key) {
                Some(language) => raw.types.push(language),
                None => raw.unknown_codes.push(format.key.clone()),
            }
            continue;
        }
        let meaning = match vocabulary::naws(&format.naws) {
            // A format with no NAWS code is local to its server: keep its key string.
            Code::Unknown => Code::Unknown,
            // Venue type, not the format list, says whether a BMLT meeting is online.
            Code::Online | Code::Hybrid if raw.attendance.is_some() => Code::Ignore,
            known => known,
        };
        raw.apply(&format.key, meaning);
    }
    Ok(raw)
}
