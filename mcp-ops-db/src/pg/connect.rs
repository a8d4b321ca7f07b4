//! Opening connections with the [`PgConfig`]'s TLS settings: the unpooled [`connect`] and the
//! pool's connector share one code path, including `sslmode=prefer`'s retry without TLS.

use crate::tls::{self, RootCertificates};
use crate::{DbError, PgConfig, Result};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_postgres::config::SslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

type TlsStream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;
type Connection = tokio_postgres::Connection<Socket, TlsStream>;

/// The rustls connector for `config`, or [`DbError::Tls`] when its roots cannot be loaded.
/// With TLS disabled no root is loaded (the driver still wants a connector it never uses).
/// Under `prefer`, an empty platform store is not fatal: every handshake then fails
/// verification and the connection goes on without TLS, as it would against a server
/// without TLS.
pub(crate) fn connector_for(config: &PgConfig) -> Result<MakeRustlsConnect> {
    let roots = config.root_certificates();
    let built = match config.driver().get_ssl_mode() {
        SslMode::Disable => tls::connector(None),
        SslMode::Prefer if roots == RootCertificates::Platform => tls::connector(Some(&roots))
            .or_else(|(_, reason)| {
                tracing::debug!(%reason, "sslmode=prefer without platform roots");
                tls::connector(None)
            }),
        _ => tls::connector(Some(&roots)),
    };
    built.map_err(|(kind, reason)| DbError::Tls {
        target: config.target(),
        kind,
        reason,
    })
}

/// Connects once; under `prefer`, a failed TLS handshake is followed by one plain attempt (as
/// libpq does). When that attempt fails too, the handshake's error is returned.
async fn open(
    driver: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    target: &str,
) -> std::result::Result<(Client, Connection), tokio_postgres::Error> {
    match driver.connect(tls.clone()).await {
        Ok(pair) => Ok(pair),
        Err(e)
            if driver.get_ssl_mode() == SslMode::Prefer
                && e.to_string().starts_with("error performing TLS handshake") =>
        {
            let why = std::error::Error::source(&e)
                .map(ToString::to_string)
                .unwrap_or_default();
            tracing::warn!(%target, reason = %why, "TLS handshake failed under sslmode=prefer; retrying without TLS");
            let mut plain = driver.clone();
            plain.ssl_mode(SslMode::Disable);
            plain.connect(tls.clone()).await.map_err(|_| e)
        }
        Err(e) => Err(e),
    }
}

/// Opens one unpooled connection (its driver task runs on the current runtime), with TLS as
/// `config` says (see [`PgConfig`]).
///
/// # Errors
/// [`DbError::Tls`] when TLS cannot be established (untrusted certificate, host name
/// mismatch, server without TLS under `require`, server accepting only TLS under `disable`,
/// unreadable root file); [`DbError::Connect`] for other failures; [`DbError::Timeout`].
/// Messages name the target, never the password.
pub async fn connect(config: &PgConfig) -> Result<Client> {
    let driver = config.driver();
    let tls = connector_for(config)?;
    let limit = driver
        .get_connect_timeout()
        .copied()
        .unwrap_or(Duration::from_secs(10));
    let target = config.target();
    let (client, connection) =
        tokio::time::timeout(limit + Duration::from_secs(1), open(&driver, &tls, &target))
            .await
            .map_err(|_| DbError::Timeout {
                operation: "connecting to PostgreSQL",
                after: limit,
            })?
            .map_err(|e| DbError::from_connect(target, e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

/// The pool's connector: [`open`] with a connector built once with the backend.
pub(crate) struct PoolConnect {
    driver: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    target: String,
}

impl PoolConnect {
    /// # Errors
    /// [`DbError::Tls`] when the root certificates cannot be loaded.
    pub(crate) fn new(config: &PgConfig) -> Result<Self> {
        Ok(Self {
            driver: config.driver(),
            tls: connector_for(config)?,
            target: config.target(),
        })
    }
}

type ConnectFuture<'a> = Pin<
    Box<
        dyn Future<Output = std::result::Result<(Client, JoinHandle<()>), tokio_postgres::Error>>
            + Send
            + 'a,
    >,
>;

impl deadpool_postgres::Connect for PoolConnect {
    fn connect(&self, _pg_config: &tokio_postgres::Config) -> ConnectFuture<'_> {
        Box::pin(async move {
            let (client, connection) = open(&self.driver, &self.tls, &self.target).await?;
            let task = tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "pooled PostgreSQL connection closed");
                }
            });
            Ok((client, task))
        })
    }
}
