#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Role password rotation on a real server whose pg_hba requires SCRAM for app roles.

use mcp_ops_core::SecretValue;
use mcp_ops_db::pg::{RotationOptions, connect};
use mcp_ops_db::testing::TestPostgres;
use mcp_ops_db::{DbError, PgBackend, PgOptions};

async fn setup(role: &str) -> (TestPostgres, PgBackend, SecretValue) {
    let pg = TestPostgres::start().await.unwrap();
    let config = pg.create_database("rot").await.unwrap();
    let old = SecretValue::from_str_value("old-password-1");
    let admin = connect(&config).await.unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN PASSWORD 'old-password-1'; CREATE TABLE secret_t(x int); \
             REVOKE ALL ON secret_t FROM PUBLIC;"
        ))
        .await
        .unwrap();
    (
        pg,
        PgBackend::new(config, PgOptions::default()).unwrap(),
        old,
    )
}

async fn can_login(b: &PgBackend, role: &str, pw: &SecretValue) -> bool {
    connect(&b.config().with_credentials(role, pw))
        .await
        .is_ok()
}

#[tokio::test]
async fn rotation_makes_the_old_password_fail_and_the_new_work() {
    let (_pg, b, old) = setup("app_rot").await;
    assert!(can_login(&b, "app_rot", &old).await);
    let rotated = b
        .rotate_role_password("app_rot", &RotationOptions::default())
        .await
        .unwrap();
    assert_eq!(rotated.role, "app_rot");
    assert!(!format!("{rotated:?}").contains(rotated.password.expose_str().unwrap()));
    assert!(can_login(&b, "app_rot", &rotated.password).await);
    assert!(
        !can_login(&b, "app_rot", &old).await,
        "old password rejected"
    );
    // Stored as a SCRAM verifier, never as clear text.
    let c = b.client().await.unwrap();
    let stored: String = c
        .query_one(
            "SELECT rolpassword FROM pg_authid WHERE rolname = 'app_rot'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(stored.starts_with("SCRAM-SHA-256$"));
    assert!(!stored.contains(rotated.password.expose_str().unwrap()));
}

#[tokio::test]
async fn failed_verification_puts_the_old_password_back() {
    let (_pg, b, old) = setup("app_rev").await;
    // The role cannot read secret_t, so verification fails after the change.
    let options = RotationOptions::default().with_verify_query("SELECT * FROM secret_t");
    let e = b
        .rotate_role_password("app_rev", &options)
        .await
        .unwrap_err();
    match &e {
        DbError::Rotation {
            role,
            reverted,
            reason,
        } => {
            assert_eq!(role, "app_rev");
            assert!(*reverted);
            assert!(reason.contains("verification query"), "{reason}");
        }
        other => panic!("expected Rotation, got {other:?}"),
    }
    assert!(
        can_login(&b, "app_rev", &old).await,
        "old password works again"
    );
}

#[tokio::test]
async fn unknown_role_is_not_found() {
    let (_pg, b, _) = setup("app_nf").await;
    let e = b
        .rotate_role_password("no_such_role", &RotationOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, DbError::NotFound { .. }), "{e:?}");
}
