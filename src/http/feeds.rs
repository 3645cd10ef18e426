//! `/v1/feeds/meeting-guide.json`: the directory as a Meeting Guide feed
//! ([`crate::formats::meeting_guide::write`]), for TSML UI, the Meeting Guide app and aggregators.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{self, FilterParams, SearchParams};
use super::problem::responses::BadParams;
use super::problem::{ApiError, InvalidParam};
use super::search_response::cached_json;
use super::AppState;
use crate::domain::Meeting;
use crate::formats::meeting_guide;

/// What the feed adds to the search's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// Only meetings from this source (see `/v1/sources`), or also listed by it.
    #[param(example = "uk-rmf")]
    source: Option<String>,
}

/// The page of a meeting for people, on the host the feed was asked of.
pub fn meeting_page(req: &HttpRequest) -> impl Fn(&Meeting) -> Option<String> {
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    move |m: &Meeting| Some(format!("{base}{}", super::pages::meeting_path(&m.id)))
}

/// A Meeting Guide feed.
///
/// The meetings of a search as a bare JSON array in the Meeting Guide format
/// (code4recovery/spec), as TSML UI (`data-src`), the Meeting Guide app and other aggregators
/// read it: a unique slug of at most 64 characters per meeting, `day` 0-6 (0 = Sunday), `time`
/// and `end_time`, the IANA `timezone`, `updated` in UTC, spec type codes only, `approximate:
/// "no"` with coordinates for real venues and an approximate address for online-only meetings,
/// `conference_url` only on the video services TSML UI accepts (other links are the `website`).
///
/// Takes the search filters (`fellowship`, `near` with `radius_km`, `day`...), and `source`;
/// every kind of attendance unless `attendance` is given; no paging. Parameters it does not know
/// are ignored, since Meeting Guide clients add their own (TSML UI appends `?<timestamp>`).
/// Meeting Guide types mean different things per fellowship: a feed per fellowship
/// (`?fellowship=na`) is what a fellowship's finder should be given.
#[utoipa::path(
    tag = "Meeting Guide",
    params(FilterParams, SearchParams, FeedParams),
    responses(
        (status = 200, description = "A Meeting Guide feed (a bare array)", body = Vec<Object>),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        BadParams,
    )
)]
#[get("/v1/feeds/meeting-guide.json")]
pub async fn meeting_guide_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.directory.snapshot();
    let (search, FeedParams { source }, fingerprint) =
        params::parse_lenient::<FeedParams>(req.query_string())?;
    let search: SearchParams = search.every_attendance_unless_asked();
    if let Some(source) = &source {
        if !state.sources.iter().any(|s| &s.id == source) && !snapshot.sources().any(|(s, _)| &s.id == source)
        {
            return Err(ApiError::InvalidParams(vec![InvalidParam::new(
                "source",
                format!("no source has id `{source}` (see /v1/sources)"),
            )]));
        }
    }
    let request = search.check(Vec::new(), fingerprint, &state.geo).await?;
    let (hits, _) = snapshot.search(&request.query, snapshot.len());
    let page = meeting_page(&req);
    Ok(cached_json(&req, &snapshot, "meeting-guide", || {
        let meetings: Vec<_> = hits.iter().map(|h| snapshot.meeting(h.index)).collect();
        meeting_guide::write(
            meetings.iter().filter(|m| {
                source
                    .as_ref()
                    .is_none_or(|s| &m.source.id == s || m.also_listed_by.iter().any(|a| &a.id == s))
            }),
            page,
        )
    }))
}
