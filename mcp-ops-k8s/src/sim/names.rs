//! Deterministic generated names, uids and hashes.

/// The alphabet Kubernetes uses for generated suffixes (no vowels, no confusable digits).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A 5-character suffix for `generateName` and pod names, derived from `seq`.
pub fn suffix(seq: u64) -> String {
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0005_DEEC_E66D;
    (0..5)
        .map(|_| {
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            let i = usize::try_from(x % ALPHANUMS.len() as u64).unwrap_or(0);
            char::from(ALPHANUMS[i])
        })
        .collect()
}

/// A UUID-shaped uid derived from `seq`.
pub fn uid(seq: u64) -> String {
    let a = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = a.rotate_left(17) ^ 0xC2B2_AE3D_27D4_EB4F;
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 52) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// FNV-1a 32-bit hash.
pub fn fnv32a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// `pod-template-hash` style value: the hash's decimal digits mapped onto the safe alphabet,
/// as `rand.SafeEncodeString` does.
pub fn safe_hash(data: &[u8]) -> String {
    fnv32a(data)
        .to_string()
        .bytes()
        .map(|b| char::from(ALPHANUMS[usize::from(b) % ALPHANUMS.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_distinct() {
        assert_eq!(suffix(1), suffix(1));
        assert_ne!(suffix(1), suffix(2));
        assert_eq!(suffix(7).len(), 5);
        assert_eq!(uid(3).len(), 36);
        assert_ne!(uid(3), uid(4));
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert!(safe_hash(b"x").bytes().all(|b| ALPHANUMS.contains(&b)));
    }
}
