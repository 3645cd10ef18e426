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

/// Records from which a feed is read on more than one thread: below, splitting it (a scan of
/// its bytes, threads to start) costs more than it saves.
pub const SPLIT_FROM: usize = 4096;

pub fn parse(body: &[u8], fellowship: Option<Fellowship>) -> Result<Parsed, FeedError> {
    parse_in(body, fellowship, None)
}

/// [`parse`], reading the records in `parts` consecutive parts, each on its own thread (`None`:
/// one part per core from [`SPLIT_FROM`] records, else one). The records, rejects and labels are
/// those of one read of the whole feed, in the same order: parts are numbered from their offset
/// in the feed and put back together in order.
///
/// The feed is first split into its records' text (a scan that borrows each record's bytes,
/// without building them), then each part reads its records into JSON values and meetings as
/// [`parse_whole`] does, one record at a time. At 100,000 records reading them was a fifth of a
/// CLI import, on one core of two.
pub fn parse_in(
    body: &[u8],
    fellowship: Option<Fellowship>,
    parts: Option<usize>,
) -> Result<Parsed, FeedError> {
    let body = super::without_bom(body);
    let mut records: Vec<&serde_json::value::RawValue> = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(body);
    let split = serde::de::DeserializeSeed::deserialize(
        Feed {
            records: &mut records,
            envelope: true,
        },
        &mut de,
    )
    .and_then(|shape| de.end().map(|()| shape));
    match split {
        Ok(Shape::Meetings) => {}
        Ok(Shape::Other) => return Err(FeedError::Shape("expected an array of meetings".into())),
        // A feed the split refuses is read whole, which reports it as it always has (the same
        // message at the same line and column).
        Err(_) => return parse_whole(body, fellowship),
    }
    let parts = crate::parallel::parts(records.len(), parts, SPLIT_FROM);
    let size = records.len().div_ceil(parts).max(1);
    let read = crate::parallel::map(records.chunks(size).enumerate().collect(), |(n, part)| {
        read_part(part, n * size, fellowship)
    });
    let mut parsed = Parsed::default();
    for part in read {
        // A record whose text the split passed but a JSON value refuses (a number out of
        // range): read whole, for the error as it always was.
        let Some(part) = part else {
            return parse_whole(body, fellowship);
        };
        parsed.records.extend(part.records);
        parsed.rejects.extend(part.rejects);
    }
    Ok(parsed)
}

/// Records of one part of a feed, the first being record `offset + 1`; `None` if one is not a
/// JSON value.
fn read_part(
    records: &[&serde_json::value::RawValue],
    offset: usize,
    fellowship: Option<Fellowship>,
) -> Option<Parsed> {
    let mut parsed = Parsed::default();
    for (i, record) in records.iter().enumerate() {
        let value: Value = serde_json::from_str(record.get()).ok()?;
        take(&mut parsed, offset + i + 1, value, fellowship);
    }
    Some(parsed)
}

/// The whole feed read in one pass, record by record.
fn parse_whole(body: &[u8], fellowship: Option<Fellowship>) -> Result<Parsed, FeedError> {
    // Each record is read into a JSON value and turned into meetings before the next is read,
    // instead of the whole feed into one tree first: a 100,000-record feed as one tree was
    // hundreds of megabytes of maps, a quarter of a CLI import's time spent allocating (and the
    // kernel zeroing) memory that each record's turn now reuses.
    let mut taken = Taken {
        parsed: Parsed::default(),
        fellowship,
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let shape = serde::de::DeserializeSeed::deserialize(
        Feed {
            records: &mut taken,
            envelope: true,
        },
        &mut de,
    )
    .and_then(|shape| de.end().map(|()| shape))
    .map_err(|e| super::json_error(body, "JSON", e))?;
    match shape {
        Shape::Meetings => Ok(taken.parsed),
        Shape::Other => Err(FeedError::Shape("expected an array of meetings".into())),
    }
}

/// Whether a feed held meetings where they are looked for.
enum Shape {
    /// An array of records, or an object with one under `meetings`.
    Meetings,
    Other,
}

/// What is done with the records of a feed, as [`Feed`] finds them.
trait Records<'de> {
    /// Reads the records of the array.
    fn read<A: serde::de::SeqAccess<'de>>(&mut self, seq: A) -> Result<(), A::Error>;
    /// Forgets what was read: of a repeated `meetings` key the last one counts, as it would in
    /// a parsed object.
    fn forget(&mut self);
}

/// The split: each record's text, borrowed from the feed.
impl<'de> Records<'de> for Vec<&'de serde_json::value::RawValue> {
    fn read<A: serde::de::SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(record) = seq.next_element::<&'de serde_json::value::RawValue>()? {
            self.push(record);
        }
        Ok(())
    }
    fn forget(&mut self) {
        self.truncate(0);
    }
}

/// The whole read: each record read into a JSON value and taken before the next is read.
struct Taken {
    parsed: Parsed,
    fellowship: Option<Fellowship>,
}

impl<'de> Records<'de> for Taken {
    fn read<A: serde::de::SeqAccess<'de>>(&mut self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(record) = seq.next_element::<Value>()? {
            index += 1;
            take(&mut self.parsed, index, record, self.fellowship);
        }
        Ok(())
    }
    fn forget(&mut self) {
        self.parsed = Parsed::default();
    }
}

/// The feed: a bare array of records, or (`envelope`) an object with them under `meetings`,
/// handed to `records`.
struct Feed<'r, R> {
    records: &'r mut R,
    envelope: bool,
}

impl<'de, R: Records<'de>> serde::de::DeserializeSeed<'de> for Feed<'_, R> {
    type Value = Shape;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, R: Records<'de>> serde::de::Visitor<'de> for Feed<'_, R> {
    type Value = Shape;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of meetings")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Shape, A::Error> {
        self.records.read(seq)?;
        Ok(Shape::Meetings)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut shape = Shape::Other;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !self.envelope || key != "meetings" {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            self.records.forget();
            shape = map.next_value_seed(Feed {
                records: &mut *self.records,
                envelope: false,
            })?;
        }
        Ok(shape)
    }

    // Any other JSON value is a feed of the wrong shape, not a syntax error.
    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
}

/// One record of the feed (`index` from 1) read into meetings or a reject.
fn take(parsed: &mut Parsed, index: usize, record: Value, fellowship: Option<Fellowship>) {
    let label = format!("record {index}");
    let Value::Object(record) = record else {
        parsed.reject(label, "is not a JSON object");
        return;
    };
    let label = str_field(&record, "slug").map_or(label, |slug| format!("slug {slug}"));
    if record.get("archived").and_then(Value::as_bool) == Some(true) {
        parsed.reject(label, "is archived");
        return;
    }
    match read(&record, fellowship) {
        Ok(raws) => raws.into_iter().for_each(|raw| parsed.accept(label.clone(), raw)),
        Err(reason) => parsed.reject(label, reason),
    }
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
    if raw.online.url.is_none()
        && matches!(
            str_field(record, "attendance_option").as_deref(),
            Some("online" | "hybrid")
        )
    {
        // Our own feeds (and TSML's) put a joining link TSML UI would refuse as `website`.
        raw.online.url = str_field(record, "website");
    }
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

// ---------------------------------------------------------------------------------------------
// Writing: a Meeting Guide feed of our meetings, for TSML UI, the Meeting Guide app and other
// aggregators. Every rule below is one TSML UI applies to what it reads
// (code4recovery/tsml-ui@fef58db `src/helpers/load-meeting-data.ts`), so none of our meetings is
// dropped or shown wrongly by it.

/// Hosts TSML UI and the Meeting Guide app accept a `conference_url` on: a host matches when it
/// *ends with* one of these (`us02web.zoom.us`), as TSML UI tests it
/// (`src/helpers/format-conference-provider.ts`). Links elsewhere are discarded by TSML UI with
/// their notes, so they are written as `website` instead.
pub const CONFERENCE_PROVIDERS: &[&str] = &[
    "bluejeans.com",
    "discord.gg",
    "freeconference.com",
    "freeconferencecall.com",
    "goto.com",
    "gotomeet.me",
    "gotomeeting.com",
    "horizon.meta.com",
    "maps.secondlife.com",
    "meet.google.com",
    "meet.jit.si",
    "meetings.dialpad.com",
    "signal.group",
    "skype.com",
    "slurl.com",
    "teams.live.com",
    "teams.microsoft.com",
    "vrchat.com",
    "webex.com",
    "zoho.com",
    "zoom.us",
];

/// Types TSML UI removes from meetings that are not in person (its `in_person_types`).
const IN_PERSON_TYPES: &[&str] = &[
    "BA", "BRK", "CAN", "CF", "AL-AN", "AL", "FF", "OUT", "SM", "X", "XB",
];

/// Slugs are at most this long (the spec; app favourites and bookmarks use them).
pub const MAX_SLUG: usize = 64;

/// Whether TSML UI keeps `url` as a `conference_url`.
pub fn is_conference_provider(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    CONFERENCE_PROVIDERS.iter().any(|p| host.ends_with(p))
}

/// Whether TSML UI keeps a `conference_phone`: at least ten of digits, `,`, `+` and `#`.
pub fn is_dialable(phone: &str) -> bool {
    phone
        .chars()
        .filter(|c| c.is_ascii_digit() || matches!(c, ',' | '+' | '#'))
        .count()
        >= 10
}

/// A URL-safe slug of at most [`MAX_SLUG`] characters for a meeting id: the id itself when it
/// already is one (lower-case letters, digits and dashes), else a readable prefix and a hash of
/// the whole id, so different ids never share a slug.
pub fn slug(id: &str) -> String {
    let lossless = !id.is_empty()
        && id.len() <= MAX_SLUG
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if lossless {
        return id.to_string();
    }
    let mut readable = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            readable.push(c.to_ascii_lowercase());
        } else if !readable.is_empty() && !readable.ends_with('-') {
            readable.push('-');
        }
    }
    // 64 = up to 46 readable characters, a dash, `h` and 16 hex digits.
    readable.truncate(MAX_SLUG - 18);
    let readable = readable.trim_end_matches('-');
    let hash = crate::hash::fnv1a(id);
    if readable.is_empty() {
        format!("h{hash:016x}")
    } else {
        format!("{readable}-h{hash:016x}")
    }
}

/// The spec's `updated`: `YYYY-MM-DD HH:MM:SS` in UTC.
fn updated(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// A country as people write it at the end of an address (`GB` reads as `UK`).
fn country_name(code: &str) -> &str {
    match code {
        "GB" | "UK" => "UK",
        "IE" => "Ireland",
        other => other,
    }
}

/// An approximate address for a meeting with no room: the place its time zone is named after
/// (`Europe/London` gives `London, UK`), which tells the Meeting Guide app and TSML UI the zone
/// and lets them list it (they drop records with no address at all).
fn approximate_address(zone: &str) -> String {
    let city = zone.rsplit('/').next().unwrap_or(zone).replace('_', " ");
    match zone {
        "Europe/London" => "London, UK".into(),
        "Europe/Dublin" => "Dublin, Ireland".into(),
        _ => city,
    }
}

/// The spec type codes for a meeting: access, its types through the two-way code table
/// ([`vocabulary::meeting_guide_type`]), `TC` when closed for now; in-person-only types left off
/// meetings with no room, as TSML UI would. Codes with no spec equivalent are left out (TSML UI
/// would drop them silently); the meeting's own API record keeps them.
fn type_codes(meeting: &crate::domain::Meeting) -> Vec<&'static str> {
    use crate::domain::{Access, Status};
    use vocabulary::Meaning;
    let f = meeting.fellowship;
    let mut codes: Vec<&'static str> = Vec::new();
    match meeting.access {
        Access::Open => codes.extend(vocabulary::meeting_guide_spec_code(
            f,
            Meaning::Access(Access::Open),
        )),
        Access::Closed => codes.extend(vocabulary::meeting_guide_spec_code(
            f,
            Meaning::Access(Access::Closed),
        )),
        Access::Unknown => {}
    }
    codes.extend(
        meeting
            .types
            .iter()
            .filter_map(|t| vocabulary::meeting_guide_type(f, *t)),
    );
    if meeting.status == Status::TemporarilyClosed {
        codes.extend(vocabulary::meeting_guide_spec_code(f, Meaning::TemporarilyClosed));
    }
    if !meeting.attendance.has_room() {
        codes.retain(|c| !IN_PERSON_TYPES.contains(c));
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// TSML's `attendance_option` (TSML UI ignores it; TSML and our own importer read it).
fn attendance_option(meeting: &crate::domain::Meeting) -> &'static str {
    use crate::domain::Status;
    match (meeting.status, meeting.attendance) {
        (_, Attendance::Online) => "online",
        (Status::TemporarilyClosed, _) => "inactive",
        (_, Attendance::Hybrid) => "hybrid",
        (_, Attendance::InPerson) => "in_person",
    }
}

/// One meeting as a Meeting Guide record. `slug` is its unique slug in the feed; `page` its page
/// for people (the spec's `url`), when the caller knows where that is.
pub fn record(meeting: &crate::domain::Meeting, slug: String, page: Option<String>) -> Map<String, Value> {
    let mut r = Map::new();
    let mut put = |key: &str, value: Value| {
        r.insert(key.to_string(), value);
    };
    put("slug", slug.into());
    put("name", meeting.name.clone().into());
    if let Some(s) = &meeting.schedule {
        put("day", s.day.index().into());
        put(
            "time",
            format!("{:02}:{:02}", s.start_time.hour(), s.start_time.minute()).into(),
        );
        let end = s.end_time();
        put(
            "end_time",
            format!("{:02}:{:02}", end.hour(), end.minute()).into(),
        );
        put("timezone", s.timezone.name().into());
    }
    put("types", type_codes(meeting).into());
    if let Some(group) = &meeting.group_name {
        put("group", group.clone().into());
    }
    if let Some(notes) = &meeting.notes {
        put("notes", notes.clone().into());
    }
    put("updated", updated(meeting.updated_at).into());
    put("attendance_option", attendance_option(meeting).into());
    if let Some(page) = page {
        put("url", page.into());
    }
    put("entity", meeting.source.name.clone().into());

    match &meeting.location {
        Some(loc) => {
            if let Some(venue) = &loc.venue {
                put("location", venue.clone().into());
            }
            let street = loc.address_lines.join(", ");
            if !street.is_empty() {
                put("address", street.clone().into());
            }
            if let Some(town) = &loc.town {
                put("city", town.clone().into());
                put("regions", vec![town.clone()].into());
            }
            if let Some(postcode) = &loc.postcode {
                put("postal_code", postcode.clone().into());
            }
            if let Some(country) = &loc.country {
                put("country", country.clone().into());
            }
            let formatted: Vec<&str> = loc
                .address_lines
                .iter()
                .map(String::as_str)
                .chain(loc.town.as_deref())
                .chain(loc.postcode.as_deref())
                .chain(loc.country.as_deref().map(country_name))
                .filter(|s| !s.trim().is_empty())
                .collect();
            let formatted = if formatted.is_empty() {
                // A room known only by its venue name and point: the venue is the address.
                loc.venue.clone().unwrap_or_default()
            } else {
                formatted.join(", ")
            };
            put("formatted_address", formatted.into());
            if let Some((lat, lon)) = loc.point() {
                put("latitude", round5(lat).into());
                put("longitude", round5(lon).into());
            }
            // A real venue: without "no" TSML UI counts commas, and a UK address with three parts
            // would read as approximate, so not in person, so inactive.
            put("approximate", "no".into());
            if let Some(notes) = &loc.notes {
                put("location_notes", notes.clone().into());
            }
        }
        None => {
            let zone = meeting
                .schedule
                .as_ref()
                .map_or("Europe/London", |s| s.timezone.name());
            put("formatted_address", approximate_address(zone).into());
            put("approximate", "yes".into());
        }
    }
    if let Some(online) = &meeting.online {
        match &online.url {
            Some(url) if is_conference_provider(url) => {
                put("conference_url", url.clone().into());
                if let Some(notes) = &online.notes {
                    put("conference_url_notes", notes.clone().into());
                }
            }
            // TSML UI would discard it, and the meeting's joining notes with it; as the
            // meeting's website it stays on the meeting's page.
            Some(url) => {
                put("website", url.clone().into());
                if let Some(notes) = &online.notes {
                    put("conference_phone_notes", notes.clone().into());
                }
            }
            None => {
                if let Some(notes) = &online.notes {
                    put("conference_phone_notes", notes.clone().into());
                }
            }
        }
        if let Some(phone) = online.phone.as_ref().filter(|p| is_dialable(p)) {
            put("conference_phone", phone.clone().into());
        }
    }
    r
}

/// Five decimals (about a metre), as the spec suggests.
fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

/// A feed of `meetings` (a bare JSON array, as the spec has it), each with a unique slug.
/// `page(meeting)` is the meeting's page for people, when known.
pub fn write<'a>(
    meetings: impl IntoIterator<Item = &'a crate::domain::Meeting>,
    page: impl Fn(&crate::domain::Meeting) -> Option<String>,
) -> String {
    let mut seen = std::collections::HashSet::new();
    let records: Vec<Value> = meetings
        .into_iter()
        .map(|m| {
            let mut slug = slug(&m.id);
            if !seen.insert(slug.clone()) {
                // Only a readable id colliding with another's hashed form gets here.
                slug = format!(
                    "h{:016x}",
                    crate::hash::fnv1a(&format!("{}#{}", m.id, seen.len()))
                );
                seen.insert(slug.clone());
            }
            Value::Object(record(m, slug, page(m)))
        })
        .collect();
    Value::Array(records).to_string()
}
