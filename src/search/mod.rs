//! The in-memory search snapshot that serves every read.
//!
//! A [`Snapshot`] is immutable: it is built from the full list of stored meetings after each write
//! batch and published with [`SearchIndex::publish`], an atomic pointer swap. Readers take the
//! current snapshot without locking and keep using it for the whole request, so they never block on
//! a write and never see half an import.
//!
//! Inside a snapshot: an R*-tree over meeting rooms (points on the Earth's surface in 3-D
//! Cartesian coordinates, so a radius query is an exact ball query with no lon/lat distortion or
//! antimeridian case), one compact [`Entry`] per meeting that every filter is checked against, and
//! each meeting's JSON rendered once so responses are assembled by copying bytes.
//!
//! The JSON is the only whole copy of each meeting a snapshot keeps: the parsed [`Meeting`]s are
//! dropped once indexed, and [`Snapshot::meeting`] parses one back when a format needs its fields.
//! Keeping both made a 100,000-meeting directory 300 MB resident (the structs and their ~15 small
//! strings each were 150 MB of it); the paths that serve most requests (`/v1/meetings` JSON,
//! `/v1/occurrences` JSON, coverage) read only the entries and the JSON.

mod duplicates;
mod query;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use jiff::Timestamp;
use rstar::primitives::GeomWithData;
use rstar::RTree;

use crate::domain::{
    Access, Attendance, Day, Fellowship, Location, Meeting, SourceRef, Status, TypeSet, WeekOfMonth, Zone,
    ZoneWindow, EARTH_RADIUS_KM,
};

pub use query::{fold_text, Filter, Near, Query, Sort};

type Point3 = [f64; 3];

/// Day and minute recorded for meetings with no fixed time: after every real one, so they sort
/// last by time, and outside every day mask and time window.
const UNSCHEDULED_DAY: u8 = 7;
const UNSCHEDULED_MINUTE: u16 = u16::MAX;
type Node = GeomWithData<Point3, Compact>;

/// What the filters look at, per meeting, packed small so a scan stays in cache.
#[derive(Debug, Clone)]
struct Entry {
    compact: Compact,
    types: TypeSet,
    /// Folded name, group name, venue and town for `q`.
    text: Box<str>,
    /// The room's latitude and longitude (the R*-tree holds it in 3-D coordinates).
    position: Option<(f64, f64)>,
    /// Index into [`Snapshot::sources`] of the meeting's own source.
    source: u32,
}

impl Entry {
    /// The room on the Earth's surface, in the R*-tree's coordinates.
    fn point(&self) -> Option<Point3> {
        self.position.map(|(lat, lon)| to_cartesian(lat, lon))
    }
}

/// The fields most filters need, small enough (16 bytes) to live in the R*-tree's leaves, so a
/// radius scan reads them with the point instead of fetching each meeting's entry from elsewhere
/// in memory. Beside the filters' fields, what dating a weekly session takes (zone and length),
/// so that occurrences need not read the meeting either. (A leaf is 40 bytes with 12 or 16.)
#[derive(Debug, Clone, Copy, PartialEq)]
struct Compact {
    index: u32,
    start_minute: u16,
    duration_minutes: u16,
    fellowship: u8,
    day: u8,
    /// Index into [`Snapshot::zones`] of a weekly schedule's zone, or [`READ_SCHEDULE`].
    zone: u8,
    access: Access,
    attendance: Attendance,
    active: bool,
}

/// [`Compact::zone`] of a meeting whose sessions are dated from its schedule itself: unscheduled,
/// held only on some weeks of the month, or in a zone past the first 255.
const READ_SCHEDULE: u8 = u8::MAX;

/// A search result: which meeting, and how far from the query point when there was one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub index: u32,
    pub distance_km: Option<f64>,
}

/// A dated session found by [`Snapshot::occurrences`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OccurrenceHit {
    pub index: u32,
    pub distance_km: Option<f64>,
    pub start: Timestamp,
}

/// One immutable version of the directory, indexed for search.
pub struct Snapshot {
    /// Stable across processes and restarts for the same data: cursors and ETags carry it.
    version: u64,
    /// When this process built it, for display (`/ready`); never part of a version.
    built_at: Timestamp,
    /// Each meeting's JSON, by index (empty for a snapshot built [`Snapshot::for_analysis`]).
    json: Vec<Box<str>>,
    entries: Vec<Entry>,
    /// The schedules of meetings whose sessions are dated from the schedule itself (see
    /// [`READ_SCHEDULE`]): the few that are not weekly in a numbered zone.
    read_schedules: HashMap<u32, crate::domain::Schedule>,
    /// The sources meetings are listed by (their own or as merged duplicates), each once, with
    /// neither a record id nor raw values; [`Entry::source`] numbers them.
    sources: Vec<SourceRef>,
    /// Meetings each of `sources` lists, merged duplicates included.
    listings: Vec<u32>,
    /// Position of each meeting in the canonical time order (day, start, name, id).
    rank: Vec<u32>,
    /// Meeting indexes in time order.
    by_time: Vec<u32>,
    /// Meetings that can be joined from anywhere (online and hybrid), in time order.
    remote: Vec<u32>,
    by_id: HashMap<String, u32>,
    rooms: RTree<Node>,
    /// The time zones of weekly schedules, numbered as [`Compact::zone`] refers to them.
    zones: Vec<Zone>,
    /// Meetings of fellowship `i` here: what "no data" means on pages that offer or name
    /// fellowships, and the counts `/v1/fellowships` gives, known once per snapshot instead of by
    /// a scan per request.
    fellowships: [u32; crate::domain::FELLOWSHIPS.len()],
}

fn to_cartesian(lat: f64, lon: f64) -> Point3 {
    let (lat, lon) = (lat.to_radians(), lon.to_radians());
    [
        EARTH_RADIUS_KM * lat.cos() * lon.cos(),
        EARTH_RADIUS_KM * lat.cos() * lon.sin(),
        EARTH_RADIUS_KM * lat.sin(),
    ]
}

/// Straight-line (chord) length through the Earth for a great-circle distance.
fn chord_km(great_circle_km: f64) -> f64 {
    let half_angle = (great_circle_km / (2.0 * EARTH_RADIUS_KM)).min(std::f64::consts::FRAC_PI_2);
    2.0 * EARTH_RADIUS_KM * half_angle.sin()
}

impl Snapshot {
    /// Indexes `meetings` loaded at `version` (see [`crate::store::DataVersion::digest`]). They
    /// must already be valid (see [`Meeting::normalise`]).
    pub fn at_version(version: u64, meetings: Vec<Meeting>) -> Snapshot {
        Self::index(version, meetings, true)
    }

    /// Indexes meetings that come from no store (tests, benchmarks, tools). Such snapshots are
    /// numbered in the order they are built: unique within the process, which is all their cursors
    /// and cached answers need, since nothing else shares them. (Hashing the content instead
    /// would add a pass over every meeting's JSON to each build.)
    pub fn build(meetings: Vec<Meeting>) -> Snapshot {
        static BUILT: AtomicU64 = AtomicU64::new(0);
        Self::index(BUILT.fetch_add(1, Ordering::Relaxed), meetings, true)
    }

    /// [`Snapshot::build`] for analysis only (a coverage summary taken by an import that serves
    /// nothing): the index without each meeting's rendered JSON, which no analysis reads and
    /// which would cost a serialisation of every meeting and ~1 KB of memory each.
    /// [`Snapshot::meeting_json`] must not be called on it.
    pub fn for_analysis(meetings: Vec<Meeting>) -> Snapshot {
        static BUILT: AtomicU64 = AtomicU64::new(0);
        Self::index(BUILT.fetch_add(1, Ordering::Relaxed), meetings, false)
    }

    fn index(version: u64, mut meetings: Vec<Meeting>, render: bool) -> Snapshot {
        meetings.sort_by(|a, b| a.id.cmp(&b.id));
        meetings.dedup_by(|a, b| a.id == b.id);
        let (meetings, aliases) = duplicates::merge(meetings);
        let built_at = Timestamp::now();
        let mut zones: Vec<Zone> = Vec::new();
        let mut sources = Sources::default();
        let entries: Vec<Entry> = meetings
            .iter()
            .enumerate()
            .map(|(i, m)| Self::entry(i, m, &mut zones, &mut sources))
            .collect();
        let read_schedules = entries
            .iter()
            .zip(&meetings)
            .filter(|(e, _)| e.compact.zone == READ_SCHEDULE)
            .filter_map(|(e, m)| Some((e.compact.index, m.schedule.clone()?)))
            .collect();
        let json = meetings
            .iter()
            .take(if render { usize::MAX } else { 0 })
            .map(|m| {
                serde_json::to_string(m)
                    .expect("a meeting always serialises")
                    .into_boxed_str()
            })
            .collect();

        let mut by_time: Vec<u32> = (0..meetings.len() as u32).collect();
        by_time.sort_by(|&a, &b| {
            let (ea, eb) = (&entries[a as usize].compact, &entries[b as usize].compact);
            let (ma, mb) = (&meetings[a as usize], &meetings[b as usize]);
            (ea.day, ea.start_minute, &ma.name, &ma.id).cmp(&(eb.day, eb.start_minute, &mb.name, &mb.id))
        });
        let mut rank = vec![0u32; meetings.len()];
        for (position, &index) in by_time.iter().enumerate() {
            rank[index as usize] = position as u32;
        }
        let remote = by_time
            .iter()
            .copied()
            .filter(|&i| entries[i as usize].compact.attendance.is_remote())
            .collect();
        let rooms = RTree::bulk_load(
            entries
                .iter()
                .filter_map(|e| e.point().map(|p| Node::new(p, e.compact)))
                .collect(),
        );
        let mut by_id: HashMap<String, u32> = meetings
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i as u32))
            .collect();
        // Links to a merged-away duplicate lead to the meeting it was merged into.
        for (alias, kept) in aliases {
            let index = by_id[&kept];
            by_id.insert(alias, index);
        }
        let mut fellowships = [0u32; crate::domain::FELLOWSHIPS.len()];
        for e in &entries {
            fellowships[e.compact.fellowship as usize] += 1;
        }
        // Indexed and rendered: the parsed meetings go (see the module's comment).
        drop(meetings);
        Snapshot {
            version,
            built_at,
            json,
            entries,
            read_schedules,
            sources: sources.refs,
            listings: sources.listings,
            rank,
            by_time,
            remote,
            by_id,
            rooms,
            zones,
            fellowships,
        }
    }

    /// Whether the directory lists any meeting of `fellowship`.
    pub fn lists(&self, fellowship: crate::domain::Fellowship) -> bool {
        self.fellowship_meetings(fellowship) > 0
    }

    /// How many meetings of `fellowship` the directory lists (duplicates merged).
    pub fn fellowship_meetings(&self, fellowship: crate::domain::Fellowship) -> usize {
        self.fellowships[fellowship.index()] as usize
    }

    fn entry(index: usize, m: &Meeting, zones: &mut Vec<Zone>, sources: &mut Sources) -> Entry {
        let source = sources.count(&m.source);
        for other in &m.also_listed_by {
            sources.count(other);
        }
        let loc = m.location.as_ref();
        let text = [
            Some(m.name.as_str()),
            m.group_name.as_deref(),
            loc.and_then(|l| l.venue.as_deref()),
            loc.and_then(|l| l.town.as_deref()),
        ];
        Entry {
            compact: Compact {
                index: index as u32,
                fellowship: m.fellowship.index() as u8,
                access: m.access,
                attendance: m.attendance,
                active: m.status == Status::Active,
                day: m.schedule.as_ref().map_or(UNSCHEDULED_DAY, |s| s.day.index()),
                start_minute: m
                    .schedule
                    .as_ref()
                    .map_or(UNSCHEDULED_MINUTE, |s| s.start_time.minutes()),
                duration_minutes: m.schedule.as_ref().map_or(0, |s| s.duration_minutes),
                zone: m
                    .schedule
                    .as_ref()
                    .filter(|s| s.weeks_of_month.is_empty())
                    .and_then(|s| {
                        let found = zones.iter().position(|z| z.name() == s.timezone.name());
                        let i = found.unwrap_or_else(|| {
                            zones.push(s.timezone.clone());
                            zones.len() - 1
                        });
                        u8::try_from(i).ok().filter(|&i| i != READ_SCHEDULE)
                    })
                    .unwrap_or(READ_SCHEDULE),
            },
            types: m.types.iter().copied().collect(),
            text: fold_text(&text.into_iter().flatten().collect::<Vec<_>>().join(" ")).into_boxed_str(),
            position: loc.and_then(Location::point),
            source,
        }
    }

    /// Identifies this snapshot's data; changes whenever the data may have, and is the same in
    /// every process serving the same data version.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn built_at(&self) -> Timestamp {
        self.built_at
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The meeting, parsed from its JSON (about 1.5 µs): for the formats that need its fields.
    /// The hot paths read [`Snapshot::meeting_json`] and the accessors below instead. Panics on a
    /// snapshot built [`Snapshot::for_analysis`], which keeps no JSON.
    pub fn meeting(&self, index: u32) -> Meeting {
        serde_json::from_str(&self.json[index as usize]).expect("a meeting's own JSON parses back")
    }

    /// Every meeting, parsed one by one as the iterator is read (see [`Snapshot::meeting`]).
    pub fn meetings(&self) -> impl ExactSizeIterator<Item = Meeting> + '_ {
        (0..self.len() as u32).map(|i| self.meeting(i))
    }

    /// The meeting's room position (latitude, longitude), when it has one.
    pub fn position(&self, index: u32) -> Option<(f64, f64)> {
        self.entries[index as usize].position
    }

    /// The time zone a meeting's sessions are dated in, and their length in minutes; `None` for a
    /// meeting with no fixed time.
    pub fn session_zone(&self, index: u32) -> Option<(&Zone, u16)> {
        let c = &self.entries[index as usize].compact;
        if c.zone != READ_SCHEDULE {
            return Some((&self.zones[c.zone as usize], c.duration_minutes));
        }
        let schedule = self.read_schedules.get(&index)?;
        Some((&schedule.timezone, schedule.duration_minutes))
    }

    pub fn access(&self, index: u32) -> Access {
        self.entries[index as usize].compact.access
    }

    pub fn attendance(&self, index: u32) -> Attendance {
        self.entries[index as usize].compact.attendance
    }

    pub fn fellowship(&self, index: u32) -> Fellowship {
        Fellowship::from_index(self.entries[index as usize].compact.fellowship as usize)
            .expect("an entry's fellowship is one of the vocabulary")
    }

    /// The local minute of the day the meeting ends (see [`crate::domain::Schedule::end_time`]);
    /// `None` for a meeting with no fixed time.
    pub fn end_minute(&self, index: u32) -> Option<u16> {
        let c = &self.entries[index as usize].compact;
        (c.start_minute != UNSCHEDULED_MINUTE).then(|| (c.start_minute + c.duration_minutes) % (24 * 60))
    }

    /// Whether the meeting is running (not temporarily closed).
    pub fn is_active(&self, index: u32) -> bool {
        self.entries[index as usize].compact.active
    }

    /// The meeting's own source: id, name and attribution (no record id or raw values).
    pub fn source(&self, index: u32) -> &SourceRef {
        &self.sources[self.entries[index as usize].source as usize]
    }

    /// The sources that list meetings here (their own or merged duplicates), each once in the
    /// order first met, with how many meetings each lists.
    pub fn sources(&self) -> impl Iterator<Item = (&SourceRef, usize)> + '_ {
        self.sources.iter().zip(self.listings.iter().map(|&n| n as usize))
    }

    /// The meeting's JSON representation, rendered when the snapshot was built (panics on a
    /// snapshot built [`Snapshot::for_analysis`]).
    pub fn meeting_json(&self, index: u32) -> &str {
        &self.json[index as usize]
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// Meetings matching `query`, best first, at most `take` of them, and whether there were more.
    pub fn search(&self, query: &Query, take: usize) -> (Vec<Hit>, bool) {
        let mut hits = self.matches(query, false, take.saturating_add(1));
        let more = hits.len() > take;
        let rank = |h: &Candidate| self.rank[h.index() as usize];
        match query.sort {
            Sort::Time => top_by(&mut hits, take, |a, b| rank(a).cmp(&rank(b))),
            Sort::Distance => top_by(&mut hits, take, |a, b| {
                cmp_distance(a.chord2, b.chord2).then_with(|| rank(a).cmp(&rank(b)))
            }),
        }
        (hits.into_iter().map(Candidate::hit).collect(), more)
    }

    /// Dated sessions of matching meetings overlapping `[from, until)`, best first, at most `take`,
    /// and whether there were more. Temporarily closed meetings have no sessions.
    ///
    /// By time, a bounded k-way merge: a heap holds each matching meeting's next session, the
    /// earliest is taken and replaced by that meeting's following one, until `take` and one more
    /// are out. Sessions are computed from each zone's local days around the window
    /// ([`ZoneWindow`]), so the time-zone database is consulted per zone and day, not per session.
    /// By distance, meetings are taken nearest first and only those needed for the page are
    /// expanded. Either way the answer is [`Snapshot::occurrences_expanded`]'s.
    pub fn occurrences(
        &self,
        query: &Query,
        from: Timestamp,
        until: Timestamp,
        take: usize,
    ) -> (Vec<OccurrenceHit>, bool) {
        let mut zones = Zones::new(&self.zones, from, until);
        let mut found = Vec::new();
        let candidates = self.matches(query, true, usize::MAX);
        match query.sort {
            Sort::Time => {
                // Ordered by start, then meeting index; the page is put in (start, rank) order
                // at the end, so every session starting with the last one taken is taken too.
                // Seeded from the candidates' compact fields, without reading the meetings.
                let mut seeds = Vec::with_capacity(candidates.len());
                for (position, candidate) in candidates.iter().enumerate() {
                    let c = &candidate.compact;
                    let Some((slot, weeks)) = self.dating(&mut zones, c) else {
                        continue;
                    };
                    let window = &zones.windows[slot];
                    let first = window.first_day_of(Day::from_index(c.day).expect("a scheduled day"));
                    if let Some((start, next)) =
                        window.next_session(c.start_minute, c.duration_minutes, weeks, first)
                    {
                        seeds.push(Reverse((start, c.index, next, position as u32, slot as u16)));
                    }
                }
                let mut heap = BinaryHeap::from(seeds);
                while let Some(&Reverse((start, ..))) = heap.peek() {
                    if found.len() > take && found.last().map(|o: &OccurrenceHit| o.start) != Some(start) {
                        break;
                    }
                    let Reverse((start, index, next, position, slot)) = heap.pop().expect("peeked");
                    let candidate = &candidates[position as usize];
                    found.push(OccurrenceHit {
                        index,
                        distance_km: candidate.chord2.map(great_circle_km),
                        start,
                    });
                    let c = &candidate.compact;
                    let weeks = self.weeks(c);
                    let window = &zones.windows[slot as usize];
                    if let Some((start, next)) =
                        window.next_session(c.start_minute, c.duration_minutes, weeks, next)
                    {
                        heap.push(Reverse((start, index, next, position, slot)));
                    }
                }
                found.sort_unstable_by_key(|o| (o.start, self.rank[o.index as usize]));
            }
            Sort::Distance => {
                let mut hits: Vec<(Option<f64>, Compact)> = candidates
                    .iter()
                    .map(|c| (c.chord2.map(great_circle_km), c.compact))
                    .collect();
                hits.sort_unstable_by(|a, b| cmp_distance(a.0, b.0));
                // Meetings at the same distance are ordered by their sessions, so whole groups
                // of equally distant meetings are expanded and sorted at a time.
                let key = |o: &OccurrenceHit| (o.start, self.rank[o.index as usize]);
                let mut group_start = 0;
                for group in hits.chunk_by(|a, b| cmp_distance(a.0, b.0).is_eq()) {
                    for (distance_km, c) in group {
                        let Some((slot, weeks)) = self.dating(&mut zones, c) else {
                            continue;
                        };
                        let window = &zones.windows[slot];
                        let mut day = window.first_day_of(Day::from_index(c.day).expect("a scheduled day"));
                        while let Some((start, next)) =
                            window.next_session(c.start_minute, c.duration_minutes, weeks, day)
                        {
                            found.push(OccurrenceHit {
                                index: c.index,
                                distance_km: *distance_km,
                                start,
                            });
                            day = next;
                        }
                    }
                    found[group_start..].sort_unstable_by_key(key);
                    group_start = found.len();
                    if found.len() > take {
                        break;
                    }
                }
            }
        }
        let more = found.len() > take;
        found.truncate(take);
        (found, more)
    }

    /// Where a meeting's sessions are dated: the zone window's slot, and the weeks of the month
    /// it is held (empty: every week). `None` for a meeting with no schedule.
    fn dating(&self, zones: &mut Zones, c: &Compact) -> Option<(usize, &[WeekOfMonth])> {
        if c.zone != READ_SCHEDULE {
            return Some((zones.slot_of(c.zone), &[]));
        }
        let schedule = self.read_schedules.get(&c.index)?;
        Some((zones.slot_for(&schedule.timezone), &schedule.weeks_of_month))
    }

    /// The weeks of the month a meeting with a schedule is held (empty: every week).
    fn weeks(&self, c: &Compact) -> &[WeekOfMonth] {
        if c.zone != READ_SCHEDULE {
            return &[];
        }
        self.read_schedules
            .get(&c.index)
            .map_or(&[], |s| &s.weeks_of_month)
    }

    /// [`Snapshot::occurrences`] by expanding every matching meeting through
    /// [`crate::domain::Schedule::occurrences`] and sorting them all: the plain definition of the
    /// answer, kept to check the merge against (property test) and to measure it by (benchmark).
    #[doc(hidden)]
    pub fn occurrences_expanded(
        &self,
        query: &Query,
        from: Timestamp,
        until: Timestamp,
        take: usize,
    ) -> (Vec<OccurrenceHit>, bool) {
        let mut found = Vec::new();
        for candidate in self.matches(query, true, usize::MAX) {
            let Some(schedule) = self.meeting(candidate.index()).schedule else {
                continue;
            };
            let hit = candidate.hit();
            found.extend(schedule.occurrences(from, until).map(|o| OccurrenceHit {
                index: hit.index,
                distance_km: hit.distance_km,
                start: o.start.timestamp(),
            }));
        }
        let more = found.len() > take;
        let key = |o: &OccurrenceHit| (o.start, self.rank[o.index as usize]);
        match query.sort {
            Sort::Time => top_by(&mut found, take, |a, b| key(a).cmp(&key(b))),
            Sort::Distance => top_by(&mut found, take, |a, b| {
                cmp_distance(a.distance_km, b.distance_km).then_with(|| key(a).cmp(&key(b)))
            }),
        }
        (found, more)
    }

    /// Every meeting the query matches, unordered.
    /// The meetings the query matches, unordered, with their squared straight-line distance from
    /// the query point: all of them, or, when the scan can run in the final order (by time
    /// without a point, nearest first with one), at least the first `enough` in that order.
    fn matches(&self, query: &Query, active_only: bool, enough: usize) -> Vec<Candidate> {
        let filter = &query.filter;
        // The compact fields first; the entry (types, text) only when the filter needs it.
        let accept = |c: &Compact| {
            (!active_only || c.active)
                && filter.accepts_compact(c)
                && (!filter.needs_entry() || filter.accepts_entry(&self.entries[c.index as usize]))
        };
        let Some(near) = query.near else {
            return self
                .by_time
                .iter()
                .map(|&i| &self.entries[i as usize].compact)
                .filter(|c| filter.attendance_matches(c.attendance) && accept(c))
                .map(|&compact| Candidate {
                    compact,
                    chord2: None,
                })
                .take(enough)
                .collect();
        };
        // Distances are compared as squared chords (monotonic in great-circle distance, and three
        // multiplications); only the results returned are converted to kilometres.
        let centre = to_cartesian(near.lat, near.lon);
        let chord2_to = |i: u32| {
            self.entries[i as usize]
                .point()
                .map(|p| squared_distance(p, centre))
        };
        let limit = chord_km(near.radius_km).powi(2);
        let wanted = |node: &&Node| filter.attendance_matches(node.data.attendance) && accept(&node.data);
        let mut hits: Vec<Candidate> = Vec::new();
        if query.sort == Sort::Distance && enough != usize::MAX {
            // Nearest first, stopping once `enough` are found and every meeting as near as the
            // last of them has been taken too (so ordering ties by rank stays exact). In a city,
            // a page needs a few hundred meetings of the thousands within the radius.
            let mut cutoff = f64::INFINITY;
            for (node, d2) in self.rooms.nearest_neighbor_iter_with_distance_2(&centre) {
                if d2 > limit || d2 > cutoff {
                    break;
                }
                if wanted(&node) {
                    hits.push(Candidate {
                        compact: node.data,
                        chord2: Some(d2),
                    });
                    if hits.len() == enough {
                        cutoff = d2;
                    }
                }
            }
            if hits.len() >= enough {
                // Anything joinable from outside the radius would come after these.
                return hits;
            }
        } else {
            hits.extend(
                self.rooms
                    .locate_within_distance(centre, limit)
                    .filter(wanted)
                    .map(|node| Candidate {
                        compact: node.data,
                        chord2: Some(squared_distance(*node.geom(), centre)),
                    }),
            );
        }
        if filter.wants_remote() {
            // Joinable from anywhere, so outside the radius too; those inside were found above.
            for &index in &self.remote {
                let chord2 = chord2_to(index);
                let compact = self.entries[index as usize].compact;
                if chord2.is_some_and(|c| c <= limit) || !accept(&compact) {
                    continue;
                }
                hits.push(Candidate { compact, chord2 });
            }
        }
        hits
    }
}

/// Meetings in person (or hybrid) within reach of one point, for coverage analysis.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reach {
    /// Great-circle distance to the nearest matching meeting, if any within the search limit.
    pub nearest_km: Option<f64>,
    /// Matching weekly meetings within the threshold.
    pub within: u32,
    /// Whether any of those is open to anyone.
    pub open: bool,
    /// Whether any of those is on a Saturday or Sunday.
    pub weekend: bool,
    /// Whether any of those starts at or after 17:00 local time.
    pub evening: bool,
}

/// Evening starts at 17:00.
const EVENING_MINUTE: u16 = 17 * 60;

impl Snapshot {
    /// The meetings matching `filter` that someone at (`lat`, `lon`) can reach in person, per
    /// fellowship (`reach[i]` for fellowship index `i`, for each `i` in the `fellowships` bit
    /// mask): the nearest (looked for up to `search_km`) and those within `threshold_km`.
    /// Online-only meetings never count (they are not anywhere); hybrid and in-person ones do.
    /// Temporarily closed meetings do not count. One nearest-first scan serves every fellowship.
    pub fn reach(
        &self,
        filter: &Filter,
        fellowships: u32,
        (lat, lon): (f64, f64),
        threshold_km: f64,
        search_km: f64,
        reach: &mut [Reach],
    ) {
        reach.iter_mut().for_each(|r| *r = Reach::default());
        let centre = to_cartesian(lat, lon);
        let threshold = chord_km(threshold_km).powi(2);
        let limit = chord_km(search_km.max(threshold_km)).powi(2);
        // First everything within the threshold, in no order: what is counted there does not
        // depend on order, and the nearest is the least distance. A nearest-first scan would
        // keep every meeting within the threshold in a heap (thousands around a city centre),
        // which made this scan most of an all-GB analysis.
        let mut nearest_d2 = [f64::INFINITY; crate::domain::FELLOWSHIPS.len()];
        for node in self.rooms.locate_within_distance(centre, threshold) {
            let c = &node.data;
            if fellowships & (1u32 << c.fellowship) == 0 || !self.covers(filter, c) {
                continue;
            }
            let d2 = rstar::PointDistance::distance_2(node, &centre);
            let nearest = &mut nearest_d2[c.fellowship as usize];
            *nearest = nearest.min(d2);
            let r = &mut reach[c.fellowship as usize];
            r.within += 1;
            r.open |= c.access == Access::Open;
            r.weekend |= c.day == 0 || c.day == 6;
            r.evening |= c.start_minute != UNSCHEDULED_MINUTE && c.start_minute >= EVENING_MINUTE;
        }
        let mut missing = fellowships;
        for (i, &d2) in nearest_d2.iter().enumerate() {
            if d2.is_finite() {
                reach[i].nearest_km = Some(great_circle_km(d2));
                missing &= !(1u32 << i);
            }
        }
        // Then, for fellowships with nothing within the threshold, the nearest further out,
        // nearest first (nothing of theirs within the threshold matches, so the first match is
        // beyond it).
        if missing == 0 {
            return;
        }
        for (node, d2) in self.rooms.nearest_neighbor_iter_with_distance_2(&centre) {
            if d2 > limit {
                break;
            }
            let c = &node.data;
            let bit = 1u32 << c.fellowship;
            if missing & bit == 0 || !self.covers(filter, c) {
                continue;
            }
            reach[c.fellowship as usize].nearest_km = Some(great_circle_km(d2));
            missing &= !bit;
            if missing == 0 {
                break;
            }
        }
    }

    /// Whether a meeting counts as a place to go for coverage.
    fn covers(&self, filter: &Filter, c: &Compact) -> bool {
        c.active
            && c.attendance != Attendance::Online
            && filter.attendance_matches(c.attendance)
            && filter.accepts_compact(c)
            && (!filter.needs_entry() || filter.accepts_entry(&self.entries[c.index as usize]))
    }

    /// The in-person and hybrid active meetings matching `filter`, as (lat, lon, fellowship
    /// index), for counting meetings per area.
    pub fn rooms_matching<'a>(&'a self, filter: &'a Filter) -> impl Iterator<Item = (f64, f64, u8)> + 'a {
        self.rooms
            .iter()
            .filter(move |n| self.covers(filter, &n.data))
            .filter_map(|n| {
                let (lat, lon) = self.entries[n.data.index as usize].position?;
                Some((lat, lon, n.data.fellowship))
            })
    }
}

/// The distinct sources of the meetings being indexed, numbered as met.
#[derive(Default)]
struct Sources {
    refs: Vec<SourceRef>,
    listings: Vec<u32>,
    by_id: HashMap<String, u32>,
}

impl Sources {
    /// Counts one listing by `source`, and returns its number.
    fn count(&mut self, source: &SourceRef) -> u32 {
        // Looked up before inserting: an `entry` would copy the id of every meeting's source.
        let number = match self.by_id.get(&source.id) {
            Some(&number) => number,
            None => {
                let number = self.refs.len() as u32;
                self.by_id.insert(source.id.clone(), number);
                self.refs.push(SourceRef {
                    record_id: None,
                    raw: Default::default(),
                    ..source.clone()
                });
                self.listings.push(0);
                number
            }
        };
        self.listings[number as usize] += 1;
        number
    }
}

/// The [`ZoneWindow`]s of one occurrences query, built as its meetings need them: for the
/// snapshot's numbered zones (see [`Compact::zone`]) by number, for others by name.
struct Zones<'a> {
    numbered: &'a [Zone],
    from: Timestamp,
    until: Timestamp,
    /// Slot in `windows` of each numbered zone, once built.
    slots: Vec<Option<usize>>,
    /// Zones of meetings dated from their schedule, with their slots.
    named: Vec<(Box<str>, usize)>,
    windows: Vec<ZoneWindow>,
}

impl<'a> Zones<'a> {
    fn new(numbered: &'a [Zone], from: Timestamp, until: Timestamp) -> Zones<'a> {
        Zones {
            numbered,
            from,
            until,
            slots: vec![None; numbered.len()],
            named: Vec::new(),
            windows: Vec::new(),
        }
    }

    fn slot_of(&mut self, zone: u8) -> usize {
        if let Some(slot) = self.slots[zone as usize] {
            return slot;
        }
        self.windows.push(ZoneWindow::new(
            &self.numbered[zone as usize],
            self.from,
            self.until,
        ));
        self.slots[zone as usize] = Some(self.windows.len() - 1);
        self.windows.len() - 1
    }

    fn slot_for(&mut self, zone: &Zone) -> usize {
        let name = zone.name();
        if let Some(&(_, slot)) = self.named.iter().find(|(n, _)| **n == *name) {
            return slot;
        }
        self.windows.push(ZoneWindow::new(zone, self.from, self.until));
        self.named.push((name.into(), self.windows.len() - 1));
        self.windows.len() - 1
    }
}

/// A matching meeting before ordering: its compact fields and squared chord distance (km²).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    compact: Compact,
    chord2: Option<f64>,
}

impl Candidate {
    fn index(&self) -> u32 {
        self.compact.index
    }

    fn hit(self) -> Hit {
        Hit {
            index: self.index(),
            distance_km: self.chord2.map(great_circle_km),
        }
    }
}

fn squared_distance(a: Point3, b: Point3) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// Great-circle distance for a squared chord.
fn great_circle_km(chord2: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * (chord2.sqrt() / (2.0 * EARTH_RADIUS_KM)).min(1.0).asin()
}

/// Nearest first; unknown distances (online meetings) last.
fn cmp_distance(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// Keeps the first `take` items in `cmp` order, sorted. Selecting before sorting keeps a
/// 100-result page over thousands of candidates cheap.
fn top_by<T>(items: &mut Vec<T>, take: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if take == 0 {
        items.clear();
        return;
    }
    if items.len() > take {
        items.select_nth_unstable_by(take - 1, &cmp);
        items.truncate(take);
    }
    items.sort_unstable_by(&cmp);
}

/// The current snapshot, swappable atomically.
pub struct SearchIndex {
    current: ArcSwap<Snapshot>,
}

impl SearchIndex {
    pub fn new(snapshot: Snapshot) -> SearchIndex {
        SearchIndex {
            current: ArcSwap::from_pointee(snapshot),
        }
    }

    /// The snapshot to answer one request from.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    pub fn publish(&self, snapshot: Snapshot) {
        self.current.store(Arc::new(snapshot));
    }
}

#[cfg(test)]
mod tests;
