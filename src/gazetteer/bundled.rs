//! The reference files bundled into the binary, each read once, by header, into typed rows: the
//! GB postcode districts (outcodes) and sectors (OS Code-Point Open) and the UK populated places
//! (GeoNames). The gazetteer, the coverage analysis and the demo data all read them from here.

use std::sync::OnceLock;

use serde::de::DeserializeOwned;
use serde::Deserialize;

const OUTCODES_CSV: &str = include_str!("../../data/uk-outcodes.csv");
const SECTORS_CSV: &str = include_str!("../../data/uk-postcode-sectors.csv");
const PLACES_CSV: &str = include_str!("../../data/gb-places.csv");

/// A postcode district or sector: its centroid, how many live postcodes it has, and how far they
/// spread. Both files have the same columns, the first named `outcode` or `sector`.
#[derive(Debug, Clone, Deserialize)]
pub struct PostcodeArea {
    #[serde(alias = "outcode", alias = "sector")]
    pub code: String,
    pub lat: f64,
    pub lon: f64,
    /// Live postcodes.
    pub postcodes: f64,
    /// 90th-percentile distance from the centroid to the member postcodes.
    pub p90_km: f64,
    pub lad_code: String,
    pub lad_name: String,
    pub country: String,
}

/// A populated place.
#[derive(Debug, Clone, Deserialize)]
pub struct PlaceRow {
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Absent for some small places.
    pub population: Option<u64>,
    /// `England`, `Scotland`, `Wales` or `Northern Ireland`.
    pub country: String,
    pub lad_code: String,
    pub lad_name: String,
}

impl PlaceRow {
    /// In Great Britain (England, Scotland, Wales).
    pub fn in_gb(&self) -> bool {
        matches!(self.country.as_str(), "England" | "Scotland" | "Wales")
    }
}

/// Rows of `text` that read as `T`; a row that does not is left out.
fn read<T: DeserializeOwned>(text: &str) -> Vec<T> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .filter_map(Result::ok)
        .collect()
}

/// GB postcode districts.
pub fn outcodes() -> &'static [PostcodeArea] {
    static ROWS: OnceLock<Vec<PostcodeArea>> = OnceLock::new();
    ROWS.get_or_init(|| read(OUTCODES_CSV))
}

/// GB postcode sectors.
pub fn sectors() -> &'static [PostcodeArea] {
    static ROWS: OnceLock<Vec<PostcodeArea>> = OnceLock::new();
    ROWS.get_or_init(|| read(SECTORS_CSV))
}

/// UK populated places, largest first (as the file is).
pub fn places() -> &'static [PlaceRow] {
    static ROWS: OnceLock<Vec<PlaceRow>> = OnceLock::new();
    ROWS.get_or_init(|| read(PLACES_CSV))
}
