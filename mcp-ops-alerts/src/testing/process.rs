//! Child-process plumbing shared by the server harnesses.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{AlertsError, Result};

/// The command that installs the servers the harness needs.
pub const INSTALL_HINT: &str =
    "apt-get install -y --no-install-recommends prometheus prometheus-alertmanager";

/// Finds `name` on `PATH`, or fails with the install command.
///
/// # Errors
/// [`AlertsError::Harness`] naming the install command when the binary is missing.
pub fn find_binary(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            AlertsError::Harness(format!(
                "`{name}` is not installed; install it with: {INSTALL_HINT}"
            ))
        })
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller retries on a clash).
///
/// # Errors
/// [`AlertsError::Harness`] when no port can be bound.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| AlertsError::Harness(format!("cannot bind a free port: {e}")))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| AlertsError::Harness(format!("cannot read the bound port: {e}")))
}

/// A child process killed (and reaped) on drop, also when a test panics.
#[derive(Debug)]
pub struct ChildGuard {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl ChildGuard {
    /// Spawns `cmd` with stdout and stderr appended to `log`.
    ///
    /// # Errors
    /// [`AlertsError::Harness`] when the log cannot be created or the process cannot start.
    pub fn spawn(name: &'static str, mut cmd: Command, log: &Path) -> Result<Self> {
        let out = File::create(log)
            .map_err(|e| AlertsError::Harness(format!("{name}: cannot create log: {e}")))?;
        let err = out
            .try_clone()
            .map_err(|e| AlertsError::Harness(format!("{name}: cannot clone log: {e}")))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| AlertsError::Harness(format!("{name}: cannot start: {e}")))?;
        Ok(Self {
            child,
            name,
            log: log.to_path_buf(),
        })
    }

    /// The process id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of the process' log.
    #[must_use]
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Polls `url` until it answers 2xx, the process exits, or `timeout` passes.
    ///
    /// # Errors
    /// [`AlertsError::Harness`] with the log tail when the server does not become ready.
    pub async fn wait_ready(&mut self, url: &str, timeout: Duration) -> Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(AlertsError::Harness(format!(
                    "{} exited early ({status}):\n{}",
                    self.name,
                    self.log_tail()
                )));
            }
            let ok = http
                .get(url)
                .timeout(Duration::from_secs(1))
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(AlertsError::Harness(format!(
                    "{} not ready after {timeout:?}:\n{}",
                    self.name,
                    self.log_tail()
                )));
            }
            // Real sleep: harness start must not depend on a paused tokio clock.
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
