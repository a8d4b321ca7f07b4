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

/// The `Host` header check against DNS rebinding: with bearer tokens none is needed (a page
/// a browser was tricked into loading has no token), so every `Host` is accepted (a client
/// reaching the server by its address or a proxy's name); without tokens only the loopback
/// names, the bound address and `allowed` (`--allowed-host`).
pub fn host_check(
    config: StreamableHttpServerConfig,
    addr: SocketAddr,
    tokens: bool,
    allowed: &[String],
) -> StreamableHttpServerConfig {
    if tokens {
        return config.disable_allowed_hosts();
    }
    let mut hosts = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    hosts.push(addr.ip().to_string());
    hosts.extend(allowed.iter().cloned());
    config.with_allowed_hosts(hosts)
}

/// The address of `--listen`: `IP:PORT`, or `localhost:PORT` (127.0.0.1).
///
/// # Errors
/// One line saying what is expected.
pub fn listen_address(text: &str) -> Result<SocketAddr, String> {
    let bad = || format!("--listen {text:?}: use an address and port, e.g. 127.0.0.1:8931");
    if let Some(port) = text.strip_prefix("localhost:") {
        let port: u16 = port.parse().map_err(|_| bad())?;
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| bad())
}

/// Serves until `stop` is cancelled; `allowed_hosts` are the `--allowed-host` names.
///
/// # Errors
/// One line when the address cannot be bound.
pub async fn serve(
    addr: SocketAddr,
    tokens: Option<Tokens>,
    allowed_hosts: &[String],
    state: Arc<State>,
    stop: CancellationToken,
) -> Result<(), String> {
    let config = host_check(
        StreamableHttpServerConfig::default(),
        addr,
        tokens.is_some(),
        allowed_hosts,
    )
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
        .and_then(bearer);
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

/// The token of an `Authorization` value `Bearer <token>` (the scheme in any case, RFC 9110).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("BEARER  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearerabc"), None);
    }

    #[test]
    fn localhost_listens_on_the_loopback_address() {
        assert_eq!(
            listen_address("localhost:8931").unwrap(),
            "127.0.0.1:8931".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(
            listen_address("[::1]:8931").unwrap(),
            "[::1]:8931".parse::<SocketAddr>().unwrap()
        );
        for bad in ["localhost", "localhost:x", "example.com:8931", "8931"] {
            let e = listen_address(bad).unwrap_err();
            assert!(e.contains("address and port"), "{bad}: {e}");
        }
    }

    #[test]
    fn with_tokens_any_host_is_accepted_without_only_the_listed_ones() {
        let addr: SocketAddr = "0.0.0.0:8931".parse().unwrap();
        let open = host_check(StreamableHttpServerConfig::default(), addr, true, &[]);
        assert!(open.allowed_hosts.is_empty(), "{:?}", open.allowed_hosts);
        let names = ["ops.example.org".to_owned()];
        let closed = host_check(StreamableHttpServerConfig::default(), addr, false, &names);
        for host in [
            "localhost",
            "127.0.0.1",
            "::1",
            "0.0.0.0",
            "ops.example.org",
        ] {
            assert!(
                closed.allowed_hosts.iter().any(|h| h == host),
                "{host}: {:?}",
                closed.allowed_hosts
            );
        }
    }
}
