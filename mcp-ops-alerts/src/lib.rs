#![doc = include_str!("../README.md")]
//!
//! ## Where things are
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
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod alertmanager;
mod alerts_backends;
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
pub(crate) use error::Result;
pub use error::{AlertsError, PromErrorType};
pub use mcp_ops_core::SecretValue;
