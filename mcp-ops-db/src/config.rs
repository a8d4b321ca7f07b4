//! Connection configuration from URLs and the environment (`DATABASE_URL`, `REDIS_URL`).
//!
//! Both types redact the password in `Debug`, and parse errors name the field but never
//! echo the value (it may hold a password).

use crate::pg::conninfo::RootChoice;
use crate::tls::{PGSSLMODE, PGSSLROOTCERT, RootCertificates, TlsMode};
use crate::{DbError, Result};
use mcp_ops_core::SecretValue;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::config::Host;

/// Environment variable read by [`PgConfig::from_env`].
pub const DATABASE_URL: &str = "DATABASE_URL";
/// Environment variable read by [`RedisConfig::from_env`].
pub const REDIS_URL: &str = "REDIS_URL";

/// Where and how to connect to PostgreSQL.
///
/// Accepts `postgresql://user:pass@host:port/db?…` URLs and libpq key/value strings
/// (`host=/run/postgresql dbname=app`).
///
/// # TLS
/// TLS (rustls) follows the string's `sslmode` — `disable`, `prefer` (the default, as in
/// libpq) or `require`; `verify-ca` and `verify-full` are accepted and mean `require`. Without
/// `sslmode` in the string, libpq's `PGSSLMODE` applies when set (`allow` counts as
/// `prefer`). See [`TlsMode`] for what each mode means and how it compares with libpq.
///
/// Under `prefer` and `require` the server certificate must chain to the root certificates
/// ([`RootCertificates`]): the PEM file named by the string's `sslrootcert`, else by
/// `PGSSLROOTCERT` (libpq's variable; both read when the string is parsed), or set with
/// [`PgConfig::with_root_cert`]; else the operating system's trust store (also
/// `sslrootcert=system`, as in libpq 16). The certificate must be valid for the host name or
/// IP address in the string (`host`; with `hostaddr`, `host` is the name verified). There is
/// no mode that encrypts without verifying. TLS failures are [`DbError::Tls`]. Client
/// certificates (`sslcert` / `sslkey`) are not supported.
///
/// `pg_dump`, `pg_restore` and `psql` get the same settings through libpq's environment
/// (`PGSSLMODE=verify-full` for `require`, `PGSSLROOTCERT`). Unix-socket connections never
/// use TLS (libpq ignores `sslmode` for them too).
#[derive(Clone)]
pub struct PgConfig {
    inner: tokio_postgres::Config,
    root_cert: Option<PathBuf>,
}

impl PgConfig {
    /// Parses a URL or key/value string; errors name `field`. Reads `PGSSLROOTCERT` (when the
    /// string has no `sslrootcert`) and `PGSSLMODE` (when it has no `sslmode`).
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `field` when the string cannot be parsed or names no
    /// host, or naming `PGSSLMODE` when that holds an unknown mode.
    pub fn parse_field(field: &'static str, value: &str) -> Result<Self> {
        crate::pg::conninfo::check_text(field, value)?;
        let (driver_text, tls) = crate::pg::conninfo::split_tls_options(value);
        let mut inner = tokio_postgres::Config::from_str(&driver_text).map_err(|e| {
            // Only messages that cannot contain part of the value are passed on.
            let msg = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .filter(|m| {
                    m.starts_with("invalid value for option") || m.starts_with("unknown option")
                })
                .unwrap_or_else(|| "not a valid PostgreSQL URL or connection string".to_owned());
            DbError::invalid(field, msg)
        })?;
        if inner.get_hosts().is_empty() && inner.get_hostaddrs().is_empty() {
            return Err(DbError::invalid(field, "no host given"));
        }
        if inner.get_ports().contains(&0) {
            return Err(DbError::invalid(
                field,
                "the port must be a number from 1 to 65535",
            ));
        }
        if !tls.mode_given
            && let Some(mode) = std::env::var_os(PGSSLMODE).filter(|v| !v.is_empty())
        {
            let mode = match mode.to_str() {
                Some("disable") => TlsMode::Disable,
                Some("allow" | "prefer") => TlsMode::Prefer,
                Some("require" | "verify-ca" | "verify-full") => TlsMode::Require,
                _ => {
                    return Err(DbError::invalid(
                        PGSSLMODE,
                        "expected disable, allow, prefer, require, verify-ca or verify-full",
                    ));
                }
            };
            inner.ssl_mode(mode.to_driver());
        }
        let root_cert = match tls.root {
            Some(RootChoice::File(path)) => Some(path),
            Some(RootChoice::System) => None,
            None => std::env::var_os(PGSSLROOTCERT)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        };
        Ok(Self { inner, root_cert })
    }

    /// Parses a URL or key/value string (errors name `database_url`).
    ///
    /// ```
    /// use mcp_ops_core::SecretValue;
    /// use mcp_ops_db::PgConfig;
    ///
    /// # fn main() -> mcp_ops_core::Result<()> {
    /// let config = PgConfig::parse("postgres://app:s3cret-pw@db.internal:5432/app")?;
    /// assert_eq!(config.dbname(), "app");
    /// assert!(!format!("{config:?}").contains("s3cret-pw")); // Debug redacts it
    ///
    /// // Copies for another database or role; the password is the one secret type of mcp-ops.
    /// let reader = config
    ///     .with_dbname("reports")
    ///     .with_credentials("reader", &SecretValue::from_str_value("r3ader-pw"));
    /// assert_eq!(reader.user(), Some("reader"));
    ///
    /// // A bad string is InvalidInput naming the field, without echoing the value.
    /// let err = PgConfig::parse("postgres://app:s3cret-pw@db:port/app").unwrap_err();
    /// assert!(!err.to_string().contains("s3cret-pw"), "{err}");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`PgConfig::parse_field`].
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_field("database_url", value)
    }

    /// Reads `DATABASE_URL`.
    ///
    /// ```
    /// use mcp_ops_db::{DbError, PgConfig};
    ///
    /// match PgConfig::from_env() {
    ///     Ok(config) => println!("database {}", config.dbname()),
    ///     // Unset or invalid: the error names the variable, never its value.
    ///     Err(e) => assert!(matches!(e, DbError::InvalidInput { field: "DATABASE_URL", .. })),
    /// }
    /// ```
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `DATABASE_URL` when unset or invalid.
    pub fn from_env() -> Result<Self> {
        let value = std::env::var(DATABASE_URL)
            .map_err(|_| DbError::invalid(DATABASE_URL, "not set or not UTF-8"))?;
        Self::parse_field(DATABASE_URL, &value)
    }

    /// A copy connecting to another database on the same server.
    pub fn with_dbname(&self, dbname: &str) -> Self {
        let mut inner = self.inner.clone();
        inner.dbname(dbname);
        self.with_inner(inner)
    }

    /// A copy connecting as another role with another password.
    pub fn with_credentials(&self, user: &str, password: &SecretValue) -> Self {
        let mut inner = self.inner.clone();
        inner.user(user);
        inner.password(password.expose());
        self.with_inner(inner)
    }

    /// A copy with a connect timeout.
    pub fn with_connect_timeout(&self, timeout: Duration) -> Self {
        let mut inner = self.inner.clone();
        inner.connect_timeout(timeout);
        self.with_inner(inner)
    }

    /// A copy with another [`TlsMode`] (overrides the string's `sslmode`).
    pub fn with_tls_mode(&self, mode: TlsMode) -> Self {
        let mut inner = self.inner.clone();
        inner.ssl_mode(mode.to_driver());
        self.with_inner(inner)
    }

    /// A copy trusting only the certificates in the PEM file `path` (like libpq's
    /// `sslrootcert`; overrides `PGSSLROOTCERT`). The file is read by each unpooled
    /// connection and once when a [`crate::PgBackend`] is built.
    pub fn with_root_cert(&self, path: impl Into<PathBuf>) -> Self {
        let mut copy = self.clone();
        copy.root_cert = Some(path.into());
        copy
    }

    /// A copy trusting the operating system's store (ignores `PGSSLROOTCERT`).
    pub fn with_platform_roots(&self) -> Self {
        let mut copy = self.clone();
        copy.root_cert = None;
        copy
    }

    /// The TLS mode (`sslmode`).
    pub fn tls_mode(&self) -> TlsMode {
        TlsMode::from_driver(self.inner.get_ssl_mode())
    }

    /// The root certificates server certificates are verified against.
    pub fn root_certificates(&self) -> RootCertificates {
        match &self.root_cert {
            Some(p) => RootCertificates::File(p.clone()),
            None => RootCertificates::Platform,
        }
    }

    fn with_inner(&self, inner: tokio_postgres::Config) -> Self {
        Self {
            inner,
            root_cert: self.root_cert.clone(),
        }
    }

    /// Whether every host is a Unix socket (TLS is never used over those).
    fn unix_only(&self) -> bool {
        let hosts = self.inner.get_hosts();
        !hosts.is_empty()
            && self.inner.get_hostaddrs().is_empty()
            && hosts.iter().all(|h| matches!(h, Host::Unix(_)))
    }

    /// The database name (defaults to the user name, as libpq does).
    pub fn dbname(&self) -> &str {
        self.inner
            .get_dbname()
            .or(self.inner.get_user())
            .unwrap_or("postgres")
    }

    /// The role name, if given.
    pub fn user(&self) -> Option<&str> {
        self.inner.get_user()
    }

    /// Whether a password is set.
    pub fn has_password(&self) -> bool {
        self.inner.get_password().is_some()
    }

    /// `host:port/dbname` for messages (never credentials).
    pub fn target(&self) -> String {
        format!("{}/{}", self.hosts_and_ports(), self.dbname())
    }

    pub(crate) fn host_list(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .inner
            .get_hosts()
            .iter()
            .map(|h| match h {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        if hosts.is_empty() {
            hosts = self
                .inner
                .get_hostaddrs()
                .iter()
                .map(|a| a.to_string())
                .collect();
        }
        hosts
    }

    pub(crate) fn port_list(&self) -> Vec<String> {
        let ports = self.inner.get_ports();
        if ports.is_empty() {
            vec!["5432".to_owned()]
        } else {
            ports.iter().map(u16::to_string).collect()
        }
    }

    fn hosts_and_ports(&self) -> String {
        let ports = self.port_list();
        self.host_list()
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let p = ports
                    .get(i)
                    .or(ports.first())
                    .map(String::as_str)
                    .unwrap_or("5432");
                format!("{h}:{p}")
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The configuration as parsed (for the libpq environment).
    pub(crate) fn raw(&self) -> &tokio_postgres::Config {
        &self.inner
    }

    /// The root certificate file, if one is set.
    pub(crate) fn root_cert_file(&self) -> Option<&Path> {
        self.root_cert.as_deref()
    }

    /// The driver configuration; `sslmode` is dropped for Unix sockets.
    pub(crate) fn driver(&self) -> tokio_postgres::Config {
        let mut inner = self.inner.clone();
        if self.unix_only() {
            inner.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }
        inner
    }
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("hosts", &self.hosts_and_ports())
            .field("dbname", &self.dbname())
            .field("user", &self.user())
            .field("password", &self.has_password().then_some("[redacted]"))
            .field("tls_mode", &self.tls_mode())
            .field("root_cert", &self.root_cert)
            .finish()
    }
}

/// Where to reach Redis: `redis://[:password@]host:port[/db]`, `rediss://…` or
/// `redis+unix:///path/redis.sock`.
#[derive(Clone)]
pub struct RedisConfig {
    client: redis::Client,
    has_password: bool,
}

impl RedisConfig {
    /// Parses a URL; errors name `field`.
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `field`.
    pub fn parse_field(field: &'static str, value: &str) -> Result<Self> {
        if let Some(why) =
            mcp_ops_core::url_check::url_problem(value, &["redis", "rediss", "redis+unix", "unix"])
        {
            return Err(DbError::invalid(field, why));
        }
        let client = redis::Client::open(value)
            .map_err(|_| DbError::invalid(field, "not a valid Redis URL"))?;
        let has_password = client
            .get_connection_info()
            .redis_settings()
            .password()
            .is_some();
        Ok(Self {
            client,
            has_password,
        })
    }

    /// Parses a URL (errors name `redis_url`).
    ///
    /// ```
    /// use mcp_ops_db::RedisConfig;
    ///
    /// # fn main() -> mcp_ops_core::Result<()> {
    /// let config = RedisConfig::parse("redis://:s3cret-pw@cache.internal:6379/0")?;
    /// assert_eq!(config.target(), "cache.internal:6379");
    /// assert!(!format!("{config:?}").contains("s3cret-pw")); // Debug redacts it
    /// assert!(RedisConfig::parse("http://cache.internal").is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`RedisConfig::parse_field`].
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_field("redis_url", value)
    }

    /// Reads `REDIS_URL`.
    ///
    /// ```
    /// use mcp_ops_db::{DbError, RedisConfig};
    ///
    /// match RedisConfig::from_env() {
    ///     Ok(config) => println!("cache {}", config.target()),
    ///     Err(e) => assert!(matches!(e, DbError::InvalidInput { field: "REDIS_URL", .. })),
    /// }
    /// ```
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `REDIS_URL` when unset or invalid.
    pub fn from_env() -> Result<Self> {
        let value = std::env::var(REDIS_URL)
            .map_err(|_| DbError::invalid(REDIS_URL, "not set or not UTF-8"))?;
        Self::parse_field(REDIS_URL, &value)
    }

    /// The server address for messages (never credentials).
    pub fn target(&self) -> String {
        self.client.get_connection_info().addr().to_string()
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("addr", &self.target())
            .field("password", &self.has_password.then_some("[redacted]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn pg_url_parses_and_debug_redacts_the_password() {
        let c = PgConfig::parse("postgresql://app:s3cr3t-pw@db.internal:6543/orders").unwrap();
        assert_eq!(c.dbname(), "orders");
        assert_eq!(c.user(), Some("app"));
        assert_eq!(c.target(), "db.internal:6543/orders");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cr3t-pw"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
    }

    #[test]
    fn invalid_pg_url_names_the_field_and_hides_the_value() {
        let e = PgConfig::parse_field(DATABASE_URL, "postgresql://app:pw@host:notaport/db")
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("DATABASE_URL"), "{msg}");
        assert!(!msg.contains("pw@"), "{msg}");
        assert!(matches!(
            e,
            DbError::InvalidInput {
                field: "DATABASE_URL",
                ..
            }
        ));
        let e = PgConfig::parse_field(DATABASE_URL, "dbname=x").unwrap_err();
        assert!(e.to_string().contains("no host"), "{e}");
    }

    #[test]
    fn redis_url_parses_and_redacts() {
        let c = RedisConfig::parse("redis://:topsecret@127.0.0.1:6390/2").unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("topsecret"), "{dbg}");
        assert!(dbg.contains("6390"), "{dbg}");
        let e = RedisConfig::parse_field(REDIS_URL, "http://nope:secret@x").unwrap_err();
        assert!(e.to_string().contains("REDIS_URL"));
        assert!(!e.to_string().contains("secret"));
    }
}
