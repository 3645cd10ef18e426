//! The hand-out: a search as a printable page for keyworkers to give clients, laid out like the
//! "Local mutual aid group information" hand-out (group name, summary description, when & where,
//! contact details), with the date it was made and how fresh each source is.
//!
//! The page is self-contained (inline stylesheet, no scripts, no images, no external requests)
//! and every piece of text from a feed is HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use jiff::Timestamp;

use super::html::escape;
use crate::domain::{round_km, Access, Meeting, Schedule, Status};

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
        let _ = write!(out, "<p>{}</p>", escape(&loc.address()));
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
pub struct Freshness {
    pub name: String,
    pub attribution: String,
    pub last_success: Option<Timestamp>,
}

/// What a hand-out lists: a page of a search, and where its meetings come from.
pub struct Handout<'a> {
    /// The meetings in the search's order, with their distance from its point.
    pub meetings: Vec<(&'a Meeting, Option<f64>)>,
    /// Whether the search had more meetings than are listed.
    pub more: bool,
    /// What the search's `near` resolved to.
    pub near: Option<&'a str>,
    /// Per source of the listed meetings, by id.
    pub sources: &'a BTreeMap<String, Freshness>,
    /// Adds the blank client journal.
    pub journal: bool,
    /// The date the page states it was produced.
    pub produced: Timestamp,
}

/// The hand-out page.
pub fn render(input: &Handout) -> String {
    let (page, more) = (&input.meetings, input.more);
    let mut out = String::with_capacity(4096 + page.len() * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    out.push_str("<title>Local mutual aid group information</title><style>");
    out.push_str(STYLE);
    out.push_str("</style></head><body>\n<h1>Local mutual aid group information</h1>\n");
    let _ = write!(
        out,
        "<p class=\"meta\">Produced on {} from meetingmap.",
        input.produced.strftime("%-d %B %Y at %H:%M UTC")
    );
    if let Some(place) = input.near {
        let _ = write!(out, " Meetings near {}.", escape(place));
    }
    out.push_str(" Meetings change: check with the group or its fellowship before going.</p>\n");
    out.push_str("<table><thead><tr><th>Group name</th><th>Summary description</th><th>When &amp; where</th><th>Contact details</th></tr></thead>\n<tbody>\n");
    if page.is_empty() {
        out.push_str("<tr><td colspan=\"4\">No meetings match this search.</td></tr>\n");
    }
    for (meeting, distance_km) in page {
        row(&mut out, meeting, *distance_km);
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
    for freshness in input.sources.values() {
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
    if input.journal {
        journal(&mut out);
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Day, LocalTime, Zone};

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
