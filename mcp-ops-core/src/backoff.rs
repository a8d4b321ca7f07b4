//! Pauses between attempts against a busy server.

use std::time::Duration;

/// `pause` plus up to half of it again, so that processes refused together do not all come
/// back together. The spread comes from the clock's nanoseconds and the process id (no random
/// number generator needed); a pause under 4 ms is returned unchanged.
///
/// ```
/// use std::time::Duration;
/// use mcp_ops_core::backoff::jittered;
///
/// let pause = Duration::from_millis(100);
/// let waited = jittered(pause);
/// assert!(waited >= pause && waited < pause + Duration::from_millis(50));
/// ```
#[must_use]
pub fn jittered(pause: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = u64::from(nanos ^ std::process::id().rotate_left(16));
    let half = u64::try_from(pause.as_millis() / 2).unwrap_or(0).max(1);
    pause + Duration::from_millis(seed % half)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jitter_stays_within_half_the_pause() {
        for ms in [0, 1, 2, 3, 50, 100, 2000] {
            let pause = Duration::from_millis(ms);
            let waited = jittered(pause);
            assert!(waited >= pause, "{ms}");
            assert!(waited <= pause + pause / 2, "{ms}: {waited:?}");
        }
    }
}
