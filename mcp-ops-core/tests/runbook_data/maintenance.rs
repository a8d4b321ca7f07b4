//! `maintenance_window`: the window, every step, and scaling back after failures.

use super::*;

fn maintenance_input() -> MaintenanceInput {
    MaintenanceInput {
        non_essential: vec![d("mcp-learning-system"), d("mcp-typescript-api")],
        ..MaintenanceInput::default()
    }
}

async fn run_maintenance(
    w: &World,
    ctx: &Context,
    input: &MaintenanceInput,
    backups: &dyn BackupManager,
) -> mcp_ops_core::runbook::maintenance_window::MaintenanceLog {
    let notifiers = w.notifiers();
    let health: [&dyn HealthCheck; 2] = [&w.db, &w.cluster];
    let b = MaintenanceBackends {
        scaler: &w.cluster,
        backups,
        database: &w.db,
        escalator: &w.alerting,
        notifiers: &notifiers,
        health: &health,
    };
    maintenance_window(ctx, b, input).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn maintenance_in_the_window_does_every_step_and_scales_back() {
    let w = World::at(SUNDAY_0200);
    let ctx = w.ctx("test", false);
    let log = run_maintenance(&w, &ctx, &maintenance_input(), &w.db).await;
    assert_eq!(log.status, MaintenanceStatus::Completed, "{log:?}");
    assert!(log.window.inside);
    // Notified (Slack takes P3, PagerDuty does not page for maintenance).
    assert_eq!(w.slack.messages().len(), 2);
    assert!(w.slack.messages()[0].subject.contains("MAINTENANCE"));
    assert!(w.pagerduty.messages().is_empty());
    assert_eq!(log.notified, vec!["slack".to_owned()]);
    // Two silences, for the window, expired at the end.
    let silences = w.alerting.silences().await.unwrap();
    assert_eq!(silences.len(), 2);
    assert!(silences.iter().all(|s| s.expired));
    let names: Vec<&str> = silences
        .iter()
        .map(|s| s.request.matchers[0].value.as_str())
        .collect();
    assert!(names.contains(&"HighErrorRate") && names.contains(&"HighLatency"));
    assert_eq!(
        silences[0].request.ends_at,
        "2025-01-12T04:00:00Z".parse::<Timestamp>().unwrap()
    );
    // Scaled down, remembered, scaled back.
    assert!(
        matches!(&log.remembered[0], Remembered::Replicas { from, to, .. } if from.get() == 2 && to.get() == 0)
    );
    assert!(
        matches!(&log.remembered[1], Remembered::Bounds { from, to, .. }
        if (from.0.get(), from.1.get(), to.0.get(), to.1.get()) == (3, 10, 1, 1))
    );
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.api_bounds().await, (3, 10));
    assert_eq!(w.replicas("mcp-typescript-api").await, 3);
    // Backup verified, ANALYZE then VACUUM, index report, health.
    let backup = log.backup.as_ref().unwrap();
    assert_eq!(backup.status, BackupStatus::Succeeded);
    assert!(backup.id.as_str().starts_with("pre-maintenance"));
    assert!(log.verification.as_ref().unwrap().passed());
    let runs: Vec<MaintenanceTask> =
        w.db.maintenance_runs()
            .into_iter()
            .map(|r| r.task)
            .collect();
    assert_eq!(
        runs,
        vec![MaintenanceTask::Analyze, MaintenanceTask::Vacuum]
    );
    let index = log.index_report.as_ref().unwrap();
    assert!(!index.indexes.is_empty());
    assert!(!index.unused.is_empty(), "the seed has an unused index");
    assert_eq!(log.health.as_ref().unwrap().overall, HealthStatus::Healthy);
    // Order as in the runbook, and a log entry.
    assert!(position(&ctx, "scale down") < position(&ctx, "pre-maintenance backup"));
    assert!(position(&ctx, "pre-maintenance backup") < position(&ctx, "ANALYZE"));
    assert!(position(&ctx, "ANALYZE") < position(&ctx, "VACUUM"));
    assert!(position(&ctx, "VACUUM") < position(&ctx, "scale back"));
    assert!(position(&ctx, "scale back") < position(&ctx, "expire silence"));
    assert_eq!(steps(&ctx).last().unwrap(), "update maintenance log");
    let vacuum = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "VACUUM")
        .unwrap();
    assert_eq!(vacuum.command, "psql -U mcp_user -d mcp_db -c \"VACUUM;\"");
    assert!(log.warnings.is_empty(), "{:?}", log.warnings);
}

#[tokio::test(start_paused = true)]
async fn maintenance_outside_the_window_is_refused_and_changes_nothing() {
    let w = World::at(WEDNESDAY);
    let ctx = w.ctx("test", false);
    let log = run_maintenance(&w, &ctx, &maintenance_input(), &w.db).await;
    let MaintenanceStatus::Refused { why } = &log.status else {
        panic!("{log:?}")
    };
    assert!(why.contains("2025-01-12 02:00 UTC"), "{why}");
    w.nothing_changed(&ctx);
    assert!(w.db.maintenance_runs().is_empty());
    assert!(w.cluster.faults().calls().is_empty());
}

#[tokio::test(start_paused = true)]
async fn maintenance_forced_outside_the_window_runs_and_silences_for_the_window_length() {
    let w = World::at(WEDNESDAY);
    let ctx = w.ctx("test", false);
    let input = MaintenanceInput {
        force: Some("bloat on sessions, CR-2025-002".into()),
        ..maintenance_input()
    };
    let log = run_maintenance(&w, &ctx, &input, &w.db).await;
    assert_eq!(log.status, MaintenanceStatus::Completed, "{log:?}");
    assert!(!log.window.inside);
    assert_eq!(w.db.maintenance_runs().len(), 2);
    let silences = w.alerting.silences().await.unwrap();
    let s = &silences[0].request;
    assert_eq!(s.ends_at.duration_since(s.starts_at).as_secs(), 2 * 3600);
    assert!(
        ctx.journal()
            .entries()
            .iter()
            .any(|e| e.outcome.detail().contains("forced: bloat on sessions"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_vacuum_aborts_but_replicas_come_back_to_the_remembered_counts() {
    let w = World::at(SUNDAY_0200);
    w.db.faults().fail_next(
        "vacuum",
        3,
        Error::backend("mock", "could not extend file", false),
    );
    let ctx = w.ctx("test", false);
    let log = run_maintenance(&w, &ctx, &maintenance_input(), &w.db).await;
    let MaintenanceStatus::Aborted { step, why } = &log.status else {
        panic!("{log:?}")
    };
    assert_eq!(step, "VACUUM");
    assert!(why.contains("could not extend file"));
    // Down during the tasks, back afterwards.
    assert_eq!(w.cluster.faults().count("scale"), 2);
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.api_bounds().await, (3, 10));
    assert!(
        w.alerting
            .silences()
            .await
            .unwrap()
            .iter()
            .all(|s| s.expired)
    );
    assert!(log.index_report.is_none());
    let skipped = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "check index usage")
        .unwrap();
    assert!(matches!(skipped.outcome, StepOutcome::Skipped(_)));
    assert!(
        w.slack
            .messages()
            .last()
            .unwrap()
            .body
            .contains("Aborted at VACUUM")
    );
}

#[tokio::test(start_paused = true)]
async fn a_backup_that_does_not_verify_stops_the_tasks_and_still_scales_back() {
    let w = World::at(SUNDAY_0200);
    let mut backups = MockBackupManager::new();
    backups.expect_backend().return_const("mockall");
    backups
        .expect_backup()
        .times(1)
        .returning(|req: &BackupRequest, _: &Intent| {
            Ok(BackupRecord {
                id: BackupId::new("pre-maintenance-20250112-001").unwrap(),
                kind: req.kind.clone(),
                location: "/backups/pre-maintenance-20250112-001.sql".into(),
                size: 42,
                sha256: "0".repeat(64),
                started: Timestamp::UNIX_EPOCH,
                finished: Some(Timestamp::UNIX_EPOCH),
                status: BackupStatus::Succeeded,
            })
        });
    backups.expect_verify().times(1).returning(|id, _| {
        Ok(VerificationReport {
            id: id.clone(),
            checksum_ok: false,
            readable: Some(true),
            test_restore: TestRestore::Skipped,
            verified_at: Timestamp::UNIX_EPOCH,
        })
    });
    let ctx = w.ctx("test", false);
    let log = run_maintenance(&w, &ctx, &maintenance_input(), &backups).await;
    let MaintenanceStatus::Aborted { step, .. } = &log.status else {
        panic!("{log:?}")
    };
    assert_eq!(step, "pre-maintenance backup");
    assert!(
        w.db.maintenance_runs().is_empty(),
        "no ANALYZE/VACUUM without a verified backup"
    );
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.api_bounds().await, (3, 10));
}

#[tokio::test(start_paused = true)]
async fn maintenance_dry_run_plans_every_step_without_a_mutating_call() {
    let w = World::at(SUNDAY_0200);
    let ctx = w.ctx("test", true);
    let log = run_maintenance(&w, &ctx, &maintenance_input(), &w.db).await;
    assert_eq!(log.status, MaintenanceStatus::Planned);
    w.nothing_changed(&ctx);
    assert!(w.alerting.silences().await.unwrap().is_empty());
    let plan = log.plan.unwrap();
    let planned: Vec<&str> = plan.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        planned,
        vec![
            "notify maintenance start",
            "silence alerts",
            "silence alerts",
            "scale down",
            "scale down",
            "pre-maintenance backup",
            "ANALYZE",
            "VACUUM",
            "scale back",
            "scale back",
            "expire silence",
            "expire silence",
            "notify maintenance end",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_notifier_is_a_warning_not_a_reason_to_stop() {
    let w = World::at(SUNDAY_0200);
    w.slack.fail_next(100);
    let ctx = w.ctx("test", false);
    let log = run_maintenance(&w, &ctx, &maintenance_input(), &w.db).await;
    assert_eq!(log.status, MaintenanceStatus::Completed, "{log:?}");
    assert!(log.notified.is_empty());
    assert_eq!(log.warnings.len(), 2, "{:?}", log.warnings);
    assert!(log.warnings[0].contains("slack"));
    assert_eq!(w.db.maintenance_runs().len(), 2);
}
