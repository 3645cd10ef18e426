//! Places and travel end to end: `near`, `/v1/geocode`, `mode` and `max_minutes`, directions, and
//! the optional OSRM router and remote geocoder against mock servers.

use std::time::Duration;

use crate::common::*;
use meetingmap::domain::Meeting;
use meetingmap::domain::{distance_km, Attendance, Day, Fellowship};
use meetingmap::gazetteer::remote::{RemoteGeocoder, Service};
use meetingmap::gazetteer::Gazetteer;
use meetingmap::places::Geo;
use meetingmap::travel::osrm::{Osrm, OsrmConfig};
use meetingmap::travel::{estimate_minutes, Mode};
use serde_json::{json, Value};
use wiremock::matchers::{method, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The centroid of postcode sector LL11 1 (Wrexham town centre).
const LL11_1: (f64, f64) = (53.04772, -2.9959);

fn ids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().or(m["meeting_id"].as_str()).unwrap().to_string())
        .collect()
}

async fn ok(server: &TestApp, query: &str) -> Value {
    let (status, body) = server.get(query).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

async fn bad(server: &TestApp, query: &str) -> Vec<(String, String)> {
    let (status, body) = server.get(query).await;
    assert_eq!(status, 400, "{query}: {body}");
    body["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().into(),
                p["reason"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[tokio::test]
async fn near_a_postcode_in_any_spelling_searches_around_its_sector() {
    let server = TestApp::start(vec![
        meeting("close", north_of(LL11_1, 1.0)),
        meeting("far", north_of(LL11_1, 30.0)),
    ])
    .await;
    for near in ["ll111aa", "LL11%20%201AA", "LL11+1AA", "ll11%201"] {
        let body = ok(&server, &format!("/v1/meetings?near={near}")).await;
        assert_eq!(ids(&body, "meetings"), ["close"], "{near}");
        assert_eq!(
            body["resolved"],
            json!({"label": "LL11 1", "kind": "sector", "lat": 53.04772, "lon": -2.9959, "precision_km": 0.31}),
            "{near}"
        );
        assert_eq!(body["meetings"][0]["distance_km"], 1.0);
    }
    // The same search by coordinates finds the same, and echoes nothing.
    let body = ok(
        &server,
        &format!("/v1/meetings?lat={}&lon={}", LL11_1.0, LL11_1.1),
    )
    .await;
    assert_eq!(ids(&body, "meetings"), ["close"]);
    assert!(body["resolved"].is_null());
    // `lat,lon` in near.
    let body = ok(&server, "/v1/meetings?near=53.04772,-2.9959&radius_km=50").await;
    assert_eq!(ids(&body, "meetings"), ["close", "far"]);
    assert_eq!(body["resolved"]["kind"], "coordinates");
}

#[tokio::test]
async fn an_area_is_searched_at_least_as_far_as_it_reaches() {
    // LL21 (Corwen) is a rural district: 90% of its postcodes are within 10.82 km of its centroid.
    let ll21 = (52.98983, -3.41009);
    let server = TestApp::start(vec![meeting("edge", north_of(ll21, 10.5))]).await;
    let body = ok(&server, "/v1/meetings?near=LL21").await;
    assert_eq!(body["resolved"]["precision_km"], 10.82);
    assert_eq!(
        ids(&body, "meetings"),
        ["edge"],
        "default radius widened to 10.82 km"
    );
    let body = ok(&server, "/v1/meetings?near=LL21&radius_km=2").await;
    assert_eq!(
        ids(&body, "meetings"),
        ["edge"],
        "a radius never smaller than the area"
    );
    let body = ok(&server, &format!("/v1/meetings?lat={}&lon={}", ll21.0, ll21.1)).await;
    assert_eq!(ids(&body, "meetings"), Vec::<String>::new(), "a point is a point");
}

#[tokio::test]
async fn near_with_filters_end_to_end() {
    let mut na = meeting("na", north_of(LL11_1, 0.5));
    na.fellowship = Fellowship::parse("na").unwrap();
    let tuesday = with_schedule(
        meeting("aa-tue", north_of(LL11_1, 2.0)),
        Day::Tue,
        "19:30",
        60,
        "Europe/London",
    );
    let welsh = with_types(meeting("aa-welsh", north_of(LL11_1, 3.0)), &["language:cy"]);
    let mut hybrid_far = meeting("hybrid-far", north_of(LL11_1, 80.0));
    hybrid_far.attendance = Attendance::Hybrid;
    hybrid_far.online = Some(Default::default());
    let server = TestApp::start(vec![na, tuesday, welsh, hybrid_far, online("zoom")]).await;

    let q = |extra: &str| format!("/v1/meetings?near=Wrexham&{extra}");
    let body = ok(&server, &q("")).await;
    assert_eq!(body["resolved"]["label"], "Wrexham, Wales");
    assert_eq!(ids(&body, "meetings"), ["na", "aa-tue", "aa-welsh"]);
    assert_eq!(
        ids(&ok(&server, &q("fellowship=aa")).await, "meetings"),
        ["aa-tue", "aa-welsh"]
    );
    assert_eq!(ids(&ok(&server, &q("day=tue")).await, "meetings"), ["aa-tue"]);
    assert_eq!(
        ids(&ok(&server, &q("language=cy")).await, "meetings"),
        ["aa-welsh"]
    );
    assert_eq!(
        ids(&ok(&server, &q("attendance=online")).await, "meetings"),
        ["hybrid-far", "zoom"]
    );
    assert_eq!(
        ids(&ok(&server, &q("sort=time&day=mon")).await, "meetings"),
        ["aa-welsh", "na"]
    );
    // Occurrences take the same parameters and echo the same.
    let body = ok(
        &server,
        "/v1/occurrences?near=wrexham&fellowship=aa&from=2027-03-01T00:00:00Z&days=7&mode=walk",
    )
    .await;
    assert_eq!(body["resolved"]["label"], "Wrexham, Wales");
    // Sessions by start (Monday's before Tuesday's), not by distance as meetings are.
    assert_eq!(ids(&body, "occurrences"), ["aa-welsh", "aa-tue"]);
    let first = &body["occurrences"][0];
    assert_eq!(first["travel"]["mode"], "walk");
    assert_eq!(first["travel"]["method"], "estimate");
    assert!(first["directions_url"]
        .as_str()
        .unwrap()
        .starts_with("https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route="));
    assert!(body["travel_notice"].is_null());
}

#[tokio::test]
async fn bad_places_are_400s_with_suggestions_and_never_500s() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let params = bad(&server, "/v1/meetings?near=Wrexam").await;
    assert_eq!(params.len(), 1);
    assert_eq!(params[0].0, "near");
    assert!(params[0].1.contains("did you mean Wrexham"), "{}", params[0].1);
    let params = bad(&server, "/v1/occurrences?near=LL99%201AA").await;
    assert!(params[0].1.contains("did you mean"), "{params:?}");
    assert_eq!(
        bad(&server, "/v1/meetings?near=LL11&lat=53&lon=-3").await[0],
        (
            "near".into(),
            "cannot be combined with lat and lon; give one or the other".into()
        )
    );
    assert_eq!(bad(&server, "/v1/meetings?near=91,0").await[0].0, "near");
    let long = "x".repeat(201);
    assert_eq!(
        bad(&server, &format!("/v1/meetings?near={long}")).await[0].0,
        "near"
    );
    for junk in [
        "%00",
        "%E2%80%99",
        ",",
        "1,",
        "LL11%201AA%201AA",
        "%F0%9F%98%80",
        "-",
        "NaN,NaN",
    ] {
        let (status, _) = server.get(&format!("/v1/meetings?near={junk}")).await;
        assert_eq!(status, 400, "{junk}");
        let (status, _) = server.get(&format!("/v1/geocode?q={junk}")).await;
        assert_eq!(status, 400, "{junk}");
    }
}

#[tokio::test]
async fn geocode_shows_the_match_and_alternatives() {
    let server = TestApp::start(vec![]).await;
    let body = ok(&server, "/v1/geocode?q=newport").await;
    assert_eq!(body["resolved"]["label"], "Newport, Wales");
    assert_eq!(body["resolved"]["kind"], "place");
    let alternatives: Vec<&str> = body["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(alternatives[0], "Newport, Isle of Wight");
    assert_eq!(alternatives.len(), 5);
    let body = ok(&server, "/v1/geocode?q=Newport,%20Telford").await;
    assert_eq!(body["resolved"]["label"], "Newport, Telford and Wrekin");
    // Welsh and Scottish names, with accents, case and punctuation ignored.
    for (q, label) in [
        ("caernarf%C3%B4n", "Caernarfon, Gwynedd"),
        ("RHOSLLANNERCHRUGOG", "Rhosllannerchrugog, Wrexham"),
        ("bo'ness", "Bo’ness, Falkirk"),
        ("Kirkcaldy", "Kirkcaldy, Fife"),
    ] {
        let body = ok(&server, &format!("/v1/geocode?q={q}")).await;
        assert_eq!(body["resolved"]["label"], label, "{q}");
    }
    let body = ok(&server, "/v1/geocode?q=sw1a1aa").await;
    assert_eq!(body["resolved"]["label"], "SW1A 1");
    assert_eq!(body["alternatives"], json!([]));
    assert_eq!(bad(&server, "/v1/geocode").await[0].0, "q");
    assert_eq!(bad(&server, "/v1/geocode?q=").await[0].0, "q");
    let params = bad(&server, "/v1/geocode?q=Kirkcaldie&x=1").await;
    assert_eq!(
        params[0],
        ("x".into(), "is not a parameter of this endpoint".into())
    );
    assert!(params[1].1.contains("Kirkcaldy"), "{params:?}");
}

#[tokio::test]
async fn travel_times_and_directions() {
    let server = TestApp::start(vec![
        meeting("one", north_of(HOME, 1.0)),
        meeting("five", north_of(HOME, 5.0)),
        online("zoom"),
    ])
    .await;
    let at = format!("lat={}&lon={}", HOME.0, HOME.1);
    // Without a mode there is no travel time, but there are directions.
    let body = ok(&server, &format!("/v1/meetings?{at}")).await;
    assert!(body["meetings"][0]["travel"].is_null());
    assert!(body["meetings"][0]["directions_url"]
        .as_str()
        .unwrap()
        .starts_with("https://www.openstreetmap.org/directions?route=53.04620%2C-2.99300%3B"));
    let body = ok(&server, &format!("/v1/meetings?{at}&mode=walk")).await;
    assert_eq!(
        body["meetings"][0]["travel"],
        json!({"mode": "walk", "minutes": 16, "distance_km": 1.3, "method": "estimate"})
    );
    for mode in ["walk", "cycle", "drive", "transit"] {
        let body = ok(
            &server,
            &format!("/v1/meetings?{at}&mode={mode}&attendance=in_person,online"),
        )
        .await;
        let minutes: Vec<Value> = body["meetings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["travel"]["minutes"].clone())
            .collect();
        assert!(minutes[0].as_u64() < minutes[1].as_u64(), "{mode}: {minutes:?}");
        assert!(minutes[2].is_null(), "online meetings have no travel time");
        assert!(body["meetings"][2]["directions_url"].is_null());
    }
    // One meeting, with its directions link.
    let body = ok(&server, "/v1/meetings/one").await;
    assert!(body["directions_url"]
        .as_str()
        .unwrap()
        .starts_with("https://www.openstreetmap.org/directions?route=%3B"));
    assert!(ok(&server, "/v1/meetings/zoom").await["directions_url"].is_null());

    for (query, name) in [
        ("mode=walk", "mode"),
        ("near=LL11&mode=teleport", "mode"),
        ("near=LL11&max_minutes=10", "max_minutes"),
        ("near=LL11&mode=walk&max_minutes=0", "max_minutes"),
        ("near=LL11&mode=walk&max_minutes=241", "max_minutes"),
        ("near=LL11&mode=walk&max_minutes=ten", "max_minutes"),
    ] {
        let params = bad(&server, &format!("/v1/meetings?{query}")).await;
        assert_eq!(params[0].0, name, "{query}: {params:?}");
    }
}

#[tokio::test]
async fn max_minutes_returns_exactly_the_meetings_within_the_limit() {
    let points: Vec<(String, (f64, f64))> = (1..=80)
        .map(|k| (format!("m{k:02}"), north_of(HOME, 0.25 * k as f64)))
        .collect();
    let server = TestApp::start(points.iter().map(|(id, at)| meeting(id, *at)).collect()).await;
    for mode in Mode::ALL {
        for max in [3, 10, 15, 25, 40, 60, 240] {
            let query = format!(
                "/v1/meetings?lat={}&lon={}&mode={}&max_minutes={max}&limit=500",
                HOME.0,
                HOME.1,
                mode.as_str()
            );
            let body = ok(&server, &query).await;
            let found = body["meetings"].as_array().unwrap();
            for m in found {
                assert!(m["travel"]["minutes"].as_u64().unwrap() <= max, "{query}: {m}");
            }
            let expected = points
                .iter()
                .filter(|(_, at)| {
                    estimate_minutes(mode, distance_km(HOME.0, HOME.1, at.0, at.1)) <= max as f64
                })
                .count();
            assert_eq!(found.len(), expected, "{query}");
        }
    }
    // A radius narrower than the time limit still applies.
    let query = format!(
        "/v1/meetings?lat={}&lon={}&mode=drive&max_minutes=60&radius_km=1.1",
        HOME.0, HOME.1
    );
    assert_eq!(ok(&server, &query).await["meetings"].as_array().unwrap().len(), 4);
}

fn table(durations: Value, distances: Value, snaps: &[f64]) -> Value {
    json!({
        "code": "Ok",
        "durations": [durations],
        "distances": [distances],
        "sources": [{"distance": snaps[0], "location": [0, 0]}],
        "destinations": snaps.iter().map(|d| json!({"distance": d, "location": [0, 0]})).collect::<Vec<_>>(),
    })
}

/// The application with `meetings`, routing every mode with the OSRM server at `url`, as
/// `serve --osrm-url URL --remote-timeout-ms 500` would.
async fn with_osrm(meetings: Vec<Meeting>, url: &str) -> TestApp {
    TestApp::builder()
        .meetings(meetings)
        .settings(|s| {
            s.geo.osrm_url = Some(url.to_string());
            s.geo.remote_timeout_ms = 500;
        })
        .start()
        .await
}

#[tokio::test]
async fn osrm_client_reads_tables_and_refuses_bad_answers() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/table/v1/driving/-3\.000000,53\.040000;-2\.970000,53\.055000;-2\.985000,53\.040000$",
        ))
        .and(query_param("sources", "0"))
        .and(query_param("annotations", "duration,distance"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(
            json!([0, 220.7, null]),
            json!([0, 3682.3, null]),
            &[1.0, 2.0, 3.0],
        )))
        .mount(&mock)
        .await;
    let osrm = Osrm::new(
        &OsrmConfig {
            drive: Some(format!("{}/", mock.uri())),
            ..Default::default()
        },
        Duration::from_millis(500),
    )
    .unwrap()
    .unwrap();
    assert!(osrm.routes(Mode::Drive) && !osrm.routes(Mode::Walk) && !osrm.routes(Mode::Transit));
    let legs = osrm
        .table(Mode::Drive, (53.04, -3.0), &[(53.055, -2.97), (53.04, -2.985)])
        .await
        .unwrap();
    let leg = legs[0].unwrap();
    assert!((leg.minutes - 220.7 / 60.0).abs() < 1e-9 && (leg.distance_km - 3.6823).abs() < 1e-9);
    assert_eq!(legs[1], None, "unreachable");
    assert!(osrm
        .table(Mode::Walk, (53.04, -3.0), &[(53.0, -3.0)])
        .await
        .is_err());

    // Errors, far-off snapping and malformed answers are errors, not times.
    for answer in [
        ResponseTemplate::new(400).set_body_json(json!({"code": "InvalidQuery", "message": "no"})),
        ResponseTemplate::new(200).set_body_json(table(json!([0, 60]), json!([0, 1000]), &[5000.0, 1.0])),
        ResponseTemplate::new(200).set_body_json(table(json!([0]), json!([0]), &[1.0])),
        ResponseTemplate::new(200).set_body_string("not json"),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
    ] {
        let mock = MockServer::start().await;
        Mock::given(method("GET")).respond_with(answer).mount(&mock).await;
        let osrm = Osrm::new(
            &OsrmConfig {
                all: Some(mock.uri()),
                ..Default::default()
            },
            Duration::from_millis(300),
        )
        .unwrap()
        .unwrap();
        assert!(osrm
            .table(Mode::Walk, (53.04, -3.0), &[(53.05, -3.0)])
            .await
            .is_err());
    }
    // A destination far from any road has no routed time.
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(
            json!([0, 60]),
            json!([0, 1000]),
            &[1.0, 5000.0],
        )))
        .mount(&mock)
        .await;
    let osrm = Osrm::new(
        &OsrmConfig {
            all: Some(mock.uri()),
            ..Default::default()
        },
        Duration::from_millis(500),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        osrm.table(Mode::Cycle, (53.04, -3.0), &[(53.05, -3.0)])
            .await
            .unwrap(),
        [None]
    );
}

#[tokio::test]
async fn routed_times_replace_estimates_and_failures_fall_back() {
    let mock = MockServer::start().await;
    // "a" (the first meeting by id) takes 10 minutes on foot; "b" cannot be reached.
    Mock::given(method("GET"))
        .and(path_regex(r"^/table/v1/foot/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(table(
            json!([0, 600, null]),
            json!([0, 700, null]),
            &[1.0, 2.0, 3.0],
        )))
        .mount(&mock)
        .await;
    let meetings = vec![
        meeting("a", north_of(HOME, 0.3)),
        meeting("b", north_of(HOME, 0.4)),
    ];
    let server = with_osrm(meetings.clone(), &mock.uri()).await;
    let at = format!("lat={}&lon={}", HOME.0, HOME.1);
    let body = ok(&server, &format!("/v1/meetings?{at}&mode=walk")).await;
    assert_eq!(
        body["meetings"][0]["travel"],
        json!({"mode": "walk", "minutes": 10, "distance_km": 0.7, "method": "osrm"})
    );
    assert_eq!(body["meetings"][1]["travel"]["method"], "estimate");
    assert!(body["travel_notice"].is_null());
    // Within 8 minutes by estimate both are; the router says "a" is not, so it goes.
    let body = ok(&server, &format!("/v1/meetings?{at}&mode=walk&max_minutes=8")).await;
    assert_eq!(ids(&body, "meetings"), ["b"]);
    // Transit is never routed.
    let body = ok(&server, &format!("/v1/meetings?{at}&mode=transit")).await;
    assert_eq!(body["meetings"][0]["travel"]["method"], "estimate");

    // A router that fails: estimates, and the page says so.
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&broken)
        .await;
    let server = with_osrm(meetings, &broken.uri()).await;
    for endpoint in ["meetings", "occurrences"] {
        let body = ok(&server, &format!("/v1/{endpoint}?{at}&mode=walk")).await;
        assert_eq!(body[endpoint][0]["travel"]["method"], "estimate");
        assert_eq!(
            body["travel_notice"],
            "the routing server did not answer; travel times are estimates"
        );
    }
}

#[tokio::test]
async fn remote_geocoder_places_full_postcodes_with_a_cache_and_falls_back() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/postcodes/LL11%201AA$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": 200,
            "result": {"postcode": "LL11 1AA", "latitude": 53.0466, "longitude": -2.9925}
        })))
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/postcodes/LL11%201ZZ$"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"status": 404, "error": "Postcode not found"})),
        )
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/postcodes/LL11%202AA$"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&mock)
        .await;
    // As `serve --geocoder-url URL --remote-timeout-ms 300` (postcodes.io is the default kind).
    let server = TestApp::builder()
        .meetings(vec![meeting("a", HOME)])
        .settings(|s| {
            s.geo.geocoder_url = Some(mock.uri());
            s.geo.remote_timeout_ms = 300;
        })
        .start()
        .await;
    for _ in 0..3 {
        let body = ok(&server, "/v1/meetings?near=ll11%201aa").await;
        assert_eq!(
            body["resolved"],
            json!({"label": "LL11 1AA", "kind": "postcode", "lat": 53.0466, "lon": -2.9925, "precision_km": 0.1})
        );
        assert_eq!(
            ok(&server, "/v1/geocode?q=LL111ZZ").await["resolved"]["label"],
            "LL11 1"
        );
    }
    // Slow: the sector answers instead. Outcodes and places never go to the remote geocoder.
    assert_eq!(
        ok(&server, "/v1/geocode?q=LL11%202AA").await["resolved"]["label"],
        "LL11 2"
    );
    assert_eq!(
        ok(&server, "/v1/geocode?q=LL11").await["resolved"]["kind"],
        "outcode"
    );
    mock.verify().await;
}

#[tokio::test]
async fn nominatim_places_what_the_bundled_list_lacks() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/search$"))
        .and(query_param("q", "Corwen"))
        .and(query_param("countrycodes", "gb"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "lat": "52.9794", "lon": "-3.3767",
            "display_name": "Corwen, Denbighshire, Cymru / Wales, LL21 0DN, United Kingdom",
            "boundingbox": ["52.9594", "52.9994", "-3.4067", "-3.3467"]
        }])))
        .expect(1)
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/search$"))
        .and(query_param("q", "LL21 0DN"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "lat": "52.98", "lon": "-3.38", "display_name": "LL21 0DN, Corwen, Wales", "boundingbox": []
        }])))
        .mount(&mock)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/search$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&mock)
        .await;
    let geo = Geo {
        remote: Some(
            RemoteGeocoder::new(Service::Nominatim, &mock.uri(), Duration::from_millis(500))
                .unwrap()
                .with_min_interval(Duration::ZERO),
        ),
        ..Geo::offline()
    };
    let server = TestApp::builder().geo(geo).start().await;
    for _ in 0..2 {
        let body = ok(&server, "/v1/geocode?q=Corwen").await;
        assert_eq!(body["resolved"]["label"], "Corwen, Denbighshire");
        assert_eq!(body["resolved"]["kind"], "place");
        assert_eq!(body["resolved"]["precision_km"], 3.0, "half the box diagonal");
    }
    let body = ok(&server, "/v1/geocode?q=ll210dn").await;
    assert_eq!(body["resolved"]["kind"], "postcode");
    assert_eq!(body["resolved"]["lat"], 52.98);
    // Known locally: no request. Unknown to both: local suggestions.
    assert_eq!(
        ok(&server, "/v1/geocode?q=Wrexham").await["resolved"]["label"],
        "Wrexham, Wales"
    );
    let params = bad(&server, "/v1/meetings?near=Wrexam").await;
    assert!(params[0].1.contains("Wrexham"), "{params:?}");
    mock.verify().await;
}

#[tokio::test]
async fn nominatim_is_asked_at_most_once_a_second() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "lat": "52.95", "lon": "-3.42", "display_name": "Xyzzy, Nowhere", "boundingbox": []
        }])))
        .expect(1)
        .mount(&mock)
        .await;
    let geo = Geo {
        remote: Some(RemoteGeocoder::new(Service::Nominatim, &mock.uri(), Duration::from_secs(1)).unwrap()),
        ..Geo::offline()
    };
    let server = TestApp::builder().geo(geo).start().await;
    assert_eq!(
        ok(&server, "/v1/geocode?q=Xyzzy").await["resolved"]["label"],
        "Xyzzy, Nowhere"
    );
    // A different place straight after: not asked, so unknown offline.
    assert_eq!(bad(&server, "/v1/geocode?q=Plugh").await[0].0, "q");
    mock.verify().await;
}

/// Importers place meetings that only have a postcode through the same lookup.
#[test]
fn importers_locate_postcodes() {
    let g = Gazetteer::bundled();
    let found = g.locate_postcode("ll11 1aa").unwrap();
    assert_eq!(
        (found.label.as_str(), found.lat, found.lon),
        ("LL11 1", LL11_1.0, LL11_1.1)
    );
    assert!(g.locate_postcode("not a postcode").is_none());
}
