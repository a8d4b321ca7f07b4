#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The harness starts real servers and stops them on drop, also when a test panics.

use mcp_ops_db::pg::{connect, probe};
use mcp_ops_db::testing::{TestPostgres, TestRedis};
use std::time::Duration;

#[tokio::test]
async fn postgres_starts_and_stops_on_drop() {
    let pg = TestPostgres::start_owned().await.unwrap();
    let config = pg.config();
    let client = connect(&config).await.unwrap();
    let row = client
        .query_one("SHOW shared_preload_libraries", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pg_stat_statements");
    let row = client.query_one("SHOW fsync", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "off");
    drop(client);
    drop(pg);
    assert!(!probe(&config, Duration::from_secs(2)).await.is_accepting());
}

#[test]
fn postgres_stops_when_the_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let pg = TestPostgres::start_owned().await.unwrap();
            tx.send(pg.config()).unwrap();
            panic!("test failure while the server runs");
        })
    })
    .join();
    assert!(joined.is_err(), "the thread panicked");
    let config = rx.recv().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let readiness = rt.block_on(probe(&config, Duration::from_secs(2)));
    assert!(!readiness.is_accepting(), "{readiness:?}");
}

#[tokio::test]
async fn redis_starts_and_stops_on_drop() {
    let redis = TestRedis::start_owned(None).await.unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
    let save: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        save,
        vec!["save".to_owned(), String::new()],
        "no persistence"
    );
    let url = redis.url().to_owned();
    drop(conn);
    drop(redis);
    let client = redis::Client::open(url).unwrap();
    assert!(client.get_multiplexed_async_connection().await.is_err());
}

#[tokio::test]
async fn create_database_gives_isolated_databases() {
    let pg = TestPostgres::start().await.unwrap();
    let a = pg.create_database("iso").await.unwrap();
    let b = pg.create_database("iso").await.unwrap();
    assert_ne!(a.dbname(), b.dbname());
    let client = connect(&a).await.unwrap();
    let row = client
        .query_one("SELECT current_database()::text", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), a.dbname());
}
