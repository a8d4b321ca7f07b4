//! Timeouts and retries for every API call.
//!
//! Each attempt is bounded by [`RetryPolicy::call_timeout`]. Transient failures (429, 5xx,
//! connection errors, attempt timeouts) are retried with full-jitter exponential backoff,
//! capped by [`RetryPolicy::max_delay`], at most [`RetryPolicy::max_attempts`] times in all;
//! a `retryAfterSeconds` from the server replaces the computed delay (capped the same way).
//! Read-modify-write operations also retry a 409 Conflict: the operation closure re-reads
//! the object on every attempt.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::error::Failure;

/// How calls are bounded and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (at least 1).
    pub max_attempts: u32,
    /// The first backoff ceiling; doubled per attempt.
    pub base_delay: Duration,
    /// The largest wait between attempts.
    pub max_delay: Duration,
    /// The time one attempt may take.
    pub call_timeout: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff from 100 ms up to 5 s, 30 s per attempt.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            call_timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a 409 Conflict is retried (only when the operation re-reads what it writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnConflict {
    /// Return the conflict.
    Fail,
    /// Run the operation again (it re-reads the object).
    Reread,
}

/// A random fraction in [0, 1) from the standard library's per-process random keys.
fn jitter() -> f64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    // 53 random bits → [0, 1).
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 0): the server's
    /// `retry_after` if given, otherwise full jitter below `base · 2^attempt`; both capped.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(d) = retry_after {
            return d.min(self.max_delay);
        }
        let ceiling = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(16)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        ceiling.mul_f64(jitter())
    }

    /// Runs `op` with a timeout per attempt, retrying transient failures (and conflicts when
    /// `on_conflict` says so).
    pub(crate) async fn run<T, F, Fut>(
        &self,
        what: &str,
        on_conflict: OnConflict,
        mut op: F,
    ) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let attempts = self.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            let result = match tokio::time::timeout(self.call_timeout, op()).await {
                Ok(r) => r,
                Err(_) => Err(Failure::Timeout(self.call_timeout)),
            };
            let failure = match result {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let retry = failure.is_transient()
                || (on_conflict == OnConflict::Reread && failure.is_conflict());
            attempt += 1;
            if !retry || attempt >= attempts {
                return Err(failure);
            }
            let wait = self.delay(attempt - 1, failure.retry_after());
            tracing::debug!(%what, attempt, ?wait, error = %failure, "retrying kubernetes call");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            call_timeout: Duration::from_secs(5),
        }
    }

    fn api(code: u16) -> Failure {
        Failure::Api {
            code,
            reason: String::new(),
            message: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn delays_are_bounded_and_honour_retry_after() {
        let p = fast();
        for a in 0..40 {
            assert!(p.delay(a, None) <= p.max_delay);
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_millis(3))),
            Duration::from_millis(3)
        );
        assert_eq!(p.delay(0, Some(Duration::from_secs(60))), p.max_delay);
    }

    #[tokio::test]
    async fn transient_failures_are_retried_a_bounded_number_of_times() {
        let calls = AtomicU32::new(0);
        let r: Result<(), Failure> = fast()
            .run("t", OnConflict::Fail, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(api(503))
            })
            .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let r = fast()
            .run("t", OnConflict::Fail, || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(api(429))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(r.unwrap(), 7);
    }

    #[tokio::test]
    async fn conflicts_only_with_reread_and_never_404() {
        let calls = AtomicU32::new(0);
        let r: Result<(), Failure> = fast()
            .run("t", OnConflict::Fail, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(api(409))
            })
            .await;
        assert!(r.unwrap_err().is_conflict());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let calls = AtomicU32::new(0);
        let r: Result<(), Failure> = fast()
            .run("t", OnConflict::Reread, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(api(409))
            })
            .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        let calls = AtomicU32::new(0);
        let _ = fast()
            .run("t", OnConflict::Reread, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(api(404))
            })
            .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
