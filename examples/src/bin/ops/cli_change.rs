//! The command line of change management: `ops change …` and `ops journal …` (clap derive).

use clap::{Args, Subcommand, ValueEnum};

/// `ops change …`.
#[derive(Debug, Subcommand)]
pub enum ChangeAction {
    /// Request a change (a CR): what exactly will change, when, for how long, how to undo it.
    /// The risk is derived from the change (a requester may raise it with --risk, never lower
    /// it); it decides who must approve.
    Request(RequestArgs),
    /// Approve a change as `--as` (who must hold a role the change's risk needs and must not
    /// be its requester).
    Approve {
        /// The change id (`CR-2026-001`).
        id: String,
        /// Why, or under what condition.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a change as `--as`; a rejected change never runs.
    Reject {
        /// The change id.
        id: String,
        /// Why (required).
        #[arg(long)]
        comment: String,
    },
    /// Show a change: the runbook's CR document (Markdown), or the CR, its status and review
    /// with `--output json`.
    Show {
        /// The change id.
        id: String,
    },
    /// List every change with its status.
    List,
}

/// `ops change request <kind> …`.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// What will change (the same arguments as the command that will run it).
    #[command(subcommand)]
    pub kind: RequestKind,
    /// When the window opens: RFC 3339 (`2026-12-08T15:00:00Z`) or `now`.
    #[arg(long, global = true, default_value = "now")]
    pub scheduled: String,
    /// How long the window stays open (`30m`, `2h`, `1h30m`; 1 minute to 7 days).
    #[arg(long, global = true, default_value = "30m")]
    pub duration: String,
    /// How to undo it (default: the natural undo of the change).
    #[arg(long, global = true)]
    pub rollback_plan: Option<String>,
    /// What and why (default: a one-line summary of the change).
    #[arg(long, global = true)]
    pub description: Option<String>,
    /// Raise the risk above the derived one (never lower).
    #[arg(long, global = true, value_enum)]
    pub risk: Option<RiskArg>,
}

/// A risk level a requester may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RiskArg {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// The kinds of change, with the arguments of the command that will run them.
#[derive(Debug, Subcommand)]
pub enum RequestKind {
    /// `ops deploy <deployment> <container>=<image>` (the running image is read from the
    /// cluster, so the risk follows the version step).
    Deploy {
        /// The deployment.
        deployment: String,
        /// `<container>=<image>`.
        image: String,
    },
    /// `ops rollback <deployment>`.
    Rollback {
        /// The deployment.
        deployment: String,
    },
    /// `ops scale <deployment> --replicas N`, or `ops scale <deployment> --hpa-max N` (the
    /// autoscaler's ceiling; its floor, read from the cluster, is kept).
    #[command(group(clap::ArgGroup::new("scale_request").required(true).args(["replicas", "hpa_max"])))]
    Scale {
        /// The deployment.
        deployment: String,
        /// Replicas wanted.
        #[arg(long)]
        replicas: Option<u32>,
        /// The autoscaler's maxReplicas wanted.
        #[arg(long)]
        hpa_max: Option<u32>,
    },
    /// `ops scale <deployment> --cpu … --memory …`.
    Resources {
        /// The deployment.
        deployment: String,
        /// CPU request, e.g. 500m.
        #[arg(long)]
        cpu: String,
        /// Memory request, e.g. 1Gi.
        #[arg(long)]
        memory: String,
        /// CPU limit (default: the request).
        #[arg(long)]
        cpu_limit: Option<String>,
        /// Memory limit (default: the request).
        #[arg(long)]
        memory_limit: Option<String>,
        /// The container (default: the deployment's name).
        #[arg(long)]
        container: Option<String>,
    },
    /// `ops rotate-secret <secret> <key>`.
    RotateSecret {
        /// The Secret.
        secret: String,
        /// The key inside it.
        key: String,
    },
    /// `ops restore <backup id|latest>`: a database backup, or a configuration backup
    /// (`config-…`, re-applied to the namespace it was taken from; High risk).
    Restore {
        /// The backup id, or `latest`.
        id: String,
    },
    /// `ops maintenance`.
    Maintenance,
    /// The node group size `ops scale` sets through `scale_out` (`eksctl scale nodegroup
    /// --cluster <cluster> --name <group> --nodes N`).
    NodeGroup {
        /// The cluster (`mcp-production`).
        cluster: String,
        /// The node group (`worker-nodes`).
        group: String,
        /// Nodes wanted.
        #[arg(long)]
        nodes: u32,
    },
    /// `ops quarantine <pod> [--release]`.
    Quarantine {
        /// The pod.
        pod: String,
        /// Lifting the quarantine.
        #[arg(long)]
        release: bool,
    },
    /// `ops silence <alertname> [--minutes N]` (Low risk; the CLI silences without a change,
    /// `ops mcp` only under one).
    Silence {
        /// The alert name.
        alertname: String,
        /// Minutes the silence lasts.
        #[arg(long, default_value_t = 60)]
        minutes: u32,
    },
    /// `ops incident open <title> [--severity P1]` (Low risk: bookkeeping).
    IncidentOpen {
        /// Title.
        title: String,
        /// Severity (P0…P3).
        #[arg(long, default_value = "P1")]
        severity: String,
    },
    /// `ops incident ack <id>` (Low risk: bookkeeping).
    IncidentAck {
        /// The incident id.
        id: String,
    },
    /// `ops incident update <id> …` (Low risk: bookkeeping; the update's text is free).
    IncidentUpdate {
        /// The incident id.
        id: String,
    },
    /// `ops incident resolve <id> …` (Low risk: bookkeeping; the resolution's text is free).
    IncidentResolve {
        /// The incident id.
        id: String,
    },
}

/// `ops journal …`.
#[derive(Debug, Subcommand)]
pub enum JournalAction {
    /// Check the persisted journal's hash chain: exit 0 when intact, 1 naming every edited,
    /// deleted, inserted or reordered entry.
    Verify {
        /// The head hash noted earlier (e.g. in a ticket): also detects the last entries
        /// being cut off.
        #[arg(long, value_name = "HASH")]
        expect_head: Option<String>,
    },
    /// The persisted journal as a Markdown timeline (or JSON), filtered.
    Show {
        /// Only entries of this incident (`INC-…`). (`--change CR-…`, the global flag, keeps
        /// only the entries of that change.)
        #[arg(long)]
        incident: Option<String>,
        /// Only entries since this time: RFC 3339, or an age (`2h`, `30m`, `7d`).
        #[arg(long)]
        since: Option<String>,
    },
}
