//! [`ChangeSpec`]: what a change does, with the exact values a mutation must match.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::spec_bookkeeping::{self, IncidentChange};
use crate::backup::BackupId;
use crate::types::{
    ContainerName, DeploymentRef, ImageRef, Namespace, Replicas, ResourceList, ResourceName,
    ResourceRequirements,
};
use crate::{Error, Result};

/// What a change does — the exact values that a mutation must match to run under it.
///
/// Serialized with a `type` tag (`{"type":"deploy","deployment":…}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeSpec {
    /// Set a container's image (`kubectl set image`).
    Deploy {
        /// The deployment.
        deployment: DeploymentRef,
        /// The container whose image changes.
        container: ContainerName,
        /// The new image.
        image: ImageRef,
        /// The image running before, when known (the release's step is measured from it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<ImageRef>,
    },
    /// Undo the last rollout (`kubectl rollout undo`), planned or break-glass.
    Rollback {
        /// The deployment.
        deployment: DeploymentRef,
    },
    /// Set a deployment's replicas.
    Scale {
        /// The deployment.
        deployment: DeploymentRef,
        /// The new replica count.
        replicas: Replicas,
    },
    /// Set the bounds of a deployment's autoscaler (`kubectl patch hpa`: minReplicas and
    /// maxReplicas).
    Autoscaler {
        /// The deployment the autoscaler scales.
        deployment: DeploymentRef,
        /// minReplicas after the change.
        min: Replicas,
        /// maxReplicas after the change.
        max: Replicas,
    },
    /// Set a container's requests and limits.
    Resources {
        /// The deployment.
        deployment: DeploymentRef,
        /// The container.
        container: ContainerName,
        /// The new requests and limits.
        resources: ResourceRequirements,
    },
    /// Rotate one key of a secret.
    RotateSecret {
        /// The secret's namespace.
        namespace: Namespace,
        /// The secret.
        secret: ResourceName,
        /// The key rotated.
        key: String,
    },
    /// Restore a database from a backup.
    Restore {
        /// The backup restored.
        backup: BackupId,
        /// The database restored into.
        database: String,
    },
    /// Database maintenance (ANALYZE, VACUUM).
    Maintenance {
        /// The database.
        database: String,
    },
    /// Isolate a pod with a deny-all network policy, or release it.
    Quarantine {
        /// The pod's namespace.
        namespace: Namespace,
        /// The pod.
        pod: ResourceName,
        /// Whether this releases the pod from quarantine instead of isolating it.
        #[serde(default)]
        release: bool,
    },
    /// Set a node group's size (`eksctl scale nodegroup`).
    NodeGroup {
        /// The cluster (`mcp-production`).
        cluster: String,
        /// The node group (`worker-nodes`).
        group: String,
        /// Nodes wanted.
        nodes: u32,
    },
    /// Re-apply a configuration backup (ConfigMaps and Secrets) to its namespace.
    RestoreConfig {
        /// The configuration backup (`config-…`).
        backup: BackupId,
        /// The namespace whose objects it rewrites.
        namespace: Namespace,
    },
    /// Silence an alert for a while (`ops silence`, an Alertmanager silence on
    /// `alertname=`).
    Silence {
        /// The alert name (`HighErrorRate`).
        alertname: String,
        /// How long the silence lasts, in minutes (1 to a week).
        minutes: u32,
    },
    /// An incident action (`ops incident open|ack|update|resolve`).
    Incident {
        /// What is done to which incident.
        action: IncidentChange,
    },
}

/// The type of a change, as the runbook's CR template names it (`Display`: `Deployment` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChangeKind {
    /// A new image.
    Deployment,
    /// A rollout undo.
    Rollback,
    /// A replica change.
    Scaling,
    /// An autoscaler bounds change.
    Autoscaling,
    /// A requests/limits change.
    Resources,
    /// A secret rotation.
    SecretRotation,
    /// A database restore.
    Restore,
    /// Database maintenance.
    Maintenance,
    /// A pod quarantine or release.
    Quarantine,
    /// A node group size change.
    NodeScaling,
    /// A configuration backup re-applied.
    ConfigRestore,
    /// An alert silenced.
    Silence,
    /// An incident opened, acknowledged, updated or resolved.
    Incident,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Deployment => "Deployment",
            ChangeKind::Rollback => "Rollback",
            ChangeKind::Scaling => "Scaling",
            ChangeKind::Autoscaling => "Autoscaling",
            ChangeKind::Resources => "Resources",
            ChangeKind::SecretRotation => "Secret rotation",
            ChangeKind::Restore => "Restore",
            ChangeKind::Maintenance => "Maintenance",
            ChangeKind::Quarantine => "Quarantine",
            ChangeKind::NodeScaling => "Node scaling",
            ChangeKind::ConfigRestore => "Configuration restore",
            ChangeKind::Silence => "Silence",
            ChangeKind::Incident => "Incident",
        })
    }
}

/// One field where a planned change differs from the approved one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SpecDifference {
    /// The field (`image`, `replicas`, `deployment`, `type` …).
    pub field: &'static str,
    /// The approved value.
    pub approved: String,
    /// The value about to be applied.
    pub planned: String,
}

impl fmt::Display for SpecDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: approved {}, planned {}",
            self.field, self.approved, self.planned
        )
    }
}

impl ChangeSpec {
    /// The type of the change.
    pub fn kind(&self) -> ChangeKind {
        match self {
            ChangeSpec::Deploy { .. } => ChangeKind::Deployment,
            ChangeSpec::Rollback { .. } => ChangeKind::Rollback,
            ChangeSpec::Scale { .. } => ChangeKind::Scaling,
            ChangeSpec::Autoscaler { .. } => ChangeKind::Autoscaling,
            ChangeSpec::Resources { .. } => ChangeKind::Resources,
            ChangeSpec::RotateSecret { .. } => ChangeKind::SecretRotation,
            ChangeSpec::Restore { .. } => ChangeKind::Restore,
            ChangeSpec::Maintenance { .. } => ChangeKind::Maintenance,
            ChangeSpec::Quarantine { .. } => ChangeKind::Quarantine,
            ChangeSpec::NodeGroup { .. } => ChangeKind::NodeScaling,
            ChangeSpec::RestoreConfig { .. } => ChangeKind::ConfigRestore,
            ChangeSpec::Silence { .. } => ChangeKind::Silence,
            ChangeSpec::Incident { .. } => ChangeKind::Incident,
        }
    }

    /// The objects the change acts on, qualified (`mcp-production/mcp-typescript-api`,
    /// `backup <id>`, `database <name>`, `node group <cluster>/<group>`, `namespace <name>`,
    /// `alert <alertname>`, `incident <id>`, `new <severity> incident`).
    pub fn targets(&self) -> Vec<String> {
        match self {
            ChangeSpec::Deploy { deployment, .. }
            | ChangeSpec::Rollback { deployment }
            | ChangeSpec::Scale { deployment, .. }
            | ChangeSpec::Autoscaler { deployment, .. }
            | ChangeSpec::Resources { deployment, .. } => vec![deployment.qualified()],
            ChangeSpec::RotateSecret {
                namespace, secret, ..
            } => vec![format!("{namespace}/{secret}")],
            ChangeSpec::Restore { backup, database } => {
                vec![format!("backup {backup}"), format!("database {database}")]
            }
            ChangeSpec::Maintenance { database } => vec![format!("database {database}")],
            ChangeSpec::Quarantine { namespace, pod, .. } => vec![format!("{namespace}/{pod}")],
            ChangeSpec::NodeGroup { cluster, group, .. } => {
                vec![format!("node group {cluster}/{group}")]
            }
            ChangeSpec::RestoreConfig { backup, namespace } => {
                vec![format!("backup {backup}"), format!("namespace {namespace}")]
            }
            ChangeSpec::Silence { alertname, .. } => vec![format!("alert {alertname}")],
            ChangeSpec::Incident { action } => vec![action.target()],
        }
    }

    /// One line saying what the change does
    /// (`deploy mcp-production/mcp-typescript-api mcp-typescript-api=…:v1.0.1`).
    pub fn summary(&self) -> String {
        match self {
            ChangeSpec::Deploy {
                deployment,
                container,
                image,
                from,
            } => {
                let mut s = format!("deploy {} {container}={image}", deployment.qualified());
                if let Some(from) = from {
                    s.push_str(&format!(" (from {from})"));
                }
                s
            }
            ChangeSpec::Rollback { deployment } => {
                format!("roll back {} (rollout undo)", deployment.qualified())
            }
            ChangeSpec::Scale {
                deployment,
                replicas,
            } => format!("scale {} to {replicas} replicas", deployment.qualified()),
            ChangeSpec::Autoscaler {
                deployment,
                min,
                max,
            } => format!(
                "set the autoscaler of {} to {min}..={max} replicas",
                deployment.qualified()
            ),
            ChangeSpec::Resources {
                deployment,
                container,
                resources,
            } => format!(
                "set resources of {} container {container}: {}",
                deployment.qualified(),
                resources_text(resources)
            ),
            ChangeSpec::RotateSecret {
                namespace,
                secret,
                key,
            } => format!("rotate secret {namespace}/{secret} key {key}"),
            ChangeSpec::Restore { backup, database } => {
                format!("restore database {database} from backup {backup}")
            }
            ChangeSpec::Maintenance { database } => format!("maintenance of database {database}"),
            ChangeSpec::Quarantine {
                namespace,
                pod,
                release: false,
            } => format!("quarantine pod {namespace}/{pod}"),
            ChangeSpec::Quarantine {
                namespace,
                pod,
                release: true,
            } => format!("release pod {namespace}/{pod} from quarantine"),
            ChangeSpec::NodeGroup {
                cluster,
                group,
                nodes,
            } => format!("scale node group {cluster}/{group} to {nodes} nodes"),
            ChangeSpec::RestoreConfig { backup, namespace } => {
                format!("restore the configuration of namespace {namespace} from backup {backup}")
            }
            ChangeSpec::Silence { alertname, minutes } => {
                spec_bookkeeping::silence_summary(alertname, *minutes)
            }
            ChangeSpec::Incident { action } => action.to_string(),
        }
    }

    /// Where `planned` differs from `self` (the approved change): field name, approved
    /// value, planned value; empty when they are the same change.
    ///
    /// A different type gives one difference (`type`). A deploy's `from` is compared only
    /// when both name one (a caller that does not know the running image does not refuse
    /// for it).
    pub fn differences(&self, planned: &ChangeSpec) -> Vec<SpecDifference> {
        let mut out = Vec::new();
        let mut cmp = |field: &'static str, approved: String, planned: String| {
            if approved != planned {
                out.push(SpecDifference {
                    field,
                    approved,
                    planned,
                });
            }
        };
        match (self, planned) {
            (
                ChangeSpec::Deploy {
                    deployment: d1,
                    container: c1,
                    image: i1,
                    from: f1,
                },
                ChangeSpec::Deploy {
                    deployment: d2,
                    container: c2,
                    image: i2,
                    from: f2,
                },
            ) => {
                cmp("deployment", d1.qualified(), d2.qualified());
                cmp("container", c1.to_string(), c2.to_string());
                cmp("image", i1.to_string(), i2.to_string());
                if let (Some(f1), Some(f2)) = (f1, f2) {
                    cmp("from", f1.to_string(), f2.to_string());
                }
            }
            (ChangeSpec::Rollback { deployment: d1 }, ChangeSpec::Rollback { deployment: d2 }) => {
                cmp("deployment", d1.qualified(), d2.qualified());
            }
            (
                ChangeSpec::Scale {
                    deployment: d1,
                    replicas: r1,
                },
                ChangeSpec::Scale {
                    deployment: d2,
                    replicas: r2,
                },
            ) => {
                cmp("deployment", d1.qualified(), d2.qualified());
                cmp("replicas", r1.to_string(), r2.to_string());
            }
            (
                ChangeSpec::Autoscaler {
                    deployment: d1,
                    min: n1,
                    max: x1,
                },
                ChangeSpec::Autoscaler {
                    deployment: d2,
                    min: n2,
                    max: x2,
                },
            ) => {
                cmp("deployment", d1.qualified(), d2.qualified());
                cmp("min replicas", n1.to_string(), n2.to_string());
                cmp("max replicas", x1.to_string(), x2.to_string());
            }
            (
                ChangeSpec::Resources {
                    deployment: d1,
                    container: c1,
                    resources: r1,
                },
                ChangeSpec::Resources {
                    deployment: d2,
                    container: c2,
                    resources: r2,
                },
            ) => {
                cmp("deployment", d1.qualified(), d2.qualified());
                cmp("container", c1.to_string(), c2.to_string());
                if r1 != r2 {
                    cmp("resources", resources_text(r1), resources_text(r2));
                }
            }
            (
                ChangeSpec::RotateSecret {
                    namespace: n1,
                    secret: s1,
                    key: k1,
                },
                ChangeSpec::RotateSecret {
                    namespace: n2,
                    secret: s2,
                    key: k2,
                },
            ) => {
                cmp("secret", format!("{n1}/{s1}"), format!("{n2}/{s2}"));
                cmp("key", k1.clone(), k2.clone());
            }
            (
                ChangeSpec::Restore {
                    backup: b1,
                    database: d1,
                },
                ChangeSpec::Restore {
                    backup: b2,
                    database: d2,
                },
            ) => {
                cmp("backup", b1.to_string(), b2.to_string());
                cmp("database", d1.clone(), d2.clone());
            }
            (
                ChangeSpec::Maintenance { database: d1 },
                ChangeSpec::Maintenance { database: d2 },
            ) => {
                cmp("database", d1.clone(), d2.clone());
            }
            (
                ChangeSpec::Quarantine {
                    namespace: n1,
                    pod: p1,
                    release: r1,
                },
                ChangeSpec::Quarantine {
                    namespace: n2,
                    pod: p2,
                    release: r2,
                },
            ) => {
                cmp("pod", format!("{n1}/{p1}"), format!("{n2}/{p2}"));
                cmp("release", r1.to_string(), r2.to_string());
            }
            (
                ChangeSpec::NodeGroup {
                    cluster: c1,
                    group: g1,
                    nodes: n1,
                },
                ChangeSpec::NodeGroup {
                    cluster: c2,
                    group: g2,
                    nodes: n2,
                },
            ) => {
                cmp("node group", format!("{c1}/{g1}"), format!("{c2}/{g2}"));
                cmp("nodes", n1.to_string(), n2.to_string());
            }
            (
                ChangeSpec::RestoreConfig {
                    backup: b1,
                    namespace: n1,
                },
                ChangeSpec::RestoreConfig {
                    backup: b2,
                    namespace: n2,
                },
            ) => {
                cmp("backup", b1.to_string(), b2.to_string());
                cmp("namespace", n1.to_string(), n2.to_string());
            }
            (
                ChangeSpec::Silence {
                    alertname: a1,
                    minutes: m1,
                },
                ChangeSpec::Silence {
                    alertname: a2,
                    minutes: m2,
                },
            ) => {
                cmp("alertname", a1.clone(), a2.clone());
                cmp("minutes", m1.to_string(), m2.to_string());
            }
            (ChangeSpec::Incident { action: a1 }, ChangeSpec::Incident { action: a2 }) => {
                for d in a1.differences(a2) {
                    cmp(d.field, d.approved, d.planned);
                }
            }
            (approved, planned) => {
                cmp("type", approved.summary(), planned.summary());
            }
        }
        out
    }

    /// Checks the free-text fields (secret key, database, cluster and node group names): 1
    /// to 253 characters of `[A-Za-z0-9._-]`, an autoscaler's bounds (minimum at least
    /// 1, at most the maximum), a silence (an alert name `ops silence` accepts, 1 to 7 days
    /// of minutes) and an incident's title (one visible line, as an incident checks it). The
    /// other typed fields are valid by construction.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field.
    pub fn validate(&self) -> Result<()> {
        match self {
            ChangeSpec::Autoscaler { min, max, .. } => {
                if min.get() == 0 {
                    return Err(Error::invalid(
                        "autoscaler",
                        "an autoscaler cannot hold 0 replicas (its minimum must be at least 1)",
                    ));
                }
                if min > max {
                    return Err(Error::invalid(
                        "autoscaler",
                        format!("minReplicas {min} must be at most maxReplicas {max}"),
                    ));
                }
                Ok(())
            }
            ChangeSpec::RotateSecret { key, .. } => check_word("secret key", key),
            ChangeSpec::Restore { database, .. } | ChangeSpec::Maintenance { database } => {
                check_word("database", database)
            }
            ChangeSpec::NodeGroup { cluster, group, .. } => {
                check_word("cluster", cluster)?;
                check_word("node group", group)
            }
            ChangeSpec::Silence { alertname, minutes } => {
                spec_bookkeeping::validate_silence(alertname, *minutes)
            }
            ChangeSpec::Incident { action } => action.validate(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
#[path = "spec_autoscaler_tests.rs"]
mod autoscaler_tests;

fn check_word(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 253 {
        return Err(Error::invalid(field, "must be 1 to 253 characters"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(Error::invalid(
            field,
            format!("character {c:?} is not allowed (use A-Z a-z 0-9 . _ -)"),
        ));
    }
    Ok(())
}

/// `requests cpu=500m memory=1Gi, limits cpu=1 memory=2Gi`.
pub(crate) fn resources_text(r: &ResourceRequirements) -> String {
    fn list(l: &ResourceList) -> String {
        let mut parts = Vec::new();
        if let Some(cpu) = &l.cpu {
            parts.push(format!("cpu={cpu}"));
        }
        if let Some(memory) = &l.memory {
            parts.push(format!("memory={memory}"));
        }
        if parts.is_empty() {
            "none".to_owned()
        } else {
            parts.join(" ")
        }
    }
    format!(
        "requests {}, limits {}",
        list(r.requests()),
        list(r.limits())
    )
}
