//! `ops silence <alertname>` (Monitoring and Alerting: Silence alerts, Alertmanager API v2),
//! and [`authorize_named`]: the change check of the commands that run unmanaged unless
//! `--change` names a change request (silences and incident actions).

use std::time::Duration;

use mcp_ops_core::change::ChangeSpec;
use mcp_ops_core::escalation::{Matcher, SilenceRequest};
use mcp_ops_core::runbook::{Context, commands};

use crate::backends::Backends;
use crate::change_setup;
use crate::change_spec::silence_spec;
use crate::cli::Global;
use crate::output::{Report, Status, to_value};
use crate::{Failure, Outcome, context};

/// Under `--change CR-…`: the change request must authorize the change `planned` builds
/// (approved by the roles its risk needs, not rejected, the same change, inside its window,
/// backed by the journal) before anything is written; a refusal is journaled by the context
/// and returned as [`Failure::Refused`]. A context without a gate (an unmanaged procedure
/// such as `silence`) gets the command's gate ([`change_setup::gate`]) first. Without
/// `--change`, `ctx` comes back untouched and `planned` is not called: the command runs as
/// it always did. A dry run needs no approval.
///
/// # Errors
/// [`Failure::BadInput`] for a malformed `--change`, a change `planned` refuses, or a target
/// without a change store; [`Failure::Refused`] when the change request does not authorize
/// it.
pub async fn authorize_named(
    ctx: Context,
    planned: impl FnOnce() -> Result<ChangeSpec, Failure>,
    g: &Global,
    b: &Backends,
) -> Result<Context, Failure> {
    if change_setup::change_id(g)?.is_none() {
        return Ok(ctx);
    }
    let planned = planned()?;
    let ctx = if ctx.change_gate().is_some() {
        ctx
    } else {
        let gate = change_setup::gate(g, b)?.ok_or_else(|| {
            Failure::BadInput("--change: this target keeps no change requests".to_owned())
        })?;
        ctx.with_change_gate(gate)
    };
    ctx.authorize(&planned).await?;
    Ok(ctx)
}

/// `ops silence <alertname> [--minutes N] [--comment …]` (Alertmanager API v2). With
/// `--change CR-…` the change request must authorize this alert name and these minutes
/// first ([`authorize_named`]).
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
        created_by: g.actor.clone(),
        comment: comment.to_owned(),
    };
    request.validate()?;
    let ctx = context("silence", comment, g, b)?;
    let ctx = authorize_named(ctx, || silence_spec(alertname, minutes), g, b).await?;
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
