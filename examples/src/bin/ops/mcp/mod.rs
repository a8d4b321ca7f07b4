//! `ops mcp`: the runbook's procedures as Model Context Protocol tools for AI agents, every
//! guardrail enforced by the server (see the README's "ops mcp" section).

pub mod resources;

use std::process::ExitCode;

use clap::Args;

use crate::cli::Global;

/// `ops mcp` arguments.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Serve Streamable HTTP on this address (`127.0.0.1:8931`) at `/mcp` instead of stdio.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The bearer tokens of HTTP callers: one line per token, `<handle> sha256:<hex>`
    /// (see `--new-token`). Required on a non-loopback address.
    #[arg(long, env = "MCP_OPS_MCP_TOKENS_FILE", value_name = "FILE")]
    pub tokens: Option<std::path::PathBuf>,
    /// Add a fresh token for this handle of the team to `--tokens FILE`, print it once, exit.
    #[arg(long, value_name = "HANDLE", requires = "tokens")]
    pub new_token: Option<String>,
}

/// Runs the server until the client goes away (stdio) or the process is stopped (HTTP).
pub async fn serve(_args: &McpArgs, _g: Global) -> ExitCode {
    eprintln!("ops: mcp: not implemented yet");
    ExitCode::from(1)
}
