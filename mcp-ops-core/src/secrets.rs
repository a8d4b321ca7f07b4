//! `SecretRotator`: replace a credential as a transaction — stage, apply, verify, revert.
//!
//! Covers the runbook's `openssl rand -base64 32` / `-base64 24`, `kubectl patch secret
//! mcp-secrets … jwt-secret` and `ALTER ROLE … PASSWORD` (runbook: Secret
//! Rotation, Security Updates). Restarting the dependents and checking their health is the
//! job of the `rotate_secret` procedure, which drives this trait together with `Deployer`
//! and `HealthCheck`.

use std::fmt;

use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::Intent;
use crate::types::{DeploymentRef, Namespace, ResourceName, SecretValue};

/// One key of one secret (`mcp-production/mcp-secrets` key `jwt-secret`), or a database role
/// when the backend is a database (namespace is then the database).
///
/// The fields are private so every value, built or deserialized, went through
/// [`SecretKeyRef::new`]'s validation; read them with [`namespace`](Self::namespace),
/// [`name`](Self::name) and [`key`](Self::key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawSecretKeyRef")]
pub struct SecretKeyRef {
    namespace: Namespace,
    name: ResourceName,
    key: String,
}

impl SecretKeyRef {
    /// Validates a reference.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an ill-formed namespace, name or key.
    pub fn new(namespace: &str, name: &str, key: &str) -> Result<Self> {
        if key.is_empty() || key.len() > 253 {
            return Err(Error::invalid("secret key", "must be 1 to 253 characters"));
        }
        if key == "." || key == ".." {
            return Err(Error::invalid("secret key", "must not be '.' or '..'"));
        }
        if let Some(c) = key
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(Error::invalid(
                "secret key",
                format!("character {c:?} is not allowed (use A-Z a-z 0-9 - _ .)"),
            ));
        }
        Ok(Self {
            namespace: Namespace::new(namespace)?,
            name: ResourceName::new(name)?,
            key: key.to_owned(),
        })
    }

    /// The namespace (or database) holding the secret.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// The secret (or role).
    pub fn name(&self) -> &ResourceName {
        &self.name
    }

    /// The key inside it: 1–253 characters of `[-._a-zA-Z0-9]` (Kubernetes' rule).
    pub fn key(&self) -> &str {
        &self.key
    }
}

/// The serialized form of a [`SecretKeyRef`], validated by [`SecretKeyRef::new`] on the way in.
#[derive(Deserialize)]
struct RawSecretKeyRef {
    namespace: String,
    name: String,
    key: String,
}

impl TryFrom<RawSecretKeyRef> for SecretKeyRef {
    type Error = Error;
    fn try_from(raw: RawSecretKeyRef) -> Result<Self> {
        Self::new(&raw.namespace, &raw.name, &raw.key)
    }
}

impl fmt::Display for SecretKeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}[{}]", self.namespace, self.name, self.key)
    }
}

/// A version of a secret key as the backend numbers them, with a fingerprint that is safe to
/// log (never the value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVersion {
    /// Increases by one with every change.
    pub version: u64,
    /// The value's [`SecretValue::fingerprint`]: 12 hex characters, keyed per process, so
    /// comparable with other fingerprints of the same run only.
    pub fingerprint: String,
    /// When this version became current.
    pub since: Option<Timestamp>,
}

/// The result of staging a new value: stored beside the current one, not yet in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedSecret {
    /// The key.
    pub target: SecretKeyRef,
    /// The version that is current and stays current until `apply`.
    pub current: SecretVersion,
    /// The version staged.
    pub staged: SecretVersion,
    /// `true` when this was a dry run and nothing was stored.
    pub dry_run: bool,
}

/// How a backend verified a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SecretCheck {
    /// The backend proved the value works (e.g. a fresh database login succeeded).
    Works,
    /// The backend proved the value does not work.
    Rejected {
        /// Why.
        why: String,
    },
    /// The backend has nothing to check it against (a plain Kubernetes Secret); the
    /// dependents' health decides.
    NotApplicable,
}

/// A phase of a rotation, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotationPhase {
    /// The new value is stored but not in use.
    Staged,
    /// The new value is the current one.
    Applied,
    /// The dependents were restarted.
    Restarted,
    /// The dependents are healthy and the backend accepted the value.
    Verified,
    /// Something failed; the previous value is current again.
    Reverted {
        /// What failed.
        why: String,
    },
}

/// Where an unfinished rotation of a key stands (see [`SecretRotator::pending`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PendingRotation {
    /// A new value is staged beside the current one and was never applied.
    Staged {
        /// The version staged.
        staged: SecretVersion,
    },
    /// The new value is current but the rotation was never verified (finished) nor reverted:
    /// the previous value is kept, and must not be overwritten, until one of them happens.
    Applied {
        /// The version current (the new value).
        current: SecretVersion,
        /// The version kept to go back to (`None` when the backend lost it).
        previous: Option<SecretVersion>,
    },
}

impl PendingRotation {
    /// `staged` or `applied`.
    pub fn phase(&self) -> &'static str {
        match self {
            PendingRotation::Staged { .. } => "staged",
            PendingRotation::Applied { .. } => "applied",
        }
    }
}

/// The record of a rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationReport {
    /// The key.
    pub target: SecretKeyRef,
    /// Phases reached, in order; the last one is the outcome.
    pub phases: Vec<RotationPhase>,
    /// The version before.
    pub previous: SecretVersion,
    /// The version current at the end (equal to `previous` after a revert).
    pub current: SecretVersion,
    /// `true` when this was a dry run and nothing was changed.
    pub dry_run: bool,
}

impl RotationReport {
    /// The final phase, if any.
    pub fn outcome(&self) -> Option<&RotationPhase> {
        self.phases.last()
    }

    /// Whether the rotation completed (ended `Verified`).
    pub fn succeeded(&self) -> bool {
        matches!(self.outcome(), Some(RotationPhase::Verified))
    }
}

/// Stores and switches credentials.
///
/// The steps are separate so a procedure can restart dependents between `apply` and the
/// final verification and can `revert` when anything fails.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::types::{SecretSpec, SecretValue};
/// use mcp_ops_core::{Intent, SecretKeyRef, SecretRotator};
///
/// let kit = mcp_ops_core::testkit::TestKit::runbook().await?;
/// let rotator: &dyn SecretRotator = &kit.cluster;
/// let jwt = SecretKeyRef::new("mcp-production", "mcp-secrets", "jwt-secret")?;
/// let intent = Intent::new("monthly JWT rotation", "ops-bot")?;
/// let before = rotator.current(&jwt).await?;
/// let value = SecretValue::generate(&SecretSpec::JWT)?;
/// rotator.stage(&jwt, &value, &intent).await?;
/// let after = rotator.apply(&jwt, &intent).await?;
/// assert!(after.version > before.version);
/// assert_ne!(after.fingerprint, before.fingerprint);
/// // Dependents broke: put the previous value back.
/// let reverted = rotator.revert(&jwt, &intent).await?;
/// assert_eq!(reverted.fingerprint, before.fingerprint);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait SecretRotator: Send + Sync {
    /// The backend's name, for reports and errors.
    fn backend(&self) -> &'static str;

    /// The current version of a key.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the secret or key does not exist.
    async fn current(&self, target: &SecretKeyRef) -> Result<SecretVersion>;

    /// Stores `value` as the next version without making it current.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the secret does not exist;
    /// [`crate::Error::Conflict`] when another version is already staged.
    async fn stage(
        &self,
        target: &SecretKeyRef,
        value: &SecretValue,
        intent: &Intent,
    ) -> Result<StagedSecret>;

    /// Makes the staged version current; the previous one is kept for `revert`.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when nothing is staged.
    async fn apply(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion>;

    /// Checks the current value against the backend.
    ///
    /// # Errors
    /// Backend errors (a value that does not work is `Ok(SecretCheck::Rejected)`).
    async fn verify(&self, target: &SecretKeyRef) -> Result<SecretCheck>;

    /// Makes the previous version current again and drops anything staged. When a value is
    /// staged and was never applied, only drops it (the current value stays).
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when nothing is staged and there is no previous version.
    async fn revert(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion>;

    /// The unfinished rotation of `target`, if any: a value staged and not applied, or a
    /// value applied and neither [`finish`](Self::finish)ed nor reverted. While one exists,
    /// [`stage`](Self::stage) is a `Conflict`, so the previous value the dependents may still
    /// use is never overwritten. A backend that keeps no such record answers `Ok(None)`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] when the secret or key does not exist; backend errors.
    async fn pending(&self, target: &SecretKeyRef) -> Result<Option<PendingRotation>> {
        self.current(target).await.map(|_| None)
    }

    /// Marks the rotation of `target` verified: the previous value stays available for a
    /// later `revert`, but no rotation is pending any more.
    ///
    /// # Errors
    /// [`crate::Error::Conflict`] when a value is staged and not applied; backend errors.
    async fn finish(&self, target: &SecretKeyRef, intent: &Intent) -> Result<()> {
        let _ = (target, intent);
        Ok(())
    }

    /// The deployments of the secret's namespace whose pods read this secret, when the
    /// backend can tell (`None`: it cannot, e.g. a database role).
    ///
    /// # Errors
    /// Backend errors.
    async fn readers(&self, target: &SecretKeyRef) -> Result<Option<Vec<DeploymentRef>>> {
        let _ = target;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn key_refs() {
        assert!(SecretKeyRef::new("mcp-production", "mcp-secrets", "jwt-secret").is_ok());
        assert!(SecretKeyRef::new("mcp-production", "mcp-secrets", "DB_PASSWORD.v2").is_ok());
        let long = "k".repeat(254);
        for (ns, name, key) in [
            ("mcp-production", "mcp-secrets", ""),
            ("mcp-production", "mcp-secrets", "."),
            ("mcp-production", "mcp-secrets", ".."),
            ("mcp-production", "mcp-secrets", "a/b"),
            ("mcp-production", "mcp-secrets", "a b"),
            ("mcp-production", "mcp-secrets", "ключ"),
            ("mcp-production", "mcp-secrets", long.as_str()),
            ("MCP", "mcp-secrets", "k"),
            ("", "mcp-secrets", "k"),
            ("mcp-production", "Secrets", "k"),
            ("mcp-production", "", "k"),
        ] {
            assert!(
                SecretKeyRef::new(ns, name, key).is_err(),
                "{ns} {name} {key}"
            );
        }
        let json = r#"{"namespace":"mcp-production","name":"mcp-secrets","key":"jwt-secret"}"#;
        let ok: SecretKeyRef = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&ok).unwrap(), json);
        assert_eq!(ok.namespace().as_str(), "mcp-production");
        assert_eq!(ok.name().as_str(), "mcp-secrets");
        assert_eq!(ok.key(), "jwt-secret");
        for bad_key in ["", ".", "..", "a/b", "data/../x", "a b", long.as_str()] {
            let json = format!(
                r#"{{"namespace":"mcp-production","name":"mcp-secrets","key":"{bad_key}"}}"#
            );
            let err = serde_json::from_str::<SecretKeyRef>(&json).unwrap_err();
            assert!(err.to_string().contains("secret key"), "{bad_key:?}: {err}");
        }
        for (ns, name) in [("MCP", "mcp-secrets"), ("mcp-production", "../secrets")] {
            let json = format!(r#"{{"namespace":"{ns}","name":"{name}","key":"k"}}"#);
            assert!(
                serde_json::from_str::<SecretKeyRef>(&json).is_err(),
                "{ns}/{name} must not deserialize"
            );
        }
        let missing = r#"{"namespace":"mcp-production","name":"mcp-secrets"}"#;
        assert!(serde_json::from_str::<SecretKeyRef>(missing).is_err());
    }
}
