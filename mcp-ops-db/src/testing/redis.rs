//! [`TestRedis`]: a throw-away Redis server.

use super::TEST_REDIS_URL;
use super::process::{free_port, log_tail, signal, stop};
use crate::tools::find_on_path;
use crate::{DbError, RedisConfig, Result};
use mcp_ops_core::SecretValue;
use rustix::process::Signal;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The command that installs Redis.
pub const REDIS_INSTALL: &str = "apt-get install -y redis-server";

/// A Redis server for tests (no persistence), stopped on drop.
pub struct TestRedis {
    url: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestRedis")
            .field("owned", &self.child.is_some())
            .finish()
    }
}

impl TestRedis {
    /// Uses `MCP_OPS_TEST_REDIS_URL` when set, else starts a private server.
    ///
    /// # Errors
    /// [`DbError::ToolMissing`] with `apt-get install -y redis-server` when absent.
    pub async fn start() -> Result<Self> {
        match std::env::var(TEST_REDIS_URL) {
            Ok(url) if !url.is_empty() => {
                RedisConfig::parse_field(TEST_REDIS_URL, &url)?;
                Ok(Self {
                    url,
                    child: None,
                    _dir: None,
                })
            }
            _ => Self::start_owned(None).await,
        }
    }

    /// Starts a private server; with `password`, clients must `AUTH`.
    ///
    /// # Errors
    /// As [`TestRedis::start`].
    pub async fn start_owned(password: Option<&SecretValue>) -> Result<Self> {
        let bin = find_on_path("redis-server")
            .or_else(|| {
                Some(std::path::PathBuf::from("/usr/bin/redis-server")).filter(|p| p.is_file())
            })
            .ok_or_else(|| DbError::ToolMissing {
                tool: "redis-server".to_owned(),
                install: REDIS_INSTALL,
            })?;
        let dir = tempfile::Builder::new()
            .prefix("mcp-ops-redis-")
            .tempdir()
            .map_err(DbError::io("creating a temporary directory"))?;
        let mut last = None;
        for _ in 0..5 {
            let port = free_port()?;
            let log_path = dir.path().join(format!("redis-{port}.log"));
            let mut cmd = Command::new(&bin);
            if let Some(pw) = password {
                // A config file keeps the password off the process list.
                let conf = dir.path().join("redis.conf");
                let pw = pw
                    .expose_str()
                    .map_err(|_| DbError::invalid("password", "not UTF-8 (content withheld)"))?;
                std::fs::write(&conf, format!("requirepass \"{pw}\"\n"))
                    .map_err(DbError::io("writing redis.conf"))?;
                cmd.arg(&conf);
            }
            cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
            cmd.args(["--save", "", "--appendonly", "no", "--daemonize", "no"]);
            cmd.arg("--dir")
                .arg(dir.path())
                .arg("--logfile")
                .arg(&log_path);
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut child = cmd.spawn().map_err(DbError::io("starting redis-server"))?;
            let url = format!("redis://127.0.0.1:{port}/");
            match wait_ready(&mut child, port).await {
                Ok(()) => {
                    return Ok(Self {
                        url,
                        child: Some(child),
                        _dir: Some(dir),
                    });
                }
                Err(()) => {
                    stop(&mut child, Signal::KILL, Duration::from_secs(1));
                    last = Some(DbError::ToolFailed {
                        tool: "redis-server",
                        status: "exited".to_owned(),
                        stderr: log_tail(&log_path),
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| DbError::invalid("redis-server", "could not start")))
    }

    /// The server's URL (without password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A configuration for the server (without password).
    ///
    /// # Errors
    /// Never for servers the harness started.
    pub fn config(&self) -> Result<RedisConfig> {
        RedisConfig::parse(&self.url)
    }

    /// Kills the server and waits for it to be gone.
    pub fn stop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            stop(child, Signal::KILL, Duration::from_secs(5));
        }
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel but nothing
    /// answers — the case where only client-side timeouts help.
    pub fn pause(&self) {
        if let Some(child) = self.child.as_ref() {
            signal(child, Signal::STOP);
        }
    }

    /// Resumes a paused server.
    pub fn resume(&self) {
        if let Some(child) = self.child.as_ref() {
            signal(child, Signal::CONT);
        }
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn wait_ready(child: &mut Child, port: u16) -> std::result::Result<(), ()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Err(());
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Err(())
}
