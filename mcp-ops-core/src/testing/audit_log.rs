//! The `AuditLog` contract: sealing, chaining across appends, reading back and verifying; and
//! its concurrency part: many appends at once through separate log values (as separate
//! processes have) make one unbroken chain.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;

use super::{ContractViolation, ensure, step};
use crate::audit::{AuditDraft, AuditKind, AuditLog, AuditRecord, GENESIS};
use crate::runbook::{JournalEntry, StepOutcome};

const C: &str = "audit log";
const CC: &str = "audit log concurrency";

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn note(secs: i64, summary: &str) -> AuditDraft {
    AuditDraft::new(at(secs), "contract-suite", AuditKind::Note, summary)
}

fn step_draft() -> AuditDraft {
    let entry = JournalEntry {
        at: at(30),
        procedure: "standard_deploy".into(),
        step: "set image".into(),
        target: "mcp-production/mcp-typescript-api".into(),
        action: "set image mcp-typescript-api=registry.example/api:v1.0.1".into(),
        command: "kubectl set image deployment/mcp-typescript-api …".into(),
        mutating: true,
        outcome: StepOutcome::Ok("applied".into()),
        duration: Duration::from_millis(1_234),
    };
    let mut d = AuditDraft::new(entry.at, "alice", AuditKind::Step, "set image: applied")
        .with_change(Some("CR-2026-001"))
        .with_incident(Some("INC-20260101-0001"));
    d.procedure = Some(entry.procedure.clone());
    d.step = Some(entry);
    d
}

/// Checks that `records` form one chain from the genesis hash: seq 1, 2 …, each `prev` the
/// hash before it, each hash the hash of its content.
fn chained(contract: &'static str, records: &[AuditRecord]) -> Result<(), ContractViolation> {
    let mut prev = GENESIS.to_owned();
    for (i, r) in records.iter().enumerate() {
        ensure(contract, r.seq == i as u64 + 1, || {
            format!("record {} has seq {}", i + 1, r.seq)
        })?;
        ensure(contract, r.prev == prev, || {
            format!("seq {} does not link to the record before it", r.seq)
        })?;
        let computed = step(contract, "computed_hash", r.computed_hash())?;
        ensure(contract, computed == r.hash, || {
            format!("seq {}: the hash is not the hash of its content", r.seq)
        })?;
        prev = r.hash.clone();
    }
    Ok(())
}

/// Runs the contract on an empty `log`: an empty log verifies with no head; appends are
/// sealed from the genesis hash and continue from the stored head; an empty append stores
/// nothing; a draft without an actor is refused and stores nothing; records read back equal
/// what was returned (a step's time and duration included); verify reports an intact chain
/// whose head is the last hash.
///
/// # Errors
/// The first rule the log breaks.
pub async fn audit_log_contract(log: &dyn AuditLog) -> Result<(), ContractViolation> {
    let empty = step(C, "verify (empty)", log.verify().await)?;
    ensure(
        C,
        empty.intact() && empty.records == 0 && empty.head.is_none(),
        || format!("an empty log must verify intact without a head: {empty:?}"),
    )?;
    ensure(
        C,
        step(C, "records (empty)", log.records().await)?.is_empty(),
        || "the log must start empty".to_owned(),
    )?;

    let first = step(
        C,
        "append 3",
        log.append(vec![note(0, "one"), note(1, "two\nlines"), step_draft()])
            .await,
    )?;
    ensure(C, first.len() == 3, || {
        format!("append of 3 drafts returned {}", first.len())
    })?;
    ensure(C, first[1].draft.summary == "two lines", || {
        format!(
            "a summary must be stored on one line: {:?}",
            first[1].draft.summary
        )
    })?;
    let none = step(C, "append nothing", log.append(Vec::new()).await)?;
    ensure(C, none.is_empty(), || {
        "an empty append returned records".to_owned()
    })?;
    let mut anonymous = note(2, "who?");
    anonymous.actor = String::new();
    ensure(
        C,
        matches!(
            log.append(vec![note(2, "kept?"), anonymous]).await,
            Err(crate::Error::InvalidInput { .. })
        ),
        || "a draft without an actor must be refused (InvalidInput)".to_owned(),
    )?;
    let second = step(
        C,
        "append 2",
        log.append(vec![note(3, "four"), note(4, "five")]).await,
    )?;
    ensure(C, second.first().is_some_and(|r| r.seq == 4), || {
        format!("the second append must continue at seq 4: {second:?}")
    })?;

    let all: Vec<AuditRecord> = first.iter().chain(&second).cloned().collect();
    chained(C, &all)?;
    let back = step(C, "records", log.records().await)?;
    ensure(C, back == all, || {
        format!("records read back differ from those appended: {back:?}")
    })?;
    let kept = back.get(2).and_then(|r| r.draft.step.as_ref());
    ensure(
        C,
        kept.is_some_and(|s| s.at == at(30) && s.duration == Duration::from_millis(1_234)),
        || format!("a step's time and duration must be kept: {kept:?}"),
    )?;

    let report = step(C, "verify", log.verify().await)?;
    ensure(C, report.intact(), || {
        format!("an untouched log must verify intact: {:?}", report.breaks)
    })?;
    ensure(
        C,
        report.records == 5 && report.head.as_deref() == all.last().map(|r| r.hash.as_str()),
        || format!("verify must count 5 records with the last hash as head: {report:?}"),
    )?;
    Ok(())
}

/// Runs `n` appends of two drafts each at once, spread over `logs` (separate values over one
/// stored log), and checks that they make one unbroken chain: every record kept once, each
/// append's two records adjacent, and verify intact.
///
/// # Errors
/// The first rule the logs break.
pub async fn audit_log_concurrency_contract(
    logs: &[Arc<dyn AuditLog>],
    n: usize,
) -> Result<(), ContractViolation> {
    ensure(CC, !logs.is_empty() && n > 0, || {
        "the suite needs at least one log and one append".to_owned()
    })?;
    let before = step(CC, "records", logs[0].records().await)?.len();
    let appended = join_all((0..n).map(|k| {
        let log = logs[k % logs.len()].clone();
        async move {
            log.append(vec![
                note(0, &format!("append {k} a")),
                note(0, &format!("append {k} b")),
            ])
            .await
        }
    }))
    .await;
    let mut seqs = BTreeSet::new();
    for r in appended {
        let records = step(CC, "concurrent append", r)?;
        ensure(
            CC,
            records.len() == 2 && records[1].seq == records[0].seq + 1,
            || format!("an append's records must be adjacent: {records:?}"),
        )?;
        seqs.extend(records.iter().map(|r| r.seq));
    }
    ensure(CC, seqs.len() == 2 * n, || {
        format!("{n} appends of 2 gave {} distinct seqs", seqs.len())
    })?;
    let all = step(CC, "records", logs[0].records().await)?;
    ensure(CC, all.len() == before + 2 * n, || {
        format!("{} records after {n} appends of 2 onto {before}", all.len())
    })?;
    chained(CC, &all)?;
    for log in logs {
        let report = step(CC, "verify", log.verify().await)?;
        ensure(CC, report.intact(), || {
            format!("the chain must verify intact: {:?}", report.breaks)
        })?;
    }
    Ok(())
}
