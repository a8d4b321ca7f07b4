//! A namespace of the real test control plane (`mcp_ops_k8s::testing::ControlPlane`) holding
//! the runbook's fixture, `ops --kubeconfig … -n <namespace>` run against it, and kubectl to
//! read what it changed independently of `ops`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use mcp_ops_k8s::testing::ControlPlane;
use serde_json::Value;

/// The runbook's `mcp-production` as manifests (moved into each test's namespace).
pub const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../mcp-ops-k8s/deploy/fixtures/mcp-production.yaml"
);

/// What one run of `ops` printed.
pub struct Run {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output as the JSON document of `--output json`.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout {}\nstderr {}", self.stdout, self.stderr))
    }

    /// Both streams, for "this never appears" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A namespace of its own on the process's control plane, with the fixture applied and its
/// pods Ready; the runtime that drives the harness lives as long as it does.
pub struct Namespaced {
    /// The namespace (`PREFIX-N-XXXXXX`).
    pub ns: String,
    cp: &'static ControlPlane,
    rt: tokio::runtime::Runtime,
}

impl Namespaced {
    /// A fresh namespace named after `prefix`, holding the runbook's fixture.
    pub fn new(prefix: &str) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (cp, ns) = rt.block_on(async {
            let cp = ControlPlane::shared()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let ns = cp.namespace(prefix).await.unwrap();
            cp.apply_fixture(Path::new(FIXTURE), &ns)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            (cp, ns)
        });
        Self { ns, cp, rt }
    }

    /// Runs `f` on the harness's runtime (servers started here live as long as `self`).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The control plane's admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        self.cp.kubeconfig_path()
    }

    /// `kubectl -n <ns> args…` as the admin; its standard output (panics when it fails).
    pub fn kubectl(&self, args: &[&str]) -> String {
        let mut all = vec!["-n", self.ns.as_str()];
        all.extend_from_slice(args);
        self.rt
            .block_on(self.cp.kubectl(&all))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `kubectl -n <ns> args…`, `Err` with its message when it fails.
    pub fn try_kubectl(&self, args: &[&str]) -> Result<String, String> {
        let mut all = vec!["-n", self.ns.as_str()];
        all.extend_from_slice(args);
        self.rt
            .block_on(self.cp.kubectl(&all))
            .map_err(|e| e.to_string())
    }

    /// The `ops` binary aimed at this namespace of the control plane.
    pub fn ops(&self) -> assert_cmd::Command {
        let mut cmd = crate::common::ops();
        cmd.arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(["-n", self.ns.as_str()]);
        cmd
    }

    /// Runs `ops args…` on this namespace, asserts the exit code, no panic and the kubeconfig
    /// banner (except for bad input, which is one line).
    pub fn run(&self, args: &[&str], code: i32) -> Run {
        let out = self.ops().args(args).output().unwrap();
        let run = Run {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_eq!(
            out.status.code(),
            Some(code),
            "ops {args:?}: stdout {}\nstderr {}",
            run.stdout,
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        if code == 2 {
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
            assert!(run.stderr.starts_with("ops: "), "{}", run.stderr);
        } else {
            assert!(
                run.stderr.starts_with("ops: cluster from kubeconfig "),
                "banner missing: {}",
                run.stderr
            );
        }
        run
    }

    /// Runs `ops --output json args…`, asserts the exit code, returns the document.
    pub fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let doc = self.run(&all, code).json();
        // Exit 0 is "ok" (or "planned" for a dry run), exit 1 "failed".
        let status = doc["status"].as_str().unwrap_or_default();
        let expected: &[&str] = if code == 0 {
            &["ok", "planned"]
        } else {
            &["failed"]
        };
        assert!(expected.contains(&status), "{doc}");
        doc
    }
}

/// The namespace is deleted when the test ends, passed or failed: the control plane's three
/// kwok nodes hold only about three copies of the fixture's CPU requests at a time, and it is
/// shared by every test of the run.
impl Drop for Namespaced {
    fn drop(&mut self) {
        let args = ["delete", "namespace", self.ns.as_str(), "--wait=false"];
        if let Err(e) = self.rt.block_on(self.cp.kubectl(&args)) {
            eprintln!("namespace {} left behind: {e}", self.ns);
        }
    }
}
