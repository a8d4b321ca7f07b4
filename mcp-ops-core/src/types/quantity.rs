//! [`Quantity`]: a Kubernetes resource quantity (`500m`, `2`, `1Gi`, `24Mi`, `1e3`) with exact
//! arithmetic on an integer count of nano-units.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const FIELD: &str = "quantity";
const NANOS_PER_UNIT: i128 = 1_000_000_000;
const NANOS_PER_MILLI: i128 = 1_000_000;

/// Binary suffixes and their power of 1024.
const BINARY: [(&str, u32); 6] = [
    ("Ki", 1),
    ("Mi", 2),
    ("Gi", 3),
    ("Ti", 4),
    ("Pi", 5),
    ("Ei", 6),
];
/// Decimal suffixes and their power of ten.
const DECIMAL: [(&str, i32); 9] = [
    ("n", -9),
    ("u", -6),
    ("m", -3),
    ("k", 3),
    ("M", 6),
    ("G", 9),
    ("T", 12),
    ("P", 15),
    ("E", 18),
];

/// Which suffix family a quantity is written in; only affects `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Binary,
    Decimal,
}

/// A Kubernetes resource quantity: CPU (`500m`, `2`), memory (`1Gi`, `24Mi`) or any other
/// amount, held exactly as an `i128` count of nano-units.
///
/// Equality, ordering and hashing are by value: `2000m == 2`, `1Gi == 1024Mi`, `1Gi > 1000Mi`.
/// Values finer than one nano-unit (`0.5n`) or beyond the `i128` range are rejected.
/// `Display` writes a canonical text that parses back to the same value: binary suffixes
/// (largest exact one) when the value was written with one and is a whole number of `Ki`,
/// otherwise the largest exact decimal suffix (`2`, `500m`, `1500m`, `1k`).
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Quantity {
    nanos: i128,
    family: Family,
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        family: Family::Decimal,
    };

    /// Parses the Kubernetes quantity grammar: optional sign, digits with an optional
    /// fraction, then nothing, a binary suffix (`Ki`…`Ei`), a decimal suffix (`n u m k M G T
    /// P E`) or an exponent (`e3`, `E-3`).
    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::invalid(FIELD, "must not be empty"));
        }
        let (negative, body) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let num_end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(num_end);
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(Error::invalid(
                FIELD,
                format!("{s:?} has no number (expected e.g. 500m, 2, 1Gi)"),
            ));
        }
        if frac.contains('.') {
            return Err(Error::invalid(
                FIELD,
                format!("{s:?} has more than one '.'"),
            ));
        }
        let (family, twos, fives) = parse_suffix(s, suffix)?;
        let frac = frac.trim_end_matches('0');
        let digits = format!("{int}{frac}");
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Ok(Self { nanos: 0, family });
        }
        let mantissa: u128 = digits
            .parse()
            .map_err(|_| Error::invalid(FIELD, format!("{s:?} has too many significant digits")))?;
        let frac_len = i64::try_from(frac.len()).unwrap_or(i64::MAX);
        let value = scale(mantissa, twos - frac_len, fives - frac_len, s)?;
        let nanos = if negative {
            0i128.checked_sub_unsigned(value)
        } else {
            i128::try_from(value).ok()
        };
        let nanos = nanos.ok_or_else(|| Error::invalid(FIELD, format!("{s:?} is out of range")))?;
        Ok(Self { nanos, family })
    }

    /// `millis` thousandths of a unit (CPU millicores).
    pub fn from_millis(millis: i64) -> Self {
        Self {
            nanos: i128::from(millis) * NANOS_PER_MILLI,
            family: Family::Decimal,
        }
    }

    /// `bytes` whole units, displayed with binary suffixes where exact (memory bytes).
    pub fn from_bytes(bytes: i64) -> Self {
        Self {
            nanos: i128::from(bytes) * NANOS_PER_UNIT,
            family: Family::Binary,
        }
    }

    /// `units` whole units, displayed with decimal suffixes (CPU cores, counts).
    pub fn from_units(units: i64) -> Self {
        Self {
            nanos: i128::from(units) * NANOS_PER_UNIT,
            family: Family::Decimal,
        }
    }

    /// The exact value in nano-units.
    pub fn as_nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in thousandths of a unit, rounded up (Kubernetes rounds CPU up to 1m).
    pub fn as_millis_ceil(&self) -> i128 {
        div_ceil(self.nanos, NANOS_PER_MILLI)
    }

    /// The value in whole units (bytes for memory), rounded up.
    pub fn as_units_ceil(&self) -> i128 {
        div_ceil(self.nanos, NANOS_PER_UNIT)
    }

    /// The exact sum, or `None` on overflow.
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        self.nanos.checked_add(other.nanos).map(|n| self.with(n))
    }

    /// The exact difference, or `None` on overflow.
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        self.nanos.checked_sub(other.nanos).map(|n| self.with(n))
    }

    /// The exact product with `factor`, or `None` on overflow.
    pub fn checked_mul(&self, factor: i64) -> Option<Quantity> {
        self.nanos
            .checked_mul(i128::from(factor))
            .map(|n| self.with(n))
    }

    /// Whether the value is a whole number of milli-units (`500m`, `2`; not `1n`, `0.5m`).
    pub fn is_whole_millis(&self) -> bool {
        self.nanos % NANOS_PER_MILLI == 0
    }

    /// Whether the value is a whole number of units (`1Gi`, `3`; not `500m`, `0.5`).
    pub fn is_whole_units(&self) -> bool {
        self.nanos % NANOS_PER_UNIT == 0
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// `self / other` as a float (e.g. memory used / limit), `None` when `other` is zero.
    pub fn ratio(&self, other: &Quantity) -> Option<f64> {
        if other.nanos == 0 {
            return None;
        }
        // Precision loss is accepted: the ratio is for thresholds and display only.
        #[allow(clippy::cast_precision_loss)]
        Some(self.nanos as f64 / other.nanos as f64)
    }

    fn with(&self, nanos: i128) -> Quantity {
        Quantity {
            nanos,
            family: self.family,
        }
    }
}

/// Returns the family and the powers of two and five (relative to nano-units) of `suffix`.
fn parse_suffix(s: &str, suffix: &str) -> Result<(Family, i64, i64)> {
    if suffix.is_empty() {
        return Ok((Family::Decimal, 9, 9));
    }
    if let Some(&(_, p)) = BINARY.iter().find(|(n, _)| *n == suffix) {
        return Ok((Family::Binary, 10 * i64::from(p) + 9, 9));
    }
    if let Some(&(_, p)) = DECIMAL.iter().find(|(n, _)| *n == suffix) {
        return Ok((Family::Decimal, i64::from(p) + 9, i64::from(p) + 9));
    }
    if let Some(exp) = suffix.strip_prefix(['e', 'E']) {
        let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        if !digits.is_empty()
            && digits.len() <= 6
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(e) = exp.parse::<i64>()
        {
            return Ok((Family::Decimal, e + 9, e + 9));
        }
        return Err(Error::invalid(
            FIELD,
            format!("{s:?} has exponent {exp:?}; expected an integer like e3 or E-3"),
        ));
    }
    Err(Error::invalid(
        FIELD,
        format!(
            "{s:?} has unknown suffix {suffix:?}; use Ki Mi Gi Ti Pi Ei, n u m k M G T P E or an exponent"
        ),
    ))
}

/// `mantissa * 2^twos * 5^fives`, exactly, or an error if it is fractional or overflows.
fn scale(mut m: u128, twos: i64, fives: i64, s: &str) -> Result<u128> {
    let too_fine = || Error::invalid(FIELD, format!("{s:?} is finer than 1n (one nano-unit)"));
    let too_big = || Error::invalid(FIELD, format!("{s:?} is out of range"));
    for (base, power) in [(2u128, twos), (5u128, fives)] {
        if power < 0 {
            for _ in 0..power.unsigned_abs().min(200) {
                if !m.is_multiple_of(base) {
                    return Err(too_fine());
                }
                m /= base;
            }
        }
    }
    for (base, power) in [(2u128, twos), (5u128, fives)] {
        if power > 0 {
            let p = u32::try_from(power).map_err(|_| too_big())?;
            let f = base.checked_pow(p).ok_or_else(too_big)?;
            m = m.checked_mul(f).ok_or_else(too_big)?;
        }
    }
    Ok(m)
}

fn div_ceil(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d > 0 { q + 1 } else { q }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Default for Quantity {
    fn default() -> Self {
        Self::ZERO
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let abs = self.nanos.unsigned_abs();
        let unit = NANOS_PER_UNIT.unsigned_abs();
        if self.family == Family::Binary && abs.is_multiple_of(unit * 1024) {
            let mut v = abs / unit;
            let mut suffix = "";
            for (name, _) in BINARY {
                if !v.is_multiple_of(1024) {
                    break;
                }
                v /= 1024;
                suffix = name;
            }
            return write!(f, "{sign}{v}{suffix}");
        }
        // Largest decimal suffix that divides exactly; the nano suffix always does.
        let mut best = (abs, "n");
        for (name, p) in [
            ("n", 0u32),
            ("u", 3),
            ("m", 6),
            ("", 9),
            ("k", 12),
            ("M", 15),
            ("G", 18),
            ("T", 21),
            ("P", 24),
            ("E", 27),
        ] {
            let d = 10u128.pow(p);
            if abs.is_multiple_of(d) {
                best = (abs / d, name);
            }
        }
        write!(f, "{sign}{}{}", best.0, best.1)
    }
}

impl fmt::Debug for Quantity {
    /// `Quantity(500m)`: the canonical text, which is exact.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quantity({self})")
    }
}

impl FromStr for Quantity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Quantity {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

impl From<Quantity> for String {
    fn from(q: Quantity) -> String {
        q.to_string()
    }
}

#[cfg(test)]
#[path = "quantity_tests.rs"]
mod tests;
