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

use std::time::Duration;

use crate::state::{ConnectionState, HistoryOutcome};
use crate::time::Timestamp;

/// At most one renewal per connection in this long (see the module's documentation).
pub const RENEWAL_WINDOW: Duration = Duration::from_secs(30);

/// When the connection's tokens were last renewed (or obtained by a login), or a renewal or
/// login last failed, by its history.
pub(crate) fn last_attempt(state: &ConnectionState) -> Option<Timestamp> {
    state
        .history
        .iter()
        .rev()
        .find(|h| matches!(h.outcome, HistoryOutcome::Renewed | HistoryOutcome::Failed))
        .map(|h| h.at)
}

/// Whether an attempt at `at` keeps renewals off at `now`. An attempt "in the future" (the
/// clock was set back since) does not: the next renewal records a time on the new clock.
pub(crate) fn within(at: Timestamp, now: Timestamp) -> bool {
    at <= now && now < at.plus(RENEWAL_WINDOW)
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
        assert_eq!(last_attempt(&state), Some(failed));

        assert!(within(T0, T0));
        assert!(within(T0, T0.plus(Duration::from_secs(29))));
        assert!(!within(T0, T0.plus(RENEWAL_WINDOW)));
        assert!(
            !within(T0.plus(Duration::from_secs(5)), T0),
            "a clock set back"
        );
    }
}
