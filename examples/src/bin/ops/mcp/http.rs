//! `ops mcp --listen ADDR`: Streamable HTTP at `/mcp`, each request's bearer token mapped to a
//! person of the team (no token, or an unknown one: 401, nothing runs).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

use super::server::{Identity, McpServer, State};
use super::tokens::Tokens;

/// Serves until `stop` is cancelled.
///
/// # Errors
/// One line when the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    tokens: Option<Tokens>,
    state: Arc<State>,
    stop: CancellationToken,
) -> Result<(), String> {
    let mut hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    hosts.push(addr.ip().to_string());
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_cancellation_token(stop.child_token());
    let service = StreamableHttpService::new(
        move || {
            Ok(McpServer {
                state: state.clone(),
            })
        },
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let tokens = tokens.map(Arc::new);
    let router =
        axum::Router::new()
            .nest_service("/mcp", service)
            .layer(axum::middleware::from_fn(
                move |req: Request, next: Next| {
                    let tokens = tokens.clone();
                    async move { authenticate(tokens.as_deref(), req, next).await }
                },
            ));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("ops mcp: listening on http://{bound}/mcp");
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { stop.cancelled_owned().await })
        .await
        .map_err(|e| format!("the HTTP server stopped: {e}"))
}

/// Maps `Authorization: Bearer <token>` to the person it belongs to; without tokens (a
/// loopback server), the server's caller.
async fn authenticate(tokens: Option<&Tokens>, mut req: Request, next: Next) -> Response {
    let Some(tokens) = tokens else {
        return next.run(req).await;
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented.and_then(|t| tokens.verify(t)) {
        Some(handle) => {
            req.extensions_mut().insert(Identity(handle.to_owned()));
            next.run(req).await
        }
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token of this server is required (ops mcp --new-token)\n",
        )
            .into_response(),
    }
}
