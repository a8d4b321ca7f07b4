//! kubectl 1.32+ sends protobuf bodies from its typed clients (`create job --from`, `create
//! secret`, `create configmap|deployment|...`, `autoscale`, `debug`). These tests run kubectl
//! built at the control plane's release (v1.36, path in `MCP_OPS_KUBECTL`) against a
//! SimCluster and check that what the simulator stores is what kubectl would have sent as JSON
//! (`--dry-run=client -o json` of the same command). A missing kubectl is a failure, never a
//! skip.
#![cfg(feature = "sim")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::Run;
use mcp_ops_k8s::sim::{Scenario, SimCluster};
use serde_json::{Value, json};
use std::path::PathBuf;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NS: &str = "mcp-production";
const PROTOBUF_SENT: &str = "Content-Type: application/vnd.kubernetes.protobuf";

/// Checks that the kubectl named by `MCP_OPS_KUBECTL` is 1.32 or newer (older ones send JSON).
fn assert_protobuf_kubectl() {
    const HOW: &str = "build it with scripts/build-control-plane (scripts/test builds it and exports MCP_OPS_KUBECTL)";
    let Some(path) = std::env::var_os("MCP_OPS_KUBECTL").map(PathBuf::from) else {
        panic!(
            "MCP_OPS_KUBECTL is not set: these tests need kubectl built at the control plane's release (v1.36), which sends protobuf bodies; {HOW}"
        );
    };
    let out = std::process::Command::new(&path)
        .args(["version", "--client", "-o", "json"])
        .output()
        .unwrap_or_else(|e| panic!("running {} failed: {e}; {HOW}", path.display()));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let minor: u32 = v["clientVersion"]["minor"]
        .as_str()
        .and_then(|m| m.trim_end_matches('+').parse().ok())
        .unwrap_or(0);
    assert!(
        minor >= 32,
        "MCP_OPS_KUBECTL={} is kubectl 1.{minor}, which sends JSON, not protobuf; {HOW}",
        path.display()
    );
}

/// kubectl v1.36 bound to one cluster (the shared runner), every command in `mcp-production`.
struct Kubectl {
    inner: common::Kubectl,
}

impl Kubectl {
    fn new(cluster: &SimCluster) -> Self {
        assert_protobuf_kubectl();
        Self {
            inner: common::Kubectl::new(cluster),
        }
    }

    /// Runs `kubectl -n mcp-production ARGS`.
    async fn run(&self, args: &[&str]) -> Run {
        let mut a = vec!["-n", NS];
        a.extend_from_slice(args);
        self.inner.run(&a).await
    }

    /// Runs a write, asserting it succeeded and went out as protobuf (request headers are
    /// logged at `-v=7`).
    async fn write_protobuf(&self, args: &[&str]) -> Run {
        let mut a = vec!["-v=7"];
        a.extend_from_slice(args);
        let run = self.run(&a).await.ok();
        assert!(
            run.stderr.contains(PROTOBUF_SENT),
            "kubectl {args:?} did not send protobuf:\n{}",
            run.stderr
        );
        run
    }

    /// The object kubectl would send for `args` as JSON: `--dry-run=client -o json`.
    async fn would_send(&self, args: &[&str]) -> Value {
        let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
        let mut a = args[..split].to_vec();
        a.extend(["--dry-run=client", "-o", "json"]);
        a.extend_from_slice(&args[split..]);
        serde_json::from_str(&self.run(&a).await.ok().stdout).unwrap()
    }
}

async fn prod() -> (SimCluster, Kubectl) {
    let c = SimCluster::start(Scenario::mcp_production().server_minor(36))
        .await
        .unwrap();
    let k = Kubectl::new(&c);
    (c, k)
}

/// Whether every field kubectl sent is stored with the same value (the server adds uid,
/// timestamps, defaults and status; a `null` sent is an unset Go field).
fn contains(stored: &Value, sent: &Value, path: &str) -> Result<(), String> {
    match (stored, sent) {
        (_, Value::Null) => Ok(()),
        (Value::Object(s), Value::Object(w)) => w.iter().try_for_each(|(k, v)| {
            let p = format!("{path}.{k}");
            match s.get(k) {
                Some(sv) => contains(sv, v, &p),
                None if v.is_null() => Ok(()),
                None => Err(format!("{p} missing (sent {v})")),
            }
        }),
        (Value::Array(s), Value::Array(w)) if s.len() == w.len() => s
            .iter()
            .zip(w)
            .enumerate()
            .try_for_each(|(i, (sv, wv))| contains(sv, wv, &format!("{path}[{i}]"))),
        _ if stored == sent => Ok(()),
        _ => Err(format!("{path}: stored {stored}, sent {sent}")),
    }
}

/// Runs a typed-client create and checks the stored object against kubectl's JSON of it.
async fn create_and_compare(c: &SimCluster, k: &Kubectl, args: &[&str]) -> Value {
    let sent = k.would_send(args).await;
    k.write_protobuf(args).await;
    let api_version = sent["apiVersion"].as_str().unwrap();
    let kind = sent["kind"].as_str().unwrap();
    let ns = sent["metadata"]["namespace"].as_str().unwrap_or("");
    let name = sent["metadata"]["name"].as_str().unwrap();
    let stored = c
        .get(api_version, kind, ns, name)
        .unwrap_or_else(|| panic!("{kind} {name} was not stored"));
    // Status belongs to the controllers (and a real API server ignores it on create).
    let mut sent = sent;
    if let Some(m) = sent.as_object_mut() {
        m.remove("status");
    }
    if let Err(e) = contains(&stored, &sent, "") {
        panic!("kubectl {args:?}: {e}\nstored: {stored}\nsent: {sent}");
    }
    stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_job_from_cronjob_is_stored_as_sent_and_runs() {
    let (c, k) = prod().await;
    let args = [
        "create",
        "job",
        "backup-pb",
        "--from=cronjob/postgres-backup",
    ];
    let j = create_and_compare(&c, &k, &args).await;
    assert_eq!(
        j["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    assert_eq!(j["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    let cj = c.get("batch/v1", "CronJob", NS, "postgres-backup").unwrap();
    assert_eq!(
        j["spec"]["template"]["spec"],
        cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    );
    k.run(&[
        "wait",
        "--for=condition=complete",
        "job/backup-pb",
        "--timeout=30s",
    ])
    .await
    .ok();
    let logs = k.run(&["logs", "job/backup-pb"]).await.ok();
    assert!(logs.stdout.lines().count() >= 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_secret_generic_keeps_every_byte() {
    use base64::Engine as _;
    let (c, k) = prod().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    let blob: Vec<u8> = (0..=255u8).collect();
    std::fs::write(&file, &blob).unwrap();
    let from_file = format!("--from-file=blob={}", file.display());
    let args = [
        "create",
        "secret",
        "generic",
        "db-pb",
        "--from-literal=username=admin",
        "--from-literal=password=p@ss:w0rd/=+ü",
        "--from-literal=empty=",
        &from_file,
    ];
    let s = create_and_compare(&c, &k, &args).await;
    let b64 = |b: &[u8]| json!(base64::engine::general_purpose::STANDARD.encode(b));
    assert_eq!(s["type"], "Opaque");
    assert_eq!(s["data"]["password"], b64("p@ss:w0rd/=+ü".as_bytes()));
    assert_eq!(s["data"]["empty"], "");
    assert_eq!(s["data"]["blob"], b64(&blob));
    let got = k
        .run(&["get", "secret", "db-pb", "-o", "jsonpath={.data.username}"])
        .await
        .ok();
    assert_eq!(got.stdout, "YWRtaW4=");
    // A server-side dry run is a protobuf POST too, and stores nothing.
    k.write_protobuf(&[
        "create",
        "secret",
        "generic",
        "dry-pb",
        "--from-literal=a=b",
        "--dry-run=server",
    ])
    .await;
    assert!(c.get("v1", "Secret", NS, "dry-pb").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_typed_creates_are_stored_as_sent() {
    let (c, k) = prod().await;
    let cases: &[&[&str]] = &[
        &[
            "create",
            "configmap",
            "cm-pb",
            "--from-literal=a=1",
            "--from-literal=b=",
        ],
        &[
            "create",
            "secret",
            "docker-registry",
            "reg-pb",
            "--docker-server=r.example",
            "--docker-username=u",
            "--docker-password=p",
        ],
        &[
            "create",
            "deployment",
            "zero-pb",
            "--image=nginx:1.25",
            "--replicas=0",
            "--port=8080",
        ],
        &["create", "namespace", "ns-pb"],
        &["create", "serviceaccount", "sa-pb"],
        &[
            "create",
            "service",
            "clusterip",
            "svc-pb",
            "--tcp=80:8080",
            "--tcp=443:https",
        ],
        &[
            "create",
            "ingress",
            "ing-pb",
            "--rule=foo.com/bar*=svc-pb:80,tls=my-cert",
            "--class=nginx",
        ],
        &[
            "create",
            "cronjob",
            "cj-pb",
            "--image=busybox",
            "--schedule=*/5 * * * *",
            "--",
            "echo",
            "hi",
        ],
        &[
            "create",
            "job",
            "job-pb",
            "--image=busybox",
            "--",
            "echo",
            "hi",
        ],
        &[
            "autoscale",
            "deployment",
            "mcp-typescript-api",
            "--min=2",
            "--max=5",
            "--cpu=80%",
            "--name=hpa-pb",
        ],
    ];
    for args in cases {
        create_and_compare(&c, &k, args).await;
    }
    let d = c.get("apps/v1", "Deployment", NS, "zero-pb").unwrap();
    assert_eq!(d["spec"]["replicas"], 0, "a pointer to 0 is kept");
    let h = c
        .get("autoscaling/v2", "HorizontalPodAutoscaler", NS, "hpa-pb")
        .unwrap();
    assert_eq!(
        h["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
        80
    );
    // A deployment created as protobuf rolls out like any other.
    create_and_compare(
        &c,
        &k,
        &[
            "create",
            "deployment",
            "web-pb",
            "--image=nginx:1.25",
            "--replicas=2",
        ],
    )
    .await;
    let st = k
        .run(&["rollout", "status", "deployment/web-pb", "--timeout=30s"])
        .await
        .ok();
    assert!(
        st.stdout.contains("successfully rolled out"),
        "{}",
        st.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_copy_replace_sends_a_pod_and_delete_options_as_protobuf() {
    let (c, k) = prod().await;
    let original = c
        .list("v1", "Pod", Some(NS))
        .into_iter()
        .find(|p| p["metadata"]["labels"]["app"] == "mcp-rust-server")
        .unwrap();
    let name = original["metadata"]["name"].as_str().unwrap().to_string();
    let run = k
        .write_protobuf(&[
            "debug",
            &name,
            "--copy-to=rust-debug",
            "--replace",
            "--image=busybox",
            "--container=dbg",
            "--",
            "sleep",
            "1",
        ])
        .await;
    assert!(
        run.stderr.matches(PROTOBUF_SENT).count() >= 2,
        "the POST of the copy and the DELETE of the original:\n{}",
        run.stderr
    );
    let copy = c.get("v1", "Pod", NS, "rust-debug").unwrap();
    let containers = copy["spec"]["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[1]["name"], "dbg");
    assert_eq!(copy["spec"]["shareProcessNamespace"], true);
    assert!(
        c.get("v1", "Pod", NS, &name).is_none(),
        "the original was deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_without_eviction_deletes_with_protobuf_delete_options() {
    let (c, k) = prod().await;
    let node = "ip-10-0-1-11";
    let uids_on_node = |c: &SimCluster| -> Vec<String> {
        c.list("v1", "Pod", None)
            .into_iter()
            .filter(|p| p["spec"]["nodeName"] == node)
            .map(|p| p["metadata"]["uid"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let before = uids_on_node(&c);
    assert!(!before.is_empty(), "the scenario has pods on {node}");
    let run = k
        .write_protobuf(&[
            "drain",
            node,
            "--disable-eviction",
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--timeout=60s",
        ])
        .await;
    assert!(
        run.stdout.contains(&format!("node/{node} drained")),
        "{}",
        run.stdout
    );
    assert_eq!(
        c.get("v1", "Node", "", node).unwrap()["spec"]["unschedulable"],
        true
    );
    let after = uids_on_node(&c);
    assert!(
        before.iter().all(|u| !after.contains(u)),
        "every pod was deleted"
    );
}

/// One plain HTTP/1.1 exchange with the simulator: (status, headers, body).
async fn http(
    c: &SimCluster,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let addr = c.url().trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (code, head, out[split + 4..].to_vec())
}

fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, number: u8, bytes: &[u8]) {
        out.push(number << 3 | 2);
        let mut n = bytes.len();
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(bytes);
    }
    let mut type_meta = Vec::new();
    field(&mut type_meta, 1, api_version.as_bytes());
    field(&mut type_meta, 2, kind.as_bytes());
    let mut out = b"k8s\0".to_vec();
    field(&mut out, 1, &type_meta);
    field(&mut out, 2, raw);
    out
}

const PB: &str = "application/vnd.kubernetes.protobuf";

fn status_of(code: u16, body: &[u8]) -> Value {
    let s: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        (s["kind"].as_str(), s["code"].as_u64()),
        (Some("Status"), Some(u64::from(code)))
    );
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_protobuf_gets_a_415_status_naming_the_kind() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let secrets = format!("/api/v1/namespaces/{NS}/secrets");
    let role = envelope("rbac.authorization.k8s.io/v1", "Role", &[0x0a, 0]);
    let (code, _, body) = http(&c, "POST", &secrets, &[("Content-Type", PB)], &role).await;
    assert_eq!(code, 415);
    let s = status_of(415, &body);
    assert_eq!(s["reason"], "UnsupportedMediaType");
    assert_eq!(s["details"]["kind"], "Role");
    assert!(s["message"].as_str().unwrap().contains("kind Role"), "{s}");
    // A Secret whose metadata is cut short: 415 naming Secret, and nothing stored.
    let broken = envelope("v1", "Secret", &[0x0a, 9, 0x0a, 4, b'x']);
    let (code, _, body) = http(&c, "POST", &secrets, &[("Content-Type", PB)], &broken).await;
    assert_eq!(code, 415);
    assert!(
        status_of(415, &body)["message"]
            .as_str()
            .unwrap()
            .contains("kind Secret")
    );
    let (code, _, body) = http(&c, "POST", &secrets, &[("Content-Type", PB)], b"{}").await;
    assert_eq!(code, 415);
    status_of(415, &body);
    // A protobuf Secret sent to configmaps is refused like its JSON would be.
    let secret = envelope("v1", "Secret", &[0x0a, 4, 0x0a, 2, b'x', b'y']);
    let cms = format!("/api/v1/namespaces/{NS}/configmaps");
    let (code, _, _) = http(&c, "POST", &cms, &[("Content-Type", PB)], &secret).await;
    assert_eq!(code, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protobuf_put_and_json_answers_to_a_protobuf_accept() {
    let c = SimCluster::start(Scenario::mcp_production()).await.unwrap();
    let path = format!("/api/v1/namespaces/{NS}/configmaps");
    // ConfigMap{metadata{name: "pb"}, data{"k": "v1"}}
    let cm = |v: u8| {
        envelope(
            "v1",
            "ConfigMap",
            &[
                0x0a, 4, 0x0a, 2, b'p', b'b', 0x12, 7, 0x0a, 1, b'k', 0x12, 2, b'v', v,
            ],
        )
    };
    let accept = (
        "Accept",
        "application/vnd.kubernetes.protobuf,application/json",
    );
    let (code, head, body) = http(
        &c,
        "POST",
        &path,
        &[("Content-Type", PB), accept],
        &cm(b'1'),
    )
    .await;
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let created: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(created["data"], json!({"k": "v1"}));
    let (code, _, body) = http(
        &c,
        "PUT",
        &format!("{path}/pb"),
        &[("Content-Type", PB), accept],
        &cm(b'2'),
    )
    .await;
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        c.get("v1", "ConfigMap", NS, "pb").unwrap()["data"]["k"],
        "v2"
    );
    let (code, head, body) = http(&c, "GET", &format!("{path}/pb"), &[accept], b"").await;
    assert_eq!(code, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["data"]["k"],
        "v2"
    );
}
