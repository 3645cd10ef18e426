//! `/v1/coverage`: how much of the population is within reach of a meeting, per area and
//! fellowship, and where the gaps are, as JSON, GeoJSON, CSV or a self-contained HTML report.
//! The question, its answers and the report are [`crate::coverage`]'s; this reads the parameters
//! (and points posted as CSV) into a [`QuestionSpec`] and the answer into a response.

use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;

use super::export;
use super::params::{self, FilterParams};
use super::problem::responses::{
    BadParams, BadParamsOrRow, BodyTooSlow, CoverageBusy, EmptyDirectory, NotAcceptable, NotCsv, NotModified,
    OneAtATime, TooManyPoints,
};
use super::problem::{ApiError, InvalidParam};
use super::search_response::cached;
use super::{cache, AppState};
use crate::coverage::{
    self, AnswerError, BundledPoints, Client, CoverageGaps, CoverageQuestion, CoverageSummary, DemandPoint,
    Level, Output, QuestionError, QuestionSpec, MAX_POINTS,
};
use crate::formats::html::SELF_CONTAINED_CSP;
use crate::formats::Format;

/// Largest CSV of demand points accepted in a request body (at most [`MAX_POINTS`] points).
pub const MAX_POINTS_BYTES: usize = 2 << 20;

/// Parameters of both coverage endpoints.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// Within reach means within this great-circle distance (km, up to 15; up to 40 for one
    /// district or county `area`). Give this or `max_minutes`.
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 40, example = 5)]
    max_km: Option<String>,
    /// Within reach means within this many estimated minutes (up to 240) by `mode`, reaching no
    /// further than 15 km (40 km for one district or county `area`; a 400 says how many minutes
    /// that is by the mode).
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 240)]
    max_minutes: Option<String>,
    /// `walk`, `cycle`, `drive` or `transit`; needed with `max_minutes`.
    #[param(value_type = Option<crate::travel::Mode>)]
    mode: Option<String>,
    /// Areas to add up by: `lad` (local authority district, default), `utla` (upper-tier
    /// authority; Welsh health board in Wales) or `nation`.
    #[param(schema_with = params::coverage_levels)]
    level: Option<String>,
    /// Only this area: its code or its name (`Powys`, `Norfolk`), at `level` when given, else at
    /// the finest level with that name. A name not known is a 400 suggesting near ones.
    area: Option<String>,
    /// Demand points: `small_areas` (GB LSOAs and Data Zones weighted by residents, default),
    /// `sectors` (GB postcode sectors weighted by live postcodes) or `places` (GB places weighted
    /// by population). To use your own, POST them as CSV instead.
    #[param(schema_with = params::coverage_points)]
    points: Option<String>,
    /// `json` (default), `geojson` (`/v1/coverage`: one feature per area and fellowship, outlined
    /// when the server has boundaries; `/v1/coverage/gaps`: one point per gap) or `csv`; and on
    /// `/v1/coverage`, `html` (the report). Overrides `Accept`; anything else is a 406.
    #[param(schema_with = params::coverage_formats)]
    format: Option<String>,
    /// `/v1/coverage/gaps` only: at most this many points (default 100, up to 10,000).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10000)]
    limit: Option<String>,
    /// The report shows the change since this date (`YYYY-MM-DD`), from the summaries stored at
    /// each import.
    #[param(value_type = Option<String>, format = Date)]
    since: Option<String>,
}

impl From<QuestionError> for ApiError {
    fn from(e: QuestionError) -> ApiError {
        ApiError::InvalidParams(
            e.0.into_iter()
                .map(|(name, reason)| InvalidParam::new(name, reason))
                .collect(),
        )
    }
}

impl From<AnswerError> for ApiError {
    fn from(e: AnswerError) -> ApiError {
        match e {
            AnswerError::Busy { retry_after_secs } => ApiError::Busy {
                detail: e.to_string(),
                retry_after_secs,
            },
            AnswerError::OneAtATime { retry_after_secs } => ApiError::TooManyRequests {
                detail: e.to_string(),
                retry_after_secs,
            },
            // Not worth asking again soon: the same question would take as long.
            AnswerError::TooSlow(_) => ApiError::Busy {
                detail: e.to_string(),
                retry_after_secs: 60,
            },
            AnswerError::Failed(_) => ApiError::Internal(e.into()),
        }
    }
}

impl CoverageParams {
    /// The question, or one 400 naming every bad parameter (those in `errors` already, those that
    /// do not read, then those the question's own rules refuse).
    fn question(
        self,
        filter: FilterParams,
        mut errors: Vec<InvalidParam>,
        supplied: Option<Vec<DemandPoint>>,
    ) -> Result<CoverageQuestion, ApiError> {
        let conditions = filter.read(&mut errors, None, None);
        let mode = params::travel_mode(&mut errors, self.mode.as_deref());
        let level = params::keyword(
            &mut errors,
            "level",
            self.level.as_deref(),
            Level::parse,
            "lad, utla or nation",
        );
        let points = params::keyword(
            &mut errors,
            "points",
            self.points.as_deref(),
            BundledPoints::parse,
            "small_areas, sectors or places",
        );
        let since = match self.since.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match text.parse::<jiff::civil::Date>() {
                Ok(date) => Some(date),
                Err(_) => {
                    errors.push(InvalidParam::new("since", "must be a date YYYY-MM-DD"));
                    None
                }
            },
        };
        // A number that does not read is out of range, and the question says so.
        let number = |text: Option<String>| text.map(|t| t.trim().parse::<f64>().unwrap_or(f64::NAN));
        let spec = QuestionSpec {
            fellowships: filter.fellowship.is_some().then_some(conditions.fellowships),
            access: conditions.access,
            attendance: conditions.attendance,
            days: conditions.days,
            start_after: conditions.start_after,
            start_before: conditions.start_before,
            types: conditions.types,
            max_km: number(self.max_km),
            max_minutes: number(self.max_minutes),
            mode,
            level,
            area: self.area,
            points,
            supplied,
            limit: self.limit.map(|t| t.trim().parse::<usize>().unwrap_or(0)),
            since,
        };
        match spec.check() {
            Ok(question) if errors.is_empty() => Ok(question),
            Ok(_) => Err(ApiError::InvalidParams(errors)),
            Err(refused) => {
                // One reason per parameter: one that did not read is not also "required".
                for (name, reason) in refused.0 {
                    if !errors.iter().any(|e| e.name == name) {
                        errors.push(InvalidParam::new(name, reason));
                    }
                }
                Err(ApiError::InvalidParams(errors))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum View {
    Summary,
    Gaps,
}

/// Reads demand points sent as `text/csv`, refusing other content (415), more than
/// [`MAX_POINTS_BYTES`] or [`MAX_POINTS`] (413), a body not received within `deadline` (408) and
/// bad rows (400 naming the line).
async fn posted_points(
    req: &HttpRequest,
    mut body: web::Payload,
    deadline: std::time::Duration,
) -> Result<Vec<DemandPoint>, ApiError> {
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
    // The whole body within the deadline: a client that sends less than its Content-Length (or
    // trickles it) gets a 408 and the connection is closed, rather than holding both for as long
    // as it likes.
    let read = async {
        let mut bytes = web::BytesMut::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| ApiError::param("body", format!("could not be read: {e}")))?;
            if bytes.len() + chunk.len() > MAX_POINTS_BYTES {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    let bytes = tokio::time::timeout(deadline, read).await.map_err(|_| {
        ApiError::RequestTimeout(format!(
            "the body was not received within {} ms of the request's headers",
            deadline.as_millis()
        ))
    })??;
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
    let (filter, params): (_, CoverageParams) = params::parse_filtered(req.query_string(), &mut errors)?;
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
    let mut query = params.question(filter, errors, supplied)?;
    let snapshot = state.directory.snapshot();
    if !coverage::has_places(&snapshot) {
        return Err(ApiError::NothingToReport(
            "the directory has no in-person meetings to report coverage of; import a feed first".into(),
        ));
    }
    if output == Output::Report {
        query.feeds = coverage::feeds(&state.directory, &snapshot).await?;
        if let Some(since) = query.since {
            query.baseline = coverage::trends::baseline(&state.directory, since).await?;
        }
    }
    // Fairness needs to tell clients apart, and no more: a keyed hash of the address, held while
    // the client's analysis runs (behind a proxy, every client is the proxy's one).
    let client = Client::at(req.peer_addr().map(|a| a.ip()));
    let body = state
        .coverage
        .answer(output, snapshot.clone(), query, client)
        .await?;
    let mut response = if posted {
        HttpResponse::Ok()
            .content_type(output.content_type())
            .insert_header(cache::control(cache::NEVER))
            .body(body.to_string())
    } else {
        cached(req, &snapshot, "", output.content_type(), || body.to_string())
    };
    if output == Output::Report {
        // The report needs nothing from anywhere: forbid it all.
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(SELF_CONTAINED_CSP),
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
/// for a free core up to 2 s, else are a 503 with `Retry-After`; the same question asked by
/// several clients at once is analysed once for all; a client may have one analysis running at a
/// time (another question meanwhile is a 429 with `Retry-After`).
#[utoipa::path(
    tag = "coverage",
    params(FilterParams, CoverageParams),
    responses(
        (status = 200, description = "Coverage per area and fellowship", headers(
            ("ETag" = String, description = "Changes with the data, the request and the format"),
        ), content(
            (CoverageSummary = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
            (String = "text/html"),
        )),
        NotModified,
        BadParams,
        NotAcceptable,
        EmptyDirectory,
        OneAtATime,
        CoverageBusy,
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
    params(FilterParams, CoverageParams),
    request_body(content = String, content_type = "text/csv", description = "Demand points",
        example = "label,lat,lon,weight\nClinic A,53.0462,-2.9930,120\n"),
    responses(
        (status = 200, description = "Coverage per area and fellowship", content(
            (CoverageSummary = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
            (String = "text/html"),
        )),
        BadParamsOrRow,
        NotAcceptable,
        EmptyDirectory,
        TooManyPoints,
        NotCsv,
        BodyTooSlow,
        OneAtATime,
        CoverageBusy,
    )
)]
#[post("/v1/coverage")]
pub async fn coverage_summary_for_points(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let points = posted_points(&req, body, state.body_timeout).await?;
    respond(&req, &state, View::Summary, Some(points)).await
}

/// Demand points out of reach.
///
/// Demand points with no matching in-person or hybrid meeting within the threshold, heaviest
/// first (one row per point and fellowship). JSON, GeoJSON (a FeatureCollection of points,
/// `[lon, lat]`) or CSV, by `format` or `Accept`.
#[utoipa::path(
    tag = "coverage",
    params(FilterParams, CoverageParams),
    responses(
        (status = 200, description = "Points out of reach, heaviest first", headers(
            ("ETag" = String, description = "Changes with the data, the request and the format"),
        ), content(
            (CoverageGaps = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
        )),
        NotModified,
        BadParams,
        NotAcceptable,
        EmptyDirectory,
        OneAtATime,
        CoverageBusy,
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
    params(FilterParams, CoverageParams),
    request_body(content = String, content_type = "text/csv", description = "Demand points"),
    responses(
        (status = 200, description = "Points out of reach, heaviest first", content(
            (CoverageGaps = "application/json"),
            (serde_json::Value = "application/geo+json"),
            (String = "text/csv"),
        )),
        BadParamsOrRow,
        NotAcceptable,
        EmptyDirectory,
        TooManyPoints,
        NotCsv,
        BodyTooSlow,
        OneAtATime,
        CoverageBusy,
    )
)]
#[post("/v1/coverage/gaps")]
pub async fn coverage_gaps_for_points(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let points = posted_points(&req, body, state.body_timeout).await?;
    respond(&req, &state, View::Gaps, Some(points)).await
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const NAMES: &[&str] = &[
        "fellowship",
        "access",
        "type",
        "attendance",
        "day",
        "start_after",
        "start_before",
        "max_km",
        "max_minutes",
        "mode",
        "level",
        "area",
        "points",
        "format",
        "limit",
        "lat",
        "",
    ];

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "-?[0-9]{0,6}(\\.[0-9]{0,4})?(e[+-]?[0-9]{1,3})?",
            "[a-z_,]{0,12}",
            Just("W06000006".into()),
            Just("NaN".into()),
            Just("18446744073709551616".into()),
            ".{0,30}",
        ]
    }

    proptest! {
        /// Any coverage parameters make a question or one 400 naming every bad one with a reason;
        /// a question's reach is never beyond the most analysed.
        #[test]
        fn any_parameters_make_a_question_or_are_refused(
            pairs in proptest::collection::vec((proptest::sample::select(NAMES), value()), 0..8)
        ) {
            let query = serde_urlencoded::to_string(&pairs).unwrap();
            let mut errors = Vec::new();
            let Ok((filter, params)) = params::parse_filtered::<CoverageParams>(&query, &mut errors) else {
                return Ok(());
            };
            match params.question(filter, errors, None) {
                Ok(question) => {
                    let km = question.analysis.threshold.km();
                    let most = match &question.area {
                        Some(a) if a.level != Level::Nation => coverage::MAX_AREA_KM,
                        _ => coverage::MAX_KM,
                    };
                    prop_assert!(km > 0.0 && km <= most, "{km}");
                }
                Err(ApiError::InvalidParams(errors)) => {
                    prop_assert!(!errors.is_empty());
                    prop_assert!(errors.iter().all(|e| !e.reason.is_empty()));
                }
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
