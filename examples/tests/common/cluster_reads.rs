//! Reading the test namespace back with kubectl, independently of `ops`: objects as JSON,
//! pods, rollout state, images and Secret values.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::control_plane::Namespaced;

impl Namespaced {
    /// `kubectl get <what> -o json` in the namespace.
    pub fn get(&self, what: &[&str]) -> Value {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        args.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl(&args)).unwrap()
    }

    /// `kubectl get <what> -o jsonpath=<path>`, trimmed.
    pub fn jsonpath(&self, what: &[&str], path: &str) -> String {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        let path = format!("jsonpath={path}");
        args.extend(["-o", path.as_str()]);
        self.kubectl(&args).trim().to_owned()
    }

    /// Names of the namespace's pods matching `selector`, sorted (pods being deleted left out).
    pub fn pods(&self, selector: &str) -> Vec<String> {
        let list = self.get(&["pods", "-l", selector]);
        let mut names: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    }

    /// Polls `check` every 250 ms until it holds or `limit` passes (then panics with `what`).
    pub fn eventually(&self, limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
        let start = Instant::now();
        while !check() {
            assert!(start.elapsed() < limit, "not within {limit:?}: {what}");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Whether a deployment's rollout is complete at `replicas`: the controller saw its
    /// generation and every replica is updated and available, none left over.
    pub fn rolled_out(&self, deployment: &str, replicas: u64) -> bool {
        let d = self.get(&["deployment", deployment]);
        let s = &d["status"];
        s["observedGeneration"] == d["metadata"]["generation"]
            && s["updatedReplicas"] == json!(replicas)
            && s["availableReplicas"] == json!(replicas)
            && s["replicas"] == json!(replicas)
    }

    /// The images of the pods matching `selector` (pods being deleted left out).
    pub fn images(&self, selector: &str) -> Vec<String> {
        let list = self.get(&["pods", "-l", selector]);
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| {
                p["spec"]["containers"][0]["image"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// A key of a Secret, decoded by kubectl.
    pub fn secret_value(&self, secret: &str, key: &str) -> String {
        let template = format!("go-template={{{{index .data \"{key}\" | base64decode}}}}");
        self.kubectl(&["get", "secret", secret, "-o", &template])
    }
}
