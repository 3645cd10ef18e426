//! The `meetingmap` command line.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::coverage::boundaries::Boundaries;
use crate::coverage::{
    BundledPoints, CoverageQuestion, CoverageState, Level, Output as CoverageOutput, QuestionSpec,
};
use crate::directory::Directory;
use crate::domain::{Access, Attendance, Day, LocalTime, MeetingType};
use crate::domain::{Fellowship, ImportOutcome, ImportRun, Meeting, Zone};
use crate::formats::csv_feed::CsvMapping;
use crate::gazetteer::remote::{RemoteGeocoder, Service};
use crate::gazetteer::Gazetteer;
use crate::http::{self, AllowedOrigins, AppState};
use crate::import::fetch::Fetcher;
use crate::import::source::{FeedFormat, Location, SourceDefinition};
use crate::import::{ImportOptions, Importer};
use crate::places::Geo;
use crate::travel::osrm::{Osrm, OsrmConfig};
use crate::travel::Mode;

#[derive(Parser)]
#[command(
    name = "meetingmap",
    version,
    about = "A directory of mutual aid meetings with a search API"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Database {
    /// Database URL: sqlite://PATH (created on first use) or a file path.
    #[arg(
        long = "database",
        env = "MEETINGMAP_DATABASE_URL",
        default_value = "sqlite://meetingmap.db"
    )]
    url: String,
}

/// Places and travel times: offline unless told otherwise.
#[derive(Args)]
struct GeoArgs {
    /// Unit postcodes (`postcode,lat,lon,...` CSV, optionally .gz, such as gb-postcodes.csv.gz)
    /// for full-postcode precision; without it a full postcode resolves to its sector.
    #[arg(long, env = "MEETINGMAP_POSTCODES")]
    postcodes: Option<PathBuf>,
    /// A remote geocoder asked about full postcodes the local data lacks (and, for Nominatim,
    /// place names it lacks).
    #[arg(long, env = "MEETINGMAP_GEOCODER_URL")]
    geocoder_url: Option<String>,
    /// What the remote geocoder is: `postcodes-io` (or compatible) or `nominatim`.
    #[arg(long, env = "MEETINGMAP_GEOCODER", default_value = "postcodes-io")]
    geocoder: Service,
    /// OSRM server for walk, cycle and drive travel times (one server routes one profile: see
    /// the per-mode options).
    #[arg(long, env = "MEETINGMAP_OSRM_URL")]
    osrm_url: Option<String>,
    /// OSRM server for walking, instead of --osrm-url.
    #[arg(long, env = "MEETINGMAP_OSRM_WALK_URL")]
    osrm_walk_url: Option<String>,
    /// OSRM server for cycling, instead of --osrm-url.
    #[arg(long, env = "MEETINGMAP_OSRM_CYCLE_URL")]
    osrm_cycle_url: Option<String>,
    /// OSRM server for driving, instead of --osrm-url.
    #[arg(long, env = "MEETINGMAP_OSRM_DRIVE_URL")]
    osrm_drive_url: Option<String>,
    /// Timeout for each request to the geocoder or OSRM, in milliseconds.
    #[arg(long, env = "MEETINGMAP_REMOTE_TIMEOUT_MS", default_value_t = 2000)]
    remote_timeout_ms: u64,
}

impl GeoArgs {
    fn build(self) -> anyhow::Result<Geo> {
        let timeout = std::time::Duration::from_millis(self.remote_timeout_ms);
        let mut gazetteer = Gazetteer::bundled();
        if let Some(path) = &self.postcodes {
            let started = std::time::Instant::now();
            let count = gazetteer.load_units(path)?;
            println!(
                "loaded {count} unit postcodes from {} in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
        }
        let remote = self
            .geocoder_url
            .as_deref()
            .map(|url| RemoteGeocoder::new(self.geocoder, url, timeout))
            .transpose()?;
        let osrm = Osrm::new(
            &OsrmConfig {
                all: self.osrm_url,
                walk: self.osrm_walk_url,
                cycle: self.osrm_cycle_url,
                drive: self.osrm_drive_url,
            },
            timeout,
        )?;
        Ok(Geo {
            gazetteer: Arc::new(gazetteer),
            remote,
            osrm,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "MEETINGMAP_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        #[command(flatten)]
        database: Database,
        /// Load demo data first if the database is empty.
        #[arg(long)]
        demo: bool,
        /// How many demo meetings `--demo` loads.
        #[arg(long, default_value_t = 20_000)]
        demo_meetings: usize,
        #[command(flatten)]
        geo: GeoArgs,
        /// Folder of source definitions (one TOML per feed); enabled ones are refreshed on their
        /// interval while serving.
        #[arg(long, env = "MEETINGMAP_IMPORTERS", default_value = "importers")]
        importers: PathBuf,
        /// Do not refresh sources in the background.
        #[arg(long)]
        no_refresh: bool,
        /// Web origins allowed to read the API from a browser: `*` (any) or a comma-separated
        /// list such as `https://a.example,https://b.example`.
        #[arg(long, env = "MEETINGMAP_CORS_ORIGINS", default_value = "*", value_parser = AllowedOrigins::parse)]
        cors_origins: AllowedOrigins,
        /// Area outlines for the coverage report's map and GeoJSON summary: a FeatureCollection of
        /// (Multi)Polygons with `code` and `name` properties, such as uk-lad-2024-bgc.geojson.
        #[arg(long, env = "MEETINGMAP_BOUNDARIES")]
        boundaries: Option<PathBuf>,
    },
    /// Coverage of meetings over demand points: the HTML report, or the summary or gaps.
    Coverage(CoverageArgs),
    /// Import feeds: defined sources, or one file.
    Import {
        /// Source ids to import (repeatable).
        #[arg(long = "source", conflicts_with_all = ["all", "file"])]
        sources: Vec<String>,
        /// Import every enabled source.
        #[arg(long, conflicts_with = "file")]
        all: bool,
        /// Import this file instead of a defined source.
        #[arg(long, requires = "format")]
        file: Option<PathBuf>,
        /// Format of --file.
        #[arg(long, value_parser = ["meeting-guide", "bmlt", "csv"])]
        format: Option<String>,
        /// Fellowship of records in --file that do not say.
        #[arg(long)]
        fellowship: Option<String>,
        /// Column mapping (TOML) for a CSV --file; default: the TSML template's columns.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Source id for --file (default: the file name).
        #[arg(long)]
        source_id: Option<String>,
        /// Time zone of --file's meetings when records do not say.
        #[arg(long, default_value = "Europe/London")]
        timezone: String,
        /// Import even if the feed shrank by more than the source allows.
        #[arg(long)]
        force: bool,
        #[arg(long, env = "MEETINGMAP_IMPORTERS", default_value = "importers")]
        importers: PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Create or update the database schema.
    Migrate {
        #[command(flatten)]
        database: Database,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Replace the demo source with a deterministic synthetic GB dataset.
    DemoData {
        #[arg(long, default_value_t = 20_000)]
        meetings: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        database: Database,
    },
    /// Write every meeting as JSON (the backup format).
    Export {
        /// File to write; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        database: Database,
    },
    /// Load meetings from an export file, inserting or overwriting by id.
    Load {
        file: PathBuf,
        #[command(flatten)]
        database: Database,
    },
}

/// `meetingmap coverage`: the parameters of `/v1/coverage`, as options.
#[derive(Args)]
struct CoverageArgs {
    /// Fellowship codes, comma-separated (default: every fellowship).
    #[arg(long, value_delimiter = ',', value_parser = Flag::<Fellowship>::reader)]
    fellowship: Option<Vec<Flag<Fellowship>>>,
    /// `open` or `closed`.
    #[arg(long, value_parser = Flag::<Access>::reader)]
    access: Option<Flag<Access>>,
    /// `in_person`, `hybrid`, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = Flag::<Attendance>::reader)]
    attendance: Vec<Flag<Attendance>>,
    /// Weekdays (`sun`..`sat`), comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = Flag::<Day>::reader)]
    day: Vec<Flag<Day>>,
    /// Earliest local start time, `HH:MM`.
    #[arg(long, value_parser = Flag::<LocalTime>::reader)]
    start_after: Option<Flag<LocalTime>>,
    /// Latest local start time, `HH:MM`.
    #[arg(long, value_parser = Flag::<LocalTime>::reader)]
    start_before: Option<Flag<LocalTime>>,
    /// Meeting types that must all apply, comma-separated.
    #[arg(long = "type", value_delimiter = ',', value_parser = Flag::<MeetingType>::reader)]
    types: Vec<Flag<MeetingType>>,
    /// Within reach: this straight-line distance in km.
    #[arg(long, value_parser = number)]
    max_km: Option<f64>,
    /// Within reach: this many estimated minutes by --mode.
    #[arg(long, value_parser = number)]
    max_minutes: Option<f64>,
    /// `walk`, `cycle`, `drive` or `transit`.
    #[arg(long, value_parser = Flag::<Mode>::reader)]
    mode: Option<Flag<Mode>>,
    /// `lad`, `utla` or `nation`.
    #[arg(long, value_parser = Flag::<Level>::reader)]
    level: Option<Flag<Level>>,
    /// Only this area's code (at --level).
    #[arg(long)]
    area: Option<String>,
    /// Demand points: `sectors` (default), `places`, or a CSV file with `lat`, `lon` and `weight`
    /// columns (write `./places` for a file called places).
    #[arg(long)]
    points: Option<String>,
    /// Gaps listed with `--gaps` (default 100).
    #[arg(long, value_parser = count)]
    limit: Option<usize>,
    /// As `format=` on /v1/coverage: `html` (the report), or the summary per area as `json`,
    /// `geojson` (area outlines from --boundaries) or `csv`; with --gaps, the gaps as `json`,
    /// `geojson` or `csv`.
    #[arg(long, default_value = "html", value_parser = ["html", "json", "geojson", "csv"])]
    format: String,
    /// The points out of reach (as /v1/coverage/gaps) instead of the summary.
    #[arg(long)]
    gaps: bool,
    /// Area outlines for the report's map and GeoJSON summary (as for `serve --boundaries`).
    #[arg(long, env = "MEETINGMAP_BOUNDARIES")]
    boundaries: Option<PathBuf>,
    /// File to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    database: Database,
}

/// An option's value read by its type, or why it does not read. Clap stops at the first value it
/// refuses; these are kept and reported together with the question's own objections, so every
/// bad option is named at once, as the API names every bad parameter.
#[derive(Clone, Debug)]
struct Flag<T>(Result<T, String>);

/// A value of a typed option: how it reads, and what to say when it does not.
trait FlagValue: Sized + Clone + Send + Sync + 'static {
    fn read(text: &str) -> Option<Self>;
    const EXPECTED: &'static str;
}

macro_rules! flag_value {
    ($($ty:ty: $parse:expr, $expected:literal;)*) => {$(
        impl FlagValue for $ty {
            fn read(text: &str) -> Option<Self> {
                $parse(text)
            }
            const EXPECTED: &'static str = $expected;
        }
    )*};
}

flag_value! {
    Fellowship: Fellowship::parse, "a fellowship code (see `/v1/fellowships`)";
    Access: Access::parse, "open or closed";
    Attendance: Attendance::parse, "in_person, online or hybrid";
    Day: Day::parse, "sun, mon, tue, wed, thu, fri or sat";
    LocalTime: LocalTime::parse, "a local time HH:MM";
    MeetingType: MeetingType::parse, "a type code (see `/v1/types`)";
    Mode: Mode::parse, "walk, cycle, drive or transit";
    Level: Level::parse, "lad, utla or nation";
}

impl<T: FlagValue> Flag<T> {
    /// Clap's value parser: never fails, the failure is kept.
    fn reader(text: &str) -> Result<Flag<T>, String> {
        Ok(Flag(T::read(text).ok_or_else(|| {
            format!("must be {}, not `{}`", T::EXPECTED, text.trim())
        })))
    }
}

/// A number option: one that does not read is out of range, and the question says so.
fn number(text: &str) -> Result<f64, String> {
    Ok(text.trim().parse().unwrap_or(f64::NAN))
}

/// A count option: one that does not read is out of range (0), and the question says so.
fn count(text: &str) -> Result<usize, String> {
    Ok(text.trim().parse().unwrap_or(0))
}

/// Collects the values of typed options, noting the first that did not read under `name`.
struct Flags(Vec<(String, String)>);

impl Flags {
    fn one<T>(&mut self, name: &str, flag: &Option<Flag<T>>) -> Option<T>
    where
        T: Clone,
    {
        match flag.as_ref()?.0.clone() {
            Ok(value) => Some(value),
            Err(reason) => {
                self.note(name, reason);
                None
            }
        }
    }

    fn all<T: Clone>(&mut self, name: &str, flags: &[Flag<T>]) -> Vec<T> {
        flags
            .iter()
            .filter_map(|f| match f.0.clone() {
                Ok(value) => Some(value),
                Err(reason) => {
                    self.note(name, reason);
                    None
                }
            })
            .collect()
    }

    fn note(&mut self, name: &str, reason: String) {
        if !self.0.iter().any(|(n, _)| n == name) {
            self.0.push((name.to_string(), reason));
        }
    }
}

impl CoverageArgs {
    /// The options as a coverage question, checked by the same rules as the API's.
    fn query(&self) -> anyhow::Result<CoverageQuestion> {
        let (points, supplied) = match self.points.as_deref() {
            None => (None, None),
            Some(text) => match BundledPoints::parse(text) {
                Some(keyword) => (Some(keyword), None),
                None => {
                    let reader = std::fs::File::open(text).with_context(|| format!("cannot read {text}"))?;
                    let mut points = crate::coverage::read_points(reader)
                        .with_context(|| format!("points file {text}"))?;
                    crate::coverage::place_in_areas(&mut points);
                    (None, Some(points))
                }
            },
        };
        let mut flags = Flags(Vec::new());
        let spec = QuestionSpec {
            fellowships: self.fellowship.as_ref().map(|f| flags.all("fellowship", f)),
            access: flags.one("access", &self.access),
            attendance: flags.all("attendance", &self.attendance),
            days: flags.all("day", &self.day),
            start_after: flags.one("start_after", &self.start_after),
            start_before: flags.one("start_before", &self.start_before),
            types: flags.all("type", &self.types),
            max_km: self.max_km,
            max_minutes: self.max_minutes,
            mode: flags.one("mode", &self.mode),
            level: flags.one("level", &self.level),
            area: self.area.clone(),
            points,
            supplied,
            limit: self.limit,
        };
        let refused = match spec.check() {
            Ok(question) if flags.0.is_empty() => return Ok(question),
            Ok(_) => Vec::new(),
            Err(refused) => refused.0,
        };
        // One reason per option that did not read: it is not also "required".
        let unread = flags.0.len();
        for (name, reason) in refused {
            if !flags.0[..unread].iter().any(|(n, _)| *n == name) {
                flags.0.push((name, reason));
            }
        }
        bail!(
            "{}",
            flags
                .0
                .iter()
                .map(|(name, reason)| format!("--{} {reason}", name.replace('_', "-")))
                .collect::<Vec<_>>()
                .join("; ")
        )
    }
}

/// The backup file: the API's own meeting representation, with a header.
#[derive(Serialize, Deserialize)]
pub struct ExportFile {
    pub format: String,
    pub exported_at: Timestamp,
    pub meetings: Vec<Meeting>,
}

const EXPORT_FORMAT: &str = "meetingmap-export-v1";

/// A one-off source for `import --file`.
fn file_source(
    file: &std::path::Path,
    format: Option<&str>,
    fellowship: Option<String>,
    mapping: Option<PathBuf>,
    source_id: Option<String>,
    timezone: &str,
) -> anyhow::Result<SourceDefinition> {
    let format = format
        .and_then(FeedFormat::parse)
        .context("--format must be meeting-guide, bmlt or csv")?;
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("file")
        .to_ascii_lowercase();
    let id = source_id.unwrap_or_else(|| {
        stem.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    });
    let csv = match (format, mapping) {
        (FeedFormat::Csv, Some(path)) => {
            let text =
                std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                CsvMapping::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("mapping {}: {e}", path.display()))?,
            )
        }
        (FeedFormat::Csv, None) => Some(CsvMapping::tsml()),
        (_, Some(_)) => bail!("--mapping is for --format csv"),
        (_, None) => None,
    };
    Ok(SourceDefinition {
        name: format!("File {}", file.display()),
        id,
        format,
        fellowship: match fellowship {
            Some(code) => {
                Some(Fellowship::parse(&code).with_context(|| format!("unknown fellowship `{code}`"))?)
            }
            None => None,
        },
        location: Location::File(file.to_path_buf()),
        formats: None,
        refresh_hours: 24.0,
        timezone: Zone::get(timezone).with_context(|| format!("`{timezone}` is not an IANA time zone"))?,
        country: None,
        attribution: format!("Imported from {}", file.display()),
        enabled: false,
        max_shrink: 0.5,
        bounds: None,
        csv,
        roomless: Default::default(),
        notes: None,
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            database,
            demo,
            demo_meetings,
            importers,
            no_refresh,
            geo,
            cors_origins,
            boundaries,
        } => {
            let geo = std::sync::Arc::new(geo.build()?);
            let boundaries = boundaries.as_deref().map(Boundaries::load).transpose()?;
            let directory = Directory::open(&database.url).await?;
            if demo && directory.index.current().is_empty() {
                load_demo(&directory, demo_meetings, 1).await?;
            }
            let sources = Arc::new(if importers.is_dir() {
                SourceDefinition::load_dir(&importers).map_err(anyhow::Error::msg)?
            } else {
                tracing::warn!(folder = %importers.display(), "no source definitions folder; serving without sources");
                Vec::new()
            });
            if !no_refresh && sources.iter().any(|s| s.enabled) {
                let importer = Arc::new(Importer::new(
                    directory.clone(),
                    Fetcher::new(FETCH_TIMEOUT),
                    geo.gazetteer.clone(),
                ));
                tokio::spawn(refresh_sources(importer, sources.clone()));
            }
            let listener = TcpListener::bind(&bind).with_context(|| format!("cannot listen on {bind}"))?;
            let address = listener.local_addr()?;
            let meetings = directory.index.current().len();
            let server = http::serve(
                listener,
                AppState {
                    index: directory.index,
                    store: directory.store,
                    sources,
                    geo,
                    coverage: Arc::new(CoverageState::new(boundaries)),
                },
                cors_origins,
            )?;
            println!("meetingmap is serving {meetings} meetings at http://{address}/ (API docs: http://{address}/docs/)");
            server.await?;
        }
        Command::Import {
            sources,
            all,
            file,
            format,
            fellowship,
            mapping,
            source_id,
            timezone,
            force,
            importers,
            database,
        } => {
            let chosen = match file {
                Some(file) => vec![file_source(
                    &file,
                    format.as_deref(),
                    fellowship,
                    mapping,
                    source_id,
                    &timezone,
                )?],
                None => {
                    let defined = SourceDefinition::load_dir(&importers).map_err(anyhow::Error::msg)?;
                    if all {
                        defined.into_iter().filter(|s| s.enabled).collect()
                    } else if sources.is_empty() {
                        bail!("say which: --source ID, --all (enabled sources) or --file PATH");
                    } else {
                        let mut chosen = Vec::new();
                        for id in &sources {
                            let source = defined.iter().find(|s| &s.id == id).with_context(|| {
                                let known: Vec<&str> = defined.iter().map(|s| s.id.as_str()).collect();
                                format!(
                                    "no source `{id}` in {} (known: {})",
                                    importers.display(),
                                    known.join(", ")
                                )
                            })?;
                            chosen.push(source.clone());
                        }
                        chosen
                    }
                }
            };
            if chosen.is_empty() {
                bail!("no enabled sources in {}", importers.display());
            }
            let directory = Directory::open(&database.url).await?;
            run_imports(directory, chosen, force).await?;
        }
        Command::Coverage(args) => {
            let output = CoverageOutput::named(&args.format, args.gaps)
                .context("with --gaps, --format must be json, geojson or csv")?;
            let query = args.query()?;
            let boundaries = args.boundaries.as_deref().map(Boundaries::load).transpose()?;
            let directory = Directory::open(&args.database.url).await?;
            let snapshot = directory.index.current();
            let body =
                crate::coverage::render(output, &snapshot, &query, boundaries.as_ref(), Timestamp::now());
            match &args.out {
                Some(path) => {
                    std::fs::write(path, &body)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    println!(
                        "wrote {} ({} KB): {} demand points against {} meetings",
                        path.display(),
                        body.len().div_ceil(1024),
                        query.demand.points().len(),
                        snapshot.len()
                    );
                }
                None => writeln!(std::io::stdout().lock(), "{body}")?,
            }
        }
        Command::Migrate { database } => {
            Directory::open(&database.url).await?;
            println!("database {} is up to date", database.url);
        }
        Command::Openapi => {
            println!("{}", http::openapi().to_pretty_json()?);
        }
        Command::DemoData {
            meetings,
            seed,
            database,
        } => {
            let directory = Directory::open(&database.url).await?;
            load_demo(&directory, meetings, seed).await?;
        }
        Command::Export { output, database } => {
            let directory = Directory::open(&database.url).await?;
            let file = ExportFile {
                format: EXPORT_FORMAT.into(),
                exported_at: Timestamp::now(),
                meetings: directory.store.meetings().await?,
            };
            let json = serde_json::to_string_pretty(&file)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => writeln!(std::io::stdout().lock(), "{json}")?,
            }
            eprintln!("exported {} meetings", file.meetings.len());
        }
        Command::Load { file, database } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let export: ExportFile = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a meetingmap export", file.display()))?;
            if export.format != EXPORT_FORMAT {
                bail!(
                    "{} has format `{}`; this version reads `{EXPORT_FORMAT}`",
                    file.display(),
                    export.format
                );
            }
            let mut meetings = Vec::with_capacity(export.meetings.len());
            for meeting in export.meetings {
                let id = meeting.id.clone();
                meetings.push(
                    meeting
                        .normalise()
                        .with_context(|| format!("meeting {id} is invalid"))?,
                );
            }
            let directory = Directory::open(&database.url).await?;
            directory.put_meetings(&meetings).await?;
            println!("loaded {} meetings", meetings.len());
        }
    }
    Ok(())
}

const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// Imports each enabled source when its refresh interval has passed since its last attempt, one
/// at a time, for as long as the server runs. Searches keep being answered from the current
/// snapshot meanwhile.
async fn refresh_sources(importer: Arc<Importer>, sources: Arc<Vec<SourceDefinition>>) {
    loop {
        for source in sources.iter().filter(|s| s.enabled) {
            let last = importer.last_attempt(&source.id).await;
            let due = last.is_none_or(|at| {
                Timestamp::now().duration_since(at).as_secs_f64() >= source.refresh_hours * 3600.0
            });
            if due {
                match importer.import(source, &ImportOptions::default()).await {
                    Ok(run) => {
                        tracing::info!(source = %source.id, outcome = ?run.outcome, reason = ?run.reason, "refreshed source")
                    }
                    Err(e) => tracing::error!(source = %source.id, error = %e, "refresh failed"),
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

async fn run_imports(
    directory: Directory,
    sources: Vec<SourceDefinition>,
    force: bool,
) -> anyhow::Result<()> {
    let importer = Importer::new(
        directory,
        Fetcher::new(FETCH_TIMEOUT),
        Arc::new(Gazetteer::bundled()),
    );
    let mut runs = Vec::new();
    for source in &sources {
        let progress = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}").expect("a valid template"),
        );
        let options = ImportOptions {
            force,
            progress: Some(progress.clone()),
        };
        let run = importer.import(source, &options).await?;
        progress.finish_and_clear();
        runs.push(run);
    }
    print!("{}", summary(&runs));
    let failed: Vec<&str> = runs
        .iter()
        .filter(|r| r.outcome == ImportOutcome::Failed)
        .map(|r| r.source_id.as_str())
        .collect();
    if !failed.is_empty() {
        bail!("import failed for {}", failed.join(", "));
    }
    Ok(())
}

/// The table printed after an import, then each source's problems.
fn summary(runs: &[ImportRun]) -> String {
    const COLUMNS: [(&str, usize); 11] = [
        ("source", 28),
        ("outcome", 9),
        ("records", 8),
        ("accepted", 8),
        ("added", 6),
        ("updated", 7),
        ("unchanged", 9),
        ("removed", 7),
        ("rejected", 8),
        ("by postcode", 11),
        ("no coords", 9),
    ];
    let row = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(COLUMNS)
            .enumerate()
            .map(|(i, (cell, (_, width)))| {
                if i < 2 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        padded.join(" ") + "\n"
    };
    let mut out = row(COLUMNS.iter().map(|(name, _)| name.to_string()).collect());
    for r in runs {
        let c = r.counts;
        let outcome = serde_json::to_value(r.outcome).expect("serialises");
        let mut cells = vec![r.source_id.clone(), outcome.as_str().unwrap_or("").to_string()];
        cells.extend(
            [
                c.records,
                c.accepted,
                c.added,
                c.updated,
                c.unchanged,
                c.removed,
                c.rejected,
                c.placed_by_postcode,
                c.without_coordinates,
            ]
            .map(|n| n.to_string()),
        );
        out += &row(cells);
    }
    for r in runs {
        if let Some(reason) = &r.reason {
            out += &format!("\n{}: {reason}\n", r.source_id);
        }
        if !r.rejects.is_empty() {
            out += &format!("\n{}: {} rejected records:\n", r.source_id, r.counts.rejected);
            for reject in r.rejects.iter().take(20) {
                out += &format!("  {}: {}\n", reject.record, reject.reason);
            }
            if r.counts.rejected > 20 {
                out += &format!(
                    "  ... and {} more (see /v1/sources/{}/imports)\n",
                    r.counts.rejected - 20,
                    r.source_id
                );
            }
        }
        if !r.unknown_types.is_empty() {
            let codes: Vec<String> = r
                .unknown_types
                .iter()
                .map(|u| format!("{} ({})", u.code, u.meetings))
                .collect();
            out += &format!(
                "\n{}: type codes kept as raw tags: {}\n",
                r.source_id,
                codes.join(", ")
            );
        }
    }
    out
}

async fn load_demo(directory: &Directory, count: usize, seed: u64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let meetings = crate::demo::generate(count, seed, Timestamp::now().round(jiff::Unit::Second)?);
    directory
        .replace_source(crate::demo::SOURCE_ID, &meetings)
        .await?;
    println!(
        "loaded {count} demo meetings (seed {seed}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
