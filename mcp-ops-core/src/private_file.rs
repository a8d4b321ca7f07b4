//! Owner-only state files: the shared plumbing of the file-backed stores (the change store,
//! the audit journal, the escalation store).
//!
//! - [`sibling`] names the side files of a store (`<path>.lock`, `<path>.head`, …).
//! - [`open_private`] and [`open_private_append`] create files with mode `0600` (Unix),
//!   [`create_parent_dir`] creates a missing parent directory with mode `0700`.
//! - [`replace_atomically`] writes a temporary file `<path>.tmp-<pid>`, flushes it to disk and
//!   renames it over `path`, then flushes the directory (best effort), so that a reader sees
//!   the old file or the new one, never a part of either.
//! - [`lock_exclusive`] and [`lock_shared`] take `flock(2)` on a lock file
//!   (`std::fs::File::lock`): advisory, per open file, not reliable on network file systems.
//!
//! Errors are [`PrivateFileError`]s naming the path and the step, never the contents.
//!
//! ```
//! use mcp_ops_core::private_file::{lock_exclusive, replace_atomically, sibling};
//!
//! let dir = std::env::temp_dir().join(format!("private-file-doc-{}", std::process::id()));
//! let path = dir.join("state").join("data.json");
//! let lock_path = sibling(&path, ".lock");
//! {
//!     let _lock = lock_exclusive(&lock_path)?; // creates `state/` (0700) and the lock file
//!     replace_atomically(&path, b"{}\n")?;
//! } // the lock is released here
//! assert_eq!(std::fs::read(&path).unwrap_or_default(), b"{}\n");
//! # std::fs::remove_dir_all(&dir).unwrap_or_default();
//! # Ok::<(), mcp_ops_core::private_file::PrivateFileError>(())
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// A failed step on a private file: `"<path>: <what>: <io error>"`. It names the path and
/// the step, never the file's contents.
#[derive(Debug, thiserror::Error)]
#[error("{}: {what}: {source}", path.display())]
pub struct PrivateFileError {
    /// The file or directory the step was about.
    pub path: PathBuf,
    /// The step, for example `"cannot write"` or `"cannot lock"`.
    pub what: &'static str,
    /// The operating system's error.
    #[source]
    pub source: io::Error,
}

impl PrivateFileError {
    fn new(path: &Path, what: &'static str, source: io::Error) -> Self {
        Self {
            path: path.to_owned(),
            what,
            source,
        }
    }
}

/// `path` with `suffix` appended to its file name (`changes.json` → `changes.json.lock`).
#[must_use]
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Sets owner-only permissions (`0600`) on `file`, whatever the umask or an earlier mode
/// made them (Unix; nothing elsewhere).
fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
}

/// Opens `path` for reading and writing with owner-only permissions (`0600` on Unix, also
/// when the file already existed), creating it if needed; `truncate` empties it.
///
/// # Errors
/// The operating system's error of the open or of the permission change.
pub fn open_private(path: &Path, truncate: bool) -> io::Result<File> {
    let file = private_options()
        .read(true)
        .write(true)
        .truncate(truncate)
        .open(path)?;
    make_private(&file)?;
    Ok(file)
}

/// Opens `path` for appending with owner-only permissions (`0600` on Unix), creating it if
/// needed.
///
/// # Errors
/// The operating system's error of the open or of the permission change.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let file = private_options().append(true).open(path)?;
    make_private(&file)?;
    Ok(file)
}

/// The directory `path` is in, when it names one (`data.json` alone has none).
fn parent_dir(path: &Path) -> Option<&Path> {
    path.parent().filter(|d| !d.as_os_str().is_empty())
}

/// Creates the directory of `path` (and its missing ancestors) with mode `0700` (Unix); an
/// existing directory keeps its permissions.
///
/// # Errors
/// `cannot create directory`, naming the directory.
pub fn create_parent_dir(path: &Path) -> Result<(), PrivateFileError> {
    if let Some(dir) = parent_dir(path) {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder
            .create(dir)
            .map_err(|e| PrivateFileError::new(dir, "cannot create directory", e))?;
    }
    Ok(())
}

/// Replaces `path` with `bytes` atomically: writes `<path>.tmp-<pid>` (mode `0600`), flushes
/// it to disk, renames it over `path`, then flushes the directory (best effort: some file
/// systems refuse it; a failure is only logged). On an error the temporary file is removed
/// and `path` is untouched. The directory must exist ([`create_parent_dir`]).
///
/// # Errors
/// `cannot write`, naming `path`.
pub fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    let tmp = sibling(path, &format!(".tmp-{}", std::process::id()));
    let written = open_private(&tmp, true).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&tmp);
        return Err(PrivateFileError::new(path, "cannot write", e));
    }
    if let Some(dir) = parent_dir(path)
        && let Err(e) = File::open(dir).and_then(|d| d.sync_all())
    {
        tracing::debug!(dir = %dir.display(), error = %e, "directory fsync failed");
    }
    Ok(())
}

/// Takes the exclusive lock on `lock_path`, creating its directory ([`create_parent_dir`])
/// and the lock file (`0600`) if needed, and waiting while another handle holds it. The lock
/// is released when the returned file is dropped.
///
/// # Errors
/// `cannot create directory`, `cannot open lock file` or `cannot lock`, naming the path.
pub fn lock_exclusive(lock_path: &Path) -> Result<File, PrivateFileError> {
    create_parent_dir(lock_path)?;
    let file = open_private(lock_path, false)
        .map_err(|e| PrivateFileError::new(lock_path, "cannot open lock file", e))?;
    file.lock()
        .map_err(|e| PrivateFileError::new(lock_path, "cannot lock", e))?;
    Ok(file)
}

/// The shared lock on `lock_path` for a read, when the lock file exists and can be locked;
/// otherwise `None` and the read goes ahead without it (a store replacing its file by
/// [`replace_atomically`] is still read whole). Creates nothing.
#[must_use]
pub fn lock_shared(lock_path: &Path) -> Option<File> {
    let file = File::open(lock_path).ok()?;
    match file.lock_shared() {
        Ok(()) => Some(file),
        Err(e) => {
            tracing::debug!(lock = %lock_path.display(), error = %e, "reading without the lock");
            None
        }
    }
}

#[cfg(test)]
#[path = "private_file_tests.rs"]
mod tests;
