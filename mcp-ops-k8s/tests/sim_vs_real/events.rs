//! Events of a rollout made the same way on both sides (a new Deployment, then image changes
//! in quick succession): which events, in which order, with which counts — including
//! client-go's folding of the tenth and later different messages into
//! `(combined from similar events)`.

use serde_json::Value;

use super::compare::Checks;
use super::pair::Pair;

/// `type reason count message` of the events about one object, oldest first (event names
/// carry their time, so the server's name order is the order they happened in).
fn lines(events: &Value, norm: &super::normalise::Norm) -> String {
    let mut items: Vec<&Value> = events["items"].as_array().into_iter().flatten().collect();
    items.sort_by_key(|e| {
        e["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    });
    items
        .iter()
        .map(|e| {
            norm.string(&format!(
                "{} {} x{} {}",
                e["type"].as_str().unwrap_or_default(),
                e["reason"].as_str().unwrap_or_default(),
                e["count"].as_i64().unwrap_or(0),
                e["message"].as_str().unwrap_or_default()
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_events_and_their_folding() {
    let p = Pair::new("svr-events").await;
    let (s, r) = p
        .both(&[
            "create",
            "deployment",
            "web",
            "--image=nginx:1.27.0",
            "--replicas=3",
        ])
        .await;
    s.ok();
    r.ok();
    for v in ["1.27.1", "1.27.2", "1.27.3"] {
        let image = format!("nginx=nginx:{v}");
        let (s, r) = p.both(&["set", "image", "deployment/web", &image]).await;
        s.ok();
        r.ok();
        let (s, r) = p
            .both(&["rollout", "status", "deployment/web", "--timeout=120s"])
            .await;
        s.ok();
        r.ok();
    }
    let norms = p.norms().await;
    let mut c = Checks::default();
    let selector = "--field-selector=involvedObject.kind=Deployment,involvedObject.name=web";
    let (s, r) = p.json(&["events", selector]).await;
    c.text(
        "events of deployment/web",
        &lines(&s, &norms.0),
        &lines(&r, &norms.1),
    );
    let (s, r) = p.both(&["describe", "deployment", "web"]).await;
    let events = |out: &str| {
        out.split_once("\nEvents:")
            .map(|(_, e)| e.to_string())
            .unwrap_or_default()
    };
    let rows = |n: &super::normalise::Norm, t: String| {
        n.rows(&t)
            .into_iter()
            .map(|r| r.join(" "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // The runbook's `kubectl get events --sort-by=.lastTimestamp`, on this deployment's
    // events (the namespace also holds kubelet events only the simulator makes and HPA
    // warnings only the control plane makes: known.rs).
    let (se, re) = p.both(&["get", "events", "--sort-by=.lastTimestamp"]).await;
    let about_web = |n: &super::normalise::Norm, out: &str| {
        n.rows(out)
            .into_iter()
            .filter(|r| r.get(3).is_some_and(|o| o == "deployment/web"))
            .map(|r| r.join(" "))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Sorted: events of the same second tie, and the seconds fall differently on each side.
    let (se, re) = (
        about_web(&norms.0, &se.stdout),
        about_web(&norms.1, &re.stdout),
    );
    assert_eq!(
        se.lines().count(),
        10,
        "nine events and the folded one:\n{se}"
    );
    c.text(
        "get events --sort-by=.lastTimestamp (deployment/web)",
        &se,
        &re,
    );
    c.text(
        "describe deployment web: Events",
        &rows(&norms.0, events(&s.stdout)),
        &rows(&norms.1, events(&r.stdout)),
    );
    c.done();
}
