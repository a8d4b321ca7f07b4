//! [`LocalSink`]: a backup being written into a [`super::LocalDirStore`].
//!
//! Data goes to a hidden `.<id>.dump.partial` (0600, locked while written so a concurrent
//! backup never takes it for a leftover). Commit flushes and fsyncs it, writes the manifest
//! to `.<id>.manifest.json.partial` and fsyncs that, and only then renames both and fsyncs the
//! directory. Every step is checked; on any failure everything written is removed and the
//! error keeps the OS reason ("No space left on device").
//!
//! Dropped before it is committed (the backup's future dropped: a caller's cancellation,
//! Ctrl-C, a deadline), the sink removes its hidden files synchronously in `Drop`. Once the
//! publication (the fsynced manifest and the two renames) has been handed to its blocking
//! task, that task finishes it or removes everything it wrote, whether or not anybody still
//! waits: a drop never leaves a data file without its manifest.

use super::files::{create_new, io_error, sync_dir, write_new_durably};
use super::manifest::BackupManifest;
use super::store::BackupSink;
use crate::{DbError, Result};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncWriteExt, BufWriter};

/// A backup being written to local files.
pub(crate) struct LocalSink {
    file: Option<BufWriter<tokio::fs::File>>,
    root: PathBuf,
    partial: PathBuf,
    data: PathBuf,
    manifest_partial: PathBuf,
    manifest: PathBuf,
    done: bool,
    /// The publication was handed to its blocking task, which owns the files from then on.
    publishing: bool,
}

impl LocalSink {
    /// Creates the hidden data file (which must not exist) and locks it.
    pub(crate) fn create(
        root: &Path,
        partial: PathBuf,
        data: PathBuf,
        manifest_partial: PathBuf,
        manifest: PathBuf,
    ) -> Result<Self> {
        let file = create_new(&partial)?;
        if let Err(e) = file.try_lock() {
            let _ = std::fs::remove_file(&partial);
            return Err(io_error("locking", &partial)(std::io::Error::other(
                e.to_string(),
            )));
        }
        Ok(Self {
            file: Some(BufWriter::with_capacity(
                1 << 20,
                tokio::fs::File::from_std(file),
            )),
            root: root.to_path_buf(),
            partial,
            data,
            manifest_partial,
            manifest,
            done: false,
            publishing: false,
        })
    }

    async fn finish(&mut self, manifest: &BackupManifest) -> Result<()> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| DbError::invalid("backup", "already finished"))?;
        // tokio's File reports a failed write only at the next write or flush: flush first,
        // then fsync.
        file.flush()
            .await
            .map_err(io_error("writing", &self.partial))?;
        let file = file.into_inner();
        file.sync_all()
            .await
            .map_err(io_error("fsync of", &self.partial))?;
        let json = serde_json::to_vec_pretty(manifest).map_err(|e| DbError::Io {
            context: "serializing the manifest".to_owned(),
            source: std::io::Error::other(e),
        })?;
        let paths = (
            self.root.clone(),
            self.partial.clone(),
            self.data.clone(),
            self.manifest_partial.clone(),
            self.manifest.clone(),
        );
        self.publishing = true;
        let published = tokio::task::spawn_blocking(move || {
            let (root, partial, data, manifest_partial, manifest) = paths;
            let published = (|| {
                write_new_durably(&manifest_partial, &json)?;
                std::fs::rename(&partial, &data).map_err(io_error("renaming to", &data))?;
                std::fs::rename(&manifest_partial, &manifest)
                    .map_err(io_error("renaming to", &manifest))?;
                sync_dir(&root)
            })();
            if published.is_err() {
                // Also when nobody waits any more (the backup's future was dropped).
                for p in [&manifest, &manifest_partial, &data, &partial] {
                    let _ = std::fs::remove_file(p);
                }
                let _ = sync_dir(&root);
            }
            published
        })
        .await
        .map_err(|e| DbError::Io {
            context: "publishing the backup".to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        drop(file);
        published
    }

    /// Removes everything this backup wrote (best effort: the first error is kept).
    fn remove_all(&self) {
        for p in [
            &self.manifest,
            &self.manifest_partial,
            &self.data,
            &self.partial,
        ] {
            let _ = std::fs::remove_file(p);
        }
        let _ = sync_dir(&self.root);
    }
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
            .map_err(io_error("writing", &self.partial))
    }

    async fn commit(mut self: Box<Self>, manifest: &BackupManifest) -> Result<()> {
        let res = self.finish(manifest).await;
        if res.is_err() {
            self.remove_all();
        }
        self.done = true;
        res
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.file = None;
        self.done = true;
        match std::fs::remove_file(&self.partial) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("removing", &self.partial)(e)),
        }
    }
}

impl Drop for LocalSink {
    fn drop(&mut self) {
        if !self.done && !self.publishing {
            self.file = None;
            let _ = std::fs::remove_file(&self.partial);
            let _ = std::fs::remove_file(&self.manifest_partial);
        }
    }
}
