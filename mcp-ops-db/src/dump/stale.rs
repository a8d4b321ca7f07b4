//! Leftovers of interrupted backups: hidden `.<id>.dump.partial` and
//! `.<id>.manifest.json.partial` files (and the older `<id>.manifest.json.partial`) that no
//! running backup holds. A file is removed only when it is older than [`STALE_AFTER`] *and*
//! its lock can be taken (a running backup holds the lock on its data file for as long as it
//! writes), so a concurrent backup's files are never touched.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How old (last modified) a leftover must be before it is removed.
pub const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Removes stale leftovers in `root`; returns what was removed. Failures are logged, never
/// fatal: a leftover must not stop a new backup.
pub(crate) fn remove_stale_partials(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let now = SystemTime::now();
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.ends_with(".dump.partial") || name.ends_with(".manifest.json.partial");
        if !ours {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if !meta.is_file() || !old || held_by_a_writer(&path) {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::info!(path = %path.display(), "removed the leftover of an interrupted backup");
                removed.push(path);
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not remove a leftover");
            }
        }
    }
    removed
}

/// Whether another open file description holds a lock on `path`.
fn held_by_a_writer(path: &Path) -> bool {
    match std::fs::OpenOptions::new().read(true).open(path) {
        Ok(f) => f.try_lock_shared().is_err(),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn age(path: &Path, by: Duration) {
        let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - by).unwrap();
    }

    #[test]
    fn removes_only_old_unlocked_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        for n in [
            ".a.dump.partial",
            ".a.manifest.json.partial",
            ".b.dump.partial",
            ".c.dump.partial",
            "keep.dump",
            "keep.manifest.json",
        ] {
            std::fs::write(p(n), b"x").unwrap();
        }
        for n in [
            ".a.dump.partial",
            ".a.manifest.json.partial",
            ".c.dump.partial",
            "keep.dump",
        ] {
            age(&p(n), STALE_AFTER + Duration::from_secs(60));
        }
        // .c is old but a running backup holds its lock.
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .open(p(".c.dump.partial"))
            .unwrap();
        writer.lock().unwrap();
        let mut removed = remove_stale_partials(dir.path());
        removed.sort();
        assert_eq!(
            removed,
            vec![p(".a.dump.partial"), p(".a.manifest.json.partial")]
        );
        for n in [
            ".b.dump.partial",
            ".c.dump.partial",
            "keep.dump",
            "keep.manifest.json",
        ] {
            assert!(p(n).exists(), "{n}");
        }
    }
}
