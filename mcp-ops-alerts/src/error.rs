//! The crate's error type.
//!
//! Rule: no variant ever carries a URL, webhook, routing key, token or password. HTTP client
//! errors are stored with [`reqwest::Error::without_url`], server messages are truncated and
//! scrubbed of the secret the caller was using.

use std::time::Duration;

/// Result alias inside this crate (public functions show `Result<T, AlertsError>`).
pub(crate) type Result<T, E = AlertsError> = std::result::Result<T, E>;

/// The kind of error Prometheus reports in `errorType`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PromErrorType {
    /// `bad_data`: the query or a parameter is malformed.
    BadData,
    /// `execution`: the query failed while running.
    Execution,
    /// `timeout`: the evaluation exceeded its timeout.
    Timeout,
    /// `canceled`: the evaluation was cancelled.
    Canceled,
    /// `internal`: the server failed.
    Internal,
    /// `unavailable`: the server is not ready.
    Unavailable,
    /// `not_found`: the endpoint or object does not exist.
    NotFound,
    /// Any other value.
    Other(String),
}

impl PromErrorType {
    /// Parses Prometheus' `errorType` field.
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "bad_data" => Self::BadData,
            "execution" => Self::Execution,
            "timeout" => Self::Timeout,
            "canceled" => Self::Canceled,
            "internal" => Self::Internal,
            "unavailable" => Self::Unavailable,
            "not_found" => Self::NotFound,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for PromErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Self::BadData => "bad_data",
            Self::Execution => "execution",
            Self::Timeout => "timeout",
            Self::Canceled => "canceled",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::NotFound => "not_found",
            Self::Other(s) => s,
        };
        f.write_str(s)
    }
}

/// Errors of the alerting backends.
///
/// `?` converts them into `mcp_ops_core::Error` (see the `From` impl below), so a function
/// returning `mcp_ops_core::Result` calls this crate directly:
///
/// ```
/// use mcp_ops_alerts::prometheus::PrometheusClient;
///
/// fn client(url: &str) -> mcp_ops_core::Result<PrometheusClient> {
///     Ok(PrometheusClient::new(url)?) // AlertsError → mcp_ops_core::Error
/// }
///
/// assert!(client("http://127.0.0.1:9090").is_ok());
/// let err = client("not a url").unwrap_err();
/// assert_eq!(err.kind(), "invalid_input", "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlertsError {
    /// The request could not be sent or its answer not read (connection refused, TLS, …).
    #[error("{backend}: request failed: {}", with_causes(source))]
    Http {
        /// Which backend (`prometheus`, `alertmanager`, `slack`, `pagerduty`).
        backend: &'static str,
        /// The client error, stripped of its URL.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an unexpected HTTP status.
    #[error("{backend}: HTTP {status}: {message}")]
    Status {
        /// Which backend.
        backend: &'static str,
        /// The HTTP status code.
        status: u16,
        /// The server's message, truncated and scrubbed of secrets.
        message: String,
        /// Seconds the server asked to wait before retrying (`Retry-After`), if any.
        retry_after: Option<u64>,
    },
    /// Prometheus rejected or failed the query.
    #[error("prometheus: query failed ({error_type}): {error}")]
    Query {
        /// Prometheus' `errorType`.
        error_type: PromErrorType,
        /// Prometheus' `error` message.
        error: String,
    },
    /// The request did not finish in time.
    #[error("{backend}: timed out after {after:?}")]
    Timeout {
        /// Which backend.
        backend: &'static str,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The server answered something this client cannot interpret.
    #[error("{backend}: unexpected response: {detail}")]
    Decode {
        /// Which backend.
        backend: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The object does not exist.
    #[error("{backend}: {kind} {name} not found")]
    NotFound {
        /// Which backend.
        backend: &'static str,
        /// What kind of object (`silence`, `incident`, `endpoint`).
        kind: &'static str,
        /// Its id or name.
        name: String,
    },
    /// A caller-supplied value was rejected before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Building or sending an email failed.
    #[error("smtp: {message}")]
    Smtp {
        /// What failed, scrubbed of credentials.
        message: String,
        /// Whether the server rejected it permanently (5xx); retrying will not help.
        permanent: bool,
    },
    /// A test-harness failure (a server could not start, a binary is missing).
    #[error("harness: {0}")]
    Harness(String),
}

impl AlertsError {
    /// Wraps a reqwest error, removing its URL (which may hold a webhook or credentials).
    pub(crate) fn http(backend: &'static str, err: reqwest::Error, timeout: Duration) -> Self {
        if err.is_timeout() {
            return Self::Timeout {
                backend,
                after: timeout,
            };
        }
        Self::Http {
            backend,
            source: err.without_url(),
        }
    }

    /// Whether retrying the same call later may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { .. } | Self::Timeout { .. } => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Query { error_type, .. } => matches!(
                error_type,
                PromErrorType::Timeout | PromErrorType::Unavailable | PromErrorType::Internal
            ),
            Self::Smtp { permanent, .. } => !permanent,
            _ => false,
        }
    }
}

impl From<AlertsError> for mcp_ops_core::Error {
    /// The one place where this crate's errors become the SDK's semantic errors. Where no
    /// semantic variant fits, `Error::Backend` keeps the [`AlertsError`] as its `source`.
    fn from(e: AlertsError) -> Self {
        use mcp_ops_core::Error as E;
        let retryable = e.is_retryable();
        let kept = |backend: &'static str, message: String, e: AlertsError| E::Backend {
            backend,
            message,
            retryable,
            source: Some(Box::new(e)),
        };
        match e {
            AlertsError::Http { backend, source } => E::Unavailable {
                backend,
                reason: with_causes(&source),
                retry_after: None,
            },
            AlertsError::Status {
                backend,
                status,
                ref message,
                retry_after,
            } => match status {
                404 => E::not_found("endpoint", format!("{backend} ({message})")),
                429 | 502 | 503 | 504 => E::Unavailable {
                    backend,
                    reason: format!("HTTP {status}: {message}"),
                    retry_after: retry_after.map(Duration::from_secs),
                },
                400 | 422 => E::invalid(
                    "request",
                    format!("{backend} answered HTTP {status}: {message}"),
                ),
                _ => kept(backend, format!("HTTP {status}: {message}"), e),
            },
            AlertsError::Query {
                ref error_type,
                ref error,
            } => match error_type {
                PromErrorType::BadData => E::invalid("query", error.clone()),
                PromErrorType::Timeout => {
                    E::timeout(format!("prometheus query ({error})"), Duration::ZERO)
                }
                PromErrorType::Unavailable => E::unavailable("prometheus", error.clone()),
                other => {
                    let message = format!("query failed ({other}): {error}");
                    kept("prometheus", message, e)
                }
            },
            AlertsError::Timeout { backend, after } => {
                E::timeout(format!("{backend} request"), after)
            }
            AlertsError::Decode {
                backend,
                ref detail,
            } => {
                let message = format!("unexpected response: {detail}");
                kept(backend, message, e)
            }
            AlertsError::NotFound { kind, name, .. } => E::not_found(kind, name),
            AlertsError::InvalidInput(reason) => E::invalid("request", reason),
            AlertsError::Smtp {
                ref message,
                permanent,
            } => {
                if permanent {
                    let message = message.clone();
                    kept("email", message, e)
                } else {
                    E::unavailable("email", message.clone())
                }
            }
            AlertsError::Harness(ref message) => {
                let message = message.clone();
                kept("harness", message, e)
            }
        }
    }
}

/// Truncates a server message and removes every occurrence of `secrets` from it.
/// `e`'s message followed by its causes (`error sending request: client error (Connect):
/// tcp connect error: Connection refused (os error 111)`), so the OS reason is not lost;
/// any word that looks like a URL is replaced by `[url]` (a cause may quote one).
pub(crate) fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts
        .join(": ")
        .split(' ')
        .map(|w| if w.contains("://") { "[url]" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn scrub(message: &str, secrets: &[&str]) -> String {
    let mut out = message.trim().to_owned();
    for s in secrets {
        if s.len() >= 4 {
            out = out.replace(s, "[redacted]");
        }
    }
    const MAX: usize = 512;
    if out.len() > MAX {
        let mut cut = MAX;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_secrets_and_truncates() {
        let s = scrub("bad key R0UTINGKEY123 given", &["R0UTINGKEY123"]);
        assert_eq!(s, "bad key [redacted] given");
        let long = "x".repeat(2000);
        assert!(scrub(&long, &[]).chars().count() <= 513);
    }

    #[test]
    fn converts_into_semantic_core_errors() {
        use mcp_ops_core::Error as E;
        let status = |status: u16| AlertsError::Status {
            backend: "slack",
            status,
            message: "m".into(),
            retry_after: Some(30),
        };
        let e: E = status(429).into();
        assert!(matches!(
            e,
            E::Unavailable {
                backend: "slack",
                ..
            }
        ));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert!(matches!(E::from(status(400)), E::InvalidInput { .. }));
        assert!(matches!(E::from(status(404)), E::NotFound { .. }));
        let e = E::from(status(500));
        assert!(matches!(
            e,
            E::Backend {
                retryable: true,
                ..
            }
        ));
        let q = AlertsError::Query {
            error_type: PromErrorType::BadData,
            error: "parse error".into(),
        };
        assert!(matches!(E::from(q), E::InvalidInput { field: "query", .. }));
        let nf = AlertsError::NotFound {
            backend: "alertmanager",
            kind: "silence",
            name: "x".into(),
        };
        assert!(matches!(
            E::from(nf),
            E::NotFound {
                kind: "silence",
                ..
            }
        ));
        let t = AlertsError::Timeout {
            backend: "prometheus",
            after: Duration::from_secs(1),
        };
        assert!(E::from(t).is_retryable());
        let smtp = AlertsError::Smtp {
            message: "535".into(),
            permanent: true,
        };
        assert!(!E::from(smtp).is_retryable());
    }

    #[test]
    fn error_type_round_trips() {
        for s in [
            "bad_data",
            "execution",
            "timeout",
            "canceled",
            "internal",
            "unavailable",
        ] {
            assert_eq!(PromErrorType::parse(s).to_string(), s);
        }
        assert_eq!(
            PromErrorType::parse("weird"),
            PromErrorType::Other("weird".into())
        );
    }
}
