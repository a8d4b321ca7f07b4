//! Time as a replaceable dependency.
//!
//! Procedures and engines never call `Timestamp::now()` or `tokio::time::sleep` directly: they
//! ask a [`Clock`]. [`SystemClock`] is wall time; [`TokioClock`] follows tokio's clock, so a
//! test with `#[tokio::test(start_paused = true)]` runs a 30-minute bake in microseconds and
//! still sees consistent timestamps.
//!
//! The in-memory mocks (`mock::*`, feature `mock`) default to [`TokioClock::wall`]: in a
//! running runtime that is wall time, and in a runtime whose time is paused it moves with the
//! paused time, so a paused test sees mock rollouts complete instead of timing out. Procedures
//! take their clock from their [`Context`](crate::runbook::Context): give it a `TokioClock`
//! too, or use `testkit::TestKit` (feature `testkit`), whose mocks and contexts share one.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use mcp_ops_core::{Clock, TokioClock};
//!
//! let clock = TokioClock::starting_at("2025-01-08T14:30:00Z".parse()?);
//! clock.sleep(Duration::from_secs(30 * 60)).await; // paused: returns at once
//! assert_eq!(clock.now().to_string(), "2025-01-08T15:00:00Z");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};

/// A source of "now" and of waiting.
///
/// Implement it to drive procedures by a clock of your own; most code uses [`SystemClock`]
/// in production and [`TokioClock`] in tests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// use std::time::Duration;
/// use mcp_ops_core::clock::{Clock, elapsed_between};
/// use mcp_ops_core::TokioClock;
///
/// let clock = TokioClock::wall();
/// let before = clock.now();
/// clock.sleep(Duration::from_secs(60)).await;
/// assert_eq!(elapsed_between(before, clock.now()), Duration::from_secs(60));
/// # }
/// ```
#[async_trait]
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
    /// Waits for `duration` on this clock.
    async fn sleep(&self, duration: Duration);
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

/// Wall-clock time and tokio's timer.
///
/// Its `now()` is the system's wall time even when tokio's time is paused, while its
/// `sleep` returns at once there: a procedure that waits on it in a paused test sees time
/// stand still. Use [`TokioClock`] in paused tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock that starts at a fixed timestamp and advances with tokio's (pausable) clock.
///
/// Under `tokio::time::pause()` it advances only when the runtime auto-advances or a test
/// calls `tokio::time::advance`, which makes time-dependent procedures deterministic.
#[derive(Debug, Clone)]
pub struct TokioClock {
    base: Timestamp,
    started: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `base` now and moving with tokio's clock from here on.
    ///
    /// Must be called inside a tokio runtime when time is paused, so that both clocks agree.
    pub fn starting_at(base: Timestamp) -> Self {
        Self {
            base,
            started: tokio::time::Instant::now(),
        }
    }

    /// A clock reading the wall time now and moving with tokio's clock from here on.
    ///
    /// In a runtime whose time runs this is wall time (monotonic from its creation); in a
    /// runtime whose time is paused (`start_paused = true`, `tokio::time::pause`) it moves
    /// only as the paused time does. The mocks' default clock.
    pub fn wall() -> Self {
        Self::starting_at(Timestamp::now())
    }
}

impl Default for TokioClock {
    /// [`TokioClock::wall`].
    fn default() -> Self {
        Self::wall()
    }
}

#[async_trait]
impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.started);
        let signed = SignedDuration::try_from(elapsed).unwrap_or(SignedDuration::MAX);
        self.base.saturating_add(signed).unwrap_or(Timestamp::MAX)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Whole seconds between two timestamps, never negative.
pub fn elapsed_between(from: Timestamp, to: Timestamp) -> Duration {
    let d = to.duration_since(from);
    Duration::try_from(d).unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let base: Timestamp = "2025-01-08T14:30:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        let clock = TokioClock::starting_at(base);
        assert_eq!(clock.now(), base);
        clock.sleep(Duration::from_secs(15 * 60)).await;
        assert_eq!(elapsed_between(base, clock.now()), Duration::from_secs(900));
    }

    /// Mocks are often built before any runtime exists: the default clock then reads wall
    /// time (and does not panic for want of a runtime).
    #[test]
    fn wall_clock_outside_a_runtime_reads_wall_time() {
        let clock = TokioClock::wall();
        let gap = elapsed_between(Timestamp::now(), clock.now())
            .max(elapsed_between(clock.now(), Timestamp::now()));
        assert!(gap < Duration::from_secs(60), "{gap:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn wall_clock_follows_paused_time() {
        let clock = TokioClock::wall();
        let before = clock.now();
        tokio::time::sleep(Duration::from_secs(600)).await;
        assert_eq!(
            elapsed_between(before, clock.now()),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn elapsed_never_negative() {
        let a = Timestamp::UNIX_EPOCH;
        let b = a.saturating_add(SignedDuration::from_secs(10)).unwrap_or(a);
        assert_eq!(elapsed_between(b, a), Duration::ZERO);
        assert_eq!(elapsed_between(a, b), Duration::from_secs(10));
    }
}
