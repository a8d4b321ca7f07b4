//! Alert Escalation and Incident Communication on the in-memory alerting stack: a P1 is
//! opened (L1: on-call engineer paged, INCIDENT DETECTED posted), nobody acknowledges for
//! 15 minutes so it escalates to L2 (team lead, infrastructure team), then Alice
//! acknowledges, posts an update and resolves it. Prints the escalations, every message sent
//! to Slack and PagerDuty (they follow the runbook's templates) and the journal.
//!
//! `cargo run -p mcp-ops-examples --example escalate`
//!
//! The incident's 35 minutes run in about 3.5 s: the procedure and the alerting stack are
//! given a clock on which a tenth of a real second is one minute (`Fast` below), the same
//! way a test would give them tokio's paused clock.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use mcp_ops_core::incident::IncidentUpdate;
use mcp_ops_core::mock::{MockAlerting, RecordingNotifier};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::runbook::run_incident::{
    IncidentEnd, IncidentSignal, IncidentSpec, PROCEDURE, run_incident,
};
use mcp_ops_core::types::Intent;
use mcp_ops_core::{Clock, Message, SharedClock};
use tokio::sync::mpsc;

/// Real time per simulated minute.
const REAL_PER_MINUTE: Duration = Duration::from_millis(100);

/// A clock that starts at a fixed time, runs 600 times faster than wall time and reads in
/// whole minutes (so the timeline shows 14:45:00, not 14:45:00.8).
#[derive(Debug)]
struct Fast {
    base: Timestamp,
    started: tokio::time::Instant,
}

#[async_trait]
impl Clock for Fast {
    fn now(&self) -> Timestamp {
        let whole = self.started.elapsed().as_millis() / REAL_PER_MINUTE.as_millis();
        let minutes = i64::try_from(whole).unwrap_or(i64::MAX);
        self.base
            .saturating_add(SignedDuration::from_mins(minutes))
            .unwrap_or(Timestamp::MAX)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration.div_f64(600.0)).await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("escalate failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_messages(channel: &str, messages: &[Message]) {
    println!("\n== sent to {channel}: {} messages", messages.len());
    for m in messages {
        let level = m.level.map(|l| format!(" L{l}")).unwrap_or_default();
        println!(
            "--- {:?}{level} to {:?}: {}",
            m.kind, m.recipients, m.subject
        );
        println!("{}", m.body);
    }
}

/// Waits on `clock` until `minutes` have passed since `start`.
async fn until_minute(clock: &SharedClock, start: Timestamp, minutes: i64) {
    while clock.now().duration_since(start) < SignedDuration::from_mins(minutes) {
        clock.sleep(Duration::from_secs(30)).await;
    }
}

/// The responder: acknowledges at +20 min, posts an update at +25, resolves at +35.
async fn responder(clock: SharedClock, start: Timestamp, tx: mpsc::Sender<IncidentSignal>) {
    let script = [
        (20, IncidentSignal::Acknowledge { by: "alice".into() }),
        (
            25,
            IncidentSignal::Update(IncidentUpdate {
                root_cause: Some("Database connection pool exhaustion".into()),
                actions: "Scaling database connections, restarting API pods".into(),
                eta: Some(Duration::from_secs(15 * 60)),
            }),
        ),
        (
            35,
            IncidentSignal::Resolve {
                resolution: "Scaled database connections from 20 to 50".into(),
            },
        ),
    ];
    for (at, signal) in script {
        until_minute(&clock, start, at).await;
        if tx.send(signal).await.is_err() {
            return;
        }
    }
    // Keep the channel open until the run has ended.
    until_minute(&clock, start, 24 * 60).await;
}

async fn run() -> mcp_ops_core::Result<()> {
    let start: Timestamp = "2025-01-08T14:30:00Z"
        .parse()
        .map_err(|e| mcp_ops_core::Error::invalid("start", format!("{e}")))?;
    let clock: SharedClock = Arc::new(Fast {
        base: start,
        started: tokio::time::Instant::now(),
    });
    let slack = RecordingNotifier::slack().with_clock(clock.clone());
    let pagerduty = RecordingNotifier::pagerduty().with_clock(clock.clone());
    let alerting = MockAlerting::builder()
        .clock(clock.clone())
        .notifier(Arc::new(slack.clone()))
        .notifier(Arc::new(pagerduty.clone()))
        .build();

    let intent = Intent::new("Error-rate alert on the API", "alertmanager")?;
    let ctx = Context::new(PROCEDURE, intent, clock.clone());
    let spec = IncidentSpec::runbook();
    let (tx, rx) = mpsc::channel(8);
    let outcome = tokio::select! {
        o = run_incident(&ctx, &alerting, &spec, rx) => o?,
        () = responder(clock.clone(), start, tx) => {
            return Err(mcp_ops_core::Error::conflict("incident", "the run did not end"));
        }
    };

    let id = outcome
        .incident
        .as_ref()
        .map(|i| i.id.to_string())
        .unwrap_or_default();
    println!("== incident {id}: {:?}", outcome.end);
    println!("duration: {} minutes", outcome.duration.as_secs() / 60);
    for e in alerting.escalations() {
        println!("escalated to L{} at {}", e.level, e.at.strftime("%H:%M"));
    }
    if let Some(a) = &outcome.acknowledged {
        println!("acknowledged by {} at {}", a.by, a.at.strftime("%H:%M"));
    }
    for f in &outcome.failures {
        println!("failure: {f}");
    }
    print_messages("Slack", &slack.messages());
    print_messages("PagerDuty", &pagerduty.messages());
    println!("\n== journal");
    println!("{}", ctx.journal().to_markdown("Incident timeline"));
    if !matches!(outcome.end, IncidentEnd::Resolved { .. }) {
        return Err(mcp_ops_core::Error::conflict(
            id,
            "the incident was not resolved",
        ));
    }
    Ok(())
}
