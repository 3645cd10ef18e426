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
