//! `mcp_ops_core::HealthCheck` for HTTP endpoints: the runbook's
//! `curl -f https://api.mcp-production.com/health` and `curl -I`.
//!
//! Like `curl -f` without `-L`: one `GET`, redirects are **not** followed (a `301` is not the
//! expected `200`, so it is `Unhealthy` with `HTTP 301`). The verdict is
//!
//! - `Healthy`: the expected status (and, when the probe asks for it, the expected text in
//!   the first MiB of the body) within the probe's `max_latency`;
//! - `Degraded`: the same, but slower than `max_latency`;
//! - `Unhealthy`: another status, the text missing, or no answer at all (connection refused,
//!   DNS, TLS, timeout). A down endpoint is a report, never an error.
//!
//! Reports carry the observations the mock cluster records for the same target
//! (`status_code`, `latency`) so procedures treat both alike. Messages and errors show the
//! URL as [`HttpProbe::display_url`]: never credentials or query values.
//!
//! A URL that does not parse as an absolute `http`/`https` URL is bad input, not a down
//! endpoint: [`Error::InvalidInput`] on the field `url`.
//!
//! Fan-out: one checker holds one connection pool (HTTP/1.1 keep-alive, connections reused
//! per host) and runs at most [`HttpHealthCheck::DEFAULT_MAX_CONCURRENT`] requests at once
//! ([`HttpHealthCheck::with_max_concurrent`]); more checks wait for a free slot, and each
//! request's timeout and latency start when it has one. Checking 1,000 paths of one host
//! therefore opens about 50 sockets, not 1,000 (`benches/health_fanout.rs` compares it with
//! `curl -Z --parallel-max 50`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use mcp_ops_core::health::{
    HealthReport, HealthStatus, HealthTarget, HttpProbe, ObservedValue, TargetKind,
};
use mcp_ops_core::{Error, HealthCheck, Result, SharedClock, SystemClock};
use tokio::sync::Semaphore;

use crate::error::scrub;

const BACKEND: &str = "http";

/// At most this much of a body is read to look for the probe's `body_contains` text.
const MAX_BODY: usize = 1024 * 1024;

/// Health of HTTP endpoints ([`HealthTarget::Http`]).
#[derive(Clone)]
pub struct HttpHealthCheck {
    http: reqwest::Client,
    timeout: Duration,
    clock: SharedClock,
    slots: Arc<Semaphore>,
    max_concurrent: usize,
}

impl std::fmt::Debug for HttpHealthCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpHealthCheck")
            .field("timeout", &self.timeout)
            .field("max_concurrent", &self.max_concurrent)
            .finish_non_exhaustive()
    }
}

/// What came back from the endpoint.
struct Answer {
    code: u16,
    /// Whether the body held the expected text; `None` when the probe does not ask.
    body_matches: Option<bool>,
}

impl HttpHealthCheck {
    /// The per-request timeout of [`HttpHealthCheck::new`].
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    /// How many requests one checker runs at once unless told otherwise
    /// ([`HttpHealthCheck::with_max_concurrent`]); like `curl --parallel-max 50`.
    pub const DEFAULT_MAX_CONCURRENT: usize = mcp_ops_core::health::DEFAULT_CONCURRENCY;

    /// A checker giving each request [`HttpHealthCheck::DEFAULT_TIMEOUT`] (5 s).
    ///
    /// # Errors
    /// [`Error::Backend`] when the HTTP client cannot be built (no TLS roots).
    pub fn new() -> Result<Self> {
        Self::with_timeout(Self::DEFAULT_TIMEOUT)
    }

    /// A checker giving each request `timeout` (connection, answer and body together); an
    /// endpoint that has not answered by then is `Unhealthy`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a zero timeout; [`Error::Backend`] when the HTTP client
    /// cannot be built.
    pub fn with_timeout(timeout: Duration) -> Result<Self> {
        if timeout.is_zero() {
            return Err(Error::invalid("timeout", "must be greater than zero"));
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("mcp-ops/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::backend(
                    BACKEND,
                    format!("cannot build the HTTP client: {}", e.without_url()),
                    false,
                )
            })?;
        Ok(Self {
            http,
            timeout,
            clock: Arc::new(SystemClock),
            slots: Arc::new(Semaphore::new(Self::DEFAULT_MAX_CONCURRENT)),
            max_concurrent: Self::DEFAULT_MAX_CONCURRENT,
        })
    }

    /// Runs at most `n` requests at once (0 counts as 1); the others wait for a free slot
    /// before their timeout starts. Clones made before this call keep their own limit.
    #[must_use]
    pub fn with_max_concurrent(mut self, n: usize) -> Self {
        let n = n.clamp(1, Semaphore::MAX_PERMITS);
        self.slots = Arc::new(Semaphore::new(n));
        self.max_concurrent = n;
        self
    }

    /// How many requests this checker runs at once.
    #[must_use]
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Uses `clock` for the reports' `checked_at` (latency is always measured in real time).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The per-request timeout.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    async fn fetch(
        &self,
        url: reqwest::Url,
        needle: Option<&str>,
    ) -> std::result::Result<Answer, reqwest::Error> {
        let mut resp = self.http.get(url).timeout(self.timeout).send().await?;
        let code = resp.status().as_u16();
        let Some(needle) = needle else {
            return Ok(Answer {
                code,
                body_matches: None,
            });
        };
        let needle = needle.as_bytes();
        let mut body: Vec<u8> = Vec::new();
        let mut found = needle.is_empty();
        while !found && body.len() < MAX_BODY {
            let Some(chunk) = resp.chunk().await? else {
                break;
            };
            body.extend_from_slice(&chunk);
            found = body.windows(needle.len()).any(|w| w == needle);
        }
        Ok(Answer {
            code,
            body_matches: Some(found),
        })
    }

    async fn probe(&self, target: &HealthTarget, probe: &HttpProbe) -> Result<HealthReport> {
        let shown = probe.display_url();
        let url = reqwest::Url::parse(&probe.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                Error::invalid("url", format!("{shown}: not an absolute http(s) URL"))
            })?;
        let secrets = secrets_of(&url);
        // Never closed, so acquiring only waits; a closed semaphore would just mean no bound.
        let _slot = self.slots.acquire().await.ok();
        let started = Instant::now();
        let outcome = tokio::time::timeout(
            self.timeout,
            self.fetch(url, probe.body_contains.as_deref()),
        )
        .await;
        let latency = started.elapsed();
        let answer = match outcome {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                let why = scrub(&self.reason(&e), &secrets);
                return Ok(self.down(target, probe, &shown, &why, latency));
            }
            Err(_) => {
                let why = format!("no answer within {:?}", self.timeout);
                return Ok(self.down(target, probe, &shown, &why, latency));
            }
        };
        let ms = latency.as_millis();
        let (status, message) = if answer.code != probe.expected_status {
            (
                HealthStatus::Unhealthy,
                format!(
                    "HTTP {} in {ms} ms, expected {}",
                    answer.code, probe.expected_status
                ),
            )
        } else if answer.body_matches == Some(false) {
            (
                HealthStatus::Unhealthy,
                format!(
                    "HTTP {} in {ms} ms, but the body lacks the expected text",
                    answer.code
                ),
            )
        } else if latency > probe.max_latency {
            (
                HealthStatus::Degraded,
                format!(
                    "HTTP {} in {ms} ms, slower than {} ms",
                    answer.code,
                    probe.max_latency.as_millis()
                ),
            )
        } else {
            (
                HealthStatus::Healthy,
                format!("HTTP {} in {ms} ms", answer.code),
            )
        };
        let mut report = HealthReport::new(target.clone(), status, message, self.clock.now())
            .observe("status_code", ObservedValue::Count(u64::from(answer.code)))
            .observe("latency", ObservedValue::Duration(latency));
        if let Some(matches) = answer.body_matches {
            report = report.observe("body_matches", ObservedValue::Flag(matches));
        }
        report.latency = latency;
        Ok(report)
    }

    /// An `Unhealthy` report for an endpoint that gave no answer.
    fn down(
        &self,
        target: &HealthTarget,
        probe: &HttpProbe,
        shown: &str,
        why: &str,
        latency: Duration,
    ) -> HealthReport {
        let mut report = HealthReport::new(
            target.clone(),
            HealthStatus::Unhealthy,
            format!("{} unreachable at {shown}: {why}", probe.name),
            self.clock.now(),
        );
        report.latency = latency;
        report
    }

    /// A short reason for a failed request, without its URL.
    fn reason(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("no answer within {:?}", self.timeout);
        }
        let what = if e.is_dns() {
            "DNS lookup failed"
        } else if e.is_connect() {
            "connection failed"
        } else if e.is_body() || e.is_decode() {
            "reading the answer failed"
        } else {
            "request failed"
        };
        // The innermost cause is the specific one ("Connection refused (os error 111)",
        // "invalid peer certificate: UnknownIssuer"); outer layers repeat it or add the URL.
        let mut innermost = None;
        let mut next = std::error::Error::source(e);
        while let Some(cause) = next {
            innermost = Some(cause);
            next = cause.source();
        }
        match innermost {
            Some(cause) => format!("{what}: {cause}"),
            None => what.to_owned(),
        }
    }
}

/// The parts of `url` that must never be shown: user name, password and query values (raw
/// and decoded).
fn secrets_of(url: &reqwest::Url) -> Vec<String> {
    let mut out = vec![url.username().to_owned()];
    out.extend(url.password().map(str::to_owned));
    if let Some(query) = url.query() {
        for kv in query.split('&') {
            if let Some((_, v)) = kv.split_once('=') {
                out.push(v.to_owned());
            }
        }
    }
    out.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
    out.retain(|s| !s.is_empty());
    out
}

#[async_trait]
impl HealthCheck for HttpHealthCheck {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn supports(&self, kind: TargetKind) -> bool {
        kind == TargetKind::Http
    }

    async fn check(&self, target: &HealthTarget) -> Result<HealthReport> {
        match target {
            HealthTarget::Http(probe) => self.probe(target, probe).await,
            other => Err(Error::Unsupported {
                operation: match other.kind() {
                    TargetKind::Cluster => "cluster health",
                    TargetKind::Database => "database health",
                    TargetKind::Cache => "cache health",
                    TargetKind::Metric => "metric health",
                    _ => "health check",
                },
                backend: BACKEND,
            }),
        }
    }
}
