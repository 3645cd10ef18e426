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
    /// `name_string`, for formats with no NAWS code.
    name: String,
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
                            name: String::new(),
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
                            name: field(r, "name_string").unwrap_or_default(),
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
            // A format with no NAWS code is local to its server: known by its name (one of our
            // own types, as meetingmap's BMLT interface names them, or a name the CSV sheets
            // use), else kept by its key string.
            Code::Unknown => match fellowship {
                Some(f) if !format.name.is_empty() => vocabulary::by_name(f, &format.name),
                _ => Code::Unknown,
            },
            // Venue type, not the format list, says whether a BMLT meeting is online.
            Code::Online | Code::Hybrid if raw.attendance.is_some() => Code::Ignore,
            known => known,
        };
        raw.apply(&format.key, meaning);
    }
    Ok(raw)
}

// ---------------------------------------------------------------------------------------------
// Writing: our meetings as BMLT's semantic interface answers (bmlt-server 4.2.7,
// `MeetingResource.php`, `FormatResource.php`, `ServiceBodyResource.php`), for croutonjs,
// crumb-widget and other BMLT clients. Every value is a string, never null (crouton calls string
// methods on them).

use crate::domain::{Access, Facet, Meeting, Status, FELLOWSHIPS};
use crate::hash::fnv1a;

/// One format we publish: a meetingmap type (or access, or how people attend) as BMLT formats
/// say it.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatOut {
    /// The shared id.
    pub id: u32,
    pub key: String,
    pub name: String,
    pub description: String,
    /// The NAWS code, or "".
    pub world_id: &'static str,
    /// `FC1` format, `FC2` location, `FC3` common needs, `O` open/closed, `LANG` language.
    pub kind: &'static str,
    /// What it says about a meeting.
    pub means: FormatMeaning,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FormatMeaning {
    Access(Access),
    Online,
    Hybrid,
    TemporarilyClosed,
    Type(MeetingType),
}

/// The shared id and key string BMLT seeds a NAWS code with, when it seeds one: clients and
/// importers that know BMLT's defaults read those right away.
fn seeded(naws: &str) -> Option<(u32, &'static str)> {
    SEEDED
        .iter()
        .find(|(_, _, n)| *n == naws)
        .map(|(id, key, _)| (id.parse().expect("seeded ids are numbers"), *key))
}

/// Every format we publish, by shared id: the seeded BMLT ids where BMLT has the format, else an
/// id from a stable hash of our type's code (100000 up, clear of BMLT's own), so ids never change
/// when types are added or reordered.
pub fn formats() -> Vec<FormatOut> {
    let fixed = |naws: &'static str, name: &str, kind, means| {
        let (id, key) = seeded(naws).expect("access and venue formats are seeded");
        FormatOut {
            id,
            key: key.to_string(),
            name: name.to_string(),
            description: name.to_string(),
            world_id: naws,
            kind,
            means,
        }
    };
    let mut out = vec![
        fixed("OPEN", "Open", "O", FormatMeaning::Access(Access::Open)),
        fixed("CLOSED", "Closed", "O", FormatMeaning::Access(Access::Closed)),
        fixed("VM", "Virtual", "FC2", FormatMeaning::Online),
        fixed("HYBR", "Virtual and In-Person", "FC2", FormatMeaning::Hybrid),
        fixed(
            "TC",
            "Temporarily Closed Facility",
            "FC2",
            FormatMeaning::TemporarilyClosed,
        ),
    ];
    // Key strings are what crouton shows on each meeting: short codes people know where there
    // are some (BMLT's seeded keys, NAWS codes, the Meeting Guide spec's codes), unique here.
    let mut taken: std::collections::HashSet<String> =
        SEEDED.iter().map(|(_, key, _)| key.to_string()).collect();
    let aa = Fellowship::parse("aa").expect("AA is listed");
    for ty in MeetingType::all() {
        let info = ty.info();
        let world_id = vocabulary::naws_type(ty).unwrap_or("");
        let (id, key) = match seeded(world_id) {
            Some((id, key)) => (id, key.to_string()),
            None => {
                let id = 100_000 + (fnv1a(&ty.to_string()) % 900_000) as u32;
                let candidates = match info.facet {
                    Facet::Language => vec![info.code.to_ascii_uppercase()],
                    _ => [Some(world_id), vocabulary::meeting_guide_type(aa, ty)]
                        .into_iter()
                        .flatten()
                        .filter(|c| !c.is_empty())
                        .map(str::to_string)
                        .collect(),
                };
                let key = candidates
                    .into_iter()
                    .find(|c| !taken.contains(c))
                    .unwrap_or_else(|| info.code.to_string());
                taken.insert(key.clone());
                (id, key)
            }
        };
        let kind = match info.facet {
            Facet::Format => "FC1",
            Facet::Accessibility => "FC2",
            Facet::Community => "FC3",
            Facet::Language => "LANG",
        };
        out.push(FormatOut {
            id,
            key,
            name: info.label.to_string(),
            description: info.label.to_string(),
            world_id,
            kind,
            means: FormatMeaning::Type(ty),
        });
    }
    out.sort_by_key(|f| f.id);
    out
}

/// The formats a meeting has, in BMLT's order: Closed (4) and Open (17) first, then by id.
pub fn meeting_formats<'a>(meeting: &Meeting, all: &'a [FormatOut]) -> Vec<&'a FormatOut> {
    let mut used: Vec<&FormatOut> = all
        .iter()
        .filter(|f| match f.means {
            FormatMeaning::Access(a) => meeting.access == a,
            FormatMeaning::Online => meeting.attendance == Attendance::Online,
            FormatMeaning::Hybrid => meeting.attendance == Attendance::Hybrid,
            FormatMeaning::TemporarilyClosed => meeting.status == Status::TemporarilyClosed,
            FormatMeaning::Type(t) => meeting.types.contains(&t),
        })
        .collect();
    used.sort_by_key(|f| (!matches!(f.means, FormatMeaning::Access(_)), f.id));
    used
}

/// A service body: each fellowship is one (a region, `RS`), and each source's meetings of a
/// fellowship another under it (an area, `AS`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceBody {
    pub id: u32,
    pub parent_id: u32,
    pub name: String,
    pub description: String,
    pub kind: &'static str,
}

/// A service body id from a stable hash of what it stands for, so the same fellowship or source
/// has the same id in every process, on every replica and after every import, with no table to
/// keep: clients store these ids in their embed code (crouton's `service_body`). Kept below
/// 2^31 because PHP and JavaScript clients read them as integers.
fn body_id(key: &str) -> u32 {
    1 + (fnv1a(key) % 2_000_000_000) as u32
}

/// The service body of a fellowship.
pub fn fellowship_body(fellowship: Fellowship) -> u32 {
    body_id(&format!("fellowship:{}", fellowship.id()))
}

/// The service body of one source's meetings of one fellowship.
pub fn source_body(fellowship: Fellowship, source: &str) -> u32 {
    body_id(&format!("source:{}:{source}", fellowship.id()))
}

/// A meeting's `id_bigint`: a stable hash of its id, below 2^53 so JavaScript reads it exactly.
pub fn meeting_number(id: &str) -> u64 {
    fnv1a(id) & ((1 << 53) - 1)
}

/// Every service body: all fellowships (so a fellowship with no meetings yet still has its id),
/// and a body per source and fellowship that has meetings.
pub fn service_bodies(meetings: &[Meeting]) -> Vec<ServiceBody> {
    let mut bodies: Vec<ServiceBody> = FELLOWSHIPS
        .iter()
        .filter_map(|info| Fellowship::parse(info.id))
        .map(|f| ServiceBody {
            id: fellowship_body(f),
            parent_id: 0,
            name: f.info().name.to_string(),
            description: f.info().description.to_string(),
            kind: "RS",
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for m in meetings {
        let id = source_body(m.fellowship, &m.source.id);
        if seen.insert(id) {
            bodies.push(ServiceBody {
                id,
                parent_id: fellowship_body(m.fellowship),
                name: format!("{} ({})", m.source.name, m.fellowship.info().name),
                description: m.source.attribution.clone(),
                kind: "AS",
            });
        }
    }
    bodies
}

/// The keys of a meeting record, in BMLT's order (`MeetingResource`).
pub const FIELD_KEYS: &[(&str, &str)] = &[
    ("id_bigint", "ID"),
    ("worldid_mixed", "World ID"),
    ("shared_group_id_bigint", "Shared group ID"),
    ("service_body_bigint", "Service Body ID"),
    ("service_body_name", "Service Body Name"),
    ("weekday_tinyint", "Weekday"),
    ("venue_type", "Venue Type"),
    ("start_time", "Start Time"),
    ("duration_time", "Duration"),
    ("time_zone", "Time Zone"),
    ("formats", "Formats"),
    ("lang_enum", "Language"),
    ("longitude", "Longitude"),
    ("latitude", "Latitude"),
    ("distance_in_km", "Distance in km"),
    ("distance_in_miles", "Distance in miles"),
    ("email_contact", "Email Contact"),
    ("published", "Published"),
    ("root_server_uri", "Root Server URI"),
    ("format_shared_id_list", "Format Shared IDs"),
    ("meeting_name", "Meeting Name"),
    ("location_text", "Location Name"),
    ("location_info", "Additional Location Information"),
    ("location_street", "Street Address"),
    ("location_city_subsection", "Borough"),
    ("location_neighborhood", "Neighborhood"),
    ("location_municipality", "Town"),
    ("location_sub_province", "County"),
    ("location_province", "State"),
    ("location_postal_code_1", "Zip Code"),
    ("location_nation", "Nation"),
    ("comments", "Comments"),
    ("train_lines", "Train Lines"),
    ("bus_lines", "Bus Lines"),
    ("contact_phone_2", "Contact 2 Phone"),
    ("contact_email_2", "Contact 2 Email"),
    ("contact_name_2", "Contact 2 Name"),
    ("contact_phone_1", "Contact 1 Phone"),
    ("contact_email_1", "Contact 1 Email"),
    ("contact_name_1", "Contact 1 Name"),
    ("phone_meeting_number", "Phone Meeting Dial-in Number"),
    ("virtual_meeting_link", "Virtual Meeting Link"),
    (
        "virtual_meeting_additional_info",
        "Virtual Meeting Additional Information",
    ),
];

/// `HH:MM:SS` of a number of minutes (1440 is `24:00:00`, as BMLT allows).
pub fn hms(minutes: u32) -> String {
    format!("{:02}:{:02}:00", minutes / 60, minutes % 60)
}

/// A coordinate or distance as BMLT writes floats.
fn float(x: f64) -> String {
    let s = format!("{x:.12}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// One meeting as a `GetSearchResults` record: every key of [`FIELD_KEYS`], every value a string.
/// `weekday`/`start` override the meeting's own (a record shown in another time zone);
/// `distance_km` is set for searches around a point. Meetings without a fixed time have no
/// record: BMLT has no way to say "by arrangement".
pub struct RecordContext<'a> {
    pub root_server_uri: &'a str,
    pub formats: &'a [FormatOut],
}

/// A meeting record: its keys in order, each with its value.
pub type Record = Vec<(&'static str, String)>;

pub fn record(
    meeting: &Meeting,
    ctx: &RecordContext,
    shown_at: Option<(Day, LocalTimeOut, &str)>,
    distance_km: Option<f64>,
) -> Option<Record> {
    let schedule = meeting.schedule.as_ref()?;
    let (day, start, zone) = shown_at.unwrap_or((
        schedule.day,
        schedule.start_time.minutes() as u32,
        schedule.timezone.name(),
    ));
    let used = meeting_formats(meeting, ctx.formats);
    let loc = meeting.location.as_ref();
    let online = meeting.online.as_ref();
    let text = |v: Option<&String>| v.cloned().unwrap_or_default();
    let venue_type = match meeting.attendance {
        Attendance::InPerson => "1",
        Attendance::Online => "2",
        Attendance::Hybrid => "3",
    };
    let point = loc.and_then(|l| l.point());
    let mut ids: Vec<u32> = used.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    let fields: Vec<(&'static str, String)> = vec![
        ("id_bigint", meeting_number(&meeting.id).to_string()),
        ("worldid_mixed", String::new()),
        ("shared_group_id_bigint", String::new()),
        (
            "service_body_bigint",
            source_body(meeting.fellowship, &meeting.source.id).to_string(),
        ),
        (
            "service_body_name",
            format!("{} ({})", meeting.source.name, meeting.fellowship.info().name),
        ),
        ("weekday_tinyint", (day.index() + 1).to_string()),
        ("venue_type", venue_type.to_string()),
        ("start_time", hms(start)),
        ("duration_time", hms(schedule.duration_minutes as u32)),
        ("time_zone", zone.to_string()),
        (
            "formats",
            used.iter().map(|f| f.key.as_str()).collect::<Vec<_>>().join(","),
        ),
        ("lang_enum", "en".into()),
        ("longitude", point.map(|p| float(p.1)).unwrap_or_default()),
        ("latitude", point.map(|p| float(p.0)).unwrap_or_default()),
        ("distance_in_km", distance_km.map(float).unwrap_or_default()),
        (
            "distance_in_miles",
            distance_km.map(|d| float(d * MILES_PER_KM)).unwrap_or_default(),
        ),
        ("email_contact", String::new()),
        ("published", "1".into()),
        ("root_server_uri", ctx.root_server_uri.to_string()),
        (
            "format_shared_id_list",
            ids.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
        ),
        ("meeting_name", meeting.name.clone()),
        ("location_text", text(loc.and_then(|l| l.venue.as_ref()))),
        ("location_info", text(loc.and_then(|l| l.notes.as_ref()))),
        (
            "location_street",
            loc.map(|l| l.address_lines.join(", ")).unwrap_or_default(),
        ),
        ("location_city_subsection", String::new()),
        ("location_neighborhood", String::new()),
        ("location_municipality", text(loc.and_then(|l| l.town.as_ref()))),
        ("location_sub_province", String::new()),
        ("location_province", String::new()),
        (
            "location_postal_code_1",
            text(loc.and_then(|l| l.postcode.as_ref())),
        ),
        ("location_nation", text(loc.and_then(|l| l.country.as_ref()))),
        ("comments", text(meeting.notes.as_ref())),
        ("train_lines", String::new()),
        ("bus_lines", String::new()),
        ("contact_phone_2", String::new()),
        ("contact_email_2", String::new()),
        ("contact_name_2", String::new()),
        ("contact_phone_1", String::new()),
        ("contact_email_1", String::new()),
        ("contact_name_1", String::new()),
        (
            "phone_meeting_number",
            text(online.and_then(|o| o.phone.as_ref())),
        ),
        ("virtual_meeting_link", text(online.and_then(|o| o.url.as_ref()))),
        (
            "virtual_meeting_additional_info",
            text(online.and_then(|o| o.notes.as_ref())),
        ),
    ];
    debug_assert_eq!(fields.len(), FIELD_KEYS.len());
    Some(fields)
}

/// Minutes after local midnight.
pub type LocalTimeOut = u32;

/// BMLT's own conversion (`M` = 69.0 miles and 111.111 km per degree), so the two distance
/// fields agree with each other as BMLT's do.
pub const MILES_PER_KM: f64 = 69.0 / 111.111;

/// A format as `GetFormats` writes it.
pub fn format_json(f: &FormatOut, root_server_uri: &str) -> Value {
    serde_json::json!({
        "key_string": f.key,
        "name_string": f.name,
        "description_string": f.description,
        "lang": "en",
        "id": f.id.to_string(),
        "world_id": f.world_id,
        "format_type_enum": f.kind,
        "root_server_uri": root_server_uri,
    })
}

/// A service body as `GetServiceBodies` writes it.
pub fn service_body_json(b: &ServiceBody) -> Value {
    serde_json::json!({
        "id": b.id.to_string(),
        "parent_id": b.parent_id.to_string(),
        "name": b.name,
        "description": b.description,
        "type": b.kind,
        "url": "",
        "helpline": "",
        "world_id": "",
    })
}
