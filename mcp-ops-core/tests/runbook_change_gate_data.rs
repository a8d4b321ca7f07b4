//! The change gate on `scale_out`, `rotate_secret`, `recover_database` and
//! `maintenance_window`, on the test kit in paused time: each is refused before any write
//! without an approved change request, runs with one, and is refused when the replicas,
//! target, node count, secret key, backup or window differ from what was approved.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod change_gate_support;

use std::time::Duration;

use change_gate_support::{assert_no_change_request, gated_context, refusal};
use mcp_ops_core::backup::BackupId;
use mcp_ops_core::change::{ChangeGate, ChangeRefusal, ChangeSpec, ChangeWindow, Risk};
use mcp_ops_core::runbook::maintenance_window::{
    MaintenanceInput, MaintenanceStatus, maintenance_window,
};
use mcp_ops_core::runbook::recover_database::{
    AutoscaledHandling, RecoveryInput, RecoveryStatus, recover_database,
};
use mcp_ops_core::runbook::rotate_secret::{RotateSecretInput, rotate_secret};
use mcp_ops_core::runbook::scale_out::{
    HorizontalTarget, ScaleOutInput, ScaleOutStatus, scale_out,
};
use mcp_ops_core::scale::AutoscalerBounds;
use mcp_ops_core::testkit::TestKit;
use mcp_ops_core::types::{DeploymentRef, Namespace, Replicas, ResourceName};
use mcp_ops_core::{Error, Escalator, NodeGroupScaler, Scaler, SecretRotator};

const RUST: &str = "mcp-production/mcp-rust-server";
const ML: &str = "mcp-production/mcp-learning-system";
const API: &str = "mcp-production/mcp-typescript-api";

fn scale_spec(deployment: &str, n: u32) -> ChangeSpec {
    ChangeSpec::Scale {
        deployment: deployment.parse().unwrap(),
        replicas: Replicas::new(n).unwrap(),
    }
}

fn scale_input(targets: &[(&str, u32)]) -> ScaleOutInput {
    ScaleOutInput {
        horizontal: targets
            .iter()
            .map(|(d, n)| HorizontalTarget {
                deployment: d.parse().unwrap(),
                replicas: Replicas::new(*n).unwrap(),
            })
            .collect(),
        capacity_report: false,
        ..ScaleOutInput::default()
    }
}

async fn replicas(kit: &TestKit, d: &str) -> u32 {
    let d: DeploymentRef = d.parse().unwrap();
    kit.cluster.replicas(&d).await.unwrap().get()
}

async fn gated(kit: &TestKit, spec: Option<ChangeSpec>) -> ChangeGate {
    let gate = kit.change_gate(true);
    match spec {
        Some(spec) => {
            let cr = kit.approved_change(&gate, spec).await.unwrap();
            gate.with_change(Some(cr.id))
        }
        None => gate,
    }
}

#[tokio::test(start_paused = true)]
async fn scaling_needs_a_change_request_for_exactly_what_it_changes() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = |gate| gated_context(&kit, "scale_out", "launch traffic", gate);
    // No change request.
    let e = scale_out(
        &ctx(gated(&kit, None).await),
        kit.scale_out_backends(),
        &scale_input(&[(RUST, 8)]),
    )
    .await
    .unwrap_err();
    assert_no_change_request(&e);
    // Approved for 8, asked for 9: the replicas differ.
    let eight = gated(&kit, Some(scale_spec(RUST, 8))).await;
    let e = scale_out(
        &ctx(eight.clone()),
        kit.scale_out_backends(),
        &scale_input(&[(RUST, 9)]),
    )
    .await
    .unwrap_err();
    let ChangeRefusal::Mismatch { differences, .. } = refusal(&e) else {
        panic!("{e}");
    };
    assert_eq!(differences[0].field, "replicas", "{e}");
    // The request covers the Rust server only; the ML service is refused, and with it all.
    let e = scale_out(
        &ctx(eight.clone()),
        kit.scale_out_backends(),
        &scale_input(&[(RUST, 8), (ML, 5)]),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("mcp-learning-system"), "{e}");
    assert_eq!(
        (replicas(&kit, RUST).await, replicas(&kit, ML).await),
        (3, 2)
    );
    assert!(kit.journal().state_changes().is_empty());
    // Exactly what was approved runs.
    let report = scale_out(
        &ctx(eight),
        kit.scale_out_backends(),
        &scale_input(&[(RUST, 8)]),
    )
    .await
    .unwrap();
    assert_eq!(report.status, ScaleOutStatus::Completed);
    assert_eq!(replicas(&kit, RUST).await, 8);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_of_scaling_needs_nothing_and_records_nothing() {
    let kit = TestKit::runbook().await.unwrap();
    let gate = kit.change_gate(true);
    let store = gate.store().clone();
    let ctx = kit
        .dry_run_context("scale_out", "plan launch")
        .unwrap()
        .with_change_gate(gate);
    let report = scale_out(
        &ctx,
        kit.scale_out_backends(),
        &ScaleOutInput::runbook().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(report.status, ScaleOutStatus::Planned);
    assert!(!report.plan.unwrap().steps.is_empty());
    assert!(store.list().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn secret_rotation_needs_a_change_request_for_its_key() {
    let kit = TestKit::runbook().await.unwrap();
    let input = RotateSecretInput::runbook().unwrap();
    let before = kit.cluster.current(&input.secret).await.unwrap();
    let ctx = |gate| gated_context(&kit, "rotate_secret", "monthly rotation", gate);
    let e = rotate_secret(
        &ctx(gated(&kit, None).await),
        kit.rotation_backends(),
        &input,
    )
    .await
    .unwrap_err();
    assert_no_change_request(&e);
    let spec = |key: &str| ChangeSpec::RotateSecret {
        namespace: Namespace::runbook(),
        secret: ResourceName::new("mcp-secrets").unwrap(),
        key: key.to_owned(),
    };
    let other = gated(&kit, Some(spec("db-password"))).await;
    let e = rotate_secret(&ctx(other), kit.rotation_backends(), &input)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("jwt-secret"), "{e}");
    assert_eq!(kit.cluster.current(&input.secret).await.unwrap(), before);

    let approved = gated(&kit, Some(spec("jwt-secret"))).await;
    let outcome = rotate_secret(&ctx(approved), kit.rotation_backends(), &input)
        .await
        .unwrap();
    assert!(outcome.succeeded());
    assert!(kit.cluster.current(&input.secret).await.unwrap().version > before.version);
}

#[tokio::test(start_paused = true)]
async fn a_restore_is_high_risk_and_needs_its_backup_approved() {
    let kit = TestKit::runbook().await.unwrap();
    let mut input = RecoveryInput::runbook(kit.nightly_backup.id.clone());
    input.autoscaled = AutoscaledHandling::PinToMinimum;
    let health = kit.health_checks();
    let ctx = |gate| gated_context(&kit, "recover_database", "users table dropped", gate);
    let e = recover_database(
        &ctx(gated(&kit, None).await),
        kit.recovery_backends(&health),
        &input,
    )
    .await
    .unwrap_err();
    assert_no_change_request(&e);
    let spec = |backup: BackupId| ChangeSpec::Restore {
        backup,
        database: "mcp_db".to_owned(),
    };
    let other = gated(&kit, Some(spec(BackupId::new("backup-20250101").unwrap()))).await;
    let e = recover_database(&ctx(other), kit.recovery_backends(&health), &input)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("backup-20250101"), "{e}");
    assert!(kit.database.restores().is_empty());
    assert_eq!(replicas(&kit, RUST).await, 3, "nothing was scaled down");
    assert!(kit.journal().state_changes().is_empty());

    let gate = kit.change_gate(true);
    let cr = kit
        .approved_change(&gate, spec(kit.nightly_backup.id.clone()))
        .await
        .unwrap();
    assert_eq!(cr.risk, Risk::High);
    assert_eq!(cr.approvals.len(), 2, "architecture review and the manager");
    let report = recover_database(
        &ctx(gate.with_change(Some(cr.id))),
        kit.recovery_backends(&health),
        &input,
    )
    .await
    .unwrap();
    assert_eq!(report.status, RecoveryStatus::Recovered);
    assert_eq!(kit.database.restores(), vec![kit.nightly_backup.id.clone()]);
}

#[tokio::test(start_paused = true)]
async fn maintenance_needs_an_open_change_window() {
    let kit = TestKit::runbook().await.unwrap();
    let health = kit.health_checks();
    let input = MaintenanceInput::default();
    let spec = ChangeSpec::Maintenance {
        database: "mcp_db".to_owned(),
    };
    let ctx = |gate| gated_context(&kit, "maintenance_window", "weekly maintenance", gate);
    let e = maintenance_window(
        &ctx(gated(&kit, None).await),
        kit.maintenance_backends(&health),
        &input,
    )
    .await
    .unwrap_err();
    assert_no_change_request(&e);
    // Approved, but for tomorrow.
    let gate = kit.change_gate(true);
    let tomorrow = kit.now() + jiff::SignedDuration::from_hours(24);
    let window = ChangeWindow::new(tomorrow, Duration::from_secs(7200)).unwrap();
    let cr = kit
        .requested_change(&gate, spec.clone(), window)
        .await
        .unwrap();
    let cr = kit.approve_change(&gate, &cr).await.unwrap();
    let e = maintenance_window(
        &ctx(gate.with_change(Some(cr.id))),
        kit.maintenance_backends(&health),
        &input,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refusal(&e), ChangeRefusal::NotYetOpen { .. }),
        "{e}"
    );
    assert!(kit.database.maintenance_runs().is_empty());
    assert!(kit.messages().is_empty(), "no notice was sent");
    assert!(kit.alerting.silences().await.unwrap().is_empty());

    let log = maintenance_window(
        &ctx(gated(&kit, Some(spec)).await),
        kit.maintenance_backends(&health),
        &input,
    )
    .await
    .unwrap();
    assert_eq!(log.status, MaintenanceStatus::Completed);
    assert!(!kit.database.maintenance_runs().is_empty());
}

fn node_spec(nodes: u32) -> ChangeSpec {
    ChangeSpec::NodeGroup {
        cluster: "mcp-production".into(),
        group: "worker-nodes".into(),
        nodes,
    }
}

async fn workers(kit: &TestKit) -> u32 {
    let groups = kit.cluster.node_groups("mcp-production").await.unwrap();
    groups
        .iter()
        .find(|g| g.name == "worker-nodes")
        .map(|g| g.desired)
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_node_group_change_needs_a_change_request_for_its_size() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = |gate| gated_context(&kit, "scale_out", "launch traffic", gate);
    let mut input = scale_input(&[]);
    input.node_group = ScaleOutInput::runbook().unwrap().node_group;
    assert_eq!(input.node_group.as_ref().map(|n| n.nodes), Some(5));
    assert_eq!(workers(&kit).await, 3);
    // No change request.
    let e = scale_out(
        &ctx(gated(&kit, None).await),
        kit.scale_out_backends(),
        &input,
    )
    .await
    .unwrap_err();
    assert_no_change_request(&e);
    assert!(e.to_string().contains("node group"), "{e}");
    // Approved for 6 nodes, asked for 5: the node count differs.
    let e = scale_out(
        &ctx(gated(&kit, Some(node_spec(6))).await),
        kit.scale_out_backends(),
        &input,
    )
    .await
    .unwrap_err();
    let ChangeRefusal::Mismatch { differences, .. } = refusal(&e) else {
        panic!("{e}");
    };
    assert_eq!(differences[0].field, "nodes", "{e}");
    // A request for the deployments alone does not cover the node group: nothing runs.
    let mut both = scale_input(&[(RUST, 8)]);
    both.node_group = input.node_group.clone();
    let e = scale_out(
        &ctx(gated(&kit, Some(scale_spec(RUST, 8))).await),
        kit.scale_out_backends(),
        &both,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("node group"), "{e}");
    assert_eq!((replicas(&kit, RUST).await, workers(&kit).await), (3, 3));
    assert!(kit.journal().state_changes().is_empty());
    // Exactly what was approved (Low risk: the team lead) runs.
    let five = gated(&kit, Some(node_spec(5))).await;
    let report = scale_out(&ctx(five), kit.scale_out_backends(), &input)
        .await
        .unwrap();
    assert_eq!(report.status, ScaleOutStatus::Completed, "{report:?}");
    assert_eq!(workers(&kit).await, 5);
}

fn bounds_spec(min: u32, max: u32) -> ChangeSpec {
    ChangeSpec::Autoscaler {
        deployment: API.parse().unwrap(),
        min: Replicas::new(min).unwrap(),
        max: Replicas::new(max).unwrap(),
    }
}

async fn api_bounds(kit: &TestKit) -> (u32, u32) {
    let a = kit
        .cluster
        .autoscaler(&API.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    (a.min.get(), a.max.get())
}

/// What `ops scale <deployment> --hpa-max N` does: authorize the bounds, then patch the
/// autoscaler's ceiling (its floor kept).
async fn raise_ceiling(kit: &TestKit, gate: ChangeGate, max: u32) -> Result<(), Error> {
    let ctx = gated_context(kit, "scale_out", "launch traffic", gate);
    let d: DeploymentRef = API.parse().unwrap();
    ctx.authorize(&bounds_spec(3, max)).await?;
    let bounds = AutoscalerBounds {
        min: None,
        max: Some(Replicas::new(max).unwrap()),
    };
    let intent = ctx.intent().clone();
    ctx.step("patch autoscaler", d.qualified())
        .action(format!("maxReplicas → {max}"))
        .act(
            || kit.cluster.set_autoscaler_bounds(&d, bounds, &intent),
            |c| format!("max {} → {}", c.from.1, c.to.1),
        )
        .await?;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn autoscaler_bounds_need_a_change_request_for_exactly_those_bounds() {
    let kit = TestKit::runbook().await.unwrap();
    assert_eq!(api_bounds(&kit).await, (3, 10));
    // No change request: refused, naming the autoscaler change, before any write.
    let e = raise_ceiling(&kit, gated(&kit, None).await, 15)
        .await
        .unwrap_err();
    let ChangeRefusal::NoChangeRequest { planned } = refusal(&e) else {
        panic!("{e}");
    };
    assert!(
        planned.contains("autoscaler of mcp-production/mcp-typescript-api to 3..=15"),
        "{e}"
    );
    // Approved for a ceiling of 20, asked for 15: the maximum differs.
    let e = raise_ceiling(&kit, gated(&kit, Some(bounds_spec(3, 20))).await, 15)
        .await
        .unwrap_err();
    let ChangeRefusal::Mismatch { differences, .. } = refusal(&e) else {
        panic!("{e}");
    };
    assert_eq!(differences.len(), 1, "{e}");
    assert_eq!(
        (
            differences[0].field,
            differences[0].approved.as_str(),
            differences[0].planned.as_str()
        ),
        ("max replicas", "20", "15")
    );
    // A replica count approved for the same deployment is another kind of change.
    let e = raise_ceiling(&kit, gated(&kit, Some(scale_spec(API, 15))).await, 15)
        .await
        .unwrap_err();
    assert!(matches!(refusal(&e), ChangeRefusal::Mismatch { .. }), "{e}");
    assert_eq!(api_bounds(&kit).await, (3, 10));
    assert!(kit.journal().state_changes().is_empty());
    // Exactly what was approved (Low risk) runs.
    let cr = gated(&kit, Some(bounds_spec(3, 15))).await;
    raise_ceiling(&kit, cr, 15).await.unwrap();
    assert_eq!(api_bounds(&kit).await, (3, 15));
}

#[tokio::test(start_paused = true)]
async fn replicas_of_an_autoscaled_deployment_are_a_scale_change() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = gated_context(
        &kit,
        "scale_out",
        "launch traffic",
        gated(&kit, Some(scale_spec(API, 5))).await,
    );
    // scale_out moves the autoscaler's floor to 5; the request for 5 replicas covers it.
    let report = scale_out(&ctx, kit.scale_out_backends(), &scale_input(&[(API, 5)]))
        .await
        .unwrap();
    assert_eq!(report.status, ScaleOutStatus::Completed, "{report:?}");
    assert_eq!(api_bounds(&kit).await, (5, 10));
}
