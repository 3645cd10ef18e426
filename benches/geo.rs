//! What `near=<postcode>` costs over a `lat`/`lon` search, over a 100,000-meeting demo directory.
//!
//! Both run the same searches (AA and NA, open, in person, 10 km, 100 results) around the same
//! points; the postcode variant first resolves a full postcode typed in lower case without a space.
//! The postcodes are `<sector>AA` for every GB sector: with the unit file loaded (when
//! `../shared/data/gb-postcodes.csv.gz` or `MEETINGMAP_POSTCODES` is present) most miss the unit
//! table and fall back to the sector, the slowest path; without it they resolve to the sector.

use criterion::{criterion_group, criterion_main, Criterion};
use jiff::Timestamp;
use meetingmap::gazetteer::Gazetteer;
use meetingmap::search::Snapshot;

#[path = "mix.rs"]
mod mix;
use mix::query;

const MEETINGS: usize = 100_000;

fn benches(c: &mut Criterion) {
    let now: Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
    let snapshot = Snapshot::build(meetingmap::demo::generate(MEETINGS, 1, now));
    let mut gazetteer = Gazetteer::bundled();
    let units = std::env::var_os("MEETINGMAP_POSTCODES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/gb-postcodes.csv.gz").into());
    if units.exists() {
        gazetteer.load_units(&units).unwrap();
    }
    eprintln!("unit postcodes loaded: {}", gazetteer.unit_count());

    let sectors = include_str!("../data/uk-postcode-sectors.csv");
    let typed: Vec<String> = sectors
        .lines()
        .skip(1)
        .step_by(7)
        .map(|line| {
            format!(
                "{}aa",
                line.split(',').next().unwrap().replace(' ', "").to_lowercase()
            )
        })
        .collect();
    let points: Vec<(f64, f64)> = typed
        .iter()
        .map(|t| {
            let r = gazetteer.resolve(t).unwrap();
            (r.lat, r.lon)
        })
        .collect();

    let mut group = c.benchmark_group("near_100k");
    let mut i = 0;
    group.bench_function("lat_lon_search", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            let (lat, lon) = points[i];
            snapshot.search(&query(lat, lon), 100)
        })
    });
    group.bench_function("postcode_resolve_and_search", |b| {
        b.iter(|| {
            i = (i + 1) % typed.len();
            let place = gazetteer.resolve(&typed[i]).unwrap();
            snapshot.search(&query(place.lat, place.lon), 100)
        })
    });
    group.bench_function("postcode_resolve_only", |b| {
        b.iter(|| {
            i = (i + 1) % typed.len();
            gazetteer.resolve(&typed[i]).unwrap()
        })
    });
    group.bench_function("place_name_resolve_only", |b| {
        b.iter(|| gazetteer.resolve("newport").unwrap())
    });
    group.bench_function("unknown_with_suggestions", |b| {
        b.iter(|| gazetteer.resolve("Wrexam").unwrap_err())
    });
    group.finish();
}

criterion_group!(geo, benches);
criterion_main!(geo);
