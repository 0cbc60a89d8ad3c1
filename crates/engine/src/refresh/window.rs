//! The renewal limit: at most one renewal per connection per [`RENEWAL_WINDOW`], however it is
//! asked for — a `min_valid` longer than the provider's tokens live (which no renewal can
//! satisfy), `tokentray refresh`, `POST /v1/connections/{name}/refresh`, or a token that is
//! due again right after it was renewed. Within the window a caller gets the token held, which
//! is then the freshest there is; for ArcGIS and CDSE, whose renewals post the password, this
//! is what keeps a script asking in a loop from posting it on every request.
//!
//! The window is counted from the connection's last renewal, login or failed attempt, as its
//! history in the state file records it (written under the per-connection lock), so every
//! process keeps to it: each CLI run is a new one. Only a token still valid is held; without
//! one, renewing is the only answer and is not limited here (failures have their backoff).
//!
//! A caller that asks for nothing in particular (no `min_valid`) is held back only after a
//! failed attempt (no retry storm against a provider that is down): after a success, a token
//! already due again is one that lives so short (under about 40 s) that renewing it as usual
//! is right.

use std::time::Duration;

use crate::state::{ConnectionState, HistoryOutcome};
use crate::time::Timestamp;

/// At most one renewal per connection in this long (see the module's documentation).
pub const RENEWAL_WINDOW: Duration = Duration::from_secs(30);

/// A renewal or login, or a failed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Attempt {
    /// When.
    pub(crate) at: Timestamp,
    /// Whether it failed.
    pub(crate) failed: bool,
}

impl Attempt {
    /// Whether this attempt keeps renewals off at `now`. One "in the future" (the clock was
    /// set back since) does not: the next renewal records a time on the new clock.
    pub(crate) fn holds_at(self, now: Timestamp) -> bool {
        self.at <= now && now < self.at.plus(RENEWAL_WINDOW)
    }
}

/// When the connection's tokens were last renewed (or obtained by a login), or a renewal or
/// login last failed, by its history.
pub(crate) fn last_attempt(state: &ConnectionState) -> Option<Attempt> {
    state.history.iter().rev().find_map(|h| match h.outcome {
        HistoryOutcome::Renewed => Some(Attempt {
            at: h.at,
            failed: false,
        }),
        HistoryOutcome::Failed => Some(Attempt {
            at: h.at,
            failed: true,
        }),
        HistoryOutcome::LoggedOut => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_secs(1_800_000_000);

    #[test]
    fn the_window_runs_from_the_last_renewal_or_failure_and_not_from_a_logout() {
        let mut state = ConnectionState::default();
        assert_eq!(last_attempt(&state), None);
        state.record(T0, HistoryOutcome::Renewed, None);
        let failed = T0.plus(Duration::from_secs(100));
        state.record(failed, HistoryOutcome::Failed, Some("down".into()));
        state.record(
            T0.plus(Duration::from_secs(200)),
            HistoryOutcome::LoggedOut,
            None,
        );
        assert_eq!(
            last_attempt(&state),
            Some(Attempt {
                at: failed,
                failed: true
            })
        );

        let renewed = Attempt {
            at: T0,
            failed: false,
        };
        assert!(renewed.holds_at(T0));
        assert!(renewed.holds_at(T0.plus(Duration::from_secs(29))));
        assert!(!renewed.holds_at(T0.plus(RENEWAL_WINDOW)));
        assert!(
            !renewed.holds_at(T0.minus(Duration::from_secs(5))),
            "a clock set back"
        );
    }
}
