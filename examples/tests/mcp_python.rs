//! `ops mcp` driven by a client nobody here wrote: the official Python MCP SDK (`mcp` 2.3.0,
//! installed by `scripts/test` into a venv named by `MCP_OPS_MCP_PYTHON`), running
//! `tests/mcp_clients/client.py` over stdio (the SDK starts `ops mcp` as its child) and over
//! Streamable HTTP (`ops mcp --listen`, bearer tokens from `ops mcp --new-token`).
//!
//! The tools and triage run on the embedded simulated cluster; the deploy and the scope
//! refusal on a namespace of the real control plane (kubectl reads it back), with real
//! Prometheus, PostgreSQL and a health endpoint behind the deploy's gates and bake.
//!
//! Run: `scripts/test`, or with its exports (`MCP_OPS_MCP_PYTHON`, the control plane's)
//! `cargo nextest run -p mcp-ops-examples --test mcp_python`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[path = "common/control_plane.rs"]
mod control_plane;
#[path = "common/health_server.rs"]
mod health_server;
#[path = "common/mcp_clients.rs"]
mod mcp_clients;
#[path = "common/mcp_target.rs"]
mod mcp_target;

use mcp_clients::{
    HttpServer, PYTHON_CLIENT_NAME, READ_ONLY_TOOLS, TOOLS, Transport, call, command_schema,
    new_token, python_client, stdio_server,
};
use mcp_target::{API, RealTarget, V0, V1};
use serde_json::{Value, json};

/// The embedded simulated cluster's server, the caller `oncall` of the runbook's team.
fn sim_global() -> Vec<String> {
    vec!["--as".into(), "oncall".into()]
}

/// A tokens file in a fresh directory and a token of `handle` in it.
fn token_for(handle: &str) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens");
    let token = new_token(handle, &file);
    (dir, file, token)
}

/// Every tool of the spec is listed, each with an input schema (an object with `namespace`,
/// and `change` on the mutating ones) and the output schema of its command, verbatim; the
/// annotations say truthfully what it does.
fn assert_tools(transport: &Transport) {
    let listed = python_client(transport, &["list"]);
    let tools = listed["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let mut expected: Vec<&str> = TOOLS.iter().map(|(t, _)| *t).collect();
    let mut got = names.clone();
    expected.sort_unstable();
    got.sort_unstable();
    assert_eq!(got, expected, "tools listed");
    for (name, command) in TOOLS {
        let tool = tools.iter().find(|t| t["name"] == *name).unwrap();
        let input = &tool["inputSchema"];
        assert_eq!(input["type"], "object", "{name}: {input}");
        assert!(
            input["properties"]["namespace"].is_object(),
            "{name}: no namespace argument: {input}"
        );
        assert_eq!(
            tool["outputSchema"],
            command_schema(command),
            "{name}: outputSchema is not schemas/{command}.schema.json"
        );
        let hints = &tool["annotations"];
        let read_only = TOOLS.iter().position(|(t, _)| t == name).unwrap() < READ_ONLY_TOOLS;
        if *name == "backup" {
            continue;
        }
        assert_eq!(hints["readOnlyHint"], read_only, "{name}: {hints}");
        assert_eq!(hints["idempotentHint"], read_only, "{name}: {hints}");
        let destructive = [
            "deploy",
            "rollback",
            "scale",
            "restore",
            "restore_config",
            "rotate_secret",
            "quarantine",
            "maintenance",
        ]
        .contains(name);
        assert_eq!(hints["destructiveHint"], destructive, "{name}: {hints}");
        if !read_only {
            assert!(
                input["properties"]["change"].is_object(),
                "{name}: no change argument: {input}"
            );
        }
    }
    let deploy = tools.iter().find(|t| t["name"] == "deploy").unwrap();
    let required = deploy["inputSchema"]["required"].as_array().unwrap();
    assert!(
        required.contains(&json!("deployment")) && required.contains(&json!("image")),
        "{deploy}"
    );
}

/// triage's structured content is the `ops triage --output json` document and validates
/// against the tool's output schema (jsonschema, in the client).
fn assert_triage(transport: &Transport) {
    let doc = call(transport, "triage", &json!({}));
    assert_eq!(doc["isError"], false, "{doc}");
    let content = &doc["structuredContent"];
    assert_eq!(content["command"], "triage", "{doc}");
    assert!(["ok", "failed"].contains(&content["status"].as_str().unwrap()));
    assert_eq!(doc["schemaErrors"], json!([]), "{doc}");
    // The Rust validator of the CLI tests agrees.
    common::validate(&command_schema("triage"), content, "").unwrap();
}

#[test]
fn stdio_lists_every_tool_with_its_schemas_and_triage_validates() {
    let transport = Transport::Stdio(stdio_server(&sim_global()));
    assert_tools(&transport);
    assert_triage(&transport);
}

#[test]
fn http_lists_every_tool_with_its_schemas_and_triage_validates() {
    let (_dir, tokens, token) = token_for("oncall");
    let server = HttpServer::start(&[], &["--tokens", tokens.to_str().unwrap()]);
    let transport = server.transport(Some(&token));
    assert_tools(&transport);
    assert_triage(&transport);
}

#[test]
fn stdio_serves_the_runbook_as_resources() {
    let transport = Transport::Stdio(stdio_server(&sim_global()));
    let sections = "runbook://sections";
    let rollback = "runbook://section/emergency-rollback";
    let doc = python_client(&transport, &["resources", sections, rollback]);
    let listed = doc["resources"].as_array().unwrap();
    for uri in [sections, rollback] {
        assert!(listed.contains(&json!(uri)), "{uri}: {doc}");
    }
    let templates = doc["templates"].as_array().unwrap();
    for template in ["incident://{id}/timeline", "runbook://section/{slug}"] {
        assert!(templates.contains(&json!(template)), "{template}: {doc}");
    }
    let index = &doc["read"][sections][0];
    assert_eq!(index["mimeType"], "text/markdown", "{doc}");
    assert!(
        index["text"].as_str().unwrap().contains(rollback),
        "{index}"
    );
    let section = &doc["read"][rollback][0];
    assert_eq!(section["mimeType"], "text/markdown", "{doc}");
    let text = section["text"].as_str().unwrap();
    assert!(text.starts_with("### Emergency Rollback"), "{text}");
    assert!(
        text.contains("kubectl rollout undo deployment/mcp-typescript-api"),
        "{text}"
    );
}

/// A deploy without `change` is planned and a change request opened as `requester`; the
/// cluster is unchanged; once a second person approves, the same call with `change` runs,
/// the cluster has the new image, and the journal holds both people and the client's name.
fn deploy_waits_for_approval(target: &RealTarget, transport: &Transport, requester: &str) {
    let image = format!("{API}={V1}");
    let arguments = json!({
        "deployment": API,
        "image": image,
        "bake_seconds": 2,
        "evidence": "CI run 4711 green",
    });
    assert_eq!(target.api_image(), V0);
    let planned = call(transport, "deploy", &arguments);
    assert_eq!(planned["isError"], false, "{planned}");
    let content = &planned["structuredContent"];
    assert_eq!(content["status"], "planned", "{planned}");
    assert_eq!(planned["schemaErrors"], json!([]), "{planned}");
    // The change request's report (`ops change request --output json`'s `report`).
    let change = &content["change"];
    let cr = change["change"]["id"]
        .as_str()
        .or_else(|| change["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(is_change_id(&cr), "change.id {cr:?}: {planned}");
    assert!(
        planned["text"]
            .as_str()
            .unwrap()
            .contains(&format!("ops change approve {cr}")),
        "the approval command: {planned}"
    );
    assert_eq!(
        target.api_image(),
        V0,
        "a planned deploy changed the cluster"
    );
    let shown = target.ops_json(&["change", "show", &cr]);
    assert_eq!(shown["report"]["status"], "pending", "{shown}");

    // Naming the change before anyone approved it is refused, and nothing runs.
    let mut approved = arguments.clone();
    approved["change"] = json!(cr);
    let early = refused(transport, "deploy", &approved);
    assert!(
        early.contains(&cr) && early.contains("not approved"),
        "{early}"
    );
    assert_eq!(target.api_image(), V0);

    target.ops(&["--as", "engineering-manager", "change", "approve", &cr]);
    let ran = call(transport, "deploy", &approved);
    assert_eq!(ran["isError"], false, "{ran}");
    let content = &ran["structuredContent"];
    assert_eq!(content["status"], "ok", "{ran}");
    assert_eq!(ran["schemaErrors"], json!([]), "{ran}");
    assert_eq!(content["report"]["outcome"]["outcome"], "deployed", "{ran}");
    assert_eq!(target.api_image(), V1);
    // The long procedure told the client how far it got (progress notifications).
    let progress = ran["progress"].as_array().unwrap();
    assert!(!progress.is_empty(), "no progress notification: {ran}");

    let journal = target.ops_json(&["journal", "show", "--change", &cr]);
    let records = journal["report"]["records"].as_array().unwrap();
    let actors: Vec<&str> = records
        .iter()
        .map(|r| r["actor"].as_str().unwrap())
        .collect();
    for who in [requester, "engineering-manager"] {
        assert!(
            actors.iter().any(|a| a.contains(who)),
            "{who} not in the journal of {cr}: {actors:?}"
        );
    }
    let text = journal["report"].to_string();
    assert!(
        text.contains(PYTHON_CLIENT_NAME),
        "the client's name is not in the journal of {cr}: {journal}"
    );
}

/// `CR-YYYY-NNN`.
fn is_change_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 3
        && parts[0] == "CR"
        && parts[1].len() == 4
        && parts[2].len() >= 3
        && parts[1..]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn stdio_deploy_is_planned_then_runs_once_a_second_person_approves() {
    let target = RealTarget::new("mcp-py-stdio");
    let transport = Transport::Stdio(stdio_server(&target.global_with(&["--as", "oncall"])));
    deploy_waits_for_approval(&target, &transport, "oncall");
}

#[test]
fn http_deploy_is_requested_as_the_tokens_person_and_runs_once_approved() {
    let target = RealTarget::new("mcp-py-http");
    let tokens = target.file("tokens");
    let token = new_token("oncall", &tokens);
    // The server's own --as is not the caller over HTTP: the token's person is. Were it
    // taken, the engineering manager's approval would be refused as self-approval.
    let global = target.global_with(&["--as", "engineering-manager"]);
    let server = HttpServer::start(&global, &["--tokens", tokens.to_str().unwrap()]);
    deploy_waits_for_approval(&target, &server.transport(Some(&token)), "oncall");
}

/// Calls `tool`, asserts a tool error (never a protocol error) of one line; returns it.
fn refused(transport: &Transport, tool: &str, arguments: &Value) -> String {
    let doc = call(transport, tool, arguments);
    assert_eq!(doc["isError"], true, "{tool}: {doc}");
    let text = doc["text"].as_str().unwrap().to_owned();
    assert_eq!(text.lines().count(), 1, "{tool}: {text:?}");
    text
}

#[test]
fn kube_system_is_outside_the_scope_and_nothing_changes() {
    let target = RealTarget::new("mcp-py-scope");
    let transport = Transport::Stdio(stdio_server(&target.global_with(&["--as", "oncall"])));
    let changes = common::state_dir().join("changes.json");
    let before = std::fs::read(&changes).unwrap_or_default();
    let calls = [
        ("triage", json!({"namespace": "kube-system"})),
        (
            "deploy",
            json!({"namespace": "kube-system", "deployment": API, "image": format!("{API}={V1}")}),
        ),
        (
            "scale",
            json!({"namespace": "kube-system", "deployment": API, "replicas": 5}),
        ),
    ];
    for (tool, arguments) in calls {
        let text = refused(&transport, tool, &arguments);
        assert!(text.contains("outside"), "{tool}: {text}");
        assert!(text.contains("scope"), "{tool}: {text}");
        assert!(text.contains("kube-system"), "{tool}: {text}");
    }
    // Bad input in scope is refused the same way: a tool error of one line.
    let bad = json!({"deployment": API, "image": "no-equals-sign"});
    let text = refused(&transport, "deploy", &bad);
    assert!(text.contains("<container>=<image>"), "{text}");
    assert_eq!(std::fs::read(&changes).unwrap_or_default(), before);
    assert_eq!(target.api_image(), V0);
}

#[test]
fn http_answers_100_concurrent_read_only_calls() {
    let (_dir, tokens, token) = token_for("oncall");
    let server = HttpServer::start(&[], &["--tokens", tokens.to_str().unwrap()]);
    let doc = python_client(
        &server.transport(Some(&token)),
        &["concurrent", "100", "capacity,triage", "--sessions", "4"],
    );
    assert_eq!(doc["answered"], 100, "{doc}\n{}", server.stderr());
    assert_eq!(doc["errors"], json!([]), "{doc}");
}

#[test]
fn http_on_loopback_without_tokens_calls_as_the_servers_person() {
    let server = HttpServer::start(&sim_global(), &[]);
    let arguments = json!({
        "deployment": API,
        "image": format!("{API}={V1}"),
        "evidence": "CI run 4711 green",
    });
    let planned = call(&server.transport(None), "deploy", &arguments);
    assert_eq!(planned["isError"], false, "{planned}");
    let change = &planned["structuredContent"]["change"];
    assert_eq!(change["change"]["requester"], "oncall", "{planned}");
    assert_eq!(change["status"], "pending", "{planned}");
}

#[test]
fn http_each_token_calls_as_its_own_person() {
    let (_dir, tokens, oncall) = token_for("oncall");
    let lead = new_token("team-lead", &tokens);
    // The server's own --as is someone else again.
    let server = HttpServer::start(
        &["--as".into(), "architect".into()],
        &["--tokens", tokens.to_str().unwrap()],
    );
    let scale = json!({"deployment": "mcp-rust-server", "replicas": 4});
    for (token, person) in [(&oncall, "oncall"), (&lead, "team-lead")] {
        let planned = call(&server.transport(Some(token)), "scale", &scale);
        assert_eq!(planned["isError"], false, "{planned}");
        let change = &planned["structuredContent"]["change"];
        assert_eq!(change["change"]["requester"], person, "{planned}");
    }
}

#[test]
fn http_without_a_known_token_is_401() {
    let (_dir, tokens, token) = token_for("oncall");
    let server = HttpServer::start(&[], &["--tokens", tokens.to_str().unwrap()]);
    let status = |token: Option<&str>| -> Value {
        python_client(&server.transport(token), &["status"])["status"].clone()
    };
    assert_eq!(status(None), 401);
    assert_eq!(status(Some("not-a-token")), 401);
    assert_eq!(status(Some(&token)), 200);
    // The tokens file is private and holds the token's hash, never the token.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&tokens).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let text = std::fs::read_to_string(&tokens).unwrap();
    assert!(!text.contains(&token), "{text}");
    assert!(text.starts_with("oncall sha256:"), "{text}");
}

#[test]
fn binding_every_address_without_tokens_is_refused() {
    let out = common::ops()
        .args(["mcp", "--listen", "0.0.0.0:0"])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("ops: "), "{stderr}");
}
