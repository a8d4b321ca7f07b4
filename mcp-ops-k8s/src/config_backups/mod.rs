//! [`BackupManager`] for namespace configuration backups kept as files: the runbook's
//! `kubectl get all,configmaps,secrets -o yaml > backup-config.yaml`, with a checksum, a
//! manifest and a restore that checks first.
//!
//! A backup is the YAML of [`KubeCluster::export_config_with`] (**no Secret value is ever
//! written in plain text**, see [`crate::config_backup`]) in `<dir>/<id>.yaml` and its
//! [`ConfigBackupManifest`] in `<dir>/<id>.json`. Both are written to a hidden `.partial`
//! file (mode 0600 on unix), fsynced and renamed into place, the YAML first: a backup without
//! a manifest does not exist. Ids are `config-<namespace>[-<label>]-<UTC yyyymmdd-hhmmss>`,
//! with `-2`, `-3` … appended when taken; every id is a [`BackupId`] and is checked again to
//! be one plain file name before any path is built, so no id can reach outside `dir`.
//!
//! - [`backup`](BackupManager::backup) takes only [`BackupKind::Configuration`] (others are
//!   [`Error::Unsupported`]); a dry run neither reads the cluster nor writes a file and returns
//!   the planned id and location with status `Running`. An export that finds no object is
//!   [`Error::NotFound`] when the namespace does not exist.
//! - [`list`](BackupManager::list) reads the manifests; a file that is not one is ignored,
//!   and a manifest that cannot be parsed (or names another id) is skipped with a `tracing`
//!   warning instead of failing the whole list. Asked for by id, such a manifest is an
//!   [`Error::Backend`] for `verify` and `restore`; a manifest whose YAML is missing or
//!   altered verifies with `checksum_ok == false`.
//! - [`verify`](BackupManager::verify) recomputes the SHA-256 and parses the YAML. A test
//!   restore is never done (`Skipped`, or `NotSupported` when one is asked for): it would need
//!   a scratch namespace, and restoring Deployments there would start real pods.
//! - [`restore`](BackupManager::restore) refuses a backup whose checksum does not match, even
//!   with `verify_first == false`, and then applies it with
//!   [`KubeCluster::restore_config`] (a dry run applies nothing). Secrets are left as they are.
//!   [`ConfigBackups::restore_run`] also returns what happened to each object.
//!
//! The SHA-256 comes from the `sha2` crate.
//!
//! Secret values are left out unless [`ConfigBackups::with_recipients`] is set: then they are
//! age-encrypted to those recipients, and the manifest lists the encrypted Secrets
//! (`secrets_encrypted`) and the recipients' public keys (`age_recipients`). A restore applies
//! encrypted Secrets only with [`ConfigBackups::with_identity`]; without it they are skipped
//! (`encrypted: no identity given`), and with an identity that cannot decrypt one of them the
//! restore fails before anything is applied (a dry run decrypts too). `verify` checks that each
//! encrypted Secret's data is a well-formed age file, without any key.
//!
//! Layout: `files` (paths, atomic writes, manifest I/O, checksums), `restore` (verify and
//! restore); the types and the [`BackupManager`] implementation are here.

mod files;
mod restore;

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use jiff::Timestamp;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, RestoreReport, VerificationReport,
};
use mcp_ops_core::types::{Intent, Namespace, SecretValue};
use mcp_ops_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::cluster::KubeCluster;
use crate::config_backup::encryption::parse_identities;
use crate::config_backup::{AgeRecipients, ConfigRestore, SecretEncryption};
use crate::error::BACKEND;
use files::{blocking, file_in, read_manifest, read_manifests, read_regular, sha256_hex, store};

/// What `<id>.json` holds next to a configuration backup `<id>.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigBackupManifest {
    /// The backup's id (the file stem of both files).
    pub id: BackupId,
    /// The namespace exported, and restored into.
    pub namespace: Namespace,
    /// The label asked for, if any.
    pub label: Option<String>,
    /// Objects in the YAML.
    pub objects: usize,
    /// `secret/NAME` of every Secret whose values were left out.
    pub secrets_without_values: Vec<String>,
    /// `secret/NAME` of every Secret whose values are in the YAML, age-encrypted.
    #[serde(default)]
    pub secrets_encrypted: Vec<String>,
    /// The public keys (`age1…`) the Secret values are encrypted to; empty when they were
    /// left out.
    #[serde(default)]
    pub age_recipients: Vec<String>,
    /// SHA-256 of the YAML file, lower-case hex.
    pub sha256: String,
    /// Size of the YAML file in bytes.
    pub size: u64,
    /// When the export started.
    pub started: Timestamp,
    /// When the YAML was on disk.
    pub finished: Timestamp,
    /// The intent's change-cause (reason, actor, ticket).
    pub change_cause: String,
}

/// A restore with what it did to each object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRestoreRun {
    /// The report the [`BackupManager`] trait returns.
    pub report: RestoreReport,
    /// Objects created, replaced and skipped (Secrets whose values are not in the backup, or
    /// are encrypted and no identity was given).
    pub objects: ConfigRestore,
}

/// Configuration backups of namespaces over a [`KubeCluster`], kept as files in one directory.
#[derive(Debug, Clone)]
pub struct ConfigBackups {
    kube: KubeCluster,
    dir: PathBuf,
    encryption: SecretEncryption,
    identity: Option<SecretValue>,
    /// Leftovers of interrupted backups removed so far (for [`BackupManager::notices`]).
    removed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConfigBackups {
    /// Backups of namespace configuration in `dir`, which is created (mode 0700 on unix)
    /// when missing; an existing directory keeps its mode.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_k8s::{ConfigBackups, KubeCluster};
    ///
    /// let cluster = KubeCluster::from_config(kube::Config::new("http://127.0.0.1:6443".parse()?))?;
    /// let dir = tempfile::tempdir()?;
    /// let backups = ConfigBackups::new(cluster.clone(), dir.path().join("config"))?;
    /// assert_eq!(backups.dir(), dir.path().join("config"));
    ///
    /// // A file where the directory should be is refused.
    /// std::fs::write(dir.path().join("file"), b"")?;
    /// assert!(ConfigBackups::new(cluster, dir.path().join("file")).is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Backend`] when the directory cannot be created.
    pub fn new(kube: KubeCluster, dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        if dir.exists() && !dir.is_dir() {
            return Err(Error::invalid(
                "backup directory",
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(Self {
            kube,
            dir,
            encryption: SecretEncryption::None,
            identity: None,
            removed: std::sync::Arc::default(),
        })
    }

    /// Backups taken from now on keep Secret values, age-encrypted to `recipients`.
    pub fn with_recipients(mut self, recipients: AgeRecipients) -> Self {
        self.encryption = SecretEncryption::Age(recipients);
        self
    }

    /// Restores decrypt encrypted Secret values with `identity`: an age X25519 secret key
    /// (`AGE-SECRET-KEY-1…`) or the text of an age identity file. It is kept in memory only,
    /// zeroized on drop, and never logged.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (field `age identity`, without its content) when it holds no
    /// valid secret key.
    pub fn with_identity(mut self, identity: SecretValue) -> Result<Self> {
        parse_identities(&identity)?;
        self.identity = Some(identity);
        Ok(self)
    }

    /// What backups do with Secret values.
    pub fn encryption(&self) -> &SecretEncryption {
        &self.encryption
    }

    /// The directory holding the backups.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the YAML of backup `id` is (`<dir>/<id>.yaml`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `id` is not one plain file name.
    pub fn yaml_path(&self, id: &BackupId) -> Result<PathBuf> {
        file_in(&self.dir, id.as_str(), "yaml")
    }

    /// Where the manifest of backup `id` is (`<dir>/<id>.json`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `id` is not one plain file name.
    pub fn manifest_path(&self, id: &BackupId) -> Result<PathBuf> {
        file_in(&self.dir, id.as_str(), "json")
    }

    /// The manifest of backup `id`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::Backend`] for an unreadable or corrupt
    /// manifest.
    pub async fn manifest(&self, id: &BackupId) -> Result<ConfigBackupManifest> {
        let path = self.manifest_path(id)?;
        let owned = id.clone();
        blocking(move || read_manifest(&path, &owned)).await
    }

    fn record(&self, m: &ConfigBackupManifest) -> Result<BackupRecord> {
        Ok(BackupRecord {
            id: m.id.clone(),
            kind: BackupKind::Configuration {
                namespace: m.namespace.clone(),
            },
            location: self.yaml_path(&m.id)?.display().to_string(),
            size: m.size,
            sha256: m.sha256.clone(),
            started: m.started,
            finished: Some(m.finished),
            status: BackupStatus::Succeeded,
        })
    }

    /// The first id for `namespace`/`label` at `now` (the suffix is added when storing).
    fn base_id(namespace: &Namespace, label: Option<&str>, now: Timestamp) -> Result<BackupId> {
        let stamp = now.strftime("%Y%m%d-%H%M%S");
        BackupId::new(match label {
            Some(l) => format!("config-{namespace}-{l}-{stamp}"),
            None => format!("config-{namespace}-{stamp}"),
        })
    }

    /// Reads the YAML and manifest of `id`; the YAML is `None` when its file is missing.
    async fn load(&self, id: &BackupId) -> Result<(ConfigBackupManifest, Option<String>)> {
        let manifest = self.manifest(id).await?;
        let path = self.yaml_path(id)?;
        let owned = id.clone();
        // Never more than the manifest's size (+1, to see a longer file).
        let cap = manifest.size;
        let yaml = blocking(move || {
            let _ = &owned;
            match read_regular(&path, cap.saturating_add(1))? {
                None => Ok(None),
                Some(bytes) => String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| files::bad_file(&path, "not UTF-8 text")),
            }
        })
        .await?;
        Ok((manifest, yaml))
    }

    /// Fails with `NotFound` when an export found nothing because the namespace is missing.
    /// Whether it exists is only asked when the export is empty (a namespace-scoped account
    /// may not be allowed to read Namespaces); an error asking is not held against the backup.
    async fn namespace_exists(&self, namespace: &Namespace) -> Result<()> {
        self.kube
            .namespace_missing_is_not_found(namespace.as_str())
            .await
    }
}

#[async_trait]
impl BackupManager for ConfigBackups {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        let BackupKind::Configuration { namespace } = &request.kind else {
            return Err(Error::Unsupported {
                operation: "backup of this kind",
                backend: BACKEND,
            });
        };
        let started = Timestamp::now();
        let base = Self::base_id(namespace, request.label.as_deref(), started)?;
        tracing::info!(id = %base, namespace = %namespace, reason = intent.reason(),
            actor = intent.actor(), dry_run = intent.is_dry_run(), "backup configuration");
        if intent.is_dry_run() {
            return Ok(BackupRecord {
                location: self.yaml_path(&base)?.display().to_string(),
                id: base,
                kind: request.kind.clone(),
                size: 0,
                sha256: String::new(),
                started,
                finished: None,
                status: BackupStatus::Running,
            });
        }
        let export = self
            .kube
            .export_config_with(namespace, &self.encryption)
            .await?;
        if export.objects == 0 {
            self.namespace_exists(namespace).await?;
        }
        let manifest = ConfigBackupManifest {
            id: base.clone(),
            namespace: namespace.clone(),
            label: request.label.clone(),
            objects: export.objects,
            secrets_without_values: export.secrets_without_values,
            secrets_encrypted: export.secrets_encrypted,
            age_recipients: self.encryption.public_keys(),
            sha256: sha256_hex(export.yaml.as_bytes())?,
            size: export.yaml.len() as u64,
            started,
            finished: started,
            change_cause: intent.change_cause(),
        };
        let dir = self.dir.clone();
        let yaml = export.yaml;
        let (m, removed) = blocking(move || {
            let removed = files::remove_stale_partials(&dir);
            Ok((store(&dir, &base, &yaml, manifest)?, removed))
        })
        .await?;
        if let Ok(mut r) = self.removed.lock() {
            r.extend(removed);
        }
        self.record(&m)
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let dir = self.dir.clone();
        let (manifests, _) = blocking(move || read_manifests(&dir)).await?;
        let mut records = manifests
            .iter()
            .map(|m| self.record(m))
            .collect::<Result<Vec<_>>>()?;
        records.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
        Ok(records)
    }

    async fn notices(&self) -> Result<Vec<String>> {
        let dir = self.dir.clone();
        let (_, skipped) = blocking(move || read_manifests(&dir)).await?;
        let mut out: Vec<String> = skipped
            .into_iter()
            .map(|s| format!("skipped {s}"))
            .collect();
        if let Ok(r) = self.removed.lock() {
            out.extend(
                r.iter()
                    .map(|p| format!("removed {p}: left by an interrupted backup")),
            );
        }
        Ok(out)
    }

    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        let (manifest, yaml) = self.load(id).await?;
        self.check(id, &manifest, yaml.as_deref(), test_restore.is_some())
    }

    async fn restore(
        &self,
        id: &BackupId,
        options: &RestoreOptions,
        intent: &Intent,
    ) -> Result<RestoreReport> {
        Ok(self.restore_run(id, options, intent).await?.report)
    }
}
