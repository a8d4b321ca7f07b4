//! `recover_database`: verify first, stop, restore, always bring the services back.

use super::fail_second_scale::FailSecondScale;
use super::*;

async fn take_backup(w: &World) -> BackupId {
    let req = BackupRequest {
        kind: BackupKind::Database {
            database: "mcp_db".into(),
        },
        label: None,
    };
    let id =
        w.db.backup(&req, &Intent::new("nightly", "cron").unwrap())
            .await
            .unwrap()
            .id;
    w.db.faults().reset_calls();
    id
}

fn recovery_input(backup: BackupId, handling: AutoscaledHandling) -> RecoveryInput {
    RecoveryInput {
        autoscaled: handling,
        ..RecoveryInput::runbook(backup)
    }
}

async fn run_recovery(
    w: &World,
    ctx: &Context,
    input: &RecoveryInput,
) -> mcp_ops_core::runbook::recover_database::RecoveryReport {
    let health: [&dyn HealthCheck; 2] = [&w.db, &w.cluster];
    let b = RecoveryBackends {
        deployer: &w.cluster,
        scaler: &w.cluster,
        backups: &w.db,
        health: &health,
    };
    recover_database(ctx, b, input).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn recovery_restores_with_the_application_stopped_and_brings_it_back() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    w.db.set_table("users", 3); // the accident
    let ctx = w.ctx("test", false);
    let r = run_recovery(
        &w,
        &ctx,
        &recovery_input(id.clone(), AutoscaledHandling::PinToMinimum),
    )
    .await;
    assert_eq!(r.status, RecoveryStatus::Recovered, "{r:?}");
    assert_eq!(w.db.table_rows("users"), Some(1200));
    assert_eq!(w.db.restores(), vec![id]);
    assert!(r.integrity.iter().all(|c| c.passed) && r.integrity.len() == 1);
    assert_eq!(r.integrity[0].value, Some(1200));
    // Remembered counts, and back to them.
    assert_eq!(r.remembered.len(), 3);
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.replicas("mcp-rust-server").await, 3);
    assert_eq!(w.api_bounds().await, (3, 10));
    assert_eq!(w.replicas("mcp-typescript-api").await, 3);
    assert!(r.scale_back_failures.is_empty());
    assert_eq!(r.health.unwrap().overall, HealthStatus::Healthy);
    // Verified first; stopped before the restore; restarted after.
    assert!(position(&ctx, "verify backup") < position(&ctx, "scale down"));
    assert!(position(&ctx, "scale down") < position(&ctx, "restore database"));
    assert!(position(&ctx, "restore database") < position(&ctx, "scale back"));
    assert!(position(&ctx, "scale back") < position(&ctx, "verify health"));
    let note = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "autoscaler decision")
        .unwrap();
    assert!(note.outcome.detail().contains("one replica keeps running"));
    let restore = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "restore database")
        .unwrap();
    assert!(
        restore
            .command
            .starts_with("psql -U mcp_user -d mcp_db < /backups/")
    );
}

#[tokio::test(start_paused = true)]
async fn recovery_refuses_autoscaled_deployments_by_default_before_changing_anything() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    let ctx = w.ctx("test", false);
    let r = run_recovery(&w, &ctx, &RecoveryInput::runbook(id)).await;
    let RecoveryStatus::Refused { why } = &r.status else {
        panic!("{r:?}")
    };
    assert!(why.contains("mcp-typescript-api-hpa"), "{why}");
    w.nothing_changed(&ctx);
    assert!(w.db.restores().is_empty());
}

#[tokio::test(start_paused = true)]
async fn recovery_can_leave_autoscaled_deployments_running() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    let ctx = w.ctx("test", false);
    let r = run_recovery(&w, &ctx, &recovery_input(id, AutoscaledHandling::Leave)).await;
    assert_eq!(r.status, RecoveryStatus::Recovered, "{r:?}");
    assert!(r.remembered.iter().any(|e| matches!(e, Remembered::Untouched { deployment, .. } if deployment.name.as_str() == "mcp-typescript-api")));
    assert_eq!(w.cluster.faults().count("set_autoscaler_bounds"), 0);
    assert_eq!(w.cluster.faults().count("scale"), 4, "two down, two back");
}

#[tokio::test(start_paused = true)]
async fn a_corrupt_backup_is_refused_before_anything_is_scaled_down() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    w.db.corrupt_backup(&id).unwrap();
    let ctx = w.ctx("test", false);
    let r = run_recovery(
        &w,
        &ctx,
        &recovery_input(id, AutoscaledHandling::PinToMinimum),
    )
    .await;
    let RecoveryStatus::Refused { why } = &r.status else {
        panic!("{r:?}")
    };
    assert!(why.contains("checksum mismatch"), "{why}");
    w.nothing_changed(&ctx);
    assert!(
        w.cluster.faults().calls().is_empty(),
        "not even a read of the cluster"
    );
    assert!(w.db.restores().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_backup_failing_the_integrity_checks_is_refused_before_anything_is_scaled_down() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    let mut input = recovery_input(id, AutoscaledHandling::PinToMinimum);
    input.integrity_checks[0].min = 5000;
    let ctx = w.ctx("test", false);
    let r = run_recovery(&w, &ctx, &input).await;
    let RecoveryStatus::Refused { why } = &r.status else {
        panic!("{r:?}")
    };
    assert!(why.contains("test restore failed"), "{why}");
    w.nothing_changed(&ctx);
}

#[tokio::test(start_paused = true)]
async fn a_failing_restore_still_brings_the_services_back() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    w.db.faults()
        .fail_next("restore", 1, Error::backend("mock", "disk full", false));
    let ctx = w.ctx("test", false);
    let r = run_recovery(
        &w,
        &ctx,
        &recovery_input(id, AutoscaledHandling::PinToMinimum),
    )
    .await;
    let RecoveryStatus::RestoreFailed { why } = &r.status else {
        panic!("{r:?}")
    };
    assert!(why.contains("disk full"));
    assert!(w.db.restores().is_empty());
    assert_eq!(w.cluster.faults().count("scale"), 4);
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.replicas("mcp-rust-server").await, 3);
    assert_eq!(w.api_bounds().await, (3, 10));
    assert!(r.health.is_some());
}

#[tokio::test(start_paused = true)]
async fn recovery_dry_run_plans_without_a_mutating_call() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    let ctx = w.ctx("test", true);
    let r = run_recovery(
        &w,
        &ctx,
        &recovery_input(id, AutoscaledHandling::PinToMinimum),
    )
    .await;
    assert_eq!(r.status, RecoveryStatus::Planned);
    w.nothing_changed(&ctx);
    let plan = r.plan.unwrap();
    let planned: Vec<&str> = plan.steps.iter().map(|s| s.step.as_str()).collect();
    assert_eq!(
        planned,
        vec![
            "scale down",
            "scale down",
            "scale down",
            "restore database",
            "scale back",
            "scale back",
            "scale back"
        ]
    );
    assert!(
        plan.steps.iter().any(|s| s.command
            == "kubectl scale deployment mcp-rust-server --replicas=0 -n mcp-production")
    );
    assert!(
        plan.steps.iter().any(|s| s.command
            == "kubectl scale deployment mcp-rust-server --replicas=3 -n mcp-production")
    );
}

#[tokio::test(start_paused = true)]
async fn failing_integrity_checks_after_the_restore_are_reported_and_services_come_back() {
    let w = World::at(WEDNESDAY);
    let id = BackupId::new("backup-20250108").unwrap();
    let mut backups = MockBackupManager::new();
    backups.expect_backend().return_const("mockall");
    backups.expect_verify().times(1).returning(|id, _| {
        Ok(VerificationReport {
            id: id.clone(),
            checksum_ok: true,
            readable: Some(true),
            test_restore: TestRestore::NotSupported,
            verified_at: Timestamp::UNIX_EPOCH,
        })
    });
    backups
        .expect_restore()
        .times(1)
        .returning(|id, options, _| {
            let check = options.integrity_checks[0].clone();
            Ok(RestoreReport {
                id: id.clone(),
                verification: None,
                checks: vec![IntegrityResult {
                    check,
                    value: Some(3),
                    passed: false,
                    error: None,
                }],
                duration: std::time::Duration::from_secs(40),
                dry_run: false,
            })
        });
    let health: [&dyn HealthCheck; 2] = [&w.db, &w.cluster];
    let b = RecoveryBackends {
        deployer: &w.cluster,
        scaler: &w.cluster,
        backups: &backups,
        health: &health,
    };
    let ctx = w.ctx("test", false);
    let input = recovery_input(id, AutoscaledHandling::PinToMinimum);
    let r = recover_database(&ctx, b, &input).await.unwrap();
    assert_eq!(
        r.status,
        RecoveryStatus::IntegrityFailed {
            failed: vec!["users present".into()]
        }
    );
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.api_bounds().await, (3, 10));
    let check = ctx
        .journal()
        .entries()
        .into_iter()
        .find(|e| e.step == "verify data integrity")
        .unwrap();
    assert!(
        check
            .outcome
            .detail()
            .contains("FAILED: SELECT COUNT(*) FROM users = 3 (min 1)")
    );
}

#[tokio::test(start_paused = true)]
async fn a_failing_stop_restores_nothing_and_brings_back_what_was_stopped() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    w.db.set_table("users", 3);
    let input = recovery_input(id, AutoscaledHandling::PinToMinimum);
    let ctx = w.ctx("test", false);
    let health: [&dyn HealthCheck; 2] = [&w.db, &w.cluster];
    // The first scale-down goes through, the second is refused for good.
    let b = RecoveryBackends {
        deployer: &w.cluster,
        scaler: &FailSecondScale {
            inner: w.cluster.clone(),
            calls: std::sync::atomic::AtomicU32::new(0),
        },
        backups: &w.db,
        health: &health,
    };
    let r = recover_database(&ctx, b, &input).await.unwrap();
    let RecoveryStatus::StopFailed { why } = &r.status else {
        panic!("{r:?}")
    };
    assert!(why.contains("webhook denied"), "{why}");
    assert!(w.db.restores().is_empty());
    assert_eq!(w.db.table_rows("users"), Some(3), "nothing restored");
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
    assert_eq!(w.replicas("mcp-rust-server").await, 3);
    assert_eq!(w.api_bounds().await, (3, 10));
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_database_after_the_restore_is_reported() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    w.db.set_database_health(Availability::Down);
    let ctx = w.ctx("test", false);
    let r = run_recovery(
        &w,
        &ctx,
        &recovery_input(id, AutoscaledHandling::PinToMinimum),
    )
    .await;
    let RecoveryStatus::NotHealthy { why } = &r.status else {
        panic!("{r:?}")
    };
    assert!(why.contains("unhealthy"), "{why}");
    assert_eq!(w.replicas("mcp-learning-system").await, 2);
}

#[tokio::test(start_paused = true)]
async fn the_recovery_journal_renders_as_a_timeline_with_every_step() {
    let w = World::at(WEDNESDAY);
    let id = take_backup(&w).await;
    let ctx = w.ctx("test", false);
    run_recovery(
        &w,
        &ctx,
        &recovery_input(id, AutoscaledHandling::PinToMinimum),
    )
    .await;
    let md = ctx.journal().to_markdown("Database recovery");
    for step in [
        "verify backup",
        "list deployments",
        "scale down",
        "restore database",
        "verify data integrity",
        "scale back",
        "wait for rollout",
        "verify health",
        "recovery log",
    ] {
        assert!(
            md.contains(&format!("| recover_database | {step} |")),
            "{step} missing:\n{md}"
        );
    }
    assert!(
        md.contains("`kubectl scale deployment mcp-rust-server --replicas=0 -n mcp-production`")
    );
}
