#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Redis health on a real server: PONG with INFO, NOAUTH, stopped and frozen servers.

use mcp_ops_core::SecretValue;
use mcp_ops_db::testing::TestRedis;
use mcp_ops_db::{PingOutcome, RedisBackend, RedisConfig, RedisStatus};
use std::time::Duration;

const T: Duration = Duration::from_millis(500);

#[tokio::test]
async fn healthy_server_answers_pong_with_info() {
    let redis = TestRedis::start().await.unwrap();
    let h = RedisBackend::new(redis.config().unwrap(), T).health().await;
    assert_eq!(h.ping, PingOutcome::Pong);
    assert_eq!(h.status, RedisStatus::Healthy);
    assert!(h.latency.is_some());
    let mem = h.memory.unwrap();
    assert!(mem.used_memory.unwrap() > 0);
    assert_eq!(mem.maxmemory, Some(0));
    assert!(h.clients.unwrap().connected_clients.unwrap() >= 1);
    assert_eq!(h.replication.unwrap().role.as_deref(), Some("master"));
}

#[tokio::test]
async fn stopped_server_is_unhealthy_without_panic() {
    let mut redis = TestRedis::start_owned(None).await.unwrap();
    let backend = RedisBackend::new(redis.config().unwrap(), T);
    assert_eq!(backend.health().await.status, RedisStatus::Healthy);
    redis.stop();
    let h = backend.health().await;
    assert_eq!(h.status, RedisStatus::Unhealthy);
    assert!(matches!(h.ping, PingOutcome::Error { .. }), "{:?}", h.ping);
    assert!(h.memory.is_none());
}

#[tokio::test]
async fn frozen_server_is_unhealthy_within_the_timeout() {
    let redis = TestRedis::start_owned(None).await.unwrap();
    let backend = RedisBackend::new(redis.config().unwrap(), T);
    redis.pause();
    let h = backend.health().await;
    redis.resume();
    assert_eq!(h.status, RedisStatus::Unhealthy);
    match &h.ping {
        PingOutcome::Error { reason } => assert!(
            reason.contains("timed out") || reason.contains("no answer"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn password_protected_server_without_password_is_noauth() {
    let pw = SecretValue::from_str_value("redis-test-pw");
    let redis = TestRedis::start_owned(Some(&pw)).await.unwrap();
    let h = RedisBackend::new(redis.config().unwrap(), T).health().await;
    assert_eq!(h.ping, PingOutcome::NoAuth);
    assert_eq!(h.status, RedisStatus::Unhealthy);
    let with_pw = redis.url().replace("redis://", "redis://:redis-test-pw@");
    let h = RedisBackend::new(RedisConfig::parse(&with_pw).unwrap(), T)
        .health()
        .await;
    assert_eq!(h.ping, PingOutcome::Pong);
}
