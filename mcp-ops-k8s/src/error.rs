//! The crate's private error enum and its one conversion into [`mcp_ops_core::Error`].
//!
//! HTTP statuses map to semantic variants here and nowhere else: 403 → `Forbidden` (with the
//! verb, resource, API group and namespace the server named, see [`forbidden`]), 404 →
//! `NotFound`, 409 → `Conflict`, 400/422 → `InvalidInput`, 429/5xx and connection failures →
//! `Unavailable` (with the server's `retryAfterSeconds` when it gave one), a call that ran out
//! of time → `Timeout`. Messages never contain credentials: kube's Status messages and
//! connection errors are kept, passed through [`redact_text`]; request headers are not.

use std::time::Duration;

use mcp_ops_core::{Error, redact_text};

mod forbidden;

use forbidden::denied_permission;

/// The backend name used in errors and reports.
pub(crate) const BACKEND: &str = "kubernetes";

/// What went wrong talking to the API server, before it is given meaning for the caller.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// The server answered with a Status.
    #[error("HTTP {code} {reason}: {message}")]
    Api {
        code: u16,
        reason: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The server could not be reached or the connection broke.
    #[error("connection failed: {0}")]
    Connect(String),
    /// One attempt exceeded the per-call timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Anything else kube reported (decoding, configuration …).
    #[error("{0}")]
    Other(String),
}

impl Failure {
    /// Whether a retry of the same request may succeed (429, 5xx, connection, timeout).
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Failure::Api { code, .. } => *code == 429 || (500..=599).contains(code),
            Failure::Connect(_) | Failure::Timeout(_) => true,
            Failure::Other(_) => false,
        }
    }

    /// Whether the server reported a conflict (409).
    pub(crate) fn is_conflict(&self) -> bool {
        matches!(self, Failure::Api { code: 409, .. })
    }

    /// Whether the server refused the request (403): waiting or retrying will not help.
    pub(crate) fn is_forbidden(&self) -> bool {
        matches!(self, Failure::Api { code: 403, .. })
    }

    /// Whether the server reported 404.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, Failure::Api { code: 404, .. })
    }

    /// The wait the server asked for, if any.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Gives the failure its meaning for the caller: `kind`/`name` say what was addressed.
    pub(crate) fn into_core(self, kind: &'static str, name: &str) -> Error {
        match self {
            Failure::Api {
                code: 403, message, ..
            } => Error::forbidden(BACKEND, denied_permission(&message), message),
            Failure::Api { code: 404, .. } => Error::not_found(kind, name),
            Failure::Api {
                code: 409, message, ..
            } => Error::conflict(format!("{kind} {name}"), message),
            Failure::Api {
                code: 400 | 422,
                message,
                ..
            } => Error::invalid(kind, message),
            Failure::Api {
                code,
                reason,
                message,
                retry_after,
            } if code == 429 || (500..=599).contains(&code) => Error::Unavailable {
                backend: BACKEND,
                reason: format!("HTTP {code} {reason}: {message}"),
                retry_after,
            },
            Failure::Api {
                code,
                reason,
                message,
                ..
            } => Error::backend(BACKEND, format!("HTTP {code} {reason}: {message}"), false),
            Failure::Connect(m) => Error::unavailable(BACKEND, m),
            Failure::Timeout(after) => Error::timeout(format!("{kind} {name}"), after),
            Failure::Other(m) => Error::backend(BACKEND, m, false),
        }
    }
}

impl From<kube::Error> for Failure {
    fn from(e: kube::Error) -> Self {
        match e {
            kube::Error::Api(s) => {
                let retry_after = s
                    .details
                    .as_ref()
                    .map(|d| d.retry_after_seconds)
                    .filter(|s| *s > 0)
                    .map(|s| Duration::from_secs(u64::from(s)));
                Failure::Api {
                    code: s.code,
                    reason: s.reason,
                    message: redact_text(&s.message),
                    retry_after,
                }
            }
            // Connection and auth errors may carry the server URL (with its credentials) or
            // an exec plugin's output: redacted before anyone sees them.
            kube::Error::HyperError(e) => Failure::Connect(redact_text(&with_causes(&e))),
            kube::Error::Service(e) => Failure::Connect(redact_text(&with_causes(e.as_ref()))),
            // An exec plugin's or token file's failure may print the credential itself.
            kube::Error::Auth(_) => Failure::Other(
                "authentication with the kubeconfig's credentials failed (exec plugin, token or \
                 client certificate; details not shown as they may hold credentials)"
                    .to_owned(),
            ),
            other => Failure::Other(redact_text(&other.to_string())),
        }
    }
}

impl From<kube::runtime::watcher::Error> for Failure {
    fn from(e: kube::runtime::watcher::Error) -> Self {
        use kube::runtime::watcher::Error as W;
        match e {
            W::InitialListFailed(e) | W::WatchStartFailed(e) | W::WatchFailed(e) => e.into(),
            W::WatchError(s) => kube::Error::Api(s).into(),
            other @ W::NoResourceVersion => Failure::Other(other.to_string()),
        }
    }
}

impl From<kube::runtime::wait::Error> for Failure {
    fn from(e: kube::runtime::wait::Error) -> Self {
        let kube::runtime::wait::Error::ProbeFailed(e) = e;
        e.into()
    }
}

/// `e` and its causes, `outer: inner: innermost`, each said once: hyper's "client error
/// (Connect)" alone hides the OS reason ("Connection refused") that says what went wrong.
fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// A malformed object from the server (a field we need is missing or unparsable).
pub(crate) fn malformed(what: impl Into<String>) -> Error {
    Error::backend(BACKEND, what.into(), false)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn connection_errors_keep_their_os_reason() {
        #[derive(Debug, thiserror::Error)]
        #[error("client error (Connect)")]
        struct Outer(#[source] std::io::Error);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let text = with_causes(&Outer(refused));
        assert!(text.starts_with("client error (Connect): "), "{text}");
        assert!(text.to_lowercase().contains("refused"), "{text}");
    }

    #[test]
    fn a_denial_names_its_permission() {
        let denied = Failure::Api {
            code: 403,
            reason: "Forbidden".into(),
            message: r#"pods "p" is forbidden: User "u" cannot get resource "pods/log" in API group "" in the namespace "n""#.into(),
            retry_after: None,
        };
        let e = denied.into_core("pod log", "n/p");
        let p = e.permission().unwrap();
        assert!(p.is("", "pods/log", "get"), "{p}");
        assert!(!e.is_retryable());
        assert!(
            e.to_string().contains("cannot get resource \"pods/log\""),
            "{e}"
        );
        let status = kube::core::Status::failure("watch denied", "Forbidden").with_code(403);
        let watch = kube::runtime::watcher::Error::WatchError(Box::new(status));
        assert!(Failure::from(watch).is_forbidden());
    }

    fn api(code: u16) -> Failure {
        Failure::Api {
            code,
            reason: "R".into(),
            message: "m".into(),
            retry_after: Some(Duration::from_secs(2)),
        }
    }

    #[test]
    fn statuses_map_to_semantic_variants() {
        assert_eq!(api(404).into_core("deployment", "a/b").kind(), "not_found");
        assert_eq!(api(409).into_core("deployment", "a/b").kind(), "conflict");
        assert_eq!(
            api(422).into_core("deployment", "a/b").kind(),
            "invalid_input"
        );
        assert_eq!(
            api(400).into_core("deployment", "a/b").kind(),
            "invalid_input"
        );
        let e = api(429).into_core("deployment", "a/b");
        assert_eq!(e.kind(), "unavailable");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(api(503).into_core("x", "y").kind(), "unavailable");
        assert_eq!(api(403).into_core("x", "y").kind(), "forbidden");
        assert!(api(403).is_forbidden() && !api(403).is_transient());
        assert_eq!(api(401).into_core("x", "y").kind(), "backend");
        assert_eq!(
            Failure::Timeout(Duration::from_secs(1))
                .into_core("x", "y")
                .kind(),
            "timeout"
        );
        assert!(api(503).is_transient() && api(429).is_transient());
        assert!(!api(409).is_transient() && api(409).is_conflict());
        assert!(Failure::Connect("refused".into()).is_transient());
    }
}
