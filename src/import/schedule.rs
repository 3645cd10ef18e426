//! Keeping sources fresh while a server runs.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::source::SourceDefinition;
use super::{ImportOptions, Importer};
use crate::directory::Directory;

/// How long one feed download may take, for scheduled and command-line imports alike.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the schedule looks for sources that are due.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// How long a source's import lease lasts unless renewed. The importing replica renews it every
/// third of this while it works (a download with retries can take minutes), so only a crashed or
/// hung replica lets it expire, delaying that source by this long.
pub const IMPORT_LEASE: Duration = Duration::from_secs(2 * 60);

/// Imports each enabled source when its refresh interval has passed since its last attempt, one
/// at a time, for as long as the server runs. Searches keep being answered from the current
/// snapshot meanwhile.
///
/// Every replica sharing the database runs this loop; a lease per source (`import:<id>`) makes
/// each due import run in one of them only.
pub async fn refresh_sources(
    importer: Arc<Importer>,
    directory: Directory,
    sources: Arc<Vec<SourceDefinition>>,
) {
    loop {
        for source in sources.iter().filter(|s| s.enabled) {
            if !is_due(&importer, source).await {
                continue;
            }
            let lease = match directory
                .lease(&format!("import:{}", source.id), IMPORT_LEASE)
                .await
            {
                Ok(Some(lease)) => lease,
                // Another replica is importing it.
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(source = %source.id, error = %e, "cannot take the import lease");
                    continue;
                }
            };
            // Asked again under the lease: another replica may have imported it between the first
            // check and taking the lease.
            let renewing = directory.keep(&lease, IMPORT_LEASE);
            if is_due(&importer, source).await {
                match importer.import(source, &ImportOptions::default()).await {
                    Ok(run) => {
                        tracing::info!(source = %source.id, outcome = ?run.outcome, reason = ?run.reason, "refreshed source")
                    }
                    Err(e) => tracing::error!(source = %source.id, error = %e, "refresh failed"),
                }
            }
            renewing.abort();
            if let Err(e) = directory.release(lease).await {
                tracing::warn!(source = %source.id, error = %e, "cannot release the import lease; it will expire");
            }
        }
        tokio::time::sleep(CHECK_EVERY).await;
    }
}

/// Whether the source's refresh interval has passed since its last attempt (or it has none).
async fn is_due(importer: &Importer, source: &SourceDefinition) -> bool {
    let last = importer.last_attempt(&source.id).await;
    last.is_none_or(|at| Timestamp::now().duration_since(at).as_secs_f64() >= source.refresh_hours * 3600.0)
}
