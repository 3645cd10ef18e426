//! `/v1/coverage` and `/v1/coverage/gaps` against hand-made meetings at real postcode sectors.

use crate::common::{meeting, online, TestApp};
use meetingmap::coverage::boundaries::Boundaries;
use meetingmap::coverage::{render as render_coverage, Level, Output as CoverageOutput, QuestionSpec};
use meetingmap::domain::Fellowship;
use meetingmap::search::Snapshot;
use serde_json::{json, Value};

/// Wrexham LL11 1 sector centroid region; a meeting here covers the town's sectors at 5 km.
const WREXHAM: (f64, f64) = (53.0462, -2.9930);
const LONDON: (f64, f64) = (51.5072, -0.1276);

/// An NA meeting in London: NA has a source, with nothing near Wrexham.
fn na_in_london() -> meetingmap::domain::Meeting {
    let mut m = meeting("na-london", LONDON);
    m.fellowship = Fellowship::parse("na").unwrap();
    m
}

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
    let server = TestApp::start(vec![meeting("w1", WREXHAM), online("o1")]).await;
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
    let server = TestApp::start(vec![meeting("w1", WREXHAM), na_in_london()]).await;
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
    // A longer threshold in minutes leaves fewer gaps (25 minutes by car: within the 15 km reach).
    let (status, drive) = server
        .get("/v1/coverage/gaps?fellowship=aa&max_minutes=25&mode=drive&area=W06000006&limit=10000")
        .await;
    assert_eq!(status, 200, "{drive}");
    assert!(drive["gaps"].as_array().unwrap().len() < aa_count);
}

#[tokio::test]
async fn gaps_as_geojson_and_csv() {
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
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
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
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
async fn gap_count(server: &TestApp, extra: &str) -> usize {
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
    // One open in-person AA meeting, Mondays 19:00, in English (and NA far away).
    let server = TestApp::start(vec![meeting("w1", WREXHAM), na_in_london()]).await;
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
    let server = TestApp::start(vec![hybrid, online("o1")]).await;
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
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
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
    server: &TestApp,
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
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
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
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
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
        (format!("/v1/coverage?{query}&format=ics"), "*/*"),
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
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
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

/// Wrexham, a square given clockwise with a hole given counterclockwise (both the wrong way round
/// for RFC 7946) and positions more precise than 10 cm; Flintshire, sharing Wrexham's northern
/// edge (both in the Betsi Cadwaladr health board); Cheshire West, to the east.
fn synthetic_boundaries_geojson() -> String {
    let feature = |code: &str, name: &str, rings: Value| {
        json!({"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": rings}})
    };
    let collection = json!({"type": "FeatureCollection", "features": [
        feature("W06000006", "Wrexham", json!([
            [[-3.2, 52.9], [-3.2000000004, 53.2], [-2.9, 53.2], [-2.9, 52.9], [-3.2, 52.9]],
            [[-3.1, 53.0], [-3.0, 53.0], [-3.0, 53.1], [-3.1, 53.1], [-3.1, 53.0]]])),
        feature("W06000005", "Flintshire", json!([
            [[-3.2, 53.2], [-2.9, 53.2], [-2.9, 53.4], [-3.2, 53.4], [-3.2, 53.2]]])),
        feature("E06000050", "Cheshire West and Chester", json!([
            [[-2.9, 52.9], [-2.6, 52.9], [-2.6, 53.2], [-2.9, 53.2], [-2.9, 52.9]]])),
    ]});
    collection.to_string()
}

/// Twice the signed area of a ring in the lon/lat plane: positive when counterclockwise.
fn signed_area(ring: &[Value]) -> f64 {
    let xy = |p: &Value| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
    ring.windows(2)
        .map(|w| {
            let ((x0, y0), (x1, y1)) = (xy(&w[0]), xy(&w[1]));
            x0 * y1 - x1 * y0
        })
        .sum()
}

/// Checks a MultiPolygon against RFC 7946: `[lon, lat]` positions rounded to at most 6 decimals,
/// closed rings of at least 4 positions, exteriors counterclockwise and holes clockwise. Returns
/// each polygon's rings' areas (exterior first, positive; holes negative).
fn rfc7946_multipolygon(geometry: &Value) -> Vec<Vec<f64>> {
    assert_eq!(geometry["type"], "MultiPolygon", "{geometry}");
    let mut areas = Vec::new();
    for polygon in geometry["coordinates"].as_array().unwrap() {
        let mut rings = Vec::new();
        for (i, ring) in polygon.as_array().unwrap().iter().enumerate() {
            let ring = ring.as_array().unwrap();
            assert!(ring.len() >= 4 && ring.first() == ring.last(), "{ring:?}");
            for position in ring {
                let (lon, lat) = (position[0].as_f64().unwrap(), position[1].as_f64().unwrap());
                assert_eq!(position.as_array().unwrap().len(), 2);
                // Longitude first: GB is between 9° W and 2° E, 49° and 61° N.
                assert!(
                    (-9.0..2.0).contains(&lon) && (49.0..61.0).contains(&lat),
                    "{position}"
                );
                for v in [lon, lat] {
                    assert_eq!((v * 1e6).round() / 1e6, v, "{v} has more than 6 decimals");
                }
            }
            let area = signed_area(ring);
            assert!(
                if i == 0 { area > 0.0 } else { area < 0.0 },
                "ring {i} winds the wrong way"
            );
            rings.push(area / 2.0);
        }
        areas.push(rings);
    }
    areas
}

async fn fetch(server: &TestApp, path: &str, accept: &str) -> (reqwest::header::HeaderMap, String) {
    let response = server
        .client
        .get(format!("{}{path}", server.base))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    (response.headers().clone(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_summary_as_csv_has_a_row_per_area_and_fellowship() {
    let server = TestApp::start(vec![meeting("w1", WREXHAM), na_in_london()]).await;
    let query = "fellowship=aa,na&max_km=5&area=W06000006";
    let (_, json) = server.get(&format!("/v1/coverage?{query}")).await;
    let (headers, text) = fetch(&server, &format!("/v1/coverage?{query}"), "text/csv").await;
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8; header=present");
    assert!(headers.contains_key("etag"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "code",
            "name",
            "fellowship",
            "data_source",
            "weight_total",
            "weight_within_reach",
            "weight_beyond_reach",
            "share_within_reach",
            "rural_weight_total",
            "rural_weight_within_reach",
            "rural_share_within_reach",
            "urban_weight_total",
            "urban_weight_within_reach",
            "urban_share_within_reach",
            "remote_weight_total",
            "remote_weight_within_reach",
            "remote_share_within_reach",
            "share_evening_within_reach",
            "share_weekend_within_reach",
            "meetings",
            "meetings_per_100k",
            "worst_served"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for (row, fellowship) in rows.iter().zip(["aa", "na"]) {
        let expected = area(&json, "W06000006", fellowship);
        assert_eq!(
            (&row[0], &row[1], &row[2], &row[3]),
            ("W06000006", "Wrexham", fellowship, "listed")
        );
        for (i, field) in [
            (4, "weight_total"),
            (5, "weight_within_reach"),
            (6, "weight_beyond_reach"),
            (7, "share_within_reach"),
        ] {
            assert_eq!(
                row[i].parse::<f64>().unwrap(),
                expected[field].as_f64().unwrap(),
                "{field}"
            );
        }
        assert_eq!(
            row[8].parse::<f64>().unwrap(),
            expected["rural"]["weight_total"].as_f64().unwrap()
        );
        assert_eq!(row[19], expected["meetings"].to_string());
        // The worst-served points, readably: heaviest first, as in the JSON.
        let worst = expected["worst_served"].as_array().unwrap();
        let described: Vec<&str> = row[21].split("; ").collect();
        assert_eq!(described.len(), worst.len());
        let first = &worst[0];
        let nearest = match first["nearest_km"].as_f64() {
            Some(km) => format!("nearest meeting {km} km"),
            None => "none within 100 km".to_string(),
        };
        assert_eq!(
            described[0],
            format!(
                "{} (weight {}, {nearest})",
                first["label"].as_str().unwrap(),
                first["weight"].as_f64().unwrap()
            )
        );
    }
    // `format=` says the same as Accept.
    let (_, by_name) = fetch(&server, &format!("/v1/coverage?{query}&format=csv"), "*/*").await;
    assert_eq!(by_name, text);
}

#[tokio::test]
async fn the_summary_as_geojson_outlines_areas_by_rfc_7946() {
    let server = TestApp::builder()
        .meetings(vec![meeting("w1", WREXHAM), na_in_london()])
        .boundaries_geojson(&synthetic_boundaries_geojson())
        .start()
        .await;
    let (headers, text) = fetch(
        &server,
        "/v1/coverage?fellowship=aa,na&max_km=5&area=W06000006",
        "application/geo+json",
    )
    .await;
    assert_eq!(headers["content-type"], "application/geo+json");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["type"], "FeatureCollection");
    assert!(body.get("crs").is_none());
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 2, "one per area and fellowship");
    for (f, fellowship) in features.iter().zip(["aa", "na"]) {
        assert_eq!((&f["type"], &f["id"]), (&json!("Feature"), &json!("W06000006")));
        assert_eq!(f["properties"]["fellowship"], fellowship);
        assert_eq!(f["properties"]["name"], "Wrexham");
        assert!(f["properties"]["share_within_reach"].is_number());
        assert!(f["properties"]["worst_served"].is_string());
        // The square and its hole, turned to the right-hand rule.
        let areas = rfc7946_multipolygon(&f["geometry"]);
        assert_eq!(areas.len(), 1);
        assert_eq!(areas[0].len(), 2);
        assert!(
            (areas[0][0] - 0.09).abs() < 1e-9 && (areas[0][1] + 0.01).abs() < 1e-9,
            "{areas:?}"
        );
    }

    // The health board is the union of its districts: one polygon, the shared edge gone.
    let (_, text) = fetch(
        &server,
        "/v1/coverage?fellowship=aa&max_km=5&level=utla&area=W11000023&format=geojson",
        "*/*",
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    let feature = &body["features"][0];
    assert_eq!(feature["id"], "W11000023");
    let areas = rfc7946_multipolygon(&feature["geometry"]);
    assert_eq!(areas.len(), 1, "{feature}");
    assert!(
        (areas[0][0] - 0.15).abs() < 1e-9 && (areas[0][1] + 0.01).abs() < 1e-9,
        "{areas:?}"
    );
}

#[tokio::test]
async fn without_boundaries_or_with_posted_points_the_summary_is_still_there() {
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
    let (_, text) = fetch(
        &server,
        "/v1/coverage?fellowship=aa&max_km=5&area=W06000006&format=geojson",
        "*/*",
    )
    .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["features"][0]["id"], "W06000006");
    assert_eq!(body["features"][0]["geometry"], Value::Null);

    // POSTed points: the same formats, not kept.
    let server = TestApp::builder()
        .meetings(vec![meeting("w1", WREXHAM)])
        .boundaries_geojson(&synthetic_boundaries_geojson())
        .start()
        .await;
    for (format, check) in [
        ("csv", "W06000006,Wrexham,aa,listed,15.0,10.0,5.0,"),
        ("geojson", "\"type\":\"MultiPolygon\""),
    ] {
        let response = server
            .client
            .post(format!("{}/v1/coverage?fellowship=aa&max_km=5&format={format}", server.base))
            .header("content-type", "text/csv")
            .body("label,lat,lon,weight,lad_code,lad_name\nNear,53.05,-2.99,10,W06000006,Wrexham\nFar,52.95,-3.15,5,W06000006,Wrexham\n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let text = response.text().await.unwrap();
        assert!(text.contains(check), "{format}: {text}");
    }
}

#[tokio::test]
async fn analyses_beyond_the_cores_are_turned_away_with_503() {
    // No analysis may run: every question that is not answered already waits, then is refused.
    let server = TestApp::builder()
        .meetings(vec![meeting("w1", WREXHAM)])
        .settings(|s| {
            s.coverage.coverage_analyses = Some(0);
            s.coverage.coverage_wait_ms = 0;
        })
        .start()
        .await;
    let get = server.client.get(format!(
        "{}/v1/coverage?fellowship=aa&max_km=5&area=W06000006&format=csv",
        server.base
    ));
    let post = server
        .client
        .post(format!("{}/v1/coverage/gaps?fellowship=aa&max_km=5", server.base))
        .header("content-type", "text/csv")
        .body("lat,lon,weight\n53.05,-2.99,10\n");
    for request in [get, post] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "/problems/busy");
    }
    // Bad parameters are still a 400: checked before waiting.
    let (status, _) = server.get("/v1/coverage?fellowship=aa").await;
    assert_eq!(status, 400);
}

#[test]
fn the_lad_boundaries_make_rfc_7946_outlines_at_every_level() {
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/uk-lad-2024-bgc.geojson");
    if !file.exists() {
        println!("skipped: {} is not there", file.display());
        return;
    }
    let boundaries = Boundaries::load(&file).unwrap();
    let snapshot = Snapshot::build(vec![meeting("w1", WREXHAM)]);
    // Every GB area with small areas, outlined (Northern Ireland's districts have none).
    for (level, areas) in [(Level::Lad, 350), (Level::Utla, 192), (Level::Nation, 3)] {
        let query = QuestionSpec {
            level: Some(level),
            ..QuestionSpec::within_km(5.0).fellowships([Fellowship::parse("aa").unwrap()])
        }
        .check()
        .unwrap();
        let output = CoverageOutput::named("geojson", false).unwrap();
        let text = render_coverage(
            output,
            &snapshot,
            &query,
            Some(&boundaries),
            jiff::Timestamp::now(),
        );
        let body: Value = serde_json::from_str(&text).unwrap();
        let features = body["features"].as_array().unwrap();
        assert_eq!(features.len(), areas, "{level:?}");
        for f in features {
            assert!(
                !rfc7946_multipolygon(&f["geometry"]).is_empty(),
                "{level:?} {}",
                f["id"]
            );
        }
    }
}

#[tokio::test]
async fn fellowships_without_data_are_labelled_never_zero() {
    // AA only: SMART is asked about but no source lists it.
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
    let (status, body) = server
        .get("/v1/coverage?fellowship=aa,smart&max_km=5&area=W06000006")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["no_data_source"], json!(["smart"]));
    assert_eq!(body["fellowships"], json!(["aa"]));
    assert_eq!(body["weights"], "residents");
    assert!(
        body["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["fellowship"] == "aa"),
        "no SMART row that could read as 0%: {body}"
    );
    let (_, csv) = fetch(
        &server,
        "/v1/coverage?fellowship=aa,smart&max_km=5&area=W06000006&format=csv",
        "*/*",
    )
    .await;
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!(
        (&rows[1][2], &rows[1][3], &rows[1][7]),
        ("smart", "no data source", ""),
        "{csv}"
    );
    let (_, gaps) = server
        .get("/v1/coverage/gaps?fellowship=smart&max_km=5&area=W06000006")
        .await;
    assert_eq!(gaps["no_data_source"], json!(["smart"]));
    let (_, html) = fetch(
        &server,
        "/v1/coverage?fellowship=aa,smart&max_km=5&area=Wrexham&format=html",
        "*/*",
    )
    .await;
    assert!(
        html.contains("<strong>No data source:</strong> SMART Recovery."),
        "banner"
    );
    assert!(!html.contains("SMART Recovery</th><td>"), "no SMART figures");

    // Unnamed, the fellowships are those the directory lists: AA alone, no banner.
    let (_, body) = server.get("/v1/coverage?max_km=5&area=W06000006").await;
    assert_eq!(body["fellowships"], json!(["aa"]));
    assert_eq!(body["no_data_source"], json!([]));
}

#[tokio::test]
async fn areas_by_name_with_suggestions_and_user_facing_levels() {
    let server = TestApp::start(vec![meeting("w1", WREXHAM)]).await;
    let (status, by_name) = server.get("/v1/coverage?max_km=5&area=Wrexham").await;
    assert_eq!(status, 200, "{by_name}");
    let (_, by_code) = server.get("/v1/coverage?max_km=5&area=W06000006").await;
    assert_eq!(by_name["areas"], by_code["areas"]);
    // Norfolk is a county: its districts are listed.
    let (status, norfolk) = server.get("/v1/coverage?max_km=5&area=norfolk").await;
    assert_eq!(status, 200, "{norfolk}");
    let codes: Vec<&str> = norfolk["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 7, "{codes:?}");
    assert!(codes.contains(&"E07000148"), "Norwich: {codes:?}");
    let (status, body) = server.get("/v1/coverage?max_km=5&area=Powis").await;
    assert_eq!(status, 400);
    let reason = body["invalid_params"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("did you mean Powys (district, W06000023)"),
        "{reason}"
    );
    let (_, body) = server.get("/v1/coverage?max_km=5&area=Powys&level=nation").await;
    let reason = body["invalid_params"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("Great Britain nation") && !reason.contains("Nation"),
        "{reason}"
    );
}

#[tokio::test]
async fn an_empty_directory_is_not_reported_on() {
    let server = TestApp::start(vec![online("o1")]).await;
    let (status, body) = server.get("/v1/coverage?max_km=5&area=Powys").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["type"], "/problems/nothing-to-report");
    let (status, _) = server.get("/v1/coverage/gaps?max_km=5").await;
    assert_eq!(status, 409);

    // The command line: a mistyped database is an empty one, and an error.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("typo.db").display());
    let out = dir.path().join("report.html");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(["coverage", "--database", &url, "--max-km", "5", "--area", "Powys"])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("no in-person meetings"), "{said}");
    assert!(!out.exists());
}

#[test]
fn list_areas_names_every_area_and_suggests_near_misses() {
    let all = crate::common::meetingmap(&["list-areas"]);
    assert!(all.contains("W06000023\tdistrict\tPowys"), "{}", &all[..300]);
    assert!(all.contains("E10000020\tcounty or unitary\tNorfolk"));
    assert!(all.contains("Scotland\tnation\tScotland"));
    let lines = all.lines().count();
    assert_eq!(lines, 1 + 350 + known_utla() + 3);
    let some = crate::common::meetingmap(&["list-areas", "--name", "norf"]);
    assert!(
        some.contains("Norfolk") && some.contains("North Norfolk"),
        "{some}"
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(["list-areas", "--name", "Powis"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("did you mean Powys"));
}

/// Upper-tier areas with small areas.
fn known_utla() -> usize {
    meetingmap::coverage::known_areas()
        .iter()
        .filter(|a| a.at == Level::Utla)
        .count()
}

#[tokio::test]
async fn imports_store_a_summary_at_most_hourly_and_the_report_shows_the_change_since() {
    use meetingmap::import::fetch::Fetcher;
    use meetingmap::import::source::SourceDefinition;
    use meetingmap::import::{ImportOptions, Importer};
    let server = TestApp::start(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.json");
    let importer = |every: std::time::Duration| {
        Importer::new(
            server.directory.clone(),
            Fetcher::new(std::time::Duration::from_secs(5)),
            std::sync::Arc::new(meetingmap::gazetteer::Gazetteer::bundled()),
        )
        .with_trends_every(every)
    };
    // As the server takes them: at most one summary an hour.
    let hourly = importer(meetingmap::import::TRENDS_EVERY);
    let importers = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("importers");
    let source = SourceDefinition::parse(
        &format!(
            "id = \"wx\"\nname = \"Wrexham list\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\n\
             attribution = \"test\"\npath = \"{}\"\ntimezone = \"Europe/London\"\n",
            feed.display()
        ),
        &importers,
    )
    .unwrap();
    let entry = |slug: &str, (lat, lon): (f64, f64)| {
        json!({"name": format!("Meeting {slug}"), "slug": slug, "day": 1, "time": "19:00",
               "location": "Hall", "address": "1 High Street", "city": "Wrexham",
               "country": "GB", "latitude": lat, "longitude": lon, "types": ["O"]})
    };
    std::fs::write(&feed, json!([entry("one", WREXHAM)]).to_string()).unwrap();
    let run = hourly.import(&source, &ImportOptions::default()).await.unwrap();
    assert_eq!(
        run.outcome,
        meetingmap::domain::ImportOutcome::Succeeded,
        "{:?}",
        run.reason
    );
    let (first_at, _) = server.directory.coverage_summary(None).await.unwrap().unwrap();
    // A second meeting in Wrexham: the newest summary has two.
    std::fs::write(
        &feed,
        json!([entry("one", WREXHAM), entry("two", (53.0500, -3.0000))]).to_string(),
    )
    .unwrap();
    // Within the hour, the hourly importer takes no second summary (imports may run every few
    // minutes; trends are read by the day)...
    hourly.import(&source, &ImportOptions::default()).await.unwrap();
    let (unchanged_at, _) = server.directory.coverage_summary(None).await.unwrap().unwrap();
    assert_eq!(unchanged_at, first_at, "no second summary within the hour");
    // ...and one that takes a summary after every import does.
    std::fs::write(
        &feed,
        json!([entry("one", WREXHAM), entry("two", (53.0510, -3.0000))]).to_string(),
    )
    .unwrap();
    importer(std::time::Duration::ZERO)
        .import(&source, &ImportOptions::default())
        .await
        .unwrap();
    let (latest_at, doc) = server.directory.coverage_summary(None).await.unwrap().unwrap();
    assert!(latest_at >= first_at);
    // Compact: a row per district and fellowship, [district, fellowship, meetings, residents,
    // within reach].
    let rows: Vec<(String, String, u32, f64, f64)> = serde_json::from_str(&doc).unwrap();
    assert_eq!(rows.len(), 350, "every GB district, AA only");
    assert!(doc.len() < 25_000, "{} bytes", doc.len());
    let wrexham = rows.iter().find(|r| r.0 == "W06000006" && r.1 == "aa").unwrap();
    assert_eq!(wrexham.2, 2);
    assert!(wrexham.4 > 0.0 && wrexham.4 < wrexham.3);
    // Upper tiers and nations are added up from the districts when read.
    let baseline = meetingmap::coverage::trends::baseline(&server.directory, "2026-01-01".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let wales = baseline
        .now
        .iter()
        .find(|r| r.level == "nation" && r.code == "Wales")
        .unwrap();
    assert_eq!(wales.meetings, 2);
    let residents: f64 = rows.iter().filter(|r| r.0.starts_with('W')).map(|r| r.3).sum();
    assert_eq!(wales.residents, residents);

    // The report since a date before both: the summary of the first import is the baseline.
    let since = (first_at - jiff::SignedDuration::from_hours(48))
        .strftime("%Y-%m-%d")
        .to_string();
    let (_, html) = fetch(
        &server,
        &format!("/v1/coverage?max_km=5&area=Wrexham&since={since}&format=html"),
        "*/*",
    )
    .await;
    let start = html.find("<table class=\"trend\">").expect("a trend table");
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    assert!(
        table.contains("<th scope=\"row\">W06000006</th><td class=\"text\">Alcoholics Anonymous</td><td>1</td><td>2</td>"),
        "{table}"
    );
    let (status, body) = server.get("/v1/coverage?max_km=5&since=yesterday").await;
    assert_eq!(status, 400);
    assert_eq!(body["invalid_params"][0]["name"], "since");
}

/// The server takes coverage trends from the snapshot it serves, whoever wrote the data: here a
/// writer's directory on the same database file, as `meetingmap import` writes it, seen through
/// the server's watch of the database.
#[tokio::test]
async fn a_server_takes_trends_of_what_another_process_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("shared.db").display());
    let server = TestApp::builder()
        .settings(|s| {
            s.database.url = url.clone();
            s.watch_ms = 20;
            s.coverage.trends_check_ms = 20;
        })
        .start()
        .await;
    let writer = meetingmap::directory::Directory::open_for_writes(&url)
        .await
        .unwrap();
    writer
        .put_meetings(&[meeting("wx-one", WREXHAM).normalise().unwrap()])
        .await
        .unwrap();
    assert_eq!(
        wrexham_aa_in_the_first_summary(&server.directory, "another process wrote meetings").await,
        1,
        "the summary counts the other process's meeting"
    );
}

/// AA meetings in Wrexham in the first coverage summary stored, waited for. Polled: the watch
/// and the summary run in the background. The bound is far above what they take (a few checks
/// of 20 ms and one analysis), so that only their absence fails.
async fn wrexham_aa_in_the_first_summary(directory: &meetingmap::directory::Directory, after: &str) -> u32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let doc = loop {
        if let Some((_, doc)) = directory.coverage_summary(None).await.unwrap() {
            break doc;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no coverage summary two minutes after {after}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let rows: Vec<(String, String, u32, f64, f64)> = serde_json::from_str(&doc).unwrap();
    rows.iter().find(|r| r.0 == "W06000006" && r.1 == "aa").unwrap().2
}

/// The server's own writes (its scheduled imports, edits) move the snapshot it serves on too,
/// and are summarised the same way.
#[tokio::test]
async fn a_server_takes_trends_of_its_own_writes() {
    let server = TestApp::builder()
        .settings(|s| s.coverage.trends_check_ms = 20)
        .start()
        .await;
    server
        .directory
        .put_meetings(&[meeting("wx-own", WREXHAM).normalise().unwrap()])
        .await
        .unwrap();
    // (An empty directory gives no summary, so the one found is of the written meeting.)
    assert_eq!(
        wrexham_aa_in_the_first_summary(&server.directory, "the server wrote meetings").await,
        1
    );
}
