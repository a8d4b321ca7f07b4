#![doc = include_str!("../README.md")]
//!
//! ## Where things are
//!
//! - [`PgBackend`]: a deadpool-pooled PostgreSQL server — [`PgBackend::health`]
//!   (pg_isready's four outcomes, version, recovery role, pool state, connections versus
//!   `max_connections`), diagnostics (active / long-running queries, pg_stat_statements
//!   with the server version's column names, index usage, pg_stats, cancel / terminate),
//!   maintenance (ANALYZE, VACUUM with progress) and role password rotation with
//!   SCRAM-SHA-256 verifiers.
//! - [`PgBackups`]: `pg_dump -Fc` streamed through SHA-256 into a [`BackupStore`]
//!   ([`LocalDirStore`] writes atomically), verification (checksum, `pg_restore --list`,
//!   test restore into a scratch database with integrity queries) and restore that
//!   refuses unverified backups.
//! - TLS with rustls for every PostgreSQL connection, the pool's and pg_dump's alike,
//!   following the URL's `sslmode` with verified certificates and host names ([`tls`],
//!   [`PgConfig`]).
//! - [`RedisBackend`]: PING typed, INFO parsed, latency, bounded time.
//! - `testing` (feature `testing`): ephemeral PostgreSQL and Redis servers for tests.
//!
//! The mcp-ops-core capability traits, in files named after the core trait files:
//! [`DbHealthCheck`] (`HealthCheck` for `Database` and `Cache` targets, [`health`]),
//! `BackupManager` for [`PgBackups`] ([`backup`]), `DatabaseMaintenance` for
//! [`PgBackend`] ([`maintenance`]) and [`PgRoleRotator`] (`SecretRotator` for role
//! passwords, [`secrets`]). [`DbError`] converts into `mcp_ops_core::Error` in one place.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod backup;
pub mod config;
mod db_backends;
pub mod dump;
mod error;
pub mod health;
pub mod maintenance;
pub mod pg;
pub mod prelude;
pub mod redis_health;
mod secret;
pub mod secrets;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod tools;

pub use config::{PgConfig, RedisConfig};
pub use db_backends::DbBackends;
pub use dump::{
    BackupManifest, BackupSink, BackupStore, DumpCheck, DumpId, LocalDirStore, PgBackups,
    PgRestoreOptions, PgRestoreReport, VerifyOptions, VerifyReport,
};
pub use error::DbError;
pub(crate) use error::Result;
pub use health::DbHealthCheck;
pub use pg::PgChangeStore;
pub use pg::{PgAuditLog, PgBackend, PgHealth, PgOptions, Readiness};
pub use redis_health::{PingOutcome, RedisBackend, RedisHealth, RedisStatus};
pub use secrets::PgRoleRotator;
pub use tls::{RootCertificates, SessionTls, TlsErrorKind, TlsMode};
