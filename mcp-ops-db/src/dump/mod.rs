//! Backups: `pg_dump -Fc` streamed through SHA-256 into a [`BackupStore`], a manifest
//! beside each backup, verification (checksum, `pg_restore --list`, optional test restore
//! into a scratch database) and restore that refuses unverified backups.

mod env;
mod feed;
mod files;
mod manifest;
mod scratch;
mod service;
mod sink;
mod stale;
mod store;
mod verify;

pub use self::manifest::{BackupManifest, DumpId};
pub(crate) use self::scratch::Scratch;
pub use self::service::{DEFAULT_STALL_LIMIT, PgBackups};
pub use self::stale::STALE_AFTER;
pub use self::store::{BackupReader, BackupSink, BackupStore, LocalDirStore, SkippedFile};
pub use self::verify::{
    DumpCheck, DumpCheckResult, PgRestoreOptions, PgRestoreReport, TestRestoreReport,
    VerifyOptions, VerifyReport,
};
