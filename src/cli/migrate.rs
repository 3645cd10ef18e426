//! `meetingmap migrate`: create or update the schema.

use clap::Args;

use crate::directory::Directory;
use crate::settings::DatabaseSettings;

#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    database: DatabaseSettings,
}

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    Directory::open_for_writes(&args.database.url).await?;
    println!("database {} is up to date", args.database.url);
    Ok(())
}
