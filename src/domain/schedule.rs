//! Weekly schedules in real time zones, and their expansion into dated occurrences.
//!
//! A schedule is what a group publishes: a weekday, a local start time and a length, in the IANA
//! zone the meeting is held in, optionally only on some weeks of the month ("1st and 3rd Sunday").
//! Expanding it into instants is where other directories go wrong, so the rules are explicit:
//!
//! * All time-zone arithmetic is done by `jiff` with the tz database compiled into the binary.
//! * A local start time that does not exist (clocks go forward through it) is moved forward by the
//!   length of the gap: a 01:30 meeting on the Europe/London spring-forward Sunday starts at 02:30
//!   BST. This is RFC 5545's rule for a non-existent DTSTART and what calendar apps do.
//! * A local start time that happens twice (clocks go back) means the first of the two, again as
//!   RFC 5545 says.
//! * The duration is real elapsed time, so a meeting that spans a clock change still lasts as long
//!   as it says; its end is shown in the offset in force when it ends.

use std::fmt;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// Day of the week, Sunday first as every meeting format counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Sun,
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Sun,
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
    ];

    /// 0 = Sunday ... 6 = Saturday.
    pub fn index(self) -> u8 {
        self as u8
    }

    pub fn from_index(i: u8) -> Option<Day> {
        Day::ALL.get(i as usize).copied()
    }

    /// Accepts `sun`..`sat`, full English names and any case.
    pub fn parse(text: &str) -> Option<Day> {
        let lower = text.trim().to_ascii_lowercase();
        Day::ALL.into_iter().find(|d| {
            let short = d.as_str();
            lower == short || (lower.len() > 3 && d.full_name().eq_ignore_ascii_case(&lower))
        })
    }

    pub fn as_str(self) -> &'static str {
        ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][self as usize]
    }

    pub fn full_name(self) -> &'static str {
        [
            "Sunday",
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
        ][self as usize]
    }

    pub fn weekday(self) -> Weekday {
        Weekday::from_sunday_zero_offset(self as i8).expect("0..=6 is a weekday")
    }

    pub fn of(weekday: Weekday) -> Day {
        Day::ALL[weekday.to_sunday_zero_offset() as usize]
    }
}

/// A local time of day to the minute, written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalTime(u16);

impl LocalTime {
    pub fn from_hm(hour: u8, minute: u8) -> Option<LocalTime> {
        (hour < 24 && minute < 60).then_some(LocalTime(hour as u16 * 60 + minute as u16))
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn from_minutes(minutes: u16) -> Option<LocalTime> {
        (minutes < 24 * 60).then_some(LocalTime(minutes))
    }

    pub fn hour(self) -> u8 {
        (self.0 / 60) as u8
    }

    pub fn minute(self) -> u8 {
        (self.0 % 60) as u8
    }

    /// Parses `HH:MM` (also `H:MM` and `HH:MM:SS` with zero seconds, as feeds write it).
    pub fn parse(text: &str) -> Option<LocalTime> {
        let mut parts = text.trim().split(':');
        let hour = parts.next()?;
        let minute = parts.next()?;
        if let Some(seconds) = parts.next() {
            if seconds.parse::<u8>().ok()? != 0 {
                return None;
            }
        }
        if parts.next().is_some() || hour.is_empty() || hour.len() > 2 || minute.len() != 2 {
            return None;
        }
        LocalTime::from_hm(hour.parse().ok()?, minute.parse().ok()?)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(d)?;
        LocalTime::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a time of day (HH:MM)")))
    }
}

/// An IANA time zone, serialised as its name.
#[derive(Debug, Clone, PartialEq)]
pub struct Zone(TimeZone);

impl Zone {
    /// Looks a zone up by IANA name (`Europe/London`). Fixed offsets and POSIX strings are refused:
    /// they cannot follow daylight saving time.
    pub fn get(name: &str) -> Option<Zone> {
        let tz = TimeZone::get(name.trim()).ok()?;
        tz.iana_name().is_some().then_some(Zone(tz))
    }

    pub fn london() -> Zone {
        Zone::get("Europe/London").expect("the bundled tz database has Europe/London")
    }

    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    pub fn tz(&self) -> &TimeZone {
        &self.0
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<str>>::deserialize(d)?;
        Zone::get(&name).ok_or_else(|| serde::de::Error::custom(format!("`{name}` is not an IANA time zone")))
    }
}

/// Which weeks of the month a meeting is held: `1`..`5` for the nth such weekday, `-1` for the last.
pub type WeekOfMonth = i8;

/// When a meeting is held.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub day: Day,
    pub start_time: LocalTime,
    /// Length in minutes, 1 to 1440.
    pub duration_minutes: u16,
    pub timezone: Zone,
    /// Empty: every week. Otherwise only these weeks of the month (`-1` = last).
    pub weeks_of_month: Vec<WeekOfMonth>,
}

/// The JSON form of a schedule. `end_time` is derived on output and accepted instead of
/// `duration_minutes` on input (an end before the start means the meeting runs past midnight).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Schedule)]
struct ScheduleJson {
    day: Day,
    /// Local start time, `HH:MM`.
    #[schema(value_type = String, example = "19:30")]
    start_time: LocalTime,
    /// Local end time, `HH:MM` (derived from the duration).
    #[schema(value_type = String, example = "21:00")]
    #[serde(default)]
    end_time: Option<LocalTime>,
    #[serde(default)]
    duration_minutes: Option<u16>,
    /// IANA time zone the local times are in.
    #[schema(value_type = String, example = "Europe/London")]
    timezone: Zone,
    /// Empty: every week; otherwise the weeks of the month (`1`..`5`, `-1` = last).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    weeks_of_month: Vec<i8>,
}

impl utoipa::PartialSchema for Schedule {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ScheduleJson::schema()
    }
}

impl ToSchema for Schedule {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        ScheduleJson::schemas(schemas)
    }
}

/// Why a schedule cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("duration must be between 1 and 1440 minutes")]
    Duration,
    #[error("weeks_of_month entries must be 1 to 5 or -1 (last)")]
    WeekOfMonth,
    #[error("give duration_minutes or end_time")]
    MissingLength,
}

impl Schedule {
    pub fn new(
        day: Day,
        start_time: LocalTime,
        duration_minutes: u16,
        timezone: Zone,
        mut weeks_of_month: Vec<WeekOfMonth>,
    ) -> Result<Schedule, ScheduleError> {
        if !(1..=24 * 60).contains(&duration_minutes) {
            return Err(ScheduleError::Duration);
        }
        if weeks_of_month.iter().any(|w| !matches!(w, 1..=5 | -1)) {
            return Err(ScheduleError::WeekOfMonth);
        }
        weeks_of_month.sort_unstable();
        weeks_of_month.dedup();
        Ok(Schedule {
            day,
            start_time,
            duration_minutes,
            timezone,
            weeks_of_month,
        })
    }

    /// Every week, in Europe/London.
    pub fn weekly_london(day: Day, start_time: LocalTime, duration_minutes: u16) -> Schedule {
        Schedule::new(day, start_time, duration_minutes, Zone::london(), Vec::new())
            .expect("a duration from a caller that checked it")
    }

    /// Local end time on the wall clock (ignoring any clock change in between).
    pub fn end_time(&self) -> LocalTime {
        LocalTime((self.start_time.0 + self.duration_minutes) % (24 * 60))
    }

    fn held_on(&self, date: Date) -> bool {
        held_on(&self.weeks_of_month, date)
    }

    /// The occurrences that overlap `[from, until)`, in order. An occurrence under way at `from` is
    /// included.
    pub fn occurrences(&self, from: Timestamp, until: Timestamp) -> Occurrences<'_> {
        let tz = self.timezone.tz();
        let length = SignedDuration::from_mins(self.duration_minutes as i64);
        // Any overlapping occurrence starts after `from - length`. Offsets move a local date by at
        // most a day against UTC, so starting a day earlier and stopping a day later is safe.
        let first = from
            .checked_sub(length)
            .ok()
            .map(|t| t.to_zoned(tz.clone()).date())
            .and_then(|d| d.yesterday().ok())
            .and_then(|d| d.nth_weekday(1, self.day.weekday()).ok());
        let last = until.to_zoned(tz.clone()).date().tomorrow().ok();
        Occurrences {
            schedule: self,
            next: first,
            last,
            from,
            until,
            length,
        }
    }
}

/// One dated session of a meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub start: Zoned,
    pub end: Zoned,
}

impl Occurrence {
    pub fn is_under_way_at(&self, at: Timestamp) -> bool {
        self.start.timestamp() <= at && at < self.end.timestamp()
    }
}

/// RFC 3339 with the zone's UTC offset at that instant: `2027-03-28T19:30:00+01:00`.
pub fn rfc3339(at: &Zoned) -> String {
    at.timestamp().display_with_offset(at.offset()).to_string()
}

/// Iterator returned by [`Schedule::occurrences`].
pub struct Occurrences<'a> {
    schedule: &'a Schedule,
    next: Option<Date>,
    last: Option<Date>,
    from: Timestamp,
    until: Timestamp,
    length: SignedDuration,
}

impl Iterator for Occurrences<'_> {
    type Item = Occurrence;

    fn next(&mut self) -> Option<Occurrence> {
        loop {
            let date = self.next?;
            if date > self.last? {
                return None;
            }
            self.next = date.checked_add(7.days()).ok();
            if !self.schedule.held_on(date) {
                continue;
            }
            let start_time = self.schedule.start_time;
            let start = date
                .at(start_time.hour() as i8, start_time.minute() as i8, 0, 0)
                .to_zoned(self.schedule.timezone.tz().clone())
                .ok()?;
            let end = start.checked_add(self.length).ok()?;
            if end.timestamp() > self.from && start.timestamp() < self.until {
                return Some(Occurrence { start, end });
            }
        }
    }
}

/// Whether a meeting held on `weeks` of the month (empty: every week) is held on `date`.
fn held_on(weeks: &[WeekOfMonth], date: Date) -> bool {
    if weeks.is_empty() {
        return true;
    }
    let nth = (date.day() - 1) / 7 + 1;
    let last = date.day() + 7 > date.days_in_month();
    weeks.iter().any(|&w| w == nth || (w == -1 && last))
}

/// The local days of one time zone around a window of time, each with the instant of its
/// midnight when no clock change falls within it: what expanding many schedules in the same zone
/// over the same window shares. On such a day a local time is its midnight plus minutes, exactly
/// what jiff's compatible disambiguation gives (see [`ZoneWindow::new`]); days with a clock change
/// ask jiff for every start. Sessions come out as [`Schedule::occurrences`] yields them (the
/// property test in `search` compares the two on random schedules, zones and windows).
#[derive(Debug, Clone)]
pub struct ZoneWindow {
    tz: TimeZone,
    from: Timestamp,
    until: Timestamp,
    /// Sunday-zero weekday of `days[0]`.
    first_weekday: u8,
    days: Vec<WindowDay>,
}

#[derive(Debug, Clone, Copy)]
struct WindowDay {
    date: Date,
    /// The local midnight's instant, when the whole local day has one UTC offset.
    midnight: Option<Timestamp>,
}

/// Where a schedule's walk through a [`ZoneWindow`] stands: the index of the next local day to
/// look at (always the schedule's weekday).
pub type WindowDayIndex = u16;

impl ZoneWindow {
    /// The local days of `zone` that can hold a session (of at most a day's length) overlapping
    /// `[from, until)`: from the day before `from - 24 h` to the day after `until`, as
    /// [`Schedule::occurrences`] bounds its walk, widened to the longest duration.
    pub fn new(zone: &Zone, from: Timestamp, until: Timestamp) -> ZoneWindow {
        let tz = zone.tz().clone();
        let first = from
            .checked_sub(SignedDuration::from_mins(24 * 60))
            .ok()
            .map(|t| t.to_zoned(tz.clone()).date())
            .and_then(|d| d.yesterday().ok());
        let last = until.to_zoned(tz.clone()).date().tomorrow().ok();
        let mut days = Vec::new();
        if let (Some(first), Some(last)) = (first, last) {
            let mut date = first;
            while date <= last {
                days.push(WindowDay {
                    date,
                    midnight: Self::uniform_midnight(&tz, date),
                });
                let Ok(next) = date.tomorrow() else { break };
                date = next;
            }
        }
        ZoneWindow {
            first_weekday: days
                .first()
                .map_or(0, |d| d.date.weekday().to_sunday_zero_offset() as u8),
            tz,
            from,
            until,
            days,
        }
    }

    /// The instant of `date`'s local midnight, when that midnight happens exactly once and no
    /// transition falls in the 24 hours after it. Then every local time of that day happens once
    /// at midnight plus its minutes, or, if a later fold repeats it, first at that instant (the
    /// one compatible disambiguation takes); a fold from an earlier transition reaching into the
    /// day would make midnight itself ambiguous.
    fn uniform_midnight(tz: &TimeZone, date: Date) -> Option<Timestamp> {
        let midnight = tz
            .to_ambiguous_timestamp(date.at(0, 0, 0, 0))
            .unambiguous()
            .ok()?;
        let end = midnight.checked_add(SignedDuration::from_hours(24)).ok()?;
        match tz.following(midnight).next() {
            Some(transition) if transition.timestamp() <= end => None,
            _ => Some(midnight),
        }
    }

    /// The first local day at which `schedule` may be held.
    pub fn first_day(&self, schedule: &Schedule) -> WindowDayIndex {
        self.first_day_of(schedule.day)
    }

    /// The first local day that is a `day`.
    pub fn first_day_of(&self, day: Day) -> WindowDayIndex {
        (day.index() as i16 - self.first_weekday as i16).rem_euclid(7) as WindowDayIndex
    }

    /// The first session of `schedule` (which must be in this window's zone) overlapping the
    /// window from local day `day` on: its start, and the day to continue from for the one after.
    pub fn next_start(
        &self,
        schedule: &Schedule,
        day: WindowDayIndex,
    ) -> Option<(Timestamp, WindowDayIndex)> {
        self.next_session(
            schedule.start_time.minutes(),
            schedule.duration_minutes,
            &schedule.weeks_of_month,
            day,
        )
    }

    /// [`ZoneWindow::next_start`] from a schedule's parts: local start (minutes after midnight),
    /// length, weeks of the month, and a day from [`ZoneWindow::first_day_of`] its weekday or
    /// returned by an earlier call.
    pub fn next_session(
        &self,
        minutes: u16,
        duration_minutes: u16,
        weeks: &[WeekOfMonth],
        mut day: WindowDayIndex,
    ) -> Option<(Timestamp, WindowDayIndex)> {
        let length = SignedDuration::from_mins(duration_minutes as i64);
        while let Some(d) = self.days.get(day as usize) {
            day += 7;
            if !held_on(weeks, d.date) {
                continue;
            }
            let start = match d.midnight {
                Some(midnight) => midnight
                    .checked_add(SignedDuration::from_mins(minutes as i64))
                    .ok()?,
                None => d
                    .date
                    .at((minutes / 60) as i8, (minutes % 60) as i8, 0, 0)
                    .to_zoned(self.tz.clone())
                    .ok()?
                    .timestamp(),
            };
            if start >= self.until {
                return None;
            }
            if start.checked_add(length).ok()? > self.from {
                return Some((start, day));
            }
        }
        None
    }
}

impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ScheduleJson {
            day: self.day,
            start_time: self.start_time,
            end_time: Some(self.end_time()),
            duration_minutes: Some(self.duration_minutes),
            timezone: self.timezone.clone(),
            weeks_of_month: self.weeks_of_month.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = ScheduleJson::deserialize(d)?;
        let duration = match (json.duration_minutes, json.end_time) {
            (Some(minutes), _) => minutes,
            (None, Some(end)) => {
                let diff = (end.0 + 24 * 60 - json.start_time.0) % (24 * 60);
                if diff == 0 {
                    24 * 60
                } else {
                    diff
                }
            }
            (None, None) => return Err(serde::de::Error::custom(ScheduleError::MissingLength)),
        };
        Schedule::new(
            json.day,
            json.start_time,
            duration,
            json.timezone,
            json.weeks_of_month,
        )
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn at(day: Day, h: u8, m: u8, minutes: u16, zone: &str) -> Schedule {
        Schedule::new(
            day,
            LocalTime::from_hm(h, m).unwrap(),
            minutes,
            Zone::get(zone).unwrap(),
            vec![],
        )
        .unwrap()
    }

    fn starts(s: &Schedule, from: &str, until: &str) -> Vec<String> {
        s.occurrences(ts(from), ts(until))
            .map(|o| rfc3339(&o.start))
            .collect()
    }

    #[test]
    fn spring_forward_gap_moves_the_meeting_later() {
        // 2027-03-28: Europe/London goes from 01:00 GMT to 02:00 BST; 01:30 does not exist.
        let s = at(Day::Sun, 1, 30, 60, "Europe/London");
        let occ: Vec<_> = s
            .occurrences(ts("2027-03-27T00:00Z"), ts("2027-03-29T00:00Z"))
            .collect();
        assert_eq!(occ.len(), 1);
        assert_eq!(rfc3339(&occ[0].start), "2027-03-28T02:30:00+01:00");
        assert_eq!(rfc3339(&occ[0].end), "2027-03-28T03:30:00+01:00");
        // The week before and after are ordinary.
        assert_eq!(
            starts(&s, "2027-03-20T00:00Z", "2027-04-05T00:00Z"),
            [
                "2027-03-21T01:30:00+00:00",
                "2027-03-28T02:30:00+01:00",
                "2027-04-04T01:30:00+01:00"
            ]
        );
    }

    #[test]
    fn fall_back_ambiguity_takes_the_first_and_keeps_real_duration() {
        // 2027-10-31: Europe/London goes from 02:00 BST back to 01:00 GMT; 01:30 happens twice.
        let s = at(Day::Sun, 1, 30, 60, "Europe/London");
        let occ: Vec<_> = s
            .occurrences(ts("2027-10-30T00:00Z"), ts("2027-11-01T00:00Z"))
            .collect();
        assert_eq!(occ.len(), 1);
        assert_eq!(rfc3339(&occ[0].start), "2027-10-31T01:30:00+01:00");
        // One real hour later the clocks have gone back: 01:30 GMT.
        assert_eq!(rfc3339(&occ[0].end), "2027-10-31T01:30:00+00:00");
    }

    #[test]
    fn evening_meeting_keeps_local_time_across_the_change() {
        let s = at(Day::Sun, 19, 30, 90, "Europe/London");
        assert_eq!(
            starts(&s, "2027-03-20T00:00Z", "2027-04-01T00:00Z"),
            ["2027-03-21T19:30:00+00:00", "2027-03-28T19:30:00+01:00"]
        );
    }

    #[test]
    fn new_york_meeting_seen_from_london() {
        // US clocks change on 2027-03-14, UK on 2027-03-28: in between New York is 4 hours behind.
        let s = at(Day::Mon, 20, 0, 60, "America/New_York");
        let occ: Vec<_> = s
            .occurrences(ts("2027-03-08T00:00Z"), ts("2027-04-01T00:00Z"))
            .collect();
        let london = TimeZone::get("Europe/London").unwrap();
        let seen: Vec<String> = occ
            .iter()
            .map(|o| {
                o.start
                    .timestamp()
                    .to_zoned(london.clone())
                    .strftime("%a %H:%M %:z")
                    .to_string()
            })
            .collect();
        assert_eq!(
            seen,
            [
                "Tue 01:00 +00:00",
                "Tue 00:00 +00:00",
                "Tue 00:00 +00:00",
                "Tue 01:00 +01:00"
            ]
        );
        assert_eq!(rfc3339(&occ[1].start), "2027-03-15T20:00:00-04:00");
    }

    #[test]
    fn meeting_under_way_is_included() {
        let s = at(Day::Tue, 19, 0, 90, "Europe/London");
        let from = ts("2027-01-05T20:00Z");
        let occ: Vec<_> = s.occurrences(from, ts("2027-01-12T20:00Z")).collect();
        assert_eq!(occ.len(), 2);
        assert!(occ[0].is_under_way_at(from));
        assert!(!occ[1].is_under_way_at(from));
        // Ended exactly at `from`: not included.
        let ended: Vec<_> = s
            .occurrences(ts("2027-01-05T20:30Z"), ts("2027-01-06T00:00Z"))
            .collect();
        assert!(ended.is_empty());
    }

    #[test]
    fn nth_and_last_weekdays_of_the_month() {
        let mut s = at(Day::Sun, 11, 0, 60, "Europe/London");
        s.weeks_of_month = vec![1, 3];
        assert_eq!(
            starts(&s, "2027-02-01T00:00Z", "2027-03-01T00:00Z"),
            ["2027-02-07T11:00:00+00:00", "2027-02-21T11:00:00+00:00"]
        );
        s.weeks_of_month = vec![-1];
        assert_eq!(
            starts(&s, "2027-01-01T00:00Z", "2027-03-01T00:00Z"),
            ["2027-01-31T11:00:00+00:00", "2027-02-28T11:00:00+00:00"]
        );
    }

    #[test]
    fn json_round_trip_and_end_time_input() {
        let s = at(Day::Fri, 23, 30, 90, "Europe/London");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["end_time"], "01:00");
        assert_eq!(serde_json::from_value::<Schedule>(json).unwrap(), s);
        let from_end: Schedule = serde_json::from_str(
            r#"{"day":"fri","start_time":"23:30","end_time":"01:00","timezone":"Europe/London"}"#,
        )
        .unwrap();
        assert_eq!(from_end.duration_minutes, 90);
        assert!(serde_json::from_str::<Schedule>(
            r#"{"day":"fri","start_time":"23:30","duration_minutes":90,"timezone":"Mars/Olympus"}"#
        )
        .is_err());
    }

    #[test]
    fn parsing_days_and_times() {
        assert_eq!(Day::parse("Wednesday"), Some(Day::Wed));
        assert_eq!(Day::parse("WED"), Some(Day::Wed));
        assert_eq!(Day::parse("we"), None);
        assert_eq!(
            LocalTime::parse("7:05").map(|t| t.to_string()),
            Some("07:05".into())
        );
        assert_eq!(
            LocalTime::parse("19:30:00").map(|t| t.minutes()),
            Some(19 * 60 + 30)
        );
        for bad in ["24:00", "12:60", "1230", "12:3", "", "ab:cd", "12:30:15"] {
            assert_eq!(LocalTime::parse(bad), None, "{bad}");
        }
    }

    const ZONES: &[&str] = &[
        "Europe/London",
        "Europe/Dublin",
        "America/New_York",
        "America/Los_Angeles",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "Pacific/Chatham",
        "America/Sao_Paulo",
        // Clocks changed at local midnight (a day starting in a gap or fold).
        "America/Havana",
        "Asia/Beirut",
        "America/Santiago",
    ];

    fn schedule_strategy() -> impl Strategy<Value = Schedule> {
        (
            0u8..7,
            0u16..1440,
            1u16..=300,
            0..ZONES.len(),
            prop::sample::subsequence(vec![1i8, 2, 3, 4, 5, -1], 0..3),
        )
            .prop_map(|(d, t, len, z, weeks)| {
                Schedule::new(
                    Day::from_index(d).unwrap(),
                    LocalTime::from_minutes(t).unwrap(),
                    len,
                    Zone::get(ZONES[z]).unwrap(),
                    weeks,
                )
                .unwrap()
            })
    }

    proptest! {
        #[test]
        fn occurrences_obey_the_schedule(s in schedule_strategy(), start in 1_700_000_000i64..1_900_000_000, days in 1i64..60) {
            let from = Timestamp::from_second(start).unwrap();
            let until = from.checked_add(SignedDuration::from_hours(24 * days)).unwrap();
            let occ: Vec<_> = s.occurrences(from, until).collect();
            for o in &occ {
                // Real duration, overlapping the window, on the right local weekday.
                prop_assert_eq!(o.end.timestamp().duration_since(o.start.timestamp()),
                    SignedDuration::from_mins(s.duration_minutes as i64));
                prop_assert!(o.end.timestamp() > from && o.start.timestamp() < until);
                prop_assert_eq!(Day::of(o.start.weekday()), s.day);
                prop_assert!(s.held_on(o.start.date()));
                // At the scheduled wall-clock time unless that time fell in a gap, when it is later.
                let local = o.start.time();
                let scheduled = jiff::civil::time(s.start_time.hour() as i8, s.start_time.minute() as i8, 0, 0);
                if local != scheduled {
                    let naive = o.start.date().at(scheduled.hour(), scheduled.minute(), 0, 0);
                    prop_assert!(o.start.datetime() > naive);
                    prop_assert!(o.start.datetime() <= naive.checked_add(3.hours()).unwrap());
                }
            }
            for pair in occ.windows(2) {
                prop_assert!(pair[0].start.timestamp() < pair[1].start.timestamp());
            }
            if s.weeks_of_month.is_empty() {
                // Weekly: every 7 days give or take a clock change, and none missing.
                for pair in occ.windows(2) {
                    let gap = pair[1].start.timestamp().duration_since(pair[0].start.timestamp());
                    prop_assert!((gap - SignedDuration::from_hours(24 * 7)).abs() <= SignedDuration::from_hours(3));
                }
                prop_assert!(occ.len() as i64 >= days / 7);
            }
        }

        #[test]
        fn a_zone_window_gives_the_same_sessions(s in schedule_strategy(), start in 1_200_000_000i64..1_900_000_000, minute in 0i64..(7 * 24 * 60), days in 1i64..32) {
            let from = Timestamp::from_second(start - start.rem_euclid(7 * 24 * 3600) + minute * 60).unwrap();
            let until = from.checked_add(SignedDuration::from_hours(24 * days)).unwrap();
            let expected: Vec<_> = s.occurrences(from, until).map(|o| o.start.timestamp()).collect();
            let window = ZoneWindow::new(&s.timezone, from, until);
            let mut got = Vec::new();
            let mut day = window.first_day(&s);
            while let Some((start, next)) = window.next_start(&s, day) {
                got.push(start);
                day = next;
            }
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn splitting_the_window_changes_nothing(s in schedule_strategy(), start in 1_700_000_000i64..1_900_000_000, split in 1i64..28) {
            let a = Timestamp::from_second(start).unwrap();
            let b = a.checked_add(SignedDuration::from_hours(24 * split)).unwrap();
            let c = a.checked_add(SignedDuration::from_hours(24 * 28)).unwrap();
            let whole: Vec<_> = s.occurrences(a, c).collect();
            let mut parts: Vec<_> = s.occurrences(a, b).chain(s.occurrences(b, c)).collect();
            parts.dedup();
            prop_assert_eq!(whole, parts);
        }
    }
}
