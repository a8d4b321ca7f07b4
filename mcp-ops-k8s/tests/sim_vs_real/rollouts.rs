//! The runbook's deployment procedures with kubectl: set image, rollout status, history, undo
//! (previous, `--to-revision`, a missing revision, `--dry-run=server`, paused), restart and
//! scale; after each step the printed output and the Deployment and its ReplicaSets
//! (revisions, `revision-history`, change-causes, replicas, conditions) are compared.

use super::common::Run;
use super::compare::Checks;
use super::environment::align;
use super::pair::Pair;

const API: &str = "deployment/mcp-typescript-api";
const IMAGE: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";

/// Waits until both sides have rolled out (kubectl's own `rollout status`).
async fn settle(p: &Pair) {
    let (s, r) = p.both(&["rollout", "status", API, "--timeout=120s"]).await;
    s.ok();
    r.ok();
}

/// The last line kubectl printed (`rollout status` prints progress lines first, as many as
/// it happened to see).
fn last_line(mut run: Run) -> Run {
    run.stdout = run.stdout.lines().last().unwrap_or_default().to_string();
    run
}

/// Compares the Deployment and its ReplicaSets (a fresh normaliser: revisions move).
async fn objects(p: &Pair, c: &mut Checks, step: &str) {
    let norms = p.norms().await;
    for what in [
        &["deployment", "mcp-typescript-api"][..],
        &["replicasets", "-l", "app=mcp-typescript-api"],
    ] {
        let (mut s, mut r) = p.json(what).await;
        align(&mut s);
        align(&mut r);
        c.json(
            &format!("{step}: {}", what[0]),
            &norms.0.object(&s),
            &norms.1.object(&r),
        );
    }
}

/// Runs a command on both sides and compares what kubectl printed.
async fn step(p: &Pair, c: &mut Checks, args: &[&str]) {
    let runs = p.both(args).await;
    let norms = p.norms().await;
    c.printed(&args.join(" "), &norms, &runs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_image_status_history_undo_restart() {
    let p = Pair::new("svr-rollout").await;
    let mut c = Checks::default();
    step(&p, &mut c, &["set", "image", API, IMAGE]).await;
    let (s, r) = p.both(&["rollout", "status", API, "--timeout=120s"]).await;
    let norms = p.norms().await;
    c.printed("rollout status", &norms, &(last_line(s), last_line(r)));
    objects(&p, &mut c, "after set image").await;
    step(&p, &mut c, &["rollout", "history", API]).await;
    step(&p, &mut c, &["rollout", "history", API, "--revision=4"]).await;

    step(&p, &mut c, &["rollout", "undo", API]).await;
    settle(&p).await;
    objects(&p, &mut c, "after undo").await;
    step(&p, &mut c, &["rollout", "history", API]).await;
    // Revision 3 became 5: asking for it by its old number fails.
    step(&p, &mut c, &["rollout", "history", API, "--revision=3"]).await;

    step(&p, &mut c, &["rollout", "undo", API, "--to-revision=2"]).await;
    settle(&p).await;
    objects(&p, &mut c, "after undo --to-revision=2").await;
    step(&p, &mut c, &["rollout", "undo", API, "--to-revision=9"]).await;
    step(&p, &mut c, &["rollout", "undo", API, "--to-revision=6"]).await;
    step(&p, &mut c, &["rollout", "undo", API, "--dry-run=server"]).await;
    objects(&p, &mut c, "after a server-side dry run").await;

    step(&p, &mut c, &["rollout", "pause", API]).await;
    step(&p, &mut c, &["rollout", "undo", API]).await;
    step(&p, &mut c, &["rollout", "status", API, "--timeout=5s"]).await;
    objects(&p, &mut c, "paused").await;
    step(&p, &mut c, &["rollout", "resume", API]).await;
    settle(&p).await;

    step(&p, &mut c, &["rollout", "restart", API]).await;
    settle(&p).await;
    objects(&p, &mut c, "after restart").await;
    step(&p, &mut c, &["rollout", "history", API]).await;
    c.done();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_up_down_and_errors() {
    let p = Pair::new("svr-scale").await;
    let mut c = Checks::default();
    step(
        &p,
        &mut c,
        &["scale", "deployment", "mcp-typescript-api", "--replicas=5"],
    )
    .await;
    settle(&p).await;
    objects(&p, &mut c, "scaled to 5").await;
    step(&p, &mut c, &["get", "deploy", "mcp-typescript-api"]).await;
    step(
        &p,
        &mut c,
        &["scale", "deployment", "--replicas=0", "--all"],
    )
    .await;
    settle(&p).await;
    objects(&p, &mut c, "scaled to 0").await;
    step(&p, &mut c, &["get", "deploy"]).await;
    step(
        &p,
        &mut c,
        &["scale", "deployment", "mcp-typescript-api", "--replicas=3"],
    )
    .await;
    settle(&p).await;
    objects(&p, &mut c, "back to 3").await;
    step(&p, &mut c, &["scale", "deployment", "nope", "--replicas=3"]).await;
    step(
        &p,
        &mut c,
        &["scale", "deployment", "mcp-typescript-api", "--replicas=-1"],
    )
    .await;
    step(
        &p,
        &mut c,
        &["scale", "statefulset", "redis", "--replicas=2"],
    )
    .await;
    let (s, r) = p
        .both(&["rollout", "status", "statefulset/redis", "--timeout=120s"])
        .await;
    let norms = p.norms().await;
    c.printed(
        "rollout status statefulset/redis",
        &norms,
        &(last_line(s), last_line(r)),
    );
    step(&p, &mut c, &["get", "pods", "-l", "app=redis"]).await;
    c.done();
}

/// The restart count and when the container last restarted (`5 (6s ago)`): kwok restarts a
/// crashing container about once a second, the simulator on its own clock.
fn without_restarts(mut run: Run) -> Run {
    run.stdout = run
        .stdout
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            match cells.as_slice() {
                [name, ready, status, _restarts, rest @ ..] if *name != "NAME" => {
                    let rest: Vec<&str> = rest
                        .iter()
                        .copied()
                        .filter(|c| !c.starts_with('(') && !c.ends_with(')'))
                        .collect();
                    format!("{name} {ready} {status} N {}\n", rest.join(" "))
                }
                _ => format!("{l}\n"),
            }
        })
        .collect();
    run
}

/// The runbook's emergency: an image that crash-loops never becomes available, the rollout
/// exceeds its progress deadline while the old pods keep serving, and `rollout undo` recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_image_exceeds_the_deadline_and_undo_recovers() {
    let p = Pair::new("svr-deadline").await;
    let mut c = Checks::default();
    step(
        &p,
        &mut c,
        &[
            "patch",
            API,
            "--patch={\"spec\":{\"progressDeadlineSeconds\":10}}",
        ],
    )
    .await;
    let broken = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v6.6.6-broken";
    step(&p, &mut c, &["set", "image", API, broken]).await;
    // The simulator's deadline runs on its own clock; the control plane's in real seconds.
    p.cluster.advance_clock(std::time::Duration::from_secs(11));
    let exceeded = "--for=jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}=ProgressDeadlineExceeded";
    let (s, r) = p.both(&["wait", exceeded, API, "--timeout=60s"]).await;
    s.ok();
    r.ok();
    step(&p, &mut c, &["rollout", "status", API, "--timeout=10s"]).await;
    let runs = p
        .both(&["get", "pods", "-l", "app=mcp-typescript-api"])
        .await;
    let norms = p.norms().await;
    c.printed_sorted(
        "get pods (old ones serving, the new one crash-looping)",
        &norms,
        &(without_restarts(runs.0), without_restarts(runs.1)),
    );
    objects(&p, &mut c, "deadline exceeded").await;
    step(&p, &mut c, &["rollout", "undo", API]).await;
    settle(&p).await;
    objects(&p, &mut c, "after undo").await;
    step(&p, &mut c, &["rollout", "history", API]).await;
    c.done();
}
