//! Coverage over time: a compact summary per area and fellowship (meetings counted there,
//! residents, and residents within [`TREND_KM`] of a meeting) is stored after the data changes,
//! at most once an hour, so that a report can say what changed since a chosen date. The serving
//! process takes it ([`keep`]), from the snapshot it already serves, off the request path: an
//! import, which serves nothing, never builds a search index only to summarise it.

use std::sync::Arc;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Analysis, Demand, Level, Threshold};
use crate::directory::Directory;
use crate::domain::Fellowship;
use crate::search::{Filter, Snapshot};
use crate::store::StoreError;

/// The one threshold trends are kept at: a straight line, so that no travel assumption changes
/// under them.
pub const TREND_KM: f64 = 5.0;

/// One area and fellowship at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendRow {
    /// `lad`, `utla` or `nation`.
    pub level: String,
    pub code: String,
    /// Fellowship id.
    pub fellowship: String,
    pub meetings: u32,
    pub residents: f64,
    /// Residents within [`TREND_KM`] of a meeting of the fellowship.
    pub within_reach: f64,
}

/// The summaries stored at two imports: the last on or before the date asked for (else the
/// first after it), and the latest.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub then_at: Timestamp,
    pub then: Vec<TrendRow>,
    pub now_at: Timestamp,
    pub now: Vec<TrendRow>,
}

/// The compact summary of `snapshot` per district, for every fellowship it lists: counted
/// without boundaries (the nearest small area within [`super::ATTRIBUTION_KM`]), so that it is
/// the same whatever a server was started with. Upper tiers and nations are sums of districts
/// ([`with_upper_levels`]), so only districts are stored.
pub fn summarise(snapshot: &Snapshot) -> Vec<TrendRow> {
    let fellowships: Vec<Fellowship> = Fellowship::all().filter(|&f| snapshot.lists(f)).collect();
    if fellowships.is_empty() {
        return Vec::new();
    }
    let analysis = Analysis {
        filter: Filter::default().fellowships(fellowships.iter().copied()),
        fellowships,
        threshold: Threshold::Km(TREND_KM),
    };
    let demand = Demand::SmallAreas;
    let points = demand.points();
    // Both cores when there are two: an import waits for this summary (a CLI import at 100,000
    // meetings spent about a second of one core here), and each point's scan is independent.
    let threads = crate::parallel::cores().min(4);
    let chunk = points.len().div_ceil(threads).max(1);
    let coverage: Vec<_> = crate::parallel::map(points.chunks(chunk).enumerate().collect(), |(n, part)| {
        let mut part = super::analyse(snapshot, part, &analysis);
        // Indexes into `points`, not into this part of them.
        let offset = (n * chunk) as u32;
        part.iter_mut().for_each(|c| c.point += offset);
        part
    })
    .into_iter()
    .flatten()
    .collect();
    let summary = super::summarise(snapshot, points, &demand, &analysis, &coverage, None, Level::Lad);
    summary
        .areas
        .into_iter()
        .map(|a| TrendRow {
            level: Level::Lad.as_str().to_string(),
            code: a.code,
            fellowship: a.fellowship.id().to_string(),
            meetings: a.meetings,
            residents: a.weight_total.round(),
            within_reach: a.weight_within_reach.round(),
        })
        .collect()
}

/// A stored summary: one `[district, fellowship, meetings, residents, within reach]` per row,
/// about 40 bytes each.
type Stored = Vec<(String, String, u32, f64, f64)>;

fn to_doc(rows: &[TrendRow]) -> String {
    let stored: Stored = rows
        .iter()
        .map(|r| {
            (
                r.code.clone(),
                r.fellowship.clone(),
                r.meetings,
                r.residents,
                r.within_reach,
            )
        })
        .collect();
    serde_json::to_string(&stored).expect("a summary serialises")
}

/// The district rows of a stored summary, with the upper tiers and nations added up from them.
fn from_doc(doc: &str) -> Option<Vec<TrendRow>> {
    let stored: Stored = serde_json::from_str(doc).ok()?;
    let districts: Vec<TrendRow> = stored
        .into_iter()
        .map(|(code, fellowship, meetings, residents, within_reach)| TrendRow {
            level: Level::Lad.as_str().to_string(),
            code,
            fellowship,
            meetings,
            residents,
            within_reach,
        })
        .collect();
    Some(with_upper_levels(districts))
}

/// District rows and the sums of them per upper tier and nation.
pub fn with_upper_levels(districts: Vec<TrendRow>) -> Vec<TrendRow> {
    let lookup = super::question::lookup();
    let mut sums: std::collections::BTreeMap<(Level, String, String), TrendRow> = Default::default();
    for r in &districts {
        for level in [Level::Utla, Level::Nation] {
            let Some(code) = lookup.code_of(level, &r.code) else {
                continue;
            };
            let sum = sums
                .entry((level, code.to_string(), r.fellowship.clone()))
                .or_insert_with(|| TrendRow {
                    level: level.as_str().to_string(),
                    code: code.to_string(),
                    fellowship: r.fellowship.clone(),
                    meetings: 0,
                    residents: 0.0,
                    within_reach: 0.0,
                });
            sum.meetings += r.meetings;
            sum.residents += r.residents;
            sum.within_reach += r.within_reach;
        }
    }
    let mut rows = districts;
    rows.extend(sums.into_values());
    rows
}

/// Whether a summary was stored less than `every` ago (never, when `every` is zero). Reads only
/// the newest summary's time (one row).
pub async fn recent(directory: &Directory, every: std::time::Duration) -> Result<bool, StoreError> {
    if every.is_zero() {
        return Ok(false);
    }
    Ok(match directory.coverage_summary(None).await? {
        Some((taken_at, _)) => {
            let age = Timestamp::now().duration_since(taken_at);
            age >= jiff::SignedDuration::ZERO && age.unsigned_abs() < every
        }
        None => false,
    })
}

/// [`record`], unless a summary was stored less than `every` ago: returns 0 rows then. Reads
/// only the newest summary's time (one row), so a skipped import pays nothing for trends.
pub async fn record_unless_recent(
    directory: &Directory,
    every: std::time::Duration,
) -> anyhow::Result<usize> {
    if recent(directory, every).await? {
        return Ok(0);
    }
    record(directory).await
}

/// Keeps the trends of a serving directory: every `check`, if the snapshot served is not the one
/// last summarised (a scheduled import, an edit, or another process's write seen by
/// [`Directory::watch`]), stores a summary of it, at most one per `every` ([`record_unless_recent`]).
/// A change within the hour stays pending and is summarised once the hour is up, so the newest
/// summary is never older than the data by much more than `every`. Runs until the returned task
/// is aborted or the runtime stops; a failure is logged and the next change tried again.
pub fn keep(
    directory: Directory,
    every: std::time::Duration,
    check: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The version last summarised (or found not worth a summary); none at start, so a server
        // over data nobody summarised yet takes a first summary of it.
        let mut looked: Option<u64> = None;
        // The first look one interval after start, not during it: a starting server has its
        // snapshot to load and its first requests to answer.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + check, check);
        // After a slow summary, look again one interval later rather than in a burst.
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let version = directory.snapshot().version();
            if looked == Some(version) {
                continue;
            }
            match recent(&directory, every).await {
                // Pending: looked at again at the next check, one row read.
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the newest coverage summary");
                    looked = Some(version);
                    continue;
                }
            }
            // Marked first: a summary that fails is tried again at the next change, not at every
            // check (a warning a second while a database is down helps nobody).
            looked = Some(version);
            match record(&directory).await {
                Ok(rows) => tracing::debug!(rows, "coverage summary stored"),
                Err(e) => tracing::warn!(error = %e, "cannot store the coverage summary"),
            }
        }
    })
}

/// Takes the compact summary of the directory as it now is and stores it: called by [`keep`] in
/// a server, and by an [`crate::import::Importer::with_trends`] when a library user asks for it.
/// A directory opened for writes alone serves no snapshot, so the stored meetings are read into
/// one here. Returns the rows stored.
pub async fn record(directory: &Directory) -> anyhow::Result<usize> {
    let snapshot: Arc<Snapshot> = if directory.serves() {
        directory.snapshot()
    } else {
        let meetings = directory.stored_meetings().await?;
        Arc::new(tokio::task::spawn_blocking(move || Snapshot::for_analysis(meetings)).await?)
    };
    let taken_at = Timestamp::now();
    let rows = tokio::task::spawn_blocking(move || summarise(&snapshot)).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    directory.put_coverage_summary(taken_at, &to_doc(&rows)).await?;
    Ok(rows.len())
}

/// The summaries to compare for a report of the change since `since`: the last stored on or
/// before the start of that day (else the first after it) and the newest. `None` when none is
/// stored.
pub async fn baseline(directory: &Directory, since: Date) -> Result<Option<Baseline>, StoreError> {
    let at = since
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let read = |found: Option<(Timestamp, String)>| found.and_then(|(t, doc)| Some((t, from_doc(&doc)?)));
    let then = read(directory.coverage_summary(Some(at)).await?);
    let now = read(directory.coverage_summary(None).await?);
    Ok(then.zip(now).map(|((then_at, then), (now_at, now))| Baseline {
        then_at,
        then,
        now_at,
        now,
    }))
}
