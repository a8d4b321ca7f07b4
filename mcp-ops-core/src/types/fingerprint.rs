//! Keyed fingerprints of secret bytes: HMAC-SHA256 (RFC 2104) under a key drawn at random
//! once per process.
//!
//! A plain hash prefix of a human-chosen password can be brute-forced offline by anyone who
//! reads a journal; a keyed one cannot, because the key never leaves the process. The price:
//! fingerprints compare values within one process run only. The same value has another
//! fingerprint in the next run, so a fingerprint from an old journal or report cannot be
//! matched against a new one.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// SHA-256's block size in bytes.
const BLOCK: usize = 64;
/// Hex characters kept: 48 bits, enough to tell versions apart in a journal.
const LEN: usize = 12;

/// The first 12 hex characters of HMAC-SHA256(process key, `bytes`).
pub(crate) fn fingerprint(bytes: &[u8]) -> String {
    let mut hex = hex::encode(hmac_sha256(process_key(), bytes));
    hex.truncate(LEN);
    hex
}

/// The key of this process: 32 bytes from the operating system's CSPRNG, drawn on first use.
fn process_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            // Practically unreachable; std's hash keys are also per-process random, and every
            // `RandomState` differs from the one before.
            for chunk in key.chunks_exact_mut(8) {
                let mut h = RandomState::new().build_hasher();
                h.write(b"mcp-ops fingerprint key");
                chunk.copy_from_slice(&h.finish().to_le_bytes());
            }
        }
        key
    })
}

/// HMAC-SHA256 of `msg` under `key` (RFC 2104: H((K ^ opad) || H((K ^ ipad) || msg))).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut block = Zeroizing::new([0u8; BLOCK]);
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| -> Zeroizing<[u8; BLOCK]> {
        let mut p = Zeroizing::new([0u8; BLOCK]);
        for (p, k) in p.iter_mut().zip(block.iter()) {
            *p = k ^ byte;
        }
        p
    };
    let inner = Sha256::new()
        .chain_update(pad(0x36).as_slice())
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c).as_slice())
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2: a key shorter than the block.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn fingerprints_are_stable_within_the_process_and_keyed() {
        assert_eq!(fingerprint(b"abc"), fingerprint(b"abc"));
        assert_eq!(fingerprint(b"abc").len(), LEN);
        assert!(fingerprint(b"abc").chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(fingerprint(b"abc"), fingerprint(b"abd"));
        // sha256("abc") starts ba7816bf8f01: the fingerprint is not that prefix.
        assert_ne!(fingerprint(b"abc"), "ba7816bf8f01");
        assert_eq!(process_key(), process_key());
        assert_ne!(process_key(), &[0u8; 32]);
    }
}
