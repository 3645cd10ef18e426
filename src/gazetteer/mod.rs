//! The gazetteer: turns what someone types as "near" (a postcode, part of one, a place name or
//! `lat,lon`) into a point, offline.
//!
//! Bundled into the binary: GB postcode districts (outcodes) and sectors from OS Code-Point Open,
//! and UK populated places from GeoNames (see `NOTICE`). Optionally the 1.7 million GB unit
//! postcodes are loaded from a file at startup ([`Gazetteer::load_units`]) for unit precision.
//! Without them a full postcode resolves to its sector, then its outcode.
//!
//! Every answer says how precise it is (`precision_km`): for sectors and outcodes the
//! 90th-percentile distance from the centroid to the member postcodes, as published with the data.

pub mod bundled;
pub mod postcode;
pub mod remote;

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use utoipa::ToSchema;

use crate::search::fold_text;
pub use postcode::Postcode;

/// A unit postcode covers about 15 addresses, within roughly 100 m of its centroid.
pub const UNIT_PRECISION_KM: f64 = 0.1;
/// GeoNames gives a place a point, not an extent. Its radius is estimated from its population at an
/// assumed 4,000 people per km² (typical of UK built-up areas), between these bounds.
const PLACE_PRECISION_KM: (f64, f64) = (0.5, 30.0);
const PEOPLE_PER_KM2: f64 = 4000.0;
const SUGGESTIONS: usize = 4;

/// What kind of thing a query resolved to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A full (unit) postcode.
    Postcode,
    /// A postcode sector (`LL11 1`).
    Sector,
    /// A postcode district (`LL11`).
    Outcode,
    /// A town, village or city.
    Place,
    /// Coordinates given as `lat,lon`.
    Coordinates,
}

/// A resolved location: what was found, where, and how precisely.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Resolved {
    /// What was found, for display (`LL11 1AA`, `LL11 1`, `Newport, Isle of Wight`).
    #[schema(example = "LL11 1")]
    pub label: String,
    pub kind: Kind,
    #[schema(example = 53.04772)]
    pub lat: f64,
    #[schema(example = -2.9959)]
    pub lon: f64,
    /// How far the real location may be from the point: most of the area the answer stands for
    /// lies within this distance.
    #[schema(example = 0.31)]
    pub precision_km: f64,
}

/// Why a query could not be resolved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeocodeError {
    #[error("is not a point on Earth: latitude must be from -90 to 90 and longitude from -180 to 180")]
    OutOfRange,
    #[error("{}", unknown_reason(.0))]
    Unknown(Vec<String>),
}

fn unknown_reason(suggestions: &[String]) -> String {
    let known = "is not a postcode, postcode district, place or `lat,lon` we know";
    if suggestions.is_empty() {
        format!("{known}; try a full postcode, a district such as `LL11`, a town name or `53.05,-2.99`")
    } else {
        format!("{known}; did you mean {}?", suggestions.join(", "))
    }
}

/// A postcode sector or district centroid.
#[derive(Debug, Clone)]
struct Area {
    lat: f64,
    lon: f64,
    p90_km: f64,
}

#[derive(Debug, Clone)]
struct Place {
    name: String,
    lat: f64,
    lon: f64,
    population: u64,
    /// Local authority, or country when the place shares the authority's name, to tell places
    /// of the same name apart.
    area: String,
    country: String,
}

/// The offline gazetteer. Cheap to query from many threads at once (read-only).
pub struct Gazetteer {
    outcodes: HashMap<String, Area>,
    sectors: HashMap<String, Area>,
    /// Unit postcodes, sorted by [`postcode::unit_key`]; empty unless loaded.
    units: Vec<(u64, f32, f32)>,
    /// Places, most populous first.
    places: Vec<Place>,
    /// Folded place name to indexes into `places`, most populous first.
    by_name: HashMap<String, Vec<u32>>,
}

/// Folds a place name for matching: accents, case, punctuation and spacing do not matter
/// (`Bo’ness`, `bo'ness` and `Boness` are the same; so are `Stoke-on-Trent` and `stoke on trent`).
fn fold_name(name: &str) -> String {
    let folded = fold_text(name).replace(['\'', '’', '.'], "");
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn round5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn areas(rows: &[bundled::PostcodeArea]) -> HashMap<String, Area> {
    rows.iter()
        .map(|r| {
            let area = Area {
                lat: r.lat,
                lon: r.lon,
                p90_km: r.p90_km,
            };
            (r.code.clone(), area)
        })
        .collect()
}

fn places(rows: &[bundled::PlaceRow]) -> Vec<Place> {
    let mut places: Vec<Place> = rows
        .iter()
        .map(|r| {
            let lad = &r.lad_name;
            let area = if lad.is_empty() || *lad == r.name {
                &r.country
            } else {
                lad
            };
            Place {
                lat: r.lat,
                lon: r.lon,
                population: r.population.unwrap_or(0),
                area: area.to_string(),
                country: r.country.clone(),
                name: r.name.clone(),
            }
        })
        .collect();
    places.sort_by_key(|p| std::cmp::Reverse(p.population));
    places
}

impl Gazetteer {
    /// The gazetteer from the data bundled into the binary: outcodes, sectors and places.
    pub fn bundled() -> Gazetteer {
        let places = places(bundled::places());
        let mut by_name: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, place) in places.iter().enumerate() {
            by_name.entry(fold_name(&place.name)).or_default().push(i as u32);
        }
        Gazetteer {
            outcodes: areas(bundled::outcodes()),
            sectors: areas(bundled::sectors()),
            units: Vec::new(),
            places,
            by_name,
        }
    }

    /// Loads unit postcodes from a `postcode,lat,lon,...` CSV file, gzip-compressed when its name
    /// ends in `.gz` (the `gb-postcodes.csv.gz` file). Returns how many were loaded.
    pub fn load_units(&mut self, path: &Path) -> anyhow::Result<usize> {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(file)))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
        let mut units = Vec::with_capacity(1_800_000);
        for (number, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            let mut fields = line.split(',');
            let (Some(code), Some(lat), Some(lon)) = (fields.next(), fields.next(), fields.next()) else {
                continue;
            };
            let parsed = (postcode::unit_key(code), lat.parse::<f32>(), lon.parse::<f32>());
            match parsed {
                (Some(key), Ok(lat), Ok(lon)) => units.push((key, lat, lon)),
                // The header, and nothing else, may fail to parse.
                _ if number == 0 => {}
                _ => anyhow::bail!("{} line {}: not `postcode,lat,lon`", path.display(), number + 1),
            }
        }
        units.sort_unstable_by_key(|u| u.0);
        units.dedup_by_key(|u| u.0);
        self.units = units;
        Ok(self.units.len())
    }

    /// How many unit postcodes are loaded (0 when only the bundled data is in use).
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    fn unit(&self, unit: &str) -> Option<(f64, f64)> {
        let key = postcode::unit_key(unit)?;
        let i = self.units.binary_search_by_key(&key, |u| u.0).ok()?;
        let (_, lat, lon) = self.units[i];
        Some((round5(lat as f64), round5(lon as f64)))
    }

    /// Whether this canonical unit postcode is in the loaded unit data.
    pub fn knows_unit(&self, unit: &str) -> bool {
        self.unit(unit).is_some()
    }

    /// Locates a postcode, as precisely as the data allows: the unit postcode when unit data is
    /// loaded, else its sector, else its outcode. For importers placing meetings that have a
    /// postcode but no coordinates: the answer is a centroid, so mark the location approximate.
    pub fn locate_postcode(&self, text: &str) -> Option<Resolved> {
        self.postcode(&Postcode::parse(text)?)
    }

    fn postcode(&self, code: &Postcode) -> Option<Resolved> {
        if let Postcode::Unit(unit) = code {
            if let Some((lat, lon)) = self.unit(unit) {
                return Some(Resolved {
                    label: unit.clone(),
                    kind: Kind::Postcode,
                    lat,
                    lon,
                    precision_km: UNIT_PRECISION_KM,
                });
            }
        }
        let area = |label: &str, kind, map: &HashMap<String, Area>| {
            map.get(label).map(|a| Resolved {
                label: label.to_string(),
                kind,
                lat: a.lat,
                lon: a.lon,
                precision_km: a.p90_km,
            })
        };
        code.sector()
            .and_then(|s| area(s, Kind::Sector, &self.sectors))
            .or_else(|| area(code.outcode(), Kind::Outcode, &self.outcodes))
    }

    fn place(&self, index: u32) -> Resolved {
        let p = &self.places[index as usize];
        let radius = (p.population as f64 / PEOPLE_PER_KM2 / std::f64::consts::PI).sqrt();
        Resolved {
            label: format!("{}, {}", p.name, p.area),
            kind: Kind::Place,
            lat: p.lat,
            lon: p.lon,
            precision_km: (radius.clamp(PLACE_PRECISION_KM.0, PLACE_PRECISION_KM.1) * 100.0).round() / 100.0,
        }
    }

    /// Resolves `text` to its best match. See [`Gazetteer::candidates`].
    pub fn resolve(&self, text: &str) -> Result<Resolved, GeocodeError> {
        let mut found = self.candidates(text, 1)?;
        Ok(found.swap_remove(0))
    }

    /// Up to `limit` matches for `text`, best first (at least one, or an error with suggestions).
    ///
    /// Tried in order: `lat,lon`; a postcode (unit, then its sector, then its outcode); a place
    /// name, most populous first. `Name, Area` narrows a name to places whose local authority or
    /// country contains `Area` (`Newport, Isle of Wight`).
    pub fn candidates(&self, text: &str, limit: usize) -> Result<Vec<Resolved>, GeocodeError> {
        if let Some(point) = coordinates(text) {
            let (lat, lon) = point?;
            return Ok(vec![Resolved {
                label: format!("{lat}, {lon}"),
                kind: Kind::Coordinates,
                lat,
                lon,
                precision_km: 0.0,
            }]);
        }
        let code = Postcode::parse(text);
        if let Some(found) = code.as_ref().and_then(|c| self.postcode(c)) {
            return Ok(vec![found]);
        }
        let (name, qualifier) = match text.split_once(',') {
            Some((name, area)) => (name, Some(fold_name(area))),
            None => (text, None),
        };
        let matches: Vec<Resolved> = self
            .by_name
            .get(&fold_name(name))
            .into_iter()
            .flatten()
            .filter(|&&i| {
                let p = &self.places[i as usize];
                qualifier.as_ref().is_none_or(|q| {
                    fold_name(&p.area).contains(q.as_str()) || fold_name(&p.country).contains(q.as_str())
                })
            })
            .take(limit.max(1))
            .map(|&i| self.place(i))
            .collect();
        if matches.is_empty() {
            return Err(GeocodeError::Unknown(match code {
                Some(code) => self.similar_outcodes(code.outcode()),
                None => self.similar_names(name),
            }));
        }
        Ok(matches)
    }

    /// Districts one edit away from an unknown one, largest first by nothing but code order.
    fn similar_outcodes(&self, outcode: &str) -> Vec<String> {
        let mut close: Vec<(usize, &String)> = self
            .outcodes
            .keys()
            .map(|k| (strsim::levenshtein(k, outcode), k))
            .filter(|(d, _)| *d <= 1)
            .collect();
        close.sort();
        close
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, k)| k.clone())
            .collect()
    }

    /// Place names that look like `name` (a typo or a different spelling): alike by Jaro-Winkler
    /// (which favours a shared beginning), ranked by fewest edits, then by population (so
    /// `Lundon` suggests London before Lund).
    fn similar_names(&self, name: &str) -> Vec<String> {
        let folded = fold_name(name);
        if folded.is_empty() {
            return Vec::new();
        }
        let mut close: Vec<(usize, std::cmp::Reverse<u64>, u32)> = self
            .by_name
            .iter()
            .filter(|(key, _)| strsim::jaro_winkler(key, &folded) >= 0.85)
            .map(|(key, places)| {
                let population = self.places[places[0] as usize].population;
                (
                    strsim::levenshtein(key, &folded),
                    std::cmp::Reverse(population),
                    places[0],
                )
            })
            .collect();
        close.sort();
        close
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, _, i)| self.places[i as usize].name.clone())
            .collect()
    }
}

/// Reads `lat,lon` (spaces allowed around the comma). `None` when the text is not two numbers.
fn coordinates(text: &str) -> Option<Result<(f64, f64), GeocodeError>> {
    let (lat, lon) = text.split_once(',')?;
    let lat: f64 = lat.trim().parse().ok()?;
    let lon: f64 = lon.trim().parse().ok()?;
    let valid = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    Some(valid.then_some((lat, lon)).ok_or(GeocodeError::OutOfRange))
}

#[cfg(test)]
mod tests;
