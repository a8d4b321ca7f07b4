//! [`Replicas`]: a bounded replica count.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A number of pod replicas in `0..=Replicas::MAX`. Serialized as a plain number, validated
/// when deserializing.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(try_from = "u32", into = "u32")]
pub struct Replicas(u32);

impl Replicas {
    /// The largest replica count accepted, a guard against typos like `30000`.
    pub const MAX: u32 = 1000;
    /// No replicas (scaled down).
    pub const ZERO: Replicas = Replicas(0);

    /// Wraps `n`; values above [`Replicas::MAX`] are rejected.
    pub fn new(n: u32) -> Result<Self> {
        if n > Self::MAX {
            return Err(Error::invalid(
                "replicas",
                format!("{n} is above the maximum of {}", Self::MAX),
            ));
        }
        Ok(Self(n))
    }

    /// The count.
    pub fn get(&self) -> u32 {
        self.0
    }
}

impl fmt::Display for Replicas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Replicas {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "replicas",
                format!("{s:?} is not a whole number"),
            ));
        }
        let n = s.parse::<u32>().map_err(|_| {
            Error::invalid(
                "replicas",
                format!("{s:?} is above the maximum of {}", Self::MAX),
            )
        })?;
        Self::new(n)
    }
}

impl TryFrom<u32> for Replicas {
    type Error = Error;
    fn try_from(n: u32) -> Result<Self> {
        Self::new(n)
    }
}

impl From<Replicas> for u32 {
    fn from(r: Replicas) -> u32 {
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
        assert_eq!(Replicas::new(0).unwrap(), Replicas::ZERO);
        assert_eq!(Replicas::new(3).unwrap().get(), 3);
        assert_eq!(Replicas::new(1000).unwrap().get(), Replicas::MAX);
        assert_eq!("007".parse::<Replicas>().unwrap().get(), 7);
        assert!(Replicas::new(1001).is_err());
        assert!(Replicas::new(u32::MAX).is_err());
        assert!(Replicas::new(2).unwrap() < Replicas::new(5).unwrap());
        let bad = [
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "1.5",
            "three",
            "1001",
            "99999999999",
            "1e2",
            "0x3",
        ];
        for b in bad {
            assert!(b.parse::<Replicas>().is_err(), "{b:?}");
        }
        let r = Replicas::new(5000).unwrap_err().to_string();
        assert!(r.contains("maximum of 1000"), "{r}");
    }

    #[test]
    fn serde_number_validated() {
        let r = Replicas::new(3).unwrap();
        assert_eq!(serde_json::to_string(&r).unwrap(), "3");
        assert_eq!(serde_json::from_str::<Replicas>("3").unwrap(), r);
        assert!(serde_json::from_str::<Replicas>("1001").is_err());
        assert!(serde_json::from_str::<Replicas>("-1").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = s.parse::<Replicas>();
        }

        #[test]
        fn round_trip(n in 0u32..=Replicas::MAX) {
            let r = Replicas::new(n).unwrap();
            prop_assert_eq!(r.to_string().parse::<Replicas>().unwrap(), r);
        }
    }
}
