//! Choosing a representation by `format=` or `Accept` ([`negotiate`]), and paging it by `Link`.
//! The representations themselves are [`crate::formats`]' (GeoJSON and CSV: [`crate::formats::tables`]).

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::ApiError;
use crate::formats::Format;

/// `format`, for endpoints with other representations.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json` (default), `geojson` or `csv` (and `ics` on `/v1/meetings`); overrides `Accept`
    /// (`application/json`, `application/geo+json`, `text/csv`, `text/calendar`). Anything else is
    /// a 406.
    #[param(schema_with = super::params::meeting_formats, example = "csv")]
    pub format: Option<String>,
}

/// Picks the representation from `format`, else from `Accept` (the first acceptable media range
/// in order of preference); 406 when neither names one the endpoint has.
pub fn negotiate(req: &HttpRequest, format: Option<&str>, offered: &[Format]) -> Result<Format, ApiError> {
    let names = || offered.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
    if let Some(text) = format {
        let wanted = text.trim().to_ascii_lowercase();
        return offered
            .iter()
            .copied()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| {
                ApiError::NotAcceptable(format!(
                    "format `{text}` is not available here; available: {}",
                    names()
                ))
            });
    }
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(Format::Json);
    };
    let mut ranges: Vec<(f32, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse().ok()))
                .next()
                .unwrap_or(1.0f32);
            (q > 0.0 && !media.is_empty()).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in &ranges {
        if media == "*/*" || media == "application/*" || media == "application/problem+json" {
            return Ok(Format::Json);
        }
        if let Some(f) = offered.iter().copied().find(|f| f.media_type() == media) {
            return Ok(f);
        }
        if media == "text/*" {
            if let Some(f) = offered
                .iter()
                .copied()
                .find(|f| f.media_type().starts_with("text/"))
            {
                return Ok(f);
            }
        }
    }
    Err(ApiError::NotAcceptable(format!(
        "none of the media types in Accept (`{accept}`) is available here; available formats: {}",
        names()
    )))
}

/// `Link: <...>; rel="next"` for the next page, so CSV (which has no `next` field) can be paged.
pub fn add_next_link(req: &HttpRequest, next: Option<&str>, response: &mut actix_web::HttpResponse) {
    let Some(next) = next else { return };
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor");
    pairs.push(("cursor".into(), next.into()));
    let Ok(query) = serde_urlencoded::to_string(&pairs) else {
        return;
    };
    let link = format!("<{}?{query}>; rel=\"next\"", req.path());
    if let Ok(value) = header::HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, value);
    }
}
