//! The one public error type of mcp-ops and its `Result` alias.
//!
//! Backends keep private error enums and convert into [`Error`]; the variants are semantic
//! (what went wrong for the caller), not technical (which library failed). No variant ever
//! carries a secret, a webhook URL, a password or a token: backends strip them before
//! converting (for example with `reqwest::Error::without_url`).

use std::time::Duration;

mod permission;

pub use permission::Permission;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed error source kept for context (`std::error::Error::source`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in an mcp-ops operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value given by the caller is not acceptable; nothing was changed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The name of the field or argument that was rejected.
        field: &'static str,
        /// Why it was rejected, in words a user can act on.
        reason: String,
    },
    /// The named object does not exist.
    #[error("{kind} {name} not found")]
    NotFound {
        /// What kind of object was looked for (`deployment`, `backup`, `incident` …).
        kind: &'static str,
        /// Its name or id, qualified where it helps (`mcp-production/mcp-typescript-api`).
        name: String,
    },
    /// The object changed under us or the operation clashes with its current state.
    #[error("conflict on {target}: {reason}")]
    Conflict {
        /// The object the conflict is on.
        target: String,
        /// What clashed.
        reason: String,
    },
    /// The operation did not finish in time.
    #[error("{operation} timed out after {after:?}")]
    Timeout {
        /// The operation that ran out of time.
        operation: String,
        /// How long it was given.
        after: Duration,
    },
    /// The backend cannot be reached or is not serving (connection refused, 503, 429 …).
    #[error("{backend} unavailable: {reason}")]
    Unavailable {
        /// Which backend (`kubernetes`, `postgres`, `redis`, `prometheus`, `alertmanager` …).
        backend: &'static str,
        /// What was observed.
        reason: String,
        /// How long the server asked us to wait before trying again, when it said so.
        retry_after: Option<Duration>,
    },
    /// The operation is refused by a policy (outside a maintenance window, bound exceeded,
    /// replicas owned by an autoscaler, failing deployment gate …).
    #[error("refused by policy {policy}: {reason}")]
    PolicyViolation {
        /// The policy that refused.
        policy: &'static str,
        /// Why, including how to proceed where there is a way (force, other bounds …).
        reason: String,
    },
    /// The backend cannot do this operation at all (or not on this server version).
    #[error("{operation} is not supported by {backend}")]
    Unsupported {
        /// The operation asked for.
        operation: &'static str,
        /// The backend that cannot do it.
        backend: &'static str,
    },
    /// The backend refused the operation (HTTP 403, a missing database privilege …): the
    /// caller's identity lacks a permission, or an admission rule of the server forbids the
    /// change. Trying again does not help until the grant or the rule changes.
    #[error("{backend} forbids it: {reason}")]
    Forbidden {
        /// Which backend refused.
        backend: &'static str,
        /// The permission that was missing, when the server named one (an authorization
        /// denial); `None` when it refused for another reason (a quota, an admission rule).
        permission: Option<Box<Permission>>,
        /// The server's words, free of secrets.
        reason: String,
    },
    /// A backend failed in a way that has no semantic variant; the source is kept for context.
    #[error("{backend} error: {message}")]
    Backend {
        /// Which backend failed.
        backend: &'static str,
        /// A one-line description free of secrets.
        message: String,
        /// Whether trying again may succeed.
        retryable: bool,
        /// The underlying error, already free of secrets.
        #[source]
        source: Option<BoxError>,
    },
    /// The change policy refuses the mutation or the approval (no approved change request,
    /// approvals missing, the planned change differs from the approved one, outside its
    /// window …). Not retryable: the change request has to change first.
    #[error("refused by change policy: {0}")]
    ChangeRefused(Box<crate::change::ChangeRefusal>),
    /// The caller stopped the procedure (Ctrl-C, an MCP client's cancellation) before this
    /// mutating step: it was not run. What the procedure had done before is in its journal
    /// and outcome. Not retryable: the caller asked for it.
    #[error("stopped by the caller before {step}: nothing more was changed ({why})")]
    Stopped {
        /// The reason the caller gave.
        why: String,
        /// The step that was not run.
        step: String,
    },
}

impl Error {
    /// An [`Error::InvalidInput`] for `field`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// An [`Error::NotFound`] for an object of `kind` called `name`.
    pub fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            name: name.into(),
        }
    }

    /// An [`Error::Conflict`] on `target`.
    pub fn conflict(target: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Conflict {
            target: target.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Timeout`] of `operation` after `after`.
    pub fn timeout(operation: impl Into<String>, after: Duration) -> Self {
        Error::Timeout {
            operation: operation.into(),
            after,
        }
    }

    /// An [`Error::Unavailable`] of `backend` without a retry hint.
    pub fn unavailable(backend: &'static str, reason: impl Into<String>) -> Self {
        Error::Unavailable {
            backend,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// An [`Error::PolicyViolation`] of `policy`.
    pub fn policy(policy: &'static str, reason: impl Into<String>) -> Self {
        Error::PolicyViolation {
            policy,
            reason: reason.into(),
        }
    }

    /// An [`Error::Forbidden`] of `backend`, naming the missing `permission` when known.
    pub fn forbidden(
        backend: &'static str,
        permission: Option<Permission>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Forbidden {
            backend,
            permission: permission.map(Box::new),
            reason: reason.into(),
        }
    }

    /// An [`Error::ChangeRefused`] for `refusal`.
    pub fn change_refused(refusal: crate::change::ChangeRefusal) -> Self {
        Error::ChangeRefused(Box::new(refusal))
    }

    /// An [`Error::Stopped`] before `step`, for the caller's reason `why`.
    pub fn stopped(why: impl Into<String>, step: impl Into<String>) -> Self {
        Error::Stopped {
            why: why.into(),
            step: step.into(),
        }
    }

    /// The change policy's refusal of an [`Error::ChangeRefused`].
    pub fn change_refusal(&self) -> Option<&crate::change::ChangeRefusal> {
        match self {
            Error::ChangeRefused(r) => Some(r),
            _ => None,
        }
    }

    /// The missing permission of an [`Error::Forbidden`] that named one.
    pub fn permission(&self) -> Option<&Permission> {
        match self {
            Error::Forbidden { permission, .. } => permission.as_deref(),
            _ => None,
        }
    }

    /// An [`Error::Backend`] without a source.
    pub fn backend(backend: &'static str, message: impl Into<String>, retryable: bool) -> Self {
        Error::Backend {
            backend,
            message: message.into(),
            retryable,
            source: None,
        }
    }

    /// Whether the same call may succeed if tried again unchanged: timeouts, unavailability,
    /// conflicts (after re-reading) and backend errors marked retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Unavailable { .. } | Error::Conflict { .. } => true,
            Error::Backend { retryable, .. } => *retryable,
            Error::InvalidInput { .. }
            | Error::NotFound { .. }
            | Error::PolicyViolation { .. }
            | Error::Forbidden { .. }
            | Error::Unsupported { .. }
            | Error::ChangeRefused(_)
            | Error::Stopped { .. } => false,
        }
    }

    /// The wait the server asked for before a retry, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short stable name of the variant, for journals and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound { .. } => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::Timeout { .. } => "timeout",
            Error::Unavailable { .. } => "unavailable",
            Error::PolicyViolation { .. } => "policy_violation",
            Error::Unsupported { .. } => "unsupported",
            Error::Forbidden { .. } => "forbidden",
            Error::Backend { .. } => "backend",
            Error::ChangeRefused(_) => "change_refused",
            Error::Stopped { .. } => "stopped",
        }
    }

    /// A copy of this error for fault injection and fan-out: the same variant and words,
    /// without the (non-clonable) source.
    pub fn duplicate(&self) -> Self {
        match self {
            Error::InvalidInput { field, reason } => Error::invalid(field, reason.clone()),
            Error::NotFound { kind, name } => Error::not_found(kind, name.clone()),
            Error::Conflict { target, reason } => Error::conflict(target.clone(), reason.clone()),
            Error::Timeout { operation, after } => Error::timeout(operation.clone(), *after),
            Error::Unavailable {
                backend,
                reason,
                retry_after,
            } => Error::Unavailable {
                backend,
                reason: reason.clone(),
                retry_after: *retry_after,
            },
            Error::PolicyViolation { policy, reason } => Error::policy(policy, reason.clone()),
            Error::Unsupported { operation, backend } => Error::Unsupported { operation, backend },
            Error::Forbidden {
                backend,
                permission,
                reason,
            } => Error::Forbidden {
                backend,
                permission: permission.clone(),
                reason: reason.clone(),
            },
            Error::Backend {
                backend,
                message,
                retryable,
                ..
            } => Error::backend(backend, message.clone(), *retryable),
            Error::ChangeRefused(r) => Error::ChangeRefused(r.clone()),
            Error::Stopped { why, step } => Error::stopped(why.clone(), step.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_classification() {
        assert!(Error::timeout("rollout", Duration::from_secs(1)).is_retryable());
        assert!(Error::unavailable("kubernetes", "503").is_retryable());
        assert!(Error::conflict("deploy/a", "stale resourceVersion").is_retryable());
        assert!(Error::backend("postgres", "io", true).is_retryable());
        assert!(!Error::backend("postgres", "syntax", false).is_retryable());
        assert!(!Error::invalid("image", "empty").is_retryable());
        assert!(!Error::not_found("deployment", "x").is_retryable());
        assert!(!Error::policy("hpa", "owned").is_retryable());
        assert!(!Error::forbidden("kubernetes", None, "denied").is_retryable());
        assert!(
            !Error::Unsupported {
                operation: "vpa",
                backend: "mock"
            }
            .is_retryable()
        );
    }

    #[test]
    fn display_is_one_line_with_context() {
        let e = Error::invalid("image", "uppercase repository");
        assert_eq!(e.to_string(), "invalid image: uppercase repository");
        let e = Error::not_found("deployment", "mcp-production/web");
        assert_eq!(e.to_string(), "deployment mcp-production/web not found");
        let e = Error::Unavailable {
            backend: "kubernetes",
            reason: "429".into(),
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn duplicate_keeps_variant_and_words() {
        let all = [
            Error::invalid("f", "r"),
            Error::not_found("k", "n"),
            Error::conflict("t", "r"),
            Error::timeout("o", Duration::from_millis(5)),
            Error::unavailable("b", "r"),
            Error::policy("p", "r"),
            Error::Unsupported {
                operation: "o",
                backend: "b",
            },
            Error::backend("b", "m", true),
            Error::forbidden("b", Some(Permission::new("get", "pods")), "r"),
        ];
        for e in &all {
            let d = e.duplicate();
            assert_eq!(d.kind(), e.kind());
            assert_eq!(d.to_string(), e.to_string());
            assert_eq!(d.is_retryable(), e.is_retryable());
            assert_eq!(d.permission(), e.permission());
        }
    }
}
