//! The command line, run as a user would run the binary.

use std::process::Command;

use meetingmap::cli::ExportFile;

fn meetingmap(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_meetingmap"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

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
