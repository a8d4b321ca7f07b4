//! The weekly maintenance window ("Scheduled Maintenance Window: Every Sunday 2:00-4:00 AM
//! UTC"), computed in UTC with jiff.

use std::time::Duration;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A weekly window in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// The day it starts (runbook: Sunday).
    pub weekday: Weekday,
    /// When it starts, UTC (runbook: 02:00).
    pub start: Time,
    /// How long it lasts (runbook: 2 h).
    pub length: Duration,
}

impl Default for MaintenanceWindow {
    /// The runbook's window: Sunday 02:00–04:00 UTC.
    fn default() -> Self {
        Self {
            weekday: Weekday::Sunday,
            start: Time::constant(2, 0, 0, 0),
            length: Duration::from_secs(2 * 3600),
        }
    }
}

/// Where a moment stands relative to the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCheck {
    /// The moment checked.
    pub at: Timestamp,
    /// Whether it is inside the window.
    pub inside: bool,
    /// Start of the latest window that began at or before `at`.
    pub starts: Timestamp,
    /// Its end (exclusive).
    pub ends: Timestamp,
    /// The start of the next window after `at`.
    pub next_start: Timestamp,
}

fn week() -> SignedDuration {
    SignedDuration::from_hours(7 * 24)
}

fn jiff_error(e: jiff::Error) -> Error {
    Error::invalid("maintenance window", e.to_string())
}

impl MaintenanceWindow {
    /// Checks the window's shape: 1 minute to 7 days long.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] otherwise.
    pub fn validate(&self) -> Result<()> {
        if self.length < Duration::from_secs(60) || self.length > Duration::from_secs(7 * 24 * 3600)
        {
            return Err(Error::invalid(
                "maintenance window",
                "length must be between 1 minute and 7 days",
            ));
        }
        Ok(())
    }

    /// Where `at` stands relative to this window.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an invalid window or a moment at the end of time.
    pub fn check(&self, at: Timestamp) -> Result<WindowCheck> {
        self.validate()?;
        let now = at.to_zoned(TimeZone::UTC).datetime();
        let days_back = i64::from(now.weekday().since(self.weekday));
        let same_day = now
            .date()
            .to_datetime(self.start)
            .to_zoned(TimeZone::UTC)
            .map_err(jiff_error)?
            .timestamp();
        let mut starts = same_day
            .checked_sub(SignedDuration::from_hours(24 * days_back))
            .map_err(jiff_error)?;
        if starts > at {
            starts = starts.checked_sub(week()).map_err(jiff_error)?;
        }
        let length = SignedDuration::try_from(self.length)
            .map_err(|e| Error::invalid("maintenance window", e.to_string()))?;
        let ends = starts.checked_add(length).map_err(jiff_error)?;
        let next_start = starts.checked_add(week()).map_err(jiff_error)?;
        Ok(WindowCheck {
            at,
            inside: at >= starts && at < ends,
            starts,
            ends,
            next_start,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_runbook_window_is_sunday_two_to_four_utc() {
        let w = MaintenanceWindow::default();
        // 2025-01-12 is a Sunday.
        for (at, inside) in [
            ("2025-01-12T02:00:00Z", true),
            ("2025-01-12T03:59:59Z", true),
            ("2025-01-12T04:00:00Z", false),
            ("2025-01-12T01:59:59Z", false),
            ("2025-01-08T02:30:00Z", false),
            ("2025-01-11T02:30:00Z", false),
        ] {
            assert_eq!(w.check(ts(at)).unwrap().inside, inside, "{at}");
        }
        let c = w.check(ts("2025-01-12T03:00:00Z")).unwrap();
        assert_eq!(c.starts, ts("2025-01-12T02:00:00Z"));
        assert_eq!(c.ends, ts("2025-01-12T04:00:00Z"));
        assert_eq!(c.next_start, ts("2025-01-19T02:00:00Z"));
        let before = w.check(ts("2025-01-12T01:00:00Z")).unwrap();
        assert_eq!(before.starts, ts("2025-01-05T02:00:00Z"));
        assert_eq!(before.next_start, ts("2025-01-12T02:00:00Z"));
    }

    #[test]
    fn windows_are_configurable_and_may_cross_midnight() {
        let w = MaintenanceWindow {
            weekday: Weekday::Saturday,
            start: Time::constant(23, 0, 0, 0),
            length: Duration::from_secs(3 * 3600),
        };
        assert!(w.check(ts("2025-01-12T01:30:00Z")).unwrap().inside);
        assert!(!w.check(ts("2025-01-12T02:00:00Z")).unwrap().inside);
        let bad = MaintenanceWindow {
            length: Duration::ZERO,
            ..w
        };
        assert!(bad.check(ts("2025-01-12T01:30:00Z")).is_err());
    }
}
