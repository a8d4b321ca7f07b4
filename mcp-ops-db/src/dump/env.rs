//! The libpq environment of pg_dump / pg_restore / psql: host, port, database, role,
//! password and TLS settings, all kept off the command line (`ps`).

use crate::PgConfig;
use crate::tls::TlsMode;
use std::ffi::OsString;
use std::path::Path;

impl PgConfig {
    /// libpq environment for pg_dump / pg_restore / psql. Passing credentials by
    /// environment keeps them off the command line (`ps`).
    pub(crate) fn libpq_env(&self) -> Vec<(&'static str, OsString)> {
        let mut env = vec![
            ("PGHOST", OsString::from(self.host_list().join(","))),
            ("PGPORT", OsString::from(self.port_list().join(","))),
            ("PGDATABASE", OsString::from(self.dbname())),
        ];
        let addrs = self.raw().get_hostaddrs();
        if !addrs.is_empty() {
            let list: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            env.push(("PGHOSTADDR", list.join(",").into()));
        }
        env.extend(self.libpq_tls_env());
        if let Some(user) = self.raw().get_user() {
            env.push(("PGUSER", user.into()));
        }
        if let Some(pw) = self.raw().get_password() {
            env.push((
                "PGPASSWORD",
                OsString::from(String::from_utf8_lossy(pw).into_owned()),
            ));
        }
        if let Some(t) = self.raw().get_connect_timeout() {
            env.push(("PGCONNECT_TIMEOUT", t.as_secs().max(2).to_string().into()));
        }
        env
    }

    /// `PGSSLMODE` / `PGSSLROOTCERT` matching [`PgConfig::tls_mode`]: `require` becomes
    /// `verify-full` (chain and host name checked, as the driver does), with the root file, or
    /// the system CA bundle file (libpq before 16 cannot use the system store by name), or
    /// `system` (libpq 16+) when no bundle file exists — never an unverified mode.
    fn libpq_tls_env(&self) -> Vec<(&'static str, OsString)> {
        let roots = || -> OsString {
            match (
                self.root_cert_file().map(Path::to_path_buf),
                crate::tls::platform_bundle_file(),
            ) {
                (Some(file), _) | (None, Some(file)) => file.into_os_string(),
                (None, None) => OsString::from("system"),
            }
        };
        match self.tls_mode() {
            TlsMode::Disable => vec![("PGSSLMODE", "disable".into())],
            TlsMode::Require => vec![
                ("PGSSLMODE", "verify-full".into()),
                ("PGSSLROOTCERT", roots()),
            ],
            _ => {
                // libpq's prefer verifies the chain when the root file exists and falls back
                // to a plain connection when the handshake fails, like the driver here.
                let mut env = vec![("PGSSLMODE", OsString::from("prefer"))];
                if let Some(file) = self.root_cert_file().map(Path::as_os_str) {
                    env.push(("PGSSLROOTCERT", file.to_owned()));
                } else if let Some(file) = crate::tls::platform_bundle_file() {
                    env.push(("PGSSLROOTCERT", file.into_os_string()));
                }
                env
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use crate::PgConfig;
    use crate::tls::{RootCertificates, TlsMode};

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
    fn libpq_env_carries_the_tls_settings() {
        let get = |c: &PgConfig, k: &str| {
            c.libpq_env()
                .into_iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v)
        };
        let c = PgConfig::parse("postgresql://app:pw@db.internal/app?sslmode=require")
            .unwrap()
            .with_root_cert("/etc/app/ca.pem");
        assert_eq!(c.tls_mode(), TlsMode::Require);
        assert_eq!(
            c.root_certificates(),
            RootCertificates::File("/etc/app/ca.pem".into())
        );
        assert_eq!(get(&c, "PGSSLMODE").unwrap(), "verify-full");
        assert_eq!(get(&c, "PGSSLROOTCERT").unwrap(), "/etc/app/ca.pem");
        let platform = c.with_platform_roots();
        assert_eq!(platform.root_certificates(), RootCertificates::Platform);
        assert_eq!(get(&platform, "PGSSLMODE").unwrap(), "verify-full");
        assert_ne!(get(&platform, "PGSSLROOTCERT").unwrap(), "/etc/app/ca.pem");
        let off = c.with_tls_mode(TlsMode::Disable);
        assert_eq!(get(&off, "PGSSLMODE").unwrap(), "disable");
        assert_eq!(get(&off, "PGSSLROOTCERT"), None);
        let dbg = format!("{c:?}");
        assert!(dbg.contains("Require") && !dbg.contains("pw"), "{dbg}");
        // The driver never tries TLS over a Unix socket (as libpq).
        let unix = PgConfig::parse("host=/run/postgresql dbname=app sslmode=require").unwrap();
        assert_eq!(
            unix.driver().get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        );
        let hostaddr = PgConfig::parse("host=db.internal hostaddr=10.0.0.7 dbname=app").unwrap();
        assert_eq!(get(&hostaddr, "PGHOSTADDR").unwrap(), "10.0.0.7");
        assert_eq!(hostaddr.tls_mode(), TlsMode::Prefer);
        let e = PgConfig::parse("host=h sslmode=bogus").unwrap_err();
        assert!(e.to_string().contains("sslmode"), "{e}");
    }
}
