//! [`BackupManager`] for CronJob backups: run a backup CronJob now (a Job made exactly as
//! `kubectl create job --from=cronjob/NAME` makes it), wait for it, keep the tail of its pod
//! logs as evidence, and list / verify past backup Jobs.
//!
//! A backup's id is `<namespace>.<job name>`. The bytes a backup Job writes live wherever the
//! job puts them (S3, a volume …), out of this backend's reach: `size` is 0 and `sha256`
//! empty, verification reports whether the Job succeeded, and restore is
//! [`Unsupported`](mcp_ops_core::Error::Unsupported) — restoring a database is the database
//! backend's job.

pub mod job;

use std::time::Duration;

use async_trait::async_trait;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use kube::runtime::wait::{Condition, await_condition};
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupManager, BackupRecord, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, RestoreReport, TestRestore, VerificationReport,
};
use mcp_ops_core::types::{Intent, Namespace, ResourceName};
use mcp_ops_core::{Error, Result};

use crate::cluster::KubeCluster;
use crate::deploy::history::selector_text;
use crate::error::{BACKEND, Failure};
use crate::retry::OnConflict;

/// The annotation recording why a backup Job was started (the intent's change-cause).
pub const REASON_ANNOTATION: &str = "mcp-ops.io/reason";

/// A backup Job and what it printed last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRun {
    /// The record.
    pub record: BackupRecord,
    /// The last lines of its pod's log (empty in a dry run or when there is no pod;
    /// `(logs unavailable: …)` when they could not be read).
    pub logs_tail: String,
}

/// CronJob backups over a [`KubeCluster`], for the CronJobs of the given namespaces.
#[derive(Debug, Clone)]
pub struct CronJobBackups {
    cluster: KubeCluster,
    namespaces: Vec<Namespace>,
    wait: Duration,
    tail_lines: i64,
}

fn job_status(j: &Job) -> BackupStatus {
    let conds = j
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    let is = |t: &str| conds.iter().find(|c| c.type_ == t && c.status == "True");
    if is("Complete").is_some() {
        BackupStatus::Succeeded
    } else if let Some(c) = is("Failed") {
        BackupStatus::Failed {
            reason: c.reason.clone().unwrap_or_else(|| "Failed".into()),
        }
    } else {
        BackupStatus::Running
    }
}

fn cronjob_of(j: &Job) -> Option<String> {
    j.metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == "CronJob" && o.controller == Some(true))
        .map(|o| o.name.clone())
}

fn record(ns: &Namespace, j: &Job) -> Result<Option<BackupRecord>> {
    let Some(cron) = cronjob_of(j) else {
        return Ok(None);
    };
    let name = j.metadata.name.clone().unwrap_or_default();
    let status = j.status.clone().unwrap_or_default();
    let started = status
        .start_time
        .as_ref()
        .or(j.metadata.creation_timestamp.as_ref())
        .map_or_else(jiff::Timestamp::now, |t| t.0);
    Ok(Some(BackupRecord {
        id: BackupId::new(format!("{ns}.{name}"))?,
        kind: BackupKind::CronJob {
            namespace: ns.clone(),
            cronjob: ResourceName::new(cron)?,
        },
        location: format!("job/{name}"),
        size: 0,
        sha256: String::new(),
        started,
        finished: status.completion_time.map(|t| t.0),
        status: job_status(j),
    }))
}

fn split_id(id: &BackupId) -> Result<(Namespace, String)> {
    let (ns, name) = id
        .as_str()
        .split_once('.')
        .ok_or_else(|| Error::not_found("backup", id.as_str()))?;
    Ok((
        Namespace::new(ns).map_err(|_| Error::not_found("backup", id.as_str()))?,
        name.to_owned(),
    ))
}

fn finished() -> impl Condition<Job> {
    |j: Option<&Job>| j.is_none_or(|j| job_status(j) != BackupStatus::Running)
}

impl CronJobBackups {
    /// Backups of the CronJobs in `namespaces`; waits up to 1 hour, keeps 50 log lines.
    ///
    /// On the simulated cluster (feature `sim`), a dry run of the runbook's
    /// `kubectl create job --from=cronjob/postgres-backup`:
    ///
    #[cfg_attr(feature = "sim", doc = "```")]
    #[cfg_attr(not(feature = "sim"), doc = "```ignore")]
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_core::backup::{BackupKind, BackupRequest, BackupStatus};
    /// use mcp_ops_core::{BackupManager, Intent};
    /// use mcp_ops_k8s::sim::{Scenario, SimCluster};
    /// use mcp_ops_k8s::{CronJobBackups, KubeConfig};
    ///
    /// let sim = SimCluster::start(Scenario::mcp_production()).await?;
    /// let cluster = KubeConfig::new().with_kubeconfig_path(sim.kubeconfig_path()).build().await?;
    /// let namespace: mcp_ops_core::types::Namespace = "mcp-production".parse()?;
    /// let backups = CronJobBackups::new(cluster, vec![namespace.clone()]);
    /// let request = BackupRequest {
    ///     kind: BackupKind::CronJob { namespace, cronjob: "postgres-backup".parse()? },
    ///     label: None,
    /// };
    /// let planned = backups
    ///     .backup(&request, &Intent::new("before maintenance", "ops-bot")?.with_dry_run(true))
    ///     .await?;
    /// assert_eq!(planned.status, BackupStatus::Running); // planned, nothing created
    /// # Ok(()) }
    /// ```
    pub fn new(cluster: KubeCluster, namespaces: Vec<Namespace>) -> Self {
        Self {
            cluster,
            namespaces,
            wait: Duration::from_secs(3600),
            tail_lines: 50,
        }
    }

    /// How long [`run`](Self::run) waits for a Job.
    #[must_use]
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// How many log lines are kept as evidence.
    #[must_use]
    pub fn with_tail_lines(mut self, lines: i64) -> Self {
        self.tail_lines = lines;
        self
    }

    /// Runs the CronJob of `request` now, waits for the Job and reads its log tail.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a non-CronJob request; [`Error::NotFound`] for an unknown
    /// CronJob; [`Error::Timeout`] when the Job does not finish in time;
    /// [`Error::Forbidden`] when the account may not create, list or watch the Job.
    pub async fn run(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRun> {
        let BackupKind::CronJob { namespace, cronjob } = &request.kind else {
            return Err(Error::Unsupported {
                operation: "backup of this kind",
                backend: BACKEND,
            });
        };
        let ns = namespace.as_str();
        let cron: CronJob = self.cluster.get("cronjob", ns, cronjob.as_str()).await?;
        let name = job::job_name(
            cronjob.as_str(),
            request.label.as_deref(),
            jiff::Timestamp::now().as_second(),
        );
        let mut j = job::job_from_cronjob(&cron, &name);
        j.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(REASON_ANNOTATION.into(), intent.change_cause());
        let api: Api<Job> = self.cluster.namespaced(ns);
        let pp = self.cluster.post_params(intent.is_dry_run());
        let label = format!("{ns}/{name}");
        let created = self
            .cluster
            .call("job", &label, OnConflict::Fail, || api.create(&pp, &j))
            .await?;
        if intent.is_dry_run() {
            let mut rec = record(namespace, &created)?
                .ok_or_else(|| crate::error::malformed("the planned job lost its owner"))?;
            rec.status = BackupStatus::Running;
            return Ok(BackupRun {
                record: rec,
                logs_tail: String::new(),
            });
        }
        tracing::info!(job = %label, reason = intent.reason(), "started backup job");
        let done = tokio::time::timeout(self.wait, await_condition(api.clone(), &name, finished()))
            .await
            .map_err(|_| Error::timeout(format!("backup job {label}"), self.wait))?
            .map_err(|e| Failure::from(e).into_core("job", &label))?
            .ok_or_else(|| Error::not_found("job", label.clone()))?;
        // The log is evidence, not the backup: a node whose kubelet cannot be reached (or a
        // pod already gone) must not turn a finished Job into a failed backup, and a failure
        // here must not make a caller retry the backup and start a second Job.
        let logs_tail = match self.logs_tail(&done).await {
            Ok(tail) => tail,
            Err(e) => format!("(logs unavailable: {e})"),
        };
        let record = record(namespace, &done)?
            .ok_or_else(|| crate::error::malformed("the backup job lost its owner"))?;
        Ok(BackupRun { record, logs_tail })
    }

    /// The last lines of the log of the Job's newest pod (empty when it has none).
    async fn logs_tail(&self, j: &Job) -> Result<String> {
        let ns = j.metadata.namespace.clone().unwrap_or_default();
        let selector = j
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .map(selector_text)
            .unwrap_or_default();
        let mut pods: Vec<Pod> = self.cluster.list("pod", Some(&ns), Some(&selector)).await?;
        pods.sort_by_key(|p| p.metadata.creation_timestamp.as_ref().map(|t| t.0));
        let Some(pod) = pods.last().and_then(|p| p.metadata.name.clone()) else {
            return Ok(String::new());
        };
        let api: Api<Pod> = self.cluster.namespaced(&ns);
        let lp = LogParams {
            tail_lines: Some(self.tail_lines),
            ..LogParams::default()
        };
        let label = format!("{ns}/{pod}");
        self.cluster
            .call("pod log", &label, OnConflict::Fail, || api.logs(&pod, &lp))
            .await
    }

    /// The log tail of a past backup Job.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id.
    pub async fn evidence(&self, id: &BackupId) -> Result<String> {
        let (ns, name) = split_id(id)?;
        let j: Job = self.cluster.get("backup", ns.as_str(), &name).await?;
        self.logs_tail(&j).await
    }
}

#[async_trait]
impl BackupManager for CronJobBackups {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    async fn backup(&self, request: &BackupRequest, intent: &Intent) -> Result<BackupRecord> {
        Ok(self.run(request, intent).await?.record)
    }

    async fn list(&self) -> Result<Vec<BackupRecord>> {
        let mut out = Vec::new();
        for ns in &self.namespaces {
            let jobs: Vec<Job> = self.cluster.list("job", Some(ns.as_str()), None).await?;
            for j in &jobs {
                if let Some(r) = record(ns, j)? {
                    out.push(r);
                }
            }
        }
        out.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn verify(
        &self,
        id: &BackupId,
        test_restore: Option<Vec<IntegrityCheck>>,
    ) -> Result<VerificationReport> {
        let (ns, name) = split_id(id)?;
        let j: Job = self.cluster.get("backup", ns.as_str(), &name).await?;
        if cronjob_of(&j).is_none() {
            return Err(Error::not_found("backup", id.as_str()));
        }
        Ok(VerificationReport {
            id: id.clone(),
            checksum_ok: job_status(&j) == BackupStatus::Succeeded,
            readable: None,
            test_restore: if test_restore.is_some() {
                TestRestore::NotSupported
            } else {
                TestRestore::Skipped
            },
            verified_at: jiff::Timestamp::now(),
        })
    }

    async fn restore(
        &self,
        id: &BackupId,
        _options: &RestoreOptions,
        _intent: &Intent,
    ) -> Result<RestoreReport> {
        split_id(id)?;
        Err(Error::Unsupported {
            operation: "restore of a CronJob backup (restore through the database backend)",
            backend: BACKEND,
        })
    }
}
