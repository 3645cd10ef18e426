//! The fellowships meetingmap lists.
//!
//! The vocabulary is one table: adding a fellowship is adding a row to [`FELLOWSHIPS`]. Everything
//! else (validation, `/v1/fellowships`, filters, the search snapshot's bitmasks) reads the table, so
//! no other code changes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// One row of the fellowship vocabulary.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct FellowshipInfo {
    /// Stable code used in the API (`aa`, `na`, ...).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Who the fellowship is for, in its own usual words.
    pub description: &'static str,
}

/// Every fellowship meetingmap knows. Order is the display order of `/v1/fellowships`.
pub const FELLOWSHIPS: &[FellowshipInfo] = &[
    FellowshipInfo {
        id: "aa",
        name: "Alcoholics Anonymous",
        description: "For people who want to stop drinking.",
    },
    FellowshipInfo {
        id: "na",
        name: "Narcotics Anonymous",
        description: "For people who want to stop using drugs.",
    },
    FellowshipInfo {
        id: "ca",
        name: "Cocaine Anonymous",
        description: "For people who want to stop using cocaine and all other mind-altering substances.",
    },
    FellowshipInfo {
        id: "smart",
        name: "SMART Recovery",
        description: "Self-management and recovery training for any addictive behaviour.",
    },
    FellowshipInfo {
        id: "al-anon",
        name: "Al-Anon",
        description: "For families and friends of people with a drinking problem.",
    },
    FellowshipInfo {
        id: "alateen",
        name: "Alateen",
        description: "For young people affected by someone else's drinking (part of Al-Anon).",
    },
    FellowshipInfo {
        id: "families-anonymous",
        name: "Families Anonymous",
        description: "For relatives and friends concerned about someone's use of drugs or alcohol.",
    },
    FellowshipInfo {
        id: "daa",
        name: "Drug Addicts Anonymous",
        description: "For people who want to recover from drug addiction.",
    },
    FellowshipInfo {
        id: "smart-family-friends",
        name: "SMART Recovery Family & Friends",
        description: "For people affected by a loved one's addictive behaviour.",
    },
];

// The search snapshot keeps fellowship sets as a u32 bitmask.
const _: () = assert!(FELLOWSHIPS.len() <= 32);

/// A fellowship, stored as its index in [`FELLOWSHIPS`]; serialised as its `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fellowship(u8);

impl Fellowship {
    /// Looks a fellowship up by its code, case-insensitively.
    pub fn parse(code: &str) -> Option<Fellowship> {
        FELLOWSHIPS
            .iter()
            .position(|f| f.id.eq_ignore_ascii_case(code.trim()))
            .map(|i| Fellowship(i as u8))
    }

    pub fn all() -> impl Iterator<Item = Fellowship> {
        (0..FELLOWSHIPS.len()).map(|i| Fellowship(i as u8))
    }

    pub fn info(self) -> &'static FellowshipInfo {
        &FELLOWSHIPS[self.0 as usize]
    }

    pub fn id(self) -> &'static str {
        self.info().id
    }

    /// Position in the vocabulary, for bitmasks.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The fellowship at `index` in the vocabulary (see [`Fellowship::index`]).
    pub fn from_index(index: usize) -> Option<Fellowship> {
        (index < FELLOWSHIPS.len()).then_some(Fellowship(index as u8))
    }
}

impl Serialize for Fellowship {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Fellowship {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<str>>::deserialize(d)?;
        Fellowship::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown fellowship `{code}`")))
    }
}

impl std::fmt::Display for Fellowship {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for f in Fellowship::all() {
            assert_eq!(Fellowship::parse(f.id()), Some(f));
            assert_eq!(FELLOWSHIPS.iter().filter(|r| r.id == f.id()).count(), 1);
        }
        assert_eq!(Fellowship::parse("AL-ANON").map(Fellowship::id), Some("al-anon"));
        assert_eq!(Fellowship::parse("gamblers"), None);
    }
}
