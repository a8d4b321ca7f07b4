//! Tests of a [`Context`](super::Context) listening to a [`StopSignal`].
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::clock::TokioClock;

fn stoppable() -> (Context, StopSignal) {
    let intent = Intent::new("test", "tester").unwrap_or_else(|_| unreachable!());
    let stop = StopSignal::new();
    let ctx = Context::new(
        "test_procedure",
        intent,
        Arc::new(TokioClock::starting_at(Timestamp::UNIX_EPOCH)),
    )
    .with_stop(stop.clone());
    (ctx, stop)
}

async fn act(
    ctx: &Context,
    calls: &AtomicU32,
    name: &str,
    compensation: bool,
) -> Result<Option<u32>> {
    let step = ctx.step(name, "mcp-production/web");
    let step = if compensation {
        step.compensation()
    } else {
        step
    };
    step.act(
        || async { Ok(calls.fetch_add(1, Ordering::SeqCst) + 1) },
        |n| format!("call {n}"),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn a_stopped_context_refuses_new_mutating_steps_and_journals_it() {
    let (ctx, stop) = stoppable();
    let calls = AtomicU32::new(0);
    assert_eq!(
        act(&ctx, &calls, "set image", false).await.ok(),
        Some(Some(1))
    );
    stop.stop("cancelled by the client");
    let refused = act(&ctx, &calls, "scale", false).await;
    let Err(e) = refused else {
        panic!("a stopped context ran a mutating step: {refused:?}");
    };
    assert!(
        matches!(&e, Error::Stopped { why, step } if why == "cancelled by the client" && step == "scale")
    );
    assert_eq!(e.kind(), "stopped");
    assert!(!e.is_retryable());
    assert_eq!(
        e.to_string(),
        "stopped by the caller before scale: nothing more was changed (cancelled by the client)"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the refused step was called"
    );
    let entries = ctx.journal().entries();
    let last = entries.last().map(|e| (e.step.clone(), e.outcome.clone()));
    assert_eq!(
        last,
        Some(("scale".to_owned(), StepOutcome::Skipped(e.to_string())))
    );
}

#[tokio::test(start_paused = true)]
async fn a_stopped_context_still_runs_compensations_and_reads() {
    let (ctx, stop) = stoppable();
    stop.stop("Ctrl-C");
    let calls = AtomicU32::new(0);
    let undone = act(&ctx, &calls, "roll back", true).await;
    assert_eq!(undone.ok(), Some(Some(1)));
    let read = ctx
        .step("read", "mcp-production/web")
        .read(|| async { Ok(3) }, |n| format!("{n}"))
        .await;
    assert_eq!(read.ok(), Some(3));
    // The procedure of a clone shares the signal.
    let other = ctx.for_procedure("emergency_rollback");
    assert!(other.is_stopped());
    assert!(matches!(
        act(&other, &calls, "undo", false).await,
        Err(Error::Stopped { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn sleep_returns_early_when_stopped() {
    let (ctx, stop) = stoppable();
    let started = ctx.now();
    let stopper = {
        let ctx = ctx.clone();
        async move {
            ctx.clock().sleep(Duration::from_secs(60)).await;
            stop.stop("enough");
        }
    };
    tokio::join!(ctx.sleep(Duration::from_secs(600)), stopper);
    assert_eq!(
        elapsed_between(started, ctx.now()),
        Duration::from_secs(60),
        "the bake slept on after the stop"
    );
    // Once stopped, a sleep does not wait at all.
    ctx.sleep(Duration::from_secs(600)).await;
    assert_eq!(elapsed_between(started, ctx.now()), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn without_a_stop_the_context_sleeps_and_acts_as_before() {
    let (ctx, _stop) = stoppable();
    let started = ctx.now();
    ctx.sleep(Duration::from_secs(30)).await;
    assert_eq!(elapsed_between(started, ctx.now()), Duration::from_secs(30));
    let calls = AtomicU32::new(0);
    assert_eq!(act(&ctx, &calls, "scale", false).await.ok(), Some(Some(1)));
}
