//! The crate's error type, [`DbError`].
//!
//! Every fallible call of this crate returns [`DbError`], and `?` converts it into
//! [`mcp_ops_core::Error`] (the one error type callers handle; see the `From` impl), keeping
//! the `DbError` as the source where no semantic variant fits. There is no public `Result`
//! alias here: use `mcp_ops_core::Result`. Messages carry context (which operation, which
//! database, which field) and never a password, a connection URL with credentials or a
//! generated secret.

use std::time::Duration;

/// Result alias inside this crate (public functions show `Result<T, DbError>`; callers use
/// `mcp_ops_core::Result`, into which [`DbError`] converts with `?`).
pub(crate) type Result<T, E = DbError> = std::result::Result<T, E>;

/// Errors of the PostgreSQL and Redis backends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// A configuration value (URL, environment variable, option) is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The field or variable at fault, e.g. `DATABASE_URL`.
        field: &'static str,
        /// Why it is invalid (never contains the value when it may hold a secret).
        reason: String,
    },
    /// Connecting to PostgreSQL failed.
    #[error("cannot connect to PostgreSQL at {target}")]
    Connect {
        /// Host, port and database (no credentials).
        target: String,
        /// The driver error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// TLS with PostgreSQL could not be established (see [`crate::tls::TlsMode`]).
    #[error("TLS with PostgreSQL at {target} failed: {reason}")]
    Tls {
        /// Host, port and database (no credentials).
        target: String,
        /// What went wrong, for triage.
        kind: crate::tls::TlsErrorKind,
        /// The reason (certificate error, server answer …; never a password).
        reason: String,
    },
    /// A statement failed.
    #[error("PostgreSQL {operation} failed")]
    Query {
        /// What was being done.
        operation: &'static str,
        /// The driver error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The connection pool could not hand out a connection.
    #[error("PostgreSQL pool: {reason}")]
    Pool {
        /// What went wrong (timeout, closed, backend error).
        reason: String,
    },
    /// An operation did not finish in time.
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// What was being done.
        operation: &'static str,
        /// The limit that elapsed.
        after: Duration,
    },
    /// The server lacks a feature (extension not installed, version too old …).
    #[error("unsupported: {feature}: {reason}")]
    Unsupported {
        /// The missing feature, e.g. `pg_stat_statements`.
        feature: &'static str,
        /// What to do about it.
        reason: String,
    },
    /// Something named does not exist (backup id, backend pid, role …).
    #[error("{kind} {name} not found")]
    NotFound {
        /// What kind of object (`role`, `backup`, `backend pid` …).
        kind: &'static str,
        /// Its name or id.
        name: String,
    },
    /// A required program (pg_dump, pg_restore …) is not installed.
    #[error("{tool} not found; install it with `{install}`")]
    ToolMissing {
        /// The program.
        tool: String,
        /// The command that installs it.
        install: &'static str,
    },
    /// An external program failed.
    #[error("{tool} failed (exit status {status}): {stderr}")]
    ToolFailed {
        /// The program.
        tool: &'static str,
        /// Its exit status, or `signal` when killed.
        status: String,
        /// The tail of its standard error (no credentials are passed on its command line).
        stderr: String,
    },
    /// A local file operation failed; the message keeps the OS reason ("No space left on
    /// device").
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A backup failed verification; restore refuses such a backup.
    #[error("backup {id} failed verification: {reason}")]
    VerificationFailed {
        /// The backup id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Credential rotation could not be completed.
    #[error(
        "credential rotation for role {role} failed: {reason} (old password restored: {reverted})"
    )]
    Rotation {
        /// The role.
        role: String,
        /// Why (never the password).
        reason: String,
        /// Whether the previous password was put back.
        reverted: bool,
    },
    /// A Redis command failed.
    #[error("Redis {operation} failed: {reason}")]
    Redis {
        /// What was being done.
        operation: &'static str,
        /// The error category and code reported by the client (no URL).
        reason: String,
    },
}

impl DbError {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            DbError::Connect { .. } | DbError::Timeout { .. } | DbError::Pool { .. } => true,
            DbError::Query { source, .. } => source.is_closed(),
            _ => false,
        }
    }

    /// A connection failure: [`DbError::Tls`] when TLS is the cause, else
    /// [`DbError::Connect`].
    pub(crate) fn from_connect(target: String, source: tokio_postgres::Error) -> Self {
        match crate::tls::classify(&source) {
            Some((kind, reason)) => DbError::Tls {
                target,
                kind,
                reason,
            },
            None => DbError::Connect { target, source },
        }
    }

    /// A pool failure; a connection failure inside it is classified like
    /// [`DbError::from_connect`].
    pub(crate) fn from_pool(target: String, e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(source)
                if crate::tls::classify(&source).is_some() =>
            {
                Self::from_connect(target, source)
            }
            other => other.into(),
        }
    }

    pub(crate) fn query(operation: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Self {
        move |source| DbError::Query { operation, source }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| DbError::Io { context, source }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DbError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError as P;
        let reason = match e {
            P::Timeout(t) => format!("timed out ({t:?})"),
            P::Backend(e) => format!("creating a connection failed: {e}"),
            P::Closed => "pool closed".to_owned(),
            P::NoRuntimeSpecified => "no runtime specified".to_owned(),
            P::PostCreateHook(e) => format!("post-create hook failed: {e}"),
        };
        DbError::Pool { reason }
    }
}

/// The SQLSTATE of a driver error, if the server sent one.
pub(crate) fn sqlstate(e: &tokio_postgres::Error) -> Option<&str> {
    e.as_db_error().map(|d| d.code().code())
}

/// `e`'s message followed by its causes, so the driver's or the OS's reason is not lost
/// (`cannot connect to PostgreSQL at db:5432/app: error connecting to server: Connection
/// refused (os error 111)`).
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = cause.source();
    }
    text
}

/// The one place where this crate's errors become [`mcp_ops_core::Error`].
///
/// Semantic variants where one fits (`InvalidInput`, `NotFound`, `Timeout`, `Unsupported`,
/// `Unavailable` with the driver's reason, `PolicyViolation` for an unverified backup);
/// every other error becomes `Error::Backend` whose `source` is the [`DbError`] itself, so
/// callers can still `downcast_ref::<DbError>()` for the detail (the TLS kind, whether a
/// rotation was reverted, a tool's stderr).
///
/// ```
/// use mcp_ops_db::{DbError, PgConfig};
///
/// fn config_from(url: &str) -> mcp_ops_core::Result<PgConfig> {
///     let config = PgConfig::parse(url)?; // DbError → mcp_ops_core::Error
///     Ok(config)
/// }
///
/// let err = config_from("postgres://db.internal:notaport/app").unwrap_err();
/// assert!(matches!(err, mcp_ops_core::Error::InvalidInput { .. }), "{err}");
///
/// let rotation: mcp_ops_core::Error = DbError::Rotation {
///     role: "app".into(),
///     reason: "verification failed".into(),
///     reverted: true,
/// }
/// .into();
/// let source = std::error::Error::source(&rotation).and_then(|s| s.downcast_ref::<DbError>());
/// assert!(matches!(source, Some(DbError::Rotation { reverted: true, .. })));
/// ```
impl From<DbError> for mcp_ops_core::Error {
    fn from(e: DbError) -> Self {
        use mcp_ops_core::Error as E;
        match e {
            DbError::InvalidInput { field, reason } => E::InvalidInput { field, reason },
            DbError::NotFound { kind, name } => E::NotFound { kind, name },
            DbError::Timeout { operation, after } => E::Timeout {
                operation: operation.to_owned(),
                after,
            },
            DbError::Unsupported { feature, .. } => E::Unsupported {
                operation: feature,
                backend: "postgres",
            },
            DbError::Connect { .. } | DbError::Pool { .. } => {
                E::unavailable("postgres", with_causes(&e))
            }
            DbError::Redis { .. } => E::unavailable("redis", e.to_string()),
            DbError::VerificationFailed { .. } => E::policy("verified-backup", e.to_string()),
            DbError::Query { ref source, .. } => {
                let retryable = source.is_closed();
                backend_error("postgres", retryable, e)
            }
            DbError::ToolFailed { tool, .. } => backend_error(tool, false, e),
            DbError::Io { .. } => backend_error("backup-store", false, e),
            DbError::Tls { .. } | DbError::ToolMissing { .. } | DbError::Rotation { .. } => {
                backend_error("postgres", false, e)
            }
        }
    }
}

/// An `Error::Backend` of `backend` keeping `e` as its source.
fn backend_error(backend: &'static str, retryable: bool, e: DbError) -> mcp_ops_core::Error {
    mcp_ops_core::Error::Backend {
        backend,
        message: with_causes(&e),
        retryable,
        source: Some(Box::new(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_into_semantic_core_errors() {
        let core: mcp_ops_core::Error = DbError::invalid("DATABASE_URL", "no host given").into();
        assert!(matches!(
            core,
            mcp_ops_core::Error::InvalidInput {
                field: "DATABASE_URL",
                ..
            }
        ));
        let core: mcp_ops_core::Error = DbError::NotFound {
            kind: "role",
            name: "app".into(),
        }
        .into();
        assert!(matches!(
            core,
            mcp_ops_core::Error::NotFound { kind: "role", .. }
        ));
        let core: mcp_ops_core::Error = DbError::VerificationFailed {
            id: "b1".into(),
            reason: "SHA-256 does not match the manifest".into(),
        }
        .into();
        assert!(matches!(core, mcp_ops_core::Error::PolicyViolation { .. }));
        let core: mcp_ops_core::Error = DbError::Timeout {
            operation: "x",
            after: Duration::from_secs(1),
        }
        .into();
        assert!(core.is_retryable());
    }
}
