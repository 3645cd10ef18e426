//! The directory: the store (source of truth) and the search snapshot served from it, kept in step.
//!
//! Every write goes through here so that each completed write batch is followed by a snapshot
//! rebuild and an atomic swap: readers see the directory before or after a batch, never during.
//! The fields are private for that reason: nothing can write to the store behind the snapshot's
//! back. Writes made by another process sharing the database (a `meetingmap import` beside a
//! running server) are picked up by [`Directory::watch`], which polls the store's data version.

use std::sync::Arc;
use std::time::Duration;

use crate::domain::{ImportRun, Meeting};
use crate::search::{SearchIndex, Snapshot};
use crate::store::{self, Store, StoreError};

#[derive(Clone)]
pub struct Directory {
    store: Arc<dyn Store>,
    index: Arc<SearchIndex>,
    /// Held while loading, building and publishing a snapshot, so that two refreshes (a local
    /// write's and the watcher's) publish in the order they loaded: an older snapshot can never
    /// replace a newer one.
    refreshing: Arc<tokio::sync::Mutex<()>>,
}

impl Directory {
    /// Opens (creating and migrating if needed) the database at `url` and loads the snapshot.
    pub async fn open(url: &str) -> Result<Directory, StoreError> {
        let store = store::open(url).await?;
        store.migrate().await?;
        let loaded = store.load().await?;
        let snapshot = Snapshot::at_version(loaded.version.digest(), loaded.meetings);
        Ok(Directory {
            store,
            index: Arc::new(SearchIndex::new(snapshot)),
            refreshing: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The snapshot to answer one request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.index.current()
    }

    /// Rebuilds the snapshot from the store and publishes it.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let _in_order = self.refreshing.lock().await;
        let loaded = self.store.load().await?;
        let version = loaded.version.digest();
        // Indexing 100k meetings takes a few hundred milliseconds of CPU: keep it off the
        // async workers that answer requests.
        let snapshot = tokio::task::spawn_blocking(move || Snapshot::at_version(version, loaded.meetings))
            .await
            .expect("building a snapshot does not panic");
        self.index.publish(snapshot);
        Ok(())
    }

    /// Rebuilds the snapshot only if the store's data version moved on since the current one was
    /// loaded (by this process or another). Says whether it did.
    pub async fn refresh_if_changed(&self) -> Result<bool, StoreError> {
        let version = self.store.data_version().await?;
        if version.digest() == self.index.current().version() {
            return Ok(false);
        }
        self.refresh().await?;
        Ok(true)
    }

    /// Watches for writes by other processes sharing the database: every `interval`, reads the
    /// data version (one tiny query) and, when it moved on, rebuilds and swaps in the snapshot.
    /// A failed poll is logged and the current snapshot kept: a database hiccup never empties the
    /// directory. Runs until the returned task is aborted or the runtime stops.
    pub fn watch(&self, interval: Duration) -> tokio::task::JoinHandle<()> {
        let directory = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            // After a slow rebuild, poll again one interval later rather than in a burst.
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
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

    /// The latest import of a source that did not fail.
    pub async fn last_success(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        self.store.last_success(source_id).await
    }

    /// Whether the database answers, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}
