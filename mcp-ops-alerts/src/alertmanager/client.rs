//! HTTP client for Alertmanager's API v2 (v1 was removed in Alertmanager 0.27).

use std::time::Duration;

use reqwest::{Method, Url};
use serde::Deserialize;

use super::types::{Alert, AlertFilter, NewAlert, NewSilence, Silence, SilenceState};
use crate::error::{AlertsError, Result, scrub};

const BACKEND: &str = "alertmanager";

/// A client for one Alertmanager (`/api/v2`). The base URL never appears in errors or `Debug`.
#[derive(Clone)]
pub struct AlertmanagerClient {
    http: reqwest::Client,
    base: Url,
    timeout: Duration,
}

impl std::fmt::Debug for AlertmanagerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertmanagerClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SilenceCreated {
    #[serde(rename = "silenceID")]
    silence_id: String,
}

impl AlertmanagerClient {
    /// Default per-request timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A client for the Alertmanager at `base_url` (for example `http://127.0.0.1:9093`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use mcp_ops_alerts::alertmanager::AlertmanagerClient;
    /// use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};
    ///
    /// // A stand-in for Alertmanager that is ready and has no silence.
    /// let server = MockServer::start().await;
    /// Mock::given(path("/-/ready")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    /// Mock::given(path("/api/v2/silences"))
    ///     .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
    ///     .mount(&server)
    ///     .await;
    ///
    /// let alertmanager = AlertmanagerClient::new(&server.uri())?;
    /// assert!(alertmanager.ready().await?);
    /// assert!(alertmanager.silences(&[]).await?.is_empty());
    ///
    /// assert!(AlertmanagerClient::new("not a url").is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] when the URL does not parse or is not http(s).
    pub fn new(base_url: &str) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::new(),
            base: crate::prometheus::client::parse_base(base_url)?,
            timeout: Self::DEFAULT_TIMEOUT,
        })
    }

    /// Replaces the per-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses a preconfigured HTTP client.
    #[must_use]
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Lists alerts matching `filter`.
    ///
    /// # Errors
    /// Transport, status and decode errors; [`AlertsError::InvalidInput`] for a bad matcher.
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        let q = filter.query()?;
        let resp = self
            .send(Method::GET, "api/v2/alerts", &q, None::<&()>)
            .await?;
        decode(resp).await
    }

    /// Posts alerts (synthetic alerts, tests).
    ///
    /// # Errors
    /// Transport and status errors.
    pub async fn post_alerts(&self, alerts: &[NewAlert]) -> Result<()> {
        for a in alerts {
            if !a.labels.contains_key("alertname") {
                return Err(AlertsError::InvalidInput(
                    "alert without an alertname label".into(),
                ));
            }
        }
        self.send(Method::POST, "api/v2/alerts", &[], Some(&alerts))
            .await
            .map(drop)
    }

    /// Creates a silence and returns its id.
    ///
    /// # Errors
    /// [`AlertsError::InvalidInput`] for a silence without matchers, comment or author, or
    /// that ends before it starts; transport and status errors.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<String> {
        silence.validate()?;
        let resp = self
            .send(Method::POST, "api/v2/silences", &[], Some(silence))
            .await?;
        let created: SilenceCreated = decode(resp).await?;
        Ok(created.silence_id)
    }

    /// Lists silences, optionally only those whose matchers match `filter`.
    ///
    /// # Errors
    /// Transport, status and decode errors.
    pub async fn silences(&self, filter: &[super::Matcher]) -> Result<Vec<Silence>> {
        let mut q = Vec::new();
        for m in filter {
            m.validate()?;
            q.push(("filter", m.to_string()));
        }
        let resp = self
            .send(Method::GET, "api/v2/silences", &q, None::<&()>)
            .await?;
        decode(resp).await
    }

    /// One silence by id.
    ///
    /// # Errors
    /// [`AlertsError::NotFound`] for an unknown id; transport, status and decode errors.
    pub async fn silence(&self, id: &str) -> Result<Silence> {
        let path = silence_path(id)?;
        let resp = self.send(Method::GET, &path, &[], None::<&()>).await?;
        decode(resp).await
    }

    /// Expires a silence. Expiring an already expired silence succeeds.
    ///
    /// Alertmanager answers 500 (not 404) for an unknown id; this method looks the id up and
    /// reports [`AlertsError::NotFound`] in that case.
    ///
    /// # Errors
    /// [`AlertsError::NotFound`] for an unknown id; transport and status errors.
    pub async fn expire_silence(&self, id: &str) -> Result<()> {
        let path = silence_path(id)?;
        match self.send(Method::DELETE, &path, &[], None::<&()>).await {
            Ok(_) => Ok(()),
            Err(AlertsError::Status { status, .. }) if status == 500 || status == 404 => {
                let s = self.silence(id).await?;
                if s.status.state == SilenceState::Expired {
                    Ok(())
                } else {
                    Err(AlertsError::Status {
                        backend: BACKEND,
                        status,
                        message: format!("silence {id} could not be expired"),
                        retry_after: None,
                    })
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the server is ready (`/-/ready`).
    ///
    /// # Errors
    /// Transport errors.
    pub async fn ready(&self) -> Result<bool> {
        let url = self.url("-/ready")?;
        let resp = self
            .http
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| AlertsError::http(BACKEND, e, self.timeout))?;
        Ok(resp.status().is_success())
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .map_err(|e| AlertsError::InvalidInput(format!("bad API path: {e}")))
    }

    async fn send<B: serde::Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<reqwest::Response> {
        let mut req = self
            .http
            .request(method, self.url(path)?)
            .timeout(self.timeout)
            .query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| AlertsError::http(BACKEND, e, self.timeout))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        if status.as_u16() == 404 {
            let (kind, name) = match path.strip_prefix("api/v2/silence/") {
                Some(id) => ("silence", id.to_owned()),
                None => ("endpoint", path.to_owned()),
            };
            return Err(AlertsError::NotFound {
                backend: BACKEND,
                kind,
                name,
            });
        }
        Err(AlertsError::Status {
            backend: BACKEND,
            status: status.as_u16(),
            message: scrub(&text, &[]),
            retry_after: None,
        })
    }
}

/// The API path of silence `id`. Alertmanager's silence ids are UUIDs: anything else cannot
/// exist, so it is reported as not found without a request (and never reaches the URL).
fn silence_path(id: &str) -> Result<String> {
    let b = id.as_bytes();
    let uuid = b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        });
    if !uuid {
        return Err(AlertsError::NotFound {
            backend: BACKEND,
            kind: "silence",
            name: id.chars().take(64).collect(),
        });
    }
    Ok(format!("api/v2/silence/{id}"))
}

async fn decode<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> Result<T> {
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| AlertsError::http(BACKEND, e, AlertmanagerClient::DEFAULT_TIMEOUT))?;
    serde_json::from_slice(&bytes).map_err(|e| AlertsError::Decode {
        backend: BACKEND,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_ids_are_checked() {
        assert!(silence_path("3f6b1c2e-0a4d-4a8e-9b1e-2d3c4b5a6f70").is_ok());
        for bad in [
            "../alerts",
            "",
            "contract-missing-silence",
            "3f6b1c2e-0a4d-4a8e-9b1e-2d3c4b5a6f7z",
        ] {
            assert!(
                matches!(silence_path(bad), Err(AlertsError::NotFound { .. })),
                "{bad}"
            );
        }
    }
}
