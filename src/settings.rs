//! Everything an operator can set, in one typed [`Settings`], read from flags and `MEETINGMAP_*`
//! environment variables.
//!
//! Each setting is declared once, here: its flag, its variable, its default and its help text.
//! The commands flatten the groups they need (`serve` all of them, `import` the database and the
//! source definitions), and the tests build the same structs with [`Settings::new`], so what a test
//! runs is what `meetingmap serve` runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::directory::DEFAULT_MAX_BEHIND;
use crate::gazetteer::remote::Service;

/// The database a command works on.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://meetingmap.db";
/// Where `serve` listens.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// The folder of source definitions.
pub const DEFAULT_IMPORTERS: &str = "importers";
/// Timeout for each request to the geocoder or OSRM.
pub const DEFAULT_REMOTE_TIMEOUT_MS: u64 = 2000;
/// How often a server checks whether another process wrote to its database: writes by
/// `meetingmap import` or another replica are served within about this long.
pub const DEFAULT_WATCH_MS: u64 = 1000;
/// How long a client has to send a request's head (line and headers), in milliseconds.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 5_000;
/// How long a client has to send a request's whole body once its head is in, in milliseconds:
/// the largest body accepted (2 MiB of coverage points) takes well under a second on any link
/// that can use the answer.
pub const DEFAULT_BODY_TIMEOUT_MS: u64 = 10_000;
/// How long a coverage question waits for a free core before it is turned away (503).
pub const DEFAULT_COVERAGE_WAIT_MS: u64 = 2000;
/// How often a server looks whether the data it serves changed since its last coverage trend
/// summary: a look is one comparison of versions (and one row read while a summary is due), and
/// summaries are taken at most hourly anyway, so a minute is prompt enough.
pub const DEFAULT_TRENDS_CHECK_MS: u64 = 60_000;

/// The whole configuration of a running server.
#[derive(Args, Debug, Clone)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub geo: GeoSettings,
    #[command(flatten)]
    pub import: ImportSettings,
    #[command(flatten)]
    pub coverage: CoverageSettings,
    #[command(flatten)]
    pub admin: AdminSettings,
    /// How often to check for writes made by other processes sharing the database (imports,
    /// other replicas), in milliseconds; 0 never checks.
    #[arg(long, env = "MEETINGMAP_WATCH_MS", default_value_t = DEFAULT_WATCH_MS)]
    pub watch_ms: u64,
    /// How many data versions the served snapshot may lag the database before `/ready` says the
    /// server is not ready (so a balancer stops sending it requests until it catches up).
    #[arg(long, env = "MEETINGMAP_READY_MAX_BEHIND", default_value_t = DEFAULT_MAX_BEHIND)]
    pub ready_max_behind: i64,
}

impl Settings {
    /// The defaults every flag has, over the database at `url`, with no background refresh and
    /// no coverage trends kept (each summary is an analysis of Great Britain, which a test
    /// server that does not look at trends should not spend its cores on): what the tests
    /// start from.
    pub fn new(url: &str) -> Settings {
        Settings {
            database: DatabaseSettings { url: url.to_string() },
            http: HttpSettings {
                bind: DEFAULT_BIND.to_string(),
                cors_origins: AllowedOrigins::Any,
                request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
                body_timeout_ms: DEFAULT_BODY_TIMEOUT_MS,
                map_tiles: None,
                map_attribution: None,
            },
            geo: GeoSettings::default(),
            import: ImportSettings {
                sources: SourcesSettings {
                    importers: PathBuf::from(DEFAULT_IMPORTERS),
                },
                no_refresh: true,
            },
            coverage: CoverageSettings {
                trends_check_ms: 0,
                ..CoverageSettings::default()
            },
            admin: AdminSettings::default(),
            watch_ms: DEFAULT_WATCH_MS,
            ready_max_behind: DEFAULT_MAX_BEHIND,
        }
    }

    /// How often to look for other processes' writes, if at all.
    pub fn watch_interval(&self) -> Option<Duration> {
        (self.watch_ms > 0).then(|| Duration::from_millis(self.watch_ms))
    }
}

/// The database.
#[derive(Args, Debug, Clone)]
pub struct DatabaseSettings {
    /// Database URL: sqlite://PATH (created on first use), a file path, or
    /// postgres://USER@HOST/DATABASE (an existing database, shared by several servers).
    #[arg(long = "database", env = "MEETINGMAP_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub url: String,
}

/// The HTTP listener and who may read it from a browser.
#[derive(Args, Debug, Clone)]
pub struct HttpSettings {
    /// Address to listen on.
    #[arg(long, env = "MEETINGMAP_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Web origins allowed to read the API from a browser: `*` (any) or a comma-separated
    /// list such as `https://a.example,https://b.example`.
    #[arg(long, env = "MEETINGMAP_CORS_ORIGINS", default_value = "*", value_parser = AllowedOrigins::parse)]
    pub cors_origins: AllowedOrigins,
    /// Milliseconds a client has to send a request's line and headers (and to close after a
    /// response it has not read) before the connection is dropped: a slow or stalled client
    /// must not hold a connection, and with it a worker's attention, indefinitely.
    #[arg(long, env = "MEETINGMAP_REQUEST_TIMEOUT_MS", default_value_t = DEFAULT_REQUEST_TIMEOUT_MS)]
    pub request_timeout_ms: u64,
    /// Milliseconds a client has to send a request's body (POST coverage points) once its
    /// headers are in; a body shorter than its Content-Length gets a 408 when this passes.
    #[arg(long, env = "MEETINGMAP_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_TIMEOUT_MS)]
    pub body_timeout_ms: u64,
    /// A map tile server for the finder's map, as an `https://` URL template with `{z}`, `{x}`
    /// and `{y}` (e.g. your own `https://tiles.example/{z}/{x}/{y}.png`). Without it the finder
    /// draws a plain map from outlines this server bundles, so a searcher's browser asks no third
    /// party about where they are looking.
    #[arg(long, env = "MEETINGMAP_MAP_TILES", value_parser = parse_tile_template, requires = "map_attribution")]
    pub map_tiles: Option<String>,
    /// The credit the tile server's licence asks for, shown on the map (e.g.
    /// `© OpenStreetMap contributors`); required with `--map-tiles`.
    #[arg(long, env = "MEETINGMAP_MAP_ATTRIBUTION")]
    pub map_attribution: Option<String>,
}

/// Checks a `--map-tiles` template: an absolute http(s) URL with `{z}`, `{x}` and `{y}`.
fn parse_tile_template(text: &str) -> Result<String, String> {
    let text = text.trim();
    let url = reqwest::Url::parse(&text.replace(['{', '}'], "")).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err("must be an http or https URL".into());
    }
    for part in ["{z}", "{x}", "{y}"] {
        if !text.contains(part) {
            return Err(format!("must contain {part}"));
        }
    }
    Ok(text.to_string())
}

impl HttpSettings {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms)
    }

    /// The tile server's origin (`https://tiles.example`), for the finder page's CSP.
    pub fn map_tiles_origin(&self) -> Option<String> {
        let template = self.map_tiles.as_deref()?;
        let url = reqwest::Url::parse(&template.replace(['{', '}'], "")).ok()?;
        Some(url.origin().ascii_serialization())
    }
}

/// Places and travel times: offline unless told otherwise.
#[derive(Args, Debug, Clone)]
pub struct GeoSettings {
    /// Unit postcodes (`postcode,lat,lon,...` CSV, optionally .gz, such as gb-postcodes.csv.gz)
    /// for full-postcode precision; without it a full postcode resolves to its sector.
    #[arg(long, env = "MEETINGMAP_POSTCODES")]
    pub postcodes: Option<PathBuf>,
    /// A remote geocoder asked about full postcodes the local data lacks (and, for Nominatim,
    /// place names it lacks).
    #[arg(long, env = "MEETINGMAP_GEOCODER_URL")]
    pub geocoder_url: Option<String>,
    /// What the remote geocoder is: `postcodes-io` (or compatible) or `nominatim`.
    #[arg(long, env = "MEETINGMAP_GEOCODER", default_value = "postcodes-io")]
    pub geocoder: Service,
    /// OSRM server for walk, cycle and drive travel times (one server routes one profile: see
    /// the per-mode options).
    #[arg(long, env = "MEETINGMAP_OSRM_URL")]
    pub osrm_url: Option<String>,
    /// OSRM server for walking, instead of --osrm-url.
    #[arg(long, env = "MEETINGMAP_OSRM_WALK_URL")]
    pub osrm_walk_url: Option<String>,
    /// OSRM server for cycling, instead of --osrm-url.
    #[arg(long, env = "MEETINGMAP_OSRM_CYCLE_URL")]
    pub osrm_cycle_url: Option<String>,
    /// OSRM server for driving, instead of --osrm-url.
    #[arg(long, env = "MEETINGMAP_OSRM_DRIVE_URL")]
    pub osrm_drive_url: Option<String>,
    /// Timeout for each request to the geocoder or OSRM, in milliseconds.
    #[arg(long, env = "MEETINGMAP_REMOTE_TIMEOUT_MS", default_value_t = DEFAULT_REMOTE_TIMEOUT_MS)]
    pub remote_timeout_ms: u64,
}

impl Default for GeoSettings {
    /// Offline: the bundled places only, estimated travel times.
    fn default() -> GeoSettings {
        GeoSettings {
            postcodes: None,
            geocoder_url: None,
            geocoder: Service::PostcodesIo,
            osrm_url: None,
            osrm_walk_url: None,
            osrm_cycle_url: None,
            osrm_drive_url: None,
            remote_timeout_ms: DEFAULT_REMOTE_TIMEOUT_MS,
        }
    }
}

impl GeoSettings {
    pub fn remote_timeout(&self) -> Duration {
        Duration::from_millis(self.remote_timeout_ms)
    }
}

/// The source definitions, and whether a server refreshes them.
#[derive(Args, Debug, Clone)]
pub struct ImportSettings {
    #[command(flatten)]
    pub sources: SourcesSettings,
    /// Do not refresh sources in the background.
    #[arg(long)]
    pub no_refresh: bool,
}

/// Where the source definitions are.
#[derive(Args, Debug, Clone)]
pub struct SourcesSettings {
    /// Folder of source definitions (one TOML per feed); enabled ones are refreshed on their
    /// interval while serving.
    #[arg(long, env = "MEETINGMAP_IMPORTERS", default_value = DEFAULT_IMPORTERS)]
    pub importers: PathBuf,
}

/// Coverage analyses.
#[derive(Args, Debug, Clone)]
pub struct CoverageSettings {
    #[command(flatten)]
    pub outlines: OutlineSettings,
    /// Coverage analyses that may run at once (default: one per core). Each takes a core for up
    /// to a second; more at once only makes each slower and starves searches.
    #[arg(long, env = "MEETINGMAP_COVERAGE_ANALYSES")]
    pub coverage_analyses: Option<usize>,
    /// How long a coverage question waits for a free analysis before a 503, in milliseconds.
    #[arg(long, env = "MEETINGMAP_COVERAGE_WAIT_MS", default_value_t = DEFAULT_COVERAGE_WAIT_MS)]
    pub coverage_wait_ms: u64,
    /// How often to look whether the served data changed since the last coverage trend summary,
    /// in milliseconds (a summary is then taken, at most one an hour); 0 takes none.
    #[arg(long, env = "MEETINGMAP_TRENDS_CHECK_MS", default_value_t = DEFAULT_TRENDS_CHECK_MS)]
    pub trends_check_ms: u64,
}

impl Default for CoverageSettings {
    fn default() -> CoverageSettings {
        CoverageSettings {
            outlines: OutlineSettings::default(),
            coverage_analyses: None,
            coverage_wait_ms: DEFAULT_COVERAGE_WAIT_MS,
            trends_check_ms: DEFAULT_TRENDS_CHECK_MS,
        }
    }
}

impl CoverageSettings {
    /// At most this many analyses at once.
    pub fn analyses(&self) -> usize {
        self.coverage_analyses.unwrap_or_else(crate::parallel::cores)
    }

    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.coverage_wait_ms)
    }

    /// How often to look for data to summarise for trends, if at all.
    pub fn trends_check(&self) -> Option<Duration> {
        (self.trends_check_ms > 0).then(|| Duration::from_millis(self.trends_check_ms))
    }
}

/// Area outlines, for the coverage report's map and GeoJSON summary (also read by the
/// `coverage` command).
#[derive(Args, Debug, Clone, Default)]
pub struct OutlineSettings {
    /// Area outlines for the coverage report's map and GeoJSON summary: a FeatureCollection of
    /// (Multi)Polygons with `code` and `name` properties, such as uk-lad-2024-bgc.geojson.
    #[arg(long, env = "MEETINGMAP_BOUNDARIES")]
    pub boundaries: Option<PathBuf>,
}

/// Changing the directory by hand (keys are made with `meetingmap keys`).
#[derive(Args, Debug, Clone)]
pub struct AdminSettings {
    /// How many problem reports one client may send per hour (`POST /v1/meetings/{id}/reports`
    /// and the report form); clients are told apart without keeping their addresses.
    #[arg(long, env = "MEETINGMAP_REPORTS_PER_HOUR", default_value_t = DEFAULT_REPORTS_PER_HOUR)]
    pub reports_per_hour: u32,
}

/// Enough for someone reporting several meetings they found closed on one evening's round.
pub const DEFAULT_REPORTS_PER_HOUR: u32 = 10;

impl Default for AdminSettings {
    fn default() -> AdminSettings {
        AdminSettings {
            reports_per_hour: DEFAULT_REPORTS_PER_HOUR,
        }
    }
}

/// The origins allowed to read the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Any page (`*`).
    Any,
    /// Only these origins (`scheme://host[:port]`, lower case).
    Only(Vec<String>),
}

impl AllowedOrigins {
    /// Reads `*` or a comma-separated list of origins such as
    /// `https://a.example,https://b.example:8443`.
    pub fn parse(text: &str) -> Result<AllowedOrigins, String> {
        let items: Vec<&str> = text.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        match items.as_slice() {
            [] => Err("give `*` or at least one origin such as https://example.org".into()),
            ["*"] => Ok(AllowedOrigins::Any),
            _ => items
                .iter()
                .map(|item| origin(item))
                .collect::<Result<Vec<_>, _>>()
                .map(AllowedOrigins::Only),
        }
    }
}

/// Checks one origin and puts it in the form browsers send (`Origin` has no path and a lower-case
/// scheme and host).
fn origin(text: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("`{text}` is not an origin: {why}"));
    let lower = text.to_ascii_lowercase();
    let Some((scheme, rest)) = lower.split_once("://") else {
        return bad("expected scheme://host[:port], such as https://example.org");
    };
    if scheme != "http" && scheme != "https" {
        return bad("the scheme must be http or https");
    }
    let host_port = rest.strip_suffix('/').unwrap_or(rest);
    if host_port.is_empty() {
        return bad("it has no host");
    }
    if host_port.contains(['/', '?', '#', '@', '*', ' ']) {
        return bad("give only scheme, host and port (no path, query, user or wildcard)");
    }
    if let Some((_, port)) = host_port.rsplit_once(':').filter(|_| !host_port.ends_with(']')) {
        if port.parse::<u16>().is_err() {
            return bad("the port must be a number from 0 to 65535");
        }
    }
    Ok(format!("{scheme}://{host_port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_tile_template_with_its_placeholders() {
        let ok = "https://tiles.example/{z}/{x}/{y}.png";
        assert_eq!(parse_tile_template(ok), Ok(ok.to_string()));
        assert!(parse_tile_template("https://tiles.example/{z}/{x}.png").is_err());
        assert!(parse_tile_template("ftp://tiles.example/{z}/{x}/{y}").is_err());
        assert!(parse_tile_template("tiles/{z}/{x}/{y}").is_err());
        let mut http = Settings::new("sqlite://x").http;
        http.map_tiles = Some(ok.into());
        assert_eq!(http.map_tiles_origin().as_deref(), Some("https://tiles.example"));
    }

    #[test]
    fn reads_any_or_a_list_of_origins() {
        assert_eq!(AllowedOrigins::parse("*"), Ok(AllowedOrigins::Any));
        assert_eq!(
            AllowedOrigins::parse(" https://A.example , http://b.example:8080/ "),
            Ok(AllowedOrigins::Only(vec![
                "https://a.example".into(),
                "http://b.example:8080".into()
            ]))
        );
        assert_eq!(
            AllowedOrigins::parse("http://[::1]:3000"),
            Ok(AllowedOrigins::Only(vec!["http://[::1]:3000".into()]))
        );
    }

    #[test]
    fn refuses_what_is_not_an_origin() {
        for bad in [
            "",
            " , ",
            "a.example",
            "ftp://a.example",
            "https://",
            "https://a.example/path",
            "https://*.example",
            "https://a.example:port",
            "https://a.example,*",
        ] {
            assert!(AllowedOrigins::parse(bad).is_err(), "{bad:?}");
        }
    }
}
