//! `ops mcp`: the runbook's procedures as Model Context Protocol tools for AI agents, every
//! guardrail enforced by the server (see the README's "ops mcp" section).
//!
//! - [`tools`]: the tool list (guards, annotations, schemas); [`call`]: a call as the `ops`
//!   command it is; [`scope`]: the `[mcp]` allow-list; [`run`]: the guards and the journal;
//!   [`evidence`]: the emergency rollback's own measurement.
//! - [`server`]: the rmcp handler; [`http`] and [`tokens`]: Streamable HTTP with bearer tokens;
//!   [`resources`]: the runbook's sections and incident timelines.

pub mod admission;
pub mod args;
pub mod call;
pub mod call_mutating;
pub mod evidence;
pub mod http;
pub mod progress_feed;
pub mod resources;
pub mod run;
pub mod scope;
pub mod server;
pub mod tokens;
pub mod tools;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use rmcp::ServiceExt as _;

use crate::Failure;
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
    /// Another `Host` name the server answers to without `--tokens` (repeatable; the
    /// loopback names and the bound address always are). With `--tokens` every `Host` is
    /// accepted: a bearer token already defeats DNS rebinding.
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_host: Vec<String>,
}

/// The global flags that make no sense for a server, refused before anything starts: a
/// server started with `--dry-run` to "look only" would otherwise act.
fn inapplicable(g: &Global) -> Option<&'static str> {
    if g.dry_run {
        return Some(
            "--dry-run does not apply to ops mcp: every mutating tool plans first and runs only under an approved change",
        );
    }
    if g.change.is_some() {
        return Some(
            "--change does not apply to ops mcp: each tool call names its approved change request in its `change` argument",
        );
    }
    if g.output == crate::cli::Output::Json {
        return Some(
            "--output does not apply to ops mcp: every tool returns the JSON document of `ops --output json` as its structured content",
        );
    }
    None
}

/// The line printed on stderr at start: what the server talks to (the CLI's banner), who
/// calls without a token, and the scope; `SIMULATED` when the cluster is the embedded one.
fn banner(state: &server::State, backends: &crate::backends::Backends) -> String {
    let names = |v: Vec<&str>| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    let scope = &state.scope;
    let simulated = if state.simulated() {
        "SIMULATED (no real cluster: pass --kubeconfig), "
    } else {
        ""
    };
    format!(
        "{} | ops mcp: {simulated}caller {}, scope: namespaces {}; deployments {}; secrets {}",
        backends.banner(),
        state.default_actor,
        names(scope.namespaces.iter().map(|n| n.as_str()).collect()),
        names(scope.deployments.iter().map(|d| d.as_str()).collect()),
        names(scope.secrets.iter().map(|s| s.as_str()).collect()),
    )
}

fn bad(why: &str) -> ExitCode {
    eprintln!("ops: {}", mcp_ops_core::redact_text(why));
    ExitCode::from(2)
}

/// Runs the server until the client goes away (stdio) or the process is stopped (HTTP).
pub async fn serve(args: &McpArgs, g: Global) -> ExitCode {
    if let Some(why) = inapplicable(&g) {
        return bad(why);
    }
    let team = g.platform.team.clone();
    let is_person = move |h: &str| team.person(h).is_some();
    if let (Some(handle), Some(path)) = (&args.new_token, &args.tokens) {
        if g.platform.team.person(handle).is_none() {
            return bad(&tokens::TokenError::UnknownHandle(handle.clone()).to_string());
        }
        return match tokens::new_token(path, handle, &is_person) {
            Ok(token) => {
                println!("{token}");
                eprintln!(
                    "ops mcp: a token for {handle} was added to {} (only its digest is kept; this is the one time it is shown)",
                    path.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("ops: {e}");
                ExitCode::from(1)
            }
        };
    }
    let listen = match args.listen.as_deref().map(http::listen_address) {
        None => None,
        Some(Ok(addr)) => Some(addr),
        Some(Err(why)) => return bad(&why),
    };
    let tokens = match &args.tokens {
        Some(path) => match tokens::Tokens::load(path, &is_person) {
            Ok(t) => Some(t),
            Err(e) => return bad(&e.to_string()),
        },
        None => None,
    };
    if let Some(addr) = listen
        && !addr.ip().is_loopback()
        && tokens.is_none()
    {
        return bad(&format!(
            "--listen {addr}: a non-loopback address needs --tokens FILE (anyone who reaches it could act)"
        ));
    }
    let state = Arc::new(server::State::new(g));
    // The default namespace's systems are made now: a wrong flag fails at start, not at
    // the first call.
    let first = state
        .scope
        .namespaces
        .first()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_else(|| state.base.namespace.clone());
    match state.backends(&first).await {
        Ok(b) => eprintln!("{}", banner(&state, &b)),
        Err(f) => {
            let code = if matches!(f, Failure::BadInput(_)) {
                2
            } else {
                1
            };
            let (Failure::BadInput(w) | Failure::Failed(w) | Failure::Refused(w)) = f;
            eprintln!("ops: {}", mcp_ops_core::redact_text(&w));
            return ExitCode::from(code);
        }
    }
    match listen {
        None => {
            let code = stdio(state.clone()).await;
            state.drain().await;
            code
        }
        Some(addr) => {
            let stop = tokio_util::sync::CancellationToken::new();
            let trigger = stop.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                trigger.cancel();
            });
            if let Some(t) = &tokens {
                eprintln!("ops mcp: {} bearer token(s) loaded", t.len());
            }
            let code =
                match http::serve(addr, tokens, &args.allowed_host, state.clone(), stop).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(why) => {
                        eprintln!("ops: {why}");
                        ExitCode::from(1)
                    }
                };
            state.drain().await;
            code
        }
    }
}

async fn stdio(state: Arc<server::State>) -> ExitCode {
    let server = server::McpServer { state };
    match server.serve(rmcp::transport::stdio()).await {
        // The client closing stdin ends the session; so does SIGTERM or Ctrl-C.
        Ok(running) => tokio::select! {
            done = running.waiting() => match done {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ops: mcp: {e}");
                    ExitCode::from(1)
                }
            },
            () = shutdown_signal() => ExitCode::SUCCESS,
        },
        Err(e) => {
            eprintln!("ops: mcp: the client did not initialize: {e}");
            ExitCode::from(1)
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}
