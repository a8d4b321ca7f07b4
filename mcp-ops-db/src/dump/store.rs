//! Where backups live: the [`BackupStore`] trait and [`LocalDirStore`], a directory where
//! data is written to a temporary file, fsynced and renamed atomically, then the manifest
//! is written the same way. A backup without a manifest does not exist.

use super::manifest::{BackupId, BackupManifest};
use crate::{DbError, Result};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncRead, AsyncWriteExt, BufWriter};

/// A readable backup stream.
pub type BackupReader = Box<dyn AsyncRead + Send + Unpin>;

/// Storage for backups and their manifests.
#[async_trait]
pub trait BackupStore: Send + Sync {
    /// Starts writing the data of backup `id`; nothing is visible until
    /// [`BackupSink::commit`].
    async fn create(&self, id: &BackupId) -> Result<Box<dyn BackupSink>>;
    /// Reads the data of a committed backup.
    async fn open(&self, id: &BackupId) -> Result<BackupReader>;
    /// The manifest of a committed backup.
    async fn manifest(&self, id: &BackupId) -> Result<BackupManifest>;
    /// Manifests of all committed backups, oldest first.
    async fn list(&self) -> Result<Vec<BackupManifest>>;
    /// Removes a backup and its manifest.
    async fn delete(&self, id: &BackupId) -> Result<()>;
    /// Where the backup's data is (a path or object key; never credentials).
    fn location(&self, id: &BackupId) -> String;
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

/// Backups as files in one directory: `<id>.dump` and `<id>.manifest.json`.
#[derive(Debug, Clone)]
pub struct LocalDirStore {
    root: PathBuf,
}

impl LocalDirStore {
    /// Uses (and creates) `root`.
    ///
    /// # Errors
    /// [`DbError::Io`] when the directory cannot be created.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(DbError::io(format!(
            "creating backup directory {}",
            root.display()
        )))?;
        Ok(Self { root })
    }

    /// The path of a backup's data.
    pub fn data_path(&self, id: &BackupId) -> PathBuf {
        self.root.join(format!("{id}.dump"))
    }

    /// The path of a backup's manifest.
    pub fn manifest_path(&self, id: &BackupId) -> PathBuf {
        self.root.join(format!("{id}.manifest.json"))
    }

    fn partial_path(&self, id: &BackupId) -> PathBuf {
        self.root.join(format!(".{id}.dump.partial"))
    }
}

#[async_trait]
impl BackupStore for LocalDirStore {
    fn location(&self, id: &BackupId) -> String {
        self.data_path(id).display().to_string()
    }

    async fn create(&self, id: &BackupId) -> Result<Box<dyn BackupSink>> {
        let partial = self.partial_path(id);
        if tokio::fs::try_exists(self.manifest_path(id))
            .await
            .unwrap_or(false)
        {
            return Err(DbError::invalid(
                "backup_id",
                format!("backup {id} already exists"),
            ));
        }
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)
            .await
            .map_err(DbError::io(format!("creating {}", partial.display())))?;
        Ok(Box::new(LocalSink {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            partial,
            data: self.data_path(id),
            manifest: self.manifest_path(id),
            root: self.root.clone(),
            done: false,
        }))
    }

    async fn open(&self, id: &BackupId) -> Result<BackupReader> {
        self.manifest(id).await?;
        let path = self.data_path(id);
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| not_found_or_io(e, id, &path))?;
        Ok(Box::new(tokio::io::BufReader::with_capacity(1 << 20, file)))
    }

    async fn manifest(&self, id: &BackupId) -> Result<BackupManifest> {
        let path = self.manifest_path(id);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| not_found_or_io(e, id, &path))?;
        serde_json::from_slice(&bytes).map_err(|e| DbError::Io {
            context: format!("parsing {}", path.display()),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })
    }

    async fn list(&self) -> Result<Vec<BackupManifest>> {
        let mut dir = tokio::fs::read_dir(&self.root)
            .await
            .map_err(DbError::io(format!("listing {}", self.root.display())))?;
        let mut out = Vec::new();
        while let Some(entry) = dir
            .next_entry()
            .await
            .map_err(DbError::io("listing backups"))?
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = name
                .strip_suffix(".manifest.json")
                .and_then(|s| BackupId::new(s).ok())
            {
                out.push(self.manifest(&id).await?);
            }
        }
        out.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn delete(&self, id: &BackupId) -> Result<()> {
        let m = self.manifest_path(id);
        tokio::fs::remove_file(&m)
            .await
            .map_err(|e| not_found_or_io(e, id, &m))?;
        let d = self.data_path(id);
        match tokio::fs::remove_file(&d).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DbError::Io {
                context: format!("removing {}", d.display()),
                source: e,
            }),
        }
    }
}

fn not_found_or_io(e: std::io::Error, id: &BackupId, path: &Path) -> DbError {
    if e.kind() == std::io::ErrorKind::NotFound {
        DbError::NotFound {
            kind: "backup",
            name: id.to_string(),
        }
    } else {
        DbError::Io {
            context: format!("reading {}", path.display()),
            source: e,
        }
    }
}

struct LocalSink {
    file: Option<BufWriter<tokio::fs::File>>,
    partial: PathBuf,
    data: PathBuf,
    manifest: PathBuf,
    root: PathBuf,
    done: bool,
}

impl LocalSink {
    async fn finish(&mut self, manifest: &BackupManifest) -> Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| DbError::invalid("backup", "already finished"))?;
        file.flush()
            .await
            .map_err(DbError::io(format!("writing {}", self.partial.display())))?;
        let file = file.into_inner();
        file.sync_all()
            .await
            .map_err(DbError::io(format!("fsync {}", self.partial.display())))?;
        drop(file);
        tokio::fs::rename(&self.partial, &self.data)
            .await
            .map_err(DbError::io(format!("renaming to {}", self.data.display())))?;
        let json = serde_json::to_vec_pretty(manifest).map_err(|e| DbError::Io {
            context: "serializing the manifest".to_owned(),
            source: std::io::Error::other(e),
        })?;
        let tmp = self.manifest.with_extension("json.partial");
        let written = write_durably(&tmp, &json).await.and(
            tokio::fs::rename(&tmp, &self.manifest)
                .await
                .map_err(DbError::io(format!(
                    "renaming to {}",
                    self.manifest.display()
                ))),
        );
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            let _ = tokio::fs::remove_file(&self.data).await;
            return Err(e);
        }
        if let Ok(dir) = tokio::fs::File::open(&self.root).await {
            let _ = dir.sync_all().await;
        }
        Ok(())
    }
}

async fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = tokio::fs::File::create(path)
        .await
        .map_err(DbError::io(format!("creating {}", path.display())))?;
    f.write_all(bytes)
        .await
        .map_err(DbError::io(format!("writing {}", path.display())))?;
    f.sync_all()
        .await
        .map_err(DbError::io(format!("fsync {}", path.display())))
}

#[async_trait]
impl BackupSink for LocalSink {
    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| DbError::invalid("backup", "already finished"))?;
        file.write_all(chunk)
            .await
            .map_err(DbError::io(format!("writing {}", self.partial.display())))
    }

    async fn commit(mut self: Box<Self>, manifest: &BackupManifest) -> Result<()> {
        let res = self.finish(manifest).await;
        self.done = res.is_ok();
        res
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.file = None;
        self.done = true;
        match tokio::fs::remove_file(&self.partial).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DbError::Io {
                context: format!("removing {}", self.partial.display()),
                source: e,
            }),
        }
    }
}

impl Drop for LocalSink {
    fn drop(&mut self) {
        if !self.done {
            self.file = None;
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}
