//! Runbook procedures 6–8 on the mock backends: `scale_out`, `maintenance_window` and
//! `recover_database`.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use jiff::Timestamp;
use mcp_ops_core::backup::{
    BackupKind, BackupRecord, BackupRequest, BackupStatus, IntegrityResult, RestoreReport,
    TestRestore, VerificationReport,
};
use mcp_ops_core::health::HealthStatus;
use mcp_ops_core::maintenance::MaintenanceTask;
use mcp_ops_core::mock::{
    Availability, MockAlerting, MockAlertingBuilder, MockBackupManager, MockCluster, MockDatabase,
    MockDatabaseBuilder, RecordingNotifier,
};
use mcp_ops_core::node_group::NodeGroupScaler;
use mcp_ops_core::runbook::journal::StepOutcome;
use mcp_ops_core::runbook::maintenance_window::{
    MaintenanceBackends, MaintenanceInput, MaintenanceStatus, maintenance_window,
};
use mcp_ops_core::runbook::recover_database::{
    AutoscaledHandling, RecoveryBackends, RecoveryInput, RecoveryStatus, Remembered,
    recover_database,
};
use mcp_ops_core::runbook::scale_out::{
    ChangeOutcome, HorizontalChange, HorizontalTarget, ScaleOutBackends, ScaleOutInput,
    ScaleOutStatus, VerticalTarget, scale_out,
};
use mcp_ops_core::runbook::{Context, Journal};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Quantity, Replicas, ResourceList, ResourceRequirements,
};
use mcp_ops_core::{
    BackupId, BackupManager, Error, Escalator, HealthCheck, Intent, Notifier, Scaler, TokioClock,
};

/// Sunday, inside the runbook's window.
const SUNDAY_0200: &str = "2025-01-12T02:00:00Z";
/// Wednesday afternoon, outside it.
const WEDNESDAY: &str = "2025-01-08T14:30:00Z";

fn d(name: &str) -> DeploymentRef {
    DeploymentRef::new("mcp-production", name).unwrap()
}

struct World {
    cluster: MockCluster,
    db: MockDatabase,
    alerting: MockAlerting,
    slack: RecordingNotifier,
    pagerduty: RecordingNotifier,
    clock: Arc<TokioClock>,
}

impl World {
    fn at(t: &str) -> Self {
        let clock = Arc::new(TokioClock::starting_at(t.parse().unwrap()));
        let slack = RecordingNotifier::slack().with_clock(clock.clone());
        let pagerduty = RecordingNotifier::pagerduty().with_clock(clock.clone());
        World {
            cluster: MockCluster::builder_runbook().clock(clock.clone()).build(),
            db: MockDatabaseBuilder::runbook().clock(clock.clone()).build(),
            alerting: MockAlertingBuilder::runbook()
                .clock(clock.clone())
                .notifier(Arc::new(slack.clone()))
                .notifier(Arc::new(pagerduty.clone()))
                .build(),
            slack,
            pagerduty,
            clock,
        }
    }

    fn ctx(&self, procedure: &'static str, dry_run: bool) -> Context {
        let intent = Intent::new("runbook test", "ops-bot")
            .unwrap()
            .with_dry_run(dry_run);
        Context::new(procedure, intent, self.clock.clone()).with_journal(Journal::new())
    }

    fn notifiers(&self) -> Vec<Arc<dyn Notifier>> {
        vec![
            Arc::new(self.slack.clone()),
            Arc::new(self.pagerduty.clone()),
        ]
    }

    fn nothing_changed(&self, ctx: &Context) {
        assert!(
            self.cluster.faults().state_changes().is_empty(),
            "{:?}",
            self.cluster.faults().state_changes()
        );
        assert!(
            self.db.faults().state_changes().is_empty(),
            "{:?}",
            self.db.faults().state_changes()
        );
        assert!(self.alerting.faults().state_changes().is_empty());
        assert!(self.slack.messages().is_empty());
        assert!(
            ctx.journal().state_changes().is_empty(),
            "{:?}",
            ctx.journal().state_changes()
        );
    }

    async fn replicas(&self, name: &str) -> u32 {
        self.cluster.replicas(&d(name)).await.unwrap().get()
    }

    async fn api_bounds(&self) -> (u32, u32) {
        let a = self
            .cluster
            .autoscaler(&d("mcp-typescript-api"))
            .await
            .unwrap()
            .unwrap();
        (a.min.get(), a.max.get())
    }
}

fn steps(ctx: &Context) -> Vec<String> {
    ctx.journal()
        .entries()
        .into_iter()
        .map(|e| e.step)
        .collect()
}

fn position(ctx: &Context, step: &str) -> usize {
    steps(ctx)
        .iter()
        .position(|s| s == step)
        .unwrap_or_else(|| panic!("no step {step}: {:?}", steps(ctx)))
}

#[path = "runbook_data/fail_second_scale.rs"]
mod fail_second_scale;
#[path = "runbook_data/maintenance.rs"]
mod maintenance;
#[path = "runbook_data/recovery.rs"]
mod recovery;
#[path = "runbook_data/scale_out.rs"]
mod scale_out;
