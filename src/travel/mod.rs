//! How long it takes to get to a meeting: an offline estimate from straight-line distance, and
//! optionally real routes from an OSRM server ([`osrm`]). Also the directions link.
//!
//! The estimate multiplies great-circle distance by a circuity factor (roads are not straight) and
//! applies a speed per mode. Sources and figures are in the README ("Travel times"); in short:
//!
//! - walk: 1.3 × distance at 5 km/h (OSRM's `foot.lua` speed);
//! - cycle: 1.3 × distance at 15 km/h (OSRM's `bicycle.lua` default);
//! - drive: `6.5 · d^0.54` minutes up to 40 km (a fit to 4.3 million modelled road journeys in
//!   England and Wales, which includes parking and slow town streets), then 70 km/h crow-fly;
//! - transit: no timetables are available offline, so walking to and from stops (10 min), waiting
//!   (10 min) and riding at 20 km/h along 1.3 × distance, or walking if that is quicker. An
//!   assumption, labelled as an estimate like every other.
//!
//! Every estimate is continuous and increasing in distance, so "within N minutes" is exactly
//! "within [`reach_km`] kilometres", which lets a travel-time filter use the spatial index.

pub mod osrm;
mod page;

pub use page::{page_travel, PageTravel, TravelRequest};

use serde::Serialize;
use utoipa::ToSchema;

/// Network distance ÷ great-circle distance for GB roads and paths.
pub const CIRCUITY: f64 = 1.3;
const WALK_KMH: f64 = 5.0;
const CYCLE_KMH: f64 = 15.0;
const DRIVE_FIT: (f64, f64) = (6.5, 0.54);
const DRIVE_FIT_UNTIL_KM: f64 = 40.0;
const DRIVE_BEYOND_CROW_KMH: f64 = 70.0;
const TRANSIT_ACCESS_MIN: f64 = 10.0;
const TRANSIT_WAIT_MIN: f64 = 10.0;
const TRANSIT_KMH: f64 = 20.0;

/// How someone travels to a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Walk,
    Cycle,
    Drive,
    /// Bus or train (always estimated: no timetables offline).
    Transit,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Walk, Mode::Cycle, Mode::Drive, Mode::Transit];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Walk => "walk",
            Mode::Cycle => "cycle",
            Mode::Drive => "drive",
            Mode::Transit => "transit",
        }
    }

    pub fn parse(text: &str) -> Option<Mode> {
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// Where a travel time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Estimated from straight-line distance (see the README for the model).
    Estimate,
    /// Routed on the road network by an OSRM server.
    Osrm,
}

/// Getting to one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Travel {
    pub mode: Mode,
    /// Travel time, rounded up to the minute.
    pub minutes: u32,
    /// Distance along the way (estimated as circuity × straight-line distance for estimates).
    pub distance_km: f64,
    pub method: Method,
}

impl Travel {
    /// A travel time from a computed duration and network distance.
    pub fn new(mode: Mode, minutes: f64, distance_km: f64, method: Method) -> Travel {
        Travel {
            mode,
            // Rounded up, so that a result shown as N minutes never takes longer than N.
            minutes: minutes.ceil().clamp(0.0, u32::MAX as f64) as u32,
            distance_km: (distance_km * 100.0).round() / 100.0,
            method,
        }
    }
}

/// Estimated minutes to cover `crow_km` of great-circle distance by `mode`.
pub fn estimate_minutes(mode: Mode, crow_km: f64) -> f64 {
    let crow_km = crow_km.max(0.0);
    let at = |kmh: f64| 60.0 * CIRCUITY * crow_km / kmh;
    match mode {
        Mode::Walk => at(WALK_KMH),
        Mode::Cycle => at(CYCLE_KMH),
        Mode::Drive => {
            let (scale, power) = DRIVE_FIT;
            let fit = |d: f64| scale * d.powf(power);
            if crow_km <= DRIVE_FIT_UNTIL_KM {
                fit(crow_km)
            } else {
                fit(DRIVE_FIT_UNTIL_KM) + 60.0 * (crow_km - DRIVE_FIT_UNTIL_KM) / DRIVE_BEYOND_CROW_KMH
            }
        }
        Mode::Transit => at(WALK_KMH).min(TRANSIT_ACCESS_MIN + TRANSIT_WAIT_MIN + at(TRANSIT_KMH)),
    }
}

/// The offline estimate for a straight-line distance.
pub fn estimate(mode: Mode, crow_km: f64) -> Travel {
    Travel::new(
        mode,
        estimate_minutes(mode, crow_km),
        CIRCUITY * crow_km,
        Method::Estimate,
    )
}

/// The furthest straight-line distance whose estimate is within `minutes`: a search radius that
/// finds exactly the meetings estimated to be that close.
pub fn reach_km(mode: Mode, minutes: f64) -> f64 {
    // Bisection: the estimate is increasing, and 10,000 km is beyond any minutes asked for.
    let (mut within, mut beyond) = (0.0, 10_000.0);
    for _ in 0..64 {
        let mid = (within + beyond) / 2.0;
        if estimate_minutes(mode, mid) <= minutes {
            within = mid;
        } else {
            beyond = mid;
        }
    }
    within
}

/// An OpenStreetMap directions link to a meeting (no API key needed), from the search point and
/// for the travel mode when the search had them. OpenStreetMap routes walking, cycling and driving.
pub fn directions_url(to: (f64, f64), from: Option<(f64, f64)>, mode: Option<Mode>) -> String {
    let engine = match mode {
        Some(Mode::Walk) => "engine=fossgis_osrm_foot&",
        Some(Mode::Cycle) => "engine=fossgis_osrm_bike&",
        Some(Mode::Drive) => "engine=fossgis_osrm_car&",
        Some(Mode::Transit) | None => "",
    };
    let from = from.map_or(String::new(), |(lat, lon)| format!("{lat:.5}%2C{lon:.5}"));
    format!(
        "https://www.openstreetmap.org/directions?{engine}route={from}%3B{:.5}%2C{:.5}",
        to.0, to.1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_increase_with_distance_for_every_mode() {
        for mode in Mode::ALL {
            let mut previous = estimate_minutes(mode, 0.0);
            assert_eq!(previous, 0.0, "{mode:?}");
            for step in 1..=30_000 {
                let d = step as f64 * 0.01;
                let t = estimate_minutes(mode, d);
                assert!(t > previous, "{mode:?} at {d} km: {t} after {previous}");
                previous = t;
            }
        }
    }

    #[test]
    fn worked_values() {
        // Walking 1 km straight is 1.3 km on the ground at 5 km/h: 15.6 minutes.
        assert!((estimate_minutes(Mode::Walk, 1.0) - 15.6).abs() < 1e-9);
        assert!((estimate_minutes(Mode::Cycle, 1.0) - 5.2).abs() < 1e-9);
        // The reference's worked values for the power fit.
        for (d, t) in [(1.0, 6.5), (5.0, 15.5), (10.0, 22.5), (20.0, 32.8), (40.0, 47.6)] {
            assert!((estimate_minutes(Mode::Drive, d) - t).abs() < 0.1, "{d}");
        }
        // Transit: walking wins for short trips; beyond, 20 minutes plus the ride.
        assert_eq!(
            estimate_minutes(Mode::Transit, 0.5),
            estimate_minutes(Mode::Walk, 0.5)
        );
        assert!((estimate_minutes(Mode::Transit, 10.0) - 59.0).abs() < 1e-9);
        let t = estimate(Mode::Walk, 1.0);
        assert_eq!((t.minutes, t.distance_km, t.method), (16, 1.3, Method::Estimate));
    }

    #[test]
    fn reach_is_the_inverse_of_the_estimate() {
        for mode in Mode::ALL {
            for minutes in [1.0, 5.0, 15.0, 30.0, 60.0, 240.0] {
                let r = reach_km(mode, minutes);
                assert!(estimate_minutes(mode, r) <= minutes);
                assert!(estimate_minutes(mode, r + 1e-6) > minutes, "{mode:?} {minutes}");
                assert!(estimate(mode, r).minutes <= minutes as u32);
            }
        }
        assert!((reach_km(Mode::Walk, 15.6) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(Mode::parse(" Walk "), Some(Mode::Walk));
        assert_eq!(Mode::parse("transit"), Some(Mode::Transit));
        assert_eq!(Mode::parse("car"), None);
    }

    #[test]
    fn directions_links() {
        assert_eq!(
            directions_url((53.05, -2.99), None, None),
            "https://www.openstreetmap.org/directions?route=%3B53.05000%2C-2.99000"
        );
        assert_eq!(
            directions_url((53.05, -2.99), Some((53.0462, -2.993)), Some(Mode::Walk)),
            "https://www.openstreetmap.org/directions?engine=fossgis_osrm_foot&route=53.04620%2C-2.99300%3B53.05000%2C-2.99000"
        );
    }
}
