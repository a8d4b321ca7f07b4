//! [`TestPostgres`]: a throw-away PostgreSQL cluster.

use super::TEST_DATABASE_URL;
use super::certs::write_test_pki;
use super::process::{free_port, is_root, log_tail, lookup_user, signal, stop};
use crate::tools::find_postgres_program;
use crate::{DbError, PgConfig, Result};
use rustix::process::Signal;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const PG_HBA: &str = "\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host all postgres ::1/128 trust
host all all ::1/128 scram-sha-256
";

/// TCP only with TLS: a plain TCP connection finds no entry and is refused ("no encryption").
const PG_HBA_TLS_ONLY: &str = "\
local all all trust
hostssl all postgres 127.0.0.1/32 trust
hostssl all all 127.0.0.1/32 scram-sha-256
hostssl all postgres ::1/128 trust
hostssl all all ::1/128 scram-sha-256
";

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A PostgreSQL server for tests: started by [`TestPostgres::start`] and stopped on drop.
///
/// Superuser `postgres` connects without a password (trust); every other role must
/// authenticate with SCRAM-SHA-256 over TCP, so password changes are really checked.
pub struct TestPostgres {
    config: PgConfig,
    ca_cert: Option<PathBuf>,
    port: u16,
    child: Option<Child>,
    dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for TestPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPostgres")
            .field("config", &self.config)
            .field("owned", &self.child.is_some())
            .finish()
    }
}

impl TestPostgres {
    /// Uses `MCP_OPS_TEST_DATABASE_URL` when set, else starts a private cluster.
    ///
    /// # Errors
    /// [`DbError::ToolMissing`] with `apt-get install -y postgresql` when the programs are
    /// absent; [`DbError::ToolFailed`] with the server log's tail when it does not start.
    pub async fn start() -> Result<Self> {
        match std::env::var(TEST_DATABASE_URL) {
            Ok(url) if !url.is_empty() => {
                let config = PgConfig::parse_field(TEST_DATABASE_URL, &url)?;
                Ok(Self {
                    config,
                    ca_cert: None,
                    port: 0,
                    child: None,
                    dir: None,
                })
            }
            _ => Self::start_owned().await,
        }
    }

    /// Always starts a private cluster (for tests that stop or crash the server).
    ///
    /// # Errors
    /// As [`TestPostgres::start`].
    pub async fn start_owned() -> Result<Self> {
        Self::start_cluster(None).await
    }

    /// Starts a private cluster that accepts TCP only with TLS (`ssl = on`, pg_hba.conf with
    /// `hostssl` lines only, so a plain TCP connection is refused), with a server certificate
    /// for `localhost` and `127.0.0.1` signed by a throw-away CA ([`TestPostgres::ca_cert`]).
    /// [`TestPostgres::config`] uses `sslmode=require` and trusts that CA.
    ///
    /// # Errors
    /// As [`TestPostgres::start`].
    pub async fn start_tls() -> Result<Self> {
        Self::start_cluster(Some(&["localhost", "127.0.0.1"])).await
    }

    /// Like [`TestPostgres::start_tls`], with a server certificate for `names` (DNS names or
    /// IP addresses) only. When it covers neither `localhost` nor `127.0.0.1`, clients must
    /// connect with `host=<name> hostaddr=127.0.0.1`.
    ///
    /// # Errors
    /// As [`TestPostgres::start`].
    pub async fn start_tls_for_names(names: &[&str]) -> Result<Self> {
        Self::start_cluster(Some(names)).await
    }

    async fn start_cluster(tls_names: Option<&[&str]>) -> Result<Self> {
        let initdb = find_postgres_program("initdb")?;
        let postgres = find_postgres_program("postgres")?;
        let dir = tempfile::Builder::new()
            .prefix("mcp-ops-pg-")
            .tempdir()
            .map_err(DbError::io("creating a temporary directory"))?;
        let owner = if is_root() {
            Some(lookup_user("postgres").ok_or_else(|| DbError::ToolMissing {
                tool: "user postgres".to_owned(),
                install: crate::tools::POSTGRES_INSTALL,
            })?)
        } else {
            None
        };
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(DbError::io("giving the cluster directory to postgres"))?;
        }
        let data = dir.path().join("data");
        let mut cmd = Command::new(&initdb);
        cmd.arg("-D").arg(&data);
        cmd.args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "-N",
        ]);
        as_owner(&mut cmd, owner);
        let out = cmd.output().map_err(DbError::io("running initdb"))?;
        if !out.status.success() {
            return Err(DbError::ToolFailed {
                tool: "initdb",
                status: out.status.to_string(),
                stderr: crate::tools::stderr_tail(&out.stderr, 600),
            });
        }
        let hba = data.join("pg_hba.conf");
        let hba_text = if tls_names.is_some() {
            PG_HBA_TLS_ONLY
        } else {
            PG_HBA
        };
        std::fs::write(&hba, hba_text).map_err(DbError::io("writing pg_hba.conf"))?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&hba, Some(uid), Some(gid))
                .map_err(DbError::io("chown pg_hba.conf"))?;
        }
        let mut settings = Vec::new();
        let tls = match tls_names {
            Some(names) => {
                let files = write_test_pki(&dir.path().join("tls"), names, owner)?;
                settings.push("ssl=on".to_owned());
                settings.push(format!("ssl_cert_file={}", files.cert.display()));
                settings.push(format!("ssl_key_file={}", files.key.display()));
                Some(files)
            }
            None => None,
        };
        let mut last_err = None;
        for _ in 0..5 {
            let port = free_port()?;
            match spawn_and_wait(&postgres, dir.path(), &data, port, owner, &settings).await {
                Ok(child) => {
                    let mut config = PgConfig::parse(&format!(
                        "host=127.0.0.1 port={port} user=postgres dbname=postgres"
                    ))?;
                    if let Some(files) = &tls {
                        config = config
                            .with_tls_mode(crate::TlsMode::Require)
                            .with_root_cert(&files.ca);
                    }
                    return Ok(Self {
                        config,
                        ca_cert: tls.as_ref().map(|f| f.ca.clone()),
                        port,
                        child: Some(child),
                        dir: Some(dir),
                    });
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| DbError::invalid("postgres", "could not start")))
    }

    /// The superuser configuration (database `postgres`).
    pub fn config(&self) -> PgConfig {
        self.config.clone()
    }

    /// The throw-away CA certificate (PEM) of a server started by
    /// [`TestPostgres::start_tls`]; `None` for other servers.
    pub fn ca_cert(&self) -> Option<&Path> {
        self.ca_cert.as_deref()
    }

    /// The TCP port (0 for an external server).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster directory (the data directory is its `data/`), for owned servers.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    /// Creates a fresh, uniquely named database and returns its superuser configuration.
    ///
    /// # Errors
    /// Connection or statement failures.
    pub async fn create_database(&self, prefix: &str) -> Result<PgConfig> {
        let n = DB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}_{}_{n}", std::process::id());
        let client = crate::pg::connect(&self.config).await?;
        client
            .batch_execute(&format!(
                "CREATE DATABASE {}",
                crate::pg::quote_ident(&name)
            ))
            .await
            .map_err(DbError::query("create test database"))?;
        Ok(self.config.with_dbname(&name))
    }

    /// Crashes the server like `pg_ctl stop -m immediate` (SIGQUIT: every backend dies at
    /// once) and waits for it to be gone.
    ///
    /// # Errors
    /// [`DbError::Unsupported`] for an external server.
    pub fn crash(&mut self) -> Result<()> {
        let child = self.owned_child()?;
        stop(child, Signal::QUIT, Duration::from_secs(10));
        Ok(())
    }

    /// Starts a smart shutdown (SIGTERM): sessions already open go on, new connections are
    /// refused with "the database system is shutting down".
    ///
    /// # Errors
    /// [`DbError::Unsupported`] for an external server.
    pub fn begin_smart_shutdown(&mut self) -> Result<()> {
        let child = self.owned_child()?;
        signal(child, Signal::TERM);
        Ok(())
    }

    fn owned_child(&mut self) -> Result<&mut Child> {
        self.child.as_mut().ok_or_else(|| DbError::Unsupported {
            feature: "stopping an external test server",
            reason: format!("unset {TEST_DATABASE_URL} to let the harness own the server"),
        })
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            stop(child, Signal::INT, Duration::from_secs(5));
        }
    }
}

fn as_owner(cmd: &mut Command, owner: Option<(u32, u32)>) {
    if let Some((uid, gid)) = owner {
        // std drops the supplementary groups when a root parent sets a uid.
        cmd.uid(uid).gid(gid);
    }
}

async fn spawn_and_wait(
    postgres: &PathBuf,
    dir: &Path,
    data: &Path,
    port: u16,
    owner: Option<(u32, u32)>,
    extra_settings: &[String],
) -> Result<Child> {
    let log_path = dir.join(format!("postgres-{port}.log"));
    let log = std::fs::File::create(&log_path).map_err(DbError::io("creating the server log"))?;
    let log2 = log
        .try_clone()
        .map_err(DbError::io("duplicating the log handle"))?;
    let mut cmd = Command::new(postgres);
    cmd.arg("-D")
        .arg(data)
        .arg("-p")
        .arg(port.to_string())
        .arg("-k")
        .arg(dir);
    for setting in [
        "listen_addresses=127.0.0.1",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "shared_preload_libraries=pg_stat_statements",
        "pg_stat_statements.track=all",
        "max_connections=40",
        "password_encryption=scram-sha-256",
    ] {
        cmd.arg("-c").arg(setting);
    }
    for setting in extra_settings {
        cmd.arg("-c").arg(setting);
    }
    cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
    as_owner(&mut cmd, owner);
    let mut child = cmd.spawn().map_err(DbError::io("starting postgres"))?;
    // Readiness over the private Unix socket (trusted, never TLS) works for every pg_hba.
    let config = PgConfig::parse(&format!(
        "host={} port={port} user=postgres dbname=postgres connect_timeout=2",
        dir.display()
    ))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(DbError::ToolFailed {
                tool: "postgres",
                status: status.to_string(),
                stderr: log_tail(&log_path),
            });
        }
        if crate::pg::connect(&config).await.is_ok() {
            return Ok(child);
        }
        if Instant::now() > deadline {
            stop(&mut child, Signal::QUIT, Duration::from_secs(5));
            return Err(DbError::Timeout {
                operation: "starting the test PostgreSQL server",
                after: Duration::from_secs(30),
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
