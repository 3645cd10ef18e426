//! `meetingmap load`: read an `export` file back, inserting or overwriting by id.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use crate::directory::Directory;
use crate::formats::backup::{ExportFile, EXPORT_FORMAT};
use crate::settings::DatabaseSettings;

#[derive(Args)]
pub struct LoadArgs {
    file: PathBuf,
    #[command(flatten)]
    database: DatabaseSettings,
}

pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let file = &args.file;
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
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
    let directory = Directory::open_for_writes(&args.database.url).await?;
    directory.put_meetings(&meetings).await?;
    println!("loaded {} meetings", meetings.len());
    Ok(())
}
