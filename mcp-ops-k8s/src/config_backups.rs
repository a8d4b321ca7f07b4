//! [`BackupManager`] for namespace configuration backups kept as files: the runbook's
//! `kubectl get all,configmaps,secrets -o yaml > backup-config.yaml`, with a checksum, a
//! manifest and a restore that checks first.
//!
//! A backup is the YAML of [`KubeCluster::export_config`] (**Secret values are never
//! written**, see [`crate::config_backup`]) in `<dir>/<id>.yaml` and its
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
//! The SHA-256 comes from the aws-lc-rs provider of `rustls`, which the crate links already.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use async_trait::async_trait;
use jiff::Timestamp;
use kube::api::Api;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, RestoreReport, TestRestore, VerificationReport,
};
use mcp_ops_core::types::{Intent, Namespace};
use mcp_ops_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::cluster::KubeCluster;
use crate::config_backup::ConfigRestore;
use crate::error::BACKEND;

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
    /// Objects created, replaced and skipped (Secrets whose values are not in the backup).
    pub objects: ConfigRestore,
}

/// Configuration backups of namespaces over a [`KubeCluster`], kept as files in one directory.
#[derive(Debug, Clone)]
pub struct ConfigBackups {
    kube: KubeCluster,
    dir: PathBuf,
}

fn io_error(context: String, e: std::io::Error) -> Error {
    Error::Backend {
        backend: BACKEND,
        message: format!("{context}: {e}"),
        retryable: false,
        source: Some(Box::new(e)),
    }
}

/// Runs blocking file work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend(BACKEND, format!("file task failed: {e}"), false))?
}

/// SHA-256 from the TLS crypto provider the crate already links (aws-lc-rs), as hex.
fn sha256_hex(bytes: &[u8]) -> Result<String> {
    use sha2::Digest as _;
    Ok(hex::encode(sha2::Sha256::digest(bytes)))
}

/// Whether the YAML parses as documents that each name an apiVersion and a kind, `objects`
/// of them.
fn readable(yaml: &str, objects: usize) -> bool {
    serde_saphyr::from_str_multiple::<serde_json::Value, Vec<_>>(yaml).is_ok_and(|docs| {
        docs.len() == objects
            && docs
                .iter()
                .all(|d| d["apiVersion"].is_string() && d["kind"].is_string())
    })
}

/// Writes `bytes` to a new file (never an existing one), mode 0600 on unix, and fsyncs it.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The file name `<id>.<ext>` inside `dir`, after checking the id is one plain file stem.
fn file_in(dir: &Path, id: &str, ext: &str) -> Result<PathBuf> {
    let mut parts = Path::new(id).components();
    let plain = matches!((parts.next(), parts.next()), (Some(Component::Normal(p)), None) if p == id)
        && !id.starts_with('.');
    if !plain || BackupId::new(id).is_err() {
        return Err(Error::invalid("backup id", "must be a plain file name"));
    }
    Ok(dir.join(format!("{id}.{ext}")))
}

fn not_found_or(e: std::io::Error, id: &BackupId, path: &Path) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::not_found("backup", id.as_str())
    } else {
        io_error(format!("reading {}", path.display()), e)
    }
}

impl ConfigBackups {
    /// Backups of namespace configuration in `dir`, which is created (mode 0700 on unix)
    /// when missing; an existing directory keeps its mode.
    ///
    /// # Errors
    /// [`Error::Backend`] when the directory cannot be created.
    pub fn new(kube: KubeCluster, dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&dir)
            .map_err(|e| io_error(format!("creating {}", dir.display()), e))?;
        Ok(Self { kube, dir })
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
        let yaml = blocking(move || match std::fs::read_to_string(&path) {
            Ok(y) => Ok(Some(y)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(not_found_or(e, &owned, &path)),
        })
        .await?;
        Ok((manifest, yaml))
    }

    /// Restores backup `id` into its namespace and says what happened to each object.
    ///
    /// The checksum is always checked (a mismatch is refused, nothing applied); with
    /// `verify_first` the full [`verify`](BackupManager::verify) runs too. A restore that runs
    /// past `options.timeout` stops where it is (objects already applied stay).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; [`Error::PolicyViolation`] when the backup fails
    /// its checks; [`Error::Unsupported`] when integrity checks (SQL queries) are asked for;
    /// [`Error::Timeout`]; backend errors from the restore.
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
                        "backup {id} failed verification (readable: {:?}); nothing restored",
                        v.readable
                    ),
                ));
            }
            Some(v)
        } else {
            None
        };
        tracing::info!(%id, namespace = %manifest.namespace, reason = intent.reason(),
            actor = intent.actor(), dry_run = intent.is_dry_run(), "restore configuration");
        let objects = tokio::time::timeout(
            options.timeout,
            self.kube.restore_config(&manifest.namespace, &yaml, intent),
        )
        .await
        .map_err(|_| Error::timeout(format!("restore of {id}"), options.timeout))??;
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
    fn check(
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
            readable: Some(yaml.is_some_and(|y| readable(y, manifest.objects))),
            test_restore: if test_restore_asked {
                TestRestore::NotSupported
            } else {
                TestRestore::Skipped
            },
            verified_at: Timestamp::now(),
        })
    }

    /// Fails with `NotFound` when an export found nothing because the namespace is missing.
    /// Whether it exists is only asked when the export is empty (a namespace-scoped account
    /// may not be allowed to read Namespaces); an error asking is not held against the backup.
    async fn namespace_exists(&self, namespace: &Namespace) -> Result<()> {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.kube.client().clone());
        let ns = namespace.as_str();
        match self.kube.call_opt("namespace", ns, || api.get(ns)).await {
            Ok(None) => Err(Error::not_found("namespace", ns)),
            Ok(Some(_)) => Ok(()),
            Err(e) => {
                tracing::debug!(namespace = ns, error = %e, "cannot tell whether the namespace exists");
                Ok(())
            }
        }
    }
}

fn read_manifest(path: &Path, id: &BackupId) -> Result<ConfigBackupManifest> {
    let bytes = std::fs::read(path).map_err(|e| not_found_or(e, id, path))?;
    let m: ConfigBackupManifest = serde_json::from_slice(&bytes).map_err(|e| {
        Error::backend(
            BACKEND,
            format!("corrupt manifest {}: {e}", path.display()),
            false,
        )
    })?;
    if &m.id != id {
        return Err(Error::backend(
            BACKEND,
            format!("manifest {} names backup {}", path.display(), m.id),
            false,
        ));
    }
    Ok(m)
}

/// Stores `yaml` under the first free id from `base` and then its manifest; returns the
/// manifest written.
fn store(
    dir: &Path,
    base: &BackupId,
    yaml: &str,
    mut m: ConfigBackupManifest,
) -> Result<ConfigBackupManifest> {
    let mut reserved = None;
    for n in 1..=100 {
        let id = if n == 1 {
            base.clone()
        } else {
            BackupId::new(format!("{base}-{n}"))?
        };
        let (data, manifest) = (
            file_in(dir, id.as_str(), "yaml")?,
            file_in(dir, id.as_str(), "json")?,
        );
        if data.exists() || manifest.exists() {
            continue;
        }
        let partial = dir.join(format!(".{id}.yaml.partial"));
        match write_new(&partial, yaml.as_bytes()) {
            // Another writer may have finished this id between the check and the reservation.
            Ok(()) if data.exists() || manifest.exists() => {
                let _ = std::fs::remove_file(&partial);
            }
            Ok(()) => {
                reserved = Some((id, partial, data, manifest));
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(io_error(format!("writing {}", partial.display()), e));
            }
        }
    }
    let (id, partial, data, manifest) = reserved.ok_or_else(|| {
        Error::conflict(format!("backup {base}"), "100 backups with this id exist")
    })?;
    let partial_manifest = dir.join(format!(".{id}.json.partial"));
    let result = (|| {
        std::fs::rename(&partial, &data)
            .map_err(|e| io_error(format!("renaming to {}", data.display()), e))?;
        m.id = id;
        m.finished = Timestamp::now();
        let json = serde_json::to_vec_pretty(&m)
            .map_err(|e| Error::backend(BACKEND, format!("writing the manifest: {e}"), false))?;
        write_new(&partial_manifest, &json)
            .map_err(|e| io_error(format!("writing {}", partial_manifest.display()), e))?;
        std::fs::rename(&partial_manifest, &manifest)
            .map_err(|e| io_error(format!("renaming to {}", manifest.display()), e))
    })();
    if let Err(e) = result {
        for p in [&partial, &partial_manifest, &data] {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(m)
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
        let export = self.kube.export_config(namespace).await?;
        if export.objects == 0 {
            self.namespace_exists(namespace).await?;
        }
        let manifest = ConfigBackupManifest {
            id: base.clone(),
            namespace: namespace.clone(),
            label: request.label.clone(),
            objects: export.objects,
            secrets_without_values: export.secrets_without_values,
            sha256: sha256_hex(export.yaml.as_bytes())?,
            size: export.yaml.len() as u64,
            started,
            finished: started,
            change_cause: intent.change_cause(),
        };
        let dir = self.dir.clone();
        let yaml = export.yaml;
        let m = blocking(move || store(&dir, &base, &yaml, manifest)).await?;
        self.record(&m)
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let dir = self.dir.clone();
        let manifests = blocking(move || {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
            let mut out = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(id) = name
                    .strip_suffix(".json")
                    .and_then(|s| BackupId::new(s).ok())
                else {
                    continue;
                };
                match read_manifest(&entry.path(), &id) {
                    Ok(m) => out.push(m),
                    Err(e) => {
                        tracing::warn!(file = %name, error = %e, "skipping a backup manifest")
                    }
                }
            }
            Ok(out)
        })
        .await?;
        let mut records = manifests
            .iter()
            .map(|m| self.record(m))
            .collect::<Result<Vec<_>>>()?;
        records.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
        Ok(records)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex(b"abc").unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn only_plain_file_names() {
        let dir = Path::new("/backups");
        for bad in ["../x", "a/b", "", ".", "..", "x\0y", "/abs", ".hidden"] {
            assert!(file_in(dir, bad, "yaml").is_err(), "{bad:?}");
        }
        assert_eq!(
            file_in(dir, "a..b", "json").unwrap(),
            Path::new("/backups/a..b.json")
        );
    }
}
