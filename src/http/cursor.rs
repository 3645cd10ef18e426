//! Opaque page cursors.
//!
//! A cursor names the snapshot it was issued from, the position in that snapshot's result order,
//! and a fingerprint of the search, plus the instant an occurrence search was anchored at (so
//! paging "from now" does not drift). Results are in a total order within one snapshot, so walking
//! the pages returns every item exactly once. When an import has swapped the snapshot, the order may
//! have changed, so an old cursor is refused with 410 rather than silently skipping or repeating
//! items.

use std::ops::RangeInclusive;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jiff::Timestamp;

/// The years an instant taken from a client may fall in (`from`, a cursor's anchor): wide enough
/// for any real question, and far enough inside jiff's range that adding a window of days can
/// never overflow.
pub const YEARS: RangeInclusive<i16> = 1900..=2200;

/// The furthest page offset a cursor may carry. No result list comes near it (a page is at most
/// 500 results and a snapshot a few hundred thousand sessions), and offsets below it leave room
/// for `offset + limit` in any integer type, so a tampered cursor cannot make the sum overflow.
pub const MAX_OFFSET: usize = 1 << 24;

/// Whether `t` is in [`YEARS`].
pub fn in_years(t: Timestamp) -> bool {
    YEARS.contains(&t.to_zoned(jiff::tz::TimeZone::UTC).year())
}

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

    /// The cursor `text` encodes, or `None` when it is not one this API issued: not base64, not
    /// the format, or a field out of range (an offset over [`MAX_OFFSET`], an anchor outside
    /// [`YEARS`]): every field is range-checked here, so no handler does arithmetic on a value
    /// a client chose beyond what we would have issued.
    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut parts = text.split('.');
        if parts.next()? != "1" {
            return None;
        }
        let snapshot = u64::from_str_radix(parts.next()?, 16).ok()?;
        let offset = usize::from_str_radix(parts.next()?, 16)
            .ok()
            .filter(|&n| n <= MAX_OFFSET)?;
        let fingerprint = u64::from_str_radix(parts.next()?, 16).ok()?;
        let anchor = match parts.next()? {
            "" => None,
            seconds => Some(
                Timestamp::from_second(seconds.parse().ok()?)
                    .ok()
                    .filter(|&t| in_years(t))?,
            ),
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
            // Out of range: an anchor in the year 9999, before 1900, an offset past the most.
            &URL_SAFE_NO_PAD.encode("1.1.1.1.253402300000"),
            &URL_SAFE_NO_PAD.encode("1.1.1.1.-2300000000"),
            &URL_SAFE_NO_PAD.encode(format!("1.1.{:x}.1.", MAX_OFFSET + 1)),
            &URL_SAFE_NO_PAD.encode(format!("1.1.{:x}.1.", u64::MAX)),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        /// Any text, and any text that is base64 of something cursor-shaped, decodes to a cursor
        /// whose fields are in range, or to nothing: never a panic.
        #[test]
        fn decoding_never_panics(text in ".*", fields in "1\\.[0-9a-f.x-]{0,40}") {
            for candidate in [text.clone(), URL_SAFE_NO_PAD.encode(&text), URL_SAFE_NO_PAD.encode(&fields)] {
                if let Some(c) = Cursor::decode(&candidate) {
                    proptest::prop_assert!(c.offset <= MAX_OFFSET);
                    proptest::prop_assert!(c.anchor.is_none_or(in_years));
                }
            }
        }

        /// Every cursor with fields in range survives a round trip.
        #[test]
        fn round_trips(snapshot: u64, offset in 0..=MAX_OFFSET, fingerprint: u64,
                       anchor in proptest::option::of(-2_208_988_800i64..7_258_118_400)) {
            let c = Cursor { snapshot, offset, fingerprint, anchor: anchor.map(|s| Timestamp::from_second(s).unwrap()) };
            proptest::prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
    }
}
