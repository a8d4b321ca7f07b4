//! The real `ops` binary end to end against a real Kubernetes control plane
//! (kube-apiserver, kube-controller-manager, kube-scheduler v1.36 and kwok nodes, from
//! `mcp_ops_k8s::testing::ControlPlane`), each test in a namespace of its own holding the
//! runbook's fixture (`ops -n <namespace>`). Every test checks the exit code and the JSON
//! document, then reads the cluster's objects back with kubectl, independently of `ops`.
//!
//! Run: `export MCP_OPS_CONTROL_PLANE_BIN=$(scripts/build-control-plane)`, then
//! `cargo test -p mcp-ops-examples --all-features --test cli_control_plane`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "common/cluster_reads.rs"]
mod cluster_reads;
mod common;
#[path = "common/control_plane.rs"]
mod control_plane;
#[path = "common/health_server.rs"]
mod health_server;

use std::time::Duration;

use control_plane::Namespaced;
use health_server::HealthServer;
use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};
use serde_json::{Value, json};

const API: &str = "mcp-typescript-api";
const V0: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.0";
const V1: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";
/// kwok crash-loops every container whose image reference contains "broken".
const BROKEN: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.2-broken";
const WAIT: Duration = Duration::from_secs(90);

/// A real Prometheus back-filled with the API's traffic: `error_ratio` of 5xx, p95 0.3 s.
fn prometheus(env: &Namespaced, error_ratio: f64) -> TestPrometheus {
    let series = SeriesSet::ending_now()
        .requests(API, 20.0, error_ratio)
        .latency(API, 20.0, 0.3);
    env.block_on(TestPrometheus::start(&series)).unwrap()
}

/// `ops deploy mcp-typescript-api mcp-typescript-api=<image>` with a 2 s bake on `prom`.
/// The backup gate has no database to ask here: the deploy is forced past it, journaled.
fn deploy(
    env: &Namespaced,
    prom: &TestPrometheus,
    health: &HealthServer,
    image: &str,
    code: i32,
) -> Value {
    let image = format!("{API}={image}");
    env.json(
        &[
            "--prometheus-url",
            prom.url(),
            "--health-url",
            health.url(),
            "deploy",
            API,
            &image,
            "--evidence",
            "CI run 4711 green",
            "--force",
            "no database in this test",
            "--bake-seconds",
            "2",
        ],
        code,
    )
}

/// The image of the API's pod template, as kubectl sees it.
fn api_image(env: &Namespaced) -> String {
    env.jsonpath(
        &["deployment", API],
        "{.spec.template.spec.containers[0].image}",
    )
}

#[test]
fn a_good_image_deploys_and_passes_the_bake_on_real_metrics() {
    let env = Namespaced::new("deploy-good");
    let (prom, health) = (prometheus(&env, 0.01), HealthServer::start());
    let doc = deploy(&env, &prom, &health, V1, 0);
    let report = &doc["report"];
    assert_eq!(
        report["outcome"],
        json!({"outcome": "deployed", "revision": 2}),
        "{doc}"
    );
    assert_eq!(report["forced"], "no database in this test");
    let bake = &report["bake"];
    assert_eq!(bake["verdict"]["verdict"], "pass", "{bake}");
    assert!(bake["samples"].as_u64().unwrap() >= 1, "{bake}");
    let rate = bake["max_error_rate"].as_f64().unwrap();
    assert!(
        (rate - 0.01).abs() < 0.002,
        "error rate from Prometheus: {rate}"
    );

    // The cluster: the new template is revision 2, rolled out, every pod on it.
    assert_eq!(api_image(&env), V1);
    let d = env.get(&["deployment", API]);
    let annotations = &d["metadata"]["annotations"];
    assert_eq!(annotations["deployment.kubernetes.io/revision"], "2");
    assert!(
        annotations["kubernetes.io/change-cause"]
            .as_str()
            .unwrap()
            .contains(V1),
        "{annotations}"
    );
    env.eventually(WAIT, "every API pod on v1.0.1", || {
        env.rolled_out(API, 3) && env.images("app=mcp-typescript-api") == [V1; 3]
    });
}

#[test]
fn a_crash_looping_image_is_rolled_back_automatically() {
    let env = Namespaced::new("deploy-broken");
    // The controller marks a stuck rollout ProgressDeadlineExceeded after 10 s, not 600 s.
    env.kubectl(&[
        "patch",
        "deployment",
        API,
        "-p",
        r#"{"spec":{"progressDeadlineSeconds":10}}"#,
    ]);
    let (prom, health) = (prometheus(&env, 0.01), HealthServer::start());
    let doc = deploy(&env, &prom, &health, BROKEN, 1);
    let report = &doc["report"];
    let outcome = &report["outcome"];
    assert_eq!(outcome["outcome"], "rolled_back", "{doc}");
    assert_eq!(
        (outcome["from"].as_u64(), outcome["to"].as_u64()),
        (Some(2), Some(1)),
        "{outcome}"
    );
    let why = outcome["why"].as_str().unwrap();
    assert!(why.contains("ProgressDeadlineExceeded"), "{why}");
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .starts_with("rolled back from revision 2 to 1"),
        "{doc}"
    );
    assert_eq!(report["health_after_rollback"], "Healthy");
    assert!(
        report["incident"].as_str().unwrap().starts_with("INC-"),
        "{report}"
    );
    assert!(
        report["bake"].is_null(),
        "no bake after a failed rollout: {report}"
    );

    // The cluster: the old template is back as revision 3, the broken ReplicaSet at zero.
    assert_eq!(api_image(&env), V0);
    assert_eq!(
        env.jsonpath(
            &["deployment", API],
            "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}"
        ),
        "3"
    );
    env.eventually(WAIT, "rollback rolled out", || env.rolled_out(API, 3));
    let sets = env.get(&["replicasets", "-l", "app=mcp-typescript-api"]);
    let broken: Vec<&Value> = sets["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rs| rs["spec"]["template"]["spec"]["containers"][0]["image"] == BROKEN)
        .collect();
    assert_eq!(broken.len(), 1, "{sets}");
    assert_eq!(broken[0]["spec"]["replicas"], 0);
}

#[test]
fn a_bake_breach_on_real_metrics_rolls_back() {
    let env = Namespaced::new("deploy-bake");
    // 12 % of the API's requests fail: above the runbook's 10 % rollback threshold.
    let (prom, health) = (prometheus(&env, 0.12), HealthServer::start());
    let doc = deploy(&env, &prom, &health, V1, 1);
    let report = &doc["report"];
    assert_eq!(report["outcome"]["outcome"], "rolled_back", "{doc}");
    assert!(
        report["outcome"]["why"]
            .as_str()
            .unwrap()
            .contains("bake breach"),
        "{report}"
    );
    assert_eq!(report["bake"]["verdict"]["verdict"], "breach", "{report}");
    let rate = report["bake"]["max_error_rate"].as_f64().unwrap();
    assert!(
        (rate - 0.12).abs() < 0.005,
        "error rate from Prometheus: {rate}"
    );
    assert_eq!(api_image(&env), V0);
    env.eventually(WAIT, "rollback rolled out", || env.rolled_out(API, 3));
}

#[test]
fn rollback_undoes_the_last_rollout() {
    let env = Namespaced::new("rollback");
    let health = HealthServer::start();
    env.kubectl(&[
        "set",
        "image",
        &format!("deployment/{API}"),
        &format!("{API}={V1}"),
    ]);
    env.kubectl(&[
        "rollout",
        "status",
        &format!("deployment/{API}"),
        "--timeout=90s",
    ]);
    let doc = env.json(&["--health-url", health.url(), "rollback", API], 0);
    let d = &doc["report"]["deployments"][0];
    assert_eq!(d["deployment"], format!("{}/{API}", env.ns));
    assert_eq!(
        d["status"],
        json!({"status": "undo", "outcome": "rolled_back", "from": 2, "to": 1}),
        "{doc}"
    );
    assert_eq!(api_image(&env), V0);
    env.eventually(WAIT, "rollback rolled out", || env.rolled_out(API, 3));

    // Without names: the runbook's three deployments, in the namespace given.
    let plan = env.json(&["--dry-run", "rollback"], 0);
    let names: Vec<&str> = plan["report"]["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deployment"].as_str().unwrap())
        .collect();
    let ns = &env.ns;
    assert_eq!(
        names,
        [
            format!("{ns}/mcp-typescript-api"),
            format!("{ns}/mcp-learning-system"),
            format!("{ns}/mcp-rust-server")
        ]
    );
    assert_eq!(api_image(&env), V0, "a dry run changes nothing");
}

#[test]
fn scale_raises_the_autoscaler_floor_and_the_hpa_controller_follows() {
    let env = Namespaced::new("scale");
    let hpa = "mcp-rust-server-hpa";
    let plan = env.json(
        &["--dry-run", "scale", "mcp-rust-server", "--replicas", "5"],
        0,
    );
    assert_eq!(plan["status"], "planned");
    assert_eq!(env.jsonpath(&["hpa", hpa], "{.spec.minReplicas}"), "3");

    // The deployment has an autoscaler: its floor is raised instead of fighting it.
    let doc = env.json(&["scale", "mcp-rust-server", "--replicas", "5"], 0);
    let h = &doc["report"]["horizontal"][0];
    assert_eq!(
        h["change"],
        json!({"kind": "autoscaler_bounds", "autoscaler": hpa, "from": [3, 12], "to": [5, 12]}),
        "{doc}"
    );
    assert_eq!(h["outcome"]["state"], "applied");
    assert_eq!(
        env.jsonpath(&["hpa", hpa], "{.spec.minReplicas} {.spec.maxReplicas}"),
        "5 12"
    );
    // kube-controller-manager's HPA controller brings the deployment up to the new floor.
    env.eventually(WAIT, "5 available replicas of mcp-rust-server", || {
        env.rolled_out("mcp-rust-server", 5)
    });

    // Resources: requests and (by default equal) limits of the container, rolled out.
    env.json(
        &[
            "scale",
            "mcp-rust-server",
            "--cpu",
            "500m",
            "--memory",
            "512Mi",
        ],
        0,
    );
    let d = env.get(&["deployment", "mcp-rust-server"]);
    let wanted = json!({"cpu": "500m", "memory": "512Mi"});
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["resources"],
        json!({"requests": wanted, "limits": wanted})
    );
    env.eventually(WAIT, "resources rolled out", || {
        env.rolled_out("mcp-rust-server", 5)
    });
}

#[test]
fn rotate_secret_changes_one_key_restarts_the_dependent_and_shows_no_value() {
    let env = Namespaced::new("rotate");
    let health = HealthServer::start();
    let (jwt, db) = (
        env.secret_value("mcp-secrets", "jwt-secret"),
        env.secret_value("mcp-secrets", "db-password"),
    );
    let before = env.get(&["secret", "mcp-secrets"])["data"].clone();
    let run = env.run(
        &[
            "--output",
            "json",
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
    let doc = run.json();
    let phases: Vec<&str> = doc["report"]["report"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        ["staged", "applied", "restarted", "verified"],
        "{doc}"
    );
    let restart = &doc["report"]["restarts"][0];
    assert_eq!(restart["deployment"], format!("{}/mcp-rust-server", env.ns));
    assert_eq!(restart["rollout"]["state"], "complete", "{doc}");

    // The cluster: one key changed, the other kept; only the named dependent restarted.
    let new = env.secret_value("mcp-secrets", "jwt-secret");
    assert_ne!(new, jwt);
    assert!(new.len() >= 32, "a generated value");
    assert_eq!(env.secret_value("mcp-secrets", "db-password"), db);
    let restarted = |name: &str| {
        env.jsonpath(
            &["deployment", name],
            "{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}",
        )
    };
    assert!(!restarted("mcp-rust-server").is_empty());
    assert!(restarted(API).is_empty());
    env.eventually(WAIT, "restart rolled out", || {
        env.rolled_out("mcp-rust-server", 3)
    });

    // No value, old or new, plain or base64, in anything ops printed.
    let after = env.get(&["secret", "mcp-secrets"])["data"].clone();
    let encoded = [&before, &after]
        .into_iter()
        .flat_map(|d| d.as_object().unwrap().values())
        .map(|v| v.as_str().unwrap().to_owned());
    let printed = run.all();
    for value in [jwt, new, db].into_iter().chain(encoded) {
        assert!(!printed.contains(&value), "a secret value was printed");
    }
}

/// A fresh age key pair: the identity written to a file, and the public key.
fn age_key(dir: &std::path::Path, name: &str) -> (String, String) {
    let pair = mcp_ops_k8s::config_backup::AgeKeyPair::generate();
    let path = dir.join(name);
    std::fs::write(&path, pair.identity.expose()).unwrap();
    (path.to_str().unwrap().to_owned(), pair.public_key)
}

#[test]
fn configuration_backup_and_restore_with_age() {
    let env = Namespaced::new("config");
    let (dir, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = dir.path().to_str().unwrap();
    let (identity, recipient) = age_key(keys.path(), "ops.key");
    let (wrong, _) = age_key(keys.path(), "other.key");
    let secret = || env.get(&["secret", "mcp-secrets"])["data"].clone();
    let original = secret();
    let config = env.get(&["configmap", "mcp-config"])["data"].clone();

    let ns = env.ns.clone();
    let doc = env.json(
        &[
            "--backup-dir",
            d,
            "--age-recipient",
            &recipient,
            "backup",
            "config",
            &ns,
        ],
        0,
    );
    let id = doc["report"]["id"].as_str().unwrap().to_owned();
    let yaml = std::fs::read_to_string(dir.path().join(format!("{id}.yaml"))).unwrap();
    assert!(yaml.contains("mcp-ops.io/data-age"), "{yaml}");
    // Neither the values nor kubectl's last-applied-configuration (which holds the
    // fixture's stringData in plain text on a real API server) are in the file.
    let plain: Vec<String> = ["jwt-secret", "db-password"]
        .iter()
        .map(|key| env.secret_value("mcp-secrets", key))
        .collect();
    for (key, plain) in ["jwt-secret", "db-password"].iter().zip(&plain) {
        assert!(!yaml.contains(plain.as_str()), "plain {key} in the backup");
        assert!(
            !yaml.contains(original[key].as_str().unwrap()),
            "base64 {key} in the backup"
        );
    }
    assert!(
        !yaml.contains("fixture-"),
        "last-applied stringData in the backup"
    );
    env.run(&["--backup-dir", d, "verify", &id], 0);

    // The Secret is lost and the ConfigMap changed.
    env.kubectl(&["delete", "secret", "mcp-secrets"]);
    env.kubectl(&[
        "patch",
        "configmap",
        "mcp-config",
        "-p",
        r#"{"data":{"LOG_LEVEL":"debug"}}"#,
    ]);

    // A wrong identity applies nothing; without one, everything but the Secret comes back.
    env.run(
        &[
            "--backup-dir",
            d,
            "--age-identity-file",
            &wrong,
            "restore",
            &id,
        ],
        2,
    );
    assert!(env.try_kubectl(&["get", "secret", "mcp-secrets"]).is_err());
    assert_eq!(
        env.jsonpath(&["configmap", "mcp-config"], "{.data.LOG_LEVEL}"),
        "debug"
    );
    let doc = env.json(&["--backup-dir", d, "restore", &id], 0);
    let report = &doc["report"];
    assert!(
        report["replaced"]
            .as_array()
            .unwrap()
            .contains(&json!("configmap/mcp-config")),
        "{report}"
    );
    let skipped = report["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s.as_str().unwrap().starts_with("secret/mcp-secrets:")),
        "{report}"
    );
    assert_eq!(env.get(&["configmap", "mcp-config"])["data"], config);
    assert!(env.try_kubectl(&["get", "secret", "mcp-secrets"]).is_err());

    // With the identity the Secret is created again with exactly its old values, which
    // ops does not print.
    let run = env.run(
        &[
            "--output",
            "json",
            "--backup-dir",
            d,
            "--age-identity-file",
            &identity,
            "restore",
            &id,
        ],
        0,
    );
    let doc = run.json();
    assert!(
        doc["report"]["created"]
            .as_array()
            .unwrap()
            .contains(&json!("secret/mcp-secrets")),
        "{doc}"
    );
    assert_eq!(secret(), original);
    for value in &plain {
        assert!(
            !run.all().contains(value.as_str()),
            "a secret value was printed"
        );
    }
}

#[test]
fn quarantine_isolates_the_pod_with_a_policy_that_selects_it() {
    let env = Namespaced::new("quarantine");
    let pod = env.pods("app=mcp-learning-system")[0].clone();
    let policy = "mcp-ops-quarantine";

    // A dry run is checked by the API server (dryRun=All) and changes nothing.
    env.json(&["--dry-run", "quarantine", &pod], 0);
    assert!(env.try_kubectl(&["get", "networkpolicy", policy]).is_err());
    assert_eq!(
        env.jsonpath(&["pod", &pod], "{.metadata.labels.security\\.breach}"),
        ""
    );

    let doc = env.json(&["quarantine", &pod], 0);
    let result = &doc["report"]["result"];
    assert_eq!(result["network_policy"], policy, "{doc}");
    assert_eq!(result["deleted"], false);

    // The policy denies every direction with no rule, and its selector picks exactly the pod,
    // which is kept (Running) as evidence.
    let np = env.get(&["networkpolicy", policy]);
    assert_eq!(
        np["spec"]["policyTypes"],
        json!(["Ingress", "Egress"]),
        "{np}"
    );
    assert!(
        np["spec"].get("ingress").is_none() && np["spec"].get("egress").is_none(),
        "{np}"
    );
    let selector = selector(&np["spec"]["podSelector"]);
    assert_eq!(env.pods(&selector), std::slice::from_ref(&pod));
    assert_eq!(env.jsonpath(&["pod", &pod], "{.status.phase}"), "Running");

    // Released: the pod leaves the selector; the policy stays for other pods.
    env.json(&["quarantine", &pod, "--release"], 0);
    assert!(env.pods(&selector).is_empty());
    env.kubectl(&["get", "networkpolicy", policy]);
}

/// A label selector (`k=v,k2=v2`) from a NetworkPolicy's `podSelector.matchLabels`.
fn selector(pod_selector: &Value) -> String {
    assert!(
        pod_selector.get("matchExpressions").is_none(),
        "{pod_selector}"
    );
    let labels = pod_selector["matchLabels"].as_object().unwrap();
    assert!(
        !labels.is_empty(),
        "an empty selector would isolate every pod"
    );
    labels
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The audit's findings as (pod, check) pairs.
fn findings(doc: &Value) -> Vec<(String, String)> {
    doc["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["pod"].as_str().unwrap().to_owned(),
                f["check"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn audit_finds_every_pod_and_clears_a_hardened_one() {
    let env = Namespaced::new("audit");
    let doc = env.json(&["audit"], 1);
    let found = findings(&doc);
    // Every pod of the namespace is audited; the fixture's default-deny policy covers them all.
    let mut pods: Vec<String> = found.iter().map(|(p, _)| p.clone()).collect();
    pods.sort();
    pods.dedup();
    assert_eq!(pods, env.pods("app"), "{doc}");
    assert!(
        !found.iter().any(|(_, c)| c == "NetworkPolicyCoverage"),
        "{doc}"
    );
    assert!(found.contains(&(pods[0].clone(), "RunAsNonRoot".to_owned())));

    // Without it, no pod is covered.
    env.kubectl(&["delete", "networkpolicy", "mcp-default-deny"]);
    let found = findings(&env.json(&["audit"], 1));
    for p in &pods {
        assert!(
            found.contains(&(p.clone(), "NetworkPolicyCoverage".to_owned())),
            "{p}: {found:?}"
        );
    }

    // A deployment hardened as the checklist says has no finding left but that one.
    let context = json!({"runAsNonRoot": true, "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}});
    let harden = json!({"spec": {"template": {"spec": {"automountServiceAccountToken": false,
        "containers": [{"name": "mcp-rust-server", "securityContext": context}]}}}})
    .to_string();
    env.kubectl(&["patch", "deployment", "mcp-rust-server", "-p", &harden]);
    env.kubectl(&[
        "rollout",
        "status",
        "deployment/mcp-rust-server",
        "--timeout=90s",
    ]);
    env.eventually(WAIT, "old mcp-rust-server pods gone", || {
        env.rolled_out("mcp-rust-server", 3) && env.pods("app=mcp-rust-server").len() == 3
    });
    let found = findings(&env.json(&["audit"], 1));
    let hardened = env.pods("app=mcp-rust-server");
    for p in &hardened {
        let left: Vec<&(String, String)> = found.iter().filter(|(q, _)| q == p).collect();
        assert_eq!(
            left,
            [&(p.clone(), "NetworkPolicyCoverage".to_owned())],
            "{found:?}"
        );
    }
}

#[test]
fn a_backup_job_from_the_cronjob_completes() {
    let env = Namespaced::new("cronjob");
    let doc = env.json(&["backup", "cronjob", "postgres-backup"], 0);
    let record = &doc["report"];
    assert_eq!(record["status"]["state"], "succeeded", "{doc}");
    assert_eq!(record["kind"]["cronjob"], "postgres-backup");
    let id = record["id"].as_str().unwrap().to_owned();
    let job = id.strip_prefix(&format!("{}.", env.ns)).unwrap().to_owned();

    // Exactly one Job, made as `kubectl create job --from=cronjob/…` makes it, succeeded.
    assert_eq!(env.jsonpath(&["jobs"], "{.items[*].metadata.name}"), job);
    let j = env.get(&["job", &job]);
    assert_eq!(j["status"]["succeeded"], 1, "{j}");
    assert_eq!(env.jsonpath(&["job", &job], "{.status.succeeded}"), "1");
    assert_eq!(
        j["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    let owner = &j["metadata"]["ownerReferences"][0];
    assert_eq!(
        (owner["kind"].as_str(), owner["name"].as_str()),
        (Some("CronJob"), Some("postgres-backup"))
    );
    assert_eq!(owner["controller"], true);

    // Listed and verified by ops.
    let list = env.json(&["backups"], 0);
    assert!(
        list["report"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == id.as_str()),
        "{list}"
    );
    env.run(&["verify", &id], 0);
}

#[test]
fn commands_stay_in_the_namespace_given() {
    let env = Namespaced::new("namespace");
    let doc = env.json(&["triage"], 1);
    let deployments: Vec<&str> = doc["report"]["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["deployment"].as_str().unwrap())
        .collect();
    assert_eq!(deployments.len(), 3, "{doc}");
    assert!(
        deployments
            .iter()
            .all(|d| d.starts_with(&format!("{}/", env.ns))),
        "{deployments:?}"
    );

    // A namespace that is malformed or missing is bad input, not a clean audit.
    let kc = env.kubeconfig().to_str().unwrap().to_owned();
    let missing = format!("{}-missing", env.ns);
    for args in [
        ["-n", "Bad_NS", "audit"],
        ["-n", missing.as_str(), "audit"],
        ["-n", missing.as_str(), "rollback"],
    ] {
        let mut all = vec!["--kubeconfig", kc.as_str()];
        all.extend(args);
        common::bad_input(&all);
    }
}
