//! Places and travel for the API: resolving `near`, `GET /v1/geocode`, and the services behind
//! them (the offline gazetteer, and the optional remote geocoder and OSRM router).

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{get, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::problem::{ApiError, InvalidParam, Problem};
use super::AppState;
use crate::gazetteer::remote::RemoteGeocoder;
use crate::gazetteer::{Gazetteer, GeocodeError, Postcode, Resolved};
use crate::travel::osrm::Osrm;

const MAX_QUERY_CHARS: usize = 200;
const ALTERNATIVES: usize = 5;

/// Where places and travel times come from.
pub struct Geo {
    /// Shared with the importers, which place meetings by postcode.
    pub gazetteer: Arc<Gazetteer>,
    /// postcodes.io-compatible fallback for full postcodes; off by default.
    pub remote: Option<RemoteGeocoder>,
    /// Routed travel times; off by default (estimates are used).
    pub osrm: Option<Osrm>,
}

impl Geo {
    /// The bundled gazetteer only: no network.
    pub fn offline() -> Geo {
        Geo {
            gazetteer: Arc::new(Gazetteer::bundled()),
            remote: None,
            osrm: None,
        }
    }

    /// Up to `limit` matches for `text`, best first. With a remote geocoder, a full postcode the
    /// local data does not hold is asked of it before falling back to its sector, and (Nominatim)
    /// so is a place name the bundled list does not have.
    pub async fn candidates(&self, text: &str, limit: usize) -> Result<Vec<Resolved>, GeocodeError> {
        let Some(remote) = &self.remote else {
            return self.gazetteer.candidates(text, limit);
        };
        let code = Postcode::parse(text);
        if let Some(Postcode::Unit(unit)) = &code {
            if !self.gazetteer.knows_unit(unit) {
                if let Some(found) = answer(remote.postcode(unit).await) {
                    return Ok(vec![found]);
                }
            }
        }
        let local = self.gazetteer.candidates(text, limit);
        if matches!(local, Err(GeocodeError::Unknown(_))) && code.is_none() {
            if let Some(found) = answer(remote.place(text).await) {
                return Ok(vec![found]);
            }
        }
        local
    }
}

/// A remote answer, with failures logged and treated as "not found" (the offline data answers).
fn answer(result: anyhow::Result<Option<Resolved>>) -> Option<Resolved> {
    result.unwrap_or_else(|e| {
        tracing::warn!(
            error = format!("{e:#}"),
            "remote geocoder failed; using offline data"
        );
        None
    })
}

/// Resolves a search's `near`, reporting a bad one in `errors`.
pub async fn resolve_near(geo: &Geo, near: Option<&str>, errors: &mut Vec<InvalidParam>) -> Option<Resolved> {
    let text = near?;
    if text.chars().count() > MAX_QUERY_CHARS {
        errors.push(InvalidParam::new(
            "near",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
        return None;
    }
    match geo.candidates(text, 1).await {
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
    params(("q" = String, Query, description = "Postcode, sector, district, place name or `lat,lon`", example = "LL11 1AA")),
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
        Some(text) if text.chars().count() > MAX_QUERY_CHARS => {
            errors.push(InvalidParam::new(
                "q",
                format!("must be at most {MAX_QUERY_CHARS} characters"),
            ));
            None
        }
        Some(text) => match state.geo.candidates(text, ALTERNATIVES + 1).await {
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
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .json(body))
}
