//! # mcp-ops-alerts
//!
//! Alerting backends of mcp-ops: Prometheus analysis, Alertmanager API v2, Slack /
//! PagerDuty / email notifiers and (with mcp-ops-core) the Escalator engine.
//!
//! - [`prometheus`]: a typed query client and the runbook's queries (error rate, p95,
//!   memory), guarded so that no traffic is "no data", never NaN.
//! - [`analysis`]: metric checks with threshold, interval, failure limit and consecutive
//!   successes; verdicts `Pass`, `Breach { observed }`, `Inconclusive { why }`.
//! - [`alertmanager`]: alerts, silences and maintenance windows over API v2 only.
//! - [`notify`]: Slack Block Kit, PagerDuty Events v2 and SMTP notifiers. Webhook URLs,
//!   routing keys and passwords never appear in errors or `Debug` output.
//! - [`health`]: `HealthCheck` for metric targets with the runbook's P1 / P2 classification.
//! - [`http_health`]: `HealthCheck` for HTTP endpoints (the runbook's `curl -f …/health`).
//! - [`escalation`]: the `Escalator` engine (levels by elapsed time, acknowledgement,
//!   resolution with duration, a state store, retried deliveries, Alertmanager silences).
//! - [`config`]: clients and notifiers from `MCP_OPS_*` environment variables.
//! - `testing` (feature `testing`): ephemeral Prometheus / Alertmanager servers, an
//!   OpenMetrics series generator and an SMTP sink.
//!
//! ```no_run
//! use std::time::Duration;
//! use mcp_ops_alerts::analysis::{MetricCheck, Verdict};
//! use mcp_ops_alerts::prometheus::PrometheusClient;
//!
//! # async fn demo() -> mcp_ops_alerts::Result<()> {
//! let prom = PrometheusClient::new("http://prometheus:9090")?;
//! let check = MetricCheck::error_rate("mcp-typescript-api", 0.05);
//! match check.evaluate(&prom, None).await? {
//!     Verdict::Pass => println!("healthy"),
//!     Verdict::Breach { observed } => println!("error rate {:.1} %", observed * 100.0),
//!     Verdict::Inconclusive { why } => println!("cannot tell: {why}"),
//! }
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alerts_backends;
pub mod alertmanager;
pub mod analysis;
pub mod config;
pub mod error;
pub mod escalation;
pub mod health;
pub mod http_health;
pub mod notify;
pub mod prelude;
pub mod prometheus;
#[cfg(feature = "testing")]
pub mod testing;

pub use alerts_backends::AlertsBackends;
pub use error::{AlertsError, PromErrorType, Result};
pub use mcp_ops_core::SecretValue;
