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
const GAP_RGB: [u8; 3] = [0xe0, 0x30, 0x1e];
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
