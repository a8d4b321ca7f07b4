//! [`StoredEntry`]: one stored line or row as read back, before any judgement.

use super::canonical::content_hash;
use super::record::AuditRecord;

/// One stored line or row as read back, before any judgement.
// Nearly every entry is a record: boxing it would only add an allocation per entry.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredEntry {
    /// It decodes as a record.
    Record {
        /// The record as stored.
        record: AuditRecord,
        /// The hash its stored content gives (differs from `record.hash` when it was edited).
        computed: String,
    },
    /// It does not decode as a record.
    Unreadable {
        /// Its `seq` when that much could be read.
        seq: Option<u64>,
        /// Why, without quoting the content.
        why: String,
    },
}

impl StoredEntry {
    /// Reads one stored JSON text; never fails, an undecodable text is
    /// [`StoredEntry::Unreadable`]. The hash is computed over the stored JSON itself, so a
    /// field a newer build added is covered too.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                return StoredEntry::Unreadable {
                    seq: None,
                    why: format!("not JSON (line {} column {})", e.line(), e.column()),
                };
            }
        };
        let seq = value.get("seq").and_then(serde_json::Value::as_u64);
        let computed = content_hash(&value);
        match serde_json::from_value::<AuditRecord>(value) {
            Ok(record) => StoredEntry::Record { record, computed },
            Err(_) => StoredEntry::Unreadable {
                seq,
                why: "JSON, but not an audit record".to_owned(),
            },
        }
    }

    /// A record held in memory (its hash computed from its fields).
    #[must_use]
    pub fn from_record(record: AuditRecord) -> Self {
        match record.computed_hash() {
            Ok(computed) => StoredEntry::Record { record, computed },
            Err(e) => StoredEntry::Unreadable {
                seq: Some(record.seq),
                why: e.to_string(),
            },
        }
    }
}
