//! Shared helpers of the CLI tests: run `ops`, check stderr, validate JSON against a schema.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

/// A state directory for this test process (nextest runs each test in its own process), so
/// incidents never land in the home directory and tests never see each other's.
pub fn state_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// The caller's settings `ops` would read from the environment; every test's `ops` runs
/// without them.
pub const CALLER_SETTINGS: &[&str] = &[
    "OPS_KUBECONFIG",
    "DATABASE_URL",
    "REDIS_URL",
    "MCP_OPS_PROMETHEUS_URL",
    "MCP_OPS_ALERTMANAGER_URL",
    "MCP_OPS_HEALTH_URL",
    "MCP_OPS_INCIDENTS_URL",
    "MCP_OPS_BACKUP_DIR",
    "MCP_OPS_SLACK_WEBHOOK_URL",
    "MCP_OPS_PAGERDUTY_ROUTING_KEY",
    "MCP_OPS_SMTP_HOST",
    "MCP_OPS_PLATFORM",
    "MCP_OPS_USER",
    "MCP_OPS_ENFORCE_CHANGES",
    "RUST_BACKTRACE",
];

/// The `ops` binary of this package (or the one `MCP_OPS_TEST_OPS_BIN` names, to run a test
/// against another build, e.g. to show that it fails before a fix), with none of the caller's
/// targets and a private state directory.
pub fn ops() -> Command {
    let bin = std::env::var_os("MCP_OPS_TEST_OPS_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_ops").into());
    let mut cmd = Command::new(bin);
    for var in CALLER_SETTINGS {
        cmd.env_remove(var);
    }
    cmd.env("MCP_OPS_STATE_DIR", state_dir());
    cmd
}

/// Runs `ops args…`, asserts exit 2 with exactly one line on stderr and no panic.
pub fn bad_input(args: &[&str]) {
    let out = ops().args(args).output().expect("ops runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: stderr {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: stderr {stderr:?}");
    assert!(stderr.starts_with("ops: "), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", out.stdout);
}

/// Runs `ops args…`, asserts the exit code, returns stdout.
pub fn run(args: &[&str], code: i32) -> String {
    let out = ops().args(args).output().expect("ops runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: stdout {stdout}\nstderr {stderr}"
    );
    assert!(
        stderr.starts_with("ops: embedded simulated cluster mcp-production at http://127.0.0.1:"),
        "{args:?}: banner missing: {stderr}"
    );
    stdout
}

/// Runs `ops --kubeconfig <kubeconfig> args…`, asserts the exit code and the kubeconfig
/// banner, returns stdout.
pub fn run_on(kubeconfig: &std::path::Path, args: &[&str], code: i32) -> String {
    let out = ops()
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .output()
        .expect("ops runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: stdout {stdout}\nstderr {stderr}"
    );
    assert!(
        stderr.starts_with("ops: cluster from kubeconfig "),
        "{args:?}: banner missing: {stderr}"
    );
    stdout
}

/// A SimCluster seeded with the runbook's `mcp-production`, served by its own runtime's
/// threads while the test runs `ops` against its kubeconfig.
pub struct SeparateSim {
    /// The cluster (dropped before the runtime).
    pub sim: mcp_ops_k8s::sim::SimCluster,
    _runtime: tokio::runtime::Runtime,
}

impl SeparateSim {
    /// Starts the cluster.
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = runtime
            .block_on(mcp_ops_k8s::sim::SimCluster::start(
                mcp_ops_k8s::sim::Scenario::mcp_production(),
            ))
            .unwrap();
        Self {
            sim,
            _runtime: runtime,
        }
    }

    /// Its kubeconfig file.
    pub fn kubeconfig(&self) -> &std::path::Path {
        self.sim.kubeconfig_path()
    }
}

/// Today's nightly backup id of the embedded target.
pub fn nightly() -> String {
    let out = ops()
        .args(["--output", "json", "backups"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["report"][0]["id"].as_str().unwrap().to_owned()
}

/// Validates `value` against the subset of JSON Schema the files in `schemas/` use: `type`
/// (one or a list), `required`, `properties`, `items`, `enum`, `anyOf`. Returns the first
/// violation with its JSON pointer.
pub fn validate(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let errors: Vec<String> = any
            .iter()
            .filter_map(|s| validate(s, value, at).err())
            .collect();
        if errors.len() == any.len() {
            return Err(format!("{at}: matches no anyOf branch: {errors:?}"));
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => return Err(format!("{at}: bad type in schema")),
        };
        if !types.iter().any(|t| type_matches(t, value)) {
            return Err(format!("{at}: expected {types:?}, got {value}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        return Err(format!("{at}: {value} not in {e:?}"));
    }
    if let Value::Object(map) = value {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = r.as_str().unwrap_or_default();
            if !map.contains_key(key) {
                return Err(format!("{at}: missing required {key:?}"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, s) in props {
                if let Some(v) = map.get(k) {
                    validate(s, v, &format!("{at}/{k}"))?;
                }
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            validate(s, v, &format!("{at}/{i}"))?;
        }
    }
    Ok(())
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_u64() || v.is_i64(),
        _ => false,
    }
}

/// Loads `schemas/<name>.schema.json`.
pub fn schema(name: &str) -> Value {
    let path = format!("{}/schemas/{name}.schema.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Sends `sig` (`-STOP`, `-CONT`, `-KILL`) to process `pid` with kill(1): a frozen or killed
/// server in a test.
pub fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(ok.success(), "kill {sig} {pid}");
}
