//! `ops mcp` after review: a pod's scope is its deployment's (not a name prefix), the HTTP
//! `Host` check and bearer scheme, tokens of people outside the team, the start banner and
//! SIMULATED instructions, global flags that do not apply to a server, incident timelines of
//! the incident commands, and the silence's author.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/rmcp_agent.rs"]
mod rmcp_agent;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use rmcp::model::ReadResourceRequestParams;
use rmcp_agent::{doc, ops_json, start, text};
use serde_json::json;

const API: &str = "mcp-typescript-api";
const EVIL: &str = "mcp-typescript-api-evil";

/// The runbook's platform with one more deployment, `mcp-typescript-api-evil`, outside the
/// `[mcp]` scope (the runbook's three deployments).
fn platform_with_evil(dir: &std::path::Path) -> String {
    let runbook = include_str!("../platforms/runbook.toml");
    let evil = format!(
        "[[deployments]]\nname = \"{EVIL}\"\nrole = \"worker\"\nreplicas = 1\ncontainers = [\n  \
         {{ name = \"{EVIL}\", image = \"ghcr.io/your-org/mcp-typescript-server:v1.0.0\", port = 3001 }},\n]\n\n\
         [[health]]"
    );
    assert!(runbook.contains("[[health]]"), "runbook.toml changed");
    let mut text = runbook.replacen("[[health]]", &evil, 1);
    text.push_str(&format!(
        "\n[mcp]\nnamespaces = [\"mcp-production\"]\n\
         deployments = [\"{API}\", \"mcp-learning-system\", \"mcp-rust-server\"]\n"
    ));
    let path = dir.join("platform.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_pod_is_in_scope_only_as_a_pod_of_an_allowed_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let platform = platform_with_evil(dir.path());
    let agent = start("oncall", &["--platform", &platform]).await;
    let r = agent
        .call(
            "quarantine",
            json!({"pod": format!("{EVIL}-77b9464b56-j56kj")}),
        )
        .await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    assert!(
        text(&r).contains("outside this server's scope: pod"),
        "{}",
        text(&r)
    );
    // Not `<deployment>-<hash>-<suffix>` after the longest deployment: refused too.
    for pod in [
        format!("{API}-x-77b9464b56-j56kj"),
        format!("{API}-77b9464b56"),
    ] {
        let r = agent.call("quarantine", json!({"pod": pod})).await;
        assert!(
            text(&r).contains("outside this server's scope: pod"),
            "{pod}: {}",
            text(&r)
        );
    }
    // A real pod of an allowed deployment is planned as before.
    let audit = doc(&agent.call("audit", json!({})).await);
    let pod = audit["report"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["pod"].as_str())
        .find(|p| p.starts_with(&format!("{API}-")) && !p.starts_with(EVIL))
        .unwrap_or_else(|| panic!("no pod of {API} in {audit}"))
        .to_owned();
    let r = agent.call("quarantine", json!({"pod": pod})).await;
    assert_eq!(doc(&r)["status"], "planned", "{}", text(&r));
    agent.client.cancel().await.unwrap();
}

/// `ops --as oncall mcp --listen ADDR more…`, killed on drop.
struct Listening {
    child: Child,
    addr: SocketAddr,
}

impl Listening {
    fn start(listen: &str, more: &[&str]) -> Self {
        let port: u16 = listen.rsplit(':').next().unwrap().parse().unwrap();
        let bin = std::env::var_os("MCP_OPS_TEST_OPS_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_ops").into());
        let mut cmd = std::process::Command::new(bin);
        for var in common::CALLER_SETTINGS {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .env("MCP_OPS_STATE_DIR", common::state_dir())
            .args(["--as", "oncall", "mcp", "--listen", listen])
            .args(more)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("ops mcp --listen {listen} exited {status}");
            }
            assert!(Instant::now() < deadline, "not listening on {listen}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, addr }
    }

    /// The status code of an `initialize` POST with `Host: host` and `authorization`.
    fn initialize(&self, host: &str, authorization: Option<&str>) -> u16 {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "hardening", "version": "0"}}})
        .to_string();
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n") && stream.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let line = String::from_utf8_lossy(&head).into_owned();
        line.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {line:?}"))
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A 0600 tokens file with `lines`.
fn tokens_file(dir: &std::path::Path, lines: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join("tokens");
    std::fs::write(&path, lines).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

#[test]
fn with_tokens_any_host_is_answered_and_the_scheme_is_read_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let token = "hardening-oncall-token";
    let file = tokens_file(
        dir.path(),
        &format!("oncall sha256:{}\n", sha256_hex(token)),
    );
    let port = common_free_port();
    let server = Listening::start(
        &format!("127.0.0.1:{port}"),
        &["--tokens", file.to_str().unwrap()],
    );
    // A client reaching the server by its public address, or through a proxy's name.
    for host in [format!("192.0.2.2:{port}"), "ops.example.org".to_owned()] {
        assert_eq!(
            server.initialize(&host, Some(&format!("Bearer {token}"))),
            200,
            "{host}"
        );
    }
    assert_eq!(
        server.initialize("192.0.2.2", Some(&format!("bearer {token}"))),
        200
    );
    assert_eq!(
        server.initialize("192.0.2.2", Some(&format!("BEARER {token}"))),
        200
    );
    assert_eq!(server.initialize("192.0.2.2", Some("Bearer wrong")), 401);
    assert_eq!(server.initialize("192.0.2.2", None), 401);
}

#[test]
fn without_tokens_only_loopback_and_the_allowed_hosts_are_answered() {
    let port = common_free_port();
    let server = Listening::start(
        &format!("localhost:{port}"),
        &["--allowed-host", "ops.internal"],
    );
    assert_eq!(server.initialize(&format!("localhost:{port}"), None), 200);
    assert_eq!(server.initialize(&format!("127.0.0.1:{port}"), None), 200);
    assert_eq!(
        server.initialize(&format!("ops.internal:{port}"), None),
        200
    );
    assert_eq!(server.initialize("rebound.example.com", None), 403);
}

fn common_free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_token_of_someone_outside_the_team_refuses_the_start_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mallory = sha256_hex("mallorytoken");
    let file = tokens_file(
        dir.path(),
        &format!(
            "oncall sha256:{}\nmallory sha256:{mallory}\n",
            sha256_hex("x")
        ),
    );
    let path = file.to_str().unwrap();
    let out = common::ops()
        .args(["--as", "oncall", "mcp", "--listen", "127.0.0.1:0"])
        .args(["--tokens", path])
        // A server that started anyway would serve until killed.
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(path) && stderr.contains("line 2") && stderr.contains("mallory"),
        "{stderr}"
    );
    assert!(!stderr.contains(&mallory), "{stderr}");
}

#[test]
fn global_flags_that_do_not_apply_to_a_server_are_refused() {
    for (flags, says) in [
        (&["--dry-run"][..], "--dry-run does not apply to ops mcp"),
        (&["--change", "CR-2026-001"][..], "--change does not apply"),
        (&["--output", "json"][..], "--output does not apply"),
    ] {
        let args: Vec<&str> = flags.iter().copied().chain(["mcp"]).collect();
        common::bad_input(&args);
        let out = common::ops().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_simulated_cluster_is_said_at_start_and_in_the_instructions() {
    // stderr: the banner, printed before the server waits for its client.
    let out = common::ops()
        .args(["--as", "oncall", "mcp"])
        .write_stdin("")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let banner = stderr.lines().next().unwrap_or_default();
    for part in [
        "ops: embedded simulated cluster",
        "SIMULATED",
        "caller oncall",
        "namespaces mcp-production",
        API,
    ] {
        assert!(banner.contains(part), "{part}: {stderr}");
    }
    let agent = start("oncall", &[]).await;
    let info = agent.client.peer_info().unwrap();
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(instructions.contains("SIMULATED"), "{instructions}");
    assert!(
        instructions.contains("Mutating tools return the dry-run plan"),
        "{instructions}"
    );
    agent.client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_incident_of_the_cli_has_its_journal_and_timeline() {
    let opened = ops_json("oncall", &["incident", "open", "api down hardening"]);
    let report = &opened["report"];
    let id = report["incident"]
        .as_str()
        .or_else(|| report["incident"]["id"].as_str())
        .unwrap_or_else(|| panic!("no incident id: {opened}"))
        .to_owned();
    let journal = ops_json("oncall", &["journal", "show", "--incident", &id]);
    let records = journal["report"]["records"].as_array().unwrap();
    assert!(!records.is_empty(), "{journal}");
    assert!(
        records.iter().all(|r| r["incident"] == id.as_str()),
        "{journal}"
    );
    let agent = start("oncall", &[]).await;
    let read = agent
        .client
        .read_resource(ReadResourceRequestParams::new(format!(
            "incident://{id}/timeline"
        )))
        .await
        .unwrap();
    let body = serde_json::to_string(&read).unwrap();
    assert!(body.contains(&id), "{body}");
    agent.client.cancel().await.unwrap();
}

#[test]
fn a_silence_is_created_by_the_caller() {
    let doc = ops_json("team-lead", &["silence", "HighErrorRate", "--minutes", "5"]);
    assert_eq!(doc["report"]["request"]["created_by"], "team-lead", "{doc}");
}
