//! The Kubernetes protobuf envelope: `k8s\0` then a `runtime.Unknown` holding the object's
//! `apiVersion` and `kind` (field 1, a `TypeMeta`) and its message bytes (field 2).

use super::error::ProtobufError;
use super::wire::{Fields, WireValue};

/// The 4 bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// The contents of the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unknown<'a> {
    /// `typeMeta.apiVersion`.
    pub api_version: String,
    /// `typeMeta.kind`.
    pub kind: String,
    /// The object's message bytes.
    pub raw: &'a [u8],
    /// `contentEncoding` (empty: none).
    pub content_encoding: String,
    /// `contentType` (empty or `application/vnd.kubernetes.protobuf`).
    pub content_type: String,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Splits a body into its envelope fields.
///
/// # Errors
///
/// [`ProtobufError::NoMagic`] without the magic bytes, [`ProtobufError::Malformed`] for broken
/// wire data.
pub fn open(body: &[u8]) -> Result<Unknown<'_>, ProtobufError> {
    let rest = body.strip_prefix(MAGIC).ok_or(ProtobufError::NoMagic)?;
    let mut u = Unknown::default();
    for item in Fields::new(rest) {
        match item? {
            (1, WireValue::Len(type_meta)) => {
                for tm in Fields::new(type_meta) {
                    match tm? {
                        (1, WireValue::Len(v)) => u.api_version = text(v),
                        (2, WireValue::Len(k)) => u.kind = text(k),
                        _ => {}
                    }
                }
            }
            (2, WireValue::Len(raw)) => u.raw = raw,
            (3, WireValue::Len(e)) => u.content_encoding = text(e),
            (4, WireValue::Len(t)) => u.content_type = text(t),
            _ => {}
        }
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn opens_an_envelope() {
        let mut b = MAGIC.to_vec();
        b.extend([0x0a, 12, 0x0a, 2, b'v', b'1', 0x12, 6]);
        b.extend(b"Secret");
        b.extend([0x12, 2, 0x0a, 0, 0x1a, 0, 0x22, 0]);
        let u = open(&b).unwrap();
        assert_eq!((u.api_version.as_str(), u.kind.as_str()), ("v1", "Secret"));
        assert_eq!(u.raw, &[0x0a, 0]);
        assert!(u.content_encoding.is_empty());
        assert_eq!(open(b"{}"), Err(ProtobufError::NoMagic));
        assert!(open(b"k8s\0\x0a\x05").is_err());
    }
}
