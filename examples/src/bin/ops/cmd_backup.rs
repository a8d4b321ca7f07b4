//! `ops backup`, `ops backups`, `ops verify` and `ops restore` (Backup and Recovery).

use std::time::Duration;

use mcp_ops_core::HealthCheck;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupRecord, BackupRequest, BackupStatus, RestoreOptions,
};
use mcp_ops_core::change::ChangeSpec;
use mcp_ops_core::runbook::recover_database::{
    AutoscaledHandling, RecoveryBackends, RecoveryInput, RecoveryStatus, recover_database,
};
use mcp_ops_core::runbook::{Context, StepPolicy, commands};
use mcp_ops_core::types::{Namespace, ResourceName};
use mcp_ops_k8s::ConfigBackups;
use mcp_ops_k8s::config_backups::ConfigRestoreRun;

use crate::backends::Backends;
use crate::cli::{Autoscaled, BackupKindArg, Global};
use crate::output::{Report, Status, table, to_value};
use crate::{Failure, Outcome, context};

/// The longest `--timeout` accepted (30 days).
const MAX_DEADLINE: Duration = Duration::from_secs(30 * 24 * 3600);

/// `--timeout`: `90m`, `2h`, `1h 30m`, `3600s` or plain seconds; more than 0 and at most
/// 30 days.
pub fn parse_deadline(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = if !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit()) {
        text.parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|e| e.to_string())
    } else {
        text.parse::<jiff::SignedDuration>()
            .map_err(|_| "use a duration such as 90m, 2h or 3600s".to_owned())
            .and_then(|d| Duration::try_from(d).map_err(|_| "must be positive".to_owned()))
    }?;
    if parsed.is_zero() {
        return Err("must be more than 0 (leave it out for no deadline)".to_owned());
    }
    if parsed > MAX_DEADLINE {
        return Err("at most 30 days (leave it out for no deadline)".to_owned());
    }
    Ok(parsed)
}

/// A data operation's step: one attempt (a second dump or Job would not help), bounded only
/// by the caller's deadline.
fn data_step(deadline: Option<Duration>) -> StepPolicy {
    StepPolicy::once(deadline.unwrap_or(Duration::MAX))
}

/// `ops backup db|config|cronjob <name> [--timeout D]`: no deadline unless given, for
/// every kind (a dump or a CronJob's Job takes as long as its data needs).
pub async fn backup(
    kind: BackupKindArg,
    name: &str,
    deadline: Option<Duration>,
    g: &Global,
    b: &Backends,
) -> Outcome {
    let (kind, command) = match kind {
        BackupKindArg::Db => (
            BackupKind::Database {
                database: name.to_owned(),
            },
            commands::pg_dump(name, &format!("/backups/{name}-$(date +%Y%m%d).sql")),
        ),
        BackupKindArg::Config => (
            BackupKind::Configuration {
                namespace: Namespace::new(name)?,
            },
            format!("kubectl get configmaps,secrets -n {name} -o yaml  # Secret data redacted"),
        ),
        BackupKindArg::Cronjob => (
            BackupKind::CronJob {
                namespace: Namespace::new(&g.namespace)?,
                cronjob: ResourceName::new(name)?,
            },
            format!(
                "kubectl create job --from=cronjob/{name} {name}-manual -n {}",
                g.namespace
            ),
        ),
    };
    let policy = data_step(deadline);
    let request = BackupRequest { kind, label: None };
    let ctx = context("backup", "ops backup", g, b)?;
    let intent = ctx.intent().clone();
    let record = ctx
        .step("backup", name)
        .action("take a backup")
        .command(command)
        .policy(policy)
        .act(
            || b.backups.backup(&request, &intent),
            |r: &BackupRecord| r.id.to_string(),
        )
        .await?;
    let journal = ctx.journal().entries();
    let Some(record) = record else {
        return Ok(Report::new(
            "backup",
            Status::Planned,
            "dry run: no backup taken",
            serde_json::Value::Null,
        )
        .journal(journal));
    };
    let status = if matches!(record.status, BackupStatus::Failed { .. }) {
        Status::Failed
    } else {
        Status::Ok
    };
    let summary = format!("backup {} written to {}", record.id, record.location);
    let report = Report::new("backup", status, summary, to_value(&record))
        .table("Backup", records_table(std::slice::from_ref(&record)))
        .journal(journal);
    with_notices(report, b).await
}

/// `ops backups`.
pub async fn list(b: &Backends) -> Outcome {
    let records = b.backups.list().await?;
    let summary = format!("{} backups", records.len());
    let report = Report::new("backups", Status::Ok, summary, to_value(&records))
        .table("Backups", records_table(&records));
    with_notices(report, b).await
}

/// Adds what the backup store found besides backups (manifests skipped and why, leftovers
/// of interrupted backups removed) to the report's notes.
async fn with_notices(mut report: Report, b: &Backends) -> Outcome {
    report.notes.extend(b.backups.notices().await?);
    Ok(report)
}

/// `id`, or for `latest` the newest database backup.
pub(crate) async fn resolve(id: &str, b: &Backends) -> Result<BackupId, Failure> {
    if id != "latest" {
        return Ok(BackupId::new(id)?);
    }
    if let Some(missing) = b.database_missing {
        return Err(Failure::BadInput(format!(
            "latest: the database is {}",
            missing.hint()
        )));
    }
    let latest = b
        .backups
        .list()
        .await?
        .into_iter()
        .filter(|r| matches!(r.kind, BackupKind::Database { .. }))
        .max_by_key(|r| r.started)
        .map(|r| r.id);
    match latest {
        Some(id) => Ok(id),
        None => {
            let skipped = b
                .backups
                .notices()
                .await?
                .iter()
                .filter(|n| n.starts_with("skipped"))
                .count();
            Err(Failure::BadInput(if skipped == 0 {
                "there is no database backup yet".to_owned()
            } else {
                format!(
                    "there is no database backup yet ({skipped} bad files skipped: see `ops backups`)"
                )
            }))
        }
    }
}

/// `ops verify <id|latest>`: checksum and a test restore of the runbook's integrity check.
pub async fn verify(id: &str, b: &Backends) -> Outcome {
    let id = resolve(id, b).await?;
    let checks = RecoveryInput::runbook(id.clone()).integrity_checks;
    let report = b.backups.verify(&id, Some(checks)).await?;
    let status = if report.passed() {
        Status::Ok
    } else {
        Status::Failed
    };
    let summary = format!(
        "backup {id}: {}",
        if report.passed() {
            "verified"
        } else {
            "verification FAILED"
        }
    );
    let test = to_value(&report.test_restore);
    let test = test["state"].as_str().unwrap_or("?").replace('_', " ");
    let rows = vec![
        vec!["checksum".to_owned(), pass(report.checksum_ok)],
        vec![
            "readable".to_owned(),
            report.readable.map_or_else(|| "unknown".to_owned(), pass),
        ],
        vec![
            "test restore (SELECT COUNT(*) FROM users ≥ 1)".to_owned(),
            test,
        ],
    ];
    let out = Report::new("verify", status, summary, to_value(&report))
        .table("Verification", table(&["CHECK", "RESULT"], rows));
    with_notices(out, b).await
}

/// `ops restore <id|latest>`: the runbook's Recovery Procedures (`recover_database`) for a
/// database backup; a configuration backup (`config-…`) is re-applied to its namespace.
pub async fn restore(
    id: &str,
    autoscaled: Autoscaled,
    deadline: Option<Duration>,
    g: &Global,
    b: &Backends,
) -> Outcome {
    if let (Some(config), true) = (&b.config_backups, id.starts_with("config-")) {
        return restore_config(config, &BackupId::new(id)?, deadline, g, b).await;
    }
    let mut input = RecoveryInput::runbook(resolve(id, b).await?);
    input.restore_timeout = deadline;
    input.autoscaled = match autoscaled {
        Autoscaled::Refuse => AutoscaledHandling::Refuse,
        Autoscaled::Pin => AutoscaledHandling::PinToMinimum,
        Autoscaled::Leave => AutoscaledHandling::Leave,
    };
    let ctx: Context = context("recover_database", "ops restore", g, b)?;
    let health: [&dyn HealthCheck; 2] = [&b.health, &b.health];
    let backends = RecoveryBackends {
        deployer: b.deployer.as_ref(),
        scaler: b.scaler.as_ref(),
        backups: b.backups.as_ref(),
        health: &health,
    };
    let report = recover_database(&ctx, backends, &input).await?;
    let status = match &report.status {
        RecoveryStatus::Recovered => Status::Ok,
        RecoveryStatus::Planned => Status::Planned,
        _ => Status::Failed,
    };
    let word = to_value(&report.status);
    let summary = format!(
        "restore of {}: {}{}",
        report.backup,
        word["status"].as_str().unwrap_or("?").replace('_', " "),
        word.get("why")
            .and_then(|w| w.as_str())
            .map(|w| format!(": {w}"))
            .unwrap_or_default()
    );
    // A stopped restore says what it left (writers down?) and how to finish.
    let summary = match word.get("left").and_then(|l| l.as_str()) {
        Some(left) => format!("{summary}; {left}"),
        None => summary,
    };
    let steps = ctx.journal().entries();
    let rows = steps.iter().map(|e| {
        vec![
            e.step.clone(),
            e.target.clone(),
            e.outcome.word().to_owned(),
        ]
    });
    let out = Report::new("restore", status, summary, to_value(&report))
        .table("Steps", table(&["STEP", "TARGET", "OUTCOME"], rows))
        .journal(steps);
    with_notices(out, b).await
}

/// Re-applies a configuration backup: checksum first, encrypted Secrets decrypted with
/// `--age-identity-file` (skipped without it), every object created or replaced. A change
/// ([`ChangeSpec::RestoreConfig`], High risk) under the change gate: with `--change` it
/// must be approved for this backup and namespace, and `--enforce-changes` refuses it
/// without one.
async fn restore_config(
    config: &ConfigBackups,
    id: &BackupId,
    deadline: Option<Duration>,
    g: &Global,
    b: &Backends,
) -> Outcome {
    let ctx = context("restore_config", "ops restore", g, b)?;
    // Checked before the change gate: the namespace the backup rewrites is part of the
    // change an approval covers.
    let namespace = config.manifest(id).await?.namespace;
    ctx.authorize(&ChangeSpec::RestoreConfig {
        backup: id.clone(),
        namespace,
    })
    .await?;
    let intent = ctx.intent().clone();
    let options = RestoreOptions {
        timeout: deadline,
        ..RestoreOptions::default()
    };
    let run = ctx
        .step("restore configuration", id.as_str())
        .policy(data_step(deadline))
        .command(format!(
            "kubectl apply -f {}  # after sha256sum -c; Secrets decrypted with age",
            config.dir().join(format!("{id}.yaml")).display()
        ))
        .act(
            || config.restore_run(id, &options, &intent),
            |r: &ConfigRestoreRun| {
                format!(
                    "{} created, {} replaced, {} skipped",
                    r.objects.created.len(),
                    r.objects.replaced.len(),
                    r.objects.skipped.len()
                )
            },
        )
        .await?;
    let journal = ctx.journal().entries();
    let Some(run) = run else {
        return Ok(Report::new(
            "restore-config",
            Status::Planned,
            format!("dry run: {id} would be re-applied"),
            serde_json::Value::Null,
        )
        .journal(journal));
    };
    let o = &run.objects;
    let summary = format!(
        "restore of {id}: {} created, {} replaced, {} skipped",
        o.created.len(),
        o.replaced.len(),
        o.skipped.len()
    );
    let rows = o
        .created
        .iter()
        .map(|x| vec![x.clone(), "created".to_owned()])
        .chain(
            o.replaced
                .iter()
                .map(|x| vec![x.clone(), "replaced".to_owned()]),
        )
        .chain(
            o.skipped
                .iter()
                .map(|x| vec![x.clone(), "skipped".to_owned()]),
        );
    let value = serde_json::json!({
        "restore": to_value(&run.report),
        "created": o.created,
        "replaced": o.replaced,
        "skipped": o.skipped,
    });
    let mut out = Report::new("restore-config", Status::Ok, summary, value)
        .table("Objects", table(&["OBJECT", "ACTION"], rows))
        .journal(journal);
    if !o.skipped.is_empty() {
        out.notes.push(
            "skipped Secrets keep their current values: back up with --age-recipient and restore with --age-identity-file to include them".to_owned(),
        );
    }
    Ok(out)
}

fn pass(ok: bool) -> String {
    if ok { "pass" } else { "FAIL" }.to_owned()
}

fn records_table(records: &[BackupRecord]) -> comfy_table::Table {
    table(
        &["ID", "KIND", "LOCATION", "SIZE", "STATUS", "SHA-256"],
        records.iter().map(|r| {
            let kind = to_value(&r.kind);
            let status = to_value(&r.status);
            vec![
                r.id.to_string(),
                kind.get("kind")
                    .and_then(|k| k.as_str())
                    .unwrap_or("?")
                    .to_owned(),
                r.location.clone(),
                r.size.to_string(),
                status
                    .get("state")
                    .and_then(|k| k.as_str())
                    .map_or_else(|| status.to_string(), str::to_owned),
                r.sha256.chars().take(12).collect(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_positive_and_bounded() {
        assert_eq!(parse_deadline("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_deadline("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_deadline("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_deadline("1h 30m"), Ok(Duration::from_secs(5400)));
        for bad in ["0", "0s", "-5m", "", "soon", "31d", "99999999999999999999"] {
            assert!(parse_deadline(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            data_step(None).timeout,
            Duration::MAX,
            "no deadline by default"
        );
        assert_eq!(data_step(None).attempts, 1, "a dump is never repeated");
    }
}
