use super::*;
use crate::domain::{Attendance, Meeting, Status};

/// A demand point in Wales (shared with the report's tests).
pub(crate) fn point(label: &str, (lat, lon): (f64, f64), weight: f64, lad: &str) -> DemandPoint {
    DemandPoint {
        label: label.into(),
        lat,
        lon,
        weight,
        lad_code: lad.into(),
        lad_name: format!("{lad} name"),
        country: "Wales".into(),
        rural: None,
        remote: None,
    }
}

/// Demo meetings moved to `places`, AA, in person, active (shared with the report's tests).
pub(crate) fn meetings(places: &[(f64, f64)]) -> Vec<Meeting> {
    let mut all = crate::demo::generate(places.len(), 7, "2026-11-01T00:00:00Z".parse().unwrap());
    for (m, &(lat, lon)) in all.iter_mut().zip(places) {
        m.fellowship = Fellowship::parse("aa").unwrap();
        m.attendance = Attendance::InPerson;
        m.status = Status::Active;
        let loc = m.location.as_mut().expect("demo meetings have a place");
        loc.lat = Some(lat);
        loc.lon = Some(lon);
    }
    all
}

fn aa() -> Analysis {
    Analysis {
        filter: Filter::default(),
        fellowships: vec![Fellowship::parse("aa").unwrap()],
        threshold: Threshold::Km(5.0),
    }
}

#[test]
fn bundled_sectors_are_all_of_them() {
    let sectors = bundled_sectors();
    assert_eq!(sectors.len(), 10_846);
    assert!(sectors.iter().all(|p| p.weight >= 0.0 && !p.lad_code.is_empty()));
}

#[test]
fn bundled_places_are_the_gb_ones_weighted_by_population() {
    let places = Demand::Places.points();
    assert_eq!(places.len(), 5_792);
    assert!(places
        .iter()
        .all(|p| p.country != "Northern Ireland" && !p.lad_code.is_empty()));
    let london = places.iter().find(|p| p.label == "London").unwrap();
    assert_eq!(
        (london.weight, london.lad_code.as_str()),
        (8_961_989.0, "E09000033")
    );
}

#[test]
fn supplied_points_take_the_area_of_the_nearest_sector() {
    let mut points = vec![
        point("Wrexham", (53.0462, -2.9930), 1.0, ""),
        point("Kept", (53.0462, -2.9930), 1.0, "X1"),
        point("Atlantic", (45.0, -30.0), 1.0, ""),
    ];
    place_in_areas(&mut points);
    assert_eq!(
        (points[0].lad_code.as_str(), points[0].lad_name.as_str()),
        ("W06000006", "Wrexham")
    );
    assert_eq!(points[1].lad_code, "X1");
    assert_eq!(points[2].lad_code, "");
}

#[test]
fn lookup_maps_districts_upwards() {
    let lookup = AreaLookup::bundled();
    let p = point("x", (0.0, 0.0), 1.0, "E06000001");
    assert_eq!(lookup.area(&p, Level::Utla).0, "E06000001");
    assert_eq!(lookup.area(&p, Level::Nation).0, "Wales");
    assert_eq!(Level::parse("UTLA"), Some(Level::Utla));
    assert_eq!(Level::parse("ward"), None);
    // Flintshire is in Betsi Cadwaladr health board, and in Wales.
    assert!(lookup.contains(Level::Utla, "W11000023", "W06000005"));
    assert!(lookup.contains(Level::Nation, "Wales", "W06000005"));
    assert!(!lookup.contains(Level::Nation, "England", "W06000005"));
    assert!(lookup.contains(Level::Lad, "W06000005", "W06000005"));
}

#[test]
fn reads_points_and_reports_bad_lines() {
    let csv = "label,lat,lon,weight\nA,53.0,-3.0,10\n,53.1,-3.1,2.5\n";
    let points = read_points(csv.as_bytes()).unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].label, "A");
    assert_eq!(points[1].label, "point 2");
    assert_eq!(points[1].weight, 2.5);
    let err = read_points("lat,lon,weight\n53,-3,x\n".as_bytes()).unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(read_points("lat,lon\n53,-3\n".as_bytes()).is_err());
    assert!(read_points("lat,lon,weight\n95,-3,1\n".as_bytes()).is_err());
}

#[test]
fn inside_is_covered_outside_is_a_gap() {
    let home = (53.0462, -2.9930);
    let snapshot = Snapshot::build(meetings(&[home]));
    // About 2 km and about 20 km north.
    let points = [
        point("near", (home.0 + 0.018, home.1), 100.0, "A"),
        point("far", (home.0 + 0.18, home.1), 50.0, "A"),
    ];
    let coverage = analyse(&snapshot, &points, &aa());
    assert!(coverage[0].covered());
    assert!(!coverage[1].covered());
    assert!((coverage[1].reach.nearest_km.unwrap() - 20.0).abs() < 0.1);
    let gaps = gaps(&points, &coverage, |_| true, 10);
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].label, "far");

    let rows = summarise(
        &snapshot,
        &points,
        &Demand::Supplied(points.to_vec()),
        &aa(),
        &coverage,
        None,
        Level::Lad,
    )
    .areas;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].weight_total, 150.0);
    assert_eq!(rows[0].weight_within_reach, 100.0);
    assert_eq!(rows[0].weight_beyond_reach, 50.0);
    assert_eq!(rows[0].meetings, 1);
    assert!((rows[0].meetings_per_100k - 100_000.0 / 150.0).abs() < 1e-9);
    assert_eq!(rows[0].worst_served.len(), 1);
}

#[test]
fn analysing_some_points_keeps_their_indexes() {
    let home = (53.0462, -2.9930);
    let snapshot = Snapshot::build(meetings(&[home]));
    let points = [
        point("a", (home.0, home.1), 1.0, "A"),
        point("b", (home.0 + 0.5, home.1), 1.0, "B"),
        point("c", (home.0, home.1), 1.0, "A"),
    ];
    let some = analyse_where(&snapshot, &points, &aa(), |p| p.lad_code == "A");
    let all = analyse(&snapshot, &points, &aa());
    assert_eq!(some, vec![all[0], all[2]]);
    assert_eq!(some[1].point, 2);
}

#[test]
fn online_and_closed_meetings_cover_nothing() {
    let home = (53.0462, -2.9930);
    let mut all = meetings(&[home, home]);
    all[0].attendance = Attendance::Online;
    all[1].status = Status::TemporarilyClosed;
    let snapshot = Snapshot::build(all);
    let coverage = analyse(&snapshot, &[point("here", (home.0, home.1), 1.0, "A")], &aa());
    assert!(!coverage[0].covered());
}

#[test]
fn minutes_threshold_uses_the_travel_estimate() {
    let t = Threshold::Minutes(Mode::Walk, 30.0);
    assert!((travel::estimate_minutes(Mode::Walk, t.km()) - 30.0).abs() < 1e-6);
}

#[test]
fn small_areas_weigh_every_resident_of_great_britain_once() {
    let points = Demand::SmallAreas.points();
    assert_eq!(points.len(), 42_648);
    let total: f64 = points.iter().map(|p| p.weight).sum();
    // SOURCES.md: 65,077,501 (England 56,490,056, Wales 3,107,545, Scotland 5,479,900).
    assert_eq!(total, 65_077_501.0);
    for (nation, people) in [
        ("England", 56_490_056.0),
        ("Wales", 3_107_545.0),
        ("Scotland", 5_479_900.0),
    ] {
        let sum: f64 = points
            .iter()
            .filter(|p| p.country == nation)
            .map(|p| p.weight)
            .sum();
        assert_eq!(sum, people, "{nation}");
    }
    assert!(points
        .iter()
        .all(|p| !p.lad_code.is_empty() && !p.lad_name.is_empty() && p.rural.is_some()));
    let lookup = AreaLookup::bundled();
    assert!(points.iter().all(|p| lookup.is_gb(&p.lad_code)));
    // Powys: about 133,000 residents, mostly rural.
    let powys: Vec<&DemandPoint> = points.iter().filter(|p| p.lad_code == "W06000023").collect();
    let people: f64 = powys.iter().map(|p| p.weight).sum();
    assert!((130_000.0..136_000.0).contains(&people), "{people}");
    let rural: f64 = powys
        .iter()
        .filter(|p| p.rural == Some(true))
        .map(|p| p.weight)
        .sum();
    assert!(rural / people > 0.5, "{rural} of {people}");
}

/// An AA meeting at each place, and the summary of Anglesey's and Powys's small areas against
/// them.
fn attributed(places: &[(f64, f64)], boundaries: Option<&Boundaries>) -> Summary {
    let snapshot = Snapshot::build(meetings(places));
    let points = Demand::SmallAreas.points();
    let analysis = aa();
    let coverage = analyse_where(&snapshot, points, &analysis, |p| {
        p.lad_code == "W06000001" || p.lad_code == "W06000023"
    });
    summarise(
        &snapshot,
        points,
        &Demand::SmallAreas,
        &analysis,
        &coverage,
        boundaries,
        Level::Lad,
    )
}

const HOLYHEAD: (f64, f64) = (53.3093, -4.6330);
const LLANDRINDOD: (f64, f64) = (52.2420, -3.3790);
/// Dublin, Belfast, Douglas (Isle of Man), the middle of the Irish Sea, and Larne, across the
/// North Channel from Galloway.
const ABROAD: [(f64, f64); 5] = [
    (53.3498, -6.2603),
    (54.5973, -5.9301),
    (54.1523, -4.4861),
    (53.5000, -5.0000),
    (54.8520, -5.8120),
];

#[test]
fn meetings_in_ireland_and_over_the_sea_are_not_credited_to_great_britain() {
    let mut places = vec![HOLYHEAD, LLANDRINDOD];
    places.extend(ABROAD);
    let summary = attributed(&places, None);
    assert_eq!(summary.attribution, Attribution::NearestPoint);
    let meetings = |code: &str| summary.areas.iter().find(|a| a.code == code).map(|a| a.meetings);
    assert_eq!(meetings("W06000001"), Some(1), "Holyhead only, not Dublin");
    assert_eq!(meetings("W06000023"), Some(1));
    assert_eq!(summary.not_counted.values().sum::<u32>(), 5);
    assert_eq!(
        summary
            .per_nation
            .get(&("Wales".to_string(), aa().fellowships[0].index() as u8)),
        Some(&2)
    );
    // No district of Great Britain anywhere (the analysis is of two) is credited with more.
    assert_eq!(summary.per_nation.values().sum::<u32>(), 2);
}

#[test]
fn with_boundaries_a_meeting_counts_where_its_district_contains_it() {
    let square = |code: &str, name: &str, [w, s, e, n]: [f64; 4]| {
        serde_json::json!({"type": "Feature", "properties": {"code": code, "name": name},
            "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}})
    };
    let collection = serde_json::json!({"type": "FeatureCollection", "features": [
        square("W06000001", "Isle of Anglesey", [-4.8, 53.1, -4.0, 53.45]),
        square("W06000023", "Powys", [-4.0, 51.75, -2.9, 52.9]),
        // Belfast: a district, but not in Great Britain.
        square("N09000003", "Belfast", [-6.1, 54.5, -5.8, 54.7]),
    ]});
    let boundaries = Boundaries::read(collection.to_string().as_bytes()).unwrap();
    let mut places = vec![HOLYHEAD, LLANDRINDOD, (52.30, -3.90)];
    places.extend(ABROAD);
    let summary = attributed(&places, Some(&boundaries));
    assert_eq!(summary.attribution, Attribution::Boundaries);
    let meetings = |code: &str| summary.areas.iter().find(|a| a.code == code).unwrap().meetings;
    assert_eq!(meetings("W06000001"), 1);
    // Inside the (square) Powys though nearer Ceredigion's small areas.
    assert_eq!(meetings("W06000023"), 2);
    assert_eq!(
        summary.not_counted.values().sum::<u32>(),
        5,
        "Belfast is outside GB too"
    );
}

#[test]
fn supplied_points_count_only_meetings_in_their_own_catchment() {
    // Three clients in Powys, meetings across Wales and England.
    let points = [
        point("client 1", (52.2420, -3.3790), 1.0, "W06000023"),
        point("client 2", (52.6530, -3.1470), 1.0, "W06000023"),
        point("client 3", (51.9470, -3.3910), 1.0, "W06000023"),
    ];
    let snapshot = Snapshot::build(meetings(&[
        (52.2500, -3.3800), // 1 km from client 1
        (51.4816, -3.1791), // Cardiff
        (51.5072, -0.1276), // London
        (53.4808, -2.2426), // Manchester
        (52.4862, -1.8904), // Birmingham
    ]));
    let analysis = Analysis {
        threshold: Threshold::Km(10.0),
        ..aa()
    };
    let coverage = analyse(&snapshot, &points, &analysis);
    let demand = Demand::Supplied(points.to_vec());
    let summary = summarise(
        &snapshot,
        &points,
        &demand,
        &analysis,
        &coverage,
        None,
        Level::Lad,
    );
    assert_eq!(summary.attribution, Attribution::Catchment);
    assert_eq!(summary.areas.len(), 1);
    assert_eq!(
        summary.areas[0].meetings, 1,
        "only the meeting within a client's reach"
    );
    assert_eq!(summary.not_counted.values().sum::<u32>(), 4);
}

#[test]
fn rural_and_urban_add_up_to_the_whole() {
    let snapshot = Snapshot::build(meetings(&[LLANDRINDOD, (52.6600, -3.1500)]));
    let points = Demand::SmallAreas.points();
    let analysis = Analysis {
        threshold: Threshold::Km(10.0),
        ..aa()
    };
    let coverage = analyse_where(&snapshot, points, &analysis, |p| {
        p.lad_code == "W06000023" || p.lad_code == "E07000148"
    });
    let summaries = [Level::Lad, Level::Nation].map(|level| {
        summarise(
            &snapshot,
            points,
            &Demand::SmallAreas,
            &analysis,
            &coverage,
            None,
            level,
        )
    });
    for summary in &summaries {
        assert!(!summary.areas.is_empty());
        for a in &summary.areas {
            let total = a.rural.weight_total + a.urban.weight_total;
            let within = a.rural.weight_within_reach + a.urban.weight_within_reach;
            assert!(
                (total - a.weight_total).abs() < 1e-6,
                "{}: {total} vs {}",
                a.code,
                a.weight_total
            );
            assert!((within - a.weight_within_reach).abs() < 1e-6, "{}", a.code);
            assert!(a.remote.weight_total <= a.weight_total);
            assert!((a.weight_beyond_reach - (a.weight_total - a.weight_within_reach)).abs() < 1e-6);
        }
    }
    // Powys has both.
    let powys = summaries[0].areas.iter().find(|a| a.code == "W06000023").unwrap();
    assert!(powys.rural.weight_total > 0.0 && powys.urban.weight_total > 0.0);
    assert!(powys.rural.share_within_reach.is_some() && powys.urban.share_within_reach.is_some());
}

#[test]
fn areas_are_found_by_name_or_code_with_suggestions() {
    assert_eq!(find_area("Powys", None).unwrap().code, "W06000023");
    assert_eq!(find_area("powys", None).unwrap().at, Level::Lad);
    assert_eq!(find_area("W06000023", None).unwrap().name, "Powys");
    let norfolk = find_area("Norfolk", None).unwrap();
    assert_eq!((norfolk.code.as_str(), norfolk.at), ("E10000020", Level::Utla));
    assert_eq!(find_area("norfolk", Some(Level::Utla)).unwrap().code, "E10000020");
    let near = find_area("Powis", None).unwrap_err();
    assert!(near.iter().any(|a| a.name == "Powys"), "{near:?}");
    assert!(find_area("Atlantis", None).unwrap_err().is_empty());
}
