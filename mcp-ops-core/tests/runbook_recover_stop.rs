//! `recover_database` stopped by its caller, on the test kit in paused time: a stop before
//! anything changed is `Error::Stopped`; a stop while the writers go down starts no restore
//! and brings them back, saying so; a procedure dropped with the writers down journals what is
//! left and how to finish.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mcp_ops_core::mock::MockCluster;
use mcp_ops_core::runbook::recover_database::{
    AutoscaledHandling, RecoveryBackends, RecoveryInput, RecoveryStatus, STOPPED_STEP,
    recover_database,
};
use mcp_ops_core::runbook::{StepOutcome, StopSignal};
use mcp_ops_core::scale::{
    AutoscalerBounds, AutoscalerStatus, BoundsChange, NodeCapacity, Recommendation, ResourceChange,
    ResourceUsage,
};
use mcp_ops_core::testkit::TestKit;
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, Intent, Namespace, Replicas, ResourceRequirements,
};
use mcp_ops_core::{Clock, Error, Result, ScaleChange, Scaler};

/// What the scaler does after its first `scale` call went through.
#[derive(Clone, Copy)]
enum After {
    /// Stops the signal.
    Stop,
    /// Never answers another `scale` call (the caller gives up and drops the procedure).
    Hang,
}

/// The kit's cluster as a scaler that acts on the caller's behalf after its first scale.
struct Interrupting<'a> {
    inner: &'a MockCluster,
    stop: StopSignal,
    after: After,
    calls: AtomicU32,
}

#[async_trait::async_trait]
impl Scaler for Interrupting<'_> {
    fn backend(&self) -> &'static str {
        "interrupting"
    }
    async fn replicas(&self, d: &DeploymentRef) -> Result<Replicas> {
        self.inner.replicas(d).await
    }
    async fn scale(&self, d: &DeploymentRef, to: Replicas, intent: &Intent) -> Result<ScaleChange> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n > 0 && matches!(self.after, After::Hang) {
            std::future::pending::<()>().await;
        }
        let done = self.inner.scale(d, to, intent).await;
        if n == 0 && matches!(self.after, After::Stop) {
            self.stop.stop("cancelled by the MCP client");
        }
        done
    }
    async fn autoscaler(&self, d: &DeploymentRef) -> Result<Option<AutoscalerStatus>> {
        self.inner.autoscaler(d).await
    }
    async fn set_autoscaler_bounds(
        &self,
        d: &DeploymentRef,
        b: AutoscalerBounds,
        intent: &Intent,
    ) -> Result<BoundsChange> {
        self.inner.set_autoscaler_bounds(d, b, intent).await
    }
    async fn resources(
        &self,
        d: &DeploymentRef,
        c: &ContainerName,
    ) -> Result<ResourceRequirements> {
        self.inner.resources(d, c).await
    }
    async fn set_resources(
        &self,
        d: &DeploymentRef,
        c: &ContainerName,
        r: &ResourceRequirements,
        intent: &Intent,
    ) -> Result<ResourceChange> {
        self.inner.set_resources(d, c, r, intent).await
    }
    async fn recommendations(&self, d: &DeploymentRef) -> Result<Recommendation> {
        self.inner.recommendations(d).await
    }
    async fn node_capacity(&self) -> Result<Vec<NodeCapacity>> {
        self.inner.node_capacity().await
    }
    async fn pod_usage(&self, ns: &Namespace) -> Result<Vec<ResourceUsage>> {
        self.inner.pod_usage(ns).await
    }
}

fn input(kit: &TestKit) -> RecoveryInput {
    RecoveryInput {
        autoscaled: AutoscaledHandling::PinToMinimum,
        ..RecoveryInput::runbook(kit.nightly_backup.id.clone())
    }
}

async fn replicas(kit: &TestKit) -> Vec<(String, u32)> {
    let ns = Namespace::runbook();
    let mut out = Vec::new();
    for name in [
        "mcp-learning-system",
        "mcp-rust-server",
        "mcp-typescript-api",
    ] {
        let d = DeploymentRef::new(ns.as_str(), name).unwrap();
        out.push((
            name.to_owned(),
            kit.cluster.replicas(&d).await.unwrap().get(),
        ));
    }
    out
}

fn stopped_entry(kit: &TestKit) -> StepOutcome {
    kit.journal()
        .entries()
        .into_iter()
        .find(|e| e.step == STOPPED_STEP)
        .map(|e| e.outcome)
        .expect("a step saying what the stop left")
}

#[tokio::test(start_paused = true)]
async fn a_stop_before_the_writers_go_down_changes_nothing() {
    let kit = TestKit::runbook().await.unwrap();
    let before = replicas(&kit).await;
    let stop = StopSignal::new();
    stop.stop("Ctrl-C");
    let ctx = kit
        .context("recover_database", "users table dropped")
        .unwrap()
        .with_stop(stop);
    let health = kit.health_checks();
    let refused = recover_database(&ctx, kit.recovery_backends(&health), &input(&kit)).await;
    assert!(matches!(refused, Err(Error::Stopped { .. })), "{refused:?}");
    assert!(kit.database.restores().is_empty());
    assert_eq!(replicas(&kit).await, before);
    assert!(kit.journal().state_changes().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_stop_while_the_writers_go_down_restores_nothing_and_brings_them_back() {
    let kit = TestKit::runbook().await.unwrap();
    let before = replicas(&kit).await;
    let stop = StopSignal::new();
    let scaler = Interrupting {
        inner: &kit.cluster,
        stop: stop.clone(),
        after: After::Stop,
        calls: AtomicU32::new(0),
    };
    let ctx = kit
        .context("recover_database", "users table dropped")
        .unwrap()
        .with_stop(stop);
    let health = kit.health_checks();
    let backends = RecoveryBackends {
        scaler: &scaler,
        ..kit.recovery_backends(&health)
    };
    let report = recover_database(&ctx, backends, &input(&kit))
        .await
        .unwrap();
    let RecoveryStatus::Stopped { why, left } = &report.status else {
        panic!("{:?}", report.status);
    };
    assert_eq!(why, "cancelled by the MCP client");
    assert!(left.starts_with("nothing was restored"), "{left}");
    assert!(kit.database.restores().is_empty(), "a restore started");
    assert_eq!(replicas(&kit).await, before, "the writers are not back");
    assert!(report.scale_back_failures.is_empty());
    let StepOutcome::Ok(detail) = stopped_entry(&kit) else {
        panic!("the stop step failed");
    };
    assert!(
        detail.starts_with("stopped by the caller: nothing was restored"),
        "{detail}"
    );
    // Only one writer went down before the stop; the others were never touched.
    let downs = kit
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.step == "scale down" && matches!(e.outcome, StepOutcome::Ok(_)))
        .count();
    assert_eq!(downs, 1);
}

#[tokio::test(start_paused = true)]
async fn a_procedure_dropped_with_the_writers_down_journals_how_to_finish() {
    let kit = TestKit::runbook().await.unwrap();
    let scaler = Interrupting {
        inner: &kit.cluster,
        stop: StopSignal::new(),
        after: After::Hang,
        calls: AtomicU32::new(0),
    };
    let ctx = kit
        .context("recover_database", "users table dropped")
        .unwrap();
    let health = kit.health_checks();
    let backends = RecoveryBackends {
        scaler: &scaler,
        ..kit.recovery_backends(&health)
    };
    let input = input(&kit);
    tokio::select! {
        done = recover_database(&ctx, backends, &input) => panic!("it finished: {done:?}"),
        // The caller gives up before the step's own 30 s timeout.
        () = kit.clock.sleep(Duration::from_secs(10)) => {}
    }
    let StepOutcome::Failed(detail) = stopped_entry(&kit) else {
        panic!("the interruption is not journaled as a failure");
    };
    assert!(
        detail.starts_with("interrupted with the writers still scaled down"),
        "{detail}"
    );
    assert!(detail.contains("kubectl scale deployment"), "{detail}");
    assert!(detail.contains("ops restore"), "{detail}");
}
