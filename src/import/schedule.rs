//! Keeping sources fresh while a server runs.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::source::SourceDefinition;
use super::{ImportOptions, Importer};

/// How long one feed download may take, for scheduled and command-line imports alike.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the schedule looks for sources that are due.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// Imports each enabled source when its refresh interval has passed since its last attempt, one
/// at a time, for as long as the server runs. Searches keep being answered from the current
/// snapshot meanwhile.
pub async fn refresh_sources(importer: Arc<Importer>, sources: Arc<Vec<SourceDefinition>>) {
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
        tokio::time::sleep(CHECK_EVERY).await;
    }
}
