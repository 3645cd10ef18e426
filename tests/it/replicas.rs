//! Several processes sharing one database: a `meetingmap import` beside a running `serve`, a
//! server restarted over the same data, and two directories over one file. Each sees the others'
//! writes through the store's data version, and cursors stay valid exactly as long as the data.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{ids, meeting, meetingmap, ServeProcess, HOME};
use meetingmap::directory::Directory;
use serde_json::Value;
use sqlx::Connection;

/// How long a running server may take to serve another process's write: its poll interval is a
/// second, and a rebuild of a few meetings takes milliseconds.
pub(crate) const SEEN_WITHIN: Duration = Duration::from_secs(2);

/// `meetingmap serve` over `db`, with no sources to refresh (so no network), on a free port.
fn serve(dir: &Path, db: &Path) -> ServeProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meetingmap"));
    command.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--no-refresh",
        "--database",
        db.to_str().unwrap(),
        "--importers",
        dir.join("no-importers").to_str().unwrap(),
    ]);
    ServeProcess::start(command)
}

/// A Meeting Guide feed of `records` meetings in Wrexham, written to `dir`.
pub(crate) fn feed_file(dir: &Path, records: usize) -> PathBuf {
    let meetings: Vec<Value> = (0..records)
        .map(|i| {
            serde_json::json!({"slug": format!("m{i}"), "name": format!("Group {i}"), "day": i % 7,
                "time": "19:30", "timezone": "Europe/London", "types": ["O"], "location": "Hall",
                "address": "1 High St", "city": "Wrexham", "latitude": 53.05, "longitude": -2.99})
        })
        .collect();
    let path = dir.join("feed.json");
    std::fs::write(&path, serde_json::to_string(&meetings).unwrap()).unwrap();
    path
}

/// `meetingmap import` of `feed` as source `local`, run as its own process.
fn import(feed: &Path, db: &Path) {
    import_into(feed, db.to_str().unwrap());
}

/// `meetingmap import` of `feed` as source `local` into the database at `database` (a path or
/// URL), run as its own process.
pub(crate) fn import_into(feed: &Path, database: &str) {
    let out = meetingmap(&[
        "import",
        "--file",
        feed.to_str().unwrap(),
        "--format",
        "meeting-guide",
        "--fellowship",
        "aa",
        "--source-id",
        "local",
        "--force",
        "--database",
        database,
    ]);
    assert!(out.contains("local "), "{out}");
}

/// GET, answering status, `ETag` and JSON body.
pub(crate) async fn get(url: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let etag = response
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    (status, etag, response.json().await.unwrap_or(Value::Null))
}

/// Polls `done` until it holds, failing the test after [`SEEN_WITHIN`].
pub(crate) async fn within_deadline<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = Instant::now() + SEEN_WITHIN;
    while !done().await {
        assert!(Instant::now() < deadline, "not within {SEEN_WITHIN:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn an_import_in_another_process_is_served_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    meetingmap(&["migrate", "--database", db.to_str().unwrap()]);
    let server = serve(dir.path(), &db);
    let base = server.base.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (_, _, body) = get(&format!("{base}/v1/meetings?limit=500")).await;
        assert_eq!(ids(&body).len(), 0, "{body}");

        import(&feed_file(dir.path(), 12), &db);
        within_deadline("the imported meetings", || async {
            let (_, _, body) = get(&format!("{base}/v1/meetings?limit=500")).await;
            ids(&body).len() == 12
        })
        .await;
        // The history (read from the store) and the meetings (from the snapshot) agree.
        let (status, _, sources) = get(&format!("{base}/v1/sources")).await;
        assert_eq!(status, 200);
        let local = sources["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "local")
            .unwrap_or_else(|| panic!("no source `local`: {sources}"));
        assert_eq!(local["status"], "ok");
        assert_eq!(local["meetings"], 12);
        assert_eq!(local["last_counts"]["added"], 12);
        assert!(local["last_success_at"].is_string(), "{local}");

        // A later import that shrinks the source is seen too.
        import(&feed_file(dir.path(), 5), &db);
        within_deadline("the shrunk source", || async {
            let (_, _, body) = get(&format!("{base}/v1/meetings?limit=500")).await;
            ids(&body).len() == 5
        })
        .await;
        let (_, _, sources) = get(&format!("{base}/v1/sources")).await;
        assert_eq!(sources["sources"][0]["meetings"], 5, "{sources}");
    });
}

#[test]
fn a_cursor_outlives_a_restart_but_not_a_change_of_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("restart.db");
    let db_text = db.to_str().unwrap();
    meetingmap(&[
        "demo-data",
        "--meetings",
        "300",
        "--seed",
        "3",
        "--database",
        db_text,
    ]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first = "/v1/meetings?limit=10&fellowship=aa,na";

    let server = serve(dir.path(), &db);
    let (etag, cursor, second_page) = runtime.block_on(async {
        let (status, etag, page) = get(&format!("{}{first}", server.base)).await;
        assert_eq!(status, 200, "{page}");
        let cursor = page["next"].as_str().expect("more than one page").to_string();
        let (status, _, second) = get(&format!("{}{first}&cursor={cursor}", server.base)).await;
        assert_eq!(status, 200, "{second}");
        (etag.unwrap(), cursor, ids(&second))
    });
    drop(server);

    let server = serve(dir.path(), &db);
    let base = server.base.clone();
    runtime.block_on(async {
        // Same database, same data: the same version, so the same ETag and a usable cursor.
        let (_, etag_again, _) = get(&format!("{base}{first}")).await;
        assert_eq!(etag_again.as_deref(), Some(etag.as_str()));
        let (status, _, page) = get(&format!("{base}{first}&cursor={cursor}")).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(ids(&page), second_page);

        // Another process changes the data: the server sees it, and the old cursor is refused.
        import(&feed_file(dir.path(), 4), &db);
        within_deadline("the cursor refused after the import", || async {
            let (status, _, _) = get(&format!("{base}{first}&cursor={cursor}")).await;
            status == 410
        })
        .await;
        let (_, _, sources) = get(&format!("{base}/v1/sources")).await;
        let local = sources["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "local");
        assert_eq!(local.map(|s| &s["meetings"]), Some(&Value::from(4)), "{sources}");
    });
}

#[tokio::test]
async fn directories_sharing_a_database_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("two.db").display());
    let writer = Directory::open(&url).await.unwrap();
    let reader = Directory::open(&url).await.unwrap();
    assert_eq!(writer.snapshot().version(), reader.snapshot().version());
    assert!(!reader.refresh_if_changed().await.unwrap(), "nothing changed yet");

    // A local write is served at once by the directory that made it, and polled by the other.
    let a = meeting("a", HOME).normalise().unwrap();
    writer.put_meetings(&[a]).await.unwrap();
    assert_eq!(writer.snapshot().len(), 1);
    assert_eq!(reader.snapshot().len(), 0);
    assert!(reader.refresh_if_changed().await.unwrap());
    assert_eq!(reader.snapshot().len(), 1);
    assert_eq!(reader.snapshot().version(), writer.snapshot().version());
    assert!(!reader.refresh_if_changed().await.unwrap());

    // The watcher does the polling.
    let watcher = reader.watch(Duration::from_millis(20));
    let b = meeting("b", HOME).normalise().unwrap();
    writer.put_meetings(&[b]).await.unwrap();
    within_deadline("the watcher's refresh", || async { reader.snapshot().len() == 2 }).await;
    watcher.abort();
}

#[tokio::test]
async fn a_failing_poll_keeps_the_snapshot_and_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    let url = format!("sqlite://{}", path.display());
    let directory = Directory::open(&url).await.unwrap();
    directory
        .put_meetings(&[meeting("a", HOME).normalise().unwrap()])
        .await
        .unwrap();
    let version = directory.snapshot().version();

    // Someone breaks the database under the server.
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("DROP TABLE data_version")
        .execute(&mut other)
        .await
        .unwrap();
    assert!(directory.refresh_if_changed().await.is_err());
    let watcher = directory.watch(Duration::from_millis(10));
    // Several failed polls.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!watcher.is_finished(), "the watcher keeps polling");
    let snapshot = directory.snapshot();
    assert_eq!((snapshot.len(), snapshot.version()), (1, version));
    watcher.abort();
}

#[tokio::test]
async fn a_replica_behind_a_cursor_catches_up_instead_of_refusing_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("behind.db").display());
    let ahead = Directory::open(&url).await.unwrap();
    let behind = Directory::open(&url).await.unwrap();
    let old = behind.snapshot();
    ahead
        .put_meetings(&[meeting("a", HOME).normalise().unwrap()])
        .await
        .unwrap();
    // A cursor issued by the replica that is ahead reaches the one that has not polled yet.
    let newer = ahead.snapshot().version();
    let answered = behind.catch_up_to(Some(newer), behind.snapshot()).await;
    assert_eq!((answered.version(), answered.len()), (newer, 1));
    assert_eq!(
        behind.snapshot().version(),
        newer,
        "and it serves the new data from now on"
    );
    // A cursor that is really stale (older data, or another database) is answered from the
    // current snapshot, which refuses it; no cursor needs nothing.
    let current = behind.snapshot();
    assert_eq!(
        behind
            .catch_up_to(Some(old.version()), current.clone())
            .await
            .version(),
        newer
    );
    assert_eq!(
        behind.catch_up_to(Some(12345), current.clone()).await.version(),
        newer
    );
    assert_eq!(behind.catch_up_to(None, current).await.version(), newer);
}

#[tokio::test]
async fn a_kept_lease_outlives_its_period_and_lapses_once_no_longer_renewed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lease.db").display());
    let working = Directory::open(&url).await.unwrap();
    let waiting = Directory::open(&url).await.unwrap();
    let ttl = Duration::from_millis(900);
    let lease = working.lease("import:slow", ttl).await.unwrap().expect("free");
    let renewing = working.keep(&lease, ttl);
    // Well past one period: still held, because it is renewed.
    tokio::time::sleep(ttl * 2).await;
    assert!(waiting.lease("import:slow", ttl).await.unwrap().is_none());
    // The holder stops (as a crashed one does): the lease lapses one period later.
    renewing.abort();
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    let taken = waiting.lease("import:slow", ttl).await.unwrap();
    assert!(taken.is_some(), "taken over after expiry");
    // The late holder cannot give back what is no longer its own.
    working.release(lease).await.unwrap();
    assert!(working.lease("import:slow", ttl).await.unwrap().is_none());
    waiting.release(taken.unwrap()).await.unwrap();
}

#[tokio::test]
async fn ready_fails_while_the_snapshot_lags_the_database_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("lag.db").display());
    let app = crate::common::TestApp::builder()
        .meetings(vec![meeting("a", HOME)])
        .settings(|s| {
            s.database.url = url.clone();
            s.ready_max_behind = 0;
            // The test polls by hand.
            s.watch_ms = 0;
        })
        .start()
        .await;
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, 200, "{body}");

    // Another process commits a version this server cannot load (an unreadable row): it sees the
    // version, keeps serving the old snapshot, and says it is behind.
    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let doc: String = sqlx::query_scalar("SELECT doc FROM meetings")
        .fetch_one(&mut other)
        .await
        .unwrap();
    sqlx::raw_sql("UPDATE meetings SET doc = 'not json'; UPDATE data_version SET version = version + 1")
        .execute(&mut other)
        .await
        .unwrap();
    assert!(app.directory.refresh_if_changed().await.is_err());
    assert_eq!(app.directory.versions_behind(), 1);
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(app.ids("limit=10").await, ["a"], "still serving what it has");

    // Repaired (a new version again): it catches up and is ready.
    sqlx::query("UPDATE meetings SET doc = ?")
        .bind(doc)
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("UPDATE data_version SET version = version + 1")
        .execute(&mut other)
        .await
        .unwrap();
    assert!(app.directory.refresh_if_changed().await.unwrap());
    assert_eq!(app.directory.versions_behind(), 0);
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, 200, "{body}");
}
