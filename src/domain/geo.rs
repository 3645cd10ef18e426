//! Great-circle distance on the mean Earth sphere.

use geo::{Distance, Haversine, Point};

/// Mean Earth radius (IUGG), the radius `geo`'s haversine uses.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two WGS84 points, in kilometres.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    Haversine.distance(Point::new(lon1, lat1), Point::new(lon2, lat2)) / 1000.0
}

/// Kilometres rounded to the metre, as every answer states them.
pub fn round_km(km: f64) -> f64 {
    (km * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let d = distance_km(51.5074, -0.1278, 53.0462, -2.9930);
        assert_eq!(d, distance_km(53.0462, -2.9930, 51.5074, -0.1278));
        // A degree of longitude on the equator is as long as a degree of latitude anywhere.
        assert!((distance_km(0.0, 10.0, 0.0, 11.0) - 111.195).abs() < 0.01);
        assert_eq!(distance_km(52.0, -1.0, 52.0, -1.0), 0.0);
        // A degree of latitude is about 111.2 km.
        assert!((distance_km(52.0, -1.0, 53.0, -1.0) - 111.195).abs() < 0.01);
    }
}
