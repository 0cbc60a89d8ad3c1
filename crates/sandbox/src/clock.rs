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

/// Whole milliseconds since the Unix epoch; times before it read as 0.
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    u64::try_from(millis).unwrap_or(u64::MAX)
}

/// `2020-12-03T03:09:37.484Z`: UTC with milliseconds, as uuApp error maps write timestamps.
pub(crate) fn iso_millis(time: SystemTime) -> String {
    let millis = unix_millis(time);
    let secs = millis / 1000;
    let (year, month, day) = civil_date(secs / 86_400);
    let of_day = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        millis % 1000
    )
}

/// The proleptic Gregorian date of a day number counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_are_utc_with_milliseconds() {
        assert_eq!(iso_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let recorded = UNIX_EPOCH + Duration::from_millis(1_606_964_977_484);
        assert_eq!(iso_millis(recorded), "2020-12-03T03:09:37.484Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(iso_millis(leap_day), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn unix_seconds_truncate_and_clamp_at_the_epoch() {
        let time = UNIX_EPOCH + Duration::from_millis(1_500);
        assert_eq!(unix_secs(time), 1);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), 0);
    }
}
