//! Places and travel for every caller: the offline gazetteer, and the optional remote geocoder
//! and OSRM router behind it, with the rules for resolving what someone typed.

use std::sync::Arc;

use crate::gazetteer::remote::RemoteGeocoder;
use crate::gazetteer::{Gazetteer, GeocodeError, Postcode, Resolved};
use crate::travel::osrm::Osrm;

/// The longest place text read: longer is not a place, and would only cost lookups.
pub const MAX_QUERY_CHARS: usize = 200;

/// Why a place text was not resolved.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error("must be at most {MAX_QUERY_CHARS} characters")]
    TooLong,
    #[error(transparent)]
    Geocode(#[from] GeocodeError),
}

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

    /// [`candidates`](Self::candidates) (at least one), refusing text over
    /// [`MAX_QUERY_CHARS`]: what `near` and `/v1/geocode` read.
    pub async fn resolve(&self, text: &str, limit: usize) -> Result<Vec<Resolved>, PlaceError> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(PlaceError::TooLong);
        }
        Ok(self.candidates(text, limit).await?)
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
