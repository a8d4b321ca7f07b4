//! File primitives of the backup directory: private (0600 files, 0700 directories created on
//! first write), every write checked up to the disk (write, flush, fsync of the file and of
//! the directory), and reads that refuse anything but a regular file (no symlink, FIFO or
//! device: such a "backup" would hang or never end).

use crate::{DbError, Result};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Mode of backup files and manifests.
pub(crate) const FILE_MODE: u32 = 0o600;
/// Mode of backup directories the store creates.
pub(crate) const DIR_MODE: u32 = 0o700;

/// A file error keeping the OS reason: `"{what} {path}: {reason}"`.
pub(crate) fn io_error(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> DbError {
    let context = format!("{what} {}", path.display());
    move |source| DbError::Io { context, source }
}

/// Bad backup state (a corrupt, foreign or unreadable file): one line naming the file.
pub(crate) fn bad_file(path: &Path, why: impl std::fmt::Display) -> DbError {
    DbError::InvalidInput {
        field: "backup file",
        reason: format!("{}: {why}", path.display()),
    }
}

/// Creates `dir` (and its parents) with mode 0700 when missing; an existing directory is
/// left as it is.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(bad_file(dir, "not a directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(io_error("creating backup directory", dir)),
        Err(e) => Err(io_error("reading backup directory", dir)(e)),
    }
}

/// Creates `path` (which must not exist) with mode 0600 for writing.
pub(crate) fn create_new(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
        .map_err(io_error("creating", path))
}

/// Writes `bytes` to the new file `path` (0600) and makes them durable; on any failure the
/// file is removed and the error keeps the OS reason.
pub(crate) fn write_new_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = create_new(path)?;
    let written = f
        .write_all(bytes)
        .and_then(|()| f.flush())
        .map_err(io_error("writing", path))
        .and_then(|()| f.sync_all().map_err(io_error("fsync of", path)));
    if written.is_err() {
        // Only what this call created is removed.
        let _ = std::fs::remove_file(path);
    }
    written
}

/// fsync of a directory, so renames and removals in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("fsync of directory", dir))
}

/// Opens `path` for reading only if it is a regular file: symlinks are not followed, a FIFO
/// does not block the open, and the opened handle's type is checked. `NotFound` stays an
/// [`std::io::Error`] so callers can say "not found"; everything else is a [`bad_file`].
pub(crate) fn open_regular(path: &Path) -> std::result::Result<std::fs::File, OpenError> {
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => OpenError::NotFound,
            // ELOOP: the last component is a symlink.
            _ if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                OpenError::Bad(bad_file(path, "is a symbolic link; refused"))
            }
            _ => OpenError::Bad(bad_file(path, e)),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| OpenError::Bad(bad_file(path, e)))?;
    if !meta.is_file() {
        return Err(OpenError::Bad(bad_file(
            path,
            format!("is not a regular file ({}); refused", kind_of(&meta)),
        )));
    }
    Ok(file)
}

/// Why [`open_regular`] failed.
pub(crate) enum OpenError {
    /// No such file.
    NotFound,
    /// Not a regular file, or unreadable.
    Bad(DbError),
}

/// Reads a small regular file of at most `cap` bytes.
pub(crate) fn read_small(path: &Path, cap: u64) -> std::result::Result<Vec<u8>, OpenError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| OpenError::Bad(bad_file(path, e)))?;
    if bytes.len() as u64 > cap {
        return Err(OpenError::Bad(bad_file(
            path,
            format!("larger than {cap} bytes; not a manifest"),
        )));
    }
    Ok(bytes)
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn refuses_symlinks_fifos_and_directories_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::RUSR).unwrap();
        for (path, word) in [
            (&link, "symbolic link"),
            (&fifo, "FIFO"),
            (&dir.path().to_path_buf(), "directory"),
        ] {
            match open_regular(path) {
                Err(OpenError::Bad(e)) => {
                    let text = e.to_string();
                    assert!(text.contains(word), "{text}");
                    assert!(text.contains(&path.display().to_string()), "{text}");
                }
                _ => panic!("{} was opened", path.display()),
            }
        }
        assert!(matches!(
            open_regular(&dir.path().join("missing")),
            Err(OpenError::NotFound)
        ));
    }

    #[test]
    fn new_files_and_directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        ensure_dir(&sub).unwrap();
        let mode = std::fs::metadata(&sub).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let f = sub.join("x");
        write_new_durably(&f, b"hello").unwrap();
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(write_new_durably(&f, b"again").is_err(), "never overwrites");
        match read_small(&f, 5) {
            Ok(bytes) => assert_eq!(bytes, b"hello"),
            Err(OpenError::Bad(e)) => panic!("{e}"),
            Err(OpenError::NotFound) => panic!("not found"),
        }
        assert!(matches!(read_small(&f, 4), Err(OpenError::Bad(_))));
    }
}
