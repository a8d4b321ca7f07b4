//! The launcher process (`mcp-ops-control-plane`) of a control plane this process started.
//!
//! The launcher takes commands on its standard input and stops the whole control plane when
//! that input closes, so it dies with this process even when nothing here gets to run a
//! destructor (a static, `SIGKILL`); its components die with it (`PR_SET_PDEATHSIG`).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use super::ControlPlaneError;

/// A running launcher.
pub(super) struct Launcher {
    child: Child,
    stdin: Mutex<Option<ChildStdin>>,
    lines: Mutex<Receiver<String>>,
    stderr_log: PathBuf,
    work: tempfile::TempDir,
}

impl Launcher {
    /// Starts the launcher and waits for its `ready` line.
    pub(super) fn start(
        bin_dir: &Path,
        args: &[String],
        timeout: Duration,
    ) -> Result<(Self, PathBuf), ControlPlaneError> {
        let program = bin_dir.join("mcp-ops-control-plane");
        if !program.is_file() {
            return Err(ControlPlaneError::NotBuilt {
                dir: bin_dir.display().to_string(),
            });
        }
        let work = tempfile::Builder::new()
            .prefix("mcp-ops-test-cp-")
            .tempdir()?;
        let kubeconfig = work.path().join("admin.kubeconfig");
        let stderr_log = work.path().join("launcher.log");
        let mut child = Command::new(&program)
            .arg(format!("--bin-dir={}", bin_dir.display()))
            .arg(format!("--kubeconfig-out={}", kubeconfig.display()))
            .arg(format!("--work-dir={}", work.path().join("cp").display()))
            .arg("--stdin-control")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log)?)
            .spawn()?;
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let launcher = Self {
            child,
            stdin: Mutex::new(stdin),
            lines: Mutex::new(rx),
            stderr_log,
            work,
        };
        match launcher.next_line(timeout) {
            Some(line) if line.starts_with("ready ") => Ok((launcher, kubeconfig)),
            other => Err(ControlPlaneError::Startup(format!(
                "{}{}",
                other.map(|l| format!("{l}\n")).unwrap_or_default(),
                launcher.log_tail(40)
            ))),
        }
    }

    /// The launcher's work directory (certificates, etcd data, component logs).
    pub(super) fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// The launcher's process id.
    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one command and waits for its answer.
    pub(super) fn command(
        &self,
        command: &str,
        timeout: Duration,
    ) -> Result<(), ControlPlaneError> {
        let fail = |reason: String| ControlPlaneError::Command {
            command: command.to_string(),
            reason,
        };
        {
            let mut guard = self
                .stdin
                .lock()
                .map_err(|_| fail("lock poisoned".into()))?;
            let stdin = guard
                .as_mut()
                .ok_or_else(|| fail("launcher closed".into()))?;
            writeln!(stdin, "{command}")?;
            stdin.flush()?;
        }
        match self.next_line(timeout) {
            Some(l) if l == format!("ok {command}") => Ok(()),
            Some(l) => Err(fail(l)),
            None => Err(fail(format!("no answer\n{}", self.log_tail(20)))),
        }
    }

    fn next_line(&self, timeout: Duration) -> Option<String> {
        // A timeout and a closed launcher both mean "no line".
        self.lines.lock().ok()?.recv_timeout(timeout).ok()
    }

    fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        // Closing standard input asks the launcher to stop everything; kill it if it has not
        // within 15 s (its components then die with it).
        if let Ok(mut stdin) = self.stdin.lock() {
            stdin.take();
        }
        for _ in 0..300 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
