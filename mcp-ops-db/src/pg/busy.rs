//! A pooled connection from a server that may be full or starting: asked again with a
//! growing, jittered pause, for as long as the caller's patience allows.
//!
//! Many `ops` processes (cron ticks, CI jobs, replicas) sharing one database can together
//! exceed its `max_connections`; the server then refuses new ones with SQLSTATE 53300 until
//! one closes. Waiting a moment is the right answer; every other failure is reported at once.

use std::time::Duration;

use deadpool_postgres::tokio_postgres::{self, error::SqlState};
use deadpool_postgres::{Object, Pool, PoolError};
use mcp_ops_core::backoff::jittered;
use mcp_ops_core::{Error, Result};

/// How long the change store and the audit log keep asking a full or starting server for a
/// connection by default.
pub const BUSY_PATIENCE: Duration = Duration::from_secs(60);

/// Whether the server refused a connection only for now: too many clients (53300) or
/// starting up (57P03).
fn busy(e: &tokio_postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::TOO_MANY_CONNECTIONS || *c == SqlState::CANNOT_CONNECT_NOW)
}

/// The error's words, with the server's code and message when there is one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{e} ({}): {}", d.code().code(), d.message()),
        None => e.to_string(),
    }
}

/// A connection of `pool`; a full or starting server is asked again for up to `patience`.
///
/// # Errors
/// [`Error::Unavailable`] of `backend` (naming `what`) when the server cannot be reached,
/// refuses for another reason, or is still busy when the patience is spent.
pub(crate) async fn pooled(
    pool: &Pool,
    patience: Duration,
    backend: &'static str,
    what: &str,
) -> Result<Object> {
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(50);
    loop {
        let e = match pool.get().await {
            Ok(c) => return Ok(c),
            Err(PoolError::Backend(e)) => e,
            Err(other) => return Err(Error::unavailable(backend, format!("{what}: {other}"))),
        };
        if !busy(&e) || started.elapsed() + pause > patience {
            return Err(Error::unavailable(
                backend,
                format!("{what}: {}", describe(&e)),
            ));
        }
        tracing::debug!(error = %describe(&e), ?pause, "PostgreSQL busy; asking again");
        tokio::time::sleep(jittered(pause)).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
