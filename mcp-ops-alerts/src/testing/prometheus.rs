//! An ephemeral Prometheus whose TSDB is back-filled with generated series.

use std::process::Command;
use std::time::Duration;

use jiff::Timestamp;
use tempfile::TempDir;

use super::process::{ChildGuard, find_binary, free_port};
use super::series::SeriesSet;
use crate::error::{AlertsError, Result};
use crate::prometheus::PrometheusClient;

const CONFIG: &str = "global:\n  scrape_interval: 15s\nscrape_configs: []\n";

/// A Prometheus server on a free 127.0.0.1 port in a temporary directory; killed on drop.
#[derive(Debug)]
pub struct TestPrometheus {
    child: ChildGuard,
    url: String,
    end: Timestamp,
    // Dropped after the child (fields drop in order).
    _dir: TempDir,
}

impl TestPrometheus {
    /// Writes `series` as OpenMetrics, back-fills them with `promtool tsdb
    /// create-blocks-from openmetrics`, then starts Prometheus and waits for `/-/ready`.
    ///
    /// # Errors
    /// [`AlertsError::Harness`] when `prometheus`/`promtool` are missing (with the install
    /// command), the back-fill fails or the server does not become ready.
    pub async fn start(series: &SeriesSet) -> Result<Self> {
        let prometheus = find_binary("prometheus")?;
        let promtool = find_binary("promtool")?;
        let dir =
            tempfile::tempdir().map_err(|e| AlertsError::Harness(format!("temp dir: {e}")))?;
        let data = dir.path().join("data");
        let om = dir.path().join("metrics.om");
        let cfg = dir.path().join("prometheus.yml");
        write(&om, &series.to_openmetrics())?;
        write(&cfg, CONFIG)?;
        if !series.series().is_empty() {
            let out = Command::new(&promtool)
                .args(["tsdb", "create-blocks-from", "openmetrics"])
                .arg(&om)
                .arg(&data)
                .output()
                .map_err(|e| AlertsError::Harness(format!("promtool: {e}")))?;
            if !out.status.success() {
                return Err(AlertsError::Harness(format!(
                    "promtool back-fill failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        let mut last_err = None;
        for _ in 0..3 {
            let port = free_port()?;
            let mut cmd = Command::new(&prometheus);
            cmd.arg(format!("--config.file={}", cfg.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--storage.tsdb.retention.time=3650d")
                .current_dir(dir.path());
            let mut child =
                ChildGuard::spawn("prometheus", cmd, &dir.path().join("prometheus.log"))?;
            let url = format!("http://127.0.0.1:{port}");
            match child
                .wait_ready(&format!("{url}/-/ready"), Duration::from_secs(20))
                .await
            {
                Ok(()) => {
                    return Ok(Self {
                        child,
                        url,
                        end: series.end(),
                        _dir: dir,
                    });
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| AlertsError::Harness("prometheus did not start".into())))
    }

    /// Base URL (`http://127.0.0.1:PORT`).
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The time of the last back-filled sample: query at this time for stable answers.
    #[must_use]
    pub fn data_end(&self) -> Timestamp {
        self.end
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
    pub fn client(&self) -> Result<PrometheusClient> {
        PrometheusClient::new(&self.url)
    }
}

pub(crate) fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| AlertsError::Harness(format!("cannot write {}: {e}", path.display())))
}
