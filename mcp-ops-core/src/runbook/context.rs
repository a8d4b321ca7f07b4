//! How a procedure runs its steps: deadlines, retries, dry runs and the journal, in one place.
//!
//! Every step goes through [`Context::step`]: a read runs (with its timeout and retries) and is
//! journaled; a mutating step in a dry run is journaled as `Planned` and **not called**, so a
//! dry run makes no mutating call at all.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::journal::{Journal, JournalEntry, StepOutcome};
use super::stop::StopSignal;
use crate::change::gate::GateState;
use crate::clock::{SharedClock, elapsed_between};
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::types::Intent;

/// Timeout and retries of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepPolicy {
    /// Each attempt may take at most this long.
    pub timeout: Duration,
    /// Attempts in all (1 = no retry). Only retryable errors are retried, and a step that
    /// changes state is not retried after a timed-out attempt (the change may have landed).
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub backoff: Duration,
}

impl Default for StepPolicy {
    /// 30 s per attempt, 3 attempts, 1 s then 2 s between them.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            attempts: 3,
            backoff: Duration::from_secs(1),
        }
    }
}

impl StepPolicy {
    /// One attempt bounded by `timeout`.
    pub fn once(timeout: Duration) -> Self {
        Self {
            timeout,
            attempts: 1,
            backoff: Duration::ZERO,
        }
    }
}

/// Everything a procedure needs besides its backends: who runs it and why, the clock, the
/// thresholds and the journal it writes.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::{Context, Plan};
/// use mcp_ops_core::testkit::TestKit;
/// use mcp_ops_core::types::{DeploymentRef, Replicas};
/// use mcp_ops_core::{Intent, ScaleChange, Scaler};
///
/// let kit = TestKit::runbook().await?;
/// let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse()?;
/// let intent = Intent::new("scale for the launch", "ops-bot")?;
/// let ctx = Context::new("launch_prep", intent, kit.shared_clock());
/// // A read runs, with its timeout and retries, and is journaled.
/// let now = ctx
///     .step("read replicas", rust.qualified())
///     .command("kubectl get deployment/mcp-rust-server -n mcp-production")
///     .read(|| kit.cluster.replicas(&rust), |r| format!("{r} replicas"))
///     .await?;
/// assert_eq!(now.get(), 3);
/// // A change in a dry run is journaled as planned and not made.
/// let dry = Context::new("launch_prep", ctx.intent().clone().with_dry_run(true), kit.shared_clock());
/// let six = Replicas::new(6)?;
/// let done = dry
///     .step("scale", rust.qualified())
///     .command("kubectl scale deployment/mcp-rust-server --replicas=6 -n mcp-production")
///     .act(|| kit.cluster.scale(&rust, six, dry.intent()), |c: &ScaleChange| format!("to {}", c.to))
///     .await?;
/// assert!(done.is_none());
/// assert_eq!(Plan::from_journal(dry.journal(), "launch_prep").steps.len(), 1);
/// assert_eq!(kit.cluster.replicas(&rust).await?.get(), 3);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
#[derive(Debug, Clone)]
pub struct Context {
    procedure: &'static str,
    intent: Intent,
    clock: SharedClock,
    journal: Journal,
    policy: Policy,
    /// The change gate and whether it authorized this context (see `context_change.rs`).
    gate: Option<Arc<GateState>>,
    /// The caller's request to stop safely (see `stop.rs`).
    stop: StopSignal,
}

impl Context {
    /// A context for `procedure` run with `intent`, timed by `clock`, writing a new journal,
    /// with the runbook's default [`Policy`].
    ///
    /// The clock: [`SystemClock`](crate::SystemClock) in production; in a test with paused
    /// time, the clock the mocks run on ([`TokioClock`](crate::TokioClock), or
    /// `testkit::TestKit::context`, which makes contexts on the kit's one clock).
    pub fn new(procedure: &'static str, intent: Intent, clock: SharedClock) -> Self {
        Self {
            procedure,
            intent,
            clock,
            journal: Journal::new(),
            policy: Policy::default(),
            gate: None,
            stop: StopSignal::new(),
        }
    }

    /// Writes to `journal` instead (to collect several procedures in one timeline).
    pub fn with_journal(mut self, journal: Journal) -> Self {
        self.journal = journal;
        self
    }

    /// Uses `policy` instead of the defaults.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Listens to `stop`: once it is stopped, a new mutating step refuses (unless it is a
    /// [`Step::compensation`]) and [`Context::sleep`] returns early, so the procedure stops
    /// safely and journals what it leaves. Keep a clone of `stop` to stop the procedure.
    #[must_use]
    pub fn with_stop(mut self, stop: StopSignal) -> Self {
        self.stop = stop;
        self
    }

    /// The stop signal this context listens to (a fresh one nobody stops unless
    /// [`Context::with_stop`] gave one).
    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }

    /// Whether the caller asked this context's procedures to stop.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_stopped()
    }

    /// The same context for another procedure (sharing journal, clock, intent, policy, change
    /// gate and stop signal).
    pub fn for_procedure(&self, procedure: &'static str) -> Self {
        Self {
            procedure,
            ..self.clone()
        }
    }

    /// The procedure's name.
    pub fn procedure(&self) -> &'static str {
        self.procedure
    }

    /// Why and by whom.
    pub fn intent(&self) -> &Intent {
        &self.intent
    }

    /// Whether this is a dry run.
    pub fn dry_run(&self) -> bool {
        self.intent.is_dry_run()
    }

    /// The clock.
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    /// Now, by the clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The thresholds.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Starts describing a step called `name` acting on `target`.
    pub fn step(&self, name: impl Into<String>, target: impl Into<String>) -> Step<'_> {
        Step {
            ctx: self,
            name: name.into(),
            target: target.into(),
            action: None,
            command: String::new(),
            policy: StepPolicy::default(),
            bookkeeping: false,
            compensation: false,
        }
    }

    /// Records a step that was not run, with why.
    pub fn skip(&self, name: impl Into<String>, target: impl Into<String>, why: impl Into<String>) {
        let name = name.into();
        self.journal.record(JournalEntry {
            at: self.now(),
            procedure: self.procedure.to_owned(),
            action: name.clone(),
            step: name,
            target: target.into(),
            command: String::new(),
            mutating: false,
            outcome: StepOutcome::Skipped(why.into()),
            duration: Duration::ZERO,
        });
    }

    /// Records a decision or observation that is not a call (a gate verdict, a finding).
    pub fn note(
        &self,
        name: impl Into<String>,
        target: impl Into<String>,
        what: impl Into<String>,
    ) {
        let name = name.into();
        self.journal.record(JournalEntry {
            at: self.now(),
            procedure: self.procedure.to_owned(),
            action: name.clone(),
            step: name,
            target: target.into(),
            command: String::new(),
            mutating: false,
            outcome: StepOutcome::Ok(what.into()),
            duration: Duration::ZERO,
        });
    }

    /// Waits `d` on the procedure's clock, or less: it returns as soon as the caller stops
    /// the context ([`Context::with_stop`]). Check [`Context::is_stopped`] after it.
    pub async fn sleep(&self, d: Duration) {
        if self.stop.is_stopped() {
            return;
        }
        tokio::select! {
            () = self.clock.sleep(d) => {}
            () = self.stop.stopped() => {}
        }
    }
}

/// A step being described; finish with [`Step::read`] or [`Step::act`].
#[derive(Debug)]
pub struct Step<'a> {
    ctx: &'a Context,
    name: String,
    target: String,
    action: Option<String>,
    command: String,
    policy: StepPolicy,
    bookkeeping: bool,
    compensation: bool,
}

impl Step<'_> {
    /// What the step does, in words (defaults to its name).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        self.action = Some(action.into());
        self
    }

    /// The command the runbook would have used.
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = command.into();
        self
    }

    /// Timeout and retries.
    pub fn policy(mut self, policy: StepPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// A single attempt bounded by `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.policy = StepPolicy::once(timeout);
        self
    }

    /// The step writes records about the work — an incident, a notification, a silence —
    /// not the system under change: an enforcing change gate lets it run without an
    /// authorization (see [`Context::with_change_gate`]). Still journaled as mutating, and
    /// still only planned in a dry run.
    pub fn bookkeeping(mut self) -> Self {
        self.bookkeeping = true;
        self
    }

    /// The step undoes or cleans up what the procedure did (a rollback to the previous
    /// revision, scaling writers back, dropping a scratch database): it still runs after the
    /// caller stopped the context, because the safe stop needs it. Other mutating steps
    /// refuse once stopped.
    pub fn compensation(mut self) -> Self {
        self.compensation = true;
        self
    }

    fn entry(
        &self,
        at: Timestamp,
        mutating: bool,
        outcome: StepOutcome,
        duration: Duration,
    ) -> JournalEntry {
        JournalEntry {
            at,
            procedure: self.ctx.procedure.to_owned(),
            step: self.name.clone(),
            target: self.target.clone(),
            action: self.action.clone().unwrap_or_else(|| self.name.clone()),
            command: self.command.clone(),
            mutating,
            outcome,
            duration,
        }
    }

    /// Runs `f` under the step's policy. A timed-out attempt of a `mutating` step is not
    /// retried: the change may have been applied, and repeating a change that is not
    /// idempotent (a second `rollout undo` goes back once more, a second incident is opened)
    /// is worse than reporting the timeout.
    async fn attempt<T, F, Fut>(&self, mutating: bool, f: &mut F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let attempts = self.policy.attempts.max(1);
        let mut backoff = self.policy.backoff;
        let mut tried = 0;
        loop {
            tried += 1;
            let result = match tokio::time::timeout(self.policy.timeout, f()).await {
                Ok(r) => r,
                Err(_) => Err(Error::timeout(
                    format!("{} on {}", self.name, self.target),
                    self.policy.timeout,
                )),
            };
            match result {
                Err(e)
                    if e.is_retryable()
                        && tried < attempts
                        && !(mutating && matches!(e, Error::Timeout { .. })) =>
                {
                    let wait = e.retry_after().unwrap_or(backoff);
                    tracing::warn!(step = %self.name, target = %self.target, attempt = tried, "retrying after {e}");
                    self.ctx.clock.sleep(wait).await;
                    backoff = backoff.saturating_mul(2);
                }
                other => return other,
            }
        }
    }

    async fn run<T, F, Fut>(
        self,
        mutating: bool,
        mut f: F,
        describe: impl FnOnce(&T) -> String,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = self.ctx.now();
        let result = self.attempt(mutating, &mut f).await;
        let took = elapsed_between(started, self.ctx.now());
        let outcome = match &result {
            Ok(v) => StepOutcome::Ok(describe(v)),
            Err(e) => StepOutcome::Failed(e.to_string()),
        };
        self.ctx
            .journal
            .record(self.entry(started, mutating, outcome, took));
        result
    }

    /// Runs a step that only reads; it runs in dry runs too.
    ///
    /// # Errors
    /// The step's error after its retries, or [`Error::Timeout`].
    pub async fn read<T, F, Fut>(self, f: F, describe: impl FnOnce(&T) -> String) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run(false, f, describe).await
    }

    /// Runs a step that changes state. In a dry run it is journaled as `Planned`, `f` is
    /// not called and the result is `Ok(None)`.
    ///
    /// In a context whose change gate enforces, the step refuses (`f` is not called)
    /// unless [`Context::authorize`] or [`Context::break_glass`] succeeded in the context,
    /// or the step is [`Step::bookkeeping`].
    ///
    /// Once the context is stopped ([`Context::with_stop`]) the step refuses (`f` is not
    /// called; journaled as skipped) unless it is a [`Step::compensation`].
    ///
    /// # Errors
    /// The step's error after its retries, or [`Error::Timeout`]; [`Error::ChangeRefused`]
    /// from an enforcing gate that authorized nothing; [`Error::Stopped`] once the caller
    /// stopped the context.
    pub async fn act<T, F, Fut>(
        self,
        f: F,
        describe: impl FnOnce(&T) -> String,
    ) -> Result<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if !self.compensation
            && let Some(why) = self.ctx.stop.reason()
        {
            let refused = Error::stopped(why, &self.name);
            let at = self.ctx.now();
            self.ctx.journal.record(self.entry(
                at,
                true,
                StepOutcome::Skipped(refused.to_string()),
                Duration::ZERO,
            ));
            return Err(refused);
        }
        if self.ctx.dry_run() {
            let at = self.ctx.now();
            self.ctx
                .journal
                .record(self.entry(at, true, StepOutcome::Planned, Duration::ZERO));
            return Ok(None);
        }
        if !self.bookkeeping {
            let action = self.action.as_deref().unwrap_or(&self.name);
            if let Some(refused) = self.ctx.unauthorized(action, &self.target) {
                return Err(refused);
            }
        }
        self.run(true, f, describe).await.map(Some)
    }
}

/// One step of a dry run's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedStep {
    /// The step.
    pub step: String,
    /// What it would act on.
    pub target: String,
    /// What it would do.
    pub action: String,
    /// The equivalent command.
    pub command: String,
}

/// The ordered mutating steps a dry run would have taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// In order.
    pub steps: Vec<PlannedStep>,
}

impl Plan {
    /// The planned steps of `procedure` in `journal`.
    pub fn from_journal(journal: &Journal, procedure: &str) -> Self {
        Self {
            steps: journal
                .entries()
                .into_iter()
                .filter(|e| e.procedure == procedure && e.outcome == StepOutcome::Planned)
                .map(|e| PlannedStep {
                    step: e.step,
                    target: e.target,
                    action: e.action,
                    command: e.command,
                })
                .collect(),
        }
    }
}

#[path = "context_change.rs"]
mod change;

#[cfg(test)]
#[path = "context_stop_tests.rs"]
mod stop_tests;

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
