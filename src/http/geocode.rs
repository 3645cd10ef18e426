//! Places for the API: resolving `near`, and `GET /v1/geocode`, over [`crate::places::Geo`].

use actix_web::{get, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, InvalidParam, Problem};
use super::{cache, AppState};
use crate::gazetteer::Resolved;
use crate::places::Geo;

const ALTERNATIVES: usize = 5;

/// Resolves a search's `near`, reporting a bad one in `errors`.
pub async fn resolve_near(geo: &Geo, near: Option<&str>, errors: &mut Vec<InvalidParam>) -> Option<Resolved> {
    match geo.resolve(near?, 1).await {
        Ok(mut found) => Some(found.swap_remove(0)),
        Err(e) => {
            errors.push(InvalidParam::new("near", e.to_string()));
            None
        }
    }
}

/// What a place query matched.
#[derive(Serialize, ToSchema)]
pub struct GeocodeResult {
    /// The best match: what `near` with the same text would search around.
    pub resolved: Resolved,
    /// Other places with the same name, most populous first (empty for postcodes).
    pub alternatives: Vec<Resolved>,
}

/// Look up a place.
///
/// Resolves a postcode, sector, district, place name or `lat,lon` exactly as the `near` parameter
/// does, so a widget can show the match (and other places of the same name) before searching.
#[utoipa::path(
    tag = "places",
    params(("q" = String, Query, description = "Postcode, sector, district, place name or `lat,lon`", min_length = 1, max_length = 200, example = "LL11 1AA")),
    responses(
        (status = 200, description = "The match", body = GeocodeResult),
        (status = 400, description = "Missing or unknown; `invalid_params` has suggestions", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/geocode")]
pub async fn geocode(
    req: HttpRequest,
    state: actix_web::web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::param("query", format!("is not a valid query string: {e}")))?;
    let mut errors = Vec::new();
    let mut q = None;
    for (name, value) in pairs {
        match name.as_str() {
            "q" if !value.trim().is_empty() => q = Some(value),
            "q" => {}
            _ => errors.push(InvalidParam::new(name, "is not a parameter of this endpoint")),
        }
    }
    if q.is_none() {
        errors.push(InvalidParam::new("q", "is required"));
    }
    let found = match q.as_deref() {
        Some(text) => match state.geo.resolve(text, ALTERNATIVES + 1).await {
            Ok(found) => Some(found),
            Err(e) => {
                errors.push(InvalidParam::new("q", e.to_string()));
                None
            }
        },
        None => None,
    };
    let Some(mut found) = found.filter(|_| errors.is_empty()) else {
        return Err(ApiError::InvalidParams(errors));
    };
    let resolved = found.remove(0);
    let body = GeocodeResult {
        resolved,
        alternatives: found,
    };
    Ok(HttpResponse::Ok()
        .insert_header(cache::control(cache::STABLE))
        .json(body))
}
