//! [`SecretValue`]: secret bytes that never show in logs, and [`SecretSpec`] to generate them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{Error, Result};

const FIELD: &str = "secret";
const REDACTED: &str = "[REDACTED]";

/// Secret bytes (a password, a JWT signing key …).
///
/// The bytes are zeroed when the value is dropped; `Debug` prints `SecretValue([REDACTED])`,
/// `Display` prints `[REDACTED]`, and `Serialize` writes the string `"[REDACTED]"`. There is
/// no `Deserialize`: secrets enter through [`SecretValue::new`], [`SecretValue::from_base64`]
/// or [`SecretValue::generate`]. Equality is constant-time in the content (the length may
/// leak). Read the bytes with [`SecretValue::expose`] only where they must leave the process.
#[derive(Clone)]
pub struct SecretValue(Zeroizing<Vec<u8>>);

impl SecretValue {
    /// Takes ownership of `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Takes ownership of the text's bytes.
    pub fn from_str_value(text: impl Into<String>) -> Self {
        Self::new(text.into().into_bytes())
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as text; an error (that does not show the bytes) if it is not UTF-8.
    pub fn expose_str(&self) -> Result<&str> {
        std::str::from_utf8(&self.0)
            .map_err(|_| Error::invalid(FIELD, "value is not valid UTF-8 (content withheld)"))
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The standard base64 text of the bytes (with padding), itself a secret.
    pub fn to_base64(&self) -> SecretValue {
        // Encode into a buffer of the exact size so no reallocation leaves a copy behind.
        let len = self.len().div_ceil(3) * 4;
        let mut buf = Zeroizing::new(vec![0u8; len]);
        let n = STANDARD
            .encode_slice(self.expose(), buf.as_mut_slice())
            .unwrap_or_default();
        buf.truncate(n);
        Self(buf)
    }

    /// The lowercase hexadecimal text of the bytes, itself a secret.
    pub fn to_hex(&self) -> SecretValue {
        let mut buf = Zeroizing::new(vec![0u8; self.len() * 2]);
        // The buffer has exactly the length hex needs, so this cannot fail.
        let _ = hex::encode_to_slice(self.expose(), buf.as_mut_slice());
        Self(buf)
    }

    /// Decodes standard base64 (with padding; surrounding ASCII whitespace such as the
    /// newline `openssl rand -base64` prints is ignored). The error never shows the input.
    pub fn from_base64(text: &str) -> Result<SecretValue> {
        let text = text.trim_ascii();
        let mut buf = Zeroizing::new(vec![0u8; text.len().div_ceil(4) * 3]);
        let n = STANDARD
            .decode_slice(text, buf.as_mut_slice())
            .map_err(|_| Error::invalid(FIELD, "value is not valid base64 (content withheld)"))?;
        buf.truncate(n);
        Ok(Self(buf))
    }

    /// 12 hex digits that tell values apart in logs, journals and reports without revealing
    /// them: the start of an HMAC-SHA256 of the bytes under a key drawn at random once per
    /// process.
    ///
    /// Within one process run, equal values have equal fingerprints (so a rotation can show
    /// that the applied value is the staged one, or "changed from X to Y"). Across runs they
    /// are meaningless: the key, and so every fingerprint, changes with each run. Because the
    /// key never leaves the process, a fingerprint cannot be used to guess a human-chosen
    /// password offline, which an unkeyed hash would allow.
    pub fn fingerprint(&self) -> String {
        super::fingerprint::fingerprint(self.expose())
    }

    /// A new secret of `spec.bytes` random bytes from the operating system's CSPRNG, encoded
    /// as `spec.encoding` text (the value is the text, as `openssl rand -base64 32` prints it).
    pub fn generate(spec: &SecretSpec) -> Result<SecretValue> {
        spec.validate()?;
        match spec.encoding {
            SecretEncoding::Base64 => Ok(random_bytes(spec.bytes)?.to_base64()),
            SecretEncoding::Hex => Ok(random_bytes(spec.bytes)?.to_hex()),
            SecretEncoding::Alphanumeric => random_alphanumeric(spec.bytes),
        }
    }
}

fn random_bytes(n: usize) -> Result<SecretValue> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(buf.as_mut_slice())
        .map_err(|e| Error::unavailable("os-random", format!("getrandom failed: {e}")))?;
    Ok(SecretValue(buf))
}

/// `[A-Za-z0-9]` text carrying at least `bytes * 8` bits of entropy (log2 62 ≈ 5.954 bits per
/// character), drawn without modulo bias.
fn random_alphanumeric(bytes: usize) -> Result<SecretValue> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let chars = (bytes * 8 * 1000).div_ceil(5954);
    let mut out = Zeroizing::new(Vec::with_capacity(chars));
    while out.len() < chars {
        let pool = random_bytes(chars)?;
        for &b in pool.expose() {
            // 248 = 4 * 62: rejecting 248..=255 keeps every character equally likely.
            if b < 248 && out.len() < chars {
                out.push(ALPHABET[usize::from(b % 62)]);
            }
        }
    }
    Ok(SecretValue(out))
}

impl PartialEq for SecretValue {
    fn eq(&self, other: &Self) -> bool {
        self.expose().ct_eq(other.expose()).into()
    }
}

impl Eq for SecretValue {}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretValue({REDACTED})")
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretValue {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

/// How generated secret bytes are written as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretEncoding {
    /// Standard base64 with padding (`openssl rand -base64 N`).
    Base64,
    /// Lowercase hexadecimal (`openssl rand -hex N`).
    Hex,
    /// `[A-Za-z0-9]` characters carrying at least as much entropy as the bytes.
    Alphanumeric,
}

/// What secret to generate: how many random bytes and how to encode them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecretSpec {
    /// Random bytes (entropy) in the secret, 16..=4096.
    pub bytes: usize,
    /// The text encoding of the value.
    pub encoding: SecretEncoding,
}

impl SecretSpec {
    /// The runbook's JWT secret: `openssl rand -base64 32`.
    pub const JWT: SecretSpec = SecretSpec {
        bytes: 32,
        encoding: SecretEncoding::Base64,
    };
    /// The runbook's database password: `openssl rand -base64 24`.
    pub const DB_PASSWORD: SecretSpec = SecretSpec {
        bytes: 24,
        encoding: SecretEncoding::Base64,
    };

    /// Checks that `bytes` is in 16..=4096 (less is too weak to be a secret).
    pub fn validate(&self) -> Result<()> {
        if !(16..=4096).contains(&self.bytes) {
            return Err(Error::invalid(
                "secret spec",
                format!("bytes is {}; it must be in 16..=4096", self.bytes),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "secret_tests.rs"]
mod tests;
