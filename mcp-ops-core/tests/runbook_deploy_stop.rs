//! `standard_deploy` stopped by its caller (Ctrl-C, an MCP client's cancellation), on the test
//! kit in paused time: a stop during the bake undoes the deployment to the previous revision,
//! says so in the outcome and the journal, and opens no incident; a stop before the image is
//! set changes nothing.
#![cfg(feature = "testkit")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use mcp_ops_core::runbook::StepOutcome;
use mcp_ops_core::runbook::StopSignal;
use mcp_ops_core::runbook::standard_deploy::{
    BakeVerdict, Checklist, DeployOutcome, DeployRequest, STOPPED_STEP, standard_deploy,
};
use mcp_ops_core::testkit::TestKit;
use mcp_ops_core::types::{ImageRef, Revision};
use mcp_ops_core::{Clock, Deployer, Error};

const NEW_IMAGE: &str = "ghcr.io/your-org/mcp-typescript-server:v1.0.1";

fn request() -> DeployRequest {
    DeployRequest::runbook(ImageRef::parse(NEW_IMAGE).unwrap())
        .unwrap()
        .with_checklist(Checklist::all_passed(
            "CI run 4711 green",
            "kubectl rollout undo deployment/mcp-typescript-api -n mcp-production",
        ))
}

async fn running_image(kit: &TestKit) -> String {
    let api = request().deployment;
    let images = kit.cluster.deployment(&api).await.unwrap().images;
    images.values().next().unwrap().to_string()
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_the_bake_rolls_back_and_journals_what_is_left() {
    let kit = TestKit::runbook().await.unwrap();
    let before = running_image(&kit).await;
    let api = request().deployment;
    let previous = kit.cluster.deployment(&api).await.unwrap().revision;
    let stop = StopSignal::new();
    let ctx = kit
        .context("standard_deploy", "deploy v1.0.1")
        .unwrap()
        .with_stop(stop.clone());
    let backends = kit.deploy_backends();
    let req = request();
    let deploy = standard_deploy(&ctx, &backends, &req);
    let caller = async {
        // Fifteen minutes in: the rollout and the checks are done, the bake is half-way.
        kit.clock.sleep(Duration::from_secs(15 * 60)).await;
        stop.stop("cancelled by the MCP client");
    };
    let (report, ()) = tokio::join!(deploy, caller);
    let report = report.unwrap();

    let DeployOutcome::Stopped {
        why,
        rolled_back_to,
        left,
    } = &report.outcome
    else {
        panic!("not stopped: {:?}", report.outcome);
    };
    assert_eq!(why, "cancelled by the MCP client");
    assert_eq!(*rolled_back_to, previous);
    let to: Revision = previous.unwrap();
    assert_eq!(left, &format!("rolled back to revision {to}"));
    assert_eq!(
        running_image(&kit).await,
        before,
        "the new image still runs"
    );

    let bake = report.bake.as_ref().expect("the bake ran");
    assert!(
        bake.samples < 30,
        "the bake went on after the stop: {}",
        bake.samples
    );
    assert!(
        matches!(&bake.verdict, BakeVerdict::Inconclusive { why } if why.contains("stopped by the caller")),
        "{:?}",
        bake.verdict
    );
    assert!(report.incident.is_none(), "a stop is not an incident");
    assert!(kit.messages().is_empty());

    let entries = kit.journal().entries();
    let stopped = entries
        .iter()
        .find(|e| e.step == STOPPED_STEP)
        .expect("a step saying what the stop left");
    let StepOutcome::Ok(detail) = &stopped.outcome else {
        panic!("{:?}", stopped.outcome);
    };
    assert!(
        detail.starts_with(&format!(
            "stopped by the caller: rolled back to revision {to}"
        )),
        "{detail}"
    );
    let undo = entries
        .iter()
        .find(|e| e.step == "rollback")
        .expect("the undo");
    assert!(undo.mutating);
    assert!(
        matches!(undo.outcome, StepOutcome::Ok(_)),
        "{:?}",
        undo.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_before_the_image_is_set_changes_nothing() {
    let kit = TestKit::runbook().await.unwrap();
    let before = running_image(&kit).await;
    let stop = StopSignal::new();
    stop.stop("Ctrl-C");
    let ctx = kit
        .context("standard_deploy", "deploy v1.0.1")
        .unwrap()
        .with_stop(stop);
    let refused = standard_deploy(&ctx, &kit.deploy_backends(), &request()).await;
    let Err(e) = refused else {
        panic!("a stopped deployment ran: {refused:?}");
    };
    assert!(
        matches!(&e, Error::Stopped { step, .. } if step == "set image"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("stopped by the caller before set image: nothing more was changed"),
        "{e}"
    );
    assert_eq!(running_image(&kit).await, before);
    assert!(kit.journal().state_changes().is_empty());
}
