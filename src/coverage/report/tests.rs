use super::*;
use crate::coverage::tests::{meetings, point};
use crate::coverage::{DemandPoint, Level, QuestionSpec};
use crate::domain::Fellowship;

fn aa() -> Fellowship {
    Fellowship::parse("aa").unwrap()
}

const HOME: (f64, f64) = (53.0462, -2.9930);
/// Degrees of latitude per km.
const DEG_PER_KM: f64 = 1.0 / 111.195;

/// The value of the first `name="..."` in `html` (the map's own size comes first), as a number.
fn first_attribute(html: &str, name: &str) -> f64 {
    let start = html.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    html[start..].split('"').next().unwrap().parse().unwrap()
}

fn render_report(
    snapshot: &Snapshot,
    spec: QuestionSpec,
    points: Vec<DemandPoint>,
    boundaries: Option<&Boundaries>,
) -> String {
    let query = QuestionSpec {
        supplied: Some(points),
        ..spec
    }
    .check()
    .unwrap();
    crate::coverage::render(
        crate::coverage::Output::Report,
        snapshot,
        &query,
        boundaries,
        "2027-01-04T09:00:00Z".parse().unwrap(),
    )
}

/// Every `<circle>` of class `class`, as (cx, cy, r, title).
fn circles(html: &str, class: &str) -> Vec<(f64, f64, f64, String)> {
    let tag = format!("<circle class=\"{class}\" ");
    html.split(&tag)
        .skip(1)
        .map(|rest| {
            let attr = |name: &str| -> f64 {
                let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                rest[start..][..rest[start..].find('"').unwrap()].parse().unwrap()
            };
            let end = rest.find('>').unwrap();
            let title = if rest[..end].ends_with('/') {
                String::new()
            } else {
                let t = &rest[rest.find("<title>").unwrap() + 7..];
                t[..t.find("</title>").unwrap()].to_string()
            };
            (attr("cx"), attr("cy"), attr("r"), title)
        })
        .collect()
}

#[test]
fn gaps_and_meetings_are_drawn_where_they_are() {
    let snapshot = Snapshot::build(meetings(&[HOME]));
    let north = (HOME.0 + 20.0 * DEG_PER_KM, HOME.1);
    let east = (HOME.0, HOME.1 + 20.0 * DEG_PER_KM / HOME.0.to_radians().cos());
    let html = render_report(
        &snapshot,
        QuestionSpec::within_km(5.0).fellowships([aa()]),
        vec![
            point("Near", (HOME.0 + 0.01, HOME.1), 100.0, "W06000006"),
            point("North", north, 400.0, "W06000006"),
            point("East", east, 25.0, "W06000006"),
        ],
        None,
    );
    let dots = circles(&html, "m");
    assert_eq!(dots.len(), 1, "one meeting");
    let gaps = circles(&html, "g");
    assert_eq!(gaps.len(), 2, "the two far points are gaps, the near one is not");
    let (m, n, e) = (&dots[0], &gaps[0], &gaps[1]);
    assert_eq!(
        n.3,
        "North (W06000006 name): weight 400; out of reach of aa (nearest 20.0 km)"
    );
    assert!(e.3.starts_with("East"), "heaviest first: {}", e.3);
    // North is straight up from the meeting, east straight right, both 20 km: equal distances on
    // the map (the projection keeps shape), north up.
    assert!((n.0 - m.0).abs() < 0.15 && n.1 < m.1, "{n:?} {m:?}");
    assert!((e.1 - m.1).abs() < 0.15 && e.0 > m.0, "{e:?} {m:?}");
    let (up, right) = (m.1 - n.1, e.0 - m.0);
    assert!((up - right).abs() / up < 0.01, "{up} vs {right}");
    // The view fits the points: the northernmost and easternmost lie near the edges (5% margin).
    let width = first_attribute(&html, "width");
    assert!(
        (e.0 / width - 1.0 / 1.1 - 0.05 / 1.1).abs() < 0.02,
        "{} of {width}",
        e.0
    );
    assert!((n.1 - up / 20.0 * 20.0 * 0.05 / 0.9).abs() < up * 0.02 + 0.2);
    // Bigger weight, bigger circle.
    assert!(n.2 > e.2);
}

#[test]
fn tables_add_up_per_area_and_overall() {
    let snapshot = Snapshot::build(meetings(&[HOME]));
    let html = render_report(
        &snapshot,
        QuestionSpec::within_km(5.0).fellowships([aa(), Fellowship::parse("na").unwrap()]),
        vec![
            point("A1", (HOME.0 + 0.01, HOME.1), 100.0, "W06000006"),
            point("A2", (HOME.0 + 0.3, HOME.1), 50.5, "W06000006"),
            point("B1", (HOME.0 - 0.3, HOME.1), 1234.0, "W06000023"),
        ],
        None,
    );
    let rows = |table: &str| -> Vec<Vec<String>> {
        table
            .split("<tr><th scope=\"row\">")
            .skip(1)
            .map(|r| {
                r[..r.find("</tr>").unwrap()]
                    .split(['<', '>'])
                    .filter(|s| !s.is_empty() && !s.starts_with("td") && !s.starts_with("/t"))
                    .map(str::to_string)
                    .collect()
            })
            .collect()
    };
    let section = |code: &str| {
        let start = html
            .find(&format!("<table class=\"area\" data-code=\"{code}\""))
            .unwrap();
        rows(&html[start..start + html[start..].find("</table>").unwrap()])
    };
    let wrexham = section("W06000006");
    assert_eq!(
        wrexham[0][..7],
        [
            "Alcoholics Anonymous",
            "150.5",
            "100",
            "66.4%",
            "1",
            "664.5",
            "50.5"
        ]
    );
    // No source lists NA: said so, never 0%.
    assert_eq!(wrexham[1], ["Narcotics Anonymous", "no data source"]);
    assert!(
        wrexham[0][12].starts_with("A2 (50.5; nearest 33."),
        "{:?}",
        wrexham[0]
    );
    let powys = section("W06000023");
    assert_eq!(powys[0][..5], ["Alcoholics Anonymous", "1,234", "0", "0.0%", "0"]);
    let start = html.find("class=\"totals\"").unwrap();
    let totals = rows(&html[start..start + html[start..].find("</table>").unwrap()]);
    assert_eq!(
        totals[0][..7],
        [
            "Alcoholics Anonymous",
            "1,384.5",
            "100",
            "7.2%",
            "1",
            "72.2",
            "1,284.5"
        ]
    );
    assert_eq!(totals[1], ["Narcotics Anonymous", "no data source"]);
    assert!(html.contains("<strong>No data source:</strong> Narcotics Anonymous."));
}

#[test]
fn text_is_escaped() {
    let snapshot = Snapshot::build(meetings(&[HOME]));
    let html = render_report(
        &snapshot,
        QuestionSpec::within_km(5.0).fellowships([aa()]),
        vec![point(
            "<script>alert('x')</script> & \"y\"",
            (HOME.0 + 0.5, HOME.1),
            1.0,
            "<b>",
        )],
        None,
    );
    assert!(!html.contains("<script>") && !html.contains("<b>"), "raw markup");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"));
    assert!(html.contains("&lt;b&gt;"));
    // Accessible basics.
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("role=\"img\"") && html.contains("<desc id=\"map-desc\">"));
    // Nothing fetched from anywhere.
    for outside in ["<script", "<img", "<link", "@import", "url(", "src="] {
        assert!(!html.contains(outside), "{outside}");
    }
}

#[test]
fn boundaries_outline_the_area_and_its_neighbours_faintly() {
    // Two squares side by side around HOME: the area asked about, and its neighbour to the east;
    // a third far away that the view leaves out.
    let square = |code: &str, west: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{code}","name":"Area {code}"}},
               "geometry":{{"type":"Polygon","coordinates":[[[{west},52.9],[{e},52.9],[{e},53.2],[{west},53.2],[{west},52.9]]]}}}}"#,
            e = west + 0.3
        )
    };
    let json = format!(
        r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
        square("W06000006", -3.2),
        square("E06000049", -2.9),
        square("S12000033", 10.0)
    );
    let boundaries = Boundaries::read(json.as_bytes()).unwrap();
    let snapshot = Snapshot::build(meetings(&[HOME]));
    let html = render_report(
        &snapshot,
        QuestionSpec::within_km(5.0)
            .fellowships([aa()])
            .area(Level::Lad, "W06000006"),
        vec![
            point("In", (HOME.0 + 0.1, HOME.1), 10.0, "W06000006"),
            point("Next door", (HOME.0, -2.7), 10.0, "E06000049"),
        ],
        Some(&boundaries),
    );
    let path = |code: &str| -> Option<(String, String)> {
        let start = html.find(&format!("data-code=\"{code}\" d=\""))?;
        let class_start = html[..start].rfind("class=\"").unwrap() + 7;
        let class = html[class_start..][..html[class_start..].find('"').unwrap()].to_string();
        let d = &html[start..];
        let d = d[d.find("d=\"").unwrap() + 3..]
            .split('"')
            .next()
            .unwrap()
            .to_string();
        Some((class, d))
    };
    let (class, d) = path("W06000006").unwrap();
    // Shaded by the share within reach (0% here: the one point is 11 km from the meeting).
    assert_eq!(class, "area c focus");
    assert!(html.contains(&format!(
        "style=\"fill:{}\" data-code=\"W06000006\"",
        SHARE_CLASSES[0].1
    )));
    // The view is the area's outline plus a 5% margin: its corners sit at the margins.
    let width = first_attribute(&html, "width");
    let first: Vec<f64> = d[1..]
        .split('L')
        .next()
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!((first[0] - width * 0.05 / 1.1).abs() < 1.0, "{d}");
    assert!(
        d.starts_with('M') && d.ends_with('Z') && d.matches('L').count() == 3,
        "{d}"
    );
    let (class, d) = path("E06000049").unwrap();
    assert_eq!(class, "area");
    // Clipped to just beyond the view (10 px).
    let height = first_attribute(&html, "height");
    let values: Vec<f64> = d
        .split(['M', 'L', 'Z', ' '])
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        values
            .chunks(2)
            .all(|p| p[0] <= width + 10.0 && p[1] <= height + 10.0),
        "{d}"
    );
    assert!(path("S12000033").is_none(), "out of view");
    // Only the area's own point is drawn as a gap.
    assert_eq!(circles(&html, "g").len(), 1);
}

#[test]
fn clipping_cuts_rings_at_the_frame() {
    let ring = vec![[-10.0, 5.0], [5.0, 5.0], [5.0, 20.0], [-10.0, 20.0], [-10.0, 5.0]];
    let clipped = clip(&ring, [0.0, 0.0, 10.0, 10.0]).unwrap();
    assert_eq!(clipped.first(), clipped.last());
    assert!(clipped
        .iter()
        .all(|p| (0.0..=10.0).contains(&p[0]) && (0.0..=10.0).contains(&p[1])));
    assert!(clipped.contains(&[5.0, 5.0]) && clipped.contains(&[0.0, 10.0]));
    assert!(clip(&ring, [100.0, 100.0, 110.0, 110.0]).is_none());
}

#[test]
fn amounts_read_well() {
    assert_eq!(amount(0.0), "0");
    assert_eq!(amount(1234567.0), "1,234,567");
    assert_eq!(amount(1384.5), "1,384.5");
    assert_eq!(amount(-999.0), "-999");
    assert_eq!(amount(100.0), "100");
}

#[test]
fn an_empty_analysis_still_renders() {
    let snapshot = Snapshot::build(Vec::new());
    let query = QuestionSpec::within_km(5.0).check().unwrap();
    let summary = Summary {
        areas: Vec::new(),
        attribution: crate::coverage::Attribution::NearestPoint,
        not_counted: Default::default(),
        per_nation: Default::default(),
    };
    let html = report(&ReportInput {
        snapshot: &snapshot,
        query: &query,
        analysis: &query.analysis,
        no_data: &[],
        coverage: &[],
        summary: &summary,
        districts: None,
        lookup: &AreaLookup::bundled(),
        boundaries: None,
        produced: Timestamp::UNIX_EPOCH,
    });
    assert!(html.contains("No demand points fall in the areas asked about."));
}

#[test]
fn only_the_heaviest_gaps_are_drawn() {
    let snapshot = Snapshot::build(meetings(&[HOME]));
    let points: Vec<DemandPoint> = (0..MAX_GAP_CIRCLES + 1)
        .map(|i| {
            let at = (52.0 + (i / 60) as f64 * 0.01, -4.0 + (i % 60) as f64 * 0.01);
            point(&format!("P{i}"), at, 10.0 + i as f64, "W06000023")
        })
        .collect();
    let html = render_report(
        &snapshot,
        QuestionSpec::within_km(1.0).fellowships([aa()]),
        points,
        None,
    );
    let drawn = circles(&html, "g");
    assert_eq!(drawn.len(), MAX_GAP_CIRCLES);
    assert!(
        drawn.iter().all(|c| !c.3.starts_with("P0 ")),
        "the lightest is left out"
    );
    assert!(html.contains("the heaviest 3,000 of 3,001 shown"));
}

#[test]
fn attribution_is_notices_for_the_bundled_data() {
    let text = data_attribution();
    assert!(text.starts_with("Postcode centroids"), "{text}");
    for licence in [
        "Contains OS data © Crown copyright and database right 2025.",
        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0.",
        "© GeoNames (https://www.geonames.org/),\n  licensed under CC BY 4.0.",
    ] {
        assert!(text.contains(licence), "{licence}");
    }
    assert!(text.contains("(OGL v3.0, as above)."), "{text}");
    // The small areas' sources, as SOURCES.md asks.
    assert!(
        text.contains("Data supplied by National Records of Scotland"),
        "{text}"
    );
    assert!(
        text.trim_end()
            .ends_with("not official ONS population-weighted centroids."),
        "{text}"
    );
}

#[test]
fn at_national_scale_gaps_are_gathered_and_the_map_has_a_scale_bar() {
    let snapshot = Snapshot::build(meetings(&[HOME]));
    // 398 points out of reach close together, and two far apart: a national view, where
    // neighbouring points would overlap.
    let mut points: Vec<DemandPoint> = (0..398)
        .map(|i| {
            let at = (52.0 + (i / 20) as f64 * 0.02, -3.5 + (i % 20) as f64 * 0.02);
            point(&format!("P{i}"), at, 10.0, "W06000023")
        })
        .collect();
    points.push(point("South", (50.5, -5.0), 10.0, "E06000052"));
    points.push(point("North", (55.0, -1.5), 10.0, "E06000057"));
    let html = render_report(
        &snapshot,
        QuestionSpec::within_km(1.0).fellowships([aa()]),
        points,
        None,
    );
    assert!(circles(&html, "g").is_empty(), "no single gap circles");
    let clusters = circles(&html, "gc");
    assert!(!clusters.is_empty() && clusters.len() < 400, "{}", clusters.len());
    let gathered: usize = clusters
        .iter()
        .map(|c| c.3.split(' ').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(gathered, 400, "every gap is in one cluster");
    // A scale bar of a round length, and the legend says what it is.
    let km = first_attribute(&html, "data-km");
    assert!([20.0, 25.0, 50.0, 100.0].contains(&km), "{km}");
    assert!(html.contains(&format!("Scale bar: {} km.", km as u32)));
}
