//! Role password rotation: generate, `ALTER ROLE … PASSWORD` with a SCRAM-SHA-256
//! verifier computed here (the clear text never reaches the server, its logs or this
//! crate's errors), verify a fresh connection with the new password, revert on failure.
//!
//! PostgreSQL keeps one password per role: sessions already open stay connected, but new
//! logins need the new password as soon as it is applied.

use super::{PgBackend, connect, quote_ident, quote_literal};
use crate::error::sqlstate;
use crate::{DbError, PgConfig, Result};
use mcp_ops_core::SecretValue;
use std::time::Duration;

/// Options of [`PgBackend::rotate_role_password`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RotationOptions {
    /// Random bytes in the generated password (default 24 → 32 characters).
    pub password_bytes: usize,
    /// Statement run on the fresh connection to verify it (default `SELECT 1`).
    pub verify_query: String,
    /// Where to verify the new password (default: the backend's configuration). Use an
    /// address where the role must really authenticate (not a `trust` rule).
    pub verify_config: Option<PgConfig>,
    /// Connect timeout of the verification (default 5 s).
    pub verify_timeout: Duration,
    /// The role's current password, used to revert when the stored verifier cannot be
    /// read (reading `pg_authid` needs superuser).
    pub current_password: Option<SecretValue>,
}

impl Default for RotationOptions {
    fn default() -> Self {
        Self {
            password_bytes: 24,
            verify_query: "SELECT 1".to_owned(),
            verify_config: None,
            verify_timeout: Duration::from_secs(5),
            current_password: None,
        }
    }
}

impl RotationOptions {
    /// With a verification statement.
    pub fn with_verify_query(mut self, sql: impl Into<String>) -> Self {
        self.verify_query = sql.into();
        self
    }

    /// With a verification target.
    pub fn with_verify_config(mut self, config: PgConfig) -> Self {
        self.verify_config = Some(config);
        self
    }
}

/// A rotated credential: hand the password to the role's users, then drop it.
#[derive(Debug, Clone)]
pub struct RotatedPassword {
    /// The role.
    pub role: String,
    /// The new password (redacted in `Debug`).
    pub password: SecretValue,
    /// When it was applied.
    pub rotated_at: jiff::Timestamp,
}

/// A SCRAM-SHA-256 verifier for `password` with a random salt, in the form PostgreSQL
/// stores (`SCRAM-SHA-256$4096:salt$StoredKey:ServerKey`).
pub fn scram_verifier(password: &SecretValue) -> String {
    postgres_protocol::password::scram_sha_256(password.expose())
}

impl PgBackend {
    /// Rotates `role`'s password: generate, apply as a SCRAM verifier, verify with a fresh
    /// connection, and put the previous verifier back when verification fails.
    ///
    /// # Errors
    /// [`DbError::NotFound`] for an unknown role; [`DbError::Unsupported`] when the previous
    /// verifier cannot be read and no current password was given (no safe revert);
    /// [`DbError::Rotation`] when verification failed (with `reverted`).
    pub async fn rotate_role_password(
        &self,
        role: &str,
        options: &RotationOptions,
    ) -> Result<RotatedPassword> {
        if role.is_empty() {
            return Err(DbError::invalid("role", "empty role name"));
        }
        let previous = self.previous_verifier(role, options).await?;
        let password = crate::secret::generate_password(options.password_bytes.max(16))?;
        self.set_role_password(role, &password).await?;
        tracing::info!(role, "role password applied, verifying");
        match self.verify_role_password(role, &password, options).await {
            Ok(()) => Ok(RotatedPassword {
                role: role.to_owned(),
                password,
                rotated_at: jiff::Timestamp::now(),
            }),
            Err(e) => {
                let reverted = self.apply_verifier(role, previous.as_deref()).await.is_ok();
                tracing::warn!(role, reverted, "verification of the new password failed");
                Err(DbError::Rotation {
                    role: role.to_owned(),
                    reason: e.to_string(),
                    reverted,
                })
            }
        }
    }

    /// Sets `role`'s password, sending only a SCRAM-SHA-256 verifier.
    ///
    /// # Errors
    /// [`DbError::NotFound`] for an unknown role; statement failures.
    pub async fn set_role_password(&self, role: &str, password: &SecretValue) -> Result<()> {
        self.apply_verifier(role, Some(&scram_verifier(password)))
            .await
    }

    /// Opens a fresh connection as `role` with `password` and runs the verification query.
    ///
    /// # Errors
    /// Connection or query failures (messages never contain the password).
    pub async fn verify_role_password(
        &self,
        role: &str,
        password: &SecretValue,
        options: &RotationOptions,
    ) -> Result<()> {
        let base = options.verify_config.as_ref().unwrap_or(self.config());
        let config = base
            .with_credentials(role, password)
            .with_connect_timeout(options.verify_timeout);
        let client = connect(&config).await?;
        client
            .simple_query(&options.verify_query)
            .await
            .map_err(DbError::query("verification query"))?;
        Ok(())
    }

    async fn previous_verifier(
        &self,
        role: &str,
        options: &RotationOptions,
    ) -> Result<Option<String>> {
        let client = self.client().await?;
        let exists = client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
            .await
            .map_err(DbError::query("looking up the role"))?;
        if exists.is_none() {
            return Err(DbError::NotFound {
                kind: "role",
                name: role.to_owned(),
            });
        }
        match client
            .query_opt(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
                &[&role],
            )
            .await
        {
            Ok(row) => Ok(row.and_then(|r| r.get::<_, Option<String>>(0))),
            Err(e) if sqlstate(&e) == Some("42501") => match &options.current_password {
                Some(pw) => Ok(Some(scram_verifier(pw))),
                None => Err(DbError::Unsupported {
                    feature: "reverting a rotation",
                    reason: "reading pg_authid needs superuser; pass the current password"
                        .to_owned(),
                }),
            },
            Err(e) => Err(DbError::Query {
                operation: "reading the stored verifier",
                source: e,
            }),
        }
    }

    async fn apply_verifier(&self, role: &str, verifier: Option<&str>) -> Result<()> {
        let value = verifier
            .map(quote_literal)
            .unwrap_or_else(|| "NULL".to_owned());
        let client = self.client().await?;
        client
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD {value}",
                quote_ident(role)
            ))
            .await
            .map_err(|e| match sqlstate(&e) {
                Some("42704") => DbError::NotFound {
                    kind: "role",
                    name: role.to_owned(),
                },
                _ => DbError::Query {
                    operation: "ALTER ROLE … PASSWORD",
                    source: e,
                },
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_has_postgres_format_and_no_clear_text() {
        let pw = SecretValue::from_str_value("correct horse battery staple");
        let v = scram_verifier(&pw);
        assert!(v.starts_with("SCRAM-SHA-256$4096:"), "{v}");
        assert!(!v.contains("horse"));
        assert_ne!(v, scram_verifier(&pw), "salts must differ");
    }
}
