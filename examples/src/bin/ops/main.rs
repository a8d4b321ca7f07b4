//! `ops`: the MCP production runbook as one command per procedure.
//!
//! By default it runs on an embedded simulated Kubernetes API server seeded with the
//! runbook's `mcp-production` namespace, started in process; `--kubeconfig PATH [--context C]`
//! points it at another cluster. `--database-url`, `--redis-url`, `--prometheus-url`,
//! `--alertmanager-url`, `--health-url` and `--incidents-url` (or their environment variables)
//! name the other systems; see [`endpoints`]. `--platform FILE` (`MCP_OPS_PLATFORM`) describes
//! another platform — namespaces, deployments, health endpoints, URLs, notifiers, contacts,
//! thresholds — that the flags override; the embedded cluster then simulates it ([`platform`]). A one-line banner on stderr says where every
//! part comes from. Exit codes: 0 healthy / succeeded, 1 degraded / failed / unknown, 2 bad
//! input (one line on stderr), 3 an incident change was recorded but no notifier delivered a
//! message that was due (the report names each failing channel and why).
//!
//! Change management ([`change_setup`]): `--as HANDLE` is the caller, `--change CR-…` the
//! approved change a mutation runs under, `--enforce-changes` refuses mutations without one
//! (exit 1, one line); `ops change …` and `ops journal …` manage change requests and the
//! persisted, hash-chained journal every writing command appends to.

mod assemble;
mod assemble_alerting;
mod backends;
mod change_pg;
mod change_setup;
mod change_spec;
mod cli;
mod cli_change;
mod cmd_alerts;
mod cmd_backup;
mod cmd_change;
mod cmd_deploy;
mod cmd_diagnose;
mod cmd_history;
mod cmd_incident;
mod cmd_journal;
mod cmd_maintenance;
mod cmd_rotate;
mod cmd_scale;
mod cmd_security;
mod cmd_silence;
mod drill;
mod drill_changes;
mod endpoints;
mod incident_delivery;
mod incident_list;
mod incident_store;
mod mcp;
mod output;
mod platform;
mod progress;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory as _, FromArgMatches as _};
use mcp_ops_core::runbook::Context;
use mcp_ops_core::{Error, Intent};

use crate::backends::Backends;
use crate::cli::{Cli, Command, Global};
use crate::endpoints::Endpoints;
use crate::output::Report;

/// Why a command could not produce a report.
#[derive(Debug)]
pub enum Failure {
    /// The input is wrong (exit 2).
    BadInput(String),
    /// The command failed (exit 1).
    Failed(String),
    /// The change policy refused it before anything changed (exit 1; the refusal is
    /// journaled).
    Refused(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidInput { .. } | Error::NotFound { .. } => Failure::BadInput(e.to_string()),
            Error::ChangeRefused(_) => Failure::Refused(e.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}

/// The result of a command.
pub type Outcome = Result<Report, Failure>;

fn main() -> ExitCode {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return parse_error(&e),
    };
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return parse_error(&e),
    };
    // `-n` wins over the platform's namespace; its default does not.
    let namespace_given = matches!(
        matches.value_source("namespace"),
        Some(clap::parser::ValueSource::CommandLine)
    );
    if let Err(why) = platform::load(&cli.global).and_then(|p| {
        cli.global.platform = p;
        let urls = !matches!(cli.command, Command::Drill { .. });
        platform::apply(&mut cli.global, namespace_given, urls)?;
        cli.global.actor = change_setup::actor(&cli.global)?;
        change_setup::change_id(&cli.global).map(|_| ())
    }) {
        let (Failure::BadInput(why) | Failure::Failed(why) | Failure::Refused(why)) = why;
        eprintln!("ops: {}", one_line(&why));
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ops: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(cli))
}

/// clap's help and version go to stdout with exit 0; any other parse error is one line on
/// stderr with exit 2.
fn parse_error(e: &clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        eprintln!("ops: a subcommand is required (see `ops --help`)");
        return ExitCode::from(2);
    }
    // clap's message can span lines ("required arguments were not provided:\n  <NAME>");
    // keep everything before the usage, on one line.
    let text = e.to_string();
    let first = text
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let first = mcp_ops_core::redact_text(first.trim_start_matches("error: "));
    eprintln!("ops: {first} (see `ops --help`)");
    ExitCode::from(2)
}

async fn run(cli: Cli) -> ExitCode {
    if let Command::Mcp(args) = &cli.command {
        return mcp::serve(args, cli.global).await;
    }
    let g = &cli.global;
    let backends = match target(&cli.command, g).await {
        Ok(b) => b,
        Err(Failure::BadInput(why)) => {
            eprintln!("ops: {}", one_line(&why));
            return ExitCode::from(2);
        }
        Err(Failure::Failed(why) | Failure::Refused(why)) => {
            eprintln!("ops: {}", one_line(&why));
            return ExitCode::from(1);
        }
    };
    let banner = backends.banner();
    // The banner is printed once the input is known to be good: bad input is one line.
    let spinner = progress::start(&cli.command, &backends.target);
    let result = dispatch(&cli.command, g, &backends).await;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    // What the command did, and any refusal, goes to the persisted journal with the caller.
    let result = change_setup::record_run(&cli.command, g, &backends, result).await;
    match result {
        Ok(mut report) => {
            eprintln!("{banner}");
            report.notes.extend(backends.notes.iter().cloned());
            if notifies(&cli.command) {
                report.notes.extend(backends.notify_note.iter().cloned());
            }
            if g.dry_run && report.journal.is_empty() && report.status != output::Status::Planned {
                report.notes.push(
                    "read-only command: --dry-run changes nothing, it ran as usual".to_owned(),
                );
            }
            report.print(g.output, &backends.target, g.dry_run);
            ExitCode::from(report.code())
        }
        Err(Failure::BadInput(why)) => {
            eprintln!("ops: {}", one_line(&why));
            ExitCode::from(2)
        }
        Err(Failure::Failed(why)) => {
            eprintln!("{banner}");
            eprintln!("ops: failed: {}", one_line(&why));
            ExitCode::from(1)
        }
        Err(Failure::Refused(why)) => {
            // One line, like bad input: the refusal names what is missing.
            eprintln!("ops: {}", one_line(&why));
            ExitCode::from(1)
        }
    }
}

/// The systems to talk to: `--kubeconfig`'s cluster, else the embedded simulated cluster;
/// the URL flags for the rest (the drill keeps everything embedded).
pub(crate) async fn target(command: &Command, g: &Global) -> Result<Backends, Failure> {
    match (&g.kubeconfig, &g.context) {
        (None, Some(_)) => {
            return Err(Failure::BadInput(
                "--context needs --kubeconfig (the embedded cluster has one context)".to_owned(),
            ));
        }
        (None, None)
            if !g
                .platform
                .namespaces
                .iter()
                .any(|n| n.as_str() == g.namespace) =>
        {
            let known: Vec<&str> = g.platform.namespaces.iter().map(|n| n.as_str()).collect();
            return Err(Failure::BadInput(format!(
                "the embedded cluster only has the namespace {} (got {})",
                known.join(", "),
                g.namespace
            )));
        }
        _ => {}
    }
    if let Command::Drill { .. } = command {
        if g.kubeconfig.is_some() {
            return Err(Failure::BadInput(
                "the drill injects faults and runs only on the embedded cluster (drop --kubeconfig)"
                    .to_owned(),
            ));
        }
        let mut b = if platform::is_runbook(&g.platform) {
            Backends::drill(&g.namespace).await?
        } else {
            platform::drill(&g.platform, &g.namespace).await?
        };
        b.changes = Some(change_setup::ChangeSetup::memory());
        return Ok(b);
    }
    let mut endpoints = Endpoints::from_global(g)?;
    platform::fill_alerts(&mut endpoints.alerts, &g.platform)?;
    let setup = change_setup::ChangeSetup::open(&endpoints)?;
    let mut b = match (&g.kubeconfig, &g.context) {
        (Some(path), context) => {
            Backends::kubeconfig(path, context.as_deref(), &g.namespace, &endpoints).await?
        }
        (None, _) if !platform::is_runbook(&g.platform) => {
            platform::simulated(&g.platform, &g.namespace, &endpoints).await?
        }
        (None, _) => Backends::simulated(&g.namespace, &endpoints).await?,
    };
    b.sources
        .push(format!("changes and journal: {}", setup.kept));
    b.changes = Some(setup);
    Ok(b)
}

pub(crate) async fn dispatch(command: &Command, g: &Global, b: &Backends) -> Outcome {
    match command {
        Command::Triage => cmd_diagnose::triage(g, b).await,
        Command::Investigate { what } => cmd_diagnose::investigate(*what, g, b).await,
        Command::Deploy(args) => cmd_deploy::deploy(args, g, b).await,
        Command::Rollback {
            deployments,
            reason,
        } => cmd_deploy::rollback(deployments, reason.as_deref(), g, b).await,
        Command::Scale(args) => cmd_scale::scale(args, g, b).await,
        Command::Capacity => cmd_scale::capacity(g, b).await,
        Command::Backup {
            kind,
            name,
            timeout,
        } => cmd_backup::backup(*kind, name, *timeout, g, b).await,
        Command::Backups => cmd_backup::list(b).await,
        Command::Verify { id } => cmd_backup::verify(id, b).await,
        Command::Restore {
            id,
            autoscaled,
            timeout,
        } => cmd_backup::restore(id, *autoscaled, *timeout, g, b).await,
        Command::Maintenance { force } => {
            cmd_maintenance::maintenance(force.as_deref(), g, b).await
        }
        Command::RotateSecret {
            secret,
            key,
            dependents,
            resume,
            abort,
        } => cmd_rotate::rotate(secret, key, dependents, (*resume, *abort), g, b).await,
        Command::Incident { action } => cmd_incident::incident(action, g, b).await,
        Command::Silence {
            alertname,
            minutes,
            comment,
        } => cmd_silence::silence(alertname, *minutes, comment, g, b).await,
        Command::Drill { bake_seconds } => drill::drill(*bake_seconds, g, b).await,
        Command::Change { action } => cmd_change::change(action, g, b).await,
        Command::Journal { action } => cmd_journal::journal(action, g, b).await,
        Command::Quarantine { pod, release } => cmd_security::quarantine(pod, *release, g, b).await,
        Command::Audit => cmd_security::audit(g, b).await,
        Command::History { deployment } => cmd_history::history(deployment, g, b).await,
        Command::Alerts => cmd_alerts::alerts(g, b).await,
        Command::Mcp(_) => Err(Failure::BadInput(
            "ops mcp is a server: it is not run as a procedure".to_owned(),
        )),
    }
}

/// A context for `procedure` with the CLI's intent: the caller of `--as` (dry run from
/// `--dry-run`).
pub fn context(
    procedure: &'static str,
    reason: &str,
    g: &Global,
    b: &Backends,
) -> Result<Context, Failure> {
    context_as(procedure, reason, &g.actor, g, b)
}

/// A context whose intent names `actor` (who acknowledges an incident, for instance). It
/// writes to the run's journal (persisted when the command changed something) and goes
/// through the change gate ([`change_setup::gate`]) before any mutation.
pub fn context_as(
    procedure: &'static str,
    reason: &str,
    actor: &str,
    g: &Global,
    b: &Backends,
) -> Result<Context, Failure> {
    let intent = Intent::new(reason, actor)?.with_dry_run(g.dry_run);
    let mut ctx = Context::new(procedure, intent, b.clock.clone())
        .with_journal(b.run_journal.clone())
        .with_stop(b.stop.clone())
        .with_policy(g.platform.thresholds.clone());
    if !change_setup::UNMANAGED.contains(&procedure)
        && let Some(gate) = change_setup::gate(g, b)?
    {
        ctx = ctx.with_change_gate(gate);
    }
    Ok(ctx)
}

/// Whether the command may send incident messages.
fn notifies(command: &Command) -> bool {
    matches!(
        command,
        Command::Incident { .. } | Command::Deploy(_) | Command::Rollback { .. }
    )
}

/// `s` on one line, URLs and credentials redacted ([`mcp_ops_core::redact_text`]).
fn one_line(s: &str) -> String {
    mcp_ops_core::redact_text(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}
