//! Opaque page cursors.
//!
//! A cursor names the snapshot it was issued from, the position in that snapshot's result order,
//! and a fingerprint of the search, plus the instant an occurrence search was anchored at (so
//! paging "from now" does not drift). Results are in a total order within one snapshot, so walking
//! the pages returns every item exactly once. When an import has swapped the snapshot, the order may
//! have changed, so an old cursor is refused with 410 rather than silently skipping or repeating
//! items.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub snapshot: u64,
    pub offset: usize,
    pub fingerprint: u64,
    pub anchor: Option<Timestamp>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let anchor = self.anchor.map(|t| t.as_second().to_string()).unwrap_or_default();
        let text = format!(
            "1.{:x}.{:x}.{:x}.{anchor}",
            self.snapshot, self.offset, self.fingerprint
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut parts = text.split('.');
        if parts.next()? != "1" {
            return None;
        }
        let snapshot = u64::from_str_radix(parts.next()?, 16).ok()?;
        let offset = usize::from_str_radix(parts.next()?, 16).ok()?;
        let fingerprint = u64::from_str_radix(parts.next()?, 16).ok()?;
        let anchor = match parts.next()? {
            "" => None,
            seconds => Some(Timestamp::from_second(seconds.parse().ok()?).ok()?),
        };
        parts.next().is_none().then_some(Cursor {
            snapshot,
            offset,
            fingerprint,
            anchor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let c = Cursor {
            snapshot: 0xdead_beef,
            offset: 150,
            fingerprint: u64::MAX,
            anchor: Some(Timestamp::from_second(1_800_000_000).unwrap()),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        let c = Cursor { anchor: None, ..c };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in [
            "",
            "abc",
            "!!!",
            &URL_SAFE_NO_PAD.encode("2.1.1.1."),
            &URL_SAFE_NO_PAD.encode("1.1.1.1.x"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
