//! Coverage over all of GB: 10,846 postcode sectors, and 42,648 small areas, × 5 fellowships
//! against the 100,000-meeting demo directory (issue 5 and 18 target: under 1 s on 2 cores); and the HTML report, analysis included,
//! over the LAD boundaries when `../shared/data/uk-lad-2024-bgc.geojson` is there, with the
//! unions of those outlines into upper-tier authorities and nations and the summary as GeoJSON.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use jiff::Timestamp;
use meetingmap::coverage::boundaries::Boundaries;
use meetingmap::coverage::{self, Analysis, AreaLookup, Level, Threshold};
use meetingmap::coverage::{render as render_coverage, Output as CoverageOutput, QuestionSpec};
use meetingmap::domain::Fellowship;
use meetingmap::search::{Filter, Snapshot};
use meetingmap::travel::Mode;

const MEETINGS: usize = 100_000;

fn coverage_gb(c: &mut Criterion) {
    let now: Timestamp = "2027-01-04T09:00:00Z".parse().unwrap();
    let snapshot = Snapshot::build(meetingmap::demo::generate(MEETINGS, 1, now));
    let lookup = AreaLookup::bundled();
    let fellowships: Vec<Fellowship> = Fellowship::all().take(5).collect();

    // The postcode sectors, and the demand points reports use since issue 14: 42,648 small
    // areas (3.9x the sectors), each weighted by its residents.
    for (group, demand) in [
        ("coverage_gb_sectors_100k", coverage::Demand::Sectors),
        ("coverage_gb_small_areas_100k", coverage::Demand::SmallAreas),
    ] {
        let points = demand.points();
        let mut group = c.benchmark_group(group);
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
                b.iter(|| coverage::analyse(&snapshot, points, &analysis))
            });
            group.bench_function(format!("analyse_and_summarise_lad_{name}"), |b| {
                b.iter(|| {
                    let result = coverage::analyse(&snapshot, points, &analysis);
                    coverage::summarise(&snapshot, points, &demand, &analysis, &result, None, Level::Lad)
                })
            });
        }
        group.finish();
    }

    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/uk-lad-2024-bgc.geojson");
    let boundaries = file.exists().then(|| Boundaries::load(&file).unwrap());
    let mut group = c.benchmark_group("coverage_report_100k");
    group.sample_size(10);
    if boundaries.is_some() {
        group.bench_function("load_lad_boundaries", |b| {
            b.iter(|| Boundaries::load(&file).unwrap())
        });
        // Made once per server, on the first GeoJSON summary at each level.
        for (name, level) in [
            ("union_lad_shapes", Level::Lad),
            ("union_utla_shapes", Level::Utla),
            ("union_nation_shapes", Level::Nation),
        ] {
            group.bench_function(name, |b| {
                b.iter_batched(
                    || Boundaries::load(&file).unwrap(),
                    |fresh| {
                        fresh.shape(&lookup, level, "");
                        fresh
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    for (name, query) in [
        (
            "gb_lad_5km_5_fellowships",
            QuestionSpec::within_km(5.0).fellowships([
                Fellowship::parse("aa").unwrap(),
                Fellowship::parse("na").unwrap(),
                Fellowship::parse("ca").unwrap(),
                Fellowship::parse("smart").unwrap(),
                Fellowship::parse("al-anon").unwrap(),
            ]),
        ),
        (
            "wrexham_na_30min_transit",
            QuestionSpec::within_minutes(Mode::Transit, 30.0)
                .fellowships([Fellowship::parse("na").unwrap()])
                .area(Level::Lad, "W06000006"),
        ),
    ] {
        let query = query.check().unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                render_coverage(
                    CoverageOutput::Report,
                    &snapshot,
                    &query,
                    boundaries.as_ref(),
                    now,
                )
            })
        });
    }
    // The summary per upper-tier authority as GeoJSON, shapes already made.
    let query = QuestionSpec {
        level: Some(Level::Utla),
        ..QuestionSpec::within_km(5.0).fellowships([
            Fellowship::parse("aa").unwrap(),
            Fellowship::parse("na").unwrap(),
            Fellowship::parse("ca").unwrap(),
            Fellowship::parse("smart").unwrap(),
            Fellowship::parse("al-anon").unwrap(),
        ])
    }
    .check()
    .unwrap();
    let geojson = CoverageOutput::named("geojson", false).unwrap();
    if let Some(b) = &boundaries {
        b.shape(&lookup, Level::Utla, "");
    }
    group.bench_function("gb_utla_5km_5_fellowships_geojson", |b| {
        b.iter(|| render_coverage(geojson, &snapshot, &query, boundaries.as_ref(), now))
    });
    group.finish();
}

criterion_group!(benches, coverage_gb);
criterion_main!(benches);
