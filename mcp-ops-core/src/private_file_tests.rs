//! Modes, atomic replacement and lock exclusion of [`super`].
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, TryLockError};
use std::path::PathBuf;

use super::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("private-file-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn sibling_appends_to_the_file_name() {
    let path = Path::new("/state/changes.json");
    assert_eq!(
        sibling(path, ".lock"),
        Path::new("/state/changes.json.lock")
    );
}

#[cfg(unix)]
#[test]
fn files_are_0600_and_created_directories_0700() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("modes");
    let path = dir.join("a").join("data.json");
    let lock = lock_exclusive(&sibling(&path, ".lock")).unwrap();
    replace_atomically(&path, b"x").unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.join("a")), 0o700);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&sibling(&path, ".lock")), 0o600);
    // An existing file with wider permissions is narrowed.
    let wide = dir.join("wide");
    fs::write(&wide, b"").unwrap();
    fs::set_permissions(&wide, fs::Permissions::from_mode(0o644)).unwrap();
    drop(open_private_append(&wide).unwrap());
    assert_eq!(mode(&wide), 0o600);
    drop(lock);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn replace_writes_the_bytes_and_leaves_no_temporary_file() {
    let dir = scratch("replace");
    let path = dir.join("data.json");
    create_parent_dir(&path).unwrap();
    replace_atomically(&path, b"one").unwrap();
    replace_atomically(&path, b"two").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"two");
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["data.json"]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_replace_removes_its_temporary_file_and_names_the_path() {
    let dir = scratch("failed");
    // The target is a non-empty directory: the rename over it fails after the write.
    let path = dir.join("data.json");
    fs::create_dir_all(path.join("inside")).unwrap();
    let err = replace_atomically(&path, b"secret contents").unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}: cannot write: ", path.display())),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["data.json"], "no .tmp-<pid> left behind");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_exclusive_lock_excludes_another_handle() {
    let dir = scratch("lock");
    let lock_path = dir.join("data.json.lock");
    assert!(lock_shared(&lock_path).is_none(), "no lock file, no lock");
    assert!(!dir.exists(), "a shared lock creates nothing");

    let held = lock_exclusive(&lock_path).unwrap();
    let other = fs::File::open(&lock_path).unwrap();
    assert!(matches!(other.try_lock(), Err(TryLockError::WouldBlock)));
    assert!(matches!(
        other.try_lock_shared(),
        Err(TryLockError::WouldBlock)
    ));
    drop(held);
    other.try_lock().unwrap();
    drop(other);

    let reader = lock_shared(&lock_path).unwrap();
    let second_reader = lock_shared(&lock_path).unwrap();
    let writer = fs::File::open(&lock_path).unwrap();
    assert!(matches!(writer.try_lock(), Err(TryLockError::WouldBlock)));
    drop((reader, second_reader));
    writer.try_lock().unwrap();
    drop(writer);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_lock_file_that_cannot_be_opened_is_named() {
    let dir = scratch("badlock");
    // The lock path is a directory: opening it for writing fails.
    let lock_path = dir.join("data.json.lock");
    fs::create_dir_all(&lock_path).unwrap();
    let err = lock_exclusive(&lock_path).unwrap_err();
    assert_eq!(err.what, "cannot open lock file");
    assert_eq!(err.path, lock_path);
    fs::remove_dir_all(&dir).unwrap();
}
