//! Verifying and restoring a configuration backup: the checksum is always checked, the YAML
//! must parse as the objects the manifest counts, and a test restore is never done.

use std::time::Instant;

use jiff::Timestamp;
use mcp_ops_core::backup::{
    BackupId, RestoreOptions, RestoreReport, TestRestore, VerificationReport,
};
use mcp_ops_core::types::Intent;
use mcp_ops_core::{Error, Result};

use super::files::sha256_hex;
use super::{ConfigBackupManifest, ConfigBackups, ConfigRestoreRun};
use crate::config_backup::DATA_AGE;
use crate::config_backup::encryption::well_formed;
use crate::error::BACKEND;

/// Whether the YAML parses as documents that each name an apiVersion and a kind, as many as
/// the manifest counts, with a well-formed age file for each Secret it lists as encrypted.
fn readable(yaml: &str, manifest: &ConfigBackupManifest) -> bool {
    serde_saphyr::from_str_multiple::<serde_json::Value, Vec<_>>(yaml).is_ok_and(|docs| {
        let encrypted: Vec<String> = docs
            .iter()
            .filter(|d| d["kind"] == "Secret")
            .filter(|d| {
                d["metadata"]["annotations"][DATA_AGE]
                    .as_str()
                    .is_some_and(well_formed)
            })
            .map(|d| {
                format!(
                    "secret/{}",
                    d["metadata"]["name"].as_str().unwrap_or_default()
                )
            })
            .collect();
        docs.len() == manifest.objects
            && docs
                .iter()
                .all(|d| d["apiVersion"].is_string() && d["kind"].is_string())
            && encrypted == manifest.secrets_encrypted
    })
}

impl ConfigBackups {
    /// Restores backup `id` into its namespace and says what happened to each object.
    ///
    /// The checksum is always checked (a mismatch is refused, nothing applied); with
    /// `verify_first` the full [`verify`](mcp_ops_core::BackupManager::verify) runs too. A
    /// restore that runs past `options.timeout` stops where it is (objects already applied
    /// stay). Encrypted Secrets are decrypted with the identity given to
    /// [`with_identity`](ConfigBackups::with_identity), all before anything is applied, or
    /// skipped without one (see [`crate::KubeCluster::restore_config_with`]).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::PolicyViolation`] when the backup fails
    /// its checks; [`Error::Unsupported`] when integrity checks (SQL queries) are asked for;
    /// [`Error::Timeout`]; [`Error::InvalidInput`] (field `age identity`, naming the Secret)
    /// when the identity cannot decrypt an encrypted Secret, nothing applied; backend errors
    /// from the restore.
    pub async fn restore_run(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<ConfigRestoreRun> {
        let started = Instant::now();
        let (manifest, yaml) = self.load(id).await?;
        if !options.integrity_checks.is_empty() {
            return Err(Error::Unsupported {
                operation: "integrity checks after a configuration restore",
                backend: BACKEND,
            });
        }
        let yaml = match yaml {
            Some(y) if sha256_hex(y.as_bytes())? == manifest.sha256 => y,
            _ => {
                return Err(Error::policy(
                    "verified-backup",
                    format!("backup {id} does not match its checksum; nothing restored"),
                ));
            }
        };
        let verification = if options.verify_first {
            let v = self.check(id, &manifest, Some(&yaml), false)?;
            if !v.passed() {
                return Err(Error::policy(
                    "verified-backup",
                    format!(
                        "backup {id} failed verification ({}); nothing restored",
                        v.failures()
                    ),
                ));
            }
            Some(v)
        } else {
            None
        };
        tracing::info!(%id, namespace = %manifest.namespace, reason = intent.reason(),
            actor = intent.actor(), dry_run = intent.is_dry_run(), "restore configuration");
        let apply = self.kube.restore_config_with(
            &manifest.namespace,
            &yaml,
            intent,
            self.identity.as_ref(),
        );
        let objects = match options.timeout {
            Some(limit) => tokio::time::timeout(limit, apply)
                .await
                .map_err(|_| Error::timeout(format!("restore of {id}"), limit))??,
            None => apply.await?,
        };
        Ok(ConfigRestoreRun {
            report: RestoreReport {
                id: id.clone(),
                verification,
                checks: Vec::new(),
                duration: started.elapsed(),
                dry_run: objects.dry_run,
            },
            objects,
        })
    }

    /// Verifies the loaded backup.
    pub(super) fn check(
        &self,
        id: &BackupId,
        manifest: &ConfigBackupManifest,
        yaml: Option<&str>,
        test_restore_asked: bool,
    ) -> Result<VerificationReport> {
        let checksum_ok = match yaml {
            Some(y) => sha256_hex(y.as_bytes())? == manifest.sha256,
            None => false,
        };
        Ok(VerificationReport {
            id: id.clone(),
            checksum_ok,
            readable: Some(yaml.is_some_and(|y| readable(y, manifest))),
            test_restore: if test_restore_asked {
                TestRestore::NotSupported
            } else {
                TestRestore::Skipped
            },
            verified_at: Timestamp::now(),
        })
    }
}
