//! TLS to PostgreSQL with rustls: the modes ([`TlsMode`]), where trusted roots come from
//! ([`RootCertificates`]), the connector the pool and [`crate::pg::connect`] share, the
//! classification of TLS failures ([`TlsErrorKind`]) and the session's encryption as the
//! server reports it ([`SessionTls`]).
//!
//! The crypto provider is aws-lc-rs, passed explicitly to every `ClientConfig`, so no
//! process-level provider has to be installed. Platform roots come from
//! `rustls-native-certs` (the operating system's store, e.g.
//! `/etc/ssl/certs/ca-certificates.crt`, or `SSL_CERT_FILE`), the same store OpenSSL — and so
//! `pg_dump` / `pg_restore` — uses.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's environment variable giving the TLS mode when the connection string has no
/// `sslmode`; read by [`crate::PgConfig::parse`].
pub const PGSSLMODE: &str = "PGSSLMODE";

/// libpq's environment variable naming a file of trusted root certificates (PEM); read by
/// [`crate::PgConfig::parse`] and passed on to pg_dump / pg_restore.
pub const PGSSLROOTCERT: &str = "PGSSLROOTCERT";

/// Whether and how TLS is used, from the connection string's `sslmode`.
///
/// | `sslmode` | meaning here | libpq |
/// |---|---|---|
/// | `disable` | plain connection | same |
/// | `prefer` (default) | TLS when the server offers it, with the certificate and host name verified; when the handshake fails (e.g. untrusted certificate) the connection is retried once without TLS, as libpq does | libpq verifies only with a root file present |
/// | `require` | TLS or nothing; the server certificate is verified against the roots and the host name (or IP address) must match | libpq verifies the chain only with a root file present (and the host name only with `verify-full`) |
///
/// So `require` here is libpq's `verify-full`, and the connection string's `verify-ca` and
/// `verify-full` both parse to it: there is no mode that encrypts without verifying.
/// Unix-socket connections never use TLS (as in libpq, `sslmode` is ignored for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain connection.
    Disable,
    /// TLS if the server offers it (verified); plain otherwise.
    #[default]
    Prefer,
    /// TLS with a verified certificate and host name, or no connection.
    Require,
}

impl TlsMode {
    /// The `sslmode` keyword.
    pub fn as_str(&self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
        }
    }

    pub(crate) fn from_driver(mode: tokio_postgres::config::SslMode) -> Self {
        use tokio_postgres::config::SslMode as S;
        match mode {
            S::Disable => TlsMode::Disable,
            S::Require => TlsMode::Require,
            _ => TlsMode::Prefer,
        }
    }

    pub(crate) fn to_driver(self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as S;
        match self {
            TlsMode::Disable => S::Disable,
            TlsMode::Prefer => S::Prefer,
            TlsMode::Require => S::Require,
        }
    }
}

impl std::fmt::Display for TlsMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The certificates a server certificate must chain to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCertificates {
    /// A PEM file (`PGSSLROOTCERT` or [`crate::PgConfig::with_root_cert`]).
    File(PathBuf),
    /// The operating system's trust store.
    Platform,
}

/// Why TLS could not be established; carried by [`crate::DbError::Tls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The server certificate does not chain to a trusted root (unknown CA, self-signed).
    UntrustedCertificate,
    /// The certificate is not valid for the host name or address connected to.
    HostnameMismatch,
    /// The certificate is expired, not yet valid, revoked or otherwise unusable.
    InvalidCertificate,
    /// `sslmode=require` but the server does not offer TLS.
    ServerWithoutTls,
    /// The server refused a connection without TLS (pg_hba.conf accepts only `hostssl`).
    RequiredByServer,
    /// The root certificates could not be loaded.
    RootCertificates,
    /// Any other handshake failure (protocol version, cipher, alert from the server …).
    Handshake,
}

/// Encryption of a session, from `pg_stat_ssl` for the backend serving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTls {
    /// Whether the session is encrypted.
    pub encrypted: bool,
    /// Protocol version, e.g. `TLSv1.3` (when encrypted).
    pub version: Option<String>,
    /// Cipher suite, e.g. `TLS_AES_256_GCM_SHA384` (when encrypted).
    pub cipher: Option<String>,
}

/// A TLS set-up failure before any connection: the kind and a reason without secrets.
pub(crate) type SetupError = (TlsErrorKind, String);

/// Builds the rustls connector trusting `roots` (`None`: trusting nothing, for connections
/// that never negotiate TLS).
pub(crate) fn connector(roots: Option<&RootCertificates>) -> Result<MakeRustlsConnect, SetupError> {
    let store = match roots {
        Some(RootCertificates::File(path)) => Arc::new(load_file(path)?),
        Some(RootCertificates::Platform) => platform_roots()?,
        None => Arc::new(rustls::RootCertStore::empty()),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| (TlsErrorKind::Handshake, e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn load_file(path: &Path) -> Result<rustls::RootCertStore, SetupError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| {
        (
            TlsErrorKind::RootCertificates,
            format!("cannot read root certificate file {shown}: {e}"),
        )
    })?;
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| {
            (
                TlsErrorKind::RootCertificates,
                format!("root certificate file {shown} is not valid PEM: {e}"),
            )
        })?;
        store.add(cert).map_err(|e| {
            (
                TlsErrorKind::RootCertificates,
                format!("root certificate file {shown}: {e}"),
            )
        })?;
    }
    if store.is_empty() {
        return Err((
            TlsErrorKind::RootCertificates,
            format!("root certificate file {shown} holds no certificate"),
        ));
    }
    Ok(store)
}

/// The platform store, loaded once per process.
fn platform_roots() -> Result<Arc<rustls::RootCertStore>, SetupError> {
    static ROOTS: OnceLock<Result<Arc<rustls::RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let loaded = rustls_native_certs::load_native_certs();
            let mut store = rustls::RootCertStore::empty();
            let (added, _ignored) = store.add_parsable_certificates(loaded.certs);
            if added == 0 {
                let why = loaded
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                return Err(format!(
                    "no platform root certificate could be loaded{why}; install ca-certificates \
                     or set {PGSSLROOTCERT}"
                ));
            }
            Ok(Arc::new(store))
        })
        .clone()
        .map_err(|reason| (TlsErrorKind::RootCertificates, reason))
}

/// A system CA bundle file for libpq (which, before PostgreSQL 16, cannot use the system
/// store by name): `SSL_CERT_FILE`, else the first well-known bundle that exists.
pub(crate) fn platform_bundle_file() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").map(PathBuf::from)
        && file.is_file()
    {
        return Some(file);
    }
    [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Classifies a driver error as a TLS failure: `Some((kind, reason))`, else `None`.
pub(crate) fn classify(e: &tokio_postgres::Error) -> Option<SetupError> {
    if let Some(db) = e.as_db_error() {
        // pg_hba.conf has only `hostssl` lines for this client: "… no encryption".
        if db.code().code() == "28000" && db.message().ends_with("no encryption") {
            return Some((
                TlsErrorKind::RequiredByServer,
                "the server accepts only TLS connections from this client (pg_hba.conf \
                 hostssl); use sslmode=require"
                    .to_owned(),
            ));
        }
        return None;
    }
    if !e.to_string().starts_with("error performing TLS handshake") {
        return None;
    }
    let source = std::error::Error::source(e)?;
    let text = source.to_string();
    if text == "server does not support TLS" {
        return Some((
            TlsErrorKind::ServerWithoutTls,
            "sslmode=require but the server does not offer TLS".to_owned(),
        ));
    }
    let rustls_error = source
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let kind = match rustls_error {
        Some(rustls::Error::InvalidCertificate(c)) => {
            use rustls::CertificateError as C;
            match c {
                C::UnknownIssuer => TlsErrorKind::UntrustedCertificate,
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    TlsErrorKind::HostnameMismatch
                }
                _ => TlsErrorKind::InvalidCertificate,
            }
        }
        _ => TlsErrorKind::Handshake,
    };
    let reason = match kind {
        TlsErrorKind::UntrustedCertificate => format!(
            "{text}: the server certificate does not chain to a trusted root (name its CA \
             with sslrootcert or {PGSSLROOTCERT})"
        ),
        _ => text,
    };
    Some((kind, reason))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn modes_round_trip_through_the_driver() {
        for m in [TlsMode::Disable, TlsMode::Prefer, TlsMode::Require] {
            assert_eq!(TlsMode::from_driver(m.to_driver()), m);
        }
        assert_eq!(TlsMode::default(), TlsMode::Prefer);
        assert_eq!(TlsMode::Require.to_string(), "require");
    }

    #[test]
    fn a_missing_or_empty_root_file_is_a_typed_setup_error() {
        let missing = RootCertificates::File("/nonexistent/ca.pem".into());
        let (kind, reason) = connector(Some(&missing)).err().unwrap();
        assert_eq!(kind, TlsErrorKind::RootCertificates);
        assert!(reason.contains("/nonexistent/ca.pem"), "{reason}");
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let (kind, reason) = connector(Some(&RootCertificates::File(empty)))
            .err()
            .unwrap();
        assert_eq!(kind, TlsErrorKind::RootCertificates);
        assert!(reason.contains("no certificate"), "{reason}");
    }
}
