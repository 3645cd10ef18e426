//! Places and travel for every caller: the offline gazetteer, and the optional remote geocoder
//! and OSRM router behind it, with the rules for resolving what someone typed.

use std::sync::Arc;

use crate::gazetteer::remote::RemoteGeocoder;
use crate::gazetteer::{Gazetteer, GeocodeError, Postcode, Resolved};
use crate::settings::GeoSettings;
use crate::travel::osrm::Osrm;
use crate::travel::osrm::OsrmConfig;

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
    /// The places and travel services `settings` asks for: the bundled gazetteer, plus unit
    /// postcodes, a remote geocoder and OSRM routers where configured.
    pub fn from_settings(settings: &GeoSettings) -> anyhow::Result<Geo> {
        let timeout = settings.remote_timeout();
        let mut gazetteer = Gazetteer::bundled();
        if let Some(path) = &settings.postcodes {
            let started = std::time::Instant::now();
            let count = gazetteer.load_units(path)?;
            println!(
                "loaded {count} unit postcodes from {} in {:.1} s",
                path.display(),
                started.elapsed().as_secs_f64()
            );
        }
        let remote = settings
            .geocoder_url
            .as_deref()
            .map(|url| RemoteGeocoder::new(settings.geocoder, url, timeout))
            .transpose()?;
        let osrm = Osrm::new(
            &OsrmConfig {
                all: settings.osrm_url.clone(),
                walk: settings.osrm_walk_url.clone(),
                cycle: settings.osrm_cycle_url.clone(),
                drive: settings.osrm_drive_url.clone(),
            },
            timeout,
        )?;
        Ok(Geo {
            gazetteer: Arc::new(gazetteer),
            remote,
            osrm,
        })
    }

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
