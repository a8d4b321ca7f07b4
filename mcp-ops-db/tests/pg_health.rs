#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Readiness (pg_isready's four outcomes) and server status on a real server.

use mcp_ops_db::pg::{connect, probe, probe_str};
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{PgBackend, PgConfig, PgOptions, Readiness};
use std::time::Duration;

const T: Duration = Duration::from_secs(3);

#[tokio::test]
async fn health_reports_version_recovery_pool_and_connections() {
    let pg = TestPostgres::start().await.unwrap();
    let backend = PgBackend::new(pg.config(), PgOptions::default().with_max_pool_size(4)).unwrap();
    let _held = connect(&pg.config()).await.unwrap();
    let h = backend.health(T).await.unwrap();
    assert_eq!(h.readiness, Readiness::Accepting);
    let version = h.version.unwrap();
    assert!(version.major() >= 10, "{version:?}");
    assert!(
        version.text.starts_with(&version.major().to_string()),
        "{version:?}"
    );
    assert_eq!(h.in_recovery, Some(false));
    let conns = h.connections.unwrap();
    assert!(conns.used >= 2, "pooled + held connection: {conns:?}");
    assert!(conns.max_connections > conns.used);
    assert!(conns.available() < conns.max_connections);
    assert!(!conns.is_exhausted(0.9));
    assert_eq!(h.pool.max_size, 4);
    assert_eq!(h.pool.size, 1);
    assert_eq!(h.pool.available, 1);
    assert_eq!(h.pool.waiting, 0);
    assert!(h.latency.is_some());
}

#[tokio::test]
async fn nothing_listening_is_no_response() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = PgConfig::parse(&format!("host=127.0.0.1 port={port} user=x")).unwrap();
    let r = probe(&config, T).await;
    assert!(matches!(r, Readiness::NoResponse { .. }), "{r:?}");
    assert_eq!(r.pg_isready_code(), 2);
}

#[tokio::test]
async fn bad_parameters_are_no_attempt() {
    let r = probe_str("postgresql://u@host:notaport/db", T).await;
    assert!(matches!(r, Readiness::NoAttempt { .. }), "{r:?}");
    assert_eq!(r.pg_isready_code(), 3);
}

#[tokio::test]
async fn wrong_password_still_means_the_server_is_up() {
    let pg = TestPostgres::start().await.unwrap();
    let admin = connect(&pg.config()).await.unwrap();
    admin
        .batch_execute("CREATE ROLE probe_user LOGIN PASSWORD 'right'")
        .await
        .unwrap();
    let wrong = pg.config().with_credentials(
        "probe_user",
        &mcp_ops_core::SecretValue::from_str_value("wrong"),
    );
    assert_eq!(probe(&wrong, T).await, Readiness::Accepting);
}

#[tokio::test]
async fn shutting_down_server_is_rejecting() {
    let mut pg = TestPostgres::start_owned().await.unwrap();
    let config = pg.config();
    let held = connect(&config).await.unwrap(); // keeps a smart shutdown waiting
    pg.begin_smart_shutdown().unwrap();
    let mut last = Readiness::Accepting;
    for _ in 0..200 {
        last = probe(&config, T).await;
        if !last.is_accepting() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    match &last {
        Readiness::Rejecting { reason } => assert!(reason.contains("shutting down"), "{reason}"),
        other => panic!("expected Rejecting, got {other:?}"),
    }
    assert_eq!(last.pg_isready_code(), 1);
    // The open session still works during a smart shutdown.
    held.simple_query("SELECT 1").await.unwrap();
}
