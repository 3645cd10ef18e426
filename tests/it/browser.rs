//! End-to-end tests in a real browser: the embeddable finder on another origin's page and in an
//! iframe (filters, keyboard use, privacy, phone width, an axe-core scan), the hand-out printed
//! to A4 PDF, and the meeting and landing pages (axe, Welsh, print). The tests are JavaScript in `tests/browser/`, run by node's test runner driving the
//! system's Chromium with playwright-core; this starts the real server they test, over synthetic
//! meetings, and fails with node's output when they fail.
//!
//! Without Chromium (`/usr/bin/chromium`, or `MEETINGMAP_CHROMIUM`) or `tests/browser/node_modules`
//! (`npm ci --prefix tests/browser`) the test is skipped, except under CI (`CI=true`), where
//! that is a failure.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use meetingmap::domain::{Access, Attendance, Day, Fellowship, Meeting, Online};

/// Wrexham's postcode district, which the finder starts at.
const NEAR: &str = "LL11";
/// Central London: the hand-out's meetings, far enough from Wrexham to stay out of the finder.
const LONDON: (f64, f64) = (51.5074, -0.1278);
const HANDOUT_MEETINGS: usize = 60;
const NORWICH: (f64, f64) = (52.6309, 1.2974);

/// Every weekday at three times of day, around Wrexham, in four fellowships, open and closed;
/// weekly, so each is held once in any seven days. Plus one hybrid and one online-only meeting.
fn finder_meetings() -> Vec<Meeting> {
    let fellowships = ["aa", "na", "ca", "smart"];
    let times = ["09:30", "14:00", "19:30"];
    let towns = ["Wrexham", "Gresford", "Rhosllanerchrugog"];
    let mut meetings = Vec::new();
    for (d, day) in Day::ALL.into_iter().enumerate() {
        for (t, time) in times.into_iter().enumerate() {
            let i = d * times.len() + t;
            let id = format!("finder-{i}");
            let mut m = with_schedule(
                meeting(&id, north_of(HOME, 0.4 * i as f64 - 4.0)),
                day,
                time,
                60,
                "Europe/London",
            );
            m.fellowship = Fellowship::parse(fellowships[i % fellowships.len()]).unwrap();
            m.access = if i % 3 == 0 { Access::Closed } else { Access::Open };
            m.name = format!("{} {} group", towns[i % towns.len()], day.full_name());
            if let Some(location) = m.location.as_mut() {
                location.town = Some(towns[i % towns.len()].into());
            }
            meetings.push(m);
        }
    }
    let mut hybrid = with_schedule(
        meeting("finder-hybrid", HOME),
        Day::Wed,
        "20:00",
        90,
        "Europe/London",
    );
    hybrid.fellowship = Fellowship::parse("na").unwrap();
    hybrid.name = "Wrexham hybrid group".into();
    hybrid.attendance = Attendance::Hybrid;
    hybrid.online = Some(Online {
        url: Some("https://example.invalid/hybrid-room".into()),
        phone: None,
        notes: None,
    });
    let mut remote = with_schedule(online("finder-online"), Day::Thu, "12:30", 60, "Europe/London");
    remote.name = "Lunchtime online group".into();
    meetings.extend([hybrid, remote]);
    meetings
}

/// Enough meetings, with long notes and an unbroken long link, to print on several A4 pages.
fn handout_meetings() -> Vec<Meeting> {
    (0..HANDOUT_MEETINGS)
        .map(|i| {
            let mut m = with_schedule(
                meeting(&format!("handout-{i}"), north_of(LONDON, 0.05 * i as f64)),
                Day::ALL[i % 7],
                "18:30",
                90,
                "Europe/London",
            );
            m.name = format!("Westminster meeting {i}");
            m.notes = Some(
                "Step study in the upstairs room; the lift is at the back of the building. \
                 Newcomers are welcome to arrive early and talk to someone before the meeting."
                    .into(),
            );
            m.online = Some(Online {
                url: Some(format!(
                    "https://meet.example.invalid/j/{i}0000000000000000000000000000000000000?pwd=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
                )),
                phone: Some("+44 20 7946 0000".into()),
                notes: None,
            });
            m.attendance = Attendance::Hybrid;
            m
        })
        .collect()
}

/// An ordinary town's 30 meetings, as an intergroup lists them (in person, a few hybrid with a
/// short link, short notes): the hand-out must print them on two A4 pages.
fn norwich_meetings() -> Vec<Meeting> {
    (0..30)
        .map(|i| {
            let mut m = with_schedule(
                meeting(&format!("norwich-{i}"), north_of(NORWICH, 0.1 * i as f64)),
                Day::ALL[i % 7],
                ["10:30", "12:30", "19:00", "19:30", "20:00"][i % 5],
                60 + 30 * (i % 2) as u16,
                "Europe/London",
            );
            m.name = format!("Norwich group {i}");
            m.notes = Some("Step-free access by the side door.".into());
            if i % 4 == 0 {
                m.attendance = Attendance::Hybrid;
                m.online = Some(Online {
                    url: Some(format!("https://zoom.us/j/8123456{i:04}")),
                    phone: None,
                    notes: None,
                });
            }
            m
        })
        .collect()
}

/// Cardiff: the meeting page's meeting, far from the finder's and the hand-outs' searches.
const CARDIFF: (f64, f64) = (51.4816, -3.1791);
/// The meeting whose page `pages.test.mjs` opens.
const PAGE_MEETING: &str = "page-cardiff";

/// A meeting with everything a page shows: a full address, access, communities, Welsh, notes,
/// a Zoom room with a dial-in, and a schedule in London time.
fn page_meeting() -> Meeting {
    let mut m = with_schedule(
        meeting(PAGE_MEETING, CARDIFF),
        Day::Tue,
        "19:30",
        90,
        "Europe/London",
    );
    m.name = "Cardiff Tuesday Step".into();
    m.attendance = Attendance::Hybrid;
    m.types = [
        "accessibility:wheelchair",
        "accessibility:hearing-loop",
        "community:women",
        "language:cy",
        "format:step",
    ]
    .iter()
    .map(|t| meetingmap::domain::MeetingType::parse(t).unwrap())
    .collect();
    if let Some(location) = m.location.as_mut() {
        location.venue = Some("Capel y Tabernacl".into());
        location.address_lines = vec!["The Hayes".into()];
        location.town = Some("Cardiff".into());
        location.postcode = Some("CF10 1AA".into());
        location.notes = Some("Side door on the left; the room is on the first floor (lift).".into());
    }
    m.online = Some(Online {
        url: Some("https://us02web.zoom.us/j/81234567890?pwd=abc".into()),
        phone: Some("+44 203 481 5240".into()),
        notes: Some("Meeting ID 812 3456 7890, passcode 1234".into()),
    });
    m.notes = Some("Newcomers welcome: arrive ten minutes early to talk to someone first.".into());
    m
}

/// A directory as an agency would build it: the synthetic North Wales and Chester sheet
/// (tests/it/fixtures/finder-uk.csv: 40 meetings in Wrexham, Chester and Welshpool with
/// postcodes, online and hybrid ones, AA, NA, CA and Al-Anon, no SMART) imported through the real
/// importer (`meetingmap import`), then served, with the map tiles of `tiles` if given. The
/// returned folder holds the database.
async fn imported_finder(tiles: Option<&str>) -> (TestApp, tempfile::TempDir) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("finder.db").display());
    let csv = root.join("tests/it/fixtures/finder-uk.csv");
    let mapping = root.join("importers/mappings/meetingmap-template.toml");
    let out = meetingmap(&[
        "import",
        "--file",
        csv.to_str().unwrap(),
        "--format",
        "csv",
        "--mapping",
        mapping.to_str().unwrap(),
        "--source-id",
        "north-wales-test",
        "--name",
        "North Wales and Chester (test data)",
        "--database",
        &url,
    ]);
    assert!(
        out.contains("north-wales-test") && out.contains("succeeded"),
        "{out}"
    );
    let app = TestApp::builder()
        .settings(|s| {
            s.database.url = url.clone();
            s.http.map_tiles = tiles.map(|t| format!("{t}/{{z}}/{{x}}/{{y}}.png"));
            s.http.map_attribution = tiles.map(|_| "© Test tiles contributors".to_string());
        })
        .start()
        .await;
    (app, dir)
}

/// A tile server on 127.0.0.1 that answers every tile with one grey pixel.
async fn tile_server() -> wiremock::MockServer {
    use base64::Engine;
    let pixel = base64::engine::general_purpose::STANDARD
        .decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==",
        )
        .unwrap();
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .set_body_bytes(pixel),
        )
        .mount(&server)
        .await;
    server
}

/// Why the browser tests cannot run here, if they cannot.
fn missing(dir: &Path) -> Option<String> {
    if let Some(why) = chromium_missing() {
        return Some(why);
    }
    if !dir.join("node_modules/playwright-core").is_dir() || !dir.join("node_modules/axe-core").is_dir() {
        return Some(format!(
            "no {}/node_modules (run `npm ci --prefix tests/browser`)",
            dir.display()
        ));
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finder_and_handout_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    if !can_run(missing(&dir)) {
        return;
    }
    let mut meetings = finder_meetings();
    meetings.extend(handout_meetings());
    meetings.extend(norwich_meetings());
    // Temporarily closed, where the 30-meeting search starts: it must not print as a row.
    let mut closed = meeting("handout-closed", NORWICH);
    closed.name = "Closed Norwich group".into();
    closed.status = meetingmap::domain::Status::TemporarilyClosed;
    meetings.push(closed);
    meetings.push(page_meeting());
    let server = TestApp::start(meetings).await;
    let (finder, _finder_dir) = imported_finder(None).await;
    let tiles = tile_server().await;
    let (tiled, _tiled_dir) = imported_finder(Some(&tiles.uri())).await;

    let base = server.base.clone();
    let finder_base = finder.base.clone();
    let (tiled_base, tiles_base) = (tiled.base.clone(), tiles.uri());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-timeout=60000",
                "tests/browser/finder.test.mjs",
                "tests/browser/handout.test.mjs",
                "tests/browser/pages.test.mjs",
            ])
            .current_dir(root)
            .env("MEETINGMAP_BASE_URL", base)
            .env("MEETINGMAP_FINDER_BASE_URL", finder_base)
            .env("MEETINGMAP_TILED_BASE_URL", tiled_base)
            .env("MEETINGMAP_TILES_URL", tiles_base)
            .env("MEETINGMAP_SCREENSHOTS", root.join("target"))
            .env("MEETINGMAP_CHROMIUM", chromium())
            .env("MEETINGMAP_NEAR", NEAR)
            .env("MEETINGMAP_PAGE_MEETING", PAGE_MEETING)
            .env(
                "MEETINGMAP_HANDOUT30_QUERY",
                // 31: the closed meeting at the point, and 30 to print.
                format!(
                    "lat={}&lon={}&radius_km=5&limit=31&fellowship=aa,al-anon",
                    NORWICH.0, NORWICH.1
                ),
            )
            .env(
                "MEETINGMAP_HANDOUT_QUERY",
                format!(
                    "lat={}&lon={}&radius_km=5&limit={HANDOUT_MEETINGS}",
                    LONDON.0, LONDON.1
                ),
            )
            .output()
    })
    .await
    .unwrap()
    .expect("node runs (is Node.js installed?)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the browser tests failed:\n{report}");
    println!("{report}");
}

/// Two meetings a day around Wrexham in AA (one of them hybrid on Zoom), two online-only ones
/// (one on Zoom, one on the group's own site), one temporarily closed, and NA's meetings in
/// Wrexham and Gresford; one AA meeting in London that a search around Wrexham leaves out.
fn ecosystem_meetings() -> Vec<Meeting> {
    let mut out = Vec::new();
    let towns = ["Wrexham", "Gresford", "Rhosllanerchrugog", "Mold", "Ruabon"];
    for (d, day) in Day::ALL.into_iter().enumerate() {
        for (t, time) in ["10:30", "19:30"].into_iter().enumerate() {
            let i = d * 2 + t;
            let mut m = with_schedule(
                meeting(&format!("mg-{i}"), north_of(HOME, 0.7 * i as f64 - 5.0)),
                day,
                time,
                60 + 30 * (i % 2) as u16,
                "Europe/London",
            );
            let town = towns[i % towns.len()];
            m.name = format!(
                "{town} {} {}",
                day.full_name(),
                if t == 0 { "Morning" } else { "Evening" }
            );
            m.access = if i % 3 == 0 { Access::Closed } else { Access::Open };
            if let Some(l) = m.location.as_mut() {
                l.town = Some(town.into());
                l.venue = Some(format!("{town} Community Centre"));
            }
            if i == 5 {
                m.attendance = Attendance::Hybrid;
                m.online = Some(Online {
                    url: Some("https://us02web.zoom.us/j/81234567890".into()),
                    phone: Some("+44 20 7946 0000".into()),
                    notes: Some("Passcode 1234".into()),
                });
            }
            if i == 8 {
                m.status = meetingmap::domain::Status::TemporarilyClosed;
            }
            if i % 4 == 1 {
                m.fellowship = Fellowship::parse("na").unwrap();
                m.types = vec![meetingmap::domain::MeetingType::parse("format:just-for-today").unwrap()];
            }
            out.push(m);
        }
    }
    let mut zoom = with_schedule(online("mg-online-zoom"), Day::Thu, "12:30", 60, "Europe/London");
    zoom.name = "Lunchtime Online".into();
    zoom.online = Some(Online {
        url: Some("https://zoom.us/j/81234567891".into()),
        phone: None,
        notes: None,
    });
    let mut own = with_schedule(online("mg-online-own"), Day::Sun, "08:00", 60, "Europe/London");
    own.name = "Early Birds Online".into();
    own.online = Some(Online {
        url: Some("https://rooms.example.org/early-birds".into()),
        phone: None,
        notes: None,
    });
    let mut far = with_schedule(
        meeting("mg-london", LONDON),
        Day::Mon,
        "18:30",
        60,
        "Europe/London",
    );
    far.name = "Westminster Monday".into();
    out.extend([zoom, own, far]);
    out
}

/// TSML UI (the bundle in `../shared/clients`, never copied here) on a page of another origin
/// showing our Meeting Guide feed of a search, and croutonjs (npm) on such a page reading our
/// BMLT interface for a service body and for a near-me search; screenshots in
/// `target/tsml-ui.png` and `target/crouton.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tsml_ui_and_crouton_show_our_meetings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    let tsml_ui = root.join("../shared/clients/tsml-ui/app.js");
    let crouton = dir.join("node_modules/@bmlt-enabled/croutonjs/crouton.min.js");
    let missing = missing(&dir)
        .or_else(|| (!tsml_ui.is_file()).then(|| format!("no TSML UI bundle at {}", tsml_ui.display())))
        .or_else(|| {
            (!crouton.is_file()).then(|| "no croutonjs (run `npm ci --prefix tests/browser`)".to_string())
        });
    if !can_run(missing) {
        return;
    }
    let meetings = ecosystem_meetings();
    let server = TestApp::start(meetings.clone()).await;

    // What we serve for the search, counted here from the data, not from our own answer. No
    // commas: TSML UI reads `data-src` as a comma-separated list of feeds (a list parameter
    // is repeated, or its commas written `%2C`).
    let feed_query = format!("near={NEAR}&radius_km=30");
    let (status, feed) = server
        .get(&format!("/v1/feeds/meeting-guide.json?{feed_query}"))
        .await;
    assert_eq!(status, 200, "{feed}");
    let expected = meetings.iter().filter(|m| m.id != "mg-london").count();
    assert_eq!(feed.as_array().unwrap().len(), expected);
    let na = meetings.iter().filter(|m| m.fellowship.id() == "na").count();

    let target = root.join("target");
    std::fs::create_dir_all(&target).unwrap();
    let base = server.base.clone();
    let na_body = meetingmap::formats::bmlt::fellowship_body(Fellowship::parse("na").unwrap());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-timeout=90000",
                "tests/browser/tsml-ui.test.mjs",
                "tests/browser/crouton.test.mjs",
            ])
            .current_dir(root)
            .env("MEETINGMAP_BASE_URL", base)
            .env("MEETINGMAP_CHROMIUM", chromium())
            .env("MEETINGMAP_TSML_UI", tsml_ui)
            .env("MEETINGMAP_FEED_QUERY", feed_query)
            .env("MEETINGMAP_FEED_COUNT", expected.to_string())
            .env("MEETINGMAP_NA_BODY", na_body.to_string())
            .env("MEETINGMAP_NA_COUNT", na.to_string())
            .env("MEETINGMAP_BODY_FORMAT", "Just for Today (NA)")
            .env("MEETINGMAP_HOME", format!("{},{}", HOME.0, HOME.1))
            .env("MEETINGMAP_SCREENSHOTS", target)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs (is Node.js installed?)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the browser tests failed:\n{report}");
    println!("{report}");
}

/// The editor page in Chromium (tests/browser/editor.test.mjs): an editor's key, a source kept by
/// hand with two meetings and an open report; the page edits one, and the test reads the change
/// from `/v1/meetings`. Leaves `target/editor.png` to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_in_chromium() {
    use meetingmap::domain::{ApiKey, LocalSource, Role};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/browser");
    if !can_run(missing(&dir)) {
        return;
    }
    let server = TestApp::start(finder_meetings()).await;
    server
        .directory
        .put_local_source(&LocalSource {
            id: "wrexham-agency".into(),
            name: "Wrexham agency list".into(),
            attribution: "Listed by the Wrexham agency".into(),
            created_at: "2026-11-01T12:00:00Z".parse().unwrap(),
        })
        .await
        .unwrap();
    let new = meetingmap::editing::keys::generate();
    server
        .directory
        .put_key(
            &ApiKey {
                id: new.id.clone(),
                name: "Wrexham agency".into(),
                role: Role::Editor,
                sources: vec!["wrexham-agency".into()],
                created_at: "2026-11-01T12:00:00Z".parse().unwrap(),
                revoked_at: None,
            },
            &new.hash,
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", new.token);
    let mut ids = Vec::new();
    for fields in [
        r#"{"name": "SMART Recovery Wrexham", "fellowship": "SMART Recovery", "day": "Tuesday", "start": "18:30", "end": "20:00", "types": ["format:discussion"], "venue": "The agency", "address": "1 High Street", "town": "Wrexham", "postcode": "LL11 1AA", "latitude": 53.0462, "longitude": -2.993, "who_can_attend": "Open to all"}"#,
        r#"{"name": "SMART Recovery Ruabon", "fellowship": "SMART Recovery", "day": "Monday", "start": "10:00", "end": "11:30", "venue": "Library", "address": "Station Road", "town": "Ruabon", "postcode": "LL14 6DL", "latitude": 52.987, "longitude": -3.04}"#,
    ] {
        let created = server
            .request(
                reqwest::Method::POST,
                "/v1/admin/sources/wrexham-agency/meetings",
                &[
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/json"),
                ],
                Some(format!(r#"{{"fields": {fields}}}"#).into_bytes()),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        ids.push(created.json()["meeting"]["id"].as_str().unwrap().to_string());
    }
    let reported = server
        .request(
            reqwest::Method::POST,
            &format!("/v1/meetings/{}/reports", ids[0]),
            &[("Content-Type", "application/json")],
            Some(br#"{"reason": "moved", "text": "A sign says the group moved"}"#.to_vec()),
        )
        .await;
    assert_eq!(reported.status, 201, "{}", reported.body);
    let screenshot = root.join("target/editor.png");
    let base = server.base.clone();
    let (token, meeting) = (new.token.clone(), ids[0].clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args([
                "--test",
                "--test-concurrency=1",
                "--test-timeout=60000",
                "tests/browser/editor.test.mjs",
            ])
            .current_dir(root)
            .env("MEETINGMAP_BASE_URL", base)
            .env("MEETINGMAP_CHROMIUM", chromium())
            .env("MEETINGMAP_EDITOR_KEY", token)
            .env("MEETINGMAP_EDITOR_MEETING", meeting)
            .env("MEETINGMAP_EDITOR_SCREENSHOT", screenshot)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs (is Node.js installed?)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the editor's browser tests failed:\n{report}"
    );
    println!("{report}");
}

/// Every browser test file is run by one of the tests above: each names its files (they need
/// different servers), so a new file that none names would otherwise never run, silently.
#[test]
fn every_browser_test_file_is_run() {
    let source = include_str!("browser.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".test.mjs") {
            files += 1;
            assert!(
                source.contains(&format!("\"tests/browser/{name}\"")),
                "tests/browser/{name} is run by no test in tests/it/browser.rs"
            );
        }
    }
    assert!(
        files >= 6,
        "only {files} browser test files found in {}",
        dir.display()
    );
}
