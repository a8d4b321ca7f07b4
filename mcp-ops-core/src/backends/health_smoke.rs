//! The simplest smoke test: `GET` one health endpoint through a [`HealthCheck`].

use std::sync::Arc;

use async_trait::async_trait;

use crate::Result;
use crate::health::{HealthCheck, HealthStatus, HealthTarget, HttpProbe};
use crate::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};

/// A [`SmokeTest`] of one check, `GET /health`: it passes when `health` reports the probe
/// `Healthy`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::sync::Arc;
/// use mcp_ops_core::backends::{HealthSmoke, NotConfigured};
/// use mcp_ops_core::health::HttpProbe;
/// use mcp_ops_core::runbook::smoke::SmokeTest;
///
/// let smoke = HealthSmoke::new(
///     Arc::new(NotConfigured::HEALTH),
///     HttpProbe::new("api", "https://api.example.com/health"),
/// );
/// let report = smoke.run().await?;
/// assert!(!report.passed(), "an endpoint nobody checked is not a pass");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HealthSmoke {
    health: Arc<dyn HealthCheck>,
    probe: HttpProbe,
}

impl std::fmt::Debug for HealthSmoke {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthSmoke")
            .field("health", &self.health.backend())
            .field("probe", &self.probe)
            .finish()
    }
}

impl HealthSmoke {
    /// `GET probe` through `health` (an HTTP health backend, or a [`super::HealthRouter`]).
    pub fn new(health: Arc<dyn HealthCheck>, probe: HttpProbe) -> Self {
        Self { health, probe }
    }
}

#[async_trait]
impl SmokeTest for HealthSmoke {
    async fn run(&self) -> Result<SmokeReport> {
        let report = self
            .health
            .check(&HealthTarget::Http(self.probe.clone()))
            .await?;
        let check = if report.status == HealthStatus::Healthy {
            SmokeCheck::pass("GET /health", report.message)
        } else {
            SmokeCheck::fail("GET /health", report.message)
        };
        Ok(SmokeReport::new(vec![check]))
    }
}
