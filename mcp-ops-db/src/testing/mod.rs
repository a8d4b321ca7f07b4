//! Test harness (feature `testing`): ephemeral PostgreSQL and Redis servers.
//!
//! [`TestPostgres::start`] runs `initdb` in a temporary directory and starts `postgres` on a
//! free TCP port of 127.0.0.1 with a private socket directory, `fsync=off` and
//! `shared_preload_libraries = pg_stat_statements`; as root it runs them as the `postgres`
//! user (PostgreSQL refuses root). [`TestPostgres::start_tls`] starts one that accepts TCP
//! only with TLS, with a server certificate from a throw-away CA (rcgen).
//! [`TestRedis::start`] starts `redis-server` without
//! persistence. [`SmallDisk`] mounts a size-limited tmpfs for full-disk tests. All stop their server (or unmount) when dropped, also while a test panics. When a
//! program is missing, they fail with the command that installs it.
//!
//! `MCP_OPS_TEST_DATABASE_URL` / `MCP_OPS_TEST_REDIS_URL` make `start()` use an existing
//! server instead (tests then create uniquely named databases on it).

mod certs;
mod postgres;
mod process;
mod redis;
mod small_disk;

pub use self::postgres::TestPostgres;
pub use self::redis::TestRedis;
pub use self::small_disk::SmallDisk;

/// Environment variable naming an existing PostgreSQL server for tests (a superuser URL).
pub const TEST_DATABASE_URL: &str = "MCP_OPS_TEST_DATABASE_URL";
/// Environment variable naming an existing Redis server for tests.
pub const TEST_REDIS_URL: &str = "MCP_OPS_TEST_REDIS_URL";
