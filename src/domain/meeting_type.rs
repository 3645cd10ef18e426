//! Meeting types as namespaced facets: `format:speaker`, `community:women`,
//! `accessibility:wheelchair`, `language:cy`.
//!
//! Feeds use short codes that mean different things in different fellowships (in Al-Anon `Y` is
//! Alateen, in AA it is young people); importers translate those into this one canonical vocabulary,
//! so a search for `community:young-people` means the same thing whatever the source. Like the
//! fellowships, the vocabulary is a single table.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// The facet a type belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    /// How the meeting runs (speaker, step study, ...).
    Format,
    /// Who the meeting is especially for (women, LGBTQ+, ...). Everyone's own fellowship rules on
    /// attendance still apply through `access`.
    Community,
    /// Physical and sensory access (wheelchair, hearing loop, BSL).
    Accessibility,
    /// Spoken language, as an ISO 639 code.
    Language,
}

impl Facet {
    pub fn prefix(self) -> &'static str {
        match self {
            Facet::Format => "format",
            Facet::Community => "community",
            Facet::Accessibility => "accessibility",
            Facet::Language => "language",
        }
    }
}

/// One row of the type vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo {
    pub facet: Facet,
    /// Code within the facet (`speaker`, `cy`).
    pub code: &'static str,
    pub label: &'static str,
}

const fn t(facet: Facet, code: &'static str, label: &'static str) -> TypeInfo {
    TypeInfo { facet, code, label }
}

use Facet::{Accessibility as A, Community as C, Format as F, Language as L};

/// Every meeting type meetingmap knows, grouped by facet.
pub const TYPES: &[TypeInfo] = &[
    t(F, "speaker", "Speaker"),
    t(F, "discussion", "Discussion"),
    t(F, "sharing", "Sharing"),
    t(F, "step", "Step study"),
    t(F, "tradition", "Traditions study"),
    t(F, "big-book", "Big Book study"),
    t(F, "twelve-and-twelve", "Twelve Steps and Twelve Traditions"),
    t(F, "literature", "Literature study"),
    t(F, "basic-text", "Basic Text study (NA)"),
    t(F, "just-for-today", "Just for Today (NA)"),
    t(F, "living-sober", "Living Sober"),
    t(F, "daily-reflections", "Daily Reflections"),
    t(F, "grapevine", "Grapevine"),
    t(F, "topic", "Topic"),
    t(F, "question-and-answer", "Questions and answers"),
    t(F, "beginners", "Beginners"),
    t(F, "newcomers", "Newcomers welcome"),
    t(F, "meditation", "Meditation"),
    t(F, "candlelight", "Candlelight"),
    t(F, "workshop", "Workshop"),
    t(F, "business", "Business meeting"),
    t(F, "tools", "SMART tools and discussion"),
    t(F, "attendance-slip", "Attendance slips signed"),
    t(C, "women", "Women"),
    t(C, "men", "Men"),
    t(C, "lgbtq", "LGBTQ+"),
    t(C, "young-people", "Young people"),
    t(C, "seniors", "Older people"),
    t(C, "people-of-colour", "People of colour"),
    t(C, "professionals", "Professionals"),
    t(C, "atheist-agnostic", "Atheist / agnostic"),
    t(C, "dual-diagnosis", "Dual diagnosis"),
    t(C, "veterans", "Armed forces veterans"),
    t(C, "families", "Families and friends"),
    t(C, "child-friendly", "Children welcome"),
    t(A, "wheelchair", "Wheelchair access"),
    t(A, "accessible-toilet", "Accessible toilet"),
    t(A, "hearing-loop", "Hearing loop"),
    t(A, "bsl", "British Sign Language"),
    t(A, "parking", "Parking"),
    t(A, "fragrance-free", "Fragrance free"),
    t(L, "en", "English"),
    t(L, "cy", "Welsh (Cymraeg)"),
    t(L, "gd", "Scottish Gaelic"),
    t(L, "ga", "Irish"),
    t(L, "pl", "Polish"),
    t(L, "lt", "Lithuanian"),
    t(L, "lv", "Latvian"),
    t(L, "ro", "Romanian"),
    t(L, "bg", "Bulgarian"),
    t(L, "cs", "Czech"),
    t(L, "sk", "Slovak"),
    t(L, "hu", "Hungarian"),
    t(L, "ru", "Russian"),
    t(L, "uk", "Ukrainian"),
    t(L, "es", "Spanish"),
    t(L, "pt", "Portuguese"),
    t(L, "fr", "French"),
    t(L, "it", "Italian"),
    t(L, "de", "German"),
    t(L, "nl", "Dutch"),
    t(L, "sv", "Swedish"),
    t(L, "da", "Danish"),
    t(L, "no", "Norwegian"),
    t(L, "fi", "Finnish"),
    t(L, "el", "Greek"),
    t(L, "tr", "Turkish"),
    t(L, "ar", "Arabic"),
    t(L, "fa", "Persian (Farsi)"),
    t(L, "ku", "Kurdish"),
    t(L, "ur", "Urdu"),
    t(L, "pa", "Punjabi"),
    t(L, "hi", "Hindi"),
    t(L, "gu", "Gujarati"),
    t(L, "bn", "Bengali"),
    t(L, "ta", "Tamil"),
    t(L, "so", "Somali"),
    t(L, "ti", "Tigrinya"),
    t(L, "am", "Amharic"),
    t(L, "zh", "Chinese"),
    t(L, "ja", "Japanese"),
    t(L, "ko", "Korean"),
    t(L, "tl", "Tagalog"),
    t(L, "he", "Hebrew"),
    t(L, "hr", "Croatian"),
    t(L, "sl", "Slovenian"),
    t(L, "is", "Icelandic"),
    t(L, "ka", "Georgian"),
    t(L, "ml", "Malayalam"),
    t(L, "ne", "Nepali"),
    t(L, "th", "Thai"),
    t(L, "af", "Afrikaans"),
    t(L, "mt", "Maltese"),
];

// The search snapshot keeps type sets as a fixed bitset.
pub const TYPESET_WORDS: usize = 2;
const _: () = assert!(TYPES.len() <= TYPESET_WORDS * 64);

/// A meeting type, stored as its index in [`TYPES`]; serialised as `facet:code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeetingType(u16);

impl MeetingType {
    /// Parses `facet:code`; a bare `code` is accepted when only one facet has it.
    pub fn parse(text: &str) -> Option<MeetingType> {
        let text = text.trim();
        let found = match text.split_once(':') {
            Some((facet, code)) => TYPES.iter().position(|t| {
                t.facet.prefix().eq_ignore_ascii_case(facet) && t.code.eq_ignore_ascii_case(code)
            }),
            None => {
                let mut hits = TYPES
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.code.eq_ignore_ascii_case(text));
                match (hits.next(), hits.next()) {
                    (Some((i, _)), None) => Some(i),
                    _ => None,
                }
            }
        };
        found.map(|i| MeetingType(i as u16))
    }

    /// The language type for an ISO 639 code, if the vocabulary has it.
    pub fn language(code: &str) -> Option<MeetingType> {
        TYPES
            .iter()
            .position(|t| t.facet == Facet::Language && t.code.eq_ignore_ascii_case(code.trim()))
            .map(|i| MeetingType(i as u16))
    }

    pub fn all() -> impl Iterator<Item = MeetingType> {
        (0..TYPES.len()).map(|i| MeetingType(i as u16))
    }

    pub fn info(self) -> &'static TypeInfo {
        &TYPES[self.0 as usize]
    }

    pub fn facet(self) -> Facet {
        self.info().facet
    }

    /// Position in the vocabulary, for bitsets.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for MeetingType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let info = self.info();
        write!(f, "{}:{}", info.facet.prefix(), info.code)
    }
}

impl Serialize for MeetingType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MeetingType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(d)?;
        MeetingType::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown meeting type `{text}`")))
    }
}

/// A set of meeting types as a fixed-size bitset: "has all of these" is a few AND operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TypeSet([u64; TYPESET_WORDS]);

impl TypeSet {
    pub fn insert(&mut self, t: MeetingType) {
        self.0[t.index() / 64] |= 1 << (t.index() % 64);
    }

    pub fn contains_all(&self, other: &TypeSet) -> bool {
        self.0.iter().zip(other.0).all(|(a, b)| a & b == b)
    }

    pub fn intersects(&self, other: &TypeSet) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

impl FromIterator<MeetingType> for TypeSet {
    fn from_iter<I: IntoIterator<Item = MeetingType>>(iter: I) -> Self {
        let mut set = TypeSet::default();
        for t in iter {
            set.insert(t);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_text() {
        for t in MeetingType::all() {
            assert_eq!(MeetingType::parse(&t.to_string()), Some(t), "{t}");
        }
    }

    #[test]
    fn codes_are_unique_within_a_facet() {
        for (i, a) in TYPES.iter().enumerate() {
            for b in &TYPES[i + 1..] {
                assert!(!(a.facet == b.facet && a.code == b.code), "{}", a.code);
            }
        }
    }

    #[test]
    fn bare_codes_resolve_only_when_unambiguous() {
        assert_eq!(
            MeetingType::parse("speaker").map(|t| t.to_string()),
            Some("format:speaker".into())
        );
        assert_eq!(
            MeetingType::parse("Language:CY").map(|t| t.to_string()),
            Some("language:cy".into())
        );
        assert_eq!(MeetingType::parse("format:cy"), None);
        assert_eq!(MeetingType::parse("nonsense"), None);
    }

    #[test]
    fn typeset_all_and_any() {
        let a: TypeSet = ["format:speaker", "language:cy"]
            .iter()
            .map(|s| MeetingType::parse(s).unwrap())
            .collect();
        let speaker: TypeSet = [MeetingType::parse("format:speaker").unwrap()]
            .into_iter()
            .collect();
        let women: TypeSet = [MeetingType::parse("community:women").unwrap()]
            .into_iter()
            .collect();
        assert!(a.contains_all(&speaker));
        assert!(!a.contains_all(&women));
        assert!(a.contains_all(&TypeSet::default()));
        assert!(a.intersects(&speaker));
        assert!(!a.intersects(&women));
    }
}
