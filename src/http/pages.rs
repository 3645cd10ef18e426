//! The server's pages for people: `/` (what this server offers, and how fresh it is) and
//! `/meetings/{id}` (one meeting, whole without JavaScript, printable). They only gather what the
//! page shows; [`crate::formats::pages`] writes it, in the reader's language ([`Lang::choose`]).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::ApiError;
use super::{cache, AppState};
use crate::domain::{helpline, Fellowship, Meeting, SourceRef};
use crate::formats::handout::Freshness;
use crate::formats::html::SELF_CONTAINED_CSP;
use crate::formats::pages::{landing_page, meeting_page, not_found_page, Landing, MeetingPage, ReportTo};
use crate::i18n::Lang;
use crate::import::source::{Location, SourceDefinition};

/// The attribution the bundled data's licences require on an "about the data" page.
const NOTICE: &str = include_str!("../../NOTICE");

/// The pages' parameter, for the OpenAPI document: [`language`] reads it from the raw query, so
/// that other parameters are ignored rather than refused.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct PageParams {
    /// The page's language: `en` or `cy` (Cymraeg). Without it, the browser's `Accept-Language`
    /// chooses, else English. A language the server does not have falls back the same way.
    #[param(example = "cy")]
    lang: Option<String>,
}

/// The language asked for. Pages take no other parameter, and ignore any they are given
/// (campaign tags on a shared link must not break it).
fn language(req: &HttpRequest) -> Lang {
    let lang = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "lang").map(|(_, v)| v));
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::choose(lang.as_deref(), accept)
}

fn page(status: actix_web::http::StatusCode, lang: Lang, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_LANGUAGE, lang.code()))
        .insert_header((header::VARY, "Accept-Language"))
        // The next sessions and freshness are as of the request: asked again each time.
        .insert_header(cache::control(cache::REVALIDATE))
        // Nothing to load from anywhere, no script: an inline stylesheet only.
        .insert_header((header::CONTENT_SECURITY_POLICY, SELF_CONTAINED_CSP))
        .body(body)
}

pub(super) use crate::formats::html::path_segment;

/// The path of a meeting's page.
pub(super) fn meeting_path(id: &str) -> String {
    format!("/meetings/{}", path_segment(id))
}

/// Where "report a problem" on a meeting page leads. The one place that decides it: first the
/// directory's own form (`/meetings/{id}/report`, which editors work through), then the source's
/// contact from its definition (else its website, when its feed is on the web), then the
/// fellowship's national website, which can pass a correction on.
fn report_to(meeting: &Meeting, definitions: &[SourceDefinition]) -> Vec<ReportTo> {
    let mut to = vec![ReportTo {
        href: format!("{}/report", meeting_path(&meeting.id)),
        who: String::new(),
    }];
    let source = &meeting.source;
    if let Some(definition) = definitions.iter().find(|d| d.id == source.id) {
        let href = match (&definition.contact, &definition.location) {
            (Some(contact), _) if contact.contains('@') && !contact.starts_with("http") => {
                Some(format!("mailto:{contact}"))
            }
            (Some(contact), _) => Some(contact.clone()),
            (None, Location::Url(url)) => website(url),
            (None, Location::File(_)) => None,
        };
        if let Some(href) = href {
            to.push(ReportTo {
                href,
                who: definition.name.clone(),
            });
        }
    }
    if let Some(h) = helpline(meeting.fellowship) {
        to.push(ReportTo {
            href: h.web.to_string(),
            who: meeting.fellowship.info().name.to_string(),
        });
    }
    to
}

/// The site a feed URL is on (`https://host/`).
fn website(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next().filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}/"))
}

/// Freshness of each source: the name and attribution a listing carries, with the last
/// successful import of that source (when the directory last checked it) and the feed's own date.
async fn freshness(state: &AppState, sources: &[&SourceRef]) -> Result<Vec<Freshness>, ApiError> {
    let mut out = Vec::with_capacity(sources.len());
    for s in sources {
        let run = state.directory.last_success(&s.id).await?;
        out.push(Freshness {
            name: s.name.clone(),
            attribution: s.attribution.clone(),
            last_success: run.as_ref().map(|r| r.finished_at),
            // Recorded at import; older runs recorded only the HTTP date.
            feed_date: run.and_then(|r| {
                r.feed_date
                    .or_else(|| crate::domain::feed_date(r.last_modified.as_deref(), None))
            }),
        });
    }
    Ok(out)
}

/// One meeting as a page for people.
///
/// Server-rendered HTML, whole without JavaScript and printable on A4: when (the next sessions
/// dated, in the meeting's zone), where (full address, map position, directions on foot, by car
/// and by public transport), how to join online, add-to-calendar links, the fellowship's national
/// helpline, where the listing comes from and how fresh it is, and where to report a problem. In
/// English or Welsh (`lang`, else `Accept-Language`). An unknown id is a 404 page for people.
#[utoipa::path(
    tag = "pages",
    params(("id" = String, Path, description = "Meeting id"), PageParams),
    responses(
        (status = 200, description = "The meeting's page", body = String, content_type = "text/html"),
        (status = 404, description = "No meeting with this id: a page saying so, with a link to search", body = String, content_type = "text/html"),
    )
)]
#[get("/meetings/{id}")]
pub async fn show_meeting(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = language(&req);
    let snapshot = state.directory.snapshot();
    let path = meeting_path(&id);
    let Some(index) = snapshot.find(&id) else {
        return Ok(page(
            actix_web::http::StatusCode::NOT_FOUND,
            lang,
            not_found_page(lang, &path),
        ));
    };
    let m = snapshot.meeting(index);
    // A merged-away duplicate's link shows the meeting it was merged into, at that one's path.
    let path = meeting_path(&m.id);
    let listed: Vec<&SourceRef> = std::iter::once(&m.source).chain(&m.also_listed_by).collect();
    let sources = freshness(&state, &listed).await?;
    let base = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let page_url = format!("{base}{path}");
    let calendar = m
        .schedule
        .as_ref()
        .map(|_| format!("/v1/meetings/{}.ics", path_segment(&m.id)));
    let body = meeting_page(&MeetingPage {
        meeting: &m,
        lang,
        now: Timestamp::now(),
        path: &path,
        page_url: &page_url,
        calendar_path: calendar.as_deref(),
        sources,
        helpline: helpline(m.fellowship),
        report: report_to(&m, &state.sources),
    });
    Ok(page(actix_web::http::StatusCode::OK, lang, body))
}

/// What this server offers.
///
/// A page for people: links to the meeting finder, the hand-out builder, the coverage report,
/// the API documentation and the sources, how many meetings the directory lists and when it was
/// last updated, and "about the data" with the attribution its sources and bundled data require.
/// In English or Welsh (`lang`, else `Accept-Language`).
#[utoipa::path(
    tag = "pages",
    params(PageParams),
    responses((status = 200, description = "The landing page", body = String, content_type = "text/html"))
)]
#[get("/")]
pub async fn landing(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let lang = language(&req);
    let snapshot = state.directory.snapshot();
    let mut refs: BTreeMap<&str, &SourceRef> = BTreeMap::new();
    for (s, _) in snapshot.sources() {
        refs.insert(s.id.as_str(), s);
    }
    let refs: Vec<&SourceRef> = refs.into_values().collect();
    let sources = freshness(&state, &refs).await?;
    let last_import = sources.iter().filter_map(|s| s.last_success).max();
    let fellowships = Fellowship::all()
        .map(|f| (f, snapshot.fellowship_meetings(f)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let body = landing_page(&Landing {
        lang,
        meetings: snapshot.len(),
        fellowships,
        sources,
        last_import,
        notice: NOTICE,
    });
    Ok(page(actix_web::http::StatusCode::OK, lang, body))
}

/// Whether a request's `Accept` prefers a page to JSON: `text/html` named with a higher
/// preference than `application/json` is (browsers name HTML first and JSON not at all; API
/// clients name JSON or nothing, or `*/*`, and keep getting JSON).
pub(super) fn prefers_html(req: &HttpRequest) -> bool {
    let Some(accept) = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (mut html, mut json) = (0.0f32, 0.0f32);
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse().ok()))
            .next()
            .unwrap_or(1.0f32);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(q),
            "application/json" => json = json.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > json
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_links_come_from_the_source_then_the_fellowship() {
        assert_eq!(
            website("https://feeds.example.org/a/b.json?x=1").as_deref(),
            Some("https://feeds.example.org/")
        );
        assert_eq!(website("nonsense"), None);
        assert_eq!(path_segment("a b/ü"), "a%20b%2F%C3%BC");
    }
}
