//! A deterministic synthetic directory of GB meetings, for trying meetingmap out and for
//! benchmarks.
//!
//! Meetings are placed around real GB places (GeoNames, bundled as `data/gb-places.csv`), chosen
//! with probability proportional to population and scattered over a radius that grows with the
//! place, with a fellowship mix, types, days and times like those of real UK listings. Every record
//! is marked as demo data (id prefix `demo-`, "(demo)" in the name, the source, the notes), and
//! nothing in it can reach a real person: no phone numbers, and links only under `.invalid`.

use jiff::{SignedDuration, Timestamp};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::{
    Access, Attendance, Day, Fellowship, LocalTime, Location, Meeting, MeetingType, Online, Schedule,
    SourceRef, Status, Zone, EARTH_RADIUS_KM,
};

pub const SOURCE_ID: &str = "demo";

/// How many meetings `serve --demo` and `demo-data` make unless told otherwise.
pub const DEFAULT_MEETINGS: usize = 20_000;

struct Place {
    name: String,
    lat: f64,
    lon: f64,
    population: u64,
    wales: bool,
}

/// GeoNames populated places in GB with a population, largest first.
fn gb_places() -> Vec<Place> {
    crate::gazetteer::bundled::places()
        .iter()
        .filter(|r| r.in_gb())
        .filter_map(|r| {
            Some(Place {
                name: r.name.clone(),
                lat: r.lat,
                lon: r.lon,
                population: r.population.filter(|&p| p > 0)?,
                wales: r.country == "Wales",
            })
        })
        .collect()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, weighted: &'a [(T, u32)]) -> &'a T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in weighted {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    unreachable!("roll is below the total weight")
}

fn types(codes: &[&str]) -> Vec<MeetingType> {
    codes
        .iter()
        .map(|c| MeetingType::parse(c).expect("demo types are in the vocabulary"))
        .collect()
}

/// Fellowship, its share of listings, the share of its meetings that are open, and its formats.
const FELLOWSHIP_MIX: &[(&str, u32, f64, &[&str])] = &[
    (
        "aa",
        540,
        0.45,
        &[
            "speaker",
            "discussion",
            "step",
            "tradition",
            "big-book",
            "twelve-and-twelve",
            "living-sober",
            "daily-reflections",
            "beginners",
            "literature",
            "meditation",
        ],
    ),
    (
        "na",
        170,
        0.5,
        &[
            "basic-text",
            "just-for-today",
            "step",
            "speaker",
            "discussion",
            "newcomers",
            "topic",
            "literature",
        ],
    ),
    (
        "ca",
        80,
        0.6,
        &["big-book", "step", "speaker", "discussion", "newcomers"],
    ),
    ("smart", 70, 1.0, &["tools", "discussion"]),
    (
        "al-anon",
        80,
        0.3,
        &["discussion", "step", "speaker", "beginners", "literature"],
    ),
    ("alateen", 8, 0.0, &["discussion"]),
    ("families-anonymous", 15, 0.8, &["discussion", "literature"]),
    ("daa", 25, 0.4, &["step", "big-book", "discussion"]),
    ("smart-family-friends", 12, 1.0, &["tools", "discussion"]),
];

const START_TIMES: &[((u8, u8), u32)] = &[
    ((7, 0), 3),
    ((7, 30), 2),
    ((10, 0), 5),
    ((10, 30), 4),
    ((11, 0), 4),
    ((12, 0), 5),
    ((12, 30), 5),
    ((13, 0), 3),
    ((14, 0), 2),
    ((18, 0), 5),
    ((18, 30), 6),
    ((19, 0), 12),
    ((19, 30), 14),
    ((20, 0), 12),
    ((20, 30), 5),
    ((21, 0), 2),
];
const DURATIONS: &[(u16, u32)] = &[(60, 50), (75, 5), (90, 40), (120, 5)];
const VENUES: &[&str] = &[
    "St Mary's Church Hall",
    "Community Centre",
    "Methodist Church",
    "Friends Meeting House",
    "Library",
    "Health Centre",
    "Salvation Army Hall",
    "Baptist Church",
    "Scout Hut",
    "Recovery Café",
    "Town Hall",
    "United Reformed Church",
];
const STREETS: &[&str] = &[
    "High Street",
    "Church Road",
    "Station Road",
    "Victoria Road",
    "Park Lane",
    "Mill Street",
    "Market Place",
    "Chapel Street",
    "King Street",
    "Queens Road",
];
const GROUP_NAMES: &[&str] = &[
    "Serenity",
    "Hope",
    "New Beginnings",
    "Keep It Simple",
    "Freedom",
    "Just for Today",
    "Fellowship",
    "Step by Step",
    "Promises",
    "Daybreak",
    "Lifeline",
    "Open Door",
];
const COMMUNITIES: &[(&str, u32)] = &[
    ("community:women", 4),
    ("community:men", 3),
    ("community:lgbtq", 2),
    ("community:young-people", 2),
    ("community:atheist-agnostic", 1),
    ("community:seniors", 1),
];
const ONLINE_ZONES: &[(&str, u32)] = &[
    ("Europe/London", 85),
    ("America/New_York", 10),
    ("Europe/Dublin", 5),
];

/// Generates `count` meetings from `seed`. The same arguments give the same meetings.
pub fn generate(count: usize, seed: u64, now: Timestamp) -> Vec<Meeting> {
    let places = gb_places();
    let weights = WeightedIndex::new(places.iter().map(|p| p.population)).expect("places have populations");
    let mix_weights: Vec<_> = FELLOWSHIP_MIX.iter().map(|m| (m, m.1)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let source = SourceRef {
        id: SOURCE_ID.into(),
        name: "meetingmap demo data".into(),
        attribution: "Synthetic demo data generated by meetingmap: these meetings do not exist. Place names \
            and positions © GeoNames (CC BY 4.0)."
            .into(),
        record_id: None,
        raw: Default::default(),
    };
    (0..count)
        .map(|n| {
            let place = &places[weights.sample(&mut rng)];
            let &&(code, _, open_share, formats) = pick(&mut rng, &mix_weights);
            let fellowship = Fellowship::parse(code).expect("demo fellowships are in the vocabulary");
            let day = Day::from_index(rng.random_range(0..7)).expect("0..7 is a day");
            let &(h, m) = pick(&mut rng, START_TIMES);
            let start = LocalTime::from_hm(h, m).expect("demo times are valid");
            let attendance = *pick(
                &mut rng,
                &[
                    (Attendance::InPerson, 78),
                    (Attendance::Hybrid, 9),
                    (Attendance::Online, 13),
                ],
            );
            let zone = if attendance == Attendance::Online {
                pick(&mut rng, ONLINE_ZONES)
            } else {
                &"Europe/London"
            };
            let weeks = match rng.random_range(0..100) {
                0 => vec![1],
                1 => vec![1, 3],
                2 => vec![-1],
                3 => vec![2, 4],
                _ => vec![],
            };
            let schedule = Schedule::new(
                day,
                start,
                *pick(&mut rng, DURATIONS),
                Zone::get(zone).expect("demo zones exist"),
                weeks,
            )
            .expect("demo schedules are valid");

            let format = formats[rng.random_range(0..formats.len())];
            let mut codes = vec![format!("format:{format}")];
            if rng.random_bool(0.12) {
                codes.push(pick(&mut rng, COMMUNITIES).to_string());
            }
            if attendance.has_room() {
                for (code, share) in [
                    ("wheelchair", 0.45),
                    ("accessible-toilet", 0.2),
                    ("hearing-loop", 0.08),
                    ("parking", 0.25),
                    ("bsl", 0.01),
                ] {
                    if rng.random_bool(share) {
                        codes.push(format!("accessibility:{code}"));
                    }
                }
            }
            codes.push("language:en".into());
            if place.wales && rng.random_bool(0.08) {
                codes.push("language:cy".into());
            } else if place.population > 200_000 && rng.random_bool(0.01) {
                codes.push("language:pl".into());
            }
            let types = types(&codes.iter().map(String::as_str).collect::<Vec<_>>());

            let access = if rng.random_bool(0.05) {
                Access::Unknown
            } else if rng.random_bool(open_share) {
                Access::Open
            } else {
                Access::Closed
            };
            let id = format!("demo-{seed}-{n:06}");
            let location = attendance.has_room().then(|| {
                let (lat, lon) = scatter(&mut rng, place);
                Location {
                    venue: Some(format!(
                        "{} {}",
                        place.name,
                        VENUES[rng.random_range(0..VENUES.len())]
                    )),
                    address_lines: vec![format!(
                        "{} {}",
                        rng.random_range(1..120),
                        STREETS[rng.random_range(0..STREETS.len())]
                    )],
                    town: Some(place.name.clone()),
                    postcode: None,
                    country: Some("GB".into()),
                    lat: Some(lat),
                    lon: Some(lon),
                    approximate: false,
                    notes: None,
                }
            });
            let online = attendance.is_remote().then(|| Online {
                url: Some(format!("https://meetings.demo.invalid/{id}")),
                phone: None,
                notes: Some("Demo link: it leads nowhere.".into()),
            });
            let name = match rng.random_range(0..3) {
                0 => format!(
                    "{} {} {} (demo)",
                    place.name,
                    day.full_name(),
                    MeetingType::parse(format).expect("format").info().label
                ),
                1 => format!(
                    "{} Group (demo)",
                    GROUP_NAMES[rng.random_range(0..GROUP_NAMES.len())]
                ),
                _ => format!(
                    "{} {} Group (demo)",
                    place.name,
                    GROUP_NAMES[rng.random_range(0..GROUP_NAMES.len())]
                ),
            };
            let updated_at = now - SignedDuration::from_hours(rng.random_range(0..24 * 365));
            Meeting {
                id,
                fellowship,
                name,
                group_name: None,
                schedule: Some(schedule),
                access,
                attendance,
                types,
                location,
                online,
                notes: Some(
                    "Demo data: a synthetic meeting generated by meetingmap. It does not exist.".into(),
                ),
                status: if rng.random_bool(0.02) {
                    Status::TemporarilyClosed
                } else {
                    Status::Active
                },
                source: source.clone(),
                source_types: Vec::new(),
                also_listed_by: Vec::new(),
                first_seen_at: updated_at,
                updated_at,
                last_seen_at: now,
                reported: None,
            }
            .normalise()
            .expect("demo meetings are valid")
        })
        .collect()
}

/// A point scattered uniformly over a disc around the place, wider for bigger places.
fn scatter(rng: &mut ChaCha8Rng, place: &Place) -> (f64, f64) {
    let radius_km = 0.5 + 1.5 * (place.population as f64 / 100_000.0).sqrt();
    let r = radius_km * rng.random::<f64>().sqrt();
    let bearing = rng.random_range(0.0..std::f64::consts::TAU);
    let dlat = (r * bearing.cos() / EARTH_RADIUS_KM).to_degrees();
    let dlon = (r * bearing.sin() / (EARTH_RADIUS_KM * place.lat.to_radians().cos())).to_degrees();
    let round = |v: f64| (v * 1e5).round() / 1e5;
    (round(place.lat + dlat), round(place.lon + dlon))
}

/// Replaces the demo source in `directory` with `count` meetings made from `seed`.
pub async fn load(directory: &crate::directory::Directory, count: usize, seed: u64) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let meetings = generate(count, seed, Timestamp::now().round(jiff::Unit::Second)?);
    directory.replace_source(SOURCE_ID, &meetings).await?;
    println!(
        "loaded {count} demo meetings (seed {seed}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_marked_as_demo() {
        let now: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        let a = generate(500, 7, now);
        assert_eq!(a, generate(500, 7, now));
        assert_ne!(a, generate(500, 8, now));
        for m in &a {
            assert!(m.id.starts_with("demo-") && m.name.ends_with("(demo)") && m.source.id == SOURCE_ID);
            assert!(
                m.online.as_ref().is_none_or(
                    |o| o.phone.is_none() && o.url.as_ref().is_some_and(|u| u.contains(".invalid/"))
                )
            );
            if let Some((lat, lon)) = m.location.as_ref().and_then(Location::point) {
                // Great Britain's bounding box.
                assert!(
                    (49.8..61.0).contains(&lat) && (-8.7..2.0).contains(&lon),
                    "{lat},{lon}"
                );
            }
        }
        let aa = a.iter().filter(|m| m.fellowship.id() == "aa").count();
        assert!((200..350).contains(&aa), "AA share {aa}/500");
    }
}
