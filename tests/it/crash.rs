//! `kill -9` of a `meetingmap import` of 100,000 meetings at several moments (reading, building,
//! writing, after): every time, the database passes `PRAGMA integrity_check`, `serve` starts on it,
//! and the data is the old import's or the new one's, never a mix, with the import history
//! agreeing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::ServeProcess;
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

const MEETINGS: usize = 100_000;
const SOURCE: &str = "crash";

/// A Meeting Guide feed of `MEETINGS` records named `{prefix} group {i}`, spread over Great
/// Britain (a feed with every meeting at one point would make duplicate detection the test).
fn write_feed(path: &Path, prefix: &str) {
    let records: Vec<Value> = (0..MEETINGS)
        .map(|i| {
            serde_json::json!({"slug": format!("m{i}"), "name": format!("{prefix} group {i}"), "day": i % 7,
                "time": "19:30", "timezone": "Europe/London", "types": ["O"], "location": "Hall",
                "address": format!("{i} High St"), "city": "Town",
                "latitude": 50.0 + (i % 300) as f64 * 0.03, "longitude": -5.0 + (i / 300) as f64 * 0.02})
        })
        .collect();
    std::fs::write(path, serde_json::to_vec(&records).unwrap()).unwrap();
}

fn import_command(feed: &Path, db: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meetingmap"));
    command
        .args(["import", "--file"])
        .arg(feed)
        .args([
            "--format",
            "meeting-guide",
            "--fellowship",
            "aa",
            "--source-id",
            SOURCE,
        ])
        .arg("--database")
        .arg(db)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Copies a database with its WAL and shared-memory files, if any.
fn copy_db(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        if source.exists() {
            std::fs::copy(&source, format!("{}{suffix}", to.display())).unwrap();
        }
    }
}

/// Which state the database holds, `"Old"` or `"New"`, after checking it is sound and whole.
async fn state(db: &Path) -> &'static str {
    let mut connection = SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false)
        .connect()
        .await
        .unwrap();
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let row = sqlx::query(
        "SELECT COUNT(*) AS n,
                SUM(json_extract(doc, '$.name') LIKE 'Old group %') AS old,
                SUM(json_extract(doc, '$.name') LIKE 'New group %') AS new
         FROM meetings WHERE source_id = ?",
    )
    .bind(SOURCE)
    .fetch_one(&mut connection)
    .await
    .unwrap();
    let (n, old, new): (i64, i64, i64) = (row.get("n"), row.get("old"), row.get("new"));
    let imports: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM imports WHERE source_id = ?")
        .bind(SOURCE)
        .fetch_one(&mut connection)
        .await
        .unwrap();
    let total = MEETINGS as i64;
    // The meetings and their import's history entry are one transaction.
    match (n, old, new, imports) {
        (n, o, 0, 1) if n == total && o == total => "Old",
        (n, 0, w, 2) if n == total && w == total => "New",
        other => panic!("a mix of old and new: (meetings, old, new, imports) = {other:?}"),
    }
}

/// `serve` starts on the database and serves the state the store holds.
async fn serves(db: &Path, expect: &str) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meetingmap"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--no-refresh", "--database"])
        .arg(db);
    let server = ServeProcess::start(command);
    let sources: Value = reqwest::get(format!("{}/v1/sources", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let crash = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == SOURCE)
        .unwrap_or_else(|| panic!("{sources}"));
    assert_eq!(crash["meetings"], MEETINGS, "{crash}");
    let meeting: Value = reqwest::get(format!("{}/v1/meetings/{SOURCE}-m12345", server.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meeting["name"], format!("{expect} group 12345"));
}

// About 4 minutes in a debug build on two cores (each import of 100,000 meetings takes about
// 30 s, each start of `serve` a few): run with `cargo test --test it crash -- --ignored`.
#[test]
#[ignore = "slow: cargo test --test it crash -- --ignored"]
fn an_import_killed_at_any_moment_leaves_the_old_or_the_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let (old_feed, new_feed) = (dir.path().join("old.json"), dir.path().join("new.json"));
    write_feed(&old_feed, "Old");
    write_feed(&new_feed, "New");
    let base = dir.path().join("base.db");
    assert!(import_command(&old_feed, &base).status().unwrap().success());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert_eq!(runtime.block_on(state(&base)), "Old");

    // One import left to finish says how long one takes, so the kills spread over all of it.
    let whole = dir.path().join("whole.db");
    copy_db(&base, &whole);
    let started = Instant::now();
    assert!(import_command(&new_feed, &whole).status().unwrap().success());
    let full = started.elapsed();
    assert_eq!(runtime.block_on(state(&whole)), "New");

    let mut seen = Vec::new();
    for (i, share) in [0.1, 0.3, 0.5, 0.7, 0.85, 0.95].into_iter().enumerate() {
        let db = dir.path().join(format!("kill{i}.db"));
        copy_db(&base, &db);
        let mut child = import_command(&new_feed, &db).spawn().unwrap();
        std::thread::sleep(full.mul_f64(share));
        // `Child::kill` is SIGKILL on Unix: no destructor, no rollback, no checkpoint.
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        child.wait().unwrap();
        let found = runtime.block_on(state(&db));
        runtime.block_on(serves(&db, found));
        seen.push(format!(
            "killed at {:.1} s: {found}{}",
            full.mul_f64(share).as_secs_f64(),
            if finished { " (had finished)" } else { "" }
        ));
    }
    println!("one import: {:.1} s; {}", full.as_secs_f64(), seen.join("; "));
    assert!(full > Duration::ZERO);
}
