//! Tests of [`Context`](super::Context), [`Step`](super::Step) and [`Plan`](super::Plan).
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::clock::TokioClock;

fn ctx(dry_run: bool) -> Context {
    let intent = Intent::new("test", "tester")
        .map(|i| i.with_dry_run(dry_run))
        .unwrap_or_else(|_| unreachable!());
    Context::new(
        "test_procedure",
        intent,
        Arc::new(TokioClock::starting_at(Timestamp::UNIX_EPOCH)),
    )
}

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_retried_then_succeed() {
    let c = ctx(false);
    let n = AtomicU32::new(0);
    let r = c
        .step("read", "x")
        .read(
            || async {
                if n.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(Error::unavailable("mock", "503"))
                } else {
                    Ok(7)
                }
            },
            |v| format!("{v}"),
        )
        .await;
    assert_eq!(r.ok(), Some(7));
    assert_eq!(n.load(Ordering::SeqCst), 3);
    let e = c.journal().entries();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].outcome, StepOutcome::Ok("7".into()));
    assert_eq!(e[0].duration, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn permanent_errors_are_not_retried() {
    let c = ctx(false);
    let n = AtomicU32::new(0);
    let r: Result<u32> = c
        .step("read", "x")
        .read(
            || async {
                n.fetch_add(1, Ordering::SeqCst);
                Err(Error::not_found("deployment", "x"))
            },
            |v| format!("{v}"),
        )
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })));
    assert_eq!(n.load(Ordering::SeqCst), 1);
    assert!(matches!(
        c.journal().entries()[0].outcome,
        StepOutcome::Failed(_)
    ));
}

#[tokio::test(start_paused = true)]
async fn a_hung_step_times_out() {
    let c = ctx(false);
    let r: Result<()> = c
        .step("hang", "x")
        .timeout(Duration::from_secs(2))
        .read(std::future::pending, |_| String::new())
        .await;
    assert!(matches!(r, Err(Error::Timeout { .. })));
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_change_is_not_repeated() {
    let c = ctx(false);
    let n = AtomicU32::new(0);
    let r: Result<Option<()>> = c
        .step("undo", "mcp-production/api")
        .policy(StepPolicy::default())
        .act(
            || {
                n.fetch_add(1, Ordering::SeqCst);
                std::future::pending()
            },
            |_| String::new(),
        )
        .await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    assert_eq!(
        n.load(Ordering::SeqCst),
        1,
        "a second undo would go back twice"
    );

    // A change refused as unavailable did not land: it is retried.
    let m = AtomicU32::new(0);
    let r = c
        .step("scale", "mcp-production/api")
        .act(
            || async {
                if m.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(Error::unavailable("mock", "503"))
                } else {
                    Ok(5)
                }
            },
            |v| format!("{v}"),
        )
        .await;
    assert_eq!(r.ok().flatten(), Some(5));
    assert_eq!(m.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn dry_run_plans_without_calling() {
    let c = ctx(true);
    let n = AtomicU32::new(0);
    let r = c
        .step("undo", "mcp-production/api")
        .command("kubectl rollout undo deployment/api -n mcp-production")
        .act(
            || async {
                n.fetch_add(1, Ordering::SeqCst);
                Ok(())
            },
            |_| String::new(),
        )
        .await;
    assert!(matches!(r, Ok(None)));
    assert_eq!(n.load(Ordering::SeqCst), 0);
    let plan = Plan::from_journal(c.journal(), "test_procedure");
    assert_eq!(plan.steps.len(), 1);
    assert_eq!(
        plan.steps[0].command,
        "kubectl rollout undo deployment/api -n mcp-production"
    );
    assert!(c.journal().state_changes().is_empty());
}
