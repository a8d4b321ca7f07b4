//! A Secret's rotation bookkeeping under a concurrent writer: the annotation
//! `mcp-ops.io/rotation` holds every key's version, so a rotation of one key must not write
//! back another key's version as it was read. A writer bumps key `b`'s version in a loop
//! (read-modify-write at the resourceVersion it read) while the backend stages and applies
//! new values of key `a`; every call succeeds or fails with a typed `Conflict`, and the final
//! Secret holds both.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use mcp_ops_core::secrets::{SecretKeyRef, SecretRotator};
use mcp_ops_core::types::{SecretSpec, SecretValue};
use mcp_ops_core::{Error, Result};
use mcp_ops_k8s::secrets::ROTATION_ANNOTATION;
use serde_json::{Value, json};

use crate::real_support::*;

fn version_of(s: &Secret, key: &str) -> u64 {
    s.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ROTATION_ANNOTATION))
        .and_then(|v| serde_json::from_str::<Value>(v).ok())
        .and_then(|v| v[key]["version"].as_u64())
        .unwrap_or(1)
}

fn ok_or_conflict<T>(what: &str, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(Error::Conflict { .. }) => {
            eprintln!("{what}: typed Conflict");
            None
        }
        Err(e) => panic!("{what}: neither success nor a typed Conflict: {e:?}"),
    }
}

#[tokio::test]
async fn rotation_bookkeeping_races_a_concurrent_writer_without_losing_either() {
    let cp = shared().await;
    let ns = Ns::new(cp, "conflicts-rotation").await;
    cp.kubectl(&[
        "create",
        "secret",
        "generic",
        "app",
        "-n",
        &ns,
        "--from-literal=a=first-a",
        "--from-literal=b=first-b",
    ])
    .await
    .unwrap();
    let api = Api::<Secret>::namespaced(cp.client().await.unwrap(), &ns);
    let k = cp.cluster(&ns).await.unwrap();
    let a = SecretKeyRef::new(&ns, "app", "a").unwrap();

    // The writer: key b's version + 1 per accepted update.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (api, stop) = (api.clone(), stop.clone());
        tokio::spawn(async move {
            let mut accepted = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut s = api.get("app").await.unwrap();
                let annotations = s.metadata.annotations.get_or_insert_with(Default::default);
                let mut states: Value = annotations
                    .get(ROTATION_ANNOTATION)
                    .map_or(json!({}), |v| serde_json::from_str(v).unwrap());
                let b = states["b"]["version"].as_u64().unwrap_or(1);
                states["b"] = json!({"version": b + 1});
                annotations.insert(ROTATION_ANNOTATION.into(), states.to_string());
                match api.replace("app", &PostParams::default(), &s).await {
                    Ok(_) => accepted += 1,
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => panic!("writer: {e}"),
                }
            }
            accepted
        })
    };

    let mut applied = 0;
    let mut current = SecretValue::from_str_value("first-a").fingerprint();
    for _ in 0..5 {
        let value = SecretValue::generate(&SecretSpec::JWT).unwrap();
        // A stage left over from an apply that lost its race is applied now.
        ok_or_conflict("stage", k.stage(&a, &value, &intent("stage a")).await);
        if let Some(v) = ok_or_conflict("apply", k.apply(&a, &intent("apply a")).await) {
            applied += 1;
            current = v.fingerprint;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let accepted = writer.await.unwrap();
    assert!(accepted > 0, "the writer never got a write in");

    let s = api.get("app").await.unwrap();
    assert_eq!(
        version_of(&s, "b"),
        1 + accepted,
        "every version of b the writer wrote is kept"
    );
    assert_eq!(
        version_of(&s, "a"),
        1 + applied,
        "every applied version of a"
    );
    assert_eq!(k.current(&a).await.unwrap().fingerprint, current);
    let b = SecretKeyRef::new(&ns, "app", "b").unwrap();
    assert_eq!(
        k.current(&b).await.unwrap().fingerprint,
        SecretValue::from_str_value("first-b").fingerprint()
    );
}
