//! The pages for people: `/meetings/{id}` (one meeting, server-rendered, in English or Welsh),
//! `/` (the landing page), the redirect from the API's meeting for browsers, and the meeting
//! counts of `/v1/fellowships` that tell a finder which fellowships have data.

use crate::common::*;
use meetingmap::domain::{Attendance, Day, Fellowship, ImportRun, Online};
use reqwest::Method;

/// The meeting the pages show: hybrid, Mondays 19:00 in London, with access and Welsh.
fn rich() -> meetingmap::domain::Meeting {
    let mut m = with_types(
        meeting("rich", HOME),
        &[
            "accessibility:wheelchair",
            "language:cy",
            "community:young-people",
            "format:speaker",
        ],
    );
    m.name = "Wrexham Monday Speaker".into();
    m.attendance = Attendance::Hybrid;
    m.online = Some(Online {
        url: Some("https://teams.microsoft.com/l/meetup-join/abc".into()),
        phone: Some("0161 496 0000".into()),
        notes: Some("Meeting ID 123 456".into()),
    });
    m.notes = Some("Tea from 18:30 <all welcome>".into());
    m
}

/// The server with the rich meeting, another in Dublin time, an NA one, and the source's
/// definition (with a contact) and a successful import of it on record.
async fn server() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let importers = dir.path().join("importers");
    std::fs::create_dir_all(&importers).unwrap();
    std::fs::write(
        importers.join("test.toml"),
        "id = \"test\"\nname = \"Test feed\"\nformat = \"csv\"\ncsv_preset = \"tsml\"\npath = \"test.csv\"\n\
         attribution = \"Made up for tests\"\ncontact = \"corrections@example.org\"\n",
    )
    .unwrap();
    let mut dublin = with_schedule(
        meeting("dublin", north_of(HOME, 1.0)),
        Day::Sun,
        "10:30",
        60,
        "Europe/Dublin",
    );
    dublin.name = "Dublin time meeting".into();
    let mut na = meeting("na-1", north_of(HOME, 2.0));
    na.fellowship = Fellowship::parse("na").unwrap();
    let server = TestApp::builder()
        .meetings(vec![rich(), dublin, na])
        .settings(|s| s.import.sources.importers = importers)
        .start()
        .await;
    let run: ImportRun = serde_json::from_value(serde_json::json!({
        "source_id": "test",
        "started_at": "2026-11-20T07:59:00Z",
        "finished_at": "2026-11-20T08:00:00Z",
        "outcome": "succeeded",
        "reason": null,
        "forced": false,
        "counts": {"records": 3, "accepted": 3, "added": 3, "updated": 0, "unchanged": 0, "removed": 0,
                   "rejected": 0, "placed_by_postcode": 0, "without_coordinates": 0},
        "rejects": [],
        "unknown_types": [],
        "etag": null,
        "last_modified": null,
        "feed_date": "2026-08-05",
    }))
    .unwrap();
    server.directory.record_import(&run).await.unwrap();
    // Keep the definitions' folder for the server's life.
    std::mem::forget(dir);
    server
}

async fn page(server: &TestApp, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    server.request(Method::GET, path, headers, None).await
}

#[tokio::test]
async fn a_meeting_page_has_everything_to_get_there() {
    let server = server().await;
    let response = page(&server, "/meetings/rich", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = response.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let body = &response.body;
    assert!(!body.contains("<script"), "no script");
    for expected in [
        "<html lang=\"en\"",
        "Wrexham Monday Speaker",
        "Alcoholics Anonymous",
        "Open meeting",
        "In person and online",
        "Church Hall<br>1 High Street<br>Wrexham<br>LL11 1AA",
        "Every Monday 19:00\u{2013}20:00",
        // Directions by each mode.
        "engine=fossgis_osrm_foot&amp;route=%3B53.04620%2C-2.99300",
        "engine=fossgis_osrm_car",
        "travelmode=transit",
        "https://www.openstreetmap.org/?mlat=53.04620&amp;mlon=-2.99300",
        // Calendar.
        "href=\"/v1/meetings/rich.ics\"",
        "calendar.google.com",
        "outlook.live.com",
        // Online.
        "Microsoft Teams",
        "https://teams.microsoft.com/l/meetup-join/abc",
        "tel:01614960000",
        "Meeting ID 123 456",
        // Badges and access in words.
        "Wheelchair access",
        "Welsh (Cymraeg)",
        "Young people",
        "Step-free access for wheelchair users.",
        "Speaker",
        // Feed text escaped.
        "Tea from 18:30 &lt;all welcome&gt;",
        // Helpline, with its source.
        "0800 9177 650",
        "https://www.alcoholics-anonymous.org.uk/contact-us",
        // Provenance and freshness.
        "Listed by <strong>Test feed</strong>",
        "Data as of 5 August 2026.",
        "Last checked 20 November 2026.",
        "Made up for tests",
        // Report a problem: the source's contact, then the fellowship.
        "href=\"mailto:corrections@example.org\"",
        "https://www.alcoholics-anonymous.org.uk\"",
    ] {
        assert!(body.contains(expected), "the page lacks {expected:?}:\n{body}");
    }
    // The next four sessions, dated: each a Monday at 19:00 London time, a week apart, whatever
    // day the test runs.
    let sessions: Vec<jiff::Zoned> = body
        .split("<time datetime=\"")
        .skip(1)
        .map(|s| {
            let at: jiff::Timestamp = s.split('"').next().unwrap().parse().unwrap();
            at.to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        })
        .collect();
    assert_eq!(sessions.len(), 4, "{body}");
    for (i, s) in sessions.iter().enumerate() {
        assert_eq!(s.weekday(), jiff::civil::Weekday::Monday);
        assert_eq!((s.hour(), s.minute()), (19, 0));
        let day = format!("Monday {} ", s.day());
        assert!(body.contains(&day), "{day} in the page");
        if i > 0 {
            assert_eq!((s.date() - sessions[i - 1].date()).get_days(), 7);
        }
    }
    assert!(!body.contains("Europe/London"), "London time goes without saying");

    let dublin = page(&server, "/meetings/dublin", &[]).await;
    assert!(
        dublin.body.contains("Times are in the Europe/Dublin time zone."),
        "{}",
        dublin.body
    );
    // An in-person meeting has no online section.
    assert!(!dublin.body.contains("Join online"));
}

#[tokio::test]
async fn the_page_speaks_welsh_when_asked_or_when_the_browser_does() {
    let server = server().await;
    for (path, headers) in [
        ("/meetings/rich?lang=cy", vec![]),
        (
            "/meetings/rich",
            vec![("Accept-Language", "cy-GB,cy;q=0.9,en;q=0.8")],
        ),
        (
            "/meetings/rich?lang=cy&utm_source=leaflet",
            vec![("Accept-Language", "en-GB")],
        ),
    ] {
        let response = page(&server, path, &headers).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.header("content-language"), Some("cy"));
        let body = &response.body;
        for expected in [
            "<html lang=\"cy\"",
            "Alcoholigion Anhysbys",
            "Bob dydd Llun 19:00",
            "Y sesiynau nesaf",
            "Dydd Llun ",
            "Cyfeiriad",
            "Cyfarwyddiadau",
            "Rhoi gwybod am broblem",
            "Data fel yr oedd ar 5 Awst 2026.",
            "hreflang=\"en\"",
        ] {
            assert!(body.contains(expected), "{path}: lacks {expected:?}:\n{body}");
        }
        assert!(!body.contains("Next sessions"), "{path}");
        assert!(
            !body.contains("pages."),
            "{path}: a string missing from the catalogues"
        );
    }
    // English unless Welsh is preferred; an unknown language is English.
    for (path, accept) in [
        ("/meetings/rich", "en-GB,cy;q=0.5"),
        ("/meetings/rich?lang=fr", "fr-FR"),
        ("/meetings/rich?lang=en", "cy"),
    ] {
        let response = page(&server, path, &[("Accept-Language", accept)]).await;
        assert!(response.body.contains("<html lang=\"en\""), "{path} {accept}");
    }
}

#[tokio::test]
async fn an_unknown_meeting_is_a_friendly_page() {
    let server = server().await;
    for lang in ["en", "cy"] {
        let response = page(&server, &format!("/meetings/nothing-here?lang={lang}"), &[]).await;
        assert_eq!(response.status, 404);
        assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(response.body.contains(&format!("<html lang=\"{lang}\"")));
        assert!(
            response.body.contains(&format!("href=\"/embed?lang={lang}\"")),
            "it offers a search, in the page's language"
        );
    }
    let strange = page(&server, "/meetings/%3Cscript%3E%22", &[]).await;
    assert_eq!(strange.status, 404);
    assert!(!strange.body.contains("<script>"));
}

#[tokio::test]
async fn browsers_asking_the_api_for_a_meeting_are_sent_to_its_page() {
    let server = server().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |accept: Option<&'static str>| {
        let mut request = client.get(format!("{}/v1/meetings/rich", server.base));
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        request.send()
    };
    // What browsers send.
    let response = get(Some(
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/meetings/rich");
    // API clients keep JSON.
    for accept in [
        None,
        Some("*/*"),
        Some("application/json"),
        Some("application/json, text/html;q=0.5"),
    ] {
        let response = get(accept).await.unwrap();
        assert_eq!(response.status(), 200, "{accept:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["id"], "rich", "{accept:?}");
    }
    // Followed, the redirect ends on the page.
    let followed = page(&server, "/v1/meetings/rich", &[("Accept", "text/html")]).await;
    assert_eq!(followed.status, 200);
    assert!(followed.body.contains("Wrexham Monday Speaker"));
}

#[tokio::test]
async fn the_landing_page_links_everything_and_says_how_fresh_the_data_is() {
    let server = server().await;
    let response = page(&server, "/", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
    let body = &response.body;
    for expected in [
        "href=\"/embed?lang=en\"",
        "href=\"/handout\"",
        "href=\"/v1/coverage?format=html\"",
        "href=\"/docs/\"",
        "href=\"/v1/sources\"",
        "3 meetings from one source.",
        "Last updated 20 November 2026 at 08:00 GMT.",
        "<td>Alcoholics Anonymous</td><td class=\"n\">2</td>",
        "<td>Narcotics Anonymous</td><td class=\"n\">1</td>",
        "Made up for tests",
        // NOTICE's attribution, as its licences require.
        "Contains OS data © Crown copyright",
        "GeoNames",
    ] {
        assert!(
            body.contains(expected),
            "the landing page lacks {expected:?}:\n{body}"
        );
    }
    assert!(
        !body.contains("SMART Recovery</td>"),
        "fellowships without meetings are not listed"
    );
    let welsh = page(&server, "/?lang=cy", &[]).await;
    assert!(welsh.body.contains("<html lang=\"cy\"") && welsh.body.contains("Am y data"));
    // HEAD answers like GET, without the body.
    let head = server.request(Method::HEAD, "/", &[], None).await;
    assert_eq!(head.status, 200);
}

#[tokio::test]
async fn fellowships_say_how_many_meetings_each_has() {
    let server = server().await;
    let (status, body) = server.get("/v1/fellowships").await;
    assert_eq!(status, 200);
    let counts: Vec<(&str, u64)> = body["fellowships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["meetings"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts.len(), meetingmap::domain::FELLOWSHIPS.len());
    assert_eq!(counts[0], ("aa", 2));
    assert_eq!(counts[1], ("na", 1));
    assert!(counts[2..].iter().all(|(_, n)| *n == 0), "{counts:?}");
    assert!(body["fellowships"][0]["name"].is_string());
    // Cached per snapshot: the same ETag gets 304.
    let first = server.request(Method::GET, "/v1/fellowships", &[], None).await;
    let etag = first.header("etag").unwrap().to_string();
    let again = server
        .request(Method::GET, "/v1/fellowships", &[("If-None-Match", &etag)], None)
        .await;
    assert_eq!(again.status, 304);
}
