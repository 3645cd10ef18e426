//! The `meetingmap` command line.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::domain::Meeting;
use crate::gazetteer::remote::{RemoteGeocoder, Service};
use crate::gazetteer::Gazetteer;
use crate::http::{self, AppState, Geo};
use crate::travel::osrm::{Osrm, OsrmConfig};

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
            gazetteer,
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

/// The backup file: the API's own meeting representation, with a header.
#[derive(Serialize, Deserialize)]
pub struct ExportFile {
    pub format: String,
    pub exported_at: Timestamp,
    pub meetings: Vec<Meeting>,
}

const EXPORT_FORMAT: &str = "meetingmap-export-v1";

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            bind,
            database,
            demo,
            demo_meetings,
            geo,
        } => {
            let geo = std::sync::Arc::new(geo.build()?);
            let directory = Directory::open(&database.url).await?;
            if demo && directory.index.current().is_empty() {
                load_demo(&directory, demo_meetings, 1).await?;
            }
            let listener = TcpListener::bind(&bind).with_context(|| format!("cannot listen on {bind}"))?;
            let address = listener.local_addr()?;
            let meetings = directory.index.current().len();
            let server = http::serve(
                listener,
                AppState {
                    index: directory.index,
                    store: directory.store,
                    geo,
                },
            )?;
            println!("meetingmap is serving {meetings} meetings at http://{address}/ (API docs: http://{address}/docs/)");
            server.await?;
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
