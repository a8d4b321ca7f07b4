//! Connection configuration from URLs and the environment (`DATABASE_URL`, `REDIS_URL`).
//!
//! Both types redact the password in `Debug`, and parse errors name the field but never
//! echo the value (it may hold a password).

use crate::{DbError, Result, SecretString};
use std::ffi::OsString;
use std::fmt;
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
/// (`host=/run/postgresql dbname=app`). TLS is not negotiated (plain TCP or Unix socket).
#[derive(Clone)]
pub struct PgConfig {
    inner: tokio_postgres::Config,
}

impl PgConfig {
    /// Parses a URL or key/value string; errors name `field`.
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] naming `field` when the string cannot be parsed or names no
    /// host.
    pub fn parse_field(field: &'static str, value: &str) -> Result<Self> {
        let inner = tokio_postgres::Config::from_str(value).map_err(|e| {
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
        Ok(Self { inner })
    }

    /// Parses a URL or key/value string (errors name `database_url`).
    ///
    /// # Errors
    /// See [`PgConfig::parse_field`].
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_field("database_url", value)
    }

    /// Reads `DATABASE_URL`.
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
        Self { inner }
    }

    /// A copy connecting as another role with another password.
    pub fn with_credentials(&self, user: &str, password: &SecretString) -> Self {
        let mut inner = self.inner.clone();
        inner.user(user);
        inner.password(password.expose());
        Self { inner }
    }

    /// A copy with a connect timeout.
    pub fn with_connect_timeout(&self, timeout: Duration) -> Self {
        let mut inner = self.inner.clone();
        inner.connect_timeout(timeout);
        Self { inner }
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

    fn host_list(&self) -> Vec<String> {
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

    fn port_list(&self) -> Vec<String> {
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

    pub(crate) fn driver(&self) -> &tokio_postgres::Config {
        &self.inner
    }

    /// libpq environment for pg_dump / pg_restore / psql. Passing credentials by
    /// environment keeps them off the command line (`ps`).
    pub(crate) fn libpq_env(&self) -> Vec<(&'static str, OsString)> {
        let mut env = vec![
            ("PGHOST", OsString::from(self.host_list().join(","))),
            ("PGPORT", OsString::from(self.port_list().join(","))),
            ("PGDATABASE", OsString::from(self.dbname())),
            ("PGSSLMODE", OsString::from("disable")),
        ];
        if let Some(user) = self.inner.get_user() {
            env.push(("PGUSER", user.into()));
        }
        if let Some(pw) = self.inner.get_password() {
            env.push((
                "PGPASSWORD",
                OsString::from(String::from_utf8_lossy(pw).into_owned()),
            ));
        }
        if let Some(t) = self.inner.get_connect_timeout() {
            env.push(("PGCONNECT_TIMEOUT", t.as_secs().max(2).to_string().into()));
        }
        env
    }
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("hosts", &self.hosts_and_ports())
            .field("dbname", &self.dbname())
            .field("user", &self.user())
            .field("password", &self.has_password().then_some("[redacted]"))
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
    /// # Errors
    /// See [`RedisConfig::parse_field`].
    pub fn parse(value: &str) -> Result<Self> {
        Self::parse_field("redis_url", value)
    }

    /// Reads `REDIS_URL`.
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
    fn libpq_env_carries_credentials_out_of_argv() {
        let c = PgConfig::parse("postgresql://app:pw@h1:5433/db").unwrap();
        let env = c.libpq_env();
        let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        assert_eq!(get("PGHOST").unwrap(), "h1");
        assert_eq!(get("PGPORT").unwrap(), "5433");
        assert_eq!(get("PGPASSWORD").unwrap(), "pw");
        assert_eq!(get("PGDATABASE").unwrap(), "db");
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
