//! Reads: the runbook's `get`/`describe`/`rollout history|status` lines and the objects
//! themselves.

use super::common::Run;
use super::compare::Checks;
use super::environment::align;
use super::pair::Pair;

/// `kubectl describe` up to its Events section (events are compared where both sides made
/// them the same way, in `events.rs`: the scenario's history is hours apart, the fixture's
/// seconds, so the real one folds them).
fn without_events(mut r: Run) -> Run {
    if let Some(i) = r.stdout.find("\nEvents:") {
        r.stdout.truncate(i);
    }
    r
}

/// The runbook's read commands print the same, and the objects behind them are the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbook_reads_and_objects_are_the_same() {
    let p = Pair::new("svr-read").await;
    let norms = p.norms().await;
    let mut c = Checks::default();
    for args in [
        &["get", "pods"][..],
        &["get", "pods", "-o", "wide"],
        &["get", "services"],
        &["get", "ingress"],
        &["get", "deploy"],
        &["get", "rs"],
        &["get", "statefulsets"],
        &["get", "cronjobs,jobs"],
        &["get", "networkpolicies"],
        &["get", "secrets"],
        &["get", "configmaps"],
        &["get", "serviceaccounts"],
        &["get", "endpoints"],
        &["get", "endpointslices"],
        &["get", "controllerrevisions"],
        &["get", "all"],
    ] {
        let (mut s, mut r) = p.both(args).await;
        if args[1] == "all" {
            // HPAs show metrics only on the simulator (known.rs).
            for run in [&mut s, &mut r] {
                run.stdout = run
                    .stdout
                    .lines()
                    .filter(|l| !l.starts_with("horizontalpodautoscaler"))
                    .map(|l| format!("{l}\n"))
                    .collect();
            }
        }
        c.printed_sorted(&args.join(" "), &norms, &(s, r));
    }
    for args in [
        &["rollout", "history", "deployment"][..],
        &[
            "rollout",
            "history",
            "deployment/mcp-typescript-api",
            "--revision=2",
        ],
        &["rollout", "history", "statefulset/redis"],
        &["rollout", "status", "deployment"],
        &["rollout", "status", "statefulset/postgres-primary"],
        &["describe", "deployment", "mcp-typescript-api"],
        &["describe", "service", "mcp-typescript-api-service"],
        &["describe", "statefulset", "redis"],
        &["describe", "cronjob", "postgres-backup"],
        &["describe", "endpoints", "redis"],
    ] {
        let (s, r) = p.both(args).await;
        c.printed(
            &args.join(" "),
            &norms,
            &(without_events(s), without_events(r)),
        );
    }
    // The runbook's `kubectl describe nodes | grep -A 5 "Allocated resources"`: the section
    // and its columns (the numbers depend on what else runs on the shared nodes).
    let (s, r) = p.both_raw(&["describe", "nodes"]).await;
    let section = |out: &str| {
        out.lines()
            .skip_while(|l| !l.starts_with("Allocated resources:"))
            .take(4)
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| !w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        section(&s.stdout).starts_with("Allocated resources:"),
        "{}",
        s.stdout
    );
    c.text(
        "describe nodes: Allocated resources",
        &section(&s.stdout),
        &section(&r.stdout),
    );
    let runs = p.both_raw(&["get", "namespace", "{ns}"]).await;
    c.printed("get namespace", &norms, &runs);
    for kind in [
        "deployments",
        "replicasets",
        "pods",
        "services",
        "endpoints",
        "endpointslices",
        "statefulsets",
        "controllerrevisions",
        "cronjobs",
        "ingresses",
        "networkpolicies",
        "secrets",
        "configmaps",
        "serviceaccounts",
    ] {
        let (mut s, mut r) = p.json(&[kind]).await;
        align(&mut s);
        align(&mut r);
        c.json(kind, &norms.0.object(&s), &norms.1.object(&r));
    }
    let (mut s, mut r) = p
        .both_raw(&["get", "namespace", "{ns}", "-o", "json"])
        .await;
    s.stdout = norms.0.string(&s.stdout);
    r.stdout = norms.1.string(&r.stdout);
    let parse = |t: &str| norms.0.object(&serde_json::from_str(t).unwrap_or_default());
    c.json("namespace", &parse(&s.stdout), &parse(&r.stdout));
    c.done();
}
