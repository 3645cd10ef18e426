//! Search core benchmarks over a 100,000-meeting demo directory.
//!
//! The query mix is the one in docs/benchmarks.md: AA and NA, open, in person, 10 km around
//! population-weighted GB points (positions of demo meetings, which are placed by population),
//! 100 results.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use jiff::{SignedDuration, Timestamp};
use meetingmap::search::{Query, Snapshot, Sort};

#[path = "mix.rs"]
mod mix;

const MEETINGS: usize = 100_000;

fn query_points(snapshot: &Snapshot) -> Vec<(f64, f64)> {
    snapshot
        .meetings()
        .step_by(97)
        .filter_map(|m| m.location.as_ref().and_then(|l| l.point()))
        .take(1000)
        .collect()
}

fn mix(point: (f64, f64)) -> Query {
    mix::query(point.0, point.1)
}

fn benches(c: &mut Criterion) {
    let now: Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
    let meetings = meetingmap::demo::generate(MEETINGS, 1, now);
    let snapshot = Snapshot::build(meetings.clone());
    let points = query_points(&snapshot);

    let mut group = c.benchmark_group("search_100k");
    let mut i = 0;
    group.bench_function("meetings_mix_10km_limit100", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            snapshot.search(&mix(points[i]), 100)
        })
    });
    group.bench_function("occurrences_mix_10km_7days_limit100", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            snapshot.occurrences(
                &mix(points[i]),
                now,
                now + SignedDuration::from_hours(24 * 7),
                100,
            )
        })
    });
    // `/v1/occurrences` sorts by start unless asked otherwise: the endpoint's own order, by the
    // k-way merge and by the full expansion it replaced (kept as the reference), side by side.
    let by_time = |point| Query {
        sort: Sort::Time,
        ..mix(point)
    };
    let week = now + SignedDuration::from_hours(24 * 7);
    group.bench_function("occurrences_mix_by_time_10km_7days_limit100", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            snapshot.occurrences(&by_time(points[i]), now, week, 100)
        })
    });
    group.bench_function("occurrences_expanded_mix_by_time_10km_7days_limit100", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            snapshot.occurrences_expanded(&by_time(points[i]), now, week, 100)
        })
    });
    group.bench_function("occurrences_expanded_mix_10km_7days_limit100", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            snapshot.occurrences_expanded(&mix(points[i]), now, week, 100)
        })
    });
    group.bench_function("meetings_all_gb_by_time_limit100", |b| {
        b.iter(|| snapshot.search(&Query::default(), 100))
    });
    group.finish();

    let mut group = c.benchmark_group("snapshot");
    group.sample_size(10);
    group.bench_function("build_100k", |b| {
        b.iter_batched(|| meetings.clone(), Snapshot::build, BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(search, benches);
criterion_main!(search);
