//! The embedded default backend: one SQLite file in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row, Sqlite, Transaction};

use super::{outcome_text, DataVersion, Loaded, Store, StoreError};
use crate::domain::{ImportOutcome, ImportRun, Meeting};

/// Rows per INSERT statement when writing meetings.
const INSERT_BATCH: usize = 500;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|_| StoreError::UnsupportedUrl(url.clone()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable against application crashes, which is what a directory
            // rebuilt from feeds needs, and keeps bulk imports fast.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // Loading the whole directory is one long statement by design: sqlx's per-statement
            // and slow-statement logging would report it as a problem at every start.
            .disable_statement_logging();
        // An in-memory database exists once per connection, so it must stay on one.
        let max = if url.contains(":memory:") { 1 } else { 4 };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }

    async fn insert_all(tx: &mut Transaction<'_, Sqlite>, meetings: &[Meeting]) -> Result<(), StoreError> {
        // Multi-row statements: one statement per row made a 100k-meeting import spend seconds
        // in statement overhead. 500 rows of 6 values stay far below SQLite's 32,766 variables.
        for chunk in meetings.chunks(INSERT_BATCH) {
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO meetings (id, source_id, fellowship, updated_at, last_seen_at, doc) ",
            );
            insert.push_values(chunk, |mut row, m| {
                row.push_bind(&m.id)
                    .push_bind(&m.source.id)
                    .push_bind(m.fellowship.id())
                    .push_bind(m.updated_at.to_string())
                    .push_bind(m.last_seen_at.to_string())
                    .push_bind(serde_json::to_string(m).expect("a meeting always serialises"));
            });
            insert.push(
                " ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id,
                   fellowship = excluded.fellowship, updated_at = excluded.updated_at,
                   last_seen_at = excluded.last_seen_at, doc = excluded.doc",
            );
            insert.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Removes a source's meetings, and its last unchanged check, which its new meetings carry.
    async fn clear_source(tx: &mut Transaction<'_, Sqlite>, source_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM meetings WHERE source_id = ?")
            .bind(source_id)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM source_seen WHERE source_id = ?")
            .bind(source_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Moves the data version on, inside the write's own transaction: the new version is seen
    /// exactly when the new meetings are, and a rolled-back write leaves both as they were.
    async fn bump_version(tx: &mut Transaction<'_, Sqlite>) -> Result<(), StoreError> {
        sqlx::query("UPDATE data_version SET version = version + 1 WHERE id = 1")
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn insert_run(tx: &mut Transaction<'_, Sqlite>, run: &ImportRun) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO imports (source_id, started_at, outcome, doc) VALUES (?, ?, ?, ?)")
            .bind(&run.source_id)
            .bind(run.started_at.to_string())
            .bind(outcome_text(run.outcome))
            .bind(serde_json::to_string(run).expect("an import run serialises"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

fn parse_run(row: &sqlx::sqlite::SqliteRow) -> Result<ImportRun, StoreError> {
    serde_json::from_str(row.get("doc")).map_err(|e| StoreError::Corrupt {
        id: format!("import {}", row.get::<i64, _>("id")),
        reason: e.to_string(),
    })
}

async fn read_version<'c, E>(executor: E) -> Result<DataVersion, StoreError>
where
    E: sqlx::Executor<'c, Database = Sqlite>,
{
    let row = sqlx::query("SELECT identity, version FROM data_version WHERE id = 1")
        .fetch_one(executor)
        .await?;
    Ok(DataVersion {
        identity: row.get("identity"),
        version: row.get("version"),
    })
}

/// Meetings with their source's last unchanged check (see migration 0009), for [`parse_meeting`].
const SELECT_MEETINGS: &str = "SELECT m.id, m.doc, s.seen_at FROM meetings m
     LEFT JOIN source_seen s ON s.source_id = m.source_id";

/// A row of [`SELECT_MEETINGS`]: the document, seen as late as its source was last checked.
fn parse_meeting(row: &sqlx::sqlite::SqliteRow) -> Result<Meeting, StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        id: row.get("id"),
        reason,
    };
    let mut meeting: Meeting = serde_json::from_str(row.get("doc")).map_err(|e| corrupt(e.to_string()))?;
    if let Some(seen) = row.get::<Option<&str>, _>("seen_at") {
        let seen: jiff::Timestamp = seen
            .parse()
            .map_err(|e| corrupt(format!("source seen_at: {e}")))?;
        meeting.last_seen_at = meeting.last_seen_at.max(seen);
    }
    Ok(meeting)
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    async fn meetings(&self) -> Result<Vec<Meeting>, StoreError> {
        // Streamed and parsed row by row: holding every row's text at once would double the
        // memory a large directory needs at start-up.
        let sql = format!("{SELECT_MEETINGS} ORDER BY m.id");
        let mut rows = sqlx::query(&sql).fetch(&self.pool);
        let mut meetings = Vec::new();
        while let Some(row) = rows.try_next().await? {
            meetings.push(parse_meeting(&row)?);
        }
        Ok(meetings)
    }

    async fn load(&self) -> Result<Loaded, StoreError> {
        // One read transaction: in WAL mode it reads one committed state throughout, so the
        // version returned is exactly that of the meetings returned, whatever commits meanwhile.
        let mut tx = self.pool.begin().await?;
        let version = read_version(&mut *tx).await?;
        let mut meetings = Vec::new();
        {
            let sql = format!("{SELECT_MEETINGS} ORDER BY m.id");
            let mut rows = sqlx::query(&sql).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                meetings.push(parse_meeting(&row)?);
            }
        }
        tx.rollback().await?;
        Ok(Loaded { version, meetings })
    }

    async fn data_version(&self) -> Result<DataVersion, StoreError> {
        read_version(&self.pool).await
    }

    async fn replace_source(&self, source_id: &str, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::bump_version(&mut tx).await?;
        Self::clear_source(&mut tx, source_id).await?;
        Self::insert_all(&mut tx, meetings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::bump_version(&mut tx).await?;
        Self::insert_all(&mut tx, meetings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn source_meetings(&self, source_id: &str) -> Result<Vec<Meeting>, StoreError> {
        let rows = sqlx::query(&format!("{SELECT_MEETINGS} WHERE m.source_id = ? ORDER BY m.id"))
            .bind(source_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(parse_meeting).collect()
    }

    async fn apply_import(&self, meetings: &[Meeting], run: &ImportRun) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::bump_version(&mut tx).await?;
        Self::clear_source(&mut tx, &run.source_id).await?;
        Self::insert_all(&mut tx, meetings).await?;
        Self::insert_run(&mut tx, run).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn touch_import(&self, run: &ImportRun) -> Result<(), StoreError> {
        // One row for the whole source, whatever its size: reads take the later of each
        // meeting's own time and this one (see `parse_meeting`).
        let mut tx = self.pool.begin().await?;
        Self::bump_version(&mut tx).await?;
        sqlx::query(
            "INSERT INTO source_seen (source_id, seen_at) VALUES (?1, ?2)
             ON CONFLICT (source_id) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(&run.source_id)
        .bind(run.started_at.to_string())
        .execute(&mut *tx)
        .await?;
        Self::insert_run(&mut tx, run).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_import(&self, run: &ImportRun) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::insert_run(&mut tx, run).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn imports(&self, source_id: &str, limit: usize) -> Result<Vec<ImportRun>, StoreError> {
        let rows = sqlx::query("SELECT id, doc FROM imports WHERE source_id = ? ORDER BY id DESC LIMIT ?")
            .bind(source_id)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(parse_run).collect()
    }

    async fn last_import(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        let row = sqlx::query("SELECT id, doc FROM imports WHERE source_id = ? ORDER BY id DESC LIMIT 1")
            .bind(source_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(parse_run).transpose()
    }

    async fn last_success(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        // The newest of each successful outcome, each one step down `imports_by_outcome`, then
        // the newer of the two: no scan of the history however long it grows.
        let row = sqlx::query(
            "SELECT id, doc FROM (
                 SELECT * FROM (SELECT id, doc FROM imports WHERE source_id = ?1 AND outcome = ?2
                                ORDER BY id DESC LIMIT 1)
                 UNION ALL
                 SELECT * FROM (SELECT id, doc FROM imports WHERE source_id = ?1 AND outcome = ?3
                                ORDER BY id DESC LIMIT 1))
             ORDER BY id DESC LIMIT 1",
        )
        .bind(source_id)
        .bind(outcome_text(ImportOutcome::Succeeded))
        .bind(outcome_text(ImportOutcome::Unchanged))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(parse_run).transpose()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        // As on PostgreSQL: taken when free, expired or already ours, by the database's clock
        // (milliseconds), in one statement so two processes cannot both win.
        let row = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at)
             VALUES (?1, ?2, CAST(unixepoch('subsec') * 1000 AS INTEGER) + ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder
                OR leases.expires_at <= CAST(unixepoch('subsec') * 1000 AS INTEGER)
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(ttl.as_millis() as i64)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = ? AND holder = ?")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ImportCounts;
    use jiff::Timestamp;

    const AT: &str = "2026-11-01T12:00:00Z";

    fn meetings(count: usize) -> Vec<Meeting> {
        crate::demo::generate(count, 7, AT.parse().unwrap())
    }

    fn run(source_id: &str, minute: i64, outcome: ImportOutcome) -> ImportRun {
        let at = AT.parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_mins(minute);
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

    async fn open(path: &std::path::Path) -> SqliteStore {
        let store = SqliteStore::open(&path.display().to_string()).await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    #[tokio::test]
    async fn every_committed_write_of_meetings_moves_the_version_on_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("v.db")).await;
        let version = || async { store.data_version().await.unwrap().version };
        let start = version().await;
        let all = meetings(3);
        let source = all[0].source.id.clone();

        store.put_meetings(&all).await.unwrap();
        assert_eq!(version().await, start + 1);
        store.replace_source(&source, &all[..2]).await.unwrap();
        assert_eq!(version().await, start + 2);
        store
            .apply_import(&all, &run(&source, 0, ImportOutcome::Succeeded))
            .await
            .unwrap();
        assert_eq!(version().await, start + 3);
        // Import history alone changes no meeting, so no snapshot goes stale.
        store
            .record_import(&run(&source, 1, ImportOutcome::Failed))
            .await
            .unwrap();
        assert_eq!(version().await, start + 3);

        let loaded = store.load().await.unwrap();
        assert_eq!(loaded.version, store.data_version().await.unwrap());
        assert_eq!(loaded.meetings, store.meetings().await.unwrap());
        assert_eq!(loaded.meetings.len(), 3);
    }

    #[tokio::test]
    async fn a_rolled_back_write_leaves_the_version_and_the_meetings() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("v.db")).await;
        let all = meetings(3);
        store.put_meetings(&all[..1]).await.unwrap();
        let before = store.load().await.unwrap();
        // A write that fails half-way, after the version was bumped and some rows written.
        let refused = all[2].id.clone();
        sqlx::query(&format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON meetings WHEN NEW.id = '{refused}'
             BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ))
        .execute(&store.pool)
        .await
        .unwrap();
        let source = all[0].source.id.clone();
        assert!(store.put_meetings(&all).await.is_err());
        assert!(store.replace_source(&source, &all).await.is_err());
        assert!(store
            .apply_import(&all, &run(&source, 0, ImportOutcome::Succeeded))
            .await
            .is_err());
        let after = store.load().await.unwrap();
        assert_eq!(after.version, before.version);
        assert_eq!(after.meetings, before.meetings);
        assert!(store.imports(&source, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_version_survives_reopening_and_differs_between_databases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let first = {
            let store = open(&path).await;
            store.put_meetings(&meetings(2)).await.unwrap();
            let version = store.data_version().await.unwrap();
            store.pool.close().await;
            version
        };
        let reopened = open(&path).await.data_version().await.unwrap();
        assert_eq!(reopened, first);
        assert_eq!(reopened.digest(), first.digest());

        let other = open(&dir.path().join("other.db")).await;
        other.put_meetings(&meetings(2)).await.unwrap();
        let other = other.data_version().await.unwrap();
        assert_eq!(other.version, first.version, "both at the same version");
        assert_ne!(other.identity, first.identity);
        assert_ne!(other.digest(), first.digest());
    }

    #[tokio::test]
    async fn last_import_and_last_success_are_the_newest_of_their_kind() {
        let store = open(std::path::Path::new(":memory:")).await;
        assert_eq!(store.last_import("a").await.unwrap(), None);
        assert_eq!(store.last_success("a").await.unwrap(), None);
        let outcomes = [
            ImportOutcome::Succeeded,
            ImportOutcome::Unchanged,
            ImportOutcome::Failed,
        ];
        for (minute, outcome) in outcomes.into_iter().enumerate() {
            store
                .record_import(&run("a", minute as i64, outcome))
                .await
                .unwrap();
        }
        // More failures than the 50 attempts handlers used to scan.
        for minute in 10..70 {
            store
                .record_import(&run("a", minute, ImportOutcome::Failed))
                .await
                .unwrap();
        }
        store
            .record_import(&run("b", 100, ImportOutcome::Succeeded))
            .await
            .unwrap();
        let started = |r: Option<ImportRun>| r.map(|r| (r.outcome, r.started_at));
        let minute = |m: i64| AT.parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_mins(m);
        assert_eq!(
            started(store.last_import("a").await.unwrap()),
            Some((ImportOutcome::Failed, minute(69)))
        );
        assert_eq!(
            started(store.last_success("a").await.unwrap()),
            Some((ImportOutcome::Unchanged, minute(1)))
        );
        assert_eq!(
            started(store.last_success("b").await.unwrap()),
            Some((ImportOutcome::Succeeded, minute(100)))
        );
    }
}
