//! The simulator's clock: wall time plus an offset that tests can advance.

use jiff::{Timestamp, ToSpan};
use std::sync::Mutex;
use std::time::Duration;

/// Wall-clock time shifted by an adjustable offset (seconds, may be negative while a
/// scenario builds its history in the past).
#[derive(Debug, Default)]
pub struct Clock {
    offset: Mutex<i64>,
}

impl Clock {
    /// The current simulated time.
    pub fn now(&self) -> Timestamp {
        let secs = self.offset.lock().map(|o| *o).unwrap_or_default();
        Timestamp::now()
            .checked_add(secs.seconds())
            .unwrap_or_else(|_| Timestamp::now())
    }

    /// Moves simulated time forward.
    pub fn advance(&self, by: Duration) {
        let secs = i64::try_from(by.as_secs()).unwrap_or(i64::MAX / 4);
        if let Ok(mut o) = self.offset.lock() {
            *o = o.saturating_add(secs);
        }
    }

    /// Sets the offset from wall time in seconds (negative: the past).
    pub fn set_offset(&self, secs: i64) {
        if let Ok(mut o) = self.offset.lock() {
            *o = secs;
        }
    }

    /// The current time formatted as Kubernetes does (`2026-01-02T03:04:05Z`).
    pub fn stamp(&self) -> String {
        format_ts(self.now())
    }
}

/// Formats a timestamp with whole seconds, as Kubernetes does.
pub fn format_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses a Kubernetes timestamp.
pub fn parse_ts(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}

/// Human age as kubectl prints it (`5s`, `3m`, `2d4h` ...), between `from` and `now`.
pub fn age(from: &str, now: Timestamp) -> String {
    let Some(t) = parse_ts(from) else {
        return "<unknown>".to_string();
    };
    let secs = now.as_second() - t.as_second();
    human_duration(secs.max(0))
}

/// The short duration format of `k8s.io/apimachinery/pkg/util/duration.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86_400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        let s = secs % 60;
        if s == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{s}s")
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        let mm = m % 60;
        if mm == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{mm}m")
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        let hh = h % 24;
        if hh == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{hh}h")
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        let dd = d % 365;
        if dd == 0 {
            format!("{}y", d / 365)
        } else {
            format!("{}y{dd}d", d / 365)
        }
    } else {
        format!("{}y", d / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(3600), "60m");
        assert_eq!(human_duration(4 * 3600 + 60), "4h1m");
        assert_eq!(human_duration(3 * 86_400), "3d");
    }

    #[test]
    fn advance_moves_time() {
        let c = Clock::default();
        let a = c.now();
        c.advance(Duration::from_secs(600));
        assert!(c.now().as_second() - a.as_second() >= 600);
    }
}
