//! One feed record on its way to becoming a meeting.
//!
//! Every format parser fills in a [`RawMeeting`] with what its record says, in the feed's own
//! terms but already parsed (days, times, codes looked up). [`RawMeeting::build`] then applies the
//! rules that are the same for every format (attendance from the clues given, defaults from the
//! source definition, stable ids, validation), so no format repeats them.

use std::collections::BTreeMap;
use std::fmt::Write;

use jiff::Timestamp;

use crate::domain::{
    Access, Attendance, Day, Fellowship, LocalTime, Location, Meeting, MeetingType, Online, Schedule,
    SourceRef, Status, Zone,
};
use crate::formats::vocabulary::Code;
use crate::hash::fnv1a;

/// What the source definition supplies to every record of a feed.
pub struct FeedContext {
    pub source: SourceRef,
    pub fellowship: Option<Fellowship>,
    pub timezone: Zone,
    pub country: Option<String>,
    /// `[min_lat, min_lon, max_lat, max_lon]` the source's meetings must lie in.
    pub bounds: Option<[f64; 4]>,
    /// Records with no venue, address or coordinates are online meetings.
    pub roomless_online: bool,
    pub now: Timestamp,
}

/// The default length of a meeting when a feed gives none (the Meeting Guide convention).
pub const DEFAULT_DURATION_MINUTES: u16 = 60;

/// A record as a feed describes it.
#[derive(Debug, Default, Clone)]
pub struct RawMeeting {
    /// The record's id in the feed, when it has one.
    pub record_id: Option<String>,
    pub fellowship: Option<Fellowship>,
    pub name: Option<String>,
    pub group_name: Option<String>,
    pub day: Option<Day>,
    pub start: Option<LocalTime>,
    pub end: Option<LocalTime>,
    pub duration_minutes: Option<u16>,
    pub timezone: Option<String>,
    pub types: Vec<MeetingType>,
    /// Codes this importer could not place, kept on the meeting as published.
    pub unknown_codes: Vec<String>,
    pub access: Option<Access>,
    /// Attendance the feed states outright (BMLT `venue_type`, TSML `attendance_option`).
    pub attendance: Option<Attendance>,
    pub online_flag: bool,
    pub temporarily_closed: bool,
    pub venue: Option<String>,
    pub address_lines: Vec<String>,
    pub town: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub approximate: bool,
    pub location_notes: Option<String>,
    pub online: Online,
    pub notes: Option<String>,
    pub updated: Option<Timestamp>,
    /// Raw values of the fields that cleaning changed (see [`super::clean`]), kept on the
    /// meeting's source record.
    pub raw: BTreeMap<String, String>,
}

/// Trims and drops empty text.
pub fn text(value: impl AsRef<str>) -> Option<String> {
    let t = value.as_ref().trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl RawMeeting {
    /// Applies what one feed code means.
    pub fn apply(&mut self, code: &str, meaning: Code) {
        match meaning {
            Code::Types(types) => self.types.extend(types),
            // Open and closed together means closed (TSML's rule): the stricter reading is safer
            // for someone who is not a member.
            Code::Access(Access::Closed) => self.access = Some(Access::Closed),
            Code::Access(access) => {
                if self.access != Some(Access::Closed) {
                    self.access = Some(access)
                }
            }
            Code::Online => self.online_flag = true,
            Code::Hybrid => self.attendance = Some(Attendance::Hybrid),
            Code::TemporarilyClosed => self.temporarily_closed = true,
            Code::Fellowship(f) => self.fellowship = Some(f),
            Code::Ignore => {}
            Code::Unknown => self.unknown_codes.push(code.trim().to_string()),
        }
    }

    fn has_room(&self) -> bool {
        self.venue.is_some()
            || !self.address_lines.is_empty()
            || self.postcode.is_some()
            || self.lat.is_some()
    }

    fn has_link(&self) -> bool {
        self.online.url.is_some() || self.online.phone.is_some()
    }

    /// A stable key for records without an id: what identifies a meeting to a person.
    fn content_key(&self, fellowship: Fellowship) -> String {
        let mut key = String::new();
        let _ = write!(
            key,
            "{fellowship}|{:?}|{:?}|{}|{}|{}",
            self.day,
            self.start,
            self.name.as_deref().unwrap_or(""),
            self.venue.as_deref().unwrap_or(""),
            self.postcode
                .as_deref()
                .or(self.address_lines.first().map(String::as_str))
                .unwrap_or(""),
        );
        format!("k{:016x}", fnv1a(&crate::search::fold_text(&key)))
    }

    /// Turns the record into a meeting, or says why it cannot be one.
    pub fn build(mut self, ctx: &FeedContext) -> Result<Meeting, String> {
        let fellowship = self
            .fellowship
            .or(ctx.fellowship)
            .ok_or("no fellowship (the source gives no default)")?;
        // Before any field is moved into the meeting: the content key reads name, venue and
        // address (it used to be computed after they were taken, so every id-less meeting of a
        // fellowship at the same day and time got the same id, and all but one were rejected).
        let record_key = match &self.record_id {
            Some(id) => id.clone(),
            None => self.content_key(fellowship),
        };
        let timezone = match &self.timezone {
            Some(name) => Zone::get(name).ok_or_else(|| format!("`{name}` is not an IANA time zone"))?,
            None => ctx.timezone.clone(),
        };
        let schedule = match (self.day, self.start) {
            (Some(day), Some(start)) => {
                let minutes = self
                    .duration_minutes
                    .filter(|m| (1..=24 * 60).contains(m))
                    .or_else(|| {
                        self.end.map(
                            |end| match (end.minutes() + 24 * 60 - start.minutes()) % (24 * 60) {
                                0 => DEFAULT_DURATION_MINUTES,
                                d => d,
                            },
                        )
                    })
                    .unwrap_or(DEFAULT_DURATION_MINUTES);
                Some(Schedule::new(day, start, minutes, timezone, Vec::new()).map_err(|e| e.to_string())?)
            }
            (Some(_), None) => return Err("has a day but no valid start time".into()),
            (None, Some(_)) => return Err("has a start time but no valid day".into()),
            (None, None) => None,
        };
        if let (Some(lat), Some(lon), Some([min_lat, min_lon, max_lat, max_lon])) =
            (self.lat, self.lon, ctx.bounds)
        {
            if !(min_lat..=max_lat).contains(&lat) || !(min_lon..=max_lon).contains(&lon) {
                return Err(format!(
                    "coordinates ({lat}, {lon}) are outside the source's area"
                ));
            }
        }
        if self
            .lat
            .zip(self.lon)
            .is_some_and(|(lat, lon)| lat == 0.0 && lon == 0.0)
        {
            // (0, 0) is how many systems write "not geocoded".
            (self.lat, self.lon) = (None, None);
        }

        // Attendance from what the record says: a room (not merely an approximate area) and/or a
        // way to join remotely. A closed venue with a link is online for now.
        let room = self.has_room() && !self.approximate;
        let remote = self.has_link() || self.online_flag || (ctx.roomless_online && !self.has_room());
        let attendance = match self.attendance {
            Some(stated) => stated,
            None if self.temporarily_closed && remote => Attendance::Online,
            None if room && remote => Attendance::Hybrid,
            None if remote && !room => Attendance::Online,
            None => Attendance::InPerson,
        };
        let status = if self.temporarily_closed && attendance != Attendance::Online {
            Status::TemporarilyClosed
        } else {
            Status::Active
        };
        if attendance.has_room() && !self.has_room() {
            return Err("in-person meeting with no venue, address or coordinates".into());
        }
        let location = attendance.has_room().then(|| Location {
            venue: self.venue.take(),
            address_lines: std::mem::take(&mut self.address_lines),
            town: self.town.take(),
            postcode: self.postcode.take(),
            country: self.country.take().or_else(|| ctx.country.clone()),
            lat: self.lat,
            lon: self.lon,
            approximate: self.approximate,
            notes: self.location_notes.take(),
        });
        let online = (attendance.is_remote()).then(|| std::mem::take(&mut self.online));
        let name = self
            .name
            .take()
            .or_else(|| self.group_name.clone())
            .or_else(|| location.as_ref().and_then(|l| l.venue.clone()))
            .ok_or("no name, group or venue to call it by")?;
        let id = meeting_id(&ctx.source.id, &record_key);
        let updated_at = self.updated.unwrap_or(ctx.now);
        Meeting {
            id,
            fellowship,
            name,
            group_name: self.group_name.take(),
            schedule,
            access: self.access.unwrap_or(Access::Unknown),
            attendance,
            types: std::mem::take(&mut self.types),
            source_types: std::mem::take(&mut self.unknown_codes),
            location,
            online,
            notes: self.notes.take(),
            status,
            source: SourceRef {
                record_id: self.record_id.take(),
                raw: std::mem::take(&mut self.raw),
                ..ctx.source.clone()
            },
            also_listed_by: Vec::new(),
            first_seen_at: ctx.now,
            updated_at,
            last_seen_at: ctx.now,
            reported: None,
        }
        .normalise()
        .map_err(|e| e.to_string())
    }
}

/// A meeting id that stays the same across re-imports: the source id and the record's key,
/// readable when the key is simple, hashed when it is not.
pub fn meeting_id(source_id: &str, record_key: &str) -> String {
    let simple = !record_key.is_empty()
        && record_key.len() <= 64
        && record_key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if simple {
        format!("{source_id}-{record_key}")
    } else {
        format!("{source_id}-h{:016x}", fnv1a(record_key))
    }
}

/// Parses a time of day as feeds write it: `19:30`, `7:30`, `19:30:00`, `7:30 PM`, `7pm`.
pub fn parse_time(value: &str) -> Option<LocalTime> {
    let v = value.trim().to_ascii_lowercase();
    let (clock, pm) = if let Some(rest) = v.strip_suffix("pm") {
        (rest.trim(), Some(true))
    } else if let Some(rest) = v.strip_suffix("am") {
        (rest.trim(), Some(false))
    } else {
        (v.as_str(), None)
    };
    let parsed = LocalTime::parse(clock).or_else(|| {
        let hour: u8 = clock.parse().ok()?;
        LocalTime::from_hm(hour, 0)
    })?;
    match pm {
        None => Some(parsed),
        Some(pm) => {
            let hour = parsed.hour();
            if hour == 0 || hour > 12 {
                return None;
            }
            let hour = match (hour, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
            LocalTime::from_hm(hour, parsed.minute())
        }
    }
}

/// Parses a length as sheets write it: `90`, `1:30`, `01:30:00`, `1hr 30mins`, `2hrs`, `45 mins`.
/// Empty, zero or negative lengths are unknown.
pub fn parse_duration(value: &str) -> Option<u16> {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() || v.starts_with('-') {
        return None;
    }
    if let Ok(minutes) = v.parse::<u16>() {
        return (minutes > 0).then_some(minutes);
    }
    if v.contains(':') {
        let mut parts = v.split(':').map(|p| p.parse::<u16>().ok());
        let (h, m) = (parts.next()??, parts.next()??);
        let total = h * 60 + m;
        return (total > 0).then_some(total);
    }
    let mut total = 0u16;
    let mut number = String::new();
    let mut seen = false;
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        if c.is_alphabetic() && !number.is_empty() {
            let mut unit = c.to_string();
            while let Some(&n) = chars.peek().filter(|n| n.is_alphabetic()) {
                unit.push(n);
                chars.next();
            }
            let n: u16 = number.parse().ok()?;
            number.clear();
            total += match unit.as_str() {
                "h" | "hr" | "hrs" | "hour" | "hours" => n * 60,
                "m" | "min" | "mins" | "minute" | "minutes" => n,
                _ => return None,
            };
            seen = true;
        }
    }
    (seen && total > 0).then_some(total)
}

/// Upper-case postcode with its space where it belongs: UK `LL111AA` → `LL11 1AA`; an Irish
/// Eircode `T23WA22` or `T23W A22` → `T23 WA22`.
pub fn normalise_postcode(value: &str, country: Option<&str>) -> Option<String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.is_empty() {
        return None;
    }
    if country == Some("IE") && compact.len() == 7 {
        return Some(format!("{} {}", &compact[..3], &compact[3..]));
    }
    // A full UK postcode ends in digit, letter, letter and starts with a letter.
    let bytes = compact.as_bytes();
    let uk_full = (5..=7).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 3].is_ascii_digit()
        && bytes[bytes.len() - 2..].iter().all(u8::is_ascii_alphabetic);
    if uk_full {
        let (outward, inward) = compact.split_at(compact.len() - 3);
        return Some(format!("{outward} {inward}"));
    }
    Some(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_feeds_write_them() {
        for (text, want) in [
            ("19:30", "19:30"),
            ("7:05", "07:05"),
            ("19:30:00", "19:30"),
            ("6:00 PM", "18:00"),
            ("12:15 am", "00:15"),
            ("12:00 PM", "12:00"),
            ("7pm", "19:00"),
        ] {
            assert_eq!(
                parse_time(text).map(|t| t.to_string()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for bad in ["", "25:00", "13:00 PM", "noon", "19.30"] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_as_sheets_write_them() {
        for (text, want) in [
            ("1hr 30mins", 90),
            ("1hr ", 60),
            ("2hrs", 120),
            ("0hr 45mins", 45),
            ("45mins", 45),
            ("90", 90),
            ("01:30:00", 90),
            ("1:15", 75),
            ("1 hour 15 minutes", 75),
        ] {
            assert_eq!(parse_duration(text), Some(want), "{text}");
        }
        for unknown in ["", "-1hr ", "-11hr ", "0", "0hr", "soon", "00:00:00"] {
            assert_eq!(parse_duration(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn postcodes_get_their_space() {
        assert_eq!(
            normalise_postcode("ll111aa", Some("GB")).as_deref(),
            Some("LL11 1AA")
        );
        assert_eq!(normalise_postcode("LL11  1AA", None).as_deref(), Some("LL11 1AA"));
        assert_eq!(normalise_postcode("sw1a1aa", None).as_deref(), Some("SW1A 1AA"));
        assert_eq!(
            normalise_postcode("T23W A22", Some("IE")).as_deref(),
            Some("T23 WA22")
        );
        assert_eq!(normalise_postcode("bn2", None).as_deref(), Some("BN2"));
        assert_eq!(normalise_postcode("98765", Some("US")).as_deref(), Some("98765"));
        assert_eq!(normalise_postcode("  ", None), None);
    }

    #[test]
    fn ids_are_stable_and_safe() {
        assert_eq!(meeting_id("na-gny", "1452"), "na-gny-1452");
        assert_eq!(meeting_id("uk", "316/"), meeting_id("uk", "316/"));
        assert!(meeting_id("uk", "316/").starts_with("uk-h"));
    }
}
