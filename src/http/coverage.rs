//! `/v1/coverage`: how much of the population is within reach of a meeting, per area and
//! fellowship, and where the gaps are. See [`crate::coverage`] for the method.

use std::fmt::Write;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problem::{ApiError, InvalidParam, Problem};
use super::AppState;
use crate::coverage::{self, Analysis, AreaLookup, DemandPoint, Level, Threshold};
use crate::domain::{Access, Fellowship, FELLOWSHIPS};
use crate::search::Filter;
use crate::travel::Mode;

/// Largest `max_km`, and largest `max_minutes`.
const MAX_KM: f64 = 100.0;
const MAX_MINUTES: f64 = 240.0;
const DEFAULT_GAPS: usize = 100;
const MAX_GAPS: usize = 10_000;

fn sectors() -> &'static [DemandPoint] {
    static SECTORS: OnceLock<Vec<DemandPoint>> = OnceLock::new();
    SECTORS.get_or_init(coverage::bundled_sectors)
}

fn lookup() -> &'static AreaLookup {
    static LOOKUP: OnceLock<AreaLookup> = OnceLock::new();
    LOOKUP.get_or_init(AreaLookup::bundled)
}

/// Parameters of both coverage endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageParams {
    /// Fellowship codes, comma-separated (`aa,na`); default every fellowship.
    #[param(example = "aa,na")]
    fellowship: Option<String>,
    /// `open` or `closed`: count only such meetings.
    access: Option<String>,
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
    /// `/v1/coverage/gaps` only: `json` (default), `geojson` or `csv`; overrides `Accept`.
    format: Option<String>,
    /// `/v1/coverage/gaps` only: at most this many points (default 100, up to 10,000).
    #[param(value_type = Option<u32>)]
    limit: Option<String>,
}

struct Checked {
    analysis: Analysis,
    level: Level,
    area: Option<String>,
    limit: usize,
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

impl CoverageParams {
    fn check(self) -> Result<Checked, ApiError> {
        let mut errors = Vec::new();
        let mut fellowships = Vec::new();
        match self.fellowship.as_deref() {
            None => fellowships.extend(Fellowship::all()),
            Some(list) => {
                for code in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    match Fellowship::parse(code) {
                        Some(f) if !fellowships.contains(&f) => fellowships.push(f),
                        Some(_) => {}
                        None => {
                            let known = FELLOWSHIPS.iter().map(|f| f.id).collect::<Vec<_>>().join(", ");
                            errors.push(InvalidParam::new(
                                "fellowship",
                                format!("unknown fellowship {code:?}; known: {known}"),
                            ));
                        }
                    }
                }
                if fellowships.is_empty() && errors.is_empty() {
                    errors.push(InvalidParam::new("fellowship", "names no fellowship"));
                }
            }
        }
        let mut filter = Filter::default().fellowships(fellowships.iter().copied());
        match self.access.as_deref().map(str::trim) {
            None => {}
            Some("open") => filter = filter.access(Access::Open),
            Some("closed") => filter = filter.access(Access::Closed),
            Some(_) => errors.push(InvalidParam::new("access", "must be open or closed")),
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
            let known = sectors().iter().any(|p| lookup().area(p, level).0 == *code);
            if !known {
                errors.push(InvalidParam::new(
                    "area",
                    format!("is not a known area code at level {level:?}"),
                ));
            }
        }
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
            Some(threshold) if errors.is_empty() => Ok(Checked {
                analysis: Analysis {
                    filter,
                    fellowships,
                    threshold,
                },
                level,
                area,
                limit,
            }),
            _ => Err(ApiError::InvalidParams(errors)),
        }
    }
}

fn parse(req: &HttpRequest) -> Result<CoverageParams, ApiError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|e| ApiError::param("query", e.to_string()))
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

/// Coverage per area and fellowship.
///
/// For each GB postcode sector (weighted by its live postcodes) and fellowship: is a weekly
/// in-person or hybrid meeting within the threshold? Added up per area: weight within reach and
/// its share, meetings in the area per 10,000 postcodes, and the heaviest points out of reach.
#[utoipa::path(
    tag = "coverage",
    params(CoverageParams),
    responses(
        (status = 200, description = "Coverage per area and fellowship", body = CoverageSummary),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/coverage")]
pub async fn coverage_summary(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let checked = parse(&req)?.check()?;
    let snapshot = state.index.current();
    let rows = web::block(move || {
        let points = sectors();
        let result = coverage::analyse(&snapshot, points, &checked.analysis);
        let areas = coverage::summarise(
            &snapshot,
            points,
            &checked.analysis,
            &result,
            lookup(),
            checked.level,
            checked.area.as_deref(),
        );
        CoverageSummary {
            threshold_km: (checked.analysis.threshold.km() * 1000.0).round() / 1000.0,
            areas,
        }
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("coverage worker failed: {e}")))?;
    Ok(HttpResponse::Ok().json(rows))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Json,
    GeoJson,
    Csv,
}

fn format(req: &HttpRequest, given: Option<&str>) -> Result<Format, ApiError> {
    if let Some(text) = given {
        return match text.trim() {
            "json" => Ok(Format::Json),
            "geojson" => Ok(Format::GeoJson),
            "csv" => Ok(Format::Csv),
            _ => Err(ApiError::param("format", "must be json, geojson or csv")),
        };
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Ok(if accept.contains("application/geo+json") {
        Format::GeoJson
    } else if accept.contains("text/csv") {
        Format::Csv
    } else {
        Format::Json
    })
}

/// Demand points beyond the threshold.
#[derive(Serialize, ToSchema)]
pub struct CoverageGaps {
    pub threshold_km: f64,
    #[schema(value_type = Vec<Object>)]
    pub gaps: Vec<coverage::PointReport>,
}

/// Demand points out of reach.
///
/// Postcode sectors with no matching in-person or hybrid meeting within the threshold, heaviest
/// first (one row per sector and fellowship). JSON, GeoJSON (a FeatureCollection of points,
/// `[lon, lat]`) or CSV, by `format` or `Accept`.
#[utoipa::path(
    tag = "coverage",
    params(CoverageParams),
    responses(
        (status = 200, description = "Points out of reach, heaviest first (JSON here; also \
            application/geo+json and text/csv)", body = CoverageGaps),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/coverage/gaps")]
pub async fn coverage_gaps(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let params = parse(&req)?;
    let format = format(&req, params.format.as_deref())?;
    let checked = params.check()?;
    let snapshot = state.index.current();
    let body = web::block(move || {
        let points = sectors();
        let result = coverage::analyse(&snapshot, points, &checked.analysis);
        let (area, level) = (checked.area.as_deref(), checked.level);
        let gaps = coverage::gaps(
            points,
            &result,
            |p| area.is_none_or(|a| lookup().area(p, level).0 == a),
            checked.limit,
        );
        CoverageGaps {
            threshold_km: (checked.analysis.threshold.km() * 1000.0).round() / 1000.0,
            gaps,
        }
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("coverage worker failed: {e}")))?;
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(body),
        Format::GeoJson => HttpResponse::Ok()
            .content_type("application/geo+json")
            .body(geojson(&body.gaps).to_string()),
        Format::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(csv(&body.gaps)),
    })
}

/// RFC 7946: a FeatureCollection of Points, coordinates `[lon, lat]`.
fn geojson(gaps: &[coverage::PointReport]) -> serde_json::Value {
    let features: Vec<serde_json::Value> = gaps
        .iter()
        .map(|g| {
            let mut properties = serde_json::to_value(g).expect("a point report serialises");
            if let Some(map) = properties.as_object_mut() {
                map.remove("lat");
                map.remove("lon");
            }
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [g.lon, g.lat]},
                "properties": properties,
            })
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features})
}

fn csv(gaps: &[coverage::PointReport]) -> String {
    let mut out =
        String::from("label,lat,lon,weight,fellowship,nearest_km,nearest_minutes,meetings_within\n");
    let opt = |v: Option<String>| v.unwrap_or_default();
    for g in gaps {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            g.label.replace([',', '"', '\n'], " "),
            g.lat,
            g.lon,
            g.weight,
            g.fellowship.id(),
            opt(g.nearest_km.map(|v| v.to_string())),
            opt(g.nearest_minutes.map(|v| v.to_string())),
            g.meetings_within,
        );
    }
    out
}
