//! What `ops change request <kind> …` asks for: the exact [`ChangeSpec`] the command that
//! runs it will plan (built with the same parsing, so the two compare equal), and the
//! natural undo of each kind.

use mcp_ops_core::IncidentId;
use mcp_ops_core::change::{ChangeSpec, IncidentChange};
use mcp_ops_core::runbook::maintenance_window::MaintenanceInput;
use mcp_ops_core::runbook::recover_database::RecoveryInput;
use mcp_ops_core::types::{DeploymentRef, Namespace, Replicas, ResourceName};

use crate::Failure;
use crate::backends::Backends;
use crate::cli::{Global, ScaleArgs};
use crate::cli_change::RequestKind;

/// The change `kind` describes, in the namespace of `-n`. A deploy's `from` is the image
/// the container runs now (read from the cluster), so its risk follows the version step;
/// named deployments must exist.
///
/// # Errors
/// [`Failure::BadInput`] for malformed values or a deployment or container that is not
/// there.
pub async fn spec_of(kind: &RequestKind, g: &Global, b: &Backends) -> Result<ChangeSpec, Failure> {
    let deployment = |name: &str| DeploymentRef::new(&g.namespace, name).map_err(Failure::from);
    Ok(match kind {
        RequestKind::Deploy {
            deployment: d,
            image,
        } => {
            let deployment = deployment(d)?;
            let (container, image) = crate::cmd_deploy::container_image(image)?;
            let running = b.deployer.deployment(&deployment).await?;
            let from = running.images.get(&container).cloned().ok_or_else(|| {
                Failure::BadInput(format!(
                    "{deployment} has no container {container} (it has {})",
                    running
                        .images
                        .keys()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            ChangeSpec::Deploy {
                deployment,
                container,
                image,
                from: Some(from),
            }
        }
        RequestKind::Rollback { deployment: d } => {
            let deployment = deployment(d)?;
            b.deployer.deployment(&deployment).await?;
            ChangeSpec::Rollback { deployment }
        }
        RequestKind::Scale {
            deployment: d,
            replicas,
            hpa_max,
        } => {
            let deployment = deployment(d)?;
            b.scaler.replicas(&deployment).await?;
            match (replicas, hpa_max) {
                (Some(n), _) => ChangeSpec::Scale {
                    deployment,
                    replicas: Replicas::new(*n)?,
                },
                (None, Some(n)) => {
                    let max = Replicas::new(*n)?;
                    let Some(hpa) = b.scaler.autoscaler(&deployment).await? else {
                        return Err(Failure::BadInput(format!(
                            "{deployment} has no autoscaler; use --replicas"
                        )));
                    };
                    crate::cmd_scale::autoscaler_spec(&deployment, &hpa, max)?
                }
                (None, None) => {
                    return Err(Failure::BadInput(
                        "--replicas or --hpa-max is required".to_owned(),
                    ));
                }
            }
        }
        RequestKind::Resources {
            deployment: d,
            cpu,
            memory,
            cpu_limit,
            memory_limit,
            container,
        } => {
            let args = ScaleArgs {
                deployment: d.clone(),
                replicas: None,
                hpa_max: None,
                cpu: Some(cpu.clone()),
                memory: Some(memory.clone()),
                cpu_limit: cpu_limit.clone(),
                memory_limit: memory_limit.clone(),
                container: container.clone(),
                force: None,
            };
            let input = crate::cmd_scale::input(&args, g)?;
            let target =
                input.vertical.into_iter().next().ok_or_else(|| {
                    Failure::BadInput("--cpu and --memory are required".to_owned())
                })?;
            b.scaler
                .resources(&target.deployment, &target.container)
                .await?;
            ChangeSpec::Resources {
                deployment: target.deployment,
                container: target.container,
                resources: target.resources,
            }
        }
        RequestKind::RotateSecret { secret, key } => ChangeSpec::RotateSecret {
            namespace: Namespace::new(&g.namespace)?,
            secret: ResourceName::new(secret)?,
            key: key.clone(),
        },
        RequestKind::Restore { id } => {
            if let (Some(config), true) = (&b.config_backups, id.starts_with("config-")) {
                let backup = mcp_ops_core::backup::BackupId::new(id)?;
                let namespace = config.manifest(&backup).await?.namespace;
                return Ok(ChangeSpec::RestoreConfig { backup, namespace });
            }
            let backup = crate::cmd_backup::resolve(id, b).await?;
            let database = RecoveryInput::runbook(backup.clone()).database;
            ChangeSpec::Restore { backup, database }
        }
        RequestKind::Maintenance => ChangeSpec::Maintenance {
            database: MaintenanceInput::default().database,
        },
        RequestKind::Quarantine { pod, release } => ChangeSpec::Quarantine {
            namespace: Namespace::new(&g.namespace)?,
            pod: ResourceName::new(pod)?,
            release: *release,
        },
        RequestKind::NodeGroup {
            cluster,
            group,
            nodes,
        } => {
            let spec = ChangeSpec::NodeGroup {
                cluster: cluster.clone(),
                group: group.clone(),
                nodes: *nodes,
            };
            spec.validate()?;
            spec
        }
        RequestKind::Silence { alertname, minutes } => silence_spec(alertname, *minutes)?,
        RequestKind::IncidentOpen { title, severity } => incident_spec(IncidentChange::Open {
            title: title.clone(),
            severity: severity.parse()?,
        })?,
        RequestKind::IncidentAck { id } => incident_spec(IncidentChange::Ack {
            incident: existing(id, b).await?,
        })?,
        RequestKind::IncidentUpdate { id } => incident_spec(IncidentChange::Update {
            incident: existing(id, b).await?,
        })?,
        RequestKind::IncidentResolve { id } => incident_spec(IncidentChange::Resolve {
            incident: existing(id, b).await?,
        })?,
    })
}

/// The change `ops silence <alertname> --minutes N` makes, validated as `ops silence`
/// validates it.
///
/// # Errors
/// [`Failure::BadInput`] for an alert name no silence can match or minutes outside 1 to a
/// week.
pub fn silence_spec(alertname: &str, minutes: u32) -> Result<ChangeSpec, Failure> {
    let spec = ChangeSpec::Silence {
        alertname: alertname.to_owned(),
        minutes,
    };
    spec.validate()?;
    Ok(spec)
}

/// The change an `ops incident` action makes, validated.
///
/// # Errors
/// [`Failure::BadInput`] for a title that is not one visible line.
pub fn incident_spec(action: IncidentChange) -> Result<ChangeSpec, Failure> {
    let spec = ChangeSpec::Incident { action };
    spec.validate()?;
    Ok(spec)
}

/// An incident this state directory (or incident database) knows.
async fn existing(id: &str, b: &Backends) -> Result<IncidentId, Failure> {
    let id = IncidentId::new(id)?;
    b.escalator.incident(&id).await.map_err(|e| match e {
        mcp_ops_core::Error::NotFound { .. } => Failure::BadInput(format!(
            "no incident {id} here (`ops incident list` shows the open ones)"
        )),
        other => other.into(),
    })?;
    Ok(id)
}

/// The natural undo of `spec`, the rollback plan when the requester gives none.
pub fn default_rollback_plan(spec: &ChangeSpec) -> String {
    let undo = |d: &DeploymentRef| {
        format!(
            "kubectl rollout undo deployment/{} -n {}",
            d.name, d.namespace
        )
    };
    match spec {
        ChangeSpec::Deploy { deployment, .. } => undo(deployment),
        ChangeSpec::Rollback { deployment } => format!(
            "kubectl rollout undo deployment/{} -n {} (back to the revision rolled back from)",
            deployment.name, deployment.namespace
        ),
        ChangeSpec::Scale { deployment, .. } => format!(
            "kubectl scale deployment/{} --replicas=<previous> -n {}",
            deployment.name, deployment.namespace
        ),
        ChangeSpec::Autoscaler { deployment, .. } => format!(
            "ops -n {} scale {} --hpa-max <previous> (kubectl patch hpa: the previous maxReplicas)",
            deployment.namespace, deployment.name
        ),
        ChangeSpec::Resources { deployment, .. } => undo(deployment),
        ChangeSpec::RotateSecret { secret, .. } => {
            format!("ops rotate-secret {secret} <key> --abort (puts the previous value back)")
        }
        ChangeSpec::Restore { database, .. } => {
            format!("restore {database} from the pre-restore backup")
        }
        ChangeSpec::Maintenance { .. } => {
            "none needed: ANALYZE and VACUUM change no data; stop it with pg_cancel_backend"
                .to_owned()
        }
        ChangeSpec::Quarantine { pod, release, .. } => {
            if *release {
                format!("ops quarantine {pod} (isolate it again)")
            } else {
                format!("ops quarantine {pod} --release")
            }
        }
        ChangeSpec::NodeGroup { cluster, group, .. } => {
            format!("eksctl scale nodegroup --cluster {cluster} --name {group} --nodes <previous>")
        }
        ChangeSpec::RestoreConfig { namespace, .. } => format!(
            "ops backup config {namespace} before the restore, then ops restore <that backup>"
        ),
        ChangeSpec::Silence { alertname, minutes } => format!(
            "expire the silence early in Alertmanager (amtool silence expire <id>; the \
             silence id is in the journal); it ends by itself after {minutes} min, and alert \
             {alertname} pages again"
        ),
        ChangeSpec::Incident { action } => match action {
            IncidentChange::Open { .. } => {
                "ops incident resolve <id> \"opened in error\"".to_owned()
            }
            IncidentChange::Ack { incident } => format!(
                "none needed: an acknowledgement only stops the escalation of {incident}; \
                 ops incident update {incident} … says who owns it now"
            ),
            IncidentChange::Update { incident } => {
                format!("ops incident update {incident} … with the correction")
            }
            IncidentChange::Resolve { .. } => {
                "ops incident open … again if the problem comes back (a resolved incident \
                 stays resolved)"
                    .to_owned()
            }
            other => format!("undo: {other}"),
        },
        other => format!("undo: {}", other.summary()),
    }
}
