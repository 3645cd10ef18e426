//! The `Store` conformance suite: every property callers rely on, one function each, run against
//! every backend (SQLite always; PostgreSQL from `MEETINGMAP_TEST_POSTGRES_URL`, skipped outside
//! CI when it is not set). A new backend passes this suite or is not done.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use meetingmap::domain::{ImportOutcome, ImportRun, Meeting};
use meetingmap::store::{self, Store};
use sqlx::Connection;

use crate::common::PostgresDatabase;

const AT: &str = "2026-11-01T12:00:00Z";

/// A backend under test, and how to make a fresh database of it.
#[derive(Clone)]
enum Backend {
    Sqlite,
    Postgres { admin: String },
}

/// A fresh, migrated database; the folder (SQLite's file) lives as long as it.
struct Db {
    url: String,
    store: Arc<dyn Store>,
    backend: Backend,
    _dir: tempfile::TempDir,
    _postgres: Option<PostgresDatabase>,
}

impl Backend {
    async fn fresh(&self) -> Db {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = match self {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("store.db").display()),
                None,
            ),
            Backend::Postgres { admin } => {
                let database = PostgresDatabase::create(admin).await;
                (database.url.clone(), Some(database))
            }
        };
        let store = open(&url).await;
        Db {
            url,
            store,
            backend: self.clone(),
            _dir: dir,
            _postgres: postgres,
        }
    }
}

async fn open(url: &str) -> Arc<dyn Store> {
    let store = store::open(url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

impl Db {
    /// Makes the database refuse to insert the meeting `id`, as a failing disk or constraint
    /// would, half-way through a write.
    async fn refuse_insert(&self, id: &str) {
        match self.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::query(&format!(
                    "CREATE TRIGGER refuse BEFORE INSERT ON meetings WHEN NEW.id = '{id}'
                     BEGIN SELECT RAISE(ABORT, 'refused'); END"
                ))
                .execute(&mut c)
                .await
                .unwrap();
            }
            Backend::Postgres { .. } => {
                let mut c = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(&format!(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN IF NEW.id = '{id}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$;
                     CREATE TRIGGER refuse BEFORE INSERT ON meetings FOR EACH ROW EXECUTE FUNCTION refuse();"
                ))
                .execute(&mut c)
                .await
                .unwrap();
            }
        }
    }
}

fn meetings(count: usize) -> Vec<Meeting> {
    meetingmap::demo::generate(count, 7, AT.parse().unwrap())
}

fn run(source_id: &str, minute: i64, outcome: ImportOutcome) -> ImportRun {
    let at = AT.parse::<Timestamp>().unwrap() + jiff::SignedDuration::from_mins(minute);
    ImportRun::begun(source_id, at, outcome)
}

async fn every_committed_write_of_meetings_moves_the_version_on_once(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
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

async fn a_rolled_back_write_leaves_the_version_and_the_meetings(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
    let all = meetings(3);
    store.put_meetings(&all[..1]).await.unwrap();
    let before = store.load().await.unwrap();
    // A write that fails half-way, after the version was bumped and some rows written.
    db.refuse_insert(&all[2].id).await;
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

async fn the_version_survives_reopening_and_differs_between_databases(backend: Backend) {
    let db = backend.fresh().await;
    db.store.put_meetings(&meetings(2)).await.unwrap();
    let first = db.store.data_version().await.unwrap();
    let reopened = open(&db.url).await.data_version().await.unwrap();
    assert_eq!(reopened, first);
    assert_eq!(reopened.digest(), first.digest());

    let other = backend.fresh().await;
    other.store.put_meetings(&meetings(2)).await.unwrap();
    let other = other.store.data_version().await.unwrap();
    assert_eq!(other.version, first.version, "both at the same version");
    assert_ne!(other.identity, first.identity);
    assert_ne!(other.digest(), first.digest());
}

async fn last_import_and_last_success_are_the_newest_of_their_kind(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
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
    let history = store.imports("a", 5).await.unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[0].started_at, minute(69), "newest first");
}

async fn meetings_come_back_whole_and_ordered_by_id(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
    let mut all = meetings(40);
    // Ids whose order differs between byte order and a natural-language collation.
    all[0].id = "a-b".into();
    all[1].id = "aB".into();
    all[2].id = "Ab".into();
    all[3].id = "a_b".into();
    store.put_meetings(&all).await.unwrap();
    let mut expected = all.clone();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(store.meetings().await.unwrap(), expected);
    assert_eq!(store.load().await.unwrap().meetings, expected);
}

async fn put_meetings_overwrites_by_id_and_the_last_of_a_batch_wins(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
    let all = meetings(3);
    store.put_meetings(&all).await.unwrap();
    let mut renamed = all[1].clone();
    renamed.name = "First rename".into();
    let mut again = all[1].clone();
    again.name = "Second rename".into();
    store.put_meetings(&[renamed, again.clone()]).await.unwrap();
    let stored = store.meetings().await.unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored.iter().find(|m| m.id == again.id), Some(&again));
}

async fn replacing_a_source_touches_no_other(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
    let mut all = meetings(6);
    for m in &mut all[3..] {
        m.source.id = "other".into();
    }
    let source = all[0].source.id.clone();
    store.put_meetings(&all).await.unwrap();
    store.replace_source(&source, &all[..1]).await.unwrap();
    assert_eq!(store.source_meetings(&source).await.unwrap(), all[..1].to_vec());
    let mut others = all[3..].to_vec();
    others.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(store.source_meetings("other").await.unwrap(), others);
    assert_eq!(store.meetings().await.unwrap().len(), 4);
    // Replacing with nothing empties the source.
    store.replace_source("other", &[]).await.unwrap();
    assert!(store.source_meetings("other").await.unwrap().is_empty());
}

async fn a_large_write_spans_batches_and_is_complete(backend: Backend) {
    let db = backend.fresh().await;
    let all = meetings(20_000);
    let source = all[0].source.id.clone();
    let mut mine: Vec<Meeting> = all
        .into_iter()
        .map(|mut m| {
            m.source.id = source.clone();
            m
        })
        .collect();
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    mine.dedup_by(|a, b| a.id == b.id);
    db.store
        .apply_import(&mine, &run(&source, 0, ImportOutcome::Succeeded))
        .await
        .unwrap();
    assert_eq!(db.store.meetings().await.unwrap(), mine);
}

async fn one_holder_at_a_time_and_an_expired_lease_is_taken_over(backend: Backend) {
    let db = backend.fresh().await;
    let store = &db.store;
    let long = Duration::from_secs(60);
    assert!(store.take_lease("import:a", "one", long).await.unwrap());
    assert!(
        !store.take_lease("import:a", "two", long).await.unwrap(),
        "held by one"
    );
    assert!(
        store.take_lease("import:b", "two", long).await.unwrap(),
        "leases are per name"
    );
    assert!(
        store.take_lease("import:a", "one", long).await.unwrap(),
        "renewed by its holder"
    );
    // Only the holder releases it.
    store.release_lease("import:a", "two").await.unwrap();
    assert!(!store.take_lease("import:a", "two", long).await.unwrap());
    store.release_lease("import:a", "one").await.unwrap();
    assert!(
        store.take_lease("import:a", "two", long).await.unwrap(),
        "released"
    );

    // A holder that stops (crashes) without releasing: its lease is taken over once it expires.
    let short = Duration::from_millis(200);
    assert!(store.take_lease("import:c", "crashed", short).await.unwrap());
    assert!(!store.take_lease("import:c", "three", long).await.unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        store.take_lease("import:c", "three", long).await.unwrap(),
        "expired"
    );
    assert!(!store.take_lease("import:c", "crashed", short).await.unwrap());
}

async fn racing_for_a_lease_has_exactly_one_winner(backend: Backend) {
    let db = backend.fresh().await;
    let tries = (0..8).map(|i| {
        let store = db.store.clone();
        tokio::spawn(async move {
            store
                .take_lease("import:race", &format!("holder-{i}"), Duration::from_secs(60))
                .await
                .unwrap()
        })
    });
    let mut winners = 0;
    for attempt in tries {
        winners += attempt.await.unwrap() as usize;
    }
    assert_eq!(winners, 1);
}

async fn listeners_hear_each_committed_version(backend: Backend) {
    let db = backend.fresh().await;
    let Some(mut heard) = db.store.listen().await.unwrap() else {
        // SQLite pushes nothing: readers poll.
        assert!(matches!(backend, Backend::Sqlite));
        return;
    };
    // A second process's store writes; the first hears the new version.
    let writer = open(&db.url).await;
    writer.put_meetings(&meetings(2)).await.unwrap();
    let expected = writer.data_version().await.unwrap().version;
    tokio::time::timeout(Duration::from_secs(1), async {
        while *heard.borrow_and_update() < expected {
            heard.changed().await.unwrap();
        }
    })
    .await
    .expect("the version heard within a second");
    // A rolled-back write sends nothing.
    db.refuse_insert("refused").await;
    let mut refused = meetings(1);
    refused[0].id = "refused".into();
    assert!(writer.put_meetings(&refused).await.is_err());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!heard.has_changed().unwrap());
    assert_eq!(*heard.borrow(), expected);
}

fn audit_row(meeting_id: &str, note: &str) -> meetingmap::domain::AuditEntry {
    meetingmap::domain::AuditEntry {
        id: 0,
        at: AT.parse().unwrap(),
        key_id: "0123456789ab".into(),
        key_name: "Editor".into(),
        action: meetingmap::domain::AuditAction::Patch,
        meeting_id: Some(meeting_id.into()),
        source_id: Some("s".into()),
        diff: serde_json::json!({"name": {"before": "a", "after": "b"}}),
        note: Some(note.into()),
    }
}

/// An edit by hand is all or nothing: its guard (the meeting's ETag, or its absence) is checked
/// in the transaction that writes, the meetings, withdrawals, corrections, report and audit rows
/// go together, and the version moves on once, only when meetings change.
async fn an_edit_is_guarded_and_written_whole(backend: Backend) {
    use meetingmap::store::{meeting_etag, Edit, EditOutcome, Guard, OverlayWrite};
    let db = backend.fresh().await;
    let all = meetings(3);
    db.store.put_meetings(&all).await.unwrap();
    let version = || async { db.store.data_version().await.unwrap().version };
    let start = version().await;
    let id = all[0].id.clone();
    let mut changed = all[0].clone();
    changed.name = "Changed".into();

    // A stale ETag, or a create over an existing id: nothing written, the current ETag told.
    for guard in [Guard::Etag("\"stale\"".into()), Guard::Absent] {
        let outcome = db
            .store
            .apply_edit(&Edit {
                guard: Some((id.clone(), guard)),
                put: vec![changed.clone()],
                audit: vec![audit_row(&id, "refused")],
                ..Edit::default()
            })
            .await
            .unwrap();
        assert_eq!(
            outcome,
            EditOutcome::Stale {
                current: Some(meeting_etag(&all[0]))
            }
        );
    }
    assert_eq!(version().await, start);
    assert!(db.store.audit(&Default::default()).await.unwrap().is_empty());

    let overlay = meetingmap::domain::Overlay {
        meeting_id: id.clone(),
        source_id: all[0].source.id.clone(),
        fields: [("name".to_string(), serde_json::json!("Changed"))].into(),
        base: [("name".to_string(), serde_json::json!(all[0].name))].into(),
        feed_changed: vec![],
        updated_at: AT.parse().unwrap(),
    };
    let outcome = db
        .store
        .apply_edit(&Edit {
            guard: Some((id.clone(), Guard::Etag(meeting_etag(&all[0])))),
            put: vec![changed.clone()],
            withdraw: vec![all[1].id.clone()],
            overlays: vec![OverlayWrite::Put(overlay.clone())],
            audit: vec![audit_row(&id, "first"), audit_row(&id, "second")],
            ..Edit::default()
        })
        .await
        .unwrap();
    assert_eq!(outcome, EditOutcome::Applied { report_id: None });
    assert_eq!(version().await, start + 1);
    assert_eq!(db.store.meeting(&id).await.unwrap(), Some(changed.clone()));
    assert_eq!(db.store.meeting(&all[1].id).await.unwrap(), None);
    assert_eq!(
        db.store.overlays(Some(&all[0].source.id)).await.unwrap(),
        vec![overlay]
    );
    let rows = db.store.audit(&Default::default()).await.unwrap();
    // limit 0 means none; newest first with a limit.
    assert!(rows.is_empty());
    let rows = db
        .store
        .audit(&meetingmap::store::AuditFilter {
            meeting_id: Some(id.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.note.clone().unwrap()).collect::<Vec<_>>(),
        ["second", "first"]
    );
    assert!(rows[0].id > rows[1].id);

    // A report is numbered by the store; its status can change; audit-only edits leave the version.
    let report = meetingmap::domain::Report {
        id: 0,
        meeting_id: id.clone(),
        source_id: all[0].source.id.clone(),
        reason: meetingmap::domain::ReportReason::Moved,
        text: None,
        contact_ok: false,
        created_at: AT.parse().unwrap(),
        status: meetingmap::domain::ReportStatus::Open,
        closed_at: None,
        closed_by: None,
        closing_note: None,
    };
    let EditOutcome::Applied {
        report_id: Some(report_id),
    } = db
        .store
        .apply_edit(&Edit {
            report: Some(report.clone()),
            ..Edit::default()
        })
        .await
        .unwrap()
    else {
        panic!("a report is stored")
    };
    assert_eq!(version().await, start + 1);
    let closed = meetingmap::domain::Report {
        id: report_id,
        status: meetingmap::domain::ReportStatus::Resolved,
        ..report
    };
    db.store
        .apply_edit(&Edit {
            report: Some(closed.clone()),
            ..Edit::default()
        })
        .await
        .unwrap();
    let open = db
        .store
        .reports(&meetingmap::store::ReportFilter {
            status: Some(meetingmap::domain::ReportStatus::Open),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(open.is_empty());
    let by_id = db
        .store
        .reports(&meetingmap::store::ReportFilter {
            id: Some(report_id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_id, vec![closed]);
}

/// Keys and sources kept by hand come back as stored; a key's hash is kept beside it.
async fn keys_and_local_sources_round_trip(backend: Backend) {
    use meetingmap::domain::{ApiKey, LocalSource, Role};
    let db = backend.fresh().await;
    let key = ApiKey {
        id: "0123456789ab".into(),
        name: "Agency".into(),
        role: Role::Editor,
        sources: vec!["agency".into()],
        created_at: AT.parse().unwrap(),
        revoked_at: None,
    };
    db.store.put_key(&key, "hash").await.unwrap();
    assert_eq!(
        db.store.key(&key.id).await.unwrap(),
        Some((key.clone(), "hash".into()))
    );
    let revoked = ApiKey {
        revoked_at: Some(AT.parse().unwrap()),
        ..key.clone()
    };
    db.store.put_key(&revoked, "hash").await.unwrap();
    assert_eq!(db.store.keys().await.unwrap(), vec![revoked]);
    assert_eq!(db.store.key("nope").await.unwrap(), None);
    let source = LocalSource {
        id: "agency".into(),
        name: "Agency list".into(),
        attribution: "Agency".into(),
        created_at: AT.parse().unwrap(),
    };
    db.store.put_local_source(&source).await.unwrap();
    assert_eq!(db.store.local_sources().await.unwrap(), vec![source]);
}

/// Runs each property as one test per backend: `store::sqlite::<property>` and
/// `store::postgres::<property>`.
macro_rules! conformance {
    ($($property:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $property() {
                    super::$property(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $property() {
                    if let Some(admin) = crate::common::postgres_admin_url() {
                        super::$property(super::Backend::Postgres { admin }).await
                    }
                }
            )*
        }
    };
}

conformance!(
    every_committed_write_of_meetings_moves_the_version_on_once,
    a_rolled_back_write_leaves_the_version_and_the_meetings,
    the_version_survives_reopening_and_differs_between_databases,
    last_import_and_last_success_are_the_newest_of_their_kind,
    meetings_come_back_whole_and_ordered_by_id,
    put_meetings_overwrites_by_id_and_the_last_of_a_batch_wins,
    replacing_a_source_touches_no_other,
    a_large_write_spans_batches_and_is_complete,
    one_holder_at_a_time_and_an_expired_lease_is_taken_over,
    racing_for_a_lease_has_exactly_one_winner,
    listeners_hear_each_committed_version,
    an_edit_is_guarded_and_written_whole,
    keys_and_local_sources_round_trip,
);
