//! `mcp-ops-core` must not depend on any backend crate (DESIGN.md, crate map).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn core_depends_on_no_backend_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "mcp-ops-core",
            "-e",
            "normal",
            "--all-features",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("mcp-ops-core"),
        "unexpected cargo tree output: {tree}"
    );
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for banned in [
        "kube",
        "kube-client",
        "k8s-openapi",
        "tokio-postgres",
        "deadpool-postgres",
        "redis",
        "reqwest",
        "hyper",
        "openssl",
    ] {
        assert!(
            !crates.contains(&banned),
            "mcp-ops-core must not depend on {banned}"
        );
    }
}
