//! Secrets under faults, through the real `ops` binary: malformed kubeconfigs holding
//! credentials, credential-bearing URLs, bad connection URLs, and `rotate-secret` refusing
//! before touching and settling interrupted rotations (`--resume`, `--abort`) on the real
//! control plane (`mcp_ops_k8s::testing::ControlPlane`, see `cli_control_plane.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/cluster_reads.rs"]
mod cluster_reads;
mod common;
#[path = "common/control_plane.rs"]
mod control_plane;
#[path = "common/health_server.rs"]
mod health_server;

use common::{bad_input, ops};
use control_plane::Namespaced;
use health_server::HealthServer;
use mcp_ops_core::SecretRotator;
use mcp_ops_core::secrets::SecretKeyRef;
use mcp_ops_core::types::{Intent, SecretSpec, SecretValue};
use mcp_ops_k8s::KubeConfig;

/// Strings planted in inputs; none may appear in anything `ops` prints.
const SECRETS: [&str; 6] = [
    "tok-s3cr3t",
    "pw-hunter2",
    "S0VZLURBVEEtc2VjcmV0",
    "env-val-q9",
    "query-tok-77",
    "frag-pw-5",
];

fn assert_clean(text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s} leaked: {text}");
    }
}

const USER_BLOCK: &str = "users:
- name: u
  user:
    token: tok-s3cr3t
    password: pw-hunter2
    client-key-data: S0VZLURBVEEtc2VjcmV0
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: get-token
      env:
      - name: SECRET
        value: env-val-q9
";

#[test]
fn malformed_kubeconfigs_are_reported_by_place_without_their_content() {
    let dir = tempfile::tempdir().unwrap();
    let head = "apiVersion: v1\nkind: Config\ncurrent-context: c\n";
    let cases = [
        // A broken indentation a few lines below the token.
        format!("{head}{USER_BLOCK}   broken: indentation\ncontexts: []\n"),
        // A tab where YAML wants spaces.
        format!("{head}{USER_BLOCK}\tcontexts: []\n"),
        // An unterminated quote after the password.
        format!(
            "{head}{}\n    extra: \"unterminated\n",
            USER_BLOCK.trim_end()
        ),
        // Right syntax, wrong shape: the secrets where a list is expected.
        format!("{head}users: tok-s3cr3t pw-hunter2\n"),
        format!("{head}clusters:\n- name: c\n  cluster: [tok-s3cr3t, pw-hunter2]\n"),
        // A server URL with credentials, then a broken mapping.
        format!(
            "{head}clusters:\n- name: c\n  cluster:\n    server: https://u:pw-hunter2@127.0.0.1:1?t=query-tok-77#frag-pw-5\n  bad\n{USER_BLOCK}"
        ),
        // Binary garbage around a token.
        format!("{head}{USER_BLOCK}\u{0}\u{1}: [\n"),
    ];
    for (i, text) in cases.iter().enumerate() {
        let path = dir.path().join(format!("kubeconfig-{i}"));
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        bad_input(&["--kubeconfig", p, "capacity"]);
        let out = ops()
            .args(["--kubeconfig", p, "--output", "json", "capacity"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_clean(&stderr);
        assert!(stderr.contains(p), "names the file: {stderr}");
        assert!(
            stderr.contains("content not shown") || stderr.contains("line"),
            "{stderr}"
        );
    }
}

/// `http://127.0.0.1:PORT/health` with a user, a password, a token query and a fragment.
fn secret_url(health: &HealthServer) -> String {
    let plain = health.url().strip_prefix("http://").unwrap();
    format!("http://ops:pw-hunter2@{plain}?token=query-tok-77&x=tok-s3cr3t#frag-pw-5")
}

#[test]
fn rotate_secret_never_shows_the_health_url_credentials() {
    let health = HealthServer::start();
    let url = secret_url(&health);
    for output in ["json", "table"] {
        for extra in [&[][..], &["--dry-run"][..]] {
            let mut args = vec!["--output", output, "--health-url", url.as_str()];
            args.extend_from_slice(extra);
            args.extend(["rotate-secret", "mcp-secrets", "jwt-secret"]);
            let out = ops().args(&args).output().unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.status.code(), Some(0), "{args:?}: {all}");
            assert_clean(&all);
            assert!(
                all.contains("***@127.0.0.1"),
                "the URL is shown redacted: {all}"
            );
        }
    }
}

#[test]
fn bad_connection_urls_are_refused_in_one_line_without_their_secrets() {
    let cases: [(&str, &str); 14] = [
        ("--database-url", "postgres://u:pw-hunter2@db:0/app"),
        ("--database-url", "postgres://u:pw-hunter2@db:70000/app"),
        ("--database-url", "postgres://u:pw-hun%zzter2@db/app"),
        ("--database-url", "postgres://u:pw-hunter2@db/app%"),
        ("--database-url", "postgres://u:pw-hunter2@db/app\nx"),
        ("--database-url", "postgres://u:pw-hunter2@db/a\u{7}pp"),
        ("--database-url", "mysql://u:pw-hunter2@db/app"),
        ("--database-url", "host=db password=pw-hunter2 port=0"),
        ("--redis-url", "redis://:pw-hunter2@cache:0"),
        ("--redis-url", "redis://:pw-hun%g1ter2@cache"),
        ("--redis-url", "redis://:pw-hunter2@cache\n:6379"),
        ("--redis-url", "memcache://:pw-hunter2@cache"),
        ("--health-url", "http://u:pw-hunter2@127.0.0.1:0/health"),
        ("--prometheus-url", "ftp://u:pw-hunter2@prom:9090"),
    ];
    for (flag, url) in cases {
        bad_input(&[flag, url, "capacity"]);
        let out = ops().args([flag, url, "capacity"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_clean(&stderr);
        assert!(stderr.contains(flag), "{stderr}");
    }
}

fn jwt(env: &Namespaced) -> SecretKeyRef {
    SecretKeyRef::new(&env.ns, "mcp-secrets", "jwt-secret").unwrap()
}

fn secret_names(env: &Namespaced) -> String {
    env.kubectl(&["get", "secrets", "-o", "name"])
}

#[test]
fn rotate_secret_checks_every_named_object_before_the_first_write() {
    let env = Namespaced::new("rot-refuse");
    env.kubectl(&[
        "create",
        "secret",
        "generic",
        "unread",
        "--from-literal=k=v-unread",
    ]);
    let before = env.get(&["secret", "mcp-secrets"])["data"].clone();
    let names = secret_names(&env);
    for args in [
        &[
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
            "--restart",
            "no-such-deployment",
        ][..],
        &[
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
            "--restart",
            "mcp-rust-server",
            "--restart",
            "no-such-deployment",
        ][..],
        // mcp-rust-server does not read Secret `unread`.
        &[
            "rotate-secret",
            "unread",
            "k",
            "--restart",
            "mcp-rust-server",
        ][..],
        &["rotate-secret", "mcp-secrets", "no-such-key"][..],
        &["rotate-secret", "no-such-secret", "k"][..],
    ] {
        let run = env.run(args, 2);
        assert_clean(&run.all());
    }
    assert_eq!(env.get(&["secret", "mcp-secrets"])["data"], before);
    assert_eq!(secret_names(&env), names, "no -staged or -previous left");
    assert_eq!(env.secret_value("unread", "k"), "v-unread");
}

/// Stages and applies a new value of `jwt-secret` through the SDK, as a run killed right
/// after `apply` leaves it; returns (old, new) values.
fn interrupt_after_apply(env: &Namespaced) -> (String, String) {
    let old = env.secret_value("mcp-secrets", "jwt-secret");
    let value = SecretValue::generate(&SecretSpec::JWT).unwrap();
    let new = String::from_utf8(value.expose().to_vec()).unwrap();
    let key = jwt(env);
    env.block_on(async {
        let k = KubeConfig::new()
            .with_kubeconfig_path(env.kubeconfig())
            .build()
            .await
            .unwrap();
        let intent = Intent::new("interrupted run", "test").unwrap();
        k.stage(&key, &value, &intent).await.unwrap();
        k.apply(&key, &intent).await.unwrap();
    });
    assert_eq!(env.secret_value("mcp-secrets", "jwt-secret"), new);
    (old, new)
}

#[test]
fn an_interrupted_rotation_is_aborted_and_its_previous_value_never_overwritten() {
    let env = Namespaced::new("rot-abort");
    let health = HealthServer::start();
    let (old, _new) = interrupt_after_apply(&env);

    // A new rotation refuses, with the commands that settle it; `-previous` keeps the value
    // the pods may still use.
    let run = env.run(
        &[
            "--health-url",
            health.url(),
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
        ],
        1,
    );
    assert!(
        run.stderr.contains("--resume") && run.stderr.contains("--abort"),
        "{}",
        run.stderr
    );
    assert_eq!(env.secret_value("mcp-secrets-previous", "jwt-secret"), old);

    let dry = env.json(
        &[
            "--dry-run",
            "--health-url",
            health.url(),
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
            "--abort",
        ],
        0,
    );
    assert_eq!(dry["status"], "planned", "{dry}");
    assert_eq!(env.secret_value("mcp-secrets-previous", "jwt-secret"), old);

    let doc = env.json(
        &[
            "--health-url",
            health.url(),
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
            "--restart",
            "mcp-rust-server",
            "--abort",
        ],
        0,
    );
    assert!(
        doc["summary"].as_str().unwrap().contains("aborted"),
        "{doc}"
    );
    assert_eq!(env.secret_value("mcp-secrets", "jwt-secret"), old);
    let restarted = env.jsonpath(
        &["deployment", "mcp-rust-server"],
        "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
    );
    assert!(
        !restarted.is_empty(),
        "pods that read the new value restart"
    );

    // Settled: nothing to abort again; a new rotation runs.
    env.run(
        &["rotate-secret", "mcp-secrets", "jwt-secret", "--abort"],
        2,
    );
    env.json(
        &[
            "--health-url",
            health.url(),
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
            "--restart",
            "mcp-rust-server",
        ],
        0,
    );
}

#[test]
fn an_interrupted_rotation_is_resumed_and_finished() {
    let env = Namespaced::new("rot-resume");
    let health = HealthServer::start();
    let (old, new) = interrupt_after_apply(&env);

    let doc = env.json(
        &[
            "--health-url",
            health.url(),
            "rotate-secret",
            "mcp-secrets",
            "jwt-secret",
            "--restart",
            "mcp-rust-server",
            "--resume",
        ],
        0,
    );
    let steps: Vec<&str> = doc["journal"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(!steps.contains(&"stage new value"), "{steps:?}");
    assert!(steps.contains(&"mark rotation finished"), "{steps:?}");
    assert_eq!(env.secret_value("mcp-secrets", "jwt-secret"), new);
    assert_eq!(env.secret_value("mcp-secrets-previous", "jwt-secret"), old);
    let annotation = env.jsonpath(
        &["secret", "mcp-secrets"],
        "{.metadata.annotations.mcp-ops\\.io/rotation}",
    );
    assert!(!annotation.contains("unverified"), "{annotation}");
    assert_clean(&doc.to_string());
}

#[test]
fn a_real_cluster_without_health_url_probes_nothing_and_says_so() {
    let env = Namespaced::new("no-health-url");
    let out = env
        .ops()
        .args(["--output", "json", "triage"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("api.mcp-production.com"), "{stdout}");
    assert!(stderr.contains("HTTP check: not configured"), "{stderr}");
    assert!(
        stdout.contains("not configured: pass --health-url or set MCP_OPS_HEALTH_URL"),
        "{stdout}"
    );
}

#[test]
fn a_failing_exec_plugin_is_reported_without_its_environment_or_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1
kind: Config
current-context: c
clusters:
- name: c
  cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}
contexts:
- name: c
  context: {cluster: c, user: u}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: sh
      args: ['-c', 'exit 3', 'tok-s3cr3t']
      env:
      - name: SECRET
        value: env-val-q9
",
    )
    .unwrap();
    let out = ops()
        .args(["--kubeconfig", path.to_str().unwrap(), "capacity"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("credentials"), "{stderr}");
    assert_clean(&stderr);
}
