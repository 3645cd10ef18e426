//! Importing a 100,000-meeting Meeting Guide feed (made from the demo data) from a file into an
//! empty SQLite directory: parse, build, store and index, end to end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use meetingmap::directory::Directory;
use meetingmap::domain::{Access, Attendance, Meeting};
use meetingmap::gazetteer::Gazetteer;
use meetingmap::import::fetch::Fetcher;
use meetingmap::import::source::SourceDefinition;
use meetingmap::import::{ImportOptions, Importer};
use serde_json::{json, Value};

/// A demo meeting as an intergroup's Meeting Guide feed would list it.
fn meeting_guide(m: &Meeting) -> Value {
    let mut types: Vec<&str> = match m.access {
        Access::Open => vec!["O"],
        Access::Closed => vec!["C"],
        Access::Unknown => vec![],
    };
    if m.attendance != Attendance::InPerson {
        types.push("ONL");
    }
    types.extend(["ST", "X"]);
    let mut record = json!({
        "slug": m.id, "name": m.name, "types": types, "notes": m.notes, "updated": "2026-10-01 12:00:00",
    });
    if let Some(s) = &m.schedule {
        record["day"] = json!(s.day.index());
        record["time"] = json!(s.start_time.to_string());
        record["end_time"] = json!(s.end_time().to_string());
        record["timezone"] = json!(s.timezone.name());
    }
    if let Some(l) = &m.location {
        record["location"] = json!(l.venue);
        record["address"] = json!(l.address_lines.join(", "));
        record["city"] = json!(l.town);
        record["country"] = json!("GB");
        record["latitude"] = json!(l.lat);
        record["longitude"] = json!(l.lon);
        record["approximate"] = json!("no");
    }
    if let Some(o) = &m.online {
        record["conference_url"] = json!(o.url);
    }
    record
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.json");
    let meetings = meetingmap::demo::generate(100_000, 1, "2027-01-04T09:00:00Z".parse().unwrap());
    let records: Vec<Value> = meetings.iter().map(meeting_guide).collect();
    std::fs::write(&feed, serde_json::to_vec(&records).unwrap()).unwrap();
    let definition = format!(
        "id = \"bench\"\nname = \"Bench\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\nattribution = \"demo\"\npath = \"{}\"\n",
        feed.display()
    );
    let source = SourceDefinition::parse(&definition, dir.path()).unwrap();
    let gazetteer = Arc::new(Gazetteer::bundled());
    let runtime = tokio::runtime::Runtime::new().unwrap();

    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    group.bench_function("meeting_guide_100k_into_empty_sqlite", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for i in 0..iterations {
                let db = dir.path().join(format!("import-{i}.db"));
                let _ = std::fs::remove_file(&db);
                total += runtime.block_on(async {
                    let directory = Directory::open(&format!("sqlite://{}", db.display()))
                        .await
                        .unwrap();
                    let importer = Importer::new(
                        directory,
                        Fetcher::new(Duration::from_secs(30)),
                        gazetteer.clone(),
                    );
                    let started = Instant::now();
                    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
                    assert_eq!(run.counts.accepted, 100_000, "{:?}", run.reason);
                    started.elapsed()
                });
                let _ = std::fs::remove_file(&db);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(import, benches);
criterion_main!(import);
