//! The secret property of `ops`: every command the README shows, run against real servers
//! reached through secret-bearing URLs (passwords in PostgreSQL, Redis, Prometheus,
//! Alertmanager and health URLs, tokens in query strings, a Slack webhook path, a PagerDuty
//! routing key, an SMTP password, a kubeconfig holding a client key and a bearer token, the
//! cluster's own Secret values), on its success paths and on its failure paths (servers gone,
//! malformed URLs and kubeconfigs) — and none of those strings, raw, percent-encoded or base64,
//! appears in any stdout, stderr, journal, state file, backup manifest or other file `ops`
//! writes.
//!
//! Run: `export MCP_OPS_CONTROL_PLANE_BIN=$(scripts/build-control-plane)`, then
//! `cargo nextest run -p mcp-ops-examples --test secret_leaks`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/cluster_reads.rs"]
mod cluster_reads;
mod common;
#[path = "common/control_plane.rs"]
mod control_plane;
#[path = "common/health_server.rs"]
mod health_server;
#[path = "common/secret_corpus.rs"]
mod secret_corpus;

use std::path::{Path, PathBuf};

use control_plane::Namespaced;
use health_server::HealthServer;
use mcp_ops_alerts::testing::{SeriesSet, SmtpSink, TestAlertmanager, TestPrometheus};
use mcp_ops_core::SecretValue;
use mcp_ops_db::testing::{TestPostgres, TestRedis};
use secret_corpus::{Corpus, Outcome, with_userinfo};

const API: &str = "mcp-typescript-api";
const V1: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

/// Every server `ops` can be pointed at, each reached with a secret.
struct Servers {
    _pg: TestPostgres,
    redis: TestRedis,
    prometheus: Option<TestPrometheus>,
    _alertmanager: TestAlertmanager,
    _health: HealthServer,
    _slack: HealthServer,
    _smtp: SmtpSink,
    /// `(variable, value)` pairs that point `ops` at them.
    env: Vec<(&'static str, String)>,
}

/// A PostgreSQL role with a password (SCRAM over TCP) owning the runbook's `mcp_db` and a
/// database for incidents.
fn postgres(env: &Namespaced, corpus: &mut Corpus) -> (TestPostgres, String, String) {
    let pg = env.block_on(TestPostgres::start()).unwrap();
    let password = corpus.secret("pg");
    env.block_on(async {
        let admin = mcp_ops_db::pg::connect(&pg.config()).await.unwrap();
        for statement in [
            format!("CREATE ROLE leak_user LOGIN SUPERUSER PASSWORD '{password}'"),
            "CREATE DATABASE mcp_db OWNER leak_user".to_owned(),
            "CREATE DATABASE incidents OWNER leak_user".to_owned(),
        ] {
            admin.batch_execute(&statement).await.unwrap();
        }
        let db = mcp_ops_db::pg::connect(&pg.config().with_dbname("mcp_db"))
            .await
            .unwrap();
        db.batch_execute(
            "CREATE TABLE users (id int PRIMARY KEY, note text); \
             INSERT INTO users SELECT g, 'row ' || g FROM generate_series(1, 100) g; \
             ALTER TABLE users OWNER TO leak_user;",
        )
        .await
        .unwrap();
    });
    let base = format!("postgresql://leak_user:{password}@127.0.0.1:{}", pg.port());
    (pg, format!("{base}/mcp_db"), format!("{base}/incidents"))
}

fn servers(env: &Namespaced, corpus: &mut Corpus) -> Servers {
    let (pg, database_url, incidents_url) = postgres(env, corpus);
    let redis_password = corpus.secret("redis");
    let redis = env
        .block_on(TestRedis::start_owned(Some(&SecretValue::from_str_value(
            redis_password.clone(),
        ))))
        .unwrap();
    let redis_url = with_userinfo(redis.url(), "", &redis_password);
    let series = SeriesSet::ending_now()
        .requests(API, 20.0, 0.01)
        .latency(API, 20.0, 0.3);
    let prometheus = env.block_on(TestPrometheus::start(&series)).unwrap();
    let prometheus_url = with_userinfo(prometheus.url(), "prom", &corpus.secret("prom"));
    let alertmanager = env.block_on(TestAlertmanager::start()).unwrap();
    let alertmanager_url = with_userinfo(alertmanager.url(), "am", &corpus.secret("am"));
    let health = HealthServer::start();
    let health_url = format!(
        "{}?token={}",
        with_userinfo(health.url(), "probe", &corpus.secret("health")),
        corpus.secret("healthtoken")
    );
    let slack = HealthServer::start();
    let slack_url = format!(
        "{}/services/T0LEAK/B0LEAK/{}",
        slack.url().trim_end_matches("/health"),
        corpus.secret("slack")
    );
    let smtp_user = "ops-mailer";
    let smtp_password = corpus.secret("smtp");
    let smtp = env
        .block_on(SmtpSink::start_with_auth(smtp_user, &smtp_password))
        .unwrap();
    let env_vars = vec![
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_url),
        ("MCP_OPS_PROMETHEUS_URL", prometheus_url),
        ("MCP_OPS_ALERTMANAGER_URL", alertmanager_url),
        ("MCP_OPS_HEALTH_URL", health_url),
        ("MCP_OPS_INCIDENTS_URL", incidents_url),
        ("MCP_OPS_SLACK_WEBHOOK_URL", slack_url.clone()),
        ("MCP_OPS_PAGERDUTY_ROUTING_KEY", corpus.secret("pagerduty")),
        ("MCP_OPS_SMTP_HOST", "127.0.0.1".to_owned()),
        ("MCP_OPS_SMTP_PORT", smtp.port().to_string()),
        ("MCP_OPS_SMTP_SECURITY", "plain".to_owned()),
        ("MCP_OPS_SMTP_USER", smtp_user.to_owned()),
        ("MCP_OPS_SMTP_PASSWORD", smtp_password),
        ("MCP_OPS_EMAIL_FROM", "ops@example.com".to_owned()),
        ("MCP_OPS_EMAIL_TO", "oncall@example.com".to_owned()),
    ];
    corpus.add(&slack_url);
    Servers {
        _pg: pg,
        redis,
        prometheus: Some(prometheus),
        _alertmanager: alertmanager,
        _health: health,
        _slack: slack,
        _smtp: smtp,
        env: env_vars,
    }
}

/// The admin kubeconfig with a bearer token added to its user: the token and the client key
/// must never be shown.
fn kubeconfig_with_token(env: &Namespaced, corpus: &mut Corpus, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(env.kubeconfig()).unwrap();
    for line in text.lines() {
        if let Some(key) = line.trim().strip_prefix("client-key-data:") {
            corpus.add(key.trim());
        }
    }
    let token = corpus.secret("kubetoken");
    let with_token = text.replacen(
        "client-key-data:",
        &format!("token: {token}\n    client-key-data:"),
        1,
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, with_token).unwrap();
    path
}

/// An age key pair for the configuration backups: the recipient in the environment, the
/// secret key in a file `ops` reads; the secret key must never be shown.
fn age_identity(servers: &mut Servers, corpus: &mut Corpus, dir: &Path) -> PathBuf {
    let pair = mcp_ops_k8s::config_backup::AgeKeyPair::generate();
    let secret = pair.identity.expose_str().unwrap().to_owned();
    corpus.add(&secret);
    let path = dir.join("age-identity.txt");
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    servers
        .env
        .push(("MCP_OPS_AGE_RECIPIENTS", pair.public_key.clone()));
    servers
        .env
        .push(("MCP_OPS_AGE_IDENTITY_FILE", path.display().to_string()));
    path
}

/// The values of the namespace's Secret (the fixture's `mcp-secrets`), decoded.
fn cluster_secret_values(env: &Namespaced, corpus: &mut Corpus) {
    for key in ["jwt-secret", "db-password"] {
        let template = format!("{{{{index .data \"{key}\" | base64decode}}}}");
        let value = env.kubectl(&[
            "get",
            "secret",
            "mcp-secrets",
            "-o",
            &format!("go-template={template}"),
        ]);
        corpus.add(value.trim());
    }
}

#[test]
fn no_command_of_the_readme_shows_a_secret() {
    let env = Namespaced::new("leaks");
    let mut corpus = Corpus::default();
    let files = tempfile::tempdir().unwrap();
    let state = files.path().join("state");
    let backups = files.path().join("backups");
    let kubeconfig = kubeconfig_with_token(&env, &mut corpus, files.path());
    cluster_secret_values(&env, &mut corpus);
    let mut servers = servers(&env, &mut corpus);
    let identity_file = age_identity(&mut servers, &mut corpus, files.path());
    let ops = |args: &[&str], servers: &Servers| -> Outcome {
        let mut cmd = common::ops();
        cmd.env("MCP_OPS_STATE_DIR", &state)
            .env("MCP_OPS_BACKUP_DIR", &backups)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["-n", env.ns.as_str()]);
        for (k, v) in &servers.env {
            cmd.env(k, v);
        }
        Outcome::of(args, cmd.args(args).output().unwrap())
    };
    let deploy_image = format!("{API}={V1}");
    // The README's commands, in an order where each has what it needs.
    let readme: Vec<Vec<&str>> = vec![
        vec!["triage"],
        vec!["investigate", "errors"],
        vec!["investigate", "latency"],
        vec!["capacity"],
        vec!["audit"],
        vec!["backup", "db", "mcp_db"],
        vec!["backups"],
        vec!["verify", "latest"],
        vec![
            "deploy",
            API,
            &deploy_image,
            "--evidence",
            "tests passed",
            "--bake-seconds",
            "2",
            "--force",
            "leak test",
        ],
        vec!["rollback"],
        vec!["scale", "mcp-rust-server", "--replicas", "4"],
        vec!["scale", API, "--hpa-max", "20"],
        vec!["maintenance", "--force", "leak test"],
        vec!["rotate-secret", "mcp-secrets", "jwt-secret"],
        vec!["restore", "latest", "--autoscaled", "pin"],
        vec!["backup", "config", env.ns.as_str()],
        vec!["silence", "HighErrorRate", "--minutes", "30"],
        vec!["incident", "open", "API down", "--severity", "P1"],
        vec!["incident", "list"],
        vec!["incident", "tick"],
        vec!["incident", "prune"],
    ];
    let mut outcomes = Vec::new();
    let each_way = |args: &[&str], outcomes: &mut Vec<Outcome>| {
        outcomes.push(ops(&[&["--dry-run"][..], args].concat(), &servers));
        outcomes.push(ops(&[&["--output", "json"][..], args].concat(), &servers));
        outcomes.push(ops(args, &servers));
    };
    for args in &readme {
        each_way(args, &mut outcomes);
    }
    // A pod of now (the deploy and the rotation replaced the first ones), and the
    // configuration backups by id.
    let pod = env
        .kubectl(&[
            "get",
            "pods",
            "-l",
            &format!("app={API}"),
            "-o",
            "jsonpath={.items[0].metadata.name}",
        ])
        .trim()
        .to_owned();
    each_way(&["quarantine", &pod], &mut outcomes);
    each_way(&["quarantine", &pod, "--release"], &mut outcomes);
    let listed = ops(&["--output", "json", "backups"], &servers);
    for id in secret_corpus::strings_starting(&listed.stdout, "config-") {
        each_way(&["verify", &id], &mut outcomes);
        each_way(&["restore", &id], &mut outcomes);
    }
    outcomes.push(ops(&["--context", "no-such-context", "triage"], &servers));
    // Incidents by id, as a second shell would follow them.
    let listed = ops(&["--output", "json", "incident", "list"], &servers);
    for id in secret_corpus::strings_starting(&listed.stdout, "INC-") {
        for args in [
            vec!["incident", "ack", id.as_str(), "--by", "alice"],
            vec!["incident", "update", id.as_str(), "restarting the API"],
            vec!["incident", "resolve", id.as_str(), "rolled back"],
        ] {
            outcomes.push(ops(&args, &servers));
        }
    }
    // The positive evidence that the secrets were in use: the database password was accepted
    // and the backup written.
    let backup = outcomes
        .iter()
        .find(|o| o.args == ["--output", "json", "backup", "db", "mcp_db"])
        .unwrap();
    assert_eq!(backup.code, Some(0), "{backup}");
    // Failure paths: the servers gone, then malformed inputs carrying secrets.
    servers.redis.stop();
    drop(servers.prometheus.take());
    for args in [
        ["triage"].as_slice(),
        &["investigate", "errors"],
        &["--output", "json", "triage"],
    ] {
        outcomes.push(ops(args, &servers));
    }
    let bad = corpus.secret("bad");
    // Malformed (bad input: exit 2, one line) and unreachable (exit 1) endpoints.
    let endpoints = [
        (
            "--database-url",
            format!("postgresql://leak_user:{bad}@127.0.0.1:0/mcp_db"),
            2,
        ),
        (
            "--database-url",
            format!("postgresql://leak_user:{bad}@127.0.0.1:5432/mcp%zz\n"),
            2,
        ),
        (
            "--health-url",
            format!("http://u:{bad}@[::1/health?token={bad}"),
            2,
        ),
        (
            "--alertmanager-url",
            format!("http://a:{bad}@ho<st:9093/"),
            2,
        ),
        ("--redis-url", format!("redis://:{bad}@127.0.0.1:1/"), 1),
        (
            "--prometheus-url",
            format!("http://p:{bad}@127.0.0.1:1/?token={bad}"),
            1,
        ),
    ];
    for (flag, value, code) in &endpoints {
        for args in [
            vec![*flag, value.as_str(), "triage"],
            vec!["--output", "json", flag, value.as_str(), "triage"],
        ] {
            let outcome = ops(&args, &servers);
            assert_eq!(outcome.code, Some(*code), "{outcome}");
            if *code == 2 {
                assert_eq!(outcome.stderr.lines().count(), 1, "{outcome}");
            }
            outcomes.push(outcome);
        }
    }
    let broken = files.path().join("broken-kubeconfig");
    std::fs::write(
        &broken,
        std::fs::read_to_string(&kubeconfig)
            .unwrap()
            .replacen("    token:", "  token:", 1)
            + "  - name: \n   broken: [",
    )
    .unwrap();
    let mut cmd = common::ops();
    cmd.env("MCP_OPS_STATE_DIR", &state)
        .arg("--kubeconfig")
        .arg(&broken)
        .arg("triage");
    outcomes.push(Outcome::of(
        &["--kubeconfig", "<broken>", "triage"],
        cmd.output().unwrap(),
    ));
    // The rotated value is a secret too, once it exists.
    cluster_secret_values(&env, &mut corpus);
    let mut leaks = Vec::new();
    for outcome in &outcomes {
        if std::env::var_os("MCP_OPS_TEST_SHOW_RUNS").is_some() {
            eprintln!("=== {outcome}");
        }
        assert!(!outcome.all().contains("panicked"), "{outcome}");
        leaks.extend(corpus.leaks_in(&outcome.label(), &outcome.all()));
    }
    let written = secret_corpus::files_under(files.path());
    // The database dump, its manifest and the configuration backup at least: the file scan
    // below is never empty.
    assert!(
        written.len() >= 3,
        "ops wrote too little to scan: {written:?}"
    );
    for file in written {
        if file == kubeconfig || file == broken || file == identity_file {
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        leaks.extend(corpus.leaks_in(
            &file.display().to_string(),
            &String::from_utf8_lossy(&bytes),
        ));
    }
    assert!(
        leaks.is_empty(),
        "{} leak(s) in {} runs and the files under {}:\n{}",
        leaks.len(),
        outcomes.len(),
        files.path().display(),
        leaks.join("\n")
    );
}
