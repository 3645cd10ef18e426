//! The same meeting listed by two sources becomes one search result.
//!
//! Feeds overlap: an intergroup's own feed and a national aggregator list the same group. Two
//! listings are taken to be one meeting when they come from different sources and have the same
//! fellowship, weekday and start time, rooms within [`SAME_PLACE_KM`], and similar names. The copy
//! seen most recently is kept, with the other sources recorded in `also_listed_by`; the other ids
//! still resolve to it, so links to either keep working.

use std::collections::HashMap;

use rstar::RTree;

use rstar::primitives::GeomWithData;

use super::{chord_km, fold_text, to_cartesian, Point3};

type Node = GeomWithData<Point3, u32>;
use crate::domain::Meeting;

/// How close two rooms must be to count as the same place.
pub const SAME_PLACE_KM: f64 = 0.1;

/// Words that say nothing about which group it is.
const FILLER: &[&str] = &["the", "group", "meeting", "aa", "na", "ca", "of", "and", "&"];

/// The words that name the group, in a fixed order: "Wrexham Serenity Group" and "Serenity,
/// Wrexham" give the same key.
fn name_key(name: &str) -> String {
    let folded = fold_text(name).replace(['\'', '\u{2019}'], "");
    let mut words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !FILLER.contains(w))
        .collect();
    words.sort_unstable();
    words.join(" ")
}

fn similar_names(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    a == b
        || (!a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a)))
        || strsim::jaro_winkler(&a, &b) >= 0.88
}

fn same_meeting(a: &Meeting, b: &Meeting) -> bool {
    a.source.id != b.source.id
        && a.fellowship == b.fellowship
        && match (&a.schedule, &b.schedule) {
            (Some(x), Some(y)) => x.day == y.day && x.start_time == y.start_time,
            _ => false,
        }
        && similar_names(&a.name, &b.name)
}

/// Merges duplicate listings. Returns the meetings to index and, for each merged-away id, the id
/// of the meeting it was merged into.
pub fn merge(meetings: Vec<Meeting>) -> (Vec<Meeting>, HashMap<String, String>) {
    let points: Vec<Node> = meetings
        .iter()
        .enumerate()
        .filter_map(|(i, m)| {
            let (lat, lon) = m.location.as_ref()?.point()?;
            m.schedule.as_ref()?;
            Some(Node::new(to_cartesian(lat, lon), i as u32))
        })
        .collect();
    let tree = RTree::bulk_load(points.clone());
    let reach = chord_km(SAME_PLACE_KM);
    let mut merged_into: Vec<Option<usize>> = vec![None; meetings.len()];
    for node in &points {
        let i = node.data as usize;
        if merged_into[i].is_some() {
            continue;
        }
        let mut group: Vec<usize> = tree
            .locate_within_distance(*node.geom(), reach * reach)
            .map(|n| n.data as usize)
            .filter(|&j| j == i || (merged_into[j].is_none() && same_meeting(&meetings[i], &meetings[j])))
            .collect();
        if group.len() < 2 {
            continue;
        }
        group.sort_unstable();
        let keep = *group
            .iter()
            .max_by(|&&a, &&b| {
                (meetings[a].last_seen_at, std::cmp::Reverse(&meetings[a].id))
                    .cmp(&(meetings[b].last_seen_at, std::cmp::Reverse(&meetings[b].id)))
            })
            .expect("a group has members");
        for &j in &group {
            if j != keep {
                merged_into[j] = Some(keep);
            }
        }
    }

    let mut also: HashMap<usize, Vec<usize>> = HashMap::new();
    for (j, target) in merged_into.iter().enumerate() {
        if let Some(keep) = target {
            also.entry(*keep).or_default().push(j);
        }
    }
    let aliases = merged_into
        .iter()
        .enumerate()
        .filter_map(|(j, t)| t.map(|keep| (meetings[j].id.clone(), meetings[keep].id.clone())))
        .collect();
    let sources: HashMap<usize, Vec<_>> = also
        .iter()
        .map(|(&keep, others)| (keep, others.iter().map(|&j| meetings[j].source.clone()).collect()))
        .collect();
    let kept = meetings
        .into_iter()
        .enumerate()
        .filter(|(j, _)| merged_into[*j].is_none())
        .map(|(j, mut m)| {
            if let Some(others) = sources.get(&j) {
                m.also_listed_by.extend(others.iter().cloned());
            }
            m
        })
        .collect();
    (kept, aliases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_mean_the_same_group() {
        assert!(similar_names("Wrexham Serenity Group", "Serenity Group Wrexham"));
        assert!(similar_names("The Hope Group", "Hope"));
        assert!(similar_names("St Mary's Step Meeting", "St Marys Step"));
        assert!(!similar_names("Serenity", "New Beginnings"));
    }
}
