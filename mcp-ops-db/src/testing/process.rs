//! Child processes of the harness: free ports, running as `postgres`, stopping on drop.

use crate::{DbError, Result};
use rustix::process::{Pid, Signal, kill_process};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (bound then released; callers retry on a clash).
pub(crate) fn free_port() -> Result<u16> {
    let l =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(DbError::io("binding a free port"))?;
    let port = l
        .local_addr()
        .map_err(DbError::io("reading a bound port"))?
        .port();
    Ok(port)
}

/// The uid and gid of a local user, read from `/etc/passwd`.
pub(crate) fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut f = line.split(':');
        (f.next()? == name).then_some(())?;
        let _pw = f.next()?;
        let uid = f.next()?.parse().ok()?;
        let gid = f.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

/// Whether the current process runs as root.
pub(crate) fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Sends `signal` to a child that may already be gone.
pub(crate) fn signal(child: &Child, signal: Signal) {
    if let Some(pid) = Pid::from_raw(child.id() as i32) {
        let _ = kill_process(pid, signal);
    }
}

/// Sends `first`, waits up to `grace` for the exit, then SIGKILLs and reaps.
pub(crate) fn stop(child: &mut Child, first: Signal, grace: Duration) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    signal(child, Signal::CONT);
    signal(child, first);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The last lines of a log file, for start-up failure messages.
pub(crate) fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join(" | ")
}
