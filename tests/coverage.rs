//! `/v1/coverage` and `/v1/coverage/gaps` against hand-made meetings at real postcode sectors.

mod common;

use common::{meeting, online, TestServer};
use serde_json::Value;

/// Wrexham LL11 1 sector centroid region; a meeting here covers the town's sectors at 5 km.
const WREXHAM: (f64, f64) = (53.0462, -2.9930);

fn area<'a>(body: &'a Value, code: &str, fellowship: &str) -> &'a Value {
    body["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == code && a["fellowship"] == fellowship)
        .unwrap_or_else(|| panic!("no {code} {fellowship} in {body}"))
}

#[tokio::test]
async fn a_meeting_covers_nearby_sectors_and_weights_add_up() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM), online("o1")]).await;
    let (status, body) = server
        .get("/v1/coverage?fellowship=aa&max_km=5&area=W06000006")
        .await;
    assert_eq!(status, 200, "{body}");
    let row = area(&body, "W06000006", "aa");
    let total = row["weight_total"].as_f64().unwrap();
    let within = row["weight_within_reach"].as_f64().unwrap();
    assert!(within > 0.0 && within < total, "{row}");
    assert!((row["share_within_reach"].as_f64().unwrap() - within / total).abs() < 1e-9);
    assert_eq!(row["meetings"], 1);
    // Gaps listed per area are beyond the threshold.
    for p in row["worst_served"].as_array().unwrap() {
        assert!(p["nearest_km"].as_f64().unwrap() > 5.0, "{p}");
    }

    // Weights add up: the nation's total is the sum of its districts'.
    let (_, by_lad) = server.get("/v1/coverage?fellowship=aa&max_km=5").await;
    let (_, by_nation) = server
        .get("/v1/coverage?fellowship=aa&max_km=5&level=nation")
        .await;
    let wales: f64 = by_lad["areas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["code"].as_str().unwrap().starts_with('W'))
        .map(|a| a["weight_within_reach"].as_f64().unwrap())
        .sum();
    let nation = area(&by_nation, "Wales", "aa");
    assert!((nation["weight_within_reach"].as_f64().unwrap() - wales).abs() < 1e-6);
}

#[tokio::test]
async fn gaps_are_beyond_the_threshold_and_filters_change_them() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    // A sector near Wrexham is not a gap for AA; it is for NA (no NA meetings at all).
    let (status, body) = server
        .get("/v1/coverage/gaps?fellowship=aa&max_km=5&area=W06000006&limit=10000")
        .await;
    assert_eq!(status, 200, "{body}");
    let gaps = body["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty());
    assert!(gaps.iter().all(|g| g["nearest_km"].as_f64().unwrap() > 5.0));
    let weights: Vec<f64> = gaps.iter().map(|g| g["weight"].as_f64().unwrap()).collect();
    assert!(weights.windows(2).all(|w| w[0] >= w[1]), "heaviest first");
    let aa_count = gaps.len();

    let (_, na) = server
        .get("/v1/coverage/gaps?fellowship=na&max_km=5&area=W06000006&limit=10000")
        .await;
    assert!(na["gaps"].as_array().unwrap().len() > aa_count);
    // Closed meetings only: the open Wrexham meeting no longer counts.
    let (_, closed) = server
        .get("/v1/coverage/gaps?fellowship=aa&access=closed&max_km=5&area=W06000006&limit=10000")
        .await;
    assert!(closed["gaps"].as_array().unwrap().len() > aa_count);
    // A longer threshold in minutes leaves fewer gaps.
    let (status, drive) = server
        .get("/v1/coverage/gaps?fellowship=aa&max_minutes=30&mode=drive&area=W06000006&limit=10000")
        .await;
    assert_eq!(status, 200, "{drive}");
    assert!(drive["gaps"].as_array().unwrap().len() < aa_count);
}

#[tokio::test]
async fn gaps_as_geojson_and_csv() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    let response = server
        .client
        .get(format!(
            "{}/v1/coverage/gaps?fellowship=aa&max_km=5&area=W06000006",
            server.base
        ))
        .header("accept", "application/geo+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/geo+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "FeatureCollection");
    for f in body["features"].as_array().unwrap() {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "Point");
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        // RFC 7946: longitude first. Wales is west of Greenwich, north of 51°.
        assert!(
            c[0].as_f64().unwrap() < 0.0 && c[1].as_f64().unwrap() > 51.0,
            "{f}"
        );
        assert!(f["properties"]["weight"].is_number());
    }

    let text = server
        .client
        .get(format!(
            "{}/v1/coverage/gaps?fellowship=aa&max_km=5&area=W06000006&format=csv",
            server.base
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("label,lat,lon,weight,fellowship"));
    assert!(lines.next().is_some());
}

#[tokio::test]
async fn bad_parameters_are_named() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    for (query, param) in [
        ("fellowship=gamblers&max_km=5", "fellowship"),
        ("fellowship=aa", "max_km"),
        ("fellowship=aa&max_km=5&max_minutes=10&mode=walk", "max_minutes"),
        ("fellowship=aa&max_minutes=10", "mode"),
        ("fellowship=aa&max_km=-1", "max_km"),
        ("fellowship=aa&max_km=5&area=X99999999", "area"),
        ("fellowship=aa&max_km=5&level=ward", "level"),
        ("fellowship=aa&max_km=5&points=households", "points"),
        ("fellowship=aa&max_km=5&radius_km=3", "radius_km"),
    ] {
        let (status, body) = server.get(&format!("/v1/coverage/gaps?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        let names: Vec<&str> = body["invalid_params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&param), "{query}: {body}");
    }
}

/// How many gaps a query leaves in Wrexham (all of them listed).
async fn gap_count(server: &TestServer, extra: &str) -> usize {
    let (status, body) = server
        .get(&format!(
            "/v1/coverage/gaps?fellowship=aa&max_km=5&area=W06000006&limit=10000{extra}"
        ))
        .await;
    assert_eq!(status, 200, "{extra}: {body}");
    body["gaps"].as_array().unwrap().len()
}

#[tokio::test]
async fn filters_as_in_search_change_coverage() {
    // One open in-person AA meeting, Mondays 19:00, in English.
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    let covered = gap_count(&server, "").await;
    let (_, na) = server
        .get("/v1/coverage/gaps?fellowship=na&max_km=5&area=W06000006&limit=10000")
        .await;
    let uncovered = na["gaps"].as_array().unwrap().len();
    assert!(covered < uncovered);
    for (extra, still_covered) in [
        ("&day=mon", true),
        ("&day=sun,sat", false),
        ("&start_after=18:30", true),
        ("&start_after=19:30", false),
        ("&start_before=19:00", true),
        ("&start_before=18:00", false),
        ("&start_after=22:00&start_before=19:00", true),
        ("&type=language:en", true),
        ("&type=format:speaker", false),
        ("&attendance=in_person", true),
        ("&attendance=hybrid", false),
    ] {
        let count = gap_count(&server, extra).await;
        let expected = if still_covered { covered } else { uncovered };
        assert_eq!(count, expected, "{extra}");
    }
    // Hybrid meetings count as places to go; online-only ones do not.
    let mut hybrid = meeting("h1", WREXHAM);
    hybrid.attendance = meetingmap::domain::Attendance::Hybrid;
    let server = TestServer::start(vec![hybrid, online("o1")]).await;
    assert_eq!(gap_count(&server, "&attendance=hybrid").await, covered);
    assert_eq!(gap_count(&server, "&attendance=online").await, covered);

    for (query, param) in [
        ("day=funday", "day"),
        ("start_after=25:00", "start_after"),
        ("type=nonsense", "type"),
        ("attendance=telepathy", "attendance"),
    ] {
        let (status, body) = server
            .get(&format!("/v1/coverage?fellowship=aa&max_km=5&{query}"))
            .await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["invalid_params"][0]["name"], param, "{body}");
    }
}

#[tokio::test]
async fn places_as_demand_points() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    let (status, body) = server
        .get("/v1/coverage?fellowship=aa&max_km=5&area=W06000006&points=places")
        .await;
    assert_eq!(status, 200, "{body}");
    // The weight is the population of the district's places in the bundled file.
    let places = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/gb-places.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(places.as_bytes());
    let wrexham: Vec<(String, f64)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[7] == "W06000006")
        .map(|r| (r[1].to_string(), r[4].parse().unwrap()))
        .collect();
    let population: f64 = wrexham.iter().map(|(_, p)| p).sum();
    let row = area(&body, "W06000006", "aa");
    assert_eq!(row["weight_total"].as_f64().unwrap(), population);
    assert!(row["weight_within_reach"].as_f64().unwrap() > 0.0);

    let (_, gaps) = server
        .get("/v1/coverage/gaps?fellowship=aa&max_km=5&area=W06000006&points=places&limit=10000")
        .await;
    let gaps = gaps["gaps"].as_array().unwrap();
    assert!(!gaps.is_empty());
    for g in gaps {
        assert!(wrexham.iter().any(|(name, _)| g["label"] == name.as_str()), "{g}");
    }
}

async fn post(
    server: &TestServer,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    if status >= 400 {
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn posted_points_are_analysed_and_checked() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    // Near the meeting, 20 km north of it, and one with its own area.
    let csv = "label,lat,lon,weight\nNear,53.05,-2.99,10\nFar,53.2261,-2.993,5\n";
    let (status, body) = post(
        &server,
        "/v1/coverage/gaps?fellowship=aa&max_km=5",
        "text/csv",
        csv,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let labels: Vec<&str> = body["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Far"]);

    // Points without an area take the nearest postcode sector's.
    let (status, body) = post(
        &server,
        "/v1/coverage?fellowship=aa&max_km=5&area=W06000006",
        "text/csv; charset=utf-8",
        "label,lat,lon,weight\nNear,53.05,-2.99,10\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let row = area(&body, "W06000006", "aa");
    assert_eq!(
        (row["weight_total"].as_f64(), row["weight_within_reach"].as_f64()),
        (Some(10.0), Some(10.0))
    );

    let (status, body) = post(
        &server,
        "/v1/coverage?fellowship=aa&max_km=5",
        "text/csv",
        "label,lat,lon,weight\nA,53,-3,1\nB,53,-3,lots\n",
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["invalid_params"][0]["name"], "body");
    assert!(body["detail"].as_str().unwrap().contains("line 3"), "{body}");

    let (status, body) = post(
        &server,
        "/v1/coverage?fellowship=aa&max_km=5&points=places",
        "text/csv",
        csv,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["invalid_params"][0]["name"], "points");

    let (status, body) = post(
        &server,
        "/v1/coverage?fellowship=aa&max_km=5",
        "application/json",
        "{}",
    )
    .await;
    assert_eq!(status, 415, "{body}");

    let huge = format!("label,lat,lon,weight\n{}", "x,53.0,-3.0,1\n".repeat(200_000));
    let (status, body) = post(&server, "/v1/coverage?fellowship=aa&max_km=5", "text/csv", huge).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["type"], "/problems/too-large");
}

#[tokio::test]
async fn formats_the_endpoints_cannot_serve_are_406() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    let query = "fellowship=aa&max_km=5&area=W06000006";
    let fetch = |path: String, accept: &'static str| {
        let request = server
            .client
            .get(format!("{}{path}", server.base))
            .header("accept", accept);
        async move { request.send().await.unwrap() }
    };
    for (path, accept) in [
        (format!("/v1/coverage/gaps?{query}&format=xml"), "*/*"),
        (format!("/v1/coverage?{query}&format=csv"), "*/*"),
        (format!("/v1/coverage/gaps?{query}"), "text/html"),
        (format!("/v1/coverage?{query}"), "text/calendar"),
    ] {
        let response = fetch(path.clone(), accept).await;
        assert_eq!(response.status(), 406, "{path} {accept}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    let response = fetch(
        format!("/v1/coverage?{query}"),
        "text/html,application/xhtml+xml,*/*;q=0.8",
    )
    .await;
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let response = fetch(format!("/v1/coverage?{query}"), "*/*").await;
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn the_report_is_served_with_an_etag() {
    let server = TestServer::start(vec![meeting("w1", WREXHAM)]).await;
    let url = format!(
        "{}/v1/coverage?fellowship=aa&max_km=5&area=W06000006&format=html",
        server.base
    );
    let response = server.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert!(headers["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<svg class=\"map\"") && html.contains("<circle class=\"g\""));
    assert!(html.contains("<h3>Wrexham <span class=\"small\">W06000006</span></h3>"));
    // The same question again: the same answer (from the cache), and 304 with the ETag.
    assert_eq!(
        server
            .client
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        html
    );
    let again = server
        .client
        .get(&url)
        .header("if-none-match", headers["etag"].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // JSON and the report of one query are told apart.
    let json = server
        .client
        .get(url.replace("&format=html", ""))
        .send()
        .await
        .unwrap();
    assert_ne!(json.headers()["etag"], headers["etag"]);
}
