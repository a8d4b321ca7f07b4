//! Generates the runbook's series as OpenMetrics text for `promtool tsdb
//! create-blocks-from openmetrics`.
//!
//! Pitfalls handled here: timestamps are written in **seconds**, samples of a series are
//! sorted by time, series of one metric are contiguous, and the text ends with `# EOF`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;

/// One generated series.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedSeries {
    /// Metric name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// `(unix seconds, value)`, sorted by time.
    pub samples: Vec<(i64, f64)>,
}

/// A set of series over `[end - span, end]`, one sample every `step`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSet {
    end: i64,
    span: i64,
    step: i64,
    series: Vec<GeneratedSeries>,
}

/// Bucket bounds used for generated latency histograms (the target p95 is added).
const BOUNDS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0];

impl SeriesSet {
    /// Series ending at `end` (rounded down to the second), 15 minutes long, one sample
    /// every 15 s.
    #[must_use]
    pub fn ending_at(end: Timestamp) -> Self {
        Self {
            end: end.as_second(),
            span: 15 * 60,
            step: 15,
            series: Vec::new(),
        }
    }

    /// Series ending at the current minute.
    #[must_use]
    pub fn ending_now() -> Self {
        let now = Timestamp::now().as_second();
        Self::ending_at(Timestamp::from_second(now - now % 60).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    /// Changes the span covered (at least two steps).
    #[must_use]
    pub fn with_span(mut self, span: Duration, step: Duration) -> Self {
        let step = i64::try_from(step.as_secs()).unwrap_or(15).max(1);
        let span = i64::try_from(span.as_secs()).unwrap_or(900).max(2 * step);
        self.span = span;
        self.step = step;
        self
    }

    /// The time of the last sample: evaluate queries here for deterministic answers.
    #[must_use]
    pub fn end(&self) -> Timestamp {
        Timestamp::from_second(self.end).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// The generated series.
    #[must_use]
    pub fn series(&self) -> &[GeneratedSeries] {
        &self.series
    }

    fn times(&self) -> impl Iterator<Item = (i64, f64)> + '_ {
        let start = self.end - self.span;
        (0..=self.span / self.step).map(move |i| {
            let t = start + i * self.step;
            #[allow(clippy::cast_precision_loss)]
            let elapsed = (t - start) as f64;
            (t, elapsed)
        })
    }

    /// A counter growing at `per_second`.
    #[must_use]
    pub fn counter(mut self, name: &str, labels: &[(&str, &str)], per_second: f64) -> Self {
        let samples = self.times().map(|(t, e)| (t, per_second * e)).collect();
        self.push(name, labels, samples);
        self
    }

    /// A gauge constant at `value`.
    #[must_use]
    pub fn gauge(mut self, name: &str, labels: &[(&str, &str)], value: f64) -> Self {
        let samples = self.times().map(|(t, _)| (t, value)).collect();
        self.push(name, labels, samples);
        self
    }

    /// `http_requests_total{service, status}` at `rps` requests per second of which the
    /// fraction `error_ratio` answer `status="500"` (the rest `status="200"`).
    #[must_use]
    pub fn requests(self, service: &str, rps: f64, error_ratio: f64) -> Self {
        self.counter(
            "http_requests_total",
            &[("service", service), ("status", "200")],
            rps * (1.0 - error_ratio),
        )
        .counter(
            "http_requests_total",
            &[("service", service), ("status", "500")],
            rps * error_ratio,
        )
    }

    /// `http_request_duration_seconds_{bucket,count,sum}{service}` at `rps` with the bucket
    /// layout chosen so that `histogram_quantile(0.95, …)` answers ≈ `p95` seconds.
    #[must_use]
    pub fn latency(mut self, service: &str, rps: f64, p95: f64) -> Self {
        let mut bounds: Vec<f64> = BOUNDS.to_vec();
        if !bounds.iter().any(|b| (b - p95).abs() < 1e-9) {
            bounds.push(p95);
        }
        bounds.sort_by(f64::total_cmp);
        let max = bounds.last().copied().unwrap_or(p95);
        for b in &bounds {
            let fraction = if *b < p95 {
                0.95 * b / p95
            } else if *b > p95 {
                0.95 + 0.04 * (b - p95) / (max - p95)
            } else {
                0.95
            };
            let le = format_value(*b);
            self = self.counter(
                "http_request_duration_seconds_bucket",
                &[("service", service), ("le", &le)],
                rps * fraction,
            );
        }
        self.counter(
            "http_request_duration_seconds_bucket",
            &[("service", service), ("le", "+Inf")],
            rps,
        )
        .counter(
            "http_request_duration_seconds_count",
            &[("service", service)],
            rps,
        )
        .counter(
            "http_request_duration_seconds_sum",
            &[("service", service)],
            rps * p95 * 0.6,
        )
    }

    /// `container_memory_usage_bytes` and (when given) `container_spec_memory_limit_bytes`
    /// for one container.
    #[must_use]
    pub fn memory(
        self,
        namespace: &str,
        pod: &str,
        container: &str,
        usage_bytes: f64,
        limit_bytes: Option<f64>,
    ) -> Self {
        let labels = [
            ("namespace", namespace),
            ("pod", pod),
            ("container", container),
        ];
        let s = self.gauge("container_memory_usage_bytes", &labels, usage_bytes);
        match limit_bytes {
            Some(l) => s.gauge("container_spec_memory_limit_bytes", &labels, l),
            None => s,
        }
    }

    fn push(&mut self, name: &str, labels: &[(&str, &str)], samples: Vec<(i64, f64)>) {
        self.series.push(GeneratedSeries {
            name: name.to_owned(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            samples,
        });
    }

    /// The OpenMetrics text (series grouped by metric, samples sorted, seconds, `# EOF`).
    #[must_use]
    pub fn to_openmetrics(&self) -> String {
        let mut series: Vec<&GeneratedSeries> = self.series.iter().collect();
        series.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
        let mut out = String::new();
        for s in series {
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect::<Vec<_>>()
                .join(",");
            let mut samples = s.samples.clone();
            samples.sort_by_key(|(t, _)| *t);
            for (t, v) in samples {
                let _ = writeln!(out, "{}{{{labels}}} {} {t}", s.name, format_value(v));
            }
        }
        out.push_str("# EOF\n");
        out
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn openmetrics_uses_seconds_sorted_samples_and_eof() {
        let end = Timestamp::from_second(1_795_501_800).unwrap();
        let text = SeriesSet::ending_at(end)
            .requests("api", 100.0, 0.12)
            .to_openmetrics();
        assert!(text.ends_with("# EOF\n"));
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), 2 * 61);
        assert_eq!(
            lines[0],
            r#"http_requests_total{service="api",status="200"} 0 1795500900"#
        );
        assert_eq!(
            lines[60],
            r#"http_requests_total{service="api",status="200"} 79200 1795501800"#
        );
        let times: Vec<i64> = lines[..61]
            .iter()
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn latency_buckets_are_cumulative() {
        let s = SeriesSet::ending_at(Timestamp::from_second(1_000_000).unwrap())
            .latency("api", 10.0, 3.0);
        let last: Vec<f64> = s
            .series()
            .iter()
            .filter(|g| g.name.ends_with("_bucket"))
            .map(|g| g.samples.last().unwrap().1)
            .collect();
        assert!(last.windows(2).all(|w| w[0] <= w[1]), "{last:?}");
    }
}
