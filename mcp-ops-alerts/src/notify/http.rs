//! Posting JSON to a secret URL without ever leaking it.

use std::time::Duration;

use crate::error::{AlertsError, Result, scrub};

/// Status and body of a successful post.
pub(crate) struct Posted {
    pub status: u16,
    pub body: String,
}

/// POSTs `body` as JSON to `url` (a secret). Non-2xx answers become [`AlertsError::Status`]
/// with the body scrubbed of every string in `secrets` and `Retry-After` parsed.
pub(crate) async fn post_json<B: serde::Serialize + ?Sized>(
    http: &reqwest::Client,
    backend: &'static str,
    url: &str,
    body: &B,
    timeout: Duration,
    secrets: &[&str],
) -> Result<Posted> {
    let url = reqwest::Url::parse(url).map_err(|_| {
        AlertsError::InvalidInput(format!("{backend}: the configured URL does not parse"))
    })?;
    let resp = http
        .post(url)
        .timeout(timeout)
        .json(body)
        .send()
        .await
        .map_err(|e| AlertsError::http(backend, e, timeout))?;
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = resp
        .text()
        .await
        .map_err(|e| AlertsError::http(backend, e, timeout))?;
    if !status.is_success() {
        return Err(AlertsError::Status {
            backend,
            status: status.as_u16(),
            message: scrub(&text, secrets),
            retry_after,
        });
    }
    Ok(Posted {
        status: status.as_u16(),
        body: text,
    })
}
