//! [`SmallDisk`]: a size-limited tmpfs mounted by a test on a fresh directory, for full-disk
//! and read-only-file-system cases; unmounted when dropped. Mounting needs root (or
//! `CAP_SYS_ADMIN`): without it the test fails saying so, it never skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{DbError, Result};

/// What a test needs to mount one.
const NEEDS: &str = "a size-limited tmpfs must be mounted (run the test as root, or with \
                     CAP_SYS_ADMIN; `mount` is in the Debian package mount)";

/// A mounted tmpfs.
#[derive(Debug)]
pub struct SmallDisk {
    _parent: tempfile::TempDir,
    dir: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size` (`256k`, `1m`: as `mount -o size=` takes it), mode 0700.
    ///
    /// # Errors
    /// [`DbError::ToolMissing`] without `mount`; [`DbError::ToolFailed`] when it refuses
    /// (not root, say).
    pub fn mount(size: &str) -> Result<Self> {
        let parent = tempfile::Builder::new()
            .prefix("mcp-ops-disk-")
            .tempdir()
            .map_err(DbError::io("creating a temporary directory"))?;
        let dir = parent.path().join("disk");
        std::fs::create_dir(&dir).map_err(DbError::io("creating the mount point"))?;
        let options = format!("size={size},mode=0700");
        mount(&["-t", "tmpfs", "-o", &options, "tmpfs"], &dir)?;
        Ok(Self {
            _parent: parent,
            dir,
        })
    }

    /// The mount point.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Remounts it read-only (what was written stays readable).
    ///
    /// # Errors
    /// As [`SmallDisk::mount`].
    pub fn remount_read_only(&self) -> Result<()> {
        mount(&["-o", "remount,ro"], &self.dir)
    }
}

fn mount(args: &[&str], dir: &Path) -> Result<()> {
    let out = Command::new("mount")
        .args(args)
        .arg(dir)
        .output()
        .map_err(|_| DbError::ToolMissing {
            tool: "mount".to_owned(),
            install: "apt-get install -y mount",
        })?;
    if out.status.success() {
        return Ok(());
    }
    Err(DbError::ToolFailed {
        tool: "mount",
        status: out.status.to_string(),
        stderr: format!("{}; {NEEDS}", String::from_utf8_lossy(&out.stderr).trim()),
    })
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}
