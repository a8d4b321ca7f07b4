//! Age encryption of Secret values in configuration backups.
//!
//! With [`SecretEncryption::Age`], each Secret of an export keeps its metadata and type; its
//! `data` (and `stringData`, base64-encoded) becomes the JSON map `key → base64 value`,
//! encrypted with age to every recipient (X25519 public keys `age1…`) and ASCII-armored into
//! the annotation [`DATA_AGE`]. The key names stay listed in
//! [`DATA_OMITTED`](super::DATA_OMITTED). A restore decrypts the map with an age X25519
//! identity (`AGE-SECRET-KEY-1…`, held as a [`SecretValue`]) and checks that its keys are the
//! listed ones.
//!
//! No error here repeats a key, an identity or a value: a bad recipient is named by its
//! position, a bad identity by its line, and a Secret by its name. SSH recipients are not
//! accepted (the age crate would need its `ssh` feature and an RSA stack).

use std::fmt;
use std::io::{Read as _, Write as _};
use std::str::FromStr;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::ExposeSecret as _;
use age::x25519::{Identity, Recipient};
use mcp_ops_core::types::SecretValue;
use mcp_ops_core::{Error, Result};
use serde_json::{Map, Value};

use crate::error::malformed;

/// The annotation holding a Secret's age-encrypted, ASCII-armored data.
pub const DATA_AGE: &str = "mcp-ops.io/data-age";

const RECIPIENT: &str = "age recipient";
const IDENTITY: &str = "age identity";
const BACKUP: &str = "configuration backup";

/// What a configuration export does with Secret values.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SecretEncryption {
    /// Values are left out: only the key names are kept (the default).
    #[default]
    None,
    /// Values are encrypted with age to these recipients.
    Age(AgeRecipients),
}

impl SecretEncryption {
    /// The recipients' public keys (`age1…`); empty for [`SecretEncryption::None`].
    pub fn public_keys(&self) -> Vec<String> {
        match self {
            SecretEncryption::None => Vec::new(),
            SecretEncryption::Age(r) => r.public_keys(),
        }
    }
}

/// One or more age X25519 recipients (public keys `age1…`), validated and without duplicates.
#[derive(Clone, PartialEq, Eq)]
pub struct AgeRecipients(Vec<Recipient>);

impl AgeRecipients {
    /// Parses public keys (surrounding whitespace is ignored; a repeated key counts once).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `age recipient`) when there is none, or when one is
    /// empty, an age secret key, an SSH key or not an age X25519 public key. The error names
    /// the recipient by its position and never repeats it (it may be a secret key pasted by
    /// mistake).
    ///
    /// ```
    /// use mcp_ops_k8s::config_backup::{AgeKeyPair, AgeRecipients};
    ///
    /// let pair = AgeKeyPair::generate();
    /// let recipients = AgeRecipients::parse([pair.public_key.as_str(), pair.public_key.as_str()])?;
    /// assert_eq!(recipients, pair.recipients()?); // a repeated key counts once
    ///
    /// // A secret key pasted by mistake is refused, and not repeated in the error.
    /// let secret = pair.identity.expose_str()?.to_owned();
    /// let err = AgeRecipients::parse([secret.as_str()]).unwrap_err();
    /// assert!(!err.to_string().contains(&secret));
    /// # Ok::<(), mcp_ops_core::Error>(())
    /// ```
    pub fn parse<I, S>(keys: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out: Vec<Recipient> = Vec::new();
        for (i, key) in keys.into_iter().enumerate() {
            let r = parse_recipient(key.as_ref(), i + 1)?;
            if !out.contains(&r) {
                out.push(r);
            }
        }
        if out.is_empty() {
            return Err(Error::invalid(
                RECIPIENT,
                "at least one recipient is needed",
            ));
        }
        Ok(Self(out))
    }

    /// The public keys (`age1…`), in the order given.
    pub fn public_keys(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// How many recipients there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: there is at least one recipient.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for AgeRecipients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AgeRecipients")
            .field(&self.public_keys())
            .finish()
    }
}

/// Parses a list separated by commas and/or whitespace (`age1…,age1…`).
impl FromStr for AgeRecipients {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let keys: Vec<&str> = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .collect();
        if keys.is_empty() && s.contains(',') {
            return Err(Error::invalid(RECIPIENT, "recipient 1 is empty"));
        }
        Self::parse(keys)
    }
}

fn parse_recipient(key: &str, n: usize) -> Result<Recipient> {
    let key = key.trim();
    let bad = |why: &str| Error::invalid(RECIPIENT, format!("recipient {n} {why}"));
    if key.is_empty() {
        return Err(bad("is empty"));
    }
    if key.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
        return Err(bad(
            "is an age secret key (an identity): give its public key (age1…) instead, \
             and keep the secret key out of command lines and files",
        ));
    }
    if key.starts_with("ssh-") || key.starts_with("ecdsa-") {
        return Err(bad(
            "is an SSH key, which is not supported: use an age X25519 public key (age1…)",
        ));
    }
    Recipient::from_str(key)
        .map_err(|e| bad(&format!("is not an age X25519 public key (age1…): {e}")))
}

/// A fresh age X25519 key pair, for tests and for setting up backups.
#[derive(Debug, Clone)]
pub struct AgeKeyPair {
    /// The secret key (`AGE-SECRET-KEY-1…`), for restores.
    pub identity: SecretValue,
    /// The public key (`age1…`), for backups.
    pub public_key: String,
}

impl AgeKeyPair {
    /// Generates a key pair from the operating system's random source.
    pub fn generate() -> Self {
        let identity = Identity::generate();
        Self {
            identity: SecretValue::from_str_value(identity.to_string().expose_secret()),
            public_key: identity.to_public().to_string(),
        }
    }

    /// The public key as recipients of a backup.
    ///
    /// # Errors
    /// None in practice: the key was generated here.
    pub fn recipients(&self) -> Result<AgeRecipients> {
        AgeRecipients::parse([&self.public_key])
    }
}

/// Parses an identity: one secret key, or an age identity file (`#` comments and blank lines
/// ignored, one or more keys). The error names the line, never its content.
pub(crate) fn parse_identities(identity: &SecretValue) -> Result<Vec<Identity>> {
    let text = identity
        .expose_str()
        .map_err(|_| Error::invalid(IDENTITY, "not UTF-8 text (content withheld)"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| Error::invalid(IDENTITY, format!("line {} {why}", i + 1));
        if line.starts_with("age1") {
            return Err(bad(
                "is a public key (a recipient): give the secret key (AGE-SECRET-KEY-1…)",
            ));
        }
        let id = Identity::from_str(line).map_err(|e| {
            bad(&format!(
                "is not an age X25519 secret key (AGE-SECRET-KEY-1…): {e} (content withheld)"
            ))
        })?;
        out.push(id);
    }
    if out.is_empty() {
        return Err(Error::invalid(IDENTITY, "no secret key given"));
    }
    Ok(out)
}

/// The values of a Secret (`data`, and `stringData` base64-encoded, which wins as on the
/// server), as the JSON map `key → base64`, kept in a zeroized buffer.
fn secret_values(obj: &Value) -> Result<SecretValue> {
    let mut map = Map::new();
    if let Some(Value::Object(data)) = obj.get("data") {
        for (k, v) in data {
            let v = v
                .as_str()
                .ok_or_else(|| malformed(format!("Secret data key {k} is not a string")))?;
            map.insert(k.clone(), Value::String(v.to_owned()));
        }
    }
    if let Some(Value::Object(data)) = obj.get("stringData") {
        for (k, v) in data {
            let v = v
                .as_str()
                .ok_or_else(|| malformed(format!("Secret stringData key {k} is not a string")))?;
            let b64 = SecretValue::from_str_value(v).to_base64();
            let b64 = b64.expose_str().map_err(|_| malformed("base64 is text"))?;
            map.insert(k.clone(), Value::String(b64.to_owned()));
        }
    }
    let json = serde_json::to_vec(&Value::Object(map))
        .map_err(|e| malformed(format!("encoding Secret data: {e}")))?;
    Ok(SecretValue::new(json))
}

/// Encrypts the values of Secret `obj` (before they are stripped) to `recipients` and returns
/// the ASCII-armored age file.
pub(crate) fn encrypt_values(obj: &Value, recipients: &AgeRecipients) -> Result<String> {
    let plain = secret_values(obj)?;
    let failed = |e: &dyn fmt::Display| malformed(format!("age encryption failed: {e}"));
    let encryptor =
        age::Encryptor::with_recipients(recipients.0.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| failed(&e))?;
    let mut out = Vec::with_capacity(plain.len() * 2 + 512);
    let armored =
        ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(|e| failed(&e))?;
    let mut writer = encryptor.wrap_output(armored).map_err(|e| failed(&e))?;
    writer.write_all(plain.expose()).map_err(|e| failed(&e))?;
    writer
        .finish()
        .and_then(ArmoredWriter::finish)
        .map_err(|e| failed(&e))?;
    String::from_utf8(out).map_err(|e| failed(&e))
}

/// Whether `blob` is an ASCII-armored age file whose header parses (no key needed).
pub(crate) fn well_formed(blob: &str) -> bool {
    age::Decryptor::new_buffered(ArmoredReader::new(blob.as_bytes())).is_ok()
}

/// Decrypts the [`DATA_AGE`] blob of Secret `doc` (`label` is `secret/NAME`) with
/// `identities` and returns its data, whose keys must be those listed in `listed`.
///
/// # Errors
/// [`Error::InvalidInput`] with field `age identity` when no identity is a recipient of the
/// blob; field `configuration backup` when the blob or its content is damaged.
pub(crate) fn decrypt_values(
    blob: &str,
    identities: &[Identity],
    label: &str,
    listed: &str,
) -> Result<Map<String, Value>> {
    let damaged = |why: &str| Error::invalid(BACKUP, format!("{label}: {why}; nothing restored"));
    let decryptor = age::Decryptor::new_buffered(ArmoredReader::new(blob.as_bytes()))
        .map_err(|_| damaged("the encrypted data is not an ASCII-armored age file"))?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => Error::invalid(
                IDENTITY,
                format!(
                    "{label}: the identity given is not a recipient of its encrypted data; \
                     nothing restored"
                ),
            ),
            _ => damaged("the encrypted data cannot be decrypted (damaged or altered)"),
        })?;
    let mut plain = Vec::with_capacity(blob.len());
    let read = reader.read_to_end(&mut plain);
    let plain = SecretValue::new(plain);
    read.map_err(|_| damaged("the encrypted data cannot be decrypted (damaged or altered)"))?;
    let map: Map<String, Value> = serde_json::from_slice(plain.expose())
        .map_err(|_| damaged("the decrypted data is not a JSON map"))?;
    if !map.values().all(|v| v.as_str().is_some_and(is_base64)) {
        return Err(damaged("a decrypted value is not base64 text"));
    }
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected: Vec<&str> = listed.split(',').filter(|k| !k.is_empty()).collect();
    expected.sort_unstable();
    if keys != expected {
        return Err(damaged(
            "the decrypted keys are not the ones listed in mcp-ops.io/data-omitted",
        ));
    }
    Ok(map)
}

fn is_base64(s: &str) -> bool {
    SecretValue::from_base64(s).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_with_two_recipients() {
        let (a, b) = (AgeKeyPair::generate(), AgeKeyPair::generate());
        let r = AgeRecipients::parse([&a.public_key, &b.public_key, &a.public_key]).unwrap();
        assert_eq!(
            r.public_keys(),
            vec![a.public_key.clone(), b.public_key.clone()]
        );
        let secret =
            json!({"kind": "Secret", "data": {"k": "c2VjcmV0"}, "stringData": {"p": "plain"}});
        let blob = encrypt_values(&secret, &r).unwrap();
        assert!(blob.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(well_formed(&blob));
        assert!(!blob.contains("c2VjcmV0") && !blob.contains("plain"));
        for kp in [&a, &b] {
            let ids = parse_identities(&kp.identity).unwrap();
            let map = decrypt_values(&blob, &ids, "secret/s", "k,p").unwrap();
            assert_eq!(
                Value::Object(map),
                json!({"k": "c2VjcmV0", "p": "cGxhaW4="})
            );
        }
        let other = parse_identities(&AgeKeyPair::generate().identity).unwrap();
        let e = decrypt_values(&blob, &other, "secret/s", "k,p").unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { field: IDENTITY, reason } if reason.contains("secret/s")),
            "{e}"
        );
        let ids = parse_identities(&a.identity).unwrap();
        let e = decrypt_values(&blob, &ids, "secret/s", "k").unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { field: BACKUP, .. }),
            "{e}"
        );
    }

    #[test]
    fn identities_are_checked_without_showing_them() {
        let kp = AgeKeyPair::generate();
        let file = format!(
            "# created: now\n# public key: {}\n\n{}\n",
            kp.public_key,
            kp.identity.expose_str().unwrap()
        );
        assert_eq!(
            parse_identities(&SecretValue::from_str_value(file))
                .unwrap()
                .len(),
            1
        );
        // A different last character breaks the bech32 checksum.
        let key = kp.identity.expose_str().unwrap();
        let last = if key.ends_with('Q') { "P" } else { "Q" };
        let mangled = format!("{}{last}", &key[..key.len() - 1]);
        for bad in [
            "",
            "# only a comment",
            "garbage-secret-text",
            kp.public_key.as_str(),
            mangled.as_str(),
        ] {
            let e = parse_identities(&SecretValue::from_str_value(bad))
                .err()
                .unwrap();
            assert!(
                matches!(
                    e,
                    Error::InvalidInput {
                        field: IDENTITY,
                        ..
                    }
                ),
                "{e}"
            );
            if !bad.is_empty() && !bad.starts_with('#') {
                assert!(!e.to_string().contains(bad), "{e}");
            }
        }
        assert!(parse_identities(&SecretValue::new(vec![0xff, 0xfe])).is_err());
    }
}
