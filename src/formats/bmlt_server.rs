//! BMLT's semantic interface answered from our meetings: `GetSearchResults`, `GetFormats`,
//! `GetServiceBodies`, `GetServerInfo`, `GetFieldKeys`, `GetFieldValues`, `GetChanges` and
//! `GetCoverageArea`, with the parameters bmlt-server 4.2.7 takes
//! (`SwitcherController::getSearchResults`, `MeetingRepository`) and the aggregator's
//! `sort_results_by_next_start`, `next_start_grace_minutes` and `target_time_zone`.
//!
//! BMLT is lenient, and its clients rely on it: unknown parameters are ignored, a value that does
//! not read (a list item that is not a number) is left out as PHP's casts leave it, and input
//! that cannot match gives `200 []`, not an error. Only an unknown switcher (422) and
//! `GetFieldValues` without a known `meeting_key` (400) are refused, as BMLT refuses them. The
//! records themselves are written by [`super::bmlt`].

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::bmlt::{
    self, format_json, meeting_formats, meeting_number, service_body_json, FormatOut, RecordContext,
    ServiceBody, FIELD_KEYS, MILES_PER_KM,
};
use crate::domain::{Attendance, Day, Meeting};
use crate::search::fold_text;

/// A query string as BMLT reads it: `name[]=a&name[]=b` and `name=a,b` both give a list; a bare
/// `name` (no `=`) is present with an empty value (`get_used_formats`).
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    pub fn parse(query: &str) -> Params {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                let s = s.replace('+', " ");
                percent_decode(&s)
            };
            let key = decode(key);
            // `services[]`, and PHP's indexed form `services[0]`.
            let key = match key.find('[') {
                Some(at) if key.ends_with(']') => key[..at].to_string(),
                _ => key,
            };
            map.entry(key).or_default().push(decode(value));
        }
        Params(map)
    }

    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The first value, trimmed.
    fn one(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.first().map(|s| s.trim())
    }

    /// A flag: present with an empty value, `1` or `true`.
    fn flag(&self, key: &str) -> bool {
        self.one(key)
            .is_some_and(|v| v.is_empty() || v == "1" || v.eq_ignore_ascii_case("true"))
    }

    /// Every value, commas splitting them too, trimmed, empties left out.
    fn list(&self, key: &str) -> Vec<&str> {
        self.0
            .get(key)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A list of whole numbers split into included and (negative) excluded ones; items that are
    /// not numbers are left out.
    fn signed(&self, key: &str) -> (HashSet<i64>, HashSet<i64>) {
        let mut include = HashSet::new();
        let mut exclude = HashSet::new();
        for n in self.list(key).into_iter().filter_map(|v| v.parse::<i64>().ok()) {
            if n < 0 {
                exclude.insert(n.unsigned_abs() as i64);
            } else {
                include.insert(n);
            }
        }
        (include, exclude)
    }

    fn number(&self, key: &str) -> Option<f64> {
        self.one(key)?.parse::<f64>().ok().filter(|n| n.is_finite())
    }

    fn int(&self, key: &str) -> Option<i64> {
        let v = self.one(key)?;
        v.parse::<i64>()
            .ok()
            .or_else(|| v.parse::<f64>().ok().filter(|n| n.is_finite()).map(|n| n as i64))
    }
}

/// `%XX` decoding that never fails (bad escapes are kept as written), as PHP's `urldecode`.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the interface answers: JSON, or a refusal with BMLT's status and text.
#[derive(Debug)]
pub enum Answer {
    Json(Value),
    Refused { status: u16, message: String },
}

/// One change to a meeting, as far as we know of it.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub at: Timestamp,
    pub kind: ChangeKind,
    pub meeting: &'a Meeting,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChangeKind {
    /// First seen in its source.
    New,
    /// Its source changed it.
    Change,
}

/// The changes we can state from the meetings alone: when each was first seen, and when its
/// source last changed it (not every earlier change, and no deletions: a deleted meeting is no
/// longer in the directory). This is the one place `GetChanges` reads from, so a fuller change
/// log can take its place.
pub fn changes_from_meetings(meetings: &[Meeting]) -> Vec<Change<'_>> {
    let mut changes = Vec::new();
    for m in meetings {
        changes.push(Change {
            at: m.first_seen_at,
            kind: ChangeKind::New,
            meeting: m,
        });
        if m.updated_at > m.first_seen_at {
            changes.push(Change {
                at: m.updated_at,
                kind: ChangeKind::Change,
                meeting: m,
            });
        }
    }
    changes.sort_by_key(|c| c.at);
    changes
}

/// Included and (negative) excluded values of a list parameter.
type Signed = (HashSet<i64>, HashSet<i64>);

/// Whether `value` passes an included/excluded list.
fn passes(list: &Signed, value: i64) -> bool {
    (list.0.is_empty() || list.0.contains(&value)) && !list.1.contains(&value)
}

/// The conditions of `GetSearchResults` but the point, read once per request.
struct Conditions {
    meeting_ids: Signed,
    weekdays: Signed,
    venue_types: Signed,
    services: Signed,
    recursive: bool,
    formats: Signed,
    any_format: bool,
    starts_after: Option<i64>,
    starts_before: Option<i64>,
    ends_before: Option<i64>,
    min_duration: Option<i64>,
    max_duration: Option<i64>,
    /// `SearchString` as a list of ids.
    ids: Option<Vec<i64>>,
    /// `SearchString` as folded words (under three characters, ignored, as BMLT ignores it).
    words: Vec<String>,
}

impl Conditions {
    fn read(p: &Params) -> Conditions {
        // Minutes after local midnight; an hour is clamped to 0..23 and minutes to 0..59, and a
        // missing half is 0, as BMLT reads them.
        let hm = |h: &str, m: &str| -> Option<i64> {
            if !p.has(h) && !p.has(m) {
                return None;
            }
            let hours = p.int(h).unwrap_or(0).clamp(0, 23);
            let minutes = p.int(m).unwrap_or(0).clamp(0, 59);
            Some(hours * 60 + minutes)
        };
        let search = p.one("SearchString").filter(|s| !s.is_empty());
        let ids = search.and_then(|s| {
            let ids: Vec<i64> = s.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            (!ids.is_empty() && ids.len() == s.split(',').count()).then_some(ids)
        });
        let words = match (search, &ids) {
            (Some(s), None) if s.chars().count() >= 3 => {
                fold_text(s).split_whitespace().map(str::to_string).collect()
            }
            _ => Vec::new(),
        };
        Conditions {
            meeting_ids: p.signed("meeting_ids"),
            weekdays: p.signed("weekdays"),
            venue_types: p.signed("venue_types"),
            services: p.signed("services"),
            recursive: p.flag("recursive"),
            formats: p.signed("formats"),
            any_format: p
                .one("formats_comparison_operator")
                .is_some_and(|o| o.eq_ignore_ascii_case("OR")),
            starts_after: hm("StartsAfterH", "StartsAfterM"),
            starts_before: hm("StartsBeforeH", "StartsBeforeM"),
            ends_before: hm("EndsBeforeH", "EndsBeforeM"),
            min_duration: hm("MinDurationH", "MinDurationM"),
            max_duration: hm("MaxDurationH", "MaxDurationM"),
            ids,
            words,
        }
    }

    fn matches(&self, m: &Meeting, formats: &[FormatOut]) -> bool {
        let Some(schedule) = &m.schedule else {
            return false;
        };
        let number = meeting_number(&m.id) as i64;
        if !passes(&self.meeting_ids, number) {
            return false;
        }
        if !passes(&self.weekdays, schedule.day.index() as i64 + 1) {
            return false;
        }
        let venue = match m.attendance {
            Attendance::InPerson => 1,
            Attendance::Online => 2,
            Attendance::Hybrid => 3,
        };
        if !passes(&self.venue_types, venue) {
            return false;
        }
        // A meeting is in its source's body; `recursive` also finds it by its fellowship's.
        let body = bmlt::source_body(m.fellowship, &m.source.id) as i64;
        let parent = bmlt::fellowship_body(m.fellowship) as i64;
        let in_body = |set: &HashSet<i64>| set.contains(&body) || (self.recursive && set.contains(&parent));
        let (include, exclude) = &self.services;
        if (!include.is_empty() && !in_body(include)) || in_body(exclude) {
            return false;
        }
        let (include, exclude) = &self.formats;
        if !include.is_empty() || !exclude.is_empty() {
            let has: HashSet<i64> = meeting_formats(m, formats).iter().map(|f| f.id as i64).collect();
            let ok = include.is_empty()
                || if self.any_format {
                    include.iter().any(|f| has.contains(f))
                } else {
                    include.iter().all(|f| has.contains(f))
                };
            if !ok || exclude.iter().any(|f| has.contains(f)) {
                return false;
            }
        }

        // BMLT's starts-after and -before are strict.
        let start = schedule.start_time.minutes() as i64;
        let duration = schedule.duration_minutes as i64;
        if self.starts_after.is_some_and(|t| start <= t)
            || self.starts_before.is_some_and(|t| start >= t)
            || self.ends_before.is_some_and(|t| start + duration > t)
            || self.min_duration.is_some_and(|t| duration < t)
            || self.max_duration.is_some_and(|t| duration > t)
        {
            return false;
        }

        if let Some(ids) = &self.ids {
            return ids.contains(&number);
        }
        if !self.words.is_empty() {
            let loc = m.location.as_ref();
            let text = fold_text(
                &[
                    Some(m.name.as_str()),
                    m.group_name.as_deref(),
                    m.notes.as_deref(),
                    loc.and_then(|l| l.venue.as_deref()),
                    loc.and_then(|l| l.town.as_deref()),
                    loc.and_then(|l| l.postcode.as_deref()),
                    loc.and_then(|l| l.notes.as_deref()),
                ]
                .into_iter()
                .flatten()
                .chain(
                    loc.into_iter()
                        .flat_map(|l| l.address_lines.iter().map(String::as_str)),
                )
                .collect::<Vec<_>>()
                .join(" "),
            );
            if !self.words.iter().all(|w| text.contains(w.as_str())) {
                return false;
            }
        }
        true
    }
}

/// A meeting found by a search: the meeting, its distance from the point, its record.
type Found<'a> = (&'a Meeting, Option<f64>, bmlt::Record);

/// What the interface answers from.
pub struct Server<'a> {
    pub meetings: &'a [Meeting],
    /// The `root_server_uri` every meeting and format carries (clients join them on it).
    pub root_server_uri: &'a str,
    /// Now, for `sort_results_by_next_start` and `target_time_zone`.
    pub now: Timestamp,
    pub changes: &'a dyn Fn() -> Vec<Change<'a>>,
}

/// The switchers, for the documentation.
pub const SWITCHERS: &[&str] = &[
    "GetSearchResults",
    "GetFormats",
    "GetServiceBodies",
    "GetServerInfo",
    "GetFieldKeys",
    "GetFieldValues",
    "GetChanges",
    "GetCoverageArea",
];

/// The auto-radius ladder (request units) BMLT searches for "the nearest N".
const LADDER: &[f64] = &[
    0.0625, 0.125, 0.1875, 0.25, 0.4375, 0.5, 0.5625, 0.75, 0.8125, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5,
    2.75, 3.0, 3.25, 3.5, 3.75, 4.0, 4.25, 4.5, 4.75, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0,
    11.0, 12.0, 13.0, 14.0, 15.0, 17.5, 20.0, 22.5, 25.0, 27.5, 30.0, 35.0, 40.0, 45.0, 50.0, 60.0, 70.0,
    80.0, 90.0, 100.0, 150.0, 200.0,
];

/// The point a `GetSearchResults` with these parameters searches around and the farthest (in
/// [`bmlt_distance_km`]) any meeting in its answer can be: a meeting farther away, or with no
/// position, is never in it, whatever the other parameters. `None` when the search is not around a
/// point. Lets a caller hand [`Server`] only the meetings that can match.
pub fn search_reach(p: &Params) -> Option<((f64, f64), f64)> {
    let point = p.number("lat_val").zip(p.number("long_val"))?;
    let (width, km_per_unit) = match (p.number("geo_width"), p.number("geo_width_km")) {
        (Some(mi), _) => (mi, 1.0 / MILES_PER_KM),
        (None, Some(km)) => (km, 1.0),
        (None, None) => return None,
    };
    // "About the nearest N" settles on a rung of the ladder, at most its last (as
    // `search_results` falls back to).
    let units = if width < 0.0 {
        LADDER[LADDER.len() - 1]
    } else {
        width
    };
    Some((point, units * km_per_unit))
}

/// Distance in km as BMLT computes it (spherical law of cosines, 111.111 km per degree).
pub fn bmlt_distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la, lb) = (a.0.to_radians(), b.0.to_radians());
    let dlon = (a.1 - b.1).to_radians();
    let cos = (la.cos() * lb.cos() * dlon.cos() + la.sin() * lb.sin()).clamp(-1.0, 1.0);
    111.111 * cos.acos().to_degrees()
}

impl Server<'_> {
    pub fn answer(&self, switcher: &str, params: &Params) -> Answer {
        match switcher {
            "GetSearchResults" => Answer::Json(self.search_results(params)),
            "GetFormats" => Answer::Json(self.get_formats(params)),
            "GetServiceBodies" => Answer::Json(self.get_service_bodies(params)),
            "GetServerInfo" => Answer::Json(self.server_info()),
            "GetFieldKeys" => Answer::Json(Value::Array(
                FIELD_KEYS
                    .iter()
                    .map(|(key, description)| json!({"key": key, "description": description}))
                    .collect(),
            )),
            "GetFieldValues" => self.field_values(params),
            "GetChanges" => Answer::Json(self.get_changes(params)),
            "GetCoverageArea" => Answer::Json(self.coverage_area()),
            other => Answer::Refused {
                status: 422,
                message: format!("Invalid switcher `{other}`: one of {}", SWITCHERS.join(", ")),
            },
        }
    }

    fn record_context<'f>(&'f self, formats: &'f [FormatOut]) -> RecordContext<'f> {
        RecordContext {
            root_server_uri: self.root_server_uri,
            formats,
        }
    }

    /// `GetSearchResults`.
    pub fn search_results(&self, p: &Params) -> Value {
        let formats = bmlt::formats();
        let used_formats = p.has("get_used_formats");
        if p.has("get_formats_only") {
            return json!({"formats": []});
        }
        let empty = || {
            if used_formats {
                json!({"meetings": [], "formats": []})
            } else {
                json!([])
            }
        };
        if p.int("advanced_published") == Some(-1) {
            return empty();
        }
        let conditions = Conditions::read(p);
        let mut hits: Vec<(&Meeting, Option<f64>)> = self
            .meetings
            .iter()
            .filter(|m| m.schedule.is_some())
            .filter(|m| conditions.matches(m, &formats))
            .map(|m| (m, None))
            .collect();

        // Around a point: `geo_width` (miles) wins over `geo_width_km`; negative is "about the
        // nearest N".
        let point = p.number("lat_val").zip(p.number("long_val"));
        let width = match (p.number("geo_width"), p.number("geo_width_km")) {
            (Some(mi), _) => Some((mi, 1.0 / MILES_PER_KM)),
            (None, Some(km)) => Some((km, 1.0)),
            (None, None) => None,
        };
        if p.has("lat_val") || p.has("long_val") {
            let Some(point) = point else { return empty() };
            let Some((width, km_per_unit)) = width else {
                return empty();
            };
            for hit in &mut hits {
                hit.1 = hit
                    .0
                    .location
                    .as_ref()
                    .and_then(|l| l.point())
                    .map(|q| bmlt_distance_km(point, q));
            }
            hits.retain(|h| h.1.is_some());
            let radius_km = if width < 0.0 {
                let wanted = (-width).min(1e6) as usize;
                let mut distances: Vec<f64> = hits.iter().filter_map(|h| h.1).collect();
                distances.sort_by(f64::total_cmp);
                LADDER
                    .iter()
                    .map(|r| r * km_per_unit)
                    .find(|r| distances.iter().filter(|d| *d <= r).count() >= wanted)
                    .unwrap_or(200.0 * km_per_unit)
            } else {
                width * km_per_unit
            };
            hits.retain(|h| h.1.is_some_and(|d| d <= radius_km));
        }

        // Shown in another zone (the aggregator's `target_time_zone`).
        let target = p.one("target_time_zone").and_then(crate::domain::Zone::get);
        let shown = |m: &Meeting| -> Option<(Day, u32, String)> {
            let zone = target.as_ref()?;
            let next = self.next_start(m, 0)?;
            let local = next.to_zoned(zone.tz().clone());
            Some((
                Day::of(local.weekday()),
                local.hour() as u32 * 60 + local.minute() as u32,
                zone.name().to_string(),
            ))
        };
        let ctx = self.record_context(&formats);
        let mut records: Vec<Found> = hits
            .iter()
            .filter_map(|(m, d)| {
                let at = shown(m);
                let record = bmlt::record(
                    m,
                    &ctx,
                    at.as_ref()
                        .map(|(day, start, zone)| (*day, *start, zone.as_str())),
                    *d,
                )?;
                Some((*m, *d, record))
            })
            .collect();

        // `meeting_key` + `meeting_key_value`: an exact match on one field.
        if let Some(key) = p.one("meeting_key") {
            let value = p.one("meeting_key_value");
            if matches!(key, "formats" | "latitude" | "longitude") || value.is_none() {
                return empty();
            }
            let value = value.unwrap_or_default();
            records.retain(|(_, _, r)| {
                r.iter().any(|(k, v)| {
                    *k == key
                        && (v == value
                            || (matches!(key, "start_time" | "duration_time") && same_time(v, value)))
                })
            });
        }

        self.sort(&mut records, p);

        // Paging: `page_size` and 1-based `page_num`.
        if let Some(size) = p.int("page_size").filter(|n| *n > 0) {
            let page = p.int("page_num").filter(|n| *n > 0).unwrap_or(1);
            let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
            let take = usize::try_from(size).unwrap_or(usize::MAX);
            records = records.into_iter().skip(skip).take(take).collect();
        }

        // `data_field_key`: only these keys, in our order.
        let keys: Vec<&str> = p.list("data_field_key");
        let meetings: Vec<Value> = records
            .iter()
            .map(|(_, _, r)| {
                Value::Object(
                    r.iter()
                        .filter(|(k, _)| keys.is_empty() || keys.contains(k))
                        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                        .collect::<Map<String, Value>>(),
                )
            })
            .collect();
        if used_formats {
            let mut ids: Vec<u32> = records
                .iter()
                .flat_map(|(m, _, _)| meeting_formats(m, &formats).into_iter().map(|f| f.id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let used: Vec<Value> = formats
                .iter()
                .filter(|f| ids.binary_search(&f.id).is_ok())
                .map(|f| format_json(f, self.root_server_uri))
                .collect();
            json!({"meetings": meetings, "formats": used})
        } else {
            Value::Array(meetings)
        }
    }

    /// The next start of a meeting at or after `now - grace_minutes`.
    fn next_start(&self, m: &Meeting, grace_minutes: i64) -> Option<Timestamp> {
        let schedule = m.schedule.as_ref()?;
        let from = self
            .now
            .checked_sub(jiff::SignedDuration::from_mins(grace_minutes))
            .ok()?;
        let until = from.checked_add(jiff::SignedDuration::from_hours(24 * 40)).ok()?;
        schedule
            .occurrences(from, until)
            .map(|o| o.start.timestamp())
            .find(|s| *s >= from)
    }

    /// BMLT's orders: by distance (`sort_results_by_distance`), by next start (the aggregator's
    /// `sort_results_by_next_start`), or by `sort_keys` (default weekday, start time, duration).
    fn sort(&self, records: &mut [Found], p: &Params) {
        let field = |r: &bmlt::Record, key: &str| -> String {
            r.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let compare = |a: &str, b: &str| match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x.total_cmp(&y),
            _ => a.to_lowercase().cmp(&b.to_lowercase()),
        };
        let mut keys: Vec<&str> = Vec::new();
        for key in p.list("sort_keys").into_iter().chain(p.list("sort_key")) {
            match key {
                "weekday" => keys.push("weekday_tinyint"),
                "time" => keys.push("start_time"),
                "town" => keys.extend(["location_municipality", "location_city_subsection"]),
                "state" => keys.push("location_province"),
                "weekday_state" => keys.extend(["weekday_tinyint", "location_province"]),
                other if FIELD_KEYS.iter().any(|(k, _)| *k == other) => keys.push(other),
                _ => {}
            }
        }
        if keys.is_empty() {
            keys = vec!["weekday_tinyint", "start_time", "duration_time"];
        }
        records.sort_by(|a, b| {
            keys.iter()
                .map(|k| compare(&field(&a.2, k), &field(&b.2, k)))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.0.id.cmp(&b.0.id))
        });
        if p.flag("sort_results_by_next_start") {
            let grace = p.int("next_start_grace_minutes").unwrap_or(0).clamp(0, 24 * 60);
            records.sort_by_key(|r| self.next_start(r.0, grace));
        }
        if p.flag("sort_results_by_distance") {
            records.sort_by(|a, b| match (a.1, b.1) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => std::cmp::Ordering::Equal,
            });
        }
    }

    /// `GetFormats`: the formats meetings use (every one with `show_all=1`), narrowed by
    /// `format_ids` (±) and `key_strings`.
    pub fn get_formats(&self, p: &Params) -> Value {
        let formats = bmlt::formats();
        let used: HashSet<u32> = if p.flag("show_all") {
            formats.iter().map(|f| f.id).collect()
        } else {
            self.meetings
                .iter()
                .flat_map(|m| meeting_formats(m, &formats).into_iter().map(|f| f.id))
                .collect()
        };
        let (include, exclude) = p.signed("format_ids");
        let keys = p.list("key_strings");
        Value::Array(
            formats
                .iter()
                .filter(|f| used.contains(&f.id) || !keys.is_empty() || !include.is_empty())
                .filter(|f| include.is_empty() || include.contains(&(f.id as i64)))
                .filter(|f| !exclude.contains(&(f.id as i64)))
                .filter(|f| keys.is_empty() || keys.contains(&f.key.as_str()))
                .map(|f| format_json(f, self.root_server_uri))
                .collect(),
        )
    }

    /// `GetServiceBodies`: all, or `services` (±) with their children (`recursive=1`) and
    /// ancestors (`parents=1`).
    pub fn get_service_bodies(&self, p: &Params) -> Value {
        let bodies: Vec<ServiceBody> = bmlt::service_bodies(self.meetings);
        let (include, exclude) = p.signed("services");
        let mut chosen: HashSet<u32> = if include.is_empty() {
            bodies.iter().map(|b| b.id).collect()
        } else {
            bodies
                .iter()
                .filter(|b| include.contains(&(b.id as i64)))
                .map(|b| b.id)
                .collect()
        };
        if !include.is_empty() && p.flag("recursive") {
            // Two levels: a fellowship and its sources.
            let children: Vec<u32> = bodies
                .iter()
                .filter(|b| chosen.contains(&b.parent_id))
                .map(|b| b.id)
                .collect();
            chosen.extend(children);
        }
        if !include.is_empty() && p.flag("parents") {
            let parents: Vec<u32> = bodies
                .iter()
                .filter(|b| chosen.contains(&b.id) && b.parent_id != 0)
                .map(|b| b.parent_id)
                .collect();
            chosen.extend(parents);
        }
        Value::Array(
            bodies
                .iter()
                .filter(|b| chosen.contains(&b.id) && !exclude.contains(&(b.id as i64)))
                .map(service_body_json)
                .collect(),
        )
    }

    /// The area the meetings with a position cover.
    fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        self.meetings
            .iter()
            .filter_map(|m| m.location.as_ref()?.point())
            .filter(|(lat, lon)| *lat != 0.0 || *lon != 0.0)
            .fold(None, |b, (lat, lon)| {
                Some(match b {
                    None => (lat, lon, lat, lon),
                    Some((n, w, s, e)) => (
                        f64::max(n, lat),
                        f64::min(w, lon),
                        f64::min(s, lat),
                        f64::max(e, lon),
                    ),
                })
            })
    }

    /// `GetServerInfo`: as BMLT's, without what BMLT should not publish (a Google key) or we do
    /// not have (PHP and database versions, left empty).
    fn server_info(&self) -> Value {
        let (lat, lon) = self
            .bounds()
            .map_or((54.0, -2.5), |(n, w, s, e)| ((n + s) / 2.0, (w + e) / 2.0));
        json!([{
            "version": "4.2.7",
            "versionInt": "4002007",
            "langs": "en",
            "nativeLang": "en",
            "centerLongitude": format!("{lon:.6}"),
            "centerLatitude": format!("{lat:.6}"),
            "centerZoom": "6",
            "defaultDuration": "01:00:00",
            "regionBias": "uk",
            "charSet": "UTF-8",
            "distanceUnits": "mi",
            "semanticAdmin": "0",
            "changesPerMeeting": "0",
            "meeting_states_and_provinces": "",
            "meeting_counties_and_sub_provinces": "",
            "available_keys": FIELD_KEYS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(","),
            "google_api_key": "",
            "dbVersion": "",
            "dbPrefix": "",
            "phpVersion": "",
            "auto_geocoding_enabled": false,
            "county_auto_geocoding_enabled": false,
            "zip_auto_geocoding_enabled": false,
            "commit": "",
            "default_closed_status": false,
            "aggregator_mode_enabled": false,
        }])
    }

    /// `GetFieldValues`: each value of `meeting_key`, with the meetings that have it.
    fn field_values(&self, p: &Params) -> Answer {
        let Some(key) = p
            .one("meeting_key")
            .filter(|k| FIELD_KEYS.iter().any(|(f, _)| f == k))
        else {
            return Answer::Refused {
                status: 400,
                message: "meeting_key must be one of the keys GetFieldKeys lists".into(),
            };
        };
        let formats = bmlt::formats();
        let ctx = self.record_context(&formats);
        let mut values: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for m in self.meetings {
            let Some(record) = bmlt::record(m, &ctx, None, None) else {
                continue;
            };
            let value = record
                .into_iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "NULL".into());
            values.entry(value).or_default().push(meeting_number(&m.id));
        }
        Answer::Json(Value::Array(
            values
                .into_iter()
                .map(|(value, mut ids)| {
                    ids.sort_unstable();
                    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
                    let mut o = Map::new();
                    o.insert(key.to_string(), Value::String(value));
                    o.insert("ids".into(), Value::String(ids.join(",")));
                    Value::Object(o)
                })
                .collect(),
        ))
    }

    /// `GetChanges` between `start_date` and `end_date` (inclusive, UTC), for one meeting
    /// (`meeting_id`) or service body (`service_body_id`).
    fn get_changes(&self, p: &Params) -> Value {
        let date = |key: &str| p.one(key).and_then(|d| d.parse::<jiff::civil::Date>().ok());
        let (start, end) = (date("start_date"), date("end_date"));
        let meeting = p.int("meeting_id");
        let body = p.int("service_body_id");
        let changes = (self.changes)();
        Value::Array(
            changes
                .iter()
                .filter(|c| {
                    let day = c.at.to_zoned(jiff::tz::TimeZone::UTC).date();
                    start.is_none_or(|s| day >= s) && end.is_none_or(|e| day <= e)
                })
                .filter(|c| meeting.is_none_or(|id| meeting_number(&c.meeting.id) as i64 == id))
                .filter(|c| {
                    body.is_none_or(|id| {
                        bmlt::source_body(c.meeting.fellowship, &c.meeting.source.id) as i64 == id
                            || bmlt::fellowship_body(c.meeting.fellowship) as i64 == id
                    })
                })
                .map(|c| {
                    let m = c.meeting;
                    let (kind, details) = match c.kind {
                        ChangeKind::New => ("comdef_change_type_new", "The meeting was first listed."),
                        ChangeKind::Change => {
                            ("comdef_change_type_change", "The meeting's source changed it.")
                        }
                    };
                    json!({
                        "date_int": c.at.as_second().to_string(),
                        "date_string": c.at.strftime("%-I:%M %p, %-m/%-d/%Y").to_string(),
                        "change_type": kind,
                        "change_id": "",
                        "meeting_id": meeting_number(&m.id).to_string(),
                        "meeting_name": m.name,
                        "user_id": "",
                        "user_name": m.source.name,
                        "service_body_id": bmlt::source_body(m.fellowship, &m.source.id).to_string(),
                        "service_body_name": format!("{} ({})", m.source.name, m.fellowship.info().name),
                        "meeting_exists": "1",
                        "details": details,
                        "json_data": "",
                    })
                })
                .collect(),
        )
    }

    /// `GetCoverageArea`: the box around every meeting with a position.
    fn coverage_area(&self) -> Value {
        match self.bounds() {
            None => json!([]),
            Some((n, w, s, e)) => json!([{
                "nw_corner_longitude": w.to_string(),
                "nw_corner_latitude": n.to_string(),
                "se_corner_longitude": e.to_string(),
                "se_corner_latitude": s.to_string(),
            }]),
        }
    }
}

/// `19:30:00` and `19:30` (or `19:30:0`) are the same time, as BMLT's `H:M` key values are.
fn same_time(ours: &str, asked: &str) -> bool {
    let parts = |t: &str| -> Vec<u32> {
        t.split(':')
            .take(2)
            .filter_map(|p| p.trim().parse().ok())
            .collect()
    };
    parts(ours) == parts(asked) && parts(asked).len() == 2
}

/// JSONP: `/**/callback(body);` — the callback name is limited to what JavaScript identifiers
/// and dotted paths use, so a crafted name cannot inject script.
pub fn jsonp(callback: &str, body: &str) -> Option<String> {
    let ok = !callback.is_empty()
        && callback.len() <= 128
        && callback
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '.'));
    ok.then(|| format!("/**/{callback}({body});"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_array_and_comma_params_read_alike() {
        let p =
            Params::parse("weekdays[]=2&weekdays[]=-3&venue_types=1,-2&get_used_formats&services%5B%5D=7");
        assert_eq!(p.signed("weekdays").0, HashSet::from([2]));
        assert_eq!(p.signed("weekdays").1, HashSet::from([3]));
        assert_eq!(p.signed("venue_types").0, HashSet::from([1]));
        assert_eq!(p.signed("venue_types").1, HashSet::from([2]));
        assert!(p.has("get_used_formats"));
        assert_eq!(p.signed("services").0, HashSet::from([7]));
        assert!(p.flag("get_used_formats"));
        // Values that do not read are left out, never a panic.
        let p = Params::parse("weekdays=x,%zz,99999999999999999999,-&geo_width=abc&page_size=-4");
        assert!(p.signed("weekdays").0.is_empty());
        assert_eq!(p.number("geo_width"), None);
    }

    #[test]
    fn upstream_distance_vectors() {
        // bmlt-server `GetSearchResultsTest.php`: 2.85 km and 10.03 km.
        let from = (36.065752051707, -79.793701171875);
        let near = bmlt_distance_km(from, (36.0733691, -79.8240715));
        let far = bmlt_distance_km(from, (36.0869819, -79.9023415));
        assert!((near - 2.85).abs() < 0.01, "{near}");
        assert!((far - 10.03).abs() < 0.01, "{far}");
    }

    #[test]
    fn format_ids_and_keys_are_unique_and_seeded_where_bmlt_seeds_them() {
        let formats = bmlt::formats();
        let ids: HashSet<u32> = formats.iter().map(|f| f.id).collect();
        let keys: HashSet<&str> = formats.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(ids.len(), formats.len());
        assert_eq!(keys.len(), formats.len());
        let by_naws = |naws: &str| {
            formats
                .iter()
                .find(|f| f.world_id == naws)
                .map(|f| (f.id, f.key.as_str()))
        };
        assert_eq!(by_naws("CLOSED"), Some((4, "C")));
        assert_eq!(by_naws("OPEN"), Some((17, "O")));
        assert_eq!(by_naws("WCHR"), Some((33, "WC")));
        assert_eq!(by_naws("VM"), Some((54, "VM")));
    }

    #[test]
    fn the_spec_has_87_type_codes() {
        assert_eq!(crate::formats::vocabulary::MEETING_GUIDE_SPEC.len(), 87);
    }

    #[test]
    fn jsonp_refuses_script_in_callback_names() {
        assert_eq!(jsonp("jsonp_1_2", "[]").as_deref(), Some("/**/jsonp_1_2([]);"));
        assert_eq!(jsonp("a);alert(1)//", "[]"), None);
    }
}
