//! `ops mcp` with rmcp's own client (stdio): every tool's schemas and annotations, bad input
//! as tool errors, the approval flow, cancellation of a bake with a safe stop and progress,
//! the scope of callers, the break-glass rollback on the server's own evidence, resources.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/rmcp_agent.rs"]
mod rmcp_agent;

use std::time::Duration;

use mcp_ops_alerts::testing::{SeriesSet, TestPrometheus};
use rmcp::model::ReadResourceRequestParams;
use rmcp_agent::{Agent, doc, ops_json, start, text};
use serde_json::{Value, json};

const API: &str = "mcp-typescript-api";
const PATCH: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";

/// The journal records of `change` (persisted, every process).
fn records(change: &str) -> Vec<Value> {
    let doc = ops_json("oncall", &["--change", change, "journal", "show"]);
    doc["report"]["records"].as_array().unwrap().clone()
}

/// The pending change a planned call opened, approved by the person its risk needs.
fn approve_pending(planned: &Value) -> String {
    let id = planned["change"]["id"].as_str().unwrap().to_owned();
    let approver = match planned["change"]["change"]["risk"].as_str().unwrap() {
        "low" => "team-lead",
        "medium" => "engineering-manager",
        other => panic!("unexpected risk {other}"),
    };
    ops_json(approver, &["change", "approve", &id]);
    id
}

/// Waits (up to 60 s) until the server has sent progress about the rollout: the procedure
/// is past `set image`, in its checks or bake.
async fn rolled_out(agent: &Agent) {
    for _ in 0..600 {
        let seen = agent.recorder.progress.lock().unwrap().clone();
        if seen
            .iter()
            .any(|m| m.contains("rollout") || m.contains("smoke"))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no progress about the rollout");
}

/// The journal record of `change` naming the safe stop's undo, once written (up to 60 s).
async fn safe_stop(change: &str) -> Value {
    for _ in 0..120 {
        let found = records(change).into_iter().find(|r| {
            r["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("rolled back to revision")
        });
        if let Some(r) = found {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the journal names no safe stop of {change}");
}

#[tokio::test]
async fn every_tool_has_the_ops_schema_and_truthful_annotations() {
    let agent = start("oncall", &[]).await;
    let tools = agent.client.list_all_tools().await.unwrap();
    assert_eq!(tools.len(), 26);
    let read_only = [
        "triage",
        "investigate_errors",
        "investigate_latency",
        "capacity",
        "rollout_history",
        "backups",
        "verify_backup",
        "audit",
        "incidents",
        "alerts",
        "journal",
        "change_show",
    ];
    let destructive = [
        "deploy",
        "rollback",
        "scale",
        "restore",
        "restore_config",
        "rotate_secret",
        "maintenance",
        "quarantine",
    ];
    for tool in &tools {
        let name = tool.name.as_ref();
        let output = tool.output_schema.as_ref().unwrap();
        let title = output["properties"]["command"]["const"]
            .as_str()
            .or_else(|| output["title"].as_str())
            .unwrap_or_default()
            .to_owned();
        let file = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .find(|p| {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                v.as_object() == Some(output.as_ref())
            });
        assert!(
            file.is_some(),
            "{name}: output schema is no schema file ({title})"
        );
        assert_eq!(tool.input_schema["type"], "object", "{name}");
        let a = tool.annotations.as_ref().unwrap();
        let ro = read_only.contains(&name);
        assert_eq!(a.read_only_hint, Some(ro), "{name}");
        assert_eq!(
            a.destructive_hint,
            Some(destructive.contains(&name)),
            "{name}"
        );
        assert_eq!(a.idempotent_hint, Some(ro), "{name}");
        if !ro {
            let d = tool.description.as_deref().unwrap();
            assert!(d.contains("Guard:"), "{name}: {d}");
        }
    }
    let triage = agent.call("triage", json!({})).await;
    assert_eq!(doc(&triage)["command"], "triage");
    assert_eq!(doc(&triage)["status"], "ok");
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_and_the_server_stays_up() {
    let agent = start("oncall", &[]).await;
    let cases = [
        (
            "deploy",
            json!({"deployment": 5, "image": "x"}),
            "arguments",
        ),
        (
            "deploy",
            json!({"deployment": API, "image": "x", "force": "yes"}),
            "unknown field",
        ),
        (
            "deploy",
            json!({"deployment": "Bad_Name", "image": PATCH}),
            "scope",
        ),
        ("scale", json!({"deployment": API}), "give replicas"),
        (
            "scale",
            json!({"deployment": API, "replicas": 3, "cpu": "1", "memory": "1Gi"}),
            "two changes",
        ),
        (
            "rollout_history",
            json!({"deployment": "no-such-app"}),
            "scope",
        ),
        (
            "triage",
            json!({"namespace": "kube-system"}),
            "outside this server's scope",
        ),
        (
            "rotate_secret",
            json!({"secret": "database-credentials", "key": "password", "restart": [API]}),
            "outside this server's scope",
        ),
        (
            "rotate_secret",
            json!({"secret": "database-credentials", "key": "password"}),
            "name the deployments to restart",
        ),
        (
            "quarantine",
            json!({"pod": "etcd-0"}),
            "outside this server's scope",
        ),
        (
            "verify_backup",
            json!({"id": "latest", "change": "CR-2026-001"}),
            "reads only",
        ),
        ("restore", json!({"id": "config-2026"}), "restore_config"),
        ("incident_update", json!({"id": "INC-1"}), "needs `text`"),
        (
            "deploy",
            json!({"deployment": API, "image": PATCH, "change": "not-a-cr"}),
            "change id",
        ),
    ];
    for (tool, args, want) in cases {
        let r = agent.call(tool, args.clone()).await;
        let t = text(&r);
        assert_eq!(r.is_error, Some(true), "{tool} {args}: {t}");
        assert!(t.contains(want), "{tool} {args}: {t}");
        assert_eq!(t.lines().count(), 1, "{t}");
    }
    // An unknown tool is the protocol's error; the server still answers afterwards.
    let unknown = agent
        .client
        .call_tool(rmcp::model::CallToolRequestParams::new("kubectl_delete"))
        .await;
    assert!(unknown.is_err());
    assert_eq!(
        doc(&agent.call("capacity", json!({})).await)["command"],
        "capacity"
    );
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_change_is_planned_and_pending_until_approved_outside_then_it_runs() {
    let agent = start("oncall", &[]).await;
    let planned = agent
        .call("scale", json!({"deployment": API, "replicas": 4}))
        .await;
    let p = doc(&planned);
    assert_eq!(planned.is_error, Some(false), "{p}");
    assert_eq!(p["status"], "planned");
    assert_eq!(p["dry_run"], true);
    let id = p["change"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("CR-"), "{p}");
    // Naming the change before anyone approved it is refused, and nothing changes.
    let early = agent
        .call(
            "scale",
            json!({"deployment": API, "replicas": 4, "change": id}),
        )
        .await;
    assert_eq!(early.is_error, Some(true));
    assert!(text(&early).contains("refused"), "{}", text(&early));
    // The model cannot approve: approval is a person's `ops change approve` elsewhere.
    let approved_id = approve_pending(&p);
    assert_eq!(approved_id, id);
    let ran = agent
        .call(
            "scale",
            json!({"deployment": API, "replicas": 4, "change": id}),
        )
        .await;
    let d = doc(&ran);
    assert_eq!(d["status"], "ok", "{d}");
    // One approval, one execution: the same call again is refused, and so is another change
    // under the same request.
    let again = agent
        .call(
            "scale",
            json!({"deployment": API, "replicas": 4, "change": id}),
        )
        .await;
    assert_eq!(again.is_error, Some(true));
    assert!(text(&again).contains("already ran"), "{}", text(&again));
    let other = agent
        .call(
            "scale",
            json!({"deployment": API, "replicas": 6, "change": id}),
        )
        .await;
    assert_eq!(other.is_error, Some(true));
    assert!(
        text(&other).contains("does not cover this call"),
        "{}",
        text(&other)
    );
    let all = records(&id);
    let actors: Vec<(&str, &str)> = all
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["actor"].as_str().unwrap()))
        .collect();
    assert!(
        actors.contains(&("change_requested", "oncall")),
        "{actors:?}"
    );
    assert!(
        actors.contains(&("change_approved", "team-lead")),
        "{actors:?}"
    );
    assert!(actors.contains(&("tool_call", "oncall")), "{actors:?}");
    assert!(actors.contains(&("step", "oncall")), "{actors:?}");
    let call = all.iter().find(|r| r["kind"] == "tool_call").unwrap();
    assert!(
        call["summary"]
            .as_str()
            .unwrap()
            .contains("through \"rmcp\""),
        "{call}"
    );
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_bake_rolls_back_and_the_journal_says_what_is_left() {
    let agent = start("oncall", &[]).await;
    let deploy =
        json!({"deployment": API, "image": PATCH, "evidence": "ci run 7", "bake_seconds": 600});
    let planned = doc(&agent.call("deploy", deploy.clone()).await);
    let id = approve_pending(&planned);
    let mut run = deploy.clone();
    run["change"] = json!(id);
    let handle = agent.start_call("deploy", run).await;
    // Progress arrives while the procedure runs: wait until the rollout is done (the bake).
    rolled_out(&agent).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // A retry while the first run is still baking is refused: one approval, one execution.
    let mut retry = deploy.clone();
    retry["change"] = json!(id);
    let second = agent.call("deploy", retry).await;
    assert_eq!(second.is_error, Some(true));
    assert!(text(&second).contains("running"), "{}", text(&second));
    handle
        .cancel(Some("operator changed their mind".to_owned()))
        .await
        .unwrap();
    // The server stops safely: the new revision is undone and the journal says so.
    let stopped = safe_stop(&id).await;
    assert!(
        stopped["summary"]
            .as_str()
            .unwrap()
            .contains("stopped by the caller"),
        "{stopped}"
    );
    let history = doc(&agent
        .call("rollout_history", json!({"deployment": API}))
        .await);
    let last = history["report"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let image = last["images"][API].as_str().unwrap();
    assert!(image.ends_with(":v1.0.0"), "{history}");
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_caller_outside_the_team_reads_but_cannot_change() {
    let agent = start("visitor", &[]).await;
    assert_eq!(doc(&agent.call("triage", json!({})).await)["status"], "ok");
    let r = agent
        .call("scale", json!({"deployment": API, "replicas": 4}))
        .await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("not a person of the platform's team"),
        "{}",
        text(&r)
    );
    agent.client.cancel().await.unwrap();
}

async fn prometheus(error_ratio: f64) -> TestPrometheus {
    let series = SeriesSet::ending_now()
        .requests(API, 20.0, error_ratio)
        .latency(API, 20.0, 0.3);
    TestPrometheus::start(&series).await.unwrap()
}

#[tokio::test]
async fn the_rollback_breaks_glass_only_on_the_servers_own_measurement() {
    // Healthy traffic (1 % errors): whatever the caller says, the rollback waits for approval.
    let healthy = prometheus(0.01).await;
    let agent = start("oncall", &["--prometheus-url", healthy.url()]).await;
    let r = agent
        .call(
            "rollback",
            json!({"deployment": API, "reason": "the model is sure it is down"}),
        )
        .await;
    let d = doc(&r);
    assert_eq!(d["status"], "planned", "{d}");
    assert!(d["change"]["id"].as_str().unwrap().starts_with("CR-"));
    assert!(d["notes"].to_string().contains("trigger is not met"), "{d}");
    agent.client.cancel().await.unwrap();
    // 30 % errors measured by the server: it rolls back now, as break-glass, journaled.
    let sick = prometheus(0.30).await;
    let agent = start("oncall", &["--prometheus-url", sick.url()]).await;
    let r = agent.call("rollback", json!({"deployment": API})).await;
    let d = doc(&r);
    assert_eq!(d["command"], "rollback");
    assert_ne!(d["status"], "planned", "{d}");
    assert!(d["notes"].to_string().contains("break-glass"), "{d}");
    assert!(d["notes"].to_string().contains("awaits review"), "{d}");
    // The break-glass is journaled, and a retroactive change request awaits review.
    let journal = ops_json("oncall", &["journal", "show"]);
    let glass = journal["report"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| {
            r["summary"]
                .as_str()
                .unwrap_or_default()
                .contains("break-glass")
        });
    assert!(glass, "{journal}");
    let changes = ops_json("oncall", &["change", "list"]);
    assert!(changes.to_string().contains("review"), "{changes}");
    // A second break-glass for the same deployment while the first awaits review would roll
    // the bad version forward again: it is planned instead, with a pending request.
    let again = doc(&agent.call("rollback", json!({"deployment": API})).await);
    assert_eq!(again["status"], "planned", "{again}");
    assert!(
        again["notes"].to_string().contains("already ran"),
        "{again}"
    );
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_runbook_is_served_as_resources() {
    let agent: Agent = start("oncall", &[]).await;
    let all = agent.client.list_all_resources().await.unwrap();
    let uris: Vec<String> = all.iter().map(|r| r.uri.clone()).collect();
    assert!(
        uris.contains(&"runbook://section/emergency-rollback".to_owned()),
        "{uris:?}"
    );
    let read = agent
        .client
        .read_resource(ReadResourceRequestParams::new(
            "runbook://section/emergency-rollback",
        ))
        .await
        .unwrap();
    let body = serde_json::to_string(&read).unwrap();
    assert!(body.contains("rollout undo"), "{body}");
    let missing = agent
        .client
        .read_resource(ReadResourceRequestParams::new(
            "incident://INC-404/timeline",
        ))
        .await;
    assert!(missing.is_err());
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_approved_request_covers_every_argument_of_the_call_it_was_opened_for() {
    let agent = start("oncall", &[]).await;
    let planned =
        json!({"deployment": API, "image": PATCH, "evidence": "ci run 9", "bake_seconds": 5});
    let p = doc(&agent.call("deploy", planned.clone()).await);
    // The approver sees the exact call in the change request's description.
    let description = p["change"]["change"]["description"].as_str().unwrap();
    assert!(
        description.contains("ops mcp call: deploy"),
        "{description}"
    );
    assert!(description.contains("\"bake_seconds\":5"), "{description}");
    let id = approve_pending(&p);
    // Skipping the bake after approval is another call: refused, nothing runs.
    let mut shorter = planned.clone();
    shorter["bake_seconds"] = json!(0);
    shorter["change"] = json!(id);
    let r = agent.call("deploy", shorter).await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("does not cover this call"),
        "{}",
        text(&r)
    );
    assert!(
        records(&id).iter().all(|r| r["kind"] != "step"),
        "nothing ran under {id}"
    );
    // A configuration restore needs a server that keeps configuration backups.
    let r = agent
        .call(
            "restore_config",
            json!({"id": "config-mcp-production-20261206"}),
        )
        .await;
    assert_eq!(r.is_error, Some(true));
    assert!(
        text(&r).contains("no configuration backups"),
        "{}",
        text(&r)
    );
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_document_validates_against_its_tools_output_schema() {
    let agent = start("oncall", &[]).await;
    let tools = agent.client.list_all_tools().await.unwrap();
    let schema_of = |name: &str| -> Value {
        let tool = tools.iter().find(|t| t.name == name).unwrap();
        Value::Object(tool.output_schema.as_ref().unwrap().as_ref().clone())
    };
    let planned_scale = doc(&agent
        .call("scale", json!({"deployment": API, "replicas": 5}))
        .await);
    let cr = planned_scale["change"]["id"].as_str().unwrap().to_owned();
    let calls = [
        ("triage", json!({})),
        ("investigate_errors", json!({})),
        ("investigate_latency", json!({})),
        ("capacity", json!({})),
        ("rollout_history", json!({"deployment": API})),
        ("backups", json!({})),
        ("verify_backup", json!({"id": "latest"})),
        ("audit", json!({})),
        ("incidents", json!({})),
        ("alerts", json!({})),
        ("journal", json!({})),
        ("change_show", json!({"id": cr})),
        ("scale", json!({"deployment": API, "hpa_max": 12})),
        ("rollback", json!({"deployment": API})),
        (
            "deploy",
            json!({"deployment": API, "image": PATCH, "evidence": "ci"}),
        ),
        (
            "silence",
            json!({"alertname": "HighErrorRate", "minutes": 30}),
        ),
        (
            "incident_open",
            json!({"title": "API errors", "severity": "P2"}),
        ),
        ("maintenance", json!({})),
        ("restore", json!({"id": "latest", "autoscaled": "pin"})),
        ("backup", json!({"kind": "db", "name": "mcp_db"})),
    ];
    for (tool, args) in calls {
        let r = agent.call(tool, args.clone()).await;
        let d = doc(&r);
        common::validate(&schema_of(tool), &d, tool)
            .unwrap_or_else(|e| panic!("{tool} {args}: {e}\n{d}"));
        // An error result still carries its document; a plan is never an error.
        if d["status"] == "planned" {
            assert_eq!(r.is_error, Some(false), "{tool}: {d}");
            assert!(d["change"]["id"].as_str().is_some(), "{tool}: {d}");
        }
    }
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_server_whose_client_goes_away_stops_its_calls_safely_before_it_exits() {
    let agent = start("oncall", &[]).await;
    let deploy =
        json!({"deployment": API, "image": PATCH, "evidence": "ci run 8", "bake_seconds": 600});
    let id = approve_pending(&doc(&agent.call("deploy", deploy.clone()).await));
    let mut run = deploy;
    run["change"] = json!(id);
    let _pending = agent.start_call("deploy", run).await;
    rolled_out(&agent).await;
    // The client goes away mid-bake (stdin closes): the server must not exit with the new
    // image unverified and unrecorded.
    agent.client.cancel().await.unwrap();
    safe_stop(&id).await;
    // Why: the client's session ended (its calls are cancelled), or the server drained them.
    let why = records(&id).into_iter().any(|r| {
        let t = r["summary"].to_string();
        t.contains("cancelled by the client") || t.contains("the server is shutting down")
    });
    assert!(why, "the journal says why the call stopped");
}
