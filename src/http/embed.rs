//! The embeddable finder: `/embed.js`, which any web page can load with one script tag to show
//! this week's meetings near a place, and `/embed`, a page that runs the same script for sites
//! that would rather use an iframe.
//!
//! The script (`embed/embed.js`) is compiled into the binary, so the finder is always the one
//! that matches the API serving it.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use super::cache;
use super::cors::AllowedOrigins;
use super::params::{AccessFilter, MAX_MINUTES};
use super::problem::responses::{BadParams, NotModified};
use super::problem::{ApiError, InvalidParam};
use super::search_response::conditional;
use crate::domain::{Day, Fellowship};
use crate::formats::html::{finder_page, FINDER_PAGE_CSP};
use crate::hash::fnv1a;

const SCRIPT: &str = include_str!("embed/embed.js");

/// Changes whenever the script does.
static SCRIPT_ETAG: LazyLock<String> = LazyLock::new(|| format!("\"{:x}\"", fnv1a(SCRIPT)));

/// Longest value `/embed` passes on, as for the search parameters.
const MAX_VALUE_CHARS: usize = 200;

/// The finder's settings, as `/embed` takes them from its query string: each becomes the script's
/// `data-` attribute of the same name (`max_minutes` as `data-max-minutes`).
const SETTINGS: &[&str] = &[
    "near",
    "fellowship",
    "access",
    "attendance",
    "day",
    "time",
    "mode",
    "max_minutes",
];

/// The values the script knows for the settings that take one of a few words.
fn choices(setting: &str) -> Option<&'static [&'static str]> {
    match setting {
        "access" => Some(&["open", "closed"]),
        "attendance" => Some(&["in_person", "online", "hybrid", "any"]),
        "time" => Some(&["morning", "afternoon", "evening"]),
        "mode" => Some(&["walk", "cycle", "drive", "transit"]),
        _ => None,
    }
}

/// The finder's script, for `<script src=".../embed.js" async>` on any page.
///
/// Plain JavaScript that renders the finder (a postcode or place box, "use my location", filters
/// for fellowship, open or closed, attendance, day, time of day and travel, and this week's
/// meetings by day) into a shadow root where the tag is, or into `data-target`. Settings are the
/// tag's data attributes: `data-near`, `data-fellowship`, `data-access`, `data-attendance`,
/// `data-day`, `data-time` (`morning`, `afternoon`, `evening`), `data-mode`, `data-max-minutes`.
/// It calls only this server, sets no cookies and stores nothing.
#[utoipa::path(
    tag = "embed",
    responses(
        (status = 200, description = "The script", body = String, content_type = "text/javascript"),
        NotModified,
    )
)]
#[get("/embed.js")]
pub async fn embed_script(req: HttpRequest) -> HttpResponse {
    let (mut response, fresh) = conditional(&req, &SCRIPT_ETAG);
    response
        // Long enough to spare the server on busy pages, short enough that a fix arrives the same day.
        .insert_header(cache::control(cache::STABLE))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Pages that isolate themselves (COEP) may still load it.
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"));
    if fresh {
        response.finish()
    } else {
        response
            .content_type("text/javascript; charset=utf-8")
            .body(SCRIPT)
    }
}

/// Checks one `/embed` setting, returning its reason for refusal. `near` is left to the API,
/// which answers the finder's search with suggestions.
fn check(name: &str, value: &str) -> Option<String> {
    if value.chars().count() > MAX_VALUE_CHARS {
        return Some(format!("must be at most {MAX_VALUE_CHARS} characters"));
    }
    let items = || value.split(',').map(str::trim).filter(|s| !s.is_empty());
    let unknown = |item: &str, known: &str| format!("has unknown value `{item}` ({known})");
    match name {
        "fellowship" => items()
            .find(|code| Fellowship::parse(code).is_none())
            .map(|code| unknown(code, "see /v1/fellowships")),
        "day" => items()
            .find(|day| Day::parse(day).is_none())
            .map(|day| unknown(day, "sun, mon, tue, wed, thu, fri or sat")),
        "max_minutes" => (!value.parse::<u32>().is_ok_and(|n| (1..=MAX_MINUTES).contains(&n)))
            .then(|| format!("must be a whole number from 1 to {MAX_MINUTES}")),
        _ => choices(name)
            .filter(|known| !known.contains(&value))
            .map(|known| unknown(value, &format!("one of: {}", known.join(", ")))),
    }
}

/// `attendance` as `/embed` takes it (the finder's first setting).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub enum EmbedAttendance {
    InPerson,
    Online,
    Hybrid,
    Any,
}

/// `time` as `/embed` takes it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub enum EmbedTime {
    Morning,
    Afternoon,
    Evening,
}

/// The finder as a page of its own, for an iframe.
///
/// `<iframe src=".../embed?fellowship=aa,na&near=LL11" title="Meetings near you">`. Takes the
/// script's settings as query parameters (`near`, `fellowship`, `access`, `attendance`, `day`,
/// `time`, `mode`, `max_minutes`); its Content-Security-Policy lets it load only this server's
/// script and data. Any site may frame it, or only the origins given to `--cors-origins`.
#[utoipa::path(
    tag = "embed",
    params(
        ("near" = Option<String>, Query, description = "Where to search around at first", example = "LL11"),
        ("fellowship" = Option<String>, Query, description = "Fellowship codes ticked at first", example = "aa,na"),
        ("access" = Option<AccessFilter>, Query, description = "`open` or `closed`"),
        ("attendance" = Option<EmbedAttendance>, Query, description = "`in_person` (default), `online`, `hybrid` or `any`"),
        ("day" = Option<String>, Query, description = "Weekdays ticked at first (`sun`..`sat`)"),
        ("time" = Option<EmbedTime>, Query, description = "`morning`, `afternoon` or `evening`"),
        ("mode" = Option<crate::travel::Mode>, Query, description = "`walk`, `cycle`, `drive` or `transit`"),
        ("max_minutes" = Option<u32>, Query, description = "Travel time limit with `mode`, 1 to 240", minimum = 1, maximum = 240),
    ),
    responses(
        (status = 200, description = "An HTML page running the finder", body = String, content_type = "text/html"),
        BadParams,
    )
)]
#[get("/embed")]
pub async fn embed_page(
    req: HttpRequest,
    origins: web::Data<AllowedOrigins>,
) -> Result<HttpResponse, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ApiError::param("query", format!("is not a valid query string: {e}")))?;
    let mut errors = Vec::new();
    let mut values: Vec<(&str, String)> = Vec::new();
    for (name, value) in &pairs {
        let value = value.trim();
        let Some(setting) = SETTINGS.iter().copied().find(|s| s == name) else {
            errors.push(InvalidParam::new(name, "is not a parameter of this endpoint"));
            continue;
        };
        if value.is_empty() {
            continue;
        }
        match values.iter_mut().find(|(n, _)| *n == setting) {
            // A repeated parameter means the same as a comma list, as in searches.
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(value);
            }
            None => values.push((setting, value.to_string())),
        }
    }
    for (name, value) in &values {
        if let Some(reason) = check(name, value) {
            errors.push(InvalidParam::new(*name, reason));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidParams(errors));
    }
    let body = finder_page(&values);
    // Only this server's script and data. Framing is the point, so no X-Frame-Options.
    let policy = match origins.frame_ancestors() {
        Some(ancestors) => format!("{FINDER_PAGE_CSP}; {ancestors}"),
        None => FINDER_PAGE_CSP.to_string(),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(cache::control(cache::STABLE))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_settings() {
        assert_eq!(check("near", "LL11 1AA"), None);
        assert_eq!(check("fellowship", "aa, na"), None);
        assert!(check("fellowship", "aa,xx").unwrap().contains("`xx`"));
        assert_eq!(check("day", "mon,sat"), None);
        assert!(check("day", "someday").is_some());
        assert_eq!(check("mode", "walk"), None);
        assert!(check("mode", "fly").is_some());
        assert_eq!(check("max_minutes", "30"), None);
        for bad in ["0", "241", "x", "-3"] {
            assert!(check("max_minutes", bad).is_some(), "{bad}");
        }
        assert_eq!(check("time", "evening"), None);
        assert!(check("time", "noon")
            .unwrap()
            .contains("morning, afternoon, evening"));
        assert!(check("near", &"x".repeat(201)).is_some());
    }
}
