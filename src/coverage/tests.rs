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
        &aa(),
        &coverage,
        &AreaLookup::bundled(),
        Level::Lad,
        None,
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].weight_total, 150.0);
    assert_eq!(rows[0].weight_within_reach, 100.0);
    assert_eq!(rows[0].meetings, 1);
    assert!((rows[0].meetings_per_10k - 10_000.0 / 150.0).abs() < 1e-9);
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
