//! `/v1/coverage`: how much of the population is within reach of a meeting, per area and
//! fellowship, and where the gaps are, as JSON, GeoJSON, CSV or a self-contained HTML report
//! ([`report`]). See [`crate::coverage`] for the method.
//!
//! The command line's `meetingmap coverage` reads the same parameters through
//! [`CoverageQuery::parse`] and writes the same answers through [`render`], so a report made
//! offline is the report the API serves.

mod report;

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::{IntoParams, ToSchema};

use super::export::{self, Format};
use super::params::{self, FilterText};
use super::problem::{ApiError, InvalidParam, Problem};
use super::search_response::cached;
use super::AppState;
use crate::coverage::boundaries::{self, Boundaries};
use crate::coverage::{
    self, Analysis, AreaLookup, AreaSummary, Demand, DemandPoint, Level, PointReport, Threshold,
};
use crate::domain::Fellowship;
use crate::search::Snapshot;
use crate::travel::Mode;

pub use report::report;

/// Largest `max_km`, and largest `max_minutes`.
const MAX_KM: f64 = 100.0;
const MAX_MINUTES: f64 = 240.0;
const DEFAULT_GAPS: usize = 100;
const MAX_GAPS: usize = 10_000;
/// Largest CSV of demand points accepted in a request body, and most points in it: the analysis
/// takes about 60 ms per 1,000 points and fellowship.
pub const MAX_POINTS_BYTES: usize = 2 << 20;
pub const MAX_POINTS: usize = 20_000;
/// Answers kept for repeated questions (per server, for the current snapshot).
const CACHED_ANSWERS: usize = 16;
/// How long a question waits for an analysis to finish when all the cores are busy with others:
/// about two analyses of all GB.
const ANALYSIS_WAIT: Duration = Duration::from_secs(2);
/// What a client turned away is told to wait before asking again.
const RETRY_AFTER_SECS: u32 = 2;

fn lookup() -> &'static AreaLookup {
    static LOOKUP: OnceLock<AreaLookup> = OnceLock::new();
    LOOKUP.get_or_init(AreaLookup::bundled)
}

/// Parameters of both coverage endpoints.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// Fellowship codes, comma-separated (`aa,na`); default every fellowship.
    #[param(example = "aa,na")]
    fellowship: Option<String>,
    /// `open` or `closed`: count only such meetings.
    access: Option<String>,
    /// `in_person`, `hybrid` (or `online`, which here means hybrid: online-only meetings are not
    /// anywhere), comma-separated; default in-person and hybrid meetings.
    attendance: Option<String>,
    /// Count only meetings on these weekdays (`sun`..`sat`), comma-separated, in each meeting's
    /// own time zone.
    #[param(example = "sat,sun")]
    day: Option<String>,
    /// Count only meetings starting at or after this local time, `HH:MM`.
    #[param(example = "17:00")]
    start_after: Option<String>,
    /// Count only meetings starting at or before this local time, `HH:MM`; earlier than
    /// `start_after` wraps past midnight.
    start_before: Option<String>,
    /// Meeting types that must all apply, comma-separated (`format:speaker`); see `/v1/types`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    types: Option<String>,
    /// Within reach means within this great-circle distance (km, up to 100). Give this or
    /// `max_minutes`.
    #[param(value_type = Option<f64>, example = 5)]
    max_km: Option<String>,
    /// Within reach means within this many estimated minutes (up to 240) by `mode`.
    #[param(value_type = Option<f64>)]
    max_minutes: Option<String>,
    /// `walk`, `cycle`, `drive` or `transit`; needed with `max_minutes`.
    mode: Option<String>,
    /// Areas to add up by: `lad` (local authority district, default), `utla` (upper-tier
    /// authority; Welsh health board in Wales) or `nation`.
    level: Option<String>,
    /// Only this area's code (at `level`).
    area: Option<String>,
    /// Demand points: `sectors` (GB postcode sectors weighted by live postcodes, default) or
    /// `places` (GB places weighted by population). To use your own, POST them as CSV instead.
    points: Option<String>,
    /// `json` (default), `geojson` (`/v1/coverage`: one feature per area and fellowship, outlined
    /// when the server has boundaries; `/v1/coverage/gaps`: one point per gap) or `csv`; and on
    /// `/v1/coverage`, `html` (the report). Overrides `Accept`; anything else is a 406.
    format: Option<String>,
    /// `/v1/coverage/gaps` only: at most this many points (default 100, up to 10,000).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

/// A checked coverage question.
#[derive(Debug)]
pub struct CoverageQuery {
    pub analysis: Analysis,
    pub level: Level,
    pub area: Option<String>,
    pub limit: usize,
    pub demand: Demand,
    /// The parameters given (not `format`), for the report to state and to key answers by.
    pub given: Vec<(String, String)>,
}

fn number(errors: &mut Vec<InvalidParam>, name: &str, text: &Option<String>, max: f64) -> Option<f64> {
    let text = text.as_deref()?;
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v <= max => Some(v),
        _ => {
            errors.push(InvalidParam::new(
                name,
                format!("must be a number above 0 and at most {max}"),
            ));
            None
        }
    }
}

impl CoverageQuery {
    /// Reads a query string (without `format`), as the endpoints do; `supplied` are points sent
    /// instead of the bundled ones.
    pub fn parse(query: &str, supplied: Option<Vec<DemandPoint>>) -> Result<CoverageQuery, ApiError> {
        let mut errors = Vec::new();
        let params: CoverageParams = params::parse_only(query, &mut errors)?;
        if params.format.is_some() {
            errors.push(InvalidParam::new("format", "is chosen separately here"));
        }
        params.check(errors, supplied)
    }
}

impl CoverageParams {
    fn check(
        self,
        mut errors: Vec<InvalidParam>,
        supplied: Option<Vec<DemandPoint>>,
    ) -> Result<CoverageQuery, ApiError> {
        let mut given: Vec<(String, String)> = match serde_json::to_value(&self) {
            Ok(serde_json::Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
                .filter(|(k, _)| k != "format")
                .collect(),
            _ => Vec::new(),
        };
        given.sort();
        let (filter, named) = params::filter(
            &mut errors,
            &FilterText {
                fellowship: self.fellowship.as_deref(),
                access: self.access.as_deref(),
                types: self.types.as_deref(),
                attendance: self.attendance.as_deref(),
                day: self.day.as_deref(),
                start_after: self.start_after.as_deref(),
                start_before: self.start_before.as_deref(),
                ..FilterText::default()
            },
        );
        let mut fellowships: Vec<Fellowship> = Vec::new();
        for f in named {
            if !fellowships.contains(&f) {
                fellowships.push(f);
            }
        }
        if self.fellowship.is_none() {
            fellowships.extend(Fellowship::all());
        } else if fellowships.is_empty() && !errors.iter().any(|e| e.name == "fellowship") {
            errors.push(InvalidParam::new("fellowship", "names no fellowship"));
        }
        let km = number(&mut errors, "max_km", &self.max_km, MAX_KM);
        let minutes = number(&mut errors, "max_minutes", &self.max_minutes, MAX_MINUTES);
        let mode = match self.mode.as_deref() {
            None => None,
            Some(text) => {
                let mode = Mode::parse(text);
                if mode.is_none() {
                    errors.push(InvalidParam::new("mode", "must be walk, cycle, drive or transit"));
                }
                mode
            }
        };
        let threshold = match (&self.max_km, &self.max_minutes) {
            (Some(_), Some(_)) => {
                errors.push(InvalidParam::new("max_minutes", "cannot be combined with max_km"));
                None
            }
            (None, None) => {
                errors.push(InvalidParam::new(
                    "max_km",
                    "is required (or max_minutes with mode)",
                ));
                None
            }
            (Some(_), None) => km.map(Threshold::Km),
            (None, Some(_)) => {
                if self.mode.is_none() {
                    errors.push(InvalidParam::new("mode", "is required with max_minutes"));
                }
                mode.zip(minutes).map(|(m, t)| Threshold::Minutes(m, t))
            }
        };
        let level = match self.level.as_deref() {
            None => Level::Lad,
            Some(text) => Level::parse(text).unwrap_or_else(|| {
                errors.push(InvalidParam::new("level", "must be lad, utla or nation"));
                Level::Lad
            }),
        };
        let area = self.area.map(|a| a.trim().to_string());
        if let Some(code) = &area {
            let known = Demand::Sectors
                .points()
                .iter()
                .any(|p| lookup().area(p, level).0 == *code);
            if !known {
                errors.push(InvalidParam::new(
                    "area",
                    format!("is not a known area code at level {level:?}"),
                ));
            }
        }
        let demand = match (self.points.as_deref().map(str::trim), supplied) {
            (None, Some(points)) => Demand::Supplied(points),
            (Some(_), Some(_)) => {
                errors.push(InvalidParam::new(
                    "points",
                    "cannot be combined with points sent in the request body",
                ));
                Demand::Sectors
            }
            (None | Some("sectors"), None) => Demand::Sectors,
            (Some("places"), None) => Demand::Places,
            (Some(_), None) => {
                errors.push(InvalidParam::new("points", "must be sectors or places"));
                Demand::Sectors
            }
        };
        let limit = match self.limit.as_deref() {
            None => DEFAULT_GAPS,
            Some(text) => match text.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_GAPS).contains(&n) => n,
                _ => {
                    errors.push(InvalidParam::new(
                        "limit",
                        format!("must be between 1 and {MAX_GAPS}"),
                    ));
                    DEFAULT_GAPS
                }
            },
        };
        match threshold {
            Some(threshold) if errors.is_empty() => Ok(CoverageQuery {
                analysis: Analysis {
                    filter,
                    fellowships,
                    threshold,
                },
                level,
                area,
                limit,
                demand,
                given,
            }),
            _ => Err(ApiError::InvalidParams(errors)),
        }
    }
}

/// Coverage per area and fellowship.
#[derive(Serialize, ToSchema)]
pub struct CoverageSummary {
    /// The straight-line distance counted as within reach (from `max_km`, or from `max_minutes`
    /// through the travel estimate).
    pub threshold_km: f64,
    #[schema(value_type = Vec<Object>)]
    pub areas: Vec<coverage::AreaSummary>,
}

/// Demand points beyond the threshold.
#[derive(Serialize, ToSchema)]
pub struct CoverageGaps {
    pub threshold_km: f64,
    #[schema(value_type = Vec<Object>)]
    pub gaps: Vec<coverage::PointReport>,
}

/// What a coverage answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Per area and fellowship, as JSON, GeoJSON (area outlines) or CSV.
    Summary(Format),
    /// The HTML report.
    Report,
    /// The points out of reach, as JSON, GeoJSON or CSV.
    Gaps(Format),
}

impl Output {
    /// The command line's `--format`, read as `format=` is on `/v1/coverage` (`html`, the report;
    /// `json`, `geojson` or `csv`, the summary), or with `gaps` as on `/v1/coverage/gaps` (`json`,
    /// `geojson` or `csv`).
    pub fn named(name: &str, gaps: bool) -> Option<Output> {
        if name == "html" {
            return (!gaps).then_some(Output::Report);
        }
        let format = [Format::Json, Format::GeoJson, Format::Csv]
            .into_iter()
            .find(|f| f.name() == name)?;
        Some(if gaps {
            Output::Gaps(format)
        } else {
            Output::Summary(format)
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Output::Report => Format::Html.content_type(),
            Output::Summary(format) | Output::Gaps(format) => format.content_type(),
        }
    }
}

/// Columns of the summary CSV, as JSON fields of [`flat_row`].
const SUMMARY_COLUMNS: &[&str] = &[
    "code",
    "name",
    "fellowship",
    "weight_total",
    "weight_within_reach",
    "share_within_reach",
    "meetings",
    "meetings_per_10k",
    "worst_served",
];

/// Columns of the gaps CSV, as JSON fields.
const GAP_COLUMNS: &[&str] = &[
    "label",
    "lat",
    "lon",
    "weight",
    "fellowship",
    "nearest_km",
    "nearest_minutes",
    "meetings_within",
    "any_open",
    "any_weekend",
    "any_evening",
];

/// Answers `query` against `snapshot`: the analysis, then the output asked for. `boundaries`
/// outline areas on the report's map and in the GeoJSON summary; `produced` is the date the
/// report states.
pub fn render(
    output: Output,
    snapshot: &Snapshot,
    query: &CoverageQuery,
    boundaries: Option<&Boundaries>,
    produced: Timestamp,
) -> String {
    let points = query.demand.points();
    let (area, level) = (query.area.as_deref(), query.level);
    let in_area = |p: &DemandPoint| area.is_none_or(|a| lookup().area(p, level).0 == a);
    // Only the area's points are analysed: one district is a hundredth of GB.
    let result = coverage::analyse_where(snapshot, points, &query.analysis, in_area);
    let threshold_km = (query.analysis.threshold.km() * 1000.0).round() / 1000.0;
    let summarise = || coverage::summarise(snapshot, points, &query.analysis, &result, lookup(), level, area);
    match output {
        Output::Summary(Format::GeoJson) => {
            let shape = |code: &str| boundaries?.shape(lookup(), level, code);
            summary_geojson(threshold_km, &summarise(), shape)
        }
        Output::Summary(Format::Csv) => {
            let rows: Vec<Value> = summarise().iter().map(flat_row).collect();
            export::csv(&json!({ "areas": rows }).to_string(), "areas", SUMMARY_COLUMNS)
        }
        Output::Summary(_) => serde_json::to_string(&CoverageSummary {
            threshold_km,
            areas: summarise(),
        })
        .expect("a summary serialises"),
        Output::Report => report(&report::ReportInput {
            snapshot,
            query,
            coverage: &result,
            areas: &summarise(),
            lookup: lookup(),
            boundaries,
            produced,
        }),
        Output::Gaps(format) => {
            let gaps = coverage::gaps(points, &result, in_area, query.limit);
            let json = serde_json::to_string(&CoverageGaps { threshold_km, gaps }).expect("gaps serialise");
            match format {
                Format::GeoJson => geojson(&json),
                Format::Csv => export::csv(&json, "gaps", GAP_COLUMNS),
                _ => json,
            }
        }
    }
}

/// A summary row with `worst_served` as one line of text, for tables (CSV, GeoJSON properties):
/// `label (weight W, nearest meeting K km[, M min])`, `; ` between points.
fn flat_row(area: &AreaSummary) -> Value {
    let point = |p: &PointReport| {
        let nearest = match (p.nearest_km, p.nearest_minutes) {
            (None, _) => format!("none within {} km", coverage::NEAREST_SEARCH_KM),
            (Some(km), None) => format!("nearest meeting {km} km"),
            (Some(km), Some(minutes)) => format!("nearest meeting {km} km, {minutes} min"),
        };
        format!("{} (weight {}, {nearest})", p.label, p.weight)
    };
    let mut row = serde_json::to_value(area).expect("a summary row serialises");
    row["worst_served"] = Value::String(area.worst_served.iter().map(point).collect::<Vec<_>>().join("; "));
    row
}

/// RFC 7946: the summary as a FeatureCollection with one Feature per area and fellowship, as the
/// JSON and CSV have rows: QGIS reads flat properties as columns, so a layer filtered on
/// `fellowship` is a choropleth at once (per-fellowship properties on one feature per area would
/// need a column per fellowship and statistic). `id` is the area code, the geometry the area's
/// MultiPolygon from `shape` (null when there is none); `threshold_km` stays as a foreign member.
fn summary_geojson<'a>(
    threshold_km: f64,
    areas: &[AreaSummary],
    shape: impl Fn(&str) -> Option<&'a geo::MultiPolygon<f64>>,
) -> String {
    let mut out = format!(r#"{{"type":"FeatureCollection","threshold_km":{threshold_km},"features":["#);
    // Rows are ordered by area: each area's outline is written out once and copied per fellowship.
    let mut geometry: (&str, String) = ("", String::new());
    for (i, area) in areas.iter().enumerate() {
        if i == 0 || geometry.0 != area.code {
            let text = shape(&area.code).map_or_else(|| "null".to_string(), boundaries::geojson_geometry);
            geometry = (&area.code, text);
        }
        let _ = write!(
            out,
            r#"{}{{"type":"Feature","id":{},"geometry":{},"properties":{}}}"#,
            if i == 0 { "" } else { "," },
            Value::String(area.code.clone()),
            geometry.1,
            flat_row(area)
        );
    }
    out.push_str("]}");
    out
}
/// RFC 7946: the gaps as a FeatureCollection of Points, coordinates `[lon, lat]`; `threshold_km`
/// stays as a foreign member.
fn geojson(gaps_json: &str) -> String {
    let mut body: serde_json::Value = serde_json::from_str(gaps_json).expect("gaps JSON parses");
    let features: Vec<serde_json::Value> = body["gaps"]
        .as_array_mut()
        .map(std::mem::take)
        .unwrap_or_default()
        .into_iter()
        .map(|mut properties| {
            let (lon, lat) = (properties["lon"].take(), properties["lat"].take());
            if let Some(map) = properties.as_object_mut() {
                map.remove("lat");
                map.remove("lon");
            }
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": properties,
            })
        })
        .collect();
    serde_json::json!({
        "type": "FeatureCollection",
        "threshold_km": body["threshold_km"],
        "features": features,
    })
    .to_string()
}

/// What coverage answers share in a running server: the outlines for the report's map, recent
/// answers (the analysis of all GB takes most of a second of CPU), and a bound on the analyses
/// running at once.
pub struct CoverageState {
    boundaries: Option<Boundaries>,
    /// (snapshot version, output and parameters, answer), newest last.
    answers: Mutex<VecDeque<(u64, String, Arc<str>)>>,
    /// One permit per analysis that may run at once: more than there are cores only makes each
    /// slower, and would let a burst of questions starve every other endpoint.
    analyses: Arc<Semaphore>,
    /// How long a question waits for a permit before it is turned away.
    wait: Duration,
}

impl Default for CoverageState {
    fn default() -> CoverageState {
        CoverageState::new(None)
    }
}

impl CoverageState {
    /// As many analyses at once as there are cores (actix-web's number of workers), each
    /// question waiting up to [`ANALYSIS_WAIT`] for one.
    pub fn new(boundaries: Option<Boundaries>) -> CoverageState {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CoverageState::with_limit(boundaries, cores, ANALYSIS_WAIT)
    }

    /// At most `analyses` at once, each question waiting up to `wait` for one.
    pub fn with_limit(boundaries: Option<Boundaries>, analyses: usize, wait: Duration) -> CoverageState {
        CoverageState {
            boundaries,
            answers: Mutex::default(),
            analyses: Arc::new(Semaphore::new(analyses)),
            wait,
        }
    }

    /// A permit to analyse, once one is free within the wait. Busy is a 503, not a 429: the
    /// server as a whole is at capacity, whoever asks; the client did not ask too often.
    async fn permit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.analyses.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ApiError::Internal(closed.into())),
            Err(_) => Err(ApiError::Busy {
                detail: "every core is analysing coverage; ask again shortly".into(),
                retry_after_secs: RETRY_AFTER_SECS,
            }),
        }
    }

    /// What an answer is kept under: `None` for answers over points sent by a client, which are
    /// not kept.
    fn key(output: Output, query: &CoverageQuery) -> Option<String> {
        (!matches!(query.demand, Demand::Supplied(_))).then(|| {
            format!(
                "{output:?}?{}",
                serde_urlencoded::to_string(&query.given).unwrap_or_default()
            )
        })
    }

    fn recall(&self, version: u64, key: &str) -> Option<Arc<str>> {
        self.answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(v, k, _)| *v == version && k == key)
            .map(|(_, _, answer)| answer.clone())
    }

    fn keep(&self, version: u64, key: String, answer: Arc<str>) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers.retain(|(v, _, _)| *v == version);
        if answers.len() == CACHED_ANSWERS {
            answers.pop_front();
        }
        answers.push_back((version, key, answer));
    }

    /// [`render`]s `query`, or repeats the answer to the same question about the same snapshot.
    /// A question not answered before waits for a [`permit`](Self::permit) and is analysed on
    /// the blocking pool.
    async fn answer(
        self: &Arc<Self>,
        output: Output,
        snapshot: Arc<Snapshot>,
        query: CoverageQuery,
    ) -> Result<Arc<str>, ApiError> {
        let version = snapshot.version();
        let key = CoverageState::key(output, &query);
        if let Some(answer) = key.as_deref().and_then(|k| self.recall(version, k)) {
            return Ok(answer);
        }
        let permit = self.permit().await?;
        let state = self.clone();
        let answer: Arc<str> = web::block(move || {
            let _analysing = permit;
            render(
                output,
                &snapshot,
                &query,
                state.boundaries.as_ref(),
                Timestamp::now(),
            )
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("coverage worker failed: {e}")))?
        .into();
        if let Some(key) = key {
            self.keep(version, key, answer.clone());
        }
        Ok(answer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum View {
    Summary,
    Gaps,
}

/// Reads demand points sent as `text/csv`, refusing other content (415), more than
/// [`MAX_POINTS_BYTES`] or [`MAX_POINTS`] (413) and bad rows (400 naming the line).
async fn posted_points(req: &HttpRequest, mut body: web::Payload) -> Result<Vec<DemandPoint>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("text/csv") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send demand points as CSV with Content-Type: text/csv, not `{content_type}`"
        )));
    }
    let too_large = || {
        ApiError::TooLarge(format!(
            "the CSV of points is over the limit of {MAX_POINTS_BYTES} bytes"
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_POINTS_BYTES) {
        return Err(too_large());
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::param("body", format!("could not be read: {e}")))?;
        if bytes.len() + chunk.len() > MAX_POINTS_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    let mut points = coverage::read_points(&bytes[..]).map_err(|e| ApiError::param("body", e.to_string()))?;
    if points.is_empty() {
        return Err(ApiError::param("body", "has no points"));
    }
    if points.len() > MAX_POINTS {
        return Err(ApiError::TooLarge(format!(
            "{} points sent; at most {MAX_POINTS} are analysed per request",
            points.len()
        )));
    }
    coverage::place_in_areas(&mut points);
    Ok(points)
}

/// Everything both endpoints do once the points are known.
async fn respond(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    view: View,
    supplied: Option<Vec<DemandPoint>>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = Vec::new();
    let params: CoverageParams = params::parse_only(req.query_string(), &mut errors)?;
    let offered: &[Format] = match view {
        View::Summary => &[Format::Json, Format::GeoJson, Format::Csv, Format::Html],
        View::Gaps => &[Format::Json, Format::GeoJson, Format::Csv],
    };
    let format = export::negotiate(req, params.format.as_deref(), offered)?;
    let output = match (view, format) {
        (View::Summary, Format::Html) => Output::Report,
        (View::Summary, format) => Output::Summary(format),
        (View::Gaps, format) => Output::Gaps(format),
    };
    let posted = supplied.is_some();
    let query = params.check(errors, supplied)?;
    let snapshot = state.directory.snapshot();
    let body = state.coverage.answer(output, snapshot.clone(), query).await?;
    let mut response = if posted {
        HttpResponse::Ok()
            .content_type(output.content_type())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body.to_string())
    } else {
        cached(req, &snapshot, "", output.content_type(), || body.to_string())
    };
    if output == Output::Report {
        // The report needs nothing from anywhere: forbid it all.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(crate::formats::html::SELF_CONTAINED_CSP),
        );
    }
    Ok(response)
}

/// Coverage per area and fellowship.
///
/// For each demand point (GB postcode sectors weighted by live postcodes; or GB places weighted by
/// population, `points=places`) and fellowship: is a weekly in-person or hybrid meeting matching
/// the filters within the threshold? Added up per area: weight within reach and its share,
/// meetings in the area per 10,000 weight, and the heaviest points out of reach. `format=csv`
/// (`Accept: text/csv`) has a row per area and fellowship, the worst-served points as text;
/// `format=geojson` (`Accept: application/geo+json`) the same rows as Features with the area's
/// outline as a MultiPolygon (upper-tier authorities and nations the union of their districts;
/// null when the server has no `--boundaries`). `format=html` (or `Accept: text/html`) answers
/// with a self-contained report: a map of meetings and gaps over area outlines (when the server
/// has `--boundaries`), a table per area, and the method. Questions not answered recently wait
/// for a free core up to 2 s, else are a 503 with `Retry-After`.
#[utoipa::path(
    tag = "coverage",
    params(CoverageParams),
    responses(
        (status = 200, description = "Coverage per area and fellowship", headers(
            ("ETag" = String, description = "Changes with the data, the request and the format"),
        ), content(
            (CoverageSummary = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
            (String = "text/html"),
        )),
        (status = 304, description = "Not modified since the ETag given in If-None-Match"),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Format not available", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every core is analysing coverage: ask again after Retry-After seconds", headers(
            ("Retry-After" = u32, description = "Seconds to wait"),
        ), body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/coverage")]
pub async fn coverage_summary(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    respond(&req, &state, View::Summary, None).await
}

/// Coverage per area and fellowship, for your own demand points.
///
/// As `GET /v1/coverage`, over the points in the request body: CSV (`Content-Type: text/csv`)
/// with a header naming `lat`, `lon` and `weight` columns, optionally `label`, `lad_code`,
/// `lad_name` and `country` (points without `lad_code` take the local authority of the nearest
/// postcode sector within 20 km). At most 2 MiB and 20,000 points.
#[utoipa::path(
    tag = "coverage",
    params(CoverageParams),
    request_body(content = String, content_type = "text/csv", description = "Demand points",
        example = "label,lat,lon,weight\nClinic A,53.0462,-2.9930,120\n"),
    responses(
        (status = 200, description = "Coverage per area and fellowship", content(
            (CoverageSummary = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
            (String = "text/html"),
        )),
        (status = 400, description = "Bad parameters, or a bad row (named by line)", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Format not available", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many points", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every core is analysing coverage: ask again after Retry-After seconds", headers(
            ("Retry-After" = u32, description = "Seconds to wait"),
        ), body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/coverage")]
pub async fn coverage_summary_for_points(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let points = posted_points(&req, body).await?;
    respond(&req, &state, View::Summary, Some(points)).await
}

/// Demand points out of reach.
///
/// Demand points with no matching in-person or hybrid meeting within the threshold, heaviest
/// first (one row per point and fellowship). JSON, GeoJSON (a FeatureCollection of points,
/// `[lon, lat]`) or CSV, by `format` or `Accept`.
#[utoipa::path(
    tag = "coverage",
    params(CoverageParams),
    responses(
        (status = 200, description = "Points out of reach, heaviest first", headers(
            ("ETag" = String, description = "Changes with the data, the request and the format"),
        ), content(
            (CoverageGaps = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
        )),
        (status = 304, description = "Not modified since the ETag given in If-None-Match"),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Format not available", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every core is analysing coverage: ask again after Retry-After seconds", headers(
            ("Retry-After" = u32, description = "Seconds to wait"),
        ), body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/coverage/gaps")]
pub async fn coverage_gaps(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    respond(&req, &state, View::Gaps, None).await
}

/// Demand points out of reach, among your own.
///
/// As `GET /v1/coverage/gaps`, over the points in the request body (CSV, as for
/// `POST /v1/coverage`).
#[utoipa::path(
    tag = "coverage",
    params(CoverageParams),
    request_body(content = String, content_type = "text/csv", description = "Demand points"),
    responses(
        (status = 200, description = "Points out of reach, heaviest first", content(
            (CoverageGaps = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Bad parameters, or a bad row (named by line)", body = Problem, content_type = "application/problem+json"),
        (status = 406, description = "Format not available", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many points", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Every core is analysing coverage: ask again after Retry-After seconds", headers(
            ("Retry-After" = u32, description = "Seconds to wait"),
        ), body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/coverage/gaps")]
pub async fn coverage_gaps_for_points(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let points = posted_points(&req, body).await?;
    respond(&req, &state, View::Gaps, Some(points)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_kept_need_no_permit_and_new_questions_wait_for_one() {
        let state = Arc::new(CoverageState::with_limit(None, 1, Duration::ZERO));
        let snapshot = Arc::new(Snapshot::build(Vec::new()));
        let ask = |output| {
            let query = CoverageQuery::parse("fellowship=aa&max_km=5&area=W06000006", None).unwrap();
            state.answer(output, snapshot.clone(), query)
        };
        let (json, csv) = (Output::Summary(Format::Json), Output::Summary(Format::Csv));
        let first = ask(json).await.unwrap();

        // Another analysis holds the only permit.
        let held = state.permit().await.unwrap();
        assert!(Arc::ptr_eq(&ask(json).await.unwrap(), &first));
        match ask(csv).await {
            Err(ApiError::Busy { retry_after_secs, .. }) => assert_eq!(retry_after_secs, RETRY_AFTER_SECS),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(held);
        assert!(ask(csv).await.unwrap().starts_with("code,name,fellowship,"));
    }
}
