//! The command line, run as a user would run the binary.

use std::process::Command;

use crate::common::{meetingmap, ServeProcess};
use meetingmap::formats::backup::ExportFile;

#[test]
fn export_then_load_into_an_empty_database_reproduces_every_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.db");
    let second = dir.path().join("second.db");
    let (first, second) = (first.to_str().unwrap(), second.to_str().unwrap());
    let backup = dir.path().join("backup.json");
    let again = dir.path().join("again.json");

    let out = meetingmap(&[
        "demo-data",
        "--meetings",
        "700",
        "--seed",
        "42",
        "--database",
        first,
    ]);
    assert!(out.contains("loaded 700 demo meetings"), "{out}");
    meetingmap(&[
        "export",
        "--database",
        first,
        "--output",
        backup.to_str().unwrap(),
    ]);
    meetingmap(&["migrate", "--database", second]);
    let out = meetingmap(&["load", backup.to_str().unwrap(), "--database", second]);
    assert!(out.contains("loaded 700 meetings"), "{out}");
    meetingmap(&[
        "export",
        "--database",
        second,
        "--output",
        again.to_str().unwrap(),
    ]);

    let read = |p: &std::path::Path| -> ExportFile {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (a, b) = (read(&backup), read(&again));
    assert_eq!(a.meetings.len(), 700);
    assert_eq!(a.meetings, b.meetings);
    // Online, hybrid, monthly and non-UK-zone meetings are all in the sample and survive.
    assert!(a.meetings.iter().any(|m| m.location.is_none()));
    assert!(a
        .meetings
        .iter()
        .any(|m| m.schedule.as_ref().is_some_and(|s| !s.weeks_of_month.is_empty())));
    assert!(a.meetings.iter().any(|m| m
        .schedule
        .as_ref()
        .is_some_and(|s| s.timezone.name() != "Europe/London")));
}

#[test]
fn demo_data_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let export = |name: &str| {
        let db = dir.path().join(format!("{name}.db"));
        let db = db.to_str().unwrap();
        meetingmap(&["demo-data", "--meetings", "200", "--seed", "9", "--database", db]);
        let file: ExportFile = serde_json::from_str(&meetingmap(&["export", "--database", db])).unwrap();
        // Timestamps record when the data was generated; everything else is fixed by the seed.
        file.meetings
            .into_iter()
            .map(|mut m| {
                m.updated_at = jiff::Timestamp::UNIX_EPOCH;
                m.last_seen_at = jiff::Timestamp::UNIX_EPOCH;
                m.first_seen_at = jiff::Timestamp::UNIX_EPOCH;
                m
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(export("a"), export("b"));
}

#[test]
fn load_rejects_invalid_files_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("x.db");
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{"format":"meetingmap-export-v1","exported_at":"2027-01-01T00:00:00Z","meetings":[{"id":"x"}]}"#,
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(["load", file.to_str().unwrap(), "--database", db.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not a meetingmap export") && stderr.contains("missing field"),
        "{stderr}"
    );
}

#[test]
fn openapi_command_prints_the_committed_spec() {
    let printed = meetingmap(&["openapi"]);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert!(
        printed == committed,
        "`meetingmap openapi` differs from openapi/openapi.json"
    );
}

/// A small Meeting Guide feed written to `dir`.
fn feed_file(dir: &std::path::Path, records: usize) -> std::path::PathBuf {
    let meetings: Vec<serde_json::Value> = (0..records)
        .map(|i| {
            serde_json::json!({"slug": format!("m{i}"), "name": format!("Group {i}"), "day": i % 7, "time": "19:30",
                "timezone": "Europe/London", "types": ["O", "QQ"], "location": "Hall", "address": "1 High St",
                "city": "Wrexham", "latitude": 53.05, "longitude": -2.99})
        })
        .collect();
    let path = dir.join("feed.json");
    std::fs::write(&path, serde_json::to_string(&meetings).unwrap()).unwrap();
    path
}

#[test]
fn import_a_file_prints_a_summary_and_fails_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let db = db.to_str().unwrap();
    let feed = feed_file(dir.path(), 12);
    let args = [
        "import",
        "--file",
        feed.to_str().unwrap(),
        "--format",
        "meeting-guide",
        "--fellowship",
        "aa",
        "--source-id",
        "feed",
        "--database",
        db,
    ];
    let out = meetingmap(&args);
    assert!(out.contains("source") && out.contains("accepted"), "{out}");
    let row = out.lines().find(|l| l.starts_with("feed ")).unwrap();
    assert!(
        row.split_whitespace().collect::<Vec<_>>()[..4] == ["feed", "succeeded", "12", "12"],
        "{row}"
    );
    assert!(out.contains("type codes kept as raw tags: QQ (12)"), "{out}");

    // Shrinking past the guard fails with a non-zero exit, and --force accepts it.
    feed_file(dir.path(), 3);
    let output = Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(args)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("shrank from 12 to 3"), "{stdout}");
    // Nothing was added, updated or removed by a failed run, and the table does not say so.
    let row = stdout.lines().find(|l| l.starts_with("feed ")).unwrap();
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>(),
        ["feed", "failed", "3", "3", "-", "-", "-", "-", "0", "0", "0"],
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("import failed for feed"));
    let mut forced = args.to_vec();
    forced.push("--force");
    assert!(meetingmap(&forced).contains("forced"));
}

/// A CLI import serves nothing, so it takes no coverage trend summary (that would mean reading
/// the whole directory back and indexing it only to summarise it): the server sharing the
/// database takes one from the snapshot it serves (`coverage::a_server_takes_trends_...`).
#[tokio::test]
async fn a_cli_import_stores_no_coverage_summary() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let feed = feed_file(dir.path(), 12);
    crate::replicas::import_into(&feed, db.to_str().unwrap());
    let directory = meetingmap::directory::Directory::open_for_writes(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    // Meetings in Wrexham were written, of which a summary would have rows...
    assert_eq!(directory.source_meetings("local").await.unwrap().len(), 12);
    // ...but none was taken.
    assert_eq!(directory.coverage_summary(None).await.unwrap(), None);
}

/// Runs the binary expecting failure; answers its stderr.
fn meetingmap_fails(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(args)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `import --file` used to name the source after the file stem, so a second, unrelated
/// `feed.json` silently replaced the first one's meetings, and published the local path as the
/// attribution.
#[test]
fn import_a_file_needs_a_valid_source_id_and_never_publishes_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let db = db.to_str().unwrap();
    let feed = feed_file(dir.path(), 4);
    let feed = feed.to_str().unwrap();
    let base = [
        "import",
        "--file",
        feed,
        "--format",
        "meeting-guide",
        "--fellowship",
        "aa",
        "--database",
        db,
    ];

    let err = meetingmap_fails(&base);
    assert!(
        err.contains("--source-id") && err.contains("--definition"),
        "{err}"
    );
    for bad in ["Feed", "my feed", "../x", "", &"a".repeat(41)] {
        let err = meetingmap_fails(&[&base[..], &["--source-id", bad]].concat());
        assert!(
            err.contains("must be 1-40 characters of a-z, 0-9 and -"),
            "{bad}: {err}"
        );
    }

    let mut args = base.to_vec();
    args.extend(["--source-id", "east-leeds"]);
    let out = meetingmap(&args);
    assert!(out.lines().any(|l| l.starts_with("east-leeds ")), "{out}");
    let export = dir.path().join("export.json");
    meetingmap(&["export", "--output", export.to_str().unwrap(), "--database", db]);
    let text = std::fs::read_to_string(&export).unwrap();
    let dir_text = dir.path().to_str().unwrap();
    assert!(!text.contains(dir_text), "the local path is published: {text}");
    let backup: ExportFile = serde_json::from_str(&text).unwrap();
    let source = &backup.meetings[0].source;
    assert_eq!(source.name, "east-leeds (local file)");
    assert!(
        source.attribution.contains("local file"),
        "{}",
        source.attribution
    );

    // Name and attribution given are used as given.
    args.extend([
        "--name",
        "East Leeds AA",
        "--attribution",
        "East Leeds Intergroup",
        "--force",
    ]);
    meetingmap(&args);
    meetingmap(&["export", "--output", export.to_str().unwrap(), "--database", db]);
    let backup: ExportFile = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(backup.meetings[0].source.name, "East Leeds AA");
    assert_eq!(backup.meetings[0].source.attribution, "East Leeds Intergroup");
}

/// A definition gives a file import its id, name, attribution and format, and its bounds apply.
#[test]
fn import_a_file_with_a_definition_applies_its_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let db = db.to_str().unwrap();
    let feed = feed_file(dir.path(), 3);
    // One record far outside the source's area.
    let mut records: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&feed).unwrap()).unwrap();
    records[2]["latitude"] = 40.0.into();
    records[0]["conference_url"] = "javascript:void(0)".into();
    std::fs::write(&feed, serde_json::to_string(&records).unwrap()).unwrap();
    let definition = dir.path().join("wrexham.toml");
    std::fs::write(
        &definition,
        "id = \"wrexham\"\nname = \"Wrexham AA\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\n\
         url = \"https://example.org/feed.json\"\nattribution = \"Wrexham Intergroup\"\n\
         bounds = [52.5, -3.5, 53.5, -2.5]\n",
    )
    .unwrap();
    let definition = definition.to_str().unwrap();
    let feed = feed.to_str().unwrap();
    let out = meetingmap(&[
        "import",
        "--file",
        feed,
        "--definition",
        definition,
        "--database",
        db,
    ]);
    let row = out.lines().find(|l| l.starts_with("wrexham ")).expect(&out);
    assert_eq!(
        row.split_whitespace().take(4).collect::<Vec<_>>(),
        ["wrexham", "succeeded", "3", "2"],
        "{out}"
    );
    assert!(out.contains("outside the source's area"), "{out}");
    // What the import changed in accepted records is listed after the rejects.
    assert!(
        out.contains("wrexham: 1 record changed on import")
            && out.contains("slug m0: online link `javascript:void(0)` dropped"),
        "{out}"
    );
    // A definition says everything: flags that would contradict it are refused.
    let err = meetingmap_fails(&[
        "import",
        "--file",
        feed,
        "--definition",
        definition,
        "--source-id",
        "other",
        "--database",
        db,
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
    // A definition with a bad id is refused like one in importers/.
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"Bad_Id\"\nname = \"X\"\nformat = \"meeting-guide\"\nurl = \"https://example.org/f.json\"\nattribution = \"X\"\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    let err = meetingmap_fails(&[
        "import",
        "--file",
        feed,
        "--definition",
        bad.to_str().unwrap(),
        "--database",
        db,
    ]);
    assert!(err.contains("a-z, 0-9 and -"), "{err}");
}

#[test]
fn the_server_refreshes_enabled_sources_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let feed = feed_file(dir.path(), 5);
    let importers = dir.path().join("importers");
    std::fs::create_dir(&importers).unwrap();
    std::fs::write(
        importers.join("local.toml"),
        format!(
            "id = \"local\"\nname = \"Local file\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\nattribution = \"test\"\npath = \"{}\"\nenabled = true\n",
            feed.display()
        ),
    )
    .unwrap();
    let db = dir.path().join("s.db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_meetingmap"));
    command.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--database",
        db.to_str().unwrap(),
        "--importers",
        importers.to_str().unwrap(),
    ]);
    let server = ServeProcess::start(command);
    let base = &server.base;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sources = runtime.block_on(async {
        for _ in 0..100 {
            let body: serde_json::Value = reqwest::get(format!("{base}/v1/sources"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            // The import is recorded when its meetings are committed; the snapshot that counts
            // them is swapped in just after, so wait for both.
            if body["sources"][0]["status"] == "ok" && body["sources"][0]["meetings"] == 5 {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the source was not imported");
    });
    drop(server);
    let local = &sources["sources"][0];
    assert_eq!(
        (
            local["id"].as_str(),
            local["meetings"].as_u64(),
            local["enabled"].as_bool()
        ),
        (Some("local"), Some(5), Some(true))
    );
    assert_eq!(local["last_counts"]["added"], 5);
}

#[test]
fn coverage_writes_the_report_the_summary_and_the_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let db = db.to_str().unwrap();
    meetingmap(&["demo-data", "--meetings", "300", "--seed", "5", "--database", db]);
    let areas = dir.path().join("areas.geojson");
    std::fs::write(
        &areas,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"W06000006","name":"Wrexham <outline>"},
            "geometry":{"type":"Polygon","coordinates":[[[-3.2,52.9],[-2.8,52.9],[-2.8,53.2],[-3.2,53.2]]]}}]}"#,
    )
    .unwrap();
    let report = dir.path().join("report.html");
    let args = [
        "coverage",
        "--fellowship",
        "na",
        "--max-minutes",
        "30",
        "--mode",
        "transit",
        "--area",
        "W06000006",
        "--database",
        db,
    ];
    let mut with_report = args.to_vec();
    with_report.extend([
        "--boundaries",
        areas.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    let out = meetingmap(&with_report);
    // Wrexham's small areas only are analysed, and the time it took is said.
    let analysed = meetingmap::coverage::Demand::SmallAreas
        .points()
        .iter()
        .filter(|p| p.lad_code == "W06000006")
        .count();
    assert!(
        out.contains(&format!("{analysed} demand points against 300 meetings, in ")),
        "{out}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains(
        "<h1>Coverage in Wrexham: Narcotics Anonymous within 30 minutes by public transport (estimated)</h1>"
    ), "{}", &html[..html.len().min(2000)]);
    // Shaded by the share within reach.
    assert!(html.contains("class=\"area c focus\" style=\"fill:#"));
    assert!(html.contains("data-code=\"W06000006\""));
    // The outline's tooltip names it, and its share within reach.
    assert!(html.contains("<title>Wrexham &lt;outline&gt; (W06000006): "));

    // The summary as CSV, and as GeoJSON outlined by the boundaries, as on /v1/coverage.
    let mut summary = args.to_vec();
    summary.extend(["--format", "csv"]);
    let text = meetingmap(&summary);
    assert!(
        text.starts_with("code,name,fellowship,data_source,weight_total,"),
        "{text}"
    );
    assert!(text.contains("\nW06000006,Wrexham,na,listed,"), "{text}");
    summary = args.to_vec();
    summary.extend(["--format", "geojson", "--boundaries", areas.to_str().unwrap()]);
    let body: serde_json::Value = serde_json::from_str(&meetingmap(&summary)).unwrap();
    assert_eq!(body["features"][0]["id"], "W06000006");
    assert_eq!(body["features"][0]["geometry"]["type"], "MultiPolygon");
    let output = Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(["coverage", "--max-km", "5", "--gaps", "--database", db])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("with --gaps, --format must be"));

    // The gaps as CSV on standard output, over places or points from a file.
    let mut csv = args.to_vec();
    csv.extend(["--gaps", "--format", "csv", "--points", "places"]);
    let text = meetingmap(&csv);
    assert!(text.starts_with("label,lat,lon,weight,fellowship,"), "{text}");
    let points = dir.path().join("points.csv");
    std::fs::write(
        &points,
        "label,lat,lon,weight,lad_code\nRemote farm,53.0,-3.17,3,W06000006\n",
    )
    .unwrap();
    let mut geojson = args.to_vec();
    geojson.extend([
        "--gaps",
        "--format",
        "geojson",
        "--points",
        points.to_str().unwrap(),
    ]);
    let body: serde_json::Value = serde_json::from_str(&meetingmap(&geojson)).unwrap();
    let features = body["features"].as_array().unwrap();
    assert_eq!(features.len(), 1, "{body}");
    for f in features {
        assert_eq!(f["geometry"]["coordinates"], serde_json::json!([-3.17, 53.0]));
        assert_eq!(f["properties"]["label"], "Remote farm");
    }

    // Bad options are named as options, and nothing is written.
    let output = Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(["coverage", "--max-km", "500", "--level", "ward", "--database", db])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--max-km must be") && stderr.contains("--level must be"),
        "{stderr}"
    );
}
