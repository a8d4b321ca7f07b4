//! PostgreSQL: the pooled backend ([`PgBackend`]) and its operations — readiness and server
//! status, diagnostics, maintenance and role password rotation.

mod audit_log;
mod busy;
mod change_store;
mod connect;
pub(crate) mod conninfo;
mod diagnostics;
mod maintenance;
mod readiness;
mod rotation;

pub use self::audit_log::PgAuditLog;
pub use self::change_store::{CHANGE_STORE_BUSY_PATIENCE, PgChangeStore};
pub use self::connect::connect;
pub use self::diagnostics::{
    ActiveQuery, ColumnStats, IndexUsage, SlowStatement, SlowStatementOrder,
};
pub use self::maintenance::{MaintenanceReport, MaintenanceTarget, VacuumOptions, VacuumProgress};
pub use self::readiness::{
    ConnectionUsage, PgHealth, PoolStatus, Readiness, ServerVersion, probe, probe_str, session_tls,
};
pub use self::rotation::{RotatedPassword, RotationOptions, scram_verifier};
pub use crate::tls::SessionTls;

use crate::{DbError, PgConfig, Result};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::Client;

/// Pool and timeout settings of a [`PgBackend`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PgOptions {
    /// Largest number of pooled connections (default 8).
    pub max_pool_size: usize,
    /// How long a caller waits for a pooled connection (default 5 s).
    pub wait_timeout: Duration,
    /// Connect timeout of new connections (default 5 s).
    pub connect_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            max_pool_size: 8,
            wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl PgOptions {
    /// Sets the pool size.
    pub fn with_max_pool_size(mut self, n: usize) -> Self {
        self.max_pool_size = n.max(1);
        self
    }
}

/// A PostgreSQL server reached through a deadpool connection pool.
#[derive(Clone)]
pub struct PgBackend {
    config: PgConfig,
    pool: Pool,
    options: PgOptions,
}

impl std::fmt::Debug for PgBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgBackend")
            .field("config", &self.config)
            .field("options", &self.options)
            .finish()
    }
}

impl PgBackend {
    /// Builds the pool (no connection is opened yet). Connections use TLS as `config` says
    /// (see [`PgConfig`]); the root certificates are loaded here, once.
    ///
    /// ```
    /// use mcp_ops_db::{PgBackend, PgConfig, PgOptions, Readiness};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main] async fn main() -> mcp_ops_core::Result<()> {
    /// // Nothing listens on port 1: building succeeds (the pool is lazy) …
    /// let config = PgConfig::parse("postgres://app@127.0.0.1:1/app?sslmode=disable")?;
    /// let pg = PgBackend::new(config, PgOptions::default().with_max_pool_size(4))?;
    ///
    /// // … and the health check tells pg_isready's "no response" instead of failing.
    /// let health = pg.health(Duration::from_secs(2)).await?;
    /// assert!(matches!(health.readiness, Readiness::NoResponse { .. }), "{:?}", health.readiness);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] when the pool cannot be built; [`DbError::Tls`] when TLS
    /// may be used and the root certificates cannot be loaded.
    pub fn new(config: PgConfig, options: PgOptions) -> Result<Self> {
        let config = config.with_connect_timeout(options.connect_timeout);
        let manager = Manager::from_connect(
            config.driver(),
            connect::PoolConnect::new(&config)?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_pool_size)
            .wait_timeout(Some(options.wait_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| DbError::invalid("pool", e.to_string()))?;
        Ok(Self {
            config,
            pool,
            options,
        })
    }

    /// Reads `DATABASE_URL` and builds a backend with default options.
    ///
    /// ```
    /// use mcp_ops_db::{DbError, PgBackend};
    ///
    /// match PgBackend::from_env() {
    ///     Ok(pg) => println!("database {:?}", pg.config().dbname()),
    ///     // Unset or invalid: the error names the variable, never its value.
    ///     Err(e) => assert!(matches!(e, DbError::InvalidInput { field: "DATABASE_URL", .. })),
    /// }
    /// ```
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `DATABASE_URL`.
    pub fn from_env() -> Result<Self> {
        Self::new(PgConfig::from_env()?, PgOptions::default())
    }

    /// The connection configuration.
    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// A pooled connection.
    ///
    /// # Errors
    /// [`DbError::Tls`] when a new connection fails for a TLS reason; [`DbError::Pool`] on
    /// timeout or other connection failures.
    pub async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool
            .get()
            .await
            .map_err(|e| DbError::from_pool(self.config.target(), e))
    }

    /// The pool itself, to share with other users of the same server (for instance
    /// mcp-ops-alerts' `PgEscalationStore`).
    pub fn pool(&self) -> &deadpool_postgres::Pool {
        &self.pool
    }

    /// The pool's current state.
    pub fn pool_status(&self) -> PoolStatus {
        let s = self.pool.status();
        PoolStatus {
            max_size: s.max_size,
            size: s.size,
            available: s.available,
            waiting: s.waiting,
        }
    }
}

/// Quotes an SQL identifier (`"` doubled), like `quote_ident`.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal (`'` doubled), like `quote_literal` with
/// `standard_conforming_strings` on.
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Quotes a possibly schema-qualified name `schema.table` part by part. Each part must be
/// a plain identifier (letters, digits, `_`, `$`; not starting with a digit; at most 63
/// bytes), so nothing but a name can reach the statement.
///
/// # Errors
/// [`DbError::InvalidInput`] for anything else.
pub(crate) fn quote_qualified(name: &str) -> Result<String> {
    let parts: Vec<&str> = name.split('.').collect();
    let plain = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && !p.starts_with(|c: char| c.is_ascii_digit() || c == '$')
            && p.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
    };
    if parts.len() > 2 || !parts.iter().all(|p| plain(p)) {
        return Err(DbError::invalid(
            "table",
            format!("`{name}` is not `table` or `schema.table` with plain identifiers"),
        ));
    }
    Ok(parts
        .iter()
        .map(|p| quote_ident(p))
        .collect::<Vec<_>>()
        .join("."))
}

/// Checks table names without running anything (for dry runs).
///
/// # Errors
/// [`DbError::InvalidInput`] for a malformed name or an empty list.
pub fn validate_target(target: &MaintenanceTarget) -> Result<()> {
    maintenance::sql_list(target).map(|_| ())
}

/// The server's version as `server_version_num` (e.g. 150018).
pub(crate) async fn server_version_num(client: &Client) -> Result<u32> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int4", &[])
        .await
        .map_err(DbError::query("reading server_version_num"))?;
    let n: i32 = row.get(0);
    Ok(n.max(0) as u32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn identifiers_and_literals_are_quoted() {
        assert_eq!(quote_ident(r#"we"ird"#), r#""we""ird""#);
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(
            quote_qualified("public.users").unwrap(),
            r#""public"."users""#
        );
        assert!(quote_qualified("a.b.c").is_err());
        assert!(quote_qualified("").is_err());
        assert!(quote_qualified("users; DROP TABLE users").is_err());
        assert!(quote_qualified("1abc").is_err());
        assert!(quote_qualified(r#"a"b"#).is_err());
        assert_eq!(
            quote_qualified("Événements_2").unwrap(),
            r#""Événements_2""#
        );
    }
}
