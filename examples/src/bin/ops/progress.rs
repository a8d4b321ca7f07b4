//! A spinner on stderr while a long command runs (rollouts, bakes, backups, restores) —
//! only when stderr is a terminal, so pipes and tests see plain output.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::Command;

/// Starts a spinner for commands that wait on rollouts or copies; `None` otherwise.
pub fn start(command: &Command, target: &str) -> Option<ProgressBar> {
    let what = match command {
        Command::Deploy(_) => "deploying: rollout, health, smoke tests, bake",
        Command::Rollback { .. } => "rolling back and waiting for the rollouts",
        Command::Backup { .. } => "taking the backup",
        Command::Restore { .. } => "verifying and restoring the backup",
        Command::Maintenance { .. } => "running the maintenance window",
        Command::RotateSecret { .. } => "rotating: stage, apply, restart, verify",
        Command::Drill { .. } => "running the game day",
        Command::Quarantine { .. } => "isolating the pod and collecting evidence",
        _ => return None,
    };
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(format!("{what} ({target})"));
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}
