//! The HTTP API end to end: a real server on port 0 over hand-made meetings.

use crate::common::*;
use meetingmap::domain::{Access, Attendance, Day, Fellowship, Status};
use serde_json::Value;

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn home_query(extra: &str) -> String {
    format!("lat={}&lon={}&{extra}", HOME.0, HOME.1)
}

#[tokio::test]
async fn radius_boundary_in_km_and_miles() {
    let server = TestApp::start(vec![
        meeting("inside", north_of(HOME, 9.99)),
        meeting("outside", north_of(HOME, 10.01)),
        meeting("south", north_of(HOME, -3.0)),
        meeting("far", north_of(HOME, 40.0)),
    ])
    .await;
    // Default radius is 10 km, nearest first, with distances.
    let (_, body) = server.get(&format!("/v1/meetings?{}", home_query(""))).await;
    let got: Vec<(&str, f64)> = body["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["distance_km"].as_f64().unwrap()))
        .collect();
    assert_eq!(got, [("south", 3.0), ("inside", 9.99)]);
    assert_eq!(
        server.ids(&home_query("radius_km=10.02")).await,
        ["south", "inside", "outside"]
    );
    assert_eq!(
        server.ids(&home_query("radius_km=2.99")).await,
        Vec::<String>::new()
    );
    // 6.2 miles is 9.978 km; 6.22 miles is 10.010 km.
    assert_eq!(server.ids(&home_query("radius_mi=6.2")).await, ["south"]);
    assert_eq!(
        server.ids(&home_query("radius_mi=6.22")).await,
        ["south", "inside", "outside"]
    );
    assert_eq!(
        server.ids(&home_query("radius_km=250")).await,
        ["south", "inside", "outside", "far"]
    );
    // Without a point there is no distance and the order is by time.
    let (_, body) = server.get("/v1/meetings").await;
    assert_eq!(body["meetings"].as_array().unwrap().len(), 4);
    assert!(body["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["distance_km"].is_null()));
}

#[tokio::test]
async fn every_filter_narrows_as_documented() {
    let mut na = meeting("na-closed", HOME);
    na.fellowship = Fellowship::parse("na").unwrap();
    na.access = Access::Closed;
    let mut welsh = with_types(
        meeting("welsh-speaker", HOME),
        &["format:speaker", "language:cy", "accessibility:wheelchair"],
    );
    welsh.name = "Cyfarfod Caerffili".into();
    let early = with_schedule(meeting("tue-early", HOME), Day::Tue, "07:30", 60, "Europe/London");
    let late = with_schedule(meeting("sat-late", HOME), Day::Sat, "23:00", 60, "Europe/London");
    let mut accented = meeting("accented", HOME);
    accented.location.as_mut().unwrap().venue =
        Some("Neuadd Ysgol Gymraeg Bro Morgannwg — Eglwys Sant Ffraid".into());
    accented.name = "Grŵp Llanfair".into();
    let server = TestApp::start(vec![meeting("plain", HOME), na, welsh, early, late, accented]).await;

    let q = |extra: &str| home_query(extra);
    assert_eq!(server.ids(&q("fellowship=na")).await, ["na-closed"]);
    assert_eq!(sorted(server.ids(&q("fellowship=na,aa")).await).len(), 6);
    assert_eq!(
        server.ids(&q("fellowship=na&fellowship=ca")).await,
        ["na-closed"],
        "repeats are a list"
    );
    assert_eq!(server.ids(&q("access=closed")).await, ["na-closed"]);
    assert_eq!(server.ids(&q("access=open")).await.len(), 5);
    assert_eq!(server.ids(&q("type=format:speaker")).await, ["welsh-speaker"]);
    assert_eq!(
        server.ids(&q("type=speaker,accessibility:wheelchair")).await,
        ["welsh-speaker"],
        "bare codes resolve"
    );
    assert_eq!(
        server.ids(&q("type=format:speaker,community:women")).await,
        Vec::<String>::new(),
        "all must match"
    );
    assert_eq!(server.ids(&q("language=cy")).await, ["welsh-speaker"]);
    assert_eq!(
        server.ids(&q("language=cy,en")).await.len(),
        6,
        "any language may match"
    );
    assert_eq!(server.ids(&q("day=tue")).await, ["tue-early"]);
    assert_eq!(
        sorted(server.ids(&q("day=tue,saturday")).await),
        ["sat-late", "tue-early"]
    );
    assert_eq!(server.ids(&q("start_before=08:00")).await, ["tue-early"]);
    assert_eq!(server.ids(&q("start_after=22:00")).await, ["sat-late"]);
    assert_eq!(
        server.ids(&q("start_after=19:00&start_before=19:00")).await.len(),
        4,
        "inclusive"
    );
    assert_eq!(
        sorted(server.ids(&q("start_after=22:00&start_before=08:00")).await),
        ["sat-late", "tue-early"],
        "wraps midnight"
    );
    assert_eq!(server.ids(&q("q=caerffili")).await, ["welsh-speaker"]);
    assert_eq!(
        server.ids(&q("q=GRWP%20llanfair")).await,
        ["accented"],
        "case and accents ignored, all words"
    );
    assert_eq!(
        server.ids(&q("q=eglwys%20ffraid")).await,
        ["accented"],
        "venue text"
    );
    assert_eq!(server.ids(&q("q=llanfair%20nowhere")).await, Vec::<String>::new());
    // sort=time orders by day then local time, Sunday first.
    assert_eq!(
        server
            .ids(&q("sort=time&fellowship=aa&language=en&day=mon,tue,sat"))
            .await,
        ["accented", "plain", "tue-early", "sat-late"]
    );
}

#[tokio::test]
async fn online_and_hybrid_rules() {
    let mut hybrid_near = meeting("hybrid-near", north_of(HOME, 2.0));
    hybrid_near.attendance = Attendance::Hybrid;
    hybrid_near.online = Some(Default::default());
    let mut hybrid_far = meeting("hybrid-far", north_of(HOME, 100.0));
    hybrid_far.attendance = Attendance::Hybrid;
    let server = TestApp::start(vec![
        meeting("room", north_of(HOME, 1.0)),
        meeting("room-far", north_of(HOME, 100.0)),
        hybrid_near,
        hybrid_far,
        online("zoom"),
    ])
    .await;
    // Default: in person, and hybrid counts as in person; online-only never "near".
    assert_eq!(server.ids(&home_query("")).await, ["room", "hybrid-near"]);
    assert_eq!(
        sorted(server.ids("").await),
        ["hybrid-far", "hybrid-near", "room", "room-far"]
    );
    // Online: joinable from anywhere, so no radius; online-only has no distance and sorts last.
    let (_, body) = server
        .get(&format!("/v1/meetings?{}", home_query("attendance=online")))
        .await;
    let got: Vec<(&str, Value)> = body["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["distance_km"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("hybrid-near", Value::from(2.0)),
            ("hybrid-far", Value::from(100.0)),
            ("zoom", Value::Null)
        ]
    );
    assert_eq!(
        server.ids(&home_query("attendance=hybrid")).await,
        ["hybrid-near"]
    );
    assert_eq!(
        server.ids(&home_query("attendance=in_person")).await,
        ["room", "hybrid-near"]
    );
    assert_eq!(
        server.ids(&home_query("attendance=in_person,online")).await,
        ["room", "hybrid-near", "hybrid-far", "zoom"]
    );
    assert_eq!(
        sorted(server.ids("attendance=online").await),
        ["hybrid-far", "hybrid-near", "zoom"]
    );
    let (_, zoom) = server.get("/v1/meetings/zoom").await;
    assert!(zoom["location"].is_null());
    assert_eq!(zoom["online"]["url"], "https://example.invalid/room");
}

#[tokio::test]
async fn pages_cover_everything_once_and_stale_cursors_are_refused() {
    let meetings: Vec<_> = (0..137)
        // Ten meetings to a venue: paging must also be exact across ties in distance.
        .map(|i| meeting(&format!("m{i:03}"), north_of(HOME, (i / 10) as f64 * 0.05)))
        .collect();
    let server = TestApp::start(meetings.clone()).await;
    for query in [
        home_query("limit=50"),
        home_query("limit=7"),
        "limit=50&sort=time".to_string(),
        home_query("limit=7&sort=time"),
    ] {
        let mut seen = Vec::new();
        let mut next: Option<String> = None;
        let mut pages = 0;
        loop {
            let url = match &next {
                Some(c) => format!("/v1/meetings?{query}&cursor={c}"),
                None => format!("/v1/meetings?{query}"),
            };
            let (status, body) = server.get(&url).await;
            assert_eq!(status, 200, "{body}");
            seen.extend(
                body["meetings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["id"].as_str().unwrap().to_string()),
            );
            pages += 1;
            match body["next"].as_str() {
                Some(c) => next = Some(c.to_string()),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().cloned().collect();
        assert_eq!(seen.len(), 137, "{query}: no duplicates or gaps");
        assert_eq!(unique.len(), 137, "{query}");
        assert!(pages >= 3);
    }
    // Distance order is nearest first across pages.
    let (_, first) = server
        .get(&format!("/v1/meetings?{}", home_query("limit=3")))
        .await;
    assert_eq!(first["meetings"][0]["id"], "m000");
    let cursor = first["next"].as_str().unwrap().to_string();
    // The cursor belongs to that search only.
    let (status, body) = server
        .get(&format!(
            "/v1/meetings?{}&cursor={cursor}",
            home_query("limit=3&fellowship=na")
        ))
        .await;
    assert_eq!(
        (status, body["invalid_params"][0]["name"].as_str()),
        (400, Some("cursor"))
    );
    // The page size may change between pages.
    let (status, _) = server
        .get(&format!(
            "/v1/meetings?{}&cursor={cursor}",
            home_query("limit=10")
        ))
        .await;
    assert_eq!(status, 200);
    // After an import swaps the snapshot, old cursors are refused with 410.
    server
        .directory
        .put_meetings(&[meeting("new", HOME)])
        .await
        .unwrap();
    let (status, body) = server
        .get(&format!("/v1/meetings?{}&cursor={cursor}", home_query("limit=3")))
        .await;
    assert_eq!(status, 410);
    assert_eq!(body["type"], "/problems/stale-cursor");
}

#[tokio::test]
async fn bad_parameters_are_400_problems_naming_each_one() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let cases: &[(&str, &str, &str)] = &[
        ("/v1/meetings?lat=91&lon=0", "lat", "between -90 and 90"),
        ("/v1/meetings?lat=0&lon=-181", "lon", "between -180 and 180"),
        ("/v1/meetings?lat=abc&lon=0", "lat", "must be a number"),
        ("/v1/meetings?lat=NaN&lon=0", "lat", "must be a number"),
        ("/v1/meetings?lat=inf&lon=0", "lat", "must be a number"),
        ("/v1/meetings?lat=52", "lon", "required with lat"),
        ("/v1/meetings?lon=-3", "lat", "required with lon"),
        (
            "/v1/meetings?lat=52&lon=-3&radius_km=251",
            "radius_km",
            "radius_km must be between 0 and 250",
        ),
        (
            "/v1/meetings?lat=52&lon=-3&radius_km=0",
            "radius_km",
            "between 0 and 250",
        ),
        (
            "/v1/meetings?lat=52&lon=-3&radius_km=-5",
            "radius_km",
            "between 0 and 250",
        ),
        (
            "/v1/meetings?lat=52&lon=-3&radius_mi=200",
            "radius_mi",
            "between 0 and 155",
        ),
        (
            "/v1/meetings?lat=52&lon=-3&radius_mi=2&radius_km=2",
            "radius_mi",
            "cannot be combined",
        ),
        ("/v1/meetings?radius_km=5", "radius_km", "needs a point"),
        (
            "/v1/meetings?fellowship=aa,gamblers",
            "fellowship",
            "unknown value `gamblers`",
        ),
        (
            "/v1/meetings?type=format:yoga",
            "type",
            "unknown value `format:yoga`",
        ),
        ("/v1/meetings?access=members", "access", "`open` or `closed`"),
        (
            "/v1/meetings?attendance=phone",
            "attendance",
            "unknown value `phone`",
        ),
        ("/v1/meetings?day=someday", "day", "unknown value `someday`"),
        ("/v1/meetings?start_after=7pm", "start_after", "HH:MM"),
        ("/v1/meetings?start_before=24:00", "start_before", "HH:MM"),
        (
            "/v1/meetings?language=klingon",
            "language",
            "unknown value `klingon`",
        ),
        ("/v1/meetings?sort=distance", "sort", "needs a point"),
        ("/v1/meetings?sort=name", "sort", "`distance` or `time`"),
        ("/v1/meetings?limit=0", "limit", "1 to 500"),
        ("/v1/meetings?limit=501", "limit", "1 to 500"),
        ("/v1/meetings?limit=ten", "limit", "1 to 500"),
        ("/v1/meetings?cursor=garbage", "cursor", "not a cursor"),
        ("/v1/meetings?radius=5", "radius", "not a parameter"),
        (
            "/v1/meetings?from=2027-01-01T00:00:00Z",
            "from",
            "not a parameter",
        ),
        ("/v1/occurrences?from=tomorrow", "from", "RFC 3339"),
        (
            "/v1/occurrences?from=3000-01-01T00:00:00Z",
            "from",
            "between the years",
        ),
        ("/v1/occurrences?days=0", "days", "1 to 31"),
        ("/v1/occurrences?days=32", "days", "1 to 31"),
        ("/v1/occurrences?fellowship=xx", "fellowship", "unknown value"),
    ];
    for (url, param, reason) in cases {
        let (status, body) = server.get(url).await;
        assert_eq!(status, 400, "{url}: {body}");
        assert_eq!(body["type"], "/problems/invalid-parameters", "{url}");
        let params = body["invalid_params"].as_array().unwrap();
        assert!(
            params.iter().any(|p| p["name"] == *param
                && format!(
                    "{} {}",
                    p["name"].as_str().unwrap(),
                    p["reason"].as_str().unwrap()
                )
                .contains(reason)),
            "{url}: {body}"
        );
    }
    let long_q = "x".repeat(201);
    let (status, _) = server.get(&format!("/v1/meetings?q={long_q}")).await;
    assert_eq!(status, 400);
    // Every bad parameter at once.
    let (status, body) = server
        .get("/v1/meetings?lat=100&lon=0&fellowship=zz&limit=0&bogus=1")
        .await;
    assert_eq!(status, 400);
    let names: Vec<&str> = body["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        sorted(names.iter().map(|s| s.to_string()).collect()),
        ["bogus", "fellowship", "lat", "limit"]
    );
    // Empty values mean "not given".
    assert_eq!(server.ids("fellowship=&lat=").await, ["a"]);
    // Unknown ids and routes are 404 problems.
    let (status, body) = server.get("/v1/meetings/nope").await;
    assert_eq!(
        (status, body["type"].as_str()),
        (404, Some("/problems/not-found"))
    );
    let (status, _) = server.get("/v2/everything").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn occurrences_across_dst_and_zones() {
    let night = with_schedule(meeting("night", HOME), Day::Sun, "01:30", 60, "Europe/London");
    let evening = with_schedule(
        meeting("evening", north_of(HOME, 1.0)),
        Day::Sun,
        "19:30",
        90,
        "Europe/London",
    );
    let mut new_york = with_schedule(online("new-york"), Day::Sat, "20:00", 60, "America/New_York");
    new_york.name = "New York online".into();
    let mut closed = with_schedule(
        meeting("closed-for-now", HOME),
        Day::Sun,
        "12:00",
        60,
        "Europe/London",
    );
    closed.status = Status::TemporarilyClosed;
    let server = TestApp::start(vec![night, evening, new_york, closed]).await;

    // Spring forward, Europe/London, 2027-03-28: 01:30 does not exist and becomes 02:30 BST.
    let (status, body) = server
        .get("/v1/occurrences?from=2027-03-27T12:00:00Z&days=2&attendance=in_person,online")
        .await;
    assert_eq!(status, 200, "{body}");
    let got: Vec<(&str, &str, &str)> = body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["meeting_id"].as_str().unwrap(),
                o["start"].as_str().unwrap(),
                o["end"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // Saturday 20:00 in New York is 00:00 UTC on Sunday (still GMT in London).
            (
                "new-york",
                "2027-03-27T20:00:00-04:00",
                "2027-03-27T21:00:00-04:00"
            ),
            ("night", "2027-03-28T02:30:00+01:00", "2027-03-28T03:30:00+01:00"),
            (
                "evening",
                "2027-03-28T19:30:00+01:00",
                "2027-03-28T21:00:00+01:00"
            ),
        ]
    );
    // Fall back, 2027-10-31: 01:30 happens twice; the first is meant and the hour is real.
    let (_, body) = server
        .get("/v1/occurrences?from=2027-10-30T12:00:00Z&days=2")
        .await;
    assert_eq!(body["occurrences"][0]["start"], "2027-10-31T01:30:00+01:00");
    assert_eq!(body["occurrences"][0]["end"], "2027-10-31T01:30:00+00:00");
    assert_eq!(body["occurrences"][1]["start"], "2027-10-31T19:30:00+00:00");

    // A session under way at `from` is included and marked.
    let (_, body) = server
        .get("/v1/occurrences?from=2027-01-10T20:00:00Z&days=1")
        .await;
    assert_eq!(body["occurrences"][0]["meeting_id"], "evening");
    assert_eq!(body["occurrences"][0]["in_progress"], true);
    // Sorting by distance with a point, and the point's filters apply.
    let (_, body) = server
        .get(&format!(
            "/v1/occurrences?{}&from=2027-01-09T00:00:00Z&days=14&sort=distance",
            home_query("")
        ))
        .await;
    let ids: Vec<&str> = body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["meeting_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["night", "night", "evening", "evening"]);
    assert_eq!(body["occurrences"][0]["distance_km"], 0.0);
    // Temporarily closed meetings have no sessions but are still listed.
    assert!(!ids.contains(&"closed-for-now"));
    assert!(server.ids("").await.contains(&"closed-for-now".to_string()));
    // A 31-day window holds every weekly session.
    let (_, body) = server
        .get("/v1/occurrences?from=2027-01-01T00:00:00Z&days=31&fellowship=aa&limit=500")
        .await;
    assert_eq!(
        body["occurrences"].as_array().unwrap().len(),
        10,
        "5 Sundays in January 2027, two meetings"
    );
}

#[tokio::test]
async fn occurrence_pages_keep_their_window() {
    let meetings: Vec<_> = (0..30)
        .map(|i| {
            with_schedule(
                meeting(&format!("m{i:02}"), HOME),
                Day::from_index(i % 7).unwrap(),
                "12:00",
                60,
                "Europe/London",
            )
        })
        .collect();
    let server = TestApp::start(meetings).await;
    // An explicit week (from a Monday midnight, clear of every session): "from now" would catch a
    // session under way as well as its next week's, whenever the test ran between 12:00 and 13:00.
    let window = "from=2027-01-04T00:00:00Z";
    let (_, first) = server.get(&format!("/v1/occurrences?{window}&limit=20")).await;
    let mut all: Vec<Value> = first["occurrences"].as_array().unwrap().clone();
    let cursor = first["next"].as_str().unwrap();
    let (_, second) = server
        .get(&format!("/v1/occurrences?{window}&limit=20&cursor={cursor}"))
        .await;
    all.extend(second["occurrences"].as_array().unwrap().iter().cloned());
    assert!(second["next"].is_null());
    assert_eq!(all.len(), 30, "one session each in seven days");
    let starts: Vec<&str> = all.iter().map(|o| o["start"].as_str().unwrap()).collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "sorted by start: {starts:?}"
    );
}

/// `/v1/occurrences` is sorted by start, as documented, even around a point; `sort=distance`
/// puts the nearest first. `/v1/meetings` puts the nearest first by default.
#[tokio::test]
async fn occurrences_are_sorted_by_start_by_default_even_around_a_point() {
    let near_late = with_schedule(meeting("near-late", HOME), Day::Tue, "19:00", 60, "Europe/London");
    let far_early = with_schedule(
        meeting("far-early", north_of(HOME, 5.0)),
        Day::Mon,
        "10:00",
        60,
        "Europe/London",
    );
    let server = TestApp::start(vec![near_late, far_early]).await;
    let sessions = |query: String| {
        let server = &server;
        async move {
            let (status, body) = server.get(&format!("/v1/occurrences?{query}")).await;
            assert_eq!(status, 200, "{body}");
            body["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["meeting_id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let week = "from=2027-01-04T00:00:00Z&days=7";
    assert_eq!(sessions(home_query(week)).await, ["far-early", "near-late"]);
    assert_eq!(
        sessions(home_query(&format!("{week}&sort=time"))).await,
        ["far-early", "near-late"]
    );
    assert_eq!(
        sessions(home_query(&format!("{week}&sort=distance"))).await,
        ["near-late", "far-early"]
    );
    assert_eq!(server.ids(&home_query("")).await, ["near-late", "far-early"]);
}

#[tokio::test]
async fn vocabularies_health_caching_and_cors() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let (_, body) = server.get("/v1/fellowships").await;
    let ids: Vec<&str> = body["fellowships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "aa",
            "na",
            "ca",
            "smart",
            "al-anon",
            "alateen",
            "families-anonymous",
            "daa",
            "smart-family-friends"
        ]
    );
    assert_eq!(body["fellowships"][0]["name"], "Alcoholics Anonymous");
    let (_, body) = server.get("/v1/types").await;
    let types = body["types"].as_array().unwrap();
    assert!(types
        .iter()
        .any(|t| t["id"] == "language:cy" && t["facet"] == "language" && t["label"] == "Welsh (Cymraeg)"));
    for facet in ["format", "community", "accessibility", "language"] {
        assert!(types.iter().any(|t| t["facet"] == facet));
    }
    assert_eq!(
        server.get("/health").await,
        (
            200,
            serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
        )
    );
    let (status, body) = server.get("/ready").await;
    assert_eq!((status, body["meetings"].as_u64()), (200, Some(1)));

    let url = format!("{}/v1/meetings?fellowship=aa", server.base);
    let response = server
        .client
        .get(&url)
        .header("Origin", "https://agency.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    assert!(response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let again = server
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let other = server
        .client
        .get(format!("{url},na"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "ETags are per search");
    server
        .directory
        .put_meetings(&[meeting("b", HOME)])
        .await
        .unwrap();
    let changed = server
        .client
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "ETags change with the snapshot");

    // The docs page works offline: its assets are served by the binary.
    let page = server
        .client
        .get(format!("{}/docs/", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("swagger-ui-bundle.js") && !page.contains("//cdn") && !page.contains("unpkg"));
    let init = server
        .client
        .get(format!("{}/docs/swagger-initializer.js", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        init.contains("/openapi.json") && init.contains("\"validatorUrl\": \"none\""),
        "{init}"
    );
    let (status, spec) = server.get("/openapi.json").await;
    assert_eq!((status, spec["openapi"].as_str()), (200, Some("3.1.0")));
}

#[tokio::test]
async fn unscheduled_and_unplaced_meetings_are_listed_but_never_near_or_dated() {
    let mut chat = online("chat-room");
    chat.schedule = None;
    let mut unplaced = meeting("no-coordinates", HOME);
    let location = unplaced.location.as_mut().unwrap();
    (location.lat, location.lon) = (None, None);
    let server = TestApp::start(vec![meeting("placed", HOME), chat, unplaced]).await;
    assert_eq!(server.ids(&home_query("radius_km=250")).await, ["placed"]);
    assert_eq!(server.ids("sort=time").await, ["no-coordinates", "placed"]);
    assert_eq!(server.ids("attendance=online").await, ["chat-room"]);
    assert_eq!(
        server.ids("attendance=online&day=mon").await,
        Vec::<String>::new()
    );
    assert_eq!(
        server.ids("attendance=online&start_after=00:00").await,
        Vec::<String>::new()
    );
    let (_, chat) = server.get("/v1/meetings/chat-room").await;
    assert!(chat["schedule"].is_null());
    let (_, body) = server
        .get("/v1/occurrences?attendance=in_person,online&from=2027-01-01T00:00:00Z")
        .await;
    let ids: Vec<&str> = body["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["meeting_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["no-coordinates", "placed"]);
}

#[tokio::test]
async fn head_answers_as_get_without_a_body() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    for path in [
        "/v1/meetings?fellowship=aa",
        "/v1/meetings/a",
        "/v1/meetings/a.ics",
        "/v1/meetings/missing",
        "/v1/meetings?fellowship=nope",
        "/embed.js",
    ] {
        let url = format!("{}{path}", server.base);
        let get = server.client.get(&url).send().await.unwrap();
        let head = server.client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "{path}");
        for name in ["etag", "content-type", "cache-control"] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "{path}: {name}"
            );
        }
        assert!(!get.bytes().await.unwrap().is_empty(), "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
}
