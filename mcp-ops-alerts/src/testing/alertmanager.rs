//! An ephemeral Alertmanager (API v2) on a free port.

use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::process::{ChildGuard, find_binary, free_port};
use super::prometheus::write;
use crate::alertmanager::AlertmanagerClient;
use crate::error::{AlertsError, Result};

/// The default configuration: receivers `default` and `db-team` (alerts with `team="db"`),
/// no outgoing notifications, and an inhibition of `severity="warning"` by
/// `severity="critical"` for the same `service`.
pub const DEFAULT_CONFIG: &str = r#"route:
  receiver: default
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: db-team
      matchers: ['team="db"']
receivers:
  - name: default
  - name: db-team
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [service]
"#;

/// An Alertmanager on a free 127.0.0.1 port in a temporary directory; killed on drop.
#[derive(Debug)]
pub struct TestAlertmanager {
    child: ChildGuard,
    url: String,
    _dir: TempDir,
}

impl TestAlertmanager {
    /// Starts Alertmanager with [`DEFAULT_CONFIG`].
    ///
    /// # Errors
    /// [`AlertsError::Harness`] when `prometheus-alertmanager` is missing (with the install
    /// command) or does not become ready.
    pub async fn start() -> Result<Self> {
        Self::start_with_config(DEFAULT_CONFIG).await
    }

    /// Starts Alertmanager with `config` (YAML).
    ///
    /// # Errors
    /// As [`TestAlertmanager::start`].
    pub async fn start_with_config(config: &str) -> Result<Self> {
        let bin =
            find_binary("prometheus-alertmanager").or_else(|_| find_binary("alertmanager"))?;
        let dir =
            tempfile::tempdir().map_err(|e| AlertsError::Harness(format!("temp dir: {e}")))?;
        let cfg = dir.path().join("alertmanager.yml");
        write(&cfg, config)?;
        let mut last_err = None;
        for _ in 0..3 {
            let port = free_port()?;
            let mut cmd = Command::new(&bin);
            cmd.arg(format!("--config.file={}", cfg.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("am").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--cluster.listen-address=")
                .current_dir(dir.path());
            let mut child =
                ChildGuard::spawn("alertmanager", cmd, &dir.path().join("alertmanager.log"))?;
            let url = format!("http://127.0.0.1:{port}");
            match child
                .wait_ready(&format!("{url}/-/ready"), Duration::from_secs(20))
                .await
            {
                Ok(()) => {
                    return Ok(Self {
                        child,
                        url,
                        _dir: dir,
                    });
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| AlertsError::Harness("alertmanager did not start".into())))
    }

    /// Base URL (`http://127.0.0.1:PORT`).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client for this server.
    ///
    /// # Errors
    /// Never in practice (the URL is well formed).
    pub fn client(&self) -> Result<AlertmanagerClient> {
        AlertmanagerClient::new(&self.url)
    }
}
