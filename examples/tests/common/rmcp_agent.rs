//! `ops mcp` driven by rmcp's own client over stdio, as an agent would: start the server as
//! a child process, list, call, cancel, and read the progress it sends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientRequest, ProgressNotificationParam, Request,
};
use rmcp::service::{NotificationContext, PeerRequestOptions, RequestHandle, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt as _};
use serde_json::{Map, Value};

use super::common::{CALLER_SETTINGS, state_dir};

/// Records every progress notification's message.
#[derive(Clone, Default)]
pub struct Recorder {
    /// The messages, in order.
    pub progress: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Recorder {
    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.progress
            .lock()
            .unwrap()
            .push(params.message.unwrap_or_default());
    }
}

/// A connected agent.
pub struct Agent {
    /// The client session.
    pub client: RunningService<RoleClient, Recorder>,
    /// What it recorded.
    pub recorder: Recorder,
}

/// `ops --as <who> <global…> mcp` as a child process, with the test's state directory.
pub async fn start(who: &str, global: &[&str]) -> Agent {
    let bin = std::env::var_os("MCP_OPS_TEST_OPS_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_ops").into());
    let mut cmd = tokio::process::Command::new(bin);
    for var in CALLER_SETTINGS {
        cmd.env_remove(var);
    }
    cmd.env("MCP_OPS_STATE_DIR", state_dir());
    cmd.arg("--as").arg(who).args(global).arg("mcp");
    let transport = TokioChildProcess::new(cmd).unwrap();
    let recorder = Recorder::default();
    let client = recorder.clone().serve(transport).await.unwrap();
    Agent { client, recorder }
}

/// The arguments of a call.
pub fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("arguments must be an object, got {other}"),
    }
}

impl Agent {
    /// Calls `tool` with `arguments`.
    pub async fn call(&self, tool: &str, arguments: Value) -> CallToolResult {
        self.client
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(args(arguments)))
            .await
            .unwrap()
    }

    /// Starts a call whose progress is reported and which may be cancelled.
    pub async fn start_call(&self, tool: &str, arguments: Value) -> RequestHandle<RoleClient> {
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(args(arguments));
        self.client
            .peer()
            .send_request_with_option(
                ClientRequest::CallToolRequest(Request::new(params)),
                PeerRequestOptions::no_options(),
            )
            .await
            .unwrap()
    }
}

/// `ops --as who --output json args…` in the test's state directory (the CLI beside the
/// server: approvals, the journal); asserts exit 0 and the embedded banner.
pub fn ops_json(who: &str, args: &[&str]) -> Value {
    let mut all = vec!["--as", who, "--output", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&super::common::run(&all, 0)).unwrap()
}

/// The structured content of a result (panics with the text when there is none).
pub fn doc(r: &CallToolResult) -> Value {
    r.structured_content
        .clone()
        .unwrap_or_else(|| panic!("no structured content: {}", text(r)))
}

/// The text blocks of a result, joined.
pub fn text(r: &CallToolResult) -> String {
    r.content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}
