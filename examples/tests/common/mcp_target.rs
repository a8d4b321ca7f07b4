//! What `ops mcp` serves in the client tests that change something: a namespace of the real
//! control plane holding the runbook's fixture, a real Prometheus with the API's traffic (1 %
//! errors: a bake passes), the API's health endpoint, a real PostgreSQL with `mcp_db` and a
//! fresh verified backup of it (the deploy's backup gate), and a platform file whose team
//! approves changes and whose `[mcp]` section allows this namespace and its deployments.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};
use mcp_ops_db::testing::TestPostgres;
use serde_json::Value;

use super::control_plane::Namespaced;
use super::health_server::HealthServer;

/// The runbook's API deployment (and its container).
pub const API: &str = "mcp-typescript-api";
/// Its image in the fixture.
pub const V0: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.0";
/// A patch release (Medium risk: the engineering manager approves).
pub const V1: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

/// The servers and files of one test's target; everything stops when it is dropped.
pub struct RealTarget {
    /// The namespace on the control plane (kubectl reads it independently of `ops`).
    pub env: Namespaced,
    _prometheus: TestPrometheus,
    _health: HealthServer,
    _postgres: TestPostgres,
    dir: tempfile::TempDir,
    /// `ops` global arguments that aim it at all of the above.
    pub global: Vec<String>,
}

impl RealTarget {
    /// A fresh namespace named after `prefix` and its servers, with a verified backup taken.
    pub fn new(prefix: &str) -> Self {
        let env = Namespaced::new(prefix);
        let series = SeriesSet::ending_now()
            .requests(API, 20.0, 0.01)
            .latency(API, 20.0, 0.3);
        let prometheus = env.block_on(TestPrometheus::start(&series)).unwrap();
        let health = HealthServer::start();
        let postgres = env.block_on(TestPostgres::start()).unwrap();
        env.block_on(async {
            let admin = mcp_ops_db::pg::connect(&postgres.config()).await.unwrap();
            admin.batch_execute("CREATE DATABASE mcp_db").await.unwrap();
            let db = mcp_ops_db::pg::connect(&postgres.config().with_dbname("mcp_db"))
                .await
                .unwrap();
            db.batch_execute(
                "CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users VALUES (1);",
            )
            .await
            .unwrap();
        });
        let dir = tempfile::tempdir().unwrap();
        let platform = dir.path().join("platform.toml");
        std::fs::write(&platform, platform_file(&env.ns)).unwrap();
        let backups = dir.path().join("backups");
        std::fs::create_dir(&backups).unwrap();
        let database = format!("postgresql://postgres@127.0.0.1:{}/mcp_db", postgres.port());
        let global = [
            "--platform",
            path_str(&platform),
            "--kubeconfig",
            path_str(env.kubeconfig()),
            "-n",
            env.ns.as_str(),
            "--prometheus-url",
            prometheus.url(),
            "--health-url",
            health.url(),
            "--database-url",
            database.as_str(),
            "--backup-dir",
            path_str(&backups),
        ]
        .map(str::to_owned)
        .to_vec();
        let target = Self {
            env,
            _prometheus: prometheus,
            _health: health,
            _postgres: postgres,
            dir,
            global,
        };
        target.ops_json(&["backup", "db", "mcp_db"]);
        target
    }

    /// `ops <global…> args…`; asserts exit 0 and returns stdout.
    pub fn ops(&self, args: &[&str]) -> String {
        let out = super::common::ops()
            .args(&self.global)
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status.code(),
            Some(0),
            "ops {args:?}: stdout {stdout}\nstderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }

    /// `ops <global…> --output json args…`; asserts exit 0 and returns the document.
    pub fn ops_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let stdout = self.ops(&all);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// The `ops <global…>` arguments plus `more`.
    pub fn global_with(&self, more: &[&str]) -> Vec<String> {
        let mut v = self.global.clone();
        v.extend(more.iter().map(|s| (*s).to_owned()));
        v
    }

    /// The image of the API's pod template, as kubectl sees it.
    pub fn api_image(&self) -> String {
        self.env
            .kubectl(&["get", "deployment", API, "-o", "jsonpath={..image}"])
            .trim()
            .to_owned()
    }

    /// A file of this target's private directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The runbook's platform on namespace `ns`, serving that namespace and the three deployments.
pub fn platform_file(ns: &str) -> String {
    let runbook = include_str!("../../platforms/runbook.toml");
    let original = "namespaces = [\"mcp-production\"]";
    assert!(runbook.contains(original), "runbook.toml changed");
    let mut text = runbook.replacen(original, &format!("namespaces = [\"{ns}\"]"), 1);
    text.push_str(&format!(
        "\n[mcp]\nnamespaces = [\"{ns}\"]\n\
         deployments = [\"mcp-typescript-api\", \"mcp-learning-system\", \"mcp-rust-server\"]\n"
    ));
    text
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}
