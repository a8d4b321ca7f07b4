//! Real kubectl against a SimCluster: every API command of the runbook and the fidelity list.
//! Missing kubectl is a failure (with the install command), never a skip.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{Kubectl, rows};
use mcp_ops_k8s::sim::{ImageFailure, Scenario, SimCluster};
use serde_json::Value;
use std::time::Duration;

const TS_IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server";

async fn prod() -> (SimCluster, Kubectl) {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let k = Kubectl::new(&c);
    (c, k)
}

/// Waits (bounded) until `f` holds for the deployment, so assertions see a settled state.
async fn wait_deploy(c: &SimCluster, name: &str, f: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let d = c
            .get("apps/v1", "Deployment", "mcp-production", name)
            .unwrap();
        if f(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("deployment {name} never reached the expected state");
}

fn revision(o: &Value) -> String {
    o["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_lists_print_real_table_columns() {
    let (_c, k) = prod().await;
    let nodes = k.run(&["get", "nodes"]).await.ok();
    let r = rows(&nodes.stdout);
    assert_eq!(r[0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert_eq!(r.len(), 4);
    assert!(r[1..].iter().all(|row| row[1] == "Ready"));

    let pods = k.prod(&["get", "pods"]).await.ok();
    let r = rows(&pods.stdout);
    assert_eq!(r[0], ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let ts: Vec<_> = r
        .iter()
        .filter(|row| row[0].starts_with("mcp-typescript-api-"))
        .collect();
    assert_eq!(ts.len(), 3);
    assert!(ts.iter().all(|row| row[1] == "1/1" && row[2] == "Running"));
    assert!(r.iter().any(|row| row[0] == "postgres-primary-0"));
    assert!(r.iter().any(|row| row[0] == "redis-0"));

    let svc = k.prod(&["get", "services"]).await.ok();
    assert!(svc.stdout.starts_with("NAME"), "{}", svc.stdout);
    let r = rows(&svc.stdout);
    assert_eq!(
        r[0],
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    let api = r
        .iter()
        .find(|row| row[0] == "mcp-typescript-api-service")
        .unwrap();
    assert_eq!(
        (api[1].as_str(), api[3].as_str(), api[4].as_str()),
        ("ClusterIP", "<none>", "3000/TCP")
    );

    let ing = k.prod(&["get", "ingress"]).await.ok();
    assert_eq!(
        rows(&ing.stdout)[0],
        ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    );
    assert!(ing.stdout.contains("api.mcp-production.com"));

    let deploy = k.prod(&["get", "deploy"]).await.ok();
    let r = rows(&deploy.stdout);
    assert_eq!(r[0], ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    assert_eq!(&r[1][..4], ["mcp-learning-system", "2/2", "2", "2"]);
    assert_eq!(&r[3][..4], ["mcp-typescript-api", "3/3", "3", "3"]);

    let rs = k
        .prod(&["get", "rs", "-l", "app=mcp-typescript-api"])
        .await
        .ok();
    let r = rows(&rs.stdout);
    assert_eq!(r[0], ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]);
    assert_eq!(r.len(), 4, "three revisions of history:\n{}", rs.stdout);
    let ages: Vec<&str> = r[1..].iter().map(|row| row[4].as_str()).collect();
    for age in ["3d", "2d16h", "2d8h"] {
        assert!(
            ages.contains(&age),
            "history happened in the past: {ages:?}"
        );
    }

    let hpa = k.prod(&["get", "hpa"]).await.ok();
    let r = rows(&hpa.stdout);
    assert_eq!(
        r[0],
        [
            "NAME",
            "REFERENCE",
            "TARGETS",
            "MINPODS",
            "MAXPODS",
            "REPLICAS",
            "AGE"
        ]
    );
    let ts = r
        .iter()
        .find(|row| row[0] == "mcp-typescript-api-hpa")
        .unwrap();
    assert_eq!(
        ts[1..7],
        [
            "Deployment/mcp-typescript-api",
            "cpu:",
            "45%/70%",
            "3",
            "10",
            "3"
        ]
    );

    let wide = k.prod(&["get", "pods", "-o", "wide"]).await.ok();
    assert!(
        wide.stdout.lines().next().unwrap().contains("IP") && wide.stdout.contains("ip-10-0-1-1")
    );

    let net = k.prod(&["get", "networkpolicies"]).await.ok();
    assert!(net.stdout.contains("mcp-default-deny"));
    let cj = k.prod(&["get", "cronjobs,jobs"]).await.ok();
    assert!(
        cj.stdout.contains("cronjob.batch/postgres-backup")
            && cj.stdout.contains("cronjob.batch/app-data-backup")
    );
    let vpa = k.prod(&["get", "vpa"]).await.ok();
    assert!(vpa.stdout.contains("mcp-typescript-api-vpa"));
    let all = k.prod(&["get", "all"]).await.ok();
    for kind in [
        "pod/",
        "service/",
        "deployment.apps/",
        "replicaset.apps/",
        "statefulset.apps/",
        "cronjob.batch/",
        "horizontalpodautoscaler.autoscaling/",
    ] {
        assert!(
            all.stdout.contains(kind),
            "get all lacks {kind}:\n{}",
            all.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_sorted_by_last_timestamp() {
    let (_c, k) = prod().await;
    let ev = k
        .prod(&["get", "events", "--sort-by=.lastTimestamp"])
        .await
        .ok();
    let r = rows(&ev.stdout);
    assert_eq!(r[0][..5], ["LAST", "SEEN", "TYPE", "REASON", "OBJECT"]);
    assert!(
        ev.stdout.contains("ScalingReplicaSet")
            && ev.stdout.contains("deployment/mcp-typescript-api")
    );
    assert!(ev.stdout.contains("Scheduled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_then_rollout_status_succeeds() {
    let (c, k) = prod().await;
    let image = format!("mcp-typescript-api={TS_IMAGE}:v1.0.1");
    let out = k
        .prod(&["set", "image", "deployment/mcp-typescript-api", &image])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-typescript-api image updated"
    );
    let st = k
        .prod(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=600s",
        ])
        .await
        .ok();
    assert!(
        st.stdout
            .contains("deployment \"mcp-typescript-api\" successfully rolled out"),
        "{}",
        st.stdout
    );
    let d = c
        .get(
            "apps/v1",
            "Deployment",
            "mcp-production",
            "mcp-typescript-api",
        )
        .unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{TS_IMAGE}:v1.0.1")
    );
    assert_eq!(revision(&d), "4");
    let all = k.prod(&["rollout", "status", "deployment"]).await.ok();
    assert_eq!(all.stdout.matches("successfully rolled out").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_image_exceeds_progress_deadline() {
    let c = SimCluster::start(
        Scenario::mcp_production().fail_image(":v6.6.6-broken", ImageFailure::PullBackOff),
    )
    .await
    .unwrap();
    let k = Kubectl::new(&c);
    let image = format!("mcp-typescript-api={TS_IMAGE}:v6.6.6-broken");
    k.prod(&["set", "image", "deployment/mcp-typescript-api", &image])
        .await
        .ok();
    wait_deploy(&c, "mcp-typescript-api", |d| {
        d["status"]["updatedReplicas"] == 1
    })
    .await;
    let pods = k
        .prod(&["get", "pods", "-l", "app=mcp-typescript-api"])
        .await
        .ok();
    assert!(pods.stdout.contains("ImagePullBackOff"), "{}", pods.stdout);
    assert_eq!(
        pods.stdout.matches("Running").count(),
        3,
        "old pods keep serving:\n{}",
        pods.stdout
    );
    c.advance_clock(Duration::from_secs(601));
    wait_deploy(&c, "mcp-typescript-api", |d| {
        d.to_string().contains("ProgressDeadlineExceeded")
    })
    .await;
    let st = k
        .prod(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=600s",
        ])
        .await;
    assert_eq!(st.code, 1);
    assert!(
        st.stderr
            .contains("deployment \"mcp-typescript-api\" exceeded its progress deadline"),
        "{}",
        st.stderr
    );
    // The runbook's remedy: undo brings the deployment back.
    k.prod(&["rollout", "undo", "deployment/mcp-typescript-api"])
        .await
        .ok();
    let st = k
        .prod(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=60s",
        ])
        .await
        .ok();
    assert!(
        st.stdout.contains("successfully rolled out"),
        "{}",
        st.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_history_lists_revisions() {
    let (_c, k) = prod().await;
    let h = k
        .prod(&["rollout", "history", "deployment/mcp-typescript-api"])
        .await
        .ok();
    let r = rows(&h.stdout);
    assert_eq!(r[0], ["deployment.apps/mcp-typescript-api"]);
    assert_eq!(r[1], ["REVISION", "CHANGE-CAUSE"]);
    let revs: Vec<&str> = r[2..].iter().map(|row| row[0].as_str()).collect();
    assert_eq!(revs, ["1", "2", "3"]);
    let all = k.prod(&["rollout", "history", "deployment"]).await.ok();
    assert_eq!(all.stdout.matches("REVISION  CHANGE-CAUSE").count(), 3);
    let two = k
        .prod(&[
            "rollout",
            "history",
            "deployment/mcp-typescript-api",
            "--revision=2",
        ])
        .await
        .ok();
    assert!(
        two.stdout.contains("with revision #2")
            && two.stdout.contains(&format!("{TS_IMAGE}:v0.9.5")),
        "{}",
        two.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_undo_rolls_back_and_renumbers() {
    let (c, k) = prod().await;
    let out = k
        .prod(&["rollout", "undo", "deployment/mcp-typescript-api"])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-typescript-api rolled back"
    );
    let d = wait_deploy(&c, "mcp-typescript-api", |d| {
        revision(d) == "4" && d["status"]["updatedReplicas"] == 3 && d["status"]["replicas"] == 3
    })
    .await;
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        format!("{TS_IMAGE}:v0.9.5")
    );
    let rs = c.list("apps/v1", "ReplicaSet", Some("mcp-production"));
    let reused = rs.iter().find(|r| revision(r) == "4").unwrap();
    assert_eq!(
        reused["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"],
        "2"
    );
    let h = k
        .prod(&["rollout", "history", "deployment/mcp-typescript-api"])
        .await
        .ok();
    let revs: Vec<String> = rows(&h.stdout)[2..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(revs, ["1", "3", "4"]);
    let gone = k
        .prod(&[
            "rollout",
            "history",
            "deployment/mcp-typescript-api",
            "--revision=2",
        ])
        .await;
    assert_ne!(gone.code, 0);
    let to = k
        .prod(&[
            "rollout",
            "undo",
            "deployment/mcp-learning-system",
            "--to-revision=1",
        ])
        .await
        .ok();
    assert!(to.stdout.contains("rolled back"));
    let missing = k
        .prod(&[
            "rollout",
            "undo",
            "deployment/mcp-rust-server",
            "--to-revision=99",
        ])
        .await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("unable to find specified revision 99 in history"),
        "{}",
        missing.stderr
    );
    let dry = k
        .prod(&[
            "rollout",
            "undo",
            "deployment/mcp-rust-server",
            "--dry-run=server",
        ])
        .await
        .ok();
    assert!(dry.stdout.contains("rolled back (server dry run)"));
    let rust = c
        .get("apps/v1", "Deployment", "mcp-production", "mcp-rust-server")
        .unwrap();
    assert_eq!(revision(&rust), "3", "dry run changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_undo_of_paused_deployment_fails() {
    let (_c, k) = prod().await;
    k.prod(&["rollout", "pause", "deployment/mcp-rust-server"])
        .await
        .ok();
    let out = k
        .prod(&["rollout", "undo", "deployment/mcp-rust-server"])
        .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("you cannot rollback a paused deployment"),
        "{}",
        out.stderr
    );
    let resumed = k
        .prod(&["rollout", "resume", "deployment/mcp-rust-server"])
        .await
        .ok();
    assert!(resumed.stdout.contains("resumed"));
    k.prod(&["rollout", "undo", "deployment/mcp-rust-server"])
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_creates_a_new_revision() {
    let (c, k) = prod().await;
    let out = k
        .prod(&["rollout", "restart", "deployment/mcp-learning-system"])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-learning-system restarted"
    );
    let d = wait_deploy(&c, "mcp-learning-system", |d| {
        revision(d) == "4" && d["status"]["updatedReplicas"] == 2 && d["status"]["replicas"] == 2
    })
    .await;
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    let pods = k
        .prod(&["get", "pods", "-l", "app=mcp-learning-system"])
        .await
        .ok();
    assert_eq!(
        rows(&pods.stdout).len(),
        3,
        "old pods replaced:\n{}",
        pods.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_all_deployments() {
    let (c, k) = prod().await;
    let all = k.prod(&["rollout", "restart", "deployment"]).await.ok();
    assert_eq!(all.stdout.matches("restarted").count(), 3);
    for name in [
        "mcp-typescript-api",
        "mcp-learning-system",
        "mcp-rust-server",
    ] {
        wait_deploy(&c, name, |d| revision(d) == "4").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_and_patch_commands() {
    let (c, k) = prod().await;
    let out = k
        .prod(&["scale", "deployment", "mcp-typescript-api", "--replicas=5"])
        .await
        .ok();
    assert_eq!(
        out.stdout.trim(),
        "deployment.apps/mcp-typescript-api scaled"
    );
    wait_deploy(&c, "mcp-typescript-api", |d| {
        d["status"]["availableReplicas"] == 5
    })
    .await;
    let get = k.prod(&["get", "deploy", "mcp-typescript-api"]).await.ok();
    assert_eq!(&rows(&get.stdout)[1][..2], ["mcp-typescript-api", "5/5"]);

    let hpa = k
        .prod(&[
            "patch",
            "hpa",
            "mcp-typescript-api-hpa",
            "--patch={\"spec\":{\"maxReplicas\":20}}",
        ])
        .await
        .ok();
    assert_eq!(
        hpa.stdout.trim(),
        "horizontalpodautoscaler.autoscaling/mcp-typescript-api-hpa patched"
    );
    let h = c
        .get(
            "autoscaling/v2",
            "HorizontalPodAutoscaler",
            "mcp-production",
            "mcp-typescript-api-hpa",
        )
        .unwrap();
    assert_eq!(h["spec"]["maxReplicas"], 20);

    let sec = k
        .prod(&[
            "patch",
            "secret",
            "mcp-secrets",
            "--patch={\"data\":{\"jwt-secret\":\"bmV3LXNlY3JldA==\"}}",
        ])
        .await
        .ok();
    assert_eq!(sec.stdout.trim(), "secret/mcp-secrets patched");
    let s = c
        .get("v1", "Secret", "mcp-production", "mcp-secrets")
        .unwrap();
    assert_eq!(s["data"]["jwt-secret"], "bmV3LXNlY3JldA==");
    assert!(s["data"]["db-password"].is_string());

    let res = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"mcp-typescript-api\",\"resources\":{\"limits\":{\"memory\":\"3Gi\"}}}]}}}}";
    k.prod(&[
        "patch",
        "deployment",
        "mcp-typescript-api",
        &format!("--patch={res}"),
    ])
    .await
    .ok();
    let d = c
        .get(
            "apps/v1",
            "Deployment",
            "mcp-production",
            "mcp-typescript-api",
        )
        .unwrap();
    let ct = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(ct["resources"]["limits"]["memory"], "3Gi");
    assert_eq!(
        ct["resources"]["limits"]["cpu"], "1",
        "strategic merge keeps siblings"
    );
    assert_eq!(ct["image"], format!("{TS_IMAGE}:v1.0.0"));

    let zero = k
        .prod(&["scale", "deployment", "--replicas=0", "--all"])
        .await
        .ok();
    assert_eq!(zero.stdout.matches("scaled").count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_and_delete_pod() {
    let (c, k) = prod().await;
    let pods = k
        .prod(&["get", "pods", "-l", "app=mcp-rust-server", "-o", "name"])
        .await
        .ok();
    let pod = pods.stdout.lines().next().unwrap().to_string();
    let name = pod.trim_start_matches("pod/").to_string();
    let l = k.prod(&["label", &pod, "security.breach=true"]).await.ok();
    assert_eq!(l.stdout.trim(), format!("{pod} labeled"));
    let p = c.get("v1", "Pod", "mcp-production", &name).unwrap();
    assert_eq!(p["metadata"]["labels"]["security.breach"], "true");
    let sel = k
        .prod(&["get", "pods", "-l", "security.breach=true", "-o", "name"])
        .await
        .ok();
    assert_eq!(sel.stdout.trim(), pod);
    let d = k.prod(&["delete", "pod", &name]).await.ok();
    // kubectl 1.36 names the namespace ("deleted from NS namespace").
    assert_eq!(
        d.stdout.trim(),
        format!("pod \"{name}\" deleted from mcp-production namespace")
    );
    assert!(c.get("v1", "Pod", "mcp-production", &name).is_none());
    wait_deploy(&c, "mcp-rust-server", |d| {
        d["status"]["availableReplicas"] == 3
    })
    .await;
    let missing = k.prod(&["delete", "pod", &name]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains(&format!("pods \"{name}\" not found")),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_job_from_cronjob_runs_to_completion() {
    let (c, k) = prod().await;
    let out = k
        .prod(&[
            "create",
            "job",
            "backup-20260101",
            "--from=cronjob/postgres-backup",
        ])
        .await
        .ok();
    assert_eq!(out.stdout.trim(), "job.batch/backup-20260101 created");
    let j = c
        .get("batch/v1", "Job", "mcp-production", "backup-20260101")
        .unwrap();
    assert_eq!(
        j["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(j["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    k.prod(&[
        "create",
        "job",
        "app-backup-20260101",
        "--from=cronjob/app-data-backup",
    ])
    .await
    .ok();
    k.prod(&[
        "wait",
        "--for=condition=complete",
        "job/backup-20260101",
        "--timeout=30s",
    ])
    .await
    .ok();
    let jobs = k.prod(&["get", "jobs"]).await.ok();
    let r = rows(&jobs.stdout);
    assert_eq!(r[0], ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]);
    assert!(jobs.stdout.contains("backup-20260101"));
    let logs = k.prod(&["logs", "job/backup-20260101"]).await.ok();
    assert!(logs.stdout.lines().count() >= 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_formats_describe_wait_top_logs() {
    let (_c, k) = prod().await;
    let y = k
        .prod(&["get", "deploy", "mcp-typescript-api", "-o", "yaml"])
        .await
        .ok();
    assert!(
        y.stdout.contains("kind: Deployment")
            && y.stdout
                .contains("deployment.kubernetes.io/revision: \"3\""),
        "{}",
        y.stdout
    );
    let j = k
        .prod(&["get", "svc", "mcp-typescript-api-service", "-o", "json"])
        .await
        .ok();
    let v: Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["kind"], "Service");
    assert_eq!(v["spec"]["ports"][0]["port"], 3000);
    let backup = k
        .prod(&["get", "all,configmaps,secrets", "-o", "yaml"])
        .await
        .ok();
    assert!(
        backup.stdout.contains("kind: List")
            && backup.stdout.contains("name: mcp-secrets")
            && backup.stdout.contains("name: mcp-config")
    );

    let d = k
        .prod(&["describe", "deployment", "mcp-typescript-api"])
        .await
        .ok();
    for s in [
        "Replicas:               3 desired | 3 updated | 3 total | 3 available | 0 unavailable",
        "NewReplicaSet:",
        "ScalingReplicaSet",
        "MinimumReplicasAvailable",
    ] {
        assert!(d.stdout.contains(s), "describe lacks {s}:\n{}", d.stdout);
    }
    let w = k
        .prod(&[
            "wait",
            "--for=condition=available",
            "deployment/mcp-typescript-api",
            "--timeout=10s",
        ])
        .await
        .ok();
    assert!(w.stdout.contains("condition met"));

    let tn = k.run(&["top", "nodes"]).await.ok();
    assert_eq!(
        rows(&tn.stdout)[0],
        ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    );
    let tp = k.prod(&["top", "pods"]).await.ok();
    assert!(
        tp.stdout.contains("mcp-typescript-api-") && tp.stdout.contains("113m"),
        "{}",
        tp.stdout
    );

    let sorted = k.prod(&["top", "pods", "--sort-by=cpu"]).await.ok();
    assert!(
        sorted.stdout.contains("postgres-primary-0"),
        "{}",
        sorted.stdout
    );
    let by_container = k.prod(&["top", "pods", "--containers"]).await.ok();
    assert_eq!(
        rows(&by_container.stdout)[0],
        ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    );

    let logs = k
        .prod(&["logs", "-l", "app=mcp-typescript-api", "--tail=100"])
        .await
        .ok();
    assert_eq!(logs.stdout.lines().count(), 300, "3 pods x --tail=100");

    let dn = k.run(&["describe", "nodes"]).await.ok();
    assert!(dn.stdout.contains("Allocated resources"));
    let vpa = k
        .prod(&["describe", "vpa", "mcp-typescript-api-vpa"])
        .await
        .ok();
    assert!(vpa.stdout.contains("VerticalPodAutoscaler"));

    let s = k
        .prod(&[
            "create",
            "secret",
            "generic",
            "rotated",
            "--from-literal=jwt-secret=abc",
        ])
        .await
        .ok();
    assert_eq!(s.stdout.trim(), "secret/rotated created");
}

/// The simulator reports the test control plane's release, which is also the kubectl the
/// tests run (`MCP_OPS_KUBECTL`): no version-skew warning. `server_minor` still changes what
/// `/version` reports, and an older server keeps working with kubectl 1.36 (with its skew
/// warning); a client asking for the `v2beta1` form of aggregated discovery gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_version_is_the_control_planes_release() {
    let (c, k) = prod().await;
    let v = k.run(&["version", "-o", "json"]).await.ok();
    let v: Value = serde_json::from_str(&v.stdout).unwrap();
    let (minor, patch) = mcp_ops_k8s::sim::scenario::SERVER_VERSION;
    assert_eq!(
        v["serverVersion"]["gitVersion"],
        format!("v1.{minor}.{patch}")
    );
    assert_eq!(
        v["clientVersion"]["gitVersion"], v["serverVersion"]["gitVersion"],
        "the simulator reports the release of the kubectl the tests run (bump SERVER_VERSION with the control plane)"
    );
    let plain = k.run(&["version"]).await.ok();
    assert!(!plain.stderr.contains("WARNING"), "{}", plain.stderr);
    let beta = common::http_get(
        c.url(),
        "/apis",
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
    )
    .await;
    assert_eq!(beta.0, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&beta.1).unwrap()["apiVersion"],
        "apidiscovery.k8s.io/v2beta1"
    );

    let old = SimCluster::start(Scenario::mcp_production().server_minor(33))
        .await
        .unwrap();
    let k = Kubectl::new(&old);
    let v = k.run(&["version"]).await.ok();
    assert!(v.stdout.contains("Server Version: v1.33.0"), "{}", v.stdout);
    assert!(
        v.stderr
            .contains("exceeds the supported minor version skew"),
        "{}",
        v.stderr
    );
    let d = k.prod(&["get", "deploy"]).await.ok();
    assert_eq!(
        rows(&d.stdout)[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    k.prod(&["rollout", "undo", "deployment/mcp-rust-server"])
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_needs_validate_false() {
    let (c, k) = prod().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.json");
    let manifest = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-cfg"}, "data": {"a": "1"}}]});
    std::fs::write(&file, manifest.to_string()).unwrap();
    let f = file.to_str().unwrap();
    let strict = k.prod(&["apply", "-f", f]).await;
    assert_ne!(strict.code, 0, "no OpenAPI document is served");
    let created = k.prod(&["apply", "-f", f, "--validate=false"]).await.ok();
    assert!(
        created.stdout.contains("deployment.apps/web created")
            && created.stdout.contains("configmap/web-cfg created")
    );
    std::fs::write(
        &file,
        manifest.to_string().replace("nginx:1.25", "nginx:1.26"),
    )
    .unwrap();
    let again = k.prod(&["apply", "-f", f, "--validate=false"]).await.ok();
    assert!(
        again.stdout.contains("deployment.apps/web configured")
            && again.stdout.contains("configmap/web-cfg unchanged"),
        "{}",
        again.stdout
    );
    let d = c
        .get("apps/v1", "Deployment", "mcp-production", "web")
        .unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.26"
    );
    k.prod(&["rollout", "status", "deployment/web", "--timeout=30s"])
        .await
        .ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_watch_prints_table_rows_as_things_change() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let (c, k) = prod().await;
    let mut child = k.spawn(&[
        "-n",
        "mcp-production",
        "get",
        "deploy",
        "mcp-rust-server",
        "-w",
    ]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let header = lines.next_line().await.unwrap().unwrap();
    assert_eq!(
        rows(&header)[0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    let first = lines.next_line().await.unwrap().unwrap();
    assert_eq!(&rows(&first)[0][..2], ["mcp-rust-server", "3/3"]);
    let scale = serde_json::json!({"spec": {"replicas": 5}});
    let mut d = c
        .get("apps/v1", "Deployment", "mcp-production", "mcp-rust-server")
        .unwrap();
    d["spec"]["replicas"] = scale["spec"]["replicas"].clone();
    c.store()
        .update(
            mcp_ops_k8s::sim::resources::get("apps", "deployments"),
            d,
            mcp_ops_k8s::sim::store::Target::Main,
            false,
        )
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if rows(&l)[0][..2] == ["mcp-rust-server", "5/5"] {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "the watch printed the scaled deployment");
}
