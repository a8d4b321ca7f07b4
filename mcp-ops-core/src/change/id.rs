//! [`ChangeId`]: the id of a change request, `CR-YYYY-NNN`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const FIELD: &str = "change id";
/// The smallest and largest year an id may carry (four digits).
const YEARS: std::ops::RangeInclusive<i16> = 1000..=9999;
/// The largest number of a year (six digits).
const NUMBER_MAX: u32 = 999_999;

/// The id of a change request: `CR-YYYY-NNN`, the year and the request's number in that year
/// (1 to 999 999; written with at least three digits: `CR-2026-001`, `CR-2026-1042`).
///
/// `FromStr`, `Display` and serde use the text; parsing accepts a lowercase `cr-` and gives
/// the canonical text back. Ids order by year, then number.
///
/// ```
/// use mcp_ops_core::change::ChangeId;
///
/// let id: ChangeId = "CR-2026-007".parse()?;
/// assert_eq!((id.year(), id.number()), (2026, 7));
/// assert_eq!(ChangeId::new(2026, 1042)?.as_str(), "CR-2026-1042");
/// assert!("CR-2026-7".parse::<ChangeId>().is_err());
/// # Ok::<(), mcp_ops_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChangeId(String);

impl ChangeId {
    /// The id of request `number` of `year`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the year is not four digits or the number is not
    /// 1 to 999 999.
    pub fn new(year: i16, number: u32) -> Result<Self> {
        if !YEARS.contains(&year) {
            return Err(Error::invalid(
                FIELD,
                format!("year {year} is not a four-digit year"),
            ));
        }
        if number == 0 || number > NUMBER_MAX {
            return Err(Error::invalid(
                FIELD,
                format!("number {number} is not 1 to {NUMBER_MAX}"),
            ));
        }
        Ok(Self(format!("CR-{year}-{number:03}")))
    }

    /// The id as text (`CR-2026-001`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The year of the id.
    pub fn year(&self) -> i16 {
        self.parts().0
    }

    /// The number of the request in its year.
    pub fn number(&self) -> u32 {
        self.parts().1
    }

    /// Year and number; the text is canonical, so the parse cannot fail (0 is never shown).
    fn parts(&self) -> (i16, u32) {
        let year = self.0.get(3..7).and_then(|y| y.parse().ok()).unwrap_or(0);
        let number = self.0.get(8..).and_then(|n| n.parse().ok()).unwrap_or(0);
        (year, number)
    }
}

impl FromStr for ChangeId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            let shown: String = s.chars().take(40).collect();
            Error::invalid(
                FIELD,
                format!("{shown:?} {why}; expected CR-YYYY-NNN, e.g. CR-2026-001"),
            )
        };
        let rest = match s.get(..3) {
            Some(prefix) if prefix.eq_ignore_ascii_case("CR-") => &s[3..],
            _ => return Err(bad("does not start with CR-")),
        };
        let (year, number) = rest
            .split_once('-')
            .ok_or_else(|| bad("has no '-' between year and number"))?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("does not have a four-digit year"));
        }
        if !(3..=6).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("does not have a number of 3 to 6 digits"));
        }
        if number.len() > 3 && number.starts_with('0') {
            return Err(bad(
                "has a number of more than 3 digits with a leading zero",
            ));
        }
        let year: i16 = year.parse().map_err(|_| bad("has an invalid year"))?;
        let number: u32 = number.parse().map_err(|_| bad("has an invalid number"))?;
        if number == 0 {
            return Err(bad("has number 0 (numbers start at 001)"));
        }
        Self::new(year, number)
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ChangeId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChangeId {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<ChangeId> for String {
    fn from(id: ChangeId) -> Self {
        id.0
    }
}

impl PartialOrd for ChangeId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ChangeId {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts().cmp(&other.parts())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn new_formats_three_digits_at_least() {
        assert_eq!(ChangeId::new(2025, 1).unwrap().as_str(), "CR-2025-001");
        assert_eq!(ChangeId::new(2025, 999).unwrap().as_str(), "CR-2025-999");
        assert_eq!(ChangeId::new(2025, 1000).unwrap().as_str(), "CR-2025-1000");
        assert_eq!(
            ChangeId::new(2025, 999_999).unwrap().as_str(),
            "CR-2025-999999"
        );
        assert!(ChangeId::new(2025, 0).is_err());
        assert!(ChangeId::new(2025, 1_000_000).is_err());
        assert!(ChangeId::new(999, 1).is_err());
        assert!(ChangeId::new(-2025, 1).is_err());
        assert!(ChangeId::new(10000, 1).is_err());
    }

    #[test]
    fn parse_round_trips_and_normalizes() {
        for s in [
            "CR-2025-001",
            "CR-2026-042",
            "CR-2026-1000",
            "CR-9999-999999",
        ] {
            let id: ChangeId = s.parse().unwrap();
            assert_eq!(id.to_string(), s);
            assert_eq!(ChangeId::new(id.year(), id.number()).unwrap(), id);
        }
        assert_eq!(
            "cr-2026-005".parse::<ChangeId>().unwrap().as_str(),
            "CR-2026-005"
        );
    }

    #[test]
    fn parse_refuses_edge_cases() {
        for s in [
            "",
            "CR",
            "CR-",
            "CR-2026",
            "CR-2026-",
            "CR-2026-1",
            "CR-2026-01",
            "CR-2026-000",
            "CR-2026-0001",
            "CR-2026-1234567",
            "CR-26-001",
            "CR-0999-001",
            "CR-20266-001",
            "CR-2026-00a",
            "CR-2026-+01",
            "CR-+026-001",
            " CR-2026-001",
            "CR-2026-001 ",
            "CR-2026-001\n",
            "XX-2026-001",
            "CR_2026_001",
            "CR-2026--01",
            "ÇR-2026-001",
            "CR-２０２６-001",
        ] {
            assert!(s.parse::<ChangeId>().is_err(), "{s:?} parsed");
        }
    }

    #[test]
    fn orders_by_year_then_number() {
        let a: ChangeId = "CR-2026-999".parse().unwrap();
        let b: ChangeId = "CR-2026-1000".parse().unwrap();
        let c: ChangeId = "CR-2027-001".parse().unwrap();
        assert!(a < b && b < c);
    }

    #[test]
    fn serde_is_the_text_and_validates() {
        let id = ChangeId::new(2026, 3).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"CR-2026-003\"");
        let back: ChangeId = serde_json::from_str("\"CR-2026-003\"").unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<ChangeId>("\"CR-2026-3\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<ChangeId>();
        }

        #[test]
        fn parse_never_panics_near_the_form(s in "[cCrR]{0,2}-?[0-9]{0,5}-?[0-9a]{0,7}") {
            if let Ok(id) = s.parse::<ChangeId>() {
                proptest::prop_assert_eq!(id.to_string().parse::<ChangeId>().ok(), Some(id.clone()));
                proptest::prop_assert!(id.number() >= 1);
            }
        }

        #[test]
        fn new_round_trips(year in 1000i16..=9999, number in 1u32..=999_999) {
            let id = ChangeId::new(year, number).unwrap();
            proptest::prop_assert_eq!((id.year(), id.number()), (year, number));
            proptest::prop_assert_eq!(id.as_str().parse::<ChangeId>().unwrap(), id);
        }
    }
}
