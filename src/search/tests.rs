use super::*;
use crate::domain::distance_km;

#[test]
fn chord_and_cartesian_agree_with_haversine() {
    let (a, b) = ((53.0462, -2.993), (51.5074, -0.1278));
    let (pa, pb) = (to_cartesian(a.0, a.1), to_cartesian(b.0, b.1));
    let chord = pa
        .iter()
        .zip(pb)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt();
    let d = distance_km(a.0, a.1, b.0, b.1);
    assert!((chord_km(d) - chord).abs() < 1e-6, "{} vs {chord}", chord_km(d));
    // Half way round the Earth is a diameter, and more than that cannot be further.
    let half = std::f64::consts::PI * EARTH_RADIUS_KM;
    assert!((chord_km(half) - 2.0 * EARTH_RADIUS_KM).abs() < 1e-9);
    assert!((chord_km(half * 1.5) - 2.0 * EARTH_RADIUS_KM).abs() < 1e-9);
}

#[test]
fn top_by_keeps_the_smallest_sorted() {
    let mut v = vec![5, 3, 9, 1, 7, 2];
    top_by(&mut v, 3, |a, b| a.cmp(b));
    assert_eq!(v, [1, 2, 3]);
    let mut v = vec![2, 1];
    top_by(&mut v, 10, |a, b| a.cmp(b));
    assert_eq!(v, [1, 2]);
    top_by(&mut v, 0, |a, b| a.cmp(b));
    assert!(v.is_empty());
}

#[test]
fn unknown_distances_sort_last() {
    let mut v = [None, Some(2.0), Some(1.0), None];
    v.sort_by(|a, b| cmp_distance(*a, *b));
    assert_eq!(v, [Some(1.0), Some(2.0), None, None]);
}

#[test]
fn great_circle_from_chord_matches_haversine() {
    let (a, b) = ((53.0462, -2.993), (53.1462, -2.893));
    let chord2 = squared_distance(to_cartesian(a.0, a.1), to_cartesian(b.0, b.1));
    assert!((great_circle_km(chord2) - distance_km(a.0, a.1, b.0, b.1)).abs() < 1e-9);
}

#[test]
fn a_snapshot_knows_which_fellowships_it_lists() {
    let meetings = crate::demo::generate(40, 3, "2026-11-01T12:00:00Z".parse().unwrap());
    let snapshot = Snapshot::build(meetings.clone());
    for fellowship in crate::domain::Fellowship::all() {
        let any = meetings.iter().any(|m| m.fellowship == fellowship);
        assert_eq!(snapshot.lists(fellowship), any, "{}", fellowship.id());
        let count = snapshot
            .meetings()
            .iter()
            .filter(|m| m.fellowship == fellowship)
            .count();
        assert_eq!(
            snapshot.fellowship_meetings(fellowship),
            count,
            "{}",
            fellowship.id()
        );
    }
    let total: usize = crate::domain::Fellowship::all()
        .map(|f| snapshot.fellowship_meetings(f))
        .sum();
    assert_eq!(total, snapshot.len());
    assert!(crate::domain::Fellowship::all().all(|f| !Snapshot::build(Vec::new()).lists(f)));
}
