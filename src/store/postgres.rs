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

use super::{
    fingerprint, meeting_etag, millis, outcome_text, parse_doc, plan_changes, read_change, report_matches,
    to_doc, withdrawn, AuditFilter, ChangePage, DataVersion, Edit, EditOutcome, Guard, KnownChange, Loaded,
    OverlayWrite, ReportFilter, Store, StoreError,
};
use crate::domain::{
    ApiKey, AuditEntry, ChangesFrom, ImportOutcome, ImportRun, LocalSource, Meeting, Overlay, Report,
};

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
    /// Returns each written meeting's id and [`fingerprint`], for the change log.
    async fn insert_all(
        tx: &mut Transaction<'_, Postgres>,
        meetings: &[Meeting],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut written = Vec::with_capacity(meetings.len());
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
                let doc = serde_json::to_string(m).expect("a meeting always serialises");
                written.push((m.id.clone(), fingerprint(&doc)));
                docs.push(doc);
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
        Ok(written)
    }

    /// Moves the data version on inside the write's transaction and queues the notification
    /// carrying it: PostgreSQL delivers it only if, and when, the transaction commits. The row
    /// lock also puts concurrent writers in one order, so versions and data agree, and the
    /// version returned, the write's change number, follows commit order.
    async fn bump_version(tx: &mut Transaction<'_, Postgres>) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "WITH bumped AS (UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version)
             SELECT version, pg_notify($1, version::text) FROM bumped",
        )
        .bind(CHANNEL)
        .fetch_one(&mut **tx)
        .await?;
        Ok(row.get("version"))
    }

    /// THE one write of meeting rows on this backend: every write of meetings (imports, loads,
    /// edits by hand) comes here with the meetings to insert or overwrite by id and the ids to
    /// withdraw, inside the caller's transaction (which moved the data version on to `version`),
    /// and records in the change log what this changed, as of change number `version`.
    async fn write_meetings(
        tx: &mut Transaction<'_, Postgres>,
        version: i64,
        meetings: &[Meeting],
        withdraw: &[String],
    ) -> Result<(), StoreError> {
        let ids: Vec<&str> = meetings.iter().map(|m| m.id.as_str()).collect();
        let rows = sqlx::query(
            "SELECT c.id, c.state, c.fingerprint,
                    CASE WHEN c.fingerprint IS NULL THEN m.doc END AS doc
             FROM changes c LEFT JOIN meetings m ON m.id = c.id WHERE c.id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut **tx)
        .await?;
        let known: HashMap<String, KnownChange> = rows
            .iter()
            .map(|row| {
                (
                    row.get("id"),
                    KnownChange {
                        state: row.get("state"),
                        fingerprint: row.get("fingerprint"),
                        doc: row.get("doc"),
                    },
                )
            })
            .collect();
        if !withdraw.is_empty() {
            sqlx::query("DELETE FROM meetings WHERE id = ANY($1)")
                .bind(withdraw)
                .execute(&mut **tx)
                .await?;
        }
        let written = Self::insert_all(tx, meetings).await?;
        let (updates, gone) = plan_changes(&written, &known, withdraw);
        let now = millis(jiff::Timestamp::now());
        let mut ids = Vec::with_capacity(updates.len() + gone.len());
        let mut states = Vec::with_capacity(ids.capacity());
        let mut fingerprints = Vec::with_capacity(ids.capacity());
        for (id, fp) in &updates {
            ids.push(id.as_str());
            states.push("updated");
            fingerprints.push(Some(*fp));
        }
        for id in &gone {
            ids.push(id.as_str());
            states.push("deleted");
            fingerprints.push(None);
        }
        for ((ids, states), fingerprints) in ids
            .chunks(BATCH)
            .zip(states.chunks(BATCH))
            .zip(fingerprints.chunks(BATCH))
        {
            sqlx::query(
                "INSERT INTO changes (id, seq, state, changed_ms, fingerprint)
                 SELECT id, $2, state, $3, fp FROM UNNEST($1::text[], $4::text[], $5::bigint[]) AS t(id, state, fp)
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
                   changed_ms = excluded.changed_ms, fingerprint = excluded.fingerprint",
            )
            .bind(ids)
            .bind(version)
            .bind(now)
            .bind(states)
            .bind(fingerprints)
            .execute(&mut **tx)
            .await?;
        }
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

    /// Ids of one source's stored meetings.
    async fn source_ids(
        tx: &mut Transaction<'_, Postgres>,
        source_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM meetings WHERE source_id = $1")
            .bind(source_id)
            .fetch_all(&mut **tx)
            .await?)
    }

    async fn put_overlay(tx: &mut Transaction<'_, Postgres>, o: &Overlay) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO overlays (meeting_id, source_id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (meeting_id) DO UPDATE SET source_id = $2, doc = $3",
        )
        .bind(&o.meeting_id)
        .bind(&o.source_id)
        .bind(to_doc(o))
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
        let version = Self::bump_version(&mut tx).await?;
        let gone = withdrawn(Self::source_ids(&mut tx, source_id).await?, meetings);
        Self::write_meetings(&mut tx, version, meetings, &gone).await?;
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
        let version = Self::bump_version(&mut tx).await?;
        let gone = withdrawn(Self::source_ids(&mut tx, &run.source_id).await?, meetings);
        Self::write_meetings(&mut tx, version, meetings, &gone).await?;
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
        let version = Self::bump_version(&mut tx).await?;
        Self::write_meetings(&mut tx, version, meetings, &[]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn meeting(&self, id: &str) -> Result<Option<Meeting>, StoreError> {
        let row = sqlx::query("SELECT id, doc FROM meetings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(parse_meeting).transpose()
    }

    async fn apply_edit(&self, edit: &Edit) -> Result<EditOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Edits queue on the version row, so the guard read below and the write after it are
        // not interleaved with another edit's (two creates of one id, two saves of one ETag).
        sqlx::query("SELECT version FROM data_version WHERE id = 1 FOR UPDATE")
            .execute(&mut *tx)
            .await?;
        if let Some((id, guard)) = &edit.guard {
            let row = sqlx::query("SELECT id, doc FROM meetings WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let current = row
                .as_ref()
                .map(parse_meeting)
                .transpose()?
                .map(|m| meeting_etag(&m));
            let holds = match guard {
                Guard::Absent => current.is_none(),
                Guard::Etag(wanted) => current.as_deref() == Some(wanted.as_str()),
            };
            if !holds {
                tx.rollback().await?;
                return Ok(EditOutcome::Stale { current });
            }
        }
        if !edit.put.is_empty() || !edit.withdraw.is_empty() {
            let version = Self::bump_version(&mut tx).await?;
            Self::write_meetings(&mut tx, version, &edit.put, &edit.withdraw).await?;
        }
        for overlay in &edit.overlays {
            match overlay {
                OverlayWrite::Put(o) => Self::put_overlay(&mut tx, o).await?,
                OverlayWrite::Delete(id) => {
                    sqlx::query("DELETE FROM overlays WHERE meeting_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let mut report_id = None;
        if let Some(report) = &edit.report {
            let id = if report.id == 0 {
                sqlx::query_scalar(
                    "INSERT INTO reports (meeting_id, source_id, status, doc) VALUES ($1, $2, $3, '{}')
                     RETURNING id",
                )
                .bind(&report.meeting_id)
                .bind(&report.source_id)
                .bind(report.status.as_str())
                .fetch_one(&mut *tx)
                .await?
            } else {
                report.id
            };
            sqlx::query("UPDATE reports SET status = $1, doc = $2 WHERE id = $3")
                .bind(report.status.as_str())
                .bind(to_doc(&Report { id, ..report.clone() }))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            report_id = Some(id);
        }
        for entry in &edit.audit {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO audit (at, key_id, meeting_id, source_id, doc) VALUES ($1, $2, $3, $4, '{}')
                 RETURNING id",
            )
            .bind(entry.at.to_string())
            .bind(&entry.key_id)
            .bind(&entry.meeting_id)
            .bind(&entry.source_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE audit SET doc = $1 WHERE id = $2")
                .bind(to_doc(&AuditEntry { id, ..entry.clone() }))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(EditOutcome::Applied { report_id })
    }

    async fn put_key(&self, key: &ApiKey, hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, hash, doc) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET hash = $2, doc = $3",
        )
        .bind(&key.id)
        .bind(hash)
        .bind(to_doc(key))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn key(&self, id: &str) -> Result<Option<(ApiKey, String)>, StoreError> {
        let row = sqlx::query("SELECT id, hash, doc FROM api_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((parse_doc(format!("key {id}"), row.get("doc"))?, row.get("hash"))))
            .transpose()
    }

    async fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query("SELECT id, doc FROM api_keys ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| parse_doc(format!("key {}", row.get::<String, _>("id")), row.get("doc")))
            .collect()
    }

    async fn put_local_source(&self, source: &LocalSource) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO local_sources (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = $2",
        )
        .bind(&source.id)
        .bind(to_doc(source))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn local_sources(&self) -> Result<Vec<LocalSource>, StoreError> {
        let rows = sqlx::query("SELECT id, doc FROM local_sources ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| parse_doc(format!("source {}", row.get::<String, _>("id")), row.get("doc")))
            .collect()
    }

    async fn overlays(&self, source_id: Option<&str>) -> Result<Vec<Overlay>, StoreError> {
        let rows = sqlx::query(
            "SELECT meeting_id, doc FROM overlays WHERE $1::text IS NULL OR source_id = $1
             ORDER BY meeting_id",
        )
        .bind(source_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                parse_doc(
                    format!("overlay {}", row.get::<String, _>("meeting_id")),
                    row.get("doc"),
                )
            })
            .collect()
    }

    async fn put_overlays(&self, overlays: &[Overlay]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for o in overlays {
            Self::put_overlay(&mut tx, o).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, doc FROM reports
             WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR meeting_id = $2)
               AND ($3::bigint IS NULL OR id = $3)
             ORDER BY id DESC",
        )
        .bind(filter.status.map(|s| s.as_str()))
        .bind(&filter.meeting_id)
        .bind(filter.id)
        .fetch_all(&self.pool)
        .await?;
        let mut reports = Vec::new();
        for row in &rows {
            let report: Report = parse_doc(format!("report {}", row.get::<i64, _>("id")), row.get("doc"))?;
            if report_matches(&report, filter) {
                reports.push(report);
                if reports.len() >= filter.limit {
                    break;
                }
            }
        }
        Ok(reports)
    }

    async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, doc FROM audit
             WHERE ($1::text IS NULL OR meeting_id = $1) AND ($2::text IS NULL OR source_id = $2)
               AND ($3::text IS NULL OR key_id = $3) AND ($4::bigint IS NULL OR id < $4)
             ORDER BY id DESC LIMIT $5",
        )
        .bind(&filter.meeting_id)
        .bind(&filter.source_id)
        .bind(&filter.key_id)
        .bind(filter.before)
        .bind(filter.limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| parse_doc(format!("audit {}", row.get::<i64, _>("id")), row.get("doc")))
            .collect()
    }

    async fn changes(&self, from: &ChangesFrom, limit: usize) -> Result<ChangePage, StoreError> {
        // One REPEATABLE READ transaction, as `load`: the log and the meetings it points at are
        // of one committed state.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let identity = read_version(&mut *tx).await?.identity;
        let select = "SELECT c.id, c.seq, c.state, c.changed_ms, m.doc
                      FROM changes c LEFT JOIN meetings m ON m.id = c.id AND c.state = 'updated'";
        let limit = limit as i64;
        let rows = match from {
            ChangesFrom::Start => {
                sqlx::query(&format!("{select} ORDER BY c.seq, c.id LIMIT $1"))
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?
            }
            ChangesFrom::After(p) => {
                sqlx::query(&format!(
                    "{select} WHERE (c.seq, c.id) > ($1, $2) ORDER BY c.seq, c.id LIMIT $3"
                ))
                .bind(p.modified)
                .bind(&p.id)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
            }
            ChangesFrom::Since(at) => {
                sqlx::query(&format!(
                    "{select} WHERE c.seq >= (SELECT coalesce(min(seq), 9223372036854775807)
                                              FROM changes WHERE changed_ms >= $1)
                     ORDER BY c.seq, c.id LIMIT $2"
                ))
                .bind(millis(*at))
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
            }
        };
        tx.rollback().await?;
        let changes = rows
            .iter()
            .map(|row| {
                read_change(
                    row.get("id"),
                    row.get("seq"),
                    row.get("state"),
                    row.get("changed_ms"),
                    row.get("doc"),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(ChangePage { identity, changes })
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
