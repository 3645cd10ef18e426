//! Editing by hand, between the HTTP layer and the directory: API keys, the editing vocabulary
//! (the CSV template's fields) and how a set of fields becomes a meeting through the importers'
//! own code path, corrections laid over imported meetings, and what people write in reports.

pub mod keys;
pub mod service;
pub mod text;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jiff::Timestamp;
use serde_json::Value;

use crate::domain::{Access, Fellowship, Meeting, Overlay, SourceRef, Zone};
use crate::formats::csv_feed::{self, CsvMapping};
use crate::formats::vocabulary::{self, Code};
use crate::gazetteer::Gazetteer;
use crate::import::clean;
use crate::import::record::FeedContext;

/// The editing vocabulary: each field an editor sets, and the column of the CSV template
/// (`importers/templates/meetings-template.csv`) it is, so a meeting typed into the editor and
/// one uploaded in a sheet go through the same reading and the same checks.
pub const FIELDS: [(&str, &str); 20] = [
    ("id", "ID"),
    ("name", "Name"),
    ("group", "Group"),
    ("fellowship", "Fellowship"),
    ("day", "Day"),
    ("start", "Start"),
    ("end", "End"),
    ("types", "Types"),
    ("notes", "Notes"),
    ("venue", "Venue"),
    ("address", "Address"),
    ("town", "Town"),
    ("postcode", "Postcode"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
    ("directions", "Directions"),
    ("online_link", "Online link"),
    ("dial_in", "Dial-in"),
    ("online_notes", "Online notes"),
    ("who_can_attend", "Who can attend"),
];

/// A meeting in the editing vocabulary: field → value (text, a number for the coordinates, a
/// list for `types`; null or absent when not given).
pub type Fields = BTreeMap<String, Value>;

/// One bad field and why.
pub type FieldError = (String, String);

/// The template's column mapping, the very file the importers read for sheets in this shape.
pub fn template_mapping() -> &'static CsvMapping {
    static MAPPING: OnceLock<CsvMapping> = OnceLock::new();
    MAPPING.get_or_init(|| {
        CsvMapping::from_toml(include_str!("../../importers/mappings/meetingmap-template.toml"))
            .expect("the template mapping is valid")
    })
}

/// The template's header row.
pub fn template_header() -> &'static str {
    include_str!("../../importers/templates/meetings-template.csv").trim_end()
}

/// What a meeting of `source` is built with: its name and attribution, no default fellowship
/// (the template names one per row), times in `timezone`.
pub fn context(source: SourceRef, timezone: Zone, now: Timestamp) -> FeedContext {
    FeedContext {
        source,
        fellowship: None,
        timezone,
        country: Some("GB".into()),
        bounds: None,
        roomless_online: false,
        now,
    }
}

/// A field's value as the template's cell holds it; or why it cannot be one.
fn cell(field: &str, value: &Value) -> Result<String, String> {
    match (field, value) {
        (_, Value::Null) => Ok(String::new()),
        (_, Value::String(s)) => Ok(s.clone()),
        ("latitude" | "longitude", Value::Number(n)) => Ok(n.to_string()),
        ("types" | "address", Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) if !s.contains(',') => Ok(s.trim().to_string()),
                Value::String(_) => Err("has an entry with a comma: give each one as its own entry".into()),
                _ => Err("must be a list of text".into()),
            })
            .collect::<Result<Vec<_>, String>>()
            .map(|items| items.join(", ")),
        ("types" | "address", _) => Err("must be text or a list of text".into()),
        ("latitude" | "longitude", _) => Err("must be a number".into()),
        _ => Err("must be text".into()),
    }
}

/// Checks what the template's reader lets pass quietly but an editor must hear about: a field
/// that is not one, coordinates that are not numbers, type names not in the vocabulary.
pub(crate) fn check_fields(fields: &Fields) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, value) in fields {
        if !FIELDS.iter().any(|(f, _)| f == name) {
            let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
            errors.push((
                name.clone(),
                format!("is not a field; fields are {}", known.join(", ")),
            ));
            continue;
        }
        let text = match cell(name, value) {
            Ok(text) => text,
            Err(reason) => {
                errors.push((name.clone(), reason));
                continue;
            }
        };
        let text = text.trim();
        match name.as_str() {
            "latitude" | "longitude" if !text.is_empty() => {
                let limit = if name == "latitude" { 90.0 } else { 180.0 };
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() && v.abs() <= limit => {}
                    _ => errors.push((name.clone(), format!("`{text}` is not a {name} in degrees"))),
                }
            }
            _ => {}
        }
    }
    let fellowship = fields
        .get("fellowship")
        .and_then(Value::as_str)
        .and_then(fellowship_of);
    if let (Some(fellowship), Some(types)) = (fellowship, fields.get("types")) {
        if let Ok(list) = cell("types", types) {
            let unknown: Vec<&str> = list
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty() && vocabulary::by_name(fellowship, t) == Code::Unknown)
                .collect();
            if !unknown.is_empty() {
                errors.push((
                    "types".into(),
                    format!("`{}` not in the vocabulary (see /v1/types)", unknown.join("`, `")),
                ));
            }
        }
    }
    errors
}

/// A fellowship as the template's column reads it (its name or code).
fn fellowship_of(text: &str) -> Option<Fellowship> {
    let mapped = template_mapping()
        .fellowship_values
        .get(text.trim())
        .map(String::as_str)
        .unwrap_or(text);
    Fellowship::parse(mapped)
}

/// The field a reason from the template reader or the meeting builder is about.
fn field_of(reason: &str) -> &'static str {
    let lower = reason.to_lowercase();
    if lower.starts_with("fellowship") || lower.contains("no fellowship") {
        "fellowship"
    } else if lower.starts_with("day") || lower.contains("no valid day") {
        "day"
    } else if lower.starts_with("time") || lower.contains("start time") || lower.contains("duration") {
        "start"
    } else if lower.contains("venue, address") {
        "venue"
    } else if lower.contains("coordinates") {
        "latitude"
    } else if lower.contains("name") {
        "name"
    } else if lower.contains("time zone") {
        "start"
    } else {
        "meeting"
    }
}

/// Builds a meeting from fields through the importers' code path: the fields become a row of
/// the CSV template, read by the template's reader, cleaned and built as every imported record
/// is (the same rules, ids and messages), then placed at its postcode when it gives no
/// coordinates. Every bad field is named.
pub fn build(
    fields: &Fields,
    ctx: &FeedContext,
    gazetteer: Option<&Gazetteer>,
) -> Result<Meeting, Vec<FieldError>> {
    let errors = check_fields(fields);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut row = csv::Writer::from_writer(Vec::new());
    let cells: Vec<String> = FIELDS
        .iter()
        .map(|(f, _)| {
            fields
                .get(*f)
                .map(|v| cell(f, v).unwrap_or_default())
                .unwrap_or_default()
        })
        .collect();
    row.write_record(&cells).expect("writing to memory");
    let mut sheet = format!("{}\n", template_header()).into_bytes();
    sheet.extend(row.into_inner().expect("writing to memory"));
    build_sheet(&sheet, ctx, gazetteer)
        .map_err(|e| vec![("meeting".into(), e)])?
        .pop()
        .expect("one row in, one result out")
        .1
}

/// Every row of a sheet in the template's shape, built as [`build`] builds one: the row's label
/// (`row 2 (id X)`) and its meeting or the bad fields. `Err` when the sheet as a whole is not
/// readable (not CSV, a column missing).
pub type BuiltRow = (String, Result<Meeting, Vec<FieldError>>);

pub fn build_sheet(
    body: &[u8],
    ctx: &FeedContext,
    gazetteer: Option<&Gazetteer>,
) -> Result<Vec<BuiltRow>, String> {
    let parsed = csv_feed::parse(body, template_mapping(), None).map_err(|e| e.to_string())?;
    let mut rows: Vec<BuiltRow> = parsed
        .rejects
        .into_iter()
        .map(|r| {
            let field = field_of(&r.reason).to_string();
            (r.record, Err(vec![(field, r.reason)]))
        })
        .collect();
    for (label, mut raw) in parsed.records {
        let _cleaned = clean::clean_record(&mut raw);
        let built = raw
            .build(ctx)
            .map_err(|reason| vec![(field_of(&reason).to_string(), reason)]);
        let built = built.map(|mut meeting| {
            if let Some(location) = meeting.location.as_mut().filter(|l| l.point().is_none()) {
                // As an import does: a postcode centroid, marked approximate.
                if let Some(place) = location
                    .postcode
                    .as_deref()
                    .zip(gazetteer)
                    .and_then(|(p, g)| g.locate_postcode(p))
                {
                    (location.lat, location.lon) = (Some(place.lat), Some(place.lon));
                    location.approximate = true;
                }
            }
            meeting
        });
        rows.push((label, built));
    }
    Ok(rows)
}

/// A meeting in the editing vocabulary: what the editor's form shows and a patch is laid over.
pub fn fields_of(meeting: &Meeting) -> Fields {
    let mut f = Fields::new();
    let mut put = |name: &str, value: Value| {
        f.insert(name.to_string(), value);
    };
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    put("id", text(&meeting.source.record_id));
    put("name", Value::String(meeting.name.clone()));
    put("group", text(&meeting.group_name));
    put("fellowship", Value::String(meeting.fellowship.id().to_string()));
    let schedule = meeting.schedule.as_ref();
    put(
        "day",
        schedule.map_or(Value::Null, |s| Value::String(s.day.as_str().to_string())),
    );
    put(
        "start",
        schedule.map_or(Value::Null, |s| Value::String(s.start_time.to_string())),
    );
    put(
        "end",
        schedule.map_or(Value::Null, |s| Value::String(s.end_time().to_string())),
    );
    put(
        "types",
        Value::Array(
            meeting
                .types
                .iter()
                .map(|t| Value::String(t.to_string()))
                .collect(),
        ),
    );
    put("notes", text(&meeting.notes));
    let location = meeting.location.as_ref();
    put("venue", location.map_or(Value::Null, |l| text(&l.venue)));
    put(
        "address",
        location.map_or(Value::Null, |l| {
            if l.address_lines.is_empty() {
                Value::Null
            } else {
                Value::String(l.address_lines.join(", "))
            }
        }),
    );
    put("town", location.map_or(Value::Null, |l| text(&l.town)));
    put("postcode", location.map_or(Value::Null, |l| text(&l.postcode)));
    // A postcode centroid is not what anyone typed: left out, it is placed again from the
    // postcode, and an exact point someone types replaces it.
    let exact = location.filter(|l| !l.approximate);
    put(
        "latitude",
        exact
            .and_then(|l| l.lat)
            .map_or(Value::Null, |v| serde_json::json!(v)),
    );
    put(
        "longitude",
        exact
            .and_then(|l| l.lon)
            .map_or(Value::Null, |v| serde_json::json!(v)),
    );
    put("directions", location.map_or(Value::Null, |l| text(&l.notes)));
    let online = meeting.online.as_ref();
    put("online_link", online.map_or(Value::Null, |o| text(&o.url)));
    put("dial_in", online.map_or(Value::Null, |o| text(&o.phone)));
    put("online_notes", online.map_or(Value::Null, |o| text(&o.notes)));
    put(
        "who_can_attend",
        match meeting.access {
            Access::Open => Value::String("Open to all".into()),
            Access::Closed => Value::String("Closed".into()),
            _ => Value::Null,
        },
    );
    f
}

/// `patch` laid over `fields` (JSON merge patch: a field given replaces, null clears).
pub fn merge(mut fields: Fields, patch: &Fields) -> Fields {
    for (name, value) in patch {
        fields.insert(name.clone(), value.clone());
    }
    fields
}

/// The part of a meeting one field of the editing vocabulary decides, copied from `from` into
/// `to`: how a correction is laid over an imported meeting without touching what it does not
/// correct.
fn copy_field(field: &str, from: &Meeting, to: &mut Meeting) {
    match field {
        "name" => to.name = from.name.clone(),
        "group" => to.group_name = from.group_name.clone(),
        "fellowship" => to.fellowship = from.fellowship,
        "notes" => to.notes = from.notes.clone(),
        "types" => to.types = from.types.clone(),
        "who_can_attend" => to.access = from.access,
        "day" | "start" | "end" => {
            let weeks = to.schedule.as_ref().map(|s| s.weeks_of_month.clone());
            to.schedule = from.schedule.clone();
            if let (Some(schedule), Some(weeks)) = (to.schedule.as_mut(), weeks) {
                schedule.weeks_of_month = weeks;
            }
        }
        _ => match (from.location.as_ref(), to.location.as_mut(), field) {
            (Some(src), Some(dst), "venue") => dst.venue = src.venue.clone(),
            (Some(src), Some(dst), "address") => dst.address_lines = src.address_lines.clone(),
            (Some(src), Some(dst), "town") => dst.town = src.town.clone(),
            (Some(src), Some(dst), "postcode") => dst.postcode = src.postcode.clone(),
            (Some(src), Some(dst), "directions") => dst.notes = src.notes.clone(),
            (Some(src), Some(dst), "latitude" | "longitude") => {
                (dst.lat, dst.lon, dst.approximate) = (src.lat, src.lon, src.approximate)
            }
            (_, _, "online_link" | "dial_in" | "online_notes")
                if from.online.is_some() && to.online.is_some() =>
            {
                let (src, dst) = (from.online.as_ref().unwrap(), to.online.as_mut().unwrap());
                match field {
                    "online_link" => dst.url = src.url.clone(),
                    "dial_in" => dst.phone = src.phone.clone(),
                    _ => dst.notes = src.notes.clone(),
                }
            }
            _ => {
                // The correction changes how the meeting is attended (a room added or gone, a
                // link added or gone): where and how to join go together.
                to.location = from.location.clone();
                to.online = from.online.clone();
                to.attendance = from.attendance;
                to.status = from.status;
            }
        },
    }
}

/// An imported meeting with `overlay`'s corrections laid over it: the fields it corrects built as
/// an edit is, everything else as the feed has it. `Err` names the fields that no longer build
/// (the feed changed around them); the feed's meeting is then served as it is.
pub fn apply_overlay(feed: &Meeting, overlay: &Overlay, now: Timestamp) -> Result<Meeting, Vec<FieldError>> {
    let fields = merge(fields_of(feed), &overlay.fields);
    let timezone = feed
        .schedule
        .as_ref()
        .map_or_else(Zone::london, |s| s.timezone.clone());
    // No gazetteer: a corrected postcode alone leaves the feed's point as it is.
    let corrected = build(&fields, &context(feed.source.clone(), timezone, now), None)?;
    let mut out = feed.clone();
    for field in overlay.fields.keys() {
        copy_field(field, &corrected, &mut out);
    }
    out.normalise()
        .map_err(|e| vec![("meeting".to_string(), e.to_string())])
}

/// The feed's values of the fields `overlay` corrects.
pub fn feed_values(feed: &Meeting, fields: impl IntoIterator<Item = String>) -> BTreeMap<String, Value> {
    let all = fields_of(feed);
    fields
        .into_iter()
        .map(|f| {
            let v = all.get(&f).cloned().unwrap_or(Value::Null);
            (f, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Fields {
        serde_json::from_value(value).unwrap()
    }

    fn ctx() -> FeedContext {
        let source = SourceRef {
            id: "wrexham-agency".into(),
            name: "Wrexham agency list".into(),
            attribution: "Wrexham agency".into(),
            record_id: None,
            raw: Default::default(),
        };
        context(source, Zone::london(), "2026-11-01T12:00:00Z".parse().unwrap())
    }

    #[test]
    fn fields_build_a_meeting_as_the_template_would() {
        let gazetteer = Gazetteer::bundled();
        let m = build(
            &fields(json!({
                "id": "smart-1", "name": "SMART Wrexham", "fellowship": "SMART Recovery",
                "day": "Tuesday", "start": "18:30", "end": "20:00", "types": ["format:discussion"],
                "venue": "Agency building", "address": "1 High Street", "town": "Wrexham",
                "postcode": "LL11 1AA", "latitude": 53.046, "longitude": -2.993,
                "who_can_attend": "Open to all"
            })),
            &ctx(),
            Some(&gazetteer),
        )
        .unwrap();
        assert_eq!(m.fellowship.id(), "smart");
        assert_eq!(m.schedule.as_ref().unwrap().duration_minutes, 90);
        assert_eq!(m.access, Access::Open);
        // And back: the same fields build the same meeting.
        let again = build(&fields_of(&m), &ctx(), Some(&gazetteer)).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn every_bad_field_is_named() {
        let gazetteer = Gazetteer::bundled();
        let errors = build(
            &fields(json!({
                "name": "X", "fellowship": "smart", "day": "Tuesday", "start": "18:30",
                "latitude": "north", "types": ["format:nonsense"], "colour": "red"
            })),
            &ctx(),
            Some(&gazetteer),
        )
        .unwrap_err();
        let named: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(named, ["colour", "latitude", "types"]);
        let errors = build(
            &fields(json!({"name": "X", "fellowship": "smart", "day": "someday", "start": "18:30", "venue": "Hall"})),
            &ctx(),
            Some(&gazetteer),
        )
        .unwrap_err();
        assert_eq!(errors[0].0, "day");
        let errors = build(
            &fields(json!({"name": "X", "day": "mon", "start": "18:30", "venue": "Hall"})),
            &ctx(),
            Some(&gazetteer),
        )
        .unwrap_err();
        assert_eq!(errors[0].0, "fellowship");
    }
}
