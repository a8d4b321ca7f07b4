//! Age-encrypted Secret values in configuration exports, on a SimCluster: no plain value in
//! the file, a deleted Secret restored with exactly its data, a wrong identity or a damaged
//! blob refused before anything is written, no identity → skipped, dry runs that write
//! nothing, and recipients / identities that are not keys rejected without being repeated.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use mcp_ops_core::types::{Intent, Namespace, SecretValue};
use mcp_ops_core::{Error, Result};
use mcp_ops_k8s::KubeCluster;
use mcp_ops_k8s::config_backup::{
    AgeKeyPair, AgeRecipients, ConfigExport, DATA_AGE, DATA_OMITTED, KINDS, NO_IDENTITY,
    SecretEncryption,
};
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::{Value, json};

const NS: &str = "mcp-production";

struct Fixture {
    sim: SimCluster,
    kube: KubeCluster,
    ns: Namespace,
    key: AgeKeyPair,
}

/// The scenario plus a second Secret holding binary data and a `last-applied` annotation.
async fn fixture() -> Fixture {
    let sim = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    sim.create_object(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "tls-cert", "namespace": NS,
            "labels": {"app": "mcp"},
            "annotations": {"team": "platform",
                "kubectl.kubernetes.io/last-applied-configuration":
                    "{\"data\":{\"tls.key\":\"AP8Qf4CBwsPE\"}}"}},
        "type": "kubernetes.io/tls",
        "data": {"tls.key": "AP8Qf4CBwsPE", "tls.crt": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"}}))
        .unwrap();
    let kube = KubeCluster::new(sim.client().unwrap());
    Fixture {
        sim,
        kube,
        ns: Namespace::new(NS).unwrap(),
        key: AgeKeyPair::generate(),
    }
}

fn intent(dry_run: bool) -> Intent {
    Intent::new("config restore test", "tester")
        .unwrap()
        .with_dry_run(dry_run)
}

fn secret(sim: &SimCluster, name: &str) -> Option<Value> {
    sim.get("v1", "Secret", NS, name)
}

async fn delete_secret(sim: &SimCluster, name: &str) {
    let api: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(sim.client().unwrap(), NS);
    api.delete(name, &Default::default()).await.unwrap();
    assert!(secret(sim, name).is_none());
}

/// Every object of the kinds a backup covers, as the sim holds them.
fn snapshot(sim: &SimCluster) -> Vec<Value> {
    KINDS
        .iter()
        .flat_map(|(g, v, k, _)| {
            let api_version = if g.is_empty() {
                (*v).to_owned()
            } else {
                format!("{g}/{v}")
            };
            sim.list(&api_version, k, Some(NS))
        })
        .collect()
}

/// Every value of every Secret in the namespace, base64 and (when UTF-8) plain.
fn secret_values(sim: &SimCluster) -> Vec<String> {
    let mut out = Vec::new();
    for s in sim.list("v1", "Secret", Some(NS)) {
        for v in s["data"].as_object().unwrap().values() {
            let b64 = v.as_str().unwrap();
            out.push(b64.to_owned());
            let plain = SecretValue::from_base64(b64).unwrap();
            if let Ok(p) = plain.expose_str() {
                out.push(p.to_owned());
            }
        }
    }
    assert!(out.len() >= 6, "{out:?}");
    out
}

async fn export(f: &Fixture, recipients: &AgeRecipients) -> ConfigExport {
    f.kube
        .export_config_with(&f.ns, &SecretEncryption::Age(recipients.clone()))
        .await
        .unwrap()
}

fn docs(yaml: &str) -> Vec<Value> {
    serde_saphyr::from_str_multiple(yaml).unwrap()
}

#[tokio::test]
async fn export_with_a_recipient_holds_no_plain_value() {
    let f = fixture().await;
    let e = export(&f, &f.key.recipients().unwrap()).await;
    assert_eq!(
        e.secrets_encrypted,
        vec!["secret/mcp-secrets", "secret/tls-cert"]
    );
    assert!(e.secrets_without_values.is_empty());
    assert_eq!(e.objects, 17);
    for value in secret_values(&f.sim) {
        assert!(!e.yaml.contains(&value), "a Secret value is in the file");
    }
    assert!(!e.yaml.contains("last-applied-configuration"));
    let secrets: Vec<Value> = docs(&e.yaml)
        .into_iter()
        .filter(|d| d["kind"] == "Secret")
        .collect();
    assert_eq!(secrets.len(), 2);
    for (s, keys) in secrets
        .iter()
        .zip(["db-password,jwt-secret", "tls.crt,tls.key"])
    {
        assert!(
            s.get("data").is_none() && s.get("stringData").is_none(),
            "{s}"
        );
        let a = &s["metadata"]["annotations"];
        assert_eq!(a[DATA_OMITTED], keys);
        let blob = a[DATA_AGE].as_str().unwrap();
        assert!(
            blob.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"),
            "{blob}"
        );
        assert!(
            blob.trim_end()
                .ends_with("-----END AGE ENCRYPTED FILE-----")
        );
    }
    assert_eq!(secrets[1]["type"], "kubernetes.io/tls");
    assert_eq!(secrets[1]["metadata"]["labels"]["app"], "mcp");
    assert_eq!(secrets[1]["metadata"]["annotations"]["team"], "platform");

    // Without encryption the export is today's: values left out, no blob.
    let plain = f.kube.export_config(&f.ns).await.unwrap();
    assert!(plain.secrets_encrypted.is_empty());
    assert_eq!(plain.secrets_without_values.len(), 2);
    assert!(!plain.yaml.contains(DATA_AGE));
}

#[tokio::test]
async fn restore_with_the_identity_brings_back_exactly_the_data() {
    let f = fixture().await;
    let other = AgeKeyPair::generate();
    let both = AgeRecipients::parse([&other.public_key, &f.key.public_key]).unwrap();
    let e = export(&f, &both).await;
    let originals: Vec<Value> = ["mcp-secrets", "tls-cert"]
        .iter()
        .map(|n| secret(&f.sim, n).unwrap())
        .collect();
    delete_secret(&f.sim, "mcp-secrets").await;
    delete_secret(&f.sim, "tls-cert").await;

    // Either recipient's identity decrypts.
    let r = f
        .kube
        .restore_config_with(&f.ns, &e.yaml, &intent(false), Some(&f.key.identity))
        .await
        .unwrap();
    assert_eq!(r.created, vec!["secret/mcp-secrets", "secret/tls-cert"]);
    assert!(r.skipped.is_empty(), "{r:?}");
    assert_eq!(r.replaced.len(), 15);
    for original in &originals {
        let name = original["metadata"]["name"].as_str().unwrap();
        let back = secret(&f.sim, name).unwrap();
        assert_eq!(back["data"], original["data"], "{name}");
        assert_eq!(back["type"], original["type"], "{name}");
        let annotations = back["metadata"]["annotations"].as_object();
        assert!(
            annotations.is_none_or(|a| !a.keys().any(|k| k.starts_with("mcp-ops.io/"))),
            "{back}"
        );
    }
    assert_eq!(
        secret(&f.sim, "tls-cert").unwrap()["metadata"]["annotations"]["team"],
        "platform"
    );

    // The second identity, on Secrets that exist: replaced with the same data.
    let r = f
        .kube
        .restore_config_with(&f.ns, &e.yaml, &intent(false), Some(&other.identity))
        .await
        .unwrap();
    assert_eq!(r.replaced.len(), 17, "{r:?}");
    assert_eq!(
        secret(&f.sim, "mcp-secrets").unwrap()["data"],
        originals[0]["data"]
    );
}

async fn refused(f: &Fixture, yaml: &str, identity: &SecretValue, field: &str) -> Error {
    let before = snapshot(&f.sim);
    let mut last = None;
    for dry_run in [false, true] {
        let r: Result<_> = f
            .kube
            .restore_config_with(&f.ns, yaml, &intent(dry_run), Some(identity))
            .await;
        let e = r.unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { field: got, reason } if *got == field
                && reason.contains("secret/mcp-secrets")),
            "{e}"
        );
        assert!(!e.to_string().contains(identity.expose_str().unwrap()));
        assert_eq!(snapshot(&f.sim), before, "nothing is written");
        last = Some(e);
    }
    last.unwrap()
}

#[tokio::test]
async fn a_wrong_identity_or_a_damaged_blob_writes_nothing() {
    let f = fixture().await;
    let e = export(&f, &f.key.recipients().unwrap()).await;
    // The ConfigMap comes before the Secret in the file: it must not be restored either.
    let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
        kube::Api::namespaced(f.sim.client().unwrap(), NS);
    api.delete("mcp-config", &Default::default()).await.unwrap();
    delete_secret(&f.sim, "mcp-secrets").await;

    let wrong = AgeKeyPair::generate();
    refused(&f, &e.yaml, &wrong.identity, "age identity").await;
    assert!(f.sim.get("v1", "ConfigMap", NS, "mcp-config").is_none());
    assert!(secret(&f.sim, "mcp-secrets").is_none());

    // A blob cut short, and the blob of one Secret under another's key names.
    let mut d = docs(&e.yaml);
    let blob = d[1]["metadata"]["annotations"][DATA_AGE]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(d[1]["metadata"]["name"], "mcp-secrets");
    let cut: String = blob.lines().take(3).collect::<Vec<_>>().join("\n");
    d[1]["metadata"]["annotations"][DATA_AGE] = json!(cut);
    let damaged = serde_saphyr::to_string_multiple(&d).unwrap();
    refused(&f, &damaged, &f.key.identity, "configuration backup").await;
    let mut d = docs(&e.yaml);
    d[1]["metadata"]["annotations"][DATA_AGE] = d[2]["metadata"]["annotations"][DATA_AGE].clone();
    let swapped = serde_saphyr::to_string_multiple(&d).unwrap();
    refused(&f, &swapped, &f.key.identity, "configuration backup").await;
}

#[tokio::test]
async fn without_an_identity_encrypted_secrets_are_skipped() {
    let f = fixture().await;
    let e = export(&f, &f.key.recipients().unwrap()).await;
    delete_secret(&f.sim, "mcp-secrets").await;
    let r = f
        .kube
        .restore_config(&f.ns, &e.yaml, &intent(false))
        .await
        .unwrap();
    assert_eq!(
        r.skipped,
        vec![
            format!("secret/mcp-secrets: {NO_IDENTITY}"),
            format!("secret/tls-cert: {NO_IDENTITY}"),
        ]
    );
    assert_eq!(NO_IDENTITY, "encrypted: no identity given");
    assert!(secret(&f.sim, "mcp-secrets").is_none());
    assert_eq!(r.replaced.len(), 15);
}

#[tokio::test]
async fn a_dry_run_decrypts_and_writes_nothing() {
    let f = fixture().await;
    let e = export(&f, &f.key.recipients().unwrap()).await;
    delete_secret(&f.sim, "mcp-secrets").await;
    let before = snapshot(&f.sim);
    let r = f
        .kube
        .restore_config_with(&f.ns, &e.yaml, &intent(true), Some(&f.key.identity))
        .await
        .unwrap();
    assert!(r.dry_run);
    assert_eq!(r.created, vec!["secret/mcp-secrets"]);
    assert!(r.skipped.is_empty());
    assert_eq!(snapshot(&f.sim), before);
    assert!(secret(&f.sim, "mcp-secrets").is_none());
}

#[test]
fn bad_recipients_are_rejected_without_being_repeated() {
    let kp = AgeKeyPair::generate();
    let identity = kp.identity.expose_str().unwrap().to_owned();
    let lower = identity.to_lowercase();
    let good = kp.public_key.as_str();
    let truncated = &good[..good.len() - 3];
    let ssh =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHfJ0n2Zl9Xb7h5bNq8r1x4vqZyWv1M3N0bqg6mJ2c1d u@h";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "at least one"),
        (vec![""], "recipient 1 is empty"),
        (vec!["   "], "recipient 1 is empty"),
        (vec!["age1"], "recipient 1 is not an age X25519 public key"),
        (vec![identity.as_str()], "recipient 1 is an age secret key"),
        (vec![lower.as_str()], "recipient 1 is an age secret key"),
        (
            vec!["garbage"],
            "recipient 1 is not an age X25519 public key",
        ),
        (
            vec![truncated],
            "recipient 1 is not an age X25519 public key",
        ),
        (vec![ssh], "recipient 1 is an SSH key"),
        (
            vec![good, "age1qqqq"],
            "recipient 2 is not an age X25519 public key",
        ),
        (vec![good, ""], "recipient 2 is empty"),
    ];
    for (keys, why) in cases {
        let e = AgeRecipients::parse(&keys).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidInput { field: "age recipient", reason } if reason.contains(why)),
            "{keys:?}: {e}"
        );
        let text = e.to_string();
        for k in keys.iter().filter(|k| k.len() > 4) {
            assert!(!text.contains(*k), "the input is repeated: {text}");
        }
    }
    let other = AgeKeyPair::generate();
    let list = format!(" {good},{}\n{good} ", other.public_key);
    let parsed: AgeRecipients = list.parse().unwrap();
    assert_eq!(
        parsed.public_keys(),
        vec![good.to_owned(), other.public_key]
    );
    assert_eq!(parsed.len(), 2);
    let with_identity = format!("{good},{identity}");
    for bad in ["", ",", with_identity.as_str()] {
        assert!(bad.parse::<AgeRecipients>().is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn an_identity_that_is_not_a_secret_key_is_refused_before_anything() {
    let f = fixture().await;
    let e = export(&f, &f.key.recipients().unwrap()).await;
    delete_secret(&f.sim, "mcp-secrets").await;
    let before = snapshot(&f.sim);
    let public = f.key.public_key.clone();
    for bad in ["", "not-a-key", public.as_str()] {
        let r = f
            .kube
            .restore_config_with(
                &f.ns,
                &e.yaml,
                &intent(false),
                Some(&SecretValue::from_str_value(bad)),
            )
            .await;
        let e = r.unwrap_err();
        assert!(
            matches!(
                &e,
                Error::InvalidInput {
                    field: "age identity",
                    ..
                }
            ),
            "{e}"
        );
        if !bad.is_empty() {
            assert!(!e.to_string().contains(bad), "{e}");
        }
    }
    assert_eq!(snapshot(&f.sim), before);
}
