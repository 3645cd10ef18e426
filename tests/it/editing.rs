//! Editing by hand: API keys, meetings of sources kept by hand, corrections over imported
//! meetings that survive re-imports, the audit trail, and problem reports, through the real
//! server (and `meetingmap keys` / `meetingmap local-source` for the key lifecycle).

use std::path::Path;
use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::*;
use meetingmap::domain::{ApiKey, LocalSource, Role};
use meetingmap::editing::keys;
use meetingmap::gazetteer::Gazetteer;
use meetingmap::import::fetch::Fetcher;
use meetingmap::import::source::SourceDefinition;
use meetingmap::import::{ImportOptions, Importer};

const LOCAL: &str = "wrexham-agency";

/// A key made straight in the store, as `meetingmap keys create` makes one.
async fn key(app: &TestApp, name: &str, role: Role, sources: &[&str]) -> String {
    let new = keys::generate();
    let key = ApiKey {
        id: new.id.clone(),
        name: name.into(),
        role,
        sources: sources.iter().map(|s| s.to_string()).collect(),
        created_at: "2026-11-01T12:00:00Z".parse().unwrap(),
        revoked_at: None,
    };
    app.directory.put_key(&key, &new.hash).await.unwrap();
    new.token
}

async fn local_source(app: &TestApp, id: &str) {
    app.directory
        .put_local_source(&LocalSource {
            id: id.into(),
            name: "Wrexham agency list".into(),
            attribution: "Listed by the Wrexham agency".into(),
            created_at: "2026-11-01T12:00:00Z".parse().unwrap(),
        })
        .await
        .unwrap();
}

fn smart_fields() -> Value {
    json!({
        "name": "SMART Recovery Wrexham", "fellowship": "SMART Recovery", "day": "Tuesday",
        "start": "18:30", "end": "20:00", "types": ["format:discussion"], "venue": "The agency",
        "address": "1 High Street", "town": "Wrexham", "postcode": "LL11 1AA",
        "latitude": 53.0462, "longitude": -2.9930, "who_can_attend": "Open to all"
    })
}

/// Sends `method` with a Bearer key, an optional If-Match and a JSON body.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: Option<Value>,
) -> TestResponse {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = vec![("content-type", "application/json")];
    if let Some(auth) = auth.as_deref() {
        headers.push(("authorization", auth));
    }
    if let Some(etag) = if_match {
        headers.push(("if-match", etag));
    }
    app.request(
        method,
        path,
        &headers,
        body.map(|b| serde_json::to_vec(&b).unwrap()),
    )
    .await
}

fn assert_problem(response: &TestResponse, status: u16) -> Value {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{}",
        response.body
    );
    let problem = response.json();
    assert_eq!(problem["status"], status);
    assert!(problem["type"].as_str().unwrap().starts_with("/problems/"));
    problem
}

async fn create(app: &TestApp, token: &str, fields: Value) -> TestResponse {
    send(
        app,
        Method::POST,
        &format!("/v1/admin/sources/{LOCAL}/meetings"),
        Some(token),
        None,
        Some(json!({"fields": fields, "note": "seen on the notice board"})),
    )
    .await
}

#[tokio::test]
async fn a_key_is_made_used_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keys.db").display().to_string();
    meetingmap(&[
        "local-source",
        "add",
        "--id",
        LOCAL,
        "--name",
        "Wrexham agency list",
        "--attribution",
        "Wrexham agency",
        "--database",
        &db,
    ]);
    let token = meetingmap(&[
        "keys",
        "create",
        "--name",
        "Wrexham agency",
        "--role",
        "editor",
        "--sources",
        LOCAL,
        "--database",
        &db,
    ]);
    let token = token.trim().to_string();
    let (id, secret) = keys::split(&token).expect("a key is printed");
    let listed = meetingmap(&["keys", "list", "--database", &db]);
    assert!(
        listed.contains(id) && listed.contains("Wrexham agency") && listed.contains("live"),
        "{listed}"
    );
    assert!(!listed.contains(secret), "the secret is never listed");
    // Nor stored: the database file holds its hash only.
    let stored = std::fs::read(dir.path().join("keys.db")).unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains(secret));

    let app = TestApp::builder()
        .settings(|s| s.database.url = db.clone())
        .start()
        .await;
    let who = send(&app, Method::GET, "/v1/admin/whoami", Some(&token), None, None).await;
    assert_eq!(who.status, 200, "{}", who.body);
    assert_eq!(who.json()["key"]["role"], "editor");
    assert_eq!(create(&app, &token, smart_fields()).await.status, 201);

    meetingmap(&["keys", "revoke", id, "--database", &db]);
    let refused = send(&app, Method::GET, "/v1/admin/whoami", Some(&token), None, None).await;
    assert_problem(&refused, 401);
    assert!(refused.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert!(meetingmap(&["keys", "list", "--database", &db]).contains("revoked"));
}

#[tokio::test]
async fn keys_are_checked_on_every_write_endpoint() {
    let app = TestApp::start(vec![meeting("imported-1", (53.0462, -2.993))]).await;
    local_source(&app, LOCAL).await;
    local_source(&app, "other-agency").await;
    let editor = key(&app, "Wrexham agency", Role::Editor, &[LOCAL]).await;
    let stranger = key(&app, "Chester agency", Role::Editor, &["other-agency"]).await;
    let created = create(&app, &editor, smart_fields()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["meeting"]["id"].as_str().unwrap().to_string();
    let etag = created.header("etag").unwrap().to_string();
    let path = format!("/v1/admin/meetings/{id}");
    let body = Some(json!({"fields": {"notes": "x"}}));

    let endpoints: Vec<(Method, String)> = vec![
        (Method::GET, "/v1/admin/whoami".into()),
        (Method::GET, "/v1/admin/meetings".into()),
        (Method::GET, path.clone()),
        (Method::PUT, path.clone()),
        (Method::PATCH, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::DELETE, format!("{path}/corrections")),
        (Method::POST, format!("/v1/admin/sources/{LOCAL}/meetings")),
        (Method::POST, format!("/v1/admin/sources/{LOCAL}/upload")),
        (Method::GET, "/v1/admin/audit".into()),
        (Method::GET, format!("/v1/meetings/{id}/history")),
        (Method::GET, "/v1/admin/reports".into()),
        (Method::PATCH, "/v1/admin/reports/1".into()),
    ];
    for (method, path) in &endpoints {
        // No key, a malformed one, a made-up one: 401.
        for token in [None, Some("nonsense"), Some("mmk_0123456789ab.secret")] {
            let r = send(&app, method.clone(), path, token, Some(&etag), body.clone()).await;
            assert_problem(&r, 401);
        }
    }
    // A key for another source: 403 on this source's meetings.
    for (method, path) in [
        (Method::GET, path.clone()),
        (Method::PUT, path.clone()),
        (Method::PATCH, path.clone()),
        (Method::DELETE, path.clone()),
        (Method::POST, format!("/v1/admin/sources/{LOCAL}/meetings")),
        (Method::GET, format!("/v1/meetings/{id}/history")),
        (Method::GET, format!("/v1/admin/audit?source={LOCAL}")),
    ] {
        let body = (method != Method::DELETE).then(|| json!({"fields": smart_fields()}));
        let r = send(&app, method.clone(), &path, Some(&stranger), Some(&etag), body).await;
        assert_problem(&r, 403);
    }
    // An editor may not correct an imported meeting of a source it was not granted.
    let r = send(
        &app,
        Method::PATCH,
        "/v1/admin/meetings/imported-1",
        Some(&editor),
        Some("\"x\""),
        body.clone(),
    )
    .await;
    assert_problem(&r, 403);
    // 404: no such meeting, source or report.
    for (method, path) in [
        (Method::GET, "/v1/admin/meetings/nope".to_string()),
        (Method::PATCH, "/v1/admin/meetings/nope".into()),
        (Method::PUT, "/v1/admin/meetings/nope".into()),
        (Method::DELETE, "/v1/admin/meetings/nope".into()),
        (Method::GET, "/v1/meetings/nope/history".into()),
        (Method::POST, "/v1/admin/sources/nowhere/meetings".into()),
    ] {
        let body = (method != Method::DELETE).then(|| json!({"fields": smart_fields()}));
        let r = send(&app, method, &path, Some(&editor), Some(&etag), body).await;
        assert_problem(&r, 404);
    }
    let admin = key(&app, "Operator", Role::Admin, &[]).await;
    let r = send(
        &app,
        Method::PATCH,
        "/v1/admin/reports/999",
        Some(&admin),
        None,
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert_problem(&r, 404);
}

#[tokio::test]
async fn a_local_meeting_is_created_patched_and_withdrawn_with_if_match_and_an_audit_trail() {
    let app = TestApp::start(vec![]).await;
    local_source(&app, LOCAL).await;
    let token = key(&app, "Wrexham agency", Role::Editor, &[LOCAL]).await;
    let (_, secret) = keys::split(&token).unwrap();
    let secret = secret.to_string();

    // 422 names every bad field at once.
    let mut bad = smart_fields();
    bad["day"] = json!("Someday");
    bad["latitude"] = json!("north");
    bad["types"] = json!(["format:juggling"]);
    bad["colour"] = json!("red");
    let refused = create(&app, &token, bad).await;
    let problem = assert_problem(&refused, 422);
    let named: Vec<&str> = problem["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(named, ["colour", "latitude", "types"], "{problem}");
    let mut bad = smart_fields();
    bad["day"] = json!("Someday");
    let problem = assert_problem(&create(&app, &token, bad).await, 422);
    assert_eq!(problem["invalid_params"][0]["name"], "day");
    let mut bad = smart_fields();
    bad["fellowship"] = json!("Knitting Anonymous");
    let problem = assert_problem(&create(&app, &token, bad).await, 422);
    assert_eq!(problem["invalid_params"][0]["name"], "fellowship");
    let mut bad = smart_fields();
    for f in ["venue", "address", "postcode", "latitude", "longitude", "town"] {
        bad[f] = Value::Null;
    }
    let problem = assert_problem(&create(&app, &token, bad).await, 422);
    assert_eq!(problem["invalid_params"][0]["name"], "venue", "{problem}");
    assert_problem(
        &send(
            &app,
            Method::POST,
            &format!("/v1/admin/sources/{LOCAL}/meetings"),
            Some(&token),
            None,
            Some(json!("nonsense")),
        )
        .await,
        400,
    );

    // Created, and published before the answer: the public search lists it.
    let created = create(&app, &token, smart_fields()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["meeting"]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with(&format!("{LOCAL}-")), "{id}");
    assert_eq!(
        created.header("location").unwrap(),
        format!("/v1/admin/meetings/{id}")
    );
    let etag = created.header("etag").unwrap().to_string();
    let (status, found) = app.get(&format!("/v1/meetings/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(found["fellowship"], "smart");
    assert_eq!(found["source"]["name"], "Wrexham agency list");
    assert_eq!(found["schedule"]["duration_minutes"], 90);
    // The same id again: 409.
    let mut again = smart_fields();
    again["id"] = created.json()["fields"]["id"].clone();
    assert_problem(&create(&app, &token, again).await, 409);

    // A change needs If-Match (428) with the current ETag (412 otherwise).
    let path = format!("/v1/admin/meetings/{id}");
    let patch = Some(json!({"fields": {"start": "19:00", "end": "20:30"}, "note": "moved to seven"}));
    assert_problem(
        &send(&app, Method::PATCH, &path, Some(&token), None, patch.clone()).await,
        428,
    );
    assert_problem(
        &send(
            &app,
            Method::PATCH,
            &path,
            Some(&token),
            Some("\"stale\""),
            patch.clone(),
        )
        .await,
        412,
    );
    let patched = send(
        &app,
        Method::PATCH,
        &path,
        Some(&token),
        Some(&etag),
        patch.clone(),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let new_etag = patched.header("etag").unwrap().to_string();
    assert_ne!(new_etag, etag);
    // The old ETag is now stale: a second editor saving from the old read loses, and says so.
    assert_problem(
        &send(
            &app,
            Method::PATCH,
            &path,
            Some(&token),
            Some(&etag),
            patch.clone(),
        )
        .await,
        412,
    );
    let (_, found) = app.get(&format!("/v1/meetings/{id}")).await;
    assert_eq!(found["schedule"]["start_time"], "19:00");
    assert_eq!(found["name"], "SMART Recovery Wrexham", "a patch keeps the rest");
    // A bad patch: 422, nothing changed.
    let r = send(
        &app,
        Method::PATCH,
        &path,
        Some(&token),
        Some(&new_etag),
        Some(json!({"fields": {"start": "25:99"}})),
    )
    .await;
    assert_eq!(assert_problem(&r, 422)["invalid_params"][0]["name"], "start");

    // PUT replaces the whole meeting.
    let mut replaced = smart_fields();
    replaced["name"] = json!("SMART Recovery Wrexham (evening)");
    let put = send(
        &app,
        Method::PUT,
        &path,
        Some(&token),
        Some(&new_etag),
        Some(json!({"fields": replaced})),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["meeting"]["id"], id.as_str(), "the id stays");
    let put_etag = put.header("etag").unwrap().to_string();

    // Withdrawn: gone from the directory; its history stays.
    assert_problem(
        &send(&app, Method::DELETE, &path, Some(&token), None, None).await,
        428,
    );
    let gone = send(
        &app,
        Method::DELETE,
        &path,
        Some(&token),
        Some(&put_etag),
        Some(json!({"note": "group closed"})),
    )
    .await;
    assert_eq!(gone.status, 204, "{}", gone.body);
    assert_eq!(app.get(&format!("/v1/meetings/{id}")).await.0, 404);

    let history = send(
        &app,
        Method::GET,
        &format!("/v1/meetings/{id}/history"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let rows = history.json()["audit"].as_array().unwrap().clone();
    let actions: Vec<&str> = rows.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["withdraw", "replace", "patch", "create"]);
    assert_eq!(rows[0]["note"], "group closed");
    assert_eq!(rows[2]["note"], "moved to seven");
    assert_eq!(
        rows[2]["diff"]["schedule.start_time"],
        json!({"before": "18:30", "after": "19:00"}),
        "{}",
        rows[2]
    );
    assert_eq!(
        rows[1]["diff"]["name"]["after"],
        "SMART Recovery Wrexham (evening)"
    );
    let key_id = keys::split(&token).unwrap().0;
    for row in &rows {
        assert_eq!(row["key_id"], key_id);
        assert_eq!(row["key_name"], "Wrexham agency");
    }
    // No secret anywhere in the trail, nor in the database.
    let admin = key(&app, "Operator", Role::Admin, &[]).await;
    let all = send(
        &app,
        Method::GET,
        "/v1/admin/audit?limit=500",
        Some(&admin),
        None,
        None,
    )
    .await;
    assert_eq!(all.json()["audit"].as_array().unwrap().len(), 4);
    assert!(!all.body.contains(&secret) && !history.body.contains(&secret));
    let filtered = send(
        &app,
        Method::GET,
        &format!("/v1/admin/audit?source={LOCAL}&limit=2"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(filtered.status, 200, "{}", filtered.body);
    let page = filtered.json();
    assert_eq!(page["audit"].as_array().unwrap().len(), 2);
    let next = page["next"].as_i64().unwrap();
    let rest = send(
        &app,
        Method::GET,
        &format!("/v1/admin/audit?source={LOCAL}&before={next}"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(rest.json()["audit"].as_array().unwrap().len(), 2);
    assert_problem(
        &send(
            &app,
            Method::GET,
            "/v1/admin/audit?limit=0",
            Some(&admin),
            None,
            None,
        )
        .await,
        400,
    );
    assert_problem(
        &send(&app, Method::GET, "/v1/admin/audit", Some(&token), None, None).await,
        403,
    );

    // /v1/sources shows the source kept by hand, its count and its last change.
    create(&app, &token, smart_fields()).await;
    let (_, sources) = app.get("/v1/sources").await;
    let local = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == LOCAL)
        .unwrap()
        .clone();
    assert_eq!(local["kind"], "local");
    assert_eq!(local["meetings"], 1);
    assert_eq!(local["name"], "Wrexham agency list");
    assert!(local["last_change_at"].is_string(), "{local}");
}

/// A CSV feed in the template's shape, imported from a file as `importers/*.toml` define one.
fn feed_source(dir: &Path) -> SourceDefinition {
    let text = format!(
        "id = \"smart-feed\"\nname = \"SMART feed\"\nattribution = \"Synthetic\"\nformat = \"csv\"\n\
         fellowship = \"smart\"\npath = \"{}\"\nmapping = \"mappings/meetingmap-template.toml\"\n\
         timezone = \"Europe/London\"\ncountry = \"GB\"\n",
        dir.join("feed.csv").display()
    );
    SourceDefinition::parse(
        &text,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("importers").as_path(),
    )
    .unwrap()
}

fn write_feed(dir: &Path, venue: &str, notes: &str) {
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("importers/templates/meetings-template.csv"),
    )
    .unwrap();
    let rows = format!(
        "f1,SMART Chester,,SMART Recovery,Wednesday,18:00,19:30,,{notes},{venue},1 Bridge St,Chester,CH1 1AA,53.19,-2.89,,,,,Open to all\n\
         f2,SMART Mold,,SMART Recovery,Thursday,18:00,19:30,,,Library,High St,Mold,CH7 1AA,53.167,-3.141,,,,,Open to all\n"
    );
    std::fs::write(
        dir.join("feed.csv"),
        format!("{}{rows}", header.trim_end().to_string() + "\n"),
    )
    .unwrap();
}

#[tokio::test]
async fn a_correction_to_an_imported_meeting_survives_reimports_and_says_when_the_feed_changes() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(vec![]).await;
    let importer = Importer::new(
        app.directory.clone(),
        Fetcher::new(std::time::Duration::from_secs(5)),
        Arc::new(Gazetteer::bundled()),
    );
    let source = feed_source(dir.path());
    write_feed(dir.path(), "Church Hall", "Ring the bell");
    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
    assert_eq!(run.counts.accepted, 2, "{run:?}");
    let id = "smart-feed-f1";
    let token = key(&app, "Chester editor", Role::Editor, &["smart-feed"]).await;

    let read = send(
        &app,
        Method::GET,
        &format!("/v1/admin/meetings/{id}"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.json()["local"], false);
    let etag = read.header("etag").unwrap().to_string();
    // Imported meetings are corrected, not replaced or withdrawn.
    let path = format!("/v1/admin/meetings/{id}");
    assert_problem(
        &send(
            &app,
            Method::PUT,
            &path,
            Some(&token),
            Some(&etag),
            Some(json!({"fields": smart_fields()})),
        )
        .await,
        409,
    );
    assert_problem(
        &send(&app, Method::DELETE, &path, Some(&token), Some(&etag), None).await,
        409,
    );
    assert_problem(
        &send(
            &app,
            Method::POST,
            "/v1/admin/sources/smart-feed/meetings",
            Some(&token),
            None,
            Some(json!({"fields": smart_fields()})),
        )
        .await,
        409,
    );

    let corrected = send(&app, Method::PATCH, &path, Some(&token), Some(&etag), Some(json!({"fields": {"venue": "Quaker Meeting House", "start": "18:30"}, "note": "moved in November"}))).await;
    assert_eq!(corrected.status, 200, "{}", corrected.body);
    let (_, m) = app.get(&format!("/v1/meetings/{id}")).await;
    assert_eq!(m["location"]["venue"], "Quaker Meeting House");
    assert_eq!(m["schedule"]["start_time"], "18:30");
    assert_eq!(m["notes"], "Ring the bell", "uncorrected fields stay the feed's");

    // The same feed again (forced, so it is rebuilt) keeps the correction.
    importer
        .import(
            &source,
            &ImportOptions {
                force: true,
                progress: None,
            },
        )
        .await
        .unwrap();
    let (_, m) = app.get(&format!("/v1/meetings/{id}")).await;
    assert_eq!(m["location"]["venue"], "Quaker Meeting House");
    let read = send(&app, Method::GET, &path, Some(&token), None, None).await;
    assert_eq!(read.json()["corrections"]["feed_changed"], json!([]));

    // The feed changes a corrected field (and another): the correction stays, flagged, and the
    // feed's other change comes through.
    write_feed(dir.path(), "Town Hall", "Side door");
    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
    assert_eq!(
        run.outcome,
        meetingmap::domain::ImportOutcome::Succeeded,
        "{run:?}"
    );
    let (_, m) = app.get(&format!("/v1/meetings/{id}")).await;
    assert_eq!(m["location"]["venue"], "Quaker Meeting House");
    assert_eq!(m["notes"], "Side door");
    let read = send(&app, Method::GET, &path, Some(&token), None, None).await;
    assert_eq!(
        read.json()["corrections"]["feed_changed"],
        json!(["venue"]),
        "{}",
        read.body
    );

    // Dropping the correction serves the feed's values again.
    let etag = read.header("etag").unwrap().to_string();
    let dropped = send(
        &app,
        Method::DELETE,
        &format!("{path}/corrections"),
        Some(&token),
        Some(&etag),
        None,
    )
    .await;
    assert_eq!(dropped.status, 200, "{}", dropped.body);
    importer
        .import(
            &source,
            &ImportOptions {
                force: true,
                progress: None,
            },
        )
        .await
        .unwrap();
    let (_, m) = app.get(&format!("/v1/meetings/{id}")).await;
    assert_eq!(m["location"]["venue"], "Town Hall");
    assert_eq!(m["schedule"]["start_time"], "18:00");
    let history = send(
        &app,
        Method::GET,
        &format!("/v1/meetings/{id}/history"),
        Some(&token),
        None,
        None,
    )
    .await;
    let actions: Vec<String> = history.json()["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, ["drop_correction", "correct"]);
}

#[tokio::test]
async fn an_import_never_touches_a_source_kept_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let app = TestApp::start(vec![]).await;
    local_source(&app, "smart-feed").await;
    write_feed(dir.path(), "Church Hall", "");
    let importer = Importer::new(
        app.directory.clone(),
        Fetcher::new(std::time::Duration::from_secs(5)),
        Arc::new(Gazetteer::bundled()),
    );
    let run = importer
        .import(&feed_source(dir.path()), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(run.outcome, meetingmap::domain::ImportOutcome::Failed);
    assert!(run.reason.unwrap().contains("kept by hand"));
    assert!(app
        .directory
        .source_meetings("smart-feed")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn reports_flag_the_meeting_are_rate_limited_and_resolved() {
    let app = TestApp::builder()
        .meetings(vec![
            meeting("m1", (53.0462, -2.993)),
            meeting("m2", (53.05, -2.99)),
        ])
        .settings(|s| s.admin.reports_per_hour = 3)
        .start()
        .await;
    let path = "/v1/meetings/m1/reports";
    // Bad reasons and unknown meetings.
    let r = send(
        &app,
        Method::POST,
        path,
        None,
        None,
        Some(json!({"reason": "bored"})),
    )
    .await;
    assert_eq!(assert_problem(&r, 400)["invalid_params"][0]["name"], "reason");
    assert_problem(
        &send(
            &app,
            Method::POST,
            "/v1/meetings/nope/reports",
            None,
            None,
            Some(json!({"reason": "moved"})),
        )
        .await,
        404,
    );

    let sent = send(
        &app,
        Method::POST,
        path,
        None,
        None,
        Some(json!({
            "reason": "moved", "text": "Nobody there on Tuesday; call me on 07700 900123 or jo@example.org"
        })),
    )
    .await;
    assert_eq!(sent.status, 201, "{}", sent.body);
    let report_id = sent.json()["id"].as_i64().unwrap();
    // The meeting says so, at once.
    let (_, m) = app.get("/v1/meetings/m1").await;
    assert_eq!(m["reported"]["open"], 1, "{m}");
    assert_eq!(m["reported"]["reason"], "moved");
    assert!(m["reported"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("reported as possibly moved on "));
    let (_, page) = app.get("/v1/meetings?near=53.0462,-2.993&radius_km=5").await;
    assert!(page["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == "m1" && x["reported"]["open"] == 1));

    // Two more from this client, then 429 with Retry-After.
    for _ in 0..2 {
        let r = send(
            &app,
            Method::POST,
            "/v1/meetings/m2/reports",
            None,
            None,
            Some(json!({"reason": "wrong_time", "text": "ring 01978 123456", "contact_ok": true})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let limited = send(
        &app,
        Method::POST,
        path,
        None,
        None,
        Some(json!({"reason": "closed"})),
    )
    .await;
    assert_problem(&limited, 429);
    assert!(limited.header("retry-after").unwrap().parse::<u32>().unwrap() > 0);

    // Editors see the reports (contact details stripped unless the reporter opted in).
    let admin = key(&app, "Operator", Role::Admin, &[]).await;
    let stranger = key(&app, "Elsewhere", Role::Editor, &["elsewhere"]).await;
    let listed = send(&app, Method::GET, "/v1/admin/reports", Some(&admin), None, None).await;
    let reports = listed.json()["reports"].as_array().unwrap().clone();
    assert_eq!(reports.len(), 3, "{}", listed.body);
    let first = reports.iter().find(|r| r["id"] == report_id).unwrap();
    assert_eq!(
        first["text"],
        "Nobody there on Tuesday; call me on [removed] or [removed]"
    );
    assert!(reports.iter().any(|r| r["text"] == "ring 01978 123456"));
    assert!(!listed.body.contains("127.0.0.1"), "no address is kept");
    let theirs = send(
        &app,
        Method::GET,
        "/v1/admin/reports",
        Some(&stranger),
        None,
        None,
    )
    .await;
    assert_eq!(theirs.json()["reports"], json!([]));
    assert_problem(
        &send(
            &app,
            Method::GET,
            "/v1/admin/reports?status=maybe",
            Some(&admin),
            None,
            None,
        )
        .await,
        400,
    );

    // Resolving is for editors of the meeting's source; a closed report cannot be closed again.
    let close = format!("/v1/admin/reports/{report_id}");
    assert_problem(
        &send(
            &app,
            Method::PATCH,
            &close,
            Some(&stranger),
            None,
            Some(json!({"status": "resolved"})),
        )
        .await,
        403,
    );
    assert_problem(
        &send(
            &app,
            Method::PATCH,
            &close,
            Some(&admin),
            None,
            Some(json!({"status": "open"})),
        )
        .await,
        400,
    );
    let resolved = send(
        &app,
        Method::PATCH,
        &close,
        Some(&admin),
        None,
        Some(json!({"status": "resolved", "note": "moved; listing fixed"})),
    )
    .await;
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    assert_eq!(resolved.json()["closed_by"], "Operator");
    assert_problem(
        &send(
            &app,
            Method::PATCH,
            &close,
            Some(&admin),
            None,
            Some(json!({"status": "dismissed"})),
        )
        .await,
        409,
    );
    let (_, m) = app.get("/v1/meetings/m1").await;
    assert!(m.get("reported").is_none(), "{m}");
    let (_, m2) = app.get("/v1/meetings/m2").await;
    assert_eq!(m2["reported"]["open"], 2);
    let open = send(
        &app,
        Method::GET,
        "/v1/admin/reports?status=open",
        Some(&admin),
        None,
        None,
    )
    .await;
    assert_eq!(open.json()["reports"].as_array().unwrap().len(), 2);
    let audit = send(&app, Method::GET, "/v1/admin/audit", Some(&admin), None, None).await;
    assert_eq!(audit.json()["audit"][0]["action"], "resolve_report");
}

#[tokio::test]
async fn the_report_form_works_without_javascript() {
    let app = TestApp::start(vec![meeting("m1", (53.0462, -2.993))]).await;
    let form = app.request(Method::GET, "/meetings/m1/report", &[], None).await;
    assert_eq!(form.status, 200);
    assert!(form.header("content-type").unwrap().starts_with("text/html"));
    assert!(form
        .body
        .contains(r#"<form method="post" action="/meetings/m1/report">"#));
    assert!(form.body.contains(r#"value="no_meeting""#) && !form.body.contains("<script"));
    assert_eq!(
        app.request(Method::GET, "/meetings/nope/report", &[], None)
            .await
            .status,
        404
    );
    let form_type = [("content-type", "application/x-www-form-urlencoded")];
    let missing = app
        .request(
            Method::POST,
            "/meetings/m1/report",
            &form_type,
            Some(b"text=hello".to_vec()),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("Please choose what is wrong."));
    let sent = app
        .request(
            Method::POST,
            "/meetings/m1/report",
            &form_type,
            Some(b"reason=closed&text=Locked+door+-+mail+a%40b.org".to_vec()),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Thank you"));
    let (_, m) = app.get("/v1/meetings/m1").await;
    assert_eq!(m["reported"]["reason"], "closed");
}

#[tokio::test]
async fn a_sheet_is_uploaded_to_a_local_source_after_a_dry_run() {
    let app = TestApp::start(vec![]).await;
    local_source(&app, LOCAL).await;
    let token = key(&app, "Wrexham agency", Role::Editor, &[LOCAL]).await;
    let header = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("importers/templates/meetings-template.csv"),
    )
    .unwrap();
    let sheet = |rows: &str| format!("{}\n{rows}", header.trim_end()).into_bytes();
    let rows = "s1,SMART Wrexham,,SMART Recovery,Tuesday,18:30,20:00,,,Agency,1 High St,Wrexham,LL11 1AA,53.046,-2.993,,,,,Open to all\n\
                s2,SMART Ruabon,,SMART Recovery,Monday,10:00,11:30,,,Library,Station Rd,Ruabon,LL14 6DL,52.987,-3.04,,,,,Open to all\n\
                s3,SMART Online,,SMART Recovery,Friday,12:00,13:00,,,,,,,,,,https://example.org/zoom,,,Open to all\n";
    let upload = |query: &str, body: Vec<u8>| {
        let auth = format!("Bearer {token}");
        let path = format!("/v1/admin/sources/{LOCAL}/upload{query}");
        let app = &app;
        async move {
            app.request(
                Method::POST,
                &path,
                &[("authorization", auth.as_str()), ("content-type", "text/csv")],
                Some(body),
            )
            .await
        }
    };
    let dry = upload("", sheet(rows)).await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    let summary = dry.json();
    assert_eq!(
        (summary["dry_run"].clone(), summary["added"].clone()),
        (json!(true), json!(3)),
        "{summary}"
    );
    assert!(
        app.directory.source_meetings(LOCAL).await.unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let applied = upload("?dry_run=false&note=first+list", sheet(rows)).await;
    assert_eq!(applied.json()["dry_run"], false, "{}", applied.body);
    assert_eq!(app.ids("near=LL11&radius_km=30").await.len(), 2);
    // A bad row: nothing applied, the row and field named.
    let bad = upload(
        "?dry_run=false",
        sheet(&format!(
            "{rows}s4,Bad,,SMART Recovery,Funday,18:00,,,,Hall,,,,,,,,,,\n"
        )),
    )
    .await;
    let summary = bad.json();
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["rejected"][0]["errors"][0]["field"], "day", "{summary}");
    // The shrink guard: one row of three left is refused without force.
    let one = "s1,SMART Wrexham,,SMART Recovery,Tuesday,18:30,20:00,,,Agency,1 High St,Wrexham,LL11 1AA,53.046,-2.993,,,,,Open to all\n";
    let shrunk = upload("?dry_run=false", sheet(one)).await.json();
    assert!(shrunk["refused"].as_str().unwrap().contains("shrink"), "{shrunk}");
    assert_eq!(app.directory.source_meetings(LOCAL).await.unwrap().len(), 3);
    let forced = upload("?dry_run=false&force=true", sheet(one)).await.json();
    assert_eq!(forced["removed"], 2);
    assert_eq!(app.directory.source_meetings(LOCAL).await.unwrap().len(), 1);
    let wrong_type = app
        .request(
            Method::POST,
            &format!("/v1/admin/sources/{LOCAL}/upload"),
            &[
                ("authorization", format!("Bearer {token}").as_str()),
                ("content-type", "application/json"),
            ],
            Some(b"{}".to_vec()),
        )
        .await;
    assert_problem(&wrong_type, 415);
}

/// Edits by hand reach aggregators like imports do: the change feed (`/v1/changes`) carries a
/// meeting created through the admin API, its patch, and a tombstone once it is withdrawn, because
/// every write of meetings goes through the store's one write function that keeps the log.
#[tokio::test]
async fn edits_by_hand_appear_in_the_change_feed_with_a_tombstone_on_withdrawal() {
    let app = TestApp::start(vec![]).await;
    local_source(&app, LOCAL).await;
    let token = key(&app, "Wrexham agency", Role::Editor, &[LOCAL]).await;
    let created = create(&app, &token, smart_fields()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["meeting"]["id"].as_str().unwrap().to_string();
    let etag = created.header("etag").unwrap().to_string();

    let items = feed(&app).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["state"], "updated");
    assert_eq!(items[0]["data"]["name"], "SMART Recovery Wrexham");
    let first = items[0]["modified"].as_i64().unwrap();

    let patched = send(
        &app,
        Method::PATCH,
        &format!("/v1/admin/meetings/{id}"),
        Some(&token),
        Some(&etag),
        Some(json!({"fields": {"start": "19:00"}, "note": "new time on the door"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let items = feed(&app).await;
    assert_eq!(
        items.len(),
        1,
        "one row per meeting, at its latest change: {items:?}"
    );
    assert!(items[0]["modified"].as_i64().unwrap() > first);
    assert!(items[0]["data"].to_string().contains("19:00"), "{items:?}");

    let etag = patched.header("etag").unwrap().to_string();
    let withdrawn = send(
        &app,
        Method::DELETE,
        &format!("/v1/admin/meetings/{id}"),
        Some(&token),
        Some(&etag),
        None,
    )
    .await;
    assert!(
        withdrawn.status == 200 || withdrawn.status == 204,
        "{}",
        withdrawn.body
    );
    let items = feed(&app).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["state"], "deleted");
    assert!(
        items[0].get("data").is_none(),
        "a tombstone carries no data: {items:?}"
    );
}

async fn feed(app: &TestApp) -> Vec<Value> {
    let (status, page) = app.get("/v1/changes?limit=50").await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}
