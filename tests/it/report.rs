//! The coverage report as people see it: rendered by headless Chromium from the real server, and
//! drawn over the real local authority boundaries when the shared data is there.

use std::path::{Path, PathBuf};

use crate::common::{can_run, chromium_missing, meeting, run_chromium, TestApp};
use meetingmap::coverage::boundaries::Boundaries;
use meetingmap::coverage::{render as render_coverage, Level, Output as CoverageOutput, QuestionSpec};
use meetingmap::domain::Fellowship;
use meetingmap::search::Snapshot;
use meetingmap::travel::Mode;

const WREXHAM: (f64, f64) = (53.0462, -2.9930);
/// The report's colours for meetings and gap points (`report::MEETING_COLOUR`, `GAP_COLOUR`).
const MEETING_RGB: [u8; 3] = [0x1f, 0x5f, 0xbf];
const GAP_RGB: [u8; 3] = [0x5b, 0x2a, 0x86];
/// The map's background, and the fill of the area reported on.
const MAP_RGB: [[u8; 3]; 2] = [[0xf6, 0xf5, 0xf0], [0xff, 0xfd, 0xf2]];

/// Screenshots `url` at 1280×1600 into `png`, waiting at most a minute.
fn screenshot(url: &str, png: &Path) {
    run_chromium(
        url,
        &[
            "--hide-scrollbars".into(),
            format!("--screenshot={}", png.display()),
            "--window-size=1280,1600".into(),
        ],
    );
}

/// RGB pixels of a PNG, with its width.
fn pixels(png: &Path) -> (Vec<[u8; 3]>, usize) {
    let mut reader = png::Decoder::new(std::fs::File::open(png).unwrap())
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (rgb, info.width as usize)
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 10)
}

/// Two squares: Wrexham's code around the meeting, and a neighbour to the east.
fn synthetic_boundaries(dir: &Path) -> PathBuf {
    let square = |code: &str, name: &str, west: f64| {
        serde_json::json!({"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [[[west, 52.9], [west + 0.3, 52.9],
                [west + 0.3, 53.2], [west, 53.2], [west, 52.9]]]}})
    };
    let collection = serde_json::json!({"type": "FeatureCollection", "features": [
        square("W06000006", "Wrexham", -3.2), square("E06000050", "Cheshire West", -2.9)]});
    let path = dir.join("areas.geojson");
    std::fs::write(&path, collection.to_string()).unwrap();
    path
}

#[tokio::test]
async fn chromium_renders_a_map_with_meetings_and_gaps() {
    if !can_run(chromium_missing()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let boundaries = synthetic_boundaries(dir.path());
    let meetings = vec![
        meeting("w1", WREXHAM),
        meeting("w2", (53.10, -3.05)),
        meeting("w3", (52.98, -2.90)),
    ];
    let server = TestApp::builder()
        .meetings(meetings)
        .settings(|s| s.coverage.outlines.boundaries = Some(boundaries))
        .start()
        .await;
    let url = format!(
        "{}/v1/coverage?fellowship=aa&max_km=3&area=W06000006&format=html",
        server.base
    );
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("coverage-report.png");
    let _ = std::fs::remove_file(&png);
    let (shot, target) = (url.clone(), png.clone());
    tokio::task::spawn_blocking(move || screenshot(&shot, &target))
        .await
        .unwrap();
    println!("screenshot of {url}: {}", png.display());

    let (rgb, width) = pixels(&png);
    assert_eq!(width, 1280);
    // The map is where its background and the area's fill are.
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (i, p) in rgb.iter().enumerate() {
        if MAP_RGB.iter().any(|m| near(*p, *m)) {
            let (x, y) = (i % width, i / width);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    assert!(
        x1 > x0 + 300 && y1 > y0 + 300,
        "no map found: ({x0},{y0})-({x1},{y1})"
    );
    let count = |colour: [u8; 3]| {
        rgb.iter()
            .enumerate()
            .filter(|(i, p)| {
                let (x, y) = (i % width, i / width);
                (x0..=x1).contains(&x) && (y0..=y1).contains(&y) && near(**p, colour)
            })
            .count()
    };
    let (meeting_pixels, gap_pixels) = (count(MEETING_RGB), count(GAP_RGB));
    assert!(meeting_pixels >= 3, "meeting dots: {meeting_pixels} pixels");
    assert!(gap_pixels >= 30, "gap circles: {gap_pixels} pixels");
}

#[test]
fn the_wrexham_report_outlines_wrexham_over_its_neighbours() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/uk-lad-2024-bgc.geojson");
    if !file.exists() {
        println!("skipped: {} is not there", file.display());
        return;
    }
    let boundaries = Boundaries::load(&file).unwrap();
    assert_eq!(boundaries.outlines().len(), 361);
    let snapshot = Snapshot::build(vec![meeting("w1", WREXHAM).normalise().unwrap()]);
    let query = QuestionSpec::within_minutes(Mode::Transit, 30.0)
        .fellowships([Fellowship::parse("na").unwrap()])
        .area(Level::Lad, "W06000006")
        .check()
        .unwrap();
    let html = render_coverage(
        CoverageOutput::Report,
        &snapshot,
        &query,
        Some(&boundaries),
        jiff::Timestamp::now(),
    );
    let path = |code: &str| {
        let at = html.find(&format!("data-code=\"{code}\" d=\""))?;
        let class = &html[html[..at].rfind("class=\"")? + 7..];
        let d = &html[at + 25..];
        Some((
            class[..class.find('"')?].to_string(),
            d[..d.find('"')?].to_string(),
        ))
    };
    let (class, d) = path("W06000006").expect("Wrexham's outline");
    assert_eq!(class, "area focus");
    assert!(
        d.starts_with('M') && d.ends_with('Z') && d.matches('L').count() > 100,
        "{d}"
    );
    for neighbour in ["W06000004", "W06000005", "E06000050", "E06000051"] {
        let (class, _) = path(neighbour).unwrap_or_else(|| panic!("no {neighbour}"));
        assert_eq!(class, "area", "{neighbour}");
    }
    assert!(path("S12000033").is_none(), "Aberdeen is out of view");
    // Simplified to the map's scale: small enough to mail.
    assert!(html.len() < 150_000, "{} bytes", html.len());
}

/// `../shared`, where the real UK dump and the LAD boundaries are; `None` (skipped, or a failure
/// under CI) when absent.
fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let missing = (!dir.join("fixtures").is_dir() || !dir.join("data/uk-lad-2024-bgc.geojson").is_file())
        .then(|| format!("{} has no real dump or boundaries", dir.display()));
    can_run(missing).then_some(dir)
}

/// A server over the real UK dump (imported through the real importer at test time, never
/// copied here) with the real LAD boundaries.
async fn real_server(shared: &Path) -> TestApp {
    use meetingmap::import::fetch::Fetcher;
    use meetingmap::import::source::SourceDefinition;
    use meetingmap::import::{ImportOptions, Importer};
    let server = TestApp::builder()
        .settings(|s| s.coverage.outlines.boundaries = Some(shared.join("data/uk-lad-2024-bgc.geojson")))
        .start()
        .await;
    let importers = Path::new(env!("CARGO_MANIFEST_DIR")).join("importers");
    let source = SourceDefinition::parse(
        &format!(
            "id = \"rmf\"\nname = \"Recovery Meeting Finder UK dump\"\nformat = \"csv\"\nattribution = \"RMF\"\n\
             path = \"{}\"\nmapping = \"mappings/recovery-meeting-finder.toml\"\nbounds = [49.0, -11.0, 61.5, 2.5]\n",
            shared
                .join("fixtures/meeting-guide/uk-recovery-meeting-finder/meetings-2026-08-05.redacted.csv")
                .display()
        ),
        &importers,
    )
    .unwrap();
    let importer = Importer::new(
        server.directory.clone(),
        Fetcher::new(std::time::Duration::from_secs(30)),
        std::sync::Arc::new(meetingmap::gazetteer::Gazetteer::bundled()),
    );
    let run = importer.import(&source, &ImportOptions::default()).await.unwrap();
    assert_eq!(
        run.outcome,
        meetingmap::domain::ImportOutcome::Succeeded,
        "{:?}",
        run.reason
    );
    server
}

/// Per GB district, the AA meetings counted by the report (over the boundaries) against a
/// point-in-polygon count, made here independently with `geo` over the unsimplified outlines of
/// the boundary file, of the directory's rows (in person or hybrid, active: the meetings coverage
/// counts).
#[tokio::test]
async fn real_dump_district_counts_match_point_in_polygon() {
    use geo::Contains;
    let Some(shared) = shared() else { return };
    let server = real_server(&shared).await;
    let (status, body) = server.get("/v1/coverage?fellowship=aa&max_km=1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attribution"], "boundaries");
    let ours: std::collections::HashMap<String, u64> = body["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap().to_string(),
                a["meetings"].as_u64().unwrap(),
            )
        })
        .collect();

    let raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(shared.join("data/uk-lad-2024-bgc.geojson")).unwrap()).unwrap();
    let districts: Vec<(String, geo::MultiPolygon<f64>)> = raw["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["properties"]["code"].as_str().unwrap().starts_with('N'))
        .map(|f| {
            let g = &f["geometry"];
            let ring = |r: &serde_json::Value| -> geo::LineString<f64> {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
                    .collect()
            };
            let polygon = |p: &serde_json::Value| {
                let rings = p.as_array().unwrap();
                geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            };
            let shape = match g["type"].as_str().unwrap() {
                "Polygon" => geo::MultiPolygon(vec![polygon(&g["coordinates"])]),
                _ => geo::MultiPolygon(g["coordinates"].as_array().unwrap().iter().map(polygon).collect()),
            };
            (f["properties"]["code"].as_str().unwrap().to_string(), shape)
        })
        .collect();
    assert_eq!(districts.len(), 350);
    let snapshot = server.directory.snapshot();
    let aa = Fellowship::parse("aa").unwrap();
    let mut reference: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let (mut rows, mut outside) = (0, 0);
    for m in snapshot.meetings() {
        let live = m.status == meetingmap::domain::Status::Active
            && m.attendance != meetingmap::domain::Attendance::Online;
        let Some((lat, lon)) = m.location.as_ref().and_then(|l| l.point()) else {
            continue;
        };
        if m.fellowship != aa || !live {
            continue;
        }
        rows += 1;
        let point = geo::Point::new(lon, lat);
        match districts.iter().find(|(_, shape)| shape.contains(&point)) {
            Some((code, _)) => *reference.entry(code).or_default() += 1,
            None => outside += 1,
        }
    }
    let (mut same, mut worst) = (0, (String::new(), 0i64));
    for (code, _) in &districts {
        let (a, b) = (
            ours.get(code).copied().unwrap_or(0) as i64,
            reference.get(code.as_str()).copied().unwrap_or(0) as i64,
        );
        if a == b {
            same += 1;
        }
        if (a - b).abs() > worst.1 {
            worst = (code.clone(), (a - b).abs());
        }
        // The report's outlines are simplified to 20 m and it counts a meeting just off a
        // generalised coast in the district of a demand point within 1 km: a district may differ
        // by a meeting or two, never more.
        assert!(
            (a - b).abs() <= 2.max(b / 50),
            "{code}: report {a}, point in polygon {b}"
        );
    }
    let counted: u64 = ours.values().sum();
    let in_polygons: u64 = reference.values().sum();
    println!(
        "AA rows in person {rows}: in a GB district {in_polygons}, outside every one {outside}; \
         the report counts {counted} in districts and {} not; {same} of 350 districts equal, \
         largest difference {} in {}",
        body["not_counted"]["aa"], worst.1, worst.0
    );
    assert!(same >= 340, "{same} of 350 districts equal");
    // The examples: Anglesey, Pembrokeshire, Dumfries and Galloway, Argyll and Bute are
    // no longer credited with Ireland's meetings.
    for (code, most) in [
        ("W06000001", 10),
        ("W06000009", 10),
        ("S12000006", 20),
        ("S12000035", 20),
    ] {
        assert!(
            ours.get(code).copied().unwrap_or(0) <= most,
            "{code}: {:?}",
            ours.get(code)
        );
    }
    assert!(body["not_counted"]["aa"].as_u64().unwrap() >= outside);
}

/// The commissioner's reports for Powys and for Norfolk on the real dump, rendered by Chromium:
/// screenshots in `target/coverage-powys.png` and `target/coverage-norfolk.png` for a person to
/// look at; the choropleth, its legend and the scale bar are there; printing gives A4 pages.
#[tokio::test]
async fn real_dump_reports_for_powys_and_norfolk_render_and_print_on_a4() {
    let Some(shared) = shared() else { return };
    let missing_pdfinfo = (!Path::new("/usr/bin/pdfinfo").is_file())
        .then(|| "no pdfinfo (apt-get install poppler-utils)".to_string());
    if !can_run(chromium_missing().or(missing_pdfinfo)) {
        return;
    }
    let server = real_server(&shared).await;
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    for (name, query) in [
        ("powys", "area=Powys&max_minutes=30&mode=drive"),
        (
            "norfolk",
            "area=Norfolk&max_minutes=30&mode=transit&fellowship=aa,na,ca,smart",
        ),
    ] {
        let url = format!("{}/v1/coverage?{query}&format=html", server.base);
        let response = server.client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let html = response.text().await.unwrap();
        // Choropleth, legend and scale bar in the page.
        assert!(html.contains("class=\"area c focus\""), "{name}: no choropleth");
        assert!(
            html.contains("<li class=\"classes\">Share of residents within reach"),
            "{name}: no legend"
        );
        assert!(
            html.contains("<g class=\"scale\" data-km="),
            "{name}: no scale bar"
        );
        assert!(html.contains("<text class=\"pl\""), "{name}: no place labels");
        assert!(
            html.contains("<p class=\"lead\" data-fellowship=\"aa\">In "),
            "{name}: no summary"
        );
        if name == "norfolk" {
            assert!(html.contains("<strong>No data source:</strong> SMART Recovery."));
            assert!(html.contains("<table class=\"districts\">"), "districts compared");
            assert!(html.contains("Norwich"));
            assert!(html.contains("an <strong>estimate</strong>"), "transit labelled");
        }

        let png = target.join(format!("coverage-{name}.png"));
        let _ = std::fs::remove_file(&png);
        let (shot, file) = (url.clone(), png.clone());
        tokio::task::spawn_blocking(move || {
            run_chromium(
                &shot,
                &[
                    "--hide-scrollbars".into(),
                    format!("--screenshot={}", file.display()),
                    "--window-size=1280,2200".into(),
                ],
            )
        })
        .await
        .unwrap();
        let (rgb, _) = pixels(&png);
        // The choropleth's classes as drawn, and meeting symbols.
        let shaded = rgb
            .iter()
            .filter(|p| {
                ["#b30000", "#e34a33", "#fc8d59", "#fdcc8a", "#fef0d9"]
                    .iter()
                    .any(|c| near(**p, hex(c)))
            })
            .count();
        assert!(shaded > 20_000, "{name}: {shaded} choropleth pixels");
        assert!(
            rgb.iter().filter(|p| near(**p, MEETING_RGB)).count() > 50,
            "{name}: meetings"
        );
        println!("{name}: {} ({shaded} choropleth pixels)", png.display());

        let pdf = target.join(format!("coverage-{name}.pdf"));
        let _ = std::fs::remove_file(&pdf);
        let (print, file) = (url.clone(), pdf.clone());
        tokio::task::spawn_blocking(move || {
            run_chromium(
                &print,
                &[
                    "--no-pdf-header-footer".into(),
                    format!("--print-to-pdf={}", file.display()),
                ],
            )
        })
        .await
        .unwrap();
        let info = std::process::Command::new("pdfinfo").arg(&pdf).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("(A4)"), "{name}: {info}");
        println!(
            "{name}: {}",
            info.lines()
                .filter(|l| l.starts_with("Pages") || l.starts_with("Page size"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

fn hex(colour: &str) -> [u8; 3] {
    let v = |i: usize| u8::from_str_radix(&colour[i..i + 2], 16).unwrap();
    [v(1), v(3), v(5)]
}
