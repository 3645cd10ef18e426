//! `/v1/handout`: a search as a printable page for keyworkers to give clients, laid out like the
//! "Local mutual aid group information" hand-out (group name, summary description, when & where,
//! contact details), with the date it was made and how fresh each source is.
//!
//! The page is self-contained (inline stylesheet, no scripts, no images, no external requests)
//! and every piece of text from a feed is HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use jiff::Timestamp;

use serde::Deserialize;
use utoipa::IntoParams;

use super::params::{self, SearchParams};
use super::problem::{ApiError, InvalidParam, Problem};
use super::search_response::{page_offset, round_km};
use super::AppState;
use crate::domain::{Access, Meeting, Schedule, Status};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 11pt; color: #000; margin: 1.5em; }
h1 { font-size: 16pt; margin: 0 0 0.2em; }
p.meta { margin: 0 0 1em; color: #333; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #444; padding: 0.35em 0.5em; vertical-align: top; text-align: left; }
th { background: #eee; }
td p { margin: 0 0 0.3em; }
.small { font-size: 9pt; color: #333; }
.url { word-break: break-all; }
h2 { font-size: 12pt; margin: 1.5em 0 0.3em; }
section.journal { break-before: page; page-break-before: always; }
section.journal h3 { font-size: 11pt; margin: 1.2em 0 0.2em; }
.line { border-bottom: 1px solid #444; height: 1.9em; }
.box { border: 1px solid #444; height: 5em; }
table.contacts td { height: 1.9em; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 10pt; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: #000; text-decoration: none; }
}
";

fn ordinal(w: i8) -> &'static str {
    match w {
        1 => "1st",
        2 => "2nd",
        3 => "3rd",
        4 => "4th",
        5 => "5th",
        _ => "last",
    }
}

/// "Mondays 19:00–20:00", "1st and 3rd Sunday of the month 10:30–11:30".
pub fn when(schedule: &Schedule) -> String {
    let day = schedule.day.full_name();
    let days = if schedule.weeks_of_month.is_empty() {
        format!("{day}s")
    } else {
        let mut weeks = schedule.weeks_of_month.clone();
        // "last" reads last.
        weeks.sort_by_key(|&w| if w < 0 { 6 } else { w });
        let weeks: Vec<&str> = weeks.into_iter().map(ordinal).collect();
        let weeks = match weeks.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => weeks.join(""),
        };
        format!("{weeks} {day} of the month")
    };
    let zone = match schedule.timezone.name() {
        "Europe/London" => String::new(),
        other => format!(" ({other} time)"),
    };
    format!(
        "{days} {}\u{2013}{}{zone}",
        schedule.start_time,
        schedule.end_time()
    )
}

fn row(out: &mut String, m: &Meeting, distance_km: Option<f64>) {
    let info = m.fellowship.info();
    out.push_str("<tr>");
    // Group name.
    out.push_str("<td>");
    let _ = write!(out, "<p><strong>{}</strong></p>", escape(&m.name));
    if let Some(group) = m.group_name.as_ref().filter(|g| **g != m.name) {
        let _ = write!(out, "<p>{}</p>", escape(group));
    }
    let _ = write!(out, "<p class=\"small\">{}</p>", escape(info.name));
    out.push_str("</td>");
    // Summary description.
    out.push_str("<td>");
    let access = match m.access {
        Access::Open => "Open meeting: anyone may attend, including family, friends and professionals.",
        Access::Closed => "Closed meeting: for people who share the fellowship's problem or concern.",
        Access::Unknown => "Open or closed: not stated; ask the group.",
    };
    let _ = write!(out, "<p>{}</p>", escape(access));
    if !m.types.is_empty() {
        let labels: Vec<&str> = m.types.iter().map(|t| t.info().label).collect();
        let _ = write!(out, "<p>{}</p>", escape(&labels.join(", ")));
    }
    if let Some(notes) = &m.notes {
        let _ = write!(out, "<p>{}</p>", escape(notes));
    }
    if m.status == Status::TemporarilyClosed {
        out.push_str("<p><strong>Temporarily closed.</strong></p>");
    }
    out.push_str("</td>");
    // When & where.
    out.push_str("<td>");
    match &m.schedule {
        Some(s) => {
            let _ = write!(out, "<p><strong>{}</strong></p>", escape(&when(s)));
        }
        None => out.push_str("<p><strong>No fixed time</strong></p>"),
    }
    if let Some(loc) = &m.location {
        let parts: Vec<&str> = loc
            .venue
            .iter()
            .chain(&loc.address_lines)
            .chain(&loc.town)
            .chain(&loc.postcode)
            .map(String::as_str)
            .filter(|s| !s.trim().is_empty())
            .collect();
        let _ = write!(out, "<p>{}</p>", escape(&parts.join(", ")));
        if let Some(notes) = &loc.notes {
            let _ = write!(out, "<p class=\"small\">{}</p>", escape(notes));
        }
    }
    if m.attendance.is_remote() {
        let _ = write!(
            out,
            "<p>{}</p>",
            if m.location.is_some() {
                "Also online"
            } else {
                "Online"
            }
        );
    }
    if let Some(d) = distance_km {
        let _ = write!(out, "<p class=\"small\">{} km away</p>", round_km(d));
    }
    out.push_str("</td>");
    // Contact details.
    out.push_str("<td>");
    if let Some(online) = &m.online {
        if let Some(url) = &online.url {
            let _ = write!(out, "<p class=\"url\">Join: {}</p>", escape(url));
        }
        if let Some(phone) = &online.phone {
            let _ = write!(out, "<p>Dial in: {}</p>", escape(phone));
        }
        if let Some(notes) = &online.notes {
            let _ = write!(out, "<p class=\"small\">{}</p>", escape(notes));
        }
    }
    let _ = write!(
        out,
        "<p class=\"small\">Listed by {}; last seen there {}.</p>",
        escape(&m.source.name),
        m.last_seen_at.strftime("%-d %B %Y")
    );
    out.push_str("</td></tr>\n");
}

/// What the hand-out adds to the search's own parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoutParams {
    /// `true` adds a page for the client to fill in by hand: the "Your mutual aid experience"
    /// journal (meetings to attend, reactions, benefits, disadvantages, contacts).
    #[param(value_type = Option<bool>)]
    journal: Option<String>,
}

/// The client journal of the keyworker session hand-outs ("Your mutual aid experience"), blank
/// for the client to write in: keyworkers give it with the list of meetings and review it at the
/// next session. It is paper only; nothing written in it reaches meetingmap.
fn journal(out: &mut String) {
    out.push_str("<section class=\"journal\">\n<h2>Your mutual aid experience: client journal</h2>\n");
    for label in ["Name", "Date"] {
        let _ = write!(out, "<p>{label}:</p><div class=\"line\"></div>");
    }
    for heading in ["Meetings to attend", "Reactions to meetings"] {
        let _ = write!(out, "<h3>{heading}</h3><ol>");
        for _ in 0..6 {
            out.push_str("<li><div class=\"line\"></div></li>");
        }
        out.push_str("</ol>");
    }
    for heading in [
        "Benefits of attending meetings",
        "Disadvantages of attending meetings",
    ] {
        let _ = write!(out, "<h3>{heading}</h3><div class=\"box\"></div>");
    }
    out.push_str("<h3>Contacts</h3><table class=\"contacts\"><thead><tr><th>Name</th><th>Telephone</th></tr></thead><tbody>");
    for _ in 0..4 {
        out.push_str("<tr><td></td><td></td></tr>");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// Freshness of one source, for the page's footer.
struct Freshness {
    name: String,
    attribution: String,
    last_success: Option<Timestamp>,
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
    params(SearchParams, HandoutParams),
    responses(
        (status = 200, description = "A printable HTML page", body = String, content_type = "text/html"),
        (status = 400, description = "Bad parameters", body = Problem, content_type = "application/problem+json"),
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
    let offset = page_offset(&request, &snapshot)?;
    let (hits, more) = snapshot.search(&request.query, offset + request.limit);
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
        freshness.last_success = state
            .directory
            .last_success(id)
            .await
            .map_err(anyhow::Error::from)?
            .map(|r| r.finished_at);
    }

    let now = Timestamp::now();
    let mut out = String::with_capacity(4096 + page.len() * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    out.push_str("<title>Local mutual aid group information</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n<h1>Local mutual aid group information</h1>\n");
    let _ = write!(
        out,
        "<p class=\"meta\">Produced on {} from meetingmap.",
        now.strftime("%-d %B %Y at %H:%M UTC")
    );
    if let Some(place) = &request.resolved {
        let _ = write!(out, " Meetings near {}.", escape(&place.label));
    }
    out.push_str(" Meetings change: check with the group or its fellowship before going.</p>\n");
    out.push_str("<table><thead><tr><th>Group name</th><th>Summary description</th><th>When &amp; where</th><th>Contact details</th></tr></thead>\n<tbody>\n");
    if page.is_empty() {
        out.push_str("<tr><td colspan=\"4\">No meetings match this search.</td></tr>\n");
    }
    for hit in page {
        row(&mut out, snapshot.meeting(hit.index), hit.distance_km);
    }
    out.push_str("</tbody></table>\n");
    if more {
        let _ = writeln!(
            out,
            "<p class=\"small\">Only the first {} meetings are listed.</p>",
            page.len()
        );
    }
    out.push_str("<h2>Sources</h2>\n<table class=\"sources\"><thead><tr><th>Source</th><th>Attribution</th><th>Last successful update</th></tr></thead><tbody>\n");
    for freshness in sources.values() {
        let when = freshness.last_success.map_or_else(
            || "not recorded".to_string(),
            |t| t.strftime("%-d %B %Y at %H:%M UTC").to_string(),
        );
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&freshness.name),
            escape(&freshness.attribution),
            when
        );
    }
    out.push_str("</tbody></table>\n");
    if with_journal {
        journal(&mut out);
    }
    out.push_str("</body></html>\n");
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // The page needs nothing from anywhere: forbid it all.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'",
        ))
        .body(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Day, LocalTime, Zone};

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert(\"x\")</script> & 'y'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn describes_schedules() {
        let s = Schedule::weekly_london(Day::Mon, LocalTime::from_hm(19, 0).unwrap(), 90);
        assert_eq!(when(&s), "Mondays 19:00\u{2013}20:30");
        let s = Schedule::new(
            Day::Sun,
            LocalTime::from_hm(10, 30).unwrap(),
            60,
            Zone::get("Europe/Dublin").unwrap(),
            vec![1, 3, -1],
        )
        .unwrap();
        assert_eq!(
            when(&s),
            "1st, 3rd and last Sunday of the month 10:30\u{2013}11:30 (Europe/Dublin time)"
        );
    }
}
