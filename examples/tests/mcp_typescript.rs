//! `ops mcp` driven once by the official TypeScript MCP SDK (`@modelcontextprotocol/sdk`
//! 1.32.2, installed by `scripts/test`; `MCP_OPS_MCP_NODE_MODULES` names its `node_modules`):
//! `tests/mcp_clients/client.cjs` connects over stdio with the SDK's `Client` and
//! `StdioClientTransport` (which start `ops mcp` as their child), lists the tools and calls
//! triage on the embedded simulated cluster.
//!
//! Run: `scripts/test`, or with its exports `cargo nextest run -p mcp-ops-examples --test mcp_typescript`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
#[path = "common/mcp_clients.rs"]
mod mcp_clients;

use mcp_clients::{TOOLS, client_json, command_schema, node_modules, script, stdio_server};

#[test]
fn the_typescript_sdk_lists_the_tools_and_calls_triage_over_stdio() {
    let mut cmd = assert_cmd::Command::new("node");
    cmd.env("NODE_PATH", node_modules())
        .arg(script("client.cjs"))
        .arg(stdio_server(&["--as".into(), "oncall".into()]));
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
}
