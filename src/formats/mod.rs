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
pub mod vocabulary;

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
