//! iCalendar (RFC 5545): one meeting, or a search, as a calendar people can import or subscribe to.
//!
//! Each meeting with a schedule is one `VEVENT` with a recurrence rule in the meeting's own time
//! zone (`DTSTART;TZID=Europe/London:...`), so calendar apps follow daylight saving exactly as
//! `/v1/occurrences` does. Every zone used gets a `VTIMEZONE` built from the tz database's
//! transitions (from a week before the earliest event to 20 years after the latest), which parsers
//! that do not know IANA names need. Meetings with no fixed time are left out; temporarily closed
//! meetings are `STATUS:CANCELLED`.

use std::collections::BTreeMap;

use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::domain::{Meeting, Status};

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// Escapes a TEXT value (RFC 5545 3.3.11).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes one content line, folded at 75 octets (never inside a UTF-8 character), ending in CRLF.
pub fn push_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

fn utc_stamp(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn offset_text(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// `t` moved by `by`, stopping at the ends of time: the instants written here come from stored
/// data (when a meeting was first seen, its next session), and a range that cannot reach past
/// the year 9999 should be cut short there, not panic.
fn shifted(t: Timestamp, by: SignedDuration) -> Timestamp {
    t.checked_add(by).unwrap_or(if by.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// The first date the meeting is held on or after it was first seen, at its published local time.
pub fn first_start(meeting: &Meeting) -> Option<jiff::civil::DateTime> {
    let schedule = meeting.schedule.as_ref()?;
    let from = meeting.first_seen_at;
    let occurrence = schedule
        .occurrences(from, shifted(from, SignedDuration::from_hours(24 * 400)))
        .next()?;
    let t = schedule.start_time;
    Some(occurrence.start.date().at(t.hour() as i8, t.minute() as i8, 0, 0))
}

/// The recurrence rule of a schedule.
pub fn rrule(meeting: &Meeting) -> Option<String> {
    let schedule = meeting.schedule.as_ref()?;
    let day = &schedule.day.as_str()[..2].to_ascii_uppercase();
    if schedule.weeks_of_month.is_empty() {
        Some(format!("FREQ=WEEKLY;BYDAY={day}"))
    } else {
        let days: Vec<String> = schedule
            .weeks_of_month
            .iter()
            .map(|w| format!("{w}{day}"))
            .collect();
        Some(format!("FREQ=MONTHLY;BYDAY={}", days.join(",")))
    }
}

fn location_text(meeting: &Meeting) -> Option<String> {
    let address = meeting.location.as_ref()?.address();
    (!address.is_empty()).then_some(address)
}

fn description(meeting: &Meeting) -> String {
    let mut parts = Vec::new();
    let info = meeting.fellowship.info();
    let access = match meeting.access {
        crate::domain::Access::Open => "open meeting: anyone may attend",
        crate::domain::Access::Closed => "closed meeting",
        crate::domain::Access::Unknown => "open or closed: not stated",
    };
    parts.push(format!("{} ({access})", info.name));
    if let Some(group) = &meeting.group_name {
        parts.push(format!("Group: {group}"));
    }
    if !meeting.types.is_empty() {
        let labels: Vec<&str> = meeting.types.iter().map(|t| t.info().label).collect();
        parts.push(labels.join(", "));
    }
    if let Some(notes) = &meeting.notes {
        parts.push(notes.clone());
    }
    if let Some(notes) = meeting.location.as_ref().and_then(|l| l.notes.as_ref()) {
        parts.push(format!("Finding the room: {notes}"));
    }
    if let Some(online) = &meeting.online {
        if let Some(url) = &online.url {
            parts.push(format!("Join online: {url}"));
        }
        if let Some(phone) = &online.phone {
            parts.push(format!("Dial in: {phone}"));
        }
        if let Some(notes) = &online.notes {
            parts.push(notes.clone());
        }
    }
    if meeting.status == Status::TemporarilyClosed {
        parts.push("Temporarily closed.".into());
    }
    parts.push(format!(
        "Source: {} ({}); last seen in the source {}, updated {}.",
        meeting.source.name,
        meeting.source.attribution,
        meeting.last_seen_at.strftime("%Y-%m-%d"),
        meeting.updated_at.strftime("%Y-%m-%d"),
    ));
    parts.join("\n")
}

fn vtimezone(out: &mut String, tz: &TimeZone, name: &str, from: Timestamp, until: Timestamp) {
    push_line(out, "BEGIN:VTIMEZONE");
    push_line(out, &format!("TZID:{}", escape(name)));
    let observance = |out: &mut String, at: Timestamp, before: Offset| {
        let info = tz.to_offset_info(at);
        let kind = if info.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        push_line(out, &format!("BEGIN:{kind}"));
        push_line(
            out,
            &format!("DTSTART:{}", before.to_datetime(at).strftime("%Y%m%dT%H%M%S")),
        );
        push_line(out, &format!("TZOFFSETFROM:{}", offset_text(before)));
        push_line(out, &format!("TZOFFSETTO:{}", offset_text(info.offset())));
        push_line(out, &format!("TZNAME:{}", escape(info.abbreviation())));
        push_line(out, &format!("END:{kind}"));
    };
    // The change that put in force the offset at the start of the range (or, for a zone that has
    // never changed, that offset since the range start), then every change after it.
    match tz.preceding(from).next() {
        Some(t) => observance(
            out,
            t.timestamp(),
            tz.to_offset(shifted(t.timestamp(), SignedDuration::from_secs(-1))),
        ),
        None => observance(out, from, tz.to_offset(from)),
    }
    for transition in tz.following(from).take_while(|t| t.timestamp() < until) {
        let at = transition.timestamp();
        let before = tz.to_offset(shifted(at, SignedDuration::from_secs(-1)));
        observance(out, at, before);
    }
    push_line(out, "END:VTIMEZONE");
}

/// Where a calendar's links point, when it is served (RFC 7986): the server's address, for each
/// meeting's page, and the calendar's own address, for subscribers to refresh from.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarLinks<'a> {
    /// `https://host`, no trailing slash: each event's `URL` is the meeting's page under it.
    pub base: Option<&'a str>,
    /// The calendar's own URL (`SOURCE`).
    pub source: Option<&'a str>,
}

/// The `SEQUENCE` of a meeting's event: it must grow whenever the event changes (RFC 5545
/// 3.8.7.4). The source's `updated_at` only moves forward, so whole minutes from when we first saw
/// the meeting to its last update do, without a revision counter to keep.
fn sequence(meeting: &Meeting) -> i64 {
    let minutes = meeting.updated_at.duration_since(meeting.first_seen_at).as_secs() / 60;
    minutes.clamp(0, i32::MAX as i64)
}

/// A `tel:` URI for a dial-in number as groups publish it (`0330 088 5830`, `+44 20...`), when
/// it reads as one: digits, with an optional leading `+`.
fn tel_uri(phone: &str) -> Option<String> {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    let valid = digits.len() >= 6
        && digits.chars().skip(1).all(|c| c.is_ascii_digit())
        && phone.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    valid.then(|| format!("tel:{digits}"))
}

/// A calendar of these meetings (those without a schedule are left out), with no links to a
/// server.
pub fn calendar<'a>(name: &str, meetings: impl IntoIterator<Item = &'a Meeting>) -> String {
    calendar_with(name, meetings, CalendarLinks::default())
}

/// A calendar of these meetings (those without a schedule are left out), to subscribe to:
/// RFC 7986's `NAME`, `REFRESH-INTERVAL` and `SOURCE`, and per event the meeting's page (`URL`),
/// how to join online (`CONFERENCE`), `LAST-MODIFIED` and `SEQUENCE`.
pub fn calendar_with<'a>(
    name: &str,
    meetings: impl IntoIterator<Item = &'a Meeting>,
    links: CalendarLinks,
) -> String {
    let events: Vec<(&Meeting, jiff::civil::DateTime)> = meetings
        .into_iter()
        .filter_map(|m| Some((m, first_start(m)?)))
        .collect();
    let mut out = String::new();
    push_line(&mut out, "BEGIN:VCALENDAR");
    push_line(&mut out, "VERSION:2.0");
    push_line(&mut out, "PRODID:-//meetingmap//meetingmap//EN");
    push_line(&mut out, "CALSCALE:GREGORIAN");
    push_line(&mut out, &format!("NAME:{}", escape(name)));
    push_line(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    push_line(
        &mut out,
        &format!(
            "DESCRIPTION:{}",
            escape(
                "Mutual aid meetings listed by meetingmap. Times change: check with the group if you can."
            )
        ),
    );
    if let Some(source) = links.source {
        push_line(
            &mut out,
            &format!("SOURCE;VALUE=URI:{}", source.replace(['\r', '\n'], "")),
        );
    }
    // Subscribers should look again twice a day (RFC 7986, and its widely read predecessor).
    push_line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT12H");
    push_line(&mut out, "X-PUBLISHED-TTL:PT12H");
    // Zones used, with the range of dates they must cover.
    let mut zones: BTreeMap<&str, (&TimeZone, Timestamp, Timestamp)> = BTreeMap::new();
    for (m, start) in &events {
        let schedule = m.schedule.as_ref().expect("events have schedules");
        let tz = schedule.timezone.tz();
        let Ok(at) = start.to_zoned(tz.clone()).map(|z| z.timestamp()) else {
            continue;
        };
        let entry = zones.entry(schedule.timezone.name()).or_insert((tz, at, at));
        entry.1 = entry.1.min(at);
        entry.2 = entry.2.max(at);
    }
    for (name, (tz, first, last)) in &zones {
        let from = shifted(*first, SignedDuration::from_hours(-24 * 7));
        let until = shifted(*last, SignedDuration::from_hours(24 * 366 * 20));
        vtimezone(&mut out, tz, name, from, until);
    }
    for (m, start) in &events {
        let schedule = m.schedule.as_ref().expect("events have schedules");
        push_line(&mut out, "BEGIN:VEVENT");
        push_line(&mut out, &format!("UID:{}@meetingmap", escape(&m.id)));
        push_line(&mut out, &format!("DTSTAMP:{}", utc_stamp(m.updated_at)));
        push_line(&mut out, &format!("LAST-MODIFIED:{}", utc_stamp(m.updated_at)));
        push_line(&mut out, &format!("SEQUENCE:{}", sequence(m)));
        push_line(
            &mut out,
            &format!(
                "DTSTART;TZID={}:{}",
                schedule.timezone.name(),
                start.strftime("%Y%m%dT%H%M%S")
            ),
        );
        push_line(&mut out, &format!("DURATION:PT{}M", schedule.duration_minutes));
        if let Some(rule) = rrule(m) {
            push_line(&mut out, &format!("RRULE:{rule}"));
        }
        push_line(&mut out, &format!("SUMMARY:{}", escape(&m.name)));
        if let Some(location) = location_text(m) {
            push_line(&mut out, &format!("LOCATION:{}", escape(&location)));
        } else if m.location.is_none() {
            push_line(&mut out, "LOCATION:Online");
        }
        if let Some((lat, lon)) = m.location.as_ref().and_then(|l| l.point()) {
            push_line(&mut out, &format!("GEO:{lat:.6};{lon:.6}"));
        }
        if let Some(base) = links.base {
            push_line(
                &mut out,
                &format!(
                    "URL;VALUE=URI:{base}/meetings/{}",
                    super::html::path_segment(&m.id)
                ),
            );
        }
        if let Some(online) = m.online.as_ref().filter(|_| m.attendance.is_remote()) {
            if let Some(url) = &online.url {
                push_line(
                    &mut out,
                    &format!(
                        "CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join online:{}",
                        url.replace(['\r', '\n'], "")
                    ),
                );
            }
            if let Some(tel) = online.phone.as_deref().and_then(tel_uri) {
                push_line(
                    &mut out,
                    &format!("CONFERENCE;VALUE=URI;FEATURE=PHONE;LABEL=Dial in:{tel}"),
                );
            }
        }
        push_line(&mut out, &format!("DESCRIPTION:{}", escape(&description(m))));
        push_line(
            &mut out,
            &format!("CATEGORIES:{}", escape(m.fellowship.info().name)),
        );
        let status = match m.status {
            Status::Active => "CONFIRMED",
            Status::TemporarilyClosed => "CANCELLED",
        };
        push_line(&mut out, &format!("STATUS:{status}"));
        push_line(&mut out, "TRANSP:OPAQUE");
        push_line(&mut out, "END:VEVENT");
    }
    push_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_in_numbers_become_tel_uris_only_when_they_are_numbers() {
        assert_eq!(tel_uri("0330 088 5830").as_deref(), Some("tel:03300885830"));
        assert_eq!(
            tel_uri("+44 (20) 7946-0000").as_deref(),
            Some("tel:+442079460000")
        );
        assert_eq!(tel_uri("ask at the door"), None);
        assert_eq!(tel_uri("123"), None);
        assert_eq!(tel_uri("12+34567"), None);
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(100));
        push_line(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(physical.len() <= 75, "{physical:?}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape("a,b;c\\d\ne\r\n"), "a\\,b\\;c\\\\d\\ne\\n");
    }

    #[test]
    fn zones_without_changes_still_have_an_observance() {
        let t: Timestamp = "2026-09-01T00:00:00Z".parse().unwrap();
        let later = t + SignedDuration::from_hours(24 * 366 * 20);
        let mut out = String::new();
        vtimezone(&mut out, &TimeZone::get("UTC").unwrap(), "UTC", t, later);
        assert_eq!(out.matches("BEGIN:STANDARD").count(), 1, "{out}");
        assert!(out.contains("TZOFFSETTO:+0000"));
        let mut out = String::new();
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        vtimezone(&mut out, &kolkata, "Asia/Kolkata", t, later);
        assert_eq!(out.matches("BEGIN:STANDARD").count(), 1, "{out}");
        assert!(out.contains("TZOFFSETTO:+0530"), "{out}");
        // London: the autumn 2025 change, then two a year.
        let mut out = String::new();
        let london = TimeZone::get("Europe/London").unwrap();
        vtimezone(&mut out, &london, "Europe/London", t, later);
        assert!(
            out.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20260329T010000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100"
            ),
            "{out}"
        );
        assert!(
            out.contains(
                "BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000"
            ),
            "{out}"
        );
        assert_eq!(out.matches("BEGIN:DAYLIGHT").count(), 21, "{out}");
    }

    #[test]
    fn offsets() {
        assert_eq!(offset_text(Offset::from_seconds(3600).unwrap()), "+0100");
        assert_eq!(
            offset_text(Offset::from_seconds(-5 * 3600 - 1800).unwrap()),
            "-0530"
        );
        assert_eq!(offset_text(Offset::from_seconds(-75).unwrap()), "-000115");
    }
}
