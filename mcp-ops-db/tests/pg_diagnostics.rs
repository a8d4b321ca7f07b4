#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Diagnostics on a real server: slow statements after real load, Unsupported without the
//! extension, active / long-running queries, cancel and terminate, index usage, pg_stats.

use mcp_ops_db::pg::{SlowStatementOrder, connect};
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{DbError, PgBackend, PgOptions};
use std::time::Duration;

async fn backend(pg: &TestPostgres, prefix: &str) -> PgBackend {
    let config = pg.create_database(prefix).await.unwrap();
    PgBackend::new(config, PgOptions::default()).unwrap()
}

#[tokio::test]
async fn slow_statements_are_listed_after_real_load() {
    let pg = TestPostgres::start().await.unwrap();
    let b = backend(&pg, "pgss").await;
    b.enable_pg_stat_statements().await.unwrap();
    let c = connect(b.config()).await.unwrap();
    c.batch_execute(
        "CREATE TABLE load_t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g",
    )
    .await
    .unwrap();
    for i in 0..5 {
        c.query(
            "SELECT count(*) FROM load_t WHERE v LIKE $1",
            &[&format!("%{i}a%")],
        )
        .await
        .unwrap();
    }
    c.batch_execute("SELECT pg_sleep(0.05)").await.unwrap();
    let top = b
        .slow_statements(50, SlowStatementOrder::TotalTime)
        .await
        .unwrap();
    let like = top
        .iter()
        .find(|s| s.query.contains("FROM load_t WHERE v LIKE"))
        .expect("statement listed");
    assert_eq!(like.calls, 5, "{like:?}");
    assert!(like.total_ms > 0.0 && like.mean_ms > 0.0);
    assert_eq!(like.database.as_deref(), Some(b.config().dbname()));
    let sleep = top
        .iter()
        .find(|s| s.query.contains("pg_sleep"))
        .expect("sleep listed");
    assert!(sleep.mean_ms >= 50.0, "{sleep:?}");
    let by_mean = b
        .slow_statements(1, SlowStatementOrder::MeanTime)
        .await
        .unwrap();
    assert_eq!(by_mean.len(), 1);
    assert!(by_mean[0].mean_ms >= like.mean_ms);
}

#[tokio::test]
async fn slow_statements_without_the_extension_is_unsupported() {
    let pg = TestPostgres::start().await.unwrap();
    let b = backend(&pg, "nopgss").await;
    match b.slow_statements(10, SlowStatementOrder::TotalTime).await {
        Err(DbError::Unsupported { feature, reason }) => {
            assert_eq!(feature, "pg_stat_statements");
            assert!(reason.contains("CREATE EXTENSION"), "{reason}");
        }
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

async fn wait_for_query(
    b: &PgBackend,
    needle: &str,
    threshold: Option<Duration>,
) -> mcp_ops_db::pg::ActiveQuery {
    for _ in 0..500 {
        let list = match threshold {
            Some(t) => b.long_running_queries(t).await.unwrap(),
            None => b.active_queries().await.unwrap(),
        };
        if let Some(q) = list.into_iter().find(|q| q.query.contains(needle)) {
            return q;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("query {needle} never listed");
}

#[tokio::test]
async fn active_and_long_running_queries_can_be_cancelled_and_terminated() {
    let pg = TestPostgres::start().await.unwrap();
    let b = backend(&pg, "activity").await;
    assert_eq!(PgBackend::DEFAULT_LONG_RUNNING, Duration::from_secs(30));

    let victim = connect(b.config()).await.unwrap();
    let running = tokio::spawn(async move {
        victim
            .batch_execute("SELECT pg_sleep(60) /* victim1 */")
            .await
    });
    let q = wait_for_query(&b, "victim1", None).await;
    assert_eq!(q.state.as_deref(), Some("active"));
    assert_eq!(q.wait_event.as_deref(), Some("PgSleep"));
    assert_eq!(q.database.as_deref(), Some(b.config().dbname()));
    // Not yet 30 s old: not long-running by the runbook's default.
    let long = b
        .long_running_queries(PgBackend::DEFAULT_LONG_RUNNING)
        .await
        .unwrap();
    assert!(long.iter().all(|l| l.pid != q.pid));
    let q = wait_for_query(&b, "victim1", Some(Duration::from_millis(300))).await;
    assert!(q.duration.unwrap() > Duration::from_millis(300));
    b.cancel_backend(q.pid, "test: cancel runaway query")
        .await
        .unwrap();
    let err = running.await.unwrap().unwrap_err();
    assert_eq!(
        err.code().map(|c| c.code()),
        Some("57014"),
        "query_canceled: {err}"
    );

    let victim = connect(b.config()).await.unwrap();
    let running = tokio::spawn(async move {
        victim
            .batch_execute("SELECT pg_sleep(60) /* victim2 */")
            .await
    });
    let q = wait_for_query(&b, "victim2", None).await;
    b.terminate_backend(q.pid, "test: terminate session")
        .await
        .unwrap();
    assert!(running.await.unwrap().is_err());

    match b.cancel_backend(999_999, "no such pid").await {
        Err(DbError::NotFound { kind, name }) => {
            assert_eq!((kind, name.as_str()), ("backend pid", "999999"))
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn index_usage_and_column_stats() {
    let pg = TestPostgres::start().await.unwrap();
    let b = backend(&pg, "idx").await;
    let c = connect(b.config()).await.unwrap();
    c.batch_execute(
        "CREATE TABLE items AS SELECT g AS id, g % 10 AS bucket FROM generate_series(1, 5000) g;
         CREATE INDEX items_id ON items(id); CREATE INDEX items_unused ON items(bucket);
         ANALYZE items; SET enable_seqscan = off;",
    )
    .await
    .unwrap();
    for i in 1..=3 {
        c.query("SELECT * FROM items WHERE id = $1", &[&i])
            .await
            .unwrap();
    }
    // Statistics reach the views asynchronously; wait until the scans are counted.
    let mut usage = Vec::new();
    for _ in 0..200 {
        usage = b.index_usage().await.unwrap();
        if usage.iter().any(|u| u.index == "items_id" && u.scans >= 3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let used = usage.iter().find(|u| u.index == "items_id").unwrap();
    assert!(used.scans >= 3, "{usage:?}");
    assert!(used.size_bytes > 0);
    let unused = usage.iter().find(|u| u.index == "items_unused").unwrap();
    assert_eq!(unused.scans, 0);
    assert_eq!(usage[0].scans, 0, "least used first");

    let stats = b.column_stats("public", "items").await.unwrap();
    let bucket = stats.iter().find(|s| s.column == "bucket").unwrap();
    assert_eq!(bucket.n_distinct, 10.0);
    let id = stats.iter().find(|s| s.column == "id").unwrap();
    assert_eq!(id.n_distinct, -1.0, "unique column");
    assert!((id.correlation.unwrap() - 1.0).abs() < 1e-6);
}
