//! Answers to coverage questions: the analysis, then the output asked for (the summary per area
//! or the gaps, as JSON, GeoJSON or CSV; or the HTML [report](super::report)), and
//! [`CoverageState`], which keeps recent answers and bounds the analyses running at once.
//!
//! The HTTP endpoints and the command line's `meetingmap coverage` both answer through
//! [`render`], so a report made offline is the report the API serves.

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa::ToSchema;

use super::boundaries::{self, Boundaries};
use super::question::{lookup, CoverageQuestion};
use super::report::{report, ReportInput};
use super::{AreaSummary, Demand, DemandPoint, PointReport};
use crate::formats::{tables, Format};
use crate::search::Snapshot;

/// Answers kept for repeated questions (per server, for the current snapshot).
const CACHED_ANSWERS: usize = 16;
/// How long a question waits for an analysis to finish when all the cores are busy with others:
/// about two analyses of all GB.
const ANALYSIS_WAIT: Duration = Duration::from_secs(2);
/// What a client turned away is told to wait before asking again.
pub const RETRY_AFTER_SECS: u32 = 2;

/// Why a question was not answered.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Every permit is held: ask again after `retry_after_secs`.
    #[error("every core is analysing coverage; ask again shortly")]
    Busy { retry_after_secs: u32 },
    #[error("coverage worker failed: {0}")]
    Failed(String),
}

/// Coverage per area and fellowship.
#[derive(Serialize, ToSchema)]
pub struct CoverageSummary {
    /// The straight-line distance counted as within reach (from `max_km`, or from `max_minutes`
    /// through the travel estimate).
    pub threshold_km: f64,
    #[schema(value_type = Vec<Object>)]
    pub areas: Vec<AreaSummary>,
}

/// Demand points beyond the threshold.
#[derive(Serialize, ToSchema)]
pub struct CoverageGaps {
    pub threshold_km: f64,
    #[schema(value_type = Vec<Object>)]
    pub gaps: Vec<PointReport>,
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
    query: &CoverageQuestion,
    boundaries: Option<&Boundaries>,
    produced: Timestamp,
) -> String {
    let points = query.demand.points();
    let (area, level) = (query.area.as_deref(), query.level);
    let in_area = |p: &DemandPoint| area.is_none_or(|a| lookup().area(p, level).0 == a);
    // Only the area's points are analysed: one district is a hundredth of GB.
    let result = super::analyse_where(snapshot, points, &query.analysis, in_area);
    let threshold_km = (query.analysis.threshold.km() * 1000.0).round() / 1000.0;
    let summarise = || super::summarise(snapshot, points, &query.analysis, &result, lookup(), level, area);
    match output {
        Output::Summary(Format::GeoJson) => {
            let shape = |code: &str| boundaries?.shape(lookup(), level, code);
            summary_geojson(threshold_km, &summarise(), shape)
        }
        Output::Summary(Format::Csv) => tables::csv(summarise().iter().map(flat_row), SUMMARY_COLUMNS),
        Output::Summary(_) => serde_json::to_string(&CoverageSummary {
            threshold_km,
            areas: summarise(),
        })
        .expect("a summary serialises"),
        Output::Report => report(&ReportInput {
            snapshot,
            query,
            coverage: &result,
            areas: &summarise(),
            lookup: lookup(),
            boundaries,
            produced,
        }),
        Output::Gaps(format) => {
            let gaps = super::gaps(points, &result, in_area, query.limit);
            match format {
                Format::GeoJson => gaps_geojson(threshold_km, &gaps),
                Format::Csv => tables::csv(&gaps, GAP_COLUMNS),
                _ => serde_json::to_string(&CoverageGaps { threshold_km, gaps }).expect("gaps serialise"),
            }
        }
    }
}

/// A summary row with `worst_served` as one line of text, for tables (CSV, GeoJSON properties):
/// `label (weight W, nearest meeting K km[, M min])`, `; ` between points.
fn flat_row(area: &AreaSummary) -> Value {
    let point = |p: &PointReport| {
        let nearest = match (p.nearest_km, p.nearest_minutes) {
            (None, _) => format!("none within {} km", super::NEAREST_SEARCH_KM),
            (Some(km), None) => format!("nearest meeting {km} km"),
            (Some(km), Some(minutes)) => format!("nearest meeting {km} km, {minutes} min"),
        };
        format!("{} (weight {}, {nearest})", p.label, p.weight)
    };
    let mut row = tables::value(area);
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
/// RFC 7946: the gaps as a FeatureCollection of Points, coordinates `[lon, lat]` (and not
/// repeated in the properties); `threshold_km` stays as a foreign member.
fn gaps_geojson(threshold_km: f64, gaps: &[PointReport]) -> String {
    let features: Vec<Value> = gaps
        .iter()
        .map(|gap| {
            let mut properties = tables::value(gap);
            if let Some(map) = properties.as_object_mut() {
                map.remove("lat");
                map.remove("lon");
            }
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [gap.lon, gap.lat]},
                "properties": properties,
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "threshold_km": threshold_km,
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
    async fn permit(&self) -> Result<OwnedSemaphorePermit, AnswerError> {
        match tokio::time::timeout(self.wait, self.analyses.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(AnswerError::Failed(closed.to_string())),
            Err(_) => Err(AnswerError::Busy {
                retry_after_secs: RETRY_AFTER_SECS,
            }),
        }
    }

    /// What an answer is kept under: `None` for answers over points sent by a client, which are
    /// not kept.
    fn key(output: Output, query: &CoverageQuestion) -> Option<String> {
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
    pub async fn answer(
        self: &Arc<Self>,
        output: Output,
        snapshot: Arc<Snapshot>,
        query: CoverageQuestion,
    ) -> Result<Arc<str>, AnswerError> {
        let version = snapshot.version();
        let key = CoverageState::key(output, &query);
        if let Some(answer) = key.as_deref().and_then(|k| self.recall(version, k)) {
            return Ok(answer);
        }
        let permit = self.permit().await?;
        let state = self.clone();
        let answer: Arc<str> = tokio::task::spawn_blocking(move || {
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
        .map_err(|e| AnswerError::Failed(e.to_string()))?
        .into();
        if let Some(key) = key {
            self.keep(version, key, answer.clone());
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::QuestionSpec;

    #[tokio::test]
    async fn answers_kept_need_no_permit_and_new_questions_wait_for_one() {
        let state = Arc::new(CoverageState::with_limit(None, 1, Duration::ZERO));
        let snapshot = Arc::new(Snapshot::build(Vec::new()));
        let ask = |output| {
            let query = QuestionSpec::within_km(5.0)
                .fellowships(crate::domain::Fellowship::parse("aa"))
                .area(crate::coverage::Level::Lad, "W06000006")
                .check()
                .unwrap();
            state.answer(output, snapshot.clone(), query)
        };
        let (json, csv) = (Output::Summary(Format::Json), Output::Summary(Format::Csv));
        let first = ask(json).await.unwrap();

        // Another analysis holds the only permit.
        let held = state.permit().await.unwrap();
        assert!(Arc::ptr_eq(&ask(json).await.unwrap(), &first));
        match ask(csv).await {
            Err(AnswerError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, RETRY_AFTER_SECS),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(held);
        assert!(ask(csv).await.unwrap().starts_with("code,name,fellowship,"));
    }
}
