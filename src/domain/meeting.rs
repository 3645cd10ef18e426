//! A meeting as meetingmap lists it, and the rules every stored meeting obeys.
//!
//! The serde form of [`Meeting`] is the API's meeting representation and also the backup format
//! (`meetingmap export` / `load`), so it has to carry everything and round-trip exactly.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Fellowship, MeetingType, Schedule};

/// Who may attend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone may attend, including friends, family and professionals.
    Open,
    /// Only people who share the fellowship's problem (or, for family groups, its concern).
    Closed,
    /// The source does not say.
    Unknown,
}

impl Access {
    /// `open` or `closed`, any case: what a filter may ask for (`Unknown` is not asked for).
    pub fn parse(text: &str) -> Option<Access> {
        match text.trim().to_ascii_lowercase().as_str() {
            "open" => Some(Access::Open),
            "closed" => Some(Access::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Open => "open",
            Access::Closed => "closed",
            Access::Unknown => "unknown",
        }
    }
}

/// How people take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    InPerson,
    Online,
    /// In a room and online at the same time.
    Hybrid,
}

impl Attendance {
    pub const ALL: [Attendance; 3] = [Attendance::InPerson, Attendance::Online, Attendance::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::InPerson => "in_person",
            Attendance::Online => "online",
            Attendance::Hybrid => "hybrid",
        }
    }

    pub fn parse(text: &str) -> Option<Attendance> {
        let text = text.trim();
        Attendance::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(text))
    }

    /// Has a room people can walk into.
    pub fn has_room(self) -> bool {
        self != Attendance::Online
    }

    /// Can be joined from anywhere.
    pub fn is_remote(self) -> bool {
        self != Attendance::InPerson
    }
}

/// Whether the meeting is currently running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// The group says it is not meeting for now (venue closed, holiday break).
    TemporarilyClosed,
}

/// Where a meeting is held in person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Building name (`St Mary's Church Hall`).
    #[serde(default)]
    pub venue: Option<String>,
    /// Street address, one line per entry, without town or postcode.
    #[serde(default)]
    pub address_lines: Vec<String>,
    #[serde(default)]
    pub town: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2 country code (`GB`, `IE`).
    #[serde(default)]
    pub country: Option<String>,
    /// WGS84 latitude in degrees; null when the source gave no usable position (then the meeting
    /// is listed but never "near" anything).
    #[serde(default)]
    pub lat: Option<f64>,
    /// WGS84 longitude in degrees; null with `lat`.
    #[serde(default)]
    pub lon: Option<f64>,
    /// True when the point is only roughly right (for example a postcode centroid).
    #[serde(default)]
    pub approximate: bool,
    /// How to find the room (`side door, first floor`).
    #[serde(default)]
    pub notes: Option<String>,
}

impl Location {
    /// The position, when both coordinates are known.
    pub fn point(&self) -> Option<(f64, f64)> {
        self.lat.zip(self.lon)
    }

    /// The address as one line: venue, address lines, town and postcode, those given, joined by
    /// `, ` (empty when none is).
    pub fn address(&self) -> String {
        self.venue
            .iter()
            .chain(&self.address_lines)
            .chain(&self.town)
            .chain(&self.postcode)
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// How to join a meeting remotely.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Online {
    #[serde(default)]
    pub url: Option<String>,
    /// Dial-in number, as the group publishes it.
    #[serde(default)]
    pub phone: Option<String>,
    /// Meeting id, passcode hints or other joining notes, as published.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Conferencing services people join meetings on: the host of a join link (or a domain it is a
/// subdomain of), and the service's name as people know it. Importers use the hosts to recognise
/// join links left in notes; pages name the platform beside the link.
pub const CONFERENCING_SERVICES: &[(&str, &str)] = &[
    ("zoom.us", "Zoom"),
    ("zoom.com", "Zoom"),
    ("teams.microsoft.com", "Microsoft Teams"),
    ("teams.live.com", "Microsoft Teams"),
    ("meet.google.com", "Google Meet"),
    ("whereby.com", "Whereby"),
    ("webex.com", "Webex"),
    ("meet.jit.si", "Jitsi Meet"),
    ("gotomeeting.com", "GoTo Meeting"),
    ("meet.goto.com", "GoTo Meeting"),
    ("join.skype.com", "Skype"),
];

/// The conferencing service a link goes to, by its host (`us02web.zoom.us` is Zoom).
pub fn conferencing_service(url: &str) -> Option<&'static str> {
    let lower = url.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    CONFERENCING_SERVICES
        .iter()
        .find(|(h, _)| host == *h || host.strip_suffix(h).is_some_and(|p| p.ends_with('.')))
        .map(|(_, name)| *name)
}

impl Online {
    /// The service the join link goes to (`Zoom`, `Microsoft Teams`...), when it is a known one.
    pub fn platform(&self) -> Option<&'static str> {
        self.url.as_deref().and_then(conferencing_service)
    }
}

/// Where a listing came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// Source id (see `/v1/sources`).
    pub id: String,
    /// Display name of the source.
    pub name: String,
    /// Attribution or licence text the source asks for.
    pub attribution: String,
    /// The record's own id in the source feed, when it has one.
    #[serde(default)]
    pub record_id: Option<String>,
    /// What the feed said, for each field that the import cleaned (HTML stripped, entities
    /// decoded, capitals repaired, an unsafe link dropped, a long value cut), keyed by field
    /// (`name`, `notes`, `online.url`, `address_lines`...). Absent when nothing was changed.
    /// Raw values longer than 2,000 characters are kept shortened.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, String>,
}

/// One meeting: a group's regular gathering at one time and place (or online room).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Meeting {
    /// Opaque, stable id.
    pub id: String,
    #[schema(value_type = String, example = "aa")]
    pub fellowship: Fellowship,
    pub name: String,
    #[serde(default)]
    pub group_name: Option<String>,
    /// Null for groups with no fixed time (online groups that run around the clock, e-mail
    /// groups, meetings by arrangement): they are listed, but have no occurrences and never match
    /// day or time filters.
    #[serde(default)]
    pub schedule: Option<Schedule>,
    pub access: Access,
    pub attendance: Attendance,
    /// Namespaced types (`format:speaker`, `community:women`, `accessibility:wheelchair`,
    /// `language:cy`); see `/v1/types`.
    #[schema(value_type = Vec<String>, example = json!(["format:step", "accessibility:wheelchair", "language:en"]))]
    #[serde(default)]
    pub types: Vec<MeetingType>,
    /// Type codes from the source that have no meetingmap type, kept as published.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_types: Vec<String>,
    /// Null for online-only meetings.
    #[serde(default)]
    pub location: Option<Location>,
    /// Null for in-person meetings.
    #[serde(default)]
    pub online: Option<Online>,
    #[serde(default)]
    pub notes: Option<String>,
    pub status: Status,
    pub source: SourceRef,
    /// Other sources that list the same meeting (same fellowship, day, time and place, similar
    /// name); their copies are merged into this one in search results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_listed_by: Vec<SourceRef>,
    /// When meetingmap first saw this meeting (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub first_seen_at: Timestamp,
    /// When the source last changed this meeting (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// When meetingmap last saw this meeting in its source (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: Timestamp,
    /// Present while people have reported a problem with this meeting that no editor has
    /// resolved yet ("reported as possibly moved on 3 December 2026").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<super::Reported>,
}

/// Why a meeting cannot be stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidMeeting {
    #[error("id is empty")]
    EmptyId,
    #[error("name is empty")]
    EmptyName,
    #[error("{0} meetings need a location")]
    MissingLocation(&'static str),
    #[error("online meetings have no location; use `hybrid` for a meeting in a room and online")]
    OnlineWithLocation,
    #[error("coordinates ({}, {}) are not a point on Earth", coordinate(.lat), coordinate(.lon))]
    BadCoordinates { lat: Option<f64>, lon: Option<f64> },
}

/// A coordinate in a message: the number, or "none" (never Rust's `Some(..)`).
fn coordinate(value: &Option<f64>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

impl Meeting {
    /// Puts the meeting in canonical form (sorted unique types, trimmed text) and checks the rules
    /// the search index depends on.
    pub fn normalise(mut self) -> Result<Meeting, InvalidMeeting> {
        self.id = self.id.trim().to_string();
        self.name = self.name.trim().to_string();
        if self.id.is_empty() {
            return Err(InvalidMeeting::EmptyId);
        }
        if self.name.is_empty() {
            return Err(InvalidMeeting::EmptyName);
        }
        self.types.sort_unstable();
        self.types.dedup();
        self.source_types.sort_unstable();
        self.source_types.dedup();
        match (&self.location, self.attendance.has_room()) {
            (None, true) => return Err(InvalidMeeting::MissingLocation(self.attendance.as_str())),
            (Some(_), false) => return Err(InvalidMeeting::OnlineWithLocation),
            (Some(loc), true) => {
                let valid = match (loc.lat, loc.lon) {
                    (Some(lat), Some(lon)) => {
                        (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
                    }
                    (None, None) => true,
                    _ => false,
                };
                if !valid {
                    return Err(InvalidMeeting::BadCoordinates {
                        lat: loc.lat,
                        lon: loc.lon,
                    });
                }
            }
            (None, false) => {}
        }
        Ok(self)
    }

    /// Languages the meeting is held in.
    pub fn languages(&self) -> impl Iterator<Item = MeetingType> + '_ {
        self.types
            .iter()
            .copied()
            .filter(|t| t.facet() == super::Facet::Language)
    }
}
