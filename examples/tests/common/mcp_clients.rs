//! The MCP clients nobody here wrote (the official Python and TypeScript SDKs, installed by
//! `scripts/test`) driving `ops mcp`: where they are, the server over stdio (the client starts
//! it) or over Streamable HTTP (started here, stopped on drop), and a client run's JSON.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How `scripts/test` installs the Python client (said by a test whose client is missing).
pub const PYTHON_INSTALL: &str = "python3 -m venv VENV && VENV/bin/pip install mcp==2.3.0 \
     jsonschema==4.26.0 && export MCP_OPS_MCP_PYTHON=VENV/bin/python (scripts/test does this)";

/// How `scripts/test` installs the TypeScript client.
pub const NODE_INSTALL: &str = "cd DIR && npm install --no-audit --no-fund --save-exact \
     @modelcontextprotocol/sdk@1.32.2 && export MCP_OPS_MCP_NODE_MODULES=DIR/node_modules \
     (scripts/test does this)";

/// The name the Python client gives in `initialize` (clientInfo.name).
pub const PYTHON_CLIENT_NAME: &str = "mcp-ops-python-tests";

/// A client run that takes longer than this is killed and fails the test.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(600);

/// The first this many of [`TOOLS`] are read-only.
pub const READ_ONLY_TOOLS: usize = 12;

/// Every tool of `ops mcp` (read-only first) and the command whose `schemas/<command>.schema.json` is its
/// output schema.
pub const TOOLS: &[(&str, &str)] = &[
    ("triage", "triage"),
    ("investigate_errors", "investigate-errors"),
    ("investigate_latency", "investigate-latency"),
    ("capacity", "capacity"),
    ("rollout_history", "history"),
    ("backups", "backups"),
    ("verify_backup", "verify"),
    ("audit", "audit"),
    ("incidents", "incident-list"),
    ("alerts", "alerts"),
    ("journal", "journal-show"),
    ("change_show", "change"),
    ("deploy", "deploy"),
    ("rollback", "rollback"),
    ("scale", "scale"),
    ("restore", "restore"),
    // Not in the design, served all the same: a configuration backup re-applied.
    ("restore_config", "restore-config"),
    ("rotate_secret", "rotate-secret"),
    ("maintenance", "maintenance"),
    ("quarantine", "quarantine"),
    ("silence", "silence"),
    ("incident_open", "incident-open"),
    ("incident_ack", "incident-ack"),
    ("incident_update", "incident-update"),
    ("incident_resolve", "incident-resolve"),
    ("backup", "backup"),
];

/// The `ops` binary the tests run (as `common::ops`: `MCP_OPS_TEST_OPS_BIN` overrides it).
pub fn ops_bin() -> PathBuf {
    std::env::var_os("MCP_OPS_TEST_OPS_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_ops").into())
        .into()
}

/// The environment every `ops` of these tests runs with: the test's private state directory.
pub fn server_env() -> Value {
    json!({ "MCP_OPS_STATE_DIR": super::common::state_dir() })
}

/// `ops <global…> mcp` as the JSON the client scripts take: the SDK's stdio client starts it.
pub fn stdio_server(global: &[String]) -> String {
    let mut args = global.to_vec();
    args.push("mcp".to_owned());
    json!({ "command": ops_bin(), "args": args, "env": server_env() }).to_string()
}

/// The venv's Python with the SDK (`MCP_OPS_MCP_PYTHON`); panics with the install command
/// when it is missing.
pub fn python() -> PathBuf {
    let Some(python) = std::env::var_os("MCP_OPS_MCP_PYTHON") else {
        panic!("the Python MCP SDK is not installed (MCP_OPS_MCP_PYTHON unset): {PYTHON_INSTALL}");
    };
    let python = PathBuf::from(python);
    assert!(
        python.exists(),
        "MCP_OPS_MCP_PYTHON={} does not exist: {PYTHON_INSTALL}",
        python.display()
    );
    python
}

/// The TypeScript SDK's `node_modules` (`MCP_OPS_MCP_NODE_MODULES`); panics with the install
/// command when it is missing.
pub fn node_modules() -> PathBuf {
    let Some(dir) = std::env::var_os("MCP_OPS_MCP_NODE_MODULES") else {
        panic!(
            "the TypeScript MCP SDK is not installed (MCP_OPS_MCP_NODE_MODULES unset): {NODE_INSTALL}"
        );
    };
    let dir = PathBuf::from(dir);
    let sdk = dir.join("@modelcontextprotocol/sdk/package.json");
    assert!(
        sdk.exists(),
        "{} does not exist: {NODE_INSTALL}",
        sdk.display()
    );
    dir
}

/// `node` on PATH (the TypeScript client's runtime); panics with the install command when it
/// is missing.
pub fn node() -> assert_cmd::Command {
    let found = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "node is not on PATH: apt-get install nodejs npm (scripts/test does this), then {NODE_INSTALL}"
    );
    assert_cmd::Command::new("node")
}

/// A client script of `tests/mcp_clients/`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mcp_clients")
        .join(name)
}

/// Runs `program args…`, asserts exit 0 (else panics with its stderr) and returns the JSON
/// document it printed.
pub fn client_json(mut cmd: assert_cmd::Command, what: &str) -> Value {
    let out = cmd.timeout(CLIENT_TIMEOUT).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout {stdout}\nstderr {stderr}",
        out.status.code()
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{what}: {e}: stdout {stdout}\nstderr {stderr}"))
}

/// How the Python client reaches the server.
#[derive(Debug, Clone)]
pub enum Transport {
    /// It starts `ops <global…> mcp` itself (the JSON of [`stdio_server`]).
    Stdio(String),
    /// Streamable HTTP at this URL, with this bearer token (none: no Authorization header).
    Http(String, Option<String>),
}

impl Transport {
    fn args(&self) -> Vec<String> {
        match self {
            Self::Stdio(server) => vec!["--stdio".into(), server.clone()],
            Self::Http(url, token) => {
                let mut v = vec!["--http".into(), url.clone()];
                if let Some(t) = token {
                    v.extend(["--token".into(), t.clone()]);
                }
                v
            }
        }
    }

    /// The same transport with another token (HTTP) or unchanged (stdio).
    pub fn with_token(&self, token: Option<&str>) -> Self {
        match self {
            Self::Stdio(_) => self.clone(),
            Self::Http(url, _) => Self::Http(url.clone(), token.map(str::to_owned)),
        }
    }
}

/// `client.py <transport> args…` on the SDK: the document it printed.
pub fn python_client(transport: &Transport, args: &[&str]) -> Value {
    let mut cmd = assert_cmd::Command::new(python());
    cmd.arg(script("client.py"))
        .args(transport.args())
        .args(args);
    client_json(cmd, &format!("client.py {args:?}"))
}

/// One tool call through the Python client: `{isError, structuredContent, text, schemaErrors}`;
/// asserts the SDK's own check of the result accepted it (no `sdkError`).
pub fn call(transport: &Transport, tool: &str, arguments: &Value) -> Value {
    let doc = python_client(transport, &["call", tool, &arguments.to_string()]);
    assert!(
        doc.get("sdkError").is_none(),
        "the Python SDK refuses the result of {tool}: {doc}"
    );
    doc
}

/// `ops mcp --new-token handle --tokens file`: the token it printed (exit 0, one line).
pub fn new_token(handle: &str, tokens: &Path) -> String {
    let out = super::common::ops()
        .args(["mcp", "--new-token", handle, "--tokens"])
        .arg(tokens)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "--new-token {handle}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = stdout.trim().to_owned();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{stdout:?}"
    );
    token
}

/// `ops <global…> mcp --listen 127.0.0.1:PORT [more…]` serving Streamable HTTP, stopped
/// (killed) on drop; its stderr goes to a file shown when a test fails.
pub struct HttpServer {
    child: Child,
    /// `http://127.0.0.1:PORT/mcp`.
    pub url: String,
    log: tempfile::NamedTempFile,
}

impl HttpServer {
    /// Starts the server and waits (at most 60 s) until it accepts connections.
    pub fn start(global: &[String], more: &[&str]) -> Self {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut cmd = std::process::Command::new(ops_bin());
        for var in super::common::CALLER_SETTINGS {
            cmd.env_remove(var);
        }
        let listen = format!("127.0.0.1:{port}");
        let child = cmd
            .env("MCP_OPS_STATE_DIR", super::common::state_dir())
            .args(global)
            .args(["mcp", "--listen", &listen])
            .args(more)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            url: format!("http://{listen}/mcp"),
            log,
        };
        let addr: SocketAddr = listen.parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("ops mcp --listen exited {status}: {}", server.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "ops mcp --listen {listen} not listening after 60 s: {}",
                server.stderr()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        let mut text = String::new();
        std::fs::File::open(self.log.path())
            .and_then(|mut f| f.read_to_string(&mut text))
            .unwrap();
        text
    }

    /// The Python client's transport to this server with `token`.
    pub fn transport(&self, token: Option<&str>) -> Transport {
        Transport::Http(self.url.clone(), token.map(str::to_owned))
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("ops mcp --listen stderr:\n{}", self.stderr());
        }
    }
}

/// A loopback port nobody listens on (the OS's pick, released for the server).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `schemas/<command>.schema.json`.
pub fn command_schema(command: &str) -> Value {
    super::common::schema(command)
}
