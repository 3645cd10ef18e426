//! The directory: the store (source of truth) and the search snapshot served from it, kept in step.
//!
//! Every write goes through here so that each completed write batch is followed by a snapshot
//! rebuild and an atomic swap: readers see the directory before or after a batch, never during.

use std::sync::Arc;

use crate::domain::Meeting;
use crate::search::{SearchIndex, Snapshot};
use crate::store::{self, Store, StoreError};

#[derive(Clone)]
pub struct Directory {
    pub store: Arc<dyn Store>,
    pub index: Arc<SearchIndex>,
}

impl Directory {
    /// Opens (creating and migrating if needed) the database at `url` and loads the snapshot.
    pub async fn open(url: &str) -> Result<Directory, StoreError> {
        let store = store::open(url).await?;
        store.migrate().await?;
        let snapshot = Snapshot::build(store.meetings().await?);
        Ok(Directory {
            store,
            index: Arc::new(SearchIndex::new(snapshot)),
        })
    }

    /// Rebuilds the snapshot from the store and publishes it.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let meetings = self.store.meetings().await?;
        // Indexing 100k meetings takes a few hundred milliseconds of CPU: keep it off the
        // async workers that answer requests.
        let snapshot = tokio::task::spawn_blocking(move || Snapshot::build(meetings))
            .await
            .expect("building a snapshot does not panic");
        self.index.publish(snapshot);
        Ok(())
    }

    /// Replaces one source's meetings and publishes the result.
    pub async fn replace_source(&self, source_id: &str, meetings: &[Meeting]) -> Result<(), StoreError> {
        self.store.replace_source(source_id, meetings).await?;
        self.refresh().await
    }

    /// Inserts or overwrites meetings and publishes the result.
    pub async fn put_meetings(&self, meetings: &[Meeting]) -> Result<(), StoreError> {
        self.store.put_meetings(meetings).await?;
        self.refresh().await
    }
}
