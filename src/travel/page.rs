//! Travel times for one page of search results.
//!
//! Estimates are computed for every result with a location. When an OSRM server routes the mode,
//! the page's meetings (not the whole candidate set) are sent to it in one table request per 99,
//! and its times replace the estimates; if it fails, the estimates stay and the page says so.
//! With `max_minutes`, the radius already holds exactly the meetings estimated to be within the
//! limit; a routed time over the limit removes that result from the page.

use std::collections::HashMap;

use crate::places::Geo;
use crate::search::{Query, Snapshot};
use crate::travel::{self, Method, Mode, Travel};

/// Travel times asked of a search: by `mode`, and only meetings within `max_minutes` of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravelRequest {
    pub mode: Mode,
    pub max_minutes: Option<u32>,
}

/// Travel times for a page, aligned with its results.
pub struct PageTravel {
    pub times: Vec<Option<Travel>>,
    /// Whether each result stays on the page under `max_minutes`.
    pub keep: Vec<bool>,
    /// Set when routed times were wanted but estimates had to be used.
    pub notice: Option<String>,
}

const OSRM_FAILED: &str = "the routing server did not answer; travel times are estimates";

/// Travel times to `stops` (each result's meeting index and distance from the point of `query`)
/// by `wanted`, if any.
pub async fn page_travel(
    geo: &Geo,
    wanted: Option<TravelRequest>,
    query: &Query,
    snapshot: &Snapshot,
    stops: &[(u32, Option<f64>)],
) -> PageTravel {
    let (Some(wanted), Some(near)) = (wanted, query.near) else {
        return PageTravel {
            times: vec![None; stops.len()],
            keep: vec![true; stops.len()],
            notice: None,
        };
    };
    let mode = wanted.mode;
    let mut times: Vec<Option<Travel>> = stops
        .iter()
        .map(|(_, d)| d.map(|d| travel::estimate(mode, d)))
        .collect();
    let mut notice = None;
    if let Some(osrm) = geo.osrm.as_ref().filter(|o| o.routes(mode)) {
        let mut meetings: Vec<u32> = stops.iter().filter(|s| s.1.is_some()).map(|s| s.0).collect();
        meetings.sort_unstable();
        meetings.dedup();
        let points: Vec<(f64, f64)> = meetings
            .iter()
            // Meetings with a distance have a point.
            .filter_map(|&i| snapshot.meeting(i).location.as_ref().and_then(|l| l.point()))
            .collect();
        if !points.is_empty() {
            match osrm.table(mode, (near.lat, near.lon), &points).await {
                Ok(legs) => {
                    let routed: HashMap<u32, _> = meetings
                        .iter()
                        .zip(legs)
                        .filter_map(|(&i, leg)| Some((i, leg?)))
                        .collect();
                    for (time, (index, _)) in times.iter_mut().zip(stops) {
                        if let Some(leg) = routed.get(index) {
                            *time = Some(Travel::new(mode, leg.minutes, leg.distance_km, Method::Osrm));
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), "OSRM failed; using estimates");
                    notice = Some(OSRM_FAILED.to_string());
                }
            }
        }
    }
    // Meetings joinable online are found anywhere when online attendance is asked for, as with
    // the radius; the time limit is for getting to the room.
    let online_ok = query.filter.wants_remote();
    let keep = stops
        .iter()
        .zip(&times)
        .map(|((index, _), time)| match (wanted.max_minutes, time) {
            (Some(max), Some(t)) if t.minutes > max => {
                online_ok && snapshot.meeting(*index).attendance.is_remote()
            }
            _ => true,
        })
        .collect();
    PageTravel { times, keep, notice }
}
