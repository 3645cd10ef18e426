//! The embedded default backend: one SQLite file in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row, Sqlite, Transaction};

use super::{Store, StoreError};
use crate::domain::{ImportRun, Meeting};

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
        for m in meetings {
            let doc = serde_json::to_string(m).expect("a meeting always serialises");
            sqlx::query(
                "INSERT INTO meetings (id, source_id, fellowship, updated_at, last_seen_at, doc)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id,
                   fellowship = excluded.fellowship, updated_at = excluded.updated_at,
                   last_seen_at = excluded.last_seen_at, doc = excluded.doc",
            )
            .bind(&m.id)
            .bind(&m.source.id)
            .bind(m.fellowship.id())
            .bind(m.updated_at.to_string())
            .bind(m.last_seen_at.to_string())
            .bind(doc)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_run(tx: &mut Transaction<'_, Sqlite>, run: &ImportRun) -> Result<(), StoreError> {
        let outcome = serde_json::to_value(run.outcome).expect("an outcome serialises");
        sqlx::query("INSERT INTO imports (source_id, started_at, outcome, doc) VALUES (?, ?, ?, ?)")
            .bind(&run.source_id)
            .bind(run.started_at.to_string())
            .bind(outcome.as_str())
            .bind(serde_json::to_string(run).expect("an import run serialises"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

fn parse_meeting(row: &sqlx::sqlite::SqliteRow) -> Result<Meeting, StoreError> {
    serde_json::from_str(row.get("doc")).map_err(|e| StoreError::Corrupt {
        id: row.get("id"),
        reason: e.to_string(),
    })
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
        let mut rows = sqlx::query("SELECT id, doc FROM meetings ORDER BY id").fetch(&self.pool);
        let mut meetings = Vec::new();
        while let Some(row) = rows.try_next().await? {
            meetings.push(parse_meeting(&row)?);
        }
        Ok(meetings)
    }

    async fn replace_source(&self, source_id: &str, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM meetings WHERE source_id = ?")
            .bind(source_id)
            .execute(&mut *tx)
            .await?;
        Self::insert_all(&mut tx, meetings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::insert_all(&mut tx, meetings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn source_meetings(&self, source_id: &str) -> Result<Vec<Meeting>, StoreError> {
        let rows = sqlx::query("SELECT id, doc FROM meetings WHERE source_id = ? ORDER BY id")
            .bind(source_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(parse_meeting).collect()
    }

    async fn apply_import(&self, meetings: &[Meeting], run: &ImportRun) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM meetings WHERE source_id = ?")
            .bind(&run.source_id)
            .execute(&mut *tx)
            .await?;
        Self::insert_all(&mut tx, meetings).await?;
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
        rows.iter()
            .map(|row| {
                serde_json::from_str(row.get("doc")).map_err(|e| StoreError::Corrupt {
                    id: format!("import {}", row.get::<i64, _>("id")),
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
