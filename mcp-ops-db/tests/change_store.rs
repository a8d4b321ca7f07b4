#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! `PgChangeStore` on a real PostgreSQL: core's contract suites (50 store values over one
//! database for the concurrency one), migration, numbering, and what a hand edit of the
//! table leads to.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use mcp_ops_core::Error;
use mcp_ops_core::change::{
    ChangeDraft, ChangeId, ChangePolicy, ChangeRefusal, ChangeRequest, ChangeStore, TeamDirectory,
};
use mcp_ops_core::testing::{
    change_store_concurrency_contract, change_store_contract, sample_deploy_draft,
    sample_manager_approval,
};
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{PgBackend, PgChangeStore, PgConfig, PgOptions};

/// A store with a pool of its own (`size` connections), like one `ops` process.
fn store_on(config: &PgConfig, size: usize) -> PgChangeStore {
    let backend = PgBackend::new(
        config.clone(),
        PgOptions::default().with_max_pool_size(size),
    )
    .unwrap();
    PgChangeStore::new(backend.pool().clone())
}

async fn fresh_store(pg: &TestPostgres, name: &str) -> (PgConfig, PgChangeStore) {
    let config = pg.create_database(name).await.unwrap();
    let store = store_on(&config, 4);
    store.migrate().await.unwrap();
    (config, store)
}

fn now() -> Timestamp {
    "2026-01-08T14:00:00Z".parse().unwrap()
}

/// A Medium deploy (a patch release) requested by `oncall`, open for 30 minutes from now.
fn draft() -> ChangeDraft {
    sample_deploy_draft(now(), "the database password is hunter2")
}

async fn create(store: &dyn ChangeStore, year: i16) -> ChangeRequest {
    store
        .create(year, &|id| ChangeRequest::new(id, draft(), now()))
        .await
        .unwrap()
}

fn approve(cr: ChangeRequest) -> mcp_ops_core::Result<ChangeRequest> {
    sample_manager_approval(cr, now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn passes_the_contract_suites() {
    let pg = TestPostgres::start().await.unwrap();
    let (_, store) = fresh_store(&pg, "change_contract").await;
    store.migrate().await.unwrap(); // idempotent
    change_store_contract(&store).await.unwrap();

    // 50 store values over one database, as 50 processes would be. The test server allows
    // 40 connections, so they share 10 pools of 3 connections (each connection a session
    // of its own, which is what the row locks act on).
    let (config, _) = fresh_store(&pg, "change_concurrency").await;
    let pools: Vec<PgBackend> = (0..10)
        .map(|_| {
            PgBackend::new(config.clone(), PgOptions::default().with_max_pool_size(3)).unwrap()
        })
        .collect();
    let stores: Vec<Arc<dyn ChangeStore>> = (0..50)
        .map(|i| Arc::new(PgChangeStore::new(pools[i % 10].pool().clone())) as Arc<dyn ChangeStore>)
        .collect();
    change_store_concurrency_contract(&stores).await.unwrap();
}

/// 20 processes starting at once on a new database all migrate without a catalog clash.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_migrations_on_a_new_database_succeed() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("change_migrate").await.unwrap();
    let stores: Vec<PgChangeStore> = (0..20).map(|_| store_on(&config, 1)).collect();
    let results = futures::future::join_all(stores.iter().map(PgChangeStore::migrate)).await;
    for r in results {
        r.unwrap();
    }
    assert_eq!(create(&stores[7], 2026).await.id.as_str(), "CR-2026-001");
    stores[3].migrate().await.unwrap();
    assert_eq!(
        stores[3].list().await.unwrap().len(),
        1,
        "migrate keeps the data"
    );
}

#[tokio::test]
async fn numbering_is_per_year_gapless_and_never_reuses_an_id() {
    let pg = TestPostgres::start().await.unwrap();
    let (config, store) = fresh_store(&pg, "change_numbers").await;
    assert_eq!(create(&store, 2026).await.id.as_str(), "CR-2026-001");
    assert_eq!(create(&store, 2027).await.id.as_str(), "CR-2027-001");
    // A refused `make` gives its number back.
    let refused = store
        .create(2026, &|_| Err(Error::invalid("description", "empty")))
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::InvalidInput { .. }), "{refused}");
    // A request with another id than the one assigned is refused.
    let other: ChangeId = "CR-2026-900".parse().unwrap();
    let wrong = store
        .create(2026, &|_| ChangeRequest::new(other.clone(), draft(), now()))
        .await
        .unwrap_err();
    assert!(matches!(wrong, Error::InvalidInput { .. }), "{wrong}");
    assert_eq!(create(&store, 2026).await.id.as_str(), "CR-2026-002");

    // The sequence row deleted by hand: the stored rows still decide.
    let client = mcp_ops_db::pg::connect(&config).await.unwrap();
    client
        .batch_execute("DELETE FROM mcp_ops_change_sequences")
        .await
        .unwrap();
    assert_eq!(create(&store, 2026).await.id.as_str(), "CR-2026-003");
    let ids: Vec<String> = store
        .list()
        .await
        .unwrap()
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["CR-2026-001", "CR-2026-002", "CR-2026-003", "CR-2027-001"]
    );

    let missing: ChangeId = "CR-2026-404".parse().unwrap();
    assert_eq!(store.get(&missing).await.unwrap(), None);
    let e = store.modify(&missing, &approve).await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
}

/// A row edited by hand after approval (the image changed) is handed out as stored; the
/// policy refuses it because the approval's digest no longer matches. A row that no longer
/// decodes is an error naming the id, never quoting the row.
#[tokio::test]
async fn a_hand_edited_row_loads_but_the_policy_refuses_it() {
    let pg = TestPostgres::start().await.unwrap();
    let (config, store) = fresh_store(&pg, "change_edited").await;
    let policy = ChangePolicy::default();
    let team = TeamDirectory::runbook();
    let cr = create(&store, 2026).await;
    let approved = store.modify(&cr.id, &approve).await.unwrap();
    policy
        .authorize(&approved, &approved.spec, &team, now())
        .unwrap();

    let client = mcp_ops_db::pg::connect(&config).await.unwrap();
    client
        .execute(
            "UPDATE mcp_ops_changes SET body = jsonb_set(body, '{spec,image}', \
             '\"ghcr.io/evil/mcp-typescript-server:v1.0.1\"') WHERE id = $1",
            &[&cr.id.as_str()],
        )
        .await
        .unwrap();
    let edited = store.get(&cr.id).await.unwrap().unwrap();
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

    client
        .execute(
            "UPDATE mcp_ops_changes SET body = jsonb_set(body, '{spec,image}', '\"hunter2:::\"') \
             WHERE id = $1",
            &[&cr.id.as_str()],
        )
        .await
        .unwrap();
    for e in [
        store.get(&cr.id).await.unwrap_err(),
        store.list().await.unwrap_err(),
        store.modify(&cr.id, &approve).await.unwrap_err(),
    ] {
        let text = e.to_string();
        assert!(text.contains(cr.id.as_str()), "{text}");
        assert!(!text.contains("hunter2"), "quotes the row: {text}");
    }
}

/// A server with every connection slot taken (SQLSTATE 53300, as when many `ops` processes
/// start at once): without patience the store reports it unavailable at once; with its
/// default patience a create waits for a slot and succeeds once one frees up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_is_asked_again() {
    let pg = TestPostgres::start_owned().await.unwrap(); // a server of its own to fill
    let (config, store) = fresh_store(&pg, "change_busy").await;
    create(&store, 2026).await;
    drop(store); // its pool's connections leave the server

    let mut hog = Vec::new();
    while let Ok(c) = mcp_ops_db::pg::connect(&config).await {
        hog.push(c);
        assert!(hog.len() < 200, "the server never filled up");
    }
    assert!(
        hog.len() >= 10,
        "only {} connections before refusal",
        hog.len()
    );

    let impatient = store_on(&config, 1).with_busy_patience(Duration::ZERO);
    let e = impatient.list().await.unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e}");
    assert!(e.to_string().contains("53300"), "{e}");

    let patient = store_on(&config, 1);
    let waiting = tokio::spawn(async move { create(&patient, 2026).await });
    tokio::time::sleep(Duration::from_millis(300)).await; // let it be refused at least once
    hog.truncate(hog.len() - 1);
    assert_eq!(waiting.await.unwrap().id.as_str(), "CR-2026-002");
}
