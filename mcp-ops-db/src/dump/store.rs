//! Where backups live: the [`BackupStore`] trait and [`LocalDirStore`], a directory where
//! data is written to a hidden temporary file and the manifest beside it, both fsynced, then
//! renamed. A backup without a manifest does not exist; a manifest belongs to the backup its
//! file name names.

use super::files::{OpenError, bad_file, ensure_dir, open_regular, read_small};
use super::manifest::{BackupManifest, DumpId};
use super::sink::LocalSink;
use super::stale::remove_stale_partials;
use crate::{DbError, Result};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncReadExt};

/// A readable backup stream.
pub type BackupReader = Box<dyn AsyncRead + Send + Unpin>;

/// A file in the store that is not a valid backup, left out of listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    /// Where it is.
    pub path: String,
    /// Why it was left out.
    pub reason: String,
}

/// Storage for backups and their manifests.
#[async_trait]
pub trait BackupStore: Send + Sync {
    /// Starts writing the data of backup `id`; nothing is visible until
    /// [`BackupSink::commit`].
    async fn create(&self, id: &DumpId) -> Result<Box<dyn BackupSink>>;
    /// Reads the data of a committed backup.
    async fn open(&self, id: &DumpId) -> Result<BackupReader>;
    /// The manifest of a committed backup.
    async fn manifest(&self, id: &DumpId) -> Result<BackupManifest>;
    /// Manifests of all valid committed backups, oldest first; bad ones are left out (see
    /// [`BackupStore::skipped`]).
    async fn list(&self) -> Result<Vec<BackupManifest>>;
    /// Files that look like manifests but were left out of [`BackupStore::list`], with why.
    async fn skipped(&self) -> Result<Vec<SkippedFile>> {
        Ok(Vec::new())
    }
    /// Leftovers of interrupted backups this store removed so far (paths).
    fn removed_leftovers(&self) -> Vec<String> {
        Vec::new()
    }
    /// Removes a backup and its manifest.
    async fn delete(&self, id: &DumpId) -> Result<()>;
    /// Where the backup's data is (a path or object key; never credentials).
    fn location(&self, id: &DumpId) -> String;
}

/// A backup being written. Dropping it without `commit` discards the data.
#[async_trait]
pub trait BackupSink: Send {
    /// Appends bytes.
    async fn write(&mut self, chunk: &[u8]) -> Result<()>;
    /// Makes the data durable and visible, then stores the manifest.
    async fn commit(self: Box<Self>, manifest: &BackupManifest) -> Result<()>;
    /// Discards everything written.
    async fn abort(self: Box<Self>) -> Result<()>;
}

/// Backups as files in one directory: `<id>.dump` and `<id>.manifest.json`, mode 0600; the
/// directory is created (0700) by the first backup, not before.
#[derive(Debug, Clone)]
pub struct LocalDirStore {
    root: PathBuf,
    removed: Arc<Mutex<Vec<String>>>,
}

/// Manifests are small; anything larger is not one.
const MANIFEST_CAP: u64 = 64 * 1024;

impl LocalDirStore {
    /// Uses `root`; nothing is created until the first backup is written.
    ///
    /// ```
    /// use mcp_ops_db::{DbError, LocalDirStore};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let store = LocalDirStore::new(dir.path().join("pg"))?;
    /// assert!(!store.root().exists()); // created by the first backup
    ///
    /// // A path that is a file is refused up front.
    /// let file = dir.path().join("not-a-dir");
    /// std::fs::write(&file, b"x")?;
    /// assert!(matches!(LocalDirStore::new(&file), Err(DbError::InvalidInput { .. })));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`DbError::InvalidInput`] when `root` exists and is not a directory.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        if root.exists() && !root.is_dir() {
            return Err(bad_file(&root, "not a directory"));
        }
        Ok(Self {
            root,
            removed: Arc::default(),
        })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a backup's data.
    pub fn data_path(&self, id: &DumpId) -> PathBuf {
        self.root.join(format!("{id}.dump"))
    }

    /// The path of a backup's manifest.
    pub fn manifest_path(&self, id: &DumpId) -> PathBuf {
        self.root.join(format!("{id}.manifest.json"))
    }

    /// Reads and checks one manifest: a regular file of at most 64 KiB, valid JSON, and its
    /// `id` equal to the one its file name gives.
    fn read_manifest(&self, id: &DumpId) -> Result<BackupManifest> {
        let path = self.manifest_path(id);
        let bytes = read_small(&path, MANIFEST_CAP).map_err(|e| match e {
            OpenError::NotFound => DbError::NotFound {
                kind: "backup",
                name: id.to_string(),
            },
            OpenError::Bad(e) => e,
        })?;
        if bytes.is_empty() {
            return Err(bad_file(&path, "empty manifest"));
        }
        let m: BackupManifest = serde_json::from_slice(&bytes)
            .map_err(|e| bad_file(&path, mcp_ops_core::redact::json_error(&e)))?;
        if &m.id != id {
            return Err(bad_file(
                &path,
                format!(
                    "manifest names backup {} but its file name says {id}; refused",
                    m.id
                ),
            ));
        }
        Ok(m)
    }

    /// Every `*.manifest.json`: valid ones, and the others with why.
    fn scan(&self) -> Result<(Vec<BackupManifest>, Vec<SkippedFile>)> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(bad_file(&self.root, e)),
        };
        let mut valid = Vec::new();
        let mut skipped = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| bad_file(&self.root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".manifest.json") else {
                continue;
            };
            let read = DumpId::new(stem)
                .map_err(|_| bad_file(&entry.path(), "not a backup id"))
                .and_then(|id| self.read_manifest(&id));
            match read {
                Ok(m) => valid.push(m),
                Err(e) => {
                    let path = entry.path().display().to_string();
                    let reason = match e {
                        DbError::InvalidInput { reason, .. } => reason
                            .strip_prefix(&format!("{path}: "))
                            .map_or_else(|| reason.clone(), str::to_owned),
                        other => other.to_string(),
                    };
                    skipped.push(SkippedFile { path, reason });
                }
            }
        }
        valid.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((valid, skipped))
    }
}

#[async_trait]
impl BackupStore for LocalDirStore {
    fn location(&self, id: &DumpId) -> String {
        self.data_path(id).display().to_string()
    }

    async fn create(&self, id: &DumpId) -> Result<Box<dyn BackupSink>> {
        ensure_dir(&self.root)?;
        if std::fs::symlink_metadata(self.manifest_path(id)).is_ok()
            || std::fs::symlink_metadata(self.data_path(id)).is_ok()
        {
            return Err(DbError::invalid(
                "backup_id",
                format!("backup {id} already exists"),
            ));
        }
        let removed = remove_stale_partials(&self.root);
        if let Ok(mut r) = self.removed.lock() {
            r.extend(removed.iter().map(|p| p.display().to_string()));
        }
        let sink = LocalSink::create(
            &self.root,
            self.root.join(format!(".{id}.dump.partial")),
            self.data_path(id),
            self.root.join(format!(".{id}.manifest.json.partial")),
            self.manifest_path(id),
        )?;
        Ok(Box::new(sink))
    }

    async fn open(&self, id: &DumpId) -> Result<BackupReader> {
        let manifest = self.read_manifest(id)?;
        let path = self.data_path(id);
        let file = open_regular(&path).map_err(|e| match e {
            OpenError::NotFound => bad_file(&path, "missing (its manifest exists)"),
            OpenError::Bad(e) => e,
        })?;
        // Never read past the size the manifest gives (+1 to see that it is longer).
        let bounded = tokio::fs::File::from_std(file).take(manifest.size_bytes.saturating_add(1));
        Ok(Box::new(tokio::io::BufReader::with_capacity(
            1 << 20,
            bounded,
        )))
    }

    async fn manifest(&self, id: &DumpId) -> Result<BackupManifest> {
        self.read_manifest(id)
    }

    async fn list(&self) -> Result<Vec<BackupManifest>> {
        Ok(self.scan()?.0)
    }

    async fn skipped(&self) -> Result<Vec<SkippedFile>> {
        Ok(self.scan()?.1)
    }

    fn removed_leftovers(&self) -> Vec<String> {
        self.removed.lock().map(|r| r.clone()).unwrap_or_default()
    }

    async fn delete(&self, id: &DumpId) -> Result<()> {
        let m = self.manifest_path(id);
        match std::fs::remove_file(&m) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(DbError::NotFound {
                    kind: "backup",
                    name: id.to_string(),
                });
            }
            Err(e) => return Err(super::files::io_error("removing", &m)(e)),
        }
        let d = self.data_path(id);
        match std::fs::remove_file(&d) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(super::files::io_error("removing", &d)(e)),
        }
    }
}
