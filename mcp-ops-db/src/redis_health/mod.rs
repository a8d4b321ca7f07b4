//! Redis health: PING typed, INFO memory / clients / replication parsed, round-trip
//! latency, all within a bounded time even when the server is gone or frozen.

mod info;

pub use self::info::{ClientsInfo, MemoryInfo, ReplicationInfo};

use crate::{RedisConfig, Result};
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The answer to PING.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PingOutcome {
    /// `PONG`.
    Pong,
    /// `NOAUTH`/`WRONGPASS`: authentication required or rejected.
    NoAuth,
    /// `LOADING`: the dataset is being loaded into memory.
    Loading,
    /// Anything else: connection refused, timeout, other error.
    Error {
        /// What happened (no URL or password).
        reason: String,
    },
}

/// Overall verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedisStatus {
    /// PONG, and no warning sign.
    Healthy,
    /// PONG, but memory above 90 % of `maxmemory`, or a replica whose link is down.
    Degraded,
    /// No PONG (including `LOADING` and `NOAUTH`).
    Unhealthy,
}

/// A Redis health snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedisHealth {
    /// The verdict.
    pub status: RedisStatus,
    /// The PING answer.
    pub ping: PingOutcome,
    /// PING round-trip time (when answered).
    pub latency: Option<Duration>,
    /// `INFO memory` (when answered).
    pub memory: Option<MemoryInfo>,
    /// `INFO clients` (when answered).
    pub clients: Option<ClientsInfo>,
    /// `INFO replication` (when answered).
    pub replication: Option<ReplicationInfo>,
}

/// Checks one Redis server.
#[derive(Debug, Clone)]
pub struct RedisBackend {
    config: RedisConfig,
    timeout: Duration,
}

impl RedisBackend {
    /// A checker whose every check finishes within `timeout` (connect and each reply).
    ///
    /// ```
    /// use mcp_ops_db::{RedisBackend, RedisConfig, RedisStatus};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main] async fn main() -> mcp_ops_core::Result<()> {
    /// // Nothing listens on port 1: the check never fails, it reports the server unhealthy.
    /// let redis = RedisBackend::new(RedisConfig::parse("redis://127.0.0.1:1")?, Duration::from_secs(2));
    /// let health = redis.health().await;
    /// assert_eq!(health.status, RedisStatus::Unhealthy);
    /// # Ok(()) }
    /// ```
    pub fn new(config: RedisConfig, timeout: Duration) -> Self {
        Self { config, timeout }
    }

    /// Reads `REDIS_URL`; checks are bounded by 2 s.
    ///
    /// ```
    /// use mcp_ops_db::{DbError, RedisBackend};
    ///
    /// match RedisBackend::from_env() {
    ///     Ok(redis) => assert_eq!(redis.timeout().as_secs(), 2),
    ///     Err(e) => assert!(matches!(e, DbError::InvalidInput { field: "REDIS_URL", .. })),
    /// }
    /// ```
    ///
    /// # Errors
    /// [`crate::DbError::InvalidInput`] naming `REDIS_URL`.
    pub fn from_env() -> Result<Self> {
        Ok(Self::new(RedisConfig::from_env()?, Duration::from_secs(2)))
    }

    /// The bound on one check.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// PING, then INFO; never takes much longer than the timeout and never fails: an
    /// unreachable server is [`RedisStatus::Unhealthy`].
    pub async fn health(&self) -> RedisHealth {
        let unhealthy = |ping| RedisHealth {
            status: RedisStatus::Unhealthy,
            ping,
            latency: None,
            memory: None,
            clients: None,
            replication: None,
        };
        let check = async {
            let mut conn = match self.connect().await {
                Ok(c) => c,
                Err(e) => return unhealthy(classify(&e)),
            };
            let started = Instant::now();
            let ping: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
            let latency = started.elapsed();
            match ping {
                Ok(_) => {}
                Err(e) => return unhealthy(classify(&e)),
            }
            let section = |name: &'static str| {
                let mut conn = conn.clone();
                async move {
                    redis::cmd("INFO")
                        .arg(name)
                        .query_async::<String>(&mut conn)
                        .await
                        .ok()
                }
            };
            let memory = section("memory").await.map(|s| MemoryInfo::parse(&s));
            let clients = section("clients").await.map(|s| ClientsInfo::parse(&s));
            let replication = section("replication")
                .await
                .map(|s| ReplicationInfo::parse(&s));
            let degraded = memory
                .as_ref()
                .and_then(MemoryInfo::utilization)
                .is_some_and(|u| u > 0.9)
                || replication.as_ref().is_some_and(ReplicationInfo::link_down);
            RedisHealth {
                status: if degraded {
                    RedisStatus::Degraded
                } else {
                    RedisStatus::Healthy
                },
                ping: PingOutcome::Pong,
                latency: Some(latency),
                memory,
                clients,
                replication,
            }
        };
        // Outer bound: connect + PING + three INFO each have the timeout; cap the sum.
        match tokio::time::timeout(self.timeout * 2, check).await {
            Ok(h) => h,
            Err(_) => unhealthy(PingOutcome::Error {
                reason: format!("no answer within {:?}", self.timeout * 2),
            }),
        }
    }

    async fn connect(&self) -> redis::RedisResult<MultiplexedConnection> {
        let cfg = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        self.config
            .client()
            .get_multiplexed_async_connection_with_config(&cfg)
            .await
    }
}

fn classify(e: &redis::RedisError) -> PingOutcome {
    match e.code() {
        Some("NOAUTH") | Some("WRONGPASS") => return PingOutcome::NoAuth,
        Some("LOADING") => return PingOutcome::Loading,
        _ => {}
    }
    if e.kind() == redis::ErrorKind::AuthenticationFailed {
        return PingOutcome::NoAuth;
    }
    let reason = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connection_refusal() {
        "connection refused".to_owned()
    } else {
        format!(
            "{}{}",
            e.category(),
            e.code().map(|c| format!(" ({c})")).unwrap_or_default()
        )
    };
    PingOutcome::Error { reason }
}
