#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! mcp-ops-core's backup and maintenance contract suites against the real backends.

use mcp_ops_core::testing::{
    BackupFixture, MaintenanceFixture, backup_contract, maintenance_contract,
};
use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{LocalDirStore, PgBackend, PgBackups, PgConfig, PgOptions};
use std::sync::Arc;

const RUNBOOK_SCHEMA: &str = "
    CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    INSERT INTO users SELECT g, 'u' || g || '@example.org' FROM generate_series(1, 500) g;
    CREATE TABLE sessions (id bigserial PRIMARY KEY, user_id int REFERENCES users(id), token text);
    INSERT INTO sessions (user_id, token) SELECT 1 + g % 500, md5(g::text) FROM generate_series(1, 2000) g;
    CREATE INDEX sessions_user ON sessions(user_id);";

async fn runbook_db(pg: &TestPostgres) -> PgConfig {
    let config = pg.create_database("contract").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute(RUNBOOK_SCHEMA)
        .await
        .unwrap();
    config
}

#[tokio::test]
async fn backup_contract_on_postgres() {
    let pg = TestPostgres::start().await.unwrap();
    let config = runbook_db(&pg).await;
    let dir = tempfile::tempdir().unwrap();
    let backups = PgBackups::new(
        config.clone(),
        Arc::new(LocalDirStore::new(dir.path()).unwrap()),
    );
    let fx = BackupFixture::database(config.dbname(), "users", 500);
    backup_contract(&backups, &fx).await.unwrap();
}

#[tokio::test]
async fn maintenance_contract_on_postgres_with_statement_statistics() {
    let pg = TestPostgres::start().await.unwrap();
    let config = runbook_db(&pg).await;
    let backend = PgBackend::new(config, PgOptions::default()).unwrap();
    backend.enable_pg_stat_statements().await.unwrap();
    let c = backend.client().await.unwrap();
    for i in 0..3 {
        c.query("SELECT count(*) FROM sessions WHERE user_id = $1", &[&i])
            .await
            .unwrap();
    }
    drop(c);
    maintenance_contract(&backend, &MaintenanceFixture::runbook())
        .await
        .unwrap();
}

#[tokio::test]
async fn maintenance_contract_on_postgres_without_statement_statistics() {
    let pg = TestPostgres::start().await.unwrap();
    let config = runbook_db(&pg).await;
    let backend = PgBackend::new(config, PgOptions::default()).unwrap();
    let fx = MaintenanceFixture {
        statement_stats: false,
        ..MaintenanceFixture::runbook()
    };
    maintenance_contract(&backend, &fx).await.unwrap();
}
