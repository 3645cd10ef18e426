//! Meeting Guide JSON: the code4recovery spec, with the TSML plugin's extras (`attendance_option`,
//! `conference_url`, `approximate`, `ONL`/`TC`, `day` as an array) and the shapes seen in the wild
//! (numbers as strings, `coordinates` as `"lat,lng"`, MongoDB exports with `$date` and ISO day 7 for
//! Sunday, `languages` as ISO codes).

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::vocabulary;
use super::{FeedError, Parsed};
use crate::domain::{Attendance, Day, Fellowship, MeetingType};
use crate::import::record::{normalise_postcode, parse_duration, parse_time, text, RawMeeting};

pub fn parse(body: &[u8], fellowship: Option<Fellowship>) -> Result<Parsed, FeedError> {
    let value = super::read_json(body, "JSON")?;
    let records = match value {
        Value::Array(records) => records,
        Value::Object(mut envelope) => match envelope.remove("meetings") {
            Some(Value::Array(records)) => records,
            _ => return Err(FeedError::Shape("expected an array of meetings".into())),
        },
        _ => return Err(FeedError::Shape("expected an array of meetings".into())),
    };
    let mut parsed = Parsed::default();
    for (index, record) in records.into_iter().enumerate() {
        let label = format!("record {}", index + 1);
        let Value::Object(record) = record else {
            parsed.reject(label, "is not a JSON object");
            continue;
        };
        let label = str_field(&record, "slug").map_or(label, |slug| format!("slug {slug}"));
        if record.get("archived").and_then(Value::as_bool) == Some(true) {
            parsed.reject(label, "is archived");
            continue;
        }
        match read(&record, fellowship) {
            Ok(raws) => raws.into_iter().for_each(|raw| parsed.accept(label.clone(), raw)),
            Err(reason) => parsed.reject(label, reason),
        }
    }
    Ok(parsed)
}

/// A field as text whether the feed wrote a string or a number.
fn str_field(record: &Map<String, Value>, key: &str) -> Option<String> {
    match record.get(key)? {
        Value::String(s) => text(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number_field(record: &Map<String, Value>, key: &str) -> Option<f64> {
    match record.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

fn list_field(record: &Map<String, Value>, key: &str) -> Vec<String> {
    match record.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().and_then(text)).collect(),
        Some(Value::String(s)) => s.split(',').filter_map(text).collect(),
        _ => Vec::new(),
    }
}

fn timestamp_field(record: &Map<String, Value>) -> Option<Timestamp> {
    if let Some(updated) = str_field(record, "updated") {
        // The spec's "YYYY-MM-DD HH:MM:SS", in UTC.
        let parsed = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &updated)
            .ok()
            .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp());
        return parsed.or_else(|| updated.parse().ok());
    }
    // MongoDB extended JSON: {"updatedAt": {"$date": "..."}}.
    record.get("updatedAt")?.get("$date")?.as_str()?.parse().ok()
}

/// Days as the spec writes them (0 = Sunday), also 7 for Sunday (ISO, as some exports write it),
/// day names, and arrays of either.
fn days(record: &Map<String, Value>) -> Result<Vec<Day>, String> {
    let one = |v: &Value| -> Result<Day, String> {
        let parsed = match v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| Day::from_index((n % 7) as u8).filter(|_| n <= 7)),
            Value::String(s) => s
                .trim()
                .parse::<u8>()
                .ok()
                .and_then(|n| Day::from_index(n % 7).filter(|_| n <= 7))
                .or_else(|| Day::parse(s)),
            _ => None,
        };
        parsed.ok_or_else(|| format!("day {v} is not a weekday"))
    };
    match record.get("day") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(one).collect(),
        Some(v) => Ok(vec![one(v)?]),
    }
}

fn read(record: &Map<String, Value>, fellowship: Option<Fellowship>) -> Result<Vec<RawMeeting>, String> {
    let mut raw = RawMeeting {
        record_id: str_field(record, "slug"),
        fellowship,
        name: str_field(record, "name"),
        group_name: str_field(record, "group"),
        timezone: str_field(record, "timezone"),
        notes: str_field(record, "notes"),
        updated: timestamp_field(record),
        ..RawMeeting::default()
    };
    raw.start = match str_field(record, "time") {
        Some(t) => Some(parse_time(&t).ok_or_else(|| format!("time `{t}` is not a time of day"))?),
        None => None,
    };
    raw.end = str_field(record, "end_time").and_then(|t| parse_time(&t));
    raw.duration_minutes = str_field(record, "duration").and_then(|d| parse_duration(&d));

    // Venue and address.
    raw.venue = str_field(record, "location");
    raw.location_notes = str_field(record, "location_notes");
    raw.country = str_field(record, "country");
    match (
        str_field(record, "address"),
        str_field(record, "formatted_address"),
    ) {
        (Some(street), _) => {
            raw.address_lines = vec![street];
            raw.town = str_field(record, "city").or_else(|| str_field(record, "state"));
            raw.postcode =
                str_field(record, "postal_code").and_then(|p| normalise_postcode(&p, raw.country.as_deref()));
        }
        (None, Some(formatted)) => {
            raw.address_lines = formatted.split(',').filter_map(text).collect();
            // TSML UI's rule: fewer than four parts is only an area, not a street address.
            raw.approximate = raw.address_lines.len() < 4;
        }
        (None, None) => {
            raw.town = str_field(record, "city");
            raw.postcode =
                str_field(record, "postal_code").and_then(|p| normalise_postcode(&p, raw.country.as_deref()));
        }
    }
    if let Some(coordinates) = str_field(record, "coordinates") {
        let parts: Vec<&str> = coordinates.split(',').collect();
        if parts.len() == 2 {
            raw.lat = parts[0].trim().parse().ok();
            raw.lon = parts[1].trim().parse().ok();
        } else {
            raw.approximate = true;
        }
    } else {
        raw.lat = number_field(record, "latitude");
        raw.lon = number_field(record, "longitude");
    }
    match record.get("approximate") {
        Some(Value::String(s)) => raw.approximate = s.trim().eq_ignore_ascii_case("yes"),
        Some(Value::Bool(b)) => raw.approximate = *b,
        _ => {}
    }

    raw.online.url = str_field(record, "conference_url");
    raw.online.phone = str_field(record, "conference_phone");
    raw.online.notes = [
        str_field(record, "conference_url_notes"),
        str_field(record, "conference_phone_notes"),
    ]
    .into_iter()
    .flatten()
    .reduce(|a, b| format!("{a}\n{b}"));
    raw.attendance = match str_field(record, "attendance_option").as_deref() {
        Some("in_person") => Some(Attendance::InPerson),
        Some("online") => Some(Attendance::Online),
        Some("hybrid") => Some(Attendance::Hybrid),
        Some("inactive") => {
            raw.temporarily_closed = true;
            None
        }
        _ => None,
    };

    let effective = raw.fellowship.or(fellowship);
    for code in list_field(record, "types") {
        match effective {
            Some(f) => {
                let meaning = vocabulary::meeting_guide(f, &code);
                raw.apply(&code, meaning);
            }
            None => raw.unknown_codes.push(code),
        }
    }
    for language in list_field(record, "languages") {
        match MeetingType::language(&language) {
            Some(t) => raw.types.push(t),
            None => raw.unknown_codes.push(format!("language:{language}")),
        }
    }

    let days = days(record)?;
    if days.is_empty() {
        return Ok(vec![raw]);
    }
    let several = days.len() > 1;
    Ok(days
        .into_iter()
        .map(|day| {
            let mut copy = raw.clone();
            copy.day = Some(day);
            if several {
                // TSML expands a day array into one meeting per day, slug `{slug}-{day}`.
                copy.record_id = raw.record_id.as_ref().map(|id| format!("{id}-{}", day.index()));
            }
            copy
        })
        .collect())
}
