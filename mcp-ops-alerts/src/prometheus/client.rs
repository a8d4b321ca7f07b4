//! HTTP client for Prometheus' query API.

use std::time::Duration;

use jiff::Timestamp;
use reqwest::Url;

use super::types::{Envelope, QueryResult};
use crate::error::{AlertsError, PromErrorType, Result};

const BACKEND: &str = "prometheus";

/// Start, end and resolution of a range query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First evaluation time.
    pub start: Timestamp,
    /// Last evaluation time.
    pub end: Timestamp,
    /// Resolution between evaluations.
    pub step: Duration,
}

/// A client for one Prometheus server (`/api/v1/query`, `/api/v1/query_range`).
///
/// The base URL is never included in errors or `Debug` output (it may carry credentials).
#[derive(Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

impl std::fmt::Debug for PrometheusClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PrometheusClient {
    /// Default per-request timeout (also sent to Prometheus as the evaluation timeout).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A client for the server at `base_url` (for example `http://127.0.0.1:9090`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_alerts::prometheus::PrometheusClient;
    /// use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};
    ///
    /// // A stand-in for Prometheus answering one instant query.
    /// let server = MockServer::start().await;
    /// let body = r#"{"status":"success","data":{"resultType":"vector","result":[
    ///     {"metric":{"service":"mcp-typescript-api"},"value":[1700000000,"0.02"]}]}}"#;
    /// Mock::given(path("/api/v1/query"))
    ///     .respond_with(ResponseTemplate::new(200).set_body_string(body))
    ///     .mount(&server)
    ///     .await;
    ///
    /// let prometheus = PrometheusClient::new(&server.uri())?;
    /// let result = prometheus.instant("up", None).await?;
    /// println!("{result:?}");
    ///
    /// assert!(PrometheusClient::new("ftp://prometheus:9090").is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] when the URL does not parse or is not http(s).
    pub fn new(base_url: &str) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::new(),
            base: parse_base(base_url)?,
            timeout: Self::DEFAULT_TIMEOUT,
        })
    }

    /// Replaces the per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses a preconfigured HTTP client (proxies, TLS roots, default headers).
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Evaluates `query` at one instant: `at`, or the server's current time when `None`.
    ///
    /// # Errors
    /// [`AlertsError::Query`] with Prometheus' `errorType` for a malformed or failing query,
    /// [`AlertsError::Timeout`], [`AlertsError::Http`], [`AlertsError::Decode`].
    pub async fn instant(&self, query: &str, at: Option<Timestamp>) -> Result<QueryResult> {
        let mut form = vec![
            ("query", query.to_owned()),
            ("timeout", format_duration_ms(self.timeout)),
        ];
        if let Some(at) = at {
            form.push(("time", format_time(at)));
        }
        self.post("api/v1/query", &form).await
    }

    /// Evaluates `query` over `range`; the result is a matrix.
    ///
    /// # Errors
    /// As [`PrometheusClient::instant`]; [`AlertsError::InvalidInput`] for an empty step or a
    /// range that ends before it starts.
    pub async fn range(&self, query: &str, range: Range) -> Result<QueryResult> {
        if range.step.is_zero() {
            return Err(AlertsError::InvalidInput("range step must be > 0".into()));
        }
        if range.end < range.start {
            return Err(AlertsError::InvalidInput(
                "range ends before it starts".into(),
            ));
        }
        let form = vec![
            ("query", query.to_owned()),
            ("start", format_time(range.start)),
            ("end", format_time(range.end)),
            ("step", format!("{}", range.step.as_secs_f64())),
            ("timeout", format_duration_ms(self.timeout)),
        ];
        self.post("api/v1/query_range", &form).await
    }

    async fn post(&self, path: &str, form: &[(&str, String)]) -> Result<QueryResult> {
        let url = self
            .base
            .join(path)
            .map_err(|e| AlertsError::InvalidInput(format!("bad API path: {e}")))?;
        let resp = self
            .http
            .post(url)
            .timeout(self.timeout)
            .form(form)
            .send()
            .await
            .map_err(|e| AlertsError::http(BACKEND, e, self.timeout))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| AlertsError::http(BACKEND, e, self.timeout))?;
        let env: Envelope = match serde_json::from_slice(&body) {
            Ok(env) => env,
            Err(e) if status.is_success() => {
                return Err(AlertsError::Decode {
                    backend: BACKEND,
                    detail: e.to_string(),
                });
            }
            Err(_) => {
                return Err(AlertsError::Status {
                    backend: BACKEND,
                    status: status.as_u16(),
                    message: crate::error::scrub(&String::from_utf8_lossy(&body), &[]),
                    retry_after: None,
                });
            }
        };
        if env.status != "success" {
            return Err(AlertsError::Query {
                error_type: PromErrorType::parse(env.error_type.as_deref().unwrap_or("")),
                error: env.error.unwrap_or_default(),
            });
        }
        env.data
            .ok_or_else(|| AlertsError::Decode {
                backend: BACKEND,
                detail: "success without data".into(),
            })?
            .into_result()
    }
}

/// Parses a base URL and makes sure it ends with `/` so relative joins keep its path.
pub(crate) fn parse_base(base_url: &str) -> Result<Url> {
    let mut url = Url::parse(base_url)
        .map_err(|e| AlertsError::InvalidInput(format!("base URL does not parse: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AlertsError::InvalidInput(
            "base URL must be http or https".into(),
        ));
    }
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

fn format_time(t: Timestamp) -> String {
    #[allow(clippy::cast_precision_loss)]
    let secs = t.as_millisecond() as f64 / 1000.0;
    format!("{secs:.3}")
}

fn format_duration_ms(d: Duration) -> String {
    format!("{}ms", d.as_millis().max(1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn base_url_keeps_its_path() {
        let u = parse_base("http://h:9090/prom").unwrap();
        assert_eq!(u.join("api/v1/query").unwrap().path(), "/prom/api/v1/query");
        assert!(parse_base("ftp://h").is_err());
        assert!(parse_base("not a url").is_err());
    }

    #[test]
    fn formats_time_in_seconds() {
        let t = Timestamp::from_millisecond(1_795_501_800_250).unwrap();
        assert_eq!(format_time(t), "1795501800.250");
    }

    #[test]
    fn debug_hides_the_url() {
        let c = PrometheusClient::new("http://user:pw@h:9090").unwrap();
        assert!(!format!("{c:?}").contains("pw"));
    }
}
