//! The `meetingmap` command line: one file per command, each turning its typed options into calls
//! on the application core. Settings shared with `serve` are declared once, in
//! [`crate::settings`].

mod coverage;
mod demo_data;
mod export;
mod import;
mod keys;
mod list_areas;
mod load;
mod local_source;
mod migrate;
mod openapi;
mod serve;

use clap::{Parser, Subcommand};

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

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Coverage of meetings over demand points: the HTML report, or the summary or gaps.
    Coverage(coverage::CoverageArgs),
    /// List the areas a coverage report can be about (names and codes for --area).
    ListAreas(list_areas::ListAreasArgs),
    /// Import feeds: defined sources, or one file.
    Import(import::ImportArgs),
    /// Create or update the database schema.
    Migrate(migrate::MigrateArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Replace the demo source with a deterministic synthetic GB dataset.
    DemoData(demo_data::DemoDataArgs),
    /// Write every meeting as JSON (the backup format).
    Export(export::ExportArgs),
    /// Load meetings from an export file, inserting or overwriting by id.
    Load(load::LoadArgs),
    /// API keys for editing by hand: create, list, revoke.
    Keys(keys::KeysArgs),
    /// Sources kept by hand (never imported): add, list.
    LocalSource(local_source::LocalSourceArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Coverage(args) => coverage::run(args).await,
        Command::ListAreas(args) => list_areas::run(args),
        Command::Import(args) => import::run(args).await,
        Command::Migrate(args) => migrate::run(args).await,
        Command::Openapi => openapi::run(),
        Command::DemoData(args) => demo_data::run(args).await,
        Command::Export(args) => export::run(args).await,
        Command::Load(args) => load::run(args).await,
        Command::Keys(args) => keys::run(args).await,
        Command::LocalSource(args) => local_source::run(args).await,
    }
}
