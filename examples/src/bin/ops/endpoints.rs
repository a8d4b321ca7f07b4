//! The systems besides the cluster that `ops` talks to, from flags or the environment:
//! PostgreSQL, Redis, Prometheus, Alertmanager, the API's health endpoint, notifiers, and the
//! directories where incidents and backups are kept.
//!
//! Parsing never echoes a value (a URL may hold a password): errors name the flag.

use std::path::PathBuf;

use mcp_ops_alerts::alertmanager::AlertmanagerClient;
use mcp_ops_alerts::config::AlertsConfig;
use mcp_ops_alerts::prometheus::PrometheusClient;
use mcp_ops_core::SecretValue;
use mcp_ops_core::health::redact_url;
use mcp_ops_core::url_check::url_problem;
use mcp_ops_db::{PgBackend, PgConfig, PgOptions, RedisConfig};
use mcp_ops_k8s::config_backup::AgeRecipients;

use crate::Failure;
use crate::cli::Global;

/// Everything `ops` was told about systems other than the cluster.
pub struct Endpoints {
    /// PostgreSQL (`--database-url`, `DATABASE_URL`).
    pub database: Option<PgConfig>,
    /// Redis (`--redis-url`, `REDIS_URL`).
    pub redis: Option<RedisConfig>,
    /// Prometheus (`--prometheus-url`, `MCP_OPS_PROMETHEUS_URL`).
    pub prometheus: Option<PrometheusClient>,
    /// Alertmanager (`--alertmanager-url`, `MCP_OPS_ALERTMANAGER_URL`).
    pub alertmanager: Option<AlertmanagerClient>,
    /// The API's health endpoint (`--health-url`, `MCP_OPS_HEALTH_URL`).
    pub health_url: Option<String>,
    /// PostgreSQL holding the incidents (`--incidents-url`, `MCP_OPS_INCIDENTS_URL`).
    pub incidents: Option<PgConfig>,
    /// Slack, PagerDuty and email (the `MCP_OPS_*` variables of mcp-ops-alerts).
    pub alerts: AlertsConfig,
    /// Where incidents are kept.
    pub state_dir: PathBuf,
    /// Where database and configuration backups are written.
    pub backup_dir: PathBuf,
    /// Whether `--backup-dir` (or its variable) was given.
    pub backup_dir_given: bool,
    /// Who configuration backups encrypt Secret values to (`--age-recipient`).
    pub age_recipients: Option<AgeRecipients>,
    /// What decrypts them on restore (`--age-identity-file`).
    pub age_identity: Option<SecretValue>,
    /// The one pool on `incidents` that incidents, change requests and the journal share.
    incidents_pool: std::sync::OnceLock<PgBackend>,
}

impl Endpoints {
    /// Reads and checks the flags of `g` and the notifier variables.
    ///
    /// # Errors
    /// [`Failure::BadInput`] naming the flag or variable that is malformed.
    pub fn from_global(g: &Global) -> Result<Self, Failure> {
        let database = g
            .database_url
            .as_deref()
            .map(|v| PgConfig::parse_field("--database-url", v))
            .transpose()
            .map_err(bad)?;
        let redis = g
            .redis_url
            .as_deref()
            .map(|v| RedisConfig::parse_field("--redis-url", v))
            .transpose()
            .map_err(bad)?;
        let prometheus = g
            .prometheus_url
            .as_deref()
            .map(|v| http_url("--prometheus-url", v))
            .transpose()?
            .map(PrometheusClient::new)
            .transpose()
            .map_err(|e| Failure::BadInput(format!("--prometheus-url: {e}")))?;
        let alertmanager = g
            .alertmanager_url
            .as_deref()
            .map(|v| http_url("--alertmanager-url", v))
            .transpose()?
            .map(AlertmanagerClient::new)
            .transpose()
            .map_err(|e| Failure::BadInput(format!("--alertmanager-url: {e}")))?;
        let health_url = g.health_url.as_deref().map(health_url).transpose()?;
        let incidents = g
            .incidents_url
            .as_deref()
            .map(|v| PgConfig::parse_field("--incidents-url", v))
            .transpose()
            .map_err(bad)?;
        let alerts = AlertsConfig::from_env().map_err(|e| Failure::BadInput(e.to_string()))?;
        let state_dir = match &g.state_dir {
            Some(dir) if dir.as_os_str().is_empty() => {
                return Err(Failure::BadInput(
                    "--state-dir must not be empty".to_owned(),
                ));
            }
            Some(dir) => dir.clone(),
            None => default_state_dir()?,
        };
        if g.backup_dir
            .as_ref()
            .is_some_and(|d| d.as_os_str().is_empty())
        {
            return Err(Failure::BadInput(
                "--backup-dir must not be empty".to_owned(),
            ));
        }
        let backup_dir = g
            .backup_dir
            .clone()
            .unwrap_or_else(|| state_dir.join("backups"));
        let age_recipients = if g.age_recipients.is_empty() {
            None
        } else {
            Some(
                AgeRecipients::parse(&g.age_recipients)
                    .map_err(|e| Failure::BadInput(format!("--age-recipient: {e}")))?,
            )
        };
        let age_identity = g
            .age_identity_file
            .as_deref()
            .map(read_identity)
            .transpose()?;
        Ok(Self {
            database,
            redis,
            prometheus,
            alertmanager,
            health_url,
            incidents,
            alerts,
            state_dir,
            backup_dir,
            backup_dir_given: g.backup_dir.is_some(),
            age_recipients,
            age_identity,
            incidents_pool: std::sync::OnceLock::new(),
        })
    }

    /// The pool on `--incidents-url`, made on first use and shared by the incident store, the
    /// change store and the journal: one process holds at most two connections, so many
    /// `ops` processes (cron ticks, CI jobs) stay under the server's `max_connections`, and
    /// a process never waits for a second pool while its first holds a connection. `None`
    /// without the URL.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when the URL cannot be used.
    pub fn incidents_backend(&self) -> Result<Option<PgBackend>, Failure> {
        let Some(config) = &self.incidents else {
            return Ok(None);
        };
        if let Some(pg) = self.incidents_pool.get() {
            return Ok(Some(pg.clone()));
        }
        let pg = PgBackend::new(config.clone(), PgOptions::default().with_max_pool_size(2))
            .map_err(|err| Failure::BadInput(format!("--incidents-url: {err}")))?;
        Ok(Some(self.incidents_pool.get_or_init(|| pg).clone()))
    }

    /// The file incidents are kept in (without `--incidents-url`).
    pub fn incidents_file(&self) -> PathBuf {
        self.state_dir.join("incidents.json")
    }
}

fn bad(e: mcp_ops_db::DbError) -> Failure {
    Failure::BadInput(e.to_string())
}

/// An http(s) URL with a host and a sane port; the error does not repeat it.
fn health_url(v: &str) -> Result<String, Failure> {
    http_url("--health-url", v).map(str::to_owned)
}

/// `v` when it is an http(s) URL `ops` may request; else bad input naming `flag` only.
fn http_url<'a>(flag: &str, v: &'a str) -> Result<&'a str, Failure> {
    match url_problem(v, &["http", "https"]) {
        None => Ok(v),
        Some(why) => Err(Failure::BadInput(format!("{flag} {why}"))),
    }
}

/// The identity file's text (an age identity file or one `AGE-SECRET-KEY-1…` line); errors
/// never quote it.
fn read_identity(path: &std::path::Path) -> Result<SecretValue, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::BadInput(format!(
            "--age-identity-file {}: {}",
            path.display(),
            e.kind()
        ))
    })?;
    Ok(SecretValue::from_str_value(text.trim()))
}

/// `$XDG_STATE_HOME/mcp-ops`, else `$HOME/.local/state/mcp-ops`.
fn default_state_dir() -> Result<PathBuf, Failure> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(x) = non_empty("XDG_STATE_HOME") {
        return Ok(PathBuf::from(x).join("mcp-ops"));
    }
    if let Some(home) = non_empty("HOME") {
        return Ok(PathBuf::from(home).join(".local/state/mcp-ops"));
    }
    Err(Failure::BadInput(
        "no state directory: pass --state-dir or set MCP_OPS_STATE_DIR (HOME is not set)"
            .to_owned(),
    ))
}

/// `url` as it may be shown (credentials and query values hidden).
pub fn shown(url: &str) -> String {
    redact_url(url)
}
