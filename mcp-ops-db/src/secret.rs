//! [`SecretString`]: a password that never prints.

use std::fmt;
use zeroize::Zeroizing;

/// A secret (password) held in memory that is zeroized on drop and redacted in
/// `Debug`/`Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// Generates a random password of `bytes` random bytes, URL-safe base64 encoded
    /// (no padding). 24 bytes give 32 characters and 192 bits of entropy.
    ///
    /// # Errors
    /// [`crate::DbError::Io`] when the operating system's random source fails.
    pub fn generate(bytes: usize) -> crate::Result<Self> {
        use base64::Engine as _;
        let mut raw = Zeroizing::new(vec![0u8; bytes]);
        getrandom::fill(&mut raw).map_err(|e| crate::DbError::Io {
            context: "reading the OS random source".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        Ok(Self::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*raw),
        ))
    }

    /// The secret itself. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn never_prints_the_secret() {
        let s = SecretString::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn generated_secrets_differ_and_have_the_expected_length() {
        let a = SecretString::generate(24).unwrap();
        let b = SecretString::generate(24).unwrap();
        assert_eq!(a.expose().len(), 32);
        assert_ne!(a, b);
    }
}
