//! Answers to coverage questions: the analysis, then the output asked for (the summary per area
//! or the gaps, as JSON, GeoJSON or CSV; or the HTML [report](super::report)), and
//! [`CoverageState`], which keeps recent answers and bounds what analyses can cost the server:
//! at most one per core at once, one at a time per client, one for any number of clients asking
//! the same question at once (single flight), and none that nobody waits for any more or that has
//! run past its deadline (cancellation).
//!
//! The HTTP endpoints and the command line's `meetingmap coverage` both answer through
//! [`render`], so a report made offline is the report the API serves.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt::Write;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use utoipa::ToSchema;

use super::boundaries::{self, Boundaries};
use super::question::{lookup, CoverageQuestion};
use super::report::{report, ReportInput};
use super::{Analysis, AreaSummary, Attribution, Demand, DemandPoint, PointReport};
use crate::domain::Fellowship;
use crate::formats::{tables, Format};
use crate::search::Snapshot;

/// Answers kept for repeated questions (per server, for the current snapshot).
const CACHED_ANSWERS: usize = 16;
/// How long a question waits for an analysis to finish when all the cores are busy with others:
/// about two analyses of all GB.
const ANALYSIS_WAIT: Duration = Duration::from_secs(2);
/// What a client turned away is told to wait before asking again.
pub const RETRY_AFTER_SECS: u32 = 2;
/// How long an analysis may run before it is given up: ten times the worst question allowed
/// (see docs/benchmarks.md), so only a server far past its capacity reaches it.
pub const ANALYSIS_DEADLINE: Duration = Duration::from_secs(30);

/// Why a question was not answered.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Every permit is held: ask again after `retry_after_secs`.
    #[error("every core is analysing coverage; ask again shortly")]
    Busy { retry_after_secs: u32 },
    /// This client already has an analysis running: one at a time each, so that no client can
    /// hold every core.
    #[error("an analysis you asked for is still running; ask again when it has finished")]
    OneAtATime { retry_after_secs: u32 },
    /// The analysis ran past its deadline and was given up.
    #[error("the analysis took longer than the {} s allowed; ask about a smaller area or reach", .0.as_secs())]
    TooSlow(Duration),
    #[error("coverage worker failed: {0}")]
    Failed(String),
}

/// Coverage per area and fellowship.
#[derive(Serialize, ToSchema)]
pub struct CoverageSummary {
    /// The straight-line distance counted as within reach (from `max_km`, or from `max_minutes`
    /// through the travel estimate).
    pub threshold_km: f64,
    /// What the weights count: `residents` (small areas, places), `postcodes` (sectors), or null
    /// for points sent with their own weights.
    pub weights: Option<&'static str>,
    /// How many demand points were analysed.
    pub demand_points: usize,
    /// The fellowships analysed (ids).
    pub fellowships: Vec<&'static str>,
    /// Fellowships asked about that no source of the directory lists (ids): not analysed, and
    /// never to be read as "no meetings".
    pub no_data_source: Vec<&'static str>,
    /// How meetings were counted per area: `boundaries`, `nearest_point` or `catchment`.
    #[schema(value_type = String)]
    pub attribution: Attribution,
    /// Matching meetings counted in no area (outside Great Britain, or beyond every catchment),
    /// per fellowship id.
    pub not_counted: BTreeMap<&'static str, u32>,
    #[schema(value_type = Vec<Object>)]
    pub areas: Vec<AreaSummary>,
}

/// Demand points beyond the threshold.
#[derive(Serialize, ToSchema)]
pub struct CoverageGaps {
    pub threshold_km: f64,
    /// Fellowships asked about that no source lists (ids): not analysed, so no gaps are listed
    /// for them, which does not mean there are none.
    pub no_data_source: Vec<&'static str>,
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

/// Columns of the summary CSV, as fields of [`flat_row`].
const SUMMARY_COLUMNS: &[&str] = &[
    "code",
    "name",
    "fellowship",
    "data_source",
    "weight_total",
    "weight_within_reach",
    "weight_beyond_reach",
    "share_within_reach",
    "rural_weight_total",
    "rural_weight_within_reach",
    "rural_share_within_reach",
    "urban_weight_total",
    "urban_weight_within_reach",
    "urban_share_within_reach",
    "remote_weight_total",
    "remote_weight_within_reach",
    "remote_share_within_reach",
    "share_evening_within_reach",
    "share_weekend_within_reach",
    "meetings",
    "meetings_per_100k",
    "worst_served",
];

/// What the `data_source` column says of a fellowship no source lists.
pub const NO_DATA_SOURCE: &str = "no data source";

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
    render_until(output, snapshot, query, boundaries, produced, || false).expect("never stopped")
}

/// The fellowships a question analyses, and those asked about that the directory has no data
/// for: unnamed fellowships are those the directory lists; named ones without data are set
/// apart, never analysed as if nobody were within reach of them.
pub fn fellowships_with_data(snapshot: &Snapshot, query: &CoverageQuestion) -> (Analysis, Vec<Fellowship>) {
    let (listed, missing): (Vec<Fellowship>, Vec<Fellowship>) = query
        .analysis
        .fellowships
        .iter()
        .partition(|&&f| snapshot.lists(f));
    let mut analysis = query.analysis.clone();
    analysis.filter = analysis.filter.fellowships(listed.iter().copied());
    analysis.fellowships = listed;
    (
        analysis,
        if query.fellowships_named {
            missing
        } else {
            Vec::new()
        },
    )
}

/// Whether the point is in the area the question is about (every point without one).
pub fn in_question_area(query: &CoverageQuestion, p: &DemandPoint) -> bool {
    query
        .area
        .as_ref()
        .is_none_or(|a| lookup().area(p, a.level).0 == a.code)
}

/// [`render`], giving up (`None`) when `stop` says so during the analysis (see
/// [`super::analyse_until`]).
pub fn render_until(
    output: Output,
    snapshot: &Snapshot,
    query: &CoverageQuestion,
    boundaries: Option<&Boundaries>,
    produced: Timestamp,
    stop: impl Fn() -> bool,
) -> Option<String> {
    let points = query.demand.points();
    let level = query.level;
    let in_area = |p: &DemandPoint| in_question_area(query, p);
    let (analysis, no_data) = fellowships_with_data(snapshot, query);
    // Only the area's points are analysed: one district is a hundredth of GB.
    let result = super::analyse_until(snapshot, points, &analysis, in_area, stop)?;
    let threshold_km = (query.analysis.threshold.km() * 1000.0).round() / 1000.0;
    let summarise = |level| {
        super::summarise(
            snapshot,
            points,
            &query.demand,
            &analysis,
            &result,
            boundaries,
            level,
        )
    };
    Some(match output {
        Output::Summary(Format::GeoJson) => {
            let shape = |code: &str| boundaries?.shape(lookup(), level, code);
            summary_geojson(threshold_km, &summarise(level).areas, shape)
        }
        Output::Summary(Format::Csv) => {
            let summary = summarise(level);
            let mut rows: Vec<Value> = Vec::new();
            for (i, area) in summary.areas.iter().enumerate() {
                rows.push(flat_row(area));
                // After each area's rows, the fellowships asked about without data, said so.
                if summary.areas.get(i + 1).is_none_or(|next| next.code != area.code) {
                    for f in &no_data {
                        rows.push(json!({"code": area.code, "name": area.name, "fellowship": f.id(),
                            "data_source": NO_DATA_SOURCE}));
                    }
                }
            }
            tables::csv(rows, SUMMARY_COLUMNS)
        }
        Output::Summary(_) => {
            let summary = summarise(level);
            serde_json::to_string(&CoverageSummary {
                threshold_km,
                weights: query.demand.weight_unit(),
                demand_points: result.iter().map(|c| c.point).collect::<HashSet<_>>().len(),
                fellowships: analysis.fellowships.iter().map(|f| f.id()).collect(),
                no_data_source: no_data.iter().map(|f| f.id()).collect(),
                attribution: summary.attribution,
                not_counted: summary
                    .not_counted
                    .iter()
                    .filter_map(|(&f, &n)| Some((Fellowship::all().nth(f as usize)?.id(), n)))
                    .collect(),
                areas: summary.areas,
            })
            .expect("a summary serialises")
        }
        Output::Report => {
            let summary = summarise(level);
            // A county's districts, for its breakdown.
            let districts = (level != super::Level::Lad).then(|| summarise(super::Level::Lad));
            report(&ReportInput {
                snapshot,
                query,
                analysis: &analysis,
                no_data: &no_data,
                coverage: &result,
                summary: &summary,
                districts: districts.as_ref(),
                lookup: lookup(),
                boundaries,
                produced,
            })
        }
        Output::Gaps(format) => {
            let gaps = super::gaps(points, &result, in_area, query.limit);
            match format {
                Format::GeoJson => gaps_geojson(threshold_km, &gaps),
                Format::Csv => tables::csv(&gaps, GAP_COLUMNS),
                _ => serde_json::to_string(&CoverageGaps {
                    threshold_km,
                    no_data_source: no_data.iter().map(|f| f.id()).collect(),
                    gaps,
                })
                .expect("gaps serialise"),
            }
        }
    })
}

/// A summary row for tables (CSV, GeoJSON properties): the rural, urban and remote parts as
/// `rural_weight_total` and so on, `data_source` said, and `worst_served` as one line of text:
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
    if let Some(map) = row.as_object_mut() {
        for part in ["rural", "urban", "remote"] {
            if let Some(Value::Object(split)) = map.remove(part) {
                for (key, value) in split {
                    map.insert(format!("{part}_{key}"), value);
                }
            }
        }
        map.insert("data_source".into(), Value::String("listed".into()));
    }
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

/// Who asked, as far as fairness needs to know: a keyed hash of the client's address (the key is
/// random per process, so the value means nothing outside it and cannot be reversed by trying
/// addresses), held only while that client's analysis runs. Addresses themselves are never kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Client(u64);

impl Client {
    /// The client at `address`; `None` (no address known, as for a Unix socket) is one client.
    pub fn at(address: Option<IpAddr>) -> Client {
        static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> = std::sync::OnceLock::new();
        Client(KEY.get_or_init(Default::default).hash_one(address))
    }
}

/// What an analysis ends with, shared by everyone waiting for it.
type Outcome = Result<Arc<str>, Shared>;

/// An [`AnswerError`] that can be handed to every waiter.
#[derive(Debug, Clone)]
enum Shared {
    Busy,
    TooSlow(Duration),
    Failed(String),
}

impl From<Shared> for AnswerError {
    fn from(e: Shared) -> AnswerError {
        match e {
            Shared::Busy => AnswerError::Busy {
                retry_after_secs: RETRY_AFTER_SECS,
            },
            Shared::TooSlow(deadline) => AnswerError::TooSlow(deadline),
            Shared::Failed(why) => AnswerError::Failed(why),
        }
    }
}

/// One analysis under way, and who waits for it.
struct Flight {
    outcome: watch::Receiver<Option<Outcome>>,
    /// Requests still waiting for the outcome; when the last goes (its client hung up, and actix
    /// dropped the request's future), `abandoned` is set and the analysis stops.
    waiting: AtomicUsize,
    abandoned: AtomicBool,
}

/// One request's interest in a [`Flight`]: dropped with the request.
struct Waiting(Arc<Flight>);

impl Waiting {
    /// Joins `flight`, unless everyone had already left it (it is stopping).
    fn join(flight: &Arc<Flight>) -> Option<Waiting> {
        flight.waiting.fetch_add(1, Ordering::SeqCst);
        let waiting = Waiting(flight.clone());
        (!flight.abandoned.load(Ordering::SeqCst)).then_some(waiting)
    }

    async fn outcome(self) -> Result<Arc<str>, AnswerError> {
        let mut outcome = self.0.outcome.clone();
        let result = match outcome.wait_for(Option::is_some).await {
            Ok(done) => done.clone().expect("waited for an outcome"),
            Err(_) => Err(Shared::Failed("the analysis ended without an answer".into())),
        };
        result.map_err(AnswerError::from)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.abandoned.store(true, Ordering::SeqCst);
        }
    }
}

/// A request's part in an analysis: waiting for one under way, or leading a new one.
enum Joined {
    Waiting(Waiting),
    Leading {
        waiting: Waiting,
        flight: Arc<Flight>,
        slot: ClientSlot,
        send: watch::Sender<Option<Outcome>>,
    },
}

/// What coverage answers share in a running server: the outlines for the report's map, recent
/// answers (the analysis of all GB takes most of a second of CPU), the analyses under way, and
/// the bounds on them.
pub struct CoverageState {
    boundaries: Option<Boundaries>,
    /// (snapshot version, output and parameters, answer), newest last.
    answers: Mutex<VecDeque<(u64, String, Arc<str>)>>,
    /// The analyses under way, by snapshot version and question, for others asking the same to
    /// wait for (questions over points a client sent are not shared).
    flights: Mutex<HashMap<(u64, String), Arc<Flight>>>,
    /// Clients with an analysis under way: one each.
    clients: Arc<Mutex<HashSet<Client>>>,
    /// One permit per analysis that may run at once: more than there are cores only makes each
    /// slower, and would let a burst of questions starve every other endpoint.
    analyses: Arc<Semaphore>,
    /// How long a question waits for a permit before it is turned away.
    wait: Duration,
    /// How long an analysis may run.
    deadline: Duration,
}

impl Default for CoverageState {
    fn default() -> CoverageState {
        CoverageState::new(None)
    }
}

/// A client's one analysis: its place is freed when the analysis ends.
struct ClientSlot {
    clients: Arc<Mutex<HashSet<Client>>>,
    client: Client,
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.client);
    }
}

impl CoverageState {
    /// As many analyses at once as there are cores (actix-web's number of workers), each
    /// question waiting up to [`ANALYSIS_WAIT`] for one.
    pub fn new(boundaries: Option<Boundaries>) -> CoverageState {
        CoverageState::with_limit(boundaries, crate::parallel::cores(), ANALYSIS_WAIT)
    }

    /// At most `analyses` at once, each question waiting up to `wait` for one.
    pub fn with_limit(boundaries: Option<Boundaries>, analyses: usize, wait: Duration) -> CoverageState {
        CoverageState {
            boundaries,
            answers: Mutex::default(),
            flights: Mutex::default(),
            clients: Arc::default(),
            analyses: Arc::new(Semaphore::new(analyses)),
            wait,
            deadline: ANALYSIS_DEADLINE,
        }
    }

    /// The same, with analyses given up after `deadline`.
    pub fn with_deadline(mut self, deadline: Duration) -> CoverageState {
        self.deadline = deadline;
        self
    }

    /// A permit to analyse, once one is free within the wait. Busy is a 503, not a 429: the
    /// server as a whole is at capacity, whoever asks; the client did not ask too often.
    async fn permit(analyses: Arc<Semaphore>, wait: Duration) -> Result<OwnedSemaphorePermit, Shared> {
        match tokio::time::timeout(wait, analyses.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(Shared::Failed(closed.to_string())),
            Err(_) => Err(Shared::Busy),
        }
    }

    /// `client`'s one place, unless it has an analysis under way already.
    fn client_slot(&self, client: Client) -> Result<ClientSlot, AnswerError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if !clients.insert(client) {
            return Err(AnswerError::OneAtATime {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        Ok(ClientSlot {
            clients: self.clients.clone(),
            client,
        })
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

    /// [`render`]s `query` for `client`, or repeats the answer to the same question about the
    /// same snapshot, or waits for the analysis of the same question already under way. A new
    /// question takes `client`'s one place ([`AnswerError::OneAtATime`] when it is taken), waits
    /// for a permit ([`AnswerError::Busy`] when none is free in time) and is analysed on the
    /// blocking pool, until it is done, its deadline passes, or everyone waiting for it has gone
    /// (dropping this future is leaving).
    pub async fn answer(
        self: &Arc<Self>,
        output: Output,
        snapshot: Arc<Snapshot>,
        query: CoverageQuestion,
        client: Client,
    ) -> Result<Arc<str>, AnswerError> {
        let version = snapshot.version();
        let key = CoverageState::key(output, &query);
        if let Some(answer) = key.as_deref().and_then(|k| self.recall(version, k)) {
            return Ok(answer);
        }
        let shared = key.map(|k| (version, k));
        let (waiting, flight, slot, send) = match self.join_or_lead(shared.as_ref(), client)? {
            Joined::Waiting(waiting) => return waiting.outcome().await,
            Joined::Leading {
                waiting,
                flight,
                slot,
                send,
            } => (waiting, flight, slot, send),
        };

        // The analysis runs apart from this request, so that others asking the same can wait for
        // it after this one has gone; it stops when the last of them has.
        let state = self.clone();
        tokio::spawn(async move {
            let outcome = state.analyse(output, snapshot, query, &flight).await;
            // Free before telling: the client may ask its next question as soon as it is told.
            drop(slot);
            if let (Ok(answer), Some((version, key))) = (&outcome, &shared) {
                state.keep(*version, key.clone(), answer.clone());
            }
            if let Some(k) = &shared {
                let mut flights = state.flights.lock().unwrap_or_else(|e| e.into_inner());
                if flights.get(k).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
                    flights.remove(k);
                }
            }
            let _ = send.send(Some(outcome));
        });
        waiting.outcome().await
    }

    /// Joins the analysis of the same question under way, or starts one (taking `client`'s
    /// place) that others asking the same will join.
    fn join_or_lead(&self, shared: Option<&(u64, String)>, client: Client) -> Result<Joined, AnswerError> {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(waiting) = shared.and_then(|k| Waiting::join(flights.get(k)?)) {
            return Ok(Joined::Waiting(waiting));
        }
        let slot = self.client_slot(client)?;
        let (send, outcome) = watch::channel(None);
        let flight = Arc::new(Flight {
            outcome,
            waiting: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
        });
        let waiting = Waiting::join(&flight).expect("a new flight has not been left");
        if let Some(k) = shared {
            flights.insert(k.clone(), flight.clone());
        }
        Ok(Joined::Leading {
            waiting,
            flight,
            slot,
            send,
        })
    }

    /// Waits for a permit, then renders on the blocking pool until done, abandoned or late.
    async fn analyse(
        self: &Arc<Self>,
        output: Output,
        snapshot: Arc<Snapshot>,
        query: CoverageQuestion,
        flight: &Arc<Flight>,
    ) -> Outcome {
        let permit = CoverageState::permit(self.analyses.clone(), self.wait).await?;
        let (state, flight, deadline) = (self.clone(), flight.clone(), self.deadline);
        let started = Instant::now();
        let rendered = tokio::task::spawn_blocking(move || {
            let _analysing = permit;
            let late = || started.elapsed() > deadline;
            let stop = || flight.abandoned.load(Ordering::Relaxed) || late();
            let answer = render_until(
                output,
                &snapshot,
                &query,
                state.boundaries.as_ref(),
                Timestamp::now(),
                stop,
            );
            (answer, late())
        })
        .await
        .map_err(|e| Shared::Failed(e.to_string()))?;
        match rendered {
            (Some(answer), _) => Ok(answer.into()),
            (None, true) => Err(Shared::TooSlow(deadline)),
            (None, false) => Err(Shared::Failed("nobody waits for the answer any more".into())),
        }
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
            state.answer(output, snapshot.clone(), query, Client::at(None))
        };
        let (json, csv) = (Output::Summary(Format::Json), Output::Summary(Format::Csv));
        let first = ask(json).await.unwrap();

        // Another analysis holds the only permit.
        let held = CoverageState::permit(state.analyses.clone(), Duration::ZERO)
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&ask(json).await.unwrap(), &first));
        match ask(csv).await {
            Err(AnswerError::Busy { retry_after_secs }) => assert_eq!(retry_after_secs, RETRY_AFTER_SECS),
            other => panic!("expected busy, got {other:?}"),
        }
        drop(held);
        assert!(ask(csv).await.unwrap().starts_with("code,name,fellowship,"));
    }

    fn question(km: f64) -> CoverageQuestion {
        QuestionSpec::within_km(km)
            .fellowships(crate::domain::Fellowship::parse("aa"))
            .area(crate::coverage::Level::Lad, "W06000006")
            .check()
            .unwrap()
    }

    /// Waits until `state` has an analysis under way for each of `n` questions.
    async fn flights(state: &CoverageState, n: usize) {
        for _ in 0..200 {
            if state.flights.lock().unwrap().len() == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("expected {n} analyses under way");
    }

    #[tokio::test]
    async fn the_same_question_asked_at_once_is_analysed_once() {
        let state = Arc::new(CoverageState::with_limit(None, 1, Duration::from_secs(10)));
        let snapshot = Arc::new(Snapshot::build(Vec::new()));
        let held = CoverageState::permit(state.analyses.clone(), Duration::ZERO)
            .await
            .unwrap();
        let ask = |client| {
            let (state, snapshot) = (state.clone(), snapshot.clone());
            tokio::spawn(async move {
                state
                    .answer(
                        Output::Summary(Format::Json),
                        snapshot,
                        question(5.0),
                        Client::at(Some(client)),
                    )
                    .await
            })
        };
        let first = ask([127, 0, 0, 1].into());
        flights(&state, 1).await;
        let second = ask([127, 0, 0, 2].into());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(state.flights.lock().unwrap().len(), 1, "one analysis for both");
        drop(held);
        let (first, second) = (first.await.unwrap().unwrap(), second.await.unwrap().unwrap());
        assert!(Arc::ptr_eq(&first, &second), "both were given the one answer");
    }

    #[tokio::test]
    async fn one_analysis_at_a_time_per_client() {
        let state = Arc::new(CoverageState::with_limit(None, 1, Duration::from_secs(10)));
        let snapshot = Arc::new(Snapshot::build(Vec::new()));
        let held = CoverageState::permit(state.analyses.clone(), Duration::ZERO)
            .await
            .unwrap();
        let (a, b) = (
            Client::at(Some([10, 0, 0, 1].into())),
            Client::at(Some([10, 0, 0, 2].into())),
        );
        assert_ne!(a, b);
        let first = {
            let (state, snapshot) = (state.clone(), snapshot.clone());
            tokio::spawn(async move {
                state
                    .answer(Output::Summary(Format::Json), snapshot, question(5.0), a)
                    .await
            })
        };
        flights(&state, 1).await;
        // The same client, another question: turned away at once.
        match state
            .answer(Output::Summary(Format::Json), snapshot.clone(), question(6.0), a)
            .await
        {
            Err(AnswerError::OneAtATime { retry_after_secs }) => {
                assert_eq!(retry_after_secs, RETRY_AFTER_SECS)
            }
            other => panic!("expected one at a time, got {other:?}"),
        }
        // Another client may ask it, and waits its turn.
        let other = {
            let (state, snapshot) = (state.clone(), snapshot.clone());
            tokio::spawn(async move {
                state
                    .answer(Output::Summary(Format::Json), snapshot, question(6.0), b)
                    .await
            })
        };
        flights(&state, 2).await;
        drop(held);
        first.await.unwrap().unwrap();
        other.await.unwrap().unwrap();
        // Done: the client may ask again.
        state
            .answer(Output::Summary(Format::Json), snapshot, question(6.0), a)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_analysis_nobody_waits_for_stops_and_one_past_its_deadline_is_given_up() {
        let state = Arc::new(CoverageState::with_limit(None, 1, Duration::from_secs(10)));
        let snapshot = Arc::new(Snapshot::build(Vec::new()));
        let held = CoverageState::permit(state.analyses.clone(), Duration::ZERO)
            .await
            .unwrap();
        let asking = {
            let (state, snapshot) = (state.clone(), snapshot.clone());
            tokio::spawn(async move {
                state
                    .answer(
                        Output::Summary(Format::Json),
                        snapshot,
                        question(5.0),
                        Client::at(None),
                    )
                    .await
            })
        };
        flights(&state, 1).await;
        let flight = state.flights.lock().unwrap().values().next().unwrap().clone();
        // The client hangs up: actix drops the request's future.
        asking.abort();
        let _ = asking.await;
        assert!(flight.abandoned.load(Ordering::SeqCst));
        drop(held);
        flights(&state, 0).await;
        assert!(
            state
                .recall(
                    snapshot.version(),
                    &CoverageState::key(Output::Summary(Format::Json), &question(5.0)).unwrap()
                )
                .is_none(),
            "not analysed"
        );
        assert!(
            state.clients.lock().unwrap().is_empty(),
            "the client's place is free"
        );

        let late = Arc::new(CoverageState::with_limit(None, 1, Duration::ZERO).with_deadline(Duration::ZERO));
        match late
            .answer(
                Output::Summary(Format::Json),
                snapshot,
                question(5.0),
                Client::at(None),
            )
            .await
        {
            Err(AnswerError::TooSlow(_)) => {}
            other => panic!("expected too slow, got {other:?}"),
        }
    }
}
