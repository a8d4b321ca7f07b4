//! [`Revision`]: a deployment rollout revision number (≥ 1).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A rollout revision as Kubernetes numbers them (`deployment.kubernetes.io/revision`),
/// always at least 1. Serialized as a plain number; 0 is rejected when deserializing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Revision(u64);

impl Revision {
    /// The first revision.
    pub const FIRST: Revision = Revision(1);

    /// Wraps `n`; 0 is rejected.
    pub fn new(n: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::invalid("revision", "must be at least 1, got 0"));
        }
        Ok(Self(n))
    }

    /// The number.
    pub fn get(&self) -> u64 {
        self.0
    }

    /// The revision after this one, or `None` at `u64::MAX`.
    pub fn next(&self) -> Option<Revision> {
        self.0.checked_add(1).map(Revision)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Revision {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "revision",
                format!("{s:?} is not a whole number"),
            ));
        }
        let n = s
            .parse::<u64>()
            .map_err(|_| Error::invalid("revision", format!("{s:?} is too large")))?;
        Self::new(n)
    }
}

impl TryFrom<u64> for Revision {
    type Error = Error;
    fn try_from(n: u64) -> Result<Self> {
        Self::new(n)
    }
}

impl From<Revision> for u64 {
    fn from(r: Revision) -> u64 {
        r.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn good_and_bad() {
        assert_eq!(Revision::new(1).unwrap(), Revision::FIRST);
        assert_eq!(Revision::new(7).unwrap().get(), 7);
        assert_eq!("42".parse::<Revision>().unwrap().get(), 42);
        assert!(Revision::new(0).is_err());
        assert!(Revision::new(3).unwrap() < Revision::new(4).unwrap());
        assert_eq!(Revision::FIRST.next(), Some(Revision::new(2).unwrap()));
        assert_eq!(Revision::new(u64::MAX).unwrap().next(), None);
        let bad = [
            "",
            "0",
            "00",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.0",
            "one",
            "18446744073709551616",
            "0x1",
            "1e3",
        ];
        for b in bad {
            assert!(b.parse::<Revision>().is_err(), "{b:?}");
        }
    }

    #[test]
    fn serde_number_validated() {
        let r = Revision::new(3).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "3");
        assert_eq!(serde_json::from_str::<Revision>("3").unwrap(), r);
        assert!(serde_json::from_str::<Revision>("0").is_err());
        assert!(serde_json::from_str::<Revision>("-1").is_err());
        assert!(serde_json::from_str::<Revision>("\"3\"").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = s.parse::<Revision>();
        }

        #[test]
        fn round_trip(n in 1u64..) {
            let r = Revision::new(n).unwrap();
            prop_assert_eq!(r.to_string().parse::<Revision>().unwrap(), r);
        }
    }
}
