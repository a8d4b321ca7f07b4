#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! TLS against real PostgreSQL 15 servers that accept TCP only with TLS (`hostssl`):
//! verified sessions for the pool and unpooled connections, typed failures for an unknown
//! CA, a wrong host name, a plain connection and a server without TLS, backups whose
//! pg_dump / pg_restore reach the server over TLS, and no password in any error.

use mcp_ops_core::SecretValue;
use mcp_ops_db::pg::{connect, probe, session_tls};
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{
    DbError, DumpCheck, LocalDirStore, PgBackend, PgBackups, PgConfig, PgOptions, PgRestoreOptions,
    Readiness, TlsErrorKind, TlsMode, VerifyOptions,
};
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "Tls-test-S3cret-pw-91";

/// The error must be `DbError::Tls` of `kind`, name the target and never the password.
fn assert_tls_error(e: &DbError, kind: TlsErrorKind, target: &str) {
    let text = format!("{e} | {e:?}");
    match e {
        DbError::Tls {
            kind: k, target: t, ..
        } => {
            assert_eq!(*k, kind, "{text}");
            assert_eq!(t, target, "{text}");
        }
        other => panic!("expected DbError::Tls({kind:?}), got {other:?}"),
    }
    assert!(text.contains(target), "{text}");
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    let core: mcp_ops_core::Error = DbError::Tls {
        target: target.to_owned(),
        kind,
        reason: e.to_string(),
    }
    .into();
    assert!(
        !core.is_retryable(),
        "a TLS misconfiguration is not retryable"
    );
}

/// A role that must authenticate with SCRAM over TLS.
async fn app_role(pg: &TestPostgres) -> PgConfig {
    let admin = connect(&pg.config()).await.unwrap();
    admin
        .batch_execute(&format!("CREATE ROLE app_tls LOGIN PASSWORD '{PASSWORD}'"))
        .await
        .unwrap();
    pg.config()
        .with_credentials("app_tls", &SecretValue::from_str_value(PASSWORD))
}

#[tokio::test]
async fn require_with_the_ca_gives_encrypted_verified_sessions() {
    let pg = TestPostgres::start_tls().await.unwrap();
    let ca = pg.ca_cert().expect("TLS server exposes its CA").to_owned();
    assert!(ca.is_file());
    let config = pg.config();
    assert_eq!(config.tls_mode(), TlsMode::Require);

    // The pool: health reports the session as encrypted.
    let backend = PgBackend::new(config.clone(), PgOptions::default()).unwrap();
    let health = backend.health(Duration::from_secs(5)).await.unwrap();
    assert_eq!(health.readiness, Readiness::Accepting);
    let tls = health.tls.expect("pg_stat_ssl row");
    assert!(tls.encrypted, "{tls:?}");
    assert!(
        tls.version.as_deref().unwrap_or("").starts_with("TLSv1."),
        "{tls:?}"
    );
    assert!(tls.cipher.is_some(), "{tls:?}");

    // The HealthCheck report (what triage shows) says so too.
    use mcp_ops_core::HealthCheck as _;
    use mcp_ops_core::health::{HealthTarget, ObservedValue};
    let check = mcp_ops_db::DbHealthCheck::new(Duration::from_secs(5))
        .with_database("mcp_db", backend.clone());
    let report = check
        .check(&HealthTarget::Database {
            name: "mcp_db".to_owned(),
        })
        .await
        .unwrap();
    let encrypted = report
        .observed
        .iter()
        .find(|o| o.name == "tls_encrypted")
        .map(|o| o.value.clone());
    assert_eq!(encrypted, Some(ObservedValue::Flag(true)), "{report:?}");

    // Unpooled, by host name instead of address, as a password role (SCRAM over TLS).
    let app = app_role(&pg).await;
    let by_name = PgConfig::parse(&format!(
        "host=localhost port={} user=postgres dbname=postgres sslmode=require",
        pg.port()
    ))
    .unwrap()
    .with_root_cert(&ca);
    for cfg in [&app, &by_name] {
        let client = connect(cfg).await.unwrap();
        let s = session_tls(&client).await.unwrap().unwrap();
        assert!(s.encrypted, "{s:?}");
    }

    // libpq's spelling in a URL: verify-full with sslrootcert.
    let url = PgConfig::parse(&format!(
        "postgresql://postgres@127.0.0.1:{}/postgres?sslmode=verify-full&sslrootcert={}",
        pg.port(),
        ca.display()
    ))
    .unwrap()
    .with_dbname("postgres");
    assert_eq!(url.tls_mode(), TlsMode::Require);
    let client = connect(&url).await.unwrap();
    assert!(session_tls(&client).await.unwrap().unwrap().encrypted);

    // `prefer` with the CA negotiates verified TLS too.
    let prefer = config.with_tls_mode(TlsMode::Prefer);
    let client = connect(&prefer).await.unwrap();
    assert!(session_tls(&client).await.unwrap().unwrap().encrypted);
}

#[tokio::test]
async fn untrusted_ca_wrong_name_and_plain_connections_are_refused_typed() {
    let pg = TestPostgres::start_tls().await.unwrap();
    let app = app_role(&pg).await;
    let target = app.target();
    assert!(target.starts_with("127.0.0.1:"), "{target}");

    // Platform roots do not know the throw-away CA.
    let untrusted = app.with_platform_roots();
    let e = connect(&untrusted).await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::UntrustedCertificate, &target);
    // The pool reports the same typed error, and readiness says why.
    let backend = PgBackend::new(untrusted.clone(), PgOptions::default()).unwrap();
    let e = backend.client().await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::UntrustedCertificate, &target);
    match probe(&untrusted, Duration::from_secs(5)).await {
        Readiness::NoResponse { reason } => {
            assert!(reason.contains("TLS"), "{reason}");
            assert!(!reason.contains(PASSWORD), "{reason}");
        }
        other => panic!("expected NoResponse, got {other:?}"),
    }
    // `prefer` retries without TLS after the failed handshake; the server refuses plain TCP,
    // so the handshake's error is what the caller sees.
    let e = connect(&untrusted.with_tls_mode(TlsMode::Prefer))
        .await
        .unwrap_err();
    assert_tls_error(&e, TlsErrorKind::UntrustedCertificate, &target);

    // Without TLS the hostssl-only server refuses the connection.
    let plain = app.with_tls_mode(TlsMode::Disable);
    let e = connect(&plain).await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::RequiredByServer, &target);
    let e = PgBackend::new(plain, PgOptions::default())
        .unwrap()
        .client()
        .await
        .unwrap_err();
    assert_tls_error(&e, TlsErrorKind::RequiredByServer, &target);

    // The certificate is for localhost / 127.0.0.1, not for the name connected to.
    let other_name = PgConfig::parse(&format!(
        "host=db.other.test hostaddr=127.0.0.1 port={} user=app_tls password={PASSWORD} \
         dbname=postgres sslmode=require",
        pg.port()
    ))
    .unwrap()
    .with_root_cert(pg.ca_cert().unwrap());
    let e = connect(&other_name).await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::HostnameMismatch, &other_name.target());
    assert!(e.to_string().contains("db.other.test"), "{e}");

    // A missing root file is a typed set-up error, before any connection.
    let missing = app.with_root_cert("/nonexistent/mcp-ops-ca.pem");
    let e = PgBackend::new(missing.clone(), PgOptions::default()).unwrap_err();
    assert_tls_error(&e, TlsErrorKind::RootCertificates, &target);
    assert!(matches!(
        probe(&missing, Duration::from_secs(5)).await,
        Readiness::NoAttempt { .. }
    ));
}

#[tokio::test]
async fn a_certificate_for_another_host_is_refused() {
    let pg = TestPostgres::start_tls_for_names(&["db.internal.test"])
        .await
        .unwrap();
    // 127.0.0.1 is not in the certificate.
    let e = connect(&pg.config()).await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::HostnameMismatch, &pg.config().target());
    // The name in the certificate works (resolved to the local server with hostaddr).
    let by_name = PgConfig::parse(&format!(
        "host=db.internal.test hostaddr=127.0.0.1 port={} user=postgres dbname=postgres \
         sslmode=require",
        pg.port()
    ))
    .unwrap()
    .with_root_cert(pg.ca_cert().unwrap());
    let client = connect(&by_name).await.unwrap();
    assert!(session_tls(&client).await.unwrap().unwrap().encrypted);
}

#[tokio::test]
async fn require_against_a_server_without_tls_is_refused_and_prefer_stays_plain() {
    let pg = TestPostgres::start_owned().await.unwrap();
    let require = pg.config().with_tls_mode(TlsMode::Require);
    let e = connect(&require).await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::ServerWithoutTls, &require.target());

    let prefer = pg.config().with_tls_mode(TlsMode::Prefer);
    let backend = PgBackend::new(prefer, PgOptions::default()).unwrap();
    let health = backend.health(Duration::from_secs(5)).await.unwrap();
    assert_eq!(health.readiness, Readiness::Accepting);
    assert!(!health.tls.unwrap().encrypted, "no TLS offered, none used");
}

#[tokio::test]
async fn backup_verify_and_restore_run_over_tls() {
    let pg = TestPostgres::start_tls().await.unwrap();
    let app = app_role(&pg).await;
    let config = pg.create_database("tls_bk").await.unwrap();
    let c = connect(&config).await.unwrap();
    c.batch_execute(&format!(
        "ALTER DATABASE {} OWNER TO app_tls;
         CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
         INSERT INTO users SELECT g, 'u' || g || '@example.org' FROM generate_series(1, 500) g;
         ALTER TABLE users OWNER TO app_tls;",
        config.dbname()
    ))
    .await
    .unwrap();
    // pg_dump / pg_restore run as the password role: TLS and credentials from the
    // environment. The server refuses plain TCP, so success means they used TLS.
    let as_app = app.with_dbname(config.dbname());
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(LocalDirStore::new(dir.path()).unwrap());
    let backups = PgBackups::new(as_app.clone(), store);
    let m = backups.backup().await.unwrap();
    assert!(m.size_bytes > 0);

    let checks = vec![DumpCheck::expecting("SELECT count(*) FROM users", "500")];
    // The test restore creates a scratch database: that needs the superuser.
    let admin_backups = PgBackups::new(config.clone(), backups.store().clone());
    let report = admin_backups
        .verify(&m.id, &VerifyOptions::with_test_restore(checks.clone()))
        .await
        .unwrap();
    assert_eq!(
        report.test_restore.unwrap().checks[0].value.as_deref(),
        Some("500")
    );

    connect(&as_app)
        .await
        .unwrap()
        .batch_execute("DELETE FROM users WHERE id > 10")
        .await
        .unwrap();
    let options = PgRestoreOptions::verified_with(VerifyOptions::with_test_restore(checks));
    admin_backups.restore(&m.id, &options).await.unwrap();
    let n: i64 = connect(&as_app)
        .await
        .unwrap()
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 500);

    // With the wrong roots backup and restore fail typed, and name no password.
    let untrusted = PgBackups::new(as_app.with_platform_roots(), backups.store().clone());
    let e = untrusted.backup().await.unwrap_err();
    assert_tls_error(&e, TlsErrorKind::UntrustedCertificate, &as_app.target());
    let e = untrusted
        .restore(
            &m.id,
            &PgRestoreOptions::verified_with(VerifyOptions::quick()),
        )
        .await
        .unwrap_err();
    assert_tls_error(&e, TlsErrorKind::UntrustedCertificate, &as_app.target());
}
