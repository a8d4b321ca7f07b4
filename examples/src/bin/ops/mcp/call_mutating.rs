//! The invocations of the mutating tools: the command each runs and the change request kind
//! that describes it (the binding of all its arguments is added by [`super::admission`]).

use serde_json::{Map, Value};

use super::args;
use super::call::{Invocation, Names, parse};
use crate::cli::{Autoscaled, Command, DeployArgs, IncidentAction, OnNoData, ScaleArgs};
use crate::cli_change::RequestKind;

/// A mutating tool's invocation.
pub(super) fn mutating(
    name: &str,
    args: &Map<String, Value>,
    actor: &str,
) -> Result<Invocation, String> {
    let managed = |command: Command, namespace, change, request| Invocation {
        command,
        namespace,
        change,
        request: Some(request),
        journal_change: None,
        names: Names::default(),
    };
    match name {
        "deploy" => {
            let a: args::DeployArgs = parse(args)?;
            let mut inv = managed(
                Command::Deploy(DeployArgs {
                    deployment: a.deployment.clone(),
                    image: a.image.clone(),
                    evidence: a.evidence,
                    rollback_plan: a.rollback_plan,
                    force: None,
                    bake_seconds: a.bake_seconds.unwrap_or(30),
                    on_no_data: OnNoData::Hold,
                    reason: a.reason,
                }),
                a.namespace,
                a.change,
                RequestKind::Deploy {
                    deployment: a.deployment.clone(),
                    image: a.image,
                },
            );
            inv.names.deployments.push(a.deployment);
            Ok(inv)
        }
        "rollback" => {
            let a: args::RollbackArgs = parse(args)?;
            let mut inv = managed(
                Command::Rollback {
                    deployments: vec![a.deployment.clone()],
                    reason: a.reason,
                },
                a.namespace,
                a.change,
                RequestKind::Rollback {
                    deployment: a.deployment.clone(),
                },
            );
            inv.names.deployments.push(a.deployment);
            Ok(inv)
        }
        "scale" => scale(parse(args)?),
        "restore" => {
            let a: args::RestoreArgs = parse(args)?;
            if a.id.starts_with("config-") {
                return Err(
                    "a configuration backup (config-…) is restored with the restore_config tool"
                        .to_owned(),
                );
            }
            let autoscaled = match a.autoscaled {
                None | Some(args::AutoscaledChoice::Refuse) => Autoscaled::Refuse,
                Some(args::AutoscaledChoice::Pin) => Autoscaled::Pin,
                Some(args::AutoscaledChoice::Leave) => Autoscaled::Leave,
            };
            Ok(managed(
                Command::Restore {
                    id: a.id.clone(),
                    autoscaled,
                    timeout: None,
                },
                a.namespace,
                a.change,
                RequestKind::Restore { id: a.id },
            ))
        }
        "restore_config" => {
            let a: args::IdArgs = parse(args)?;
            if !a.id.starts_with("config-") {
                return Err(
                    "restore_config restores configuration backups (config-…); use restore for a database backup"
                        .to_owned(),
                );
            }
            Ok(managed(
                Command::Restore {
                    id: a.id.clone(),
                    autoscaled: Autoscaled::Refuse,
                    timeout: None,
                },
                a.namespace,
                a.change,
                RequestKind::Restore { id: a.id },
            ))
        }
        "rotate_secret" => {
            let a: args::RotateArgs = parse(args)?;
            if a.restart.is_empty() {
                return Err(
                    "rotate_secret: name the deployments to restart (`restart`, each in this server's scope); the CLI's default, every deployment of the namespace, may reach beyond the scope"
                        .to_owned(),
                );
            }
            let mut inv = managed(
                Command::RotateSecret {
                    secret: a.secret.clone(),
                    key: a.key.clone(),
                    dependents: a.restart.clone(),
                    resume: false,
                    abort: false,
                },
                a.namespace,
                a.change,
                RequestKind::RotateSecret {
                    secret: a.secret.clone(),
                    key: a.key,
                },
            );
            inv.names.secrets.push(a.secret);
            inv.names.deployments.extend(a.restart);
            Ok(inv)
        }
        "maintenance" => {
            let a: args::MaintenanceArgs = parse(args)?;
            Ok(managed(
                Command::Maintenance { force: None },
                a.namespace,
                a.change,
                RequestKind::Maintenance,
            ))
        }
        "quarantine" => {
            let a: args::QuarantineArgs = parse(args)?;
            let mut inv = managed(
                Command::Quarantine {
                    pod: a.pod.clone(),
                    release: a.release,
                },
                a.namespace,
                a.change,
                RequestKind::Quarantine {
                    pod: a.pod.clone(),
                    release: a.release,
                },
            );
            inv.names.pods.push(a.pod);
            Ok(inv)
        }
        "silence" => {
            let a: args::SilenceArgs = parse(args)?;
            let minutes = a.minutes.unwrap_or(60);
            Ok(managed(
                Command::Silence {
                    alertname: a.alertname.clone(),
                    minutes,
                    comment: a
                        .comment
                        .unwrap_or_else(|| format!("silenced by {actor} through ops mcp")),
                },
                a.namespace,
                a.change,
                RequestKind::Silence {
                    alertname: a.alertname,
                    minutes,
                },
            ))
        }
        "incident_open" => {
            let a: args::IncidentOpenArgs = parse(args)?;
            let severity = a.severity.unwrap_or_else(|| "P1".to_owned());
            Ok(managed(
                Command::Incident {
                    action: IncidentAction::Open {
                        title: a.title.clone(),
                        severity: severity.clone(),
                        impact: a.impact.unwrap_or_else(|| "under investigation".to_owned()),
                        ack_by: None,
                        update: None,
                        resolve: None,
                    },
                },
                a.namespace,
                a.change,
                RequestKind::IncidentOpen {
                    title: a.title,
                    severity,
                },
            ))
        }
        "incident_ack" | "incident_update" | "incident_resolve" => {
            incident(name, parse(args)?, actor)
        }
        other => Err(format!("unknown tool {other}")),
    }
}

fn incident(name: &str, a: args::IncidentArgs, actor: &str) -> Result<Invocation, String> {
    let text = |what: &str| {
        a.text
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| format!("{name} needs `text`: {what}"))
    };
    let (action, request) = match name {
        "incident_ack" => (
            IncidentAction::Ack {
                id: a.id.clone(),
                by: actor.to_owned(),
            },
            RequestKind::IncidentAck { id: a.id.clone() },
        ),
        "incident_update" => (
            IncidentAction::Update {
                id: a.id.clone(),
                actions: text("what is being done")?,
            },
            RequestKind::IncidentUpdate { id: a.id.clone() },
        ),
        _ => (
            IncidentAction::Resolve {
                id: a.id.clone(),
                resolution: text("how it was resolved")?,
            },
            RequestKind::IncidentResolve { id: a.id.clone() },
        ),
    };
    Ok(Invocation {
        command: Command::Incident { action },
        namespace: a.namespace,
        change: a.change,
        request: Some(request),
        journal_change: None,
        names: Names::default(),
    })
}

fn scale(a: args::ScaleArgs) -> Result<Invocation, String> {
    let count = a.replicas.is_some() || a.hpa_max.is_some();
    let resources = a.cpu.is_some() || a.memory.is_some();
    let request = match (count, resources, &a.cpu, &a.memory) {
        (true, false, _, _) => RequestKind::Scale {
            deployment: a.deployment.clone(),
            replicas: a.replicas,
            hpa_max: a.hpa_max,
        },
        (false, true, Some(cpu), Some(memory)) => RequestKind::Resources {
            deployment: a.deployment.clone(),
            cpu: cpu.clone(),
            memory: memory.clone(),
            cpu_limit: a.cpu_limit.clone(),
            memory_limit: a.memory_limit.clone(),
            container: a.container.clone(),
        },
        (false, true, _, _) => return Err("scale: cpu and memory go together".to_owned()),
        (true, true, _, _) => {
            return Err(
                "scale: replicas/hpa_max and cpu/memory are two changes: one call each".to_owned(),
            );
        }
        (false, false, _, _) => {
            return Err("scale: give replicas, hpa_max, or cpu and memory".to_owned());
        }
    };
    let mut inv = Invocation {
        command: Command::Scale(ScaleArgs {
            deployment: a.deployment.clone(),
            replicas: a.replicas,
            hpa_max: a.hpa_max,
            cpu: a.cpu,
            memory: a.memory,
            cpu_limit: a.cpu_limit,
            memory_limit: a.memory_limit,
            container: a.container,
            force: None,
        }),
        namespace: a.namespace,
        change: a.change,
        request: Some(request),
        journal_change: None,
        names: Names::default(),
    };
    inv.names.deployments.push(a.deployment);
    Ok(inv)
}
