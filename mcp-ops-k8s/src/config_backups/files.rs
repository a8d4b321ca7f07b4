//! The files of configuration backups: paths checked to stay inside the directory, atomic
//! writes (hidden `.partial` file, mode 0600, fsync, rename), manifest I/O and checksums.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;
use mcp_ops_core::backup::BackupId;
use mcp_ops_core::{Error, Result};

use super::ConfigBackupManifest;

/// The backend named in file errors: the backup directory, never "kubernetes".
const FILES: &str = "backup-store";

/// A file error as a non-retryable backend error with `context` and the OS reason.
pub(super) fn io_error(context: String, e: std::io::Error) -> Error {
    Error::Backend {
        backend: FILES,
        message: format!("{context}: {e}"),
        retryable: false,
        source: Some(Box::new(e)),
    }
}

/// Bad backup state (corrupt, foreign, not a regular file): one line naming the file.
pub(super) fn bad_file(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::invalid("backup file", format!("{}: {why}", path.display()))
}

/// Reads at most `cap` bytes of `path`, which must be a regular file: a symlink is not
/// followed, a FIFO does not block, the opened handle's type is checked. `Ok(None)` when it
/// does not exist.
pub(super) fn read_regular(path: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(bad_file(path, "is a symbolic link; refused"));
        }
        Err(e) => return Err(bad_file(path, e)),
    };
    let meta = file.metadata().map_err(|e| bad_file(path, e))?;
    if !meta.is_file() {
        return Err(bad_file(path, "is not a regular file; refused"));
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| bad_file(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(bad_file(path, format!("larger than {cap} bytes; refused")));
    }
    Ok(Some(bytes))
}

/// Creates the backup directory (mode 0700) when missing: on the first write, never before.
pub(super) fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| io_error(format!("creating {}", dir.display()), e))
}

/// Runs blocking file work off the async runtime.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend(FILES, format!("file task failed: {e}"), false))?
}

/// SHA-256 of `bytes`, as lower-case hex.
pub(super) fn sha256_hex(bytes: &[u8]) -> Result<String> {
    use sha2::Digest as _;
    Ok(hex::encode(sha2::Sha256::digest(bytes)))
}

/// Writes `bytes` to a new file (never an existing one), mode 0600, and fsyncs it; what it
/// created is removed when a write fails (a full disk).
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.flush())
        .and_then(|()| file.sync_all());
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// The file name `<id>.<ext>` inside `dir`, after checking the id is one plain file stem.
pub(super) fn file_in(dir: &Path, id: &str, ext: &str) -> Result<PathBuf> {
    let mut parts = Path::new(id).components();
    let plain = matches!((parts.next(), parts.next()), (Some(Component::Normal(p)), None) if p == id)
        && !id.starts_with('.');
    if !plain || BackupId::new(id).is_err() {
        return Err(Error::invalid("backup id", "must be a plain file name"));
    }
    Ok(dir.join(format!("{id}.{ext}")))
}

/// How old a hidden `.partial` file must be to count as the leftover of an interrupted
/// configuration backup (a backup writes and renames its files within seconds).
pub(super) const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes hidden `.<id>.yaml.partial` / `.<id>.json.partial` files in `dir` last modified
/// over [`STALE_AFTER`] ago; returns their paths. Failures are logged, never fatal.
pub(super) fn remove_stale_partials(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let now = std::time::SystemTime::now();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.')
            || !(name.ends_with(".yaml.partial") || name.ends_with(".json.partial"))
        {
            continue;
        }
        let path = entry.path();
        let stale = std::fs::symlink_metadata(&path).is_ok_and(|m| {
            m.is_file()
                && m.modified()
                    .ok()
                    .and_then(|t| now.duration_since(t).ok())
                    .is_some_and(|age| age >= STALE_AFTER)
        });
        if !stale {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path.display().to_string()),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a leftover")
            }
        }
    }
    removed
}

/// Manifests are small; a larger file is not one.
const MANIFEST_CAP: u64 = 1 << 20;

/// Reads and parses the manifest at `path`, which must name backup `id` (its file name).
/// A corrupt, foreign or non-regular file is [`Error::InvalidInput`] naming the file.
pub(super) fn read_manifest(path: &Path, id: &BackupId) -> Result<ConfigBackupManifest> {
    let bytes =
        read_regular(path, MANIFEST_CAP)?.ok_or_else(|| Error::not_found("backup", id.as_str()))?;
    let m: ConfigBackupManifest = serde_json::from_slice(&bytes).map_err(|e| {
        bad_file(
            path,
            format!("corrupt: {}", mcp_ops_core::redact::json_error(&e)),
        )
    })?;
    if &m.id != id {
        return Err(bad_file(
            path,
            format!("names backup {} but its file name says {id}; refused", m.id),
        ));
    }
    Ok(m)
}

/// The manifests in `dir` and the files skipped (`"<path>: <why>"`): files that are not
/// `<id>.json` are ignored (so are database dumps' `<id>.manifest.json`), a manifest that
/// cannot be read or names another id is skipped, never fatal. A missing directory holds
/// no backup.
pub(super) fn read_manifests(dir: &Path) -> Result<(Vec<ConfigBackupManifest>, Vec<String>)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(io_error(format!("listing {}", dir.display()), e)),
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".manifest.json") {
            continue;
        }
        let Some(id) = name
            .strip_suffix(".json")
            .and_then(|s| BackupId::new(s).ok())
        else {
            continue;
        };
        match read_manifest(&entry.path(), &id) {
            Ok(m) => out.push(m),
            Err(Error::InvalidInput { reason, .. }) => skipped.push(reason),
            Err(e) => skipped.push(format!("{}: {e}", entry.path().display())),
        }
    }
    skipped.sort();
    Ok((out, skipped))
}

/// Stores `yaml` under the first free id from `base` and then its manifest; returns the
/// manifest written.
pub(super) fn store(
    dir: &Path,
    base: &BackupId,
    yaml: &str,
    mut m: ConfigBackupManifest,
) -> Result<ConfigBackupManifest> {
    ensure_dir(dir)?;
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
            .map_err(|e| Error::backend(FILES, format!("writing the manifest: {e}"), false))?;
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
    let synced = std::fs::File::open(dir).and_then(|d| d.sync_all());
    if let Err(e) = synced {
        for p in [&data, &manifest] {
            let _ = std::fs::remove_file(p);
        }
        return Err(io_error(format!("fsync of {}", dir.display()), e));
    }
    Ok(m)
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
