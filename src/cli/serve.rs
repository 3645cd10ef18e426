//! `meetingmap serve`: build the app from its settings and serve it.

use clap::Args;

use crate::app::App;
use crate::settings::Settings;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    settings: Settings,
    /// Load demo data first if the database is empty.
    #[arg(long)]
    demo: bool,
    /// How many demo meetings `--demo` loads.
    #[arg(long, default_value_t = crate::demo::DEFAULT_MEETINGS)]
    demo_meetings: usize,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let app = App::build(args.settings).await?;
    if args.demo && app.directory().snapshot().is_empty() {
        crate::demo::load(app.directory(), args.demo_meetings, 1).await?;
    }
    let listener = app.bind()?;
    let address = listener.local_addr()?;
    let meetings = app.directory().snapshot().len();
    let server = app.serve(listener)?;
    println!(
        "meetingmap is serving {meetings} meetings at http://{address}/ (API docs: http://{address}/docs/)"
    );
    server.await?;
    Ok(())
}
