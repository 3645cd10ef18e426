//! The benchmark query mix (see docs/benchmarks.md): AA and NA, open, in person, 10 km.

use meetingmap::domain::{Access, Attendance, Fellowship};
use meetingmap::search::{Filter, Near, Query, Sort};

pub fn query(lat: f64, lon: f64) -> Query {
    Query {
        filter: Filter::default()
            .fellowships(["aa", "na"].map(|f| Fellowship::parse(f).unwrap()))
            .access(Access::Open)
            .attendance([Attendance::InPerson]),
        near: Some(Near {
            lat,
            lon,
            radius_km: 10.0,
        }),
        sort: Sort::Distance,
    }
}
