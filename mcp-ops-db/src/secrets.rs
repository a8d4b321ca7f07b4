//! [`mcp_ops_core::SecretRotator`] for PostgreSQL role passwords: [`PgRoleRotator`].
//!
//! A [`SecretKeyRef`] names a role as `<namespace>/<role>[password]`, where `namespace` is
//! the label this rotator was built with (the database's logical name). PostgreSQL keeps
//! one password per role, so "staged" lives in this process until `apply`, which sends
//! only a SCRAM-SHA-256 verifier; `revert` puts the previous stored verifier back
//! byte for byte. Versions count changes made through this rotator (they start at 1).
//! Reading the stored verifier needs superuser (`pg_authid`).

use crate::pg::{PgBackend, connect, scram_verifier};
use crate::{DbError, PgConfig};
use async_trait::async_trait;
use mcp_ops_core::secrets::{
    PendingRotation, SecretCheck, SecretKeyRef, SecretVersion, StagedSecret,
};
use mcp_ops_core::types::{Intent, SecretValue};
use mcp_ops_core::{Error, Result, SecretRotator};
use std::collections::HashMap;
use tokio::sync::Mutex;

/// The only key a role has.
pub const PASSWORD_KEY: &str = "password";

#[derive(Default)]
struct RoleState {
    version: u64,
    /// Fingerprints of the values behind verifiers this rotator set.
    known: HashMap<String, String>,
    /// The value applied last, while it is current.
    applied: Option<(String, SecretValue)>,
    staged: Option<SecretValue>,
    /// The stored verifier before the last apply (`None` inside = no password).
    previous: Option<Option<String>>,
    since: Option<jiff::Timestamp>,
    /// Applied and neither finished nor reverted (kept in this process only).
    unverified: bool,
}

/// Rotates PostgreSQL role passwords through [`SecretRotator`].
pub struct PgRoleRotator {
    backend: PgBackend,
    namespace: String,
    verify_config: Option<PgConfig>,
    verify_query: String,
    roles: Mutex<HashMap<String, RoleState>>,
}

impl std::fmt::Debug for PgRoleRotator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRoleRotator")
            .field("namespace", &self.namespace)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl PgRoleRotator {
    /// Rotates roles of `backend`'s server, answering to keys in `namespace`.
    ///
    /// ```
    /// use mcp_ops_core::SecretRotator;
    /// use mcp_ops_db::{PgBackend, PgConfig, PgOptions, PgRoleRotator};
    ///
    /// # fn main() -> mcp_ops_core::Result<()> {
    /// let admin = PgConfig::parse("postgres://postgres@db.internal:5432/postgres")?;
    /// let rotator = PgRoleRotator::new(PgBackend::new(admin, PgOptions::default())?, "mcp-production")
    ///     // Verify new passwords where the role must really authenticate.
    ///     .with_verify_config(PgConfig::parse("postgres://db.internal:5432/mcp_db")?);
    /// assert_eq!(rotator.backend(), "postgres");
    /// // rotator.stage(..) / apply(..) rotate a role through the core SecretRotator calls.
    /// # Ok(()) }
    /// ```
    pub fn new(backend: PgBackend, namespace: impl Into<String>) -> Self {
        Self {
            backend,
            namespace: namespace.into(),
            verify_config: None,
            verify_query: "SELECT 1".to_owned(),
            roles: Mutex::new(HashMap::new()),
        }
    }

    /// Verifies logins against `config` (default: the backend's configuration).
    pub fn with_verify_config(mut self, config: PgConfig) -> Self {
        self.verify_config = Some(config);
        self
    }

    /// Runs `sql` on the verification login (default `SELECT 1`).
    pub fn with_verify_query(mut self, sql: impl Into<String>) -> Self {
        self.verify_query = sql.into();
        self
    }

    fn role<'a>(&self, target: &'a SecretKeyRef) -> Result<&'a str> {
        if target.namespace().as_str() != self.namespace || target.key() != PASSWORD_KEY {
            return Err(Error::not_found("secret", target.to_string()));
        }
        Ok(target.name().as_str())
    }

    /// The stored verifier of `role` (`None` when it has no password).
    async fn stored(&self, role: &str) -> Result<Option<String>> {
        let client = self.backend.client().await?;
        let row = client
            .query_opt(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
                &[&role],
            )
            .await
            .map_err(|e| match crate::error::sqlstate(&e) {
                Some("42501") => Error::Unsupported {
                    operation: "reading role passwords without superuser",
                    backend: "postgres",
                },
                _ => DbError::Query {
                    operation: "reading pg_authid",
                    source: e,
                }
                .into(),
            })?;
        match row {
            Some(r) => Ok(r.get(0)),
            None => Err(Error::not_found("role", role)),
        }
    }

    async fn set(&self, role: &str, verifier: Option<&str>) -> Result<()> {
        let value = verifier
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .unwrap_or_else(|| "NULL".to_owned());
        let client = self.backend.client().await?;
        client
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD {value}",
                crate::pg::quote_ident(role)
            ))
            .await
            .map_err(|e| DbError::Query {
                operation: "ALTER ROLE … PASSWORD",
                source: e,
            })?;
        Ok(())
    }

    fn version_of(state: &RoleState, verifier: Option<&str>) -> SecretVersion {
        let key = verifier.unwrap_or_default();
        let fingerprint = state
            .known
            .get(key)
            .cloned()
            .unwrap_or_else(|| SecretValue::new(key.as_bytes().to_vec()).fingerprint());
        SecretVersion {
            version: state.version.max(1),
            fingerprint,
            since: state.since,
        }
    }
}

fn password_of(value: &SecretValue) -> Result<SecretValue> {
    let text = value.expose_str()?;
    if text.contains('\0') {
        return Err(Error::invalid(
            "secret",
            "a PostgreSQL password cannot contain NUL (content withheld)",
        ));
    }
    Ok(SecretValue::from_str_value(text))
}

#[async_trait]
impl SecretRotator for PgRoleRotator {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn current(&self, target: &SecretKeyRef) -> Result<SecretVersion> {
        let role = self.role(target)?;
        let stored = self.stored(role).await?;
        let mut roles = self.roles.lock().await;
        let state = roles.entry(role.to_owned()).or_default();
        Ok(Self::version_of(state, stored.as_deref()))
    }

    async fn stage(
        &self,
        target: &SecretKeyRef,
        value: &SecretValue,
        intent: &Intent,
    ) -> Result<StagedSecret> {
        let role = self.role(target)?;
        password_of(value)?;
        let stored = self.stored(role).await?;
        let mut roles = self.roles.lock().await;
        let state = roles.entry(role.to_owned()).or_default();
        if state.staged.is_some() {
            return Err(Error::conflict(
                target.to_string(),
                "a value is already staged",
            ));
        }
        if state.unverified {
            return Err(Error::conflict(
                target.to_string(),
                "the last rotation was applied and never finished; resume or abort it first",
            ));
        }
        let current = Self::version_of(state, stored.as_deref());
        let staged = SecretVersion {
            version: current.version + 1,
            fingerprint: value.fingerprint(),
            since: None,
        };
        tracing::info!(target = %target, reason = intent.reason(), dry_run = intent.is_dry_run(), "stage role password");
        if !intent.is_dry_run() {
            state.staged = Some(value.clone());
        }
        Ok(StagedSecret {
            target: target.clone(),
            current,
            staged,
            dry_run: intent.is_dry_run(),
        })
    }

    async fn apply(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        let role = self.role(target)?;
        let stored = self.stored(role).await?;
        let mut roles = self.roles.lock().await;
        let state = roles.entry(role.to_owned()).or_default();
        let Some(value) = state.staged.clone() else {
            return Err(Error::conflict(target.to_string(), "nothing staged"));
        };
        let current = Self::version_of(state, stored.as_deref());
        let next = SecretVersion {
            version: current.version + 1,
            fingerprint: value.fingerprint(),
            since: Some(jiff::Timestamp::now()),
        };
        tracing::info!(target = %target, reason = intent.reason(), dry_run = intent.is_dry_run(), "apply role password");
        if intent.is_dry_run() {
            return Ok(next);
        }
        let verifier = scram_verifier(&password_of(&value)?);
        self.set(role, Some(&verifier)).await?;
        state.known.insert(verifier.clone(), value.fingerprint());
        state.applied = Some((verifier, value));
        state.previous = Some(stored);
        state.staged = None;
        state.version = next.version;
        state.since = next.since;
        state.unverified = true;
        Ok(next)
    }

    async fn verify(&self, target: &SecretKeyRef) -> Result<SecretCheck> {
        let role = self.role(target)?;
        let stored = self.stored(role).await?;
        let password = {
            let roles = self.roles.lock().await;
            match roles.get(role).and_then(|s| s.applied.as_ref()) {
                Some((verifier, value)) if Some(verifier) == stored.as_ref() => password_of(value)?,
                _ => return Ok(SecretCheck::NotApplicable),
            }
        };
        let base = self.verify_config.as_ref().unwrap_or(self.backend.config());
        let config = base.with_credentials(role, &password);
        let outcome = match connect(&config).await {
            Ok(client) => client
                .simple_query(&self.verify_query)
                .await
                .map(|_| ())
                .map_err(|e| mcp_ops_core::redact_text(&e.to_string())),
            Err(e @ DbError::Connect { .. }) => Err(mcp_ops_core::redact_text(&format!(
                "{e}: {}",
                std::error::Error::source(&e)
                    .map(|s| s.to_string())
                    .unwrap_or_default()
            ))),
            Err(e) => return Err(e.into()),
        };
        Ok(match outcome {
            Ok(()) => SecretCheck::Works,
            Err(why) => SecretCheck::Rejected { why },
        })
    }

    async fn revert(&self, target: &SecretKeyRef, intent: &Intent) -> Result<SecretVersion> {
        let role = self.role(target)?;
        let mut roles = self.roles.lock().await;
        let state = roles.entry(role.to_owned()).or_default();
        if state.staged.is_some() {
            // Staged and never applied: dropping it is the whole revert.
            let stored = self.stored(role).await?;
            if !intent.is_dry_run() {
                state.staged = None;
            }
            return Ok(Self::version_of(state, stored.as_deref()));
        }
        let Some(previous) = state.previous.clone() else {
            return Err(Error::conflict(
                target.to_string(),
                "no previous version to revert to",
            ));
        };
        tracing::info!(target = %target, reason = intent.reason(), dry_run = intent.is_dry_run(), "revert role password");
        let mut next = Self::version_of(state, previous.as_deref());
        next.version = state.version.max(1) + 1;
        if intent.is_dry_run() {
            return Ok(next);
        }
        self.set(role, previous.as_deref()).await?;
        state.previous = None;
        state.staged = None;
        state.applied = None;
        state.unverified = false;
        state.version = next.version;
        state.since = Some(jiff::Timestamp::now());
        next.since = state.since;
        Ok(next)
    }

    async fn pending(&self, target: &SecretKeyRef) -> Result<Option<PendingRotation>> {
        let role = self.role(target)?;
        let stored = self.stored(role).await?;
        let mut roles = self.roles.lock().await;
        let state = roles.entry(role.to_owned()).or_default();
        let current = Self::version_of(state, stored.as_deref());
        if let Some(staged) = &state.staged {
            return Ok(Some(PendingRotation::Staged {
                staged: SecretVersion {
                    version: current.version + 1,
                    fingerprint: staged.fingerprint(),
                    since: None,
                },
            }));
        }
        if !state.unverified {
            return Ok(None);
        }
        let previous = state.previous.clone().map(|p| SecretVersion {
            version: current.version.saturating_sub(1).max(1),
            ..Self::version_of(state, p.as_deref())
        });
        Ok(Some(PendingRotation::Applied { current, previous }))
    }

    async fn finish(&self, target: &SecretKeyRef, intent: &Intent) -> Result<()> {
        let role = self.role(target)?;
        let mut roles = self.roles.lock().await;
        let state = roles.entry(role.to_owned()).or_default();
        if state.staged.is_some() {
            return Err(Error::conflict(
                target.to_string(),
                "a value is staged and not applied: nothing to finish",
            ));
        }
        if !intent.is_dry_run() {
            state.unverified = false;
        }
        Ok(())
    }
}
