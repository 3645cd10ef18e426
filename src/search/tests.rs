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
        let count = snapshot.meetings().filter(|m| m.fellowship == fellowship).count();
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

mod merge {
    //! The k-way merge of [`Snapshot::occurrences`] against the plain expansion it replaced.
    use super::*;
    use crate::domain::{Day, Fellowship, LocalTime, Schedule, Zone};
    use jiff::SignedDuration;
    use proptest::prelude::*;

    const ZONES: &[&str] = &[
        "Europe/London",
        "America/New_York",
        "Australia/Lord_Howe",
        "America/Havana",
    ];

    /// Demo meetings (GB places, every fellowship, in person and online, some closed, some on
    /// weeks of the month) with their schedules moved to `times`: (day, minute, length, zone).
    fn snapshot(seed: u64, times: &[(u8, u16, u16, usize)]) -> Snapshot {
        let mut meetings = crate::demo::generate(times.len(), seed, "2026-11-01T12:00:00Z".parse().unwrap());
        for (m, &(day, minute, length, zone)) in meetings.iter_mut().zip(times) {
            let Some(schedule) = &m.schedule else { continue };
            m.schedule = Some(
                Schedule::new(
                    Day::from_index(day).unwrap(),
                    LocalTime::from_minutes(minute).unwrap(),
                    length,
                    Zone::get(ZONES[zone]).unwrap(),
                    schedule.weeks_of_month.clone(),
                )
                .unwrap(),
            );
        }
        Snapshot::build(meetings)
    }

    /// Windows starting within a day or two of the spring and autumn changes in London and New
    /// York (2027), or anywhere in 2020-2030.
    fn window_start() -> impl Strategy<Value = Timestamp> {
        let changes = [
            "2027-03-14T07:00:00Z",
            "2027-03-28T01:00:00Z",
            "2027-10-31T01:00:00Z",
            "2027-11-07T06:00:00Z",
        ];
        prop_oneof![
            (0..changes.len(), -2 * 24 * 60i64..2 * 24 * 60).prop_map(move |(i, minutes)| {
                changes[i].parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
            }),
            (1_577_836_800i64..1_893_456_000).prop_map(|s| Timestamp::from_second(s - s % 60).unwrap()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn merge_matches_full_expansion(
            seed in 0u64..1000,
            times in prop::collection::vec((0u8..7, (0u16..96).prop_map(|q| q * 15), prop_oneof![Just(60u16), Just(90), 1u16..=1440], 0..ZONES.len()), 50..400),
            from in window_start(),
            days in 1i64..=31,
            near in prop::option::of((0usize..400, prop_oneof![Just(10.0), 1.0f64..200.0])),
            by_distance in any::<bool>(),
            fellowships in prop::option::of(prop::sample::subsequence(vec!["aa", "na", "ca", "smart"], 1..3)),
            take in prop_oneof![Just(100usize), 0usize..30, Just(usize::MAX)],
            attendance in prop::sample::subsequence(vec![Attendance::InPerson, Attendance::Hybrid, Attendance::Online], 0..=3),
        ) {
            let snapshot = snapshot(seed, &times);
            let mut query = Query {
                sort: if by_distance { Sort::Distance } else { Sort::Time },
                ..Query::default()
            };
            // Online meetings too (joinable from outside any radius, with no distance).
            query.filter = query.filter.attendance(attendance);
            if let Some(wanted) = fellowships {
                query.filter = query.filter.fellowships(wanted.into_iter().filter_map(Fellowship::parse));
            }
            if let Some((i, radius_km)) = near {
                let m = snapshot.meeting((i % snapshot.len()) as u32);
                let (lat, lon) = m.location.as_ref().and_then(Location::point).unwrap_or((51.5, -0.12));
                query.near = Some(Near { lat, lon, radius_km });
            }
            let until = from + SignedDuration::from_hours(24 * days);
            let merged = snapshot.occurrences(&query, from, until, take);
            let expanded = snapshot.occurrences_expanded(&query, from, until, take);
            prop_assert!(expanded.0.len() <= take);
            prop_assert_eq!(merged, expanded);
        }
    }
}

mod reach {
    //! [`Snapshot::reach`] (everything within the threshold unordered, then nearest first for
    //! the fellowships still missing) against a look at every meeting.
    use super::*;
    use crate::domain::{Access, Fellowship, FELLOWSHIPS};
    use proptest::prelude::*;

    /// What `reach` should say, from every meeting in turn.
    fn brute_force(
        snapshot: &Snapshot,
        filter: &Filter,
        fellowships: u32,
        at: (f64, f64),
        threshold_km: f64,
        search_km: f64,
    ) -> Vec<Reach> {
        let centre = to_cartesian(at.0, at.1);
        let threshold = chord_km(threshold_km).powi(2);
        let limit = chord_km(search_km.max(threshold_km)).powi(2);
        let mut reach = vec![Reach::default(); FELLOWSHIPS.len()];
        let mut nearest = vec![f64::INFINITY; FELLOWSHIPS.len()];
        for node in snapshot.rooms.iter() {
            let c = &node.data;
            if fellowships & (1 << c.fellowship) == 0 || !snapshot.covers(filter, c) {
                continue;
            }
            let d2 = rstar::PointDistance::distance_2(node, &centre);
            let f = c.fellowship as usize;
            if d2 <= limit {
                nearest[f] = nearest[f].min(d2);
            }
            if d2 <= threshold {
                let r = &mut reach[f];
                r.within += 1;
                r.open |= c.access == Access::Open;
                r.weekend |= c.day == 0 || c.day == 6;
                r.evening |= c.start_minute != UNSCHEDULED_MINUTE && c.start_minute >= EVENING_MINUTE;
            }
        }
        for (r, d2) in reach.iter_mut().zip(nearest) {
            r.nearest_km = d2.is_finite().then(|| great_circle_km(d2));
        }
        reach
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn reach_matches_brute_force(
            seed in 0u64..1000,
            count in 20usize..600,
            near in 0usize..600,
            offset in (-0.3f64..0.3, -0.3f64..0.3),
            threshold_km in prop_oneof![Just(5.0), 0.1f64..30.0],
            search_km in prop_oneof![Just(100.0), 0.0f64..50.0],
            wanted in prop::sample::subsequence(vec!["aa", "na", "ca", "smart", "al-anon", "coda"], 1..=6),
            open_only in any::<bool>(),
        ) {
            let meetings = crate::demo::generate(count, seed, "2026-11-01T12:00:00Z".parse().unwrap());
            let snapshot = Snapshot::build(meetings);
            let (lat, lon) = snapshot
                .meeting((near % snapshot.len()) as u32)
                .location
                .as_ref()
                .and_then(Location::point)
                .unwrap_or((51.5, -0.12));
            let at = (lat + offset.0, lon + offset.1);
            let wanted: Vec<Fellowship> = wanted.into_iter().filter_map(Fellowship::parse).collect();
            let mask = wanted.iter().fold(0u32, |m, f| m | 1 << f.index());
            let mut filter = Filter::default().fellowships(wanted.iter().copied());
            if open_only {
                filter = filter.access(Access::Open);
            }
            let mut reach = vec![Reach::default(); FELLOWSHIPS.len()];
            snapshot.reach(&filter, mask, at, threshold_km, search_km, &mut reach);
            prop_assert_eq!(reach, brute_force(&snapshot, &filter, mask, at, threshold_km, search_km));
        }
    }
}

#[test]
fn meetings_kept_as_json_read_back_whole_and_the_accessors_agree() {
    // The snapshot keeps each meeting only as its JSON (and a compact entry): what it parses
    // back must be the meeting it was given, field for field, and what the hot paths read
    // without parsing (position, fellowship, source, zone...) must agree with it.
    let mut meetings = crate::demo::generate(400, 11, "2026-11-01T12:00:00Z".parse().unwrap());
    let mut monthly = meetings[0].clone();
    monthly.id = "monthly-one".into();
    monthly.name = "A monthly meeting dated from its schedule".into();
    if let Some(s) = monthly.schedule.as_mut() {
        s.weeks_of_month = vec![-1, 1];
        s.timezone = crate::domain::Zone::get("Europe/Dublin").unwrap();
    }
    let mut other = meetings[1].clone();
    other.id = "other-source-one".into();
    other.source.id = "elsewhere".into();
    other.source.name = "Somewhere else".into();
    other.source.record_id = Some("r-17".into());
    meetings.extend([monthly, other]);
    let snapshot = Snapshot::build(meetings.clone());
    let mut compared = 0;
    for m in &meetings {
        let i = snapshot.find(&m.id).unwrap();
        let back = snapshot.meeting(i);
        // Merged duplicates read back as the meeting they were merged into.
        if back.id != m.id || !back.also_listed_by.is_empty() {
            continue;
        }
        compared += 1;
        assert_eq!(&back, m);
        assert_eq!(serde_json::to_string(m).unwrap(), snapshot.meeting_json(i));
        assert_eq!(
            snapshot.position(i),
            m.location.as_ref().and_then(Location::point)
        );
        assert_eq!(snapshot.fellowship(i), m.fellowship);
        assert_eq!(snapshot.access(i), m.access);
        assert_eq!(snapshot.attendance(i), m.attendance);
        assert_eq!(snapshot.is_active(i), m.status == Status::Active);
        assert_eq!(snapshot.source(i).id, m.source.id);
        assert_eq!(snapshot.source(i).name, m.source.name);
        assert_eq!(snapshot.source(i).attribution, m.source.attribution);
        let schedule = m.schedule.as_ref();
        assert_eq!(snapshot.end_minute(i), schedule.map(|s| s.end_time().minutes()));
        let zone = snapshot
            .session_zone(i)
            .map(|(z, minutes)| (z.name().to_string(), minutes));
        assert_eq!(
            zone,
            schedule.map(|s| (s.timezone.name().to_string(), s.duration_minutes))
        );
    }
    assert!(compared > 350, "{compared} compared");
    // Each source once, with the meetings it lists (merged duplicates included).
    let mut listed: HashMap<String, usize> = HashMap::new();
    for m in snapshot.meetings() {
        for s in std::iter::once(&m.source).chain(&m.also_listed_by) {
            *listed.entry(s.id.clone()).or_default() += 1;
        }
    }
    let sources: HashMap<String, usize> = snapshot.sources().map(|(s, n)| (s.id.clone(), n)).collect();
    assert_eq!(sources, listed);
    assert_eq!(sources["elsewhere"], 1);
    assert!(snapshot
        .sources()
        .all(|(s, _)| s.record_id.is_none() && s.raw.is_empty()));
}
