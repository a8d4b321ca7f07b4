//! The change gate on `standard_deploy` and `emergency_rollback`, and its backstop, on the
//! test kit in paused time: refused before any write without an approved change request,
//! run with one, refused when the image, target or window differ, dry runs need nothing and
//! record nothing, and rollbacks without approval are break-glass with a retroactive change
//! request and a notice to the approvers.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod change_gate_support;

use std::time::Duration;

use change_gate_support::{assert_no_change_request, gated_context, refusal};
use mcp_ops_core::change::gate::{BREAK_GLASS_STEP, CHANGE_CHECK_STEP};
use mcp_ops_core::change::{ChangeGate, ChangeRefusal, ChangeSpec, ChangeStatus, ChangeWindow};
use mcp_ops_core::notify::MessageKind;
use mcp_ops_core::runbook::emergency_rollback::{
    EmergencyRollback, EmergencyRollbackReport, emergency_rollback,
};
use mcp_ops_core::runbook::standard_deploy::{
    Checklist, DeployOutcome, DeployReport, DeployRequest, standard_deploy,
};
use mcp_ops_core::runbook::{Context, JournalEntry, StepOutcome};
use mcp_ops_core::testkit::TestKit;
use mcp_ops_core::types::{ContainerName, DeploymentRef, ImageRef, Replicas};
use mcp_ops_core::{Deployer, Error, Scaler};

const API: &str = "mcp-production/mcp-typescript-api";
const RUNNING: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.0";
const NEW_IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

fn api() -> DeploymentRef {
    API.parse().unwrap()
}

fn request(image: &str) -> DeployRequest {
    DeployRequest::runbook(ImageRef::parse(image).unwrap())
        .unwrap()
        .with_checklist(Checklist::all_passed(
            "CI run 4711 green",
            "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
        ))
}

/// `standard_deploy` of `image` in `ctx`.
async fn deploy(kit: &TestKit, ctx: &Context, image: &str) -> Result<DeployReport, Error> {
    standard_deploy(ctx, &kit.deploy_backends(), &request(image)).await
}

/// `emergency_rollback` of the API in `ctx`.
async fn roll_back_api(kit: &TestKit, ctx: &Context) -> Result<EmergencyRollbackReport, Error> {
    let request = EmergencyRollback::new(vec![api()]);
    emergency_rollback(ctx, &kit.rollback_backends(), &request).await
}

fn deploy_spec(image: &str) -> ChangeSpec {
    ChangeSpec::Deploy {
        deployment: api(),
        container: ContainerName::new("mcp-typescript-api").unwrap(),
        image: ImageRef::parse(image).unwrap(),
        from: Some(ImageRef::parse(RUNNING).unwrap()),
    }
}

async fn image_now(kit: &TestKit) -> String {
    let d = kit.cluster.deployment(&api()).await.unwrap();
    d.images.values().next().unwrap().to_string()
}

fn checks(kit: &TestKit) -> Vec<JournalEntry> {
    kit.journal()
        .entries()
        .into_iter()
        .filter(|e| e.step == CHANGE_CHECK_STEP)
        .collect()
}

/// Whether the kit's journal holds a break-glass step.
fn broke_glass(kit: &TestKit) -> bool {
    kit.journal()
        .entries()
        .iter()
        .any(|e| e.step == BREAK_GLASS_STEP)
}

fn refused_in_journal(kit: &TestKit) -> bool {
    checks(kit)
        .iter()
        .any(|e| matches!(&e.outcome, StepOutcome::Failed(d) if d.starts_with("refused:")))
}

async fn with_cr(kit: &TestKit, gate: ChangeGate, spec: ChangeSpec) -> (ChangeGate, String) {
    let cr = kit.approved_change(&gate, spec).await.unwrap();
    let id = cr.id.to_string();
    (gate.with_change(Some(cr.id)), id)
}

#[tokio::test(start_paused = true)]
async fn deploy_without_a_change_request_is_refused_before_any_write() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = gated_context(
        &kit,
        "standard_deploy",
        "deploy v1.0.1",
        kit.change_gate(true),
    );
    let e = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap_err();
    assert_no_change_request(&e);
    assert_eq!(image_now(&kit).await, RUNNING);
    assert!(kit.journal().state_changes().is_empty());
    assert!(refused_in_journal(&kit));
}

#[tokio::test(start_paused = true)]
async fn deploy_with_an_approved_matching_change_request_runs() {
    let kit = TestKit::runbook().await.unwrap();
    let (gate, id) = with_cr(&kit, kit.change_gate(true), deploy_spec(NEW_IMAGE)).await;
    let ctx = gated_context(&kit, "standard_deploy", "deploy v1.0.1", gate);
    let report = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::Deployed { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(image_now(&kit).await, NEW_IMAGE);
    let ok = checks(&kit);
    assert!(
        ok.iter().any(|e| e.outcome.detail().contains(&id)),
        "{ok:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn another_image_than_the_approved_one_is_refused_naming_it() {
    let kit = TestKit::runbook().await.unwrap();
    let (gate, _) = with_cr(&kit, kit.change_gate(true), deploy_spec(NEW_IMAGE)).await;
    let ctx = gated_context(&kit, "standard_deploy", "deploy v1.0.2", gate);
    let other = "ghcr.io/your-org/mcp-typescript-server:v1.0.2";
    let e = deploy(&kit, &ctx, other).await.unwrap_err();
    let ChangeRefusal::Mismatch { differences, .. } = refusal(&e) else {
        panic!("{e}");
    };
    assert_eq!(differences[0].field, "image", "{e}");
    assert!(e.to_string().contains("v1.0.2"), "{e}");
    assert_eq!(image_now(&kit).await, RUNNING);
}

#[tokio::test(start_paused = true)]
async fn a_window_not_open_yet_or_closed_is_refused() {
    let kit = TestKit::runbook().await.unwrap();
    let gate = kit.change_gate(true);
    let later = kit.now() + jiff::SignedDuration::from_hours(1);
    let window = ChangeWindow::new(later, Duration::from_secs(1800)).unwrap();
    let cr = kit
        .requested_change(&gate, deploy_spec(NEW_IMAGE), window)
        .await
        .unwrap();
    let cr = kit.approve_change(&gate, &cr).await.unwrap();
    let ctx = gated_context(
        &kit,
        "standard_deploy",
        "deploy v1.0.1",
        gate.clone().with_change(Some(cr.id.clone())),
    );
    let e = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap_err();
    assert!(
        matches!(refusal(&e), ChangeRefusal::NotYetOpen { .. }),
        "{e}"
    );

    // Two hours later the window (one hour from now, for 30 minutes) has closed.
    tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
    let e = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap_err();
    assert!(
        matches!(refusal(&e), ChangeRefusal::WindowClosed { .. }),
        "{e}"
    );
    assert_eq!(image_now(&kit).await, RUNNING);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_needs_no_change_request_and_records_none() {
    let kit = TestKit::runbook().await.unwrap();
    let gate = kit.change_gate(true);
    let store = gate.store().clone();
    let ctx = kit
        .dry_run_context("standard_deploy", "plan v1.0.1")
        .unwrap()
        .with_change_gate(gate);
    let report = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::Planned { .. }),
        "{:?}",
        report.outcome
    );
    assert!(store.list().await.unwrap().is_empty());
    assert!(checks(&kit).is_empty());
    assert_eq!(image_now(&kit).await, RUNNING);
}

#[tokio::test(start_paused = true)]
async fn a_failed_bake_rolls_back_as_break_glass_with_a_retroactive_change_request() {
    let kit = TestKit::runbook().await.unwrap();
    kit.metrics.breach_after(Duration::from_secs(10 * 60));
    let (gate, deploy_cr) = with_cr(&kit, kit.change_gate(true), deploy_spec(NEW_IMAGE)).await;
    let store = gate.store().clone();
    let (policy, team) = (gate.policy().clone(), gate.directory().clone());
    let ctx = gated_context(&kit, "standard_deploy", "deploy v1.0.1", gate);
    let report = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap();
    assert!(
        matches!(report.outcome, DeployOutcome::RolledBack { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(image_now(&kit).await, RUNNING);

    let all = store.list().await.unwrap();
    assert_eq!(
        all.len(),
        2,
        "the approved deploy and the retroactive rollback"
    );
    let retro = all.iter().find(|cr| cr.is_retroactive()).unwrap();
    assert_eq!(retro.spec, ChangeSpec::Rollback { deployment: api() });
    assert!(
        retro.description.contains(&deploy_cr),
        "{}",
        retro.description
    );
    assert!(
        retro
            .break_glass
            .as_ref()
            .unwrap()
            .reason
            .contains("bake breach")
    );
    assert_eq!(
        policy.status(retro, &team, kit.now()),
        ChangeStatus::AwaitingReview
    );
    let review: Vec<_> = kit
        .messages()
        .into_iter()
        .filter(|m| m.kind == MessageKind::ChangeReview)
        .collect();
    assert_eq!(review.len(), 1);
    assert_eq!(review[0].incident.as_str(), retro.id.as_str());
    assert!(
        review[0]
            .recipients
            .contains(&"engineering-manager".to_owned())
    );
    assert!(broke_glass(&kit));
}

#[tokio::test(start_paused = true)]
async fn an_emergency_rollback_without_approval_is_break_glass() {
    let kit = TestKit::runbook().await.unwrap();
    let gate = kit.change_gate(true);
    let store = gate.store().clone();
    let ctx = gated_context(
        &kit,
        "emergency_rollback",
        "error rate 15 % after v1.0.0",
        gate.clone(),
    );
    let report = roll_back_api(&kit, &ctx).await.unwrap();
    assert!(
        report.deployments[0].status.is_back(),
        "{:?}",
        report.deployments
    );
    assert_ne!(image_now(&kit).await, RUNNING, "undone to v0.9.0");

    let all = store.list().await.unwrap();
    assert_eq!(all.len(), 1);
    let retro = &all[0];
    assert_eq!(
        retro.break_glass.as_ref().unwrap().reason,
        "error rate 15 % after v1.0.0"
    );
    assert_eq!(
        gate.policy().status(retro, gate.directory(), kit.now()),
        ChangeStatus::AwaitingReview
    );
    // P2: Slack and email tell the approvers, PagerDuty does not page.
    let on = |n: &mcp_ops_core::mock::RecordingNotifier| {
        n.messages()
            .iter()
            .filter(|m| m.kind == MessageKind::ChangeReview)
            .count()
    };
    assert_eq!(
        (on(&kit.slack), on(&kit.email), on(&kit.pagerduty)),
        (1, 1, 0)
    );
    assert!(broke_glass(&kit));
}

#[tokio::test(start_paused = true)]
async fn an_emergency_rollback_under_a_change_request_for_another_deployment_is_refused() {
    let kit = TestKit::runbook().await.unwrap();
    let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse().unwrap();
    let (gate, _) = with_cr(
        &kit,
        kit.change_gate(true),
        ChangeSpec::Rollback { deployment: rust },
    )
    .await;
    let ctx = gated_context(&kit, "emergency_rollback", "error rate 15 %", gate);
    let e = roll_back_api(&kit, &ctx).await.unwrap_err();
    assert!(e.to_string().contains("mcp-typescript-api"), "{e}");
    assert_eq!(image_now(&kit).await, RUNNING);
    assert!(kit.journal().state_changes().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_approved_rollback_runs_without_break_glass() {
    let kit = TestKit::runbook().await.unwrap();
    let (gate, _) = with_cr(
        &kit,
        kit.change_gate(true),
        ChangeSpec::Rollback { deployment: api() },
    )
    .await;
    let store = gate.store().clone();
    let ctx = gated_context(&kit, "emergency_rollback", "planned rollback", gate);
    let report = roll_back_api(&kit, &ctx).await.unwrap();
    assert!(report.deployments[0].status.is_back());
    assert_eq!(
        store.list().await.unwrap().len(),
        1,
        "no retroactive request"
    );
    assert!(
        kit.messages()
            .iter()
            .all(|m| m.kind != MessageKind::ChangeReview)
    );
}

#[tokio::test(start_paused = true)]
async fn break_glass_is_only_for_rollbacks() {
    let kit = TestKit::runbook().await.unwrap();
    let gate = kit.change_gate(true);
    let store = gate.store().clone();
    let ctx = gated_context(&kit, "ad_hoc", "hot fix", gate);
    let e = ctx
        .break_glass(&deploy_spec(NEW_IMAGE), "hot fix")
        .await
        .unwrap_err();
    assert!(
        matches!(refusal(&e), ChangeRefusal::NotBreakGlass { .. }),
        "{e}"
    );
    assert!(store.list().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_backstop_refuses_a_write_nothing_authorized() {
    let kit = TestKit::runbook().await.unwrap();
    let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse().unwrap();
    let six = Replicas::new(6).unwrap();
    let ctx = gated_context(&kit, "ad_hoc", "scale by hand", kit.change_gate(true));
    let child = ctx.for_procedure("child");
    let e = child
        .step("scale", rust.qualified())
        .act(
            || kit.cluster.scale(&rust, six, child.intent()),
            |c| c.to.to_string(),
        )
        .await
        .unwrap_err();
    assert_no_change_request(&e);
    assert_eq!(kit.cluster.replicas(&rust).await.unwrap().get(), 3);
    // Bookkeeping (an incident, a notice) is not a change of the system.
    let noted = child
        .step("note", "incident log")
        .bookkeeping()
        .act(|| async { Ok(1) }, |n| n.to_string())
        .await
        .unwrap();
    assert_eq!(noted, Some(1));

    // Once a break-glass succeeded in the context, its clones may write.
    ctx.break_glass(
        &ChangeSpec::Rollback {
            deployment: rust.clone(),
        },
        "pods crash-loop",
    )
    .await
    .unwrap();
    let done = child
        .step("scale", rust.qualified())
        .act(
            || kit.cluster.scale(&rust, six, child.intent()),
            |c| c.to.to_string(),
        )
        .await
        .unwrap();
    assert!(done.is_some());
}

#[tokio::test(start_paused = true)]
async fn with_enforcement_off_and_no_change_request_the_deploy_runs_and_says_so() {
    let kit = TestKit::runbook().await.unwrap();
    let ctx = gated_context(
        &kit,
        "standard_deploy",
        "deploy v1.0.1",
        kit.change_gate(false),
    );
    let report = deploy(&kit, &ctx, NEW_IMAGE).await.unwrap();
    assert!(matches!(report.outcome, DeployOutcome::Deployed { .. }));
    let notes = checks(&kit);
    assert!(
        notes[0]
            .outcome
            .detail()
            .starts_with("no change request (enforcement off)"),
        "{notes:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_notice_that_cannot_be_sent_does_not_stop_the_break_glass() {
    let kit = TestKit::runbook().await.unwrap();
    kit.slack.fail_next(5);
    let gate = kit.change_gate(true);
    let store = gate.store().clone();
    let ctx = gated_context(&kit, "emergency_rollback", "pods crash-loop", gate);
    let report = roll_back_api(&kit, &ctx).await.unwrap();
    assert!(report.deployments[0].status.is_back());
    assert_eq!(store.list().await.unwrap().len(), 1);
    let email = kit.email.messages();
    assert!(email.iter().any(|m| m.kind == MessageKind::ChangeReview));
    let failed = kit
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.step == "notify approvers" && matches!(e.outcome, StepOutcome::Failed(_)))
        .count();
    assert_eq!(failed, 1, "the Slack notice");
}
