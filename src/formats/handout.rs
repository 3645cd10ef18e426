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
use super::qr;
use crate::domain::{round_km, Access, Fellowship, Helpline, Meeting, Schedule};
use crate::travel::{self, Method, Mode, Travel};

const STYLE: &str = "
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 8.5pt; line-height: 1.15; color: #000; margin: 1.5em; }
h1 { font-size: 14pt; margin: 0 0 0.2em; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
h2 { font-size: 11pt; margin: 0.8em 0 0.2em; }
p { margin: 0; }
p.meta { margin: 0 0 0.4em; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #888; padding: 0.15em 0.3em; vertical-align: top; text-align: left; }
th { font-size: 8pt; font-weight: normal; color: #333; }
td.time { white-space: nowrap; width: 5.6em; font-weight: bold; }
td.go { white-space: nowrap; width: 10.5em; font-size: 8pt; }
td.qr { width: 11mm; padding: 0.1em 0; }
svg.qr { width: 11mm; height: 11mm; display: block; }
.small { font-size: 7.5pt; color: #333; }
.badge { font-size: 7.5pt; border: 1px solid #444; border-radius: 0.3em; padding: 0 0.2em; margin-right: 0.2em; white-space: nowrap; }
.url { word-break: break-all; }
h2 + table.day { margin-top: 0; }
.box { border: 1px solid #444; padding: 0.3em 0.5em; margin: 0.5em 0; break-inside: avoid; }
.contacts ul { margin: 0; padding-left: 1.2em; columns: 2; }
footer { margin-top: 0.8em; break-inside: avoid; }
section.journal { break-before: page; page-break-before: always; font-size: 11pt; }
section.choosing { break-before: page; page-break-before: always; font-size: 11pt; }
section.journal h3, section.choosing h3 { font-size: 11pt; margin: 1.2em 0 0.2em; }
.line { border-bottom: 1px solid #444; height: 1.9em; }
.box.write { height: 5em; }
table.contacts td { height: 1.9em; }
@page { size: A4; margin: 10mm; }
@media print {
  body { margin: 0; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: #000; text-decoration: none; }
}
";

/// The local zone pages are written in: a UK directory's readers read UK time.
fn london() -> jiff::tz::TimeZone {
    crate::domain::Zone::london().tz().clone()
}

/// "20 November 2026 at 08:00 GMT", in UK local time.
pub fn local_time(at: Timestamp) -> String {
    at.to_zoned(london())
        .strftime("%-d %B %Y at %H:%M %Z")
        .to_string()
}

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

/// How to get to one meeting from the search's point, by each mode a hand-out shows.
#[derive(Debug, Clone, Copy)]
pub struct GettingThere {
    pub walk: Travel,
    pub drive: Travel,
    pub transit: Travel,
}

impl GettingThere {
    /// Estimates for a meeting `crow_km` away in a straight line.
    pub fn estimate(crow_km: f64) -> GettingThere {
        GettingThere {
            walk: travel::estimate(Mode::Walk, crow_km),
            drive: travel::estimate(Mode::Drive, crow_km),
            transit: travel::estimate(Mode::Transit, crow_km),
        }
    }

    /// Puts a routed time in place of the estimate for its mode.
    pub fn with(mut self, routed: Travel) -> GettingThere {
        match routed.mode {
            Mode::Walk => self.walk = routed,
            Mode::Drive => self.drive = routed,
            Mode::Transit => self.transit = routed,
            Mode::Cycle => {}
        }
        self
    }
}

/// One meeting on a hand-out.
pub struct Listed<'a> {
    pub meeting: &'a Meeting,
    pub distance_km: Option<f64>,
    pub getting_there: Option<GettingThere>,
    /// The meeting's page (directions by each mode live there), printed as a QR code.
    pub page_url: Option<String>,
}

fn minutes(t: &Travel) -> String {
    let label = match t.method {
        Method::Estimate => "",
        Method::Osrm => " (routed)",
    };
    format!("{} min{label}", t.minutes)
}

/// Notes longer than this are cut at a word: the row must stay one or two lines.
const NOTES_MAX: usize = 60;

fn short(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= NOTES_MAX {
        return text;
    }
    let cut: String = text.chars().take(NOTES_MAX).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}\u{2026}")
}

/// One compact row: time; name, fellowship, where, what it is and notes in one flowing cell (so
/// a row is three or four short lines, not a column of wrapped words); how to get there; QR.
fn row(out: &mut String, listed: &Listed, time: &str) {
    let m = listed.meeting;
    let info = m.fellowship.info();
    let _ = write!(out, "<tr><td class=\"time\">{}</td><td>", escape(time));
    let _ = write!(
        out,
        "<p><strong>{}</strong> \u{b7} {}",
        escape(&m.name),
        escape(info.name)
    );
    if let Some(group) = m.group_name.as_ref().filter(|g| **g != m.name) {
        let _ = write!(out, " \u{b7} {}", escape(group));
    }
    // Name and where on one line: the address is what a client looks for after the time.
    out.push_str(" \u{b7} ");
    match &m.location {
        Some(loc) => {
            out.push_str(&escape(&loc.address()));
            if let Some(notes) = &loc.notes {
                let _ = write!(out, " <span class=\"small\">({})</span>", escape(&short(notes)));
            }
            if m.attendance.is_remote() {
                out.push_str(" <span class=\"small\">Also online.</span>");
            }
        }
        None => out.push_str("Online only."),
    }
    out.push_str("</p><p class=\"small\">");
    let access = match m.access {
        Access::Open => "Open: anyone may attend.",
        Access::Closed => "Closed: for people who share the problem.",
        Access::Unknown => "Open or closed not stated: ask the group.",
    };
    let _ = write!(out, "{} ", escape(access));
    for t in &m.types {
        let _ = write!(out, "<span class=\"badge\">{}</span>", escape(t.info().label));
    }
    if let Some(notes) = &m.notes {
        let _ = write!(out, " {}", escape(&short(notes)));
    }
    out.push_str("</p>");
    if let Some(online) = &m.online {
        let join = online.url.as_ref().map(|url| format!("Join: {}", escape(url)));
        let dial = online
            .phone
            .as_ref()
            .map(|phone| format!("Dial in: {}", escape(phone)));
        let line: Vec<String> = join.into_iter().chain(dial).collect();
        if !line.is_empty() {
            let _ = write!(out, "<p class=\"small url\">{}</p>", line.join(" \u{b7} "));
        }
    }
    out.push_str("</td><td class=\"go\">");
    match &listed.getting_there {
        Some(g) => {
            let _ = write!(
                out,
                "<p>Walk: {}</p><p>Drive: {}</p><p>Bus/train: {} <span class=\"small\">(est.)</span></p>",
                minutes(&g.walk),
                minutes(&g.drive),
                minutes(&g.transit)
            );
        }
        None => out.push_str("<p class=\"small\">No point to measure from</p>"),
    }
    if let Some(d) = listed.distance_km {
        let _ = write!(out, "<p class=\"small\">{} km away</p>", round_km(d));
    }
    out.push_str("</td><td class=\"qr\">");
    if let Some(svg) = listed
        .page_url
        .as_deref()
        .and_then(|url| qr::svg(url, &escape(&format!("Meeting page: {url}"))))
    {
        out.push_str(&svg);
    }
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
        let _ = write!(out, "<h3>{heading}</h3><div class=\"box write\"></div>");
    }
    out.push_str("<h3>Contacts</h3><table class=\"contacts\"><thead><tr><th>Name</th><th>Telephone</th></tr></thead><tbody>");
    for _ in 0..4 {
        out.push_str("<tr><td></td><td></td></tr>");
    }
    out.push_str("</tbody></table>\n</section>\n");
}

/// The "choosing a group" sheet of the FAMA keyworker hand-outs (6b): what to weigh when picking
/// a first meeting, for keyworker and client to go through together. Paper only.
fn choosing(out: &mut String) {
    out.push_str("<section class=\"choosing\">\n<h2>Choosing a group</h2>\n");
    out.push_str("<p>Groups differ. Try more than one before deciding; most people find one that suits them.</p>\n<ul>");
    for item in [
        "Where and when: can you get there easily, and at a time you can keep to every week?",
        "Open or closed: open meetings welcome anyone (you may bring someone with you); closed meetings are for people who share the problem.",
        "Size and format: some meetings are small discussions, some have a speaker, some read and study the fellowship's literature.",
        "Who goes: some groups are for women, men, young people or LGBTQ+ people, or are held in another language.",
        "Access: step-free access, a hearing loop, or online attendance if travelling is hard.",
        "What to expect: you do not have to speak; you can just listen. Arriving a little early lets you meet someone first.",
    ] {
        let _ = write!(out, "<li>{}</li>", escape(item));
    }
    out.push_str("</ul>\n<h3>Meetings I will try</h3><ol>");
    for _ in 0..3 {
        out.push_str("<li><div class=\"line\"></div></li>");
    }
    out.push_str(
        "</ol>\n<h3>What I liked, and what I did not</h3><div class=\"box write\"></div>\n</section>\n",
    );
}

/// Freshness of one source, for the page's footer.
pub struct Freshness {
    pub name: String,
    pub attribution: String,
    pub last_success: Option<Timestamp>,
    /// The feed's own date for that import, when it states one (HTTP `Last-Modified`): how old
    /// the listing is, which can be much older than when it was last checked.
    pub feed_date: Option<jiff::civil::Date>,
}

/// The paper the page is laid out for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

/// What a hand-out lists: a page of a search, and where its meetings come from.
pub struct Handout<'a> {
    /// The meetings in the search's order (temporarily closed ones already left out).
    pub meetings: Vec<Listed<'a>>,
    /// Whether the search had more meetings than are listed.
    pub more: bool,
    /// What the search's `near` resolved to.
    pub near: Option<&'a str>,
    /// The search in words ("AA or SMART, evenings, within 30 min by public transport (estimate)").
    pub search: String,
    /// Fellowships asked for that have no meetings at all in the directory.
    pub missing: Vec<Fellowship>,
    /// How many temporarily closed meetings matched and were left out.
    pub closed: usize,
    /// The fellowships whose national contacts the page lists.
    pub helplines: Vec<&'static Helpline>,
    /// Per source of the listed meetings, by id.
    pub sources: &'a BTreeMap<String, Freshness>,
    /// Adds the blank client journal.
    pub journal: bool,
    /// Adds the "choosing a group" sheet.
    pub choosing: bool,
    pub paper: Paper,
    /// The date the page states it was produced; the week listed starts on its (UK) day.
    pub produced: Timestamp,
}

/// Days listed: the coming week, starting today.
const WEEK_DAYS: i64 = 7;

/// The hand-out page.
pub fn render(input: &Handout) -> String {
    let mut out = String::with_capacity(4096 + input.meetings.len() * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    out.push_str("<title>Local mutual aid group information</title><style>");
    out.push_str(STYLE);
    if input.paper == Paper::Letter {
        // Later rules win: the same margins on US Letter.
        out.push_str("@page { size: letter; margin: 10mm; }\n");
    }
    out.push_str("</style></head><body>\n<h1>Local mutual aid group information</h1>\n");
    let _ = write!(
        out,
        "<p class=\"meta\"><strong>Meetings: {}",
        escape(&input.search)
    );
    if let Some(place) = input.near {
        let _ = write!(out, "; meetings near {}", escape(place));
    }
    out.push_str(".</strong></p>\n");
    let _ = writeln!(
        out,
        "<p class=\"meta\">Produced on {} from meetingmap. Meetings change: check with the group or its fellowship before going. Travel times are estimates from straight-line distance unless marked routed; plan bus and train journeys at Traveline: https://www.traveline.info.</p>",
        local_time(input.produced)
    );
    for f in &input.missing {
        let info = f.info();
        let _ = writeln!(
            out,
            "<p class=\"box\">No {} meetings are listed: this directory has no {} source yet.</p>",
            escape(info.name),
            escape(info.name)
        );
    }

    // The coming week, by UK date; meetings not held in it (monthly ones, no fixed time) after.
    let tz = london();
    let today = input.produced.to_zoned(tz.clone()).date();
    let from = today
        .to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or(input.produced);
    let until = today
        .checked_add(jiff::Span::new().days(WEEK_DAYS))
        .ok()
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .map_or(from, |z| z.timestamp());
    let mut week: BTreeMap<(jiff::civil::Date, u16, usize), (&Listed, String)> = BTreeMap::new();
    let mut other: Vec<(&Listed, String)> = Vec::new();
    for (i, listed) in input.meetings.iter().enumerate() {
        let Some(schedule) = &listed.meeting.schedule else {
            other.push((listed, "No fixed time".into()));
            continue;
        };
        let time = if schedule.weeks_of_month.is_empty() {
            format!("{}\u{2013}{}", schedule.start_time, schedule.end_time())
        } else {
            when(schedule)
        };
        let mut held = false;
        for occurrence in schedule.occurrences(from, until) {
            let date = occurrence.start.date();
            if occurrence.start.timestamp() >= from && date >= today {
                held = true;
                week.insert((date, schedule.start_time.minutes(), i), (listed, time.clone()));
            }
        }
        if !held {
            other.push((listed, when(schedule)));
        }
    }
    // No header row per day: the cells say what they are, and the space is a meeting's.
    let head = "<table class=\"day\"><tbody>\n";
    if input.meetings.is_empty() {
        out.push_str("<p>No meetings match this search.</p>\n");
    }
    let mut day = None;
    for ((date, _, _), (listed, time)) in &week {
        if day != Some(*date) {
            if day.is_some() {
                out.push_str("</tbody></table>\n");
            }
            day = Some(*date);
            let _ = writeln!(out, "<h2>{}</h2>", date.strftime("%A %-d %B"));
            out.push_str(head);
        }
        row(&mut out, listed, time);
    }
    if day.is_some() {
        out.push_str("</tbody></table>\n");
    }
    if !other.is_empty() {
        out.push_str("<h2>Not held in the coming week</h2>\n");
        out.push_str(head);
        for (listed, time) in &other {
            row(&mut out, listed, time);
        }
        out.push_str("</tbody></table>\n");
    }
    if input.more {
        let _ = writeln!(
            out,
            "<p class=\"small\">Only the first {} meetings are listed.</p>",
            input.meetings.len()
        );
    }
    if input.closed > 0 {
        let _ = writeln!(
            out,
            "<p class=\"small\">{} temporarily closed meeting{} left out.</p>",
            input.closed,
            if input.closed == 1 { " is" } else { "s are" }
        );
    }
    if !input.helplines.is_empty() {
        out.push_str("<div class=\"box contacts\"><h2>Contact details: national helplines</h2><ul>");
        for h in &input.helplines {
            let name = Fellowship::parse(h.fellowship).map_or(h.fellowship, |f| f.info().name);
            let phone = match h.phone {
                Some(phone) => phone.to_string(),
                None => "no phone helpline".to_string(),
            };
            let check = if h.checked {
                String::new()
            } else {
                format!(" (check at {})", escape(h.source))
            };
            let _ = write!(
                out,
                "<li><strong>{}</strong>: {}{check}; {}</li>",
                escape(name),
                escape(&phone),
                escape(h.web)
            );
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str("<footer><h2>Sources</h2>\n<table class=\"sources\"><thead><tr><th>Source</th><th>Attribution</th><th>Last successful update</th></tr></thead><tbody>\n");
    for freshness in input.sources.values() {
        let when = freshness
            .last_success
            .map_or_else(|| "not recorded".to_string(), local_time);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&freshness.name),
            escape(&freshness.attribution),
            when
        );
    }
    out.push_str("</tbody></table>\n");
    // Honest dates: a dump fetched today may list meetings as they were months ago.
    for freshness in input.sources.values() {
        let checked = freshness
            .last_success
            .map(|t| t.to_zoned(london()).strftime("%-d %B %Y").to_string());
        let as_of = match freshness.feed_date {
            Some(date) => format!(" as of {}", date.strftime("%-d %B %Y")),
            None => " (the feed states no date of its own)".to_string(),
        };
        let checked = checked.map_or_else(String::new, |c| format!(", checked {c}"));
        let _ = writeln!(
            out,
            "<p class=\"small\">Listed by {}{as_of}{checked}.</p>",
            escape(&freshness.name)
        );
    }
    out.push_str("</footer>\n");
    if input.choosing {
        choosing(&mut out);
    }
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
