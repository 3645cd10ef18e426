//! `/v1/sources`: where the directory's meetings come from, and how fresh each source is.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, Problem};
use super::{cache, AppState};
use crate::domain::{ImportCounts, ImportOutcome, ImportRun};

/// How a source is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// The last import succeeded (or found the feed unchanged); always, for a source kept by hand.
    Ok,
    /// The last import failed; the meetings from the last good import are still served.
    Failing,
    /// Not imported yet (a feed's).
    Never,
}

/// How a source's meetings arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Imported from a feed (or loaded from a file).
    Feed,
    /// Kept by hand by its editors (`/v1/admin`); never touched by imports.
    Local,
}

#[derive(Serialize, ToSchema)]
pub struct SourceView {
    pub id: String,
    pub kind: SourceKind,
    /// When an editor last changed a meeting of this source by hand (for a local source, its
    /// freshness; for a feed, its latest correction).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_change_at: Option<jiff::Timestamp>,
    pub name: String,
    /// Attribution or licence text the source asks for.
    pub attribution: Option<String>,
    /// Feed format (`meeting-guide`, `bmlt`, `csv`); null for meetings loaded by hand.
    pub format: Option<&'static str>,
    /// Defined and switched on for scheduled refreshes.
    pub enabled: bool,
    pub refresh_hours: Option<f64>,
    pub status: SourceStatus,
    /// Meetings from this source in the directory now.
    pub meetings: usize,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_success_at: Option<jiff::Timestamp>,
    /// Why the last import failed.
    pub last_failure: Option<String>,
    /// Counts from the last successful import.
    pub last_counts: Option<ImportCounts>,
    pub notes: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SourceList {
    pub sources: Vec<SourceView>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportList {
    pub imports: Vec<ImportRun>,
}

/// Every source, with attribution and freshness.
#[utoipa::path(tag = "sources", responses((status = 200, body = SourceList)))]
#[get("/v1/sources")]
pub async fn list_sources(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    // Defined sources first, in definition order, then those kept by hand, then any others the
    // data names.
    let local = state.directory.local_sources().await?;
    let mut ids: Vec<String> = state.sources.iter().map(|s| s.id.clone()).collect();
    ids.extend(
        local
            .iter()
            .map(|s| s.id.clone())
            .filter(|id| !state.sources.iter().any(|d| d.id == *id)),
    );
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut names: std::collections::HashMap<&str, &crate::domain::SourceRef> =
        std::collections::HashMap::new();
    for (source, listed) in snapshot.sources() {
        counts.insert(source.id.as_str(), listed);
        names.insert(source.id.as_str(), source);
    }
    let mut seen: Vec<&str> = names
        .keys()
        .copied()
        .filter(|id| !ids.iter().any(|d| d == id))
        .collect();
    seen.sort_unstable();
    ids.extend(seen.into_iter().map(str::to_string));

    let mut sources = Vec::with_capacity(ids.len());
    for id in ids {
        let last = state.directory.last_import(&id).await?;
        let good = state.directory.last_success(&id).await?;
        let (last, good) = (last.as_ref(), good.as_ref());
        let definition = state.sources.iter().find(|s| s.id == id);
        let kept = local.iter().find(|s| s.id == id);
        let known = names.get(id.as_str());
        let last_change_at = state
            .directory
            .audit(&crate::store::AuditFilter {
                source_id: Some(id.clone()),
                limit: 1,
                ..Default::default()
            })
            .await?
            .first()
            .map(|a| a.at);
        sources.push(SourceView {
            kind: if kept.is_some() {
                SourceKind::Local
            } else {
                SourceKind::Feed
            },
            last_change_at,
            name: kept
                .map(|k| k.name.clone())
                .or_else(|| definition.map(|d| d.name.clone()))
                .or_else(|| known.map(|s| s.name.clone()))
                .unwrap_or_else(|| id.clone()),
            attribution: kept
                .map(|k| k.attribution.clone())
                .or_else(|| definition.map(|d| d.attribution.clone()))
                .or_else(|| known.map(|s| s.attribution.clone())),
            format: definition.map(|d| d.format.as_str()),
            enabled: definition.is_some_and(|d| d.enabled),
            refresh_hours: definition.map(|d| d.refresh_hours),
            status: match last {
                None if kept.is_some() => SourceStatus::Ok,
                None => SourceStatus::Never,
                Some(r) if r.outcome == ImportOutcome::Failed => SourceStatus::Failing,
                Some(_) => SourceStatus::Ok,
            },
            meetings: counts.get(id.as_str()).copied().unwrap_or(0),
            last_attempt_at: last.map(|r| r.started_at),
            last_success_at: good.map(|r| r.finished_at),
            last_failure: last
                .filter(|r| r.outcome == ImportOutcome::Failed)
                .and_then(|r| r.reason.clone()),
            last_counts: good.map(|r| r.counts),
            notes: definition.and_then(|d| d.notes.clone()),
            id,
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::FOLLOWS_DATA))
        .json(SourceList { sources }))
}

/// The import history of one source, newest first (at most 50), with rejected records and
/// unknown type codes.
#[utoipa::path(
    tag = "sources",
    params(("id" = String, Path, description = "Source id")),
    responses(
        (status = 200, body = ImportList),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/sources/{id}/imports")]
pub async fn source_imports(
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let imports = state.directory.imports(&id, 50).await?;
    let defined = state.sources.iter().any(|s| s.id == *id);
    if imports.is_empty() && !defined {
        return Err(ApiError::NotFound(format!("no source has id `{id}`")));
    }
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::REVALIDATE))
        .json(ImportList { imports }))
}
