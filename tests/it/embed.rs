//! The finder as served: `/embed.js` (type, caching, CORS) and `/embed` (settings passed on as
//! escaped data attributes, a strict CSP, framing allowed, bad settings refused). What the
//! script does in a browser is tested by tests/browser.rs.

use crate::common::*;

async fn fetch(server: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = server.client.get(format!("{}{path}", server.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn the_script_is_served_to_any_page_and_cached() {
    let server = TestApp::start(vec![]).await;
    let response = fetch(&server, "/embed.js", &[("Origin", "https://agency.example")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(header(&response, "cache-control"), Some("public, max-age=3600"));
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    let etag = header(&response, "etag").unwrap().to_string();
    let script = response.text().await.unwrap();
    assert!(script.contains("document.currentScript"));
    assert!(script.contains("attachShadow"));

    let again = fetch(&server, "/embed.js", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn the_frame_page_passes_its_settings_escaped_under_a_strict_policy() {
    let server = TestApp::start(vec![]).await;
    let response = fetch(
        &server,
        "/embed?near=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&fellowship=aa&fellowship=na&time=evening&max_minutes=20&mode=walk",
        &[],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = header(&response, "content-security-policy").unwrap().to_string();
    for directive in ["default-src 'none'", "script-src 'self'", "connect-src 'self'"] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(
        !csp.contains("frame-ancestors"),
        "any site may frame the finder: {csp}"
    );
    assert_eq!(header(&response, "x-frame-options"), None);
    let page = response.text().await.unwrap();
    assert!(page.contains(
        "<script src=\"/embed.js\" data-near=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" \
         data-fellowship=\"aa,na\" data-time=\"evening\" data-max-minutes=\"20\" data-mode=\"walk\" async></script>"
    ), "{page}");
    assert_eq!(page.matches("<script").count(), 1, "{page}");
}

#[tokio::test]
async fn the_frame_page_refuses_settings_it_does_not_know() {
    let server = TestApp::start(vec![]).await;
    let (status, body) = server
        .get("/embed?radius=5&fellowship=aa,zz&time=noon&max_minutes=0&mode=fly")
        .await;
    assert_eq!(status, 400);
    let mut named: Vec<&str> = body["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    named.sort();
    assert_eq!(
        named,
        ["fellowship", "max_minutes", "mode", "radius", "time"],
        "{body}"
    );
}

#[tokio::test]
async fn a_browser_framing_bad_settings_gets_a_page_in_words_not_problem_json() {
    let server = TestApp::start(vec![]).await;
    let response = fetch(
        &server,
        "/embed?fellowship=aa,zz&lang=cy",
        &[("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        header(&response, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(header(&response, "content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    let page = response.text().await.unwrap();
    assert!(page.contains("<html lang=\"cy\">"), "{page}");
    assert!(
        page.contains("Nid yw&#39;r chwiliwr cyfarfodydd hwn wedi&#39;i osod yn gywir"),
        "{page}"
    );
    assert!(
        page.contains("<code>fellowship</code>: has unknown value zz"),
        "{page}"
    );
    assert!(!page.contains("invalid_params"), "{page}");
}

#[tokio::test]
async fn the_script_carries_both_catalogues_and_the_outline_is_served_from_here() {
    let server = TestApp::start(vec![]).await;
    let script = fetch(&server, "/embed.js", &[]).await.text().await.unwrap();
    assert!(
        !script.contains("/*MEETINGMAP_CONFIG*/"),
        "the configuration is written in"
    );
    for words in [
        "\"skip\":\"Skip to results\"",
        "\"skip\":\"Neidio i'r canlyniadau\"",
        "\"tiles\":null",
    ] {
        assert!(script.contains(words), "{words}");
    }
    let outline = fetch(&server, "/embed/outline.geojson", &[]).await;
    assert_eq!(outline.status(), 200);
    assert_eq!(header(&outline, "content-type"), Some("application/geo+json"));
    let geojson: serde_json::Value = outline.json().await.unwrap();
    let names: Vec<&str> = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ireland", "United Kingdom", "Isle of Man"]);
}

#[tokio::test]
async fn a_configured_tile_server_is_passed_to_the_finder_and_allowed_by_the_frame() {
    let server = TestApp::builder()
        .settings(|s| {
            s.http.map_tiles = Some("https://tiles.example.org/{z}/{x}/{y}.png".into());
            s.http.map_attribution = Some("© OpenStreetMap contributors".into());
        })
        .start()
        .await;
    let script = fetch(&server, "/embed.js", &[]).await.text().await.unwrap();
    assert!(script.contains("\"tiles\":\"https://tiles.example.org/{z}/{x}/{y}.png\""));
    assert!(script.contains("© OpenStreetMap contributors"));
    let page = fetch(&server, "/embed?view=map", &[]).await;
    assert_eq!(page.status(), 200);
    let csp = header(&page, "content-security-policy").unwrap();
    assert!(csp.contains("img-src https://tiles.example.org"), "{csp}");
}

#[tokio::test]
async fn helplines_name_each_fellowship_with_the_source_of_its_number() {
    let server = TestApp::start(vec![]).await;
    let (status, body) = server.get("/v1/helplines").await;
    assert_eq!(status, 200);
    let aa = body["helplines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["fellowship"] == "aa")
        .unwrap();
    assert_eq!(aa["fellowship_name"], "Alcoholics Anonymous");
    assert_eq!(aa["phone"], "0800 9177 650");
    assert!(aa["source"].as_str().unwrap().starts_with("https://"));
    let smart = body["helplines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["fellowship"] == "smart")
        .unwrap();
    assert_eq!(smart["phone"], serde_json::Value::Null);
}
