//! The `Escalator` concurrency contract: many changes at once, through several escalators
//! over the same state (separate store values, as separate `ops` processes have), and none is
//! lost.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::join_all;
use jiff::SignedDuration;

use super::escalation::EscalatorFixture;
use super::{ContractViolation, ensure, step};
use crate::escalation::Escalator;
use crate::incident::{IncidentId, IncidentState, IncidentUpdate};
use crate::notify::MessageKind;
use crate::types::Intent;

const C: &str = "escalator concurrency";

fn intent(actor: &str) -> Result<Intent, ContractViolation> {
    step(
        C,
        "Intent::new",
        Intent::new("contract: concurrency", actor),
    )
}

/// Runs `n` opens, `n` updates of one incident, `n` acknowledgements of one incident, `n`
/// resolutions (one per incident) and `n` ticks of one overdue incident at once, spread over
/// `replicas` (escalators sharing one state), and checks that every change was kept: `n`
/// distinct incidents, all `n` updates, exactly one acknowledgement that every caller sees,
/// `n` resolved incidents, and levels 2 and 3 each notified once; with the fixture's
/// notifier, that each message reached it exactly once.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn escalator_concurrency_contract(
    replicas: &[Arc<dyn Escalator>],
    fx: &EscalatorFixture,
    n: usize,
) -> Result<(), ContractViolation> {
    ensure(C, !replicas.is_empty() && n > 0, || {
        "the suite needs at least one replica and one change".to_owned()
    })?;
    let at = |k: usize| replicas[k % replicas.len()].clone();
    let run = intent("contract-suite")?;

    // n opens: n distinct incidents.
    let opened = join_all((0..n).map(|k| {
        let (e, run) = (at(k), run.clone());
        async move { e.open(&fx.incident, &run).await }
    }))
    .await;
    let mut ids = Vec::new();
    for r in opened {
        ids.push(step(C, "concurrent open", r)?.id);
    }
    let distinct: BTreeSet<&IncidentId> = ids.iter().collect();
    ensure(C, distinct.len() == n, || {
        format!("{n} concurrent opens gave {} distinct ids", distinct.len())
    })?;
    let open = step(C, "open_incidents", at(0).open_incidents().await)?;
    let listed = ids
        .iter()
        .filter(|id| open.iter().any(|i| &i.id == *id))
        .count();
    ensure(C, listed == n, || {
        format!("{n} concurrent opens, {listed} listed")
    })?;

    // n updates of one incident: all kept.
    let first = ids[0].clone();
    let updated = join_all((0..n).map(|k| {
        let (e, run, id) = (at(k), run.clone(), first.clone());
        async move {
            let u = IncidentUpdate {
                root_cause: None,
                actions: format!("concurrent update {k}"),
                eta: None,
            };
            e.update(&id, &u, &run).await
        }
    }))
    .await;
    for r in updated {
        step(C, "concurrent update", r)?;
    }
    let inc = step(C, "incident", at(0).incident(&first).await)?;
    let kept: BTreeSet<&str> = inc
        .updates
        .iter()
        .map(|(_, u)| u.actions.as_str())
        .collect();
    ensure(C, kept.len() == n && inc.updates.len() == n, || {
        format!(
            "{n} concurrent updates, {} kept ({} distinct)",
            inc.updates.len(),
            kept.len()
        )
    })?;

    // n acknowledgements of one incident: one wins, every caller sees the winner.
    let acked = join_all((0..n).map(|k| {
        let (e, id) = (at(k), first.clone());
        async move {
            let who = intent(&format!("oncall-{k}"))?;
            step(C, "concurrent acknowledge", e.acknowledge(&id, &who).await)
        }
    }))
    .await;
    let mut by = BTreeSet::new();
    for r in acked {
        match r?.state {
            IncidentState::Acknowledged { by: who, .. } => {
                by.insert(who);
            }
            other => {
                return Err(ContractViolation {
                    contract: C,
                    rule: format!("a concurrent acknowledge returned {other:?}"),
                });
            }
        }
    }
    let stored = step(C, "incident", at(0).incident(&first).await)?;
    ensure(C, by.len() == 1, || {
        format!(
            "{n} concurrent acknowledgements saw {} different winners",
            by.len()
        )
    })?;
    ensure(
        C,
        matches!(&stored.state, IncidentState::Acknowledged { by: who, .. } if by.contains(who)),
        || format!("stored state {:?} is not the winner {by:?}", stored.state),
    )?;
    ensure(C, stored.updates.len() == n, || {
        format!(
            "acknowledging lost updates: {} of {n} left",
            stored.updates.len()
        )
    })?;

    // n resolutions, one per incident: all resolved.
    let resolved = join_all(ids.iter().enumerate().map(|(k, id)| {
        let (e, run, id) = (at(k), run.clone(), id.clone());
        async move { e.resolve(&id, "contract: resolved", &run).await }
    }))
    .await;
    for r in resolved {
        step(C, "concurrent resolve", r)?;
    }
    let open = step(C, "open_incidents", at(0).open_incidents().await)?;
    let left = ids
        .iter()
        .filter(|id| open.iter().any(|i| &i.id == *id))
        .count();
    ensure(C, left == 0, || {
        format!("{n} concurrent resolutions, {left} incidents still open")
    })?;

    // n ticks of one overdue incident: levels 2 and 3 each once.
    let overdue = step(C, "open", at(0).open(&fx.incident, &run).await)?;
    let later = overdue
        .started
        .checked_add(SignedDuration::from_mins(40))
        .map_err(|e| ContractViolation {
            contract: C,
            rule: format!("time arithmetic failed: {e}"),
        })?;
    let ticks = join_all((0..n).map(|k| {
        let e = at(k);
        async move { e.tick(later).await }
    }))
    .await;
    let mut levels = Vec::new();
    for r in ticks {
        levels.extend(
            step(C, "concurrent tick", r)?
                .into_iter()
                .filter(|a| a.incident == overdue.id)
                .map(|a| a.level),
        );
    }
    levels.sort_unstable();
    ensure(C, levels == [2, 3], || {
        format!("{n} concurrent ticks notified levels {levels:?}, expected [2, 3]")
    })?;
    let after = step(C, "incident", at(0).incident(&overdue.id).await)?;
    ensure(C, after.level == 3, || {
        format!(
            "after concurrent ticks the incident is at level {}",
            after.level
        )
    })?;
    step(
        C,
        "resolve",
        at(0).resolve(&overdue.id, "contract: resolved", &run).await,
    )?;
    if let Some(notifier) = &fx.notifier {
        // Each message reached the channel once: no concurrent deliverer sent one twice.
        let sent = notifier.messages();
        let count = |id: &IncidentId, kind: MessageKind| {
            sent.iter()
                .filter(|m| &m.incident == id && m.kind == kind)
                .count()
        };
        for id in &ids {
            ensure(C, count(id, MessageKind::Detected) == 1, || {
                format!(
                    "{id}: {} INCIDENT DETECTED sent",
                    count(id, MessageKind::Detected)
                )
            })?;
        }
        let checks = [
            (&first, MessageKind::Update, n),
            (&first, MessageKind::Acknowledged, 1),
            (&overdue.id, MessageKind::Escalation, 2),
        ];
        for (id, kind, want) in checks {
            let got = count(id, kind);
            ensure(C, got == want, || {
                format!("{id}: {got} {kind:?} messages sent, expected {want}")
            })?;
        }
    }
    Ok(())
}
