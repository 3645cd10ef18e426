//! Query-string parsing and validation shared by every search endpoint.
//!
//! Parameters are read into [`SearchParams`] as text, then checked one by one so that every bad
//! parameter is reported in the same 400 response, each with a reason a person can act on. A
//! repeated parameter means the same as a comma list (`fellowship=aa&fellowship=na`); an empty
//! value means the parameter was not given; an unknown parameter is an error, because a typo
//! (`radius=5`) silently ignored gives a wrong answer.

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::cursor::Cursor;
use super::geocode::resolve_near;
use super::problem::{ApiError, InvalidParam};
use crate::domain::{Access, Attendance, Day, Fellowship, LocalTime, MeetingType, FELLOWSHIPS};
use crate::gazetteer::Resolved;
use crate::hash::Fnv1a;
use crate::places::Geo;
use crate::search::{Filter, Near, Query, Sort};
use crate::travel::{self, Mode, TravelRequest};

pub const DEFAULT_RADIUS_KM: f64 = 10.0;
pub const MAX_RADIUS_KM: f64 = 250.0;
const KM_PER_MILE: f64 = 1.609344;
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;
const MAX_TEXT: usize = 200;
pub const MAX_MINUTES: u32 = 240;

/// The conditions on meetings every search and the coverage analysis share, as text: one struct,
/// flattened into each endpoint's parameters (and listed in each one's `params(...)`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// Fellowship codes, comma-separated (`aa,na`); see `/v1/fellowships`. Default: every
    /// fellowship.
    #[param(example = "aa,na")]
    pub fellowship: Option<String>,
    /// `open` or `closed`.
    #[param(value_type = Option<AccessFilter>, example = "open")]
    pub access: Option<String>,
    /// Meeting types that must all apply, comma-separated (`format:speaker,accessibility:wheelchair`);
    /// see `/v1/types`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub types: Option<String>,
    /// `in_person`, `online`, `hybrid`, comma-separated. Hybrid meetings count as in person and as
    /// online. Default: in-person and hybrid meetings. Searches return online-only meetings only
    /// when asked for, and never limit them by distance; coverage counts rooms only, so there
    /// `online` means hybrid.
    #[param(example = "in_person")]
    pub attendance: Option<String>,
    /// Weekdays (`sun`..`sat`), comma-separated, in each meeting's own time zone.
    #[param(example = "mon,tue")]
    pub day: Option<String>,
    /// Earliest local start time, `HH:MM`, inclusive.
    #[param(example = "18:00")]
    pub start_after: Option<String>,
    /// Latest local start time, `HH:MM`, inclusive. Earlier than `start_after` wraps past midnight.
    #[param(example = "21:00")]
    pub start_before: Option<String>,
}

/// Filters, place, order and paging common to every search endpoint.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Latitude of the search point (WGS84 degrees); needs `lon`.
    #[param(value_type = Option<f64>, minimum = -90, maximum = 90, example = 53.0462)]
    lat: Option<String>,
    /// Longitude of the search point (WGS84 degrees); needs `lat`.
    #[param(value_type = Option<f64>, minimum = -180, maximum = 180, example = -2.993)]
    lon: Option<String>,
    /// Where to search around, instead of `lat` and `lon`: a full postcode (any spacing or case),
    /// a postcode sector (`LL11 1`) or district (`LL11`), a place name (`Wrexham`; `Newport, Isle
    /// of Wight` to pick one of several) or `lat,lon`. The response's `resolved` says what it
    /// matched; unknown input is a 400 with suggestions.
    #[param(example = "LL11 1AA")]
    near: Option<String>,
    /// Search radius in km around the point, up to 250 (default 10). With `near`, never less than
    /// the resolved location's `precision_km`.
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 250)]
    radius_km: Option<String>,
    /// Search radius in miles, instead of `radius_km`, up to 155 (250 km).
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 155)]
    radius_mi: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    filter: FilterParams,
    /// Spoken languages (ISO 639-1, e.g. `cy`), comma-separated; any may match.
    #[param(example = "cy")]
    language: Option<String>,
    /// Words to find in the meeting's name, group, venue or town (case and accents ignored), at
    /// most 200 characters.
    #[param(max_length = 200)]
    q: Option<String>,
    /// `distance` (needs a point) or `time`. Meetings are sorted by distance when there is a
    /// point, sessions always by start unless `distance` is asked for.
    #[param(value_type = Option<SortOrder>)]
    sort: Option<String>,
    /// `walk`, `cycle`, `drive` or `transit`: adds `travel` (minutes and distance) to each result
    /// with a location; needs a point.
    #[param(value_type = Option<crate::travel::Mode>, example = "walk")]
    mode: Option<String>,
    /// Only meetings reachable within this many minutes by `mode`, 1 to 240; needs `mode`. Sets
    /// the search radius (or narrows `radius_km`) to what can be covered in that time.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 240, example = 20)]
    max_minutes: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next` value of the previous page.
    cursor: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    rest: HashMap<String, String>,
}

/// `access` as a filter takes (a meeting's own access may also be `unknown`).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // Only the OpenAPI document reads it: the values a parameter takes.
pub enum AccessFilter {
    Open,
    Closed,
}

/// `sort`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub enum SortOrder {
    Distance,
    Time,
}

/// A string parameter's schema in the OpenAPI document: one of `values`.
fn one_of(values: &[&str]) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

/// `format` on `/v1/meetings`.
pub fn meeting_formats() -> utoipa::openapi::Object {
    one_of(&["json", "geojson", "csv", "ics"])
}

/// `format` on `/v1/occurrences`.
pub fn occurrence_formats() -> utoipa::openapi::Object {
    one_of(&["json", "geojson", "csv"])
}

/// `format` on the coverage endpoints (`html` on `/v1/coverage` only).
pub fn coverage_formats() -> utoipa::openapi::Object {
    one_of(&["json", "geojson", "csv", "html"])
}

/// `level` on the coverage endpoints.
pub fn coverage_levels() -> utoipa::openapi::Object {
    one_of(&["lad", "utla", "nation"])
}

/// `points` on the coverage endpoints.
pub fn coverage_points() -> utoipa::openapi::Object {
    one_of(&["small_areas", "sectors", "places"])
}

/// A checked search: what to find, and which page.
#[derive(Debug)]
pub struct SearchRequest {
    pub query: Query,
    pub limit: usize,
    pub cursor: Option<Cursor>,
    /// Identifies the search (all parameters but paging), so a cursor is only used with its own.
    pub fingerprint: u64,
    /// What `near` resolved to.
    pub resolved: Option<Resolved>,
    /// Travel times wanted.
    pub travel: Option<TravelRequest>,
}

/// Splits a query string into parameters, joining repeats with commas.
fn parameters(query: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| ApiError::param("query", format!("is not a valid query string: {e}")))?;
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in pairs {
        let value = value.trim().to_string();
        if value.is_empty() {
            continue;
        }
        map.entry(key)
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    Ok(map)
}

/// The search a cursor belongs to, hashed stably so a cursor survives a restart, a new build or a
/// request landing on another replica.
fn fingerprint(params: &BTreeMap<String, String>) -> u64 {
    params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "cursor" | "limit"))
        .fold(Fnv1a::new(), |hash, (k, v)| hash.field(k).field(v))
        .finish()
}

/// Parses a query string into `T` (whose fields are all optional text) plus the parameters `T`
/// does not know, for the caller to claim or reject.
fn deserialize<T: DeserializeOwned>(params: &BTreeMap<String, String>) -> T {
    let value = serde_json::Value::Object(
        params
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    );
    serde_json::from_value(value).expect("string fields and a catch-all map accept any strings")
}

/// Values of a comma list, trimmed, without empties.
fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// One parameter read by `parse`; one that does not read is reported under `name` with
/// `reason(text)`. Every single-valued parameter is read through here.
fn read<T>(
    errors: &mut Vec<InvalidParam>,
    name: &str,
    text: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
    reason: impl FnOnce(&str) -> String,
) -> Option<T> {
    let text = text?;
    let value = parse(text);
    if value.is_none() {
        errors.push(InvalidParam::new(name, reason(text)));
    }
    value
}

fn number(errors: &mut Vec<InvalidParam>, name: &str, text: &Option<String>) -> Option<f64> {
    read(
        errors,
        name,
        text.as_deref(),
        |t| t.parse::<f64>().ok().filter(|n| n.is_finite()),
        |t| format!("must be a number, not `{t}`"),
    )
}

/// A whole number from 1 to `max`, reported under `name` when it is not one.
pub fn whole(errors: &mut Vec<InvalidParam>, name: &str, text: Option<&str>, max: u32) -> Option<u32> {
    read(
        errors,
        name,
        text,
        |t| t.trim().parse::<u32>().ok().filter(|n| (1..=max).contains(n)),
        |_| format!("must be a whole number from 1 to {max}"),
    )
}

/// One keyword read by `parse`, reported under `name` as "must be {expected}, not `text`".
pub fn keyword<T>(
    errors: &mut Vec<InvalidParam>,
    name: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Option<T> {
    read(errors, name, text, parse, |t| {
        format!("must be {expected}, not `{t}`")
    })
}

/// `mode`: how someone travels, for travel times and time thresholds.
pub fn travel_mode(errors: &mut Vec<InvalidParam>, text: Option<&str>) -> Option<Mode> {
    keyword(errors, "mode", text, Mode::parse, "walk, cycle, drive or transit")
}

/// Parses every value of a comma list with `parse`, reporting the ones it refuses.
fn each<T>(
    errors: &mut Vec<InvalidParam>,
    name: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Vec<T> {
    let Some(text) = text else { return Vec::new() };
    let mut out = Vec::new();
    for item in list(text) {
        match parse(item) {
            Some(v) => out.push(v),
            None => errors.push(InvalidParam::new(
                name,
                format!("has unknown value `{item}` ({expected})"),
            )),
        }
    }
    out
}

fn time(errors: &mut Vec<InvalidParam>, name: &str, text: Option<&str>) -> Option<LocalTime> {
    keyword(errors, name, text, LocalTime::parse, "a local time HH:MM")
}

/// The conditions on meetings, typed: what [`FilterParams::read`] makes of the text.
#[derive(Debug, Default, Clone)]
pub struct Conditions {
    /// In the order given (repeats kept).
    pub fellowships: Vec<Fellowship>,
    pub access: Option<Access>,
    pub types: Vec<MeetingType>,
    pub attendance: Vec<Attendance>,
    pub days: Vec<Day>,
    pub start_after: Option<LocalTime>,
    pub start_before: Option<LocalTime>,
    pub languages: Vec<MeetingType>,
    pub q: String,
}

impl Conditions {
    /// The search filter these conditions make.
    pub fn filter(&self) -> Filter {
        let mut filter = Filter::default()
            .fellowships(self.fellowships.iter().copied())
            .attendance(self.attendance.iter().copied())
            .days(self.days.iter().copied())
            .start_between(self.start_after, self.start_before)
            .types(self.types.iter().copied())
            .languages(self.languages.iter().copied())
            .text(&self.q);
        if let Some(access) = self.access {
            filter = filter.access(access);
        }
        filter
    }
}

impl FilterParams {
    /// Checks the conditions on meetings, reporting every bad one in `errors`; `language` and `q`
    /// are the search's own.
    pub fn read(
        &self,
        errors: &mut Vec<InvalidParam>,
        language: Option<&str>,
        q: Option<&str>,
    ) -> Conditions {
        let fellowship_codes = FELLOWSHIPS.iter().map(|f| f.id).collect::<Vec<_>>().join(", ");
        let fellowships = each(
            errors,
            "fellowship",
            self.fellowship.as_deref(),
            Fellowship::parse,
            &format!("known: {fellowship_codes}"),
        );
        let access = keyword(
            errors,
            "access",
            self.access.as_deref(),
            Access::parse,
            "`open` or `closed`",
        );
        let types = each(
            errors,
            "type",
            self.types.as_deref(),
            MeetingType::parse,
            "see /v1/types",
        );
        let attendance = each(
            errors,
            "attendance",
            self.attendance.as_deref(),
            Attendance::parse,
            "in_person, online or hybrid",
        );
        let days = each(
            errors,
            "day",
            self.day.as_deref(),
            Day::parse,
            "sun, mon, tue, wed, thu, fri or sat",
        );
        let start_after = time(errors, "start_after", self.start_after.as_deref());
        let start_before = time(errors, "start_before", self.start_before.as_deref());
        let languages = each(
            errors,
            "language",
            language,
            MeetingType::language,
            "ISO 639-1 codes listed under language: in /v1/types",
        );
        if q.is_some_and(|q| q.chars().count() > MAX_TEXT) {
            errors.push(InvalidParam::new(
                "q",
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        Conditions {
            fellowships,
            access,
            types,
            attendance,
            days,
            start_after,
            start_before,
            languages,
            q: q.unwrap_or("").to_string(),
        }
    }
}

/// Reads a query string into the shared [`FilterParams`] and the endpoint's own `T`, for an
/// endpoint that shares the search's filters but not its place or paging: repeats joined and
/// empties dropped as for searches, and parameters neither knows reported in `errors`.
pub fn parse_filtered<T: DeserializeOwned>(
    query: &str,
    errors: &mut Vec<InvalidParam>,
) -> Result<(FilterParams, T), ApiError> {
    #[derive(Deserialize)]
    struct Filtered {
        #[serde(flatten)]
        filter: FilterParams,
        #[serde(flatten)]
        rest: HashMap<String, String>,
    }
    let Filtered { filter, rest } = deserialize(&parameters(query)?);
    Ok((filter, claim(&rest.into_iter().collect(), errors)))
}

/// Reads a query string into an endpoint's own `T` alone (no search filters), reporting the
/// parameters `T` does not know in `errors`.
pub fn parse_own<T: DeserializeOwned>(query: &str, errors: &mut Vec<InvalidParam>) -> Result<T, ApiError> {
    Ok(claim(&parameters(query)?, errors))
}

/// `params` read into `T`, reporting the ones `T` does not know in `errors`.
fn claim<T: DeserializeOwned>(params: &BTreeMap<String, String>, errors: &mut Vec<InvalidParam>) -> T {
    let extra: ExtraParams<T> = deserialize(params);
    let mut unknown: Vec<_> = extra.unknown.into_keys().collect();
    unknown.sort();
    errors.extend(
        unknown
            .into_iter()
            .map(|name| InvalidParam::new(name, "is not a parameter of this endpoint")),
    );
    extra.known
}

/// Reads a query string into the common [`SearchParams`] and the endpoint-specific `T`, with the
/// search's fingerprint. Parameters neither claims are reported in `errors`.
pub fn parse<T: DeserializeOwned>(
    query: &str,
    errors: &mut Vec<InvalidParam>,
) -> Result<(SearchParams, T, u64), ApiError> {
    let params = parameters(query)?;
    let search: SearchParams = deserialize(&params);
    let leftover: BTreeMap<String, String> = search.rest.clone().into_iter().collect();
    let extra = claim(&leftover, errors);
    Ok((search, extra, fingerprint(&params)))
}

/// [`parse`] for feeds that other programs read and decorate with parameters of their own (TSML
/// UI appends `?<timestamp>` to a `.json` URL; Meeting Guide clients add their own keys):
/// parameters neither `SearchParams` nor `T` knows are ignored instead of refused.
pub fn parse_lenient<T: DeserializeOwned>(query: &str) -> Result<(SearchParams, T, u64), ApiError> {
    let mut unknown = Vec::new();
    parse(query, &mut unknown)
}

#[derive(Deserialize)]
struct ExtraParams<T> {
    #[serde(flatten)]
    known: T,
    #[serde(flatten)]
    unknown: HashMap<String, String>,
}

/// No endpoint-specific parameters.
#[derive(Debug, Default, Deserialize)]
pub struct NoExtra {}

impl SearchParams {
    /// Sorts by time unless `sort` says otherwise, even around a point: what a list of sessions
    /// (`/v1/occurrences`) means by default, where a list of meetings puts the nearest first.
    pub fn by_time_unless_asked(mut self) -> SearchParams {
        self.sort.get_or_insert_with(|| "time".into());
        self
    }

    /// Lists every kind of attendance unless `attendance` says otherwise: what a whole feed of
    /// the directory means, where a search for somewhere to go leaves online-only meetings out.
    pub fn every_attendance_unless_asked(mut self) -> SearchParams {
        self.filter
            .attendance
            .get_or_insert_with(|| "in_person,online,hybrid".into());
        self
    }

    /// Sets `limit` when the request gave none (a calendar is not paged: it lists up to the most).
    pub fn default_limit(&mut self, limit: usize) {
        self.limit.get_or_insert_with(|| limit.to_string());
    }

    /// The `near` text, for the caller to resolve before [`SearchParams::validate`].
    pub fn near(&self) -> Option<&str> {
        self.near.as_deref()
    }

    /// Resolves `near` and checks every parameter: the search, or one 400 naming every problem,
    /// including those the caller found already in `errors`.
    pub async fn check(
        self,
        mut errors: Vec<InvalidParam>,
        fingerprint: u64,
        geo: &Geo,
    ) -> Result<SearchRequest, ApiError> {
        let place = resolve_near(geo, self.near(), &mut errors).await;
        match self.validate(&mut errors, fingerprint, place) {
            Some(request) if errors.is_empty() => Ok(request),
            _ => Err(ApiError::InvalidParams(errors)),
        }
    }

    /// Checks every parameter, reporting all problems together. `place` is what `near` resolved
    /// to (the caller has reported it when it did not resolve).
    fn validate(
        self,
        errors: &mut Vec<InvalidParam>,
        fingerprint: u64,
        place: Option<Resolved>,
    ) -> Option<SearchRequest> {
        let start = errors.len();
        let lat = number(errors, "lat", &self.lat);
        let lon = number(errors, "lon", &self.lon);
        if lat.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
            errors.push(InvalidParam::new("lat", "must be between -90 and 90"));
        }
        if lon.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
            errors.push(InvalidParam::new("lon", "must be between -180 and 180"));
        }
        match (&self.lat, &self.lon) {
            (Some(_), None) => errors.push(InvalidParam::new("lon", "is required with lat")),
            (None, Some(_)) => errors.push(InvalidParam::new("lat", "is required with lon")),
            _ => {}
        }
        if self.near.is_some() && (self.lat.is_some() || self.lon.is_some()) {
            errors.push(InvalidParam::new(
                "near",
                "cannot be combined with lat and lon; give one or the other",
            ));
        }
        let has_point = self.lat.is_some() || self.lon.is_some() || self.near.is_some();
        let radius_km = number(errors, "radius_km", &self.radius_km);
        let radius_mi = number(errors, "radius_mi", &self.radius_mi);
        let radius = match (radius_km, radius_mi) {
            (Some(_), Some(_)) => {
                errors.push(InvalidParam::new(
                    "radius_mi",
                    "cannot be combined with radius_km",
                ));
                None
            }
            (Some(km), None) => {
                if !(km > 0.0 && km <= MAX_RADIUS_KM) {
                    errors.push(InvalidParam::new("radius_km", "must be between 0 and 250"));
                }
                Some(km)
            }
            (None, Some(mi)) => {
                if !(mi > 0.0 && mi * KM_PER_MILE <= MAX_RADIUS_KM) {
                    errors.push(InvalidParam::new(
                        "radius_mi",
                        "must be between 0 and 155 (250 km)",
                    ));
                }
                Some(mi * KM_PER_MILE)
            }
            (None, None) => None,
        };
        if !has_point {
            for (name, given) in [("radius_km", &self.radius_km), ("radius_mi", &self.radius_mi)] {
                if given.is_some() {
                    errors.push(InvalidParam::new(name, "needs a point (near, or lat and lon)"));
                }
            }
        }

        let filter = self
            .filter
            .read(errors, self.language.as_deref(), self.q.as_deref())
            .filter();
        let sort = match self.sort.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None if has_point => Sort::Distance,
            None => Sort::Time,
            Some("distance") => {
                if !has_point {
                    errors.push(InvalidParam::new(
                        "sort",
                        "`distance` needs a point (near, or lat and lon)",
                    ));
                }
                Sort::Distance
            }
            Some("time") => Sort::Time,
            Some(other) => {
                errors.push(InvalidParam::new(
                    "sort",
                    format!("must be `distance` or `time`, not `{other}`"),
                ));
                Sort::Time
            }
        };
        let mode = travel_mode(errors, self.mode.as_deref());
        if mode.is_some() && !has_point {
            errors.push(InvalidParam::new("mode", "needs a point (near, or lat and lon)"));
        }
        let max_minutes = whole(errors, "max_minutes", self.max_minutes.as_deref(), MAX_MINUTES);
        if max_minutes.is_some() && self.mode.is_none() {
            errors.push(InvalidParam::new("max_minutes", "needs a travel mode (mode)"));
        }
        let limit = whole(errors, "limit", self.limit.as_deref(), MAX_LIMIT as u32)
            .map_or(DEFAULT_LIMIT, |n| n as usize);
        let cursor = self.cursor.as_deref().and_then(|c| match Cursor::decode(c) {
            Some(cursor) if cursor.fingerprint == fingerprint => Some(cursor),
            Some(_) => {
                errors.push(InvalidParam::new(
                    "cursor",
                    "belongs to a different search; repeat the same parameters or start again",
                ));
                None
            }
            None => {
                errors.push(InvalidParam::new("cursor", "is not a cursor issued by this API"));
                None
            }
        });
        if errors.len() > start {
            return None;
        }

        let travel = mode.map(|mode| TravelRequest { mode, max_minutes });
        // A postcode district or a town is an area, not a point: search at least as far as the
        // area reaches. A time limit instead sets the radius to how far the estimate says that
        // time gets you (travel is measured from the point).
        let precision = place.as_ref().map_or(0.0, |p| p.precision_km);
        let reach = travel.and_then(|t| Some(travel::reach_km(t.mode, t.max_minutes? as f64)));
        let radius_km = match reach {
            Some(reach) => radius.map_or(reach, |r| r.min(reach)),
            None => radius.unwrap_or(DEFAULT_RADIUS_KM).max(precision),
        }
        .min(MAX_RADIUS_KM);
        let point = lat.zip(lon).or(place.as_ref().map(|p| (p.lat, p.lon)));
        let near = point.map(|(lat, lon)| Near { lat, lon, radius_km });
        Some(SearchRequest {
            query: Query { filter, near, sort },
            limit,
            cursor,
            fingerprint,
            resolved: place,
            travel,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::http::occurrences::WindowParams;

    /// Every parameter a search endpoint knows, and a few it does not.
    const NAMES: &[&str] = &[
        "fellowship",
        "access",
        "type",
        "attendance",
        "day",
        "start_after",
        "start_before",
        "lat",
        "lon",
        "near",
        "radius_km",
        "radius_mi",
        "language",
        "q",
        "sort",
        "mode",
        "max_minutes",
        "limit",
        "cursor",
        "from",
        "days",
        "format",
        "radius",
        "",
    ];

    /// Values near the edges of what each parameter takes, and anything at all.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "-?[0-9]{0,12}(\\.[0-9]{0,6})?(e[+-]?[0-9]{1,3})?",
            "[a-z_:,]{0,20}",
            "[0-9]{1,2}:[0-9]{1,2}",
            Just("NaN".into()),
            Just("inf".into()),
            Just("18446744073709551616".into()),
            ".{0,40}",
        ]
    }

    /// A reported problem names the parameter and says what is wrong.
    fn clear(errors: &[InvalidParam]) -> bool {
        !errors.is_empty() && errors.iter().all(|e| !e.reason.trim().is_empty())
    }

    proptest! {
        /// Any query string reads into parameters or is one clear 400; never a panic.
        #[test]
        fn any_query_string_reads_or_is_refused(query in ".{0,200}") {
            let mut errors = Vec::new();
            match parse::<WindowParams>(&query, &mut errors) {
                Ok(_) => {}
                Err(ApiError::InvalidParams(params)) => prop_assert!(clear(&params)),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }

        /// Any combination of parameters and values is a checked search or a 400 naming every bad
        /// one, with a reason; a search that passes has its numbers in range.
        #[test]
        fn any_parameters_check_or_are_refused(
            pairs in proptest::collection::vec((proptest::sample::select(NAMES), value()), 0..8)
        ) {
            let query = serde_urlencoded::to_string(&pairs).unwrap();
            let mut errors = Vec::new();
            let Ok((search, _window, fingerprint)) = parse::<WindowParams>(&query, &mut errors) else {
                return Ok(());
            };
            let before = errors.len();
            match search.validate(&mut errors, fingerprint, None) {
                Some(request) => {
                    prop_assert_eq!(errors.len(), before);
                    prop_assert!((1..=MAX_LIMIT).contains(&request.limit));
                    if let Some(near) = request.query.near {
                        prop_assert!(near.radius_km > 0.0 && near.radius_km <= MAX_RADIUS_KM);
                        prop_assert!((-90.0..=90.0).contains(&near.lat) && (-180.0..=180.0).contains(&near.lon));
                    }
                }
                None => prop_assert!(clear(&errors[before..])),
            }
        }

        /// The filters alone (what the hand-out, the calendar and coverage share) read the same way.
        #[test]
        fn any_filters_read_or_are_refused(
            pairs in proptest::collection::vec((proptest::sample::select(NAMES), value()), 0..8)
        ) {
            let query = serde_urlencoded::to_string(&pairs).unwrap();
            let mut errors = Vec::new();
            if let Ok((filter, NoExtra {})) = parse_filtered::<NoExtra>(&query, &mut errors) {
                let before = errors.len();
                filter.read(&mut errors, None, None);
                prop_assert!(errors.len() == before || clear(&errors[before..]));
            }
        }

        /// `whole` takes exactly the whole numbers from 1 to its maximum.
        #[test]
        fn whole_numbers_in_range_only(text in value(), max in 1u32..1000) {
            let mut errors = Vec::new();
            match whole(&mut errors, "n", Some(&text), max) {
                Some(n) => prop_assert!((1..=max).contains(&n) && errors.is_empty()),
                None => prop_assert!(clear(&errors)),
            }
        }
    }
}
