//! The renew use case: a renewal asked for by a person or a script (`refresh`), and the one
//! the background scheduler asks for when a connection is due. The renewal itself (single
//! flight, failure classes, backoff, persisting before serving) is the connection owner's
//! (`runtime`); the policy is `refresh/`'s.

use std::sync::Weak;
use std::time::Duration;

use async_trait::async_trait;

use super::runtime::{Want, refresh_before};
use super::{Engine, Inner};
use crate::connection::{ConnectionName, ConnectionSpec};
use crate::error::{Error, Result};
use crate::refresh::Renewer;
use crate::state::{ConnectionState, Status};
use crate::time::Timestamp;

/// What a forced refresh did ([`Engine::refresh`]).
#[derive(Clone, Debug)]
pub struct Refreshed {
    /// The connection as it stands now.
    pub view: crate::events::ConnectionView,
    /// `None` when the tokens were renewed now (or by a concurrent caller). Otherwise they
    /// were not: the last renewal, login or failed attempt was at this time, less than
    /// [`crate::RENEWAL_WINDOW`] ago, and the current token, still valid, was kept.
    pub held_since: Option<Timestamp>,
}

/// The scheduler's handle on the engine; holds it weakly so the scheduler never keeps a
/// dropped engine alive.
pub(crate) struct WeakRenewer(pub(crate) Weak<Inner>);

#[async_trait]
impl Renewer for WeakRenewer {
    async fn renew_due(&self, name: &ConnectionName) -> Option<Timestamp> {
        let inner = self.0.upgrade()?;
        let spec = inner.spec_arc(name.as_str()).ok()?;
        if !Inner::keeps_fresh(&spec) {
            return None;
        }
        if let Err(e) = inner.serve(&spec, Want::Due).await {
            tracing::info!(connection = %name, error = %e, "background renewal failed");
        }
        // The owner schedules the next attempt itself.
        None
    }
}

impl Engine {
    /// Renews `name` now whatever the state of its token (one renewal for all concurrent
    /// callers), within the renewal limit: what `tokentray refresh` and
    /// `POST /v1/connections/{name}/refresh` do. Less than [`RENEWAL_WINDOW`] after the
    /// connection's last renewal (or login, or failed attempt), while its token is still
    /// valid, it does not renew again: the current token, the freshest there is, stays, and
    /// [`Refreshed::held_since`] says when that last attempt was.
    ///
    /// [`RENEWAL_WINDOW`]: crate::RENEWAL_WINDOW
    pub async fn refresh(&self, name: &ConnectionName) -> Result<Refreshed> {
        let held_since = self.force(name, true).await?;
        Ok(Refreshed {
            view: self.view(name)?,
            held_since,
        })
    }

    /// Renews `name` now, whatever the state of its token and however recently it was
    /// renewed: a person's explicit refresh in the app's window or tray, which no script can
    /// click. Every other path uses [`Engine::refresh`].
    pub async fn refresh_now(
        &self,
        name: &ConnectionName,
    ) -> Result<crate::events::ConnectionView> {
        self.force(name, false).await?;
        self.view(name)
    }

    /// Renews every connection that has tokens (not the signed-out ones) now, as a person's
    /// "refresh all" in the app's window or tray: like [`Engine::refresh_now`], not held back
    /// by the renewal limit that scripts' paths keep. Each failure stays on its connection;
    /// the names that failed are returned with their errors.
    pub async fn refresh_all(&self) -> Result<Vec<(ConnectionName, Error)>> {
        let mut failed = Vec::new();
        for view in self.list()? {
            if view.status == Status::SignedOut {
                continue;
            }
            if let Err(error) = self.refresh_now(&view.name).await {
                failed.push((view.name, error));
            }
        }
        Ok(failed)
    }

    async fn force(&self, name: &ConnectionName, limited: bool) -> Result<Option<Timestamp>> {
        let spec = self.inner.spec_arc(name.as_str())?;
        let served = self.inner.serve(&spec, Want::Forced { limited }).await?;
        Ok(served.held_since)
    }
}

impl Inner {
    /// At start-up: schedule from what the state file remembers (`state`).
    pub(crate) fn schedule_from_state(&self, spec: &ConnectionSpec, state: &ConnectionState) {
        if !Self::keeps_fresh(spec) {
            return;
        }
        if !matches!(
            state.status,
            Status::Active | Status::Error | Status::Refreshing
        ) {
            return;
        }
        let Some(expires) = state.expires_at else {
            return;
        };
        let lifetime = state
            .last_refresh
            .map_or(Duration::ZERO, |l| expires.since(l));
        let margin =
            refresh_before(spec).unwrap_or_else(|| (lifetime / 4).min(Duration::from_secs(300)));
        self.schedule(&spec.name, expires.minus(margin));
    }
}
