//! `ops --platform FILE`: the drill runs on another platform's services; bad platform files
//! are bad input (exit 2, one line naming the key); the runbook's example file is the
//! built-in default.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::ops;
use mcp_ops_core::platform::Platform;

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("platforms")
        .join(name)
}

/// Runs `ops args…` without a platform from the caller's environment; (code, stdout, stderr).
fn ops_run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = ops()
        .env_remove("MCP_OPS_PLATFORM")
        .args(args)
        .output()
        .expect("ops runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts exit 2 with one line on stderr containing every `want`; returns the line.
fn refused(args: &[&str], want: &[&str]) -> String {
    let (code, stdout, stderr) = ops_run(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
    assert!(stdout.is_empty(), "{args:?}: {stdout}");
    for w in want {
        assert!(stderr.contains(w), "{args:?}: want {w:?} in {stderr}");
    }
    stderr
}

#[test]
fn the_runbook_example_file_is_the_built_in_default() {
    let p = Platform::load(example("runbook.toml")).unwrap();
    assert_eq!(p, Platform::runbook());
    let shop = Platform::load(example("shop.toml")).unwrap();
    assert_ne!(shop, Platform::runbook());
    assert_eq!(shop.namespace().as_str(), "shop-staging");
}

#[test]
fn the_drill_runs_on_another_platform() {
    let shop = example("shop.toml");
    let shop = shop.to_str().unwrap();
    let (code, out, err) = ops_run(&["--platform", shop, "drill", "--bake-seconds", "1"]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.starts_with("drill: passed — bad deploy of shop-staging/storefront"),
        "{out}"
    );
    assert!(err.contains("platform shop (staging)"), "{err}");
    for want in [
        "kubectl set image deployment/storefront web=registry.shop.example/storefront:v2.3.2 -n shop-staging",
        "kubectl rollout undo deployment/storefront -n shop-staging",
        "https://shop-staging.example.com/healthz",
        "database shop_orders",
        "L2 shop team lead due at 10 min",
        "INCIDENT RESOLVED to #shop-staging-alerts",
        // The shop's rollback threshold (5 %), not the runbook's 10 %.
        "error rate 15.0 % > 5.0 %",
    ] {
        assert!(out.contains(want), "want {want:?} in {out}");
    }
    assert!(!out.contains("mcp-typescript-api"), "{out}");

    // The variable names the file too; the plan names the shop's services.
    let out = ops()
        .env("MCP_OPS_PLATFORM", shop)
        .args(["drill", "--dry-run"])
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{plan}");
    assert!(plan.contains("deployment/storefront web="), "{plan}");

    // The runbook's file behaves as no file.
    let runbook = example("runbook.toml");
    let (code, plan, _) = ops_run(&[
        "--platform",
        runbook.to_str().unwrap(),
        "drill",
        "--dry-run",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        plan.contains("deployment/mcp-typescript-api mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.2"),
        "{plan}"
    );
}

#[test]
fn flags_override_the_platform() {
    let shop = example("shop.toml");
    let shop = shop.to_str().unwrap();
    // `-n` wins over the file's namespace; the embedded cluster has only the file's.
    refused(
        &["--platform", shop, "-n", "mcp-production", "triage"],
        &["shop-staging, shop-jobs", "got mcp-production"],
    );
}

#[test]
fn referenced_urls_are_checked_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(example("shop.toml"))
        .unwrap()
        .replace(
            "url = \"http://prometheus.monitoring.svc:9090\"",
            "url = { env = \"SHOP_TEST_PROMETHEUS_URL\" }",
        );
    let path = dir.path().join("shop.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    let out = ops()
        .env_remove("MCP_OPS_PLATFORM")
        .env("SHOP_TEST_PROMETHEUS_URL", "prometheus:9090")
        .args(["--platform", path, "capacity"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("platform metrics.url: must be a URL"), "{err}");
    // The flag wins over the file: the malformed variable is never read.
    let out = ops()
        .env_remove("MCP_OPS_PLATFORM")
        .env("SHOP_TEST_PROMETHEUS_URL", "prometheus:9090")
        .args([
            "--platform",
            path,
            "--prometheus-url",
            "http://127.0.0.1:9",
            "capacity",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("platform shop (staging)"), "{err}");
}

#[test]
fn bad_platform_files_are_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(example("shop.toml")).unwrap();
    let cases: [(&str, String, &[&str]); 5] = [
        (
            "container.toml",
            good.replace("name = \"model-server\"", "name = \"Model_Server\""),
            &["deployments[1].containers[0].name: ", "uppercase"],
        ),
        (
            "inline.toml",
            good.replace(
                "url = { env = \"SHOP_DATABASE_URL\" }",
                "url = \"postgres://shop:hunter2@db/shop\"",
            ),
            &["database.url: inline secrets are refused"],
        ),
        (
            "unknown.toml",
            good.replace("replicas = 4", "replicas = 4\ncolour = \"blue\""),
            &["colour", "unknown field"],
        ),
        (
            "threshold.toml",
            good.replace("rollback_error_rate = 0.05", "rollback_error_rate = 0.01"),
            &["thresholds.rollback_error_rate: "],
        ),
        (
            "served.toml",
            good.replace("served_by = [\"inventory\"]", "served_by = [\"cart\"]"),
            &["health[1].served_by[0]: "],
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let line = refused(&["--platform", path.to_str().unwrap(), "drill"], want);
        assert!(line.contains(name), "{line}");
        assert!(!line.contains("hunter2"), "{line}");
    }
    let missing = dir.path().join("missing.toml");
    refused(
        &["--platform", missing.to_str().unwrap(), "triage"],
        &["cannot read"],
    );
}
