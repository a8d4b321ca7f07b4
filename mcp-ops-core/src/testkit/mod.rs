//! A test kit for your own runbooks (feature `testkit`, which implies `mock` and turns on
//! tokio's `test-util` for paused time).
//!
//! [`TestKit::runbook`] gives, in one call, the runbook's mocks on **one** clock that paused
//! tokio time drives: the `mcp-production` cluster ([`MockCluster`]), the database and cache
//! ([`MockDatabase`]) with a nightly backup already taken, the alerting system
//! ([`MockAlerting`]) with a [`RecordingNotifier`] per channel, scripted metrics for bakes
//! ([`ScriptedMetrics`], healthy until scripted otherwise), passing smoke tests
//! ([`ScriptedSmoke`]), a journal shared by every [`Context`] the kit makes, and ready backend
//! bundles for every procedure ([`TestKit::deploy_backends`], [`TestKit::triage_backends`] …).
//!
//! Run it under `#[tokio::test(start_paused = true)]`: a 30-minute bake then takes
//! microseconds of wall time, and every timestamp (journal, incidents, backups) is on the
//! same clock, starting at [`START`] — a Sunday inside the runbook's maintenance window.
//!
//! # Testing your own procedure
//!
//! A procedure of your own over the capability traits, tested in paused time (the whole test
//! runs in well under a second of wall time):
//!
//! ```
//! use std::time::Duration;
//! use mcp_ops_core::runbook::Context;
//! use mcp_ops_core::testkit::TestKit;
//! use mcp_ops_core::types::{DeploymentRef, Replicas};
//! use mcp_ops_core::{Deployer, Result, Scaler};
//!
//! /// Ours: double a deployment, wait ten minutes, report whether every pod is available.
//! async fn double_and_watch(
//!     ctx: &Context, d: &DeploymentRef, deployer: &dyn Deployer, scaler: &dyn Scaler,
//! ) -> Result<bool> {
//!     let now = scaler.replicas(d).await?.get();
//!     scaler.scale(d, Replicas::new(now * 2)?, ctx.intent()).await?;
//!     ctx.sleep(Duration::from_secs(600)).await;
//!     Ok(deployer.pod_health(d).await?.unavailable == 0)
//! }
//!
//! #[tokio::main(flavor = "current_thread", start_paused = true)] // #[tokio::test(…)] in tests
//! async fn main() -> Result<()> {
//!     let kit = TestKit::runbook().await?;
//!     let rust: DeploymentRef = "mcp-production/mcp-rust-server".parse()?;
//!     let ctx = kit.context("double_and_watch", "load test at 03:00")?;
//!     assert!(double_and_watch(&ctx, &rust, &kit.cluster, &kit.cluster).await?);
//!     assert_eq!(kit.cluster.deployment(&rust).await?.desired, 6);
//!     assert_eq!(kit.now().to_string(), "2025-01-12T02:40:00Z"); // ten minutes later
//!     Ok(())
//! }
//! ```
//!
//! # Backends for each procedure
//!
//! | procedure | backends |
//! |---|---|
//! | `triage` | [`TestKit::triage_backends`] |
//! | `investigate_error_rate` | [`TestKit::error_rate_backends`] (with [`TestKit::config`]) |
//! | `investigate_latency` | [`TestKit::latency_backends`] |
//! | `standard_deploy` | [`TestKit::deploy_backends`] |
//! | `emergency_rollback` | [`TestKit::rollback_backends`] |
//! | `scale_out` | [`TestKit::scale_out_backends`] |
//! | `maintenance_window` | [`TestKit::maintenance_backends`]`(&kit.health_checks())` |
//! | `recover_database` | [`TestKit::recovery_backends`]`(&kit.health_checks())` |
//! | `rotate_secret` | [`TestKit::rotation_backends`] |
//! | `run_incident` | `&kit.alerting` (the escalator) |
//!
//! Each procedure's documentation has a runnable example on the kit. Contexts come from
//! [`TestKit::context`] (or [`TestKit::dry_run_context`]), all on the kit's clock and journal.
//!
//! Change management: [`TestKit::change_gate`] (an in-memory change store, the runbook's
//! policy and team, the kit's notifiers) for
//! [`Context::with_change_gate`](crate::runbook::Context::with_change_gate), and
//! [`TestKit::approved_change`] for a change request approved by the right people.
//!
//! Script what the test is about before running the procedure: a bad image
//! ([`MockCluster::mark_bad_image`]), a metric breach during the bake
//! ([`ScriptedMetrics::breach_after`]), no metric data ([`ScriptedMetrics::no_data_after`]),
//! failing smoke tests ([`ScriptedSmoke::set_passing`]), injected backend faults
//! ([`MockCluster::faults`](crate::mock::MockCluster::faults)); then assert on the outcome,
//! the journal ([`TestKit::journal`]) and the messages sent ([`TestKit::messages`]).

mod bundles;
mod changes;
mod fakes;
mod metrics;

use std::sync::Arc;

use jiff::Timestamp;

use crate::backends::HealthRouter;
use crate::backup::{BackupKind, BackupManager, BackupRecord, BackupRequest};
use crate::clock::{Clock, SharedClock, TokioClock};
use crate::error::Result;
use crate::mock::{
    MockAlerting, MockAlertingBuilder, MockCluster, MockClusterBuilder, MockDatabase,
    MockDatabaseBuilder, RecordingNotifier,
};
use crate::notify::{Message, Notifier};
use crate::runbook::{Context, Journal};
use crate::types::Intent;

pub use changes::REQUESTER;
pub use fakes::{ScriptedConfig, ScriptedSmoke};
pub use metrics::{
    BREACH_ERROR_RATE, HEALTHY_ERROR_RATE, HEALTHY_MEMORY_RATIO, HEALTHY_P95_SECONDS,
    ScriptedMetrics,
};

/// Where the kit's clock starts: Sunday 2025-01-12 02:30 UTC, inside the runbook's
/// maintenance window (Sunday 02:00–04:00 UTC).
pub const START: &str = "2025-01-12T02:30:00Z";

/// Who the kit's intents name.
pub const ACTOR: &str = "testkit";

/// The runbook's mocks on one clock, with everything a procedure needs; see the
/// [module documentation](self). Fields are public: script them directly.
#[derive(Clone)]
pub struct TestKit {
    /// The one clock of every mock and context ([`START`] when the kit was made).
    pub clock: Arc<TokioClock>,
    /// The `mcp-production` cluster: deployer, scaler, secret rotator, node groups, cluster
    /// and HTTP health.
    pub cluster: MockCluster,
    /// `mcp_db` and the cache `redis`: backups, maintenance, database and cache health.
    pub database: MockDatabase,
    /// Escalation, alerts, silences; delivers through [`TestKit::slack`],
    /// [`TestKit::pagerduty`] and [`TestKit::email`].
    pub alerting: MockAlerting,
    /// The metrics bakes and investigations read (healthy until scripted otherwise).
    pub metrics: ScriptedMetrics,
    /// The caller's smoke tests (passing until told otherwise).
    pub smoke: ScriptedSmoke,
    /// The caller's configuration check for `investigate_error_rate` (no problem until
    /// told otherwise).
    pub config: ScriptedConfig,
    /// Every severity (`#mcp-production-alerts`).
    pub slack: RecordingNotifier,
    /// P0 and P1.
    pub pagerduty: RecordingNotifier,
    /// P2 and more severe.
    pub email: RecordingNotifier,
    /// The `nightly` backup of `mcp_db`, taken at [`START`]; it verifies.
    pub nightly_backup: BackupRecord,
    /// Health of every kind of target, routed to the mock that answers it.
    pub health: HealthRouter,
    notifiers: Vec<Arc<dyn Notifier>>,
    journal: Journal,
}

impl std::fmt::Debug for TestKit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKit")
            .field("now", &self.clock.now())
            .field("nightly_backup", &self.nightly_backup.id)
            .finish_non_exhaustive()
    }
}

impl TestKit {
    /// The runbook's platform on one clock starting at [`START`], with the nightly backup
    /// taken. Call it inside the (paused) runtime of the test.
    ///
    /// # Errors
    /// Only if seeding the mocks fails (a bug in the kit).
    pub async fn runbook() -> Result<Self> {
        Self::with_cluster(MockCluster::builder_runbook()).await
    }

    /// As [`TestKit::runbook`], with a cluster of your own seeding (its clock is replaced by
    /// the kit's).
    ///
    /// # Errors
    /// Only if seeding the mocks fails (a bug in the kit).
    pub async fn with_cluster(cluster: MockClusterBuilder) -> Result<Self> {
        let start: Timestamp = START
            .parse()
            .map_err(|e| crate::Error::invalid("START", format!("{e}")))?;
        let clock = Arc::new(TokioClock::starting_at(start));
        let shared: SharedClock = clock.clone();
        let cluster = cluster.clock(shared.clone()).build();
        let database = MockDatabaseBuilder::runbook().clock(shared.clone()).build();
        let slack = RecordingNotifier::slack().with_clock(shared.clone());
        let pagerduty = RecordingNotifier::pagerduty().with_clock(shared.clone());
        let email = RecordingNotifier::email().with_clock(shared.clone());
        let notifiers: Vec<Arc<dyn Notifier>> = vec![
            Arc::new(slack.clone()),
            Arc::new(pagerduty.clone()),
            Arc::new(email.clone()),
        ];
        let alerting = notifiers
            .iter()
            .fold(
                MockAlertingBuilder::runbook().clock(shared.clone()),
                |b, n| b.notifier(n.clone()),
            )
            .build();
        let request = BackupRequest {
            kind: BackupKind::Database {
                database: "mcp_db".into(),
            },
            label: Some("nightly".into()),
        };
        let nightly_backup = database
            .backup(&request, &Intent::new("nightly backup", "cron")?)
            .await?;
        database.faults().reset_calls();
        let metrics = ScriptedMetrics::healthy(shared);
        let health = HealthRouter::new()
            .with_cluster(Arc::new(cluster.clone()))
            .with_http(Arc::new(cluster.clone()))
            .with_database(Arc::new(database.clone()))
            .with_cache(Arc::new(database.clone()))
            .with_metrics(Arc::new(metrics.clone()));
        Ok(Self {
            clock,
            cluster,
            database,
            alerting,
            metrics,
            smoke: ScriptedSmoke::passing(),
            config: ScriptedConfig::default(),
            slack,
            pagerduty,
            email,
            nightly_backup,
            health,
            notifiers,
            journal: Journal::new(),
        })
    }

    /// Now, on the kit's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The kit's clock as the procedures take it.
    pub fn shared_clock(&self) -> SharedClock {
        self.clock.clone()
    }

    /// A context for `procedure`, run by [`ACTOR`] for `reason`, on the kit's clock, writing
    /// to the kit's journal.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an empty or over-long reason.
    pub fn context(&self, procedure: &'static str, reason: &str) -> Result<Context> {
        let intent = Intent::new(reason, ACTOR)?;
        Ok(Context::new(procedure, intent, self.shared_clock()).with_journal(self.journal.clone()))
    }

    /// As [`TestKit::context`], for a dry run (no mutating call; the procedure returns its
    /// plan).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an empty or over-long reason.
    pub fn dry_run_context(&self, procedure: &'static str, reason: &str) -> Result<Context> {
        let intent = Intent::new(reason, ACTOR)?.with_dry_run(true);
        Ok(Context::new(procedure, intent, self.shared_clock()).with_journal(self.journal.clone()))
    }

    /// The journal every context of the kit writes to.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The three recording notifiers, as `maintenance_window` takes them.
    pub fn notifiers(&self) -> &[Arc<dyn Notifier>] {
        &self.notifiers
    }

    /// Every message delivered on Slack (which takes every severity), oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.slack.messages()
    }
}
