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

    /// kubectl for any cluster, by its kubeconfig (e.g. the test control plane's).
    pub fn with_kubeconfig(kubeconfig: &std::path::Path) -> Self {
        Self {
            kubeconfig: kubeconfig.to_path_buf(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs `kubectl ARGS` with `stdin` as its standard input.
    pub async fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        use tokio::io::AsyncWriteExt;
        let cache = self.home.path().join("cache");
        let mut child = tokio::process::Command::new(kubectl_binary())
            .arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg(format!("--cache-dir={}", cache.display()))
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("starting kubectl");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin).await.unwrap();
        drop(input);
        let out = child.wait_with_output().await.expect("running kubectl");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
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

/// One raw HTTP/1.1 request to a SimCluster (`url` as `SimCluster::url`); returns the status
/// code and the body. For what kubectl and kube::Client do not show (Accept variants, headers).
pub async fn http_request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (code, body)
}

/// A GET with an `Accept` header.
pub async fn http_get(url: &str, path: &str, accept: &str) -> (u16, String) {
    http_request(url, "GET", path, &[("Accept", accept)], &[]).await
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}
