//! Persistent storage behind one interface.
//!
//! Every backend implements [`Store`] and owns its SQL and its migrations
//! (`migrations/<backend>/`). Callers hold an `Arc<dyn Store>` from [`open`] and never see SQL, so
//! adding PostgreSQL means adding a module here and a branch in [`open`].
//!
//! The store is the source of truth; reads go to the search snapshot built from
//! [`Store::load`]. Several processes may share one database (a `meetingmap import` beside a
//! running `serve`, or replicas): every write of meetings moves the [`DataVersion`] on in its own
//! transaction, so a reader can tell cheaply whether its snapshot is stale. On PostgreSQL the
//! commit also tells every listening replica ([`Store::listen`]); leases ([`Store::take_lease`])
//! let one process at a time do work the others must not repeat, such as importing a source.

mod postgres;
mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::watch;

use crate::domain::{
    ApiKey, AuditEntry, ChangePosition, ChangesFrom, ImportOutcome, ImportRun, LocalSource, Meeting,
    MeetingChange, Overlay, Report, ReportStatus,
};
use crate::hash::Fnv1a;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// A storage failure. These are operational faults (disk, corrupt rows), never bad user input.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored meeting {id} is unreadable: {reason}")]
    Corrupt { id: String, reason: String },
    #[error("unsupported database URL `{0}` (use sqlite://PATH, a file path or postgres://...)")]
    UnsupportedUrl(String),
}

/// Which committed state of which database the meetings are: the same pair means the same
/// meetings, in any process, before or after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataVersion {
    /// Random, made once per database, so two databases at the same `version` differ.
    pub identity: String,
    /// Moves on with every committed write of meetings, never on a rolled-back one.
    pub version: i64,
}

impl DataVersion {
    /// The pair as one stable number, the snapshot's version (and so the cursors' and ETags'):
    /// every process and build computes the same one.
    pub fn digest(&self) -> u64 {
        Fnv1a::new()
            .field(&self.identity)
            .number(self.version as u64)
            .finish()
    }
}

/// A page of the change log, and the database it was read from.
#[derive(Debug)]
pub struct ChangePage {
    /// The database's identity (see [`DataVersion::identity`]): positions of one database mean
    /// nothing in another.
    pub identity: String,
    /// In `(modified, id)` order.
    pub changes: Vec<MeetingChange>,
}

/// Every meeting and the version they are at, read together.
#[derive(Debug)]
pub struct Loaded {
    pub version: DataVersion,
    /// Ordered by id.
    pub meetings: Vec<Meeting>,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Brings the schema up to date.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Every stored meeting, ordered by id.
    async fn meetings(&self) -> Result<Vec<Meeting>, StoreError>;

    /// Every stored meeting and the data version, read from one committed state, so a snapshot
    /// built from them is exactly that version.
    async fn load(&self) -> Result<Loaded, StoreError>;

    /// The current data version alone: cheap enough to poll every second.
    async fn data_version(&self) -> Result<DataVersion, StoreError>;

    /// Replaces all meetings of one source with `meetings`, in one transaction.
    async fn replace_source(&self, source_id: &str, meetings: &[Meeting]) -> Result<(), StoreError>;

    /// Meetings of one source, ordered by id.
    async fn source_meetings(&self, source_id: &str) -> Result<Vec<Meeting>, StoreError>;

    /// Replaces one source's meetings and records the import that produced them, in one
    /// transaction: the history never claims an import the data does not reflect.
    async fn apply_import(&self, meetings: &[Meeting], run: &ImportRun) -> Result<(), StoreError>;

    /// Records an import that changed no meetings (failed or unchanged).
    /// Marks every meeting of the run's source as last seen at the run's start and records the
    /// run, in one transaction that moves the data version on. By default by rewriting them; a
    /// backend can do it in one statement.
    async fn touch_import(&self, run: &ImportRun) -> Result<(), StoreError> {
        let seen: Vec<Meeting> = self
            .source_meetings(&run.source_id)
            .await?
            .into_iter()
            .map(|m| Meeting {
                last_seen_at: run.started_at,
                ..m
            })
            .collect();
        self.apply_import(&seen, run).await
    }

    async fn record_import(&self, run: &ImportRun) -> Result<(), StoreError>;

    /// The latest imports of a source, newest first.
    async fn imports(&self, source_id: &str, limit: usize) -> Result<Vec<ImportRun>, StoreError>;

    /// The latest import of a source, whatever its outcome.
    async fn last_import(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError>;

    /// The latest import of a source that did not fail (it replaced or confirmed the meetings),
    /// however many failures came after it.
    async fn last_success(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError>;

    /// Keeps a coverage summary (opaque JSON text, see `coverage::trends`) taken at `taken_at`.
    async fn put_coverage_summary(&self, taken_at: Timestamp, doc: &str) -> Result<(), StoreError>;

    /// The coverage summary taken last on or before `at` (else the first after it); the newest
    /// when `at` is `None`.
    async fn coverage_summary(
        &self,
        at: Option<Timestamp>,
    ) -> Result<Option<(Timestamp, String)>, StoreError>;

    /// Inserts or overwrites meetings by id, in one transaction.
    async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError>;

    /// One stored meeting.
    async fn meeting(&self, id: &str) -> Result<Option<Meeting>, StoreError>;

    /// Applies one change made by hand, in one transaction that moves the data version on when
    /// meetings change: the meetings written and withdrawn, the corrections, the report and the
    /// audit rows together, or nothing when [`Edit::guard`] fails (the meeting changed since the
    /// editor read it).
    async fn apply_edit(&self, edit: &Edit) -> Result<EditOutcome, StoreError>;

    /// Stores an API key with the SHA-256 of its secret, or overwrites it by id.
    async fn put_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError>;

    /// A key and the hash of its secret.
    async fn key(&self, id: &str) -> Result<Option<(ApiKey, String)>, StoreError>;

    /// Every key, revoked ones too, ordered by id.
    async fn keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    async fn put_local_source(&self, source: &LocalSource) -> Result<(), StoreError>;

    /// Every source maintained by hand, ordered by id.
    async fn local_sources(&self) -> Result<Vec<LocalSource>, StoreError>;

    /// Corrections over imported meetings: those of one source, or all; ordered by meeting id.
    async fn overlays(&self, source_id: Option<&str>) -> Result<Vec<Overlay>, StoreError>;

    /// Overwrites corrections by meeting id (an import noting which fields the feed changed).
    async fn put_overlays(&self, overlays: &[Overlay]) -> Result<(), StoreError>;

    /// Reports matching `filter`, newest first.
    async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError>;

    /// Audit rows matching `filter`, newest first.
    async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
    /// Up to `limit` entries of the change log from `from`, in `(modified, id)` order, each
    /// update with the meeting as it is now, read from one committed state. Every write of
    /// meetings above records its changes in its own transaction (see [`fingerprint`]).
    async fn changes(&self, from: &ChangesFrom, limit: usize) -> Result<ChangePage, StoreError>;

    /// Cheap round trip, for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Takes the lease `name` for `holder` until `ttl` from now, by the database's clock: when
    /// nobody holds it, when its holder let it expire (crashed, or hung), or to renew it when
    /// `holder` already does. Says whether `holder` now holds it. At most one holder wins.
    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError>;

    /// Gives the lease back early, if `holder` still holds it (after expiry someone else may).
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// The data versions other processes commit, as they commit them, where the backend can push
    /// them (PostgreSQL's LISTEN/NOTIFY); `None` where readers must poll [`Store::data_version`].
    /// Pushes can be missed (a dropped connection), so a reader keeps polling as well.
    async fn listen(&self) -> Result<Option<watch::Receiver<i64>>, StoreError> {
        Ok(None)
    }
}

/// What a change by hand expects of the meeting it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// The meeting must not exist yet (a create).
    Absent,
    /// The meeting must exist with this [`meeting_etag`] (`If-Match`).
    Etag(String),
}

/// A correction written or dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum OverlayWrite {
    Put(Overlay),
    Delete(String),
}

/// One change made by hand, applied in one transaction (see [`Store::apply_edit`]).
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// The meeting whose state the change was made against, and what it must be.
    pub guard: Option<(String, Guard)>,
    /// Meetings written (inserted or overwritten by id).
    pub put: Vec<Meeting>,
    /// Ids of meetings withdrawn (deleted).
    pub withdraw: Vec<String>,
    pub overlays: Vec<OverlayWrite>,
    /// A new report (id 0) or one whose status changed (by id).
    pub report: Option<Report>,
    pub audit: Vec<AuditEntry>,
}

/// How [`Store::apply_edit`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOutcome {
    /// Written; the id of the report it created, if it created one.
    Applied { report_id: Option<i64> },
    /// Nothing written: the guard failed. The meeting's current ETag, if it exists.
    Stale { current: Option<String> },
}

#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub status: Option<ReportStatus>,
    pub meeting_id: Option<String>,
    /// Only reports on meetings of these sources (`None`: any).
    pub sources: Option<Vec<String>>,
    pub id: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub meeting_id: Option<String>,
    pub source_id: Option<String>,
    pub key_id: Option<String>,
    /// Rows older than this id (paging backwards).
    pub before: Option<i64>,
    pub limit: usize,
}

/// The version of one stored meeting, as `ETag` and `If-Match` carry it: a strong validator of
/// its whole stored document.
pub fn meeting_etag(meeting: &Meeting) -> String {
    use sha2::{Digest, Sha256};
    let doc = serde_json::to_string(meeting).expect("a meeting always serialises");
    let digest = Sha256::digest(doc.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `report` matches `filter` (the backends filter by status and meeting in SQL, the rest
/// here: the lists are short).
fn report_matches(report: &Report, filter: &ReportFilter) -> bool {
    filter
        .sources
        .as_ref()
        .is_none_or(|sources| sources.contains(&report.source_id))
}

/// A stored JSON document read back, or why it is unreadable.
fn parse_doc<T: serde::de::DeserializeOwned>(what: String, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        id: what,
        reason: e.to_string(),
    })
}

/// Meetings from which [`documents`] serialises them on more than one thread.
const DOCUMENTS_SPLIT_FROM: usize = 4096;

/// Each meeting's stored document and its [`fingerprint`], in order. A large write's are made
/// on every core (each meeting's alone): at 100,000 meetings serialising and fingerprinting
/// them was an eighth of a CLI import, on one core of two. The writing thread waits for them,
/// as it waited for one core before.
fn documents(meetings: &[Meeting]) -> Vec<(String, i64)> {
    let doc = |m: &Meeting| {
        let doc = serde_json::to_string(m).expect("a meeting always serialises");
        let fp = fingerprint(&doc);
        (doc, fp)
    };
    let size = meetings
        .len()
        .div_ceil(crate::parallel::parts(meetings.len(), None, DOCUMENTS_SPLIT_FROM))
        .max(1);
    crate::parallel::map(meetings.chunks(size).collect(), |part| {
        part.iter().map(doc).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

fn to_doc<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("editing records serialise")
}

/// Ids of `existing` missing from `meetings`: what replacing a source's meetings withdraws.
fn withdrawn(existing: Vec<String>, meetings: &[Meeting]) -> Vec<String> {
    let kept: std::collections::HashSet<&str> = meetings.iter().map(|m| m.id.as_str()).collect();
    existing
        .into_iter()
        .filter(|id| !kept.contains(id.as_str()))
        .collect()
}

/// What the change log compares to tell whether a write changed a meeting: a hash of its stored
/// document without `last_seen_at`, which every import moves on for meetings it only confirms.
/// `last_seen_at` is the last field of [`Meeting`]'s JSON (its declaration order), so the last
/// `"last_seen_at":` in the document is that field whatever text the meeting holds.
pub fn fingerprint(doc: &str) -> i64 {
    const FIELD: &str = "\"last_seen_at\":";
    let hash = match doc.rfind(FIELD) {
        Some(at) => crate::hash::Fnv1a::new().field(&doc[..at]).finish(),
        None => crate::hash::fnv1a(doc),
    };
    hash as i64
}

/// The log entry one write makes for one meeting it wrote: `None` when the meeting's content is
/// what the log already holds (only `last_seen_at` moved, or nothing did).
/// `known` is the log's row for that id before the write (state, fingerprint, and the stored
/// document when the fingerprint is unknown because the row predates the log).
fn changed(new: i64, known: Option<&KnownChange>) -> bool {
    match known {
        None => true,
        Some(k) if k.state != "updated" => true,
        Some(KnownChange {
            fingerprint: Some(old),
            ..
        }) => *old != new,
        Some(KnownChange { doc: Some(doc), .. }) => fingerprint(doc) != new,
        Some(_) => true,
    }
}

/// A change log row as a write reads it before writing.
#[derive(Debug)]
struct KnownChange {
    state: String,
    fingerprint: Option<i64>,
    doc: Option<String>,
}

/// Milliseconds since the Unix epoch, as the change log keeps instants.
fn millis(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

/// The instant a change log row was recorded at.
fn from_millis(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// A change log row read back into a change: an update carries its meeting's stored document.
fn read_change(
    id: String,
    seq: i64,
    state: &str,
    changed_ms: i64,
    doc: Option<&str>,
) -> Result<MeetingChange, StoreError> {
    let state = crate::domain::ChangeState::parse(state).ok_or_else(|| StoreError::Corrupt {
        id: format!("change {id}"),
        reason: format!("unknown state `{state}`"),
    })?;
    let meeting = match (state, doc) {
        (crate::domain::ChangeState::Updated, Some(doc)) => Some(
            serde_json::from_str::<Meeting>(doc).map_err(|e| StoreError::Corrupt {
                id: id.clone(),
                reason: e.to_string(),
            })?,
        ),
        _ => None,
    };
    // An update whose meeting is not there cannot be (both are written in one transaction); were
    // it to happen, telling clients the meeting is gone is the answer that matches the data.
    let state = match meeting {
        Some(_) => crate::domain::ChangeState::Updated,
        None => crate::domain::ChangeState::Deleted,
    };
    Ok(MeetingChange {
        position: ChangePosition { modified: seq, id },
        state,
        changed_at: from_millis(changed_ms),
        meeting,
    })
}

/// What a write of meetings must record in the change log, worked out from the log's rows for the
/// ids it writes (read before writing) and the ids it removes: `(id, fingerprint)` per meeting
/// whose content changed (the last copy of an id written twice wins, as in the table), then the
/// removed ids, as tombstones.
fn plan_changes(
    written: &[(String, i64)],
    known: &std::collections::HashMap<String, KnownChange>,
    removed: &[String],
) -> (Vec<(String, i64)>, Vec<String>) {
    let mut last: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for (id, fp) in written {
        last.insert(id, *fp);
    }
    let mut gone: Vec<String> = removed
        .iter()
        .filter(|id| !last.contains_key(id.as_str()))
        .cloned()
        .collect();
    let mut updates: Vec<(String, i64)> = last
        .into_iter()
        .filter(|(id, fp)| changed(*fp, known.get(*id)))
        .map(|(id, fp)| (id.to_string(), fp))
        .collect();
    updates.sort();
    gone.sort();
    gone.dedup();
    (updates, gone)
}

/// A time as the `coverage_trends.taken_at` column holds it: RFC 3339 UTC to the second, so that
/// text order is time order.
fn time_text(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A stored summary row read back.
fn summary_row(taken_at: &str, doc: String) -> Result<(Timestamp, String), StoreError> {
    let at = taken_at.parse::<Timestamp>().map_err(|e| StoreError::Corrupt {
        id: format!("coverage summary of {taken_at}"),
        reason: e.to_string(),
    })?;
    Ok((at, doc))
}

/// An outcome as the `imports.outcome` column holds it: its JSON name.
fn outcome_text(outcome: ImportOutcome) -> String {
    match serde_json::to_value(outcome).expect("an outcome serialises") {
        serde_json::Value::String(text) => text,
        other => unreachable!("an outcome serialises as a string, not {other}"),
    }
}

/// Opens the database a URL names: `postgres://` or `postgresql://` (PostgreSQL, the database
/// must exist), else `sqlite://PATH`, `sqlite::memory:`, or a plain file path (SQLite, the file is
/// created on first use).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if is_postgres(url) {
        return Ok(Arc::new(PostgresStore::open(url).await?));
    }
    Ok(Arc::new(SqliteStore::open(url).await?))
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_ignores_last_seen_at_and_nothing_else() {
        let mut m = crate::demo::generate(1, 7, "2026-11-01T12:00:00Z".parse().unwrap()).remove(0);
        m.notes = Some("said \"last_seen_at\": here".into());
        let doc = |m: &Meeting| serde_json::to_string(m).unwrap();
        let before = fingerprint(&doc(&m));
        let mut seen = m.clone();
        seen.last_seen_at += jiff::SignedDuration::from_hours(5);
        assert_eq!(fingerprint(&doc(&seen)), before);
        let mut renamed = m.clone();
        renamed.name.push('!');
        assert_ne!(fingerprint(&doc(&renamed)), before);
        let mut noted = m;
        noted.notes = Some("said \"last_seen_at\": there".into());
        assert_ne!(fingerprint(&doc(&noted)), before);
    }
}
