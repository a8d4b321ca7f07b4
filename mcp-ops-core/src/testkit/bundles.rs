//! Ready backend bundles: one method per procedure, every backend from the kit.

use crate::health::HealthCheck;
use crate::runbook::emergency_rollback::RollbackBackends;
use crate::runbook::investigate_error_rate::ErrorRateBackends;
use crate::runbook::investigate_latency::LatencyBackends;
use crate::runbook::maintenance_window::MaintenanceBackends;
use crate::runbook::recover_database::RecoveryBackends;
use crate::runbook::rotate_secret::RotationBackends;
use crate::runbook::scale_out::ScaleOutBackends;
use crate::runbook::standard_deploy::DeployBackends;
use crate::runbook::triage::TriageBackends;

use super::TestKit;

impl TestKit {
    /// The health checks `maintenance_window` and `recover_database` take, as a slice: the
    /// cluster, the database and the metrics.
    pub fn health_checks(&self) -> [&dyn HealthCheck; 3] {
        [&self.cluster, &self.database, &self.metrics]
    }

    /// For `standard_deploy`: the cluster deploys and serves `/health`, the database answers
    /// the backup gate, the scripted metrics feed the bake, the scripted smoke tests run, the
    /// alerting system opens the rollback's incident.
    pub fn deploy_backends(&self) -> DeployBackends<'_> {
        DeployBackends {
            deployer: &self.cluster,
            backups: &self.database,
            health: &self.cluster,
            metrics: &self.metrics,
            smoke: &self.smoke,
            escalator: &self.alerting,
        }
    }

    /// For `emergency_rollback`.
    pub fn rollback_backends(&self) -> RollbackBackends<'_> {
        RollbackBackends {
            deployer: &self.cluster,
            health: &self.cluster,
            smoke: &self.smoke,
            escalator: &self.alerting,
        }
    }

    /// For `triage`: every backend present.
    pub fn triage_backends(&self) -> TriageBackends<'_> {
        TriageBackends {
            cluster: Some(&self.cluster),
            deployer: Some(&self.cluster),
            scaler: Some(&self.cluster),
            database: Some(&self.database),
            cache: Some(&self.database),
            metrics: Some(&self.metrics),
        }
    }

    /// For `investigate_error_rate`: every backend present, the configuration check
    /// included.
    pub fn error_rate_backends(&self) -> ErrorRateBackends<'_> {
        ErrorRateBackends {
            metrics: Some(&self.metrics),
            database: Some(&self.database),
            cache: Some(&self.database),
            maintenance: Some(&self.database),
            cluster: Some(&self.cluster),
            config: Some(&self.config),
        }
    }

    /// For `investigate_latency`: every backend present.
    pub fn latency_backends(&self) -> LatencyBackends<'_> {
        LatencyBackends {
            metrics: Some(&self.metrics),
            scaler: Some(&self.cluster),
            maintenance: Some(&self.database),
        }
    }

    /// For `scale_out`, node groups included.
    pub fn scale_out_backends(&self) -> ScaleOutBackends<'_> {
        ScaleOutBackends {
            scaler: &self.cluster,
            node_groups: Some(&self.cluster),
        }
    }

    /// For `maintenance_window`, with `health` from [`TestKit::health_checks`]
    /// (`let health = kit.health_checks(); kit.maintenance_backends(&health)`; see the
    /// example of [`maintenance_window`](crate::runbook::maintenance_window::maintenance_window)).
    pub fn maintenance_backends<'a>(
        &'a self,
        health: &'a [&'a dyn HealthCheck],
    ) -> MaintenanceBackends<'a> {
        MaintenanceBackends {
            scaler: &self.cluster,
            backups: &self.database,
            database: &self.database,
            escalator: &self.alerting,
            notifiers: self.notifiers(),
            health,
        }
    }

    /// For `recover_database`, with `health` from [`TestKit::health_checks`].
    pub fn recovery_backends<'a>(
        &'a self,
        health: &'a [&'a dyn HealthCheck],
    ) -> RecoveryBackends<'a> {
        RecoveryBackends {
            deployer: &self.cluster,
            scaler: &self.cluster,
            backups: &self.database,
            health,
        }
    }

    /// For `rotate_secret`: the cluster stores the secret and restarts its dependents.
    pub fn rotation_backends(&self) -> RotationBackends<'_> {
        RotationBackends {
            rotator: &self.cluster,
            deployer: &self.cluster,
            health: &self.health,
        }
    }
}
