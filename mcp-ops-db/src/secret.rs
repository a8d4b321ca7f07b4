//! Generated role passwords, held as the one secret type of mcp-ops,
//! [`mcp_ops_core::SecretValue`].

use mcp_ops_core::SecretValue;
use zeroize::Zeroizing;

/// A random password of `bytes` random bytes, URL-safe base64 encoded (no padding), so it
/// needs no quoting in a connection string. 24 bytes give 32 characters and 192 bits of
/// entropy.
///
/// # Errors
/// [`crate::DbError::Io`] when the operating system's random source fails.
pub(crate) fn generate_password(bytes: usize) -> crate::Result<SecretValue> {
    use base64::Engine as _;
    let mut raw = Zeroizing::new(vec![0u8; bytes]);
    getrandom::fill(&mut raw).map_err(|e| crate::DbError::Io {
        context: "reading the OS random source".to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let text = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&*raw));
    Ok(SecretValue::new(text.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn generated_passwords_differ_have_the_expected_length_and_never_print() {
        let a = generate_password(24).unwrap();
        let b = generate_password(24).unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        let text = a.expose_str().unwrap().to_owned();
        assert!(!format!("{a:?} {a}").contains(&text));
        assert!(
            text.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
