//! UK postcode syntax: normalising what people type into the canonical forms the data files use.
//!
//! A unit postcode (`SW1A 1AA`) is an outcode (`SW1A`, a postal district) and an incode (`1AA`,
//! always digit + two letters); the sector is the outcode plus the incode's digit (`SW1A 1`).
//! Canonical form is upper case with one space before the incode, as in OS Code-Point Open.

/// A postcode, or the sector or outcode part of one, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Postcode {
    /// A full postcode such as `LL11 1AA`.
    Unit(String),
    /// A postcode sector such as `LL11 1`.
    Sector(String),
    /// A postcode district (outcode) such as `LL11`.
    Outcode(String),
}

/// Outcode shapes: `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`.
fn is_outcode(code: &str) -> bool {
    let b = code.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = &b[letters..];
    (1..=2).contains(&letters)
        && matches!(rest, [d] | [d, _] if d.is_ascii_digit())
        && rest.iter().all(|c| c.is_ascii_alphanumeric())
}

/// Digit + two letters.
fn is_incode(code: &str) -> bool {
    matches!(code.as_bytes(), [d, a, b] if d.is_ascii_digit() && a.is_ascii_uppercase() && b.is_ascii_uppercase())
}

impl Postcode {
    /// Reads a postcode, sector or outcode in any case and spacing (`ll111aa`, `LL11  1AA`,
    /// `ll11 1`, `LL111`). Without a space, a string that is a valid outcode is read as one
    /// (`M11` is the district M11, not sector `M1 1`).
    pub fn parse(text: &str) -> Option<Postcode> {
        let upper = text.trim().to_ascii_uppercase();
        if upper.is_empty()
            || !upper
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace())
        {
            return None;
        }
        let compact: String = upper.split_whitespace().collect();
        if compact.len() > 7 {
            return None;
        }
        if compact.len() >= 5 {
            let (outcode, incode) = compact.split_at(compact.len() - 3);
            if is_outcode(outcode) && is_incode(incode) {
                return Some(Postcode::Unit(format!("{outcode} {incode}")));
            }
        }
        let words: Vec<&str> = upper.split_whitespace().collect();
        if let [outcode, incode] = words[..] {
            // `LL11 1` or a partly typed `LL11 1A`: the sector is all that is known.
            let digit = incode.as_bytes()[0];
            let partial = incode.len() <= 2 && incode.bytes().skip(1).all(|c| c.is_ascii_uppercase());
            return (is_outcode(outcode) && digit.is_ascii_digit() && partial)
                .then(|| Postcode::Sector(format!("{outcode} {}", digit as char)));
        }
        if is_outcode(&compact) {
            return Some(Postcode::Outcode(compact));
        }
        let (outcode, digit) = compact.split_at(compact.len() - 1);
        (is_outcode(outcode) && digit.as_bytes()[0].is_ascii_digit())
            .then(|| Postcode::Sector(format!("{outcode} {digit}")))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Postcode::Unit(s) | Postcode::Sector(s) | Postcode::Outcode(s) => s,
        }
    }

    pub fn outcode(&self) -> &str {
        self.as_str().split(' ').next().unwrap_or_default()
    }

    /// The sector this postcode is in (itself for a sector; none for an outcode).
    pub fn sector(&self) -> Option<&str> {
        match self {
            Postcode::Unit(s) => Some(&s[..s.len() - 2]),
            Postcode::Sector(s) => Some(s),
            Postcode::Outcode(_) => None,
        }
    }
}

/// Packs a canonical unit postcode into an integer key (6 bits per character, spaces dropped), so
/// that 1.7 million postcodes fit in a sorted array of 16-byte rows instead of a map of strings.
pub fn unit_key(unit: &str) -> Option<u64> {
    let mut key = 0u64;
    let mut count = 0;
    for c in unit.bytes().filter(|c| *c != b' ') {
        let value = match c {
            b'0'..=b'9' => c - b'0' + 1,
            b'A'..=b'Z' => c - b'A' + 11,
            _ => return None,
        };
        key = key << 6 | value as u64;
        count += 1;
    }
    (count <= 7).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(s: &str) -> Option<Postcode> {
        Some(Postcode::Unit(s.into()))
    }

    #[test]
    fn any_case_and_spacing_normalise_to_one_form() {
        for text in ["ll111aa", "LL11  1AA", " LL11 1AA ", "ll11\t1aa", "L L111AA"] {
            assert_eq!(Postcode::parse(text), unit("LL11 1AA"), "{text}");
        }
        assert_eq!(Postcode::parse("sw1a1aa"), unit("SW1A 1AA"));
        assert_eq!(Postcode::parse("W1A 1AA"), unit("W1A 1AA"));
        assert_eq!(Postcode::parse("m11aa"), unit("M1 1AA"));
    }

    #[test]
    fn sectors_and_outcodes() {
        assert_eq!(Postcode::parse("ll11 1"), Some(Postcode::Sector("LL11 1".into())));
        assert_eq!(Postcode::parse("LL111"), Some(Postcode::Sector("LL11 1".into())));
        assert_eq!(
            Postcode::parse("LL11 1A"),
            Some(Postcode::Sector("LL11 1".into()))
        );
        assert_eq!(Postcode::parse("ll11"), Some(Postcode::Outcode("LL11".into())));
        assert_eq!(Postcode::parse("M11"), Some(Postcode::Outcode("M11".into())));
        assert_eq!(Postcode::parse("M1 1"), Some(Postcode::Sector("M1 1".into())));
        let p = Postcode::parse("LL11 1AA").unwrap();
        assert_eq!((p.outcode(), p.sector()), ("LL11", Some("LL11 1")));
    }

    #[test]
    fn not_postcodes() {
        for text in [
            "",
            "  ",
            "Wrexham",
            "LL",
            "11AA",
            "LL11 1AAA",
            "LL11-1AA",
            "ÅL11 1AA",
            "LLL1 1AA",
            "L",
            "1",
            "LL11 A",
            "LL11 1 AA X",
        ] {
            assert_eq!(Postcode::parse(text), None, "{text}");
        }
    }

    #[test]
    fn unit_keys_are_distinct_and_ignore_spacing() {
        assert_eq!(unit_key("LL11 1AA"), unit_key("LL111AA"));
        assert_ne!(unit_key("M1 1AA"), unit_key("M11 1AA"));
        assert!(unit_key("ll11 1aa").is_none());
        assert!(unit_key("AB12 3CDE").is_none());
    }
}
