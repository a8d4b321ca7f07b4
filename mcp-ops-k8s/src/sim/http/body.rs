//! Request bodies by Content-Type: JSON, or a Kubernetes protobuf envelope decoded to JSON.

use super::super::status::ApiError;
use super::protobuf;
use serde_json::Value;

/// The object in a request body. Protobuf bodies become the JSON object kubectl would have
/// sent as JSON; CBOR gets a 415, on which client-go falls back to JSON.
///
/// # Errors
///
/// 415 for protobuf of a kind the simulator cannot decode and for CBOR, 400 for bad JSON.
pub fn object(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    if protobuf::is_protobuf(content_type) {
        return protobuf::decode(body).map_err(|e| ApiError::unsupported_protobuf(&e));
    }
    if content_type.contains("cbor") || content_type.contains("protobuf") {
        return Err(ApiError::unsupported_media(content_type));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding request body: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn chooses_the_decoder_by_content_type() {
        assert_eq!(object("application/json", b"{\"a\":1}").unwrap()["a"], 1);
        assert_eq!(object("application/json", b"{").unwrap_err().code, 400);
        assert_eq!(object("application/cbor", b"\xa0").unwrap_err().code, 415);
        let e = object(protobuf::MEDIA_TYPE, b"{}").unwrap_err();
        assert_eq!((e.code, e.reason), (415, "UnsupportedMediaType"));
        let mut role = protobuf::envelope::MAGIC.to_vec();
        let api_version = b"rbac.authorization.k8s.io/v1";
        role.extend([0x0a, 2 + 28 + 2 + 4, 0x0a, 28]);
        role.extend(api_version);
        role.extend(b"\x12\x04Role");
        let e = object("application/vnd.kubernetes.protobuf; charset=x", &role).unwrap_err();
        assert_eq!(e.code, 415);
        assert!(e.message.contains("kind Role"), "{}", e.message);
        assert_eq!(e.to_status()["details"]["kind"], "Role");
    }
}
