//! Nothing a client sends can drop a request: tampered cursors, short bodies, methods the API
//! does not have, and the headers every HTML page carries.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::common::*;
use meetingmap::domain::Day;

/// The cursor `cursor` with its fields (`1.snapshot.offset.fingerprint.anchor`) changed by `edit`.
fn tampered(cursor: &str, edit: impl FnOnce(&mut Vec<String>)) -> String {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).unwrap()).unwrap();
    let mut fields: Vec<String> = text.split('.').map(str::to_string).collect();
    edit(&mut fields);
    URL_SAFE_NO_PAD.encode(fields.join("."))
}

/// A cursor whose anchor was moved to the year 9999, or whose offset was made huge, keeps its
/// fingerprint and snapshot, so only range checks stand between it and the timestamp and offset
/// arithmetic: it is a 400 naming `cursor`, never a dropped connection.
#[tokio::test]
async fn tampered_cursors_are_refused_not_a_panic() {
    let meetings: Vec<_> = (0..6)
        .map(|i| {
            with_schedule(
                meeting(&format!("m{i}"), HOME),
                Day::Mon,
                "12:00",
                60,
                "Europe/London",
            )
        })
        .collect();
    let server = TestApp::start(meetings).await;
    let (status, first) = server.get("/v1/occurrences?limit=2").await;
    assert_eq!(status, 200, "{first}");
    let cursor = first["next"].as_str().unwrap();
    let year_9999 = tampered(cursor, |f| f[4] = "253402300000".into());
    let before_1900 = tampered(cursor, |f| f[4] = "-2300000000".into());
    let huge_offset = tampered(cursor, |f| f[2] = format!("{:x}", u64::MAX));
    for (what, bad) in [
        ("anchor in 9999", year_9999),
        ("anchor before 1900", before_1900),
        ("offset at the top of the range", huge_offset),
    ] {
        for path in ["/v1/occurrences?limit=2", "/v1/meetings?limit=2"] {
            let (status, body) = server.get(&format!("{path}&cursor={bad}")).await;
            assert_eq!(status, 400, "{what} on {path}: {body}");
            assert_eq!(body["invalid_params"][0]["name"], "cursor", "{what}: {body}");
        }
    }
    // The untampered cursor still pages.
    let (status, second) = server
        .get(&format!("/v1/occurrences?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(status, 200, "{second}");
}

/// A POST whose body is shorter than its Content-Length is answered (408) or closed within the
/// body deadline, not held open while the server waits for bytes that never come.
#[tokio::test]
async fn a_short_body_is_timed_out() {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = TestApp::builder()
        .settings(|s| s.http.body_timeout_ms = 1_000)
        .start()
        .await;
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let body = "lat,lon,weight\n";
    let request = format!(
        "POST /v1/coverage?max_km=5 HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/csv\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len() + 100
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let started = Instant::now();
    // Up to the end of the answer's head, or the connection's end.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "still waiting after 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    if !answer.is_empty() {
        assert!(answer.contains("application/problem+json"), "{answer}");
    }
}

/// A method a known path does not have is a 405 problem with `Allow`; `OPTIONS` is told the same
/// `Allow`; an unknown path is still a 404.
#[tokio::test]
async fn other_methods_on_known_paths_are_405_with_allow() {
    use reqwest::Method;
    let server = TestApp::start(vec![meeting("a", HOME)]).await;
    let cases = [
        (Method::POST, "/v1/meetings", "GET, HEAD"),
        (Method::DELETE, "/v1/meetings/a", "GET, HEAD"),
        (Method::PUT, "/v1/meetings/a.ics", "GET, HEAD"),
        (Method::PATCH, "/v1/occurrences", "GET, HEAD"),
        (Method::POST, "/v1/sources/x/imports", "GET, HEAD"),
        (Method::DELETE, "/v1/coverage", "GET, HEAD, POST"),
        (Method::PUT, "/v1/coverage/gaps", "GET, HEAD, POST"),
        (Method::POST, "/health", "GET, HEAD"),
        (Method::POST, "/embed", "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let response = server.request(method.clone(), path, &[], None).await;
        assert_eq!(response.status, 405, "{method} {path}: {}", response.body);
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(response.header("content-type"), Some("application/problem+json"));
        assert_eq!(response.json()["type"], "/problems/method-not-allowed");
        assert_eq!(response.json()["status"], 405);
    }
    let response = server.request(Method::OPTIONS, "/v1/meetings", &[], None).await;
    assert_eq!(
        (response.status, response.header("allow")),
        (204, Some("GET, HEAD"))
    );
    let response = server.request(Method::POST, "/v1/nothing", &[], None).await;
    assert_eq!(response.status, 404, "{}", response.body);
}

/// Every HTML page says `nosniff`, sends no referrer, and may not be framed, except the finder's
/// `/embed`, which is made to be; every other response says `nosniff` too.
#[tokio::test]
async fn html_pages_carry_the_security_headers() {
    let server = TestApp::start(vec![with_schedule(
        meeting("a", HOME),
        Day::Mon,
        "19:00",
        60,
        "Europe/London",
    )])
    .await;
    let near = format!("lat={}&lon={}", HOME.0, HOME.1);
    let pages = [
        format!("/v1/handout?{near}"),
        "/v1/coverage?max_km=5&area=W06000006&format=html".to_string(),
        "/".to_string(),
        "/meetings/a".to_string(),
        "/docs/".to_string(),
    ];
    for page in &pages {
        let response = server.request(reqwest::Method::GET, page, &[], None).await;
        assert_eq!(response.status, 200, "{page}: {}", response.body);
        assert!(
            response.header("content-type").unwrap().starts_with("text/html"),
            "{page}"
        );
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{page}"
        );
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"), "{page}");
        assert_eq!(response.header("x-frame-options"), Some("DENY"), "{page}");
        let csp = response.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{page}: {csp}");
    }
    let embed = server.request(reqwest::Method::GET, "/embed", &[], None).await;
    assert_eq!(embed.status, 200);
    assert_eq!(
        embed.header("x-frame-options"),
        None,
        "the finder is made to be framed"
    );
    assert!(!embed
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(embed.header("x-content-type-options"), Some("nosniff"));
    for other in ["/v1/meetings", "/v1/meetings.ics", "/openapi.json", "/v1/nothing"] {
        let response = server.request(reqwest::Method::GET, other, &[], None).await;
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{other}"
        );
    }
}

/// A client with an analysis under way cannot start another (429 with Retry-After), so one client
/// cannot hold every core; identical questions share one analysis, so they are not turned away.
#[tokio::test]
async fn one_coverage_analysis_at_a_time_per_client() {
    let server = TestApp::builder()
        // A directory with a place to go: coverage of an empty one is refused at once (409).
        .meetings(vec![meeting("w1", (53.0462, -2.9930))])
        .settings(|s| {
            // No analysis can start: the first question waits its 1.5 s for a permit, holding
            // this client's one place meanwhile.
            s.coverage.coverage_analyses = Some(0);
            s.coverage.coverage_wait_ms = 1_500;
        })
        .start()
        .await;
    let first = {
        let (client, base) = (server.client.clone(), server.base.clone());
        tokio::spawn(async move {
            client
                .get(format!("{base}/v1/coverage?max_km=5&area=W06000006"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let same = {
        let (client, base) = (server.client.clone(), server.base.clone());
        tokio::spawn(async move {
            client
                .get(format!("{base}/v1/coverage?max_km=5&area=W06000006"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let other = server
        .request(
            reqwest::Method::GET,
            "/v1/coverage?max_km=6&area=W06000006",
            &[],
            None,
        )
        .await;
    assert_eq!(other.status, 429, "{}", other.body);
    assert_eq!(other.header("retry-after"), Some("2"));
    assert_eq!(other.json()["type"], "/problems/one-at-a-time");
    // The first, and the same question joined to it, are both refused together when no permit
    // came: one outcome for one analysis.
    assert_eq!(first.await.unwrap(), 503);
    assert_eq!(same.await.unwrap(), 503);
}

/// The reach of a coverage question is bounded, in km and in minutes, so the costliest question
/// allowed stays near the cost of the usual one (docs/benchmarks.md).
#[tokio::test]
async fn coverage_reach_is_bounded() {
    let server = TestApp::start(vec![meeting("w1", (53.0462, -2.9930))]).await;
    for (query, name) in [
        ("max_km=99.9", "max_km"),
        ("max_minutes=240&mode=drive", "max_minutes"),
    ] {
        let (status, body) = server.get(&format!("/v1/coverage?{query}&area=W06000006")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["invalid_params"][0]["name"], name, "{body}");
    }
    let (status, body) = server
        .get("/v1/coverage?max_minutes=30&mode=walk&area=W06000006")
        .await;
    assert_eq!(status, 200, "{body}");
}
