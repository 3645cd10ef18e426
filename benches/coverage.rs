//! Coverage over all of GB: 10,846 postcode sectors × 5 fellowships against the 100,000-meeting
//! demo directory (issue 5 target: under 1 s on 2 cores).

use criterion::{criterion_group, criterion_main, Criterion};
use jiff::Timestamp;
use meetingmap::coverage::{self, Analysis, AreaLookup, Level, Threshold};
use meetingmap::domain::Fellowship;
use meetingmap::search::{Filter, Snapshot};
use meetingmap::travel::Mode;

const MEETINGS: usize = 100_000;

fn coverage_gb(c: &mut Criterion) {
    let now: Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
    let snapshot = Snapshot::build(meetingmap::demo::generate(MEETINGS, 1, now));
    let points = coverage::bundled_sectors();
    let lookup = AreaLookup::bundled();
    let fellowships: Vec<Fellowship> = Fellowship::all().take(5).collect();

    let mut group = c.benchmark_group("coverage_gb_sectors_100k");
    group.sample_size(10);
    for (name, threshold) in [
        ("5km", Threshold::Km(5.0)),
        ("30min_transit", Threshold::Minutes(Mode::Transit, 30.0)),
    ] {
        let analysis = Analysis {
            filter: Filter::default(),
            fellowships: fellowships.clone(),
            threshold,
        };
        group.bench_function(format!("analyse_{name}"), |b| {
            b.iter(|| coverage::analyse(&snapshot, &points, &analysis))
        });
        group.bench_function(format!("analyse_and_summarise_lad_{name}"), |b| {
            b.iter(|| {
                let result = coverage::analyse(&snapshot, &points, &analysis);
                coverage::summarise(&snapshot, &points, &analysis, &result, &lookup, Level::Lad, None)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, coverage_gb);
criterion_main!(benches);
