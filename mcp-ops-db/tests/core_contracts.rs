#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The mcp-ops-core traits on real servers: contract suites where core has them, and the
//! issue's scenarios through the trait objects.

use mcp_ops_core::backup::{
    BackupKind, BackupRequest, IntegrityCheck, RestoreOptions, TestRestore,
};
use mcp_ops_core::health::{HealthStatus, HealthTarget, HttpProbe, ObservedValue};
use mcp_ops_core::secrets::{SecretCheck, SecretKeyRef};
use mcp_ops_core::testing::{
    HealthFixture, SecretRotatorFixture, health_contract, secret_rotator_contract,
};
use mcp_ops_core::types::{Intent, SecretSpec, SecretValue};
use mcp_ops_core::{BackupManager, DatabaseMaintenance, Error, HealthCheck, SecretRotator};
use mcp_ops_db::pg::connect;
use mcp_ops_db::testing::{TestPostgres, TestRedis};
use mcp_ops_db::{
    DbHealthCheck, LocalDirStore, PgBackend, PgBackups, PgConfig, PgOptions, PgRoleRotator,
    RedisBackend,
};
use std::sync::Arc;
use std::time::Duration;

fn intent(reason: &str) -> Intent {
    Intent::new(reason, "mcp-ops-db tests").unwrap()
}

#[tokio::test]
async fn health_check_contract_on_postgres_and_redis() {
    let pg = TestPostgres::start_owned().await.unwrap(); // asserts its max_connections
    let redis = TestRedis::start().await.unwrap();
    let mut gone = TestRedis::start_owned(None).await.unwrap();
    let gone_config = gone.config().unwrap();
    gone.stop();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = PgConfig::parse(&format!("host=127.0.0.1 port={port} user=postgres")).unwrap();
    let t = Duration::from_secs(2);
    let checker = DbHealthCheck::new(t)
        .with_database(
            "mcp_db",
            PgBackend::new(pg.config(), PgOptions::default()).unwrap(),
        )
        .with_database(
            "down_db",
            PgBackend::new(down, PgOptions::default()).unwrap(),
        )
        .with_cache("redis", RedisBackend::new(redis.config().unwrap(), t))
        .with_cache("gone", RedisBackend::new(gone_config, t));
    let fx = HealthFixture {
        healthy: vec![
            HealthTarget::Database {
                name: "mcp_db".into(),
            },
            HealthTarget::Cache {
                name: "redis".into(),
            },
        ],
        unhealthy: vec![
            HealthTarget::Database {
                name: "down_db".into(),
            },
            HealthTarget::Cache {
                name: "gone".into(),
            },
        ],
        unsupported: Some(HealthTarget::Http(HttpProbe::new(
            "api",
            "http://127.0.0.1:9/health",
        ))),
        per_check: Duration::from_secs(10),
    };
    health_contract(&checker, &fx).await.unwrap();

    let r = checker
        .check(&HealthTarget::Database {
            name: "mcp_db".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        r.observation("in_recovery"),
        Some(&ObservedValue::Flag(false))
    );
    assert!(
        matches!(
            r.observation("max_connections"),
            Some(ObservedValue::Count(40))
        ),
        "{r:?}"
    );
    let r = checker
        .check(&HealthTarget::Database {
            name: "down_db".into(),
        })
        .await
        .unwrap();
    assert_eq!(r.status, HealthStatus::Unhealthy);
    assert_eq!(r.observation("readiness"), Some(&ObservedValue::Count(2)));
    let unknown = checker
        .check(&HealthTarget::Database {
            name: "other".into(),
        })
        .await;
    assert!(
        matches!(unknown, Err(Error::NotFound { .. })),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn exhausted_connections_are_degraded() {
    let pg = TestPostgres::start_owned().await.unwrap();
    let mut held = Vec::new();
    for _ in 0..35 {
        held.push(connect(&pg.config()).await.unwrap()); // 36+ of 40 (3 reserved)
    }
    let checker = DbHealthCheck::new(Duration::from_secs(2)).with_database(
        "mcp_db",
        PgBackend::new(pg.config(), PgOptions::default()).unwrap(),
    );
    let r = checker
        .check(&HealthTarget::Database {
            name: "mcp_db".into(),
        })
        .await
        .unwrap();
    assert_eq!(r.status, HealthStatus::Degraded, "{r:?}");
    assert!(r.message.contains("exhausted"), "{}", r.message);
    let usage = DatabaseMaintenance::connections(
        &PgBackend::new(pg.config(), PgOptions::default()).unwrap(),
    )
    .await
    .unwrap();
    assert!(usage.exhausted(), "{usage:?}");
}

#[tokio::test]
async fn secret_rotator_contract_on_a_real_role() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("contract").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute("CREATE ROLE \"app-rot\" LOGIN PASSWORD 'before-1'")
        .await
        .unwrap();
    let backend = PgBackend::new(config, PgOptions::default()).unwrap();
    let rotator = PgRoleRotator::new(backend.clone(), "mcp-db");
    let fx = SecretRotatorFixture {
        key: SecretKeyRef::new("mcp-db", "app-rot", "password").unwrap(),
        missing: SecretKeyRef::new("mcp-db", "no-such-role", "password").unwrap(),
        spec: SecretSpec::DB_PASSWORD,
    };
    secret_rotator_contract(&rotator, &fx).await.unwrap();
    // The suite reverted: the original password logs in again.
    let before = SecretValue::from_str_value("before-1");
    assert!(
        connect(&backend.config().with_credentials("app-rot", &before))
            .await
            .is_ok()
    );

    // A full rotation through the trait: the new value works, the old one no longer.
    let value = SecretValue::generate(&SecretSpec::DB_PASSWORD).unwrap();
    rotator
        .stage(&fx.key, &value, &intent("rotate db password"))
        .await
        .unwrap();
    let applied = rotator
        .apply(&fx.key, &intent("rotate db password"))
        .await
        .unwrap();
    assert_eq!(applied.fingerprint, value.fingerprint());
    assert_eq!(rotator.verify(&fx.key).await.unwrap(), SecretCheck::Works);
    assert!(
        connect(&backend.config().with_credentials("app-rot", &before))
            .await
            .is_err()
    );
    let new = value.clone();
    assert!(
        connect(&backend.config().with_credentials("app-rot", &new))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn rotator_verification_failure_is_rejected_and_revert_restores() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("contract").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute("CREATE ROLE \"app-rev\" LOGIN PASSWORD 'before-2'; CREATE TABLE locked(x int); REVOKE ALL ON locked FROM PUBLIC;")
        .await
        .unwrap();
    let backend = PgBackend::new(config, PgOptions::default()).unwrap();
    let rotator =
        PgRoleRotator::new(backend.clone(), "mcp-db").with_verify_query("SELECT * FROM locked");
    let key = SecretKeyRef::new("mcp-db", "app-rev", "password").unwrap();
    let value = SecretValue::generate(&SecretSpec::DB_PASSWORD).unwrap();
    rotator
        .stage(&key, &value, &intent("rotate"))
        .await
        .unwrap();
    rotator.apply(&key, &intent("rotate")).await.unwrap();
    match rotator.verify(&key).await.unwrap() {
        SecretCheck::Rejected { why } => {
            assert!(!why.contains(value.expose_str().unwrap()), "{why}")
        }
        other => panic!("{other:?}"),
    }
    rotator
        .revert(&key, &intent("verification failed"))
        .await
        .unwrap();
    let before = SecretValue::from_str_value("before-2");
    assert!(
        connect(&backend.config().with_credentials("app-rev", &before))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn backup_manager_through_the_core_trait() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("core_bk").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute("CREATE TABLE users(id int primary key); INSERT INTO users SELECT generate_series(1, 250);")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDirStore::new(dir.path()).unwrap());
    let manager: Arc<dyn BackupManager> = Arc::new(PgBackups::new(config.clone(), store.clone()));
    let request = BackupRequest {
        kind: BackupKind::Database {
            database: config.dbname().to_owned(),
        },
        label: Some("pre-maintenance".into()),
    };

    let plan = manager
        .backup(&request, &intent("plan").with_dry_run(true))
        .await
        .unwrap();
    assert_eq!(plan.size, 0);
    assert!(
        manager.list().await.unwrap().is_empty(),
        "a dry run stores nothing"
    );

    let rec = manager
        .backup(&request, &intent("before maintenance"))
        .await
        .unwrap();
    assert!(
        rec.id.as_str().starts_with("pre-maintenance-"),
        "{}",
        rec.id
    );
    assert_eq!(rec.sha256.len(), 64);
    assert_eq!(manager.list().await.unwrap(), vec![rec.clone()]);

    let check = IntegrityCheck {
        name: "users present".into(),
        query: "SELECT count(*) FROM users".into(),
        min: 250,
    };
    let v = manager
        .verify(&rec.id, Some(vec![check.clone()]))
        .await
        .unwrap();
    assert!(v.passed(), "{v:?}");
    assert!(
        matches!(v.test_restore, TestRestore::Passed { ref checks } if checks[0].value == Some(250))
    );
    let too_many = IntegrityCheck {
        min: 251,
        ..check.clone()
    };
    let v = manager.verify(&rec.id, Some(vec![too_many])).await.unwrap();
    assert!(
        !v.passed() && matches!(v.test_restore, TestRestore::Failed { .. }),
        "{v:?}"
    );

    connect(&config)
        .await
        .unwrap()
        .batch_execute("DROP TABLE users")
        .await
        .unwrap();
    let options = RestoreOptions {
        integrity_checks: vec![check],
        ..RestoreOptions::default()
    };
    let report = manager
        .restore(&rec.id, &options, &intent("recover database"))
        .await
        .unwrap();
    assert!(
        report.checks_passed() && report.checks.len() == 1,
        "{report:?}"
    );
    assert!(report.verification.unwrap().passed());

    // A flipped byte: a failing report, and restore refuses with PolicyViolation.
    let path = dir.path().join(format!("{}.dump", rec.id));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let v = manager.verify(&rec.id, None).await.unwrap();
    assert!(!v.checksum_ok && !v.passed());
    let e = manager
        .restore(&rec.id, &RestoreOptions::default(), &intent("recover"))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::PolicyViolation { .. }), "{e:?}");

    let cron = BackupRequest {
        kind: BackupKind::Configuration {
            namespace: "mcp-production".parse().unwrap(),
        },
        label: None,
    };
    assert!(matches!(
        manager.backup(&cron, &intent("x")).await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn maintenance_through_the_core_trait() {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("core_maint").await.unwrap();
    connect(&config)
        .await
        .unwrap()
        .batch_execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 1000) g; CREATE INDEX t_id ON t(id);")
        .await
        .unwrap();
    let m: Arc<dyn DatabaseMaintenance> =
        Arc::new(PgBackend::new(config, PgOptions::default()).unwrap());
    let dry = m
        .analyze(&["t".into()], &intent("plan").with_dry_run(true))
        .await
        .unwrap();
    assert!(dry.dry_run);
    assert!(
        m.column_stats("public").await.unwrap().is_empty(),
        "a dry run analyzes nothing"
    );
    let r = m.analyze(&["t".into()], &intent("stats")).await.unwrap();
    assert!(!r.dry_run);
    let stats = m.column_stats("public").await.unwrap();
    assert!(stats.iter().any(|s| s.table == "t" && s.column == "id"));
    m.vacuum(&[], &intent("vacuum db")).await.unwrap();
    assert!(matches!(
        m.vacuum(&["a.b.c".into()], &intent("bad")).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(
        m.index_usage()
            .await
            .unwrap()
            .iter()
            .any(|u| u.index == "t_id")
    );
    assert!(matches!(
        m.slow_statements(5).await,
        Err(Error::Unsupported { .. })
    ));
}
