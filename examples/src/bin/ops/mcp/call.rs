//! A tool call as the `ops` command it is: the [`Command`] value the CLI would parse, the
//! change request kind that describes it, and the names the server's scope must allow.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::args;
use crate::cli::{BackupKindArg, Command, IncidentAction, Investigation};
use crate::cli_change::{ChangeAction, JournalAction, RequestKind};

/// One call, ready to run.
#[derive(Debug)]
pub struct Invocation {
    /// The command the CLI would run.
    pub command: Command,
    /// The namespace asked for (`None`: the server's default).
    pub namespace: Option<String>,
    /// The change request named by the call (`change`), for a mutating tool.
    pub change: Option<String>,
    /// The change request kind that describes the call (mutating tools).
    pub request: Option<RequestKind>,
    /// The journal's `--change` filter (the `journal` tool), not an authorization.
    pub journal_change: Option<String>,
    /// Names the scope must allow.
    pub names: Names,
}

/// The names a call touches.
#[derive(Debug, Default)]
pub struct Names {
    /// Deployments.
    pub deployments: Vec<String>,
    /// Secrets.
    pub secrets: Vec<String>,
    /// Pods (each must belong to a deployment in scope).
    pub pods: Vec<String>,
    /// A namespace named as an argument (a configuration backup's).
    pub namespaces: Vec<String>,
}

pub(super) fn parse<T: DeserializeOwned>(args: &Map<String, Value>) -> Result<T, String> {
    serde_json::from_value(Value::Object(args.clone())).map_err(|e| format!("arguments: {e}"))
}

fn plain(command: Command, namespace: Option<String>) -> Invocation {
    Invocation {
        command,
        namespace,
        change: None,
        request: None,
        journal_change: None,
        names: Names::default(),
    }
}

/// The invocation of tool `name` with `args`, run as `actor`.
///
/// # Errors
/// One line when the arguments do not fit the tool's schema or mix what one call cannot do.
pub fn invocation(
    name: &str,
    args: &Map<String, Value>,
    actor: &str,
) -> Result<Invocation, String> {
    let ns_only = |command: Command| -> Result<Invocation, String> {
        let a: args::NamespaceOnly = parse(args)?;
        Ok(plain(command, a.namespace))
    };
    match name {
        "triage" => ns_only(Command::Triage),
        "investigate_errors" => ns_only(Command::Investigate {
            what: Investigation::Errors,
        }),
        "investigate_latency" => ns_only(Command::Investigate {
            what: Investigation::Latency,
        }),
        "capacity" => ns_only(Command::Capacity),
        "backups" => ns_only(Command::Backups),
        "audit" => ns_only(Command::Audit),
        "incidents" => ns_only(Command::Incident {
            action: IncidentAction::List,
        }),
        "alerts" => ns_only(Command::Alerts),
        "rollout_history" => {
            let a: args::HistoryArgs = parse(args)?;
            let mut inv = plain(
                Command::History {
                    deployment: a.deployment.clone(),
                },
                a.namespace,
            );
            inv.names.deployments.push(a.deployment);
            Ok(inv)
        }
        "verify_backup" => {
            let a: args::IdArgs = parse(args)?;
            no_change(&a.change)?;
            Ok(plain(Command::Verify { id: a.id }, a.namespace))
        }
        "change_show" => {
            let a: args::IdArgs = parse(args)?;
            no_change(&a.change)?;
            Ok(plain(
                Command::Change {
                    action: ChangeAction::Show { id: a.id },
                },
                a.namespace,
            ))
        }
        "journal" => {
            let a: args::JournalArgs = parse(args)?;
            let mut inv = plain(
                Command::Journal {
                    action: JournalAction::Show {
                        incident: a.incident,
                        since: a.since,
                    },
                },
                a.namespace,
            );
            inv.journal_change = a.change;
            Ok(inv)
        }
        "backup" => {
            let a: args::BackupArgs = parse(args)?;
            let kind = match a.kind {
                args::BackupKind::Db => BackupKindArg::Db,
                args::BackupKind::Config => BackupKindArg::Config,
            };
            let mut inv = plain(
                Command::Backup {
                    kind,
                    name: a.name.clone(),
                    timeout: None,
                },
                a.namespace,
            );
            if matches!(a.kind, args::BackupKind::Config) {
                inv.names.namespaces.push(a.name);
            }
            Ok(inv)
        }
        _ => super::call_mutating::mutating(name, args, actor),
    }
}

fn no_change(change: &Option<String>) -> Result<(), String> {
    match change {
        Some(_) => Err("`change` is for mutating tools; this one reads only".to_owned()),
        None => Ok(()),
    }
}
