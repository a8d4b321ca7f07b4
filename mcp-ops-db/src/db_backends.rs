//! The database parts of a [`Backends`] bundle from optional URLs: PostgreSQL readiness,
//! maintenance and (with a backup directory) dumps; Redis readiness. What is not given stays
//! [`NotConfigured`](mcp_ops_core::backends::NotConfigured).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mcp_ops_core::Backends;

use crate::{
    DbHealthCheck, LocalDirStore, PgBackend, PgBackups, PgConfig, PgOptions, RedisBackend,
    RedisConfig,
};

/// PostgreSQL and Redis, each optional, ready to fill a [`Backends`]. Nothing connects until
/// the first check.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::Backends;
/// use mcp_ops_db::DbBackends;
///
/// let db = DbBackends::from_urls(Some("postgres://mcp_user@127.0.0.1:5432/mcp_db"), None)?;
/// let backends = db.install(Backends::new())?;
/// assert_eq!(backends.maintenance.backend(), "postgres");
/// assert_eq!(backends.health.database.backend(), "mcp-ops-db");
/// assert_eq!(backends.health.cache.backend(), "unconfigured"); // no Redis URL
/// assert_eq!(backends.backups.backend(), "unconfigured"); // no backup directory
///
/// // A malformed URL is refused, naming the setting and not repeating the value.
/// let err = DbBackends::from_urls(Some("mysql://root:pw@db/x"), None).unwrap_err();
/// assert!(!err.to_string().contains("pw"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DbBackends {
    database: Option<(PgConfig, PgBackend)>,
    database_names: Vec<String>,
    cache: Option<RedisConfig>,
    cache_name: String,
    backup_dir: Option<PathBuf>,
    timeout: Duration,
}

impl std::fmt::Debug for DbBackends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbBackends")
            .field("database", &self.database.as_ref().map(|(c, _)| c.target()))
            .field("database_names", &self.database_names)
            .field("cache", &self.cache.as_ref().map(RedisConfig::target))
            .field("cache_name", &self.cache_name)
            .field("backup_dir", &self.backup_dir)
            .finish_non_exhaustive()
    }
}

impl DbBackends {
    /// PostgreSQL at `database` and Redis at `cache`, when given. The database is checked
    /// under the name its URL names, the cache under `redis` (the runbook's `redis-cli ping`).
    ///
    /// # Errors
    /// [`mcp_ops_core::Error::InvalidInput`] naming `database url` or `cache url` when a URL is
    /// malformed (its value is not repeated), or when the pool cannot be built.
    pub fn from_urls(database: Option<&str>, cache: Option<&str>) -> mcp_ops_core::Result<Self> {
        let database = database
            .map(|v| PgConfig::parse_field("database url", v))
            .transpose()?
            .map(|config| {
                PgBackend::new(config.clone(), PgOptions::default()).map(|pg| (config, pg))
            })
            .transpose()?;
        let cache = cache
            .map(|v| RedisConfig::parse_field("cache url", v))
            .transpose()?;
        Ok(Self {
            database_names: database
                .iter()
                .map(|(c, _)| c.dbname().to_owned())
                .collect(),
            database,
            cache,
            cache_name: "redis".to_owned(),
            backup_dir: None,
            timeout: Duration::from_secs(5),
        })
    }

    /// The database also answers checks of `name` (the runbook's `mcp_db`, say).
    #[must_use]
    pub fn with_database_name(mut self, name: impl Into<String>) -> Self {
        self.database_names.push(name.into());
        self
    }

    /// The cache answers checks of `name` instead of `redis`.
    #[must_use]
    pub fn with_cache_name(mut self, name: impl Into<String>) -> Self {
        self.cache_name = name.into();
        self
    }

    /// Database dumps are kept in `dir` (created when missing).
    #[must_use]
    pub fn with_backup_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.backup_dir = Some(dir.into());
        self
    }

    /// `backends` with database readiness, maintenance and (with a backup directory) dumps
    /// on PostgreSQL, and cache readiness on Redis, for what is configured.
    ///
    /// # Errors
    /// [`mcp_ops_core::Error`] when the backup directory cannot be created.
    pub fn install(self, mut backends: Backends) -> mcp_ops_core::Result<Backends> {
        if let Some((config, pg)) = self.database {
            let mut check = DbHealthCheck::new(self.timeout);
            for name in &self.database_names {
                check = check.with_database(name.clone(), pg.clone());
            }
            backends = backends
                .with_database_health(Arc::new(check))
                .with_maintenance(Arc::new(pg));
            if let Some(dir) = &self.backup_dir {
                let store = LocalDirStore::new(dir)?;
                backends = backends.with_backups(Arc::new(PgBackups::new(config, Arc::new(store))));
            }
        }
        if let Some(config) = self.cache {
            let check = DbHealthCheck::new(self.timeout).with_cache(
                self.cache_name,
                RedisBackend::new(config, Duration::from_secs(2)),
            );
            backends = backends.with_cache_health(Arc::new(check));
        }
        Ok(backends)
    }
}
