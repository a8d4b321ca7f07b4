#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;

use super::FileChangeStore;
use crate::Error;
use crate::change::{
    ChangeDraft, ChangeId, ChangePolicy, ChangeRefusal, ChangeRequest, ChangeStore, TeamDirectory,
};

/// A directory of its own under the system's temporary directory, removed on drop (core has
/// no `tempfile` dependency).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "mcp-ops-change-file-{}-{n}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn now() -> Timestamp {
    "2026-01-08T14:00:00Z".parse().unwrap()
}

const SECRET_WORDS: &str = "the database password is hunter2";

/// A Medium deploy (a patch release) requested by `oncall`, open for 30 minutes from now.
fn draft() -> ChangeDraft {
    crate::change::sample::sample_deploy_draft(now(), SECRET_WORDS)
}

async fn create(store: &dyn ChangeStore) -> ChangeRequest {
    store
        .create(2026, &|id| ChangeRequest::new(id, draft(), now()))
        .await
        .unwrap()
}

fn approve(cr: ChangeRequest) -> crate::Result<ChangeRequest> {
    crate::change::sample::sample_manager_approval(cr, now())
}

#[cfg(feature = "testing")]
mod contracts {
    use super::*;
    use crate::testing::{change_store_concurrency_contract, change_store_contract};

    #[tokio::test]
    async fn passes_the_contract() {
        let dir = Scratch::new("contract");
        let store = FileChangeStore::new(dir.path().join("changes.json")).unwrap();
        change_store_contract(&store).await.unwrap();
    }

    /// 50 store values over one file behave like 50 processes: each opens the lock file
    /// itself, and `flock` excludes open files, not processes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_stores_over_one_file_pass_the_concurrency_contract() {
        let dir = Scratch::new("concurrency");
        let path = dir.path().join("state").join("changes.json");
        let stores: Vec<Arc<dyn ChangeStore>> = (0..50)
            .map(|_| Arc::new(FileChangeStore::new(&path).unwrap()) as Arc<dyn ChangeStore>)
            .collect();
        change_store_concurrency_contract(&stores).await.unwrap();
    }
}

/// 50 threads, each with its own store value and its own runtime, create at once: the lock
/// (not one runtime's scheduling) keeps the ids distinct and gapless.
#[test]
fn fifty_threads_get_fifty_distinct_ids() {
    let dir = Scratch::new("threads");
    let path = dir.path().join("changes.json");
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = FileChangeStore::new(path).unwrap();
                futures::executor::block_on(create(&store)).id
            })
        })
        .collect();
    let mut numbers: Vec<u32> = handles
        .into_iter()
        .map(|h| h.join().unwrap().number())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=50).collect::<Vec<_>>());
    let listed = futures::executor::block_on(FileChangeStore::new(&path).unwrap().list()).unwrap();
    assert_eq!(listed.len(), 50);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["sequences"]["2026"], 50);
}

#[tokio::test]
async fn reads_and_refused_changes_create_nothing() {
    let dir = Scratch::new("nothing");
    let state = dir.path().join("state");
    let store = FileChangeStore::new(state.join("changes.json")).unwrap();
    let id: ChangeId = "CR-2026-001".parse().unwrap();
    assert!(store.list().await.unwrap().is_empty());
    assert_eq!(store.get(&id).await.unwrap(), None);
    let missing = store.modify(&id, &approve).await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing}");
    let refused = store
        .create(2026, &|_| Err(Error::invalid("description", "empty")))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::InvalidInput { .. }), "{refused}");
    assert!(
        !state.exists(),
        "nothing may be created by reads or bad input"
    );

    // A refused create after the first one writes nothing and gives its number back.
    let first = create(&store).await;
    let before = std::fs::read(store.path()).unwrap();
    store
        .create(2026, &|_| Err(Error::invalid("description", "empty")))
        .await
        .unwrap_err();
    let refused = store
        .modify(&first.id, &|_| Err(Error::invalid("approval", "no")))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::InvalidInput { .. }), "{refused}");
    assert_eq!(std::fs::read(store.path()).unwrap(), before);
    assert_eq!(create(&store).await.id.as_str(), "CR-2026-002");
}

#[cfg(unix)]
#[tokio::test]
async fn file_lock_and_new_directory_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new("modes");
    let state = dir.path().join("a").join("b");
    let store = FileChangeStore::new(state.join("changes.json")).unwrap();
    let cr = create(&store).await;
    store.modify(&cr.id, &approve).await.unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&state.join("changes.json.lock")), 0o600);
    let names: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left behind: {names:?}");
}

/// Writes `bytes` as the store's file and checks that every operation refuses it with an
/// [`Error::InvalidInput`] naming the path, leaves it byte for byte, and quotes nothing.
async fn refused_untouched(bytes: &[u8], expect: &str) {
    let dir = Scratch::new("corrupt");
    let path = dir.path().join("changes.json");
    std::fs::write(&path, bytes).unwrap();
    let store = FileChangeStore::new(&path).unwrap();
    let id: ChangeId = "CR-2026-001".parse().unwrap();
    let errors = [
        store.list().await.unwrap_err(),
        store.get(&id).await.unwrap_err(),
        store
            .create(2026, &|id| ChangeRequest::new(id, draft(), now()))
            .await
            .unwrap_err(),
        store.modify(&id, &approve).await.unwrap_err(),
    ];
    for e in errors {
        assert!(matches!(e, Error::InvalidInput { .. }), "{e}");
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains(expect), "{text}");
        assert!(text.contains("left untouched"), "{text}");
        assert!(!text.contains("hunter2"), "quotes the file: {text}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(!dir.path().join("changes.json.lock").exists());
}

#[tokio::test]
async fn a_corrupted_or_foreign_file_is_refused_and_left_untouched() {
    refused_untouched(
        b"{\"version\":1,\"sequences\":{},\"changes\":[{\"id\":\"hunter2",
        "truncated JSON",
    )
    .await;
    refused_untouched(b"hunter2", "invalid JSON").await;
    refused_untouched(
        b"{\"version\":2,\"sequences\":{},\"changes\":[]}",
        "version 2",
    )
    .await;
    refused_untouched(b"{\"sequences\":{},\"changes\":[]}", "no \"version\"").await;
    refused_untouched(
        b"{\"version\":1,\"sequences\":{},\"changes\":[],\"hunter2\":1}",
        "do not match",
    )
    .await;

    // A CR that no longer decodes: the error says which one, not what it holds.
    let dir = Scratch::new("source");
    let store = FileChangeStore::new(dir.path().join("changes.json")).unwrap();
    create(&store).await;
    create(&store).await;
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    doc["changes"][1]["spec"]["image"] = "hunter2:::".into();
    refused_untouched(&serde_json::to_vec(&doc).unwrap(), "changes[1]").await;
}

/// The file is edited by hand after approval (the image changed) and still parses: the
/// store hands it out as it is, and the policy refuses it because the approval's digest no
/// longer matches.
#[tokio::test]
async fn a_hand_edited_file_loads_but_the_policy_refuses_it() {
    let dir = Scratch::new("edited");
    let store = FileChangeStore::new(dir.path().join("changes.json")).unwrap();
    let policy = ChangePolicy::default();
    let team = TeamDirectory::runbook();
    let cr = create(&store).await;
    let approved = store.modify(&cr.id, &approve).await.unwrap();
    policy
        .authorize(&approved, &approved.spec, &team, now())
        .unwrap();

    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    doc["changes"][0]["spec"]["image"] = "ghcr.io/evil/mcp-typescript-server:v1.0.1".into();
    std::fs::write(store.path(), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();

    let edited = FileChangeStore::new(store.path())
        .unwrap()
        .get(&cr.id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(edited.spec, approved.spec);
    for planned in [&edited.spec, &approved.spec] {
        let refusal = policy
            .authorize(&edited, planned, &team, now())
            .unwrap_err();
        assert!(
            matches!(refusal, ChangeRefusal::Tampered { .. }),
            "{refusal}"
        );
    }
    // The store keeps working on the edited file (the numbering goes on).
    assert_eq!(create(&store).await.id.as_str(), "CR-2026-002");
}

#[tokio::test]
async fn numbering_is_per_year_and_survives_a_hand_deleted_sequence() {
    let dir = Scratch::new("years");
    let store = FileChangeStore::new(dir.path().join("changes.json")).unwrap();
    create(&store).await;
    create(&store).await;
    let other = store
        .create(2027, &|id| ChangeRequest::new(id, draft(), now()))
        .await
        .unwrap();
    assert_eq!(other.id.as_str(), "CR-2027-001");
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
    doc["sequences"] = serde_json::json!({});
    std::fs::write(store.path(), serde_json::to_vec(&doc).unwrap()).unwrap();
    // Never an id that is already taken.
    assert_eq!(create(&store).await.id.as_str(), "CR-2026-003");
    let ids: Vec<String> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["CR-2026-001", "CR-2026-002", "CR-2026-003", "CR-2027-001"]
    );
}
