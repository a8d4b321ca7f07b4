//! Everything else: scale, patch, label, delete, jobs from CronJobs, apply and versions.

use super::common::{Kubectl, rows};
use super::support::{TS_IMAGE, prod, wait_deploy};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::Value;

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
    let beta = super::common::http_get(
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
