//! The alerting backend's constructors in one `use`, next to core's prelude:
//!
//! ```
//! use mcp_ops_core::prelude::*;
//! use mcp_ops_alerts::prelude::*;
//!
//! let prometheus = PrometheusClient::new("http://127.0.0.1:9090")?;
//! let backends = AlertsBackends::new().with_prometheus(prometheus).install(Backends::new());
//! assert_eq!(backends.health.metrics.backend(), "prometheus");
//! # Ok::<(), mcp_ops_alerts::AlertsError>(())
//! ```

pub use crate::AlertsBackends;
pub use crate::AlertsError;
pub use crate::alertmanager::AlertmanagerClient;
pub use crate::config::AlertsConfig;
#[cfg(feature = "postgres")]
pub use crate::escalation::PgEscalationStore;
pub use crate::escalation::{
    EscalationEngine, EscalationStore, FileEscalationStore, InMemoryStore,
};
pub use crate::health::PrometheusHealth;
pub use crate::http_health::HttpHealthCheck;
pub use crate::notify::{
    EmailConfig, EmailNotifier, PagerDutyNotifier, SlackNotifier, SmtpSecurity,
};
pub use crate::prometheus::PrometheusClient;
