//! `FileEscalationStore`: the store semantics, sharing one file between store values (as
//! between processes), locking, refusing corrupt files, permissions, and the escalation
//! engine over it (contract suite against a real Alertmanager 0.25, restart).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use mcp_ops_alerts::escalation::{
    DeliveryStatus, EscalationEngine, EscalationStore, FILE_FORMAT_VERSION, FileEscalationStore,
    OutboxEntry,
};
use mcp_ops_core::incident::IncidentState;
use mcp_ops_core::notify::{Delivery, Message, MessageKind};
use mcp_ops_core::{
    Error, Escalator, Incident, IncidentId, Intent, NewIncident, Notifier, Severity, SharedClock,
    TokioClock,
};

#[path = "support/prune.rs"]
mod prune;

#[tokio::test]
async fn prune_forgets_only_old_delivered_resolved_incidents_in_memory_and_on_file() {
    prune::prune_keeps_what_is_still_needed(&mcp_ops_alerts::escalation::InMemoryStore::new())
        .await;
    let dir = tempfile::tempdir().unwrap();
    let store = FileEscalationStore::new(state_path(&dir)).unwrap();
    prune::prune_keeps_what_is_still_needed(&store).await;
    // What was pruned is gone from the file itself, as a second process sees it.
    let text = std::fs::read_to_string(state_path(&dir)).unwrap();
    assert!(!text.contains("INC-OLD"), "{text}");
    assert!(text.contains("INC-UNDELIVERED"));
}

fn t0() -> Timestamp {
    "2025-01-08T14:30:00Z".parse().unwrap()
}

fn state_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path()
        .join("state")
        .join("mcp-ops")
        .join("incidents.json")
}

fn incident(id: &str, level: u8) -> Incident {
    Incident {
        id: IncidentId::new(id).unwrap(),
        title: "High error rate".into(),
        severity: Severity::P1,
        service: "MCP Production".into(),
        impact: "High error rate (15%) on API endpoints".into(),
        investigating: "@ops-team".into(),
        started: t0(),
        state: IncidentState::Open,
        level,
        updates: Vec::new(),
    }
}

fn entry(incident: &str, key: &str, body: &str) -> OutboxEntry {
    let id = IncidentId::new(incident).unwrap();
    OutboxEntry {
        key: key.into(),
        incident: id.clone(),
        channel: "slack".into(),
        message: Message {
            kind: MessageKind::Detected,
            incident: id,
            severity: Severity::P1,
            subject: "[P1] INCIDENT DETECTED".into(),
            body: body.into(),
            level: Some(1),
            recipients: vec!["ops".into()],
        },
        created_at: t0(),
        status: DeliveryStatus::Pending {
            attempts: 0,
            last_error: None,
        },
    }
}

fn keys(entries: &[OutboxEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.key.as_str()).collect()
}

fn sent() -> DeliveryStatus {
    DeliveryStatus::Sent {
        at: t0(),
        reference: None,
        attempts: 1,
    }
}

#[tokio::test]
async fn missing_file_is_an_empty_store_and_reads_do_not_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let store = FileEscalationStore::new(&path).unwrap();
    assert_eq!(store.path(), path);
    assert!(format!("{store:?}").contains("incidents.json"));
    assert!(store.incidents().await.unwrap().is_empty());
    assert!(store.pending().await.unwrap().is_empty());
    let id = IncidentId::new("INC-1").unwrap();
    assert_eq!(store.incident(&id).await.unwrap(), None);
    assert!(store.outbox(&id).await.unwrap().is_empty());
    assert!(!path.exists(), "reading must not create the state file");
}

#[tokio::test]
async fn save_inserts_then_replaces_and_keeps_incidents_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileEscalationStore::new(state_path(&dir)).unwrap();
    store.save(&incident("INC-A", 1), &[]).await.unwrap();
    store.save(&incident("INC-B", 1), &[]).await.unwrap();
    store.save(&incident("INC-A", 2), &[]).await.unwrap();

    let all = store.incidents().await.unwrap();
    let ids: Vec<&str> = all.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        ["INC-A", "INC-B"],
        "replacing keeps the original position"
    );
    let a = store
        .incident(&IncidentId::new("INC-A").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.level, 2, "the second save replaced the first");
    assert_eq!(
        store
            .incident(&IncidentId::new("INC-C").unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn save_queues_only_new_keys_and_set_status_records_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileEscalationStore::new(state_path(&dir)).unwrap();
    let a = incident("INC-A", 1);
    let b = incident("INC-B", 1);
    store
        .save(
            &a,
            &[entry("INC-A", "a/1", "first"), entry("INC-A", "a/2", "x")],
        )
        .await
        .unwrap();
    store.save(&b, &[entry("INC-B", "b/1", "x")]).await.unwrap();
    // An existing key is not queued again, not even with other contents.
    store
        .save(
            &a,
            &[entry("INC-A", "a/1", "changed"), entry("INC-A", "a/3", "x")],
        )
        .await
        .unwrap();

    assert_eq!(
        keys(&store.pending().await.unwrap()),
        ["a/1", "a/2", "b/1", "a/3"]
    );
    let outbox_a = store.outbox(&a.id).await.unwrap();
    assert_eq!(keys(&outbox_a), ["a/1", "a/2", "a/3"]);
    assert_eq!(outbox_a[0].message.body, "first");
    assert_eq!(keys(&store.outbox(&b.id).await.unwrap()), ["b/1"]);

    store.set_status("a/2", sent()).await.unwrap();
    let failed = DeliveryStatus::GaveUp {
        attempts: 5,
        last_error: "channel down".into(),
    };
    store.set_status("b/1", failed.clone()).await.unwrap();
    assert_eq!(keys(&store.pending().await.unwrap()), ["a/1", "a/3"]);
    let outbox_a = store.outbox(&a.id).await.unwrap();
    assert_eq!(
        outbox_a[1].status,
        sent(),
        "status kept, entry still listed"
    );
    assert_eq!(store.outbox(&b.id).await.unwrap()[0].status, failed);

    let r = store.set_status("no/such/key", sent()).await;
    assert!(
        matches!(
            r,
            Err(Error::NotFound {
                kind: "outbox entry",
                ..
            })
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_second_store_value_sees_the_first_ones_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let first = FileEscalationStore::new(&path).unwrap();
    let second = FileEscalationStore::new(&path).unwrap();

    first
        .save(&incident("INC-A", 1), &[entry("INC-A", "a/1", "x")])
        .await
        .unwrap();
    assert_eq!(second.incidents().await.unwrap().len(), 1);
    second.set_status("a/1", sent()).await.unwrap();
    assert!(first.pending().await.unwrap().is_empty());

    assert_eq!(first.next_sequence().await.unwrap(), 1);
    assert_eq!(second.next_sequence().await.unwrap(), 2);
    assert_eq!(first.next_sequence().await.unwrap(), 3);
    drop((first, second));
    let third = FileEscalationStore::new(&path).unwrap();
    assert_eq!(
        third.next_sequence().await.unwrap(),
        4,
        "survives a restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_sequences_over_separate_values_never_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = FileEscalationStore::new(&path).unwrap();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..25 {
                    got.push(store.next_sequence().await.unwrap());
                }
                got
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 200, "every number is distinct");
    assert_eq!(all.first(), Some(&1));
    assert_eq!(all.last(), Some(&200), "no update was lost");
}

/// Every operation on `store` fails with bad input (`state file`, exit 2 in the CLI) naming
/// the path and hiding the file's contents, and the file's bytes stay as they were.
async fn assert_refused(path: &Path, contents: &[u8], expect: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
    let store = FileEscalationStore::new(path).unwrap();
    let id = IncidentId::new("INC-A").unwrap();
    let results: Vec<mcp_ops_core::Result<()>> = vec![
        store.next_sequence().await.map(drop),
        store.save(&incident("INC-A", 1), &[]).await,
        store.set_status("a/1", sent()).await,
        store.incidents().await.map(drop),
        store.incident(&id).await.map(drop),
        store.pending().await.map(drop),
        store.outbox(&id).await.map(drop),
    ];
    for r in results {
        let e = r.unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidInput {
                    field: "state file",
                    ..
                }
            ),
            "{e:?}"
        );
        let text = format!("{e} {e:?}");
        assert!(text.contains("incidents.json"), "{text}");
        assert!(text.contains(expect), "{text}");
        assert!(!text.contains("SECRET"), "contents leaked: {text}");
    }
    assert_eq!(std::fs::read(path).unwrap(), contents, "file overwritten");
}

#[tokio::test]
async fn corrupt_files_are_typed_errors_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let not_a_state_file = "not an mcp-ops escalation state file";
    assert_refused(&path, b"{\"version\": 1, SECRET", not_a_state_file).await;
    assert_refused(&path, b"SECRET garbage", not_a_state_file).await;
    assert_refused(&path, b"", not_a_state_file).await;
    assert_refused(&path, b"{\"hello\": \"SECRET\"}", not_a_state_file).await;
    assert_refused(&path, b"[\"SECRET\"]", not_a_state_file).await;
    // Valid JSON of the right version whose fields do not fit.
    assert_refused(
        &path,
        b"{\"version\": 1, \"sequence\": \"SECRET\", \"incidents\": [], \"outbox\": []}",
        not_a_state_file,
    )
    .await;
}

#[tokio::test]
async fn an_unknown_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    assert_refused(
        &path,
        b"{\"version\": 2, \"sequence\": 7, \"everything\": \"SECRET\"}",
        "version 2 is not supported",
    )
    .await;
}

#[tokio::test]
async fn the_file_is_versioned_json_replaced_without_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let store = FileEscalationStore::new(&path).unwrap();
    store.next_sequence().await.unwrap();
    store
        .save(&incident("INC-A", 1), &[entry("INC-A", "a/1", "x")])
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["version"], FILE_FORMAT_VERSION);
    assert_eq!(json["sequence"], 1);
    assert_eq!(json["incidents"][0]["id"], "INC-A");
    assert_eq!(json["outbox"][0]["key"], "a/1");
    let mut names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["incidents.json", "incidents.json.lock"]);
}

#[cfg(unix)]
#[tokio::test]
async fn file_and_created_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let store = FileEscalationStore::new(&path).unwrap();
    // Nothing exists before the first change; reads create nothing either.
    assert!(!dir.path().join("state").exists());
    assert!(store.incidents().await.unwrap().is_empty());
    assert!(!dir.path().join("state").exists());
    store.save(&incident("INC-A", 1), &[]).await.unwrap();
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        mode(&dir.path().join("state/mcp-ops/incidents.json.lock")),
        0o600
    );
    // A second write replaces the file; the new one is private too.
    store.next_sequence().await.unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn a_path_without_a_file_name_is_invalid_input() {
    assert!(matches!(
        FileEscalationStore::new("/"),
        Err(Error::InvalidInput { field: "path", .. })
    ));
}

/// A notifier that records what it is sent.
#[derive(Debug, Default)]
struct Recorder {
    sent: Mutex<Vec<Message>>,
}

#[async_trait]
impl Notifier for Recorder {
    fn channel(&self) -> &'static str {
        "slack"
    }

    fn accepts(&self, _severity: Severity) -> bool {
        true
    }

    async fn send(&self, message: &Message) -> mcp_ops_core::Result<Delivery> {
        self.sent.lock().unwrap().push(message.clone());
        Ok(Delivery {
            channel: "slack".into(),
            reference: None,
            at: Timestamp::UNIX_EPOCH,
        })
    }
}

impl Recorder {
    fn levels(&self) -> Vec<(MessageKind, Option<u8>)> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|m| (m.kind, m.level))
            .collect()
    }
}

fn p1() -> NewIncident {
    NewIncident {
        title: "High error rate".into(),
        severity: Severity::P1,
        service: "MCP Production".into(),
        impact: "High error rate (15%) on API endpoints".into(),
        investigating: "@ops-team".into(),
    }
}

async fn advance_to(clock: &SharedClock, minutes: i64) {
    let target = t0()
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap();
    let d = target.duration_since(clock.now());
    tokio::time::advance(Duration::try_from(d).unwrap()).await;
}

#[tokio::test(start_paused = true)]
async fn restarted_engine_over_a_new_store_value_resumes_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let clock: SharedClock = Arc::new(TokioClock::starting_at(t0()));
    let intent = Intent::new("incident response", "ops-bot").unwrap();
    let first = Arc::new(Recorder::default());
    let id = {
        let store = Arc::new(FileEscalationStore::new(&path).unwrap());
        let e = EscalationEngine::new(store, clock.clone()).with_notifier(first.clone());
        let inc = e.open(&p1(), &intent).await.unwrap();
        advance_to(&clock, 10).await;
        assert!(e.tick(clock.now()).await.unwrap().is_empty());
        inc.id
    }; // the engine and its store value are gone, as after a process exit

    let second = Arc::new(Recorder::default());
    let store = Arc::new(FileEscalationStore::new(&path).unwrap());
    let e = EscalationEngine::new(store, clock.clone()).with_notifier(second.clone());
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    advance_to(&clock, 15).await;
    assert_eq!(e.tick(clock.now()).await.unwrap().len(), 1);
    advance_to(&clock, 16).await;
    assert!(e.tick(clock.now()).await.unwrap().is_empty());
    assert_eq!(first.levels(), [(MessageKind::Detected, Some(1))]);
    assert_eq!(
        second.levels(),
        [(MessageKind::Escalation, Some(2))],
        "L2 once, never L1 again"
    );
    assert_eq!(e.incident(&id).await.unwrap().level, 2);
}

mod contract {
    use std::sync::Arc;

    use mcp_ops_alerts::escalation::{EscalationEngine, FileEscalationStore};
    use mcp_ops_alerts::testing::TestAlertmanager;
    use mcp_ops_core::SystemClock;
    use mcp_ops_core::testing::{EscalatorFixture, escalator_contract};

    #[tokio::test]
    async fn engine_over_the_file_store_passes_the_escalator_contract() {
        let dir = tempfile::tempdir().unwrap();
        let server = TestAlertmanager::start().await.expect("start alertmanager");
        let slack = mcp_ops_core::mock::RecordingNotifier::slack();
        let store = FileEscalationStore::new(super::state_path(&dir)).unwrap();
        let engine = EscalationEngine::new(Arc::new(store), Arc::new(SystemClock))
            .with_alertmanager(server.client().unwrap())
            .with_notifier(Arc::new(slack.clone()));
        escalator_contract(&engine, &EscalatorFixture::runbook().with_notifier(slack))
            .await
            .unwrap();
    }

    /// 50 engines, each over its own store value of one file (as 50 `ops` processes are):
    /// every concurrent open, update, acknowledge, resolve and tick is kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_engines_over_one_file_lose_no_change() {
        let dir = tempfile::tempdir().unwrap();

        let slack = mcp_ops_core::mock::RecordingNotifier::slack();
        let replicas: Vec<Arc<dyn mcp_ops_core::Escalator>> = (0..50)
            .map(|_| {
                let store = FileEscalationStore::new(super::state_path(&dir)).unwrap();
                Arc::new(
                    EscalationEngine::new(Arc::new(store), Arc::new(SystemClock))
                        .with_notifier(Arc::new(slack.clone())),
                ) as Arc<dyn mcp_ops_core::Escalator>
            })
            .collect();
        mcp_ops_core::testing::escalator_concurrency_contract(
            &replicas,
            &EscalatorFixture::runbook().with_notifier(slack),
            50,
        )
        .await
        .unwrap();
    }
}
