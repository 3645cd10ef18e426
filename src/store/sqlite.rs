//! The embedded default backend: one SQLite file in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Row, Sqlite, Transaction};

use std::collections::HashMap;

use super::{
    meeting_etag, millis, outcome_text, parse_doc, plan_changes, read_change, report_matches, to_doc,
    withdrawn, AuditFilter, ChangePage, DataVersion, Edit, EditOutcome, Guard, KnownChange, Loaded,
    OverlayWrite, ReportFilter, Store, StoreError,
};
use crate::domain::{
    ApiKey, AuditEntry, ChangesFrom, ImportOutcome, ImportRun, LocalSource, Meeting, Overlay, Report,
};

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
            // 16 KiB pages for a new database (an existing one keeps its own: WAL mode cannot
            // change it): a meeting's document is ~1.3 KB, so 4 KiB pages held three and a
            // 100k-meeting import wrote 30,000 of them through the WAL twice. Measured on the
            // same import, 4 KiB 1.84 / 1.94 s, 8 KiB 1.72 / 1.74 s, 16 KiB 1.63 / 1.64 s
            // (docs/benchmarks.md, issue 18). sqlx sets it before the journal mode, as it must be.
            .page_size(16 * 1024)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable against application crashes, which is what a directory
            // rebuilt from feeds needs, and keeps bulk imports fast.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // The statement journal of a multi-row upsert (what lets one statement roll back
            // alone) went to a temporary file: 144 MB written to disk for a 100k-meeting import.
            // It lives only as long as the statement, so memory is where it belongs.
            .pragma("temp_store", "MEMORY")
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

    /// Writes `meetings` (inserted or overwritten by id) and returns each one's id and
    /// [`super::fingerprint`], for the change log.
    async fn insert_all(
        tx: &mut Transaction<'_, Sqlite>,
        meetings: &[Meeting],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let docs = super::documents(meetings);
        // Multi-row statements: one statement per row made a 100k-meeting import spend seconds
        // in statement overhead. 500 rows of 6 values stay far below SQLite's 32,766 variables.
        for (chunk, docs) in meetings.chunks(INSERT_BATCH).zip(docs.chunks(INSERT_BATCH)) {
            let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO meetings (id, source_id, fellowship, updated_at, last_seen_at, doc) ",
            );
            insert.push_values(chunk.iter().zip(docs), |mut row, (m, doc)| {
                row.push_bind(&m.id)
                    .push_bind(&m.source.id)
                    .push_bind(m.fellowship.id())
                    .push_bind(m.updated_at.to_string())
                    .push_bind(m.last_seen_at.to_string())
                    .push_bind(doc.0.as_str());
            });
            insert.push(
                " ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id,
                   fellowship = excluded.fellowship, updated_at = excluded.updated_at,
                   last_seen_at = excluded.last_seen_at, doc = excluded.doc",
            );
            insert.build().execute(&mut **tx).await?;
        }
        Ok(meetings
            .iter()
            .zip(&docs)
            .map(|(m, (_, fp))| (m.id.clone(), *fp))
            .collect())
    }

    /// Forgets a source's last unchanged check (migration 0009): a full write of the source's
    /// meetings gives each its own, newer time.
    async fn forget_source_seen(tx: &mut Transaction<'_, Sqlite>, source_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM source_seen WHERE source_id = ?")
            .bind(source_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Moves the data version on, inside the write's own transaction: the new version is seen
    /// exactly when the new meetings are, and a rolled-back write leaves both as they were.
    /// Returns the new version, the write's change number. Being the write's first statement, it
    /// takes SQLite's one write lock, so writes (and their change numbers) follow commit order.
    async fn bump_version(tx: &mut Transaction<'_, Sqlite>) -> Result<i64, StoreError> {
        let row = sqlx::query("UPDATE data_version SET version = version + 1 WHERE id = 1 RETURNING version")
            .fetch_one(&mut **tx)
            .await?;
        Ok(row.get("version"))
    }

    /// The change log's rows for `ids`, read before a write changes them.
    async fn known_changes(
        tx: &mut Transaction<'_, Sqlite>,
        ids: impl Iterator<Item = &str>,
    ) -> Result<HashMap<String, KnownChange>, StoreError> {
        let ids: Vec<&str> = ids.collect();
        let mut known = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(INSERT_BATCH) {
            let mut select = sqlx::QueryBuilder::<Sqlite>::new(
                "SELECT c.id, c.state, c.fingerprint,
                        CASE WHEN c.fingerprint IS NULL THEN m.doc END AS doc
                 FROM changes c LEFT JOIN meetings m ON m.id = c.id WHERE c.id IN (",
            );
            let mut list = select.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            select.push(")");
            let rows = select.build().fetch_all(&mut **tx).await?;
            for row in rows {
                known.insert(
                    row.get("id"),
                    KnownChange {
                        state: row.get("state"),
                        fingerprint: row.get("fingerprint"),
                        doc: row.get("doc"),
                    },
                );
            }
        }
        Ok(known)
    }

    /// The ids of one source's stored meetings.
    async fn source_ids(
        tx: &mut Transaction<'_, Sqlite>,
        source_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT id FROM meetings WHERE source_id = ?")
            .bind(source_id)
            .fetch_all(&mut **tx)
            .await?;
        Ok(rows.iter().map(|r| r.get("id")).collect())
    }

    /// THE one write of meeting rows on this backend: every write of meetings (imports, loads,
    /// edits by hand) comes here with the meetings to insert or overwrite by id and the ids to
    /// withdraw, inside the caller's transaction (which moved the data version on to `version`),
    /// and records in the change log what this changed, as of change number `version`.
    async fn write_meetings(
        tx: &mut Transaction<'_, Sqlite>,
        version: i64,
        meetings: &[Meeting],
        withdraw: &[String],
    ) -> Result<(), StoreError> {
        let known = Self::known_changes(tx, meetings.iter().map(|m| m.id.as_str())).await?;
        for chunk in withdraw.chunks(INSERT_BATCH) {
            let mut delete = sqlx::QueryBuilder::<Sqlite>::new("DELETE FROM meetings WHERE id IN (");
            let mut ids = delete.separated(", ");
            for id in chunk {
                ids.push_bind(id);
            }
            delete.push(")");
            delete.build().execute(&mut **tx).await?;
        }
        let written = Self::insert_all(tx, meetings).await?;
        let (updates, gone) = plan_changes(&written, &known, withdraw);
        let now = millis(jiff::Timestamp::now());
        let rows = updates
            .iter()
            .map(|(id, fp)| (id.as_str(), "updated", Some(*fp)))
            .chain(gone.iter().map(|id| (id.as_str(), "deleted", None)));
        let rows: Vec<(&str, &str, Option<i64>)> = rows.collect();
        for chunk in rows.chunks(INSERT_BATCH) {
            let mut upsert = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO changes (id, seq, state, changed_ms, fingerprint) ",
            );
            upsert.push_values(chunk, |mut row, (id, state, fp)| {
                row.push_bind(*id)
                    .push_bind(version)
                    .push_bind(*state)
                    .push_bind(now)
                    .push_bind(*fp);
            });
            upsert.push(
                " ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
                   changed_ms = excluded.changed_ms, fingerprint = excluded.fingerprint",
            );
            upsert.build().execute(&mut **tx).await?;
        }
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
    // `try_get`: a query without the join has no `seen_at` column (and nothing to add).
    if let Some(seen) = row.try_get::<Option<&str>, _>("seen_at").ok().flatten() {
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
        let version = Self::bump_version(&mut tx).await?;
        let gone = withdrawn(Self::source_ids(&mut tx, source_id).await?, meetings);
        Self::write_meetings(&mut tx, version, meetings, &gone).await?;
        Self::forget_source_seen(&mut tx, source_id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let version = Self::bump_version(&mut tx).await?;
        Self::write_meetings(&mut tx, version, meetings, &[]).await?;
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
        let version = Self::bump_version(&mut tx).await?;
        let gone = withdrawn(Self::source_ids(&mut tx, &run.source_id).await?, meetings);
        Self::write_meetings(&mut tx, version, meetings, &gone).await?;
        Self::forget_source_seen(&mut tx, &run.source_id).await?;
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

    async fn meeting(&self, id: &str) -> Result<Option<Meeting>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_MEETINGS} WHERE m.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(parse_meeting).transpose()
    }

    async fn apply_edit(&self, edit: &Edit) -> Result<EditOutcome, StoreError> {
        // IMMEDIATE: the guard is read and the change written under one write lock, so two
        // editors saving against the same ETag cannot both win.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        if let Some((id, guard)) = &edit.guard {
            // Read as `meeting` reads it (with the source's last check), so the ETag compared is
            // the one the editor was given.
            let row = sqlx::query(&format!("{SELECT_MEETINGS} WHERE m.id = ?"))
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
                OverlayWrite::Put(o) => {
                    sqlx::query(
                        "INSERT INTO overlays (meeting_id, source_id, doc) VALUES (?1, ?2, ?3)
                         ON CONFLICT (meeting_id) DO UPDATE SET source_id = ?2, doc = ?3",
                    )
                    .bind(&o.meeting_id)
                    .bind(&o.source_id)
                    .bind(to_doc(o))
                    .execute(&mut *tx)
                    .await?;
                }
                OverlayWrite::Delete(id) => {
                    sqlx::query("DELETE FROM overlays WHERE meeting_id = ?")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let mut report_id = None;
        if let Some(report) = &edit.report {
            if report.id == 0 {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO reports (meeting_id, source_id, status, doc) VALUES (?, ?, ?, '{}')
                     RETURNING id",
                )
                .bind(&report.meeting_id)
                .bind(&report.source_id)
                .bind(report.status.as_str())
                .fetch_one(&mut *tx)
                .await?;
                let stored = Report { id, ..report.clone() };
                sqlx::query("UPDATE reports SET doc = ? WHERE id = ?")
                    .bind(to_doc(&stored))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                report_id = Some(id);
            } else {
                sqlx::query("UPDATE reports SET status = ?, doc = ? WHERE id = ?")
                    .bind(report.status.as_str())
                    .bind(to_doc(report))
                    .bind(report.id)
                    .execute(&mut *tx)
                    .await?;
                report_id = Some(report.id);
            }
        }
        for entry in &edit.audit {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO audit (at, key_id, meeting_id, source_id, doc) VALUES (?, ?, ?, ?, '{}')
                 RETURNING id",
            )
            .bind(entry.at.to_string())
            .bind(&entry.key_id)
            .bind(&entry.meeting_id)
            .bind(&entry.source_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE audit SET doc = ? WHERE id = ?")
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
            "INSERT INTO api_keys (id, hash, doc) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET hash = ?2, doc = ?3",
        )
        .bind(&key.id)
        .bind(hash)
        .bind(to_doc(key))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn key(&self, id: &str) -> Result<Option<(ApiKey, String)>, StoreError> {
        let row = sqlx::query("SELECT id, hash, doc FROM api_keys WHERE id = ?")
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
            "INSERT INTO local_sources (id, doc) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET doc = ?2",
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
            "SELECT meeting_id, doc FROM overlays WHERE ?1 IS NULL OR source_id = ?1 ORDER BY meeting_id",
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
            sqlx::query(
                "INSERT INTO overlays (meeting_id, source_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT (meeting_id) DO UPDATE SET source_id = ?2, doc = ?3",
            )
            .bind(&o.meeting_id)
            .bind(&o.source_id)
            .bind(to_doc(o))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reports(&self, filter: &ReportFilter) -> Result<Vec<Report>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, doc FROM reports
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR meeting_id = ?2) AND (?3 IS NULL OR id = ?3)
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
             WHERE (?1 IS NULL OR meeting_id = ?1) AND (?2 IS NULL OR source_id = ?2)
               AND (?3 IS NULL OR key_id = ?3) AND (?4 IS NULL OR id < ?4)
             ORDER BY id DESC LIMIT ?5",
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
        // One read transaction: the identity, the log and the meetings it points at are of one
        // committed state.
        let mut tx = self.pool.begin().await?;
        let identity = read_version(&mut *tx).await?.identity;
        let select = "SELECT c.id, c.seq, c.state, c.changed_ms, m.doc
                      FROM changes c LEFT JOIN meetings m ON m.id = c.id AND c.state = 'updated'";
        let limit = limit as i64;
        let rows = match from {
            ChangesFrom::Start => {
                sqlx::query(&format!("{select} ORDER BY c.seq, c.id LIMIT ?"))
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?
            }
            ChangesFrom::After(p) => {
                sqlx::query(&format!(
                    "{select} WHERE (c.seq, c.id) > (?, ?) ORDER BY c.seq, c.id LIMIT ?"
                ))
                .bind(p.modified)
                .bind(&p.id)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?
            }
            ChangesFrom::Since(at) => {
                // From the first write recorded at or after `at`: every row of a write has its
                // time, so the write's number is where the reading starts.
                sqlx::query(&format!(
                    "{select} WHERE c.seq >= (SELECT coalesce(min(seq), 9223372036854775807)
                                              FROM changes WHERE changed_ms >= ?)
                     ORDER BY c.seq, c.id LIMIT ?"
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
        sqlx::query("INSERT INTO coverage_trends (taken_at, doc) VALUES (?1, ?2)")
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
                    "SELECT taken_at, doc FROM coverage_trends WHERE taken_at <= ?1 ORDER BY taken_at DESC, id DESC LIMIT 1",
                )
                .bind(&at)
                .fetch_optional(&self.pool)
                .await?;
                match before {
                    Some(row) => Some(row),
                    None => {
                        sqlx::query(
                            "SELECT taken_at, doc FROM coverage_trends WHERE taken_at > ?1 ORDER BY taken_at, id LIMIT 1",
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
    use jiff::Timestamp;

    const AT: &str = "2026-11-01T12:00:00Z";

    fn meetings(count: usize) -> Vec<Meeting> {
        crate::demo::generate(count, 7, AT.parse().unwrap())
    }

    fn run(source_id: &str, minute: i64, outcome: ImportOutcome) -> ImportRun {
        let at = AT.parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_mins(minute);
        ImportRun::begun(source_id, at, outcome)
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
