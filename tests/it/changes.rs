//! `/v1/changes`: the RPDE-style change feed. A client that pages through it while imports run,
//! then polls until a page is empty, ends with exactly the directory's meetings, having seen every
//! change once, with tombstones for the meetings really gone and nothing for imports that only
//! confirmed what was there.

use std::collections::{BTreeMap, HashSet};

use meetingmap::domain::{ImportOutcome, ImportRun, Meeting};
use serde_json::Value;

use crate::common::{meeting, north_of, TestApp, HOME};

const SOURCE: &str = "test";

fn feed(ids: impl IntoIterator<Item = usize>, edition: usize) -> Vec<Meeting> {
    ids.into_iter()
        .map(|i| {
            let mut m = meeting(&format!("m{i:03}"), north_of(HOME, i as f64 * 0.5));
            // Each edition renames one meeting in five, so some change and most do not.
            if (i + edition) % 5 == 0 {
                m.name = format!("Meeting m{i:03} (renamed)");
            }
            // Every import moves `last_seen_at` on; that alone is not a change.
            m.last_seen_at += jiff::SignedDuration::from_hours(edition as i64);
            m.normalise().unwrap()
        })
        .collect()
}

fn run(edition: usize) -> ImportRun {
    let at: jiff::Timestamp = "2026-11-01T12:00:00Z".parse().unwrap();
    let at = at + jiff::SignedDuration::from_hours(edition as i64);
    ImportRun::begun(SOURCE, at, ImportOutcome::Succeeded)
}

/// Which meetings edition `n` of the feed lists: a window that slides, so each import drops a few
/// meetings and adds a few (some of them back after a gap).
fn edition_ids(n: usize) -> std::ops::Range<usize> {
    (n * 3)..(n * 3 + 40)
}

/// The path and query of a `next` URL.
fn path_of(next: &str) -> String {
    let rest = next.split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_string()
}

/// Applies one page to the client's copy; returns the page's items and `next`.
fn apply(page: &Value, copy: &mut BTreeMap<String, Value>, seen: &mut Vec<(i64, String, String)>) -> usize {
    let items = page["items"].as_array().unwrap();
    for item in items {
        let id = item["id"].as_str().unwrap().to_string();
        let modified = item["modified"].as_i64().unwrap();
        let state = item["state"].as_str().unwrap().to_string();
        assert_eq!(item["kind"], "meeting");
        match state.as_str() {
            "updated" => {
                assert_eq!(item["data"]["id"], id.as_str());
                assert!(item["data"].get("directions_url").is_some(), "{item}");
                copy.insert(id.clone(), item["data"].clone());
            }
            "deleted" => {
                assert!(item.get("data").is_none(), "tombstones carry no data: {item}");
                copy.remove(&id);
            }
            other => panic!("unknown state {other}"),
        }
        seen.push((modified, id, state));
    }
    items.len()
}

#[tokio::test]
async fn paging_while_imports_run_sees_every_change_once_and_ends_in_step() {
    let app = TestApp::start(Vec::new()).await;
    app.directory
        .apply_import(&feed(edition_ids(0), 0), &run(0))
        .await
        .unwrap();

    let (status, first) = app.get("/v1/changes?limit=7").await;
    assert_eq!(status, 200, "{first}");
    let mut copy = BTreeMap::new();
    let mut seen = Vec::new();
    assert_eq!(apply(&first, &mut copy, &mut seen), 7);
    let mut next = path_of(first["next"].as_str().unwrap());

    // Imports run beside the client: one in lock step after every page (so edits certainly land
    // between pages), and a writer of its own racing the client.
    let directory = app.directory.clone();
    let racer = tokio::spawn(async move {
        for edition in 20..30 {
            directory
                .apply_import(&feed(edition_ids(edition), edition), &run(edition))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    });
    let mut edition = 1;
    let mut empty_pages = 0;
    let mut racing = Some(racer);
    loop {
        if edition < 15 {
            app.directory
                .apply_import(&feed(edition_ids(edition), edition), &run(edition))
                .await
                .unwrap();
            edition += 1;
        } else if let Some(racer) = racing.take() {
            racer.await.unwrap();
        }
        let (status, page) = app.get(&next).await;
        assert_eq!(status, 200, "{page}");
        let count = apply(&page, &mut copy, &mut seen);
        let following = path_of(page["next"].as_str().unwrap());
        if count == 0 {
            assert_eq!(following, next, "an empty page points at itself, to poll again");
            if edition >= 15 && racing.is_none() {
                empty_pages += 1;
                if empty_pages == 2 {
                    break;
                }
            }
        }
        next = following;
    }

    // In step: the client's copy is the directory's meetings, as the API serves each one.
    let stored = app.directory.stored_meetings().await.unwrap();
    let ids: Vec<&String> = copy.keys().collect();
    let stored_ids: Vec<&String> = stored.iter().map(|m| &m.id).collect();
    assert_eq!(ids, stored_ids);
    for m in &stored {
        let (status, served) = app.get(&format!("/v1/meetings/{}", m.id)).await;
        assert_eq!(status, 200);
        assert_eq!(copy[&m.id]["name"], served["name"], "{}", m.id);
    }

    // Every change once: positions strictly increase, so no (modified, id) came twice...
    for pair in seen.windows(2) {
        assert!((pair[0].0, &pair[0].1) < (pair[1].0, &pair[1].1), "{pair:?}");
    }
    // ...tombstones were sent for meetings that left the feed...
    let tombstones: HashSet<&str> = seen
        .iter()
        .filter(|(_, _, state)| state == "deleted")
        .map(|(_, id, _)| id.as_str())
        .collect();
    assert!(tombstones.contains("m000"), "m000 left the feed at edition 1");
    // ...and none for a meeting still listed at the end.
    assert!(!stored.iter().any(|m| {
        seen.iter()
            .rev()
            .find(|(_, id, _)| *id == m.id)
            .is_some_and(|(_, _, state)| state == "deleted")
    }));
}

#[tokio::test]
async fn an_import_that_only_confirms_meetings_records_no_change() {
    let app = TestApp::start(Vec::new()).await;
    app.directory
        .apply_import(&feed(0..10, 0), &run(0))
        .await
        .unwrap();
    let (_, page) = app.get("/v1/changes").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    let next = path_of(page["next"].as_str().unwrap());

    // The same meetings, seen again later: only `last_seen_at` moves.
    app.directory
        .apply_import(&feed(0..10, 5), &run(5))
        .await
        .unwrap();
    app.directory.touch_import(&run(6)).await.unwrap();
    let (_, page) = app.get(&next).await;
    assert_eq!(page["items"], serde_json::json!([]), "{page}");

    // One renamed and one gone: exactly two items, the tombstone without data.
    app.directory
        .apply_import(&feed(1..10, 1), &run(7))
        .await
        .unwrap();
    let (_, page) = app.get(&next).await;
    let items = page["items"].as_array().unwrap();
    let summary: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["state"].as_str().unwrap()))
        .collect();
    // Edition 1 renames meetings with (i + 1) % 5 == 0 (4 and 9) and edition 0 renamed 0 and 5
    // (edition 5 the same ones, the same way): 4, 5 and 9 changed name; 0 is gone.
    assert_eq!(
        summary,
        [
            ("m000", "deleted"),
            ("m004", "updated"),
            ("m005", "updated"),
            ("m009", "updated")
        ]
    );
    assert_eq!(items[1]["data"]["name"], "Meeting m004 (renamed)");
    let modified: HashSet<i64> = items.iter().map(|i| i["modified"].as_i64().unwrap()).collect();
    assert_eq!(modified.len(), 1, "one write, one change number");
    assert!(items[0]["changed_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn since_starts_at_a_time_and_bad_parameters_are_named() {
    let app = TestApp::start(Vec::new()).await;
    app.directory.apply_import(&feed(0..3, 0), &run(0)).await.unwrap();
    let (_, all) = app.get("/v1/changes").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3);
    // Far in the future: nothing yet, and `next` polls the same question.
    let (status, later) = app.get("/v1/changes?since=2199-01-01T00:00:00Z").await;
    assert_eq!(status, 200);
    assert_eq!(later["items"], serde_json::json!([]));
    assert!(later["next"]
        .as_str()
        .unwrap()
        .ends_with("/v1/changes?since=2199-01-01T00:00:00Z"));
    let (_, early) = app.get("/v1/changes?since=2000-01-01T00:00:00Z").await;
    assert_eq!(early["items"], all["items"]);

    let (status, problem) = app
        .get("/v1/changes?since=yesterday&limit=0&cursor=zz&colour=red")
        .await;
    assert_eq!(status, 400);
    let mut names: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["colour", "cursor", "limit", "since"]);

    // A cursor of another database is refused, not read as a position here.
    let other = TestApp::start(Vec::new()).await;
    other
        .directory
        .apply_import(&feed(0..3, 0), &run(0))
        .await
        .unwrap();
    let (_, theirs) = other.get("/v1/changes?limit=1").await;
    let (status, problem) = app.get(&path_of(theirs["next"].as_str().unwrap())).await;
    assert_eq!(status, 410, "{problem}");
}
