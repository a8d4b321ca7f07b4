//! [`Severity`]: the runbook's incident priorities P0–P3.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// An incident priority as the runbook defines it.
///
/// **Ordering: greater means more severe.** `P0 > P1 > P2 > P3`, so `iter().max()` gives the
/// worst severity of several findings and `sev >= Severity::P1` reads "P1 or worse". Use
/// [`Severity::is_more_severe_than`] where that reads better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Severity {
    /// Critical system down: all services unavailable, 5xx errors across all endpoints.
    P0,
    /// High error rate: error rate above 5 % for more than 5 minutes.
    P1,
    /// High response times: p95 response time above 2 seconds.
    P2,
    /// Low: informational, no user impact.
    P3,
}

impl Severity {
    /// All severities, most severe first.
    pub const ALL: [Severity; 4] = [Severity::P0, Severity::P1, Severity::P2, Severity::P3];

    /// The priority number: 0 for P0 … 3 for P3 (smaller is more severe).
    pub fn level(&self) -> u8 {
        match self {
            Severity::P0 => 0,
            Severity::P1 => 1,
            Severity::P2 => 2,
            Severity::P3 => 3,
        }
    }

    /// `P0` … `P3`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Severity::P0 => "P0",
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        }
    }

    /// Whether `self` is strictly more severe than `other` (`P0` is more severe than `P1`).
    pub fn is_more_severe_than(&self, other: &Severity) -> bool {
        self.level() < other.level()
    }

    /// The runbook's meaning of this severity.
    pub fn meaning(&self) -> &'static str {
        match self {
            Severity::P0 => {
                "critical system down: all services unavailable, 5xx errors across all endpoints"
            }
            Severity::P1 => "high error rate: error rate above 5% for more than 5 minutes",
            Severity::P2 => "high response times: p95 response time above 2 seconds",
            Severity::P3 => "low: informational, no immediate user impact",
        }
    }

    /// Whether the runbook triggers a PagerDuty incident: P0 and P1.
    pub fn pages(&self) -> bool {
        matches!(self, Severity::P0 | Severity::P1)
    }

    /// Whether the runbook emails mcp-alerts: "for P2+ issues", read as P2 **and everything
    /// more severe** (P0, P1, P2); P3 is not emailed.
    pub fn emails(&self) -> bool {
        !matches!(self, Severity::P3)
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Severity {
    /// Greater is more severe: `P0 > P3`.
    fn cmp(&self, other: &Self) -> Ordering {
        other.level().cmp(&self.level())
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = Error;
    /// Accepts `P0`…`P3` in either case.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "P0" | "p0" => Ok(Severity::P0),
            "P1" | "p1" => Ok(Severity::P1),
            "P2" | "p2" => Ok(Severity::P2),
            "P3" | "p3" => Ok(Severity::P3),
            _ => Err(Error::invalid(
                "severity",
                format!("{s:?} is not one of P0, P1, P2, P3"),
            )),
        }
    }
}

impl TryFrom<String> for Severity {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<Severity> for String {
    fn from(s: Severity) -> String {
        s.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ordering_greater_is_more_severe() {
        assert!(Severity::P0 > Severity::P1);
        assert!(Severity::P2 > Severity::P3);
        assert_eq!(Severity::ALL.iter().max(), Some(&Severity::P0));
        assert!(Severity::P0.is_more_severe_than(&Severity::P1));
        assert!(!Severity::P1.is_more_severe_than(&Severity::P1));
        assert!(!Severity::P3.is_more_severe_than(&Severity::P2));
        let mut v = vec![Severity::P2, Severity::P0, Severity::P3, Severity::P1];
        v.sort();
        assert_eq!(v, [Severity::P3, Severity::P2, Severity::P1, Severity::P0]);
    }

    #[test]
    fn runbook_communication_rules() {
        let pages: Vec<_> = Severity::ALL.iter().map(Severity::pages).collect();
        assert_eq!(pages, [true, true, false, false]);
        let emails: Vec<_> = Severity::ALL.iter().map(Severity::emails).collect();
        assert_eq!(emails, [true, true, true, false]);
        assert!(Severity::P0.meaning().contains("5xx"));
        assert!(Severity::P1.meaning().contains("5%"));
        assert!(Severity::P2.meaning().contains("p95"));
    }

    #[test]
    fn parse_and_serde() {
        for s in Severity::ALL {
            assert_eq!(s.to_string().parse::<Severity>().unwrap(), s);
            assert_eq!(s.to_string().to_lowercase().parse::<Severity>().unwrap(), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{s}\""));
            assert_eq!(serde_json::from_str::<Severity>(&json).unwrap(), s);
        }
        let bad = [
            "", "P", "P4", "p5", "0", "P-1", " P0", "P0 ", "PP0", "critical", "P01", "Ｐ0",
        ];
        for b in bad {
            assert!(b.parse::<Severity>().is_err(), "{b:?}");
        }
        assert!(serde_json::from_str::<Severity>("\"P9\"").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = s.parse::<Severity>();
        }
    }
}
