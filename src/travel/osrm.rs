//! Travel times from an OSRM server's table service, when one is configured.
//!
//! One `osrm-routed` serves one profile (the dataset it loaded decides; the profile name in the URL
//! is not checked), so each mode can have its own server. Requests carry one origin and at most
//! [`MAX_DESTINATIONS`] destinations (OSRM's default `--max-table-size` is 100 locations), and
//! have a short timeout: a slow router must not make a search slow. Callers fall back to estimates
//! on any error.

use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::Mode;

/// Destinations per table request, leaving room for the origin within OSRM's default limit.
pub const MAX_DESTINATIONS: usize = 99;
/// A point further than this from the nearest road cannot be routed meaningfully: OSRM snaps even
/// points thousands of kilometres away.
const MAX_SNAP_M: f64 = 1000.0;

/// Where the OSRM servers are: one for every mode, or one per mode (overriding).
#[derive(Debug, Clone, Default)]
pub struct OsrmConfig {
    pub all: Option<String>,
    pub walk: Option<String>,
    pub cycle: Option<String>,
    pub drive: Option<String>,
}

/// A routed journey.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leg {
    pub minutes: f64,
    pub distance_km: f64,
}

pub struct Osrm {
    client: reqwest::Client,
    /// Base URLs for walk, cycle and drive, without a trailing slash.
    bases: [Option<String>; 3],
}

#[derive(Deserialize)]
struct Table {
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    durations: Vec<Vec<Option<f64>>>,
    #[serde(default)]
    distances: Vec<Vec<Option<f64>>>,
    #[serde(default)]
    sources: Vec<Waypoint>,
    #[serde(default)]
    destinations: Vec<Waypoint>,
}

#[derive(Deserialize)]
struct Waypoint {
    /// How far the given point was moved to reach the road network, in metres.
    distance: f64,
}

fn slot(mode: Mode) -> Option<usize> {
    match mode {
        Mode::Walk => Some(0),
        Mode::Cycle => Some(1),
        Mode::Drive => Some(2),
        Mode::Transit => None,
    }
}

/// The profile name in the URL: conventional, though OSRM ignores it.
fn profile(mode: Mode) -> &'static str {
    match mode {
        Mode::Walk => "foot",
        Mode::Cycle => "bike",
        Mode::Drive | Mode::Transit => "driving",
    }
}

impl Osrm {
    /// A client for the configured servers; `None` when none is configured.
    pub fn new(config: &OsrmConfig, timeout: Duration) -> anyhow::Result<Option<Osrm>> {
        let bases = [&config.walk, &config.cycle, &config.drive].map(|own| {
            own.as_ref()
                .or(config.all.as_ref())
                .map(|u| u.trim_end_matches('/').to_string())
        });
        if bases.iter().all(Option::is_none) {
            return Ok(None);
        }
        for base in bases.iter().flatten() {
            reqwest::Url::parse(base).with_context(|| format!("OSRM URL `{base}` is not a URL"))?;
        }
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?;
        Ok(Some(Osrm { client, bases }))
    }

    /// Whether `mode` is routed by a server (transit never is).
    pub fn routes(&self, mode: Mode) -> bool {
        slot(mode).is_some_and(|i| self.bases[i].is_some())
    }

    /// Journeys from `from` to each of `to` (`(lat, lon)`), in order. `None` for a destination the
    /// server cannot reach or that is far from any road.
    pub async fn table(
        &self,
        mode: Mode,
        from: (f64, f64),
        to: &[(f64, f64)],
    ) -> anyhow::Result<Vec<Option<Leg>>> {
        let base = slot(mode)
            .and_then(|i| self.bases[i].as_deref())
            .with_context(|| format!("no OSRM server for {}", mode.as_str()))?;
        let mut legs = Vec::with_capacity(to.len());
        for chunk in to.chunks(MAX_DESTINATIONS) {
            let coordinates = std::iter::once(&from)
                .chain(chunk)
                .map(|(lat, lon)| format!("{lon:.6},{lat:.6}"))
                .collect::<Vec<_>>()
                .join(";");
            let url = format!(
                "{base}/table/v1/{}/{coordinates}?sources=0&annotations=duration,distance",
                profile(mode)
            );
            // Errors are logged: leave the URL, which holds the search point, out of them.
            let response = self
                .client
                .get(&url)
                .send()
                .await
                .map_err(reqwest::Error::without_url)?;
            let status = response.status();
            let table: Table = response
                .json()
                .await
                .map_err(reqwest::Error::without_url)
                .with_context(|| format!("OSRM answered HTTP {status} without a table"))?;
            legs.extend(read_row(table, chunk.len())?);
        }
        Ok(legs)
    }
}

/// The origin's row of a table answer with `count` destinations (after the origin itself).
fn read_row(table: Table, count: usize) -> anyhow::Result<Vec<Option<Leg>>> {
    if table.code != "Ok" {
        anyhow::bail!(
            "OSRM answered {}: {}",
            table.code,
            table.message.unwrap_or_default()
        );
    }
    let origin_snap = table.sources.first().map_or(f64::INFINITY, |w| w.distance);
    if origin_snap > MAX_SNAP_M {
        anyhow::bail!("the search point is {origin_snap:.0} m from the nearest road OSRM knows");
    }
    let (Some(durations), Some(distances)) = (table.durations.first(), table.distances.first()) else {
        anyhow::bail!("OSRM answered without durations and distances");
    };
    if durations.len() != count + 1 || distances.len() != count + 1 || table.destinations.len() != count + 1 {
        anyhow::bail!("OSRM answered for a different number of places");
    }
    Ok((1..=count)
        .map(|j| {
            let snapped = table.destinations[j].distance <= MAX_SNAP_M;
            match (durations[j], distances[j]) {
                (Some(seconds), Some(metres)) if snapped => Some(Leg {
                    minutes: seconds / 60.0,
                    distance_km: metres / 1000.0,
                }),
                _ => None,
            }
        })
        .collect())
}
