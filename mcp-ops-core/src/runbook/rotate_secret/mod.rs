//! `rotate_secret`: the runbook's **"Secret Rotation"** (runbook: Security
//! Procedures) as a transaction.
//!
//! The runbook generates a value (`openssl rand -base64 32`), patches `mcp-secrets`, restarts
//! every deployment (`kubectl rollout restart deployment -n mcp-production`) and checks
//! `curl -f https://api.mcp-production.com/health`. This procedure does the same through
//! [`SecretRotator`], [`Deployer`] and [`HealthCheck`], and adds what the runbook leaves to
//! luck:
//!
//! 1. read the current version (kept to go back to);
//! 2. generate a new value ([`SecretValue::generate`] with [`RotateSecretInput::spec`]);
//! 3. stage it beside the current one, then apply it;
//! 4. restart every dependent concurrently (by default every deployment of the namespace, as
//!    the runbook's `kubectl rollout restart deployment -n …`) and wait for each rollout;
//! 5. verify: every health target the caller named must be no worse than
//!    [`RotateSecretInput::worst_acceptable`], and [`SecretRotator::verify`] must not answer
//!    [`SecretCheck::Rejected`];
//! 6. on any failure after staging: put the previous value back ([`SecretRotator::revert`]),
//!    restart the dependents again (when they had been restarted), wait, and check health once
//!    more so the report says whether the service recovered.
//!
//! The result wraps core's [`RotationReport`] (phases `Staged → Applied → Restarted →
//! Verified`, or `… → Reverted { why }`). The secret value never leaves the rotator: journal,
//! errors and reports name the key and a fingerprint only.
//!
//! A dry run reads the current version and returns the plan; it makes no mutating call.

mod plan;
mod preflight;
mod resume;
mod steps;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use super::commands;
use super::context::{Context, Plan};
use crate::change::ChangeSpec;
use crate::deploy::{Deployer, RolloutStatus};
use crate::error::{Error, Result};
use crate::health::{HealthCheck, HealthStatus, HealthSummary, HealthTarget, HttpProbe};
use crate::secrets::{RotationPhase, RotationReport, SecretCheck, SecretKeyRef, SecretRotator};
use crate::types::{DeploymentRef, Namespace, SecretEncoding, SecretSpec, SecretValue};

/// The procedure's name in journals.
pub const PROCEDURE: &str = "rotate_secret";

pub use crate::runbook::RUNBOOK_HEALTH_URL;

/// Which deployments read the secret and are restarted after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dependents {
    /// Exactly these deployments.
    Listed(Vec<DeploymentRef>),
    /// Every deployment of the namespace, as the runbook's `kubectl rollout restart
    /// deployment -n mcp-production` (listed when the procedure runs).
    Namespace(Namespace),
}

impl Dependents {
    /// The listed deployments (empty for [`Dependents::Namespace`] until it is listed).
    pub fn listed(&self) -> &[DeploymentRef] {
        match self {
            Dependents::Listed(d) => d,
            Dependents::Namespace(_) => &[],
        }
    }
}

/// What a run of [`rotate_secret`] does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RotationMode {
    /// A new rotation; refused while the last one is unfinished.
    #[default]
    Start,
    /// Finish an interrupted rotation: apply the staged value if it was not applied,
    /// restart the dependents, verify; revert on failure.
    Resume,
    /// Undo an interrupted rotation: put the previous value back (or drop the staged one)
    /// and restart the dependents when they may have read the new value.
    Abort,
}

/// What to rotate and how to check that the dependents still work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotateSecretInput {
    /// The key to rotate (runbook: `mcp-production/mcp-secrets` key `jwt-secret`).
    pub secret: SecretKeyRef,
    /// How to generate the new value (runbook: [`SecretSpec::JWT`], `openssl rand -base64 32`;
    /// [`SecretSpec::DB_PASSWORD`] for the database password).
    pub spec: SecretSpec,
    /// Deployments that read the secret, restarted concurrently after the change (runbook:
    /// every deployment of the namespace).
    pub dependents: Dependents,
    /// What must be healthy after the restart (runbook: the `/health` endpoint).
    pub health: Vec<HealthTarget>,
    /// How long each rollout may take (runbook: `--timeout=600s`).
    pub rollout_timeout: Duration,
    /// How long each health check may take.
    pub health_timeout: Duration,
    /// The worst health status that still counts as verified (default `Degraded`: slow is
    /// acceptable, `Unknown` and `Unhealthy` are not).
    pub worst_acceptable: HealthStatus,
    /// Start a rotation (default), or resume or abort an unfinished one.
    #[serde(default)]
    pub mode: RotationMode,
}

impl RotateSecretInput {
    /// Rotates `secret` with the runbook's defaults: a JWT-style value, every deployment of
    /// the secret's namespace as dependents, the `/health` endpoint as health target, 600 s
    /// per rollout, 30 s per health check.
    pub fn new(secret: SecretKeyRef) -> Self {
        Self {
            dependents: Dependents::Namespace(secret.namespace().clone()),
            secret,
            spec: SecretSpec::JWT,
            health: vec![HealthTarget::Http(HttpProbe::new(
                "api",
                RUNBOOK_HEALTH_URL,
            ))],
            rollout_timeout: Duration::from_secs(600),
            health_timeout: Duration::from_secs(30),
            worst_acceptable: HealthStatus::Degraded,
            mode: RotationMode::Start,
        }
    }

    /// The runbook's monthly JWT rotation: `mcp-production/mcp-secrets` key `jwt-secret`,
    /// restarting every deployment of `mcp-production`.
    ///
    /// # Errors
    /// None in practice (the names are valid); the constructors validate.
    pub fn runbook() -> Result<Self> {
        let ns = crate::types::RUNBOOK_NAMESPACE;
        Ok(Self::new(SecretKeyRef::new(
            ns,
            "mcp-secrets",
            "jwt-secret",
        )?))
    }

    /// Restarts exactly `dependents` instead of the whole namespace.
    pub fn with_dependents(mut self, dependents: Vec<DeploymentRef>) -> Self {
        self.dependents = Dependents::Listed(dependents);
        self
    }

    /// Sets the health targets.
    pub fn with_health(mut self, health: Vec<HealthTarget>) -> Self {
        self.health = health;
        self
    }

    /// Starts, resumes or aborts (see [`RotationMode`]).
    pub fn with_mode(mut self, mode: RotationMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets how the value is generated.
    pub fn with_spec(mut self, spec: SecretSpec) -> Self {
        self.spec = spec;
        self
    }

    /// Checks the spec and that no dependent is listed twice.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.spec.validate()?;
        let listed = self.dependents.listed();
        for (i, d) in listed.iter().enumerate() {
            if listed[..i].contains(d) {
                return Err(Error::invalid("dependents", format!("{d} is listed twice")));
            }
        }
        if self.rollout_timeout.is_zero() || self.health_timeout.is_zero() {
            return Err(Error::invalid("timeouts", "must be greater than zero"));
        }
        Ok(())
    }
}

/// The backends a rotation drives.
#[derive(Clone, Copy)]
pub struct RotationBackends<'a> {
    /// Stores and switches the secret.
    pub rotator: &'a dyn SecretRotator,
    /// Restarts the dependents and watches their rollouts.
    pub deployer: &'a dyn Deployer,
    /// Checks the health targets.
    pub health: &'a dyn HealthCheck,
}

impl std::fmt::Debug for RotationBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RotationBackends")
            .field("rotator", &self.rotator.backend())
            .field("deployer", &self.deployer.backend())
            .field("health", &self.health.backend())
            .finish()
    }
}

/// How one dependent's restart went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependentRestart {
    /// The deployment.
    pub deployment: DeploymentRef,
    /// Its rollout after the restart (`None` when the restart or the wait failed).
    pub rollout: Option<RolloutStatus>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

impl DependentRestart {
    /// Whether the restart completed its rollout.
    pub fn succeeded(&self) -> bool {
        matches!(self.rollout, Some(RolloutStatus::Complete { .. }))
    }
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RotateSecretOutcome {
    /// Core's rotation record: phases reached, previous and current versions (fingerprints).
    pub report: RotationReport,
    /// The restart of each dependent after the new value was applied.
    pub restarts: Vec<DependentRestart>,
    /// Health after the restarts (`None` when verification was not reached).
    pub health: Option<HealthSummary>,
    /// The rotator's own verdict on the new value (`None` when not reached).
    pub secret_check: Option<SecretCheck>,
    /// The restart of each dependent after the revert (empty when nothing was reverted or
    /// the dependents had not been restarted).
    pub revert_restarts: Vec<DependentRestart>,
    /// Health after the revert, when the dependents were restarted again.
    pub health_after_revert: Option<HealthSummary>,
    /// The plan, for a dry run.
    pub plan: Option<Plan>,
}

impl RotateSecretOutcome {
    /// Whether the rotation completed (ended `Verified`).
    pub fn succeeded(&self) -> bool {
        self.report.succeeded()
    }

    /// Whether the previous value was put back.
    pub fn reverted(&self) -> bool {
        matches!(self.report.outcome(), Some(RotationPhase::Reverted { .. }))
    }
}

/// `openssl rand …` for a spec.
fn generate_command(spec: &SecretSpec) -> String {
    match spec.encoding {
        SecretEncoding::Base64 => commands::openssl_rand(spec.bytes),
        SecretEncoding::Hex => format!("openssl rand -hex {}", spec.bytes),
        SecretEncoding::Alphanumeric => format!(
            "openssl rand -base64 {} | tr -dc 'A-Za-z0-9'",
            spec.bytes * 2
        ),
    }
}

/// Rotates a secret: generate, stage, apply, restart the dependents, wait, verify; on failure
/// put the previous value back and restart again.
///
/// The outcome tells success (`report.succeeded()`) from a revert (`reverted()`, with the
/// reason in the last phase). A dry run returns the plan in [`RotateSecretOutcome::plan`]
/// and makes no mutating call.
///
/// # Errors
/// [`Error::InvalidInput`] for bad input; the rotator's error when the current version cannot
/// be read or staging fails (nothing was changed then); [`Error::ChangeRefused`] when the
/// context's change gate does not authorize a
/// [`ChangeSpec::RotateSecret`] of this key (nothing was changed then); [`Error::Backend`] when a failure
/// happened after the value was applied **and** the revert failed too — the new value may
/// still be current and needs a person.
///
/// Runbook section: **"Secret Rotation"**.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "testkit")]
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> mcp_ops_core::Result<()> {
/// use mcp_ops_core::runbook::rotate_secret::{RotateSecretInput, rotate_secret};
/// use mcp_ops_core::testkit::TestKit;
///
/// let kit = TestKit::runbook().await?;
/// let ctx = kit.context("rotate_secret", "monthly JWT rotation")?;
/// let input = RotateSecretInput::runbook()?;
/// let outcome = rotate_secret(&ctx, kit.rotation_backends(), &input).await?;
/// assert!(outcome.succeeded());
/// assert_eq!(outcome.restarts.len(), 3); // every deployment of mcp-production
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testkit"))]
/// # fn main() {}
/// ```
pub async fn rotate_secret(
    ctx: &Context,
    backends: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> Result<RotateSecretOutcome> {
    let span = tracing::info_span!("rotate_secret", secret = %input.secret);
    run(ctx, backends, input).instrument(span).await
}

async fn run(
    ctx: &Context,
    backends: RotationBackends<'_>,
    input: &RotateSecretInput,
) -> Result<RotateSecretOutcome> {
    input.validate()?;
    // Every named object is checked before the first write.
    let checked = preflight::check_state(ctx, backends, input).await?;
    // Resolve the dependents once, so the restart and the revert's restart agree.
    let dependents = steps::dependents(ctx, backends, input).await?;
    if matches!(input.dependents, Dependents::Listed(_)) {
        preflight::check_dependents(ctx, backends, input, &dependents).await?;
    }
    let resolved = RotateSecretInput {
        dependents: Dependents::Listed(dependents),
        ..input.clone()
    };
    let input = &resolved;
    // The change policy, after every check and before the first write (start, resume and
    // abort all write).
    ctx.authorize(&ChangeSpec::RotateSecret {
        namespace: input.secret.namespace().clone(),
        secret: input.secret.name().clone(),
        key: input.secret.key().to_owned(),
    })
    .await?;

    let report = RotationReport {
        target: input.secret.clone(),
        phases: Vec::new(),
        previous: checked.current.clone(),
        current: checked.current,
        dry_run: ctx.dry_run(),
    };
    let outcome = RotateSecretOutcome {
        report: report.clone(),
        restarts: Vec::new(),
        health: None,
        secret_check: None,
        revert_restarts: Vec::new(),
        health_after_revert: None,
        plan: None,
    };
    match (input.mode, checked.pending) {
        (RotationMode::Resume, Some(p)) => {
            resume::resume(ctx, backends, input, &p, report, outcome).await
        }
        (RotationMode::Abort, Some(p)) => {
            resume::abort(ctx, backends, input, &p, report, outcome).await
        }
        _ => start(ctx, backends, input, report, outcome).await,
    }
}

/// A new rotation: generate, stage, then as [`resume::finish_or_revert`].
async fn start(
    ctx: &Context,
    backends: RotationBackends<'_>,
    input: &RotateSecretInput,
    mut report: RotationReport,
    mut outcome: RotateSecretOutcome,
) -> Result<RotateSecretOutcome> {
    let label = input.secret.to_string();
    let value = ctx
        .step("generate new value", &label)
        .command(generate_command(&input.spec))
        .read(
            || async { SecretValue::generate(&input.spec) },
            |v| {
                format!(
                    "{} random bytes, fingerprint {}",
                    input.spec.bytes,
                    v.fingerprint()
                )
            },
        )
        .await?;

    if ctx.dry_run() {
        plan::plan(ctx, backends, input, Some(&value), true).await?;
        outcome.plan = Some(Plan::from_journal(ctx.journal(), ctx.procedure()));
        return Ok(outcome);
    }

    // Staging failed: nothing was changed, and a revert could switch to an even older
    // version, so the error goes straight back.
    steps::stage(ctx, backends, input, &value).await?;
    drop(value);
    report.phases.push(RotationPhase::Staged);

    let failure =
        steps::apply_restart_verify(ctx, backends, input, &mut report, &mut outcome).await;
    resume::finish_or_revert(ctx, backends, input, failure, report, outcome).await
}
