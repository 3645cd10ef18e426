//! Coverage gaps: where people live, and how far they are from a meeting of each fellowship.
//!
//! Demand points ([`Demand`]) are GB postcode sectors weighted by their count of live postcodes
//! (an address proxy), GB places weighted by population, or any points with weights read from CSV
//! ([`read_points`]). For each point and
//! fellowship, [`analyse`] finds the nearest meeting someone can attend in person (in-person and
//! hybrid meetings; online-only ones are not anywhere, and temporarily closed ones do not count)
//! and the weekly meetings within the threshold (a distance, or minutes by a travel mode through
//! the offline estimate). [`summarise`] adds points up per area (local authority, upper-tier
//! authority or Welsh health board, nation) and [`gaps`] lists the points beyond the threshold,
//! heaviest first. [`boundaries`] reads area outlines for the report's map and the GeoJSON
//! summary.
//!
//! Around the analysis: the question ([`QuestionSpec`] checked into a [`CoverageQuestion`]), the
//! answers ([`render`], and [`CoverageState`], which keeps recent ones and bounds the analyses at
//! once) and the HTML [`report`].

mod answer;
pub mod boundaries;
mod question;
pub mod report;

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

pub use answer::{
    render, render_until, AnswerError, Client, CoverageGaps, CoverageState, CoverageSummary, Output,
    RETRY_AFTER_SECS,
};
pub use question::{
    BundledPoints, CoverageQuestion, QuestionError, QuestionSpec, DEFAULT_GAPS, MAX_GAPS, MAX_KM,
    MAX_MINUTES, MAX_POINTS,
};

use crate::domain::Fellowship;
use crate::gazetteer::bundled;
use crate::search::{Filter, Reach, Snapshot};
use crate::travel::{self, Mode};

const LAD_LOOKUP_CSV: &str = include_str!("../../data/uk-lad-lookup.csv");

/// How far the nearest meeting is looked for beyond the threshold; further is reported as none.
pub const NEAREST_SEARCH_KM: f64 = 100.0;

/// Where people are, and how many.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandPoint {
    /// The postcode sector, or the label given.
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    /// Live postcodes (sectors), or the weight given.
    pub weight: f64,
    /// Local authority district code and name (empty when unknown).
    pub lad_code: String,
    pub lad_name: String,
    pub country: String,
}

/// GB postcode sectors bundled with the gazetteer, weighted by live postcodes.
pub fn bundled_sectors() -> Vec<DemandPoint> {
    bundled::sectors()
        .iter()
        .map(|r| DemandPoint {
            label: r.code.clone(),
            lat: r.lat,
            lon: r.lon,
            weight: r.postcodes,
            lad_code: r.lad_code.clone(),
            lad_name: r.lad_name.clone(),
            country: r.country.clone(),
        })
        .collect()
}

/// GB places (England, Scotland, Wales) bundled with the gazetteer, weighted by population.
pub fn bundled_places() -> Vec<DemandPoint> {
    bundled::places()
        .iter()
        .filter(|r| r.in_gb())
        .filter_map(|r| {
            Some(DemandPoint {
                label: r.name.clone(),
                lat: r.lat,
                lon: r.lon,
                weight: r.population? as f64,
                lad_code: r.lad_code.clone(),
                lad_name: r.lad_name.clone(),
                country: r.country.clone(),
            })
        })
        .collect()
}

/// Which demand points an analysis is over.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// GB postcode sectors, weighted by live postcodes (the default).
    Sectors,
    /// GB places, weighted by population.
    Places,
    /// Points someone supplied as CSV ([`read_points`]).
    Supplied(Vec<DemandPoint>),
}

impl Demand {
    pub fn points(&self) -> &[DemandPoint] {
        static SECTORS: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        static PLACES: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        match self {
            Demand::Sectors => SECTORS.get_or_init(bundled_sectors),
            Demand::Places => PLACES.get_or_init(bundled_places),
            Demand::Supplied(points) => points,
        }
    }

    /// What the points are and what their weight means, in words.
    pub fn describe(&self) -> &'static str {
        match self {
            Demand::Sectors => {
                "the GB postcode sectors (OS Code-Point Open), each weighted by its number of live \
                 postcodes, a proxy for addresses"
            }
            Demand::Places => {
                "the populated places of England, Scotland and Wales (GeoNames), each weighted by \
                 its population"
            }
            Demand::Supplied(_) => "points supplied as CSV, each with the weight given",
        }
    }

    /// What a point's weight counts, when known.
    pub fn weight_unit(&self) -> Option<&'static str> {
        match self {
            Demand::Sectors => Some("postcodes"),
            Demand::Places => Some("people"),
            Demand::Supplied(_) => None,
        }
    }
}

/// Gives supplied points without a local authority the one of the nearest postcode sector (when
/// one is within [`PLACING_KM`]), so they are added up by area like the bundled points.
pub fn place_in_areas(points: &mut [DemandPoint]) {
    let sectors = Demand::Sectors.points();
    let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        sectors
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(plane(p.lat, p.lon), i as u32))
            .collect(),
    );
    for p in points.iter_mut().filter(|p| p.lad_code.is_empty()) {
        let Some(nearest) = tree.nearest_neighbor(&plane(p.lat, p.lon)) else {
            continue;
        };
        let sector = &sectors[nearest.data as usize];
        if crate::domain::distance_km(p.lat, p.lon, sector.lat, sector.lon) <= PLACING_KM {
            p.lad_code.clone_from(&sector.lad_code);
            p.lad_name.clone_from(&sector.lad_name);
            p.country.clone_from(&sector.country);
        }
    }
}

/// How far a supplied point may be from the nearest postcode sector and still take its area.
pub const PLACING_KM: f64 = 20.0;

/// Reads user-supplied demand points: a CSV with a header naming at least `lat`, `lon` and
/// `weight`, and optionally `label`, `lad_code`, `lad_name` and `country`. Rows with a missing or
/// bad coordinate or a negative weight are errors, reported with their line.
pub fn read_points(input: impl Read) -> anyhow::Result<Vec<DemandPoint>> {
    let mut reader = csv::Reader::from_reader(input);
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let (Some(lat), Some(lon), Some(weight)) = (column("lat"), column("lon"), column("weight")) else {
        anyhow::bail!("the header must name lat, lon and weight columns");
    };
    let optional = |name| column(name);
    let (label, lad_code, lad_name, country) = (
        optional("label"),
        optional("lad_code"),
        optional("lad_name"),
        optional("country"),
    );
    let mut points = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let line = i + 2;
        let text = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").trim().to_string();
        let number = |c: usize, name: &str| -> anyhow::Result<f64> {
            record
                .get(c)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| anyhow::anyhow!("line {line}: {name} is not a number"))
        };
        let (la, lo, w) = (
            number(lat, "lat")?,
            number(lon, "lon")?,
            number(weight, "weight")?,
        );
        if !(-90.0..=90.0).contains(&la) || !(-180.0..=180.0).contains(&lo) {
            anyhow::bail!("line {line}: lat or lon out of range");
        }
        if w < 0.0 {
            anyhow::bail!("line {line}: weight is negative");
        }
        let label = text(label);
        points.push(DemandPoint {
            label: if label.is_empty() {
                format!("point {}", i + 1)
            } else {
                label
            },
            lat: la,
            lon: lo,
            weight: w,
            lad_code: text(lad_code),
            lad_name: text(lad_name),
            country: text(country),
        });
    }
    Ok(points)
}

/// How far is within reach.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Km(f64),
    Minutes(Mode, f64),
}

impl Threshold {
    /// The straight-line distance that is within the threshold.
    pub fn km(self) -> f64 {
        match self {
            Threshold::Km(km) => km,
            Threshold::Minutes(mode, minutes) => travel::reach_km(mode, minutes),
        }
    }

    fn mode(self) -> Option<Mode> {
        match self {
            Threshold::Km(_) => None,
            Threshold::Minutes(mode, _) => Some(mode),
        }
    }
}

/// One demand point and one fellowship.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointCoverage {
    /// Index into the demand points analysed.
    pub point: u32,
    pub fellowship: Fellowship,
    pub reach: Reach,
    /// Estimated minutes to the nearest meeting by the threshold's mode.
    pub nearest_minutes: Option<f64>,
}

impl PointCoverage {
    pub fn covered(&self) -> bool {
        self.reach.within > 0
    }
}

/// What to analyse.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub filter: Filter,
    pub fellowships: Vec<Fellowship>,
    pub threshold: Threshold,
}

/// Every point against every fellowship asked for, point by point (fellowships in the order
/// given within a point).
pub fn analyse(snapshot: &Snapshot, points: &[DemandPoint], analysis: &Analysis) -> Vec<PointCoverage> {
    analyse_where(snapshot, points, analysis, |_| true)
}

/// [`analyse`] for the points `keep` accepts only (say, one area's), indexed as in `points`.
pub fn analyse_where(
    snapshot: &Snapshot,
    points: &[DemandPoint],
    analysis: &Analysis,
    keep: impl Fn(&DemandPoint) -> bool,
) -> Vec<PointCoverage> {
    analyse_until(snapshot, points, analysis, keep, || false).expect("never stopped")
}

/// Points analysed between two looks at `stop`: a few milliseconds of work at the largest reach,
/// so a stop is seen promptly and looking costs nothing measurable.
const POINTS_BETWEEN_STOPS: usize = 64;

/// [`analyse_where`], giving up (`None`) as soon as `stop` says so: `stop` is asked every
/// [`POINTS_BETWEEN_STOPS`] points, so an analysis nobody waits for any more, or past its
/// deadline, frees its core within milliseconds.
pub fn analyse_until(
    snapshot: &Snapshot,
    points: &[DemandPoint],
    analysis: &Analysis,
    keep: impl Fn(&DemandPoint) -> bool,
    stop: impl Fn() -> bool,
) -> Option<Vec<PointCoverage>> {
    let mask = analysis.fellowships.iter().fold(0u32, |m, f| m | 1 << f.index());
    let threshold_km = analysis.threshold.km();
    let mode = analysis.threshold.mode();
    let slots = analysis
        .fellowships
        .iter()
        .map(|f| f.index() + 1)
        .max()
        .unwrap_or(0);
    let mut reach = vec![Reach::default(); slots];
    let mut out = Vec::with_capacity(points.len() * analysis.fellowships.len());
    for (n, (i, p)) in points.iter().enumerate().filter(|(_, p)| keep(p)).enumerate() {
        if n % POINTS_BETWEEN_STOPS == 0 && stop() {
            return None;
        }
        snapshot.reach(
            &analysis.filter,
            mask,
            (p.lat, p.lon),
            threshold_km,
            NEAREST_SEARCH_KM,
            &mut reach,
        );
        for &f in &analysis.fellowships {
            let r = reach[f.index()];
            out.push(PointCoverage {
                point: i as u32,
                fellowship: f,
                reach: r,
                nearest_minutes: mode
                    .zip(r.nearest_km)
                    .map(|(m, km)| travel::estimate_minutes(m, km)),
            });
        }
    }
    Some(out)
}

/// Which areas to add points up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Local authority district.
    #[default]
    Lad,
    /// Upper-tier authority (county or unitary); in Wales, the local health board.
    Utla,
    Nation,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Lad, Level::Utla, Level::Nation];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Lad => "lad",
            Level::Utla => "utla",
            Level::Nation => "nation",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_lowercase().as_str() {
            "lad" => Some(Level::Lad),
            "utla" => Some(Level::Utla),
            "nation" => Some(Level::Nation),
            _ => None,
        }
    }
}

/// Local authority districts to upper-tier authorities and Welsh health boards, and nations.
pub struct AreaLookup {
    /// LAD code to (upper-tier code, name).
    upper: HashMap<String, (String, String)>,
    /// LAD code to nation.
    country: HashMap<String, String>,
}

impl AreaLookup {
    /// From the bundled `uk-lad-lookup.csv`. Welsh districts map to their health board.
    pub fn bundled() -> AreaLookup {
        let mut reader = csv::Reader::from_reader(LAD_LOOKUP_CSV.as_bytes());
        let mut lookup = AreaLookup {
            upper: HashMap::new(),
            country: HashMap::new(),
        };
        for r in reader.records().filter_map(Result::ok) {
            let (code, name) = if !r[5].is_empty() {
                (&r[5], &r[6])
            } else {
                (&r[3], &r[4])
            };
            lookup
                .upper
                .insert(r[0].to_string(), (code.to_string(), name.to_string()));
            lookup.country.insert(r[0].to_string(), r[2].to_string());
        }
        lookup
    }

    /// The area (code, name) a point belongs to at `level`. Borrowed: it is asked of every
    /// demand point in every analysis.
    pub fn area<'a>(&'a self, p: &'a DemandPoint, level: Level) -> (&'a str, &'a str) {
        match level {
            Level::Lad => (&p.lad_code, &p.lad_name),
            Level::Utla => self
                .upper
                .get(&p.lad_code)
                .map_or((&p.lad_code, &p.lad_name), |(code, name)| (code, name)),
            Level::Nation => (&p.country, &p.country),
        }
    }

    /// The code of the area at `level` the local authority district `lad` is part of (the
    /// district itself when the lookup does not know it, except for nations).
    pub fn code_of<'a>(&'a self, level: Level, lad: &'a str) -> Option<&'a str> {
        match level {
            Level::Lad => Some(lad),
            Level::Utla => Some(self.upper.get(lad).map_or(lad, |(upper, _)| upper.as_str())),
            Level::Nation => self.country.get(lad).map(String::as_str),
        }
    }

    /// Whether the local authority district `lad` is part of the area `code` at `level`.
    pub fn contains(&self, level: Level, code: &str, lad: &str) -> bool {
        self.code_of(level, lad) == Some(code)
    }
}

/// A demand point in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointReport {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    pub weight: f64,
    pub fellowship: Fellowship,
    /// Great-circle distance to the nearest meeting; null when none within 100 km.
    pub nearest_km: Option<f64>,
    /// Estimated minutes to it by the threshold's mode; null with `max_km`.
    pub nearest_minutes: Option<u32>,
    /// Meetings within the threshold.
    pub meetings_within: u32,
    pub any_open: bool,
    pub any_weekend: bool,
    pub any_evening: bool,
}

impl PointReport {
    pub fn new(p: &DemandPoint, c: &PointCoverage) -> PointReport {
        PointReport {
            label: p.label.clone(),
            lat: p.lat,
            lon: p.lon,
            weight: p.weight,
            fellowship: c.fellowship,
            nearest_km: c.reach.nearest_km.map(|km| (km * 100.0).round() / 100.0),
            nearest_minutes: c.nearest_minutes.map(|m| m.ceil() as u32),
            meetings_within: c.reach.within,
            any_open: c.reach.open,
            any_weekend: c.reach.weekend,
            any_evening: c.reach.evening,
        }
    }
}

/// One area and one fellowship.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaSummary {
    pub code: String,
    pub name: String,
    pub fellowship: Fellowship,
    /// Sum of the weights of the area's points.
    pub weight_total: f64,
    /// Sum of the weights of the points with a meeting within the threshold.
    pub weight_within_reach: f64,
    /// `weight_within_reach / weight_total` (0 for an area without weight).
    pub share_within_reach: f64,
    /// Matching meetings located in the area (nearest demand point's area).
    pub meetings: u32,
    /// `meetings` per 10,000 weight (addresses, for sectors).
    pub meetings_per_10k: f64,
    /// The heaviest points beyond the threshold, at most [`WORST_POINTS`].
    pub worst_served: Vec<PointReport>,
}

/// Worst-served points listed per area.
pub const WORST_POINTS: usize = 5;

/// Counts the matching meetings per (area, fellowship index): each meeting falls in the area of
/// the demand point nearest to it.
pub fn meetings_per_area(
    snapshot: &Snapshot,
    points: &[DemandPoint],
    filter: &Filter,
    area_of: &[u32],
) -> HashMap<(u32, u8), u32> {
    let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(plane(p.lat, p.lon), i as u32))
            .collect(),
    );
    let mut counts = HashMap::new();
    for (lat, lon, fellowship) in snapshot.rooms_matching(filter) {
        if let Some(nearest) = tree.nearest_neighbor(&plane(lat, lon)) {
            *counts
                .entry((area_of[nearest.data as usize], fellowship))
                .or_insert(0) += 1;
        }
    }
    counts
}

/// An equirectangular projection good enough for nearest-centroid lookups at GB latitudes.
fn plane(lat: f64, lon: f64) -> [f64; 2] {
    [lon * 54f64.to_radians().cos(), lat]
}

/// Adds up `coverage` (from [`analyse`] over `points`) per area at `level` and fellowship,
/// ordered by area code and then fellowship. `only_area` keeps one area.
pub fn summarise(
    snapshot: &Snapshot,
    points: &[DemandPoint],
    analysis: &Analysis,
    coverage: &[PointCoverage],
    lookup: &AreaLookup,
    level: Level,
    only_area: Option<&str>,
) -> Vec<AreaSummary> {
    let mut areas: Vec<(&str, &str)> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let area_of: Vec<u32> = points
        .iter()
        .map(|p| {
            let (code, name) = lookup.area(p, level);
            *index.entry(code).or_insert_with(|| {
                areas.push((code, name));
                areas.len() as u32 - 1
            })
        })
        .collect();
    let counts = meetings_per_area(snapshot, points, &analysis.filter, &area_of);
    let mut rows: HashMap<(u32, Fellowship), AreaSummary> = HashMap::new();
    let mut gaps: HashMap<(u32, Fellowship), Vec<&PointCoverage>> = HashMap::new();
    for c in coverage {
        let p = &points[c.point as usize];
        let area = area_of[c.point as usize];
        let (code, name) = areas[area as usize];
        if only_area.is_some_and(|a| a != code) {
            continue;
        }
        let row = rows.entry((area, c.fellowship)).or_insert_with(|| AreaSummary {
            code: code.to_string(),
            name: name.to_string(),
            fellowship: c.fellowship,
            weight_total: 0.0,
            weight_within_reach: 0.0,
            share_within_reach: 0.0,
            meetings: counts
                .get(&(area, c.fellowship.index() as u8))
                .copied()
                .unwrap_or(0),
            meetings_per_10k: 0.0,
            worst_served: Vec::new(),
        });
        row.weight_total += p.weight;
        if c.covered() {
            row.weight_within_reach += p.weight;
        } else {
            gaps.entry((area, c.fellowship)).or_default().push(c);
        }
    }
    for (key, row) in rows.iter_mut() {
        if row.weight_total > 0.0 {
            row.share_within_reach = row.weight_within_reach / row.weight_total;
            row.meetings_per_10k = row.meetings as f64 * 10_000.0 / row.weight_total;
        }
        if let Some(list) = gaps.get_mut(key) {
            rank_gaps(list, points);
            row.worst_served = list
                .iter()
                .take(WORST_POINTS)
                .map(|c| PointReport::new(&points[c.point as usize], c))
                .collect();
        }
    }
    let mut rows: Vec<AreaSummary> = rows.into_values().collect();
    rows.sort_by(|a, b| (&a.code, a.fellowship.index()).cmp(&(&b.code, b.fellowship.index())));
    rows
}

/// Heaviest first; then furthest from a meeting (none at all first); then by label.
fn rank_gaps(list: &mut [&PointCoverage], points: &[DemandPoint]) {
    list.sort_by(|a, b| {
        let (pa, pb) = (&points[a.point as usize], &points[b.point as usize]);
        let far = |c: &PointCoverage| c.reach.nearest_km.unwrap_or(f64::INFINITY);
        pb.weight
            .total_cmp(&pa.weight)
            .then_with(|| far(b).total_cmp(&far(a)))
            .then_with(|| pa.label.cmp(&pb.label))
    });
}

/// The points beyond the threshold, heaviest first, at most `limit`, optionally in one area.
pub fn gaps(
    points: &[DemandPoint],
    coverage: &[PointCoverage],
    in_area: impl Fn(&DemandPoint) -> bool,
    limit: usize,
) -> Vec<PointReport> {
    let mut list: Vec<&PointCoverage> = coverage
        .iter()
        .filter(|c| !c.covered() && in_area(&points[c.point as usize]))
        .collect();
    rank_gaps(&mut list, points);
    list.into_iter()
        .take(limit)
        .map(|c| PointReport::new(&points[c.point as usize], c))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests;
