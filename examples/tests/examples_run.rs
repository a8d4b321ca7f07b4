//! Runs every scenario example and checks that it exits 0 and prints its result.
//!
//! `cargo test -p mcp-ops-examples` builds the examples (into `target/<profile>/examples/`,
//! next to this test's `deps/` directory) before running the tests; this file runs those
//! binaries. Cargo gives integration tests no `CARGO_BIN_EXE_*` for examples, hence the
//! path. `cargo test -p mcp-ops-examples --test examples_run` alone does not build the
//! examples: it runs whatever was built last, or fails with the command that builds them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example {name} not built at {}: run `cargo test -p mcp-ops-examples` \
         (or `cargo build -p mcp-ops-examples --examples` first)",
        path.display()
    );
    path
}

/// Runs the example, asserts exit 0 and an empty stderr, returns its stdout.
fn run(name: &str) -> String {
    let out = Command::new(example(name))
        .output()
        .expect("spawn the example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{name} exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(!stdout.is_empty(), "{name} printed nothing");
    stdout
}

#[test]
fn wiring_builds_backends_from_settings_and_triages_with_them() {
    let out = run("wiring");
    // Without DATABASE_URL and the others, those capabilities say which setting is missing.
    assert!(out.contains("unconfigured"), "{out}");
    // Fail closed: checks nobody configured make the triage inconclusive, never healthy.
    assert!(out.contains("overall: Unknown"), "{out}");
    assert!(out.contains("mcp-production/mcp-typescript-api"), "{out}");
}

#[test]
fn quickstart_fails_a_rollout_and_undoes_it() {
    let out = run("quickstart");
    assert!(out.contains("$ undo → "), "{out}");
    assert!(out.contains("REVISION"), "{out}");
}

#[test]
fn deploy_with_rollback_rolls_back_on_the_error_rate() {
    let out = run("deploy_with_rollback");
    assert!(out.contains("rolled back from revision"), "{out}");
    assert!(out.contains("# Deployment of v1.0.1"), "{out}");
}

#[test]
fn triage_finds_the_bad_deploy_and_suggests_rolling_it_back() {
    let out = run("triage");
    assert!(out.contains("== triage: unhealthy (severity P0"), "{out}");
    assert!(out.contains("HTTP 500"), "{out}");
    assert!(
        out.contains(
            "$ kubectl rollout undo deployment/mcp-typescript-api -n mcp-production --to-revision=2"
        ),
        "{out}"
    );
}

#[test]
fn rotate_secret_succeeds_and_prints_only_fingerprints() {
    let out = run("rotate_secret");
    assert!(
        out.contains("phases:   Staged → Applied → Restarted → Verified"),
        "{out}"
    );
    assert!(out.contains("succeeded: true"), "{out}");
    // The runbook mock's seeded value, which the rotation replaced.
    assert!(!out.contains("seed-jwt-secret-value"), "{out}");
}

#[test]
fn backup_and_restore_recovers_and_refuses_a_corrupted_backup() {
    let out = run("backup_and_restore");
    assert!(
        out.contains("$ DROP TABLE users;  → no users table"),
        "{out}"
    );
    assert!(out.contains("== recovery: recovered"), "{out}");
    assert!(out.contains("after: 1200 users"), "{out}");
    assert!(out.contains("refused: "), "{out}");
    assert!(out.contains("checksum mismatch"), "{out}");
    assert!(
        out.contains("state-changing calls to the cluster: 0"),
        "{out}"
    );
}

#[test]
fn escalate_reaches_l2_then_is_acknowledged_and_resolved() {
    // The example's clock runs 600 times faster than wall time, so on a loaded machine an
    // event may land a minute late: the minutes are not asserted, the order is.
    let out = run("escalate");
    let order = [
        "escalated to L1 at 14:30",
        "escalated to L2 at ",
        "acknowledged by alice at ",
        "== sent to Slack: ",
        "--- Detected L1 to [\"on-call engineer\"]",
        "--- Escalation L2 to [\"team lead\", \"infrastructure team\"]",
        "INCIDENT ESCALATED\nLevel: L2",
        "INCIDENT UPDATE\nRoot cause identified: Database connection pool exhaustion",
        "INCIDENT RESOLVED\nDuration: ",
        "== sent to PagerDuty: ",
        "| run_incident | resolve | INC-0001 |",
    ];
    let mut from = 0;
    for line in order {
        let at = out[from..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing or out of order in:\n{out}"));
        from += at + line.len();
    }
}
