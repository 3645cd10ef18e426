//! The one stable hash: 64-bit FNV-1a.
//!
//! Used wherever a hash leaves the process or outlives it: meeting ids derived from feed records,
//! `ETag`s, cursor fingerprints and snapshot versions. Two builds, two Rust releases or two
//! replicas must agree on these, which std's `DefaultHasher` does not promise. FNV-1a is not
//! collision-resistant against an adversary; nothing here needs that (a collision costs a spurious
//! cache hit or a refused cursor, never a wrong answer about data the caller cannot choose).

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x100_0000_01b3;

/// FNV-1a of some text's UTF-8 bytes.
pub fn fnv1a(text: &str) -> u64 {
    Fnv1a::new().bytes(text.as_bytes()).finish()
}

/// FNV-1a fed in parts, for hashing several values as one. [`Fnv1a::field`] ends each text part
/// with a byte UTF-8 never contains, so `("ab", "c")` and `("a", "bc")` hash differently.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a::new()
    }
}

impl Fnv1a {
    pub const fn new() -> Fnv1a {
        Fnv1a(OFFSET_BASIS)
    }

    /// Feeds raw bytes.
    pub fn bytes(mut self, bytes: &[u8]) -> Fnv1a {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(PRIME);
        }
        self
    }

    /// Feeds one text field and its terminator (0xff).
    pub fn field(self, text: &str) -> Fnv1a {
        self.bytes(text.as_bytes()).bytes(&[0xff])
    }

    /// Feeds a number, little-endian, so every platform agrees.
    pub fn number(self, n: u64) -> Fnv1a {
        self.bytes(&n.to_le_bytes())
    }

    pub fn finish(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published FNV-1a 64 test vectors (Fowler, Noll and Vo's reference test suite).
    #[test]
    fn known_vectors() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("b"), 0xaf63_df4c_8601_f1a5);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn parts_hash_as_their_concatenation_and_fields_are_delimited() {
        assert_eq!(Fnv1a::new().bytes(b"foo").bytes(b"bar").finish(), fnv1a("foobar"));
        let pair = |a: &str, b: &str| Fnv1a::new().field(a).field(b).finish();
        assert_ne!(pair("ab", "c"), pair("a", "bc"));
        assert_eq!(
            Fnv1a::new().number(1).finish(),
            Fnv1a::new().bytes(&[1, 0, 0, 0, 0, 0, 0, 0]).finish()
        );
    }
}
