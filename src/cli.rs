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
use crate::http::{self, AppState};

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
        } => {
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
