//! `standard_deploy` and `emergency_rollback` on the mock backends: gates, verification,
//! automatic rollback, dry runs, concurrency and the rollback journal as Markdown.
#![cfg(all(feature = "mock", feature = "testing"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use mcp_ops_core::backup::{BackupKind, BackupRequest};
use mcp_ops_core::deploy::UndoReport;
use mcp_ops_core::health::{HealthStatus, MetricKind};
use mcp_ops_core::mock::{
    ClusterBehaviour, MockAlerting, MockAlertingBuilder, MockCluster, MockDatabase,
    MockDatabaseBuilder, MockDeployer,
};
use mcp_ops_core::runbook::emergency_rollback::{
    EmergencyRollback, RollbackBackends, RollbackStatus, emergency_rollback,
};
use mcp_ops_core::runbook::smoke::{SmokeCheck, SmokeReport, SmokeTest};
use mcp_ops_core::runbook::standard_deploy::{
    BakeConfig, BakeVerdict, Checklist, DeployBackends, DeployOutcome, DeployReport, DeployRequest,
    Gate, GateResult, NoDataPolicy, standard_deploy,
};
use mcp_ops_core::runbook::{Context, StepOutcome};
use mcp_ops_core::types::{
    ContainerName, DeploymentRef, ImageRef, Intent, Replicas, ResourceRequirements, Revision,
};
use mcp_ops_core::{BackupManager, Deployer, Error, Escalator, Severity, TokioClock, UndoOutcome};

const T0: &str = "2025-01-08T14:30:00Z";

/// The caller's smoke tests: pass or fail, counting runs.
struct Smoke {
    pass: bool,
    runs: AtomicUsize,
}

impl Smoke {
    fn passing() -> Self {
        Self {
            pass: true,
            runs: AtomicUsize::new(0),
        }
    }

    fn failing() -> Self {
        Self {
            pass: false,
            runs: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl SmokeTest for Smoke {
    async fn run(&self) -> mcp_ops_core::Result<SmokeReport> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let tools = if self.pass {
            SmokeCheck::pass("list tools", "HTTP 200")
        } else {
            SmokeCheck::fail("list tools", "HTTP 500")
        };
        Ok(SmokeReport::new(vec![
            SmokeCheck::pass("login", "HTTP 200"),
            tools,
        ]))
    }
}

/// One cluster, database and alerting system on one paused clock; a fresh verified backup of
/// `mcp_db`; recorded calls cleared.
struct Env {
    cluster: MockCluster,
    db: MockDatabase,
    alerting: MockAlerting,
    clock: Arc<TokioClock>,
}

impl Env {
    async fn new() -> Self {
        Self::with_cluster(MockCluster::builder_runbook()).await
    }

    async fn with_cluster(builder: mcp_ops_core::mock::MockClusterBuilder) -> Self {
        let clock = Arc::new(TokioClock::starting_at(T0.parse().unwrap()));
        let cluster = builder.clock(clock.clone()).build();
        let db = MockDatabaseBuilder::runbook().clock(clock.clone()).build();
        let alerting = MockAlertingBuilder::runbook().clock(clock.clone()).build();
        let request = BackupRequest {
            kind: BackupKind::Database {
                database: "mcp_db".into(),
            },
            label: None,
        };
        db.backup(&request, &intent("nightly backup"))
            .await
            .unwrap();
        db.faults().reset_calls();
        Self {
            cluster,
            db,
            alerting,
            clock,
        }
    }

    fn ctx(&self, procedure: &'static str, dry_run: bool) -> Context {
        let reason = match procedure {
            "emergency_rollback" => "error rate > 10 % after v1.0.1",
            _ => "deploy v1.0.1",
        };
        let intent = intent(reason).with_dry_run(dry_run);
        Context::new(procedure, intent, self.clock.clone())
    }

    fn backends<'a>(&'a self, smoke: &'a Smoke) -> DeployBackends<'a> {
        DeployBackends {
            deployer: &self.cluster,
            backups: &self.db,
            health: &self.cluster,
            metrics: &self.alerting,
            smoke,
            escalator: &self.alerting,
        }
    }

    async fn deploy(&self, request: &DeployRequest, smoke: &Smoke) -> (DeployReport, Context) {
        let ctx = self.ctx("standard_deploy", false);
        let report = standard_deploy(&ctx, &self.backends(smoke), request)
            .await
            .unwrap();
        (report, ctx)
    }

    async fn image_of(&self, d: &DeploymentRef) -> ImageRef {
        let s = self.cluster.deployment(d).await.unwrap();
        s.images.values().next().unwrap().clone()
    }

    /// Nothing changed anywhere: no mutating call on any backend and none in the journal.
    fn assert_nothing_changed(&self, ctx: &Context) {
        assert!(self.cluster.faults().state_changes().is_empty());
        assert!(self.db.faults().state_changes().is_empty());
        assert!(self.alerting.faults().state_changes().is_empty());
        assert!(ctx.journal().state_changes().is_empty());
    }
}

fn intent(reason: &str) -> Intent {
    Intent::new(reason, "ops-bot").unwrap()
}

fn api() -> DeploymentRef {
    "mcp-production/mcp-typescript-api".parse().unwrap()
}

fn image(tag: &str) -> ImageRef {
    ImageRef::parse(&format!("ghcr.io/your-org/mcp-typescript-server:{tag}")).unwrap()
}

fn rev(n: u64) -> Revision {
    Revision::new(n).unwrap()
}

/// The runbook's deployment of v1.0.1 with every caller gate green.
fn request(tag: &str) -> DeployRequest {
    DeployRequest::runbook(image(tag))
        .unwrap()
        .with_checklist(Checklist::all_passed(
            "CI run 4711 green",
            "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
        ))
}

fn steps(ctx: &Context) -> Vec<String> {
    ctx.journal()
        .entries()
        .into_iter()
        .map(|e| e.step)
        .collect()
}

// ---------------------------------------------------------------- standard_deploy: success

#[tokio::test(start_paused = true)]
async fn success_path_deploys_verifies_and_bakes_for_30_minutes() {
    let env = Env::new().await;
    let smoke = Smoke::passing();
    let started = tokio::time::Instant::now();
    let (report, ctx) = env.deploy(&request("v1.0.1"), &smoke).await;

    assert_eq!(report.outcome, DeployOutcome::Deployed { revision: rev(3) });
    assert!(report.gates.iter().all(|g| g.passed), "{:?}", report.gates);
    assert_eq!(report.gates.len(), 5);
    assert_eq!(env.image_of(&api()).await, image("v1.0.1"));
    let history = env.cluster.history(&api()).await.unwrap();
    let cause = history.last().unwrap().change_cause.clone().unwrap();
    assert!(cause.contains("deploy v1.0.1"), "{cause}");
    assert_eq!(smoke.runs.load(Ordering::SeqCst), 1);

    let bake = report.bake.unwrap();
    assert_eq!(bake.verdict, BakeVerdict::Pass);
    assert_eq!(bake.samples, 30);
    assert_eq!(bake.max_error_rate, Some(0.01));
    assert!(started.elapsed() >= Duration::from_secs(30 * 60));
    assert!(env.alerting.open_incidents().await.unwrap().is_empty());
    assert_eq!(env.cluster.faults().count("undo"), 0);

    let s = steps(&ctx);
    let pos = |name: &str| s.iter().position(|x| x == name).unwrap();
    assert!(pos("gate: backup verification completed") < pos("set image"));
    assert!(pos("set image") < pos("wait for rollout"));
    assert!(pos("wait for rollout") < pos("verify health"));
    assert!(pos("verify health") < pos("run smoke tests"));
    assert!(pos("run smoke tests") < pos("bake sample 1/30"));
    assert!(pos("bake sample 30/30") < pos("deployed"));
    assert_eq!(
        ctx.journal().state_changes().len(),
        1,
        "only set image changes state"
    );
}

#[tokio::test(start_paused = true)]
async fn missing_metrics_make_the_bake_inconclusive_never_a_success() {
    let env = Env::new().await;
    env.alerting
        .set_metric("mcp-typescript-api", MetricKind::ErrorRate, None);
    env.alerting
        .set_metric("mcp-typescript-api", MetricKind::P95Latency, None);
    let mut req = request("v1.0.1");
    req.bake = BakeConfig {
        duration: Duration::from_secs(5 * 60),
        ..BakeConfig::default()
    };
    let (report, _) = env.deploy(&req, &Smoke::passing()).await;
    let DeployOutcome::Unverified {
        revision,
        why,
        policy,
    } = &report.outcome
    else {
        panic!("expected Unverified, got {:?}", report.outcome);
    };
    assert_eq!((*revision, *policy), (rev(3), NoDataPolicy::Hold));
    assert!(why.contains("no metric data in 5 of 5 samples"), "{why}");
    let bake = report.bake.unwrap();
    assert!(matches!(bake.verdict, BakeVerdict::Inconclusive { .. }));
    assert_eq!((bake.samples, bake.inconclusive), (5, 5));
}

// ------------------------------------------------------------------ standard_deploy: gates

/// Runs a deployment that must be refused because of `gate`; checks nothing changed.
async fn assert_refused(env: &Env, req: &DeployRequest, gate: Gate) {
    let ctx = env.ctx("standard_deploy", false);
    let smoke = Smoke::passing();
    let report = standard_deploy(&ctx, &env.backends(&smoke), req)
        .await
        .unwrap();
    let DeployOutcome::Refused { why } = &report.outcome else {
        panic!("expected Refused, got {:?}", report.outcome);
    };
    assert!(why.contains(gate.title()), "{why}");
    let verdict = report.gates.iter().find(|g| g.gate == gate).unwrap();
    assert!(!verdict.passed);
    env.assert_nothing_changed(&ctx);
    assert_eq!(env.cluster.faults().count("set_image"), 0);
    assert_eq!(env.image_of(&api()).await, image("v1.0.0"));
    assert_eq!(smoke.runs.load(Ordering::SeqCst), 0);
    let last = ctx.journal().entries().pop().unwrap();
    assert_eq!(last.step, "refuse");
}

#[tokio::test(start_paused = true)]
async fn failing_tests_refuse() {
    let env = Env::new().await;
    let mut req = request("v1.0.1");
    req.checklist.tests = GateResult::failed("2 tests failing");
    assert_refused(&env, &req, Gate::TestsPassed).await;
}

#[tokio::test(start_paused = true)]
async fn unclean_security_scans_refuse() {
    let env = Env::new().await;
    let mut req = request("v1.0.1");
    req.checklist.security_scans = GateResult::failed("1 critical CVE");
    assert_refused(&env, &req, Gate::SecurityScansClean).await;
}

#[tokio::test(start_paused = true)]
async fn benchmarks_outside_the_sla_refuse() {
    let env = Env::new().await;
    let mut req = request("v1.0.1");
    req.checklist.benchmarks = GateResult::failed("p95 2.4 s > SLA 2 s");
    assert_refused(&env, &req, Gate::BenchmarksWithinSla).await;
}

#[tokio::test(start_paused = true)]
async fn an_unreported_gate_refuses() {
    let env = Env::new().await;
    let mut req = request("v1.0.1");
    req.checklist.benchmarks = GateResult::NotReported;
    assert_refused(&env, &req, Gate::BenchmarksWithinSla).await;
}

#[tokio::test(start_paused = true)]
async fn a_missing_rollback_plan_refuses() {
    let env = Env::new().await;
    let mut req = request("v1.0.1");
    req.checklist.rollback_plan = Some("  ".into());
    assert_refused(&env, &req, Gate::RollbackPlanPresent).await;
}

#[tokio::test(start_paused = true)]
async fn no_backup_refuses() {
    let clock = Arc::new(TokioClock::starting_at(T0.parse().unwrap()));
    let env = Env::new().await;
    let empty = Env {
        db: MockDatabaseBuilder::runbook().clock(clock).build(),
        ..env
    };
    assert_refused(&empty, &request("v1.0.1"), Gate::BackupVerified).await;
}

#[tokio::test(start_paused = true)]
async fn a_backup_older_than_24_hours_refuses() {
    let env = Env::new().await;
    tokio::time::sleep(Duration::from_secs(25 * 3600)).await;
    assert_refused(&env, &request("v1.0.1"), Gate::BackupVerified).await;
    assert_eq!(
        env.db.faults().count("verify"),
        0,
        "too old: not even verified"
    );
}

#[tokio::test(start_paused = true)]
async fn a_backup_failing_verification_refuses() {
    let env = Env::new().await;
    let newest = env.db.list().await.unwrap().pop().unwrap();
    env.db.corrupt_backup(&newest.id).unwrap();
    assert_refused(&env, &request("v1.0.1"), Gate::BackupVerified).await;
    assert_eq!(env.db.faults().count("verify"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_forced_gate_proceeds_and_the_reason_is_journaled() {
    let env = Env::new().await;
    let mut req = request("v1.0.1").forced("hotfix for INC-0042 approved by the team lead");
    req.checklist.security_scans = GateResult::failed("scanner outage");
    req.bake.duration = Duration::from_secs(120);
    let (report, ctx) = env.deploy(&req, &Smoke::passing()).await;
    assert_eq!(report.outcome, DeployOutcome::Deployed { revision: rev(3) });
    assert_eq!(
        report.forced.as_deref(),
        Some("hotfix for INC-0042 approved by the team lead")
    );
    let force = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "force")
        .unwrap();
    assert!(force.outcome.detail().contains("scanner outage"));
    assert!(force.outcome.detail().contains("INC-0042"));
    assert_eq!(env.image_of(&api()).await, image("v1.0.1"));
}

#[tokio::test(start_paused = true)]
async fn an_empty_force_reason_is_invalid_input() {
    let env = Env::new().await;
    let req = request("v1.0.1").forced(" ");
    let ctx = env.ctx("standard_deploy", false);
    let smoke = Smoke::passing();
    let r = standard_deploy(&ctx, &env.backends(&smoke), &req).await;
    assert!(matches!(r, Err(Error::InvalidInput { field: "force", .. })));
    assert!(ctx.journal().is_empty());
}

// ------------------------------------------------------- standard_deploy: automatic rollback

/// The deployment was undone to v1.0.0, one P1 incident is open, and it says `needle`.
async fn assert_rolled_back(env: &Env, report: &DeployReport, needle: &str) {
    let DeployOutcome::RolledBack { from, to, why } = &report.outcome else {
        panic!("expected RolledBack, got {:?}", report.outcome);
    };
    assert_eq!((*from, *to), (rev(3), rev(2)));
    assert!(why.contains(needle), "{why}");
    assert_eq!(env.image_of(&api()).await, image("v1.0.0"));
    assert_eq!(env.cluster.faults().count("undo"), 1);
    let incidents = env.alerting.open_incidents().await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].severity, Severity::P1);
    assert!(
        incidents[0].impact.contains(needle),
        "{}",
        incidents[0].impact
    );
    assert_eq!(report.incident.as_ref(), Some(&incidents[0].id));
    assert_eq!(report.health_after_rollback, Some(HealthStatus::Healthy));
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollout_is_undone_and_an_incident_opened() {
    let env = Env::new().await;
    env.cluster.mark_bad_image(&image("v1.0.1"));
    let smoke = Smoke::passing();
    let (report, ctx) = env.deploy(&request("v1.0.1"), &smoke).await;
    assert_rolled_back(&env, &report, "ProgressDeadlineExceeded").await;
    assert_eq!(
        smoke.runs.load(Ordering::SeqCst),
        0,
        "no smoke test on a failed rollout"
    );
    assert!(report.bake.is_none());
    let s = steps(&ctx);
    for step in [
        "set image",
        "decide",
        "rollback",
        "verify health",
        "open incident",
    ] {
        assert!(s.iter().any(|x| x == step), "{step} missing from {s:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_rate_above_10_percent_during_the_bake_rolls_back() {
    let env = Env::new().await;
    // The error rate climbs to 15 % five minutes into the bake.
    let alerting = env.alerting.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(5 * 60 + 30)).await;
        alerting.set_metric("mcp-typescript-api", MetricKind::ErrorRate, Some(0.15));
    });
    let (report, _) = env.deploy(&request("v1.0.1"), &Smoke::passing()).await;
    assert_rolled_back(&env, &report, "error rate 15.0 % > 10.0 %").await;
    let bake = report.bake.unwrap();
    let BakeVerdict::Breach {
        sample, error_rate, ..
    } = bake.verdict
    else {
        panic!("expected a breach, got {:?}", bake.verdict);
    };
    assert_eq!(error_rate, Some(0.15));
    assert!((5..=7).contains(&sample), "breach at sample {sample}");
    assert_eq!(bake.samples, sample, "the bake stops at the breach");
}

#[tokio::test(start_paused = true)]
async fn a_p95_above_5_seconds_during_the_bake_rolls_back() {
    let env = Env::new().await;
    env.alerting
        .set_metric("mcp-typescript-api", MetricKind::P95Latency, Some(6.0));
    let (report, _) = env.deploy(&request("v1.0.1"), &Smoke::passing()).await;
    assert_rolled_back(&env, &report, "p95 6.00 s > 5 s").await;
}

#[tokio::test(start_paused = true)]
async fn an_erroring_image_fails_health_and_rolls_back() {
    let env = Env::new().await;
    env.cluster.mark_erroring_image(&image("v1.0.1"));
    let (report, _) = env.deploy(&request("v1.0.1"), &Smoke::passing()).await;
    assert_rolled_back(&env, &report, "HTTP 500").await;
}

#[tokio::test(start_paused = true)]
async fn failing_smoke_tests_roll_back() {
    let env = Env::new().await;
    let smoke = Smoke::failing();
    let (report, _) = env.deploy(&request("v1.0.1"), &smoke).await;
    assert_rolled_back(
        &env,
        &report,
        "smoke tests failed: 1/2 passed; failed: list tools (HTTP 500)",
    )
    .await;
    assert_eq!(smoke.runs.load(Ordering::SeqCst), 1);
    assert!(report.bake.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_rollout_that_does_not_finish_in_time_rolls_back() {
    let slow = ClusterBehaviour {
        rollout_steps: 10_000,
        ..ClusterBehaviour::default()
    };
    let env = Env::with_cluster(MockCluster::builder_runbook().behaviour(slow)).await;
    let mut req = request("v1.0.1");
    req.rollout_timeout = Duration::from_secs(60);
    let started = tokio::time::Instant::now();
    let (report, _) = env.deploy(&req, &Smoke::passing()).await;
    let DeployOutcome::RolledBack { why, .. } = &report.outcome else {
        panic!("expected RolledBack, got {:?}", report.outcome);
    };
    assert!(why.contains("timed out after 60s"), "{why}");
    assert_eq!(env.image_of(&api()).await, image("v1.0.0"));
    // Two waits (the deployment and its rollback) of 60 s each, nothing longer.
    assert!(
        started.elapsed() < Duration::from_secs(125),
        "{:?}",
        started.elapsed()
    );
    let incident = env.alerting.open_incidents().await.unwrap().pop().unwrap();
    assert!(
        incident.impact.contains("the rollback's rollout failed"),
        "{}",
        incident.impact
    );
}

#[tokio::test(start_paused = true)]
async fn an_undo_that_fails_is_reported_and_still_opens_an_incident() {
    let env = Env::new().await;
    env.cluster.mark_bad_image(&image("v1.0.1"));
    env.cluster.faults().fail_next(
        "undo",
        1,
        Error::backend("mock-cluster", "admission webhook denied", false),
    );
    let (report, _) = env.deploy(&request("v1.0.1"), &Smoke::passing()).await;
    let DeployOutcome::RollbackFailed { why, error } = &report.outcome else {
        panic!("expected RollbackFailed, got {:?}", report.outcome);
    };
    assert!(why.contains("ProgressDeadlineExceeded"));
    assert!(error.contains("admission webhook denied"));
    let incident = env.alerting.open_incidents().await.unwrap().pop().unwrap();
    assert!(incident.title.contains("rollback did not happen"));
    assert_eq!(report.incident, Some(incident.id));
}

#[tokio::test(start_paused = true)]
async fn a_failing_metric_backend_is_inconclusive_not_a_breach_nor_a_success() {
    let env = Env::new().await;
    env.alerting
        .faults()
        .fail_next("check", usize::MAX, Error::unavailable("prometheus", "503"));
    let mut req = request("v1.0.1");
    req.bake.duration = Duration::from_secs(3 * 60);
    let (report, _) = env.deploy(&req, &Smoke::passing()).await;
    let DeployOutcome::Unverified { why, .. } = &report.outcome else {
        panic!("expected Unverified, got {:?}", report.outcome);
    };
    assert!(why.contains("503"), "{why}");
    assert_eq!(env.cluster.faults().count("undo"), 0, "held, not undone");
    let bake = report.bake.unwrap();
    assert!(matches!(bake.verdict, BakeVerdict::Inconclusive { .. }));
    assert_eq!(bake.inconclusive, 3);
}

#[tokio::test(start_paused = true)]
async fn deploying_the_running_image_changes_nothing_more() {
    let env = Env::new().await;
    let (report, ctx) = env.deploy(&request("v1.0.0"), &Smoke::passing()).await;
    assert_eq!(report.outcome, DeployOutcome::Deployed { revision: rev(2) });
    assert_eq!(env.cluster.history(&api()).await.unwrap().len(), 2);
    assert!(!steps(&ctx).iter().any(|s| s == "wait for rollout"));
}

// ------------------------------------------------------------------- standard_deploy: dry run

#[tokio::test(start_paused = true)]
async fn a_dry_run_plans_without_a_single_mutating_call() {
    let env = Env::new().await;
    let ctx = env.ctx("standard_deploy", true);
    let smoke = Smoke::passing();
    let report = standard_deploy(&ctx, &env.backends(&smoke), &request("v1.0.1"))
        .await
        .unwrap();
    let DeployOutcome::Planned { plan } = &report.outcome else {
        panic!("expected a plan, got {:?}", report.outcome);
    };
    env.assert_nothing_changed(&ctx);
    assert_eq!(env.image_of(&api()).await, image("v1.0.0"));
    assert_eq!(smoke.runs.load(Ordering::SeqCst), 0);
    let names: Vec<&str> = plan.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        names,
        [
            "set image",
            "wait for rollout",
            "verify health",
            "run smoke tests",
            "bake 30 min (sample every 1 min)"
        ]
    );
    assert_eq!(
        plan.steps[0].command,
        "kubectl set image deployment/mcp-typescript-api mcp-typescript-api=ghcr.io/your-org/mcp-typescript-server:v1.0.1 -n mcp-production"
    );
    assert_eq!(
        plan.steps[1].command,
        "kubectl rollout status deployment/mcp-typescript-api -n mcp-production --timeout=600s"
    );
    assert_eq!(
        plan.steps[2].command,
        "curl -f https://api.mcp-production.com/health"
    );
    assert!(plan.steps.iter().all(|s| !s.command.contains("undo")));
    assert!(
        plan.steps[4].command.contains(
            "rate(http_requests_total{service=\"mcp-typescript-api\",status=~\"5..\"}[5m])"
        )
    );
}

// ------------------------------------------------------------------------ emergency_rollback

fn rollback_backends<'a>(env: &'a Env, smoke: &'a Smoke) -> RollbackBackends<'a> {
    RollbackBackends {
        deployer: &env.cluster,
        health: &env.cluster,
        smoke,
        escalator: &env.alerting,
    }
}

#[tokio::test(start_paused = true)]
async fn emergency_rollback_undoes_the_three_deployments_concurrently() {
    let env = Env::new().await;
    let ctx = env.ctx("emergency_rollback", false);
    let smoke = Smoke::passing();
    let started = tokio::time::Instant::now();
    let report = emergency_rollback(
        &ctx,
        &rollback_backends(&env, &smoke),
        &EmergencyRollback::runbook().unwrap(),
    )
    .await
    .unwrap();
    let took = started.elapsed();

    let names: Vec<&str> = report
        .deployments
        .iter()
        .map(|d| d.deployment.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "mcp-typescript-api",
            "mcp-learning-system",
            "mcp-rust-server"
        ]
    );
    for line in &report.deployments {
        assert_eq!(
            line.status,
            RollbackStatus::Undo(UndoOutcome::RolledBack {
                from: rev(2),
                to: rev(1)
            }),
            "{}",
            line.deployment
        );
        let s = env.cluster.deployment(&line.deployment).await.unwrap();
        assert!(s.images.values().all(|i| i.tag() == Some("v0.9.0")));
    }
    assert_eq!(report.health, Some(HealthStatus::Healthy));
    assert!(report.smoke.as_ref().unwrap().passed());
    assert!(report.recovered());
    let incidents = env.alerting.open_incidents().await.unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(report.incident.as_ref(), Some(&incidents[0].id));
    assert!(
        incidents[0]
            .impact
            .contains("mcp-rust-server: rolled back from revision 2 to the template of revision 1")
    );
    // One rollout takes 1.5 s of cluster time; three in sequence would take 4.5 s.
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[tokio::test(start_paused = true)]
async fn emergency_rollback_reports_each_deployment_on_its_own() {
    let extra: DeploymentRef = "mcp-production/mcp-new-service".parse().unwrap();
    let builder = MockCluster::builder_runbook().deployment(
        extra.clone(),
        ContainerName::new("mcp-new-service").unwrap(),
        ImageRef::parse("ghcr.io/your-org/mcp-new-service:v0.1.0").unwrap(),
        Replicas::new(1).unwrap(),
        ResourceRequirements::runbook_typescript_api(),
    );
    let env = Env::with_cluster(builder).await;
    let learning: DeploymentRef = "mcp-production/mcp-learning-system".parse().unwrap();
    env.cluster
        .set_paused(&learning, true, &intent("freeze"))
        .await
        .unwrap();
    env.cluster.faults().reset_calls();
    // The first undo (mcp-typescript-api, asked first) fails for good.
    env.cluster.faults().fail_next(
        "undo",
        1,
        Error::backend("mock-cluster", "admission webhook denied", false),
    );
    let mut req = EmergencyRollback::runbook().unwrap();
    req.deployments.push(extra);
    let ctx = env.ctx("emergency_rollback", false);
    let smoke = Smoke::passing();
    let report = emergency_rollback(&ctx, &rollback_backends(&env, &smoke), &req)
        .await
        .unwrap();
    let statuses: Vec<&RollbackStatus> = report.deployments.iter().map(|d| &d.status).collect();
    assert!(
        matches!(statuses[0], RollbackStatus::Failed { error } if error.contains("admission webhook denied"))
    );
    assert_eq!(statuses[1], &RollbackStatus::Undo(UndoOutcome::Paused));
    assert_eq!(
        statuses[2],
        &RollbackStatus::Undo(UndoOutcome::RolledBack {
            from: rev(2),
            to: rev(1)
        })
    );
    assert_eq!(statuses[3], &RollbackStatus::Undo(UndoOutcome::NoHistory));
    assert!(!statuses[0].is_back() && !statuses[1].is_back() && !statuses[3].is_back());
    assert!(statuses[2].is_back());
    assert!(!report.recovered());
    let incident = env
        .alerting
        .incident(report.incident.as_ref().unwrap())
        .await
        .unwrap();
    assert!(
        incident
            .impact
            .contains("mcp-learning-system: cannot roll back a paused deployment"),
        "{}",
        incident.impact
    );
    assert!(
        incident
            .impact
            .contains("mcp-new-service: no rollout history found")
    );
}

#[tokio::test(start_paused = true)]
async fn emergency_rollback_reports_a_skipped_undo() {
    let env = Env::new().await;
    let mut deployer = MockDeployer::new();
    deployer.expect_backend().return_const("mockall");
    deployer.expect_undo().times(1).returning(|d, to, intent| {
        assert_eq!(to, None);
        assert_eq!(intent.reason(), "error rate > 10 % after v1.0.1");
        Ok(UndoReport {
            deployment: d.clone(),
            outcome: UndoOutcome::Skipped {
                already_at: Revision::new(1).unwrap(),
            },
            dry_run: false,
        })
    });
    deployer.expect_wait_for_rollout().never();
    let smoke = Smoke::passing();
    let backends = RollbackBackends {
        deployer: &deployer,
        health: &env.cluster,
        smoke: &smoke,
        escalator: &env.alerting,
    };
    let ctx = env.ctx("emergency_rollback", false);
    let report = emergency_rollback(&ctx, &backends, &EmergencyRollback::new(vec![api()]))
        .await
        .unwrap();
    assert_eq!(
        report.deployments[0].status,
        RollbackStatus::Undo(UndoOutcome::Skipped { already_at: rev(1) })
    );
    assert!(report.recovered());
}

#[tokio::test(start_paused = true)]
async fn emergency_rollback_dry_run_plans_every_undo_and_changes_nothing() {
    let env = Env::new().await;
    let ctx = env.ctx("emergency_rollback", true);
    let smoke = Smoke::passing();
    let report = emergency_rollback(
        &ctx,
        &rollback_backends(&env, &smoke),
        &EmergencyRollback::runbook().unwrap(),
    )
    .await
    .unwrap();
    env.assert_nothing_changed(&ctx);
    assert_eq!(env.cluster.faults().count("undo"), 0);
    assert_eq!(smoke.runs.load(Ordering::SeqCst), 0);
    assert!(
        report
            .deployments
            .iter()
            .all(|d| d.status == RollbackStatus::Planned)
    );
    let plan = report.plan.unwrap();
    let undos: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.step == "rollback")
        .map(|s| s.command.as_str())
        .collect();
    assert_eq!(
        undos,
        [
            "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
            "kubectl rollout undo deployment/mcp-learning-system -n mcp-production",
            "kubectl rollout undo deployment/mcp-rust-server -n mcp-production",
        ]
    );
    let last: Vec<&str> = plan
        .steps
        .iter()
        .rev()
        .take(3)
        .map(|s| s.step.as_str())
        .collect();
    assert_eq!(
        last,
        ["record incident", "run smoke tests", "verify health"]
    );
}

#[tokio::test(start_paused = true)]
async fn emergency_rollback_rejects_an_empty_or_repeated_list() {
    let env = Env::new().await;
    let smoke = Smoke::passing();
    let ctx = env.ctx("emergency_rollback", false);
    let empty = EmergencyRollback::new(Vec::new());
    let r = emergency_rollback(&ctx, &rollback_backends(&env, &smoke), &empty).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })));
    let twice = EmergencyRollback::new(vec![api(), api()]);
    let r = emergency_rollback(&ctx, &rollback_backends(&env, &smoke), &twice).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })));
    assert!(env.cluster.faults().calls().is_empty());
}

// ------------------------------------------------------------------------------ the journal

#[tokio::test(start_paused = true)]
async fn the_rollback_journal_renders_as_a_markdown_timeline() {
    let env = Env::new().await;
    env.cluster.mark_bad_image(&image("v1.0.1"));
    let (report, ctx) = env.deploy(&request("v1.0.1"), &Smoke::passing()).await;
    assert!(matches!(report.outcome, DeployOutcome::RolledBack { .. }));
    let md = ctx
        .journal()
        .to_markdown("Deployment of mcp-typescript-server v1.0.1 rolled back");
    let entries = ctx.journal().entries();
    assert!(
        entries
            .iter()
            .any(|e| matches!(e.outcome, StepOutcome::Ok(_)))
    );
    for e in &entries {
        assert!(
            md.contains(&format!("| {} |", e.step)),
            "{} missing",
            e.step
        );
    }
    insta::assert_snapshot!(md);
}

#[tokio::test(start_paused = true)]
async fn an_absurd_rollout_timeout_or_bake_is_refused_before_anything_changes() {
    // The caller's timeout used to be added to an `Instant` and to a margin: both overflowed.
    // Now a wait or a bake beyond 24 h is refused as a mistake, before any read or write.
    let env = Env::new().await;
    let smoke = Smoke::passing();
    let mut long_wait = request("v1.0.1");
    long_wait.rollout_timeout = Duration::MAX;
    let mut long_bake = request("v1.0.1");
    long_bake.bake.duration = Duration::from_secs(24 * 3600 + 1);
    let mut short_window = request("v1.0.1");
    short_window.bake.window = Duration::from_secs(30);
    for (req, field) in [
        (long_wait, "rollout_timeout"),
        (long_bake, "bake"),
        (short_window, "bake.window"),
    ] {
        let ctx = env.ctx("standard_deploy", false);
        let err = standard_deploy(&ctx, &env.backends(&smoke), &req)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput { field: f, .. } if *f == field),
            "{err}"
        );
        assert!(ctx.journal().entries().is_empty());
    }
    assert_eq!(env.image_of(&api()).await, image("v1.0.0"));
}
