//! Importers against a local HTTP server (wiremock) serving synthetic feeds in each format.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::TestApp;
use meetingmap::directory::Directory;
use meetingmap::domain::{Access, Attendance, ImportOutcome, ImportRun, Meeting, Status};
use meetingmap::gazetteer::Gazetteer;
use meetingmap::import::fetch::Fetcher;
use meetingmap::import::source::SourceDefinition;
use meetingmap::import::{ImportOptions, Importer};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn definition(extra: &str) -> SourceDefinition {
    let text = format!("name = \"Test feed\"\nattribution = \"Synthetic\"\n{extra}");
    SourceDefinition::parse(
        &text,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("importers").as_path(),
    )
    .unwrap()
}

fn mg_source(server: &MockServer, id: &str) -> SourceDefinition {
    definition(&format!(
        "id = \"{id}\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\nurl = \"{}/feed.json\"\ncountry = \"GB\"\n",
        server.uri()
    ))
}

fn fast_fetcher() -> Fetcher {
    let mut fetcher = Fetcher::new(Duration::from_millis(800));
    fetcher.backoff = Duration::from_millis(5);
    fetcher
}

struct Setup {
    server: TestApp,
    importer: Importer,
}

impl Setup {
    async fn new() -> Setup {
        let server = TestApp::start(vec![]).await;
        let importer = Importer::new(
            server.directory.clone(),
            fast_fetcher(),
            Arc::new(Gazetteer::bundled()),
        );
        Setup { server, importer }
    }

    async fn import(&self, source: &SourceDefinition) -> ImportRun {
        self.importer
            .import(source, &ImportOptions::default())
            .await
            .unwrap()
    }

    async fn forced(&self, source: &SourceDefinition) -> ImportRun {
        self.importer
            .import(
                source,
                &ImportOptions {
                    force: true,
                    progress: None,
                },
            )
            .await
            .unwrap()
    }

    fn directory(&self) -> &Directory {
        &self.server.directory
    }

    async fn meetings(&self, source: &str) -> Vec<Meeting> {
        self.directory().source_meetings(source).await.unwrap()
    }
}

/// A synthetic Meeting Guide record at a Wrexham-ish point.
fn mg(slug: &str, day: Value, time: &str) -> Value {
    json!({
        "slug": slug, "name": format!("Group {slug}"), "day": day, "time": time, "end_time": "21:00",
        "timezone": "Europe/London", "types": ["O", "ST", "X"], "location": "Church Hall",
        "address": "1 High Street", "city": "Wrexham", "postal_code": "ll111aa", "country": "GB",
        "latitude": 53.0462, "longitude": -2.993, "approximate": "no", "updated": "2026-10-01 12:00:00"
    })
}

fn feed(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| mg(&format!("m{i}"), json!(i % 7), "19:30"))
            .collect(),
    )
}

async fn serve_json(server: &MockServer, body: &Value) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/feed.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn meeting_guide_happy_path_with_rejects_and_unknown_codes() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let mut hybrid = mg("hybrid", json!(2), "18:00");
    hybrid["conference_url"] = json!("https://zoom.us/j/1");
    let online = json!({"slug": "zoom", "name": "Online", "day": 3, "time": "07:00", "timezone": "America/New_York",
        "types": ["ONL", "C", "W", "ZZ"], "conference_url": "https://zoom.us/j/2", "formatted_address": "Leeds, UK"});
    let feed = json!([
        mg("plain", json!(1), "19:30"),
        mg("twice", json!([1, 4]), "7:30 PM"),
        hybrid,
        online,
        {"slug": "bad-time", "name": "X", "day": 1, "time": "25:99", "location": "Hall", "latitude": 53.0, "longitude": -3.0},
        {"slug": "bad-zone", "name": "Y", "day": 1, "time": "19:00", "timezone": "Mars/Olympus", "location": "Hall"},
        {"slug": "nowhere", "name": "Z", "day": 1, "time": "19:00"},
        "not an object",
        {"slug": "unscheduled", "name": "Email group", "types": ["D"], "conference_url": "https://example.org/list"}
    ]);
    serve_json(&feed_server, &feed).await;
    let run = setup.import(&mg_source(&feed_server, "mg")).await;
    assert_eq!(run.outcome, ImportOutcome::Succeeded, "{run:?}");
    assert_eq!(
        (run.counts.records, run.counts.accepted, run.counts.rejected),
        (10, 6, 4),
        "{run:?}"
    );
    let reasons: Vec<String> = run
        .rejects
        .iter()
        .map(|r| format!("{}: {}", r.record, r.reason))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("slug bad-time") && r.contains("25:99")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("slug bad-zone") && r.contains("Mars/Olympus")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("slug nowhere") && r.contains("no venue")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("record 8") && r.contains("not a JSON object")),
        "{reasons:?}"
    );
    assert_eq!(run.unknown_types.len(), 1);
    assert_eq!(
        (run.unknown_types[0].code.as_str(), run.unknown_types[0].meetings),
        ("ZZ", 1)
    );

    let meetings = setup.meetings("mg").await;
    let by_id = |id: &str| {
        meetings
            .iter()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("{id} in {meetings:#?}"))
    };
    let plain = by_id("mg-plain");
    assert_eq!(plain.access, Access::Open);
    let types: Vec<String> = plain.types.iter().map(|t| t.to_string()).collect();
    assert_eq!(types, ["format:step", "accessibility:wheelchair"]);
    let location = plain.location.as_ref().unwrap();
    assert_eq!(location.postcode.as_deref(), Some("LL11 1AA"));
    assert_eq!(plain.schedule.as_ref().unwrap().duration_minutes, 90);
    assert_eq!(plain.updated_at.to_string(), "2026-10-01T12:00:00Z");
    assert_eq!(plain.source.record_id.as_deref(), Some("plain"));
    // A day array is one meeting per day.
    assert_eq!(
        by_id("mg-twice-1")
            .schedule
            .as_ref()
            .unwrap()
            .start_time
            .to_string(),
        "19:30"
    );
    assert!(meetings.iter().any(|m| m.id == "mg-twice-4"));
    assert_eq!(by_id("mg-hybrid").attendance, Attendance::Hybrid);
    let zoom = by_id("mg-zoom");
    assert_eq!(
        (zoom.attendance, zoom.access),
        (Attendance::Online, Access::Closed)
    );
    assert!(zoom.location.is_none());
    assert_eq!(zoom.source_types, ["ZZ"]);
    assert!(by_id("mg-unscheduled").schedule.is_none());
    // The snapshot was swapped: the server answers from the new data.
    assert!(setup
        .server
        .ids("fellowship=aa")
        .await
        .contains(&"mg-plain".to_string()));
}

#[tokio::test]
async fn failures_leave_the_data_untouched_and_are_recorded() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let source = mg_source(&feed_server, "mg");
    serve_json(&feed_server, &feed(10)).await;
    assert_eq!(setup.import(&source).await.outcome, ImportOutcome::Succeeded);
    let before = setup.meetings("mg").await;

    // Server error: retried (3 retries), then failed.
    feed_server.reset().await;
    Mock::given(path("/feed.json"))
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&feed_server)
        .await;
    let run = setup.import(&source).await;
    assert_eq!(run.outcome, ImportOutcome::Failed);
    assert!(run.reason.as_deref().unwrap().contains("HTTP 500"), "{run:?}");
    feed_server.verify().await;

    // Timeout.
    feed_server.reset().await;
    Mock::given(path("/feed.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(feed(10))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&feed_server)
        .await;
    let run = setup.import(&source).await;
    assert!(run.reason.as_deref().unwrap().contains("timed out"), "{run:?}");

    // Malformed JSON, and an HTML page where JSON should be.
    for body in [
        "[{\"slug\": \"a\",",
        "<!DOCTYPE html><title>Just a moment...</title>",
    ] {
        feed_server.reset().await;
        Mock::given(path("/feed.json"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&feed_server)
            .await;
        let run = setup.import(&source).await;
        assert!(
            run.reason.as_deref().unwrap().contains("not valid JSON"),
            "{run:?}"
        );
    }

    // Empty feed.
    serve_json(&feed_server, &json!([])).await;
    let run = setup.import(&source).await;
    assert!(
        run.reason.as_deref().unwrap().contains("no usable meetings"),
        "{run:?}"
    );

    // Shrinking by more than half is refused unless forced.
    serve_json(&feed_server, &feed(4)).await;
    let run = setup.import(&source).await;
    assert_eq!(run.outcome, ImportOutcome::Failed);
    assert!(
        run.reason.as_deref().unwrap().contains("shrank from 10 to 4"),
        "{run:?}"
    );
    // What the feed would have removed was not removed.
    assert_eq!(
        (run.counts.accepted, run.counts.removed, run.counts.unchanged),
        (4, 0, 0)
    );
    assert_eq!(
        setup.meetings("mg").await,
        before,
        "nothing changed after any failure"
    );

    let history = setup.directory().imports("mg", 50).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|r| r.outcome == ImportOutcome::Failed)
            .count(),
        6
    );
    // The source is visibly failing, and its meetings are still served.
    let (_, sources) = setup.server.get("/v1/sources").await;
    let mg = sources["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "mg")
        .unwrap()
        .clone();
    assert_eq!(
        (mg["status"].as_str(), mg["meetings"].as_u64()),
        (Some("failing"), Some(10))
    );
    assert!(mg["last_failure"].as_str().unwrap().contains("shrank"));
    let (_, imports) = setup.server.get("/v1/sources/mg/imports").await;
    assert_eq!(imports["imports"].as_array().unwrap().len(), 7);

    let run = setup.forced(&source).await;
    assert_eq!(run.outcome, ImportOutcome::Succeeded);
    assert_eq!((run.counts.removed, run.counts.unchanged), (6, 4));
    assert!(run.reason.as_deref().unwrap().contains("forced"));
    assert_eq!(setup.meetings("mg").await.len(), 4);
}

#[tokio::test]
async fn reimport_keeps_ids_and_first_seen_and_304_is_unchanged() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let source = mg_source(&feed_server, "mg");
    Mock::given(path("/feed.json"))
        .and(header("if-none-match", "\"v1\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&feed_server)
        .await;
    Mock::given(path("/feed.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(feed(5))
                .insert_header("ETag", "\"v1\""),
        )
        .with_priority(2)
        .mount(&feed_server)
        .await;
    let first = setup.import(&source).await;
    assert_eq!(
        (first.outcome, first.counts.added, first.etag.as_deref()),
        (ImportOutcome::Succeeded, 5, Some("\"v1\""))
    );
    let before = setup.meetings("mg").await;

    let unchanged = setup.import(&source).await;
    assert_eq!(unchanged.outcome, ImportOutcome::Unchanged, "{unchanged:?}");
    let after = setup.meetings("mg").await;
    assert_eq!(after.len(), 5);
    for (a, b) in before.iter().zip(&after) {
        assert_eq!((&a.id, a.first_seen_at), (&b.id, b.first_seen_at));
        assert!(b.last_seen_at >= a.last_seen_at);
    }

    // A changed feed: same ids, one meeting updated, first-seen kept.
    let mut changed = feed(5);
    changed[2]["name"] = json!("Renamed group");
    serve_json(&feed_server, &changed).await;
    let run = setup.import(&source).await;
    assert_eq!(
        (run.counts.updated, run.counts.unchanged, run.counts.added),
        (1, 4, 0),
        "{run:?}"
    );
    let again = setup.meetings("mg").await;
    let ids = |ms: &[Meeting]| ms.iter().map(|m| m.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&before));
    assert_eq!(again[2].name, "Renamed group");
    assert_eq!(again[2].first_seen_at, before[2].first_seen_at);
}

#[tokio::test]
async fn records_without_ids_get_stable_content_keys() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let source = mg_source(&feed_server, "noid");
    let mut records = feed(3);
    for r in records.as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("slug");
    }
    serve_json(&feed_server, &records).await;
    setup.import(&source).await;
    let first = setup.meetings("noid").await;
    records.as_array_mut().unwrap().reverse();
    serve_json(&feed_server, &records).await;
    let run = setup.import(&source).await;
    assert_eq!(run.counts.unchanged, 3, "{run:?}");
    assert_eq!(
        setup.meetings("noid").await,
        first
            .into_iter()
            .map(|m| Meeting {
                last_seen_at: run.started_at,
                ..m
            })
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_same_meeting_from_two_feeds_is_one_result() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let mut other = mg("elsewhere-42", json!(1), "19:30");
    other["name"] = json!("Group plain Wrexham");
    other["latitude"] = json!(53.0466); // about 45 m away
    serve_json(&feed_server, &json!([mg("plain", json!(1), "19:30")])).await;
    setup.import(&mg_source(&feed_server, "intergroup")).await;
    serve_json(
        &feed_server,
        &json!([other, mg("different-time", json!(1), "12:00")]),
    )
    .await;
    setup.import(&mg_source(&feed_server, "aggregator")).await;

    let (_, body) = setup
        .server
        .get("/v1/meetings?lat=53.0462&lon=-2.993&day=mon&start_after=19:00")
        .await;
    let results = body["meetings"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{body}");
    let listed_by: Vec<&str> = std::iter::once(&results[0]["source"])
        .chain(results[0]["also_listed_by"].as_array().unwrap())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(sorted(listed_by), ["aggregator", "intergroup"]);
    // Both ids still lead to it.
    let (s1, a) = setup.server.get("/v1/meetings/intergroup-plain").await;
    let (s2, b) = setup.server.get("/v1/meetings/aggregator-elsewhere-42").await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        setup.server.ids("lat=53.0462&lon=-2.993&day=mon").await.len(),
        2,
        "a different time is a different meeting"
    );
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort();
    v
}

#[tokio::test]
async fn bmlt_with_formats() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let record = |id: &str, weekday: &str, venue: &str, formats: &str, ids: &str| {
        json!({"id_bigint": id, "weekday_tinyint": weekday, "venue_type": venue, "start_time": "19:30:00",
            "duration_time": "01:30:00", "time_zone": "", "formats": formats, "format_shared_id_list": ids,
            "latitude": "40.969387158898", "longitude": "-72.619113922119", "meeting_name": "Recovery Now",
            "location_text": "Community Church", "location_street": "5 Sound Ave", "location_municipality": "Aquebogue",
            "location_postal_code_1": "11931", "location_nation": "USA", "comments": "", "virtual_meeting_link": "",
            "phone_meeting_number": "", "contact_name_1": "", "published": "1"})
    };
    let mut online = record("2", "7", "2", "C,VM,Zz", "4,54,99");
    online["virtual_meeting_link"] = json!("https://zoom.us/j/3");
    online["latitude"] = json!("");
    online["longitude"] = json!("");
    let results = json!([
        record("1", "1", "1", "O,BT,WC", "17,3,33"),
        online,
        record("3", "9", "1", "", ""),
        {"id_bigint": "4", "weekday_tinyint": "2", "start_time": "soon", "meeting_name": "x"}
    ]);
    let formats = json!([
        {"key_string": "O", "id": "17", "world_id": "OPEN", "lang": "en", "format_type_enum": "O"},
        {"key_string": "C", "id": "4", "world_id": "CLOSED", "lang": "en", "format_type_enum": "O"},
        {"key_string": "BT", "id": "3", "world_id": "BT", "lang": "en", "format_type_enum": "FC1"},
        {"key_string": "WC", "id": "33", "world_id": "WCHR", "lang": "en", "format_type_enum": "FC2"},
        {"key_string": "VM", "id": "54", "world_id": "VM", "lang": "en", "format_type_enum": "FC2"},
        {"key_string": "Zz", "id": "99", "world_id": "", "lang": "en", "format_type_enum": "FC1"},
        {"key_string": "O", "id": "17", "world_id": "OPEN", "lang": "es", "format_type_enum": "O"}
    ]);
    Mock::given(query_param("switcher", "GetSearchResults"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&results))
        .mount(&feed_server)
        .await;
    Mock::given(query_param("switcher", "GetFormats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&formats))
        .mount(&feed_server)
        .await;
    let base = format!(
        "{}/main_server/client_interface/json/?switcher=",
        feed_server.uri()
    );
    let source = definition(&format!(
        "id = \"na-test\"\nformat = \"bmlt\"\nfellowship = \"na\"\nurl = \"{base}GetSearchResults\"\nformats_url = \"{base}GetFormats\"\ntimezone = \"America/New_York\"\n"
    ));
    let run = setup.import(&source).await;
    assert_eq!((run.counts.accepted, run.counts.rejected), (2, 2), "{run:?}");
    assert!(run
        .rejects
        .iter()
        .any(|r| r.record == "id 3" && r.reason.contains("`9` is not 1 to 7")));
    assert!(run
        .rejects
        .iter()
        .any(|r| r.record == "id 4" && r.reason.contains("`soon`")));
    let meetings = setup.meetings("na-test").await;
    let sunday = &meetings[0];
    assert_eq!(sunday.id, "na-test-1");
    let schedule = sunday.schedule.as_ref().unwrap();
    assert_eq!(
        (
            schedule.day.as_str(),
            schedule.duration_minutes,
            schedule.timezone.name()
        ),
        ("sun", 90, "America/New_York")
    );
    assert_eq!(sunday.access, Access::Open);
    let types: Vec<String> = sunday.types.iter().map(|t| t.to_string()).collect();
    assert_eq!(types, ["format:basic-text", "accessibility:wheelchair"]);
    let online = &meetings[1];
    assert_eq!(
        (
            online.attendance,
            online.access,
            online.schedule.as_ref().unwrap().day.as_str()
        ),
        (Attendance::Online, Access::Closed, "sat")
    );
    assert_eq!(online.source_types, ["Zz"]);
}

#[tokio::test]
async fn csv_with_a_mapping_handles_real_world_mess() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let csv = "\u{feff}Guid,Title,Time,Duration,Postcode,Latitude,Longitude,Venue,Address,What3Words,Day,Hearing,Wheelchair,Chit,Open,OpenFormat,Format,Note,Code,Region,RegionArea,RegionAreaOrder,RegionIdentifier,RegionIdentifierType,Country,MeetingType,MeetingTypeNamespace,ScrapedDetails\n\
a1,Wrexham Serenity,19:30,1hr 30mins,ll11 1aa,53.0462,-2.993,Church Hall,\"1 High St, Wrexham\",,Tuesday,True,True,True,True,,,\"Side door.\nUp the stairs.\",316/,Wales,UK,0,Wrexham,City,Wales,Alcoholics Anonymous,AA,True\n\
b2,Dublin Hope,20:00,,T23W A22,53.35,-6.26,Hall,Main St,,Friday,False,False,False,False,Open to addicts only,\"In-person,Newcomer,Juggling\",,x,Dublin,Republic of Ireland,1,Dublin,City,Republic of Ireland,Narcotics Anonymous,NA,True\n\
c3,Palermo Stglasgow,19:00,-1hr ,G1 1AA,38.1,13.3,Hall,Somewhere,,Monday,False,False,False,False,,,,,Glasgow,UK,0,Glasgow,City,Scotland,Cocaine Anonymous,CA,True\n\
d4,Odd Day,19:00,1hr,G1 1AA,55.86,-4.25,Hall,Somewhere,,Someday,False,False,False,False,,,,,Glasgow,UK,0,Glasgow,City,Scotland,Cocaine Anonymous,CA,True\n";
    Mock::given(path("/meetings.csv"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(csv.as_bytes()))
        .mount(&feed_server)
        .await;
    let source = definition(&format!(
        "id = \"uk-csv\"\nformat = \"csv\"\nurl = \"{}/meetings.csv\"\nmapping = \"mappings/recovery-meeting-finder.toml\"\nbounds = [49.0, -11.0, 61.5, 2.5]\n",
        feed_server.uri()
    ));
    let run = setup.import(&source).await;
    assert_eq!((run.counts.accepted, run.counts.rejected), (2, 2), "{run:?}");
    assert!(
        run.rejects
            .iter()
            .any(|r| r.record == "row 4 (id c3)" && r.reason.contains("outside the source's area")),
        "{run:?}"
    );
    assert!(
        run.rejects
            .iter()
            .any(|r| r.record == "row 5 (id d4)" && r.reason.contains("`Someday`")),
        "{run:?}"
    );
    assert_eq!(
        run.unknown_types
            .iter()
            .map(|u| u.code.as_str())
            .collect::<Vec<_>>(),
        ["Juggling"]
    );
    let meetings = setup.meetings("uk-csv").await;
    let wrexham = meetings.iter().find(|m| m.name == "Wrexham Serenity").unwrap();
    assert_eq!(wrexham.fellowship.id(), "aa");
    assert_eq!(wrexham.access, Access::Open);
    let types: Vec<String> = wrexham.types.iter().map(|t| t.to_string()).collect();
    assert_eq!(
        types,
        [
            "format:attendance-slip",
            "accessibility:wheelchair",
            "accessibility:hearing-loop"
        ]
    );
    assert_eq!(wrexham.notes.as_deref(), Some("Side door.\nUp the stairs."));
    assert_eq!(
        wrexham.location.as_ref().unwrap().address_lines,
        ["1 High St", "Wrexham"]
    );
    assert_eq!(wrexham.schedule.as_ref().unwrap().duration_minutes, 90);
    let dublin = meetings.iter().find(|m| m.name == "Dublin Hope").unwrap();
    assert_eq!((dublin.fellowship.id(), dublin.access), ("na", Access::Closed));
    assert_eq!(dublin.schedule.as_ref().unwrap().timezone.name(), "Europe/Dublin");
    let location = dublin.location.as_ref().unwrap();
    assert_eq!(
        (location.postcode.as_deref(), location.country.as_deref()),
        (Some("T23 WA22"), Some("IE"))
    );
    assert_eq!(
        dublin.schedule.as_ref().unwrap().duration_minutes,
        60,
        "unknown length: the default hour"
    );
    assert_eq!(dublin.status, Status::Active);

    // A mapping that names a column the file lacks fails the import, saying which.
    let broken = definition(&format!(
        "id = \"tsml\"\nformat = \"csv\"\nurl = \"{}/meetings.csv\"\nmapping = \"mappings/meetingmap-template.toml\"\n",
        feed_server.uri()
    ));
    let run = setup.import(&broken).await;
    assert!(
        run.reason.as_deref().unwrap().contains("no `ID` column"),
        "{run:?}"
    );
}

#[tokio::test]
async fn meetings_without_coordinates_are_placed_by_postcode() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let mut by_postcode = mg("by-postcode", json!(1), "19:30");
    let record = by_postcode.as_object_mut().unwrap();
    record.remove("latitude");
    record.remove("longitude");
    let mut unknown = by_postcode.clone();
    unknown["slug"] = json!("unplaceable");
    unknown["postal_code"] = json!("ZZ99 9ZZ");
    serve_json(&feed_server, &json!([by_postcode, unknown])).await;
    let run = setup.import(&mg_source(&feed_server, "pc")).await;
    assert_eq!(
        (run.counts.placed_by_postcode, run.counts.without_coordinates),
        (1, 1),
        "{run:?}"
    );
    let meetings = setup.meetings("pc").await;
    let placed = meetings
        .iter()
        .find(|m| m.id == "pc-by-postcode")
        .unwrap()
        .location
        .clone()
        .unwrap();
    assert!(placed.approximate);
    // LL11 1AA's sector centroid is in Wrexham.
    let (lat, lon) = placed.point().unwrap();
    assert!(
        (lat - 53.05).abs() < 0.05 && (lon + 3.0).abs() < 0.05,
        "{lat},{lon}"
    );
    assert!(setup
        .server
        .ids("lat=53.0462&lon=-2.993")
        .await
        .contains(&"pc-by-postcode".to_string()));
}

#[tokio::test]
async fn malformed_csv_rows_are_rejected_alone_and_an_empty_sheet_fails() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let header = "ID,Name,Group,Fellowship,Day,Start,End,Types,Notes,Venue,Address,Town,Postcode,Latitude,Longitude,Directions,Online link,Dial-in,Online notes,Who can attend\n";
    let mut body = header.as_bytes().to_vec();
    body.extend_from_slice(b"s1,Tools for life,,SMART Recovery,Monday,18:30,20:00,Tools,,Hall,1 High St,Wrexham,LL11 1AA,53.05,-2.99,,,,,Open to all\n");
    body.extend_from_slice(b"s2,Broken \xff\xfe row,,SMART Recovery,Tuesday,18:30,20:00,,,Hall,1 High St,Wrexham,LL11 1AA,53.05,-2.99,,,,,\n");
    body.extend_from_slice(
        b"s3,Online tools,,SMART Family & Friends,Wednesday,19:00,20:00,,,,,,,,,,https://meet.example/x,,,\n",
    );
    Mock::given(path("/smart.csv"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(body))
        .mount(&feed_server)
        .await;
    let source = definition(&format!(
        "id = \"smart\"\nformat = \"csv\"\nfellowship = \"smart\"\nurl = \"{}/smart.csv\"\nmapping = \"mappings/meetingmap-template.toml\"\n",
        feed_server.uri()
    ));
    let run = setup.import(&source).await;
    assert_eq!((run.counts.accepted, run.counts.rejected), (2, 1), "{run:?}");
    assert!(
        run.rejects[0].record.starts_with("row 3") && run.rejects[0].reason.contains("not valid CSV"),
        "{run:?}"
    );
    let meetings = setup.meetings("smart").await;
    assert_eq!(meetings[0].access, Access::Open);
    assert_eq!(
        meetings[0]
            .types
            .iter()
            .map(|t| t.to_string())
            .collect::<Vec<_>>(),
        ["format:tools"]
    );
    assert_eq!(
        (meetings[1].fellowship.id(), meetings[1].attendance),
        ("smart-family-friends", Attendance::Online)
    );

    feed_server.reset().await;
    Mock::given(path("/smart.csv"))
        .respond_with(ResponseTemplate::new(200).set_body_string(header))
        .mount(&feed_server)
        .await;
    let run = setup.import(&source).await;
    assert_eq!(run.outcome, ImportOutcome::Failed);
    assert!(
        run.reason.as_deref().unwrap().contains("no usable meetings"),
        "{run:?}"
    );
    assert_eq!(
        setup.meetings("smart").await.len(),
        2,
        "the last good import stands"
    );
}

/// Every artefact feeds carry (a byte-order mark, HTML, entities, title-case, conferencing links
/// in notes, `javascript:` and `data:` links, control characters, a huge name) comes out as clean
/// text, with the raw text kept in `source.raw` and what was dropped or cut reported on the run.
#[tokio::test]
async fn feed_text_is_cleaned_once_and_the_raw_text_kept() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let fixture = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/fixtures/dirty-feed.json"
    ))
    .unwrap();
    assert!(
        fixture.starts_with(b"\xEF\xBB\xBF"),
        "the fixture starts with a BOM"
    );
    let huge = "Big Book ".repeat(120_000);
    let body = String::from_utf8(fixture).unwrap().replace("HUGE_NAME", &huge);
    Mock::given(path("/feed.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&feed_server)
        .await;
    let source = mg_source(&feed_server, "dirty");
    let run = setup.import(&source).await;
    assert_eq!(run.outcome, ImportOutcome::Succeeded, "{run:?}");
    assert_eq!((run.counts.accepted, run.counts.rejected), (5, 0), "{run:?}");

    let meetings = setup.meetings("dirty").await;
    let by_slug = |slug: &str| {
        meetings
            .iter()
            .find(|m| m.id == format!("dirty-{slug}"))
            .unwrap_or_else(|| panic!("no {slug} in {meetings:?}"))
    };

    let html = by_slug("html");
    assert_eq!(html.name, "St Martin’s & 11th Step");
    let location = html.location.as_ref().unwrap();
    assert_eq!(location.venue.as_deref(), Some("St Martin’s Church Hall"));
    assert_eq!(
        html.notes.as_deref(),
        Some("Use the side door.\n\nJoin on Zoom, passcode 7")
    );
    assert_eq!(
        html.online.as_ref().and_then(|o| o.url.as_deref()),
        Some("https://us02web.zoom.us/j/123?pwd=a&b=1")
    );
    assert_eq!(
        html.attendance,
        Attendance::Hybrid,
        "a venue and a link in its notes"
    );
    assert_eq!(html.source.raw["name"], "St Martin’S &Amp; 11Th Step");
    assert_eq!(html.source.raw["venue"], "<b>St Martin’S</b> Church&nbsp;Hall");
    assert!(html.source.raw["notes"].starts_with("<p>Use the side door.</p>"));

    let js = by_slug("js");
    assert_eq!(js.attendance, Attendance::InPerson, "the only link was unsafe");
    assert_eq!(js.online, None);
    assert_eq!(js.notes.as_deref(), Some("Click here for details"));
    assert_eq!(js.source.raw["online.url"], "javascript:alert(document.cookie)");
    assert!(js.source.raw["notes"].contains("data:text/html"));

    let long = by_slug("huge");
    assert_eq!(
        long.name.chars().count(),
        meetingmap::import::clean::MAX_NAME_CHARS
    );
    assert!(long.name.starts_with("Big Book Big Book") && long.name.ends_with('…'));
    assert!(
        long.source.raw["name"].ends_with("more characters)"),
        "the raw name is kept, shortened"
    );
    assert!(long.source.raw["name"].len() < 10_000);

    let ctl = by_slug("ctl");
    assert_eq!(ctl.name, "Tab and bell group");

    let online = by_slug("online");
    assert_eq!(
        online.attendance,
        Attendance::Online,
        "no venue, a link in its notes"
    );
    assert_eq!(
        online.online.as_ref().and_then(|o| o.url.as_deref()),
        Some("https://meet.google.com/abc-defg-hij")
    );
    assert_eq!(online.notes.as_deref(), Some("Meet at."));

    // Untouched records carry no raw map.
    assert!(!meetings
        .iter()
        .any(|m| m.id == "dirty-online" && m.source.raw.contains_key("name")));

    // What was dropped or cut is reported, and visible in the import history.
    let warnings: Vec<String> = run
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.record, w.warning))
        .collect();
    assert_eq!(run.counts.warned, 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("slug js: online link `javascript:alert(document.cookie)` dropped")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("slug js: notes: link `data:")
                && w.contains("` dropped: `data:` links are not allowed")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w == "slug huge: name was 1079999 characters; cut to 200"),
        "{warnings:?}"
    );
    let (status, imports) = setup.server.get("/v1/sources/dirty/imports").await;
    assert_eq!(status, 200);
    let listed = &imports["imports"][0]["warnings"];
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(run.warnings.len()),
        "{imports}"
    );

    // The API serves the clean text with the raw text beside it, and no unsafe link anywhere.
    let (status, body) = setup.server.get("/v1/meetings/dirty-html").await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "St Martin’s & 11th Step");
    assert_eq!(body["source"]["raw"]["name"], "St Martin’S &Amp; 11Th Step");
    let ics = setup
        .server
        .request(reqwest::Method::GET, "/v1/meetings/dirty-js.ics", &[], None)
        .await;
    assert_eq!(ics.status, 200);
    assert!(
        ics.body.contains("SUMMARY:Evil Link Group") && !ics.body.contains("javascript"),
        "{}",
        ics.body
    );
}

/// Records without ids at the same day and time in different places are different meetings.
#[tokio::test]
async fn records_without_ids_at_the_same_time_are_told_apart_by_place() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let source = mg_source(&feed_server, "same-time");
    let mut records = vec![mg("a", json!(2), "19:30"), mg("b", json!(2), "19:30")];
    for (i, r) in records.iter_mut().enumerate() {
        let r = r.as_object_mut().unwrap();
        r.remove("slug");
        r.insert("name".into(), json!(format!("Group {i}")));
        r.insert("location".into(), json!(format!("Hall {i}")));
    }
    serve_json(&feed_server, &Value::Array(records)).await;
    let run = setup.import(&source).await;
    assert_eq!((run.counts.accepted, run.counts.rejected), (2, 0), "{run:?}");
}

#[tokio::test]
async fn a_dump_keeps_its_own_date_apart_from_the_import_date() {
    // A monthly dump named by the day it was made, imported months later: the hand-out says both.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("meetings-2026-08-05.json");
    std::fs::write(&file, feed(3).to_string()).unwrap();
    let setup = Setup::new().await;
    let source = definition(&format!(
        "id = \"dump\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\npath = \"{}\"\n",
        file.display()
    ));
    let run = setup.import(&source).await;
    assert_eq!(run.feed_date, Some("2026-08-05".parse().unwrap()), "{run:?}");
    let imported = run.finished_at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let checked = imported.strftime("%-d %B %Y").to_string();

    let response = setup
        .server
        .request(
            reqwest::Method::GET,
            "/v1/handout?lat=53.0462&lon=-2.993",
            &[],
            None,
        )
        .await;
    assert_eq!(response.status, 200);
    assert!(
        response.body.contains(&format!(
            "Listed by Test feed as of 5 August 2026, checked {checked}."
        )),
        "{}",
        response.body
    );
    // The import history says it too.
    let (_, imports) = setup.server.get("/v1/sources/dump/imports").await;
    assert_eq!(imports["imports"][0]["feed_date"], "2026-08-05", "{imports}");
}

#[tokio::test]
async fn an_identical_feed_is_recorded_unchanged_by_its_hash_and_its_meetings_seen_again() {
    let feed_server = MockServer::start().await;
    let setup = Setup::new().await;
    let source = mg_source(&feed_server, "hashed");
    serve_json(&feed_server, &feed(5)).await;
    let first = setup.import(&source).await;
    assert_eq!(first.outcome, ImportOutcome::Succeeded);
    let hash = first.content_hash.clone().expect("a fetched feed is hashed");
    let before = setup.meetings("hashed").await;
    let version = setup.directory().snapshot().version();

    // No validators, so the body is fetched again: the hash is what says it is the same.
    let again = setup.import(&source).await;
    assert_eq!(again.outcome, ImportOutcome::Unchanged, "{:?}", again.reason);
    assert_eq!(again.content_hash.as_deref(), Some(hash.as_str()));
    assert_eq!((again.counts.accepted, again.counts.unchanged), (5, 5));
    assert_eq!(
        (again.counts.added, again.counts.updated, again.counts.removed),
        (0, 0, 0)
    );
    let after = setup.meetings("hashed").await;
    assert_eq!(after.len(), before.len());
    for (old, new) in before.iter().zip(&after) {
        // Seen again at the check, everything else kept.
        assert_eq!(new.last_seen_at, again.started_at);
        assert_eq!(
            Meeting {
                last_seen_at: old.last_seen_at,
                ..new.clone()
            },
            *old
        );
    }
    assert_ne!(
        setup.directory().snapshot().version(),
        version,
        "servers see the new freshness"
    );
    assert_eq!(
        setup.directory().last_success("hashed").await.unwrap(),
        Some(again)
    );

    // Forced, or with other content, the feed is built again, and its meetings carry that
    // import's time (the check's record no longer counts).
    let forced = setup.forced(&source).await;
    assert_eq!(forced.outcome, ImportOutcome::Succeeded);
    assert!(setup
        .meetings("hashed")
        .await
        .iter()
        .all(|m| m.last_seen_at == forced.started_at));
    serve_json(&feed_server, &feed(6)).await;
    let changed = setup.import(&source).await;
    assert_eq!(changed.outcome, ImportOutcome::Succeeded);
    assert_eq!(changed.counts.added, 1);
    assert_ne!(changed.content_hash, Some(hash));
}

#[tokio::test]
async fn a_writers_directory_builds_no_snapshot_but_moves_the_version_on() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("w.db").display());
    let server = Directory::open(&url).await.unwrap();
    let writer = Directory::open_for_writes(&url).await.unwrap();
    let feed_server = MockServer::start().await;
    serve_json(&feed_server, &feed(3)).await;
    let importer = Importer::new(writer.clone(), fast_fetcher(), Arc::new(Gazetteer::bundled()));
    let run = importer
        .import(&mg_source(&feed_server, "w"), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(run.outcome, ImportOutcome::Succeeded);
    assert_eq!(writer.snapshot().len(), 0, "a writer never indexes");
    assert_eq!(writer.source_meetings("w").await.unwrap().len(), 3);
    assert!(
        server.refresh_if_changed().await.unwrap(),
        "the server sees the write"
    );
    assert_eq!(server.snapshot().len(), 3);
}
