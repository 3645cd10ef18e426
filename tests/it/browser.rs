//! End-to-end tests in a real browser: the embeddable finder on another origin's page and in an
//! iframe (filters, keyboard use, privacy, phone width, an axe-core scan) and the hand-out printed
//! to A4 PDF. The tests are JavaScript in `tests/browser/`, run by node's test runner driving the
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
    let server = TestApp::start(meetings).await;
    let (finder, _finder_dir) = imported_finder(None).await;
    let tiles = tile_server().await;
    let (tiled, _tiled_dir) = imported_finder(Some(&tiles.uri())).await;

    let base = server.base.clone();
    let finder_base = finder.base.clone();
    let (tiled_base, tiles_base) = (tiled.base.clone(), tiles.uri());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .args(["--test", "--test-timeout=60000", "tests/browser/"])
            .current_dir(root)
            .env("MEETINGMAP_BASE_URL", base)
            .env("MEETINGMAP_FINDER_BASE_URL", finder_base)
            .env("MEETINGMAP_TILED_BASE_URL", tiled_base)
            .env("MEETINGMAP_TILES_URL", tiles_base)
            .env("MEETINGMAP_SCREENSHOTS", root.join("target"))
            .env("MEETINGMAP_CHROMIUM", chromium())
            .env("MEETINGMAP_NEAR", NEAR)
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
