//! Where meetings came from: the record of each import of a source.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// The source's meetings were replaced with the feed's.
    Succeeded,
    /// The feed had not changed (HTTP 304); meetings were confirmed as still listed.
    Unchanged,
    /// Nothing was changed; `reason` says why.
    Failed,
}

/// Counts for one import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportCounts {
    /// Records in the feed.
    pub records: usize,
    /// Records that became meetings.
    pub accepted: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Meetings of this source that the feed no longer lists.
    pub removed: usize,
    pub rejected: usize,
    /// Accepted in-person meetings without coordinates that were placed at their postcode's
    /// centroid (marked approximate).
    pub placed_by_postcode: usize,
    /// Accepted in-person meetings left without coordinates (listed, never "near").
    pub without_coordinates: usize,
    /// Accepted records the import had to change beyond cleaning their text (see `warnings`).
    #[serde(default)]
    pub warned: usize,
}

/// A feed record that could not become a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RejectedRecord {
    /// Which record: its id, row or position in the feed.
    pub record: String,
    pub reason: String,
}

/// Something the import changed in a record it accepted: an unsafe link dropped, a field cut to
/// its length limit. The meeting keeps the raw value in `source.raw`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ImportWarning {
    /// Which record: its id, row or position in the feed.
    pub record: String,
    pub warning: String,
}

/// A type code the importer could not map, kept on meetings as a raw tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnknownType {
    pub code: String,
    pub meetings: usize,
}

/// One attempt to import a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportRun {
    pub source_id: String,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: Timestamp,
    pub outcome: ImportOutcome,
    /// Why it failed, or what was overridden.
    pub reason: Option<String>,
    /// The size guard was overridden (`--force`).
    pub forced: bool,
    pub counts: ImportCounts,
    pub rejects: Vec<RejectedRecord>,
    /// What was changed in accepted records (links dropped, fields cut), at most 1,000.
    #[serde(default)]
    pub warnings: Vec<ImportWarning>,
    pub unknown_types: Vec<UnknownType>,
    /// HTTP validators of the fetched feed, for the next conditional request.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The feed's own date, as distinct from when it was imported: the day of its HTTP
    /// `Last-Modified`, else a date in the file's name (dumps are named by the day they were
    /// made, such as `meetings-2026-08-05.csv`). A dump imported today may list meetings as they
    /// were months ago, and a reader should be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub feed_date: Option<jiff::civil::Date>,
    /// SHA-256 (hex) of the feed's bytes and of what else decides the meetings built from them
    /// (the source definition, this version of meetingmap): the next import of identical
    /// content is recorded as unchanged without rebuilding or rewriting anything.
    #[serde(default)]
    pub content_hash: Option<String>,
}

impl ImportRun {
    /// A run of `source_id` started (and, until it says otherwise, finished) `at`, with this
    /// outcome and nothing else known yet: no counts, rejects, validators or hash.
    pub fn begun(source_id: impl Into<String>, at: Timestamp, outcome: ImportOutcome) -> ImportRun {
        ImportRun {
            source_id: source_id.into(),
            started_at: at,
            finished_at: at,
            outcome,
            reason: None,
            forced: false,
            counts: ImportCounts::default(),
            rejects: Vec::new(),
            warnings: Vec::new(),
            unknown_types: Vec::new(),
            etag: None,
            last_modified: None,
            feed_date: None,
            content_hash: None,
        }
    }
}

/// The feed's own date (see [`ImportRun::feed_date`]) from an HTTP `Last-Modified` value or,
/// failing that, the first `YYYY-MM-DD` in a file name that is a real date.
pub fn feed_date(last_modified: Option<&str>, file_name: Option<&str>) -> Option<jiff::civil::Date> {
    // An HTTP date is RFC 2822 with the zone written `GMT`.
    let http = last_modified
        .and_then(|text| jiff::fmt::rfc2822::parse(text).ok())
        .map(|at| at.date());
    http.or_else(|| {
        let name = file_name?;
        let bytes = name.as_bytes();
        (0..bytes.len().saturating_sub(9)).find_map(|i| {
            let candidate = name.get(i..i + 10)?;
            let shaped = candidate.bytes().enumerate().all(|(k, b)| match k {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
            shaped.then(|| candidate.parse().ok()).flatten()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::feed_date;

    #[test]
    fn a_feed_date_comes_from_http_then_the_file_name() {
        let day = |text: &str| Some(text.parse::<jiff::civil::Date>().unwrap());
        assert_eq!(
            feed_date(Some("Wed, 05 Aug 2026 10:00:00 GMT"), None),
            day("2026-08-05")
        );
        // The HTTP date wins over a name.
        assert_eq!(
            feed_date(
                Some("Tue, 01 Sep 2026 00:00:00 GMT"),
                Some("meetings-2026-08-05.csv")
            ),
            day("2026-09-01")
        );
        assert_eq!(
            feed_date(None, Some("meetings-2026-08-05.redacted.csv")),
            day("2026-08-05")
        );
        assert_eq!(
            feed_date(Some("yesterday"), Some("2026-08-05")),
            day("2026-08-05")
        );
        // Shapes that are not real dates, or no date at all.
        for name in [
            "meetings-2026-13-45.csv",
            "meetings.csv",
            "2026-8-5.csv",
            "",
            "12345678901",
        ] {
            assert_eq!(feed_date(None, Some(name)), None, "{name}");
        }
    }
}
