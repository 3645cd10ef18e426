//! What a search asks for, already validated: the HTTP layer turns query strings into these.

use crate::domain::{Access, Attendance, Fellowship, LocalTime, MeetingType, TypeSet};

use super::{Compact, Entry};

/// Folds text for matching: transliterated to ASCII (so `Ystrad Mynach` matches `ystrad`, and
/// `Llanfair Caereinion` matches whatever diacritics a feed used) and lower-cased.
pub fn fold_text(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// A circle to search in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Nearest first (online-only meetings last); needs a point.
    Distance,
    /// By weekday (Sunday first) and local start time, or by start instant for occurrences.
    #[default]
    Time,
}

/// Conditions on the meeting itself. Every condition left at its default matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    fellowships: u32,
    pub access: Option<Access>,
    attendance: [bool; 3],
    days: u8,
    pub start_after: Option<LocalTime>,
    pub start_before: Option<LocalTime>,
    types: TypeSet,
    languages: TypeSet,
    words: Vec<String>,
}

impl Filter {
    /// The fellowships asked for, in vocabulary order (empty: any).
    pub fn wanted_fellowships(&self) -> Vec<Fellowship> {
        Fellowship::all()
            .filter(|f| self.fellowships & 1 << f.index() != 0)
            .collect()
    }

    /// The days asked for, Sunday first (empty: any).
    pub fn wanted_days(&self) -> Vec<crate::domain::Day> {
        (0..7u8)
            .filter(|i| self.days & 1 << i != 0)
            .filter_map(crate::domain::Day::from_index)
            .collect()
    }

    pub fn fellowships(mut self, fellowships: impl IntoIterator<Item = Fellowship>) -> Self {
        self.fellowships = fellowships.into_iter().fold(0, |mask, f| mask | 1 << f.index());
        self
    }

    pub fn access(mut self, access: Access) -> Self {
        self.access = Some(access);
        self
    }

    /// Which kinds of attendance are wanted. A hybrid meeting is both in person and online, so
    /// asking for either finds it; asking for `hybrid` finds only hybrid meetings. With nothing
    /// asked, in-person (and so hybrid) meetings are found and online-only ones are not.
    pub fn attendance(mut self, wanted: impl IntoIterator<Item = Attendance>) -> Self {
        self.attendance = [false; 3];
        for a in wanted {
            self.attendance[a as usize] = true;
        }
        self
    }

    pub fn days(mut self, days: impl IntoIterator<Item = crate::domain::Day>) -> Self {
        self.days = days.into_iter().fold(0, |mask, d| mask | 1 << d.index());
        self
    }

    /// Local start time window, inclusive at both ends. A window whose start is after its end
    /// wraps past midnight (`22:00`..`02:00`).
    pub fn start_between(mut self, after: Option<LocalTime>, before: Option<LocalTime>) -> Self {
        self.start_after = after;
        self.start_before = before;
        self
    }

    /// Meetings must have every one of these types.
    pub fn types(mut self, types: impl IntoIterator<Item = MeetingType>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// Meetings must be held in at least one of these languages.
    pub fn languages(mut self, languages: impl IntoIterator<Item = MeetingType>) -> Self {
        self.languages = languages.into_iter().collect();
        self
    }

    /// Every word must appear in the meeting's name, group name, venue or town.
    pub fn text(mut self, text: &str) -> Self {
        self.words = fold_text(text).split_whitespace().map(str::to_string).collect();
        self
    }

    fn wanted(&self, a: Attendance) -> bool {
        self.attendance[a as usize] || self.attendance == [false; 3] && a == Attendance::InPerson
    }

    /// Whether meetings joinable online are wanted (found at any distance).
    pub fn wants_remote(&self) -> bool {
        self.wanted(Attendance::Online)
    }

    pub(super) fn attendance_matches(&self, a: Attendance) -> bool {
        self.wanted(a)
            || a == Attendance::Hybrid
                && (self.wanted(Attendance::InPerson) || self.wanted(Attendance::Online))
    }

    /// Whether [`Filter::accepts_entry`] has anything to check.
    pub(super) fn needs_entry(&self) -> bool {
        !self.types.is_empty() || !self.languages.is_empty() || !self.words.is_empty()
    }

    /// Types, languages and words.
    pub(super) fn accepts_entry(&self, e: &Entry) -> bool {
        e.types.contains_all(&self.types)
            && (self.languages.is_empty() || e.types.intersects(&self.languages))
            && self.words.iter().all(|w| e.text.contains(w.as_str()))
    }

    /// Everything else but attendance and place, which the snapshot checks itself.
    pub(super) fn accepts_compact(&self, e: &Compact) -> bool {
        if self.fellowships != 0 && self.fellowships & (1 << e.fellowship) == 0 {
            return false;
        }
        if self.access.is_some_and(|a| a != e.access) {
            return false;
        }
        if self.days != 0 && self.days & (1 << e.day) == 0 {
            return false;
        }
        let start = e.start_minute;
        let after = self.start_after.map(LocalTime::minutes);
        let before = self.start_before.map(LocalTime::minutes);
        match (after, before) {
            (None, None) => true,
            _ if start == super::UNSCHEDULED_MINUTE => false,
            (Some(a), Some(b)) if a > b => start >= a || start <= b,
            (a, b) => a.is_none_or(|a| start >= a) && b.is_none_or(|b| start <= b),
        }
    }
}

/// A whole search: conditions, an optional circle and an order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub filter: Filter,
    pub near: Option<Near>,
    pub sort: Sort,
}
