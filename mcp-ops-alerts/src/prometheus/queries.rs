//! The runbook's PromQL queries ("Monitoring and Alerting"), guarded so that missing traffic is
//! reported as [`Reading::NoData`] instead of NaN.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use super::client::PrometheusClient;
use super::types::Sample;
use crate::error::{AlertsError, Result};

/// A measured value, or the reason there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A finite value.
    Value(f64),
    /// No usable data (no series, no traffic, NaN).
    NoData(String),
}

impl Reading {
    /// The value, if there is one.
    #[must_use]
    pub fn value(&self) -> Option<f64> {
        match self {
            Self::Value(v) => Some(*v),
            Self::NoData(_) => None,
        }
    }

    fn from_samples(samples: &[Sample], what: &str) -> Self {
        match samples {
            [] => Self::NoData(format!("no data for {what}")),
            [one] if one.point.value.is_finite() => Self::Value(one.point.value),
            [one] => Self::NoData(format!("{what} is {}", one.point.value)),
            many => Self::NoData(format!(
                "{what} returned {} series, expected one",
                many.len()
            )),
        }
    }
}

/// Quotes a label value as a PromQL string literal.
#[must_use]
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Formats a duration as a PromQL range (`5m`, `90s`).
///
/// # Errors
/// [`AlertsError::InvalidInput`] for windows shorter than one second.
pub fn range_selector(window: Duration) -> Result<String> {
    let secs = window.as_secs();
    if secs == 0 {
        return Err(AlertsError::InvalidInput(
            "window must be at least 1 s".into(),
        ));
    }
    Ok(if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    })
}

/// The runbook's error-rate query for one service, guarded against no traffic:
/// `(sum(rate(5xx[w])) or vector(0)) / (sum(rate(all[w])) > 0)`.
///
/// # Errors
/// [`AlertsError::InvalidInput`] for a bad window.
pub fn error_rate_query(service: &str, window: Duration) -> Result<String> {
    let w = range_selector(window)?;
    let s = quote(service);
    Ok(format!(
        "(sum(rate(http_requests_total{{service={s},status=~\"5..\"}}[{w}])) or vector(0)) \
         / (sum(rate(http_requests_total{{service={s}}}[{w}])) > 0)"
    ))
}

/// The runbook's p95 query: `histogram_quantile(0.95, sum by (le) (rate(…_bucket[5m])))`,
/// restricted to `service` when given.
#[must_use]
pub fn p95_query(service: Option<&str>) -> String {
    let selector = service
        .map(|s| format!("{{service={}}}", quote(s)))
        .unwrap_or_default();
    format!(
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{selector}[5m])))"
    )
}

/// The fraction of requests of `service` answered with a 5xx status over `window`,
/// evaluated at `at` (or now).
///
/// # Errors
/// Query and transport errors of [`PrometheusClient::instant`].
pub async fn error_rate(
    client: &PrometheusClient,
    service: &str,
    window: Duration,
    at: Option<Timestamp>,
) -> Result<Reading> {
    let q = error_rate_query(service, window)?;
    let v = client.instant(&q, at).await?.into_vector()?;
    Ok(
        match Reading::from_samples(&v, &format!("error rate of {service}")) {
            Reading::NoData(_) => Reading::NoData(format!(
                "no traffic for service {service} in the last {}",
                range_selector(window)?
            )),
            r => r,
        },
    )
}

/// Error rates of every service with traffic over `window`, by `service` label.
///
/// # Errors
/// Query and transport errors of [`PrometheusClient::instant`].
pub async fn error_rates_by_service(
    client: &PrometheusClient,
    window: Duration,
    at: Option<Timestamp>,
) -> Result<BTreeMap<String, f64>> {
    let w = range_selector(window)?;
    let all = format!("sum by (service) (rate(http_requests_total[{w}]))");
    let q = format!(
        "(sum by (service) (rate(http_requests_total{{status=~\"5..\"}}[{w}])) or ({all} * 0)) / ({all} > 0)"
    );
    let v = client.instant(&q, at).await?.into_vector()?;
    Ok(v.into_iter()
        .filter(|s| s.point.value.is_finite())
        .filter_map(|s| {
            let svc = s.metric.get("service")?.clone();
            Some((svc, s.point.value))
        })
        .collect())
}

/// The 95th-percentile request duration in seconds (all services when `service` is `None`).
///
/// # Errors
/// Query and transport errors of [`PrometheusClient::instant`].
pub async fn p95_latency(
    client: &PrometheusClient,
    service: Option<&str>,
    at: Option<Timestamp>,
) -> Result<Reading> {
    let v = client
        .instant(&p95_query(service), at)
        .await?
        .into_vector()?;
    let what = match service {
        Some(s) => format!("p95 latency of {s}"),
        None => "p95 latency".to_owned(),
    };
    Ok(Reading::from_samples(&v, &what))
}

/// Memory usage of one container against its limit.
#[derive(Debug, Clone, PartialEq)]
pub struct PodMemory {
    /// Namespace label.
    pub namespace: String,
    /// Pod label.
    pub pod: String,
    /// Container label.
    pub container: String,
    /// `container_memory_usage_bytes`.
    pub usage_bytes: f64,
    /// `container_spec_memory_limit_bytes`; `None` when there is no limit.
    pub limit_bytes: Option<f64>,
}

impl PodMemory {
    /// usage / limit, or `None` without a limit.
    #[must_use]
    pub fn ratio(&self) -> Option<f64> {
        self.limit_bytes.map(|l| self.usage_bytes / l)
    }
}

/// `container_memory_usage_bytes` and `container_spec_memory_limit_bytes` per container
/// (in `namespace` when given), joined on namespace / pod / container.
///
/// # Errors
/// Query and transport errors of [`PrometheusClient::instant`].
pub async fn memory_usage(
    client: &PrometheusClient,
    namespace: Option<&str>,
    at: Option<Timestamp>,
) -> Result<Vec<PodMemory>> {
    let sel = match namespace {
        Some(ns) => format!("{{namespace={},container!=\"\"}}", quote(ns)),
        None => "{container!=\"\"}".to_owned(),
    };
    let usage = client
        .instant(&format!("container_memory_usage_bytes{sel}"), at)
        .await?
        .into_vector()?;
    let limits = client
        .instant(&format!("container_spec_memory_limit_bytes{sel} > 0"), at)
        .await?
        .into_vector()?;
    let key = |s: &Sample| {
        let l = |k: &str| s.metric.get(k).cloned().unwrap_or_default();
        (l("namespace"), l("pod"), l("container"))
    };
    let limit_by_key: BTreeMap<_, _> = limits.iter().map(|s| (key(s), s.point.value)).collect();
    let mut out: Vec<PodMemory> = usage
        .iter()
        .map(|s| {
            let k = key(s);
            let limit_bytes = limit_by_key.get(&k).copied();
            PodMemory {
                namespace: k.0,
                pod: k.1,
                container: k.2,
                usage_bytes: s.point.value,
                limit_bytes,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn quotes_label_values() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn formats_windows() {
        assert_eq!(range_selector(Duration::from_secs(300)).unwrap(), "5m");
        assert_eq!(range_selector(Duration::from_secs(7200)).unwrap(), "2h");
        assert_eq!(range_selector(Duration::from_secs(90)).unwrap(), "90s");
        assert!(range_selector(Duration::from_millis(500)).is_err());
    }

    #[test]
    fn queries_have_the_runbook_shape() {
        let q = error_rate_query("api", Duration::from_secs(300)).unwrap();
        assert!(q.contains(r#"http_requests_total{service="api",status=~"5.."}[5m]"#));
        assert!(q.contains("> 0)"));
        assert_eq!(
            p95_query(None),
            "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
        );
    }
}
