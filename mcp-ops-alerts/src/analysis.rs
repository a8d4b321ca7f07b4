//! Metric analysis: a check with a threshold, an interval, a failure limit and a number of
//! consecutive successes, giving `Pass`, `Breach { observed }` or `Inconclusive { why }`.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mcp_ops_core::Clock;

use crate::error::{AlertsError, Result};
use crate::prometheus::{PrometheusClient, Reading, queries};

/// The verdict of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The value is within the threshold.
    Pass,
    /// The value crossed the threshold.
    Breach {
        /// The observed value.
        observed: f64,
    },
    /// No decision is possible (no data, NaN, server unavailable).
    Inconclusive {
        /// Why.
        why: String,
    },
}

/// What a check measures.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Metric {
    /// Fraction of 5xx responses of a service over a window.
    ErrorRate {
        /// `service` label.
        service: String,
        /// Rate window.
        window: Duration,
    },
    /// p95 request duration in seconds.
    P95Latency {
        /// `service` label; all services when `None`.
        service: Option<String>,
    },
    /// Any PromQL expression that yields exactly one sample.
    Query(String),
}

/// A metric check (the runbook's "watch the error rate during the bake").
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCheck {
    /// Name used in logs and outcomes.
    pub name: String,
    /// What to measure.
    pub metric: Metric,
    /// A value strictly above this is a breach.
    pub threshold: f64,
    /// Time between evaluations.
    pub interval: Duration,
    /// Breaches tolerated; one more fails the check.
    pub failure_limit: u32,
    /// Passes in a row needed to succeed.
    pub consecutive_successes: u32,
    /// Inconclusive evaluations tolerated; one more makes the check inconclusive.
    pub inconclusive_limit: u32,
}

impl MetricCheck {
    /// The runbook's error-rate check for `service`: breach above `threshold` (0.05 = 5 %)
    /// over 5 minutes, every 30 s, no breach tolerated, 3 passes in a row.
    #[must_use]
    pub fn error_rate(service: impl Into<String>, threshold: f64) -> Self {
        let service = service.into();
        Self {
            name: format!("error-rate:{service}"),
            metric: Metric::ErrorRate {
                service,
                window: Duration::from_secs(300),
            },
            threshold,
            interval: Duration::from_secs(30),
            failure_limit: 0,
            consecutive_successes: 3,
            inconclusive_limit: 2,
        }
    }

    /// The runbook's latency check: breach when p95 exceeds `threshold_secs`.
    #[must_use]
    pub fn p95_latency(service: Option<String>, threshold_secs: f64) -> Self {
        Self {
            name: format!("p95:{}", service.as_deref().unwrap_or("all")),
            metric: Metric::P95Latency { service },
            threshold: threshold_secs,
            interval: Duration::from_secs(30),
            failure_limit: 0,
            consecutive_successes: 3,
            inconclusive_limit: 2,
        }
    }

    /// Sets the interval.
    #[must_use]
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Sets the failure limit.
    #[must_use]
    pub fn with_failure_limit(mut self, limit: u32) -> Self {
        self.failure_limit = limit;
        self
    }

    /// Sets the number of consecutive passes needed.
    #[must_use]
    pub fn with_consecutive_successes(mut self, n: u32) -> Self {
        self.consecutive_successes = n.max(1);
        self
    }

    /// Judges one reading against the threshold.
    #[must_use]
    pub fn judge(&self, reading: &Reading) -> Verdict {
        match reading {
            Reading::Value(v) if v.is_nan() => Verdict::Inconclusive {
                why: format!("{} is NaN", self.name),
            },
            Reading::Value(v) if *v > self.threshold => Verdict::Breach { observed: *v },
            Reading::Value(_) => Verdict::Pass,
            Reading::NoData(why) => Verdict::Inconclusive { why: why.clone() },
        }
    }

    /// Measures the metric at `at` (or now).
    ///
    /// # Errors
    /// Query and transport errors of the client.
    pub async fn measure(
        &self,
        client: &PrometheusClient,
        at: Option<Timestamp>,
    ) -> Result<Reading> {
        match &self.metric {
            Metric::ErrorRate { service, window } => {
                queries::error_rate(client, service, *window, at).await
            }
            Metric::P95Latency { service } => {
                queries::p95_latency(client, service.as_deref(), at).await
            }
            Metric::Query(q) => {
                let v = client.instant(q, at).await?.into_vector()?;
                Ok(match v.as_slice() {
                    [] => Reading::NoData(format!("{} returned no data", self.name)),
                    [one] if one.point.value.is_finite() => Reading::Value(one.point.value),
                    [one] => Reading::NoData(format!("{} is {}", self.name, one.point.value)),
                    _ => Reading::NoData(format!("{} returned {} series", self.name, v.len())),
                })
            }
        }
    }

    /// Measures and judges once. Transient failures (timeouts, an unavailable server) are
    /// `Inconclusive`; a malformed query is an error.
    ///
    /// # Errors
    /// Non-retryable errors (bad query, bad input).
    pub async fn evaluate(
        &self,
        client: &PrometheusClient,
        at: Option<Timestamp>,
    ) -> Result<Verdict> {
        match self.measure(client, at).await {
            Ok(r) => Ok(self.judge(&r)),
            Err(e) if e.is_retryable() => Ok(Verdict::Inconclusive { why: e.to_string() }),
            Err(e) => Err(e),
        }
    }

    /// Evaluates repeatedly on `schedule` until the check passes, fails or is inconclusive;
    /// live runs wait `interval` on `clock` between evaluations (a paused tokio clock in
    /// tests).
    ///
    /// # Errors
    /// Non-retryable errors of [`MetricCheck::evaluate`].
    pub async fn run(
        &self,
        client: &PrometheusClient,
        schedule: Schedule,
        clock: &dyn Clock,
    ) -> Result<CheckOutcome> {
        let mut tally = Tally::new(self);
        let step = SignedDuration::try_from(self.interval)
            .map_err(|e| AlertsError::InvalidInput(format!("interval: {e}")))?;
        let mut n: i32 = 0;
        loop {
            let at = match schedule {
                Schedule::Live => None,
                Schedule::Replay { start } => Some(
                    start
                        .checked_add(step * n)
                        .map_err(|e| AlertsError::InvalidInput(format!("replay time: {e}")))?,
                ),
            };
            let verdict = self.evaluate(client, at).await?;
            tracing::debug!(check = %self.name, ?verdict, "metric check evaluated");
            if let Some(outcome) = tally.observe(verdict) {
                return Ok(outcome);
            }
            n = n.saturating_add(1);
            if matches!(schedule, Schedule::Live) {
                clock.sleep(self.interval).await;
            }
        }
    }
}

/// When [`MetricCheck::run`] evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// At the server's current time, sleeping `interval` between evaluations.
    Live,
    /// At `start`, `start + interval`, … without sleeping (historical data, tests).
    Replay {
        /// First evaluation time.
        start: Timestamp,
    },
}

/// How a check run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckOutcome {
    /// Enough consecutive passes.
    Passed {
        /// Evaluations performed.
        evaluations: u32,
    },
    /// More breaches than the failure limit.
    Failed {
        /// The last breaching value.
        observed: f64,
        /// Breaches counted.
        breaches: u32,
    },
    /// More inconclusive evaluations than tolerated.
    Inconclusive {
        /// The last reason.
        why: String,
    },
}

/// Counts verdicts of one check run.
#[derive(Debug, Clone)]
pub struct Tally {
    failure_limit: u32,
    consecutive_successes: u32,
    inconclusive_limit: u32,
    evaluations: u32,
    breaches: u32,
    passes_in_a_row: u32,
    inconclusive: u32,
}

impl Tally {
    /// A fresh tally with the limits of `check`.
    #[must_use]
    pub fn new(check: &MetricCheck) -> Self {
        Self {
            failure_limit: check.failure_limit,
            consecutive_successes: check.consecutive_successes.max(1),
            inconclusive_limit: check.inconclusive_limit,
            evaluations: 0,
            breaches: 0,
            passes_in_a_row: 0,
            inconclusive: 0,
        }
    }

    /// Records one verdict; returns the outcome once the run is decided.
    pub fn observe(&mut self, verdict: Verdict) -> Option<CheckOutcome> {
        self.evaluations = self.evaluations.saturating_add(1);
        match verdict {
            Verdict::Pass => {
                self.passes_in_a_row += 1;
                (self.passes_in_a_row >= self.consecutive_successes).then_some(
                    CheckOutcome::Passed {
                        evaluations: self.evaluations,
                    },
                )
            }
            Verdict::Breach { observed } => {
                self.passes_in_a_row = 0;
                self.breaches += 1;
                (self.breaches > self.failure_limit).then_some(CheckOutcome::Failed {
                    observed,
                    breaches: self.breaches,
                })
            }
            Verdict::Inconclusive { why } => {
                self.passes_in_a_row = 0;
                self.inconclusive += 1;
                (self.inconclusive > self.inconclusive_limit)
                    .then_some(CheckOutcome::Inconclusive { why })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> MetricCheck {
        MetricCheck::error_rate("api", 0.05)
            .with_failure_limit(1)
            .with_consecutive_successes(2)
    }

    #[test]
    fn judges_against_the_threshold() {
        let c = check();
        assert_eq!(c.judge(&Reading::Value(0.03)), Verdict::Pass);
        assert_eq!(c.judge(&Reading::Value(0.05)), Verdict::Pass);
        assert_eq!(
            c.judge(&Reading::Value(0.12)),
            Verdict::Breach { observed: 0.12 }
        );
        assert!(matches!(
            c.judge(&Reading::Value(f64::NAN)),
            Verdict::Inconclusive { .. }
        ));
        assert!(matches!(
            c.judge(&Reading::NoData("no traffic".into())),
            Verdict::Inconclusive { why } if why == "no traffic"
        ));
    }

    #[test]
    fn passes_need_to_be_consecutive() {
        let mut t = Tally::new(&check());
        assert_eq!(t.observe(Verdict::Pass), None);
        assert_eq!(t.observe(Verdict::Breach { observed: 0.2 }), None);
        assert_eq!(t.observe(Verdict::Pass), None);
        assert_eq!(
            t.observe(Verdict::Pass),
            Some(CheckOutcome::Passed { evaluations: 4 })
        );
    }

    #[test]
    fn fails_after_the_failure_limit() {
        let mut t = Tally::new(&check());
        assert_eq!(t.observe(Verdict::Breach { observed: 0.2 }), None);
        assert_eq!(t.observe(Verdict::Pass), None);
        assert_eq!(
            t.observe(Verdict::Breach { observed: 0.3 }),
            Some(CheckOutcome::Failed {
                observed: 0.3,
                breaches: 2
            })
        );
    }

    #[test]
    fn inconclusive_after_its_limit() {
        let mut t = Tally::new(&check());
        for _ in 0..2 {
            assert_eq!(t.observe(Verdict::Inconclusive { why: "x".into() }), None);
        }
        assert_eq!(
            t.observe(Verdict::Inconclusive { why: "y".into() }),
            Some(CheckOutcome::Inconclusive { why: "y".into() })
        );
    }
}
