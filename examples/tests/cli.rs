//! Every subcommand of `ops`: success, `--dry-run` and bad input (exit 2, one line, no panic).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SeparateSim, bad_input, nightly, ops, run, run_on};
use predicates::prelude::*;

const IMAGE: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";

#[test]
fn triage_reports_healthy_and_exits_0() {
    let out = run(&["triage"], 0);
    assert!(out.starts_with("triage: healthy"), "{out}");
    let plan = run(&["triage", "--dry-run"], 0);
    assert!(plan.contains("Plan (dry run"), "{plan}");
    assert!(plan.contains("kubectl get nodes"), "{plan}");
    bad_input(&["triage", "--output", "yaml"]);
    bad_input(&["triage", "extra"]);
}

#[test]
fn investigate_errors_and_latency() {
    assert!(run(&["investigate", "errors"], 0).contains("error rate: within policy"));
    assert!(run(&["investigate", "latency"], 0).contains("p95 latency: within policy"));
    assert!(run(&["investigate", "errors", "--dry-run"], 0).contains("Plan (dry run"));
    assert!(run(&["investigate", "latency", "--dry-run"], 0).contains("Plan (dry run"));
    bad_input(&["investigate", "memory"]);
    bad_input(&["investigate"]);
}

#[test]
fn deploy_passes_its_gates_or_is_refused() {
    let args = [
        "deploy",
        "mcp-typescript-api",
        IMAGE,
        "--evidence",
        "CI 4812 green",
        "--bake-seconds",
        "1",
    ];
    assert!(run(&args, 0).contains("deployed ghcr.io/your-org/mcp-typescript-server:v1.0.1"));
    // Without checklist evidence the gates fail: refused, exit 1.
    let refused = run(
        &["deploy", "mcp-typescript-api", IMAGE, "--bake-seconds", "1"],
        1,
    );
    assert!(refused.starts_with("refused"), "{refused}");
    let plan = run(
        &[
            "deploy",
            "mcp-typescript-api",
            IMAGE,
            "--evidence",
            "ok",
            "--dry-run",
        ],
        0,
    );
    assert!(
        plan.contains("kubectl set image deployment/mcp-typescript-api"),
        "{plan}"
    );
    bad_input(&["deploy", "mcp-typescript-api", "no-equals-sign"]);
    bad_input(&["deploy", "mcp-typescript-api", "c=Not A Valid:Image"]);
    bad_input(&["deploy", "Bad_Name", IMAGE]);
    bad_input(&["deploy", "mcp-typescript-api", IMAGE, "--force", " "]);
}

#[test]
fn rollback_undoes_and_checks_health() {
    assert!(run(&["rollback"], 0).contains("every deployment is back"));
    assert!(run(&["rollback", "mcp-rust-server"], 0).contains("rolled back from revision"));
    let plan = run(&["rollback", "mcp-typescript-api", "--dry-run"], 0);
    assert!(
        plan.contains("kubectl rollout undo deployment/mcp-typescript-api"),
        "{plan}"
    );
    bad_input(&["rollback", "no-such-deployment"]);
    bad_input(&["rollback", "mcp-rust-server", "mcp-rust-server"]);
}

#[test]
fn scale_replicas_and_resources() {
    // The simulated cluster gives every deployment an autoscaler: --replicas raises its floor.
    let out = run(&["scale", "mcp-rust-server", "--replicas", "5"], 0);
    assert!(
        out.contains("hpa/mcp-rust-server-hpa min/max 3/12 → 5/12"),
        "{out}"
    );
    let v = run(
        &[
            "scale",
            "mcp-rust-server",
            "--cpu",
            "250m",
            "--memory",
            "512Mi",
            "--memory-limit",
            "1Gi",
        ],
        0,
    );
    assert!(v.contains("scale: completed"), "{v}");
    let plan = run(
        &["scale", "mcp-rust-server", "--replicas", "5", "--dry-run"],
        0,
    );
    assert!(
        plan.contains(r#"kubectl patch hpa mcp-rust-server-hpa -n mcp-production --patch='{"spec":{"minReplicas":5"#),
        "{plan}"
    );
    bad_input(&["scale", "mcp-rust-server"]);
    bad_input(&["scale", "mcp-rust-server", "--replicas", "many"]);
    bad_input(&["scale", "mcp-rust-server", "--cpu", "1"]);
    bad_input(&[
        "scale",
        "mcp-rust-server",
        "--cpu",
        "lots",
        "--memory",
        "1Gi",
    ]);
    bad_input(&["scale", "no-such", "--replicas", "3"]);
    let hpa = run(&["scale", "mcp-typescript-api", "--hpa-max", "15"], 0);
    assert!(hpa.contains("max 10 → 15"), "{hpa}");
    let plan = run(
        &[
            "scale",
            "mcp-typescript-api",
            "--hpa-max",
            "15",
            "--dry-run",
        ],
        0,
    );
    assert!(
        plan.contains("kubectl patch hpa mcp-typescript-api-hpa"),
        "{plan}"
    );
    bad_input(&["scale", "mcp-typescript-api", "--hpa-max", "500"]);
    bad_input(&["scale", "mcp-typescript-api", "--hpa-max", "2"]);
    bad_input(&["scale", "no-such", "--hpa-max", "5"]);
}

#[test]
fn capacity_lists_nodes() {
    let out = run(&["capacity"], 0);
    assert!(out.contains("capacity: 3 nodes"), "{out}");
    assert!(out.contains("ip-10-0-1-11"), "{out}");
    assert!(run(&["capacity", "--dry-run"], 0).contains("Plan (dry run"));
    bad_input(&["capacity", "now"]);
}

#[test]
fn backup_of_each_kind() {
    assert!(run(&["backup", "db", "mcp_db"], 0).contains("written to /backups/"));
    assert!(run(&["backup", "config", "mcp-production"], 0).contains("config-backup"));
    // A CronJob backup is a Job of the simulated cluster, waited for.
    let cron = run(&["backup", "cronjob", "postgres-backup"], 0);
    assert!(
        cron.contains("written to job/postgres-backup-") && cron.contains("succeeded"),
        "{cron}"
    );
    bad_input(&["backup", "cronjob", "no-such-cronjob"]);
    let plan = run(&["backup", "db", "mcp_db", "--dry-run"], 0);
    assert!(
        plan.contains("no backup taken") && plan.contains("pg_dump"),
        "{plan}"
    );
    bad_input(&["backup", "db", "no_such_db"]);
    bad_input(&["backup", "cronjob", "Bad_Name"]);
    bad_input(&["backup", "tape", "mcp_db"]);
}

#[test]
fn backups_lists_the_nightly_backup() {
    assert!(run(&["backups"], 0).contains("nightly-"));
    assert!(run(&["backups", "--dry-run"], 0).contains("read-only command"));
    bad_input(&["backups", "all"]);
}

#[test]
fn verify_checks_checksum_and_test_restore() {
    // Each run seeds `nightly-<today>-001`; if UTC midnight passes between the two runs the
    // id changes, so ask again once.
    let mut id = nightly();
    let first = ops().args(["verify", &id]).output().unwrap();
    if first.status.code() == Some(2) && nightly() != id {
        id = nightly();
    }
    assert!(run(&["verify", &id], 0).contains("verified"));
    assert!(run(&["verify", "latest"], 0).contains(": verified"));
    assert!(run(&["verify", &id, "--dry-run"], 0).contains("read-only command"));
    bad_input(&["verify", "no-such-backup"]);
    bad_input(&["verify"]);
}

#[test]
fn restore_refuses_autoscaled_deployments_unless_told() {
    let out = run(&["restore", "latest", "--autoscaled", "pin"], 0);
    assert!(
        out.contains("restore of nightly-") && out.contains("recovered"),
        "{out}"
    );
    assert!(run(&["restore", "latest"], 1).contains("refused"));
    let plan = run(
        &["restore", "latest", "--autoscaled", "pin", "--dry-run"],
        0,
    );
    assert!(plan.contains("Plan (dry run"), "{plan}");
    bad_input(&["restore", "no-such-backup"]);
    bad_input(&["restore", "latest", "--autoscaled", "sometimes"]);
}

#[test]
fn maintenance_runs_in_its_window_or_when_forced() {
    assert!(run(&["maintenance", "--force", "game day"], 0).contains("maintenance: completed"));
    let plan = run(&["maintenance", "--force", "game day", "--dry-run"], 0);
    assert!(plan.contains("Plan (dry run"), "{plan}");
    bad_input(&["maintenance", "--force", ""]);
    bad_input(&["maintenance", "--window", "now"]);
}

#[test]
fn rotate_secret_verifies_the_new_value() {
    assert!(run(&["rotate-secret", "mcp-secrets", "jwt-secret"], 0).contains("new value verified"));
    let plan = run(
        &["rotate-secret", "mcp-secrets", "jwt-secret", "--dry-run"],
        0,
    );
    assert!(plan.contains("kubectl patch secret mcp-secrets"), "{plan}");
    bad_input(&["rotate-secret", "mcp-secrets", ".."]);
    bad_input(&["rotate-secret", "no-such-secret", "key"]);
    bad_input(&["rotate-secret", "mcp-secrets"]);
}

#[test]
fn incident_lifecycle_in_one_run_and_across_runs() {
    let out = run(
        &[
            "incident",
            "open",
            "API down",
            "--ack-by",
            "alice",
            "--update",
            "rolling back",
            "--resolve",
            "rolled back",
        ],
        0,
    );
    assert!(out.contains("-0001 (P1): resolved"), "{out}");
    assert!(out.contains("INCIDENT DETECTED"), "{out}");
    let open = run(&["incident", "open", "API slow", "--severity", "P2"], 0);
    assert!(open.contains("(P2): open, escalating"), "{open}");
    assert!(
        open.contains("stays open: `ops incident ack|update|resolve INC-"),
        "{open}"
    );
    let plan = run(&["incident", "open", "API down", "--dry-run"], 0);
    assert!(plan.contains("Plan (dry run"), "{plan}");
    // Kept in the state directory: the resolved one is not listed, the open one is.
    let list = run(&["incident", "list"], 0);
    assert!(
        list.contains("1 open incidents") && list.contains("API slow"),
        "{list}"
    );
    // Acknowledged in another run: the runbook's message is shown (no notifier configured).
    let doc: serde_json::Value =
        serde_json::from_str(&run(&["--output", "json", "incident", "list"], 0)).unwrap();
    let slow = doc["report"][0]["id"].as_str().unwrap().to_owned();
    let acked = run(&["incident", "ack", &slow, "--by", "bob"], 0);
    assert!(acked.contains("acknowledged by bob"), "{acked}");
    assert!(
        acked.contains("[P2] INCIDENT ACKNOWLEDGED: API slow"),
        "{acked}"
    );
    assert!(acked.contains("shown here, not sent"), "{acked}");
    assert!(run(&["incident", "ack", "INC-0001", "--dry-run"], 0).contains("acknowledge"));
    bad_input(&["incident", "open", "X", "--severity", "P9"]);
    bad_input(&["incident", "open", ""]);
    bad_input(&["incident", "ack", "INC-0001"]);
    bad_input(&["incident", "update", "INC-0001", "still rolling back"]);
    bad_input(&["incident", "resolve", "INC-0001", "fixed"]);
    bad_input(&["incident", "close"]);
    bad_input(&["incident", "tick", "now"]);
    bad_input(&["incident", "prune", "--older-than-days", "soon"]);
    bad_input(&["incident", "prune", "--older-than-days", "-1"]);
    assert!(run(&["incident", "tick", "--dry-run"], 0).contains("dry run"));
    assert!(run(&["incident", "prune", "--dry-run"], 0).contains("dry run"));
}

#[test]
fn silence_an_alert() {
    assert!(run(&["silence", "HighErrorRate", "--minutes", "30"], 0).contains("silence "));
    let plan = run(&["silence", "HighErrorRate", "--dry-run"], 0);
    assert!(plan.contains("no silence created"), "{plan}");
    bad_input(&["silence", "HighErrorRate", "--minutes", "0"]);
    bad_input(&["silence", "HighErrorRate", "--minutes", "-5"]);
    bad_input(&["silence"]);
}

#[test]
fn the_drill_runs_end_to_end_and_exits_0() {
    let out = run(&["drill", "--bake-seconds", "1"], 0);
    assert!(out.starts_with("drill: passed"), "{out}");
    assert!(out.contains("# Post-mortem timeline"), "{out}");
    assert!(
        out.contains("kubectl rollout undo deployment/mcp-typescript-api"),
        "{out}"
    );
    assert!(out.contains("resolve incident"), "{out}");
    let plan = run(&["drill", "--dry-run"], 0);
    assert!(plan.contains("Game day plan"), "{plan}");
    bad_input(&["drill", "--bake-seconds", "0"]);
    bad_input(&["drill", "--bake-seconds", "soon"]);
}

#[test]
fn targets_and_global_flags() {
    bad_input(&["--kubeconfig", "/nonexistent/config", "triage"]);
    bad_input(&["--context", "prod", "triage"]);
    bad_input(&["-n", "staging", "triage"]);
    bad_input(&[]);
    bad_input(&["no-such-command"]);
    ops()
        .args(["--kubeconfig", "/nonexistent/config", "triage"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot load kubeconfig"));
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("config");
    std::fs::write(&garbage, "{not: [a kubeconfig").unwrap();
    bad_input(&["--kubeconfig", garbage.to_str().unwrap(), "triage"]);
    // A Prometheus that does not answer: the metric checks are Unknown, triage cannot say
    // healthy (exit 1) and says why.
    let out = run(&["--prometheus-url", "http://127.0.0.1:9", "triage"], 1);
    assert!(out.starts_with("triage: unknown"), "{out}");
    assert!(out.contains("prometheus unavailable"), "{out}");
    ops()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("drill"));
    ops().arg("--version").assert().code(0);
}

#[test]
fn quarantine_keeps_the_pod_and_release_lifts_it() {
    let out = run(&["quarantine", "postgres-primary-0"], 0);
    assert!(
        out.starts_with("quarantined pod postgres-primary-0") && out.contains("mcp-ops-quarantine"),
        "{out}"
    );
    assert!(out.contains("evidence: log lines"), "{out}");
    let plan = run(&["quarantine", "postgres-primary-0", "--dry-run"], 0);
    assert!(plan.starts_with("dry run: would quarantine"), "{plan}");
    assert!(
        plan.contains("kubectl label pod postgres-primary-0 security.breach=true"),
        "{plan}"
    );
    let released = run(&["quarantine", "postgres-primary-0", "--release"], 0);
    assert!(
        released.starts_with("released pod postgres-primary-0"),
        "{released}"
    );
    let plan = run(&["quarantine", "redis-0", "--release", "--dry-run"], 0);
    assert!(plan.contains("security.breach-"), "{plan}");
    bad_input(&["quarantine", "no-such-pod"]);
    bad_input(&["quarantine", "no-such-pod", "--dry-run"]);
    bad_input(&["quarantine", "Bad_Pod"]);
    bad_input(&["quarantine"]);
}

#[test]
fn audit_lists_typed_findings_and_exits_1() {
    let out = run(&["audit"], 1);
    assert!(out.starts_with("audit of mcp-production: "), "{out}");
    for check in [
        "RunAsNonRoot",
        "DropAllCapabilities",
        "NoServiceAccountToken",
    ] {
        assert!(out.contains(check), "{check}: {out}");
    }
    // The StatefulSets set no limits; the deployments do.
    assert!(out.contains("ResourceLimits"), "{out}");
    let plan = run(&["audit", "--dry-run"], 1);
    assert!(plan.contains("kubectl get pods,networkpolicies"), "{plan}");
    bad_input(&["audit", "everything"]);
}

#[test]
fn kubeconfig_of_a_separately_started_cluster() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    // On a real cluster nothing answers for the database, cache and metrics unless a URL
    // names them: their checks are Unknown with the flag to pass, and triage cannot call the
    // platform healthy.
    let health = format!("{}/version", c.sim.url());
    let out = run_on(cfg, &["--health-url", &health, "triage"], 1);
    assert!(out.starts_with("triage: unknown"), "{out}");
    for hint in [
        "not configured: pass --database-url or set DATABASE_URL",
        "not configured: pass --redis-url or set REDIS_URL",
        "not configured: pass --prometheus-url or set MCP_OPS_PROMETHEUS_URL",
    ] {
        assert!(out.contains(hint), "{hint}: {out}");
    }
    assert!(!out.contains("http api"), "the health URL answered: {out}");
    // The table says once per system what to pass (error rate, p95, memory × 3 services).
    let rows = out
        .lines()
        .filter(|l| l.starts_with('│') && l.contains("--prometheus-url"));
    assert_eq!(rows.count(), 1, "{out}");
    assert!(out.contains("9 checks"), "{out}");
    let out = run_on(cfg, &["--context", "sim", "capacity"], 0);
    assert!(out.contains("ip-10-0-1-12"), "{out}");
    // A change made through ops is seen by the cluster.
    run_on(cfg, &["scale", "mcp-typescript-api", "--hpa-max", "15"], 0);
    let hpa = c
        .sim
        .get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "mcp-production",
            "mcp-typescript-api-hpa",
        )
        .unwrap();
    assert_eq!(hpa["spec"]["maxReplicas"], 15);
    // The drill injects faults into the embedded stand-ins only.
    let cfg_s = cfg.to_str().unwrap();
    bad_input(&["--kubeconfig", cfg_s, "drill"]);
    bad_input(&[
        "--kubeconfig",
        cfg_s,
        "--context",
        "no-such-context",
        "triage",
    ]);
}

#[test]
fn quarantine_on_a_separate_cluster_changes_it() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    let pod = || c.sim.get("v1", "Pod", "mcp-production", "redis-0").unwrap();
    let policy = || {
        c.sim.get(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            "mcp-production",
            "mcp-ops-quarantine",
        )
    };
    run_on(cfg, &["quarantine", "redis-0", "--dry-run"], 0);
    assert!(policy().is_none());
    assert!(pod()["metadata"]["labels"].get("security.breach").is_none());
    run_on(cfg, &["quarantine", "redis-0"], 0);
    assert_eq!(pod()["metadata"]["labels"]["security.breach"], "true");
    let np = policy().unwrap();
    assert_eq!(
        np["spec"]["podSelector"]["matchLabels"]["security.breach"],
        "true"
    );
    run_on(cfg, &["quarantine", "redis-0", "--release"], 0);
    assert!(pod()["metadata"]["labels"].get("security.breach").is_none());
    assert!(policy().is_some(), "the policy stays for other pods");
}

#[test]
fn cronjob_backups_are_jobs_of_the_cluster() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    let out = run_on(
        cfg,
        &["--output", "json", "backup", "cronjob", "app-data-backup"],
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = doc["report"]["id"].as_str().unwrap().to_owned();
    let job = id.strip_prefix("mcp-production.").unwrap();
    let j = c.sim.get("batch/v1", "Job", "mcp-production", job).unwrap();
    assert_eq!(
        j["metadata"]["ownerReferences"][0]["name"], "app-data-backup",
        "{j}"
    );
    assert!(run_on(cfg, &["backups"], 0).contains(&id));
    let v = run_on(cfg, &["verify", &id], 0);
    assert!(v.contains("verified"), "{v}");
}
