//! The apimachinery types whose JSON form is not their protobuf structure: Time, MicroTime,
//! Duration, Quantity, IntOrString, RawExtension, FieldsV1 and ExtraValue (a list of strings),
//! each as Go marshals it.

use super::schema::Ty;
use super::wire::{Fields, WireValue};
use serde_json::{Value, json};

/// Decodes the message bytes of a special type into its JSON value; `Err` holds the problem.
pub fn decode(ty: Ty, bytes: &[u8]) -> Result<Value, String> {
    let fields = read(bytes)?;
    let varint = |n: u32| {
        fields.iter().rev().find_map(|(f, v)| match v {
            WireValue::Varint(x) if *f == n => Some(*x),
            _ => None,
        })
    };
    let len = |n: u32| {
        fields.iter().rev().find_map(|(f, v)| match v {
            WireValue::Len(b) if *f == n => Some(*b),
            _ => None,
        })
    };
    match ty {
        // metav1.Time / MicroTime: an empty message is the zero time (null).
        Ty::Time | Ty::MicroTime if bytes.is_empty() => Ok(Value::Null),
        Ty::Time => time(varint(1).unwrap_or(0) as i64, None),
        Ty::MicroTime => {
            let nanos = varint(2).unwrap_or(0) as i64;
            time(varint(1).unwrap_or(0) as i64, Some(nanos))
        }
        Ty::Duration => Ok(json!(go_duration(varint(1).unwrap_or(0) as i64))),
        Ty::Quantity => match len(1) {
            None => Ok(json!("0")),
            Some([]) => Err("a Quantity with an empty string".to_string()),
            Some(s) => Ok(json!(String::from_utf8_lossy(s))),
        },
        Ty::IntOrString => match varint(1).unwrap_or(0) {
            0 => Ok(json!(varint(2).unwrap_or(0) as i64 as i32)),
            1 => Ok(json!(String::from_utf8_lossy(len(3).unwrap_or_default()))),
            t => Err(format!("an IntOrString of type {t}")),
        },
        Ty::StringList => Ok(Value::Array(
            fields
                .iter()
                .filter_map(|(f, v)| match v {
                    WireValue::Len(b) if *f == 1 => Some(json!(String::from_utf8_lossy(b))),
                    _ => None,
                })
                .collect(),
        )),
        Ty::RawExtension | Ty::FieldsV1 => match len(1) {
            None => Ok(Value::Null),
            Some(raw) => {
                serde_json::from_slice(raw).map_err(|e| format!("raw value is not JSON: {e}"))
            }
        },
        _ => Err(format!("{ty:?} is not a special type")),
    }
}

/// The JSON of the zero value of a special type (a Go struct that was never sent).
pub fn zero(ty: Ty) -> Value {
    match ty {
        Ty::Duration => json!("0s"),
        Ty::Quantity => json!("0"),
        Ty::IntOrString => json!(0),
        _ => Value::Null,
    }
}

fn read(bytes: &[u8]) -> Result<Vec<(u32, WireValue<'_>)>, String> {
    Fields::new(bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// `metav1.Time` (seconds; Go drops the nanoseconds) or `MicroTime` (microseconds), in UTC.
fn time(seconds: i64, nanos: Option<i64>) -> Result<Value, String> {
    let ts =
        jiff::Timestamp::from_second(seconds).map_err(|e| format!("time out of range: {e}"))?;
    let base = jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%S", ts)
        .map_err(|e| format!("time not printable: {e}"))?;
    match nanos {
        None => Ok(json!(format!("{base}Z"))),
        Some(n) if (0..1_000_000_000).contains(&n) => Ok(json!(format!("{base}.{:06}Z", n / 1000))),
        Some(n) => Err(format!("nanoseconds {n} out of range")),
    }
}

/// Go's `time.Duration.String()`.
pub fn go_duration(d: i64) -> String {
    if d == 0 {
        return "0s".to_string();
    }
    let u = d.unsigned_abs();
    let body = if u < 1_000_000_000 {
        let (div, digits, unit) = match u {
            0..1_000 => (1, 0, "ns"),
            1_000..1_000_000 => (1_000, 3, "µs"),
            _ => (1_000_000, 6, "ms"),
        };
        format!("{}{unit}", decimal(u / div, u % div, digits))
    } else {
        let secs = u / 1_000_000_000;
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let head = match (h, m) {
            (0, 0) => String::new(),
            (0, m) => format!("{m}m"),
            (h, m) => format!("{h}h{m}m"),
        };
        format!("{head}{}s", decimal(s, u % 1_000_000_000, 9))
    };
    if d < 0 { format!("-{body}") } else { body }
}

/// `int.frac` with `digits` fraction digits, trailing zeros (and a bare dot) dropped.
fn decimal(int: u64, frac: u64, digits: usize) -> String {
    if frac == 0 || digits == 0 {
        return int.to_string();
    }
    let f = format!("{frac:0digits$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn msg(fields: &[(u8, u64)]) -> Vec<u8> {
        let mut b = Vec::new();
        for (n, v) in fields {
            b.push(n << 3);
            let mut v = *v;
            while v >= 0x80 {
                b.push((v as u8) | 0x80);
                v >>= 7;
            }
            b.push(v as u8);
        }
        b
    }

    #[test]
    fn times_as_go_marshals_them() {
        let t = msg(&[(1, 1_767_225_600), (2, 123_456_789)]);
        assert_eq!(decode(Ty::Time, &t).unwrap(), json!("2026-01-01T00:00:00Z"));
        assert_eq!(
            decode(Ty::MicroTime, &t).unwrap(),
            json!("2026-01-01T00:00:00.123456Z")
        );
        assert_eq!(decode(Ty::Time, &[]).unwrap(), Value::Null);
        assert!(decode(Ty::Time, &msg(&[(1, i64::MAX as u64)])).is_err());
    }

    #[test]
    fn durations_as_go_prints_them() {
        for (d, s) in [
            (0, "0s"),
            (1, "1ns"),
            (1_500, "1.5µs"),
            (2_000_000, "2ms"),
            (1_000_000_000, "1s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_723_005_000_000, "1h2m3.005s"),
            (-1_500_000_000, "-1.5s"),
        ] {
            assert_eq!(go_duration(d), s, "{d}");
        }
    }

    #[test]
    fn quantities_int_or_strings_and_raw_json() {
        let mut q = vec![0x0a, 4];
        q.extend(b"500m");
        assert_eq!(decode(Ty::Quantity, &q).unwrap(), json!("500m"));
        assert_eq!(decode(Ty::Quantity, &[]).unwrap(), json!("0"));
        assert!(decode(Ty::Quantity, &[0x0a, 0]).is_err());
        assert_eq!(
            decode(Ty::IntOrString, &msg(&[(2, 8080)])).unwrap(),
            json!(8080)
        );
        let neg = msg(&[(2, -1i64 as u64)]);
        assert_eq!(decode(Ty::IntOrString, &neg).unwrap(), json!(-1));
        let mut s = msg(&[(1, 1)]);
        s.extend([0x1a, 3]);
        s.extend(b"25%");
        assert_eq!(decode(Ty::IntOrString, &s).unwrap(), json!("25%"));
        assert!(decode(Ty::IntOrString, &msg(&[(1, 2)])).is_err());
        let mut raw = vec![0x0a, 7];
        raw.extend(br#"{"a":1}"#);
        assert_eq!(decode(Ty::FieldsV1, &raw).unwrap(), json!({"a": 1}));
        assert!(decode(Ty::RawExtension, &[0x0a, 1, b'{']).is_err());
        assert_eq!(
            decode(Ty::Duration, &msg(&[(1, 1_000_000_000)])).unwrap(),
            json!("1s")
        );
        assert_eq!(zero(Ty::IntOrString), json!(0));
    }
}
