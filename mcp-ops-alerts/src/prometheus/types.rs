//! Typed results of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use crate::error::{AlertsError, Result};

/// A label set.
pub type Labels = BTreeMap<String, String>;

/// One value at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Evaluation time.
    pub at: Timestamp,
    /// The value; may be NaN or ±Inf as Prometheus reports them.
    pub value: f64,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels.
    pub metric: Labels,
    /// Its value.
    pub point: Point,
}

/// One series of a range vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' labels.
    pub metric: Labels,
    /// Its values, oldest first.
    pub points: Vec<Point>,
}

/// The typed `data` of a successful query.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum QueryResult {
    /// `resultType: vector`.
    Vector(Vec<Sample>),
    /// `resultType: matrix`.
    Matrix(Vec<Series>),
    /// `resultType: scalar`.
    Scalar(Point),
    /// `resultType: string`.
    String {
        /// Evaluation time.
        at: Timestamp,
        /// The string.
        value: String,
    },
}

impl QueryResult {
    /// The samples if this is a vector.
    ///
    /// # Errors
    /// [`AlertsError::Decode`] for any other result type.
    pub fn into_vector(self) -> Result<Vec<Sample>> {
        match self {
            Self::Vector(v) => Ok(v),
            other => Err(decode(format!("expected a vector, got {}", other.kind()))),
        }
    }

    /// The series if this is a matrix.
    ///
    /// # Errors
    /// [`AlertsError::Decode`] for any other result type.
    pub fn into_matrix(self) -> Result<Vec<Series>> {
        match self {
            Self::Matrix(m) => Ok(m),
            other => Err(decode(format!("expected a matrix, got {}", other.kind()))),
        }
    }

    /// The name of the result type as Prometheus spells it.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Vector(_) => "vector",
            Self::Matrix(_) => "matrix",
            Self::Scalar(_) => "scalar",
            Self::String { .. } => "string",
        }
    }
}

fn decode(detail: String) -> AlertsError {
    AlertsError::Decode {
        backend: "prometheus",
        detail,
    }
}

/// The API envelope.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope {
    pub status: String,
    #[serde(default)]
    pub data: Option<RawData>,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawData {
    result_type: String,
    result: serde_json::Value,
}

type RawPoint = (f64, String);

#[derive(Debug, Deserialize)]
struct RawSample {
    #[serde(default)]
    metric: Labels,
    value: Option<RawPoint>,
}

#[derive(Debug, Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: Labels,
    #[serde(default)]
    values: Vec<RawPoint>,
}

fn point((secs, value): RawPoint) -> Result<Point> {
    let value = parse_value(&value)?;
    Ok(Point {
        at: timestamp(secs)?,
        value,
    })
}

/// Parses Prometheus' sample value strings, including `NaN`, `+Inf` and `-Inf`.
pub(crate) fn parse_value(s: &str) -> Result<f64> {
    s.parse::<f64>()
        .map_err(|_| decode(format!("not a number: {s:?}")))
}

fn timestamp(secs: f64) -> Result<Timestamp> {
    // Millisecond precision is what Prometheus uses.
    let ms = (secs * 1000.0).round();
    if !ms.is_finite() || ms.abs() > 1e15 {
        return Err(decode(format!("bad timestamp {secs}")));
    }
    #[allow(clippy::cast_possible_truncation)]
    let ms = ms as i64;
    Timestamp::from_millisecond(ms).map_err(|e| decode(format!("bad timestamp {secs}: {e}")))
}

fn json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| decode(e.to_string()))
}

impl RawData {
    pub(crate) fn into_result(self) -> Result<QueryResult> {
        match self.result_type.as_str() {
            "vector" => {
                let raw: Vec<RawSample> = json(self.result)?;
                raw.into_iter()
                    .map(|s| {
                        let value = s.value.ok_or_else(|| {
                            decode("sample without a float value (native histograms are not supported)".into())
                        })?;
                        Ok(Sample {
                            metric: s.metric,
                            point: point(value)?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(QueryResult::Vector)
            }
            "matrix" => {
                let raw: Vec<RawSeries> = json(self.result)?;
                raw.into_iter()
                    .map(|s| {
                        Ok(Series {
                            metric: s.metric,
                            points: s.values.into_iter().map(point).collect::<Result<_>>()?,
                        })
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(QueryResult::Matrix)
            }
            "scalar" => Ok(QueryResult::Scalar(point(json(self.result)?)?)),
            "string" => {
                let (secs, value): RawPoint = json(self.result)?;
                Ok(QueryResult::String {
                    at: timestamp(secs)?,
                    value,
                })
            }
            other => Err(decode(format!("unknown resultType {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn parse(body: &str) -> QueryResult {
        let env: Envelope = serde_json::from_str(body).unwrap();
        env.data.unwrap().into_result().unwrap()
    }

    #[test]
    fn parses_all_result_types() {
        let v = parse(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1795501800,"0.12"]}]}}"#,
        );
        let v = v.into_vector().unwrap();
        assert_eq!(v[0].metric["a"], "b");
        assert!((v[0].point.value - 0.12).abs() < 1e-12);
        assert_eq!(v[0].point.at.as_second(), 1_795_501_800);

        let m = parse(
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1.5,"1"],[2.5,"NaN"]]}]}}"#,
        );
        let m = m.into_matrix().unwrap();
        assert_eq!(m[0].points.len(), 2);
        assert!(m[0].points[1].value.is_nan());
        assert_eq!(m[0].points[0].at.as_millisecond(), 1500);

        let s =
            parse(r#"{"status":"success","data":{"resultType":"scalar","result":[10,"+Inf"]}}"#);
        assert!(matches!(s, QueryResult::Scalar(p) if p.value == f64::INFINITY));

        let s = parse(r#"{"status":"success","data":{"resultType":"string","result":[10,"abc"]}}"#);
        assert!(matches!(s, QueryResult::String { ref value, .. } if value == "abc"));
    }

    #[test]
    fn wrong_kind_is_a_decode_error() {
        let s =
            parse(r#"{"status":"success","data":{"resultType":"scalar","result":[10,"-Inf"]}}"#);
        assert!(matches!(s.into_vector(), Err(AlertsError::Decode { .. })));
    }
}
