//! What a caller needs from a token, and when the renewal limit answers with the token held
//! instead of a renewal (the policy itself is `refresh::window`'s).

use std::time::Duration;

use crate::connection::{ConnectionName, ConnectionSpec};
use crate::error::{Error, Result};
use crate::refresh::window;
use crate::secret::RejectedToken;
use crate::state::ConnectionState;
use crate::time::Timestamp;
use crate::token::TokenSet;

/// What a caller needs from a token.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want {
    /// Valid for at least this long.
    MinValid(Duration),
    /// Not yet due for renewal.
    Fresh,
    /// The scheduler's call: renew unless it was renewed since it was scheduled (then it is
    /// not due even counting the jitter the schedule subtracts).
    Due,
    /// A new token whatever the old one; `limited`: unless the renewal limit holds the
    /// current one (see `refresh::window`).
    Forced { limited: bool },
    /// Any valid token but this one, which a service refused (`Engine::token_rejected`);
    /// within the renewal limit, which here gives an error rather than the refused token.
    Rejected(RejectedToken),
}

impl Want {
    /// What a caller asking for `freshness` wants.
    pub(crate) fn of(freshness: crate::engine::Freshness) -> Self {
        match freshness {
            crate::engine::Freshness::NotDue => Self::Fresh,
            crate::engine::Freshness::AtLeast(d) => Self::MinValid(d),
        }
    }

    /// Whether the renewal limit holds this caller back after `attempt` (see
    /// `refresh::window`): everything but the scheduler's own call (which keeps its schedule)
    /// and a person's explicit refresh in the app; a plain caller only after a failure.
    pub(crate) fn held_by(self, attempt: window::Attempt) -> bool {
        match self {
            Self::MinValid(_) | Self::Rejected(_) => true,
            Self::Fresh => attempt.failed,
            Self::Forced { limited } => limited,
            Self::Due => false,
        }
    }

    pub(crate) fn satisfied_by(self, spec: &ConnectionSpec, t: &TokenSet, now: Timestamp) -> bool {
        match self {
            Self::MinValid(d) => t.valid_for(now, d),
            Self::Fresh => {
                t.valid_for(now, Duration::ZERO)
                    && t.renew_at(refresh_before(spec)).is_none_or(|at| now < at)
            }
            Self::Due => {
                let margin = t.refresh_margin(refresh_before(spec));
                t.valid_for(now, Duration::ZERO)
                    && t.renew_at(refresh_before(spec))
                        .is_none_or(|at| now < at.minus(margin / 10))
            }
            Self::Forced { .. } => false,
            Self::Rejected(r) => {
                t.valid_for(now, Duration::ZERO) && !r.matches(t.access_token.expose())
            }
        }
    }

    /// Whether the token held must not be answered in place of a renewal.
    pub(crate) fn refuses_held(self) -> bool {
        matches!(self, Self::Forced { .. } | Self::Rejected(_))
    }
}

/// What a renewal gave.
pub(crate) struct Renewed {
    pub(crate) tokens: TokenSet,
    /// Set when the token held was given instead of a renewal, because of the renewal limit:
    /// when the last attempt was.
    pub(crate) held_since: Option<Timestamp>,
}

impl Renewed {
    pub(crate) fn now(tokens: TokenSet) -> Self {
        Self {
            tokens,
            held_since: None,
        }
    }

    /// The token held, when the renewal limit applies to `want` at `now` by `state`'s history;
    /// for a refused token (`Want::Rejected`), the error saying when it may be renewed.
    pub(crate) fn held(
        want: Want,
        name: &ConnectionName,
        tokens: Option<&TokenSet>,
        state: &ConnectionState,
        now: Timestamp,
    ) -> Option<Result<Self>> {
        let tokens = tokens.filter(|t| t.valid_for(now, Duration::ZERO))?;
        let attempt =
            window::last_attempt(state).filter(|a| a.holds_at(now) && want.held_by(*a))?;
        if let Want::Rejected(_) = want {
            return Some(Err(Error::RejectedTooSoon {
                connection: name.clone(),
                retry_at: attempt.at.plus(crate::refresh::RENEWAL_WINDOW),
            }));
        }
        Some(Ok(Self {
            tokens: tokens.clone(),
            held_since: Some(attempt.at),
        }))
    }
}

/// The connection's `refresh_before` setting.
pub(crate) fn refresh_before(spec: &ConnectionSpec) -> Option<Duration> {
    spec.int("refresh_before")
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
}
