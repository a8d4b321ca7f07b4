//! Fault injection (forced error statuses, latency, dropped watches) and request counting.
//!
//! A forced 429 asks the client to wait as kube-apiserver does: `Retry-After: N` and a
//! `Status` with `details.retryAfterSeconds: N` (N = 1 unless the rule gives another); any
//! other status carries both only when the rule gives a retry-after.

use super::status::ApiError;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// One fault rule: requests whose method and path match get `status` (and/or wait `latency`).
#[derive(Debug, Clone, Default)]
pub struct FaultRule {
    /// HTTP method to match (`GET`, `PATCH` ...); `None` matches any.
    pub method: Option<String>,
    /// Substring the request path must contain; `None` matches any.
    pub path_contains: Option<String>,
    /// Status to answer with (e.g. 500, 503, 429, 409); `None` only delays.
    pub status: Option<u16>,
    /// Seconds the answer asks the client to wait (`Retry-After` header and
    /// `details.retryAfterSeconds`); `None` means 1 for a 429 and nothing otherwise.
    pub retry_after: Option<u32>,
    /// Delay before answering.
    pub latency: Option<Duration>,
    /// How many requests the rule applies to; `None` means forever.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule answering `status` for requests with `method` on paths containing `path`.
    pub fn status(method: &str, path: &str, status: u16) -> Self {
        Self {
            method: Some(method.to_string()),
            path_contains: Some(path.to_string()),
            status: Some(status),
            ..Self::default()
        }
    }

    /// A rule delaying requests with `method` on paths containing `path` by `latency`.
    pub fn delay(method: &str, path: &str, latency: Duration) -> Self {
        Self {
            method: Some(method.to_string()),
            path_contains: Some(path.to_string()),
            latency: Some(latency),
            ..Self::default()
        }
    }

    /// Asks clients to wait `seconds` before retrying (header and `Status` details).
    #[must_use]
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Limits the rule to the next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self.times != Some(0)
    }
}

#[derive(Debug, Default)]
struct Inner {
    rules: Vec<FaultRule>,
    counts: BTreeMap<String, u64>,
    watch_drop_after: Option<usize>,
}

/// Fault rules and request counters shared by the HTTP layer.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<Inner>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a rule.
    pub fn add(&self, rule: FaultRule) {
        self.lock().rules.push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        let mut i = self.lock();
        i.rules.clear();
        i.watch_drop_after = None;
    }

    /// Makes every watch end after sending `n` events (`None`: never).
    pub fn set_watch_drop_after(&self, n: Option<usize>) {
        self.lock().watch_drop_after = n;
    }

    /// The watch drop setting.
    pub fn watch_drop_after(&self) -> Option<usize> {
        self.lock().watch_drop_after
    }

    /// Requests served so far, keyed by `METHOD path`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.lock().counts.clone()
    }

    /// Counts the request and applies the first matching rule.
    pub async fn check(&self, method: &str, path: &str) -> Option<ApiError> {
        let (latency, status, retry_after) = {
            let mut i = self.lock();
            *i.counts.entry(format!("{method} {path}")).or_default() += 1;
            let rule = i.rules.iter_mut().find(|r| r.matches(method, path))?;
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            (rule.latency, rule.status, rule.retry_after)
        };
        if let Some(d) = latency {
            tokio::time::sleep(d).await;
        }
        let status = status?;
        let error = ApiError::with_code(status, format!("injected fault: {status}"));
        match retry_after.or((status == 429).then_some(1)) {
            Some(seconds) => Some(error.with_retry_after(seconds)),
            None => Some(error),
        }
    }
}
