//! Shared test helpers: hand-made meetings, the real application on port 0 (`TestApp`), and the
//! real binary (`ServeProcess`).

use std::net::TcpListener;

use meetingmap::app::App;
use meetingmap::directory::Directory;
use meetingmap::domain::{
    Access, Attendance, Day, Fellowship, LocalTime, Location, Meeting, MeetingType, Online, Schedule,
    SourceRef, Status, Zone, EARTH_RADIUS_KM,
};
use meetingmap::places::Geo;
use meetingmap::settings::{AllowedOrigins, Settings};
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
            raw: Default::default(),
        },
        updated_at: "2026-10-01T12:00:00Z".parse().unwrap(),
        last_seen_at: "2026-11-01T12:00:00Z".parse().unwrap(),
        reported: None,
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

/// Stands for "a fresh database of the backend under test" in a builder's settings until `start`.
const TEST_DATABASE: &str = "test-database:";

/// The variable that runs the tests against PostgreSQL: the URL of a server where the tests may
/// create databases (`.ci/postgres.sh start` prints one). Every `TestApp` then gets a fresh
/// database of its own there instead of a fresh SQLite file.
pub const POSTGRES_URL_VAR: &str = "MEETINGMAP_TEST_POSTGRES_URL";
/// With `MEETINGMAP_TEST_BACKEND=postgres` (and [`POSTGRES_URL_VAR`]), `TestApp` uses PostgreSQL.
pub const BACKEND_VAR: &str = "MEETINGMAP_TEST_BACKEND";

/// A fresh database for one test: PostgreSQL when [`BACKEND_VAR`] says so (with the guard that
/// drops it), else SQLite in `dir`.
pub async fn test_database(dir: &std::path::Path) -> (String, Option<PostgresDatabase>) {
    match std::env::var(BACKEND_VAR).as_deref() {
        Ok("postgres") => {
            let admin = std::env::var(POSTGRES_URL_VAR)
                .unwrap_or_else(|_| panic!("{BACKEND_VAR}=postgres needs {POSTGRES_URL_VAR}"));
            let database = PostgresDatabase::create(&admin).await;
            (database.url.clone(), Some(database))
        }
        Ok("sqlite") | Err(_) => (format!("sqlite://{}", dir.join("test.db").display()), None),
        Ok(other) => panic!("{BACKEND_VAR}={other}: expected sqlite or postgres"),
    }
}

/// The PostgreSQL server tests may use, if any: `None` means skip (outside CI) or fail (under CI).
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var(POSTGRES_URL_VAR).ok();
    can_run(url.is_none().then(|| {
        format!("no PostgreSQL server (start one with `.ci/postgres.sh start` and set {POSTGRES_URL_VAR})")
    }))
    .then(|| url.unwrap())
}

/// An empty database made for one test on the server at `admin` (a URL whose user may create
/// databases), dropped with this value. Names are random, so tests running at once never share
/// one.
pub struct PostgresDatabase {
    pub url: String,
    admin: String,
    name: String,
}

impl PostgresDatabase {
    pub async fn create(admin: &str) -> PostgresDatabase {
        use sqlx::Connection;
        let name = format!("meetingmap_test_{:016x}", rand::random::<u64>());
        let mut connection = sqlx::PgConnection::connect(admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await
            .unwrap();
        connection.close().await.unwrap();
        let mut url = reqwest::Url::parse(admin).unwrap();
        url.set_path(&format!("/{name}"));
        PostgresDatabase {
            url: url.to_string(),
            admin: admin.to_string(),
            name,
        }
    }
}

impl Drop for PostgresDatabase {
    /// Drops the database (disconnecting whoever still uses it), on a thread of its own since a
    /// test's runtime may be the one dropping it.
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    use sqlx::Connection;
                    let mut connection = sqlx::PgConnection::connect(&admin).await?;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await?;
                    connection.close().await
                })
        });
        if let Ok(Err(e)) = dropped.join() {
            eprintln!("cannot drop test database {}: {e}", self.name);
        }
    }
}

/// The real application, built by `App::build` from `Settings` as `meetingmap serve` builds it,
/// serving a fresh database (SQLite, or PostgreSQL: see [`BACKEND_VAR`]) on a port of 127.0.0.1.
pub struct TestApp {
    pub base: String,
    pub directory: Directory,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
    _postgres: Option<PostgresDatabase>,
}

/// What a test changes from the defaults before starting a [`TestApp`].
pub struct TestAppBuilder {
    meetings: Vec<Meeting>,
    settings: Settings,
    geo: Option<Geo>,
    dir: tempfile::TempDir,
}

impl TestAppBuilder {
    /// The meetings the directory starts with (normalised, as an import would).
    pub fn meetings(mut self, meetings: Vec<Meeting>) -> Self {
        self.meetings = meetings;
        self
    }

    /// Any setting, as a flag or environment variable would give it.
    pub fn settings(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.settings);
        self
    }

    /// Only these origins may read the API from a browser.
    pub fn cors(self, origins: AllowedOrigins) -> Self {
        self.settings(|s| s.http.cors_origins = origins)
    }

    /// Area outlines for the coverage report, written to a file and read as `--boundaries` is.
    pub fn boundaries_geojson(self, geojson: &str) -> Self {
        let path = self.dir.path().join("boundaries.geojson");
        std::fs::write(&path, geojson).unwrap();
        self.settings(|s| s.coverage.outlines.boundaries = Some(path))
    }

    /// Places and travel services made by the test instead of from the settings.
    pub fn geo(mut self, geo: Geo) -> Self {
        self.geo = Some(geo);
        self
    }

    pub async fn start(self) -> TestApp {
        let TestAppBuilder {
            meetings,
            mut settings,
            geo,
            dir,
        } = self;
        let mut postgres = None;
        if settings.database.url == TEST_DATABASE {
            (settings.database.url, postgres) = test_database(dir.path()).await;
        }
        let app = match geo {
            Some(geo) => App::build_with_geo(settings, geo).await,
            None => App::build(settings).await,
        }
        .unwrap();
        let directory = app.directory().clone();
        let meetings: Vec<_> = meetings.into_iter().map(|m| m.normalise().unwrap()).collect();
        if !meetings.is_empty() {
            directory.put_meetings(&meetings).await.unwrap();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(app.serve(listener).unwrap());
        TestApp {
            base,
            directory,
            client: reqwest::Client::new(),
            _dir: dir,
            _postgres: postgres,
        }
    }
}

/// A response as a test reads it.
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl TestResponse {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

impl TestApp {
    /// Defaults: an empty directory in a fresh database, offline places, any origin, no
    /// background refresh.
    pub fn builder() -> TestAppBuilder {
        let dir = tempfile::tempdir().unwrap();
        // Made at `start` (a PostgreSQL database is made asynchronously).
        let mut settings = Settings::new(TEST_DATABASE);
        // No source definitions: tests say what they import.
        settings.import.sources.importers = dir.path().join("importers");
        TestAppBuilder {
            meetings: Vec::new(),
            settings,
            geo: None,
            dir,
        }
    }

    /// The application with the default settings over `meetings`.
    pub async fn start(meetings: Vec<Meeting>) -> TestApp {
        TestApp::builder().meetings(meetings).start().await
    }

    /// Sends `method` to `path_and_query` with `headers` and `body`; the one helper behind the
    /// others.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> TestResponse {
        let mut request = self
            .client
            .request(method, format!("{}{path_and_query}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.unwrap();
        TestResponse {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// GETs `path_and_query` as JSON; any error must be problem+json carrying its status.
    pub async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = self
            .request(reqwest::Method::GET, path_and_query, &[], None)
            .await;
        let body = response.json();
        if response.status >= 400 {
            assert_eq!(
                response.header("content-type"),
                Some("application/problem+json"),
                "{path_and_query}"
            );
            assert_eq!(body["status"], response.status, "{body}");
        }
        (response.status, body)
    }

    /// Ids of the meetings a search returns, in order; panics on anything but 200.
    pub async fn ids(&self, query: &str) -> Vec<String> {
        let (status, body) = self.get(&format!("/v1/meetings?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        ids(&body)
    }
}

/// The `id` of each item under `meetings` in a search page, in order.
pub fn ids(page: &Value) -> Vec<String> {
    page["meetings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

/// Runs the `meetingmap` binary with `args`, as a user would, and returns what it printed; fails
/// the test, with what it said on stderr, unless it succeeds.
pub fn meetingmap(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
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

impl ServeProcess {
    /// Asks the server to stop (SIGTERM, as an orchestrator does) and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.child.wait().unwrap()
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

/// Runs headless Chromium once over `url` with `output` (such as `--screenshot=PATH` or
/// `--print-to-pdf=PATH`), as the tests run it: as root without a sandbox, no GPU, none of the
/// background connections a closed network refuses, a fresh profile. Fails the test if Chromium
/// fails or takes over a minute. Blocking: call it off the runtime that serves `url`.
pub fn run_chromium(url: &str, output: &[String]) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(output)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            return;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium took over a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
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
