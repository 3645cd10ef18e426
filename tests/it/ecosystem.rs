//! Our directory in the formats other tools read: the Meeting Guide feed (TSML UI, the Meeting
//! Guide app) and BMLT's semantic interface (croutonjs, crumb-widget). Contract tests: the feed
//! against a JSON Schema written from the spec, BMLT answers against what the reference lists;
//! and round trips through our own importers, which must give back the same meetings.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use meetingmap::domain::{Access, Attendance, Day, Fellowship, Meeting, Online, Status};
use meetingmap::formats::bmlt::{fellowship_body, source_body};
use meetingmap::formats::vocabulary::MEETING_GUIDE_SPEC;
use meetingmap::gazetteer::Gazetteer;
use meetingmap::import::fetch::Fetcher;
use meetingmap::import::source::SourceDefinition;
use meetingmap::import::{ImportOptions, Importer};
use reqwest::Method;
use serde_json::Value;

const GRESFORD: (f64, f64) = (53.0871, -2.9686);
const LONDON: (f64, f64) = (51.5074, -0.1278);

fn f(id: &str) -> Fellowship {
    Fellowship::parse(id).unwrap()
}

/// A small directory with every case the outputs must get right: in person, hybrid and online
/// (on a known video service and not), closed for now, several fellowships whose codes differ,
/// ids that are not slugs (too long, capitals and underscores), a meeting with no fixed time, one
/// far away, open, closed and unknown access.
pub fn ecosystem_meetings() -> Vec<Meeting> {
    let mut out = Vec::new();
    let mut step = with_types(
        with_schedule(meeting("eco-step", HOME), Day::Tue, "19:30", 90, "Europe/London"),
        &["format:step", "accessibility:wheelchair", "language:en"],
    );
    step.name = "Wrexham Tuesday Step".into();
    step.access = Access::Closed;
    step.group_name = Some("Tuesday Group".into());
    step.notes = Some("Side entrance.\nTea from 7.".into());
    if let Some(l) = step.location.as_mut() {
        l.notes = Some("Upstairs room".into());
    }
    out.push(step);

    let mut hybrid = with_types(
        with_schedule(
            meeting("eco-hybrid", GRESFORD),
            Day::Wed,
            "20:00",
            60,
            "Europe/London",
        ),
        &["format:speaker", "community:women"],
    );
    hybrid.name = "Gresford Women's Speaker".into();
    hybrid.attendance = Attendance::Hybrid;
    hybrid.online = Some(Online {
        url: Some("https://us02web.zoom.us/j/81234567890".into()),
        phone: Some("+44 20 7946 0000".into()),
        notes: Some("Passcode 1234".into()),
    });
    if let Some(l) = hybrid.location.as_mut() {
        l.town = Some("Gresford".into());
        l.postcode = Some("LL12 8RG".into());
        l.venue = Some("All Saints Church Hall".into());
        l.address_lines = vec!["Church Green".into()];
    }
    out.push(hybrid);

    let mut zoom = with_types(
        with_schedule(online("eco-online-zoom"), Day::Thu, "12:30", 60, "Europe/London"),
        &["format:discussion"],
    );
    zoom.name = "Lunchtime Online".into();
    zoom.online = Some(Online {
        url: Some("https://zoom.us/j/81234567891".into()),
        phone: None,
        notes: Some("Meeting ID 812 3456 7891".into()),
    });
    out.push(zoom);

    let mut own_site = with_schedule(online("eco-online-own"), Day::Sun, "08:00", 60, "Europe/London");
    own_site.name = "Early Birds Online".into();
    own_site.access = Access::Unknown;
    own_site.online = Some(Online {
        url: Some("https://rooms.example.org/early-birds".into()),
        phone: None,
        notes: None,
    });
    out.push(own_site);

    let mut closed = with_schedule(
        meeting("eco-closed", north_of(HOME, 2.0)),
        Day::Fri,
        "18:00",
        60,
        "Europe/London",
    );
    closed.name = "Friday Big Hall".into();
    closed.status = Status::TemporarilyClosed;
    out.push(closed);

    let mut na = with_types(
        with_schedule(
            meeting("eco-na-jft", north_of(HOME, 1.0)),
            Day::Mon,
            "19:00",
            60,
            "Europe/London",
        ),
        &["format:just-for-today", "format:step", "community:young-people"],
    );
    na.fellowship = f("na");
    na.name = "Just for Today Wrexham".into();
    out.push(na);

    let mut na_online = with_types(
        with_schedule(online("eco-na-online"), Day::Sat, "21:00", 90, "Europe/London"),
        &["format:basic-text"],
    );
    na_online.fellowship = f("na");
    na_online.name = "Late Night Basic Text".into();
    na_online.access = Access::Closed;
    out.push(na_online);

    let mut alanon = with_types(
        with_schedule(
            meeting("eco-alanon", north_of(HOME, -1.0)),
            Day::Wed,
            "10:00",
            60,
            "Europe/London",
        ),
        &["community:families"],
    );
    alanon.fellowship = f("al-anon");
    alanon.name = "Wrexham Family Group".into();
    out.push(alanon);

    // An id no client would take as a slug: too long, with capitals and underscores.
    let long_id = format!("eco_LONG_{}", "x".repeat(80));
    let mut long = with_schedule(
        meeting(&long_id, north_of(HOME, 3.0)),
        Day::Sat,
        "11:00",
        60,
        "Europe/London",
    );
    long.name = "Saturday Morning".into();
    out.push(long);
    let mut similar = with_schedule(
        meeting("eco_long", north_of(HOME, 3.5)),
        Day::Sat,
        "11:30",
        60,
        "Europe/London",
    );
    similar.name = "Saturday Late Morning".into();
    out.push(similar);

    let mut anytime = meeting("eco-anytime", north_of(HOME, 4.0));
    anytime.schedule = None;
    anytime.name = "By Arrangement".into();
    out.push(anytime);

    let mut far = with_schedule(
        meeting("eco-london", LONDON),
        Day::Mon,
        "18:30",
        60,
        "Europe/London",
    );
    far.name = "Westminster Monday".into();
    if let Some(l) = far.location.as_mut() {
        l.town = Some("London".into());
        l.postcode = Some("SW1A 1AA".into());
    }
    out.push(far);
    out
}

fn fast_importer(server: &TestApp) -> Importer {
    let mut fetcher = Fetcher::new(Duration::from_secs(10));
    fetcher.backoff = Duration::from_millis(5);
    Importer::new(server.directory.clone(), fetcher, Arc::new(Gazetteer::bundled()))
}

fn definition(text: &str) -> SourceDefinition {
    let text = format!("name = \"Round trip\"\nattribution = \"Our own output\"\n{text}");
    SourceDefinition::parse(
        &text,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("importers").as_path(),
    )
    .unwrap()
}

/// Everything a person reads about a meeting, to compare a meeting with its copy from a round
/// trip (ids, sources and import dates differ by design).
fn visible(m: &Meeting, with_updated: bool) -> Value {
    let loc = m.location.as_ref().map(|l| {
        serde_json::json!({
            "venue": l.venue, "address_lines": l.address_lines, "town": l.town,
            "postcode": l.postcode, "country": l.country, "notes": l.notes,
            "lat": l.lat.map(|x| (x * 1e5).round() as i64),
            "lon": l.lon.map(|x| (x * 1e5).round() as i64),
        })
    });
    let mut types: Vec<String> = m.types.iter().map(|t| t.to_string()).collect();
    types.sort();
    serde_json::json!({
        "fellowship": m.fellowship.id(), "name": m.name, "group_name": m.group_name,
        "schedule": m.schedule, "access": m.access, "attendance": m.attendance, "types": types,
        "location": loc, "online": m.online, "notes": m.notes, "status": m.status,
        "source_types": m.source_types,
        "updated_at": if with_updated { Some(m.updated_at.to_string()) } else { None },
    })
}

fn by_name(meetings: &[Meeting]) -> std::collections::BTreeMap<String, Value> {
    meetings
        .iter()
        .map(|m| (m.name.clone(), visible(m, false)))
        .collect()
}

#[tokio::test]
async fn meeting_guide_feed_meets_the_spec_and_what_tsml_ui_needs() {
    let meetings = ecosystem_meetings();
    let server = TestApp::start(meetings.clone()).await;
    let schema: Value = serde_json::from_str(include_str!("fixtures/meeting-guide.schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();

    // TSML UI appends `?<timestamp>`; Meeting Guide clients add keys of their own.
    let response = server
        .request(
            Method::GET,
            "/v1/feeds/meeting-guide.json?1795350757335&client=tsml-ui",
            &[("Origin", "http://127.0.0.1:9")],
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("access-control-allow-origin"), Some("*"));
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let feed = response.json();
    let errors: Vec<String> = validator
        .iter_errors(&feed)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the feed breaks the schema:\n{}",
        errors.join("\n")
    );
    let records = feed.as_array().unwrap();
    // Every fellowship, every kind of attendance, a meeting with no fixed time included.
    assert_eq!(records.len(), meetings.len());

    let slugs: HashSet<&str> = records.iter().map(|r| r["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs.len(), records.len(), "slugs are unique");
    assert!(slugs.iter().all(|s| s.len() <= 64));
    assert!(slugs.contains("eco-step"), "a slug-safe id is its own slug");
    let record = |name: &str| {
        records
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
    };

    let step = record("Wrexham Tuesday Step");
    assert_eq!(step["day"], 2);
    assert_eq!(step["time"], "19:30");
    assert_eq!(step["end_time"], "21:00");
    assert_eq!(step["timezone"], "Europe/London");
    assert_eq!(step["approximate"], "no");
    assert_eq!(step["latitude"], HOME.0);
    assert_eq!(step["longitude"], HOME.1);
    assert_eq!(step["formatted_address"], "1 High Street, Wrexham, LL11 1AA, UK");
    assert_eq!(step["location"], "Church Hall");
    assert_eq!(step["updated"], "2026-10-01 12:00:00");
    let types: BTreeSet<&str> = step["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(types, BTreeSet::from(["C", "EN", "ST", "X"]));
    assert!(step["url"].as_str().unwrap().ends_with("/meetings/eco-step"));

    let hybrid = record("Gresford Women's Speaker");
    assert_eq!(hybrid["conference_url"], "https://us02web.zoom.us/j/81234567890");
    assert_eq!(hybrid["conference_url_notes"], "Passcode 1234");
    assert_eq!(hybrid["conference_phone"], "+44 20 7946 0000");
    assert_eq!(hybrid["approximate"], "no");

    // Online only: an approximate address that tells the zone, no coordinates, no room types.
    let zoom = record("Lunchtime Online");
    assert_eq!(zoom["approximate"], "yes");
    assert_eq!(zoom["formatted_address"], "London, UK");
    assert!(zoom.get("latitude").is_none());
    assert_eq!(zoom["conference_url"], "https://zoom.us/j/81234567891");
    // A link TSML UI would throw away (with its notes) is kept as the website.
    let own = record("Early Birds Online");
    assert!(own.get("conference_url").is_none());
    assert_eq!(own["website"], "https://rooms.example.org/early-birds");

    let closed = record("Friday Big Hall");
    assert!(closed["types"].as_array().unwrap().contains(&"TC".into()));
    assert_eq!(closed["attendance_option"], "inactive");

    // NA's own codes are not in the spec: the spec's own say the same.
    let na = record("Just for Today Wrexham");
    let na_types: BTreeSet<&str> = na["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(na_types, BTreeSet::from(["O", "ST", "Y"]));
    // Al-Anon's POA is parents of alcoholics, not proof of attendance.
    assert_eq!(
        record("Wrexham Family Group")["types"],
        serde_json::json!(["O", "POA"])
    );
    assert!(record("By Arrangement").get("day").is_none());
    for r in records {
        for t in r["types"].as_array().unwrap() {
            assert!(MEETING_GUIDE_SPEC.contains(&t.as_str().unwrap()), "{t}");
        }
        if r["approximate"] == "no" {
            assert!(r["latitude"].is_number(), "a real venue has coordinates: {r}");
        }
    }

    // Conditional requests.
    let etag = response.header("etag").unwrap().to_string();
    let again = server
        .request(
            Method::GET,
            "/v1/feeds/meeting-guide.json?1795350757335&client=tsml-ui",
            &[("If-None-Match", &etag)],
            None,
        )
        .await;
    assert_eq!(again.status, 304);

    // Per fellowship, per source, and with the search's filters.
    let (status, na_feed) = server.get("/v1/feeds/meeting-guide.json?fellowship=na").await;
    assert_eq!(status, 200);
    assert_eq!(na_feed.as_array().unwrap().len(), 2);
    let (_, test_source) = server.get("/v1/feeds/meeting-guide.json?source=test").await;
    assert_eq!(test_source.as_array().unwrap().len(), meetings.len());
    let (status, problem) = server.get("/v1/feeds/meeting-guide.json?source=nowhere").await;
    assert_eq!(status, 400, "{problem}");
    let (status, near) = server
        .get("/v1/feeds/meeting-guide.json?near=LL11&radius_km=30&attendance=in_person")
        .await;
    assert_eq!(status, 200, "{near}");
    let names: BTreeSet<&str> = near
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(names.contains("Wrexham Tuesday Step") && names.contains("Gresford Women's Speaker"));
    assert!(!names.contains("Westminster Monday") && !names.contains("Lunchtime Online"));
    let (status, problem) = server.get("/v1/feeds/meeting-guide.json?day=someday").await;
    assert_eq!(
        status, 400,
        "a bad value of a known parameter is still refused: {problem}"
    );
}

#[tokio::test]
async fn the_meeting_guide_feed_reads_back_as_the_same_meetings() {
    let meetings = ecosystem_meetings();
    let server = TestApp::start(meetings.clone()).await;
    let target = TestApp::start(vec![]).await;
    let importer = fast_importer(&target);
    // Meeting Guide codes mean different things per fellowship: a feed per fellowship.
    for fellowship in ["aa", "na", "al-anon"] {
        let source = definition(&format!(
            "id = \"rt-{fellowship}\"\nformat = \"meeting-guide\"\nfellowship = \"{fellowship}\"\ncountry = \"GB\"\nurl = \"{}/v1/feeds/meeting-guide.json?fellowship={fellowship}\"\n",
            server.base
        ));
        let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
        assert!(
            run.rejects.is_empty() && run.reason.is_none(),
            "{:?} {:?}",
            run.rejects,
            run.reason
        );
    }
    let imported: Vec<Meeting> = target.directory.snapshot().meetings().collect();
    let expected: Vec<Meeting> = meetings
        .into_iter()
        .map(|mut m| {
            // What the Meeting Guide format cannot say: types with no spec code (none here but
            // these), and which types a meeting with no room has only in a room.
            m.types
                .retain(|t| meetingmap::formats::vocabulary::meeting_guide_type(m.fellowship, *t).is_some());
            m
        })
        .collect();
    assert_eq!(by_name(&imported), by_name(&expected));
    // The spec's `updated` carries the source's own date.
    let step = imported
        .iter()
        .find(|m| m.name == "Wrexham Tuesday Step")
        .unwrap();
    assert_eq!(step.updated_at.to_string(), "2026-10-01T12:00:00Z");
}

/// BMLT's answer to `query`, as JSON.
async fn bmlt(server: &TestApp, query: &str) -> Value {
    let response = server
        .request(
            Method::GET,
            &format!("/client_interface/json/?{query}"),
            &[],
            None,
        )
        .await;
    assert_eq!(response.status, 200, "{query}: {}", response.body);
    serde_json::from_str(&response.body).unwrap_or_else(|e| panic!("{query}: {e}: {}", response.body))
}

fn ids_of(meetings: &Value) -> BTreeSet<String> {
    meetings
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["meeting_name"].as_str().unwrap().to_string())
        .collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Fields the reference (ecosystem-outputs.md, 2) lists as needed per meeting.
const NEEDED: &[&str] = &[
    "id_bigint",
    "weekday_tinyint",
    "start_time",
    "duration_time",
    "time_zone",
    "venue_type",
    "formats",
    "format_shared_id_list",
    "location_text",
    "location_street",
    "location_municipality",
    "location_province",
    "location_postal_code_1",
    "location_info",
    "comments",
    "meeting_name",
    "latitude",
    "longitude",
    "service_body_bigint",
    "root_server_uri",
    "virtual_meeting_link",
    "virtual_meeting_additional_info",
    "phone_meeting_number",
    "distance_in_km",
    "distance_in_miles",
];

#[tokio::test]
async fn bmlt_answers_as_clients_need() {
    let meetings = ecosystem_meetings();
    let server = TestApp::start(meetings.clone()).await;
    let scheduled = meetings.iter().filter(|m| m.schedule.is_some()).count();

    let all = bmlt(&server, "switcher=GetSearchResults").await;
    let all = all.as_array().unwrap();
    assert_eq!(
        all.len(),
        scheduled,
        "every meeting with a fixed time, of every fellowship"
    );
    let bodies = bmlt(&server, "switcher=GetServiceBodies").await;
    let body_ids: HashSet<&str> = bodies
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    let formats = bmlt(&server, "switcher=GetFormats&show_all=1").await;
    let format_ids: HashSet<&str> = formats
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let root = server.base.clone();
    for m in all {
        let m = m.as_object().unwrap();
        for key in NEEDED {
            assert!(m.contains_key(*key), "{key} missing in {m:?}");
        }
        for (key, value) in m {
            assert!(value.is_string(), "{key} is not a string: {value}");
        }
        assert!(body_ids.contains(m["service_body_bigint"].as_str().unwrap()));
        assert_eq!(m["root_server_uri"], root.as_str());
        let duration = m["duration_time"].as_str().unwrap();
        assert_eq!(duration.split(':').count(), 3, "{duration}");
        let shared = m["format_shared_id_list"].as_str().unwrap();
        if !m["formats"].as_str().unwrap().is_empty() {
            assert!(shared.split(',').all(|id| format_ids.contains(id)), "{shared}");
        }
    }
    for f in formats.as_array().unwrap() {
        for key in [
            "id",
            "key_string",
            "name_string",
            "description_string",
            "world_id",
            "format_type_enum",
            "root_server_uri",
            "lang",
        ] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
        assert_eq!(f["root_server_uri"], root.as_str());
    }
    for b in bodies.as_array().unwrap() {
        for key in [
            "id",
            "parent_id",
            "name",
            "description",
            "url",
            "helpline",
            "type",
        ] {
            assert!(b[key].is_string(), "{key} in {b}");
        }
    }
    let step = all
        .iter()
        .find(|m| m["meeting_name"] == "Wrexham Tuesday Step")
        .unwrap();
    assert_eq!(step["weekday_tinyint"], "3", "1 = Sunday");
    assert_eq!(step["start_time"], "19:30:00");
    assert_eq!(step["duration_time"], "01:30:00");
    assert_eq!(step["venue_type"], "1");
    assert_eq!(step["formats"], "C,St,WC,EN");
    assert_eq!(step["location_municipality"], "Wrexham");
    let wheelchair = formats
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["world_id"] == "WCHR")
        .unwrap();
    assert_eq!(wheelchair["key_string"], "WC");

    // Service bodies: a fellowship and, recursively, its sources.
    let na = fellowship_body(f("na"));
    let direct = bmlt(&server, &format!("switcher=GetSearchResults&services[]={na}")).await;
    assert_eq!(
        direct,
        serde_json::json!([]),
        "meetings belong to the sources' bodies"
    );
    let na_all = bmlt(
        &server,
        &format!("switcher=GetSearchResults&services[]={na}&recursive=1"),
    )
    .await;
    assert_eq!(
        ids_of(&na_all),
        names(&["Just for Today Wrexham", "Late Night Basic Text"])
    );
    let leaf = source_body(f("na"), "test");
    assert_eq!(
        bmlt(&server, &format!("switcher=GetSearchResults&services={leaf}")).await,
        na_all
    );
    let with_parents = bmlt(
        &server,
        &format!("switcher=GetServiceBodies&services[]={leaf}&parents=1"),
    )
    .await;
    assert_eq!(with_parents.as_array().unwrap().len(), 2);

    // Weekdays (1 = Sunday), venue types, negatives, comma forms.
    let saturday = bmlt(&server, "switcher=GetSearchResults&weekdays[]=7").await;
    assert_eq!(
        ids_of(&saturday),
        names(&[
            "Late Night Basic Text",
            "Saturday Late Morning",
            "Saturday Morning"
        ])
    );
    let not_online = bmlt(&server, "switcher=GetSearchResults&venue_types=-2&weekdays=7,1").await;
    assert_eq!(
        ids_of(&not_online),
        names(&["Saturday Late Morning", "Saturday Morning"])
    );
    let virtual_or_hybrid = bmlt(
        &server,
        "switcher=GetSearchResults&venue_types[]=2&venue_types[]=3",
    )
    .await;
    assert_eq!(
        ids_of(&virtual_or_hybrid),
        names(&[
            "Early Birds Online",
            "Gresford Women's Speaker",
            "Late Night Basic Text",
            "Lunchtime Online"
        ])
    );

    // Formats by shared id, AND (default) and OR, and excluded.
    let id_of = |key: &str| {
        formats
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key_string"] == key)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (closed, step_id) = (id_of("C"), id_of("St"));
    let both = bmlt(
        &server,
        &format!("switcher=GetSearchResults&formats[]={closed}&formats[]={step_id}"),
    )
    .await;
    assert_eq!(ids_of(&both), names(&["Wrexham Tuesday Step"]));
    let either = bmlt(
        &server,
        &format!("switcher=GetSearchResults&formats={closed},{step_id}&formats_comparison_operator=OR"),
    )
    .await;
    assert_eq!(
        ids_of(&either),
        names(&[
            "Just for Today Wrexham",
            "Late Night Basic Text",
            "Wrexham Tuesday Step"
        ])
    );
    let without = bmlt(
        &server,
        &format!("switcher=GetSearchResults&formats=-{closed}&weekdays=3"),
    )
    .await;
    assert_eq!(ids_of(&without), names(&[]));

    // Times: starts after and before are strict; ends before; durations.
    let evening = bmlt(
        &server,
        "switcher=GetSearchResults&StartsAfterH=19&StartsAfterM=0&StartsBeforeH=21",
    )
    .await;
    assert_eq!(
        ids_of(&evening),
        names(&["Gresford Women's Speaker", "Wrexham Tuesday Step"])
    );
    let long = bmlt(
        &server,
        "switcher=GetSearchResults&MinDurationH=1&MinDurationM=30",
    )
    .await;
    assert_eq!(
        ids_of(&long),
        names(&["Late Night Basic Text", "Wrexham Tuesday Step"])
    );
    let short = bmlt(
        &server,
        "switcher=GetSearchResults&MaxDurationH=1&EndsBeforeH=11&EndsBeforeM=30",
    )
    .await;
    assert_eq!(
        ids_of(&short),
        names(&["Early Birds Online", "Wrexham Family Group"])
    );

    // Text: words, and a list of ids.
    let text = bmlt(
        &server,
        "switcher=GetSearchResults&SearchString=gresford%20speaker",
    )
    .await;
    assert_eq!(ids_of(&text), names(&["Gresford Women's Speaker"]));
    let numbers: Vec<&str> = all
        .iter()
        .take(2)
        .map(|m| m["id_bigint"].as_str().unwrap())
        .collect();
    let by_ids = bmlt(
        &server,
        &format!("switcher=GetSearchResults&SearchString={}", numbers.join(",")),
    )
    .await;
    assert_eq!(by_ids.as_array().unwrap().len(), 2);
    let by_meeting_ids = bmlt(
        &server,
        &format!("switcher=GetSearchResults&meeting_ids[]={}", numbers[0]),
    )
    .await;
    assert_eq!(by_meeting_ids.as_array().unwrap().len(), 1);

    // Around a point: miles, km, and "about the nearest N", with distances.
    let around = format!("lat_val={}&long_val={}", HOME.0, HOME.1);
    let near = bmlt(
        &server,
        &format!("switcher=GetSearchResults&{around}&geo_width_km=3&sort_results_by_distance=1"),
    )
    .await;
    let near = near.as_array().unwrap();
    assert_eq!(near[0]["meeting_name"], "Wrexham Tuesday Step");
    assert_eq!(near[0]["distance_in_km"], "0");
    let distances: Vec<f64> = near
        .iter()
        .map(|m| m["distance_in_km"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]) && distances.iter().all(|d| *d <= 3.0));
    let nearest3 = bmlt(
        &server,
        &format!("switcher=GetSearchResults&{around}&geo_width=-3"),
    )
    .await;
    let n = nearest3.as_array().unwrap().len();
    assert!(
        (3..8).contains(&n),
        "about the nearest 3, within the first radius that has them: {n}"
    );
    assert!(!ids_of(&nearest3).contains("Westminster Monday"));
    // Westminster is about 155 miles (250 km) away.
    let miles = bmlt(
        &server,
        &format!("switcher=GetSearchResults&{around}&geo_width=100"),
    )
    .await;
    assert!(!ids_of(&miles).contains("Westminster Monday"));
    assert!(ids_of(&miles).contains("Saturday Morning"));
    let everywhere = bmlt(
        &server,
        &format!("switcher=GetSearchResults&{around}&geo_width_km=300"),
    )
    .await;
    assert!(ids_of(&everywhere).contains("Westminster Monday"));
    assert_eq!(
        bmlt(&server, &format!("switcher=GetSearchResults&{around}")).await,
        serde_json::json!([])
    );

    // Projection, order, paging and the formats in use.
    let page = bmlt(
        &server,
        "switcher=GetSearchResults&data_field_key=meeting_name,weekday_tinyint,start_time&sort_keys=meeting_name&page_size=3&page_num=2",
    )
    .await;
    let page = page.as_array().unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[0].as_object().unwrap().len(), 3);
    let mut sorted: Vec<&str> = all.iter().map(|m| m["meeting_name"].as_str().unwrap()).collect();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(page[0]["meeting_name"], sorted[3]);
    let used = bmlt(
        &server,
        "switcher=GetSearchResults&get_used_formats&weekdays=3&lang_enum=en",
    )
    .await;
    assert_eq!(used["meetings"].as_array().unwrap().len(), 1);
    let keys: BTreeSet<&str> = used["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key_string"].as_str().unwrap())
        .collect();
    assert_eq!(keys, BTreeSet::from(["C", "EN", "St", "WC"]));
    assert_eq!(
        bmlt(
            &server,
            "switcher=GetSearchResults&get_used_formats&weekdays=-1,-2,-3,-4,-5,-6,-7"
        )
        .await,
        serde_json::json!({"meetings": [], "formats": []})
    );
    let by_key = bmlt(
        &server,
        "switcher=GetSearchResults&meeting_key=start_time&meeting_key_value=19:30",
    )
    .await;
    assert_eq!(ids_of(&by_key), names(&["Wrexham Tuesday Step"]));

    // The aggregator's additions: ordered by next start; shown in another zone.
    let next = bmlt(
        &server,
        "switcher=GetSearchResults&sort_results_by_next_start=1&next_start_grace_minutes=10",
    )
    .await;
    assert_eq!(next.as_array().unwrap().len(), scheduled);
    let new_york = bmlt(
        &server,
        "switcher=GetSearchResults&target_time_zone=America/New_York&weekdays=3",
    )
    .await;
    assert_eq!(new_york[0]["time_zone"], "America/New_York");
    // 19:30 in London is 14:30 in New York, whatever the week (both have summer time, a few
    // weeks apart: 13:30 or 14:30 in between).
    assert!(
        matches!(new_york[0]["start_time"].as_str(), Some("14:30:00" | "15:30:00")),
        "{new_york}"
    );

    // The other switchers.
    let info = bmlt(&server, "switcher=GetServerInfo").await;
    assert_eq!(info[0]["google_api_key"], "", "never a key");
    for key in [
        "version",
        "versionInt",
        "langs",
        "nativeLang",
        "centerLongitude",
        "centerLatitude",
        "centerZoom",
        "defaultDuration",
        "regionBias",
        "charSet",
        "distanceUnits",
        "semanticAdmin",
        "changesPerMeeting",
        "meeting_states_and_provinces",
        "meeting_counties_and_sub_provinces",
        "available_keys",
        "dbVersion",
        "dbPrefix",
        "phpVersion",
        "commit",
    ] {
        assert!(info[0][key].is_string(), "{key}");
    }
    for key in [
        "auto_geocoding_enabled",
        "county_auto_geocoding_enabled",
        "zip_auto_geocoding_enabled",
        "default_closed_status",
        "aggregator_mode_enabled",
    ] {
        assert!(info[0][key].is_boolean(), "{key} is a boolean, as BMLT sends it");
    }
    // Without the final slash, as BMLT also answers.
    let bare = server
        .request(
            Method::GET,
            "/client_interface/json?switcher=GetServerInfo",
            &[],
            None,
        )
        .await;
    assert_eq!((bare.status, bare.json()), (200, info.clone()));
    let keys = bmlt(&server, "switcher=GetFieldKeys").await;
    assert!(keys
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["key"] == "location_municipality"));
    let towns = bmlt(
        &server,
        "switcher=GetFieldValues&meeting_key=location_municipality",
    )
    .await;
    assert!(towns
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["location_municipality"] == "Gresford"));
    let area = bmlt(&server, "switcher=GetCoverageArea").await;
    assert_eq!(
        area[0]["nw_corner_latitude"],
        HOME.0.max(GRESFORD.0).max(north_of(HOME, 4.0).0).to_string()
    );
    let changes = bmlt(
        &server,
        "switcher=GetChanges&start_date=2026-08-01&end_date=2026-12-31",
    )
    .await;
    let changes = changes.as_array().unwrap();
    assert_eq!(
        changes.len(),
        meetings.len() * 2,
        "first listed, and changed by the source"
    );
    assert!(changes
        .iter()
        .all(|c| c.as_object().unwrap().values().all(Value::is_string)));
    assert_eq!(
        bmlt(&server, "switcher=GetChanges&start_date=2027-01-01").await,
        serde_json::json!([])
    );

    // BMLT's own refusals, and leniency everywhere else.
    let unknown = server
        .request(
            Method::GET,
            "/client_interface/json/?switcher=GetNothing",
            &[],
            None,
        )
        .await;
    assert_eq!(unknown.status, 422);
    let no_key = server
        .request(
            Method::GET,
            "/client_interface/json/?switcher=GetFieldValues",
            &[],
            None,
        )
        .await;
    assert_eq!(no_key.status, 400);
    for query in [
        "switcher=GetSearchResults&weekdays=x&venue_types[]=&formats=%zz&geo_width=abc&lat_val=1",
        "switcher=GetSearchResults&page_size=-1&page_num=99999999999999999999&StartsAfterH=99&MinDurationM=-5",
        "switcher=GetSearchResults&lat_val=91&long_val=500&geo_width=-99999999999&sort_keys=nonsense",
        "switcher=GetSearchResults&meeting_ids=-9223372036854775808&services=-1&target_time_zone=Mars/Base",
        "switcher=GetSearchResults&page_size=9223372036854775807&page_num=9223372036854775807",
        "switcher=GetFormats&format_ids=-x&key_strings[]=%C3%28",
        "switcher=GetServiceBodies&services=abc&recursive&parents",
        "switcher=GetChanges&start_date=yesterday&meeting_id=x",
        "switcher=GetSearchResults&unknown_param=1&SearchString=%00%FF",
    ] {
        let response = server.request(Method::GET, &format!("/client_interface/json/?{query}"), &[], None).await;
        assert_eq!(response.status, 200, "{query}: {}", response.body);
        assert!(serde_json::from_str::<Value>(&response.body).is_ok(), "{query}");
    }

    // JSONP, as croutonjs loads everything.
    let script = server
        .request(
            Method::GET,
            "/client_interface/jsonp/?switcher=GetFormats&callback=jsonp_1_2",
            &[],
            None,
        )
        .await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.body.starts_with("/**/jsonp_1_2(") && script.body.ends_with(");"));
    let evil = server
        .request(
            Method::GET,
            "/client_interface/jsonp/?switcher=GetFormats&callback=alert(1)//",
            &[],
            None,
        )
        .await;
    assert_eq!(evil.status, 422);
}

#[tokio::test]
async fn bmlt_output_reads_back_as_the_same_meetings() {
    let meetings = ecosystem_meetings();
    let server = TestApp::start(meetings.clone()).await;
    let target = TestApp::start(vec![]).await;
    let importer = fast_importer(&target);
    // A BMLT server of one fellowship, as an importer of BMLT sees it.
    for fellowship in ["aa", "na", "al-anon"] {
        let body = fellowship_body(f(fellowship));
        let source = definition(&format!(
            "id = \"bmlt-{fellowship}\"\nformat = \"bmlt\"\nfellowship = \"{fellowship}\"\ncountry = \"GB\"\n\
             url = \"{base}/client_interface/json/?switcher=GetSearchResults&services[]={body}&recursive=1\"\n\
             formats_url = \"{base}/client_interface/json/?switcher=GetFormats&show_all=1\"\n",
            base = server.base
        ));
        let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
        assert!(
            run.rejects.is_empty() && run.reason.is_none(),
            "{:?} {:?}",
            run.rejects,
            run.reason
        );
    }
    let imported: Vec<Meeting> = target.directory.snapshot().meetings().collect();
    // BMLT has no way to say "by arrangement": meetings without a fixed time are not served.
    // Nor a group apart from the meeting's name.
    let expected: Vec<Meeting> = meetings
        .into_iter()
        .filter(|m| m.schedule.is_some())
        .map(|mut m| {
            m.group_name = None;
            m
        })
        .collect();
    assert_eq!(by_name(&imported), by_name(&expected));
}
