//! Dump ids and the JSON manifest stored beside each dump.

use crate::{DbError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The id of one `pg_dump` file in a [`BackupStore`](super::BackupStore): letters, digits,
/// `-`, `_` and `.`, not starting with `.`, at most 128 characters (safe as a file or object
/// name).
///
/// Not [`mcp_ops_core::backup::BackupId`], which names a backup of any backend (a dump, a
/// CronJob run, a configuration export) in the `BackupManager` API: a `DumpId` is the name
/// of a file this crate wrote, and also accepts a leading `-` that a core id refuses.
/// [`DumpId::to_backup_id`] and [`DumpId::from_backup_id`] convert between them.
///
/// ```
/// use mcp_ops_db::DumpId;
///
/// # fn main() -> mcp_ops_core::Result<()> {
/// let id = DumpId::new("app-20260101T000000Z-ab12cd34")?;
/// let core = id.to_backup_id()?; // for BackupManager callers
/// assert_eq!(DumpId::from_backup_id(&core)?, id);
/// assert!(DumpId::new("../etc/passwd").is_err());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DumpId(String);

impl DumpId {
    /// Validates an id.
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `backup_id`.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= 128
            && !id.starts_with('.')
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(id))
        } else {
            Err(DbError::invalid(
                "backup_id",
                "use 1-128 of [A-Za-z0-9._-], not starting with '.'",
            ))
        }
    }

    /// A fresh id: `<database>-<UTC time>-<random>`.
    ///
    /// # Errors
    /// When the OS random source fails.
    pub fn generate(database: &str) -> Result<Self> {
        let mut rnd = [0u8; 4];
        getrandom::fill(&mut rnd).map_err(|e| DbError::Io {
            context: "reading the OS random source".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let db: String = database
            .chars()
            .enumerate()
            .map(|(i, c)| match c {
                '-' if i > 0 => c,
                c if c.is_ascii_alphanumeric() || c == '_' => c,
                _ => '_',
            })
            .take(60)
            .collect();
        let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
        Self::new(format!("{db}-{now}-{}", hex::encode(rnd)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same id as a core [`BackupId`](mcp_ops_core::backup::BackupId).
    ///
    /// # Errors
    /// [`mcp_ops_core::Error::InvalidInput`] for an id starting with `-`, which the core
    /// id refuses.
    pub fn to_backup_id(&self) -> mcp_ops_core::Result<mcp_ops_core::backup::BackupId> {
        mcp_ops_core::backup::BackupId::new(self.as_str())
    }

    /// The dump id of a core [`BackupId`](mcp_ops_core::backup::BackupId).
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] when the id is not a valid dump id.
    pub fn from_backup_id(id: &mcp_ops_core::backup::BackupId) -> Result<Self> {
        Self::new(id.as_str())
    }
}

impl fmt::Display for DumpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for DumpId {
    type Error = DbError;
    fn try_from(s: String) -> Result<Self> {
        Self::new(s)
    }
}

impl From<DumpId> for String {
    fn from(id: DumpId) -> String {
        id.0
    }
}

/// What is known about a completed backup; stored as JSON beside the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// The id.
    pub id: DumpId,
    /// The database dumped.
    pub database: String,
    /// Dump format (`custom`, from `pg_dump -Fc`).
    pub format: String,
    /// `server_version` of the server dumped.
    pub server_version: String,
    /// `pg_dump --version` of the program used.
    pub pg_dump_version: String,
    /// Size of the dump in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the dump, lower-case hex.
    pub sha256: String,
    /// When pg_dump started.
    pub started_at: jiff::Timestamp,
    /// When the dump was complete.
    pub finished_at: jiff::Timestamp,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn ids_are_validated() {
        assert!(DumpId::new("app-20260101T000000Z-ab12cd34").is_ok());
        for bad in ["", ".hidden", "a/b", "../x", "a b"] {
            assert!(DumpId::new(bad).is_err(), "{bad}");
        }
        let id = DumpId::generate("my db/x").unwrap();
        assert!(id.as_str().starts_with("my_db_x-"), "{id}");
        let id = DumpId::generate("-pre-maintenance").unwrap();
        assert!(id.as_str().starts_with("_pre-maintenance-"), "{id}");
    }

    #[test]
    fn manifest_round_trips_and_rejects_bad_ids() {
        let m = BackupManifest {
            id: DumpId::new("x-1").unwrap(),
            database: "app".into(),
            format: "custom".into(),
            server_version: "15.18".into(),
            pg_dump_version: "pg_dump (PostgreSQL) 15.18".into(),
            size_bytes: 3,
            sha256: "00".into(),
            started_at: jiff::Timestamp::UNIX_EPOCH,
            finished_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<BackupManifest>(&json).unwrap(), m);
        let bad = json.replace("\"x-1\"", "\"../etc\"");
        assert!(serde_json::from_str::<BackupManifest>(&bad).is_err());
    }
}
