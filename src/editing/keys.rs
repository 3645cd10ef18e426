//! API keys: `mmk_<id>.<secret>`, the id public (listed, logged, named in the audit trail), the
//! secret 256 random bits shown once and stored only as its SHA-256, compared in constant time.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const PREFIX: &str = "mmk_";

/// A new key: the token to hand over once, its id, and the hash to store.
pub struct NewKey {
    pub token: String,
    pub id: String,
    pub hash: String,
}

/// Makes a key from the operating system's randomness (via `rand`'s thread generator, seeded
/// from it and reseeded as it goes).
pub fn generate() -> NewKey {
    let mut rng = rand::rng();
    let mut id = [0u8; 6];
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut id);
    rng.fill_bytes(&mut secret);
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret);
    NewKey {
        token: format!("{PREFIX}{id}.{secret}"),
        hash: hash(&secret),
        id,
    }
}

/// The SHA-256 of a secret, in hex, as stored.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The id and secret of a token, if it is shaped like one.
pub fn split(token: &str) -> Option<(&str, &str)> {
    let rest = token.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('.')?;
    let shaped = id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !secret.is_empty();
    shaped.then_some((id, secret))
}

/// Whether `secret` is the one whose hash is `stored`, in time that does not depend on where
/// they differ.
pub fn verify(secret: &str, stored: &str) -> bool {
    hash(secret).as_bytes().ct_eq(stored.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_verifies_only_its_own_secret() {
        let key = generate();
        let (id, secret) = split(&key.token).unwrap();
        assert_eq!(id, key.id);
        assert!(verify(secret, &key.hash));
        assert!(!verify("not-it", &key.hash));
        assert!(!key.hash.contains(secret));
        let other = generate();
        assert_ne!(other.token, key.token);
        for bad in ["", "mmk_", "mmk_zz.x", "Bearer x", "mmk_0123456789ab."] {
            assert_eq!(split(bad), None, "{bad}");
        }
    }
}
