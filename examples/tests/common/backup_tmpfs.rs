//! A size-limited tmpfs for full-disk tests, mounted by the test and unmounted on drop. If it
//! cannot be mounted the test fails saying why (it never skips).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

/// A tmpfs of a given size on a fresh directory.
pub struct Tmpfs {
    _parent: tempfile::TempDir,
    /// The mount point.
    pub dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`256k`, `1m`).
    pub fn mount(size: &str) -> Self {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("disk");
        std::fs::create_dir(&dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run mount (install it: apt-get install -y mount): {e}")
            });
        assert!(
            out.status.success(),
            "this test needs a size-limited tmpfs and could not mount one (run it as root or \
             with CAP_SYS_ADMIN): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            _parent: parent,
            dir,
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}
