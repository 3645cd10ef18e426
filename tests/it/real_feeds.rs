//! The importers against the real feeds in `../shared/fixtures` (read from there at run time,
//! never copied into this repository). Skipped, with a note, where that folder is absent.
//! `cargo test --test it real_feeds -- --nocapture` prints the figures.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use meetingmap::directory::Directory;
use meetingmap::domain::{ImportOutcome, ImportRun};
use meetingmap::gazetteer::Gazetteer;
use meetingmap::import::fetch::Fetcher;
use meetingmap::import::source::SourceDefinition;
use meetingmap::import::{ImportOptions, Importer};

fn fixtures() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} is not here", dir.display());
        None
    }
}

async fn import(definition: &str) -> ImportRun {
    import_into(definition).await.0
}

/// [`import`], keeping the directory (its database lives as long as the test process).
async fn import_into(definition: &str) -> (ImportRun, Directory) {
    let dir = tempfile::tempdir().unwrap();
    let directory = Directory::open(&format!("sqlite://{}", dir.path().join("real.db").display()))
        .await
        .unwrap();
    let importers = Path::new(env!("CARGO_MANIFEST_DIR")).join("importers");
    let source = SourceDefinition::parse(definition, &importers).unwrap();
    let importer = Importer::new(
        directory.clone(),
        Fetcher::new(Duration::from_secs(30)),
        Arc::new(Gazetteer::bundled()),
    );
    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
    let accepted = run.counts.accepted as f64 / run.counts.records as f64;
    println!(
        "{}: {} records, {} accepted ({:.2}%), {} rejected, {} without coordinates; unknown codes: {:?}",
        source.id,
        run.counts.records,
        run.counts.accepted,
        accepted * 100.0,
        run.counts.rejected,
        run.counts.without_coordinates,
        run.unknown_types
            .iter()
            .map(|u| format!("{} ({})", u.code, u.meetings))
            .collect::<Vec<_>>()
    );
    for reject in &run.rejects {
        println!("  rejected {}: {}", reject.record, reject.reason);
        assert!(!reject.reason.is_empty());
    }
    assert_eq!(run.outcome, ImportOutcome::Succeeded, "{:?}", run.reason);
    assert!(
        accepted >= 0.99,
        "{}: only {:.2}% accepted",
        source.id,
        accepted * 100.0
    );
    assert_eq!(
        directory.snapshot().len() + duplicates_merged(&directory).await,
        run.counts.accepted
    );
    std::mem::forget(dir);
    (run, directory)
}

/// Meetings in the store but merged into another in the snapshot.
async fn duplicates_merged(directory: &Directory) -> usize {
    directory.stored_meetings().await.unwrap().len() - directory.snapshot().len()
}

fn path(relative: &str) -> String {
    fixtures().unwrap().join(relative).display().to_string()
}

#[tokio::test]
async fn bmlt_greater_new_york() {
    if fixtures().is_none() {
        return;
    }
    let run = import(&format!(
        "id = \"gny\"\nname = \"GNY\"\nformat = \"bmlt\"\nfellowship = \"na\"\nattribution = \"BMLT sample\"\n\
         path = \"{}\"\nformats_path = \"{}\"\ntimezone = \"America/New_York\"\n",
        path("bmlt/gny-GetSearchResults.json"),
        path("bmlt/gny-GetFormats-en.json")
    ))
    .await;
    assert_eq!(run.counts.records, 1513);
}

#[tokio::test]
async fn uk_recovery_meeting_finder_dump() {
    if fixtures().is_none() {
        return;
    }
    let (run, directory) = import_into(&format!(
        "id = \"rmf\"\nname = \"RMF\"\nformat = \"csv\"\nattribution = \"RMF\"\npath = \"{}\"\n\
         mapping = \"mappings/recovery-meeting-finder.toml\"\nbounds = [49.0, -11.0, 61.5, 2.5]\n",
        path("meeting-guide/uk-recovery-meeting-finder/meetings-2026-08-05.redacted.csv")
    ))
    .await;
    assert_eq!(run.counts.records, 8222);

    // The dump has no online columns: every join link, joining note and online attendance here
    // was found in a meeting's notes by the import's cleaning (conferencing links, Zoom IDs).
    use meetingmap::domain::Attendance;
    let snapshot = directory.snapshot();
    let from_notes: Vec<_> = snapshot
        .meetings()
        .filter(|m| {
            m.online
                .as_ref()
                .is_some_and(|o| o.url.is_some() || o.notes.is_some())
        })
        .collect();
    let count = |a: Attendance| from_notes.iter().filter(|m| m.attendance == a).count();
    let links = from_notes
        .iter()
        .filter(|m| m.online.as_ref().is_some_and(|o| o.url.is_some()))
        .count();
    println!(
        "rmf: {} meetings given online details from their notes ({} hybrid, {} online; {} with a join link, {} with joining notes only)",
        from_notes.len(),
        count(Attendance::Hybrid),
        count(Attendance::Online),
        links,
        from_notes.len() - links
    );
    // The dump's notes name Zoom rooms for about 200 meetings; most give an ID or a link.
    assert!(from_notes.len() >= 80, "{} meetings", from_notes.len());
    assert_eq!(
        count(Attendance::InPerson),
        0,
        "online details make a meeting joinable online"
    );
}

#[tokio::test]
async fn meeting_guide_spec_example() {
    if fixtures().is_none() {
        return;
    }
    let run = import(&format!(
        "id = \"spec\"\nname = \"Spec\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\nattribution = \"code4recovery\"\npath = \"{}\"\n",
        path("meeting-guide/spec-example/spec-readme-example.json")
    ))
    .await;
    assert_eq!(run.counts.accepted, 1);
}

#[tokio::test]
async fn online_intergroup() {
    if fixtures().is_none() {
        return;
    }
    let run = import(&format!(
        "id = \"oiaa\"\nname = \"OIAA\"\nformat = \"meeting-guide\"\nfellowship = \"aa\"\nattribution = \"OIAA\"\npath = \"{}\"\nroomless = \"online\"\n",
        path("meeting-guide/oiaa-central-query/meetings.json")
    ))
    .await;
    assert_eq!(run.counts.records, 160);
}

#[tokio::test]
async fn tsml_import_template() {
    if fixtures().is_none() {
        return;
    }
    let run = import(&format!(
        "id = \"tsml\"\nname = \"TSML\"\nformat = \"csv\"\ncsv_preset = \"tsml\"\nfellowship = \"aa\"\nattribution = \"TSML\"\npath = \"{}\"\n",
        path("meeting-guide/tsml-template/template.csv")
    ))
    .await;
    assert_eq!(run.counts.records, 36);
}

/// The keyworker's journey on the real UK dump (issue 13): the dump imported through the real
/// importer into the real app, the hand-out for a client at LL11 1AA (AA, evenings, 30 minutes by
/// public transport) printed by Chromium to A4, and its first page written to
/// `target/handout-ll11.png` for a person to look at.
#[tokio::test]
async fn uk_dump_handout_for_ll11_prints_for_review() {
    use crate::common::{can_run, chromium_missing, run_chromium, TestApp};
    if fixtures().is_none() {
        return;
    }
    let missing_poppler = (!Path::new("/usr/bin/pdftoppm").is_file())
        .then(|| "no pdftoppm (apt-get install poppler-utils)".to_string());
    if !can_run(chromium_missing().or(missing_poppler)) {
        return;
    }
    let server = TestApp::start(Vec::new()).await;
    let importers = Path::new(env!("CARGO_MANIFEST_DIR")).join("importers");
    let source = SourceDefinition::parse(
        &format!(
            "id = \"rmf\"\nname = \"Recovery Meeting Finder UK dump\"\nformat = \"csv\"\nattribution = \"RMF\"\n\
             path = \"{}\"\nmapping = \"mappings/recovery-meeting-finder.toml\"\nbounds = [49.0, -11.0, 61.5, 2.5]\n",
            path("meeting-guide/uk-recovery-meeting-finder/meetings-2026-08-05.redacted.csv")
        ),
        &importers,
    )
    .unwrap();
    let importer = Importer::new(
        server.directory.clone(),
        Fetcher::new(Duration::from_secs(30)),
        Arc::new(Gazetteer::bundled()),
    );
    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
    assert_eq!(run.outcome, ImportOutcome::Succeeded, "{:?}", run.reason);
    assert_eq!(
        run.feed_date,
        Some("2026-08-05".parse().unwrap()),
        "dated by the dump's name"
    );

    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    let pdf = target.join("handout-ll11.pdf");
    let url = format!(
        "{}/v1/handout?near=LL11%201AA&fellowship=aa,smart&start_after=17:00&mode=transit&max_minutes=30",
        server.base
    );
    // Off the runtime's thread: the server answering Chromium runs on it.
    let print = vec![
        "--no-pdf-header-footer".to_string(),
        format!("--print-to-pdf={}", pdf.display()),
    ];
    tokio::task::spawn_blocking(move || run_chromium(&url, &print))
        .await
        .unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    println!("{text}");
    for expected in [
        "Walk:",
        "Drive:",
        "Bus/train:",
        "Alcoholics Anonymous",
        "No SMART Recovery meetings are listed",
        "as of 5 August 2026",
    ] {
        assert!(
            text.contains(expected),
            "the printed hand-out says {expected:?}:\n{text}"
        );
    }
    let first_page = target.join("handout-ll11");
    let status = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&first_page)
        .status()
        .unwrap();
    assert!(status.success());
    println!("first page for review: {}.png", first_page.display());
}

/// The real UK dump in the clients other websites already run: TSML UI given our Meeting Guide
/// feed of AA around LL11 (30 km, and AA's online meetings), and croutonjs given our BMLT
/// interface for a fellowship's service body and a near-me search around LL11 1AA. Every
/// meeting we serve must be listed; screenshots `target/tsml-ui-uk.png` and
/// `target/crouton-uk.png` for a person to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uk_dump_in_tsml_ui_and_crouton() {
    use crate::common::{can_run, chromium, chromium_missing, TestApp};
    use meetingmap::domain::Fellowship;
    if fixtures().is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tsml_ui = root.join("../shared/clients/tsml-ui/app.js");
    let crouton = root.join("tests/browser/node_modules/@bmlt-enabled/croutonjs/crouton.min.js");
    let missing = chromium_missing()
        .or_else(|| (!tsml_ui.is_file()).then(|| format!("no TSML UI bundle at {}", tsml_ui.display())))
        .or_else(|| {
            (!crouton.is_file()).then(|| "no croutonjs (run `npm ci --prefix tests/browser`)".into())
        });
    if !can_run(missing) {
        return;
    }
    let server = TestApp::start(Vec::new()).await;
    let importers = root.join("importers");
    let source = SourceDefinition::parse(
        &format!(
            "id = \"rmf\"\nname = \"Recovery Meeting Finder UK dump\"\nformat = \"csv\"\nattribution = \"RMF\"\n\
             path = \"{}\"\nmapping = \"mappings/recovery-meeting-finder.toml\"\nbounds = [49.0, -11.0, 61.5, 2.5]\n",
            path("meeting-guide/uk-recovery-meeting-finder/meetings-2026-08-05.redacted.csv")
        ),
        &importers,
    )
    .unwrap();
    let importer = Importer::new(
        server.directory.clone(),
        Fetcher::new(Duration::from_secs(30)),
        Arc::new(Gazetteer::bundled()),
    );
    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
    assert_eq!(run.outcome, ImportOutcome::Succeeded, "{:?}", run.reason);

    // What a search for the same meetings finds, through the search API.
    let feed_query = "fellowship=aa&near=LL11&radius_km=30";
    let (status, search) = server
        .get(&format!(
            "/v1/meetings?{feed_query}&attendance=in_person&attendance=online&attendance=hybrid&limit=500"
        ))
        .await;
    assert_eq!(status, 200, "{search}");
    assert!(search["next"].is_null(), "fewer than 500");
    let expected = search["meetings"].as_array().unwrap().len();
    println!("AA within 30 km of LL11, and AA online: {expected} meetings");

    let snapshot = server.directory.snapshot();
    let fellowship = ["na", "ca", "aa"]
        .into_iter()
        .map(|f| Fellowship::parse(f).unwrap())
        .find(|f| snapshot.lists(*f))
        .unwrap();
    let in_body = snapshot
        .meetings()
        .filter(|m| m.fellowship == fellowship && m.schedule.is_some())
        .count();
    println!("{} service body: {in_body} meetings", fellowship.id());
    let body = meetingmap::formats::bmlt::fellowship_body(fellowship);

    let target = root.join("target");
    std::fs::create_dir_all(&target).unwrap();
    let base = server.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .args([
                "--test",
                "--test-timeout=180000",
                "tests/browser/tsml-ui.test.mjs",
                "tests/browser/crouton.test.mjs",
            ])
            .current_dir(root)
            .env("MEETINGMAP_BASE_URL", base)
            .env("MEETINGMAP_CHROMIUM", chromium())
            .env("MEETINGMAP_TSML_UI", tsml_ui)
            .env("MEETINGMAP_FEED_QUERY", feed_query)
            .env("MEETINGMAP_FEED_COUNT", expected.to_string())
            .env("MEETINGMAP_NA_BODY", body.to_string())
            .env("MEETINGMAP_NA_COUNT", in_body.to_string())
            .env("MEETINGMAP_HOME", "53.0462,-2.9930")
            .env("MEETINGMAP_SCREENSHOTS", target)
            .env("MEETINGMAP_SHOT_SUFFIX", "-uk")
            .output()
    })
    .await
    .unwrap()
    .expect("node runs (is Node.js installed?)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the browser tests failed:\n{report}");
    println!("{report}");
}
