//! Liveness and readiness, for load balancers and orchestrators.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, Problem};
use super::{cache, AppState};

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    pub version: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Meetings in the snapshot being served.
    pub meetings: usize,
    /// When that snapshot was built (RFC 3339).
    pub snapshot_built_at: String,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        })
}

/// The process can answer searches: the database answers, a snapshot is loaded (the server listens
/// only once it is) and it is not more than a few versions behind the database.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Readiness),
    (status = 503, body = Problem, content_type = "application/problem+json"),
))]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .directory
        .ping()
        .await
        .map_err(|e| ApiError::NotReady(format!("the database does not answer: {e}")))?;
    if let Some(behind) = state.directory.lagging() {
        return Err(ApiError::NotReady(format!(
            "serving data {behind} versions behind the database; catching up"
        )));
    }
    let snapshot = state.directory.snapshot();
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::NEVER))
        .json(Readiness {
            status: "ready",
            meetings: snapshot.len(),
            snapshot_built_at: snapshot.built_at().to_string(),
        }))
}
