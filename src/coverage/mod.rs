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
pub mod trends;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::OnceLock;

use rstar::primitives::GeomWithData;
use rstar::RTree;
use serde::Serialize;

pub use answer::{
    fellowships_with_data, in_question_area, render, render_until, AnswerError, Client, CoverageGaps,
    CoverageState, CoverageSummary, Output, NO_DATA_SOURCE, RETRY_AFTER_SECS,
};
pub use question::{
    AreaChoice, BundledPoints, CoverageQuestion, Feed, QuestionError, QuestionSpec, DEFAULT_GAPS,
    MAX_AREA_KM, MAX_GAPS, MAX_KM, MAX_MINUTES, MAX_POINTS,
};

use crate::domain::Fellowship;
use crate::gazetteer::bundled;
use crate::search::{Filter, Reach, Snapshot};
use crate::travel::{self, Mode};
use boundaries::Boundaries;

const LAD_LOOKUP_CSV: &str = include_str!("../../data/uk-lad-lookup.csv");

/// How far the nearest meeting is looked for beyond the threshold; further is reported as none.
pub const NEAREST_SEARCH_KM: f64 = 100.0;

/// Where people are, and how many.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandPoint {
    /// The small area's name, the postcode sector, or the label given.
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    /// Residents (small areas, places), live postcodes (sectors), or the weight given.
    pub weight: f64,
    /// Local authority district code and name (empty when unknown).
    pub lad_code: String,
    pub lad_name: String,
    pub country: String,
    /// The official two-way class of where the point is (see [`bundled_small_areas`]): `Some(true)`
    /// rural, `Some(false)` urban, `None` unknown (a supplied point far from every small area).
    pub rural: Option<bool>,
    /// Whether it is "further from a major town" (England and Wales) or remote (Scotland).
    pub remote: Option<bool>,
}

const SMALL_AREAS_GZ: &[u8] = include_bytes!("../../data/gb-small-areas-population.csv.gz");

/// GB small areas (35,672 LSOA 2021 in England and Wales, 6,976 Data Zones 2011 in Scotland),
/// each at its population-weighted centroid and weighted by its residents (Census 2021; NRS
/// mid-2021 in Scotland), with its official rural/urban class: the file's `urban_rural` flag
/// (ONS RUC 2021 in England and Wales; Scottish Government 2016 classes 1-2 urban, 3-6 rural, the
/// same 10,000-resident settlement threshold) and `remote` flag. See docs/coverage-data.md.
pub fn bundled_small_areas() -> Vec<DemandPoint> {
    let gz = flate2::read::GzDecoder::new(SMALL_AREAS_GZ);
    let mut reader = csv::Reader::from_reader(gz);
    let names: HashMap<String, String> = csv::Reader::from_reader(LAD_LOOKUP_CSV.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    // code,name,country,lat,lon,population,lad_code,ruc_code,urban_rural,ur_national,remote,centroid
    reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| {
            Some(DemandPoint {
                label: r[1].to_string(),
                lat: r[3].parse().ok()?,
                lon: r[4].parse().ok()?,
                weight: r[5].parse().ok()?,
                lad_name: names.get(&r[6]).cloned().unwrap_or_default(),
                lad_code: r[6].to_string(),
                country: r[2].to_string(),
                rural: Some(&r[8] == "Rural"),
                remote: Some(&r[10] == "1"),
            })
        })
        .collect()
}

/// The small areas in an index for nearest look-ups, built once.
fn small_area_index() -> &'static RTree<GeomWithData<[f64; 2], u32>> {
    static TREE: OnceLock<RTree<GeomWithData<[f64; 2], u32>>> = OnceLock::new();
    TREE.get_or_init(|| {
        RTree::bulk_load(
            Demand::SmallAreas
                .points()
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(plane(p.lat, p.lon), i as u32))
                .collect(),
        )
    })
}

/// The small area nearest to (`lat`, `lon`) when one is within [`PLACING_KM`].
fn nearest_small_area(lat: f64, lon: f64) -> Option<&'static DemandPoint> {
    let nearest = small_area_index().nearest_neighbor(&plane(lat, lon))?;
    let area = &Demand::SmallAreas.points()[nearest.data as usize];
    (crate::domain::distance_km(lat, lon, area.lat, area.lon) <= PLACING_KM).then_some(area)
}

/// Gives points without a rural/urban class that of the nearest small area.
fn classify(points: &mut [DemandPoint]) {
    for p in points.iter_mut().filter(|p| p.rural.is_none()) {
        if let Some(area) = nearest_small_area(p.lat, p.lon) {
            p.rural = area.rural;
            p.remote = area.remote;
        }
    }
}

/// GB postcode sectors bundled with the gazetteer, weighted by live postcodes.
pub fn bundled_sectors() -> Vec<DemandPoint> {
    let mut points: Vec<DemandPoint> = bundled::sectors()
        .iter()
        .map(|r| DemandPoint {
            label: r.code.clone(),
            lat: r.lat,
            lon: r.lon,
            weight: r.postcodes,
            lad_code: r.lad_code.clone(),
            lad_name: r.lad_name.clone(),
            country: r.country.clone(),
            rural: None,
            remote: None,
        })
        .collect();
    classify(&mut points);
    points
}

/// GB places (England, Scotland, Wales) bundled with the gazetteer, weighted by population.
pub fn bundled_places() -> Vec<DemandPoint> {
    let mut points: Vec<DemandPoint> = bundled::places()
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
                rural: None,
                remote: None,
            })
        })
        .collect();
    classify(&mut points);
    points
}

/// Whether the directory has any meeting a coverage analysis could count (in person or hybrid,
/// active): a report of none would read as "nobody is within reach" when nothing was imported.
pub fn has_places(snapshot: &Snapshot) -> bool {
    snapshot.rooms_matching(&Filter::default()).next().is_some()
}

/// The feeds of the sources the directory lists, with their dates, for the report's
/// completeness panel.
pub async fn feeds(
    directory: &crate::directory::Directory,
    snapshot: &Snapshot,
) -> Result<Vec<Feed>, crate::store::StoreError> {
    let mut sources: BTreeMap<&str, &str> = BTreeMap::new();
    for (s, _) in snapshot.sources() {
        sources.insert(&s.id, &s.name);
    }
    let mut feeds = Vec::new();
    for (id, name) in sources {
        let run = directory.last_success(id).await?;
        feeds.push(Feed {
            id: id.to_string(),
            name: name.to_string(),
            imported: run.as_ref().map(|r| r.finished_at),
            // Recorded at import; older runs recorded only the HTTP date.
            feed_date: run.and_then(|r| {
                r.feed_date
                    .or_else(|| crate::domain::feed_date(r.last_modified.as_deref(), None))
            }),
        });
    }
    Ok(feeds)
}

/// Which demand points an analysis is over.
#[derive(Debug, Clone, PartialEq)]
pub enum Demand {
    /// GB small areas weighted by residents (the default).
    SmallAreas,
    /// GB postcode sectors, weighted by live postcodes.
    Sectors,
    /// GB places, weighted by population.
    Places,
    /// Points someone supplied as CSV ([`read_points`]).
    Supplied(Vec<DemandPoint>),
}

impl Demand {
    pub fn points(&self) -> &[DemandPoint] {
        static SMALL_AREAS: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        static SECTORS: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        static PLACES: OnceLock<Vec<DemandPoint>> = OnceLock::new();
        match self {
            Demand::SmallAreas => SMALL_AREAS.get_or_init(bundled_small_areas),
            Demand::Sectors => SECTORS.get_or_init(bundled_sectors),
            Demand::Places => PLACES.get_or_init(bundled_places),
            Demand::Supplied(points) => points,
        }
    }

    /// What the points are and what their weight means, in words.
    pub fn describe(&self) -> &'static str {
        match self {
            Demand::SmallAreas => {
                "the 42,648 small areas of Great Britain (35,672 Lower Layer Super Output Areas 2021 \
                 in England and Wales, 6,976 Data Zones 2011 in Scotland), each at its \
                 population-weighted centroid and weighted by its resident population (Census 2021 \
                 in England and Wales; National Records of Scotland mid-2021 estimates in Scotland)"
            }
            Demand::Sectors => {
                "the GB postcode sectors (OS Code-Point Open), each weighted by its number of live \
                 postcodes, a proxy for addresses, not people"
            }
            Demand::Places => {
                "the populated places of England, Scotland and Wales (GeoNames), each weighted by \
                 its population; people living outside named places are not counted"
            }
            Demand::Supplied(_) => "points supplied as CSV, each with the weight given",
        }
    }

    /// What a point's weight counts, when known.
    pub fn weight_unit(&self) -> Option<&'static str> {
        match self {
            Demand::SmallAreas | Demand::Places => Some("residents"),
            Demand::Sectors => Some("postcodes"),
            Demand::Supplied(_) => None,
        }
    }

    /// Whether the weights are people, so that "people beyond reach" reads right.
    pub fn is_people(&self) -> bool {
        matches!(self, Demand::SmallAreas | Demand::Places)
    }
}

/// Gives supplied points without a local authority the one of the nearest small area (when one is
/// within [`PLACING_KM`]), so they are added up by area like the bundled points, and points
/// without a rural/urban class its class.
pub fn place_in_areas(points: &mut [DemandPoint]) {
    for p in points.iter_mut().filter(|p| p.lad_code.is_empty()) {
        if let Some(area) = nearest_small_area(p.lat, p.lon) {
            p.lad_code.clone_from(&area.lad_code);
            p.lad_name.clone_from(&area.lad_name);
            p.country.clone_from(&area.country);
        }
    }
    classify(points);
}

/// How far a supplied point may be from the nearest small area and still take its area.
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
            rural: None,
            remote: None,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
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

    /// What people call areas at this level (one area).
    pub fn label(self) -> &'static str {
        match self {
            Level::Lad => "local authority district",
            Level::Utla => "county or unitary authority (in Wales, health board)",
            Level::Nation => "nation",
        }
    }

    /// Short, for lists.
    pub fn short_label(self) -> &'static str {
        match self {
            Level::Lad => "district",
            Level::Utla => "county or unitary",
            Level::Nation => "nation",
        }
    }
}

/// An area someone can report on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownArea {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    #[serde(skip)]
    pub at: Level,
}

/// Every GB area at every level with demand points, by level then name (built once).
pub fn known_areas() -> &'static [KnownArea] {
    static AREAS: OnceLock<Vec<KnownArea>> = OnceLock::new();
    AREAS.get_or_init(|| {
        let lookup = question::lookup();
        let mut seen = std::collections::BTreeSet::new();
        for p in Demand::SmallAreas.points() {
            for level in Level::ALL {
                let (code, name) = lookup.area(p, level);
                seen.insert((level as u8, name.to_string(), code.to_string()));
            }
        }
        seen.into_iter()
            .map(|(level, name, code)| {
                let at = Level::ALL[level as usize];
                KnownArea {
                    code,
                    name,
                    level: at.as_str(),
                    at,
                }
            })
            .collect()
    })
}

/// Folds a name for matching: lower case, letters and digits only ("Rhondda Cynon Taf" and
/// "rhondda-cynon-taf" meet).
fn fold_name(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The area `text` names: a code, or a name (any case, spaces and punctuation ignored), at
/// `level` when given, else at the finest level with that name (Powys, the district, before its
/// health board). `Err` has up to three suggestions for a near miss.
pub fn find_area(text: &str, level: Option<Level>) -> Result<&'static KnownArea, Vec<&'static KnownArea>> {
    let areas = known_areas();
    let wanted = fold_name(text);
    let at = |a: &&KnownArea| level.is_none_or(|l| a.at == l);
    if let Some(a) = areas
        .iter()
        .filter(at)
        .find(|a| a.code.eq_ignore_ascii_case(text.trim()))
    {
        return Ok(a);
    }
    if let Some(a) = areas.iter().filter(at).find(|a| fold_name(&a.name) == wanted) {
        return Ok(a);
    }
    let mut near: Vec<(f64, &KnownArea)> = areas
        .iter()
        .filter(at)
        .map(|a| (strsim::jaro_winkler(&fold_name(&a.name), &wanted), a))
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    Err(near.into_iter().take(3).map(|(_, a)| a).collect())
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

    /// Whether the district `lad` is in Great Britain (not Northern Ireland, nor unknown).
    pub fn is_gb(&self, lad: &str) -> bool {
        matches!(
            self.country.get(lad).map(String::as_str),
            Some("England" | "Scotland" | "Wales")
        )
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
    /// Sum of the weights of the area's points (residents, by default).
    pub weight_total: f64,
    /// Sum of the weights of the points with a meeting within the threshold.
    pub weight_within_reach: f64,
    /// `weight_total - weight_within_reach`: people beyond reach, by default.
    pub weight_beyond_reach: f64,
    /// `weight_within_reach / weight_total` (0 for an area without weight).
    pub share_within_reach: f64,
    /// The same for the points in rural, urban and remote places (see [`DemandPoint::rural`]);
    /// rural and urban add up to the whole unless some points have no class.
    pub rural: Split,
    pub urban: Split,
    pub remote: Split,
    /// Share of the weight with an evening (17:00 or later) meeting within reach.
    pub share_evening_within_reach: f64,
    /// Share of the weight with a Saturday or Sunday meeting within reach.
    pub share_weekend_within_reach: f64,
    /// Matching meetings located in the area (see [`attribute`]).
    pub meetings: u32,
    /// `meetings` per 100,000 weight (residents, by default).
    pub meetings_per_100k: f64,
    /// The heaviest points beyond the threshold, at most [`WORST_POINTS`].
    pub worst_served: Vec<PointReport>,
}

/// Part of an area's weight, and how much of it is within reach.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Split {
    pub weight_total: f64,
    pub weight_within_reach: f64,
    /// `weight_within_reach / weight_total`; null without weight.
    pub share_within_reach: Option<f64>,
}

impl Split {
    fn add(&mut self, weight: f64, covered: bool) {
        self.weight_total += weight;
        if covered {
            self.weight_within_reach += weight;
        }
    }

    fn finish(&mut self) {
        self.share_within_reach =
            (self.weight_total > 0.0).then(|| self.weight_within_reach / self.weight_total);
    }
}

/// Worst-served points listed per area.
pub const WORST_POINTS: usize = 5;

/// How far a meeting may be from the nearest bundled demand point and still be counted in its
/// area when there are no boundaries: less than the narrowest sea between Great Britain and
/// another country (the North Channel, about 20 km), so no meeting in Ireland, Northern Ireland
/// or the Isle of Man is ever credited to a GB coast.
pub const ATTRIBUTION_KM: f64 = 10.0;
/// With boundaries, how far a meeting just outside every outline (a quay, a pier: generalised
/// coastlines cut a little off) may be from the nearest demand point and still count there.
pub const COAST_KM: f64 = 1.0;

/// Where meetings were counted: how it was decided, and what was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// In the district whose boundary contains it.
    Boundaries,
    /// In the area of the nearest demand point within [`ATTRIBUTION_KM`].
    NearestPoint,
    /// For supplied points: in the area of the nearest point, only within the threshold (its
    /// catchment).
    Catchment,
}

impl Attribution {
    /// For the report's method, in words.
    pub fn describe(self, threshold_km: f64) -> String {
        match self {
            Attribution::Boundaries => format!(
                "each meeting is counted in the local authority district whose boundary contains \
                 it (a meeting just off a generalised coastline, within {COAST_KM} km of a demand \
                 point, in that point's district); meetings in no Great Britain district (Ireland, \
                 Northern Ireland, the Isle of Man, the Channel Islands) are not counted and are \
                 reported apart"
            ),
            Attribution::NearestPoint => format!(
                "no boundaries were loaded, so each meeting is counted in the area of the nearest \
                 demand point, only when that point is within {ATTRIBUTION_KM} km (less than the \
                 sea between Great Britain and Ireland, so no meeting is credited across it); \
                 farther meetings are not counted and are reported apart"
            ),
            Attribution::Catchment => format!(
                "the demand points were supplied, so each meeting is counted in the area of the \
                 nearest supplied point only when it is within that point's catchment (the \
                 threshold, {threshold_km:.1} km in a straight line); meetings beyond every \
                 point's catchment are not counted"
            ),
        }
    }
}

/// Matching meetings not counted in any area, per fellowship index.
pub type NotCounted = BTreeMap<u8, u32>;

/// The local authority district (code) each matching meeting is counted in, or `None` when it is
/// counted nowhere, with its fellowship index: by `boundaries` when given, else by the nearest of
/// `points` within [`ATTRIBUTION_KM`] (`catchment_km` for supplied points).
pub fn attribute<'a>(
    snapshot: &Snapshot,
    points: &'a [DemandPoint],
    demand: &Demand,
    filter: &Filter,
    boundaries: Option<&'a Boundaries>,
    catchment_km: f64,
) -> (Attribution, Vec<(Option<&'a str>, u8)>) {
    let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(plane(p.lat, p.lon), i as u32))
            .collect(),
    );
    let nearest_within = |lat: f64, lon: f64, km: f64| -> Option<&'a str> {
        let nearest = tree.nearest_neighbor(&plane(lat, lon))?;
        let p = &points[nearest.data as usize];
        (crate::domain::distance_km(lat, lon, p.lat, p.lon) <= km && !p.lad_code.is_empty())
            .then_some(p.lad_code.as_str())
    };
    let lookup = question::lookup();
    let how = match (demand, boundaries) {
        (Demand::Supplied(_), _) => Attribution::Catchment,
        (_, Some(_)) => Attribution::Boundaries,
        (_, None) => Attribution::NearestPoint,
    };
    let placed = snapshot
        .rooms_matching(filter)
        .map(|(lat, lon, f)| {
            let lad = match (how, boundaries) {
                (Attribution::Catchment, _) => nearest_within(lat, lon, catchment_km),
                (Attribution::Boundaries, Some(b)) => match b.containing(lat, lon) {
                    // A district outside GB (Northern Ireland's) is counted nowhere.
                    Some(outline) => lookup.is_gb(&outline.code).then_some(outline.code.as_str()),
                    None => nearest_within(lat, lon, COAST_KM),
                },
                _ => nearest_within(lat, lon, ATTRIBUTION_KM),
            };
            (lad, f)
        })
        .collect();
    (how, placed)
}

/// An equirectangular projection good enough for nearest-centroid lookups at GB latitudes.
fn plane(lat: f64, lon: f64) -> [f64; 2] {
    [lon * 54f64.to_radians().cos(), lat]
}

/// A summary of an analysis: rows per area and fellowship, and how meetings were counted.
#[derive(Debug, Clone)]
pub struct Summary {
    pub areas: Vec<AreaSummary>,
    pub attribution: Attribution,
    /// Matching meetings counted in no area.
    pub not_counted: NotCounted,
    /// Matching meetings counted, per nation and fellowship index.
    pub per_nation: BTreeMap<(String, u8), u32>,
}

/// Adds up `coverage` (from [`analyse`] over `points`) per area at `level` and fellowship,
/// ordered by area code and then fellowship: rows for the areas of the points analysed only.
/// Meetings are counted per area by [`attribute`].
pub fn summarise(
    snapshot: &Snapshot,
    points: &[DemandPoint],
    demand: &Demand,
    analysis: &Analysis,
    coverage: &[PointCoverage],
    boundaries: Option<&Boundaries>,
    level: Level,
) -> Summary {
    let lookup = question::lookup();
    let (attribution, placed) = attribute(
        snapshot,
        points,
        demand,
        &analysis.filter,
        boundaries,
        analysis.threshold.km(),
    );
    let wanted = analysis.fellowships.iter().fold(0u32, |m, f| m | 1 << f.index());
    let mut counts: HashMap<(&str, u8), u32> = HashMap::new();
    let mut not_counted = NotCounted::new();
    let mut per_nation = BTreeMap::new();
    for (lad, f) in placed.iter().filter(|(_, f)| wanted & 1 << f != 0) {
        match lad {
            Some(lad) => {
                if let Some(code) = lookup.code_of(level, lad) {
                    *counts.entry((code, *f)).or_insert(0) += 1;
                }
                let nation = lookup.code_of(Level::Nation, lad).unwrap_or("unknown");
                *per_nation.entry((nation.to_string(), *f)).or_insert(0) += 1;
            }
            None => *not_counted.entry(*f).or_insert(0) += 1,
        }
    }
    let mut rows: HashMap<(&str, Fellowship), AreaSummary> = HashMap::new();
    let mut gaps: HashMap<(&str, Fellowship), Vec<&PointCoverage>> = HashMap::new();
    let mut evening: HashMap<(&str, Fellowship), (f64, f64)> = HashMap::new();
    for c in coverage {
        let p = &points[c.point as usize];
        let (code, name) = lookup.area(p, level);
        let row = rows.entry((code, c.fellowship)).or_insert_with(|| AreaSummary {
            code: code.to_string(),
            name: name.to_string(),
            fellowship: c.fellowship,
            weight_total: 0.0,
            weight_within_reach: 0.0,
            weight_beyond_reach: 0.0,
            share_within_reach: 0.0,
            rural: Split::default(),
            urban: Split::default(),
            remote: Split::default(),
            share_evening_within_reach: 0.0,
            share_weekend_within_reach: 0.0,
            meetings: counts
                .get(&(code, c.fellowship.index() as u8))
                .copied()
                .unwrap_or(0),
            meetings_per_100k: 0.0,
            worst_served: Vec::new(),
        });
        row.weight_total += p.weight;
        let covered = c.covered();
        match p.rural {
            Some(true) => row.rural.add(p.weight, covered),
            Some(false) => row.urban.add(p.weight, covered),
            None => {}
        }
        if p.remote == Some(true) {
            row.remote.add(p.weight, covered);
        }
        let times = evening.entry((code, c.fellowship)).or_default();
        if c.reach.evening {
            times.0 += p.weight;
        }
        if c.reach.weekend {
            times.1 += p.weight;
        }
        if covered {
            row.weight_within_reach += p.weight;
        } else {
            gaps.entry((code, c.fellowship)).or_default().push(c);
        }
    }
    for (key, row) in rows.iter_mut() {
        row.weight_beyond_reach = row.weight_total - row.weight_within_reach;
        if row.weight_total > 0.0 {
            let (evening, weekend) = evening.get(key).copied().unwrap_or_default();
            row.share_within_reach = row.weight_within_reach / row.weight_total;
            row.share_evening_within_reach = evening / row.weight_total;
            row.share_weekend_within_reach = weekend / row.weight_total;
            row.meetings_per_100k = row.meetings as f64 * 100_000.0 / row.weight_total;
        }
        row.rural.finish();
        row.urban.finish();
        row.remote.finish();
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
    Summary {
        areas: rows,
        attribution,
        not_counted,
        per_nation,
    }
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
