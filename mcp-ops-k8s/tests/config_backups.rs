//! `ConfigBackups` on a SimCluster: files + manifest without Secret values, list, verify,
//! a flipped byte refused, a deleted ConfigMap restored, dry runs that change nothing, ids that
//! cannot leave the directory, age-encrypted Secrets restored with the identity only, and the
//! core backup contract.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use mcp_ops_core::Error;
use mcp_ops_core::backup::{
    BackupId, BackupKind, BackupManager, BackupRequest, BackupStatus, IntegrityCheck,
    RestoreOptions, TestRestore,
};
use mcp_ops_core::testing::{BackupFixture, backup_contract};
use mcp_ops_core::types::{Intent, Namespace, ResourceName, SecretValue};
use mcp_ops_k8s::config_backup::{AgeKeyPair, DATA_AGE, NO_IDENTITY};
use mcp_ops_k8s::config_backups::ConfigBackupManifest;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use mcp_ops_k8s::{ConfigBackups, KubeCluster};

const NS: &str = "mcp-production";
/// The scenario's Secret `mcp-secrets`, plain and base64.
const SECRET_VALUES: [&str; 4] = [
    "sim-jwt-secret-001",
    "c2ltLWp3dC1zZWNyZXQtMDAx",
    "sim-db-password-001",
    "c2ltLWRiLXBhc3N3b3JkLTAwMQ==",
];

struct Fixture {
    sim: SimCluster,
    backups: ConfigBackups,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let sim = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("config-backups");
    let backups = ConfigBackups::new(KubeCluster::new(sim.client().unwrap()), &dir).unwrap();
    Fixture {
        sim,
        backups,
        dir,
        _tmp: tmp,
    }
}

fn request() -> BackupRequest {
    BackupRequest {
        kind: BackupKind::Configuration {
            namespace: Namespace::new(NS).unwrap(),
        },
        label: None,
    }
}

fn intent(dry_run: bool) -> Intent {
    Intent::new("config backup test", "tester")
        .unwrap()
        .with_dry_run(dry_run)
}

/// The files in `dir`; none when it does not exist (it is created by the first backup).
fn files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn configmaps(sim: &SimCluster) -> Api<ConfigMap> {
    Api::namespaced(sim.client().unwrap(), NS)
}

#[tokio::test]
async fn backup_writes_yaml_and_manifest_without_secret_values() {
    let f = fixture().await;
    let record = f.backups.backup(&request(), &intent(false)).await.unwrap();
    assert_eq!(record.status, BackupStatus::Succeeded);
    assert_eq!(record.kind, request().kind);
    assert!(record.id.as_str().starts_with("config-mcp-production-20"));
    assert!(record.finished.is_some_and(|t| t >= record.started));
    assert!(
        record.sha256.len() == 64
            && record
                .sha256
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let yaml_path = f.backups.yaml_path(&record.id).unwrap();
    assert_eq!(record.location, yaml_path.display().to_string());
    assert_eq!(
        files(&f.dir),
        vec![format!("{}.json", record.id), format!("{}.yaml", record.id)],
        "exactly the YAML and its manifest, no partial file left"
    );

    let yaml = std::fs::read_to_string(&yaml_path).unwrap();
    assert!(yaml.contains("name: mcp-config"), "{yaml}");
    assert!(yaml.contains("name: mcp-secrets"), "{yaml}");
    for value in SECRET_VALUES {
        assert!(!yaml.contains(value), "a Secret value leaked into the file");
    }
    let manifest_text =
        std::fs::read_to_string(f.backups.manifest_path(&record.id).unwrap()).unwrap();
    for value in SECRET_VALUES {
        assert!(
            !manifest_text.contains(value),
            "a Secret value in the manifest"
        );
    }
    let manifest: ConfigBackupManifest = serde_json::from_str(&manifest_text).unwrap();
    assert_eq!(manifest, f.backups.manifest(&record.id).await.unwrap());
    assert_eq!(manifest.id, record.id);
    assert_eq!(manifest.namespace.as_str(), NS);
    // 1 ConfigMap, 1 Secret, 5 Services, 3 Deployments, 3 HPAs, 1 Ingress, 2 CronJobs.
    assert_eq!(manifest.objects, 16);
    assert_eq!(manifest.secrets_without_values, vec!["secret/mcp-secrets"]);
    assert_eq!(manifest.size, yaml.len() as u64);
    assert_eq!(manifest.sha256, record.sha256);
    assert!(manifest.change_cause.starts_with("config backup test"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&f.dir), 0o700);
        assert_eq!(mode(&yaml_path), 0o600);
        assert_eq!(mode(&f.backups.manifest_path(&record.id).unwrap()), 0o600);
    }

    assert_eq!(f.backups.list().await.unwrap(), vec![record.clone()]);
    let report = f.backups.verify(&record.id, None).await.unwrap();
    assert!(report.checksum_ok && report.passed(), "{report:?}");
    assert_eq!(report.readable, Some(true));
    assert_eq!(report.test_restore, TestRestore::Skipped);
    let asked = f
        .backups
        .verify(&record.id, Some(Vec::new()))
        .await
        .unwrap();
    assert_eq!(asked.test_restore, TestRestore::NotSupported);
    assert!(asked.passed());

    // A second backup gets its own id (a suffix within the same second) and lists after.
    let second = f.backups.backup(&request(), &intent(false)).await.unwrap();
    assert_ne!(second.id, record.id);
    assert_eq!(f.backups.list().await.unwrap(), vec![record, second]);
}

#[tokio::test]
async fn flipped_byte_fails_verify_and_restore_is_refused() {
    let f = fixture().await;
    let record = f.backups.backup(&request(), &intent(false)).await.unwrap();
    let path = f.backups.yaml_path(&record.id).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let report = f.backups.verify(&record.id, None).await.unwrap();
    assert!(!report.checksum_ok && !report.passed(), "{report:?}");

    configmaps(&f.sim)
        .delete("mcp-config", &Default::default())
        .await
        .unwrap();
    for verify_first in [true, false] {
        let options = RestoreOptions {
            verify_first,
            ..RestoreOptions::default()
        };
        let r = f
            .backups
            .restore(&record.id, &options, &intent(false))
            .await;
        assert!(
            matches!(r, Err(Error::PolicyViolation { .. })),
            "verify_first {verify_first}: {r:?}"
        );
    }
    assert!(
        f.sim.get("v1", "ConfigMap", NS, "mcp-config").is_none(),
        "a refused restore applies nothing"
    );

    // A manifest whose YAML is gone is a bad backup, not an unknown one.
    std::fs::remove_file(&path).unwrap();
    let report = f.backups.verify(&record.id, None).await.unwrap();
    assert!(!report.checksum_ok);
    assert_eq!(report.readable, Some(false));
}

#[tokio::test]
async fn restore_brings_back_a_deleted_configmap_and_dry_run_changes_nothing() {
    let f = fixture().await;
    let k = KubeCluster::new(f.sim.client().unwrap());
    let ns = Namespace::new(NS).unwrap();
    let original = configmaps(&f.sim).get("mcp-config").await.unwrap();
    let record = f.backups.backup(&request(), &intent(false)).await.unwrap();
    configmaps(&f.sim)
        .delete("mcp-config", &Default::default())
        .await
        .unwrap();
    let before = k.export_config(&ns).await.unwrap();

    let dry = f
        .backups
        .restore_run(&record.id, &RestoreOptions::default(), &intent(true))
        .await
        .unwrap();
    assert!(dry.report.dry_run && dry.objects.dry_run);
    assert_eq!(dry.objects.created, vec!["configmap/mcp-config"]);
    assert!(f.sim.get("v1", "ConfigMap", NS, "mcp-config").is_none());
    assert_eq!(
        k.export_config(&ns).await.unwrap(),
        before,
        "a dry-run restore changes nothing"
    );

    let run = f
        .backups
        .restore_run(&record.id, &RestoreOptions::default(), &intent(false))
        .await
        .unwrap();
    assert!(!run.report.dry_run);
    assert_eq!(run.report.id, record.id);
    assert!(run.report.verification.as_ref().is_some_and(|v| v.passed()));
    assert!(run.report.checks.is_empty());
    assert_eq!(run.objects.created, vec!["configmap/mcp-config"]);
    assert_eq!(run.objects.replaced.len(), 14, "{:?}", run.objects);
    assert_eq!(run.objects.skipped.len(), 1, "{:?}", run.objects);
    assert!(run.objects.skipped[0].starts_with("secret/mcp-secrets"));
    let back = configmaps(&f.sim).get("mcp-config").await.unwrap();
    assert_eq!(back.data, original.data);
    // The Secret kept its values.
    let s = f.sim.get("v1", "Secret", NS, "mcp-secrets").unwrap();
    assert_eq!(s["data"]["jwt-secret"], "c2ltLWp3dC1zZWNyZXQtMDAx");

    // Through the trait, integrity queries are refused before anything is applied.
    configmaps(&f.sim)
        .delete("mcp-config", &Default::default())
        .await
        .unwrap();
    let options = RestoreOptions {
        integrity_checks: vec![IntegrityCheck {
            name: "users".into(),
            query: "SELECT COUNT(*) FROM users".into(),
            min: 1,
        }],
        ..RestoreOptions::default()
    };
    let r = f
        .backups
        .restore(&record.id, &options, &intent(false))
        .await;
    assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
    assert!(f.sim.get("v1", "ConfigMap", NS, "mcp-config").is_none());
}

#[tokio::test]
async fn dry_run_backup_writes_nothing() {
    let f = fixture().await;
    let plan = f.backups.backup(&request(), &intent(true)).await.unwrap();
    assert_eq!(plan.status, BackupStatus::Running);
    assert_eq!((plan.size, plan.sha256.as_str()), (0, ""));
    assert_eq!(plan.finished, None);
    assert_eq!(plan.kind, request().kind);
    assert!(plan.id.as_str().starts_with("config-mcp-production-"));
    assert!(
        !f.dir.exists(),
        "the directory is created by the first write, not before"
    );
    assert!(f.backups.list().await.unwrap().is_empty());
    let r = f.backups.verify(&plan.id, None).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
}

#[tokio::test]
async fn ids_cannot_leave_the_directory_and_foreign_files_are_skipped() {
    for bad in ["../x", "a/b", "", ".", "..", "x\0y", "/etc/passwd", "a\\b"] {
        assert!(
            matches!(BackupId::new(bad), Err(Error::InvalidInput { .. })),
            "{bad:?}"
        );
        let json = serde_json::to_string(bad).unwrap();
        assert!(serde_json::from_str::<BackupId>(&json).is_err(), "{bad:?}");
    }
    let f = fixture().await;
    let odd = BackupId::new("a..b").unwrap();
    assert_eq!(f.backups.yaml_path(&odd).unwrap().parent(), Some(&*f.dir));

    let record = f.backups.backup(&request(), &intent(false)).await.unwrap();
    let manifest = std::fs::read_to_string(f.backups.manifest_path(&record.id).unwrap()).unwrap();
    let id_field = format!("\"id\": \"{}\"", record.id);
    assert!(manifest.contains(&id_field));
    // A manifest naming an id that would leave the directory, a copy under another name, a
    // corrupt one and an unrelated file: none is a backup, and the list does not fail.
    std::fs::write(
        f.dir.join("evil.json"),
        manifest.replace(&id_field, "\"id\": \"../x\""),
    )
    .unwrap();
    std::fs::write(f.dir.join("other.json"), &manifest).unwrap();
    std::fs::write(f.dir.join("corrupt.json"), "{ not json").unwrap();
    std::fs::write(f.dir.join("notes.txt"), "hello").unwrap();
    assert_eq!(f.backups.list().await.unwrap(), vec![record]);
    // Each is skipped and named, with why; asked for by id, it is bad input naming the file
    // (exit 2 in the CLI), never a "kubernetes error".
    let notices = f.backups.notices().await.unwrap();
    assert_eq!(notices.len(), 3, "{notices:?}");
    for name in ["evil", "other", "corrupt"] {
        let path = f.dir.join(format!("{name}.json")).display().to_string();
        assert!(
            notices
                .iter()
                .any(|n| n.starts_with(&format!("skipped {path}: "))),
            "{name}: {notices:?}"
        );
        let id = BackupId::new(name).unwrap();
        let v = f.backups.verify(&id, None).await;
        assert!(
            matches!(v, Err(Error::InvalidInput { .. })),
            "{name}: {v:?}"
        );
        let r = f
            .backups
            .restore(&id, &RestoreOptions::default(), &intent(false))
            .await;
        let e = r.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{name}: {e:?}");
        assert!(e.to_string().contains(&path), "{e}");
        assert!(!e.to_string().contains("kubernetes"), "{e}");
    }
    let unknown = BackupId::new("config-mcp-production-unknown").unwrap();
    let r = f
        .backups
        .restore(&unknown, &RestoreOptions::default(), &intent(false))
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
}

#[tokio::test]
async fn other_kinds_are_unsupported_and_a_missing_namespace_is_not_found() {
    let f = fixture().await;
    for kind in [
        BackupKind::Database {
            database: "mcp_db".into(),
        },
        BackupKind::CronJob {
            namespace: Namespace::new(NS).unwrap(),
            cronjob: ResourceName::new("postgres-backup").unwrap(),
        },
    ] {
        let req = BackupRequest { kind, label: None };
        for dry_run in [true, false] {
            let r = f.backups.backup(&req, &intent(dry_run)).await;
            assert!(matches!(r, Err(Error::Unsupported { .. })), "{r:?}");
        }
    }
    let missing = BackupRequest {
        kind: BackupKind::Configuration {
            namespace: Namespace::new("no-such-namespace").unwrap(),
        },
        label: None,
    };
    let r = f.backups.backup(&missing, &intent(false)).await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert!(files(&f.dir).is_empty());
}

#[tokio::test]
async fn a_label_goes_into_the_id() {
    let f = fixture().await;
    let req = BackupRequest {
        label: Some("pre-maintenance".into()),
        ..request()
    };
    let record = f.backups.backup(&req, &intent(false)).await.unwrap();
    assert!(
        record
            .id
            .as_str()
            .starts_with("config-mcp-production-pre-maintenance-20"),
        "{}",
        record.id
    );
    let bad = BackupRequest {
        label: Some("a/b".into()),
        ..request()
    };
    let r = f.backups.backup(&bad, &intent(false)).await;
    assert!(matches!(r, Err(Error::InvalidInput { .. })), "{r:?}");
}

/// The core contract fits with no integrity checks: its checks are SQL queries, which a
/// configuration restore cannot run (they are refused as Unsupported).
#[tokio::test]
async fn backup_contract_passes() {
    let f = fixture().await;
    let fx = BackupFixture {
        request: BackupRequest {
            label: Some("contract".into()),
            ..request()
        },
        checks: Vec::new(),
    };
    backup_contract(&f.backups, &fx).await.unwrap();
}

#[tokio::test]
async fn encrypted_backup_verifies_and_restores_secrets_only_with_the_identity() {
    let f = fixture().await;
    let key = AgeKeyPair::generate();
    let kube = || KubeCluster::new(f.sim.client().unwrap());
    let backups = ConfigBackups::new(kube(), &f.dir)
        .unwrap()
        .with_recipients(key.recipients().unwrap());
    let original = f.sim.get("v1", "Secret", NS, "mcp-secrets").unwrap();
    let record = backups.backup(&request(), &intent(false)).await.unwrap();

    let yaml = std::fs::read_to_string(backups.yaml_path(&record.id).unwrap()).unwrap();
    let manifest_text =
        std::fs::read_to_string(backups.manifest_path(&record.id).unwrap()).unwrap();
    for text in [&yaml, &manifest_text] {
        for value in SECRET_VALUES {
            assert!(!text.contains(value), "a Secret value in a backup file");
        }
        assert!(!text.contains(key.identity.expose_str().unwrap()));
    }
    assert!(yaml.contains(DATA_AGE) && yaml.contains("BEGIN AGE ENCRYPTED FILE"));
    let manifest = backups.manifest(&record.id).await.unwrap();
    assert_eq!(manifest.secrets_encrypted, vec!["secret/mcp-secrets"]);
    assert!(manifest.secrets_without_values.is_empty());
    assert_eq!(manifest.age_recipients, vec![key.public_key.clone()]);
    let report = backups.verify(&record.id, None).await.unwrap();
    assert!(
        report.passed() && report.readable == Some(true),
        "{report:?}"
    );

    let secrets: Api<k8s_openapi::api::core::v1::Secret> =
        Api::namespaced(f.sim.client().unwrap(), NS);
    secrets
        .delete("mcp-secrets", &Default::default())
        .await
        .unwrap();
    let gone = || f.sim.get("v1", "Secret", NS, "mcp-secrets").is_none();

    // No identity: skipped, the rest restored.
    let run = backups
        .restore_run(&record.id, &RestoreOptions::default(), &intent(false))
        .await
        .unwrap();
    assert_eq!(
        run.objects.skipped,
        vec![format!("secret/mcp-secrets: {NO_IDENTITY}")]
    );
    assert!(gone());

    // A wrong identity: refused before anything is applied, dry run or not.
    let wrong = ConfigBackups::new(kube(), &f.dir)
        .unwrap()
        .with_identity(AgeKeyPair::generate().identity)
        .unwrap();
    configmaps(&f.sim)
        .delete("mcp-config", &Default::default())
        .await
        .unwrap();
    for dry_run in [true, false] {
        let r = wrong
            .restore(&record.id, &RestoreOptions::default(), &intent(dry_run))
            .await;
        assert!(
            matches!(&r, Err(Error::InvalidInput { field: "age identity", reason })
                if reason.contains("secret/mcp-secrets")),
            "{r:?}"
        );
    }
    assert!(gone() && f.sim.get("v1", "ConfigMap", NS, "mcp-config").is_none());

    // The identity: a dry run decrypts and writes nothing, then the Secret is back.
    let right = ConfigBackups::new(kube(), &f.dir)
        .unwrap()
        .with_identity(key.identity.clone())
        .unwrap();
    let dry = right
        .restore_run(&record.id, &RestoreOptions::default(), &intent(true))
        .await
        .unwrap();
    assert_eq!(
        dry.objects.created,
        vec!["configmap/mcp-config", "secret/mcp-secrets"]
    );
    assert!(gone());
    let run = right
        .restore_run(&record.id, &RestoreOptions::default(), &intent(false))
        .await
        .unwrap();
    assert_eq!(
        run.objects.created,
        vec!["configmap/mcp-config", "secret/mcp-secrets"]
    );
    assert!(run.objects.skipped.is_empty());
    let back = f.sim.get("v1", "Secret", NS, "mcp-secrets").unwrap();
    assert_eq!(back["data"], original["data"]);
    assert_eq!(back["type"], original["type"]);

    // An identity that is no secret key is refused when given.
    for bad in ["", "garbage", key.public_key.as_str()] {
        let r = ConfigBackups::new(kube(), &f.dir)
            .unwrap()
            .with_identity(SecretValue::from_str_value(bad));
        assert!(
            matches!(
                &r,
                Err(Error::InvalidInput {
                    field: "age identity",
                    ..
                })
            ),
            "{bad:?}"
        );
    }
}

/// Manifests written before encryption existed (no `secrets_encrypted`, no `age_recipients`)
/// still read and verify.
#[tokio::test]
async fn a_manifest_without_the_encryption_fields_still_reads() {
    let f = fixture().await;
    let record = f.backups.backup(&request(), &intent(false)).await.unwrap();
    let path = f.backups.manifest_path(&record.id).unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let o = m.as_object_mut().unwrap();
    assert!(o.remove("secrets_encrypted").is_some() && o.remove("age_recipients").is_some());
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let manifest = f.backups.manifest(&record.id).await.unwrap();
    assert!(manifest.secrets_encrypted.is_empty() && manifest.age_recipients.is_empty());
    assert!(f.backups.verify(&record.id, None).await.unwrap().passed());
}

/// An encrypted Secret whose blob is not an age file fails `readable`, even with a checksum
/// that matches (the manifest rewritten with it).
#[tokio::test]
async fn a_malformed_blob_is_not_readable() {
    use sha2::Digest as _;
    let f = fixture().await;
    let key = AgeKeyPair::generate();
    let backups = ConfigBackups::new(KubeCluster::new(f.sim.client().unwrap()), &f.dir)
        .unwrap()
        .with_recipients(key.recipients().unwrap());
    let record = backups.backup(&request(), &intent(false)).await.unwrap();
    let yaml_path = backups.yaml_path(&record.id).unwrap();
    let yaml = std::fs::read_to_string(&yaml_path).unwrap();
    let begin = "-----BEGIN AGE ENCRYPTED FILE-----";
    assert_eq!(yaml.matches(begin).count(), 1);
    let broken = yaml.replace(begin, "-----BEGIN SOMETHING ELSE-----");
    std::fs::write(&yaml_path, &broken).unwrap();
    let manifest_path = backups.manifest_path(&record.id).unwrap();
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    m["sha256"] = hex::encode(sha2::Sha256::digest(broken.as_bytes())).into();
    m["size"] = broken.len().into();
    std::fs::write(&manifest_path, serde_json::to_vec(&m).unwrap()).unwrap();
    let report = backups.verify(&record.id, None).await.unwrap();
    assert!(report.checksum_ok, "{report:?}");
    assert_eq!(report.readable, Some(false));
    assert!(!report.passed());
}

#[tokio::test]
async fn leftovers_are_cleaned_and_reported_and_a_fifo_is_refused_without_hanging() {
    let f = fixture().await;
    std::fs::create_dir_all(&f.dir).unwrap();
    let old = f
        .dir
        .join(".config-mcp-production-20200101-000000.yaml.partial");
    let fresh = f
        .dir
        .join(".config-mcp-production-20200101-000001.yaml.partial");
    for p in [&old, &fresh] {
        std::fs::write(p, "kind: List").unwrap();
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    let record = f.backups.backup(&request(), &intent(false)).await.unwrap();
    assert!(!old.exists() && fresh.exists());
    let notices = f.backups.notices().await.unwrap();
    assert_eq!(
        notices,
        vec![format!(
            "removed {}: left by an interrupted backup",
            old.display()
        )]
    );

    // The YAML replaced by a FIFO: refused, naming the file, instead of blocking forever.
    let yaml = f.backups.yaml_path(&record.id).unwrap();
    std::fs::remove_file(&yaml).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&yaml)
            .status()
            .unwrap()
            .success()
    );
    let v = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        f.backups.verify(&record.id, None),
    )
    .await
    .expect("verify of a FIFO must not hang");
    let e = v.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
    assert!(e.to_string().contains(&yaml.display().to_string()), "{e}");
}
