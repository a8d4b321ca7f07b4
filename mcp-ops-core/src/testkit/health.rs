//! [`KitHealth`]: one `HealthCheck` answering every kind of target from the kit's mocks.

use async_trait::async_trait;

use super::ScriptedMetrics;
use crate::error::{Error, Result};
use crate::health::{HealthCheck, HealthReport, HealthTarget, TargetKind};
use crate::mock::{MockCluster, MockDatabase};

/// Sends HTTP and cluster targets to the cluster, database and cache targets to the
/// database, metric targets to the scripted metrics — what a production tool's health router
/// does over its real backends. Clones share the mocks.
#[derive(Debug, Clone)]
pub struct KitHealth {
    cluster: MockCluster,
    database: MockDatabase,
    metrics: ScriptedMetrics,
}

impl KitHealth {
    /// A router over these three.
    pub fn new(cluster: MockCluster, database: MockDatabase, metrics: ScriptedMetrics) -> Self {
        Self {
            cluster,
            database,
            metrics,
        }
    }

    fn route(&self, kind: TargetKind) -> Option<&dyn HealthCheck> {
        let all: [&dyn HealthCheck; 3] = [&self.cluster, &self.database, &self.metrics];
        all.into_iter().find(|c| c.supports(kind))
    }
}

#[async_trait]
impl HealthCheck for KitHealth {
    fn backend(&self) -> &'static str {
        "testkit"
    }

    fn supports(&self, kind: TargetKind) -> bool {
        self.route(kind).is_some()
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        match self.route(target.kind()) {
            Some(checker) => checker.check(target).await,
            None => Err(Error::Unsupported {
                operation: "health check of this kind",
                backend: "testkit",
            }),
        }
    }
}
