//! Tests of [`SecretValue`](super::SecretValue) and [`SecretSpec`](super::SecretSpec).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

const PLAIN: &str = "hunter2-super-secret-password";

#[derive(Debug, Serialize)]
struct Holder {
    name: &'static str,
    password: SecretValue,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.name, self.password)
    }
}

#[test]
fn never_shows_the_secret() {
    let s = SecretValue::from_str_value(PLAIN);
    assert_eq!(format!("{s:?}"), "SecretValue([REDACTED])");
    assert_eq!(format!("{s}"), "[REDACTED]");
    assert_eq!(format!("{s:#?}"), "SecretValue([REDACTED])");
    let h = Holder {
        name: "db",
        password: s.clone(),
    };
    for text in [
        format!("{h:?}"),
        format!("{h:#?}"),
        format!("{h}"),
        serde_json::to_string(&h).unwrap(),
        serde_json::to_string_pretty(&h).unwrap(),
    ] {
        assert!(!text.contains(PLAIN), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }
    assert_eq!(
        serde_json::to_string(&h).unwrap(),
        r#"{"name":"db","password":"[REDACTED]"}"#
    );
    // The base64 form is a secret too.
    let b64 = s.to_base64();
    assert_eq!(
        format!("{b64:?} {b64}"),
        "SecretValue([REDACTED]) [REDACTED]"
    );
}

#[test]
fn expose_and_len() {
    let s = SecretValue::from_str_value(PLAIN);
    assert_eq!(s.expose(), PLAIN.as_bytes());
    assert_eq!(s.expose_str().unwrap(), PLAIN);
    assert_eq!(s.len(), PLAIN.len());
    assert!(!s.is_empty());
    assert!(SecretValue::new(Vec::new()).is_empty());
    let bin = SecretValue::new(vec![0xff, 0xfe, 0x41]);
    let e = bin.expose_str().unwrap_err().to_string();
    assert!(
        !e.contains("255") && !e.contains("ff") && !e.contains('A'),
        "{e}"
    );
}

#[test]
fn base64_round_trip() {
    let s = SecretValue::from_str_value("hello");
    assert_eq!(s.to_base64().expose_str().unwrap(), "aGVsbG8=");
    assert_eq!(SecretValue::from_base64("aGVsbG8=").unwrap(), s);
    assert_eq!(SecretValue::from_base64("aGVsbG8=\n").unwrap(), s);
    assert_eq!(
        SecretValue::from_base64("").unwrap(),
        SecretValue::new(vec![])
    );
    assert_eq!(s.to_hex().expose_str().unwrap(), "68656c6c6f");
}

#[test]
fn base64_errors_do_not_echo_input() {
    let bad = [
        "secret-with-dash!",
        "aGVsbG8",
        "Q",
        "aGVs bG8=",
        "====",
        "aGVsbG8==",
        "aG!sbG8=",
        "aGVsbG8=aGVsbG8=",
        "p@ssw0rd",
        "_-_-",
        "ümlaut==",
    ];
    for b in bad {
        let e = SecretValue::from_base64(b).unwrap_err().to_string();
        assert!(!e.contains(b.trim()), "{e} echoes {b:?}");
        assert!(e.contains("not valid base64"), "{e}");
    }
}

#[test]
fn equality_and_fingerprint() {
    let a = SecretValue::from_str_value("abc");
    assert_eq!(a, SecretValue::new(b"abc".to_vec()));
    assert_ne!(a, SecretValue::from_str_value("abd"));
    assert_ne!(a, SecretValue::from_str_value("abcd"));
    // Keyed per process: stable within the run, different for different values, and not
    // the plain SHA-256 prefix (sha256("abc") = ba7816bf8f01cfea…).
    assert_eq!(
        a.fingerprint(),
        SecretValue::from_str_value("abc").fingerprint()
    );
    assert_eq!(a.fingerprint().len(), 12);
    assert_ne!(
        a.fingerprint(),
        SecretValue::from_str_value("abd").fingerprint()
    );
    assert_ne!(a.fingerprint(), "ba7816bf8f01");
    assert!(!a.fingerprint().contains("abc"));
}

#[test]
fn generate_follows_the_spec() {
    let jwt = SecretValue::generate(&SecretSpec::JWT).unwrap();
    assert_eq!(
        jwt.len(),
        44,
        "openssl rand -base64 32 prints 44 characters"
    );
    assert_eq!(
        SecretValue::from_base64(jwt.expose_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    let db = SecretValue::generate(&SecretSpec::DB_PASSWORD).unwrap();
    assert_eq!(db.len(), 32);
    assert_ne!(jwt, SecretValue::generate(&SecretSpec::JWT).unwrap());
    let hex = SecretValue::generate(&SecretSpec {
        bytes: 16,
        encoding: SecretEncoding::Hex,
    })
    .unwrap();
    assert_eq!(hex.len(), 32);
    assert!(
        hex.expose()
            .iter()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let an = SecretValue::generate(&SecretSpec {
        bytes: 32,
        encoding: SecretEncoding::Alphanumeric,
    })
    .unwrap();
    assert_eq!(an.len(), 43, "ceil(256 / 5.954)");
    assert!(an.expose().iter().all(u8::is_ascii_alphanumeric));
}

#[test]
fn spec_validation() {
    assert!(SecretSpec::JWT.validate().is_ok());
    assert!(SecretSpec::DB_PASSWORD.validate().is_ok());
    for bytes in [0, 1, 2, 8, 10, 12, 15, 4097, 5000, 1 << 20, usize::MAX] {
        let spec = SecretSpec {
            bytes,
            encoding: SecretEncoding::Base64,
        };
        assert!(spec.validate().is_err(), "{bytes}");
        assert!(SecretValue::generate(&spec).is_err(), "{bytes}");
    }
    for bytes in [16, 4096] {
        assert!(
            SecretSpec {
                bytes,
                encoding: SecretEncoding::Hex
            }
            .validate()
            .is_ok()
        );
    }
}

proptest! {
    #[test]
    fn from_base64_never_panics(s in "\\PC*") {
        let _ = SecretValue::from_base64(&s);
    }

    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let s = SecretValue::new(bytes.clone());
        let text = s.to_base64();
        prop_assert_eq!(text.expose_str().unwrap(), STANDARD.encode(&bytes));
        prop_assert_eq!(SecretValue::from_base64(text.expose_str().unwrap()).unwrap(), s);
    }
}
