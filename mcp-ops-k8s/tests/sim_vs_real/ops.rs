//! The runbook's other kubectl lines: backups from CronJobs, secrets, patches, labels and pod
//! deletion, autoscalers, and access checks (`auth can-i`).

use super::common::Run;
use super::compare::Checks;
use super::environment::align;
use super::pair::Pair;

/// Runs a command on both sides and compares what kubectl printed.
async fn step(p: &Pair, c: &mut Checks, args: &[&str]) {
    let runs = p.both(args).await;
    let norms = p.norms().await;
    c.printed(&args.join(" "), &norms, &runs);
}

/// Compares objects (`kubectl get ARGS -o json`) after the environment's differences.
async fn objects(p: &Pair, c: &mut Checks, args: &[&str]) {
    let norms = p.norms().await;
    let (mut s, mut r) = p.json(args).await;
    align(&mut s);
    align(&mut r);
    c.json(&args.join(" "), &norms.0.object(&s), &norms.1.object(&r));
}

/// Waits for a condition on both sides (`kubectl wait`).
async fn wait(p: &Pair, args: &[&str]) {
    let mut a = vec!["wait", "--timeout=60s"];
    a.extend_from_slice(args);
    let (s, r) = p.both(&a).await;
    s.ok();
    r.ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_from_cronjobs() {
    let p = Pair::new("svr-backup").await;
    let mut c = Checks::default();
    step(
        &p,
        &mut c,
        &[
            "create",
            "job",
            "backup-20260108",
            "--from=cronjob/postgres-backup",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "create",
            "job",
            "backup-20260108",
            "--from=cronjob/postgres-backup",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "create",
            "job",
            "Backup_1",
            "--from=cronjob/postgres-backup",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "create",
            "job",
            "app-backup-20260108",
            "--from=cronjob/nope",
        ],
    )
    .await;
    wait(&p, &["--for=condition=complete", "job/backup-20260108"]).await;
    let runs = p.both(&["get", "jobs"]).await;
    let norms = p.norms().await;
    // Durations differ: kwok completes job pods after about a second, the simulator at once.
    let duration = |mut r: Run| {
        r.stdout = r
            .stdout
            .lines()
            .map(|l| {
                let mut cells: Vec<&str> = l.split_whitespace().collect();
                if cells.len() > 3 && cells[0] != "NAME" {
                    cells[3] = "DURATION";
                }
                cells.join(" ") + "\n"
            })
            .collect();
        r
    };
    c.printed("get jobs", &norms, &(duration(runs.0), duration(runs.1)));
    step(
        &p,
        &mut c,
        &["get", "pods", "-l", "job-name=backup-20260108"],
    )
    .await;
    objects(&p, &mut c, &["job", "backup-20260108"]).await;
    objects(&p, &mut c, &["pods", "-l", "job-name=backup-20260108"]).await;
    c.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_patches_labels_and_pod_deletion() {
    let p = Pair::new("svr-ops").await;
    let mut c = Checks::default();
    step(
        &p,
        &mut c,
        &[
            "create",
            "secret",
            "generic",
            "rotated",
            "--from-literal=jwt-secret=abc",
        ],
    )
    .await;
    objects(&p, &mut c, &["secret", "rotated"]).await;
    step(
        &p,
        &mut c,
        &[
            "create",
            "secret",
            "generic",
            "Rotated_2",
            "--from-literal=a=b",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "create",
            "secret",
            "generic",
            "rotated",
            "--from-literal=a=b",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "patch",
            "secret",
            "mcp-secrets",
            "--patch={\"data\":{\"jwt-secret\":\"bmV3LXNlY3JldA==\"}}",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "patch",
            "hpa",
            "mcp-typescript-api-hpa",
            "--patch={\"spec\":{\"maxReplicas\":20}}",
        ],
    )
    .await;
    let resources = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"mcp-typescript-api\",\"resources\":{\"limits\":{\"memory\":\"3Gi\"}}}]}}}}";
    step(
        &p,
        &mut c,
        &[
            "patch",
            "deployment",
            "mcp-typescript-api",
            &format!("--patch={resources}"),
        ],
    )
    .await;
    let (s, r) = p
        .both(&[
            "rollout",
            "status",
            "deployment/mcp-typescript-api",
            "--timeout=120s",
        ])
        .await;
    s.ok();
    r.ok();
    objects(&p, &mut c, &["deployment", "mcp-typescript-api"]).await;
    step(
        &p,
        &mut c,
        &[
            "patch",
            "deployment",
            "mcp-typescript-api",
            "--patch={\"spec\":{\"replicas\":-2}}",
        ],
    )
    .await;

    step(
        &p,
        &mut c,
        &["label", "pod", "redis-0", "security.breach=true"],
    )
    .await;
    step(
        &p,
        &mut c,
        &["label", "pod", "redis-0", "security.breach=yes"],
    )
    .await;
    step(&p, &mut c, &["label", "pod", "redis-0", "bad key=x"]).await;
    step(&p, &mut c, &["get", "pods", "-l", "security.breach=true"]).await;
    step(&p, &mut c, &["delete", "pod", "redis-0"]).await;
    step(&p, &mut c, &["delete", "pod", "no-such-pod"]).await;
    wait(&p, &["--for=condition=Ready", "pod/redis-0"]).await;
    objects(&p, &mut c, &["pod", "redis-0"]).await;
    c.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscale_and_access_checks() {
    let p = Pair::new("svr-authz").await;
    let mut c = Checks::default();
    step(
        &p,
        &mut c,
        &[
            "autoscale",
            "deployment",
            "mcp-rust-server",
            "--min=2",
            "--max=5",
            "--cpu=80%",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &[
            "autoscale",
            "deployment",
            "mcp-rust-server",
            "--min=2",
            "--max=5",
            "--cpu=80%",
        ],
    )
    .await;
    step(
        &p,
        &mut c,
        &["autoscale", "deployment", "nope", "--min=2", "--max=5"],
    )
    .await;
    let norms = p.norms().await;
    let (mut s, mut r) = p.json(&["hpa", "mcp-rust-server"]).await;
    // Only the spec: the status depends on metrics, which only the simulator has (known.rs).
    for v in [&mut s, &mut r] {
        if let Some(m) = v.as_object_mut() {
            m.remove("status");
        }
    }
    c.json("autoscaled hpa", &norms.0.object(&s), &norms.1.object(&r));
    for args in [
        &["auth", "can-i", "list", "pods"][..],
        &["auth", "can-i", "create", "deployments"],
        &["auth", "can-i", "patch", "deployments/scale"],
        &["auth", "can-i", "delete", "nodes"],
        &["auth", "can-i", "get", "pods", "--subresource=log"],
        &["auth", "can-i", "--list"],
    ] {
        step(&p, &mut c, args).await;
    }
    // A namespace's life: created with its ServiceAccount and CA bundle, deleted with its
    // content.
    let tmp = "{ns}-tmp";
    for args in [
        &["create", "namespace", tmp][..],
        &[
            "wait",
            "--for=create",
            "serviceaccount/default",
            "configmap/kube-root-ca.crt",
            "-n",
            tmp,
            "--timeout=30s",
        ],
        &[
            "create",
            "configmap",
            "left",
            "-n",
            tmp,
            "--from-literal=a=b",
        ],
        &["get", "serviceaccounts,configmaps", "-n", tmp],
        &["delete", "namespace", tmp, "--timeout=60s"],
        &["get", "configmaps", "-n", tmp],
        &["get", "namespace", tmp],
    ] {
        let runs = p.both_raw(args).await;
        let norms = p.norms().await;
        c.printed(&args.join(" "), &norms, &runs);
    }
    c.done();
}
