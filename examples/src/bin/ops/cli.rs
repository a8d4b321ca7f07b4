//! The command line: global flags and subcommands (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// `ops`: the MCP production runbook, one command per procedure.
#[derive(Debug, Parser)]
#[command(
    name = "ops",
    version,
    about = "The MCP production runbook, one command per procedure",
    long_about = None
)]
pub struct Cli {
    /// Global flags.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every subcommand accepts.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Kubeconfig of a cluster (default: an embedded simulated cluster started in process).
    #[arg(long, global = true, env = "OPS_KUBECONFIG")]
    pub kubeconfig: Option<String>,
    /// Kubeconfig context (with --kubeconfig; default: its current context).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// The platform file (`ops.toml`: namespaces, deployments, health endpoints, URLs,
    /// notifiers, escalation contacts, thresholds; see `examples/platforms/`). Without it, the
    /// runbook's platform. Flags and environment variables override what it says.
    #[arg(
        long = "platform",
        global = true,
        env = "MCP_OPS_PLATFORM",
        value_name = "FILE"
    )]
    pub platform_file: Option<std::path::PathBuf>,
    /// The platform in force: the file's once loaded, else the runbook's.
    #[arg(skip)]
    pub platform: mcp_ops_core::platform::Platform,
    /// Who runs the command: `--as`, else the OS user name, else `ops-cli` (set once the
    /// flags are read).
    #[arg(skip)]
    pub actor: String,
    /// Namespace (default: the platform's first; the runbook's is mcp-production).
    #[arg(short = 'n', long, global = true, default_value = "mcp-production")]
    pub namespace: String,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Print the plan with the equivalent commands; change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// PostgreSQL URL: readiness, backups (pg_dump), maintenance and diagnostics go to it
    /// (default: the embedded stand-in on the embedded cluster, not configured otherwise).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Redis URL for the cache check (`redis-cli ping`).
    #[arg(long, global = true, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Prometheus base URL: error rate, p95 latency and memory.
    #[arg(
        long,
        global = true,
        env = "MCP_OPS_PROMETHEUS_URL",
        hide_env_values = true
    )]
    pub prometheus_url: Option<String>,
    /// Alertmanager base URL (API v2): alerts and silences.
    #[arg(
        long,
        global = true,
        env = "MCP_OPS_ALERTMANAGER_URL",
        hide_env_values = true
    )]
    pub alertmanager_url: Option<String>,
    /// The API's health endpoint (runbook: https://api.mcp-production.com/health); probed with
    /// a real HTTP GET. On the embedded cluster without it, the simulated API answers.
    #[arg(
        long,
        global = true,
        env = "MCP_OPS_HEALTH_URL",
        hide_env_values = true
    )]
    pub health_url: Option<String>,
    /// PostgreSQL URL where incidents are kept, shared by everyone who uses it (tables
    /// created on first use); default: a file of the state directory.
    #[arg(
        long,
        global = true,
        env = "MCP_OPS_INCIDENTS_URL",
        hide_env_values = true
    )]
    pub incidents_url: Option<String>,
    /// Where incidents are kept between runs (default: $XDG_STATE_HOME/mcp-ops, else
    /// ~/.local/state/mcp-ops).
    #[arg(long, global = true, env = "MCP_OPS_STATE_DIR")]
    pub state_dir: Option<std::path::PathBuf>,
    /// age public keys (`age1…`) that configuration backups encrypt Secret values to; without
    /// one, Secret values are left out of configuration backups.
    #[arg(
        long = "age-recipient",
        global = true,
        env = "MCP_OPS_AGE_RECIPIENTS",
        value_delimiter = ','
    )]
    pub age_recipients: Vec<String>,
    /// A file holding the age identity (`AGE-SECRET-KEY-1…`) that decrypts Secret values when
    /// a configuration backup is restored.
    #[arg(long, global = true, env = "MCP_OPS_AGE_IDENTITY_FILE")]
    pub age_identity_file: Option<std::path::PathBuf>,
    /// Where database and configuration backups are written (default: <state dir>/backups).
    #[arg(long, global = true, env = "MCP_OPS_BACKUP_DIR")]
    pub backup_dir: Option<std::path::PathBuf>,
    /// Who runs the command (a handle of the platform's team): written into intents and the
    /// journal, checked by change approvals (default: the OS user name, else `ops-cli`).
    /// Asserted, not authenticated: the CLI believes it.
    #[arg(
        long = "as",
        global = true,
        env = "MCP_OPS_USER",
        value_name = "HANDLE"
    )]
    pub as_user: Option<String>,
    /// The approved change request (`CR-2026-001`) a mutating command runs under.
    #[arg(long, global = true, value_name = "CR")]
    pub change: Option<String>,
    /// Refuse every mutation without an approved change request matching it (also
    /// `[changes] enforce = true` in the platform file).
    #[arg(
        long,
        global = true,
        env = "MCP_OPS_ENFORCE_CHANGES",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub enforce_changes: bool,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Readable tables.
    Table,
    /// One JSON document (see `examples/schemas/`).
    Json,
}

/// The subcommands, one per runbook procedure.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Critical System Down (P0): every health check at once, ranked.
    Triage,
    /// High Error Rate (P1) or High Response Times (P2).
    Investigate {
        /// Which investigation.
        #[arg(value_enum)]
        what: Investigation,
    },
    /// Standard Deployment: gates, rollout, health, smoke tests, bake, auto-rollback.
    Deploy(DeployArgs),
    /// Emergency Rollback of the named deployments (default: the runbook's three).
    Rollback {
        /// Deployments to undo.
        deployments: Vec<String>,
        /// Why (the change-cause and the journal). Required for a break-glass rollback:
        /// under enforced change management without `--change`.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Scaling: replicas or resources of one deployment.
    Scale(ScaleArgs),
    /// Node capacity (read only).
    Capacity,
    /// Take a backup.
    Backup {
        /// What to back up.
        #[arg(value_enum)]
        kind: BackupKindArg,
        /// The database, the CronJob, or (for config) the namespace.
        name: String,
        /// A deadline for the whole backup (`90m`, `2h`, `3600s`); none by default: a dump
        /// takes as long as its data needs (a dump writing nothing for 5 min fails anyway).
        #[arg(long, value_parser = crate::cmd_backup::parse_deadline)]
        timeout: Option<std::time::Duration>,
    },
    /// List backups.
    Backups,
    /// Verify a backup (checksum and test restore).
    Verify {
        /// The backup id, or `latest` (the newest database backup).
        id: String,
    },
    /// Restore a backup (Recovery Procedures: verify, stop writers, restore, check, restart).
    Restore {
        /// The backup id, or `latest` (the newest database backup).
        id: String,
        /// What to do with autoscaled deployments while writers are stopped (an
        /// autoscaler cannot hold 0 replicas).
        #[arg(long, value_enum, default_value_t = Autoscaled::Refuse)]
        autoscaled: Autoscaled,
        /// A deadline for verifying and for restoring (`90m`, `2h`); none by default.
        #[arg(long, value_parser = crate::cmd_backup::parse_deadline)]
        timeout: Option<std::time::Duration>,
    },
    /// Database maintenance in the window (Sunday 02:00–04:00 UTC).
    Maintenance {
        /// Run outside the window; the reason is journaled.
        #[arg(long, value_name = "REASON")]
        force: Option<String>,
    },
    /// Rotate a secret: stage, apply, restart dependents, verify, revert on failure.
    RotateSecret {
        /// The Secret.
        secret: String,
        /// The key inside it.
        key: String,
        /// Deployments to restart (default: every deployment of the namespace). Each must
        /// exist and read the Secret; checked before anything changes.
        #[arg(long = "restart")]
        dependents: Vec<String>,
        /// Finish an interrupted rotation: apply the staged value if it was not applied,
        /// restart the dependents and verify (put the previous value back on failure).
        #[arg(long, conflicts_with = "abort")]
        resume: bool,
        /// Undo an interrupted rotation: put the previous value back (or drop the staged
        /// one) and restart the dependents when they may have read the new value.
        #[arg(long)]
        abort: bool,
    },
    /// Incidents (Alert Escalation, Incident Communication).
    Incident {
        /// What to do.
        #[command(subcommand)]
        action: IncidentAction,
    },
    /// Silence an alert (Alertmanager API v2).
    Silence {
        /// The alert name.
        alertname: String,
        /// Minutes the silence lasts.
        #[arg(long, default_value_t = 60)]
        minutes: u32,
        /// Why.
        #[arg(long, default_value = "silenced from ops")]
        comment: String,
    },
    /// Security Incident Response: isolate a pod with a deny-all NetworkPolicy, keeping it
    /// (and its logs and events) as evidence.
    Quarantine {
        /// The pod.
        pod: String,
        /// Lift the quarantine (remove the label) instead.
        #[arg(long)]
        release: bool,
    },
    /// Security posture of the namespace's pods against the hardening checklist.
    Audit,
    /// Rollout history of a deployment (`kubectl rollout history`; read only).
    History {
        /// The deployment.
        deployment: String,
    },
    /// Alerts firing now (Alertmanager API v2; read only).
    Alerts,
    /// Serve the runbook's procedures as tools to AI agents (Model Context Protocol) over
    /// stdio, or over Streamable HTTP with `--listen`.
    Mcp(crate::mcp::McpArgs),
    /// Change requests (Change Management): request, approve, reject, show, list.
    Change {
        /// What to do.
        #[command(subcommand)]
        action: crate::cli_change::ChangeAction,
    },
    /// The persisted, tamper-evident journal: verify its hash chain, show it.
    Journal {
        /// What to do.
        #[command(subcommand)]
        action: crate::cli_change::JournalAction,
    },
    /// A scripted game day on the embedded cluster; prints the post-mortem timeline.
    Drill {
        /// Bake seconds after the bad deploy.
        #[arg(long, default_value_t = 2)]
        bake_seconds: u64,
    },
}

/// `investigate errors|latency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Investigation {
    /// High Error Rate (P1).
    Errors,
    /// High Response Times (P2).
    Latency,
}

/// `backup db|config|cronjob`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackupKindArg {
    /// A database dump.
    Db,
    /// The namespace's configuration (Secrets redacted).
    Config,
    /// Trigger a backup CronJob.
    Cronjob,
}

/// `restore --autoscaled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Autoscaled {
    /// Refuse before changing anything (the runbook's safe default).
    Refuse,
    /// Pin the autoscaler to 1..=1 during the restore, then put it back.
    Pin,
    /// Leave autoscaled deployments running.
    Leave,
}

/// `deploy --on-no-data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnNoData {
    /// Undo the rollout.
    Rollback,
    /// Leave the new revision running; exit 1.
    Hold,
    /// Leave the new revision running; exit 0.
    Accept,
}

/// `deploy` arguments.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The deployment.
    pub deployment: String,
    /// `<container>=<image>`.
    pub image: String,
    /// Evidence that tests, scans and benchmarks passed (the checklist).
    #[arg(long)]
    pub evidence: Option<String>,
    /// The rollback plan (default: `kubectl rollout undo …`).
    #[arg(long)]
    pub rollback_plan: Option<String>,
    /// Deploy although a gate fails; the reason is journaled.
    #[arg(long, value_name = "REASON")]
    pub force: Option<String>,
    /// Bake seconds after the rollout (runbook: 1800; at most 86400).
    #[arg(long, default_value_t = 30)]
    pub bake_seconds: u64,
    /// What a bake without evidence (no metric data, pods unreadable) leads to: `hold`
    /// leaves the new revision and exits 1, `rollback` undoes it, `accept` exits 0; all say
    /// "deployed without verification".
    #[arg(long, value_enum, default_value_t = OnNoData::Hold)]
    pub on_no_data: OnNoData,
    /// The change-cause.
    #[arg(long)]
    pub reason: Option<String>,
}

/// `scale` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scale_change").required(true).multiple(true).args(["replicas", "hpa_max", "cpu", "memory"])))]
pub struct ScaleArgs {
    /// The deployment.
    pub deployment: String,
    /// Replicas wanted (with an autoscaler: its floor).
    #[arg(long)]
    pub replicas: Option<u32>,
    /// The autoscaler's maxReplicas (`kubectl patch hpa`); its minimum is kept.
    #[arg(long)]
    pub hpa_max: Option<u32>,
    /// CPU request, e.g. 500m.
    #[arg(long, requires = "memory")]
    pub cpu: Option<String>,
    /// Memory request, e.g. 1Gi.
    #[arg(long, requires = "cpu")]
    pub memory: Option<String>,
    /// CPU limit (default: the request), e.g. 2000m.
    #[arg(long, requires = "cpu")]
    pub cpu_limit: Option<String>,
    /// Memory limit (default: the request), e.g. 4Gi.
    #[arg(long, requires = "memory")]
    pub memory_limit: Option<String>,
    /// The container for --cpu/--memory (default: the deployment's name).
    #[arg(long)]
    pub container: Option<String>,
    /// Go above the policy's maximum replicas; the reason is journaled.
    #[arg(long, value_name = "REASON")]
    pub force: Option<String>,
}

/// `incident …`.
#[derive(Debug, Subcommand)]
pub enum IncidentAction {
    /// Open an incident (INCIDENT DETECTED, level 1 notified). It is kept in the state
    /// directory, so `ack`, `update`, `resolve` and `tick` can follow in later runs; the flags
    /// below do them at once.
    Open {
        /// Title.
        title: String,
        /// Severity (P0…P3).
        #[arg(long, default_value = "P1")]
        severity: String,
        /// Impact in words.
        #[arg(long, default_value = "under investigation")]
        impact: String,
        /// Acknowledge as this person (escalation stops).
        #[arg(long, value_name = "WHO")]
        ack_by: Option<String>,
        /// Post an INCIDENT UPDATE with these actions.
        #[arg(long, value_name = "ACTIONS")]
        update: Option<String>,
        /// Resolve with this resolution.
        #[arg(long, value_name = "RESOLUTION")]
        resolve: Option<String>,
    },
    /// Post an update to an open incident.
    Update {
        /// The incident id.
        id: String,
        /// What is being done.
        actions: String,
    },
    /// Acknowledge an open incident.
    Ack {
        /// The incident id.
        id: String,
        /// Who.
        #[arg(long, default_value = "ops-cli")]
        by: String,
    },
    /// Resolve an incident.
    Resolve {
        /// The incident id.
        id: String,
        /// How it was resolved.
        resolution: String,
    },
    /// List open incidents.
    List,
    /// Notify the escalation levels that are due by elapsed time and retry failed
    /// deliveries (run it every minute from cron or a scheduler).
    Tick,
    /// Forget incidents resolved more than N days ago whose messages are all delivered.
    Prune {
        /// Days since resolution.
        #[arg(long, default_value_t = 30)]
        older_than_days: u32,
    },
}
