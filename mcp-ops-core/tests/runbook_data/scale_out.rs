//! `scale_out`: horizontal, vertical, infrastructure.

use super::*;

fn scale_backends(w: &World) -> ScaleOutBackends<'_> {
    ScaleOutBackends {
        scaler: &w.cluster,
        node_groups: Some(&w.cluster),
    }
}

fn runbook_scale_input() -> ScaleOutInput {
    let mut input = ScaleOutInput::runbook().unwrap();
    // The seeded API already has the runbook's resources: resize the Rust server instead.
    input.vertical = vec![VerticalTarget {
        deployment: d("mcp-rust-server"),
        container: ContainerName::new("mcp-rust-server").unwrap(),
        resources: ResourceRequirements::runbook_typescript_api(),
    }];
    input
}

#[tokio::test(start_paused = true)]
async fn scale_out_applies_the_runbooks_numbers() {
    let w = World::at(WEDNESDAY);
    let ctx = w.ctx("test", false);
    let r = scale_out(&ctx, scale_backends(&w), &runbook_scale_input())
        .await
        .unwrap();
    assert_eq!(r.status, ScaleOutStatus::Completed, "{r:?}");
    assert_eq!(w.replicas("mcp-learning-system").await, 5);
    assert_eq!(w.replicas("mcp-rust-server").await, 8);
    // The API is owned by its autoscaler: its bounds moved, not its replicas directly.
    assert_eq!(w.api_bounds().await, (10, 10));
    assert_eq!(w.replicas("mcp-typescript-api").await, 10);
    assert!(matches!(
        &r.horizontal[0].change,
        HorizontalChange::AutoscalerBounds { from, to, .. }
            if (from.0.get(), from.1.get(), to.0.get(), to.1.get()) == (3, 10, 10, 10)
    ));
    assert_eq!(
        w.cluster.faults().count("scale"),
        2,
        "kubectl scale is never tried on the autoscaled API"
    );
    let why = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "autoscaler decision")
        .unwrap();
    assert!(why.outcome.detail().contains("mcp-typescript-api-hpa"));
    // Vertical: the Rust server got the new resources.
    let res = w
        .cluster
        .resources(
            &d("mcp-rust-server"),
            &ContainerName::new("mcp-rust-server").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res, ResourceRequirements::runbook_typescript_api());
    assert_eq!(r.vertical[0].outcome, ChangeOutcome::Applied);
    // Infrastructure: 3 → 5 nodes, and a capacity report of the three nodes.
    let groups = w.cluster.node_groups("mcp-production").await.unwrap();
    assert_eq!(groups[0].desired, 5);
    assert_eq!(r.node_group.as_ref().unwrap().from, 3);
    let cap = r.capacity.unwrap();
    assert_eq!(cap.nodes.len(), 3);
    assert!(cap.cpu_requested_ratio.unwrap() > 0.0);
    let patch = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "patch autoscaler")
        .unwrap();
    assert_eq!(
        patch.command,
        "kubectl patch hpa mcp-typescript-api-hpa -n mcp-production --patch='{\"spec\":{\"minReplicas\":10,\"maxReplicas\":10}}'"
    );
}

#[tokio::test(start_paused = true)]
async fn scale_out_above_the_policy_bound_is_refused_unless_forced() {
    let w = World::at(WEDNESDAY);
    let input = ScaleOutInput {
        horizontal: vec![HorizontalTarget {
            deployment: d("mcp-rust-server"),
            replicas: Replicas::new(25).unwrap(),
        }],
        ..ScaleOutInput::default()
    };
    let ctx = w.ctx("test", false);
    let r = scale_out(&ctx, scale_backends(&w), &input).await.unwrap();
    let ScaleOutStatus::Refused { violations } = &r.status else {
        panic!("{r:?}")
    };
    assert!(violations[0].contains("max_replicas 20"), "{violations:?}");
    w.nothing_changed(&ctx);
    assert_eq!(w.replicas("mcp-rust-server").await, 3);

    let forced = ScaleOutInput {
        force: Some("launch day, approved in CR-2025-001".into()),
        ..input
    };
    let ctx = w.ctx("test", false);
    let r = scale_out(&ctx, scale_backends(&w), &forced).await.unwrap();
    assert_eq!(r.status, ScaleOutStatus::Completed);
    assert_eq!(w.replicas("mcp-rust-server").await, 25);
    assert!(
        ctx.journal()
            .entries()
            .iter()
            .any(|e| e.outcome.detail().contains("forced: launch day"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_no_node_can_hold_is_refused_before_anything_changes() {
    let w = World::at(WEDNESDAY);
    let huge = ResourceRequirements::new(
        ResourceList::new(
            Quantity::parse("8").unwrap(),
            Quantity::parse("1Gi").unwrap(),
        ),
        ResourceList::new(
            Quantity::parse("8").unwrap(),
            Quantity::parse("2Gi").unwrap(),
        ),
    )
    .unwrap();
    let mut input = runbook_scale_input();
    input.vertical[0].resources = huge;
    let ctx = w.ctx("test", false);
    let r = scale_out(&ctx, scale_backends(&w), &input).await.unwrap();
    let ScaleOutStatus::Refused { violations } = &r.status else {
        panic!("{r:?}")
    };
    assert!(
        violations.iter().any(|v| v.contains("largest node")),
        "{violations:?}"
    );
    w.nothing_changed(&ctx);
}

#[tokio::test(start_paused = true)]
async fn a_node_count_outside_the_group_bounds_or_without_a_node_scaler_is_refused() {
    let w = World::at(WEDNESDAY);
    let mut input = runbook_scale_input();
    input.node_group.as_mut().unwrap().nodes = 50;
    let ctx = w.ctx("test", false);
    let r = scale_out(&ctx, scale_backends(&w), &input).await.unwrap();
    assert!(matches!(r.status, ScaleOutStatus::Refused { .. }));
    let no_nodes = ScaleOutBackends {
        scaler: &w.cluster,
        node_groups: None,
    };
    let r = scale_out(&ctx, no_nodes, &runbook_scale_input())
        .await
        .unwrap();
    let ScaleOutStatus::Refused { violations } = &r.status else {
        panic!("{r:?}")
    };
    assert!(violations[0].contains("no NodeGroupScaler"));
    w.nothing_changed(&ctx);
}

#[tokio::test(start_paused = true)]
async fn one_failing_scale_is_reported_and_the_others_still_run() {
    let w = World::at(WEDNESDAY);
    w.cluster.faults().fail_next(
        "scale",
        1,
        Error::backend("mock", "etcd leader lost", false),
    );
    let ctx = w.ctx("test", false);
    let r = scale_out(&ctx, scale_backends(&w), &runbook_scale_input())
        .await
        .unwrap();
    let ScaleOutStatus::Partial { failed } = &r.status else {
        panic!("{r:?}")
    };
    assert_eq!(failed.len(), 1);
    assert!(failed[0].contains("mcp-learning-system"));
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.replicas("mcp-rust-server").await, 8);
}

#[tokio::test(start_paused = true)]
async fn scale_out_dry_run_plans_without_a_mutating_call() {
    let w = World::at(WEDNESDAY);
    let ctx = w.ctx("test", true);
    let r = scale_out(&ctx, scale_backends(&w), &runbook_scale_input())
        .await
        .unwrap();
    assert_eq!(r.status, ScaleOutStatus::Planned);
    w.nothing_changed(&ctx);
    let plan = r.plan.unwrap();
    let commands: Vec<&str> = plan.steps.iter().map(|s| s.command.as_str()).collect();
    assert_eq!(plan.steps.len(), 5, "{commands:?}");
    assert!(
        commands
            .contains(&"kubectl scale deployment mcp-rust-server --replicas=8 -n mcp-production")
    );
    assert!(commands.contains(
        &"eksctl scale nodegroup --cluster=mcp-production --name=worker-nodes --nodes=5"
    ));
    assert!(
        r.horizontal
            .iter()
            .all(|h| h.outcome == ChangeOutcome::Planned)
    );
    assert_eq!(w.replicas("mcp-rust-server").await, 3);
}

#[tokio::test(start_paused = true)]
async fn forcing_without_a_reason_is_invalid_input() {
    let w = World::at(WEDNESDAY);
    let ctx = w.ctx("test", false);
    let input = ScaleOutInput {
        force: Some("  ".into()),
        ..runbook_scale_input()
    };
    let r = scale_out(&ctx, scale_backends(&w), &input).await;
    assert!(
        matches!(r, Err(Error::InvalidInput { field: "force", .. })),
        "{r:?}"
    );
    w.nothing_changed(&ctx);
}
