//! `/v1/handout`: a search as a printable page ([`crate::formats::handout`]).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{self, FilterParams, SearchParams};
use super::problem::responses::BadParams;
use super::problem::{ApiError, InvalidParam};
use super::search_response::page_offset;
use super::{cache, AppState};
use crate::formats::handout::{render, Freshness, Handout};
use crate::formats::html::SELF_CONTAINED_CSP;

/// What the hand-out adds to the search's own parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoutParams {
    /// `true` adds a page for the client to fill in by hand: the "Your mutual aid experience"
    /// journal (meetings to attend, reactions, benefits, disadvantages, contacts).
    #[param(value_type = Option<bool>)]
    journal: Option<String>,
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
    let with_journal = match extra.journal.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            errors.push(InvalidParam::new("journal", "must be true or false"));
            false
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

    let mut sources: BTreeMap<String, Freshness> = BTreeMap::new();
    for hit in page {
        let m = snapshot.meeting(hit.index);
        for s in std::iter::once(&m.source).chain(&m.also_listed_by) {
            sources.entry(s.id.clone()).or_insert_with(|| Freshness {
                name: s.name.clone(),
                attribution: s.attribution.clone(),
                last_success: None,
            });
        }
    }
    for (id, freshness) in sources.iter_mut() {
        freshness.last_success = state.directory.last_success(id).await?.map(|r| r.finished_at);
    }

    let out = render(&Handout {
        meetings: page
            .iter()
            .map(|hit| (snapshot.meeting(hit.index), hit.distance_km))
            .collect(),
        more,
        near: request.resolved.as_ref().map(|p| p.label.as_str()),
        sources: &sources,
        journal: with_journal,
        produced: Timestamp::now(),
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(cache::control(cache::REVALIDATE))
        // The page needs nothing from anywhere: forbid it all.
        .insert_header((header::CONTENT_SECURITY_POLICY, SELF_CONTAINED_CSP))
        .body(out))
}
