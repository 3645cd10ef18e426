//! The composition root: one way to build the application from its [`Settings`], used by
//! `meetingmap serve` and by the integration tests alike, so the path a test takes is the path the
//! server takes.
//!
//! [`App::build`] opens the store and loads the directory, the places and travel services, the
//! source definitions and the coverage state; [`App::serve`] starts the background work (source
//! refreshes, watching the database for other processes' writes, keeping coverage trends) and the
//! HTTP server. This is the one module outside `http/` that names it: it hands the HTTP layer
//! what it serves.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use anyhow::Context;

use crate::coverage::boundaries::Boundaries;
use crate::coverage::trends;
use crate::coverage::CoverageState;
use crate::directory::Directory;
use crate::http::{self, AppState};
use crate::import::fetch::Fetcher;
use crate::import::schedule::{refresh_sources, FETCH_TIMEOUT};
use crate::import::source::SourceDefinition;
use crate::import::{Importer, TRENDS_EVERY};
use crate::places::Geo;
use crate::settings::Settings;

/// The application, built and ready to serve.
pub struct App {
    settings: Settings,
    directory: Directory,
    geo: Arc<Geo>,
    sources: Arc<Vec<SourceDefinition>>,
    coverage: Arc<CoverageState>,
}

impl App {
    /// Builds everything `settings` describes. Fails on what an operator must fix (an unreadable
    /// postcode or outline file, a database that cannot be opened, a broken source definition).
    pub async fn build(settings: Settings) -> anyhow::Result<App> {
        let geo = Geo::from_settings(&settings.geo)?;
        App::build_with_geo(settings, geo).await
    }

    /// [`App::build`] with places and travel services made by the caller instead of from
    /// `settings.geo` (tests use it for a remote geocoder with no rate limit).
    pub async fn build_with_geo(settings: Settings, geo: Geo) -> anyhow::Result<App> {
        let boundaries = settings
            .coverage
            .outlines
            .boundaries
            .as_deref()
            .map(Boundaries::load)
            .transpose()?;
        let coverage =
            CoverageState::with_limit(boundaries, settings.coverage.analyses(), settings.coverage.wait());
        let directory = Directory::open(&settings.database.url)
            .await?
            .with_max_behind(settings.ready_max_behind);
        let folder = &settings.import.sources.importers;
        let sources = if folder.is_dir() {
            SourceDefinition::load_dir(folder).map_err(anyhow::Error::msg)?
        } else {
            tracing::warn!(folder = %folder.display(), "no source definitions folder; serving without sources");
            Vec::new()
        };
        Ok(App {
            directory,
            geo: Arc::new(geo),
            sources: Arc::new(sources),
            coverage: Arc::new(coverage),
            settings,
        })
    }

    /// The directory served: its store and current snapshot.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Starts the background work (source refreshes, watching the database for other processes'
    /// writes, coverage trends of what is served) and serves HTTP on an already-bound listener (port 0 in
    /// tests). The returned server runs until it is stopped or dropped.
    pub fn serve(self, listener: TcpListener) -> std::io::Result<Server> {
        if !self.settings.import.no_refresh && self.sources.iter().any(|s| s.enabled) {
            let importer = Arc::new(Importer::new(
                self.directory.clone(),
                Fetcher::new(FETCH_TIMEOUT),
                self.geo.gazetteer.clone(),
            ));
            tokio::spawn(refresh_sources(
                importer,
                self.directory.clone(),
                self.sources.clone(),
            ));
        }
        if let Some(interval) = self.settings.watch_interval() {
            // Another process sharing the database (`meetingmap import`, another replica) is
            // seen within about one interval.
            self.directory.watch(interval);
        }
        if let Some(check) = self.settings.coverage.trends_check() {
            // The one way a server takes coverage trends: from the snapshot it serves, whoever
            // wrote the data (its scheduled imports, `meetingmap import`, another replica), so
            // that no import builds a search index only to summarise it.
            trends::keep(self.directory.clone(), TRENDS_EVERY, check);
        }
        http::serve(
            listener,
            AppState {
                directory: self.directory,
                sources: self.sources,
                geo: self.geo,
                coverage: self.coverage,
                body_timeout: self.settings.http.body_timeout(),
                report_limiter: http::report_limiter(self.settings.admin.reports_per_hour),
            },
            self.settings.http,
        )
    }

    /// Binds `settings.http.bind`, for `serve`.
    pub fn bind(&self) -> anyhow::Result<TcpListener> {
        let bind = &self.settings.http.bind;
        TcpListener::bind(bind).with_context(|| format!("cannot listen on {bind}"))
    }
}

/// The OpenAPI document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn openapi_json() -> serde_json::Result<String> {
    http::openapi().to_pretty_json()
}
