//! Shared helpers: running real kubectl against a SimCluster with an isolated HOME and cache.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use mcp_ops_k8s::sim::SimCluster;
use std::path::PathBuf;

/// The result of one kubectl run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the output unless the exit code is 0.
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "kubectl failed\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// kubectl bound to one cluster, with its own HOME and discovery cache.
pub struct Kubectl {
    kubeconfig: PathBuf,
    home: tempfile::TempDir,
}

/// The kubectl of the control plane's release (`MCP_OPS_KUBECTL`, set by scripts/test), else
/// the first kubectl on PATH; fails with the build command when there is none.
pub fn kubectl_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MCP_OPS_KUBECTL").map(PathBuf::from) {
        assert!(
            p.is_file(),
            "MCP_OPS_KUBECTL={} does not exist: run scripts/build-control-plane",
            p.display()
        );
        return p;
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        let p = PathBuf::from(dir).join("kubectl");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "kubectl is not on PATH: these tests run real kubectl against the simulator; build the one of the control plane's release with scripts/build-control-plane and set MCP_OPS_KUBECTL to DIR/kubectl (scripts/test does)"
    );
}

impl Kubectl {
    /// kubectl for `cluster`.
    pub fn new(cluster: &SimCluster) -> Self {
        Self {
            kubeconfig: cluster.kubeconfig_path().to_path_buf(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs `kubectl ARGS` (with `--kubeconfig` and `--cache-dir` added).
    pub async fn run(&self, args: &[&str]) -> Run {
        let bin = kubectl_binary();
        let cache = self.home.path().join("cache");
        let out = tokio::process::Command::new(bin)
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG")
            .kill_on_drop(true)
            .output()
            .await
            .expect("running kubectl");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts `kubectl ARGS` with stdout piped (killed when dropped).
    pub fn spawn(&self, args: &[&str]) -> tokio::process::Child {
        let cache = self.home.path().join("cache");
        tokio::process::Command::new(kubectl_binary())
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting kubectl")
    }

    /// Runs kubectl in namespace `mcp-production`.
    pub async fn prod(&self, args: &[&str]) -> Run {
        let mut a = vec!["-n", "mcp-production"];
        a.extend_from_slice(args);
        self.run(&a).await
    }
}

/// Splits table output into rows of whitespace-separated cells.
pub fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}
