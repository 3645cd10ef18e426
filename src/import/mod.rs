//! Importing meeting feeds: AA intergroups' Meeting Guide JSON, NA's BMLT servers, and
//! spreadsheets, into the directory, safely.
//!
//! The readers in [`crate::formats`] turn a feed's bytes into [`record::RawMeeting`]s; everything after that is
//! shared: building meetings with stable ids, rejecting bad records one by one, and the guards
//! that make a broken feed harmless. An import replaces its source's meetings in one transaction
//! together with its history entry, and only when the feed is sound: a fetch error, a parse
//! error, an empty feed or one that shrank by more than the source allows leaves the data as it was
//! and records a failed import saying why.

pub mod clean;
pub mod fetch;
pub mod record;
pub mod schedule;
pub mod source;

use crate::formats::{bmlt, csv_feed, meeting_guide};
pub use crate::formats::{FeedError, Parsed};

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use indicatif::ProgressBar;
use jiff::Timestamp;

use crate::directory::Directory;
use crate::domain::{
    ImportCounts, ImportOutcome, ImportRun, ImportWarning, Meeting, RejectedRecord, SourceRef, UnknownType,
};
use crate::gazetteer::Gazetteer;
use crate::store::StoreError;
use fetch::{FetchError, Fetched, Fetcher};
use record::FeedContext;
use source::{FeedFormat, Location, SourceDefinition};

/// How many rejected records (and warnings) an import keeps in its history.
const MAX_REJECTS_KEPT: usize = 1000;

/// Longest record label or reject reason kept in the history.
const MAX_MESSAGE_CHARS: usize = 300;

/// The least time between two stored coverage summaries (see `coverage::trends::keep`).
pub const TRENDS_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Why an import could not record its outcome. A feed that cannot be used is not an error: it is
/// a failed run, its [`Refusal`] the reason, kept in the history.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a feed was not used: the failed run's reason.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error("GetFormats: {0}")]
    Formats(FeedError),
    #[error("GetFormats answered 304 to an unconditional request")]
    FormatsNotModified,
    #[error("the feed has no usable meetings ({records} records, {rejected} rejected)")]
    Empty { records: usize, rejected: usize },
    #[error("{0}; import with --force if this is right")]
    Shrank(Shrink),
    /// The source is kept by hand (`meetingmap local-source`): its editors' meetings are never
    /// replaced by a feed.
    #[error("`{0}` is a source kept by hand; imports never touch it (choose another source id)")]
    KeptByHand(String),
    /// Reading the source's meetings failed: an error of the import, not an outcome of it.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A feed that lost more meetings than its source allows.
#[derive(Debug)]
pub struct Shrink {
    pub from: usize,
    pub to: usize,
    /// The source's `max_shrink`, as a fraction.
    pub allowed: f64,
}

impl std::fmt::Display for Shrink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the feed shrank from {} to {} meetings, more than the {:.0}% this source allows",
            self.from,
            self.to,
            self.allowed * 100.0
        )
    }
}

/// Options for one import.
#[derive(Clone, Default)]
pub struct ImportOptions {
    /// Import even if the feed shrank by more than the source's `max_shrink`.
    pub force: bool,
    /// Shows progress on a terminal; hidden in the server.
    pub progress: Option<ProgressBar>,
}

/// Runs imports, one at a time, into a directory.
pub struct Importer {
    directory: Directory,
    fetcher: Fetcher,
    /// Places meetings that give a postcode but no coordinates.
    gazetteer: Arc<Gazetteer>,
    running: tokio::sync::Mutex<()>,
    /// Whether imports that write meetings store a coverage summary for trends, and how long
    /// a stored one stands before the next import takes another (see [`Importer::with_trends`]).
    trends: Option<std::time::Duration>,
}

impl Importer {
    pub fn new(directory: Directory, fetcher: Fetcher, gazetteer: Arc<Gazetteer>) -> Importer {
        Importer {
            directory,
            fetcher,
            gazetteer,
            running: tokio::sync::Mutex::new(()),
            trends: None,
        }
    }

    /// Stores a coverage summary after imports that write meetings (see `coverage::trends`),
    /// for a library user that imports without serving. Off by default, as a summary costs an
    /// analysis of Great Britain (and, in a process that serves nothing, a search index built
    /// only for it): the server takes its trends from the snapshot it serves
    /// (`coverage::trends::keep`), whoever wrote the data, and `meetingmap import` takes none. At most one an hour ([`TRENDS_EVERY`]): trends are read by the
    /// day ("change since 1 November"), while feeds may be imported every few minutes, and an
    /// analysis per import made each import several times slower and each busy server's CPU
    /// go to summaries nobody reads.
    pub fn with_trends(self) -> Importer {
        self.with_trends_every(TRENDS_EVERY)
    }

    /// [`Importer::with_trends`] with another interval between summaries (zero: after every
    /// import that writes meetings, as tests want).
    pub fn with_trends_every(mut self, every: std::time::Duration) -> Importer {
        self.trends = Some(every);
        self
    }

    /// When the source was last imported, successfully or not.
    pub async fn last_attempt(&self, source_id: &str) -> Option<Timestamp> {
        let run = self.directory.last_import(source_id).await.ok()??;
        Some(run.started_at)
    }

    /// Imports one source and records the outcome, which is also returned. Failures are outcomes,
    /// not errors: the history is where they are seen.
    pub async fn import(
        &self,
        source: &SourceDefinition,
        options: &ImportOptions,
    ) -> Result<ImportRun, ImportError> {
        let _one_at_a_time = self.running.lock().await;
        let started_at = Timestamp::now();
        let directory = &self.directory;
        let last_good = directory.last_success(&source.id).await?;
        let mut run = ImportRun {
            forced: options.force,
            ..ImportRun::begun(&source.id, started_at, ImportOutcome::Failed)
        };
        let outcome = self.prepare(source, options, last_good.as_ref(), &mut run).await;
        run.finished_at = Timestamp::now();
        match outcome {
            Ok(Prepared::Replace(meetings)) => {
                // Refreshes the snapshot too.
                run.counts = directory.apply_import(&meetings, &run).await?;
                if let Some(every) = self.trends.filter(|_| run.outcome == ImportOutcome::Succeeded) {
                    // The coverage trend of this import: a failure to take it is no failure of
                    // the import, which is done.
                    match crate::coverage::trends::record_unless_recent(directory, every).await {
                        Ok(rows) => tracing::debug!(source = %source.id, rows, "coverage summary stored"),
                        Err(e) => {
                            tracing::warn!(source = %source.id, error = %e, "cannot store the coverage summary")
                        }
                    }
                }
            }
            Ok(Prepared::Seen) => directory.touch_import(&run).await?,
            Err(Refusal::Store(e)) => return Err(e.into()),
            Err(reason) => {
                run.outcome = ImportOutcome::Failed;
                run.reason = Some(reason.to_string());
                // Nothing was added, updated or removed: counts of what the feed would have
                // done read as if it had happened.
                let c = &mut run.counts;
                (c.added, c.updated, c.unchanged, c.removed) = (0, 0, 0, 0);
                directory.record_import(&run).await?;
            }
        }
        Ok(run)
    }

    /// Fetches, parses and checks the feed: what to write, or `Err` why nothing may change.
    async fn prepare(
        &self,
        source: &SourceDefinition,
        options: &ImportOptions,
        last_good: Option<&ImportRun>,
        run: &mut ImportRun,
    ) -> Result<Prepared, Refusal> {
        if self
            .directory
            .local_sources()
            .await?
            .iter()
            .any(|s| s.id == source.id)
        {
            return Err(Refusal::KeptByHand(source.id.clone()));
        }
        let progress = options.progress.clone().unwrap_or_else(ProgressBar::hidden);
        progress.set_message(format!("fetching {}", source.location));
        let fetched = self
            .fetcher
            .fetch(
                &source.location,
                last_good.and_then(|r| r.etag.as_deref()),
                last_good.and_then(|r| r.last_modified.as_deref()),
            )
            .await?;
        let (bytes, etag, last_modified) = match fetched {
            Fetched::NotModified => {
                let existing = self.directory.source_meetings(&source.id).await?;
                run.content_hash = last_good.and_then(|r| r.content_hash.clone());
                // Still listed, so still seen: the freshness of each meeting moves on.
                run.outcome = ImportOutcome::Unchanged;
                run.etag = last_good.and_then(|r| r.etag.clone());
                run.last_modified = last_good.and_then(|r| r.last_modified.clone());
                run.feed_date = last_good.and_then(|r| r.feed_date);
                run.counts = ImportCounts {
                    accepted: existing.len(),
                    unchanged: existing.len(),
                    ..last_good.map(|r| r.counts).unwrap_or_default()
                };
                let now = run.started_at;
                return Ok(Prepared::Replace(
                    existing
                        .iter()
                        .cloned()
                        .map(|m| Meeting {
                            last_seen_at: now,
                            ..m
                        })
                        .collect(),
                ));
            }
            Fetched::Body {
                bytes,
                etag,
                last_modified,
            } => (bytes, etag, last_modified),
        };
        run.etag = etag;
        run.last_modified = last_modified;
        let file_name = match &source.location {
            Location::File(path) => path.file_name().and_then(|n| n.to_str()),
            _ => None,
        };
        run.feed_date = crate::domain::feed_date(run.last_modified.as_deref(), file_name);

        let hash = content_hash(source, &bytes);
        let last_hash = last_good.and_then(|r| r.content_hash.as_deref());
        if !options.force && last_hash == Some(hash.as_str()) {
            // Byte for byte what the last good import built its meetings from: they would be
            // built again identical, so only their freshness moves on (no parse, no rebuild, one
            // statement instead of rewriting every row).
            let last = last_good.expect("a hash comes from a last good run");
            run.outcome = ImportOutcome::Unchanged;
            run.content_hash = Some(hash);
            run.counts = ImportCounts {
                unchanged: last.counts.accepted,
                added: 0,
                updated: 0,
                removed: 0,
                ..last.counts
            };
            run.rejects = last.rejects.clone();
            run.warnings = last.warnings.clone();
            run.unknown_types = last.unknown_types.clone();
            return Ok(Prepared::Seen);
        }
        run.content_hash = Some(hash);
        let existing = self.directory.source_meetings(&source.id).await?;
        let existing = existing.as_slice();

        progress.set_message(format!("reading {}", source.id));
        let parsed = match source.format {
            FeedFormat::MeetingGuide => meeting_guide::parse(&bytes, source.fellowship),
            FeedFormat::Bmlt => {
                let formats = match &source.formats {
                    Some(location) => match self.fetcher.fetch(location, None, None).await? {
                        Fetched::Body { bytes, .. } => {
                            bmlt::Formats::parse(&bytes).map_err(Refusal::Formats)?
                        }
                        Fetched::NotModified => return Err(Refusal::FormatsNotModified),
                    },
                    None => bmlt::Formats::seeded(),
                };
                bmlt::parse(&bytes, &formats, source.fellowship)
            }
            FeedFormat::Csv => csv_feed::parse(
                &bytes,
                source.csv.as_ref().expect("csv sources have a mapping"),
                source.fellowship,
            ),
        }?;

        let meetings = build_meetings(source, parsed, existing, &self.gazetteer, run, &progress, None);
        if meetings.is_empty() {
            return Err(Refusal::Empty {
                records: run.counts.records,
                rejected: run.counts.rejected,
            });
        }
        let floor = existing.len() as f64 * (1.0 - source.max_shrink);
        if (meetings.len() as f64) < floor {
            let shrink = Shrink {
                from: existing.len(),
                to: meetings.len(),
                allowed: source.max_shrink,
            };
            if !options.force {
                return Err(Refusal::Shrank(shrink));
            }
            run.reason = Some(format!("{shrink}; forced"));
        }
        run.outcome = ImportOutcome::Succeeded;
        Ok(Prepared::Replace(meetings))
    }
}

/// What a sound feed asks the store to do.
enum Prepared {
    /// Replace the source's meetings with these.
    Replace(Vec<Meeting>),
    /// Keep the source's meetings, only marking them seen at the run's start.
    Seen,
}

/// The content hash of a fetched feed (see [`ImportRun::content_hash`]): its bytes, the source's
/// definition (a changed fellowship, time zone or mapping builds different meetings from the same
/// bytes) and this build's version (a new release may build them differently).
fn content_hash(source: &SourceDefinition, bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update([0]);
    hasher.update(format!("{source:?}").as_bytes());
    hasher.update([0]);
    hasher.update(bytes);
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Records from which [`build_meetings`] cleans and builds them on more than one thread.
const BUILD_SPLIT_FROM: usize = 4096;

/// Each record cleaned (with the warnings that gave) and built, in the records' order, in
/// `parts` consecutive parts on as many threads (`None`: one per core from [`BUILD_SPLIT_FROM`]
/// records). Each record's turn depends on that record alone, and at 100,000 records it was a
/// sixth of a CLI import on one core of two.
fn clean_and_build(
    records: Vec<(String, record::RawMeeting)>,
    ctx: &FeedContext,
    parts: Option<usize>,
    progress: &ProgressBar,
) -> Vec<(String, clean::Warnings, Result<Meeting, String>)> {
    let one = |(label, mut raw): (String, record::RawMeeting)| {
        let cleaned = clean::clean_record(&mut raw);
        let built = raw.build(ctx);
        (label, cleaned, built)
    };
    let parts = crate::parallel::parts(records.len(), parts, BUILD_SPLIT_FROM);
    let size = records.len().div_ceil(parts).max(1);
    let mut records = records.into_iter();
    let chunks: Vec<Vec<_>> = (0..parts)
        .map(|_| records.by_ref().take(size).collect())
        .collect();
    crate::parallel::map(chunks, |chunk| {
        let built: Vec<_> = chunk.into_iter().map(one).collect();
        progress.inc(built.len() as u64);
        built
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Builds meetings from parsed records, keeping ids and first-seen times stable against the
/// source's existing meetings, and fills in the run's counts, rejects and unknown codes. `parts`
/// as in [`clean_and_build`]: the result is the same for any.
fn build_meetings(
    source: &SourceDefinition,
    parsed: Parsed,
    existing: &[Meeting],
    gazetteer: &Gazetteer,
    run: &mut ImportRun,
    progress: &ProgressBar,
    parts: Option<usize>,
) -> Vec<Meeting> {
    let ctx = FeedContext {
        source: SourceRef {
            id: source.id.clone(),
            name: source.name.clone(),
            attribution: source.attribution.clone(),
            record_id: None,
            raw: BTreeMap::new(),
        },
        fellowship: source.fellowship,
        timezone: source.timezone.clone(),
        country: source.country.clone(),
        bounds: source.bounds,
        roomless_online: source.roomless == source::Roomless::Online,
        now: run.started_at,
    };
    let mut rejects = parsed.rejects;
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut meetings = Vec::with_capacity(parsed.records.len());
    progress.set_length(parsed.records.len() as u64);
    progress.set_position(0);
    let total = parsed.records.len() + rejects.len();
    let mut warnings = Vec::new();
    let mut warned = 0;
    let built = clean_and_build(parsed.records, &ctx, parts, progress);
    // In the feed's order, one at a time: which of two records with one id is kept, and the
    // order of rejects and warnings, depend on it.
    for (label, cleaned, built) in built {
        match built {
            Err(reason) => rejects.push(RejectedRecord {
                record: label,
                reason,
            }),
            Ok(meeting) => {
                if let Some(first) = seen.get(&meeting.id) {
                    rejects.push(RejectedRecord {
                        record: label,
                        reason: format!("repeats the id of {first}"),
                    });
                    continue;
                }
                if !cleaned.is_empty() {
                    warned += 1;
                    warnings.extend(cleaned.into_iter().map(|warning| ImportWarning {
                        record: label.clone(),
                        warning,
                    }));
                }
                seen.insert(meeting.id.clone(), label);
                for code in &meeting.source_types {
                    *unknown.entry(code.clone()).or_default() += 1;
                }
                meetings.push(meeting);
            }
        }
    }

    let before: HashMap<&str, &Meeting> = existing.iter().map(|m| (m.id.as_str(), m)).collect();
    let mut counts = ImportCounts {
        records: total,
        accepted: meetings.len(),
        rejected: rejects.len(),
        warned,
        ..Default::default()
    };
    for meeting in &mut meetings {
        if let Some(location) = meeting.location.as_mut().filter(|l| l.point().is_none()) {
            // A postcode centroid is better than nothing, and says it is only approximate.
            match location
                .postcode
                .as_deref()
                .and_then(|p| gazetteer.locate_postcode(p))
            {
                Some(place) => {
                    (location.lat, location.lon) = (Some(place.lat), Some(place.lon));
                    location.approximate = true;
                    counts.placed_by_postcode += 1;
                }
                None => counts.without_coordinates += 1,
            }
        }
        match before.get(meeting.id.as_str()) {
            None => counts.added += 1,
            Some(old) => {
                meeting.first_seen_at = old.first_seen_at;
                let same = Meeting {
                    last_seen_at: old.last_seen_at,
                    updated_at: old.updated_at,
                    ..meeting.clone()
                } == **old;
                if same {
                    counts.unchanged += 1;
                    meeting.updated_at = old.updated_at;
                } else {
                    counts.updated += 1;
                }
            }
        }
    }
    let now_ids: std::collections::HashSet<&str> = meetings.iter().map(|m| m.id.as_str()).collect();
    counts.removed = existing
        .iter()
        .filter(|m| !now_ids.contains(m.id.as_str()))
        .count();
    run.counts = counts;
    rejects.truncate(MAX_REJECTS_KEPT);
    // Labels and reasons quote the feed (`time `...` is not a time of day`): bounded, as a
    // hostile feed could make each one megabytes.
    for reject in &mut rejects {
        reject.record = clean::shorten(&reject.record, MAX_MESSAGE_CHARS).into_owned();
        reject.reason = clean::shorten(&reject.reason, MAX_MESSAGE_CHARS).into_owned();
    }
    run.rejects = rejects;
    warnings.truncate(MAX_REJECTS_KEPT);
    for warning in &mut warnings {
        warning.record = clean::shorten(&warning.record, MAX_MESSAGE_CHARS).into_owned();
    }
    run.warnings = warnings;
    let mut unknown: Vec<UnknownType> = unknown
        .into_iter()
        .map(|(code, meetings)| UnknownType { code, meetings })
        .collect();
    unknown.sort_by(|a, b| b.meetings.cmp(&a.meetings).then_with(|| a.code.cmp(&b.code)));
    run.unknown_types = unknown;
    meetings
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feed with something of everything the order matters for: rejects (not an object,
    /// archived, a bad time), ids repeated across parts, unknown type codes, records cleaned
    /// (warnings), a record expanded into one meeting per day.
    fn mixed_feed(records: usize) -> Vec<u8> {
        let items: Vec<serde_json::Value> = (0..records)
            .map(|i| match i % 9 {
                0 => serde_json::json!(i),
                1 => serde_json::json!({"slug": format!("a{i}"), "name": "Archived", "day": 1,
                    "time": "19:00", "archived": true}),
                2 => serde_json::json!({"slug": format!("t{i}"), "name": "Bad time", "day": 1,
                    "time": "half past"}),
                // The same slug every ninth record: the first is kept, the others repeat it.
                3 => serde_json::json!({"slug": "dup", "name": format!("Dup {i}"), "day": 2,
                    "time": "18:00", "latitude": 53.05, "longitude": -2.99}),
                4 => serde_json::json!({"slug": format!("u{i}"), "name": "Unknown types",
                    "day": 3, "time": "20:00", "types": ["O", format!("Z{}", i % 4)],
                    "latitude": 53.0, "longitude": -3.0}),
                5 => serde_json::json!({"slug": format!("w{i}"), "name": "Long ".repeat(50),
                    "notes": "Upstairs<br>ring the bell &amp; wait", "day": 4, "time": "10:00",
                    "latitude": 52.0, "longitude": -1.0}),
                6 => serde_json::json!({"slug": format!("d{i}"), "name": "Two days",
                    "day": [1, 5], "time": "07:00", "latitude": 51.5, "longitude": -0.1}),
                _ => serde_json::json!({"slug": format!("m{i}"), "name": format!("Group {i}"),
                    "day": i % 7, "time": "19:30", "types": ["O", "BB"],
                    "latitude": 53.4, "longitude": -2.2}),
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"meetings": items})).unwrap()
    }

    fn built(body: &[u8], read_parts: usize, build_parts: usize) -> (ImportRun, Vec<Meeting>) {
        let source = SourceDefinition::parse(
            "id = \"mixed\"\nname = \"Mixed\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\n\
             attribution = \"test\"\npath = \"feed.json\"\ntimezone = \"Europe/London\"\n",
            std::path::Path::new("."),
        )
        .unwrap();
        let parsed = meeting_guide::parse_in(body, source.fellowship, Some(read_parts)).unwrap();
        let at: Timestamp = "2026-06-01T12:00:00Z".parse().unwrap();
        let mut run = ImportRun::begun(&source.id, at, ImportOutcome::Succeeded);
        let meetings = build_meetings(
            &source,
            parsed,
            &[],
            &Gazetteer::bundled(),
            &mut run,
            &ProgressBar::hidden(),
            Some(build_parts),
        );
        (run, meetings)
    }

    #[test]
    fn a_feed_read_and_built_in_parts_gives_what_it_gives_whole() {
        let body = mixed_feed(100);
        let (run, meetings) = built(&body, 1, 1);
        // The feed has what the comparison is about.
        let c = run.counts;
        assert_eq!(c.records, 111, "89 records and 11 expanded into two days");
        assert!(c.rejected > 30 && c.warned > 5, "{c:?}");
        assert!(run
            .rejects
            .iter()
            .any(|r| r.reason.starts_with("repeats the id of slug dup")));
        assert!(run.rejects.iter().any(|r| r.reason == "is archived"));
        assert!(run.unknown_types.len() >= 4, "{:?}", run.unknown_types);
        assert!(
            meetings.iter().any(|m| m.name == "Dup 3"),
            "the first `dup` is kept"
        );
        for (read, build) in [(2, 1), (1, 2), (3, 3), (7, 5), (100, 100), (1000, 1)] {
            let (split_run, split_meetings) = built(&body, read, build);
            assert_eq!(split_run, run, "read in {read} parts, built in {build}");
            assert_eq!(split_meetings, meetings, "read in {read} parts, built in {build}");
        }
    }

    #[test]
    fn a_feed_the_split_refuses_is_reported_as_read_whole() {
        // A number out of range passes the scan that splits the feed; the read of the record
        // refuses it, and the error is the one the whole read gives, where it gives it.
        let body = br#"[{"slug": "a", "day": 1, "time": "19:00"}, {"slug": "b", "latitude": 1e999}]"#;
        let split = meeting_guide::parse_in(body, None, Some(2))
            .unwrap_err()
            .to_string();
        let whole = meeting_guide::parse_in(body, None, Some(1))
            .unwrap_err()
            .to_string();
        assert_eq!(split, whole);
        assert!(split.contains("number out of range"), "{split}");
        assert!(split.contains("column"), "{split}");
    }
}
