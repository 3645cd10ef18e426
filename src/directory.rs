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

use crate::domain::ChangesFrom;
use crate::domain::{
    ApiKey, AuditEntry, ImportCounts, ImportOutcome, ImportRun, LocalSource, Meeting, Overlay, Report,
    ReportStatus, Reported,
};
use crate::search::{SearchIndex, Snapshot};
use crate::store::{self, AuditFilter, ChangePage, Edit, EditOutcome, ReportFilter, Store, StoreError};

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
        let (meetings, noted) = self.decorate(Some(source_id), meetings, true).await?;
        self.store.replace_source(source_id, &meetings).await?;
        self.note_overlays(&noted).await?;
        self.refresh().await
    }

    /// Inserts or overwrites meetings and publishes the result.
    pub async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        let (meetings, noted) = self.decorate(None, meetings, true).await?;
        self.store.put_meetings(&meetings).await?;
        self.note_overlays(&noted).await?;
        self.refresh().await
    }

    /// Replaces the run's source's meetings and records the run, in one transaction, and
    /// publishes the result. Returns the counts as recorded (corrected meetings the feed did not
    /// change count as unchanged).
    pub async fn apply_import(
        &self,
        meetings: &[Meeting],
        run: &ImportRun,
    ) -> Result<ImportCounts, StoreError> {
        // An unchanged feed's meetings are the stored ones, corrections already laid over them:
        // compared with the corrections' base they would all look changed by the feed.
        let from_feed = run.outcome != ImportOutcome::Unchanged;
        let (mut meetings, noted) = self.decorate(Some(&run.source_id), meetings, from_feed).await?;
        // The importer compared the feed's meetings with the stored ones, corrections and flags
        // laid over: every corrected meeting looked changed. Those that come out of the laying
        // over exactly as stored are unchanged, and keep their `updated_at`.
        let mut run = run.clone();
        let decorated =
            meetings.iter().any(|m| m.reported.is_some()) || self.has_overlays(&run.source_id).await?;
        if from_feed && decorated {
            let stored: std::collections::HashMap<String, Meeting> = self
                .store
                .source_meetings(&run.source_id)
                .await?
                .into_iter()
                .map(|m| (m.id.clone(), m))
                .collect();
            for meeting in meetings.to_mut() {
                let Some(old) = stored.get(&meeting.id) else {
                    continue;
                };
                let same = Meeting {
                    updated_at: old.updated_at,
                    last_seen_at: old.last_seen_at,
                    ..meeting.clone()
                } == *old;
                if same && meeting.updated_at != old.updated_at {
                    meeting.updated_at = old.updated_at;
                    if run.counts.updated > 0 {
                        run.counts.updated -= 1;
                        run.counts.unchanged += 1;
                    }
                }
            }
        }
        self.store.apply_import(&meetings, &run).await?;
        self.note_overlays(&noted).await?;
        self.refresh().await?;
        Ok(run.counts)
    }

    /// What the editors added to a source's meetings, laid over them as they are written from a
    /// feed (or a load): the corrections to imported meetings, and the flag of open reports.
    /// Also returns the corrections whose `feed_changed` list moved (the feed changed a field an
    /// editor corrected), to be stored after the write.
    async fn decorate<'m>(
        &self,
        source_id: Option<&str>,
        meetings: &'m [Meeting],
        from_feed: bool,
    ) -> Result<(std::borrow::Cow<'m, [Meeting]>, Vec<Overlay>), StoreError> {
        let overlays: std::collections::HashMap<String, Overlay> = self
            .store
            .overlays(source_id)
            .await?
            .into_iter()
            .map(|o| (o.meeting_id.clone(), o))
            .collect();
        let open = self
            .store
            .reports(&ReportFilter {
                status: Some(ReportStatus::Open),
                limit: usize::MAX,
                ..ReportFilter::default()
            })
            .await?;
        if overlays.is_empty() && open.is_empty() {
            // Nothing to lay over: the meetings as given, not a copy (at 100k meetings, cloning
            // and then dropping them was 6 % of a CLI import).
            return Ok((std::borrow::Cow::Borrowed(meetings), Vec::new()));
        }
        let mut reports: std::collections::HashMap<&str, Vec<&Report>> = std::collections::HashMap::new();
        for r in &open {
            reports.entry(r.meeting_id.as_str()).or_default().push(r);
        }
        let now = jiff::Timestamp::now();
        let mut noted = Vec::new();
        let mut out = Vec::with_capacity(meetings.len());
        for meeting in meetings {
            let mut meeting = meeting.clone();
            if let Some(overlay) = overlays.get(&meeting.id) {
                if from_feed {
                    let now_values = crate::editing::feed_values(&meeting, overlay.base.keys().cloned());
                    let changed: Vec<String> = overlay
                        .base
                        .iter()
                        .filter(|(f, v)| now_values.get(*f) != Some(*v))
                        .map(|(f, _)| f.clone())
                        .collect();
                    if changed != overlay.feed_changed {
                        noted.push(Overlay {
                            feed_changed: changed,
                            ..overlay.clone()
                        });
                    }
                }
                match crate::editing::apply_overlay(&meeting, overlay, now) {
                    Ok(corrected) => meeting = corrected,
                    Err(errors) => tracing::warn!(
                        meeting = %meeting.id, ?errors,
                        "a correction no longer applies to the feed's meeting; serving the feed's"
                    ),
                }
            }
            meeting.reported = reports
                .get(meeting.id.as_str())
                .and_then(|rs| Reported::from_open(rs.iter().copied()));
            out.push(meeting);
        }
        Ok((std::borrow::Cow::Owned(out), noted))
    }

    async fn has_overlays(&self, source_id: &str) -> Result<bool, StoreError> {
        Ok(!self.store.overlays(Some(source_id)).await?.is_empty())
    }

    async fn note_overlays(&self, overlays: &[Overlay]) -> Result<(), StoreError> {
        if overlays.is_empty() {
            return Ok(());
        }
        self.store.put_overlays(overlays).await
    }

    /// Applies one change made by hand (see [`Store::apply_edit`]) and, when it changed meetings,
    /// publishes the result before answering: the editor's next search sees it.
    pub async fn edit(&self, edit: &Edit) -> Result<EditOutcome, StoreError> {
        let outcome = self.store.apply_edit(edit).await?;
        if matches!(outcome, EditOutcome::Applied { .. })
            && !(edit.put.is_empty() && edit.withdraw.is_empty())
        {
            self.refresh().await?;
        }
        Ok(outcome)
    }

    /// One stored meeting (with any corrections laid over it).
    pub async fn stored_meeting(&self, id: &str) -> Result<Option<Meeting>, StoreError> {
        self.store.meeting(id).await
    }

    pub async fn put_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError> {
        self.store.put_key(key, hash).await
    }

    pub async fn key(&self, id: &str) -> Result<Option<(ApiKey, String)>, StoreError> {
        self.store.key(id).await
    }

    pub async fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.store.keys().await
    }

    pub async fn put_local_source(&self, source: &LocalSource) -> Result<(), StoreError> {
        self.store.put_local_source(source).await
    }

    pub async fn local_sources(&self) -> Result<Vec<LocalSource>, StoreError> {
        self.store.local_sources().await
    }

    pub async fn overlays(&self, source_id: Option<&str>) -> Result<Vec<Overlay>, StoreError> {
        self.store.overlays(source_id).await
    }

    pub async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError> {
        self.store.reports(filter).await
    }

    pub async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.audit(filter).await
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

    /// Up to `limit` entries of the change log from `from` (see [`Store::changes`]). Read from the
    /// store, not the snapshot: the log is the store's, and a client syncing from it must never
    /// be told of a change before it can read it, nor miss one a lagging snapshot has not seen.
    pub async fn changes(&self, from: &ChangesFrom, limit: usize) -> Result<ChangePage, StoreError> {
        self.store.changes(from, limit).await
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
