//! `meetingmap demo-data`: replace the demo source with synthetic meetings.

use clap::Args;

use crate::directory::Directory;
use crate::settings::DatabaseSettings;

#[derive(Args)]
pub struct DemoDataArgs {
    #[arg(long, default_value_t = crate::demo::DEFAULT_MEETINGS)]
    meetings: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    database: DatabaseSettings,
}

pub async fn run(args: DemoDataArgs) -> anyhow::Result<()> {
    let directory = Directory::open_for_writes(&args.database.url).await?;
    crate::demo::load(&directory, args.meetings, args.seed).await
}
