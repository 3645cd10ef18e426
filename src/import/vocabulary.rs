//! Feed type codes and names to meetingmap's canonical types, per format and fellowship.
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

fn types(codes: &[&str]) -> Code {
    Code::Types(
        codes
            .iter()
            .map(|c| MeetingType::parse(c).expect("vocabulary codes are canonical"))
            .collect(),
    )
}

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
    let code = code.trim();
    let upper = code.to_ascii_uppercase();
    match (fellowship.id(), upper.as_str()) {
        ("al-anon", "Y") => {
            return Code::Fellowship(Fellowship::parse("alateen").expect("alateen is listed"))
        }
        ("al-anon", "POA") => return types(&["community:families"]),
        ("al-anon", "AA") => return Code::Ignore,
        ("al-anon", "AC") => return types(&["community:families"]),
        ("al-anon", "YA") => return types(&["community:young-people"]),
        ("na", "BEG") => return types(&["format:beginners"]),
        ("na", "BT") => return types(&["format:basic-text"]),
        ("na", "JFT") => return types(&["format:just-for-today"]),
        ("na", "STEP") => return types(&["format:step"]),
        ("na", "TRAD") => return types(&["format:tradition"]),
        ("na", "TOP") => return types(&["format:topic"]),
        ("na", "CW") => return types(&["community:child-friendly"]),
        _ => {}
    }
    if let Some((_, iso)) = MEETING_GUIDE_LANGUAGES.iter().find(|(c, _)| *c == upper) {
        return Code::Types(MeetingType::language(iso).into_iter().collect());
    }
    match upper.as_str() {
        "O" => Code::Access(Access::Open),
        "C" => Code::Access(Access::Closed),
        "ONL" => Code::Online,
        "TC" => Code::TemporarilyClosed,
        "11" => types(&["format:meditation", "format:step"]),
        "12X12" => types(&["format:twelve-and-twelve"]),
        "A" => types(&["community:atheist-agnostic"]),
        "ABSI" | "LIT" => types(&["format:literature"]),
        "B" => types(&["format:big-book"]),
        "BE" | "BEG" => types(&["format:newcomers"]),
        "CAN" => types(&["format:candlelight"]),
        "CF" | "BA" => types(&["community:child-friendly"]),
        "D" => types(&["format:discussion"]),
        "DD" => types(&["community:dual-diagnosis"]),
        "DR" => types(&["format:daily-reflections"]),
        "FF" => types(&["accessibility:fragrance-free"]),
        "G" | "L" | "BI" | "T" | "NB" | "LGBTQ" => types(&["community:lgbtq"]),
        "GR" => types(&["format:grapevine"]),
        "LS" => types(&["format:living-sober"]),
        "M" => types(&["community:men"]),
        "MED" => types(&["format:meditation"]),
        "P" => types(&["community:professionals"]),
        "POA" => types(&["format:attendance-slip"]),
        "POC" => types(&["community:people-of-colour"]),
        "SEN" => types(&["community:seniors"]),
        "SP" => types(&["format:speaker"]),
        "ST" => types(&["format:step"]),
        "TR" => types(&["format:tradition"]),
        "W" => types(&["community:women"]),
        "X" => types(&["accessibility:wheelchair"]),
        "XB" => types(&["accessibility:accessible-toilet"]),
        "Y" => types(&["community:young-people"]),
        "BRK" | "SM" | "XT" | "H" | "DB" | "OUT" => Code::Ignore,
        _ => Code::Unknown,
    }
}

/// A BMLT format by its NAWS code (`world_id`), the only code comparable across BMLT servers.
pub fn naws(code: &str) -> Code {
    match code.trim().to_ascii_uppercase().as_str() {
        "OPEN" => Code::Access(Access::Open),
        "CLOSED" => Code::Access(Access::Closed),
        "VM" => Code::Online,
        "HYBR" => Code::Hybrid,
        "TC" => Code::TemporarilyClosed,
        "BEG" => types(&["format:beginners"]),
        "BT" => types(&["format:basic-text"]),
        "CAN" => types(&["format:candlelight"]),
        "CW" => types(&["community:child-friendly"]),
        "DISC" => types(&["format:discussion"]),
        "GL" => types(&["community:lgbtq"]),
        "IP" | "IW" | "LC" | "LIT" | "SWG" | "GP" | "SPAD" | "CPT" => types(&["format:literature"]),
        "JFT" => types(&["format:just-for-today"]),
        "M" => types(&["community:men"]),
        "W" => types(&["community:women"]),
        "MED" => types(&["format:meditation"]),
        "QA" => types(&["format:question-and-answer"]),
        "SPK" => types(&["format:speaker"]),
        "S-D" => types(&["format:speaker", "format:discussion"]),
        "STEP" => types(&["format:step"]),
        "TOP" => types(&["format:topic"]),
        "TRAD" => types(&["format:tradition"]),
        "WCHR" => types(&["accessibility:wheelchair"]),
        "Y" => types(&["community:young-people"]),
        "NS" | "SMOK" | "NC" | "CH" | "RA" | "VAR" | "LANG" => Code::Ignore,
        _ => Code::Unknown,
    }
}

/// A type written out as a name (CSV sheets, TSML's English names), matched on folded text.
pub fn by_name(fellowship: Fellowship, name: &str) -> Code {
    let folded = crate::search::fold_text(name);
    let folded = folded.trim();
    let named = match folded {
        "open" | "open meeting" | "open to all" => Code::Access(Access::Open),
        "closed" | "closed meeting" => Code::Access(Access::Closed),
        "online" | "online meeting" | "virtual" => Code::Online,
        "hybrid" | "virtual and in-person" => Code::Hybrid,
        "in-person" | "in person" => Code::Ignore,
        "temporarily closed" | "location temporarily closed" | "temporary closure" => Code::TemporarilyClosed,
        "newcomer"
        | "newcomers"
        | "newcomer meeting"
        | "newcomers meeting"
        | "beginners / newcomers meeting" => types(&["format:newcomers"]),
        "chit system" | "chit/mac" | "proof of attendance" => types(&["format:attendance-slip"]),
        "book study"
        | "living clean study"
        | "it works study"
        | "step working guide study"
        | "ip study"
        | "spiritual principle a day"
        | "12 concepts"
        | "as bill sees it" => types(&["format:literature"]),
        "12 steps & 12 traditions" | "12 steps & 12 traditions study meeting" | "12x12" => {
            types(&["format:twelve-and-twelve"])
        }
        "steps & tradition" | "steps & traditions" => types(&["format:step", "format:tradition"]),
        "child-friendly" | "children welcome" | "creche" | "babysitting available" => {
            types(&["community:child-friendly"])
        }
        "questions & answers" | "question and answer" => types(&["format:question-and-answer"]),
        "big book study meeting" => types(&["format:big-book"]),
        "step study meeting" => types(&["format:step"]),
        "meditation meeting" => types(&["format:meditation"]),
        "young people's meeting" | "young peoples meeting" => types(&["community:young-people"]),
        "lgbt+" | "transgender" | "bisexual" | "non-binary" => types(&["community:lgbtq"]),
        "beginners" | "beginner" | "beginner/newcomer" => types(&["format:beginners"]),
        "speaker" | "speaker meeting" => types(&["format:speaker"]),
        "discussion" | "share meeting" | "sharing" | "discussion/participation" => {
            types(&["format:discussion"])
        }
        "step" | "steps" | "step meeting" | "step study" => types(&["format:step"]),
        "traditions" | "tradition" | "tradition study" => types(&["format:tradition"]),
        "big book" | "big book study" => types(&["format:big-book"]),
        "literature" | "literature study" => types(&["format:literature"]),
        "basic text" | "basic text study" => types(&["format:basic-text"]),
        "just for today" | "just for today book study" | "just for today study" => {
            types(&["format:just-for-today"])
        }
        "living sober" => types(&["format:living-sober"]),
        "meditation" | "11th step meditation" => types(&["format:meditation"]),
        "topic" | "topic meeting" => types(&["format:topic"]),
        "candlelight" => types(&["format:candlelight"]),
        "women" | "women's meeting" | "women only" => types(&["community:women"]),
        "men" | "men's meeting" | "men only" => types(&["community:men"]),
        "lgbtq" | "lgbtq+" | "gay" | "lesbian" => types(&["community:lgbtq"]),
        "young people" => types(&["community:young-people"]),
        "wheelchair access" | "wheelchair accessible" | "wheelchair" => types(&["accessibility:wheelchair"]),
        "hearing loop" => types(&["accessibility:hearing-loop"]),
        "parking available" | "parking" => types(&["accessibility:parking"]),
        "bsl" | "british sign language" => types(&["accessibility:bsl"]),
        "tools" | "smart tools" => types(&["format:tools"]),
        _ => Code::Unknown,
    };
    if named != Code::Unknown {
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
}
