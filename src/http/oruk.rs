//! `/oruk/`: Open Referral UK (HSDS UK profile 3.0), for council and NHS service directories.
//! The mapping is [`crate::formats::oruk`]'s; this module reads the profile's parameters, picks
//! the page and answers with the profile's headers (`Access-Control-Allow-Origin: *` on every
//! response, as the profile requires, whatever origins the rest of the API allows).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use uuid::Uuid;

use super::geocode::resolve_near;
use super::params;
use super::problem::responses::BadParams;
use super::problem::{ApiError, InvalidParam, Problem};
use super::search_response::cached_json;
use super::AppState;
use crate::domain::{Attendance, Day, Fellowship, LocalTime};
use crate::formats::oruk::{self, Links, Term, Ways};
use crate::search::{Filter, Near, Query, Snapshot, Sort};

/// Items per page unless `per_page` says otherwise, and the most a page may hold.
const DEFAULT_PER_PAGE: usize = 50;
const MAX_PER_PAGE: u32 = 500;

/// With a `postcode` and no `proximity`, every meeting in a room, nearest first.
const WHOLE_EARTH_KM: f64 = 20_100.0;

/// The parameters of the profile's listings (each endpoint documents those it reads).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    #[param(value_type = Option<u32>, minimum = 1)]
    page: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    per_page: Option<String>,
}

/// The profile's service filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceFilterParams {
    /// Words that must all appear in the meeting's name, group, venue or town.
    search: Option<String>,
    /// Only services with this term (a fellowship or a meeting type; see `/oruk/taxonomy_terms`).
    taxonomy_term_id: Option<String>,
    /// Only services with a term of this taxonomy (see `/oruk/taxonomies`).
    taxonomy_id: Option<String>,
    /// Only services of this organization (a fellowship; see `/oruk/organizations`).
    organization_id: Option<String>,
    /// Only meetings on these days: `MO`..`SU`, `mon`..`sun` or full names, comma-separated.
    #[param(example = "MO,TU")]
    day: Option<String>,
    /// Only meetings starting at or after this local time (`HH:MM` or `HH:MM:SS`).
    #[param(example = "18:00")]
    start_time: Option<String>,
    /// Only meetings ending at or before this local time (`HH:MM` or `HH:MM:SS`).
    #[param(example = "21:00")]
    end_time: Option<String>,
    /// Accepted for the profile's clients: meetings state no age limits, so this narrows nothing.
    #[param(value_type = Option<f64>)]
    minimum_age: Option<String>,
    /// Accepted for the profile's clients: meetings state no age limits, so this narrows nothing.
    #[param(value_type = Option<f64>)]
    maximum_age: Option<String>,
}

/// Where to search around, for `/oruk/service_at_locations`.
// Read through `AllParams`; this struct documents them.
#[allow(dead_code)]
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProximityParams {
    /// A UK postcode (or sector, district or place name): only meetings in a room, nearest first.
    #[param(example = "LL11 1AA")]
    postcode: Option<String>,
    /// With `postcode`: only meetings within this many metres of it.
    #[param(value_type = Option<f64>, example = "5000")]
    proximity: Option<String>,
}

/// Every parameter of the service listings, read flat (the documented groups above are for the
/// OpenAPI document).
#[derive(Debug, Default, Deserialize)]
struct AllParams {
    page: Option<String>,
    per_page: Option<String>,
    search: Option<String>,
    taxonomy_term_id: Option<String>,
    taxonomy_id: Option<String>,
    organization_id: Option<String>,
    day: Option<String>,
    start_time: Option<String>,
    end_time: Option<String>,
    minimum_age: Option<String>,
    maximum_age: Option<String>,
    postcode: Option<String>,
    proximity: Option<String>,
}

impl AllParams {
    fn list(&self) -> ListParams {
        ListParams {
            page: self.page.clone(),
            per_page: self.per_page.clone(),
        }
    }

    fn filter(&self) -> ServiceFilterParams {
        ServiceFilterParams {
            search: self.search.clone(),
            taxonomy_term_id: self.taxonomy_term_id.clone(),
            taxonomy_id: self.taxonomy_id.clone(),
            organization_id: self.organization_id.clone(),
            day: self.day.clone(),
            start_time: self.start_time.clone(),
            end_time: self.end_time.clone(),
            minimum_age: self.minimum_age.clone(),
            maximum_age: self.maximum_age.clone(),
        }
    }
}

/// Which page, read from `page` and `per_page`.
struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    fn read(params: &ListParams, errors: &mut Vec<InvalidParam>) -> Paging {
        let page = params::whole(errors, "page", params.page.as_deref(), 1_000_000).unwrap_or(1);
        let per_page = params::whole(errors, "per_page", params.per_page.as_deref(), MAX_PER_PAGE)
            .map_or(DEFAULT_PER_PAGE, |n| n as usize);
        Paging {
            page: page as usize,
            per_page,
        }
    }

    /// The page of `items` asked for, in the profile's envelope.
    fn envelope<T>(&self, items: &[T], render: impl Fn(&T) -> Vec<Value>) -> Value {
        let start = (self.page - 1).saturating_mul(self.per_page);
        let contents: Vec<Value> = items
            .iter()
            .skip(start)
            .take(self.per_page)
            .flat_map(render)
            .collect();
        oruk::page(contents, items.len(), self.page, self.per_page)
    }
}

fn parse_uuid(errors: &mut Vec<InvalidParam>, name: &str, text: Option<&str>) -> Option<Uuid> {
    let text = text?;
    let id = text.trim().parse::<Uuid>().ok();
    if id.is_none() {
        errors.push(InvalidParam::new(name, format!("must be a UUID, not `{text}`")));
    }
    id
}

fn parse_time(errors: &mut Vec<InvalidParam>, name: &str, text: Option<&str>) -> Option<LocalTime> {
    let text = text?.trim();
    let hm = text.strip_suffix(":00").filter(|t| t.len() == 5).unwrap_or(text);
    let time = LocalTime::parse(hm);
    if time.is_none() {
        errors.push(InvalidParam::new(
            name,
            format!("must be a time such as 19:30, not `{text}`"),
        ));
    }
    time
}

fn parse_days(errors: &mut Vec<InvalidParam>, text: Option<&str>) -> Vec<Day> {
    let Some(text) = text else { return Vec::new() };
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let two = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
            .iter()
            .position(|d| d.eq_ignore_ascii_case(part))
            .and_then(|i| Day::from_index(i as u8));
        match two.or_else(|| Day::parse(part)) {
            Some(day) => days.push(day),
            None => errors.push(InvalidParam::new(
                "day",
                format!("must be days such as MO or monday, comma-separated; `{part}` is not one"),
            )),
        }
    }
    days
}

/// What the service filters ask for.
struct Wanted {
    filter: Filter,
    /// The latest end time they allow.
    end: Option<LocalTime>,
    /// They contradict each other (one fellowship's term, another's organization): nothing matches.
    nothing: bool,
}

/// Reads the service filters.
fn filter(params: &ServiceFilterParams, errors: &mut Vec<InvalidParam>) -> Wanted {
    let mut nothing = false;
    let mut filter = Filter::default().attendance(Attendance::ALL);
    let mut fellowships: Vec<Fellowship> = Vec::new();
    let mut types = Vec::new();
    if let Some(id) = parse_uuid(errors, "taxonomy_term_id", params.taxonomy_term_id.as_deref()) {
        match Term::find(id) {
            Some(Term::Fellowship(f)) => fellowships.push(f),
            Some(Term::Type(t)) => types.push(t),
            None => errors.push(InvalidParam::new(
                "taxonomy_term_id",
                "is not a term of /oruk/taxonomy_terms",
            )),
        }
    }
    if let Some(id) = parse_uuid(errors, "taxonomy_id", params.taxonomy_id.as_deref()) {
        if oruk::find_taxonomy(id).is_none() {
            errors.push(InvalidParam::new(
                "taxonomy_id",
                "is not a taxonomy of /oruk/taxonomies",
            ));
        }
        // Every service has a fellowship term and most have type terms: a taxonomy narrows
        // nothing further, but an unknown one is refused rather than ignored.
    }
    if let Some(id) = parse_uuid(errors, "organization_id", params.organization_id.as_deref()) {
        match Fellowship::all().find(|f| oruk::organization_id(*f) == id) {
            Some(f) if fellowships.iter().all(|&g| g == f) => fellowships = vec![f],
            // Another fellowship's term and this organization: nothing can match both.
            Some(_) => nothing = true,
            None => errors.push(InvalidParam::new(
                "organization_id",
                "is not an organization of /oruk/organizations",
            )),
        }
    }
    for (name, text) in [
        ("minimum_age", &params.minimum_age),
        ("maximum_age", &params.maximum_age),
    ] {
        if let Some(text) = text {
            if !text
                .trim()
                .parse::<f64>()
                .is_ok_and(|n| n.is_finite() && n >= 0.0)
            {
                errors.push(InvalidParam::new(
                    name,
                    format!("must be an age in years, not `{text}`"),
                ));
            }
        }
    }
    let days = parse_days(errors, params.day.as_deref());
    let start = parse_time(errors, "start_time", params.start_time.as_deref());
    let end = parse_time(errors, "end_time", params.end_time.as_deref());
    if !fellowships.is_empty() {
        filter = filter.fellowships(fellowships);
    }
    if !types.is_empty() {
        filter = filter.types(types);
    }
    if !days.is_empty() {
        filter = filter.days(days);
    }
    if start.is_some() {
        filter = filter.start_between(start, None);
    }
    if let Some(text) = &params.search {
        filter = filter.text(text);
    }
    Wanted { filter, end, nothing }
}

/// The indexes of the meetings a query matches, in its order, and ending by `end` when given.
fn matching(snapshot: &Snapshot, query: &Query, end: Option<LocalTime>, nothing: bool) -> Vec<u32> {
    if nothing {
        return Vec::new();
    }
    let (hits, _) = snapshot.search(query, usize::MAX);
    hits.into_iter()
        .map(|h| h.index)
        .filter(|&i| {
            end.is_none_or(|end| {
                snapshot
                    .end_minute(i)
                    .is_some_and(|minute| minute <= end.minutes())
            })
        })
        .collect()
}

/// The server's address as the client reached it.
fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// A JSON answer following the directory, readable from any origin.
fn answer(req: &HttpRequest, snapshot: &Snapshot, body: impl FnOnce() -> Value) -> HttpResponse {
    // Links in the body name the host the client asked: one answer per host.
    let variant = format!("oruk@{}", base(req));
    let mut response = cached_json(req, snapshot, &variant, || body().to_string());
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

/// Service and service_at_location UUIDs of a snapshot's meetings, made once per snapshot (a UUID v5 is a SHA-1: a
/// lookup by id should not hash the whole directory).
fn service_index(snapshot: &Snapshot) -> Arc<HashMap<Uuid, u32>> {
    type ByUuid = Arc<HashMap<Uuid, u32>>;
    static CACHE: Mutex<Option<(u64, ByUuid)>> = Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((version, index)) = cache.as_ref() {
        if *version == snapshot.version() {
            return index.clone();
        }
    }
    // Services' and services at locations' ids alike: UUIDs of different kinds never collide.
    let index: Arc<HashMap<Uuid, u32>> = Arc::new(
        snapshot
            .meetings()
            .enumerate()
            .flat_map(|(i, m)| {
                std::iter::once(oruk::service_id(&m.id))
                    .chain(oruk::service_at_location_ids(&m))
                    .map(move |id| (id, i as u32))
                    .collect::<Vec<_>>()
            })
            .collect(),
    );
    *cache = Some((snapshot.version(), index.clone()));
    index
}

/// About this API.
///
/// The HSDS version (`HSDS-UK-3.0`), the profile, and where the OpenAPI document is.
#[utoipa::path(
    tag = "Open Referral UK",
    responses((status = 200, description = "`version`, `profile` and `openapi_url`", body = Object))
)]
#[get("/oruk/")]
pub async fn api_info(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.directory.snapshot();
    let openapi = format!("{}/openapi.json", base(&req));
    answer(&req, &snapshot, || oruk::api_info(&openapi))
}

/// Services: one per meeting.
///
/// The profile's paged list of services with their one-to-one fields and organization (the
/// fellowship), in the directory's time order (day, start time, name). Meetings merged as
/// duplicates of another are listed once.
#[utoipa::path(
    tag = "Open Referral UK",
    params(ListParams, ServiceFilterParams),
    responses(
        (status = 200, description = "A page of services (UK profile `service_list` items)", body = Object),
        BadParams,
    )
)]
#[get("/oruk/services")]
pub async fn services(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let mut errors = Vec::new();
    let query: AllParams = params::parse_own(req.query_string(), &mut errors)?;
    for (name, given) in [("postcode", &query.postcode), ("proximity", &query.proximity)] {
        if given.is_some() {
            errors.push(InvalidParam::new(
                name,
                "is a parameter of /oruk/service_at_locations, not of this endpoint",
            ));
        }
    }
    let paging = Paging::read(&query.list(), &mut errors);
    let wanted = filter(&query.filter(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidParams(errors));
    }
    let base = base(&req);
    let links = Links { base: &base };
    let search = Query {
        filter: wanted.filter,
        near: None,
        sort: Sort::Time,
    };
    Ok(answer(&req, &snapshot, || {
        let found = matching(&snapshot, &search, wanted.end, wanted.nothing);
        paging.envelope(&found, |&i| {
            vec![oruk::service_summary(&snapshot.meeting(i), links)]
        })
    }))
}

/// One service, fully nested.
///
/// The meeting with its organization, schedule, locations (its room with the address, and/or
/// how to join online), languages and taxonomy terms.
#[utoipa::path(
    tag = "Open Referral UK",
    params(("id" = String, Path, description = "Service UUID")),
    responses(
        (status = 200, description = "The service (UK profile `service`)", body = Object),
        (status = 404, description = "No service with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oruk/services/{id}")]
pub async fn service(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let not_found = || ApiError::NotFound(format!("no service has id `{id}`"));
    let uuid = id.trim().parse::<Uuid>().map_err(|_| not_found())?;
    let index = *service_index(&snapshot).get(&uuid).ok_or_else(not_found)?;
    if oruk::service_id(&snapshot.meeting(index).id) != uuid {
        return Err(not_found());
    }
    let base = base(&req);
    Ok(answer(&req, &snapshot, || {
        oruk::service_full(&snapshot.meeting(index), Links { base: &base })
    }))
}

/// Services at locations: each way to attend a meeting.
///
/// A meeting in a room is listed at its location; an online one at a `virtual` location saying
/// how to join; a hybrid one at both. With `postcode`, only meetings in a room, nearest first
/// (within `proximity` metres when given).
#[utoipa::path(
    tag = "Open Referral UK",
    params(ListParams, ServiceFilterParams, ProximityParams),
    responses(
        (status = 200, description = "A page of services at locations (UK profile `service_at_location_list` items)", body = Object),
        BadParams,
    )
)]
#[get("/oruk/service_at_locations")]
pub async fn service_at_locations(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let mut errors = Vec::new();
    let query: AllParams = params::parse_own(req.query_string(), &mut errors)?;
    let paging = Paging::read(&query.list(), &mut errors);
    let wanted = filter(&query.filter(), &mut errors);
    let mut filter = wanted.filter;
    let proximity_km = match query.proximity.as_deref() {
        Some(text) => match text.trim().parse::<f64>() {
            Ok(m) if m.is_finite() && m > 0.0 && m <= WHOLE_EARTH_KM * 1000.0 => {
                if query.postcode.is_none() {
                    errors.push(InvalidParam::new("proximity", "needs a postcode to measure from"));
                }
                Some(m / 1000.0)
            }
            _ => {
                errors.push(InvalidParam::new(
                    "proximity",
                    format!("must be a distance in metres, more than 0, not `{text}`"),
                ));
                None
            }
        },
        None => None,
    };
    let mut postcode_errors = Vec::new();
    let place = resolve_near(&state.geo, query.postcode.as_deref(), &mut postcode_errors).await;
    errors.extend(
        postcode_errors
            .into_iter()
            .map(|e| InvalidParam::new("postcode", e.reason)),
    );
    if !errors.is_empty() {
        return Err(ApiError::InvalidParams(errors));
    }
    let near = place.map(|p| Near {
        lat: p.lat,
        lon: p.lon,
        radius_km: proximity_km.unwrap_or(WHOLE_EARTH_KM),
    });
    let ways = if near.is_some() {
        // Around a postcode: rooms only, so a hybrid meeting is still found by its room.
        filter = filter.attendance([Attendance::InPerson, Attendance::Hybrid]);
        Ways::Physical
    } else {
        Ways::All
    };
    let sort = if near.is_some() {
        Sort::Distance
    } else {
        Sort::Time
    };
    let search = Query { filter, near, sort };
    let base = base(&req);
    let links = Links { base: &base };
    Ok(answer(&req, &snapshot, || {
        // Paged by meeting, then each meeting's ways to attend: a page never splits one.
        let found = matching(&snapshot, &search, wanted.end, wanted.nothing);
        let items: Vec<(u32, usize)> = found
            .iter()
            .flat_map(|&i| {
                let m = snapshot.meeting(i);
                let physical = usize::from(m.location.is_some());
                let remote = usize::from(ways == Ways::All && m.attendance.is_remote());
                (0..physical + remote).map(move |k| (i, k))
            })
            .collect();
        paging.envelope(&items, |&(i, k)| {
            oruk::service_at_locations(&snapshot.meeting(i), links, ways)
                .into_iter()
                .skip(k)
                .take(1)
                .collect()
        })
    }))
}

/// Organizations: the fellowships that have meetings here.
#[utoipa::path(
    tag = "Open Referral UK",
    params(ListParams),
    responses(
        (status = 200, description = "A page of organizations (UK profile `organization_list` items)", body = Object),
        BadParams,
    )
)]
#[get("/oruk/organizations")]
pub async fn organizations(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let paging = list_paging(&req)?;
    let listed: Vec<Fellowship> = Fellowship::all().filter(|&f| snapshot.lists(f)).collect();
    Ok(answer(&req, &snapshot, || {
        paging.envelope(&listed, |&f| vec![oruk::organization(f)])
    }))
}

/// The paging of a plain list (`page`, `per_page` and nothing else), or a 400 naming each bad
/// parameter: what the organization and taxonomy lists take.
fn list_paging(req: &HttpRequest) -> Result<Paging, ApiError> {
    let mut errors = Vec::new();
    let query: ListParams = params::parse_own(req.query_string(), &mut errors)?;
    let paging = Paging::read(&query, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::InvalidParams(errors));
    }
    Ok(paging)
}

/// One organization (a fellowship).
#[utoipa::path(
    tag = "Open Referral UK",
    params(("id" = String, Path, description = "Organization UUID")),
    responses(
        (status = 200, description = "The organization (UK profile `organization`)", body = Object),
        (status = 404, description = "No organization with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oruk/organizations/{id}")]
pub async fn organization(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let found = id
        .trim()
        .parse::<Uuid>()
        .ok()
        .and_then(|uuid| Fellowship::all().find(|&f| oruk::organization_id(f) == uuid))
        .filter(|&f| snapshot.lists(f))
        .ok_or_else(|| ApiError::NotFound(format!("no organization has id `{id}`")))?;
    Ok(answer(&req, &snapshot, || oruk::organization(found)))
}

/// Taxonomies: fellowships, and meeting types.
#[utoipa::path(
    tag = "Open Referral UK",
    params(ListParams),
    responses((status = 200, description = "A page of taxonomies", body = Object), BadParams)
)]
#[get("/oruk/taxonomies")]
pub async fn taxonomies(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let paging = list_paging(&req)?;
    Ok(answer(&req, &snapshot, || {
        paging.envelope(&oruk::taxonomies(), |t| vec![t.clone()])
    }))
}

/// Taxonomy terms: every fellowship and meeting type, as `taxonomy_term_id` filters name them.
#[utoipa::path(
    tag = "Open Referral UK",
    params(ListParams),
    responses((status = 200, description = "A page of taxonomy terms", body = Object), BadParams)
)]
#[get("/oruk/taxonomy_terms")]
pub async fn taxonomy_terms(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let paging = list_paging(&req)?;
    Ok(answer(&req, &snapshot, || {
        paging.envelope(&oruk::taxonomy_terms(), |t| vec![t.clone()])
    }))
}

/// One taxonomy.
#[utoipa::path(
    tag = "Open Referral UK",
    params(("id" = String, Path, description = "Taxonomy UUID")),
    responses(
        (status = 200, description = "The taxonomy", body = Object),
        (status = 404, description = "No taxonomy with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oruk/taxonomies/{id}")]
pub async fn taxonomy(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let found = oruk::taxonomies()
        .into_iter()
        .find(|t| t["id"].as_str() == Some(id.trim()))
        .ok_or_else(|| ApiError::NotFound(format!("no taxonomy has id `{id}`")))?;
    Ok(answer(&req, &snapshot, || found))
}

/// One taxonomy term.
#[utoipa::path(
    tag = "Open Referral UK",
    params(("id" = String, Path, description = "Taxonomy term UUID")),
    responses(
        (status = 200, description = "The taxonomy term", body = Object),
        (status = 404, description = "No taxonomy term with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oruk/taxonomy_terms/{id}")]
pub async fn taxonomy_term(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let term = id
        .trim()
        .parse::<Uuid>()
        .ok()
        .and_then(Term::find)
        .ok_or_else(|| ApiError::NotFound(format!("no taxonomy term has id `{id}`")))?;
    Ok(answer(&req, &snapshot, || oruk::taxonomy_term(term)))
}

/// One service at a location, fully nested: the location, and the service with its schedule.
#[utoipa::path(
    tag = "Open Referral UK",
    params(("id" = String, Path, description = "Service at location UUID")),
    responses(
        (status = 200, description = "The service at location (UK profile `service_at_location`)", body = Object),
        (status = 404, description = "No service at location with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/oruk/service_at_locations/{id}")]
pub async fn service_at_location(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let not_found = || ApiError::NotFound(format!("no service at location has id `{id}`"));
    let uuid = id.trim().parse::<Uuid>().map_err(|_| not_found())?;
    let index = *service_index(&snapshot).get(&uuid).ok_or_else(not_found)?;
    let base = base(&req);
    let found = oruk::service_at_location_full(&snapshot.meeting(index), Links { base: &base }, uuid)
        .ok_or_else(not_found)?;
    Ok(answer(&req, &snapshot, || found))
}
