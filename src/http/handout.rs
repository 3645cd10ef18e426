//! `/v1/handout`: a search as a printable page ([`crate::formats::handout`]), and `/handout`, the
//! form that builds one ([`crate::formats::handout_form`]).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{self, FilterParams, SearchParams, SearchRequest};
use super::problem::responses::BadParams;
use super::problem::{ApiError, InvalidParam};
use super::search_response::page_offset;
use super::{cache, AppState};
use crate::domain::{helpline, round_km, Day, Fellowship, LocalTime, Meeting};
use crate::formats::handout::{render, Freshness, GettingThere, Handout, Listed, Paper};
use crate::formats::handout_form::{self as form, Prefill, FORM_CSP};
use crate::formats::html::SELF_CONTAINED_CSP;
use crate::search::Hit;
use crate::travel::{page_travel, Method, Mode, TravelRequest};

/// What the hand-out adds to the search's own parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoutParams {
    /// `true` adds a page for the client to fill in by hand: the "Your mutual aid experience"
    /// journal (meetings to attend, reactions, benefits, disadvantages, contacts).
    #[param(value_type = Option<bool>)]
    journal: Option<String>,
    /// `true` adds the "choosing a group" sheet (what to weigh when picking a first meeting).
    #[param(value_type = Option<bool>)]
    choosing: Option<String>,
    /// `a4` (default) or `letter`: the paper the page is laid out for.
    #[param(value_type = Option<String>)]
    paper: Option<String>,
}

fn flag(errors: &mut Vec<InvalidParam>, name: &str, value: Option<&str>) -> bool {
    match value.map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(InvalidParam::new(name, "must be true or false"));
            false
        }
    }
}

/// "10:00"-style times as words a reader expects: "evenings" for 17:00 onwards.
fn time_of_day(after: Option<LocalTime>, before: Option<LocalTime>) -> Option<String> {
    let hm = |h| LocalTime::from_hm(h, 0);
    match (after, before) {
        (None, None) => None,
        (Some(a), None) if Some(a) == hm(17) => Some("evenings".into()),
        (None, Some(b)) if Some(b) == hm(12) => Some("mornings".into()),
        (Some(a), Some(b)) if Some(a) == hm(12) && Some(b) == hm(17) => Some("afternoons".into()),
        (Some(a), None) => Some(format!("starting from {a}")),
        (None, Some(b)) => Some(format!("starting by {b}")),
        (Some(a), Some(b)) => Some(format!("starting {a} to {b}")),
    }
}

/// The search in words, for the top of the page.
fn describe(request: &SearchRequest) -> String {
    let filter = &request.query.filter;
    let mut parts = Vec::new();
    let fellowships = filter.wanted_fellowships();
    parts.push(if fellowships.is_empty() {
        "all fellowships".to_string()
    } else {
        fellowships
            .iter()
            .map(|f| f.info().name)
            .collect::<Vec<_>>()
            .join(" or ")
    });
    let days = filter.wanted_days();
    if !days.is_empty() {
        parts.push(format!(
            "on {}",
            days.iter().map(|d| d.full_name()).collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some(t) = time_of_day(filter.start_after, filter.start_before) {
        parts.push(t);
    }
    match (request.travel, request.query.near) {
        (
            Some(TravelRequest {
                mode,
                max_minutes: Some(max),
            }),
            _,
        ) => {
            let by = match mode {
                Mode::Walk => "on foot",
                Mode::Cycle => "by bike",
                Mode::Drive => "by car",
                Mode::Transit => "by public transport",
            };
            parts.push(format!("within {max} min {by} (estimate)"));
        }
        (_, Some(near)) => parts.push(format!("within {} km", round_km(near.radius_km))),
        _ => {}
    }
    parts.join(", ")
}

/// A printable hand-out of a search.
///
/// Self-contained HTML (no scripts or external requests) with a print stylesheet: each meeting's
/// group name, summary description, when & where, and contact details, then the date the page
/// was produced and, for each source of the listed meetings, its last successful import. Takes
/// the same filters as `/v1/meetings` (up to `limit` meetings, default 50); `journal=true` adds
/// a blank client journal page.
#[utoipa::path(
    tag = "exports",
    params(FilterParams, SearchParams, HandoutParams),
    responses(
        (status = 200, description = "A printable HTML page", body = String, content_type = "text/html"),
        BadParams,
    )
)]
#[get("/v1/handout")]
pub async fn handout(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let mut errors = Vec::new();
    let (search, extra, fingerprint) = params::parse::<HandoutParams>(req.query_string(), &mut errors)?;
    let with_journal = flag(&mut errors, "journal", extra.journal.as_deref());
    let choosing = flag(&mut errors, "choosing", extra.choosing.as_deref());
    let paper = match extra.paper.as_deref().map(str::trim) {
        None | Some("a4") => Paper::A4,
        Some("letter") => Paper::Letter,
        Some(_) => {
            errors.push(InvalidParam::new("paper", "must be a4 or letter"));
            Paper::A4
        }
    };
    let request = search.check(errors, fingerprint, &state.geo).await?;
    let snapshot = state
        .directory
        .catch_up_to(request.cursor.map(|c| c.snapshot), snapshot)
        .await;
    let offset = page_offset(&request, &snapshot)?;
    let (hits, more) = snapshot.search(&request.query, offset.saturating_add(request.limit));
    let page = hits.get(offset..).unwrap_or_default();
    // Temporarily closed meetings are left out, as the finder hides them; the page says how many.
    let (closed, page): (Vec<&Hit>, Vec<&Hit>) = page.iter().partition(|hit| !snapshot.is_active(hit.index));
    let stops: Vec<(u32, Option<f64>)> = page.iter().map(|h| (h.index, h.distance_km)).collect();
    // Routed times for the asked mode when a router is configured (and the time limit checked
    // against them); the other modes are estimates.
    let routed = page_travel(&state.geo, request.travel, &request.query, &snapshot, &stops).await;

    // Parsed once: the sources, the listing and the page links read them.
    let parsed: Vec<Meeting> = page.iter().map(|h| snapshot.meeting(h.index)).collect();
    let mut sources: BTreeMap<String, Freshness> = BTreeMap::new();
    for m in &parsed {
        for s in std::iter::once(&m.source).chain(&m.also_listed_by) {
            sources.entry(s.id.clone()).or_insert_with(|| Freshness {
                name: s.name.clone(),
                attribution: s.attribution.clone(),
                last_success: None,
                feed_date: None,
            });
        }
    }
    for (id, freshness) in sources.iter_mut() {
        let run = state.directory.last_success(id).await?;
        freshness.last_success = run.as_ref().map(|r| r.finished_at);
        // Recorded at import; older runs recorded only the HTTP date.
        freshness.feed_date = run.and_then(|r| {
            r.feed_date
                .or_else(|| crate::domain::feed_date(r.last_modified.as_deref(), None))
        });
    }

    let asked = request.query.filter.wanted_fellowships();
    let missing: Vec<Fellowship> = asked.iter().copied().filter(|&f| !snapshot.lists(f)).collect();
    // The asked fellowships' contacts, or those of the fellowships on the page.
    let mut shown: Vec<Fellowship> = if asked.is_empty() {
        page.iter().map(|h| snapshot.fellowship(h.index)).collect()
    } else {
        asked.clone()
    };
    shown.sort();
    shown.dedup();

    // The meeting pages' links use the host the page was asked of, so a print made from a local
    // copy points at that copy.
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let meetings = page
        .iter()
        .zip(&parsed)
        .zip(&routed.times)
        .zip(&routed.keep)
        .filter(|(_, keep)| **keep)
        .map(|(((hit, meeting), time), _)| {
            let getting_there = hit.distance_km.map(|d| {
                let estimated = GettingThere::estimate(d);
                match time {
                    Some(t) if t.method == Method::Osrm => estimated.with(*t),
                    _ => estimated,
                }
            });
            Listed {
                // The page for people: a phone scanning the code opens it directly.
                page_url: Some(format!("{base}{}", super::pages::meeting_path(&meeting.id))),
                meeting,
                distance_km: hit.distance_km,
                getting_there,
            }
        })
        .collect();
    let out = render(&Handout {
        meetings,
        more,
        near: request.resolved.as_ref().map(|p| p.label.as_str()),
        search: describe(&request),
        missing,
        closed: closed.len(),
        helplines: shown.into_iter().filter_map(helpline).collect(),
        sources: &sources,
        journal: with_journal,
        choosing,
        paper,
        produced: Timestamp::now(),
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(cache::control(cache::REVALIDATE))
        // The page needs nothing from anywhere: forbid it all.
        .insert_header((header::CONTENT_SECURITY_POLICY, SELF_CONTAINED_CSP))
        .body(out))
}

/// The hand-out builder: a form for the hand-out's search and options.
///
/// Server-rendered HTML that works without JavaScript and submits to `/v1/handout`. It takes the
/// search's parameters (`near`, `fellowship`, `day`, `start_after`, `start_before`, `mode`,
/// `max_minutes`) to start pre-filled; values it cannot read are left blank rather than refused,
/// as the page is a form to correct them in. Fellowships with no meetings in the directory are
/// shown disabled, marked "no data".
#[utoipa::path(
    tag = "exports",
    params(
        ("near" = Option<String>, Query, description = "Postcode or place to start with"),
        ("fellowship" = Option<String>, Query, description = "Fellowships ticked at first, comma-separated"),
        ("day" = Option<String>, Query, description = "Weekdays ticked at first (`sun`..`sat`)"),
        ("start_after" = Option<String>, Query, description = "`HH:MM` chosen at first"),
        ("start_before" = Option<String>, Query, description = "`HH:MM` chosen at first"),
        // Text, not the enum and number they usually hold: the form takes anything and leaves
        // what it cannot read blank (a form is where a bad value is corrected), so the contract
        // must not promise a refusal that never comes.
        ("mode" = Option<String>, Query, description = "`walk`, `cycle`, `drive` or `transit`; anything else is left blank"),
        ("max_minutes" = Option<String>, Query, description = "Travel time limit chosen at first, in whole minutes; anything else is left blank"),
    ),
    responses(
        (status = 200, description = "An HTML form", body = String, content_type = "text/html"),
    )
)]
#[get("/handout")]
pub async fn handout_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let mut prefill = Prefill::default();
    let values = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect()
    };
    let first = |name: &str| values(name).into_iter().next().unwrap_or_default();
    prefill.near = first("near");
    prefill.fellowships = values("fellowship")
        .iter()
        .filter_map(|v| Fellowship::parse(v))
        .collect();
    prefill.days = values("day").iter().filter_map(|v| Day::parse(v)).collect();
    prefill.start_after = first("start_after");
    prefill.start_before = first("start_before");
    prefill.mode = Mode::parse(&first("mode"));
    prefill.max_minutes = first("max_minutes").parse().ok();
    let snapshot = state.directory.snapshot();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(cache::control(cache::REVALIDATE))
        .insert_header((header::CONTENT_SECURITY_POLICY, FORM_CSP))
        .body(form::render(&prefill, &|f| snapshot.lists(f)))
}
