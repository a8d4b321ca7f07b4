//! The database and alerting crates from a user's crate: their clients are built from URLs
//! without a server (the README examples that talk to one are `no_run`).

use mcp_ops_alerts::prometheus::PrometheusClient;
use mcp_ops_db::{PgConfig, RedisConfig};

use crate::BoxError;

/// A PostgreSQL and a Redis configuration from URLs; neither connects.
pub fn database() -> Result<(), BoxError> {
    let pg = PgConfig::parse("postgresql://ops@127.0.0.1:5432/mcp_db")?;
    let redis = RedisConfig::parse("redis://127.0.0.1:6379")?;
    drop((pg, redis));
    Ok(())
}

/// A Prometheus client from a URL; it connects on its first query.
pub fn alerting() -> Result<(), BoxError> {
    let _prom = PrometheusClient::new("http://127.0.0.1:9090")?;
    Ok(())
}
