//! The read-only diagnostic procedures on the mock backends: `triage` (Critical System Down
//! (P0)), `investigate_error_rate` (High Error Rate (P1)) and `investigate_latency` (High
//! Response Times (P2)).
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use mcp_ops_core::health::{HealthStatus, MetricKind};
use mcp_ops_core::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockClusterBuilder, MockDatabase,
    MockDatabaseBuilder, RUNBOOK_HEALTH_URL,
};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::triage::{
    Check, ScaleTarget, Suggestion, TriageBackends, TriageInput, TriageReport, triage,
};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Quantity, Replicas, Revision,
};
use mcp_ops_core::{Deployer, Error, Severity, SharedClock, TokioClock};

const T0: &str = "2025-01-08T14:30:00Z";

struct World {
    clock: SharedClock,
    cluster: MockCluster,
    db: MockDatabase,
    alerts: MockAlerting,
}

impl World {
    fn new() -> Self {
        Self::with_cluster(|b| b)
    }

    fn with_cluster(adjust: impl FnOnce(MockClusterBuilder) -> MockClusterBuilder) -> Self {
        let clock: SharedClock = Arc::new(TokioClock::starting_at(T0.parse().unwrap()));
        let cluster = adjust(MockCluster::builder_runbook().clock(clock.clone())).build();
        let db = MockDatabaseBuilder::runbook().clock(clock.clone()).build();
        let alerts = MockAlertingBuilder::runbook().clock(clock.clone()).build();
        Self {
            clock,
            cluster,
            db,
            alerts,
        }
    }

    fn backends(&self) -> TriageBackends<'_> {
        TriageBackends {
            cluster: Some(&self.cluster),
            deployer: Some(&self.cluster),
            scaler: Some(&self.cluster),
            database: Some(&self.db),
            cache: Some(&self.db),
            metrics: Some(&self.alerts),
        }
    }

    fn ctx(&self, procedure: &'static str, dry_run: bool) -> Context {
        let intent = Intent::new("investigate alert", "test")
            .unwrap()
            .with_dry_run(dry_run);
        Context::new(procedure, intent, self.clock.clone())
    }

    /// No backend received a mutating call (dry run or not), and the journal has no
    /// mutating entry.
    fn assert_read_only(&self, ctx: &Context) {
        for calls in [
            self.cluster.faults().calls(),
            self.db.faults().calls(),
            self.alerts.faults().calls(),
        ] {
            let mutating: Vec<_> = calls.iter().filter(|c| c.mutating).collect();
            assert!(mutating.is_empty(), "mutating calls: {mutating:?}");
        }
        assert!(self.cluster.faults().state_changes().is_empty());
        assert!(ctx.journal().state_changes().is_empty());
        assert!(ctx.journal().entries().iter().all(|e| !e.mutating));
    }
}

fn dep(name: &str) -> DeploymentRef {
    DeploymentRef::new("mcp-production", name).unwrap()
}

fn api_image(tag: &str) -> ImageRef {
    ImageRef::parse(&format!("ghcr.io/your-org/mcp-typescript-server:{tag}")).unwrap()
}

async fn deploy_api(w: &World, tag: &str) {
    let intent = Intent::new(format!("deploy {tag}"), "test").unwrap();
    w.cluster
        .set_image(
            &dep("mcp-typescript-api"),
            &ContainerName::new("mcp-typescript-api").unwrap(),
            &api_image(tag),
            &intent,
        )
        .await
        .unwrap();
    // Let the rollout finish (3 steps of 500 ms); forget the test's own mutating call.
    tokio::time::sleep(Duration::from_secs(2)).await;
    w.cluster.faults().reset_calls();
}

fn finding<'r>(
    r: &'r TriageReport,
    check: Check,
    target: &str,
) -> &'r mcp_ops_core::runbook::triage::Finding {
    r.findings
        .iter()
        .find(|f| f.check == check && f.target == target)
        .unwrap_or_else(|| panic!("no {check:?} finding for {target}: {:#?}", r.findings))
}

fn assert_ranked(r: &TriageReport) {
    let statuses: Vec<HealthStatus> = r.findings.iter().map(|f| f.status).collect();
    let mut sorted = statuses.clone();
    sorted.sort_by_key(|s| std::cmp::Reverse(*s));
    assert_eq!(statuses, sorted, "findings are worst first");
}

// ---------------------------------------------------------------- triage

#[tokio::test(start_paused = true)]
async fn triage_of_a_healthy_system_has_no_severity_and_no_suggestion() {
    let w = World::new();
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, None);
    assert_eq!(r.overall, HealthStatus::Healthy, "{:#?}", r.findings);
    assert!(r.suggestions.is_empty(), "{:?}", r.suggestions);
    assert!(r.complete);
    assert_eq!(r.deployments.len(), 3);
    // 5 cluster scopes, 1 endpoint, database, cache, node capacity, pod usage, 6 per deployment.
    assert_eq!(r.findings.len(), 10 + 3 * 6);
    for check in [
        Check::Nodes,
        Check::Pods,
        Check::Services,
        Check::Ingress,
        Check::Events,
    ] {
        assert_eq!(
            finding(&r, check, "mcp-production").status,
            HealthStatus::Healthy
        );
    }
    let history = finding(
        &r,
        Check::RolloutHistory,
        "mcp-production/mcp-typescript-api",
    );
    assert!(
        history
            .command
            .contains("kubectl rollout history deployment/mcp-typescript-api")
    );
    assert!(!history.evidence.is_empty());
    assert!(
        r.deployments
            .iter()
            .all(|d| !d.recently_changed && d.degraded.is_empty())
    );
    w.assert_read_only(&ctx);
}

#[tokio::test(start_paused = true)]
async fn recent_bad_deployment_is_p0_and_rolled_back() {
    let w = World::new();
    w.cluster.mark_erroring_image(&api_image("v1.0.1"));
    deploy_api(&w, "v1.0.1").await;
    w.alerts
        .set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.42));
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P0), "every endpoint answers 5xx");
    let endpoint = finding(&r, Check::Endpoint, "http api");
    assert_eq!(endpoint.status, HealthStatus::Unhealthy);
    assert!(
        endpoint
            .evidence
            .iter()
            .any(|e| e.object == "status_code" && e.detail == "500")
    );
    assert_eq!(r.findings[0].status, HealthStatus::Unhealthy);
    assert_ranked(&r);
    let api = r
        .deployments
        .iter()
        .find(|d| d.deployment == dep("mcp-typescript-api"))
        .unwrap();
    assert!(api.recently_changed);
    assert_eq!(api.revision, Some(Revision::new(3).unwrap()));
    assert_eq!(api.change_cause.as_deref(), Some("deploy v1.0.1 (by test)"));
    match r.suggestions.as_slice() {
        [
            Suggestion::RollBack {
                deployment,
                from,
                to,
                command,
                why,
            },
        ] => {
            assert_eq!(deployment, &dep("mcp-typescript-api"));
            assert_eq!(*from, Some(Revision::new(3).unwrap()));
            assert_eq!(*to, Revision::new(2).unwrap());
            assert_eq!(
                command,
                "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production --to-revision=2"
            );
            assert!(why.contains("HTTP 500"), "{why}");
        }
        other => panic!("expected one rollback, got {other:?}"),
    }
    let journal = ctx.journal().entries();
    let note = journal.iter().find(|e| e.step == "suggest").unwrap();
    assert!(
        note.outcome
            .detail()
            .starts_with("roll back mcp-production/mcp-typescript-api from revision 3 to 2: "),
        "{note:?}"
    );
    w.assert_read_only(&ctx);
}

#[tokio::test(start_paused = true)]
async fn a_recent_healthy_deployment_is_not_rolled_back() {
    let w = World::new();
    deploy_api(&w, "v1.0.1").await;
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, None);
    assert!(r.deployments.iter().any(|d| d.recently_changed));
    assert!(r.suggestions.is_empty(), "{:?}", r.suggestions);
}

#[tokio::test(start_paused = true)]
async fn a_deployment_older_than_the_window_is_not_blamed() {
    let w = World::new();
    w.cluster.mark_erroring_image(&api_image("v1.0.1"));
    deploy_api(&w, "v1.0.1").await;
    tokio::time::sleep(Duration::from_secs(2 * 60 * 60)).await;
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P0));
    assert!(
        matches!(
            r.suggestions.as_slice(),
            [Suggestion::EscalateInfrastructure { .. }]
        ),
        "{:?}",
        r.suggestions
    );

    // A wider window makes the same deployment recent again.
    let input = TriageInput {
        recent_deployment_window: Duration::from_secs(3 * 60 * 60),
        ..TriageInput::runbook()
    };
    let r = triage(&ctx, &w.backends(), &input).await.unwrap();
    assert!(
        matches!(r.suggestions.as_slice(), [Suggestion::RollBack { .. }]),
        "{:?}",
        r.suggestions
    );
}

#[tokio::test(start_paused = true)]
async fn all_endpoints_down_without_a_recent_deployment_escalates() {
    let w = World::new();
    w.cluster
        .set_endpoint(RUNBOOK_HEALTH_URL, 503, Duration::from_millis(5), None);
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P0));
    match r.suggestions.as_slice() {
        [Suggestion::EscalateInfrastructure { why }] => assert!(why.contains("HTTP 503"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_rate_breach_is_p1_and_a_latency_breach_p2() {
    let w = World::new();
    w.alerts
        .set_metric("mcp-learning-system", MetricKind::P95Latency, Some(3.5));
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P2));
    assert_eq!(
        finding(&r, Check::Latency, "mcp-production/mcp-learning-system").status,
        HealthStatus::Unhealthy
    );

    w.alerts
        .set_metric("mcp-rust-server", MetricKind::ErrorRate, Some(0.08));
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P1));
    let rust = r
        .deployments
        .iter()
        .find(|d| d.deployment == dep("mcp-rust-server"))
        .unwrap();
    assert_eq!(rust.error_rate, Some(0.08));
    assert!(!rust.degraded.is_empty());
    assert!(
        matches!(
            r.suggestions.as_slice(),
            [Suggestion::EscalateInfrastructure { .. }]
        ),
        "{:?}",
        r.suggestions
    );
    assert_ranked(&r);
}

#[tokio::test(start_paused = true)]
async fn memory_exhaustion_suggests_more_pods() {
    let w = World::new();
    w.alerts
        .set_metric("mcp-rust-server", MetricKind::MemoryRatio, Some(0.95));
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P2));
    match r.suggestions.as_slice() {
        [
            Suggestion::Scale {
                target:
                    ScaleTarget::Replicas {
                        deployment,
                        from,
                        to,
                    },
                command,
                ..
            },
        ] => {
            assert_eq!(deployment, &dep("mcp-rust-server"));
            assert_eq!(*from, Replicas::new(3).unwrap());
            // ceil(3 × 0.95 / 0.90) = 4
            assert_eq!(*to, Replicas::new(4).unwrap());
            assert_eq!(
                command,
                "kubectl scale deployment mcp-rust-server --replicas=4 -n mcp-production"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn an_autoscaler_at_its_max_suggests_raising_the_max() {
    let w = World::with_cluster(|b| {
        b.hpa(
            &dep("mcp-typescript-api"),
            "mcp-typescript-api-hpa",
            Replicas::new(3).unwrap(),
            Replicas::new(3).unwrap(),
        )
        .unwrap()
    });
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(
        finding(&r, Check::Autoscaler, "mcp-production/mcp-typescript-api").status,
        HealthStatus::Degraded
    );
    match r.suggestions.as_slice() {
        [
            Suggestion::Scale {
                target:
                    ScaleTarget::AutoscalerMax {
                        autoscaler,
                        from,
                        to,
                        ..
                    },
                command,
                ..
            },
        ] => {
            assert_eq!(autoscaler.as_str(), "mcp-typescript-api-hpa");
            assert_eq!(*from, Replicas::new(3).unwrap());
            assert_eq!(*to, Replicas::new(6).unwrap());
            assert_eq!(
                command,
                "kubectl patch hpa mcp-typescript-api-hpa -n mcp-production --patch='{\"spec\":{\"maxReplicas\":6}}'"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn nodes_with_requests_at_90_percent_suggest_more_nodes() {
    let w = World::with_cluster(|b| {
        b.node(
            "small-1",
            Quantity::parse("500m").unwrap(),
            Quantity::parse("1Gi").unwrap(),
        )
        .unwrap()
    });
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    let capacity = finding(&r, Check::NodeCapacity, "nodes");
    assert_eq!(capacity.status, HealthStatus::Degraded);
    assert!(capacity.evidence.iter().any(|e| e.object == "node/small-1"));
    match r.suggestions.as_slice() {
        [
            Suggestion::Scale {
                target: ScaleTarget::Nodes { from: 4, to: 5 },
                command,
                ..
            },
        ] => {
            assert_eq!(
                command,
                "eksctl scale nodegroup --cluster=mcp-production --name=worker-nodes --nodes=5"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_node_not_ready_escalates_to_infrastructure() {
    let w = World::new();
    w.cluster.set_node_ready("worker-2", false).unwrap();
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    let nodes = finding(&r, Check::Nodes, "mcp-production");
    assert_eq!(nodes.status, HealthStatus::Unhealthy);
    assert!(
        nodes
            .evidence
            .iter()
            .any(|e| e.object == "node/worker-2" && e.detail.contains("NotReady"))
    );
    assert_eq!(r.findings[0].check, Check::Nodes);
    match r.suggestions.as_slice() {
        [Suggestion::EscalateInfrastructure { why }] => {
            assert!(why.contains("node/worker-2"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn missing_backends_and_failing_probes_are_unknown_not_errors() {
    let w = World::new();
    w.cluster.faults().fail_next(
        "history",
        10,
        Error::unavailable("mock-cluster", "injected"),
    );
    let backends = TriageBackends {
        cluster: Some(&w.cluster),
        deployer: Some(&w.cluster),
        ..TriageBackends::default()
    };
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &backends, &TriageInput::runbook())
        .await
        .unwrap();
    for (check, target) in [
        (Check::Database, "mcp_db"),
        (Check::Cache, "redis"),
        (Check::NodeCapacity, "nodes"),
        (Check::PodUsage, "mcp-production"),
        (Check::ErrorRate, "mcp-production/mcp-typescript-api"),
        (Check::Autoscaler, "mcp-production/mcp-typescript-api"),
    ] {
        let f = finding(&r, check, target);
        assert_eq!(f.status, HealthStatus::Unknown, "{f:?}");
        assert!(f.summary.contains("no backend"), "{f:?}");
    }
    let history = finding(
        &r,
        Check::RolloutHistory,
        "mcp-production/mcp-typescript-api",
    );
    assert_eq!(history.status, HealthStatus::Unknown);
    assert!(history.summary.contains("injected"), "{history:?}");
    assert_eq!(
        finding(&r, Check::Nodes, "mcp-production").status,
        HealthStatus::Healthy
    );
    assert_eq!(r.severity, None);
    assert!(
        r.suggestions.is_empty(),
        "unknowns alone call for nothing: {:?}",
        r.suggestions
    );
    assert!(r.complete, "nothing was cut by the deadline");
}

#[tokio::test(start_paused = true)]
async fn a_hung_probe_is_unknown_and_triage_returns_by_its_deadline() {
    let w = World::new();
    w.db.faults().hang("check");
    let ctx = w.ctx("triage", false);
    let input = TriageInput {
        deadline: Duration::from_secs(2),
        ..TriageInput::runbook()
    };
    let started = tokio::time::Instant::now();
    let r = triage(&ctx, &w.backends(), &input).await.unwrap();
    assert!(
        started.elapsed() <= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!r.complete);
    for (check, target) in [(Check::Database, "mcp_db"), (Check::Cache, "redis")] {
        let f = finding(&r, check, target);
        assert_eq!(f.status, HealthStatus::Unknown);
        assert!(f.summary.contains("deadline"), "{f:?}");
    }
    assert_eq!(
        finding(&r, Check::Endpoint, "http api").status,
        HealthStatus::Healthy
    );
    assert_eq!(r.deployments.len(), 3);
    let cut: Vec<_> = ctx
        .journal()
        .entries()
        .into_iter()
        .filter(|e| e.outcome.detail().contains("deadline"))
        .collect();
    assert_eq!(
        cut.len(),
        2,
        "both hung probes are journaled as cut: {cut:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_hung_probe_with_the_default_deadline_still_returns_within_ten_seconds() {
    let w = World::new();
    w.cluster.faults().hang("history");
    let ctx = w.ctx("triage", false);
    let started = tokio::time::Instant::now();
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert!(
        started.elapsed() <= Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let history = finding(&r, Check::RolloutHistory, "mcp-production/mcp-rust-server");
    assert_eq!(history.status, HealthStatus::Unknown);
    assert_eq!(
        finding(&r, Check::Database, "mcp_db").status,
        HealthStatus::Healthy
    );
}

#[tokio::test(start_paused = true)]
async fn triage_probes_run_concurrently() {
    let w = World::new();
    for faults in [w.cluster.faults(), w.db.faults(), w.alerts.faults()] {
        faults.add_latency("*", Duration::from_millis(100));
    }
    let ctx = w.ctx("triage", false);
    let started = tokio::time::Instant::now();
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    let took = started.elapsed();
    // Listing the deployments, then their probes: two rounds of 100 ms, not 3 × 6 × 100 ms.
    assert!(took < Duration::from_millis(300), "took {took:?}");
    assert_eq!(r.deployments.len(), 3);
    for d in [
        "mcp-typescript-api",
        "mcp-learning-system",
        "mcp-rust-server",
    ] {
        let target = format!("mcp-production/{d}");
        let probes = ctx
            .journal()
            .entries()
            .into_iter()
            .filter(|e| e.target == target)
            .count();
        let metrics = ctx
            .journal()
            .entries()
            .into_iter()
            .filter(|e| e.target.starts_with("metric ") && e.target.contains(d))
            .count();
        assert_eq!(probes + metrics, 6, "{d}");
    }
    assert!(r.complete);
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_triage_reports_the_same_and_changes_nothing() {
    let w = World::new();
    w.cluster.mark_erroring_image(&api_image("v1.0.1"));
    deploy_api(&w, "v1.0.1").await;
    let ctx = w.ctx("triage", true);
    let r = triage(&ctx, &w.backends(), &TriageInput::runbook())
        .await
        .unwrap();
    assert_eq!(r.severity, Some(Severity::P0));
    assert!(matches!(
        r.suggestions.as_slice(),
        [Suggestion::RollBack { .. }]
    ));
    w.assert_read_only(&ctx);
    assert!(w.cluster.faults().calls().iter().all(|c| !c.mutating));
}

#[tokio::test(start_paused = true)]
async fn a_requested_deployment_that_does_not_exist_is_reported() {
    let w = World::new();
    let input = TriageInput {
        deployments: vec!["mcp-rust-server".parse().unwrap(), "nope".parse().unwrap()],
        ..TriageInput::runbook()
    };
    let ctx = w.ctx("triage", false);
    let r = triage(&ctx, &w.backends(), &input).await.unwrap();
    assert_eq!(r.deployments.len(), 1);
    assert_eq!(
        finding(&r, Check::Deployments, "mcp-production/nope").status,
        HealthStatus::Unhealthy
    );
}

#[tokio::test(start_paused = true)]
async fn a_zero_deadline_is_refused() {
    let w = World::new();
    let ctx = w.ctx("triage", false);
    let input = TriageInput {
        deadline: Duration::ZERO,
        ..TriageInput::runbook()
    };
    assert!(matches!(
        triage(&ctx, &w.backends(), &input).await,
        Err(Error::InvalidInput { .. })
    ));
}

// ---------------------------------------------------------------- investigate_error_rate

mod error_rate {
    use super::*;
    use mcp_ops_core::mock::Availability;
    use mcp_ops_core::runbook::investigate_error_rate::{
        Cause, ConfigCheck, ErrorRateBackends, ErrorRateInput, ErrorRateReport,
        investigate_error_rate,
    };
    use mcp_ops_core::types::Namespace;

    struct MissingSecret;

    #[async_trait::async_trait]
    impl ConfigCheck for MissingSecret {
        async fn problems(&self, _: &Namespace) -> mcp_ops_core::Result<Vec<String>> {
            Ok(vec![
                "secret/mcp-secrets: key db-password missing".to_owned(),
            ])
        }
    }

    struct AllPresent;

    #[async_trait::async_trait]
    impl ConfigCheck for AllPresent {
        async fn problems(&self, _: &Namespace) -> mcp_ops_core::Result<Vec<String>> {
            Ok(Vec::new())
        }
    }

    fn backends<'a>(w: &'a World, config: &'a dyn ConfigCheck) -> ErrorRateBackends<'a> {
        ErrorRateBackends {
            metrics: Some(&w.alerts),
            database: Some(&w.db),
            cache: Some(&w.db),
            maintenance: Some(&w.db),
            cluster: Some(&w.cluster),
            config: Some(config),
        }
    }

    async fn investigate(w: &World, config: &dyn ConfigCheck) -> (Context, ErrorRateReport) {
        let ctx = w.ctx("investigate_error_rate", false);
        let r = investigate_error_rate(&ctx, &backends(w, config), &ErrorRateInput::runbook())
            .await
            .unwrap();
        w.assert_read_only(&ctx);
        (ctx, r)
    }

    fn causes(r: &ErrorRateReport) -> Vec<&Cause> {
        r.diagnoses.iter().map(|d| &d.cause).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn healthy_services_have_no_severity_and_no_cause() {
        let w = World::new();
        let (ctx, r) = investigate(&w, &AllPresent).await;
        assert_eq!(r.severity, None);
        assert!(r.diagnoses.is_empty(), "{:?}", r.diagnoses);
        assert!(r.complete);
        assert_eq!(r.services.len(), 3);
        assert!(
            r.services
                .iter()
                .all(|s| s.error_rate == Some(0.01) && !s.breach)
        );
        assert!(
            r.findings.iter().all(|f| f.status == HealthStatus::Healthy),
            "{:#?}",
            r.findings
        );
        let logs = ctx
            .journal()
            .entries()
            .into_iter()
            .filter(|e| e.step == "check service logs")
            .count();
        assert_eq!(
            logs, 3,
            "the log step is journaled as skipped with the kubectl line"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_connection_pool_suggests_restarting_pods() {
        let w = World::new();
        w.db.set_connections(97, 100);
        w.alerts
            .set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.08));
        let (_, r) = investigate(&w, &AllPresent).await;
        assert_eq!(r.severity, Some(Severity::P1));
        assert_eq!(
            causes(&r),
            vec![&Cause::ConnectionPoolExhausted { used: 97, max: 100 }]
        );
        let d = &r.diagnoses[0];
        assert!(d.evidence.iter().any(|e| e.detail.contains("97 of 100")));
        match d.suggestions.as_slice() {
            [
                Suggestion::RestartPods {
                    deployment,
                    command,
                    ..
                },
            ] => {
                assert_eq!(deployment, &dep("mcp-typescript-api"));
                assert_eq!(
                    command,
                    "kubectl rollout restart deployment/mcp-typescript-api -n mcp-production"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.findings[0].status, HealthStatus::Unhealthy);
    }

    #[tokio::test(start_paused = true)]
    async fn memory_growth_suggests_a_restart() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-learning-system", MetricKind::ErrorRate, Some(0.07));
        w.alerts
            .set_metric("mcp-learning-system", MetricKind::MemoryRatio, Some(0.96));
        let (_, r) = investigate(&w, &AllPresent).await;
        assert_eq!(r.severity, Some(Severity::P1));
        match causes(&r).as_slice() {
            [Cause::MemoryGrowth { service, ratio }] => {
                assert_eq!(service, &dep("mcp-learning-system"));
                assert_eq!(*ratio, 0.96);
            }
            other => panic!("memory explains it; no external outage: {other:?}"),
        }
        assert!(matches!(
            r.suggestions().as_slice(),
            [Suggestion::Restart { deployment, .. }] if deployment == &dep("mcp-learning-system")
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn errors_with_healthy_dependencies_point_to_an_external_outage() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-rust-server", MetricKind::ErrorRate, Some(0.12));
        let (_, r) = investigate(&w, &AllPresent).await;
        assert_eq!(r.severity, Some(Severity::P1));
        match r.diagnoses.as_slice() {
            [d] => {
                assert_eq!(
                    d.cause,
                    Cause::ExternalOutage {
                        service: dep("mcp-rust-server"),
                        error_rate: 0.12
                    }
                );
                assert!(d.evidence.iter().any(|e| e.object == "database mcp_db"));
                assert!(
                    matches!(&d.suggestions[..], [Suggestion::CircuitBreaker { service, .. }] if service == "mcp-production/mcp-rust-server")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn missing_secrets_call_for_verifying_the_configuration() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.2));
        let (_, r) = investigate(&w, &MissingSecret).await;
        match causes(&r).as_slice() {
            [Cause::Configuration { problems }] => {
                assert_eq!(problems, &["secret/mcp-secrets: key db-password missing"])
            }
            other => panic!("configuration explains it; no external outage: {other:?}"),
        }
        match r.suggestions().as_slice() {
            [Suggestion::VerifyConfiguration { command, .. }] => {
                assert_eq!(command, "kubectl get configmaps,secrets -n mcp-production");
            }
            other => panic!("{other:?}"),
        }
        let config = r
            .findings
            .iter()
            .find(|f| f.check == Check::Configuration)
            .unwrap();
        assert_eq!(config.status, HealthStatus::Unhealthy);
    }

    #[tokio::test(start_paused = true)]
    async fn pods_that_cannot_find_their_config_count_as_a_configuration_cause() {
        use mcp_ops_core::health::{HealthDetail, HealthReport, TargetKind};
        use mcp_ops_core::mock::MockHealthCheck;
        let w = World::new();
        w.alerts
            .set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.2));
        let mut cluster = MockHealthCheck::new();
        cluster.expect_backend().return_const("fake-cluster");
        cluster
            .expect_supports()
            .returning(|k| k == TargetKind::Cluster);
        cluster.expect_check().returning(|t| {
            let mut r = HealthReport::new(
                t.clone(),
                HealthStatus::Unhealthy,
                "1 of 1 objects need attention",
                T0.parse().unwrap(),
            );
            r.details = vec![HealthDetail {
                object: "pod/mcp-typescript-api-7d9f".into(),
                status: HealthStatus::Unhealthy,
                reason: "CreateContainerConfigError: secret \"mcp-secrets\" not found".into(),
            }];
            Ok(r)
        });
        let b = ErrorRateBackends {
            cluster: Some(&cluster),
            ..backends(&w, &AllPresent)
        };
        let ctx = w.ctx("investigate_error_rate", false);
        let r = investigate_error_rate(&ctx, &b, &ErrorRateInput::runbook())
            .await
            .unwrap();
        match causes(&r).as_slice() {
            [Cause::Configuration { problems }] => {
                assert!(
                    problems[0]
                        .starts_with("pod/mcp-typescript-api-7d9f: CreateContainerConfigError")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            r.suggestions().as_slice(),
            [Suggestion::VerifyConfiguration { .. }]
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_database_that_does_not_answer_escalates_and_rules_out_an_external_outage() {
        let w = World::new();
        w.db.set_database_health(Availability::Down);
        w.db.set_cache_health(Availability::Down);
        w.alerts
            .set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.3));
        let (_, r) = investigate(&w, &AllPresent).await;
        assert_eq!(
            causes(&r),
            vec![&Cause::DatabaseUnavailable, &Cause::CacheUnavailable]
        );
        assert!(
            r.suggestions()
                .iter()
                .all(|s| matches!(s, Suggestion::EscalateInfrastructure { .. }))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missing_backends_are_unknown_and_prove_nothing() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-rust-server", MetricKind::ErrorRate, Some(0.12));
        let b = ErrorRateBackends {
            metrics: Some(&w.alerts),
            ..ErrorRateBackends::default()
        };
        let ctx = w.ctx("investigate_error_rate", false);
        let r = investigate_error_rate(&ctx, &b, &ErrorRateInput::runbook())
            .await
            .unwrap();
        assert_eq!(r.severity, Some(Severity::P1));
        for check in [
            Check::Database,
            Check::Cache,
            Check::Connections,
            Check::Configuration,
            Check::Pods,
        ] {
            let f = r.findings.iter().find(|f| f.check == check).unwrap();
            assert_eq!(f.status, HealthStatus::Unknown, "{f:?}");
        }
        assert!(
            r.diagnoses.is_empty(),
            "unknown dependencies cannot be called fine: {:?}",
            r.diagnoses
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_probe_is_unknown_by_the_deadline() {
        let w = World::new();
        w.db.faults().hang("connections");
        let ctx = w.ctx("investigate_error_rate", false);
        let input = ErrorRateInput {
            deadline: Duration::from_secs(3),
            ..ErrorRateInput::runbook()
        };
        let started = tokio::time::Instant::now();
        let r = investigate_error_rate(&ctx, &backends(&w, &AllPresent), &input)
            .await
            .unwrap();
        assert!(started.elapsed() <= Duration::from_secs(3));
        assert!(!r.complete);
        let f = r
            .findings
            .iter()
            .find(|f| f.check == Check::Connections)
            .unwrap();
        assert_eq!(f.status, HealthStatus::Unknown);
        assert_eq!(r.services.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_dry_run_makes_no_mutating_call() {
        let w = World::new();
        w.db.set_connections(99, 100);
        let ctx = w.ctx("investigate_error_rate", true);
        let r =
            investigate_error_rate(&ctx, &backends(&w, &AllPresent), &ErrorRateInput::runbook())
                .await
                .unwrap();
        assert!(matches!(
            causes(&r).as_slice(),
            [Cause::ConnectionPoolExhausted { .. }]
        ));
        w.assert_read_only(&ctx);
    }
}

// ---------------------------------------------------------------- investigate_latency

mod latency {
    use super::*;
    use mcp_ops_core::Policy;
    use mcp_ops_core::maintenance::ActiveQuery;
    use mcp_ops_core::runbook::investigate_latency::{
        LatencyBackends, LatencyInput, LatencyReport, investigate_latency,
    };

    fn backends(w: &World) -> LatencyBackends<'_> {
        LatencyBackends {
            metrics: Some(&w.alerts),
            scaler: Some(&w.cluster),
            maintenance: Some(&w.db),
        }
    }

    fn quiet_database(w: &World) {
        w.db.set_active_queries(vec![ActiveQuery {
            pid: 7,
            state: "active".into(),
            wait: None,
            duration: Duration::from_secs(2),
            query: "SELECT 1".into(),
        }]);
    }

    async fn investigate(w: &World) -> LatencyReport {
        let ctx = w.ctx("investigate_latency", false);
        let r = investigate_latency(&ctx, &backends(w), &LatencyInput::runbook())
            .await
            .unwrap();
        w.assert_read_only(&ctx);
        r
    }

    #[tokio::test(start_paused = true)]
    async fn fast_services_and_a_quiet_database_need_nothing() {
        let w = World::new();
        quiet_database(&w);
        let r = investigate(&w).await;
        assert_eq!(r.severity, None);
        assert!(r.advice.is_empty(), "{:?}", r.advice);
        assert_eq!(r.active_queries.len(), 1);
        assert!(r.long_running.is_empty());
        assert!(r.complete);
        let api = r
            .services
            .iter()
            .find(|s| s.service == dep("mcp-typescript-api"))
            .unwrap();
        assert_eq!(api.replicas, Some(Replicas::new(3).unwrap()));
        assert_eq!(api.autoscaler.as_ref().map(|a| a.max.get()), Some(10));
        assert!(api.memory_ratio.is_some(), "from kubectl top");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_service_without_autoscaler_is_scaled_in_proportion() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-rust-server", MetricKind::P95Latency, Some(3.0));
        let r = investigate(&w).await;
        assert_eq!(r.severity, Some(Severity::P2));
        // The seeded database has a statement running for 45 s.
        assert_eq!(r.long_running.len(), 1);
        match r.advice.as_slice() {
            [
                Suggestion::Scale {
                    target:
                        ScaleTarget::Replicas {
                            deployment,
                            from,
                            to,
                        },
                    command,
                    ..
                },
                Suggestion::ReviewSlowQueries {
                    queries,
                    command: sql,
                },
            ] => {
                assert_eq!(deployment, &dep("mcp-rust-server"));
                assert_eq!(*from, Replicas::new(3).unwrap());
                // ceil(3 × 3.0 s / 2.0 s) = 5, the runbook's example.
                assert_eq!(*to, Replicas::new(5).unwrap());
                assert_eq!(
                    command,
                    "kubectl scale deployment mcp-rust-server --replicas=5 -n mcp-production"
                );
                assert_eq!(queries[0].pid, 4242);
                assert!(sql.contains("INTERVAL '30 seconds'"), "{sql}");
            }
            other => panic!("{other:?}"),
        }
        let slow = r
            .findings
            .iter()
            .find(|f| f.check == Check::ActiveQueries)
            .unwrap();
        assert_eq!(slow.status, HealthStatus::Degraded);
        assert!(slow.evidence.iter().any(|e| e.object == "pid 4242"));
    }

    #[tokio::test(start_paused = true)]
    async fn scaling_is_bounded_by_the_policy() {
        let w = World::new();
        quiet_database(&w);
        w.alerts
            .set_metric("mcp-rust-server", MetricKind::P95Latency, Some(60.0));
        let r = investigate(&w).await;
        assert!(
            matches!(
                r.advice.as_slice(),
                [Suggestion::Scale { target: ScaleTarget::Replicas { to, .. }, .. }] if to.get() == 20
            ),
            "{:?}",
            r.advice
        );

        let ctx = w.ctx("investigate_latency", false).with_policy(Policy {
            max_replicas: 3,
            ..Policy::default()
        });
        let r = investigate_latency(&ctx, &backends(&w), &LatencyInput::runbook())
            .await
            .unwrap();
        assert!(
            matches!(
                r.advice.as_slice(),
                [Suggestion::EscalateInfrastructure { .. }]
            ),
            "{:?}",
            r.advice
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_autoscaler_at_its_max_gets_a_higher_max() {
        let w = World::with_cluster(|b| {
            b.hpa(
                &dep("mcp-typescript-api"),
                "mcp-typescript-api-hpa",
                Replicas::new(3).unwrap(),
                Replicas::new(3).unwrap(),
            )
            .unwrap()
        });
        quiet_database(&w);
        w.alerts
            .set_metric("mcp-typescript-api", MetricKind::P95Latency, Some(2.5));
        let r = investigate(&w).await;
        match r.advice.as_slice() {
            [
                Suggestion::Scale {
                    target: ScaleTarget::AutoscalerMax { from, to, .. },
                    command,
                    ..
                },
            ] => {
                assert_eq!((from.get(), to.get()), (3, 4));
                assert_eq!(
                    command,
                    "kubectl patch hpa mcp-typescript-api-hpa -n mcp-production --patch='{\"spec\":{\"maxReplicas\":4}}'"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_autoscaler_with_room_is_left_to_scale() {
        let w = World::new();
        quiet_database(&w);
        w.alerts
            .set_metric("mcp-typescript-api", MetricKind::P95Latency, Some(2.5));
        let ctx = w.ctx("investigate_latency", false);
        let r = investigate_latency(&ctx, &backends(&w), &LatencyInput::runbook())
            .await
            .unwrap();
        assert_eq!(r.severity, Some(Severity::P2));
        assert!(r.advice.is_empty(), "{:?}", r.advice);
        assert!(
            ctx.journal()
                .entries()
                .iter()
                .any(|e| e.step == "no scale" && e.outcome.detail().contains("may go up to 10"))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missing_backends_and_hung_probes_are_unknown() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-rust-server", MetricKind::P95Latency, Some(3.0));
        w.cluster.faults().hang("pod_usage");
        let b = LatencyBackends {
            metrics: Some(&w.alerts),
            scaler: Some(&w.cluster),
            maintenance: None,
        };
        let ctx = w.ctx("investigate_latency", false);
        let input = LatencyInput {
            deadline: Duration::from_secs(1),
            ..LatencyInput::runbook()
        };
        let started = tokio::time::Instant::now();
        let r = investigate_latency(&ctx, &b, &input).await.unwrap();
        assert!(started.elapsed() <= Duration::from_secs(1));
        assert!(!r.complete);
        for check in [Check::ActiveQueries, Check::PodUsage] {
            assert_eq!(
                r.findings.iter().find(|f| f.check == check).unwrap().status,
                HealthStatus::Unknown
            );
        }
        assert!(
            matches!(r.advice.as_slice(), [Suggestion::Scale { .. }]),
            "{:?}",
            r.advice
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_dry_run_makes_no_mutating_call() {
        let w = World::new();
        w.alerts
            .set_metric("mcp-rust-server", MetricKind::P95Latency, Some(3.0));
        let ctx = w.ctx("investigate_latency", true);
        let r = investigate_latency(&ctx, &backends(&w), &LatencyInput::runbook())
            .await
            .unwrap();
        assert!(!r.advice.is_empty());
        w.assert_read_only(&ctx);
    }
}
