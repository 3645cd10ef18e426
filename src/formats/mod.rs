//! Every external format meetingmap reads or writes, with no HTTP inside: the feed readers
//! (Meeting Guide JSON, BMLT, CSV sheets) and the code tables they share ([`vocabulary`]), and the
//! writers of what the API and the command line hand out (iCalendar, CSV, GeoJSON, the printable
//! hand-out). The import pipeline ([`crate::import`]) and the HTTP layer choose *when* to read or
//! write; this module only knows *how*.

pub mod backup;
pub mod bmlt;
pub mod bmlt_server;
pub mod csv_feed;
pub mod handout;
pub mod handout_form;
pub mod html;
pub mod ical;
pub mod locator;
pub mod meeting_guide;
pub mod oruk;
pub mod pages;
pub mod qr;
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

/// The UTF-8 byte-order mark, which spreadsheet programs and Windows editors put at the start of
/// files. It is not text: a JSON parser refuses it and a CSV reader would read it into the first
/// header.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A feed's bytes without a leading byte-order mark.
pub(crate) fn without_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(BOM).unwrap_or(body)
}

/// Parses a JSON feed (a leading byte-order mark allowed). A syntax error says where: line and
/// column, and which record of the feed's array it is in, since many feeds are one long line.
pub(crate) fn read_json(body: &[u8], what: &'static str) -> Result<serde_json::Value, FeedError> {
    let body = without_bom(body);
    serde_json::from_slice(body).map_err(|e| json_error(body, what, e))
}

/// A JSON syntax error in `body` (without its byte-order mark) as a feed error saying where.
pub(crate) fn json_error(body: &[u8], what: &'static str, e: serde_json::Error) -> FeedError {
    {
        // serde_json calls a lone surrogate "unexpected end of hex escape" or "lone leading
        // surrogate": say what it is, and where.
        let error_at = offset_of(body, e.line(), e.column());
        let surrogate = lone_surrogate(body).filter(|at| error_at.is_none_or(|e| *at <= e));
        let (message, offset) = match surrogate {
            Some(at) => (
                format!(
                    "a lone UTF-16 surrogate `{}` (half of a character, not text) at line {} column {}",
                    String::from_utf8_lossy(&body[at..at + 6]),
                    body[..at].iter().filter(|b| **b == b'\n').count() + 1,
                    at - body[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1,
                ),
                Some(at),
            ),
            None => (e.to_string(), error_at),
        };
        let reason = match offset.and_then(|at| json_record_at(body, at)) {
            Some(record) => format!("{message} (in record {record})"),
            None => message,
        };
        FeedError::Malformed { what, reason }
    }
}

/// The byte offset of a 1-based line and column.
fn offset_of(body: &[u8], line: usize, column: usize) -> Option<usize> {
    let line_start = match line {
        0 => return None,
        1 => 0,
        _ => body
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)?,
    };
    Some((line_start + column.saturating_sub(1)).min(body.len()))
}

/// Where the first `\uXXXX` escape that is half of a surrogate pair without its other half is.
fn lone_surrogate(body: &[u8]) -> Option<usize> {
    let hex = |at: usize| -> Option<u16> {
        let digits = body.get(at..at + 4)?;
        u16::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
    };
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            i += 1;
            continue;
        }
        if body.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        match hex(i + 2) {
            Some(0xD800..=0xDBFF) => {
                let paired = body.get(i + 6..i + 8) == Some(&b"\\u"[..])
                    && matches!(hex(i + 8), Some(0xDC00..=0xDFFF));
                if !paired {
                    return Some(i);
                }
                i += 12;
            }
            Some(0xDC00..=0xDFFF) => return Some(i),
            _ => i += 6,
        }
    }
    None
}

/// Which element (1-based) of the outermost array a byte offset falls in, counting only commas
/// outside strings at that array's depth.
fn json_record_at(body: &[u8], offset: usize) -> Option<usize> {
    let offset = offset.min(body.len());
    let (mut depth, mut array_depth, mut record) = (0usize, None, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in &body[..offset] {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if b == b'[' && array_depth.is_none() {
                    array_depth = Some(depth);
                    record = 1;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if Some(depth) == array_depth => record += 1,
            _ => {}
        }
    }
    array_depth.map(|_| record)
}

/// What a format parser found: records to build, and records it could not read at all.
#[derive(Debug, Default)]
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

#[cfg(test)]
mod tests;
