//! `meetingmap local-source`: sources kept by hand (an agency's own list, a fellowship with no
//! feed), which editors fill through `/v1/admin` and imports never touch.

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::directory::Directory;
use crate::domain::LocalSource;
use crate::settings::DatabaseSettings;

#[derive(Args)]
pub struct LocalSourceArgs {
    #[command(subcommand)]
    command: LocalSourceCommand,
}

#[derive(Subcommand)]
enum LocalSourceCommand {
    /// Add a source kept by hand, or rename one.
    Add {
        /// Its id (`wrexham-agency`): a-z, 0-9 and -.
        #[arg(long)]
        id: String,
        /// Its name as people see it (`Wrexham agency list`).
        #[arg(long)]
        name: String,
        /// Who to credit (`Listed by Wrexham Community Drug Service`).
        #[arg(long)]
        attribution: String,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Every source kept by hand.
    List {
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

impl LocalSourceCommand {
    fn database(&self) -> &str {
        match self {
            LocalSourceCommand::Add { database, .. } | LocalSourceCommand::List { database } => &database.url,
        }
    }
}

pub async fn run(args: LocalSourceArgs) -> anyhow::Result<()> {
    let directory = Directory::open_for_writes(args.command.database()).await?;
    match args.command {
        LocalSourceCommand::Add {
            id,
            name,
            attribution,
            ..
        } => {
            crate::import::source::check_id(&id).map_err(anyhow::Error::msg)?;
            if name.trim().is_empty() || attribution.trim().is_empty() {
                bail!("give the source a --name and an --attribution");
            }
            let imported = !directory.source_meetings(&id).await?.is_empty()
                || directory.last_import(&id).await?.is_some();
            let existing = directory.local_sources().await?.into_iter().find(|s| s.id == id);
            if imported && existing.is_none() {
                bail!("`{id}` is a source imported from a feed; choose another id");
            }
            let source = LocalSource {
                created_at: existing.map_or_else(jiff::Timestamp::now, |s| s.created_at),
                id,
                name: name.trim().to_string(),
                attribution: attribution.trim().to_string(),
            };
            directory.put_local_source(&source).await?;
            println!("source {} ({}) is kept by hand", source.id, source.name);
        }
        LocalSourceCommand::List { .. } => {
            for s in directory.local_sources().await? {
                println!("{}\t{}\t{}", s.id, s.name, s.attribution);
            }
        }
    }
    Ok(())
}
