//! `ops mcp` driven once by the official TypeScript MCP SDK (`@modelcontextprotocol/sdk`
//! 1.32.2, installed by `scripts/test`; `MCP_OPS_MCP_NODE_MODULES` names its `node_modules`):
//! `tests/mcp_clients/client.cjs` connects over stdio with the SDK's `Client` and
//! `StdioClientTransport` (which start `ops mcp` as their child), lists the tools, calls triage
//! and plans a deploy on the embedded simulated cluster.
//!
//! Run: `scripts/test`, or with its exports `cargo nextest run -p mcp-ops-examples --test mcp_typescript`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[path = "common/mcp_clients.rs"]
mod mcp_clients;

use mcp_clients::{TOOLS, client_json, command_schema, node, node_modules, script, stdio_server};
use serde_json::json;

/// The runbook's API and a patch release of it.
const API: &str = "mcp-typescript-api";
const PATCH: &str = "mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1";

#[test]
fn the_typescript_sdk_lists_the_tools_and_calls_triage_over_stdio() {
    let mut cmd = node();
    cmd.env("NODE_PATH", node_modules())
        .arg(script("client.cjs"))
        .arg(stdio_server(&["--as".into(), "oncall".into()]))
        .arg(
            json!({"name": "deploy", "arguments": {"deployment": API, "image": PATCH, "evidence": "CI run 4711 green"}}).to_string(),
        );
    let doc = client_json(cmd, "client.cjs");
    let tools = doc["tools"].as_array().unwrap();
    assert_eq!(tools.len(), TOOLS.len(), "{doc}");
    for (name, _) in TOOLS {
        assert!(tools.contains(&serde_json::json!(name)), "{name}: {doc}");
    }
    let triage = &doc["triage"];
    assert_eq!(triage["isError"], false, "{doc}");
    let content = &triage["structuredContent"];
    assert_eq!(content["command"], "triage", "{doc}");
    common::validate(&command_schema("triage"), content, "").unwrap();
    // A mutating call is planned with a pending change request, and the SDK's own check of
    // the plan against deploy's output schema accepts it.
    let planned = &doc["call"];
    assert_eq!(planned["isError"], false, "{doc}");
    let content = &planned["structuredContent"];
    assert_eq!(content["status"], "planned", "{doc}");
    assert_eq!(content["change"]["status"], "pending", "{doc}");
    assert!(
        content["change"]["change"]["id"]
            .as_str()
            .unwrap()
            .starts_with("CR-"),
        "{doc}"
    );
    common::validate(&command_schema("deploy"), content, "").unwrap();
}
