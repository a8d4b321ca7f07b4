//! The files of configuration backups: paths checked to stay inside the directory, atomic
//! writes (hidden `.partial` file, mode 0600, fsync, rename), manifest I/O and checksums.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;
use mcp_ops_core::backup::BackupId;
use mcp_ops_core::{Error, Result};

use super::ConfigBackupManifest;
use crate::error::BACKEND;

/// A file error as a non-retryable backend error with `context`.
pub(super) fn io_error(context: String, e: std::io::Error) -> Error {
    Error::Backend {
        backend: BACKEND,
        message: format!("{context}: {e}"),
        retryable: false,
        source: Some(Box::new(e)),
    }
}

/// Runs blocking file work off the async runtime.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend(BACKEND, format!("file task failed: {e}"), false))?
}

/// SHA-256 of `bytes`, as lower-case hex.
pub(super) fn sha256_hex(bytes: &[u8]) -> Result<String> {
    use sha2::Digest as _;
    Ok(hex::encode(sha2::Sha256::digest(bytes)))
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
pub(super) fn file_in(dir: &Path, id: &str, ext: &str) -> Result<PathBuf> {
    let mut parts = Path::new(id).components();
    let plain = matches!((parts.next(), parts.next()), (Some(Component::Normal(p)), None) if p == id)
        && !id.starts_with('.');
    if !plain || BackupId::new(id).is_err() {
        return Err(Error::invalid("backup id", "must be a plain file name"));
    }
    Ok(dir.join(format!("{id}.{ext}")))
}

/// `NotFound` for a missing file of backup `id`, any other read error as a backend error.
pub(super) fn not_found_or(e: std::io::Error, id: &BackupId, path: &Path) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::not_found("backup", id.as_str())
    } else {
        io_error(format!("reading {}", path.display()), e)
    }
}

/// Reads and parses the manifest at `path`, which must name backup `id`.
pub(super) fn read_manifest(path: &Path, id: &BackupId) -> Result<ConfigBackupManifest> {
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

/// The manifests in `dir`: files that are not `<id>.json` are ignored, and a manifest that
/// cannot be read (or names another id) is skipped with a warning.
pub(super) fn read_manifests(dir: &Path) -> Result<Vec<ConfigBackupManifest>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
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
}

/// Stores `yaml` under the first free id from `base` and then its manifest; returns the
/// manifest written.
pub(super) fn store(
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
