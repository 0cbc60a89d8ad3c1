//! The sandbox's notion of time. Token lifetimes and expiry checks read it through
//! [`SandboxClock`], and a running sandbox adds a settable offset on top, so tests can make a
//! token expire without waiting.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time for the sandbox.
pub trait SandboxClock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl SandboxClock for SystemClock {
    fn now(&self) -> SystemTime {
        // The one sanctioned reading of the system clock in this crate: everything else goes
        // through SandboxClock so that tests can move time.
        #[allow(clippy::disallowed_methods)]
        SystemTime::now()
    }
}

/// A clock that stands still at a given time until told otherwise.
#[derive(Clone, Copy, Debug)]
pub struct FixedClock(pub SystemTime);

impl SandboxClock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// Whole seconds since the Unix epoch; times before it read as 0.
pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_truncate_and_clamp_at_the_epoch() {
        let time = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(unix_secs(time), 1);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), 0);
    }
}
