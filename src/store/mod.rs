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

use crate::domain::{ImportOutcome, ImportRun, Meeting};
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
