//! `ops silence <alertname>` (Monitoring and Alerting: Silence alerts, Alertmanager API v2).

use std::time::Duration;

use mcp_ops_core::escalation::{Matcher, SilenceRequest};
use mcp_ops_core::runbook::commands;

use crate::backends::Backends;
use crate::cli::Global;
use crate::output::{Report, Status, to_value};
use crate::{Failure, Outcome, context};

/// `ops silence <alertname> [--minutes N] [--comment …]` (Alertmanager API v2).
pub async fn silence(
    alertname: &str,
    minutes: u32,
    comment: &str,
    g: &Global,
    b: &Backends,
) -> Outcome {
    if minutes == 0 {
        return Err(Failure::BadInput(
            "--minutes must be greater than zero".to_owned(),
        ));
    }
    let starts_at = b.clock.now();
    let ends_at = starts_at
        .checked_add(Duration::from_secs(u64::from(minutes) * 60))
        .map_err(|e| Failure::BadInput(format!("--minutes: {e}")))?;
    let request = SilenceRequest {
        matchers: vec![Matcher::equal("alertname", alertname)?],
        starts_at,
        ends_at,
        created_by: "ops-cli".to_owned(),
        comment: comment.to_owned(),
    };
    request.validate()?;
    let ctx = context("silence", comment, g, b)?;
    let intent = ctx.intent().clone();
    let silence = ctx
        .step("silence alert", alertname)
        .command(commands::silence(alertname))
        .act(
            || b.escalator.silence(&request, &intent),
            |s| s.id.to_string(),
        )
        .await?;
    let journal = ctx.journal().entries();
    Ok(match silence {
        Some(s) => Report::new(
            "silence",
            Status::Ok,
            format!("silence {} until {ends_at}", s.id),
            to_value(&s),
        )
        .journal(journal),
        None => Report::new(
            "silence",
            Status::Planned,
            "dry run: no silence created",
            serde_json::Value::Null,
        )
        .journal(journal),
    })
}
