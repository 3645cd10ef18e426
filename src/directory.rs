//! The directory: the store (source of truth) and the search snapshot served from it, kept in step.
//!
//! Every write goes through here so that each completed write batch is followed by a snapshot
//! rebuild and an atomic swap: readers see the directory before or after a batch, never during.
//! The fields are private for that reason: nothing can write to the store behind the snapshot's
//! back. Writes made by another process sharing the database (a `meetingmap import` beside a
//! running server, another replica) are picked up by [`Directory::watch`], which polls the store's
//! data version and, on PostgreSQL, also hears each new version as it is committed.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::domain::{ImportRun, Meeting};
use crate::search::{SearchIndex, Snapshot};
use crate::store::{self, Store, StoreError};

/// Versions a snapshot may lag the database before [`Directory::lagging`] says so.
pub const DEFAULT_MAX_BEHIND: i64 = 2;

#[derive(Clone)]
pub struct Directory {
    store: Arc<dyn Store>,
    index: Arc<SearchIndex>,
    /// Held while loading, building and publishing a snapshot, so that two refreshes (a local
    /// write's and the watcher's) publish in the order they loaded: an older snapshot can never
    /// replace a newer one.
    refreshing: Arc<tokio::sync::Mutex<()>>,
    /// The store's version number of the snapshot being served.
    served: Arc<AtomicI64>,
    /// The newest version number this process has seen the store at (from a poll, a
    /// notification or its own write): how far behind it is, for readiness.
    newest: Arc<AtomicI64>,
    /// Who this process is when it takes a lease: unique per process, and readable in the
    /// `leases` table (host and process id).
    holder: Arc<str>,
    /// Versions behind the database after which the directory reports itself not ready.
    max_behind: i64,
    /// Whether this directory serves searches. A writer's (see [`Directory::open_for_writes`])
    /// never does, so it neither loads nor rebuilds a snapshot.
    serving: bool,
}

/// A lease this process holds (see [`Directory::lease`]); give it back with
/// [`Directory::release`]. Dropping it without that leaves the lease to expire.
#[derive(Debug)]
#[must_use = "release the lease when the work is done"]
pub struct Lease {
    name: String,
}

impl Directory {
    /// Opens (creating and migrating if needed) the database at `url` and loads the snapshot.
    pub async fn open(url: &str) -> Result<Directory, StoreError> {
        let store = store::open(url).await?;
        store.migrate().await?;
        let loaded = store.load().await?;
        let version = loaded.version.version;
        let snapshot = Snapshot::at_version(loaded.version.digest(), loaded.meetings);
        Ok(Directory::with_snapshot(store, snapshot, version, true))
    }

    /// Opens (creating and migrating if needed) the database at `url` for a process that only
    /// writes, such as `meetingmap import`: no snapshot is loaded or rebuilt after its writes
    /// (indexing 100k meetings it will never serve took most of an import's time). Its writes
    /// still move the data version on, so every server sharing the database picks them up.
    /// [`Directory::snapshot`] of such a directory is always empty.
    pub async fn open_for_writes(url: &str) -> Result<Directory, StoreError> {
        let store = store::open(url).await?;
        store.migrate().await?;
        let version = store.data_version().await?;
        let snapshot = Snapshot::at_version(version.digest(), Vec::new());
        Ok(Directory::with_snapshot(store, snapshot, version.version, false))
    }

    fn with_snapshot(store: Arc<dyn Store>, snapshot: Snapshot, version: i64, serving: bool) -> Directory {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
        let holder = format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>());
        Directory {
            store,
            index: Arc::new(SearchIndex::new(snapshot)),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
            served: Arc::new(AtomicI64::new(version)),
            newest: Arc::new(AtomicI64::new(version)),
            holder: holder.into(),
            max_behind: DEFAULT_MAX_BEHIND,
            serving,
        }
    }

    /// Reports not ready (see [`Directory::lagging`]) only when more than `versions` behind.
    pub fn with_max_behind(mut self, versions: i64) -> Directory {
        self.max_behind = versions;
        self
    }

    /// How far behind the snapshot is, when that is more than the directory tolerates: a replica
    /// that fell behind (a failing rebuild, a lost database connection) should leave the
    /// balancer's rotation until it catches up. Every replica is briefly one version behind
    /// after every import, while it rebuilds, so a small lag must not count.
    pub fn lagging(&self) -> Option<i64> {
        let behind = self.versions_behind();
        (behind > self.max_behind).then_some(behind)
    }

    /// How many committed versions the snapshot served is behind the newest this process has
    /// seen: 0 when up to date. Another process's write counts from when the watcher sees it.
    pub fn versions_behind(&self) -> i64 {
        (self.newest.load(Ordering::Acquire) - self.served.load(Ordering::Acquire)).max(0)
    }

    fn saw(&self, version: i64) {
        self.newest.fetch_max(version, Ordering::AcqRel);
    }

    /// The snapshot to answer one request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.index.current()
    }

    /// Rebuilds the snapshot from the store and publishes it.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        if !self.serving {
            // A writer has nothing to serve: it only notes how far the store has moved on.
            let version = self.store.data_version().await?.version;
            self.saw(version);
            self.served.store(version, Ordering::Release);
            return Ok(());
        }
        let _in_order = self.refreshing.lock().await;
        let loaded = self.store.load().await?;
        let number = loaded.version.version;
        self.saw(number);
        let version = loaded.version.digest();
        // Indexing 100k meetings takes a few hundred milliseconds of CPU: keep it off the
        // async workers that answer requests.
        let snapshot = tokio::task::spawn_blocking(move || Snapshot::at_version(version, loaded.meetings))
            .await
            .expect("building a snapshot does not panic");
        self.index.publish(snapshot);
        self.served.store(number, Ordering::Release);
        Ok(())
    }

    /// Rebuilds the snapshot only if the store's data version moved on since the current one was
    /// loaded (by this process or another). Says whether it did.
    pub async fn refresh_if_changed(&self) -> Result<bool, StoreError> {
        let version = self.store.data_version().await?;
        self.saw(version.version);
        if version.digest() == self.index.current().version() {
            return Ok(false);
        }
        self.refresh().await?;
        Ok(true)
    }

    /// The snapshot to answer a request carrying a cursor from snapshot version `wanted` with:
    /// `current`, unless this process is the one behind, that is, `wanted` is the store's current
    /// version and not yet served here (the cursor came from a replica that caught up first). Then
    /// it catches up before answering, so a cursor is refused as stale (410) only when it is.
    pub async fn catch_up_to(&self, wanted: Option<u64>, current: Arc<Snapshot>) -> Arc<Snapshot> {
        let Some(wanted) = wanted.filter(|&wanted| wanted != current.version()) else {
            return current;
        };
        match self.store.data_version().await {
            Ok(version) if version.digest() == wanted => match self.refresh_if_changed().await {
                Ok(_) => self.snapshot(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot catch up with a newer cursor");
                    current
                }
            },
            _ => current,
        }
    }

    /// Watches for writes by other processes sharing the database: every `interval`, reads the
    /// data version (one tiny query) and, when it moved on, rebuilds and swaps in the snapshot.
    /// Where the store pushes new versions (PostgreSQL), each one heard triggers the same check at
    /// once, and the poll remains as the fallback for a missed notification.
    /// A failed poll is logged and the current snapshot kept: a database hiccup never empties the
    /// directory. Runs until the returned task is aborted or the runtime stops.
    pub fn watch(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let directory = self.clone();
        tokio::spawn(async move {
            let mut heard = match directory.store.listen().await {
                Ok(heard) => heard,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for data versions; polling only");
                    None
                }
            };
            let mut ticks = tokio::time::interval(interval);
            // After a slow rebuild, poll again one interval later rather than in a burst.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                match heard.as_mut() {
                    Some(versions) => tokio::select! {
                        _ = ticks.tick() => {}
                        changed = versions.changed() => match changed {
                            Ok(()) => {
                                let version = *versions.borrow_and_update();
                                directory.saw(version);
                            }
                            // The listener stopped: poll from now on.
                            Err(_) => heard = None,
                        },
                    },
                    None => {
                        ticks.tick().await;
                    }
                }
                match directory.refresh_if_changed().await {
                    Ok(true) => tracing::info!(
                        meetings = directory.snapshot().len(),
                        "the data changed; serving the new snapshot"
                    ),
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot check the data version; keeping the current snapshot")
                    }
                }
            }
        })
    }

    /// Replaces one source's meetings and publishes the result.
    pub async fn replace_source(&self, source_id: &str, meetings: &[Meeting]) -> Result<(), StoreError> {
        self.store.replace_source(source_id, meetings).await?;
        self.refresh().await
    }

    /// Inserts or overwrites meetings and publishes the result.
    pub async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        self.store.put_meetings(meetings).await?;
        self.refresh().await
    }

    /// Replaces the run's source's meetings and records the run, in one transaction, and
    /// publishes the result.
    pub async fn apply_import(&self, meetings: &[Meeting], run: &ImportRun) -> Result<(), StoreError> {
        self.store.apply_import(meetings, run).await?;
        self.refresh().await
    }

    /// Records an unchanged import whose meetings are kept as they are, only seen again at the
    /// run's start, in one transaction, and publishes the result.
    pub async fn touch_import(&self, run: &ImportRun) -> Result<(), StoreError> {
        self.store.touch_import(run).await?;
        self.refresh().await
    }

    /// Records an import that changed no meetings (failed or unchanged); the snapshot stays.
    pub async fn record_import(&self, run: &ImportRun) -> Result<(), StoreError> {
        self.store.record_import(run).await
    }

    /// Every stored meeting, including duplicates the snapshot merged away, ordered by id.
    pub async fn stored_meetings(&self) -> Result<Vec<Meeting>, StoreError> {
        self.store.meetings().await
    }

    /// One source's stored meetings, ordered by id.
    pub async fn source_meetings(&self, source_id: &str) -> Result<Vec<Meeting>, StoreError> {
        self.store.source_meetings(source_id).await
    }

    /// The latest imports of a source, newest first.
    pub async fn imports(&self, source_id: &str, limit: usize) -> Result<Vec<ImportRun>, StoreError> {
        self.store.imports(source_id, limit).await
    }

    /// The latest import of a source, whatever its outcome.
    pub async fn last_import(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        self.store.last_import(source_id).await
    }

    /// Keeps a coverage summary taken at `taken_at` (see `coverage::trends`).
    pub async fn put_coverage_summary(&self, taken_at: jiff::Timestamp, doc: &str) -> Result<(), StoreError> {
        self.store.put_coverage_summary(taken_at, doc).await
    }

    /// The coverage summary taken last on or before `at` (else the first after); the newest when
    /// `at` is `None`.
    pub async fn coverage_summary(
        &self,
        at: Option<jiff::Timestamp>,
    ) -> Result<Option<(jiff::Timestamp, String)>, StoreError> {
        self.store.coverage_summary(at).await
    }

    /// Whether this directory serves a snapshot (writers opened for imports alone do not).
    pub fn serves(&self) -> bool {
        self.serving
    }

    /// The latest import of a source that did not fail.
    pub async fn last_success(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        self.store.last_success(source_id).await
    }

    /// Takes the lease `name` for `ttl` if nobody else holds it (see [`Store::take_lease`]): the
    /// work it guards runs in one process at a time across every process sharing the database.
    pub async fn lease(&self, name: &str, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let taken = self.store.take_lease(name, &self.holder, ttl).await?;
        Ok(taken.then(|| Lease {
            name: name.to_string(),
        }))
    }

    /// Keeps renewing `lease` for `ttl` every third of `ttl`, until the returned task is aborted:
    /// work that may outlast one lease period (a slow download with its retries) keeps it, while
    /// a crashed process stops renewing and its lease expires one `ttl` later.
    pub fn keep(&self, lease: &Lease, ttl: Duration) -> tokio::task::JoinHandle<()> {
        let (store, holder, name) = (self.store.clone(), self.holder.clone(), lease.name.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(ttl / 3).await;
                match store.take_lease(&name, &holder, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(lease = %name, "lost a lease (it expired and was taken over)");
                        return;
                    }
                    // Retried at the next renewal, two more before the lease can expire.
                    Err(e) => tracing::warn!(lease = %name, error = %e, "cannot renew a lease"),
                }
            }
        })
    }

    /// Gives a lease back, so others need not wait for it to expire.
    pub async fn release(&self, lease: Lease) -> Result<(), StoreError> {
        self.store.release_lease(&lease.name, &self.holder).await
    }

    /// Whether the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}
