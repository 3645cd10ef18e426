//! Shared test helpers: hand-made meetings and a real server on port 0.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::TcpListener;
use std::sync::Arc;

use meetingmap::coverage::boundaries::Boundaries;
use meetingmap::coverage::CoverageState;
use meetingmap::directory::Directory;
use meetingmap::domain::{
    Access, Attendance, Day, Fellowship, LocalTime, Location, Meeting, MeetingType, Online, Schedule,
    SourceRef, Status, Zone, EARTH_RADIUS_KM,
};
use meetingmap::http::{self, AllowedOrigins, AppState};
use meetingmap::places::Geo;
use serde_json::Value;

/// Wrexham, the centre of most hand-made geography here.
pub const HOME: (f64, f64) = (53.0462, -2.9930);

/// The point `km` kilometres due north (positive) or south of `from`.
pub fn north_of(from: (f64, f64), km: f64) -> (f64, f64) {
    (from.0 + (km / EARTH_RADIUS_KM).to_degrees(), from.1)
}

/// An open AA meeting in person at `at`, Mondays 19:00 for an hour, Europe/London.
pub fn meeting(id: &str, at: (f64, f64)) -> Meeting {
    Meeting {
        id: id.into(),
        fellowship: Fellowship::parse("aa").unwrap(),
        name: format!("Meeting {id}"),
        group_name: None,
        schedule: Some(Schedule::weekly_london(
            Day::Mon,
            LocalTime::from_hm(19, 0).unwrap(),
            60,
        )),
        access: Access::Open,
        attendance: Attendance::InPerson,
        types: vec![MeetingType::parse("language:en").unwrap()],
        location: Some(Location {
            venue: Some("Church Hall".into()),
            address_lines: vec!["1 High Street".into()],
            town: Some("Wrexham".into()),
            postcode: Some("LL11 1AA".into()),
            country: Some("GB".into()),
            lat: Some(at.0),
            lon: Some(at.1),
            approximate: false,
            notes: None,
        }),
        online: None,
        notes: None,
        status: Status::Active,
        source_types: Vec::new(),
        also_listed_by: Vec::new(),
        first_seen_at: "2026-09-01T12:00:00Z".parse().unwrap(),
        source: SourceRef {
            id: "test".into(),
            name: "Test feed".into(),
            attribution: "Made up for tests".into(),
            record_id: Some(id.into()),
        },
        updated_at: "2026-10-01T12:00:00Z".parse().unwrap(),
        last_seen_at: "2026-11-01T12:00:00Z".parse().unwrap(),
    }
}

/// The same meeting held online only.
pub fn online(id: &str) -> Meeting {
    let mut m = meeting(id, HOME);
    m.attendance = Attendance::Online;
    m.location = None;
    m.online = Some(Online {
        url: Some("https://example.invalid/room".into()),
        phone: None,
        notes: None,
    });
    m
}

pub fn with_schedule(mut m: Meeting, day: Day, time: &str, minutes: u16, zone: &str) -> Meeting {
    m.schedule = Some(
        Schedule::new(
            day,
            LocalTime::parse(time).unwrap(),
            minutes,
            Zone::get(zone).unwrap(),
            vec![],
        )
        .unwrap(),
    );
    m
}

pub fn with_types(mut m: Meeting, types: &[&str]) -> Meeting {
    m.types = types.iter().map(|t| MeetingType::parse(t).unwrap()).collect();
    m
}

pub struct TestServer {
    pub base: String,
    pub directory: Directory,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts the real server on port 0 over a fresh SQLite database holding `meetings`, with the
    /// offline gazetteer and estimated travel times.
    pub async fn start(meetings: Vec<Meeting>) -> TestServer {
        TestServer::start_with(meetings, Geo::offline()).await
    }

    /// [`TestServer::start`] with the given places and routing services.
    pub async fn start_with(meetings: Vec<Meeting>, geo: Geo) -> TestServer {
        TestServer::launch(meetings, geo, CoverageState::default(), AllowedOrigins::Any).await
    }

    /// [`TestServer::start_with`], letting only `cors` read the API from browsers.
    pub async fn start_configured(meetings: Vec<Meeting>, geo: Geo, cors: AllowedOrigins) -> TestServer {
        TestServer::launch(meetings, geo, CoverageState::default(), cors).await
    }

    /// [`TestServer::start`] with area outlines for the coverage report.
    pub async fn start_with_boundaries(meetings: Vec<Meeting>, boundaries: Boundaries) -> TestServer {
        TestServer::start_with_coverage(meetings, CoverageState::new(Some(boundaries))).await
    }

    /// [`TestServer::start`] with the given coverage outlines and limits.
    pub async fn start_with_coverage(meetings: Vec<Meeting>, coverage: CoverageState) -> TestServer {
        TestServer::launch(meetings, Geo::offline(), coverage, AllowedOrigins::Any).await
    }

    async fn launch(
        meetings: Vec<Meeting>,
        geo: Geo,
        coverage: CoverageState,
        cors: AllowedOrigins,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let directory = Directory::open(&url).await.unwrap();
        let meetings: Vec<_> = meetings.into_iter().map(|m| m.normalise().unwrap()).collect();
        if !meetings.is_empty() {
            directory.put_meetings(&meetings).await.unwrap();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = http::serve(
            listener,
            AppState {
                index: directory.index.clone(),
                store: directory.store.clone(),
                sources: Arc::new(Vec::new()),
                geo: Arc::new(geo),
                coverage: Arc::new(coverage),
            },
            cors,
        )
        .unwrap();
        tokio::spawn(server);
        TestServer {
            base,
            directory,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status >= 400 {
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "{path_and_query}"
            );
            assert_eq!(body["status"], status, "{body}");
        }
        (status, body)
    }

    /// Ids of the meetings a search returns, in order; panics on anything but 200.
    pub async fn ids(&self, query: &str) -> Vec<String> {
        let (status, body) = self.get(&format!("/v1/meetings?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        body["meetings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    }
}

/// `meetingmap serve` run as a real process on a free port, killed when dropped (also when the
/// test fails).
pub struct ServeProcess {
    child: std::process::Child,
    pub base: String,
}

impl ServeProcess {
    /// Starts `command` (`serve --bind 127.0.0.1:0 ...`) and waits for the URL it prints.
    pub fn start(mut command: std::process::Command) -> ServeProcess {
        use std::io::{BufRead, BufReader};
        let mut child = command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("serve printed no URL: {line:?}"))
            .trim_end_matches('/')
            .to_string();
        ServeProcess { child, base }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Chromium the browser tests drive: `MEETINGMAP_CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium() -> std::path::PathBuf {
    std::env::var_os("MEETINGMAP_CHROMIUM")
        .map_or_else(|| "/usr/bin/chromium".into(), std::path::PathBuf::from)
}

/// Whether a test whose tools may be missing can run: `missing` says why not. Without them it is
/// skipped (saying why), except under CI (`CI=true`), where `.ci/run` installs them and their
/// absence is a failure.
pub fn can_run(missing: Option<String>) -> bool {
    let Some(why) = missing else { return true };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "this test cannot run under CI: {why}"
    );
    println!("skipped: {why}");
    false
}

/// Why Chromium cannot be driven here, if it cannot.
pub fn chromium_missing() -> Option<String> {
    let path = chromium();
    (!path.is_file()).then(|| format!("no Chromium at {} (set MEETINGMAP_CHROMIUM)", path.display()))
}
