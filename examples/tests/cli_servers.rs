//! `ops` against real servers named by its URL flags: PostgreSQL 15 and Redis 7 (readiness,
//! backups to a directory, verification with a test restore, restore, maintenance), Prometheus
//! 2.42 (error rate) and Alertmanager 0.25 (silences); and, on a cluster from a kubeconfig,
//! what is not configured reports `Unknown` with the flag to pass.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SeparateSim, bad_input, ops, run, run_on};
use mcp_ops_alerts::testing::{SeriesSet, TestAlertmanager, TestPrometheus};
use mcp_ops_db::testing::{TestPostgres, TestRedis};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The finding of `target` in a triage report.
fn finding<'a>(doc: &'a Value, target: &str) -> &'a Value {
    doc["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["target"] == target)
        .unwrap_or_else(|| panic!("no finding {target}: {doc}"))
}

/// A private PostgreSQL with the runbook's database `mcp_db` and 100 users.
fn postgres(rt: &tokio::runtime::Runtime) -> (TestPostgres, String) {
    let pg = rt.block_on(TestPostgres::start()).unwrap();
    rt.block_on(async {
        let admin = mcp_ops_db::pg::connect(&pg.config()).await.unwrap();
        admin.batch_execute("CREATE DATABASE mcp_db").await.unwrap();
        let db = mcp_ops_db::pg::connect(&pg.config().with_dbname("mcp_db"))
            .await
            .unwrap();
        db.batch_execute(
            "CREATE TABLE users (id int PRIMARY KEY); \
             INSERT INTO users SELECT generate_series(1, 100);",
        )
        .await
        .unwrap();
    });
    let url = format!("postgresql://postgres@127.0.0.1:{}/mcp_db", pg.port());
    (pg, url)
}

#[test]
fn database_and_cache_urls_reach_real_servers() {
    let rt = runtime();
    let (_pg, db) = postgres(&rt);
    let mut redis = rt.block_on(TestRedis::start()).unwrap();
    let cache = redis.url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().to_str().unwrap();
    let with = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--database-url",
            &db,
            "--redis-url",
            &cache,
            "--backup-dir",
            backups,
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        v.extend(args.iter().map(ToString::to_string));
        v
    };
    let run_with = |args: &[&str], code: i32| {
        let args = with(args);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args, code)
    };

    // Readiness from the servers themselves.
    let doc = json(&run_with(&["--output", "json", "triage"], 0));
    let pg = finding(&doc, "mcp_db");
    assert_eq!(pg["status"], "Healthy", "{pg}");
    assert!(
        pg["summary"]
            .as_str()
            .unwrap()
            .contains("accepting connections"),
        "{pg}"
    );
    assert_eq!(finding(&doc, "redis")["status"], "Healthy", "{doc}");

    // A pg_dump into the backup directory, listed, verified by a test restore.
    let out = json(&run_with(
        &["--output", "json", "backup", "db", "mcp_db"],
        0,
    ));
    let id = out["report"]["id"].as_str().unwrap().to_owned();
    assert!(
        std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(&id)),
        "no file for {id} in the backup directory"
    );
    let list = run_with(&["backups"], 0);
    assert!(list.contains(&id), "{list}");
    assert!(
        !list.contains("nightly"),
        "the stand-in's backup is not listed: {list}"
    );
    let verified = run_with(&["verify", &id], 0);
    assert!(verified.contains("verified"), "{verified}");
    assert!(
        verified.contains("test restore (SELECT COUNT(*) FROM users ≥ 1) ┆ passed"),
        "{verified}"
    );

    // The deploy gate sees the verified backup of the real database.
    let deploy = run_with(
        &[
            "deploy",
            "mcp-typescript-api",
            "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1",
            "--evidence",
            "CI green",
            "--bake-seconds",
            "1",
        ],
        0,
    );
    assert!(deploy.contains("deployed"), "{deploy}");

    // Recovery: writers stopped on the cluster, the dump restored, users counted.
    let restore = run_with(&["restore", &id, "--autoscaled", "pin"], 0);
    assert!(restore.contains("users present"), "{restore}");

    // Maintenance: backup, ANALYZE and VACUUM on the real database.
    let maintenance = run_with(&["maintenance", "--force", "cli test"], 0);
    assert!(
        maintenance.contains("maintenance: completed"),
        "{maintenance}"
    );

    // A stopped cache is a finding, not a crash.
    redis.stop();
    let doc = json(&run_with(&["--output", "json", "triage"], 1));
    assert_eq!(finding(&doc, "redis")["status"], "Unhealthy", "{doc}");
}

#[test]
fn prometheus_and_alertmanager_urls_reach_real_servers() {
    let rt = runtime();
    let series = SeriesSet::ending_now()
        .requests("mcp-typescript-api", 20.0, 0.12)
        .requests("mcp-rust-server", 20.0, 0.01)
        .requests("mcp-learning-system", 20.0, 0.0);
    let prom = rt.block_on(TestPrometheus::start(&series)).unwrap();
    let out = run(
        &["--prometheus-url", prom.url(), "investigate", "errors"],
        1,
    );
    assert!(out.contains("error rate: breach"), "{out}");
    assert!(out.contains("12.0 %"), "{out}");

    let am = rt.block_on(TestAlertmanager::start()).unwrap();
    let out = run(
        &[
            "--alertmanager-url",
            am.url(),
            "silence",
            "HighErrorRate",
            "--minutes",
            "30",
            "--comment",
            "deploying a fix",
        ],
        0,
    );
    assert!(out.starts_with("silence "), "{out}");
    let silences = rt.block_on(am.client().unwrap().silences(&[])).unwrap();
    assert_eq!(silences.len(), 1, "{silences:?}");
    assert_eq!(silences[0].comment, "deploying a fix");
    assert_eq!(silences[0].matchers[0].value, "HighErrorRate");
    // A closed port is a typed failure, never a hang or a panic.
    let dead = ops()
        .args(["--alertmanager-url", "http://127.0.0.1:9", "silence", "X"])
        .output()
        .unwrap();
    assert_eq!(dead.status.code(), Some(1));
}

#[test]
fn a_real_cluster_without_urls_says_what_to_configure() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    let cfg_s = cfg.to_str().unwrap();
    for (args, flag) in [
        (vec!["backup", "db", "mcp_db"], "--database-url"),
        (vec!["verify", "mcp_db-20250101"], "--database-url"),
        (vec!["verify", "latest"], "--database-url"),
        (vec!["restore", "latest"], "--database-url"),
        (vec!["silence", "HighErrorRate"], "--alertmanager-url"),
    ] {
        let out = ops()
            .arg("--kubeconfig")
            .arg(cfg)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("not configured: pass {flag}")),
            "{args:?}: {stderr}"
        );
    }
    // Without metrics nothing is claimed: the verdict is unknown and the exit code 1.
    let out = run_on(cfg, &["investigate", "errors"], 1);
    assert!(out.starts_with("error rate: unknown"), "{out}");
    let out = run_on(cfg, &["investigate", "latency"], 1);
    assert!(out.starts_with("p95 latency: unknown"), "{out}");
    // CronJob backups still list; the missing database is a note, not a failure.
    let list = run_on(cfg, &["backups"], 0);
    assert!(
        list.contains("database not configured: pass --database-url"),
        "{list}"
    );

    // Configuration backups are files of the backup directory, Secret values left out.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let (id, yaml) = config_backup(cfg, d, &[]);
    assert!(yaml.contains("kind: ConfigMap"), "{yaml}");
    assert!(yaml.contains("mcp-ops.io/data-omitted"), "{yaml}");
    let verified = run_on(cfg, &["--backup-dir", d, "verify", &id], 0);
    assert!(verified.contains("verified"), "{verified}");
    bad_input(&["--kubeconfig", cfg_s, "--health-url", "ftp://x", "triage"]);
}

#[test]
fn url_flags_are_checked_and_never_echoed() {
    for args in [
        ["--database-url", "postgres://u:SECRETPW@host:notaport/db"],
        ["--database-url", "garbage"],
        ["--redis-url", "http://u:SECRETPW@cache"],
        ["--prometheus-url", "ftp://u:SECRETPW@prom"],
        ["--alertmanager-url", "no scheme SECRETPW"],
        ["--health-url", "SECRETPW"],
        ["--health-url", "http:///path"],
        ["--state-dir", ""],
    ] {
        let out = ops().args(args).arg("triage").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("SECRETPW"), "{args:?}: {stderr}");
    }
}

#[test]
fn incidents_in_postgres_are_shared_between_machines() {
    let rt = runtime();
    let pg = rt.block_on(TestPostgres::start()).unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:{}/postgres", pg.port());
    // Two operators: each has a state directory of their own, both name the same database.
    let (alice, bob) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let as_ = |who: &tempfile::TempDir, args: &[&str], code: i32| -> Value {
        let out = ops()
            .env("MCP_OPS_STATE_DIR", who.path())
            .args(["--incidents-url", &url, "--output", "json"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            stderr.contains("incidents: postgres 127.0.0.1:"),
            "{stderr}"
        );
        json(&String::from_utf8_lossy(&out.stdout))
    };
    let opened = as_(
        &alice,
        &["incident", "open", "API down", "--severity", "P0"],
        0,
    );
    let id = opened["report"]["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = as_(&bob, &["incident", "list"], 0);
    assert_eq!(listed["report"][0]["id"], id.as_str(), "{listed}");
    let acked = as_(&bob, &["incident", "ack", &id, "--by", "bob"], 0);
    assert_eq!(acked["report"]["state"]["by"], "bob");
    as_(&alice, &["incident", "resolve", &id, "rolled back"], 0);
    assert_eq!(
        as_(&bob, &["incident", "list"], 0)["report"],
        serde_json::json!([])
    );
    // Nothing was written to either state directory.
    assert!(!alice.path().join("incidents.json").exists());
    assert!(!bob.path().join("incidents.json").exists());
    // A database that does not answer fails the incident command, typed and on one line.
    let dead = ops()
        .args([
            "--incidents-url",
            "postgresql://postgres@127.0.0.1:9/x",
            "incident",
            "list",
        ])
        .output()
        .unwrap();
    assert_eq!(dead.status.code(), Some(1));
}

#[test]
fn investigate_errors_finds_a_dangling_secret_reference() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    let out = run_on(cfg, &["investigate", "errors"], 1);
    assert!(out.contains("configuration: healthy"), "{out}");
    // The API now reads a key its Secret does not have (patched with real kubectl).
    let patch = r#"{"spec":{"template":{"spec":{"containers":[{"name":"mcp-typescript-api","env":[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"mcp-secrets","key":"no-such-key"}}}]}]}}}}"#;
    let status = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(cfg)
        .args([
            "-n",
            "mcp-production",
            "patch",
            "deployment",
            "mcp-typescript-api",
        ])
        .args(["--type", "strategic", "-p", patch])
        .status()
        .expect("kubectl is installed (scripts/test requires it)");
    assert!(status.success());
    let out = run_on(cfg, &["investigate", "errors"], 1);
    assert!(out.contains("configuration: unhealthy"), "{out}");
    assert!(
        out.contains("deployment/mcp-typescript-api: secret/mcp-secrets has no key no-such-key"),
        "{out}"
    );
}

#[test]
fn a_database_that_requires_tls_is_reached_over_verified_tls() {
    let rt = runtime();
    let pg = rt.block_on(TestPostgres::start_tls()).unwrap();
    let ca = pg.ca_cert().unwrap().to_str().unwrap().to_owned();
    let port = pg.port();
    let verified =
        format!("postgresql://postgres@localhost:{port}/postgres?sslmode=require&sslrootcert={ca}");
    let doc = json(&run(
        &["--database-url", &verified, "--output", "json", "triage"],
        0,
    ));
    let db = finding(&doc, "mcp_db");
    assert_eq!(db["status"], "Healthy", "{db}");
    let encrypted = db["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["object"] == "tls_encrypted")
        .unwrap_or_else(|| panic!("no tls evidence: {db}"));
    assert_eq!(encrypted["detail"], "true", "{db}");
    // Without the private CA the certificate is not trusted: the check says so, nothing
    // falls back to plain text, and triage cannot call the platform healthy.
    let untrusted = format!("postgresql://postgres@localhost:{port}/postgres?sslmode=require");
    let doc = json(&run(
        &["--database-url", &untrusted, "--output", "json", "triage"],
        1,
    ));
    let db = finding(&doc, "mcp_db");
    assert_eq!(db["status"], "Unhealthy", "{db}");
}

/// `ops backup config mcp-production` into `dir` on the cluster of `cfg`: its id and YAML.
fn config_backup(cfg: &std::path::Path, dir: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["--backup-dir", dir, "--output", "json"];
    args.extend_from_slice(extra);
    args.extend(["backup", "config", "mcp-production"]);
    let out = json(&run_on(cfg, &args, 0));
    let id = out["report"]["id"].as_str().unwrap().to_owned();
    let yaml =
        std::fs::read_to_string(std::path::Path::new(dir).join(format!("{id}.yaml"))).unwrap();
    (id, yaml)
}

/// A fresh age key pair: the identity written to a file, and the public key.
fn age_key(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    let pair = mcp_ops_k8s::config_backup::AgeKeyPair::generate();
    let path = dir.join(name);
    std::fs::write(&path, pair.identity.expose()).unwrap();
    (path, pair.public_key)
}

#[test]
fn configuration_backups_keep_secrets_encrypted_with_age() {
    let c = SeparateSim::start();
    let cfg = c.kubeconfig();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let (identity, recipient) = age_key(keys.path(), "ops.key");
    let (wrong, _) = age_key(keys.path(), "other.key");
    let secret = || c.sim.get("v1", "Secret", "mcp-production", "mcp-secrets");
    let original = secret().unwrap()["data"].clone();

    let (id, yaml) = config_backup(cfg, d, &["--age-recipient", &recipient]);
    assert!(yaml.contains("mcp-ops.io/data-age"), "{yaml}");
    for (key, value) in original.as_object().unwrap() {
        assert!(
            !yaml.contains(value.as_str().unwrap()),
            "value of {key} in the backup"
        );
    }

    // The Secret is lost; a restore without the identity brings back everything else.
    let deleted = std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(cfg)
        .args(["-n", "mcp-production", "delete", "secret", "mcp-secrets"])
        .output()
        .unwrap();
    assert!(deleted.status.success(), "{deleted:?}");
    let out = run_on(cfg, &["--backup-dir", d, "restore", &id], 0);
    assert!(out.contains("secret/mcp-secrets"), "{out}");
    assert!(out.contains("--age-identity-file"), "{out}");
    assert!(secret().is_none());
    let plan = run_on(cfg, &["--backup-dir", d, "restore", &id, "--dry-run"], 0);
    assert!(plan.contains("dry run"), "{plan}");
    assert!(secret().is_none());

    // A wrong identity applies nothing; the right one restores the values exactly.
    let w = wrong.to_str().unwrap();
    bad_input(&[
        "--kubeconfig",
        cfg.to_str().unwrap(),
        "--backup-dir",
        d,
        "--age-identity-file",
        w,
        "restore",
        &id,
    ]);
    assert!(secret().is_none());
    let i = identity.to_str().unwrap();
    run_on(
        cfg,
        &["--backup-dir", d, "--age-identity-file", i, "restore", &id],
        0,
    );
    assert_eq!(secret().unwrap()["data"], original);

    // Keys are checked before anything runs, and never echoed.
    bad_input(&[
        "--kubeconfig",
        cfg.to_str().unwrap(),
        "--age-recipient",
        "age1nope",
        "backups",
    ]);
    bad_input(&[
        "--kubeconfig",
        cfg.to_str().unwrap(),
        "--age-identity-file",
        "/nonexistent/key",
        "backups",
    ]);
}
