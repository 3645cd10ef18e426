//! Feed type codes and names to meetingmap's canonical types, per format and fellowship.
//!
//! The tables are data ([`Entry`] rows of codes and what they mean), so they read both ways:
//! importers look a code up ([`meeting_guide`], [`naws`], [`by_name`]), and writers of those
//! formats ask which code says a type ([`meeting_guide_code`], [`naws_code`]).
//!
//! The same code means different things in different places (`Y` is young people in AA and NA but
//! Alateen in Al-Anon; `POA` is proof of attendance in AA but Parents of Alcoholics in Al-Anon), so
//! every lookup is given the fellowship. A code with no meaning here is [`Code::Unknown`]: importers
//! keep it as a raw tag on the meeting and report it, never drop it silently.

use crate::domain::{Access, Fellowship, MeetingType};

/// What one feed code says about a meeting.
#[derive(Debug, Clone, PartialEq)]
pub enum Code {
    Types(Vec<MeetingType>),
    Access(Access),
    Online,
    Hybrid,
    TemporarilyClosed,
    /// The meeting belongs to another fellowship (Al-Anon's `Y` is an Alateen meeting).
    Fellowship(Fellowship),
    /// Understood, and deliberately not a meetingmap type (`BRK` breakfast, `SM` smoking).
    Ignore,
    Unknown,
}

/// What a row of a code table says, as constant data ([`Code`] once looked up).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Meaning {
    /// Canonical type codes (`format:step`), all of which apply.
    Types(&'static [&'static str]),
    Access(Access),
    Online,
    Hybrid,
    TemporarilyClosed,
    /// The meeting belongs to this other fellowship (by code).
    Fellowship(&'static str),
    Ignore,
}

/// One row of a code table: these feed codes (upper case; folded text for names) mean this, for
/// one fellowship only or (`None`) for any.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub fellowship: Option<&'static str>,
    pub codes: &'static [&'static str],
    pub meaning: Meaning,
}

const fn any(codes: &'static [&'static str], meaning: Meaning) -> Entry {
    Entry {
        fellowship: None,
        codes,
        meaning,
    }
}

const fn only(fellowship: &'static str, codes: &'static [&'static str], meaning: Meaning) -> Entry {
    Entry {
        fellowship: Some(fellowship),
        codes,
        meaning,
    }
}

use Meaning::{Hybrid, Ignore, Online, TemporarilyClosed, Types};

impl Meaning {
    fn code(self) -> Code {
        match self {
            Types(codes) => Code::Types(
                codes
                    .iter()
                    .map(|c| MeetingType::parse(c).expect("vocabulary codes are canonical"))
                    .collect(),
            ),
            Meaning::Access(access) => Code::Access(access),
            Online => Code::Online,
            Hybrid => Code::Hybrid,
            TemporarilyClosed => Code::TemporarilyClosed,
            Meaning::Fellowship(id) => {
                Code::Fellowship(Fellowship::parse(id).expect("table fellowships are listed"))
            }
            Ignore => Code::Ignore,
        }
    }
}

/// What `code` means in `table` for `fellowship`: rows for that fellowship win over rows for any
/// (Al-Anon's `Y` is Alateen, everyone else's is young people).
fn lookup(table: &[Entry], fellowship: Option<Fellowship>, code: &str) -> Option<Code> {
    let id = fellowship.map(|f| f.id());
    let rows = |specific: bool| {
        table.iter().filter(move |e| {
            if specific {
                e.fellowship.is_some() && e.fellowship == id
            } else {
                e.fellowship.is_none()
            }
        })
    };
    rows(true)
        .chain(rows(false))
        .find(|e| e.codes.contains(&code))
        .map(|e| e.meaning.code())
}

/// The first code in `table` that says exactly `meaning` for `fellowship` (its own rows first):
/// the inverse of the lookups, for writers.
fn code_for(table: &[Entry], fellowship: Option<Fellowship>, meaning: Meaning) -> Option<&'static str> {
    let id = fellowship.map(|f| f.id());
    let specific = table
        .iter()
        .filter(|e| e.fellowship.is_some() && e.fellowship == id);
    let general = table.iter().filter(|e| e.fellowship.is_none());
    specific
        .chain(general)
        .find(|e| e.meaning == meaning)
        .and_then(|e| e.codes.first().copied())
}

/// Meeting Guide / TSML type codes (code4recovery spec, TSML extras `ONL` and `TC`).
pub const MEETING_GUIDE: &[Entry] = &[
    only("al-anon", &["Y"], Meaning::Fellowship("alateen")),
    only("al-anon", &["POA"], Types(&["community:families"])),
    only("al-anon", &["AA"], Ignore),
    only("al-anon", &["AC"], Types(&["community:families"])),
    only("al-anon", &["YA"], Types(&["community:young-people"])),
    only("na", &["BEG"], Types(&["format:beginners"])),
    only("na", &["BT"], Types(&["format:basic-text"])),
    only("na", &["JFT"], Types(&["format:just-for-today"])),
    only("na", &["STEP"], Types(&["format:step"])),
    only("na", &["TRAD"], Types(&["format:tradition"])),
    only("na", &["TOP"], Types(&["format:topic"])),
    only("na", &["CW"], Types(&["community:child-friendly"])),
    any(&["O"], Meaning::Access(Access::Open)),
    any(&["C"], Meaning::Access(Access::Closed)),
    any(&["ONL"], Online),
    any(&["TC"], TemporarilyClosed),
    any(&["11"], Types(&["format:meditation", "format:step"])),
    any(&["12X12"], Types(&["format:twelve-and-twelve"])),
    any(&["A"], Types(&["community:atheist-agnostic"])),
    any(&["LIT", "ABSI"], Types(&["format:literature"])),
    any(&["B"], Types(&["format:big-book"])),
    any(&["BE", "BEG"], Types(&["format:newcomers"])),
    any(&["CAN"], Types(&["format:candlelight"])),
    any(&["CF", "BA"], Types(&["community:child-friendly"])),
    any(&["D"], Types(&["format:discussion"])),
    any(&["DD"], Types(&["community:dual-diagnosis"])),
    any(&["DR"], Types(&["format:daily-reflections"])),
    any(&["FF"], Types(&["accessibility:fragrance-free"])),
    any(&["LGBTQ", "G", "L", "BI", "T", "NB"], Types(&["community:lgbtq"])),
    any(&["GR"], Types(&["format:grapevine"])),
    any(&["LS"], Types(&["format:living-sober"])),
    any(&["M"], Types(&["community:men"])),
    any(&["MED"], Types(&["format:meditation"])),
    any(&["P"], Types(&["community:professionals"])),
    any(&["POA"], Types(&["format:attendance-slip"])),
    any(&["POC"], Types(&["community:people-of-colour"])),
    any(&["SEN"], Types(&["community:seniors"])),
    any(&["SP"], Types(&["format:speaker"])),
    any(&["ST"], Types(&["format:step"])),
    any(&["TR"], Types(&["format:tradition"])),
    any(&["W"], Types(&["community:women"])),
    any(&["X"], Types(&["accessibility:wheelchair"])),
    any(&["XB"], Types(&["accessibility:accessible-toilet"])),
    any(&["Y"], Types(&["community:young-people"])),
    any(&["BRK", "SM", "XT", "H", "DB", "OUT"], Ignore),
];

/// BMLT formats by their NAWS code (`world_id`), the only code comparable across BMLT servers.
pub const NAWS: &[Entry] = &[
    any(&["OPEN"], Meaning::Access(Access::Open)),
    any(&["CLOSED"], Meaning::Access(Access::Closed)),
    any(&["VM"], Online),
    any(&["HYBR"], Hybrid),
    any(&["TC"], TemporarilyClosed),
    any(&["BEG"], Types(&["format:beginners"])),
    any(&["BT"], Types(&["format:basic-text"])),
    any(&["CAN"], Types(&["format:candlelight"])),
    any(&["CW"], Types(&["community:child-friendly"])),
    any(&["DISC"], Types(&["format:discussion"])),
    any(&["GL"], Types(&["community:lgbtq"])),
    any(
        &["LIT", "IP", "IW", "LC", "SWG", "GP", "SPAD", "CPT"],
        Types(&["format:literature"]),
    ),
    any(&["JFT"], Types(&["format:just-for-today"])),
    any(&["M"], Types(&["community:men"])),
    any(&["W"], Types(&["community:women"])),
    any(&["MED"], Types(&["format:meditation"])),
    any(&["QA"], Types(&["format:question-and-answer"])),
    any(&["SPK"], Types(&["format:speaker"])),
    any(&["S-D"], Types(&["format:speaker", "format:discussion"])),
    any(&["STEP"], Types(&["format:step"])),
    any(&["TOP"], Types(&["format:topic"])),
    any(&["TRAD"], Types(&["format:tradition"])),
    any(&["WCHR"], Types(&["accessibility:wheelchair"])),
    any(&["Y"], Types(&["community:young-people"])),
    any(&["NS", "SMOK", "NC", "CH", "RA", "VAR", "LANG"], Ignore),
];

/// Types written out as names (CSV sheets, TSML's English names), as folded text.
pub const NAMES: &[Entry] = &[
    any(
        &["open", "open meeting", "open to all"],
        Meaning::Access(Access::Open),
    ),
    any(&["closed", "closed meeting"], Meaning::Access(Access::Closed)),
    any(&["online", "online meeting", "virtual"], Online),
    any(&["hybrid", "virtual and in-person"], Hybrid),
    any(&["in-person", "in person"], Ignore),
    any(
        &[
            "temporarily closed",
            "location temporarily closed",
            "temporary closure",
        ],
        TemporarilyClosed,
    ),
    any(
        &[
            "newcomer",
            "newcomers",
            "newcomer meeting",
            "newcomers meeting",
            "beginners / newcomers meeting",
        ],
        Types(&["format:newcomers"]),
    ),
    any(
        &["chit system", "chit/mac", "proof of attendance"],
        Types(&["format:attendance-slip"]),
    ),
    any(
        &[
            "book study",
            "living clean study",
            "it works study",
            "step working guide study",
            "ip study",
            "spiritual principle a day",
            "12 concepts",
            "as bill sees it",
        ],
        Types(&["format:literature"]),
    ),
    any(
        &[
            "12 steps & 12 traditions",
            "12 steps & 12 traditions study meeting",
            "12x12",
        ],
        Types(&["format:twelve-and-twelve"]),
    ),
    any(
        &["steps & tradition", "steps & traditions"],
        Types(&["format:step", "format:tradition"]),
    ),
    any(
        &[
            "child-friendly",
            "children welcome",
            "creche",
            "babysitting available",
        ],
        Types(&["community:child-friendly"]),
    ),
    any(
        &["questions & answers", "question and answer"],
        Types(&["format:question-and-answer"]),
    ),
    any(&["big book study meeting"], Types(&["format:big-book"])),
    any(&["step study meeting"], Types(&["format:step"])),
    any(&["meditation meeting"], Types(&["format:meditation"])),
    any(
        &["young people's meeting", "young peoples meeting"],
        Types(&["community:young-people"]),
    ),
    any(
        &["lgbt+", "transgender", "bisexual", "non-binary"],
        Types(&["community:lgbtq"]),
    ),
    any(
        &["beginners", "beginner", "beginner/newcomer"],
        Types(&["format:beginners"]),
    ),
    any(&["speaker", "speaker meeting"], Types(&["format:speaker"])),
    any(
        &[
            "discussion",
            "share meeting",
            "sharing",
            "discussion/participation",
        ],
        Types(&["format:discussion"]),
    ),
    any(
        &["step", "steps", "step meeting", "step study"],
        Types(&["format:step"]),
    ),
    any(
        &["traditions", "tradition", "tradition study"],
        Types(&["format:tradition"]),
    ),
    any(&["big book", "big book study"], Types(&["format:big-book"])),
    any(&["literature", "literature study"], Types(&["format:literature"])),
    any(&["basic text", "basic text study"], Types(&["format:basic-text"])),
    any(
        &[
            "just for today",
            "just for today book study",
            "just for today study",
        ],
        Types(&["format:just-for-today"]),
    ),
    any(&["living sober"], Types(&["format:living-sober"])),
    any(
        &["meditation", "11th step meditation"],
        Types(&["format:meditation"]),
    ),
    any(&["topic", "topic meeting"], Types(&["format:topic"])),
    any(&["candlelight"], Types(&["format:candlelight"])),
    any(
        &["women", "women's meeting", "women only"],
        Types(&["community:women"]),
    ),
    any(&["men", "men's meeting", "men only"], Types(&["community:men"])),
    any(
        &["lgbtq", "lgbtq+", "gay", "lesbian"],
        Types(&["community:lgbtq"]),
    ),
    any(&["young people"], Types(&["community:young-people"])),
    any(
        &["wheelchair access", "wheelchair accessible", "wheelchair"],
        Types(&["accessibility:wheelchair"]),
    ),
    any(&["hearing loop"], Types(&["accessibility:hearing-loop"])),
    any(
        &["parking available", "parking"],
        Types(&["accessibility:parking"]),
    ),
    any(&["bsl", "british sign language"], Types(&["accessibility:bsl"])),
    any(&["tools", "smart tools"], Types(&["format:tools"])),
];

/// Language codes used by Meeting Guide (mostly, but not always, ISO 639).
const MEETING_GUIDE_LANGUAGES: &[(&str, &str)] = &[
    ("EN", "en"),
    ("S", "es"),
    ("FR", "fr"),
    ("POL", "pl"),
    ("ITA", "it"),
    ("RUS", "ru"),
    ("UK", "uk"),
    ("DE", "de"),
    ("AR", "ar"),
    ("FA", "fa"),
    ("HI", "hi"),
    ("JA", "ja"),
    ("KOR", "ko"),
    ("NL", "nl"),
    ("POR", "pt"),
    ("TUR", "tr"),
    ("EL", "el"),
    ("HE", "he"),
    ("HU", "hu"),
    ("LT", "lt"),
    ("BG", "bg"),
    ("SK", "sk"),
    ("SV", "sv"),
    ("DA", "da"),
    ("NO", "no"),
    ("FI", "fi"),
    ("AM", "am"),
    ("TL", "tl"),
    ("PUN", "pa"),
    ("HR", "hr"),
    ("SL", "sl"),
    ("IS", "is"),
    ("KA", "ka"),
    ("ML", "ml"),
    ("NE", "ne"),
    ("TH", "th"),
    ("AF", "af"),
    ("MT", "mt"),
];

/// A Meeting Guide / TSML type code (code4recovery spec, TSML extras `ONL` and `TC`).
pub fn meeting_guide(fellowship: Fellowship, code: &str) -> Code {
    let upper = code.trim().to_ascii_uppercase();
    if let Some(code) = lookup(MEETING_GUIDE, Some(fellowship), &upper) {
        // Fellowship-specific rows are read before the languages (NA's `BEG` is not a language).
        return code;
    }
    match MEETING_GUIDE_LANGUAGES.iter().find(|(c, _)| *c == upper) {
        Some((_, iso)) => Code::Types(MeetingType::language(iso).into_iter().collect()),
        None => Code::Unknown,
    }
}

/// The Meeting Guide code that says `meaning` for `fellowship` (a language type by its ISO code),
/// for writers of Meeting Guide feeds.
pub fn meeting_guide_code(fellowship: Fellowship, meaning: Meaning) -> Option<&'static str> {
    if let Types([ty]) = meaning {
        if let Some(iso) = ty.strip_prefix("language:") {
            return MEETING_GUIDE_LANGUAGES
                .iter()
                .find(|(_, i)| *i == iso)
                .map(|(c, _)| *c);
        }
    }
    code_for(MEETING_GUIDE, Some(fellowship), meaning)
}

/// The 87 type codes of the Meeting Guide spec (code4recovery/spec@404117a `data/types.json`), as
/// the spec spells them. TSML UI drops any other code silently, so a feed for it is written with
/// these only.
pub const MEETING_GUIDE_SPEC: &[&str] = &[
    "11", "12x12", "A", "ABSI", "AF", "AL", "AL-AN", "AM", "AR", "ASL", "B", "BA", "BE", "BG", "BI", "BRK",
    "C", "CAN", "CF", "D", "DA", "DB", "DD", "DE", "DR", "EL", "EN", "FA", "FF", "FI", "FR", "G", "GR", "H",
    "HE", "HI", "HR", "HU", "IS", "ITA", "JA", "KA", "KOR", "L", "LGBTQ", "LIT", "LS", "LT", "M", "MED",
    "ML", "MT", "N", "NB", "NDG", "NE", "NL", "NO", "O", "OUT", "P", "POA", "POC", "POL", "POR", "PUN",
    "RUS", "S", "SEN", "SK", "SL", "SM", "SP", "ST", "SV", "T", "TC", "TH", "TL", "TR", "TUR", "UK", "W",
    "X", "XB", "XT", "Y",
];

/// The spec's spelling of a code, when the spec has it.
fn in_spec(code: &str) -> Option<&'static str> {
    MEETING_GUIDE_SPEC
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(code))
}

/// The spec code (see [`MEETING_GUIDE_SPEC`]) that says `meaning` for `fellowship` and reads back
/// to the same meaning for that fellowship, for writers of feeds that TSML UI and the Meeting
/// Guide app read. The fellowship's own code comes first; when that is not a spec code (NA's
/// `STEP`), the general one (`ST`) is used, unless it means something else in that fellowship
/// (Al-Anon's `Y` is Alateen, so Al-Anon's young adults get no code).
pub fn meeting_guide_spec_code(fellowship: Fellowship, meaning: Meaning) -> Option<&'static str> {
    let own = meeting_guide_code(fellowship, meaning);
    let general = code_for(MEETING_GUIDE, None, meaning);
    [own, general]
        .into_iter()
        .flatten()
        .filter_map(in_spec)
        .find(|code| meeting_guide(fellowship, code) == meaning.code())
}

/// The meaning a table gives one meetingmap type alone, when some row of `table` says exactly it
/// (the writers' starting point: a type, to a [`Meaning`] the inverse lookups take).
fn single(table: &[Entry], ty: MeetingType) -> Option<Meaning> {
    let name = ty.to_string();
    table.iter().find_map(|e| match e.meaning {
        Types([one]) if *one == name => Some(e.meaning),
        _ => None,
    })
}

/// The Meeting Guide spec code for one meetingmap type in `fellowship` (languages included).
pub fn meeting_guide_type(fellowship: Fellowship, ty: MeetingType) -> Option<&'static str> {
    if ty.facet() == crate::domain::Facet::Language {
        let iso = ty.info().code;
        return MEETING_GUIDE_LANGUAGES
            .iter()
            .find(|(_, i)| *i == iso)
            .and_then(|(c, _)| in_spec(c));
    }
    meeting_guide_spec_code(fellowship, single(MEETING_GUIDE, ty)?)
}

/// The NAWS code for one meetingmap type, when there is one.
pub fn naws_type(ty: MeetingType) -> Option<&'static str> {
    naws_code(single(NAWS, ty)?)
}

/// A BMLT format by its NAWS code (`world_id`).
pub fn naws(code: &str) -> Code {
    lookup(NAWS, None, &code.trim().to_ascii_uppercase()).unwrap_or(Code::Unknown)
}

/// The NAWS code that says `meaning`, for writers of BMLT formats.
pub fn naws_code(meaning: Meaning) -> Option<&'static str> {
    code_for(NAWS, None, meaning)
}

/// A type written out as a name (CSV sheets, TSML's English names), matched on folded text.
pub fn by_name(fellowship: Fellowship, name: &str) -> Code {
    let folded = crate::search::fold_text(name);
    let folded = folded.trim();
    if let Some(named) = lookup(NAMES, Some(fellowship), folded) {
        return named;
    }
    // A code written in a name column ("O", "ST"), or one of meetingmap's own type names.
    match meeting_guide(fellowship, folded) {
        Code::Unknown => crate::domain::MeetingType::all()
            .find(|t| crate::search::fold_text(t.info().label) == folded || t.to_string() == folded)
            .map_or(Code::Unknown, |t| Code::Types(vec![t])),
        known => known,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(codes: &'static [&'static str]) -> Code {
        Types(codes).code()
    }

    fn f(code: &str) -> Fellowship {
        Fellowship::parse(code).unwrap()
    }

    #[test]
    fn codes_depend_on_the_fellowship() {
        assert_eq!(meeting_guide(f("aa"), "Y"), types(&["community:young-people"]));
        assert_eq!(meeting_guide(f("al-anon"), "Y"), Code::Fellowship(f("alateen")));
        assert_eq!(meeting_guide(f("aa"), "POA"), types(&["format:attendance-slip"]));
        assert_ne!(
            meeting_guide(f("al-anon"), "POA"),
            types(&["format:attendance-slip"])
        );
        assert_eq!(
            meeting_guide(f("aa"), "UK"),
            types(&["language:uk"]),
            "Ukrainian, not United Kingdom"
        );
        assert_eq!(meeting_guide(f("aa"), "ZZZ"), Code::Unknown);
    }

    #[test]
    fn naws_and_names() {
        assert_eq!(naws("wchr"), types(&["accessibility:wheelchair"]));
        assert_eq!(naws("CLOSED"), Code::Access(Access::Closed));
        assert_eq!(
            by_name(f("na"), "Just For Today Book Study"),
            types(&["format:just-for-today"])
        );
        assert_eq!(
            by_name(f("aa"), " Wheelchair Access "),
            types(&["accessibility:wheelchair"])
        );
        assert_eq!(by_name(f("aa"), "ST"), types(&["format:step"]));
        assert_eq!(
            by_name(f("aa"), "Twelve Steps and Twelve Traditions"),
            types(&["format:twelve-and-twelve"])
        );
        assert_eq!(by_name(f("aa"), "Juggling"), Code::Unknown);
        assert_eq!(
            by_name(f("na"), "Living Clean Study"),
            types(&["format:literature"])
        );
        assert_eq!(
            by_name(f("aa"), "Chit System"),
            types(&["format:attendance-slip"])
        );
    }

    /// A row with one code whose meaning no other row for the same fellowship has.
    fn one_to_one(table: &[Entry], row: &Entry) -> bool {
        row.codes.len() == 1
            && table
                .iter()
                .filter(|e| e.fellowship == row.fellowship && e.meaning == row.meaning)
                .count()
                == 1
    }

    /// Every code that alone means one thing reads back to a code meaning the same, and where the
    /// table row has one code only (one-to-one), to that very code.
    #[test]
    fn tables_read_both_ways() {
        let aa = f("aa");
        for e in MEETING_GUIDE {
            let fellowship = e.fellowship.map_or(aa, f);
            let code = meeting_guide_code(fellowship, e.meaning).expect("every meaning has a code");
            assert_eq!(meeting_guide(fellowship, code), e.meaning.code(), "{code}");
            if one_to_one(MEETING_GUIDE, e) {
                assert_eq!(code, e.codes[0]);
            }
            // Languages are read after the table: a code in both would never mean its language.
            assert!(e
                .codes
                .iter()
                .all(|c| !MEETING_GUIDE_LANGUAGES.iter().any(|(l, _)| l == c)));
        }
        for e in NAWS {
            let code = naws_code(e.meaning).expect("every meaning has a code");
            assert_eq!(naws(code), e.meaning.code(), "{code}");
            if one_to_one(NAWS, e) {
                assert_eq!(code, e.codes[0]);
            }
        }
        for (code, iso) in MEETING_GUIDE_LANGUAGES {
            let ty: &'static str = Box::leak(format!("language:{iso}").into_boxed_str());
            let types: &'static [&'static str] = Box::leak(Box::new([ty]));
            assert_eq!(meeting_guide_code(aa, Types(types)), Some(*code));
        }
    }
}
