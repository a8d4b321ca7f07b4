//! `ops history <deployment>`: the rollout history (`kubectl rollout history`; read only).

use mcp_ops_core::deploy::RevisionInfo;
use mcp_ops_core::runbook::commands;
use mcp_ops_core::types::DeploymentRef;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome, context};

/// `ops history <deployment>`: every revision the cluster keeps, oldest first.
///
/// A name that is not a deployment name, or a deployment that does not exist, is bad input
/// (exit 2, one line). Any other failure to read the history fails closed: exit 1 with the
/// reason, never an empty history.
pub async fn history(deployment: &str, g: &Global, b: &Backends) -> Outcome {
    let deployment = DeploymentRef::new(&g.namespace, deployment)?;
    let ctx = context("rollout_history", "ops history", g, b)?;
    let revisions = ctx
        .step("read rollout history", deployment.to_string())
        .command(commands::rollout_history(&deployment))
        .read(
            || b.deployer.history(&deployment),
            |r| format!("{} revisions", r.len()),
        )
        .await
        .map_err(|e| match Failure::from(e) {
            Failure::Failed(why) => {
                Failure::Failed(format!("rollout history of {deployment}: {why}"))
            }
            other => other,
        })?;
    let summary = match revisions.last() {
        Some(current) => format!(
            "history of {deployment}: {} revisions, current {}",
            revisions.len(),
            current.revision
        ),
        None => format!("history of {deployment}: no revisions recorded"),
    };
    Ok(
        Report::new("history", Status::Ok, summary, to_value(&revisions))
            .table("Revisions (oldest first)", revisions_table(&revisions))
            .journal(ctx.journal().entries()),
    )
}

fn revisions_table(revisions: &[RevisionInfo]) -> comfy_table::Table {
    let rows = revisions.iter().map(|r| {
        let images: Vec<String> = r
            .images
            .iter()
            .map(|(container, image)| format!("{container}={image}"))
            .collect();
        vec![
            r.revision.to_string(),
            images.join(", "),
            r.change_cause
                .clone()
                .unwrap_or_else(|| "<none>".to_owned()),
            r.created.map(|t| t.to_string()).unwrap_or_default(),
        ]
    });
    table(&["REVISION", "IMAGES", "CHANGE-CAUSE", "CREATED"], rows)
}
