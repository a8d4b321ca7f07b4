//! The `Escalator` contract: what every escalation backend, mock or real, must do.

use jiff::{SignedDuration, Timestamp};

use super::{ContractViolation, ensure, step};
use crate::error::Error;
use crate::escalation::{EscalationAction, Escalator, Matcher, SilenceRequest};
use crate::incident::{IncidentId, IncidentState, IncidentUpdate, NewIncident};
use crate::mock::RecordingNotifier;
use crate::notify::MessageKind;
use crate::types::{Intent, Severity};

const C: &str = "escalator";

/// What the escalator contract needs from the backend under test.
///
/// The backend must use the runbook's escalation policy (L2 at 15 min, L3 at 30 min); ticks
/// are timed from the `started` of the incident the backend opens.
#[derive(Debug, Clone)]
pub struct EscalatorFixture {
    /// A valid incident to open, escalate, acknowledge and resolve.
    pub incident: NewIncident,
    /// Matchers for a silence the suite creates and expires.
    pub silence_matchers: Vec<Matcher>,
    /// A notifier the backend under test sends to, when it has one: the suite then checks
    /// what reaches it (one INCIDENT ACKNOWLEDGED on the first acknowledge, none on a dry run
    /// or a second acknowledge, DETECTED first and RESOLVED last).
    pub notifier: Option<RecordingNotifier>,
}

impl EscalatorFixture {
    /// The runbook's P1 example (high error rate on the API) and a silence of
    /// `alertname="ContractSuite"`.
    pub fn runbook() -> Self {
        Self {
            incident: NewIncident {
                title: "High error rate on API".to_owned(),
                severity: Severity::P1,
                service: "MCP Production".to_owned(),
                impact: "High error rate (15%) on API endpoints".to_owned(),
                investigating: "@ops-team".to_owned(),
            },
            silence_matchers: vec![Matcher {
                name: "alertname".to_owned(),
                value: "ContractSuite".to_owned(),
                is_regex: false,
                is_equal: true,
            }],
            notifier: None,
        }
    }

    /// The same fixture, checking the messages `notifier` receives.
    #[must_use]
    pub fn with_notifier(mut self, notifier: RecordingNotifier) -> Self {
        self.notifier = Some(notifier);
        self
    }
}

/// The kinds of the messages about `id` that `notifier` received, in order.
fn kinds(fx: &EscalatorFixture, id: &IncidentId) -> Option<Vec<MessageKind>> {
    fx.notifier.as_ref().map(|n| {
        n.messages()
            .iter()
            .filter(|m| &m.incident == id)
            .map(|m| m.kind)
            .collect()
    })
}

fn count(kinds: &[MessageKind], kind: MessageKind) -> usize {
    kinds.iter().filter(|k| **k == kind).count()
}

fn intent(reason: &str, dry_run: bool) -> Result<Intent, ContractViolation> {
    step(C, "Intent::new", Intent::new(reason, "contract-suite")).map(|i| i.with_dry_run(dry_run))
}

fn plus(t0: Timestamp, minutes: i64) -> Result<Timestamp, ContractViolation> {
    t0.checked_add(SignedDuration::from_mins(minutes))
        .map_err(|e| ContractViolation {
            contract: C,
            rule: format!("time arithmetic failed: {e}"),
        })
}

async fn tick_for(
    e: &dyn Escalator,
    id: &IncidentId,
    at: Timestamp,
) -> Result<Vec<EscalationAction>, ContractViolation> {
    let all = step(C, "tick", e.tick(at).await)?;
    Ok(all.into_iter().filter(|a| &a.incident == id).collect())
}

/// Runs the escalator contract: the incident lifecycle and escalation by time, silences,
/// dry runs and errors.
///
/// # Errors
/// The first rule the backend breaks.
pub async fn escalator_contract(
    e: &dyn Escalator,
    fx: &EscalatorFixture,
) -> Result<(), ContractViolation> {
    let run = intent("contract: incident", false)?;
    let plan = intent("contract: plan", true)?;
    let before = step(C, "open_incidents", e.open_incidents().await)?.len();

    let mut bad = fx.incident.clone();
    bad.title = " ".to_owned();
    let r = e.open(&bad, &run).await;
    ensure(C, matches!(r, Err(Error::InvalidInput { .. })), || {
        format!("open with an empty title gave {r:?}, expected InvalidInput")
    })?;
    step(C, "dry-run open", e.open(&fx.incident, &plan).await)?;
    let n = step(C, "open_incidents", e.open_incidents().await)?.len();
    ensure(C, n == before, || {
        format!("dry-run open changed open incidents: {before} → {n}")
    })?;

    // Open: level 1 notified.
    let inc = step(C, "open", e.open(&fx.incident, &run).await)?;
    ensure(
        C,
        inc.state == IncidentState::Open && inc.level >= 1,
        || {
            format!(
                "opened incident is {:?} at level {}, expected Open at level ≥ 1",
                inc.state, inc.level
            )
        },
    )?;
    ensure(
        C,
        inc.title == fx.incident.title && inc.severity == fx.incident.severity,
        || format!("opened incident does not match the request: {inc:?}"),
    )?;
    let got = step(C, "incident", e.incident(&inc.id).await)?;
    ensure(
        C,
        got.id == inc.id && got.state == inc.state && got.level == inc.level,
        || format!("incident({}) gave {got:?}", inc.id),
    )?;
    let open = step(C, "open_incidents", e.open_incidents().await)?;
    ensure(C, open.iter().any(|i| i.id == inc.id), || {
        format!("{} is not among open incidents", inc.id)
    })?;

    // Escalation by elapsed time, each level once.
    let t0 = inc.started;
    let early = tick_for(e, &inc.id, plus(t0, 14)?).await?;
    ensure(C, early.is_empty(), || {
        format!("tick at +14 min escalated: {early:?}")
    })?;
    let l2 = tick_for(e, &inc.id, plus(t0, 15)?).await?;
    ensure(C, l2.len() == 1 && l2.iter().all(|a| a.level == 2), || {
        format!("tick at +15 min gave {l2:?}, expected exactly level 2")
    })?;
    let again = tick_for(e, &inc.id, plus(t0, 15)?).await?;
    ensure(C, again.is_empty(), || {
        format!("second tick at +15 min escalated again: {again:?}")
    })?;
    let got = step(C, "incident", e.incident(&inc.id).await)?;
    ensure(C, got.level == 2, || {
        format!("level after L2 is {}", got.level)
    })?;

    // Update, acknowledge: escalation stops.
    let update = IncidentUpdate {
        root_cause: None,
        actions: "Contract suite investigating".to_owned(),
        eta: None,
    };
    let updated = step(C, "update", e.update(&inc.id, &update, &run).await)?;
    ensure(C, updated.updates.len() == inc.updates.len() + 1, || {
        format!("update not recorded: {:?}", updated.updates)
    })?;
    step(
        C,
        "dry-run acknowledge",
        e.acknowledge(&inc.id, &plan).await,
    )?;
    let got = step(C, "incident", e.incident(&inc.id).await)?;
    ensure(C, got.state == IncidentState::Open, || {
        format!(
            "dry-run acknowledge changed the incident to {:?}",
            got.state
        )
    })?;
    if let Some(k) = kinds(fx, &inc.id) {
        ensure(C, count(&k, MessageKind::Acknowledged) == 0, || {
            format!("dry-run acknowledge sent a message: {k:?}")
        })?;
    }
    let acked = step(C, "acknowledge", e.acknowledge(&inc.id, &run).await)?;
    ensure(
        C,
        matches!(acked.state, IncidentState::Acknowledged { .. }),
        || format!("acknowledged incident is {:?}", acked.state),
    )?;
    let other = step(
        C,
        "Intent::new",
        Intent::new("contract: second ack", "someone-else"),
    )?;
    let again = step(
        C,
        "second acknowledge",
        e.acknowledge(&inc.id, &other).await,
    )?;
    ensure(C, again.state == acked.state, || {
        format!(
            "a second acknowledge changed {:?} to {:?}",
            acked.state, again.state
        )
    })?;
    if let Some(k) = kinds(fx, &inc.id) {
        ensure(C, count(&k, MessageKind::Acknowledged) == 1, || {
            format!("expected one INCIDENT ACKNOWLEDGED after two acknowledges, got {k:?}")
        })?;
    }
    let late = tick_for(e, &inc.id, plus(t0, 30)?).await?;
    ensure(C, late.is_empty(), || {
        format!("acknowledged incident escalated: {late:?}")
    })?;

    // Resolve once.
    let resolved = step(
        C,
        "resolve",
        e.resolve(&inc.id, "contract suite done", &run).await,
    )?;
    ensure(C, resolved.is_resolved(), || {
        format!("resolved incident is {:?}", resolved.state)
    })?;
    let open = step(C, "open_incidents", e.open_incidents().await)?;
    ensure(C, open.iter().all(|i| i.id != inc.id), || {
        format!("{} is still open after resolve", inc.id)
    })?;
    if let Some(k) = kinds(fx, &inc.id) {
        ensure(
            C,
            k.first() == Some(&MessageKind::Detected)
                && k.last() == Some(&MessageKind::Resolved)
                && count(&k, MessageKind::Detected) == 1
                && count(&k, MessageKind::Resolved) == 1,
            || format!("messages of the incident out of order: {k:?}"),
        )?;
    }
    let r = e.resolve(&inc.id, "again", &run).await;
    ensure(C, matches!(r, Err(Error::Conflict { .. })), || {
        format!("second resolve gave {r:?}, expected Conflict")
    })?;
    let r = e.update(&inc.id, &update, &run).await;
    ensure(C, matches!(r, Err(Error::Conflict { .. })), || {
        format!("update of a resolved incident gave {r:?}, expected Conflict")
    })?;
    let missing = step(
        C,
        "IncidentId::new",
        IncidentId::new("contract-missing-incident"),
    )?;
    let r = e.incident(&missing).await;
    ensure(C, matches!(r, Err(Error::NotFound { .. })), || {
        format!("unknown incident gave {r:?}, expected NotFound")
    })?;

    silences(e, fx, t0, &run, &plan).await
}

async fn silences(
    e: &dyn Escalator,
    fx: &EscalatorFixture,
    t0: Timestamp,
    run: &Intent,
    plan: &Intent,
) -> Result<(), ContractViolation> {
    let request = SilenceRequest {
        matchers: fx.silence_matchers.clone(),
        starts_at: t0,
        ends_at: plus(t0, 60)?,
        created_by: "contract-suite".to_owned(),
        comment: "Contract suite silence".to_owned(),
    };
    let mut bad = request.clone();
    bad.ends_at = t0;
    let r = e.silence(&bad, run).await;
    ensure(C, matches!(r, Err(Error::InvalidInput { .. })), || {
        format!("silence ending at its start gave {r:?}, expected InvalidInput")
    })?;
    let before = step(C, "silences", e.silences().await)?.len();
    step(C, "dry-run silence", e.silence(&request, plan).await)?;
    let n = step(C, "silences", e.silences().await)?.len();
    ensure(C, n == before, || {
        format!("dry-run silence stored one: {before} → {n}")
    })?;

    let silence = step(C, "silence", e.silence(&request, run).await)?;
    let listed = step(C, "silences", e.silences().await)?;
    ensure(
        C,
        listed.iter().any(|s| s.id == silence.id && !s.expired),
        || format!("silence {} is not listed as active", silence.id),
    )?;
    step(
        C,
        "expire_silence",
        e.expire_silence(&silence.id, run).await,
    )?;
    let listed = step(C, "silences", e.silences().await)?;
    ensure(
        C,
        listed.iter().all(|s| s.id != silence.id || s.expired),
        || format!("silence {} is not expired after expire_silence", silence.id),
    )?;
    let r = e.expire_silence("contract-missing-silence", run).await;
    ensure(C, matches!(r, Err(Error::NotFound { .. })), || {
        format!("expire of an unknown silence gave {r:?}, expected NotFound")
    })?;
    Ok(())
}
