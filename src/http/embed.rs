//! The embeddable finder: `/embed.js`, which any web page can load with one script tag to show
//! this week's meetings near a place, and `/embed`, a page that runs the same script for sites
//! that would rather use an iframe.
//!
//! The script (`embed/embed.js`) is compiled into the binary, so the finder is always the one
//! that matches the API serving it. Its words (the `"finder"` part of `locales/*.json`) and the
//! map settings are written into the script as it is served, so the finder needs no second
//! request to start and asks nothing of anyone but this server.
//!
//! `data/gb-ie-outline.geojson` is the coastline the map draws when no tile server is configured:
//! Great Britain, Ireland and the Isle of Man from Natural Earth's 1:10m countries (public domain,
//! via the npm package `world-atlas` 2.0.2), simplified (Douglas-Peucker, 0.008°) and rounded
//! to 0.001° to stay under 60 KB.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

use super::cache;
use super::cors::AllowedOrigins;
use super::params::{AccessFilter, MAX_MINUTES};
use super::problem::responses::{BadParams, NotModified};
use super::problem::{ApiError, InvalidParam};
use super::search_response::conditional;
use crate::domain::{Day, Fellowship, MeetingType};
use crate::formats::html::{finder_error_page, finder_page, FINDER_PAGE_CSP};
use crate::hash::fnv1a;
use crate::settings::HttpSettings;

const SCRIPT: &str = include_str!("embed/embed.js");
/// Where the served script's configuration goes.
const CONFIG_SLOT: &str = "/*MEETINGMAP_CONFIG*/null";
const OUTLINE: &str = include_str!("../../data/gb-ie-outline.geojson");
static OUTLINE_ETAG: LazyLock<String> = LazyLock::new(|| format!("\"{:x}\"", fnv1a(OUTLINE)));

/// The finder's languages: code and catalogue. A language is added by adding its file.
const LOCALES: &[(&str, &str)] = &[
    ("en", include_str!("../../locales/en.json")),
    ("cy", include_str!("../../locales/cy.json")),
];

/// The `"finder"` strings of `language`; English fills any key a translation lacks.
pub fn finder_strings(language: &str) -> serde_json::Map<String, serde_json::Value> {
    let read = |code: &str| -> serde_json::Map<String, serde_json::Value> {
        let text = LOCALES.iter().find(|(c, _)| *c == code).map_or("{}", |(_, t)| t);
        let all: serde_json::Value = serde_json::from_str(text).expect("locales/*.json are valid JSON");
        match all.get("finder") {
            Some(serde_json::Value::Object(map)) => map.clone(),
            _ => serde_json::Map::new(),
        }
    };
    let mut strings = read("en");
    if language != "en" {
        strings.extend(read(language));
    }
    strings
}

/// The script as this server serves it: its words and map settings written in.
pub struct Finder {
    script: String,
    etag: String,
    /// The tile server's origin, which the `/embed` page's CSP must let images come from.
    tiles_origin: Option<String>,
}

impl Finder {
    pub fn new(http: &HttpSettings) -> Finder {
        let strings: serde_json::Map<String, serde_json::Value> = LOCALES
            .iter()
            .map(|(code, _)| (code.to_string(), serde_json::Value::Object(finder_strings(code))))
            .collect();
        let config = serde_json::json!({
            "strings": strings,
            "map": { "tiles": http.map_tiles, "attribution": http.map_attribution },
        });
        // Escaped so that the script could also be inlined in a page: `</` would end its element.
        let config = config.to_string().replace("</", "<\\/");
        let script = SCRIPT.replacen(CONFIG_SLOT, &config, 1);
        let etag = format!("\"{:x}\"", fnv1a(&script));
        Finder {
            script,
            etag,
            tiles_origin: http.map_tiles_origin(),
        }
    }
}

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
    "when",
    "q",
    "type",
    "language",
    "view",
    "lang",
];

/// The values the script knows for the settings that take one of a few words.
fn choices(setting: &str) -> Option<&'static [&'static str]> {
    match setting {
        "access" => Some(&["open", "closed"]),
        "attendance" => Some(&["in_person", "online", "hybrid", "any"]),
        "time" => Some(&["morning", "afternoon", "evening"]),
        "mode" => Some(&["walk", "cycle", "drive", "transit"]),
        "when" => Some(&["today", "tomorrow", "week"]),
        "view" => Some(&["list", "map"]),
        "lang" => Some(&["en", "cy"]),
        _ => None,
    }
}

/// The finder's script, for `<script src=".../embed.js" async>` on any page.
///
/// Plain JavaScript that renders the finder (a postcode or place box, "use my location", filters
/// for fellowship, open or closed, attendance, day, time of day and travel, and this week's
/// meetings by day) into a shadow root where the tag is, or into `data-target`. Settings are the
/// tag's data attributes: `data-near`, `data-fellowship`, `data-access`, `data-attendance`,
/// `data-day`, `data-time` (`morning`, `afternoon`, `evening`), `data-mode`, `data-max-minutes`,
/// `data-when` (`today`, `tomorrow`, `week`), `data-q`, `data-type`, `data-language`,
/// `data-view` (`list`, `map`) and `data-lang` (`en`, `cy`). The search in progress is kept in
/// the page's query string (`mm_near`, `mm_fellowship`...), so a shared address restores it. It
/// calls only this server, sets no cookies and stores nothing.
#[utoipa::path(
    tag = "embed",
    responses(
        (status = 200, description = "The script", body = String, content_type = "text/javascript"),
        NotModified,
    )
)]
#[get("/embed.js")]
pub async fn embed_script(req: HttpRequest, finder: web::Data<Finder>) -> HttpResponse {
    let (mut response, fresh) = conditional(&req, &finder.etag);
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
            .body(finder.script.clone())
    }
}

/// The coastline of Great Britain and Ireland the finder's map draws when no tile server is set.
///
/// GeoJSON (Natural Earth 1:10m, simplified; public domain, "Made with Natural Earth"), from this
/// server so that showing a map tells no third party where someone is looking.
#[utoipa::path(
    tag = "embed",
    responses(
        (status = 200, description = "Land outlines", body = serde_json::Value, content_type = "application/geo+json"),
        NotModified,
    )
)]
#[get("/embed/outline.geojson")]
pub async fn embed_outline(req: HttpRequest) -> HttpResponse {
    let (mut response, fresh) = conditional(&req, &OUTLINE_ETAG);
    response
        .insert_header(cache::control(cache::STABLE))
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"));
    if fresh {
        response.finish()
    } else {
        response.content_type("application/geo+json").body(OUTLINE)
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
        "q" => None,
        "type" => items()
            .find(|t| MeetingType::parse(t).is_none())
            .map(|t| unknown(t, "see /v1/types")),
        "language" => items()
            .find(|l| MeetingType::language(l).is_none())
            .map(|l| unknown(l, "a language code such as cy or pl")),
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
/// `time`, `mode`, `max_minutes`, `when`, `q`, `type`, `language`, `view`, `lang`); its
/// Content-Security-Policy lets it load only this server's script and data (and the tiles of a
/// configured tile server). Any site may frame it, or only the origins given to `--cors-origins`.
/// The page posts its height to the framing page (`{"type": "meetingmap:height", "height": N}`),
/// so the frame can be sized to fit. Bad settings are a 400: problem+json for API clients, and a
/// page saying what to fix for a browser (`Accept: text/html`), so a frame never shows raw JSON.
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
        ("when" = Option<EmbedWhen>, Query, description = "`today`, `tomorrow` or `week` (default)"),
        ("q" = Option<String>, Query, description = "Words to find in names, venues and towns"),
        ("type" = Option<String>, Query, description = "Meeting types that must all apply (see /v1/types)", example = "accessibility:wheelchair"),
        ("language" = Option<String>, Query, description = "Spoken languages, ISO 639-1", example = "cy"),
        ("view" = Option<EmbedView>, Query, description = "`list` (default) or `map`"),
        ("lang" = Option<EmbedLang>, Query, description = "The finder's language: `en` or `cy` (default: the browser's)"),
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
    finder: web::Data<Finder>,
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
    // Only this server's script and data (and the tiles it was told to use). Framing is the
    // point, so no X-Frame-Options.
    let mut policy = FINDER_PAGE_CSP.to_string();
    if let Some(tiles) = &finder.tiles_origin {
        policy.push_str(&format!("; img-src {tiles}"));
    }
    if let Some(ancestors) = origins.frame_ancestors() {
        policy.push_str(&format!("; {ancestors}"));
    }
    let lang = values
        .iter()
        .find(|(n, _)| *n == "lang")
        .map(|(_, v)| v.as_str())
        .filter(|v| LOCALES.iter().any(|(code, _)| code == v))
        .unwrap_or_else(|| browser_language(&req));
    if !errors.is_empty() {
        if !wants_html(&req) {
            return Err(ApiError::InvalidParams(errors));
        }
        // A browser showing the frame: the agency's web developer reads this, in words.
        let strings = finder_strings(lang);
        let reasons: Vec<(String, String)> = errors
            .iter()
            .map(|e| (e.name.clone(), e.reason.clone()))
            .collect();
        return Ok(HttpResponse::BadRequest()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CONTENT_SECURITY_POLICY, policy))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .body(finder_error_page(lang, &strings, &reasons)));
    }
    let body = finder_page(lang, &values);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header(cache::control(cache::STABLE))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(body))
}

/// `when` as `/embed` takes it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub enum EmbedWhen {
    Today,
    Tomorrow,
    Week,
}

/// `view` as `/embed` takes it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub enum EmbedView {
    List,
    Map,
}

/// `lang` as `/embed` takes it.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // Only the OpenAPI document reads it.
pub enum EmbedLang {
    En,
    Cy,
}

/// Whether the client is a browser showing a page (it names `text/html`) rather than an API
/// client, which gets problem+json.
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"))
}

/// The first of our languages the browser asks for (`Accept-Language`), else English.
fn browser_language(req: &HttpRequest) -> &'static str {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for range in accept.split(',') {
        let tag = range.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        if let Some((code, _)) = LOCALES.iter().find(|(code, _)| *code == primary) {
            return code;
        }
    }
    "en"
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
        assert_eq!(check("type", "accessibility:wheelchair,community:women"), None);
        assert!(check("type", "wheelchairs").is_some());
        assert_eq!(check("language", "cy"), None);
        assert!(check("language", "klingon").is_some());
        assert_eq!(check("lang", "cy"), None);
        assert!(check("lang", "fr").is_some());
        assert_eq!(check("when", "today"), None);
        assert_eq!(check("view", "map"), None);
    }

    #[test]
    fn every_language_has_every_finder_string() {
        let english = finder_strings("en");
        assert!(english.len() > 50, "{}", english.len());
        for (code, text) in LOCALES {
            let all: serde_json::Value = serde_json::from_str(text).unwrap();
            let own = all["finder"].as_object().unwrap();
            for key in english.keys() {
                assert!(own.contains_key(key), "{code} lacks finder.{key}");
            }
        }
    }
}
