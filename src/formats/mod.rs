//! Every external format meetingmap reads or writes, with no HTTP inside: the feed readers
//! (Meeting Guide JSON, BMLT, CSV sheets) and the code tables they share ([`vocabulary`]), and the
//! writers of what the API and the command line hand out (iCalendar, CSV, GeoJSON, the printable
//! hand-out). The import pipeline ([`crate::import`]) and the HTTP layer choose *when* to read or
//! write; this module only knows *how*.

pub mod backup;
pub mod bmlt;
pub mod csv_feed;
pub mod handout;
pub mod html;
pub mod ical;
pub mod meeting_guide;
pub mod tables;
pub mod vocabulary;

/// A representation of an answer: what `format=` and `Accept` choose between.
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
            Format::Ics => ical::CONTENT_TYPE,
            Format::Html => "text/html; charset=utf-8",
        }
    }

    /// The media type alone, as `Accept` names it.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Ics => "text/calendar",
            Format::Html => "text/html",
            other => other.content_type(),
        }
    }
}

use crate::domain::RejectedRecord;
use crate::import::record::RawMeeting;

/// Why a feed as a whole could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("the feed is not valid {what}: {reason}")]
    Malformed { what: &'static str, reason: String },
    #[error("the feed is not in the expected shape: {0}")]
    Shape(String),
    #[error("the CSV mapping is wrong: {0}")]
    Mapping(String),
}

impl FeedError {
    pub(crate) fn malformed(what: &'static str, error: impl std::fmt::Display) -> FeedError {
        FeedError::Malformed {
            what,
            reason: error.to_string(),
        }
    }
}

/// What a format parser found: records to build, and records it could not read at all.
#[derive(Default)]
pub struct Parsed {
    pub(crate) records: Vec<(String, RawMeeting)>,
    pub(crate) rejects: Vec<RejectedRecord>,
}

impl Parsed {
    pub(crate) fn accept(&mut self, label: String, raw: RawMeeting) {
        self.records.push((label, raw));
    }

    pub(crate) fn reject(&mut self, record: String, reason: impl Into<String>) {
        self.rejects.push(RejectedRecord {
            record,
            reason: reason.into(),
        });
    }
}
