//! The shared backend: PostgreSQL, for several replicas behind a load balancer.
//!
//! The schema is SQLite's (see `migrations/postgres/`), and so are the semantics every caller
//! relies on; what differs is how writes travel: meetings are written in batches (one `UNNEST`
//! statement per few thousand rows instead of a statement per row), and every commit that moves
//! the data version on also sends it on the `meetingmap_data_version` channel, so replicas that
//! [`listen`](Store::listen) hear of it at once instead of at their next poll.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{ConnectOptions, Postgres, Row, Transaction};
use tokio::sync::watch;

use super::{outcome_text, DataVersion, Loaded, Store, StoreError};
use crate::domain::{ImportOutcome, ImportRun, Meeting};

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel every write of meetings notifies, with the new version as its payload.
const CHANNEL: &str = "meetingmap_data_version";

/// Rows per `INSERT ... SELECT FROM UNNEST(...)`: large enough that a 100k import is a few dozen
/// round trips, small enough that one statement's arrays stay a few megabytes.
const BATCH: usize = 5000;

pub struct PostgresStore {
    pool: PgPool,
    /// The latest version heard on [`CHANNEL`], once something listens.
    heard: tokio::sync::OnceCell<watch::Receiver<i64>>,
}

impl PostgresStore {
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let options: PgConnectOptions = url
            .parse::<PgConnectOptions>()
            .map_err(|_| StoreError::UnsupportedUrl(url.to_string()))?
            // Loading the whole directory is one long statement by design (see sqlite.rs).
            .disable_statement_logging()
            // Migrations' `IF NOT EXISTS` would otherwise log a notice at every start.
            .options([("client_min_messages", "warning")]);
        let pool = PgPoolOptions::new()
            // A replica reads rarely (a snapshot load, import history, a version poll): a few
            // connections each keep a cluster of replicas well inside max_connections.
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(PostgresStore {
            pool,
            heard: tokio::sync::OnceCell::new(),
        })
    }

    /// Inserts or overwrites `meetings` by id, a batch per statement. When an id comes twice the
    /// last one wins, as it does on SQLite (one statement cannot update a row twice).
    async fn insert_all(tx: &mut Transaction<'_, Postgres>, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut last: HashMap<&str, usize> = HashMap::with_capacity(meetings.len());
        for (i, m) in meetings.iter().enumerate() {
            last.insert(&m.id, i);
        }
        let unique: Vec<&Meeting> = meetings
            .iter()
            .enumerate()
            .filter(|(i, m)| last[m.id.as_str()] == *i)
            .map(|(_, m)| m)
            .collect();
        for chunk in unique.chunks(BATCH) {
            let mut ids = Vec::with_capacity(chunk.len());
            let mut sources = Vec::with_capacity(chunk.len());
            let mut fellowships = Vec::with_capacity(chunk.len());
            let mut updated = Vec::with_capacity(chunk.len());
            let mut seen = Vec::with_capacity(chunk.len());
            let mut docs = Vec::with_capacity(chunk.len());
            for m in chunk {
                ids.push(m.id.as_str());
                sources.push(m.source.id.as_str());
                fellowships.push(m.fellowship.id());
                updated.push(m.updated_at.to_string());
                seen.push(m.last_seen_at.to_string());
                docs.push(serde_json::to_string(m).expect("a meeting always serialises"));
            }
            sqlx::query(
                "INSERT INTO meetings (id, source_id, fellowship, updated_at, last_seen_at, doc)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id,
                   fellowship = excluded.fellowship, updated_at = excluded.updated_at,
                   last_seen_at = excluded.last_seen_at, doc = excluded.doc",
            )
            .bind(&ids)
            .bind(&sources)
            .bind(&fellowships)
            .bind(&updated)
            .bind(&seen)
            .bind(&docs)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Moves the data version on inside the write's transaction and queues the notification
    /// carrying it: PostgreSQL delivers it only if, and when, the transaction commits. The row
    /// lock also puts concurrent writers in one order, so versions and data agree.
    async fn bump_version(tx: &mut Transaction<'_, Postgres>) -> Result<(), StoreError> {
        sqlx::query(
            "WITH bumped AS (UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version)
             SELECT pg_notify($1, version::text) FROM bumped",
        )
        .bind(CHANNEL)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn insert_run(tx: &mut Transaction<'_, Postgres>, run: &ImportRun) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO imports (source_id, started_at, outcome, doc) VALUES ($1, $2, $3, $4)")
            .bind(&run.source_id)
            .bind(run.started_at.to_string())
            .bind(outcome_text(run.outcome))
            .bind(serde_json::to_string(run).expect("an import run serialises"))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn delete_source(tx: &mut Transaction<'_, Postgres>, source_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM meetings WHERE source_id = $1")
            .bind(source_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Listens on [`CHANNEL`] for as long as the process runs, publishing each version heard.
    /// `PgListener` reconnects by itself after a lost connection; notifications sent meanwhile
    /// are lost, which the watcher's periodic version check covers.
    async fn start_listening(&self) -> Result<watch::Receiver<i64>, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        let (send, receive) = watch::channel(0);
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(note) => match note.payload().parse::<i64>() {
                        Ok(version) => {
                            send.send_if_modified(|heard| {
                                let newer = version > *heard;
                                *heard = (*heard).max(version);
                                newer
                            });
                        }
                        Err(_) => {
                            tracing::warn!(payload = note.payload(), "unreadable data version notification")
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the data version notifications; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
                if send.is_closed() {
                    return;
                }
            }
        });
        Ok(receive)
    }
}

fn parse_meeting(row: &PgRow) -> Result<Meeting, StoreError> {
    serde_json::from_str(row.get("doc")).map_err(|e| StoreError::Corrupt {
        id: row.get("id"),
        reason: e.to_string(),
    })
}

fn parse_run(row: &PgRow) -> Result<ImportRun, StoreError> {
    serde_json::from_str(row.get("doc")).map_err(|e| StoreError::Corrupt {
        id: format!("import {}", row.get::<i64, _>("id")),
        reason: e.to_string(),
    })
}

async fn read_version<'c, E>(executor: E) -> Result<DataVersion, StoreError>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    let row = sqlx::query("SELECT identity, version FROM data_version WHERE id = 1")
        .fetch_one(executor)
        .await?;
    Ok(DataVersion {
        identity: row.get("identity"),
        version: row.get("version"),
    })
}

#[async_trait]
impl Store for PostgresStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        // sqlx holds an advisory lock while migrating, so replicas starting together over a new
        // database migrate it once.
        MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    async fn meetings(&self) -> Result<Vec<Meeting>, StoreError> {
        let mut rows = sqlx::query("SELECT id, doc FROM meetings ORDER BY id").fetch(&self.pool);
        let mut meetings = Vec::new();
        while let Some(row) = rows.try_next().await? {
            meetings.push(parse_meeting(&row)?);
        }
        Ok(meetings)
    }

    async fn load(&self) -> Result<Loaded, StoreError> {
        // REPEATABLE READ reads one committed state for the whole transaction (READ COMMITTED,
        // the default, would let a commit land between the version and the meetings).
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let version = read_version(&mut *tx).await?;
        let mut meetings = Vec::new();
        {
            let mut rows = sqlx::query("SELECT id, doc FROM meetings ORDER BY id").fetch(&mut *tx);
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
        Self::delete_source(&mut tx, source_id).await?;
        Self::insert_all(&mut tx, meetings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn source_meetings(&self, source_id: &str) -> Result<Vec<Meeting>, StoreError> {
        let rows = sqlx::query("SELECT id, doc FROM meetings WHERE source_id = $1 ORDER BY id")
            .bind(source_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(parse_meeting).collect()
    }

    async fn apply_import(&self, meetings: &[Meeting], run: &ImportRun) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::bump_version(&mut tx).await?;
        Self::delete_source(&mut tx, &run.source_id).await?;
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
        let rows = sqlx::query("SELECT id, doc FROM imports WHERE source_id = $1 ORDER BY id DESC LIMIT $2")
            .bind(source_id)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(parse_run).collect()
    }

    async fn last_import(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        let row = sqlx::query("SELECT id, doc FROM imports WHERE source_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(source_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(parse_run).transpose()
    }

    async fn last_success(&self, source_id: &str) -> Result<Option<ImportRun>, StoreError> {
        // As on SQLite: the newest of each successful outcome from `imports_by_outcome`, then the
        // newer of the two.
        let row = sqlx::query(
            "SELECT id, doc FROM (
                 (SELECT id, doc FROM imports WHERE source_id = $1 AND outcome = $2 ORDER BY id DESC LIMIT 1)
                 UNION ALL
                 (SELECT id, doc FROM imports WHERE source_id = $1 AND outcome = $3 ORDER BY id DESC LIMIT 1)
             ) AS newest
             ORDER BY id DESC LIMIT 1",
        )
        .bind(source_id)
        .bind(outcome_text(ImportOutcome::Succeeded))
        .bind(outcome_text(ImportOutcome::Unchanged))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(parse_run).transpose()
    }

    async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        Self::bump_version(&mut tx).await?;
        Self::insert_all(&mut tx, meetings).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_coverage_summary(&self, taken_at: jiff::Timestamp, doc: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO coverage_trends (taken_at, doc) VALUES ($1, $2)")
            .bind(super::time_text(taken_at))
            .bind(doc)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn coverage_summary(
        &self,
        at: Option<jiff::Timestamp>,
    ) -> Result<Option<(jiff::Timestamp, String)>, StoreError> {
        let row = match at {
            None => {
                sqlx::query(
                    "SELECT taken_at, doc FROM coverage_trends ORDER BY taken_at DESC, id DESC LIMIT 1",
                )
                .fetch_optional(&self.pool)
                .await?
            }
            Some(at) => {
                let at = super::time_text(at);
                let before = sqlx::query(
                    "SELECT taken_at, doc FROM coverage_trends WHERE taken_at <= $1 ORDER BY taken_at DESC, id DESC LIMIT 1",
                )
                .bind(&at)
                .fetch_optional(&self.pool)
                .await?;
                match before {
                    Some(row) => Some(row),
                    None => {
                        sqlx::query(
                            "SELECT taken_at, doc FROM coverage_trends WHERE taken_at > $1 ORDER BY taken_at, id LIMIT 1",
                        )
                        .bind(&at)
                        .fetch_optional(&self.pool)
                        .await?
                    }
                }
            }
        };
        row.map(|r| super::summary_row(&r.get::<String, _>(0), r.get::<String, _>(1)))
            .transpose()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        // Taken when free, expired, or already ours (renewing it); the database's clock decides
        // expiry, so replicas with skewed clocks still agree.
        let row = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at)
             VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= clock_timestamp()
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(ttl.as_millis() as f64)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn listen(&self) -> Result<Option<watch::Receiver<i64>>, StoreError> {
        let heard = self.heard.get_or_try_init(|| self.start_listening()).await?;
        Ok(Some(heard.clone()))
    }
}
