//! `run_incident`: the runbook's **"Alert Escalation"** (Monitoring and Alerting) and
//! **"Incident Communication"** (Communication Procedures).
//!
//! One incident from detection to resolution, driven by its caller:
//!
//! 1. open it with its severity ([`Escalator::open`]); the escalator sends INCIDENT DETECTED
//!    and notifies level 1 (on-call engineer);
//! 2. every [`IncidentSpec::tick_interval`] on the context's clock, call [`Escalator::tick`]
//!    so the escalator notifies the levels that are due by elapsed time (runbook: L2 team lead
//!    and infrastructure team at 15 min, L3 engineering manager and executive team at 30 min)
//!    — until the incident is acknowledged or resolved;
//! 3. act on the caller's [`IncidentSignal`]s as they arrive: `Acknowledge` (escalation
//!    stops), `Update` (INCIDENT UPDATE), `Resolve` (INCIDENT RESOLVED with its duration);
//! 4. record the duration in the journal and in the [`IncidentOutcome`].
//!
//! # Driving it
//!
//! The caller keeps the sending half of a `tokio::sync::mpsc` channel and sends signals from
//! wherever decisions are made (a chat command, a UI, another procedure):
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> mcp_ops_core::Result<()> {
//! use std::sync::Arc;
//! use mcp_ops_core::mock::MockAlerting;
//! use mcp_ops_core::runbook::Context;
//! use mcp_ops_core::runbook::run_incident::{IncidentSignal, IncidentSpec, run_incident};
//! use mcp_ops_core::{Intent, TokioClock};
//!
//! let alerting = MockAlerting::runbook();
//! // `SystemClock` in production; a clock that paused time drives in a test.
//! let clock = Arc::new(TokioClock::wall());
//! let ctx = Context::new("run_incident", Intent::new("5xx spike", "ops-bot")?, clock);
//! let (tx, rx) = tokio::sync::mpsc::channel(8);
//! let driver = async move {
//!     let _ = tx.send(IncidentSignal::Acknowledge { by: "alice".into() }).await;
//!     let _ = tx.send(IncidentSignal::Resolve { resolution: "rolled back v1.0.1".into() }).await;
//! };
//! let spec = IncidentSpec::runbook();
//! let (outcome, ()) = tokio::join!(run_incident(&ctx, &alerting, &spec, rx), driver);
//! println!("{:?}", outcome?.end);
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```
//!
//! The run ends when the incident is resolved, when [`IncidentSpec::max_duration`] has passed
//! since it opened (the incident stays open: resolving needs a resolution from a person), or
//! when every sender is dropped (the incident stays open in the escalator). A failed
//! acknowledge, update, resolve or tick is journaled and listed in
//! [`IncidentOutcome::failures`]; the run goes on, so the caller can send the signal again.
//!
//! Ticks that escalate nothing are not journaled (one per minute would drown the timeline);
//! ticks that escalate or fail are.
//!
//! A dry run opens nothing, reads no signal and returns the plan.

mod signals;

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::context::{Context, Plan};
use crate::clock::elapsed_between;
use crate::error::{Error, Result};
use crate::escalation::{EscalationAction, Escalator};
use crate::incident::{Incident, IncidentUpdate, NewIncident};
use crate::notify::{Message, render_detected, render_escalation};
use crate::types::Severity;

/// The procedure's name in journals.
pub const PROCEDURE: &str = "run_incident";

/// What the caller tells a running incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentSignal {
    /// Someone owns the incident: escalation stops.
    Acknowledge {
        /// Who (becomes the actor of the acknowledgement).
        by: String,
    },
    /// Progress to announce (INCIDENT UPDATE).
    Update(IncidentUpdate),
    /// It is over (INCIDENT RESOLVED).
    Resolve {
        /// What fixed it.
        resolution: String,
    },
}

impl IncidentSignal {
    /// Checks the signal's text (who acknowledges, the update, the resolution) as the
    /// escalator will, so a caller holding every signal up front (`ops incident open
    /// --ack-by … --update … --resolve …`) can refuse bad input before the incident is opened.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the bad field.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Acknowledge { by } => crate::incident::validate_actor(by),
            Self::Update(update) => update.validate(),
            Self::Resolve { resolution } => crate::incident::validate_resolution(resolution),
        }
    }
}

/// The incident to run and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSpec {
    /// What is opened.
    pub incident: NewIncident,
    /// How often escalation is checked (default 60 s).
    pub tick_interval: Duration,
    /// The run stops after this long without a resolution (default 24 h); the incident stays
    /// open.
    pub max_duration: Duration,
}

impl IncidentSpec {
    /// Runs `incident`, checking escalation every 60 s, for at most 24 h.
    pub fn new(incident: NewIncident) -> Self {
        Self {
            incident,
            tick_interval: Duration::from_secs(60),
            max_duration: Duration::from_secs(24 * 3600),
        }
    }

    /// The runbook's INCIDENT DETECTED example: P1, MCP Production, "High error rate (15%)
    /// on API endpoints", investigated by @ops-team.
    pub fn runbook() -> Self {
        Self::new(NewIncident {
            title: "High error rate on API endpoints".into(),
            severity: Severity::P1,
            service: "MCP Production".into(),
            impact: "High error rate (15%) on API endpoints".into(),
            investigating: "@ops-team".into(),
        })
    }

    /// Checks the incident and that the interval and maximum are non-zero.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.incident.validate()?;
        if self.tick_interval.is_zero() {
            return Err(Error::invalid("tick_interval", "must be greater than zero"));
        }
        if self.max_duration.is_zero() {
            return Err(Error::invalid("max_duration", "must be greater than zero"));
        }
        Ok(())
    }
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "end", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IncidentEnd {
    /// Resolved.
    Resolved {
        /// What fixed it.
        resolution: String,
        /// When.
        at: Timestamp,
    },
    /// [`IncidentSpec::max_duration`] passed; the incident is still open.
    MaxDurationReached,
    /// Every signal sender was dropped; the incident is still open.
    SignalsClosed,
    /// The caller stopped the run ([`Context::with_stop`]); the incident is still open.
    Stopped {
        /// The caller's reason.
        why: String,
    },
    /// A dry run: nothing was opened.
    Planned,
}

/// Who acknowledged, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Acknowledgement {
    /// Who.
    pub by: String,
    /// When, by the context's clock.
    pub at: Timestamp,
}

/// What happened during the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentOutcome {
    /// The incident as last returned by the escalator (`None` in a dry run).
    pub incident: Option<Incident>,
    /// Why the run ended.
    pub end: IncidentEnd,
    /// Escalations done by ticks of this run, in order (level 1 is notified on open and is
    /// in `incident.level` from the start).
    pub escalations: Vec<EscalationAction>,
    /// The acknowledgement, if any.
    pub acknowledged: Option<Acknowledgement>,
    /// The runbook's messages for this incident, in order, as rendered from the templates
    /// (DETECTED, ESCALATED, ACKNOWLEDGED, UPDATE, RESOLVED); the escalator delivered them
    /// through its notifiers, and a caller may post them elsewhere too (status page, support).
    pub messages: Vec<Message>,
    /// From opening to resolution, or to the end of the run when unresolved.
    pub duration: Duration,
    /// Steps that failed without ending the run (`acknowledge: …`).
    pub failures: Vec<String>,
    /// The plan, for a dry run.
    pub plan: Option<Plan>,
}

/// Whole minutes, rounded up as the runbook's "Duration: N minutes".
pub fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60)
}

/// The channels the runbook notifies for `severity`, as a human command line.
fn channels(severity: Severity, what: &str) -> String {
    let mut c = vec![format!("slack #mcp-production-alerts: {what}")];
    if severity.pages() {
        c.push("pagerduty".to_owned());
    }
    if severity.emails() {
        c.push("email mcp-alerts@company.com".to_owned());
    }
    c.join("; ")
}

/// Runs one incident: open, escalate by elapsed time until acknowledged or resolved, act on
/// the caller's signals, resolve, record the duration. See the module documentation for how
/// to drive it and when it ends.
///
/// # Errors
/// [`Error::InvalidInput`] for an invalid spec; the escalator's error when the incident
/// cannot be opened. Later failures do not end the run (see [`IncidentOutcome::failures`]).
///
/// Runbook section: **"Alert Escalation", "Incident Communication"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use std::time::Duration;
/// use mcp_ops_core::runbook::run_incident::{
///     IncidentEnd, IncidentSignal, IncidentSpec, run_incident,
/// };
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// let ctx = kit.context("run_incident", "5xx spike on the API")?;
/// let (tx, rx) = tokio::sync::mpsc::channel(8);
/// let people = async move {
///     // Nobody answers for 20 minutes: level 2 is notified at 15.
///     tokio::time::sleep(Duration::from_secs(20 * 60)).await;
///     let _ = tx.send(IncidentSignal::Acknowledge { by: "alice".into() }).await;
///     let resolution = "rolled back v1.0.1".to_owned();
///     let _ = tx.send(IncidentSignal::Resolve { resolution }).await;
/// };
/// let spec = IncidentSpec::runbook();
/// let (outcome, ()) = tokio::join!(run_incident(&ctx, &kit.alerting, &spec, rx), people);
/// let outcome = outcome?;
/// assert!(matches!(outcome.end, IncidentEnd::Resolved { .. }));
/// assert_eq!(outcome.escalations.first().map(|a| a.level), Some(2));
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn run_incident(
    ctx: &Context,
    escalator: &dyn Escalator,
    spec: &IncidentSpec,
    signals: mpsc::Receiver<IncidentSignal>,
) -> Result<IncidentOutcome> {
    let span = tracing::info_span!("run_incident", severity = %spec.incident.severity);
    run(ctx, escalator, spec, signals).instrument(span).await
}

async fn run(
    ctx: &Context,
    escalator: &dyn Escalator,
    spec: &IncidentSpec,
    mut signals: mpsc::Receiver<IncidentSignal>,
) -> Result<IncidentOutcome> {
    spec.validate()?;
    let new = &spec.incident;
    let opened = ctx
        .step("open incident", new.title.as_str())
        .bookkeeping()
        .action(format!(
            "open a {} incident and notify level 1",
            new.severity
        ))
        .command(channels(new.severity, "INCIDENT DETECTED"))
        .act(
            || escalator.open(new, ctx.intent()),
            |i| format!("{} opened at level {}", i.id, i.level),
        )
        .await?;
    let Some(incident) = opened else {
        signals::plan(ctx, escalator, spec).await?;
        return Ok(IncidentOutcome {
            incident: None,
            end: IncidentEnd::Planned,
            escalations: Vec::new(),
            acknowledged: None,
            messages: Vec::new(),
            duration: Duration::ZERO,
            failures: Vec::new(),
            plan: Some(Plan::from_journal(ctx.journal(), ctx.procedure())),
        });
    };
    let started = ctx.now();
    ctx.note(
        "notify",
        incident.id.as_str(),
        format!(
            "INCIDENT DETECTED sent by {}; level {} notified",
            escalator.backend(),
            incident.level
        ),
    );
    let mut run = signals::Run {
        ctx,
        escalator,
        outcome: IncidentOutcome {
            messages: vec![render_detected(&incident)],
            incident: Some(incident.clone()),
            end: IncidentEnd::SignalsClosed,
            escalations: Vec::new(),
            acknowledged: None,
            duration: Duration::ZERO,
            failures: Vec::new(),
            plan: None,
        },
        incident,
        escalating: true,
    };
    run.escalating = run.incident.escalates();

    let mut next_tick = spec.tick_interval;
    loop {
        let elapsed = elapsed_between(started, ctx.now());
        if elapsed >= spec.max_duration {
            run.outcome.end = IncidentEnd::MaxDurationReached;
            ctx.note(
                "decision",
                run.incident.id.as_str(),
                format!(
                    "stopped after {} minutes without resolution; the incident stays open",
                    minutes(elapsed)
                ),
            );
            break;
        }
        // A stopped context's sleep returns at once: end the watch instead of spinning.
        if let Some(why) = ctx.stop_signal().reason() {
            ctx.note(
                "decision",
                run.incident.id.as_str(),
                format!("stopped by the caller ({why}); the incident stays open"),
            );
            run.outcome.end = IncidentEnd::Stopped { why };
            break;
        }
        let until = if run.escalating {
            next_tick.min(spec.max_duration)
        } else {
            spec.max_duration
        };
        tokio::select! {
            biased;
            signal = signals.recv() => match signal {
                Some(s) => {
                    if run.handle(s).await {
                        break;
                    }
                }
                None => {
                    run.outcome.end = IncidentEnd::SignalsClosed;
                    ctx.note("decision", run.incident.id.as_str(), "signals closed; the incident stays open");
                    break;
                }
            },
            () = ctx.sleep(until.saturating_sub(elapsed)) => {
                let now_elapsed = elapsed_between(started, ctx.now());
                if run.escalating && now_elapsed >= next_tick {
                    run.tick().await;
                    while next_tick <= now_elapsed {
                        next_tick = next_tick.saturating_add(spec.tick_interval);
                    }
                }
            }
        }
    }
    let end_at = match &run.outcome.end {
        IncidentEnd::Resolved { at, .. } => *at,
        _ => ctx.now(),
    };
    run.outcome.duration = elapsed_between(started, end_at);
    run.outcome.incident = Some(run.incident.clone());
    ctx.note(
        "duration",
        run.incident.id.as_str(),
        format!("{} minutes", minutes(run.outcome.duration)),
    );
    Ok(run.outcome)
}

/// An escalation notice for an action of this run.
fn escalation_message(incident: &Incident, action: &EscalationAction) -> Message {
    render_escalation(incident, action.level, &action.targets, action.at)
}
