//! The input, backends and outcome of [`standard_deploy`](super::standard_deploy).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
    BackupGate, BakeConfig, BakeSummary, Checklist, GateResult, GateVerdict, NoDataPolicy,
    RUNBOOK_HEALTH_URL,
};
use crate::backup::BackupManager;
use crate::deploy::Deployer;
use crate::error::{Error, Result};
use crate::escalation::Escalator;
use crate::health::{HealthCheck, HealthStatus, HttpProbe};
use crate::incident::IncidentId;
use crate::runbook::Plan;
use crate::runbook::smoke::SmokeTest;
use crate::types::{ContainerName, DeploymentRef, ImageRef, Revision, Severity, text};

/// How incidents opened by a procedure are filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentTemplate {
    /// Severity (P1: a deployment had to be rolled back).
    pub severity: Severity,
    /// The affected service (`MCP Production`).
    pub service: String,
    /// Who investigates (`@ops-team`).
    pub investigating: String,
}

impl Default for IncidentTemplate {
    /// P1, `MCP Production`, `@ops-team` (the runbook's incident templates).
    fn default() -> Self {
        Self {
            severity: Severity::P1,
            service: "MCP Production".to_owned(),
            investigating: "@ops-team".to_owned(),
        }
    }
}

/// The longest bake accepted: 24 h (the runbook bakes 30 min; a day covers a full traffic
/// cycle). Longer is refused as a mistake (`--bake-seconds 99999999`).
pub const MAX_BAKE: Duration = Duration::from_secs(24 * 3600);

/// The longest rollout wait accepted: 24 h (the runbook waits 600 s).
pub const MAX_ROLLOUT_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// What to deploy and how; the defaults are the runbook's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployRequest {
    /// The deployment (`mcp-production/mcp-typescript-api`).
    pub deployment: DeploymentRef,
    /// The container whose image changes.
    pub container: ContainerName,
    /// The new image.
    pub image: ImageRef,
    /// The checklist items the caller's pipeline checked.
    pub checklist: Checklist,
    /// Deploy despite failing gates, for this reason (journaled).
    pub force: Option<String>,
    /// How the backup gate is checked (`mcp_db`, 24 h).
    pub backup: BackupGate,
    /// How long the rollout may take (runbook: `--timeout=600s`).
    pub rollout_timeout: Duration,
    /// The health endpoint checked after the rollout.
    pub health: HttpProbe,
    /// The bake period (30 min, sampled every 60 s).
    pub bake: BakeConfig,
    /// What an inconclusive bake leads to (default: hold, reported as a failure).
    #[serde(default)]
    pub on_no_data: NoDataPolicy,
    /// How the incident of an automatic rollback is filled in.
    pub incident: IncidentTemplate,
}

impl DeployRequest {
    /// A request to set `container` of `deployment` to `image` with the runbook's defaults
    /// and an empty checklist (which fails every caller-checked gate until filled in).
    pub fn new(deployment: DeploymentRef, container: ContainerName, image: ImageRef) -> Self {
        Self {
            deployment,
            container,
            image,
            checklist: Checklist::default(),
            force: None,
            backup: BackupGate::default(),
            rollout_timeout: Duration::from_secs(600),
            health: HttpProbe::new("api", RUNBOOK_HEALTH_URL),
            bake: BakeConfig::default(),
            on_no_data: NoDataPolicy::default(),
            incident: IncidentTemplate::default(),
        }
    }

    /// The runbook's example: `mcp-production/mcp-typescript-api`, container
    /// `mcp-typescript-api`, set to `image`.
    ///
    /// **It bakes for 30 minutes** (the runbook's "Monitor metrics for 30 minutes", one
    /// sample a minute, [`BakeConfig::default`]) after a rollout allowed 600 s — on mocks
    /// too, in real time, unless tokio's time is paused. In tests run it under
    /// `#[tokio::test(start_paused = true)]` with one clock shared by the mocks and the
    /// [`Context`](crate::runbook::Context) — `testkit::TestKit` (feature `testkit`) gives
    /// both in one call — or shorten [`DeployRequest::bake`] for a run against a real system.
    ///
    /// # Errors
    /// None in practice (the names are valid); typed for the validating constructors.
    pub fn runbook(image: ImageRef) -> Result<Self> {
        let deployment = DeploymentRef::new(crate::types::RUNBOOK_NAMESPACE, "mcp-typescript-api")?;
        let container = ContainerName::new("mcp-typescript-api")?;
        Ok(Self::new(deployment, container, image))
    }

    /// Fills in the checklist.
    pub fn with_checklist(mut self, checklist: Checklist) -> Self {
        self.checklist = checklist;
        self
    }

    /// Forces the deployment past failing gates, for `reason`.
    pub fn forced(mut self, reason: impl Into<String>) -> Self {
        self.force = Some(reason.into());
        self
    }

    /// Checks the request's values (before anything is read or written).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a zero or absurd rollout timeout (over
    /// [`MAX_ROLLOUT_TIMEOUT`]), a bake over [`MAX_BAKE`], a zero bake interval, a rate window under 1 min or over 24 h, an empty force reason.
    pub fn validate(&self) -> Result<()> {
        if self.rollout_timeout.is_zero() {
            return Err(Error::invalid(
                "rollout_timeout",
                "must be greater than zero",
            ));
        }
        if self.rollout_timeout > MAX_ROLLOUT_TIMEOUT {
            return Err(Error::invalid(
                "rollout_timeout",
                format!("{:?} is over the 24 h bound", self.rollout_timeout),
            ));
        }
        if self.bake.duration > MAX_BAKE {
            return Err(Error::invalid(
                "bake",
                format!(
                    "{} s is over the 24 h bound ({} s; the runbook bakes 1800 s)",
                    self.bake.duration.as_secs(),
                    MAX_BAKE.as_secs()
                ),
            ));
        }
        if !self.bake.duration.is_zero() && self.bake.interval.is_zero() {
            return Err(Error::invalid("bake.interval", "must be greater than zero"));
        }
        if self.bake.window < Duration::from_secs(60) || self.bake.window > MAX_BAKE {
            return Err(Error::invalid(
                "bake.window",
                "the rate window must be between 1 min and 24 h",
            ));
        }
        if self.force.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Err(Error::invalid(
                "force",
                "a forced deployment needs a reason",
            ));
        }
        if let Some(reason) = &self.force {
            text::check_text("force", reason, text::LINE_MAX)?;
        }
        let gates = [
            ("checklist.tests", &self.checklist.tests),
            ("checklist.security_scans", &self.checklist.security_scans),
            ("checklist.benchmarks", &self.checklist.benchmarks),
        ];
        for (field, gate) in gates {
            match gate {
                // Blank words are the gate's to refuse ("no evidence"), with its report.
                GateResult::Passed { evidence: words } | GateResult::Failed { reason: words }
                    if !words.trim().is_empty() =>
                {
                    text::check_text(field, words, text::TEXT_MAX)?;
                }
                _ => {}
            }
        }
        if let Some(plan) = self.checklist.rollback_plan.as_deref()
            && !plan.trim().is_empty()
        {
            text::check_text("checklist.rollback_plan", plan, text::TEXT_MAX)?;
        }
        Ok(())
    }
}

/// The backends a deployment uses.
#[derive(Clone, Copy)]
pub struct DeployBackends<'a> {
    /// Sets the image, waits, undoes.
    pub deployer: &'a dyn Deployer,
    /// Answers the backup gate.
    pub backups: &'a dyn BackupManager,
    /// Checks the HTTP health endpoint.
    pub health: &'a dyn HealthCheck,
    /// Checks the error rate and p95 during the bake.
    pub metrics: &'a dyn HealthCheck,
    /// The caller's smoke tests.
    pub smoke: &'a dyn SmokeTest,
    /// Opens the incident of an automatic rollback.
    pub escalator: &'a dyn Escalator,
}

impl std::fmt::Debug for DeployBackends<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployBackends")
            .field("deployer", &self.deployer.backend())
            .field("backups", &self.backups.backend())
            .field("health", &self.health.backend())
            .field("metrics", &self.metrics.backend())
            .field("escalator", &self.escalator.backend())
            .finish_non_exhaustive()
    }
}

/// How a deployment ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeployOutcome {
    /// The new image runs, passed its checks and the bake.
    Deployed {
        /// The revision now rolled out.
        revision: Revision,
    },
    /// A check failed and the deployment was undone.
    RolledBack {
        /// The revision that failed.
        from: Revision,
        /// The revision restored.
        to: Revision,
        /// Why, with the observed numbers.
        why: String,
    },
    /// A check failed and the undo did not happen (no history, paused, error).
    RollbackFailed {
        /// Why the rollback was needed.
        why: String,
        /// Why it did not happen.
        error: String,
    },
    /// The new image runs and passed its rollout, health and smoke checks, but the bake had
    /// no evidence (no metric data, pods unreadable, or no bake): "deployed without
    /// verification", held or accepted by the [`NoDataPolicy`].
    Unverified {
        /// The revision now rolled out.
        revision: Revision,
        /// What evidence was missing.
        why: String,
        /// The policy that kept it (`hold`: a failure; `accept`: a success).
        policy: NoDataPolicy,
    },
    /// The caller stopped the procedure (Ctrl-C, an MCP client's cancellation) after the image
    /// was set — during the rollout wait, the checks or the bake — and the safe stop undid
    /// the deployment to the previous revision (or says why it could not). A stop before the
    /// image was set is [`Error::Stopped`] instead: nothing was changed.
    Stopped {
        /// The caller's reason.
        why: String,
        /// The revision restored, when the undo happened.
        rolled_back_to: Option<Revision>,
        /// The state left, in words (`rolled back to revision 2`), with what to do when the
        /// undo did not happen.
        left: String,
    },
    /// A gate failed and the request was not forced; nothing was changed.
    Refused {
        /// The failing gates and their reasons.
        why: String,
    },
    /// A dry run: what would be done.
    Planned {
        /// The ordered steps.
        plan: Plan,
    },
}

/// The report of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployReport {
    /// How it ended.
    pub outcome: DeployOutcome,
    /// Every gate's verdict.
    pub gates: Vec<GateVerdict>,
    /// The reason failing gates were forced, when they were.
    pub forced: Option<String>,
    /// What the bake saw, when it ran.
    pub bake: Option<BakeSummary>,
    /// Health after an automatic rollback, when one happened.
    pub health_after_rollback: Option<HealthStatus>,
    /// The incident opened for an automatic rollback.
    pub incident: Option<IncidentId>,
}

impl DeployReport {
    pub(super) fn new(
        outcome: DeployOutcome,
        gates: Vec<GateVerdict>,
        forced: Option<String>,
    ) -> Self {
        Self {
            outcome,
            gates,
            forced,
            bake: None,
            health_after_rollback: None,
            incident: None,
        }
    }
}
