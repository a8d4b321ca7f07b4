//! `run_incident` stopped by its caller, on the test kit in paused time: the watch ends at the
//! stop (it does not spin on the stopped context's sleep), says so, and leaves the incident
//! open.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcp_ops_core::Clock;
use mcp_ops_core::runbook::StopSignal;
use mcp_ops_core::runbook::run_incident::{self, IncidentEnd, IncidentSpec, run_incident};
use mcp_ops_core::testkit::TestKit;

#[tokio::test(start_paused = true)]
async fn a_stopped_incident_run_ends_with_the_incident_open() {
    let kit = TestKit::runbook().await.unwrap();
    let stop = StopSignal::new();
    let ctx = kit
        .context(run_incident::PROCEDURE, "API down")
        .unwrap()
        .with_stop(stop.clone());
    // The signal sender stays open: only the stop can end the run before its 24 h bound.
    let (_signals, rx) = tokio::sync::mpsc::channel(1);
    let spec = IncidentSpec::runbook();
    let caller = async {
        kit.clock.sleep(Duration::from_secs(20 * 60)).await;
        stop.stop("cancelled by the MCP client");
    };
    let (outcome, ()) = tokio::join!(run_incident(&ctx, &kit.alerting, &spec, rx), caller);
    let outcome = outcome.unwrap();
    assert_eq!(
        outcome.end,
        IncidentEnd::Stopped {
            why: "cancelled by the MCP client".to_owned()
        }
    );
    assert_eq!(outcome.duration, Duration::from_secs(20 * 60));
    assert!(!outcome.incident.unwrap().is_resolved());
    let decision = kit
        .journal()
        .entries()
        .into_iter()
        .rfind(|e| e.step == "decision")
        .unwrap();
    assert!(
        decision
            .outcome
            .detail()
            .starts_with("stopped by the caller"),
        "{:?}",
        decision.outcome
    );
}
