#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! ANALYZE and VACUUM on a real server.

use mcp_ops_db::pg::{MaintenanceTarget, VacuumOptions, connect};
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{DbError, PgBackend, PgOptions};
use std::time::Duration;

async fn setup() -> (TestPostgres, PgBackend) {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("maint").await.unwrap();
    let c = connect(&config).await.unwrap();
    c.batch_execute(
        "CREATE TABLE t AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g;
         DELETE FROM t WHERE id % 2 = 0;",
    )
    .await
    .unwrap();
    (pg, PgBackend::new(config, PgOptions::default()).unwrap())
}

async fn last_vacuum_and_analyze(b: &PgBackend) -> (bool, bool, i64) {
    let c = b.client().await.unwrap();
    let r = c
        .query_one(
            "SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL, n_dead_tup \
             FROM pg_stat_user_tables WHERE relname = 't'",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2))
}

#[tokio::test]
async fn analyze_fills_pg_stats() {
    let (_pg, b) = setup().await;
    assert!(b.column_stats("public", "t").await.unwrap().is_empty());
    let report = b
        .analyze(&MaintenanceTarget::Tables(vec!["public.t".into()]))
        .await
        .unwrap();
    assert_eq!(report.command, r#"ANALYZE "public"."t""#);
    let stats = b.column_stats("public", "t").await.unwrap();
    assert!(
        stats
            .iter()
            .any(|s| s.column == "id" && s.n_distinct == -1.0),
        "{stats:?}"
    );
    b.analyze(&MaintenanceTarget::Database).await.unwrap();
}

#[tokio::test]
async fn vacuum_runs_outside_a_transaction_and_reports_progress() {
    let (_pg, b) = setup().await;
    // Throttled so that the run lasts long enough to be sampled.
    let options = VacuumOptions::default()
        .with_analyze()
        .with_throttle(Duration::from_millis(2), 1)
        .with_progress_interval(Duration::from_millis(20));
    let mut seen = Vec::new();
    let report = b
        .vacuum(
            &MaintenanceTarget::Tables(vec!["t".into()]),
            &options,
            |p| seen.push(p.clone()),
        )
        .await
        .unwrap();
    assert_eq!(report.command, r#"VACUUM (ANALYZE) "t""#);
    assert!(!report.progress.is_empty(), "no progress sampled");
    assert_eq!(seen, report.progress);
    let p = &report.progress[0];
    assert_eq!(p.relation.as_deref(), Some("t"));
    assert!(p.heap_blks_total > 0);
    // Statistics of the vacuum reach pg_stat_user_tables asynchronously.
    let mut state = (false, false, -1);
    for _ in 0..200 {
        state = last_vacuum_and_analyze(&b).await;
        if state.0 && state.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(state.0 && state.1, "{state:?}");
    assert_eq!(state.2, 0, "dead tuples removed");
    b.vacuum(
        &MaintenanceTarget::Database,
        &VacuumOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn bad_targets_are_typed_errors() {
    let (_pg, b) = setup().await;
    let e = b
        .analyze(&MaintenanceTarget::Tables(vec!["a.b.c".into()]))
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::InvalidInput { .. }), "{e:?}");
    let e = b
        .vacuum(
            &MaintenanceTarget::Tables(vec![]),
            &VacuumOptions::default(),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::InvalidInput { .. }), "{e:?}");
    let e = b
        .vacuum(
            &MaintenanceTarget::Tables(vec!["missing".into()]),
            &VacuumOptions::default(),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::Query { .. }), "{e:?}");
}
