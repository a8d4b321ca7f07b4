//! Tampering with a file journal, one test per kind, and the logs' contracts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use jiff::Timestamp;

use super::*;
use crate::runbook::{Journal, JournalEntry, StepOutcome};

/// A fresh directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mcp-ops-audit-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
    fn journal(&self) -> PathBuf {
        self.0.join("state").join("journal.jsonl")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + secs).unwrap()
}

fn note(i: i64) -> AuditDraft {
    AuditDraft::new(at(i), "alice", AuditKind::Note, &format!("note number {i}"))
}

/// A file log with five records (seq 1..=5).
async fn five(scratch: &Scratch) -> (FileAuditLog, Vec<AuditRecord>) {
    let log = FileAuditLog::new(scratch.journal()).unwrap();
    let records = log.append((1..=5).map(note).collect()).await.unwrap();
    (log, records)
}

fn lines(log: &FileAuditLog) -> Vec<String> {
    std::fs::read_to_string(log.path())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(log: &FileAuditLog, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(log.path(), text).unwrap();
}

/// The (position, kind) of every break.
async fn breaks(log: &FileAuditLog) -> Vec<(u64, BreakKind)> {
    let report = log.verify().await.unwrap();
    report.breaks.iter().map(|b| (b.position, b.kind)).collect()
}

#[tokio::test]
async fn an_untouched_file_verifies_and_reads_create_nothing() {
    let scratch = Scratch::new("intact");
    let log = FileAuditLog::new(scratch.journal()).unwrap();
    assert!(log.verify().await.unwrap().intact());
    assert!(log.records().await.unwrap().is_empty());
    assert!(log.append(Vec::new()).await.unwrap().is_empty());
    assert!(
        !scratch.0.exists(),
        "reads and empty appends create nothing"
    );

    let (log, records) = five(&scratch).await;
    let report = log.verify().await.unwrap();
    assert!(report.intact(), "{:?}", report.breaks);
    assert_eq!(report.head.as_deref(), Some(records[4].hash.as_str()));
    assert_eq!(log.records().await.unwrap(), records);
    let anchor: ChainHead =
        serde_json::from_slice(&std::fs::read(log.head_path()).unwrap()).unwrap();
    assert_eq!(anchor, records[4].head());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(log.path()), 0o600);
        assert_eq!(mode(log.head_path()), 0o600);
        assert_eq!(mode(log.path().parent().unwrap()), 0o700);
    }
}

#[tokio::test]
async fn an_edited_line_is_named() {
    let scratch = Scratch::new("edit");
    let (log, _) = five(&scratch).await;
    let mut l = lines(&log);
    l[2] = l[2].replace("note number 3", "note number 9");
    write_lines(&log, &l);
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Edited)]);
}

#[tokio::test]
async fn an_edited_and_rehashed_line_is_named() {
    let scratch = Scratch::new("rehash");
    let (log, records) = five(&scratch).await;
    let mut forged = records[2].clone();
    forged.draft.summary = "nothing happened".into();
    forged.hash = forged.computed_hash().unwrap();
    let mut l = lines(&log);
    l[2] = canonical_json(&forged.to_value().unwrap());
    write_lines(&log, &l);
    let report = log.verify().await.unwrap();
    assert_eq!(report.breaks.len(), 1, "{:?}", report.breaks);
    assert_eq!(
        (report.breaks[0].position, report.breaks[0].kind),
        (3, BreakKind::Edited)
    );
    assert!(
        report.breaks[0].detail.contains("rehashed"),
        "{}",
        report.breaks[0]
    );
}

#[tokio::test]
async fn the_last_line_edited_and_rehashed_is_caught_by_the_anchor() {
    let scratch = Scratch::new("rehash-last");
    let (log, records) = five(&scratch).await;
    let mut forged = records[4].clone();
    forged.draft.actor = "mallory".into();
    forged.hash = forged.computed_hash().unwrap();
    let mut l = lines(&log);
    l[4] = canonical_json(&forged.to_value().unwrap());
    write_lines(&log, &l);
    assert_eq!(breaks(&log).await, vec![(5, BreakKind::Edited)]);
}

#[tokio::test]
async fn a_deleted_middle_line_is_named() {
    let scratch = Scratch::new("delete");
    let (log, _) = five(&scratch).await;
    let mut l = lines(&log);
    l.remove(2);
    write_lines(&log, &l);
    let report = log.verify().await.unwrap();
    assert_eq!(report.breaks.len(), 1, "{:?}", report.breaks);
    let b = &report.breaks[0];
    assert_eq!(
        (b.position, b.seq, b.kind),
        (3, Some(4), BreakKind::Deleted)
    );
    assert!(b.detail.contains("seq 3 is missing"), "{b}");
}

#[tokio::test]
async fn a_deleted_last_line_is_truncation_and_stays_visible_after_an_append() {
    let scratch = Scratch::new("truncate");
    let (log, _) = five(&scratch).await;
    let mut l = lines(&log);
    l.pop();
    write_lines(&log, &l);
    assert_eq!(breaks(&log).await, vec![(5, BreakKind::Truncated)]);

    // The next append continues after the anchor: the gap is not papered over.
    let next = log.append(vec![note(6)]).await.unwrap();
    assert_eq!(next[0].seq, 6);
    assert_eq!(breaks(&log).await, vec![(5, BreakKind::Deleted)]);
}

#[tokio::test]
async fn an_inserted_forged_line_is_named() {
    let scratch = Scratch::new("insert");
    let (log, records) = five(&scratch).await;
    // A well-formed forgery: seq 3, linked to seq 2, correctly hashed.
    let forged = seal(&records[1].head(), vec![note(42)]).unwrap().remove(0);
    let mut l = lines(&log);
    l.insert(2, canonical_json(&forged.to_value().unwrap()));
    write_lines(&log, &l);
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Inserted)]);
}

#[tokio::test]
async fn a_line_added_at_the_end_is_named() {
    let scratch = Scratch::new("insert-end");
    let (log, records) = five(&scratch).await;
    let forged = seal(&records[4].head(), vec![note(42)]).unwrap().remove(0);
    let mut l = lines(&log);
    l.push(canonical_json(&forged.to_value().unwrap()));
    write_lines(&log, &l);
    assert_eq!(breaks(&log).await, vec![(6, BreakKind::Inserted)]);
}

#[tokio::test]
async fn swapped_lines_are_named() {
    let scratch = Scratch::new("swap");
    let (log, _) = five(&scratch).await;
    let mut l = lines(&log);
    l.swap(1, 2);
    write_lines(&log, &l);
    assert_eq!(breaks(&log).await, vec![(3, BreakKind::Reordered)]);
}

#[tokio::test]
async fn a_garbled_line_is_reported_not_an_error() {
    let scratch = Scratch::new("garbled");
    let (log, _) = five(&scratch).await;
    let mut l = lines(&log);
    l[1] = "{\"seq\":2,\"secret\":\"do not echo me\"".into();
    write_lines(&log, &l);
    let report = log.verify().await.unwrap();
    assert_eq!(report.breaks.len(), 1, "{:?}", report.breaks);
    assert_eq!(
        (report.breaks[0].position, report.breaks[0].kind),
        (2, BreakKind::Unreadable)
    );
    assert!(!report.breaks[0].detail.contains("do not echo"));
    assert_eq!(log.records().await.unwrap().len(), 4);
    // A torn last write does not glue the next record to it.
    std::fs::write(log.path(), {
        let mut t = std::fs::read_to_string(log.path()).unwrap();
        t.push_str("{\"seq\":6");
        t
    })
    .unwrap();
    let next = log.append(vec![note(7)]).await.unwrap();
    assert_eq!(next[0].seq, 6);
    let kinds = breaks(&log).await;
    assert_eq!(
        kinds,
        vec![(2, BreakKind::Unreadable), (6, BreakKind::Unreadable)]
    );
}

#[tokio::test]
async fn a_consistently_rewritten_chain_fails_the_expected_head() {
    let scratch = Scratch::new("rewrite");
    let (log, records) = five(&scratch).await;
    let kept = records[3].hash.clone();
    let mut report = log.verify().await.unwrap();
    report.check_expected_head(&log.records().await.unwrap(), &kept);
    assert!(report.intact());

    // Everything re-sealed with one summary changed, anchor included.
    let mut drafts: Vec<AuditDraft> = records.iter().map(|r| r.draft.clone()).collect();
    drafts[1].summary = "nothing to see".into();
    let forged = seal(&ChainHead::genesis(), drafts).unwrap();
    let l: Vec<String> = forged
        .iter()
        .map(|r| canonical_json(&r.to_value().unwrap()))
        .collect();
    write_lines(&log, &l);
    std::fs::write(
        log.head_path(),
        serde_json::to_vec(&forged[4].head()).unwrap(),
    )
    .unwrap();
    let mut report = log.verify().await.unwrap();
    assert!(report.intact());
    report.check_expected_head(&log.records().await.unwrap(), &kept);
    assert_eq!(report.breaks.len(), 1);
    assert_eq!(report.breaks[0].kind, BreakKind::UnknownHead);
}

#[tokio::test]
async fn a_journal_round_trips_with_time_and_duration_into_a_timeline() {
    let scratch = Scratch::new("timeline");
    let log = FileAuditLog::new(scratch.journal()).unwrap();
    let journal = Journal::new();
    for (i, (step, outcome)) in [
        ("set image", StepOutcome::Ok("applied".into())),
        (
            "wait for rollout",
            StepOutcome::Failed("deadline | exceeded".into()),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        journal.record(JournalEntry {
            at: at(100 + i as i64),
            procedure: "standard_deploy".into(),
            step: step.into(),
            target: "mcp-production/mcp-typescript-api".into(),
            action: step.into(),
            command: "kubectl rollout status deployment/mcp-typescript-api".into(),
            mutating: true,
            outcome,
            duration: Duration::from_millis(2_500),
        });
    }
    let request = AuditDraft::new(
        at(10),
        "oncall",
        AuditKind::ChangeRequested,
        "deploy v1.0.1",
    )
    .with_change(Some("CR-2026-007"));
    log.append(vec![request]).await.unwrap();
    let other = FileAuditLog::new(scratch.journal()).unwrap(); // another process
    other
        .append(drafts_from_journal(
            &journal,
            "bob",
            Some("CR-2026-007"),
            Some("INC-1"),
        ))
        .await
        .unwrap();
    let records = log.records().await.unwrap();
    let step = records[1].draft.step.as_ref().unwrap();
    assert_eq!(
        (step.at, step.duration),
        (at(100), Duration::from_millis(2_500))
    );
    assert_eq!(records[1].draft.at, at(100));

    let only_incident = filter_records(
        &records,
        &TimelineFilter {
            incident: Some("INC-1".into()),
            ..TimelineFilter::default()
        },
    );
    assert_eq!(only_incident.len(), 2);
    let since = TimelineFilter {
        since: Some(at(101)),
        change: Some("CR-2026-007".into()),
        ..TimelineFilter::default()
    };
    assert_eq!(filter_records(&records, &since).len(), 1);

    let md = timeline_markdown(&records, "Deploy of v1.0.1");
    assert!(md.contains("- **Actors**: bob, oncall"), "{md}");
    assert!(md.contains("| 2026-01-01 00:00:10 | 1 | oncall | CR-2026-007 |  |  | change requested: deploy v1.0.1 |"), "{md}");
    assert!(
        md.contains("failed: deadline \\| exceeded | 2.5 s |"),
        "{md}"
    );
    assert!(md.contains("(1 failed steps)"), "{md}");
}

#[cfg(feature = "testing")]
#[tokio::test]
async fn the_memory_and_file_logs_pass_the_contract() {
    let scratch = Scratch::new("contract");
    crate::testing::audit_log_contract(&MemoryAuditLog::new())
        .await
        .unwrap();
    crate::testing::audit_log_contract(&FileAuditLog::new(scratch.journal()).unwrap())
        .await
        .unwrap();
    let shared = MemoryAuditLog::new();
    let logs: Vec<std::sync::Arc<dyn AuditLog>> = (0..3)
        .map(|_| std::sync::Arc::new(shared.clone()) as _)
        .collect();
    crate::testing::audit_log_concurrency_contract(&logs, 50)
        .await
        .unwrap();
    let logs: Vec<std::sync::Arc<dyn AuditLog>> = (0..5)
        .map(|_| std::sync::Arc::new(FileAuditLog::new(scratch.journal()).unwrap()) as _)
        .collect();
    crate::testing::audit_log_concurrency_contract(&logs, 50)
        .await
        .unwrap();
}

#[test]
fn fifty_threads_with_their_own_file_log_make_one_chain() {
    let scratch = Scratch::new("threads");
    let path = scratch.journal();
    std::thread::scope(|s| {
        for k in 0..50 {
            let path = path.clone();
            s.spawn(move || {
                let log = FileAuditLog::new(path).unwrap();
                futures::executor::block_on(log.append(vec![note(k), note(k)])).unwrap();
            });
        }
    });
    let log = FileAuditLog::new(path).unwrap();
    let report = futures::executor::block_on(log.verify()).unwrap();
    assert!(report.intact(), "{:?}", report.breaks);
    assert_eq!(report.records, 100);
}

#[tokio::test]
async fn an_append_finds_the_head_behind_a_long_unreadable_tail() {
    let scratch = Scratch::new("long-tail");
    let (log, _) = five(&scratch).await;
    let mut l = lines(&log);
    l.push("x".repeat(70 * 1024));
    write_lines(&log, &l);
    std::fs::remove_file(log.head_path()).unwrap(); // no anchor to fall back on
    let next = log.append(vec![note(6)]).await.unwrap();
    assert_eq!(next[0].seq, 6);
    assert_eq!(breaks(&log).await, vec![(6, BreakKind::Unreadable)]);
}
