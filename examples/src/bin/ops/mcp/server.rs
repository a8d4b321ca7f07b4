//! The MCP server: tools (one per procedure, see [`super::tools`]), resources (the runbook's
//! sections and incident timelines) and the per-namespace systems the calls run against.

use std::collections::HashMap;
use std::sync::Arc;

use mcp_ops_core::platform::AgentScope;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use super::resources;
use super::tools;
use crate::Failure;
use crate::backends::Backends;
use crate::cli::{Command, Global};

/// The caller of an HTTP request, set by the bearer-token layer ([`super::http`]).
#[derive(Debug, Clone)]
pub struct Identity(pub String);

/// What every call shares.
pub struct State {
    /// The server's flags and platform; each call runs on a copy with its caller.
    pub base: Global,
    /// What calls may touch.
    pub scope: AgentScope,
    /// The caller when the transport names none (stdio; HTTP without tokens on loopback).
    pub default_actor: String,
    /// The systems of each namespace, made on first use.
    backends: tokio::sync::Mutex<HashMap<String, Backends>>,
    /// The calls running; the server waits for them before it exits.
    pub calls: tokio_util::task::TaskTracker,
    /// Cancelled when the server is going away: every running call stops safely.
    pub shutdown: tokio_util::sync::CancellationToken,
}

impl State {
    /// A state for `base` (its platform's `[mcp]` is the scope).
    pub fn new(base: Global) -> Self {
        Self {
            scope: base.platform.agents.clone(),
            default_actor: base.actor.clone(),
            base,
            backends: tokio::sync::Mutex::new(HashMap::new()),
            calls: tokio_util::task::TaskTracker::new(),
            shutdown: tokio_util::sync::CancellationToken::new(),
        }
    }

    /// Before the process exits (the client went away, SIGTERM): asks every running call to
    /// stop safely and waits for each to finish its safe stop and its journal, so no
    /// procedure is dropped halfway and unrecorded.
    pub async fn drain(&self) {
        self.shutdown.cancel();
        self.calls.close();
        let running = self.calls.len();
        if running > 0 {
            eprintln!(
                "ops mcp: {running} call(s) still running: asking them to stop safely and waiting for their journal"
            );
        }
        self.calls.wait().await;
    }

    /// The systems of `namespace` (the cluster, stores and journal), made once.
    ///
    /// # Errors
    /// As `ops` would fail to start on that namespace.
    pub async fn backends(&self, namespace: &str) -> Result<Backends, Failure> {
        let mut cache = self.backends.lock().await;
        if let Some(b) = cache.get(namespace) {
            return Ok(b.clone());
        }
        let g = self.global(namespace, &self.default_actor);
        let b = crate::target(&Command::Triage, &g).await?;
        cache.insert(namespace.to_owned(), b.clone());
        Ok(b)
    }

    /// The persisted journal (shared by every namespace: one state directory or database).
    ///
    /// # Errors
    /// When the systems cannot be made or keep no journal.
    pub async fn audit(&self) -> Result<Arc<dyn mcp_ops_core::audit::AuditLog>, String> {
        let ns = self
            .scope
            .namespaces
            .first()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|| self.base.namespace.clone());
        let b = self.backends(&ns).await.map_err(|f| {
            let (Failure::BadInput(w) | Failure::Failed(w) | Failure::Refused(w)) = f;
            mcp_ops_core::redact_text(&w)
        })?;
        b.changes
            .as_ref()
            .map(|c| c.audit.clone())
            .ok_or_else(|| "no journal on this target".to_owned())
    }

    /// Whether the calls act on the embedded simulated cluster (no `--kubeconfig`).
    pub fn simulated(&self) -> bool {
        self.base.kubeconfig.is_none()
    }

    /// The `instructions` of `initialize`: how the tools are guarded, the scope, and, on the
    /// embedded cluster, that it is SIMULATED.
    pub fn instructions(&self) -> String {
        let names = |v: Vec<&str>| {
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join(", ")
            }
        };
        let mut text = INSTRUCTIONS.to_owned();
        text.push_str(&format!(
            " Scope: namespaces {}; deployments {}; secrets {}.",
            names(self.scope.namespaces.iter().map(|n| n.as_str()).collect()),
            names(self.scope.deployments.iter().map(|d| d.as_str()).collect()),
            names(self.scope.secrets.iter().map(|s| s.as_str()).collect()),
        ));
        if self.simulated() {
            text.push_str(SIMULATED);
        }
        text
    }

    /// Now (the journal's clock).
    pub fn now(&self) -> mcp_ops_core::jiff::Timestamp {
        mcp_ops_core::jiff::Timestamp::now()
    }

    /// The flags of a call by `actor` in `namespace`: JSON output, the server's platform.
    pub fn global(&self, namespace: &str, actor: &str) -> Global {
        let mut g = self.base.clone();
        g.namespace = namespace.to_owned();
        g.actor = actor.to_owned();
        g.output = crate::cli::Output::Json;
        g.dry_run = false;
        g.change = None;
        g
    }
}

/// The server handed to rmcp (cheap to clone: one per HTTP session).
#[derive(Clone)]
pub struct McpServer {
    /// The shared state.
    pub state: Arc<State>,
}

const INSTRUCTIONS: &str = "mcp-ops: the production runbook as tools. Read-only tools \
(triage, investigate_*, capacity, rollout_history, backups, verify_backup, audit, incidents, \
alerts, journal, change_show) run at once. Mutating tools return the dry-run plan and a \
pending change request; they run only when called again with `change` naming that request \
after a person holding the role approved it outside this conversation (`ops change approve`). \
`rollback` runs at once only when the server itself measures the runbook's trigger. Every call \
is journaled with your identity.";

const SIMULATED: &str = " SIMULATED: this server acts on an embedded simulated cluster \
started in its own process, not on a real one (it was started without --kubeconfig): what the \
tools deploy, scale or roll back there is gone when the server stops, while change requests \
and the journal are kept. Tell the user every result is simulated.";

impl McpServer {
    /// The caller of a request: the bearer token's person over HTTP, else the server's.
    fn caller(&self, context: &RequestContext<RoleServer>) -> String {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<Identity>())
            .map(|i| i.0.clone())
            .unwrap_or_else(|| self.state.default_actor.clone())
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("mcp-ops", env!("CARGO_PKG_VERSION")))
        .with_instructions(self.state.instructions())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let mut list = Vec::with_capacity(tools::TOOLS.len());
        for def in tools::TOOLS {
            list.push(
                def.to_tool()
                    .map_err(|e| McpError::internal_error(e, None))?,
            );
        }
        Ok(ListToolsResult::with_all_items(list))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(def) = tools::find(&request.name) else {
            return Err(McpError::invalid_params(
                format!("unknown tool {:?}", request.name),
                None,
            ));
        };
        let caller = self.caller(&context);
        let client = context
            .peer
            .peer_info()
            .map(|i| i.client_info.name.clone())
            .unwrap_or_else(|| "unknown client".to_owned());
        let args = request.arguments.unwrap_or_default();
        let call = super::run::Call {
            def,
            args,
            caller,
            client,
            progress: context
                .meta
                .get_progress_token()
                .map(|t| (context.peer.clone(), t)),
            cancel: context.ct.clone(),
            shutdown: self.state.shutdown.clone(),
        };
        let state = self.state.clone();
        // The call runs in a task of its own: a client that goes away (or cancels) never
        // drops a procedure halfway; cancellation asks it to stop safely instead.
        let calls = self.state.calls.clone();
        let result: CallToolResult = calls
            .spawn(super::run::execute(state, call))
            .await
            .unwrap_or_else(|e| {
                CallToolResult::error(vec![ContentBlock::text(format!(
                    "the call ended abnormally: {e}"
                ))])
            });
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        // Runbook sections need no journal; a timeline does.
        let audit: Arc<dyn mcp_ops_core::audit::AuditLog> =
            if request.uri.starts_with("incident://") {
                self.state
                    .audit()
                    .await
                    .map_err(|w| McpError::internal_error(w, None))?
            } else {
                Arc::new(mcp_ops_core::audit::MemoryAuditLog::default())
            };
        match resources::read(&request.uri, audit.as_ref()).await {
            Ok(r) => Ok(r.into()),
            Err(resources::ResourceError::NotFound(why)) => {
                Err(McpError::resource_not_found(why, None))
            }
            Err(resources::ResourceError::Unavailable(why)) => {
                Err(McpError::internal_error(why, None))
            }
        }
    }
}
