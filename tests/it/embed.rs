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
