//! The database backend's constructors in one `use`, next to core's prelude:
//!
//! ```
//! use mcp_ops_core::prelude::*;
//! use mcp_ops_db::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let backends = DbBackends::from_urls(None, Some("redis://127.0.0.1:6379"))?
//!     .install(Backends::new())?;
//! assert_eq!(backends.health.cache.backend(), "mcp-ops-db");
//! # Ok(()) }
//! ```

pub use crate::{
    DbBackends, DbError, DbHealthCheck, LocalDirStore, PgBackend, PgBackups, PgConfig, PgOptions,
    PgRoleRotator, RedisBackend, RedisConfig,
};
