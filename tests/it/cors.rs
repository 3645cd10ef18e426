//! Cross-origin reads from a real server: any origin by default, only the listed ones when
//! `--cors-origins` is given; preflights and simple GETs; a refused preflight is a problem.

use crate::common::*;
use meetingmap::settings::AllowedOrigins;
use reqwest::header::HeaderMap;
use reqwest::Method;

const AGENCY: &str = "https://agency.example";
const OTHER: &str = "https://other.example";

async fn get(server: &TestApp, origin: &str) -> HeaderMap {
    let response = server
        .client
        .get(format!("{}/v1/meetings?fellowship=aa", server.base))
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers().clone()
}

async fn preflight(server: &TestApp, origin: &str, method: &str) -> (u16, HeaderMap, String) {
    preflight_to(server, "/v1/occurrences?near=LL11", origin, method).await
}

async fn preflight_to(server: &TestApp, path: &str, origin: &str, method: &str) -> (u16, HeaderMap, String) {
    let response = server
        .client
        .request(Method::OPTIONS, format!("{}{path}", server.base))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "accept")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// A refused preflight is a 400 problem naming the request header at fault.
fn assert_problem(status: u16, headers: &HeaderMap, body: &str, name: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(header(headers, "content-type"), Some("application/problem+json"));
    let problem: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["invalid_params"][0]["name"], name, "{problem}");
    assert_eq!(header(headers, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn any_origin_may_read_by_default() {
    let server = TestApp::start(vec![meeting("a", HOME)]).await;

    let headers = get(&server, AGENCY).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);
    assert!(header(&headers, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase()
        .contains("etag"));

    let (status, headers, _) = preflight(&server, OTHER, "GET").await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    let methods = header(&headers, "access-control-allow-methods").unwrap();
    assert!(methods.contains("GET") && methods.contains("HEAD") && !methods.contains("POST"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);
    assert_eq!(header(&headers, "access-control-max-age"), Some("86400"));

    // Searches are reads: a browser is told so before it sends anything else.
    let (status, headers, body) = preflight(&server, AGENCY, "POST").await;
    assert_problem(status, &headers, &body, "Access-Control-Request-Method");
    let (status, headers, body) = preflight(&server, AGENCY, "DELETE").await;
    assert_problem(status, &headers, &body, "Access-Control-Request-Method");

    // The coverage endpoints take points as CSV, which needs a preflight: it is allowed there.
    for path in ["/v1/coverage?max_km=5", "/v1/coverage/gaps?max_km=5"] {
        let (status, headers, body) = preflight_to(&server, path, AGENCY, "POST").await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
        let methods = header(&headers, "access-control-allow-methods").unwrap();
        assert!(methods.contains("POST"), "{path}: {methods}");
    }
}

#[tokio::test]
async fn only_listed_origins_may_read_when_configured() {
    let allowed = AllowedOrigins::parse(&format!("{AGENCY},http://127.0.0.1:9")).unwrap();
    let server = TestApp::builder()
        .meetings(vec![meeting("a", HOME)])
        .cors(allowed)
        .start()
        .await;

    let headers = get(&server, AGENCY).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(AGENCY));
    assert!(header(&headers, "vary").unwrap().contains("Origin"));
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);

    // Another page still gets the data (it is public) but no permission for its scripts to read it.
    let headers = get(&server, OTHER).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    assert!(header(&headers, "vary").unwrap().contains("Origin"));

    let (status, headers, _) = preflight(&server, "http://127.0.0.1:9", "GET").await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "access-control-allow-origin"),
        Some("http://127.0.0.1:9")
    );
    assert!(header(&headers, "vary").unwrap().contains("Origin"));

    let (status, headers, body) = preflight(&server, OTHER, "GET").await;
    assert_problem(status, &headers, &body, "Origin");

    // The finder's iframe page may be framed by the same sites only.
    let page = server
        .client
        .get(format!("{}/embed", server.base))
        .send()
        .await
        .unwrap();
    let csp = header(page.headers(), "content-security-policy").unwrap();
    assert!(
        csp.ends_with("; frame-ancestors https://agency.example http://127.0.0.1:9"),
        "{csp}"
    );
}

/// `serve --cors-origins` (and its environment variable) reach the server, and a value that is
/// not a list of origins stops it with a reason.
#[tokio::test]
async fn the_serve_command_takes_its_origins_from_the_flag_or_the_environment() {
    use std::process::Command;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cors.db");
    let serve = |origins_flag: Option<&str>, origins_env: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_meetingmap"));
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--no-refresh", "--database"])
            .arg(&db)
            .env_remove("MEETINGMAP_CORS_ORIGINS");
        if let Some(origins) = origins_flag {
            command.args(["--cors-origins", origins]);
        }
        if let Some(origins) = origins_env {
            command.env("MEETINGMAP_CORS_ORIGINS", origins);
        }
        command
    };

    let refused = serve(Some("https://agency.example,ftp://files.example"), None)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let reason = String::from_utf8_lossy(&refused.stderr);
    assert!(
        reason.contains("--cors-origins") && reason.contains("`ftp://files.example` is not an origin"),
        "{reason}"
    );

    for (flag, env) in [(Some(AGENCY), None), (None, Some(AGENCY))] {
        let server = ServeProcess::start(serve(flag, env));
        let base = server.base.clone();
        let allow = |origin: &'static str| {
            let url = format!("{base}/v1/fellowships");
            async move {
                let response = reqwest::Client::new()
                    .get(url)
                    .header("Origin", origin)
                    .send()
                    .await
                    .unwrap();
                header(response.headers(), "access-control-allow-origin").map(str::to_string)
            }
        };
        let (agency, other) = (allow(AGENCY).await, allow(OTHER).await);
        drop(server);
        assert_eq!(
            (agency.as_deref(), other),
            (Some(AGENCY), None),
            "{flag:?} {env:?}"
        );
    }
}
