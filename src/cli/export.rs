//! `meetingmap export`: every meeting as JSON, the backup format `load` reads.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use jiff::Timestamp;

use crate::directory::Directory;
use crate::formats::backup::{ExportFile, EXPORT_FORMAT};
use crate::settings::DatabaseSettings;

#[derive(Args)]
pub struct ExportArgs {
    /// File to write; standard output when absent.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseSettings,
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let directory = Directory::open_for_writes(&args.database.url).await?;
    let file = ExportFile {
        format: EXPORT_FORMAT.into(),
        exported_at: Timestamp::now(),
        meetings: directory.stored_meetings().await?,
    };
    let json = serde_json::to_string_pretty(&file)?;
    match args.output {
        Some(path) => {
            std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => writeln!(std::io::stdout().lock(), "{json}")?,
    }
    eprintln!("exported {} meetings", file.meetings.len());
    Ok(())
}
