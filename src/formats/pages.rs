//! The server's own pages for people: a page per meeting (what the finder, the hand-out's QR codes
//! and shared links open), the landing page, and the page for a meeting that is not there.
//!
//! Pages are whole without JavaScript: no scripts, no images, no fonts, nothing from another
//! server (an inline stylesheet only, under [`super::html::SELF_CONTAINED_CSP`]); links to maps,
//! journey planners and calendars are plain links the reader chooses to follow. Every string is
//! in the language's catalogue ([`crate::i18n`]); every piece of feed text is HTML-escaped. The
//! meeting page prints on A4 (print stylesheet: no navigation, links written out).

use std::fmt::Write;

use jiff::{SignedDuration, Timestamp};

use super::handout::Freshness;
use super::html::escape;
use crate::domain::{rfc3339, Access, Attendance, Facet, Helpline, Meeting, MeetingType, Schedule, Status};
use crate::i18n::Lang;
use crate::travel::{self, Mode};

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; font-size: 1rem; line-height: 1.45; color: #1a1a1a; background: #fff; margin: 0; }
.wrap { max-width: 46rem; margin: 0 auto; padding: 0 1rem; }
header.site { border-bottom: 1px solid #ccc; padding: 0.5rem 0; }
header.site .wrap { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; justify-content: space-between; align-items: baseline; }
header.site ul.languages { list-style: none; padding: 0; margin: 0; }
header.site a.home { font-weight: bold; color: #1a1a1a; text-decoration: none; }
a { color: #0b57a4; }
a:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: 0.5rem; background: #fff; padding: 0.3rem; z-index: 1; }
h1 { font-size: 1.6rem; line-height: 1.2; margin: 1rem 0 0.3rem; }
h2 { font-size: 1.15rem; margin: 1.4rem 0 0.4rem; border-bottom: 1px solid #ddd; padding-bottom: 0.15rem; }
p, ul, ol { margin: 0.3rem 0; }
.lead { font-size: 1.05rem; }
ul.badges { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.35rem; margin: 0.6rem 0; }
ul.badges li { border: 1px solid #555; border-radius: 1rem; padding: 0.05rem 0.6rem; font-size: 0.9rem; background: #f3f3f3; }
.warning { border: 2px solid #8a4b00; background: #fff4e5; padding: 0.5rem 0.8rem; margin: 0.8rem 0; }
.address { font-style: normal; margin: 0.3rem 0; }
ul.links { padding-left: 1.2rem; }
/* Link lists are tapped: each target at least 24px high with room around it (WCAG 2.5.8). */
ul.links li { margin: 0.3rem 0; }
ul.links a { display: inline-block; min-height: 24px; padding: 2px 0; }
ol.sessions { padding-left: 1.4rem; }
.small { font-size: 0.88rem; color: #333; }
.url { word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.3rem 0; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
pre.notice { white-space: pre-wrap; font-size: 0.8rem; background: #f6f6f6; padding: 0.5rem; }
footer.site { border-top: 1px solid #ccc; margin-top: 2rem; padding: 0.8rem 0; font-size: 0.9rem; }
nav.main ul { list-style: none; padding: 0; display: grid; gap: 0.6rem; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); }
nav.main li { border: 1px solid #bbb; border-radius: 0.4rem; padding: 0.6rem 0.8rem; }
nav.main a { font-weight: bold; font-size: 1.05rem; }
table.counts { border-collapse: collapse; }
table.counts caption { text-align: left; }
table.counts th, table.counts td { text-align: left; padding: 0.15rem 1rem 0.15rem 0; border-bottom: 1px solid #ddd; }
table.counts td.n { text-align: right; }
@page { size: A4; margin: 12mm; }
@media print {
  body { font-size: 10pt; line-height: 1.3; }
  h1 { font-size: 16pt; margin-top: 0; }
  h2 { font-size: 12pt; margin: 0.8em 0 0.2em; }
  h3 { font-size: 10.5pt; margin: 0.6em 0 0.1em; }
  header.site nav, .skip, .no-print, footer.site { display: none; }
  .wrap { max-width: none; padding: 0; }
  a { color: #000; text-decoration: none; }
  a.print-url::after { content: ' (' attr(href) ')'; font-size: 8.5pt; word-break: break-all; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  /* Paper is not wasted keeping whole sections together; lines and lists stay whole. */
  p, li, address, dl { break-inside: avoid; page-break-inside: avoid; }
}
";

/// How many dated sessions a meeting page lists.
pub const NEXT_SESSIONS: usize = 4;

/// How far ahead to look for them: monthly meetings need four months and more.
const LOOK_AHEAD_DAYS: i64 = 200;

/// Where to tell someone that a listing is wrong. Made in one place ([`crate::http`]'s meeting
/// page handler asks one function), so it can point at the directory's own report form once
/// there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTo {
    /// A link (`https://...` or `mailto:...`).
    pub href: String,
    /// Who it reaches, in words (the source's name, the fellowship's name).
    pub who: String,
}

/// What a meeting page shows.
pub struct MeetingPage<'a> {
    pub meeting: &'a Meeting,
    pub lang: Lang,
    /// The moment the next sessions are counted from.
    pub now: Timestamp,
    /// The page's own path (`/meetings/{id}`, percent-encoded), for the language links.
    pub path: &'a str,
    /// The page's absolute address, written into calendar entries.
    pub page_url: &'a str,
    /// The meeting's iCalendar file (relative link), when it has a fixed time.
    pub calendar_path: Option<&'a str>,
    /// The listing's source first, then the others that list it too.
    pub sources: Vec<Freshness>,
    pub helpline: Option<&'static Helpline>,
    pub report: Vec<ReportTo>,
}

fn page_start(out: &mut String, lang: Lang, title: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        lang.code(),
        escape(title)
    );
}

/// The site header: skip link, home, and the switch to the other languages of this page.
fn header(out: &mut String, lang: Lang, path: &str) {
    let _ = write!(
        out,
        "<a class=\"skip\" href=\"#main\">{}</a>\n<header class=\"site\"><div class=\"wrap\">\
         <a class=\"home\" href=\"/?lang={}\">{}</a><nav aria-label=\"{}\"><ul class=\"languages\">",
        escape(lang.text("pages.common.skip")),
        lang.code(),
        escape(lang.text("pages.common.site_name")),
        escape(lang.text("pages.common.languages")),
    );
    for other in Lang::ALL.into_iter().filter(|l| *l != lang) {
        let _ = write!(
            out,
            "<li><a href=\"{path}?lang={code}\" hreflang=\"{code}\" lang=\"{code}\">{}</a></li>",
            escape(other.name()),
            code = other.code(),
            path = escape(path),
        );
    }
    out.push_str("</ul></nav></div></header>\n<main id=\"main\" class=\"wrap\">\n");
}

fn footer(out: &mut String, lang: Lang) {
    let _ = write!(
        out,
        "</main>\n<footer class=\"site\"><div class=\"wrap\"><nav aria-label=\"{}\"><a href=\"/?lang={code}\">{}</a> \u{b7} \
         <a href=\"/embed?lang={code}\">{}</a></nav><p class=\"small\">{}</p></div></footer>\n</body></html>\n",
        escape(lang.text("pages.common.footer_nav")),
        escape(lang.text("pages.common.home")),
        escape(lang.text("pages.common.find")),
        escape(lang.text("pages.common.privacy")),
        code = lang.code(),
    );
}

/// `8217` as `8,217`: both languages group thousands with commas.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Query-string encoding of one value.
fn enc(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s[1..].to_string())
        .unwrap_or_default()
}

/// "Every Monday 19:00–20:00", "Dydd Sul (cyntaf a trydydd) bob mis 10:30–11:30".
pub fn when(lang: Lang, schedule: &Schedule) -> String {
    let text = when_lower(lang, schedule);
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

fn when_lower(lang: Lang, schedule: &Schedule) -> String {
    let times = format!("{}\u{2013}{}", schedule.start_time, schedule.end_time());
    if schedule.weeks_of_month.is_empty() {
        return lang.fill(
            "pages.schedule.weekly",
            &[("every_day", lang.every_day(schedule.day)), ("times", &times)],
        );
    }
    let mut weeks = schedule.weeks_of_month.clone();
    weeks.sort_by_key(|&w| if w < 0 { 6 } else { w });
    let weeks: Vec<&str> = weeks
        .into_iter()
        .map(|w| {
            lang.text(&format!(
                "pages.schedule.week.{}",
                if w < 0 { "last".into() } else { w.to_string() }
            ))
        })
        .collect();
    let weeks = match weeks.split_last() {
        Some((last, rest)) if !rest.is_empty() => lang.fill(
            "pages.schedule.and",
            &[("first", &rest.join(", ")), ("last", last)],
        ),
        _ => weeks.join(""),
    };
    lang.fill(
        "pages.schedule.monthly",
        &[
            ("weeks", &weeks),
            ("day", lang.day(schedule.day)),
            ("times", &times),
        ],
    )
}

/// The types a newcomer looks for first, as badges: access, communities, beginners, languages
/// other than English.
fn badge_key(t: MeetingType) -> Option<String> {
    let info = t.info();
    match (info.facet, info.code) {
        (Facet::Accessibility, "wheelchair" | "hearing-loop" | "bsl")
        | (Facet::Community, "women" | "men" | "lgbtq" | "young-people")
        | (Facet::Format, "beginners" | "newcomers") => Some(format!("pages.badges.{}", info.code)),
        (Facet::Language, "en") => None,
        (Facet::Language, "cy") => Some("pages.badges.cy".into()),
        (Facet::Language, _) => Some("pages.badges.language".into()),
        _ => None,
    }
}

/// A type's label in the language: the catalogue's when it has one, else the vocabulary's.
fn type_label(lang: Lang, t: MeetingType) -> String {
    lang.lookup(&format!("pages.types.{t}"))
        .map_or_else(|| t.info().label.to_string(), str::to_string)
}

/// Text with its line breaks kept.
fn paragraphs(text: &str) -> String {
    escape(text).replace('\n', "<br>")
}

/// The dated sessions from `now` on (an occurrence under way counts).
pub fn next_sessions(schedule: &Schedule, now: Timestamp, count: usize) -> Vec<crate::domain::Occurrence> {
    let until = now
        .checked_add(SignedDuration::from_hours(24 * LOOK_AHEAD_DAYS))
        .unwrap_or(now);
    schedule.occurrences(now, until).take(count).collect()
}

/// Google Calendar's "add event" link: the first session, repeating as the meeting does, in its
/// own zone.
fn google_calendar(
    m: &Meeting,
    schedule: &Schedule,
    first: &crate::domain::Occurrence,
    details: &str,
) -> String {
    let stamp = |z: &jiff::Zoned| z.strftime("%Y%m%dT%H%M%S").to_string();
    let byday = schedule.day.as_str()[..2].to_ascii_uppercase();
    let rule = if schedule.weeks_of_month.is_empty() {
        format!("RRULE:FREQ=WEEKLY;BYDAY={byday}")
    } else {
        let days: Vec<String> = schedule
            .weeks_of_month
            .iter()
            .map(|w| format!("{w}{byday}"))
            .collect();
        format!("RRULE:FREQ=MONTHLY;BYDAY={}", days.join(","))
    };
    let location = m.location.as_ref().map(|l| l.address()).unwrap_or_default();
    format!(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&ctz={}&details={}&location={}&recur={}",
        enc(&m.name),
        stamp(&first.start),
        stamp(&first.end),
        enc(schedule.timezone.name()),
        enc(details),
        enc(&location),
        enc(&rule),
    )
}

/// Outlook's "new event" link (one session: Outlook links cannot repeat; the .ics file does).
fn outlook_calendar(m: &Meeting, first: &crate::domain::Occurrence, details: &str) -> String {
    let location = m.location.as_ref().map(|l| l.address()).unwrap_or_default();
    format!(
        "https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent&subject={}&startdt={}&enddt={}&body={}&location={}",
        enc(&m.name),
        enc(&rfc3339(&first.start)),
        enc(&rfc3339(&first.end)),
        enc(details),
        enc(&location),
    )
}

/// The meeting page.
pub fn meeting_page(input: &MeetingPage) -> String {
    let (m, lang) = (input.meeting, input.lang);
    let t = |key: &str| escape(lang.text(key));
    let info = m.fellowship.info();
    let fellowship_name = lang
        .lookup(&format!("pages.fellowships.{}", info.id))
        .unwrap_or(info.name);
    let mut out = String::with_capacity(16 * 1024);
    page_start(&mut out, lang, &format!("{} \u{2013} {fellowship_name}", m.name));
    header(&mut out, lang, input.path);

    let _ = writeln!(out, "<h1>{}</h1>", escape(&m.name));
    let access = match m.access {
        Access::Open => "pages.meeting.open",
        Access::Closed => "pages.meeting.closed",
        Access::Unknown => "pages.meeting.access_unknown",
    };
    let attendance = match m.attendance {
        Attendance::InPerson => "pages.meeting.in_person",
        Attendance::Online => "pages.meeting.online",
        Attendance::Hybrid => "pages.meeting.hybrid",
    };
    let _ = write!(
        out,
        "<p class=\"lead\"><strong>{}</strong> \u{b7} {}</p>\n<p>{}</p>\n",
        escape(fellowship_name),
        t(attendance),
        t(access),
    );
    if let Some(group) = m.group_name.as_ref().filter(|g| **g != m.name) {
        let _ = writeln!(
            out,
            "<p>{}</p>",
            lang.fill("pages.meeting.group", &[("group", &escape(group))])
        );
    }
    let mut badges: Vec<String> = Vec::new();
    for ty in &m.types {
        if let Some(key) = badge_key(*ty) {
            let label = lang.fill(&key, &[("language", &type_label(lang, *ty))]);
            if !badges.contains(&label) {
                badges.push(label);
            }
        }
    }
    if !badges.is_empty() {
        let _ = write!(
            out,
            "<ul class=\"badges\" aria-label=\"{}\">",
            t("pages.meeting.badges")
        );
        for b in &badges {
            let _ = write!(out, "<li>{}</li>", escape(b));
        }
        out.push_str("</ul>\n");
    }
    // An open report is said before the times: it may make them wrong (a meeting reported
    // as moved or closed should not be walked to without checking).
    if let Some(reported) = &m.reported {
        let reason = lang.text(&format!("pages.meeting.reason_{}", reported.reason.as_str()));
        let date = lang.date(reported.at.to_zoned(jiff::tz::TimeZone::UTC).date());
        let _ = writeln!(
            out,
            "<p class=\"warning\" role=\"note\">{}</p>",
            escape(&lang.fill("pages.meeting.reported", &[("date", &date), ("reason", reason)]))
        );
    }
    if m.status == Status::TemporarilyClosed {
        let _ = writeln!(
            out,
            "<p class=\"warning\" role=\"note\">{}</p>",
            t("pages.meeting.temporarily_closed")
        );
    }

    // When.
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"when\"><h2 id=\"when\">{}</h2>",
        t("pages.meeting.when")
    );
    match &m.schedule {
        None => {
            let _ = writeln!(out, "<p>{}</p>", t("pages.meeting.no_fixed_time"));
        }
        Some(schedule) => {
            let _ = writeln!(out, "<p class=\"lead\">{}</p>", escape(&when(lang, schedule)));
            let zone = schedule.timezone.name();
            if zone != "Europe/London" {
                let _ = writeln!(
                    out,
                    "<p>{}</p>",
                    lang.fill("pages.meeting.zone", &[("zone", &escape(zone))])
                );
            }
            let sessions = if m.status == Status::Active {
                next_sessions(schedule, input.now, NEXT_SESSIONS)
            } else {
                Vec::new()
            };
            if !sessions.is_empty() {
                let _ = write!(
                    out,
                    "<h3>{}</h3><ol class=\"sessions\">",
                    t("pages.meeting.next_sessions")
                );
                for s in &sessions {
                    let _ = write!(
                        out,
                        "<li><time datetime=\"{}\">{}, {}\u{2013}{}</time></li>",
                        rfc3339(&s.start),
                        escape(&lang.date(s.start.date())),
                        s.start.strftime("%H:%M"),
                        s.end.strftime("%H:%M"),
                    );
                }
                out.push_str("</ol>\n");
            }
            if let Some(first) = sessions.first() {
                let details = format!("{}\n{}", when(lang, schedule), input.page_url);
                let _ = write!(
                    out,
                    // Links to press: not on paper.
                    "<div class=\"no-print\"><p>{}</p><ul class=\"links\">",
                    t("pages.meeting.add_to_calendar")
                );
                if let Some(ics) = input.calendar_path {
                    let _ = write!(
                        out,
                        "<li><a href=\"{}\" download>{}</a></li>",
                        escape(ics),
                        t("pages.meeting.calendar_file")
                    );
                }
                let _ = writeln!(
                    out,
                    "<li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li><li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li></ul></div>",
                    escape(&google_calendar(m, schedule, first, &details)),
                    t("pages.meeting.google_calendar"),
                    escape(&outlook_calendar(m, first, &details)),
                    t("pages.meeting.outlook_calendar"),
                );
            }
        }
    }
    out.push_str("</section>\n");

    // Where.
    if let Some(loc) = &m.location {
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"where\"><h2 id=\"where\">{}</h2>",
            t("pages.meeting.where")
        );
        out.push_str("<address class=\"address\">");
        let lines: Vec<String> = loc
            .venue
            .iter()
            .chain(&loc.address_lines)
            .chain(&loc.town)
            .chain(&loc.postcode)
            .filter(|s| !s.trim().is_empty())
            .map(|s| escape(s))
            .collect();
        out.push_str(&lines.join("<br>"));
        out.push_str("</address>\n");
        if let Some(notes) = &loc.notes {
            let _ = writeln!(
                out,
                "<p><strong>{}</strong> {}</p>",
                t("pages.meeting.finding_the_room"),
                paragraphs(notes)
            );
        }
        // Getting in, in words.
        let _ = write!(out, "<h3>{}</h3><ul>", t("pages.meeting.access_heading"));
        for ty in m.types.iter().filter(|t| t.facet() == Facet::Accessibility) {
            let key = format!("pages.access.{}", ty.info().code);
            let text = lang
                .lookup(&key)
                .map_or_else(|| type_label(lang, *ty), str::to_string);
            let _ = write!(out, "<li>{}</li>", escape(&text));
        }
        if !m
            .types
            .iter()
            .any(|t| t.info().code == "wheelchair" && t.facet() == Facet::Accessibility)
        {
            let _ = write!(out, "<li>{}</li>", t("pages.access.step_free_unknown"));
        }
        out.push_str("</ul>\n");
        if let Some((lat, lon)) = loc.point() {
            let osm = format!(
                "https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=17/{lat:.5}/{lon:.5}"
            );
            let _ = write!(
                out,
                "<h3>{}</h3>{}<p>{} <a class=\"print-url\" href=\"{}\" rel=\"noopener noreferrer\">{}</a></p>",
                t("pages.meeting.map"),
                super::locator::locator_svg(lat, lon, lang.text("pages.meeting.locator_label"))
                    .unwrap_or_default(),
                lang.fill(
                    "pages.meeting.coordinates",
                    &[("lat", &format!("{lat:.5}")), ("lon", &format!("{lon:.5}"))]
                ),
                escape(&osm),
                t("pages.meeting.open_map"),
            );
            if loc.approximate {
                let _ = write!(out, "<p class=\"small\">{}</p>", t("pages.meeting.approximate"));
            }
            let foot = travel::directions_url((lat, lon), None, Some(Mode::Walk));
            let car = travel::directions_url((lat, lon), None, Some(Mode::Drive));
            let transit = format!(
                "https://www.google.com/maps/dir/?api=1&destination={lat:.5}%2C{lon:.5}&travelmode=transit"
            );
            let _ = writeln!(
                out,
                "<div class=\"no-print\"><h3>{}</h3><ul class=\"links\">\
                 <li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>\
                 <li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>\
                 <li><a href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>\
                 <li><a href=\"https://www.traveline.info/\" rel=\"noopener noreferrer\">{}</a></li></ul></div>",
                t("pages.meeting.directions"),
                escape(&foot),
                t("pages.meeting.by_foot"),
                escape(&car),
                t("pages.meeting.by_car"),
                escape(&transit),
                t("pages.meeting.by_transit"),
                t("pages.meeting.traveline"),
            );
        }
        out.push_str("</section>\n");
    }

    // Online.
    if let Some(online) = m.online.as_ref().filter(|_| m.attendance.is_remote()) {
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"online\"><h2 id=\"online\">{}</h2>",
            t("pages.meeting.join_online")
        );
        out.push_str("<dl class=\"facts\">");
        if let Some(platform) = online.platform() {
            let _ = write!(
                out,
                "<dt>{}</dt><dd>{}</dd>",
                t("pages.meeting.platform"),
                escape(platform)
            );
        }
        if let Some(url) = &online.url {
            let _ = write!(
                out,
                "<dt>{}</dt><dd><a class=\"url\" href=\"{}\" rel=\"noopener noreferrer\">{}</a></dd>",
                t("pages.meeting.join_link"),
                escape(url),
                escape(url)
            );
        }
        if let Some(phone) = &online.phone {
            let tel: String = phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect();
            let _ = write!(
                out,
                "<dt>{}</dt><dd><a href=\"tel:{}\">{}</a></dd>",
                t("pages.meeting.dial_in"),
                escape(&tel),
                escape(phone)
            );
        }
        if let Some(notes) = &online.notes {
            let _ = write!(
                out,
                "<dt>{}</dt><dd>{}</dd>",
                t("pages.meeting.joining_notes"),
                paragraphs(notes)
            );
        }
        out.push_str("</dl>\n");
        if online.url.is_none() && online.phone.is_none() && online.notes.is_none() {
            let _ = write!(out, "<p>{}</p>", t("pages.meeting.no_join_details"));
        }
        out.push_str("</section>\n");
    }

    // What it is.
    let others: Vec<String> = m
        .types
        .iter()
        .filter(|t| badge_key(**t).is_none() && t.facet() != Facet::Accessibility)
        .map(|t| type_label(lang, *t))
        .collect();
    if m.notes.is_some() || !others.is_empty() || !m.source_types.is_empty() {
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"about\"><h2 id=\"about\">{}</h2>",
            t("pages.meeting.about")
        );
        if let Some(notes) = &m.notes {
            let _ = writeln!(out, "<p>{}</p>", paragraphs(notes));
        }
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "<p><strong>{}</strong> {}</p>",
                t("pages.meeting.types"),
                escape(&others.join(", "))
            );
        }
        if !m.source_types.is_empty() {
            let _ = writeln!(
                out,
                "<p class=\"small\">{} {}</p>",
                t("pages.meeting.source_types"),
                escape(&m.source_types.join(", "))
            );
        }
        out.push_str("</section>\n");
    }

    // Help by phone.
    if let Some(h) = input.helpline {
        let _ = writeln!(
            out,
            "<section aria-labelledby=\"help\"><h2 id=\"help\">{}</h2>",
            t("pages.meeting.helpline")
        );
        match h.phone {
            Some(phone) => {
                let tel: String = phone
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                let _ = write!(
                    out,
                    "<p>{} <a href=\"tel:{tel}\"><strong>{}</strong></a></p>",
                    lang.fill(
                        "pages.meeting.helpline_phone",
                        &[("fellowship", &escape(fellowship_name))]
                    ),
                    escape(phone)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<p>{}</p>",
                    lang.fill(
                        "pages.meeting.helpline_none",
                        &[("fellowship", &escape(fellowship_name))]
                    )
                );
            }
        }
        let _ = writeln!(
            out,
            "<p><a class=\"print-url\" href=\"{}\" rel=\"noopener noreferrer\">{}</a></p><p class=\"small\">{} <a class=\"url\" href=\"{}\" rel=\"noopener noreferrer\">{}</a>{}</p></section>",
            escape(h.web),
            t("pages.meeting.helpline_web"),
            t("pages.meeting.helpline_source"),
            escape(h.source),
            escape(h.source),
            if h.checked { String::new() } else { format!(" {}", t("pages.meeting.helpline_unchecked")) },
        );
    }

    // Where the listing comes from, and how old it is.
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"listing\"><h2 id=\"listing\">{}</h2>",
        t("pages.meeting.listing")
    );
    for (i, s) in input.sources.iter().enumerate() {
        let key = if i == 0 {
            "pages.meeting.listed_by"
        } else {
            "pages.meeting.also_listed_by"
        };
        let _ = write!(
            out,
            "<p>{}",
            lang.fill(
                key,
                &[("source", &format!("<strong>{}</strong>", escape(&s.name)))]
            )
        );
        match s.feed_date {
            Some(date) => {
                let _ = write!(
                    out,
                    " {}",
                    lang.fill(
                        "pages.meeting.feed_date",
                        &[("date", &escape(&lang.short_date(date)))]
                    )
                );
            }
            None => {
                let _ = write!(out, " {}", t("pages.meeting.feed_undated"));
            }
        }
        if let Some(checked) = s.last_success {
            let date = checked
                .to_zoned(crate::domain::Zone::london().tz().clone())
                .date();
            let _ = write!(
                out,
                " {}",
                lang.fill(
                    "pages.meeting.last_checked",
                    &[("date", &escape(&lang.short_date(date)))]
                )
            );
        }
        out.push_str("</p>");
        if !s.attribution.is_empty() {
            let _ = write!(out, "<p class=\"small\">{}</p>", escape(&s.attribution));
        }
        out.push('\n');
    }
    let london = crate::domain::Zone::london().tz().clone();
    let _ = writeln!(
        out,
        "<p class=\"small\">{}</p>",
        lang.fill(
            "pages.meeting.seen",
            &[
                (
                    "updated",
                    &escape(&lang.short_date(m.updated_at.to_zoned(london.clone()).date()))
                ),
                (
                    "seen",
                    &escape(&lang.short_date(m.last_seen_at.to_zoned(london).date()))
                ),
            ]
        )
    );
    let _ = writeln!(out, "<p>{}</p>", t("pages.meeting.check_before"));
    let _ = write!(
        out,
        "<h3 id=\"report\">{}</h3><p>{}</p><ul class=\"links\">",
        t("pages.meeting.report"),
        t("pages.meeting.report_intro")
    );
    for r in &input.report {
        // The directory's own form (a path on this server) reads as an action, not an address.
        if r.href.starts_with('/') {
            let _ = write!(
                out,
                "<li><a href=\"{}\">{}</a></li>",
                escape(&r.href),
                t("pages.meeting.report_form")
            );
            continue;
        }
        let shown = r.href.strip_prefix("mailto:").unwrap_or(&r.href);
        let _ = write!(
            out,
            "<li>{} <a class=\"url\" href=\"{}\" rel=\"noopener noreferrer\">{}</a></li>",
            escape(&lang.fill("pages.meeting.report_to", &[("who", &r.who)])),
            escape(&r.href),
            escape(shown)
        );
    }
    out.push_str("</ul></section>\n");
    footer(&mut out, lang);
    out
}

/// The page for an id that names no meeting (status 404).
pub fn not_found_page(lang: Lang, path: &str) -> String {
    let mut out = String::with_capacity(4096);
    page_start(&mut out, lang, lang.text("pages.not_found.title"));
    header(&mut out, lang, path);
    let _ = writeln!(
        out,
        "<h1>{}</h1><p>{}</p><ul class=\"links\"><li><a href=\"/embed?lang={code}\">{}</a></li><li><a href=\"/?lang={code}\">{}</a></li></ul>",
        escape(lang.text("pages.not_found.title")),
        escape(lang.text("pages.not_found.body")),
        escape(lang.text("pages.common.find")),
        escape(lang.text("pages.common.home")),
        code = lang.code(),
    );
    footer(&mut out, lang);
    out
}

/// What the landing page says about the directory.
pub struct Landing<'a> {
    pub lang: Lang,
    pub meetings: usize,
    /// Fellowships with meetings, with their counts, in display order.
    pub fellowships: Vec<(crate::domain::Fellowship, usize)>,
    /// Every source that has meetings here, with its freshness.
    pub sources: Vec<Freshness>,
    /// When the directory last imported anything successfully.
    pub last_import: Option<Timestamp>,
    /// The attribution the bundled data's licences require (the NOTICE file).
    pub notice: &'a str,
}

/// The landing page at `/`.
pub fn landing_page(input: &Landing) -> String {
    let lang = input.lang;
    let t = |key: &str| escape(lang.text(key));
    let mut out = String::with_capacity(8 * 1024);
    page_start(&mut out, lang, lang.text("pages.landing.title"));
    header(&mut out, lang, "/");
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"lead\">{}</p>\n<nav class=\"main\" aria-label=\"{}\"><ul>",
        t("pages.landing.title"),
        t("pages.landing.intro"),
        t("pages.landing.nav"),
    );
    for (href, key) in [
        // The finder in the page's language (it reads `lang` like the pages do).
        (format!("/embed?lang={}", lang.code()), "finder"),
        ("/handout".to_string(), "handout"),
        ("/v1/coverage?format=html".to_string(), "coverage"),
        ("/docs/".to_string(), "api"),
        ("/v1/sources".to_string(), "sources"),
    ] {
        let _ = write!(
            out,
            "<li><a href=\"{}\">{}</a><p class=\"small\">{}</p></li>",
            escape(&href),
            t(&format!("pages.landing.{key}")),
            t(&format!("pages.landing.{key}_about")),
        );
    }
    out.push_str("</ul></nav>\n");

    let _ = write!(
        out,
        "<section aria-labelledby=\"data\"><h2 id=\"data\">{}</h2><p>{}</p>",
        t("pages.landing.freshness"),
        lang.fill(
            if input.sources.len() == 1 {
                "pages.landing.counts_one_source"
            } else {
                "pages.landing.counts"
            },
            &[
                ("meetings", &thousands(input.meetings)),
                ("sources", &thousands(input.sources.len())),
            ]
        )
    );
    match input.last_import {
        Some(at) => {
            let zoned = at.to_zoned(crate::domain::Zone::london().tz().clone());
            let _ = write!(
                out,
                "<p>{}</p>",
                lang.fill(
                    "pages.landing.last_import",
                    &[
                        ("date", &escape(&lang.short_date(zoned.date()))),
                        ("time", &zoned.strftime("%H:%M %Z").to_string())
                    ]
                )
            );
        }
        None => {
            let _ = write!(out, "<p>{}</p>", t("pages.landing.never_imported"));
        }
    }
    if !input.fellowships.is_empty() {
        let _ = write!(
            out,
            "<table class=\"counts\"><caption class=\"small\">{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            t("pages.landing.by_fellowship"),
            t("pages.landing.fellowship"),
            t("pages.landing.meetings"),
        );
        for (f, n) in &input.fellowships {
            let info = f.info();
            let name = lang
                .lookup(&format!("pages.fellowships.{}", info.id))
                .unwrap_or(info.name);
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                escape(name),
                thousands(*n)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<section aria-labelledby=\"about-data\"><h2 id=\"about-data\">{}</h2><p>{}</p>",
        t("pages.landing.about_data"),
        t("pages.landing.about_data_intro")
    );
    if !input.sources.is_empty() {
        out.push_str("<ul>");
        for s in &input.sources {
            let _ = write!(out, "<li><strong>{}</strong>", escape(&s.name));
            if let Some(date) = s.feed_date {
                let _ = write!(
                    out,
                    " \u{2013} {}",
                    lang.fill(
                        "pages.meeting.feed_date",
                        &[("date", &escape(&lang.short_date(date)))]
                    )
                );
            }
            if !s.attribution.is_empty() {
                let _ = write!(out, "<br><span class=\"small\">{}</span>", escape(&s.attribution));
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<h3>{}</h3><pre class=\"notice\" lang=\"en\">{}</pre></section>",
        t("pages.landing.notice"),
        escape(input.notice.trim())
    );
    footer(&mut out, lang);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Day, Fellowship, LocalTime, Location, Online, SourceRef, Zone};

    fn sample() -> Meeting {
        Meeting {
            id: "m1".into(),
            fellowship: Fellowship::parse("aa").unwrap(),
            name: "Wrexham <Tuesday> Step".into(),
            group_name: None,
            schedule: Some(Schedule::weekly_london(
                Day::Tue,
                LocalTime::from_hm(19, 30).unwrap(),
                90,
            )),
            access: Access::Open,
            attendance: Attendance::Hybrid,
            types: [
                "accessibility:wheelchair",
                "language:cy",
                "format:step",
                "community:women",
            ]
            .iter()
            .map(|t| MeetingType::parse(t).unwrap())
            .collect(),
            source_types: vec![],
            location: Some(Location {
                venue: Some("St Giles Hall".into()),
                address_lines: vec!["Church Street".into()],
                town: Some("Wrexham".into()),
                postcode: Some("LL13 8LS".into()),
                country: Some("GB".into()),
                lat: Some(53.0437),
                lon: Some(-2.9925),
                approximate: false,
                notes: Some("Side door, first floor".into()),
            }),
            online: Some(Online {
                url: Some("https://us02web.zoom.us/j/812?pwd=a&b".into()),
                phone: Some("+44 203 481 5240".into()),
                notes: Some("Meeting ID 812".into()),
            }),
            notes: Some("Polish speakers welcome".into()),
            status: Status::Active,
            reported: None,
            source: SourceRef {
                id: "s".into(),
                name: "North Wales Intergroup".into(),
                attribution: "Data from NWI".into(),
                record_id: None,
                raw: Default::default(),
            },
            also_listed_by: vec![],
            first_seen_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            updated_at: "2026-10-01T00:00:00Z".parse().unwrap(),
            last_seen_at: "2026-11-20T00:00:00Z".parse().unwrap(),
        }
    }

    fn render(m: &Meeting, lang: Lang) -> String {
        meeting_page(&MeetingPage {
            meeting: m,
            lang,
            // A Thursday in November: the next Tuesdays are 24 Nov, 1, 8 and 15 Dec.
            now: "2026-11-19T12:00:00Z".parse().unwrap(),
            path: "/meetings/m1",
            page_url: "http://127.0.0.1/meetings/m1",
            calendar_path: Some("/v1/meetings/m1.ics"),
            sources: vec![Freshness {
                name: "North Wales Intergroup".into(),
                attribution: "Data from NWI".into(),
                last_success: Some("2026-11-20T08:00:00Z".parse().unwrap()),
                feed_date: Some("2026-08-05".parse().unwrap()),
            }],
            helpline: crate::domain::helpline(m.fellowship),
            report: vec![ReportTo {
                href: "mailto:listings@example.org".into(),
                who: "North Wales Intergroup".into(),
            }],
        })
    }

    #[test]
    fn a_meeting_page_says_when_where_and_how() {
        let page = render(&sample(), Lang::En);
        for expected in [
            "<html lang=\"en\"",
            "Wrexham &lt;Tuesday&gt; Step",
            "Alcoholics Anonymous",
            "Open meeting",
            "In person and online",
            "Every Tuesday 19:30\u{2013}21:00",
            "<time datetime=\"2026-11-24T19:30:00+00:00\">Tuesday 24 November 2026, 19:30\u{2013}21:00</time>",
            "<time datetime=\"2026-12-15T19:30:00+00:00\">",
            "St Giles Hall<br>Church Street<br>Wrexham<br>LL13 8LS",
            "Side door, first floor",
            "Step-free access",
            "Wheelchair access",
            "Welsh (Cymraeg)",
            "Women",
            "engine=fossgis_osrm_foot",
            "engine=fossgis_osrm_car",
            "travelmode=transit",
            "traveline.info",
            "/v1/meetings/m1.ics",
            "calendar.google.com/calendar/render?action=TEMPLATE",
            "recur=RRULE%3AFREQ%3DWEEKLY%3BBYDAY%3DTU",
            "outlook.live.com",
            "Zoom",
            "https://us02web.zoom.us/j/812?pwd=a&amp;b",
            "tel:+442034815240",
            "0800 9177 650",
            "alcoholics-anonymous.org.uk/contact-us",
            "North Wales Intergroup",
            "5 August 2026",
            "20 November 2026",
            "mailto:listings@example.org",
            "Step study",
            "Polish speakers welcome",
            "@page { size: A4",
        ] {
            assert!(page.contains(expected), "missing {expected:?} in\n{page}");
        }
        assert_eq!(page.matches("<time datetime=").count(), NEXT_SESSIONS);
        assert!(!page.contains("pages."), "every string is in the catalogue");
        assert!(!page.contains("<script"));
        assert!(!page.contains("Europe/London time"), "London is not named");
    }

    #[test]
    fn an_open_report_is_said_before_the_times_in_both_languages() {
        let mut m = sample();
        m.reported = Some(crate::domain::Reported {
            open: 2,
            reason: crate::domain::ReportReason::Moved,
            at: "2026-11-28T09:00:00Z".parse().unwrap(),
            summary: "Reported as possibly moved on 28 November 2026".into(),
        });
        let page = render(&m, Lang::En);
        let warning = "Someone reported on Saturday 28 November 2026 that this meeting may have moved.";
        let at = page
            .find(warning)
            .unwrap_or_else(|| panic!("no warning in\n{page}"));
        assert!(
            at < page.find("<time datetime=").unwrap(),
            "said before the dates"
        );
        let welsh = render(&m, Lang::Cy);
        assert!(
            welsh.contains("28 Tachwedd 2026") && welsh.contains("wedi symud"),
            "{welsh}"
        );
        assert!(!render(&sample(), Lang::En).contains("Someone reported"));
    }

    #[test]
    fn the_directory_s_own_report_form_reads_as_an_action() {
        let mut input_report = vec![ReportTo {
            href: "/meetings/m1/report".into(),
            who: String::new(),
        }];
        input_report.push(ReportTo {
            href: "mailto:a@example.org".into(),
            who: "NWI".into(),
        });
        let m = sample();
        let page = meeting_page(&MeetingPage {
            meeting: &m,
            lang: Lang::En,
            now: "2026-11-19T12:00:00Z".parse().unwrap(),
            path: "/meetings/m1",
            page_url: "http://127.0.0.1/meetings/m1",
            calendar_path: None,
            sources: vec![],
            helpline: None,
            report: input_report,
        });
        assert!(
            page.contains("<li><a href=\"/meetings/m1/report\">Tell this directory: report a problem with this listing</a></li>"),
            "{page}"
        );
        assert!(page.contains("NWI:"));
    }

    #[test]
    fn a_welsh_page_is_in_welsh() {
        let page = render(&sample(), Lang::Cy);
        for expected in [
            "<html lang=\"cy\"",
            "Dydd Mawrth 24 Tachwedd 2026",
            "Dydd Mawrth 1 Rhagfyr 2026",
            "Cyfeiriad",
            "Cyfarwyddiadau",
            "Bob dydd Mawrth 19:30",
            "hreflang=\"en\"",
        ] {
            assert!(page.contains(expected), "missing {expected:?} in\n{page}");
        }
        assert!(!page.contains("Tuesday 24"));
        assert!(!page.contains("pages."), "every string is in the catalogue");
    }

    #[test]
    fn another_zone_is_named_and_monthly_meetings_dated() {
        let mut m = sample();
        m.schedule = Some(
            Schedule::new(
                Day::Sun,
                LocalTime::from_hm(10, 30).unwrap(),
                60,
                Zone::get("Europe/Dublin").unwrap(),
                vec![1, -1],
            )
            .unwrap(),
        );
        m.attendance = Attendance::InPerson;
        m.online = None;
        let page = render(&m, Lang::En);
        assert!(page.contains("Europe/Dublin"), "{page}");
        assert!(page.contains("1st and last Sunday of the month 10:30"), "{page}");
        // 6 Dec (1st), 27 Dec (last), 3 Jan, 31 Jan.
        for d in [
            "2026-11-29T10:30:00+00:00",
            "2026-12-06T10:30:00+00:00",
            "2026-12-27T10:30",
            "2027-01-03T10:30",
        ] {
            assert!(page.contains(d), "{d} in {page}");
        }
        assert!(!page.contains("Join online"));
    }

    #[test]
    fn closed_meetings_list_no_sessions_and_no_time_is_said() {
        let mut m = sample();
        m.status = Status::TemporarilyClosed;
        let page = render(&m, Lang::En);
        assert!(page.contains("class=\"warning\""));
        assert!(!page.contains("<time datetime="));
        m.schedule = None;
        m.status = Status::Active;
        let page = render(&m, Lang::En);
        assert!(page.contains("No fixed time"), "{page}");
    }

    #[test]
    fn the_landing_page_links_everything() {
        let page = landing_page(&Landing {
            lang: Lang::En,
            meetings: 8217,
            fellowships: vec![(Fellowship::parse("aa").unwrap(), 5830)],
            sources: vec![],
            last_import: Some("2026-11-20T08:00:00Z".parse().unwrap()),
            notice: "Contains OS data © Crown copyright",
        });
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234567), "1,234,567");
        for expected in [
            "/embed",
            "/handout",
            "/v1/coverage",
            "/docs/",
            "/v1/sources",
            "8,217 meetings from 0 sources.",
            "5,830",
            "Contains OS data",
        ] {
            assert!(page.contains(expected), "{expected} in {page}");
        }
        assert!(not_found_page(Lang::Cy, "/meetings/x").contains("lang=\"cy\""));
    }
}
